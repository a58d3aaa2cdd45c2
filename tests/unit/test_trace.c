/* SPDX-License-Identifier: Apache-2.0 */
/* Job tracing: the body parser (good bodies from rivosinc's wrapper, each
 * kind of malformed body, values out of range), the store (overwrite of one
 * (job, host) only, isolation between jobs, caps, TTL, job-ended drops) and
 * the collector (units, allocation beside the trace, compat names). */
#include "testutil.h"
#include "trace.h"

static int parse(const char *body, struct trace_post *p, char *why)
{
    return trace_json_parse(body, strlen(body), p, why, 192);
}

/* ---- parser ---------------------------------------------------------------- */

static void test_json_rivosinc_body(void **state)
{
    (void)state;
    /* rivosinc's fixtures/trace_info_body.json, as its wrapper sends it */
    const char *b = "{\n    \"pid\": 35642,\n    \"cpus\": 0.0,\n    \"threads\": 1,\n"
                    "    \"mem\": 1032192,\n    \"read_bytes\": 20,\n    \"write_bytes\": 10,\n"
                    "    \"username\": \"abdh\",\n    \"io_wait\": 0,\n"
                    "    \"hostname\": \"somehost\",\n    \"job_id\": 10\n}\n";
    struct trace_post p;
    char why[192];
    assert_int_equal(parse(b, &p, why), 0);
    assert_int_equal(p.job_id, 10);
    assert_double_exact(p.pid, 35642);
    assert_double_exact(p.cpus, 0);
    assert_double_exact(p.threads, 1);
    assert_double_exact(p.mem, 1032192);
    assert_double_exact(p.read_bytes, 20);
    assert_double_exact(p.write_bytes, 10);
    assert_string_equal(p.username, "abdh");
    assert_string_equal(p.hostname, "somehost");
    /* python's json.dumps of the dataclass: floats, merged children */
    assert_int_equal(parse("{\"pid\": 1, \"cpus\": 212.5, \"threads\": 9.0, \"mem\": 3.5e9, "
                           "\"read_bytes\": 1e3, \"write_bytes\": 0, \"job_id\": 77, "
                           "\"username\": \"\", \"hostname\": \"n1\"}",
                           &p, why),
                     0);
    assert_double_exact(p.cpus, 212.5);
    assert_double_exact(p.mem, 3.5e9);
    assert_string_equal(p.username, "");
}

static void test_json_accepts(void **state)
{
    (void)state;
    struct trace_post p;
    char why[192];
    /* job id as a string of digits, or an integral float */
    assert_int_equal(parse("{\"job_id\": \"123\", \"hostname\": \"h\"}", &p, why), 0);
    assert_int_equal(p.job_id, 123);
    assert_int_equal(parse("{\"job_id\": 12.0, \"hostname\": \"h\"}", &p, why), 0);
    assert_int_equal(p.job_id, 12);
    /* absent and null numbers are unknown (NaN) */
    assert_int_equal(parse("{\"job_id\": 1, \"hostname\": \"h\", \"cpus\": null}", &p, why), 0);
    assert_true(isnan(p.cpus) && isnan(p.mem) && isnan(p.pid));
    /* unknown keys with any JSON value, nested */
    assert_int_equal(parse("{\"x\": [1, {\"a\": [true, false, null, \"s\\\"\"]}, -0.5e-3], "
                           "\"job_id\": 1, \"y\": {}, \"z\": [], \"hostname\": \"h\"}",
                           &p, why),
                     0);
    /* escapes and UTF-8 in strings */
    assert_int_equal(parse("{\"job_id\": 1, \"hostname\": \"h\\u00e9\\/x\", \"username\": "
                           "\"\xc3\xa9\\ud83d\\ude00\"}",
                           &p, why),
                     0);
    assert_string_equal(p.hostname, "h\xc3\xa9/x");
    assert_string_equal(p.username, "\xc3\xa9\xf0\x9f\x98\x80");
    /* exactly MAX_LABEL_LEN bytes */
    char body[512], host[MAX_LABEL_LEN + 2];
    memset(host, 'a', MAX_LABEL_LEN);
    host[MAX_LABEL_LEN] = '\0';
    snprintf(body, sizeof(body), "{\"job_id\": 1, \"hostname\": \"%s\"}", host);
    assert_int_equal(parse(body, &p, why), 0);
    assert_int_equal(strlen(p.hostname), MAX_LABEL_LEN);
    /* blanks around everything */
    assert_int_equal(parse(" \t\r\n{ \"job_id\" : 4294967293 , \"hostname\" : \"h\" } \n", &p, why),
                     0);
    assert_int_equal(p.job_id, 4294967293u);
}

