/* SPDX-License-Identifier: Apache-2.0 */
/* Parser for `scontrol -o -d --all show nodes` (SLURM_TIME_FORMAT=%s): one
 * node per line as Key=Value pairs. State is a base state plus '+'-joined
 * flags, possibly with sinfo-style suffix characters on the base. */
#include "sources/cli.h"
#include "sources/kv.h"
#include "util/buf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS 96

void cli_nodes_init(struct nodes_parser *p, struct nodes_model *m, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    strtab_init(&m->strs, a);
    strtab_init(&p->part_strs, a);
    strtab_init(&p->feat_strs, a);
}

static const struct {
    const char *name;
    uint8_t base;
} bases[] = {
    {"IDLE", NODE_BASE_IDLE},       {"ALLOCATED", NODE_BASE_ALLOCATED},
    {"ALLOC", NODE_BASE_ALLOCATED}, {"MIXED", NODE_BASE_MIXED},
    {"DOWN", NODE_BASE_DOWN},       {"ERROR", NODE_BASE_ERROR},
    {"FUTURE", NODE_BASE_FUTURE},   {"UNKNOWN", NODE_BASE_UNKNOWN},
};

static int flag_from_name(const char *s, size_t n)
{
    static const char *const upper[NODE_FLAG_COUNT] = {
#define X(e, str, l) str,
        NODE_FLAGS(X)
#undef X
    };
    for (int i = 0; i < NODE_FLAG_OTHER; i++)
        if (strlen(upper[i]) == n && memcmp(upper[i], s, n) == 0)
            return i;
    /* Aliases seen across versions. */
    if (n == 5 && memcmp(s, "MAINT", 5) == 0)
        return NODE_FLAG_MAINTENANCE;
    if (n == 7 && memcmp(s, "DRAINED", 7) == 0)
        return NODE_FLAG_DRAIN;
    if (n == 8 && memcmp(s, "DRAINING", 8) == 0)
        return NODE_FLAG_DRAIN;
    if (n == 7 && memcmp(s, "DYNAMIC", 7) == 0)
        return NODE_FLAG_DYNAMIC;
    return -1;
}

static int flag_from_suffix(char c)
{
    switch (c) {
    case '*':
        return NODE_FLAG_NOT_RESPONDING;
    case '~':
        return NODE_FLAG_POWERED_DOWN;
    case '#':
        return NODE_FLAG_POWERING_UP;
    case '%':
        return NODE_FLAG_POWERING_DOWN;
    case '!':
        return NODE_FLAG_POWER_DOWN;
    case '$':
        return NODE_FLAG_MAINTENANCE;
    case '@':
        return NODE_FLAG_REBOOT_REQUESTED;
    case '^':
        return NODE_FLAG_REBOOT_ISSUED;
    case '-':
        return NODE_FLAG_PLANNED;
    default:
        return -1;
    }
}

int cli_parse_node_state(const char *s, size_t n, uint8_t *base, uint32_t *flags)
{
    *flags = 0;
    *base = NODE_BASE_UNKNOWN;
    const char *end = s + n;
    const char *plus = memchr(s, '+', n);
    size_t bl = plus ? (size_t)(plus - s) : n;
    /* Suffix characters on the base ("IDLE*", "DOWN~"). */
    for (int f; bl > 0 && (f = flag_from_suffix(s[bl - 1])) >= 0; bl--)
        *flags |= 1u << f;
    int found = -1;
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
        if (strlen(bases[i].name) == bl && memcmp(bases[i].name, s, bl) == 0)
            found = bases[i].base;
    const char *p = plus ? plus + 1 : end;
    while (p < end) {
        const char *q = memchr(p, '+', (size_t)(end - p));
        const char *e = q ? q : end;
        int f = flag_from_name(p, (size_t)(e - p));
        *flags |= 1u << (f >= 0 ? f : NODE_FLAG_OTHER);
        p = e + 1;
    }
    if (found < 0)
        return -1;
    *base = (uint8_t)found;
    return 0;
}

