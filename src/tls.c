/* SPDX-License-Identifier: Apache-2.0 */
/* GnuTLS credentials and priorities from a web configuration. A context is
 * immutable once built and is handed to each new session, so replacing it
 * (a renewed certificate) affects the next handshake and never one in flight.
 * Client certificates are checked inside the handshake: a client that fails
 * the check never gets as far as an HTTP request. */
#include "tls.h"
#include "util/buf.h"
#include "util/file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_ctx {
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    enum webconfig_client_auth client_auth;
    char **sans;
    size_t nsans;
    double not_after, not_before;
    char priority[1024];
};

/* Go's cipher suite names and what GnuTLS calls their parts. GnuTLS picks
 * key exchange, cipher and MAC separately, so the suites offered are the
 * combinations of the parts named here (documented in configuration.md). */
static const struct {
    const char *go, *kx, *cipher, *mac;
    bool tls13;
} cipher_table[] = {
    {"TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD", true},
    {"TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD", true},
    {"TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD", true},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1", false},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1", false},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD", false},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1", false},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD", false},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD", false},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD",
     false},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD",
     false},
    /* Go's older spellings of the two above */
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD", false},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD", false},
};
#define NCIPHERS (sizeof(cipher_table) / sizeof(cipher_table[0]))

static const struct {
    const char *go, *group;
} curve_table[] = {
    {"CurveP256", "GROUP-SECP256R1"},
    {"CurveP384", "GROUP-SECP384R1"},
    {"CurveP521", "GROUP-SECP521R1"},
    {"X25519", "GROUP-X25519"},
};
#define NCURVES (sizeof(curve_table) / sizeof(curve_table[0]))

static int verify_refuse(gnutls_session_t s);
/* Never NULL: without a hook every client certificate is refused. */
static int (*verify_hook)(gnutls_session_t s) = verify_refuse;

/* What the credentials call: the hook as set now (contexts may be built
 * before the HTTP front end sets it). */
static int verify_trampoline(gnutls_session_t s)
{
    return verify_hook(s);
}

int tls_cipher_lookup(const char *name)
{
    for (size_t i = 0; i < NCIPHERS; i++)
        if (strcmp(cipher_table[i].go, name) == 0)
            return (int)i;
    return -1;
}

int tls_curve_lookup(const char *name)
{
    for (size_t i = 0; i < NCURVES; i++)
        if (strcmp(curve_table[i].go, name) == 0)
            return (int)i;
    return -1;
}

/* Appends ":+name" unless already present in the list being built. */
static void add_unique(struct buf *b, const char **seen, size_t *nseen, const char *name)
{
    for (size_t i = 0; i < *nseen; i++)
        if (strcmp(seen[i], name) == 0)
            return;
    seen[(*nseen)++] = name;
    buf_printf(b, ":+%s", name);
}

