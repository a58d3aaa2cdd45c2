/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting source: the sacct parser, the windows (each finished job
 * counted once across overlapping windows, late records, the floor), the
 * state file (round trip, corrupt files), and the collector. */
#include "testutil.h"

#include "sources/sacct.h"
#include "sources/source.h"

#include <math.h>
#include <unistd.h>

static struct dataset_result *parse_text_users(const char *text, size_t len, bool users,
                                               struct parse_stats *st)
{
    struct dataset_result *r = tu_result_new(DS_ACCOUNTING);
    struct sacct_parser p;
    struct acct_model *m = r->u.acct;
    cli_sacct_init(&p, m, &r->arena, users);
    cli_feed(cli_sacct_line, &p, text, len);
    if (st)
        *st = p.st;
    return r;
}

static struct dataset_result *parse_text(const char *text, size_t len, struct parse_stats *st)
{
    return parse_text_users(text, len, false, st);
}

static struct dataset_result *parse_str(const char *text)
{
    return parse_text(text, strlen(text), NULL);
}

static const struct acct_job *find_job(const struct acct_model *m, uint32_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->jobs[i].job_id == id)
            return &m->jobs[i];
    fail_msg("job %u not parsed", id);
    return NULL;
}

static struct acct_state *new_state(double overlap, size_t limit)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_overlap = overlap;
    cfg.series_limit = limit;
    return acct_state_new(&cfg);
}

/* One refresh at `now`: the window, the records, the commit. */
static struct dataset_result *refresh(struct acct_state *S, int64_t now, const char *text,
                                      int64_t *ws, int64_t *we)
{
    int64_t s, e;
    acct_window(S, now, (double)now, &s, &e);
    if (ws)
        *ws = s;
    if (we)
        *we = e;
    struct dataset_result *r = parse_str(text);
    acct_commit(S, r->u.acct, &r->arena);
    return r;
}

static uint64_t group_jobs(const struct acct_model *m, const char *part, const char *acct, int st)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (strcmp(strtab_get(&m->strs, m->groups[i].partition), part) == 0 &&
            strcmp(strtab_get(&m->strs, m->groups[i].account), acct) == 0)
            return m->groups[i].s.jobs[st];
    return 0;
}

static uint64_t total_jobs(const struct acct_model *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->ngroups; i++)
        for (int s = 0; s < ACCT_STATE_COUNT; s++)
            n += m->groups[i].s.jobs[s];
    return n;
}

/* A job line: id, state, end (the other fields fixed). */
static void job_line(struct buf *b, unsigned id, const char *state, long long end)
{
    buf_printf(b, "%u|%s|debug|physics|%lld|%lld|%lld|%lld|10|cpu=1,mem=1G,node=1|00:05.000||\n",
               id, state, end - 100, end - 100, end - 10, end);
}

/* ---- parser ---------------------------------------------------------------- */

/* The --format value made from SACCT_FIELDS is today's, byte for byte
 * (sacct's arguments and the recorded fixtures depend on it), and sacct is
 * run with it. Changing the fields changes these literals too. */
#define SACCT_FORMAT_LITERAL                                                                       \
    "JobIDRaw,State,Partition,Account,Submit,Eligible,Start,End,ElapsedRaw,AllocTRES,TotalCPU,"    \
    "MaxRSS,NTasks"

/* The command line the poller runs (command, fixed arguments, dynamic
 * ones; no -M), joined by spaces; without a state the window is left out. */
static void source_argv(const struct config *cfg, void *state, char *out, size_t cap)
{
    const struct source_def *src = sources[DS_ACCOUNTING];
    size_t n = (size_t)snprintf(out, cap, "%s", src->command);
    for (size_t i = 0; i < SOURCE_MAX_ARGS && src->args[i]; i++)
        n += (size_t)snprintf(out + n, cap - n, " %s", src->args[i]);
    char dyn[8][256];
    struct source_ctx ctx = {cfg, NULL, state, NULL};
    int k = src->dyn_args(&ctx, dyn, 8);
    for (int i = 0; i < k; i++)
        n += (size_t)snprintf(out + n, cap - n, " %s", dyn[i]);
    assert_true(n < cap);
}

/* The argv of a recording in a version's INDEX.txt, up to its window. */
static void index_argv(const char *version, const char *file, char *out, size_t cap)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "tests/fixtures/%s/INDEX.txt", version);
    size_t len;
    char *idx = tu_read_rel(rel, &len);
    out[0] = '\0';
    for (char *line = idx; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, file, strlen(file)) == 0 && line[strlen(file)] == ' ') {
            const char *cmd = strstr(line, " sacct ");
            assert_non_null(cmd);
            const char *win = strstr(cmd, " --starttime=");
            assert_non_null(win);
            snprintf(out, cap, "%.*s", (int)(win - cmd - 1), cmd + 1);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(idx);
    if (!out[0])
        fail_msg("%s has no line for %s", rel, file);
}

static void test_format(void **state)
{
    (void)state;
    assert_string_equal(CLI_SACCT_FORMAT, SACCT_FORMAT_LITERAL);
    assert_string_equal(CLI_SACCT_FORMAT_USERS, SACCT_FORMAT_LITERAL ",User");
    assert_int_equal(SA_FIELD_COUNT, 13);
    assert_int_equal(SA_STATE, 1);
    assert_int_equal(SA_NTASKS, SA_FIELD_COUNT - 1);
    assert_int_equal(SA_USER, SA_FIELD_COUNT);
    assert_int_equal(SA_FIELD_COUNT_USERS, 14);
    /* the command: the default one is the one the fixtures of every version
     * were recorded with (their INDEX.txt), --accounting.users appends User
     * to --format and changes nothing else */
    static const char *const want =
        "sacct --allusers --noheader --parsable2 --noconvert --state=CA,CD,DL,F,NF,OOM,PR,TO,BF "
        "--format=" SACCT_FORMAT_LITERAL;
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    char got[1024], rec[1024];
    source_argv(&cfg, NULL, got, sizeof(got));
    assert_string_equal(got, want);
    static const char *const versions[] = {"22.05", "24.11", "26.05"};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        index_argv(versions[i], "exporter_accounting.txt", rec, sizeof(rec));
        assert_string_equal(rec, got);
    }
    cfg.accounting_users = true;
    source_argv(&cfg, NULL, got, sizeof(got));
    assert_string_equal(got, "sacct --allusers --noheader --parsable2 --noconvert "
                             "--state=CA,CD,DL,F,NF,OOM,PR,TO,BF --format=" SACCT_FORMAT_LITERAL
                             ",User");
    index_argv("22.05", "exporter_accounting_users.txt", rec, sizeof(rec));
    assert_string_equal(rec, got);
    /* with a state the window follows */
    struct acct_state *S = acct_state_new(&cfg);
    source_argv(&cfg, S, got, sizeof(got));
    assert_non_null(strstr(got, ",User --starttime=uts"));
    assert_non_null(strstr(got, " --endtime=uts"));
    acct_state_free(S);
}

static void test_fixture_22_05(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = parse_text(text, len, &st);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(st.errors, 0);
    /* a multi-node job with a 2-task step: peak = MaxRSS x 2 */
    const struct acct_job *j = find_job(m, 24);
    assert_int_equal(j->state, ACCT_COMPLETED);
    assert_true(j->ran);
    assert_int_equal(j->cpus, 2);
    assert_int_equal(j->mem_alloc, 4000ull << 20);
    assert_double_exact(j->cpu_used, 5.017);
    assert_double_exact(j->mem_used, 223440896.0 * 2);
    assert_int_equal(j->elapsed, 5);
    assert_string_equal(strtab_get(&m->strs, j->partition), "batch");
    assert_string_equal(strtab_get(&m->strs, j->account), "chemistry");
    /* final states the harness produces */
    assert_int_equal(find_job(m, 21)->state, ACCT_TIMEOUT);
    assert_int_equal(find_job(m, 28)->state, ACCT_NODE_FAIL);
    assert_int_equal(find_job(m, 8)->state, ACCT_FAILED);
    /* never allocated: deadline, cancelled while pending ("CANCELLED by 0") */
    assert_int_equal(find_job(m, 22)->state, ACCT_DEADLINE);
    assert_false(find_job(m, 22)->ran);
    assert_int_equal(find_job(m, 23)->state, ACCT_CANCELLED);
    assert_false(find_job(m, 23)->ran);
    assert_string_equal(strtab_get(&m->strs, find_job(m, 20)->partition), "debug,batch");
    /* no step sampled memory: unknown, not 0 */
    assert_true(find_job(m, 7)->mem_used < 0);
    tu_result_free(r);
    free(text);
}

