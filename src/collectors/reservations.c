/* SPDX-License-Identifier: Apache-2.0 */
/* Reservations collector: each reservation's state, time window, nodes,
 * cores and CPUs, and (with the nodes dataset) how many of its nodes are in
 * each derived node state. */
#include "collectors/collector.h"
#include "model/reservations.h"
#include "util/buf.h"
#include "util/hostlist.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b, void *ctx)
{
    const struct reservations_model *m = ctx;
    const struct reservation *x = &m->resv[*(const size_t *)a];
    const struct reservation *y = &m->resv[*(const size_t *)b];
    return strcmp(strtab_get(&m->strs, x->name), strtab_get(&m->strs, y->name));
}

/* One sample per reservation whose int64 field at off is known (>= 0, or > 0
 * for times). */
static void samples(struct render *r, const struct reservations_model *m, const size_t *order,
                    size_t off, int64_t min)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct reservation *rv = &m->resv[order[i]];
        int64_t val = *(const int64_t *)((const char *)rv + off);
        if (val < min)
            continue;
        struct label lb[1] = {{"reservation", strtab_get(&m->strs, rv->name)}};
        render_sample(r, lb, 1, (double)val);
    }
}

/* What the host list walk counts for one reservation. */
struct walk {
    const struct nodes_model *nm;
    const uint32_t *index; /* nodes strtab id -> node index, UINT32_MAX: none */
    uint32_t *stamp;       /* node index -> last reservation that counted it (+1) */
    uint32_t resv;         /* current reservation + 1 */
    uint64_t counts[NODE_STATE_COUNT];
    uint64_t matched;
};

static void count_host(const char *name, size_t len, void *ctx)
{
    struct walk *w = ctx;
    uint32_t id = strtab_find(&w->nm->strs, name, len);
    if (id == UINT32_MAX || w->index[id] == UINT32_MAX)
        return;
    uint32_t k = w->index[id];
    if (w->stamp[k] == w->resv)
        return; /* listed twice */
    w->stamp[k] = w->resv;
    uint8_t st = w->nm->nodes[k].state;
    if (st < NODE_STATE_COUNT) {
        w->counts[st]++;
        w->matched++;
    }
}

