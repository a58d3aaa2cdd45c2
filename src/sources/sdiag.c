/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler dataset's source: `sdiag` (plain text; the layout of Slurm's
 * src/sdiag/sdiag.c, 22.05 to 25.11), its line parser, and the counter state
 * that keeps the exporter's totals monotonic across Slurm's resets.
 *
 * Format notes (from Slurm's sdiag.c):
 * - "Key: value" lines; sections start with a title line ("Main schedule
 *   statistics (microseconds):", "Backfilling stats", "Remote Procedure Call
 *   statistics by message type", ...). The same key ("Last cycle", "Total
 *   cycles") appears in several sections, so keys are looked up per section.
 * - Timestamps are "ctime-like text (EPOCH)"; only EPOCH is read.
 * - Header counts are printed with %d from unsigned 32-bit fields, so a value
 *   past 2^31 prints negative; it is read back as the unsigned value.
 * - Mean lines are printed only when the cycle count is positive, "Cycles per
 *   minute" only a minute after the last reset, "RPC queue enabled" and the
 *   "exit" sections only by 23.11/24.05+; RPC lines gained "queued: cycle_last:
 *   cycle_max: dropped:" with the RPC queue (24.05+).
 * Lines the parser does not know are skipped (newer versions add lines); a
 * known line with an unreadable number is a parse error. */
#include "sources/sdiag.h"
#include "sources/source.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char *const main_exit_text[SDX_MAIN_COUNT] = {
#define X(e, s, l) s,
    SDIAG_MAIN_EXITS(X)
#undef X
};
static const char *const bf_exit_text[SDX_BF_COUNT] = {
#define X(e, s, l) s,
    SDIAG_BF_EXITS(X)
#undef X
};

enum section {
    SEC_HEAD,
    SEC_MAIN,
    SEC_MAIN_EXIT,
    SEC_BF,
    SEC_BF_EXIT,
    SEC_NONE,
    SEC_RPC_TYPE,
    SEC_RPC_USER,
    SEC_RPC_PENDING,
    SEC_RPC_DUMP,
};

enum kind { K_INT, K_UINT, K_TIME };

struct key {
    uint8_t section;
    uint8_t kind;
    uint8_t field;
    const char *text;
};

static const struct key keys[] = {
    {SEC_HEAD, K_INT, SD_SERVER_THREADS, "Server thread count"},
    {SEC_HEAD, K_INT, SD_RPC_QUEUE_ENABLED, "RPC queue enabled"},
    {SEC_HEAD, K_INT, SD_AGENT_QUEUE, "Agent queue size"},
    {SEC_HEAD, K_INT, SD_AGENTS, "Agent count"},
    {SEC_HEAD, K_INT, SD_AGENT_THREADS, "Agent thread count"},
    {SEC_HEAD, K_INT, SD_DBD_QUEUE, "DBD Agent queue size"},
    {SEC_HEAD, K_INT, SD_JOBS_SUBMITTED, "Jobs submitted"},
    {SEC_HEAD, K_INT, SD_JOBS_STARTED, "Jobs started"},
    {SEC_HEAD, K_INT, SD_JOBS_COMPLETED, "Jobs completed"},
    {SEC_HEAD, K_INT, SD_JOBS_CANCELED, "Jobs canceled"},
    {SEC_HEAD, K_INT, SD_JOBS_FAILED, "Jobs failed"},
    {SEC_HEAD, K_TIME, SD_JOB_STATES_TS, "Job states ts"},
    {SEC_HEAD, K_INT, SD_JOBS_PENDING, "Jobs pending"},
    {SEC_HEAD, K_INT, SD_JOBS_RUNNING, "Jobs running"},
    {SEC_MAIN, K_UINT, SD_MAIN_LAST, "Last cycle"},
    {SEC_MAIN, K_UINT, SD_MAIN_MAX, "Max cycle"},
    {SEC_MAIN, K_UINT, SD_MAIN_CYCLES, "Total cycles"},
    {SEC_MAIN, K_UINT, SD_MAIN_MEAN, "Mean cycle"},
    {SEC_MAIN, K_UINT, SD_MAIN_MEAN_DEPTH, "Mean depth cycle"},
    {SEC_MAIN, K_UINT, SD_MAIN_PER_MINUTE, "Cycles per minute"},
    {SEC_MAIN, K_UINT, SD_MAIN_QUEUE_LEN, "Last queue length"},
    {SEC_BF, K_UINT, SD_BF_JOBS_SINCE_START, "Total backfilled jobs (since last slurm start)"},
    {SEC_BF, K_UINT, SD_BF_JOBS, "Total backfilled jobs (since last stats cycle start)"},
    {SEC_BF, K_UINT, SD_BF_HET, "Total backfilled heterogeneous job components"},
    {SEC_BF, K_UINT, SD_BF_CYCLES, "Total cycles"},
    {SEC_BF, K_TIME, SD_BF_LAST_WHEN, "Last cycle when"},
    {SEC_BF, K_UINT, SD_BF_LAST, "Last cycle"},
    {SEC_BF, K_UINT, SD_BF_MAX, "Max cycle"},
    {SEC_BF, K_UINT, SD_BF_MEAN, "Mean cycle"},
    {SEC_BF, K_UINT, SD_BF_LAST_DEPTH, "Last depth cycle"},
    {SEC_BF, K_UINT, SD_BF_LAST_DEPTH_TRY, "Last depth cycle (try sched)"},
    {SEC_BF, K_UINT, SD_BF_DEPTH_MEAN, "Depth Mean"},
    {SEC_BF, K_UINT, SD_BF_DEPTH_MEAN_TRY, "Depth Mean (try depth)"},
    {SEC_BF, K_UINT, SD_BF_QUEUE_LEN, "Last queue length"},
    {SEC_BF, K_UINT, SD_BF_QUEUE_LEN_MEAN, "Queue length mean"},
    {SEC_BF, K_UINT, SD_BF_TABLE_SIZE, "Last table size"},
    {SEC_BF, K_UINT, SD_BF_TABLE_SIZE_MEAN, "Mean table size"},
};

/* ---- small text helpers ------------------------------------------------ */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && memcmp(s, prefix, pl) == 0;
}

