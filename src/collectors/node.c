/* SPDX-License-Identifier: Apache-2.0 */
/* Node collector: one set of series per node (state, flags, CPUs, memory,
 * load, GRES, features, drain/down reason and the times slurmd reports),
 * from `scontrol show nodes`. Off by default: it writes about a dozen series
 * per node. vpenso 0.20's per-node families (collect_node_compat_vpenso) are
 * written by the compat_vpenso collector, whether this one runs or not.
 *
 * Nodes are written in name order, each name once (a repeated NodeName line
 * keeps its first occurrence), so no series is ever duplicated. Each family
 * stops at the series limit; what does not fit is counted as dropped. */
#include "collectors/collector.h"
#include "util/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_node_names(const void *a, const void *b, void *ctx)
{
    const struct nodes_model *m = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(strtab_get(&m->strs, m->nodes[x].name), strtab_get(&m->strs, m->nodes[y].name));
    if (c)
        return c;
    return (x > y) - (x < y); /* the first occurrence first */
}

/* Indices of the nodes in name order, one per distinct name (malloc'ed). */
static uint32_t *node_order(const struct nodes_model *m, size_t *n)
{
    uint32_t *idx = xmalloc((m->n + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < m->n; i++)
        idx[i] = (uint32_t)i;
    if (m->n > 1)
        qsort_r(idx, m->n, sizeof(uint32_t), cmp_node_names, (void *)m);
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (k == 0 || m->nodes[idx[i]].name != m->nodes[idx[k - 1]].name)
            idx[k++] = idx[i];
    *n = k;
    return idx;
}

/* Per-family series budget: the series limit applies to each family. */
struct budget {
    size_t used, limit;
    struct collect_out *o;
};

static struct budget budget_start(const struct view *v, struct collect_out *o)
{
    return (struct budget){0, v->series_limit, o};
}

static bool take(struct budget *b)
{
    if (b->used >= b->limit) {
        b->o->series_dropped++;
        return false;
    }
    b->used++;
    return true;
}

struct ctx {
    const struct view *v;
    struct render *r;
    struct collect_out *o;
    const struct nodes_model *m;
    const uint32_t *order;
    size_t n;
};

static const char *S(const struct ctx *c, uint32_t id)
{
    return strtab_get(&c->m->strs, id);
}

/* One series per node with the value get() returns; a node for which get()
 * returns NaN (unknown) has no series. */
static void per_node(const struct ctx *c, double (*get)(const struct node *))
{
    struct budget b = budget_start(c->v, c->o);
    for (size_t i = 0; i < c->n; i++) {
        const struct node *nd = &c->m->nodes[c->order[i]];
        double val = get(nd);
        if (isnan(val) || !take(&b))
            continue;
        struct label l[1] = {{"node", S(c, nd->name)}};
        render_sample(c->r, l, 1, val);
    }
}

static double get_cpus(const struct node *nd)
{
    return nd->cpus_total;
}
static double get_cpus_alloc(const struct node *nd)
{
    return nd->cpus_alloc;
}
static double get_load(const struct node *nd)
{
    return nd->cpu_load;
}
static double get_mem(const struct node *nd)
{
    return (double)nd->mem_total;
}
static double get_mem_alloc(const struct node *nd)
{
    return (double)nd->mem_alloc;
}
static double get_mem_free(const struct node *nd)
{
    return nd->mem_free == UINT64_MAX ? NAN : (double)nd->mem_free;
}
static double get_reason_time(const struct node *nd)
{
    return nd->reason && nd->reason_time > 0 ? (double)nd->reason_time : NAN;
}
static double get_boot(const struct node *nd)
{
    return nd->boot_time > 0 ? (double)nd->boot_time : NAN;
}
static double get_slurmd_start(const struct node *nd)
{
    return nd->slurmd_start_time > 0 ? (double)nd->slurmd_start_time : NAN;
}
static double get_last_busy(const struct node *nd)
{
    return nd->last_busy > 0 ? (double)nd->last_busy : NAN;
}

static void cpus_allocated_family(const struct ctx *c)
{
    render_family(c->r, "slurm_node_cpus_allocated", M_GAUGE,
                  "CPUs of the node allocated to jobs.");
    per_node(c, get_cpus_alloc);
}

static void gres_family(const struct ctx *c, bool used)
{
    const struct nodes_model *m = c->m;
    struct budget b = budget_start(c->v, c->o);
    for (size_t i = 0; i < c->n; i++) {
        const struct node *nd = &m->nodes[c->order[i]];
        for (uint32_t g = nd->gres_first; g < nd->gres_first + nd->gres_count; g++) {
            if (!take(&b))
                continue;
            struct label l[3] = {{"node", S(c, nd->name)},
                                 {"gres", S(c, m->gres[g].name)},
                                 {"type", S(c, m->gres[g].type)}};
            render_sample(c->r, l, 3, (double)(used ? m->gres[g].used : m->gres[g].total));
        }
    }
}

void collect_node(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct nodes_model *m = v->ds[DS_NODES]->u.nodes;
    size_t n;
    uint32_t *order = node_order(m, &n);
    const struct ctx c = {v, r, o, m, order, n};
    struct budget b;

    render_family(r, "slurm_node_info", M_GAUGE,
                  "Node description as labels (Arch, OS, slurmd Version, Partitions, "
                  "ActiveFeatures, AvailableFeatures); the value is always 1.");
    b = budget_start(v, o);
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[order[i]];
        if (!take(&b))
            continue;
        struct label l[7] = {
            {"node", S(&c, nd->name)},
            {"arch", S(&c, nd->arch)},
            {"os", S(&c, nd->os)},
            {"version", S(&c, nd->version)},
            {"partitions", S(&c, nd->partitions_str)},
            {"features", S(&c, nd->features)},
            {"available_features", S(&c, nd->features_avail)},
        };
        render_sample(r, l, 7, 1);
    }

    render_family(r, "slurm_node_state", M_GAUGE,
                  "The node's one derived state (as in slurm_nodes); the value is always 1.");
    b = budget_start(v, o);
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[order[i]];
        if (!take(&b))
            continue;
        struct label l[2] = {{"node", S(&c, nd->name)}, {"state", node_state_names[nd->state]}};
        render_sample(r, l, 2, 1);
    }

    render_family(r, "slurm_node_flag", M_GAUGE,
                  "One series per state flag the node carries (as in slurm_nodes_flags); the "
                  "value is always 1.");
    b = budget_start(v, o);
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[order[i]];
        for (int f = 0; f < NODE_FLAG_COUNT; f++) {
            if (!(nd->flags & (1u << f)) || !take(&b))
                continue;
            struct label l[2] = {{"node", S(&c, nd->name)}, {"flag", node_flag_names[f]}};
            render_sample(r, l, 2, 1);
        }
    }

    render_family(r, "slurm_node_cpus_configured", M_GAUGE,
                  "CPUs of the node (CPUEfctv, else CPUTot).");
    per_node(&c, get_cpus);
    /* Under --compat=jontk compat_jontk writes this family (the same one):
     * the guide queries it, with or without this collector. */
    if (!(v->compat & COMPAT_JONTK))
        cpus_allocated_family(&c);
    render_family(r, "slurm_node_cpu_load", M_GAUGE,
                  "The node's CPU load as slurmd reports it (no series when N/A).");
    per_node(&c, get_load);
    render_family(r, "slurm_node_memory_configured_bytes", M_GAUGE,
                  "Memory of the node (RealMemory).");
    per_node(&c, get_mem);
    render_family(r, "slurm_node_memory_allocated_bytes", M_GAUGE,
                  "Memory of the node allocated to jobs (AllocMem).");
    per_node(&c, get_mem_alloc);
    render_family(r, "slurm_node_memory_free_bytes", M_GAUGE,
                  "Free memory the node's operating system reports (FreeMem; no series when "
                  "N/A).");
    per_node(&c, get_mem_free);

    render_family(r, "slurm_node_gres_configured", M_GAUGE,
                  "Generic resources (GRES) of the node, by GRES name and type.");
    gres_family(&c, false);
    render_family(r, "slurm_node_gres_allocated", M_GAUGE,
                  "Generic resources (GRES) of the node in use, by GRES name and type.");
    gres_family(&c, true);

    render_family(r, "slurm_node_feature", M_GAUGE,
                  "One series per active feature of the node (ActiveFeatures); the value is "
                  "always 1.");
    b = budget_start(v, o);
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[order[i]];
        const struct id_list *fl = &m->feat_lists[nd->feature_list];
        for (uint32_t k = 0; k < fl->n; k++) {
            if (!take(&b))
                continue;
            struct label l[2] = {{"node", S(&c, nd->name)}, {"feature", S(&c, fl->ids[k])}};
            render_sample(r, l, 2, 1);
        }
    }

    render_family(r, "slurm_node_reason_info", M_GAUGE,
                  "Why the node is drained, down or failed (Reason) and who set it; the value is "
                  "always 1. No series when the node has no reason.");
    b = budget_start(v, o);
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[order[i]];
        if (!nd->reason || !take(&b))
            continue;
        struct label l[3] = {{"node", S(&c, nd->name)},
                             {"reason", S(&c, nd->reason)},
                             {"user", S(&c, nd->reason_user)}};
        render_sample(r, l, 3, 1);
    }
    render_family(r, "slurm_node_reason_since_timestamp_seconds", M_GAUGE,
                  "Unix time the node's reason was set (no series without a reason or time).");
    per_node(&c, get_reason_time);

    render_family(r, "slurm_node_boot_timestamp_seconds", M_GAUGE,
                  "Unix time the node booted (BootTime; no series when unknown).");
    per_node(&c, get_boot);
    render_family(r, "slurm_node_slurmd_start_timestamp_seconds", M_GAUGE,
                  "Unix time slurmd started on the node (SlurmdStartTime; no series when "
                  "unknown).");
    per_node(&c, get_slurmd_start);
    render_family(r, "slurm_node_last_busy_timestamp_seconds", M_GAUGE,
                  "Unix time the node last ran a job (LastBusyTime; no series when unknown).");
    per_node(&c, get_last_busy);
    free(order);
}

