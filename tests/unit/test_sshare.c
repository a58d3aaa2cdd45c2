/* SPDX-License-Identifier: Apache-2.0 */
/* The sshare parser and the fairshare collector: the recorded 22.05 outputs
 * (the exporter's command with and without --all, and the `sshare -a -l` /
 * `sshare -a -P` samples turned into the exporter's column layout), the
 * account tree, user rows, empty fields, nan/inf, and bad lines. */
#include "testutil.h"

#include "sources/sshare.h"

/* A fairshare result from text, with or without user rows. */
static struct dataset_result *fs_from(const char *buf, size_t len, bool users,
                                      struct parse_stats *st)
{
    struct dataset_result *r = tu_result_new(DS_FAIRSHARE);
    struct fairshare_model *m = r->u.fairshare;
    struct sshare_parser p;
    sshare_init(&p, m, &r->arena, users);
    cli_feed(sshare_line, &p, buf, len);
    if (st)
        *st = p.st;
    return r;
}

static struct dataset_result *fs_str(const char *s, bool users, struct parse_stats *st)
{
    return fs_from(s, strlen(s), users, st);
}

static const struct fairshare_model *model(const struct dataset_result *r)
{
    return r->u.fairshare;
}

static const char *fstr(const struct fairshare_model *m, uint32_t id)
{
    return strtab_get(&m->strs, id);
}

/* The row of an account (user NULL) or of a user in an account. */
static const struct share_row *find_row(const struct fairshare_model *m, const char *account,
                                        const char *user)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct share_row *s = &m->rows[i];
        if (strcmp(fstr(m, s->account), account) != 0 || s->is_user != (user != NULL))
            continue;
        if (!user || strcmp(fstr(m, s->user), user) == 0)
            return s;
    }
    fail_msg("row %s/%s not found", account, user ? user : "-");
    return NULL;
}

/* Renders the fairshare collector over r; the caller frees the text. */
static char *render_fs(const struct dataset_result *r, unsigned compat, size_t limit,
                       uint64_t *dropped)
{
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_FAIRSHARE] = r;
    v.series_limit = limit;
    v.compat = compat;
    struct render rd;
    memset(&rd, 0, sizeof(rd));
    struct collect_out o = {0};
    collect_fairshare(&v, &rd, &o);
    if (dropped)
        *dropped = o.series_dropped;
    char *t = strdup(buf_cstr(&rd.text));
    render_free(&rd);
    return t;
}

/* The --format value made from SSHARE_FIELDS is today's, byte for byte
 * (sshare's arguments and the recorded fixtures depend on it), and sshare is
 * run with it. Changing the fields changes these literals too. */
#define SSHARE_FORMAT_LITERAL                                                                      \
    "Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,LevelFS,"         \
    "Partition,Cluster"

static void test_format(void **state)
{
    (void)state;
    assert_string_equal(SSHARE_FORMAT, SSHARE_FORMAT_LITERAL);
    assert_int_equal(SS_FIELD_COUNT, 11);
    assert_int_equal(SS_USER, 1);
    assert_int_equal(SS_CLUSTER, SS_FIELD_COUNT - 1);
    const char *arg = NULL;
    for (size_t i = 0; i < SOURCE_MAX_ARGS && source_sshare.args[i]; i++)
        if (strncmp(source_sshare.args[i], "--format=", 9) == 0)
            arg = source_sshare.args[i];
    assert_non_null(arg);
    assert_string_equal(arg, "--format=" SSHARE_FORMAT_LITERAL);
}