static bool equals(const char *s, size_t n, const char *t)
{
    return strlen(t) == n && memcmp(s, t, n) == 0;
}

static const char *find(const char *s, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= n; i++)
        if (memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

/* %d of an unsigned 32-bit field: "-5" is 2^32 - 5. */
static int parse_int32u(const char *s, size_t n, uint64_t *out)
{
    if (n && s[0] == '-') {
        uint64_t v;
        if (parse_u64(s + 1, n - 1, &v) < 0 || v == 0 || v > 2147483648u)
            return -1;
        *out = 4294967296u - v;
        return 0;
    }
    return parse_u64(s, n, out);
}

/* "Mon Nov 23 08:46:41 2026 (1795423601)" -> 1795423601; "N/A" -> 1 (absent). */
static int parse_stamp(const char *s, size_t n, uint64_t *out)
{
    if (equals(s, n, "N/A"))
        return 1;
    if (n && s[n - 1] == ')') {
        const char *lp = NULL;
        for (size_t i = n - 1; i-- > 0;)
            if (s[i] == '(') {
                lp = s + i;
                break;
            }
        if (!lp)
            return -1;
        const char *v = lp + 1;
        size_t vn = (size_t)(s + n - 1 - v);
        trim(&v, &vn);
        return parse_u64(v, vn, out);
    }
    return parse_u64(s, n, out);
}

/* ---- model ------------------------------------------------------------- */

static void set_field(struct sdiag_model *m, int f, uint64_t v)
{
    m->v[f] = v;
    m->have |= 1ull << f;
}

static uint32_t intern_label(struct sdiag_model *m, const char *s, size_t n)
{
    return strtab_intern(&m->strs, s, n > MAX_LABEL_LEN ? MAX_LABEL_LEN : n);
}

/* Grows the strtab id -> index maps to cover id. */
static void idx_reserve(struct sdiag_parser *p, uint32_t id)
{
    struct sdiag_model *m = p->m;
    if (id < m->idx_cap)
        return;
    size_t nc = m->idx_cap ? m->idx_cap * 2 : 64;
    while (nc <= id)
        nc *= 2;
    uint32_t **maps[3] = {&m->type_idx, &m->user_idx, &m->pend_idx};
    for (int i = 0; i < 3; i++) {
        uint32_t *nm = arena_alloc(p->a, nc * sizeof(uint32_t));
        memset(nm, 0, nc * sizeof(uint32_t));
        if (m->idx_cap)
            memcpy(nm, *maps[i], m->idx_cap * sizeof(uint32_t));
        *maps[i] = nm;
    }
    m->idx_cap = nc;
}

/* Returns a zeroed slot of a growable arena array (NULL past max). */
static void *grow(struct arena *a, void **arr, size_t *n, size_t *cap, size_t size, size_t max)
{
    if (*n >= max)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void *na = arena_alloc(a, nc * size);
        if (*n)
            memcpy(na, *arr, *n * size);
        *arr = na;
        *cap = nc;
    }
    void *slot = (char *)*arr + *n * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}

void sdiag_init(struct sdiag_parser *p, struct sdiag_model *m, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    p->section = SEC_HEAD;
    strtab_init(&m->strs, a);
}

/* "NAME (ID) count:N ave_time:N total_time:N [queued:N cycle_last:N
 * cycle_max:N dropped:N]" */
