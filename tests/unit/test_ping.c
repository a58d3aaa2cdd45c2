/* SPDX-License-Identifier: Apache-2.0 */
/* The controllers and slurmdbd datasets (scontrol ping, sacctmgr ping) and
 * their collectors: one table of lines (every form both commands print on
 * 22.05, 24.11 and 26.05, and malformed ones) through the line parser; the
 * recorded outputs, Slurm's other cases (backup down, primary down, three
 * controllers, all down with exit 1), bad lines among good ones, -M, the exit
 * statuses that are data and those that are not, and the host-name match. */
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

/* ---- one line at a time: every form both commands print, and malformed ones ---- */

enum want { DAEMON, SKIP, BAD };

/* One line of output and what the line parser makes of it: a daemon (its
 * role label, host and state), nothing (blank, the banner), or an unreadable
 * line (counted, with its problem logged). */
struct ping_case {
    enum ping_kind kind;
    const char *line;
    size_t len;
    enum want want;
    const char *role, *host; /* DAEMON */
    bool up;                 /* DAEMON */
    const char *why;         /* BAD: the problem, after "scontrol ping: " or "sacctmgr ping: " */
};

#define CTLD(text) PING_SLURMCTLD, text, sizeof(text) - 1
#define DBD(text) PING_SLURMDBD, text, sizeof(text) - 1
#define NOT_CTLD "not a Slurmctld( line"
#define NOT_DBD "not a slurmdbd( line"
#define ROLE "unknown role"
#define NO_AT "no \" at HOST is STATE\""
#define STATE "state neither UP nor DOWN"
#define HOST "host name with a space or control byte"
#define H10 "hhhhhhhhhh"
#define H120 H10 H10 H10 H10 H10 H10 H10 H10 H10 H10 H10 H10

