/* SPDX-License-Identifier: Apache-2.0 */
/* --compat=azure: the finished-job records Azure's cumulative counts need
 * (sacct.h explains the parts; docs/metrics.md, "azure", what is counted).
 *
 * Azure's `sacct -a -S <reset> -E now -X -n [-s STATE]` lists, without -D,
 * one line per job id: with -s, the jobs that ended in the window in STATE;
 * without, the jobs eligible before the end that had not ended before the
 * start. The finished ones are records the accounting dataset reads anyway
 * (its windows select final states by end time), so the store keeps every
 * record whose end can still be in a window: from the reset time on (a
 * fixed start) or from `now - window` (a sliding one, pruned as it
 * slides). Records are told apart by job id and end, so a record read
 * again by an overlapping window replaces itself. The collector counts the
 * window at each render and adds the queue (squeue) for jobs not ended. */
#include "model/dataset.h"
#include "sources/sacct.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Distinct partition strings kept at most (multi-partition requests such as
 * "a,b" are strings of their own); a record of another one is kept with no
 * partition: it counts for the cluster, in no partition's family. */
#define AZ_MAX_NAMES 4096

struct az_rec {
    int64_t end, eligible;
    uint32_t job_id;
    uint32_t part; /* id in A->names */
    uint8_t state;
};

struct acct_az_state {
    int64_t window; /* sliding: seconds; 0: fixed start at reset */
    int64_t reset;
    bool started;           /* a window has been asked for */
    bool committed;         /* a window has been read */
    int64_t from;           /* the earliest end the records need (at the first window read) */
    bool backfill;          /* the history before a restored position is read first */
    int64_t bf_pos, bf_end; /* backfill still to read, [bf_pos, bf_end] (empty: pos > end) */
    bool pend_bf;           /* the fetch in flight reads backfill */
    bool pend_current;      /* the fetch in flight reads up to its own time */
    int64_t pend_now;       /* when the fetch in flight was asked for */
    bool current;           /* the last window of the stream reached its fetch time */
    bool tested;            /* a commit without a window (tests): the records are all */
    struct arena arena;
    struct strtab names;
    uint64_t (*fold)[ACCT_AZ_FAMILY_COUNT]; /* by name id, fold_cap long */
    size_t fold_cap;
    uint64_t fold_all[ACCT_AZ_FAMILY_COUNT];
    struct az_rec *recs;
    size_t n, cap, max;
    uint32_t *slots; /* record index + 1, open addressing by (job id, end) */
    size_t nslots;
    uint64_t dropped;
    bool warned;
};

struct acct_az_state *acct_az_new(const struct config *cfg)
{
    if (!(cfg->compat & COMPAT_AZURE))
        return NULL;
    struct acct_az_state *A = xcalloc(1, sizeof(*A));
    A->window = cfg->azure_reset_window > 0 ? (int64_t)ceil(cfg->azure_reset_window) : 0;
    A->reset = (int64_t)floor(cfg->azure_reset_at);
    if (!A->window && A->reset <= 0)
        A->window = 86400; /* a config made without config_parse: Azure's default */
    A->bf_pos = 1;
    A->max = ACCT_AZ_MAX_JOBS;
    strtab_init(&A->names, &A->arena);
    return A;
}

void acct_az_free(struct acct_az_state *A)
{
    if (!A)
        return;
    free(A->recs);
    free(A->slots);
    free(A->fold);
    strtab_free(&A->names);
    arena_free(&A->arena);
    free(A);
}

void acct_az_set_cap(struct acct_az_state *A, size_t cap)
{
    A->max = cap > 8 ? cap : 8;
}

/* ---- windows ---------------------------------------------------------------- */

int64_t acct_az_start(struct acct_az_state *A, int64_t now, int64_t next)
{
    /* Fixed by the first window read: a window asked for and not read (the
     * poller asks once when it starts, a fetch may fail) leaves it open. */
    if (!A->committed) {
        A->started = true;
        A->from = A->window ? now - A->window : A->reset;
        A->backfill = next && A->from < next;
        A->bf_pos = A->backfill ? A->from : 1;
        A->bf_end = A->backfill ? next - 1 : 0;
    }
    return A->backfill ? INT64_MAX : A->from;
}

void acct_az_window(struct acct_az_state *A, int64_t now, int64_t max_window, int64_t *start,
                    int64_t *end)
{
    A->pend_now = now;
    A->pend_bf = A->bf_pos <= A->bf_end;
    if (A->pend_bf) {
        *start = A->bf_pos;
        *end = A->bf_end - A->bf_pos > max_window ? A->bf_pos + max_window : A->bf_end;
    }
    A->pend_current = !A->pend_bf && *end >= now;
}

