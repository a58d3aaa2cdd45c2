/* SPDX-License-Identifier: Apache-2.0 */
/* The squeue parser: the 22.05 fixture and hand-made lines for array tasks,
 * multi-partition pending jobs, TRES (CPUs, memory units, typed GPUs), GPUs
 * from the request, bad lines, and the pending-reason folding. */
#include "testutil.h"

#include "sources/cli.h"
#include "util/buf.h"

/* Lines are built from named fields in the order of CLI_SQUEUE_FORMAT, so
 * the tests follow the format when fields are added or moved. */
struct sq {
    const char *id, *arr, *state, *part, *user, *acct, *qos, *cpus, *nodes, *tres, *submit, *start,
        *elig, *tpn, *tpj, *tpt, *tasks, *reason;
};

static const char *sq_field(const struct sq *j, const char *name, size_t n)
{
#define F(key, member, def)                                                                        \
    if (n == strlen(key) && memcmp(name, key, n) == 0)                                             \
        return j->member ? j->member : (def);
    F("JobID", id, "1")
    F("JobArrayID", arr, j->id ? j->id : "1")
    F("State", state, "RUNNING")
    F("Partition", part, "debug")
    F("UserName", user, "u")
    F("Account", acct, "a")
    F("QOS", qos, "normal")
    F("NumCPUs", cpus, "1")
    F("NumNodes", nodes, "1")
    F("tres-alloc", tres, "cpu=1")
    F("SubmitTime", submit, "1795424000")
    F("StartTime", start, "1795424100")
    F("EligibleTime", elig, "1795424000")
    F("tres-per-node", tpn, "N/A")
    F("tres-per-job", tpj, "N/A")
    F("tres-per-task", tpt, "N/A")
    F("NumTasks", tasks, "1")
    F("Reason", reason, "None")
#undef F
    return "N/A"; /* a field added to the format after these tests */
}

static void sq_add(struct buf *b, const struct sq *j)
{
    const char *p = CLI_SQUEUE_FORMAT;
    int k = 0;
    while (*p) {
        const char *colon = strchr(p, ':');
        assert_non_null(colon);
        if (k++)
            buf_putc(b, '|');
        buf_puts(b, sq_field(j, p, (size_t)(colon - p)));
        const char *comma = strchr(colon, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
    buf_putc(b, '\n');
}
#define ADD(b, ...) sq_add((b), &(struct sq){__VA_ARGS__})

static struct dataset_result *parse(const char *text, struct parse_stats *st)
{
    return tu_jobs_from(text, strlen(text), st);
}

static struct dataset_result *parse_buf(struct buf *b, struct parse_stats *st)
{
    struct dataset_result *r = tu_jobs_from(b->p ? b->p : "", b->len, st);
    buf_free(b);
    return r;
}

static const char *str(const struct jobs_model *m, uint32_t id)
{
    return strtab_get(&m->strs, id);
}

static const struct job *find_job(const struct jobs_model *m, uint64_t key)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->jobs[i].key == key)
            return &m->jobs[i];
    fail_msg("no job with key %llu", (unsigned long long)key);
    return NULL;
}

#define ARRAY_KEY(aj, task) ((1ULL << 63) | ((uint64_t)(aj) << 24) | (uint64_t)(task))

/* The -O spec made from SQUEUE_FIELDS is today's, byte for byte (squeue's
 * arguments and the recorded fixtures depend on it), and squeue is run with
 * it. Changing the fields changes these literals too. */
#define SQUEUE_FORMAT_LITERAL                                                                      \
    "JobID:0|,JobArrayID:0|,State:0|,Partition:0|,UserName:0|,Account:0|,QOS:0|,NumCPUs:0|,"       \
    "NumNodes:0|,tres-alloc:0|,SubmitTime:0|,StartTime:0|,EligibleTime:0|,tres-per-node:0|,"       \
    "tres-per-job:0|,tres-per-task:0|,NumTasks:0|,Reason:0"

static void test_format_generated(void **state)
{
    (void)state;
    assert_string_equal(CLI_SQUEUE_FORMAT, SQUEUE_FORMAT_LITERAL);
    assert_int_equal(SQ_FIELD_COUNT, 18);
    assert_int_equal(SQ_STATE, 2);
    assert_int_equal(SQ_REASON, SQ_FIELD_COUNT - 1);
    const char *arg = NULL;
    for (size_t i = 0; i < SOURCE_MAX_ARGS && source_jobs.args[i]; i++)
        if (strncmp(source_jobs.args[i], "--Format=", 9) == 0)
            arg = source_jobs.args[i];
    assert_non_null(arg);
    assert_string_equal(arg, "--Format=" SQUEUE_FORMAT_LITERAL);
}

