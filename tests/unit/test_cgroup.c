/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup source against fake cgroup trees built here in a temporary
 * directory, laid out the way Slurm's cgroup plugins create them (v2:
 * src/plugins/cgroup/v2/cgroup_v2.c; v1: src/plugins/cgroup/v1/xcgroup.c),
 * its small file parsers, and the collector's output. */
#include "testutil.h"

#include "sources/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

static char tmpl[64];

/* root + rel: mkdir -p of its directory, then the file with content. */
static void put(const char *root, const char *rel, const char *content)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *c = path + strlen(root) + 1; *c; c++) {
        if (*c == '/') {
            *c = '\0';
            mkdir(path, 0755);
            *c = '/';
        }
    }
    if (content)
        assert_int_equal(tu_write_file(path, content, strlen(content)), 0);
    else
        mkdir(path, 0755);
}

static void rm_rf(const char *p)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
    assert_int_equal(system(cmd), 0);
}

static const char *new_root(void)
{
    snprintf(tmpl, sizeof(tmpl), "/tmp/se_cgroup_XXXXXX");
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

struct scanned {
    struct dataset_result *r;
    struct cgroup_model *m;
    struct parse_stats st;
    int rc;
};

static struct scanned scan(const char *root)
{
    struct scanned s;
    s.r = tu_result_new(DS_CGROUP);
    struct cgroup_parser p;
    memset(&p, 0, sizeof(p));
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.cgroup_root = root;
    struct source_ctx ctx = {&cfg, NULL, NULL, NULL};
    sources[DS_CGROUP]->init(&p, s.r, &ctx, 0);
    char err[256] = "";
    s.rc = sources[DS_CGROUP]->read(&p, &ctx, err, sizeof(err));
    s.m = p.m;
    s.st = p.st;
    return s;
}

static const struct cgroup_job *find(const struct cgroup_model *m, uint32_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->jobs[i].job_id == id)
            return &m->jobs[i];
    return NULL;
}

/* Two jobs under system.slice/slurmstepd.scope with steps and tasks; one
 * with memory.peak absent and no limit; io.stat over several devices. */
