/* SPDX-License-Identifier: Apache-2.0 */
/* TLS with GnuTLS for the HTTP front end: credentials and priorities built
 * from a web configuration, applied per session (so each new handshake gets
 * the configuration current when it was accepted), and client certificate
 * checks run inside the handshake. */
#ifndef SE_TLS_H
#define SE_TLS_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

#include "webconfig_types.h"

struct tls_ctx;

/* Looks up a Go cipher suite name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ...)
 * and returns its index in the table, or -1 when unknown. */
int tls_cipher_lookup(const char *name);
/* Looks up a Go curve name (CurveP256, CurveP384, CurveP521, X25519); -1 when
 * unknown. */
int tls_curve_lookup(const char *name);

/* Writes the GnuTLS priority string for the configuration's versions,
 * cipher suites, curves and cipher preference. Returns 0, or -ENOSPC. */
int tls_priority_string(const struct webconfig *wc, char *out, size_t n);

/* Reads the certificate, key and client CA the configuration names and
 * builds the credentials. Every failure (unreadable file, no certificate, a
 * key that does not match its certificate, a priority GnuTLS refuses) returns
 * -EINVAL with one line "FILE:LINE: what" in err. */
int tls_ctx_build(const struct webconfig *wc, struct tls_ctx **out, char *err, size_t errlen);
/* Frees a context; sessions using it must have ended. NULL is fine. */
void tls_ctx_free(struct tls_ctx *ctx);

/* The served certificate's notAfter and notBefore (Unix time). */
double tls_ctx_not_after(const struct tls_ctx *ctx);
double tls_ctx_not_before(const struct tls_ctx *ctx);
/* The priority string in use, for logs. */
const char *tls_ctx_priority(const struct tls_ctx *ctx);

/* Gives a new server session this context's credentials, priorities and
 * client certificate request mode. Call before the handshake starts. Returns 0
 * or -EPROTO when GnuTLS refuses (the connection must then be dropped). */
int tls_session_prepare(const struct tls_ctx *ctx, gnutls_session_t s);

/* Checks the client's certificate on a finished handshake message flight
 * according to client_auth_type and client_allowed_sans. Returns 0 when the
 * handshake may go on, or -EACCES with the reason in why. */
int tls_verify_client(const struct tls_ctx *ctx, gnutls_session_t s, char *why, size_t whylen);

/* True when the configuration requires a client certificate and the
 * session has none: a second, per-request check behind the handshake's. */
bool tls_client_cert_missing(const struct tls_ctx *ctx, gnutls_session_t s);

/* The function GnuTLS calls to verify a client certificate during a
 * handshake; it must find the session's context and call tls_verify_client.
 * Set once before any daemon starts. */
void tls_set_verify_hook(int (*hook)(gnutls_session_t s));

#endif
