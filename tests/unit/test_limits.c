/* SPDX-License-Identifier: Apache-2.0 */
/* The assoc_mgr parser and the limits collector: value forms ("4(2)", "N(0)",
 * "", NO_VAL), the 22.05 fixture (QoS lim and account limacct with limits
 * hit), the 23.02+/24.05+ layout (name(uid) user entries, Comment=,
 * MaxTRESRunMinsPU), odd lines, label sets, the series limit and the
 * rivosinc names. */
#include "testutil.h"

#include "sources/assoc_mgr.h"

static struct dataset_result *limits_from(const char *text, struct parse_stats *st)
{
    return tu_result_from(DS_LIMITS, text, strlen(text), st);
}

static const struct limits_model *model(const struct dataset_result *r)
{
    return r->u.limits;
}

/* The row of entity/kind/tres for the names given (NULL: ""). */
static const struct limit_row *find_row(const struct limits_model *m, int entity, int kind,
                                        const char *qos, const char *account, const char *user,
                                        const char *tres)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct limit_row *r = &m->rows[i];
        if (r->entity != entity || r->kind != kind)
            continue;
        if (strcmp(strtab_get(&m->strs, r->qos), qos ? qos : "") ||
            strcmp(strtab_get(&m->strs, r->account), account ? account : "") ||
            strcmp(strtab_get(&m->strs, r->user), user ? user : "") ||
            strcmp(strtab_get(&m->strs, r->tres), tres ? tres : ""))
            continue;
        return r;
    }
    return NULL;
}

static void test_values(void **state)
{
    (void)state;
    int hl, hu;
    double l = -1, u = -1;
#define V(s, wide, rc, want_hl, want_l, want_hu, want_u)                                           \
    do {                                                                                           \
        assert_int_equal(assoc_mgr_value(s, strlen(s), wide, &hl, &l, &hu, &u), rc);               \
        if ((rc) == 0) {                                                                           \
            assert_int_equal(hl, want_hl);                                                         \
            assert_int_equal(hu, want_hu);                                                         \
            if (want_hl)                                                                           \
                assert_double_exact(l, want_l);                                                    \
            if (want_hu)                                                                           \
                assert_double_exact(u, want_u);                                                    \
        }                                                                                          \
    } while (0)
    V("4(2)", 0, 0, 1, 4, 1, 2);
    V("N(0)", 0, 0, 0, 0, 1, 0);
    V("N", 1, 0, 0, 0, 0, 0);
    V("", 0, 0, 0, 0, 0, 0);
    V("UNLIMITED", 0, 0, 0, 0, 0, 0);
    V("N/A", 0, 0, 0, 0, 0, 0);
    V("8", 0, 0, 1, 8, 0, 0);
    V("0(0)", 0, 0, 1, 0, 1, 0);
    V("1000(0.52)", 0, 0, 1, 1000, 1, 0.52);
    V("4294967294(3)", 0, 0, 0, 0, 1, 3);            /* NO_VAL of a 32-bit field: not set */
    V("4294967294(3)", 1, 0, 1, 4294967294.0, 1, 3); /* a real 64-bit TRES limit */
    V("18446744073709551614", 1, 0, 0, 0, 0, 0);     /* NO_VAL64 */
    V("18446744073709551616", 1, -1, 0, 0, 0, 0);    /* overflow */
    V("x(1)", 0, -1, 0, 0, 0, 0);
    V("4(", 0, -1, 0, 0, 0, 0);
    V("4(1", 0, -1, 0, 0, 0, 0);
    V("(1)", 0, -1, 0, 0, 0, 0);
    V("4(-1)", 0, -1, 0, 0, 0, 0);
    V("4(0x10)", 0, -1, 0, 0, 0, 0);
    V("4(nan)", 0, -1, 0, 0, 0, 0);
    V("4()", 0, -1, 0, 0, 0, 0);
    V("-4", 0, -1, 0, 0, 0, 0);
#undef V
    assert_int_equal(limit_kind_find("GrpTRES", 7), LIMIT_GRP_TRES);
    assert_int_equal(limit_kind_find("MaxTRESRunMinsPU", 16), LIMIT_MAX_TRES_RUN_MINS_PU);
    assert_int_equal(limit_kind_find("GrpTRESX", 8), -1);
    assert_int_equal(limit_kind_find("MinPrioThresh", 13), -1);
}

