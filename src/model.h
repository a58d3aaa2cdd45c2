/* SPDX-License-Identifier: Apache-2.0 */
/* The typed model every source fills and every collector reads. Sources know
 * Slurm's formats; collectors know Prometheus; this file is what they share.
 * Units are base units: bytes, seconds. Here: jobs, nodes, partitions and the
 * helpers every model uses; the other datasets' models are in src/model/,
 * the result and view types in model/dataset.h. */
#ifndef SE_MODEL_H
#define SE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/strtab.h"

/* ---- jobs ------------------------------------------------------------- */

/* Slurm's job states (base state; COMPLETING/CONFIGURING etc. as squeue
 * prints them: a flag such as EXPEDITING, 25.11, replaces the base state in
 * squeue's State). Order is the order of exposition. */
#define JOB_STATES(X)                                                                              \
    X(PENDING, "pending")                                                                          \
    X(RUNNING, "running")                                                                          \
    X(SUSPENDED, "suspended")                                                                      \
    X(COMPLETING, "completing")                                                                    \
    X(CONFIGURING, "configuring")                                                                  \
    X(COMPLETED, "completed")                                                                      \
    X(CANCELLED, "cancelled")                                                                      \
    X(FAILED, "failed")                                                                            \
    X(TIMEOUT, "timeout")                                                                          \
    X(NODE_FAIL, "node_fail")                                                                      \
    X(PREEMPTED, "preempted")                                                                      \
    X(BOOT_FAIL, "boot_fail")                                                                      \
    X(DEADLINE, "deadline")                                                                        \
    X(OUT_OF_MEMORY, "out_of_memory")                                                              \
    X(EXPEDITING, "expediting")                                                                    \
    X(REQUEUED, "requeued")                                                                        \
    X(REQUEUE_HOLD, "requeue_hold")                                                                \
    X(REQUEUE_FED, "requeue_fed")                                                                  \
    X(RESIZING, "resizing")                                                                        \
    X(REVOKED, "revoked")                                                                          \
    X(SIGNALING, "signaling")                                                                      \
    X(SPECIAL_EXIT, "special_exit")                                                                \
    X(STAGE_OUT, "stage_out")                                                                      \
    X(STOPPED, "stopped")                                                                          \
    X(RESV_DEL_HOLD, "resv_del_hold")                                                              \
    X(UNKNOWN, "unknown")

enum job_state {
#define X(e, s) JOB_##e,
    JOB_STATES(X)
#undef X
        JOB_STATE_COUNT
};
extern const char *const job_state_names[JOB_STATE_COUNT];
/* The states always exported (zero when empty) so dashboards never show "No data". */
#define JOB_STATE_ALWAYS 14                   /* pending .. out_of_memory */
int job_state_parse(const char *s, size_t n); /* -1 when unknown */

struct job {
    uint32_t job_id;
    uint32_t partition; /* strtab id; may be "a,b" for a pending multi-partition job */
    uint32_t user, account, qos, reason;
    uint32_t cpus, nodes, gpus;
    uint8_t state;
    uint8_t is_array_task;
    uint64_t mem_bytes;              /* total for the job, all nodes */
    int64_t submit, start, eligible; /* epoch seconds, 0 = unknown */
    uint64_t key; /* identity across polls: job id, or array job id and task id */
};

/* ---- nodes ------------------------------------------------------------ */

#define NODE_BASES(X)                                                                              \
    X(IDLE, "idle")                                                                                \
    X(ALLOCATED, "allocated")                                                                      \
    X(MIXED, "mixed")                                                                              \
    X(DOWN, "down")                                                                                \
    X(ERROR, "error")                                                                              \
    X(FUTURE, "future")                                                                            \
    X(UNKNOWN, "unknown")

enum node_base {
#define X(e, s) NODE_BASE_##e,
    NODE_BASES(X)
#undef X
        NODE_BASE_COUNT
};

/* Node flags as scontrol prints them after '+', and our label values
 * (BLOCKED since Slurm 24.05, EXTERNAL since 25.05). */