static void rpc_line(struct sdiag_parser *p, const char *s, size_t n, const char *cnt)
{
    struct sdiag_model *m = p->m;
    const char *name = s;
    size_t name_n = (size_t)(cnt - s);
    uint64_t id = 0;
    const char *lp = memchr(s, '(', name_n);
    if (lp) {
        const char *rp = memchr(lp, ')', (size_t)(cnt - lp));
        const char *iv = lp + 1;
        size_t ivn = rp ? (size_t)(rp - iv) : 0;
        trim(&iv, &ivn);
        if (!rp || parse_u64(iv, ivn, &id) < 0 || id > UINT32_MAX) {
            parse_error(&p->st, "sdiag: bad RPC id", s, n);
            return;
        }
        name_n = (size_t)(lp - s);
    }
    trim(&name, &name_n);
    if (!name_n) {
        parse_error(&p->st, "sdiag: RPC line without a name", s, n);
        return;
    }
    struct sdiag_rpc r;
    memset(&r, 0, sizeof(r));
    r.id = (uint32_t)id;
    bool have_count = false;
    const char *q = cnt, *end = s + n;
    while (q < end) {
        while (q < end && is_space(*q))
            q++;
        const char *t = q;
        while (q < end && !is_space(*q))
            q++;
        size_t tn = (size_t)(q - t);
        const char *colon = memchr(t, ':', tn);
        if (!tn || !colon)
            continue;
        size_t kn = (size_t)(colon - t);
        const char *v = colon + 1;
        size_t vn = tn - kn - 1;
        uint64_t *dst = NULL;
        if (kn == 5 && memcmp(t, "count", 5) == 0) {
            dst = &r.count;
            have_count = true;
        } else if (kn == 8 && memcmp(t, "ave_time", 8) == 0) {
            dst = &r.ave_time;
        } else if (kn == 10 && memcmp(t, "total_time", 10) == 0) {
            dst = &r.total_time;
        } else if (kn == 6 && memcmp(t, "queued", 6) == 0) {
            dst = &r.queued;
            r.have_queue = true;
        } else if (kn == 7 && memcmp(t, "dropped", 7) == 0) {
            dst = &r.dropped;
            r.have_queue = true;
        } else if (kn == 10 && memcmp(t, "cycle_last", 10) == 0) {
            dst = &r.cycle_last;
        } else if (kn == 9 && memcmp(t, "cycle_max", 9) == 0) {
            dst = &r.cycle_max;
        }
        if (dst && parse_u64(v, vn, dst) < 0) {
            parse_error(&p->st, "sdiag: bad RPC number", s, n);
            return;
        }
    }
    if (!have_count) {
        parse_error(&p->st, "sdiag: RPC line without count", s, n);
        return;
    }
    r.name = intern_label(m, name, name_n);
    idx_reserve(p, r.name);
    if (p->section == SEC_RPC_PENDING) {
        uint32_t *ix = &m->pend_idx[r.name];
        if (*ix) {
            m->pending[*ix - 1].count += r.count;
            return;
        }
        struct sdiag_pending *e = grow(p->a, (void **)&m->pending, &m->n_pending, &m->cap_pending,
                                       sizeof(*e), SDIAG_MAX_RPC_TYPES);
        if (!e) {
            m->rpc_dropped++;
            return;
        }
        e->name = r.name;
        e->count = r.count;
        *ix = (uint32_t)m->n_pending;
        return;
    }
    bool users = p->section == SEC_RPC_USER;
    uint32_t *ix = users ? &m->user_idx[r.name] : &m->type_idx[r.name];
    if (*ix) { /* the same name twice (two uids with one name): summed */
        struct sdiag_rpc *e = users ? &m->users[*ix - 1] : &m->types[*ix - 1];
        e->count += r.count;
        e->total_time += r.total_time;
        e->ave_time = e->count ? e->total_time / e->count : 0;
        e->queued += r.queued;
        e->dropped += r.dropped;
        e->have_queue |= r.have_queue;
        return;
    }
    struct sdiag_rpc *e = users ? grow(p->a, (void **)&m->users, &m->n_users, &m->cap_users,
                                       sizeof(*e), SDIAG_MAX_RPC_USERS)
                                : grow(p->a, (void **)&m->types, &m->n_types, &m->cap_types,
                                       sizeof(*e), SDIAG_MAX_RPC_TYPES);
    if (!e) {
        m->rpc_dropped++;
        return;
    }
    *e = r;
    *ix = (uint32_t)(users ? m->n_users : m->n_types);
}

