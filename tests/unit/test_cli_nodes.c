/* SPDX-License-Identifier: Apache-2.0 */
/* The scontrol nodes parser: node state strings and the derived state's
 * precedence, GRES lists, memory, reasons, partition-list sharing, and the
 * 22.05 fixture. */
#include "testutil.h"

#include "sources/cli.h"

#include <errno.h>

#define F(x) (1u << NODE_FLAG_##x)

struct state_case {
    const char *s;
    uint32_t alloc;
    int rc;
    uint8_t base;
    uint32_t flags;
    uint8_t state;
};

static const struct state_case state_cases[] = {
    {"IDLE", 0, 0, NODE_BASE_IDLE, 0, NODE_STATE_IDLE},
    {"ALLOCATED", 32, 0, NODE_BASE_ALLOCATED, 0, NODE_STATE_ALLOCATED},
    {"ALLOC", 32, 0, NODE_BASE_ALLOCATED, 0, NODE_STATE_ALLOCATED},
    {"MIXED", 4, 0, NODE_BASE_MIXED, 0, NODE_STATE_MIXED},
    {"MIXED+DRAIN", 4, 0, NODE_BASE_MIXED, F(DRAIN), NODE_STATE_DRAINING},
    {"ALLOCATED+DRAIN", 32, 0, NODE_BASE_ALLOCATED, F(DRAIN), NODE_STATE_DRAINING},
    {"IDLE+DRAIN", 0, 0, NODE_BASE_IDLE, F(DRAIN), NODE_STATE_DRAINED},
    {"IDLE+DRAIN", 2, 0, NODE_BASE_IDLE, F(DRAIN), NODE_STATE_DRAINING}, /* CPUs still busy */
    {"IDLE+DRAIN+COMPLETING", 0, 0, NODE_BASE_IDLE, F(DRAIN) | F(COMPLETING), NODE_STATE_DRAINING},
    {"IDLE+DRAINED", 0, 0, NODE_BASE_IDLE, F(DRAIN), NODE_STATE_DRAINED},
    {"IDLE+DRAINING", 0, 0, NODE_BASE_IDLE, F(DRAIN), NODE_STATE_DRAINED},
    {"DOWN", 0, 0, NODE_BASE_DOWN, 0, NODE_STATE_DOWN},
    {"DOWN+DRAIN", 0, 0, NODE_BASE_DOWN, F(DRAIN), NODE_STATE_DOWN},
    {"DOWN*+DRAIN", 0, 0, NODE_BASE_DOWN, F(DRAIN) | F(NOT_RESPONDING), NODE_STATE_DOWN},
    {"DOWN+FAIL", 0, 0, NODE_BASE_DOWN, F(FAIL), NODE_STATE_DOWN},
    {"IDLE+FAIL", 0, 0, NODE_BASE_IDLE, F(FAIL), NODE_STATE_FAIL},
    {"ALLOCATED+FAIL+DRAIN", 8, 0, NODE_BASE_ALLOCATED, F(FAIL) | F(DRAIN), NODE_STATE_FAIL},
    {"IDLE*", 0, 0, NODE_BASE_IDLE, F(NOT_RESPONDING), NODE_STATE_NOT_RESPONDING},
    {"IDLE+NOT_RESPONDING", 0, 0, NODE_BASE_IDLE, F(NOT_RESPONDING), NODE_STATE_NOT_RESPONDING},
    {"MIXED*", 4, 0, NODE_BASE_MIXED, F(NOT_RESPONDING), NODE_STATE_NOT_RESPONDING},
    {"IDLE*+DRAIN", 0, 0, NODE_BASE_IDLE, F(NOT_RESPONDING) | F(DRAIN), NODE_STATE_DRAINED},
    {"ERROR", 0, 0, NODE_BASE_ERROR, 0, NODE_STATE_ERROR},
    {"FUTURE", 0, 0, NODE_BASE_FUTURE, 0, NODE_STATE_FUTURE},
    {"UNKNOWN", 0, 0, NODE_BASE_UNKNOWN, 0, NODE_STATE_UNKNOWN},
    {"IDLE+POWERED_DOWN", 0, 0, NODE_BASE_IDLE, F(POWERED_DOWN), NODE_STATE_POWERED_DOWN},
    {"IDLE~", 0, 0, NODE_BASE_IDLE, F(POWERED_DOWN), NODE_STATE_POWERED_DOWN},
    {"IDLE+CLOUD+POWERED_DOWN", 0, 0, NODE_BASE_IDLE, F(CLOUD) | F(POWERED_DOWN),
     NODE_STATE_POWERED_DOWN},
    {"IDLE+POWERING_UP", 0, 0, NODE_BASE_IDLE, F(POWERING_UP), NODE_STATE_POWERING_UP},
    {"IDLE#", 0, 0, NODE_BASE_IDLE, F(POWERING_UP), NODE_STATE_POWERING_UP},
    {"IDLE%", 0, 0, NODE_BASE_IDLE, F(POWERING_DOWN), NODE_STATE_POWERING_DOWN},
    {"IDLE!", 0, 0, NODE_BASE_IDLE, F(POWER_DOWN), NODE_STATE_IDLE},
    {"IDLE+REBOOT_ISSUED", 0, 0, NODE_BASE_IDLE, F(REBOOT_ISSUED), NODE_STATE_REBOOTING},
    {"IDLE^", 0, 0, NODE_BASE_IDLE, F(REBOOT_ISSUED), NODE_STATE_REBOOTING},
    {"IDLE@", 0, 0, NODE_BASE_IDLE, F(REBOOT_REQUESTED), NODE_STATE_IDLE},
    {"MIXED+REBOOT_REQUESTED", 4, 0, NODE_BASE_MIXED, F(REBOOT_REQUESTED), NODE_STATE_MIXED},
    {"IDLE+MAINTENANCE", 0, 0, NODE_BASE_IDLE, F(MAINTENANCE), NODE_STATE_MAINTENANCE},
    {"IDLE$", 0, 0, NODE_BASE_IDLE, F(MAINTENANCE), NODE_STATE_MAINTENANCE},
    {"ALLOCATED+MAINT", 8, 0, NODE_BASE_ALLOCATED, F(MAINTENANCE), NODE_STATE_ALLOCATED},
    {"IDLE+RESERVED", 0, 0, NODE_BASE_IDLE, F(RESERVED), NODE_STATE_RESERVED},
    {"ALLOCATED+RESERVED", 32, 0, NODE_BASE_ALLOCATED, F(RESERVED), NODE_STATE_ALLOCATED},
    {"MIXED+RESERVED", 4, 0, NODE_BASE_MIXED, F(RESERVED), NODE_STATE_MIXED},
    {"IDLE+MAINTENANCE+RESERVED", 0, 0, NODE_BASE_IDLE, F(MAINTENANCE) | F(RESERVED),
     NODE_STATE_MAINTENANCE},
    {"MIXED+COMPLETING", 4, 0, NODE_BASE_MIXED, F(COMPLETING), NODE_STATE_COMPLETING},
    {"ALLOCATED+COMPLETING", 32, 0, NODE_BASE_ALLOCATED, F(COMPLETING), NODE_STATE_COMPLETING},
    {"IDLE+COMPLETING", 0, 0, NODE_BASE_IDLE, F(COMPLETING), NODE_STATE_COMPLETING},
    {"IDLE+PLANNED", 0, 0, NODE_BASE_IDLE, F(PLANNED), NODE_STATE_PLANNED},
    {"IDLE-", 0, 0, NODE_BASE_IDLE, F(PLANNED), NODE_STATE_PLANNED},
    {"MIXED+PLANNED", 4, 0, NODE_BASE_MIXED, F(PLANNED), NODE_STATE_MIXED},
    {"IDLE+DYNAMIC_FUTURE", 0, 0, NODE_BASE_IDLE, F(DYNAMIC), NODE_STATE_IDLE},
    {"IDLE+DYNAMIC", 0, 0, NODE_BASE_IDLE, F(DYNAMIC), NODE_STATE_IDLE},
    {"IDLE+INVALID_REG", 0, 0, NODE_BASE_IDLE, F(INVALID_REG), NODE_STATE_IDLE},
    /* 24.05 BLOCKED (held by an exclusive-topology job), 25.05 EXTERNAL (no slurmd,
     * external jobs only): their own flags; a derived state only for idle nodes */
    {"IDLE+BLOCKED", 0, 0, NODE_BASE_IDLE, F(BLOCKED), NODE_STATE_BLOCKED},
    {"MIXED+BLOCKED", 4, 0, NODE_BASE_MIXED, F(BLOCKED), NODE_STATE_MIXED},
    {"IDLE+BLOCKED+DRAIN", 0, 0, NODE_BASE_IDLE, F(BLOCKED) | F(DRAIN), NODE_STATE_DRAINED},
    {"IDLE+BLOCKED+RESERVED", 0, 0, NODE_BASE_IDLE, F(BLOCKED) | F(RESERVED), NODE_STATE_RESERVED},
    {"IDLE+BLOCKED+PLANNED", 0, 0, NODE_BASE_IDLE, F(BLOCKED) | F(PLANNED), NODE_STATE_BLOCKED},
    {"IDLE+EXTERNAL", 0, 0, NODE_BASE_IDLE, F(EXTERNAL), NODE_STATE_EXTERNAL},
    {"ALLOCATED+EXTERNAL", 8, 0, NODE_BASE_ALLOCATED, F(EXTERNAL), NODE_STATE_ALLOCATED},
    {"IDLE+CLOUD+EXTERNAL+POWERED_DOWN", 0, 0, NODE_BASE_IDLE,
     F(CLOUD) | F(EXTERNAL) | F(POWERED_DOWN), NODE_STATE_POWERED_DOWN},
    {"UNKNOWN+EXTERNAL", 0, 0, NODE_BASE_UNKNOWN, F(EXTERNAL), NODE_STATE_UNKNOWN},
    /* an unknown flag is counted as "other" and changes nothing else */
    {"IDLE+SOMETHING_NEW", 0, 0, NODE_BASE_IDLE, F(OTHER), NODE_STATE_IDLE},
    {"MIXED+DRAIN+WHATEVER", 4, 0, NODE_BASE_MIXED, F(DRAIN) | F(OTHER), NODE_STATE_DRAINING},
    /* an unknown base: -1, base unknown, derived state unknown */
    {"WEIRD", 0, -1, NODE_BASE_UNKNOWN, 0, NODE_STATE_UNKNOWN},
    {"idle", 0, -1, NODE_BASE_UNKNOWN, 0, NODE_STATE_UNKNOWN},
    {"IDLEX", 0, -1, NODE_BASE_UNKNOWN, 0, NODE_STATE_UNKNOWN},
    {"", 0, -1, NODE_BASE_UNKNOWN, 0, NODE_STATE_UNKNOWN},
    {"+DRAIN", 0, -1, NODE_BASE_UNKNOWN, F(DRAIN), NODE_STATE_DRAINED},
    {"WEIRD+POWERED_DOWN", 0, -1, NODE_BASE_UNKNOWN, F(POWERED_DOWN), NODE_STATE_UNKNOWN},
};

