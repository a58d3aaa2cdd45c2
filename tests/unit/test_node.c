/* SPDX-License-Identifier: Apache-2.0 */
/* The per-node collector: the node fields it reads (features, reason user,
 * times, Arch/OS/Version), its series on the 22.05 fixture and on edge
 * cases (unknown values, repeated names, the series limit), and the
 * vpenso-compatible families with sinfo's long state names. */
#include "testutil.h"

#include "sources/cli.h"

static const char *nstr(const struct nodes_model *m, uint32_t id)
{
    return strtab_get(&m->strs, id);
}

static const struct node *find_node(const struct nodes_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(nstr(m, m->nodes[i].name), name) == 0)
            return &m->nodes[i];
    fail_msg("node %s not found", name);
    return NULL;
}

/* Renders the node collector over a nodes dataset; the text is returned
 * NUL-terminated in *out (free with buf_free). */
static uint64_t render_node(const struct dataset_result *r, size_t limit, unsigned compat,
                            struct buf *out)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_NODES] = r;
    v.now = 1795424700.0;
    v.series_limit = limit;
    v.compat = compat;
    struct render rd;
    memset(&rd, 0, sizeof(rd));
    struct collect_out o = {0};
    collect_node(&v, &rd, &o);
    /* with --compat=vpenso the compat_vpenso collector writes the per-node
     * compat families beside the node collector's */
    if (compat & COMPAT_VPENSO)
        collect_node_compat_vpenso(&v, &rd, &o);
    buf_cstr(&rd.text);
    *out = rd.text;
    buf_free(&rd.om);
    return o.series_dropped;
}

/* Lines of text starting with prefix. */
static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, pl) == 0)
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

static void test_fixture_fields(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_nodes.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(buf, len, &st);
    const struct nodes_model *m = r->u.nodes;
    assert_int_equal(st.errors, 0);
    const struct node *n = find_node(m, "cn001");
    assert_string_equal(nstr(m, n->arch), "x86_64");
    assert_string_equal(nstr(m, n->os), "Linux 6.18.44-fc-v769 #1 SMP PREEMPT_DYNAMIC @0");
    assert_string_equal(nstr(m, n->version), "22.05.8");
    assert_string_equal(nstr(m, n->partitions_str), "debug,batch,maint");
    assert_string_equal(nstr(m, n->features), "cpu");
    assert_string_equal(nstr(m, n->features_avail), "cpu");
    assert_int_equal(n->cpus_tot, 32);
    assert_int_equal(n->boot_time, 1795423963);
    assert_int_equal(n->slurmd_start_time, 1795424586);
    assert_int_equal(n->last_busy, 1795424586);
    assert_int_equal(n->reason_user, 0);
    const struct id_list *fl = &m->feat_lists[n->feature_list];
    assert_int_equal(fl->n, 1);
    assert_string_equal(nstr(m, fl->ids[0]), "cpu");
    /* nodes with the same ActiveFeatures share one list */
    assert_int_equal(find_node(m, "cn005")->feature_list, n->feature_list);

    n = find_node(m, "cn003");
    assert_string_equal(nstr(m, n->reason), "disk replaced");
    assert_string_equal(nstr(m, n->reason_user), "root");
    assert_int_equal(n->reason_time, 1795424586);

    n = find_node(m, "gpu001");
    assert_string_equal(nstr(m, n->features), "gpu,a100");
    fl = &m->feat_lists[n->feature_list];
    assert_int_equal(fl->n, 2);
    assert_string_equal(nstr(m, fl->ids[0]), "gpu");
    assert_string_equal(nstr(m, fl->ids[1]), "a100");
    assert_int_equal(m->feat_lists_n, 2);
    tu_result_free(r);
    free(buf);
}

