/* SPDX-License-Identifier: Apache-2.0 */
/* The reservations dataset: `scontrol --oneliner show reservations`, one
 * reservation per line, and the model its collector reads
 * (dataset_result.model). */
#ifndef SE_RESERVATIONS_H
#define SE_RESERVATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/cli.h"

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

struct reservations_parser {
    struct reservations_model *m;
    struct arena *a;
    struct parse_stats st;
};

/* m lives in a (the result's arena); its strtab is freed by the source's
 * release. */
void reservations_parser_init(struct reservations_parser *p, struct reservations_model *m,
                              struct arena *a);
/* One line of output. Bad lines are counted in p->st and skipped; "No
 * reservations in the system" and blank lines are not records. */
void reservations_line(void *p, const char *line, size_t len);

#endif