static void test_states(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(state_cases) / sizeof(state_cases[0]); i++) {
        const struct state_case *c = &state_cases[i];
        uint8_t base = 0xff;
        uint32_t flags = 0xffffffff;
        int rc = cli_parse_node_state(c->s, strlen(c->s), &base, &flags);
        uint8_t st = node_derive_state(base, flags, c->alloc);
        if (rc != c->rc || base != c->base || flags != c->flags || st != c->state)
            fail_msg("\"%s\" (alloc %u): rc %d base %u flags %#x state %s; expected rc %d base %u "
                     "flags %#x state %s",
                     c->s, c->alloc, rc, base, flags, node_state_names[st], c->rc, c->base,
                     c->flags, node_state_names[c->state]);
    }
}

/* The precedence is the enum order: check the documented first matches. */
static void test_derive_precedence(void **state)
{
    (void)state;
    uint32_t all = 0xffffffffu;
    assert_int_equal(node_derive_state(NODE_BASE_DOWN, all, 8), NODE_STATE_DOWN);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, all, 0), NODE_STATE_FAIL);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, all & ~F(FAIL), 0), NODE_STATE_DRAINING);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(NOT_RESPONDING) | F(POWERED_DOWN), 0),
                     NODE_STATE_NOT_RESPONDING);
    assert_int_equal(node_derive_state(NODE_BASE_ERROR, F(POWERED_DOWN), 0), NODE_STATE_ERROR);
    assert_int_equal(node_derive_state(NODE_BASE_FUTURE, F(RESERVED), 0), NODE_STATE_FUTURE);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(POWERED_DOWN) | F(POWERING_UP), 0),
                     NODE_STATE_POWERED_DOWN);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(POWERING_UP) | F(REBOOT_ISSUED), 0),
                     NODE_STATE_POWERING_UP);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(REBOOT_ISSUED) | F(MAINTENANCE), 0),
                     NODE_STATE_REBOOTING);
    /* maintenance and reserved only for idle nodes with nothing allocated */
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(RESERVED), 1), NODE_STATE_IDLE);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(RESERVED) | F(COMPLETING), 0),
                     NODE_STATE_RESERVED);
    assert_int_equal(node_derive_state(NODE_BASE_MIXED, F(PLANNED) | F(COMPLETING), 1),
                     NODE_STATE_COMPLETING);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, 0, 0), NODE_STATE_IDLE);
    assert_string_equal(node_state_names[NODE_STATE_NOT_RESPONDING], "not_responding");
    assert_string_equal(node_flag_names[NODE_FLAG_OTHER], "other");
    assert_string_equal(node_flag_names[NODE_FLAG_DYNAMIC], "dynamic_future");
    assert_string_equal(node_flag_names[NODE_FLAG_BLOCKED], "blocked");
    assert_string_equal(node_flag_names[NODE_FLAG_EXTERNAL], "external");
    /* blocked before external, both after reserved and before completing */
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(BLOCKED) | F(EXTERNAL), 0),
                     NODE_STATE_BLOCKED);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(EXTERNAL) | F(RESERVED), 0),
                     NODE_STATE_RESERVED);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(EXTERNAL) | F(COMPLETING), 0),
                     NODE_STATE_EXTERNAL);
    assert_int_equal(node_derive_state(NODE_BASE_IDLE, F(BLOCKED), 2), NODE_STATE_IDLE);
}

