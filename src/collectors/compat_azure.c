/* SPDX-License-Identifier: Apache-2.0 */
/* --compat=azure: the metric names of Azure CycleCloud's Slurm exporter
 * (azslurm-exporter), computed from our jobs, nodes and partitions datasets
 * with the counting rules of the commands it ran:
 *
 *  - squeue -h [-p P] [-t STATE]: one line per job record, pending array
 *    tasks still in their array's record on one line (our squeue -r shows
 *    each task, with the record's JobID: counted once per JobID). Without -t
 *    squeue shows pending, running, suspended, completing and stage-out
 *    jobs; with -t a base state matches the exact state (a running job that
 *    is configuring is not RUNNING), a flag (COMPLETING, CONFIGURING) any
 *    job that has it. -p P matches a job whose partition list names P.
 *  - sinfo -t X -h -o %D: with no partition field sinfo merges its rows and
 *    each node is counted once, whatever its partitions: the nodes of the
 *    visible partitions in state X. alloc: any allocated CPU; idle, mix,
 *    down: the base state (drained idle nodes, idle* and idle~ are idle);
 *    drain: the DRAIN flag; drng: DRAIN on an allocated or mixed node;
 *    drained: DRAIN on any other; the others: their flag.
 *  - sinfo -N -h: one line per node and partition (a node in two partitions
 *    is counted twice).
 *  - slurm_nodes_drain_total: drain + draining + drained, as Azure added
 *    them (every drained or draining node counts twice).
 *
 *  - sacct -a -S <reset> -E now -X -n [-s STATE] [-r P] (the cumulative
 *    slurm_jobs_total_* and slurm_partition_jobs_total_*): one line per job
 *    id (without -D slurmdbd keeps the newest matching record of an id;
 *    array tasks and het-job components have ids of their own, a pending
 *    array's record is one id). With -s: the records in STATE whose end is
 *    in [S, now+1] (sacct adds a second to an end that is now). Without:
 *    the records eligible (Eligible set) up to now that had not ended
 *    before S, so eligible pending and running jobs count too, held ones
 *    (no Eligible) and those waiting for a begin time do not. -r P: the
 *    record's partition string is P (a pending job's "a,b" matches
 *    neither). The finished records come from the accounting dataset
 *    (model/accounting.h, struct acct_az), the jobs without an end from the
 *    queue; a job the queue shows finished that a window has not read yet
 *    counts from the queue when it is known to have ended after S.
 *
 * The names collide with ours (slurm_jobs, slurm_nodes, ...), so this
 * collector is served on <telemetry path>/azure only (exposition.c). */
#include "collectors/collector.h"
#include "model/accounting.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* squeue -t STATE as Azure asked for them, and its metric suffixes. */
static const struct {
    const char *suffix;
    uint8_t state;
} job_states[] = {
    {"running", JOB_RUNNING},       {"pending", JOB_PENDING},     {"configuring", JOB_CONFIGURING},
    {"completing", JOB_COMPLETING}, {"suspended", JOB_SUSPENDED}, {"failed", JOB_FAILED},
};
#define NJS (sizeof(job_states) / sizeof(job_states[0]))

/* sinfo -t NAME, in Azure's order, with the metric suffixes. */
enum nstate {
    NS_ALLOC,
    NS_IDLE,
    NS_MIX,
    NS_COMP,
    NS_MAINT,
    NS_RESV,
    NS_DOWN,
    NS_DRAIN,
    NS_DRNG,
    NS_DRAINED,
    NS_FAIL,
    NS_POWERED_DOWN,
    NS_POWERING_UP,
    NS_COUNT
};
static const char *const node_suffix[NS_COUNT] = {
    "alloc", "idle",     "mixed",   "completing", "maint",        "resv",       "down",
    "drain", "draining", "drained", "fail",       "powered_down", "powering_up"};

static bool has(const struct node *nd, enum node_flag f)
{
    return (nd->flags >> f) & 1u;
}

