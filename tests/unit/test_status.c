/* SPDX-License-Identifier: Apache-2.0 */
/* The status page (src/status.c): its figures equal the collectors' from the
 * same fixture-fed model, Slurm strings are escaped, the history ring wraps
 * and stays bounded, the page stays under its size limit. */
#include "testutil.h"

#include "render.h"
#include "status.h"
#include "util/html.h"

#define NOW 1795424700.0 /* the render time of the 22.05 fixtures (test_golden.c) */

/* The value of the sample written exactly as `series` (name and labels) in
 * an exposition, NaN when absent. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return NAN;
}

/* The sum of the samples whose series starts with prefix. */
static double sample_sum(const char *text, const char *prefix)
{
    double s = 0;
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, n) != 0)
            continue;
        const char *sp = strchr(p, ' ');
        if (sp)
            s += strtod(sp + 1, NULL);
    }
    return s;
}

/* The data-value of the page's cell for series (as written in data-metric,
 * HTML-escaped), NaN when absent. */
static double page_value(const char *page, const char *series)
{
    struct buf key = {0};
    buf_puts(&key, "data-metric=\"");
    html_escape(&key, series, strlen(series), 256);
    buf_puts(&key, "\" data-value=\"");
    const char *p = strstr(page, buf_cstr(&key));
    double v = p ? strtod(p + key.len, NULL) : NAN;
    buf_free(&key);
    return v;
}

struct fixture {
    struct dataset_result *res[DS_COUNT];
    struct view v;
    struct dataset_state st[DS_COUNT];
    struct render r;
};

static void fixture_load(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    static const char *const files[DS_COUNT] = {
        [DS_JOBS] = "tests/fixtures/22.05/exporter_squeue.txt",
        [DS_NODES] = "tests/fixtures/22.05/exporter_nodes.txt",
        [DS_PARTITIONS] = "tests/fixtures/22.05/exporter_partitions.txt",
        [DS_VERSION] = "tests/fixtures/versions/22.05.txt",
    };
    f->v.now = NOW;
    f->v.series_limit = 100000;
    for (int d = 0; d < DS_COUNT; d++) {
        if (!files[d])
            continue;
        size_t len;
        char *text = tu_read_rel(files[d], &len);
        f->res[d] = tu_served_from((enum dataset_id)d, text, len);
        assert_non_null(f->res[d]);
        f->v.ds[d] = f->res[d];
        free(text);
        f->st[d].enabled = f->st[d].attempted = f->st[d].last_ok = true;
        f->st[d].interval = 30;
        f->st[d].max_age = 120;
        f->st[d].last_success = NOW - 5;
    }
    tu_collect_all(&f->v, &f->r);
}

static void fixture_free(struct fixture *f)
{
    for (int d = 0; d < DS_COUNT; d++)
        tu_result_free(f->res[d]);
    render_free(&f->r);
}

/* Every figure of the summary, and every figure cell of the page, equals
 * the sample the collectors write from the same model. */
static void test_figures_equal_model(void **state)
{
    (void)state;
    struct fixture f;
    fixture_load(&f);
    const char *t = buf_cstr(&f.r.text);
    struct status_summary s;
    status_summarize(&f.v, f.st, NULL, &s);
    assert_true(s.have_nodes && s.have_jobs);
    assert_double_exact(s.cpu_alloc, sample(t, "slurm_cpus{state=\"allocated\"}"));
    assert_double_exact(s.cpu_total, sample(t, "slurm_cpus_configured"));
    assert_double_exact(s.mem_alloc, sample(t, "slurm_memory_allocated_bytes"));
    assert_double_exact(s.mem_total, sample(t, "slurm_memory_configured_bytes"));
    assert_double_exact(s.gpu_total, sample_sum(t, "slurm_gres_configured{gres=\"gpu\""));
    assert_double_exact(s.gpu_alloc, sample_sum(t, "slurm_gres_allocated{gres=\"gpu\""));
    assert_true(s.gpu_total > 0); /* the fixture has GPUs: the sums are not 0 == 0 */
    assert_double_exact(s.jobs_pending, sample(t, "slurm_queue_jobs{state=\"pending\"}"));
    assert_double_exact(s.jobs_running, sample(t, "slurm_queue_jobs{state=\"running\"}"));
    assert_true(s.jobs_pending > 0 && s.jobs_running > 0);
    double total = 0;
    for (int st = 0; st < NODE_STATE_COUNT; st++) {
        char series[64];
        snprintf(series, sizeof(series), "slurm_nodes{state=\"%s\"}", node_state_names[st]);
        assert_double_exact(s.nodes[st], sample(t, series));
        total += s.nodes[st];
    }
    assert_double_exact(s.nodes_total, total);
    /* the oldest wait: the largest of the per-partition figures */
    double oldest = 0;
    for (const char *p = strstr(t, "\nslurm_jobs_oldest_pending_age_seconds{"); p;
         p = strstr(p + 1, "\nslurm_jobs_oldest_pending_age_seconds{")) {
        double v = strtod(strchr(p + 1, ' ') + 1, NULL);
        if (v > oldest)
            oldest = v;
    }
    assert_true(oldest > 0);
    assert_double_exact(s.oldest_pending, oldest);
    /* pending reasons: each listed one as slurm_queue_jobs_pending, all of them */
    double listed = 0;
    assert_true(s.nreasons > 1);
    for (size_t i = 0; i < s.nreasons; i++) {
        char series[256];
        snprintf(series, sizeof(series), "slurm_queue_jobs_pending{reason=\"%s\"}",
                 s.reasons[i].name);
        assert_double_exact(s.reasons[i].jobs, sample(t, series));
        listed += s.reasons[i].jobs;
        if (i)
            assert_true(s.reasons[i - 1].jobs >= s.reasons[i].jobs);
    }
    assert_double_exact(listed + s.reasons_rest_jobs, s.jobs_pending);
    assert_string_equal(s.version, "22.05.8");

    /* the page shows the same numbers */
    struct buf page = {0};
    status_page_render(&page, &s, NULL, 6 * 3600, NOW, "/metrics");
    const char *pg = buf_cstr(&page);
    const char *const series[] = {
        "slurm_cpus{state=\"allocated\"}",     "slurm_cpus_configured",
        "slurm_memory_allocated_bytes",        "slurm_memory_configured_bytes",
        "slurm_queue_jobs{state=\"pending\"}", "slurm_queue_jobs{state=\"running\"}",
        "slurm_nodes{state=\"mixed\"}",        "slurm_nodes{state=\"down\"}"};
    for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++)
        assert_double_exact(page_value(pg, series[i]), sample(t, series[i]));
    assert_double_exact(page_value(pg, "sum(slurm_gres_configured{gres=\"gpu\"})"), s.gpu_total);
    assert_double_exact(page_value(pg, "max(slurm_jobs_oldest_pending_age_seconds)"), oldest);
    assert_double_exact(page_value(pg, "slurm_exporter_dataset_age_seconds{dataset=\"jobs\"}"), 5);
    assert_non_null(strstr(pg, ">22.05.8</span>"));
    assert_null(strstr(pg, "Waiting for the first refresh"));
    buf_free(&page);
    fixture_free(&f);
}