/* slurm_reservation_nodes_state and slurm_reservation_nodes_unresolved. */
static void node_states(struct render *r, const struct reservations_model *m, const size_t *order,
                        const struct nodes_model *nm)
{
    uint32_t *index = xmalloc(((size_t)nm->strs.count + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < nm->strs.count; i++)
        index[i] = UINT32_MAX;
    for (size_t i = 0; i < nm->n; i++)
        index[nm->nodes[i].name] = (uint32_t)i;
    struct walk w;
    memset(&w, 0, sizeof(w));
    w.nm = nm;
    w.index = index;
    w.stamp = xcalloc(nm->n + 1, sizeof(uint32_t));
    uint64_t(*counts)[NODE_STATE_COUNT] = xcalloc(m->n + 1, sizeof(*counts));
    int64_t *unresolved = xmalloc((m->n + 1) * sizeof(int64_t));
    for (size_t i = 0; i < m->n; i++) {
        const struct reservation *rv = &m->resv[order[i]];
        memset(w.counts, 0, sizeof(w.counts));
        w.matched = 0;
        w.resv = (uint32_t)i + 1;
        struct hostlist_result hr;
        /* A reservation cannot hold more nodes than the cluster has: a list
         * that says otherwise is cut there. */
        hostlist_expand(rv->nodelist, rv->nodelist_len, nm->n + 64, count_host, &w, &hr);
        memcpy(counts[i], w.counts, sizeof(w.counts));
        unresolved[i] = rv->nodes < 0                     ? -1
                        : (uint64_t)rv->nodes > w.matched ? rv->nodes - (int64_t)w.matched
                                                          : 0;
    }
    render_family(r, "slurm_reservation_nodes_state", M_GAUGE,
                  "Nodes of the reservation by derived node state (as slurm_nodes); states "
                  "with no node have no series.");
    for (size_t i = 0; i < m->n; i++) {
        const struct reservation *rv = &m->resv[order[i]];
        for (int s = 0; s < NODE_STATE_COUNT; s++) {
            if (!counts[i][s])
                continue;
            struct label lb[2] = {{"reservation", strtab_get(&m->strs, rv->name)},
                                  {"state", node_state_names[s]}};
            render_sample(r, lb, 2, (double)counts[i][s]);
        }
    }
    render_family(r, "slurm_reservation_nodes_unresolved", M_GAUGE,
                  "Nodes of the reservation (NodeCnt) not counted in "
                  "slurm_reservation_nodes_state: its host list could not be expanded, or the "
                  "node is not in the nodes dataset.");
    for (size_t i = 0; i < m->n; i++) {
        if (unresolved[i] < 0)
            continue;
        struct label lb[1] = {{"reservation", strtab_get(&m->strs, m->resv[order[i]].name)}};
        render_sample(r, lb, 1, (double)unresolved[i]);
    }
    free(unresolved);
    free(counts);
    free(w.stamp);
    free(index);
}

void collect_reservations(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    const struct reservations_model *m = view_reservations(v);
    if (!m)
        return;
    size_t *order = xmalloc((m->n + 1) * sizeof(size_t));
    for (size_t i = 0; i < m->n; i++)
        order[i] = i;
    qsort_r(order, m->n, sizeof(size_t), by_name, (void *)m);

    render_family(r, "slurm_reservation_info", M_GAUGE,
                  "A reservation: its State (active, inactive), Flags, PartitionName, Users and "
                  "Accounts as labels (lower-cased state and flags; lists cut at 128 bytes). "
                  "The value is always 1.");
    for (size_t i = 0; i < m->n; i++) {
        const struct reservation *rv = &m->resv[order[i]];
        struct label lb[6] = {
            {"reservation", strtab_get(&m->strs, rv->name)},
            {"state", strtab_get(&m->strs, rv->state)},
            {"flags", strtab_get(&m->strs, rv->flags)},
            {"partition", strtab_get(&m->strs, rv->partition)},
            {"users", strtab_get(&m->strs, rv->users)},
            {"accounts", strtab_get(&m->strs, rv->accounts)},
        };
        render_sample(r, lb, 6, 1);
    }
    render_family(r, "slurm_reservation_active", M_GAUGE,
                  "1 when the reservation is active (State=ACTIVE: its start time has come and "
                  "its end time not), else 0.");
    for (size_t i = 0; i < m->n; i++) {
        const struct reservation *rv = &m->resv[order[i]];
        if (rv->active < 0)
            continue;
        struct label lb[1] = {{"reservation", strtab_get(&m->strs, rv->name)}};
        render_sample(r, lb, 1, rv->active);
    }
    render_family(r, "slurm_reservation_start_time_seconds", M_GAUGE,
                  "Start of the reservation (StartTime), seconds since the epoch.");
    samples(r, m, order, offsetof(struct reservation, start), 1);
    render_family(r, "slurm_reservation_end_time_seconds", M_GAUGE,
                  "End of the reservation (EndTime), seconds since the epoch.");
    samples(r, m, order, offsetof(struct reservation, end), 1);
    render_family(r, "slurm_reservation_nodes", M_GAUGE, "Nodes in the reservation (NodeCnt).");
    samples(r, m, order, offsetof(struct reservation, nodes), 0);
    render_family(r, "slurm_reservation_cores", M_GAUGE, "Cores in the reservation (CoreCnt).");
    samples(r, m, order, offsetof(struct reservation, cores), 0);
    render_family(r, "slurm_reservation_cpus", M_GAUGE,
                  "CPUs in the reservation (cpu= of its TRES; no series when the TRES has "
                  "none, as for a licenses-only reservation).");
    samples(r, m, order, offsetof(struct reservation, cpus), 0);

    const struct dataset_result *nds = v->ds[DS_NODES];
    if (nds)
        node_states(r, m, order, nds->u.nodes);
    free(order);
}