int tls_priority_string(const struct webconfig *wc, char *out, size_t n)
{
    struct buf b = {0};
    buf_puts(&b, "NORMAL:-VERS-ALL");
    static const struct {
        unsigned v;
        const char *name;
    } vers[] = {{WC_TLS13, "VERS-TLS1.3"},
                {WC_TLS12, "VERS-TLS1.2"},
                {WC_TLS11, "VERS-TLS1.1"},
                {WC_TLS10, "VERS-TLS1.0"}};
    for (size_t i = 0; i < 4; i++)
        if (vers[i].v >= wc->min_version && vers[i].v <= wc->max_version)
            buf_printf(&b, ":+%s", vers[i].name);
    size_t n12 = 0;
    for (size_t i = 0; i < wc->nciphers; i++)
        n12 += !cipher_table[wc->ciphers[i]].tls13;
    if (n12) {
        /* Go leaves TLS 1.3 out of cipher_suites; keep its ciphers when 1.3
         * is on, after the ones named (so they come last in preference). */
        const char *seen[NCIPHERS + 4];
        size_t ns = 0;
        buf_puts(&b, ":-CIPHER-ALL");
        for (size_t i = 0; i < wc->nciphers; i++)
            if (!cipher_table[wc->ciphers[i]].tls13)
                add_unique(&b, seen, &ns, cipher_table[wc->ciphers[i]].cipher);
        if (wc->max_version >= WC_TLS13)
            for (size_t i = 0; i < NCIPHERS; i++)
                if (cipher_table[i].tls13)
                    add_unique(&b, seen, &ns, cipher_table[i].cipher);
        ns = 0;
        buf_puts(&b, ":-KX-ALL");
        for (size_t i = 0; i < wc->nciphers; i++)
            if (!cipher_table[wc->ciphers[i]].tls13)
                add_unique(&b, seen, &ns, cipher_table[wc->ciphers[i]].kx);
        ns = 0;
        buf_puts(&b, ":-MAC-ALL");
        for (size_t i = 0; i < wc->nciphers; i++)
            if (!cipher_table[wc->ciphers[i]].tls13)
                add_unique(&b, seen, &ns, cipher_table[wc->ciphers[i]].mac);
        if (wc->max_version >= WC_TLS13)
            add_unique(&b, seen, &ns, "AEAD");
    }
    if (wc->ncurves) {
        const char *seen[NCURVES];
        size_t ns = 0;
        buf_puts(&b, ":-GROUP-ALL");
        for (size_t i = 0; i < wc->ncurves; i++)
            add_unique(&b, seen, &ns, curve_table[wc->curves[i]].group);
    } else {
        /* X25519 first: it is the key share Go, OpenSSL and GnuTLS clients
         * send, so TLS 1.3 needs no HelloRetryRequest round trip. */
        buf_puts(&b, ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1"
                     ":+GROUP-SECP521R1:+GROUP-X448:+GROUP-FFDHE2048:+GROUP-FFDHE3072"
                     ":+GROUP-FFDHE4096");
    }
    if (wc->prefer_server_cipher_suites)
        buf_puts(&b, ":%SERVER_PRECEDENCE");
    int rc = 0;
    if (b.len + 1 > n)
        rc = -ENOSPC;
    else
        memcpy(out, buf_cstr(&b), b.len + 1);
    buf_free(&b);
    return rc;
}

/* One message "CONFIG:LINE: what" into the caller's buffer; tfail() below
 * also yields -EINVAL. */
static void tfail_set(const struct webconfig *wc, int line, char *err, size_t errlen,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void tfail_set(const struct webconfig *wc, int line, char *err, size_t errlen,
                      const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err, errlen, "%s:%d: %s", wc->path, line, msg);
    else
        snprintf(err, errlen, "%s: %s", wc->path, msg);
    file_one_line(err);
}
#define tfail(...) (tfail_set(__VA_ARGS__), -EINVAL)

/* The PEM text of the certificate, key or CA: inline, or read from its file.
 * *what names it for messages ("cert_file \"/etc/x.pem\"" or "cert"). */
static int load_pem(const struct webconfig *wc, const char *file, const char *inline_pem,
                    const char *file_key, const char *inline_key, int line, char **out, size_t *len,
                    char *what, size_t whatlen, char *err, size_t errlen)
{
    if (inline_pem) {
        snprintf(what, whatlen, "%s", inline_key);
        *out = xstrdup(inline_pem);
        *len = strlen(inline_pem);
        return 0;
    }
    snprintf(what, whatlen, "%s \"%s\"", file_key, file);
    int rc = file_slurp(file, (size_t)1024 * 1024, out, len);
    if (rc == -EFBIG)
        return tfail(wc, line, err, errlen, "%s: larger than 1 MiB", what);
    if (rc)
        return tfail(wc, line, err, errlen, "%s: %s", what, strerror(-rc));
    return 0;
}

