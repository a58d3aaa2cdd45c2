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

#include "model/limits.h"
#include "sources/cli.h"

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
