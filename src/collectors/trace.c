/* SPDX-License-Identifier: Apache-2.0 */
/* Trace collector: what job wrappers posted (the trace dataset), one series
 * per job and host, next to the job's allocated CPUs and memory from the
 * jobs dataset (squeue).
 *
 * Rules (see docs/metrics.md):
 *  - an entry is shown while its job is in the jobs dataset and running;
 *    a jobs snapshot taken before the job's first post cannot judge it, so
 *    the entry is shown (without allocation) until a newer one can;
 *  - without a jobs dataset every entry in the store is shown;
 *  - a value the post did not carry gives no series;
 *  - CPU usage is posted as psutil's percent of one CPU: divided by 100 it
 *    is CPUs (cores) in use;
 *  - read and write bytes are the wrapper's sums over the job's processes;
 *    rivosinc's wrapper counts only the live ones, so they may fall when a
 *    process ends: gauges, not counters. */
#include "collectors/collector.h"
#include "model/trace.h"
#include "util/agg.h"
#include "util/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_CPU, F_MEM, F_THREADS, F_READ, F_WRITE, F_PID, F_UPDATED, F_COUNT };

static double row_value(const struct trace_row *w, int f)
{
    switch (f) {
    case F_CPU:
        return w->cpus / 100.0;
    case F_MEM:
        return w->mem;
    case F_THREADS:
        return w->threads;
    case F_READ:
        return w->read_bytes;
    case F_WRITE:
        return w->write_bytes;
    case F_PID:
        return w->pid;
    default:
        return w->updated;
    }
}

/* Rivosinc's slurm_proc_* families, summed over the job's hosts per user. */
static void compat_rivosinc(const struct trace_model *m, const struct trace_row *const *rows,
                            const struct job *const *jobs, size_t n, struct render *r,
                            struct collect_out *o, size_t limit)
{
    char id[16];
    render_family(r, "slurm_job_cpu_alloc", M_GAUGE, "running job cpus allocated");
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i] || (i && rows[i - 1]->job_id == rows[i]->job_id))
            continue;
        snprintf(id, sizeof(id), "%u", rows[i]->job_id);
        struct label l[1] = {{"jobid", id}};
        render_sample(r, l, 1, jobs[i]->cpus);
    }
    render_family(r, "slurm_job_mem_alloc", M_GAUGE, "running job mem allocated");
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i] || (i && rows[i - 1]->job_id == rows[i]->job_id) || !jobs[i]->mem_bytes)
            continue;
        snprintf(id, sizeof(id), "%u", rows[i]->job_id);
        struct label l[1] = {{"jobid", id}};
        /* rivosinc counts Slurm's MB as 1e6 bytes */
        render_sample(r, l, 1, (double)jobs[i]->mem_bytes / 1048576.0 * 1e6);
    }
    render_family(r, "slurm_proc_pid", M_GAUGE, "pid of running slurm job");
    for (size_t i = 0; i < n; i++) {
        if (isnan(rows[i]->pid))
            continue;
        snprintf(id, sizeof(id), "%u", rows[i]->job_id);
        struct label l[2] = {{"jobid", id}, {"hostname", strtab_get(&m->strs, rows[i]->host)}};
        render_sample(r, l, 2, rows[i]->pid);
    }
    /* (job, user) -> sums of the known values; v[5] is a bit mask of the
     * values some host posted (one none posted gives no series) */
    struct agg a;
    agg_init(&a, limit);
    static const int fields[5] = {F_CPU, F_MEM, F_THREADS, F_WRITE, F_READ};
    for (size_t i = 0; i < n; i++) {
        struct agg_row *row =
            agg_get(&a, (uint32_t[AGG_MAX_KEYS]){rows[i]->job_id, rows[i]->user, 0});
        if (!row)
            continue;
        unsigned mask = (unsigned)row->v[5];
        for (int k = 0; k < 5; k++) {
            double v = row_value(rows[i], fields[k]);
            if (isnan(v))
                continue;
            /* rivosinc serves the posted percent */
            row->v[k] += fields[k] == F_CPU ? rows[i]->cpus : v;
            mask |= 1u << k;
        }
        row->v[5] = mask;
    }
    static const struct {
        const char *name, *help;
    } fam[5] = {
        {"slurm_proc_cpu_usage", "actual cpu usage collected from proc monitor"},
        {"slurm_proc_mem_usage", "proc mem usage"},
        {"slurm_proc_threadcount", "threads currently being used"},
        {"slurm_proc_write_bytes", "proc write bytes"},
        {"slurm_proc_read_bytes", "proc read bytes"},
    };
    for (int k = 0; k < 5; k++) {
        render_family(r, fam[k].name, M_GAUGE, fam[k].help);
        for (size_t i = 0; i < a.n; i++) {
            if (!((unsigned)a.rows[i].v[5] & (1u << k)))
                continue;
            snprintf(id, sizeof(id), "%u", a.rows[i].key[0]);
            struct label l[2] = {{"jobid", id},
                                 {"username", strtab_get(&m->strs, a.rows[i].key[1])}};
            render_sample(r, l, 2, a.rows[i].v[k]);
        }
    }
    o->series_dropped += a.dropped;
    agg_free(&a);
}

