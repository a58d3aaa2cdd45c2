/* SPDX-License-Identifier: Apache-2.0 */
/* The sdiag parser (22.05 fixture, newer-version lines, missing sections,
 * bad and huge numbers), the exporter's counters across Slurm's resets
 * (midnight, sdiag --reset, restart, 32-bit wrap) and the scheduler
 * collector (units, compat names, series limit). */
#include "testutil.h"

#include "config.h"
#include "sources/sdiag.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

/* Parses text into a scheduler result; commits into state when given. */
static struct dataset_result *feed(struct sdiag_state *s, const char *text, struct parse_stats *st)
{
    struct dataset_result *r = dataset_result_new(DS_SCHEDULER);
    struct sdiag_model *m = r->u.sched;
    struct sdiag_parser p;
    sdiag_init(&p, m, &r->arena);
    cli_feed(sdiag_line, &p, text, strlen(text));
    sdiag_finish(&p);
    if (st)
        *st = p.st;
    if (s)
        sdiag_commit(s, m, &r->arena);
    return r;
}

static const struct sdiag_model *M(const struct dataset_result *r)
{
    return r->u.sched;
}

static const struct sdiag_rpc *rpc(const struct sdiag_model *m, const struct sdiag_rpc *rows,
                                   size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(strtab_get(&m->strs, rows[i].name), name) == 0)
            return &rows[i];
    return NULL;
}

static const struct sdiag_rpc_total *
tot(const struct sdiag_model *m, const struct sdiag_rpc_total *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(strtab_get(&m->strs, rows[i].name), name) == 0)
            return &rows[i];
    fail_msg("RPC total %s not found", name);
    return NULL;
}

#define F(m, f) (assert_true(sdiag_has((m), SD_##f)), (m)->v[SD_##f])

static void test_fixture_2205(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/sdiag.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_result_from(DS_SCHEDULER, buf, len, &st);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(F(m, REQ_TIME), 1795423613);
    assert_int_equal(F(m, DATA_SINCE), 1795423601);
    assert_int_equal(F(m, SERVER_THREADS), 3);
    assert_int_equal(F(m, AGENT_QUEUE), 0);
    assert_int_equal(F(m, AGENTS), 0);
    assert_int_equal(F(m, AGENT_THREADS), 0);
    assert_int_equal(F(m, DBD_QUEUE), 0);
    assert_false(sdiag_has(m, SD_RPC_QUEUE_ENABLED));
    assert_int_equal(F(m, JOBS_SUBMITTED), 127);
    assert_int_equal(F(m, JOBS_STARTED), 11);
    assert_int_equal(F(m, JOBS_COMPLETED), 2);
    assert_int_equal(F(m, JOBS_CANCELED), 1);
    assert_int_equal(F(m, JOBS_FAILED), 0);
    assert_int_equal(F(m, JOB_STATES_TS), 1795423601);
    assert_int_equal(F(m, JOBS_PENDING), 9);
    assert_int_equal(F(m, JOBS_RUNNING), 0);
    assert_int_equal(F(m, MAIN_LAST), 42);
    assert_int_equal(F(m, MAIN_MAX), 4044);
    assert_int_equal(F(m, MAIN_CYCLES), 4);
    assert_int_equal(F(m, MAIN_MEAN), 1152);
    assert_int_equal(F(m, MAIN_MEAN_DEPTH), 3);
    assert_false(sdiag_has(m, SD_MAIN_PER_MINUTE)); /* 12 s after the reset */
    assert_int_equal(F(m, MAIN_QUEUE_LEN), 1);
    assert_int_equal(F(m, BF_JOBS_SINCE_START), 0);
    assert_int_equal(F(m, BF_JOBS), 0);
    assert_int_equal(F(m, BF_HET), 0);
    assert_int_equal(F(m, BF_CYCLES), 0);
    assert_false(sdiag_has(m, SD_BF_LAST_WHEN)); /* N/A */
    assert_false(sdiag_has(m, SD_BF_MEAN));      /* no cycle yet */
    assert_false(sdiag_has(m, SD_BF_DEPTH_MEAN));
    assert_int_equal(F(m, BF_LAST), 0);
    assert_int_equal(F(m, BF_MAX), 0);
    assert_int_equal(F(m, BF_LAST_DEPTH), 0);
    assert_int_equal(F(m, BF_LAST_DEPTH_TRY), 0);
    assert_int_equal(F(m, BF_QUEUE_LEN), 0);
    assert_int_equal(F(m, BF_TABLE_SIZE), 0);
    assert_int_equal(F(m, BF_ACTIVE), 0);
    assert_int_equal(F(m, LATENCY), 21);
    assert_int_equal(m->main_exit_have, 0);
    assert_true(m->have_types && m->have_users && m->have_pending);
    assert_int_equal(m->n_types, 18);
    assert_int_equal(m->n_users, 2);
    assert_int_equal(m->n_pending, 0);
    const struct sdiag_rpc *e = rpc(m, m->types, m->n_types, "REQUEST_JOB_INFO");
    assert_non_null(e);
    assert_int_equal(e->id, 2003);
    assert_int_equal(e->count, 7);
    assert_int_equal(e->ave_time, 283);
    assert_int_equal(e->total_time, 1987);
    assert_false(e->have_queue);
    e = rpc(m, m->users, m->n_users, "root");
    assert_non_null(e);
    assert_int_equal(e->id, 0);
    assert_int_equal(e->count, 99);
    assert_int_equal(e->total_time, 42143);
    e = rpc(m, m->users, m->n_users, "nobody");
    assert_int_equal(e->id, 65534);
    /* first output: the totals are sdiag's values */
    assert_true(m->counted);
    assert_double_exact(m->total[SDC_JOBS_SUBMITTED], 127);
    assert_double_exact(m->total[SDC_MAIN_CYCLES], 4);
    assert_double_exact(tot(m, m->type_totals, m->n_type_totals, "REQUEST_JOB_INFO")->calls, 7);
    assert_double_exact(tot(m, m->type_totals, m->n_type_totals, "REQUEST_JOB_INFO")->seconds,
                        1987e-6);
    assert_int_equal(m->n_type_totals, 18);
    assert_int_equal(m->n_user_totals, 2);
    /* sorted by name */
    for (size_t i = 1; i < m->n_type_totals; i++)
        assert_true(strcmp(strtab_get(&m->strs, m->type_totals[i - 1].name),
                           strtab_get(&m->strs, m->type_totals[i].name)) < 0);
    tu_result_free(r);
    free(buf);
}