static void test_number(void **state)
{
    (void)state;
    double v;
    assert_int_equal(sshare_number("0.594059", 8, &v), 0);
    assert_double_exact(v, 0.594059);
    assert_int_equal(sshare_number("15", 2, &v), 0);
    assert_double_exact(v, 15);
    assert_int_equal(sshare_number("", 0, &v), 0);
    assert_true(isnan(v));
    assert_int_equal(sshare_number("nan", 3, &v), 0);
    assert_true(isnan(v));
    assert_int_equal(sshare_number("-nan", 4, &v), 0);
    assert_true(isnan(v));
    assert_int_equal(sshare_number("inf", 3, &v), 0);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(sshare_number("-inf", 4, &v), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(sshare_number("1.5e-3", 6, &v), 0);
    assert_double_exact(v, 1.5e-3);
    static const char *const bad[] = {"0x10", "infinity", " 1",    "1 ",  "abc", "-",
                                      ".",    "1e",       "1e999", "NaN", "1,5", "parent"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sshare_number(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    char big[80];
    memset(big, '1', sizeof(big));
    assert_int_equal(sshare_number(big, sizeof(big), &v), -1);
}

/* The exporter's command as it runs by default (no --all: the accounts and
 * the exporter's own user, root, whose rows are skipped). */
static void test_fixture_default(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_fairshare.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = tu_result_from(DS_FAIRSHARE, buf, len, &st);
    const struct fairshare_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_false(m->users);
    /* root, biology, chemistry, physics, theory, lattice */
    assert_int_equal(m->n, 6);
    for (size_t i = 0; i < m->n; i++)
        assert_false(m->rows[i].is_user);
    const struct share_row *root = find_row(m, "root", NULL);
    assert_true(root->is_root);
    assert_int_equal(root->parent, 0);
    assert_true(isnan(root->v[SV_SHARES_RAW]));
    assert_string_equal(fstr(m, root->cluster), "itest");
    const struct share_row *ph = find_row(m, "physics", NULL);
    assert_false(ph->is_root);
    assert_string_equal(fstr(m, ph->parent), "root");
    assert_double_exact(ph->v[SV_SHARES_RAW], 60);
    assert_double_exact(ph->v[SV_SHARES_NORM], 0.652174);
    assert_true(isnan(ph->v[SV_FS_FACTOR])); /* fair tree: none for accounts */
    const struct share_row *th = find_row(m, "theory", NULL);
    assert_true(th->shares_parent);
    assert_true(isnan(th->v[SV_SHARES_RAW]));
    assert_true(isnan(th->v[SV_LEVEL_FS]));
    assert_string_equal(fstr(m, th->parent), "physics");
    const struct share_row *la = find_row(m, "lattice", NULL);
    assert_string_equal(fstr(m, la->parent), "theory");
    assert_int_equal(la->depth, 3);
    assert_double_exact(la->v[SV_SHARES_RAW], 5);
    /* the root's raw usage is the sum of its children's, each cut to an
     * integer by sshare (so less than 1 apart per child) */
    double sum = 0;
    int kids = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].depth == 1) {
            sum += m->rows[i].v[SV_USAGE_RAW];
            kids++;
        }
    assert_true(root->v[SV_USAGE_RAW] >= sum && root->v[SV_USAGE_RAW] < sum + kids + 1);
    tu_result_free(r);
    free(buf);
}

/* The same command with --all: user rows, Fairshare=parent users. */
static void test_fixture_users(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_fairshare_users.txt", &len);
    struct parse_stats st;
    struct dataset_result *r = fs_from(buf, len, true, &st);
    const struct fairshare_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.lines, 13);
    assert_int_equal(m->n, 13);
    const struct share_row *u = find_row(m, "chemistry", "nobody");
    assert_true(u->is_user);
    assert_true(u->shares_parent);
    assert_int_equal(u->depth, 2);
    assert_int_equal(u->partition, 0);
    u = find_row(m, "lattice", "root");
    assert_int_equal(u->depth, 4);
    assert_double_exact(u->v[SV_SHARES_RAW], 1);
    assert_double_exact(u->v[SV_SHARES_NORM], 1);
    assert_false(isnan(u->v[SV_FS_FACTOR]));
    u = find_row(m, "root", "root");
    assert_int_equal(u->depth, 1);
    assert_false(u->is_root);
    /* user rows do not move the branch: lattice's parent is still theory */
    assert_string_equal(fstr(m, find_row(m, "lattice", NULL)->parent), "theory");
    tu_result_free(r);

    /* the same text without users: account rows only */
    r = fs_from(buf, len, false, &st);
    assert_int_equal(st.errors, 0);
    assert_int_equal(model(r)->n, 6);
    tu_result_free(r);
    free(buf);
}

/* --all on Slurm 24.11 and 26.05 (tests/fixtures/<version>): a user of a
 * partition association (fs_leaf|itest2|...|debug) and a Fairshare=parent
 * user under a Fairshare=parent account (fs_tree|itest2). */