static void test_json_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "[]",
        "null",
        "{",
        "{\"job_id\": 1, \"hostname\": \"h\"",
        "{\"job_id\": 1, \"hostname\": \"h\"} x",
        "{\"job_id\": 1, \"hostname\": \"h\"}{}",
        "{\"job_id\" 1, \"hostname\": \"h\"}",
        "{\"job_id\": 1 \"hostname\": \"h\"}",
        "{\"job_id\": 1, \"hostname\": \"h\",}",
        "{job_id: 1, \"hostname\": \"h\"}",
        "{'job_id': 1, \"hostname\": \"h\"}",
        "{\"job_id\": 01, \"hostname\": \"h\"}",
        "{\"job_id\": +1, \"hostname\": \"h\"}",
        "{\"job_id\": 1., \"hostname\": \"h\"}",
        "{\"job_id\": .5, \"hostname\": \"h\"}",
        "{\"job_id\": 1e, \"hostname\": \"h\"}",
        "{\"job_id\": NaN, \"hostname\": \"h\"}",
        "{\"job_id\": 1, \"hostname\": \"h\\x\"}",
        "{\"job_id\": 1, \"hostname\": \"h\\u12\"}",
        "{\"job_id\": 1, \"hostname\": \"h\\ud800\"}",
        "{\"job_id\": 1, \"hostname\": \"h\\udc00\"}",
        "{\"job_id\": 1, \"hostname\": \"h\\ud800\\u0041\"}",
        "{\"job_id\": 1, \"hostname\": \"h\xff\"}",
        "{\"job_id\": 1, \"hostname\": \"h\xc0\xaf\"}",
        "{\"job_id\": 1, \"hostname\": \"h\xed\xa0\x80\"}",
        "{\"job_id\": 1, \"hostname\": \"h\xe2\x82\"}",
        "{\"job_id\": 1, \"hostname\": \"tab\there\"}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"x\": [1, 2}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"x\": {\"a\" 1}}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"x\": tru}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"x\": "
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"job_id\": 1, \"job_id\": 2, \"hostname\": \"h\"}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"hostname\": \"i\"}",
        "{\"hostname\": \"h\"}",
        "{\"job_id\": 1}",
        "{\"job_id\": 1, \"hostname\": \"\"}",
        "{\"job_id\": 1, \"hostname\": null}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"x\": "
        "1234567890123456789012345678901234567890123456789012345678901234567890}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct trace_post p;
        char why[192];
        int rc = parse(bad[i], &p, why);
        if (rc != -EINVAL)
            fail_msg("body %zu (%s): rc %d, want -EINVAL; why: %s", i, bad[i], rc, why);
        assert_true(why[0] != '\0');
        assert_null(strchr(why, '\n'));
    }
    /* a NUL byte inside the body */
    struct trace_post p;
    char why[192];
    assert_int_equal(trace_json_parse("{\"job_id\": 1, \"hostname\": \"h\0\"}", 30, &p, why, 192),
                     -EINVAL);
}

