/* SPDX-License-Identifier: Apache-2.0 */
/* The HA counter key file: written from an exposition, read back into a
 * render of zeros (both formats), deduplicated against the standby's own
 * counters, bad lines counted and skipped, bounds kept. */
#include "testutil.h"

#include "ha_counters.h"
#include "render.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* The counter and histogram families of an exposition (either format), every
 * value 0, "# EOF" left out: what a zero render of its key file writes. */
static char *zeroed(const char *in, size_t len)
{
    struct buf out = {0}, head = {0};
    const char *help = NULL, *p = in, *end = in + len;
    size_t help_len = 0;
    bool kept = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        size_t n = (size_t)(nl + 1 - p);
        if (strncmp(p, "# HELP ", 7) == 0) {
            help = p;
            help_len = n;
        } else if (strncmp(p, "# TYPE ", 7) == 0) {
            const char *t = memrchr(p, ' ', n);
            kept = strncmp(t, " counter\n", 9) == 0 || strncmp(t, " histogram\n", 11) == 0;
            head.len = 0;
            if (kept) { /* written with the family's first sample: none, none */
                assert_non_null(help);
                buf_append(&head, help, help_len);
                buf_append(&head, p, n);
            }
        } else if (p[0] != '#' && kept) {
            buf_append(&out, head.p, head.len);
            head.len = 0;
            const char *sp = memrchr(p, ' ', n);
            buf_append(&out, p, (size_t)(sp - p));
            buf_puts(&out, " 0\n");
        }
        p = nl + 1;
    }
    buf_free(&head);
    buf_cstr(&out);
    return out.p;
}

static char *keys_of(const char *text, size_t len, const struct ha_keys_limits *lim,
                     size_t *dropped)
{
    struct buf b = {0};
    size_t d = ha_keys_format(text, len, lim, &b);
    if (dropped)
        *dropped = d;
    buf_cstr(&b);
    return b.p;
}

/* A real exposition (the 22.05 golden case: the scheduler's counters, the
 * accounting's counters and histograms, the queue-wait histogram) through
 * the key file back to a zero render: the counter and histogram families,
 * byte for byte, values 0, in text and OpenMetrics. */
static void check_golden(const char *name)
{
    char rel[128];
    size_t tl, ol;
    snprintf(rel, sizeof(rel), "tests/golden/%s.prom", name);
    char *text = tu_read_rel(rel, &tl);
    snprintf(rel, sizeof(rel), "tests/golden/%s.om", name);
    char *om = tu_read_rel(rel, &ol);
    size_t dropped = 99;
    char *keys = keys_of(text, tl, NULL, &dropped);
    assert_int_equal(dropped, 0);
    struct render r;
    memset(&r, 0, sizeof(r));
    char err[256] = "";
    assert_int_equal(ha_keys_zero_render(keys, strlen(keys), "", 0, &r, err, sizeof(err)), 0);
    char *want = zeroed(text, tl), *want_om = zeroed(om, ol);
    assert_true(strlen(want) > 1000);
    assert_non_null(strstr(want, "_bucket{"));
    if (strcmp(buf_cstr(&r.text), want) != 0) {
        FILE *f = fopen("/tmp/ha-golden-got", "w");
        fputs(r.text.p, f);
        fclose(f);
        f = fopen("/tmp/ha-golden-want", "w");
        fputs(want, f);
        fclose(f);
    }
    assert_string_equal(buf_cstr(&r.text), want);
    assert_string_equal(buf_cstr(render_om(&r)), want_om);
    assert_true(r.track);
    /* the render of zeros gives the same key file */
    char *again = keys_of(r.text.p, r.text.len, NULL, NULL);
    assert_string_equal(again, keys);
    free(again);
    free(want);
    free(want_om);
    free(keys);
    render_free(&r);
    free(text);
    free(om);
}

static void test_golden_round_trip(void **state)
{
    (void)state;
    check_golden("22.05");
    check_golden("22.05-accounting-users");
    check_golden("26.05");
}

static const struct label cluster = {"cluster", "c1"};

