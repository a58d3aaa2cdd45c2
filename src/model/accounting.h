/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting dataset's model: one window's finished jobs and the
 * cumulative counters and histograms since the exporter started counting. */
#ifndef SE_MODEL_ACCOUNTING_H
#define SE_MODEL_ACCOUNTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Final job states, in the order of exposition. */
#define ACCT_STATES(X)                                                                             \
    X(COMPLETED, "completed")                                                                      \
    X(FAILED, "failed")                                                                            \
    X(TIMEOUT, "timeout")                                                                          \
    X(CANCELLED, "cancelled")                                                                      \
    X(OUT_OF_MEMORY, "out_of_memory")                                                              \
    X(NODE_FAIL, "node_fail")                                                                      \
    X(PREEMPTED, "preempted")                                                                      \
    X(BOOT_FAIL, "boot_fail")                                                                      \
    X(DEADLINE, "deadline")

enum acct_state_id {
#define X(e, s) ACCT_##e,
    ACCT_STATES(X)
#undef X
        ACCT_STATE_COUNT
};
extern const char *const acct_state_names[ACCT_STATE_COUNT];

/* No user: the field was not asked for, or a (partition, account) group. */
#define ACCT_NO_USER UINT32_MAX

/* One finished allocation of the window. */
struct acct_job {
    uint32_t job_id;             /* JobIDRaw: array tasks and het components have their own */
    uint8_t state;               /* enum acct_state_id */
    bool ran;                    /* it had an allocation (AllocTRES cpu=) and a start time */
    uint32_t partition, account; /* strtab ids */
    uint32_t user;               /* strtab id; ACCT_NO_USER without --accounting.users */
    int64_t submit, eligible, start, end;
    int64_t elapsed;    /* ElapsedRaw: end - start - suspended */
    uint32_t cpus;      /* AllocTRES cpu= */
    uint64_t mem_alloc; /* AllocTRES mem= in bytes, 0 = unknown */
    double cpu_used;    /* TotalCPU (sum over the steps), seconds */
    double mem_used;    /* max over steps of MaxRSS x NTasks, bytes; -1 = unknown */
};

/* Whether a job that ran adds to the memory sums: it has a memory sample
 * (mem_used) and an allocation (mem_alloc), the same jobs the memory
 * efficiency histogram observes. Allocated and used memory-seconds are
 * summed over exactly these jobs, so used / allocated is an efficiency and
 * allocated - used a waste. */
static inline bool acct_job_mem_measured(const struct acct_job *j)
{
    return j->ran && j->mem_used >= 0 && j->mem_alloc > 0;
}

/* Histograms: queue wait, run time, CPU efficiency, memory efficiency. */
enum { ACCT_H_WAIT, ACCT_H_RUN, ACCT_H_CPU_EFF, ACCT_H_MEM_EFF, ACCT_HISTS };
#define ACCT_MAX_BUCKETS 16
extern const double *const acct_bounds[ACCT_HISTS];
extern const size_t acct_nbounds[ACCT_HISTS];
struct acct_hist {
    uint64_t counts[ACCT_MAX_BUCKETS + 1]; /* non-cumulative; [nbounds] = +Inf */
    uint64_t count;
    double sum;
};

/* What the finished jobs of one group add up to, since counting began. */
struct acct_sums {
    uint64_t jobs[ACCT_STATE_COUNT];
    double cpu_used, cpu_alloc; /* CPU-seconds: TotalCPU; ElapsedRaw x CPUs */
    /* byte-seconds, over the jobs acct_job_mem_measured() takes: peak x
     * ElapsedRaw and AllocTRES mem= x ElapsedRaw */
    double mem_used, mem_alloc;
    uint64_t mem_unmeasured; /* jobs that ran but add to neither memory sum */
    /* what each job left unused, summed: max(0, allocated - used) per job,
     * CPU-seconds and (over the measured jobs) byte-seconds; a job that used
     * more than it was allocated adds 0 rather than offsetting another's */
    double cpu_waste, mem_waste;
};

struct acct_group { /* per partition and account, or per partition, account and user */
    uint32_t partition, account, user; /* user: ACCT_NO_USER in the first kind */
    struct acct_sums s;
};
struct acct_part {
    uint32_t partition;
    struct acct_hist h[ACCT_HISTS];
};