/* What Slurm 24.05 to 25.11 print beyond 22.05 (from Slurm's sdiag.c), and a
 * line no version prints. */
static const char newer[] =
    "*******************************************************\n"
    "sdiag output at Tue Mar 04 10:00:00 2025 (1741082400)\n"
    "Data since      Tue Mar 04 00:00:00 2025 (1741046400)\n"
    "*******************************************************\n"
    "Server thread count:  7\n"
    "RPC queue enabled:    1\n"
    "Agent queue size:     2\n"
    "Agent count:          1\n"
    "Agent thread count:   3\n"
    "DBD Agent queue size: 12\n"
    "A line from the future: 99\n"
    "\n"
    "Jobs submitted: -2\n"
    "Jobs started:   4294967295\n"
    "Jobs completed: 5\n"
    "Jobs canceled:  6\n"
    "Jobs failed:    7\n"
    "\n"
    "Job states ts:  Tue Mar 04 09:59:50 2025 (1741082390)\n"
    "Jobs pending:   100\n"
    "Jobs running:   200\n"
    "\n"
    "Main schedule statistics (microseconds):\n"
    "\tLast cycle:   1500\n"
    "\tMax cycle:    250000\n"
    "\tTotal cycles: 1200\n"
    "\tMean cycle:   1800\n"
    "\tMean depth cycle:  55\n"
    "\tCycles per minute: 2\n"
    "\tLast queue length: 80\n"
    "\n"
    "Main scheduler exit:\n"
    "\tEnd of job queue:1100\n"
    "\tHit default_queue_depth:90\n"
    "\tHit sched_max_job_start: 0\n"
    "\tBlocked on licenses: 0\n"
    "\tHit max_rpc_cnt:10\n"
    "\tTimeout (max_sched_time): 0\n"
    "\tA reason from the future: 3\n"
    "\n"
    "Backfilling stats (WARNING: data obtained in the middle of backfilling execution.)\n"
    "\tTotal backfilled jobs (since last slurm start): 5000\n"
    "\tTotal backfilled jobs (since last stats cycle start): 40\n"
    "\tTotal backfilled heterogeneous job components: 2\n"
    "\tTotal cycles: 20\n"
    "\tLast cycle when: Tue Mar 04 09:59:30 2025 (1741082370)\n"
    "\tLast cycle: 2000000\n"
    "\tMax cycle:  3000000\n"
    "\tMean cycle: 1500000\n"
    "\tLast depth cycle: 300\n"
    "\tLast depth cycle (try sched): 120\n"
    "\tDepth Mean: 280\n"
    "\tDepth Mean (try depth): 110\n"
    "\tLast queue length: 310\n"
    "\tQueue length mean: 305\n"
    "\tLast table size: 45\n"
    "\tMean table size: 44\n"
    "\n"
    "Backfill exit\n"
    "\tEnd of job queue:15\n"
    "\tHit bf_max_job_start: 0\n"
    "\tHit bf_max_job_test: 3\n"
    "\tSystem state changed: 1\n"
    "\tHit table size limit (bf_node_space_size): 0\n"
    "\tTimeout (bf_max_time): 1\n"
    "\n"
    "Latency for 1000 calls to gettimeofday(): 30 microseconds\n"
    "\n"
    "Remote Procedure Call statistics by message type\n"
    "\tREQUEST_JOB_INFO                        ( 2003) count:500    ave_time:1000   "
    "total_time:500000       queued:3      cycle_last:4      cycle_max:9      dropped:7\n"
    "\tREQUEST_PING                            ( 1008) count:10     ave_time:100    "
    "total_time:1000         queued:0      cycle_last:0      cycle_max:1      dropped:0\n"
    "\n"
    "Remote Procedure Call statistics by user\n"
    "\talice           (    1001) count:300    ave_time:1200   total_time:360000\n"
    "\t1234            (    1234) count:210    ave_time:667    total_time:140000\n"
    "\n"
    "Pending RPC statistics\n"
    "\tREQUEST_JOB_INFO                        ( 2003) count:3     \n"
    "\n"
    "Pending RPCs\n"
    "\t 1: REQUEST_JOB_INFO                     node[001-100]\n"
    "\t 2: REQUEST_JOB_INFO                     login1\n";