/* ---- GRES ------------------------------------------------------------- */

struct gres_fx {
    struct dataset_result *r;
    struct nodes_parser p;
    struct nodes_model *m;
};

static void gres_setup(struct gres_fx *fx)
{
    fx->r = tu_result_new(DS_NODES);
    cli_nodes_init(&fx->p, fx->r->u.nodes, &fx->r->arena);
    fx->m = fx->r->u.nodes;
}

static void gres_teardown(struct gres_fx *fx)
{
    cli_nodes_finish(&fx->p);
    tu_result_free(fx->r);
}

static void assert_gres(const struct nodes_model *m, uint32_t i, const char *name, const char *type,
                        uint64_t total, uint64_t used)
{
    const struct gres *g = &m->gres[i];
    if (strcmp(strtab_get(&m->strs, g->name), name) != 0 ||
        strcmp(strtab_get(&m->strs, g->type), type) != 0 || g->total != total || g->used != used)
        fail_msg("gres[%u] = %s:%s total %llu used %llu; expected %s:%s total %llu used %llu", i,
                 strtab_get(&m->strs, g->name), strtab_get(&m->strs, g->type),
                 (unsigned long long)g->total, (unsigned long long)g->used, name, type,
                 (unsigned long long)total, (unsigned long long)used);
}

