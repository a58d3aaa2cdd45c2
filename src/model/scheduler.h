/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler dataset's model: slurmctld's statistics as sdiag reports
 * them, and the exporter's monotonic totals kept across Slurm's resets. */
#ifndef SE_MODEL_SCHEDULER_H
#define SE_MODEL_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Every single number sdiag prints, as printed (times in microseconds,
 * timestamps in epoch seconds). */
#define SDIAG_FIELDS(X)                                                                            \
    X(REQ_TIME)          /* "sdiag output at ... (N)" */                                           \
    X(DATA_SINCE)        /* "Data since ... (N)": the last statistics reset */                     \
    X(SERVER_THREADS)    /* Server thread count */                                                 \
    X(RPC_QUEUE_ENABLED) /* RPC queue enabled (24.05+) */                                          \
    X(AGENT_QUEUE)       /* Agent queue size */                                                    \
    X(AGENTS)            /* Agent count */                                                         \
    X(AGENT_THREADS)     /* Agent thread count */                                                  \
    X(DBD_QUEUE)         /* DBD Agent queue size */                                                \
    X(JOBS_SUBMITTED)    /* since the last reset */                                                \
    X(JOBS_STARTED)                                                                                \
    X(JOBS_COMPLETED)                                                                              \
    X(JOBS_CANCELED)                                                                               \
    X(JOBS_FAILED)                                                                                 \
    X(JOB_STATES_TS) /* when pending/running were counted */                                       \
    X(JOBS_PENDING)                                                                                \
    X(JOBS_RUNNING)                                                                                \
    X(MAIN_LAST)           /* main scheduler: Last cycle */                                        \
    X(MAIN_MAX)            /* Max cycle */                                                         \
    X(MAIN_CYCLES)         /* Total cycles */                                                      \
    X(MAIN_MEAN)           /* Mean cycle (only when cycles > 0) */                                 \
    X(MAIN_MEAN_DEPTH)     /* Mean depth cycle */                                                  \
    X(MAIN_PER_MINUTE)     /* Cycles per minute (only 60 s after a reset) */                       \
    X(MAIN_QUEUE_LEN)      /* Last queue length */                                                 \
    X(BF_JOBS_SINCE_START) /* Total backfilled jobs (since last slurm start) */                    \
    X(BF_JOBS)             /* Total backfilled jobs (since last stats cycle start) */              \
    X(BF_HET)              /* Total backfilled heterogeneous job components */                     \
    X(BF_CYCLES)           /* Total cycles */                                                      \
    X(BF_LAST_WHEN)        /* Last cycle when (absent when N/A) */                                 \
    X(BF_LAST)             /* Last cycle */                                                        \
    X(BF_MAX)              /* Max cycle */                                                         \
    X(BF_MEAN)             /* Mean cycle */                                                        \
    X(BF_LAST_DEPTH)       /* Last depth cycle */                                                  \
    X(BF_LAST_DEPTH_TRY)   /* Last depth cycle (try sched) */                                      \
    X(BF_DEPTH_MEAN)       /* Depth Mean */                                                        \
    X(BF_DEPTH_MEAN_TRY)   /* Depth Mean (try depth) */                                            \
    X(BF_QUEUE_LEN)        /* Last queue length */                                                 \
    X(BF_QUEUE_LEN_MEAN)   /* Queue length mean */                                                 \
    X(BF_TABLE_SIZE)       /* Last table size */                                                   \
    X(BF_TABLE_SIZE_MEAN)  /* Mean table size */                                                   \
    X(BF_ACTIVE)           /* 1: taken in the middle of a backfill cycle */                        \
    X(LATENCY)             /* Latency for 1000 calls to gettimeofday() */

enum sdiag_field {
#define X(e) SD_##e,
    SDIAG_FIELDS(X)
#undef X
        SD_FIELD_COUNT
};

/* The fields that Slurm counts up from its last statistics reset; the
 * exporter keeps a monotonic total of each (see sdiag_commit). */
#define SDIAG_COUNTERS(X)                                                                          \
    X(JOBS_SUBMITTED)                                                                              \
    X(JOBS_STARTED)                                                                                \
    X(JOBS_COMPLETED)                                                                              \
    X(JOBS_CANCELED)                                                                               \
    X(JOBS_FAILED)                                                                                 \
    X(MAIN_CYCLES)                                                                                 \
    X(BF_JOBS)                                                                                     \
    X(BF_HET)                                                                                      \
    X(BF_CYCLES)

enum sdiag_counter {
#define X(e) SDC_##e,
    SDIAG_COUNTERS(X)
#undef X
        SDC_COUNT
};
extern const enum sdiag_field sdiag_counter_field[SDC_COUNT];

