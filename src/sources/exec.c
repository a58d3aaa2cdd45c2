/* SPDX-License-Identifier: Apache-2.0 */
/* Command execution with posix_spawn (vfork-style, safe in a threaded
 * process), a pidfd to notice the exit, and poll() for a bounded run; the
 * processes a command leaves behind are killed and reaped when it ends. */
#include "sources/exec.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Variables that change what Slurm's clients print. */
static bool env_dropped(const char *kv)
{
    static const char *const prefixes[] = {
        "SQUEUE_",  "SINFO_", "SACCT_", "SACCTMGR_", "SCONTROL_", "SDIAG_", "SPRIO_", "SSHARE_",
        "SREPORT_", "SLURM_", "LC_",    "LANG=",     "LANGUAGE=", "TZ=",    "PATH=",
    };
    if (strncmp(kv, "SLURM_CONF=", 11) == 0)
        return false;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

char **exec_build_env(char *const *environ_in, const char *bin_path)
{
    size_t n = 0;
    while (environ_in && environ_in[n])
        n++;
    char **env = xcalloc(n + 5, sizeof(char *));
    size_t k = 0;
    const char *old_path = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ_in[i], "PATH=", 5) == 0)
            old_path = environ_in[i] + 5;
        if (!env_dropped(environ_in[i]))
            env[k++] = xstrdup(environ_in[i]);
    }
    env[k++] = xstrdup("LC_ALL=C");
    env[k++] = xstrdup("TZ=UTC");
    env[k++] = xstrdup("SLURM_TIME_FORMAT=%s");
    struct buf p = {0};
    buf_puts(&p, "PATH=");
    if (bin_path && *bin_path) {
        buf_puts(&p, bin_path);
        buf_putc(&p, ':');
    }
    buf_puts(&p, old_path && *old_path ? old_path : "/usr/local/bin:/usr/bin:/bin");
    env[k++] = xstrdup(buf_cstr(&p));
    buf_free(&p);
    env[k] = NULL;
    return env;
}

void exec_free_env(char **env)
{
    if (!env)
        return;
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

char *exec_resolve(const char *name, const char *bin_path, const char *path_env)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *dirs = bin_path && *bin_path ? bin_path : path_env;
    if (!dirs)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    while (*dirs) {
        const char *end = strchr(dirs, ':');
        size_t dl = end ? (size_t)(end - dirs) : strlen(dirs);
        if (dl > 0) {
            struct buf b = {0};
            buf_append(&b, dirs, dl);
            buf_putc(&b, '/');
            buf_puts(&b, name);
            if (access(buf_cstr(&b), X_OK) == 0)
                return b.p;
            buf_free(&b);
        }
        if (!end)
            break;
        dirs = end + 1;
    }
    return NULL;
}

char *exec_resolve_env(const char *name, const char *bin_path, char *const *env)
{
    const char *path_env = NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], "PATH=", 5) == 0)
            path_env = env[i] + 5;
    char *path = exec_resolve(name, bin_path, path_env);
    if (path)
        log_msg(LOG_INFO, "command found", "command", name, "path", path);
    return path;
}

/* ---- strays --------------------------------------------------------------
 * A command's background children in its process group die with the group
 * kill at its end. One that moved to a session or group of its own (setsid,
 * a daemonizing helper) is out of that kill's reach, so the exporter is a
 * child subreaper: such a process becomes the exporter's child when its
 * parent ends, instead of init's. Every child of the exporter is then either
 * a command some exec_run call is running (listed in g_running) or a stray,
 * and after each command ends exec_run kills and reaps the strays (and,
 * round by round, the children they leave in turn). A stray of another
 * command still running is killed then too: its parent has already ended,
 * and nothing a Slurm command starts is meant to outlive it. */

struct running {
    pid_t pid;
    struct running *next;
};

static pthread_mutex_t g_run_mu = PTHREAD_MUTEX_INITIALIZER;   /* g_running, g_spawning */
static pthread_mutex_t g_sweep_mu = PTHREAD_MUTEX_INITIALIZER; /* one sweep at a time */
static struct running *g_running; /* commands spawned and not yet reaped */
static int g_spawning;            /* posix_spawn calls whose pid is not listed yet */
static pthread_once_t g_reaper_once = PTHREAD_ONCE_INIT;
static struct log_limit g_stray_lim;

#define STRAY_BATCH 256  /* strays handled per round */
#define STRAY_ROUNDS 32  /* generations of a stray's descendants per sweep */
#define STRAY_WAIT_S 0.5 /* for killed strays to die; the rest waits for the next sweep */