static void test_newer_versions(void **state)
{
    (void)state;
    struct parse_stats st;
    struct sdiag_state *s = sdiag_state_new();
    struct dataset_result *r = feed(s, newer, &st);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(F(m, RPC_QUEUE_ENABLED), 1);
    assert_int_equal(F(m, DBD_QUEUE), 12);
    /* %d of a 32-bit unsigned field: negative is past 2^31 */
    assert_int_equal(F(m, JOBS_SUBMITTED), 4294967294u);
    assert_int_equal(F(m, JOBS_STARTED), 4294967295u);
    assert_int_equal(F(m, MAIN_PER_MINUTE), 2);
    assert_int_equal(F(m, BF_ACTIVE), 1);
    assert_int_equal(F(m, BF_LAST_WHEN), 1741082370);
    assert_int_equal(F(m, BF_MEAN), 1500000);
    assert_int_equal(F(m, BF_DEPTH_MEAN), 280);
    assert_int_equal(F(m, BF_DEPTH_MEAN_TRY), 110);
    assert_int_equal(F(m, BF_QUEUE_LEN_MEAN), 305);
    assert_int_equal(F(m, BF_TABLE_SIZE_MEAN), 44);
    assert_int_equal(F(m, LATENCY), 30);
    assert_int_equal(m->main_exit[SDX_MAIN_END], 1100);
    assert_int_equal(m->main_exit[SDX_MAIN_MAX_DEPTH], 90);
    assert_int_equal(m->main_exit[SDX_MAIN_RPC_CNT], 10);
    assert_int_equal(m->main_exit[SDX_MAIN_OTHER], 3);
    assert_int_equal(m->main_exit_have, (1u << SDX_MAIN_COUNT) - 1);
    assert_int_equal(m->bf_exit[SDX_BF_MAX_JOB_TEST], 3);
    assert_int_equal(m->bf_exit[SDX_BF_TIMEOUT], 1);
    assert_false((m->bf_exit_have >> SDX_BF_OTHER) & 1u);
    const struct sdiag_rpc *e = rpc(m, m->types, m->n_types, "REQUEST_JOB_INFO");
    assert_true(e->have_queue);
    assert_int_equal(e->queued, 3);
    assert_int_equal(e->dropped, 7);
    assert_int_equal(e->cycle_max, 9);
    e = rpc(m, m->users, m->n_users, "1234"); /* a uid without a name */
    assert_int_equal(e->id, 1234);
    assert_int_equal(m->n_pending, 1);
    assert_int_equal(m->pending[0].count, 3);

    /* rendered: units, counters, newer families */
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_SCHEDULER] = r;
    v.series_limit = 100000;
    struct render out;
    memset(&out, 0, sizeof(out));
    struct collect_out o = {0};
    collect_scheduler(&v, &out, &o);
    const char *t = buf_cstr(&out.text);
    assert_double_exact(tu_sample(t, "slurm_scheduler_backfill_cycle_last_seconds"), 2);
    assert_double_exact(tu_sample(t, "slurm_scheduler_cycle_max_seconds"), 0.25);
    assert_double_exact(tu_sample(t, "slurm_scheduler_jobs_started_total"), 4294967295.0);
    assert_double_exact(tu_sample(t, "slurm_scheduler_exits_total{reason=\"max_rpc_cnt\"}"), 10);
    assert_double_exact(
        tu_sample(t, "slurm_scheduler_backfill_exits_total{reason=\"bf_max_time\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_rpc_type_dropped_total{type=\"REQUEST_JOB_INFO\"}"), 7);
    assert_double_exact(tu_sample(t, "slurm_rpc_type_queued{type=\"REQUEST_JOB_INFO\"}"), 3);
    assert_double_exact(tu_sample(t, "slurm_rpc_pending{type=\"REQUEST_JOB_INFO\"}"), 3);
    assert_double_exact(tu_sample(t, "slurm_rpc_user_time_seconds_total{user=\"alice\"}"), 0.36);
    assert_double_exact(tu_sample(t, "slurm_scheduler_backfill_active"), 1);
    assert_int_equal(o.series_dropped, 0);
    render_free(&out);
    tu_result_free(r);
    sdiag_state_free(s);
}

static void test_missing_sections(void **state)
{
    (void)state;
    struct parse_stats st;
    struct dataset_result *r = feed(NULL,
                                    "sdiag output at x (100)\n"
                                    "Data since      x (50)\n"
                                    "Server thread count:  4\n",
                                    &st);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(F(m, SERVER_THREADS), 4);
    assert_false(sdiag_has(m, SD_JOBS_SUBMITTED));
    assert_false(m->have_types || m->have_users || m->have_pending);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_SCHEDULER] = r;
    v.series_limit = 100000;
    v.compat = COMPAT_VPENSO | COMPAT_RIVOSINC;
    struct render out;
    memset(&out, 0, sizeof(out));
    struct collect_out o = {0};
    collect_scheduler(&v, &out, &o);
    const char *t = buf_cstr(&out.text);
    assert_true(tu_has_line(t, "slurm_scheduler_threads 4"));
    assert_true(tu_has_line(t, "slurm_daemon_thread_count 4"));
    assert_false(tu_has_line(t, "slurm_rpc"));
    assert_false(tu_has_line(t, "# TYPE slurm_rpc"));
    assert_false(tu_has_line(t, "slurm_scheduler_jobs"));
    assert_false(tu_has_line(t, "# HELP slurm_scheduler_jobs"));
    render_free(&out);
    tu_result_free(r);

    /* no header at all: not sdiag's report */
    r = feed(NULL, "No data available. Probably slurmctld is not working\n", &st);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.lines, 1);
    tu_result_free(r);
    r = feed(NULL, "", &st);
    assert_int_equal(st.errors, 1);
    tu_result_free(r);
}

