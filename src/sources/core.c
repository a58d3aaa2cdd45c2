/* SPDX-License-Identifier: Apache-2.0 */
/* The sources of the three core datasets (squeue, scontrol show nodes,
 * scontrol show partitions) and the jobs dataset's queue-wait tracker. */
#include "sources/source.h"
#include "util/buf.h"
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

/* ---- queue-wait tracker ------------------------------------------------
 * Process-lifetime state of the jobs dataset (one per cluster): the set of
 * jobs already seen started, and cumulative histograms per partition. A job
 * is observed once, the first time a refresh sees it started (running or
 * finished with a start time). The first refresh only primes the set: jobs
 * that started before the exporter did are not counted. */
struct wait_part {
    char *name;
    uint64_t counts[WAIT_BUCKETS + 1];
    uint64_t count;
    double sum;
};
struct wait_state {
    uint64_t *set;
    size_t cap; /* power of two; 0 = empty */
    bool primed;
    struct wait_part *parts;
    size_t nparts;
};

static bool set_has(const uint64_t *set, size_t cap, uint64_t key)
{
    if (!cap)
        return false;
    size_t i = hash_slot(key, cap);
    while (set[i]) {
        if (set[i] == key)
            return true;
        i = (i + 1) & (cap - 1);
    }
    return false;
}

static void set_add(uint64_t *set, size_t cap, uint64_t key)
{
    size_t i = hash_slot(key, cap);
    while (set[i] && set[i] != key)
        i = (i + 1) & (cap - 1);
    set[i] = key;
}

static struct wait_part *wait_part(struct wait_state *W, const char *name)
{
    for (size_t i = 0; i < W->nparts; i++)
        if (strcmp(W->parts[i].name, name) == 0)
            return &W->parts[i];
    if (W->nparts >= 4096)
        return NULL; /* bounded: partitions are few */
    W->parts = xrealloc(W->parts, (W->nparts + 1) * sizeof(*W->parts));
    struct wait_part *p = &W->parts[W->nparts++];
    memset(p, 0, sizeof(*p));
    p->name = xstrdup(name);
    return p;
}

static void *wait_new(const struct config *cfg, const char *cluster)
{
    (void)cfg;
    (void)cluster;
    return xcalloc(1, sizeof(struct wait_state));
}

static void wait_free(void *state)
{
    struct wait_state *W = state;
    if (!W)
        return;
    free(W->set);
    for (size_t i = 0; i < W->nparts; i++)
        free(W->parts[i].name);
    free(W->parts);
    free(W);
}

/* --slurm.active-only, becoming active again: the jobs that started while
 * another exporter was active are that exporter's to count; the next squeue
 * only records which jobs have started, as at the exporter's start (what
 * started between the other's last poll and this one's first is counted by
 * neither: never twice). */
static void wait_activate(void *state, const struct config *cfg)
{
    (void)cfg;
    struct wait_state *W = state;
    W->primed = false;
}

