/* SPDX-License-Identifier: Apache-2.0 */
/* --compat: the metric names of the exporters that existing dashboards were
 * built on, computed from our datasets, beside our own names.
 *
 *  - vpenso (prometheus-slurm-exporter 0.20, Grafana dashboard 4323);
 *  - rivosinc (prometheus-slurm-exporter 1.x, Grafana dashboard 19835).
 *
 * Their units and label names are theirs (rivosinc's memory is Slurm MB x
 * 1e6), their counting follows our rules (array tasks singly; a pending job
 * listing several partitions counts in each). Families whose name and
 * meaning equal one of ours (slurm_partition_jobs_pending for vpenso,
 * slurm_cpu_load for rivosinc) are not written twice. The compat families of
 * the other collectors (scheduler, fairshare, licenses, limits, per node,
 * tracing) are written by those collectors. See docs/metrics.md. */
#include "collectors/collector.h"
#include "util/agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes one family from an agg table keyed by one strtab id (key[0]). */
static void by_name(struct render *r, const struct agg *a, int col, const char *fam,
                    const char *lname, const struct strtab *names, const char *help)
{
    render_family(r, fam, M_GAUGE, help);
    for (size_t i = 0; i < a->n; i++) {
        struct label l[1] = {{lname, strtab_get(names, a->rows[i].key[0])}};
        render_sample(r, l, 1, a->rows[i].v[col]);
    }
}

/* Same, keyed by (name, state); state names from names2 or job states. */
static void by_name_state(struct render *r, const struct agg *a, int col, const char *fam,
                          const char *lname, const struct strtab *names,
                          const char *const *state_names, const char *help)
{
    render_family(r, fam, M_GAUGE, help);
    for (size_t i = 0; i < a->n; i++) {
        struct label l[2] = {{lname, strtab_get(names, a->rows[i].key[0])},
                             {"state", state_names[a->rows[i].key[1]]}};
        render_sample(r, l, 2, a->rows[i].v[col]);
    }
}

static int cmp_first_name(const void *a, const void *b, void *ctx)
{
    const struct agg_row *x = a, *y = b;
    int c = strcmp(strtab_get(ctx, x->key[0]), strtab_get(ctx, y->key[0]));
    if (c)
        return c;
    return (x->key[1] > y->key[1]) - (x->key[1] < y->key[1]);
}

/* GPUs of a node: total and used of the gres named "gpu". */
static void node_gpus(const struct nodes_model *m, const struct node *nd, double *total,
                      double *used)
{
    *total = *used = 0;
    for (uint32_t g = nd->gres_first; g < nd->gres_first + nd->gres_count; g++) {
        if (strcmp(strtab_get(&m->strs, m->gres[g].name), "gpu") != 0)
            continue;
        *total += (double)m->gres[g].total;
        *used += (double)m->gres[g].used;
    }
}

/* sinfo's CPUsState (%C) split, which both vpenso and rivosinc's CLI mode
 * read: the unallocated CPUs of a node with DRAIN or base DOWN are "other",
 * of any other node (not responding, failed, powered down, ...) "idle"
 * (Slurm's src/sinfo/sinfo.c, _update_sinfo). */
static bool sinfo_cpus_other(const struct node *nd)
{
    return nd->base == NODE_BASE_DOWN || (nd->flags & (1u << NODE_FLAG_DRAIN));
}

/* ---- vpenso ---------------------------------------------------------------- */

/* vpenso counted nodes by the prefix of sinfo's state name (also the
 * goldentooth set's node states, compat_goldentooth.c). */
