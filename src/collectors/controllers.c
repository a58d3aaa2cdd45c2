/* SPDX-License-Identifier: Apache-2.0 */
/* Controllers and slurmdbd collectors: Slurm's own daemons as `scontrol
 * ping` and `sacctmgr ping` see them. */
#include "collectors/collector.h"
#include "model/ping.h"

#include <stddef.h>

void collect_controllers(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    const struct ping_model *m = view_ctld(v);
    if (!m)
        return;
    /* Slurm's clients try the controllers in order and a standby backup
     * refuses their requests: the first one that answers serves them. */
    size_t serving = m->n;
    for (size_t i = 0; i < m->n && serving == m->n; i++)
        if (m->e[i].up)
            serving = i;
    /* --slurm.active-only judges it over time (ha.h): the same answer as
     * which exporter serves */
    if (m->in_control != PING_UNJUDGED)
        serving = m->in_control >= 0 ? (size_t)m->in_control : m->n;
    render_family(r, "slurm_controller_up", M_GAUGE,
                  "1 when the slurmctld answers scontrol ping (UP), 0 when it does not (DOWN); "
                  "one series per SlurmctldHost, a standby backup answers too. "
                  "sum(): controllers answering.");
    for (size_t i = 0; i < m->n; i++) {
        struct label lb[2] = {{"controller", m->e[i].host}, {"role", m->e[i].role}};
        render_sample(r, lb, 2, m->e[i].up ? 1 : 0);
    }
    render_family(r, "slurm_controller_in_control", M_GAUGE,
                  "1 on the first controller in SlurmctldHost order that answers, which Slurm's "
                  "clients reach (inferred from the ping: during a takeover a backup may answer "
                  "before it has taken control; with --slurm.active-only the controller the "
                  "exporters judge in control, see docs/configuration.md); 0 on the others.");
    for (size_t i = 0; i < m->n; i++) {
        struct label lb[2] = {{"controller", m->e[i].host}, {"role", m->e[i].role}};
        render_sample(r, lb, 2, i == serving ? 1 : 0);
    }
    render_family(r, "slurm_controller_local", M_GAUGE,
                  "1 on the controller whose host name is this exporter's host, 0 on the others.");
    for (size_t i = 0; i < m->n; i++) {
        struct label lb[2] = {{"controller", m->e[i].host}, {"role", m->e[i].role}};
        render_sample(r, lb, 2, m->e[i].local ? 1 : 0);
    }
}

void collect_slurmdbd(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    const struct ping_model *m = view_dbd(v);
    if (!m || m->n == 0)
        return; /* no slurmdbd configured, or a sacctmgr without ping: no series */
    bool any = false;
    for (size_t i = 0; i < m->n; i++)
        any = any || m->e[i].up;
    render_gauge1(r, "slurm_database_up",
                  "1 when a slurmdbd answers sacctmgr ping (the primary, or the backup when the "
                  "primary is down), 0 when none does.",
                  any ? 1 : 0);
    render_family(r, "slurm_slurmdbd_up", M_GAUGE,
                  "1 when this slurmdbd answers sacctmgr ping, 0 when it does not; the backup "
                  "is pinged (and has a series) only while the primary does not answer.");
    for (size_t i = 0; i < m->n; i++) {
        struct label lb[2] = {{"slurmdbd", m->e[i].host}, {"role", m->e[i].role}};
        render_sample(r, lb, 2, m->e[i].up ? 1 : 0);
    }
}
