/* SPDX-License-Identifier: Apache-2.0 */
/* sshare output -> the sshare parser (with and without user rows) -> the
 * fairshare collector, with --compat=vpenso and a small series limit too. */
#include "fuzz_common.h"
#include "sources/sshare.h"

#include <math.h>

static struct dataset_result *fz_sshare(const uint8_t *data, size_t size, bool users)
{
    struct dataset_result *r = fz_result(DS_FAIRSHARE);
    struct fairshare_model *m = r->u.fairshare;
    struct sshare_parser p;
    sshare_init(&p, m, &r->arena, users);
    cli_feed(sshare_line, &p, (const char *)data, size);
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    for (size_t i = 0; i < m->n; i++) {
        const struct share_row *s = &m->rows[i];
        if (s->account >= m->strs.count || s->user >= m->strs.count || s->parent >= m->strs.count ||
            s->partition >= m->strs.count || s->cluster >= m->strs.count ||
            s->depth >= SSHARE_MAX_DEPTH || (s->is_user && !users) ||
            strlen(strtab_get(&m->strs, s->account)) > MAX_LABEL_LEN)
            fz_fail("row out of range", NULL, i);
        if (s->shares_parent && !isnan(s->v[SV_SHARES_RAW]))
            fz_fail("parent shares with a value", NULL, i);
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const collector_fn only[] = {collect_fairshare};
    for (int users = 0; users < 2; users++) {
        struct dataset_result *r = fz_sshare(data, size, users);
        struct view v;
        memset(&v, 0, sizeof(v));
        v.ds[DS_FAIRSHARE] = r;
        v.now = FUZZ_NOW;
        v.series_limit = 100000;
        fz_collect(&v, only, 1);
        v.compat = COMPAT_VPENSO;
        v.series_limit = 5;
        fz_collect(&v, only, 1);
        fz_free(r);
    }
    return 0;
}