/* ---- the store ------------------------------------------------------------- */

static size_t slot_of(const struct acct_az_state *A, uint32_t id, int64_t end)
{
    uint64_t h = ((uint64_t)id << 32) ^ (uint64_t)end ^ ((uint64_t)end >> 32);
    size_t i = hash_slot(h, A->nslots);
    while (A->slots[i]) {
        const struct az_rec *r = &A->recs[A->slots[i] - 1];
        if (r->job_id == id && r->end == end)
            break;
        i = (i + 1) & (A->nslots - 1);
    }
    return i;
}

static void rehash(struct acct_az_state *A)
{
    size_t ns = 64;
    while (ns < A->n * 2 + 2)
        ns *= 2;
    free(A->slots);
    A->slots = xcalloc(ns, sizeof(uint32_t));
    A->nslots = ns;
    for (size_t i = 0; i < A->n; i++)
        A->slots[slot_of(A, A->recs[i].job_id, A->recs[i].end)] = (uint32_t)i + 1;
}

static int cmp_end(const void *a, const void *b)
{
    const struct az_rec *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->job_id > y->job_id) - (x->job_id < y->job_id);
}

/* Removes the first `from` records. */
static void compact(struct acct_az_state *A, size_t from)
{
    memmove(A->recs, A->recs + from, (A->n - from) * sizeof(*A->recs));
    A->n -= from;
    rehash(A);
}

/* The families a folded record stays counted in (a fixed start: it never
 * leaves the window). */
static void fold(struct acct_az_state *A, const struct az_rec *r)
{
    int f = acct_az_family(r->state);
    bool sub = r->eligible > 0 && r->eligible <= A->pend_now;
    if (r->part >= A->fold_cap) {
        size_t nc = A->fold_cap ? A->fold_cap : 16;
        while (nc <= r->part)
            nc *= 2;
        A->fold = xrealloc(A->fold, nc * sizeof(*A->fold));
        memset(A->fold + A->fold_cap, 0, (nc - A->fold_cap) * sizeof(*A->fold));
        A->fold_cap = nc;
    }
    if (f >= 0) {
        A->fold_all[f]++;
        A->fold[r->part][f]++;
    }
    if (sub) {
        A->fold_all[ACCT_AZ_SUBMITTED]++;
        A->fold[r->part][ACCT_AZ_SUBMITTED]++;
    }
}

/* The store is full: the oldest eighth is folded (fixed start) or dropped
 * (sliding window). */
static void evict(struct acct_az_state *A)
{
    qsort(A->recs, A->n, sizeof(*A->recs), cmp_end);
    size_t k = A->n / 8 ? A->n / 8 : 1;
    for (size_t i = 0; i < k; i++)
        if (!A->window)
            fold(A, &A->recs[i]);
    A->dropped += k;
    if (!A->warned)
        log_msg(LOG_WARN,
                A->window ? "azure compat: more finished jobs in the window than can be kept; the "
                            "oldest are left out of the slurm_*jobs_total_* counts"
                          : "azure compat: more finished jobs since the reset time than can be "
                            "kept; the oldest are kept as counts (a job id seen again is then "
                            "counted again)");
    A->warned = true;
    compact(A, k);
}

static void add(struct acct_az_state *A, const struct acct_job *j, uint32_t part)
{
    if (!A->nslots)
        rehash(A);
    size_t s = slot_of(A, j->job_id, j->end);
    if (A->slots[s]) { /* read again by an overlapping window */
        struct az_rec *r = &A->recs[A->slots[s] - 1];
        r->eligible = j->eligible;
        r->part = part;
        r->state = j->state;
        return;
    }
    if (A->n >= A->max) {
        evict(A);
        s = slot_of(A, j->job_id, j->end);
    }
    if (A->n == A->cap) {
        A->cap = A->cap ? A->cap * 2 : 256;
        A->recs = xrealloc(A->recs, A->cap * sizeof(*A->recs));
    }
    A->recs[A->n] = (struct az_rec){j->end, j->eligible, j->job_id, part, j->state};
    A->slots[s] = (uint32_t)++A->n;
    if (A->n * 2 > A->nslots)
        rehash(A);
}

/* Drops what the sliding window has left behind for good (its start only
 * moves forward). */
