/* SPDX-License-Identifier: Apache-2.0 */
/* Job tracing, the server side: a wrapper inside a job POSTs what its
 * processes use (the JSON body of rivosinc/prometheus-slurm-exporter's
 * proctrac.py, unchanged) to --trace.path. This file has the strict parser for
 * that body, the bounded store keyed by (job id, host), the counters of
 * accepted and rejected posts, and the model a snapshot of the store becomes
 * (the "trace" dataset). */
#ifndef SE_TRACE_H
#define SE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/trace.h"
#include "render.h"

/* ---- the body ----------------------------------------------------------- */

/* The body of one post. Numbers that were absent (or null) are NaN: they
 * give no series rather than a plausible 0. */
struct trace_post {
    uint32_t job_id;                  /* 1 .. 4294967294 */
    double pid;                       /* integer 0 .. 2^31-1 */
    double cpus;                      /* CPU percent as psutil gives it: 100 = one core busy */
    double threads;                   /* count */
    double mem;                       /* resident bytes */
    double read_bytes, write_bytes;   /* bytes, cumulative over the process lifetimes */
    char hostname[MAX_LABEL_LEN + 1]; /* required, non-empty */
    char username[MAX_LABEL_LEN + 1]; /* may be empty */
};

/* Parses one body: a single JSON object, nothing after it but blanks. Keys
 * job_id (number or string of digits) and hostname (string) are required;
 * pid, cpus, threads, mem, read_bytes, write_bytes (numbers) and username
 * (string) are optional; null counts as absent; other keys are ignored (their
 * values are checked to be well-formed JSON, nested at most 32 deep). A known
 * key given twice, a wrong type, a value out of range, a string that is not
 * UTF-8, holds a control character or is longer than MAX_LABEL_LEN bytes is
 * refused. Pure, no recursion, no allocation.
 * Returns 0; -EINVAL when the body is not well-formed JSON of this shape;
 * -ERANGE when a value is of the wrong type or out of range. why gets a
 * one-line reason. */
int trace_json_parse(const char *body, size_t len, struct trace_post *out, char *why,
                     size_t whylen);

/* ---- the store ---------------------------------------------------------- */

struct trace_limits {
    size_t max_jobs;          /* distinct job ids */
    size_t max_hosts_per_job; /* hosts of one job */
    size_t max_entries;       /* (job, host) pairs in all */
    double ttl;               /* seconds an entry lives after its last post */
};

/* One (job, host) pair: the last post and when it came. */
struct trace_entry {
    struct trace_post p;
    double first_seen, updated; /* wall clock */
    /* With several clusters: the cluster (index) whose queue was found
     * running the job, kept from then on; -1 before. Set by the keep
     * function of trace_store_snapshot, preserved by later posts. */
    int cluster;
};

struct trace_store;

struct trace_store *trace_store_new(const struct trace_limits *lim);
void trace_store_free(struct trace_store *s);

/* Why a post was refused, or TR_ACCEPTED; the label values of
 * slurm_exporter_trace_posts_rejected_total. */
#define TRACE_REASONS(X)                                                                           \
    X(ACCEPTED, "accepted")                                                                        \
    X(TOO_LARGE, "too_large")                                                                      \
    X(MALFORMED, "malformed")                                                                      \
    X(INVALID, "invalid_value")                                                                    \
    X(CONTENT_TYPE, "content_type")                                                                \
    X(UNAUTHORIZED, "unauthorized")                                                                \
    X(FORBIDDEN, "forbidden")                                                                      \
    X(BUSY, "busy")                                                                                \
    X(MAX_JOBS, "max_jobs")                                                                        \
    X(MAX_HOSTS, "max_hosts_per_job")                                                              \
    X(MAX_ENTRIES, "max_entries")                                                                  \
    X(UNQUEUED, "unqueued")                                                                        \
    X(METHOD, "method")                                                                            \
    X(OTHER, "other")

enum trace_reason {
#define X(e, s) TR_##e,
    TRACE_REASONS(X)
#undef X
        TR_COUNT
};

/* Stores a post under (job_id, hostname) at wall time now: replaces that
 * pair's previous post only. A new pair beyond a limit is refused (and
 * nothing else is touched). Once trace_store_set_queued has told the store
 * which jobs run, the limits are those of the jobs that run; the jobs that
 * do not (not in the queue yet, ended, or made up) have a share of their own,
 * a quarter of max_jobs and of max_entries, so posts for them can never
 * crowd out a running job. Returns TR_ACCEPTED or TR_MAX_JOBS, TR_MAX_HOSTS,
 * TR_MAX_ENTRIES, TR_UNQUEUED (that share is full). Thread safe. */
enum trace_reason trace_store_put(struct trace_store *s, const struct trace_post *p, double now);

/* Tells the store the ids of the jobs the latest queue snapshots show
 * running (in any order, repeats allowed; copied). Entries already stored
 * move between the running jobs' limits and the share of the others. */
void trace_store_set_queued(struct trace_store *s, const uint32_t *ids, size_t n);

/* Decides whether an entry of a job is kept (true) or dropped because its job
 * left the queue. */
/* May set e->cluster (the only field it may change). */
typedef bool (*trace_keep_fn)(struct trace_entry *e, void *ctx);

/* Drops entries older than the TTL at now and those keep refuses (keep may
 * be NULL), then calls fn for each remaining entry, in no particular order,
 * under the store's lock (fn must not call back into the store). Returns the
 * entries left. Thread safe. */
size_t trace_store_snapshot(struct trace_store *s, double now, trace_keep_fn keep, void *kctx,
                            void (*fn)(const struct trace_entry *e, void *ctx), void *ctx);

struct trace_store_stats {
    size_t entries, jobs;
    size_t entries_unqueued, jobs_unqueued; /* of jobs the queue does not show running */
    size_t bytes;                           /* heap held, as requested from malloc */
    uint64_t expired_ttl, expired_job;      /* entries dropped, since start */
};
void trace_store_stats(struct trace_store *s, struct trace_store_stats *out);

/* ---- the process-wide store and counters ------------------------------- */

/* Creates the store the HTTP front end feeds and the trace source reads
 * (NULL limits: tracing is off and trace_global() stays NULL). */
void trace_global_init(const struct trace_limits *lim);
struct trace_store *trace_global(void);
void trace_global_free(void);
/* Counts one post by its outcome (atomic). */
void trace_count(enum trace_reason r);
uint64_t trace_counted(enum trace_reason r);
/* Writes the exporter's own tracing families (nothing when tracing is off). */
void trace_render_metrics(struct render *r);

/* ---- the dataset --------------------------------------------------------- */

#endif
