/* SPDX-License-Identifier: Apache-2.0 */
/* The limits dataset: `scontrol --oneliner show assoc_mgr flags=assoc,qos`,
 * slurmctld's association manager, which prints every QoS and association
 * with each configured limit and, in parentheses, its current use
 * ("GrpTRES=cpu=4(2),mem=N(100)", "GrpJobs=3(1)", "MaxJobs=", ...). The
 * parser keeps the limits that are set (never the unlimited ones), in base
 * units, beside the use Slurm prints for them. */
#ifndef SE_ASSOC_MGR_H
#define SE_ASSOC_MGR_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sources/cli.h"

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
    struct limit_row *rows; /* malloc'ed, released with the result */
    size_t n, cap;
    uint32_t qos_records, assoc_records;
};

struct uid_slot {
    uint32_t uid1; /* uid + 1; 0 = empty */
    uint32_t name; /* strtab id */
};

struct assoc_mgr_parser {
    struct limits_model *m;
    struct arena *a;
    struct parse_stats st;
    /* uid -> user name, from the association (and user) records, for the
     * QoS per-user entries that Slurm 22.05 prints by uid only. */
    struct uid_slot *uids;
    size_t nuids, uid_cap;
};

void assoc_mgr_init(struct assoc_mgr_parser *p, struct limits_model *m, struct arena *a);
void assoc_mgr_line(void *p, const char *line, size_t len);
/* Frees the parser's own memory (the uid map); the model stays. */
void assoc_mgr_finish(struct assoc_mgr_parser *p);

/* One value "L(U)", "L", "N(U)", "N", "": *has_limit when L is a number
 * (not N/UNLIMITED/empty, not NO_VAL), *has_usage when "(U)" is present.
 * wide: a 64-bit field (TRES), else 32-bit. Returns 0, or -1 on garbage. */
int assoc_mgr_value(const char *s, size_t n, int wide, int *has_limit, double *limit,
                    int *has_usage, double *usage);
/* The kind whose Slurm key is key[0..n), or -1. */
int limit_kind_find(const char *key, size_t n);

#endif
