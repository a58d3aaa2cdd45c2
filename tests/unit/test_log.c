/* SPDX-License-Identifier: Apache-2.0 */
/* The log line writer: text from outside (invalid UTF-8, control characters,
 * quotes) escaped so that every line is valid UTF-8 and a JSON line valid
 * JSON, long values cut at a character boundary, and the rate limit. */
#include "testutil.h"

#include "util/log.h"

#include <unistd.h>

static int g_saved = -1, g_fd = -1;

/* Sends what the logger writes (stderr) to a temporary file. */
static void capture_begin(void)
{
    char tmpl[] = "/tmp/se-log-XXXXXX";
    g_fd = mkstemp(tmpl);
    assert_true(g_fd >= 0);
    unlink(tmpl);
    g_saved = dup(STDERR_FILENO);
    assert_true(g_saved >= 0);
    assert_int_equal(dup2(g_fd, STDERR_FILENO), STDERR_FILENO);
}

/* Ends the capture; returns what was written, malloc'ed and NUL-terminated. */
static char *capture_end(void)
{
    assert_int_equal(dup2(g_saved, STDERR_FILENO), STDERR_FILENO);
    close(g_saved);
    off_t n = lseek(g_fd, 0, SEEK_END);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(pread(g_fd, s, (size_t)n, 0), n);
    s[n] = '\0';
    close(g_fd);
    g_fd = g_saved = -1;
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The bytes a command may write, and what each becomes. */
static const char bad_text[] = "a\xff"                     /* a byte that never starts a sequence */
                               "\"b\\c\n\r\t"              /* quote, backslash, newline, CR, tab */
                               "\x01\x1b[0m\x7f"           /* C0, an escape sequence, DEL */
                               "\xc2\x85"                  /* C1 (NEL), well-formed */
                               " caf\xc3\xa9 \xe2\x82\xac" /* valid: kept */
                               " \xed\xa0\x80"             /* a UTF-16 surrogate */
                               " \xf4\x90\x80\x80"         /* above U+10FFFF */
                               " \xc0\xaf"                 /* overlong '/' */
                               " \xe2\x82";                /* cut short at the end */

#define FFFD "\xef\xbf\xbd"
static const char bad_escaped[] =
    "a" FFFD "\\\"b\\\\c\\n\\r\\t\\u0001\\u001b[0m\\u007f\\u0085"
    " caf\xc3\xa9 \xe2\x82\xac"
    " " FFFD FFFD FFFD " " FFFD FFFD FFFD FFFD " " FFFD FFFD " " FFFD FFFD;

static void test_json_escaping(void **state)
{
    (void)state;
    log_setup(LOG_DEBUG, LOG_JSON);
    capture_begin();
    log_msg(LOG_ERROR, "dataset refresh failed", "error", bad_text, "empty", "");
    char *out = capture_end();
    size_t want_len = strlen("\"error\":\"") + strlen(bad_escaped) + 1;
    char *want = malloc(want_len + 1);
    assert_non_null(want);
    snprintf(want, want_len + 1, "\"error\":\"%s\"", bad_escaped);
    if (!strstr(out, want))
        fail_msg("got %s\nwant %s", out, want);
    assert_non_null(strstr(out, "\"msg\":\"dataset refresh failed\""));
    assert_non_null(strstr(out, ",\"empty\":\"\"}\n"));
    assert_true(out[0] == '{');
    /* one line: the only newline is the last byte */
    assert_int_equal(count(out, "\n"), 1);
    free(want);
    free(out);
}

static void test_logfmt_escaping(void **state)
{
    (void)state;
    log_setup(LOG_DEBUG, LOG_LOGFMT);
    capture_begin();
    log_msg(LOG_WARN, "m", "plain", "abc", "spaced", "a b", "eq", "a=b", "empty", "", "bad",
            bad_text, "utf8", "caf\xc3\xa9", "ctl", "x\x01y");
    char *out = capture_end();
    assert_non_null(
        strstr(out, " level=warn msg=m plain=abc spaced=\"a b\" eq=\"a=b\" empty=\"\""));
    char want[256];
    snprintf(want, sizeof(want), " bad=\"%s\"", bad_escaped);
    if (!strstr(out, want))
        fail_msg("got %s\nwant %s", out, want);
    /* non-ASCII is quoted (it may need escapes), control characters always are */
    assert_non_null(strstr(out, " utf8=\"caf\xc3\xa9\" ctl=\"x\\u0001y\"\n"));
    assert_int_equal(count(out, "\n"), 1);
    free(out);
}

/* A long value is cut at a character boundary, never inside a sequence. */
static void test_long_value_cut(void **state)
{
    (void)state;
    size_t n = 10000;
    char *v = malloc(n + 1);
    assert_non_null(v);
    memset(v, 'a', n);
    v[4095] = '\xc3'; /* a two-byte character across the 4096-byte cap */
    v[4096] = '\xa9';
    v[n] = '\0';
    log_setup(LOG_DEBUG, LOG_JSON);
    capture_begin();
    log_msg(LOG_INFO, "m", "v", v);
    char *out = capture_end();
    const char *s = strstr(out, "\"v\":\"");
    assert_non_null(s);
    s += 5;
    size_t as = strspn(s, "a");
    assert_int_equal(as, 4095);
    assert_string_equal(s + as, "...\"}\n");
    free(out);
    free(v);
}

/* Within its interval a limited message is logged once, whatever its text;
 * the next one after the interval reports how many were left out. */
static void test_rate_limit(void **state)
{
    (void)state;
    log_setup(LOG_DEBUG, LOG_LOGFMT);
    struct log_limit lim = {0};
    capture_begin();
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof(text), "%d\xff changing", i);
        log_limited(&lim, 3600, LOG_ERROR, "failed", "error", text);
    }
    char *out = capture_end();
    assert_int_equal(count(out, "msg=failed"), 1);
    assert_non_null(strstr(out, "error=\"0" FFFD " changing\""));
    assert_int_equal(lim.suppressed, 4);
    free(out);
    lim.last -= 7200; /* the interval has passed */
    capture_begin();
    log_limited(&lim, 3600, LOG_ERROR, "failed", "error", "again");
    out = capture_end();
    assert_non_null(strstr(out, "error=again suppressed=4\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_logfmt_escaping),
        cmocka_unit_test(test_long_value_cut),
        cmocka_unit_test(test_rate_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
