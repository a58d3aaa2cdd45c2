/* SPDX-License-Identifier: Apache-2.0 */
/* Read access to the current datasets, as a table of functions: what the
 * exposition builder and the trace source need from the poller without
 * depending on it. The poller provides one (poller_access()); main.c hands it
 * to the exposition, and the poller puts it into each source's context. */
#ifndef SE_DATASET_ACCESS_H
#define SE_DATASET_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/dataset.h"

/* One dataset's refresh status (for the exporter's own metrics). */
struct dataset_state {
    bool enabled;
    double interval;
    struct dataset_result *current; /* last good result, guarded by the poller lock */
    /* status, guarded by the poller lock */
    bool attempted, last_ok;
    double last_success; /* wall clock of the last good fetch, 0 = never */
    double success_mono; /* the same on the monotonic clock (staleness) */
    /* Age (seconds) after which the last good data is withdrawn:
     * --slurm.max-age, raised for a dataset refreshed too seldom for it. */
    double max_age;
    double last_duration;
    uint64_t fetch_ok, fetch_err, parse_errors, cmd_errors;
    struct fetch_hist fetches; /* the attempts (fetch_ok + fetch_err) by duration */
    double cmd_duration;
    const char *command; /* "squeue", "scontrol" */
    /* The last failed refresh: why (as logged, cut to fit) and its wall
     * clock; "" and 0 before the first failure. Kept after a success. */
    char last_error[256];
    double last_error_at;
    /* --slurm.active-only on a standby exporter: the dataset's collectors
     * are not run (and, unless it tells who is in control, it is not
     * polled: enabled is false in the copies status_cluster makes) */
    bool paused;
};

/* The exporter's role with --slurm.active-only (ha.h). */
struct exporter_role {
    bool active_only;    /* the mode is on and this host is a controller */
    bool decided;        /* a ping has answered since start */
    bool active;         /* polls and serves the cluster's series (always, without the mode) */
    bool serving;        /* serves them: active, or handing over (its last data) */
    uint64_t changes;    /* active <-> standby since start */
    char controller[64]; /* this host's SlurmctldHost, "" before a ping answered */
    char in_control[64]; /* the controller judged in control, "" none */
};

struct dataset_access {
    /* Clusters polled (1 without --slurm.clusters), and the name of cluster
     * k as given to -M (NULL for the local cluster). */
    int (*clusters)(void);
    const char *(*cluster_name)(int k);
    /* Fills v with referenced results of cluster k's datasets that have
     * usable data (fresh enough at now); release them with release_view. */
    void (*view_cluster)(struct view *v, int k, double now);
    void (*release_view)(struct view *v);
    /* Copies the status of every dataset of cluster k. */
    void (*status_cluster)(int k, struct dataset_state out[DS_COUNT]);
    /* The exporter's role (active-only mode). */
    void (*role)(struct exporter_role *out);
    /* A standby's frozen data: like view_cluster, with every dataset's last
     * good result whatever its age or pause (its counters are served). */
    void (*view_frozen)(struct view *v, int k, double now);
};

#endif