const char *compat_vpenso_node_bucket(const struct node *nd)
{
    switch (nd->state) {
    case NODE_STATE_ALLOCATED:
        return "alloc";
    case NODE_STATE_COMPLETING:
        return "comp";
    case NODE_STATE_DOWN:
        return "down";
    case NODE_STATE_DRAINED:
    case NODE_STATE_DRAINING:
        return "drain";
    case NODE_STATE_ERROR:
        return "err";
    case NODE_STATE_FAIL:
        return "fail";
    case NODE_STATE_MAINTENANCE:
        return "maint";
    case NODE_STATE_MIXED:
        return "mix";
    case NODE_STATE_RESERVED:
        return "resv";
    case NODE_STATE_IDLE:
        return "idle";
    default:
        break;
    }
    /* not responding, powered down, future, ...: sinfo prints the base state
     * with a suffix (idle*, idle~, mixed#): the base decides */
    switch (nd->base) {
    case NODE_BASE_ALLOCATED:
        return "alloc";
    case NODE_BASE_MIXED:
        return "mix";
    case NODE_BASE_DOWN:
        return "down";
    case NODE_BASE_ERROR:
        return "err";
    case NODE_BASE_IDLE:
        return "idle";
    default:
        return NULL;
    }
}

static void vpenso_jobs(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct dataset_result *jds = v->ds[DS_JOBS];
    if (!jds)
        return;
    const struct jobs_model *m = jds->u.jobs;
    enum { PEND, RUN, CPUS_RUN, SUSP };
    struct agg acc, usr;
    agg_init(&acc, v->series_limit);
    agg_init(&usr, v->series_limit);
    double q[JOB_STATE_COUNT] = {0};
    double pending_dep = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        q[j->state] += 1;
        if (j->state == JOB_PENDING && strcmp(strtab_get(&m->strs, j->reason), "Dependency") == 0)
            pending_dep += 1;
        int col = j->state == JOB_PENDING     ? PEND
                  : j->state == JOB_RUNNING   ? RUN
                  : j->state == JOB_SUSPENDED ? SUSP
                                              : -1;
        if (col < 0)
            continue;
        struct agg *t[2] = {&acc, &usr};
        uint32_t k[2] = {j->account, j->user};
        for (int x = 0; x < 2; x++) {
            struct agg_row *row = agg_get(t[x], (uint32_t[AGG_MAX_KEYS]){k[x], 0, 0});
            if (!row)
                continue;
            row->v[col] += 1;
            if (col == RUN)
                row->v[CPUS_RUN] += j->cpus;
        }
    }
    agg_sort(&acc, cmp_first_name, (void *)&m->strs);
    agg_sort(&usr, cmp_first_name, (void *)&m->strs);
    by_name(r, &acc, PEND, "slurm_account_jobs_pending", "account", &m->strs,
            "vpenso compat: pending jobs of the account.");
    by_name(r, &acc, RUN, "slurm_account_jobs_running", "account", &m->strs,
            "vpenso compat: running jobs of the account.");
    by_name(r, &acc, CPUS_RUN, "slurm_account_cpus_running", "account", &m->strs,
            "vpenso compat: CPUs of the account's running jobs.");
    by_name(r, &acc, SUSP, "slurm_account_jobs_suspended", "account", &m->strs,
            "vpenso compat: suspended jobs of the account.");
    by_name(r, &usr, PEND, "slurm_user_jobs_pending", "user", &m->strs,
            "vpenso compat: pending jobs of the user.");
    by_name(r, &usr, RUN, "slurm_user_jobs_running", "user", &m->strs,
            "vpenso compat: running jobs of the user.");
    by_name(r, &usr, CPUS_RUN, "slurm_user_cpus_running", "user", &m->strs,
            "vpenso compat: CPUs of the user's running jobs.");
    by_name(r, &usr, SUSP, "slurm_user_jobs_suspended", "user", &m->strs,
            "vpenso compat: suspended jobs of the user.");
    o->series_dropped += acc.dropped + usr.dropped;
    agg_free(&acc);
    agg_free(&usr);

    static const struct {
        const char *name;
        int state; /* -1: pending for a dependency */
    } queue[] = {
        {"slurm_queue_pending", JOB_PENDING},     {"slurm_queue_pending_dependency", -1},
        {"slurm_queue_running", JOB_RUNNING},     {"slurm_queue_suspended", JOB_SUSPENDED},
        {"slurm_queue_cancelled", JOB_CANCELLED}, {"slurm_queue_completing", JOB_COMPLETING},
        {"slurm_queue_completed", JOB_COMPLETED}, {"slurm_queue_configuring", JOB_CONFIGURING},
        {"slurm_queue_failed", JOB_FAILED},       {"slurm_queue_timeout", JOB_TIMEOUT},
        {"slurm_queue_preempted", JOB_PREEMPTED}, {"slurm_queue_node_fail", JOB_NODE_FAIL},
    };
    for (size_t i = 0; i < sizeof(queue) / sizeof(queue[0]); i++)
        render_gauge1(r, queue[i].name, "vpenso compat: jobs in the queue in this state.",
                      queue[i].state < 0 ? pending_dep : q[queue[i].state]);
}

