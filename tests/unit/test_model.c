/* SPDX-License-Identifier: Apache-2.0 */
/* Unit parsers shared by the sources: Slurm memory sizes, durations,
 * unsigned integers and job states. */
#include "testutil.h"

#include "model.h"

static uint64_t mem_ok(const char *s)
{
    uint64_t b = 0xdeadbeef;
    int rc = parse_slurm_mem(s, strlen(s), &b);
    if (rc != 0)
        fail_msg("parse_slurm_mem(\"%s\") failed", s);
    return b;
}

static void mem_bad(const char *s)
{
    uint64_t b = 12345;
    if (parse_slurm_mem(s, strlen(s), &b) != -1)
        fail_msg("parse_slurm_mem(\"%s\") accepted garbage (%llu)", s, (unsigned long long)b);
    assert_int_equal(b, 12345); /* untouched on failure */
}

static void test_mem_units(void **state)
{
    (void)state;
    assert_int_equal(mem_ok("4G"), 4294967296ULL);
    assert_int_equal(mem_ok("16000M"), 16000ULL * 1048576);
    assert_int_equal(mem_ok("937.50G"), 1006632960000ULL); /* 937.5 * 2^30 */
    assert_int_equal(mem_ok("2000"), 2000ULL * 1048576);   /* no suffix: MiB */
    assert_int_equal(mem_ok("1T"), 1099511627776ULL);
    assert_int_equal(mem_ok("512K"), 524288);
    assert_int_equal(mem_ok("1P"), 1125899906842624ULL);
    assert_int_equal(mem_ok("0"), 0);
    assert_int_equal(mem_ok("0M"), 0);
    assert_int_equal(mem_ok("1.5M"), 1572864);
    assert_int_equal(mem_ok("187.50G"), 201326592000ULL);
}

static void test_mem_garbage(void **state)
{
    (void)state;
    mem_bad("");
    mem_bad("G");
    mem_bad("abc");
    mem_bad("4GB");
    mem_bad("4g");
    mem_bad("-1G");
    mem_bad("1.2.3G");
    mem_bad("4 G");
    mem_bad("N/A");
    mem_bad("nanM");
    mem_bad("16E");
    mem_bad("99999999P"); /* ~1.1e23 bytes: does not fit in 64 bits */
    /* the length is honoured: "4G" cut to "4" is 4 MiB, to "" garbage */
    uint64_t b = 0;
    assert_int_equal(parse_slurm_mem("4Gxyz", 1, &b), 0);
    assert_int_equal(b, 4ULL * 1048576);
    assert_int_equal(parse_slurm_mem("4G", 0, &b), -1);
}

static int64_t dur_ok(const char *s)
{
    int64_t v = 777;
    if (parse_slurm_duration(s, strlen(s), &v) != 0)
        fail_msg("parse_slurm_duration(\"%s\") failed", s);
    return v;
}

static void dur_bad(const char *s)
{
    int64_t v = 777;
    if (parse_slurm_duration(s, strlen(s), &v) != -1)
        fail_msg("parse_slurm_duration(\"%s\") accepted garbage (%lld)", s, (long long)v);
}

static void test_duration_forms(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("30:00"), 1800);
    assert_int_equal(dur_ok("00:10:00"), 600);
    assert_int_equal(dur_ok("2-00:00:00"), 172800);
    assert_int_equal(dur_ok("1-12"), 129600);    /* days-hours */
    assert_int_equal(dur_ok("1-12:30"), 131400); /* days-hours:minutes */
    assert_int_equal(dur_ok("1-02:03:04"), 93784);
    assert_int_equal(dur_ok("5"), 300); /* a bare number is minutes */
    assert_int_equal(dur_ok("0"), 0);
    assert_int_equal(dur_ok("01:00:00"), 3600);
    assert_int_equal(dur_ok("10:05"), 605); /* minutes:seconds */
    assert_int_equal(dur_ok("UNLIMITED"), -1);
    assert_int_equal(dur_ok("INFINITE"), -1);
    assert_int_equal(dur_ok("NONE"), -1);
}

static void test_duration_garbage(void **state)
{
    (void)state;
    dur_bad("");
    dur_bad("abc");
    dur_bad("1:2:3:4");
    dur_bad("1:");
    dur_bad(":30");
    dur_bad("-5");
    dur_bad("1-");
    dur_bad("1-2-3");
    dur_bad("1h");
    dur_bad("unlimited");
    dur_bad("30:00 ");
    dur_bad("99999999999999999999"); /* over 2^64 */
    dur_bad("1000001-00:00:00");     /* more days than the parser allows */
}

/* A number that fits in 64 bits but whose seconds do not must not come back
 * as a (negative) duration: -1 means "unlimited" to the callers. */
static void test_duration_overflow(void **state)
{
    (void)state;
    int64_t v = 0;
    int rc = parse_slurm_duration("153722867280912931", 18, &v);
    if (rc == 0 && v < 0)
        fail_msg("\"153722867280912931\" minutes parsed as %lld seconds", (long long)v);
    rc = parse_slurm_duration("18446744073709551615", 20, &v);
    if (rc == 0 && v < 0)
        fail_msg("\"18446744073709551615\" minutes parsed as %lld seconds", (long long)v);
}