int tls_ctx_build(const struct webconfig *wc, struct tls_ctx **out, char *err, size_t errlen)
{
    struct tls_ctx *ctx = xcalloc(1, sizeof(*ctx));
    char *cert = NULL, *key = NULL, *ca = NULL;
    size_t cert_len = 0, key_len = 0, ca_len = 0;
    char cert_what[1100], key_what[1100], ca_what[1100];
    gnutls_x509_crt_t *crts = NULL;
    unsigned ncrts = 0;
    gnutls_x509_privkey_t pk = NULL;
    int rc = 0, g;

    rc = load_pem(wc, wc->cert_file, wc->cert_pem, "cert_file", "cert", wc->cert_line, &cert,
                  &cert_len, cert_what, sizeof(cert_what), err, errlen);
    if (rc)
        goto out;
    rc = load_pem(wc, wc->key_file, wc->key_pem, "key_file", "key", wc->key_line, &key, &key_len,
                  key_what, sizeof(key_what), err, errlen);
    if (rc)
        goto out;
    gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)cert_len};
    g = gnutls_x509_crt_list_import2(&crts, &ncrts, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (g < 0 || ncrts == 0) {
        rc = tfail(wc, wc->cert_line, err, errlen, "%s: no PEM certificate could be read (%s)",
                   cert_what, g < 0 ? gnutls_strerror(g) : "empty");
        goto out;
    }
    g = gnutls_x509_privkey_init(&pk);
    if (g >= 0) {
        gnutls_datum_t kd = {(unsigned char *)key, (unsigned)key_len};
        g = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
    }
    if (g < 0) {
        rc = tfail(wc, wc->key_line, err, errlen,
                   "%s: no unencrypted PEM private key could be read (%s)", key_what,
                   gnutls_strerror(g));
        goto out;
    }
    unsigned char kid1[64], kid2[64];
    size_t k1 = sizeof(kid1), k2 = sizeof(kid2);
    if (gnutls_x509_crt_get_key_id(crts[0], GNUTLS_KEYID_USE_SHA256, kid1, &k1) < 0 ||
        gnutls_x509_privkey_get_key_id(pk, GNUTLS_KEYID_USE_SHA256, kid2, &k2) < 0 || k1 != k2 ||
        memcmp(kid1, kid2, k1) != 0) {
        rc = tfail(wc, wc->key_line, err, errlen,
                   "%s does not match the certificate in %s (the first certificate must be the "
                   "server's own)",
                   key_what, cert_what);
        goto out;
    }
    ctx->not_after = (double)gnutls_x509_crt_get_expiration_time(crts[0]);
    ctx->not_before = (double)gnutls_x509_crt_get_activation_time(crts[0]);
    g = gnutls_certificate_allocate_credentials(&ctx->cred);
    if (g >= 0)
        g = gnutls_certificate_set_x509_key(ctx->cred, crts, ncrts, pk);
    if (g < 0) {
        rc = tfail(wc, wc->cert_line, err, errlen, "%s: GnuTLS refused the certificate: %s",
                   cert_what, gnutls_strerror(g));
        goto out;
    }
    gnutls_certificate_set_known_dh_params(ctx->cred, GNUTLS_SEC_PARAM_MEDIUM);
    if (wc->client_ca_file || wc->client_ca_pem) {
        rc = load_pem(wc, wc->client_ca_file, wc->client_ca_pem, "client_ca_file", "client_ca",
                      wc->client_ca_line, &ca, &ca_len, ca_what, sizeof(ca_what), err, errlen);
        if (rc)
            goto out;
        gnutls_datum_t ad = {(unsigned char *)ca, (unsigned)ca_len};
        g = gnutls_certificate_set_x509_trust_mem(ctx->cred, &ad, GNUTLS_X509_FMT_PEM);
        if (g <= 0) {
            rc = tfail(wc, wc->client_ca_line, err, errlen,
                       "%s: no PEM CA certificate could be read (%s)", ca_what,
                       g < 0 ? gnutls_strerror(g) : "none found");
            goto out;
        }
    }
    if (wc->client_auth != WC_NO_CLIENT_CERT)
        gnutls_certificate_set_verify_function(ctx->cred, verify_trampoline);
    ctx->client_auth = wc->client_auth;
    if (wc->nallowed_sans) {
        ctx->sans = xcalloc(wc->nallowed_sans, sizeof(*ctx->sans));
        for (size_t i = 0; i < wc->nallowed_sans; i++)
            ctx->sans[i] = xstrdup(wc->allowed_sans[i]);
        ctx->nsans = wc->nallowed_sans;
    }
    if (tls_priority_string(wc, ctx->priority, sizeof(ctx->priority)) < 0) {
        rc = tfail(wc, wc->tls_line, err, errlen, "tls_server_config: priority string too long");
        goto out;
    }
    const char *epos = NULL;
    g = gnutls_priority_init(&ctx->prio, ctx->priority, &epos);
    if (g < 0) {
        int line = wc->ciphers_line ? wc->ciphers_line
                                    : (wc->curves_line ? wc->curves_line : wc->tls_line);
        rc = tfail(wc, line, err, errlen,
                   "tls_server_config: GnuTLS cannot honour these versions, cipher suites or "
                   "curves (%s, at \"%s\")",
                   gnutls_strerror(g), epos ? epos : "?");
        ctx->prio = NULL;
        goto out;
    }
out:
    for (unsigned i = 0; i < ncrts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    if (pk)
        gnutls_x509_privkey_deinit(pk);
    free(cert);
    if (key) {
        explicit_bzero(key, key_len);
        free(key);
    }
    free(ca);
    if (rc) {
        tls_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->cred)
        gnutls_certificate_free_credentials(ctx->cred);
    if (ctx->prio)
        gnutls_priority_deinit(ctx->prio);
    for (size_t i = 0; i < ctx->nsans; i++)
        free(ctx->sans[i]);
    free(ctx->sans);
    free(ctx);
}

double tls_ctx_not_after(const struct tls_ctx *ctx)
{
    return ctx->not_after;
}

double tls_ctx_not_before(const struct tls_ctx *ctx)
{
    return ctx->not_before;
}

const char *tls_ctx_priority(const struct tls_ctx *ctx)
{
    return ctx->priority;
}

int tls_session_prepare(const struct tls_ctx *ctx, gnutls_session_t s)
{
    if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, ctx->cred) < 0 ||
        gnutls_priority_set(s, ctx->prio) < 0)
        return -EPROTO;
    gnutls_certificate_request_t req = GNUTLS_CERT_IGNORE;
    switch (ctx->client_auth) {
    case WC_NO_CLIENT_CERT:
        break;
    case WC_REQUEST_CLIENT_CERT:
    case WC_VERIFY_CLIENT_CERT_IF_GIVEN:
    case WC_REQUIRE_ANY_CLIENT_CERT:
    case WC_REQUIRE_AND_VERIFY_CLIENT_CERT:
        /* Only asked for: whether a certificate is required is decided by
         * tls_verify_client, which GnuTLS calls with or without one, so a
         * missing certificate is refused, logged and counted like a bad one
         * (and tls_client_cert_missing checks again per request). */
        req = GNUTLS_CERT_REQUEST;
        break;
    }
    gnutls_certificate_server_set_request(s, req);
    return 0;
}

