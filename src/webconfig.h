/* SPDX-License-Identifier: Apache-2.0 */
/* --web.config.file: the exporter-toolkit web configuration (TLS, client
 * certificates, basic auth, response headers, rate limit), read strictly, and
 * the live, reference-counted state built from it that the HTTP front end
 * serves with. The state is rebuilt when the file or a file it names changes,
 * or on SIGHUP; a rebuild that fails leaves the old state in service. */
#ifndef SE_WEBCONFIG_H
#define SE_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum webconfig_client_auth {
    WC_NO_CLIENT_CERT,
    WC_REQUEST_CLIENT_CERT,
    WC_REQUIRE_ANY_CLIENT_CERT,
    WC_VERIFY_CLIENT_CERT_IF_GIVEN,
    WC_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* TLS protocol versions as on the wire (0x0301 = TLS 1.0 ... 0x0304 = 1.3). */
#define WC_TLS10 0x0301
#define WC_TLS11 0x0302
#define WC_TLS12 0x0303
#define WC_TLS13 0x0304

#define WC_MAX_LIST 64

struct webconfig_user {
    char *name;
    char *hash; /* bcrypt, $2a$/$2b$/$2y$ */
    int line;
};

struct webconfig_header {
    char *name;
    char *value;
    int line;
};

/* A parsed, validated web configuration. Paths are absolute or relative to
 * the working directory (relative names in the file are taken relative to the
 * file's own directory, as the exporter toolkit does). *_line is the line of
 * the key, for messages about the files it names; 0 when absent. */
struct webconfig {
    char *path; /* the configuration file itself */
    bool tls;   /* tls_server_config configures TLS */
    int tls_line;
    char *cert_file, *key_file, *client_ca_file;
    char *cert_pem, *key_pem, *client_ca_pem; /* inline cert, key, client_ca */
    int cert_line, key_line, client_ca_line;
    enum webconfig_client_auth client_auth;
    int client_auth_line;
    char *allowed_sans[WC_MAX_LIST];
    size_t nallowed_sans;
    unsigned min_version, max_version;
    int version_line;
    /* cipher_suites: indexes into the table in tls.c, in file order */
    int ciphers[WC_MAX_LIST];
    size_t nciphers;
    int ciphers_line;
    int curves[WC_MAX_LIST];
    size_t ncurves;
    int curves_line;
    bool prefer_server_cipher_suites;
    bool http2;
    struct webconfig_header headers[16];
    size_t nheaders;
    struct webconfig_user *users;
    size_t nusers;
    double rate_interval; /* seconds; 0 = no rate limit */
    long rate_burst;
};

/* Parses the YAML text of a web configuration read from path (used for
 * messages and to resolve relative file names). On error returns -EINVAL and
 * writes one line "PATH:LINE: what" (or "PATH: what") into err. */
int webconfig_parse(const char *path, const char *text, size_t len, struct webconfig **out,
                    char *err, size_t errlen);

/* Reads and parses the file at path (at most 1 MiB). Errors as above;
 * -errno from reading the file. */
int webconfig_read(const char *path, struct webconfig **out, char *err, size_t errlen);

/* Frees a configuration from webconfig_parse or webconfig_read; NULL is fine.
 * The inline key, if any, is wiped first. */
void webconfig_free(struct webconfig *wc);

/* Replaces control characters in an error message by '?', so that text
 * echoed from the file (a quoted key may hold a newline) keeps it one line. */
void webconfig_one_line(char *s);

/* Reads a whole file of at most cap bytes into a NUL-terminated malloc'ed
 * buffer. Returns 0, -EFBIG when larger, or -errno. */
int webconfig_slurp(const char *path, size_t cap, char **out, size_t *len);

/* Names of the client_auth_type values, for messages and docs. */
const char *webconfig_client_auth_name(enum webconfig_client_auth a);

/* ---- the live state -------------------------------------------------------------- */

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