/* The format string and the field count agree; Reason is last. */
static void test_format(void **state)
{
    (void)state;
    size_t fields = 1;
    for (const char *p = CLI_SQUEUE_FORMAT; *p; p++)
        fields += *p == ',';
    assert_int_equal(fields, SQ_FIELD_COUNT);
    const char *last = strrchr(CLI_SQUEUE_FORMAT, ',');
    assert_non_null(last);
    assert_string_equal(last, ",Reason:0");
    /* every field but the last ends in '|' (the separator the parser splits on) */
    size_t bars = 0;
    for (const char *p = CLI_SQUEUE_FORMAT; *p; p++)
        bars += *p == '|';
    assert_int_equal(bars, SQ_FIELD_COUNT - 1);
    struct buf b = {0};
    ADD(&b, .id = "1");
    size_t seps = 0;
    for (size_t i = 0; i < b.len; i++)
        seps += b.p[i] == '|';
    assert_int_equal(seps, SQ_FIELD_COUNT - 1);
    buf_free(&b);
}

/* tests/fixtures/22.05/exporter_squeue.txt: 33 jobs (array tasks expanded). */
static void test_fixture(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_squeue.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_jobs_from(buf, len, &st);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(st.lines, 33);
    assert_int_equal(st.errors, 0);
    assert_string_equal(st.first_error, "");
    assert_int_equal(m->n, 33);

    size_t by_state[JOB_STATE_COUNT] = {0};
    size_t arrays = 0;
    for (size_t i = 0; i < m->n; i++) {
        by_state[m->jobs[i].state]++;
        arrays += m->jobs[i].is_array_task;
    }
    assert_int_equal(by_state[JOB_PENDING], 22);
    assert_int_equal(by_state[JOB_RUNNING], 8);
    assert_int_equal(by_state[JOB_COMPLETED], 1);
    assert_int_equal(by_state[JOB_CANCELLED], 1);
    assert_int_equal(by_state[JOB_FAILED], 1);
    assert_int_equal(arrays, 16); /* 6_0..6_5 and 19_0..19_9 */

    /* job 12: pending in batch, the long WAIT_RESOURCES text */
    const struct job *j = find_job(m, 12);
    assert_int_equal(j->job_id, 12);
    assert_int_equal(j->state, JOB_PENDING);
    assert_string_equal(str(m, j->partition), "batch");
    assert_string_equal(str(m, j->user), "root");
    assert_string_equal(str(m, j->account), "physics");
    assert_string_equal(str(m, j->qos), "(null)");
    assert_int_equal(j->cpus, 5);
    assert_int_equal(j->nodes, 5);
    assert_int_equal(j->mem_bytes, 10000ULL * 1048576);
    assert_int_equal(j->gpus, 0);
    assert_int_equal(j->submit, 1795424590);
    assert_int_equal(j->start, 0); /* N/A */
    assert_int_equal(j->eligible, 1795424590);
    assert_string_equal(str(m, j->reason), "Resources");
    assert_int_equal(j->is_array_task, 0);

    /* job 3: running on gpu; the TRES has no gres/gpu, the request has 2 per node */
    j = find_job(m, 3);
    assert_int_equal(j->state, JOB_RUNNING);
    assert_string_equal(str(m, j->partition), "gpu");
    assert_int_equal(j->cpus, 4);
    assert_int_equal(j->gpus, 2);
    assert_int_equal(j->mem_bytes, 8000ULL * 1048576);
    assert_int_equal(j->start, 1795424589);
    /* pending GPU jobs: from the request too */
    assert_int_equal(find_job(m, 13)->gpus, 4);
    assert_int_equal(find_job(m, 13)->start, 1795428189); /* expected start */
    assert_int_equal(find_job(m, 14)->gpus, 2);
    assert_int_equal(find_job(m, 4)->mem_bytes, 4ULL << 30);

    /* array tasks: 6_0 runs as job 10, 6_1 as job 11, 6_2.. are pending as 6 */
    j = find_job(m, ARRAY_KEY(6, 0));
    assert_int_equal(j->job_id, 10);
    assert_int_equal(j->is_array_task, 1);
    assert_int_equal(j->state, JOB_RUNNING);
    assert_int_equal(find_job(m, ARRAY_KEY(6, 1))->job_id, 11);
    const struct job *a2 = find_job(m, ARRAY_KEY(6, 2));
    const struct job *a3 = find_job(m, ARRAY_KEY(6, 3));
    assert_ptr_not_equal(a2, a3);
    assert_int_equal(a2->job_id, 6);
    assert_int_equal(a3->job_id, 6);
    assert_string_equal(str(m, a2->reason), "JobArrayTaskLimit");
    assert_string_equal(str(m, find_job(m, ARRAY_KEY(19, 9))->reason), "JobHeldUser");
    /* keys are unique across the whole fixture */
    for (size_t x = 0; x < m->n; x++)
        for (size_t y = x + 1; y < m->n; y++)
            if (m->jobs[x].key == m->jobs[y].key)
                fail_msg("jobs %zu and %zu share key %llu", x, y,
                         (unsigned long long)m->jobs[x].key);

    j = find_job(m, 16);
    assert_string_equal(str(m, j->reason), "BeginTime");
    assert_int_equal(j->eligible, 1795428190);
    assert_string_equal(str(m, find_job(m, 15)->reason), "Dependency");
    assert_string_equal(str(m, find_job(m, 17)->reason), "PartitionDown");
    j = find_job(m, 8);
    assert_int_equal(j->state, JOB_FAILED);
    assert_string_equal(str(m, j->user), "nobody");
    assert_string_equal(str(m, j->reason), "NonZeroExitCode");

    /* job 20 may run in debug or batch; every other job has one partition */
    for (size_t i = 0; i < m->n; i++) {
        assert_true(m->jobs[i].partition < m->part_lists_n);
        const struct id_list *pl = &m->part_lists[m->jobs[i].partition];
        if (m->jobs[i].job_id == 20) {
            assert_int_equal(pl->n, 2);
            assert_string_equal(str(m, pl->ids[0]), "debug");
            assert_string_equal(str(m, pl->ids[1]), "batch");
        } else {
            assert_int_equal(pl->n, 1);
            assert_string_equal(str(m, pl->ids[0]), str(m, m->jobs[i].partition));
        }
    }
    tu_result_free(r);
    free(buf);
}

