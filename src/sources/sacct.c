/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting source: sacct windows on the jobs' end time, each finished
 * job counted once (sacct.h explains the parts).
 *
 * Windows. A refresh reads the jobs that ended in [start, end] (both
 * included: slurmdbd selects `time_end between start and end` when final
 * states are asked for). end is now (at most ACCT_MAX_WINDOW after start);
 * start is the previous window's end + 1 - overlap, so each window re-reads
 * the last `overlap` seconds: a job slurmdbd records late (slurmctld's
 * queue to slurmdbd, clock skew) is still found. Jobs are told apart by
 * JobIDRaw and end time; the ones that may be read again (end >= the next
 * window's start) are remembered, so a re-read one is not counted again.
 * A failed refresh changes nothing; the next one reads the same window
 * again (halved, in case it failed for its size). */
#include "sources/sacct.h"
#include "util/log.h"
#include "sources/source.h"
#include "util/buf.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* ---- the source ------------------------------------------------------------ */

static void acct_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    struct acct_model *m = r->u.acct;
    cli_sacct_init(p, m, &r->arena, ctx && ctx->cfg && ctx->cfg->accounting_users);
    if (hint) {
        m->jobs = arena_alloc(&r->arena, (hint + hint / 16) * sizeof(*m->jobs));
        m->cap = hint + hint / 16;
    }
}

static size_t acct_count(const struct dataset_result *r)
{
    return r->u.acct->n;
}

/* With several clusters (--slurm.clusters=a,b) each cluster keeps its own
 * position and counters: PATH.CLUSTER. */
static void *acct_state_new_v(const struct config *cfg, const char *cluster)
{
    const char *base = cfg->accounting_state_file;
    if (!cluster || cfg->nclusters < 2 || !base || !base[0])
        return acct_state_new(cfg);
    size_t n = strlen(base) + strlen(cluster) + 2;
    char *path = xmalloc(n);
    snprintf(path, n, "%s.%s", base, cluster);
    for (char *c = path + strlen(base) + 1; *c; c++)
        if (*c == '/')
            *c = '_';
    struct config one = *cfg;
    one.accounting_state_file = path;
    struct acct_state *S = acct_state_new(&one);
    S->path_owned = path;
    return S;
}

/* --slurm.active-only: this exporter's counters are its own; the state file
 * (on shared storage) restores them only when this exporter wrote it, and
 * hands over the sacct window from whichever exporter was active. */
static void *acct_state_new_ha(const struct config *cfg, const char *cluster)
{
    struct acct_state *S = acct_state_new_v(cfg, cluster);
    if (cfg->active_only && S->path) {
        char host[256] = "";
        const char *owner = cfg->controller_name;
        if (!owner || !owner[0]) {
            gethostname(host, sizeof(host) - 1);
            owner = host;
        }
        acct_state_ha_start(S, owner);
    }
    return S;
}

/* Becoming active: the window where the exporter active before left it. */
static void acct_on_activate(void *state, const struct config *cfg)
{
    (void)cfg;
    struct acct_state *S = state;
    if (!S || !S->path)
        return;
    char err[256] = "";
    int rc = acct_state_resume_window(S, S->path, err, sizeof(err));
    if (rc < 0)
        log_msg(LOG_WARN, "accounting: cannot take the sacct window from the shared state file",
                "path", S->path, "error", err);
    else if (rc > 0)
        log_msg(LOG_INFO, "accounting: took the sacct window from the shared state file", "path",
                S->path);
}

static void acct_state_free_v(void *state)
{
    acct_state_free(state);
}

/* --format (User appended only with --accounting.users: without it the
 * command is the one the recorded fixtures were taken with, byte for byte),
 * then the window. */
static int acct_dyn_args(const struct source_ctx *ctx, char buf[][256], int max)
{
    if (max < 3)
        return 0;
    bool users = ctx->cfg && ctx->cfg->accounting_users;
    snprintf(buf[0], 256, "--format=%s", users ? CLI_SACCT_FORMAT_USERS : CLI_SACCT_FORMAT);
    if (!ctx->state)
        return 1;
    int64_t start, end;
    acct_window(ctx->state, (int64_t)time(NULL), mono_now_s(), &start, &end);
    snprintf(buf[1], 256, "--starttime=uts%lld", (long long)start);
    snprintf(buf[2], 256, "--endtime=uts%lld", (long long)end);
    return 3;
}

static int acct_commit_v(const struct source_ctx *ctx, struct dataset_result *r, char *why,
                         size_t whylen)
{
    (void)why;
    (void)whylen;
    struct acct_state *S = ctx->state;
    if (!S)
        return 0;
    /* --slurm.active-only: two exporters may both be active for up to a
     * ping interval at a handover; whatever the other counted and saved
     * since is taken before counting (its window and remembered jobs), so
     * a job is counted once, by whichever read it first */
    if (ctx->cfg && ctx->cfg->active_only && S->path) {
        char err[256] = "";
        if (acct_state_resume_window(S, S->path, err, sizeof(err)) < 0) {
            static struct log_limit lim;
            log_limited(&lim, 300, LOG_WARN, "accounting: cannot read the shared state file",
                        "path", S->path, "error", err);
        }
    }
    acct_commit(S, r->u.acct, &r->arena);
    return 0;
}

static const char state_arg[] = "--state=" CLI_SACCT_STATES;

const struct source_def source_accounting = {
    .model_size = sizeof(struct acct_model),
    .command = "sacct",
    /* --format and the window are dyn_args */
    .args = {"--allusers", "--noheader", "--parsable2", "--noconvert", state_arg},
    .parser_size = sizeof(struct sacct_parser),
    .stats_offset = offsetof(struct sacct_parser, st),
    .init = acct_init,
    .line = cli_sacct_line,
    .count = acct_count,
    .state_new = acct_state_new_ha,
    .state_free = acct_state_free_v,
    .dyn_args = acct_dyn_args,
    .commit = acct_commit_v,
    .clusters = true,
    .commit_unreadable = true,
    .on_activate = acct_on_activate,
};
