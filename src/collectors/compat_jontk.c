/* SPDX-License-Identifier: Apache-2.0 */
/* --compat=jontk: the current-state names that jontk/slurm-exporter's
 * Prometheus integration guide (port 9341) queries, each with the meaning
 * its queries give it and the label set they need to work:
 *
 *  - per partition (label partition, one series per partition that has
 *    nodes, a node in several partitions counting in each):
 *    slurm_partition_cpus_allocated / slurm_partition_cpus_total (vpenso's
 *    families: written here only when --compat=vpenso does not write them),
 *    slurm_partition_memory_total_bytes (RealMemory), beside our
 *    slurm_partition_memory_allocated_bytes, slurm_partition_nodes_idle /
 *    slurm_partition_nodes_total (nodes in our derived state idle: neither
 *    drained, down, not responding nor powered down);
 *  - slurm_nodes_total{state}: nodes by our derived state, every state
 *    always present (the values of slurm_nodes);
 *  - slurm_jobs_total{partition,state}: jobs by partition and state as
 *    squeue -p P -t S lists them (array tasks singly, a job listing several
 *    partitions in each; every known partition and the common states
 *    present: the values of slurm_jobs);
 *  - per node (node.c): slurm_node_cpus_total and _allocated, and the GPUs;
 *  - slurm_cluster_cpus_total: one unlabelled number.
 *
 * The collection families (slurm_exporter_collect_duration_seconds, a
 * histogram of every refresh, and slurm_exporter_collect_errors_total, the
 * failed ones, both labelled collector) come from compat_jontk_collections,
 * which the exposition build calls whatever data is fresh. The other names
 * the guide queries are ours (slurm_jobs_pending, slurm_reservation_cpus,
 * slurm_controller_up, slurm_database_up, ...): see src/compat_sets.def. */
#include "collectors/collector.h"
#include "util/agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_MEM, P_NODES, P_IDLE };

static void by_partition(struct render *r, const struct agg *a, int col, const char *name,
                         const struct strtab *names, const char *help)
{
    render_family(r, name, M_GAUGE, help);
    for (size_t i = 0; i < a->n; i++) {
        struct label l[1] = {{"partition", strtab_get(names, a->rows[i].key[0])}};
        render_sample(r, l, 1, a->rows[i].v[col]);
    }
}

static void jontk_nodes(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct nodes_model *m = view_nodes(v);
    if (!m)
        return;
    /* vpenso's partition CPU families have the guide's names and meaning */
    if (!(v->compat & COMPAT_VPENSO))
        compat_partition_cpus(v, r, o, false);
    struct agg pa;
    agg_init(&pa, v->series_limit);
    double states[NODE_STATE_COUNT] = {0};
    double cpus = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        states[nd->state] += 1;
        cpus += nd->cpus_total;
        const struct id_list *pl = &m->part_lists[nd->partitions];
        for (uint32_t k = 0; k < pl->n; k++) {
            struct agg_row *row = agg_get(&pa, (uint32_t[AGG_MAX_KEYS]){pl->ids[k], 0, 0});
            if (!row)
                continue;
            row->v[P_MEM] += (double)nd->mem_total;
            row->v[P_NODES] += 1;
            if (nd->state == NODE_STATE_IDLE)
                row->v[P_IDLE] += 1;
        }
    }
    const struct strtab *t[3] = {&m->strs, NULL, NULL};
    agg_sort(&pa, cmp_rows_by_names, (void *)t);
    by_partition(r, &pa, P_MEM, "slurm_partition_memory_total_bytes", &m->strs,
                 "jontk compat: memory of the partition's nodes (RealMemory) in bytes, as "
                 "slurm_partition_memory_configured_bytes.");
    by_partition(r, &pa, P_IDLE, "slurm_partition_nodes_idle", &m->strs,
                 "jontk compat: nodes of the partition in state idle (not drained, down, not "
                 "responding or powered down), as slurm_partition_nodes with state idle.");
    by_partition(r, &pa, P_NODES, "slurm_partition_nodes_total", &m->strs,
                 "jontk compat: nodes of the partition (a node in several partitions counts in "
                 "each).");
    o->series_dropped += pa.dropped;
    agg_free(&pa);
    render_family(r, "slurm_nodes_total", M_GAUGE,
                  "jontk compat: nodes by derived state, as slurm_nodes: the states are mutually "
                  "exclusive and sum to the node count.");
    for (int s = 0; s < NODE_STATE_COUNT; s++) {
        struct label l[1] = {{"state", node_state_names[s]}};
        render_sample(r, l, 1, states[s]);
    }
    render_family(r, "slurm_cluster_cpus_total", M_GAUGE,
                  "jontk compat: CPUs of every node (CPUEfctv, else CPUTot), as "
                  "slurm_cpus_configured.");
    render_sample(r, NULL, 0, cpus);
    collect_node_compat_jontk(v, r, o);
}

