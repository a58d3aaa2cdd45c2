/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting source's process-lifetime state: the window position, the
 * jobs remembered for the overlap, and the cumulative counters and
 * histograms; the window each fetch reads and the commit that folds a
 * window's records in (sacct.h; sacct.c explains the windows). */
#include "sources/sacct.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- state: seen set ------------------------------------------------------- */

static size_t seen_slot(const struct acct_seen *set, size_t cap, uint32_t id, int64_t end)
{
    uint64_t h = ((uint64_t)id * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)end * 0xC2B2AE3D27D4EB4FULL);
    size_t i = hash_slot(h, cap);
    while (set[i].end && !(set[i].job_id == id && set[i].end == end))
        i = (i + 1) & (cap - 1);
    return i;
}

static bool seen_has(const struct acct_state *S, uint32_t id, int64_t end)
{
    if (!S->seen_cap)
        return false;
    return S->seen[seen_slot(S->seen, S->seen_cap, id, end)].end != 0;
}

static void seen_rebuild(struct acct_state *S, size_t cap, int64_t keep_from)
{
    struct acct_seen *set = xcalloc(cap, sizeof(*set));
    size_t n = 0;
    for (size_t i = 0; i < S->seen_cap; i++) {
        const struct acct_seen *e = &S->seen[i];
        if (e->end && e->end >= keep_from) {
            set[seen_slot(set, cap, e->job_id, e->end)] = *e;
            n++;
        }
    }
    free(S->seen);
    S->seen = set;
    S->seen_cap = cap;
    S->seen_n = n;
}

/* Remembers a job; -1 when the set is full. */
int acct_seen_add(struct acct_state *S, uint32_t id, int64_t end)
{
    if (S->seen_n >= ACCT_SEEN_MAX)
        return -1;
    if ((S->seen_n + 1) * 2 > S->seen_cap)
        seen_rebuild(S, S->seen_cap ? S->seen_cap * 2 : 256, INT64_MIN);
    struct acct_seen *e = &S->seen[seen_slot(S->seen, S->seen_cap, id, end)];
    if (!e->end) {
        e->job_id = id;
        e->end = end;
        S->seen_n++;
    }
    return 0;
}

/* Drops what the next window cannot read again; shrinks the table. */
static void seen_prune(struct acct_state *S, int64_t keep_from)
{
    size_t n = 0;
    for (size_t i = 0; i < S->seen_cap; i++)
        n += S->seen[i].end && S->seen[i].end >= keep_from;
    size_t cap = 256;
    while (cap < n * 2 + 2)
        cap *= 2;
    seen_rebuild(S, cap, keep_from);
}

/* ---- state: groups and partitions -------------------------------------------- */

static size_t group_slot(const struct acct_state *S, uint32_t p, uint32_t a)
{
    size_t i = hash_slot((uint64_t)p << 32 | a, S->gslots_n);
    while (S->gslots[i]) {
        const struct acct_sgroup *g = &S->groups[S->gslots[i] - 1];
        if (g->partition == p && g->account == a)
            break;
        i = (i + 1) & (S->gslots_n - 1);
    }
    return i;
}

struct acct_sgroup *acct_group_find(const struct acct_state *S, uint32_t p, uint32_t a)
{
    if (!S->gslots_n)
        return NULL;
    uint32_t k = S->gslots[group_slot(S, p, a)];
    return k ? &S->groups[k - 1] : NULL;
}