struct acct_totals {
    uint64_t counted;    /* finished jobs counted */
    uint64_t duplicates; /* records read again in an overlapping window, not counted again */
    uint64_t late;       /* counted jobs that ended before the previous window's end */
    /* counted jobs whose TotalCPU was different when read again (overlap):
     * their figures are the first read's (--accounting.settle too short) */
    uint64_t revised;
    uint64_t dropped; /* finished jobs not counted: series limit */
    /* counted jobs left out of the per-user groups: series limit
     * (--accounting.users) */
    uint64_t user_dropped;
};

/* --compat=azure: Azure's cumulative counts, each the line count of
 * `sacct -a -S <reset> -E now -X -n [-s STATE] [-r PARTITION]`. The families
 * in Azure's order: the seven final states it asked for, then _submitted
 * (no -s). */
#define ACCT_AZ_FAMILIES(X)                                                                        \
    X(COMPLETED, "completed")                                                                      \
    X(FAILED, "failed")                                                                            \
    X(TIMEOUT, "timeout")                                                                          \
    X(NODE_FAIL, "node_failed")                                                                    \
    X(CANCELLED, "cancelled")                                                                      \
    X(PREEMPTED, "preempted")                                                                      \
    X(OUT_OF_MEMORY, "out_of_memory")                                                              \
    X(SUBMITTED, "submitted")

enum acct_az_family {
#define X(e, s) ACCT_AZ_##e,
    ACCT_AZ_FAMILIES(X)
#undef X
        ACCT_AZ_FAMILY_COUNT
};
extern const char *const acct_az_family_names[ACCT_AZ_FAMILY_COUNT];
/* The family of a final state (enum acct_state_id), -1 for the states
 * Azure did not ask for (BOOT_FAIL, DEADLINE). */
int acct_az_family(int acct_state);

/* One finished job record (allocation line) of slurmdbd, as sacct -X lists
 * it: what decides whether a window's sacct lists it. */
struct acct_az_job {
    int64_t end;        /* End */
    int64_t eligible;   /* Eligible, 0 = Unknown (never eligible) */
    uint32_t job_id;    /* JobIDRaw */
    uint32_t partition; /* strtab id of the record's partition string, as stored */
    uint8_t state;      /* enum acct_state_id */
};

/* The records a render of Azure's cumulative families needs (a copy of the
 * source's store, in the refresh's arena). */
struct acct_az {
    /* the records cover the whole window: the history since the reset
     * time has been read and the last window reached its fetch time */
    bool ready;
    int64_t window;                 /* sliding window, seconds before the render; 0 = fixed start */
    int64_t reset;                  /* the fixed start (window 0) */
    const struct acct_az_job *jobs; /* by job id, then end */
    size_t n;
    /* records beyond the store's cap: with a fixed start the oldest are
     * folded into counts (they never leave the window); with a sliding one
     * they are dropped */
    const uint32_t *fold_part; /* strtab ids */
    const uint64_t (*fold)[ACCT_AZ_FAMILY_COUNT];
    size_t nfold;
    uint64_t fold_all[ACCT_AZ_FAMILY_COUNT];
    uint64_t dropped; /* records folded or dropped at the cap so far */
};

struct acct_model {
    struct strtab strs;
    /* this refresh's records (malloc'ed, owned by the arena) */
    struct acct_job *jobs;
    size_t n, cap;
    /* records left for a later window: no Partition yet (slurmdbd created the
     * record from the completion message before the job's start message) */
    size_t incomplete;
    /* cumulative, copied from the state by the commit (in the arena) */
    bool committed;
    struct acct_group *groups; /* by partition, then account name */
    size_t ngroups;
    bool users;                 /* --accounting.users: the records have a user, and */
    struct acct_group *ugroups; /* the groups per partition, account and user (by name) */
    size_t nugroups;
    struct acct_part *parts; /* by partition name */
    size_t nparts;
    struct acct_totals tot;
    int64_t floor;        /* jobs ending before this are not counted */
    int64_t window_start; /* the window just read */
    int64_t window_end;
    size_t seen;              /* jobs remembered for the next overlapping window */
    const struct acct_az *az; /* --compat=azure, else NULL */
};

#endif
