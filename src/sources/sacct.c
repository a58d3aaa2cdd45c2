/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting source: sacct windows on the jobs' end time, each finished
 * job counted once (sacct.h explains the parts).
 *
 * Windows. A refresh reads the jobs that ended in [start, end] (both
 * included: slurmdbd selects `time_end between start and end` when final
 * states are asked for). end is now (at most ACCT_MAX_WINDOW after start);
 * start is the previous window's end + 1 - overlap, so each window re-reads
 * the last `overlap` seconds: a job slurmdbd records late (slurmctld's
 * queue to slurmdbd, clock skew) is still found. Jobs are told apart by
 * JobIDRaw and end time; the ones that may be read again (end >= the next
 * window's start) are remembered, so a re-read one is not counted again.
 * A failed refresh changes nothing; the next one reads the same window
 * again (halved, in case it failed for its size). */
#include "sources/sacct.h"
#include "sources/source.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE_MAX (64u << 20)
#define STATE_MAGIC "slurm_exporter-accounting-state 1"

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
static int seen_add(struct acct_state *S, uint32_t id, int64_t end)
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

static struct acct_sgroup *group_find(const struct acct_state *S, uint32_t p, uint32_t a)
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
static struct acct_sgroup *group_get(struct acct_state *S, const char *pn, const char *an)
{
    uint32_t p = strtab_find(&S->names, pn, strlen(pn));
    uint32_t a = strtab_find(&S->names, an, strlen(an));
    struct acct_sgroup *g = p != UINT32_MAX && a != UINT32_MAX ? group_find(S, p, a) : NULL;
    if (g)
        return g;
    if (S->ngroups >= S->limit)
        return NULL;
    p = strtab_intern(&S->names, pn, strlen(pn));
    a = strtab_intern(&S->names, an, strlen(an));
    return group_add(S, p, a);
}

/* The histograms of a partition (its name is interned: a group has it). */
static struct acct_spart *part_get(struct acct_state *S, uint32_t p)
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

static void state_init(struct acct_state *S, const struct config *cfg)
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

static void state_clear(struct acct_state *S)
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
    state_init(S, cfg);
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
    return S;
}

void acct_state_free(struct acct_state *S)
{
    if (!S)
        return;
    state_clear(S);
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
    int64_t st = S->floor;
    if (S->watermark) {
        st = S->watermark + 1 - (S->no_overlap ? 0 : S->overlap);
        if (st < S->floor)
            st = S->floor;
    }
    int64_t en = now;
    if (en - st > S->max_window)
        en = st + S->max_window;
    if (en < st)
        en = st; /* the clock went back: read [st, st] */
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
        group_get(S, strtab_get(&m->strs, j->partition), strtab_get(&m->strs, j->account));
    if (!g) {
        S->tot.dropped++;
        return;
    }
    S->tot.counted++;
    g->jobs[j->state]++;
    if (!j->ran)
        return;
    struct acct_spart *sp = part_get(S, g->partition);
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
    for (size_t i = 0; i < m->n; i++) {
        const struct acct_job *j = &m->jobs[i];
        if (j->end > maxend)
            maxend = j->end;
        if ((S->floor && j->end < S->floor) || (we && j->end < ws))
            continue; /* ended before counting began, or outside the window asked for */
        if (seen_has(S, j->job_id, j->end)) {
            S->tot.duplicates++;
            continue;
        }
        if (seen_add(S, j->job_id, j->end) < 0)
            full = true;
        if (prev && j->end <= prev)
            S->tot.late++;
        count_job(S, m, j);
    }
    if (!we) { /* no window asked for (tests): the records are the window */
        ws = 0;
        we = maxend > prev ? maxend : prev;
    }
    if (we > S->watermark)
        S->watermark = we;
    if (full && !S->no_overlap)
        log_msg(LOG_WARN,
                "accounting: too many jobs ended near the window's end to remember; the next "
                "window does not overlap (a job slurmdbd records late may be missed)");
    S->no_overlap = full;
    int64_t keep = S->watermark + 1 - (S->no_overlap ? 0 : S->overlap);
    seen_prune(S, keep < S->floor ? S->floor : keep);
    S->pend_start = S->pend_end = 0;
    S->max_window = S->max_window * 2 < ACCT_MAX_WINDOW ? S->max_window * 2 : ACCT_MAX_WINDOW;

    /* the totals into the snapshot */
    free(m->jobs);
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

    if (S->path) {
        char err[256];
        if (acct_state_save(S, S->path, err, sizeof(err)) < 0)
            log_limited(&S->lim, 600, LOG_WARN, "accounting state file not written", "path",
                        S->path, "error", err);
    }
}

/* ---- state file ---------------------------------------------------------- */

