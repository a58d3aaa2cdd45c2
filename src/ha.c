/* SPDX-License-Identifier: Apache-2.0 */
/* Which controller is in control, as every exporter on the cluster's
 * controllers judges it from scontrol ping (ha.h explains the rules). */
#include "ha.h"

#include <math.h>
#include <string.h>
#include <strings.h>

void ha_init(struct ha_state *s)
{
    s->believed = -1;
    s->n = 0;
    for (size_t i = 0; i < PING_MAX; i++)
        s->last_up[i] = -INFINITY;
}

static bool silent_for(const struct ha_state *s, size_t i, double now, double t)
{
    return now - s->last_up[i] >= t;
}

int ha_decide(struct ha_state *s, const bool *up, size_t n, double now, double takeover_after)
{
    if (n > PING_MAX)
        n = PING_MAX;
    if (n != s->n) {
        ha_init(s);
        s->n = n;
    }
    for (size_t i = 0; i < n; i++)
        if (up[i])
            s->last_up[i] = now;
    size_t first = n;
    for (size_t i = 0; i < n && first == n; i++)
        if (up[i])
            first = i;
    if (first == n) /* nobody answers: keep the belief */
        return s->believed;
    if (s->believed < 0 || first == 0) {
        s->believed = (int)first;
        return s->believed;
    }
    if (up[s->believed])
        return s->believed;
    /* the one believed is silent, and so is every controller before the
     * first that answers: has it been long enough for Slurm to move? */
    bool moved = silent_for(s, (size_t)s->believed, now, takeover_after);
    for (size_t j = 0; j < first && moved; j++)
        moved = silent_for(s, j, now, takeover_after);
    if (moved)
        s->believed = (int)first;
    return s->believed;
}

/* s equals host, or host's part before the first dot (case insensitive). */
static bool names_host(const char *s, const char *host)
{
    if (strcasecmp(s, host) == 0)
        return true;
    const char *dot = strchr(host, '.');
    size_t n = dot ? (size_t)(dot - host) : strlen(host);
    const char *sdot = strchr(s, '.');
    size_t sn = sdot ? (size_t)(sdot - s) : strlen(s);
    return n == sn && n > 0 && strncasecmp(s, host, n) == 0;
}

void ha_seed(struct ha_state *s, int idx, size_t n)
{
    ha_init(s);
    s->n = n > PING_MAX ? PING_MAX : n;
    if (idx >= 0 && (size_t)idx < s->n)
        s->believed = idx;
}

int ha_index_of(const struct ping_model *m, const char *name)
{
    for (size_t i = 0; name && name[0] && i < m->n; i++)
        if (names_host(name, m->e[i].host))
            return (int)i;
    return -1;
}

int ha_local_index(const struct ping_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++) {
        if (name && name[0] ? names_host(name, m->e[i].host) : m->e[i].local)
            return (int)i;
    }
    return -1;
}
