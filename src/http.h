/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP front end (libmicrohttpd), the transport: daemons, connection limits
 * and deadlines, TLS, authentication, rate limit. What each path answers is
 * http_routes.h. It never blocks on Slurm: /metrics hands out the current
 * exposition. */
#ifndef SE_HTTP_H
#define SE_HTTP_H

#include "config.h"
#include "http_routes.h"
#include "render.h"

/* Starts one daemon per --web.listen-address (or per socket systemd passes
 * with --web.systemd-socket), with TLS and authentication from the live web
 * configuration (webconfig_live_init must have run), answering through the
 * routes served from hooks (copied). Returns 0, or a negative errno after
 * logging what failed. */
int http_start(const struct config *cfg, const struct http_hooks *hooks);
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
/* Writes the HTTP front end's self-metric families: requests (the routes'
 * counters), timeouts, web configuration reloads, TLS certificate. */
void http_render_metrics(struct render *r);

#endif