static void put_name(struct buf *b, const char *s)
{
    buf_putc(b, '=');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '%')
            buf_printf(b, "%%%02X", *p);
        else
            buf_putc(b, (char)*p);
    }
}

static void put_double(struct buf *b, double v)
{
    buf_printf(b, " %.17g", v);
}

static int cmp_seen(const void *a, const void *b)
{
    const struct acct_seen *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->job_id > y->job_id) - (x->job_id < y->job_id);
}

char *acct_state_dump(const struct acct_state *S, size_t *len)
{
    struct buf b = {0};
    size_t lines = 0;
    buf_printf(&b, "%s\n", STATE_MAGIC);
    buf_printf(&b, "floor %lld\nwatermark %lld\nno_overlap %d\n", (long long)S->floor,
               (long long)S->watermark, S->no_overlap ? 1 : 0);
    buf_printf(&b, "totals %llu %llu %llu %llu\n", (unsigned long long)S->tot.counted,
               (unsigned long long)S->tot.duplicates, (unsigned long long)S->tot.late,
               (unsigned long long)S->tot.dropped);
    lines += 4; /* the records after the first line, before "end" */
    /* in (end, id) order: the same state always writes the same file */
    struct acct_seen *seen = xmalloc((S->seen_n + 1) * sizeof(*seen));
    size_t ns = 0;
    for (size_t i = 0; i < S->seen_cap && ns < S->seen_n; i++)
        if (S->seen[i].end)
            seen[ns++] = S->seen[i];
    qsort(seen, ns, sizeof(*seen), cmp_seen);
    for (size_t i = 0; i < ns; i++)
        buf_printf(&b, "seen %u %lld\n", seen[i].job_id, (long long)seen[i].end);
    lines += ns;
    free(seen);
    for (size_t i = 0; i < S->ngroups; i++) {
        const struct acct_sgroup *g = &S->groups[i];
        buf_puts(&b, "group ");
        put_name(&b, strtab_get(&S->names, g->partition));
        buf_putc(&b, ' ');
        put_name(&b, strtab_get(&S->names, g->account));
        for (int k = 0; k < ACCT_STATE_COUNT; k++)
            buf_printf(&b, " %llu", (unsigned long long)g->jobs[k]);
        put_double(&b, g->cpu_used);
        put_double(&b, g->cpu_alloc);
        buf_putc(&b, '\n');
        lines++;
    }
    for (size_t i = 0; i < S->nparts; i++) {
        for (int k = 0; k < ACCT_HISTS; k++) {
            const struct acct_hist *h = &S->parts[i].h[k];
            buf_puts(&b, "hist ");
            put_name(&b, strtab_get(&S->names, S->parts[i].partition));
            buf_printf(&b, " %d %llu", k, (unsigned long long)h->count);
            put_double(&b, h->sum);
            for (size_t n = 0; n <= acct_nbounds[k]; n++)
                buf_printf(&b, " %llu", (unsigned long long)h->counts[n]);
            buf_putc(&b, '\n');
            lines++;
        }
    }
    buf_printf(&b, "end %zu\n", lines);
    if (len)
        *len = b.len;
    buf_cstr(&b);
    return b.p;
}

int acct_state_save(const struct acct_state *S, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *data = acct_state_dump(S, &len);
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        free(data);
        snprintf(err, errlen, "path too long");
        return -ENAMETOOLONG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        free(data);
        snprintf(err, errlen, "%s: %s", tmp, strerror(e));
        return -e;
    }
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)w;
    }
    free(data);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
        unlink(tmp);
    }
    return rc;
}

/* Next space-separated token of [*p, end). */
static bool token(const char **p, const char *end, const char **t, size_t *n)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    const char *e = s;
    while (e < end && *e != ' ')
        e++;
    *t = s;
    *n = (size_t)(e - s);
    *p = e;
    return *n > 0;
}

static bool tok_u64(const char **p, const char *end, uint64_t *v)
{
    const char *t;
    size_t n;
    return token(p, end, &t, &n) && parse_u64(t, n, v) == 0;
}

static bool tok_i64(const char **p, const char *end, int64_t *v)
{
    uint64_t u;
    if (!tok_u64(p, end, &u) || u > (uint64_t)INT64_MAX)
        return false;
    *v = (int64_t)u;
    return true;
}

static bool tok_double(const char **p, const char *end, double *v)
{
    const char *t;
    size_t n;
    return token(p, end, &t, &n) && parse_double(t, n, v) == 0 && isfinite(*v) && *v >= 0;
}

/* A name: '=' then the bytes, %XX for the escaped ones. */
static bool tok_name(const char **p, const char *end, char *out, size_t cap)
{
    const char *t;
    size_t n, o = 0;
    if (!token(p, end, &t, &n) || t[0] != '=')
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned c = (unsigned char)t[i];
        if (c == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)t[i + 1]) ||
                !isxdigit((unsigned char)t[i + 2]))
                return false;
            char hex[3] = {t[i + 1], t[i + 2], 0};
            c = (unsigned)strtoul(hex, NULL, 16);
            if (c == 0)
                return false;
            i += 2;
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