static void vpenso_nodes(const struct view *v, struct render *r)
{
    const struct dataset_result *nds = v->ds[DS_NODES];
    if (!nds)
        return;
    const struct nodes_model *m = nds->u.nodes;
    double cpu_alloc = 0, cpu_idle = 0, cpu_other = 0, cpu_total = 0;
    double gpu_alloc = 0, gpu_other = 0, gpu_total = 0;
    static const char *const buckets[] = {"alloc", "comp", "down",  "drain", "err",
                                          "fail",  "idle", "maint", "mix",   "resv"};
    double nb[10] = {0};
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        bool unavail = node_unavailable(nd->state);
        cpu_total += nd->cpus_total;
        cpu_alloc += nd->cpus_alloc;
        double free_cpus = nd->cpus_total > nd->cpus_alloc ? nd->cpus_total - nd->cpus_alloc : 0;
        if (sinfo_cpus_other(nd))
            cpu_other += free_cpus;
        else
            cpu_idle += free_cpus;
        double gt, gu;
        node_gpus(m, nd, &gt, &gu);
        gpu_total += gt;
        gpu_alloc += gu;
        if (unavail && gt > gu)
            gpu_other += gt - gu;
        const char *b = compat_vpenso_node_bucket(nd);
        for (size_t k = 0; b && k < 10; k++)
            if (strcmp(b, buckets[k]) == 0)
                nb[k] += 1;
    }
    render_gauge1(r, "slurm_cpus_alloc", "vpenso compat: allocated CPUs.", cpu_alloc);
    render_gauge1(r, "slurm_cpus_idle",
                  "vpenso compat: unallocated CPUs of nodes neither drained nor down (sinfo %C).",
                  cpu_idle);
    render_gauge1(r, "slurm_cpus_other",
                  "vpenso compat: unallocated CPUs of drained or down nodes.", cpu_other);
    render_gauge1(r, "slurm_cpus_total", "vpenso compat: all CPUs.", cpu_total);
    render_gauge1(r, "slurm_gpus_alloc", "vpenso compat: allocated GPUs.", gpu_alloc);
    render_gauge1(r, "slurm_gpus_idle", "vpenso compat: idle GPUs on nodes that can run jobs.",
                  gpu_total - gpu_alloc - gpu_other);
    render_gauge1(r, "slurm_gpus_other",
                  "vpenso compat: unallocated GPUs on down or drained nodes.", gpu_other);
    render_gauge1(r, "slurm_gpus_total", "vpenso compat: all GPUs.", gpu_total);
    render_gauge1(r, "slurm_gpus_utilization", "vpenso compat: allocated GPUs / all GPUs (0 to 1).",
                  gpu_total > 0 ? gpu_alloc / gpu_total : 0);
    for (size_t k = 0; k < 10; k++) {
        char name[64];
        snprintf(name, sizeof(name), "slurm_nodes_%s", buckets[k]);
        render_gauge1(r, name, "vpenso compat: nodes whose sinfo state starts with this name.",
                      nb[k]);
    }
}