static void test_fixture_users_newer(void **state)
{
    (void)state;
    static const char *const files[] = {"tests/fixtures/24.11/exporter_fairshare_users.txt",
                                        "tests/fixtures/26.05/exporter_fairshare_users.txt"};
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        size_t len;
        char *buf = tu_read_rel(files[f], &len);
        struct parse_stats st;
        struct dataset_result *r = fs_from(buf, len, true, &st);
        const struct fairshare_model *m = model(r);
        assert_int_equal(st.errors, 0);
        assert_int_equal(st.lines, 17);
        /* root, biology, chemistry, itlima, itlimq, physics, fs_tree, fs_leaf
         * and nine user rows */
        assert_int_equal(m->n, 17);
        const struct share_row *u = find_row(m, "fs_leaf", "itest2");
        assert_true(u->is_user);
        assert_int_equal(u->depth, 4);
        assert_string_equal(fstr(m, u->partition), "debug");
        assert_double_exact(u->v[SV_SHARES_RAW], 2);
        assert_double_exact(u->v[SV_SHARES_NORM], 0.666667);
        u = find_row(m, "fs_tree", "itest2");
        assert_true(u->is_user);
        assert_true(u->shares_parent);
        assert_int_equal(u->partition, 0);
        const struct share_row *a = find_row(m, "fs_leaf", NULL);
        assert_false(a->is_user);
        assert_string_equal(fstr(m, a->parent), "fs_tree");
        assert_string_equal(fstr(m, find_row(m, "fs_tree", NULL)->parent), "physics");
        assert_string_equal(fstr(m, a->cluster), "itest");
        tu_result_free(r);

        /* the same text without users: the account rows only */
        r = fs_from(buf, len, false, &st);
        assert_int_equal(st.errors, 0);
        assert_int_equal(model(r)->n, 8);
        tu_result_free(r);
        free(buf);
    }
}

/* Turns the recorded `sshare -a -P -o Account,User,RawShares,NormShares,
 * RawUsage,EffectvUsage,FairShare` into the exporter's 11 columns. */
