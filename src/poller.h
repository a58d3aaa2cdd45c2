/* SPDX-License-Identifier: Apache-2.0 */
/* The background poller: one thread per dataset runs its Slurm command on
 * the dataset's interval (one fetch in flight per dataset), parses the
 * output into a fresh arena, swaps it in, and asks for a new exposition.
 * Scrapes never run commands, so slurmctld load depends on the intervals
 * only. */
#ifndef SE_POLLER_H
#define SE_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "model/dataset.h"

struct dataset_state {
    bool enabled;
    double interval;
    struct dataset_result *current; /* last good result, guarded by the poller lock */
    /* status, guarded by the poller lock */
    bool attempted, last_ok;
    double last_success; /* wall clock of the last good fetch, 0 = never */
    double last_duration;
    uint64_t fetch_ok, fetch_err, parse_errors, cmd_errors;
    double cmd_duration;
    const char *command; /* "squeue", "scontrol" */
};

int poller_init(const struct config *cfg);
int poller_start(void);
void poller_stop(void);
void poller_free(void);
/* True once an exposition was built after every enabled dataset had been
 * fetched at least once. */
bool poller_ready(void);
/* Fills v with referenced results of the datasets that have usable data
 * (fresh enough); release them with poller_release_view. */
void poller_view(struct view *v, double now);
/* The same for cluster k (0 .. poller_clusters()-1; one cluster when
 * --slurm.clusters is not given). */
void poller_view_cluster(struct view *v, int k, double now);
int poller_clusters(void);
/* The name of cluster k as given to -M, NULL for the local cluster. */
const char *poller_cluster_name(int k);
void poller_release_view(struct view *v);
/* Copies the status of every dataset (for the exporter's own metrics). */
void poller_status(struct dataset_state out[DS_COUNT]);
void poller_status_cluster(int k, struct dataset_state out[DS_COUNT]);
/* A new, empty result holding one reference (for sources and tests). */
struct dataset_result *dataset_result_new(enum dataset_id id);
/* Drops a reference; the last one frees the result and everything in it. */
void dataset_result_release(struct dataset_result *r);

/* Runs one fetch of dataset id synchronously (also used by tests with a
 * fake bin path). Returns 0 on success. */
int poller_fetch_once(int id);

double wall_now(void);
double mono_now_s(void);

#endif