static void test_bad_and_huge_numbers(void **state)
{
    (void)state;
    struct parse_stats st;
    struct dataset_result *r =
        feed(NULL,
             "sdiag output at x (100)\n"
             "Data since      x (50)\n"
             "Server thread count:  three\n"          /* error */
             "Agent queue size:     -2147483649\n"    /* error */
             "Agent count:          -2147483648\n"    /* 2^31 */
             "DBD Agent queue size: 12 \r\n"          /* ok */
             "Jobs submitted: 99999999999999999999\n" /* 2^64 +: error */
             "Jobs started: 18446744073709551615\n"   /* ok */
             "Job states ts:  garbage\n"              /* error */
             "Main schedule statistics (microseconds):\n"
             "\tLast cycle:   1e6\n"               /* error */
             "\tMax cycle: 18446744073709551615\n" /* ok */
             "\tTotal cycles:\n"                   /* error */
             "\tNo colon here\n"                   /* error: not key: value */
             "Main scheduler exit:\n"
             "\tEnd of job queue: x\n" /* error */
             "Backfilling stats\n"
             "\tLast cycle when: N/A\n" /* absent */
             "Latency for 1000 calls to gettimeofday(): ? microseconds\n"
             "Remote Procedure Call statistics by message type\n"
             "\tREQUEST_A ( 1) count:1x ave_time:1 total_time:1\n" /* error */
             "\tREQUEST_B (zz) count:1 ave_time:1 total_time:1\n"  /* error */
             "\t ( 3) count:1 ave_time:1 total_time:1\n"           /* error */
             "\tREQUEST_C ( 4) ave_time:1 total_time:1\n"          /* error: no count */
             "\tREQUEST_D ( 5) count:2 total_time:-1\n"            /* error */
             "\tREQUEST_E ( 6) count:2 ave_time:1 total_time:2 x:y\n"
             "Remote Procedure Call statistics by user\n"
             "\tbob (1) count:1 ave_time:1 total_time:1\n"
             "\tbob (2) count:2 ave_time:1 total_time:2\n", /* summed */
             &st);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 14);
    assert_string_not_equal(st.first_error, "");
    assert_false(sdiag_has(m, SD_SERVER_THREADS));
    assert_false(sdiag_has(m, SD_AGENT_QUEUE));
    assert_int_equal(F(m, AGENTS), 2147483648u);
    assert_int_equal(F(m, DBD_QUEUE), 12);
    assert_false(sdiag_has(m, SD_JOBS_SUBMITTED));
    assert_true(F(m, JOBS_STARTED) == UINT64_MAX);
    assert_false(sdiag_has(m, SD_JOB_STATES_TS));
    assert_false(sdiag_has(m, SD_MAIN_LAST));
    assert_true(F(m, MAIN_MAX) == UINT64_MAX);
    assert_false(sdiag_has(m, SD_MAIN_CYCLES));
    assert_int_equal(m->main_exit_have, 0);
    assert_false(sdiag_has(m, SD_BF_LAST_WHEN));
    assert_false(sdiag_has(m, SD_LATENCY));
    assert_int_equal(m->n_types, 1); /* REQUEST_E */
    assert_int_equal(m->n_users, 1);
    assert_int_equal(m->users[0].count, 3);
    assert_int_equal(m->users[0].total_time, 3);
    tu_result_free(r);
}

/* A long user name is cut to MAX_LABEL_LEN; a flood of users is capped. */
static void test_caps(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "sdiag output at x (100)\nData since x (50)\n"
                 "Remote Procedure Call statistics by user\n");
    buf_puts(&b, "\t");
    for (int i = 0; i < 300; i++)
        buf_putc(&b, 'x');
    buf_puts(&b, " (1) count:1 ave_time:1 total_time:1\n");
    for (int i = 0; i < SDIAG_MAX_RPC_USERS + 10; i++)
        buf_printf(&b, "\tuser%05d (%d) count:%d ave_time:1 total_time:%d\n", i, i, i + 1, i + 1);
    struct sdiag_state *s = sdiag_state_new();
    struct parse_stats st;
    struct dataset_result *r = feed(s, buf_cstr(&b), &st);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n_users, SDIAG_MAX_RPC_USERS);
    assert_int_equal(strlen(strtab_get(&m->strs, m->users[0].name)), MAX_LABEL_LEN);
    assert_int_equal(m->rpc_dropped, 11);
    assert_int_equal(m->n_user_totals, SDIAG_MAX_RPC_USERS);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_SCHEDULER] = r;
    v.series_limit = 100;
    struct render out;
    memset(&out, 0, sizeof(out));
    struct collect_out o = {0};
    collect_scheduler(&v, &out, &o);
    assert_int_equal(o.series_dropped, 11 + SDIAG_MAX_RPC_USERS - 100);
    render_free(&out);
    tu_result_free(r);
    sdiag_state_free(s);
    buf_free(&b);
}

