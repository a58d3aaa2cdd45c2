/* SPDX-License-Identifier: Apache-2.0 */
/* The exposition writer: number formatting, escaping, the text/OpenMetrics
 * differences (counter naming, HELP escaping, # EOF) and histograms. */
#include "testutil.h"

#include "render.h"

#include <float.h>

static void num(double v, const char *want)
{
    char out[64];
    memset(out, 'Z', sizeof(out));
    size_t n = render_number(out, sizeof(out), v);
    if (n != strlen(want) || strcmp(out, want) != 0)
        fail_msg("render_number(%.17g) = \"%s\" (%zu), expected \"%s\"", v, out, n, want);
}

static void test_number_integers(void **state)
{
    (void)state;
    num(0, "0");
    num(1, "1");
    num(-7, "-7");
    num(42, "42");
    num(1000000, "1000000");
    num(201326592000.0, "201326592000");
    num(4294967296.0, "4294967296");
    num(9007199254740991.0, "9007199254740991");   /* 2^53 - 1 */
    num(-9007199254740991.0, "-9007199254740991"); /* -(2^53 - 1) */
    num(9007199254740992.0, "9007199254740992");   /* 2^53 still exact */
    num(1e20, "1e+20");
    num(-0.0, "0");
}

static void test_number_fractions(void **state)
{
    (void)state;
    num(0.1, "0.1");
    num(0.5, "0.5");
    num(2.5, "2.5");
    num(0.08, "0.08");
    num(123.456, "123.456");
    num(0.1 + 0.2, "0.30000000000000004");
    num(1.0 / 3.0, "0.3333333333333333");
    num(1e300, "1e+300");
    num(-1e300, "-1e+300");
    num(1e-300, "1e-300");
    num(1000000000000000.5, "1000000000000000.5");
    num(NAN, "NaN");
    num(INFINITY, "+Inf");
    num(-INFINITY, "-Inf");
}

/* Every finite double reads back as itself. */
static void test_number_round_trip(void **state)
{
    (void)state;
    const double fixed[] = {DBL_MAX,
                            -DBL_MAX,
                            DBL_MIN,
                            5e-324,
                            0.1,
                            1e300,
                            1.7976931348623157e308,
                            123456789.123456789,
                            9007199254740993.0,
                            1e16 + 2};
    char out[64];
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        size_t n = render_number(out, sizeof(out), fixed[i]);
        assert_int_equal(n, strlen(out));
        assert_double_exact(strtod(out, NULL), fixed[i]);
    }
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof(v));
        if (!isfinite(v))
            continue;
        render_number(out, sizeof(out), v);
        if (strtod(out, NULL) != v)
            fail_msg("%.17g rendered as %s", v, out);
        assert_true(strlen(out) <= 24);
    }
}

static void test_escape_label(void **state)
{
    (void)state;
    struct buf b = {0};
    render_escape_label(&b, "a\\b\"c\nd");
    assert_string_equal(buf_cstr(&b), "a\\\\b\\\"c\\nd");
    b.len = 0;
    render_escape_label(&b, "plain \t é {}=,");
    assert_string_equal(buf_cstr(&b), "plain \t é {}=,");
    b.len = 0;
    render_escape_label(&b, "");
    assert_int_equal(b.len, 0);
    b.len = 0;
    render_escape_label(&b, "\\\\\n\"");
    assert_string_equal(buf_cstr(&b), "\\\\\\\\\\n\\\"");
    buf_free(&b);
}

/* Label values must be valid UTF-8 or Prometheus rejects the whole scrape
 * ("invalid label value"). A user or account name in Latin-1 from the
 * passwd database reaches render_escape_label unchanged. */
static void test_escape_label_utf8(void **state)
{
    (void)state;
    assert_true(tu_valid_utf8("j\xc3\xbcrgen", 7));
    assert_false(tu_valid_utf8("j\xfcrgen", 7));
    struct buf b = {0};
    render_escape_label(&b, "j\xc3\xbcrgen"); /* valid UTF-8 passes unchanged */
    assert_string_equal(buf_cstr(&b), "j\xc3\xbcrgen");
    b.len = 0;
    render_escape_label(&b, "j\xfcrgen"); /* Latin-1 */
    bool ok = tu_valid_utf8(b.p, b.len);
    buf_free(&b);
    assert_true(ok);
}

