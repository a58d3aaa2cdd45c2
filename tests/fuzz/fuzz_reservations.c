/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol show reservations output -> reservations parser -> reservations
 * collector, alone and with a nodes dataset. The input up to the first NUL
 * byte is the reservations output, the rest the nodes output (a fixed small
 * cluster when there is no NUL). */
#include "fuzz_common.h"
#include "sources/reservations.h"
#include "sources/source.h"

static const char default_nodes[] =
    "NodeName=cn001 CPUTot=4 CPUAlloc=0 State=IDLE RealMemory=100\n"
    "NodeName=cn002 CPUTot=4 CPUAlloc=4 State=ALLOCATED RealMemory=100\n"
    "NodeName=gpu01 CPUTot=4 CPUAlloc=0 State=DOWN+DRAIN RealMemory=100\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t rlen = nul ? (size_t)(nul - data) : size;
    struct dataset_result *r = fz_result(DS_RESERVATIONS);
    struct reservations_parser p;
    struct reservations_model *m = r->u.reservations;
    reservations_parser_init(&p, m, &r->arena);
    cli_feed(reservations_line, &p, (const char *)data, rlen);
    if (p.st.errors > p.st.lines)
        fz_fail("more than one error per line", NULL, 0);
    if (m->n > p.st.lines)
        fz_fail("more reservations than lines", NULL, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct reservation *rv = &m->resv[i];
        if (rv->name == 0 || rv->name >= m->strs.count || rv->users >= m->strs.count ||
            strlen(strtab_get(&m->strs, rv->users)) > MAX_LABEL_LEN || rv->active < -1 ||
            rv->active > 1 || rv->nodes < -1 || rv->cpus < -1 || rv->cores < -1 || !rv->nodelist)
            fz_fail("reservation out of range", NULL, i);
    }
    struct dataset_result *n =
        nul ? fz_nodes(nul + 1, size - rlen - 1)
            : fz_nodes((const uint8_t *)default_nodes, sizeof(default_nodes) - 1);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_RESERVATIONS] = r;
    v.now = FUZZ_NOW;
    v.series_limit = 100000;
    static const collector_fn fns[] = {collect_reservations};
    fz_collect(&v, fns, 1);
    v.ds[DS_NODES] = n;
    fz_collect(&v, fns, 1);
    fz_free(r);
    fz_free(n);
    return 0;
}