/* "End of job queue: 5" in an exit section. */
static void exit_line(struct sdiag_parser *p, const char *s, size_t n)
{
    const char *colon = NULL;
    for (size_t i = n; i-- > 0;)
        if (s[i] == ':') {
            colon = s + i;
            break;
        }
    if (!colon)
        return;
    const char *k = s, *v = colon + 1;
    size_t kn = (size_t)(colon - s), vn = (size_t)(s + n - v);
    trim(&k, &kn);
    trim(&v, &vn);
    uint64_t val;
    if (parse_u64(v, vn, &val) < 0) {
        parse_error(&p->st, "sdiag: bad exit count", s, n);
        return;
    }
    struct sdiag_model *m = p->m;
    bool bf = p->section == SEC_BF_EXIT;
    int count = bf ? SDX_BF_COUNT : SDX_MAIN_COUNT;
    const char *const *text = bf ? bf_exit_text : main_exit_text;
    int r = count - 1; /* other */
    for (int i = 0; i < count - 1; i++)
        if (equals(k, kn, text[i])) {
            r = i;
            break;
        }
    uint64_t *dst = bf ? m->bf_exit : m->main_exit;
    uint32_t *have = bf ? &m->bf_exit_have : &m->main_exit_have;
    dst[r] = (*have >> r) & 1u ? dst[r] + val : val;
    *have |= 1u << r;
}

static void key_line(struct sdiag_parser *p, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return;
    const char *k = s, *v = colon + 1;
    size_t kn = (size_t)(colon - s), vn = (size_t)(s + n - v);
    trim(&k, &kn);
    trim(&v, &vn);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key *e = &keys[i];
        if (e->section != p->section || !equals(k, kn, e->text))
            continue;
        uint64_t val = 0;
        int rc;
        if (e->kind == K_INT)
            rc = parse_int32u(v, vn, &val);
        else if (e->kind == K_UINT)
            rc = parse_u64(v, vn, &val);
        else
            rc = parse_stamp(v, vn, &val);
        if (rc < 0)
            parse_error(&p->st, "sdiag: bad number", s, n);
        else if (rc == 0)
            set_field(p->m, e->field, val);
        return;
    }
}

void sdiag_line(void *pv, const char *line, size_t len)
{
    struct sdiag_parser *p = pv;
    const char *s = line;
    size_t n = len;
    trim(&s, &n);
    if (!n)
        return;
    p->st.lines++;
    if (s[0] == '*')
        return;
    if (starts(s, n, "sdiag output at ") || starts(s, n, "Data since ")) {
        bool req = s[0] == 's';
        uint64_t v;
        const char *t = s + (req ? 16 : 11);
        size_t tn = n - (req ? 16 : 11);
        trim(&t, &tn);
        if (parse_stamp(t, tn, &v) != 0) {
            parse_error(&p->st, "sdiag: bad timestamp", s, n);
            return;
        }
        set_field(p->m, req ? SD_REQ_TIME : SD_DATA_SINCE, v);
        p->saw_header = true;
        return;
    }
    if (starts(s, n, "Main schedule statistics")) {
        p->section = SEC_MAIN;
    } else if (starts(s, n, "Main scheduler exit")) {
        p->section = SEC_MAIN_EXIT;
    } else if (starts(s, n, "Backfilling stats")) {
        p->section = SEC_BF;
        set_field(p->m, SD_BF_ACTIVE, find(s, n, "WARNING") ? 1 : 0);
    } else if (starts(s, n, "Backfill exit")) {
        p->section = SEC_BF_EXIT;
    } else if (starts(s, n, "Latency for 1000 calls to gettimeofday():")) {
        p->section = SEC_NONE;
        const char *v = s + 41;
        size_t vn = n - 41;
        const char *us = find(v, vn, "microseconds");
        if (us)
            vn = (size_t)(us - v);
        trim(&v, &vn);
        uint64_t val;
        if (parse_int32u(v, vn, &val) < 0)
            parse_error(&p->st, "sdiag: bad latency", s, n);
        else
            set_field(p->m, SD_LATENCY, val);
    } else if (starts(s, n, "Remote Procedure Call statistics by message type")) {
        p->section = SEC_RPC_TYPE;
        p->m->have_types = true;
    } else if (starts(s, n, "Remote Procedure Call statistics by user")) {
        p->section = SEC_RPC_USER;
        p->m->have_users = true;
    } else if (starts(s, n, "Pending RPC statistics")) {
        p->section = SEC_RPC_PENDING;
        p->m->have_pending = true;
    } else if (equals(s, n, "Pending RPCs")) {
        p->section = SEC_RPC_DUMP;
    } else if (p->section == SEC_RPC_TYPE || p->section == SEC_RPC_USER ||
               p->section == SEC_RPC_PENDING) {
        const char *cnt = find(s, n, "count:");
        if (cnt)
            rpc_line(p, s, n, cnt);
        else if (!starts(s, n, "No ")) /* "No pending RPCs", "No RPCs recorded yet." */
            parse_error(&p->st, "sdiag: not an RPC line", s, n);
    } else if (!memchr(s, ':', n)) {
        /* every other line sdiag prints is "key: value" (keys this
         * version does not know are skipped quietly) */
        parse_error(&p->st, "sdiag: not a 'key: value' line", s, n);
    } else if (p->section == SEC_MAIN_EXIT || p->section == SEC_BF_EXIT) {
        exit_line(p, s, n);
    } else if (p->section != SEC_RPC_DUMP && p->section != SEC_NONE) {
        key_line(p, s, n);
    }
}

