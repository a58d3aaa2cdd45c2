/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup source against fake cgroup trees built here in a temporary
 * directory, laid out the way Slurm's cgroup plugins create them (v2:
 * src/plugins/cgroup/v2/cgroup_v2.c; v1: src/plugins/cgroup/v1/xcgroup.c),
 * its small file parsers, and the collector's output. */
#include "testutil.h"

#include "sources/cgroup.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* ---- Slurm 26.05: cgroup v2 job directories named by SLUID -------------
 * cgroup_p_step_create (src/plugins/cgroup/v2/cgroup_v2.c, 26.05) names the
 * job directory print_sluid() (src/common/sluid.c): "s" and 13 characters of
 * Crockford's base32, upper case. A SLUID is cluster id, a millisecond time
 * stamp and a sequence number: it does not hold the job id, so the source asks
 * squeue (--jobs=<SLUID>). The pairs below are real: sacct --json of a 26.05.5
 * cluster (job 1: s6W9M92WQK0X00, job 10: s6W9M92WQP8C00, job 5:
 * s6W9M92WQKFT00). */

/* A fake squeue in dir/squeue: appends its arguments to dir/calls, then
 * answers from a table, or behaves as `mode` says. */
static void fake_squeue(const char *dir, const char *mode)
{
    char path[512], script[4096];
    snprintf(path, sizeof(path), "%s/squeue", dir);
    snprintf(script, sizeof(script),
             "#!/bin/sh\n"
             "echo \"$*\" >> '%s/calls'\n"
             "j=\n"
             "for a in \"$@\"; do case $a in --jobs=*) j=${a#--jobs=};; esac; done\n"
             "case '%s' in\n"
             "hang) exec sleep 30;;\n"
             "garbage) echo 'CLUSTER: x'; echo 'abc|x|'; echo \"$j|\"; echo \"$j|0|\";"
             " echo \"$j|99999999999|\"; exit 0;;\n"
             "other) echo 's6W9M92WQP8D00|11|'; exit 0;;\n"
             "esac\n"
             "case $j in\n"
             "s6W9M92WQK0X00) echo 's6W9M92WQK0X00|1|';;\n"
             "s6W9M92WQP8C00) echo 's6W9M92WQP8C00|10|';;\n"
             "*) echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1;;\n"
             "esac\n",
             dir, mode);
    assert_int_equal(tu_write_file(path, script, strlen(script)), 0);
    assert_int_equal(chmod(path, 0755), 0);
}

/* Lines in dir/calls: how often the fake squeue ran. */
static int squeue_calls(const char *dir, const char *needle)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/calls", dir);
    size_t len = 0;
    char *t = tu_read_file(path, &len);
    if (!t)
        return 0;
    int n = 0;
    for (char *l = t; l && *l;) {
        char *e = strchr(l, '\n');
        if (e)
            *e = '\0';
        if (!needle || strstr(l, needle))
            n++;
        l = e ? e + 1 : NULL;
    }
    free(t);
    return n;
}

/* A scan as the poller runs it: the source's process-lifetime state (its
 * SLUID -> job id cache) kept between refreshes. */
struct cgnode {
    struct config cfg;
    void *state;
};

static void node_init(struct cgnode *n, const char *root, const char *bin, double timeout)
{
    memset(n, 0, sizeof(*n));
    n->cfg.cgroup_root = root;
    n->cfg.bin_path = bin;
    n->cfg.slurm_timeout = timeout;
    n->state = sources[DS_CGROUP]->state_new ? sources[DS_CGROUP]->state_new(&n->cfg, NULL) : NULL;
}

static void node_free(struct cgnode *n)
{
    if (n->state && sources[DS_CGROUP]->state_free)
        sources[DS_CGROUP]->state_free(n->state);
}

static struct scanned node_scan(struct cgnode *n)
{
    struct scanned s;
    s.r = tu_result_new(DS_CGROUP);
    struct cgroup_parser p;
    memset(&p, 0, sizeof(p));
    struct source_ctx ctx = {&n->cfg, NULL, n->state, NULL};
    sources[DS_CGROUP]->init(&p, s.r, &ctx, 0);
    char err[256] = "";
    s.rc = sources[DS_CGROUP]->read(&p, &ctx, err, sizeof(err));
    s.m = p.m;
    s.st = p.st;
    return s;
}