static void test_json_out_of_range(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"job_id\": 0, \"hostname\": \"h\"}",
        "{\"job_id\": -1, \"hostname\": \"h\"}",
        "{\"job_id\": 4294967294, \"hostname\": \"h\"}",
        "{\"job_id\": 1.5, \"hostname\": \"h\"}",
        "{\"job_id\": \"12a\", \"hostname\": \"h\"}",
        "{\"job_id\": \"\", \"hostname\": \"h\"}",
        "{\"job_id\": \"99999999999\", \"hostname\": \"h\"}",
        "{\"job_id\": true, \"hostname\": \"h\"}",
        "{\"job_id\": 1, \"hostname\": 5}",
        "{\"job_id\": 1, \"hostname\": [\"h\"]}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"cpus\": -0.5}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"cpus\": 1e999}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"cpus\": \"5\"}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"mem\": false}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"mem\": 1e19}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"read_bytes\": 1e20}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"threads\": {}}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"pid\": 1.25}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"pid\": 3e9}",
        "{\"job_id\": 1, \"hostname\": \"h\\n\"}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"username\": \"\\u0001\"}",
        "{\"job_id\": 1, \"hostname\": \"h\", \"username\": \"\\u0085\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct trace_post p;
        char why[192];
        int rc = parse(bad[i], &p, why);
        if (rc != -ERANGE)
            fail_msg("body %zu (%s): rc %d, want -ERANGE; why: %s", i, bad[i], rc, why);
        assert_true(why[0] != '\0');
    }
    /* one byte over MAX_LABEL_LEN, also when it comes from escapes */
    char body[1024], host[MAX_LABEL_LEN + 2];
    memset(host, 'a', MAX_LABEL_LEN + 1);
    host[MAX_LABEL_LEN + 1] = '\0';
    snprintf(body, sizeof(body), "{\"job_id\": 1, \"hostname\": \"%s\"}", host);
    struct trace_post p;
    char why[192];
    assert_int_equal(parse(body, &p, why), -ERANGE);
    assert_non_null(strstr(why, "hostname"));
    char esc[6 * 70 + 1] = "";
    for (int i = 0; i < 70; i++)
        strcat(esc, "\\u00e9"); /* 140 bytes of UTF-8 */
    snprintf(body, sizeof(body), "{\"job_id\": 1, \"hostname\": \"h\", \"username\": \"%s\"}", esc);
    assert_int_equal(parse(body, &p, why), -ERANGE);
}

/* ---- store ------------------------------------------------------------------ */

static struct trace_post post(uint32_t job, const char *host, double cpus)
{
    struct trace_post p;
    memset(&p, 0, sizeof(p));
    p.job_id = job;
    snprintf(p.hostname, sizeof(p.hostname), "%s", host);
    snprintf(p.username, sizeof(p.username), "u%u", job);
    p.cpus = cpus;
    p.pid = p.mem = p.threads = p.read_bytes = p.write_bytes = NAN;
    return p;
}

struct seen {
    size_t n;
    double cpus[64];
    uint32_t job[64];
    char host[64][16];
};

static void collect(const struct trace_entry *e, void *ctx)
{
    struct seen *s = ctx;
    if (s->n < 64) {
        s->cpus[s->n] = e->p.cpus;
        s->job[s->n] = e->p.job_id;
        snprintf(s->host[s->n], 16, "%.15s", e->p.hostname);
    }
    s->n++;
}

static double cpus_of(const struct seen *s, uint32_t job, const char *host)
{
    for (size_t i = 0; i < s->n && i < 64; i++)
        if (s->job[i] == job && strcmp(s->host[i], host) == 0)
            return s->cpus[i];
    return -1;
}

