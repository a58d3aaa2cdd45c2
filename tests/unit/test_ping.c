/* SPDX-License-Identifier: Apache-2.0 */
/* The controllers and slurmdbd datasets (scontrol ping, sacctmgr ping) and
 * their collectors: the recorded outputs, Slurm's other cases (backup down,
 * primary down, three controllers, all down with exit 1), the banner, bad
 * lines, -M, the exit statuses that are data and those that are not, and
 * the host-name match. */
#include "testutil.h"

#include "sources/ping.h"

#include <errno.h>

#define S(text) text, sizeof(text) - 1

/* What the poller does with buf from a command that ended with cmd_rc
 * (-EIO: exited exit_code, stderr err). *rc: the refresh's verdict. */
static struct dataset_result *run_ping(enum dataset_id id, const char *cluster, const char *buf,
                                       size_t len, int cmd_rc, const char *err, int *rc,
                                       struct parse_stats *st)
{
    const struct source_def *src = sources[id];
    struct dataset_result *r = tu_result_new(id);
    static const struct config cfg0;
    struct source_ctx ctx = {&cfg0, cluster, NULL, NULL};
    struct source_run run;
    struct parse_stats pst;
    char why[640];
    source_run_begin(&run, src, &ctx, r, 0);
    source_run_feed(&run, buf, len);
    int v = source_run_exit(&run, cmd_rc, cmd_rc == -EIO ? 1 : 0, err);
    v = source_run_end(&run, v, why, sizeof(why), &pst);
    if (rc)
        *rc = v;
    if (st)
        *st = pst;
    return r;
}

static struct dataset_result *fixture(enum dataset_id id, const char *name, int cmd_rc, int *rc)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "tests/fixtures/ping/%s", name);
    size_t len;
    char *buf = tu_read_rel(rel, &len);
    struct parse_stats st;
    struct dataset_result *r = run_ping(id, NULL, buf, len, cmd_rc, "", rc, &st);
    assert_int_equal(st.errors, 0);
    free(buf);
    return r;
}

static char *render(struct dataset_result *ctld, struct dataset_result *dbd)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = 1795424700.0;
    v.series_limit = 100000;
    v.ds[DS_CONTROLLERS] = ctld;
    v.ds[DS_SLURMDBD] = dbd;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_controllers(&v, &r, &o);
    collect_slurmdbd(&v, &r, &o);
    char *t = strdup(buf_cstr(&r.text));
    render_free(&r);
    return t;
}

static void check_one_vm(const char *name)
{
    int rc;
    struct dataset_result *r = fixture(DS_CONTROLLERS, name, 0, &rc);
    assert_int_equal(rc, 0);
    const struct ping_model *m = r->u.ctld;
    assert_int_equal(m->n, 1);
    assert_string_equal(m->e[0].host, "vm");
    assert_string_equal(m->e[0].role, "primary");
    assert_true(m->e[0].up);
    char *t = render(r, NULL);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"vm\",role=\"primary\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"vm\",role=\"primary\"}"), 1);
    assert_false(tu_has_line(t, "slurm_database_up"));
    free(t);
    tu_result_free(r);
}

static void test_recorded(void **state)
{
    (void)state;
    check_one_vm("22.05.txt");
    check_one_vm("24.11.txt");
    check_one_vm("26.05.txt");
}

static void test_backup_down(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r = fixture(DS_CONTROLLERS, "backup_down.txt", 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(r->u.ctld->n, 2); /* the banner is not a controller */
    char *t = render(r, NULL);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl1\",role=\"primary\"}"),
                        1);
    /* Slurm prints "backup" when there are two: the label is backup1 either way */
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl2\",role=\"backup1\"}"),
                        0);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl1\",role=\"primary\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl2\",role=\"backup1\"}"), 0);
    free(t);
    tu_result_free(r);
}

static void test_primary_down(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r = fixture(DS_CONTROLLERS, "primary_down.txt", 0, &rc);
    assert_int_equal(rc, 0);
    char *t = render(r, NULL);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl1\",role=\"primary\"}"),
                        0);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl2\",role=\"backup1\"}"),
                        1);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl1\",role=\"primary\"}"), 0);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl2\",role=\"backup1\"}"), 1);
    free(t);
    tu_result_free(r);
}

static void test_three(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r = fixture(DS_CONTROLLERS, "three.txt", 0, &rc);
    assert_int_equal(rc, 0);
    const struct ping_model *m = r->u.ctld;
    assert_int_equal(m->n, 3);
    assert_string_equal(m->e[2].host, "ctl3.example.org");
    assert_string_equal(m->e[2].role, "backup2");
    char *t = render(r, NULL);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl2\",role=\"backup1\"}"),
                        1);
    assert_double_exact(
        tu_sample(t, "slurm_controller_up{controller=\"ctl3.example.org\",role=\"backup2\"}"), 0);
    /* both UP: the primary serves, the standby backup only answers pings */
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl1\",role=\"primary\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl2\",role=\"backup1\"}"), 0);
    free(t);
    tu_result_free(r);
}

