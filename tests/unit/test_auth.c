/* SPDX-License-Identifier: Apache-2.0 */
/* Basic auth: bcrypt hash validation, Authorization header decoding, the
 * verifier (good, wrong, unknown users; the same cost for unknown users as for
 * known ones), the cache of good credentials, constant-time comparison, and
 * the worker (queue limit, cancellation on stop). */
#include "testutil.h"

#include "auth.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
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

/* The same cost for unknown users as for known ones: an unknown name's
 * password goes through bcrypt against a
 * made-up setting of a configured user's cost, the same one for the same
 * name; a known name's against its own hash. Users of costs 4 and 8: every
 * unknown name gets one of those two costs. */
static void test_unknown_user_cost(void **state)
{
    (void)state;
    struct webconfig_user users[2] = {{"alice", make_hash("wonderland", 8), 1},
                                      {"bob", make_hash("builder", 4), 2}};
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, 2, &a), 0);
    assert_string_equal(auth_setting_for(a, "alice"), users[0].hash);
    assert_string_equal(auth_setting_for(a, "bob"), users[1].hash);
    char name[32];
    int costs[2] = {0, 0};
    for (int i = 0; i < 64; i++) {
        snprintf(name, sizeof(name), "nobody%d", i);
        const char *s = auth_setting_for(a, name);
        assert_non_null(s);
        assert_string_equal(s, auth_setting_for(a, name)); /* the same for the same name */
        assert_true(strcmp(s, users[0].hash) != 0 && strcmp(s, users[1].hash) != 0);
        assert_memory_equal(s, "$2b$", 4);
        int cost = atoi(s + 4);
        assert_true(cost == 8 || cost == 4);
        costs[cost == 8]++;
    }
    assert_true(costs[0] > 0 && costs[1] > 0); /* both costs are used */
    /* a made-up setting is one bcrypt runs with (not one it refuses at once) */
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    assert_non_null(cd);
    const char *s = auth_setting_for(a, "nobody1");
    const char *h = crypt_rn("wrong", s, cd, (int)sizeof(*cd));
    assert_non_null(h);
    assert_true(h[0] != '*' && strncmp(h, s, 7) == 0 && strlen(h) == 60);
    free(cd);
    assert_false(auth_verify(a, "nobody1", "wrong"));
    assert_false(auth_verify(a, "alice", "wrong"));
    auth_free(a);
    free(users[0].hash);
    free(users[1].hash);
}

/* ---- worker -------------------------------------------------------------------------- */

/* Client address 10.0.x.y for n = x * 256 + y. */
static void set_source(struct auth_job *j, int n)
{
    struct sockaddr_in in;
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(0x0A000000u | (uint32_t)n);
    auth_job_source(j, (const struct sockaddr *)&in);
}

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
        set_source(&jobs[i], i); /* every job from an address of its own */
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

/* A check still waiting can be taken back (its connection is being closed):
 * never verified, finished as busy and counted as refused; the check the
 * worker has taken, or one finished, cannot. */
static void test_worker_withdraw(void **state)
{
    (void)state;
    struct webconfig_user users[1] = {{"alice", make_hash("wonderland", 4), 1}};
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, 1, &a), 0);
    struct auth_job jobs[5];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 5; i++) {
        jobs[i].a = a;
        snprintf(jobs[i].user, sizeof(jobs[i].user), "alice");
        snprintf(jobs[i].pass, sizeof(jobs[i].pass), "wonderland");
        jobs[i].done = job_done;
        set_source(&jobs[i], i);
    }
    done_count = 0;
    uint64_t refused = auth_counted(AUTH_R_REFUSED), good = auth_counted(AUTH_R_OK);
    assert_int_equal(auth_worker_start(), 0);
    hold = true;
    jobs[0].arg = &jobs[0]; /* blocks the worker in its callback */
    assert_int_equal(auth_worker_submit(&jobs[0]), 0);
    wait_done(1);
    for (int i = 1; i < 5; i++)
        assert_int_equal(auth_worker_submit(&jobs[i]), 0);
    assert_int_equal(auth_worker_pending(), 4);
    assert_false(auth_worker_withdraw(&jobs[0])); /* finished */
    assert_true(auth_worker_withdraw(&jobs[2]));
    assert_false(auth_worker_withdraw(&jobs[2])); /* once */
    assert_int_equal(auth_worker_pending(), 3);
    pthread_mutex_lock(&mu);
    hold = false;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    wait_done(5);
    assert_int_equal(auth_worker_pending(), 0);
    auth_worker_stop();
    assert_true(jobs[2].busy);
    assert_false(jobs[2].ok);
    assert_int_equal(jobs[2].pass[0], '\0');
    for (int i = 1; i < 5; i++)
        if (i != 2)
            assert_true(jobs[i].ok);
    assert_int_equal(auth_counted(AUTH_R_REFUSED) - refused, 1);
    assert_int_equal(auth_counted(AUTH_R_OK) - good, 4);
    auth_free(a);
    free(users[0].hash);
}

