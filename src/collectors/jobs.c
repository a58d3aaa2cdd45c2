/* SPDX-License-Identifier: Apache-2.0 */
/* Jobs collector: the queue by partition, state, user, account and pending
 * reason, from the squeue dataset.
 *
 * Counting rules (see docs/metrics.md):
 *  - every array task is a job of its own (squeue -r);
 *  - a job that lists several partitions ("a,b": pending, or ended before it
 *    started) counts once in each partition-labelled series, and once in
 *    the user, account and slurm_queue_* series, so sums over those give
 *    exact cluster totals;
 *  - CPUs, memory and GPUs are the job's totals over all its nodes:
 *    allocated once running, requested while pending. */
#include "collectors/collector.h"
#include "util/agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V_JOBS, V_CPUS, V_MEM, V_GPUS };

/* The HELP of every family where a job that lists several partitions
 * counts in each of them says so and names the family that counts it once. */
#define MULTI_PART_NOTE                                                                            \
    " A job listing several partitions counts in each; %s counts every job once."

static void emit4(struct render *r, struct agg *a, const char *lname, const struct strtab *names,
                  const char *prefix, const char *what)
{
    static const char *const suffix[4] = {"jobs", "cpus", "memory_bytes", "gpus"};
    static const char *const helps[4][2] = {
        {"Jobs (array tasks counted singly) by ", " and state."},
        {"CPUs of jobs by ", " and state: allocated when running, requested when pending."},
        {"Memory of jobs in bytes by ", " and state: the job's total over all its nodes."},
        {"GPUs (gres/gpu) of jobs by ", " and state: the job's total over all its nodes."},
    };
    for (int k = 0; k < 4; k++) {
        char name[96], help[320];
        bool per_part = strcmp(prefix, "slurm_jobs_") == 0;
        if (k == 0 && per_part)
            snprintf(name, sizeof(name), "slurm_jobs");
        else
            snprintf(name, sizeof(name), "%s%s", prefix, suffix[k]);
        int n = snprintf(help, sizeof(help), "%s%s%s", helps[k][0], what, helps[k][1]);
        if (per_part && n > 0 && (size_t)n < sizeof(help)) {
            char once[64];
            snprintf(once, sizeof(once), "slurm_queue_%s", suffix[k]);
            snprintf(help + n, sizeof(help) - (size_t)n, MULTI_PART_NOTE, once);
        }
        render_family(r, name, M_GAUGE, help);
        for (size_t i = 0; i < a->n; i++) {
            struct label l[2] = {{lname, strtab_get(names, a->rows[i].key[0])},
                                 {"state", job_state_names[a->rows[i].key[1]]}};
            render_sample(r, l, 2, a->rows[i].v[k]);
        }
    }
}

static void add4(struct agg *a, uint32_t k0, uint32_t k1, const struct job *j)
{
    uint32_t key[AGG_MAX_KEYS] = {k0, k1, 0};
    struct agg_row *row = agg_get(a, key);
    if (!row)
        return;
    row->v[V_JOBS] += 1;
    row->v[V_CPUS] += j->cpus;
    row->v[V_MEM] += (double)j->mem_bytes;
    row->v[V_GPUS] += j->gpus;
}

/* The whole queue by state, and pending jobs by reason: every job counted
 * once (a job listing several partitions is one job), so sum() over these
 * is the cluster's count. */