static struct acct_sgroup *group_add(struct acct_state *S, uint32_t p, uint32_t a)
{
    if (S->ngroups == S->groups_cap) {
        S->groups_cap = S->groups_cap ? S->groups_cap * 2 : 16;
        S->groups = xrealloc(S->groups, S->groups_cap * sizeof(*S->groups));
    }
    if ((S->ngroups + 1) * 2 > S->gslots_n) {
        free(S->gslots);
        S->gslots_n = S->gslots_n ? S->gslots_n * 2 : 64;
        S->gslots = xcalloc(S->gslots_n, sizeof(uint32_t));
        for (size_t i = 0; i < S->ngroups; i++)
            S->gslots[group_slot(S, S->groups[i].partition, S->groups[i].account)] =
                (uint32_t)i + 1;
    }
    struct acct_sgroup *g = &S->groups[S->ngroups];
    memset(g, 0, sizeof(*g));
    g->partition = p;
    g->account = a;
    S->gslots[group_slot(S, p, a)] = (uint32_t)++S->ngroups;
    return g;
}

/* The group of a partition and account, created unless the limit is
 * reached (NULL then). */
struct acct_sgroup *acct_group_get(struct acct_state *S, const char *pn, const char *an)
{
    uint32_t p = strtab_find(&S->names, pn, strlen(pn));
    uint32_t a = strtab_find(&S->names, an, strlen(an));
    struct acct_sgroup *g = p != UINT32_MAX && a != UINT32_MAX ? acct_group_find(S, p, a) : NULL;
    if (g)
        return g;
    if (S->ngroups >= S->limit)
        return NULL;
    p = strtab_intern(&S->names, pn, strlen(pn));
    a = strtab_intern(&S->names, an, strlen(an));
    return group_add(S, p, a);
}

/* The histograms of a partition (its name is interned: a group has it). */
struct acct_spart *acct_part_get(struct acct_state *S, uint32_t p)
{
    for (size_t i = 0; i < S->nparts; i++)
        if (S->parts[i].partition == p)
            return &S->parts[i];
    if (S->nparts >= S->limit)
        return NULL;
    if (S->nparts == S->parts_cap) {
        S->parts_cap = S->parts_cap ? S->parts_cap * 2 : 8;
        S->parts = xrealloc(S->parts, S->parts_cap * sizeof(*S->parts));
    }
    struct acct_spart *sp = &S->parts[S->nparts++];
    memset(sp, 0, sizeof(*sp));
    sp->partition = p;
    return sp;
}

static void observe(struct acct_hist *h, int kind, double v)
{
    size_t nb = acct_nbounds[kind], b = 0;
    while (b < nb && v > acct_bounds[kind][b])
        b++;
    h->counts[b]++;
    h->count++;
    h->sum += v;
}

/* ---- state: life cycle ----------------------------------------------------- */

void acct_state_init(struct acct_state *S, const struct config *cfg)
{
    memset(S, 0, sizeof(*S));
    S->since = cfg->accounting_since > 0 ? (int64_t)cfg->accounting_since : 0;
    S->overlap = cfg->accounting_overlap > 0 ? (int64_t)ceil(cfg->accounting_overlap) : 0;
    S->max_window = ACCT_MAX_WINDOW;
    S->limit = cfg->series_limit ? cfg->series_limit : 100000;
    S->path = cfg->accounting_state_file && cfg->accounting_state_file[0]
                  ? cfg->accounting_state_file
                  : NULL;
    strtab_init(&S->names, &S->arena);
}

void acct_state_clear(struct acct_state *S)
{
    free(S->seen);
    free(S->groups);
    free(S->gslots);
    free(S->parts);
    strtab_free(&S->names);
    arena_free(&S->arena);
}

struct acct_state *acct_state_new(const struct config *cfg)
{
    struct acct_state *S = xmalloc(sizeof(*S));
    acct_state_init(S, cfg);
    /* The state file is read only when the dataset is polled. */
    bool polled = collectors_datasets(cfg->collector_on) & DSB(ACCOUNTING);
    if (S->path && polled) {
        char err[256];
        int rc = acct_state_load(S, S->path, err, sizeof(err));
        if (rc == -ENOENT)
            log_msg(LOG_INFO,
                    "accounting state file not found (yet); it is written after the first refresh",
                    "path", S->path);
        else if (rc < 0)
            log_msg(LOG_WARN, "accounting state file ignored; counting starts now", "path", S->path,
                    "error", err);
        else
            log_msg(LOG_INFO, "accounting state restored", "path", S->path);
    }
    S->az = acct_az_new(cfg); /* after the load, which replaces *S */
    return S;
}

