/* SPDX-License-Identifier: Apache-2.0 */
/* The licenses and reservations parsers (scontrol --oneliner output of Slurm
 * 22.05 and the fields later releases add) and their collectors: values,
 * absent values, bad lines, the compat names, node states of reservations. */
#include "testutil.h"

#include "sources/licenses.h"
#include "sources/reservations.h"

#define S(text) text, sizeof(text) - 1

static struct dataset_result *from(enum dataset_id id, const char *buf, size_t len,
                                   struct parse_stats *st)
{
    return tu_result_from(id, buf, len, st);
}

/* Renders the given datasets (NULL: absent) with the collectors of both. */
static char *render(struct dataset_result *lic, struct dataset_result *resv,
                    struct dataset_result *nodes, unsigned compat)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = 1795424700.0;
    v.series_limit = 100000;
    v.compat = compat;
    v.ds[DS_LICENSES] = lic;
    v.ds[DS_RESERVATIONS] = resv;
    v.ds[DS_NODES] = nodes;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_licenses(&v, &r, &o);
    collect_reservations(&v, &r, &o);
    char *t = strdup(buf_cstr(&r.text));
    render_free(&r);
    return t;
}

/* ---- licenses ------------------------------------------------------------ */

static void test_licenses_2205(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_licenses.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = from(DS_LICENSES, buf, len, &st);
    free(buf);
    assert_int_equal(st.errors, 0);
    const struct licenses_model *m = r->u.licenses;
    assert_int_equal(m->n, 3);
    assert_string_equal(strtab_get(&m->strs, m->lic[1].name), "comsol@flex");
    assert_true(m->lic[1].remote);
    assert_false(m->lic[0].remote);
    assert_int_equal(m->lic[1].last_consumed, -1); /* 22.05 does not print it */
    char *t = render(r, NULL, NULL, 0);
    assert_double_exact(tu_sample(t, "slurm_license_configured{license=\"matlab\"}"), 10);
    assert_double_exact(tu_sample(t, "slurm_license_used{license=\"matlab\"}"), 4);
    assert_double_exact(tu_sample(t, "slurm_license_free{license=\"matlab\"}"), 6);
    assert_double_exact(tu_sample(t, "slurm_license_reserved{license=\"matlab\"}"), 0);
    assert_double_exact(tu_sample(t, "slurm_license_used{license=\"comsol@flex\"}"), 5);
    assert_double_exact(tu_sample(t, "slurm_license_info{license=\"comsol@flex\",remote=\"true\"}"),
                        1);
    assert_double_exact(tu_sample(t, "slurm_license_info{license=\"ansys\",remote=\"false\"}"), 1);
    assert_false(tu_has_line(t, "# HELP slurm_license_last_consumed"));
    assert_false(tu_has_line(t, "slurm_lic_")); /* compat off */
    free(t);
    tu_result_free(r);
}

