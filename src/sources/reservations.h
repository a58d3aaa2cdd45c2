/* SPDX-License-Identifier: Apache-2.0 */
/* The reservations dataset: `scontrol --oneliner show reservations`, one
 * reservation per line, into the reservations model
 * (model/reservations.h). */
#ifndef SE_RESERVATIONS_H
#define SE_RESERVATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/reservations.h"
#include "sources/cli.h"

struct reservations_parser {
    struct reservations_model *m;
    struct arena *a;
    struct parse_stats st;
};

/* m and everything it holds live in a (the result's arena). */
void reservations_parser_init(struct reservations_parser *p, struct reservations_model *m,
                              struct arena *a);
/* One line of output. Bad lines are counted in p->st and skipped; "No
 * reservations in the system" and blank lines are not records. */
void reservations_line(void *p, const char *line, size_t len);

#endif