#define NODE_FLAGS(X)                                                                              \
    X(DRAIN, "DRAIN", "drain")                                                                     \
    X(COMPLETING, "COMPLETING", "completing")                                                      \
    X(NOT_RESPONDING, "NOT_RESPONDING", "not_responding")                                          \
    X(MAINTENANCE, "MAINTENANCE", "maintenance")                                                   \
    X(RESERVED, "RESERVED", "reserved")                                                            \
    X(POWERED_DOWN, "POWERED_DOWN", "powered_down")                                                \
    X(POWERING_UP, "POWERING_UP", "powering_up")                                                   \
    X(POWERING_DOWN, "POWERING_DOWN", "powering_down")                                             \
    X(POWER_DOWN, "POWER_DOWN", "power_down")                                                      \
    X(PLANNED, "PLANNED", "planned")                                                               \
    X(REBOOT_REQUESTED, "REBOOT_REQUESTED", "reboot_requested")                                    \
    X(REBOOT_ISSUED, "REBOOT_ISSUED", "reboot_issued")                                             \
    X(FAIL, "FAIL", "fail")                                                                        \
    X(CLOUD, "CLOUD", "cloud")                                                                     \
    X(INVALID_REG, "INVALID_REG", "invalid_reg")                                                   \
    X(DYNAMIC, "DYNAMIC_FUTURE", "dynamic_future")                                                 \
    X(DYNAMIC_NORM, "DYNAMIC_NORM", "dynamic_norm")                                                \
    X(POWER_UP, "POWER_UP", "power_up")                                                            \
    X(BLOCKED, "BLOCKED", "blocked")                                                               \
    X(EXTERNAL, "EXTERNAL", "external")                                                            \
    X(OTHER, "", "other")

enum node_flag {
#define X(e, s, l) NODE_FLAG_##e,
    NODE_FLAGS(X)
#undef X
        NODE_FLAG_COUNT
};
extern const char *const node_flag_names[NODE_FLAG_COUNT];

/* The one, mutually exclusive state we derive from base + flags. The
 * precedence is the enum order (first match wins); see docs/metrics.md. */
#define NODE_STATES(X)                                                                             \
    X(DOWN, "down")                                                                                \
    X(FAIL, "fail")                                                                                \
    X(DRAINED, "drained")                                                                          \
    X(DRAINING, "draining")                                                                        \
    X(NOT_RESPONDING, "not_responding")                                                            \
    X(ERROR, "error")                                                                              \
    X(FUTURE, "future")                                                                            \
    X(UNKNOWN, "unknown")                                                                          \
    X(POWERED_DOWN, "powered_down")                                                                \
    X(POWERING_UP, "powering_up")                                                                  \
    X(POWERING_DOWN, "powering_down")                                                              \
    X(REBOOTING, "rebooting")                                                                      \
    X(MAINTENANCE, "maintenance")                                                                  \
    X(RESERVED, "reserved")                                                                        \
    X(BLOCKED, "blocked")                                                                          \
    X(EXTERNAL, "external")                                                                        \
    X(COMPLETING, "completing")                                                                    \
    X(ALLOCATED, "allocated")                                                                      \
    X(MIXED, "mixed")                                                                              \
    X(PLANNED, "planned")                                                                          \
    X(IDLE, "idle")

enum node_state {
#define X(e, s) NODE_STATE_##e,
    NODE_STATES(X)
#undef X
        NODE_STATE_COUNT
};
extern const char *const node_state_names[NODE_STATE_COUNT];

struct gres {
    uint32_t name, type; /* strtab ids; type "" when untyped */
    uint64_t total, used;
};