static void test_array_tasks(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "500", .arr = "500_0");
    ADD(&b, .id = "501", .arr = "500_1");
    ADD(&b, .id = "500", .arr = "500_[2-9%2]", .state = "PENDING"); /* unexpanded: error */
    ADD(&b, .id = "502", .arr = "500_x", .state = "PENDING");       /* bad task id */
    ADD(&b, .id = "600");
    ADD(&b, .id = "700", .arr = "4294967295_16777215");
    ADD(&b, .id = "701", .arr = "7_16777216"); /* task id over 24 bits */
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(st.lines, 7);
    assert_int_equal(st.errors, 3);
    assert_non_null(strstr(st.first_error, "unexpanded array record"));
    assert_int_equal(m->n, 4);
    assert_true(m->jobs[0].key == ARRAY_KEY(500, 0));
    assert_true(m->jobs[1].key == ARRAY_KEY(500, 1));
    assert_int_equal(m->jobs[1].job_id, 501);
    assert_true(m->jobs[0].key != m->jobs[1].key);
    assert_true(m->jobs[2].key == 600);
    assert_int_equal(m->jobs[2].is_array_task, 0);
    assert_true(m->jobs[3].key == ARRAY_KEY(4294967295ULL, 16777215));
    /* an array key never collides with a plain job id */
    assert_true(m->jobs[0].key != 500);
    tu_result_free(r);
}

