/* SPDX-License-Identifier: Apache-2.0 */
/* The controllers and slurmdbd datasets' model: one entry per daemon that
 * `scontrol ping` or `sacctmgr ping` reported, in Slurm's order. */
#ifndef SE_MODEL_PING_H
#define SE_MODEL_PING_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define PING_MAX 16 /* daemons kept per refresh; more lines are counted as unreadable */

struct ping_entry {
    char host[MAX_LABEL_LEN + 1]; /* as Slurm prints it (SlurmctldHost, AccountingStorageHost) */
    char role[16];                /* "primary", "backup1".. (controllers), "backup" (slurmdbd) */
    bool up;                      /* answered the ping */
    bool local;                   /* host names this machine (gethostname, short or full) */
};

struct ping_model {
    struct ping_entry e[PING_MAX];
    size_t n;
    /* slurmdbd only: sacctmgr said accounting is not kept by slurmdbd, or
     * this Slurm's sacctmgr has no ping (before 24.05.5). No daemon then. */
    bool no_slurmdbd, no_ping;
    /* controllers, with --slurm.active-only: the entry judged in control
     * (ha.h), set by the poller; -1 none; PING_UNJUDGED without the mode
     * (the collector then takes the first that answers) */
    int in_control;
};

#define PING_UNJUDGED (-2)

#endif
