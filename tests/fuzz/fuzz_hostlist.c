/* SPDX-License-Identifier: Apache-2.0 */
/* hostlist_expand: never more names than asked for, every name non-empty,
 * within HOSTLIST_NAME_MAX and free of separators and brackets; a list
 * without brackets gives back its own tokens; the result agrees with the
 * return code; a smaller limit gives a prefix of the same names. */
#include "fuzz_common.h"
#include "util/hostlist.h"

#define MAX_NAMES 512

static int is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

struct names {
    char *buf; /* all names, NUL-separated */
    size_t len, cap, n;
    size_t ends[MAX_NAMES + 1];
};

static void add(const char *name, size_t len, void *ctx)
{
    struct names *ns = ctx;
    if (len == 0 || len > HOSTLIST_NAME_MAX || strlen(name) != len)
        fz_fail("bad name length", NULL, len);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (is_sep(c) || c == '[' || c == ']')
            fz_fail("separator or bracket in a name", NULL, i);
    }
    if (ns->n >= MAX_NAMES)
        fz_fail("more names than the limit", NULL, ns->n);
    if (ns->len + len + 1 > ns->cap) {
        ns->cap = (ns->len + len + 1) * 2;
        ns->buf = realloc(ns->buf, ns->cap);
        if (!ns->buf)
            abort();
    }
    memcpy(ns->buf + ns->len, name, len + 1);
    ns->len += len + 1;
    ns->ends[ns->n++] = ns->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    struct names a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    struct hostlist_result ra, rb;
    int rc = hostlist_expand(s, size, MAX_NAMES, add, &a, &ra);
    if (ra.hosts != a.n || rc != ((ra.bad || ra.truncated) ? -1 : 0))
        fz_fail("result disagrees with the names", NULL, ra.hosts);
    /* a smaller limit: the same names, cut */
    size_t lim = size % 7;
    hostlist_expand(s, size, lim, add, &b, &rb);
    if (b.n > lim || b.n > a.n || (b.n && memcmp(a.buf, b.buf, b.len) != 0))
        fz_fail("a smaller limit is not a prefix", NULL, b.n);
    if (!memchr(s, '[', size) && !memchr(s, ']', size) && !ra.truncated) {
        /* no brackets: the names are the tokens (those not too long) */
        size_t k = 0, i = 0;
        while (i < size) {
            while (i < size && is_sep(s[i]))
                i++;
            size_t st = i;
            while (i < size && !is_sep(s[i]))
                i++;
            size_t tl = i - st;
            if (tl == 0 || tl > HOSTLIST_NAME_MAX)
                continue;
            const char *nm = k < a.n ? a.buf + (k ? a.ends[k - 1] : 0) : NULL;
            if (!nm || strlen(nm) != tl || memcmp(nm, s + st, tl) != 0)
                fz_fail("a plain token was not given back", NULL, k);
            k++;
        }
        if (k != a.n)
            fz_fail("names beyond the tokens", NULL, a.n);
    }
    free(a.buf);
    free(b.buf);
    free(s);
    return 0;
}