struct node {
    uint32_t name;
    uint32_t partitions; /* index into nodes_model.part_lists */
    uint8_t base;
    uint8_t state;  /* derived enum node_state */
    uint32_t flags; /* bit per enum node_flag */
    uint32_t cpus_total, cpus_alloc;
    uint32_t weight;                         /* Weight= (scheduling weight), 0 when absent */
    double cpu_load;                         /* NaN when unknown */
    uint64_t mem_total, mem_alloc, mem_free; /* bytes; mem_free UINT64_MAX when unknown */
    uint32_t gres_first, gres_count;         /* slice of nodes_model.gres */
    uint32_t reason;                         /* strtab id, "" when none */
    int64_t reason_time;                     /* epoch, 0 when unknown */
    /* Read for the per-node collector (strtab ids, "" when absent; labels
     * cut to MAX_LABEL_LEN). */
    uint32_t reason_user;       /* the "user" of Reason's "[user@time]" */
    uint32_t cpus_tot;          /* CPUTot as printed (sinfo's total), cpus_total when absent */
    uint32_t arch, os, version; /* Arch, OS, Version */
    uint32_t partitions_str;    /* Partitions as printed */
    uint32_t features;          /* ActiveFeatures as printed, "" for (null) */
    uint32_t features_avail;    /* AvailableFeatures as printed, "" for (null) */
    uint32_t feature_list; /* index into nodes_model.feat_lists: ActiveFeatures split, unique */
    int64_t boot_time, slurmd_start_time, last_busy; /* epoch, 0 when None/Unknown */
};

/* A list of partition ids (strtab ids), shared between nodes with the same
 * Partitions= string. */
struct id_list {
    uint32_t n;
    uint32_t *ids;
};

/* ---- partitions ------------------------------------------------------- */

struct partition {
    uint32_t name;
    uint32_t state; /* strtab id of the lower-cased State= value */
    bool is_default, hidden;
    int64_t max_time, default_time; /* seconds, -1 unlimited/none */
    int64_t max_nodes, min_nodes;   /* -1 unlimited */
    int64_t priority_tier, priority_job_factor;
    uint32_t total_cpus, total_nodes;
    uint32_t oversubscribe, preempt_mode, qos; /* strtab ids */
};

/* ---- datasets ---------------------------------------------------------- */

/* A histogram with fixed upper bounds (seconds). */
#define WAIT_BUCKETS 14
extern const double wait_bucket_bounds[WAIT_BUCKETS];
struct wait_hist {
    uint32_t partition;                /* strtab id in the owning dataset */
    uint64_t counts[WAIT_BUCKETS + 1]; /* non-cumulative; last = +Inf */
    uint64_t count;
    double sum;
};

struct jobs_model {
    struct strtab strs;
    struct job *jobs; /* arena_realloc'ed: sized from the last refresh */
    size_t n, cap;
    /* Partition lists: multi-partition strings split once. Indexed by the
     * strtab id of the job's partition string. */
    struct id_list *part_lists;
    uint32_t part_lists_n;
    /* Queue-wait histograms per partition, cumulative since start (copied from
     * the process-lifetime tracker into each snapshot). */
    struct wait_hist *wait;
    size_t wait_n;
};

struct nodes_model {
    struct strtab strs;
    struct node *nodes;
    size_t n, cap;
    struct gres *gres;
    size_t gres_n, gres_cap;
    struct id_list *part_lists; /* indexed by node.partitions */
    uint32_t part_lists_n, part_lists_cap;
    struct id_list *feat_lists; /* indexed by node.feature_list */
    uint32_t feat_lists_n, feat_lists_cap;
};

struct partitions_model {
    struct strtab strs;
    struct partition *parts;
    size_t n, cap;
};

/* Units: Slurm's "M" is MiB. Parses "4G", "16000M", "937.50G", "2000" (MiB
 * when unsuffixed) into bytes. Returns -1 on garbage. */
int parse_slurm_mem(const char *s, size_t n, uint64_t *bytes);
/* Parses a Slurm duration ("1-02:03:04", "30:00", "UNLIMITED") into seconds
 * (-1 for UNLIMITED/INFINITE/NONE). Returns -1 on garbage. */
int parse_slurm_duration(const char *s, size_t n, int64_t *secs);
/* Parses an unsigned decimal; -1 on garbage or overflow. */
int parse_u64(const char *s, size_t n, uint64_t *out);
int parse_double(const char *s, size_t n, double *out);
/* Longest label value kept from Slurm output; longer ones are cut before
 * interning, the same way everywhere, so cutting never splits one name into
 * two series or merges series after aggregation. */
#define MAX_LABEL_LEN 128

/* Splits a comma-separated list into interned ids (each cut to MAX_LABEL_LEN). */
void split_list(struct strtab *t, struct arena *a, const char *s, size_t n, struct id_list *out);

#endif