static void test_store_overwrite_and_isolation(void **state)
{
    (void)state;
    struct trace_limits lim = {100, 10, 1000, 60};
    struct trace_store *s = trace_store_new(&lim);
    struct trace_post a1 = post(1, "n1", 10), a2 = post(1, "n2", 20), b1 = post(2, "n1", 30);
    assert_int_equal(trace_store_put(s, &a1, 1000), TR_ACCEPTED);
    assert_int_equal(trace_store_put(s, &a2, 1000), TR_ACCEPTED);
    assert_int_equal(trace_store_put(s, &b1, 1000), TR_ACCEPTED);
    /* the same (job, host) replaces that entry only */
    struct trace_post a1b = post(1, "n1", 99);
    assert_int_equal(trace_store_put(s, &a1b, 1001), TR_ACCEPTED);
    struct seen seen = {0};
    assert_int_equal(trace_store_snapshot(s, 1002, NULL, NULL, collect, &seen), 3);
    assert_int_equal(seen.n, 3);
    assert_double_exact(cpus_of(&seen, 1, "n1"), 99);
    assert_double_exact(cpus_of(&seen, 1, "n2"), 20);
    assert_double_exact(cpus_of(&seen, 2, "n1"), 30);
    struct trace_store_stats st;
    trace_store_stats(s, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.jobs, 2);
    trace_store_free(s);
}

