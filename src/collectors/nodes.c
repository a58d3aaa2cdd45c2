/* SPDX-License-Identifier: Apache-2.0 */
/* Nodes collector: node states and flags, CPUs, memory, load and GRES,
 * cluster-wide (each node once) and per partition (a node in several
 * partitions counts in each), from `scontrol show nodes`.
 *
 * A node has one derived state (enum node_state, first match of the
 * documented precedence) so the state series sum to the node count; the
 * flags are counted separately. CPUs on unavailable nodes (down, fail,
 * drained, draining, not responding, error, future, unknown, rebooting) that
 * are not allocated count as "other", never as idle. */
#include "collectors/collector.h"
#include "util/agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool node_unavailable(uint8_t state)
{
    switch (state) {
    case NODE_STATE_DOWN:
    case NODE_STATE_FAIL:
    case NODE_STATE_DRAINED:
    case NODE_STATE_DRAINING:
    case NODE_STATE_NOT_RESPONDING:
    case NODE_STATE_ERROR:
    case NODE_STATE_FUTURE:
    case NODE_STATE_UNKNOWN:
    case NODE_STATE_REBOOTING:
        return true;
    default:
        return false;
    }
}

static void gres_families(struct render *r, const struct agg *g, const struct strtab *gs,
                          const struct strtab *pnames, const char *prefix)
{
    static const char *const what[2] = {"configured", "allocated"};
    for (int k = 0; k < 2; k++) {
        char name[96], help[160];
        snprintf(name, sizeof(name), "%sgres_%s", prefix, what[k]);
        snprintf(help, sizeof(help), "Generic resources (GRES) %s, by GRES name and type%s.",
                 what[k], pnames ? " and partition" : "");
        render_family(r, name, M_GAUGE, help);
        for (size_t i = 0; i < g->n; i++) {
            const struct agg_row *row = &g->rows[i];
            struct label l[3];
            size_t nl = 0;
            if (pnames)
                l[nl++] = (struct label){"partition", strtab_get(pnames, row->key[2])};
            l[nl++] = (struct label){"gres", strtab_get(gs, row->key[0])};
            l[nl++] = (struct label){"type", strtab_get(gs, row->key[1])};
            render_sample(r, l, nl, row->v[k]);
        }
    }
}

