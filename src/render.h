/* SPDX-License-Identifier: Apache-2.0 */
/* Metric families to text: Prometheus text format 0.0.4 and OpenMetrics 1.0
 * are written side by side in one pass (they differ only in metadata lines
 * and the final "# EOF"), so one refresh renders both. */
#ifndef SE_RENDER_H
#define SE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum mtype { M_GAUGE, M_COUNTER, M_HISTOGRAM };

struct label {
    const char *name;
    const char *value;
};

/* Where one family lies in the outputs (kept when render.track is set, for
 * render_merge). */
struct render_fam {
    char name[128];
    size_t t_head, t_body, t_end; /* text: header start, samples start, end */
    size_t o_head, o_body, o_end; /* OpenMetrics */
};

struct render {
    struct buf text;
    /* The OpenMetrics output, kept apart only from the first place where it
     * differs from the text output (a counter's metadata, a quote in a
     * help text, "# EOF"): until then om_split is false, om is empty and
     * the OpenMetrics output is the text output. Read it with render_om. */
    struct buf om;
    bool om_split;
    /* Labels written first on every sample (the cluster label), or none. */
    const struct label *base;
    size_t nbase;
    /* When keep is set, only the families whose exposed name (a counter's
     * with its "_total") is one of keep[0..nkeep), sorted by strcmp, are
     * written; the others are dropped whole (a compat set's path). */
    const char *const *keep;
    size_t nkeep;
    /* When counters_only is set, only the M_COUNTER and M_HISTOGRAM families
     * are written; gauges are dropped whole, like a family not in keep (a
     * standby's frozen counters; docs/design.md, "HA counters"). */
    bool counters_only;
    bool skip; /* the current family is dropped */
    /* Record family positions (for merging several renders). */
    bool track;
    struct render_fam *fams;
    size_t nfams, fams_cap;
    /* current family */
    char family[128];
    enum mtype type;
    size_t samples; /* in the current family */
    size_t series;  /* total samples written */
};

/* Starts a family. For counters pass the name without "_total": samples get
 * the suffix, the 0.0.4 metadata names "<name>_total", OpenMetrics "<name>".
 * With render.keep set, a family not in it is dropped with its samples; with
 * render.counters_only, a gauge family is. */
void render_family(struct render *r, const char *name, enum mtype type, const char *help);
void render_sample(struct render *r, const struct label *l, size_t nl, double v);
/* One gauge family of one unlabelled sample (the base labels still apply). */
void render_gauge1(struct render *r, const char *name, const char *help, double v);
/* A histogram series: non-cumulative counts per bound, the last one +Inf. */
void render_histogram(struct render *r, const struct label *l, size_t nl, const double *bounds,
                      const uint64_t *counts, size_t nb, double sum, uint64_t count);
void render_eof(struct render *r);
/* Appends the families of n tracked renders to out, each family once: its
 * header from the first render that has it, then the samples of every render
 * in order (several clusters rendered one by one become one exposition). */
void render_merge(struct render *out, struct render *parts, size_t n);
void render_free(struct render *r);
/* The OpenMetrics output, copied out of the text output first when the two
 * have not differed so far. */
struct buf *render_om(struct render *r);

/* Appends to out the lines of an exposition body [in, in+len) (either
 * format) that belong to the series whose first label is name="value" or
 * that have no such first label (the series of one cluster, from a render
 * with the cluster as base label, plus those without it). A family's
 * metadata lines are kept only when a sample of it is. */
void render_filter_base(const char *in, size_t len, const char *name, const char *value,
                        struct buf *out);

/* True when the family `name` of `type` is in the sorted list keep[0..n):
 * its exposed name, a counter's with "_total", is listed. */
bool render_kept(const char *const *keep, size_t n, const char *name, enum mtype type);

/* Number formatting: integers below 2^53 exactly, other values in the
 * shortest form that reads back the same, NaN, +Inf, -Inf. */
size_t render_number(char *out, size_t cap, double v);
/* Appends a label value with \\, \" and \n escaped. */
void render_escape_label(struct buf *b, const char *s);

#endif