static void test_store_limits(void **state)
{
    (void)state;
    struct trace_limits lim = {3, 2, 5, 60};
    struct trace_store *s = trace_store_new(&lim);
    struct trace_post p = post(1, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(1, "b", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(1, "c", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_MAX_HOSTS);
    p = post(2, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(2, "b", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(3, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(4, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_MAX_JOBS);
    p = post(3, "b", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_MAX_ENTRIES);
    /* refused posts touched nothing; known pairs are still updated */
    p = post(2, "b", 7);
    assert_int_equal(trace_store_put(s, &p, 100.5), TR_ACCEPTED);
    struct seen seen = {0};
    assert_int_equal(trace_store_snapshot(s, 100.5, NULL, NULL, collect, &seen), 5);
    assert_double_exact(cpus_of(&seen, 2, "b"), 7);
    assert_double_exact(cpus_of(&seen, 4, "a"), -1);
    /* a flood of new jobs: all refused, memory does not grow */
    for (uint32_t j = 100; j < 20000; j++) {
        p = post(j, "flood", 1);
        assert_int_not_equal(trace_store_put(s, &p, 100.5), TR_ACCEPTED);
    }
    struct trace_store_stats st;
    trace_store_stats(s, &st);
    assert_int_equal(st.entries, 5);
    assert_int_equal(st.jobs, 3);
    /* at a limit, expired entries are swept out to make room */
    p = post(9, "late", 1);
    assert_int_equal(trace_store_put(s, &p, 100 + 61), TR_ACCEPTED);
    trace_store_stats(s, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.expired_ttl, 5);
    trace_store_free(s);
}

static void test_store_ttl(void **state)
{
    (void)state;
    struct trace_limits lim = {10, 10, 10, 120};
    struct trace_store *s = trace_store_new(&lim);
    struct trace_post p = post(1, "old", 1);
    assert_int_equal(trace_store_put(s, &p, 1000), TR_ACCEPTED);
    p = post(1, "new", 2);
    assert_int_equal(trace_store_put(s, &p, 1100), TR_ACCEPTED);
    struct seen seen = {0};
    assert_int_equal(trace_store_snapshot(s, 1121, NULL, NULL, collect, &seen), 1);
    assert_double_exact(cpus_of(&seen, 1, "new"), 2);
    struct trace_store_stats st;
    trace_store_stats(s, &st);
    assert_int_equal(st.expired_ttl, 1);
    assert_int_equal(st.jobs, 1);
    assert_int_equal(trace_store_snapshot(s, 1221, NULL, NULL, NULL, NULL), 0);
    trace_store_stats(s, &st);
    assert_int_equal(st.jobs, 0);
    /* slots are reused */
    for (int round = 0; round < 50; round++) {
        for (uint32_t j = 1; j <= 10; j++) {
            p = post(j, "h", 1);
            assert_int_equal(trace_store_put(s, &p, 2000 + round * 200), TR_ACCEPTED);
        }
        assert_int_equal(trace_store_snapshot(s, 2000 + round * 200 + 150, NULL, NULL, NULL, NULL),
                         0);
    }
    trace_store_free(s);
}

static const char squeue_fix[] =
    "2|2|RUNNING|batch|root|physics|(null)|2|2|cpu=2,mem=4000M,node=2,billing=2|1795424586|"
    "1795424589|1795424586|N/A|N/A|N/A|2|None\n"
    "9|9|CANCELLED|debug|root|physics|(null)|1|1|cpu=1,mem=2000M,node=1,billing=1|1795424586|"
    "1795424589|1795424586|N/A|N/A|N/A|1|None\n"
    "12|12|PENDING|batch|root|physics|(null)|5|5|cpu=5,mem=10000M,node=5,billing=5|1795424590|"
    "N/A|1795424590|N/A|N/A|N/A|5|Resources\n";

static void test_store_job_ended(void **state)
{
    (void)state;
    struct dataset_result *jr = tu_jobs_from(squeue_fix, strlen(squeue_fix), NULL);
    struct trace_jobidx idx;
    trace_jobidx_build(&idx, jr->u.jobs);
    const struct job *j;
    /* a snapshot older than the first post cannot judge */
    assert_true(trace_job_live(&idx, 100, 99, 200, &j));
    assert_null(j);
    assert_true(trace_job_live(&idx, 100, 12, 200, &j));
    assert_non_null(j);
    /* a newer one: running stays, finished, pending and missing go */
    assert_true(trace_job_live(&idx, 300, 2, 200, &j));
    assert_int_equal(j->cpus, 2);
    assert_false(trace_job_live(&idx, 300, 9, 200, &j));
    assert_false(trace_job_live(&idx, 300, 12, 200, &j));
    assert_false(trace_job_live(&idx, 300, 99, 200, &j));
    trace_jobidx_free(&idx);
    tu_result_free(jr);
}

/* The keep function may claim an entry for a cluster; later posts of the
 * same (job, host) keep the claim, a new entry starts unclaimed. */
static bool clusters_of_1_2(struct trace_entry *e, void *ctx)
{
    int *seen = ctx;
    if (e->p.job_id <= 2)
        seen[e->p.job_id] = e->cluster;
    return true;
}

static bool claim_for_1(struct trace_entry *e, void *ctx)
{
    int *seen = ctx;
    seen[e->p.job_id] = e->cluster;
    if (e->p.job_id == 1)
        e->cluster = 1;
    return true;
}

static void test_store_cluster_claim(void **state)
{
    (void)state;
    struct trace_limits lim = {100, 10, 1000, 60};
    struct trace_store *s = trace_store_new(&lim);
    struct trace_post a = post(1, "n1", 10), b = post(2, "n1", 20);
    assert_int_equal(trace_store_put(s, &a, 1000), TR_ACCEPTED);
    assert_int_equal(trace_store_put(s, &b, 1000), TR_ACCEPTED);
    int seen[3] = {7, 7, 7};
    trace_store_snapshot(s, 1001, claim_for_1, seen, NULL, NULL);
    assert_int_equal(seen[1], -1);
    assert_int_equal(seen[2], -1);
    a.cpus = 50;
    assert_int_equal(trace_store_put(s, &a, 1002), TR_ACCEPTED);
    trace_store_snapshot(s, 1003, claim_for_1, seen, NULL, NULL);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], -1);
    /* a sweep made by a refused post (at the job limit) keeps the claims */
    for (uint32_t j = 10; j < 200; j++) {
        struct trace_post f = post(j, "n2", 1);
        trace_store_put(s, &f, 1004);
    }
    seen[1] = seen[2] = 7;
    trace_store_snapshot(s, 1005, clusters_of_1_2, seen, NULL, NULL);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], -1);
    trace_store_free(s);
}

/* ---- dataset and collector --------------------------------------------------- */

static char *render_trace(const char *trace_txt, const char *squeue, double jobs_fetched,
                          unsigned compat, struct parse_stats *st)
{
    struct dataset_result *tr = tu_result_from(DS_TRACE, trace_txt, strlen(trace_txt), st);
    struct dataset_result *jr = squeue ? tu_jobs_from(squeue, strlen(squeue), NULL) : NULL;
    if (jr)
        jr->fetched_at = jobs_fetched;
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = 1795424700;
    v.series_limit = 100000;
    v.compat = compat;
    v.ds[DS_TRACE] = tr;
    v.ds[DS_JOBS] = jr;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_trace(&v, &r, &o);
    char *text = strdup(buf_cstr(&r.text));
    render_free(&r);
    tu_result_free(tr);
    tu_result_free(jr);
    return text;
}

static void test_collector(void **state)
{
    (void)state;
    const char *txt =
        "1795424690 1795424600 {\"job_id\": 2, \"hostname\": \"c1\", \"username\": \"root\", "
        "\"cpus\": 150, \"mem\": 1000, \"threads\": 3, \"read_bytes\": 5, \"write_bytes\": 6, "
        "\"pid\": 42}\n"
        "1795424691 1795424600 {\"job_id\": 2, \"hostname\": \"c2\", \"username\": \"root\", "
        "\"cpus\": 50, \"mem\": 24}\n"
        "1795424692 1795424600 {\"job_id\": 9, \"hostname\": \"c1\", \"cpus\": 100}\n"
        "1795424692 1795424699 {\"job_id\": 77, \"hostname\": \"new\", \"cpus\": 100}\n"
        "garbage\n";
    struct parse_stats st;
    /* jobs snapshot at 1795424650 (after the first posts of 2 and 9, before 77's) */
    char *t = render_trace(txt, squeue_fix, 1795424650, COMPAT_RIVOSINC, &st);
    assert_int_equal(st.errors, 1);
    assert_double_exact(
        tu_sample(t, "slurm_job_trace_cpu_usage{job_id=\"2\",host=\"c1\",user=\"root\"}"), 1.5);
    assert_double_exact(
        tu_sample(t, "slurm_job_trace_cpu_usage{job_id=\"2\",host=\"c2\",user=\"root\"}"), 0.5);
    assert_double_exact(
        tu_sample(t, "slurm_job_trace_memory_bytes{job_id=\"2\",host=\"c1\",user=\"root\"}"), 1000);
    assert_double_exact(tu_sample(t, "slurm_job_trace_pid{job_id=\"2\",host=\"c1\",user=\"root\"}"),
                        42);
    assert_double_exact(tu_sample(t, "slurm_job_trace_last_update_timestamp_seconds{job_id=\"2\","
                                     "host=\"c2\",user=\"root\"}"),
                        1795424691);
    /* not posted: no series */
    assert_false(tu_has_line(t, "slurm_job_trace_threads{job_id=\"2\",host=\"c2\""));
    /* a cancelled job is gone; a job newer than the snapshot is shown without allocation */
    assert_false(tu_has_line(t, "slurm_job_trace_cpu_usage{job_id=\"9\""));
    assert_double_exact(
        tu_sample(t, "slurm_job_trace_cpu_usage{job_id=\"77\",host=\"new\",user=\"\"}"), 1);
    assert_false(tu_has_line(t, "slurm_job_allocated_cpus{job_id=\"77\"}"));
    assert_double_exact(tu_sample(t, "slurm_job_allocated_cpus{job_id=\"2\"}"), 2);
    assert_double_exact(tu_sample(t, "slurm_job_allocated_memory_bytes{job_id=\"2\"}"),
                        4000.0 * 1048576);
    /* rivosinc's names: summed over hosts, percent, MB as 1e6 */
    assert_double_exact(tu_sample(t, "slurm_proc_cpu_usage{jobid=\"2\",username=\"root\"}"), 200);
    assert_double_exact(tu_sample(t, "slurm_proc_mem_usage{jobid=\"2\",username=\"root\"}"), 1024);
    assert_double_exact(tu_sample(t, "slurm_proc_threadcount{jobid=\"2\",username=\"root\"}"), 3);
    assert_double_exact(tu_sample(t, "slurm_proc_pid{jobid=\"2\",hostname=\"c1\"}"), 42);
    assert_false(tu_has_line(t, "slurm_proc_pid{jobid=\"2\",hostname=\"c2\"}"));
    assert_double_exact(tu_sample(t, "slurm_job_cpu_alloc{jobid=\"2\"}"), 2);
    assert_double_exact(tu_sample(t, "slurm_job_mem_alloc{jobid=\"2\"}"), 4000e6);
    assert_false(tu_has_line(t, "slurm_proc_threadcount{jobid=\"77\""));
    free(t);
    /* without compat, no rivosinc names; without jobs, every entry */
    t = render_trace(txt, NULL, 0, 0, NULL);
    assert_false(tu_has_line(t, "slurm_proc_"));
    assert_true(tu_has_line(t, "slurm_job_trace_cpu_usage{job_id=\"9\""));
    assert_false(tu_has_line(t, "slurm_job_allocated_cpus{"));
    free(t);
}

/* Once the store knows the running jobs, posts for other job ids have a
 * share of their own (a quarter of each limit) and cannot take a running
 * job's room; jobs move between the two as the queue changes. */
static void test_store_unqueued_share(void **state)
{
    (void)state;
    struct trace_limits lim = {8, 4, 16, 60};
    struct trace_store *s = trace_store_new(&lim);
    struct trace_post p;
    const uint32_t running[] = {3, 1, 2, 2}; /* any order, repeats */
    trace_store_set_queued(s, running, 4);
    /* made-up ids: two jobs, four entries, then refused */
    p = post(100, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(101, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(102, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_UNQUEUED);
    p = post(100, "b", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(100, "c", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(100, "d", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_UNQUEUED);
    /* the running jobs still get all of theirs */
    for (uint32_t j = 1; j <= 3; j++) {
        for (int h = 0; h < 4; h++) {
            char host[16];
            snprintf(host, sizeof(host), "n%d", h);
            p = post(j, host, 1);
            assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
        }
    }
    struct trace_store_stats st;
    trace_store_stats(s, &st);
    assert_int_equal(st.jobs, 5);
    assert_int_equal(st.entries, 16);
    assert_int_equal(st.jobs_unqueued, 2);
    assert_int_equal(st.entries_unqueued, 4);
    /* job 100 shows up in the queue: it moves to the running jobs' limits,
     * which leaves room in the share */
    const uint32_t later[] = {1, 2, 3, 100};
    trace_store_set_queued(s, later, 4);
    trace_store_stats(s, &st);
    assert_int_equal(st.jobs_unqueued, 1);
    assert_int_equal(st.entries_unqueued, 1);
    p = post(102, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    /* the running jobs' 16 entries are taken (12 + job 100's 3): one more */
    p = post(100, "d", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    p = post(100, "e", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_MAX_HOSTS);
    /* nothing runs any more: every job is in the share, which is over full */
    trace_store_set_queued(s, NULL, 0);
    trace_store_stats(s, &st);
    assert_int_equal(st.jobs_unqueued, st.jobs);
    assert_int_equal(st.entries_unqueued, st.entries);
    p = post(103, "a", 1);
    assert_int_equal(trace_store_put(s, &p, 100), TR_UNQUEUED);
    p = post(1, "n0", 5); /* a known pair is still updated */
    assert_int_equal(trace_store_put(s, &p, 100), TR_ACCEPTED);
    trace_store_free(s);
}

/* ---- memory per entry ----------------------------------------------------------- */

/* Bytes of heap in use, from the allocator: in a sanitized build ASan's count
 * of the bytes the program asked for; otherwise glibc's, which also counts
 * malloc's own per-block overhead and rounding. */
#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void)
{
    return __sanitizer_get_current_allocated_bytes();
}
#define HEAP_HOW "ASan allocator, bytes requested"
#else
#include <malloc.h>
static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
#define HEAP_HOW "glibc mallinfo2, uordblks + hblkhd"
#endif

/* Fills a store of the default limits (10000 jobs, 100000 entries) up to n
 * entries, 10 hosts per job, host and user names of the given lengths, and
 * returns the heap it holds divided by n (store creation included). Checks
 * the store's own count (slurm_exporter_trace_store_bytes) against the
 * allocator's: equal under ASan (both count bytes requested), at most the
 * allocator's figure under glibc. */
static double bytes_per_entry(size_t n, size_t host_len, size_t user_len)
{
    struct trace_limits lim = {10000, 1024, 100000, 3600};
    size_t before = heap_in_use();
    struct trace_store *s = trace_store_new(&lim);
    for (size_t i = 0; i < n; i++) {
        struct trace_post p = post((uint32_t)(i / 10 + 1), "", 1);
        /* node names as a cluster has them: cn00017 ...; users user042 ... */
        snprintf(p.hostname, sizeof(p.hostname), "cn%0*zu", (int)(host_len - 2), i % 5000);
        snprintf(p.username, sizeof(p.username), "user%0*zu", (int)(user_len - 4), i / 10 % 700);
        if (trace_store_put(s, &p, 1000) != TR_ACCEPTED)
            fail_msg("entry %zu refused", i);
    }
    size_t after = heap_in_use();
    struct trace_store_stats st;
    trace_store_stats(s, &st);
    trace_store_free(s);
    assert_int_equal(st.entries, n);
#if defined(__SANITIZE_ADDRESS__)
    assert_int_equal(st.bytes, after - before);
#else
    assert_true(st.bytes <= after - before);
#endif
    return (double)(after - before) / (double)n;
}

/* What an entry costs, measured from the allocator (not computed from struct
 * sizes): docs/tracing.md quotes these figures and this test keeps them true. */
static void test_store_bytes_per_entry(void **state)
{
    (void)state;
    double full = bytes_per_entry(100000, 7, 7);
    double part = bytes_per_entry(40000, 7, 7);
    double longest = bytes_per_entry(100000, MAX_LABEL_LEN, MAX_LABEL_LEN);
    printf("trace store (%s): %.0f bytes per entry full, %.0f at 40%% full, %.0f full with "
           "%d-byte host and user names\n",
           HEAP_HOW, full, part, longest, MAX_LABEL_LEN);
    /* the figures docs/tracing.md gives: 129, 139, 369 with glibc (release
     * build); 113, 123, 355 bytes requested under ASan */
#if defined(__SANITIZE_ADDRESS__)
    const double want[3] = {114, 124, 356};
#else
    const double want[3] = {130, 140, 370};
#endif
    if (full > want[0] || part > want[1] || longest > want[2])
        fail_msg("an entry costs more than docs/tracing.md says: %.0f, %.0f, %.0f", full, part,
                 longest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_rivosinc_body),
        cmocka_unit_test(test_json_accepts),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_json_out_of_range),
        cmocka_unit_test(test_store_overwrite_and_isolation),
        cmocka_unit_test(test_store_limits),
        cmocka_unit_test(test_store_ttl),
        cmocka_unit_test(test_store_job_ended),
        cmocka_unit_test(test_store_cluster_claim),
        cmocka_unit_test(test_collector),
        cmocka_unit_test(test_store_unqueued_share),
        cmocka_unit_test(test_store_bytes_per_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