void compat_partition_cpus(const struct view *v, struct render *r, struct collect_out *o,
                           bool idle_other)
{
    const struct dataset_result *nds = v->ds[DS_NODES];
    if (!nds)
        return;
    const struct nodes_model *m = nds->u.nodes;
    enum { ALLOC, IDLE, OTHER, TOTAL };
    struct agg pa;
    agg_init(&pa, v->series_limit);
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        const struct id_list *pl = &m->part_lists[nd->partitions];
        double free_cpus = nd->cpus_total > nd->cpus_alloc ? nd->cpus_total - nd->cpus_alloc : 0;
        for (uint32_t k = 0; k < pl->n; k++) {
            struct agg_row *row = agg_get(&pa, (uint32_t[AGG_MAX_KEYS]){pl->ids[k], 0, 0});
            if (!row)
                continue;
            row->v[ALLOC] += nd->cpus_alloc;
            row->v[sinfo_cpus_other(nd) ? OTHER : IDLE] += free_cpus;
            row->v[TOTAL] += nd->cpus_total;
        }
    }
    agg_sort(&pa, cmp_first_name, (void *)&m->strs);
    by_name(r, &pa, ALLOC, "slurm_partition_cpus_allocated", "partition", &m->strs,
            "vpenso compat: allocated CPUs of the partition's nodes.");
    if (idle_other) {
        by_name(r, &pa, IDLE, "slurm_partition_cpus_idle", "partition", &m->strs,
                "vpenso compat: idle CPUs of the partition's nodes.");
        by_name(r, &pa, OTHER, "slurm_partition_cpus_other", "partition", &m->strs,
                "vpenso compat: unallocated CPUs of the partition's down or drained nodes.");
    }
    by_name(r, &pa, TOTAL, "slurm_partition_cpus_total", "partition", &m->strs,
            "vpenso compat: CPUs of the partition's nodes.");
    o->series_dropped += pa.dropped;
    agg_free(&pa);
}

void collect_compat_vpenso(const struct view *v, struct render *r, struct collect_out *o)
{
    vpenso_jobs(v, r, o);
    vpenso_nodes(v, r);
    compat_partition_cpus(v, r, o, true);
    collect_node_compat_vpenso(v, r, o);
}

/* ---- rivosinc -------------------------------------------------------------- */

/* rivosinc's memory figures are Slurm MB (MiB) multiplied by 1e6. */
static double riv_mem(double bytes)
{
    return bytes / 1048576.0 * 1e6;
}

