/* SPDX-License-Identifier: Apache-2.0 */
/* One refresh's parse: the code between a command's output and a dataset
 * result, shared by the poller, the tests and the fuzzers (source.h). */
#include "sources/source.h"
#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void source_run_begin(struct source_run *run, const struct source_def *src,
                      const struct source_ctx *ctx, struct dataset_result *r, size_t hint)
{
    run->src = src;
    run->ctx = ctx;
    run->r = r;
    run->parser = xcalloc(1, src->parser_size);
    run->st = (struct parse_stats *)((char *)run->parser + src->stats_offset);
    src->init(run->parser, r, ctx, hint);
}

void source_run_line(void *pv, const char *line, size_t len)
{
    struct source_run *run = pv;
    /* With -M, Slurm's commands put a "CLUSTER: name" line before each
     * cluster's output: not data. */
    if (run->ctx->cluster && len >= 9 && memcmp(line, "CLUSTER: ", 9) == 0)
        return;
    run->src->line(run->parser, line, len);
}

void source_run_feed(struct source_run *run, const char *buf, size_t len)
{
    cli_feed(source_run_line, run, buf, len);
}

int source_judge(const struct parse_stats *st, char *why, size_t whylen)
{
    if (st->errors == 0 || st->errors * 2 <= st->lines)
        return 0;
    snprintf(why, whylen, "%llu of %llu lines unreadable; first: %s",
             (unsigned long long)st->errors, (unsigned long long)st->lines, st->first_error);
    return -EPROTO;
}

int source_run_exit(struct source_run *run, int rc, int exit_code, const char *err)
{
    if (rc == -EIO && run->src->exit_data &&
        run->src->exit_data(run->parser, exit_code, err ? err : ""))
        return 0;
    return rc;
}

int source_run_end(struct source_run *run, int rc, char *why, size_t whylen, struct parse_stats *st)
{
    const struct source_def *src = run->src;
    /* finish always runs (it also lets go of the parser's working memory),
     * but a command that failed (not found, exit status, timeout, stop) is
     * reported as that: what finish counts against output it never got
     * whole is not kept. */
    struct parse_stats before = *run->st;
    if (src->finish)
        src->finish(run->parser);
    if (rc != 0)
        *run->st = before;
    *st = *run->st;
    free(run->parser);
    run->parser = NULL;
    run->st = NULL;
    if (rc == 0)
        rc = source_judge(st, why, whylen);
    if (src->commit && (rc == 0 || (rc == -EPROTO && src->commit_unreadable))) {
        int c = src->commit(run->ctx, run->r, why, whylen);
        if (c < 0)
            rc = c;
    }
    return rc;
}