void collect_nodes(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct nodes_model *m = v->ds[DS_NODES]->u.nodes;
    struct namemap nm;
    namemap_init(&nm);
    double states[NODE_STATE_COUNT] = {0}, flags[NODE_FLAG_COUNT] = {0};
    double cpu_alloc = 0, cpu_idle = 0, cpu_other = 0, cpu_total = 0, load = 0;
    double mem_total = 0, mem_alloc = 0, mem_free = 0;
    bool have_free = false, have_load = false;
    struct agg gres, pstate, pflag;
    agg_init(&gres, v->series_limit);
    agg_init(&pstate, v->series_limit);
    agg_init(&pflag, v->series_limit);

    /* Partition ids: local names, zero-filled from both datasets. */
    uint32_t *lmap = malloc((m->strs.count + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < m->strs.count; i++)
        lmap[i] = UINT32_MAX;
    const struct dataset_result *pds = v->ds[DS_PARTITIONS];
    if (pds) {
        const struct partitions_model *pm = pds->u.parts;
        for (size_t i = 0; i < pm->n; i++)
            namemap_id(&nm, strtab_get(&pm->strs, pm->parts[i].name));
    }

    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        states[nd->state] += 1;
        for (int f = 0; f < NODE_FLAG_COUNT; f++)
            if (nd->flags & (1u << f))
                flags[f] += 1;
        cpu_total += nd->cpus_total;
        cpu_alloc += nd->cpus_alloc;
        if (node_unavailable(nd->state))
            cpu_other += nd->cpus_total - nd->cpus_alloc;
        else
            cpu_idle += nd->cpus_total - nd->cpus_alloc;
        if (!isnan(nd->cpu_load)) {
            load += nd->cpu_load;
            have_load = true;
        }
        mem_total += (double)nd->mem_total;
        mem_alloc += (double)nd->mem_alloc;
        if (nd->mem_free != UINT64_MAX) {
            mem_free += (double)nd->mem_free;
            have_free = true;
        }
        for (uint32_t g = nd->gres_first; g < nd->gres_first + nd->gres_count; g++) {
            struct agg_row *row =
                agg_get(&gres, (uint32_t[AGG_MAX_KEYS]){m->gres[g].name, m->gres[g].type, 0});
            if (row) {
                row->v[0] += (double)m->gres[g].total;
                row->v[1] += (double)m->gres[g].used;
            }
        }
        const struct id_list *pl = &m->part_lists[nd->partitions];
        for (uint32_t k = 0; k < pl->n; k++) {
            uint32_t sid = pl->ids[k];
            if (lmap[sid] == UINT32_MAX)
                lmap[sid] = namemap_id(&nm, strtab_get(&m->strs, sid));
            struct agg_row *row =
                agg_get(&pstate, (uint32_t[AGG_MAX_KEYS]){lmap[sid], nd->state, 0});
            if (row)
                row->v[0] += 1;
            for (uint32_t f = 0; f < NODE_FLAG_COUNT; f++) {
                if (!(nd->flags & (1u << f)))
                    continue;
                row = agg_get(&pflag, (uint32_t[AGG_MAX_KEYS]){lmap[sid], f, 0});
                if (row)
                    row->v[0] += 1;
            }
        }
    }

    /* Zero rows for every known partition, after the real data so that the
     * series limit drops zeros first. */
    for (uint32_t pid = 1; pid < nm.names.count; pid++) {
        for (uint32_t s = 0; s < NODE_STATE_COUNT; s++)
            agg_get(&pstate, (uint32_t[AGG_MAX_KEYS]){pid, s, 0});
        for (uint32_t f = 0; f < NODE_FLAG_COUNT; f++)
            agg_get(&pflag, (uint32_t[AGG_MAX_KEYS]){pid, f, 0});
    }

    render_family(r, "slurm_nodes", M_GAUGE,
                  "Nodes by derived state; the states are mutually exclusive and sum to the node "
                  "count.");
    for (int s = 0; s < NODE_STATE_COUNT; s++) {
        struct label l[1] = {{"state", node_state_names[s]}};
        render_sample(r, l, 1, states[s]);
    }
    render_family(r, "slurm_nodes_flags", M_GAUGE,
                  "Nodes carrying each state flag (a node may carry several).");
    for (int f = 0; f < NODE_FLAG_COUNT; f++) {
        struct label l[1] = {{"flag", node_flag_names[f]}};
        render_sample(r, l, 1, flags[f]);
    }
    render_family(r, "slurm_cpus", M_GAUGE,
                  "CPUs by state: allocated, idle (on available nodes) and other (unallocated "
                  "CPUs on unavailable nodes); they sum to slurm_cpus_configured.");
    struct label ls[1] = {{"state", "allocated"}};
    render_sample(r, ls, 1, cpu_alloc);
    ls[0].value = "idle";
    render_sample(r, ls, 1, cpu_idle);
    ls[0].value = "other";
    render_sample(r, ls, 1, cpu_other);
    render_gauge1(r, "slurm_cpus_configured", "CPUs of all nodes (CPUEfctv, else CPUTot).",
                  cpu_total);
    if (have_load) {
        render_gauge1(r, "slurm_cpu_load",
                      "Sum of the nodes' CPU load (load average as slurmd reports it).", load);
    }
    render_gauge1(r, "slurm_memory_configured_bytes", "Memory of all nodes (RealMemory).",
                  mem_total);
    render_gauge1(r, "slurm_memory_allocated_bytes", "Memory allocated to jobs (AllocMem).",
                  mem_alloc);
    if (have_free) {
        render_gauge1(r, "slurm_memory_free_bytes",
                      "Free memory the nodes' operating systems report (FreeMem).", mem_free);
    }
    const struct strtab *gt[3] = {&m->strs, &m->strs, NULL};
    agg_sort(&gres, cmp_rows_by_names, (void *)gt);
    gres_families(r, &gres, &m->strs, NULL, "slurm_");

    const struct strtab *lt[3] = {&nm.names, NULL, NULL};
    agg_sort(&pstate, cmp_rows_by_names, (void *)lt);
    agg_sort(&pflag, cmp_rows_by_names, (void *)lt);
    render_family(r, "slurm_partition_nodes", M_GAUGE,
                  "Nodes of each partition by derived state (a node in several partitions counts "
                  "in each).");
    for (size_t i = 0; i < pstate.n; i++) {
        struct label l[2] = {{"partition", strtab_get(&nm.names, pstate.rows[i].key[0])},
                             {"state", node_state_names[pstate.rows[i].key[1]]}};
        render_sample(r, l, 2, pstate.rows[i].v[0]);
    }
    render_family(r, "slurm_partition_nodes_flags", M_GAUGE,
                  "Nodes of each partition carrying each state flag.");
    for (size_t i = 0; i < pflag.n; i++) {
        struct label l[2] = {{"partition", strtab_get(&nm.names, pflag.rows[i].key[0])},
                             {"flag", node_flag_names[pflag.rows[i].key[1]]}};
        render_sample(r, l, 2, pflag.rows[i].v[0]);
    }
    o->series_dropped += gres.dropped + pstate.dropped + pflag.dropped;
    agg_free(&gres);
    agg_free(&pstate);
    agg_free(&pflag);
    free(lmap);
    namemap_free(&nm);
}
