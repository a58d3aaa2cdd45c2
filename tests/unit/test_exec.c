/* SPDX-License-Identifier: Apache-2.0 */
/* exec_run with small real programs (argv only, absolute paths): line
 * splitting, exit codes, stderr, timeouts, output caps, spawn errors, every
 * line reaching the parser, and no leaked descriptors or zombies; processes
 * a command leaves in sessions of their own killed and reaped; the child
 * environment and program lookup. */
#include "testutil.h"

#include "sources/exec.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXLINES 4096

struct lines {
    char *v[MAXLINES];
    size_t n;
};

static void collect(void *ctx, const char *line, size_t len)
{
    struct lines *l = ctx;
    if (l->n < MAXLINES) {
        /* lines are not NUL-terminated: no strndup (strict_string_checks) */
        char *c = malloc(len + 1);
        assert_non_null(c);
        memcpy(c, line, len);
        c[len] = '\0';
        l->v[l->n] = c;
    }
    l->n++;
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n && i < MAXLINES; i++)
        free(l->v[i]);
    memset(l, 0, sizeof(*l));
}

static char *const c_env[] = {(char *)"LC_ALL=C", (char *)"PATH=/usr/bin:/bin", NULL};

static int run(const char *path, char *const *argv, double timeout, size_t max_bytes,
               size_t max_line, struct lines *l, struct exec_result *res)
{
    struct exec_opts o = {
        .path = path,
        .argv = argv,
        .envp = c_env,
        .timeout_s = timeout,
        .max_bytes = max_bytes,
        .max_line = max_line,
    };
    return exec_run(&o, collect, l, res);
}