static void test_multi_partition(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "100", .state = "PENDING", .part = "debug,batch", .cpus = "8", .nodes = "2",
        .tres = "cpu=8,mem=16G,node=2", .start = "N/A", .reason = "Priority");
    ADD(&b, .id = "101", .state = "PENDING", .part = "batch,gpu,debug", .reason = "Priority");
    ADD(&b, .id = "102", .part = "batch");
    ADD(&b, .id = "103", .state = "PENDING", .part = "", .reason = "Priority");
    struct dataset_result *r = parse_buf(&b, NULL);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(m->n, 4);
    assert_string_equal(str(m, m->jobs[0].partition), "debug,batch");
    const struct id_list *pl = &m->part_lists[m->jobs[0].partition];
    assert_int_equal(pl->n, 2);
    assert_string_equal(str(m, pl->ids[0]), "debug");
    assert_string_equal(str(m, pl->ids[1]), "batch");
    pl = &m->part_lists[m->jobs[1].partition];
    assert_int_equal(pl->n, 3);
    assert_string_equal(str(m, pl->ids[0]), "batch");
    assert_string_equal(str(m, pl->ids[1]), "gpu");
    assert_string_equal(str(m, pl->ids[2]), "debug");
    /* "batch" is one string: the running job's partition id is the split's id */
    assert_int_equal(m->jobs[2].partition, m->part_lists[m->jobs[0].partition].ids[1]);
    assert_int_equal(m->part_lists[m->jobs[2].partition].n, 1);
    /* no partition at all: empty list */
    assert_int_equal(m->jobs[3].partition, 0);
    assert_int_equal(m->part_lists[0].n, 0);
    /* every id any list refers to has a list slot of its own */
    assert_int_equal(m->part_lists_n, m->strs.count);
    tu_result_free(r);
}

static void test_tres(void **state)
{
    (void)state;
    struct buf b = {0};
    /* untyped gres/gpu wins over the typed breakdown (no double count) */
    ADD(&b, .id = "1", .cpus = "4",
        .tres = "cpu=16,mem=64G,node=1,billing=16,gres/gpu:a100=2,gres/gpu=2");
    /* typed only: summed */
    ADD(&b, .id = "2", .cpus = "4", .tres = "cpu=4,mem=1.50T,gres/gpu:a100=1,gres/gpu:h100=2");
    /* memory units */
    ADD(&b, .id = "3", .tres = "cpu=1,mem=512M");
    ADD(&b, .id = "4", .tres = "cpu=1,mem=2000");
    ADD(&b, .id = "5", .tres = "cpu=1,mem=100K");
    /* other gres and licenses are not GPUs */
    ADD(&b, .id = "6", .tres = "cpu=1,gres/mps=100,license/x=3,gres/gpumem=8");
    /* N/A and empty TRES: requested CPUs stay, no memory */
    ADD(&b, .id = "7", .cpus = "3", .tres = "N/A");
    ADD(&b, .id = "8", .cpus = "3", .tres = "");
    /* bad TRES values make the line bad */
    ADD(&b, .id = "9", .tres = "cpu=x");
    ADD(&b, .id = "10", .tres = "cpu=1,mem=lots");
    ADD(&b, .id = "11", .tres = "cpu=1,gres/gpu=two");
    ADD(&b, .id = "12", .tres = "cpu=99999999999");
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(st.errors, 4);
    assert_non_null(strstr(st.first_error, "bad tres-alloc"));
    assert_int_equal(m->n, 8);
    const struct job *j = find_job(m, 1);
    assert_int_equal(j->gpus, 2);
    assert_int_equal(j->cpus, 16);
    assert_int_equal(j->mem_bytes, 64ULL << 30);
    j = find_job(m, 2);
    assert_int_equal(j->gpus, 3);
    assert_int_equal(j->mem_bytes, 1649267441664ULL); /* 1.5 TiB */
    assert_int_equal(find_job(m, 3)->mem_bytes, 512ULL << 20);
    assert_int_equal(find_job(m, 4)->mem_bytes, 2000ULL << 20);
    assert_int_equal(find_job(m, 5)->mem_bytes, 100ULL << 10);
    j = find_job(m, 6);
    assert_int_equal(j->gpus, 0);
    assert_int_equal(j->cpus, 1);
    j = find_job(m, 7);
    assert_int_equal(j->cpus, 3);
    assert_int_equal(j->mem_bytes, 0);
    assert_int_equal(find_job(m, 8)->cpus, 3);
    tu_result_free(r);
}

/* GPUs from the request when the TRES has none: per node x nodes + per job +
 * per task x tasks. */