/* ---- --compat=vpenso ----------------------------------------------------- */

/* The suffix character node_state_string() (Slurm 22.05) appends for the
 * first flag that has one, "" when none. */
#define HAS(f) (flags & (1u << NODE_FLAG_##f))
static const char *state_suffix(uint32_t flags)
{
    if (HAS(MAINTENANCE))
        return "$";
    if (HAS(REBOOT_ISSUED))
        return "^";
    if (HAS(REBOOT_REQUESTED))
        return "@";
    if (HAS(POWERING_UP))
        return "#";
    if (HAS(POWERING_DOWN))
        return "%";
    if (HAS(POWERED_DOWN))
        return "~";
    if (HAS(POWER_DOWN))
        return "!";
    if (HAS(NOT_RESPONDING))
        return "*";
    return "";
}

/* sinfo's long state name in lower case (%T, StateLong), as Slurm 22.05's
 * node_state_string() builds it from the base state and flags, with the
 * names later versions added: "blocked" (24.05: an idle node with BLOCKED,
 * after RESERVED, before PLANNED) and "external" (25.05: EXTERNAL as the lone
 * flag; an idle external node is "idle"). */
static void state_long(uint8_t base, uint32_t flags, char *out, size_t cap)
{
    bool alloc = base == NODE_BASE_ALLOCATED, mixed = base == NODE_BASE_MIXED;
    const char *sfx = state_suffix(flags), *word;
    if (HAS(INVALID_REG)) {
        snprintf(out, cap, "inval");
        return;
    }
    if (HAS(MAINTENANCE) && !HAS(DRAIN) && !alloc && !mixed && base != NODE_BASE_DOWN) {
        snprintf(out, cap, "maint%s", HAS(NOT_RESPONDING) ? "*" : "");
        return;
    }
    if ((HAS(REBOOT_REQUESTED) || HAS(REBOOT_ISSUED)) && !alloc && !mixed) {
        snprintf(out, cap, "%s",
                 HAS(REBOOT_ISSUED)    ? "reboot^"
                 : HAS(NOT_RESPONDING) ? "reboot*"
                                       : "reboot");
        return;
    }
    if (HAS(DRAIN)) {
        snprintf(out, cap, "%s%s", HAS(COMPLETING) || alloc || mixed ? "draining" : "drained", sfx);
        return;
    }
    if (HAS(FAIL)) {
        snprintf(out, cap, "%s%s", HAS(COMPLETING) || alloc ? "failing" : "fail",
                 HAS(NOT_RESPONDING) ? "*" : "");
        return;
    }
    if (base == NODE_BASE_UNKNOWN) { /* a lone flag names the state */
        static const struct {
            int flag;
            const char *name;
        } lone[] = {{NODE_FLAG_CLOUD, "cloud"},
                    {NODE_FLAG_EXTERNAL, "external"}, /* 25.05+ */
                    {NODE_FLAG_POWER_DOWN, "power_down"},
                    {NODE_FLAG_POWER_UP, "power_up"},
                    {NODE_FLAG_POWERING_DOWN, "powering_down"},
                    {NODE_FLAG_POWERED_DOWN, "powered_down"},
                    {NODE_FLAG_POWERING_UP, "powering_up"}};
        for (size_t i = 0; i < sizeof(lone) / sizeof(lone[0]); i++)
            if (flags == 1u << lone[i].flag) {
                snprintf(out, cap, "%s", lone[i].name);
                return;
            }
    }
    if (base == NODE_BASE_DOWN) {
        word = "down";
    } else if (base == NODE_BASE_ALLOCATED) {
        word = "allocated";
        if (!*sfx && HAS(COMPLETING))
            sfx = "+";
    } else if (base == NODE_BASE_ERROR) {
        word = "error"; /* older Slurm */
    } else if (HAS(COMPLETING)) {
        word = "completing";
    } else if (base == NODE_BASE_IDLE) {
        word = *sfx            ? "idle"
               : HAS(RESERVED) ? "reserved"
               : HAS(BLOCKED)  ? "blocked" /* 24.05+ */
               : HAS(PLANNED)  ? "planned"
                               : "idle";
    } else if (base == NODE_BASE_MIXED) {
        word = "mixed";
        if (!*sfx && HAS(PLANNED))
            sfx = "-";
    } else if (base == NODE_BASE_FUTURE) {
        word = "future";
    } else {
        word = "unknown";
        sfx = HAS(NOT_RESPONDING) ? "*" : "";
    }
    snprintf(out, cap, "%s%s", word, sfx);
}
#undef HAS