/* A few families with awkward labels, values v (0 for the expected zero
 * render); with the cluster base label. */
static void render_some(struct render *r, double v, bool all)
{
    memset(r, 0, sizeof(*r));
    r->base = &cluster;
    r->nbase = 1;
    r->track = true;
    render_family(r, "g", M_GAUGE, "A gauge: not in the key file.");
    render_sample(r, NULL, 0, 5);
    render_family(r, "jobs", M_COUNTER, "Jobs \"finished\", a \\ and\na newline.");
    struct label l[2] = {{"account", "a\"b\\c\nd"}, {"state", "completed"}};
    render_sample(r, l, 2, v * 3);
    if (all) {
        l[1].value = "failed";
        render_sample(r, l, 2, v * 4);
    }
    l[0].value = "";
    l[1].value = "completed";
    render_sample(r, l, 2, v);
    render_family(r, "plain", M_COUNTER, "");
    render_sample(r, NULL, 0, v * 7);
    render_family(r, "wait_seconds", M_HISTOGRAM, "Wait.");
    static const double b[3] = {0.5, 10, 1e6};
    static const uint64_t c[3] = {1, 2, 3};
    static const uint64_t z[3] = {0, 0, 0};
    struct label p = {"partition", "de%bug x"};
    if (all)
        render_histogram(r, &p, 1, b, v ? c : z, 3, v * 42.5, v ? 9 : 0);
    p.value = "batch";
    render_histogram(r, &p, 1, b, v ? c : z, 3, v * 1.25, v ? 6 : 0);
}

/* Labels with quotes, backslashes, newlines, '%' and spaces and a cluster
 * base label come back as they were; the help text too; gauges are left
 * out; a label-less counter stays label-less but for the base label. */
static void test_labels_round_trip(void **state)
{
    (void)state;
    struct render a, want, z;
    render_some(&a, 1, true);
    render_some(&want, 0, true);
    char *keys = keys_of(a.text.p, a.text.len, NULL, NULL);
    assert_non_null(strstr(keys, "series =cluster =c1 =account =a\"b\\c%0Ad =state =completed\n"));
    assert_non_null(strstr(keys, "=partition =de%25bug%20x\n"));
    assert_non_null(strstr(keys, "family histogram =wait_seconds =Wait.\nbounds 0.5 10 1000000\n"));
    assert_null(strstr(keys, "=g "));
    memset(&z, 0, sizeof(z));
    char err[128];
    assert_int_equal(ha_keys_zero_render(keys, strlen(keys), NULL, 0, &z, err, sizeof(err)), 0);
    /* the expected render without its gauge: from the first counter on */
    const char *t = strstr(buf_cstr(&want.text), "# HELP jobs_total");
    assert_non_null(t);
    assert_string_equal(buf_cstr(&z.text), t);
    const char *o = strstr(buf_cstr(render_om(&want)), "# HELP jobs ");
    assert_non_null(o);
    assert_string_equal(buf_cstr(render_om(&z)), o);
    assert_int_equal(z.nfams, 3);
    assert_int_equal(z.series, 3 + 1 + 2 * 6);
    free(keys);
    render_free(&a);
    render_free(&want);
    render_free(&z);
}

/* The standby's own counters (a subset) are not rendered again; the zero
 * render merged with the own render holds each family once and every
 * series once. A family the own text has with another type is left out. */
