/* SPDX-License-Identifier: Apache-2.0 */
/* The limits dataset's source: `scontrol --oneliner show assoc_mgr
 * flags=assoc,qos` parsed one record (line) at a time into the limits that
 * are set, each beside the use slurmctld prints for it. The layout (Slurm's
 * src/scontrol/info_assoc_mgr.c): an association line is
 *   ClusterName=c Account=a UserName=u(uid) Partition=p ... GrpJobs=1(0)
 *   GrpTRES=cpu=16(1),mem=N(100),... MaxJobs=4(1) MaxTRESPJ=cpu=4 ...
 *   [Comment=free text, 23.02 and later]
 * a QoS line is
 *   QOS=name(id) UsageRaw=x GrpJobs=3(1) ... Account Limits= acct={MaxJobsPA=5(1)
 *   ... MaxTRESPA=cpu=4(2),...} User Limits= uid={MaxJobsPU=...}   (22.05)
 * where 23.02 and later print the user as name(uid) and 24.05 adds
 * MaxTRESRunMinsPA/PU inside the braces. "N" is unlimited, "(U)" the use,
 * an empty value no limit. */
#include "sources/assoc_mgr.h"
#include "sources/source.h"
#include "util/buf.h"
#include "util/hash.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MEBI 1048576.0
#define MAX_ROWS (1u << 22) /* bound on kept limits (output is bounded too) */
#define MAX_UIDS (1u << 20)

int limit_kind_find(const char *key, size_t n)
{
    for (int k = 0; k < LIMIT_KIND_COUNT; k++)
        if (strlen(limit_kinds[k].key) == n && memcmp(limit_kinds[k].key, key, n) == 0)
            return k;
    return -1;
}

static bool is_unlimited(const char *s, size_t n)
{
    static const char *const words[] = {"N", "UNLIMITED", "INFINITE", "N/A", "NONE"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == n && strncasecmp(words[i], s, n) == 0)
            return true;
    return false;
}

int assoc_mgr_value(const char *s, size_t n, int wide, int *has_limit, double *limit,
                    int *has_usage, double *usage)
{
    *has_limit = 0;
    *has_usage = 0;
    size_t ln = n;
    const char *par = memchr(s, '(', n);
    if (par) {
        if (s[n - 1] != ')')
            return -1;
        ln = (size_t)(par - s);
        const char *u = par + 1;
        size_t un = (size_t)(s + n - 1 - u);
        double d;
        /* only plain decimals: strtod would also take hex, inf and nan */
        for (size_t i = 0; i < un; i++)
            if (!((u[i] >= '0' && u[i] <= '9') || u[i] == '.'))
                return -1;
        if (parse_double(u, un, &d) != 0 || d < 0)
            return -1;
        *has_usage = 1;
        *usage = d;
    }
    if (ln == 0)
        return par ? -1 : 0;
    if (is_unlimited(s, ln))
        return 0;
    uint64_t v;
    if (parse_u64(s, ln, &v) != 0)
        return -1;
    /* INFINITE/NO_VAL of the field's width: not set */
    if (wide ? v >= UINT64_MAX - 1 : v >= (uint64_t)UINT32_MAX - 1)
        return 0;
    *has_limit = 1;
    *limit = (double)v;
    return 0;
}

/* ---- tokens -------------------------------------------------------------- */

struct tok {
    const char *s;
    size_t n;
};

static bool next_tok(const char **p, const char *end, struct tok *t)
{
    const char *c = *p;
    while (c < end && (*c == ' ' || *c == '\t'))
        c++;
    if (c >= end) {
        *p = c;
        return false;
    }
    const char *b = c;
    while (c < end && *c != ' ' && *c != '\t')
        c++;
    t->s = b;
    t->n = (size_t)(c - b);
    *p = c;
    return true;
}

/* Splits a token at its first '=': key and value. False when there is none. */
static bool tok_kv(const struct tok *t, struct tok *k, struct tok *v)
{
    const char *eq = memchr(t->s, '=', t->n);
    if (!eq)
        return false;
    k->s = t->s;
    k->n = (size_t)(eq - t->s);
    v->s = eq + 1;
    v->n = t->n - k->n - 1;
    return true;
}

static bool tok_is(const struct tok *t, const char *s)
{
    return t->n == strlen(s) && memcmp(t->s, s, t->n) == 0;
}

