/* SPDX-License-Identifier: Apache-2.0 */
/* Flag table, parser and --help, in the node_exporter style:
 * --flag=value or --flag value, --collector.X / --no-collector.X. */
#include "config.h"
#include "collectors/collector.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

enum kind {
    K_STRING,
    K_LISTEN,
    K_INT,
    K_DURATION,
    K_SIZE,
    K_LEVEL,
    K_FORMAT,
    K_INTERVAL,
    K_BOOL,
    K_COMPAT,
    K_CLUSTERS,
    K_SINCE,
    K_RESET
};

struct flag {
    const char *name;
    enum kind kind;
    size_t off;
    const char *def;
    const char *help;
    int ds; /* for per-dataset intervals: dataset index, -1 = all */
    /* durations (K_DURATION, K_INTERVAL): the longest value taken, in
     * seconds; 0 = DURATION_MAX_S */
    double max;
};

#define HOUR 3600.0
#define DAY 86400.0

#define OFF(f) offsetof(struct config, f)
static const struct flag flags[] = {
    {"web.listen-address", K_LISTEN, OFF(listen), ":9341",
     "Address to listen on for HTTP requests: host:port, :port (every address) or [v6]:port, "
     "the port from 1 to 65535, the host resolvable; repeat the flag for several.",
     -1, 0},
    {"web.telemetry-path", K_STRING, OFF(telemetry_path), "/metrics",
     "Path under which to expose metrics: a clean absolute URL path (letters, digits and "
     "-._~!$&'()*+,;=:@ between single slashes), not / and not under /-/.",
     -1, 0},
    {"web.config.file", K_STRING, OFF(web_config_file), "",
     "Path to a web configuration file (exporter-toolkit format: TLS, client certificates, "
     "basic auth, headers); re-read when it or its files change and on SIGHUP.",
     -1, 0},
    {"web.systemd-socket", K_BOOL, OFF(systemd_socket), "false",
     "Serve on the sockets systemd passes (socket activation) instead of "
     "--web.listen-address.",
     -1, 0},
    {"web.max-requests", K_INT, OFF(max_requests), "40",
     "Maximum number of concurrent HTTP connections per listen address; when all are taken, "
     "one still receiving its request or idle (of the busiest client address) is closed for a "
     "new one, else the new one is refused.",
     -1, 0},
    {"web.max-connections-per-ip", K_INT, OFF(max_per_ip), "10",
     "Maximum number of concurrent HTTP connections from one client address.", -1, 0},
    {"web.timeout", K_DURATION, OFF(web_timeout), "10s",
     "Close an HTTP connection idle or slow for this long.", -1, HOUR},
    {"web.read-header-timeout", K_DURATION, OFF(read_header_timeout), "10s",
     "Close a connection whose TLS handshake and request headers take longer than this "
     "in all, or whose request body (a trace post's) takes longer than this after its "
     "headers (a slow client cannot hold a connection).",
     -1, HOUR},
    {"web.write-timeout", K_DURATION, OFF(write_timeout), "2m",
     "Close a connection that has not taken its whole response this long after the request.", -1,
     HOUR},
    {"web.max-header-bytes", K_SIZE, OFF(max_header_bytes), "8KiB",
     "Largest request line plus headers accepted; larger requests get 431.", -1, 0},
    {"web.status-history", K_DURATION, OFF(status_history), "6h",
     "How far back the charts of the status page at / reach: one point per minute is kept "
     "in memory, 80 bytes each (6h: 360 points, about 28KiB); 0 turns the charts off.",
     -1, 7 * DAY},
    {"collector.disable-defaults", K_BOOL, OFF(disable_defaults), "false",
     "Turn off all collectors that are on by default; enable some with --collector.NAME.", -1, 0},
    {"log.level", K_LEVEL, OFF(log_level), "info", "Log level: debug, info, warn, error.", -1, 0},
    {"log.format", K_FORMAT, OFF(log_format), "logfmt", "Log format: logfmt or json.", -1, 0},
    {"slurm.bin-path", K_STRING, OFF(bin_path), "",
     "Directory holding squeue and scontrol (default: search PATH).", -1, 0},
    {"slurm.clusters", K_CLUSTERS, 0, "",
     "Watch these clusters of a multi-cluster or federated Slurm (comma-separated names; each "
     "command runs with -M NAME and every series gets a cluster label). Default: the local "
     "cluster, no cluster label.",
     -1, 0},
    {"slurm.timeout", K_DURATION, OFF(slurm_timeout), "30s",
     "Kill a Slurm command (its whole process group) after this long.", -1, HOUR},
    {"slurm.poll-interval", K_INTERVAL, 0, "",
     "Refresh every dataset this often (default: per dataset, below).", -1, DAY},
#define DATASET(e, label, iv, src, type, member)                                                   \
    {"slurm.poll-interval." label,                                                                 \
     K_INTERVAL,                                                                                   \
     0,                                                                                            \
     #iv "s",                                                                                      \
     "Refresh the " label " dataset this often.",                                                  \
     DS_##e,                                                                                       \
     DAY},
#include "tables.def"
    {"slurm.max-age", K_DURATION, OFF(max_age), "2m",
     "Withdraw a dataset's series when its last good data is older than this (its "
     "collector's success is 0 from the first failure). A dataset refreshed too seldom for it "
     "gets its interval plus the shorter of its interval and --slurm.timeout plus 2s (logged "
     "at start-up).",
     -1, 7 * DAY},
    {"slurm.active-only", K_BOOL, OFF(active_only), "false",
     "High availability, for an exporter on each of a cluster's controllers: poll Slurm and "
     "serve the cluster's series only while this host's slurmctld is the controller in control "
     "(judged from scontrol ping, polled every 10s unless --slurm.poll-interval.controllers is "
     "given); the others serve their own health and the exporter-kept counters. No effect on "
     "a host that is not one of the SlurmctldHost controllers. Not with --slurm.clusters.",
     -1, 0},
    {"slurm.controller-name", K_STRING, OFF(controller_name), "",
     "With --slurm.active-only: this host's SlurmctldHost name, for hosts with several names "
     "(default: matched by host name, short or full).",
     -1, 0},
    {"slurm.takeover-after", K_DURATION, OFF(takeover_after), "2m",
     "With --slurm.active-only: follow a backup controller only once the controller in control "
     "and those before the backup have not answered for this long; set it to slurm.conf's "
     "SlurmctldTimeout (Slurm's default is 120s).",
     -1, DAY},
    {"slurm.ha-state-dir", K_STRING, OFF(ha_state_dir), "",
     "With --slurm.active-only: a directory the controllers share (as Slurm's "
     "StateSaveLocation): the exporter in control writes which counter series it serves, so "
     "the others serve them at 0 before they take over, and --accounting.state-file defaults "
     "to DIR/accounting.state there so the next one resumes the sacct window.",
     -1, 0},
    {"slurm.max-output", K_SIZE, OFF(max_output), "256MiB",
     "Kill a Slurm command whose output exceeds this many bytes.", -1, 0},
    {"compat", K_COMPAT, OFF(compat), "",
     "Also serve another exporter's metric names, so its dashboards keep working: a "
     "comma-separated list of vpenso (vpenso/prometheus-slurm-exporter 0.20, dashboard 4323) "
     "and rivosinc (rivosinc/prometheus-slurm-exporter 1.x, dashboard 19835), served on the "
     "telemetry path and also on <telemetry path>/vpenso and /rivosinc, azure (Azure "
     "CycleCloud's azslurm-exporter, whose names collide with ours: served only on <telemetry "
     "path>/azure) and goldentooth (the goldentooth Ansible role's unlabelled cluster totals, "
     "which collide too: served only on <telemetry path>/goldentooth), jontk (the names "
     "jontk/slurm-exporter's Prometheus integration guide queries: on the telemetry path and "
     "on <telemetry path>/jontk), or none. Each set's path serves every name of the set, "
     "whichever collector writes it.",
     -1, 0},
    {"compat.azure.reset-time", K_RESET, 0, "24 hours ago",
     "With --compat=azure: where Azure's cumulative job counts (slurm_jobs_total_* and "
     "slurm_partition_jobs_total_*) start, as Azure's --reset-time: N hours ago, N days ago, N "
     "weeks ago (also seconds, minutes) for a window that slides with the clock, or a fixed "
     "time: 2026-01-26 or 2026-01-26T12:00:00 (both UTC) or RFC 3339 with an offset; at most "
     "366d before now. Read from the accounting dataset (sacct), which --compat=azure polls.",
     -1, 0},
    {"collector.series-limit", K_INT, OFF(series_limit), "100000",
     "Maximum label sets per aggregation; the rest is counted in "
     "slurm_exporter_series_dropped.",
     -1, 0},
    {"cgroup.root", K_STRING, OFF(cgroup_root), "/sys/fs/cgroup",
     "Where the cgroup file system is mounted; the cgroup collector reads Slurm's job cgroups "
     "under it (v2: <slice>/slurmstepd.scope/job_<id> or, Slurm 26.05, .../<SLUID>; v1: "
     "<controller>/slurm/uid_<uid>/job_<id>).",
     -1, 0},
    {"collector.fairshare.users", K_BOOL, OFF(fairshare_users), "false",
     "Also export fairshare per user association (sshare --all: one row per user and "
     "account).",
     -1, 0},
    {"accounting.since", K_SINCE, OFF(accounting_since), "",
     "Accounting collector: also count the jobs that finished since this time when the exporter "
     "starts: a duration before now (24h, 7d) or an RFC 3339 time (2024-05-01T00:00:00Z), at "
     "most 31d before now. "
     "Ignored when --accounting.state-file restores a saved position. Without it, counting "
     "starts when the exporter starts.",
     -1, 0},
    {"accounting.overlap", K_DURATION, OFF(accounting_overlap), "2m",
     "Accounting collector: each sacct window reaches back this far before the end of the last "
     "one, so jobs slurmdbd records late are still counted (once).",
     -1, DAY},
    {"accounting.settle", K_DURATION, OFF(accounting_settle), "1m",
     "Accounting collector: count a finished job once it ended this long ago. slurmdbd stores "
     "a job's end before its steps' CPU usage (a cancelled job's steps report when they have "
     "died, up to KillWait later); keep it above KillWait.",
     -1, HOUR},
    {"accounting.state-file", K_STRING, OFF(accounting_state_file), "",
     "Accounting collector: save the window position and the cumulative counters to this file "
     "after each refresh and restore them at start, so counters continue across restarts "
     "(PATH.CLUSTER for each of several --slurm.clusters).",
     -1, 0},
    {"accounting.users", K_BOOL, OFF(accounting_users), "false",
     "Accounting collector: also count finished jobs, CPU and memory time per user "
     "(slurm_accounting_user_*, one series per partition, account and user, bounded by "
     "--collector.series-limit; sacct is asked for the User field too). With --compat=jontk "
     "jontk's accounting names get a user label too.",
     -1, 0},
    {"trace.enabled", K_BOOL, OFF(trace_enabled), "false",
     "Accept job trace posts (the JSON body of rivosinc's proctrac.py) on --trace.path and "
     "serve them as slurm_job_trace_* metrics (turns on the trace collector).",
     -1, 0},
    {"trace.path", K_STRING, OFF(trace_path), "/trace",
     "Path that takes job trace posts: a clean absolute URL path, as "
     "--web.telemetry-path and other than it.",
     -1, 0},
    {"trace.ttl", K_DURATION, OFF(trace_ttl), "2m",
     "Forget a job's trace from a host this long after its last post.", -1, DAY},
    {"trace.max-body", K_SIZE, OFF(trace_max_body), "4KiB",
     "Largest trace post body accepted (at most 1MiB); larger posts get 413.", -1, 0},
    {"trace.max-jobs", K_INT, OFF(trace_max_jobs), "10000",
     "Most jobs traced at once; posts for more get 429 and are counted.", -1, 0},
    {"trace.max-hosts-per-job", K_INT, OFF(trace_max_hosts), "1024",
     "Most hosts traced for one job; posts for more get 429 and are counted.", -1, 0},
    {"trace.max-entries", K_INT, OFF(trace_max_entries), "100000",
     "Most (job, host) pairs traced at once, all jobs together; posts for more get 429 and are "
     "counted.",
     -1, 0},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/* The duration grammar: "0", or one or more NUMBER UNIT terms with the
 * units in decreasing order, each at most once ("1h30m", "1.5s", "250ms").
 * NUMBER is decimal digits with an optional fraction; there is no sign, no
 * exponent, no hex and no whitespace. The value is counted in whole
 * milliseconds: a term finer than that ("0.0005s") is refused, not rounded.
 * Values over DURATION_MAX_MS are refused here; each flag has its own,
 * smaller bound (struct flag .max). */
#define DURATION_MAX_MS (366ull * 86400 * 1000)

int config_parse_duration(const char *s, double *out)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}};
    /* rank of each unit above in decreasing size: d h m s ms */
    static const int rank[] = {0, 1, 4, 2, 3};
    if (!s || !*s)
        return -1;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    uint64_t total = 0;
    int last_rank = -1;
    const char *p = s;
    while (*p) {
        uint64_t whole = 0, frac = 0, scale = 1;
        int digits = 0;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++digits > 12) /* far beyond DURATION_MAX_MS in any unit */
                return -1;
            whole = whole * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            for (; *p >= '0' && *p <= '9'; p++) {
                if (scale >= 1000000000) /* more than 9 fraction digits */
                    return -1;
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
        }
        int u = -1;
        for (int i = 0; i < (int)(sizeof(units) / sizeof(units[0])) && u < 0; i++)
            if (strncmp(p, units[i].name, strlen(units[i].name)) == 0)
                u = i;
        if (u < 0 || rank[u] <= last_rank)
            return -1; /* no unit, an unknown one, or out of order */
        last_rank = rank[u];
        p += strlen(units[u].name);
        uint64_t m = units[u].ms;
        if (whole > DURATION_MAX_MS / m || (frac * m) % scale != 0)
            return -1; /* too long, or finer than a millisecond */
        total += whole * m + frac * m / scale;
        if (total > DURATION_MAX_MS)
            return -1;
    }
    *out = (double)total / 1000.0;
    return 0;
}