void sdiag_finish(struct sdiag_parser *p)
{
    /* Without the header this is not sdiag's statistics report (e.g. "No
     * data available. Probably slurmctld is not working"). */
    if (!p->saw_header)
        parse_error(&p->st, "sdiag: no \"Data since\" header", "", 0);
}

/* ---- counters across resets --------------------------------------------- */

struct sd_ctr {
    uint64_t prev;
    int64_t since;
    bool seen;
    double total;
};

struct sd_rpc_st {
    uint64_t count, time, dropped; /* the last values seen */
    bool present;                  /* in the last output that had the section */
    bool seen, has_dropped;
    uint32_t round;
    double calls, time_us, dropped_total;
};

struct sd_rpc_tab {
    struct arena arena;
    struct strtab names; /* id -> entry */
    struct sd_rpc_st *e;
    size_t cap, max;
};

struct sdiag_state {
    struct sd_ctr c[SDC_COUNT], mx[SDX_MAIN_COUNT], bx[SDX_BF_COUNT];
    struct sd_rpc_tab types, users;
    bool rpc_primed;
    int64_t rpc_since;
    uint32_t round;
};

struct sdiag_state *sdiag_state_new(void)
{
    struct sdiag_state *s = xcalloc(1, sizeof(*s));
    strtab_init(&s->types.names, &s->types.arena);
    strtab_init(&s->users.names, &s->users.arena);
    s->types.max = SDIAG_MAX_RPC_TYPES;
    s->users.max = SDIAG_MAX_RPC_USERS;
    return s;
}

void sdiag_state_free(struct sdiag_state *s)
{
    if (!s)
        return;
    struct sd_rpc_tab *t[2] = {&s->types, &s->users};
    for (int i = 0; i < 2; i++) {
        strtab_free(&t[i]->names);
        arena_free(&t[i]->arena);
        free(t[i]->e);
    }
    free(s);
}

/* Adds the increment of one reset-with-"Data since" counter. */
static double ctr_update(struct sd_ctr *c, uint64_t v, int64_t since)
{
    /* "Data since" 0: a slurmctld that has just taken control prints it
     * until it sets the time, its counts going on (seen on 24.11: 1 job at
     * since 0, then 4 at since T); from 0 to a time is not a reset */
    if (!c->seen || (c->since != since && c->since != 0) || v < c->prev)
        c->total += (double)v; /* first value, or counted from 0 again since a reset */
    else
        c->total += (double)(v - c->prev);
    c->prev = v;
    c->since = since;
    c->seen = true;
    return c->total;
}

/* The state entry of a model entry's name; NULL past the table's cap. */
static struct sd_rpc_st *tab_entry(struct sd_rpc_tab *t, const char *name)
{
    size_t n = strlen(name);
    uint32_t id = strtab_find(&t->names, name, n);
    if (id == UINT32_MAX) {
        if (t->names.count > t->max) /* id 0 is "" */
            return NULL;
        id = strtab_intern(&t->names, name, n);
    }
    if (id >= t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        while (nc <= id)
            nc *= 2;
        t->e = xrealloc(t->e, nc * sizeof(*t->e));
        memset(t->e + t->cap, 0, (nc - t->cap) * sizeof(*t->e));
        t->cap = nc;
    }
    return &t->e[id];
}

/* One past the last entry id (entries are indexed by name id, from 1). */
static uint32_t tab_end(const struct sd_rpc_tab *t)
{
    if (!t->e)
        return 0;
    return t->names.count < t->cap ? t->names.count : (uint32_t)t->cap;
}

/* Pass 1: which state entries this output has; true when one went down or
 * vanished (a reset, when "Data since" changed too). */
static bool tab_mark(struct sdiag_state *s, struct sd_rpc_tab *t, const struct sdiag_model *m,
                     const struct sdiag_rpc *rows, size_t n, uint64_t *dropped)
{
    bool down = false;
    for (size_t i = 0; i < n; i++) {
        struct sd_rpc_st *e = tab_entry(t, strtab_get(&m->strs, rows[i].name));
        if (!e) {
            (*dropped)++;
            continue;
        }
        e->round = s->round;
        if (e->present && (rows[i].count < e->count || rows[i].total_time < e->time))
            down = true;
    }
    for (uint32_t id = 1; id < tab_end(t); id++)
        if (t->e[id].present && t->e[id].round != s->round)
            down = true;
    return down;
}