static int bad_line(char *err, size_t errlen, size_t line, const char *what)
{
    snprintf(err, errlen, "line %zu: %s", line, what);
    return -EINVAL;
}

int acct_state_parse(struct acct_state *S, const char *buf, size_t len, char *err, size_t errlen)
{
    struct acct_state T;
    struct config cfg0;
    memset(&cfg0, 0, sizeof(cfg0));
    state_init(&T, &cfg0);
    T.since = S->since;
    T.overlap = S->overlap;
    T.limit = S->limit;
    T.path = S->path;
    T.path_owned = S->path_owned;
    const char *p = buf, *end = buf + len;
    size_t line = 0, records = 0;
    bool ended = false, have_floor = false, have_wm = false;
    int rc = 0;
    char pn[MAX_LABEL_LEN * 3 + 8], an[MAX_LABEL_LEN * 3 + 8];
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            rc = bad_line(err, errlen, line + 1, "truncated (no newline)");
            break;
        }
        const char *s = p, *e = nl;
        p = nl + 1;
        line++;
        if (ended) {
            rc = bad_line(err, errlen, line, "data after the end line");
            break;
        }
        if (line == 1) {
            if ((size_t)(e - s) != strlen(STATE_MAGIC) ||
                memcmp(s, STATE_MAGIC, (size_t)(e - s)) != 0)
                rc = bad_line(err, errlen, line, "not an accounting state file (version 1)");
            continue;
        }
        const char *kw;
        size_t kn;
        if (!token(&s, e, &kw, &kn)) {
            rc = bad_line(err, errlen, line, "empty line");
            break;
        }
#define KW(w) (kn == sizeof(w) - 1 && memcmp(kw, w, kn) == 0)
        bool ok = true;
        if (KW("floor")) {
            ok = tok_i64(&s, e, &T.floor);
            have_floor = true;
        } else if (KW("watermark")) {
            ok = tok_i64(&s, e, &T.watermark);
            have_wm = true;
        } else if (KW("no_overlap")) {
            uint64_t v;
            ok = tok_u64(&s, e, &v) && v <= 1;
            T.no_overlap = ok && v == 1;
        } else if (KW("totals")) {
            ok = tok_u64(&s, e, &T.tot.counted) && tok_u64(&s, e, &T.tot.duplicates) &&
                 tok_u64(&s, e, &T.tot.late) && tok_u64(&s, e, &T.tot.dropped);
        } else if (KW("seen")) {
            uint64_t id;
            int64_t en;
            ok = tok_u64(&s, e, &id) && id > 0 && id <= UINT32_MAX && tok_i64(&s, e, &en) && en > 0;
            if (ok && seen_add(&T, (uint32_t)id, en) < 0)
                ok = false;
        } else if (KW("group")) {
            ok = tok_name(&s, e, pn, sizeof(pn)) && tok_name(&s, e, an, sizeof(an)) &&
                 strlen(pn) <= MAX_LABEL_LEN && strlen(an) <= MAX_LABEL_LEN;
            struct acct_sgroup g;
            memset(&g, 0, sizeof(g));
            for (int k = 0; ok && k < ACCT_STATE_COUNT; k++)
                ok = tok_u64(&s, e, &g.jobs[k]);
            ok = ok && tok_double(&s, e, &g.cpu_used) && tok_double(&s, e, &g.cpu_alloc);
            if (ok) {
                uint32_t pi = strtab_find(&T.names, pn, strlen(pn));
                uint32_t ai = strtab_find(&T.names, an, strlen(an));
                if (pi != UINT32_MAX && ai != UINT32_MAX && group_find(&T, pi, ai))
                    ok = false; /* twice */
            }
            struct acct_sgroup *ng = ok ? group_get(&T, pn, an) : NULL;
            if (!ng)
                ok = false;
            else {
                memcpy(ng->jobs, g.jobs, sizeof(g.jobs));
                ng->cpu_used = g.cpu_used;
                ng->cpu_alloc = g.cpu_alloc;
            }
        } else if (KW("hist")) {
            uint64_t kind, count;
            double sum;
            ok = tok_name(&s, e, pn, sizeof(pn)) && strlen(pn) <= MAX_LABEL_LEN &&
                 tok_u64(&s, e, &kind) && kind < ACCT_HISTS && tok_u64(&s, e, &count) &&
                 tok_double(&s, e, &sum);
            uint32_t pi = ok ? strtab_find(&T.names, pn, strlen(pn)) : UINT32_MAX;
            struct acct_spart *sp = pi != UINT32_MAX ? part_get(&T, pi) : NULL;
            if (!sp)
                ok = false; /* a histogram of a partition without a group */
            uint64_t total = 0;
            for (size_t n = 0; ok && n <= acct_nbounds[kind]; n++) {
                ok = tok_u64(&s, e, &sp->h[kind].counts[n]);
                total += sp->h[kind].counts[n];
            }
            if (ok && (total != count || sp->h[kind].count))
                ok = false; /* the buckets do not add up, or the histogram twice */
            if (ok) {
                sp->h[kind].count = count;
                sp->h[kind].sum = sum;
            }
        } else if (KW("end")) {
            uint64_t n;
            ok = tok_u64(&s, e, &n) && n == records;
            ended = true;
        } else {
            ok = false;
        }