static void test_edge_lines(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/edge/accounting_odd/accounting.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = parse_text(text, len, &st);
    const struct acct_model *m = r->u.acct;
    /* garbage, cpu=x, WEIRD, no end time, 1:2:3:4 */
    assert_int_equal(st.errors, 5);
    const struct acct_job *j = find_job(m, 101);
    assert_double_exact(j->cpu_used, 93784);
    assert_double_exact(j->mem_used, 512.5 * 1048576 * 4);
    assert_int_equal(find_job(m, 102)->state, ACCT_OUT_OF_MEMORY);
    assert_int_equal(find_job(m, 103)->state, ACCT_PREEMPTED);
    assert_int_equal(find_job(m, 104)->state, ACCT_BOOT_FAIL);
    assert_false(find_job(m, 105)->ran);
    assert_int_equal(find_job(m, 115)->state, ACCT_FAILED); /* CRLF */
    assert_int_equal(strlen(strtab_get(&m->strs, find_job(m, 109)->partition)), MAX_LABEL_LEN);
    for (size_t i = 0; i < m->n; i++)
        assert_true(m->jobs[i].job_id != 107 && m->jobs[i].job_id != 108);
    tu_result_free(r);
    free(text);
}

static void test_cputime(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double want;
    } ok[] = {{"00:00:00", 0},    {"00:05.017", 5.017},   {"12:34.5", 754.5},
              {"01:02:03", 3723}, {"2-01:02:03", 176523}, {"00:59", 59}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        double v = -1;
        assert_int_equal(cli_sacct_cputime(ok[i].s, strlen(ok[i].s), &v), 0);
        assert_double_exact(v, ok[i].want);
    }
    static const char *const bad[] = {"",        "5",     "1:2:3:4", "a:00",         "00:",   ":00",
                                      "1-00:00", "00:-1", "00:61",   "1-2-00:00:00", "00:nan"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v;
        if (cli_sacct_cputime(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
    }
}

/* ---- windows --------------------------------------------------------------- */

static void test_overlapping_windows_count_once(void **state)
{
    (void)state;
    struct acct_state *S = new_state(60, 0);
    int64_t s, e;
    struct buf b = {0};
    job_line(&b, 1, "COMPLETED", 1000);
    job_line(&b, 2, "FAILED", 1010);
    struct dataset_result *r = refresh(S, 1010, buf_cstr(&b), &s, &e);
    assert_int_equal(s, 1010); /* counting starts now */
    assert_int_equal(e, 1010);
    /* job 1 ended before the exporter started: not counted */
    assert_int_equal(total_jobs(r->u.acct), 1);
    tu_result_free(r);
    /* the next window reaches back 60 s: job 2 is read again, not counted again */
    b.len = 0;
    job_line(&b, 2, "FAILED", 1010);
    job_line(&b, 3, "COMPLETED", 1050);
    job_line(&b, 4, "CANCELLED by 0", 1070);
    r = refresh(S, 1070, buf_cstr(&b), &s, &e);
    assert_int_equal(s, 1010); /* max(floor, 1010 + 1 - 60) */
    assert_int_equal(e, 1070);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(total_jobs(m), 3);
    assert_int_equal(m->tot.duplicates, 1);
    assert_int_equal(group_jobs(m, "debug", "physics", ACCT_CANCELLED), 1);
    tu_result_free(r);
    /* several more refreshes re-reading the same jobs: nothing changes */
    static const int64_t starts[3] = {1011, 1021, 1022};
    for (int k = 0; k < 3; k++) {
        b.len = 0;
        job_line(&b, 3, "COMPLETED", 1050);
        job_line(&b, 4, "CANCELLED by 0", 1070);
        r = refresh(S, 1080 + k, buf_cstr(&b), &s, &e);
        assert_int_equal(s, starts[k]);
        assert_int_equal(total_jobs(r->u.acct), 3);
        tu_result_free(r);
    }
    /* jobs older than the overlap are forgotten: the set stays small */
    b.len = 0;
    r = refresh(S, 5000, "", &s, &e);
    assert_int_equal(r->u.acct->seen, 0);
    tu_result_free(r);
    buf_free(&b);
    acct_state_free(S);
}

static void test_late_record(void **state)
{
    (void)state;
    struct acct_state *S = new_state(120, 0);
    struct buf b = {0};
    struct dataset_result *r = refresh(S, 1000, "", NULL, NULL);
    tu_result_free(r);
    job_line(&b, 7, "COMPLETED", 1100);
    r = refresh(S, 1200, buf_cstr(&b), NULL, NULL);
    tu_result_free(r);
    /* job 8 ended at 1150 but slurmdbd recorded it only after the window
     * [1000, 1200] had been read: the overlap finds it */
    b.len = 0;
    job_line(&b, 7, "COMPLETED", 1100);
    job_line(&b, 8, "TIMEOUT", 1150);
    int64_t s;
    r = refresh(S, 1260, buf_cstr(&b), &s, NULL);
    assert_int_equal(s, 1081);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(total_jobs(m), 2);
    assert_int_equal(m->tot.late, 1);
    assert_int_equal(m->tot.duplicates, 1);
    tu_result_free(r);
    buf_free(&b);
    acct_state_free(S);
}

/* slurmdbd stores a cancelled job's end before its batch step reports its
 * usage (seen on the harness: TotalCPU 0 for a moment, 1.01 s a moment
 * later): a job is counted once it ended --accounting.settle ago, with the
 * figures read then. */
static void test_settle(void **state)
{
    (void)state;
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_overlap = 60;
    cfg.accounting_settle = 60;
    struct acct_state *S = acct_state_new(&cfg);
    int64_t s, e;
    struct dataset_result *r = refresh(S, 1000, "", &s, &e);
    assert_int_equal(e, 1000);                      /* read up to now ... */
    assert_int_equal(r->u.acct->window_end, 940);   /* ... counted up to now - settle */
    assert_int_equal(r->u.acct->window_start, 940); /* nothing settled since the start */
    tu_result_free(r);
    /* job 1 ended 30 s ago, its step has not reported yet: read, not counted */
    const char *early = "1|CANCELLED by 0|debug|physics|900|900|990|1100|110|cpu=1|00:00:00||\n"
                        "2|COMPLETED|debug|physics|900|900|990|1020|30|cpu=1|00:05.000||\n";
    r = refresh(S, 1130, early, &s, &e);
    assert_int_equal(e, 1130);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(m->window_end, 1070);
    assert_int_equal(total_jobs(m), 1);
    assert_int_equal(m->seen, 1);
    tu_result_free(r);
    /* a minute later the window starts before its end again; its usage is in */
    const char *later = "1|CANCELLED by 0|debug|physics|900|900|990|1100|110|cpu=1|00:01.010||\n"
                        "2|COMPLETED|debug|physics|900|900|990|1020|30|cpu=1|00:05.000||\n";
    r = refresh(S, 1190, later, &s, &e);
    assert_int_equal(s, 1070 + 1 - 60);
    m = r->u.acct;
    assert_int_equal(m->window_end, 1130);
    assert_int_equal(total_jobs(m), 2);
    assert_int_equal(m->tot.duplicates, 1);
    assert_int_equal(m->tot.revised, 0);
    double used = 0;
    for (size_t i = 0; i < m->ngroups; i++)
        used += m->groups[i].s.cpu_used;
    assert_double_exact(used, 5.0 + 1.01);
    tu_result_free(r);
    acct_state_free(S);
}

/* A record that changes after it was counted (settle too short) keeps its
 * first figures and is counted as revised when the overlap reads it again. */
static void test_revised(void **state)
{
    (void)state;
    struct acct_state *S = new_state(60, 0);
    struct dataset_result *r = refresh(S, 1000, "", NULL, NULL);
    tu_result_free(r);
    r = refresh(S, 1100, "1|CANCELLED by 0|debug|physics|900|900|990|1090|100|cpu=1|00:00:00||\n",
                NULL, NULL);
    assert_int_equal(total_jobs(r->u.acct), 1);
    tu_result_free(r);
    r = refresh(S, 1120, "1|CANCELLED by 0|debug|physics|900|900|990|1090|100|cpu=1|00:01.010||\n",
                NULL, NULL);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(total_jobs(m), 1);
    assert_int_equal(m->tot.revised, 1);
    assert_double_exact(m->groups[0].s.cpu_used, 0);
    tu_result_free(r);
    /* read once more unchanged: still one revision */
    r = refresh(S, 1130, "1|CANCELLED by 0|debug|physics|900|900|990|1090|100|cpu=1|00:01.010||\n",
                NULL, NULL);
    assert_int_equal(r->u.acct->tot.revised, 1);
    tu_result_free(r);
    acct_state_free(S);
}

/* slurmdbd can hold a job's record without its partition for a while (made
 * from the completion message before the start message): it is left for the
 * next window, then counted once, with its partition. */
static void test_incomplete_record(void **state)
{
    (void)state;
    struct acct_state *S = new_state(120, 0);
    struct dataset_result *r = refresh(S, 1000, "", NULL, NULL);
    tu_result_free(r);
    r = refresh(S, 1010,
                "9|COMPLETED||physics|1001|1001|1002|1005|3|cpu=1,mem=1G,node=1|00:00:00||\n"
                "9.batch|COMPLETED||physics|1002|1002|1002|1005|3|cpu=1|00:00:00|1000|1\n",
                NULL, NULL);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(m->incomplete, 1);
    assert_int_equal(total_jobs(m), 0);
    tu_result_free(r);
    r = refresh(S, 1020,
                "9|COMPLETED|debug|physics|1001|1001|1002|1005|3|cpu=1,mem=1G,node=1|00:00:00||\n",
                NULL, NULL);
    m = r->u.acct;
    assert_int_equal(m->incomplete, 0);
    assert_int_equal(group_jobs(m, "debug", "physics", ACCT_COMPLETED), 1);
    assert_int_equal(m->tot.late, 1);
    tu_result_free(r);
    r = refresh(S, 1030,
                "9|COMPLETED|debug|physics|1001|1001|1002|1005|3|cpu=1,mem=1G,node=1|00:00:00||\n",
                NULL, NULL);
    assert_int_equal(total_jobs(r->u.acct), 1);
    tu_result_free(r);
    acct_state_free(S);
}

static void test_since_and_window_cap(void **state)
{
    (void)state;
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_since = 1000;
    cfg.accounting_overlap = 60;
    struct acct_state *S = acct_state_new(&cfg);
    int64_t s, e;
    /* history of three days: read one day per refresh */
    acct_window(S, 1000 + 3 * 86400, 10.0, &s, &e);
    assert_int_equal(s, 1000);
    assert_int_equal(e, 1000 + 86400);
    /* that fetch failed (no commit): the next window is half as long */
    acct_window(S, 1000 + 3 * 86400 + 60, 70.0, &s, &e);
    assert_int_equal(s, 1000);
    assert_int_equal(e, 1000 + 43200);
    struct dataset_result *r = parse_str("");
    acct_commit(S, r->u.acct, &r->arena);
    tu_result_free(r);
    acct_window(S, 1000 + 3 * 86400 + 120, 130.0, &s, &e);
    assert_int_equal(s, 1000 + 43200 + 1 - 60);
    assert_int_equal(e, s + 86400);
    acct_state_free(S);
}

static void test_series_limit(void **state)
{
    (void)state;
    struct acct_state *S = new_state(60, 1);
    const char *text = "1|COMPLETED|debug|physics|900|900|950|1000|50|cpu=1|00:01.000||\n"
                       "2|COMPLETED|debug|chemistry|900|900|950|1000|50|cpu=1|00:01.000||\n"
                       "3|FAILED|debug|physics|900|900|950|1000|50|cpu=1|00:01.000||\n";
    struct dataset_result *r = parse_str(text);
    acct_commit(S, r->u.acct, &r->arena);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(m->ngroups, 1);
    assert_int_equal(m->tot.counted, 2);
    assert_int_equal(m->tot.dropped, 1);
    tu_result_free(r);
    acct_state_free(S);
}

/* ---- state file ---------------------------------------------------------- */

static struct acct_state *busy_state(void)
{
    struct acct_state *S = new_state(120, 0);
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    int64_t s, e;
    acct_window(S, 1795436867, 1.0, &s, &e);
    acct_window(S, 1795440471, 1.5, &s, &e); /* same second: not a failure */
    struct dataset_result *r = parse_text(text, len, NULL);
    acct_commit(S, r->u.acct, &r->arena);
    tu_result_free(r);
    free(text);
    return S;
}

static void test_state_round_trip(void **state)
{
    (void)state;
    struct acct_state *S = busy_state();
    assert_true(S->tot.counted > 10);
    char dir[] = "/tmp/se-acct-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/state", dir);
    char err[256];
    assert_int_equal(acct_state_save(S, path, err, sizeof(err)), 0);
    struct acct_state *T = new_state(120, 0);
    assert_int_equal(acct_state_load(T, path, err, sizeof(err)), 0);
    assert_true(T->restored);
    size_t la, lb;
    char *a = acct_state_dump(S, &la), *b2 = acct_state_dump(T, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b2, la);
    free(a);
    free(b2);
    /* after a restart the next window continues where the saved one ended,
     * and the jobs read again are not counted again */
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    int64_t s, e;
    acct_window(T, 1795440600, 100.0, &s, &e);
    assert_int_equal(s, 1795440471 + 1 - 120);
    struct dataset_result *r = parse_text(text, len, NULL);
    acct_commit(T, r->u.acct, &r->arena);
    assert_int_equal(T->tot.counted, S->tot.counted);
    assert_true(T->tot.duplicates > 0);
    tu_result_free(r);
    free(text);
    unlink(path);
    rmdir(dir);
    acct_state_free(T);
    acct_state_free(S);
}

