/* SPDX-License-Identifier: Apache-2.0 */
/* Limits collector: every QoS and association limit that is set, beside its
 * current use, from slurmctld's association manager. Limit and use families
 * carry the same label sets, so `usage / limit` is one division; a limit
 * that is not set has no series (never a made-up number). Under
 * --compat=rivosinc it also writes that exporter's account limit names. */
#include "collectors/collector.h"
#include "model/limits.h"
#include "util/buf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct entity_def {
    const char *limit_name, *usage_name, *limit_help, *usage_help;
};

static const struct entity_def entities[LIM_ENTITY_COUNT] = {
    [LIM_QOS] = {"slurm_qos_limit", "slurm_qos_usage",
                 "QoS limit that is set, by Slurm limit name and TRES (memory in bytes, wall "
                 "time and TRES-minutes limits in seconds).",
                 "Current use counted against the QoS limit of the same labels."},
    [LIM_QOS_USER] = {"slurm_qos_user_limit", "slurm_qos_user_usage",
                      "QoS per-user limit (MaxJobsPU, MaxSubmitJobsPU, MaxTRESPU, ...) for each "
                      "user slurmctld tracks under the QoS.",
                      "The user's current use counted against the QoS per-user limit of the same "
                      "labels."},
    [LIM_QOS_ACCOUNT] = {"slurm_qos_account_limit", "slurm_qos_account_usage",
                         "QoS per-account limit (MaxJobsPA, MaxSubmitJobsPA, MaxTRESPA, ...) for "
                         "each account slurmctld tracks under the QoS.",
                         "The account's current use counted against the QoS per-account limit of "
                         "the same labels."},
    [LIM_ASSOC] = {"slurm_association_limit", "slurm_association_usage",
                   "Association limit that is set (account, user and partition; user and "
                   "partition empty for an account's own association).",
                   "Current use counted against the association limit of the same labels "
                   "(an account's use includes its users' and sub-accounts')."},
};

static int cmp_str(const struct strtab *t, uint32_t a, uint32_t b)
{
    return a == b ? 0 : strcmp(strtab_get(t, a), strtab_get(t, b));
}

/* Entity, then names, then limit kind (table order), then TRES name. */
static int cmp_rows(const void *a, const void *b, void *ctx)
{
    const struct limits_model *m = ctx;
    const struct limit_row *x = &m->rows[*(const uint32_t *)a];
    const struct limit_row *y = &m->rows[*(const uint32_t *)b];
    int c;
    if (x->entity != y->entity)
        return x->entity < y->entity ? -1 : 1;
    if ((c = cmp_str(&m->strs, x->qos, y->qos)) ||
        (c = cmp_str(&m->strs, x->account, y->account)) ||
        (c = cmp_str(&m->strs, x->user, y->user)) ||
        (c = cmp_str(&m->strs, x->partition, y->partition)))
        return c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return cmp_str(&m->strs, x->tres, y->tres);
}

static bool same_series(const struct limit_row *x, const struct limit_row *y)
{
    return x->entity == y->entity && x->kind == y->kind && x->qos == y->qos &&
           x->account == y->account && x->user == y->user && x->partition == y->partition &&
           x->tres == y->tres;
}

static size_t row_labels(const struct limits_model *m, const struct limit_row *r, struct label *l)
{
    const struct strtab *t = &m->strs;
    size_t n = 0;
    switch (r->entity) {
    case LIM_QOS:
        l[n++] = (struct label){"qos", strtab_get(t, r->qos)};
        break;
    case LIM_QOS_USER:
        l[n++] = (struct label){"qos", strtab_get(t, r->qos)};
        l[n++] = (struct label){"user", strtab_get(t, r->user)};
        break;
    case LIM_QOS_ACCOUNT:
        l[n++] = (struct label){"qos", strtab_get(t, r->qos)};
        l[n++] = (struct label){"account", strtab_get(t, r->account)};
        break;
    default:
        l[n++] = (struct label){"account", strtab_get(t, r->account)};
        l[n++] = (struct label){"user", strtab_get(t, r->user)};
        l[n++] = (struct label){"partition", strtab_get(t, r->partition)};
        break;
    }
    l[n++] = (struct label){"limit", limit_kinds[r->kind].label};
    l[n++] = (struct label){"tres", strtab_get(t, r->tres)};
    return n;
}