static void test_dedupe_own(void **state)
{
    (void)state;
    struct render act, own, z, merged;
    render_some(&act, 1, true);
    render_some(&own, 2, false);
    char *keys = keys_of(act.text.p, act.text.len, NULL, NULL);
    memset(&z, 0, sizeof(z));
    char err[128];
    assert_int_equal(
        ha_keys_zero_render(keys, strlen(keys), own.text.p, own.text.len, &z, err, sizeof(err)), 0);
    assert_string_equal(
        buf_cstr(&z.text),
        "# HELP jobs_total Jobs \"finished\", a \\\\ and\\na newline.\n"
        "# TYPE jobs_total counter\n"
        "jobs_total{cluster=\"c1\",account=\"a\\\"b\\\\c\\nd\",state=\"failed\"} 0\n"
        "# HELP wait_seconds Wait.\n# TYPE wait_seconds histogram\n"
        "wait_seconds_bucket{cluster=\"c1\",partition=\"de%bug x\",le=\"0.5\"} 0\n"
        "wait_seconds_bucket{cluster=\"c1\",partition=\"de%bug x\",le=\"10.0\"} 0\n"
        "wait_seconds_bucket{cluster=\"c1\",partition=\"de%bug x\",le=\"1000000.0\"} 0\n"
        "wait_seconds_bucket{cluster=\"c1\",partition=\"de%bug x\",le=\"+Inf\"} 0\n"
        "wait_seconds_sum{cluster=\"c1\",partition=\"de%bug x\"} 0\n"
        "wait_seconds_count{cluster=\"c1\",partition=\"de%bug x\"} 0\n");
    memset(&merged, 0, sizeof(merged));
    struct render parts[2] = {own, z};
    render_merge(&merged, parts, 2);
    const char *m = buf_cstr(&merged.text);
    assert_non_null(strstr(m, "state=\"completed\"} 6\n"));
    assert_non_null(strstr(m, "state=\"failed\"} 0\n"));
    size_t types = 0;
    for (const char *s = m; (s = strstr(s, "# TYPE jobs_total ")) != NULL; s++)
        types++;
    assert_int_equal(types, 1);
    /* every series of the active one is served once */
    char *km = keys_of(merged.text.p, merged.text.len, NULL, NULL);
    size_t lines_act = 0, lines_m = 0;
    for (const char *s = keys; (s = strstr(s, "\nseries")) != NULL; s++)
        lines_act++;
    for (const char *s = km; (s = strstr(s, "\nseries")) != NULL; s++)
        lines_m++;
    assert_int_equal(lines_act, 6);
    assert_int_equal(lines_m, 6);
    free(km);
    render_free(&merged);
    render_free(&z);

    /* "plain" is a histogram here: the file's counter "plain" is left out */
    const char *other = "# HELP plain_count x\n# TYPE plain histogram\n"
                        "plain_bucket{le=\"+Inf\"} 1\nplain_sum 1\nplain_count 1\n";
    memset(&z, 0, sizeof(z));
    assert_int_equal(
        ha_keys_zero_render(keys, strlen(keys), other, strlen(other), &z, err, sizeof(err)), 0);
    assert_null(strstr(buf_cstr(&z.text), "plain"));
    assert_non_null(strstr(z.text.p, "jobs_total{"));
    render_free(&z);
    free(keys);
    render_free(&act);
    render_free(&own);
}

static const char good[] = "slurm_exporter-ha-counters 1\n"
                           "family counter =a =A.\n"
                           "series =x =1\n"
                           "series =x =2\n"
                           "family histogram =h =H.\n"
                           "bounds 1 2\n"
                           "series\n"
                           "end 6 0\n";

static int zr(const char *file, struct render *r, char *err, size_t n)
{
    memset(r, 0, sizeof(*r));
    return ha_keys_zero_render(file, strlen(file), NULL, 0, r, err, n);
}

/* A line that cannot be read is counted and skipped wherever it is; what
 * depends on a bad line (a bad family's series) is skipped with it. */
