/* SPDX-License-Identifier: Apache-2.0 */
/* The controllers and slurmdbd datasets: `scontrol ping` and `sacctmgr ping`,
 * one daemon per line, into the ping model (model/ping.h). */
#ifndef SE_PING_H
#define SE_PING_H

#include <stdbool.h>
#include <stddef.h>

#include "model/ping.h"
#include "sources/cli.h"

enum ping_kind { PING_SLURMCTLD, PING_SLURMDBD };

struct ping_parser {
    struct ping_model *m;
    enum ping_kind kind;
    const char *cluster; /* -M NAME: only the first line, named NAME */
    struct parse_stats st;
};

void ping_parser_init(struct ping_parser *p, struct ping_model *m, enum ping_kind kind,
                      const char *cluster);
/* One line of output. Bad lines are counted in p->st and skipped; blank
 * lines and scontrol's "RESTORE SLURMCTLD DAEMON TO SERVICE" banner (lines
 * of '*') are not records. */
void ping_line(void *p, const char *line, size_t len);
/* Marks the entries whose host names this machine (myname: its host name). */
void ping_mark_local(struct ping_model *m, const char *myname);
/* True when host names the machine called myname: the same name, or myname's
 * or host's short form (up to the first '.') equals the other, or
 * "localhost"; case does not matter. */
bool ping_host_is(const char *host, const char *myname);

#endif