void collect_trace(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct trace_model *m = view_trace(v);
    if (!m)
        return;
    const struct dataset_result *jr = v->ds[DS_JOBS];
    struct trace_jobidx idx;
    trace_jobidx_build(&idx, jr ? jr->u.jobs : NULL);
    double jobs_at = jr ? jr->fetched_at - jr->fetch_duration : 0;
    /* the rows shown, bounded by the series limit */
    const struct trace_row **rows = xmalloc((m->n + 1) * sizeof(const struct trace_row *));
    const struct job **jobs = xmalloc((m->n + 1) * sizeof(const struct job *));
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct trace_row *w = &m->rows[i];
        const struct job *j = NULL;
        if (jr && !trace_job_live(&idx, jobs_at, w->job_id, w->first_seen, &j))
            continue;
        if (n >= v->series_limit) {
            o->series_dropped++;
            continue;
        }
        rows[n] = w;
        /* the allocation only from a snapshot that shows the job running */
        jobs[n] = j && trace_job_running(j) ? j : NULL;
        n++;
    }

    static const struct {
        const char *name, *help;
    } fam[F_COUNT] = {
        {"slurm_job_trace_cpu_usage",
         "CPUs (cores) the job's traced processes on the host were using at the last post: the "
         "posted CPU percent / 100."},
        {"slurm_job_trace_memory_bytes",
         "Resident memory of the job's traced processes on the host, in bytes, at the last post."},
        {"slurm_job_trace_threads", "Threads of the job's traced processes on the host."},
        {"slurm_job_trace_read_bytes",
         "Bytes read from storage by the job's traced processes on the host, as last posted (a "
         "gauge: some wrappers count only the live processes)."},
        {"slurm_job_trace_write_bytes",
         "Bytes written to storage by the job's traced processes on the host, as last posted (a "
         "gauge: some wrappers count only the live processes)."},
        {"slurm_job_trace_pid", "Process id of the traced command on the host."},
        {"slurm_job_trace_last_update_timestamp_seconds",
         "Unix time of the last trace post of the job from the host."},
    };
    char id[16];
    for (int f = 0; f < F_COUNT; f++) {
        render_family(r, fam[f].name, M_GAUGE, fam[f].help);
        for (size_t i = 0; i < n; i++) {
            double val = row_value(rows[i], f);
            if (isnan(val))
                continue;
            snprintf(id, sizeof(id), "%u", rows[i]->job_id);
            struct label l[3] = {{"job_id", id},
                                 {"host", strtab_get(&m->strs, rows[i]->host)},
                                 {"user", strtab_get(&m->strs, rows[i]->user)}};
            render_sample(r, l, 3, val);
        }
    }
    render_family(r, "slurm_job_allocated_cpus", M_GAUGE,
                  "CPUs allocated to a traced job (squeue), beside its trace series.");
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i] || (i && rows[i - 1]->job_id == rows[i]->job_id))
            continue;
        snprintf(id, sizeof(id), "%u", rows[i]->job_id);
        struct label l[1] = {{"job_id", id}};
        render_sample(r, l, 1, jobs[i]->cpus);
    }
    render_family(r, "slurm_job_allocated_memory_bytes", M_GAUGE,
                  "Memory allocated to a traced job over all its nodes, in bytes (squeue), beside "
                  "its trace series.");
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i] || (i && rows[i - 1]->job_id == rows[i]->job_id) || !jobs[i]->mem_bytes)
            continue;
        snprintf(id, sizeof(id), "%u", rows[i]->job_id);
        struct label l[1] = {{"job_id", id}};
        render_sample(r, l, 1, (double)jobs[i]->mem_bytes);
    }
    if (v->compat & COMPAT_RIVOSINC)
        compat_rivosinc(m, rows, jobs, n, r, o, v->series_limit);
    free(rows);
    free(jobs);
    trace_jobidx_free(&idx);
}
