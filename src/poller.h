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
#include "dataset_access.h"

/* on_refresh runs on the poller's builder thread once per burst of
 * refreshes (main.c passes exposition_rebuild); NULL for none. */
int poller_init(const struct config *cfg, void (*on_refresh)(void));
int poller_start(void);
void poller_stop(void);
/* The exporter reloads (SIGHUP): the datasets whose source asks for it
 * (on_reload) are refreshed now; one in flight is refreshed again after it. */
void poller_reload(void);
void poller_free(void);
/* True once on_refresh has run after every enabled dataset had been fetched
 * at least once. */
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
/* The functions above as a table, for the exposition and the sources. */
const struct dataset_access *poller_access(void);
/* A new, empty result holding one reference (for sources and tests). */
struct dataset_result *dataset_result_new(enum dataset_id id);
/* Drops a reference; the last one frees the result and everything in it. */
void dataset_result_release(struct dataset_result *r);

/* --slurm.active-only: true when buf[0..len), the active mark in
 * --slurm.ha-state-dir ("<Unix time> <controller>"), was written by another
 * controller's exporter than self at or after since. */
bool ha_mark_parse(const char *buf, size_t len, const char *self, double since);

/* Runs one fetch of dataset id synchronously (also used by tests with a
 * fake bin path). Returns 0 on success. */
int poller_fetch_once(int id);

#endif