/* ---- fair queueing ------------------------------------------------------------------- */

static struct auth_job *fj; /* the jobs of the fairness tests */
static int forder[128], nforder;
static bool fhold; /* fj[0]'s callback blocks the worker until released */

static void fair_done(struct auth_job *j)
{
    pthread_mutex_lock(&mu);
    forder[nforder++] = (int)(j - fj);
    pthread_cond_broadcast(&cv);
    while (fhold && j == &fj[0])
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void fair_wait(int n)
{
    pthread_mutex_lock(&mu);
    while (nforder < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void fair_release(void)
{
    pthread_mutex_lock(&mu);
    fhold = false;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Jobs for the fairness tests: wrong passwords for alice; fj[0] holds the
 * worker in its callback while the others are queued. */
static struct auth *fair_setup(int n, char **hash)
{
    struct webconfig_user users[1] = {{"alice", make_hash("wonderland", 4), 1}};
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, 1, &a), 0);
    *hash = users[0].hash;
    fj = calloc((size_t)n, sizeof(*fj));
    assert_non_null(fj);
    for (int i = 0; i < n; i++) {
        fj[i].a = a;
        snprintf(fj[i].user, sizeof(fj[i].user), "alice");
        snprintf(fj[i].pass, sizeof(fj[i].pass), "wrong%d", i);
        fj[i].done = fair_done;
    }
    nforder = 0;
    fhold = true;
    assert_int_equal(auth_worker_start(), 0);
    set_source(&fj[0], 999);
    assert_int_equal(auth_worker_submit(&fj[0]), 0);
    fair_wait(1);
    return a;
}

/* Addresses are served in turn, whatever one of them has queued; at most 4
 * wait from one address; credentials that passed before go first. */
static void test_fair_order(void **state)
{
    (void)state;
    char *hash;
    struct auth *a = fair_setup(9, &hash);
    uint64_t refused = auth_counted(AUTH_R_REFUSED);
    for (int i = 1; i <= 5; i++)
        set_source(&fj[i], 1); /* A: five at once */
    set_source(&fj[6], 2);     /* B */
    set_source(&fj[7], 3);     /* C */
    set_source(&fj[8], 1);     /* A again, with credentials that passed before */
    fj[8].priority = true;
    for (int i = 1; i <= 4; i++)
        assert_int_equal(auth_worker_submit(&fj[i]), 0);
    assert_int_equal(auth_worker_submit(&fj[5]), -EAGAIN); /* a fifth from A */
    assert_int_equal(auth_counted(AUTH_R_REFUSED) - refused, 1);
    assert_int_equal(auth_worker_submit(&fj[6]), 0);
    assert_int_equal(auth_worker_submit(&fj[7]), 0);
    assert_int_equal(auth_worker_submit(&fj[8]), 0);
    fair_release();
    fair_wait(8);
    auth_worker_stop();
    const int want[8] = {0, 8, 1, 6, 7, 2, 3, 4};
    for (int i = 0; i < 8; i++)
        if (forder[i] != want[i])
            fail_msg("position %d: job %d, expected %d", i, forder[i], want[i]);
    for (int i = 1; i <= 8; i++)
        assert_false(fj[i].ok || fj[i].busy || fj[i].cancelled);
    free(fj);
    auth_free(a);
    free(hash);
}

/* A full queue: a newcomer takes the place of the job with the latest turn
 * (one of the addresses with the most waiting), never of an equal turn. */
static void test_fair_full(void **state)
{
    (void)state;
    char *hash;
    struct auth *a = fair_setup(72, &hash);
    /* 16 addresses with 4 each fill the 64 places: jobs 1 .. 64 */
    for (int i = 1; i <= 64; i++) {
        set_source(&fj[i], (i - 1) / 4 + 1);
        assert_int_equal(auth_worker_submit(&fj[i]), 0);
    }
    /* a new address: the newest fourth job (64) gives way at once */
    set_source(&fj[65], 100);
    assert_int_equal(auth_worker_submit(&fj[65]), 0);
    assert_true(fj[64].busy);
    assert_int_equal(nforder, 2);
    assert_int_equal(forder[1], 64);
    /* its second job still has an earlier turn than the fourth jobs: 60 gives way */
    set_source(&fj[66], 100);
    assert_int_equal(auth_worker_submit(&fj[66]), 0);
    assert_true(fj[60].busy);
    /* a fifth address job 67 of address 1 (four waiting): refused */
    set_source(&fj[67], 1);
    assert_int_equal(auth_worker_submit(&fj[67]), -EAGAIN);
    assert_false(fj[67].busy);
    /* address 100 has two waiting, turn 3: takes the place of a fourth job (56) */
    set_source(&fj[68], 100);
    assert_int_equal(auth_worker_submit(&fj[68]), 0);
    assert_true(fj[56].busy);
    /* a fourth job of address 15 (turn 4, as the fourth jobs left) does not
     * displace one of equal turn: refused */
    set_source(&fj[69], 15);
    assert_int_equal(auth_worker_submit(&fj[69]), -EAGAIN);
    fair_release();
    fair_wait(68); /* the held job, three that gave way, 64 queued */
    auth_worker_stop();
    int busy = 0;
    for (int i = 1; i <= 69; i++)
        busy += fj[i].busy;
    assert_int_equal(busy, 3);
    free(fj);
    auth_free(a);
    free(hash);
}

/* The cheap first look: missing headers, the cache, the memory of failures,
 * priority for credentials that passed before but left the cache. */
static void test_quick_check(void **state)
{
    (void)state;
    enum { NU = 300 };
    struct webconfig_user *users = calloc(NU, sizeof(*users));
    assert_non_null(users);
    char name[NU][16], pass[NU][16];
    for (int i = 0; i < NU; i++) {
        snprintf(name[i], sizeof(name[i]), "u%d", i);
        snprintf(pass[i], sizeof(pass[i]), "p%d", i);
        users[i] = (struct webconfig_user){name[i], make_hash(pass[i], 4), i + 1};
    }
    struct auth *a = NULL;
    assert_int_equal(auth_create(users, NU, &a), 0);
    uint64_t c0[AUTH_R_COUNT];
    for (int i = 0; i < AUTH_R_COUNT; i++)
        c0[i] = auth_counted((enum auth_result)i);
    struct auth_job *j = calloc(1, sizeof(*j));
    assert_non_null(j);
    assert_int_equal(auth_quick_check(a, NULL, j), AUTH_REJECT);
    assert_int_equal(auth_quick_check(a, "Basic !!!!", j), AUTH_REJECT);
    assert_int_equal(auth_counted(AUTH_R_MISSING) - c0[AUTH_R_MISSING], 2);
    const char *good = "Basic dTA6cDA=";    /* u0:p0 */
    const char *bad = "Basic dTA6bm9wZQ=="; /* u0:nope */
    assert_int_equal(auth_quick_check(a, good, j), AUTH_VERIFY);
    assert_string_equal(j->user, "u0");
    assert_string_equal(j->pass, "p0");
    assert_false(j->priority);
    assert_true(auth_verify(a, "u0", "p0"));
    assert_int_equal(auth_quick_check(a, good, j), AUTH_ACCEPT);
    assert_int_equal(j->pass[0], '\0'); /* wiped */
    assert_int_equal(auth_counted(AUTH_R_CACHED) - c0[AUTH_R_CACHED], 1);
    /* a failure is remembered: the same wrong password again is refused
     * without bcrypt */
    assert_int_equal(auth_quick_check(a, bad, j), AUTH_VERIFY);
    assert_false(auth_verify(a, "u0", "nope"));
    assert_int_equal(auth_quick_check(a, bad, j), AUTH_REJECT);
    assert_int_equal(auth_counted(AUTH_R_BAD_CACHED) - c0[AUTH_R_BAD_CACHED], 1);
    assert_int_equal(auth_quick_check(a, "Basic dTA6bm9wZTI=", j), AUTH_VERIFY); /* u0:nope2 */
    /* 299 other good credentials push u0 out of the cache; it keeps priority */
    for (int i = 1; i < NU; i++)
        assert_true(auth_verify(a, name[i], pass[i]));
    assert_int_equal(auth_quick_check(a, good, j), AUTH_VERIFY);
    assert_true(j->priority);
    assert_int_equal(auth_quick_check(a, bad, j), AUTH_REJECT);
    free(j);
    auth_free(a);
    for (int i = 0; i < NU; i++)
        free(users[i].hash);
    free(users);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_valid),        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_ct_equal),          cmocka_unit_test(test_verify),
        cmocka_unit_test(test_unknown_user_cost), cmocka_unit_test(test_worker),
        cmocka_unit_test(test_worker_withdraw),   cmocka_unit_test(test_fair_order),
        cmocka_unit_test(test_fair_full),         cmocka_unit_test(test_quick_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
