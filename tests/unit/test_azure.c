/* SPDX-License-Identifier: Apache-2.0 */
/* --compat=azure's cumulative counts (slurm_jobs_total_*,
 * slurm_partition_jobs_total_*): the window arithmetic of Azure's
 * `sacct -a -S <reset> -E now -X -n [-s STATE] [-r P]` at a render time (a
 * sliding window whose counts go down as jobs leave it, a fixed start), the
 * queue's part of _submitted, the records' store (overlapping windows, the
 * cap), and the accounting stream's windows with Azure's history:
 * starting at the reset time, backfill after a restored state file, no
 * effect on the accounting collector's counters, readiness. */
#include "testutil.h"

#include "sources/sacct.h"
#include "sources/source.h"
#include "sources/squeue_fields.h"

#include <unistd.h>

#define T 1795424700LL /* the time of the first refresh */

static struct config azure_cfg(double window, double at)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.compat = COMPAT_AZURE;
    cfg.collector_on[COLLECTOR_compat_azure] = true;
    cfg.accounting_overlap = 60;
    cfg.azure_reset_window = window;
    cfg.azure_reset_at = at;
    return cfg;
}

/* A sacct allocation line: id, state, partition, eligible (0: Unknown), end. */
static void acct_line(struct buf *b, unsigned id, const char *state, const char *part,
                      long long eligible, long long end)
{
    char el[32];
    if (eligible)
        snprintf(el, sizeof(el), "%lld", eligible);
    else
        snprintf(el, sizeof(el), "Unknown");
    buf_printf(b, "%u|%s|%s|physics|%lld|%s|%lld|%lld|5|cpu=1,mem=1G,node=1|00:01.000||\n", id,
               state, part, end - 200, el, end - 5, end);
}

/* One refresh of the accounting source at `now` with these records. */
static struct dataset_result *acct_refresh(struct acct_state *S, int64_t now, const char *text,
                                           int64_t *ws, int64_t *we)
{
    int64_t s, e;
    acct_window(S, now, (double)now, &s, &e);
    if (ws)
        *ws = s;
    if (we)
        *we = e;
    struct dataset_result *r = tu_result_new(DS_ACCOUNTING);
    struct sacct_parser p;
    cli_sacct_init(&p, r->u.acct, &r->arena, false);
    cli_feed(cli_sacct_line, &p, text, strlen(text));
    acct_commit(S, r->u.acct, &r->arena);
    return r;
}

/* A squeue line: id, array id ("" = the id), state, partition, submit,
 * start (0: N/A), eligible (0: N/A). */
static void job_line(struct buf *b, unsigned id, const char *arr, const char *state,
                     const char *part, long long submit, long long start, long long eligible)
{
    char st[32], el[32];
    snprintf(st, sizeof(st), start ? "%lld" : "N/A", start);
    snprintf(el, sizeof(el), eligible ? "%lld" : "N/A", eligible);
    char aid[32];
    snprintf(aid, sizeof(aid), "%s", arr[0] ? arr : "");
    if (!arr[0])
        snprintf(aid, sizeof(aid), "%u", id);
    buf_printf(b, "%u|%s|%s|%s|u|a|normal|1|1|cpu=1,mem=1G,node=1|%lld|%s|%s|N/A|N/A|N/A|1|None\n",
               id, aid, state, part, submit, st, el);
}

static char *partitions_text(void)
{
    size_t len;
    return tu_read_rel("tests/fixtures/edge/multi_partition_pending/partitions.txt", &len);
}

/* Renders the /azure exposition's collector at `now`. */
static char *render_at(struct dataset_result *jobs, struct dataset_result *parts,
                       struct dataset_result *acct, double now)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = now;
    v.series_limit = 100000;
    v.compat = COMPAT_AZURE;
    v.ds[DS_JOBS] = jobs;
    v.ds[DS_PARTITIONS] = parts;
    v.ds[DS_ACCOUNTING] = acct;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_compat_azure(&v, &r, &o);
    char *text = xcalloc(r.text.len + 1, 1);
    if (r.text.len)
        memcpy(text, r.text.p, r.text.len);
    render_free(&r);
    return text;
}