static void emit_queue(struct render *r, struct agg *q, struct agg *reason,
                       const struct strtab *strs)
{
    static const char *const suffix[4] = {"jobs", "cpus", "memory_bytes", "gpus"};
    static const char *const helps[4] = {
        "Jobs in the queue by state, each counted once (array tasks singly), whatever "
        "partitions it lists.",
        "CPUs of the jobs in the queue by state, each job once: allocated when running, "
        "requested when pending.",
        "Memory of the jobs in the queue in bytes by state, each job once: its total over all "
        "its nodes.",
        "GPUs (gres/gpu) of the jobs in the queue by state, each job once: its total over all "
        "its nodes.",
    };
    const struct strtab *by_key[3] = {NULL, NULL, NULL}; /* states in enum order */
    agg_sort(q, cmp_rows_by_names, (void *)by_key);
    for (int k = 0; k < 4; k++) {
        char name[64];
        snprintf(name, sizeof(name), "slurm_queue_%s", suffix[k]);
        render_family(r, name, M_GAUGE, helps[k]);
        for (size_t i = 0; i < q->n; i++) {
            struct label l[1] = {{"state", job_state_names[q->rows[i].key[0]]}};
            render_sample(r, l, 1, q->rows[i].v[k]);
        }
    }
    const struct strtab *t[3] = {strs, NULL, NULL};
    agg_sort(reason, cmp_rows_by_names, (void *)t);
    render_family(r, "slurm_queue_jobs_pending", M_GAUGE,
                  "Pending jobs by Slurm's short reason code, each counted once whatever "
                  "partitions it lists.");
    for (size_t i = 0; i < reason->n; i++) {
        struct label l[1] = {{"reason", strtab_get(strs, reason->rows[i].key[0])}};
        render_sample(r, l, 1, reason->rows[i].v[0]);
    }
}

