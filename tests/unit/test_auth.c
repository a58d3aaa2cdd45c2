/* SPDX-License-Identifier: Apache-2.0 */
/* Basic auth: bcrypt hash validation, Authorization header decoding, the
 * verifier (good, wrong, unknown users; the same cost for unknown users as for
 * known ones), the cache of good credentials, constant-time comparison, and
 * the worker (queue limit, cancellation on stop). */
#include "testutil.h"

#include "auth.h"

#include <crypt.h>
#include <pthread.h>
#include <time.h>

/* A bcrypt hash of pass at the given cost, made here (never committed). */
static char *make_hash(const char *pass, int cost)
{
    char salt[64];
    assert_non_null(crypt_gensalt_rn("$2y$", (unsigned long)cost, NULL, 0, salt, sizeof(salt)));
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    assert_non_null(cd);
    const char *h = crypt_rn(pass, salt, cd, (int)sizeof(*cd));
    assert_non_null(h);
    char *r = strdup(h);
    free(cd);
    return r;
}

static void test_hash_valid(void **state)
{
    (void)state;
    int cost = 0;
    assert_true(
        auth_hash_valid("$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG", &cost));
    assert_int_equal(cost, 10);
    assert_true(
        auth_hash_valid("$2a$04$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG", &cost));
    assert_true(
        auth_hash_valid("$2b$31$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG", &cost));
    assert_int_equal(cost, 31);
    const char *bad[] = {
        "",
        "doe",
        "$2x$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG",  /* $2x$: buggy variant */
        "$1$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zGab", /* md5-crypt */
        "$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG",  /* cost too low */
        "$2y$32$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG",  /* cost too high */
        "$2y$1a$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG",
        "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7z",   /* 59 */
        "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zGG", /* 61 */
        "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7z!",  /* bad char */
        "$2y$10X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zGG",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (auth_hash_valid(bad[i], NULL))
            fail_msg("accepted %s", bad[i]);
}

static void basic_ok(const char *h, const char *user, const char *pass)
{
    char u[AUTH_MAX_USER], p[AUTH_MAX_PASS];
    if (auth_parse_basic(h, u, sizeof(u), p, sizeof(p)) != 0)
        fail_msg("refused %s", h);
    assert_string_equal(u, user);
    assert_string_equal(p, pass);
}

static void basic_bad(const char *h)
{
    char u[AUTH_MAX_USER], p[AUTH_MAX_PASS];
    if (auth_parse_basic(h, u, sizeof(u), p, sizeof(p)) != -EINVAL)
        fail_msg("accepted %s", h ? h : "(null)");
}

static void test_parse_basic(void **state)
{
    (void)state;
    basic_ok("Basic cHJvbTpzZWNyZXQ=", "prom", "secret");     /* prom:secret */
    basic_ok("basic   cHJvbTpzZWNyZXQ=  ", "prom", "secret"); /* scheme is case-insensitive */
    basic_ok("Basic cHJvbTo=", "prom", "");                   /* prom: */
    basic_ok("Basic OnB3", "", "pw");                         /* :pw */
    basic_ok("Basic YTpiOmM=", "a", "b:c");                   /* a:b:c */
    basic_bad(NULL);
    basic_bad("");
    basic_bad("Bearer abc");
    basic_bad("Basic");
    basic_bad("Basic ");
    basic_bad("BasiccHJvbTpzZWNyZXQ=");
    basic_bad("Basic cHJvbXNlY3JldA=="); /* promsecret: no colon */
    basic_bad("Basic cHJvbTpzZWNyZXQ");  /* missing padding */
    basic_bad("Basic cHJvbTpz=WNyZXQ="); /* data after padding */
    basic_bad("Basic cHJvbTpzZWNy*XQ="); /* not base64 */
    basic_bad("Basic YQBiOmM=");         /* a\0b:c */
    /* too long */
    char big[4096] = "Basic ";
    for (size_t i = strlen(big); i < sizeof(big) - 5; i++)
        big[i] = 'Q';
    big[sizeof(big) - 5] = '\0';
    basic_bad(big);
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(auth_ct_equal("abc", "abc", 3));
    assert_false(auth_ct_equal("abc", "abd", 3));
    assert_false(auth_ct_equal("xbc", "abc", 3));
    assert_true(auth_ct_equal("", "x", 0));
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_verify(void **state)
{
    (void)state;
    struct webconfig_user users[2] = {{"alice", make_hash("wonderland", 4), 1},
                                      {"bob", make_hash("builder", 4), 2}};
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, 2, &a), 0);
    assert_false(auth_check_cached(a, "alice", "wonderland"));
    assert_true(auth_verify(a, "alice", "wonderland"));
    assert_true(auth_check_cached(a, "alice", "wonderland"));
    assert_false(auth_check_cached(a, "alice", "wonderlan"));
    assert_false(auth_check_cached(a, "bob", "wonderland"));
    assert_false(auth_verify(a, "alice", "builder"));
    assert_false(auth_check_cached(a, "alice", "builder")); /* failures are not cached */
    assert_true(auth_verify(a, "bob", "builder"));
    assert_false(auth_verify(a, "carol", "builder"));
    assert_false(auth_verify(a, "", ""));
    assert_false(auth_verify(a, "Alice", "wonderland"));
    /* bcrypt reads 72 bytes; a longer password with the same start is the
     * same password to it, as in every bcrypt implementation */
    auth_free(a);
    free(users[0].hash);
    free(users[1].hash);
}