/* True when one of the leaf certificate's SANs (DNS, e-mail, IP, URI) is in
 * the allowed list; exact match, as the exporter toolkit does. */
static bool san_allowed(const struct tls_ctx *ctx, const gnutls_datum_t *leaf, char *why,
                        size_t whylen)
{
    gnutls_x509_crt_t crt;
    bool ok = false;
    if (gnutls_x509_crt_init(&crt) < 0)
        return false;
    if (gnutls_x509_crt_import(crt, leaf, GNUTLS_X509_FMT_DER) < 0) {
        snprintf(why, whylen, "client certificate cannot be parsed");
        goto out;
    }
    for (unsigned idx = 0; !ok; idx++) {
        char v[1024];
        size_t sz = sizeof(v) - 1;
        unsigned critical = 0;
        int t = gnutls_x509_crt_get_subject_alt_name(crt, idx, v, &sz, &critical);
        if (t == GNUTLS_E_SHORT_MEMORY_BUFFER)
            continue;
        if (t < 0)
            break;
        char text[INET6_ADDRSTRLEN + 1];
        const char *s = NULL;
        if (t == GNUTLS_SAN_DNSNAME || t == GNUTLS_SAN_RFC822NAME || t == GNUTLS_SAN_URI) {
            v[sz] = '\0';
            if (strlen(v) == sz)
                s = v;
        } else if (t == GNUTLS_SAN_IPADDRESS && (sz == 4 || sz == 16)) {
            s = inet_ntop(sz == 4 ? AF_INET : AF_INET6, v, text, sizeof(text));
        }
        for (size_t i = 0; s && i < ctx->nsans; i++)
            ok = ok || strcmp(s, ctx->sans[i]) == 0;
    }
    if (!ok)
        snprintf(why, whylen, "no SAN of the client certificate is in client_allowed_sans");
out:
    gnutls_x509_crt_deinit(crt);
    return ok;
}