static void test_fixture_2205(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_limits.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_result_from(DS_LIMITS, buf, len, &st);
    const struct limits_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->qos_records, 2);
    assert_int_equal(m->assoc_records, 11);

    /* QoS lim: GrpTRES=cpu=4(4),mem=8000(200),...,gres/gpu=2(0) GrpJobs=3(2) */
    const struct limit_row *x = find_row(m, LIM_QOS, LIMIT_GRP_TRES, "lim", 0, 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 4);
    assert_double_exact(x->usage, 4);
    x = find_row(m, LIM_QOS, LIMIT_GRP_TRES, "lim", 0, 0, "mem");
    assert_non_null(x);
    assert_double_exact(x->limit, 8000.0 * 1048576);
    assert_double_exact(x->usage, 200.0 * 1048576);
    x = find_row(m, LIM_QOS, LIMIT_GRP_TRES, "lim", 0, 0, "gres/gpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 2);
    assert_double_exact(x->usage, 0);
    x = find_row(m, LIM_QOS, LIMIT_GRP_JOBS, "lim", 0, 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 3);
    assert_double_exact(x->usage, 2);
    /* GrpWall=1000 minutes, GrpTRESRunMins=cpu=100000 minutes */
    x = find_row(m, LIM_QOS, LIMIT_GRP_WALL, "lim", 0, 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 60000);
    x = find_row(m, LIM_QOS, LIMIT_GRP_TRES_RUN_MINS, "lim", 0, 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 6000000);
    /* MaxTRESPJ=cpu=8, MaxWallPJ=60: limits without use */
    x = find_row(m, LIM_QOS, LIMIT_MAX_TRES_PJ, "lim", 0, 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 8);
    assert_true(isnan(x->usage));
    x = find_row(m, LIM_QOS, LIMIT_MAX_WALL_PJ, "lim", 0, 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 3600);
    /* unlimited ones are not kept */
    assert_null(find_row(m, LIM_QOS, LIMIT_GRP_TRES, "lim", 0, 0, "node"));
    assert_null(find_row(m, LIM_QOS, LIMIT_GRP_JOBS, "normal", 0, 0, 0));
    assert_null(find_row(m, LIM_QOS, LIMIT_GRP_JOBS_ACCRUE, "lim", 0, 0, 0));

    /* 22.05 prints the QoS users by uid: 0 is root (from the association records) */
    x = find_row(m, LIM_QOS_USER, LIMIT_MAX_JOBS_PU, "lim", 0, "root", 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 5);
    assert_double_exact(x->usage, 2);
    x = find_row(m, LIM_QOS_USER, LIMIT_MAX_TRES_PU, "lim", 0, "root", "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 6);
    assert_double_exact(x->usage, 4);
    x = find_row(m, LIM_QOS_ACCOUNT, LIMIT_MAX_TRES_PA, "lim", "physics", 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 4);
    assert_double_exact(x->usage, 4);

    /* account limacct: GrpJobs=1(1) (hit), GrpSubmitJobs=5(3), MaxTRESPJ=cpu=4,gres/gpu=1 */
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_JOBS, 0, "limacct", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 1);
    assert_double_exact(x->usage, 1);
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_SUBMIT_JOBS, 0, "limacct", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 5);
    assert_double_exact(x->usage, 3);
    x = find_row(m, LIM_ASSOC, LIMIT_MAX_TRES_PJ, 0, "limacct", 0, "gres/gpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 1);
    assert_true(isnan(x->usage));
    /* user root in limacct: MaxSubmitJobs=3(3), hit */
    x = find_row(m, LIM_ASSOC, LIMIT_MAX_SUBMIT_JOBS, 0, "limacct", "root", 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 3);
    assert_double_exact(x->usage, 3);
    /* user nobody in limacct, partition debug */
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_JOBS, 0, "limacct", "nobody", 0);
    assert_non_null(x);
    assert_string_equal(strtab_get(&m->strs, x->partition), "debug");
    assert_double_exact(x->limit, 2);
    tu_result_free(r);
    free(buf);
}

