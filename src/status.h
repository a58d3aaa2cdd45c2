/* SPDX-License-Identifier: Apache-2.0 */
/* The status page at /: the cluster at a glance for a person without
 * Grafana. After each burst of refreshes a summary of the current datasets
 * (nodes by state, CPU / memory / GPU allocation, pending jobs by reason,
 * the oldest pending job's wait, each dataset's refresh status, the Slurm
 * version) is made from the poller's snapshot and a point is added to a
 * fixed-size history; a request renders summary and history as HTML with
 * inline SVG charts. Nothing here runs a Slurm command. */
#ifndef SE_STATUS_H
#define SE_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dataset_access.h"
#include "model.h"
#include "model/version.h"
#include "util/buf.h"

/* The figures charted, one value each per history point (NaN when the
 * dataset it comes from had no usable data). */
enum status_series {
    SS_CPU_ALLOC,
    SS_CPU_TOTAL,
    SS_MEM_ALLOC,
    SS_MEM_TOTAL,
    SS_GPU_ALLOC,
    SS_GPU_TOTAL,
    SS_JOBS_PENDING,
    SS_JOBS_RUNNING,
    SS_OLDEST_PENDING,
    SS_COUNT
};

/* One history point per STATUS_STEP seconds at most: a refresh within the
 * step of the newest point replaces it. */
#define STATUS_STEP 60.0
/* Pending reasons shown one by one; the others are summed in one row. */
#define STATUS_MAX_REASONS 20
/* The page is never longer than this (charts are thinned to
 * STATUS_CHART_POINTS points each, every string is cut). */
#define STATUS_PAGE_MAX ((size_t)256 * 1024)
#define STATUS_CHART_POINTS 480

struct status_reason {
    char name[MAX_LABEL_LEN + 1];
    double jobs;
};

struct status_dataset {
    bool enabled, attempted, last_ok;
    double interval, max_age;
    double last_success;  /* wall clock, 0 = never */
    double last_error_at; /* wall clock, 0 = never failed */
    char last_error[256];
};

/* What the page shows besides the charts: the figures of /metrics at one
 * refresh. at is 0 until the first summary. */
struct status_summary {
    double at;                  /* wall clock the summary was made */
    char cluster[64];           /* "" for the local cluster */
    bool have_nodes, have_jobs; /* the dataset had usable data */
    double nodes[NODE_STATE_COUNT], nodes_total;
    double cpu_alloc, cpu_total, mem_alloc, mem_total, gpu_alloc, gpu_total;
    double jobs_pending, jobs_running;
    double oldest_pending; /* seconds at `at` (0 when none) */
    size_t nreasons;       /* by jobs, most first, then by name */
    struct status_reason reasons[STATUS_MAX_REASONS];
    size_t reasons_rest; /* reasons not listed, and their jobs */
    double reasons_rest_jobs;
    char version[SLURM_VERSION_MAX + 1]; /* "" when unknown */
    struct status_dataset ds[DS_COUNT];
};

struct status_point {
    double t; /* wall clock */
    double v[SS_COUNT];
};

/* A ring of at most cap points, oldest first from head. */
struct status_history {
    size_t cap, n, head;
    struct status_point *pts;
};

/* cap 0: no history (nothing allocated, adds are dropped). */
void status_history_init(struct status_history *h, size_t cap);
void status_history_free(struct status_history *h);
/* Adds p: it replaces the newest point when both fall in the same
 * STATUS_STEP slot, else it is appended, over the oldest once full. */
void status_history_add(struct status_history *h, const struct status_point *p);
/* The i-th oldest point (i < h->n). */
const struct status_point *status_history_get(const struct status_history *h, size_t i);
/* The points --web.status-history keeps (one per STATUS_STEP). */
size_t status_history_points(double seconds);

/* Summarises a view (its datasets at v->now) and the datasets' status into
 * *out, the same figures as the collectors write: slurm_nodes,
 * slurm_cpus{state="allocated"}, slurm_cpus_configured, slurm_memory_*,
 * slurm_gres_*{gres="gpu"} summed, slurm_queue_jobs, slurm_queue_jobs_pending,
 * max(slurm_jobs_oldest_pending_age_seconds), slurm_exporter_slurm_info. */
void status_summarize(const struct view *v, const struct dataset_state st[DS_COUNT],
                      const char *cluster, struct status_summary *out);
/* The history point of a summary. */
void status_point_of(const struct status_summary *s, struct status_point *p);

/* Writes the page for summary s and history h (NULL or empty: no charts)
 * as it is at wall clock now, reaching back `span` seconds, into out; at
 * most STATUS_PAGE_MAX bytes. */
void status_page_render(struct buf *out, const struct status_summary *s,
                        const struct status_history *h, double span, double now,
                        const char *telemetry_path);

/* The process-wide page: status_init (the datasets through da, cluster 0),
 * status_refresh after each burst of refreshes (the poller's builder
 * thread), status_page for a request. The lock that guards summary and
 * history is held only to copy them, never while rendering or sending. */
void status_init(const struct config *cfg, const struct dataset_access *da);
void status_refresh(void);
void status_page(struct buf *out);
void status_shutdown(void);

#endif