static void prune(struct acct_az_state *A, int64_t keep_from)
{
    size_t k = 0;
    for (size_t i = 0; i < A->n; i++)
        if (A->recs[i].end >= keep_from)
            A->recs[k++] = A->recs[i];
    if (k != A->n) {
        A->n = k;
        rehash(A);
    }
}

bool acct_az_commit(struct acct_az_state *A, const struct acct_model *m, int64_t ws, int64_t we)
{
    int64_t keep_from = INT64_MIN;
    if (we && A->window)
        keep_from = A->pend_now - A->window;
    else if (!A->window)
        keep_from = A->reset;
    uint32_t map_n = m->strs.count;
    uint32_t *map = xcalloc(map_n + 1, sizeof(uint32_t)); /* model id + 1 -> name id + 1 */
    for (size_t i = 0; i < m->n; i++) {
        const struct acct_job *j = &m->jobs[i];
        if ((we && (j->end < ws || j->end > we)) || j->end < keep_from)
            continue;
        uint32_t part = 0;
        if (j->partition < map_n) {
            if (!map[j->partition]) {
                const char *pn = strtab_get(&m->strs, j->partition);
                size_t pl = strlen(pn);
                uint32_t id = strtab_find(&A->names, pn, pl);
                if (id == UINT32_MAX && A->names.count < AZ_MAX_NAMES)
                    id = strtab_intern(&A->names, pn, pl);
                map[j->partition] = id == UINT32_MAX ? 1 : id + 1; /* 1: "" */
            }
            part = map[j->partition] - 1;
        }
        add(A, j, part);
    }
    free(map);
    bool bf = we && A->pend_bf;
    A->committed = true;
    if (bf)
        A->bf_pos = we + 1;
    else if (we)
        A->current = A->pend_current;
    else
        A->tested = true;
    if (A->window && we)
        prune(A, keep_from);
    A->pend_bf = false;
    return bf;
}

/* ---- the refresh's copy ------------------------------------------------------ */

static int cmp_id(const void *a, const void *b)
{
    const struct acct_az_job *x = a, *y = b;
    if (x->job_id != y->job_id)
        return (x->job_id > y->job_id) - (x->job_id < y->job_id);
    return (x->end > y->end) - (x->end < y->end);
}

static bool fold_any(const uint64_t *c)
{
    for (int f = 0; f < ACCT_AZ_FAMILY_COUNT; f++)
        if (c[f])
            return true;
    return false;
}

void acct_az_snapshot(const struct acct_az_state *A, struct acct_model *m, struct arena *a)
{
    struct acct_az *z = arena_alloc(a, sizeof(*z));
    memset(z, 0, sizeof(*z));
    z->ready = A->tested || (A->started && A->bf_pos > A->bf_end && A->current);
    z->window = A->window;
    z->reset = A->reset;
    z->dropped = A->dropped;
    memcpy(z->fold_all, A->fold_all, sizeof(z->fold_all));
    /* the store's partition names as ids of the model's table */
    uint32_t *ids = xcalloc(A->names.count + 1, sizeof(uint32_t));
    for (uint32_t k = 0; k < A->names.count; k++) {
        const char *pn = strtab_get(&A->names, k);
        ids[k] = strtab_intern(&m->strs, pn, strlen(pn));
    }
    struct acct_az_job *jobs = arena_alloc(a, (A->n + 1) * sizeof(*jobs));
    for (size_t i = 0; i < A->n; i++) {
        const struct az_rec *r = &A->recs[i];
        jobs[i] = (struct acct_az_job){r->end, r->eligible, r->job_id, ids[r->part], r->state};
    }
    qsort(jobs, A->n, sizeof(*jobs), cmp_id);
    z->jobs = jobs;
    z->n = A->n;
    size_t nf = 0, nk = A->fold_cap < A->names.count ? A->fold_cap : A->names.count;
    for (size_t k = 0; k < nk; k++)
        nf += fold_any(A->fold[k]);
    uint32_t *fp = arena_alloc(a, (nf + 1) * sizeof(uint32_t));
    uint64_t(*fc)[ACCT_AZ_FAMILY_COUNT] = arena_alloc(a, (nf + 1) * sizeof(*fc));
    nf = 0;
    for (size_t k = 0; k < nk; k++) {
        if (!fold_any(A->fold[k]))
            continue;
        fp[nf] = ids[k];
        memcpy(fc[nf], A->fold[k], sizeof(fc[nf]));
        nf++;
    }
    z->fold_part = fp;
    z->fold = (const uint64_t(*)[ACCT_AZ_FAMILY_COUNT])fc;
    z->nfold = nf;
    free(ids);
    m->az = z;
}