#undef KW
        const char *extra;
        size_t xn;
        if (ok && token(&s, e, &extra, &xn))
            ok = false;
        if (!ok)
            rc = bad_line(err, errlen, line, "unreadable record");
        if (!ended)
            records++;
    }
    if (rc == 0 && line == 0)
        rc = bad_line(err, errlen, 1, "empty file");
    if (rc == 0 && (!ended || !have_floor || !have_wm))
        rc = bad_line(err, errlen, line, "incomplete (no end line, floor or watermark)");
    if (rc == 0 && T.watermark && T.watermark < T.floor)
        rc = bad_line(err, errlen, line, "watermark before floor");
    if (rc < 0) {
        state_clear(&T);
        return rc;
    }
    /* the records were good: they replace S's figures */
    state_clear(S);
    struct log_limit lim = S->lim;
    *S = T;
    S->names.arena = &S->arena;
    S->lim = lim;
    S->restored = true;
    return 0;
}

int acct_state_load(struct acct_state *S, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s", strerror(e));
        return -e;
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)STATE_FILE_MAX) {
        close(fd);
        snprintf(err, errlen, "not a regular file of at most %u bytes", STATE_FILE_MAX);
        return -EINVAL;
    }
    size_t len = (size_t)sb.st_size, off = 0;
    char *data = xmalloc(len + 1);
    while (off < len) {
        ssize_t r = read(fd, data + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    int rc = acct_state_parse(S, data, off, err, errlen);
    free(data);
    return rc;
}

/* ---- the source ------------------------------------------------------------ */

static void acct_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    struct acct_model *m = &r->u.acct;
    cli_sacct_init(p, m, &r->arena);
    if (hint) {
        m->jobs = xmalloc((hint + hint / 16) * sizeof(*m->jobs));
        m->cap = hint + hint / 16;
    }
}

static size_t acct_count(const struct dataset_result *r)
{
    return r->u.acct.n;
}

/* With several clusters (--slurm.clusters=a,b) each cluster keeps its own
 * position and counters: PATH.CLUSTER. */
static void *acct_state_new_v(const struct config *cfg, const char *cluster)
{
    const char *base = cfg->accounting_state_file;
    if (!cluster || cfg->nclusters < 2 || !base || !base[0])
        return acct_state_new(cfg);
    size_t n = strlen(base) + strlen(cluster) + 2;
    char *path = xmalloc(n);
    snprintf(path, n, "%s.%s", base, cluster);
    for (char *c = path + strlen(base) + 1; *c; c++)
        if (*c == '/')
            *c = '_';
    struct config one = *cfg;
    one.accounting_state_file = path;
    struct acct_state *S = acct_state_new(&one);
    S->path_owned = path;
    return S;
}

static void acct_state_free_v(void *state)
{
    acct_state_free(state);
}

static int acct_dyn_args(const struct source_ctx *ctx, char buf[][256], int max)
{
    if (!ctx->state || max < 2)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t start, end;
    acct_window(ctx->state, (int64_t)time(NULL), (double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
                &start, &end);
    snprintf(buf[0], 256, "--starttime=uts%lld", (long long)start);
    snprintf(buf[1], 256, "--endtime=uts%lld", (long long)end);
    return 2;
}

static void acct_commit_v(const struct source_ctx *ctx, struct dataset_result *r)
{
    if (ctx->state)
        acct_commit(ctx->state, &r->u.acct, &r->arena);
}

const struct source_def source_accounting = {
    .command = "sacct",
    .args = {"--allusers", "--noheader", "--parsable2", "--noconvert", "--state=" CLI_SACCT_STATES,
             "--format=" CLI_SACCT_FORMAT},
    .parser_size = sizeof(struct sacct_parser),
    .stats_offset = offsetof(struct sacct_parser, st),
    .init = acct_init,
    .line = cli_sacct_line,
    .count = acct_count,
    .state_new = acct_state_new_v,
    .state_free = acct_state_free_v,
    .dyn_args = acct_dyn_args,
    .commit = acct_commit_v,
    .clusters = true,
    .commit_unreadable = true,
};
