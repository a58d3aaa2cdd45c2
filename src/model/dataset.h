/* SPDX-License-Identifier: Apache-2.0 */
/* The model layer's top: one refresh of a dataset (struct dataset_result,
 * typed by dataset), and the view the collectors read. Sources fill a
 * result's model; collectors read it through the view_* accessors. Nothing
 * here knows a source, a collector or the poller. */
#ifndef SE_MODEL_DATASET_H
#define SE_MODEL_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "model/ids.h"
#include "util/arena.h"

/* The datasets' model types, each in its own header in src/model/ (the
 * core three in model.h): only the sources that fill one and the collectors
 * that read one include it. */
#define DATASET(e, label, iv, src, type, member) struct type;
#include "tables.def"

/* One fetched dataset: everything lives in its arena (vectors and string
 * tables included), so releasing it is one arena_free. Reference counted:
 * the poller holds one reference to the current result, each render
 * another. The model is the union member of the result's id; it points to
 * the zeroed bytes after the result (mem, sized by the source's model_size). */
struct dataset_result {
    int refs; /* atomic */
    enum dataset_id id;
    struct arena arena;
    union {
#define DATASET(e, label, iv, src, type, member) struct type *member;
#include "tables.def"
        void *any;
    } u;
    double fetched_at;     /* wall clock, seconds since the epoch */
    double fetch_duration; /* seconds, command and parse */
    _Alignas(16) unsigned char mem[];
};

/* --compat: other exporters' metric names served beside ours. */
#define COMPAT_VPENSO 1u
#define COMPAT_RIVOSINC 2u
/* Azure CycleCloud's exporter: its names collide with ours, so it is served
 * on a path of its own (--web.telemetry-path + "/azure"), never on /metrics. */
#define COMPAT_AZURE 4u
/* The goldentooth Ansible role's names: slurm_jobs_pending and
 * slurm_nodes_down collide with ours and vpenso's, so it too is served on a
 * path of its own (--web.telemetry-path + "/goldentooth"). */
#define COMPAT_GOLDENTOOTH 8u
/* jontk/slurm-exporter's names as its Prometheus integration guide (port 9341)
 * queries them; none collides with ours, so they are on the telemetry path
 * too (and on --web.telemetry-path + "/jontk"). */
#define COMPAT_JONTK 16u

/* One dataset's refresh attempts since the exporter started, by how long
 * each took (command and parsing): the histogram --compat=jontk serves as
 * slurm_exporter_collect_duration_seconds. */
#define FETCH_HIST_BOUNDS 12
extern const double fetch_hist_bounds[FETCH_HIST_BOUNDS];
struct fetch_hist {
    uint64_t counts[FETCH_HIST_BOUNDS]; /* per bound, not cumulative; above the last: count */
    uint64_t count;                     /* attempts */
    double sum;                         /* their seconds */
};

struct view {
    /* NULL when the dataset has no usable data (never fetched, failed and
     * older than the max age, or not polled). */
    const struct dataset_result *ds[DS_COUNT];
    double now;                          /* wall clock of the render */
    size_t series_limit;                 /* per aggregation table */
    unsigned compat;                     /* COMPAT_* bits: also write those exporters' names */
    uint64_t fetch_errors[DS_COUNT];     /* failed refreshes of each dataset so far */
    bool polled[DS_COUNT];               /* the dataset is refreshed (a collector reads it) */
    struct fetch_hist fetches[DS_COUNT]; /* its refresh attempts so far, by duration */
};

/* Typed access to a view's models: NULL when the dataset has no usable data. */
#define VIEW_MODEL(fn, type, e, member)                                                            \
    static inline const struct type *fn(const struct view *v)                                      \
    {                                                                                              \
        const struct dataset_result *d = v->ds[DS_##e];                                            \
        return d ? d->u.member : NULL;                                                             \
    }
#define DATASET(e, label, iv, src, type, member) VIEW_MODEL(view_##member, type, e, member)
#include "tables.def"
#undef VIEW_MODEL

#endif