uint8_t node_derive_state(uint8_t base, uint32_t flags, uint32_t cpus_alloc)
{
#define HAS(f) (flags & (1u << NODE_FLAG_##f))
    if (base == NODE_BASE_DOWN)
        return NODE_STATE_DOWN;
    if (HAS(FAIL))
        return NODE_STATE_FAIL;
    if (HAS(DRAIN)) {
        bool busy = cpus_alloc > 0 || base == NODE_BASE_ALLOCATED || base == NODE_BASE_MIXED ||
                    HAS(COMPLETING);
        return busy ? NODE_STATE_DRAINING : NODE_STATE_DRAINED;
    }
    if (HAS(NOT_RESPONDING))
        return NODE_STATE_NOT_RESPONDING;
    if (base == NODE_BASE_ERROR)
        return NODE_STATE_ERROR;
    if (base == NODE_BASE_FUTURE)
        return NODE_STATE_FUTURE;
    if (base == NODE_BASE_UNKNOWN)
        return NODE_STATE_UNKNOWN;
    if (HAS(POWERED_DOWN))
        return NODE_STATE_POWERED_DOWN;
    if (HAS(POWERING_UP))
        return NODE_STATE_POWERING_UP;
    if (HAS(POWERING_DOWN))
        return NODE_STATE_POWERING_DOWN;
    if (HAS(REBOOT_ISSUED))
        return NODE_STATE_REBOOTING;
    bool idle = base == NODE_BASE_IDLE && cpus_alloc == 0;
    if (idle && HAS(MAINTENANCE))
        return NODE_STATE_MAINTENANCE;
    if (idle && HAS(RESERVED))
        return NODE_STATE_RESERVED;
    if (idle && HAS(BLOCKED)) /* sinfo's "blocked" (24.05) */
        return NODE_STATE_BLOCKED;
    if (idle && HAS(EXTERNAL)) /* runs external jobs only (25.05) */
        return NODE_STATE_EXTERNAL;
    if (HAS(COMPLETING))
        return NODE_STATE_COMPLETING;
    if (base == NODE_BASE_ALLOCATED)
        return NODE_STATE_ALLOCATED;
    if (base == NODE_BASE_MIXED)
        return NODE_STATE_MIXED;
    if (HAS(PLANNED))
        return NODE_STATE_PLANNED;
    return NODE_STATE_IDLE;
#undef HAS
}

/* Splits a GRES list on commas outside parentheses. */
int cli_parse_gres(struct nodes_model *m, const char *s, size_t n, int used, uint32_t first,
                   uint32_t *count)
{
    if (n == 0 || (n == 6 && memcmp(s, "(null)", 6) == 0) || (n == 3 && memcmp(s, "N/A", 3) == 0))
        return 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *e = p;
        int depth = 0;
        while (e < end && (depth > 0 || *e != ',')) {
            if (*e == '(')
                depth++;
            else if (*e == ')')
                depth--;
            e++;
        }
        const char *paren = memchr(p, '(', (size_t)(e - p));
        const char *ie = paren ? paren : e;
        /* name[:type]:count  or  name[:type] (count 1) */
        const char *c1 = memchr(p, ':', (size_t)(ie - p));
        const char *name = p, *type = "", *cnt = NULL;
        size_t name_l = (size_t)((c1 ? c1 : ie) - p), type_l = 0, cnt_l = 0;
        if (c1) {
            const char *c2 = memchr(c1 + 1, ':', (size_t)(ie - c1 - 1));
            if (c2) {
                type = c1 + 1;
                type_l = (size_t)(c2 - type);
                cnt = c2 + 1;
                cnt_l = (size_t)(ie - cnt);
            } else {
                cnt = c1 + 1;
                cnt_l = (size_t)(ie - cnt);
            }
        }
        uint64_t v = 1;
        if (cnt) {
            uint64_t mult = 1;
            if (cnt_l &&
                (cnt[cnt_l - 1] == 'K' || cnt[cnt_l - 1] == 'M' || cnt[cnt_l - 1] == 'G')) {
                mult = cnt[cnt_l - 1] == 'K' ? 1024 : cnt[cnt_l - 1] == 'M' ? 1048576 : 1073741824;
                cnt_l--;
            }
            if (parse_u64(cnt, cnt_l, &v) < 0) {
                if (type_l == 0) { /* "gpu:a100" = one typed GRES */
                    type = cnt;
                    type_l = cnt_l;
                    v = 1;
                } else {
                    return -1;
                }
            }
            v *= mult;
        }
        if (name_l == 0 || name_l > MAX_LABEL_LEN || type_l > MAX_LABEL_LEN)
            return -1;
        uint32_t nid = strtab_intern(&m->strs, name, name_l);
        uint32_t tid = strtab_intern(&m->strs, type, type_l);
        struct gres *g = NULL;
        for (uint32_t i = first; i < first + *count; i++)
            if (m->gres[i].name == nid && m->gres[i].type == tid)
                g = &m->gres[i];
        if (!g && used && v == 0) {
            /* "GresUsed=gpu:0" on a node without GRES: nothing to record */
            p = e < end ? e + 1 : end;
            continue;
        }
        if (!g) {
            if (m->gres_n == m->gres_cap) {
                m->gres_cap = m->gres_cap ? m->gres_cap * 2 : 256;
                m->gres = xrealloc(m->gres, m->gres_cap * sizeof(*m->gres));
            }
            g = &m->gres[m->gres_n++];
            memset(g, 0, sizeof(*g));
            g->name = nid;
            g->type = tid;
            (*count)++;
        }
        if (used)
            g->used += v;
        else
            g->total += v;
        p = e < end ? e + 1 : end;
    }
    return 0;
}

