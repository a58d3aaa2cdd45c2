/* SPDX-License-Identifier: Apache-2.0 */
/* sdiag output -> sdiag parser -> counter state -> scheduler collector (with
 * both compat name sets and a small series limit). The input is split at its
 * first NUL byte into two outputs committed one after the other, so the
 * counter logic sees arbitrary pairs (resets, wraps, vanished entries). */
#include "fuzz_common.h"

#include "sources/sdiag.h"

static struct dataset_result *fz_sdiag(struct sdiag_state *s, const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_SCHEDULER);
    struct sdiag_model *m = r->u.sched;
    struct sdiag_parser p;
    sdiag_init(&p, m, &r->arena);
    cli_feed(sdiag_line, &p, (const char *)data, size);
    sdiag_finish(&p);
    if (p.st.errors > p.st.lines + 1)
        fz_fail("more than one error per line", NULL, 0);
    if (m->n_types > SDIAG_MAX_RPC_TYPES || m->n_users > SDIAG_MAX_RPC_USERS)
        fz_fail("RPC table over its cap", NULL, 0);
    sdiag_commit(s, m, &r->arena);
    for (int i = 0; i < SDC_COUNT; i++)
        if (sdiag_has(m, sdiag_counter_field[i]) && !(m->total[i] >= 0))
            fz_fail("negative counter", NULL, (size_t)i);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    struct sdiag_state *s = sdiag_state_new();
    struct dataset_result *a = fz_sdiag(s, data, first);
    struct dataset_result *b = nul ? fz_sdiag(s, nul + 1, size - first - 1) : NULL;
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = FUZZ_NOW;
    v.series_limit = 100000;
    v.compat = COMPAT_VPENSO | COMPAT_RIVOSINC;
    static const collector_fn only[] = {collect_scheduler};
    v.ds[DS_SCHEDULER] = a;
    fz_collect(&v, only, 1);
    if (b) {
        v.ds[DS_SCHEDULER] = b;
        v.series_limit = 3;
        fz_collect(&v, only, 1);
    }
    fz_free(a);
    fz_free(b);
    sdiag_state_free(s);
    return 0;
}