static void test_labels_in_samples(void **state)
{
    (void)state;
    struct render r;
    memset(&r, 0, sizeof(r));
    render_family(&r, "m", M_GAUGE, "h");
    struct label l[3] = {{"a", "x\"y"}, {"b", NULL}, {"c", "back\\slash\nnl"}};
    render_sample(&r, l, 3, 2.5);
    render_sample(&r, NULL, 0, -1);
    const char *want_body = "m{a=\"x\\\"y\",b=\"\",c=\"back\\\\slash\\nnl\"} 2.5\nm -1\n";
    assert_string_equal(buf_cstr(&r.text), "# HELP m h\n# TYPE m gauge\n"
                                           "m{a=\"x\\\"y\",b=\"\",c=\"back\\\\slash\\nnl\"} 2.5\n"
                                           "m -1\n");
    assert_non_null(strstr(buf_cstr(render_om(&r)), want_body));
    assert_int_equal(r.samples, 2);
    assert_int_equal(r.series, 2);
    render_free(&r);
}

static void test_help_escaping(void **state)
{
    (void)state;
    struct render r;
    memset(&r, 0, sizeof(r));
    render_family(&r, "m", M_GAUGE, "a \\ b \" c\nd");
    /* text 0.0.4: only backslash and newline are escaped in HELP */
    assert_string_equal(buf_cstr(&r.text), "# HELP m a \\\\ b \" c\\nd\n# TYPE m gauge\n");
    /* OpenMetrics: the double quote too */
    assert_string_equal(buf_cstr(render_om(&r)), "# HELP m a \\\\ b \\\" c\\nd\n# TYPE m gauge\n");
    render_free(&r);
}

static void test_counter_naming(void **state)
{
    (void)state;
    struct render r;
    memset(&r, 0, sizeof(r));
    render_family(&r, "x", M_COUNTER, "Things.");
    struct label l[1] = {{"k", "v"}};
    render_sample(&r, l, 1, 3);
    render_family(&r, "g", M_GAUGE, "G.");
    render_sample(&r, NULL, 0, 1);
    assert_string_equal(buf_cstr(&r.text), "# HELP x_total Things.\n"
                                           "# TYPE x_total counter\n"
                                           "x_total{k=\"v\"} 3\n"
                                           "# HELP g G.\n"
                                           "# TYPE g gauge\n"
                                           "g 1\n");
    assert_string_equal(buf_cstr(render_om(&r)), "# HELP x Things.\n"
                                                 "# TYPE x counter\n"
                                                 "x_total{k=\"v\"} 3\n"
                                                 "# HELP g G.\n"
                                                 "# TYPE g gauge\n"
                                                 "g 1\n");
    render_eof(&r);
    /* # EOF only in OpenMetrics */
    size_t ol = r.om.len;
    assert_true(ol > 6);
    assert_memory_equal(r.om.p + ol - 6, "# EOF\n", 6);
    assert_null(strstr(buf_cstr(&r.text), "# EOF"));
    render_free(&r);
}

