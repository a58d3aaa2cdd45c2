/* SPDX-License-Identifier: Apache-2.0 */
/* The collector contract: a collector is a pure function of the current
 * datasets (the view) that writes metric families. No I/O, no globals. */
#ifndef SE_COLLECTOR_H
#define SE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "render.h"

enum dataset_id {
#define X(e, label, iv, src) DS_##e,
#include "datasets.def"
#undef X
    DS_COUNT
};
#define DSB(e) (1u << DS_##e)

/* One fetched dataset: everything lives in its arena. Reference counted:
 * the poller holds one reference to the current result, each render another. */
struct dataset_result {
    int refs; /* atomic */
    enum dataset_id id;
    struct arena arena;
    union {
        struct jobs_model jobs;
        struct nodes_model nodes;
        struct partitions_model parts;
    } u;
    /* Datasets added later keep their model here (allocated in the arena by
     * their source); their collector knows the type. */
    void *model;
    double fetched_at;     /* wall clock, seconds since the epoch */
    double fetch_duration; /* seconds, command and parse */
};

/* --compat: other exporters' metric names served beside ours. */
#define COMPAT_VPENSO 1u
#define COMPAT_RIVOSINC 2u

struct view {
    /* NULL when the dataset has no usable data (never fetched, failed and
     * older than the max age, or not polled). */
    const struct dataset_result *ds[DS_COUNT];
    double now;                      /* wall clock of the render */
    size_t series_limit;             /* per aggregation table */
    unsigned compat;                 /* COMPAT_* bits: also write those exporters' names */
    uint64_t fetch_errors[DS_COUNT]; /* failed refreshes of each dataset so far */
};

struct collect_out {
    uint64_t series_dropped; /* label sets refused by the series limit */
};

typedef void (*collector_fn)(const struct view *v, struct render *r, struct collect_out *o);

enum collector_id {
#define X(name, on, prim, ds, help) COLLECTOR_##name,
#include "collectors.def"
#undef X
    COLLECTOR_COUNT
};

struct collector_def {
    const char *name;
    bool default_on;
    enum dataset_id primary;
    uint32_t datasets;
    const char *help;
    collector_fn fn;
};
extern const struct collector_def collectors[COLLECTOR_COUNT];
extern const char *const dataset_names[DS_COUNT];
extern const int dataset_default_interval[DS_COUNT];

#define X(name, on, prim, ds, help)                                                                \
    void collect_##name(const struct view *v, struct render *r, struct collect_out *o);
#include "collectors.def"
#undef X

/* Helpers shared by collectors. */
/* A local name table mapping another strtab's ids into one namespace. */
struct namemap {
    struct arena arena;
    struct strtab names;
};
void namemap_init(struct namemap *nm);
uint32_t namemap_id(struct namemap *nm, const char *s);
void namemap_free(struct namemap *nm);
int cmp_rows_by_names(const void *a, const void *b, void *ctx);
/* True for derived node states whose idle CPUs cannot run jobs. */
bool node_unavailable(uint8_t state);
/* vpenso 0.20's per-node families (node collector, also run under --compat=vpenso). */
void collect_node_compat_vpenso(const struct view *v, struct render *r, struct collect_out *o);

#endif
