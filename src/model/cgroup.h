/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup dataset's model: every running job's usage on this node, read
 * from Slurm's cgroup hierarchy. */
#ifndef SE_MODEL_CGROUP_H
#define SE_MODEL_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Which fields of a cgroup_job are known (file present and readable). */
enum {
    CGJ_CPU = 1u << 0,
    CGJ_MEM = 1u << 1,
    CGJ_PEAK = 1u << 2,
    CGJ_LIMIT = 1u << 3,
    CGJ_IO = 1u << 4,
    CGJ_TASKS = 1u << 5,
};

struct cgroup_job {
    uint32_t job_id;
    uint64_t sluid;  /* the directory's SLUID (Slurm 26.05 cgroup v2), 0 for job_<id> */
    uint8_t version; /* 1 or 2 */
    uint32_t known;  /* CGJ_* bits */
    double cpu_seconds;
    uint64_t mem_bytes, mem_peak, mem_limit;
    uint64_t io_read, io_write;
    uint64_t tasks;
};

struct cgroup_model {
    struct cgroup_job *jobs; /* sorted by job id, at most CGROUP_MAX_JOBS */
    size_t n;
    uint32_t scopes_v1, scopes_v2; /* Slurm hierarchies found */
    uint64_t dropped;              /* jobs over CGROUP_MAX_JOBS */
    uint32_t unresolved;           /* SLUID directories whose job id is not known */
    uint32_t unknown_dirs;         /* directories where jobs are that are not jobs */
    uint64_t lookups;              /* squeue runs mapping SLUIDs, since start */
};

#endif