static void test_histogram(void **state)
{
    (void)state;
    struct render r;
    memset(&r, 0, sizeof(r));
    render_family(&r, "h_seconds", M_HISTOGRAM, "Waits.");
    const double bounds[3] = {0.5, 10, 30};
    const uint64_t counts[4] = {1, 2, 3, 4}; /* non-cumulative, last is +Inf */
    struct label l[1] = {{"partition", "a"}};
    render_histogram(&r, l, 1, bounds, counts, 3, 100.25, 10);
    render_histogram(&r, NULL, 0, bounds, counts, 3, 0, 10);
    const char *body = "h_seconds_bucket{partition=\"a\",le=\"0.5\"} 1\n"
                       "h_seconds_bucket{partition=\"a\",le=\"10.0\"} 3\n"
                       "h_seconds_bucket{partition=\"a\",le=\"30.0\"} 6\n"
                       "h_seconds_bucket{partition=\"a\",le=\"+Inf\"} 10\n"
                       "h_seconds_sum{partition=\"a\"} 100.25\n"
                       "h_seconds_count{partition=\"a\"} 10\n"
                       "h_seconds_bucket{le=\"0.5\"} 1\n"
                       "h_seconds_bucket{le=\"10.0\"} 3\n"
                       "h_seconds_bucket{le=\"30.0\"} 6\n"
                       "h_seconds_bucket{le=\"+Inf\"} 10\n"
                       "h_seconds_sum 0\n"
                       "h_seconds_count 10\n";
    char want[2048];
    snprintf(want, sizeof(want), "# HELP h_seconds Waits.\n# TYPE h_seconds histogram\n%s", body);
    assert_string_equal(buf_cstr(&r.text), want);
    assert_string_equal(buf_cstr(render_om(&r)), want);
    assert_int_equal(r.series, 12);
    assert_int_equal(r.samples, 12);
    render_free(&r);
}

/* The exporter's real bucket bounds: all rendered as floats, increasing. */
static void test_histogram_wait_bounds(void **state)
{
    (void)state;
    struct render r;
    memset(&r, 0, sizeof(r));
    render_family(&r, "w", M_HISTOGRAM, "W.");
    uint64_t counts[WAIT_BUCKETS + 1] = {0};
    counts[0] = 2;
    counts[WAIT_BUCKETS] = 1;
    render_histogram(&r, NULL, 0, wait_bucket_bounds, counts, WAIT_BUCKETS, 7.5, 3);
    const char *t = buf_cstr(&r.text);
    assert_double_exact(tu_sample(t, "w_bucket{le=\"10.0\"}"), 2);
    assert_double_exact(tu_sample(t, "w_bucket{le=\"60.0\"}"), 2);
    assert_double_exact(tu_sample(t, "w_bucket{le=\"604800.0\"}"), 2);
    assert_double_exact(tu_sample(t, "w_bucket{le=\"+Inf\"}"), 3);
    assert_double_exact(tu_sample(t, "w_sum"), 7.5);
    assert_double_exact(tu_sample(t, "w_count"), 3);
    assert_int_equal(r.series, WAIT_BUCKETS + 3);
    for (int i = 1; i < WAIT_BUCKETS; i++)
        assert_true(wait_bucket_bounds[i] > wait_bucket_bounds[i - 1]);
    render_free(&r);

    /* a bound in exponent form gets no ".0" */
    memset(&r, 0, sizeof(r));
    render_family(&r, "e", M_HISTOGRAM, "E.");
    const double big[1] = {1e21};
    const uint64_t c1[2] = {0, 0};
    render_histogram(&r, NULL, 0, big, c1, 1, 0, 0);
    assert_true(tu_has_line(buf_cstr(&r.text), "e_bucket{le=\"1e+21\"} 0"));
    render_free(&r);
}

/* render_gauge1: one unlabelled gauge family with one sample, the same bytes
 * as render_family + render_sample in both formats: with the base labels,
 * with a help text OpenMetrics escapes differently, and tracked for merging. */
