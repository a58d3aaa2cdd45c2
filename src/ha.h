/* SPDX-License-Identifier: Apache-2.0 */
/* Active-only mode (--slurm.active-only): of the exporters on a cluster's
 * controllers, the one on the controller in control polls Slurm and serves
 * the cluster's series; the others are standby. This is the decision, a
 * pure function of what `scontrol ping` answered over time, so that every
 * exporter, seeing the same answers, reaches the same verdict.
 *
 * Slurm's controllers are tried in SlurmctldHost order; a backup takes
 * control once the controllers before it have not answered for
 * SlurmctldTimeout, and gives it back when the primary returns. A standby
 * backup answers ping too, so "answers" is not "in control". The verdict:
 *  - the primary answers: it is in control (a returning primary takes
 *    control back at once, or after the backup lets go);
 *  - else the controller believed in control so far, while it answers;
 *  - else the first answering controller, once every controller before it
 *    and the one believed so far have been silent for takeover_after
 *    (--slurm.takeover-after, set to SlurmctldTimeout): a primary that
 *    restarts quickly never hands over, and no exporter follows a backup
 *    before Slurm itself does;
 *  - otherwise the belief stays (nobody answers: nobody to follow).
 * At start, with no belief yet, the first answering controller. */
#ifndef SE_HA_H
#define SE_HA_H

#include <stdbool.h>
#include <stddef.h>

#include "model/ping.h"

struct ha_state {
    int believed;             /* index in SlurmctldHost order, -1 = none yet */
    size_t n;                 /* controllers at the last decision */
    double last_up[PING_MAX]; /* monotonic time each last answered; -INFINITY never */
};

void ha_init(struct ha_state *s);
/* One ping's answers (up[0..n), n <= PING_MAX, primary first) at monotonic
 * time now. Returns the controller believed in control, or -1 for none. A
 * change in the number of controllers (slurm.conf changed) starts afresh. */
int ha_decide(struct ha_state *s, const bool *up, size_t n, double now, double takeover_after);
/* Starts with a belief (an exporter that starts while a backup is in
 * control: the active exporter's mark in --slurm.ha-state-dir names it;
 * scontrol ping cannot tell a standby backup from one in control): entry
 * idx of n is believed in control while it answers, as if seen before. */
void ha_seed(struct ha_state *s, int idx, size_t n);
/* The index of the entry named name (ha_local_index's match), -1 none. */
int ha_index_of(const struct ping_model *m, const char *name);
/* This host's entry among the controllers: the one named name (case
 * insensitive; the host as Slurm prints it, or its short form) when name is
 * set, else the one the ping source matched to this host's name. -1 when
 * none: this host is not a controller. */
int ha_local_index(const struct ping_model *m, const char *name);

#endif
