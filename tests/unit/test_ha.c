/* SPDX-License-Identifier: Apache-2.0 */
/* Active-only mode's verdict (ha.h): which controller is in control, from
 * scontrol ping's answers over time, through the failovers Slurm makes (the
 * primary stops, a backup takes control after SlurmctldTimeout, the primary
 * returns), a quick restart that never hands over, all silent, the second
 * backup, a changed controller list; and this host's entry by name. */
#include "testutil.h"

#include "ha.h"
#include "poller.h"

#include <math.h>

#define T 120.0 /* --slurm.takeover-after */

static int at(struct ha_state *s, double now, bool a, bool b, bool c)
{
    bool up[3] = {a, b, c};
    return ha_decide(s, up, 3, now, T);
}

/* The primary answers: in control, however the backups answer. */
static void test_primary_first(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, true, true, true), 0);
    assert_int_equal(at(&s, 10, true, false, true), 0);
    assert_int_equal(at(&s, 20, true, true, false), 0);
}

/* The primary stops: the backup (answering all along, standby) is followed
 * only once the primary has been silent for T; the primary's return takes
 * it back at once. */
static void test_failover_and_back(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, true, true, true), 0);
    assert_int_equal(at(&s, 10, false, true, true), 0); /* silent 10 s: not yet */
    assert_int_equal(at(&s, T - 1, false, true, true), 0);
    assert_int_equal(at(&s, T, false, true, true), 1);     /* last answered at 0: T since */
    assert_int_equal(at(&s, T + 1, false, true, true), 1); /* stays */
    assert_int_equal(at(&s, T + 2, true, true, true), 0);  /* the primary returns */
}

/* A quick restart of the primary (silent less than T) never hands over. */
static void test_quick_restart(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, true, true, true), 0);
    for (double t = 10; t < T; t += 10)
        assert_int_equal(at(&s, t, false, true, true), 0);
    assert_int_equal(at(&s, T + 5, true, true, true), 0);
    assert_int_equal(at(&s, 2 * T, false, true, true), 0); /* silent again, anew */
}

/* Primary and first backup silent: the second backup, once both have been
 * silent for T; then the first backup answers again: the second keeps
 * control while it answers (Slurm does not hand it to backup1). */
static void test_second_backup(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, true, true, true), 0);
    assert_int_equal(at(&s, 50, false, false, true), 0);
    assert_int_equal(at(&s, T + 1, false, false, true), 2);
    assert_int_equal(at(&s, T + 10, false, true, true), 2);
    /* the second backup goes silent: backup1 once ctl3 has been silent T */
    assert_int_equal(at(&s, T + 20, false, true, false), 2);
    assert_int_equal(at(&s, 2 * T + 11, false, true, false), 1);
}

/* A backup in control goes silent while the one before it answers (the
 * primary long gone): the earlier backup is followed once the one in
 * control has been silent T; and a backup that was followed but the primary
 * silent not long enough is never chosen over the belief. */
static void test_backup_silent(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, false, true, true), 1); /* at start: the first answering */
    assert_int_equal(at(&s, 10, false, false, true), 1);
    assert_int_equal(at(&s, T - 1, false, false, true), 1);
    assert_int_equal(at(&s, T, false, false, true), 2);
}

/* Nobody answers: the belief stays; at start: none. */
static void test_all_silent(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, false, false, false), -1);
    assert_int_equal(at(&s, 1, false, true, false), 1); /* never seen: silent forever */
    assert_int_equal(at(&s, 5, false, false, false), 1);
    assert_int_equal(at(&s, 10 * T, false, false, false), 1);
}

/* The controller list changes (slurm.conf): start afresh. */
static void test_list_changes(void **state)
{
    (void)state;
    struct ha_state s;
    ha_init(&s);
    assert_int_equal(at(&s, 0, false, true, true), 1);
    bool two[2] = {false, true};
    assert_int_equal(ha_decide(&s, two, 2, 1, T), 1);
    bool one[1] = {true};
    assert_int_equal(ha_decide(&s, one, 1, 2, T), 0);
    assert_int_equal(ha_decide(&s, NULL, 0, 3, T), -1);
    /* more than PING_MAX: only the first PING_MAX are judged */
    bool many[PING_MAX + 2] = {false};
    many[PING_MAX + 1] = true;
    assert_int_equal(ha_decide(&s, many, PING_MAX + 2, 4, T), -1);
}

