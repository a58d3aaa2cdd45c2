/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator: everything one poll builds lives in one arena and is freed
 * in one call when the last reader lets go of the snapshot. Large blocks
 * (growable vectors) get an allocation of their own, tracked by the arena,
 * so they can grow in place and be given back early; vectors a parser grows
 * with realloc can be handed to the arena too (arena_own). */
#ifndef SE_ARENA_H
#define SE_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena_big;
struct arena_owned;

struct arena {
    struct arena_block *head;
    struct arena_big *big;     /* large blocks, each its own allocation */
    struct arena_owned *owned; /* malloc'ed vectors handed over with arena_own */
    size_t used;               /* bytes handed out, for accounting */
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
/* The arena owns the malloc'ed vector in the pointer field at slot (a T **,
 * the field may be NULL and may be realloc'ed after this call): arena_free
 * frees what the field points to then, and sets it to NULL. The field must
 * live until arena_free (in the arena itself, or in the struct holding the
 * arena). */
void arena_own(struct arena *a, void *slot);
void arena_free(struct arena *a);

#endif