static int wait_track(const struct source_ctx *ctx, struct dataset_result *r, char *why,
                      size_t whylen)
{
    (void)why;
    (void)whylen;
    struct wait_state *W = ctx->state;
    struct jobs_model *m = r->u.jobs;
    /* Sized for the started jobs only; written before it is read (malloc
     * and memset, not calloc): a fresh zero page read first and then
     * written faults twice, the second time with a TLB shootdown. */
    size_t started = 0;
    for (size_t i = 0; i < m->n; i++)
        started += m->jobs[i].state != JOB_PENDING && m->jobs[i].start > 0;
    size_t cap = 64;
    while (cap < started * 2 + 2)
        cap *= 2;
    uint64_t *set = xmalloc(cap * sizeof(uint64_t));
    memset(set, 0, cap * sizeof(uint64_t));
    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        if (j->state == JOB_PENDING || j->start <= 0)
            continue;
        uint64_t key = j->key ? j->key : 1;
        set_add(set, cap, key);
        if (!W->primed || set_has(W->set, W->cap, key))
            continue;
        int64_t from = j->eligible > 0 && j->eligible <= j->start ? j->eligible : j->submit;
        if (from <= 0 || from > j->start)
            continue;
        struct wait_part *wp = wait_part(W, strtab_get(&m->strs, j->partition));
        if (!wp)
            continue;
        double w = (double)(j->start - from);
        size_t b = 0;
        while (b < WAIT_BUCKETS && w > wait_bucket_bounds[b])
            b++;
        wp->counts[b]++;
        wp->count++;
        wp->sum += w;
    }
    free(W->set);
    W->set = set;
    W->cap = cap;
    W->primed = true;
    m->wait_n = W->nparts;
    m->wait = arena_alloc(&r->arena, (W->nparts + 1) * sizeof(struct wait_hist));
    for (size_t i = 0; i < W->nparts; i++) {
        struct wait_hist *h = &m->wait[i];
        h->partition = strtab_intern(&m->strs, W->parts[i].name, strlen(W->parts[i].name));
        memcpy(h->counts, W->parts[i].counts, sizeof(h->counts));
        h->count = W->parts[i].count;
        h->sum = W->parts[i].sum;
    }
    /* keep the histograms in name order for stable output */
    for (size_t i = 1; i < m->wait_n; i++) {
        struct wait_hist x = m->wait[i];
        size_t k = i;
        while (k > 0 && strcmp(strtab_get(&m->strs, m->wait[k - 1].partition),
                               strtab_get(&m->strs, x.partition)) > 0) {
            m->wait[k] = m->wait[k - 1];
            k--;
        }
        m->wait[k] = x;
    }
    return 0;
}

/* ---- jobs: squeue -------------------------------------------------------- */

static void jobs_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    cli_jobs_init(p, r->u.jobs, &r->arena);
    /* Reserve what the last refresh needed (+1/16): no regrowth copies. */
    cli_jobs_reserve(p, hint + hint / 16);
}

static void jobs_finish(void *p)
{
    cli_jobs_finish(p);
}

static size_t jobs_count(const struct dataset_result *r)
{
    return r->u.jobs->n;
}

static const char squeue_format[] = "--Format=" CLI_SQUEUE_FORMAT;

const struct source_def source_jobs = {
    .model_size = sizeof(struct jobs_model),
    .command = "squeue",
    .args = {"--noheader", "--all", "--array", "--states=all", squeue_format},
    .parser_size = sizeof(struct jobs_parser),
    .stats_offset = offsetof(struct jobs_parser, st),
    .init = jobs_init,
    .line = cli_jobs_line,
    .finish = jobs_finish,
    .count = jobs_count,
    .state_new = wait_new,
    .state_free = wait_free,
    .commit = wait_track,
    .clusters = true,
    .on_activate = wait_activate,
};

/* ---- nodes: scontrol show nodes ----------------------------------------- */

static void nodes_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    cli_nodes_init(p, r->u.nodes, &r->arena);
}

static void nodes_finish(void *p)
{
    cli_nodes_finish(p);
}

const struct source_def source_nodes = {
    .model_size = sizeof(struct nodes_model),
    .command = "scontrol",
    .args = {"--oneliner", "--details", "--all", "show", "nodes"},
    .parser_size = sizeof(struct nodes_parser),
    .stats_offset = offsetof(struct nodes_parser, st),
    .init = nodes_init,
    .line = cli_nodes_line,
    .finish = nodes_finish,
    .clusters = true,
};

/* ---- partitions: scontrol show partitions ------------------------------- */

static void parts_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    cli_partitions_init(p, r->u.parts, &r->arena);
}

const struct source_def source_partitions = {
    .model_size = sizeof(struct partitions_model),
    .command = "scontrol",
    .args = {"--oneliner", "--all", "show", "partitions"},
    .parser_size = sizeof(struct partitions_parser),
    .stats_offset = offsetof(struct partitions_parser, st),
    .init = parts_init,
    .line = cli_partitions_line,
    .clusters = true,
};

const struct source_def *const sources[DS_COUNT] = {
#define DATASET(e, label, iv, src, type, member) &(src),
#include "tables.def"
};
