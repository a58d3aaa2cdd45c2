/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting state file (--accounting.state-file): the state's text
 * form, written atomically, read back with every line checked; a bad file
 * fails with its line and reason and leaves the state as it was. */
#include "sources/sacct.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/token.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FILE_MAX (64u << 20)
/* The first line: the magic and the version. Version 2 added the memory and
 * waste figures to each group line, the per-user groups ("ugroup" lines)
 * and their dropped jobs to "totals"; version 3 the revised jobs to
 * "totals"; version 4 the "owner" line (the exporter that wrote the file, in
 * active-only HA). Older files are still read (the figures they lack start
 * at 0, the owner is ""). */
#define STATE_MAGIC "slurm_exporter-accounting-state"
#define STATE_VERSION 4

/* ---- state file ---------------------------------------------------------- */

static void put_double(struct buf *b, double v)
{
    buf_printf(b, " %.17g", v);
}

/* A group's figures: the jobs by state, CPU and memory sums, the jobs
 * without memory figures, CPU and memory waste (version 2). */
static void put_sums(struct buf *b, const struct acct_sums *s)
{
    for (int k = 0; k < ACCT_STATE_COUNT; k++)
        buf_printf(b, " %llu", (unsigned long long)s->jobs[k]);
    put_double(b, s->cpu_used);
    put_double(b, s->cpu_alloc);
    put_double(b, s->mem_used);
    put_double(b, s->mem_alloc);
    buf_printf(b, " %llu", (unsigned long long)s->mem_unmeasured);
    put_double(b, s->cpu_waste);
    put_double(b, s->mem_waste);
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
    buf_printf(&b, "%s %d\nowner ", STATE_MAGIC, STATE_VERSION);
    tok_put_name(&b, S->owner);
    buf_putc(&b, '\n');
    buf_printf(&b, "floor %lld\nwatermark %lld\nno_overlap %d\n", (long long)S->floor,
               (long long)S->watermark, S->no_overlap ? 1 : 0);
    buf_printf(&b, "totals %llu %llu %llu %llu %llu %llu\n", (unsigned long long)S->tot.counted,
               (unsigned long long)S->tot.duplicates, (unsigned long long)S->tot.late,
               (unsigned long long)S->tot.dropped, (unsigned long long)S->tot.user_dropped,
               (unsigned long long)S->tot.revised);
    lines += 5; /* the records after the first line, before "end" */
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
    for (size_t i = 0; i < S->groups.n; i++) {
        const struct acct_sgroup *g = &S->groups.v[i];
        buf_puts(&b, "group ");
        tok_put_name(&b, strtab_get(&S->names, g->partition));
        buf_putc(&b, ' ');
        tok_put_name(&b, strtab_get(&S->names, g->account));
        put_sums(&b, &g->s);
        buf_putc(&b, '\n');
        lines++;
    }
    for (size_t i = 0; i < S->ugroups.n; i++) {
        const struct acct_sgroup *g = &S->ugroups.v[i];
        buf_puts(&b, "ugroup ");
        tok_put_name(&b, strtab_get(&S->names, g->partition));
        buf_putc(&b, ' ');
        tok_put_name(&b, strtab_get(&S->names, g->account));
        buf_putc(&b, ' ');
        tok_put_name(&b, strtab_get(&S->names, g->user));
        put_sums(&b, &g->s);
        buf_putc(&b, '\n');
        lines++;
    }
    for (size_t i = 0; i < S->nparts; i++) {
        for (int k = 0; k < ACCT_HISTS; k++) {
            const struct acct_hist *h = &S->parts[i].h[k];
            buf_puts(&b, "hist ");
            tok_put_name(&b, strtab_get(&S->names, S->parts[i].partition));
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
    if (file_tmp_name(tmp, sizeof(tmp), path) != 0) {
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

static bool tok_u64(const char **p, const char *end, uint64_t *v)
{
    const char *t;
    size_t n;
    return tok_next(p, end, &t, &n) && parse_u64(t, n, v) == 0;
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
    return tok_next(p, end, &t, &n) && parse_double(t, n, v) == 0 && isfinite(*v) && *v >= 0;
}

/* A name (util/token.h) of at most cap - 1 bytes. */
static bool tok_name(const char **p, const char *end, char *out, size_t cap)
{
    const char *t;
    size_t n;
    return tok_next(p, end, &t, &n) && tok_get_name(t, n, out, cap) >= 0;
}

/* A group's figures as put_sums wrote them (version 1: only the jobs and the
 * CPU sums; the rest stays 0). */
static bool tok_sums(const char **p, const char *end, int version, struct acct_sums *s)
{
    memset(s, 0, sizeof(*s));
    for (int k = 0; k < ACCT_STATE_COUNT; k++)
        if (!tok_u64(p, end, &s->jobs[k]))
            return false;
    if (!tok_double(p, end, &s->cpu_used) || !tok_double(p, end, &s->cpu_alloc))
        return false;
    if (version < 2)
        return true;
    return tok_double(p, end, &s->mem_used) && tok_double(p, end, &s->mem_alloc) &&
           tok_u64(p, end, &s->mem_unmeasured) && tok_double(p, end, &s->cpu_waste) &&
           tok_double(p, end, &s->mem_waste);
}

/* The first line: "<magic> <version>"; returns the version, or -1 with a
 * reason in why. */
static int read_magic(const char *s, size_t n, char *why, size_t whylen)
{
    size_t ml = strlen(STATE_MAGIC);
    uint64_t v;
    if (n <= ml + 1 || memcmp(s, STATE_MAGIC, ml) != 0 || s[ml] != ' ' ||
        parse_u64(s + ml + 1, n - ml - 1, &v) < 0) {
        snprintf(why, whylen, "not an accounting state file");
        return -1;
    }
    if (v < 1 || v > STATE_VERSION) {
        snprintf(why, whylen,
                 "accounting state file of version %llu, which this exporter does not know (it "
                 "reads versions 1 to %d)",
                 (unsigned long long)v, STATE_VERSION);
        return -1;
    }
    return (int)v;
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
    acct_state_init(&T, &cfg0);
    T.since = S->since;
    T.overlap = S->overlap;
    T.limit = S->limit;
    T.users = S->users;
    T.path = S->path;
    T.path_owned = S->path_owned;
    memcpy(T.owner, S->owner, sizeof(T.owner));
    const char *p = buf, *end = buf + len;
    size_t line = 0, records = 0;
    bool ended = false, have_floor = false, have_wm = false;
    int rc = 0, version = 0;
    char pn[MAX_LABEL_LEN * 3 + 8], an[MAX_LABEL_LEN * 3 + 8], un[MAX_LABEL_LEN * 3 + 8];
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
            char why[160];
            version = read_magic(s, (size_t)(e - s), why, sizeof(why));
            if (version < 0)
                rc = bad_line(err, errlen, line, why);
            continue;
        }
        const char *kw;
        size_t kn;
        if (!tok_next(&s, e, &kw, &kn)) {
            rc = bad_line(err, errlen, line, "empty line");
            break;
        }
#define KW(w) (kn == sizeof(w) - 1 && memcmp(kw, w, kn) == 0)
        bool ok = true;
        if (KW("floor")) {
            ok = tok_i64(&s, e, &T.floor);
            have_floor = true;
        } else if (KW("owner") && version >= 4) {
            ok = tok_name(&s, e, T.file_owner, sizeof(T.file_owner));
        } else if (KW("watermark")) {
            ok = tok_i64(&s, e, &T.watermark);
            have_wm = true;
        } else if (KW("no_overlap")) {
            uint64_t v;
            ok = tok_u64(&s, e, &v) && v <= 1;
            T.no_overlap = ok && v == 1;
        } else if (KW("totals")) {
            ok = tok_u64(&s, e, &T.tot.counted) && tok_u64(&s, e, &T.tot.duplicates) &&
                 tok_u64(&s, e, &T.tot.late) && tok_u64(&s, e, &T.tot.dropped) &&
                 (version < 2 || tok_u64(&s, e, &T.tot.user_dropped)) &&
                 (version < 3 || tok_u64(&s, e, &T.tot.revised));
            if (!T.users)
                T.tot.user_dropped = 0;
        } else if (KW("seen")) {
            uint64_t id;
            int64_t en;
            ok = tok_u64(&s, e, &id) && id > 0 && id <= UINT32_MAX && tok_i64(&s, e, &en) && en > 0;
            if (ok && acct_seen_add(&T, (uint32_t)id, en, NAN) < 0)
                ok = false;
        } else if (KW("group")) {
            ok = tok_name(&s, e, pn, sizeof(pn)) && tok_name(&s, e, an, sizeof(an)) &&
                 strlen(pn) <= MAX_LABEL_LEN && strlen(an) <= MAX_LABEL_LEN;
            struct acct_sums sums;
            ok = ok && tok_sums(&s, e, version, &sums);
            if (ok) {
                uint32_t pi = strtab_find(&T.names, pn, strlen(pn));
                uint32_t ai = strtab_find(&T.names, an, strlen(an));
                if (pi != UINT32_MAX && ai != UINT32_MAX &&
                    acct_group_find(&T.groups, pi, ai, ACCT_NO_USER))
                    ok = false; /* twice */
            }
            struct acct_sgroup *ng = ok ? acct_group_get(&T, &T.groups, pn, an, NULL) : NULL;
            if (!ng)
                ok = false;
            else
                ng->s = sums;
        } else if (KW("ugroup") && version >= 2) {
            /* per user (--accounting.users); read but left out when the
             * flag is off now: those counters restart when it is on again */
            ok = tok_name(&s, e, pn, sizeof(pn)) && tok_name(&s, e, an, sizeof(an)) &&
                 tok_name(&s, e, un, sizeof(un)) && strlen(pn) <= MAX_LABEL_LEN &&
                 strlen(an) <= MAX_LABEL_LEN && strlen(un) <= MAX_LABEL_LEN;
            struct acct_sums sums;
            ok = ok && tok_sums(&s, e, version, &sums);
            if (ok && T.users) {
                uint32_t pi = strtab_find(&T.names, pn, strlen(pn));
                uint32_t ai = strtab_find(&T.names, an, strlen(an));
                uint32_t ui = strtab_find(&T.names, un, strlen(un));
                if (pi != UINT32_MAX && ai != UINT32_MAX && ui != UINT32_MAX &&
                    acct_group_find(&T.ugroups, pi, ai, ui))
                    ok = false; /* twice */
                struct acct_sgroup *ng = ok ? acct_group_get(&T, &T.ugroups, pn, an, un) : NULL;
                if (!ng)
                    ok = false; /* or more than the series limit */
                else
                    ng->s = sums;
            }
        } else if (KW("hist")) {
            uint64_t kind, count;
            double sum;
            ok = tok_name(&s, e, pn, sizeof(pn)) && strlen(pn) <= MAX_LABEL_LEN &&
                 tok_u64(&s, e, &kind) && kind < ACCT_HISTS && tok_u64(&s, e, &count) &&
                 tok_double(&s, e, &sum);
            uint32_t pi = ok ? strtab_find(&T.names, pn, strlen(pn)) : UINT32_MAX;
            struct acct_spart *sp = pi != UINT32_MAX ? acct_part_get(&T, pi) : NULL;
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
        if (ok && tok_next(&s, e, &extra, &xn))
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
        acct_state_clear(&T);
        return rc;
    }
    /* the records were good: they replace S's figures */
    acct_state_clear(S);
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