static void build_v2(const char *R)
{
    put(R, "cgroup.controllers", "cpuset cpu io memory pids\n");
    put(R, "system.slice/slurmstepd.scope/cgroup.controllers", "cpuset cpu io memory pids\n");
    put(R, "system.slice/slurmstepd.scope/system/cgroup.procs", "123\n");
    const char *j1 = "system.slice/slurmstepd.scope/job_101/";
    char p[256];
#define J1(f, c)                                                                                   \
    do {                                                                                           \
        snprintf(p, sizeof(p), "%s%s", j1, f);                                                     \
        put(R, p, c);                                                                              \
    } while (0)
    J1("cpu.stat", "usage_usec 12500000\nuser_usec 12000000\nsystem_usec 500000\n"
                   "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
    J1("memory.current", "209715200\n");
    J1("memory.peak", "262144000\n");
    J1("memory.max", "1073741824\n");
    J1("io.stat", "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
                  "259:0 rbytes=30 wbytes=40 rios=3 wios=4 dbytes=0 dios=0\n");
    J1("pids.current", "5\n");
    J1("step_batch/user/task_0/cgroup.procs", "200\n");
    J1("step_0/user/task_0/cgroup.procs", "201\n");
    J1("step_0/slurm/cgroup.procs", "199\n");
    J1("step_extern/user/task_special/cgroup.procs", "");
    const char *j2 = "system.slice/slurmstepd.scope/job_7/";
#define J2(f, c)                                                                                   \
    do {                                                                                           \
        snprintf(p, sizeof(p), "%s%s", j2, f);                                                     \
        put(R, p, c);                                                                              \
    } while (0)
    J2("cpu.stat", "usage_usec 1\n");
    J2("memory.current", "4096\n");
    J2("memory.max", "max\n");
    J2("io.stat", "");
    J2("step_batch/user/task_0/cgroup.procs", "300\n");
    /* not jobs */
    put(R, "system.slice/slurmstepd.scope/job_/memory.current", "1\n");
    put(R, "system.slice/slurmstepd.scope/job_x1/memory.current", "1\n");
    put(R, "system.slice/other.scope/job_9/memory.current", "1\n");
    put(R, "user.slice/memory.current", "1\n");
#undef J1
#undef J2
}

static void test_v2_two_jobs(void **state)
{
    (void)state;
    const char *R = new_root();
    build_v2(R);
    struct scanned s = scan(R);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->scopes_v2, 1);
    assert_int_equal(s.m->scopes_v1, 0);
    assert_int_equal(s.m->n, 2);
    assert_int_equal(s.m->jobs[0].job_id, 7); /* sorted */
    const struct cgroup_job *a = find(s.m, 101);
    assert_non_null(a);
    assert_int_equal(a->version, 2);
    assert_double_exact(a->cpu_seconds, 12.5);
    assert_int_equal(a->mem_bytes, 209715200);
    assert_int_equal(a->mem_peak, 262144000);
    assert_int_equal(a->mem_limit, 1073741824);
    assert_int_equal(a->io_read, 1030);
    assert_int_equal(a->io_write, 2040);
    assert_int_equal(a->tasks, 5);
    assert_int_equal(a->known, CGJ_CPU | CGJ_MEM | CGJ_PEAK | CGJ_LIMIT | CGJ_IO | CGJ_TASKS);
    const struct cgroup_job *b = find(s.m, 7);
    assert_non_null(b);
    assert_int_equal(b->known, CGJ_CPU | CGJ_MEM | CGJ_LIMIT | CGJ_IO);
    assert_int_equal(b->mem_limit, UINT64_MAX);
    assert_int_equal(b->io_read, 0);
    assert_int_equal(s.st.errors, 0);
    assert_true(s.st.lines >= 10);

    /* the collector */
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_CGROUP] = s.r;
    v.series_limit = 100000;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_cgroup(&v, &r, &o);
    buf_putc(&r.text, 0);
    const char *t = r.text.p;
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_cpu_seconds_total{job_id=\"101\"}"), 12.5);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_bytes{job_id=\"101\"}"), 209715200);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_peak_bytes{job_id=\"101\"}"),
                        262144000);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_limit_bytes{job_id=\"101\"}"),
                        1073741824);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_io_read_bytes_total{job_id=\"101\"}"), 1030);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_io_write_bytes_total{job_id=\"101\"}"),
                        2040);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_tasks{job_id=\"101\"}"), 5);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_bytes{job_id=\"7\"}"), 4096);
    assert_double_exact(tu_sample(t, "slurm_cgroup_hierarchies{version=\"2\"}"), 1);
    assert_double_exact(tu_sample(t, "slurm_cgroup_jobs"), 2);
    /* unknown -> no series, never 0 */
    assert_false(tu_has_line(t, "slurm_job_cgroup_memory_peak_bytes{job_id=\"7\"}"));
    assert_false(tu_has_line(t, "slurm_job_cgroup_memory_limit_bytes{job_id=\"7\"}"));
    assert_false(tu_has_line(t, "slurm_job_cgroup_tasks{job_id=\"7\"}"));
    render_free(&r);
    tu_result_free(s.r);
    rm_rf(R);
}

/* MULTIPLE_SLURMD names the scope <node>_slurmstepd.scope; CgroupSlice (25.11)
 * another slice; and --cgroup.root may point at the scope itself. */
