/* SPDX-License-Identifier: Apache-2.0 */
/* The fairshare dataset: `sshare --noheader --parsable2 --format=...`, one
 * association (account or user) per line, in Slurm's tree order. The
 * Account column carries the tree: one leading space per level below the
 * root (a user row is indented one level below its account and names that
 * account). The model keeps one row per association; values Slurm does not
 * print are NaN. */
#ifndef SE_SSHARE_H
#define SE_SSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/fairshare.h"
#include "sources/cli.h"
#include "sources/sshare_fields.h" /* SSHARE_FORMAT, SS_* field indices */
#include "util/arena.h"

/* Deepest account tree kept; deeper rows are counted as bad lines. */
#define SSHARE_MAX_DEPTH 64
/* Most associations kept from one output; the rest are counted as bad lines. */
#define SSHARE_MAX_ROWS 2000000u

struct sshare_parser {
    struct fairshare_model *m;
    struct arena *a;
    struct parse_stats st;
    bool users;                       /* keep user rows */
    uint32_t stack[SSHARE_MAX_DEPTH]; /* the account at each depth of the current branch */
    uint32_t depth_n;                 /* valid entries in stack */
    uint32_t cluster;                 /* from a "CLUSTER: name" line (-M) */
};

void sshare_init(struct sshare_parser *p, struct fairshare_model *m, struct arena *a, bool users);
void sshare_line(void *p, const char *line, size_t len);
/* One sshare number: "" and "nan" -> NaN (not printed / undefined), "inf",
 * "-inf", decimals. Returns -1 on anything else. */
int sshare_number(const char *s, size_t n, double *out);

#endif