static void become_subreaper(void)
{
    /* Without it (a kernel before 3.4) strays go to init, as they did before. */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static bool is_running_locked(pid_t pid)
{
    for (const struct running *r = g_running; r; r = r->next)
        if (r->pid == pid)
            return true;
    return false;
}

/* The parent pid in /proc/PID/stat ("pid (comm) state ppid ..."; comm may
 * hold spaces and parentheses, so the last ')' ends it), or -1. */
static pid_t stat_ppid(const char *pid)
{
    char path[300], st[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, st, sizeof(st) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    st[n] = '\0';
    const char *e = strrchr(st, ')');
    char state;
    int ppid;
    if (!e || sscanf(e + 1, " %c %d", &state, &ppid) != 2)
        return -1;
    return (pid_t)ppid;
}

/* Fills out with up to cap children of this process that no exec_run call
 * is running, with g_run_mu held; returns how many. With no command running
 * and no child at all (the usual case) it returns at once; otherwise it reads
 * /proc/N/stat of every process (/proc/self/task/T/children is not built into
 * every kernel). While a command is being spawned nothing is listed: its pid
 * is not known yet, and the next sweep comes soon. */
static size_t find_strays_locked(pid_t *out, size_t cap)
{
    if (g_spawning > 0)
        return 0;
    if (!g_running) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
            return 0;
    }
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    pid_t self = getpid();
    size_t n = 0;
    const struct dirent *de;
    while (n < cap && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        if (stat_ppid(de->d_name) != self)
            continue;
        pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
        if (!is_running_locked(pid))
            out[n++] = pid;
    }
    closedir(d);
    return n;
}

/* Kills the strays (each with its process group when it leads one: those
 * are its own descendants) and reaps them, round after round as their
 * children become ours, for at most STRAY_WAIT_S. Returns how many were
 * reaped. A stray that will not die in time (stuck in the kernel) or cannot
 * be killed (it gained privileges) is left to the next sweep. */
static unsigned sweep_strays(void)
{
    pid_t strays[STRAY_BATCH];
    unsigned reaped = 0;
    double deadline = mono_now_s() + STRAY_WAIT_S;
    pthread_mutex_lock(&g_sweep_mu);
    for (int round = 0; round < STRAY_ROUNDS; round++) {
        pthread_mutex_lock(&g_run_mu);
        size_t n = find_strays_locked(strays, STRAY_BATCH);
        pthread_mutex_unlock(&g_run_mu);
        /* Unlisted children are ours alone to reap (one sweep at a time),
         * so their pids cannot be reused before the waitpid below. */
        size_t progress = 0;
        for (size_t i = 0; i < n; i++) {
            if (getpgid(strays[i]) == strays[i])
                kill(-strays[i], SIGKILL);
            if (kill(strays[i], SIGKILL) == 0)
                progress++;
        }
        bool pending = false;
        for (size_t i = 0; i < n; i++) {
            int st;
            pid_t w = waitpid(strays[i], &st, WNOHANG);
            if (w == strays[i])
                reaped++;
            else if (w == 0)
                pending = true;
        }
        if (n == 0 || progress == 0 || mono_now_s() > deadline)
            break;
        if (pending) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    pthread_mutex_unlock(&g_sweep_mu);
    return reaped;
}

static void fold_stderr(struct exec_result *res, const char *data, size_t n, size_t *used)
{
    for (size_t i = 0; i < n && *used + 1 < sizeof(res->err); i++) {
        char c = data[i];
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        res->err[(*used)++] = c;
    }
    res->err[*used] = '\0';
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

int exec_run(const struct exec_opts *o, exec_line_fn fn, void *ctx, struct exec_result *res)
{
    memset(res, 0, sizeof(*res));
    double start = mono_now_s();
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    int rc = 0, pidfd = -1;
    pid_t pid = -1;
    struct buf line = {0};
    size_t err_used = 0;
    struct running me = {-1, NULL};

    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        rc = -errno;
        goto out;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    pthread_once(&g_reaper_once, become_subreaper);
    pthread_mutex_lock(&g_run_mu);
    g_spawning++;
    pthread_mutex_unlock(&g_run_mu);
    int se = posix_spawn(&pid, o->path, &fa, &at, o->argv, o->envp);
    pthread_mutex_lock(&g_run_mu);
    g_spawning--;
    if (se == 0) {
        me.pid = pid;
        me.next = g_running;
        g_running = &me;
    }
    pthread_mutex_unlock(&g_run_mu);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(out[1]);
    close(err[1]);
    out[1] = err[1] = -1;
    if (se != 0) {
        pid = -1;
        rc = -se;
        snprintf(res->err, sizeof(res->err), "cannot run %s: %s", o->path, strerror(se));
        goto out;
    }
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);

    bool out_open = true, err_open = true, exited = false;
    double exited_at = 0;
    char chunk[65536];
    while (out_open || err_open) {
        double now = mono_now_s();
        double left = o->timeout_s - (now - start);
        /* After the command exits, a background child that kept the pipes
         * open gets one second, then we stop reading: the output is complete. */
        if (exited && now - exited_at > 1.0)
            break;
        if (exited && left > 1.0)
            left = 1.0;
        if (left <= 0) {
            res->timed_out = true;
            rc = -ETIMEDOUT;
            break;
        }
        struct pollfd pf[4] = {{out_open ? out[0] : -1, POLLIN, 0},
                               {err_open ? err[0] : -1, POLLIN, 0},
                               {exited ? -1 : pidfd, POLLIN, 0},
                               {o->cancel_fd ? *o->cancel_fd : -1, POLLIN, 0}};
        int pr = poll(pf, 4, (int)(left * 1000) + 1);
        if (pr < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (pr > 0 && pf[3].revents) {
            snprintf(res->err, sizeof(res->err), "cancelled: the exporter is stopping");
            rc = -ECANCELED;
            break;
        }
        if (pf[2].revents && !exited) {
            exited = true;
            exited_at = mono_now_s();
        } /* keep draining the pipes; a grandchild may hold them */
        if (pf[1].revents) {
            ssize_t n = read(err[0], chunk, sizeof(chunk));
            if (n > 0)
                fold_stderr(res, chunk, (size_t)n, &err_used);
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                err_open = false;
        }
        if (pf[0].revents) {
            ssize_t n = read(out[0], chunk, sizeof(chunk));
            if (n == 0) {
                out_open = false;
            } else if (n < 0) {
                if (errno != EAGAIN && errno != EINTR)
                    out_open = false;
            } else {
                res->stdout_bytes += (size_t)n;
                if (res->stdout_bytes > o->max_bytes) {
                    res->too_big = true;
                    rc = -EFBIG;
                    break;
                }
                size_t pos = 0;
                while (pos < (size_t)n && rc == 0) {
                    char *nl = memchr(chunk + pos, '\n', (size_t)n - pos);
                    size_t take = nl ? (size_t)(nl - (chunk + pos)) : (size_t)n - pos;
                    if (line.len + take > o->max_line) {
                        rc = -EFBIG;
                        res->too_big = true;
                        break;
                    }
                    if (nl && line.len == 0) {
                        fn(ctx, chunk + pos, take); /* fast path: no copy */
                    } else {
                        buf_append(&line, chunk + pos, take);
                        if (nl) {
                            fn(ctx, line.p, line.len);
                            line.len = 0;
                        }
                    }
                    pos += take + (nl ? 1 : 0);
                }
                if (rc)
                    break;
            }
        }
        if (exited && pidfd >= 0 && !out_open && !err_open)
            break;
    }
    if (rc == 0 && line.len > 0)
        fn(ctx, line.p, line.len); /* last line without a newline */
    /* Both pipes closed: the command is exiting. Wait for it within the
     * time left, then kill what remains; on error kill at once. Whatever
     * happened, nothing of the command's group outlives the call. */
    int st = 0;
    bool reaped = false;
    if (rc == 0) {
        for (;;) {
            /* WNOWAIT: the zombie keeps the pid (and so the group id)
             * ours until the stragglers are killed below. */
            siginfo_t si;
            memset(&si, 0, sizeof(si));
            int w = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
            if (w == 0 && si.si_pid == pid) {
                kill(-pid, SIGKILL); /* background children left in the group */
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                    ;
                reaped = true;
                break;
            }
            if (w < 0 && errno != EINTR)
                break;
            double left = o->timeout_s - (mono_now_s() - start);
            if (left <= 0) {
                res->timed_out = true;
                rc = -ETIMEDOUT;
                break;
            }
            if (pidfd >= 0) {
                struct pollfd pf = {pidfd, POLLIN, 0};
                poll(&pf, 1, (int)(left * 1000) + 1);
            } else {
                struct timespec ts = {0, 2000000};
                nanosleep(&ts, NULL);
            }
        }
    }
    (void)exited;
    (void)exited_at;
    if (!reaped) {
        kill_group(pid);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    res->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    /* Reaped: only now may its pid leave the list (a sweep must never reap
     * a command's own exit status). Then what it left in other sessions. */
    pthread_mutex_lock(&g_run_mu);
    for (struct running **r = &g_running; *r; r = &(*r)->next) {
        if (*r == &me) {
            *r = me.next;
            break;
        }
    }
    pthread_mutex_unlock(&g_run_mu);
    res->strays = sweep_strays();
    if (res->strays > 0) {
        char count[16];
        snprintf(count, sizeof(count), "%u", res->strays);
        log_limited(&g_stray_lim, 300, LOG_WARN,
                    "killed processes a command left running in sessions of their own", "command",
                    o->argv[0], "count", count);
    }
    if (rc == 0 && res->exit_code != 0)
        rc = -EIO;
out:
    if (pidfd >= 0)
        close(pidfd);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    buf_free(&line);
    res->duration_s = mono_now_s() - start;
    return rc;
}