/* The rendered cgroup collector output of a scan (caller frees). */
static char *render_scan(const struct scanned *s)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_CGROUP] = s->r;
    v.series_limit = 100000;
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    collect_cgroup(&v, &r, &o);
    buf_putc(&r.text, 0);
    char *t = strdup(r.text.p);
    render_free(&r);
    return t;
}

/* A node during an upgrade to 26.05: a job started before it (job_101) next
 * to jobs named by SLUID; Slurm's own "system" directory; names that are
 * neither (skipped and counted). Each SLUID is looked up once: the answer is
 * kept, and a SLUID squeue does not know is not asked again at once. */
static void test_v2_sluid_dirs(void **state)
{
    (void)state;
    const char *R = new_root();
    char bin[512];
    snprintf(bin, sizeof(bin), "%s/bin", R);
    put(R, "bin/", NULL);
    fake_squeue(bin, "table");
    const char *sc = "cg/system.slice/slurmstepd.scope/";
    char p[512];
#define S(rel, c)                                                                                  \
    do {                                                                                           \
        snprintf(p, sizeof(p), "%s%s", sc, rel);                                                   \
        put(R, p, c);                                                                              \
    } while (0)
    S("cgroup.controllers", "cpuset cpu io memory pids\n");
    S("system/cgroup.procs", "123\n");
    S("job_101/memory.current", "100\n");
    S("s6W9M92WQK0X00/memory.current", "1000\n");
    S("s6W9M92WQK0X00/cpu.stat", "usage_usec 2500000\n");
    S("s6W9M92WQK0X00/step_batch/user/task_0/cgroup.procs", "200\n");
    S("s6W9M92WQK0X00/step_extern/slurm/cgroup.procs", "199\n");
    S("s6W9M92WQP8C00/memory.current", "2000\n");
    S("s6W9M92WQP8C00/step_0/user/task_special/cgroup.procs", "");
    S("s6W9M92WQKFT00/memory.current", "3\n"); /* squeue: no such job */
    /* not job directories (9) */
    S("s6W9M92WQK0X0/memory.current", "1\n");   /* 12 characters */
    S("s6W9M92WQK0X000/memory.current", "1\n"); /* 14 */
    S("s6w9m92wqk0x00/memory.current", "1\n");  /* Slurm writes upper case */
    S("S6W9M92WQK0X00/memory.current", "1\n");  /* and a lower-case s */
    S("s6W9M92WQKUX00/memory.current", "1\n");  /* U: not base32 */
    S("sW6W9M92WQK0X0/memory.current", "1\n");  /* over 64 bits */
    S("s0000000000000/memory.current", "1\n");  /* 0: no SLUID */
    S("job_x1/memory.current", "1\n");
    S("slurm/memory.current", "1\n");
    S("s6W9M92WQP8D00", "1\n"); /* a file, not a directory: not looked at */
#undef S
    char root[512];
    snprintf(root, sizeof(root), "%s/cg", R);
    struct cgnode n;
    node_init(&n, root, bin, 10);

    struct scanned s = node_scan(&n);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->scopes_v2, 1);
    assert_int_equal(s.m->n, 3);
    assert_int_equal(s.m->jobs[0].job_id, 1);
    assert_int_equal(s.m->jobs[1].job_id, 10);
    assert_int_equal(s.m->jobs[2].job_id, 101);
    const struct cgroup_job *j = find(s.m, 1);
    assert_int_equal(j->version, 2);
    assert_int_equal(j->mem_bytes, 1000);
    assert_double_exact(j->cpu_seconds, 2.5);
    assert_int_equal(j->known, CGJ_CPU | CGJ_MEM);
    assert_int_equal(find(s.m, 10)->mem_bytes, 2000);
    assert_int_equal(find(s.m, 101)->mem_bytes, 100);
    assert_int_equal(s.st.errors, 0);
    /* one squeue per SLUID directory, argv as documented */
    assert_int_equal(squeue_calls(bin, NULL), 3);
    assert_int_equal(
        squeue_calls(bin, "--noheader --jobs=s6W9M92WQK0X00 --Format=SLUID:0|,JobID:0|"), 1);
    assert_int_equal(squeue_calls(bin, "--jobs=s6W9M92WQP8C00"), 1);
    assert_int_equal(squeue_calls(bin, "--jobs=s6W9M92WQKFT00"), 1);
    char *t = render_scan(&s);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_bytes{job_id=\"1\"}"), 1000);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_cpu_seconds_total{job_id=\"1\"}"), 2.5);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_bytes{job_id=\"10\"}"), 2000);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_bytes{job_id=\"101\"}"), 100);
    assert_double_exact(tu_sample(t, "slurm_cgroup_jobs"), 3);
    assert_double_exact(tu_sample(t, "slurm_cgroup_jobs_unresolved"), 1);
    assert_double_exact(tu_sample(t, "slurm_cgroup_unknown_directories"), 9);
    assert_double_exact(tu_sample(t, "slurm_cgroup_sluid_lookups_total"), 3);
    free(t);
    tu_result_free(s.r);

    /* the next refresh: answers kept, the unknown SLUID not asked again yet */
    s = node_scan(&n);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->n, 3);
    assert_int_equal(find(s.m, 1)->mem_bytes, 1000);
    assert_int_equal(squeue_calls(bin, NULL), 3);
    t = render_scan(&s);
    assert_double_exact(tu_sample(t, "slurm_cgroup_jobs_unresolved"), 1);
    assert_double_exact(tu_sample(t, "slurm_cgroup_sluid_lookups_total"), 3);
    free(t);
    tu_result_free(s.r);

    /* job 1 ends, a new job starts: only the new SLUID is asked */
    snprintf(p, sizeof(p), "%s/%ss6W9M92WQK0X00", R, sc);
    rm_rf(p);
    snprintf(p, sizeof(p), "%s/%ss6W9M92WQP8D00", R, sc);
    assert_int_equal(unlink(p), 0);
    put(R, "cg/system.slice/slurmstepd.scope/s6W9M92WQP8D00/memory.current", "4\n");
    s = node_scan(&n);
    assert_int_equal(s.m->n, 2); /* 10 and 101; squeue does not know the new one */
    assert_null(find(s.m, 1));
    assert_int_equal(squeue_calls(bin, NULL), 4);
    assert_int_equal(squeue_calls(bin, "--jobs=s6W9M92WQP8D00"), 1);
    tu_result_free(s.r);
    node_free(&n);
    rm_rf(R);
}