/* The increment from prev to v. Down without a reset: a 32-bit count that
 * was in its top quarter and is now in its bottom quarter wrapped; anything
 * else counts from 0 again (adding 2^32 by mistake would be far worse than
 * missing part of a wrap). */
static uint64_t diff(uint64_t v, uint64_t prev, bool wrap32)
{
    if (v >= prev)
        return v - prev;
    if (wrap32 && prev <= UINT32_MAX && prev >= 3221225472u && v < 1073741824u)
        return v + (4294967296u - prev);
    return v;
}

/* Pass 2: increments, then the totals into the model (sorted by name). */
static void tab_apply(struct sdiag_state *s, struct sd_rpc_tab *t, struct sdiag_model *m,
                      struct arena *a, const struct sdiag_rpc *rows, size_t n, bool reset,
                      struct sdiag_rpc_total **out, size_t *nout)
{
    for (size_t i = 0; i < n; i++) {
        const struct sdiag_rpc *r = &rows[i];
        struct sd_rpc_st *e = tab_entry(t, strtab_get(&m->strs, r->name));
        if (!e)
            continue;
        if (!e->present || reset) {
            e->calls += (double)r->count;
            e->time_us += (double)r->total_time;
            e->dropped_total += (double)r->dropped;
        } else {
            e->calls += (double)diff(r->count, e->count, true);
            e->time_us += (double)diff(r->total_time, e->time, false);
            e->dropped_total += (double)diff(r->dropped, e->dropped, false);
        }
        e->count = r->count;
        e->time = r->total_time;
        e->dropped = r->dropped;
        e->has_dropped |= r->have_queue;
        e->seen = true;
    }
    size_t k = 0;
    for (uint32_t id = 1; id < tab_end(t); id++) {
        t->e[id].present = t->e[id].round == s->round;
        k += t->e[id].seen;
    }
    struct sdiag_rpc_total *tot = arena_alloc(a, (k + 1) * sizeof(*tot));
    size_t j = 0;
    for (uint32_t id = 1; id < tab_end(t); id++) {
        const struct sd_rpc_st *e = &t->e[id];
        if (!e->seen)
            continue;
        const char *name = strtab_get(&t->names, id);
        tot[j].name = strtab_intern(&m->strs, name, strlen(name));
        tot[j].calls = e->calls;
        tot[j].seconds = e->time_us / 1e6;
        tot[j].dropped = e->dropped_total;
        tot[j].has_dropped = e->has_dropped;
        j++;
    }
    /* insertion sort by name (stable exposition order) */
    for (size_t i = 1; i < j; i++) {
        struct sdiag_rpc_total x = tot[i];
        size_t q = i;
        while (q > 0 &&
               strcmp(strtab_get(&m->strs, tot[q - 1].name), strtab_get(&m->strs, x.name)) > 0) {
            tot[q] = tot[q - 1];
            q--;
        }
        tot[q] = x;
    }
    *out = tot;
    *nout = j;
}

void sdiag_commit(struct sdiag_state *s, struct sdiag_model *m, struct arena *a)
{
    int64_t since = sdiag_has(m, SD_DATA_SINCE) ? (int64_t)m->v[SD_DATA_SINCE] : -1;
    for (int i = 0; i < SDC_COUNT; i++) {
        enum sdiag_field f = sdiag_counter_field[i];
        if (sdiag_has(m, f))
            m->total[i] = ctr_update(&s->c[i], m->v[f], since);
    }
    for (int i = 0; i < SDX_MAIN_COUNT; i++)
        if ((m->main_exit_have >> i) & 1u)
            m->main_exit_total[i] = ctr_update(&s->mx[i], m->main_exit[i], since);
    for (int i = 0; i < SDX_BF_COUNT; i++)
        if ((m->bf_exit_have >> i) & 1u)
            m->bf_exit_total[i] = ctr_update(&s->bx[i], m->bf_exit[i], since);

    if (m->have_types || m->have_users) {
        s->round++;
        bool down = false;
        uint64_t dropped = 0;
        if (m->have_types)
            down |= tab_mark(s, &s->types, m, m->types, m->n_types, &dropped);
        if (m->have_users)
            down |= tab_mark(s, &s->users, m, m->users, m->n_users, &dropped);
        /* RPC statistics are cleared by `sdiag --reset` and a restart, not
         * at midnight: both change "Data since" and empty the tables. */
        bool reset = s->rpc_primed && since != s->rpc_since && down;
        if (m->have_types)
            tab_apply(s, &s->types, m, a, m->types, m->n_types, reset, &m->type_totals,
                      &m->n_type_totals);
        if (m->have_users)
            tab_apply(s, &s->users, m, a, m->users, m->n_users, reset, &m->user_totals,
                      &m->n_user_totals);
        m->rpc_dropped += dropped;
        s->rpc_primed = true;
        s->rpc_since = since;
    }
    m->counted = true;
}

