/* SPDX-License-Identifier: Apache-2.0 */
/* String interning with an open-addressing table (FNV-1a, linear probing);
 * the table and the strings live in the arena. */
#include "util/strtab.h"
#include "util/hash.h"

#include <string.h>

uint64_t hash_bytes(const void *p, size_t n)
{
    /* Eight bytes at a time, each word mixed in by a multiply and a shift
     * (the slot is then taken from the high bits: util/hash.h). */
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}

static void grow(struct strtab *t)
{
    uint32_t ns = t->nslots ? t->nslots * 2 : 64;
    uint32_t *slots = arena_alloc(t->arena, ns * sizeof(*slots));
    memset(slots, 0, ns * sizeof(*slots));
    for (uint32_t id = 0; id < t->count; id++) {
        uint64_t h = hash_bytes(t->strs[id], t->lens[id]);
        uint32_t i = (uint32_t)hash_slot(h, ns);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = id + 1;
    }
    arena_release(t->arena, t->slots, t->nslots * sizeof(*t->slots));
    t->slots = slots;
    t->nslots = ns;
}

void strtab_init(struct strtab *t, struct arena *a)
{
    memset(t, 0, sizeof(*t));
    t->arena = a;
    strtab_intern(t, "", 0);
}

static uint32_t find_h(const struct strtab *t, const char *s, size_t n, uint64_t h)
{
    if (!t->nslots)
        return UINT32_MAX;
    uint32_t i = (uint32_t)hash_slot(h, t->nslots);
    while (t->slots[i]) {
        uint32_t id = t->slots[i] - 1;
        if (t->lens[id] == n && memcmp(t->strs[id], s, n) == 0)
            return id;
        i = (i + 1) & (t->nslots - 1);
    }
    return UINT32_MAX;
}

uint32_t strtab_find(const struct strtab *t, const char *s, size_t n)
{
    return find_h(t, s, n, hash_bytes(s, n));
}

uint32_t strtab_intern(struct strtab *t, const char *s, size_t n)
{
    uint64_t h = hash_bytes(s, n);
    uint32_t id = find_h(t, s, n, h);
    if (id != UINT32_MAX)
        return id;
    if ((t->count + 1) * 2 > t->nslots)
        grow(t);
    if (t->count == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 64;
        t->strs =
            arena_realloc(t->arena, t->strs, t->cap * sizeof(*t->strs), nc * sizeof(*t->strs));
        t->lens =
            arena_realloc(t->arena, t->lens, t->cap * sizeof(*t->lens), nc * sizeof(*t->lens));
        t->cap = nc;
    }
    id = t->count++;
    t->strs[id] = arena_strndup(t->arena, s, n);
    t->lens[id] = (uint32_t)n;
    uint32_t i = (uint32_t)hash_slot(h, t->nslots);
    while (t->slots[i])
        i = (i + 1) & (t->nslots - 1);
    t->slots[i] = id + 1;
    return id;
}

void strtab_free(struct strtab *t)
{
    if (t->arena) {
        arena_release(t->arena, t->strs, t->cap * sizeof(*t->strs));
        arena_release(t->arena, t->lens, t->cap * sizeof(*t->lens));
        arena_release(t->arena, t->slots, t->nslots * sizeof(*t->slots));
    }
    memset(t, 0, sizeof(*t));
}