static double total(const char *text, const char *fam)
{
    char s[128];
    snprintf(s, sizeof(s), "slurm_jobs_total_%s", fam);
    return tu_sample(text, s);
}

static double ptotal(const char *text, const char *fam, const char *part)
{
    char s[160];
    snprintf(s, sizeof(s), "slurm_partition_jobs_total_%s{partition=\"%s\"}", fam, part);
    return tu_sample(text, s);
}

/* The arithmetic of one window, by hand: which record and which queued job
 * each sacct command lists at T, at T + 1 (a job leaves the sliding
 * window) and at T + 500 (a cancelled job's begin time passes). */
static void test_sliding_window(void **state)
{
    (void)state;
    struct config cfg = azure_cfg(3600, 0); /* "1 hour ago" */
    struct acct_state *S = acct_state_new(&cfg);
    struct buf a = {0}, q = {0};
    acct_line(&a, 101, "COMPLETED", "short", T - 4000, T - 3600); /* end = S at T */
    acct_line(&a, 100, "COMPLETED", "short", T - 4000, T - 3601); /* before S */
    acct_line(&a, 102, "FAILED", "long", T - 300, T - 100);
    acct_line(&a, 103, "CANCELLED by 0", "short", 0, T - 50);       /* held, then cancelled */
    acct_line(&a, 104, "CANCELLED by 0", "short", T + 500, T - 40); /* before its begin time */
    acct_line(&a, 105, "TIMEOUT", "short,long", T - 600, T - 30);   /* no partition of its own */
    acct_line(&a, 106, "PREEMPTED", "short", T - 900, T - 20);      /* requeued, then ... */
    acct_line(&a, 106, "COMPLETED", "short", T - 19, T - 10);       /* ... completed */
    acct_line(&a, 107, "DEADLINE", "short", T - 300, T - 5);        /* no family of Azure's */
    acct_line(&a, 108, "OUT_OF_MEMORY", "gpu", T - 300, T - 4);
    acct_line(&a, 109, "NODE_FAIL", "gpu", T - 300, T - 3);
    acct_line(&a, 110, "COMPLETED", "long", T - 3000, T - 2000); /* a job id used twice */
    acct_line(&a, 110, "COMPLETED", "long", T - 300, T - 2);
    acct_line(&a, 111, "PREEMPTED", "long", T - 300, T - 1);       /* requeued, running again */
    acct_line(&a, 112, "CANCELLED by 0", "short,long", 0, T - 45); /* cancelled pending */
    struct dataset_result *acct = acct_refresh(S, T, buf_cstr(&a), NULL, NULL);
    assert_non_null(acct->u.acct->az);
    assert_true(acct->u.acct->az->ready);

    job_line(&q, 201, "", "RUNNING", "short", T - 9000, T - 8000, T - 9000); /* before S: open */
    job_line(&q, 202, "", "PENDING", "short", T - 100, 0, 0);      /* held: not eligible */
    job_line(&q, 203, "", "PENDING", "long", T - 100, 0, T + 100); /* waits for its begin time */
    job_line(&q, 204, "", "PENDING", "short,long", T - 100, 0, T - 10);
    job_line(&q, 205, "205_1", "PENDING", "long", T - 100, 0, T - 5); /* one array record */
    job_line(&q, 205, "205_2", "PENDING", "long", T - 100, 0, T - 5);
    job_line(&q, 111, "", "RUNNING", "long", T - 1, T, T - 1);
    job_line(&q, 208, "", "COMPLETED", "gpu", T - 70, T - 60, T - 70); /* no window read it yet */
    job_line(&q, 209, "", "COMPLETED", "gpu", T - 9000, T - 8000, T - 9000); /* end unknown */
    job_line(&q, 101, "", "COMPLETED", "short", T - 4000, T - 3700, T - 4000);
    job_line(&q, 210, "", "COMPLETING", "gpu", T - 40, T - 30, T - 40);
    job_line(&q, 211, "", "CANCELLED", "short", T - 40, 0, 0); /* cancelled while held */
    job_line(&q, 112, "", "CANCELLED", "short", T - 45, 0, 0); /* 24.11 shows the first partition */
    struct dataset_result *jobs = tu_jobs_from(buf_cstr(&q), q.len, NULL);
    char *pt = partitions_text();
    struct dataset_result *parts = tu_parts_from(pt, strlen(pt), NULL);

    char *x = render_at(jobs, parts, acct, (double)T + 0.7);
    /* sacct -s COMPLETED: 101 (end = S), 106, 110 (once), 208 (the queue) */
    assert_double_exact(total(x, "completed"), 4);
    assert_double_exact(ptotal(x, "completed", "short"), 2);
    assert_double_exact(ptotal(x, "completed", "long"), 1);
    assert_double_exact(ptotal(x, "completed", "gpu"), 1);
    assert_double_exact(total(x, "failed"), 1);
    assert_double_exact(total(x, "timeout"), 1);
    assert_double_exact(ptotal(x, "timeout", "short"), 0);
    assert_double_exact(ptotal(x, "timeout", "long"), 0);
    assert_double_exact(total(x, "cancelled"), 4);           /* 103, 104, 211, 112 */
    assert_double_exact(ptotal(x, "cancelled", "short"), 3); /* 112's record says "short,long" */
    assert_double_exact(total(x, "preempted"), 2);           /* 106, 111 */
    assert_double_exact(total(x, "out_of_memory"), 1);
    assert_double_exact(total(x, "node_failed"), 1);
    assert_double_exact(ptotal(x, "node_failed", "gpu"), 1);
    /* without -s: 101 102 105 106 107 108 109 110 111 (records); 201 204 205 208 210 (queue);
     * not 100 (ended before S), 103 211 (never eligible), 104 203 (eligible after now),
     * 202 (held), 209 (its end is not known to be after S) */
    assert_double_exact(total(x, "submitted"), 14);
    assert_double_exact(ptotal(x, "submitted", "short"), 4); /* 101 106 107 201 */
    assert_double_exact(ptotal(x, "submitted", "long"), 4);  /* 102 110 111 205 */
    assert_double_exact(ptotal(x, "submitted", "gpu"), 4);   /* 108 109 208 210 */
    assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_start_timestamp_seconds"),
                        (double)(T - 3600));
    assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_ready"), 1);
    free(x);

    /* a second later 101 has left the window: the counts go down */
    x = render_at(jobs, parts, acct, (double)T + 1);
    assert_double_exact(total(x, "completed"), 3);
    assert_double_exact(ptotal(x, "completed", "short"), 1);
    assert_double_exact(total(x, "submitted"), 13);
    free(x);
    /* at T + 100 job 203's begin time has come; at T + 500 the cancelled 104's */
    x = render_at(jobs, parts, acct, (double)T + 100);
    assert_double_exact(total(x, "submitted"), 14);
    free(x);
    x = render_at(jobs, parts, acct, (double)T + 499.9); /* eligible up to now: not yet */
    assert_double_exact(total(x, "submitted"), 14);
    free(x);
    x = render_at(jobs, parts, acct, (double)T + 500);
    assert_double_exact(total(x, "submitted"), 15);
    assert_double_exact(total(x, "cancelled"), 4);
    free(x);
    /* nearly an hour later (S = T - 10) only what ended since and the open jobs remain */
    x = render_at(jobs, parts, acct, (double)T + 3590);
    assert_double_exact(total(x, "completed"), 2);  /* 106 (T - 10), 110 (T - 2) */
    assert_double_exact(total(x, "preempted"), 1);  /* 111 (T - 1) */
    assert_double_exact(total(x, "submitted"), 10); /* 106-111 and the open 201 203 204 205 */
    free(x);

    tu_result_free(acct);
    tu_result_free(jobs);
    tu_result_free(parts);
    free(pt);
    buf_free(&a);
    buf_free(&q);
    acct_state_free(S);
}