/* The same cost for unknown users as for known ones: time wrong passwords
 * for a known user and for unknown users at cost 8 (a few ms each). */
static void test_unknown_user_cost(void **state)
{
    (void)state;
    struct webconfig_user users[1] = {{"alice", make_hash("wonderland", 8), 1}};
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, 1, &a), 0);
    double known = 1e9, unknown = 1e9;
    char name[32];
    for (int i = 0; i < 5; i++) {
        double t0 = mono();
        assert_false(auth_verify(a, "alice", "wrong"));
        double t1 = mono();
        snprintf(name, sizeof(name), "nobody%d", i);
        assert_false(auth_verify(a, name, "wrong"));
        double t2 = mono();
        if (t1 - t0 < known)
            known = t1 - t0;
        if (t2 - t1 < unknown)
            unknown = t2 - t1;
    }
    if (unknown < known * 0.7 || unknown > known * 1.4)
        fail_msg("known user %.2f ms, unknown %.2f ms", known * 1e3, unknown * 1e3);
    auth_free(a);
    free(users[0].hash);
}

/* ---- worker -------------------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done_count;
static bool hold; /* the first job's callback blocks until released */

static void job_done(struct auth_job *j)
{
    pthread_mutex_lock(&mu);
    done_count++;
    pthread_cond_broadcast(&cv);
    while (hold && j->arg)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void wait_done(int n)
{
    pthread_mutex_lock(&mu);
    while (done_count < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void test_worker(void **state)
{
    (void)state;
    struct webconfig_user users[1] = {{"alice", make_hash("wonderland", 4), 1}};
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, 1, &a), 0);
    struct auth_job *jobs = calloc(80, sizeof(*jobs));
    assert_non_null(jobs);
    for (int i = 0; i < 80; i++) {
        jobs[i].a = a;
        snprintf(jobs[i].user, sizeof(jobs[i].user), "alice");
        snprintf(jobs[i].pass, sizeof(jobs[i].pass), i % 2 ? "wonderland" : "nope");
        jobs[i].done = job_done;
    }
    assert_int_equal(auth_worker_submit(&jobs[0]), -ESHUTDOWN); /* not started */
    assert_int_equal(auth_worker_start(), 0);
    /* job 1 blocks the worker in its callback; the queue then fills */
    hold = true;
    jobs[1].arg = &jobs[1];
    assert_int_equal(auth_worker_submit(&jobs[1]), 0);
    wait_done(1);
    int queued = 0, busy = 0;
    for (int i = 2; i < 80; i++) {
        int rc = auth_worker_submit(&jobs[i]);
        if (rc == 0)
            queued++;
        else if (rc == -EAGAIN)
            busy++;
        else
            fail_msg("submit: %d", rc);
    }
    assert_int_equal(queued, 64);
    assert_int_equal(busy, 14);
    assert_true(jobs[1].ok);
    /* release, let a few run, then stop: the rest finish as cancelled */
    pthread_mutex_lock(&mu);
    hold = false;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    wait_done(3);
    auth_worker_stop();
    assert_int_equal(done_count, 65);
    int ok = 0, cancelled = 0;
    for (int i = 2; i < 66; i++) {
        ok += jobs[i].ok;
        cancelled += jobs[i].cancelled;
        assert_false(jobs[i].ok && jobs[i].cancelled);
        assert_false(jobs[i].ok && i % 2 == 0);
        assert_int_equal(jobs[i].pass[0], '\0'); /* wiped */
    }
    assert_true(ok + cancelled <= 64);
    assert_int_equal(auth_worker_submit(&jobs[0]), -ESHUTDOWN);
    auth_worker_stop(); /* idempotent */
    free(jobs);
    auth_free(a);
    free(users[0].hash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_valid),        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_ct_equal),          cmocka_unit_test(test_verify),
        cmocka_unit_test(test_unknown_user_cost), cmocka_unit_test(test_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
