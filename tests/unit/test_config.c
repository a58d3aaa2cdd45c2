/* SPDX-License-Identifier: Apache-2.0 */
/* Command-line parsing: defaults, good flags, and every bad case returning 2
 * after one line on stderr that names the flag; durations and sizes. */
#include "testutil.h"

#include "config.h"

#include <time.h>

#define MAXARGS 32

struct outcome {
    int rc;
    char *out, *err;
};

/* Parses the NULL-terminated argument list (after argv[0]) into cfg. */
static struct outcome parse_args(struct config *cfg, const char *const *args)
{
    char *argv[MAXARGS];
    int argc = 0;
    argv[argc++] = (char *)"slurm_exporter";
    for (size_t i = 0; args[i]; i++) {
        assert_true(argc < MAXARGS - 1);
        argv[argc++] = (char *)args[i];
    }
    argv[argc] = NULL;
    struct outcome o = {0};
    size_t ol = 0, el = 0;
    FILE *out = open_memstream(&o.out, &ol);
    FILE *err = open_memstream(&o.err, &el);
    assert_non_null(out);
    assert_non_null(err);
    o.rc = config_parse(cfg, argc, argv, out, err);
    fclose(out);
    fclose(err);
    return o;
}

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void ok(struct config *cfg, const char *const *args)
{
    struct outcome o = parse_args(cfg, args);
    if (o.rc != 0)
        fail_msg("rc %d, stderr: %s", o.rc, o.err);
    assert_string_equal(o.err, "");
    outcome_free(&o);
}

/* rc 2, exactly one line on stderr, naming `flag`. */
static void bad(const char *flag, const char *const *args)
{
    struct config cfg;
    struct outcome o = parse_args(&cfg, args);
    if (o.rc != 2)
        fail_msg("%s: rc %d, expected 2 (stderr: %s)", args[0], o.rc, o.err);
    size_t len = strlen(o.err);
    const char *nl = strchr(o.err, '\n');
    if (len == 0 || !nl || nl != o.err + len - 1)
        fail_msg("%s: stderr is not exactly one line: \"%s\"", args[0], o.err);
    if (!strstr(o.err, flag))
        fail_msg("%s: stderr does not name %s: \"%s\"", args[0], flag, o.err);
    assert_string_equal(o.out, "");
    outcome_free(&o);
}

static void test_defaults(void **state)
{
    (void)state;
    struct config cfg;
    const char *none[] = {NULL};
    ok(&cfg, none);
    assert_int_equal(cfg.nlisten, 1);
    assert_string_equal(cfg.listen[0], ":9341");
    assert_string_equal(cfg.telemetry_path, "/metrics");
    assert_int_equal(cfg.max_requests, 40);
    assert_double_exact(cfg.web_timeout, 10);
    assert_double_exact(cfg.slurm_timeout, 30);
    assert_double_exact(cfg.max_age, 120);
    assert_double_exact(cfg.poll_interval[DS_JOBS], 30);
    assert_double_exact(cfg.poll_interval[DS_NODES], 30);
    assert_double_exact(cfg.poll_interval[DS_PARTITIONS], 60);
    assert_int_equal(cfg.max_output, 256u << 20);
    assert_int_equal(cfg.series_limit, 100000);
    assert_string_equal(cfg.bin_path, "");
    assert_false(cfg.disable_defaults);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.log_format, LOG_LOGFMT);
    for (int c = 0; c < COLLECTOR_COUNT; c++)
        assert_int_equal(cfg.collector_on[c], collectors[c].default_on);
}

