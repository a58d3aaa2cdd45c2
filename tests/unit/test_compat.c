/* SPDX-License-Identifier: Apache-2.0 */
/* The --compat sets: the table of each set's families (src/compat_sets.def)
 * against what the collectors write with the set's bit, and collector
 * compat_jontk on the 22.05 fixtures: byte for byte against
 * tests/golden/compat_jontk_22.05.{prom,om} (UPDATE_GOLDEN=1 rewrites them)
 * and value by value against figures counted by hand from the fixture text
 * (in the comments beside them). */
#include "testutil.h"

#include <unistd.h>

#define NOW 1795424700.0 /* the render time of the 22.05 golden case */

static struct dataset_result *res[DS_COUNT];
static struct view V;

/* The file each dataset of the 22.05 recording is read from (NULL: none). */
static const char *fixture_of(int d, char *buf, size_t cap)
{
    switch (d) {
    case DS_JOBS:
        return "tests/fixtures/22.05/exporter_squeue.txt";
    case DS_CGROUP:
        return NULL; /* read from a cgroup tree, not a command */
    case DS_CONTROLLERS:
        return "tests/fixtures/ping/22.05.txt";
    case DS_SLURMDBD:
        return "tests/fixtures/ping/dbd_up.txt";
    case DS_VERSION:
        return "tests/fixtures/versions/22.05.txt";
    default:
        snprintf(buf, cap, "tests/fixtures/22.05/exporter_%s.txt", dataset_names[d]);
        return buf;
    }
}

static int load(void **state)
{
    (void)state;
    memset(&V, 0, sizeof(V));
    V.now = NOW;
    V.series_limit = 100000;
    for (int d = 0; d < DS_COUNT; d++) {
        char name[128];
        const char *rel = fixture_of(d, name, sizeof(name));
        if (!rel)
            continue;
        size_t len;
        char *b = tu_read_rel(rel, &len);
        /* --compat=azure's part of the accounting source (the records of
         * its cumulative counts) is made with that flag, as the poller does:
         * compat_azure then writes them, and their table lines are checked */
        struct config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.compat = COMPAT_AZURE;
        res[d] = tu_served_cfg((enum dataset_id)d, b, len, &cfg);
        free(b);
        if (!res[d])
            fail_msg("%s: the %s source refused it", rel, dataset_names[d]);
        V.ds[d] = res[d];
    }
    return 0;
}

static int unload(void **state)
{
    (void)state;
    for (int d = 0; d < DS_COUNT; d++) {
        tu_result_free(res[d]);
        res[d] = NULL;
    }
    return 0;
}

/* Runs collector c (when its primary dataset has data) with compat bits
 * `bits` into a fresh render. */
static void run(int c, unsigned bits, struct render *r)
{
    memset(r, 0, sizeof(*r));
    struct view v = V;
    v.compat = bits;
    struct collect_out o = {0};
    if (v.ds[collectors[c].primary])
        collectors[c].fn(&v, r, &o);
    buf_cstr(&r->text);
}

/* Whether the text exposition t has a family whose exposed name (the 0.0.4
 * TYPE line's: a counter's with _total) is name. */
static bool has_family(const char *t, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, "# TYPE ", 7) == 0 && strncmp(p + 7, name, n) == 0 && p[7 + n] == ' ')
            return true;
    return false;
}

static const struct {
    unsigned bit;
    const char *name;
    int own; /* the set's collector, whose every family is the set's */
} sets[] = {
    {COMPAT_VPENSO, "vpenso", COLLECTOR_compat_vpenso},
    {COMPAT_RIVOSINC, "rivosinc", COLLECTOR_compat_rivosinc},
    {COMPAT_AZURE, "azure", COLLECTOR_compat_azure},
    {COMPAT_GOLDENTOOTH, "goldentooth", COLLECTOR_compat_goldentooth},
    {COMPAT_JONTK, "jontk", COLLECTOR_compat_jontk},
};

static bool in_table(unsigned bit, const char *name)
{
    for (size_t i = 0; i < compat_families_n; i++)
        if (compat_families[i].set == bit && strcmp(compat_families[i].name, name) == 0)
            return true;
    return false;
}

/* Every family a collector writes because of a set's bit (all of them for
 * the set's own collector) is in the set's table: the set's path keeps only
 * the table's families, so a family missing there would be missing on the
 * path. The check that caught the vpenso and rivosinc paths serving only
 * their own collector's names. */
