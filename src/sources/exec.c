/* SPDX-License-Identifier: Apache-2.0 */
/* Command execution with posix_spawn (vfork-style, safe in a threaded
 * process), a pidfd to notice the exit, and poll() for a bounded run. */
#include "sources/exec.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    int se = posix_spawn(&pid, o->path, &fa, &at, o->argv, o->envp);
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