/* scontrol exits 1 when no controller answers: still data, every one DOWN. */
static void test_all_down_exit_1(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r = fixture(DS_CONTROLLERS, "all_down.txt", -EIO, &rc);
    assert_int_equal(rc, 0);
    char *t = render(r, NULL);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl1\",role=\"primary\"}"),
                        0);
    assert_double_exact(tu_sample(t, "slurm_controller_up{controller=\"ctl2\",role=\"backup1\"}"),
                        0);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl1\",role=\"primary\"}"), 0);
    assert_double_exact(
        tu_sample(t, "slurm_controller_in_control{controller=\"ctl2\",role=\"backup1\"}"), 0);
    free(t);
    tu_result_free(r);
    /* a failure with no controller line (slurm.conf unreadable) stays a failure */
    r = run_ping(DS_CONTROLLERS, NULL, S(""), -EIO, "scontrol: error: resolve_ctls_from_dns_srv",
                 &rc, NULL);
    assert_int_equal(rc, -EIO);
    tu_result_free(r);
    /* so do a timeout and output over the cap, whatever was printed before */
    r = run_ping(DS_CONTROLLERS, NULL, S("Slurmctld(primary) at a is UP\n"), -ETIMEDOUT, "", &rc,
                 NULL);
    assert_int_equal(rc, -ETIMEDOUT);
    tu_result_free(r);
}