/* squeue failing in every way: a SLUID it cannot map stays unresolved (no
 * series, counted); nothing crashes; a hanging squeue costs one timeout per
 * refresh, not one per SLUID. No state (no cache): no squeue at all. */
static void test_v2_sluid_lookup_failures(void **state)
{
    (void)state;
    static const char *const modes[] = {"garbage", "other", "hang"};
    for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
        const char *R = new_root();
        char bin[512], root[512];
        snprintf(bin, sizeof(bin), "%s/bin", R);
        put(R, "bin/", NULL);
        fake_squeue(bin, modes[k]);
        put(R, "cg/system.slice/slurmstepd.scope/s6W9M92WQK0X00/memory.current", "5\n");
        put(R, "cg/system.slice/slurmstepd.scope/s6W9M92WQP8C00/memory.current", "6\n");
        put(R, "cg/system.slice/slurmstepd.scope/job_7/memory.current", "7\n");
        snprintf(root, sizeof(root), "%s/cg", R);
        struct cgnode n;
        node_init(&n, root, bin, 0.5);
        double t0 = mono_now_s();
        struct scanned s = node_scan(&n);
        double took = mono_now_s() - t0;
        assert_int_equal(s.rc, 0);
        assert_int_equal(s.m->n, 1);
        assert_int_equal(s.m->jobs[0].job_id, 7);
        char *t = render_scan(&s);
        assert_double_exact(tu_sample(t, "slurm_cgroup_jobs_unresolved"), 2);
        free(t);
        if (strcmp(modes[k], "hang") == 0) {
            assert_int_equal(squeue_calls(bin, NULL), 1);
            assert_true(took < 5);
        } else {
            assert_int_equal(squeue_calls(bin, NULL), 2);
        }
        tu_result_free(s.r);
        node_free(&n);

        /* without the source's state: SLUIDs unresolved, squeue never run */
        s = scan(root);
        assert_int_equal(s.rc, 0);
        assert_int_equal(s.m->n, 1);
        t = render_scan(&s);
        assert_double_exact(tu_sample(t, "slurm_cgroup_jobs_unresolved"), 2);
        free(t);
        tu_result_free(s.r);
        assert_int_equal(squeue_calls(bin, NULL), strcmp(modes[k], "hang") == 0 ? 1 : 2);
        rm_rf(R);
    }
}