static uint64_t native_counted(const struct dataset_result *r)
{
    return r->u.acct->tot.counted;
}

/* A fixed start with --accounting.since: one sacct stream from the earlier
 * of the two; the accounting collector counts from its own start, Azure's
 * totals from the reset time, and never go down. */
static void test_fixed_start_and_since(void **state)
{
    (void)state;
    char *pt = partitions_text();
    struct dataset_result *parts = tu_parts_from(pt, strlen(pt), NULL);
    struct dataset_result *jobs = tu_jobs_from("", 0, NULL);
    struct buf a = {0};
    acct_line(&a, 1, "COMPLETED", "short", T - 6100, T - 6000);
    acct_line(&a, 2, "COMPLETED", "long", T - 4100, T - 4000);
    acct_line(&a, 3, "FAILED", "long", T - 900, T - 800);
    /* since (T - 7200) before the reset time (T - 5000): the stream starts at since */
    struct config cfg = azure_cfg(0, (double)(T - 5000));
    cfg.accounting_since = (double)(T - 7200);
    struct acct_state *S = acct_state_new(&cfg);
    int64_t ws, we;
    struct dataset_result *acct = acct_refresh(S, T, buf_cstr(&a), &ws, &we);
    assert_int_equal(ws, T - 7200);
    assert_int_equal(we, T);
    assert_int_equal(native_counted(acct), 3);
    char *x = render_at(jobs, parts, acct, (double)T);
    assert_double_exact(total(x, "completed"), 1); /* job 1 ended before the reset time */
    assert_double_exact(total(x, "failed"), 1);
    assert_double_exact(total(x, "submitted"), 2);
    assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_start_timestamp_seconds"),
                        (double)(T - 5000));
    free(x);
    x = render_at(jobs, parts, acct, (double)T + 10 * 86400); /* a fixed start: no job leaves */
    assert_double_exact(total(x, "completed"), 1);
    assert_double_exact(total(x, "submitted"), 2);
    free(x);
    tu_result_free(acct);
    acct_state_free(S);

    /* since (T - 1000) after the reset time: the stream starts at the reset time, and the
     * accounting collector still counts only what ended since its own start */
    cfg = azure_cfg(0, (double)(T - 5000));
    cfg.accounting_since = (double)(T - 1000);
    S = acct_state_new(&cfg);
    acct = acct_refresh(S, T, buf_cstr(&a), &ws, &we);
    assert_int_equal(ws, T - 5000);
    assert_int_equal(native_counted(acct), 1); /* job 3 */
    assert_int_equal(acct->u.acct->floor, T - 1000);
    x = render_at(jobs, parts, acct, (double)T);
    assert_double_exact(total(x, "completed"), 1);
    assert_double_exact(total(x, "failed"), 1);
    free(x);
    tu_result_free(acct);
    /* the next window continues from the last one's end (minus the overlap) */
    acct = acct_refresh(S, T + 60, "", &ws, &we);
    assert_int_equal(ws, T + 1 - 60);
    assert_int_equal(we, T + 60);
    tu_result_free(acct);
    acct_state_free(S);

    /* without --compat=azure the windows are the accounting collector's alone */
    cfg = azure_cfg(0, (double)(T - 5000));
    cfg.compat = 0;
    cfg.accounting_since = (double)(T - 1000);
    S = acct_state_new(&cfg);
    assert_null(S->az);
    acct = acct_refresh(S, T, buf_cstr(&a), &ws, &we);
    assert_int_equal(ws, T - 1000);
    assert_null(acct->u.acct->az);
    tu_result_free(acct);
    acct_state_free(S);

    tu_result_free(jobs);
    tu_result_free(parts);
    free(pt);
    buf_free(&a);
}

