/* SPDX-License-Identifier: Apache-2.0 */
/* Accounting collector: finished jobs from slurmdbd (sacct), each counted
 * once since counting began (see docs/metrics.md). Counters and histograms
 * are cumulative: the source's state keeps them and each refresh's model
 * carries a copy, already sorted. */
#include "collectors/collector.h"
#include "model/accounting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The figures of a group (struct acct_sums), as sample values. */
static double sv_cpu_used(const struct acct_sums *s)
{
    return s->cpu_used;
}
static double sv_cpu_alloc(const struct acct_sums *s)
{
    return s->cpu_alloc;
}
static double sv_mem_used(const struct acct_sums *s)
{
    return s->mem_used;
}
static double sv_mem_alloc(const struct acct_sums *s)
{
    return s->mem_alloc;
}
static double sv_mem_unmeasured(const struct acct_sums *s)
{
    return (double)s->mem_unmeasured;
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

/* The group figures: family name after the prefix, help, value. */
static const struct {
    const char *name, *help;
    double (*value)(const struct acct_sums *);
} sum_families[] = {
    {"cpu_used_seconds", "CPU time (user + system, TotalCPU) of the finished jobs that ran.",
     sv_cpu_used},
    {"cpu_allocated_seconds",
     "Allocated CPU time (elapsed x allocated CPUs) of the finished jobs that ran.", sv_cpu_alloc},
    {"memory_used_byte_seconds",
     "Used memory x elapsed time of the finished jobs that ran with a memory sample and "
     "allocated memory (the peak as the memory efficiency histogram estimates it: largest step "
     "MaxRSS x its tasks). Summed over the same jobs as the allocated memory-seconds: used / "
     "allocated is their memory efficiency, allocated - used their waste.",
     sv_mem_used},
    {"memory_allocated_byte_seconds",
     "Allocated memory (AllocTRES mem=) x elapsed time of the finished jobs that ran with a "
     "memory sample and allocated memory; the jobs without either are left out of both memory "
     "counters (and counted as unmeasured).",
     sv_mem_alloc},
    {"memory_unmeasured_jobs",
     "Finished jobs that ran but add to neither memory counter: no memory sample (MaxRSS) in "
     "any step, or no mem= in AllocTRES.",
     sv_mem_unmeasured},
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
            render_sample(r, l, users ? 3 : 2, sum_families[k].value(&g[i].s));
        }
    }
}

/* ---- jontk's names (--compat=jontk) -----------------------------------------
 * The names of jontk/slurm-exporter's Prometheus integration guide, from the
 * same counted jobs (docs/metrics.md, "jontk"): counters by partition and
 * account (and user with --accounting.users), CPU time in hours, memory in
 * GB (1e9 bytes) x hours. */

#define HOUR 3600.0
#define GB 1e9

/* One family over a group table: partition, account (and user) labels. */
static void jontk_by_group(struct render *r, const struct strtab *t, const struct acct_group *g,
                           size_t n, bool users, const char *name, enum mtype type,
                           const char *help, double (*value)(const struct acct_sums *))
{
    render_family(r, name, type, help);
    for (size_t i = 0; i < n; i++) {
        struct label l[3] = {{"partition", strtab_get(t, g[i].partition)},
                             {"account", strtab_get(t, g[i].account)},
                             {"user", users ? strtab_get(t, g[i].user) : ""}};
        render_sample(r, l, users ? 3 : 2, value(&g[i].s));
    }
}

static double jv_completed(const struct acct_sums *s)
{
    return (double)s->jobs[ACCT_COMPLETED];
}
static double jv_failed(const struct acct_sums *s)
{
    return (double)s->jobs[ACCT_FAILED];
}
static double jv_cpu_hours(const struct acct_sums *s)
{
    return s->cpu_alloc / HOUR;
}
static double jv_cpu_waste(const struct acct_sums *s)
{
    return s->cpu_waste / HOUR;
}
static double jv_mem_waste(const struct acct_sums *s)
{
    return s->mem_waste / GB / HOUR;
}

struct jontk_acct {
    uint32_t account, user, partition;
    double cpu_used;
};

/* By account and user; then by partition, so that the sums are added in
 * one order (the same bytes on every render). */
static int cmp_jontk_key(const struct jontk_acct *x, const struct jontk_acct *y,
                         const struct strtab *t)
{
    int c = strcmp(strtab_get(t, x->account), strtab_get(t, y->account));
    if (c || x->user == ACCT_NO_USER)
        return c;
    return strcmp(strtab_get(t, x->user), strtab_get(t, y->user));
}

static int cmp_jontk_acct(const void *a, const void *b, void *ctx)
{
    const struct jontk_acct *x = a, *y = b;
    int c = cmp_jontk_key(x, y, ctx);
    return c ? c : strcmp(strtab_get(ctx, x->partition), strtab_get(ctx, y->partition));
}

/* slurm_account_cpu_hours_used_total: labels account (and user), summed
 * over the partitions, as jontk's catalogue lists it. */
