/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the libFuzzer drivers: build a dataset result the way
 * poller_fetch_once does, run collectors over a view, check the rendered
 * text's shape, and free everything (LeakSanitizer runs at the end). */
#ifndef SE_FUZZ_COMMON_H
#define SE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "poller.h"
#include "sources/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1795424700.0

static inline void fz_fail(const char *what, const char *text, size_t at)
{
    fprintf(stderr, "fuzz invariant broken: %s at byte %zu\n", what, at);
    (void)text;
    abort();
}

static inline struct dataset_result *fz_result(enum dataset_id id)
{
    return dataset_result_new(id);
}

static inline struct dataset_result *fz_jobs(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_JOBS);
    struct jobs_parser p;
    cli_jobs_init(&p, r->u.jobs, &r->arena);
    cli_feed(cli_jobs_line, &p, (const char *)data, size);
    cli_jobs_finish(&p);
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    return r;
}

static inline struct dataset_result *fz_nodes(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_NODES);
    struct nodes_parser p;
    cli_nodes_init(&p, r->u.nodes, &r->arena);
    cli_feed(cli_nodes_line, &p, (const char *)data, size);
    cli_nodes_finish(&p);
    const struct nodes_model *m = r->u.nodes;
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        if (nd->state >= NODE_STATE_COUNT || nd->cpus_alloc > nd->cpus_total ||
            nd->partitions >= m->part_lists_n || nd->gres_first + nd->gres_count > m->gres_n)
            fz_fail("node out of range", NULL, i);
    }
    return r;
}

static inline struct dataset_result *fz_parts(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_PARTITIONS);
    struct partitions_parser p;
    cli_partitions_init(&p, r->u.parts, &r->arena);
    cli_feed(cli_partitions_line, &p, (const char *)data, size);
    return r;
}

static inline void fz_free(struct dataset_result *r)
{
    if (r)
        dataset_result_release(r);
}

/* Every line is a comment or starts with a metric name; a label value never
 * carries a raw newline (it would start a line with something else). */
static inline void fz_check_lines(const struct buf *b)
{
    size_t i = 0;
    while (i < b->len) {
        char c = b->p[i];
        if (!(c == '#' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            fz_fail("line does not start with # or a metric name", b->p, i);
        const char *nl = memchr(b->p + i, '\n', b->len - i);
        if (!nl)
            fz_fail("last line without newline", b->p, i);
        if (memchr(b->p + i, '\0', (size_t)(nl - (b->p + i))))
            fz_fail("NUL byte in the exposition", b->p, i);
        i = (size_t)(nl - b->p) + 1;
    }
}

/* Runs the given collectors over the view and checks the output. */
static inline void fz_collect(const struct view *v, const collector_fn *fns, size_t n)
{
    struct render r;
    memset(&r, 0, sizeof(r));
    struct collect_out o = {0};
    for (size_t i = 0; i < n; i++)
        fns[i](v, &r, &o);
    render_eof(&r);
    fz_check_lines(&r.text);
    fz_check_lines(&r.om);
    render_free(&r);
}

#endif
