/* SPDX-License-Identifier: Apache-2.0 */
/* Aggregation table: a tuple of up to three interned ids -> a row of sums.
 * Collectors count jobs or nodes into it, then emit one series per row. A
 * row limit bounds cardinality; what does not fit is counted, not stored. */
#ifndef SE_AGG_H
#define SE_AGG_H

#include <stddef.h>
#include <stdint.h>

#define AGG_MAX_KEYS 3
#define AGG_MAX_VALS 8

struct agg_row {
    uint32_t key[AGG_MAX_KEYS];
    double v[AGG_MAX_VALS];
};

struct agg {
    struct agg_row *rows;
    size_t n, cap;
    uint32_t *slots; /* row index + 1 */
    size_t nslots;
    size_t limit;
    /* distinct keys refused because the row limit was reached (each a label
     * set left out, however many updates fell on it) */
    uint64_t dropped;
    uint32_t (*dkeys)[AGG_MAX_KEYS]; /* those keys */
    uint32_t *dslots;                /* their index + 1 */
    size_t dcap, nd_slots;
};

void agg_init(struct agg *a, size_t limit);
/* Returns the row for key (creating it, zeroed), or NULL past the limit. */
struct agg_row *agg_get(struct agg *a, const uint32_t key[AGG_MAX_KEYS]);
/* Sorts rows with cmp (for stable, readable output). */
void agg_sort(struct agg *a, int (*cmp)(const void *, const void *, void *), void *ctx);
void agg_free(struct agg *a);

#endif