static void test_edge_fields(void **state)
{
    (void)state;
    const char *text =
        /* no slurmd yet: no Arch/OS/Version, times None/Unknown, no features */
        "NodeName=a State=IDLE CPUTot=4 AvailableFeatures=(null) ActiveFeatures=(null) "
        "BootTime=None SlurmdStartTime=None LastBusyTime=Unknown\n"
        /* repeated and empty feature names are kept once */
        "NodeName=b State=IDLE CPUTot=64 CPUEfctv=60 AvailableFeatures=x,gpu,y "
        "ActiveFeatures=gpu,,gpu,x Reason=bios [slurm@2023-01-01T00:00:00]\n"
        /* a bracket without '@' is part of the reason */
        "NodeName=c State=IDLE+DRAIN CPUTot=1 Reason=bad [x]\n"
        /* a numeric user (uid without a name) */
        "NodeName=d State=DOWN CPUTot=1 Reason=gone [1234@1795424000]\n";
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(text, strlen(text), &st);
    const struct nodes_model *m = r->u.nodes;
    assert_int_equal(st.errors, 0);
    const struct node *n = find_node(m, "a");
    assert_int_equal(n->arch, 0);
    assert_int_equal(n->os, 0);
    assert_int_equal(n->version, 0);
    assert_int_equal(n->features, 0);
    assert_int_equal(n->features_avail, 0);
    assert_int_equal(m->feat_lists[n->feature_list].n, 0);
    assert_int_equal(n->boot_time, 0);
    assert_int_equal(n->slurmd_start_time, 0);
    assert_int_equal(n->last_busy, 0);
    assert_int_equal(n->cpus_tot, 4);
    n = find_node(m, "b");
    assert_int_equal(n->cpus_total, 60);
    assert_int_equal(n->cpus_tot, 64);
    assert_string_equal(nstr(m, n->features), "gpu,,gpu,x");
    const struct id_list *fl = &m->feat_lists[n->feature_list];
    assert_int_equal(fl->n, 2);
    assert_string_equal(nstr(m, fl->ids[0]), "gpu");
    assert_string_equal(nstr(m, fl->ids[1]), "x");
    assert_string_equal(nstr(m, n->reason), "bios");
    assert_string_equal(nstr(m, n->reason_user), "slurm");
    assert_int_equal(n->reason_time, 0);
    n = find_node(m, "c");
    assert_string_equal(nstr(m, n->reason), "bad [x]");
    assert_int_equal(n->reason_user, 0);
    n = find_node(m, "d");
    assert_string_equal(nstr(m, n->reason_user), "1234");
    assert_int_equal(n->reason_time, 1795424000);
    tu_result_free(r);
}

static void test_collector_fixture(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_nodes.txt", &len);
    struct dataset_result *r = tu_nodes_from(buf, len, NULL);
    struct buf t;
    assert_int_equal(render_node(r, 100000, 0, &t), 0);
    const char *s = t.p;
    assert_double_exact(tu_sample(s, "slurm_node_state{node=\"cn003\",state=\"drained\"}"), 1);
    assert_double_exact(tu_sample(s, "slurm_node_state{node=\"cn004\",state=\"down\"}"), 1);
    assert_int_equal(count_lines(s, "slurm_node_state{"), 6);
    assert_double_exact(tu_sample(s, "slurm_node_flag{node=\"cn003\",flag=\"drain\"}"), 1);
    assert_int_equal(count_lines(s, "slurm_node_flag{"), 1);
    assert_double_exact(tu_sample(s, "slurm_node_cpus_configured{node=\"gpu001\"}"), 96);
    assert_double_exact(tu_sample(s, "slurm_node_cpus_allocated{node=\"cn005\"}"), 6);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_load{node=\"cn001\"}"), 0.34);
    assert_double_exact(tu_sample(s, "slurm_node_memory_configured_bytes{node=\"gpu001\"}"),
                        512000.0 * 1048576);
    assert_double_exact(tu_sample(s, "slurm_node_memory_allocated_bytes{node=\"cn005\"}"),
                        14096.0 * 1048576);
    assert_double_exact(tu_sample(s, "slurm_node_memory_free_bytes{node=\"cn001\"}"),
                        23259.0 * 1048576);
    assert_double_exact(
        tu_sample(s, "slurm_node_gres_configured{node=\"gpu001\",gres=\"gpu\",type=\"a100\"}"), 4);
    assert_double_exact(
        tu_sample(s, "slurm_node_gres_allocated{node=\"gpu001\",gres=\"gpu\",type=\"a100\"}"), 2);
    assert_int_equal(count_lines(s, "slurm_node_gres_configured{"), 1);
    assert_double_exact(tu_sample(s, "slurm_node_feature{node=\"gpu001\",feature=\"a100\"}"), 1);
    assert_int_equal(count_lines(s, "slurm_node_feature{"), 7);
    assert_double_exact(
        tu_sample(s,
                  "slurm_node_reason_info{node=\"cn003\",reason=\"disk replaced\",user=\"root\"}"),
        1);
    assert_int_equal(count_lines(s, "slurm_node_reason_info{"), 2);
    assert_double_exact(tu_sample(s, "slurm_node_reason_since_timestamp_seconds{node=\"cn004\"}"),
                        1795424586);
    assert_int_equal(count_lines(s, "slurm_node_reason_since_timestamp_seconds{"), 2);
    assert_double_exact(tu_sample(s, "slurm_node_boot_timestamp_seconds{node=\"cn001\"}"),
                        1795423963);
    assert_double_exact(
        tu_sample(s,
                  "slurm_node_info{node=\"gpu001\",arch=\"x86_64\",os=\"Linux 6.18.44-fc-v769 #1 "
                  "SMP PREEMPT_DYNAMIC @0\",version=\"22.05.8\",partitions=\"gpu,maint\","
                  "features=\"gpu,a100\",available_features=\"gpu,a100\"}"),
        1);
    /* no compat families unless asked */
    assert_false(tu_has_line(s, "slurm_node_cpu_alloc"));
    buf_free(&t);
    tu_result_free(r);
    free(buf);
}