/* Whether sinfo -t <state s> lists the node. */
static bool node_in(const struct node *nd, enum nstate s)
{
    bool busy = nd->base == NODE_BASE_ALLOCATED || nd->base == NODE_BASE_MIXED;
    switch (s) {
    case NS_ALLOC:
        return nd->cpus_alloc > 0;
    case NS_IDLE:
        return nd->base == NODE_BASE_IDLE;
    case NS_MIX:
        return nd->base == NODE_BASE_MIXED;
    case NS_COMP:
        return has(nd, NODE_FLAG_COMPLETING);
    case NS_MAINT:
        return has(nd, NODE_FLAG_MAINTENANCE);
    case NS_RESV:
        return has(nd, NODE_FLAG_RESERVED);
    case NS_DOWN:
        return nd->base == NODE_BASE_DOWN;
    case NS_DRAIN:
        return has(nd, NODE_FLAG_DRAIN);
    case NS_DRNG:
        return has(nd, NODE_FLAG_DRAIN) && busy;
    case NS_DRAINED:
        return has(nd, NODE_FLAG_DRAIN) && !busy;
    case NS_FAIL:
        return has(nd, NODE_FLAG_FAIL);
    case NS_POWERED_DOWN:
        return has(nd, NODE_FLAG_POWERED_DOWN);
    case NS_POWERING_UP:
        return has(nd, NODE_FLAG_POWERING_UP);
    case NS_COUNT:
        break;
    }
    return false;
}

/* The jobs squeue lists without -t. */
static bool job_listed(uint8_t st)
{
    switch (st) {
    case JOB_COMPLETED:
    case JOB_CANCELLED:
    case JOB_FAILED:
    case JOB_TIMEOUT:
    case JOB_NODE_FAIL:
    case JOB_PREEMPTED:
    case JOB_BOOT_FAIL:
    case JOB_DEADLINE:
    case JOB_OUT_OF_MEMORY:
    case JOB_REVOKED:
    case JOB_UNKNOWN:
        return false;
    default:
        return true;
    }
}

/* A job's JobID and its index in the model, sorted by JobID. */
struct jrec {
    uint32_t job_id;
    uint32_t i;
};

static int cmp_job_id(const void *a, const void *b)
{
    const struct jrec *x = a, *y = b;
    if (x->job_id != y->job_id)
        return (x->job_id > y->job_id) - (x->job_id < y->job_id);
    return (x->i > y->i) - (x->i < y->i);
}

/* The partitions sinfo -h -o %P lists (the hidden ones are not), in the
 * order scontrol printed them. */
struct azparts {
    const char **names;
    size_t n;
};

static void azparts_make(const struct view *v, struct azparts *p)
{
    const struct partitions_model *pm = view_parts(v);
    memset(p, 0, sizeof(*p));
    if (!pm)
        return;
    p->names = xcalloc(pm->n + 1, sizeof(*p->names));
    for (size_t i = 0; i < pm->n; i++) {
        if (pm->parts[i].hidden)
            continue;
        const char *nm = strtab_get(&pm->strs, pm->parts[i].name);
        bool dup = false;
        for (size_t k = 0; k < p->n && !dup; k++)
            dup = strcmp(p->names[k], nm) == 0;
        if (!dup)
            p->names[p->n++] = nm;
    }
}

static int azparts_find(const struct azparts *p, const char *name)
{
    for (size_t k = 0; k < p->n; k++)
        if (strcmp(p->names[k], name) == 0)
            return (int)k;
    return -1;
}

static void per_part(struct render *r, const char *name, const char *help, const struct azparts *p,
                     const double *v, size_t stride)
{
    render_family(r, name, M_GAUGE, help);
    for (size_t k = 0; k < p->n; k++) {
        struct label l[1] = {{"partition", p->names[k]}};
        render_sample(r, l, 1, v[k * stride]);
    }
}

/* ---- the cumulative counts ---------------------------------------------------- */

/* A queue job's record has no end in slurmdbd yet (time_end 0). */
static bool job_open(uint8_t st)
{
    switch (st) {
    case JOB_PENDING:
    case JOB_RUNNING:
    case JOB_SUSPENDED:
    case JOB_CONFIGURING:
    case JOB_EXPEDITING:
    case JOB_REQUEUED:
    case JOB_REQUEUE_HOLD:
    case JOB_REQUEUE_FED:
    case JOB_RESIZING:
    case JOB_SIGNALING:
    case JOB_SPECIAL_EXIT:
    case JOB_STOPPED:
    case JOB_RESV_DEL_HOLD:
        return true;
    default:
        return false;
    }
}

