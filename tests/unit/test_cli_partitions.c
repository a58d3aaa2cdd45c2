/* SPDX-License-Identifier: Apache-2.0 */
/* The scontrol partitions parser: the 22.05 fixture (4 partitions, maint
 * down, debug default), time limits, UNLIMITED and bad lines. */
#include "testutil.h"

#include "sources/cli.h"

static const char *pstr(const struct partitions_model *m, uint32_t id)
{
    return strtab_get(&m->strs, id);
}

static const struct partition *find_part(const struct partitions_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(pstr(m, m->parts[i].name), name) == 0)
            return &m->parts[i];
    fail_msg("partition %s not found", name);
    return NULL;
}

static void test_fixture(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_partitions.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_parts_from(buf, len, &st);
    const struct partitions_model *m = r->u.parts;
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 4);
    /* file order is kept */
    assert_string_equal(pstr(m, m->parts[0].name), "debug");
    assert_string_equal(pstr(m, m->parts[1].name), "batch");
    assert_string_equal(pstr(m, m->parts[2].name), "gpu");
    assert_string_equal(pstr(m, m->parts[3].name), "maint");

    const struct partition *p = find_part(m, "debug");
    assert_true(p->is_default);
    assert_false(p->hidden);
    assert_string_equal(pstr(m, p->state), "up");
    assert_int_equal(p->max_time, 1800);
    assert_int_equal(p->default_time, 1800);
    assert_int_equal(p->max_nodes, -1);
    assert_int_equal(p->min_nodes, 0);
    assert_int_equal(p->priority_tier, 1);
    assert_int_equal(p->priority_job_factor, 1);
    assert_int_equal(p->total_cpus, 160);
    assert_int_equal(p->total_nodes, 5);
    assert_string_equal(pstr(m, p->oversubscribe), "no");
    assert_string_equal(pstr(m, p->preempt_mode), "off");
    assert_string_equal(pstr(m, p->qos), "N/A");

    p = find_part(m, "batch");
    assert_false(p->is_default);
    assert_int_equal(p->max_time, 172800);
    assert_int_equal(p->default_time, 3600);
    assert_int_equal(p->priority_job_factor, 1);

    p = find_part(m, "gpu");
    assert_int_equal(p->max_time, 86400);
    assert_int_equal(p->total_cpus, 96);
    assert_int_equal(p->total_nodes, 1);

    p = find_part(m, "maint");
    assert_string_equal(pstr(m, p->state), "down");
    assert_false(p->is_default);
    assert_int_equal(p->max_time, -1);     /* UNLIMITED */
    assert_int_equal(p->default_time, -1); /* NONE */
    assert_int_equal(p->total_cpus, 256);
    assert_int_equal(p->total_nodes, 6);

    size_t defaults = 0;
    for (size_t i = 0; i < m->n; i++)
        defaults += m->parts[i].is_default;
    assert_int_equal(defaults, 1);
    tu_result_free(r);
    free(buf);
}

