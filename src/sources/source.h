/* SPDX-License-Identifier: Apache-2.0 */
/* A source: how one dataset is fetched and parsed. The poller knows nothing
 * of any dataset's format; it runs the source's command (or its reader),
 * feeds the output line by line to the source's parser through a
 * source_run (below: the same code for the poller, the tests and the
 * fuzzers), and swaps the result in. Each dataset names its source in tables.def; a new dataset
 * is one line there plus one file defining its source_def. */
#ifndef SE_SOURCE_H
#define SE_SOURCE_H

#include <stddef.h>

#include "config.h"
#include "dataset_access.h"
#include "sources/cli.h"

#define SOURCE_MAX_ARGS 24

/* What a source sees while it prepares a fetch and after one. */
struct source_ctx {
    const struct config *cfg;
    const char *cluster; /* the cluster being polled (-M), NULL for the local one */
    void *state;         /* the source's process-lifetime state (state_new), per cluster */
    /* the current datasets of every cluster (the trace source looks at the
     * jobs); filled by the poller, NULL outside it */
    const struct dataset_access *data;
};

struct source_def {
    /* The command (argv[0]) and its fixed arguments; NULL command: the source
     * reads without a command (see read). */
    const char *command;
    const char *args[SOURCE_MAX_ARGS];
    /* The parser: a struct of parser_size bytes whose struct parse_stats is
     * at stats_offset. init gets the result to fill and a size hint (the
     * record count of the last refresh). */
    size_t parser_size, stats_offset;
    /* sizeof the model this source fills (the result's u.MEMBER) */
    size_t model_size;
    void (*init)(void *parser, struct dataset_result *r, const struct source_ctx *ctx, size_t hint);
    /* One line of output. It cannot fail the fetch: a line it cannot read
     * is counted in its parse_stats (parse_error) and skipped. */
    void (*line)(void *parser, const char *line, size_t len);
    void (*finish)(void *parser); /* optional: after the last line */
    /* optional: records in a result, for the next refresh's hint */
    size_t (*count)(const struct dataset_result *r);
    /* optional: process-lifetime state (e.g. what has been counted already) */
    void *(*state_new)(const struct config *cfg, const char *cluster);
    void (*state_free)(void *state);
    /* optional: arguments that depend on the state or config, appended after
     * args; each is written into buf[i] (up to 256 bytes). Returns how many. */
    int (*dyn_args)(const struct source_ctx *ctx, char buf[][256], int max);
    /* optional: after a successful parse, before the swap: may update the
     * state and add to the result (its arena). Returns 0, or -errno with a
     * reason in why to fail the refresh (the state left as it was). */
    int (*commit)(const struct source_ctx *ctx, struct dataset_result *r, char *why, size_t whylen);
    /* optional, for command-less sources: reads the data and feeds the
     * parser. Returns 0 or -errno with a reason in err. */
    int (*read)(void *parser, const struct source_ctx *ctx, char *err, size_t errlen);
    /* optional: a command that exited non-zero (exit_code; err: the start of
     * its stderr) may still have printed data, e.g. a ping that lists every
     * daemon DOWN. True: the refresh is judged like one that exited 0. */
    bool (*exit_data)(void *parser, int exit_code, const char *err);
    /* true: the source takes -M CLUSTER (Slurm client commands) */
    bool clusters;
    /* true: polled for every cluster like a clusters source, but its command
     * runs without -M: it asks the local client, whose answer holds for each
     * cluster it talks to (scontrol --version) */
    bool every_cluster;
    /* true: refreshed again at once when the exporter reloads (SIGHUP), not
     * only on its interval */
    bool on_reload;
    /* true: commit also when the refresh fails because most lines were
     * unreadable. For a source that reads a moving window (accounting):
     * the same records would be unreadable on every retry, so the window
     * moves past them (they stay counted as parse errors) instead of
     * pinning every later record behind them. The refresh still fails. */
    bool commit_unreadable;
    /* optional, --slurm.active-only: the exporter became active (a standby
     * until now); called before the dataset's first fetch as active, e.g.
     * to take over what the exporter active before it left in shared state. */
    void (*on_activate)(void *state, const struct config *cfg);
};

/* ---- one refresh's parse ------------------------------------------------
 * The poller and the tests run a source's parser through these, so a test
 * that feeds fixture text sees exactly what production sees: the same line
 * splitting, the "CLUSTER: name" lines of -M skipped, the same rule for
 * when unreadable lines fail a refresh, the same commit. */
struct source_run {
    const struct source_def *src;
    const struct source_ctx *ctx;
    struct dataset_result *r;
    void *parser;
    struct parse_stats *st; /* inside parser */
};

/* Allocates the source's parser and has it start filling r. hint: the
 * record count of the last refresh (0 when unknown). */
void source_run_begin(struct source_run *run, const struct source_def *src,
                      const struct source_ctx *ctx, struct dataset_result *r, size_t hint);
/* One line of command output (an exec_line_fn). */
void source_run_line(void *run, const char *line, size_t len);
/* A whole buffer, split into lines as exec_run splits a command's output. */
void source_run_feed(struct source_run *run, const char *buf, size_t len);
/* The one rule for unreadable output: a refresh whose lines are mostly
 * unreadable has met a format this exporter does not know and fails
 * (-EPROTO, the reason in why) rather than serve a plausible wrong number;
 * fewer bad lines are skipped and counted. Returns 0 or -EPROTO. */
int source_judge(const struct parse_stats *st, char *why, size_t whylen);
/* After the command: rc is its result (exec_run's); when it is -EIO (a
 * non-zero exit) and the source's exit_data takes the output as data,
 * returns 0, else rc. */
int source_run_exit(struct source_run *run, int rc, int exit_code, const char *err);
/* Ends the parse: finish, judge (when rc, the fetch's own result, is 0),
 * commit, and free the parser. Returns rc, or -EPROTO from the judge; *st
 * gets the parse counts. */
int source_run_end(struct source_run *run, int rc, char *why, size_t whylen,
                   struct parse_stats *st);

#define DATASET(e, label, iv, src, type, member) extern const struct source_def src;
#include "tables.def"

extern const struct source_def *const sources[DS_COUNT];

#endif