void acct_state_free(struct acct_state *S)
{
    if (!S)
        return;
    acct_az_free(S->az);
    acct_state_clear(S);
    free(S->path_owned);
    free(S);
}

/* ---- windows and commit ---------------------------------------------------- */

void acct_window(struct acct_state *S, int64_t now, double mono_now, int64_t *start, int64_t *end)
{
    /* The last window asked for was never committed: its fetch failed. */
    if (S->pend_end && mono_now - S->pend_at >= 1.0)
        S->max_window = S->max_window / 2 > ACCT_MIN_WINDOW ? S->max_window / 2 : ACCT_MIN_WINDOW;
    if (!S->floor)
        S->floor = S->since > 0 && S->since < now ? S->since : now;
    int64_t next = S->watermark ? S->watermark + 1 - (S->no_overlap ? 0 : S->overlap) : 0;
    /* --compat=azure: the stream starts at its reset time when that is earlier */
    int64_t lo = S->az ? acct_az_start(S->az, now, next) : INT64_MAX;
    if (lo > S->floor)
        lo = S->floor;
    int64_t st = lo;
    if (S->watermark && next > lo)
        st = next;
    int64_t en = now;
    if (en - st > S->max_window)
        en = st + S->max_window;
    if (en < st)
        en = st; /* the clock went back: read [st, st] */
    if (S->az)   /* or a backfill window of Azure's history */
        acct_az_window(S->az, now, S->max_window, &st, &en);
    S->pend_start = st;
    S->pend_end = en;
    S->pend_at = mono_now;
    *start = st;
    *end = en;
}

static int cmp_names2(const void *a, const void *b, void *ctx)
{
    const struct strtab *t = ctx;
    const struct acct_group *x = a, *y = b;
    int c = strcmp(strtab_get(t, x->partition), strtab_get(t, y->partition));
    return c ? c : strcmp(strtab_get(t, x->account), strtab_get(t, y->account));
}

static int cmp_parts(const void *a, const void *b, void *ctx)
{
    const struct strtab *t = ctx;
    const struct acct_part *x = a, *y = b;
    return strcmp(strtab_get(t, x->partition), strtab_get(t, y->partition));
}

static void count_job(struct acct_state *S, const struct acct_model *m, const struct acct_job *j)
{
    struct acct_sgroup *g =
        acct_group_get(S, strtab_get(&m->strs, j->partition), strtab_get(&m->strs, j->account));
    if (!g) {
        S->tot.dropped++;
        return;
    }
    S->tot.counted++;
    g->jobs[j->state]++;
    if (!j->ran)
        return;
    struct acct_spart *sp = acct_part_get(S, g->partition);
    int64_t from = j->eligible > 0 && j->eligible <= j->start ? j->eligible : j->submit;
    if (sp && from > 0 && from <= j->start)
        observe(&sp->h[ACCT_H_WAIT], ACCT_H_WAIT, (double)(j->start - from));
    if (sp)
        observe(&sp->h[ACCT_H_RUN], ACCT_H_RUN, (double)j->elapsed);
    double alloc = (double)j->elapsed * (double)j->cpus;
    g->cpu_used += j->cpu_used;
    g->cpu_alloc += alloc;
    if (sp && alloc > 0)
        observe(&sp->h[ACCT_H_CPU_EFF], ACCT_H_CPU_EFF, j->cpu_used / alloc);
    if (sp && j->mem_used >= 0 && j->mem_alloc > 0)
        observe(&sp->h[ACCT_H_MEM_EFF], ACCT_H_MEM_EFF, j->mem_used / (double)j->mem_alloc);
}