static void test_gauge1(void **state)
{
    (void)state;
    const struct label base[1] = {{"cluster", "c1"}};
    struct render g, two;
    memset(&g, 0, sizeof(g));
    memset(&two, 0, sizeof(two));
    g.track = two.track = true;
    render_gauge1(&g, "a", "A.", 3);
    render_family(&two, "a", M_GAUGE, "A.");
    render_sample(&two, NULL, 0, 3);
    assert_false(g.om_split);
    g.base = two.base = base;
    g.nbase = two.nbase = 1;
    render_gauge1(&g, "b_bytes", "Says \"b\".", 0.5);
    render_family(&two, "b_bytes", M_GAUGE, "Says \"b\".");
    render_sample(&two, NULL, 0, 0.5);
    const char *text = "# HELP a A.\n# TYPE a gauge\na 3\n"
                       "# HELP b_bytes Says \"b\".\n# TYPE b_bytes gauge\n"
                       "b_bytes{cluster=\"c1\"} 0.5\n";
    const char *om = "# HELP a A.\n# TYPE a gauge\na 3\n"
                     "# HELP b_bytes Says \\\"b\\\".\n# TYPE b_bytes gauge\n"
                     "b_bytes{cluster=\"c1\"} 0.5\n";
    assert_string_equal(buf_cstr(&g.text), text);
    assert_string_equal(buf_cstr(render_om(&g)), om);
    assert_string_equal(buf_cstr(&two.text), text);
    assert_string_equal(buf_cstr(render_om(&two)), om);
    assert_int_equal(g.type, M_GAUGE);
    assert_int_equal(g.samples, 1);
    assert_int_equal(g.series, 2);
    assert_int_equal(g.nfams, 2);
    assert_string_equal(g.fams[1].name, "b_bytes");
    assert_int_equal(g.fams[1].t_body, two.fams[1].t_body);
    assert_int_equal(g.fams[1].o_body, two.fams[1].o_body);
    render_free(&g);
    render_free(&two);
}

/* The OpenMetrics output is kept apart only once it differs from the text
 * output; until then it is the text output, and merging renders of both
 * kinds gives each format what writing both in full would have. */
static void render_two(struct render *r, bool counter, const char *v)
{
    memset(r, 0, sizeof(*r));
    r->track = true;
    render_family(r, "g", M_GAUGE, "G.");
    struct label l[1] = {{"c", v}};
    render_sample(r, l, 1, 1);
    if (counter) {
        render_family(r, "x", M_COUNTER, "X.");
        render_sample(r, l, 1, 2);
    }
}

static void test_om_split(void **state)
{
    (void)state;
    struct render a, b, out;
    render_two(&a, false, "a");
    assert_false(a.om_split);
    assert_int_equal(a.om.len, 0);
    assert_string_equal(buf_cstr(render_om(&a)), buf_cstr(&a.text));
    assert_true(a.om_split);
    render_free(&a);

    /* gauges only on both sides: the merge stays one output */
    render_two(&a, false, "a");
    render_two(&b, false, "b");
    memset(&out, 0, sizeof(out));
    render_merge(&out, (struct render[]){a, b}, 2);
    assert_false(out.om_split);
    assert_string_equal(buf_cstr(&out.text), "# HELP g G.\n# TYPE g gauge\ng{c=\"a\"} 1\n"
                                             "g{c=\"b\"} 1\n");
    render_free(&out);
    render_free(&a);
    render_free(&b);

    /* one side with a counter: the merged OpenMetrics output takes the other
     * side's bytes from its text output */
    render_two(&a, false, "a");
    render_two(&b, true, "b");
    assert_true(b.om_split);
    memset(&out, 0, sizeof(out));
    struct render parts[2] = {a, b};
    render_merge(&out, parts, 2);
    assert_true(out.om_split);
    assert_string_equal(buf_cstr(&out.text), "# HELP g G.\n# TYPE g gauge\ng{c=\"a\"} 1\n"
                                             "g{c=\"b\"} 1\n# HELP x_total X.\n"
                                             "# TYPE x_total counter\nx_total{c=\"b\"} 2\n");
    assert_string_equal(buf_cstr(&out.om), "# HELP g G.\n# TYPE g gauge\ng{c=\"a\"} 1\n"
                                           "g{c=\"b\"} 1\n# HELP x X.\n"
                                           "# TYPE x counter\nx_total{c=\"b\"} 2\n");
    render_free(&out);
    render_free(&parts[0]);
    render_free(&parts[1]);
}

/* ?cluster=NAME: the series of one cluster cut out of a merged render; a
 * family's metadata only with a sample kept; series without the label kept;
 * a cluster whose name is a prefix of another's is not mixed up with it. */