static void test_state_corrupt(void **state)
{
    (void)state;
    struct acct_state *S = busy_state();
    size_t len;
    char *good = acct_state_dump(S, &len);
    struct acct_state *T = new_state(120, 0);
    char err[256];
    assert_int_equal(acct_state_parse(T, good, len, err, sizeof(err)), 0);
    uint64_t counted = T->tot.counted;
    /* every truncation is refused (the end line counts the records) */
    for (size_t cut = 0; cut < len; cut += 7)
        assert_true(acct_state_parse(T, good, cut, err, sizeof(err)) < 0);
    /* damaged records */
    static const char *const bad[] = {
        "garbage\n",
        "slurm_exporter-accounting-state 5\nfloor 1\nwatermark 2\nend 2\n",
        "slurm_exporter-accounting-state 4\nowner x\nfloor 1\nwatermark 2\nend 3\n",
        "slurm_exporter-accounting-state 3\nowner =x\nfloor 1\nwatermark 2\nend 3\n",
        /* version 3: totals has the revised count too */
        "slurm_exporter-accounting-state 3\nfloor 1\nwatermark 2\ntotals 1 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 0\nfloor 1\nwatermark 2\nend 2\n",
        "slurm_exporter-accounting-state\nfloor 1\nwatermark 2\nend 2\n",
        "slurm_exporter-accounting-state 2 x\nfloor 1\nwatermark 2\nend 2\n",
        /* version 2: a group line has the memory figures too */
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0 1 -1 0\nend 3\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0 1 2 x\nend 3\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0 1 2 0 0\nend 3\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0 1 2 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\nend 2\nfloor 1\n",
        "slurm_exporter-accounting-state 1\nfloor x\nwatermark 2\nend 2\n",
        "slurm_exporter-accounting-state 1\nfloor 5\nwatermark 2\nend 2\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\nseen 0 5\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\ngroup =a =b 1 2 3\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0\ngroup =a =b 0 0 0 0 0 0 0 0 0 0 0\nend 4\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 -1 0\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 nan\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "group =a%0 =b 0 0 0 0 0 0 0 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "group =a =b 0 0 0 0 0 0 0 0 0 0 0\nhist =a 1 1 5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nend 4\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "hist =zz 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2 3\nend 2\n",
        "slurm_exporter-accounting-state 1\nfloor 1\n\nwatermark 2\nend 3\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (acct_state_parse(T, bad[i], strlen(bad[i]), err, sizeof(err)) == 0)
            fail_msg("corrupt state %zu accepted", i);
    }
    /* a refused file leaves the state as it was */
    assert_int_equal(T->tot.counted, counted);
    /* the reason names an unknown version */
    const char *v5 = "slurm_exporter-accounting-state 5\nfloor 1\nwatermark 2\nend 2\n";
    assert_true(acct_state_parse(T, v5, strlen(v5), err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "version 5"));
    /* a name with escaped bytes survives */
    const char *odd = "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
                      "group =a%20b =%25x 1 0 0 0 0 0 0 0 0 0.5 1\nend 3\n";
    assert_int_equal(acct_state_parse(T, odd, strlen(odd), err, sizeof(err)), 0);
    assert_int_equal(T->groups.n, 1);
    assert_string_equal(strtab_get(&T->names, T->groups.v[0].partition), "a b");
    assert_string_equal(strtab_get(&T->names, T->groups.v[0].account), "%x");
    /* a file that is not there, or a directory */
    assert_int_equal(acct_state_load(T, "/nonexistent/x", err, sizeof(err)), -ENOENT);
    assert_true(acct_state_load(T, "/tmp", err, sizeof(err)) < 0);
    free(good);
    acct_state_free(T);
    acct_state_free(S);
}