/* ---- the source --------------------------------------------------------- */

static void src_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    sdiag_init(p, r->u.sched, &r->arena);
}

/* ---- the shared baseline (sdiag.h) ----------------------------------------- */

#define SHARED_MAGIC "slurm_exporter-sdiag 1 "
#define SHARED_MAX (4u << 20)

int64_t sdiag_since(const struct sdiag_model *m)
{
    return sdiag_has(m, SD_DATA_SINCE) ? (int64_t)m->v[SD_DATA_SINCE] : -1;
}

static void put_tab(struct buf *b, char kind, const struct sd_rpc_tab *t)
{
    for (uint32_t id = 1; id < tab_end(t); id++) {
        const struct sd_rpc_st *e = &t->e[id];
        if (!e->present)
            continue;
        buf_printf(b, "%c ", kind);
        tok_put_name(b, strtab_get(&t->names, id));
        buf_printf(b, " %llu %llu %llu\n", (unsigned long long)e->count,
                   (unsigned long long)e->time, (unsigned long long)e->dropped);
    }
}

void sdiag_shared_format(const struct sdiag_state *s, int64_t since, struct buf *out)
{
    buf_printf(out, SHARED_MAGIC "%lld\n", (long long)since);
    const struct {
        char kind;
        const struct sd_ctr *c;
        int n;
    } g[3] = {{'c', s->c, SDC_COUNT}, {'m', s->mx, SDX_MAIN_COUNT}, {'b', s->bx, SDX_BF_COUNT}};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < g[k].n; i++)
            if (g[k].c[i].seen && g[k].c[i].since == since)
                buf_printf(out, "%c %d %llu\n", g[k].kind, i, (unsigned long long)g[k].c[i].prev);
    if (s->rpc_primed && s->rpc_since == since) {
        put_tab(out, 't', &s->types);
        put_tab(out, 'u', &s->users);
    }
}

/* Unsigned decimal token [s, s+n); false when not one. */
static bool get_u64(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

/* Splits [s, s+n) at single spaces into at most max tokens; the count, or
 * -1 for more, or an empty token. */
static int split(const char *s, size_t n, const char **tok, size_t *tl, int max)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ' ')
            continue;
        if (i == start || k == max)
            return -1;
        tok[k] = s + start;
        tl[k++] = i - start;
        start = i + 1;
    }
    return k;
}

static bool apply_line(struct sdiag_state *s, const char *l, size_t n, int64_t since)
{
    const char *tok[5];
    size_t tl[5];
    int k = split(l, n, tok, tl, 5);
    if (k < 3 || tl[0] != 1)
        return false;
    char kind = tok[0][0];
    if (kind == 'c' || kind == 'm' || kind == 'b') {
        uint64_t idx, v;
        int max = kind == 'c' ? SDC_COUNT : kind == 'm' ? SDX_MAIN_COUNT : SDX_BF_COUNT;
        if (k != 3 || !get_u64(tok[1], tl[1], &idx) || idx >= (uint64_t)max ||
            !get_u64(tok[2], tl[2], &v))
            return false;
        struct sd_ctr *c = kind == 'c' ? &s->c[idx] : kind == 'm' ? &s->mx[idx] : &s->bx[idx];
        if (!c->seen || c->since != since || v > c->prev) {
            c->prev = v;
            c->since = since;
            c->seen = true;
        }
        return true;
    }
    if (kind != 't' && kind != 'u')
        return false;
    char name[256];
    uint64_t count, time, dropped;
    if (k != 5 || tok_get_name(tok[1], tl[1], name, sizeof(name)) <= 0 ||
        !get_u64(tok[2], tl[2], &count) || !get_u64(tok[3], tl[3], &time) ||
        !get_u64(tok[4], tl[4], &dropped))
        return false;
    struct sd_rpc_tab *t = kind == 't' ? &s->types : &s->users;
    struct sd_rpc_st *e = tab_entry(t, name);
    if (!e)
        return true; /* past the table's cap: as in a commit */
    bool own = s->rpc_primed && s->rpc_since == since && e->present;
    if (!own || count > e->count) {
        e->count = count;
        e->time = time;
        e->dropped = dropped;
        e->present = true;
        e->round = s->round;
    }
    return true;
}

