/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol show assoc_mgr output -> assoc_mgr parser -> the limits collector
 * (with and without the rivosinc names, and with a tiny series limit). */
#include "fuzz_common.h"
#include "sources/assoc_mgr.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_LIMITS);
    struct assoc_mgr_parser p;
    struct limits_model *m = r->u.limits;
    assoc_mgr_init(&p, m, &r->arena);
    cli_feed(assoc_mgr_line, &p, (const char *)data, size);
    assoc_mgr_finish(&p);
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    for (size_t i = 0; i < m->n; i++) {
        const struct limit_row *x = &m->rows[i];
        if (x->entity >= LIM_ENTITY_COUNT || x->kind >= LIMIT_KIND_COUNT ||
            x->qos >= m->strs.count || x->account >= m->strs.count || x->user >= m->strs.count ||
            x->partition >= m->strs.count || x->tres >= m->strs.count || !isfinite(x->limit) ||
            x->limit < 0 || (!isnan(x->usage) && (!isfinite(x->usage) || x->usage < 0)))
            fz_fail("limit row out of range", NULL, i);
        if (strlen(strtab_get(&m->strs, x->user)) > MAX_LABEL_LEN)
            fz_fail("label longer than MAX_LABEL_LEN", NULL, i);
    }
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_LIMITS] = r;
    v.now = FUZZ_NOW;
    v.series_limit = 100000;
    static const collector_fn only[] = {collect_limits};
    fz_collect(&v, only, 1);
    v.compat = COMPAT_RIVOSINC | COMPAT_VPENSO;
    v.series_limit = 3;
    fz_collect(&v, only, 1);
    fz_free(r);
    return 0;
}
