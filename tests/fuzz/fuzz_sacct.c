/* SPDX-License-Identifier: Apache-2.0 */
/* sacct output -> accounting parser -> two overlapping commits into one
 * state -> accounting collector; the state's file form is read back. The
 * first byte picks the series limit (tiny or large) and whether the output
 * is read as --accounting.users' (User last, per-user groups). */
#include "fuzz_common.h"

#include "sources/sacct.h"

static struct dataset_result *fz_sacct(const uint8_t *data, size_t size, bool users)
{
    struct dataset_result *r = fz_result(DS_ACCOUNTING);
    struct sacct_parser p;
    struct acct_model *m = r->u.acct;
    cli_sacct_init(&p, m, &r->arena, users);
    cli_feed(cli_sacct_line, &p, (const char *)data, size);
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    for (size_t i = 0; i < m->n; i++) {
        const struct acct_job *j = &m->jobs[i];
        if (j->state >= ACCT_STATE_COUNT || j->partition >= m->strs.count ||
            j->account >= m->strs.count || j->end <= 0 ||
            (users ? j->user >= m->strs.count : j->user != ACCT_NO_USER))
            fz_fail("job out of range", NULL, i);
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.series_limit = size && (data[0] & 1) ? 2 : 100000;
    bool users = size && (data[0] & 2);
    cfg.accounting_users = users;
    cfg.accounting_overlap = 60;
    struct acct_state *S = acct_state_new(&cfg);
    static const collector_fn fns[] = {collect_accounting};
    for (int round = 0; round < 2; round++) {
        struct dataset_result *r = fz_sacct(data, size, users);
        const struct acct_model *m = r->u.acct;
        size_t n = m->n;
        acct_commit(S, r->u.acct, &r->arena);
        if (m->tot.counted + m->tot.dropped + m->tot.duplicates > (uint64_t)n * (round + 1))
            fz_fail("more outcomes than records", NULL, 0);
        struct view v;
        memset(&v, 0, sizeof(v));
        v.ds[DS_ACCOUNTING] = r;
        v.now = FUZZ_NOW;
        v.series_limit = cfg.series_limit;
        fz_collect(&v, fns, 1);
        fz_free(r);
    }
    /* the state survives its file form unchanged */
    size_t len;
    char *dump = acct_state_dump(S, &len);
    struct acct_state *T = acct_state_new(&cfg);
    char err[256];
    if (acct_state_parse(T, dump, len, err, sizeof(err)) != 0)
        fz_fail(err, NULL, 0);
    size_t len2;
    char *dump2 = acct_state_dump(T, &len2);
    if (len != len2 || memcmp(dump, dump2, len) != 0)
        fz_fail("state file round trip differs", NULL, 0);
    free(dump);
    free(dump2);
    /* and the input read as a state file never crashes */
    acct_state_parse(T, (const char *)data, size, err, sizeof(err));
    acct_state_free(T);
    acct_state_free(S);
    return 0;
}