static int gres(struct gres_fx *fx, const char *s, int used, uint32_t first, uint32_t *count)
{
    return cli_parse_gres(fx->m, s, strlen(s), used, first, count);
}

static void test_gres_typed_with_sockets(void **state)
{
    (void)state;
    struct gres_fx fx;
    gres_setup(&fx);
    uint32_t first = (uint32_t)fx.m->gres_n, count = 0;
    assert_int_equal(gres(&fx, "gpu:a100:4(S:0-1)", 0, first, &count), 0);
    assert_int_equal(count, 1);
    assert_gres(fx.m, first, "gpu", "a100", 4, 0);
    assert_int_equal(gres(&fx, "gpu:a100:2(IDX:0-1)", 1, first, &count), 0);
    assert_int_equal(count, 1); /* matched the configured entry */
    assert_gres(fx.m, first, "gpu", "a100", 4, 2);
    assert_int_equal(fx.m->gres_n, 1);
    gres_teardown(&fx);
}

static void test_gres_lists(void **state)
{
    (void)state;
    struct gres_fx fx;
    gres_setup(&fx);
    /* node 1: untyped gpu and mps */
    uint32_t f1 = (uint32_t)fx.m->gres_n, c1 = 0;
    assert_int_equal(gres(&fx, "gpu:4,mps:100", 0, f1, &c1), 0);
    assert_int_equal(c1, 2);
    assert_gres(fx.m, f1, "gpu", "", 4, 0);
    assert_gres(fx.m, f1 + 1, "mps", "", 100, 0);
    /* node 2: two types of the same GRES, used with commas inside (IDX:...) */
    uint32_t f2 = (uint32_t)fx.m->gres_n, c2 = 0;
    assert_int_equal(f2, 2);
    assert_int_equal(gres(&fx, "gpu:a100:1,gpu:h100:2", 0, f2, &c2), 0);
    assert_int_equal(c2, 2);
    assert_int_equal(gres(&fx, "gpu:a100:1(IDX:0),gpu:h100:2(IDX:1,3)", 1, f2, &c2), 0);
    assert_int_equal(c2, 2);
    assert_gres(fx.m, f2, "gpu", "a100", 1, 1);
    assert_gres(fx.m, f2 + 1, "gpu", "h100", 2, 2);
    /* node 2's lookups did not touch node 1's entries */
    assert_gres(fx.m, f1, "gpu", "", 4, 0);
    /* node 3: the same name:type twice (one per socket) adds up */
    uint32_t f3 = (uint32_t)fx.m->gres_n, c3 = 0;
    assert_int_equal(gres(&fx, "gpu:a100:2(S:0),gpu:a100:2(S:1)", 0, f3, &c3), 0);
    assert_int_equal(c3, 1);
    assert_gres(fx.m, f3, "gpu", "a100", 4, 0);
    /* node 4: bare names and suffixes */
    uint32_t f4 = (uint32_t)fx.m->gres_n, c4 = 0;
    assert_int_equal(gres(&fx, "gpu,nic:mlx5,mps:1K,shard:2M", 0, f4, &c4), 0);
    assert_int_equal(c4, 4);
    assert_gres(fx.m, f4, "gpu", "", 1, 0);
    assert_gres(fx.m, f4 + 1, "nic", "mlx5", 1, 0);
    assert_gres(fx.m, f4 + 2, "mps", "", 1024, 0);
    assert_gres(fx.m, f4 + 3, "shard", "", 2097152, 0);
    gres_teardown(&fx);
}

