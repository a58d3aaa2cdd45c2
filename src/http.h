/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP front end (libmicrohttpd): routes, content negotiation, limits. It
 * never blocks on Slurm: /metrics hands out the current exposition. */
#ifndef SE_HTTP_H
#define SE_HTTP_H

#include "config.h"
#include "render.h"

int http_start(const struct config *cfg);
void http_stop(void);
/* Writes slurm_exporter_http_requests_total. */
void http_render_metrics(struct render *r);

/* Content negotiation, exposed for tests: returns 1 when the Accept header
 * prefers OpenMetrics, 0 for text 0.0.4. */
int http_wants_openmetrics(const char *accept);
/* Returns 1 when Accept-Encoding allows gzip (q > 0). */
int http_wants_gzip(const char *accept_encoding);

#endif