int sdiag_shared_apply(struct sdiag_state *s, const char *buf, size_t len, int64_t since)
{
    const char *end = buf + len;
    const char *nl = memchr(buf, '\n', len);
    size_t mlen = strlen(SHARED_MAGIC);
    if (!nl || (size_t)(nl - buf) <= mlen || memcmp(buf, SHARED_MAGIC, mlen) != 0)
        return -1;
    uint64_t fs;
    if (since < 0 || !get_u64(buf + mlen, (size_t)(nl - buf) - mlen, &fs) ||
        ((int64_t)fs != since && fs != 0))
        return -1;
    since = (int64_t)fs; /* 0 goes on to a time (ctr_update) */
    int bad = 0;
    bool rpc = false;
    for (const char *p = nl + 1; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        const char *le = e ? e : end;
        if (le > p) {
            if (!apply_line(s, p, (size_t)(le - p), since))
                bad++;
            else
                rpc |= *p == 't' || *p == 'u';
        }
        p = e ? e + 1 : end;
    }
    if (rpc) {
        s->rpc_primed = true;
        s->rpc_since = since;
    }
    return bad;
}

/* The shared file's lock, waited for at most limit seconds: on shared
 * storage a lock can outlive the exporter that took it (NFS keeps a dead
 * client's locks for a lease time, or until its host starts again).
 * Returns 0, or -1 with errno (EWOULDBLOCK when the wait ran out). */
static int lock_within(int fd, double limit)
{
    double end = mono_now_s() + limit;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (mono_now_s() >= end) {
            errno = EWOULDBLOCK;
            return -1;
        }
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
}

/* In control of the shared file for one commit: locked, read, applied.
 * Returns the file's descriptor; -1 when there is no file to share (it
 * cannot be opened or locked at all: this exporter's own baseline is used);
 * -2 when another holds its lock past limit seconds. */
static int shared_open(struct sdiag_state *s, const char *dir, int64_t since, double limit)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/sdiag", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (lock_within(fd, limit) != 0) {
        int busy = errno == EWOULDBLOCK;
        close(fd);
        return busy ? -2 : -1;
    }
    char *buf = xmalloc(SHARED_MAX);
    size_t n = 0;
    ssize_t r;
    while (n < SHARED_MAX && (r = pread(fd, buf + n, SHARED_MAX - n, (off_t)n)) > 0)
        n += (size_t)r;
    if (n < SHARED_MAX && n > 0)
        sdiag_shared_apply(s, buf, n, since);
    free(buf);
    return fd;
}

static void shared_close(const struct sdiag_state *s, int fd, int64_t since)
{
    struct buf out = {0};
    sdiag_shared_format(s, since, &out);
    bool ok = ftruncate(fd, 0) == 0 && out.len < SHARED_MAX &&
              pwrite(fd, out.p, out.len, 0) == (ssize_t)out.len;
    if (!ok) {
        static struct log_limit lim;
        log_limited(&lim, 300, LOG_WARN, "cannot write the shared sdiag baseline", "error",
                    strerror(errno));
    }
    buf_free(&out);
    flock(fd, LOCK_UN);
    close(fd);
}

static void src_finish(void *p)
{
    sdiag_finish(p);
}

static void *src_state_new(const struct config *cfg, const char *cluster)
{
    (void)cfg;
    (void)cluster;
    return sdiag_state_new();
}

static void src_state_free(void *s)
{
    sdiag_state_free(s);
}

/* With --slurm.active-only and --slurm.ha-state-dir the commit goes
 * through the shared baseline; its lock is waited for at most
 * --slurm.timeout (as long as a command may take). */
static int src_commit(const struct source_ctx *ctx, struct dataset_result *r, char *why,
                      size_t whylen)
{
    if (!ctx->state)
        return 0;
    const struct config *cfg = ctx->cfg;
    int64_t since = sdiag_since(r->u.sched);
    int fd = -1;
    if (cfg && cfg->active_only && cfg->ha_state_dir && cfg->ha_state_dir[0] && since >= 0) {
        fd = shared_open(ctx->state, cfg->ha_state_dir, since, cfg->slurm_timeout);
        if (fd == -2) { /* counting now could count what another exporter did */
            snprintf(why, whylen,
                     "the shared sdiag baseline %s/sdiag stayed locked for %gs (another "
                     "exporter holds it, or a host that stopped while it held it on shared "
                     "storage); nothing counted",
                     cfg->ha_state_dir, cfg->slurm_timeout);
            return -ENOLCK;
        }
    }
    sdiag_commit(ctx->state, r->u.sched, &r->arena);
    if (fd >= 0)
        shared_close(ctx->state, fd, since);
    return 0;
}

const struct source_def source_scheduler = {
    .model_size = sizeof(struct sdiag_model),
    .command = "sdiag",
    .parser_size = sizeof(struct sdiag_parser),
    .stats_offset = offsetof(struct sdiag_parser, st),
    .init = src_init,
    .line = sdiag_line,
    .finish = src_finish,
    .state_new = src_state_new,
    .state_free = src_state_free,
    .commit = src_commit,
    .clusters = true,
};