static void test_licenses_remote_fields(void **state)
{
    (void)state;
    /* 23.02+: remote licenses add LastConsumed/LastDeficit/LastUpdate;
     * 25.05 prints an unsigned total; a hierarchical resource has Mode= */
    struct parse_stats st;
    struct dataset_result *r = from(
        DS_LICENSES,
        S("LicenseName=fluent@lm1 Total=100 Used=10 Free=70 Reserved=5 Remote=yes "
          "LastConsumed=30 LastDeficit=20 LastUpdate=1795424000\n"
          "LicenseName=local Total=4294967295 Used=1 Free=4294967295 Reserved=0 Remote=no\n"
          "LicenseName=old Total=-1 Used=0 Free=0 Reserved=0 Remote=no\n"
          "LicenseName=never@lm1 Total=5 Used=0 Free=5 Reserved=0 Remote=yes LastConsumed=0 "
          "LastDeficit=0 LastUpdate=Unknown\n"
          "LicenseName=hres Total=8 Used=0 Free=8 Reserved=0 Remote=no Nodes=cn[1-4] Mode=1\n"),
        &st);
    assert_int_equal(st.errors, 0);
    const struct licenses_model *m = r->u.licenses;
    assert_int_equal(m->n, 4);
    assert_int_equal(m->skipped, 1);
    char *t = render(r, NULL, NULL, COMPAT_RIVOSINC);
    assert_double_exact(tu_sample(t, "slurm_license_last_consumed{license=\"fluent@lm1\"}"), 30);
    assert_double_exact(tu_sample(t, "slurm_license_last_deficit{license=\"fluent@lm1\"}"), 20);
    assert_double_exact(
        tu_sample(t, "slurm_license_last_update_time_seconds{license=\"fluent@lm1\"}"), 1795424000);
    assert_double_exact(tu_sample(t, "slurm_license_last_consumed{license=\"never@lm1\"}"), 0);
    assert_false(tu_has_line(t, "slurm_license_last_update_time_seconds{license=\"never@lm1\"}"));
    assert_false(tu_has_line(t, "slurm_license_last_consumed{license=\"local\"}"));
    /* INFINITE: no total and no free series, the rest is there */
    assert_false(tu_has_line(t, "slurm_license_configured{license=\"local\"}"));
    assert_false(tu_has_line(t, "slurm_license_free{license=\"local\"}"));
    assert_false(tu_has_line(t, "slurm_license_configured{license=\"old\"}"));
    assert_double_exact(tu_sample(t, "slurm_license_used{license=\"local\"}"), 1);
    assert_false(tu_has_line(t, "slurm_license_info{license=\"hres\""));
    /* compat: rivosinc's names and label */
    assert_double_exact(tu_sample(t, "slurm_lic_total{name=\"fluent@lm1\"}"), 100);
    assert_double_exact(tu_sample(t, "slurm_lic_used{name=\"fluent@lm1\"}"), 10);
    assert_double_exact(tu_sample(t, "slurm_lic_free{name=\"fluent@lm1\"}"), 70);
    assert_double_exact(tu_sample(t, "slurm_lic_reserved{name=\"fluent@lm1\"}"), 5);
    assert_double_exact(tu_sample(t, "slurm_lic_last_consumed{name=\"fluent@lm1\"}"), 30);
    assert_double_exact(tu_sample(t, "slurm_lic_last_deficit{name=\"fluent@lm1\"}"), 20);
    free(t);
    tu_result_free(r);
}

static void test_licenses_bad_and_empty(void **state)
{
    (void)state;
    struct parse_stats st;
    struct dataset_result *r = from(DS_LICENSES, S("No licenses configured in Slurm.\n\n"), &st);
    assert_int_equal(st.errors, 0);
    assert_int_equal(r->u.licenses->n, 0);
    char *t = render(r, NULL, NULL, 0);
    assert_true(tu_has_line(t, "# TYPE slurm_license_configured gauge"));
    assert_false(tu_has_line(t, "slurm_license_configured{"));
    free(t);
    tu_result_free(r);

    r = from(DS_LICENSES,
             S("LicenseName=a Total=x Used=0 Free=0 Reserved=0 Remote=no\n"
               "garbage here\n"
               "Total=3\n"
               "LicenseName=b Total=3 Used=1 Free=2 Reserved=0 Remote=no\r\n"
               "LicenseName=b Total=3 Used=1 Free=2 Reserved=0 Remote=no\n"),
             &st);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.errors, 4); /* unreadable count, no name, no name, repeated */
    const struct licenses_model *m = r->u.licenses;
    assert_int_equal(m->n, 1);
    assert_int_equal(m->lic[0].total, 3);
    tu_result_free(r);
}

static void test_licenses_absent(void **state)
{
    (void)state;
    char *t = render(NULL, NULL, NULL, COMPAT_RIVOSINC);
    assert_string_equal(t, "");
    free(t);
}

/* ---- reservations -------------------------------------------------------- */