/* The final state (enum acct_state_id) of a queue job that has ended; -1
 * when it has not, or its final state is not shown (completing, staging
 * out), or it is not one slurmdbd stores (revoked, unknown). */
static int job_final(uint8_t st)
{
    switch (st) {
#define X(e, s)                                                                                    \
    case JOB_##e:                                                                                  \
        return ACCT_##e;
        ACCT_STATES(X)
#undef X
    default:
        return -1;
    }
}

/* The partition (index in p) of each string of a table: the whole string
 * must be the name, as sacct -r compares it. */
static int *part_map(const struct strtab *t, const struct azparts *p)
{
    int *map = xcalloc(t->count + 1, sizeof(int));
    for (uint32_t i = 0; i < t->count; i++)
        map[i] = azparts_find(p, strtab_get(t, i));
    return map;
}

struct az_count {
    double all[ACCT_AZ_FAMILY_COUNT];
    double *part;   /* [partition * ACCT_AZ_FAMILY_COUNT + family] */
    uint32_t *mask; /* this job id's families per partition */
    int *touched;   /* the partitions with a mask */
    size_t ntouched;
    uint32_t jmask; /* this job id's families */
};

static void az_mark(struct az_count *c, int part, uint32_t m)
{
    c->jmask |= m;
    if (part < 0 || !m)
        return;
    if (!c->mask[part])
        c->touched[c->ntouched++] = part;
    c->mask[part] |= m;
}

/* One job id done: each family it is in counts it once, for the cluster
 * and for each partition. */
static void az_flush(struct az_count *c)
{
    for (int f = 0; f < ACCT_AZ_FAMILY_COUNT; f++)
        if (c->jmask >> f & 1u)
            c->all[f]++;
    for (size_t t = 0; t < c->ntouched; t++) {
        int k = c->touched[t];
        for (int f = 0; f < ACCT_AZ_FAMILY_COUNT; f++)
            if (c->mask[k] >> f & 1u)
                c->part[(size_t)k * ACCT_AZ_FAMILY_COUNT + (size_t)f]++;
        c->mask[k] = 0;
    }
    c->ntouched = 0;
    c->jmask = 0;
}

/* Azure's slurm_jobs_total_* and slurm_partition_jobs_total_* at the render
 * time: what its sacct commands would list now. */