static void test_bad_lines(void **state)
{
    (void)state;
    int rc;
    struct parse_stats st;
    static const char text[] = "Slurmctld(primary) at a is UP\n"
                               "Slurmctld(backup1) at b is UP\n"
                               "Slurmctld(backup2) at c is SLEEPING\n" /* unknown state */
                               "Slurmctld(primary) at d is UP\n"       /* role twice */
                               "Slurmctld(backup3) at e is DOWN\n"
                               "Slurmctld(backup4) at f is UP\n"
                               "Slurmctld(backup5) at g is DOWN\n";
    struct dataset_result *r = run_ping(DS_CONTROLLERS, NULL, S(text), 0, "", &rc, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(st.errors, 2);
    assert_int_equal(r->u.ctld->n, 5);
    tu_result_free(r);
    static const char *const bad[] = {
        "Slurmctld(primary) at  is UP",
        "Slurmctld(primary) at x is",
        "Slurmctld(primary)at x is UP",
        "Slurmctld(primary at x is UP",
        "Slurmctld(backup0) at x is UP",
        "Slurmctld(backupx) at x is UP",
        "Slurmctld(backup100) at x is UP",
        "slurmctld(primary) at x is UP",
        "Slurmctld() at x is UP",
        "Slurmctld(primary) at x is up",
        "slurmdbd(primary) at x is UP",
        "Slurmctld(primary) at a b is UP",
        "Slurmctld(primary) at \x01x is UP",
        "Slurmctld(primary) at \xc3\xa9 is UP",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = run_ping(DS_CONTROLLERS, NULL, bad[i], strlen(bad[i]), 0, "", &rc, &st);
        if (st.errors != 1 || r->u.ctld->n != 0 || rc != -EPROTO)
            fail_msg("accepted: %s", bad[i]);
        tu_result_free(r);
    }
    /* the slurmdbd parser: backupN is not a slurmdbd role */
    r = run_ping(DS_SLURMDBD, NULL, S("slurmdbd(backup1) at x is UP\n"), 0, "", &rc, &st);
    assert_int_equal(st.errors, 1);
    tu_result_free(r);
    /* more controllers than kept: counted, not stored */
    char big[2048];
    size_t n = (size_t)snprintf(big, sizeof(big), "Slurmctld(primary) at h0 is UP\n");
    for (int i = 1; i <= PING_MAX; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "Slurmctld(backup%d) at h%d is UP\n", i, i);
    r = run_ping(DS_CONTROLLERS, NULL, big, n, 0, "", &rc, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(r->u.ctld->n, PING_MAX);
    assert_int_equal(st.errors, 1);
    tu_result_free(r);
}

/* -M NAME: one controller, named after the cluster (25.11+ print the cluster
 * name; earlier releases one line per local controller, all of them the
 * same ping of the cluster's registered address). */
static void test_cluster(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r = run_ping(DS_CONTROLLERS, "other",
                                        S("CLUSTER: other\nSlurmctld(primary) at vm is DOWN\n"
                                          "Slurmctld(backup) at vm2 is DOWN\n"),
                                        -EIO, "", &rc, NULL);
    assert_int_equal(rc, 0);
    const struct ping_model *m = r->u.ctld;
    assert_int_equal(m->n, 1);
    assert_string_equal(m->e[0].host, "other");
    assert_string_equal(m->e[0].role, "primary");
    assert_false(m->e[0].up);
    assert_false(m->e[0].local);
    tu_result_free(r);
}

static void test_slurmdbd(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r = fixture(DS_SLURMDBD, "dbd_up.txt", 0, &rc);
    assert_int_equal(rc, 0);
    char *t = render(NULL, r);
    assert_double_exact(tu_sample(t, "slurm_database_up"), 1);
    assert_double_exact(tu_sample(t, "slurm_slurmdbd_up{slurmdbd=\"127.0.0.1\",role=\"primary\"}"),
                        1);
    assert_false(tu_has_line(t, "slurm_controller_up"));
    free(t);
    tu_result_free(r);

    r = fixture(DS_SLURMDBD, "dbd_backup.txt", 0, &rc);
    assert_int_equal(rc, 0);
    t = render(NULL, r);
    assert_double_exact(tu_sample(t, "slurm_database_up"), 1);
    assert_double_exact(tu_sample(t, "slurm_slurmdbd_up{slurmdbd=\"dbd1\",role=\"primary\"}"), 0);
    assert_double_exact(tu_sample(t, "slurm_slurmdbd_up{slurmdbd=\"dbd2\",role=\"backup\"}"), 1);
    free(t);
    tu_result_free(r);

    /* slurmdbd down: sacctmgr exits 1 after its DOWN line */
    r = fixture(DS_SLURMDBD, "dbd_down.txt", -EIO, &rc);
    assert_int_equal(rc, 0);
    t = render(NULL, r);
    assert_double_exact(tu_sample(t, "slurm_database_up"), 0);
    assert_double_exact(tu_sample(t, "slurm_slurmdbd_up{slurmdbd=\"dbd1\",role=\"primary\"}"), 0);
    free(t);
    tu_result_free(r);
}

/* No slurmdbd, or a sacctmgr without ping: no series, and not a failure;
 * any other exit without output is a failure. */
static void test_slurmdbd_absent(void **state)
{
    (void)state;
    int rc;
    struct dataset_result *r =
        run_ping(DS_SLURMDBD, NULL, S(""), -EIO,
                 "You are not running a supported accounting_storage plugin Only "
                 "'accounting_storage/slurmdbd' is supported.",
                 &rc, NULL);
    assert_int_equal(rc, 0);
    assert_true(r->u.dbd->no_slurmdbd);
    char *t = render(NULL, r);
    assert_false(tu_has_line(t, "slurm_database_up"));
    free(t);
    tu_result_free(r);
    r = run_ping(DS_SLURMDBD, NULL, S(""), -EIO, "invalid keyword: ping", &rc, NULL);
    assert_int_equal(rc, 0);
    assert_true(r->u.dbd->no_ping);
    t = render(NULL, r);
    assert_false(tu_has_line(t, "slurm_database_up"));
    free(t);
    tu_result_free(r);
    r = run_ping(DS_SLURMDBD, NULL, S(""), -EIO, "sacctmgr: error: Unable to establish config", &rc,
                 NULL);
    assert_int_equal(rc, -EIO);
    tu_result_free(r);
    /* the controllers' source does not take those texts as "no data" */
    r = run_ping(DS_CONTROLLERS, NULL, S(""), -EIO, "invalid keyword: ping", &rc, NULL);
    assert_int_equal(rc, -EIO);
    tu_result_free(r);
}

static void test_host_match(void **state)
{
    (void)state;
    assert_true(ping_host_is("ctl1", "ctl1"));
    assert_true(ping_host_is("CTL1", "ctl1"));
    assert_true(ping_host_is("ctl1", "ctl1.example.org"));
    assert_true(ping_host_is("ctl1.example.org", "ctl1"));
    assert_true(ping_host_is("ctl1.example.org", "ctl1.example.org"));
    assert_true(ping_host_is("localhost", "anything"));
    assert_false(ping_host_is("ctl1.a.org", "ctl1.b.org"));
    assert_false(ping_host_is("ctl1", "ctl10"));
    assert_false(ping_host_is("ctl10", "ctl1"));
    assert_false(ping_host_is("ctl", "ctl1.example.org"));
    assert_false(ping_host_is("", "ctl1"));
    assert_false(ping_host_is("ctl1", ""));
    int rc;
    struct dataset_result *r = fixture(DS_CONTROLLERS, "three.txt", 0, &rc);
    ping_mark_local(r->u.ctld, "ctl2.example.org");
    char *t = render(r, NULL);
    assert_double_exact(
        tu_sample(t, "slurm_controller_local{controller=\"ctl1\",role=\"primary\"}"), 0);
    assert_double_exact(
        tu_sample(t, "slurm_controller_local{controller=\"ctl2\",role=\"backup1\"}"), 1);
    free(t);
    tu_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded),        cmocka_unit_test(test_backup_down),
        cmocka_unit_test(test_primary_down),    cmocka_unit_test(test_three),
        cmocka_unit_test(test_all_down_exit_1), cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_cluster),         cmocka_unit_test(test_slurmdbd),
        cmocka_unit_test(test_slurmdbd_absent), cmocka_unit_test(test_host_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