/* sdiag output with the given "Data since", jobs submitted, backfilled jobs
 * since start and since the stats cycle, and RPC counts (-1: type absent). */
static char *out_at(long since, long submitted, long bf_start, long bf_cycle, long ping,
                    long jobinfo, long jobinfo_us, long root)
{
    struct buf b = {0};
    buf_printf(&b,
               "sdiag output at x (%ld)\nData since      x (%ld)\n"
               "Jobs submitted: %ld\n"
               "Backfilling stats\n"
               "\tTotal backfilled jobs (since last slurm start): %ld\n"
               "\tTotal backfilled jobs (since last stats cycle start): %ld\n"
               "Remote Procedure Call statistics by message type\n",
               since + 30, since, submitted, bf_start, bf_cycle);
    if (ping >= 0)
        buf_printf(&b, "\tREQUEST_PING ( 1008) count:%ld ave_time:1 total_time:%ld\n", ping, ping);
    if (jobinfo >= 0)
        buf_printf(&b, "\tREQUEST_JOB_INFO ( 2003) count:%ld ave_time:1 total_time:%ld\n", jobinfo,
                   jobinfo_us);
    buf_printf(&b,
               "Remote Procedure Call statistics by user\n"
               "\troot (0) count:%ld ave_time:1 total_time:%ld\n",
               root, root);
    buf_cstr(&b);
    return b.p;
}

struct totals {
    double submitted, bf, ping, jobinfo, jobinfo_s, root;
};

static struct totals step(struct sdiag_state *s, char *text)
{
    struct parse_stats st;
    struct dataset_result *r = feed(s, text, &st);
    free(text);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 0);
    struct totals t;
    t.submitted = m->total[SDC_JOBS_SUBMITTED];
    t.bf = m->total[SDC_BF_JOBS];
    t.ping = tot(m, m->type_totals, m->n_type_totals, "REQUEST_PING")->calls;
    t.jobinfo = tot(m, m->type_totals, m->n_type_totals, "REQUEST_JOB_INFO")->calls;
    t.jobinfo_s = tot(m, m->type_totals, m->n_type_totals, "REQUEST_JOB_INFO")->seconds;
    t.root = tot(m, m->user_totals, m->n_user_totals, "root")->calls;
    tu_result_free(r);
    return t;
}

static void test_counters_across_resets(void **state)
{
    (void)state;
    struct sdiag_state *s = sdiag_state_new();
    /* exporter start: totals start at sdiag's values */
    struct totals t = step(s, out_at(1000, 100, 40, 10, 5, 50, 500000, 60));
    assert_double_exact(t.submitted, 100);
    assert_double_exact(t.bf, 10);
    assert_double_exact(t.ping, 5);
    assert_double_exact(t.jobinfo, 50);
    assert_double_exact(t.root, 60);
    /* same period: differences */
    t = step(s, out_at(1000, 130, 45, 15, 6, 60, 600000, 72));
    assert_double_exact(t.submitted, 130);
    assert_double_exact(t.bf, 15);
    assert_double_exact(t.jobinfo, 60);
    assert_double_exact(t.jobinfo_s, 0.6);
    /* midnight: "Data since" moves, job counters restart from 0 (now 5);
     * the backfill count since start and the RPC tables do not reset */
    t = step(s, out_at(2000, 5, 47, 2, 7, 70, 700000, 84));
    assert_double_exact(t.submitted, 135);
    assert_double_exact(t.bf, 17);
    assert_double_exact(t.ping, 7);
    assert_double_exact(t.jobinfo, 70);
    assert_double_exact(t.jobinfo_s, 0.7);
    assert_double_exact(t.root, 84);
    /* a reset where the value climbed past the old one before the next poll:
     * "Data since" tells */
    t = step(s, out_at(2100, 200, 60, 15, 8, 75, 750000, 90));
    assert_double_exact(t.submitted, 335);
    assert_double_exact(t.bf, 32);
    assert_double_exact(t.ping, 8); /* RPCs only grew: not reset */
    assert_double_exact(t.jobinfo, 75);
    /* sdiag --reset: everything cleared; REQUEST_JOB_INFO not called since,
     * so it vanished from the table; its total stays */
    t = step(s, out_at(3000, 3, 1, 1, 2, -1, 0, 4));
    assert_double_exact(t.submitted, 338);
    assert_double_exact(t.bf, 33);
    assert_double_exact(t.ping, 10);
    assert_double_exact(t.jobinfo, 75);
    assert_double_exact(t.root, 94);
    /* it comes back: counted from 0 */
    t = step(s, out_at(3000, 4, 1, 1, 3, 2, 20000, 7));
    assert_double_exact(t.submitted, 339);
    assert_double_exact(t.ping, 11);
    assert_double_exact(t.jobinfo, 77);
    assert_double_exact(t.jobinfo_s, 0.77);
    assert_double_exact(t.root, 97);
    /* slurmctld restart: "Data since" moves, RPC counts start again */
    t = step(s, out_at(4000, 1, 0, 0, 1, 1, 10000, 2));
    assert_double_exact(t.submitted, 340);
    assert_double_exact(t.ping, 12);
    assert_double_exact(t.jobinfo, 78);
    assert_double_exact(t.root, 99);
    /* a 32-bit RPC count wraps without a reset */
    t = step(s, out_at(4000, 1, 0, 0, 4294967290, 1, 10000, 2));
    assert_double_exact(t.ping, 12 + 4294967289.0);
    t = step(s, out_at(4000, 1, 0, 0, 4, 1, 10000, 2));
    assert_double_exact(t.ping, 12 + 4294967289.0 + 10);
    /* an RPC count that goes down without "Data since" moving and is no
     * wrap: counted again from 0 */
    t = step(s, out_at(4000, 1, 0, 0, 3, 1, 10000, 2));
    assert_double_exact(t.ping, 12 + 4294967289.0 + 10 + 3);
    /* a value that goes down without "Data since" moving: counted again from 0 */
    t = step(s, out_at(4000, 0, 0, 0, 4, 1, 10000, 2));
    assert_double_exact(t.submitted, 340);
    t = step(s, out_at(4000, 3, 0, 0, 4, 1, 10000, 2));
    assert_double_exact(t.submitted, 343);
    sdiag_state_free(s);
}