static void test_v2_multiple_slurmd_and_slice(void **state)
{
    (void)state;
    const char *R = new_root();
    put(R, "system.slice/n1_slurmstepd.scope/job_5/memory.current", "100\n");
    put(R, "system.slice/n2_slurmstepd.scope/job_5/memory.current", "50\n");
    put(R, "system.slice/n2_slurmstepd.scope/job_6/cpu.stat", "usage_usec 2000000\n");
    put(R, "slurm.slice/slurmstepd.scope/job_8/pids.current", "3\n");
    struct scanned s = scan(R);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->scopes_v2, 3);
    assert_int_equal(s.m->n, 3);
    assert_int_equal(find(s.m, 5)->mem_bytes, 150); /* summed over the node's scopes */
    assert_double_exact(find(s.m, 6)->cpu_seconds, 2);
    assert_int_equal(find(s.m, 8)->tasks, 3);
    tu_result_free(s.r);

    char scope[256];
    snprintf(scope, sizeof(scope), "%s/system.slice/n2_slurmstepd.scope", R);
    s = scan(scope);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->n, 2);
    assert_int_equal(find(s.m, 5)->mem_bytes, 50);
    tu_result_free(s.r);
    rm_rf(R);
}

/* A job ending while the walk runs: its directory entry is there but opening
 * it fails with ENOENT (simulated with a dangling link); a job whose files are
 * all gone; garbage files counted as errors, not values. */
static void test_v2_vanishing_and_garbage(void **state)
{
    (void)state;
    const char *R = new_root();
    put(R, "system.slice/slurmstepd.scope/job_1/memory.current", "10\n");
    put(R, "system.slice/slurmstepd.scope/job_3/", NULL); /* empty: every file gone */
    char link[256];
    snprintf(link, sizeof(link), "%s/system.slice/slurmstepd.scope/job_2", R);
    assert_int_equal(symlink("/nonexistent/se_cgroup_gone", link), 0);
    put(R, "system.slice/slurmstepd.scope/job_4/memory.current", "lots\n");
    put(R, "system.slice/slurmstepd.scope/job_4/cpu.stat", "usage_usec -1\n");
    put(R, "system.slice/slurmstepd.scope/job_4/io.stat", "8:0 rbytes=x\n");
    put(R, "system.slice/slurmstepd.scope/job_4/pids.current", "2\n");
    struct scanned s = scan(R);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->n, 2);
    assert_non_null(find(s.m, 1));
    assert_null(find(s.m, 2));
    assert_null(find(s.m, 3));
    const struct cgroup_job *j = find(s.m, 4);
    assert_non_null(j);
    assert_int_equal(j->known, CGJ_TASKS);
    assert_int_equal(s.st.errors, 3);
    assert_int_equal(s.st.lines, 5);
    tu_result_free(s.r);
    rm_rf(R);

    /* a missing root fails the dataset with a reason */
    s = scan("/nonexistent/se_cgroup_root");
    assert_int_equal(s.rc, -ENOENT);
    tu_result_free(s.r);
}

/* cgroup v1: memory and cpuacct controllers, slurm/uid_<uid>/job_<id>. */
static void test_v1(void **state)
{
    (void)state;
    const char *R = new_root();
    put(R, "memory/slurm/uid_1000/job_42/memory.usage_in_bytes", "104857600\n");
    put(R, "memory/slurm/uid_1000/job_42/memory.max_usage_in_bytes", "157286400\n");
    put(R, "memory/slurm/uid_1000/job_42/memory.limit_in_bytes", "9223372036854771712\n");
    put(R, "memory/slurm/uid_1000/job_42/step_0/task_0/memory.usage_in_bytes", "1\n");
    put(R, "memory/slurm/uid_1001/job_43/memory.usage_in_bytes", "1\n");
    put(R, "memory/slurm/uid_1001/job_43/memory.limit_in_bytes", "2147483648\n");
    put(R, "cpuacct/slurm/uid_1000/job_42/cpuacct.usage", "3500000000\n");
    put(R, "memory/user.slice/job_44/memory.usage_in_bytes", "1\n");
    struct scanned s = scan(R);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->scopes_v1, 1);
    assert_int_equal(s.m->scopes_v2, 0);
    assert_int_equal(s.m->n, 2);
    const struct cgroup_job *j = find(s.m, 42);
    assert_int_equal(j->version, 1);
    assert_int_equal(j->mem_bytes, 104857600);
    assert_int_equal(j->mem_peak, 157286400);
    assert_int_equal(j->mem_limit, UINT64_MAX); /* unlimited */
    assert_double_exact(j->cpu_seconds, 3.5);
    assert_int_equal(j->known, CGJ_CPU | CGJ_MEM | CGJ_PEAK | CGJ_LIMIT);
    assert_int_equal(find(s.m, 43)->mem_limit, 2147483648u);
    tu_result_free(s.r);
    rm_rf(R);
}

