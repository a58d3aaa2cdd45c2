/* SPDX-License-Identifier: Apache-2.0 */
/* The licenses source: `scontrol --oneliner show licenses`. Slurm prints
 *   LicenseName=matlab Total=10 Used=2 Free=8 Reserved=0 Remote=no
 * and, for remote licenses since 23.02, LastConsumed= LastDeficit=
 * LastUpdate=; hierarchical resources (25.05) print Nodes= Mode= instead. */
#include "sources/licenses.h"
#include "sources/kv.h"
#include "sources/source.h"

#include <string.h>

#define MAX_PAIRS 32
#define SLURM_INFINITE32 4294967295ULL
#define SLURM_NO_VAL32 4294967294ULL

void licenses_parser_init(struct licenses_parser *p, struct licenses_model *m, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    strtab_init(&m->strs, a);
}

static bool is_value(const struct kv *kv, const char *s)
{
    size_t n = strlen(s);
    return kv && kv->vlen == n && memcmp(kv->val, s, n) == 0;
}

/* A count: a number, or -1 for Slurm's INFINITE/NO_VAL (printed "-1"/"-2"
 * where Slurm uses %d). Returns -1 when the value is there but unreadable. */
static int get_count(const struct kv *kv, int64_t *out)
{
    *out = -1;
    if (!kv)
        return 0;
    uint64_t v;
    if (is_value(kv, "-1") || is_value(kv, "-2"))
        return 0;
    if (parse_u64(kv->val, kv->vlen, &v) < 0)
        return -1;
    if (v < SLURM_NO_VAL32)
        *out = (int64_t)v;
    return 0;
}

void licenses_line(void *pv, const char *line, size_t len)
{
    struct licenses_parser *p = pv;
    struct licenses_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    static const char none[] = "No licenses configured";
    if (len >= sizeof(none) - 1 && memcmp(line, none, sizeof(none) - 1) == 0)
        return;
    struct kv kv[MAX_PAIRS];
    size_t n = kv_split(line, len, kv, MAX_PAIRS);
    const struct kv *name = kv_find(kv, n, "LicenseName");
    const struct kv *total = kv_find(kv, n, "Total");
    if (!name || !name->vlen || !total) {
        parse_error(&p->st, "scontrol licenses: no LicenseName/Total", line, len);
        return;
    }
    if (kv_find(kv, n, "Mode")) {
        m->skipped++; /* a level of a hierarchical resource: same name, other nodes */
        return;
    }
    struct license l;
    memset(&l, 0, sizeof(l));
    if (get_count(total, &l.total) < 0 || get_count(kv_find(kv, n, "Used"), &l.used) < 0 ||
        get_count(kv_find(kv, n, "Free"), &l.free) < 0 ||
        get_count(kv_find(kv, n, "Reserved"), &l.reserved) < 0 ||
        get_count(kv_find(kv, n, "LastConsumed"), &l.last_consumed) < 0 ||
        get_count(kv_find(kv, n, "LastDeficit"), &l.last_deficit) < 0) {
        parse_error(&p->st, "scontrol licenses: unreadable count", line, len);
        return;
    }
    const struct kv *up = kv_find(kv, n, "LastUpdate");
    uint64_t t;
    if (up && parse_u64(up->val, up->vlen, &t) == 0 && t <= INT64_MAX)
        l.last_update = (int64_t)t; /* "Unknown" stays 0 */
    l.remote = is_value(kv_find(kv, n, "Remote"), "yes");
    size_t nl = name->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : name->vlen;
    if (strtab_find(&m->strs, name->val, nl) != UINT32_MAX) {
        parse_error(&p->st, "scontrol licenses: license name repeated", line, len);
        return;
    }
    l.name = strtab_intern(&m->strs, name->val, nl);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        struct license *nv = arena_alloc(p->a, m->cap * sizeof(*nv));
        if (m->n)
            memcpy(nv, m->lic, m->n * sizeof(*nv));
        m->lic = nv; /* the old copy stays in the arena; licenses are few */
    }
    m->lic[m->n++] = l;
}

/* ---- the source ---------------------------------------------------------- */

static void lic_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    licenses_parser_init(p, r->u.licenses, &r->arena);
}

const struct source_def source_licenses = {
    .model_size = sizeof(struct licenses_model),
    .command = "scontrol",
    .args = {"--oneliner", "show", "licenses"},
    .parser_size = sizeof(struct licenses_parser),
    .stats_offset = offsetof(struct licenses_parser, st),
    .init = lic_init,
    .line = licenses_line,
    .clusters = true,
};
