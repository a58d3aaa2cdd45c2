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

static struct acct_seen *seen_find(const struct acct_state *S, uint32_t id, int64_t end)
{
    if (!S->seen_cap)
        return NULL;
    struct acct_seen *e = &S->seen[seen_slot(S->seen, S->seen_cap, id, end)];
    return e->end ? e : NULL;
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
int acct_seen_add(struct acct_state *S, uint32_t id, int64_t end, double cpu_used)
{
    if (S->seen_n >= ACCT_SEEN_MAX)
        return -1;
    if ((S->seen_n + 1) * 2 > S->seen_cap)
        seen_rebuild(S, S->seen_cap ? S->seen_cap * 2 : 256, INT64_MIN);
    struct acct_seen *e = &S->seen[seen_slot(S->seen, S->seen_cap, id, end)];
    if (!e->end) {
        e->job_id = id;
        e->end = end;
        e->cpu_used = cpu_used;
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

static uint64_t group_hash(uint32_t p, uint32_t a, uint32_t u)
{
    return ((uint64_t)p << 32 | a) ^ ((uint64_t)u * 0xC2B2AE3D27D4EB4FULL);
}

static size_t group_slot(const struct acct_gtable *t, uint32_t p, uint32_t a, uint32_t u)
{
    size_t i = hash_slot(group_hash(p, a, u), t->nslots);
    while (t->slots[i]) {
        const struct acct_sgroup *g = &t->v[t->slots[i] - 1];
        if (g->partition == p && g->account == a && g->user == u)
            break;
        i = (i + 1) & (t->nslots - 1);
    }
    return i;
}

struct acct_sgroup *acct_group_find(const struct acct_gtable *t, uint32_t p, uint32_t a, uint32_t u)
{
    if (!t->nslots)
        return NULL;
    uint32_t k = t->slots[group_slot(t, p, a, u)];
    return k ? &t->v[k - 1] : NULL;
}

static struct acct_sgroup *group_add(struct acct_gtable *t, uint32_t p, uint32_t a, uint32_t u)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    if ((t->n + 1) * 2 > t->nslots) {
        free(t->slots);
        t->nslots = t->nslots ? t->nslots * 2 : 64;
        t->slots = xcalloc(t->nslots, sizeof(uint32_t));
        for (size_t i = 0; i < t->n; i++)
            t->slots[group_slot(t, t->v[i].partition, t->v[i].account, t->v[i].user)] =
                (uint32_t)i + 1;
    }
    struct acct_sgroup *g = &t->v[t->n];
    memset(g, 0, sizeof(*g));
    g->partition = p;
    g->account = a;
    g->user = u;
    t->slots[group_slot(t, p, a, u)] = (uint32_t)++t->n;
    return g;
}

static void gtable_free(struct acct_gtable *t)
{
    free(t->v);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

struct acct_sgroup *acct_group_get(struct acct_state *S, struct acct_gtable *t, const char *pn,
                                   const char *an, const char *un)
{
    uint32_t p = strtab_find(&S->names, pn, strlen(pn));
    uint32_t a = strtab_find(&S->names, an, strlen(an));
    uint32_t u = un ? strtab_find(&S->names, un, strlen(un)) : ACCT_NO_USER;
    struct acct_sgroup *g = p != UINT32_MAX && a != UINT32_MAX && (!un || u != UINT32_MAX)
                                ? acct_group_find(t, p, a, u)
                                : NULL;
    if (g)
        return g;
    if (t->n >= S->limit)
        return NULL;
    p = strtab_intern(&S->names, pn, strlen(pn));
    a = strtab_intern(&S->names, an, strlen(an));
    u = un ? strtab_intern(&S->names, un, strlen(un)) : ACCT_NO_USER;
    return group_add(t, p, a, u);
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
    S->settle = cfg->accounting_settle > 0 ? (int64_t)ceil(cfg->accounting_settle) : 0;
    S->max_window = ACCT_MAX_WINDOW;
    S->limit = cfg->series_limit ? cfg->series_limit : 100000;
    S->users = cfg->accounting_users;
    S->path = cfg->accounting_state_file && cfg->accounting_state_file[0]
                  ? cfg->accounting_state_file
                  : NULL;
    strtab_init(&S->names, &S->arena);
}

void acct_state_clear(struct acct_state *S)
{
    free(S->seen);
    gtable_free(&S->groups);
    gtable_free(&S->ugroups);
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
    /* The records of jobs that ended in the last `settle` seconds are read
     * (--compat=azure wants their states now) but not counted: slurmdbd
     * stores a job's end before its steps' usage (a cancelled job's batch
     * step reports when it has died, KillWait later at most), so their
     * TotalCPU may still grow. The window is read again from there. */
    S->pend_until = now - S->settle;
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

static int cmp_names3(const void *a, const void *b, void *ctx)
{
    const struct strtab *t = ctx;
    const struct acct_group *x = a, *y = b;
    int c = cmp_names2(a, b, ctx);
    return c ? c : strcmp(strtab_get(t, x->user), strtab_get(t, y->user));
}

/* A state table's groups into the snapshot: names interned in m->strs,
 * sorted by partition, account (and user). */
static struct acct_group *groups_copy(const struct acct_state *S, const struct acct_gtable *t,
                                      struct acct_model *m, struct arena *a)
{
    struct acct_group *out = arena_alloc(a, (t->n + 1) * sizeof(*out));
    for (size_t i = 0; i < t->n; i++) {
        const struct acct_sgroup *g = &t->v[i];
        const char *pn = strtab_get(&S->names, g->partition);
        const char *an = strtab_get(&S->names, g->account);
        out[i].partition = strtab_intern(&m->strs, pn, strlen(pn));
        out[i].account = strtab_intern(&m->strs, an, strlen(an));
        out[i].user = ACCT_NO_USER;
        if (g->user != ACCT_NO_USER) {
            const char *un = strtab_get(&S->names, g->user);
            out[i].user = strtab_intern(&m->strs, un, strlen(un));
        }
        out[i].s = g->s;
    }
    bool users = t->n && t->v[0].user != ACCT_NO_USER;
    if (t->n > 1)
        qsort_r(out, t->n, sizeof(*out), users ? cmp_names3 : cmp_names2, &m->strs);
    return out;
}

static int cmp_parts(const void *a, const void *b, void *ctx)
{
    const struct strtab *t = ctx;
    const struct acct_part *x = a, *y = b;
    return strcmp(strtab_get(t, x->partition), strtab_get(t, y->partition));
}

/* Adds a finished job to a group's figures. */
static void sums_add(struct acct_sums *s, const struct acct_job *j)
{
    s->jobs[j->state]++;
    if (!j->ran)
        return;
    double el = (double)j->elapsed, cpu = el * (double)j->cpus;
    s->cpu_used += j->cpu_used;
    s->cpu_alloc += cpu;
    s->cpu_waste += cpu > j->cpu_used ? cpu - j->cpu_used : 0;
    if (acct_job_mem_measured(j)) {
        double used = j->mem_used * el, alloc = (double)j->mem_alloc * el;
        s->mem_used += used;
        s->mem_alloc += alloc;
        s->mem_waste += alloc > used ? alloc - used : 0;
    } else {
        s->mem_unmeasured++;
    }
}

static void count_job(struct acct_state *S, const struct acct_model *m, const struct acct_job *j)
{
    struct acct_sgroup *g = acct_group_get(S, &S->groups, strtab_get(&m->strs, j->partition),
                                           strtab_get(&m->strs, j->account), NULL);
    if (!g) {
        S->tot.dropped++;
        return;
    }
    S->tot.counted++;
    sums_add(&g->s, j);
    if (S->users && j->user != ACCT_NO_USER) {
        struct acct_sgroup *u =
            acct_group_get(S, &S->ugroups, strtab_get(&m->strs, j->partition),
                           strtab_get(&m->strs, j->account), strtab_get(&m->strs, j->user));
        if (u)
            sums_add(&u->s, j);
        else
            S->tot.user_dropped++;
    }
    if (!j->ran)
        return;
    struct acct_spart *sp = acct_part_get(S, g->partition);
    if (!sp)
        return;
    int64_t from = j->eligible > 0 && j->eligible <= j->start ? j->eligible : j->submit;
    if (from > 0 && from <= j->start)
        observe(&sp->h[ACCT_H_WAIT], ACCT_H_WAIT, (double)(j->start - from));
    observe(&sp->h[ACCT_H_RUN], ACCT_H_RUN, (double)j->elapsed);
    double alloc = (double)j->elapsed * (double)j->cpus;
    if (alloc > 0)
        observe(&sp->h[ACCT_H_CPU_EFF], ACCT_H_CPU_EFF, j->cpu_used / alloc);
    if (acct_job_mem_measured(j))
        observe(&sp->h[ACCT_H_MEM_EFF], ACCT_H_MEM_EFF, j->mem_used / (double)j->mem_alloc);
}

void acct_commit(struct acct_state *S, struct acct_model *m, struct arena *a)
{
    int64_t ws = S->pend_start, we = S->pend_end, prev = S->watermark, maxend = 0;
    int64_t until = we ? S->pend_until : 0;
    bool full = false;
    /* --compat=azure takes the records; a backfill window is Azure's only */
    bool azure_only = S->az && acct_az_commit(S->az, m, ws, we);
    for (size_t i = 0; i < m->n && !azure_only; i++) {
        const struct acct_job *j = &m->jobs[i];
        if (j->end > maxend)
            maxend = j->end;
        if ((S->floor && j->end < S->floor) || (we && j->end < ws))
            continue; /* ended before counting began, or outside the window asked for */
        if (until && j->end > until)
            continue; /* not settled: the next window reads it again */
        struct acct_seen *was = seen_find(S, j->job_id, j->end);
        if (was) { /* counted; a changed TotalCPU counts as one revision */
            S->tot.duplicates++;
            if (!isnan(was->cpu_used) && fabs(was->cpu_used - j->cpu_used) >= 0.0005)
                S->tot.revised++;
            was->cpu_used = j->cpu_used;
            continue;
        }
        if (acct_seen_add(S, j->job_id, j->end, j->cpu_used) < 0)
            full = true;
        if (prev && j->end <= prev)
            S->tot.late++;
        count_job(S, m, j);
    }
    if (!we) { /* no window asked for (tests): the records are the window */
        ws = 0;
        we = maxend > prev ? maxend : prev;
    } else if (we > until) { /* read up to `until` only: the rest again next time */
        we = until;
        if (ws > we)
            ws = we;
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
    S->pend_start = S->pend_end = S->pend_until = 0;
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
    m->ngroups = S->groups.n;
    m->groups = groups_copy(S, &S->groups, m, a);
    m->users = S->users;
    m->nugroups = S->ugroups.n;
    m->ugroups = groups_copy(S, &S->ugroups, m, a);
    m->nparts = S->nparts;
    m->parts = arena_alloc(a, (S->nparts + 1) * sizeof(*m->parts));
    for (size_t i = 0; i < S->nparts; i++) {
        const char *pn = strtab_get(&S->names, S->parts[i].partition);
        m->parts[i].partition = strtab_intern(&m->strs, pn, strlen(pn));
        memcpy(m->parts[i].h, S->parts[i].h, sizeof(m->parts[i].h));
    }
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

/* ---- active-only HA ---------------------------------------------------------- */

/* Takes the window of T (a state read from the shared file) into S: its end,
 * its overlap flag, its remembered jobs (added to S's), its floor when S has
 * none or a later one. */
static void take_window(struct acct_state *S, const struct acct_state *T)
{
    S->watermark = T->watermark;
    if (!S->floor || (T->floor && T->floor < S->floor))
        S->floor = T->floor;
    bool full = T->no_overlap;
    for (size_t i = 0; i < T->seen_cap; i++) {
        const struct acct_seen *e = &T->seen[i];
        if (e->end && !seen_find(S, e->job_id, e->end) &&
            acct_seen_add(S, e->job_id, e->end, e->cpu_used) < 0)
            full = true;
    }
    S->no_overlap = full;
    int64_t keep = S->watermark + 1 - (S->no_overlap ? 0 : S->overlap);
    seen_prune(S, keep < S->floor ? S->floor : keep);
}

int acct_state_resume_window(struct acct_state *S, const char *path, char *err, size_t errlen)
{
    struct acct_state T;
    struct config cfg0;
    memset(&cfg0, 0, sizeof(cfg0));
    acct_state_init(&T, &cfg0);
    T.since = S->since;
    T.overlap = S->overlap;
    T.limit = S->limit;
    T.users = S->users;
    int rc = acct_state_load(&T, path, err, errlen);
    if (rc == -ENOENT) {
        acct_state_clear(&T);
        return 0;
    }
    if (rc < 0) {
        acct_state_clear(&T);
        return rc;
    }
    rc = 0;
    if (T.watermark >= S->watermark) {
        take_window(S, &T);
        rc = 1;
    }
    memcpy(S->file_owner, T.file_owner, sizeof(S->file_owner));
    acct_state_clear(&T);
    return rc;
}

int acct_state_ha_start(struct acct_state *S, const char *owner)
{
    snprintf(S->owner, sizeof(S->owner), "%s", owner ? owner : "");
    if (!S->restored)
        return 0;
    if (S->owner[0] && strcmp(S->file_owner, S->owner) == 0)
        return 1;
    /* another exporter's counters: only the window is this one's to take */
    gtable_free(&S->groups);
    gtable_free(&S->ugroups);
    free(S->parts);
    S->parts = NULL;
    S->nparts = S->parts_cap = 0;
    memset(&S->tot, 0, sizeof(S->tot));
    return 0;
}