static void test_reservations_2205(void **state)
{
    (void)state;
    size_t len, nlen;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_reservations.txt", &len);
    char *nbuf = tu_read_rel("tests/fixtures/22.05/exporter_nodes.txt", &nlen);
    struct parse_stats st;
    struct dataset_result *r = from(DS_RESERVATIONS, buf, len, &st);
    struct dataset_result *n = tu_nodes_from(nbuf, nlen, NULL);
    free(buf);
    free(nbuf);
    assert_int_equal(st.errors, 0);
    const struct reservations_model *m = r->u.reservations;
    assert_int_equal(m->n, 4);
    char *t = render(NULL, r, n, 0);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_info{reservation=\"maint_now\",state=\"active\","
                     "flags=\"maint,ignore_jobs,spec_nodes\",partition=\"\",users=\"root\","
                     "accounts=\"\"}"),
        1);
    assert_true(tu_has_line(t, "slurm_reservation_info{reservation=\"future_a\",state="
                               "\"inactive\",flags=\"ignore_jobs,spec_nodes\",partition=\"\","
                               "users=\"\",accounts=\"physics,biology\"}"));
    assert_double_exact(tu_sample(t, "slurm_reservation_active{reservation=\"maint_now\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_reservation_active{reservation=\"future_a\"}"), 0);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_start_time_seconds{reservation=\"maint_now\"}"),
        1795439606);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_end_time_seconds{reservation=\"maint_now\"}"), 1795446806);
    assert_double_exact(tu_sample(t, "slurm_reservation_nodes{reservation=\"future_a\"}"), 3);
    assert_double_exact(tu_sample(t, "slurm_reservation_cores{reservation=\"future_a\"}"), 112);
    assert_double_exact(tu_sample(t, "slurm_reservation_cpus{reservation=\"future_a\"}"), 160);
    /* the core reservation: its NodeName=/CoreIDs= pairs do not hide the rest */
    assert_double_exact(tu_sample(t, "slurm_reservation_cpus{reservation=\"cores\"}"), 4);
    assert_true(tu_has_line(t, "slurm_reservation_info{reservation=\"cores\",state=\"active\","
                               "flags=\"ignore_jobs,spec_nodes\",partition=\"debug\""));
    /* licenses only: no nodes, no CPUs */
    assert_double_exact(tu_sample(t, "slurm_reservation_nodes{reservation=\"lic_only\"}"), 0);
    assert_false(tu_has_line(t, "slurm_reservation_cpus{reservation=\"lic_only\"}"));
    assert_false(tu_has_line(t, "slurm_reservation_nodes_state{reservation=\"lic_only\""));
    /* node states from the nodes fixture: cn004 down, cn005 mixed */
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"maint_now\",state=\"down\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"maint_now\",state=\"mixed\"}"),
        1);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"future_a\",state=\"mixed\"}"), 3);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_unresolved{reservation=\"future_a\"}"), 0);
    free(t);
    /* without the nodes dataset: no node states */
    t = render(NULL, r, NULL, 0);
    assert_false(tu_has_line(t, "# HELP slurm_reservation_nodes_state"));
    assert_true(tu_has_line(t, "slurm_reservation_nodes{reservation=\"maint_now\"} 2"));
    free(t);
    tu_result_free(r);
    tu_result_free(n);
}

