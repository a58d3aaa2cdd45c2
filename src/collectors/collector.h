/* SPDX-License-Identifier: Apache-2.0 */
/* The collector contract: a collector is a pure function of the current
 * datasets (the view, model/dataset.h) that writes metric families. No I/O,
 * no globals. Collectors include the model and the renderer only, never a
 * source. */
#ifndef SE_COLLECTOR_H
#define SE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/ids.h"
#include "model/dataset.h"
#include "render.h"

struct collect_out {
    uint64_t series_dropped; /* label sets refused by the series limit */
};

typedef void (*collector_fn)(const struct view *v, struct render *r, struct collect_out *o);

struct collector_def {
    const char *name;
    bool default_on;
    enum dataset_id primary;
    uint32_t datasets;
    const char *help;
    collector_fn fn;
};
extern const struct collector_def collectors[COLLECTOR_COUNT];

#define COLLECTOR(name, on, prim, ds, help)                                                        \
    void collect_##name(const struct view *v, struct render *r, struct collect_out *o);
#include "tables.def"

/* The families of the --compat sets (compat_sets.def): what each set's path
 * serves. owner is the collector that writes the family when it runs with
 * the set's bit, or COMPAT_OWNER_BUILD (the exposition build writes it) or
 * COMPAT_OWNER_SCRAPE (the per-scrape section does). name is the name a
 * query uses: a counter's with "_total" (render_kept). */
#define COMPAT_OWNER_BUILD (-1)
#define COMPAT_OWNER_SCRAPE (-2)
struct compat_family {
    unsigned set; /* COMPAT_* */
    int owner;    /* COLLECTOR_*, COMPAT_OWNER_BUILD or COMPAT_OWNER_SCRAPE */
    const char *name;
};
extern const struct compat_family compat_families[];
extern const size_t compat_families_n;

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
/* The sinfo-like state vpenso 0.20 counted a node in: "alloc", "comp", "down"
 * (base state DOWN, whatever its flags), "drain" (drained or draining),
 * "err", "fail", "idle", "maint", "mix", "resv", or NULL (compat.c). */
const char *compat_vpenso_node_bucket(const struct node *nd);
/* vpenso's per-partition CPU families, which jontk's guide queries too (same
 * names, labels and meaning): slurm_partition_cpus_allocated, with
 * idle_other slurm_partition_cpus_idle and _other, then _total, one series
 * per partition that has nodes (compat.c). */
void compat_partition_cpus(const struct view *v, struct render *r, struct collect_out *o,
                           bool idle_other);
/* jontk's per-node families (node.c): slurm_node_cpus_total,
 * slurm_node_cpus_allocated (the node collector's, which leaves it to this
 * one under --compat=jontk), slurm_node_gpus_total and _allocated. */
void collect_node_compat_jontk(const struct view *v, struct render *r, struct collect_out *o);
/* jontk's collection families for every polled dataset of the view (the
 * exposition build writes them, whatever data is fresh; compat_jontk.c). */
void compat_jontk_collections(const struct view *v, struct render *r);
/* Azure's meta families for the /azure exposition (compat_azure.c): the
 * build's duration and time, and slurm_exporter_errors_total 1 when error. */
void compat_azure_meta(struct render *r, double duration, double when, bool error);

#endif
