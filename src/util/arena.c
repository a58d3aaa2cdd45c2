/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator with 64 KiB blocks; large requests get a block of their own. */
#include "util/arena.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 65536

struct arena_block {
    struct arena_block *next;
    size_t cap;
    size_t off;
    _Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_block *b = a->head;
    if (!b || b->cap - b->off < n) {
        size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
        struct arena_block *nb = xmalloc(sizeof(*nb) + cap);
        nb->cap = cap;
        nb->off = 0;
        if (b && cap != ARENA_BLOCK) {
            /* Keep the current partly used block at the head. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
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

void arena_free(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}