static uint32_t intern(struct limits_model *m, const char *s, size_t n)
{
    return strtab_intern(&m->strs, s, n > MAX_LABEL_LEN ? MAX_LABEL_LEN : n);
}

/* ---- uid -> name ----------------------------------------------------------- */

static struct uid_slot *uid_slot(struct uid_slot *t, size_t cap, uint32_t uid)
{
    size_t i = hash_slot(uid, cap);
    while (t[i].uid1 && t[i].uid1 != uid + 1u)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static void uid_put(struct assoc_mgr_parser *p, uint32_t uid, uint32_t name)
{
    if (uid == UINT32_MAX || p->nuids >= MAX_UIDS)
        return;
    if ((p->nuids + 1) * 2 > p->uid_cap) {
        size_t nc = p->uid_cap ? p->uid_cap * 2 : 64;
        struct uid_slot *nt = xcalloc(nc, sizeof(*nt));
        for (size_t i = 0; i < p->uid_cap; i++)
            if (p->uids[i].uid1)
                *uid_slot(nt, nc, p->uids[i].uid1 - 1u) = p->uids[i];
        free(p->uids);
        p->uids = nt;
        p->uid_cap = nc;
    }
    struct uid_slot *s = uid_slot(p->uids, p->uid_cap, uid);
    if (!s->uid1) {
        s->uid1 = uid + 1u;
        s->name = name;
        p->nuids++;
    }
}

static bool uid_get(const struct assoc_mgr_parser *p, uint32_t uid, uint32_t *name)
{
    if (!p->uid_cap || uid == UINT32_MAX)
        return false;
    const struct uid_slot *s = uid_slot(p->uids, p->uid_cap, uid);
    if (!s->uid1)
        return false;
    *name = s->name;
    return true;
}

/* "name(uid)", "name", "uid" (22.05's QoS user entries) or "-2" (a
 * placeholder entry). Sets the name part and the uid (-1 when absent, -2
 * when negative or unreadable). */
static void name_uid(const struct tok *t, struct tok *name, int64_t *uid)
{
    *name = *t;
    *uid = -1;
    const char *par = memchr(t->s, '(', t->n);
    const char *num = t->s;
    size_t nn = t->n;
    if (par && t->s[t->n - 1] == ')') {
        name->n = (size_t)(par - t->s);
        num = par + 1;
        nn = t->n - name->n - 2;
    } else if (!(t->n && ((t->s[0] >= '0' && t->s[0] <= '9') || t->s[0] == '-'))) {
        return;
    }
    uint64_t v;
    if (nn && num[0] == '-')
        *uid = -2;
    else if (parse_u64(num, nn, &v) == 0 && v < UINT32_MAX)
        *uid = (int64_t)v;
    else
        *uid = -2;
}

/* ---- rows ------------------------------------------------------------------ */

struct who {
    uint8_t entity;
    uint32_t qos, account, user, partition;
};

static void push(struct assoc_mgr_parser *p, const struct who *w, int kind, uint32_t tres,
                 bool is_mem, double limit, int has_usage, double usage)
{
    struct limits_model *m = p->m;
    if (m->n >= MAX_ROWS)
        return;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        m->rows = arena_realloc(p->a, m->rows, m->cap * sizeof(*m->rows), nc * sizeof(*m->rows));
        m->cap = nc;
    }
    double mult = 1;
    switch (limit_kinds[kind].unit) {
    case LU_MINUTES:
        mult = 60;
        break;
    case LU_TRES:
        mult = is_mem ? MEBI : 1;
        break;
    case LU_TRES_MINS:
        mult = is_mem ? 60 * MEBI : 60;
        break;
    default:
        break;
    }
    struct limit_row *r = &m->rows[m->n++];
    memset(r, 0, sizeof(*r));
    r->entity = w->entity;
    r->kind = (uint8_t)kind;
    r->qos = w->qos;
    r->account = w->account;
    r->user = w->user;
    r->partition = w->partition;
    r->tres = tres;
    r->limit = limit * mult;
    r->usage = has_usage ? usage * mult : NAN;
}