/* Unknown values write no series; a repeated NodeName is written once (its
 * first line); nodes come out in name order. */
static void test_collector_unknown_and_repeated(void **state)
{
    (void)state;
    const char *text = "NodeName=z State=IDLE CPUTot=4 CPULoad=N/A FreeMem=N/A RealMemory=100 "
                       "BootTime=None LastBusyTime=Unknown Reason=x\n"
                       "NodeName=a State=MIXED CPUTot=8 CPUAlloc=2 CPULoad=1.5 FreeMem=7\n"
                       "NodeName=a State=IDLE CPUTot=99\n";
    struct dataset_result *r = tu_nodes_from(text, strlen(text), NULL);
    struct buf t;
    assert_int_equal(render_node(r, 100000, 0, &t), 0);
    const char *s = t.p;
    assert_false(tu_has_line(s, "slurm_node_cpu_load{node=\"z\"}"));
    assert_false(tu_has_line(s, "slurm_node_memory_free_bytes{node=\"z\"}"));
    assert_false(tu_has_line(s, "slurm_node_boot_timestamp_seconds{node=\"z\"}"));
    assert_false(tu_has_line(s, "slurm_node_last_busy_timestamp_seconds{node=\"z\"}"));
    /* a reason without a time: the info series, no since-series */
    assert_true(tu_has_line(s, "slurm_node_reason_info{node=\"z\",reason=\"x\",user=\"\"} 1"));
    assert_false(tu_has_line(s, "slurm_node_reason_since_timestamp_seconds{"));
    assert_int_equal(count_lines(s, "slurm_node_state{"), 2);
    assert_double_exact(tu_sample(s, "slurm_node_cpus_configured{node=\"a\"}"), 8);
    assert_double_exact(tu_sample(s, "slurm_node_memory_free_bytes{node=\"a\"}"), 7.0 * 1048576);
    assert_double_exact(tu_sample(s, "slurm_node_memory_configured_bytes{node=\"z\"}"),
                        100.0 * 1048576);
    assert_true(strstr(s, "slurm_node_state{node=\"a\"") <
                strstr(s, "slurm_node_state{node=\"z\""));
    buf_free(&t);
    tu_result_free(r);
}

static void test_collector_series_limit(void **state)
{
    (void)state;
    const char *text = "NodeName=n1 State=IDLE CPUTot=1 ActiveFeatures=a,b,c\n"
                       "NodeName=n2 State=IDLE CPUTot=1 ActiveFeatures=a\n"
                       "NodeName=n3 State=IDLE CPUTot=1\n";
    struct dataset_result *r = tu_nodes_from(text, strlen(text), NULL);
    struct buf t;
    /* info, state, cpus, cpus allocated, memory, memory allocated: 1 dropped
     * each; features: 4 of 4 shown with a limit of 2 → 2 dropped */
    uint64_t dropped = render_node(r, 2, 0, &t);
    assert_int_equal(count_lines(t.p, "slurm_node_state{"), 2);
    assert_int_equal(count_lines(t.p, "slurm_node_feature{"), 2);
    assert_int_equal(dropped, 6 + 2);
    buf_free(&t);
    dropped = render_node(r, 100000, COMPAT_VPENSO, &t);
    assert_int_equal(dropped, 0);
    buf_free(&t);
    dropped = render_node(r, 2, COMPAT_VPENSO, &t);
    assert_int_equal(dropped, 6 + 2 + 6);
    buf_free(&t);
    tu_result_free(r);
}

