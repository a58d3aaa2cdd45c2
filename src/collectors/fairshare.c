/* SPDX-License-Identifier: Apache-2.0 */
/* Fairshare collector: sshare's shares, usage, fairshare factor and level
 * per account (and per user association when those were fetched), and the
 * account tree as an info series. A value sshare leaves empty (or prints as
 * nan) has no series; sshare's "inf" is +Inf. */
#include "collectors/collector.h"
#include "model/fairshare.h"
#include "util/agg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct fs_family {
    const char *suffix;
    const char *help;
};

/* One family per value, in enum share_val order. */
static const struct fs_family fam[SV_COUNT] = {
    {"shares_raw", "RawShares: the association's configured Fairshare= (no series for the root "
                   "and for Fairshare=parent)."},
    {"shares_normalized", "NormShares: the association's shares divided by the shares of its "
                          "level (fair-tree; the classic algorithm multiplies this up the tree)."},
    {"usage_raw", "RawUsage: decayed usage in TRES-billing-seconds (CPU-seconds when "
                  "TRESBillingWeights is unset), halved every PriorityDecayHalfLife."},
    {"usage_normalized", "NormUsage: RawUsage divided by the root's RawUsage, 0 to 1."},
    {"usage_effective", "EffectvUsage: usage as fairshare counts it (fair-tree: RawUsage divided "
                        "by the RawUsage of its level's parent), 0 to 1."},
    {"factor",
     "FairShare: the fairshare factor of the job priority formula, 0 to 1 (per user "
     "association; per account only with PriorityFlags=NO_FAIR_TREE, before Slurm 25.11)."},
    {"level", "LevelFS: NormShares divided by EffectvUsage (fair-tree); above 1 means below its "
              "share, +Inf without usage."},
};

static const struct share_row *row_at(const struct fairshare_model *m, const struct agg_row *a)
{
    return &m->rows[(size_t)a->v[0]];
}

/* Collects the rows of one kind into agg (deduplicated on the label ids,
 * bounded by the series limit) and sorts them by name. */
static void gather(const struct fairshare_model *m, bool users, struct agg *ag)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct share_row *s = &m->rows[i];
        if (s->is_user != users)
            continue;
        uint32_t key[AGG_MAX_KEYS] = {s->account, users ? s->user : 0, users ? s->partition : 0};
        size_t before = ag->n;
        struct agg_row *a = agg_get(ag, key);
        if (a && ag->n > before)
            a->v[0] = (double)i; /* the first row of a label set wins */
    }
    const struct strtab *t[AGG_MAX_KEYS] = {&m->strs, &m->strs, &m->strs};
    agg_sort(ag, cmp_rows_by_names, (void *)t);
}

static bool shown(const struct share_row *s, int k)
{
    if (isnan(s->v[k]))
        return false;
    /* the root's NormShares is printed as 0 but never computed */
    return !(s->is_root && k == SV_SHARES_NORM);
}

static void write_values(struct render *r, const struct fairshare_model *m, const struct agg *ag,
                         bool users)
{
    for (int k = 0; k < SV_COUNT; k++) {
        bool any = false;
        for (size_t i = 0; i < ag->n && !any; i++)
            any = shown(row_at(m, &ag->rows[i]), k);
        if (!any)
            continue;
        char name[96];
        snprintf(name, sizeof(name), "slurm_%s_fairshare_%s", users ? "user" : "account",
                 fam[k].suffix);
        render_family(r, name, M_GAUGE, fam[k].help);
        for (size_t i = 0; i < ag->n; i++) {
            const struct share_row *s = row_at(m, &ag->rows[i]);
            if (!shown(s, k))
                continue;
            struct label l[3] = {{"account", strtab_get(&m->strs, s->account)},
                                 {"user", strtab_get(&m->strs, s->user)},
                                 {"partition", strtab_get(&m->strs, s->partition)}};
            size_t nl = users ? (s->partition ? 3 : 2) : 1;
            render_sample(r, l, nl, s->v[k]);
        }
    }
}

void collect_fairshare(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct fairshare_model *m = view_fairshare(v);
    if (!m)
        return;
    struct agg acc, usr;
    agg_init(&acc, v->series_limit);
    agg_init(&usr, v->series_limit);
    gather(m, false, &acc);
    gather(m, true, &usr);

    render_family(r, "slurm_account_fairshare_info", M_GAUGE,
                  "The account tree: each account with its parent account (empty for the root); "
                  "the value is always 1.");
    for (size_t i = 0; i < acc.n; i++) {
        const struct share_row *s = row_at(m, &acc.rows[i]);
        struct label l[2] = {{"account", strtab_get(&m->strs, s->account)},
                             {"parent", strtab_get(&m->strs, s->parent)}};
        render_sample(r, l, 2, 1);
    }
    write_values(r, m, &acc, false);
    if (usr.n)
        write_values(r, m, &usr, true);

    if (v->compat & COMPAT_VPENSO) {
        /* vpenso 0.20: `sshare -n -P -o account,fairshare` without --all,
         * lines indented less than two spaces (the root and its child
         * accounts), FairShare as printed, 0 where it is empty. */
        render_family(r, "slurm_account_fairshare", M_GAUGE,
                      "FairShare for account (vpenso/prometheus-slurm-exporter 0.20; 0 where "
                      "sshare prints none, as under the fair-tree algorithm).");
        for (size_t i = 0; i < acc.n; i++) {
            const struct share_row *s = row_at(m, &acc.rows[i]);
            if (s->depth > 1)
                continue;
            struct label l[1] = {{"account", strtab_get(&m->strs, s->account)}};
            double f = s->v[SV_FS_FACTOR];
            render_sample(r, l, 1, isnan(f) ? 0 : f);
        }
    }
    o->series_dropped += acc.dropped + usr.dropped;
    agg_free(&acc);
    agg_free(&usr);
}
