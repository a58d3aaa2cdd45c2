/* SPDX-License-Identifier: Apache-2.0 */
/* The licenses dataset: `scontrol --oneliner show licenses`, one license per
 * line, into the licenses model (model/licenses.h). */
#ifndef SE_LICENSES_H
#define SE_LICENSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/licenses.h"
#include "sources/cli.h"

struct licenses_parser {
    struct licenses_model *m;
    struct arena *a;
    struct parse_stats st;
};

/* m and everything it holds live in a (the result's arena). */
void licenses_parser_init(struct licenses_parser *p, struct licenses_model *m, struct arena *a);
/* One line of output. Bad lines are counted in p->st and skipped; "No
 * licenses configured in Slurm." and blank lines are not records. */
void licenses_line(void *p, const char *line, size_t len);

#endif
