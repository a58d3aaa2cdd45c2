/* SPDX-License-Identifier: Apache-2.0 */
/* The web configuration as data (what webconfig_parse produces): the plain
 * types TLS, authentication and the HTTP front end read, without the parser
 * or the live state. */
#ifndef SE_WEBCONFIG_TYPES_H
#define SE_WEBCONFIG_TYPES_H

#include <stdbool.h>
#include <stddef.h>

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
    bool empty; /* no keys at all (an empty file, or blanks and comments only) */
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

#endif