/* rivosinc/prometheus-slurm-exporter's account limits: an account's own
 * association (no user, no partition), written when set and not zero as it
 * does; its memory figure is Slurm's MB x 1e6. */
static void compat_rivosinc(const struct limits_model *m, const uint32_t *idx, size_t n,
                            size_t limit, struct collect_out *o, struct render *r)
{
    static const struct {
        const char *name, *help, *tres;
        int kind;
        double scale; /* our bytes -> their MB x 1e6 */
    } fams[] = {
        {"slurm_account_cpu_limit", "slurm account cpu limit", "cpu", LIMIT_GRP_TRES, 1},
        {"slurm_account_mem_limit", "slurm account mem limit (in bytes)", "mem", LIMIT_GRP_TRES,
         1e6 / 1048576.0},
        {"slurm_account_job_alloc_limit",
         "slurm account limit on the # of jobs allowed to be RUNNING state", "", LIMIT_GRP_JOBS, 1},
        {"slurm_account_job_limit",
         "slurm account limit on the # of jobs allowed to be RUNNING or PENDING state", "",
         LIMIT_GRP_SUBMIT_JOBS, 1},
    };
    for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
        size_t written = 0;
        for (size_t i = 0; i < n; i++) {
            const struct limit_row *x = &m->rows[idx[i]];
            if (x->entity != LIM_ASSOC || x->user || x->partition || x->kind != fams[f].kind ||
                strcmp(strtab_get(&m->strs, x->tres), fams[f].tres) != 0 || x->limit == 0)
                continue;
            if (written >= limit) {
                o->series_dropped++;
                continue;
            }
            if (!written)
                render_family(r, fams[f].name, M_GAUGE, fams[f].help);
            double v = fams[f].scale == 1 ? x->limit : x->limit / 1048576.0 * 1e6;
            struct label l[1] = {{"account", strtab_get(&m->strs, x->account)}};
            render_sample(r, l, 1, v);
            written++;
        }
    }
}

void collect_limits(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct limits_model *m = view_limits(v);
    if (!m)
        return;
    uint32_t *idx = xmalloc((m->n + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < m->n; i++)
        idx[i] = (uint32_t)i;
    if (m->n > 1)
        qsort_r(idx, m->n, sizeof(uint32_t), cmp_rows, (void *)m);
    /* drop repeated label sets (the first one stays) */
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!n || !same_series(&m->rows[idx[i]], &m->rows[idx[n - 1]]))
            idx[n++] = idx[i];

    size_t at = 0;
    for (int e = 0; e < LIM_ENTITY_COUNT; e++) {
        size_t from = at;
        while (at < n && m->rows[idx[at]].entity == e)
            at++;
        if (at == from)
            continue;
        size_t keep = at - from;
        if (keep > v->series_limit) {
            for (size_t i = from + v->series_limit; i < at; i++)
                o->series_dropped += isnan(m->rows[idx[i]].usage) ? 1 : 2;
            keep = v->series_limit;
        }
        struct label l[6];
        if (keep)
            render_family(r, entities[e].limit_name, M_GAUGE, entities[e].limit_help);
        for (size_t i = from; i < from + keep; i++) {
            const struct limit_row *x = &m->rows[idx[i]];
            render_sample(r, l, row_labels(m, x, l), x->limit);
        }
        bool fam = false;
        for (size_t i = from; i < from + keep; i++) {
            const struct limit_row *x = &m->rows[idx[i]];
            if (isnan(x->usage))
                continue;
            if (!fam)
                render_family(r, entities[e].usage_name, M_GAUGE, entities[e].usage_help);
            fam = true;
            render_sample(r, l, row_labels(m, x, l), x->usage);
        }
    }
    if (v->compat & COMPAT_RIVOSINC)
        compat_rivosinc(m, idx, n, v->series_limit, o, r);
    free(idx);
}