static void test_good_flags(void **state)
{
    (void)state;
    struct config cfg;
    ok(&cfg,
       ARGS("--web.listen-address=127.0.0.1:9999", "--web.telemetry-path", "/m",
            "--web.max-requests=7", "--web.timeout=1m30s", "--log.level=debug", "--log.format",
            "json", "--slurm.bin-path=/opt/slurm/bin", "--slurm.timeout=250ms",
            "--slurm.max-age=5m", "--slurm.max-output=1GiB", "--collector.series-limit=5",
            "--no-collector.partitions", "--slurm.poll-interval.nodes=15s"));
    assert_int_equal(cfg.nlisten, 1);
    assert_string_equal(cfg.listen[0], "127.0.0.1:9999");
    assert_string_equal(cfg.telemetry_path, "/m");
    assert_int_equal(cfg.max_requests, 7);
    assert_double_exact(cfg.web_timeout, 90);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(cfg.log_format, LOG_JSON);
    assert_string_equal(cfg.bin_path, "/opt/slurm/bin");
    assert_double_exact(cfg.slurm_timeout, 0.25);
    assert_double_exact(cfg.max_age, 300);
    assert_int_equal(cfg.max_output, 1073741824);
    assert_int_equal(cfg.series_limit, 5);
    assert_true(cfg.collector_on[COLLECTOR_jobs]);
    assert_true(cfg.collector_on[COLLECTOR_nodes]);
    assert_false(cfg.collector_on[COLLECTOR_partitions]);
    assert_double_exact(cfg.poll_interval[DS_NODES], 15);
    assert_double_exact(cfg.poll_interval[DS_JOBS], 30);

    struct outcome o = parse_args(&cfg, ARGS("--help"));
    assert_int_equal(o.rc, 1);
    assert_non_null(strstr(o.out, "--web.listen-address"));
    assert_non_null(strstr(o.out, "--collector.jobs"));
    outcome_free(&o);
    o = parse_args(&cfg, ARGS("--version"));
    assert_int_equal(o.rc, 1);
    assert_non_null(strstr(o.out, "slurm_exporter " SE_VERSION));
    outcome_free(&o);
}