int config_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || !isfinite(v))
        return -1;
    static const struct {
        const char *sfx;
        double mult;
    } units[] = {
        {"", 1},     {"B", 1},    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
        {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].sfx) == 0) {
            double b = v * units[i].mult;
            if (b > 1e15)
                return -1;
            *out = (size_t)b;
            return 0;
        }
    }
    return -1;
}

int config_parse_since(const char *s, double now, double *out)
{
    double d;
    if (!s || !*s)
        return -1;
    if (config_parse_duration(s, &d) == 0) {
        *out = now - d;
        return 0;
    }
    /* RFC 3339: date, optionally T/t/space, time, fraction, Z or offset */
    int Y, M, D, h = 0, m = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &used) != 3 || used != 10)
        return -1;
    const char *p = s + used;
    long off = 0;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -1;
        p++;
        if (sscanf(p, "%2d:%2d:%2d%n", &h, &m, &sec, &used) != 3 || used != 8)
            return -1;
        p += used;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5 || oh > 23 || om > 59)
                return -1;
            off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
            p += 6;
        } else {
            return -1;
        }
        if (*p)
            return -1;
    }
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = Y - 1900,
                    .tm_mon = M - 1,
                    .tm_mday = D,
                    .tm_hour = h,
                    .tm_min = m,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != D)
        return -1;
    double v = (double)t - (double)off;
    if (v > now + 1)
        return -1;
    *out = v;
    return 0;
}

