/* SPDX-License-Identifier: Apache-2.0 */
/* The controllers and slurmdbd sources. Slurm 22.05 to 26.05 print, per
 * configured slurmctld (src/scontrol/scontrol.c):
 *   Slurmctld(primary) at ctl1 is UP
 *   Slurmctld(backup) at ctl2 is DOWN          (exactly two controllers)
 *   Slurmctld(backup1) at ctl2 is UP           (three or more: backupN)
 * then, when one is DOWN and the caller is root, three lines of '*' around
 * "RESTORE SLURMCTLD DAEMON TO SERVICE"; exit status 1 when none is UP. A
 * standby backup answers too: UP means "responding", not "in control".
 * With -M NAME, 25.11 and later ping the cluster's registered address only,
 * printed as NAME; earlier releases print the local slurm.conf's hosts.
 * sacctmgr ping (24.05.5 and later; src/sacctmgr/sacctmgr.c) prints
 *   slurmdbd(primary) at dbd1 is UP
 * and the backup's line (slurmdbd(backup)) only when the primary is DOWN;
 * exit status 1 when no slurmdbd is UP. */
#include "sources/ping.h"
#include "sources/source.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void ping_parser_init(struct ping_parser *p, struct ping_model *m, enum ping_kind kind,
                      const char *cluster)
{
    memset(p, 0, sizeof(*p));
    memset(m, 0, sizeof(*m));
    p->m = m;
    p->kind = kind;
    p->cluster = cluster;
    m->in_control = PING_UNJUDGED;
}

static bool starts(const char *s, size_t n, const char *pfx)
{
    size_t k = strlen(pfx);
    return n >= k && memcmp(s, pfx, k) == 0;
}

/* All the two commands' lines differ in; the rest is one grammar,
 * "<prefix><role>) at <host> is <UP|DOWN>". */
static const struct ping_syntax {
    const char *what;     /* the command, in the log */
    const char *prefix;   /* the daemon's name and "(" */
    const char *not_ours; /* the problem of a line without the prefix */
    const char *backup;   /* the label of a plain "backup" */
    bool numbered;        /* "backupN" (N 1..99) is a role too */
} syntax[] = {
    /* scontrol writes "backup" when there are exactly two controllers,
     * "backupN" when more: backup1 either way */
    [PING_SLURMCTLD] = {"scontrol ping", "Slurmctld(", "not a Slurmctld( line", "backup1", true},
    [PING_SLURMDBD] = {"sacctmgr ping", "slurmdbd(", "not a slurmdbd( line", "backup", false},
};

/* "primary", "backup" (sx->backup), "backupN" as it is where sx->numbered.
 * Returns -1 for anything else. */
static int role_of(const struct ping_syntax *sx, const char *s, size_t n, char out[16])
{
    if (n == 7 && memcmp(s, "primary", 7) == 0) {
        snprintf(out, 16, "primary");
        return 0;
    }
    if (!starts(s, n, "backup"))
        return -1;
    if (n == 6) {
        snprintf(out, 16, "%s", sx->backup);
        return 0;
    }
    if (!sx->numbered || n > 8 || s[6] == '0')
        return -1;
    for (size_t i = 6; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    snprintf(out, 16, "backup%.*s", (int)(n - 6), s + 6);
    return 0;
}

/* Reads one line (trailing CR and spaces already cut) of either command.
 * Returns 1 for a daemon (its role, host and state in *e), 0 for a line
 * that is no record (blank, the "RESTORE SLURMCTLD DAEMON TO SERVICE"
 * banner), -1 for an unreadable line, its problem in *why. */
static int read_line(const struct ping_syntax *sx, const char *line, size_t len,
                     struct ping_entry *e, const char **why)
{
    if (len == 0 || line[0] == '*')
        return 0;
    if (!starts(line, len, sx->prefix)) {
        *why = sx->not_ours;
        return -1;
    }
    const char *s = line + strlen(sx->prefix), *end = line + len;
    const char *close = memchr(s, ')', (size_t)(end - s));
    if (!close || role_of(sx, s, (size_t)(close - s), e->role) < 0) {
        *why = "unknown role";
        return -1;
    }
    s = close + 1;
    /* " at HOST is STATE": the state is the last word, the host all before " is " */
    const char *is = NULL;
    for (size_t k = (size_t)(end - s); k >= 4 && !is; k--)
        if (memcmp(s + k - 4, " is ", 4) == 0)
            is = s + k - 4;
    if (!starts(s, (size_t)(end - s), " at ") || !is || is <= s + 4) {
        *why = "no \" at HOST is STATE\"";
        return -1;
    }
    const char *state = is + 4;
    size_t sl = (size_t)(end - state);
    if (sl == 2 && memcmp(state, "UP", 2) == 0)
        e->up = true;
    else if (sl == 4 && memcmp(state, "DOWN", 4) == 0)
        e->up = false;
    else {
        *why = "state neither UP nor DOWN";
        return -1;
    }
    const char *host = s + 4;
    size_t hl = (size_t)(is - host);
    for (size_t i = 0; i < hl; i++)
        if ((unsigned char)host[i] <= ' ' || (unsigned char)host[i] >= 0x7f) {
            *why = "host name with a space or control byte";
            return -1;
        }
    if (hl > MAX_LABEL_LEN)
        hl = MAX_LABEL_LEN;
    memcpy(e->host, host, hl);
    e->host[hl] = '\0';
    return 1;
}

void ping_line(void *pv, const char *line, size_t len)
{
    struct ping_parser *p = pv;
    struct ping_model *m = p->m;
    const struct ping_syntax *sx = &syntax[p->kind];
    p->st.lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    struct ping_entry e;
    memset(&e, 0, sizeof(e));
    const char *problem = NULL;
    char why[80];
    int got = read_line(sx, line, len, &e, &problem);
    if (got == 0)
        return;
    if (got < 0) {
        snprintf(why, sizeof(why), "%s: %s", sx->what, problem);
        parse_error(&p->st, why, line, len);
        return;
    }
    if (p->cluster) {
        /* another cluster (-M): only its registered address is known (what
         * 25.11+ print alone); earlier releases repeat the ping once per local
         * controller, under the local host names */
        if (m->n)
            return;
        snprintf(e.host, sizeof(e.host), "%s", p->cluster);
        snprintf(e.role, sizeof(e.role), "primary");
    }
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].role, e.role) == 0) {
            snprintf(why, sizeof(why), "%s: role repeated", sx->what);
            parse_error(&p->st, why, line, len);
            return;
        }
    if (m->n == PING_MAX) {
        snprintf(why, sizeof(why), "%s: more than %d daemons", sx->what, PING_MAX);
        parse_error(&p->st, why, line, len);
        return;
    }
    m->e[m->n++] = e;
}

