/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol show nodes output -> nodes parser -> nodes, partitions and node
 * collectors (with --compat=vpenso); the GRES parser and the state parser on
 * the raw input too. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_nodes(data, size);
    const struct nodes_model *m = r->u.nodes;
    for (size_t i = 0; i < m->n; i++)
        if (m->nodes[i].feature_list >= m->feat_lists_n)
            fz_fail("feature list out of range", NULL, i);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_NODES] = r;
    v.now = FUZZ_NOW;
    v.compat = COMPAT_VPENSO;
    static const collector_fn fns[] = {collect_nodes, collect_partitions, collect_node};
    v.series_limit = 100000;
    fz_collect(&v, fns, 3);
    v.series_limit = 2;
    fz_collect(&v, fns, 3);
    fz_free(r);

    /* the raw input as a GRES string and as a state string */
    struct dataset_result *g = fz_result(DS_NODES);
    struct nodes_parser p;
    cli_nodes_init(&p, g->u.nodes, &g->arena);
    uint32_t count = 0;
    cli_parse_gres(g->u.nodes, (const char *)data, size, 0, 0, &count);
    cli_parse_gres(g->u.nodes, (const char *)data, size, 1, 0, &count);
    if (count != g->u.nodes->gres_n)
        fz_fail("GRES count differs from entries", NULL, count);
    cli_nodes_finish(&p);
    fz_free(g);
    uint8_t base;
    uint32_t flags;
    if (cli_parse_node_state((const char *)data, size, &base, &flags) == 0 &&
        base >= NODE_BASE_COUNT)
        fz_fail("base out of range", NULL, base);
    if (node_derive_state(base, flags, size & 1 ? 1 : 0) >= NODE_STATE_COUNT)
        fz_fail("derived state out of range", NULL, 0);
    return 0;
}
