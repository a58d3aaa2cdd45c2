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

/* The group figures (struct acct_sums): family name after the prefix, help,
 * the field. */
static const struct {
    const char *name, *help;
    size_t off;
    bool count; /* a uint64_t job count, else a double */
} sum_families[] = {
    {"cpu_used_seconds", "CPU time (user + system, TotalCPU) of the finished jobs that ran.",
     offsetof(struct acct_sums, cpu_used), false},
    {"cpu_allocated_seconds",
     "Allocated CPU time (elapsed x allocated CPUs) of the finished jobs that ran.",
     offsetof(struct acct_sums, cpu_alloc), false},
    {"memory_used_byte_seconds",
     "Used memory x elapsed time of the finished jobs that ran with a memory sample and "
     "allocated memory (the peak as the memory efficiency histogram estimates it: largest step "
     "MaxRSS x its tasks). Summed over the same jobs as the allocated memory-seconds: used / "
     "allocated is their memory efficiency, allocated - used their waste.",
     offsetof(struct acct_sums, mem_used), false},
    {"memory_allocated_byte_seconds",
     "Allocated memory (AllocTRES mem=) x elapsed time of the finished jobs that ran with a "
     "memory sample and allocated memory; the jobs without either are left out of both memory "
     "counters (and counted as unmeasured).",
     offsetof(struct acct_sums, mem_alloc), false},
    {"memory_unmeasured_jobs",
     "Finished jobs that ran but add to neither memory counter: no memory sample (MaxRSS) in "
     "any step, or no mem= in AllocTRES.",
     offsetof(struct acct_sums, mem_unmeasured), true},
};

/* The jobs by state and the figures of a group table: per partition and
 * account (prefix "slurm_accounting_"), or per partition, account and user
 * ("slurm_accounting_user_"). */
static void group_families(struct render *r, const struct strtab *t, const struct acct_group *g,
                           size_t n, bool users)
{
    const char *prefix = users ? "slurm_accounting_user_" : "slurm_accounting_";
    const char *per = users ? " Per partition, account and user (--accounting.users)." : "";
    char name[96], help[640];
    snprintf(name, sizeof(name), "%sjobs", prefix);
    snprintf(help, sizeof(help),
             "Finished jobs by final state, partition and account, each counted once, since "
             "counting began (slurm_accounting_counting_since_timestamp_seconds).%s",
             per);
    render_family(r, name, M_COUNTER, help);
    for (size_t i = 0; i < n; i++) {
        for (int s = 0; s < ACCT_STATE_COUNT; s++) {
            struct label l[4] = {{"partition", strtab_get(t, g[i].partition)},
                                 {"account", strtab_get(t, g[i].account)},
                                 {"user", users ? strtab_get(t, g[i].user) : ""},
                                 {"state", acct_state_names[s]}};
            if (!users)
                l[2] = l[3];
            render_sample(r, l, users ? 4 : 3, (double)g[i].s.jobs[s]);
        }
    }
    for (size_t k = 0; k < sizeof(sum_families) / sizeof(sum_families[0]); k++) {
        snprintf(name, sizeof(name), "%s%s", prefix, sum_families[k].name);
        snprintf(help, sizeof(help), "%s%s", sum_families[k].help, per);
        render_family(r, name, M_COUNTER, help);
        for (size_t i = 0; i < n; i++) {
            struct label l[3] = {{"partition", strtab_get(t, g[i].partition)},
                                 {"account", strtab_get(t, g[i].account)},
                                 {"user", users ? strtab_get(t, g[i].user) : ""}};
            render_sample(r, l, users ? 3 : 2,
                          sum_value(&g[i].s, sum_families[k].off, sum_families[k].count));
        }
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

    group_families(r, &m->strs, m->groups, m->ngroups, false);
    if (m->users)
        group_families(r, &m->strs, m->ugroups, m->nugroups, true);
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
    if (m->users) {
        render_family(r, "slurm_accounting_user_dropped_jobs", M_COUNTER,
                      "Counted finished jobs left out of the per-user counters: a new partition, "
                      "account and user over --collector.series-limit (--accounting.users).");
        render_sample(r, NULL, 0, (double)m->tot.user_dropped);
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
