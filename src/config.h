/* SPDX-License-Identifier: Apache-2.0 */
/* Command-line flags: one table drives parsing, defaults and --help. */
#ifndef SE_CONFIG_H
#define SE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "collectors/ids.h"
#include "model/ids.h"
#include "util/log.h"

#define MAX_LISTEN 8
#define MAX_CLUSTERS 16
/* --slurm.active-only: the controllers dataset's default interval */
#define HA_PING_INTERVAL_S 10.0

struct config {
    const char *listen[MAX_LISTEN];
    size_t nlisten;
    const char *telemetry_path;
    long max_requests;
    long max_per_ip;
    double web_timeout;
    double read_header_timeout;
    double write_timeout;
    size_t max_header_bytes;
    double status_history; /* --web.status-history: seconds of charts on /, 0 = none */
    const char *web_config_file;
    bool systemd_socket;
    bool collector_on[COLLECTOR_COUNT];
    bool disable_defaults;
    enum log_level log_level;
    enum log_format log_format;
    const char *bin_path;
    double slurm_timeout;
    double poll_interval[DS_COUNT];
    double max_age;
    size_t max_output;
    size_t series_limit;
    unsigned compat;                 /* COMPAT_* bits (model/dataset.h) */
    char clusters[MAX_CLUSTERS][64]; /* --slurm.clusters; none: the local cluster */
    size_t nclusters;
    const char *cgroup_root; /* --cgroup.root, read by the cgroup collector */
    /* active-only mode (ha.h): poll and serve only while this host's
     * slurmctld is in control */
    bool active_only;
    const char *controller_name; /* --slurm.controller-name; "" = by host name */
    double takeover_after;       /* --slurm.takeover-after, seconds */
    const char *ha_state_dir;    /* --slurm.ha-state-dir; "" = none */
    /* --collector.fairshare.users: also per-user rows (sshare --all) */
    bool fairshare_users;
    /* accounting collector (sacct) */
    double accounting_since;   /* epoch seconds to count finished jobs from; 0 = start time */
    double accounting_overlap; /* seconds each window re-reads before the last one's end */
    double accounting_settle;  /* seconds after its end before a job is counted */
    const char *accounting_state_file; /* "" = none */
    bool accounting_users;             /* --accounting.users: per-user counters too */
    /* --compat.azure.reset-time: where Azure's cumulative job counts start:
     * a sliding window (window > 0, seconds before each render) or a fixed
     * time (window 0, at: epoch seconds) */
    double azure_reset_window;
    double azure_reset_at;
    /* job tracing (trace.h) */
    bool trace_enabled;
    const char *trace_path;
    size_t trace_max_body;
    double trace_ttl;
    long trace_max_jobs, trace_max_hosts, trace_max_entries;
};

/* Parses argv into cfg. Returns 0 to run, 1 when --help/--version was
 * printed (exit 0), or 2 after printing one line naming the bad flag. */
int config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);
/* Resolves the host of each --web.listen-address (the syntax was checked by
 * config_parse; nothing to do with --web.systemd-socket). Returns 0, or 2
 * after printing one line naming the flag and the host. */
int config_resolve_listen(const struct config *cfg, FILE *err);
void config_usage(FILE *out);
/* Parses "30s", "1m30s", "250ms", "1.5h", "2d", or "0": digits, an optional
 * fraction and a unit (ms, s, m, h, d), several terms largest unit first,
 * whole milliseconds, at most 366d. No sign, exponent, hex or bare number
 * but "0". -1 on anything else. */
int config_parse_duration(const char *s, double *out);
/* Parses "256MiB", "1GiB", "4096" (bytes), also KB/MB/GB (powers of 1000). */
int config_parse_size(const char *s, size_t *out);
/* --accounting.since reaches back at most this far (31 days: the catch-up
 * reads one day per refresh). */
#define CONFIG_SINCE_MAX_S (31 * 86400.0)
/* Parses --accounting.since: a duration before now ("24h", "7d") or an RFC
 * 3339 time ("2024-05-01T00:00:00Z", "...+02:00", "2024-05-01" = UTC
 * midnight) into epoch seconds. -1 on garbage or a time after now. */
int config_parse_since(const char *s, double now, double *out);
/* --compat.azure.reset-time reaches back at most this far (the catch-up
 * reads one day per refresh). */
#define CONFIG_RESET_MAX_S (366 * 86400.0)
/* Parses --compat.azure.reset-time, the forms of Azure's --reset-time:
 * "N hours ago", "N days ago", "N weeks ago" (also seconds, minutes;
 * singular or plural, any case) give a sliding window of that many seconds
 * in *window (and *at = 0); "2026-01-26", "2026-01-26T12:00:00" (both UTC)
 * or an RFC 3339 time with Z or an offset give *at (and *window = 0).
 * -1 on garbage, a window of 0 or over CONFIG_RESET_MAX_S, or a time after
 * now or more than CONFIG_RESET_MAX_S before it. */
int config_parse_reset_time(const char *s, double now, double *window, double *at);

#endif
