/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol show licenses output -> licenses parser -> licenses collector,
 * with and without the rivosinc compat names. */
#include "fuzz_common.h"
#include "sources/licenses.h"
#include "sources/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_LICENSES);
    struct licenses_parser p;
    struct licenses_model *m = r->u.licenses;
    licenses_parser_init(&p, m, &r->arena);
    cli_feed(licenses_line, &p, (const char *)data, size);
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    if (m->n + m->skipped > p.st.lines)
        fz_fail("more licenses than lines", NULL, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct license *l = &m->lic[i];
        if (l->name == 0 || l->name >= m->strs.count ||
            strlen(strtab_get(&m->strs, l->name)) > MAX_LABEL_LEN || l->total < -1 ||
            l->used < -1 || l->free < -1 || l->reserved < -1 || l->last_consumed < -1 ||
            l->last_deficit < -1 || l->last_update < 0)
            fz_fail("license out of range", NULL, i);
        for (size_t k = 0; k < i; k++)
            if (m->lic[k].name == l->name)
                fz_fail("license name twice", NULL, i);
    }
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_LICENSES] = r;
    v.now = FUZZ_NOW;
    v.series_limit = 100000;
    static const collector_fn fns[] = {collect_licenses};
    fz_collect(&v, fns, 1);
    v.compat = COMPAT_RIVOSINC | COMPAT_VPENSO;
    fz_collect(&v, fns, 1);
    /* the release path of the source frees what the parser allocated */
    fz_free(r);
    return 0;
}