/* ---- collector -------------------------------------------------------------- */

static void test_collector(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    struct dataset_result *r = tu_result_from(DS_ACCOUNTING, text, len, NULL);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_ACCOUNTING] = r;
    v.series_limit = 100000;
    struct render rr;
    memset(&rr, 0, sizeof(rr));
    struct collect_out o = {0};
    collect_accounting(&v, &rr, &o);
    const char *t = buf_cstr(&rr.text);
    assert_double_exact(
        tu_sample(t, "slurm_accounting_jobs_total{partition=\"batch\",account=\"chemistry\","
                     "state=\"completed\"}"),
        1);
    assert_double_exact(
        tu_sample(t, "slurm_accounting_jobs_total{partition=\"debug\",account=\"physics\","
                     "state=\"timeout\"}"),
        1);
    assert_double_exact(tu_sample(t, "slurm_accounting_cpu_used_seconds_total{partition=\"batch\","
                                     "account=\"chemistry\"}"),
                        5.017);
    assert_double_exact(
        tu_sample(t, "slurm_accounting_cpu_allocated_seconds_total{partition=\"batch\","
                     "account=\"chemistry\"}"),
        10);
    assert_double_exact(tu_sample(t, "slurm_accounting_records_total{result=\"counted\"}"), 21);
    /* without the dataset: nothing */
    render_free(&rr);
    memset(&rr, 0, sizeof(rr));
    v.ds[DS_ACCOUNTING] = NULL;
    collect_accounting(&v, &rr, &o);
    assert_int_equal(rr.text.len, 0);
    render_free(&rr);
    tu_result_free(r);
    free(text);
}

/* Memory-seconds from tests/fixtures/22.05/exporter_accounting.txt, by hand
 * (MiB = 1048576 bytes; used = the largest step MaxRSS x its NTasks):
 *  batch/chemistry: job 24, 5 s, mem=4000M, steps 24.batch 11116544 x 1 and
 *    24.0 223440896 x 2 = 446881792: used 446881792 x 5 = 2234408960, allocated
 *    4000 x 1048576 x 5 = 20971520000.
 *  debug/physics: jobs 1, 10, 11 (600 s, mem=2000M, peaks 3207168, 3407872,
 *    3358720), 21 (60 s, 2000M, 3301376) and 30 (5 s, 1024M, steps 10985472
 *    and 13684736): used 600 x 9973760 + 60 x 3301376 + 5 x 13684736 =
 *    6250762240, allocated (3 x 600 + 60) x 2097152000 + 5 x 1073741824 =
 *    3906071429120. Jobs 9, 25, 26, 27 ran without a sample: 4 unmeasured.
 *  debug/biology: 4 (600 s, 4096M, 3252224) measured; 8 and 28 (no sample)
 *    unmeasured. Job 20 (debug,batch) never ran: it adds to neither. */
static void test_memory_counters(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    struct dataset_result *r = tu_result_from(DS_ACCOUNTING, text, len, NULL);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_ACCOUNTING] = r;
    v.series_limit = 100000;
    struct render rr;
    memset(&rr, 0, sizeof(rr));
    struct collect_out o = {0};
    collect_accounting(&v, &rr, &o);
    const char *t = buf_cstr(&rr.text);
#define MEM(kind, part, acct)                                                                      \
    tu_sample(t, "slurm_accounting_memory_" kind "_total{partition=\"" part "\",account=\"" acct   \
                 "\"}")
    assert_double_exact(MEM("used_byte_seconds", "batch", "chemistry"), 2234408960.0);
    assert_double_exact(MEM("allocated_byte_seconds", "batch", "chemistry"), 20971520000.0);
    assert_double_exact(MEM("unmeasured_jobs", "batch", "chemistry"), 0);
    assert_double_exact(MEM("used_byte_seconds", "debug", "physics"), 6250762240.0);
    assert_double_exact(MEM("allocated_byte_seconds", "debug", "physics"), 3906071429120.0);
    assert_double_exact(MEM("unmeasured_jobs", "debug", "physics"), 4);
    assert_double_exact(MEM("used_byte_seconds", "debug", "biology"), 600.0 * 3252224);
    assert_double_exact(MEM("allocated_byte_seconds", "debug", "biology"), 600.0 * 4096 * 1048576);
    assert_double_exact(MEM("unmeasured_jobs", "debug", "biology"), 2);
    assert_double_exact(MEM("unmeasured_jobs", "debug,batch", "biology"), 0);
    assert_double_exact(MEM("allocated_byte_seconds", "debug,batch", "biology"), 0);
    /* the same jobs as the memory efficiency histogram: in a partition, the
     * jobs that ran less the unmeasured ones */
    double unmeasured_debug = MEM("unmeasured_jobs", "debug", "physics") +
                              MEM("unmeasured_jobs", "debug", "biology") +
                              MEM("unmeasured_jobs", "debug", "chemistry");
#undef MEM
    assert_double_exact(
        tu_sample(t, "slurm_accounting_job_memory_efficiency_count{partition=\"debug\"}"),
        tu_sample(t, "slurm_accounting_job_run_seconds_count{partition=\"debug\"}") -
            unmeasured_debug);
    render_free(&rr);
    tu_result_free(r);
    free(text);
}

/* A version 1 state file (before the memory figures) is read: its counters
 * continue, the memory counters start at 0; it is written back as version 4. */
static void test_state_version_1(void **state)
{
    (void)state;
    const char *v1 = "slurm_exporter-accounting-state 1\nfloor 100\nwatermark 200\nno_overlap 0\n"
                     "totals 3 0 0 0\nseen 7 190\n"
                     "group =debug =physics 2 1 0 0 0 0 0 0 0 12.5 40\nend 6\n";
    struct acct_state *S = new_state(60, 0);
    char err[256];
    assert_int_equal(acct_state_parse(S, v1, strlen(v1), err, sizeof(err)), 0);
    assert_int_equal(S->groups.n, 1);
    const struct acct_sums *g = &S->groups.v[0].s;
    assert_int_equal(g->jobs[ACCT_COMPLETED], 2);
    assert_int_equal(g->jobs[ACCT_FAILED], 1);
    assert_double_exact(g->cpu_used, 12.5);
    assert_double_exact(g->cpu_alloc, 40);
    assert_double_exact(g->mem_used, 0);
    assert_double_exact(g->mem_alloc, 0);
    size_t len;
    char *dump = acct_state_dump(S, &len);
    assert_true(strncmp(dump, "slurm_exporter-accounting-state 4\nowner =\n", 42) == 0);
    assert_non_null(strstr(dump, "\ngroup =debug =physics 2 1 0 0 0 0 0 0 0 12.5 40 0 0 0 0 0\n"));
    struct acct_state *T = new_state(60, 0);
    assert_int_equal(acct_state_parse(T, dump, len, err, sizeof(err)), 0);
    free(dump);
    /* a job counted after the upgrade adds its memory */
    struct dataset_result *r =
        refresh(T, 300,
                "8|COMPLETED|debug|physics|210|210|220|250|30|cpu=2,mem=1G,node=1|00:10.000||\n"
                "8.batch|COMPLETED||physics|220|220|220|250|30|cpu=2|00:10.000|1048576|2\n",
                NULL, NULL);
    const struct acct_group *mg = &r->u.acct->groups[0];
    assert_int_equal(mg->s.jobs[ACCT_COMPLETED], 3);
    assert_double_exact(mg->s.mem_used, 2.0 * 1048576 * 30);
    assert_double_exact(mg->s.mem_alloc, 1073741824.0 * 30);
    assert_double_exact(mg->s.cpu_alloc, 40 + 60);
    tu_result_free(r);
    acct_state_free(T);
    acct_state_free(S);
}