static bool is(const struct kv *kv, const char *s)
{
    return kv && kv->vlen == strlen(s) && memcmp(kv->val, s, kv->vlen) == 0;
}

static int get_u32(const struct kv *kv, uint32_t *out)
{
    uint64_t v;
    if (!kv || parse_u64(kv->val, kv->vlen, &v) < 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Maps a list string (Partitions=, ActiveFeatures=) to an index into the
 * model's lists, splitting each distinct string once so nodes with the same
 * string share one list. With unique set, repeated names are kept once. */
struct list_cache {
    struct strtab *raw;
    uint32_t **map, *map_cap;
    struct id_list **lists;
    uint32_t *n, *cap;
};

static uint32_t list_for(struct nodes_parser *p, const struct list_cache *c, const char *s,
                         size_t n, bool unique)
{
    struct nodes_model *m = p->m;
    uint32_t sid = strtab_intern(c->raw, s, n);
    if (sid >= *c->map_cap) {
        uint32_t nc = *c->map_cap ? *c->map_cap * 2 : 64;
        while (nc <= sid)
            nc *= 2;
        *c->map = xrealloc(*c->map, nc * sizeof(uint32_t));
        for (uint32_t i = *c->map_cap; i < nc; i++)
            (*c->map)[i] = UINT32_MAX;
        *c->map_cap = nc;
    }
    if ((*c->map)[sid] == UINT32_MAX) {
        if (*c->n == *c->cap) {
            *c->cap = *c->cap ? *c->cap * 2 : 16;
            *c->lists = xrealloc(*c->lists, *c->cap * sizeof(struct id_list));
        }
        struct id_list *l = &(*c->lists)[*c->n];
        split_list(&m->strs, p->a, s, n, l);
        if (unique) {
            uint32_t k = 0;
            for (uint32_t i = 0; i < l->n; i++) {
                uint32_t j = 0;
                while (j < k && l->ids[j] != l->ids[i])
                    j++;
                if (j == k)
                    l->ids[k++] = l->ids[i];
            }
            l->n = k;
        }
        (*c->map)[sid] = (*c->n)++;
    }
    return (*c->map)[sid];
}

static uint32_t part_list_for(struct nodes_parser *p, const char *s, size_t n)
{
    const struct list_cache c = {&p->part_strs,     &p->part_map,        &p->part_map_cap,
                                 &p->m->part_lists, &p->m->part_lists_n, &p->m->part_lists_cap};
    return list_for(p, &c, s, n, false);
}

static uint32_t feat_list_for(struct nodes_parser *p, const char *s, size_t n)
{
    const struct list_cache c = {&p->feat_strs,     &p->feat_map,        &p->feat_map_cap,
                                 &p->m->feat_lists, &p->m->feat_lists_n, &p->m->feat_lists_cap};
    return list_for(p, &c, s, n, true);
}

/* Interns a label value (cut to MAX_LABEL_LEN); "" when absent. */
static uint32_t label_id(struct nodes_model *m, const struct kv *kv)
{
    if (!kv)
        return 0;
    return strtab_intern(&m->strs, kv->val, kv->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : kv->vlen);
}

/* A time printed with SLURM_TIME_FORMAT=%s: epoch seconds; 0 for "None",
 * "Unknown" or anything else. */
static int64_t get_time(const struct kv *kv)
{
    uint64_t t;
    if (!kv || parse_u64(kv->val, kv->vlen, &t) < 0 || t > INT64_MAX)
        return 0;
    return (int64_t)t;
}

/* A feature list as printed; "(null)" (no features) is empty. */
static const struct kv *features_kv(const struct kv *kv, size_t n, const char *key)
{
    const struct kv *f = kv_find(kv, n, key);
    return f && !is(f, "(null)") ? f : NULL;
}

void cli_nodes_line(void *pv, const char *line, size_t len)
{
    struct nodes_parser *p = pv;
    struct nodes_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    if (len >= 14 && memcmp(line, "No nodes in th", 14) == 0)
        return;
    struct kv kv[MAX_PAIRS];
    size_t n = kv_split(line, len, kv, MAX_PAIRS);
    const struct kv *name = kv_find(kv, n, "NodeName");
    const struct kv *state = kv_find(kv, n, "State");
    if (!name || name->vlen == 0 || !state) {
        parse_error(&p->st, "scontrol nodes: no NodeName/State", line, len);
        return;
    }
    struct node nd;
    memset(&nd, 0, sizeof(nd));
    nd.name =
        strtab_intern(&m->strs, name->val, name->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : name->vlen);
    if (cli_parse_node_state(state->val, state->vlen, &nd.base, &nd.flags) < 0)
        parse_error(&p->st, "scontrol nodes: unknown node state", line, len);
    uint32_t tot = 0;
    if (get_u32(kv_find(kv, n, "CPUEfctv"), &tot) < 0 &&
        get_u32(kv_find(kv, n, "CPUTot"), &tot) < 0) {
        parse_error(&p->st, "scontrol nodes: no CPUTot", line, len);
        return;
    }
    nd.cpus_total = tot;
    if (get_u32(kv_find(kv, n, "CPUTot"), &nd.cpus_tot) < 0)
        nd.cpus_tot = tot;
    get_u32(kv_find(kv, n, "CPUAlloc"), &nd.cpus_alloc);
    get_u32(kv_find(kv, n, "Weight"), &nd.weight);
    if (nd.cpus_alloc > nd.cpus_total)
        nd.cpus_alloc = nd.cpus_total;
    const struct kv *load = kv_find(kv, n, "CPULoad");
    nd.cpu_load = NAN;
    if (load && !is(load, "N/A"))
        parse_double(load->val, load->vlen, &nd.cpu_load);
    const struct kv *rm = kv_find(kv, n, "RealMemory"), *am = kv_find(kv, n, "AllocMem"),
                    *fm = kv_find(kv, n, "FreeMem");
    uint64_t v;
    if (rm && parse_u64(rm->val, rm->vlen, &v) == 0)
        nd.mem_total = v * 1048576;
    if (am && parse_u64(am->val, am->vlen, &v) == 0)
        nd.mem_alloc = v * 1048576;
    nd.mem_free = UINT64_MAX;
    if (fm && parse_u64(fm->val, fm->vlen, &v) == 0)
        nd.mem_free = v * 1048576;
    const struct kv *parts = kv_find(kv, n, "Partitions");
    nd.partitions = parts ? part_list_for(p, parts->val, parts->vlen) : part_list_for(p, "", 0);
    nd.partitions_str = label_id(m, parts);
    const struct kv *fa = features_kv(kv, n, "ActiveFeatures");
    nd.features = label_id(m, fa);
    nd.features_avail = label_id(m, features_kv(kv, n, "AvailableFeatures"));
    nd.feature_list = fa ? feat_list_for(p, fa->val, fa->vlen) : feat_list_for(p, "", 0);
    nd.arch = label_id(m, kv_find(kv, n, "Arch"));
    nd.os = label_id(m, kv_find(kv, n, "OS"));
    nd.version = label_id(m, kv_find(kv, n, "Version"));
    nd.boot_time = get_time(kv_find(kv, n, "BootTime"));
    nd.slurmd_start_time = get_time(kv_find(kv, n, "SlurmdStartTime"));
    nd.last_busy = get_time(kv_find(kv, n, "LastBusyTime"));
    nd.gres_first = (uint32_t)m->gres_n;
    const struct kv *g = kv_find(kv, n, "Gres"), *gu = kv_find(kv, n, "GresUsed");
    if ((g && cli_parse_gres(m, g->val, g->vlen, 0, nd.gres_first, &nd.gres_count) < 0) ||
        (gu && cli_parse_gres(m, gu->val, gu->vlen, 1, nd.gres_first, &nd.gres_count) < 0)) {
        /* Keep the node; drop only its GRES, which we could not read. */
        parse_error(&p->st, "scontrol nodes: bad Gres", line, len);
        m->gres_n = nd.gres_first;
        nd.gres_count = 0;
    }
    const struct kv *reason = kv_find(kv, n, "Reason");
    if (reason && reason->vlen && !is(reason, "none") && !is(reason, "(null)")) {
        size_t rl = reason->vlen;
        const char *br = NULL;
        if (reason->val[rl - 1] == ']') {
            for (size_t i = rl; i-- > 0;)
                if (reason->val[i] == '[') {
                    br = reason->val + i;
                    break;
                }
        }
        /* Slurm appends " [user@time]" when it knows the time the reason
         * was set; a bracket without '@' is part of the text. */
        const char *at = br ? memchr(br, '@', (size_t)(reason->val + rl - br)) : NULL;
        if (at) {
            uint64_t t;
            if (parse_u64(at + 1, (size_t)(reason->val + rl - 1 - at - 1), &t) == 0 &&
                t <= INT64_MAX)
                nd.reason_time = (int64_t)t;
            size_t ul = (size_t)(at - br - 1);
            nd.reason_user =
                strtab_intern(&m->strs, br + 1, ul > MAX_LABEL_LEN ? MAX_LABEL_LEN : ul);
            rl = (size_t)(br - reason->val);
            while (rl && reason->val[rl - 1] == ' ')
                rl--;
        }
        nd.reason = strtab_intern(&m->strs, reason->val, rl > MAX_LABEL_LEN ? MAX_LABEL_LEN : rl);
    }
    nd.state = node_derive_state(nd.base, nd.flags, nd.cpus_alloc);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->nodes = xrealloc(m->nodes, m->cap * sizeof(*m->nodes));
    }
    m->nodes[m->n++] = nd;
}

/* Moves the growable arrays into the arena so the snapshot frees in one call. */
void cli_nodes_finish(struct nodes_parser *p)
{
    struct nodes_model *m = p->m;
    struct node *nodes = arena_alloc(p->a, (m->n + 1) * sizeof(*nodes));
    if (m->n)
        memcpy(nodes, m->nodes, m->n * sizeof(*nodes));
    free(m->nodes);
    m->nodes = nodes;
    struct gres *g = arena_alloc(p->a, (m->gres_n + 1) * sizeof(*g));
    if (m->gres_n)
        memcpy(g, m->gres, m->gres_n * sizeof(*g));
    free(m->gres);
    m->gres = g;
    struct id_list *pl = arena_alloc(p->a, (m->part_lists_n + 1) * sizeof(*pl));
    if (m->part_lists_n)
        memcpy(pl, m->part_lists, m->part_lists_n * sizeof(*pl));
    free(m->part_lists);
    m->part_lists = pl;
    struct id_list *fl = arena_alloc(p->a, (m->feat_lists_n + 1) * sizeof(*fl));
    if (m->feat_lists_n)
        memcpy(fl, m->feat_lists, m->feat_lists_n * sizeof(*fl));
    free(m->feat_lists);
    m->feat_lists = fl;
    m->cap = m->gres_cap = m->part_lists_cap = m->feat_lists_cap = 0;
    free(p->part_map);
    p->part_map = NULL;
    strtab_free(&p->part_strs);
    free(p->feat_map);
    p->feat_map = NULL;
    strtab_free(&p->feat_strs);
}
