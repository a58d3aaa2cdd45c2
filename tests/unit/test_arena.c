/* SPDX-License-Identifier: Apache-2.0 */
/* The arena: allocations aligned and apart, vectors grown with their
 * contents, and, under AddressSanitizer, what it has not handed out
 * poisoned (the padding after an allocation, the gap to the next, a free
 * block's rest, a moved vector's old bytes), so that an overflow inside a
 * 64 KiB block is reported. */
#include "testutil.h"

#include "util/arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifdef ASAN
#include <sanitizer/asan_interface.h>
#define POISONED(p) __asan_address_is_poisoned(p)
#endif

static void test_allocations(void **state)
{
    (void)state;
    struct arena a = {0};
    char *p = arena_alloc(&a, 10), *q = arena_alloc(&a, 3);
    assert_int_equal((uintptr_t)p % 16, 0);
    assert_int_equal((uintptr_t)q % 16, 0);
    assert_true(q >= p + 16);
    memset(p, 'x', 10);
    memset(q, 'y', 3);
    char *s = arena_strndup(&a, "abcdef", 3);
    assert_string_equal(s, "abc");
    char *big = arena_alloc(&a, 100000);
    memset(big, 1, 100000);
#ifdef ASAN
    assert_false(POISONED(p + 9));
    assert_true(POISONED(p + 10)); /* one past: reported */
    assert_true(POISONED(q + 3));
    assert_true(POISONED(s + 4));
    assert_true(POISONED(q + 100)); /* the block's unused rest */
    assert_false(POISONED(big + 99999));
#endif
    arena_free(&a);
}

static void test_vectors(void **state)
{
    (void)state;
    struct arena a = {0};
    int *v = arena_realloc(&a, NULL, 0, 4 * sizeof(int));
    for (int i = 0; i < 4; i++)
        v[i] = i;
    int *w = arena_realloc(&a, v, 4 * sizeof(int), 8 * sizeof(int));
    for (int i = 0; i < 4; i++)
        assert_int_equal(w[i], i);
#ifdef ASAN
    assert_true(POISONED(v)); /* the old copy: a stale pointer is reported */
    assert_false(POISONED(w + 7));
    assert_true(POISONED((char *)(w + 8)));
#endif
    /* into a large block, grown in place, given back */
    size_t n = 8 * sizeof(int), m = 20000 * sizeof(int);
    int *x = arena_realloc(&a, w, n, m);
    for (int i = 0; i < 4; i++)
        assert_int_equal(x[i], i);
    x[19999] = 7;
    int *y = arena_realloc(&a, x, m, m + 6);
    assert_int_equal(y[19999], 7);
    assert_int_equal(y[3], 3);
#ifdef ASAN
    assert_false(POISONED((char *)y + m + 5));
    assert_true(POISONED((char *)y + m + 6));
#endif
    arena_release(&a, y, m + 6);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocations),
        cmocka_unit_test(test_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
