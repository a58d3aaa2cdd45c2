/* SPDX-License-Identifier: Apache-2.0 */
/* Render once, serve many. After every dataset refresh the collectors run
 * once over the current view and the result (text and OpenMetrics, gzip made
 * on first demand) is published as a reference-counted exposition. A scrape
 * only appends the small, live exporter self-metrics section. */
#ifndef SE_EXPOSITION_H
#define SE_EXPOSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dataset_access.h"
#include "render.h"
#include "util/buf.h"

struct exposition;

#define EXPOSITION_MAX_WRITERS 4

/* What the exposition is built from, handed over by main.c. */
struct exposition_hooks {
    /* the datasets and their status (the poller's poller_access()) */
    const struct dataset_access *data;
    /* Writers of other modules' self-metric families (the HTTP front end's,
     * the trace store's), called in this order at the end of each scrape's
     * self-metrics section before the process_* families; NULL ends. */
    void (*self_metrics[EXPOSITION_MAX_WRITERS])(struct render *r);
};

/* Copies *hooks; data must be set. */
void exposition_init(const struct config *cfg, const struct exposition_hooks *hooks);
void exposition_shutdown(void);
/* Runs the enabled collectors and publishes the result. Thread safe. */
void exposition_rebuild(void);
/* True once an exposition exists. */
bool exposition_ready(void);

/* A complete response body: head and tail owned, middle borrowed from the
 * referenced exposition. */
struct response_body {
    struct exposition *e;
    struct buf head;
    const char *mid;
    size_t mid_len;
    struct buf tail;
    size_t total;
};
/* The expositions built at each refresh: the telemetry path's and one per
 * compat set, served on <telemetry path>/<name> (exposition_view_names). */
enum {
    EXPO_MAIN,
    EXPO_VPENSO,
    EXPO_RIVOSINC,
    EXPO_AZURE,
    EXPO_GOLDENTOOTH,
    EXPO_JONTK,
    EXPO_VIEWS
};
extern const char *const exposition_view_names[EXPO_VIEWS]; /* [EXPO_MAIN] is NULL */
/* The index of the set named name: -1 for no such set, -2 for a set that is
 * not enabled. */
int exposition_view(const char *name);
/* The index of the cluster named name (--slurm.clusters), or -1. */
int exposition_cluster(const char *name);
/* How many times exposition `view` was built (a test hook; also served as
 * slurm_exporter_exposition_builds_total). */
uint64_t exposition_builds(int view);

/* What one scrape asks for. */
struct scrape_req {
    int view;    /* EXPO_* */
    int cluster; /* ?cluster=NAME: its index; -1 for every cluster */
    bool openmetrics, gzip;
};
/* Builds the body of one scrape. Returns -1 when nothing was rendered yet,
 * -2 when the view is not enabled. */
int exposition_response(const struct scrape_req *q, struct response_body *out);
void response_body_free(struct response_body *b);
/* Copies up to max bytes of the body from offset pos. */
size_t response_body_read(const struct response_body *b, size_t pos, char *dst, size_t max);

#endif