/* Why a scheduling cycle ended ("Main scheduler exit:" and "Backfill exit",
 * 23.11+), named after the Slurm parameter that stopped it. */
#define SDIAG_MAIN_EXITS(X)                                                                        \
    X(END, "End of job queue", "end_of_queue")                                                     \
    X(MAX_DEPTH, "Hit default_queue_depth", "default_queue_depth")                                 \
    X(MAX_JOB_START, "Hit sched_max_job_start", "sched_max_job_start")                             \
    X(LIC, "Blocked on licenses", "licenses")                                                      \
    X(RPC_CNT, "Hit max_rpc_cnt", "max_rpc_cnt")                                                   \
    X(TIMEOUT, "Timeout (max_sched_time)", "max_sched_time")                                       \
    X(OTHER, "", "other")
#define SDIAG_BF_EXITS(X)                                                                          \
    X(END, "End of job queue", "end_of_queue")                                                     \
    X(MAX_JOB_START, "Hit bf_max_job_start", "bf_max_job_start")                                   \
    X(MAX_JOB_TEST, "Hit bf_max_job_test", "bf_max_job_test")                                      \
    X(STATE_CHANGED, "System state changed", "state_changed")                                      \
    X(TABLE_LIMIT, "Hit table size limit (bf_node_space_size)", "bf_node_space_size")              \
    X(TIMEOUT, "Timeout (bf_max_time)", "bf_max_time")                                             \
    X(OTHER, "", "other")
enum sdiag_main_exit {
#define X(e, s, l) SDX_MAIN_##e,
    SDIAG_MAIN_EXITS(X)
#undef X
        SDX_MAIN_COUNT
};
enum sdiag_bf_exit {
#define X(e, s, l) SDX_BF_##e,
    SDIAG_BF_EXITS(X)
#undef X
        SDX_BF_COUNT
};
extern const char *const sdiag_main_exit_labels[SDX_MAIN_COUNT];
extern const char *const sdiag_bf_exit_labels[SDX_BF_COUNT];

/* Entries kept per RPC table (message types: Slurm has a few hundred; users:
 * every uid that ever sent an RPC). Further ones are counted as dropped. */
#define SDIAG_MAX_RPC_TYPES 1024
#define SDIAG_MAX_RPC_USERS 4096

/* One line of "Remote Procedure Call statistics by message type/by user". */
struct sdiag_rpc {
    uint32_t name; /* strtab id: message type name, or user name (uid when unknown) */
    uint32_t id;   /* message type number or uid */
    uint64_t count, ave_time, total_time; /* calls, microseconds */
    /* 24.05+ with the RPC queue enabled */
    bool have_queue;
    uint64_t queued, dropped, cycle_last, cycle_max;
};

/* A pending RPC ("Pending RPC statistics"). */
struct sdiag_pending {
    uint32_t name;
    uint64_t count;
};

/* The exporter's counter of one RPC type or user, for the whole run (it
 * outlives the entry's disappearance from sdiag after `sdiag --reset`). */
struct sdiag_rpc_total {
    uint32_t name; /* strtab id in the model */
    double calls, seconds;
    double dropped; /* only meaningful when has_dropped */
    bool has_dropped;
};

struct sdiag_model {
    struct strtab strs;
    uint64_t v[SD_FIELD_COUNT];
    uint64_t have; /* bit per enum sdiag_field: printed in this output */
    uint64_t main_exit[SDX_MAIN_COUNT], bf_exit[SDX_BF_COUNT];
    uint32_t main_exit_have, bf_exit_have;

    /* sections present (a section may be present and empty) */
    bool have_types, have_users, have_pending;
    struct sdiag_rpc *types, *users;
    size_t n_types, n_users, cap_types, cap_users;
    struct sdiag_pending *pending;
    size_t n_pending, cap_pending;
    uint32_t *type_idx, *user_idx, *pend_idx; /* strtab id -> index + 1 */
    size_t idx_cap;
    uint64_t rpc_dropped; /* RPC entries over the caps (parser and counter state) */

    /* Filled by sdiag_commit from the process-lifetime state. */
    bool counted;
    double total[SDC_COUNT]; /* valid where the field is in `have` */
    double main_exit_total[SDX_MAIN_COUNT], bf_exit_total[SDX_BF_COUNT];
    struct sdiag_rpc_total *type_totals, *user_totals;
    size_t n_type_totals, n_user_totals;
};

static inline bool sdiag_has(const struct sdiag_model *m, enum sdiag_field f)
{
    return (m->have >> f) & 1u;
}

#endif