/* Like step(), with the shared baseline of --slurm.active-only around the
 * commit (as src_commit does): the file's raw values first, then this
 * state's written back into it. */
static struct totals shared_step(struct sdiag_state *s, struct buf *file, long since, char *text)
{
    if (file->len)
        sdiag_shared_apply(s, file->p, file->len, since);
    struct totals t = step(s, text);
    file->len = 0;
    sdiag_shared_format(s, since, file);
    return t;
}

/* Two exporters take turns polling whichever slurmctld is in control; with
 * the shared baseline what one counted the other never counts again, and
 * the sum of their totals' increments is what each slurmctld counted. */
static void test_shared_baseline(void **state)
{
    (void)state;
    struct sdiag_state *a = sdiag_state_new(), *b = sdiag_state_new();
    struct buf f = {0};
    /* A polls ctl1 (since 1000): 5 jobs */
    struct totals ta = shared_step(a, &f, 1000, out_at(1000, 5, 0, 0, 10, 3, 3000, 20));
    assert_double_exact(ta.submitted, 5);
    /* B polls ctl1 too (a handover's overlap): only what is new since A's poll */
    struct totals tb = shared_step(b, &f, 1000, out_at(1000, 8, 0, 0, 12, 4, 4000, 25));
    assert_double_exact(tb.submitted, 3);
    assert_double_exact(tb.ping, 2);
    assert_double_exact(tb.jobinfo, 1);
    assert_double_exact(tb.jobinfo_s, 0.001);
    assert_double_exact(tb.root, 5);
    /* ctl1 dies; B polls ctl2 (since 1500, 4 jobs there): another slurmctld's
     * statistics, which nobody saw: all of them */
    tb = shared_step(b, &f, 1500, out_at(1500, 4, 0, 0, 1, 1, 1000, 2));
    assert_double_exact(tb.submitted, 7);
    /* A, still believing ctl1 in control, polls and reaches ctl2 (6 jobs):
     * only the 2 B did not count */
    ta = shared_step(a, &f, 1500, out_at(1500, 6, 0, 0, 2, 1, 1000, 3));
    assert_double_exact(ta.submitted, 7);
    assert_double_exact(ta.ping, 10 + 1);
    assert_double_exact(ta.root, 20 + 1);
    /* B again: nothing new */
    tb = shared_step(b, &f, 1500, out_at(1500, 6, 0, 0, 2, 1, 1000, 3));
    assert_double_exact(tb.submitted, 7);
    /* sum of the increments: 5 + 3 on ctl1, 6 on ctl2 */
    assert_double_exact(ta.submitted + tb.submitted, 14);
    /* a slurmctld that has just taken control prints "Data since" 0 and then
     * its time, its counts going on: no reset in between (24.11, measured) */
    struct sdiag_state *c = sdiag_state_new();
    struct buf g = {0};
    struct totals tc = shared_step(c, &g, 0, out_at(0, 1, 0, 0, 1, 1, 1000, 1));
    assert_double_exact(tc.submitted, 1);
    tc = shared_step(c, &g, 1700, out_at(1700, 4, 0, 0, 2, 1, 1000, 2));
    assert_double_exact(tc.submitted, 4);
    assert_double_exact(tc.ping, 2);
    /* another exporter that saw only the 0 form takes it as its baseline */
    struct sdiag_state *d = sdiag_state_new();
    g.len = 0;
    sdiag_shared_format(c, 0, &g); /* nothing at since 0 any more: c moved on */
    assert_int_equal(sdiag_shared_apply(d, g.p, g.len, 1700), 0);
    buf_free(&g);
    sdiag_state_free(c);
    sdiag_state_free(d);
    /* a file of other statistics, a bad first line, bad lines: not taken */
    assert_int_equal(sdiag_shared_apply(a, f.p, f.len, 999), -1);
    assert_int_equal(sdiag_shared_apply(a, "x\n", 2, 1500), -1);
    static const char bad[] = "slurm_exporter-sdiag 1 1500\nc 0 9\nc 999 1\nq 1 1\nt =A%zz 1 1 1\n"
                              "t  1 1 1\nu =root 1 1\nc 0 18446744073709551616\n\nm 0 1";
    assert_int_equal(sdiag_shared_apply(a, bad, sizeof(bad) - 1, 1500), 6);
    buf_free(&f);
    sdiag_state_free(a);
    sdiag_state_free(b);
}