/* One Key=Value of a record: keeps the limits that are set. */
static void add_value(struct assoc_mgr_parser *p, const struct who *w, const struct tok *k,
                      const struct tok *v, const char *line, size_t len)
{
    int kind = limit_kind_find(k->s, k->n);
    if (kind < 0)
        return;
    int has_l = 0, has_u = 0;
    double l = 0, u = 0;
    uint8_t unit = limit_kinds[kind].unit;
    if (unit != LU_TRES && unit != LU_TRES_MINS) {
        if (assoc_mgr_value(v->s, v->n, 0, &has_l, &l, &has_u, &u) != 0) {
            parse_error(&p->st, "assoc_mgr: bad value", line, len);
            return;
        }
        if (has_l)
            push(p, w, kind, 0, false, l, has_u, u);
        return;
    }
    const char *s = v->s, *e = v->s + v->n;
    while (s < e) {
        const char *c = memchr(s, ',', (size_t)(e - s));
        size_t il = c ? (size_t)(c - s) : (size_t)(e - s);
        const char *eq = memchr(s, '=', il);
        if (!eq || eq == s) {
            parse_error(&p->st, "assoc_mgr: bad TRES", line, len);
        } else {
            size_t nl = (size_t)(eq - s);
            if (assoc_mgr_value(eq + 1, il - nl - 1, 1, &has_l, &l, &has_u, &u) != 0)
                parse_error(&p->st, "assoc_mgr: bad TRES value", line, len);
            else if (has_l)
                push(p, w, kind, intern(p->m, s, nl), nl == 3 && memcmp(s, "mem", 3) == 0, l, has_u,
                     u);
        }
        s += il + 1;
    }
}

static bool is_comment(const struct tok *k)
{
    return k->n == 7 && memcmp(k->s, "Comment", 7) == 0;
}

/* An association record. */
static void assoc_line(struct assoc_mgr_parser *p, const char *line, size_t len)
{
    struct limits_model *m = p->m;
    const char *end = line + len, *c = line;
    struct tok t, k, v;
    struct who w = {LIM_ASSOC, 0, 0, 0, 0};
    bool have_acct = false, have_user = false, have_part = false;
    while (next_tok(&c, end, &t)) {
        if (!tok_kv(&t, &k, &v))
            continue;
        if (is_comment(&k))
            break; /* free text to the end of the line */
        if (!have_acct && tok_is(&k, "Account")) {
            w.account = intern(m, v.s, v.n);
            have_acct = v.n > 0;
        } else if (!have_user && tok_is(&k, "UserName")) {
            struct tok nm;
            int64_t uid;
            name_uid(&v, &nm, &uid);
            w.user = intern(m, nm.s, nm.n);
            if (uid >= 0 && nm.n)
                uid_put(p, (uint32_t)uid, w.user);
            have_user = true;
        } else if (!have_part && tok_is(&k, "Partition")) {
            w.partition = intern(m, v.s, v.n);
            have_part = true;
        }
    }
    if (!have_acct) {
        parse_error(&p->st, "assoc_mgr: association without Account", line, len);
        return;
    }
    m->assoc_records++;
    c = line;
    while (next_tok(&c, end, &t)) {
        if (!tok_kv(&t, &k, &v))
            continue;
        if (is_comment(&k))
            break;
        add_value(p, &w, &k, &v, line, len);
    }
}

/* A user record (flags=users): only its uid -> name. */
static void user_line(struct assoc_mgr_parser *p, const char *line, size_t len)
{
    const char *c = line;
    struct tok t, k, v, nm;
    if (!next_tok(&c, line + len, &t) || !tok_kv(&t, &k, &v))
        return;
    int64_t uid;
    name_uid(&v, &nm, &uid);
    if (uid >= 0 && nm.n)
        uid_put(p, (uint32_t)uid, intern(p->m, nm.s, nm.n));
}