#define ARGV(...) ((char *const[]){__VA_ARGS__, NULL})

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_lines(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    int rc = run("/bin/printf", ARGV("printf", "a\\nbb\\n\\nccc"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(res.exit_code, 0);
    assert_false(res.timed_out);
    assert_false(res.too_big);
    assert_int_equal(res.stdout_bytes, 9);
    assert_int_equal(l.n, 4); /* the last line has no newline */
    assert_string_equal(l.v[0], "a");
    assert_string_equal(l.v[1], "bb");
    assert_string_equal(l.v[2], "");
    assert_string_equal(l.v[3], "ccc");
    assert_string_equal(res.err, "");
    lines_free(&l);

    rc = run("/bin/echo", ARGV("echo", "hello", "world"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "hello world");
    lines_free(&l);

    /* no output at all; stdin is /dev/null (cat would otherwise wait) */
    rc = run("/bin/cat", ARGV("cat"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(res.stdout_bytes, 0);
    assert_true(res.duration_s < 2);
    lines_free(&l);
}

/* Many lines across many pipe reads: none lost, none split. */
static void test_many_lines(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    /* printf repeats its format for each argument */
    char *argv[3003];
    char nums[3000][12];
    argv[0] = (char *)"printf";
    argv[1] = (char *)"line-%s-0123456789012345678901234567890123456789\\n";
    for (int i = 0; i < 3000; i++) {
        snprintf(nums[i], sizeof(nums[i]), "%d", i);
        argv[2 + i] = nums[i];
    }
    argv[3002] = NULL;
    int rc = run("/bin/printf", argv, 10, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 3000);
    for (int i = 0; i < 3000; i += 499) {
        char want[96];
        snprintf(want, sizeof(want), "line-%d-0123456789012345678901234567890123456789", i);
        assert_string_equal(l.v[i], want);
    }
    assert_string_equal(l.v[2999], "line-2999-0123456789012345678901234567890123456789");
    lines_free(&l);
}

static void test_exit_codes_and_stderr(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    int rc = run("/bin/false", ARGV("false"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, -EIO);
    assert_int_equal(res.exit_code, 1);
    lines_free(&l);

    rc = run("/bin/ls", ARGV("ls", "/nonexistent-se-a", "/nonexistent-se-b"), 5, 1 << 20, 1 << 16,
             &l, &res);
    assert_int_equal(rc, -EIO);
    assert_int_equal(res.exit_code, 2);
    assert_int_equal(l.n, 0);
    assert_non_null(strstr(res.err, "nonexistent-se-a"));
    assert_non_null(strstr(res.err, "nonexistent-se-b"));
    assert_non_null(strstr(res.err, "No such file or directory"));
    assert_null(strchr(res.err, '\n')); /* newlines folded */
    assert_true(strlen(res.err) < sizeof(res.err));
    lines_free(&l);
}

static void test_timeout(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    double t0 = mono();
    int rc = run("/bin/sleep", ARGV("sleep", "10"), 0.3, 1 << 20, 1 << 16, &l, &res);
    double took = mono() - t0;
    assert_int_equal(rc, -ETIMEDOUT);
    assert_true(res.timed_out);
    assert_int_equal(res.exit_code, 128 + 9); /* SIGKILL */
    if (took >= 2.0 || took < 0.25)
        fail_msg("timeout of 0.3 s took %.3f s", took);
    assert_true(res.duration_s < 2.0);
    lines_free(&l);
}

struct cancel_arg {
    int fd;
    double after_s;
};

static void *cancel_later(void *arg)
{
    struct cancel_arg *a = arg;
    struct timespec ts = {0, (long)(a->after_s * 1e9)};
    nanosleep(&ts, NULL);
    char b = 1;
    ssize_t n = write(a->fd, &b, 1);
    (void)n;
    return NULL;
}

/* A readable cancel fd kills the command's whole group at once: a
 * stopping exporter does not wait out a command stuck on a dead
 * controller. */
static void test_cancel(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct lines l = {0};
    struct exec_result res;
    memset(&res, 0, sizeof(res));
    struct exec_opts o = {
        .path = "/bin/sh",
        .argv = ARGV("sh", "-c", "echo started; sleep 30 & sleep 30"),
        .envp = c_env,
        .timeout_s = 20,
        .max_bytes = 1 << 20,
        .max_line = 1 << 16,
        .cancel_fd = &p[0],
    };
    struct cancel_arg a = {p[1], 0.3};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_later, &a), 0);
    double t0 = mono();
    int rc = exec_run(&o, collect, &l, &res);
    double took = mono() - t0;
    pthread_join(t, NULL);
    assert_int_equal(rc, -ECANCELED);
    assert_false(res.timed_out);
    if (took >= 2.0 || took < 0.25)
        fail_msg("cancel after 0.3 s took %.3f s", took);
    assert_true(l.n == 1 && strcmp(l.v[0], "started") == 0);
    /* without a cancel fd the same options run to their end */
    o.cancel_fd = NULL;
    o.argv = ARGV("sh", "-c", "echo x");
    lines_free(&l);
    assert_int_equal(exec_run(&o, collect, &l, &res), 0);
    close(p[0]);
    close(p[1]);
    lines_free(&l);
}

static void test_output_caps(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    /* total output cap */
    int rc = run("/bin/printf", ARGV("printf", "%0500d\\n", "0"), 5, 100, 1 << 16, &l, &res);
    assert_int_equal(rc, -EFBIG);
    assert_true(res.too_big);
    assert_int_equal(l.n, 0);
    lines_free(&l);
    /* an endless producer is stopped by the cap, quickly */
    double t0 = mono();
    rc = run("/usr/bin/yes", ARGV("yes"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, -EFBIG);
    assert_true(res.too_big);
    assert_true(mono() - t0 < 2.0);
    assert_true(l.n > 1000);
    assert_string_equal(l.v[0], "y");
    lines_free(&l);
    /* one line over the line cap */
    rc = run("/bin/printf", ARGV("printf", "ok\\n%0500d\\n", "0"), 5, 1 << 20, 100, &l, &res);
    assert_int_equal(rc, -EFBIG);
    assert_true(res.too_big);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "ok");
    lines_free(&l);
    /* a line of exactly the cap is fine */
    rc = run("/bin/printf", ARGV("printf", "%0100d", "0"), 5, 1 << 20, 100, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(strlen(l.v[0]), 100);
    lines_free(&l);
}

static void test_spawn_errors(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    int rc = run("/nonexistent/se-prog", ARGV("se-prog"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(res.err, "/nonexistent/se-prog"));
    assert_int_equal(l.n, 0);
    /* a file that is not executable */
    rc = run("/etc/passwd", ARGV("passwd"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, -EACCES);
    lines_free(&l);
}

/* A line callback cannot stop the command: every line reaches it (one
 * line a parser cannot read must not cost the lines after it). */
static void test_every_line_delivered(void **state)
{
    (void)state;
    struct lines l = {0};
    struct exec_result res;
    int rc = run("/usr/bin/seq", ARGV("seq", "1", "4000"), 30, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 4000);
    assert_string_equal(l.v[0], "1");
    assert_string_equal(l.v[2999], "3000");
    lines_free(&l);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Nothing is left behind: no descriptors, no children. */
static void test_no_leaks(void **state)
{
    (void)state;
    int before = count_fds();
    struct lines l = {0};
    struct exec_result res;
    for (int i = 0; i < 3; i++) {
        run("/bin/echo", ARGV("echo", "x"), 5, 1 << 20, 1 << 16, &l, &res);
        run("/bin/false", ARGV("false"), 5, 1 << 20, 1 << 16, &l, &res);
        run("/bin/sleep", ARGV("sleep", "5"), 0.1, 1 << 20, 1 << 16, &l, &res);
        run("/usr/bin/yes", ARGV("yes"), 5, 4096, 1 << 16, &l, &res);
        run("/nonexistent/x", ARGV("x"), 5, 1 << 20, 1 << 16, &l, &res);
        run("/bin/ls", ARGV("ls", "/nonexistent-se"), 5, 1 << 20, 1 << 16, &l, &res);
        lines_free(&l);
    }
    assert_int_equal(count_fds(), before);
    errno = 0;
    pid_t w = waitpid(-1, NULL, WNOHANG);
    assert_int_equal(w, -1);
    assert_int_equal(errno, ECHILD);
}

/* The child sees none of our descriptors beyond 0-2. */
static void test_no_fd_inherited(void **state)
{
    (void)state;
    int fd = open("/dev/null", O_RDONLY); /* not close-on-exec */
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 200), 200);
    struct lines l = {0};
    struct exec_result res;
    int rc = run("/bin/ls", ARGV("ls", "/proc/self/fd"), 5, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_true(l.n >= 3);
    for (size_t i = 0; i < l.n; i++) {
        int n = atoi(l.v[i]);
        /* 0-2 and the one ls opens for its own directory listing */
        if (n > 3)
            fail_msg("descriptor %d leaked into the child", n);
    }
    lines_free(&l);
    close(200);
    close(fd);
}

static size_t env_count(char **env, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (size_t i = 0; env[i]; i++)
        n += strncmp(env[i], prefix, pl) == 0;
    return n;
}

static bool env_has(char **env, const char *kv)
{
    for (size_t i = 0; env[i]; i++)
        if (strcmp(env[i], kv) == 0)
            return true;
    return false;
}

static void test_build_env(void **state)
{
    (void)state;
    char *in[] = {(char *)"SQUEUE_FORMAT=%i",
                  (char *)"SQUEUE_SORT=-t",
                  (char *)"SLURM_TIME_FORMAT=relative",
                  (char *)"SINFO_FORMAT=%N",
                  (char *)"LANG=de_DE.UTF-8",
                  (char *)"LANGUAGE=de",
                  (char *)"LC_ALL=de_DE.UTF-8",
                  (char *)"LC_NUMERIC=de_DE.UTF-8",
                  (char *)"TZ=Europe/Berlin",
                  (char *)"SLURM_CONF=/etc/slurm/slurm.conf",
                  (char *)"HOME=/root",
                  (char *)"PATH=/usr/bin:/bin",
                  (char *)"SACCT_FORMAT=x",
                  (char *)"SLURM_CLUSTERS=c2",
                  (char *)"USER=root",
                  NULL};
    char **env = exec_build_env(in, "/opt/slurm/bin");
    assert_non_null(env);
    assert_true(env_has(env, "SLURM_CONF=/etc/slurm/slurm.conf"));
    assert_true(env_has(env, "HOME=/root"));
    assert_true(env_has(env, "USER=root"));
    assert_true(env_has(env, "LC_ALL=C"));
    assert_true(env_has(env, "SLURM_TIME_FORMAT=%s"));
    assert_true(env_has(env, "TZ=UTC"));
    assert_true(env_has(env, "PATH=/opt/slurm/bin:/usr/bin:/bin"));
    assert_int_equal(env_count(env, "SQUEUE_"), 0);
    assert_int_equal(env_count(env, "SINFO_"), 0);
    assert_int_equal(env_count(env, "SACCT_"), 0);
    assert_int_equal(env_count(env, "LANG="), 0);
    assert_int_equal(env_count(env, "LANGUAGE="), 0);
    assert_int_equal(env_count(env, "LC_NUMERIC="), 0);
    assert_int_equal(env_count(env, "SLURM_CLUSTERS="), 0);
    /* every pinned variable exactly once */
    assert_int_equal(env_count(env, "LC_ALL="), 1);
    assert_int_equal(env_count(env, "SLURM_TIME_FORMAT="), 1);
    assert_int_equal(env_count(env, "TZ="), 1);
    assert_int_equal(env_count(env, "PATH="), 1);
    assert_int_equal(env_count(env, "SLURM_CONF="), 1);
    size_t n = 0;
    while (env[n])
        n++;
    assert_int_equal(n, 7); /* SLURM_CONF HOME USER, then LC_ALL TZ SLURM_TIME_FORMAT PATH */
    exec_free_env(env);

    /* no PATH, no bin path: a sane default */
    char *bare[] = {(char *)"HOME=/", NULL};
    env = exec_build_env(bare, NULL);
    assert_true(env_has(env, "PATH=/usr/local/bin:/usr/bin:/bin"));
    assert_true(env_has(env, "HOME=/"));
    exec_free_env(env);
    env = exec_build_env(NULL, "");
    assert_true(env_has(env, "PATH=/usr/local/bin:/usr/bin:/bin"));
    assert_true(env_has(env, "LC_ALL=C"));
    exec_free_env(env);
    exec_free_env(NULL);
}

/* The environment reaches the child as built. */
static void test_env_reaches_child(void **state)
{
    (void)state;
    char *in[] = {(char *)"SQUEUE_FORMAT=%i", (char *)"SE_TEST_KEEP=1", NULL};
    char **env = exec_build_env(in, NULL);
    struct exec_opts o = {
        .path = "/usr/bin/env",
        .argv = ARGV("env"),
        .envp = env,
        .timeout_s = 5,
        .max_bytes = 1 << 20,
        .max_line = 1 << 16,
    };
    struct lines l = {0};
    struct exec_result res;
    assert_int_equal(exec_run(&o, collect, &l, &res), 0);
    bool keep = false, lc = false, fmt = false;
    for (size_t i = 0; i < l.n; i++) {
        keep |= strcmp(l.v[i], "SE_TEST_KEEP=1") == 0;
        lc |= strcmp(l.v[i], "LC_ALL=C") == 0;
        fmt |= strncmp(l.v[i], "SQUEUE_FORMAT=", 14) == 0;
    }
    assert_true(keep);
    assert_true(lc);
    assert_false(fmt);
    lines_free(&l);
    exec_free_env(env);
}

static void test_resolve(void **state)
{
    (void)state;
    char *p = exec_resolve("ls", NULL, "/nonexistent-se:/bin");
    assert_non_null(p);
    assert_string_equal(p, "/bin/ls");
    free(p);
    p = exec_resolve("ls", "/usr/bin", "/nonexistent-se");
    assert_non_null(p);
    assert_string_equal(p, "/usr/bin/ls");
    free(p);
    /* the bin path replaces PATH: not found there, not searched further */
    assert_null(exec_resolve("ls", "/nonexistent-se", "/bin"));
    assert_null(exec_resolve("se-no-such-command", NULL, "/bin:/usr/bin"));
    /* empty PATH entries are skipped */
    p = exec_resolve("ls", NULL, "::/bin:");
    assert_non_null(p);
    assert_string_equal(p, "/bin/ls");
    free(p);
    /* absolute paths are checked, not searched */
    p = exec_resolve("/bin/ls", NULL, "/nonexistent-se");
    assert_non_null(p);
    assert_string_equal(p, "/bin/ls");
    free(p);
    assert_null(exec_resolve("/nonexistent-se/ls", NULL, "/bin"));
    assert_null(exec_resolve("/etc/passwd", NULL, "/bin")); /* not executable */
}

/* Whether pid is gone: it was our child and has been reaped (or was never ours). */
static bool gone(pid_t pid)
{
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* A command that starts processes in sessions of their own (setsid: out of
 * reach of the process-group kill) and waits until they run: they are killed
 * and reaped when it ends, and so are the processes they started in turn. */
static void test_strays_killed(void **state)
{
    (void)state;
    char dir[] = "/tmp/se-exec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char script[1024];
    /* $1: a file the stray writes its pid to once it runs in its new session;
     * its own child moves to a third session and writes $1.2 */
    snprintf(script, sizeof(script),
             "setsid sh -c 'setsid sh -c \"echo \\$\\$ > \\$0.2; exec sleep 1000\" \"$0\" & "
             "echo $$ > $0; exec sleep 1000' \"$1\" </dev/null >/dev/null 2>&1 &\n"
             "i=0; while { [ ! -s $1 ] || [ ! -s $1.2 ]; } && [ $i -lt 1000 ]; do sleep 0.01; "
             "i=$((i+1)); done\n"
             "cat $1 $1.2\n");
    char pidfile[64];
    snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
    struct lines l = {0};
    struct exec_result res;
    int rc =
        run("/bin/sh", ARGV("sh", "-c", script, "sh", pidfile), 20, 1 << 20, 1 << 16, &l, &res);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 2);
    pid_t stray = (pid_t)atoi(l.v[0]), grandchild = (pid_t)atoi(l.v[1]);
    assert_true(stray > 1 && grandchild > 1);
    if (!gone(stray) || !gone(grandchild))
        fail_msg("left running: %d %s, %d %s", (int)stray, gone(stray) ? "gone" : "alive",
                 (int)grandchild, gone(grandchild) ? "gone" : "alive");
    assert_true(res.strays >= 1);
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* no zombie, no other child */
    assert_int_equal(errno, ECHILD);
    lines_free(&l);
    char f[80];
    snprintf(f, sizeof(f), "%s/pid.2", dir);
    unlink(f);
    unlink(pidfile);
    rmdir(dir);
}

struct bg_run {
    struct lines l;
    struct exec_result res;
    int rc;
};

static void *run_slow(void *arg)
{
    struct bg_run *b = arg;
    b->rc = run("/bin/sh", ARGV("sh", "-c", "sleep 0.5; echo done"), 20, 1 << 20, 1 << 16, &b->l,
                &b->res);
    return NULL;
}

/* A sweep after one command never touches another command that is still
 * running (it is our child too, but a listed one). */
static void test_sweep_spares_running(void **state)
{
    (void)state;
    struct bg_run b;
    memset(&b, 0, sizeof(b));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_slow, &b), 0);
    struct lines l = {0};
    struct exec_result res;
    for (int i = 0; i < 5; i++) {
        /* each leaves a process in a new session, swept when it ends */
        int rc = run("/bin/sh", ARGV("sh", "-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 &"),
                     20, 1 << 20, 1 << 16, &l, &res);
        assert_int_equal(rc, 0);
    }
    pthread_join(t, NULL);
    assert_int_equal(b.rc, 0);
    assert_int_equal(b.l.n, 1);
    assert_string_equal(b.l.v[0], "done");
    lines_free(&b.l);
    lines_free(&l);
    /* the last command's stray may have started after its sweep: one more
     * command sweeps it */
    assert_int_equal(run("/bin/true", ARGV("true"), 20, 1 << 20, 1 << 16, &l, &res), 0);
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_resolve_env(void **state)
{
    (void)state;
    char *env[] = {(char *)"A=1", (char *)"PATH=/nonexistent-se:/bin", NULL};
    char *p = exec_resolve_env("ls", NULL, env);
    assert_non_null(p);
    assert_string_equal(p, "/bin/ls");
    free(p);
    p = exec_resolve_env("ls", "/usr/bin", env);
    assert_non_null(p);
    assert_string_equal(p, "/usr/bin/ls");
    free(p);
    assert_null(exec_resolve_env("se-no-such-command", NULL, env));
    char *no_path[] = {(char *)"A=1", NULL};
    assert_null(exec_resolve_env("se-no-such-command", NULL, no_path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_exit_codes_and_stderr),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_output_caps),
        cmocka_unit_test(test_spawn_errors),
        cmocka_unit_test(test_every_line_delivered),
        cmocka_unit_test(test_no_leaks),
        cmocka_unit_test(test_no_fd_inherited),
        cmocka_unit_test(test_build_env),
        cmocka_unit_test(test_env_reaches_child),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_strays_killed),
        cmocka_unit_test(test_sweep_spares_running),
        cmocka_unit_test(test_resolve_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