void acct_commit(struct acct_state *S, struct acct_model *m, struct arena *a)
{
    int64_t ws = S->pend_start, we = S->pend_end, prev = S->watermark, maxend = 0;
    bool full = false;
    /* --compat=azure takes the records; a backfill window is Azure's only */
    bool azure_only = S->az && acct_az_commit(S->az, m, ws, we);
    for (size_t i = 0; i < m->n && !azure_only; i++) {
        const struct acct_job *j = &m->jobs[i];
        if (j->end > maxend)
            maxend = j->end;
        if ((S->floor && j->end < S->floor) || (we && j->end < ws))
            continue; /* ended before counting began, or outside the window asked for */
        if (seen_has(S, j->job_id, j->end)) {
            S->tot.duplicates++;
            continue;
        }
        if (acct_seen_add(S, j->job_id, j->end) < 0)
            full = true;
        if (prev && j->end <= prev)
            S->tot.late++;
        count_job(S, m, j);
    }
    if (!we) { /* no window asked for (tests): the records are the window */
        ws = 0;
        we = maxend > prev ? maxend : prev;
    }
    if (azure_only) { /* the accounting window is still the last one read */
        ws = we = S->watermark;
    } else {
        if (we > S->watermark)
            S->watermark = we;
        if (full && !S->no_overlap)
            log_msg(LOG_WARN,
                    "accounting: too many jobs ended near the window's end to remember; the next "
                    "window does not overlap (a job slurmdbd records late may be missed)");
        S->no_overlap = full;
        int64_t keep = S->watermark + 1 - (S->no_overlap ? 0 : S->overlap);
        seen_prune(S, keep < S->floor ? S->floor : keep);
    }
    S->pend_start = S->pend_end = 0;
    S->max_window = S->max_window * 2 < ACCT_MAX_WINDOW ? S->max_window * 2 : ACCT_MAX_WINDOW;

    /* the totals into the snapshot */
    arena_release(a, m->jobs, m->cap * sizeof(*m->jobs));
    m->jobs = NULL;
    m->cap = 0;
    m->committed = true;
    m->tot = S->tot;
    m->floor = S->floor;
    m->window_start = ws;
    m->window_end = we;
    m->seen = S->seen_n;
    m->ngroups = S->ngroups;
    m->groups = arena_alloc(a, (S->ngroups + 1) * sizeof(*m->groups));
    for (size_t i = 0; i < S->ngroups; i++) {
        const struct acct_sgroup *g = &S->groups[i];
        struct acct_group *o = &m->groups[i];
        const char *pn = strtab_get(&S->names, g->partition);
        const char *an = strtab_get(&S->names, g->account);
        o->partition = strtab_intern(&m->strs, pn, strlen(pn));
        o->account = strtab_intern(&m->strs, an, strlen(an));
        memcpy(o->jobs, g->jobs, sizeof(o->jobs));
        o->cpu_used = g->cpu_used;
        o->cpu_alloc = g->cpu_alloc;
    }
    m->nparts = S->nparts;
    m->parts = arena_alloc(a, (S->nparts + 1) * sizeof(*m->parts));
    for (size_t i = 0; i < S->nparts; i++) {
        const char *pn = strtab_get(&S->names, S->parts[i].partition);
        m->parts[i].partition = strtab_intern(&m->strs, pn, strlen(pn));
        memcpy(m->parts[i].h, S->parts[i].h, sizeof(m->parts[i].h));
    }
    if (m->ngroups > 1)
        qsort_r(m->groups, m->ngroups, sizeof(*m->groups), cmp_names2, &m->strs);
    if (m->nparts > 1)
        qsort_r(m->parts, m->nparts, sizeof(*m->parts), cmp_parts, &m->strs);
    if (S->az)
        acct_az_snapshot(S->az, m, a);

    if (S->path) {
        char err[256];
        if (acct_state_save(S, S->path, err, sizeof(err)) < 0)
            log_limited(&S->lim, 600, LOG_WARN, "accounting state file not written", "path",
                        S->path, "error", err);
    }
}