static void test_gres_empty_and_bad(void **state)
{
    (void)state;
    struct gres_fx fx;
    gres_setup(&fx);
    uint32_t first = 0, count = 0;
    assert_int_equal(gres(&fx, "(null)", 0, first, &count), 0);
    assert_int_equal(gres(&fx, "N/A", 0, first, &count), 0);
    assert_int_equal(gres(&fx, "", 0, first, &count), 0);
    assert_int_equal(count, 0);
    /* "GresUsed=gpu:0" on a node without GRES: nothing recorded */
    assert_int_equal(gres(&fx, "gpu:0", 1, first, &count), 0);
    assert_int_equal(gres(&fx, "gpu:a100:0(IDX:N/A)", 1, first, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(fx.m->gres_n, 0);
    /* used but never configured, non-zero: recorded with total 0 */
    assert_int_equal(gres(&fx, "gpu:h100:1(IDX:0)", 1, first, &count), 0);
    assert_int_equal(count, 1);
    assert_gres(fx.m, 0, "gpu", "h100", 0, 1);
    /* garbage */
    uint32_t c = 0, f = (uint32_t)fx.m->gres_n;
    assert_int_equal(gres(&fx, "gpu:a100:x", 0, f, &c), -1);
    assert_int_equal(gres(&fx, ":4", 0, f, &c), -1);
    gres_teardown(&fx);
}

/* ---- whole lines -------------------------------------------------------- */

static const char *nstr(const struct nodes_model *m, uint32_t id)
{
    return strtab_get(&m->strs, id);
}

static const struct node *find_node(const struct nodes_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(nstr(m, m->nodes[i].name), name) == 0)
            return &m->nodes[i];
    fail_msg("node %s not found", name);
    return NULL;
}

static void test_fixture(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_nodes.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(buf, len, &st);
    const struct nodes_model *m = r->u.nodes;
    assert_int_equal(st.lines, 6);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 6);

    const struct node *n = find_node(m, "cn001");
    assert_int_equal(n->base, NODE_BASE_MIXED);
    assert_int_equal(n->state, NODE_STATE_MIXED);
    assert_int_equal(n->flags, 0);
    assert_int_equal(n->cpus_total, 32);
    assert_int_equal(n->cpus_alloc, 1);
    assert_double_exact(n->cpu_load, 0.34);
    assert_int_equal(n->mem_total, 192000ULL * 1048576);
    assert_int_equal(n->mem_alloc, 2000ULL * 1048576);
    assert_int_equal(n->mem_free, 23259ULL * 1048576);
    assert_int_equal(n->gres_count, 0); /* Gres=(null), GresUsed=gpu:0 */
    assert_int_equal(n->reason, 0);
    assert_int_equal(n->reason_time, 0);

    n = find_node(m, "cn003");
    assert_int_equal(n->state, NODE_STATE_DRAINED);
    assert_int_equal(n->flags, F(DRAIN));
    assert_int_equal(n->cpus_alloc, 0);
    assert_string_equal(nstr(m, n->reason), "disk replaced");
    assert_int_equal(n->reason_time, 1795424586);

    n = find_node(m, "cn004");
    assert_int_equal(n->base, NODE_BASE_DOWN);
    assert_int_equal(n->state, NODE_STATE_DOWN);
    assert_string_equal(nstr(m, n->reason), "no heartbeat");
    assert_int_equal(n->reason_time, 1795424586);

    n = find_node(m, "cn005");
    assert_int_equal(n->state, NODE_STATE_MIXED);
    assert_int_equal(n->cpus_alloc, 6);
    assert_int_equal(n->mem_alloc, 14096ULL * 1048576);

    n = find_node(m, "gpu001");
    assert_int_equal(n->state, NODE_STATE_MIXED);
    assert_int_equal(n->cpus_total, 96);
    assert_int_equal(n->cpus_alloc, 4);
    assert_int_equal(n->mem_total, 512000ULL * 1048576);
    assert_int_equal(n->mem_alloc, 8000ULL * 1048576);
    assert_int_equal(n->gres_count, 1);
    assert_string_equal(nstr(m, m->gres[n->gres_first].name), "gpu");
    assert_string_equal(nstr(m, m->gres[n->gres_first].type), "a100");
    assert_int_equal(m->gres[n->gres_first].total, 4);
    assert_int_equal(m->gres[n->gres_first].used, 2); /* GresUsed=gpu:a100:2(IDX:0-1) */
    assert_int_equal(m->gres_n, 1);

    /* Partitions lists: one per distinct string, shared between nodes */
    assert_int_equal(m->part_lists_n, 2);
    const struct node *c1 = find_node(m, "cn001");
    assert_int_equal(find_node(m, "cn002")->partitions, c1->partitions);
    assert_int_equal(find_node(m, "cn003")->partitions, c1->partitions);
    assert_int_equal(find_node(m, "cn004")->partitions, c1->partitions);
    assert_int_equal(find_node(m, "cn005")->partitions, c1->partitions);
    assert_int_not_equal(n->partitions, c1->partitions);
    const struct id_list *pl = &m->part_lists[c1->partitions];
    assert_int_equal(pl->n, 3);
    assert_string_equal(nstr(m, pl->ids[0]), "debug");
    assert_string_equal(nstr(m, pl->ids[1]), "batch");
    assert_string_equal(nstr(m, pl->ids[2]), "maint");
    pl = &m->part_lists[n->partitions];
    assert_int_equal(pl->n, 2);
    assert_string_equal(nstr(m, pl->ids[0]), "gpu");
    assert_string_equal(nstr(m, pl->ids[1]), "maint");
    /* "maint" is one id in both lists */
    assert_int_equal(pl->ids[1], m->part_lists[c1->partitions].ids[2]);
    tu_result_free(r);
    free(buf);
}

