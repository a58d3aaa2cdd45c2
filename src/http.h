/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP front end (libmicrohttpd): routes, content negotiation, limits. It
 * never blocks on Slurm: /metrics hands out the current exposition. */
#ifndef SE_HTTP_H
#define SE_HTTP_H

#include "config.h"
#include "render.h"

/* Starts one daemon per --web.listen-address (or per socket systemd passes
 * with --web.systemd-socket), with TLS and authentication from the live web
 * configuration (webconfig_live_init must have run). Returns 0, or a negative
 * errno after logging what failed. */
int http_start(const struct config *cfg);
/* Takes the sockets systemd passes (with --web.systemd-socket) and removes
 * $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES from the environment in any
 * case. Call before any thread starts. Returns 0 or a negative errno (logged);
 * http_start then fails. */
int http_take_systemd_sockets(const struct config *cfg);
/* Stops accepting, finishes waiting authentications, stops the daemons. */
void http_stop(void);
/* Closes connections past their deadline (--web.read-header-timeout,
 * --web.write-timeout). Call about once a second. */
void http_reap(void);
/* Writes slurm_exporter_http_requests_total. */
void http_render_metrics(struct render *r);

/* Content negotiation, exposed for tests: returns 1 when the Accept header
 * prefers OpenMetrics, 0 for text 0.0.4. */
int http_wants_openmetrics(const char *accept);
/* Returns 1 when Accept-Encoding allows gzip (q > 0). */
int http_wants_gzip(const char *accept_encoding);

#endif
