/* SPDX-License-Identifier: Apache-2.0 */
/* The limits dataset's model: QoS and association limits that are set, in
 * base units, beside the use Slurm reports for them. */
#ifndef SE_MODEL_LIMITS_H
#define SE_MODEL_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Who a limit belongs to: a QoS, one user or one account under a QoS (the
 * QoS's per-user/per-account limits), or an association. */
enum limit_entity { LIM_QOS, LIM_QOS_USER, LIM_QOS_ACCOUNT, LIM_ASSOC, LIM_ENTITY_COUNT };

/* How a value converts to base units. */
enum limit_unit {
    LU_COUNT,     /* jobs: as printed */
    LU_MINUTES,   /* wall time in minutes -> seconds */
    LU_TRES,      /* per TRES; mem MiB -> bytes */
    LU_TRES_MINS, /* per TRES, TRES-minutes -> TRES-seconds (mem: byte-seconds) */
};

/* The limits we keep: Slurm's key, our label value (the key in snake case)
 * and the unit. TRES values are 64-bit fields in Slurm, the others 32-bit
 * (NO_VAL, 4294967294, then means "not set"). Keys Slurm prints that are not
 * here (MinPrioThresh, MinTRESPJ, ID, Priority, ...) are ignored. */
#define LIMIT_KINDS(X)                                                                             \
    X(GRP_JOBS, "GrpJobs", "grp_jobs", LU_COUNT)                                                   \
    X(GRP_JOBS_ACCRUE, "GrpJobsAccrue", "grp_jobs_accrue", LU_COUNT)                               \
    X(GRP_SUBMIT_JOBS, "GrpSubmitJobs", "grp_submit_jobs", LU_COUNT)                               \
    X(GRP_WALL, "GrpWall", "grp_wall", LU_MINUTES)                                                 \
    X(GRP_TRES, "GrpTRES", "grp_tres", LU_TRES)                                                    \
    X(GRP_TRES_MINS, "GrpTRESMins", "grp_tres_mins", LU_TRES_MINS)                                 \
    X(GRP_TRES_RUN_MINS, "GrpTRESRunMins", "grp_tres_run_mins", LU_TRES_MINS)                      \
    X(MAX_JOBS, "MaxJobs", "max_jobs", LU_COUNT)                                                   \
    X(MAX_JOBS_ACCRUE, "MaxJobsAccrue", "max_jobs_accrue", LU_COUNT)                               \
    X(MAX_SUBMIT_JOBS, "MaxSubmitJobs", "max_submit_jobs", LU_COUNT)                               \
    X(MAX_WALL_PJ, "MaxWallPJ", "max_wall_pj", LU_MINUTES)                                         \
    X(MAX_TRES_PJ, "MaxTRESPJ", "max_tres_pj", LU_TRES)                                            \
    X(MAX_TRES_PN, "MaxTRESPN", "max_tres_pn", LU_TRES)                                            \
    X(MAX_TRES_MINS_PJ, "MaxTRESMinsPJ", "max_tres_mins_pj", LU_TRES_MINS)                         \
    X(MAX_JOBS_PU, "MaxJobsPU", "max_jobs_pu", LU_COUNT)                                           \
    X(MAX_JOBS_ACCRUE_PU, "MaxJobsAccruePU", "max_jobs_accrue_pu", LU_COUNT)                       \
    X(MAX_SUBMIT_JOBS_PU, "MaxSubmitJobsPU", "max_submit_jobs_pu", LU_COUNT)                       \
    X(MAX_TRES_PU, "MaxTRESPU", "max_tres_pu", LU_TRES)                                            \
    X(MAX_TRES_RUN_MINS_PU, "MaxTRESRunMinsPU", "max_tres_run_mins_pu", LU_TRES_MINS)              \
    X(MAX_JOBS_PA, "MaxJobsPA", "max_jobs_pa", LU_COUNT)                                           \
    X(MAX_JOBS_ACCRUE_PA, "MaxJobsAccruePA", "max_jobs_accrue_pa", LU_COUNT)                       \
    X(MAX_SUBMIT_JOBS_PA, "MaxSubmitJobsPA", "max_submit_jobs_pa", LU_COUNT)                       \
    X(MAX_TRES_PA, "MaxTRESPA", "max_tres_pa", LU_TRES)                                            \
    X(MAX_TRES_RUN_MINS_PA, "MaxTRESRunMinsPA", "max_tres_run_mins_pa", LU_TRES_MINS)

enum limit_kind {
#define X(e, key, label, unit) LIMIT_##e,
    LIMIT_KINDS(X)
#undef X
        LIMIT_KIND_COUNT
};

struct limit_kind_def {
    const char *key, *label;
    uint8_t unit;
};
extern const struct limit_kind_def limit_kinds[LIMIT_KIND_COUNT];

/* One limit that is set. Names are strtab ids in the model (0 = ""): qos for
 * the QoS entities, account/user/partition for associations and the QoS's
 * per-account/per-user entries; tres for the TRES limits (0 for job counts
 * and wall time). */
struct limit_row {
    uint32_t qos, account, user, partition, tres;
    uint8_t entity, kind;
    double limit; /* base units */
    double usage; /* base units; NaN when Slurm prints no use for it */
};

struct limits_model {
    struct strtab strs;
    struct limit_row *rows; /* malloc'ed, owned by the arena */
    size_t n, cap;
    uint32_t qos_records, assoc_records;
};

#endif