/* 23.02+: users as name(uid), Comment= (free text) last, Lineage=; 24.05+:
 * MaxTRESRunMinsPA/PU inside the braces; typed GRES in the TRES list. */
static const char newer[] =
    "Current Association Manager state\n"
    "Association Records\n"
    "ClusterName=c Account=lab UserName= Partition= Priority=0 ID=3 "
    "SharesRaw/Norm/Level/Factor=1/0.25/4/0.00 UsageRaw/Norm/Efctv=0.00/0.00/0.00 "
    "ParentAccount=root(1) Lineage=/0-lab/ DefAssoc=No GrpJobs=10(2) GrpJobsAccrue=N(0) "
    "GrpSubmitJobs=N(0) GrpWall=N(0.00) "
    "GrpTRES=cpu=N(8),mem=N(1024),gres/gpu=8(3),gres/gpu:a100=4(3) "
    "GrpTRESMins=cpu=N(0) GrpTRESRunMins=cpu=N(0) MaxJobs= MaxJobsAccrue= MaxSubmitJobs= "
    "MaxWallPJ=120 MaxTRESPJ= MaxTRESPN=gres/gpu=4 MaxTRESMinsPJ= MinPrioThresh= "
    "Comment=funded by x GrpJobs=99(0) {y=1}\n"
    "ClusterName=c Account=lab UserName=alice(1001) Partition=gpu Priority=0 ID=4 "
    "ParentAccount= Lineage=/0-lab/0-alice/ DefAssoc=Yes GrpJobs=N(1) GrpJobsAccrue=N(0) "
    "GrpSubmitJobs=N(1) GrpWall=N(0.00) GrpTRES= GrpTRESMins= GrpTRESRunMins= "
    "MaxJobs=2(1) MaxJobsAccrue= MaxSubmitJobs=4(1) MaxWallPJ= MaxTRESPJ= MaxTRESPN= "
    "MaxTRESMinsPJ= MinPrioThresh= Comment=\n"
    "QOS Records\n"
    "QOS=high(3) UsageRaw=12.500000 GrpJobs=N(1) GrpJobsAccrue=N(0) GrpSubmitJobs=N(1) "
    "GrpWall=N(0.00) GrpTRES=cpu=N(4) GrpTRESMins=cpu=N(0) GrpTRESRunMins=cpu=N(0) "
    "MaxWallPJ= MaxTRESPJ= MaxTRESPN= MaxTRESMinsPJ= MinPrioThresh=  MinTRESPJ= "
    "PreemptMode=OFF Priority=10 "
    "Account Limits= lab={MaxJobsPA=N(1) MaxJobsAccruePA=N(0) MaxSubmitJobsPA=3(1) "
    "MaxTRESPA=cpu=N(4) MaxTRESRunMinsPA=cpu=600(60)} "
    "User Limits= alice(1001)={MaxJobsPU=1(1) MaxJobsAccruePU=N(0) MaxSubmitJobsPU=N(1) "
    "MaxTRESPU=cpu=4(4),gres/gpu=N(0) MaxTRESRunMinsPU=cpu=N(60)} "
    "nobody(-2)={MaxJobsPU=1(0) MaxJobsAccruePU=N(0) MaxSubmitJobsPU=N(0) MaxTRESPU= "
    "MaxTRESRunMinsPU=} "
    "bob(1002)={MaxJobsPU=1(0) MaxJobsAccruePU=N(0) MaxSubmitJobsPU=N(0) MaxTRESPU= "
    "MaxTRESRunMinsPU=}\n"
    "QOS=empty(4) UsageRaw=0.000000 GrpJobs=N(0) Account Limits=No Accounts User Limits=No "
    "Users\n";

