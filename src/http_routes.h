/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP routes: what each path answers (the telemetry path, the status
 * page at /, /-/healthy,
 * /-/ready, the trace path) and the per-path request counters. The transport
 * (http.h: daemons, connection limits, TLS, authentication) calls these once
 * a request may be answered; the exposition and the readiness come in as
 * hooks (main.c passes exposition_response and its readiness check). */
#ifndef SE_HTTP_ROUTES_H
#define SE_HTTP_ROUTES_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "exposition.h"
#include "render.h"
#include "util/buf.h"
#include "webconfig_types.h"

/* P_SET_FIRST + w - 1: the path of compat set w (EXPO_*), <telemetry path>/<name>. */
enum http_path {
    P_METRICS,
    P_ROOT,
    P_HEALTHY,
    P_READY,
    P_TRACE,
    P_OTHER,
    P_SET_FIRST,
    P_COUNT = P_SET_FIRST + EXPO_VIEWS - 1
};

/* What the routes serve from. */
struct http_hooks {
    /* The body of one scrape (exposition_response); -1 when nothing was
     * rendered yet (503), -2 when the set is not enabled (404). */
    int (*response)(const struct scrape_req *q, struct response_body *out);
    /* A compat set's index by name (exposition_view): -1 none, -2 off. */
    int (*view)(const char *name);
    /* A cluster's index by name (exposition_cluster), or -1. */
    int (*cluster)(const char *name);
    /* True when /-/ready answers 200. */
    bool (*ready)(void);
    /* The status page (status_page): appends the HTML of / to out. */
    void (*status_page)(struct buf *out);
};

/* The routing part of one request (the transport's request embeds it). */
struct route_req {
    enum http_path p;
    int early;      /* a status replied already (by the transport or the head), or 0 */
    int owed;       /* a status decided while the body came in, replied when it ends */
    size_t drained; /* body bytes dropped since (at most HTTP_DRAIN_MAX) */
    bool post;      /* a trace post */
    bool counted;   /* its outcome is counted in the trace counters */
    char *body;     /* a trace post's body so far (at most --trace.max-body bytes) */
    size_t body_len;
};

/* Copies *hooks; all must be set. */
void http_routes_init(const struct config *cfg, const struct http_hooks *hooks);
/* The path a URL names. */
enum http_path http_route(const char *url);
/* First call for a request (its head is complete): the methods and bodies the
 * path takes. Sets rq->early and queues the reply when refused. */
enum MHD_Result http_route_head(struct MHD_Connection *c, const struct webconfig *wc,
                                struct route_req *rq, const char *method);
/* How much of a trace post's body is read and dropped once it is known to be
 * over --trace.max-body, so that the 413 can be sent when the body ends
 * (libmicrohttpd cannot answer before); past it the connection is closed. */
#define HTTP_DRAIN_MAX ((size_t)256 * 1024)

/* A piece of a trace post's body (the client is authenticated). */
enum MHD_Result http_route_body(struct MHD_Connection *c, const struct webconfig *wc,
                                struct route_req *rq, const char *data, size_t *size);
/* Answers an admitted request. */
enum MHD_Result http_route_answer(struct MHD_Connection *c, const struct webconfig *wc,
                                  struct route_req *rq);
/* The request is complete: counts a refused trace post, frees the body. */
void http_route_done(struct route_req *rq);

/* A text reply with the security headers (and the configured ones, wc may
 * be NULL), counted by path and code. */
enum MHD_Result http_reply(struct MHD_Connection *c, const struct webconfig *wc, enum http_path p,
                           int code, const char *text);
/* http_reply with "Connection: close" (the connection closes after it). */
enum MHD_Result http_reply_closing(struct MHD_Connection *c, const struct webconfig *wc,
                                   enum http_path p, int code, const char *text);
/* The bytes of a whole http_reply (with "Connection: close"), appended to
 * out, for a reply the transport writes to the socket itself to a request
 * the handler never sees; counted (on the trace path also as a refused
 * post). */
void http_reply_raw(struct buf *out, const struct webconfig *wc, enum http_path p, int code,
                    const char *text);
/* The body text of an error status. */
const char *http_status_text(int code);

/* Writes slurm_exporter_http_requests_total. */
void http_routes_render_metrics(struct render *r);

/* Content negotiation, exposed for tests: returns 1 when the Accept header
 * prefers OpenMetrics, 0 for text 0.0.4. */
int http_wants_openmetrics(const char *accept);
/* Returns 1 when Accept-Encoding allows gzip (q > 0 for gzip, or for * when
 * gzip is not named). */
int http_wants_gzip(const char *accept_encoding);

#endif