static void test_gpus_from_request(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "1", .nodes = "2", .tres = "cpu=8,node=2", .tpn = "gres:gpu:a100:2");
    ADD(&b, .id = "2", .tres = "cpu=8", .tpj = "gres:gpu:3");
    ADD(&b, .id = "3", .tres = "cpu=8", .tpt = "gres:gpu:1", .tasks = "4");
    ADD(&b, .id = "4", .nodes = "2", .tres = "cpu=8", .tpn = "gres:gpu:2", .tpj = "gres:gpu:1",
        .tpt = "gres/gpu=1", .tasks = "3");
    /* the TRES count wins when there is one */
    ADD(&b, .id = "5", .nodes = "2", .tres = "cpu=8,gres/gpu=2", .tpn = "gres:gpu:4");
    /* pending, no TRES yet: the request alone */
    ADD(&b, .id = "6", .state = "PENDING", .nodes = "3", .tres = "N/A", .tpn = "gres:gpu:a100:4",
        .start = "N/A", .reason = "Resources");
    /* NumNodes unknown: counted as one node */
    ADD(&b, .id = "7", .nodes = "N/A", .tres = "cpu=1", .tpn = "gres:gpu:2");
    /* a non-GPU request */
    ADD(&b, .id = "8", .tres = "cpu=1", .tpn = "gres:mps:100", .tpj = "license/x:1");
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 8);
    assert_int_equal(find_job(m, 1)->gpus, 4);
    assert_int_equal(find_job(m, 2)->gpus, 3);
    assert_int_equal(find_job(m, 3)->gpus, 4);
    assert_int_equal(find_job(m, 4)->gpus, 2 * 2 + 1 + 1 * 3);
    assert_int_equal(find_job(m, 5)->gpus, 2);
    assert_int_equal(find_job(m, 6)->gpus, 12);
    assert_int_equal(find_job(m, 7)->gpus, 2);
    assert_int_equal(find_job(m, 8)->gpus, 0);
    tu_result_free(r);
}

static void req(const char *s, uint64_t want)
{
    uint64_t got = cli_request_gpus(s, strlen(s));
    if (got != want)
        fail_msg("cli_request_gpus(\"%s\") = %llu, expected %llu", s, (unsigned long long)got,
                 (unsigned long long)want);
}

static void test_request_gpus(void **state)
{
    (void)state;
    req("gres:gpu:a100:4", 4);
    req("gres/gpu:a100=2", 2);
    req("gres/gpu=3", 3);
    req("gpu:4", 4);
    req("gres:gpu:2", 2);
    req("gres:gpu", 1);
    req("gpu", 1);
    req("gres:gpu:a100", 1); /* type only: one GPU, not 100 */
    req("gres:gpu:tesla:0", 0);
    req("gres:gpu:a100:1,gres:gpu:h100:2", 3);
    req("gres:gpu:a100:4,gres:mps:100", 4);
    req("gres:mps:100", 0);
    req("gres:gpumem:10", 0);
    req("gres:gpu4", 0);
    req("license/matlab:2", 0);
    req("N/A", 0);
    req("", 0);
    /* only n bytes are read */
    assert_int_equal(cli_request_gpus("gpu:4,gpu:8", 5), 4);
}

static void test_pending_vs_running_cpus(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "1", .state = "PENDING", .cpus = "8", .tres = "cpu=4,mem=1G", .start = "N/A",
        .reason = "Priority");
    ADD(&b, .id = "2", .cpus = "8", .tres = "cpu=4,mem=1G");
    ADD(&b, .id = "3", .state = "COMPLETING", .cpus = "8", .tres = "cpu=6,mem=1G");
    ADD(&b, .id = "4", .cpus = "8", .tres = "mem=1G");
    struct dataset_result *r = parse_buf(&b, NULL);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(m->n, 4);
    assert_int_equal(find_job(m, 1)->cpus, 8); /* requested while pending */
    assert_int_equal(find_job(m, 2)->cpus, 4); /* allocated once running */
    assert_int_equal(find_job(m, 3)->cpus, 6);
    assert_int_equal(find_job(m, 3)->state, JOB_COMPLETING);
    assert_int_equal(find_job(m, 4)->cpus, 8); /* no cpu= in the TRES */
    tu_result_free(r);
}