static void jontk_account_hours(struct render *r, const struct strtab *t,
                                const struct acct_group *g, size_t n, bool users)
{
    render_family(
        r, "slurm_account_cpu_hours_used", M_COUNTER,
        "jontk compat: CPU time used (TotalCPU) by the finished jobs of each account (and "
        "user with --accounting.users), in hours, all partitions together.");
    struct jontk_acct *a = xmalloc((n + 1) * sizeof(*a));
    for (size_t i = 0; i < n; i++)
        a[i] = (struct jontk_acct){g[i].account, users ? g[i].user : ACCT_NO_USER, g[i].partition,
                                   g[i].s.cpu_used};
    if (n > 1)
        qsort_r(a, n, sizeof(*a), cmp_jontk_acct, (void *)t);
    for (size_t i = 0; i < n;) {
        size_t k = i;
        double v = 0;
        while (k < n && cmp_jontk_key(&a[i], &a[k], t) == 0)
            v += a[k++].cpu_used;
        struct label l[2] = {{"account", strtab_get(t, a[i].account)},
                             {"user", users ? strtab_get(t, a[i].user) : ""}};
        render_sample(r, l, users ? 2 : 1, v / HOUR);
        i = k;
    }
    free(a);
}

/* slurm_job_cpu_efficiency_ratio: per partition, CPU time used / allocated
 * of all the jobs counted there (the groups are sorted by partition). */
static void jontk_efficiency(struct render *r, const struct acct_model *m)
{
    render_family(r, "slurm_job_cpu_efficiency_ratio", M_GAUGE,
                  "jontk compat: CPU efficiency of the finished jobs of each partition since "
                  "counting began: their TotalCPU / (elapsed x allocated CPUs); absent while "
                  "none has allocated CPU time.");
    const struct strtab *t = &m->strs;
    for (size_t i = 0; i < m->ngroups;) {
        size_t k = i;
        double used = 0, alloc = 0;
        while (k < m->ngroups && m->groups[k].partition == m->groups[i].partition) {
            used += m->groups[k].s.cpu_used;
            alloc += m->groups[k].s.cpu_alloc;
            k++;
        }
        if (alloc > 0) {
            struct label l[1] = {{"partition", strtab_get(t, m->groups[i].partition)}};
            render_sample(r, l, 1, used / alloc);
        }
        i = k;
    }
}

static void jontk_families(struct render *r, const struct acct_model *m)
{
    const struct strtab *t = &m->strs;
    bool users = m->users;
    const struct acct_group *g = users ? m->ugroups : m->groups;
    size_t n = users ? m->nugroups : m->ngroups;
    jontk_by_group(r, t, g, n, users, "slurm_jobs_completed", M_COUNTER,
                   "jontk compat: finished jobs whose final state is COMPLETED.", jv_completed);
    jontk_by_group(r, t, g, n, users, "slurm_jobs_failed", M_COUNTER,
                   "jontk compat: finished jobs whose final state is FAILED (other unsuccessful "
                   "ends are in slurm_accounting_jobs_total by state).",
                   jv_failed);
    jontk_account_hours(r, t, g, n, users);
    jontk_by_group(r, t, g, n, users, "slurm_job_cpu_hours", M_COUNTER,
                   "jontk compat: CPU time allocated to the finished jobs (elapsed x allocated "
                   "CPUs), in hours.",
                   jv_cpu_hours);
    jontk_by_group(r, t, g, n, users, "slurm_job_waste_cpu_hours", M_GAUGE,
                   "jontk compat: allocated CPU time the finished jobs did not use, in hours: the "
                   "sum over jobs of max(0, elapsed x CPUs - TotalCPU). Only grows (a counter "
                   "without _total, typed gauge as jontk has it): use rate() or increase().",
                   jv_cpu_waste);
    jontk_by_group(r, t, g, n, users, "slurm_job_waste_memory_gb_hours", M_GAUGE,
                   "jontk compat: allocated memory the finished jobs did not use, in GB (1e9 "
                   "bytes) x hours: the sum over the jobs with a memory sample and mem= of max(0, "
                   "allocated - peak) x elapsed. Only grows (typed gauge as jontk has it): use "
                   "rate() or increase().",
                   jv_mem_waste);
    render_family(r, "slurm_job_wait_time_seconds", M_HISTOGRAM,
                  "jontk compat: queue wait of the finished jobs that ran, as "
                  "slurm_accounting_job_queue_wait_seconds.");
    for (size_t i = 0; i < m->nparts; i++) {
        const struct acct_hist *h = &m->parts[i].h[ACCT_H_WAIT];
        struct label l[1] = {{"partition", strtab_get(t, m->parts[i].partition)}};
        render_histogram(r, l, 1, acct_bounds[ACCT_H_WAIT], h->counts, acct_nbounds[ACCT_H_WAIT],
                         h->sum, h->count);
    }
    jontk_efficiency(r, m);
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
    render_family(r, "slurm_accounting_revised_records", M_COUNTER,
                  "Counted jobs whose TotalCPU had changed when an overlapping window read them "
                  "again (they count with the first figure): raise --accounting.settle when this "
                  "rises.");
    render_sample(r, NULL, 0, (double)m->tot.revised);
    if (m->floor > 0) {
        render_gauge1(r, "slurm_accounting_counting_since_timestamp_seconds",
                      "Jobs that finished before this time are not counted (start of the "
                      "exporter, --accounting.since, or the restored state file).",
                      (double)m->floor);
    }
    render_gauge1(r, "slurm_accounting_window_end_timestamp_seconds",
                  "End of the last window read: every job that finished up to here (minus "
                  "slurmdbd's recording delay) is counted.",
                  (double)m->window_end);
    render_gauge1(r, "slurm_accounting_remembered_jobs",
                  "Jobs remembered so that the next, overlapping window does not count them "
                  "again.",
                  (double)m->seen);
    render_gauge1(r, "slurm_accounting_incomplete_records",
                  "Records of the last window not counted yet because slurmdbd had not completed "
                  "them (no partition yet); the next, overlapping window reads them again.",
                  (double)m->incomplete);
    if (v->compat & COMPAT_JONTK)
        jontk_families(r, m);
}