static void test_table_holds_what_the_bit_adds(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        for (int c = 0; c < COLLECTOR_COUNT; c++) {
            struct render with, without;
            run(c, sets[s].bit, &with);
            run(c, 0, &without);
            const char *t = with.text.p;
            for (const char *p = t; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
                if (strncmp(p, "# TYPE ", 7) != 0)
                    continue;
                char name[160];
                size_t n = strcspn(p + 7, " ");
                assert_true(n < sizeof(name));
                memcpy(name, p + 7, n);
                name[n] = '\0';
                bool added = c == sets[s].own || !has_family(without.text.p, name);
                if (added && !in_table(sets[s].bit, name))
                    fail_msg("collector %s writes %s under --compat=%s, but compat_sets.def does "
                             "not list it for the set",
                             collectors[c].name, name, sets[s].name);
            }
            render_free(&with);
            render_free(&without);
        }
    }
}

/* Families of the table the 22.05 fixtures cannot make their owner write,
 * and why: remote licenses' last consumption (the recorded comsol@flex line
 * predates LastConsumed=, Slurm 23.02+). */
static const char *const absent_ok[] = {"slurm_lic_last_consumed", "slurm_lic_last_deficit"};

/* Whether collector c writes any family because of the set's bit. */
static bool bit_adds(int c, unsigned bit)
{
    struct render with, without;
    run(c, bit, &with);
    run(c, 0, &without);
    bool adds = strcmp(with.text.p, without.text.p) != 0;
    render_free(&with);
    render_free(&without);
    return adds;
}

/* Each table line names the collector that really writes the family under
 * the set's bit (a wrong owner would leave the path without it), and the
 * build and scrape lines name families no collector writes. */
static void test_table_owners_write_them(void **state)
{
    (void)state;
    /* jontk's accounting names are written by the accounting collector,
     * which came after this table: until it writes any of them none is
     * looked for; once it writes one, every one must be there */
    struct render acct;
    run(COLLECTOR_accounting, 0, &acct); /* the fixture feeds it: the check below can see */
    assert_non_null(strstr(acct.text.p, "# TYPE slurm_accounting_jobs_total counter"));
    render_free(&acct);
    bool acct_jontk = bit_adds(COLLECTOR_accounting, COMPAT_JONTK);
    if (!acct_jontk)
        print_message("[   NOTE   ] the accounting collector writes no jontk name yet: its "
                      "table lines are not checked\n");
    for (size_t i = 0; i < compat_families_n; i++) {
        const struct compat_family *f = &compat_families[i];
        if (f->set == COMPAT_JONTK && f->owner == COLLECTOR_accounting && !acct_jontk)
            continue;
        bool ok_absent = false;
        for (size_t k = 0; k < sizeof(absent_ok) / sizeof(absent_ok[0]); k++)
            ok_absent |= strcmp(absent_ok[k], f->name) == 0;
        if (f->owner < 0) {
            for (int c = 0; c < COLLECTOR_COUNT; c++) {
                struct render r;
                run(c, f->set, &r);
                if (has_family(r.text.p, f->name))
                    fail_msg("%s is listed as written by the %s, but collector %s writes it",
                             f->name, f->owner == COMPAT_OWNER_BUILD ? "build" : "scrape",
                             collectors[c].name);
                render_free(&r);
            }
            continue;
        }
        assert_true(f->owner < COLLECTOR_COUNT);
        struct render r;
        run(f->owner, f->set, &r);
        bool has = has_family(r.text.p, f->name);
        render_free(&r);
        if (!has && !ok_absent)
            fail_msg("compat_sets.def: collector %s does not write %s with the set's bit",
                     collectors[f->owner].name, f->name);
        if (has && ok_absent)
            fail_msg("%s is written now: take it out of absent_ok", f->name);
    }
    /* no family twice in a set */
    for (size_t i = 0; i < compat_families_n; i++)
        for (size_t k = i + 1; k < compat_families_n; k++)
            if (compat_families[i].set == compat_families[k].set &&
                strcmp(compat_families[i].name, compat_families[k].name) == 0)
                fail_msg("compat_sets.def lists %s twice for one set", compat_families[i].name);
}

/* The value of the sample line that starts with exactly `series`. */
#define EQ(series, want) assert_double_exact(tu_sample(t, series), (double)(want))