static void rivosinc_nodes(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct dataset_result *nds = v->ds[DS_NODES];
    if (!nds)
        return;
    const struct nodes_model *m = nds->u.nodes;
    enum { P_CPUS, P_REAL, P_FREE, P_IDLE, P_LOAD, P_WEIGHT };
    enum { S_MEM, S_CPUS, S_NODES };
    struct agg part, pstate, cstate;
    agg_init(&part, v->series_limit);
    agg_init(&pstate, v->series_limit);
    agg_init(&cstate, v->series_limit);
    double cpus_total = 0, cpus_idle = 0, mem_real = 0, mem_free = 0, mem_alloc = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        double free_cpus = nd->cpus_total > nd->cpus_alloc ? nd->cpus_total - nd->cpus_alloc : 0;
        double idle = sinfo_cpus_other(nd) ? 0 : free_cpus;
        cpus_total += nd->cpus_total;
        cpus_idle += idle;
        mem_real += (double)nd->mem_total;
        mem_alloc += (double)nd->mem_alloc;
        if (nd->mem_free != UINT64_MAX)
            mem_free += (double)nd->mem_free;
        struct agg_row *cs = agg_get(&cstate, (uint32_t[AGG_MAX_KEYS]){nd->state, 0, 0});
        if (cs) { /* rivosinc summed every CPU of the nodes in the state */
            cs->v[S_CPUS] += nd->cpus_total;
            cs->v[S_NODES] += 1;
        }
        const struct id_list *pl = &m->part_lists[nd->partitions];
        for (uint32_t k = 0; k < pl->n; k++) {
            struct agg_row *row = agg_get(&part, (uint32_t[AGG_MAX_KEYS]){pl->ids[k], 0, 0});
            if (row) {
                row->v[P_CPUS] += nd->cpus_total;
                row->v[P_REAL] += (double)nd->mem_total;
                if (nd->mem_free != UINT64_MAX)
                    row->v[P_FREE] += (double)nd->mem_free;
                row->v[P_IDLE] += idle;
                if (!isnan(nd->cpu_load))
                    row->v[P_LOAD] += nd->cpu_load;
                row->v[P_WEIGHT] += nd->weight;
            }
            struct agg_row *ps =
                agg_get(&pstate, (uint32_t[AGG_MAX_KEYS]){pl->ids[k], nd->state, 0});
            if (ps) {
                ps->v[S_MEM] += (double)nd->mem_alloc;
                ps->v[S_CPUS] += nd->cpus_alloc;
                ps->v[S_NODES] += 1;
            }
        }
    }
    agg_sort(&part, cmp_first_name, (void *)&m->strs);
    agg_sort(&pstate, cmp_first_name, (void *)&m->strs);
    for (size_t i = 0; i < part.n; i++)
        for (int c = P_REAL; c <= P_FREE; c++)
            part.rows[i].v[c] = riv_mem(part.rows[i].v[c]);
    for (size_t i = 0; i < pstate.n; i++)
        pstate.rows[i].v[S_MEM] = riv_mem(pstate.rows[i].v[S_MEM]);
    by_name(r, &part, P_CPUS, "slurm_partition_total_cpus", "partition", &m->strs,
            "rivosinc compat: CPUs of the partition's nodes.");
    by_name(r, &part, P_REAL, "slurm_partition_real_mem", "partition", &m->strs,
            "rivosinc compat: memory of the partition's nodes (Slurm MB x 1e6).");
    by_name(r, &part, P_FREE, "slurm_partition_free_mem", "partition", &m->strs,
            "rivosinc compat: free memory of the partition's nodes (Slurm MB x 1e6).");
    by_name_state(
        r, &pstate, S_MEM, "slurm_partition_alloc_mem", "partition", &m->strs, node_state_names,
        "rivosinc compat: allocated memory by partition and node state (Slurm MB x 1e6).");
    by_name_state(r, &pstate, S_CPUS, "slurm_partition_alloc_cpus", "partition", &m->strs,
                  node_state_names, "rivosinc compat: allocated CPUs by partition and node state.");
    by_name_state(r, &pstate, S_NODES, "slurm_partition_node_count", "partition", &m->strs,
                  node_state_names, "rivosinc compat: nodes by partition and node state.");
    by_name(r, &part, P_IDLE, "slurm_partition_idle_cpus", "partition", &m->strs,
            "rivosinc compat: unallocated CPUs of the partition's nodes neither drained nor "
            "down (sinfo %C).");
    by_name(r, &part, P_LOAD, "slurm_partition_cpu_load", "partition", &m->strs,
            "rivosinc compat: sum of the CPU load of the partition's nodes.");
    by_name(r, &part, P_WEIGHT, "slurm_partition_weight", "partition", &m->strs,
            "rivosinc compat: sum of the scheduling weights (Weight) of the partition's nodes.");
    /* slurm_cpus_total and slurm_cpus_idle are vpenso's names too (same
     * meaning): written once. slurm_cpu_load is ours (nodes collector). */
    if (!(v->compat & COMPAT_VPENSO)) {
        render_gauge1(r, "slurm_cpus_total", "rivosinc compat: all CPUs.", cpus_total);
        render_gauge1(
            r, "slurm_cpus_idle",
            "rivosinc compat: unallocated CPUs of nodes neither drained nor down (sinfo %C).",
            cpus_idle);
    }
    render_family(r, "slurm_cpus_per_state", M_GAUGE,
                  "rivosinc compat: CPUs of the nodes in each node state (all their CPUs).");
    for (size_t i = 0; i < cstate.n; i++) {
        struct label l[1] = {{"state", node_state_names[cstate.rows[i].key[0]]}};
        render_sample(r, l, 1, cstate.rows[i].v[S_CPUS]);
    }
    render_family(r, "slurm_node_count_per_state", M_GAUGE,
                  "rivosinc compat: nodes by node state.");
    for (size_t i = 0; i < cstate.n; i++) {
        struct label l[1] = {{"state", node_state_names[cstate.rows[i].key[0]]}};
        render_sample(r, l, 1, cstate.rows[i].v[S_NODES]);
    }
    render_gauge1(r, "slurm_mem_real", "rivosinc compat: memory of all nodes (Slurm MB x 1e6).",
                  riv_mem(mem_real));
    render_gauge1(r, "slurm_mem_free",
                  "rivosinc compat: free memory of all nodes (Slurm MB x 1e6).", riv_mem(mem_free));
    render_gauge1(r, "slurm_mem_alloc", "rivosinc compat: allocated memory (Slurm MB x 1e6).",
                  riv_mem(mem_alloc));
    o->series_dropped += part.dropped + pstate.dropped + cstate.dropped;
    agg_free(&part);
    agg_free(&pstate);
    agg_free(&cstate);
}