static void test_compat_vpenso(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_nodes.txt", &len);
    struct dataset_result *r = tu_nodes_from(buf, len, NULL);
    struct buf t;
    assert_int_equal(render_node(r, 100000, COMPAT_VPENSO, &t), 0);
    const char *s = t.p;
    assert_double_exact(tu_sample(s, "slurm_node_cpu_alloc{node=\"cn005\",status=\"mixed\"}"), 6);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_idle{node=\"cn005\",status=\"mixed\"}"), 26);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_other{node=\"cn005\",status=\"mixed\"}"), 0);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_total{node=\"cn005\",status=\"mixed\"}"), 32);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_idle{node=\"cn003\",status=\"drained\"}"), 0);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_other{node=\"cn003\",status=\"drained\"}"),
                        32);
    assert_double_exact(tu_sample(s, "slurm_node_cpu_other{node=\"cn004\",status=\"down\"}"), 32);
    assert_double_exact(tu_sample(s, "slurm_node_mem_alloc{node=\"cn005\",status=\"mixed\"}"),
                        14096);
    assert_double_exact(tu_sample(s, "slurm_node_mem_total{node=\"gpu001\",status=\"mixed\"}"),
                        512000);
    assert_int_equal(count_lines(s, "slurm_node_cpu_alloc{"), 6);
    buf_free(&t);

    /* also without the node collector: the function the compat collector calls */
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_NODES] = r;
    v.series_limit = 100000;
    v.compat = COMPAT_VPENSO;
    struct render rd;
    memset(&rd, 0, sizeof(rd));
    struct collect_out o = {0};
    collect_node_compat_vpenso(&v, &rd, &o);
    buf_cstr(&rd.text);
    assert_false(tu_has_line(rd.text.p, "slurm_node_state"));
    assert_double_exact(
        tu_sample(rd.text.p, "slurm_node_cpu_total{node=\"cn001\",status=\"mixed\"}"), 32);
    render_free(&rd);
    /* and nothing without the dataset */
    v.ds[DS_NODES] = NULL;
    memset(&rd, 0, sizeof(rd));
    collect_node_compat_vpenso(&v, &rd, &o);
    assert_int_equal(rd.text.len, 0);
    render_free(&rd);
    tu_result_free(r);
    free(buf);
}

/* sinfo's long state names (Slurm 22.05 node_state_string, lower case). */
static void test_compat_status_names(void **state)
{
    (void)state;
    static const struct {
        const char *state;
        uint32_t alloc;
        const char *want;
    } cases[] = {
        {"IDLE", 0, "idle"},
        {"IDLE*", 0, "idle*"},
        {"MIXED", 2, "mixed"},
        {"ALLOCATED", 4, "allocated"},
        {"ALLOCATED+COMPLETING", 4, "allocated+"},
        {"IDLE+COMPLETING", 0, "completing"},
        {"MIXED+DRAIN", 2, "draining"},
        {"IDLE+DRAIN", 0, "drained"},
        {"IDLE+DRAIN+COMPLETING", 0, "draining"},
        {"IDLE*+DRAIN", 0, "drained*"},
        {"DOWN+DRAIN", 0, "drained"},
        {"DOWN", 0, "down"},
        {"DOWN*", 0, "down*"},
        {"DOWN~", 0, "down~"},
        {"IDLE~", 0, "idle~"},
        {"IDLE#", 0, "idle#"},
        {"IDLE%", 0, "idle%"},
        {"IDLE!", 0, "idle!"},
        {"IDLE+POWERED_DOWN+DRAIN", 0, "drained~"},
        {"IDLE+MAINTENANCE", 0, "maint"},
        {"IDLE*+MAINTENANCE", 0, "maint*"},
        {"ALLOCATED+MAINTENANCE", 4, "allocated$"},
        {"IDLE+RESERVED", 0, "reserved"},
        {"IDLE+PLANNED", 0, "planned"},
        {"MIXED+PLANNED", 2, "mixed-"},
        {"IDLE+REBOOT_REQUESTED", 0, "reboot"},
        {"IDLE+REBOOT_ISSUED", 0, "reboot^"},
        {"MIXED+REBOOT_REQUESTED", 2, "mixed@"},
        {"IDLE+FAIL", 0, "fail"},
        {"ALLOCATED+FAIL", 4, "failing"},
        {"IDLE+INVALID_REG", 0, "inval"},
        {"UNKNOWN+CLOUD", 0, "cloud"},
        {"IDLE+CLOUD", 0, "idle"},
        {"FUTURE", 0, "future"},
        {"UNKNOWN", 0, "unknown"},
        {"UNKNOWN*", 0, "unknown*"},
        {"ERROR", 0, "error"},
        /* 24.05: an idle node held by an exclusive-topology job is "blocked" after
         * the suffixes and RESERVED, before PLANNED (node_state_string, 24.05) */
        {"IDLE+BLOCKED", 0, "blocked"},
        {"IDLE+BLOCKED+RESERVED", 0, "reserved"},
        {"IDLE+BLOCKED+PLANNED", 0, "blocked"},
        {"IDLE*+BLOCKED", 0, "idle*"},
        {"MIXED+BLOCKED", 2, "mixed"},
        /* 25.05: "external" only for the lone flag; an external idle node is idle */
        {"UNKNOWN+EXTERNAL", 0, "external"},
        {"IDLE+EXTERNAL", 0, "idle"},
        {"ALLOCATED+EXTERNAL", 4, "allocated"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "NodeName=n State=%s CPUTot=4 CPUAlloc=%u\n", cases[i].state,
                 cases[i].alloc);
        struct dataset_result *r = tu_nodes_from(line, strlen(line), NULL);
        struct buf t;
        render_node(r, 100000, COMPAT_VPENSO, &t);
        char want[128];
        snprintf(want, sizeof(want), "slurm_node_cpu_total{node=\"n\",status=\"%s\"} 4",
                 cases[i].want);
        if (!tu_has_line(t.p, want)) {
            const char *got = strstr(t.p, "slurm_node_cpu_total{");
            fail_msg("State=%s: want %s, got %.60s", cases[i].state, want, got ? got : "nothing");
        }
        buf_free(&t);
        tu_result_free(r);
    }
}