static void test_memory_load_and_cpus(void **state)
{
    (void)state;
    const char *text =
        "NodeName=n1 State=MIXED CPUTot=8 CPUAlloc=4 CPULoad=N/A RealMemory=1000 AllocMem=500 "
        "FreeMem=N/A Gres=gpu:a100:4(S:0-1) GresUsed=gpu:a100:2(IDX:0-1) Partitions=p1\n"
        "NodeName=n2 State=IDLE CPUTot=64 CPUEfctv=60 CPUAlloc=99 CPULoad=12.5 RealMemory=1 "
        "FreeMem=0 Weight=4294967294\n"
        "NodeName=n3 State=IDLE CPUTot=4 Weight=x\n";
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(text, strlen(text), &st);
    const struct nodes_model *m = r->u.nodes;
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 3);
    const struct node *n = find_node(m, "n1");
    assert_int_equal(n->state, NODE_STATE_MIXED);
    assert_true(isnan(n->cpu_load));
    assert_int_equal(n->mem_total, 1000ULL * 1048576);
    assert_int_equal(n->mem_alloc, 500ULL * 1048576);
    assert_true(n->mem_free == UINT64_MAX); /* unknown */
    assert_int_equal(n->gres_count, 1);
    assert_int_equal(m->gres[n->gres_first].total, 4);
    assert_int_equal(m->gres[n->gres_first].used, 2);
    n = find_node(m, "n2");
    assert_int_equal(n->cpus_total, 60);             /* CPUEfctv wins over CPUTot */
    assert_int_equal(n->cpus_alloc, 60);             /* clamped to the total */
    assert_int_equal(n->weight, 4294967294u);        /* Slurm's largest weight */
    assert_int_equal(find_node(m, "n1")->weight, 0); /* absent */
    assert_int_equal(find_node(m, "n3")->weight, 0); /* unreadable: ignored */
    assert_int_equal(n->state, NODE_STATE_IDLE);
    assert_double_exact(n->cpu_load, 12.5);
    assert_int_equal(n->mem_total, 1048576);
    assert_int_equal(n->mem_free, 0);
    assert_int_equal(m->part_lists[n->partitions].n, 0); /* no Partitions= */
    n = find_node(m, "n3");
    assert_int_equal(n->cpus_total, 4);
    assert_true(isnan(n->cpu_load));
    assert_int_equal(n->mem_total, 0);
    assert_true(n->mem_free == UINT64_MAX);
    /* n2 and n3 share the empty list */
    assert_int_equal(n->partitions, find_node(m, "n2")->partitions);
    tu_result_free(r);
}