/* A reset time days back: the stream reads one day per refresh (the
 * accounting dataset's catch-up); the totals are not served until the
 * windows have reached the present. */
static void test_catch_up(void **state)
{
    (void)state;
    char *pt = partitions_text();
    struct dataset_result *parts = tu_parts_from(pt, strlen(pt), NULL);
    struct dataset_result *jobs = tu_jobs_from("", 0, NULL);
    struct config cfg = azure_cfg(3 * 86400, 0); /* "3 days ago" */
    struct acct_state *S = acct_state_new(&cfg);
    int64_t ws, we;
    struct buf a = {0};
    for (int k = 0; k < 4; k++) {
        a.len = 0;
        int64_t end = k < 3 ? T - 3 * 86400 + k * 86400 + 20 : T - 50;
        acct_line(&a, 50 + (unsigned)k, "COMPLETED", "short", end - 10, end);
        struct dataset_result *acct = acct_refresh(S, T + k, buf_cstr(&a), &ws, &we);
        /* one day each, the next reaching back the overlap (60 s) */
        assert_int_equal(ws, T - 3 * 86400 + k * 86400 - 59 * k);
        assert_int_equal(we, k < 3 ? ws + 86400 : T + k);
        char *x = render_at(jobs, parts, acct, (double)(T + k));
        assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_ready"), k == 3 ? 1 : 0);
        assert_int_equal(strstr(x, "slurm_jobs_total_completed") != NULL, k == 3);
        if (k == 3)
            assert_double_exact(total(x, "completed"), 4);
        free(x);
        if (k == 3) { /* the first job (T - 3 days + 20) leaves the window 20 s after T */
            x = render_at(jobs, parts, acct, (double)(T + 21));
            assert_double_exact(total(x, "completed"), 3);
            free(x);
        }
        assert_int_equal(native_counted(acct), 0); /* all ended before the exporter started */
        tu_result_free(acct);
    }
    acct_state_free(S);
    tu_result_free(jobs);
    tu_result_free(parts);
    free(pt);
    buf_free(&a);
}

