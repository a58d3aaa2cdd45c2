/* SPDX-License-Identifier: Apache-2.0 */
/* The trace dataset: no command; each refresh snapshots the trace store
 * (trace.h) into the result's arena, after dropping entries past --trace.ttl
 * and those of jobs the current jobs datasets show gone or no longer running.
 *
 * The text form (for fixtures and the golden tests) is one entry per line:
 *   UPDATED [FIRST_SEEN] {json body as posted}
 * with wall-clock seconds; a line that does not read is skipped and counted. */
#include "sources/source.h"
#include "trace.h"
#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct trace_parser {
    struct trace_model *m;
    struct arena *a;
    struct parse_stats st;
};

static void trace_init(void *pv, struct dataset_result *r, const struct source_ctx *ctx,
                       size_t hint)
{
    (void)ctx;
    struct trace_parser *p = pv;
    memset(p, 0, sizeof(*p));
    p->a = &r->arena;
    p->m = r->u.trace;
    memset(p->m, 0, sizeof(*p->m));
    strtab_init(&p->m->strs, &r->arena);
    if (hint) {
        p->m->cap = hint + hint / 16;
        p->m->rows = arena_alloc(p->a, p->m->cap * sizeof(struct trace_row));
    }
}

static void add_row(struct trace_parser *p, const struct trace_entry *e)
{
    struct trace_model *m = p->m;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct trace_row *rows = arena_alloc(p->a, cap * sizeof(*rows));
        if (m->n)
            memcpy(rows, m->rows, m->n * sizeof(*rows));
        m->rows = rows;
        m->cap = cap;
    }
    struct trace_row *w = &m->rows[m->n++];
    w->job_id = e->p.job_id;
    w->host = strtab_intern(&m->strs, e->p.hostname, strlen(e->p.hostname));
    w->user = strtab_intern(&m->strs, e->p.username, strlen(e->p.username));
    w->pid = e->p.pid;
    w->cpus = e->p.cpus;
    w->threads = e->p.threads;
    w->mem = e->p.mem;
    w->read_bytes = e->p.read_bytes;
    w->write_bytes = e->p.write_bytes;
    w->first_seen = e->first_seen;
    w->updated = e->updated;
}

static int read_time(const char **s, const char *end, double *out)
{
    const char *b = *s;
    while (*s < end && ((**s >= '0' && **s <= '9') || **s == '.'))
        (*s)++;
    size_t n = (size_t)(*s - b);
    if (!n || n > 31)
        return -1;
    if (parse_double(b, n, out) < 0 || !isfinite(*out) || *out < 0)
        return -1;
    while (*s < end && **s == ' ')
        (*s)++;
    return 0;
}

static void trace_line(void *pv, const char *line, size_t len)
{
    struct trace_parser *p = pv;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (!len)
        return;
    const char *s = line, *end = line + len;
    struct trace_entry e;
    memset(&e, 0, sizeof(e));
    if (read_time(&s, end, &e.updated) < 0) {
        parse_error(&p->st, "trace: bad update time", line, len);
        return;
    }
    e.first_seen = e.updated;
    if (s < end && *s != '{' && read_time(&s, end, &e.first_seen) < 0) {
        parse_error(&p->st, "trace: bad first-seen time", line, len);
        return;
    }
    char why[160];
    if (trace_json_parse(s, (size_t)(end - s), &e.p, why, sizeof(why)) < 0) {
        parse_error(&p->st, "trace: bad body", line, len);
        return;
    }
    add_row(p, &e);
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
    const struct trace_row *x = a, *y = b;
    const struct strtab *t = ctx;
    if (x->job_id != y->job_id)
        return x->job_id < y->job_id ? -1 : 1;
    int c = strcmp(strtab_get(t, x->host), strtab_get(t, y->host));
    if (c)
        return c;
    return (x->updated > y->updated) - (x->updated < y->updated);
}

/* Sorts the rows; of rows for the same (job, host) (only text input can
 * have them) the latest is kept. */