static void test_bad_lines(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "1", .state = "BOGUS");          /* kept, state unknown */
    ADD(&b, .id = "2", .state = "CANCELLED by 0"); /* fine */
    buf_puts(&b, "1|2|3\n");                       /* too few fields */
    ADD(&b, .id = "abc");                          /* bad JobID */
    ADD(&b, .id = "99999999999", .arr = "9");      /* JobID over 32 bits */
    ADD(&b, .id = "3", .cpus = "x");               /* bad NumCPUs */
    buf_puts(&b, "\n   \r\n");
    ADD(&b, .id = "4", .nodes = "zz", .submit = "xx", .start = "yy", .elig = "zz",
        .reason = "None \r"); /* bad numbers and times read as 0; blanks trimmed */
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(st.lines, 9);
    assert_int_equal(st.errors, 5);
    assert_non_null(strstr(st.first_error, "unknown job state"));
    assert_non_null(strstr(st.first_error, "line 1"));
    assert_int_equal(m->n, 3);
    const struct job *j = find_job(m, 1);
    assert_int_equal(j->state, JOB_UNKNOWN);
    assert_int_equal(find_job(m, 2)->state, JOB_CANCELLED);
    j = find_job(m, 4);
    assert_int_equal(j->nodes, 0);
    assert_int_equal(j->submit, 0);
    assert_int_equal(j->start, 0);
    assert_int_equal(j->eligible, 0);
    assert_string_equal(str(m, j->reason), "None");
    tu_result_free(r);

    /* a single too-short line */
    r = parse("123|123|RUNNING", &st);
    assert_int_equal(st.errors, 1);
    assert_non_null(strstr(st.first_error, "too few fields"));
    assert_int_equal(r->u.jobs->n, 0);
    tu_result_free(r);

    /* nothing at all */
    r = parse("", &st);
    assert_int_equal(st.lines, 0);
    assert_int_equal(r->u.jobs->n, 0);
    assert_null(r->u.jobs->jobs);
    tu_result_free(r);
}

/* A bad line counts once in the parse errors: the poller fails the dataset
 * when errors * 2 > lines. Found by fuzz_cli_jobs. */
static void test_bad_line_counted_once(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "1", .state = "BOGUS", .cpus = "x");
    ADD(&b, .id = "2");
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    assert_int_equal(st.lines, 2);
    assert_int_equal(r->u.jobs->n, 1);
    uint64_t errors = st.errors;
    tu_result_free(r);
    assert_int_equal(errors, 1);
}

/* Reason is the last field: a '|' inside it does not shift anything. */
static void test_reason_with_bar(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "1", .state = "PENDING", .reason = "Priority|x|y");
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    assert_int_equal(st.errors, 0);
    assert_int_equal(r->u.jobs->n, 1);
    assert_string_equal(str(r->u.jobs, r->u.jobs->jobs[0].reason), "Other");
    tu_result_free(r);
}

/* The last refresh's record count sizes the next one's vector (the hint
 * source_run_begin takes): from a hint of 0 to 3 jobs a queue of 40 is read
 * whole, every job and its reason intact (from a hint of 1 the vector grew
 * by 1 + 1 / 2 = 1 job: the next was written past its end, over the strings
 * the arena had put after it). */
