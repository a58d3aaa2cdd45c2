/* SPDX-License-Identifier: Apache-2.0 */
/* The collector table, built from the X-macro list. */
#include "collectors/collector.h"
#include "util/agg.h"

#include <string.h>

const struct collector_def collectors[COLLECTOR_COUNT] = {
#define COLLECTOR(name, on, prim, ds, help) {#name, on, DS_##prim, ds, help, collect_##name},
#include "tables.def"
};

const struct compat_family compat_families[] = {
#define F(set, coll, name) {COMPAT_##set, COLLECTOR_##coll, name},
#define B(set, name) {COMPAT_##set, COMPAT_OWNER_BUILD, name},
#define S(set, name) {COMPAT_##set, COMPAT_OWNER_SCRAPE, name},
#include "compat_sets.def"
#undef F
#undef B
#undef S
};
const size_t compat_families_n = sizeof(compat_families) / sizeof(compat_families[0]);

uint32_t collectors_datasets(const bool on[COLLECTOR_COUNT])
{
    uint32_t ds = 0;
    for (int c = 0; c < COLLECTOR_COUNT; c++)
        if (on[c])
            ds |= collectors[c].datasets;
    return ds;
}

void namemap_init(struct namemap *nm)
{
    memset(nm, 0, sizeof(*nm));
    strtab_init(&nm->names, &nm->arena);
}

uint32_t namemap_id(struct namemap *nm, const char *s)
{
    return strtab_intern(&nm->names, s, strlen(s));
}

void namemap_free(struct namemap *nm)
{
    strtab_free(&nm->names);
    arena_free(&nm->arena);
}

/* Orders agg rows by the names of their keys. ctx is an array of three
 * strtab pointers, one per key position (NULL: compare the raw id). */
int cmp_rows_by_names(const void *a, const void *b, void *ctx)
{
    const struct agg_row *x = a, *y = b;
    const struct strtab *const *tabs = ctx;
    for (int i = 0; i < AGG_MAX_KEYS; i++) {
        int c;
        if (tabs[i])
            c = strcmp(strtab_get(tabs[i], x->key[i]), strtab_get(tabs[i], y->key[i]));
        else
            c = (x->key[i] > y->key[i]) - (x->key[i] < y->key[i]);
        if (c)
            return c;
    }
    return 0;
}
