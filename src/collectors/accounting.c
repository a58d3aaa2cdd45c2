/* SPDX-License-Identifier: Apache-2.0 */
/* Accounting collector: finished jobs from slurmdbd (sacct), each counted
 * once since counting began (see docs/metrics.md). Counters and histograms
 * are cumulative: the source's state keeps them and each refresh's model
 * carries a copy, already sorted. */
#include "collectors/collector.h"
#include "model/accounting.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A field of struct acct_sums by its offset: a job count or a double. */
static double sum_value(const struct acct_sums *s, size_t off, bool count)
{
    const unsigned char *p = (const unsigned char *)s + off;
    if (count) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return (double)v;
    }
    double d;
    memcpy(&d, p, sizeof(d));
    return d;
}

static void hist_family(struct render *r, const struct acct_model *m, int kind, const char *name,
                        const char *help)
{
    render_family(r, name, M_HISTOGRAM, help);
    for (size_t i = 0; i < m->nparts; i++) {
        const struct acct_hist *h = &m->parts[i].h[kind];
        struct label l[1] = {{"partition", strtab_get(&m->strs, m->parts[i].partition)}};
        render_histogram(r, l, 1, acct_bounds[kind], h->counts, acct_nbounds[kind], h->sum,
                         h->count);
    }
}

void collect_accounting(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    const struct acct_model *m = view_acct(v);
    if (!m)
        return;
    if (!m->committed)
        return;
    const struct strtab *t = &m->strs;

    render_family(r, "slurm_accounting_jobs", M_COUNTER,
                  "Finished jobs by final state, partition and account, each counted once, since "
                  "counting began (slurm_accounting_counting_since_timestamp_seconds).");
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct acct_group *g = &m->groups[i];
        for (int s = 0; s < ACCT_STATE_COUNT; s++) {
            struct label l[3] = {{"partition", strtab_get(t, g->partition)},
                                 {"account", strtab_get(t, g->account)},
                                 {"state", acct_state_names[s]}};
            render_sample(r, l, 3, (double)g->s.jobs[s]);
        }
    }
    static const struct {
        const char *name, *help;
        size_t off;
        bool count; /* a uint64_t job count, else a double */
    } sums[] = {
        {"slurm_accounting_cpu_used_seconds",
         "CPU time (user + system, TotalCPU) of the finished jobs that ran.",
         offsetof(struct acct_sums, cpu_used), false},
        {"slurm_accounting_cpu_allocated_seconds",
         "Allocated CPU time (elapsed x allocated CPUs) of the finished jobs that ran.",
         offsetof(struct acct_sums, cpu_alloc), false},
        {"slurm_accounting_memory_used_byte_seconds",
         "Used memory x elapsed time of the finished jobs that ran with a memory sample and "
         "allocated memory (the peak as the memory efficiency histogram estimates it: largest "
         "step MaxRSS x its tasks). Summed over the same jobs as "
         "slurm_accounting_memory_allocated_byte_seconds_total: used / allocated is their "
         "memory efficiency, allocated - used their waste.",
         offsetof(struct acct_sums, mem_used), false},
        {"slurm_accounting_memory_allocated_byte_seconds",
         "Allocated memory (AllocTRES mem=) x elapsed time of the finished jobs that ran with a "
         "memory sample and allocated memory; the jobs without either are left out of both "
         "memory counters (slurm_accounting_memory_unmeasured_jobs_total).",
         offsetof(struct acct_sums, mem_alloc), false},
        {"slurm_accounting_memory_unmeasured_jobs",
         "Finished jobs that ran but add to neither memory counter: no memory sample (MaxRSS) "
         "in any step, or no mem= in AllocTRES.",
         offsetof(struct acct_sums, mem_unmeasured), true},
    };
    for (size_t k = 0; k < sizeof(sums) / sizeof(sums[0]); k++) {
        render_family(r, sums[k].name, M_COUNTER, sums[k].help);
        for (size_t i = 0; i < m->ngroups; i++) {
            const struct acct_group *g = &m->groups[i];
            struct label l[2] = {{"partition", strtab_get(t, g->partition)},
                                 {"account", strtab_get(t, g->account)}};
            render_sample(r, l, 2, sum_value(&g->s, sums[k].off, sums[k].count));
        }
    }
    hist_family(r, m, ACCT_H_WAIT, "slurm_accounting_job_queue_wait_seconds",
                "Queue wait of finished jobs that ran: start - eligible time (submit time when "
                "unknown).");
    hist_family(r, m, ACCT_H_RUN, "slurm_accounting_job_run_seconds",
                "Run time (ElapsedRaw: end - start - suspended) of finished jobs that ran.");
    hist_family(r, m, ACCT_H_CPU_EFF, "slurm_accounting_job_cpu_efficiency",
                "CPU efficiency of finished jobs: TotalCPU / (elapsed x allocated CPUs).");
    hist_family(r, m, ACCT_H_MEM_EFF, "slurm_accounting_job_memory_efficiency",
                "Memory efficiency of finished jobs with a memory sample: peak (largest step "
                "MaxRSS x its tasks) / allocated memory.");

    render_family(r, "slurm_accounting_records", M_COUNTER,
                  "Finished-job records read from slurmdbd by outcome: counted, duplicate (read "
                  "again by an overlapping window, not counted again), dropped (series limit).");
    static const char *const res[3] = {"counted", "duplicate", "dropped"};
    double vals[3] = {(double)m->tot.counted, (double)m->tot.duplicates, (double)m->tot.dropped};
    for (int k = 0; k < 3; k++) {
        struct label l[1] = {{"result", res[k]}};
        render_sample(r, l, 1, vals[k]);
    }
    render_family(r, "slurm_accounting_late_records", M_COUNTER,
                  "Counted jobs that slurmdbd recorded after the window holding their end time "
                  "had been read (found by the overlap).");
    render_sample(r, NULL, 0, (double)m->tot.late);
    if (m->floor > 0) {
        render_family(r, "slurm_accounting_counting_since_timestamp_seconds", M_GAUGE,
                      "Jobs that finished before this time are not counted (start of the "
                      "exporter, --accounting.since, or the restored state file).");
        render_sample(r, NULL, 0, (double)m->floor);
    }
    render_family(r, "slurm_accounting_window_end_timestamp_seconds", M_GAUGE,
                  "End of the last window read: every job that finished up to here (minus "
                  "slurmdbd's recording delay) is counted.");
    render_sample(r, NULL, 0, (double)m->window_end);
    render_family(r, "slurm_accounting_remembered_jobs", M_GAUGE,
                  "Jobs remembered so that the next, overlapping window does not count them "
                  "again.");
    render_sample(r, NULL, 0, (double)m->seen);
    render_family(r, "slurm_accounting_incomplete_records", M_GAUGE,
                  "Records of the last window not counted yet because slurmdbd had not completed "
                  "them (no partition yet); the next, overlapping window reads them again.");
    render_sample(r, NULL, 0, (double)m->incomplete);
}