static char *from_parsable7(const char *in)
{
    struct buf b = {0};
    const char *line = in;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (!(n >= 8 && memcmp(line, "Account|", 8) == 0)) {
            const char *f[7];
            size_t fl[7], k = 0;
            const char *s = line, *e = line + n;
            while (k < 7) {
                const char *bar = memchr(s, '|', (size_t)(e - s));
                f[k] = s;
                fl[k] = bar ? (size_t)(bar - s) : (size_t)(e - s);
                k++;
                if (!bar)
                    break;
                s = bar + 1;
            }
            assert_int_equal(k, 7);
            /* Account,User,RawShares,NormShares,RawUsage,(NormUsage),EffectvUsage,
             * FairShare,(LevelFS),(Partition),Cluster */
            buf_printf(&b, "%.*s|%.*s|%.*s|%.*s|%.*s||%.*s|%.*s|||sample\n", (int)fl[0], f[0],
                       (int)fl[1], f[1], (int)fl[2], f[2], (int)fl[3], f[3], (int)fl[4], f[4],
                       (int)fl[5], f[5], (int)fl[6], f[6]);
        }
        line += n + (nl ? 1 : 0);
    }
    char *out = strdup(buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* Turns the fixed-width `sshare -a -l` sample into the exporter's columns,
 * cutting at the widths of its dashed line. */
static char *from_long(const char *in)
{
    const char *dash = strstr(in, "\n---");
    assert_non_null(dash);
    dash++;
    size_t start[16], width[16], nc = 0;
    const char *p = dash;
    while (*p && *p != '\n' && nc < 16) {
        while (*p == ' ')
            p++;
        if (*p != '-')
            break;
        start[nc] = (size_t)(p - dash);
        while (*p == '-')
            p++;
        width[nc] = (size_t)(p - dash) - start[nc];
        nc++;
    }
    /* Account User RawShares NormShares RawUsage NormUsage EffectvUsage FairShare LevelFS ... */
    assert_true(nc >= 9);
    struct buf b = {0};
    const char *line = strchr(dash, '\n') + 1;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        for (size_t c = 0; c < 9; c++) {
            size_t s = start[c], e = start[c] + width[c];
            if (s > n)
                s = n;
            if (e > n)
                e = n;
            size_t a = s, z = e;
            if (c == 0) { /* the Account column keeps its leading spaces */
                while (z > a && line[z - 1] == ' ')
                    z--;
            } else {
                while (a < z && line[a] == ' ')
                    a++;
                while (z > a && line[z - 1] == ' ')
                    z--;
            }
            buf_printf(&b, "%.*s|", (int)(z - a), line + a);
        }
        buf_puts(&b, "|sample\n");
        line += n + (nl ? 1 : 0);
    }
    char *out = strdup(buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* The two samples recorded with `sshare -a -l` and `sshare -a -P` read the
 * same tree; fed as they are, every line is refused (a changed format must
 * not read as an empty tree). */
static void test_samples(void **state)
{
    (void)state;
    char *lng = tu_read_rel("tests/fixtures/22.05/sshare.txt", NULL);
    char *p7 = tu_read_rel("tests/fixtures/22.05/sshare_parsable.txt", NULL);
    struct parse_stats st;

    struct dataset_result *r = fs_str(p7, true, &st);
    assert_int_equal(model(r)->n, 0);
    assert_int_equal(st.errors, st.lines - 1); /* all but the header */
    tu_result_free(r);
    r = fs_str(lng, true, &st);
    assert_int_equal(model(r)->n, 0);
    assert_int_equal(st.errors, st.lines);
    tu_result_free(r);

    char *a = from_parsable7(p7), *b = from_long(lng);
    struct dataset_result *ra = fs_str(a, true, &st);
    assert_int_equal(st.errors, 0);
    struct dataset_result *rb = fs_str(b, true, &st);
    assert_int_equal(st.errors, 0);
    const struct fairshare_model *ma = model(ra), *mb = model(rb);
    assert_int_equal(ma->n, 8);
    assert_int_equal(mb->n, 8);
    for (size_t i = 0; i < ma->n; i++) {
        const struct share_row *x = &ma->rows[i], *y = &mb->rows[i];
        assert_string_equal(fstr(ma, x->account), fstr(mb, y->account));
        assert_string_equal(fstr(ma, x->user), fstr(mb, y->user));
        assert_string_equal(fstr(ma, x->parent), fstr(mb, y->parent));
        assert_int_equal(x->depth, y->depth);
        assert_int_equal(x->is_root, y->is_root);
        static const int same[] = {SV_SHARES_RAW, SV_SHARES_NORM, SV_USAGE_RAW, SV_USAGE_EFF,
                                   SV_FS_FACTOR};
        for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
            assert_double_exact(x->v[same[k]], y->v[same[k]]);
    }
    const struct share_row *ph = find_row(mb, "physics", NULL);
    assert_double_exact(ph->v[SV_SHARES_RAW], 60);
    assert_double_exact(ph->v[SV_SHARES_NORM], 0.594059);
    assert_true(isinf(ph->v[SV_LEVEL_FS]));
    assert_string_equal(fstr(mb, ph->parent), "root");
    assert_true(find_row(mb, "root", NULL)->is_root);
    tu_result_free(ra);
    tu_result_free(rb);
    free(a);
    free(b);
    free(lng);
    free(p7);
}

/* A deep tree: parents come from the branch printed last; siblings and
 * returns to a shallower level reset it; a row deeper than the branch
 * allows, or past the depth limit, is refused. */
static void test_deep_tree(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "root|||0.000000|100||1.000000||||c\n");
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (int d = 1; d <= 8; d++)
        buf_printf(&b, "%*s%s||1|0.5|10|0.1|0.1||5.0||c\n", d, "", names[d - 1]);
    buf_puts(&b, "   sib||2|0.5|0|0|0||inf||c\n");    /* depth 3: parent b */
    buf_puts(&b, "  |u|1|1|0|0|0|1||p1|c\n");         /* user row with no account */
    buf_puts(&b, " top2||3|0.5|0|0|0||inf||c\n");     /* depth 1: parent root */
    buf_puts(&b, "   orphan||3|0.5|0|0|0||inf||c\n"); /* depth 3 under depth 1 */
    buf_puts(&b, "  kid||3|0.5|0|0|0||inf||c\n");     /* depth 2: parent top2 */
    struct parse_stats st;
    struct dataset_result *r = fs_str(buf_cstr(&b), false, &st);
    const struct fairshare_model *m = model(r);
    assert_int_equal(st.errors, 2);
    assert_int_equal(m->n, 12);
    assert_string_equal(fstr(m, find_row(m, "a", NULL)->parent), "root");
    for (int d = 2; d <= 8; d++)
        assert_string_equal(fstr(m, find_row(m, names[d - 1], NULL)->parent), names[d - 2]);
    assert_int_equal(find_row(m, "h", NULL)->depth, 8);
    assert_string_equal(fstr(m, find_row(m, "sib", NULL)->parent), "b");
    assert_string_equal(fstr(m, find_row(m, "top2", NULL)->parent), "root");
    assert_string_equal(fstr(m, find_row(m, "kid", NULL)->parent), "top2");
    assert_true(isinf(find_row(m, "kid", NULL)->v[SV_LEVEL_FS]));
    tu_result_free(r);
    buf_free(&b);

    /* 64 levels are refused at the 65th line (depth 64) */
    memset(&b, 0, sizeof(b));
    buf_puts(&b, "root|||0|0||1||||c\n");
    for (int d = 1; d <= 70; d++)
        buf_printf(&b, "%*sx%d||1|1|0|0|0||1||c\n", d, "", d);
    r = fs_str(buf_cstr(&b), false, &st);
    assert_int_equal(model(r)->n, SSHARE_MAX_DEPTH);
    assert_int_equal(st.errors, 71 - SSHARE_MAX_DEPTH);
    tu_result_free(r);
    buf_free(&b);
}

/* User rows: kept only when asked for, with partition associations and
 * Fairshare=parent; account rows never carry a user. */
static void test_user_rows(void **state)
{
    (void)state;
    const char *text = "root|||0.000000|50||1.000000||||c\n"
                       " phys||60|0.6|50|1.0|1.0||0.6||c\n"
                       "  phys|alice|1|0.5|30|0.6|0.6|0.25|0.83||c\n"
                       "  phys|alice|1|0.5|20|0.4|0.4|0.5|1.25|gpu|c\n"
                       "  phys|bob|parent|0.6|0||0.0|0.75|||c\n"
                       "  phys|carol|1|0.5|nan|-nan|0|nan|-inf||c\n";
    struct parse_stats st;
    struct dataset_result *r = fs_str(text, true, &st);
    const struct fairshare_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 6);
    const struct share_row *s = &m->rows[3];
    assert_string_equal(fstr(m, s->user), "alice");
    assert_string_equal(fstr(m, s->partition), "gpu");
    assert_int_equal(m->rows[2].partition, 0);
    s = find_row(m, "phys", "bob");
    assert_true(s->shares_parent);
    assert_true(isnan(s->v[SV_USAGE_NORM]));
    assert_double_exact(s->v[SV_FS_FACTOR], 0.75);
    s = find_row(m, "phys", "carol");
    assert_true(isnan(s->v[SV_USAGE_RAW]));
    assert_true(isnan(s->v[SV_USAGE_NORM]));
    assert_true(isnan(s->v[SV_FS_FACTOR]));
    assert_true(isinf(s->v[SV_LEVEL_FS]) && s->v[SV_LEVEL_FS] < 0);

    char *t = render_fs(r, 0, 100000, NULL);
    assert_double_exact(
        tu_sample(t, "slurm_user_fairshare_usage_raw{account=\"phys\",user=\"alice\"}"), 30);
    assert_double_exact(
        tu_sample(
            t, "slurm_user_fairshare_usage_raw{account=\"phys\",user=\"alice\",partition=\"gpu\"}"),
        20);
    assert_double_exact(tu_sample(t, "slurm_user_fairshare_factor{account=\"phys\",user=\"bob\"}"),
                        0.75);
    assert_false(tu_has_line(t, "slurm_user_fairshare_shares_raw{account=\"phys\",user=\"bob\"}"));
    assert_false(tu_has_line(t, "slurm_user_fairshare_usage_raw{account=\"phys\",user=\"carol\"}"));
    assert_false(tu_has_line(t, "slurm_user_fairshare_factor{account=\"phys\",user=\"carol\"}"));
    assert_true(tu_has_line(t, "slurm_user_fairshare_level{account=\"phys\",user=\"carol\"} -Inf"));
    /* the root: usage, no shares; no account factor under fair tree */
    assert_double_exact(tu_sample(t, "slurm_account_fairshare_usage_raw{account=\"root\"}"), 50);
    assert_double_exact(tu_sample(t, "slurm_account_fairshare_usage_effective{account=\"root\"}"),
                        1);
    assert_false(tu_has_line(t, "slurm_account_fairshare_shares_normalized{account=\"root\"}"));
    assert_false(tu_has_line(t, "slurm_account_fairshare_shares_raw{account=\"root\"}"));
    assert_false(tu_has_line(t, "# HELP slurm_account_fairshare_factor "));
    assert_double_exact(tu_sample(t, "slurm_account_fairshare_info{account=\"root\",parent=\"\"}"),
                        1);
    assert_double_exact(
        tu_sample(t, "slurm_account_fairshare_info{account=\"phys\",parent=\"root\"}"), 1);
    assert_false(tu_has_line(t, "slurm_account_fairshare{"));
    free(t);
    tu_result_free(r);

    /* users off: no user rows, no user families */
    r = fs_str(text, false, &st);
    assert_int_equal(model(r)->n, 2);
    t = render_fs(r, 0, 100000, NULL);
    assert_false(tu_has_line(t, "slurm_user_"));
    assert_false(tu_has_line(t, "# HELP slurm_user_"));
    free(t);
    tu_result_free(r);
}