/* Golden comparison (UPDATE_GOLDEN=1 rewrites). */
static void golden(const char *rel, const struct buf *got)
{
    char *p = tu_path(rel);
    if (getenv("UPDATE_GOLDEN")) {
        assert_int_equal(tu_write_file(p, got->p ? got->p : "", got->len), 0);
        free(p);
        return;
    }
    size_t len = 0;
    char *want = tu_read_file(p, &len);
    free(p);
    if (!want)
        fail_msg("%s missing: run with UPDATE_GOLDEN=1 to create it", rel);
    size_t i = 0, line = 1;
    while (i < len && i < got->len && want[i] == got->p[i])
        line += want[i++] == '\n';
    bool same = len == got->len && i == len;
    free(want);
    if (!same)
        fail_msg("%s differs from the rendering at line %zu (UPDATE_GOLDEN=1 rewrites it after "
                 "a deliberate change)",
                 rel, line);
}

/* compat_jontk on 22.05: the golden files, and every family's values
 * counted by hand from the fixture lines:
 *   nodes: cn001 MIXED CPUAlloc=1, cn002 MIXED 1, cn003 IDLE+DRAIN 0,
 *   cn004 DOWN 0, cn005 MIXED 6 (all CPUEfctv=32, RealMemory=192000,
 *   Partitions=debug,batch,maint), gpu001 MIXED 4 of 96 CPUs,
 *   RealMemory=512000, Gres=gpu:a100:4 GresUsed=gpu:a100:2, Partitions=gpu,maint;
 *   jobs: batch lists 12 PENDING, 2 RUNNING and 20 (debug,batch) PENDING;
 *   gpu 13, 14 PENDING, 3 RUNNING; maint 17 PENDING; debug the 28 others. */
static void test_jontk_2205(void **state)
{
    (void)state;
    struct render r;
    run(COLLECTOR_compat_jontk, COMPAT_JONTK, &r);
    golden("tests/golden/compat_jontk_22.05.prom", &r.text);
    golden("tests/golden/compat_jontk_22.05.om", render_om(&r));
    const char *t = r.text.p;
    EQ("slurm_partition_cpus_allocated{partition=\"debug\"}", 1 + 1 + 0 + 0 + 6);
    EQ("slurm_partition_cpus_allocated{partition=\"gpu\"}", 4);
    EQ("slurm_partition_cpus_allocated{partition=\"maint\"}", 8 + 4);
    EQ("slurm_partition_cpus_total{partition=\"batch\"}", 5 * 32);
    EQ("slurm_partition_cpus_total{partition=\"maint\"}", 5 * 32 + 96);
    EQ("slurm_partition_memory_total_bytes{partition=\"debug\"}", 5 * 192000.0 * 1048576);
    EQ("slurm_partition_memory_total_bytes{partition=\"gpu\"}", 512000.0 * 1048576);
    EQ("slurm_partition_memory_total_bytes{partition=\"maint\"}",
       (5 * 192000.0 + 512000) * 1048576);
    /* no node is plainly idle: cn003 is drained, cn004 down, the rest mixed */
    EQ("slurm_partition_nodes_idle{partition=\"debug\"}", 0);
    EQ("slurm_partition_nodes_total{partition=\"debug\"}", 5);
    EQ("slurm_partition_nodes_total{partition=\"gpu\"}", 1);
    EQ("slurm_partition_nodes_total{partition=\"maint\"}", 6);
    EQ("slurm_nodes_total{state=\"mixed\"}", 4);
    EQ("slurm_nodes_total{state=\"drained\"}", 1);
    EQ("slurm_nodes_total{state=\"down\"}", 1);
    EQ("slurm_nodes_total{state=\"idle\"}", 0);
    EQ("slurm_cluster_cpus_total", 5 * 32 + 96);
    EQ("slurm_node_cpus_total{node=\"cn005\"}", 32);
    EQ("slurm_node_cpus_total{node=\"gpu001\"}", 96);
    EQ("slurm_node_cpus_allocated{node=\"cn005\"}", 6);
    EQ("slurm_node_cpus_allocated{node=\"gpu001\"}", 4);
    EQ("slurm_node_gpus_total{node=\"gpu001\"}", 4);
    EQ("slurm_node_gpus_allocated{node=\"gpu001\"}", 2);
    assert_null(strstr(t, "slurm_node_gpus_total{node=\"cn")); /* no GPUs: no series */
    EQ("slurm_jobs_total{partition=\"batch\",state=\"pending\"}", 2);
    EQ("slurm_jobs_total{partition=\"batch\",state=\"running\"}", 1);
    /* debug: 16, 15, 6_2..6_5, 19_0..19_9, 18, 20 pending; 21, 1, 4, 5, 6_0,
     * 6_1 running; 9 cancelled, 7 completed, 8 failed */
    EQ("slurm_jobs_total{partition=\"debug\",state=\"pending\"}", 1 + 1 + 4 + 10 + 1 + 1);
    EQ("slurm_jobs_total{partition=\"debug\",state=\"running\"}", 6);
    EQ("slurm_jobs_total{partition=\"debug\",state=\"cancelled\"}", 1);
    EQ("slurm_jobs_total{partition=\"debug\",state=\"completed\"}", 1);
    EQ("slurm_jobs_total{partition=\"debug\",state=\"failed\"}", 1);
    EQ("slurm_jobs_total{partition=\"gpu\",state=\"pending\"}", 2);
    EQ("slurm_jobs_total{partition=\"gpu\",state=\"running\"}", 1);
    EQ("slurm_jobs_total{partition=\"maint\",state=\"pending\"}", 1);
    EQ("slurm_jobs_total{partition=\"maint\",state=\"running\"}", 0);
    render_free(&r);

    /* without the bit (the golden renders of every collector): nothing */
    run(COLLECTOR_compat_jontk, 0, &r);
    assert_int_equal(r.text.len, 0);
    render_free(&r);
}