/* The poller asks for a window when it starts and again at the first fetch,
 * maybe in the next second: the window read is the one of the fetch, and
 * with "24 hours ago" it covers the whole window at once. */
static void test_first_window_asked_twice(void **state)
{
    (void)state;
    struct config cfg = azure_cfg(86400, 0);
    struct acct_state *S = acct_state_new(&cfg);
    int64_t s, e;
    acct_window(S, T, 100.0, &s, &e);
    acct_window(S, T + 1, 100.3, &s, &e);
    assert_int_equal(s, T + 1 - 86400);
    assert_int_equal(e, T + 1);
    struct dataset_result *r = tu_result_new(DS_ACCOUNTING);
    struct sacct_parser p;
    cli_sacct_init(&p, r->u.acct, &r->arena, false);
    acct_commit(S, r->u.acct, &r->arena);
    assert_true(r->u.acct->az->ready);
    tu_result_free(r);
    acct_state_free(S);
}

/* With a state file the stream continues where it stopped; Azure's history
 * before that (not in the file) is read first by backfill windows, which
 * the accounting counters do not see: nothing is counted twice. */
static void test_state_file_backfill(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-azure-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/acct.state", dir);
    char *pt = partitions_text();
    struct dataset_result *parts = tu_parts_from(pt, strlen(pt), NULL);
    struct dataset_result *jobs = tu_jobs_from("", 0, NULL);
    struct config cfg = azure_cfg(3600, 0);
    cfg.collector_on[COLLECTOR_accounting] = true;
    cfg.accounting_state_file = path;
    struct buf a = {0};
    struct acct_state *S = acct_state_new(&cfg);
    acct_line(&a, 4, "COMPLETED", "short", T - 200, T - 100);
    acct_line(&a, 7, "COMPLETED", "short", T - 2, T); /* as the exporter started */
    struct dataset_result *acct = acct_refresh(S, T, buf_cstr(&a), NULL, NULL);
    tu_result_free(acct);
    a.len = 0;
    acct_line(&a, 5, "FAILED", "short", T + 10, T + 30);
    acct = acct_refresh(S, T + 60, buf_cstr(&a), NULL, NULL);
    assert_int_equal(native_counted(acct), 2); /* jobs 7 and 5; 4 ended before the start */
    tu_result_free(acct);
    acct_state_free(S);

    /* restart at T + 120: the state file says the next window starts at T + 1 */
    S = acct_state_new(&cfg);
    assert_int_equal(S->watermark, T + 60);
    int64_t ws, we;
    a.len = 0;
    acct_line(&a, 4, "COMPLETED", "short", T - 200, T - 100);
    acct_line(&a, 3, "TIMEOUT", "long", T - 3000, T - 2000);
    acct_line(&a, 7, "COMPLETED", "short", T - 2, T); /* counted before the restart */
    acct = acct_refresh(S, T + 120, buf_cstr(&a), &ws, &we);
    assert_int_equal(ws, T + 120 - 3600); /* backfill: Azure's window before it */
    assert_int_equal(we, T);
    assert_int_equal(native_counted(acct), 2);
    assert_int_equal(acct->u.acct->tot.late + acct->u.acct->tot.duplicates, 0);
    assert_int_equal(acct->u.acct->window_end, T + 60); /* the counters' window did not move */
    char *x = render_at(jobs, parts, acct, (double)T + 120);
    assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_ready"), 0);
    free(x);
    tu_result_free(acct);
    a.len = 0;
    acct_line(&a, 5, "FAILED", "short", T + 10, T + 30); /* read again by the overlap */
    acct_line(&a, 6, "COMPLETED", "gpu", T + 100, T + 150);
    acct = acct_refresh(S, T + 180, buf_cstr(&a), &ws, &we);
    assert_int_equal(ws, T + 1);
    assert_int_equal(we, T + 180);
    assert_int_equal(native_counted(acct), 3); /* 7, 5 once, 6 */
    assert_int_equal(acct->u.acct->tot.duplicates, 1);
    x = render_at(jobs, parts, acct, (double)T + 180);
    assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_ready"), 1);
    assert_double_exact(total(x, "completed"), 3); /* 4, 6, 7 */
    assert_double_exact(total(x, "failed"), 1);
    assert_double_exact(total(x, "timeout"), 1);
    assert_double_exact(total(x, "submitted"), 5);
    free(x);
    tu_result_free(acct);
    /* the same records again: nothing changes */
    acct = acct_refresh(S, T + 240, buf_cstr(&a), &ws, &we);
    x = render_at(jobs, parts, acct, (double)T + 240);
    assert_double_exact(total(x, "submitted"), 5);
    free(x);
    assert_int_equal(native_counted(acct), 3);
    tu_result_free(acct);
    acct_state_free(S);
    unlink(path);
    rmdir(dir);
    tu_result_free(jobs);
    tu_result_free(parts);
    free(pt);
    buf_free(&a);
}