static void test_reasons(void **state)
{
    (void)state;
    const char *text =
        "NodeName=a State=DOWN CPUTot=1 Reason=Not responding\n"
        "NodeName=b State=IDLE+DRAIN CPUTot=1 Reason=no heartbeat x=y [root@1795424146]\n"
        "NodeName=c State=IDLE+DRAIN CPUTot=1 Reason=bios [slurm@2023-01-01T00:00:00]\n"
        "NodeName=d State=IDLE CPUTot=1 Reason=none\n"
        "NodeName=e State=IDLE CPUTot=1 Reason=(null)\n"
        "NodeName=f State=IDLE+DRAIN CPUTot=1 Reason=x [root@1795424146] Comment=hi\n";
    struct dataset_result *r = tu_nodes_from(text, strlen(text), NULL);
    const struct nodes_model *m = r->u.nodes;
    assert_int_equal(m->n, 6);
    const struct node *n = find_node(m, "a");
    assert_string_equal(nstr(m, n->reason), "Not responding");
    assert_int_equal(n->reason_time, 0);
    n = find_node(m, "b");
    assert_string_equal(nstr(m, n->reason), "no heartbeat x=y");
    assert_int_equal(n->reason_time, 1795424146);
    n = find_node(m, "c");
    assert_string_equal(nstr(m, n->reason), "bios");
    assert_int_equal(n->reason_time, 0); /* not epoch seconds */
    assert_int_equal(find_node(m, "d")->reason, 0);
    assert_int_equal(find_node(m, "e")->reason, 0);
    n = find_node(m, "f");
    assert_string_equal(nstr(m, n->reason), "x");
    assert_int_equal(n->reason_time, 1795424146);
    tu_result_free(r);
}