static void trace_finish(void *pv)
{
    struct trace_parser *p = pv;
    struct trace_model *m = p->m;
    if (m->n < 2)
        return;
    qsort_r(m->rows, m->n, sizeof(struct trace_row), cmp_rows, &m->strs);
    size_t w = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (w && m->rows[w - 1].job_id == m->rows[i].job_id &&
            m->rows[w - 1].host == m->rows[i].host)
            w--;
        m->rows[w++] = m->rows[i];
    }
    m->n = w;
}

static size_t trace_count_rows(const struct dataset_result *r)
{
    return r->u.trace->n;
}

/* With several clusters (--slurm.clusters) there is one trace dataset per
 * cluster, all reading the one store. A post does not say its cluster, so an
 * entry goes to a cluster whose jobs snapshot shows its job running; when
 * several do (separate clusters reuse job ids; a federation's do not), the
 * one with a node named as the posting host wins, then the one where the
 * job's user is the posted user, then the first. Once every cluster's
 * snapshot is newer than the entry's first post, that choice is kept: the
 * entry then lives and dies with its job in that cluster and never moves to
 * another cluster running a job of the same id. Before that an entry is
 * shown only under a cluster that matches it on all three (no later claim
 * can differ); an unclaimed one that every snapshot shows gone is dropped.
 * With one cluster, an entry its snapshot cannot judge yet is shown. */
struct keep_ctx {
    int n, self; /* clusters; the one this read is for */
    int owner;   /* of the entry keep_live last accepted */
    struct view v[MAX_CLUSTERS];
    struct trace_jobidx idx[MAX_CLUSTERS];
    double jobs_at[MAX_CLUSTERS]; /* when the jobs snapshot was taken */
    /* per cluster with a nodes dataset: bit per strtab id that names a node */
    uint64_t *is_node[MAX_CLUSTERS];
    struct trace_parser *p;
};

static bool user_is(const struct jobs_model *m, const struct job *j, const char *user)
{
    return user[0] && strcmp(strtab_get(&m->strs, j->user), user) == 0;
}

static bool has_node(const struct keep_ctx *k, int q, const char *host)
{
    if (!k->is_node[q] || !host[0])
        return false;
    uint32_t id = strtab_find(&k->v[q].ds[DS_NODES]->u.nodes->strs, host, strlen(host));
    return id != UINT32_MAX && (k->is_node[q][id / 64] >> (id % 64) & 1);
}

static void index_nodes(struct keep_ctx *k, int q)
{
    const struct dataset_result *nr = k->v[q].ds[DS_NODES];
    if (!nr)
        return;
    const struct nodes_model *m = nr->u.nodes;
    k->is_node[q] = xcalloc(m->strs.count / 64 + 1, sizeof(uint64_t));
    for (size_t i = 0; i < m->n; i++)
        k->is_node[q][m->nodes[i].name / 64] |= 1ULL << (m->nodes[i].name % 64);
}

/* Cluster q's jobs snapshot is newer than the entry's first post. */
static bool judges(const struct keep_ctx *k, int q, const struct trace_entry *e)
{
    return k->v[q].ds[DS_JOBS] && k->jobs_at[q] > e->first_seen;
}

/* How well a cluster's running job matches an entry: it runs a job of the
 * id, on a node named as the posting host, for the posted user. */
enum { SCORE_RUNS = 1, SCORE_USER = 2, SCORE_NODE = 4, SCORE_MAX = 7 };

