/* SPDX-License-Identifier: Apache-2.0 */
/* The state files' tokens (util/token.h): names written and read back byte
 * for byte, every escape the writer makes, the tokens a reader refuses. */
#include "testutil.h"

#include "util/buf.h"
#include "util/token.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"", "debug", "a b", "50%", "tab\there", "nl\nx", "del\x7f", "ü-ß", "=x"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        struct buf b = {0};
        tok_put_name(&b, names[i]);
        const char *t = buf_cstr(&b);
        assert_null(memchr(t, ' ', b.len));
        assert_null(memchr(t, '\n', b.len));
        char out[64];
        assert_int_equal(tok_get_name(t, b.len, out, sizeof(out)), (long)strlen(names[i]));
        assert_string_equal(out, names[i]);
        buf_free(&b);
    }
}

static void test_escapes(void **state)
{
    (void)state;
    struct buf b = {0};
    tok_put_name(&b, "a b%c\x01");
    assert_string_equal(buf_cstr(&b), "=a%20b%25c%01");
    buf_free(&b);
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *bad[] = {"x", "", "=%", "=%4", "=%4g", "=%00", "=%+1", "=%-1", "=a\tb", "=\x7f"};
    char out[16];
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(tok_get_name(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
    assert_int_equal(tok_get_name("=%41%62", 7, out, sizeof(out)), 2);
    assert_string_equal(out, "Ab");
    /* the name and its NUL must fit */
    assert_int_equal(tok_get_name("=abc", 4, out, 4), 3);
    assert_int_equal(tok_get_name("=abcd", 5, out, 4), -1);
}

static void test_next(void **state)
{
    (void)state;
    const char *s = "  one two  ", *p = s, *end = s + strlen(s), *t;
    size_t n;
    assert_true(tok_next(&p, end, &t, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(t, "one", 3);
    assert_true(tok_next(&p, end, &t, &n));
    assert_memory_equal(t, "two", 3);
    assert_false(tok_next(&p, end, &t, &n));
    assert_true(p == end);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
