/* SPDX-License-Identifier: Apache-2.0 */
/* The version source: `scontrol --version`, the release of the Slurm commands
 * the exporter runs. Slurm prints its package name and release on one line:
 *   slurm 22.05.8            (SchedMD's build)
 *   slurm-wlm 24.11.5        (Debian's package)
 *   slurm 23.02.0-0rc1       (a release candidate)
 * The command answers from the client alone (no RPC to slurmctld; it reads
 * slurm.conf, or fetches it in a configless setup), and the same local
 * binary answers for every cluster of --slurm.clusters, so it runs without
 * -M. Any other output fails the refresh: a version is served only when the
 * command printed one. */
#include "model/version.h"
#include "sources/source.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct version_parser {
    struct version_model *m;
    struct parse_stats st;
    bool conflict; /* two different releases printed */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* c is one of the punctuation characters in set (never the NUL byte, which
 * strchr would find at the set's end). */
static bool is_one_of(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* A package name: "slurm" followed by letters, digits and . _ + - only. */
static bool is_package(const char *s, size_t n)
{
    if (n < 5 || memcmp(s, "slurm", 5) != 0)
        return false;
    for (size_t i = 5; i < n; i++)
        if (!is_alnum(s[i]) && !is_one_of(s[i], "._+-"))
            return false;
    return true;
}

/* A release: MAJOR.MINOR at the start (digits), then letters, digits and
 * . _ + ~ - only (".5", "-0rc1", "-2+deb12u1"), at most SLURM_VERSION_MAX
 * bytes. */
static bool is_release(const char *s, size_t n)
{
    if (n == 0 || n > SLURM_VERSION_MAX)
        return false;
    size_t i = 0;
    while (i < n && is_digit(s[i]))
        i++;
    if (i == 0 || i == n || s[i] != '.')
        return false;
    size_t minor = ++i;
    while (i < n && is_digit(s[i]))
        i++;
    if (i == minor)
        return false;
    for (; i < n; i++)
        if (!is_alnum(s[i]) && !is_one_of(s[i], "._+~-"))
            return false;
    return true;
}

/* Other lines are counted as unreadable and skipped (a wrapper's banner
 * does not hide the version line); two different releases fail the refresh. */
static void version_line(void *pv, const char *line, size_t len)
{
    struct version_parser *p = pv;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0)
        return; /* a blank line is not a line of output */
    p->st.lines++;
    const char *sp = memchr(line, ' ', len);
    if (!sp || !is_package(line, (size_t)(sp - line))) {
        parse_error(&p->st, "--version: no \"slurm RELEASE\"", line, len);
        return;
    }
    const char *v = sp;
    while (v < line + len && *v == ' ')
        v++;
    size_t vn = (size_t)(line + len - v);
    if (!is_release(v, vn)) {
        parse_error(&p->st, "--version: unreadable release", line, len);
        return;
    }
    if (!p->m->version[0]) {
        memcpy(p->m->version, v, vn);
        p->m->version[vn] = '\0';
    } else if (strlen(p->m->version) != vn || memcmp(p->m->version, v, vn) != 0) {
        p->conflict = true;
    }
}

/* Fails the refresh: every line counts as unreadable, and why is the reason
 * given. */
static void version_fail(struct version_parser *p, const char *why)
{
    p->m->version[0] = '\0';
    p->st.errors = p->st.lines ? p->st.lines : 1;
    snprintf(p->st.first_error, sizeof(p->st.first_error), "%s", why);
}

/* No version line (empty output, or only other lines) fails the refresh
 * rather than serve a dataset without a version; so do two releases. */
static void version_finish(void *pv)
{
    struct version_parser *p = pv;
    if (p->conflict)
        version_fail(p, "--version: two different releases printed");
    else if (!p->m->version[0])
        version_fail(p, "--version: no \"slurm RELEASE\" line");
}

static void version_init(void *pv, struct dataset_result *r, const struct source_ctx *ctx,
                         size_t hint)
{
    (void)ctx;
    (void)hint;
    struct version_parser *p = pv;
    memset(p, 0, sizeof(*p));
    p->m = r->u.version;
    memset(p->m, 0, sizeof(*p->m));
}

const struct source_def source_version = {
    .model_size = sizeof(struct version_model),
    .command = "scontrol",
    .args = {"--version"},
    .parser_size = sizeof(struct version_parser),
    .stats_offset = offsetof(struct version_parser, st),
    .init = version_init,
    .line = version_line,
    .finish = version_finish,
    .every_cluster = true,
    .on_reload = true,
};
