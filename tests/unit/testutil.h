/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the cmocka unit tests: the repository root (SE_ROOT),
 * whole-file reading and writing, exact double comparison, building parsed
 * dataset results from fixture text the way poller_fetch_once does. */
#ifndef SE_TESTUTIL_H
#define SE_TESTUTIL_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "poller.h"
#include "sources/cli.h"
#include "sources/source.h"

/* The repository root: $SE_ROOT, else the current directory. */
static inline const char *tu_root(void)
{
    const char *r = getenv("SE_ROOT");
    return r && *r ? r : ".";
}

/* root + "/" + rel, malloc'ed. */
static inline char *tu_path(const char *rel)
{
    const char *root = tu_root();
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", root, rel);
    return p;
}

/* Reads a whole file into a malloc'ed, NUL-terminated buffer; NULL when it
 * cannot be opened. *len (optional) gets the size without the NUL. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    for (;;) {
        if (cap - n < 4096) {
            cap *= 2;
            b = realloc(b, cap);
            assert_non_null(b);
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

/* Reads a file relative to the repository root; fails the test if missing. */
static inline char *tu_read_rel(const char *rel, size_t *len)
{
    char *p = tu_path(rel);
    char *b = tu_read_file(p, len);
    if (!b)
        fail_msg("cannot read %s (set SE_ROOT to the repository root)", p);
    free(p);
    return b;
}

static inline int tu_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : -1;
}