static void test_newer_layout(void **state)
{
    (void)state;
    struct parse_stats st;
    struct dataset_result *r = limits_from(newer, &st);
    const struct limits_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->assoc_records, 2);
    assert_int_equal(m->qos_records, 2);
    const struct limit_row *x = find_row(m, LIM_ASSOC, LIMIT_GRP_JOBS, 0, "lab", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 10); /* not the 99 inside the comment */
    assert_double_exact(x->usage, 2);
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_TRES, 0, "lab", 0, "gres/gpu:a100");
    assert_non_null(x);
    assert_double_exact(x->limit, 4);
    assert_double_exact(x->usage, 3);
    assert_null(find_row(m, LIM_ASSOC, LIMIT_GRP_TRES, 0, "lab", 0, "cpu"));
    x = find_row(m, LIM_ASSOC, LIMIT_MAX_TRES_PN, 0, "lab", 0, "gres/gpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 4);
    x = find_row(m, LIM_ASSOC, LIMIT_MAX_WALL_PJ, 0, "lab", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 7200);
    x = find_row(m, LIM_ASSOC, LIMIT_MAX_SUBMIT_JOBS, 0, "lab", "alice", 0);
    assert_non_null(x);
    assert_string_equal(strtab_get(&m->strs, x->partition), "gpu");
    assert_double_exact(x->limit, 4);
    assert_double_exact(x->usage, 1);

    x = find_row(m, LIM_QOS_ACCOUNT, LIMIT_MAX_SUBMIT_JOBS_PA, "high", "lab", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 3);
    x = find_row(m, LIM_QOS_ACCOUNT, LIMIT_MAX_TRES_RUN_MINS_PA, "high", "lab", 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 36000);
    assert_double_exact(x->usage, 3600);
    x = find_row(m, LIM_QOS_USER, LIMIT_MAX_JOBS_PU, "high", 0, "alice", 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 1);
    assert_double_exact(x->usage, 1);
    x = find_row(m, LIM_QOS_USER, LIMIT_MAX_TRES_PU, "high", 0, "alice", "cpu");
    assert_non_null(x);
    assert_double_exact(x->usage, 4);
    /* the NO_VAL placeholder entry is skipped; bob (uid not in the associations) by name */
    assert_null(find_row(m, LIM_QOS_USER, LIMIT_MAX_JOBS_PU, "high", 0, "nobody", 0));
    x = find_row(m, LIM_QOS_USER, LIMIT_MAX_JOBS_PU, "high", 0, "bob", 0);
    assert_non_null(x);
    assert_double_exact(x->usage, 0);
    tu_result_free(r);
}

static void test_uid_only(void **state)
{
    (void)state;
    /* 22.05: a user entry by uid; unknown uids keep the number, -2 is skipped */
    const char *text = "UserName=carol(2001) DefAccount=a DefWckey= AdminLevel=None\n"
                       "QOS=q(1) UsageRaw=0 User Limits= 2001={MaxJobsPU=2(1) MaxJobsAccruePU=N(0) "
                       "MaxSubmitJobsPU=N(1) MaxTRESPU=cpu=N(1)} 3001={MaxJobsPU=2(0)} "
                       "-2={MaxJobsPU=2(0) MaxTRESPU=}\n";
    struct parse_stats st;
    struct dataset_result *r = limits_from(text, &st);
    const struct limits_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_non_null(find_row(m, LIM_QOS_USER, LIMIT_MAX_JOBS_PU, "q", 0, "carol", 0));
    assert_non_null(find_row(m, LIM_QOS_USER, LIMIT_MAX_JOBS_PU, "q", 0, "3001", 0));
    assert_int_equal(m->n, 2);
    tu_result_free(r);
}

static void test_odd_lines(void **state)
{
    (void)state;
    const char *text =
        "Current Association Manager state\r\n"
        "\n"
        "No associations currently cached in Slurm.\n"
        "garbage line\n"                                              /* 1 error */
        "ClusterName=c UserName= Partition= GrpJobs=1(0)\n"           /* no Account: 1 error */
        "ClusterName=c Account=a GrpJobs=x(0) GrpSubmitJobs=5(1)\r\n" /* bad one, good one */
        "ClusterName=c Account=b GrpTRES=cpu=4(1),=3(1),mem,gres/gpu=2(q) MaxJobs=3(0)\n"
        "QOS= UsageRaw=0\n"     /* no name: 1 error */
        "UsageRaw=0 QOS=x(1)\n" /* QOS= not first: 1 error */
        "QOS=z(9) User Limits= {MaxJobsPU=1(0)} Account Limits= a={MaxJobsPA=2(1)}\n";
    struct parse_stats st;
    struct dataset_result *r = limits_from(text, &st);
    const struct limits_model *m = model(r);
    assert_int_equal(st.lines, 10);
    assert_int_equal(st.errors, 7);
    const struct limit_row *x = find_row(m, LIM_ASSOC, LIMIT_GRP_SUBMIT_JOBS, 0, "a", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 5);
    assert_null(find_row(m, LIM_ASSOC, LIMIT_GRP_JOBS, 0, "a", 0, 0));
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_TRES, 0, "b", 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 4);
    assert_null(find_row(m, LIM_ASSOC, LIMIT_GRP_TRES, 0, "b", 0, "gres/gpu"));
    assert_non_null(find_row(m, LIM_ASSOC, LIMIT_MAX_JOBS, 0, "b", 0, 0));
    /* the entry without a name is refused, the account entry after it read */
    assert_non_null(find_row(m, LIM_QOS_ACCOUNT, LIMIT_MAX_JOBS_PA, "z", "a", 0, 0));
    tu_result_free(r);
}