/* Bad lines are counted and skipped; nothing else is lost. */
static void test_garbage(void **state)
{
    (void)state;
    char longname[300];
    memset(longname, 'n', sizeof(longname));
    struct buf b = {0};
    buf_puts(&b, "root|||0.000000|10||1.000000||||c\n");
    buf_puts(&b, "\n");                              /* blank: skipped */
    buf_puts(&b, "Account|User|RawShares\n");        /* header: skipped */
    buf_puts(&b, " a||1|0.5|10|1|1||1||c|extra\n");  /* 12 fields */
    buf_puts(&b, " a||1|0.5|10|1|1||1|c\n");         /* 10 fields */
    buf_puts(&b, "   ||1|0.5|10|1|1||1||c\n");       /* no account */
    buf_puts(&b, " a||one|0.5|10|1|1||1||c\n");      /* bad RawShares */
    buf_puts(&b, " a||1|0x5|10|1|1||1||c\n");        /* bad NormShares */
    buf_puts(&b, " a||1|0.5|10|1|1||infinity||c\n"); /* bad LevelFS */
    buf_puts(&b, "just some text\n");                /* no fields */
    buf_puts(&b, "sshare: error: Problem talking to the database\n");
    buf_printf(&b, " %.*s||1|0.5|1|1|1||1||c\n", (int)sizeof(longname), longname);
    buf_puts(&b, " ok||1|0.5|0|0|0||inf||c\r\n");     /* CRLF */
    buf_append(&b, " n\0l||1|0.5|0|0|0||1||c\n", 24); /* NUL in a name */
    struct parse_stats st;
    struct dataset_result *r = fs_from(b.p, b.len, true, &st);
    const struct fairshare_model *m = model(r);
    assert_int_equal(st.errors, 8);
    assert_int_equal(m->n, 4);
    assert_true(st.first_error[0] != '\0');
    const struct share_row *s = &m->rows[1];
    assert_int_equal(strlen(fstr(m, s->account)), MAX_LABEL_LEN);
    assert_string_equal(fstr(m, find_row(m, "ok", NULL)->parent), "root");
    char *t = render_fs(r, 0, 100000, NULL);
    assert_true(tu_has_line(t, "slurm_account_fairshare_level{account=\"ok\"} +Inf"));
    free(t);
    tu_result_free(r);
    buf_free(&b);
}