/* ---- per user (--accounting.users) ------------------------------------------ */

/* A state counting per user too. */
static struct acct_state *new_user_state(double overlap, size_t limit)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_overlap = overlap;
    cfg.series_limit = limit;
    cfg.accounting_users = true;
    return acct_state_new(&cfg);
}

static struct dataset_result *commit_users(struct acct_state *S, const char *text)
{
    struct dataset_result *r = parse_text_users(text, strlen(text), true, NULL);
    acct_commit(S, r->u.acct, &r->arena);
    return r;
}

static const struct acct_group *find_ugroup(const struct acct_model *m, const char *part,
                                            const char *acct, const char *user)
{
    for (size_t i = 0; i < m->nugroups; i++)
        if (strcmp(strtab_get(&m->strs, m->ugroups[i].partition), part) == 0 &&
            strcmp(strtab_get(&m->strs, m->ugroups[i].account), acct) == 0 &&
            strcmp(strtab_get(&m->strs, m->ugroups[i].user), user) == 0)
            return &m->ugroups[i];
    fail_msg("no group %s/%s/%s", part, acct, user);
    return NULL;
}

/* User is read from its own field (the last of the users format); a line of
 * the default format is unreadable then, and the other way round. */
static void test_user_field(void **state)
{
    (void)state;
    const char *users = "5|COMPLETED|debug|physics|90|90|95|100|5|cpu=1,mem=1G|00:01.000|||alice\n"
                        "5.batch|COMPLETED||physics|95|95|95|100|5|cpu=1|00:01.000|2048|1|\n"
                        "6|FAILED|debug|physics|90|90|95|100|5|cpu=1,mem=1G|00:01.000|||bob\n";
    struct parse_stats st;
    struct dataset_result *r = parse_text_users(users, strlen(users), true, &st);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(st.errors, 0);
    assert_string_equal(strtab_get(&m->strs, find_job(m, 5)->user), "alice");
    assert_string_equal(strtab_get(&m->strs, find_job(m, 6)->user), "bob");
    assert_double_exact(find_job(m, 5)->mem_used, 2048);
    tu_result_free(r);
    /* the default format's parser does not take a 14th field */
    r = parse_text_users(users, strlen(users), false, &st);
    assert_int_equal(st.errors, 3);
    tu_result_free(r);
    /* nor does the users format's parser take 13 */
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    r = parse_text_users(text, len, true, &st);
    assert_int_equal(st.errors, st.lines);
    tu_result_free(r);
    free(text);
    /* without the flag no user is kept */
    r = parse_str("5|COMPLETED|debug|physics|90|90|95|100|5|cpu=1,mem=1G|00:01.000||\n");
    assert_int_equal(find_job(r->u.acct, 5)->user, ACCT_NO_USER);
    tu_result_free(r);
}

/* The per-user groups count the same jobs as the (partition, account) ones
 * and are bounded by the series limit on their own; the jobs they drop are
 * counted. */
static void test_user_series_limit(void **state)
{
    (void)state;
    struct acct_state *S = new_user_state(60, 3);
    const char *text = "1|COMPLETED|debug|physics|900|900|950|1000|50|cpu=1|00:01.000|||alice\n"
                       "2|COMPLETED|debug|physics|900|900|950|1000|50|cpu=1|00:01.000|||bob\n"
                       "3|FAILED|debug|physics|900|900|950|1000|50|cpu=2|00:02.000|||carol\n"
                       "4|FAILED|debug|physics|900|900|950|1000|50|cpu=2|00:02.000|||dave\n"
                       "5|FAILED|debug|physics|900|900|950|1000|50|cpu=2|00:02.000|||alice\n"
                       "6|TIMEOUT|batch|physics|900|900|950|1000|50|cpu=4|00:04.000|||alice\n";
    struct dataset_result *r = commit_users(S, text);
    const struct acct_model *m = r->u.acct;
    assert_true(m->users);
    assert_int_equal(m->ngroups, 2);
    assert_int_equal(m->tot.counted, 6);
    assert_int_equal(m->tot.dropped, 0);
    /* alice, bob, carol in debug/physics fill the 3 user groups: dave's job
     * and alice's batch job are not counted per user */
    assert_int_equal(m->nugroups, 3);
    assert_int_equal(m->tot.user_dropped, 2);
    const struct acct_group *a = find_ugroup(m, "debug", "physics", "alice");
    assert_int_equal(a->s.jobs[ACCT_COMPLETED], 1);
    assert_int_equal(a->s.jobs[ACCT_FAILED], 1);
    assert_double_exact(a->s.cpu_alloc, 50 + 100);
    assert_double_exact(a->s.cpu_used, 3);
    /* sorted by partition, account, user */
    assert_string_equal(strtab_get(&m->strs, m->ugroups[0].user), "alice");
    assert_string_equal(strtab_get(&m->strs, m->ugroups[2].user), "carol");
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_ACCOUNTING] = r;
    struct render rr;
    memset(&rr, 0, sizeof(rr));
    struct collect_out o = {0};
    collect_accounting(&v, &rr, &o);
    const char *t = buf_cstr(&rr.text);
    assert_double_exact(tu_sample(t, "slurm_accounting_user_dropped_jobs_total"), 2);
    assert_double_exact(tu_sample(t, "slurm_accounting_user_jobs_total{partition=\"debug\","
                                     "account=\"physics\",user=\"alice\",state=\"failed\"}"),
                        1);
    assert_double_exact(tu_sample(t, "slurm_accounting_user_cpu_allocated_seconds_total{"
                                     "partition=\"debug\",account=\"physics\",user=\"carol\"}"),
                        100);
    assert_false(tu_has_line(t, "slurm_accounting_user_jobs_total{partition=\"debug\","
                                "account=\"physics\",user=\"dave\",state=\"failed\"} 1"));
    render_free(&rr);
    tu_result_free(r);
    acct_state_free(S);
}

/* The state file keeps the per-user groups; an exporter started without
 * --accounting.users reads the file and leaves them out (they start again
 * from 0 when the flag is back), one with it continues them. */
