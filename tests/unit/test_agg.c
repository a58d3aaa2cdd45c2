/* SPDX-License-Identifier: Apache-2.0 */
/* The aggregation table: find-or-create, the row limit, growth, and sorting
 * rows by the names behind their ids. */
#include "testutil.h"

#include "util/agg.h"

static struct agg_row *get3(struct agg *a, uint32_t k0, uint32_t k1, uint32_t k2)
{
    const uint32_t key[AGG_MAX_KEYS] = {k0, k1, k2};
    return agg_get(a, key);
}

static void test_create_and_find(void **state)
{
    (void)state;
    struct agg a;
    agg_init(&a, 100);
    struct agg_row *r = get3(&a, 1, 2, 3);
    assert_non_null(r);
    assert_int_equal(a.n, 1);
    assert_int_equal(r->key[0], 1);
    assert_int_equal(r->key[1], 2);
    assert_int_equal(r->key[2], 3);
    for (int i = 0; i < AGG_MAX_VALS; i++)
        assert_double_exact(r->v[i], 0); /* created zeroed */
    r->v[0] = 5;
    r->v[AGG_MAX_VALS - 1] = 7;
    /* key order matters: (3,2,1) and (1,2,0) are different rows */
    assert_non_null(get3(&a, 3, 2, 1));
    assert_non_null(get3(&a, 1, 2, 0));
    assert_int_equal(a.n, 3);
    r = get3(&a, 1, 2, 3);
    assert_int_equal(a.n, 3);
    assert_double_exact(r->v[0], 5);
    assert_double_exact(r->v[AGG_MAX_VALS - 1], 7);
    /* the all-zero key is a key like any other */
    struct agg_row *z = get3(&a, 0, 0, 0);
    assert_non_null(z);
    z->v[1] = 1;
    assert_int_equal(a.n, 4);
    assert_double_exact(get3(&a, 0, 0, 0)->v[1], 1);
    assert_int_equal(a.dropped, 0);
    agg_free(&a);
    assert_int_equal(a.n, 0);
    assert_null(a.rows);
}

static void test_limit(void **state)
{
    (void)state;
    struct agg a;
    agg_init(&a, 2);
    assert_non_null(get3(&a, 1, 0, 0));
    assert_non_null(get3(&a, 2, 0, 0));
    assert_null(get3(&a, 3, 0, 0));
    assert_null(get3(&a, 4, 0, 0));
    assert_null(get3(&a, 3, 0, 0));
    assert_int_equal(a.dropped, 2); /* each refused key once: two label sets left out */
    assert_int_equal(a.n, 2);
    /* existing rows are still found at the limit */
    struct agg_row *r = get3(&a, 2, 0, 0);
    assert_non_null(r);
    assert_int_equal(r->key[0], 2);
    assert_int_equal(a.dropped, 2);
    /* many refused keys, each many times: counted once each */
    for (int round = 0; round < 3; round++)
        for (uint32_t k = 10; k < 1010; k++)
            assert_null(get3(&a, k, 0, 7));
    assert_int_equal(a.dropped, 1002);
    agg_free(&a);
    assert_null(a.dkeys);

    agg_init(&a, 0);
    assert_null(get3(&a, 1, 1, 1));
    assert_int_equal(a.dropped, 1);
    assert_int_equal(a.n, 0);
    agg_free(&a);
}

/* Thousands of rows: growth and rehashing keep every row findable. */
static void test_growth(void **state)
{
    (void)state;
    struct agg a;
    agg_init(&a, 100000);
    const uint32_t N = 5000;
    for (uint32_t i = 0; i < N; i++) {
        struct agg_row *r = get3(&a, i % 97, i / 97, i);
        assert_non_null(r);
        r->v[0] = i;
        r->v[1] += 1;
    }
    assert_int_equal(a.n, N);
    assert_true(a.nslots >= 2 * a.n); /* load factor at most 1/2 */
    for (uint32_t i = 0; i < N; i++) {
        struct agg_row *r = get3(&a, i % 97, i / 97, i);
        assert_double_exact(r->v[0], i);
        assert_double_exact(r->v[1], 1);
    }
    assert_int_equal(a.n, N);
    assert_int_equal(a.dropped, 0);
    agg_free(&a);
}