enum vp_value { VP_CPU_ALLOC, VP_CPU_IDLE, VP_CPU_OTHER, VP_CPU_TOTAL, VP_MEM_ALLOC, VP_MEM_TOTAL };

static void vp_family(const struct ctx *c, char (*status)[24], enum vp_value what)
{
    struct budget b = budget_start(c->v, c->o);
    for (size_t i = 0; i < c->n; i++) {
        const struct node *nd = &c->m->nodes[c->order[i]];
        if (!take(&b))
            continue;
        uint32_t alloc = nd->cpus_alloc > nd->cpus_tot ? nd->cpus_tot : nd->cpus_alloc;
        bool other = (nd->flags & (1u << NODE_FLAG_DRAIN)) || nd->base == NODE_BASE_DOWN;
        double val = 0;
        switch (what) {
        case VP_CPU_ALLOC:
            val = alloc;
            break;
        case VP_CPU_IDLE:
            val = other ? 0 : nd->cpus_tot - alloc;
            break;
        case VP_CPU_OTHER:
            val = other ? nd->cpus_tot - alloc : 0;
            break;
        case VP_CPU_TOTAL:
            val = nd->cpus_tot;
            break;
        case VP_MEM_ALLOC:
            val = (double)nd->mem_alloc / 1048576.0; /* whole MiB: Slurm printed MB */
            break;
        case VP_MEM_TOTAL:
            val = (double)nd->mem_total / 1048576.0;
            break;
        }
        struct label l[2] = {{"node", S(c, nd->name)}, {"status", status[i]}};
        render_sample(c->r, l, 2, val);
    }
}