static void test_reservations_odd(void **state)
{
    (void)state;
    /* 25.11 adds AllowedPartitions, QOS and Comment (free text, last) and
     * drops Watts; times Unknown; a host list partly unknown and one that
     * cannot be expanded; a reservation with many core specs */
    struct buf in = {0};
    buf_puts(&in, "No reservations in the system\n");
    buf_puts(&in, "ReservationName=new StartTime=1795400000 EndTime=Unknown Duration=N/A "
                  "Nodes=n[1-3],x9 NodeCnt=4 CoreCnt=8 Features=(null) PartitionName=p "
                  "Flags=DAILY,PURGE_COMP=00:05:00 TRES=cpu=16 AllowedPartitions=(null) "
                  "QOS=(null) Users=-bob Groups=(null) Accounts=a State=ACTIVE "
                  "BurstBuffer=(null) MaxStartDelay=(null) Comment=State=INACTIVE x=y\n");
    buf_puts(&in, "ReservationName=broken StartTime=1 EndTime=2 Duration=00:00:01 "
                  "Nodes=n[1-3 NodeCnt=3 CoreCnt=0 Features=(null) PartitionName=(null) "
                  "Flags=(null) TRES=(null) Users=root Groups=(null) Accounts=(null) "
                  "Licenses=(null) State=weird BurstBuffer=(null)\n");
    buf_puts(&in, "ReservationName=many StartTime=1 EndTime=2 Duration=00:00:01 Nodes=n[1-2] "
                  "NodeCnt=2 CoreCnt=80 Features=(null) PartitionName=(null) Flags=(null)");
    for (int i = 0; i < 60; i++)
        buf_printf(&in, "   NodeName=n%d CoreIDs=0-1", i);
    buf_puts(&in, " TRES=cpu=80 Users=root Groups=(null) Accounts=(null) Licenses=(null) "
                  "State=INACTIVE BurstBuffer=(null) Watts=n/a MaxStartDelay=(null)\n");
    buf_puts(&in, "StartTime=1 Nodes=n1\n");
    struct parse_stats st;
    struct dataset_result *r = from(DS_RESERVATIONS, in.p, in.len, &st);
    buf_free(&in);
    assert_int_equal(st.errors, 1);
    struct dataset_result *n =
        tu_nodes_from(S("NodeName=n1 CPUTot=4 CPUAlloc=0 State=IDLE RealMemory=100\n"
                        "NodeName=n2 CPUTot=4 CPUAlloc=4 State=ALLOCATED RealMemory=100\n"
                        "NodeName=n3 CPUTot=4 CPUAlloc=0 State=IDLE+DRAIN RealMemory=100\n"),
                      NULL);
    char *t = render(NULL, r, n, 0);
    assert_true(tu_has_line(t, "slurm_reservation_info{reservation=\"new\",state=\"active\","
                               "flags=\"daily,purge_comp=00:05:00\",partition=\"p\","
                               "users=\"-bob\",accounts=\"a\"} 1"));
    assert_false(tu_has_line(t, "slurm_reservation_end_time_seconds{reservation=\"new\"}"));
    assert_double_exact(tu_sample(t, "slurm_reservation_active{reservation=\"new\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"new\",state=\"idle\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"new\",state=\"allocated\"}"), 1);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"new\",state=\"drained\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_reservation_nodes_unresolved{reservation=\"new\"}"),
                        1); /* x9 is not a node */
    /* unexpandable list: every node unresolved; unknown state: no active series */
    assert_false(tu_has_line(t, "slurm_reservation_nodes_state{reservation=\"broken\""));
    assert_double_exact(tu_sample(t, "slurm_reservation_nodes_unresolved{reservation=\"broken\"}"),
                        3);
    assert_false(tu_has_line(t, "slurm_reservation_active{reservation=\"broken\"}"));
    assert_true(tu_has_line(t, "slurm_reservation_info{reservation=\"broken\",state=\"weird\","
                               "flags=\"\",partition=\"\",users=\"root\",accounts=\"\"} 1"));
    assert_false(tu_has_line(t, "slurm_reservation_cpus{reservation=\"broken\"}"));
    /* 60 core specs: the fields after them are read */
    assert_double_exact(tu_sample(t, "slurm_reservation_cpus{reservation=\"many\"}"), 80);
    assert_double_exact(tu_sample(t, "slurm_reservation_active{reservation=\"many\"}"), 0);
    free(t);
    tu_result_free(r);
    tu_result_free(n);
}

static void test_reservations_long_names(void **state)
{
    (void)state;
    /* names cut at MAX_LABEL_LEN: two that differ only after the cut would
     * be one series twice; the second is refused and counted */
    struct buf in = {0};
    for (int k = 0; k < 2; k++) {
        buf_puts(&in, "ReservationName=");
        for (int i = 0; i < MAX_LABEL_LEN; i++)
            buf_putc(&in, 'r');
        buf_printf(&in,
                   "%d StartTime=1 EndTime=2 Nodes=(null) NodeCnt=0 CoreCnt=0 "
                   "Users=%s State=INACTIVE\n",
                   k,
                   k ? "x"
                     : "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
                       "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
                       "yyyyyyyy");
    }
    struct parse_stats st;
    struct dataset_result *r = from(DS_RESERVATIONS, in.p, in.len, &st);
    buf_free(&in);
    assert_int_equal(st.errors, 1);
    const struct reservations_model *m = r->u.reservations;
    assert_int_equal(m->n, 1);
    assert_int_equal(strlen(strtab_get(&m->strs, m->resv[0].name)), MAX_LABEL_LEN);
    assert_int_equal(strlen(strtab_get(&m->strs, m->resv[0].users)), MAX_LABEL_LEN);
    tu_result_free(r);
}

