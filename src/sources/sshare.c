/* SPDX-License-Identifier: Apache-2.0 */
/* The fairshare source: `sshare --noheader --parsable2 --format=...` and its
 * parser. One association per line, '|' between fields:
 *
 *   root|||0.000000|0||1.000000|||itest
 *    root|root|1|0.250000|0|0.000000|0.000000|1.000000|inf||itest
 *    physics||60|0.594059|7200|0.120000|0.120000||4.950495||itest
 *     physics|alice|1|1.000000|7200|0.120000|0.120000|0.500000|8.333333||itest
 *
 * sshare prints the tree depth as leading spaces of the Account column and
 * no parent column: an account's parent is the last account printed one
 * level up (sshare prints every account right after its parent's branch). A
 * user row is indented one level below its account and names the account.
 * Empty fields are values Slurm does not set (the root's RawShares and
 * NormUsage; FairShare of accounts under the fair-tree algorithm; LevelFS of
 * Fairshare=parent associations). */
#include "sources/kv.h"
#include "sources/sshare.h"
#include "sources/source.h"
#include "util/buf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sshare_init(struct sshare_parser *p, struct fairshare_model *m, struct arena *a, bool users)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->a = a;
    p->users = users;
    m->users = users;
    strtab_init(&m->strs, a);
}

int sshare_number(const char *s, size_t n, double *out)
{
    if (n == 0 || (n == 3 && memcmp(s, "nan", 3) == 0) || (n == 4 && memcmp(s, "-nan", 4) == 0)) {
        *out = NAN;
        return 0;
    }
    if (n == 3 && memcmp(s, "inf", 3) == 0) {
        *out = INFINITY;
        return 0;
    }
    if (n == 4 && memcmp(s, "-inf", 4) == 0) {
        *out = -INFINITY;
        return 0;
    }
    /* Decimal only: strtod alone would also take hex, "infinity" and
     * leading blanks. */
    char tmp[64];
    if (n >= sizeof(tmp))
        return -1;
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
            return -1;
    }
    if (!digit)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static uint32_t intern_cut(struct strtab *t, const char *s, size_t n)
{
    return strtab_intern(t, s, n > MAX_LABEL_LEN ? MAX_LABEL_LEN : n);
}