/* ---- the job id from slurmstepd's process title -------------------------
 * A slurmstepd titles itself "slurmstepd: [<job id>.<step>]" (Slurm on Linux
 * writes it over argv and pads with NULs, so /proc/<pid>/cmdline is that and
 * NULs) and sits in its step's step_<step>/slurm leaf. The fake stepds below
 * are real processes: /bin/cat reading a pipe this test holds, with the title
 * as argv[0], as ps shows a slurmstepd. */

struct stepd {
    pid_t pid;
    int wfd; /* cat's stdin: closing it ends cat */
};

/* A process titled title, not a child of this one: the exporter's command
 * runner (squeue) kills and reaps its parent's children it did not start. */
static struct stepd spawn_titled(const char *title)
{
    extern char **environ;
    int pp[2], wp[2];
    assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
    assert_int_equal(pipe2(wp, O_CLOEXEC), 0);
    char *t = strdup(title);
    char *argv[] = {t, NULL};
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            dup2(wp[0], 0);
            execve("/bin/cat", argv, environ);
            _exit(127);
        }
        _exit(write(pp[1], &g, sizeof(g)) == (ssize_t)sizeof(g) && g > 0 ? 0 : 1);
    }
    free(t);
    close(pp[1]);
    close(wp[0]);
    struct stepd d = {-1, wp[1]};
    assert_int_equal(read(pp[0], &d.pid, sizeof(d.pid)), sizeof(d.pid));
    char x;
    while (read(pp[0], &x, 1) > 0)
        ; /* end of file: the grandchild has run execve (close-on-exec) */
    close(pp[0]);
    int st = 0;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_int_equal(st, 0);
    return d;
}

/* Ends d (cat reads end of file) and reaps it when it is this process's
 * child by now (the command runner makes this process a subreaper, and may
 * have killed and reaped it already: ECHILD). */
static void stop_titled(struct stepd *d)
{
    close(d->wfd);
    while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* /proc/<pid>/cmdline is title and one NUL. */
static void assert_title(pid_t pid, const char *title)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    size_t len = 0;
    char *t = tu_read_file(path, &len);
    assert_non_null(t);
    assert_int_equal(len, strlen(title) + 1);
    assert_memory_equal(t, title, len);
    free(t);
}

