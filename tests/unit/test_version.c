/* SPDX-License-Identifier: Apache-2.0 */
/* The version source (scontrol --version of Slurm 22.05, 24.11 and 26.05,
 * recorded in tests/fixtures/versions/) and its collector: the release read,
 * the refresh's verdict on odd output (empty, garbage, long, several lines),
 * and the one series it renders. */
#include "testutil.h"

#include "model/version.h"

#define S(text) text, sizeof(text) - 1

/* The refresh of buf as the poller runs it: *rc gets its verdict. */
static struct dataset_result *run(const char *buf, size_t len, struct parse_stats *st, int *rc)
{
    return tu_result_run(DS_VERSION, buf, len, st, rc);
}

static const char *version_of(const struct dataset_result *r)
{
    return r->u.version->version;
}

/* What the collector writes for r (NULL: the dataset is absent). */
static char *render(const struct dataset_result *r)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = 1795424700.0;
    v.series_limit = 100000;
    v.ds[DS_VERSION] = r;
    struct render rr;
    memset(&rr, 0, sizeof(rr));
    struct collect_out o = {0};
    collect_version(&v, &rr, &o);
    char *t = strdup(buf_cstr(&rr.text));
    render_free(&rr);
    return t;
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Reads a recorded output and checks the release against the line's second
 * word, split here independently of the parser. */
static void check_recorded(const char *rel, const char *want)
{
    size_t len;
    char *buf = tu_read_rel(rel, &len);
    char word[2][64];
    assert_int_equal(sscanf(buf, "%63s %63s", word[0], word[1]), 2);
    assert_string_equal(word[1], want); /* the fixture is the release named */
    struct parse_stats st;
    int rc;
    struct dataset_result *r = run(buf, len, &st, &rc);
    free(buf);
    assert_int_equal(rc, 0);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.lines, 1);
    assert_string_equal(version_of(r), want);
    char *t = render(r);
    char series[128];
    snprintf(series, sizeof(series), "slurm_exporter_slurm_info{version=\"%s\"}", want);
    assert_double_exact(tu_sample(t, series), 1);
    assert_int_equal(count_lines_with(t, "\nslurm_exporter_slurm_info{"), 1);
    assert_true(tu_has_line(t, "# TYPE slurm_exporter_slurm_info gauge"));
    free(t);
    tu_result_free(r);
}

static void test_recorded_outputs(void **state)
{
    (void)state;
    check_recorded("tests/fixtures/versions/22.05.txt", "22.05.8");
    check_recorded("tests/fixtures/versions/24.11.txt", "24.11.5");
    check_recorded("tests/fixtures/versions/26.05.txt", "26.05.5");
}

/* The command and arguments: scontrol --version, never -M (the local
 * client's release is the same for every cluster), polled for each cluster
 * and again on SIGHUP. */
static void test_source_def(void **state)
{
    (void)state;
    const struct source_def *s = sources[DS_VERSION];
    assert_string_equal(s->command, "scontrol");
    assert_string_equal(s->args[0], "--version");
    assert_null(s->args[1]);
    assert_false(s->clusters);
    assert_true(s->every_cluster);
    assert_true(s->on_reload);
    assert_string_equal(dataset_names[DS_VERSION], "version");
}

/* Forms Slurm prints beside the recorded ones: SchedMD's package name, a
 * release candidate, CRLF, blank lines around, several spaces. */
static void test_other_good_forms(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"slurm 22.05.8\n", "22.05.8"},
        {"slurm 23.02.0-0rc1\n", "23.02.0-0rc1"},
        {"slurm 24.05.3\r\n", "24.05.3"},
        {"\n\nslurm-wlm 24.11.5\n\n", "24.11.5"},
        {"slurm-wlm   25.05.1   \n", "25.05.1"},
        {"slurm 24.11.5", "24.11.5"}, /* no final newline */
        {"slurm 24.11.5\nslurm 24.11.5\n", "24.11.5"},
        {"slurm 20.11.9-1.el8+local_2~x\n", "20.11.9-1.el8+local_2~x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;
        struct parse_stats st;
        struct dataset_result *r = run(cases[i].in, strlen(cases[i].in), &st, &rc);
        if (rc != 0 || strcmp(version_of(r), cases[i].want) != 0)
            fail_msg("case %zu: rc %d version \"%s\", expected \"%s\" (%s)", i, rc, version_of(r),
                     cases[i].want, st.first_error);
        assert_int_equal(st.errors, 0);
        tu_result_free(r);
    }
}

/* Output that is not one "slurm RELEASE" line fails the refresh: no version,
 * no series, never a guess. */
