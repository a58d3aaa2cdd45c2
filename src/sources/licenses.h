/* SPDX-License-Identifier: Apache-2.0 */
/* The licenses dataset: `scontrol --oneliner show licenses`, one license per
 * line, and the model its collector reads (dataset_result.model). */
#ifndef SE_LICENSES_H
#define SE_LICENSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/cli.h"

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

struct licenses_parser {
    struct licenses_model *m;
    struct arena *a;
    struct parse_stats st;
};

/* m lives in a (the result's arena); its strtab is freed by the source's
 * release. */
void licenses_parser_init(struct licenses_parser *p, struct licenses_model *m, struct arena *a);
/* One line of output. Bad lines are counted in p->st and skipped; "No
 * licenses configured in Slurm." and blank lines are not records. */
void licenses_line(void *p, const char *line, size_t len);

#endif