/* No Slurm hierarchy at all: success, no jobs, both counts 0. */
static void test_empty(void **state)
{
    (void)state;
    const char *R = new_root();
    put(R, "cgroup.controllers", "cpu memory\n");
    put(R, "init.scope/cgroup.procs", "1\n");
    struct scanned s = scan(R);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->n, 0);
    assert_int_equal(s.m->scopes_v1 + s.m->scopes_v2, 0);
    tu_result_free(s.r);
    rm_rf(R);
}

static void test_parsers(void **state)
{
    (void)state;
    uint64_t v = 0, r = 0, w = 0;
    const char *cs = "usage_usec 77\nuser_usec 1\n";
    assert_int_equal(cgroup_parse_keyed(cs, strlen(cs), "usage_usec", &v), 0);
    assert_int_equal(v, 77);
    assert_int_equal(cgroup_parse_keyed(cs, strlen(cs), "user_usec", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cgroup_parse_keyed(cs, strlen(cs), "usage", &v), -1);
    assert_int_equal(cgroup_parse_keyed("usage_usec", 10, "usage_usec", &v), -1);
    assert_int_equal(cgroup_parse_keyed("usage_usec 99999999999999999999999", 33, "usage_usec", &v),
                     -1);
    assert_int_equal(cgroup_parse_single("max\n", 4, &v), 1);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(cgroup_parse_single(" 12 \n", 5, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(cgroup_parse_single("", 0, &v), -1);
    assert_int_equal(cgroup_parse_single("1 2", 3, &v), -1);
    const char *io = "8:0 rbytes=1 wbytes=2\n8:16 rbytes=10 wbytes=20 rios=5\n\n";
    assert_int_equal(cgroup_parse_io_stat(io, strlen(io), &r, &w), 2);
    assert_int_equal(r, 11);
    assert_int_equal(w, 22);
    assert_int_equal(cgroup_parse_io_stat("8:0\n", 4, &r, &w), 1);
    assert_int_equal(cgroup_parse_io_stat("x rbytes=1\n", 11, &r, &w), -1);
    uint32_t id;
    assert_true(cgroup_job_dir("job_12345", &id));
    assert_int_equal(id, 12345);
    assert_false(cgroup_job_dir("job_0", &id));
    assert_false(cgroup_job_dir("job_4294967296", &id));
    assert_false(cgroup_job_dir("job_1x", &id));
    assert_false(cgroup_job_dir("step_1", &id));
}

/* Collector writes nothing without the dataset; the flag sets the root. */
static void test_collector_absent_and_flag(void **state)
{
    (void)state;
    struct view v;
    memset(&v, 0, sizeof(v));
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_cgroup(&v, &r, &o);
    assert_int_equal(r.text.len, 0);
    render_free(&r);

    struct config cfg;
    char a0[] = "slurm_exporter", a1[] = "--cgroup.root=/x/y", a2[] = "--collector.cgroup";
    char *argv[] = {a0, a1, a2, NULL};
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(config_parse(&cfg, 3, argv, null, null), 0);
    assert_string_equal(cfg.cgroup_root, "/x/y");
    assert_true(cfg.collector_on[COLLECTOR_cgroup]);
    char *argv2[] = {a0, NULL};
    assert_int_equal(config_parse(&cfg, 1, argv2, null, null), 0);
    assert_string_equal(cfg.cgroup_root, "/sys/fs/cgroup");
    assert_false(cfg.collector_on[COLLECTOR_cgroup]);
    fclose(null);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_two_jobs),
        cmocka_unit_test(test_v2_multiple_slurmd_and_slice),
        cmocka_unit_test(test_v2_vanishing_and_garbage),
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_collector_absent_and_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