static void test_filter_base(void **state)
{
    (void)state;
    struct render parts[2];
    memset(parts, 0, sizeof(parts));
    struct label cl[2] = {{"cluster", "a"}, {"cluster", "ab"}};
    for (int k = 0; k < 2; k++) {
        parts[k].base = &cl[k];
        parts[k].nbase = 1;
        parts[k].track = true;
        render_family(&parts[k], "x_jobs", M_GAUGE, "jobs");
        struct label l[1] = {{"state", "running"}};
        render_sample(&parts[k], l, 1, k + 1);
        render_family(&parts[k], "x_events", M_COUNTER, "events");
        render_sample(&parts[k], NULL, 0, 10 * (k + 1));
        if (k == 1) {
            render_family(&parts[k], "x_only_ab", M_GAUGE, "only ab has it");
            render_sample(&parts[k], NULL, 0, 7);
        }
    }
    struct render all;
    memset(&all, 0, sizeof(all));
    render_merge(&all, parts, 2);
    render_family(&all, "x_global", M_GAUGE, "no cluster label");
    render_sample(&all, NULL, 0, 3);
    struct buf out = {0};
    render_filter_base(all.text.p, all.text.len, "cluster", "a", &out);
    assert_string_equal(buf_cstr(&out), "# HELP x_jobs jobs\n"
                                        "# TYPE x_jobs gauge\n"
                                        "x_jobs{cluster=\"a\",state=\"running\"} 1\n"
                                        "# HELP x_events_total events\n"
                                        "# TYPE x_events_total counter\n"
                                        "x_events_total{cluster=\"a\"} 10\n"
                                        "# HELP x_global no cluster label\n"
                                        "# TYPE x_global gauge\n"
                                        "x_global 3\n");
    buf_free(&out);
    struct buf *om = render_om(&all);
    render_filter_base(om->p, om->len, "cluster", "ab", &out);
    const char *t = buf_cstr(&out);
    assert_non_null(strstr(t, "# TYPE x_events counter\nx_events_total{cluster=\"ab\"} 20\n"));
    assert_non_null(strstr(t, "x_only_ab{cluster=\"ab\"} 7\n"));
    assert_null(strstr(t, "cluster=\"a\""));
    buf_free(&out);
    render_free(&all);
    for (int k = 0; k < 2; k++)
        render_free(&parts[k]);
}

/* render.keep (a compat set's path): only the listed families are written,
 * a counter matched by its _total name, a histogram by its own; a dropped
 * family writes nothing, splits no OpenMetrics output and leaves no trace
 * in a tracked render's family list. */
static void test_keep(void **state)
{
    (void)state;
    static const char *const keep[] = {"h_seconds", "kept", "x_total"}; /* sorted */
    struct render r;
    memset(&r, 0, sizeof(r));
    r.keep = keep;
    r.nkeep = 3;
    r.track = true;
    render_family(&r, "dropped", M_GAUGE, "D.");
    render_sample(&r, NULL, 0, 1);
    render_family(&r, "y", M_COUNTER, "a counter not listed");
    render_sample(&r, NULL, 0, 2);
    assert_false(r.om_split);
    render_family(&r, "kept", M_GAUGE, "K.");
    render_sample(&r, NULL, 0, 3);
    render_family(&r, "x_total", M_GAUGE, "a gauge named like the counter x: not x");
    render_sample(&r, NULL, 0, 9);
    render_family(&r, "x", M_COUNTER, "X.");
    render_sample(&r, NULL, 0, 4);
    render_family(&r, "h_seconds", M_HISTOGRAM, "H.");
    static const double b[1] = {1};
    static const uint64_t c[1] = {1};
    render_histogram(&r, NULL, 0, b, c, 1, 0.5, 2);
    render_family(&r, "h2", M_HISTOGRAM, "not listed");
    render_histogram(&r, NULL, 0, b, c, 1, 0.5, 2);
    assert_string_equal(buf_cstr(&r.text), "# HELP kept K.\n# TYPE kept gauge\nkept 3\n"
                                           "# HELP x_total a gauge named like the counter x: "
                                           "not x\n# TYPE x_total gauge\nx_total 9\n"
                                           "# HELP x_total X.\n# TYPE x_total counter\n"
                                           "x_total 4\n"
                                           "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
                                           "h_seconds_bucket{le=\"1.0\"} 1\n"
                                           "h_seconds_bucket{le=\"+Inf\"} 2\n"
                                           "h_seconds_sum 0.5\nh_seconds_count 2\n");
    assert_int_equal(r.nfams, 4);
    assert_int_equal(r.series, 7);
    assert_true(render_kept(keep, 3, "x", M_COUNTER));
    assert_false(render_kept(keep, 3, "x", M_GAUGE));
    assert_false(render_kept(keep, 0, "kept", M_GAUGE));
    render_free(&r);
}