static char *render_limits(const char *text, size_t series_limit, unsigned compat,
                           uint64_t *dropped)
{
    struct dataset_result *res = limits_from(text, NULL);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_LIMITS] = res;
    v.series_limit = series_limit;
    v.compat = compat;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_limits(&v, &r, &o);
    if (dropped)
        *dropped = o.series_dropped;
    tu_result_free(res);
    char *out = strdup(buf_cstr(&r.text));
    render_free(&r);
    return out;
}

/* Every usage sample has a limit sample with the same labels. */
static void check_pairs(const char *text)
{
    static const char *const fams[] = {"slurm_qos", "slurm_qos_user", "slurm_qos_account",
                                       "slurm_association"};
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        for (size_t f = 0; f < 4; f++) {
            char pre[64];
            snprintf(pre, sizeof(pre), "%s_usage{", fams[f]);
            size_t pl = strlen(pre);
            if (n > pl && strncmp(p, pre, pl) == 0) {
                const char *sp = memchr(p, ' ', n);
                assert_non_null(sp);
                char want[1024];
                snprintf(want, sizeof(want), "%s_limit{%.*s", fams[f], (int)(sp - p - pl), p + pl);
                if (!tu_has_line(text, want))
                    fail_msg("no limit for %.*s", (int)n, p);
            }
        }
        p += n + (nl ? 1 : 0);
    }
}

static void test_collector(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_limits.txt", &len);
    uint64_t dropped = 0;
    char *out = render_limits(buf, 100000, 0, &dropped);
    assert_int_equal(dropped, 0);
    assert_double_exact(
        tu_sample(out, "slurm_qos_limit{qos=\"lim\",limit=\"grp_tres\",tres=\"cpu\"}"), 4);
    assert_double_exact(
        tu_sample(out, "slurm_qos_usage{qos=\"lim\",limit=\"grp_tres\",tres=\"cpu\"}"), 4);
    assert_double_exact(
        tu_sample(out, "slurm_association_usage{account=\"limacct\",user=\"\",partition=\"\","
                       "limit=\"grp_jobs\",tres=\"\"}"),
        1);
    assert_double_exact(
        tu_sample(out, "slurm_qos_user_limit{qos=\"lim\",user=\"root\",limit=\"max_jobs_pu\","
                       "tres=\"\"}"),
        5);
    /* nothing for unlimited, no rivosinc names without --compat */
    assert_false(tu_has_line(out, "slurm_qos_limit{qos=\"normal\""));
    assert_false(tu_has_line(out, "slurm_account_cpu_limit"));
    assert_false(tu_has_line(out, "slurm_qos_usage{qos=\"lim\",limit=\"max_tres_pj\""));
    check_pairs(out);
    free(out);

    out = render_limits(buf, 100000, COMPAT_RIVOSINC, NULL);
    assert_double_exact(tu_sample(out, "slurm_account_cpu_limit{account=\"limacct\"}"), 16);
    assert_double_exact(tu_sample(out, "slurm_account_mem_limit{account=\"limacct\"}"), 20000e6);
    assert_double_exact(tu_sample(out, "slurm_account_job_alloc_limit{account=\"limacct\"}"), 1);
    assert_double_exact(tu_sample(out, "slurm_account_job_limit{account=\"limacct\"}"), 5);
    assert_false(tu_has_line(out, "slurm_account_cpu_limit{account=\"physics\"}"));
    free(out);

    /* the series limit applies per family; limit and usage keep the same rows */
    out = render_limits(buf, 2, 0, &dropped);
    assert_true(dropped > 0);
    check_pairs(out);
    size_t n = 0;
    for (const char *p = out; (p = strstr(p, "\nslurm_association_limit{")); p++)
        n++;
    assert_int_equal(n, 2);
    free(out);
    free(buf);
}