static void test_sort_by_names(void **state)
{
    (void)state;
    struct arena ar = {0};
    struct strtab names;
    strtab_init(&names, &ar);
    uint32_t zeta = strtab_intern(&names, "zeta", 4);
    uint32_t alpha = strtab_intern(&names, "alpha", 5);
    uint32_t mid = strtab_intern(&names, "mid", 3);
    uint32_t alphab = strtab_intern(&names, "alphab", 6);
    struct agg a;
    agg_init(&a, 100);
    get3(&a, zeta, 1, 0)->v[0] = 1;
    get3(&a, alpha, 9, 0)->v[0] = 2;
    get3(&a, mid, 0, 0)->v[0] = 3;
    get3(&a, alpha, 3, 0)->v[0] = 4;
    get3(&a, alphab, 0, 0)->v[0] = 5;
    /* first key by name, second by raw id */
    const struct strtab *tabs[3] = {&names, NULL, NULL};
    agg_sort(&a, cmp_rows_by_names, (void *)tabs);
    assert_int_equal(a.n, 5);
    const double order[5] = {4, 2, 5, 3, 1}; /* alpha/3, alpha/9, alphab, mid, zeta */
    for (size_t i = 0; i < 5; i++)
        assert_double_exact(a.rows[i].v[0], order[i]);
    assert_int_equal(a.rows[0].key[0], alpha);
    assert_int_equal(a.rows[0].key[1], 3);
    assert_int_equal(a.rows[4].key[0], zeta);
    agg_free(&a);

    /* names on the second key */
    agg_init(&a, 100);
    get3(&a, 1, mid, 0)->v[0] = 1;
    get3(&a, 0, zeta, 0)->v[0] = 2;
    get3(&a, 1, alpha, 0)->v[0] = 3;
    const struct strtab *tabs2[3] = {NULL, &names, NULL};
    agg_sort(&a, cmp_rows_by_names, (void *)tabs2);
    assert_double_exact(a.rows[0].v[0], 2); /* key0 = 0 first */
    assert_double_exact(a.rows[1].v[0], 3); /* then 1/alpha */
    assert_double_exact(a.rows[2].v[0], 1); /* then 1/mid */
    agg_free(&a);
    strtab_free(&names);
    arena_free(&ar);
}

static void test_strtab(void **state)
{
    (void)state;
    struct arena ar = {0};
    struct strtab t;
    strtab_init(&t, &ar);
    assert_int_equal(t.count, 1);
    assert_string_equal(strtab_get(&t, 0), ""); /* id 0 is "" */
    assert_int_equal(strtab_intern(&t, "", 0), 0);
    uint32_t a = strtab_intern(&t, "abc", 3);
    assert_int_equal(strtab_intern(&t, "abcdef", 3), a); /* counted length */
    assert_int_not_equal(strtab_intern(&t, "ab", 2), a);
    assert_int_equal(strtab_find(&t, "zz", 2), UINT32_MAX);
    char s[16];
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(s, sizeof(s), "s%d", i);
        assert_int_equal(strtab_intern(&t, s, (size_t)n), (uint32_t)i + 3);
    }
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(s, sizeof(s), "s%d", i);
        assert_int_equal(strtab_find(&t, s, (size_t)n), (uint32_t)i + 3);
        assert_string_equal(strtab_get(&t, (uint32_t)i + 3), s);
    }
    strtab_free(&t);
    arena_free(&ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_find), cmocka_unit_test(test_limit),
        cmocka_unit_test(test_growth),          cmocka_unit_test(test_sort_by_names),
        cmocka_unit_test(test_strtab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