/* Started with a belief (the shared mark names the controller in control):
 * a standby backup that answers is not followed; the primary still is. */
static void test_seed(void **state)
{
    (void)state;
    struct ha_state s;
    ha_seed(&s, 2, 3); /* ctl3 in control, ctl1 down, ctl2 a standby */
    assert_int_equal(at(&s, 0, false, true, true), 2);
    assert_int_equal(at(&s, 5, false, true, true), 2);
    assert_int_equal(at(&s, 10, true, true, true), 0);
    ha_seed(&s, -1, 3); /* no mark: as ha_init */
    assert_int_equal(at(&s, 0, false, true, true), 1);
    ha_seed(&s, 7, 3); /* a name not in the list */
    assert_int_equal(at(&s, 0, false, true, true), 1);
    struct ping_model m = {0};
    m.n = 2;
    snprintf(m.e[0].host, sizeof(m.e[0].host), "ctl1");
    snprintf(m.e[1].host, sizeof(m.e[1].host), "ctl2.example.org");
    assert_int_equal(ha_index_of(&m, "ctl2"), 1);
    assert_int_equal(ha_index_of(&m, "CTL1"), 0);
    assert_int_equal(ha_index_of(&m, ""), -1);
    assert_int_equal(ha_index_of(&m, "ctl3"), -1);
}

/* This host's entry: by --slurm.controller-name (full or short, any case),
 * else the one the ping source matched to the host name; none: -1. */
static void test_local_index(void **state)
{
    (void)state;
    struct ping_model m = {0};
    m.n = 3;
    snprintf(m.e[0].host, sizeof(m.e[0].host), "ctl1.example.org");
    snprintf(m.e[1].host, sizeof(m.e[1].host), "ctl2");
    snprintf(m.e[2].host, sizeof(m.e[2].host), "ctl3.example.org");
    m.e[2].local = true;
    assert_int_equal(ha_local_index(&m, ""), 2);
    assert_int_equal(ha_local_index(&m, NULL), 2);
    assert_int_equal(ha_local_index(&m, "CTL2"), 1);
    assert_int_equal(ha_local_index(&m, "ctl2.example.org"), 1);
    assert_int_equal(ha_local_index(&m, "ctl1"), 0);
    assert_int_equal(ha_local_index(&m, "ctl1.example.org"), 0);
    assert_int_equal(ha_local_index(&m, "ctl"), -1);
    assert_int_equal(ha_local_index(&m, "ctl10"), -1);
    assert_int_equal(ha_local_index(&m, "login1"), -1);
    m.e[2].local = false;
    assert_int_equal(ha_local_index(&m, ""), -1);
}

/* The active mark in --slurm.ha-state-dir: another controller's, at or
 * after since; anything else is not a mark. */
static void test_mark(void **state)
{
    (void)state;
#define M(text, self, since) ha_mark_parse(text, sizeof(text) - 1, self, since)
    assert_true(M("1700000000.250 ctl1\n", "ctl2", 1700000000));
    assert_true(M("1700000000.250 ctl1", "ctl2", 1700000000.25));
    assert_false(M("1700000000.250 ctl1\n", "ctl2", 1700000001)); /* before since */
    assert_false(M("1700000000.250 ctl2\n", "ctl2", 0));          /* our own */
    assert_false(M("1700000000.250 \n", "ctl2", 0));              /* no name */
    assert_false(M("1700000000.250\tctl1\n", "ctl2", 0));
    assert_false(M("nan ctl1\n", "ctl2", 0));
    assert_false(M("inf ctl1\n", "ctl2", 0));
    assert_false(M(" ctl1\n", "ctl2", 0));
    assert_false(M("", "ctl2", 0));
    char big[200];
    memset(big, 'a', sizeof(big));
    memcpy(big, "1 ctl1", 6);
    assert_false(ha_mark_parse(big, sizeof(big), "ctl2", 0)); /* longer than a mark */
#undef M
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primary_first), cmocka_unit_test(test_failover_and_back),
        cmocka_unit_test(test_quick_restart), cmocka_unit_test(test_second_backup),
        cmocka_unit_test(test_backup_silent), cmocka_unit_test(test_all_silent),
        cmocka_unit_test(test_list_changes),  cmocka_unit_test(test_local_index),
        cmocka_unit_test(test_mark),          cmocka_unit_test(test_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