static void test_limits_and_flags(void **state)
{
    (void)state;
    const char *text =
        "PartitionName=a State=UP MaxTime=UNLIMITED DefaultTime=30:00 MaxNodes=4 MinNodes=1 "
        "Hidden=YES Default=NO PriorityTier=100 PriorityJobFactor=5 OverSubscribe=FORCE:4 "
        "PreemptMode=REQUEUE QoS=part_qos TotalCPUs=0 TotalNodes=0\n"
        "PartitionName=b State=INACTIVE MaxTime=INFINITE DefaultTime=5 MaxNodes=UNLIMITED\n"
        "PartitionName=c State=DRAIN MaxTime=1-12 MaxNodes=99999999999999999999 "
        "TotalCPUs=5000000000\n"
        "PartitionName=d State=up MaxTime=bogus\n";
    struct parse_stats st;
    struct dataset_result *r = tu_parts_from(text, strlen(text), &st);
    const struct partitions_model *m = r->u.parts;
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 4);
    const struct partition *p = find_part(m, "a");
    assert_true(p->hidden);
    assert_false(p->is_default);
    assert_int_equal(p->max_time, -1);
    assert_int_equal(p->default_time, 1800);
    assert_int_equal(p->max_nodes, 4);
    assert_int_equal(p->min_nodes, 1);
    assert_int_equal(p->priority_tier, 100);
    assert_int_equal(p->priority_job_factor, 5);
    assert_string_equal(pstr(m, p->oversubscribe), "force:4");
    assert_string_equal(pstr(m, p->preempt_mode), "requeue");
    assert_string_equal(pstr(m, p->qos), "part_qos");
    assert_int_equal(p->total_cpus, 0);
    p = find_part(m, "b");
    assert_string_equal(pstr(m, p->state), "inactive");
    assert_int_equal(p->max_time, -1);
    assert_int_equal(p->default_time, 300); /* bare number: minutes */
    assert_int_equal(p->max_nodes, -1);
    /* absent keys */
    assert_int_equal(p->min_nodes, -1);
    assert_int_equal(p->priority_tier, -1);
    assert_int_equal(p->oversubscribe, 0);
    assert_string_equal(pstr(m, p->qos), "");
    p = find_part(m, "c");
    assert_string_equal(pstr(m, p->state), "drain");
    assert_int_equal(p->max_time, 129600);
    assert_int_equal(p->max_nodes, -1); /* does not fit: treated as unlimited */
    assert_int_equal(p->total_cpus, 0); /* over 32 bits: dropped */
    p = find_part(m, "d");
    assert_string_equal(pstr(m, p->state), "up");
    assert_int_equal(p->max_time, -1); /* unreadable limit: no series */
    tu_result_free(r);
}

static void test_bad_lines(void **state)
{
    (void)state;
    char name[200];
    memset(name, 'p', 129);
    name[129] = '\0';
    char text[1024];
    snprintf(text, sizeof(text),
             "No partitions are configured\n"
             "State=UP MaxTime=1\n"
             "PartitionName=x MaxTime=1\n"
             "PartitionName= State=UP\n"
             "PartitionName=%s State=UP\n"
             "\r\n"
             "PartitionName=ok State=UP\r\n",
             name);
    struct parse_stats st;
    struct dataset_result *r = tu_parts_from(text, strlen(text), &st);
    const struct partitions_model *m = r->u.parts;
    assert_int_equal(st.lines, 7);
    assert_int_equal(st.errors, 3);
    assert_non_null(strstr(st.first_error, "no PartitionName/State"));
    /* the over-long name is cut to MAX_LABEL_LEN, like everywhere else */
    assert_int_equal(m->n, 2);
    assert_int_equal(strlen(pstr(m, m->parts[0].name)), MAX_LABEL_LEN);
    assert_memory_equal(pstr(m, m->parts[0].name), name, MAX_LABEL_LEN);
    assert_string_equal(pstr(m, m->parts[1].name), "ok");
    assert_string_equal(pstr(m, m->parts[1].state), "up");
    tu_result_free(r);
}

/* More partitions than the first allocation (16) keeps them all in order. */
static void test_many(void **state)
{
    (void)state;
    char text[8192];
    size_t off = 0;
    for (int i = 0; i < 40; i++)
        off += (size_t)snprintf(text + off, sizeof(text) - off,
                                "PartitionName=p%02d State=UP TotalCPUs=%d\n", i, i + 1);
    struct dataset_result *r = tu_parts_from(text, off, NULL);
    const struct partitions_model *m = r->u.parts;
    assert_int_equal(m->n, 40);
    for (int i = 0; i < 40; i++) {
        char want[16];
        snprintf(want, sizeof(want), "p%02d", i);
        assert_string_equal(pstr(m, m->parts[i].name), want);
        assert_int_equal(m->parts[i].total_cpus, (uint32_t)i + 1);
    }
    tu_result_free(r);
}

/* A partition name over 128 characters must give one label value whatever
 * the dataset: today squeue's is cut to 128, scontrol nodes' Partitions=
 * keeps all 200 and scontrol partitions drops the line, so the partition
 * shows up twice (128 and 200 characters) and has no slurm_partition_info. */
