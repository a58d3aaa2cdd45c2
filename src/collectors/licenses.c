/* SPDX-License-Identifier: Apache-2.0 */
/* Licenses collector: each license's total, used, free and reserved count
 * (local and remote), and for remote licenses what the license server last
 * reported consumed. With --compat=rivosinc also rivosinc's slurm_lic_*. */
#include "collectors/collector.h"
#include "model/licenses.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b, void *ctx)
{
    const struct licenses_model *m = ctx;
    const struct license *x = &m->lic[*(const size_t *)a], *y = &m->lic[*(const size_t *)b];
    return strcmp(strtab_get(&m->strs, x->name), strtab_get(&m->strs, y->name));
}

/* One sample per license whose int64 field at off is known (>= 0). */
static void samples(struct render *r, const struct licenses_model *m, const size_t *order,
                    const char *label, size_t off)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct license *l = &m->lic[order[i]];
        int64_t val = *(const int64_t *)((const char *)l + off);
        if (val < 0)
            continue;
        struct label lb[1] = {{label, strtab_get(&m->strs, l->name)}};
        render_sample(r, lb, 1, (double)val);
    }
}

static bool any_known(const struct licenses_model *m, size_t off)
{
    for (size_t i = 0; i < m->n; i++)
        if (*(const int64_t *)((const char *)&m->lic[i] + off) >= 0)
            return true;
    return false;
}

void collect_licenses(const struct view *v, struct render *r, struct collect_out *o)
{
    (void)o;
    const struct licenses_model *m = view_licenses(v);
    if (!m)
        return;
    size_t *order = xmalloc((m->n + 1) * sizeof(size_t));
    for (size_t i = 0; i < m->n; i++)
        order[i] = i;
    qsort_r(order, m->n, sizeof(size_t), by_name, (void *)m);

    render_family(r, "slurm_license_info", M_GAUGE,
                  "A license Slurm tracks; remote=\"true\" for a license served by a license "
                  "server (sacctmgr resource, name@server). The value is always 1.");
    for (size_t i = 0; i < m->n; i++) {
        const struct license *l = &m->lic[order[i]];
        struct label lb[2] = {{"license", strtab_get(&m->strs, l->name)},
                              {"remote", l->remote ? "true" : "false"}};
        render_sample(r, lb, 2, 1);
    }
    render_family(r, "slurm_license_configured", M_GAUGE,
                  "Licenses configured (Total; no series when unlimited).");
    samples(r, m, order, "license", offsetof(struct license, total));
    render_family(r, "slurm_license_used", M_GAUGE, "Licenses held by running jobs (Used).");
    samples(r, m, order, "license", offsetof(struct license, used));
    render_family(r, "slurm_license_free", M_GAUGE,
                  "Licenses free (Free = Total - Used - LastDeficit, never below 0; reserved "
                  "licenses are not subtracted).");
    samples(r, m, order, "license", offsetof(struct license, free));
    render_family(r, "slurm_license_reserved", M_GAUGE,
                  "Licenses held by active reservations (Reserved).");
    samples(r, m, order, "license", offsetof(struct license, reserved));
    bool remote_counts = any_known(m, offsetof(struct license, last_consumed));
    if (remote_counts) {
        render_family(r, "slurm_license_last_consumed", M_GAUGE,
                      "Remote licenses consumed, as the license server last reported "
                      "(LastConsumed; Slurm 23.02 and later).");
        samples(r, m, order, "license", offsetof(struct license, last_consumed));
        render_family(r, "slurm_license_last_deficit", M_GAUGE,
                      "Remote licenses the server reports consumed beyond what this cluster and "
                      "the other clusters' shares account for (LastDeficit; Slurm 23.02 and "
                      "later).");
        samples(r, m, order, "license", offsetof(struct license, last_deficit));
        render_family(r, "slurm_license_last_update_time_seconds", M_GAUGE,
                      "When the remote license's counts were last updated (LastUpdate), "
                      "seconds since the epoch.");
        for (size_t i = 0; i < m->n; i++) {
            const struct license *l = &m->lic[order[i]];
            if (l->last_update <= 0)
                continue;
            struct label lb[1] = {{"license", strtab_get(&m->strs, l->name)}};
            render_sample(r, lb, 1, (double)l->last_update);
        }
    }

    if (v->compat & COMPAT_RIVOSINC) {
        /* rivosinc/prometheus-slurm-exporter: label "name". It writes no
         * series for zero counts; we write every known count. */
        render_family(r, "slurm_lic_total", M_GAUGE,
                      "Licenses configured (as slurm_license_configured).");
        samples(r, m, order, "name", offsetof(struct license, total));
        render_family(r, "slurm_lic_used", M_GAUGE, "Licenses in use (as slurm_license_used).");
        samples(r, m, order, "name", offsetof(struct license, used));
        render_family(r, "slurm_lic_free", M_GAUGE, "Licenses free (as slurm_license_free).");
        samples(r, m, order, "name", offsetof(struct license, free));
        render_family(r, "slurm_lic_reserved", M_GAUGE,
                      "Licenses reserved (as slurm_license_reserved).");
        samples(r, m, order, "name", offsetof(struct license, reserved));
        if (remote_counts) {
            render_family(r, "slurm_lic_last_consumed", M_GAUGE,
                          "Remote licenses last consumed (as slurm_license_last_consumed).");
            samples(r, m, order, "name", offsetof(struct license, last_consumed));
            render_family(r, "slurm_lic_last_deficit", M_GAUGE,
                          "Remote license deficit (as slurm_license_last_deficit).");
            samples(r, m, order, "name", offsetof(struct license, last_deficit));
        }
    }
    free(order);
}
