/* SPDX-License-Identifier: Apache-2.0 */
/* The trace dataset: no command; each refresh snapshots the trace store
 * (trace.h) into the result's arena, after dropping entries past --trace.ttl
 * and those of jobs the current jobs dataset shows gone or no longer running.
 *
 * The text form (for fixtures and the golden tests) is one entry per line:
 *   UPDATED [FIRST_SEEN] {json body as posted}
 * with wall-clock seconds; a line that does not read is skipped and counted. */
#include "poller.h"
#include "sources/source.h"
#include "trace.h"
#include "util/buf.h"

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
    p->m = arena_alloc(&r->arena, sizeof(*p->m));
    memset(p->m, 0, sizeof(*p->m));
    strtab_init(&p->m->strs, &r->arena);
    if (hint) {
        p->m->cap = hint + hint / 16;
        p->m->rows = arena_alloc(p->a, p->m->cap * sizeof(struct trace_row));
    }
    r->model = p->m;
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

static int trace_line(void *pv, const char *line, size_t len)
{
    struct trace_parser *p = pv;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (!len)
        return 0;
    const char *s = line, *end = line + len;
    struct trace_entry e;
    memset(&e, 0, sizeof(e));
    if (read_time(&s, end, &e.updated) < 0) {
        parse_error(&p->st, "trace: bad update time", line, len);
        return 0;
    }
    e.first_seen = e.updated;
    if (s < end && *s != '{' && read_time(&s, end, &e.first_seen) < 0) {
        parse_error(&p->st, "trace: bad first-seen time", line, len);
        return 0;
    }
    char why[160];
    if (trace_json_parse(s, (size_t)(end - s), &e.p, why, sizeof(why)) < 0) {
        parse_error(&p->st, "trace: bad body", line, len);
        return 0;
    }
    add_row(p, &e);
    return 0;
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
    const struct trace_model *m = r->model;
    return m ? m->n : 0;
}

static void trace_release(struct dataset_result *r)
{
    struct trace_model *m = r->model;
    if (m)
        strtab_free(&m->strs);
}

struct keep_ctx {
    struct trace_jobidx idx;
    double jobs_at;
};

static bool keep_live(const struct trace_entry *e, void *ctx)
{
    const struct keep_ctx *k = ctx;
    const struct job *j;
    return trace_job_live(&k->idx, k->jobs_at, e->p.job_id, e->first_seen, &j);
}

static void add_entry(const struct trace_entry *e, void *ctx)
{
    add_row(ctx, e);
}

static int trace_read(void *pv, const struct source_ctx *ctx, char *err, size_t errlen)
{
    (void)ctx;
    (void)err;
    (void)errlen;
    struct trace_store *s = trace_global();
    if (!s)
        return 0; /* tracing off: an empty dataset */
    /* The current jobs snapshot says which jobs have left the queue. */
    struct view v;
    poller_view(&v, wall_now());
    const struct dataset_result *jr = v.ds[DS_JOBS];
    struct keep_ctx k;
    memset(&k, 0, sizeof(k));
    if (jr) {
        trace_jobidx_build(&k.idx, &jr->u.jobs);
        k.jobs_at = jr->fetched_at - jr->fetch_duration;
    }
    trace_store_snapshot(s, wall_now(), jr ? keep_live : NULL, &k, add_entry, pv);
    trace_jobidx_free(&k.idx);
    poller_release_view(&v);
    return 0;
}

const struct source_def source_trace = {
    .command = NULL,
    .parser_size = sizeof(struct trace_parser),
    .stats_offset = offsetof(struct trace_parser, st),
    .init = trace_init,
    .line = trace_line,
    .finish = trace_finish,
    .count = trace_count_rows,
    .release = trace_release,
    .read = trace_read,
};