/* Before the first refresh: the page says so and shows no figure. */
static void test_waiting(void **state)
{
    (void)state;
    struct status_summary s;
    memset(&s, 0, sizeof(s));
    struct buf page = {0};
    status_page_render(&page, &s, NULL, 3600, NOW, "/metrics");
    assert_non_null(strstr(buf_cstr(&page), "Waiting for the first refresh"));
    assert_null(strstr(buf_cstr(&page), "data-value"));
    buf_free(&page);
}

static void test_html_escape(void **state)
{
    (void)state;
    struct {
        const char *in;
        size_t n, max;
        const char *out;
    } cases[] = {
        {"plain", 5, 100, "plain"},
        {"<script>&\"'", 11, 100, "&lt;script&gt;&amp;&quot;&#39;"},
        {"j\xc3\xbcrgen", 7, 100, "j\xc3\xbcrgen"},
        {"a\x01"
         "b\x7f"
         "c",
         5, 100,
         "a\xef\xbf\xbd"
         "b\xef\xbf\xbd"
         "c"},
        {"tab\tnl\n", 7, 100, "tab\tnl\n"},
        {"\xc0\xaf", 2, 100, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong '/' */
        {"\xed\xa0\x80", 3, 100, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xc2\x85", 2, 100, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* C1 control NEL */
        {"abcdef", 6, 3, "abc\xe2\x80\xa6"},
        {"ab\xc3\xbc", 4, 3, "ab\xe2\x80\xa6"}, /* a character the cut would split */
        {"a\0b", 3, 100,
         "a\xef\xbf\xbd"
         "b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b = {0};
        html_escape(&b, cases[i].in, cases[i].n, cases[i].max);
        assert_strn_equal(b.p ? b.p : "", b.len, cases[i].out);
        buf_free(&b);
    }
}

/* Every string the page shows that came from Slurm or the configuration
 * is escaped: no tag, attribute or entity gets through. */
static void test_page_escapes(void **state)
{
    (void)state;
    struct status_summary *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->at = NOW;
    s->have_jobs = s->have_nodes = true;
    s->jobs_pending = 3;
    s->nreasons = 1;
    snprintf(s->reasons[0].name, sizeof(s->reasons[0].name), "<script>alert(1)</script>");
    s->reasons[0].jobs = 3;
    snprintf(s->cluster, sizeof(s->cluster), "c<b>\"x\"");
    snprintf(s->version, sizeof(s->version), "<i>22</i>");
    s->ds[DS_JOBS].enabled = s->ds[DS_JOBS].attempted = true;
    s->ds[DS_JOBS].last_error_at = NOW - 1;
    snprintf(s->ds[DS_JOBS].last_error, sizeof(s->ds[DS_JOBS].last_error),
             "squeue: \"><img src=x onerror=alert(1)>&amp;");
    struct buf page = {0};
    status_page_render(&page, s, NULL, 3600, NOW, "/metrics");
    const char *pg = buf_cstr(&page);
    assert_null(strstr(pg, "<script"));
    assert_null(strstr(pg, "<img"));
    assert_null(strstr(pg, "<b>"));
    assert_null(strstr(pg, "<i>"));
    assert_non_null(strstr(pg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(pg, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;"));
    assert_non_null(strstr(pg, "c&lt;b&gt;&quot;x&quot;"));
    /* the reason in the cell's data-metric attribute too */
    assert_non_null(
        strstr(pg, "slurm_queue_jobs_pending{reason=&quot;&lt;script&gt;alert(1)&lt;/script&gt;"));
    /* no script anywhere: the page runs without JavaScript */
    assert_null(strstr(pg, "<script"));
    assert_null(strstr(pg, "javascript:"));
    buf_free(&page);
    free(s);
}

static struct status_point point(double t, double v)
{
    struct status_point p;
    p.t = t;
    for (int i = 0; i < SS_COUNT; i++)
        p.v[i] = v;
    return p;
}

static void test_history_ring(void **state)
{
    (void)state;
    assert_int_equal(status_history_points(6 * 3600), 360);
    assert_int_equal(status_history_points(0), 0);
    assert_int_equal(status_history_points(90), 2);
    struct status_history h;
    status_history_init(&h, 5);
    for (int i = 0; i < 12; i++) {
        struct status_point p = point(NOW + 60.0 * i, i);
        status_history_add(&h, &p);
        assert_int_equal(h.n, i < 5 ? (size_t)i + 1 : 5);
        assert_true(h.head < h.cap);
    }
    /* the last five, oldest first */
    for (size_t i = 0; i < 5; i++) {
        assert_double_exact(status_history_get(&h, i)->t, NOW + 60.0 * (double)(7 + i));
        assert_double_exact(status_history_get(&h, i)->v[SS_JOBS_PENDING], (double)(7 + i));
    }
    /* a refresh in the newest point's minute replaces it */
    struct status_point p = point(NOW + 60.0 * 11 + 30, 99);
    status_history_add(&h, &p);
    assert_int_equal(h.n, 5);
    assert_double_exact(status_history_get(&h, 4)->v[SS_CPU_ALLOC], 99);
    assert_double_exact(status_history_get(&h, 3)->t, NOW + 60.0 * 10);
    status_history_free(&h);

    /* no history: nothing kept */
    status_history_init(&h, 0);
    status_history_add(&h, &p);
    assert_int_equal(h.n, 0);
    assert_null(h.pts);
    status_history_free(&h);
}

static size_t count_str(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The worst case: every string at its longest and of characters that
 * escape longest, the longest history the flag allows: the page stays under
 * STATUS_PAGE_MAX and each chart has at most STATUS_CHART_POINTS points. */
static void test_page_bounded(void **state)
{
    (void)state;
    struct status_summary *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->at = NOW;
    s->have_jobs = s->have_nodes = true;
    s->gpu_total = 8;
    memset(s->cluster, '"', sizeof(s->cluster) - 1);
    memset(s->version, '"', sizeof(s->version) - 1);
    s->nreasons = STATUS_MAX_REASONS;
    s->reasons_rest = 1000;
    for (size_t i = 0; i < STATUS_MAX_REASONS; i++) {
        memset(s->reasons[i].name, '"', sizeof(s->reasons[i].name) - 1);
        s->reasons[i].jobs = 1e12 + (double)i;
    }
    for (int d = 0; d < DS_COUNT; d++) {
        s->ds[d].enabled = s->ds[d].attempted = true;
        s->ds[d].last_success = NOW - 1e9;
        s->ds[d].last_error_at = NOW - 1;
        s->ds[d].interval = 86400;
        memset(s->ds[d].last_error, '"', sizeof(s->ds[d].last_error) - 1);
    }
    struct status_history h;
    size_t cap = status_history_points(7 * 86400.0);
    status_history_init(&h, cap);
    for (size_t i = 0; i < cap + 17; i++) {
        struct status_point p = point(NOW - 7 * 86400.0 + 60.0 * (double)i, 1e15 / 3);
        status_history_add(&h, &p);
    }
    assert_int_equal(h.n, cap);
    struct buf page = {0};
    status_page_render(&page, s, &h, 7 * 86400.0, NOW + 17 * 60.0, "/metrics");
    assert_true(page.len < STATUS_PAGE_MAX);
    const char *pg = buf_cstr(&page);
    assert_int_equal(count_str(pg, "<polyline"), 6);
    assert_int_equal(count_str(pg, "<circle"), 6); /* the newest point of each chart */
    for (const char *p = strstr(pg, "points=\""); p; p = strstr(p + 1, "points=\"")) {
        const char *end = strchr(p + 8, '"');
        size_t commas = 0;
        for (const char *q = p + 8; q < end; q++)
            commas += *q == ',';
        assert_true(commas >= 1 && commas <= STATUS_CHART_POINTS);
    }
    buf_free(&page);
    status_history_free(&h);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_figures_equal_model), cmocka_unit_test(test_waiting),
        cmocka_unit_test(test_html_escape),         cmocka_unit_test(test_page_escapes),
        cmocka_unit_test(test_history_ring),        cmocka_unit_test(test_page_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