/* A QoS record, with its per-account and per-user entries in braces. */
static void qos_line(struct assoc_mgr_parser *p, const char *line, size_t len)
{
    struct limits_model *m = p->m;
    const char *end = line + len, *c = line;
    struct tok t, k, v, nm;
    int64_t id;
    if (!next_tok(&c, end, &t) || !tok_kv(&t, &k, &v) || !tok_is(&k, "QOS")) {
        parse_error(&p->st, "assoc_mgr: QoS record without QOS=", line, len);
        return;
    }
    name_uid(&v, &nm, &id);
    if (!nm.n) {
        parse_error(&p->st, "assoc_mgr: QoS record without a name", line, len);
        return;
    }
    m->qos_records++;
    struct who top = {LIM_QOS, intern(m, nm.s, nm.n), 0, 0, 0};
    struct who grp = top;
    uint8_t section = LIM_QOS; /* LIM_QOS_ACCOUNT / LIM_QOS_USER after "X Limits=" */
    bool in_group = false, skip_group = false;
    while (next_tok(&c, end, &t)) {
        /* "Account Limits=" / "User Limits=" start the per-account/per-user entries */
        if (!in_group && (tok_is(&t, "Account") || tok_is(&t, "User"))) {
            const char *save = c;
            struct tok t2;
            if (next_tok(&c, end, &t2) && t2.n >= 7 && memcmp(t2.s, "Limits=", 7) == 0) {
                section = t.s[0] == 'A' ? LIM_QOS_ACCOUNT : LIM_QOS_USER;
                continue;
            }
            c = save;
        }
        if (section == LIM_QOS) {
            if (tok_kv(&t, &k, &v))
                add_value(p, &top, &k, &v, line, len);
            continue;
        }
        if (!in_group) {
            /* "name={Key=Value" opens an entry; "No Accounts"/"No Users" are words */
            if (!tok_kv(&t, &k, &v))
                continue;
            if (!v.n || v.s[0] != '{' || !k.n) {
                parse_error(&p->st, "assoc_mgr: bad QoS limits entry", line, len);
                continue;
            }
            in_group = true;
            skip_group = false;
            grp = top;
            grp.entity = section;
            if (section == LIM_QOS_ACCOUNT) {
                grp.account = intern(m, k.s, k.n);
            } else {
                int64_t uid;
                name_uid(&k, &nm, &uid);
                uint32_t uname;
                if (uid == -2)
                    skip_group = true; /* NO_VAL placeholder */
                else if (uid >= 0 && uid_get(p, (uint32_t)uid, &uname))
                    grp.user = uname;
                else if (nm.n && !(uid >= 0 && nm.n == k.n))
                    grp.user = intern(m, nm.s, nm.n);
                else
                    grp.user = intern(m, k.s, k.n); /* an unknown uid: the number */
            }
            t.s = v.s + 1;
            t.n = v.n - 1;
            if (!t.n)
                continue;
        }
        bool close = t.s[t.n - 1] == '}';
        if (close)
            t.n--;
        if (!skip_group && t.n && tok_kv(&t, &k, &v))
            add_value(p, &grp, &k, &v, line, len);
        if (close)
            in_group = false;
    }
}

void assoc_mgr_init(struct assoc_mgr_parser *p, struct limits_model *m, struct arena *a)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    strtab_init(&m->strs, a);
}

static bool starts(const char *line, size_t len, const char *s)
{
    size_t n = strlen(s);
    return len >= n && memcmp(line, s, n) == 0;
}

void assoc_mgr_line(void *pv, const char *line, size_t len)
{
    struct assoc_mgr_parser *p = pv;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\n'))
        len--;
    if (len == 0)
        return;
    if (starts(line, len, "ClusterName="))
        assoc_line(p, line, len);
    else if (starts(line, len, "QOS="))
        qos_line(p, line, len);
    else if (starts(line, len, "UserName="))
        user_line(p, line, len);
    else if (!(starts(line, len, "Current Association Manager state") ||
               starts(line, len, "Association Records") || starts(line, len, "QOS Records") ||
               starts(line, len, "User Records") || starts(line, len, "No ")))
        parse_error(&p->st, "assoc_mgr: unknown line", line, len);
}

void assoc_mgr_finish(struct assoc_mgr_parser *p)
{
    free(p->uids);
    p->uids = NULL;
    p->uid_cap = p->nuids = 0;
}

/* ---- the source ------------------------------------------------------------ */

static void limits_init(void *pv, struct dataset_result *r, const struct source_ctx *ctx,
                        size_t hint)
{
    (void)ctx;
    (void)hint;
    assoc_mgr_init(pv, r->u.limits, &r->arena);
}

static void limits_finish(void *pv)
{
    assoc_mgr_finish(pv);
}

static size_t limits_count(const struct dataset_result *r)
{
    return r->u.limits->n;
}

const struct source_def source_limits = {
    .model_size = sizeof(struct limits_model),
    .command = "scontrol",
    .args = {"--oneliner", "show", "assoc_mgr", "flags=assoc,qos"},
    .parser_size = sizeof(struct assoc_mgr_parser),
    .stats_offset = offsetof(struct assoc_mgr_parser, st),
    .init = limits_init,
    .line = assoc_mgr_line,
    .finish = limits_finish,
    .count = limits_count,
    .clusters = true,
};
