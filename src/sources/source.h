/* SPDX-License-Identifier: Apache-2.0 */
/* A source: how one dataset is fetched and parsed. The poller knows nothing
 * of any dataset's format; it runs the source's command (or its reader),
 * feeds the output line by line to the source's parser, and swaps the
 * result in. Each dataset names its source in datasets.def; a new dataset
 * is one line there plus one file defining its source_def. */
#ifndef SE_SOURCE_H
#define SE_SOURCE_H

#include <stddef.h>

#include "config.h"
#include "model/dataset.h"
#include "sources/cli.h"

#define SOURCE_MAX_ARGS 24

/* What a source sees while it prepares a fetch and after one. */
struct source_ctx {
    const struct config *cfg;
    const char *cluster; /* the cluster being polled (-M), NULL for the local one */
    void *state;         /* the source's process-lifetime state (state_new), per cluster */
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
    void (*init)(void *parser, struct dataset_result *r, const struct source_ctx *ctx, size_t hint);
    int (*line)(void *parser, const char *line, size_t len);
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
     * state and add to the result (its arena). */
    void (*commit)(const struct source_ctx *ctx, struct dataset_result *r);
    /* optional, for command-less sources: reads the data and feeds the
     * parser. Returns 0 or -errno with a reason in err. */
    int (*read)(void *parser, const struct source_ctx *ctx, char *err, size_t errlen);
    /* true: the source takes -M CLUSTER (Slurm client commands) */
    bool clusters;
};

#define X(e, label, iv, src) extern const struct source_def src;
#include "datasets.def"
#undef X

extern const struct source_def *const sources[DS_COUNT];

#endif
