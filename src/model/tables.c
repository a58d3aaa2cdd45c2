/* SPDX-License-Identifier: Apache-2.0 */
/* The constant tables of the datasets' models in src/model/ (names,
 * labels, histogram bounds), which sources and collectors both read. */
#include "model/accounting.h"
#include "model/dataset.h"
#include "model/limits.h"
#include "model/scheduler.h"

#include <stddef.h>

const struct limit_kind_def limit_kinds[LIMIT_KIND_COUNT] = {
#define X(e, key, label, unit) {key, label, unit},
    LIMIT_KINDS(X)
#undef X
};

const char *const acct_state_names[ACCT_STATE_COUNT] = {
#define X(e, s) s,
    ACCT_STATES(X)
#undef X
};

/* Refresh durations: squeue and scontrol take milliseconds on a small
 * cluster and seconds on a big one; --slurm.timeout is 30 s by default. */
const double fetch_hist_bounds[FETCH_HIST_BOUNDS] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                     1,    2.5,   5,    10,  30,   60};

const char *const acct_az_family_names[ACCT_AZ_FAMILY_COUNT] = {
#define X(e, s) s,
    ACCT_AZ_FAMILIES(X)
#undef X
};

int acct_az_family(int acct_state)
{
    switch (acct_state) {
    case ACCT_COMPLETED:
        return ACCT_AZ_COMPLETED;
    case ACCT_FAILED:
        return ACCT_AZ_FAILED;
    case ACCT_TIMEOUT:
        return ACCT_AZ_TIMEOUT;
    case ACCT_NODE_FAIL:
        return ACCT_AZ_NODE_FAIL;
    case ACCT_CANCELLED:
        return ACCT_AZ_CANCELLED;
    case ACCT_PREEMPTED:
        return ACCT_AZ_PREEMPTED;
    case ACCT_OUT_OF_MEMORY:
        return ACCT_AZ_OUT_OF_MEMORY;
    default:
        return -1; /* BOOT_FAIL, DEADLINE: no family of Azure's */
    }
}

static const double run_bounds[] = {10,    60,    300,   600,   1800,   3600,   7200,
                                    14400, 28800, 43200, 86400, 172800, 345600, 604800};
static const double eff_bounds[] = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.5};
const double *const acct_bounds[ACCT_HISTS] = {wait_bucket_bounds, run_bounds, eff_bounds,
                                               eff_bounds};
const size_t acct_nbounds[ACCT_HISTS] = {WAIT_BUCKETS, sizeof(run_bounds) / sizeof(double),
                                         sizeof(eff_bounds) / sizeof(double),
                                         sizeof(eff_bounds) / sizeof(double)};

const enum sdiag_field sdiag_counter_field[SDC_COUNT] = {
#define X(e) SD_##e,
    SDIAG_COUNTERS(X)
#undef X
};
const char *const sdiag_main_exit_labels[SDX_MAIN_COUNT] = {
#define X(e, s, l) l,
    SDIAG_MAIN_EXITS(X)
#undef X
};
const char *const sdiag_bf_exit_labels[SDX_BF_COUNT] = {
#define X(e, s, l) l,
    SDIAG_BF_EXITS(X)
#undef X
};
