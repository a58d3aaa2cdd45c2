/* SPDX-License-Identifier: Apache-2.0 */
/* The reservations dataset's model: one entry per reservation. */
#ifndef SE_MODEL_RESERVATIONS_H
#define SE_MODEL_RESERVATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct reservation {
    /* strtab ids, values cut at MAX_LABEL_LEN; "(null)" reads as "" */
    uint32_t name, state, flags, partition, users, accounts;
    int8_t active;              /* State=ACTIVE: 1, INACTIVE: 0, other: -1 */
    int64_t start, end;         /* epoch seconds, 0 when unknown */
    int64_t nodes, cores, cpus; /* NodeCnt, CoreCnt, TRES cpu=; -1 when unknown */
    const char *nodelist;       /* the whole Nodes= host list (in the arena), "" when none */
    size_t nodelist_len;
};

struct reservations_model {
    struct strtab strs;
    struct reservation *resv;
    size_t n, cap;
};

#endif