static void totals(const struct view *v, struct render *r, const struct azparts *p,
                   const struct jrec *rec, size_t nrec)
{
    const struct acct_model *am = view_acct(v);
    const struct jobs_model *jm = view_jobs(v);
    if (!am || !am->az || !jm)
        return;
    const struct acct_az *z = am->az;
    int64_t now = (int64_t)floor(v->now);
    int64_t start = z->window ? now - z->window : z->reset;
    render_family(r, "slurm_exporter_azure_totals_ready", M_GAUGE,
                  "Azure compat: 1 when slurm_jobs_total_* and slurm_partition_jobs_total_* are "
                  "served, 0 while the accounting history since the reset time is read.");
    render_sample(r, NULL, 0, z->ready ? 1 : 0);
    render_family(r, "slurm_exporter_azure_totals_dropped_jobs", M_COUNTER,
                  "Azure compat: finished jobs over the cap of jobs kept for the totals: left out "
                  "(a sliding window) or kept as counts (a fixed reset time).");
    render_sample(r, NULL, 0, (double)z->dropped);
    if (!z->ready)
        return;
    render_gauge1(r, "slurm_exporter_azure_totals_start_timestamp_seconds",
                  "Azure compat: the start of the totals' window (sacct -S) at this render.",
                  (double)start);

    struct az_count c;
    memset(&c, 0, sizeof(c));
    c.part = xcalloc(p->n * ACCT_AZ_FAMILY_COUNT + 1, sizeof(double));
    c.mask = xcalloc(p->n + 1, sizeof(uint32_t));
    c.touched = xcalloc(p->n + 1, sizeof(int));
    /* sacct -S S -E now: an end is in the window when S <= end <= now + 1;
     * eligible before now + 1. A start after now: sacct refuses, no lines. */
    int64_t end = now + 1;
    if (start <= now) {
        int *amap = part_map(&am->strs, p), *jmap = part_map(&jm->strs, p);
        const uint32_t sub = 1u << ACCT_AZ_SUBMITTED;
        size_t i = 0, k = 0;
        while (i < z->n || k < nrec) {
            uint32_t id = i < z->n ? z->jobs[i].job_id : UINT32_MAX;
            if (k < nrec && rec[k].job_id < id)
                id = rec[k].job_id;
            const struct job *q = k < nrec && rec[k].job_id == id ? &jm->jobs[rec[k++].i] : NULL;
            bool read = false; /* a window has read the queue job's record */
            for (; i < z->n && z->jobs[i].job_id == id; i++) {
                const struct acct_az_job *a = &z->jobs[i];
                read |= q && a->end >= q->submit;
                int f = acct_az_family(a->state);
                uint32_t m = 0;
                if (f >= 0 && a->end >= start && a->end <= end)
                    m |= 1u << f;
                if (a->eligible > 0 && a->eligible < end && a->end >= start)
                    m |= sub;
                az_mark(&c, amap[a->partition], m);
            }
            if (q) {
                bool eligible = q->eligible > 0 && q->eligible < end;
                uint32_t m = 0;
                if (job_open(q->state)) {
                    m = eligible ? sub : 0;
                } else if (!read && q->state != JOB_REVOKED && q->state != JOB_UNKNOWN &&
                           (q->start > q->submit ? q->start : q->submit) >= start) {
                    /* ended after S (it started or was submitted then), by now, and no
                     * window has read it yet (once one has, its record decides: the
                     * queue may show another partition, e.g. 24.11's "a" for a job
                     * cancelled pending in "a,b") */
                    int st = job_final(q->state);
                    int f = st >= 0 ? acct_az_family(st) : -1;
                    m = (f >= 0 ? 1u << f : 0) | (eligible ? sub : 0);
                }
                az_mark(&c, jmap[q->partition], m);
            }
            az_flush(&c);
        }
        free(amap);
        free(jmap);
        /* records beyond the cap (a fixed reset time), kept as counts */
        for (int f = 0; f < ACCT_AZ_FAMILY_COUNT; f++)
            c.all[f] += (double)z->fold_all[f];
        for (size_t n = 0; n < z->nfold; n++) {
            int pk = azparts_find(p, strtab_get(&am->strs, z->fold_part[n]));
            for (int f = 0; pk >= 0 && f < ACCT_AZ_FAMILY_COUNT; f++)
                c.part[(size_t)pk * ACCT_AZ_FAMILY_COUNT + (size_t)f] += (double)z->fold[n][f];
        }
    }
    /* the state names Azure gave sacct -s, by family */
    static const char *const sacct_state[ACCT_AZ_FAMILY_COUNT] = {
#define X(e, s) #e,
        ACCT_AZ_FAMILIES(X)
#undef X
    };
    char name[96], help[256];
    /* Azure's order: the states it asked sacct -s for, then the submitted */
    for (int f = 0; f < ACCT_AZ_FAMILY_COUNT; f++) {
        const char *fn = acct_az_family_names[f];
        snprintf(name, sizeof(name), "slurm_jobs_total_%s", fn);
        if (f == ACCT_AZ_SUBMITTED)
            snprintf(help, sizeof(help),
                     "Azure compat: lines of sacct -a -S <reset> -E now -X -n: jobs eligible by "
                     "now that had not ended before the reset time.");
        else
            snprintf(help, sizeof(help),
                     "Azure compat: lines of sacct -a -S <reset> -E now -s %s -X -n: jobs that "
                     "ended in state %s since the reset time.",
                     sacct_state[f], sacct_state[f]);
        render_gauge1(r, name, help, c.all[f]);
    }
    for (int f = 0; p->n && f < ACCT_AZ_FAMILY_COUNT; f++) {
        const char *fn = acct_az_family_names[f];
        snprintf(name, sizeof(name), "slurm_partition_jobs_total_%s", fn);
        snprintf(help, sizeof(help),
                 "Azure compat: slurm_jobs_total_%s of the partition (sacct -r P).", fn);
        per_part(r, name, help, p, c.part + f, ACCT_AZ_FAMILY_COUNT);
    }
    free(c.part);
    free(c.mask);
    free(c.touched);
}

