/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator with 64 KiB blocks; large requests get a block of their own. */
#include "util/arena.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 65536
#define ARENA_BIG (ARENA_BLOCK / 4) /* larger requests get their own block */

/* Under AddressSanitizer the arena tells it what is handed out: a block's
 * free space, the padding after each allocation and a gap between
 * allocations are poisoned, and so are a small vector's old bytes once
 * arena_realloc moved it, so a write past an allocation or a read through a
 * stale pointer is reported where it happens (malloc's own checks see only
 * the 64 KiB blocks). */
#if defined(__SANITIZE_ADDRESS__)
#define SE_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SE_ARENA_ASAN 1
#endif
#endif
#ifdef SE_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_GAP 16 /* poisoned bytes after each small allocation */
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_GAP 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

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
    size_t asked = n;
    n = round16(n);
    if (n > ARENA_BIG) {
        struct arena_big *nb = xmalloc(sizeof(*nb) + n);
        big_link(a, nb);
        a->used += n;
        POISON(nb->data + asked, n - asked);
        return nb->data;
    }
    struct arena_block *b = a->head;
    size_t take = n + ARENA_GAP;
    if (!b || b->cap - b->off < take) {
        b = xmalloc(sizeof(*b) + ARENA_BLOCK);
        b->cap = ARENA_BLOCK;
        b->off = 0;
        b->next = a->head;
        a->head = b;
        POISON(b->data, b->cap);
    }
    void *p = b->data + b->off;
    b->off += take;
    a->used += n;
    UNPOISON(p, asked);
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
        UNPOISON(b->data, round16(old)); /* realloc copies the padding too */
        b = xrealloc(b, sizeof(*b) + round16(n));
        big_link(a, b);
        a->used += round16(n) - round16(old);
        POISON(b->data + n, round16(n) - n);
        return b->data;
    }
    void *q = arena_alloc(a, n);
    if (p && old) {
        memcpy(q, p, old);
        if (round16(old) <= ARENA_BIG)
            POISON(p, old); /* stays in the arena, unused */
    }
    return q;
}

void arena_release(struct arena *a, void *p, size_t size)
{
    if (!p || round16(size) <= ARENA_BIG)
        return;
    struct arena_big *b = big_of(p);
    big_unlink(a, b);
    a->used -= round16(size);
    UNPOISON(b->data, round16(size));
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
        UNPOISON(b->data, b->cap); /* malloc's memory again, as it was given */
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}