static const struct ping_case ping_cases[] = {
    /* scontrol ping, "Slurmctld(%s) at %s is %s": 22.05 _ping_slurmctld, 24.11
     * and 26.05 _print_ping (src/scontrol/scontrol.c), the same printf */
    {CTLD("Slurmctld(primary) at vm is UP"), DAEMON, "primary", "vm", true, NULL}, /* recorded */
    {CTLD("Slurmctld(primary) at ctl1 is DOWN"), DAEMON, "primary", "ctl1", false, NULL},
    /* exactly two controllers: "backup" */
    {CTLD("Slurmctld(backup) at ctl2 is UP"), DAEMON, "backup1", "ctl2", true, NULL},
    {CTLD("Slurmctld(backup) at ctl2 is DOWN"), DAEMON, "backup1", "ctl2", false, NULL},
    /* three or more: "backup%d" */
    {CTLD("Slurmctld(backup1) at ctl2 is UP"), DAEMON, "backup1", "ctl2", true, NULL},
    {CTLD("Slurmctld(backup2) at ctl3.example.org is DOWN"), DAEMON, "backup2", "ctl3.example.org",
     false, NULL},
    {CTLD("Slurmctld(backup99) at h99 is UP"), DAEMON, "backup99", "h99", true, NULL},
    {CTLD("Slurmctld(primary) at 10.0.0.1 is UP"), DAEMON, "primary", "10.0.0.1", true, NULL},
    /* 26.05 with -M NAME: the cluster's name where the host was */
    {CTLD("Slurmctld(primary) at other is DOWN"), DAEMON, "primary", "other", false, NULL},
    /* line ends as a pipe may bring them */
    {CTLD("Slurmctld(primary) at vm is UP\r"), DAEMON, "primary", "vm", true, NULL},
    {CTLD("Slurmctld(primary) at vm is DOWN  "), DAEMON, "primary", "vm", false, NULL},
    /* a host name longer than a label value is cut */
    {CTLD("Slurmctld(primary) at " H120 "hhhhhhhhhh is UP"), DAEMON, "primary", H120 "hhhhhhhh",
     true, NULL},
    /* root, a controller DOWN: the banner; blank lines */
    {CTLD("*****************************************"), SKIP, NULL, NULL, false, NULL},
    {CTLD("** RESTORE SLURMCTLD DAEMON TO SERVICE **"), SKIP, NULL, NULL, false, NULL},
    {CTLD(""), SKIP, NULL, NULL, false, NULL},
    {CTLD("  \r"), SKIP, NULL, NULL, false, NULL},

    /* sacctmgr ping, "slurmdbd(%s) at %s is %s": 24.11 and 26.05 _print_db_ping
     * (src/sacctmgr/sacctmgr.c, from 24.05.5); 22.05 prints no line (stderr
     * "invalid keyword: ping": test_slurmdbd_absent) */
    {DBD("slurmdbd(primary) at 127.0.0.1 is UP"), DAEMON, "primary", "127.0.0.1", true, NULL},
    {DBD("slurmdbd(primary) at dbd1 is DOWN"), DAEMON, "primary", "dbd1", false, NULL},
    /* the backup (printed only while the primary is DOWN): always "backup" */
    {DBD("slurmdbd(backup) at dbd2 is UP"), DAEMON, "backup", "dbd2", true, NULL},
    {DBD("slurmdbd(backup) at dbd2 is DOWN"), DAEMON, "backup", "dbd2", false, NULL},
    {DBD("slurmdbd(primary) at dbd1 is UP\r"), DAEMON, "primary", "dbd1", true, NULL},
    {DBD(""), SKIP, NULL, NULL, false, NULL},
    {DBD("*****************************************"), SKIP, NULL, NULL, false, NULL},

    /* malformed: scontrol ping */
    {CTLD("slurmctld(primary) at x is UP"), BAD, NULL, NULL, false, NOT_CTLD},
    {CTLD(" Slurmctld(primary) at x is UP"), BAD, NULL, NULL, false, NOT_CTLD},
    {CTLD("slurmdbd(primary) at x is UP"), BAD, NULL, NULL, false, NOT_CTLD},
    {CTLD("CLUSTER: other"), BAD, NULL, NULL, false, NOT_CTLD},
    {CTLD("scontrol: error: slurm_ping"), BAD, NULL, NULL, false, NOT_CTLD},
    {CTLD("Slurmctld("), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld() at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(primary at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(PRIMARY) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(backup0) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(backup01) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(backupx) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(backup-1) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(backup100) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(backup ) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {CTLD("Slurmctld(primary)"), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary)at x is UP"), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary) at  is UP"), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary) at is UP"), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary) at x is"), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary) at x is "), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary) at x UP"), BAD, NULL, NULL, false, NO_AT},
    {CTLD("Slurmctld(primary) at x is up"), BAD, NULL, NULL, false, STATE},
    {CTLD("Slurmctld(primary) at x is SLEEPING"), BAD, NULL, NULL, false, STATE},
    {CTLD("Slurmctld(primary) at x is UP extra"), BAD, NULL, NULL, false, STATE},
    {CTLD("Slurmctld(primary) at x is  UP"), BAD, NULL, NULL, false, STATE},
    {CTLD("Slurmctld(primary) at a b is UP"), BAD, NULL, NULL, false, HOST},
    {CTLD("Slurmctld(primary) at a is b is UP"), BAD, NULL, NULL, false, HOST},
    {CTLD("Slurmctld(primary) at \x01x is UP"), BAD, NULL, NULL, false, HOST},
    {CTLD("Slurmctld(primary) at a\tb is UP"), BAD, NULL, NULL, false, HOST},
    {CTLD("Slurmctld(primary) at a\0b is UP"), BAD, NULL, NULL, false, HOST},
    {CTLD("Slurmctld(primary) at a\x7f is UP"), BAD, NULL, NULL, false, HOST},
    {CTLD("Slurmctld(primary) at \xc3\xa9 is UP"), BAD, NULL, NULL, false, HOST},

    /* malformed: sacctmgr ping */
    {DBD("Slurmdbd(primary) at x is UP"), BAD, NULL, NULL, false, NOT_DBD},
    {DBD("Slurmctld(primary) at x is UP"), BAD, NULL, NULL, false, NOT_DBD},
    {DBD("sacctmgr: error: Problem talking to the database"), BAD, NULL, NULL, false, NOT_DBD},
    {DBD("slurmdbd(backup1) at x is UP"), BAD, NULL, NULL, false, ROLE}, /* no numbered backups */
    {DBD("slurmdbd(backup2) at x is UP"), BAD, NULL, NULL, false, ROLE},
    {DBD("slurmdbd() at x is UP"), BAD, NULL, NULL, false, ROLE},
    {DBD("slurmdbd(primary) at  is UP"), BAD, NULL, NULL, false, NO_AT},
    {DBD("slurmdbd(primary) at x is"), BAD, NULL, NULL, false, NO_AT},
    {DBD("slurmdbd(primary) at x is up"), BAD, NULL, NULL, false, STATE},
    {DBD("slurmdbd(primary) at a b is UP"), BAD, NULL, NULL, false, HOST},
    {DBD("slurmdbd(primary) at a\x01 is UP"), BAD, NULL, NULL, false, HOST},
};

