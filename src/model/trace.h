/* SPDX-License-Identifier: Apache-2.0 */
/* The trace dataset's model: the trace store at one moment (one row per
 * job and host), and the rule that judges an entry by a jobs snapshot. */
#ifndef SE_MODEL_TRACE_H
#define SE_MODEL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* One entry of a snapshot: host and user are ids in the model's strtab. */
struct trace_row {
    uint32_t job_id;
    uint32_t host, user;
    double pid, cpus, threads, mem, read_bytes, write_bytes;
    double first_seen, updated;
};

/* The trace dataset: the store at one moment. */
struct trace_model {
    struct strtab strs;
    struct trace_row *rows; /* in the arena, sorted by job id then host */
    size_t n, cap;
};

/* Jobs by id, over a jobs dataset, for the rule below. */
struct trace_jobidx {
    const struct jobs_model *m;
    uint32_t *slots; /* index into m->jobs + 1 */
    size_t nslots;
};
void trace_jobidx_build(struct trace_jobidx *x, const struct jobs_model *m);
const struct job *trace_jobidx_find(const struct trace_jobidx *x, uint32_t job_id);
void trace_jobidx_free(struct trace_jobidx *x);

/* The rule that keeps an entry of job job_id first posted at first_seen,
 * given a jobs snapshot taken at jobs_at (its command's start, wall clock):
 * a snapshot not newer than the first post cannot judge the job (kept);
 * otherwise the job must be in it and running (running, suspended,
 * configuring, completing, or a state a running job passes through). *job
 * gets the job when found (NULL otherwise). */
bool trace_job_running(const struct job *j);
bool trace_job_live(const struct trace_jobidx *x, double jobs_at, uint32_t job_id,
                    double first_seen, const struct job **job);

#endif
