/* SPDX-License-Identifier: Apache-2.0 */
/* The fairshare dataset's model: one row per association (account or user)
 * in Slurm's tree order; values Slurm does not print are NaN. */
#ifndef SE_MODEL_FAIRSHARE_H
#define SE_MODEL_FAIRSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The values of one association, in column order; NaN: not printed. */
enum share_val {
    SV_SHARES_RAW,
    SV_SHARES_NORM,
    SV_USAGE_RAW,
    SV_USAGE_NORM,
    SV_USAGE_EFF,
    SV_FS_FACTOR,
    SV_LEVEL_FS,
    SV_COUNT
};

struct share_row {
    uint32_t account;   /* the account (a user row: the user's account) */
    uint32_t user;      /* 0 for an account row */
    uint32_t parent;    /* account rows: the parent account; 0 at the top */
    uint32_t partition; /* user rows of partition associations; else 0 */
    uint32_t cluster;   /* the Cluster column (or the last "CLUSTER: x" line) */
    uint16_t depth;     /* leading spaces of the Account column */
    bool is_user;
    bool is_root;       /* the root association (depth 0, no RawShares) */
    bool shares_parent; /* RawShares "parent": Fairshare=parent */
    double v[SV_COUNT];
};

struct fairshare_model {
    struct strtab strs;
    struct share_row *rows; /* malloc'ed, owned by the arena */
    size_t n, cap;
    bool users; /* user rows were asked for (and kept) */
};

#endif