/* render.counters_only (a standby's frozen counters): gauges are dropped
 * whole, counters and histograms are written as usual, and a tracked render
 * lists only the families written; with keep also set, both must let a
 * family through. */
static void test_counters_only(void **state)
{
    (void)state;
    struct render r;
    memset(&r, 0, sizeof(r));
    r.counters_only = true;
    r.track = true;
    render_family(&r, "g", M_GAUGE, "G.");
    render_sample(&r, NULL, 0, 1);
    render_gauge1(&r, "g1", "G1.", 2);
    assert_false(r.om_split);
    assert_int_equal(r.text.len, 0);
    render_family(&r, "c", M_COUNTER, "C.");
    render_sample(&r, NULL, 0, 4);
    render_family(&r, "g2", M_GAUGE, "G2 \"quoted\".");
    render_sample(&r, NULL, 0, 5);
    render_family(&r, "h", M_HISTOGRAM, "H.");
    static const double b[1] = {1};
    static const uint64_t c[1] = {1};
    render_histogram(&r, NULL, 0, b, c, 1, 0.5, 2);
    assert_string_equal(buf_cstr(&r.text), "# HELP c_total C.\n# TYPE c_total counter\n"
                                           "c_total 4\n"
                                           "# HELP h H.\n# TYPE h histogram\n"
                                           "h_bucket{le=\"1.0\"} 1\n"
                                           "h_bucket{le=\"+Inf\"} 2\n"
                                           "h_sum 0.5\nh_count 2\n");
    assert_string_equal(buf_cstr(render_om(&r)), "# HELP c C.\n# TYPE c counter\nc_total 4\n"
                                                 "# HELP h H.\n# TYPE h histogram\n"
                                                 "h_bucket{le=\"1.0\"} 1\n"
                                                 "h_bucket{le=\"+Inf\"} 2\n"
                                                 "h_sum 0.5\nh_count 2\n");
    assert_int_equal(r.nfams, 2);
    assert_string_equal(r.fams[0].name, "c");
    assert_string_equal(r.fams[1].name, "h");
    assert_int_equal(r.series, 5);
    render_free(&r);

    static const char *const keep[] = {"c_total", "g"};
    memset(&r, 0, sizeof(r));
    r.counters_only = true;
    r.keep = keep;
    r.nkeep = 2;
    render_gauge1(&r, "g", "G.", 1); /* kept, but a gauge */
    render_family(&r, "c", M_COUNTER, "C.");
    render_sample(&r, NULL, 0, 4);
    render_family(&r, "h", M_HISTOGRAM, "H."); /* a histogram, not kept */
    render_histogram(&r, NULL, 0, b, c, 1, 0.5, 2);
    assert_string_equal(buf_cstr(&r.text), "# HELP c_total C.\n# TYPE c_total counter\n"
                                           "c_total 4\n");
    render_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_integers),
        cmocka_unit_test(test_number_fractions),
        cmocka_unit_test(test_number_round_trip),
        cmocka_unit_test(test_escape_label),
        cmocka_unit_test(test_escape_label_utf8),
        cmocka_unit_test(test_labels_in_samples),
        cmocka_unit_test(test_help_escaping),
        cmocka_unit_test(test_counter_naming),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_wait_bounds),
        cmocka_unit_test(test_om_split),
        cmocka_unit_test(test_filter_base),
        cmocka_unit_test(test_gauge1),
        cmocka_unit_test(test_keep),
        cmocka_unit_test(test_counters_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
