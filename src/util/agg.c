/* SPDX-License-Identifier: Apache-2.0 */
/* Open-addressing aggregation table keyed by id tuples. */
#include "util/agg.h"
#include "util/buf.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

void agg_init(struct agg *a, size_t limit)
{
    memset(a, 0, sizeof(*a));
    a->limit = limit;
}

static uint64_t key_hash(const uint32_t k[AGG_MAX_KEYS])
{
    uint64_t h = k[0] * 0x9E3779B97F4A7C15ULL;
    h ^= (k[1] + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    h ^= (k[2] + 0x85EBCA77C2B2AE63ULL) * 0x165667B19E3779F9ULL;
    return h ^ (h >> 31);
}

static void rehash(struct agg *a)
{
    size_t ns = a->nslots ? a->nslots * 2 : 64;
    uint32_t *slots = xcalloc(ns, sizeof(*slots));
    for (size_t r = 0; r < a->n; r++) {
        size_t i = hash_slot(key_hash(a->rows[r].key), ns);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = (uint32_t)r + 1;
    }
    free(a->slots);
    a->slots = slots;
    a->nslots = ns;
}

/* Counts a refused key once: the refused keys are kept in a set of their
 * own (bounded by the input, like the rows; freed with the table). */
static void refuse(struct agg *a, const uint32_t key[AGG_MAX_KEYS])
{
    if (a->nd_slots) {
        size_t i = hash_slot(key_hash(key), a->nd_slots);
        while (a->dslots[i]) {
            if (memcmp(a->dkeys[a->dslots[i] - 1], key, sizeof(a->dkeys[0])) == 0)
                return;
            i = (i + 1) & (a->nd_slots - 1);
        }
    }
    if ((a->dropped + 1) * 2 > a->nd_slots) {
        size_t ns = a->nd_slots ? a->nd_slots * 2 : 64;
        uint32_t *slots = xcalloc(ns, sizeof(*slots));
        for (size_t r = 0; r < a->dropped; r++) {
            size_t i = hash_slot(key_hash(a->dkeys[r]), ns);
            while (slots[i])
                i = (i + 1) & (ns - 1);
            slots[i] = (uint32_t)r + 1;
        }
        free(a->dslots);
        a->dslots = slots;
        a->nd_slots = ns;
    }
    if (a->dropped == a->dcap) {
        a->dcap = a->dcap ? a->dcap * 2 : 64;
        a->dkeys = xrealloc(a->dkeys, a->dcap * sizeof(*a->dkeys));
    }
    memcpy(a->dkeys[a->dropped], key, sizeof(a->dkeys[0]));
    size_t i = hash_slot(key_hash(key), a->nd_slots);
    while (a->dslots[i])
        i = (i + 1) & (a->nd_slots - 1);
    a->dslots[i] = (uint32_t)a->dropped + 1;
    a->dropped++;
}

struct agg_row *agg_get(struct agg *a, const uint32_t key[AGG_MAX_KEYS])
{
    if (a->nslots) {
        size_t i = hash_slot(key_hash(key), a->nslots);
        while (a->slots[i]) {
            struct agg_row *r = &a->rows[a->slots[i] - 1];
            if (memcmp(r->key, key, sizeof(r->key)) == 0)
                return r;
            i = (i + 1) & (a->nslots - 1);
        }
    }
    if (a->n >= a->limit) {
        refuse(a, key);
        return NULL;
    }
    if ((a->n + 1) * 2 > a->nslots)
        rehash(a);
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->rows = xrealloc(a->rows, a->cap * sizeof(*a->rows));
    }
    struct agg_row *r = &a->rows[a->n];
    memset(r, 0, sizeof(*r));
    memcpy(r->key, key, sizeof(r->key));
    size_t i = hash_slot(key_hash(key), a->nslots);
    while (a->slots[i])
        i = (i + 1) & (a->nslots - 1);
    a->slots[i] = (uint32_t)a->n + 1;
    a->n++;
    return r;
}

void agg_sort(struct agg *a, int (*cmp)(const void *, const void *, void *), void *ctx)
{
    if (a->n > 1)
        qsort_r(a->rows, a->n, sizeof(*a->rows), cmp, ctx);
    /* Slots point at old positions: the table is for output only from here. */
    free(a->slots);
    a->slots = NULL;
    a->nslots = 0;
}

void agg_free(struct agg *a)
{
    free(a->rows);
    free(a->slots);
    free(a->dkeys);
    free(a->dslots);
    memset(a, 0, sizeof(*a));
}