/* "N UNIT ago": the relative form of Azure's --reset-time. */
static int parse_ago(const char *s, double *window)
{
    static const struct {
        const char *name;
        double secs;
    } units[] = {{"second", 1}, {"minute", 60}, {"hour", HOUR}, {"day", DAY}, {"week", 7 * DAY}};
    const char *p = s;
    uint64_t n = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 9)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (!digits || *p != ' ')
        return -1;
    while (*p == ' ')
        p++;
    size_t wl = 0;
    while ((p[wl] >= 'a' && p[wl] <= 'z') || (p[wl] >= 'A' && p[wl] <= 'Z'))
        wl++;
    double unit = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t ul = strlen(units[i].name);
        if ((wl == ul || (wl == ul + 1 && (p[ul] == 's' || p[ul] == 'S'))) &&
            strncasecmp(p, units[i].name, ul) == 0)
            unit = units[i].secs;
    }
    if (unit == 0 || p[wl] != ' ')
        return -1;
    p += wl;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "ago", 3) != 0)
        return -1;
    for (p += 3; *p == ' '; p++)
        ;
    if (*p)
        return -1;
    *window = (double)n * unit;
    return 0;
}

int config_parse_reset_time(const char *s, double now, double *window, double *at)
{
    if (!s)
        return -1;
    while (*s == ' ')
        s++;
    double w = 0, t = 0;
    if (parse_ago(s, &w) == 0) {
        if (w < 1 || w > CONFIG_RESET_MAX_S)
            return -1;
        *window = w;
        *at = 0;
        return 0;
    }
    /* a date, a date and time (UTC when no zone is given), or RFC 3339 */
    size_t n = strlen(s);
    if (n < 10 || n > 64 || s[4] != '-' || strspn(s, "0123456789") != 4)
        return -1; /* not a date (a duration such as 24h is not one of Azure's forms) */
    char buf[80];
    snprintf(buf, sizeof(buf), "%s", s);
    if (n >= 19 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && !strpbrk(s + 19, "Zz+-"))
        strcat(buf, "Z");
    if (config_parse_since(buf, now, &t) < 0 || t < now - CONFIG_RESET_MAX_S)
        return -1;
    *window = 0;
    *at = t;
    return 0;
}