static bool keep_live(struct trace_entry *e, void *ctx)
{
    struct keep_ctx *k = ctx;
    const struct job *j = NULL;
    int q = e->cluster;
    if (q >= 0 && q < k->n) {
        /* claimed: lives and dies with its job in that cluster */
        k->owner = q;
        return !judges(k, q, e) ||
               trace_job_live(&k->idx[q], k->jobs_at[q], e->p.job_id, e->first_seen, &j);
    }
    int best = -1, best_score = 0, unjudged = -1;
    for (q = 0; q < k->n; q++) {
        if (!judges(k, q, e)) {
            if (unjudged < 0)
                unjudged = q;
            continue;
        }
        if (!trace_job_live(&k->idx[q], k->jobs_at[q], e->p.job_id, e->first_seen, &j))
            continue;
        int score = SCORE_RUNS + (has_node(k, q, e->p.hostname) ? SCORE_NODE : 0) +
                    (user_is(k->idx[q].m, j, e->p.username) ? SCORE_USER : 0);
        if (score > best_score) {
            best = q;
            best_score = score;
        }
    }
    bool keep = best >= 0 || unjudged >= 0;
    if (k->n == 1) {
        k->owner = best >= 0 ? best : unjudged;
        return keep;
    }
    /* claimed only once every cluster could judge: a queue not yet
     * refreshed since the first post may be the one running the job */
    if (best >= 0 && unjudged < 0) {
        e->cluster = best;
        k->owner = best;
        return true;
    }
    /* Until then it is shown only where nothing can outbid the cluster
     * (its node and its user): each cluster's trace snapshot is taken on its
     * own, so a guess that the claim later overturns would show the entry
     * under two clusters until the guessing one's next refresh. */
    k->owner = best_score == SCORE_MAX ? best : -1;
    return keep;
}

static void add_entry(const struct trace_entry *e, void *ctx)
{
    struct keep_ctx *k = ctx;
    if (k->owner == k->self)
        add_row(k->p, e);
}

/* Tells the store the jobs the clusters' jobs snapshots show running. */
static void set_queued(struct trace_store *s, const struct keep_ctx *k)
{
    size_t n = 0;
    for (int q = 0; q < k->n; q++)
        n += k->idx[q].m ? k->idx[q].m->n : 0;
    uint32_t *ids = xmalloc((n ? n : 1) * sizeof(*ids));
    n = 0;
    for (int q = 0; q < k->n; q++) {
        const struct jobs_model *m = k->idx[q].m;
        for (size_t i = 0; m && i < m->n; i++)
            if (trace_job_running(&m->jobs[i]))
                ids[n++] = m->jobs[i].job_id;
    }
    trace_store_set_queued(s, ids, n);
    free(ids);
}

static int trace_read(void *pv, const struct source_ctx *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct trace_store *s = trace_global();
    const struct dataset_access *da = ctx->data;
    if (!s || !da)
        return 0; /* tracing off (or no poller): an empty dataset */
    struct keep_ctx *k = xcalloc(1, sizeof(*k));
    k->p = pv;
    k->n = da->clusters();
    double now = wall_now();
    bool any = false, all = true;
    /* The current jobs snapshots say which jobs have left the queue. */
    for (int q = 0; q < k->n; q++) {
        const char *name = da->cluster_name(q);
        if (ctx->cluster && name && strcmp(name, ctx->cluster) == 0)
            k->self = q;
        da->view_cluster(&k->v[q], q, now);
        const struct dataset_result *jr = k->v[q].ds[DS_JOBS];
        if (jr) {
            trace_jobidx_build(&k->idx[q], jr->u.jobs);
            k->jobs_at[q] = jr->fetched_at - jr->fetch_duration;
            any = true;
        } else {
            all = false;
        }
        if (k->n > 1)
            index_nodes(k, q);
    }
    /* The running jobs get the store's limits; posts for other job ids only
     * a share of their own (trace_store_put). Only when every cluster's queue
     * is known: a cluster without usable jobs data (squeue hanging past its
     * max age) would otherwise have its running jobs marked as not queued. */
    if (any && all)
        set_queued(s, k);
    /* Without a jobs dataset at all (jobs collector off) every entry is kept
     * and shown, with the first cluster (owner 0). */
    trace_store_snapshot(s, now, any ? keep_live : NULL, k, add_entry, k);
    for (int q = 0; q < k->n; q++) {
        trace_jobidx_free(&k->idx[q]);
        free(k->is_node[q]);
        da->release_view(&k->v[q]);
    }
    free(k);
    return 0;
}

const struct source_def source_trace = {
    .model_size = sizeof(struct trace_model),
    .command = NULL,
    .parser_size = sizeof(struct trace_parser),
    .stats_offset = offsetof(struct trace_parser, st),
    .init = trace_init,
    .line = trace_line,
    .finish = trace_finish,
    .count = trace_count_rows,
    .read = trace_read,
    .clusters = true, /* one dataset per cluster; no command, so no -M */
};