/* -M: "CLUSTER: name" lines start a new tree; duplicate label sets keep the
 * first row; the series limit bounds every family. */
static void test_clusters_dupes_limit(void **state)
{
    (void)state;
    const char *text = "CLUSTER: one\n"
                       "root|||0.000000|10||1.000000||||\n"
                       " a||1|0.5|10|1|1||1||\n"
                       "\n"
                       "CLUSTER: two\n"
                       "root|||0.000000|20||1.000000||||\n"
                       " b||1|0.5|20|1|1||1||\n"
                       " a||1|0.5|99|1|1||1||\n";
    struct parse_stats st;
    struct dataset_result *r = fs_str(text, false, &st);
    const struct fairshare_model *m = model(r);
    assert_int_equal(st.errors, 0);
    assert_int_equal(m->n, 5);
    assert_string_equal(fstr(m, m->rows[0].cluster), "one");
    assert_string_equal(fstr(m, m->rows[4].cluster), "two");
    assert_string_equal(fstr(m, m->rows[3].parent), "root");
    uint64_t dropped;
    char *t = render_fs(r, 0, 100000, &dropped);
    assert_int_equal(dropped, 0);
    assert_double_exact(tu_sample(t, "slurm_account_fairshare_usage_raw{account=\"a\"}"), 10);
    assert_double_exact(tu_sample(t, "slurm_account_fairshare_usage_raw{account=\"root\"}"), 10);
    free(t);
    t = render_fs(r, 0, 2, &dropped);
    assert_int_equal(dropped, 1); /* b; the duplicates of root and a fit */
    assert_false(tu_has_line(t, "slurm_account_fairshare_usage_raw{account=\"b\"}"));
    assert_true(tu_has_line(t, "slurm_account_fairshare_usage_raw{account=\"a\"}"));
    free(t);
    tu_result_free(r);
}

