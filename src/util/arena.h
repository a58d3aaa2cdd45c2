/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator: everything one poll builds lives in one arena and is freed
 * in one call when the last reader lets go of the snapshot. */
#ifndef SE_ARENA_H
#define SE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head;
    size_t used; /* bytes handed out, for accounting */
};

void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

#endif
