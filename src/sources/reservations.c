/* SPDX-License-Identifier: Apache-2.0 */
/* The reservations source: `scontrol --oneliner show reservations`. One line:
 *   ReservationName=r StartTime=T EndTime=T Duration=D Nodes=cn[1-2]
 *   NodeCnt=2 CoreCnt=64 Features=(null) PartitionName=(null) Flags=MAINT
 *   [NodeName=cn1 CoreIDs=0-3 ...] TRES=cpu=64 [AllowedPartitions= QOS=]
 *   Users=root Groups=(null) Accounts=(null) Licenses=(null) State=ACTIVE
 *   BurstBuffer=(null) [Watts=n/a] MaxStartDelay=(null) [Comment=...]
 * Times are epoch seconds (SLURM_TIME_FORMAT=%s is pinned by exec.c). */
#include "sources/reservations.h"
#include "sources/kv.h"
#include "sources/source.h"

#include <ctype.h>
#include <string.h>

#define MAX_PAIRS 48

void reservations_parser_init(struct reservations_parser *p, struct reservations_model *m,
                              struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    strtab_init(&m->strs, a);
}

static bool is_null(const struct kv *kv)
{
    return !kv || kv->vlen == 0 || (kv->vlen == 6 && memcmp(kv->val, "(null)", 6) == 0);
}

/* The value cut at MAX_LABEL_LEN, "" for (null); lower-cased when asked. */
static uint32_t label_id(struct strtab *t, const struct kv *kv, bool lower)
{
    if (is_null(kv))
        return 0;
    char tmp[MAX_LABEL_LEN];
    size_t n = kv->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : kv->vlen;
    for (size_t i = 0; i < n; i++)
        tmp[i] = lower ? (char)tolower((unsigned char)kv->val[i]) : kv->val[i];
    return strtab_intern(t, tmp, n);
}

/* Epoch seconds, 0 for "Unknown"/"None" and anything else. */
static int64_t get_time(const struct kv *kv)
{
    uint64_t v;
    if (!kv || parse_u64(kv->val, kv->vlen, &v) < 0 || v > (uint64_t)INT64_MAX)
        return 0;
    return (int64_t)v;
}

static int64_t get_count(const struct kv *kv)
{
    uint64_t v;
    if (!kv || parse_u64(kv->val, kv->vlen, &v) < 0 || v >= 4294967294ULL)
        return -1;
    return (int64_t)v;
}

/* cpu=N from a TRES string ("cpu=64,license/matlab=2"); -1 when absent. */
static int64_t tres_cpus(const struct kv *kv)
{
    if (is_null(kv))
        return -1;
    const char *p = kv->val, *end = kv->val + kv->vlen;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        uint64_t v;
        if (e - p > 4 && memcmp(p, "cpu=", 4) == 0 &&
            parse_u64(p + 4, (size_t)(e - p - 4), &v) == 0)
            return v < 4294967294ULL ? (int64_t)v : -1;
        p = e + 1;
    }
    return -1;
}

/* First pair with key among the two halves of the line. */
static const struct kv *find2(const struct kv *a, size_t na, const struct kv *b, size_t nb,
                              const char *key)
{
    const struct kv *kv = kv_find(a, na, key);
    return kv ? kv : kv_find(b, nb, key);
}

void reservations_line(void *pv, const char *line, size_t len)
{
    struct reservations_parser *p = pv;
    struct reservations_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    static const char none[] = "No reservations in the system";
    if (len >= sizeof(none) - 1 && memcmp(line, none, sizeof(none) - 1) == 0)
        return;
    /* Split at " TRES=": a core reservation lists NodeName=/CoreIDs= pairs
     * for each of its nodes before it, however many; the fields after it
     * must not be lost to the pair limit. */
    size_t head = len;
    const char *t = memmem(line, len, " TRES=", 6);
    if (t)
        head = (size_t)(t - line) + 1;
    struct kv a[MAX_PAIRS], b[MAX_PAIRS];
    size_t na = kv_split(line, head, a, MAX_PAIRS);
    size_t nb = kv_split(line + head, len - head, b, MAX_PAIRS);
    const struct kv *name = find2(a, na, b, nb, "ReservationName");
    if (!name || !name->vlen || name != &a[0]) {
        parse_error(&p->st, "scontrol reservations: no ReservationName", line, len);
        return;
    }
    struct reservation r;
    memset(&r, 0, sizeof(r));
    size_t nl = name->vlen > MAX_LABEL_LEN ? MAX_LABEL_LEN : name->vlen;
    if (strtab_find(&m->strs, name->val, nl) != UINT32_MAX) {
        parse_error(&p->st, "scontrol reservations: reservation name repeated", line, len);
        return;
    }
    r.name = strtab_intern(&m->strs, name->val, nl);
    const struct kv *st = find2(a, na, b, nb, "State");
    r.state = label_id(&m->strs, st, true);
    r.active = -1;
    if (strcmp(strtab_get(&m->strs, r.state), "active") == 0)
        r.active = 1;
    else if (strcmp(strtab_get(&m->strs, r.state), "inactive") == 0)
        r.active = 0;
    r.flags = label_id(&m->strs, find2(a, na, b, nb, "Flags"), true);
    r.partition = label_id(&m->strs, find2(a, na, b, nb, "PartitionName"), false);
    r.users = label_id(&m->strs, find2(a, na, b, nb, "Users"), false);
    r.accounts = label_id(&m->strs, find2(a, na, b, nb, "Accounts"), false);
    r.start = get_time(find2(a, na, b, nb, "StartTime"));
    r.end = get_time(find2(a, na, b, nb, "EndTime"));
    r.nodes = get_count(find2(a, na, b, nb, "NodeCnt"));
    r.cores = get_count(find2(a, na, b, nb, "CoreCnt"));
    r.cpus = tres_cpus(find2(a, na, b, nb, "TRES"));
    const struct kv *nodes = find2(a, na, b, nb, "Nodes");
    if (is_null(nodes)) {
        r.nodelist = "";
    } else {
        r.nodelist = arena_strndup(p->a, nodes->val, nodes->vlen);
        r.nodelist_len = nodes->vlen;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        struct reservation *nv = arena_alloc(p->a, m->cap * sizeof(*nv));
        if (m->n)
            memcpy(nv, m->resv, m->n * sizeof(*nv));
        m->resv = nv; /* the old copy stays in the arena; reservations are few */
    }
    m->resv[m->n++] = r;
}

/* ---- the source ---------------------------------------------------------- */

static void resv_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    reservations_parser_init(p, r->u.reservations, &r->arena);
}

const struct source_def source_reservations = {
    .model_size = sizeof(struct reservations_model),
    .command = "scontrol",
    .args = {"--oneliner", "show", "reservations"},
    .parser_size = sizeof(struct reservations_parser),
    .stats_offset = offsetof(struct reservations_parser, st),
    .init = resv_init,
    .line = reservations_line,
    .clusters = true,
};