static int bad(FILE *err, const char *flag, const char *why, const char *val)
{
    if (val)
        fprintf(err, "slurm_exporter: --%s: %s: \"%s\"\n", flag, why, val);
    else
        fprintf(err, "slurm_exporter: --%s: %s\n", flag, why);
    return 2;
}

/* Writes seconds the way a flag takes them: "100ms", "90s", "1h", "7d". */
static void fmt_duration(char *out, size_t n, double secs)
{
    if (secs >= DAY && fmod(secs, DAY) == 0)
        snprintf(out, n, "%gd", secs / DAY);
    else if (secs >= HOUR && fmod(secs, HOUR) == 0)
        snprintf(out, n, "%gh", secs / HOUR);
    else if (secs >= 60 && fmod(secs, 60) == 0)
        snprintf(out, n, "%gm", secs / 60);
    else if (secs >= 1)
        snprintf(out, n, "%gs", secs);
    else if (secs > 0)
        snprintf(out, n, "%gms", secs * 1000);
    else
        snprintf(out, n, "0"); /* the bare number durations take */
}

/* The smallest and largest value a duration flag takes. */
static double duration_min(const struct flag *f)
{
    if (f->off == OFF(status_history) && f->kind == K_DURATION)
        return 0; /* no charts */
    return f->kind == K_INTERVAL ? 0.1 : 0.001;
}

static double duration_max(const struct flag *f)
{
    return f->max > 0 ? f->max : (double)DURATION_MAX_MS / 1000;
}