static void test_bad_lines(void **state)
{
    (void)state;
    char longname[300];
    memset(longname, 'n', 200);
    longname[200] = '\0';
    char text[2048];
    snprintf(text, sizeof(text),
             "No nodes in the system\n"
             "State=IDLE CPUTot=1\n"                             /* no NodeName */
             "NodeName=x1 CPUTot=1\n"                            /* no State */
             "NodeName=x2 State=IDLE\n"                          /* no CPUTot */
             "NodeName=x3 State=IDLE CPUTot=lots\n"              /* bad CPUTot */
             "NodeName= State=IDLE CPUTot=1\n"                   /* empty name */
             "NodeName=w1 State=WEIRD+DRAIN CPUTot=2\n"          /* kept, unknown base */
             "NodeName=g1 State=IDLE CPUTot=2 Gres=gpu:a100:x\n" /* kept, GRES dropped */
             "NodeName=%s State=IDLE CPUTot=2\n"
             "\n"
             "garbage without pairs\n",
             longname);
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(text, strlen(text), &st);
    const struct nodes_model *m = r->u.nodes;
    assert_int_equal(st.lines, 11);
    assert_int_equal(st.errors, 8);
    assert_non_null(strstr(st.first_error, "no NodeName/State"));
    assert_int_equal(m->n, 3);
    const struct node *n = find_node(m, "w1");
    assert_int_equal(n->base, NODE_BASE_UNKNOWN);
    assert_int_equal(n->flags, F(DRAIN));
    assert_int_equal(n->state, NODE_STATE_DRAINED);
    n = find_node(m, "g1");
    assert_int_equal(n->gres_count, 0);
    assert_int_equal(m->gres_n, 0);
    /* the 200-character name is cut to 128 */
    assert_int_equal(strlen(nstr(m, m->nodes[2].name)), 128);
    tu_result_free(r);
}

/* A bad line counts once in the parse errors (see test_cli_jobs). */
static void test_bad_line_counted_once(void **state)
{
    (void)state;
    const char *text = "NodeName=a State=WEIRD\nNodeName=b State=IDLE CPUTot=1\n";
    struct parse_stats st;
    struct dataset_result *r = tu_nodes_from(text, strlen(text), &st);
    uint64_t errors = st.errors, lines = st.lines;
    tu_result_free(r);
    assert_int_equal(lines, 2);
    assert_int_equal(errors, 1);
}

/* A command that failed mid-output (timeout, stop): its parser's working
 * memory is still let go (LeakSanitizer checks at exit), the refresh fails
 * as the command did, and what a finish step would count against output it
 * never got whole is not counted (sdiag without its header). */
static void test_failed_command(void **state)
{
    (void)state;
    static const char line[] = "NodeName=n1 Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 CPUTot=4 "
                               "State=IDLE Partitions=debug RealMemory=1000\n";
    struct parse_stats st;
    int rc = 0;
    struct dataset_result *r =
        tu_result_run_rc(DS_NODES, line, sizeof(line) - 1, -ETIMEDOUT, &st, &rc);
    assert_int_equal(rc, -ETIMEDOUT);
    assert_int_equal(st.errors, 0);
    tu_result_free(r);
    r = tu_result_run_rc(DS_SCHEDULER, "", 0, -ENOENT, &st, &rc);
    assert_int_equal(rc, -ENOENT);
    assert_int_equal(st.errors, 0);
    tu_result_free(r);
    /* the same empty output from a command that succeeded is judged */
    r = tu_result_run_rc(DS_SCHEDULER, "", 0, 0, &st, &rc);
    assert_int_equal(st.errors, 1);
    tu_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_derive_precedence),
        cmocka_unit_test(test_gres_typed_with_sockets),
        cmocka_unit_test(test_gres_lists),
        cmocka_unit_test(test_gres_empty_and_bad),
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_memory_load_and_cpus),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_bad_line_counted_once),
        cmocka_unit_test(test_failed_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
