/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol ping / sacctmgr ping output -> ping parser -> controllers and
 * slurmdbd collectors. The first byte picks the parser and -M. */
#include "fuzz_common.h"
#include "sources/ping.h"
#include "sources/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool dbd = data[0] & 1, cluster = data[0] & 2;
    enum dataset_id id = dbd ? DS_SLURMDBD : DS_CONTROLLERS;
    struct dataset_result *r = fz_result(id);
    struct ping_model *m = dbd ? r->u.dbd : r->u.ctld;
    struct ping_parser p;
    ping_parser_init(&p, m, dbd ? PING_SLURMDBD : PING_SLURMCTLD, cluster && !dbd ? "other" : NULL);
    cli_feed(ping_line, &p, (const char *)data + 1, size - 1);
    ping_mark_local(m, "ctl1.example.org");
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    if (m->n > PING_MAX || m->n > p.st.lines)
        fz_fail("more daemons than lines", NULL, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct ping_entry *e = &m->e[i];
        if (strlen(e->host) > MAX_LABEL_LEN || e->host[0] == '\0')
            fz_fail("host out of range", NULL, i);
        if (strncmp(e->role, "primary", 8) != 0 && strncmp(e->role, "backup", 6) != 0)
            fz_fail("role out of range", NULL, i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(m->e[k].role, e->role) == 0)
                fz_fail("role twice", NULL, i);
    }
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[id] = r;
    v.now = FUZZ_NOW;
    v.series_limit = 100000;
    static const collector_fn fns[] = {collect_controllers, collect_slurmdbd};
    fz_collect(&v, fns, 2);
    fz_free(r);
    return 0;
}
