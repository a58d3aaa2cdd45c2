/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator: everything one poll builds lives in one arena and is freed
 * in one call when the last reader lets go of the snapshot. Large blocks
 * (growable vectors) get an allocation of their own, tracked by the arena,
 * so they can grow in place (arena_realloc) and be given back early; no
 * part of a result is malloc'ed outside its arena. */
#ifndef SE_ARENA_H
#define SE_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena_big;

struct arena {
    struct arena_block *head;
    struct arena_big *big; /* large blocks, each its own allocation */
    size_t used;           /* bytes handed out, for accounting */
};

void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* A growable vector: p (NULL, or a block of old bytes from arena_alloc or
 * arena_realloc, old exactly as asked for then) grown to n bytes, contents
 * kept. A large block is realloc'ed in place (no copy left behind); a small
 * one is copied and its old bytes stay in the arena until it is freed. */
void *arena_realloc(struct arena *a, void *p, size_t old, size_t n);
/* Gives a large block (size as asked for) back now; small ones stay. */
void arena_release(struct arena *a, void *p, size_t size);
void arena_free(struct arena *a);

#endif