static void test_bad_flags(void **state)
{
    (void)state;
    bad("--bogus", ARGS("--bogus"));
    bad("--bogus", ARGS("--bogus=1"));
    bad("web.timeout", ARGS("--web.timeout=abc"));
    bad("web.timeout", ARGS("--web.timeout=0s"));
    bad("slurm.timeout", ARGS("--slurm.timeout=-5s"));
    bad("slurm.max-age", ARGS("--slurm.max-age=10x"));
    bad("web.timeout", ARGS("--web.timeout"));       /* missing value */
    bad("slurm.bin-path", ARGS("--slurm.bin-path")); /* missing value */
    bad("no-collector.bogus", ARGS("--no-collector.bogus"));
    bad("collector.bogus", ARGS("--collector.bogus"));
    bad("collector.jobs", ARGS("--collector.jobs=1")); /* takes no value */
    bad("no-collector.nodes", ARGS("--no-collector.nodes=false"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=metrics"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/-/ready"));
    bad("web.listen-address", ARGS("--web.listen-address=localhost"));
    bad("web.listen-address", ARGS("--web.listen-address="));
    bad("web.listen-address", ARGS("--web.listen-address=127.0.0.1:99999"));
    bad("web.listen-address", ARGS("--web.listen-address=127.0.0.1:65536"));
    bad("web.listen-address", ARGS("--web.listen-address=127.0.0.1:0"));
    bad("web.listen-address", ARGS("--web.listen-address=127.0.0.1:"));
    bad("web.listen-address", ARGS("--web.listen-address=:+80"));
    bad("web.listen-address", ARGS("--web.listen-address=:0x50"));
    bad("web.listen-address", ARGS("--web.listen-address=::1:80"));
    bad("web.listen-address", ARGS("--web.listen-address=[::1:80"));
    bad("web.listen-address", ARGS("--web.listen-address=a b:80"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/met rics"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/a//b"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/metrics/"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/a/../b"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/./a"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/a?x=1"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/a#x"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/a%20b"));
    bad("web.telemetry-path", ARGS("--web.telemetry-path=/a\tb"));
    bad("trace.path", ARGS("--trace.path=/tr ace"));
    bad("trace.path", ARGS("--trace.path=/trace/"));
    bad("slurm.poll-interval.jobs", ARGS("--slurm.poll-interval.jobs=1e20"));
    bad("slurm.poll-interval.jobs", ARGS("--slurm.poll-interval.jobs=25h"));
    bad("slurm.poll-interval", ARGS("--slurm.poll-interval=2d"));
    bad("slurm.timeout", ARGS("--slurm.timeout=2h"));
    bad("slurm.timeout", ARGS("--slurm.timeout=0x10"));
    bad("slurm.timeout", ARGS("--slurm.timeout=1.5"));
    bad("slurm.timeout", ARGS("--slurm.timeout=1e-9s"));
    bad("slurm.timeout", ARGS("--slurm.timeout=0"));
    bad("slurm.max-age", ARGS("--slurm.max-age=8d"));
    bad("web.timeout", ARGS("--web.timeout=61m"));
    bad("web.write-timeout", ARGS("--web.write-timeout=1e23"));
    bad("web.read-header-timeout", ARGS("--web.read-header-timeout=2h"));
    bad("accounting.overlap", ARGS("--accounting.overlap=25h"));
    bad("trace.ttl", ARGS("--trace.ttl=2d"));
    bad("accounting.since", ARGS("--accounting.since=1e9"));
    bad("accounting.since", ARGS("--accounting.since=1000000000s"));
    bad("accounting.since", ARGS("--accounting.since=32d"));
    bad("accounting.since", ARGS("--accounting.since=1995-01-01T00:00:00Z"));
    bad("web.max-requests", ARGS("--web.max-requests=0"));
    bad("web.max-requests", ARGS("--web.max-requests=12x"));
    bad("web.max-requests", ARGS("--web.max-requests=20000"));
    bad("collector.series-limit", ARGS("--collector.series-limit=-1"));
    bad("slurm.poll-interval", ARGS("--slurm.poll-interval=50ms"));
    bad("slurm.poll-interval.jobs", ARGS("--slurm.poll-interval.jobs=soon"));
    bad("slurm.max-output", ARGS("--slurm.max-output=lots"));
    bad("slurm.max-output", ARGS("--slurm.max-output=0"));
    bad("log.level", ARGS("--log.level=trace"));
    bad("log.format", ARGS("--log.format=xml"));
    bad("collector.disable-defaults", ARGS("--collector.disable-defaults=maybe"));
    bad("positional", ARGS("positional"));
    bad("-x", ARGS("-x"));
    /* the first bad flag stops parsing; good ones before it do not matter */
    bad("--nope", ARGS("--web.timeout=5s", "--nope", "--also-bad"));
}

/* The largest value of each bounded flag is taken; paths and addresses at
 * the edge of what is allowed are too. */
static void test_bounds(void **state)
{
    (void)state;
    struct config cfg;
    ok(&cfg, ARGS("--slurm.poll-interval.jobs=24h", "--slurm.poll-interval.nodes=100ms",
                  "--slurm.timeout=1h", "--slurm.max-age=7d", "--web.timeout=1h",
                  "--accounting.overlap=1d", "--trace.ttl=1d", "--accounting.since=31d"));
    assert_double_exact(cfg.poll_interval[DS_JOBS], 86400);
    assert_double_exact(cfg.poll_interval[DS_NODES], 0.1);
    assert_double_exact(cfg.slurm_timeout, 3600);
    assert_double_exact(cfg.max_age, 7 * 86400);
    ok(&cfg, ARGS("--web.telemetry-path=/v1/metrics_x-y.z~", "--trace.path=/api/trace:post@1",
                  "--web.listen-address=127.0.0.1:65535", "--web.listen-address=[::1]:1",
                  "--web.listen-address=localhost:9341"));
    assert_string_equal(cfg.telemetry_path, "/v1/metrics_x-y.z~");
    assert_int_equal(cfg.nlisten, 3);
    assert_int_equal(config_resolve_listen(&cfg, stderr), 0);
}

/* --compat.azure.reset-time: Azure's --reset-time forms. Relative ones are a
 * window that slides with the clock; absolute ones a fixed start, UTC
 * unless an offset is given. */
static void test_azure_reset_time_forms_and_bounds(void **state)
{
    (void)state;
    const double now = 1795424700; /* 2026-11-23T09:05:00Z */
    static const struct {
        const char *in;
        double window, at;
    } good[] = {
        {"24 hours ago", 86400, 0},
        {"1 hour ago", 3600, 0},
        {"7 days ago", 7 * 86400, 0},
        {"1 week ago", 7 * 86400, 0},
        {"2 weeks ago", 14 * 86400, 0},
        {"90 minutes ago", 5400, 0},
        {"1 second ago", 1, 0},
        {"  3  Days   AGO ", 3 * 86400, 0},
        {"366 days ago", 366 * 86400, 0},
        {"2026-01-26", 0, 1769385600},
        {"2026-01-26T12:00:00", 0, 1769428800},
        {"2026-01-26 12:00:00", 0, 1769428800},
        {"2026-01-26T12:00:00Z", 0, 1769428800},
        {"2026-01-26T13:00:00+01:00", 0, 1769428800},
        {"2026-01-26T07:00:00-05:00", 0, 1769428800},
        {"2026-01-26T12:00:00.750", 0, 1769428800},
        {"2026-11-23T09:05:00", 0, now},
        {"2025-11-22T09:05:00Z", 0, now - 366 * 86400},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        double w = -1, t = -1;
        if (config_parse_reset_time(good[i].in, now, &w, &t) != 0)
            fail_msg("\"%s\" refused", good[i].in);
        if (w != good[i].window || t != good[i].at)
            fail_msg("\"%s\": window %g at %.0f, expected %g and %.0f", good[i].in, w, t,
                     good[i].window, good[i].at);
    }
    static const char *const badv[] = {
        "",
        "24h",               /* our durations are not one of Azure's forms */
        "now-24hours",       /* sacct's form, not Azure's */
        "24 hours",          /* no "ago" */
        "hours ago",         /* no number */
        "-1 hours ago",      /* no sign */
        "0 hours ago",       /* an empty window */
        "1.5 hours ago",     /* whole numbers */
        "24 hour sago",      /* words apart */
        "24 fortnights ago", /* unknown unit */
        "24 hoursago",       /* no space */
        "24 hours ago now",  /* trailing words */
        "367 days ago",      /* over 366 days */
        "53 weeks ago",
        "9999999999 seconds ago",
        "2026-11-23T09:05:02Z", /* after now */
        "2027-01-01",
        "2025-11-22T09:04:59Z", /* more than 366 days back */
        "2026-13-01",
        "2026-02-30",
        "2026-01-26T12:00", /* no seconds */
        "2026-01-26T25:00:00",
        "2026-01-26X12:00:00",
        "26-01-2026",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
        double w = -1, t = -1;
        if (config_parse_reset_time(badv[i], now, &w, &t) == 0)
            fail_msg("\"%s\" taken: window %g at %.0f", badv[i], w, t);
    }
    /* the flag: the default is Azure's, bad values exit 2 naming the flag */
    struct config cfg;
    const char *none[] = {NULL};
    ok(&cfg, none);
    assert_double_exact(cfg.azure_reset_window, 86400);
    assert_double_exact(cfg.azure_reset_at, 0);
    ok(&cfg, ARGS("--compat=azure", "--compat.azure.reset-time", "1 week ago"));
    assert_double_exact(cfg.azure_reset_window, 7 * 86400);
    char arg[96];
    time_t hour_ago = time(NULL) - 3600;
    struct tm tm;
    gmtime_r(&hour_ago, &tm);
    strftime(arg, sizeof(arg), "--compat.azure.reset-time=%Y-%m-%dT%H:%M:%S", &tm);
    ok(&cfg, ARGS("--compat=azure", arg));
    assert_double_exact(cfg.azure_reset_window, 0);
    assert_double_exact(cfg.azure_reset_at, (double)hour_ago);
    bad("compat.azure.reset-time", ARGS("--compat.azure.reset-time=1970-01-01T00:00:00Z"));
    bad("compat.azure.reset-time", ARGS("--compat.azure.reset-time=24 hours"));
    bad("compat.azure.reset-time", ARGS("--compat.azure.reset-time=2999-01-01"));
    bad("compat.azure.reset-time", ARGS("--compat.azure.reset-time=400 days ago"));
    bad("compat.azure.reset-time", ARGS("--compat.azure.reset-time"));
    struct outcome o = parse_args(&cfg, ARGS("--help"));
    assert_non_null(strstr(o.out, "--compat.azure.reset-time=VALUE"));
    assert_non_null(strstr(o.out, "(default: 24 hours ago)"));
    outcome_free(&o);
}

static void test_interval_precedence(void **state)
{
    (void)state;
    struct config cfg;
    ok(&cfg, ARGS("--slurm.poll-interval=10s", "--slurm.poll-interval.jobs=5s"));
    assert_double_exact(cfg.poll_interval[DS_JOBS], 5);
    assert_double_exact(cfg.poll_interval[DS_NODES], 10);
    assert_double_exact(cfg.poll_interval[DS_PARTITIONS], 10);
    ok(&cfg, ARGS("--slurm.poll-interval.jobs=5s", "--slurm.poll-interval=10s"));
    assert_double_exact(cfg.poll_interval[DS_JOBS], 5);
    assert_double_exact(cfg.poll_interval[DS_NODES], 10);
    assert_double_exact(cfg.poll_interval[DS_PARTITIONS], 10);
    ok(&cfg, ARGS("--slurm.poll-interval.partitions", "2m"));
    assert_double_exact(cfg.poll_interval[DS_JOBS], 30);
    assert_double_exact(cfg.poll_interval[DS_PARTITIONS], 120);
    /* the last of repeated flags wins */
    ok(&cfg, ARGS("--slurm.poll-interval=10s", "--slurm.poll-interval=20s"));
    assert_double_exact(cfg.poll_interval[DS_NODES], 20);
}

static void test_collectors(void **state)
{
    (void)state;
    struct config cfg;
    ok(&cfg, ARGS("--collector.disable-defaults", "--collector.nodes"));
    assert_true(cfg.disable_defaults);
    assert_false(cfg.collector_on[COLLECTOR_jobs]);
    assert_true(cfg.collector_on[COLLECTOR_nodes]);
    assert_false(cfg.collector_on[COLLECTOR_partitions]);
    /* order does not matter */
    ok(&cfg, ARGS("--collector.nodes", "--collector.disable-defaults"));
    assert_false(cfg.collector_on[COLLECTOR_jobs]);
    assert_true(cfg.collector_on[COLLECTOR_nodes]);
    ok(&cfg, ARGS("--collector.disable-defaults=false", "--no-collector.jobs"));
    assert_false(cfg.collector_on[COLLECTOR_jobs]);
    assert_true(cfg.collector_on[COLLECTOR_nodes]);
    assert_true(cfg.collector_on[COLLECTOR_partitions]);
    /* the last of --collector.X / --no-collector.X wins */
    ok(&cfg, ARGS("--no-collector.jobs", "--collector.jobs"));
    assert_true(cfg.collector_on[COLLECTOR_jobs]);
    ok(&cfg, ARGS("--collector.jobs", "--no-collector.jobs"));
    assert_false(cfg.collector_on[COLLECTOR_jobs]);
}

static void test_listen_addresses(void **state)
{
    (void)state;
    struct config cfg;
    ok(&cfg, ARGS("--web.listen-address=:1", "--web.listen-address", "127.0.0.1:2",
                  "--web.listen-address=[::1]:3"));
    assert_int_equal(cfg.nlisten, 3); /* the default is replaced, not kept */
    assert_string_equal(cfg.listen[0], ":1");
    assert_string_equal(cfg.listen[1], "127.0.0.1:2");
    assert_string_equal(cfg.listen[2], "[::1]:3");
    const char *many[MAX_LISTEN + 2];
    static const char *const addrs[] = {
        "--web.listen-address=:1", "--web.listen-address=:2", "--web.listen-address=:3",
        "--web.listen-address=:4", "--web.listen-address=:5", "--web.listen-address=:6",
        "--web.listen-address=:7", "--web.listen-address=:8", "--web.listen-address=:9"};
    for (int i = 0; i < MAX_LISTEN; i++)
        many[i] = addrs[i];
    many[MAX_LISTEN] = NULL;
    ok(&cfg, many);
    assert_int_equal(cfg.nlisten, MAX_LISTEN);
    many[MAX_LISTEN] = addrs[MAX_LISTEN];
    many[MAX_LISTEN + 1] = NULL;
    bad("web.listen-address", many);
}

static double dur(const char *s)
{
    double d = -99;
    if (config_parse_duration(s, &d) != 0)
        fail_msg("config_parse_duration(\"%s\") failed", s);
    return d;
}

static void dur_bad(const char *s)
{
    double d = -99;
    if (config_parse_duration(s, &d) != -1)
        fail_msg("config_parse_duration(\"%s\") accepted (%g)", s, d);
    assert_double_exact(d, -99);
}

static void test_duration(void **state)
{
    (void)state;
    assert_double_exact(dur("1m30s"), 90);
    assert_double_exact(dur("250ms"), 0.25);
    assert_double_exact(dur("2h"), 7200);
    assert_double_exact(dur("0"), 0); /* the one bare number */
    assert_double_exact(dur("1.5m"), 90);
    assert_double_exact(dur("0.001s"), 0.001);
    assert_double_exact(dur("1.2500s"), 1.25);
    assert_double_exact(dur("1d2h3m4s5ms"), 93784.005);
    assert_double_exact(dur("366d"), 366 * 86400.0);
    assert_double_exact(dur("30s"), 30);
    assert_double_exact(dur("1d"), 86400);
    assert_double_exact(dur("1.5s"), 1.5);
    assert_double_exact(dur("1h2m3s"), 3723);
    assert_double_exact(dur("0s"), 0);
    dur_bad("abc");
    dur_bad("");
    dur_bad("-5s");
    dur_bad("5x");
    dur_bad("1m30");
    dur_bad("30 s");
    dur_bad("ms");
    dur_bad("inf");
    dur_bad("nan");
    dur_bad("5min");
    /* no bare numbers, exponents, hex, signs or spaces; units largest first, once each;
     * nothing finer than a millisecond; nothing over 366 days */
    dur_bad("45");
    dur_bad("1.5");
    dur_bad("00");
    dur_bad("0x10");
    dur_bad("0x10s");
    dur_bad("1e23");
    dur_bad("1e3s");
    dur_bad("1e-9s");
    dur_bad("+5s");
    dur_bad(" 5s");
    dur_bad("5s ");
    dur_bad("1.s");
    dur_bad(".5s");
    dur_bad("1s1s");
    dur_bad("1s1m");
    dur_bad("5ms1s");
    dur_bad("0.0001s");
    dur_bad("0.5ms");
    dur_bad("1.0000000001s");
    dur_bad("367d");
    dur_bad("999999999999h");
    dur_bad("9999999999999s");
    assert_int_equal(config_parse_duration(NULL, &(double){0}), -1);
}

static void test_size(void **state)
{
    (void)state;
    size_t s = 0;
    assert_int_equal(config_parse_size("256MiB", &s), 0);
    assert_int_equal(s, 268435456);
    assert_int_equal(config_parse_size("1GiB", &s), 0);
    assert_int_equal(s, 1073741824);
    assert_int_equal(config_parse_size("4096", &s), 0);
    assert_int_equal(s, 4096);
    assert_int_equal(config_parse_size("10B", &s), 0);
    assert_int_equal(s, 10);
    assert_int_equal(config_parse_size("2KiB", &s), 0);
    assert_int_equal(s, 2048);
    assert_int_equal(config_parse_size("1KB", &s), 0);
    assert_int_equal(s, 1000);
    assert_int_equal(config_parse_size("3MB", &s), 0);
    assert_int_equal(s, 3000000);
    assert_int_equal(config_parse_size("2GB", &s), 0);
    assert_int_equal(s, 2000000000);
    assert_int_equal(config_parse_size("1.5MiB", &s), 0);
    assert_int_equal(s, 1572864);
    s = 77;
    assert_int_equal(config_parse_size("abc", &s), -1);
    assert_int_equal(config_parse_size("", &s), -1);
    assert_int_equal(config_parse_size("-1", &s), -1);
    assert_int_equal(config_parse_size("10XB", &s), -1);
    assert_int_equal(config_parse_size("10 MiB", &s), -1);
    assert_int_equal(config_parse_size("10mib", &s), -1);
    assert_int_equal(config_parse_size("2e15", &s), -1); /* over the 1e15 cap */
    assert_int_equal(s, 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_good_flags),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_azure_reset_time_forms_and_bounds),
        cmocka_unit_test(test_interval_precedence),
        cmocka_unit_test(test_collectors),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