static void test_state_round_trip_users(void **state)
{
    (void)state;
    struct acct_state *S = new_user_state(60, 0);
    struct dataset_result *r =
        commit_users(S, "1|COMPLETED|debug|physics|900|900|950|1000|50|cpu=1,mem=1G|00:01.000|||"
                        "al ice\n"
                        "1.batch|COMPLETED||physics|950|950|950|1000|50|cpu=1|00:01.000|1024|1|\n"
                        "2|FAILED|debug|chemistry|900|900|950|1000|50|cpu=2|00:02.000|||bob\n");
    tu_result_free(r);
    size_t len;
    char *dump = acct_state_dump(S, &len);
    /* the figures: jobs by state, CPU used and allocated, memory used and
     * allocated, unmeasured jobs, CPU and memory waste (50 - 1, 1 GiB x 50 -
     * 1024 x 50) */
    assert_non_null(strstr(dump, "\nugroup =debug =physics =al%20ice 1 0 0 0 0 0 0 0 0 1 50 51200 "
                                 "53687091200 0 49 53687040000\n"));
    assert_non_null(strstr(dump, "\ntotals 2 0 0 0 0 0\n"));
    char err[256];
    struct acct_state *T = new_user_state(60, 0);
    assert_int_equal(acct_state_parse(T, dump, len, err, sizeof(err)), 0);
    size_t len2;
    char *dump2 = acct_state_dump(T, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(dump, dump2, len);
    free(dump2);
    assert_int_equal(T->ugroups.n, 2);
    /* counting continues */
    r = commit_users(T,
                     "3|COMPLETED|debug|chemistry|1900|1900|1950|2000|50|cpu=2|00:02.000|||bob\n");
    const struct acct_group *b = find_ugroup(r->u.acct, "debug", "chemistry", "bob");
    assert_int_equal(b->s.jobs[ACCT_FAILED], 1);
    assert_int_equal(b->s.jobs[ACCT_COMPLETED], 1);
    tu_result_free(r);
    acct_state_free(T);
    /* without the flag: read, but no per-user groups */
    struct acct_state *U = new_state(60, 0);
    assert_int_equal(acct_state_parse(U, dump, len, err, sizeof(err)), 0);
    assert_int_equal(U->groups.n, 2);
    assert_int_equal(U->ugroups.n, 0);
    char *dump3 = acct_state_dump(U, NULL);
    assert_null(strstr(dump3, "ugroup"));
    free(dump3);
    acct_state_free(U);
    /* more per-user groups than the limit: the file is refused */
    struct acct_state *V = new_user_state(60, 1);
    assert_true(acct_state_parse(V, dump, len, err, sizeof(err)) < 0);
    acct_state_free(V);
    /* a damaged ugroup line is refused */
    static const char *const bad[] = {
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "ugroup =a =b 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "ugroup =a =b =c 0 0 0 0 0 0 0 0 0 0 0 0 0\nend 3\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "ugroup =a =b =c 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        "ugroup =a =b =c 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nend 4\n",
        "slurm_exporter-accounting-state 2\nfloor 1\nwatermark 2\n"
        "ugroup =a =b =c 0 0 0 0 0 0 0 0 0 0 0 0 0 0 -1 0\nend 3\n",
        "slurm_exporter-accounting-state 1\nfloor 1\nwatermark 2\n"
        "ugroup =a =b =c 0 0 0 0 0 0 0 0 0 0 0\nend 3\n",
    };
    struct acct_state *W = new_user_state(60, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (acct_state_parse(W, bad[i], strlen(bad[i]), err, sizeof(err)) == 0)
            fail_msg("corrupt state %zu accepted", i);
    acct_state_free(W);
    free(dump);
    acct_state_free(S);
}

/* The per-user counters of tests/fixtures/22.05/exporter_accounting_users.txt
 * (recorded with the --accounting.users command), by hand:
 *  debug/physics/root: 1 completed (16 s x 2 CPUs, TotalCPU 4.862, 1000M,
 *    peak max(10981376, 76476416 x 2 tasks) = 152952832), 3 completed (1 s x
 *    1 CPU, 0.016, no memory sample: unmeasured), 8 cancelled while held
 *    (never ran: adds to no sum): CPU 4.862 + 0.016 used of 16 x 2 + 1 = 33,
 *    memory 152952832 x 16 = 2447245312 used of 1000 MiB x 16 = 16777216000.
 *  debug/chemistry/root: 2 completed (10 s, 2.118, 1024M, 46800896) and 7
 *    timeout (24 s, 0.017, 2000M, 3133440): CPU 2.135 of 34, memory
 *    46800896 x 10 + 3133440 x 24 = 543211520 of 1 GiB x 10 + 2000 MiB x 24 =
 *    61069066240.
 *  debug/biology/sexp2: 4 completed (7 s, 1.604, 2048M, 52015104) and 5 failed
 *    (1 s, 0.011, no sample): CPU 1.615 of 8, memory 364105728 of 15032385536.
 *  batch/biology/sexp2: 6 completed on 2 nodes (6 s x 2 CPUs, 2.254, 2048M,
 *    peak max(11280384, 29626368 x 2) = 59252736): CPU 2.254 of 12, memory
 *    355516416 of 12884901888. */
static void test_user_counters_fixture(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting_users.txt", &len);
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_users = true;
    struct parse_stats st;
    struct dataset_result *r = tu_result_run_cfg(DS_ACCOUNTING, text, len, 0, &cfg, &st, NULL);
    assert_int_equal(st.errors, 0);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(m->nugroups, 4);
    const struct acct_group *g = find_ugroup(m, "debug", "physics", "root");
    assert_int_equal(g->s.jobs[ACCT_COMPLETED], 2);
    assert_int_equal(g->s.jobs[ACCT_CANCELLED], 1);
    assert_double_exact(g->s.cpu_used, 4.862 + 0.016);
    assert_double_exact(g->s.cpu_alloc, 33);
    assert_double_exact(g->s.mem_used, 2447245312.0);
    assert_double_exact(g->s.mem_alloc, 16777216000.0);
    assert_int_equal(g->s.mem_unmeasured, 1);
    g = find_ugroup(m, "debug", "chemistry", "root");
    assert_int_equal(g->s.jobs[ACCT_COMPLETED], 1);
    assert_int_equal(g->s.jobs[ACCT_TIMEOUT], 1);
    assert_double_exact(g->s.cpu_used, 2.118 + 0.017);
    assert_double_exact(g->s.cpu_alloc, 34);
    assert_double_exact(g->s.mem_used, 543211520.0);
    assert_double_exact(g->s.mem_alloc, 61069066240.0);
    g = find_ugroup(m, "debug", "biology", "sexp2");
    assert_int_equal(g->s.jobs[ACCT_COMPLETED], 1);
    assert_int_equal(g->s.jobs[ACCT_FAILED], 1);
    assert_double_exact(g->s.cpu_used, 1.604 + 0.011);
    assert_double_exact(g->s.cpu_alloc, 8);
    assert_double_exact(g->s.mem_used, 364105728.0);
    assert_double_exact(g->s.mem_alloc, 15032385536.0);
    assert_int_equal(g->s.mem_unmeasured, 1);
    g = find_ugroup(m, "batch", "biology", "sexp2");
    assert_int_equal(g->s.jobs[ACCT_COMPLETED], 1);
    assert_double_exact(g->s.cpu_used, 2.254);
    assert_double_exact(g->s.cpu_alloc, 12);
    assert_double_exact(g->s.mem_used, 355516416.0);
    assert_double_exact(g->s.mem_alloc, 12884901888.0);
    /* one user per partition and account here: each user group equals its
     * (partition, account) group */
    for (size_t i = 0; i < m->nugroups; i++) {
        const struct acct_group *u = &m->ugroups[i];
        const struct acct_group *a = NULL;
        for (size_t k = 0; k < m->ngroups; k++)
            if (m->groups[k].partition == u->partition && m->groups[k].account == u->account)
                a = &m->groups[k];
        assert_non_null(a);
        assert_memory_equal(&a->s, &u->s, sizeof(a->s));
    }
    tu_result_free(r);
    free(text);
}

/* ---- jontk's names (--compat=jontk) ----------------------------------------- */

static void render_acct(const struct dataset_result *r, unsigned compat, struct render *rr)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_ACCOUNTING] = r;
    v.series_limit = 100000;
    v.compat = compat;
    memset(rr, 0, sizeof(*rr));
    struct collect_out o = {0};
    collect_accounting(&v, rr, &o);
}