static void test_refused(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",
        "\n\n  \n",
        "slurm\n",
        "slurm \n",
        "slurm-wlm\n",
        "22.05.8\n",
        "scontrol: error: Unable to contact slurm controller\n",
        "slurm 24\n",
        "slurm 24.\n",
        "slurm .11.5\n",
        "slurm x24.11.5\n",
        "slurm 24.x11\n",
        "slurm 24.11.5 (extra)\n",
        "slurm 24.11.5\"} 1\n",
        "slurm 24.11.5\xff\n",
        "slurm\t24.11.5\n",
        "notslurm 24.11.5\n",
        "Slurm version 24.11.5\n",
        "slurm/wlm 24.11.5\n",
        "slurm 22.05.8\nslurm 24.11.5\n", /* two releases: which one runs? */
        "banner\nnoise\nslurm 24.11.5\n", /* mostly unreadable */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;
        struct parse_stats st;
        struct dataset_result *r = run(cases[i], strlen(cases[i]), &st, &rc);
        if (rc != -EPROTO)
            fail_msg("case %zu: rc %d version \"%s\", expected a failed refresh", i, rc,
                     version_of(r));
        assert_true(st.errors >= 1);
        assert_true(st.first_error[0] != '\0');
        tu_result_free(r);
        /* what the poller serves of it: nothing, so no series */
        r = tu_served_from(DS_VERSION, cases[i], strlen(cases[i]));
        assert_null(r);
        char *t = render(r);
        assert_false(strstr(t, "slurm_exporter_slurm_info"));
        free(t);
    }
}

/* One stray line beside the version line is skipped and counted, as any
 * parser skips a minority of bad lines. */
static void test_one_stray_line(void **state)
{
    (void)state;
    int rc;
    struct parse_stats st;
    struct dataset_result *r = run(S("site wrapper 1.0\nslurm-wlm 24.11.5\n"), &st, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(st.lines, 2);
    assert_int_equal(st.errors, 1);
    assert_string_equal(version_of(r), "24.11.5");
    tu_result_free(r);
}

/* A release as long as the model keeps is taken; one byte more, or a huge
 * line, or NUL bytes, is refused without reading past the line. */
static void test_lengths_and_bytes(void **state)
{
    (void)state;
    char line[16 + SLURM_VERSION_MAX + 8];
    char rel[SLURM_VERSION_MAX + 2];
    memset(rel, '1', sizeof(rel));
    rel[2] = '.';
    rel[SLURM_VERSION_MAX] = '\0';
    int n = snprintf(line, sizeof(line), "slurm %s\n", rel);
    int rc;
    struct parse_stats st;
    struct dataset_result *r = run(line, (size_t)n, &st, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(version_of(r), rel);
    assert_int_equal(strlen(version_of(r)), SLURM_VERSION_MAX);
    tu_result_free(r);

    rel[SLURM_VERSION_MAX] = '1';
    rel[SLURM_VERSION_MAX + 1] = '\0';
    n = snprintf(line, sizeof(line), "slurm %s\n", rel);
    r = run(line, (size_t)n, &st, &rc);
    assert_int_equal(rc, -EPROTO);
    assert_string_equal(version_of(r), "");
    tu_result_free(r);

    size_t big = 1u << 20;
    char *huge = malloc(big);
    assert_non_null(huge);
    memcpy(huge, "slurm 24.11.", 12);
    memset(huge + 12, '5', big - 12);
    r = run(huge, big, &st, &rc);
    assert_int_equal(rc, -EPROTO);
    assert_string_equal(version_of(r), "");
    assert_true(strlen(st.first_error) < sizeof(st.first_error));
    tu_result_free(r);
    memset(huge, ' ', big); /* one huge blank line: no version line at all */
    r = run(huge, big, &st, &rc);
    assert_int_equal(rc, -EPROTO);
    tu_result_free(r);
    free(huge);

    static const char nul[] = "slurm 24.11\0.5\n";
    r = run(nul, sizeof(nul) - 1, &st, &rc);
    assert_int_equal(rc, -EPROTO);
    assert_string_equal(version_of(r), "");
    tu_result_free(r);
}

/* A failed command (timeout, exit status) is reported as that: the output it
 * printed before is not served either. */
static void test_failed_command(void **state)
{
    (void)state;
    struct parse_stats st;
    int rc;
    struct dataset_result *r =
        tu_result_run_rc(DS_VERSION, S("slurm 24.11.5\n"), -ETIMEDOUT, &st, &rc);
    assert_int_equal(rc, -ETIMEDOUT);
    tu_result_free(r);
}

/* No data (never fetched, withdrawn): no series. */
static void test_absent(void **state)
{
    (void)state;
    char *t = render(NULL);
    assert_string_equal(t, "");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_outputs), cmocka_unit_test(test_source_def),
        cmocka_unit_test(test_other_good_forms), cmocka_unit_test(test_refused),
        cmocka_unit_test(test_one_stray_line),   cmocka_unit_test(test_lengths_and_bytes),
        cmocka_unit_test(test_failed_command),   cmocka_unit_test(test_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