/* Exact comparison of doubles (NaN equals NaN), with both values printed. */
#define assert_double_exact(a, b)                                                                  \
    do {                                                                                           \
        double tu_a_ = (a), tu_b_ = (b);                                                           \
        if (!((isnan(tu_a_) && isnan(tu_b_)) || tu_a_ == tu_b_))                                   \
            fail_msg("%s == %.17g, expected %s == %.17g", #a, tu_a_, #b, tu_b_);                   \
    } while (0)

/* Compares a counted string with a C string. */
#define assert_strn_equal(s, n, want)                                                              \
    do {                                                                                           \
        const char *tu_s_ = (s), *tu_w_ = (want);                                                  \
        size_t tu_n_ = (n);                                                                        \
        if (tu_n_ != strlen(tu_w_) || memcmp(tu_s_, tu_w_, tu_n_) != 0)                            \
            fail_msg("got \"%.*s\" (%zu bytes), expected \"%s\"", (int)tu_n_, tu_s_, tu_n_,        \
                     tu_w_);                                                                       \
    } while (0)

/* ---- parsed datasets, filled the way poller_fetch_once fills them ---------- */

static inline struct dataset_result *tu_result_new(enum dataset_id id)
{
    return dataset_result_new(id);
}

/* Any dataset from fixture text through its source, exactly as the poller
 * fills it (source_run: init, the lines as exec_run splits them, finish,
 * the unreadable-lines rule, commit with a fresh state and default config).
 * *rc (optional) gets the refresh's verdict: 0, or -EPROTO when most lines
 * were unreadable (the poller would not serve the result). */
/* Runs id's parser over buf as the poller does, with the source's state and
 * context made from cfg (NULL: the defaults, all zero); cmd_rc is what the command ended with (0,
 * or e.g. -ETIMEDOUT for one that failed mid-output). */
/* One refresh of dataset id from buf as the poller runs it: cmd_rc the
 * command's result, cfg the configuration (NULL: the defaults), hint the
 * last refresh's record count; the parse counts into st and the refresh's
 * result into rc (either may be NULL). */
static inline struct dataset_result *tu_result_run_full(enum dataset_id id, const char *buf,
                                                        size_t len, int cmd_rc,
                                                        const struct config *cfg, size_t hint,
                                                        struct parse_stats *st, int *rc)
{
    const struct source_def *src = sources[id];
    struct dataset_result *r = tu_result_new(id);
    static const struct config cfg0;
    if (!cfg)
        cfg = &cfg0;
    void *state = src->state_new ? src->state_new(cfg, NULL) : NULL;
    struct source_ctx ctx = {cfg, NULL, state, NULL};
    struct source_run run;
    struct parse_stats pst;
    char why[640];
    source_run_begin(&run, src, &ctx, r, hint);
    source_run_feed(&run, buf, len);
    int v = source_run_end(&run, cmd_rc, why, sizeof(why), &pst);
    if (st)
        *st = pst;
    if (rc)
        *rc = v;
    if (src->state_free)
        src->state_free(state);
    return r;
}

static inline struct dataset_result *tu_result_run_cfg(enum dataset_id id, const char *buf,
                                                       size_t len, int cmd_rc,
                                                       const struct config *cfg,
                                                       struct parse_stats *st, int *rc)
{
    return tu_result_run_full(id, buf, len, cmd_rc, cfg, 0, st, rc);
}

static inline struct dataset_result *tu_result_run_rc(enum dataset_id id, const char *buf,
                                                      size_t len, int cmd_rc,
                                                      struct parse_stats *st, int *rc)
{
    return tu_result_run_cfg(id, buf, len, cmd_rc, NULL, st, rc);
}

static inline struct dataset_result *tu_result_run(enum dataset_id id, const char *buf, size_t len,
                                                   struct parse_stats *st, int *rc)
{
    return tu_result_run_rc(id, buf, len, 0, st, rc);
}

static inline struct dataset_result *tu_result_from(enum dataset_id id, const char *buf, size_t len,
                                                    struct parse_stats *st)
{
    return tu_result_run(id, buf, len, st, NULL);
}

/* What the poller would serve from this text with this configuration (NULL:
 * the defaults): NULL when the refresh fails. */
static inline struct dataset_result *tu_served_cfg(enum dataset_id id, const char *buf, size_t len,
                                                   const struct config *cfg)
{
    int rc;
    struct dataset_result *r = tu_result_run_cfg(id, buf, len, 0, cfg, NULL, &rc);
    if (rc == 0)
        return r;
    dataset_result_release(r);
    return NULL;
}

/* What the poller would serve from this text: NULL when the refresh fails. */
static inline struct dataset_result *tu_served_from(enum dataset_id id, const char *buf, size_t len)
{
    int rc;
    struct dataset_result *r = tu_result_run(id, buf, len, NULL, &rc);
    if (rc == 0)
        return r;
    dataset_result_release(r);
    return NULL;
}

static inline struct dataset_result *tu_jobs_from(const char *buf, size_t len,
                                                  struct parse_stats *st)
{
    return tu_result_from(DS_JOBS, buf, len, st);
}

static inline struct dataset_result *tu_nodes_from(const char *buf, size_t len,
                                                   struct parse_stats *st)
{
    return tu_result_from(DS_NODES, buf, len, st);
}

static inline struct dataset_result *tu_parts_from(const char *buf, size_t len,
                                                   struct parse_stats *st)
{
    return tu_result_from(DS_PARTITIONS, buf, len, st);
}

/* Frees a result the way poller.c's result_free does. */
static inline void tu_result_free(struct dataset_result *r)
{
    if (r)
        dataset_result_release(r);
}

/* Runs every collector whose primary dataset is present, as
 * exposition_rebuild does; returns the series dropped. */
static inline uint64_t tu_collect_all(const struct view *v, struct render *r)
{
    uint64_t dropped = 0;
    for (int c = 0; c < COLLECTOR_COUNT; c++) {
        if (!v->ds[collectors[c].primary])
            continue;
        struct collect_out o = {0};
        collectors[c].fn(v, r, &o);
        dropped += o.series_dropped;
    }
    return dropped;
}

/* Finds the value of the sample line that starts with exactly `series` (name
 * and labels as rendered) followed by a space. Fails the test if absent. */
static inline double tu_sample(const char *text, const char *series)
{
    size_t sl = strlen(series);
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, series, sl) == 0 && p[sl] == ' ')
            return strtod(p + sl + 1, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    fail_msg("series %s not found", series);
    return NAN;
}

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates).
 * Prometheus rejects a whole exposition whose label values are not. */
static inline bool tu_valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80)
            continue;
        size_t more;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
            min = 0x80;
            c &= 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            min = 0x800;
            c &= 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) < more)
            return false;
        for (size_t i = 0; i < more; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        p += more;
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
    }
    return true;
}

/* True when some line of text starts with prefix. */
static inline bool tu_has_line(const char *text, const char *prefix)
{
    size_t pl = strlen(prefix);
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, prefix, pl) == 0)
            return true;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

#endif
