/* SPDX-License-Identifier: Apache-2.0 */
/* String interning: each distinct string gets a small integer id, so models
 * store ids and collectors aggregate on integers. The strings and the table
 * live in the arena the table was created with: arena_free frees them. */
#ifndef SE_STRTAB_H
#define SE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

struct strtab {
    struct arena *arena;
    const char **strs; /* id -> string (NUL-terminated) */
    uint32_t *lens;
    uint32_t count, cap;
    uint32_t *slots; /* open addressing: id+1, 0 = empty */
    uint32_t nslots;
};

void strtab_init(struct strtab *t, struct arena *a);
/* Intern s[0..n); returns its id. Id 0 is always the empty string. */
uint32_t strtab_intern(struct strtab *t, const char *s, size_t n);
/* Look up without inserting; returns UINT32_MAX when absent. */
uint32_t strtab_find(const struct strtab *t, const char *s, size_t n);
static inline const char *strtab_get(const struct strtab *t, uint32_t id)
{
    return t->strs[id];
}
/* Optional, before the arena is freed: gives the table's large arrays back
 * at once (a scratch table) and empties t. */
void strtab_free(struct strtab *t);

uint64_t hash_bytes(const void *p, size_t n);

#endif