static void test_hint_sizes(void **state)
{
    (void)state;
    for (size_t hint = 0; hint < 4; hint++) {
        struct buf b = {0};
        for (int i = 1; i <= 40; i++) {
            char id[16];
            snprintf(id, sizeof(id), "%d", i);
            ADD(&b, .id = id, .state = "PENDING", .reason = i % 2 ? "Priority" : "Resources");
        }
        struct parse_stats ps;
        int rc = -1;
        struct dataset_result *r = tu_result_run_full(DS_JOBS, b.p, b.len, 0, NULL, hint, &ps, &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(ps.errors, 0);
        const struct jobs_model *m = r->u.jobs;
        assert_int_equal(m->n, 40);
        for (size_t i = 0; i < m->n; i++)
            assert_string_equal(str(m, m->jobs[i].reason), i % 2 ? "Resources" : "Priority");
        tu_result_free(r);
        buf_free(&b);
    }
}

static void test_first_error_is_printable(void **state)
{
    (void)state;
    struct parse_stats st;
    char line[300];
    memset(line, 'x', sizeof(line));
    line[3] = '\t';
    line[sizeof(line) - 1] = '\0';
    struct dataset_result *r = parse(line, &st);
    assert_int_equal(st.errors, 1);
    assert_true(strlen(st.first_error) < sizeof(st.first_error));
    assert_non_null(strstr(st.first_error, "..."));
    for (const char *c = st.first_error; *c; c++)
        assert_true((unsigned char)*c >= 0x20);
    tu_result_free(r);
}

static void fold(const char *in, const char *want)
{
    const char *out = NULL;
    size_t n = cli_fold_reason(in, strlen(in), &out);
    assert_non_null(out);
    assert_strn_equal(out, n, want);
}

static void test_fold_reason(void **state)
{
    (void)state;
    fold("ReqNodeNotAvail, UnavailableNodes:cn[1-4]", "ReqNodeNotAvail");
    fold("Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority "
         "partitions",
         "Resources");
    fold("", "None");
    fold("None", "None");
    fold("Priority", "Priority");
    fold("JobHeldUser", "JobHeldUser");
    fold("QOSMaxCpuPerUserLimit", "QOSMaxCpuPerUserLimit");
    fold("BadConstraints:x", "BadConstraints");
    fold("Dependency(afterok:5)", "Dependency");
    fold("(null)", "Other");
    fold("Job's account not permitted to use this partition (debug allows physics)", "Other");
    fold("é", "Other");
    char code[66];
    memset(code, 'A', 64);
    code[64] = '\0';
    fold(code, code); /* 64 characters: still a code */
    code[64] = 'A';
    code[65] = '\0';
    fold(code, "Other"); /* 65: not */
}

/* Free text that merely starts with a word must not become a label value
 * (cli.h: "anything not code-like -> Other"). */
static void test_fold_reason_free_text(void **state)
{
    (void)state;
    fold("launch failed requeued held", "Other");
    fold("Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)",
         "Other");
}

static void test_label_cap(void **state)
{
    (void)state;
    char longname[201];
    memset(longname, 'u', 200);
    longname[200] = '\0';
    struct buf b = {0};
    ADD(&b, .id = "1", .part = longname, .user = longname, .acct = longname, .qos = longname);
    struct dataset_result *r = parse_buf(&b, NULL);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(m->n, 1);
    const struct job *j = &m->jobs[0];
    assert_int_equal(strlen(str(m, j->partition)), 128);
    assert_int_equal(strlen(str(m, j->user)), 128);
    assert_int_equal(strlen(str(m, j->account)), 128);
    assert_int_equal(strlen(str(m, j->qos)), 128);
    assert_memory_equal(str(m, j->user), longname, 128);
    /* all four are the same 128-character string */
    assert_int_equal(j->user, j->partition);
    tu_result_free(r);
}

/* Slurm 25.11's EXPEDITING (a job checked for an expedited requeue,
 * --requeue=expedited) is a state flag that squeue's State prints instead of
 * the base state, like COMPLETING or CONFIGURING (job_state_string in
 * src/common/slurm_protocol_defs.c, slurm-25-11-0-1): its own state, not a
 * bad line. */
static void test_expediting(void **state)
{
    (void)state;
    struct buf b = {0};
    ADD(&b, .id = "71", .state = "EXPEDITING", .cpus = "4", .tres = "cpu=4,mem=8G,node=1");
    ADD(&b, .id = "72", .state = "RUNNING");
    struct parse_stats st;
    struct dataset_result *r = parse_buf(&b, &st);
    const struct jobs_model *m = r->u.jobs;
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 2);
    const struct job *j = find_job(m, 71);
    assert_string_equal(job_state_names[j->state], "expediting");
    assert_int_equal(j->cpus, 4);
    assert_int_equal(j->mem_bytes, 8ULL << 30);
    assert_string_equal(job_state_names[find_job(m, 72)->state], "running");
    assert_int_equal(job_state_parse("EXPEDITING", 10), j->state);
    tu_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_generated),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_array_tasks),
        cmocka_unit_test(test_multi_partition),
        cmocka_unit_test(test_tres),
        cmocka_unit_test(test_gpus_from_request),
        cmocka_unit_test(test_request_gpus),
        cmocka_unit_test(test_pending_vs_running_cpus),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_bad_line_counted_once),
        cmocka_unit_test(test_reason_with_bar),
        cmocka_unit_test(test_hint_sizes),
        cmocka_unit_test(test_first_error_is_printable),
        cmocka_unit_test(test_fold_reason),
        cmocka_unit_test(test_fold_reason_free_text),
        cmocka_unit_test(test_label_cap),
        cmocka_unit_test(test_expediting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