static const char *short_end(const char *s)
{
    const char *d = strchr(s, '.');
    return d ? d : s + strlen(s);
}

bool ping_host_is(const char *host, const char *myname)
{
    if (!host[0] || !myname[0])
        return false;
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, myname) == 0)
        return true;
    size_t hs = (size_t)(short_end(host) - host), ms = (size_t)(short_end(myname) - myname);
    /* one of them is a short name equal to the other's short form */
    if (hs != ms || strncasecmp(host, myname, hs) != 0)
        return false;
    return host[hs] == '\0' || myname[ms] == '\0';
}

void ping_mark_local(struct ping_model *m, const char *myname)
{
    for (size_t i = 0; i < m->n; i++)
        m->e[i].local = ping_host_is(m->e[i].host, myname);
}

/* ---- the sources ---------------------------------------------------------- */

static void ctld_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)hint;
    ping_parser_init(p, r->u.ctld, PING_SLURMCTLD, ctx->cluster);
}

static void dbd_init(void *p, struct dataset_result *r, const struct source_ctx *ctx, size_t hint)
{
    (void)ctx;
    (void)hint;
    ping_parser_init(p, r->u.dbd, PING_SLURMDBD, NULL);
}

static void ping_finish(void *pv)
{
    struct ping_parser *p = pv;
    if (p->cluster)
        return; /* another cluster's controller is never this host */
    char name[256];
    if (gethostname(name, sizeof(name) - 1) != 0)
        return;
    name[sizeof(name) - 1] = '\0';
    ping_mark_local(p->m, name);
}

/* Both commands exit 1 when no daemon answers, having printed each one
 * DOWN: that is data, not a failed refresh. */
static bool ctld_exit_data(void *pv, int exit_code, const char *err)
{
    struct ping_parser *p = pv;
    (void)exit_code;
    (void)err;
    return p->m->n > 0;
}

static bool dbd_exit_data(void *pv, int exit_code, const char *err)
{
    struct ping_parser *p = pv;
    (void)exit_code;
    if (p->m->n > 0)
        return true;
    if (p->st.lines == 0 && strstr(err, "not running a supported accounting_storage plugin")) {
        p->m->no_slurmdbd = true; /* AccountingStorageType is not slurmdbd */
        return true;
    }
    if (p->st.lines == 0 && strstr(err, "invalid keyword: ping")) {
        p->m->no_ping = true; /* sacctmgr before 24.05.5 */
        return true;
    }
    return false;
}

const struct source_def source_ping = {
    .model_size = sizeof(struct ping_model),
    .command = "scontrol",
    .args = {"ping"},
    .parser_size = sizeof(struct ping_parser),
    .stats_offset = offsetof(struct ping_parser, st),
    .init = ctld_init,
    .line = ping_line,
    .finish = ping_finish,
    .exit_data = ctld_exit_data,
    .clusters = true,
};

const struct source_def source_dbd_ping = {
    .model_size = sizeof(struct ping_model),
    .command = "sacctmgr",
    .args = {"ping"},
    .parser_size = sizeof(struct ping_parser),
    .stats_offset = offsetof(struct ping_parser, st),
    .init = dbd_init,
    .line = ping_line,
    .finish = ping_finish,
    .exit_data = dbd_exit_data,
};
