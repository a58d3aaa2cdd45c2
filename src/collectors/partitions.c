/* SPDX-License-Identifier: Apache-2.0 */
/* Partitions collector: each partition's state and limits, and its CPUs,
 * memory and GRES (summed over its nodes) and running/pending jobs. Each
 * part is written only when its dataset has usable data. */
#include "collectors/collector.h"
#include "util/agg.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pacc {
    double cpu_alloc, cpu_idle, cpu_other, cpu_total, mem_total, mem_alloc;
    double running, pending;
    int seen; /* this name is a partition (the name table also holds GRES names) */
};

static void limit_family(struct render *r, const struct partitions_model *pm, const char *name,
                         const char *help, size_t off)
{
    render_family(r, name, M_GAUGE, help);
    for (size_t i = 0; i < pm->n; i++) {
        int64_t val = *(const int64_t *)((const char *)&pm->parts[i] + off);
        if (val < 0)
            continue; /* UNLIMITED / NONE: no series */
        struct label l[1] = {{"partition", strtab_get(&pm->strs, pm->parts[i].name)}};
        render_sample(r, l, 1, (double)val);
    }
}

void collect_partitions(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct dataset_result *pds = v->ds[DS_PARTITIONS];
    const struct dataset_result *nds = v->ds[DS_NODES];
    const struct dataset_result *jds = v->ds[DS_JOBS];
    struct namemap nm;
    namemap_init(&nm);
    struct pacc *acc = NULL;
    size_t acc_cap = 0;
    struct agg gres;
    agg_init(&gres, v->series_limit);
#define ACC(id)                                                                                    \
    do {                                                                                           \
        if ((id) >= acc_cap) {                                                                     \
            size_t nc = acc_cap ? acc_cap * 2 : 16;                                                \
            while (nc <= (id))                                                                     \
                nc *= 2;                                                                           \
            acc = xrealloc(acc, nc * sizeof(*acc));                                                \
            memset(acc + acc_cap, 0, (nc - acc_cap) * sizeof(*acc));                               \
            acc_cap = nc;                                                                          \
        }                                                                                          \
    } while (0)

    if (pds) {
        const struct partitions_model *pm = pds->u.parts;
        for (size_t i = 0; i < pm->n; i++) {
            uint32_t id = namemap_id(&nm, strtab_get(&pm->strs, pm->parts[i].name));
            ACC(id);
            acc[id].seen = 1;
        }
        render_family(r, "slurm_partition_info", M_GAUGE,
                      "Partition configuration as labels; the value is always 1.");
        for (size_t i = 0; i < pm->n; i++) {
            const struct partition *p = &pm->parts[i];
            struct label l[7] = {
                {"partition", strtab_get(&pm->strs, p->name)},
                {"state", strtab_get(&pm->strs, p->state)},
                {"default", p->is_default ? "true" : "false"},
                {"hidden", p->hidden ? "true" : "false"},
                {"oversubscribe", strtab_get(&pm->strs, p->oversubscribe)},
                {"preempt_mode", strtab_get(&pm->strs, p->preempt_mode)},
                {"qos", strtab_get(&pm->strs, p->qos)},
            };
            render_sample(r, l, 7, 1);
        }
        limit_family(r, pm, "slurm_partition_max_time_seconds",
                     "Partition MaxTime in seconds (no series when UNLIMITED).",
                     offsetof(struct partition, max_time));
        limit_family(r, pm, "slurm_partition_default_time_seconds",
                     "Partition DefaultTime in seconds (no series when NONE).",
                     offsetof(struct partition, default_time));
        limit_family(r, pm, "slurm_partition_max_nodes",
                     "Partition MaxNodes per job (no series when UNLIMITED).",
                     offsetof(struct partition, max_nodes));
        limit_family(r, pm, "slurm_partition_priority_tier", "Partition PriorityTier.",
                     offsetof(struct partition, priority_tier));
        limit_family(r, pm, "slurm_partition_priority_job_factor", "Partition PriorityJobFactor.",
                     offsetof(struct partition, priority_job_factor));
    }

    if (nds) {
        const struct nodes_model *m = nds->u.nodes;
        for (size_t i = 0; i < m->n; i++) {
            const struct node *nd = &m->nodes[i];
            const struct id_list *pl = &m->part_lists[nd->partitions];
            for (uint32_t k = 0; k < pl->n; k++) {
                uint32_t id = namemap_id(&nm, strtab_get(&m->strs, pl->ids[k]));
                ACC(id);
                struct pacc *a = &acc[id];
                a->seen = 1;
                a->cpu_total += nd->cpus_total;
                a->cpu_alloc += nd->cpus_alloc;
                if (node_unavailable(nd->state))
                    a->cpu_other += nd->cpus_total - nd->cpus_alloc;
                else
                    a->cpu_idle += nd->cpus_total - nd->cpus_alloc;
                a->mem_total += (double)nd->mem_total;
                a->mem_alloc += (double)nd->mem_alloc;
                for (uint32_t g = nd->gres_first; g < nd->gres_first + nd->gres_count; g++) {
                    uint32_t gn = namemap_id(&nm, strtab_get(&m->strs, m->gres[g].name));
                    uint32_t gt = namemap_id(&nm, strtab_get(&m->strs, m->gres[g].type));
                    struct agg_row *row = agg_get(&gres, (uint32_t[AGG_MAX_KEYS]){gn, gt, id});
                    if (row) {
                        row->v[0] += (double)m->gres[g].total;
                        row->v[1] += (double)m->gres[g].used;
                    }
                }
            }
        }
    }
    if (jds) {
        const struct jobs_model *m = jds->u.jobs;
        uint32_t *map = malloc((m->part_lists_n + 1) * sizeof(uint32_t));
        for (uint32_t i = 0; i < m->part_lists_n; i++)
            map[i] = UINT32_MAX;
        for (size_t i = 0; i < m->n; i++) {
            const struct job *j = &m->jobs[i];
            if (j->state != JOB_RUNNING && j->state != JOB_PENDING)
                continue;
            const struct id_list *pl = &m->part_lists[j->partition];
            for (uint32_t k = 0; k < pl->n; k++) {
                uint32_t sid = pl->ids[k];
                if (map[sid] == UINT32_MAX)
                    map[sid] = namemap_id(&nm, strtab_get(&m->strs, sid));
                uint32_t id = map[sid];
                ACC(id);
                acc[id].seen = 1;
                if (j->state == JOB_RUNNING)
                    acc[id].running += 1;
                else
                    acc[id].pending += 1;
            }
        }
        free(map);
    }
#undef ACC

    /* Every partition known to any dataset, in name order. */
    uint32_t np = nm.names.count;
    uint32_t *order = malloc((np + 1) * sizeof(uint32_t));
    uint32_t no = 0;
    for (uint32_t id = 1; id < np; id++)
        if (id < acc_cap && acc[id].seen)
            order[no++] = id;
    const struct strtab *names = &nm.names;
    /* insertion sort by name: partitions are few */
    for (uint32_t i = 1; i < no; i++) {
        uint32_t x = order[i], k = i;
        while (k > 0 && strcmp(strtab_get(names, order[k - 1]), strtab_get(names, x)) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = x;
    }
    if (nds) {
        render_family(r, "slurm_partition_cpus", M_GAUGE,
                      "CPUs of the partition's nodes by state: allocated, idle, other.");
        static const char *const st[3] = {"allocated", "idle", "other"};
        for (uint32_t i = 0; i < no; i++) {
            const struct pacc *a = &acc[order[i]];
            double vals[3] = {a->cpu_alloc, a->cpu_idle, a->cpu_other};
            for (int k = 0; k < 3; k++) {
                struct label l[2] = {{"partition", strtab_get(names, order[i])}, {"state", st[k]}};
                render_sample(r, l, 2, vals[k]);
            }
        }
        render_family(r, "slurm_partition_cpus_configured", M_GAUGE,
                      "CPUs of the partition's nodes.");
        for (uint32_t i = 0; i < no; i++) {
            struct label l[1] = {{"partition", strtab_get(names, order[i])}};
            render_sample(r, l, 1, acc[order[i]].cpu_total);
        }
        render_family(r, "slurm_partition_memory_configured_bytes", M_GAUGE,
                      "Memory of the partition's nodes (RealMemory).");
        for (uint32_t i = 0; i < no; i++) {
            struct label l[1] = {{"partition", strtab_get(names, order[i])}};
            render_sample(r, l, 1, acc[order[i]].mem_total);
        }
        render_family(r, "slurm_partition_memory_allocated_bytes", M_GAUGE,
                      "Memory allocated on the partition's nodes (AllocMem; jobs of other "
                      "partitions sharing the nodes included).");
        for (uint32_t i = 0; i < no; i++) {
            struct label l[1] = {{"partition", strtab_get(names, order[i])}};
            render_sample(r, l, 1, acc[order[i]].mem_alloc);
        }
        const struct strtab *gt[3] = {names, names, names};
        struct agg_row *rows = gres.rows;
        /* sort by partition, then gres, then type */
        for (size_t i = 0; i < gres.n; i++) {
            uint32_t t = rows[i].key[0];
            rows[i].key[0] = rows[i].key[2];
            rows[i].key[2] = rows[i].key[1];
            rows[i].key[1] = t;
        }
        agg_sort(&gres, cmp_rows_by_names, (void *)gt);
        static const char *const gw[2] = {"configured", "allocated"};
        for (int k = 0; k < 2; k++) {
            char name[64], help[128];
            snprintf(name, sizeof(name), "slurm_partition_gres_%s", gw[k]);
            snprintf(help, sizeof(help), "GRES %s on the partition's nodes, by GRES name and type.",
                     gw[k]);
            render_family(r, name, M_GAUGE, help);
            for (size_t i = 0; i < gres.n; i++) {
                struct label l[3] = {{"partition", strtab_get(names, rows[i].key[0])},
                                     {"gres", strtab_get(names, rows[i].key[1])},
                                     {"type", strtab_get(names, rows[i].key[2])}};
                render_sample(r, l, 3, rows[i].v[k]);
            }
        }
    }
    if (jds) {
        render_family(r, "slurm_partition_jobs_running", M_GAUGE, "Running jobs of the partition.");
        for (uint32_t i = 0; i < no; i++) {
            struct label l[1] = {{"partition", strtab_get(names, order[i])}};
            render_sample(r, l, 1, acc[order[i]].running);
        }
        render_family(r, "slurm_partition_jobs_pending", M_GAUGE,
                      "Pending jobs that may run in the partition. A job listing several "
                      "partitions counts in each; slurm_queue_jobs, state pending, counts every "
                      "job once.");
        for (uint32_t i = 0; i < no; i++) {
            struct label l[1] = {{"partition", strtab_get(names, order[i])}};
            render_sample(r, l, 1, acc[order[i]].pending);
        }
    }
    o->series_dropped += gres.dropped;
    agg_free(&gres);
    free(order);
    free(acc);
    namemap_free(&nm);
}