static void test_bad_lines(void **state)
{
    (void)state;
    struct render r;
    char err[160];
    assert_int_equal(zr(good, &r, err, sizeof(err)), 0);
    const char *all = buf_cstr(&r.text);
    assert_non_null(strstr(all, "a_total{x=\"1\"} 0\na_total{x=\"2\"} 0\n"));
    assert_non_null(strstr(all, "h_bucket{le=\"2.0\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\n"));
    char *want = xstrdup(all);
    render_free(&r);

    /* first, middle (a bad series), last before "end" and after it: the rest
     * is rendered as before (the end line's count also disagrees: +1) */
    static const char *const cases[][2] = {
        {"slurm_exporter-ha-counters 1\nbogus line\n", "family counter =a =A.\n"},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries =x =1\n",
         "series =x =%ZZ\nseries =x =2\nfamily histogram =h =H.\nbounds 1 2\nseries\n"},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries =x =1\nseries =x "
         "=2\nfamily histogram =h =H.\nbounds 1 2\nseries\n",
         "series =le =1\n"},
    };
    for (size_t i = 0; i < 3; i++) {
        struct buf f = {0};
        buf_puts(&f, cases[i][0]);
        buf_puts(&f, cases[i][1]);
        if (i == 0)
            buf_puts(&f,
                     "series =x =1\nseries =x =2\nfamily histogram =h =H.\nbounds 1 2\nseries\n");
        buf_puts(&f, "end 6 0\n");
        assert_int_equal(zr(buf_cstr(&f), &r, err, sizeof(err)), 2);
        assert_string_equal(buf_cstr(&r.text), want);
        render_free(&r);
        buf_free(&f);
    }
    /* after the end line; a cut last line; no end line */
    struct buf f = {0};
    buf_puts(&f, good);
    buf_puts(&f, "series =x =3\n");
    assert_int_equal(zr(buf_cstr(&f), &r, err, sizeof(err)), 1);
    assert_string_equal(buf_cstr(&r.text), want);
    render_free(&r);
    f.len -= 1; /* "series =x =3" without its newline */
    assert_int_equal(zr(buf_cstr(&f), &r, err, sizeof(err)), 1);
    assert_string_equal(buf_cstr(&r.text), want);
    render_free(&r);
    f.len = strlen(good) - strlen("end 6 0\n");
    assert_int_equal(zr(buf_cstr(&f), &r, err, sizeof(err)), 1);
    assert_string_equal(buf_cstr(&r.text), want);
    render_free(&r);
    buf_free(&f);

    /* a bad family: its series are skipped, not counted; a series before
     * any family, a histogram's series without bounds, bad bounds, a name
     * that would break the exposition, a label twice, a family twice */
    static const struct {
        const char *file;
        int bad;
        const char *has;
        size_t series;
    } more[] = {
        {"slurm_exporter-ha-counters 1\nfamily counter =a{x =A.\nseries =x =1\nend 2 0\n", 1, "",
         0},
        {"slurm_exporter-ha-counters 1\nseries =x =1\nfamily counter =a =A.\nseries\nend 3 0\n", 1,
         "a_total 0\n", 1},
        {"slurm_exporter-ha-counters 1\nfamily histogram =h =H.\nseries\nend 2 0\n", 1, "", 0},
        {"slurm_exporter-ha-counters 1\nfamily histogram =h =H.\nbounds 2 1\nseries\nend 3 0\n", 1,
         "", 0},
        {"slurm_exporter-ha-counters 1\nfamily histogram =h =H.\nbounds nan\nseries\nend 3 0\n", 1,
         "", 0},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries =x =1 =x =2\nseries =y "
         "=1\nend 3 0\n",
         1, "a_total{y=\"1\"} 0\n", 1},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries =x%7B =1\nend 2 0\n", 1, "",
         0},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries\nfamily counter =a "
         "=A.\nseries\nend 4 0\n",
         1, "a_total 0\n", 1},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries =x =1\nseries =x "
         "=1\nend 3 0\n",
         0, "# TYPE a_total counter\na_total{x=\"1\"} 0\n", 1},
        {"slurm_exporter-ha-counters 1\nfamily gauge =a =A.\nseries\nend 2 0\n", 1, "", 0},
        {"slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries =x =a%00b\nend 2 0\n", 1, "",
         0},
    };
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        int got = zr(more[i].file, &r, err, sizeof(err));
        if (got != more[i].bad)
            fail_msg("case %zu: %d bad lines, expected %d", i, got, more[i].bad);
        const char *t = buf_cstr(&r.text);
        if ((more[i].has[0] ? !strstr(t, more[i].has) : t[0] != '\0') || r.series != more[i].series)
            fail_msg("case %zu rendered %zu series:\n%s", i, r.series, t);
        render_free(&r);
    }
    free(want);
}