/* Reads one case's line with a fresh parser; false, and what went wrong in
 * msg, when the result is not the case's. */
static bool ping_case_holds(const struct ping_case *c, char *msg, size_t cap)
{
    struct ping_model m;
    struct ping_parser p;
    ping_parser_init(&p, &m, c->kind, NULL);
    ping_line(&p, c->line, c->len);
    char why[256];
    int verdict = source_judge(&p.st, why, sizeof(why));
    msg[0] = '\0';
    if (p.st.lines != 1)
        snprintf(msg, cap, "%llu lines read", (unsigned long long)p.st.lines);
    else if (c->want == DAEMON && (p.st.errors != 0 || verdict != 0 || m.n != 1))
        snprintf(msg, cap, "not read as a daemon (%zu daemons, error \"%s\")", m.n,
                 p.st.first_error);
    else if (c->want == DAEMON &&
             (strcmp(m.e[0].role, c->role) != 0 || strcmp(m.e[0].host, c->host) != 0 ||
              m.e[0].up != c->up || m.e[0].local))
        snprintf(msg, cap, "read role %s, host %s, up %d", m.e[0].role, m.e[0].host,
                 (int)m.e[0].up);
    else if (c->want == SKIP && (p.st.errors != 0 || m.n != 0))
        snprintf(msg, cap, "not skipped (%zu daemons, error \"%s\")", m.n, p.st.first_error);
    else if (c->want == BAD && (p.st.errors != 1 || m.n != 0 || verdict != -EPROTO))
        snprintf(msg, cap, "accepted (%zu daemons)", m.n);
    else if (c->want == BAD) {
        char want_why[160];
        snprintf(want_why, sizeof(want_why),
                 "%s: %s: line 1: ", c->kind == PING_SLURMCTLD ? "scontrol ping" : "sacctmgr ping",
                 c->why);
        if (strncmp(p.st.first_error, want_why, strlen(want_why)) != 0)
            snprintf(msg, cap, "logged \"%s\"", p.st.first_error);
    }
    return msg[0] == '\0';
}

static void test_lines(void **state)
{
    (void)state;
    size_t failed = 0;
    for (size_t i = 0; i < sizeof(ping_cases) / sizeof(ping_cases[0]); i++) {
        char msg[256];
        if (!ping_case_holds(&ping_cases[i], msg, sizeof(msg))) {
            print_error("case %zu (%s) \"%.*s\": %s\n", i,
                        ping_cases[i].kind == PING_SLURMCTLD ? "scontrol" : "sacctmgr",
                        (int)ping_cases[i].len, ping_cases[i].line, msg);
            failed++;
        }
    }
    if (failed)
        fail_msg("%zu of %zu lines read wrong", failed, sizeof(ping_cases) / sizeof(ping_cases[0]));
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
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