int tls_verify_client(const struct tls_ctx *ctx, gnutls_session_t s, char *why, size_t whylen)
{
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    if (!certs)
        n = 0;
    switch (ctx->client_auth) {
    case WC_NO_CLIENT_CERT:
    case WC_REQUEST_CLIENT_CERT:
        return 0;
    case WC_REQUIRE_ANY_CLIENT_CERT:
        if (n)
            return 0;
        snprintf(why, whylen, "no client certificate");
        return -EACCES;
    case WC_VERIFY_CLIENT_CERT_IF_GIVEN:
        if (!n)
            return 0;
        break;
    case WC_REQUIRE_AND_VERIFY_CLIENT_CERT:
        if (!n) {
            snprintf(why, whylen, "no client certificate");
            return -EACCES;
        }
        break;
    }
    /* Like Go: the chain must lead to client_ca and, where the leaf names
     * its purposes, client authentication must be one of them. */
    gnutls_typed_vdata_st data = {GNUTLS_DT_KEY_PURPOSE_OID,
                                  (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    unsigned status = 0;
    int g = gnutls_certificate_verify_peers(s, &data, 1, &status);
    if (g < 0) {
        snprintf(why, whylen, "client certificate not verified: %s", gnutls_strerror(g));
        return -EACCES;
    }
    if (status) {
        gnutls_datum_t txt = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0) >= 0 &&
            txt.data) {
            snprintf(why, whylen, "client certificate rejected: %s", (const char *)txt.data);
            gnutls_free(txt.data);
        } else {
            snprintf(why, whylen, "client certificate rejected (status 0x%x)", status);
        }
        return -EACCES;
    }
    if (ctx->nsans && !san_allowed(ctx, &certs[0], why, whylen))
        return -EACCES;
    return 0;
}

bool tls_client_cert_missing(const struct tls_ctx *ctx, gnutls_session_t s)
{
    if (ctx->client_auth != WC_REQUIRE_ANY_CLIENT_CERT &&
        ctx->client_auth != WC_REQUIRE_AND_VERIFY_CLIENT_CERT)
        return false;
    unsigned n = 0;
    return gnutls_certificate_get_peers(s, &n) == NULL || n == 0;
}

/* Fails every handshake that reaches client certificate verification. */
static int verify_refuse(gnutls_session_t s)
{
    (void)s;
    return -1;
}

void tls_set_verify_hook(int (*hook)(gnutls_session_t s))
{
    verify_hook = hook ? hook : verify_refuse;
}