/* Families two collectors could write are written once in an exposition
 * with both: vpenso's partition CPUs (compat_jontk leaves them to
 * compat_vpenso), the node collector's slurm_node_cpus_allocated
 * (the node collector leaves it to compat_jontk). */
static void test_jontk_no_family_twice(void **state)
{
    (void)state;
    unsigned bits = COMPAT_JONTK | COMPAT_VPENSO;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct view v = V;
    v.compat = bits;
    static const int cs[] = {COLLECTOR_compat_vpenso, COLLECTOR_compat_jontk, COLLECTOR_node};
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        struct collect_out o = {0};
        collectors[cs[i]].fn(&v, &r, &o);
    }
    buf_cstr(&r.text);
    static const char *const once[] = {"# TYPE slurm_partition_cpus_allocated ",
                                       "# TYPE slurm_partition_cpus_total ",
                                       "# TYPE slurm_node_cpus_allocated "};
    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
        const char *p = strstr(r.text.p, once[i]);
        assert_non_null(p);
        if (strstr(p + 1, once[i]))
            fail_msg("%s... written twice", once[i]);
    }
    render_free(&r);
    /* the node collector alone (jontk off) still writes its family */
    run(COLLECTOR_node, 0, &r);
    assert_non_null(strstr(r.text.p, "# TYPE slurm_node_cpus_allocated "));
    render_free(&r);
}

/* The collection families: one histogram and one counter series per
 * polled dataset, labelled collector, _count = the attempts, the errors
 * beside them; nothing for a dataset that is not polled. */
static void test_jontk_collections(void **state)
{
    (void)state;
    struct view v;
    memset(&v, 0, sizeof(v));
    v.polled[DS_JOBS] = v.polled[DS_NODES] = true;
    v.fetches[DS_JOBS].count = 3;
    v.fetches[DS_JOBS].counts[1] = 2; /* two refreshes within 25 ms */
    v.fetches[DS_JOBS].counts[FETCH_HIST_BOUNDS - 1] = 1;
    v.fetches[DS_JOBS].sum = 45.5;
    v.fetch_errors[DS_JOBS] = 1;
    v.fetch_errors[DS_SCHEDULER] = 7; /* not polled: no series */
    struct render r;
    memset(&r, 0, sizeof(r));
    compat_jontk_collections(&v, &r);
    const char *t = buf_cstr(&r.text);
    EQ("slurm_exporter_collect_duration_seconds_count{collector=\"jobs\"}", 3);
    EQ("slurm_exporter_collect_duration_seconds_bucket{collector=\"jobs\",le=\"0.01\"}", 0);
    EQ("slurm_exporter_collect_duration_seconds_bucket{collector=\"jobs\",le=\"0.025\"}", 2);
    EQ("slurm_exporter_collect_duration_seconds_bucket{collector=\"jobs\",le=\"60.0\"}", 3);
    EQ("slurm_exporter_collect_duration_seconds_sum{collector=\"jobs\"}", 45.5);
    EQ("slurm_exporter_collect_duration_seconds_count{collector=\"nodes\"}", 0);
    EQ("slurm_exporter_collect_errors_total{collector=\"jobs\"}", 1);
    EQ("slurm_exporter_collect_errors_total{collector=\"nodes\"}", 0);
    assert_null(strstr(t, "collector=\"scheduler\""));
    render_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_holds_what_the_bit_adds),
        cmocka_unit_test(test_table_owners_write_them),
        cmocka_unit_test(test_jontk_2205),
        cmocka_unit_test(test_jontk_no_family_twice),
        cmocka_unit_test(test_jontk_collections),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