/* Node flags added after 22.05 have their own names, never "other":
 * BLOCKED (24.05: idle nodes held by an exclusive-topology job) and EXTERNAL
 * (25.05: nodes without slurmd, for external jobs). scontrol prints the base
 * state, then "+FLAG" per flag in the order of Slurm's node_state_flags
 * table (BLOCKED first, EXTERNAL after DYNAMIC_NORM). */
static void test_newer_state_flags(void **state)
{
    (void)state;
    static const char text[] =
        "NodeName=b1 CPUAlloc=0 CPUTot=8 State=IDLE+BLOCKED\n"
        "NodeName=b2 CPUAlloc=4 CPUTot=8 State=MIXED+BLOCKED\n"
        "NodeName=b3 CPUAlloc=0 CPUTot=8 State=IDLE+BLOCKED+DRAIN\n"
        "NodeName=e1 CPUAlloc=0 CPUTot=8 State=IDLE+EXTERNAL\n"
        "NodeName=e2 CPUAlloc=8 CPUTot=8 State=ALLOCATED+EXTERNAL\n"
        "NodeName=e3 CPUAlloc=0 CPUTot=8 State=IDLE+CLOUD+EXTERNAL+POWERED_DOWN\n";
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(text, sizeof(text) - 1, &st);
    assert_int_equal(st.errors, 0);
    struct buf t;
    render_node(r, 100000, 0, &t);
    static const char *const want[] = {
        "slurm_node_state{node=\"b1\",state=\"blocked\"} 1",
        "slurm_node_state{node=\"b2\",state=\"mixed\"} 1",
        "slurm_node_state{node=\"b3\",state=\"drained\"} 1",
        "slurm_node_state{node=\"e1\",state=\"external\"} 1",
        "slurm_node_state{node=\"e2\",state=\"allocated\"} 1",
        "slurm_node_state{node=\"e3\",state=\"powered_down\"} 1",
        "slurm_node_flag{node=\"b1\",flag=\"blocked\"} 1",
        "slurm_node_flag{node=\"b2\",flag=\"blocked\"} 1",
        "slurm_node_flag{node=\"b3\",flag=\"blocked\"} 1",
        "slurm_node_flag{node=\"b3\",flag=\"drain\"} 1",
        "slurm_node_flag{node=\"e1\",flag=\"external\"} 1",
        "slurm_node_flag{node=\"e2\",flag=\"external\"} 1",
        "slurm_node_flag{node=\"e3\",flag=\"external\"} 1",
        "slurm_node_flag{node=\"e3\",flag=\"cloud\"} 1",
        "slurm_node_flag{node=\"e3\",flag=\"powered_down\"} 1",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!tu_has_line(t.p, want[i]))
            fail_msg("missing: %s", want[i]);
    assert_false(strstr(t.p, "flag=\"other\""));
    assert_int_equal(count_lines(t.p, "slurm_node_flag{"), 9);
    buf_free(&t);
    tu_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_fields),
        cmocka_unit_test(test_edge_fields),
        cmocka_unit_test(test_collector_fixture),
        cmocka_unit_test(test_collector_unknown_and_repeated),
        cmocka_unit_test(test_collector_series_limit),
        cmocka_unit_test(test_compat_vpenso),
        cmocka_unit_test(test_compat_status_names),
        cmocka_unit_test(test_newer_state_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