/* The scheduler source's commit with --slurm.active-only and a shared
 * directory: through the shared file; while another holds its lock past
 * --slurm.timeout the refresh fails and nothing is counted (the state as it
 * was), and once the lock is free the next commit counts it all. */
static void test_shared_lock_wait(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-sdiag-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.active_only = true;
    cfg.ha_state_dir = dir;
    cfg.slurm_timeout = 0.2;
    struct sdiag_state *s = sdiag_state_new();
    struct source_ctx ctx = {&cfg, NULL, s, NULL};
    char why[512] = "", path[64];
    char *t1 = out_at(1000, 5, 0, 0, 10, 3, 3000, 20);
    struct dataset_result *r = feed(NULL, t1, NULL);
    free(t1);
    assert_int_equal(source_scheduler.commit(&ctx, r, why, sizeof(why)), 0);
    assert_double_exact(M(r)->total[SDC_JOBS_SUBMITTED], 5);
    dataset_result_release(r);
    /* another open file description holds the lock */
    snprintf(path, sizeof(path), "%s/sdiag", dir);
    int other = open(path, O_RDWR | O_CLOEXEC);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_EX), 0);
    char *t2 = out_at(1000, 9, 0, 0, 10, 3, 3000, 20);
    r = feed(NULL, t2, NULL);
    char *before = tu_read_file(path, NULL);
    assert_int_equal(source_scheduler.commit(&ctx, r, why, sizeof(why)), -ENOLCK);
    assert_non_null(strstr(why, "stayed locked for 0.2s"));
    assert_non_null(strstr(why, path));
    /* nothing counted: no totals in the result, the shared file as it was */
    assert_double_exact(M(r)->total[SDC_JOBS_SUBMITTED], 0);
    char *after = tu_read_file(path, NULL);
    assert_string_equal(after, before);
    free(before);
    free(after);
    dataset_result_release(r);
    /* the lock free: the 4 jobs since the first commit, counted once */
    assert_int_equal(flock(other, LOCK_UN), 0);
    close(other);
    r = feed(NULL, t2, NULL);
    free(t2);
    assert_int_equal(source_scheduler.commit(&ctx, r, why, sizeof(why)), 0);
    assert_double_exact(M(r)->total[SDC_JOBS_SUBMITTED], 9);
    dataset_result_release(r);
    sdiag_state_free(s);
    unlink(path);
    rmdir(dir);
}

/* The vanished RPC type is still served (its counter keeps its value), and
 * the compat families never repeat one of ours. */
static void test_collector_families(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/sdiag.txt", &len);
    struct dataset_result *r = tu_result_from(DS_SCHEDULER, buf, len, NULL);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_SCHEDULER] = r;
    v.series_limit = 100000;
    v.compat = COMPAT_VPENSO | COMPAT_RIVOSINC;
    struct render out;
    memset(&out, 0, sizeof(out));
    struct collect_out o = {0};
    collect_scheduler(&v, &out, &o);
    const char *t = buf_cstr(&out.text);
    /* each family once */
    for (const char *p = t; (p = strstr(p, "# TYPE ")) != NULL; p++) {
        const char *sp = strchr(p + 7, ' ');
        char name[160];
        snprintf(name, sizeof(name), "%.*s ", (int)(sp - p), p);
        assert_null(strstr(p + 1, name));
    }
    assert_double_exact(tu_sample(t, "slurm_scheduler_cycle_last_seconds"), 42e-6);
    assert_double_exact(tu_sample(t, "slurm_scheduler_cycle_mean_seconds"), 1152e-6);
    assert_double_exact(tu_sample(t, "slurm_scheduler_jobs_submitted_total"), 127);
    assert_double_exact(tu_sample(t, "slurm_scheduler_jobs_since_reset{event=\"submitted\"}"), 127);
    assert_double_exact(tu_sample(t, "slurm_scheduler_stats_reset_timestamp_seconds"), 1795423601);
    assert_double_exact(tu_sample(t, "slurm_scheduler_gettimeofday_latency_seconds"), 21e-6);
    assert_double_exact(tu_sample(t, "slurm_rpc_type_calls_total{type=\"REQUEST_JOB_INFO\"}"), 7);
    assert_double_exact(tu_sample(t, "slurm_rpc_user_calls_total{user=\"root\"}"), 99);
    assert_false(tu_has_line(t, "slurm_scheduler_cycles_per_minute"));
    assert_false(tu_has_line(t, "slurm_scheduler_backfill_cycle_mean_seconds"));
    assert_false(tu_has_line(t, "slurm_rpc_type_queued"));
    /* vpenso: microseconds, gauges */
    assert_true(tu_has_line(t, "# TYPE slurm_scheduler_last_cycle gauge"));
    assert_double_exact(tu_sample(t, "slurm_scheduler_last_cycle"), 42);
    assert_double_exact(tu_sample(t, "slurm_scheduler_mean_cycle"), 1152);
    assert_double_exact(tu_sample(t, "slurm_scheduler_queue_size"), 0);
    assert_true(tu_has_line(t, "# TYPE slurm_scheduler_backfilled_jobs_since_start_total gauge"));
    /* rivosinc: microseconds, non-zero RPC rows only */
    assert_double_exact(tu_sample(t, "slurm_rpc_msg_type_total_time{type=\"REQUEST_JOB_INFO\"}"),
                        1987);
    assert_double_exact(tu_sample(t, "slurm_rpc_user_count{user=\"nobody\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_backfill_cycle_count"), 0);
    assert_double_exact(tu_sample(t, "slurm_daemon_thread_count"), 3);
    render_free(&out);

    /* without --compat none of their names */
    v.compat = 0;
    memset(&out, 0, sizeof(out));
    collect_scheduler(&v, &out, &o);
    t = buf_cstr(&out.text);
    assert_false(tu_has_line(t, "slurm_scheduler_last_cycle"));
    assert_false(tu_has_line(t, "slurm_daemon_thread_count"));
    assert_false(tu_has_line(t, "slurm_rpc_msg_type_count"));
    render_free(&out);

    /* absent dataset: nothing */
    v.ds[DS_SCHEDULER] = NULL;
    memset(&out, 0, sizeof(out));
    collect_scheduler(&v, &out, &o);
    assert_int_equal(out.text.len, 0);
    render_free(&out);
    tu_result_free(r);
    free(buf);
}