void collect_jobs(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct jobs_model *m = v->ds[DS_JOBS]->u.jobs;
    struct namemap nm;
    namemap_init(&nm);
    /* jobs-strtab id -> local partition id (UINT32_MAX = not mapped yet) */
    uint32_t *pmap = malloc(m->strs.count * sizeof(uint32_t));
    for (uint32_t i = 0; i < m->strs.count; i++)
        pmap[i] = UINT32_MAX;

    struct agg by_part, by_reason, by_user, by_account, oldest, queue, queue_reason;
    agg_init(&queue, v->series_limit);
    agg_init(&queue_reason, v->series_limit);
    agg_init(&by_part, v->series_limit);
    agg_init(&by_reason, v->series_limit);
    agg_init(&by_user, v->series_limit);
    agg_init(&by_account, v->series_limit);
    agg_init(&oldest, v->series_limit);

    /* Every partition the partitions dataset knows gets zero rows below. */
    const struct dataset_result *pds = v->ds[DS_PARTITIONS];
    if (pds) {
        const struct partitions_model *pm = pds->u.parts;
        for (size_t i = 0; i < pm->n; i++)
            namemap_id(&nm, strtab_get(&pm->strs, pm->parts[i].name));
    }

    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        const struct id_list *pl = &m->part_lists[j->partition];
        for (uint32_t k = 0; k < pl->n; k++) {
            uint32_t sid = pl->ids[k];
            if (pmap[sid] == UINT32_MAX)
                pmap[sid] = namemap_id(&nm, strtab_get(&m->strs, sid));
            uint32_t pid = pmap[sid];
            add4(&by_part, pid, j->state, j);
            if (j->state == JOB_PENDING) {
                struct agg_row *row =
                    agg_get(&by_reason, (uint32_t[AGG_MAX_KEYS]){pid, j->reason, 0});
                if (row)
                    row->v[0] += 1;
                /* Waiting counts from eligibility: held jobs and --begin
                 * jobs in the future do not age. */
                int64_t since = j->eligible ? j->eligible : 0;
                if (since > 0 && (double)since <= v->now) {
                    struct agg_row *orow = agg_get(&oldest, (uint32_t[AGG_MAX_KEYS]){pid, 0, 0});
                    double age = v->now - (double)since;
                    if (orow && age > orow->v[0])
                        orow->v[0] = age;
                }
            }
        }
        add4(&by_user, j->user, j->state, j);
        add4(&by_account, j->account, j->state, j);
        /* The whole queue: every job once, whatever partitions it lists. */
        add4(&queue, j->state, 0, j);
        if (j->state == JOB_PENDING) {
            struct agg_row *row = agg_get(&queue_reason, (uint32_t[AGG_MAX_KEYS]){j->reason, 0, 0});
            if (row)
                row->v[0] += 1;
        }
    }

    /* Zero rows for every known partition and the common states, so a
     * partition with no jobs reads 0 rather than "no data". They come after
     * the real data so that the series limit drops zeros first. */
    for (uint32_t pid = 1; pid < nm.names.count; pid++) {
        for (uint32_t s = 0; s < JOB_STATE_ALWAYS; s++)
            agg_get(&by_part, (uint32_t[AGG_MAX_KEYS]){pid, s, 0});
        agg_get(&oldest, (uint32_t[AGG_MAX_KEYS]){pid, 0, 0});
    }
    for (uint32_t s = 0; s < JOB_STATE_ALWAYS; s++)
        agg_get(&queue, (uint32_t[AGG_MAX_KEYS]){s, 0, 0});

    const struct strtab *local3[3] = {&nm.names, NULL, NULL};
    const struct strtab *jobs3[3] = {&m->strs, NULL, NULL};
    agg_sort(&by_part, cmp_rows_by_names, (void *)local3);
    agg_sort(&by_user, cmp_rows_by_names, (void *)jobs3);
    agg_sort(&by_account, cmp_rows_by_names, (void *)jobs3);
    agg_sort(&oldest, cmp_rows_by_names, (void *)local3);

    emit4(r, &by_part, "partition", &nm.names, "slurm_jobs_", "partition");
    emit_queue(r, &queue, &queue_reason, &m->strs);

    /* pending reasons: sort by partition name then reason name */
    {
        const struct strtab *t[3] = {&nm.names, &m->strs, NULL};
        agg_sort(&by_reason, cmp_rows_by_names, (void *)t);
        render_family(r, "slurm_jobs_pending", M_GAUGE,
                      "Pending jobs by partition and Slurm's short reason code. A job listing "
                      "several partitions counts in each; slurm_queue_jobs_pending counts every "
                      "job once.");
        for (size_t i = 0; i < by_reason.n; i++) {
            struct label l[2] = {{"partition", strtab_get(&nm.names, by_reason.rows[i].key[0])},
                                 {"reason", strtab_get(&m->strs, by_reason.rows[i].key[1])}};
            render_sample(r, l, 2, by_reason.rows[i].v[0]);
        }
    }
    render_family(r, "slurm_jobs_oldest_pending_age_seconds", M_GAUGE,
                  "Seconds the longest-waiting eligible pending job of the partition has been "
                  "eligible to start (0 when none). A job listing several partitions counts in "
                  "each; max() over partitions is the queue's oldest.");
    for (size_t i = 0; i < oldest.n; i++) {
        struct label l[1] = {{"partition", strtab_get(&nm.names, oldest.rows[i].key[0])}};
        render_sample(r, l, 1, oldest.rows[i].v[0]);
    }

    render_family(r, "slurm_jobs_queue_wait_seconds", M_HISTOGRAM,
                  "Time from eligibility (or submission) to start of jobs seen starting since "
                  "the exporter started, by partition.");
    for (size_t i = 0; i < m->wait_n; i++) {
        const struct wait_hist *h = &m->wait[i];
        struct label l[1] = {{"partition", strtab_get(&m->strs, h->partition)}};
        render_histogram(r, l, 1, wait_bucket_bounds, h->counts, WAIT_BUCKETS, h->sum, h->count);
    }

    emit4(r, &by_user, "user", &m->strs, "slurm_user_", "user");
    emit4(r, &by_account, "account", &m->strs, "slurm_account_", "account");

    o->series_dropped += by_part.dropped + by_reason.dropped + by_user.dropped +
                         by_account.dropped + oldest.dropped + queue.dropped + queue_reason.dropped;
    agg_free(&queue);
    agg_free(&queue_reason);
    agg_free(&by_part);
    agg_free(&by_reason);
    agg_free(&by_user);
    agg_free(&by_account);
    agg_free(&oldest);
    free(pmap);
    namemap_free(&nm);
}
