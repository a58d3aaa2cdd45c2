/* SPDX-License-Identifier: Apache-2.0 */
/* The licenses dataset's model: one entry per license, local or remote. */
#ifndef SE_MODEL_LICENSES_H
#define SE_MODEL_LICENSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Counts are -1 when Slurm did not print them or printed no number (an
 * INFINITE total prints as -1 or 4294967295). */
struct license {
    uint32_t name; /* strtab id; remote licenses keep "name@server" */
    bool remote;
    int64_t total, used, free, reserved;
    /* remote licenses, Slurm >= 23.02 only */
    int64_t last_consumed, last_deficit;
    int64_t last_update; /* epoch seconds, 0 when unknown */
};

struct licenses_model {
    struct strtab strs;
    struct license *lic;
    size_t n, cap;
    size_t skipped; /* hierarchical resources (Mode=, 25.05+): not exported */
};

#endif
