/* SPDX-License-Identifier: Apache-2.0 */
/* Run a Slurm command safely: argv only (never a shell), its own process
 * group killed whole on timeout, capped output streamed line by line to a
 * parser, stderr captured for the log, no descriptors leaked into the child,
 * and nothing it started left running or unreaped after it ends. */
#ifndef SE_EXEC_H
#define SE_EXEC_H

#include <stdbool.h>
#include <stddef.h>

/* Called once per output line (without the newline). It cannot stop the
 * command: only the exec layer's own limits (time, output size, a cancel)
 * do, so one line a parser cannot read never costs the lines after it. */
typedef void (*exec_line_fn)(void *ctx, const char *line, size_t len);

struct exec_opts {
    const char *path;     /* absolute path of the program */
    char *const *argv;    /* argv[0] is the program name */
    char *const *envp;    /* complete environment for the child */
    double timeout_s;     /* wall-clock limit for the whole run */
    size_t max_bytes;     /* cap on stdout bytes */
    size_t max_line;      /* cap on one line's length */
    const int *cancel_fd; /* optional: when this fd turns readable, kill the
                           * command at once (the exporter is stopping) */
};

struct exec_result {
    int exit_code;       /* exit status, or 128+signal */
    double duration_s;   /* wall time */
    size_t stdout_bytes; /* bytes read from stdout */
    char err[512];       /* first bytes of stderr, NUL-terminated, newlines folded */
    bool timed_out;
    bool too_big;
    unsigned strays; /* processes left behind (in sessions of their own) killed and reaped
                      * after the command ended: its own or another command's */
};

/* Runs the command, feeding stdout lines to fn. The first call makes the
 * process a child subreaper (PR_SET_CHILD_SUBREAPER): a process a command
 * starts in a session or group of its own becomes ours when its parent ends,
 * and is killed and reaped when the command ends (see res->strays). So the
 * process must start children only through exec_run. Returns 0 when the command
 * exited 0; -ETIMEDOUT, -EFBIG (output cap),
 * -ECANCELED (cancel_fd turned readable),
 * -ENOENT/-EACCES (spawn failed) or -EIO (non-zero exit). */
int exec_run(const struct exec_opts *o, exec_line_fn fn, void *ctx, struct exec_result *res);

/* Builds the child environment from the current one: drops every variable
 * that changes Slurm CLI output (SQUEUE_*, SINFO_*, SACCT_*, SLURM_* except
 * SLURM_CONF, ...), pins LC_ALL=C and SLURM_TIME_FORMAT=%s, and puts
 * bin_path (may be NULL) first on PATH. The result is NULL-terminated and
 * owned by the caller (free with exec_free_env). */
char **exec_build_env(char *const *environ_in, const char *bin_path);
void exec_free_env(char **env);

/* Resolves a program name against bin_path (if set) or PATH. Returns a
 * malloc'ed absolute path or NULL. */
char *exec_resolve(const char *name, const char *bin_path, const char *path_env);

/* exec_resolve with PATH read from env (a child environment from
 * exec_build_env: a dataset thread must not call getenv while the main thread
 * may unset variables), for a command that was missing at start (a late mount
 * of Slurm's bin directory); logs the find at info level. */
char *exec_resolve_env(const char *name, const char *bin_path, char *const *env);

#endif
