/* SPDX-License-Identifier: Apache-2.0 */
/* What the status page adds to a refresh, in-process: the summary of the
 * jobs and nodes datasets of bench/data/<dir> (status_summarize, run by the
 * poller's builder after every burst of refreshes) and one page render with
 * a full history, each timed over many runs. Not part of the build:
 *
 *   make && cc -std=c11 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags gnutls) \
 *       bench/status_cost.c build/libse.a -lmicrohttpd -lgnutls -lz -lcrypt -pthread -lm \
 *       -o build/status_cost
 *   build/status_cost bench/data/n10000_j100000_s20220524 [history seconds]
 */
#include "poller.h"
#include "sources/source.h"
#include "status.h"
#include "util/buf.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = xmalloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* The dataset as the poller fills it from the command's output. */
static struct dataset_result *load(enum dataset_id id, const char *dir, const char *name)
{
    static const struct config cfg;
    size_t len;
    char *text = slurp(dir, name, &len);
    const struct source_def *src = sources[id];
    struct dataset_result *r = dataset_result_new(id);
    void *state = src->state_new ? src->state_new(&cfg, NULL) : NULL;
    struct source_ctx ctx = {&cfg, NULL, state, NULL};
    struct source_run run;
    struct parse_stats st;
    char why[640];
    source_run_begin(&run, src, &ctx, r, 0);
    source_run_feed(&run, text, len);
    if (source_run_end(&run, 0, why, sizeof(why), &st) != 0) {
        fprintf(stderr, "%s: %s\n", name, why);
        exit(1);
    }
    if (src->state_free)
        src->state_free(state);
    free(text);
    return r;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s BENCH_DATA_DIR [history seconds]\n", argv[0]);
        return 2;
    }
    double span = argc > 2 ? atof(argv[2]) : 6 * 3600.0;
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = 1795424400.0 + 60; /* gen.py's --now */
    v.ds[DS_JOBS] = load(DS_JOBS, argv[1], "squeue.out");
    v.ds[DS_NODES] = load(DS_NODES, argv[1], "nodes.out");
    struct dataset_state st[DS_COUNT];
    memset(st, 0, sizeof(st));
    struct status_summary *s = xmalloc(sizeof(*s));
    int n = 50;
    double t0 = cpu_now();
    for (int i = 0; i < n; i++)
        status_summarize(&v, st, NULL, s);
    double sum_ms = (cpu_now() - t0) / n * 1e3;

    struct status_history h;
    size_t cap = status_history_points(span);
    status_history_init(&h, cap);
    struct status_point p;
    status_point_of(s, &p);
    for (size_t i = 0; i < cap; i++) {
        p.t = v.now - span + 60.0 * (double)i;
        status_history_add(&h, &p);
    }
    n = 1000;
    size_t bytes = 0;
    t0 = cpu_now();
    for (int i = 0; i < n; i++) {
        struct buf b = {0};
        status_page_render(&b, s, &h, span, v.now, "/metrics");
        bytes = b.len;
        buf_free(&b);
    }
    double page_ms = (cpu_now() - t0) / n * 1e3;
    printf("%zu jobs, %zu nodes: status_summarize %.3f ms CPU; page with %zu history points "
           "(%.0f s) %.3f ms CPU, %zu bytes\n",
           v.ds[DS_JOBS]->u.jobs->n, v.ds[DS_NODES]->u.nodes->n, sum_ms, h.n, span, page_ms, bytes);
    status_history_free(&h);
    free(s);
    dataset_result_release((struct dataset_result *)v.ds[DS_JOBS]);
    dataset_result_release((struct dataset_result *)v.ds[DS_NODES]);
    return 0;
}