static void test_u64(void **state)
{
    (void)state;
    uint64_t v = 99;
    assert_int_equal(parse_u64("0", 1, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(parse_u64("42", 2, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(parse_u64("18446744073709551615", 20, &v), 0);
    assert_true(v == UINT64_MAX);
    v = 7;
    assert_int_equal(parse_u64("18446744073709551616", 20, &v), -1); /* 2^64 */
    assert_int_equal(parse_u64("18446744073709551620", 20, &v), -1);
    assert_int_equal(parse_u64("99999999999999999999", 20, &v), -1);
    assert_int_equal(parse_u64("123456789012345678901", 21, &v), -1);
    assert_int_equal(v, 7); /* untouched on failure */
    assert_int_equal(parse_u64("", 0, &v), -1);
    assert_int_equal(parse_u64("-1", 2, &v), -1);
    assert_int_equal(parse_u64("+1", 2, &v), -1);
    assert_int_equal(parse_u64("1a", 2, &v), -1);
    assert_int_equal(parse_u64(" 1", 2, &v), -1);
    assert_int_equal(parse_u64("N/A", 3, &v), -1);
    /* only n bytes are read */
    assert_int_equal(parse_u64("123abc", 3, &v), 0);
    assert_int_equal(v, 123);
}

static void test_double(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(parse_double("0.08", 4, &d), 0);
    assert_double_exact(d, 0.08);
    assert_int_equal(parse_double("1.5xyz", 3, &d), 0);
    assert_double_exact(d, 1.5);
    assert_int_equal(parse_double("", 0, &d), -1);
    assert_int_equal(parse_double("abc", 3, &d), -1);
    assert_int_equal(parse_double("inf", 3, &d), -1);
    assert_int_equal(parse_double("nan", 3, &d), -1);
    assert_int_equal(parse_double("1e999", 5, &d), -1);
    assert_int_equal(parse_double("1.0 ", 4, &d), -1);
}

static void test_job_state(void **state)
{
    (void)state;
    assert_int_equal(job_state_parse("PENDING", 7), JOB_PENDING);
    assert_int_equal(JOB_PENDING, 0);
    assert_int_equal(job_state_parse("RUNNING", 7), JOB_RUNNING);
    assert_int_equal(job_state_parse("COMPLETED", 9), JOB_COMPLETED);
    assert_int_equal(job_state_parse("CANCELLED", 9), JOB_CANCELLED);
    assert_int_equal(job_state_parse("OUT_OF_MEMORY", 13), JOB_OUT_OF_MEMORY);
    assert_int_equal(job_state_parse("NODE_FAIL", 9), JOB_NODE_FAIL);
    assert_int_equal(job_state_parse("RESV_DEL_HOLD", 13), JOB_RESV_DEL_HOLD);
    assert_int_equal(job_state_parse("UNKNOWN", 7), JOB_UNKNOWN);
    assert_int_equal(job_state_parse("pending", 7), -1);
    assert_int_equal(job_state_parse("PENDINGX", 8), -1);
    assert_int_equal(job_state_parse("PEND", 4), -1);
    assert_int_equal(job_state_parse("", 0), -1);
    /* the length decides: "RUNNING by x" cut at 7 */
    assert_int_equal(job_state_parse("RUNNING by x", 7), JOB_RUNNING);
    /* names and exposition order */
    assert_string_equal(job_state_names[JOB_PENDING], "pending");
    assert_string_equal(job_state_names[JOB_OUT_OF_MEMORY], "out_of_memory");
    assert_int_equal(JOB_OUT_OF_MEMORY + 1, JOB_STATE_ALWAYS);
    assert_string_equal(job_state_names[JOB_STATE_COUNT - 1], "unknown");
}

static void test_split_list(void **state)
{
    (void)state;
    struct arena a = {0};
    struct strtab t;
    strtab_init(&t, &a);
    struct id_list l;
    split_list(&t, &a, "debug,batch", 11, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(strtab_get(&t, l.ids[0]), "debug");
    assert_string_equal(strtab_get(&t, l.ids[1]), "batch");
    split_list(&t, &a, "batch,,gpu,", 11, &l); /* empty items dropped */
    assert_int_equal(l.n, 2);
    assert_string_equal(strtab_get(&t, l.ids[0]), "batch");
    assert_string_equal(strtab_get(&t, l.ids[1]), "gpu");
    assert_int_equal(strtab_find(&t, "batch", 5), l.ids[0]); /* interned once */
    split_list(&t, &a, "", 0, &l);
    assert_int_equal(l.n, 0);
    strtab_free(&t);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_units),
        cmocka_unit_test(test_mem_garbage),
        cmocka_unit_test(test_duration_forms),
        cmocka_unit_test(test_duration_garbage),
        cmocka_unit_test(test_duration_overflow),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_job_state),
        cmocka_unit_test(test_split_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