/* vpenso/prometheus-slurm-exporter 0.20's per-node families, from
 * `sinfo -N -O NodeList,AllocMem,Memory,CPUsState,StateLong`: CPUs
 * allocated, idle, other and total (CPUTot; the unallocated CPUs of a
 * drained or down node are "other", the rest idle), memory allocated and
 * total in MB as Slurm prints them, each labelled with the node and its
 * long state name. Written whenever --compat=vpenso is on, also when the
 * node collector is off. */
void collect_node_compat_vpenso(const struct view *v, struct render *r, struct collect_out *o)
{
    if (!v->ds[DS_NODES])
        return;
    const struct nodes_model *m = v->ds[DS_NODES]->u.nodes;
    size_t n;
    uint32_t *order = node_order(m, &n);
    const struct ctx c = {v, r, o, m, order, n};
    char(*status)[24] = xmalloc((n + 1) * sizeof(*status));
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = &m->nodes[order[i]];
        state_long(nd->base, nd->flags, status[i], sizeof(status[i]));
    }
    render_family(r, "slurm_node_cpu_alloc", M_GAUGE, "Allocated CPUs per node.");
    vp_family(&c, status, VP_CPU_ALLOC);
    render_family(r, "slurm_node_cpu_idle", M_GAUGE, "Idle CPUs per node.");
    vp_family(&c, status, VP_CPU_IDLE);
    render_family(r, "slurm_node_cpu_other", M_GAUGE, "Other CPUs per node.");
    vp_family(&c, status, VP_CPU_OTHER);
    render_family(r, "slurm_node_cpu_total", M_GAUGE, "Total CPUs per node.");
    vp_family(&c, status, VP_CPU_TOTAL);
    render_family(r, "slurm_node_mem_alloc", M_GAUGE, "Allocated memory per node.");
    vp_family(&c, status, VP_MEM_ALLOC);
    render_family(r, "slurm_node_mem_total", M_GAUGE, "Total memory per node.");
    vp_family(&c, status, VP_MEM_TOTAL);
    free(status);
    free(order);
}