/* --compat=vpenso: slurm_account_fairshare for the root and its children,
 * FairShare as printed, 0 where sshare prints none. */
static void test_compat_vpenso(void **state)
{
    (void)state;
    const char *text = "root|||0.000000|10||1.000000||||c\n"
                       " a||1|0.5|10|1|1|0.25|1||c\n"
                       "  a|alice|1|1|10|1|1|0.5|1||c\n"
                       "  a1||1|0.5|10|1|1|0.125|1||c\n"
                       " b||1|0.5|0|0|0||inf||c\n";
    struct dataset_result *r = fs_str(text, true, NULL);
    char *t = render_fs(r, COMPAT_VPENSO, 100000, NULL);
    assert_double_exact(tu_sample(t, "slurm_account_fairshare{account=\"a\"}"), 0.25);
    assert_double_exact(tu_sample(t, "slurm_account_fairshare{account=\"b\"}"), 0);
    assert_double_exact(tu_sample(t, "slurm_account_fairshare{account=\"root\"}"), 0);
    assert_false(tu_has_line(t, "slurm_account_fairshare{account=\"a1\"}"));
    /* the classic algorithm prints FairShare for accounts: the factor family */
    assert_double_exact(tu_sample(t, "slurm_account_fairshare_factor{account=\"a1\"}"), 0.125);
    free(t);
    tu_result_free(r);
}

/* An empty output: the families of a present dataset with no rows are the
 * info family only; an absent dataset writes nothing. */
static void test_empty(void **state)
{
    (void)state;
    struct dataset_result *r = fs_str("", true, NULL);
    char *t = render_fs(r, COMPAT_VPENSO, 100000, NULL);
    assert_false(tu_has_line(t, "slurm_account_fairshare_usage"));
    assert_false(tu_has_line(t, "slurm_account_fairshare{"));
    free(t);
    tu_result_free(r);
    struct view v;
    memset(&v, 0, sizeof(v));
    struct render rd;
    memset(&rd, 0, sizeof(rd));
    struct collect_out o = {0};
    collect_fairshare(&v, &rd, &o);
    assert_int_equal(rd.text.len, 0);
    render_free(&rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_fixture_default),
        cmocka_unit_test(test_fixture_users),
        cmocka_unit_test(test_fixture_users_newer),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_deep_tree),
        cmocka_unit_test(test_user_rows),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_clusters_dupes_limit),
        cmocka_unit_test(test_compat_vpenso),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