#define assert_near(a, b)                                                                          \
    do {                                                                                           \
        double na_ = (a), nb_ = (b);                                                               \
        if (fabs(na_ - nb_) > 1e-12 * fmax(1, fabs(nb_)))                                          \
            fail_msg("%s == %.17g, expected %.17g", #a, na_, nb_);                                 \
    } while (0)

/* From tests/fixtures/22.05/exporter_accounting.txt, by hand (no user label
 * without --accounting.users):
 *  debug/physics completed: jobs 1, 10, 11, 30; failed: 25, 26, 27.
 *  chemistry's CPU time used, all partitions: 24 (5.017 s, batch), 5, 7 and
 *    29 (0.002 + 0.001 + 0.003 s, debug) = 5.023 s.
 *  batch/chemistry: job 24, 5 s x 2 CPUs = 10 CPU-s allocated, 5.017 used:
 *    waste 4.983 CPU-s; memory 4000 MiB x 5 s allocated, 446881792 x 5 used:
 *    waste 18737111040 byte-s.
 *  debug/chemistry CPU waste: 5 (600 - 0.002) + 29 (6 - 0.003); job 7 used
 *    0.001 s of 0 s allocated (elapsed 0) and adds 0, not -0.001.
 *  batch efficiency: 24 and 2 (131 s x 2 CPUs, 0.001 used): 5.018 / 272. */
static void test_jontk_names(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting.txt", &len);
    struct dataset_result *r = tu_result_from(DS_ACCOUNTING, text, len, NULL);
    struct render rr;
    render_acct(r, 0, &rr);
    const char *t = buf_cstr(&rr.text);
    assert_null(strstr(t, "slurm_jobs_completed"));
    assert_null(strstr(t, "slurm_job_waste"));
    render_free(&rr);
    render_acct(r, COMPAT_JONTK, &rr);
    t = buf_cstr(&rr.text);
    assert_double_exact(
        tu_sample(t, "slurm_jobs_completed_total{partition=\"debug\",account=\"physics\"}"), 4);
    assert_double_exact(
        tu_sample(t, "slurm_jobs_failed_total{partition=\"debug\",account=\"physics\"}"), 3);
    assert_double_exact(
        tu_sample(t, "slurm_jobs_failed_total{partition=\"debug\",account=\"biology\"}"), 1);
    assert_near(tu_sample(t, "slurm_account_cpu_hours_used_total{account=\"chemistry\"}"),
                5.023 / 3600);
    assert_near(
        tu_sample(t, "slurm_job_cpu_hours_total{partition=\"batch\",account=\"chemistry\"}"),
        10.0 / 3600);
    assert_near(
        tu_sample(t, "slurm_job_waste_cpu_hours{partition=\"batch\",account=\"chemistry\"}"),
        4.983 / 3600);
    assert_near(
        tu_sample(t, "slurm_job_waste_memory_gb_hours{partition=\"batch\",account=\"chemistry\"}"),
        18737111040.0 / 1e9 / 3600);
    assert_near(
        tu_sample(t, "slurm_job_waste_cpu_hours{partition=\"debug\",account=\"chemistry\"}"),
        ((600 - 0.002) + (6 - 0.003)) / 3600);
    assert_near(tu_sample(t, "slurm_job_cpu_efficiency_ratio{partition=\"batch\"}"), 5.018 / 272);
    /* the wait histogram is the accounting one under jontk's name */
    assert_double_exact(
        tu_sample(t, "slurm_job_wait_time_seconds_count{partition=\"debug\"}"),
        tu_sample(t, "slurm_accounting_job_queue_wait_seconds_count{partition=\"debug\"}"));
    assert_double_exact(
        tu_sample(t, "slurm_job_wait_time_seconds_sum{partition=\"gpu\"}"),
        tu_sample(t, "slurm_accounting_job_queue_wait_seconds_sum{partition=\"gpu\"}"));
    /* no user label without --accounting.users */
    assert_null(strstr(t, "user=\""));
    /* types: the waste names keep jontk's (no _total: gauges that only grow) */
    assert_true(tu_has_line(t, "# TYPE slurm_job_waste_cpu_hours gauge"));
    assert_true(tu_has_line(t, "# TYPE slurm_jobs_completed_total counter"));
    assert_true(tu_has_line(t, "# TYPE slurm_job_wait_time_seconds histogram"));
    render_free(&rr);
    tu_result_free(r);
    free(text);
}

/* With --accounting.users the same names carry the user, from the per-user
 * groups of tests/fixtures/22.05/exporter_accounting_users.txt (by hand, see
 * test_user_counters_fixture): root's CPU time in physics is 4.862 + 0.016 s
 * (jobs 1 and 3), in chemistry 2.118 + 0.017 s (2 and 7). */
static void test_jontk_names_users(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_read_rel("tests/fixtures/22.05/exporter_accounting_users.txt", &len);
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_users = true;
    struct dataset_result *r = tu_result_run_cfg(DS_ACCOUNTING, text, len, 0, &cfg, NULL, NULL);
    struct render rr;
    render_acct(r, COMPAT_JONTK, &rr);
    const char *t = buf_cstr(&rr.text);
    assert_near(
        tu_sample(t, "slurm_account_cpu_hours_used_total{account=\"physics\",user=\"root\"}"),
        (4.862 + 0.016) / 3600);
    assert_near(
        tu_sample(t, "slurm_account_cpu_hours_used_total{account=\"chemistry\",user=\"root\"}"),
        (2.118 + 0.017) / 3600);
    assert_double_exact(tu_sample(t, "slurm_jobs_failed_total{partition=\"debug\","
                                     "account=\"biology\",user=\"sexp2\"}"),
                        1);
    assert_double_exact(tu_sample(t, "slurm_jobs_completed_total{partition=\"debug\","
                                     "account=\"physics\",user=\"root\"}"),
                        2);
    assert_near(tu_sample(t, "slurm_job_cpu_hours_total{partition=\"batch\",account=\"biology\","
                             "user=\"sexp2\"}"),
                12.0 / 3600);
    /* memory waste of batch/biology/sexp2: job 6, 2048 MiB x 6 s allocated,
     * 59252736 x 6 used */
    assert_near(tu_sample(t, "slurm_job_waste_memory_gb_hours{partition=\"batch\","
                             "account=\"biology\",user=\"sexp2\"}"),
                (12884901888.0 - 355516416.0) / 1e9 / 3600);
    render_free(&rr);
    tu_result_free(r);
    free(text);
}

static void test_config_since(void **state)
{
    (void)state;
    double t;
    assert_int_equal(config_parse_since("24h", 100000, &t), 0);
    assert_double_exact(t, 100000 - 86400);
    assert_int_equal(config_parse_since("2024-05-01T00:00:00Z", 2e9, &t), 0);
    assert_double_exact(t, 1714521600);
    assert_int_equal(config_parse_since("2024-05-01T02:00:00.5+02:00", 2e9, &t), 0);
    assert_double_exact(t, 1714521600);
    assert_int_equal(config_parse_since("2024-05-01", 2e9, &t), 0);
    assert_double_exact(t, 1714521600);
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "2024-05-01T00:00:00",
                                      "2024-02-30T00:00:00Z",
                                      "2024-05-01T25:00:00Z",
                                      "2024-05-01T00:00:00+2",
                                      "2099-01-01T00:00:00Z",
                                      "2024-05-01T00:00:00Zjunk"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (config_parse_since(bad[i], 2e9, &t) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
}

/* Several clusters: each cluster's state goes to its own file, PATH.CLUSTER;
 * one cluster (or none named) keeps PATH itself. */
static void test_state_file_per_cluster(void **state)
{
    (void)state;
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.accounting_state_file = "/nonexistent/acct.state";
    const struct source_def *src = sources[DS_ACCOUNTING];
    assert_non_null(src->state_new);
    cfg.nclusters = 2;
    struct acct_state *a = src->state_new(&cfg, "alpha");
    struct acct_state *b = src->state_new(&cfg, "be/ta");
    assert_string_equal(a->path, "/nonexistent/acct.state.alpha");
    assert_string_equal(b->path, "/nonexistent/acct.state.be_ta");
    cfg.nclusters = 1;
    struct acct_state *c = src->state_new(&cfg, "alpha");
    struct acct_state *d = src->state_new(&cfg, NULL);
    assert_string_equal(c->path, "/nonexistent/acct.state");
    assert_string_equal(d->path, "/nonexistent/acct.state");
    src->state_free(a);
    src->state_free(b);
    src->state_free(c);
    src->state_free(d);
}

/* ---- active-only HA ---------------------------------------------------------- */

/* Jobs first..last of job_line, job k ending at 1050 + 10 k. */
static struct dataset_result *ha_refresh(struct acct_state *S, int64_t now, unsigned first,
                                         unsigned last)
{
    struct buf b = {0};
    for (unsigned k = first; k <= last; k++)
        job_line(&b, k, "COMPLETED", 1050 + 10 * (long long)k);
    struct dataset_result *r = refresh(S, now, buf_cstr(&b), NULL, NULL);
    buf_free(&b);
    return r;
}

/* Two exporters A and B share one state file: A counts jobs 1-5 and saves;
 * B, active next, resumes A's window and counts sacct's next output (jobs
 * 3-8, overlapping A's window) into its own counters: only 6-8; A's stay as
 * they were; together 8 jobs, each once. Without the resume (C) the jobs
 * that ended between A's last window and C's start are counted by nobody.
 * Then A takes the window back from B's save and counts only what B had not. */
static void test_ha_resume_window(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-acct-ha-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], old[256], err[256];
    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(old, sizeof(old), "%s/old", dir);
    struct acct_state *A = new_state(60, 0), *B = new_state(60, 0), *C = new_state(60, 0);
    acct_state_ha_start(A, "ctl1");
    acct_state_ha_start(B, "ctl2");
    tu_result_free(ha_refresh(A, 1000, 1, 0)); /* A starts counting at 1000 */
    struct dataset_result *r = ha_refresh(A, 1100, 1, 5);
    assert_int_equal(total_jobs(r->u.acct), 5);
    tu_result_free(r);
    assert_int_equal(acct_state_save(A, path, err, sizeof(err)), 0);
    assert_int_equal(acct_state_save(A, old, err, sizeof(err)), 0);
    char *a_before = acct_state_dump(A, NULL);
    assert_non_null(strstr(a_before, "\nowner =ctl1\n"));

    /* nothing to resume: no file */
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/none", dir);
    assert_int_equal(acct_state_resume_window(B, missing, err, sizeof(err)), 0);
    assert_int_equal(B->watermark, 0);

    assert_int_equal(acct_state_resume_window(B, path, err, sizeof(err)), 1);
    assert_string_equal(B->file_owner, "ctl1");
    assert_string_equal(B->owner, "ctl2");
    assert_int_equal(B->watermark, 1100);
    assert_int_equal(B->floor, 1000);
    assert_int_equal(B->tot.counted, 0); /* the counters are B's own */
    int64_t s, e;
    acct_window(B, 1200, 1200.0, &s, &e);
    assert_int_equal(s, 1100 + 1 - 60); /* jobs 3 (1080) .. 5 (1100) read again */
    B->pend_start = B->pend_end = 0;
    r = ha_refresh(B, 1200, 3, 8);
    const struct acct_model *m = r->u.acct;
    assert_int_equal(total_jobs(m), 3); /* 6, 7, 8 */
    assert_int_equal(m->tot.counted, 3);
    assert_int_equal(m->tot.duplicates, 3); /* 3, 4, 5: in the resumed window's jobs */
    tu_result_free(r);
    /* A's counters are untouched */
    char *a_after = acct_state_dump(A, NULL);
    assert_string_equal(a_after, a_before);
    assert_int_equal(A->tot.counted + B->tot.counted, 8);
    assert_int_equal(A->groups.v[0].s.jobs[ACCT_COMPLETED] + B->groups.v[0].s.jobs[ACCT_COMPLETED],
                     8);
    /* the control: without the window, 6-8 would be nobody's */
    r = ha_refresh(C, 1200, 3, 8);
    assert_int_equal(total_jobs(r->u.acct), 0);
    tu_result_free(r);

    /* B saves (its name in the file); A resumes B's window and reads jobs 7
     * and 8 (B's) again with 9 and 10, which ended after B's last window:
     * 9 and 10 only */
    assert_int_equal(acct_state_save(B, path, err, sizeof(err)), 0);
    assert_int_equal(acct_state_resume_window(A, path, err, sizeof(err)), 1);
    assert_string_equal(A->file_owner, "ctl2");
    assert_int_equal(A->watermark, 1200);
    struct buf b = {0};
    job_line(&b, 7, "COMPLETED", 1120);
    job_line(&b, 8, "COMPLETED", 1130);
    job_line(&b, 9, "COMPLETED", 1210);
    job_line(&b, 10, "COMPLETED", 1220);
    r = refresh(A, 1300, buf_cstr(&b), &s, &e);
    buf_free(&b);
    assert_int_equal(s, 1200 + 1 - 60);
    assert_int_equal(r->u.acct->tot.counted, 5 + 2);
    tu_result_free(r);
    assert_int_equal(A->tot.counted + B->tot.counted, 10);

    /* a file whose window ends before B's own: B keeps its own */
    r = ha_refresh(B, 1250, 8, 8);
    tu_result_free(r);
    assert_int_equal(acct_state_resume_window(B, old, err, sizeof(err)), 0);
    assert_int_equal(B->watermark, 1250);
    assert_int_equal(B->tot.counted, 3);
    /* a bad file: an error, B unchanged */
    FILE *f = fopen(old, "w");
    assert_non_null(f);
    fputs("slurm_exporter-accounting-state 4\nfloor x\n", f);
    fclose(f);
    assert_true(acct_state_resume_window(B, old, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(B->watermark, 1250);
    free(a_before);
    free(a_after);
    unlink(path);
    unlink(old);
    rmdir(dir);
    acct_state_free(A);
    acct_state_free(B);
    acct_state_free(C);
}

/* At start in HA mode: the restored counters are kept only when the file is
 * this exporter's; otherwise only the window (with its remembered jobs). A
 * version 3 file (no owner line) is read, and is nobody's. */
static void test_ha_start_owner(void **state)
{
    (void)state;
    struct acct_state *A = new_state(60, 0);
    acct_state_ha_start(A, "ctl1");
    tu_result_free(ha_refresh(A, 1000, 1, 0));
    tu_result_free(ha_refresh(A, 1100, 1, 5));
    size_t len;
    char *file = acct_state_dump(A, &len);
    char err[256];

    struct acct_state *S = new_state(60, 0);
    assert_int_equal(acct_state_parse(S, file, len, err, sizeof(err)), 0);
    assert_int_equal(acct_state_ha_start(S, "ctl1"), 1);
    assert_int_equal(S->tot.counted, 5);
    char *again = acct_state_dump(S, NULL);
    assert_string_equal(again, file);
    free(again);
    acct_state_free(S);

    S = new_state(60, 0);
    assert_int_equal(acct_state_parse(S, file, len, err, sizeof(err)), 0);
    assert_string_equal(S->file_owner, "ctl1");
    assert_int_equal(acct_state_ha_start(S, "ctl2"), 0);
    assert_int_equal(S->tot.counted, 0);
    assert_int_equal(S->groups.n, 0);
    assert_int_equal(S->nparts, 0);
    assert_int_equal(S->watermark, 1100);
    assert_int_equal(S->seen_n, A->seen_n);
    struct dataset_result *r = ha_refresh(S, 1200, 3, 8);
    assert_int_equal(r->u.acct->tot.counted, 3);
    assert_int_equal(r->u.acct->tot.duplicates, 3);
    tu_result_free(r);
    char *mine = acct_state_dump(S, NULL);
    assert_non_null(strstr(mine, "\nowner =ctl2\n"));
    free(mine);
    acct_state_free(S);

    /* the same file as version 3: no owner line */
    const char *v3 = "slurm_exporter-accounting-state 3\nfloor 1000\nwatermark 1100\n"
                     "no_overlap 0\ntotals 5 0 0 0 0 0\nseen 5 1100\n"
                     "group =debug =physics 5 0 0 0 0 0 0 0 0 0 50 0 0 0 0 0\nend 6\n";
    S = new_state(60, 0);
    assert_int_equal(acct_state_parse(S, v3, strlen(v3), err, sizeof(err)), 0);
    assert_string_equal(S->file_owner, "");
    assert_int_equal(S->tot.counted, 5);
    assert_int_equal(acct_state_ha_start(S, "ctl1"), 0);
    assert_int_equal(S->tot.counted, 0);
    assert_int_equal(S->watermark, 1100);
    acct_state_free(S);
    /* nothing restored: nothing to keep; a long name is cut, and read back */
    S = new_state(60, 0);
    char longname[300];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(acct_state_ha_start(S, longname), 0);
    assert_int_equal(strlen(S->owner), MAX_LABEL_LEN);
    char *d = acct_state_dump(S, &len);
    struct acct_state *T = new_state(60, 0);
    assert_int_equal(acct_state_parse(T, d, len, err, sizeof(err)), 0);
    assert_string_equal(T->file_owner, S->owner);
    free(d);
    acct_state_free(T);
    acct_state_free(S);
    free(file);
    acct_state_free(A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_fixture_22_05),
        cmocka_unit_test(test_edge_lines),
        cmocka_unit_test(test_cputime),
        cmocka_unit_test(test_overlapping_windows_count_once),
        cmocka_unit_test(test_late_record),
        cmocka_unit_test(test_incomplete_record),
        cmocka_unit_test(test_since_and_window_cap),
        cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_settle),
        cmocka_unit_test(test_revised),
        cmocka_unit_test(test_state_corrupt),
        cmocka_unit_test(test_collector),
        cmocka_unit_test(test_memory_counters),
        cmocka_unit_test(test_state_version_1),
        cmocka_unit_test(test_user_field),
        cmocka_unit_test(test_user_series_limit),
        cmocka_unit_test(test_state_round_trip_users),
        cmocka_unit_test(test_user_counters_fixture),
        cmocka_unit_test(test_jontk_names),
        cmocka_unit_test(test_jontk_names_users),
        cmocka_unit_test(test_config_since),
        cmocka_unit_test(test_state_file_per_cluster),
        cmocka_unit_test(test_ha_resume_window),
        cmocka_unit_test(test_ha_start_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