/* GPUs of a node (GRES named gpu, any type): configured, or in use; NaN
 * (no series) for a node without any. */
static double node_gpus(const struct ctx *c, const struct node *nd, bool used)
{
    double n = NAN;
    for (uint32_t g = nd->gres_first; g < nd->gres_first + nd->gres_count; g++) {
        if (strcmp(S(c, c->m->gres[g].name), "gpu") != 0)
            continue;
        n = (isnan(n) ? 0 : n) + (double)(used ? c->m->gres[g].used : c->m->gres[g].total);
    }
    return n;
}

static void gpus_family(const struct ctx *c, bool used)
{
    struct budget b = budget_start(c->v, c->o);
    for (size_t i = 0; i < c->n; i++) {
        const struct node *nd = &c->m->nodes[c->order[i]];
        double val = node_gpus(c, nd, used);
        if (isnan(val) || !take(&b))
            continue;
        struct label l[1] = {{"node", S(c, nd->name)}};
        render_sample(c->r, l, 1, val);
    }
}

/* jontk's per-node families, as its integration guide queries them
 * (slurm_node_cpus_allocated / slurm_node_cpus_total by node, sum() of the
 * GPU ones): every node once, in name order, as the node collector writes
 * its own. Written whenever --compat=jontk is on, also when the node
 * collector is off; slurm_node_cpus_allocated is that collector's family,
 * which it then leaves to this function. */
void collect_node_compat_jontk(const struct view *v, struct render *r, struct collect_out *o)
{
    if (!v->ds[DS_NODES])
        return;
    const struct nodes_model *m = v->ds[DS_NODES]->u.nodes;
    size_t n;
    uint32_t *order = node_order(m, &n);
    const struct ctx c = {v, r, o, m, order, n};
    render_family(r, "slurm_node_cpus_total", M_GAUGE,
                  "jontk compat: CPUs of the node (CPUEfctv, else CPUTot), as "
                  "slurm_node_cpus_configured.");
    per_node(&c, get_cpus);
    cpus_allocated_family(&c);
    render_family(r, "slurm_node_gpus_total", M_GAUGE,
                  "jontk compat: GPUs of the node (GRES gpu, any type); no series for a node "
                  "without GPUs.");
    gpus_family(&c, false);
    render_family(r, "slurm_node_gpus_allocated", M_GAUGE,
                  "jontk compat: GPUs of the node in use (GresUsed gpu, any type); no series for "
                  "a node without GPUs.");
    gpus_family(&c, true);
    free(order);
}