static void test_collector_edges(void **state)
{
    (void)state;
    /* the same association twice (repeated records): one series; a zero limit
     * is a limit (not for the rivosinc names, which leave zeros out) */
    const char *text = "ClusterName=c Account=a UserName= Partition= GrpJobs=0(0) "
                       "GrpTRES=cpu=2(2),mem=1000(10)\n"
                       "ClusterName=c Account=a UserName= Partition= GrpJobs=0(0) "
                       "GrpTRES=cpu=2(2)\n";
    char *out = render_limits(text, 100000, COMPAT_RIVOSINC, NULL);
    assert_double_exact(tu_sample(out, "slurm_association_limit{account=\"a\",user=\"\","
                                       "partition=\"\",limit=\"grp_jobs\",tres=\"\"}"),
                        0);
    size_t n = 0;
    for (const char *p = out; (p = strstr(p, "limit=\"grp_tres\",tres=\"cpu\"} 2\n")); p++)
        n++;
    assert_int_equal(n, 2); /* one limit, one usage */
    assert_false(tu_has_line(out, "slurm_account_job_alloc_limit"));
    assert_double_exact(tu_sample(out, "slurm_account_mem_limit{account=\"a\"}"), 1e9);
    check_pairs(out);
    free(out);
    /* no data, no families */
    out = render_limits("Current Association Manager state\n", 100000, COMPAT_RIVOSINC, NULL);
    assert_string_equal(out, "");
    free(out);
}

/* tests/fixtures/edge/limits_lineage: 23.11's layout, Lineage= where 22.05
 * printed Lft= (a path such as "/chem/0-alice/gpu/", not a number); nothing
 * of it is read, every limit around it is. */
static void test_edge_lineage_2311(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/edge/limits_lineage/limits.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_result_from(DS_LIMITS, buf, len, &st);
    const struct limits_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->assoc_records, 3);
    assert_int_equal(m->qos_records, 1);
    const struct limit_row *x = find_row(m, LIM_ASSOC, LIMIT_GRP_JOBS, 0, "chem", 0, 0);
    assert_non_null(x);
    assert_double_exact(x->limit, 20);
    assert_double_exact(x->usage, 3);
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_TRES_MINS, 0, "chem", 0, "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 6000000);
    assert_double_exact(x->usage, 5400);
    x = find_row(m, LIM_ASSOC, LIMIT_MAX_JOBS, 0, "chem", "alice", 0);
    assert_non_null(x);
    assert_string_equal(strtab_get(&m->strs, x->partition), "gpu");
    assert_double_exact(x->limit, 4);
    x = find_row(m, LIM_ASSOC, LIMIT_GRP_TRES, 0, "chem", "alice", "mem");
    assert_non_null(x);
    assert_double_exact(x->limit, 8192.0 * 1048576);
    assert_double_exact(x->usage, 6144.0 * 1048576);
    x = find_row(m, LIM_QOS_USER, LIMIT_MAX_TRES_PU, "normal", 0, "alice", "cpu");
    assert_non_null(x);
    assert_double_exact(x->limit, 16);
    assert_double_exact(x->usage, 6);
    /* no Lineage path became a name */
    for (uint32_t i = 0; i < m->strs.count; i++)
        if (strtab_get(&m->strs, i)[0] == '/')
            fail_msg("string %s interned", strtab_get(&m->strs, i));
    tu_result_free(r);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),          cmocka_unit_test(test_fixture_2205),
        cmocka_unit_test(test_newer_layout),    cmocka_unit_test(test_uid_only),
        cmocka_unit_test(test_odd_lines),       cmocka_unit_test(test_collector),
        cmocka_unit_test(test_collector_edges), cmocka_unit_test(test_edge_lineage_2311),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