/* rivosinc labels job states as Slurm's JSON prints them: upper case. */
static char upper_store[JOB_STATE_COUNT][24];
static const char *upper_names[JOB_STATE_COUNT];

static void upper_init(void)
{
    for (int i = 0; i < JOB_STATE_COUNT; i++) {
        size_t k = 0;
        for (; job_state_names[i][k] && k + 1 < sizeof(upper_store[i]); k++) {
            char c = job_state_names[i][k];
            upper_store[i][k] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
        upper_store[i][k] = '\0';
        upper_names[i] = upper_store[i];
    }
}

static void rivosinc_jobs(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct dataset_result *jds = v->ds[DS_JOBS];
    if (!jds)
        return;
    const struct jobs_model *m = jds->u.jobs;
    enum { N, CPUS, MEM };
    struct agg usr, acc, part, acc1, reason;
    double by_state[JOB_STATE_COUNT] = {0};
    agg_init(&usr, v->series_limit);
    agg_init(&acc, v->series_limit);
    agg_init(&part, v->series_limit);
    agg_init(&acc1, v->series_limit);
    agg_init(&reason, v->series_limit);
    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        by_state[j->state] += 1;
        struct agg *t[3] = {&usr, &acc, &acc1};
        uint32_t k[3][2] = {{j->user, j->state}, {j->account, j->state}, {j->account, 0}};
        for (int x = 0; x < 3; x++) {
            struct agg_row *row = agg_get(t[x], (uint32_t[AGG_MAX_KEYS]){k[x][0], k[x][1], 0});
            if (!row)
                continue;
            row->v[N] += 1;
            row->v[CPUS] += j->cpus;
            row->v[MEM] += riv_mem((double)j->mem_bytes);
        }
        const struct id_list *pl =
            j->partition < m->part_lists_n ? &m->part_lists[j->partition] : NULL;
        for (uint32_t p = 0; pl && p < pl->n; p++) {
            struct agg_row *row = agg_get(&part, (uint32_t[AGG_MAX_KEYS]){pl->ids[p], j->state, 0});
            if (row)
                row->v[N] += 1;
        }
        if (j->state == JOB_PENDING) {
            struct agg_row *row = agg_get(&reason, (uint32_t[AGG_MAX_KEYS]){j->reason, 0, 0});
            if (row)
                row->v[N] += 1;
        }
    }
    upper_init();
    const char *const *job_state_names_uc = upper_names;
    struct agg *all[5] = {&usr, &acc, &part, &acc1, &reason};
    for (int x = 0; x < 5; x++)
        agg_sort(all[x], cmp_first_name, (void *)&m->strs);
    by_name_state(r, &usr, N, "slurm_user_state_total", "username", &m->strs, job_state_names_uc,
                  "rivosinc compat: jobs by user and state.");
    by_name_state(r, &usr, MEM, "slurm_user_mem_alloc", "username", &m->strs, job_state_names_uc,
                  "rivosinc compat: memory of jobs by user and state (Slurm MB x 1e6).");
    by_name_state(r, &usr, CPUS, "slurm_user_cpu_alloc", "username", &m->strs, job_state_names_uc,
                  "rivosinc compat: CPUs of jobs by user and state.");
    by_name_state(r, &part, N, "slurm_partition_job_state_total", "partition", &m->strs,
                  job_state_names_uc,
                  "rivosinc compat: jobs by partition and state. A job listing several "
                  "partitions counts in each; slurm_queue_jobs counts every job once.");
    by_name_state(r, &acc, N, "slurm_account_job_state_total", "account", &m->strs,
                  job_state_names_uc, "rivosinc compat: jobs by account and state.");
    by_name_state(r, &acc, CPUS, "slurm_account_job_state_cpu_alloc", "account", &m->strs,
                  job_state_names_uc, "rivosinc compat: CPUs of jobs by account and state.");
    by_name_state(r, &acc, MEM, "slurm_account_job_state_mem_alloc", "account", &m->strs,
                  job_state_names_uc,
                  "rivosinc compat: memory of jobs by account and state (Slurm MB x 1e6).");
    by_name(r, &acc1, CPUS, "slurm_account_cpu_alloc", "account", &m->strs,
            "rivosinc compat (v1.0 name): CPUs of the account's jobs, all states.");
    by_name(r, &acc1, MEM, "slurm_account_mem_alloc", "account", &m->strs,
            "rivosinc compat (v1.0 name): memory of the account's jobs, all states (Slurm MB x "
            "1e6).");
    by_name(r, &reason, N, "slurm_pending_reason_total", "reason", &m->strs,
            "rivosinc compat: pending jobs by reason.");
    /* Listed in rivosinc's README ("jobs per state") but written by none of
     * its versions: jobs by state, each once, like slurm_node_count_per_state
     * for nodes (states that have jobs). */
    render_family(r, "slurm_job_count_per_state", M_GAUGE,
                  "rivosinc compat: jobs by state, each counted once (array tasks singly).");
    for (int s = 0; s < JOB_STATE_COUNT; s++) {
        if (by_state[s] <= 0)
            continue;
        struct label l[1] = {{"state", job_state_names_uc[s]}};
        render_sample(r, l, 1, by_state[s]);
    }
    for (int x = 0; x < 5; x++) {
        o->series_dropped += all[x]->dropped;
        agg_free(all[x]);
    }
}

/* The exporter's refreshes in rivosinc's terms: duration in milliseconds,
 * failed refreshes under its exact (suffix-less) counter name, typed gauge
 * here since our counters always end in _total (rate() works the same). */
static void rivosinc_exporter(const struct view *v, struct render *r)
{
    static const struct {
        enum dataset_id ds;
        const char *dur, *err;
    } t[2] = {{DS_JOBS, "slurm_job_scrape_duration", "slurm_job_scrape_error"},
              {DS_NODES, "slurm_node_scrape_duration", "slurm_node_scrape_error"}};
    for (int i = 0; i < 2; i++) {
        const struct dataset_result *d = v->ds[t[i].ds];
        if (d)
            render_gauge1(r, t[i].dur, "rivosinc compat: milliseconds the last refresh took.",
                          d->fetch_duration * 1000.0);
        render_gauge1(r, t[i].err,
                      "rivosinc compat: failed refreshes since the exporter started (a counter).",
                      (double)v->fetch_errors[t[i].ds]);
    }
}

void collect_compat_rivosinc(const struct view *v, struct render *r, struct collect_out *o)
{
    rivosinc_nodes(v, r, o);
    rivosinc_jobs(v, r, o);
    rivosinc_exporter(v, r);
}
