/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup collector: each running job's usage on this node, from Slurm's job
 * cgroups (src/sources/cgroup.c). One series per job and family, labelled
 * job_id only: an exporter reads its own node, Prometheus adds instance. A
 * value whose file is absent (controller not enabled, older kernel) has no
 * series. */
#include "collectors/collector.h"
#include "model/cgroup.h"

#include <stdio.h>

typedef bool (*pick_fn)(const struct cgroup_job *j, double *v);

static bool pick_cpu(const struct cgroup_job *j, double *v)
{
    *v = j->cpu_seconds;
    return j->known & CGJ_CPU;
}
static bool pick_mem(const struct cgroup_job *j, double *v)
{
    *v = (double)j->mem_bytes;
    return j->known & CGJ_MEM;
}
static bool pick_peak(const struct cgroup_job *j, double *v)
{
    *v = (double)j->mem_peak;
    return j->known & CGJ_PEAK;
}
static bool pick_limit(const struct cgroup_job *j, double *v)
{
    *v = (double)j->mem_limit;
    return (j->known & CGJ_LIMIT) && j->mem_limit != UINT64_MAX;
}
static bool pick_read(const struct cgroup_job *j, double *v)
{
    *v = (double)j->io_read;
    return j->known & CGJ_IO;
}
static bool pick_write(const struct cgroup_job *j, double *v)
{
    *v = (double)j->io_write;
    return j->known & CGJ_IO;
}
static bool pick_tasks(const struct cgroup_job *j, double *v)
{
    *v = (double)j->tasks;
    return j->known & CGJ_TASKS;
}

static void family(struct render *r, const struct cgroup_model *m, const char *name,
                   enum mtype type, const char *help, pick_fn pick)
{
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        double v;
        if (!pick(&m->jobs[i], &v))
            continue;
        if (!any)
            render_family(r, name, type, help);
        any = true;
        char id[16];
        snprintf(id, sizeof(id), "%u", m->jobs[i].job_id);
        struct label l[1] = {{"job_id", id}};
        render_sample(r, l, 1, v);
    }
}

void collect_cgroup(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct cgroup_model *m = view_cgroup(v);
    if (!m)
        return;
    render_family(r, "slurm_cgroup_hierarchies", M_GAUGE,
                  "Slurm cgroup hierarchies found under --cgroup.root by cgroup version "
                  "(v2: slurmstepd scopes; v1: slurm directories of the memory or cpuacct "
                  "controller); 0 for both: no job cgroups can be seen.");
    struct label l1[1] = {{"version", "1"}}, l2[1] = {{"version", "2"}};
    render_sample(r, l1, 1, m->scopes_v1);
    render_sample(r, l2, 1, m->scopes_v2);
    render_gauge1(r, "slurm_cgroup_jobs",
                  "Job cgroups found on this node whose job id is known (the jobs with "
                  "per-job series).",
                  (double)m->n);
    render_gauge1(r, "slurm_cgroup_jobs_unresolved",
                  "Job cgroups named by SLUID (Slurm 26.05 cgroup v2) whose job id neither "
                  "their slurmstepd's process title nor squeue has given (yet); they have no "
                  "per-job series.",
                  (double)m->unresolved);
    render_gauge1(r, "slurm_cgroup_unknown_directories",
                  "Directories beside the job cgroups (in a slurmstepd scope or a v1 uid_ "
                  "directory) named neither job_<id> nor by a SLUID; skipped.",
                  (double)m->unknown_dirs);
    render_family(r, "slurm_cgroup_sluid_lookups", M_COUNTER,
                  "squeue runs mapping a job cgroup's SLUID to its job id (one per new SLUID "
                  "whose slurmstepd's process title does not name it; 0 where titles are "
                  "readable).");
    render_sample(r, NULL, 0, (double)m->lookups);

    family(r, m, "slurm_job_cgroup_cpu_seconds", M_COUNTER,
           "CPU time used by the job's processes on this node (cpu.stat usage_usec; v1 "
           "cpuacct.usage).",
           pick_cpu);
    family(r, m, "slurm_job_cgroup_memory_bytes", M_GAUGE,
           "Memory charged to the job's cgroup on this node, page cache included "
           "(memory.current; v1 memory.usage_in_bytes).",
           pick_mem);
    family(r, m, "slurm_job_cgroup_memory_peak_bytes", M_GAUGE,
           "Highest memory charged to the job's cgroup on this node (memory.peak, kernel 5.19+; "
           "v1 memory.max_usage_in_bytes).",
           pick_peak);
    family(r, m, "slurm_job_cgroup_memory_limit_bytes", M_GAUGE,
           "Memory limit of the job's cgroup on this node (memory.max; v1 "
           "memory.limit_in_bytes); no series when unlimited.",
           pick_limit);
    family(r, m, "slurm_job_cgroup_io_read_bytes", M_COUNTER,
           "Bytes the job read from block devices on this node (io.stat rbytes, all devices).",
           pick_read);
    family(r, m, "slurm_job_cgroup_io_write_bytes", M_COUNTER,
           "Bytes the job wrote to block devices on this node (io.stat wbytes, all devices).",
           pick_write);
    family(r, m, "slurm_job_cgroup_tasks", M_GAUGE,
           "Processes and threads in the job's cgroup on this node (pids.current).", pick_tasks);
    o->series_dropped += m->dropped;
}