void collect_compat_azure(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    /* Only in the exposition of <telemetry path>/azure, which sets the bit
     * (never in one with our own names: they collide). */
    if (!(v->compat & COMPAT_AZURE))
        return;
    struct azparts p;
    azparts_make(v, &p);
    const struct jobs_model *jm = view_jobs(v);
    const struct nodes_model *nm = view_nodes(v);
    size_t jstride = NJS + 1;
    double jglob[NJS + 1] = {0};
    double *jpart = xcalloc(p.n * jstride + 1, sizeof(double));
    struct jrec *rec = NULL; /* the queue's records, one per JobID, by JobID */
    size_t nrec = 0;
    if (jm) {
        rec = xcalloc(jm->n + 1, sizeof(struct jrec));
        int *pix = xcalloc(p.n + 1, sizeof(int));
        for (size_t i = 0; i < jm->n; i++)
            rec[i] = (struct jrec){jm->jobs[i].job_id, (uint32_t)i};
        qsort(rec, jm->n, sizeof(struct jrec), cmp_job_id);
        for (size_t i = 0; i < jm->n; i++) {
            if (i > 0 && rec[i].job_id == rec[i - 1].job_id)
                continue; /* one squeue line per job record */
            const struct job *j = &jm->jobs[rec[i].i];
            size_t np = 0;
            if (j->partition < jm->part_lists_n && jm->part_lists[j->partition].n > 0) {
                const struct id_list *il = &jm->part_lists[j->partition];
                for (uint32_t q = 0; q < il->n && np < p.n; q++) {
                    int k = azparts_find(&p, strtab_get(&jm->strs, il->ids[q]));
                    if (k >= 0)
                        pix[np++] = k;
                }
            } else {
                int k = azparts_find(&p, strtab_get(&jm->strs, j->partition));
                if (k >= 0)
                    pix[np++] = k;
            }
            bool listed = job_listed(j->state);
            for (size_t s = 0; s <= NJS; s++) {
                if (s == 0 ? !listed : j->state != job_states[s - 1].state)
                    continue;
                jglob[s]++;
                for (size_t q = 0; q < np; q++)
                    jpart[(size_t)pix[q] * jstride + s]++;
            }
        }
        for (size_t i = 0; i < jm->n; i++) /* one per JobID, for the totals */
            if (i == 0 || rec[i].job_id != rec[i - 1].job_id)
                rec[nrec++] = rec[i];
        free(pix);
    }
    /* nodes: [0] sinfo -N lines, [1 + s] sinfo -t s -o %D */
    size_t nstride = NS_COUNT + 1;
    double nglob[NS_COUNT + 1] = {0};
    double *npart = xcalloc(p.n * nstride + 1, sizeof(double));
    if (nm) {
        for (size_t i = 0; i < nm->n; i++) {
            const struct node *nd = &nm->nodes[i];
            const struct id_list *il =
                nd->partitions < nm->part_lists_n ? &nm->part_lists[nd->partitions] : NULL;
            bool visible = false;
            for (uint32_t q = 0; il && q < il->n; q++) {
                int k = azparts_find(&p, strtab_get(&nm->strs, il->ids[q]));
                if (k < 0)
                    continue;
                visible = true;
                nglob[0]++; /* sinfo -N: a line per node and partition */
                npart[(size_t)k * nstride]++;
                for (int s = 0; s < NS_COUNT; s++)
                    if (node_in(nd, (enum nstate)s))
                        npart[(size_t)k * nstride + 1 + (size_t)s]++;
            }
            if (!visible)
                continue;
            for (int s = 0; s < NS_COUNT; s++)
                if (node_in(nd, (enum nstate)s))
                    nglob[1 + s]++;
        }
    }

    char name[96], help[192];
    if (jm) {
        render_gauge1(r, "slurm_jobs", "Azure compat: jobs in the queue (lines of squeue -h).",
                      jglob[0]);
        for (size_t s = 0; s < NJS; s++) {
            snprintf(name, sizeof(name), "slurm_jobs_%s", job_states[s].suffix);
            snprintf(help, sizeof(help), "Azure compat: %s jobs (lines of squeue -t %s -h).",
                     job_states[s].suffix, job_states[s].suffix);
            render_gauge1(r, name, help, jglob[1 + s]);
        }
    }
    if (nm) {
        render_gauge1(r, "slurm_nodes",
                      "Azure compat: nodes (lines of sinfo -N -h: one per partition).", nglob[0]);
        for (int s = 0; s < NS_COUNT; s++) {
            snprintf(name, sizeof(name), "slurm_nodes_%s", node_suffix[s]);
            snprintf(help, sizeof(help), "Azure compat: %s nodes (sinfo -t %s -h -o %%D).",
                     node_suffix[s], node_suffix[s]);
            render_gauge1(r, name, help, nglob[1 + s]);
        }
        render_gauge1(
            r, "slurm_nodes_drain_total",
            "Azure compat: slurm_nodes_drain + slurm_nodes_draining + slurm_nodes_drained "
            "(a drained or draining node counts twice, as in Azure's exporter).",
            nglob[1 + NS_DRAIN] + nglob[1 + NS_DRNG] + nglob[1 + NS_DRAINED]);
    }
    if (jm && p.n) {
        per_part(r, "slurm_partition_jobs",
                 "Azure compat: jobs in the partition's queue (lines of squeue -p P -h).", &p,
                 jpart, jstride);
        for (size_t s = 0; s < NJS; s++) {
            snprintf(name, sizeof(name), "slurm_partition_jobs_%s", job_states[s].suffix);
            snprintf(help, sizeof(help),
                     "Azure compat: %s jobs of the partition (lines of squeue -p P -t %s -h).",
                     job_states[s].suffix, job_states[s].suffix);
            per_part(r, name, help, &p, jpart + 1 + s, jstride);
        }
    }
    if (nm && p.n) {
        per_part(r, "slurm_partition_nodes",
                 "Azure compat: nodes of the partition (lines of sinfo -p P -N -h).", &p, npart,
                 nstride);
        for (int s = 0; s < NS_COUNT; s++) {
            snprintf(name, sizeof(name), "slurm_partition_nodes_%s", node_suffix[s]);
            snprintf(help, sizeof(help),
                     "Azure compat: %s nodes of the partition (sinfo -p P -t %s -h -o %%D).",
                     node_suffix[s], node_suffix[s]);
            per_part(r, name, help, &p, npart + 1 + s, nstride);
        }
        double *dt = xcalloc(p.n + 1, sizeof(double));
        for (size_t k = 0; k < p.n; k++)
            dt[k] = npart[k * nstride + 1 + NS_DRAIN] + npart[k * nstride + 1 + NS_DRNG] +
                    npart[k * nstride + 1 + NS_DRAINED];
        per_part(r, "slurm_partition_nodes_drain_total",
                 "Azure compat: drain + draining + drained nodes of the partition (a drained or "
                 "draining node counts twice, as in Azure's exporter).",
                 &p, dt, 1);
        free(dt);
    }
    if (jm)
        totals(v, r, &p, rec, nrec);
    free(rec);
    free(jpart);
    free(npart);
    free(p.names);
}

void compat_azure_meta(struct render *r, double duration, double when, bool error)
{
    render_gauge1(r, "slurm_exporter_collect_duration_seconds",
                  "Azure compat: seconds the last build of this exposition took.", duration);
    render_gauge1(r, "slurm_exporter_last_collect_timestamp_seconds",
                  "Azure compat: Unix time of the last build of this exposition.", when);
    if (error)
        render_gauge1(r, "slurm_exporter_errors_total",
                      "Azure compat: 1 when a dataset this exposition needs has no usable data.",
                      1);
}