/* The pid of a slurmstepd-titled process that has exited (and been reaped). */
static pid_t dead_pid(void)
{
    extern char **environ;
    char t[] = "slurmstepd: [10.batch]";
    char *argv[] = {t, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return pid;
}

/* "<pid>\n" in b. */
static const char *pid_line(pid_t pid, char *b, size_t n)
{
    snprintf(b, n, "%d\n", (int)pid);
    return b;
}

/* Jobs named by SLUID whose slurmstepd title gives the id are never asked of
 * squeue, even where squeue would answer (it maps s6W9M92WQK0X00 to 1; the
 * title says 4242). Titles that are not a slurmstepd title with a decimal job
 * id and this step are refused, and only then squeue runs (once per SLUID). */
static void test_v2_sluid_stepd_titles(void **state)
{
    (void)state;
    const char *R = new_root();
    char bin[512], root[512], p[512], l[32];
    snprintf(bin, sizeof(bin), "%s/bin", R);
    snprintf(root, sizeof(root), "%s/cg", R);
    put(R, "bin/", NULL);
    fake_squeue(bin, "table");
    const char *sc = "cg/system.slice/slurmstepd.scope/";
#define S(rel, c)                                                                                  \
    do {                                                                                           \
        snprintf(p, sizeof(p), "%s%s", sc, rel);                                                   \
        put(R, p, c);                                                                              \
    } while (0)
    S("cgroup.controllers", "cpuset cpu io memory pids\n");
    S("job_101/memory.current", "100\n");

    pid_t dead = dead_pid();
    struct stepd good = spawn_titled("slurmstepd: [4242.batch]");
    struct stepd mgr = spawn_titled("slurmstepd: [77.extern stepmgr]");
    assert_title(good.pid, "slurmstepd: [4242.batch]");
    static const char *const refused[] = {
        "slurmstepd: [s6W9M92WQP8E00.batch]", /* the SLUID form: job id 0 or NO_VAL */
        "slurmstepd: [4243.batch",            /* no closing bracket */
        "slurmstepd: [99999999999.batch]",    /* over 32 bits */
        "slurmstepd: [4294967294.batch]",     /* NO_VAL */
        "slurmstepd: [04244.batch]",          /* Slurm prints no leading 0 */
        "slurmstepd: [4245.0]",               /* another step than its directory */
        "slurmd: [4246.batch]",               /* another program */
        "garbage",
    };
    enum { NREF = sizeof(refused) / sizeof(refused[0]) };
    /* SLUIDs the fake squeue does not know */
    static const char *const rsl[NREF + 4] = {
        "s6W9M92WQP8E00", "s6W9M92WQP8F00", "s6W9M92WQP8G00", "s6W9M92WQP8H00",
        "s6W9M92WQP8J00", "s6W9M92WQP8K00", "s6W9M92WQP8M00", "s6W9M92WQP8N00",
        "s6W9M92WQP8P00", "s6W9M92WQP8Q00", "s6W9M92WQP8R00", "s6W9M92WQP8S00",
    };
    struct stepd bad[NREF];
    char rel[256];
    for (size_t i = 0; i < NREF; i++) {
        bad[i] = spawn_titled(refused[i]);
        assert_title(bad[i].pid, refused[i]); /* refused for its title, not its absence */
        snprintf(rel, sizeof(rel), "%s/memory.current", rsl[i]);
        S(rel, "1\n");
        snprintf(rel, sizeof(rel), "%s/step_batch/slurm/cgroup.procs", rsl[i]);
        S(rel, pid_line(bad[i].pid, l, sizeof(l)));
    }
    /* processes that are no slurmstepd: init (root's) and this test */
    snprintf(rel, sizeof(rel), "%s/memory.current", rsl[NREF]);
    S(rel, "1\n");
    snprintf(rel, sizeof(rel), "%s/step_batch/slurm/cgroup.procs", rsl[NREF]);
    char notstepd[64];
    snprintf(notstepd, sizeof(notstepd), "1\n%d\n", (int)getpid());
    S(rel, notstepd);
    /* two steps naming different jobs: neither is believed */
    struct stepd c1 = spawn_titled("slurmstepd: [4247.batch]");
    struct stepd c2 = spawn_titled("slurmstepd: [4248.0]");
    snprintf(rel, sizeof(rel), "%s/memory.current", rsl[NREF + 1]);
    S(rel, "1\n");
    snprintf(rel, sizeof(rel), "%s/step_batch/slurm/cgroup.procs", rsl[NREF + 1]);
    S(rel, pid_line(c1.pid, l, sizeof(l)));
    snprintf(rel, sizeof(rel), "%s/step_0/slurm/cgroup.procs", rsl[NREF + 1]);
    S(rel, pid_line(c2.pid, l, sizeof(l)));
    /* a good title in the wrong place: the user leaf, not slurm */
    snprintf(rel, sizeof(rel), "%s/memory.current", rsl[NREF + 2]);
    S(rel, "1\n");
    snprintf(rel, sizeof(rel), "%s/step_batch/user/task_0/cgroup.procs", rsl[NREF + 2]);
    S(rel, pid_line(good.pid, l, sizeof(l)));
    /* pids that cannot be: over any pid_max, and cut by no newline */
    snprintf(rel, sizeof(rel), "%s/memory.current", rsl[NREF + 3]);
    S(rel, "1\n");
    snprintf(rel, sizeof(rel), "%s/step_batch/slurm/cgroup.procs", rsl[NREF + 3]);
    char procs[64];
    snprintf(procs, sizeof(procs), "99999999999\n%d", (int)good.pid);
    S(rel, procs);

    /* the titles that answer: 4242 (squeue would say 1), 77 after a pid of
     * another pid namespace (0) and a dead one */
    S("s6W9M92WQK0X00/memory.current", "1000\n");
    S("s6W9M92WQK0X00/step_batch/slurm/cgroup.procs", pid_line(good.pid, l, sizeof(l)));
    S("s6W9M92WQK0X00/step_batch/user/task_0/cgroup.procs", "1\n");
    S("s6W9M92WQKFT00/memory.current", "77\n");
    char mixed[96];
    snprintf(mixed, sizeof(mixed), "0\n%d\n%d\n", (int)dead, (int)mgr.pid);
    S("s6W9M92WQKFT00/step_extern/slurm/cgroup.procs", mixed);
    /* unreadable title (the stepd is gone): squeue answers, 10 */
    S("s6W9M92WQP8C00/memory.current", "2000\n");
    S("s6W9M92WQP8C00/step_batch/slurm/cgroup.procs", pid_line(dead, l, sizeof(l)));
#undef S

    struct cgnode n;
    node_init(&n, root, bin, 10);
    struct scanned s = node_scan(&n);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.m->n, 4);
    assert_non_null(find(s.m, 4242));
    assert_int_equal(find(s.m, 4242)->mem_bytes, 1000);
    assert_null(find(s.m, 1)); /* squeue's answer was not asked for */
    assert_int_equal(find(s.m, 77)->mem_bytes, 77);
    assert_int_equal(find(s.m, 10)->mem_bytes, 2000);
    assert_int_equal(find(s.m, 101)->mem_bytes, 100);
    /* no squeue for the titled jobs; one for each refused or unreadable */
    assert_int_equal(squeue_calls(bin, "--jobs=s6W9M92WQK0X00"), 0);
    assert_int_equal(squeue_calls(bin, "--jobs=s6W9M92WQKFT00"), 0);
    assert_int_equal(squeue_calls(bin, "--jobs=s6W9M92WQP8C00"), 1);
    for (size_t i = 0; i < NREF + 4; i++) {
        char want[64];
        snprintf(want, sizeof(want), "--jobs=%s", rsl[i]);
        if (squeue_calls(bin, want) != 1)
            fail_msg("%s (%s): squeue not asked once", rsl[i], i < NREF ? refused[i] : "");
    }
    assert_int_equal(squeue_calls(bin, NULL), 1 + NREF + 4);
    char *t = render_scan(&s);
    assert_double_exact(tu_sample(t, "slurm_job_cgroup_memory_bytes{job_id=\"4242\"}"), 1000);
    assert_double_exact(tu_sample(t, "slurm_cgroup_jobs_unresolved"), NREF + 4);
    assert_double_exact(tu_sample(t, "slurm_cgroup_sluid_lookups_total"), 1 + NREF + 4);
    free(t);
    tu_result_free(s.r);

    /* the next refresh: the answers are kept (the stepds may be gone: the
     * squeue runs above killed them, they were no child squeue), no squeue */
    s = node_scan(&n);
    assert_int_equal(s.m->n, 4);
    assert_non_null(find(s.m, 4242));
    assert_non_null(find(s.m, 77));
    assert_int_equal(squeue_calls(bin, NULL), 1 + NREF + 4);
    tu_result_free(s.r);
    node_free(&n);
    stop_titled(&good);
    stop_titled(&mgr);
    stop_titled(&c1);
    stop_titled(&c2);
    for (size_t i = 0; i < NREF; i++)
        stop_titled(&bad[i]);

    /* without the source's state (no cache, no squeue) titles still answer */
    good = spawn_titled("slurmstepd: [4242.batch]");
    mgr = spawn_titled("slurmstepd: [77.extern stepmgr]");
    snprintf(p, sizeof(p), "%ss6W9M92WQK0X00/step_batch/slurm/cgroup.procs", sc);
    put(R, p, pid_line(good.pid, l, sizeof(l)));
    snprintf(p, sizeof(p), "%ss6W9M92WQKFT00/step_extern/slurm/cgroup.procs", sc);
    put(R, p, pid_line(mgr.pid, l, sizeof(l)));
    s = scan(root);
    assert_int_equal(s.m->n, 3); /* 4242, 77, 101 */
    assert_non_null(find(s.m, 4242));
    assert_non_null(find(s.m, 77));
    assert_int_equal(squeue_calls(bin, NULL), 1 + NREF + 4);
    tu_result_free(s.r);
    stop_titled(&good);
    stop_titled(&mgr);
    rm_rf(R);
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

    /* SLUIDs: Slurm's own test vector (testsuite/slurm_unit/common/sluid-test.c)
     * and real pairs from a 26.05.5 cluster (sacct --json: job 1, 10, 11). */
    uint64_t sl = 0;
    char str[CGROUP_SLUID_LEN + 1];
    assert_true(cgroup_sluid_dir("sBR1JB8J1YM400", &sl));
    assert_true(sl == 0xbc064b4483ea1000ull);
    cgroup_sluid_str(0xbc064b4483ea1000ull, str);
    assert_string_equal(str, "sBR1JB8J1YM400");
    assert_true(cgroup_sluid_dir("s6W9M92WQK0X00", &sl));
    /* [12-bit cluster][42-bit unix ms][10-bit sequence]: cluster 1762,
     * 2026-12-05 10:41:53.693 UTC (when job 1 was submitted), sequence 0 */
    assert_int_equal(sl >> 52, 1762);
    assert_true(((sl >> 10) & ((1ull << 42) - 1)) == 1796467313693ull);
    assert_int_equal(sl & 0x3ff, 0);
    cgroup_sluid_str(sl, str);
    assert_string_equal(str, "s6W9M92WQK0X00");
    /* jobs 10 and 11, submitted a millisecond apart: nothing of 10 or 11 in them */
    uint64_t s10 = 0, s11 = 0;
    assert_true(cgroup_sluid_dir("s6W9M92WQP8C00", &s10));
    assert_true(cgroup_sluid_dir("s6W9M92WQP8D00", &s11));
    assert_true(s11 - s10 == 1ull << 10);
    cgroup_sluid_str(UINT64_MAX, str);
    assert_string_equal(str, "sFZZZZZZZZZZZZ");
    assert_true(cgroup_sluid_dir(str, &sl) && sl == UINT64_MAX);
    static const char *const bad[] = {"",
                                      "s",
                                      "s6W9M92WQK0X0",
                                      "s6W9M92WQK0X000",
                                      "s6w9m92wqk0x00",
                                      "S6W9M92WQK0X00",
                                      "s6W9M92WQKUX00",
                                      "s6W9M92WQKIX00",
                                      "s6W9M92WQKLX00",
                                      "s6W9M92WQKOX00",
                                      "sG000000000000",
                                      "s0000000000000",
                                      "s6W9M92WQK0X0 ",
                                      "job_1",
                                      "system"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl = 7;
        assert_false(cgroup_sluid_dir(bad[i], &sl));
        assert_true(sl == 7);
    }

    /* squeue --noheader --jobs=SLUID --Format=SLUID:0|,JobID:0| */
    const char *want = "s6W9M92WQK0X00";
    id = 0;
#define L(t) t, strlen(t), want, &id
    assert_true(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|1|")));
    assert_int_equal(id, 1);
    assert_true(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|4294967293")));
    assert_int_equal(id, 4294967293u);
    id = 5;
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQP8C00|10|"))); /* another job's */
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|0|")));
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|4294967294|"))); /* NO_VAL */
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|4294967296|")));
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|1_2|"))); /* array syntax */
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|1|x|")));
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00||")));
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00|")));
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X00")));
    assert_false(cgroup_parse_sluid_line(L("s6W9M92WQK0X001|1|")));
    assert_false(cgroup_parse_sluid_line(L("CLUSTER: c")));
    assert_int_equal(id, 5);
#undef L

    /* slurmstepd's title as /proc/<pid>/cmdline shows it: "slurmstepd: " and
     * "[<job>.<step>]" (log_build_step_id_str, STEP_ID_FLAG_NO_PREFIX), NUL
     * padded. Lengths given, so embedded NULs count. */
    static const struct {
        const char *t;
        size_t len;
        const char *step;
        uint32_t id; /* 0: refused */
    } tt[] = {
#define T(lit, step, id) {lit, sizeof(lit) - 1, step, id}
        T("slurmstepd: [1234.batch]\0", "batch", 1234),
        T("slurmstepd: [1234.batch]\0\0\0\0\0\0\0\0", "batch", 1234), /* padding */
        T("slurmstepd: [1234.batch]", "batch", 1234),
        T("slurmstepd: [1234.extern]\0", "extern", 1234),
        T("slurmstepd: [1234.interactive]\0", "interactive", 1234),
        T("slurmstepd: [1234.0]\0", "0", 1234),
        T("slurmstepd: [1234.17+1]\0", "17+1", 1234), /* a het component without SLUID */
        T("slurmstepd: [1234.batch stepmgr]\0", "batch", 1234),
        T("slurmstepd: [4294967293.batch]\0", "batch", 4294967293u),
        T("slurmstepd: [1.TBD]\0", "TBD", 1),
        /* refused */
        T("slurmstepd: [s6W9M92WQK0X00.batch]\0", "batch", 0), /* SLUID: no job id */
        T("slurmstepd: [1234.batch]\0", "extern", 0),          /* another step */
        T("slurmstepd: [1234.0]\0", "01", 0),
        T("slurmstepd: [1234.01]\0", "0", 0),
        T("slurmstepd: [1234.batch\0", "batch", 0),
        T("slurmstepd: [1234.batch", "batch", 0),
        T("slurmstepd: [1234.batch] \0", "batch", 0),
        T("slurmstepd: [1234.batch]x", "batch", 0),
        T("slurmstepd: [1234.batch]\0x\0", "batch", 0), /* another argument */
        T("slurmstepd: [1234.batch stepmgr x]\0", "batch", 0),
        T("slurmstepd: [1234.batch  stepmgr]\0", "batch", 0),
        T("slurmstepd: [1234.batchstepmgr]\0", "batch", 0),
        T("slurmstepd: [1234.batch]\0", "batch]", 0), /* not a step name */
        T("slurmstepd: [1234.b]\0", "b]", 0),
        T("slurmstepd: [1234.]\0", "", 0),
        T("slurmstepd: [1234batch]\0", "batch", 0),
        T("slurmstepd: [1234]\0", "batch", 0),
        T("slurmstepd: [0.batch]\0", "batch", 0),
        T("slurmstepd: [01234.batch]\0", "batch", 0),
        T("slurmstepd: [+1234.batch]\0", "batch", 0),
        T("slurmstepd: [-1.batch]\0", "batch", 0),
        T("slurmstepd: [ 1234.batch]\0", "batch", 0),
        T("slurmstepd: [4294967294.batch]\0", "batch", 0), /* NO_VAL */
        T("slurmstepd: [4294967295.batch]\0", "batch", 0), /* INFINITE */
        T("slurmstepd: [4294967296.batch]\0", "batch", 0),
        T("slurmstepd: [99999999999.batch]\0", "batch", 0),
        T("slurmstepd: [18446744073709551617.batch]\0", "batch", 0),
        T("slurmstepd:[1234.batch]\0", "batch", 0),
        T("slurmstepd: 1234.batch]\0", "batch", 0),
        T("slurmstepd [1234.batch]\0", "batch", 0),
        T("Slurmstepd: [1234.batch]\0", "batch", 0),
        T("/usr/sbin/slurmstepd: [1234.batch]\0", "batch", 0),
        T("slurmd: [1234.batch]\0", "batch", 0),
        T("slurmstepd: [1234:namespace]\0", "batch", 0), /* ns_infinity */
        T("/usr/sbin/slurmstepd\0", "batch", 0),         /* before the title is set */
        T("slurmstepd\0infinity\0", "batch", 0),
        T("\0slurmstepd: [1234.batch]\0", "batch", 0),
        T("", "batch", 0),
        T("slurmstepd: [", "batch", 0),
        T("slurmstepd: [1", "batch", 0),
        T("slurmstepd: [1.", "batch", 0),
#undef T
    };
    for (size_t i = 0; i < sizeof(tt) / sizeof(tt[0]); i++) {
        uint32_t got = 7;
        bool ok = cgroup_parse_stepd_title(tt[i].t, tt[i].len, tt[i].step, &got);
        if (ok != (tt[i].id != 0) || (ok && got != tt[i].id) || (!ok && got != 7))
            fail_msg("title %zu \"%s\" step %s: %s %u", i, tt[i].t, tt[i].step,
                     ok ? "accepted" : "refused", got);
    }
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
        cmocka_unit_test(test_v2_sluid_dirs),
        cmocka_unit_test(test_v2_sluid_lookup_failures),
        cmocka_unit_test(test_v2_sluid_stepd_titles),
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_collector_absent_and_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