static void test_long_name_consistent(void **state)
{
    (void)state;
    char name[201];
    memset(name, 'p', 200);
    name[200] = '\0';
    char text[512];
    snprintf(text, sizeof(text), "PartitionName=%s State=UP\n", name);
    struct dataset_result *pr = tu_parts_from(text, strlen(text), NULL);
    snprintf(text, sizeof(text), "NodeName=n1 State=IDLE CPUTot=1 Partitions=%s\n", name);
    struct dataset_result *nr = tu_nodes_from(text, strlen(text), NULL);
    size_t parts = pr->u.parts->n;
    size_t part_len = parts ? strlen(pstr(pr->u.parts, pr->u.parts->parts[0].name)) : 0;
    const struct nodes_model *nm = nr->u.nodes;
    size_t node_len = strlen(strtab_get(&nm->strs, nm->part_lists[nm->nodes[0].partitions].ids[0]));
    tu_result_free(pr);
    tu_result_free(nr);
    assert_int_equal(parts, 1);
    assert_int_equal(part_len, 128);
    assert_int_equal(node_len, 128);
}

/* Slurm 26.05 replaced ExclusiveUser=/ExclusiveTopo= by one Exclusive=
 * (NO, USER, NODE, TOPO) and prints a node-exclusive partition (slurm.conf
 * OverSubscribe=EXCLUSIVE) as "Exclusive=NODE ... OverSubscribe=NO" where
 * 25.11 printed "OverSubscribe=EXCLUSIVE" (src/api/partition_info.c,
 * slurm-25-11-0-1 lines 200-208 and 282-291, slurm-26-05-0-1 lines 202-217
 * and 291-299). The oversubscribe label stays "exclusive" for both. */
static void test_exclusive_2605(void **state)
{
    (void)state;
    static const char *const cfg[][3] = {
        /* name, 25.11 words, 26.05 words */
        {"shared", "ExclusiveUser=NO ExclusiveTopo=NO", "Exclusive=NO"},
        {"excl", "ExclusiveUser=NO ExclusiveTopo=NO", "Exclusive=NODE"},
        {"user", "ExclusiveUser=YES ExclusiveTopo=NO", "Exclusive=USER"},
        {"topo", "ExclusiveUser=NO ExclusiveTopo=YES", "Exclusive=TOPO"},
    };
    static const char *const over[][2] = {
        {"NO", "NO"}, {"EXCLUSIVE", "NO"}, {"YES:4", "YES:4"}, {"NO", "NO"}};
    static const char *const want[] = {"no", "exclusive", "yes:4", "no"};
    for (int v = 0; v < 2; v++) {
        char text[2048];
        size_t n = 0;
        for (size_t i = 0; i < 4; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n,
                                  "PartitionName=%s AllowGroups=ALL Default=NO QoS=N/A "
                                  "DefaultTime=NONE DisableRootJobs=NO %s GraceTime=0 Hidden=NO "
                                  "MaxNodes=UNLIMITED MaxTime=UNLIMITED ReqResv=NO "
                                  "OverSubscribe=%s OverTimeLimit=NONE PreemptMode=OFF State=UP "
                                  "TotalCPUs=8 TotalNodes=1\n",
                                  cfg[i][0], cfg[i][1 + v], over[i][v]);
        struct parse_stats st;
        struct dataset_result *r = tu_parts_from(text, n, &st);
        const struct partitions_model *m = r->u.parts;
        assert_int_equal(st.errors, 0);
        assert_int_equal(m->n, 4);
        for (size_t i = 0; i < 4; i++) {
            const struct partition *p = find_part(m, cfg[i][0]);
            if (strcmp(pstr(m, p->oversubscribe), want[i]) != 0)
                fail_msg("%s layout, partition %s: oversubscribe \"%s\", want \"%s\"",
                         v ? "26.05" : "25.11", cfg[i][0], pstr(m, p->oversubscribe), want[i]);
        }
        tu_result_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_limits_and_flags),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_long_name_consistent),
        cmocka_unit_test(test_exclusive_2605),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
