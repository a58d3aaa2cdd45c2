/* SPDX-License-Identifier: Apache-2.0 */
/* The live, reference-counted state the HTTP front end serves with, built
 * from the web configuration (webconfig.h) with TLS credentials (tls.h) and
 * the basic-auth verifier (auth.h). Rebuilt when the file or a file it names
 * changes, or on SIGHUP; a rebuild that fails leaves the old state in
 * service. */
#ifndef SE_WEBCONFIG_LIVE_H
#define SE_WEBCONFIG_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "webconfig_types.h"

struct tls_ctx;
struct auth;

/* Everything a connection is served with, built from one reading of the
 * configuration and its files. Immutable once published; a connection holds a
 * reference from accept to close, so a reload never changes the rules of a
 * connection in flight. */
struct web_state {
    int refs;
    unsigned generation;
    struct webconfig *cfg; /* NULL without --web.config.file */
    struct tls_ctx *tls;   /* NULL for plain HTTP */
    struct auth *auth;     /* NULL without basic_auth_users */
};

/* Loads the configuration at path (NULL or "" for none: plain HTTP, no
 * authentication) and makes it current. Start-up: on error writes one line
 * naming the file (and line) into err and returns -EINVAL. */
int webconfig_live_init(const char *path, char *err, size_t errlen);

/* Re-reads the configuration if it or a file it names changed since the last
 * attempt (force: even if nothing seems to have changed). Returns 1 after a
 * successful swap, 0 when nothing changed, or a negative errno when the new
 * configuration was refused (logged; the old one stays in service). Safe from
 * any thread; concurrent callers do not wait for each other (try_only). */
int webconfig_live_reload(bool force, bool try_only);

/* A reference to the current state; never NULL after webconfig_live_init. */
struct web_state *webconfig_live_acquire(void);
/* Drops a reference; the last one frees the state (credentials, users). */
void webconfig_live_release(struct web_state *ws);

/* Frees the current state (after every connection has gone). */
void webconfig_live_shutdown(void);

/* Reload counters and the served certificate's expiry, for self-metrics. */
struct webconfig_live_stats {
    uint64_t reloads_ok, reloads_failed;
    bool last_ok;
    double last_success_time;
    bool tls;
    double cert_not_after; /* Unix time; 0 without TLS */
};
/* Fills out with the current counters (thread safe). */
void webconfig_live_stats(struct webconfig_live_stats *out);

#endif
