/* SPDX-License-Identifier: Apache-2.0 */
/* Slurm host list expansion: prefix[ranges]suffix, several expressions per
 * list, zero padding, lazily (one name at a time, nothing stored). */
#include "util/hostlist.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* One bracket group of an expression and the literal text before it. */
struct group {
    const char *lit, *txt; /* literal before '[', text inside the brackets */
    size_t litlen, txtlen;
    size_t pos;   /* next range in txt */
    uint64_t cur; /* current value */
    uint64_t hi;  /* end of the current range */
    int width;    /* zero padding of the current range */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A NUL byte separates too, so a name never holds one. */
static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/* Reads up to HOSTLIST_DIGITS_MAX digits at t[*pos]; -1 when there are none
 * or too many. */
static int read_num(const char *t, size_t len, size_t *pos, uint64_t *v, int *digits)
{
    size_t i = *pos;
    uint64_t x = 0;
    int d = 0;
    while (i < len && is_digit(t[i])) {
        if (d == HOSTLIST_DIGITS_MAX)
            return -1;
        x = x * 10 + (uint64_t)(t[i] - '0');
        d++;
        i++;
    }
    if (d == 0)
        return -1;
    *pos = i;
    *v = x;
    *digits = d;
    return 0;
}

static int num_digits(uint64_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* Reads the range at g->txt[g->pos] ("7", "001-003") into cur/hi/width and
 * moves pos past it and its comma. *maxw (optional) gets the widest number
 * the range prints. -1 when malformed. */
static int next_range(struct group *g, int *maxw)
{
    const char *t = g->txt;
    size_t len = g->txtlen, pos = g->pos;
    uint64_t lo, hi;
    int dl, dh;
    if (read_num(t, len, &pos, &lo, &dl) < 0)
        return -1;
    hi = lo;
    if (pos < len && t[pos] == '-') {
        pos++;
        if (read_num(t, len, &pos, &hi, &dh) < 0 || hi < lo)
            return -1;
    }
    if (pos < len) {
        if (t[pos] != ',' || pos + 1 == len)
            return -1; /* junk after the range, or a trailing comma */
        pos++;
    }
    g->pos = pos;
    g->cur = lo;
    g->hi = hi;
    g->width = dl;
    if (maxw) {
        int w = num_digits(hi);
        *maxw = w > dl ? w : dl;
    }
    return 0;
}

/* Splits the expression e[0..n) into groups and checks every range. Returns
 * the number of groups, or -1 when malformed. *tail gets the literal after
 * the last group. */
static int parse_expr(const char *e, size_t n, struct group *gs, const char **tail, size_t *taillen)
{
    int ng = 0;
    size_t maxlen = 0, i = 0, lit = 0;
    while (i < n) {
        if (e[i] == ']')
            return -1;
        if (e[i] != '[') {
            i++;
            continue;
        }
        const char *close = memchr(e + i + 1, ']', n - i - 1);
        if (!close || ng == HOSTLIST_GROUPS_MAX)
            return -1;
        struct group *g = &gs[ng++];
        memset(g, 0, sizeof(*g));
        g->lit = e + lit;
        g->litlen = i - lit;
        g->txt = e + i + 1;
        g->txtlen = (size_t)(close - g->txt);
        if (g->txtlen == 0 || memchr(g->txt, '[', g->txtlen))
            return -1;
        /* every range must read; the group prints at most its widest */
        int widest = 0;
        while (g->pos < g->txtlen) {
            int w;
            if (next_range(g, &w) < 0)
                return -1;
            if (w > widest)
                widest = w;
        }
        g->pos = 0;
        maxlen += g->litlen + (size_t)widest;
        i = (size_t)(close - e) + 1;
        lit = i;
    }
    *tail = e + lit;
    *taillen = n - lit;
    maxlen += *taillen;
    if (maxlen == 0 || maxlen > HOSTLIST_NAME_MAX)
        return -1;
    return ng;
}

/* Produces the names of one parsed expression. Returns false when max_hosts
 * was reached with names left. */
static bool emit_expr(struct group *gs, int ng, const char *tail, size_t taillen, size_t max_hosts,
                      hostlist_fn fn, void *ctx, struct hostlist_result *res)
{
    char name[HOSTLIST_NAME_MAX + HOSTLIST_DIGITS_MAX + 2];
    for (int k = 0; k < ng; k++)
        (void)next_range(&gs[k], NULL); /* checked by parse_expr */
    for (;;) {
        if (res->hosts >= max_hosts)
            return false;
        size_t len = 0;
        for (int k = 0; k < ng; k++) {
            memcpy(name + len, gs[k].lit, gs[k].litlen);
            len += gs[k].litlen;
            int w = snprintf(name + len, sizeof(name) - len, "%0*llu", gs[k].width,
                             (unsigned long long)gs[k].cur);
            len += (size_t)w;
        }
        memcpy(name + len, tail, taillen);
        len += taillen;
        name[len] = '\0';
        fn(name, len, ctx);
        res->hosts++;
        /* advance like an odometer, the last group fastest */
        int k = ng - 1;
        for (; k >= 0; k--) {
            struct group *g = &gs[k];
            if (g->cur < g->hi) {
                g->cur++;
                break;
            }
            if (g->pos < g->txtlen) {
                (void)next_range(g, NULL);
                break;
            }
            g->pos = 0;
            (void)next_range(g, NULL);
        }
        if (k < 0)
            return true;
    }
}

int hostlist_expand(const char *s, size_t n, size_t max_hosts, hostlist_fn fn, void *ctx,
                    struct hostlist_result *res)
{
    memset(res, 0, sizeof(*res));
    size_t i = 0;
    while (i < n) {
        while (i < n && is_sep(s[i]))
            i++;
        if (i >= n)
            break;
        /* the expression runs to a separator outside brackets */
        size_t start = i, comma = 0;
        int depth = 0;
        bool bad = false;
        while (i < n && (depth > 0 || !is_sep(s[i]))) {
            char c = s[i];
            if (c == '[') {
                if (++depth > 1)
                    bad = true;
                comma = 0;
            } else if (c == ']') {
                if (--depth < 0) {
                    bad = true;
                    depth = 0;
                }
            } else if (depth > 0 && c == ',') {
                comma = i;
            } else if (depth > 0 && c != '-' && !is_digit(c)) {
                /* junk inside brackets (an unclosed group running into the
                 * next name): the expression ends at the group's last comma,
                 * or here */
                bad = true;
                depth = 0;
                if (comma)
                    i = comma;
                break;
            }
            i++;
        }
        if (depth > 0)
            bad = true;
        struct group gs[HOSTLIST_GROUPS_MAX];
        const char *tail;
        size_t taillen;
        int ng = bad ? -1 : parse_expr(s + start, i - start, gs, &tail, &taillen);
        if (ng < 0) {
            res->bad++;
            continue;
        }
        if (!emit_expr(gs, ng, tail, taillen, max_hosts, fn, ctx, res)) {
            res->truncated = true;
            break;
        }
    }
    return res->bad || res->truncated ? -1 : 0;
}