/* Parses the value of a duration flag into *d, or writes the one line that
 * names the flag and what it takes and returns 2. */
static int parse_duration_flag(const struct flag *f, const char *val, double *d, FILE *err)
{
    char lo[32], hi[32], why[256];
    fmt_duration(lo, sizeof(lo), duration_min(f));
    fmt_duration(hi, sizeof(hi), duration_max(f));
    if (config_parse_duration(val, d) < 0) {
        snprintf(why, sizeof(why),
                 "expected a duration like 30s, 1m30s or 500ms (digits, an optional fraction "
                 "and a unit: ms, s, m, h, d), from %s to %s",
                 lo, hi);
        return bad(err, f->name, why, val);
    }
    if (*d < duration_min(f) || *d > duration_max(f)) {
        snprintf(why, sizeof(why), "must be from %s to %s", lo, hi);
        return bad(err, f->name, why, val);
    }
    return 0;
}

/* A clean absolute URL path: "/" and segments of RFC 3986 path characters
 * (letters, digits, -._~!$&'()*+,;=:@), no empty, "." or ".." segment, no
 * trailing "/", no percent escape, query or fragment, at most 256 bytes. */
static bool clean_url_path(const char *p)
{
    size_t n = strlen(p);
    if (n < 2 || n > 256 || p[0] != '/' || p[n - 1] == '/')
        return false;
    for (const char *seg = p + 1; seg <= p + n;) {
        size_t l = strcspn(seg, "/");
        if (l == 0 || (l == 1 && seg[0] == '.') || (l == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        for (size_t i = 0; i < l; i++) {
            unsigned char c = (unsigned char)seg[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      (c && strchr("-._~!$&'()*+,;=:@", c));
            if (!ok)
                return false;
        }
        seg += l + 1;
    }
    return true;
}

/* Letters, digits, '.', '-' and '_': what a host name or address is made of. */
static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* Checks the syntax of a listen address: "host:port", ":port" or
 * "[v6]:port", the port a decimal number from 1 to 65535. The host is
 * resolved later (config_resolve_listen). Returns NULL or what is wrong. */
static const char *listen_syntax(const char *val)
{
    const char *colon = strrchr(val, ':');
    if (!colon)
        return "address needs a port (host:port, :port, [::1]:port)";
    const char *port = colon + 1;
    size_t pl = strlen(port);
    if (pl == 0)
        return "empty port (host:port, :port, [::1]:port)";
    if (pl > 5 || strspn(port, "0123456789") != pl)
        return "the port must be a number from 1 to 65535";
    long v = strtol(port, NULL, 10);
    if (v < 1 || v > 65535)
        return "the port must be a number from 1 to 65535";
    size_t hl = (size_t)(colon - val);
    if (hl >= 256)
        return "host name too long";
    if (hl && val[0] == '[') {
        if (hl < 3 || val[hl - 1] != ']')
            return "an IPv6 address goes in brackets: [::1]:port";
        for (size_t i = 1; i + 1 < hl; i++) /* hex digits, ':', '.', a %zone */
            if (!host_char(val[i]) && val[i] != ':' && val[i] != '%')
                return "bad IPv6 address";
        return NULL;
    }
    for (size_t i = 0; i < hl; i++) {
        if (val[i] == ':' || val[i] == '[' || val[i] == ']')
            return "an IPv6 address goes in brackets: [::1]:port";
        if (!host_char(val[i]))
            return "the host must be a name, an IPv4 address or a bracketed IPv6 address";
    }
    return NULL;
}

int config_resolve_listen(const struct config *cfg, FILE *err)
{
    if (cfg->systemd_socket)
        return 0;
    for (size_t i = 0; i < cfg->nlisten; i++) {
        const char *a = cfg->listen[i], *colon = strrchr(a, ':');
        size_t hl = colon ? (size_t)(colon - a) : 0;
        if (hl == 0)
            continue; /* ":port": every address */
        char host[256];
        const char *h = a;
        if (a[0] == '[') {
            h++;
            hl -= 2;
        }
        memcpy(host, h, hl);
        host[hl] = '\0';
        struct addrinfo hints, *ai = NULL;
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        int rc = getaddrinfo(host, colon + 1, &hints, &ai);
        if (rc != 0) {
            char why[320];
            snprintf(why, sizeof(why), "cannot resolve \"%s\": %s", host, gai_strerror(rc));
            return bad(err, "web.listen-address", why, NULL);
        }
        freeaddrinfo(ai);
    }
    return 0;
}

static int set_flag(struct config *cfg, const struct flag *f, const char *val, FILE *err,
                    bool from_default)
{
    char *base = (char *)cfg;
    switch (f->kind) {
    case K_STRING:
        *(const char **)(base + f->off) = val;
        return 0;
    case K_LISTEN:
        if (!*val)
            return bad(err, f->name, "empty address", NULL);
        const char *why = listen_syntax(val);
        if (why)
            return bad(err, f->name, why, val);
        if (from_default) {
            cfg->listen[0] = val;
            cfg->nlisten = 1;
            return 0;
        }
        if (cfg->nlisten >= MAX_LISTEN)
            return bad(err, f->name, "too many listen addresses (at most 8)", val);
        cfg->listen[cfg->nlisten++] = val;
        return 0;
    case K_INT: {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 10);
        if (*val == '\0' || *end || errno || v <= 0)
            return bad(err, f->name, "expected a positive integer", val);
        if (f->off == OFF(series_limit))
            cfg->series_limit = (size_t)v;
        else
            *(long *)(base + f->off) = v;
        return 0;
    }
    case K_DURATION: {
        double d;
        if (parse_duration_flag(f, val, &d, err))
            return 2;
        /* cppcheck-suppress invalidPointerCast */
        *(double *)(base + f->off) = d;
        return 0;
    }
    case K_INTERVAL: {
        if (from_default && !*val)
            return 0;
        double d;
        if (parse_duration_flag(f, val, &d, err))
            return 2;
        for (int i = 0; i < DS_COUNT; i++)
            if (f->ds < 0 || f->ds == i)
                cfg->poll_interval[i] = d;
        return 0;
    }
    case K_SIZE: {
        size_t s;
        if (config_parse_size(val, &s) < 0 || s == 0)
            return bad(err, f->name, "expected a size like 256MiB", val);
        *(size_t *)(base + f->off) = s;
        return 0;
    }
    case K_LEVEL:
        if (log_parse_level(val, &cfg->log_level) < 0)
            return bad(err, f->name, "expected debug, info, warn or error", val);
        return 0;
    case K_FORMAT:
        if (log_parse_format(val, &cfg->log_format) < 0)
            return bad(err, f->name, "expected logfmt or json", val);
        return 0;
    case K_COMPAT: {
        unsigned m = 0;
        const char *p = val;
        while (*p) {
            size_t n = strcspn(p, ",");
            if (n == 6 && strncmp(p, "vpenso", 6) == 0)
                m |= COMPAT_VPENSO;
            else if (n == 8 && strncmp(p, "rivosinc", 8) == 0)
                m |= COMPAT_RIVOSINC;
            else if (n == 5 && strncmp(p, "azure", 5) == 0)
                m |= COMPAT_AZURE;
            else if (n == 11 && strncmp(p, "goldentooth", 11) == 0)
                m |= COMPAT_GOLDENTOOTH;
            else if (n == 5 && strncmp(p, "jontk", 5) == 0)
                m |= COMPAT_JONTK;
            else if (!(n == 4 && strncmp(p, "none", 4) == 0))
                return bad(
                    err, f->name,
                    "expected a list of vpenso, rivosinc, azure, goldentooth, jontk (or none)",
                    val);
            p += n;
            if (*p == ',')
                p++;
        }
        *(unsigned *)(base + f->off) = m;
        return 0;
    }
    case K_CLUSTERS: {
        cfg->nclusters = 0;
        const char *p = val;
        while (*p) {
            size_t n = strcspn(p, ",");
            if (n == 0 || n >= sizeof(cfg->clusters[0]))
                return bad(err, f->name, "expected cluster names separated by commas", val);
            for (size_t i = 0; i < n; i++)
                if (!(p[i] == '-' || p[i] == '_' || p[i] == '.' || (p[i] >= '0' && p[i] <= '9') ||
                      (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
                    return bad(err, f->name, "cluster names are letters, digits, - _ .", val);
            for (size_t k = 0; k < cfg->nclusters; k++)
                if (strlen(cfg->clusters[k]) == n && strncmp(cfg->clusters[k], p, n) == 0)
                    return bad(err, f->name, "a cluster is named twice", val);
            if (cfg->nclusters == MAX_CLUSTERS)
                return bad(err, f->name, "at most 16 clusters", val);
            memcpy(cfg->clusters[cfg->nclusters], p, n);
            cfg->clusters[cfg->nclusters][n] = '\0';
            cfg->nclusters++;
            p += n;
            if (*p == ',' && !*++p)
                return bad(err, f->name, "expected cluster names separated by commas", val);
        }
        return 0;
    }
    case K_SINCE: {
        if (from_default && !*val)
            return 0;
        double t, now = (double)time(NULL);
        if (config_parse_since(val, now, &t) < 0 || t < now - CONFIG_SINCE_MAX_S)
            return bad(err, f->name,
                       "expected a duration like 24h or a past RFC 3339 time like "
                       "2024-05-01T00:00:00Z, at most 31d before now",
                       val);
        /* cppcheck-suppress invalidPointerCast */
        *(double *)(base + f->off) = t;
        return 0;
    }
    case K_RESET: {
        double w, t;
        if (config_parse_reset_time(val, (double)time(NULL), &w, &t) < 0)
            return bad(err, f->name,
                       "expected N hours ago, N days ago or N weeks ago (also seconds, minutes), "
                       "or a past time: 2026-01-26, 2026-01-26T12:00:00 (UTC) or RFC 3339 with "
                       "an offset; at most 366d before now",
                       val);
        cfg->azure_reset_window = w;
        cfg->azure_reset_at = t;
        return 0;
    }
    case K_BOOL:
        if (strcmp(val, "true") == 0)
            *(bool *)(base + f->off) = true;
        else if (strcmp(val, "false") == 0)
            *(bool *)(base + f->off) = false;
        else
            return bad(err, f->name, "expected true or false", val);
        return 0;
    }
    return 2;
}

void config_usage(FILE *out)
{
    fprintf(out, "usage: slurm_exporter [flags]\n\n"
                 "Prometheus exporter for the Slurm workload manager. A background poller runs\n"
                 "the Slurm commands on fixed intervals; scrapes never reach slurmctld.\n\n"
                 "Durations are digits with an optional fraction and a unit (ms, s, m, h, d),\n"
                 "several largest first (1m30s), to the millisecond: 30s, 1.5m, 250ms.\n\n"
                 "Flags:\n"
                 "  -h, --help                     Show this help and exit.\n"
                 "      --version                  Show the version and exit.\n");
    for (size_t i = 0; i < NFLAGS; i++) {
        const struct flag *f = &flags[i];
        char left[64];
        snprintf(left, sizeof(left), "--%s%s", f->name, f->kind == K_BOOL ? "" : "=VALUE");
        fprintf(out, "      %-31s %s", left, f->help);
        if (f->kind == K_DURATION || f->kind == K_INTERVAL) {
            char lo[32], hi[32];
            fmt_duration(lo, sizeof(lo), duration_min(f));
            fmt_duration(hi, sizeof(hi), duration_max(f));
            fprintf(out, " (%s to %s)", lo, hi);
        }
        if (f->def[0] && f->kind != K_BOOL)
            fprintf(out, " (default: %s)", f->def);
        fprintf(out, "\n");
    }
    fprintf(out, "\nCollectors (--collector.NAME enables, --no-collector.NAME disables):\n");
    for (int i = 0; i < COLLECTOR_COUNT; i++)
        fprintf(out, "      --collector.%-20s %s (default: %s)\n", collectors[i].name,
                collectors[i].help, collectors[i].default_on ? "on" : "off");
}

int config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NFLAGS; i++)
        if (set_flag(cfg, &flags[i], flags[i].def, err, true))
            return 2;
    for (int i = 0; i < DS_COUNT; i++)
        if (cfg->poll_interval[i] == 0)
            cfg->poll_interval[i] = dataset_default_interval[i];
    int coll_set[COLLECTOR_COUNT];
    for (int i = 0; i < COLLECTOR_COUNT; i++)
        coll_set[i] = -1;
    bool listen_given = false;
    /* Intervals: an explicit per-dataset flag wins over the global one,
     * whatever the order. */
    double global_iv = 0;
    double ds_iv[DS_COUNT] = {0};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            config_usage(out);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            fprintf(out, "slurm_exporter %s (revision %s)\n", SE_VERSION, SE_REVISION);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(err, "slurm_exporter: unexpected argument \"%s\" (flags start with --)\n", a);
            return 2;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        /* collectors */
        bool neg = strncmp(name, "no-collector.", 13) == 0;
        if (neg || (strncmp(name, "collector.", 10) == 0 && nl > 10)) {
            const char *cn = name + (neg ? 13 : 10);
            size_t cl = nl - (size_t)(cn - name);
            int found = -1;
            for (int c = 0; c < COLLECTOR_COUNT; c++)
                if (strlen(collectors[c].name) == cl && strncmp(collectors[c].name, cn, cl) == 0)
                    found = c;
            if (found >= 0) {
                if (eq) {
                    fprintf(err, "slurm_exporter: --%.*s takes no value\n", (int)nl, name);
                    return 2;
                }
                coll_set[found] = neg ? 0 : 1;
                continue;
            }
            if (neg) {
                fprintf(err, "slurm_exporter: --%.*s: unknown collector \"%.*s\"\n", (int)nl, name,
                        (int)cl, cn);
                return 2;
            }
        }
        const struct flag *f = NULL;
        for (size_t k = 0; k < NFLAGS; k++)
            if (strlen(flags[k].name) == nl && strncmp(flags[k].name, name, nl) == 0)
                f = &flags[k];
        if (!f) {
            if (strncmp(name, "collector.", 10) == 0)
                fprintf(err, "slurm_exporter: --%.*s: unknown collector \"%.*s\"\n", (int)nl, name,
                        (int)(nl - 10), name + 10);
            else
                fprintf(err, "slurm_exporter: unknown flag --%.*s (see --help)\n", (int)nl, name);
            return 2;
        }
        const char *val;
        if (f->kind == K_BOOL) {
            val = eq ? eq + 1 : "true";
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(err, "slurm_exporter: --%s needs a value\n", f->name);
            return 2;
        }
        if (f->kind == K_LISTEN && !listen_given) {
            cfg->nlisten = 0;
            listen_given = true;
        }
        if (f->kind == K_INTERVAL) {
            double d;
            if (parse_duration_flag(f, val, &d, err))
                return 2;
            if (f->ds < 0)
                global_iv = d;
            else
                ds_iv[f->ds] = d;
            continue;
        }
        int rc = set_flag(cfg, f, val, err, false);
        if (rc)
            return rc;
    }
    for (int i = 0; i < DS_COUNT; i++) {
        if (ds_iv[i] > 0)
            cfg->poll_interval[i] = ds_iv[i];
        else if (global_iv > 0)
            cfg->poll_interval[i] = global_iv;
    }
    /* active-only: who is in control is known from the controllers dataset,
     * polled often enough to follow a failover within seconds */
    if (cfg->active_only && ds_iv[DS_CONTROLLERS] == 0 && global_iv == 0 &&
        cfg->poll_interval[DS_CONTROLLERS] > HA_PING_INTERVAL_S)
        cfg->poll_interval[DS_CONTROLLERS] = HA_PING_INTERVAL_S;
    if (cfg->active_only && cfg->nclusters)
        return bad(err, "slurm.active-only",
                   "follows the local cluster's controllers; it cannot be combined with "
                   "--slurm.clusters",
                   NULL);
    for (int c = 0; c < COLLECTOR_COUNT; c++)
        cfg->collector_on[c] = coll_set[c] >= 0
                                   ? coll_set[c] == 1
                                   : (!cfg->disable_defaults && collectors[c].default_on);
    if (cfg->compat & COMPAT_VPENSO)
        cfg->collector_on[COLLECTOR_compat_vpenso] = true;
    if (cfg->compat & COMPAT_RIVOSINC)
        cfg->collector_on[COLLECTOR_compat_rivosinc] = true;
    if (cfg->compat & COMPAT_AZURE)
        cfg->collector_on[COLLECTOR_compat_azure] = true;
    if (cfg->compat & COMPAT_GOLDENTOOTH)
        cfg->collector_on[COLLECTOR_compat_goldentooth] = true;
    if (cfg->compat & COMPAT_JONTK)
        cfg->collector_on[COLLECTOR_compat_jontk] = true;
    if (!clean_url_path(cfg->telemetry_path) || strncmp(cfg->telemetry_path, "/-/", 3) == 0)
        return bad(err, "web.telemetry-path",
                   "must be a clean absolute URL path like /metrics (segments of letters, digits "
                   "and -._~!$&'()*+,;=:@ between single slashes: no space, %, ?, #, empty, . or "
                   ".. segment or trailing slash), and not / or under /-/",
                   cfg->telemetry_path);
    if (cfg->max_requests > 10000)
        return bad(err, "web.max-requests", "at most 10000", NULL);
    if (cfg->max_per_ip > cfg->max_requests)
        cfg->max_per_ip = cfg->max_requests;
    if (cfg->max_header_bytes < 1024 || cfg->max_header_bytes > (size_t)1024 * 1024)
        return bad(err, "web.max-header-bytes", "must be from 1KiB to 1MiB", NULL);
    if (cfg->systemd_socket && listen_given)
        return bad(err, "web.systemd-socket", "cannot be combined with --web.listen-address", NULL);
    if (cfg->trace_enabled && coll_set[COLLECTOR_trace] != 0)
        cfg->collector_on[COLLECTOR_trace] = true;
    if (!clean_url_path(cfg->trace_path) || strncmp(cfg->trace_path, "/-/", 3) == 0 ||
        strcmp(cfg->trace_path, cfg->telemetry_path) == 0)
        return bad(err, "trace.path",
                   "must be a clean absolute URL path like /trace (as --web.telemetry-path), "
                   "not under /-/ and not the telemetry path",
                   cfg->trace_path);
    if (cfg->trace_max_body < 64 || cfg->trace_max_body > (size_t)1024 * 1024)
        return bad(err, "trace.max-body", "must be from 64B to 1MiB", NULL);
    if (cfg->ha_state_dir[0] && !cfg->accounting_state_file[0]) {
        static char acct_path[4096];
        int n = snprintf(acct_path, sizeof(acct_path), "%s/accounting.state", cfg->ha_state_dir);
        if (n < 0 || (size_t)n >= sizeof(acct_path))
            return bad(err, "slurm.ha-state-dir", "path too long", cfg->ha_state_dir);
        cfg->accounting_state_file = acct_path;
    }
    if (cfg->trace_max_entries > 10000000 || cfg->trace_max_jobs > 10000000)
        return bad(err, cfg->trace_max_jobs > 10000000 ? "trace.max-jobs" : "trace.max-entries",
                   "at most 10000000", NULL);
    return 0;
}