/* More records than the store keeps: with a fixed start the oldest are
 * folded into counts (the totals stay right), with a sliding window they
 * are left out; both are counted. */
static void test_cap(void **state)
{
    (void)state;
    char *pt = partitions_text();
    struct dataset_result *parts = tu_parts_from(pt, strlen(pt), NULL);
    struct dataset_result *jobs = tu_jobs_from("", 0, NULL);
    for (int sliding = 0; sliding < 2; sliding++) {
        struct config cfg = sliding ? azure_cfg(3600, 0) : azure_cfg(0, (double)(T - 3600));
        struct acct_state *S = acct_state_new(&cfg);
        acct_az_set_cap(S->az, 8);
        struct buf a = {0};
        for (unsigned k = 0; k < 20; k++)
            acct_line(&a, 300 + k, k % 2 ? "COMPLETED" : "FAILED", k < 10 ? "short" : "long",
                      T - 1000, T - 500 + k);
        struct dataset_result *acct = acct_refresh(S, T, buf_cstr(&a), NULL, NULL);
        char *x = render_at(jobs, parts, acct, (double)T);
        assert_double_exact(tu_sample(x, "slurm_exporter_azure_totals_dropped_jobs_total"), 12);
        if (sliding) { /* the 8 newest are left */
            assert_double_exact(total(x, "completed"), 4);
            assert_double_exact(total(x, "submitted"), 8);
            assert_double_exact(ptotal(x, "submitted", "short"), 0);
        } else {
            assert_double_exact(total(x, "completed"), 10);
            assert_double_exact(total(x, "failed"), 10);
            assert_double_exact(total(x, "submitted"), 20);
            assert_double_exact(ptotal(x, "submitted", "short"), 10);
            assert_double_exact(ptotal(x, "failed", "long"), 5);
        }
        free(x);
        tu_result_free(acct);
        buf_free(&a);
        acct_state_free(S);
    }
    tu_result_free(jobs);
    tu_result_free(parts);
    free(pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sliding_window),
        cmocka_unit_test(test_fixed_start_and_since),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_first_window_asked_twice),
        cmocka_unit_test(test_state_file_backfill),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
