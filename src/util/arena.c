/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator with 64 KiB blocks; large requests get a block of their own. */
#include "util/arena.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 65536
#define ARENA_BIG (ARENA_BLOCK / 4) /* larger requests get their own block */

struct arena_block {
    struct arena_block *next;
    size_t cap;
    size_t off;
    _Alignas(16) unsigned char data[];
};

/* A large block: doubly linked so arena_realloc and arena_release can
 * unlink or move it. */
struct arena_big {
    struct arena_big *next, *prev;
    _Alignas(16) unsigned char data[];
};

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static struct arena_big *big_of(void *p)
{
    return (struct arena_big *)((unsigned char *)p - offsetof(struct arena_big, data));
}

static void big_link(struct arena *a, struct arena_big *b)
{
    b->prev = NULL;
    b->next = a->big;
    if (a->big)
        a->big->prev = b;
    a->big = b;
}

static void big_unlink(struct arena *a, struct arena_big *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        a->big = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

void *arena_alloc(struct arena *a, size_t n)
{
    n = round16(n);
    if (n > ARENA_BIG) {
        struct arena_big *nb = xmalloc(sizeof(*nb) + n);
        big_link(a, nb);
        a->used += n;
        return nb->data;
    }
    struct arena_block *b = a->head;
    if (!b || b->cap - b->off < n) {
        b = xmalloc(sizeof(*b) + ARENA_BLOCK);
        b->cap = ARENA_BLOCK;
        b->off = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->off;
    b->off += n;
    a->used += n;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *arena_realloc(struct arena *a, void *p, size_t old, size_t n)
{
    if (p && n <= old)
        return p;
    if (p && round16(old) > ARENA_BIG) {
        struct arena_big *b = big_of(p);
        big_unlink(a, b);
        b = xrealloc(b, sizeof(*b) + round16(n));
        big_link(a, b);
        a->used += round16(n) - round16(old);
        return b->data;
    }
    void *q = arena_alloc(a, n);
    if (p && old)
        memcpy(q, p, old);
    return q;
}

void arena_release(struct arena *a, void *p, size_t size)
{
    if (!p || round16(size) <= ARENA_BIG)
        return;
    struct arena_big *b = big_of(p);
    big_unlink(a, b);
    a->used -= round16(size);
    free(b);
}

void arena_free(struct arena *a)
{
    struct arena_big *g = a->big;
    while (g) {
        struct arena_big *next = g->next;
        free(g);
        g = next;
    }
    a->big = NULL;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}