static void jontk_jobs(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct jobs_model *m = view_jobs(v);
    if (!m)
        return;
    struct namemap nm;
    namemap_init(&nm);
    /* every partition the partitions dataset knows gets zero rows */
    const struct partitions_model *pm = view_parts(v);
    for (size_t i = 0; pm && i < pm->n; i++)
        namemap_id(&nm, strtab_get(&pm->strs, pm->parts[i].name));
    /* jobs-strtab id -> local partition id (UINT32_MAX: not mapped yet) */
    uint32_t *pmap = xmalloc(((size_t)m->strs.count + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < m->strs.count; i++)
        pmap[i] = UINT32_MAX;
    struct agg a;
    agg_init(&a, v->series_limit);
    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        const struct id_list *pl = &m->part_lists[j->partition];
        for (uint32_t k = 0; k < pl->n; k++) {
            uint32_t sid = pl->ids[k];
            if (pmap[sid] == UINT32_MAX)
                pmap[sid] = namemap_id(&nm, strtab_get(&m->strs, sid));
            uint32_t pid = pmap[sid];
            struct agg_row *row = agg_get(&a, (uint32_t[AGG_MAX_KEYS]){pid, j->state, 0});
            if (row)
                row->v[0] += 1;
        }
    }
    /* after the real rows, so that the series limit drops zeros first */
    for (uint32_t pid = 1; pid < nm.names.count; pid++)
        for (uint32_t s = 0; s < JOB_STATE_ALWAYS; s++)
            agg_get(&a, (uint32_t[AGG_MAX_KEYS]){pid, s, 0});
    const struct strtab *t[3] = {&nm.names, NULL, NULL};
    agg_sort(&a, cmp_rows_by_names, (void *)t);
    render_family(r, "slurm_jobs_total", M_GAUGE,
                  "jontk compat: jobs (array tasks counted singly) by partition and state, as "
                  "slurm_jobs. A job listing several partitions counts in each; slurm_queue_jobs "
                  "counts every job once.");
    for (size_t i = 0; i < a.n; i++) {
        struct label l[2] = {{"partition", strtab_get(&nm.names, a.rows[i].key[0])},
                             {"state", job_state_names[a.rows[i].key[1]]}};
        render_sample(r, l, 2, a.rows[i].v[0]);
    }
    o->series_dropped += a.dropped;
    agg_free(&a);
    free(pmap);
    namemap_free(&nm);
}

void collect_compat_jontk(const struct view *v, struct render *r, struct collect_out *o)
{
    /* only in the expositions whose names include jontk's (the golden
     * renders of every collector leave the bit off) */
    if (!(v->compat & COMPAT_JONTK))
        return;
    jontk_nodes(v, r, o);
    jontk_jobs(v, r, o);
}

void compat_jontk_collections(const struct view *v, struct render *r)
{
    render_family(r, "slurm_exporter_collect_duration_seconds", M_HISTOGRAM,
                  "jontk compat: seconds each refresh of the collector's dataset took (command "
                  "and parsing), failed ones included; _count is the refreshes attempted.");
    for (int d = 0; d < DS_COUNT; d++) {
        if (!v->polled[d])
            continue;
        const struct fetch_hist *h = &v->fetches[d];
        struct label l[1] = {{"collector", dataset_names[d]}};
        render_histogram(r, l, 1, fetch_hist_bounds, h->counts, FETCH_HIST_BOUNDS, h->sum,
                         h->count);
    }
    render_family(r, "slurm_exporter_collect_errors", M_COUNTER,
                  "jontk compat: failed refreshes of the collector's dataset (the command failed "
                  "or its output was unreadable).");
    for (int d = 0; d < DS_COUNT; d++) {
        if (!v->polled[d])
            continue;
        struct label l[1] = {{"collector", dataset_names[d]}};
        render_sample(r, l, 1, (double)v->fetch_errors[d]);
    }
}