void sshare_line(void *pv, const char *line, size_t len)
{
    struct sshare_parser *p = pv;
    struct fairshare_model *m = p->m;
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len == 0)
        return; /* -M prints a blank line between clusters */
    if (len >= 9 && memcmp(line, "CLUSTER: ", 9) == 0) {
        p->cluster = intern_cut(&m->strs, line + 9, len - 9);
        p->depth_n = 0;
        return;
    }
    if (len >= 8 && memcmp(line, "Account|", 8) == 0)
        return; /* a header, should --noheader ever be lost */

    const char *f[SS_FIELD_COUNT];
    size_t fl[SS_FIELD_COUNT];
    size_t nf = split_fields(line, len, '|', f, fl, SS_FIELD_COUNT);
    if (nf != SS_FIELD_COUNT) {
        parse_error(&p->st, "sshare: wrong number of fields", line, len);
        return;
    }
    size_t depth = 0;
    while (depth < fl[SS_ACCOUNT] && f[SS_ACCOUNT][depth] == ' ')
        depth++;
    const char *acct = f[SS_ACCOUNT] + depth;
    size_t acct_n = fl[SS_ACCOUNT] - depth;
    if (acct_n == 0) {
        parse_error(&p->st, "sshare: no account", line, len);
        return;
    }
    bool is_user = fl[SS_USER] > 0;
    if (depth >= SSHARE_MAX_DEPTH) {
        parse_error(&p->st, "sshare: account tree too deep", line, len);
        return;
    }
    /* An account's parent is on the branch printed last; a row deeper than
     * that branch allows has lost its parent (or the format changed). */
    if (depth > p->depth_n || (is_user && depth == 0)) {
        parse_error(&p->st, "sshare: row without a parent account", line, len);
        return;
    }
    struct share_row row;
    memset(&row, 0, sizeof(row));
    /* the field each value is read from */
    static const uint8_t col[SV_COUNT] = {
        [SV_SHARES_RAW] = SS_RAW_SHARES,   [SV_SHARES_NORM] = SS_NORM_SHARES,
        [SV_USAGE_RAW] = SS_RAW_USAGE,     [SV_USAGE_NORM] = SS_NORM_USAGE,
        [SV_USAGE_EFF] = SS_EFFECTV_USAGE, [SV_FS_FACTOR] = SS_FAIR_SHARE,
        [SV_LEVEL_FS] = SS_LEVEL_FS,
    };
    for (int k = 0; k < SV_COUNT; k++) {
        const char *vs = f[col[k]];
        size_t vn = fl[col[k]];
        if (k == SV_SHARES_RAW && vn == 6 && memcmp(vs, "parent", 6) == 0) {
            row.shares_parent = true;
            row.v[k] = NAN;
            continue;
        }
        if (sshare_number(vs, vn, &row.v[k]) < 0) {
            parse_error(&p->st, "sshare: bad number", line, len);
            return;
        }
    }
    /* Account rows move the branch even when user rows are not kept. */
    row.account = intern_cut(&m->strs, acct, acct_n);
    if (!is_user) {
        row.parent = depth > 0 ? p->stack[depth - 1] : 0;
        p->stack[depth] = row.account;
        p->depth_n = (uint32_t)depth + 1;
        row.is_root = depth == 0 && fl[SS_RAW_SHARES] == 0;
    } else if (!p->users) {
        return;
    }
    if (m->n >= SSHARE_MAX_ROWS) {
        parse_error(&p->st, "sshare: too many associations", line, len);
        return;
    }
    row.is_user = is_user;
    row.depth = (uint16_t)depth;
    if (is_user) {
        row.user = intern_cut(&m->strs, f[SS_USER], fl[SS_USER]);
        row.partition =
            fl[SS_PARTITION] ? intern_cut(&m->strs, f[SS_PARTITION], fl[SS_PARTITION]) : 0;
    }
    row.cluster = fl[SS_CLUSTER] ? intern_cut(&m->strs, f[SS_CLUSTER], fl[SS_CLUSTER]) : p->cluster;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        m->rows = arena_realloc(p->a, m->rows, m->cap * sizeof(*m->rows), nc * sizeof(*m->rows));
        m->cap = nc;
    }
    m->rows[m->n++] = row;
}

/* ---- the source ------------------------------------------------------- */

static void fs_init(void *pv, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)hint;
    bool users = ctx && ctx->cfg && ctx->cfg->fairshare_users;
    sshare_init(pv, r->u.fairshare, &r->arena, users);
}

static size_t fs_count(const struct dataset_result *r)
{
    return r->u.fairshare->n;
}

/* Without --all sshare asks slurmctld for the accounts and the exporter's
 * own user's associations only, which the parser skips: user rows are not
 * fetched unless --collector.fairshare.users asks for them. */
static int fs_dyn_args(const struct source_ctx *ctx, char buf[][256], int max)
{
    if (max < 1 || !ctx->cfg || !ctx->cfg->fairshare_users)
        return 0;
    memcpy(buf[0], "--all", 6);
    return 1;
}

const struct source_def source_sshare = {
    .model_size = sizeof(struct fairshare_model),
    .command = "sshare",
    .args = {"--noheader", "--parsable2", "--format=" SSHARE_FORMAT},
    .parser_size = sizeof(struct sshare_parser),
    .stats_offset = offsetof(struct sshare_parser, st),
    .init = fs_init,
    .line = sshare_line,
    .count = fs_count,
    .dyn_args = fs_dyn_args,
    .clusters = true,
};