/* tests/fixtures/edge/licenses_hres (25.05's layout): the levels of a
 * hierarchical resource repeat its name with "Nodes= Mode="; they are
 * skipped, neither exported nor counted as repeated names. */
static void test_licenses_hres_2505(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/edge/licenses_hres/licenses.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = from(DS_LICENSES, buf, len, &st);
    free(buf);
    assert_int_equal(st.errors, 0);
    const struct licenses_model *m = r->u.licenses;
    assert_int_equal(m->n, 3);
    assert_int_equal(m->skipped, 3);
    char *t = render(r, NULL, NULL, 0);
    assert_double_exact(tu_sample(t, "slurm_license_used{license=\"ansys\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_license_last_deficit{license=\"flexsrv@lm1\"}"), 3);
    assert_double_exact(tu_sample(t, "slurm_license_used{license=\"unlimited\"}"), 0);
    assert_false(tu_has_line(t, "slurm_license_configured{license=\"unlimited\"}"));
    assert_false(tu_has_line(t, "slurm_license_info{license=\"power\""));
    assert_false(tu_has_line(t, "slurm_license_info{license=\"bw\""));
    free(t);
    tu_result_free(r);
}

/* tests/fixtures/edge/reservations_allowed (25.11's layout: AllowedPartitions=
 * QOS= after TRES=, no Watts=, core specs before TRES=, a Comment= that
 * looks like fields). */
static void test_reservations_allowed_2511(void **state)
{
    (void)state;
    size_t len, nlen;
    char *buf = tu_read_rel("tests/fixtures/edge/reservations_allowed/reservations.txt", &len);
    char *nbuf = tu_read_rel("tests/fixtures/edge/reservations_allowed/nodes.txt", &nlen);
    struct parse_stats st;
    struct dataset_result *r = from(DS_RESERVATIONS, buf, len, &st);
    assert_int_equal(st.errors, 0);
    assert_int_equal(r->u.reservations->n, 3);
    struct dataset_result *n = tu_nodes_from(nbuf, nlen, NULL);
    char *t = render(NULL, r, n, 0);
    assert_true(tu_has_line(t, "slurm_reservation_info{reservation=\"qos_only\",state=\"active\","
                               "flags=\"spec_nodes\",partition=\"batch\",users=\"\","
                               "accounts=\"\"} 1"));
    assert_true(tu_has_line(t, "slurm_reservation_info{reservation=\"cores\",state=\"active\","
                               "flags=\"all_nodes\",partition=\"\",users=\"alice,-bob\","
                               "accounts=\"\"} 1"));
    assert_double_exact(tu_sample(t, "slurm_reservation_cpus{reservation=\"cores\"}"), 4);
    assert_double_exact(tu_sample(t, "slurm_reservation_cores{reservation=\"cores\"}"), 4);
    assert_double_exact(tu_sample(t, "slurm_reservation_end_time_seconds{reservation=\"later\"}"),
                        1795503600);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"qos_only\",state=\"reserved\"}"),
        1);
    assert_double_exact(
        tu_sample(t, "slurm_reservation_nodes_state{reservation=\"qos_only\",state=\"mixed\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_reservation_nodes_unresolved{reservation=\"later\"}"),
                        0);
    free(t);
    free(buf);
    free(nbuf);
    tu_result_free(r);
    tu_result_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_licenses_2205),
        cmocka_unit_test(test_licenses_remote_fields),
        cmocka_unit_test(test_licenses_bad_and_empty),
        cmocka_unit_test(test_licenses_absent),
        cmocka_unit_test(test_reservations_2205),
        cmocka_unit_test(test_reservations_odd),
        cmocka_unit_test(test_reservations_long_names),
        cmocka_unit_test(test_licenses_hres_2505),
        cmocka_unit_test(test_reservations_allowed_2511),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
