/* SPDX-License-Identifier: Apache-2.0 */
/* Content negotiation: when a scrape gets OpenMetrics, when it gets gzip
 * (weights read as RFC 9110 says). */
#include "testutil.h"

#include "http_routes.h"

static void om(const char *accept, int want)
{
    int got = http_wants_openmetrics(accept);
    if (got != want)
        fail_msg("http_wants_openmetrics(\"%s\") = %d, expected %d", accept ? accept : "(null)",
                 got, want);
}

static void gz(const char *ae, int want)
{
    int got = http_wants_gzip(ae);
    if (got != want)
        fail_msg("http_wants_gzip(\"%s\") = %d, expected %d", ae ? ae : "(null)", got, want);
}

static void test_openmetrics(void **state)
{
    (void)state;
    /* Prometheus 2.42's scrape Accept header */
    om("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
       "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       1);
    om("application/openmetrics-text", 1);
    om("application/openmetrics-text; version=1.0.0; charset=utf-8", 1);
    om("Application/OpenMetrics-Text;version=1.0.0", 1);
    om("text/plain;version=0.0.4;q=0.5, application/openmetrics-text;version=1.0.0;q=0.6", 1);
    om("text/plain", 0);
    om("text/plain;version=0.0.4", 0);
    om(NULL, 0);
    om("", 0);
    om("*/*", 0);
    om("application/openmetrics-text;q=0", 0);
    om("application/openmetrics-text;version=1.0.0;q=0.0", 0);
    /* text preferred over OpenMetrics */
    om("application/openmetrics-text;q=0.3,text/plain;q=0.9", 0);
    om("application/openmetrics-text ; q=0.5 , text/plain ; q=0.9", 0);
    /* equal preference: OpenMetrics */
    om("text/plain;q=0.5,application/openmetrics-text;q=0.5", 1);
    /* a longer or shorter media type is not a match */
    om("application/openmetrics-textual", 0);
    om("application/openmetrics", 0);
    /* a trailing ';' or ',' is harmless */
    om("application/openmetrics-text;", 1);
    om("application/openmetrics-text,", 1);
}

static void test_gzip(void **state)
{
    (void)state;
    gz("gzip, deflate", 1);
    gz("gzip", 1);
    gz("deflate, gzip;q=0.5", 1);
    gz("GZIP", 1);
    gz("gzip, deflate, br", 1);
    gz("gzip;q=0", 0);
    gz("gzip;q=0.0, identity", 0);
    gz("identity", 0);
    gz("deflate, br", 0);
    gz("x-gzip", 0);
    gz("", 0);
    gz(NULL, 0);
}

/* RFC 9110 section 12.4.2 and 12.5.3: the q parameter's name in any case,
 * whitespace around ';' and ',' (and, tolerated, around '='), qvalues 0 to 1
 * with at most three decimals (anything else weighs 0), '*' for a coding not
 * named, quoted parameter values. */
static void test_gzip_weights(void **state)
{
    (void)state;
    gz("gzip;Q=0", 0);
    gz("gzip; q=0", 0);
    gz("gzip ;\tQ=0", 0);
    gz("gzip;q = 0", 0);
    gz("gzip;q=0.000", 0);
    gz("gzip;q=0.", 0);
    gz("gzip;Q=0.001", 1);
    gz("gzip;q=1", 1);
    gz("gzip;q=1.000", 1);
    gz("gzip;q=1.001", 0);
    gz("gzip;q=1.5", 0);
    gz("gzip;q=0.0001", 0);
    gz("gzip;q=.5", 0);
    gz("gzip;q=abc", 0);
    gz("gzip;q=", 0);
    gz("gzip;q=\"1\"", 0);
    gz("gzip;qq=0", 1);
    gz("  gzip  ,  br  ", 1);
    gz("br;q=1, gzip;q=0.5", 1);
    gz("gzip;q=0, gzip;q=0.5", 1);
    gz("*", 1);
    gz("*;q=0", 0);
    gz("*;q=0.2", 1);
    gz("gzip;q=0, *", 0);
    gz("gzip;q=0.1, *;q=0", 1);
    gz("identity, *;q=0", 0);
    gz("gzip;foo=\"a,b;q=0\";q=1", 1);
    gz("gzip;foo=\"a\\\"b\";q=0", 0);
    gz(",,gzip,,", 1);
    gz(";q=1", 0);
}

static void test_openmetrics_weights(void **state)
{
    (void)state;
    om("application/openmetrics-text;version=1.0.0;Q=0", 0);
    om("application/openmetrics-text; Q=0.5, text/plain;q=0.4", 1);
    om("application/openmetrics-text;q=0.5, text/plain;Q=0.6", 0);
    om("application/openmetrics-text;q=2", 0);
    om("application/openmetrics-text;\tversion=1.0.0;\tq=1.0", 1);
    om("text/plain;q=0.5;foo=\"x,application/openmetrics-text\"", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_gzip_weights),
        cmocka_unit_test(test_openmetrics_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