/* tests/fixtures/edge/sdiag_exits (23.11's layout: exit sections, "\t%s:%2u" so
 * a count under 10 follows a space, no "RPC queue enabled" line) and
 * sdiag_rpc_queue (24.05 with the RPC queue on: the extra RPC columns). */
static void test_edge_2311_2405(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/edge/sdiag_exits/scheduler.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = feed(NULL, buf, &st);
    const struct sdiag_model *m = M(r);
    assert_int_equal(st.errors, 0);
    assert_false(sdiag_has(m, SD_RPC_QUEUE_ENABLED));
    assert_int_equal(m->main_exit_have, (1u << SDX_MAIN_OTHER) - 1);
    assert_int_equal(m->main_exit[SDX_MAIN_END], 530);
    assert_int_equal(m->main_exit[SDX_MAIN_MAX_DEPTH], 9);
    assert_int_equal(m->main_exit[SDX_MAIN_LIC], 4);
    assert_int_equal(m->main_exit[SDX_MAIN_RPC_CNT], 12);
    assert_int_equal(m->main_exit[SDX_MAIN_TIMEOUT], 0);
    assert_int_equal(m->bf_exit_have, (1u << SDX_BF_OTHER) - 1);
    assert_int_equal(m->bf_exit[SDX_BF_END], 16);
    assert_int_equal(m->bf_exit[SDX_BF_MAX_JOB_TEST], 1);
    assert_int_equal(m->bf_exit[SDX_BF_STATE_CHANGED], 1);
    assert_int_equal(F(m, BF_CYCLES), 18);
    assert_int_equal(F(m, MAIN_CYCLES), 545);
    const struct sdiag_rpc *e = rpc(m, m->types, m->n_types, "REQUEST_JOB_INFO");
    assert_non_null(e);
    assert_false(e->have_queue);
    assert_int_equal(e->count, 44);
    assert_int_equal(e->total_time, 14571);
    assert_true(m->have_pending);
    assert_int_equal(m->n_pending, 0);
    tu_result_free(r);
    free(buf);

    buf = tu_read_rel("tests/fixtures/edge/sdiag_rpc_queue/scheduler.txt", &len);
    r = feed(NULL, buf, &st);
    m = M(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(F(m, RPC_QUEUE_ENABLED), 1);
    assert_int_equal(m->n_types, 3);
    e = rpc(m, m->types, m->n_types, "REQUEST_JOB_INFO");
    assert_non_null(e);
    assert_true(e->have_queue);
    assert_int_equal(e->count, 44);
    assert_int_equal(e->ave_time, 331);
    assert_int_equal(e->total_time, 14571);
    assert_int_equal(e->queued, 3);
    assert_int_equal(e->cycle_last, 2);
    assert_int_equal(e->cycle_max, 9);
    assert_int_equal(e->dropped, 5);
    e = rpc(m, m->types, m->n_types, "MESSAGE_NODE_REGISTRATION_STATUS");
    assert_non_null(e);
    assert_int_equal(e->id, 1002);
    assert_int_equal(e->cycle_last, 1);
    assert_int_equal(m->n_pending, 1);
    assert_int_equal(m->pending[0].count, 3);
    tu_result_free(r);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_2205),
        cmocka_unit_test(test_newer_versions),
        cmocka_unit_test(test_missing_sections),
        cmocka_unit_test(test_bad_and_huge_numbers),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_counters_across_resets),
        cmocka_unit_test(test_shared_baseline),
        cmocka_unit_test(test_shared_lock_wait),
        cmocka_unit_test(test_collector_families),
        cmocka_unit_test(test_edge_2311_2405),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