/* A bad first line is an error with its reason, and renders nothing. */
static void test_bad_header(void **state)
{
    (void)state;
    struct render r;
    char err[160];
    assert_int_equal(zr("", &r, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not an HA counter key file"));
    assert_int_equal(zr("slurm_exporter-accounting-state 3\nend 0\n", &r, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(zr("slurm_exporter-ha-counters 2\nend 0 0\n", &r, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "version 2"));
    assert_int_equal(zr("slurm_exporter-ha-counters x\nend 0 0\n", &r, err, sizeof(err)), -EINVAL);
    assert_int_equal(zr("slurm_exporter-ha-counters 1", &r, err, sizeof(err)), -EINVAL);
    assert_int_equal(r.text.len, 0);
    render_free(&r);
    assert_int_equal(zr("slurm_exporter-ha-counters 1\nend 0 0\n", &r, err, sizeof(err)), 0);
    assert_int_equal(r.text.len, 0);
    render_free(&r);
}

/* The writer's bounds: series, families and bytes; what it leaves out is
 * counted (and in the end line), and what it writes reads back clean. */
static void test_bounds(void **state)
{
    (void)state;
    struct render a;
    render_some(&a, 1, true); /* 6 series in 3 families */
    /* SIZE_MAX: as many as the bytes allow, fewer for fewer bytes (the whole
     * file is 457 bytes) */
    static const struct {
        struct ha_keys_limits lim;
        size_t dropped;
    } cases[] = {
        {{0, 0, 0}, 0},          {{0, 0, 3}, 3},          {{0, 1, 0}, 3},          {{0, 2, 0}, 2},
        {{450, 0, 0}, SIZE_MAX}, {{350, 0, 0}, SIZE_MAX}, {{250, 0, 0}, SIZE_MAX}, {{40, 0, 0}, 6},
    };
    size_t last = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t dropped;
        char *keys = keys_of(a.text.p, a.text.len, &cases[i].lim, &dropped);
        if (cases[i].lim.bytes)
            assert_true(strlen(keys) <= cases[i].lim.bytes);
        if (cases[i].dropped != SIZE_MAX && dropped != cases[i].dropped)
            fail_msg("case %zu: %zu dropped, expected %zu:\n%s", i, dropped, cases[i].dropped,
                     keys);
        char tail[32];
        snprintf(tail, sizeof(tail), " %zu\n", dropped);
        assert_string_equal(keys + strlen(keys) - strlen(tail), tail);
        struct render z;
        char err[128];
        memset(&z, 0, sizeof(z));
        assert_int_equal(ha_keys_zero_render(keys, strlen(keys), NULL, 0, &z, err, sizeof(err)), 0);
        size_t series = 0;
        for (const char *s = keys; (s = strstr(s, "\nseries")) != NULL; s++)
            series++;
        assert_int_equal(series + dropped, 6);
        if (cases[i].dropped == SIZE_MAX) { /* fewer bytes: fewer series, some */
            if (i > 4)
                assert_true(series < last);
            assert_true(series > 0 && dropped > 0);
            last = series;
        }
        render_free(&z);
        free(keys);
    }
    render_free(&a);

    /* the reader's: a file above HA_KEYS_MAX_BYTES is refused */
    struct render r;
    char err[128];
    memset(&r, 0, sizeof(r));
    assert_int_equal(
        ha_keys_zero_render(good, (size_t)HA_KEYS_MAX_BYTES + 1, NULL, 0, &r, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "larger than"));
    /* and renders at most HA_KEYS_MAX_LABELS labels a series */
    struct buf f = {0};
    buf_puts(&f, "slurm_exporter-ha-counters 1\nfamily counter =a =A.\nseries");
    for (unsigned i = 0; i <= HA_KEYS_MAX_LABELS; i++)
        buf_printf(&f, " =l%u =v", i);
    buf_puts(&f, "\nend 2 0\n");
    assert_int_equal(zr(buf_cstr(&f), &r, err, sizeof(err)), 1);
    assert_int_equal(r.series, 0);
    render_free(&r);
    buf_free(&f);
}

/* The writer reads any text: what it cannot represent (a histogram _count
 * with "le", a label twice, a label value that is not UTF-8, decreasing
 * bounds, a counter TYPE without "_total", a name another family writes) is
 * left out, and its file always reads back without a bad line. */
static void test_writer_odd_text(void **state)
{
    (void)state;
    static const char text[] =
        "# TYPE c_total counter\n"
        "c_total{a=\"1\"} 1\n"
        "c_total{a=\"1\",a=\"2\"} 1\n"
        "c_total{a=\"\xff\"} 1\n"
        "c_total{a=\"2\"\n"
        "c_total{a=\"3\",} 5 1700000000\n"
        "# TYPE h histogram\n"
        "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"
        "h_count{le=\"1\"} 1\n"
        "# TYPE d histogram\n"
        "d_bucket{le=\"2\"} 1\nd_bucket{le=\"1\"} 1\nd_bucket{le=\"+Inf\"} 1\nd_count 1\n"
        "# TYPE nototal counter\nnototal 1\n"
        "# TYPE c histogram\nc_bucket{le=\"+Inf\"} 1\nc_count 1\n"
        "# TYPE g gauge\ng 1\n"
        "# TYPE c_total counter\nc_total{a=\"4\"} 1\n";
    size_t dropped;
    char *keys = keys_of(text, sizeof(text) - 1, NULL, &dropped);
    struct render r;
    char err[128];
    assert_int_equal(zr(keys, &r, err, sizeof(err)), 0);
    assert_string_equal(buf_cstr(&r.text), "# HELP c_total \n# TYPE c_total counter\n"
                                           "c_total{a=\"1\"} 0\nc_total{a=\"3\"} 0\n"
                                           "c_total{a=\"4\"} 0\n"
                                           "# HELP h \n# TYPE h histogram\n"
                                           "h_bucket{le=\"1.0\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
                                           "h_sum 0\nh_count 0\n");
    assert_int_equal(dropped, 2); /* d (bad bounds) and the histogram c */
    render_free(&r);
    free(keys);
}

/* The names in dir, sorted, joined by spaces (a static buffer). */
static const char *dir_names(const char *dir)
{
    static char out[512];
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    assert_true(n >= 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            if (out[0])
                strncat(out, " ", sizeof(out) - strlen(out) - 1);
            strncat(out, list[i]->d_name, sizeof(out) - strlen(out) - 1);
        }
        free(list[i]);
    }
    free(list);
    return out;
}

/* ha_keys_write: the file is what ha_keys_format makes, written through a
 * temporary file that does not stay behind. */
static void test_write(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-ha-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/counters.c1", dir);
    struct render a;
    render_some(&a, 1, true);
    assert_int_equal(ha_keys_write(path, a.text.p, a.text.len, NULL), 0);
    size_t n;
    char *got = tu_read_file(path, &n);
    char *want = keys_of(a.text.p, a.text.len, NULL, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_string_equal(dir_names(dir), "counters.c1");
    /* over it: replaced whole */
    assert_int_equal(ha_keys_write(path, "", 0, NULL), 0);
    free(got);
    got = tu_read_file(path, &n);
    assert_string_equal(got, "slurm_exporter-ha-counters 1\nend 0 0\n");
    assert_string_equal(dir_names(dir), "counters.c1");
    assert_true(ha_keys_write("/nonexistent-dir/x", "", 0, NULL) < 0);
    free(got);
    free(want);
    render_free(&a);
    unlink(path);
    rmdir(dir);
}

static ino_t inode_of(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_ino;
}

/* The writer writes only what changed (same keys: the file is left as it
 * is), and again when the file is not the one it wrote; the reader reads
 * only a file that changed since its last read. */
static void test_write_read_changes(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-ha-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/counters", dir);
    struct render a, b;
    render_some(&a, 1, true);
    render_some(&b, 1, false);
    struct ha_keys_file w, r;
    memset(&w, 0, sizeof(w));
    memset(&r, 0, sizeof(r));
    assert_int_equal(ha_keys_read(path, &r), -ENOENT);

    assert_int_equal(ha_keys_write(path, a.text.p, a.text.len, &w), 0);
    ino_t first = inode_of(path);
    assert_int_equal(ha_keys_read(path, &r), 0);
    char *want_a = keys_of(a.text.p, a.text.len, NULL, NULL);
    assert_int_equal(r.len, strlen(want_a));
    assert_memory_equal(r.text, want_a, r.len);
    /* the same keys (the values differ: a later build) */
    struct render a2;
    render_some(&a2, 2, true);
    assert_int_equal(ha_keys_write(path, a2.text.p, a2.text.len, &w), 1);
    assert_int_equal(inode_of(path), first);
    assert_int_equal(ha_keys_read(path, &r), 1);
    /* other keys: written, and read again */
    assert_int_equal(ha_keys_write(path, b.text.p, b.text.len, &w), 0);
    assert_true(inode_of(path) != first);
    assert_int_equal(ha_keys_read(path, &r), 0);
    char *want_b = keys_of(b.text.p, b.text.len, NULL, NULL);
    assert_int_equal(r.len, strlen(want_b));
    assert_memory_equal(r.text, want_b, r.len);
    /* another writer's file (another exporter active since), or none: the
     * writer writes its keys again */
    assert_int_equal(ha_keys_write(path, a.text.p, a.text.len, NULL), 0);
    assert_int_equal(ha_keys_write(path, b.text.p, b.text.len, &w), 0);
    assert_int_equal(ha_keys_read(path, &r), 0);
    assert_memory_equal(r.text, want_b, r.len);
    unlink(path);
    assert_int_equal(ha_keys_write(path, b.text.p, b.text.len, &w), 0);
    assert_int_equal(access(path, F_OK), 0);
    /* the file gone: the reader's copy goes too */
    unlink(path);
    assert_int_equal(ha_keys_read(path, &r), -ENOENT);
    assert_null(r.text);
    assert_int_equal(ha_keys_write("/nonexistent-dir/x", "", 0, &w), -ENOENT);
    assert_false(w.have);
    ha_keys_file_free(&w);
    ha_keys_file_free(&r);
    free(want_a);
    free(want_b);
    render_free(&a);
    render_free(&a2);
    render_free(&b);
    rmdir(dir);
}

/* Key files of the same size written in quick succession (an inode number
 * may be reused, the clock may not have moved on): each looks new to the
 * reader, whose copy is always the last one written. */
static void test_same_size_rewrites(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-ha-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/counters", dir);
    static const char x[] = "# TYPE c_total counter\nc_total{a=\"x\"} 1\n";
    static const char y[] = "# TYPE c_total counter\nc_total{a=\"y\"} 1\n";
    struct ha_keys_file w, r;
    memset(&w, 0, sizeof(w));
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 50; i++) {
        const char *t = i % 2 ? y : x;
        assert_int_equal(ha_keys_write(path, t, strlen(t), &w), 0);
        assert_int_equal(ha_keys_read(path, &r), 0);
        assert_non_null(strstr(r.text, i % 2 ? "=y" : "=x"));
    }
    /* the file replaced carries a later time than this host's clock (a
     * writer on a host whose clock is ahead): the new one is later still */
    struct timespec ahead[2] = {{0, UTIME_OMIT}, {time(NULL) + 3600, 5}};
    assert_int_equal(utimensat(AT_FDCWD, path, ahead, 0), 0);
    assert_int_equal(ha_keys_write(path, x, strlen(x), &w), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_mtim.tv_sec > ahead[1].tv_sec ||
                (sb.st_mtim.tv_sec == ahead[1].tv_sec && sb.st_mtim.tv_nsec > 5));
    assert_int_equal(ha_keys_read(path, &r), 0);
    assert_non_null(strstr(r.text, "=x"));
    ha_keys_file_free(&w);
    ha_keys_file_free(&r);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_round_trip),
        cmocka_unit_test(test_labels_round_trip),
        cmocka_unit_test(test_dedupe_own),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_write_read_changes),
        cmocka_unit_test(test_same_size_rewrites),
        cmocka_unit_test(test_writer_odd_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
