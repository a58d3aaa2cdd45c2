/* SPDX-License-Identifier: Apache-2.0 */
/* Host list expansion: Slurm's compressed node lists, zero padding, several
 * bracket groups, malformed expressions skipped and counted, the name
 * limit. */
#include "testutil.h"

#include "util/buf.h"
#include "util/hostlist.h"

/* Expands s and returns the names joined with spaces (in a static buffer). */
static struct buf out;
static void collect(const char *name, size_t len, void *ctx)
{
    (void)ctx;
    assert_int_equal(strlen(name), len);
    if (out.len)
        buf_putc(&out, ' ');
    buf_append(&out, name, len);
}

static const char *expand(const char *s, size_t max, struct hostlist_result *res, int *rc)
{
    out.len = 0;
    *rc = hostlist_expand(s, strlen(s), max, collect, NULL, res);
    return buf_cstr(&out);
}

#define EXPANDS(s, want)                                                                           \
    do {                                                                                           \
        struct hostlist_result r_;                                                                 \
        int rc_;                                                                                   \
        assert_string_equal(expand(s, 1000, &r_, &rc_), want);                                     \
        assert_int_equal(rc_, 0);                                                                  \
        assert_int_equal(r_.bad, 0);                                                               \
        assert_false(r_.truncated);                                                                \
    } while (0)

static void test_common_forms(void **state)
{
    (void)state;
    EXPANDS("cn001", "cn001");
    EXPANDS("cn[001-003,007],gpu01", "cn001 cn002 cn003 cn007 gpu01");
    EXPANDS("cn[004-005]", "cn004 cn005");
    EXPANDS("cn[1-3]", "cn1 cn2 cn3");
    EXPANDS("a,b c\td", "a b c d");
    EXPANDS("", "");
    EXPANDS(",,", "");
    EXPANDS("[1-3]", "1 2 3");
    EXPANDS("n[7]", "n7");
    EXPANDS("rack1-n[01-02]-ib", "rack1-n01-ib rack1-n02-ib");
}

static void test_padding(void **state)
{
    (void)state;
    EXPANDS("n[8-10]", "n8 n9 n10");
    EXPANDS("n[08-10]", "n08 n09 n10");
    EXPANDS("n[098-101]", "n098 n099 n100 n101");
    EXPANDS("n[0-1]", "n0 n1");
    EXPANDS("n[001-3]", "n001 n002 n003");
}

static void test_several_groups(void **state)
{
    (void)state;
    EXPANDS("r[1-2]n[01-02]", "r1n01 r1n02 r2n01 r2n02");
    EXPANDS("r[1,3]-n[5]x", "r1-n5x r3-n5x");
    EXPANDS("a[1-2]b[1-2]c[1-2]", "a1b1c1 a1b1c2 a1b2c1 a1b2c2 a2b1c1 a2b1c2 a2b2c1 a2b2c2");
}

static void test_bad_expressions_skipped(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "cn[1-3",
        "cn1-3]",
        "cn[]",
        "cn[3-1]",
        "cn[a-b]",
        "cn[1-]",
        "cn[-1]",
        "cn[1,]",
        "cn[[1]]",
        "cn[1;2]",
        "cn[1234567890123456789]",
        "a[1]b[1]c[1]d[1]e[1]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hostlist_result r;
        int rc;
        char s[128];
        snprintf(s, sizeof(s), "ok1,%s,ok2", bad[i]);
        const char *got = expand(s, 1000, &r, &rc);
        if (strcmp(got, "ok1 ok2") != 0 || r.bad < 1 || rc != -1)
            fail_msg("%s: got \"%s\", bad %zu, rc %d", s, got, r.bad, rc);
    }
}

static void test_name_limit(void **state)
{
    (void)state;
    char s[HOSTLIST_NAME_MAX + 16];
    memset(s, 'x', sizeof(s));
    s[HOSTLIST_NAME_MAX] = '\0';
    struct hostlist_result r;
    int rc;
    assert_int_equal(strlen(expand(s, 10, &r, &rc)), HOSTLIST_NAME_MAX);
    assert_int_equal(rc, 0);
    s[HOSTLIST_NAME_MAX] = 'x'; /* one byte more */
    s[HOSTLIST_NAME_MAX + 1] = '\0';
    expand(s, 10, &r, &rc);
    assert_int_equal(r.hosts, 0);
    assert_int_equal(r.bad, 1);
    /* a group counts with its widest number */
    memcpy(s + HOSTLIST_NAME_MAX - 1, "[1]", 4);
    assert_int_equal(strlen(expand(s, 10, &r, &rc)), HOSTLIST_NAME_MAX);
    assert_int_equal(r.hosts, 1);
    memcpy(s + HOSTLIST_NAME_MAX - 1, "[9-10]", 7);
    expand(s, 10, &r, &rc);
    assert_int_equal(r.hosts, 0);
    assert_int_equal(r.bad, 1);
}

static void test_max_hosts(void **state)
{
    (void)state;
    struct hostlist_result r;
    int rc;
    /* a range of 10^17 names costs only what is asked for */
    assert_string_equal(expand("n[0-99999999999999999],m1", 3, &r, &rc), "n0 n1 n2");
    assert_int_equal(rc, -1);
    assert_true(r.truncated);
    assert_int_equal(r.hosts, 3);
    expand("a,b,c", 3, &r, &rc);
    assert_int_equal(rc, 0);
    assert_false(r.truncated);
    expand("a,b,c", 0, &r, &rc);
    assert_true(r.truncated);
    assert_int_equal(r.hosts, 0);
}

static int teardown(void **state)
{
    (void)state;
    buf_free(&out);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_forms),   cmocka_unit_test(test_padding),
        cmocka_unit_test(test_several_groups), cmocka_unit_test(test_bad_expressions_skipped),
        cmocka_unit_test(test_name_limit),     cmocka_unit_test(test_max_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
