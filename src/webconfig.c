/* SPDX-License-Identifier: Apache-2.0 */
/* The exporter-toolkit web configuration: a strict schema over the YAML
 * subset reader (unknown keys, wrong types and bad values are errors naming
 * the line). Pure: file in, struct webconfig out; the live state built from
 * it is webconfig_live.c. */
#include "webconfig.h"
#include "auth.h"
#include "config.h"
#include "tls.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WC_MAX_FILE ((size_t)1024 * 1024)
#define WC_MAX_USERS 1000

static const char *const client_auth_names[] = {"NoClientCert", "RequestClientCert",
                                                "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                                "RequireAndVerifyClientCert"};

const char *webconfig_client_auth_name(enum webconfig_client_auth a)
{
    return (unsigned)a < 5 ? client_auth_names[a] : "?";
}

struct wparse {
    const char *path;
    char *err;
    size_t errlen;
    struct webconfig *wc;
};

/* Writes "PATH:LINE: message"; perr() below also yields -EINVAL. */
__attribute__((format(printf, 3, 4))) static void perr_set(struct wparse *p, int line,
                                                           const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
    else
        snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
    file_one_line(p->err);
}

#define perr(...) (perr_set(__VA_ARGS__), -EINVAL)

void webconfig_free(struct webconfig *wc)
{
    if (!wc)
        return;
    free(wc->path);
    free(wc->cert_file);
    free(wc->key_file);
    free(wc->client_ca_file);
    free(wc->cert_pem);
    if (wc->key_pem) {
        explicit_bzero(wc->key_pem, strlen(wc->key_pem));
        free(wc->key_pem);
    }
    free(wc->client_ca_pem);
    for (size_t i = 0; i < wc->nallowed_sans; i++)
        free(wc->allowed_sans[i]);
    for (size_t i = 0; i < wc->nheaders; i++) {
        free(wc->headers[i].name);
        free(wc->headers[i].value);
    }
    for (size_t i = 0; i < wc->nusers; i++) {
        free(wc->users[i].name);
        free(wc->users[i].hash);
    }
    free(wc->users);
    free(wc);
}

/* The value of a key that must be a string; NULL (unset) for an empty value. */
static int want_string(struct wparse *p, const char *section, const char *key,
                       const struct yaml_node *v, const char **out)
{
    if (v->type == YAML_NULL) {
        *out = NULL;
        return 0;
    }
    if (v->type != YAML_SCALAR)
        return perr(p, v->line, "%s%s%s: expected a string, got %s", section ? section : "",
                    section ? "." : "", key, yaml_type_name(v));
    *out = v->str[0] ? v->str : NULL; /* "" is unset, as in the toolkit */
    return 0;
}

static int want_bool(struct wparse *p, const char *section, const char *key,
                     const struct yaml_node *v, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
    if (v->type == YAML_SCALAR) {
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(v->str, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcmp(v->str, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    return perr(p, v->line, "%s.%s: expected true or false, got %s%s%s%s", section, key,
                v->type == YAML_SCALAR ? "\"" : "", v->type == YAML_SCALAR ? v->str : "",
                v->type == YAML_SCALAR ? "\"" : "",
                v->type == YAML_SCALAR ? "" : yaml_type_name(v));
}

/* A list of strings; an empty value is an empty list. */
static int want_list(struct wparse *p, const char *key, const struct yaml_node *v,
                     const struct yaml_node ***items, size_t *n)
{
    if (v->type == YAML_NULL) {
        *n = 0;
        return 0;
    }
    if (v->type != YAML_SEQ)
        return perr(p, v->line, "tls_server_config.%s: expected a list, got %s", key,
                    yaml_type_name(v));
    if (v->n > WC_MAX_LIST)
        return perr(p, v->line, "tls_server_config.%s: too many entries (at most %d)", key,
                    WC_MAX_LIST);
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type != YAML_SCALAR)
            return perr(p, v->items[i]->line, "tls_server_config.%s: expected a string, got %s",
                        key, yaml_type_name(v->items[i]));
    *items = (const struct yaml_node **)v->items;
    *n = v->n;
    return 0;
}

static bool has_ctl(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return true;
    return false;
}

/* Relative file names are relative to the configuration file's directory. */
static char *resolve_path(const char *cfg_path, const char *name)
{
    if (name[0] == '/')
        return xstrdup(name);
    const char *slash = strrchr(cfg_path, '/');
    if (!slash)
        return xstrdup(name);
    size_t dl = (size_t)(slash - cfg_path);
    size_t n = dl + 1 + strlen(name) + 1;
    char *r = xmalloc(n);
    snprintf(r, n, "%.*s/%s", (int)dl, cfg_path, name);
    return r;
}

static int parse_version(struct wparse *p, const char *key, const struct yaml_node *v,
                         unsigned *out)
{
    const char *s = NULL;
    int rc = want_string(p, "tls_server_config", key, v, &s);
    if (rc || !s)
        return rc;
    static const struct {
        const char *name;
        unsigned v;
    } vers[] = {{"TLS10", WC_TLS10}, {"TLS11", WC_TLS11}, {"TLS12", WC_TLS12}, {"TLS13", WC_TLS13}};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, vers[i].name) == 0) {
            *out = vers[i].v;
            return 0;
        }
    }
    return perr(p, v->line,
                "tls_server_config.%s: unknown TLS version \"%s\" (expected TLS10, TLS11, TLS12 "
                "or TLS13)",
                key, s);
}

static int parse_tls(struct wparse *p, const struct yaml_node *m)
{
    struct webconfig *wc = p->wc;
    if (m->type == YAML_NULL)
        return 0;
    if (m->type != YAML_MAP)
        return perr(p, m->line, "tls_server_config: expected a mapping, got %s", yaml_type_name(m));
    const char *cert = NULL, *key = NULL, *ca = NULL, *cert_file = NULL, *key_file = NULL,
               *ca_file = NULL, *client_auth = NULL;
    int ca_line = 0;
    int rc = 0;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const char *k = m->keys[i];
        const struct yaml_node *v = m->items[i];
        int line = m->key_lines[i];
        if (strcmp(k, "cert") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &cert);
            wc->cert_line = line;
        } else if (strcmp(k, "key") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &key);
            wc->key_line = line;
        } else if (strcmp(k, "client_ca") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &ca);
            ca_line = line;
        } else if (strcmp(k, "cert_file") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &cert_file);
            wc->cert_line = line;
        } else if (strcmp(k, "key_file") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &key_file);
            wc->key_line = line;
        } else if (strcmp(k, "client_ca_file") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &ca_file);
            ca_line = line;
        } else if (strcmp(k, "client_auth_type") == 0) {
            rc = want_string(p, "tls_server_config", k, v, &client_auth);
            wc->client_auth_line = line;
        } else if (strcmp(k, "client_allowed_sans") == 0) {
            const struct yaml_node **it = NULL;
            size_t n = 0;
            rc = want_list(p, k, v, &it, &n);
            for (size_t j = 0; rc == 0 && j < n; j++) {
                if (it[j]->str[0] == '\0' || has_ctl(it[j]->str))
                    rc = perr(p, it[j]->line,
                              "tls_server_config.client_allowed_sans: empty or invalid entry");
                else
                    wc->allowed_sans[wc->nallowed_sans++] = xstrdup(it[j]->str);
            }
        } else if (strcmp(k, "min_version") == 0) {
            rc = parse_version(p, k, v, &wc->min_version);
            wc->version_line = line;
        } else if (strcmp(k, "max_version") == 0) {
            rc = parse_version(p, k, v, &wc->max_version);
            if (!wc->version_line)
                wc->version_line = line;
        } else if (strcmp(k, "cipher_suites") == 0) {
            const struct yaml_node **it = NULL;
            size_t n = 0;
            rc = want_list(p, k, v, &it, &n);
            wc->ciphers_line = line;
            for (size_t j = 0; rc == 0 && j < n; j++) {
                int c = tls_cipher_lookup(it[j]->str);
                if (c < 0)
                    rc = perr(p, it[j]->line,
                              "tls_server_config.cipher_suites: unknown cipher \"%s\" (Go names "
                              "such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)",
                              it[j]->str);
                else
                    wc->ciphers[wc->nciphers++] = c;
            }
        } else if (strcmp(k, "curve_preferences") == 0) {
            const struct yaml_node **it = NULL;
            size_t n = 0;
            rc = want_list(p, k, v, &it, &n);
            wc->curves_line = line;
            for (size_t j = 0; rc == 0 && j < n; j++) {
                int c = tls_curve_lookup(it[j]->str);
                if (c < 0)
                    rc = perr(p, it[j]->line,
                              "tls_server_config.curve_preferences: unknown curve \"%s\" "
                              "(expected CurveP256, CurveP384, CurveP521 or X25519)",
                              it[j]->str);
                else
                    wc->curves[wc->ncurves++] = c;
            }
        } else if (strcmp(k, "prefer_server_cipher_suites") == 0) {
            rc = want_bool(p, "tls_server_config", k, v, &wc->prefer_server_cipher_suites);
        } else {
            rc = perr(p, line, "unknown key \"%s\" in tls_server_config", k);
        }
    }
    if (rc)
        return rc;
    if (client_auth) {
        bool found = false;
        for (int a = 0; a < 5; a++) {
            if (strcmp(client_auth, client_auth_names[a]) == 0) {
                wc->client_auth = (enum webconfig_client_auth)a;
                found = true;
            }
        }
        if (strcmp(client_auth, "RequireClientCert") == 0) { /* the toolkit's old name */
            wc->client_auth = WC_REQUIRE_ANY_CLIENT_CERT;
            found = true;
        }
        if (!found)
            return perr(p, wc->client_auth_line,
                        "tls_server_config.client_auth_type: unknown value \"%s\" (expected "
                        "NoClientCert, RequestClientCert, RequireAnyClientCert, "
                        "VerifyClientCertIfGiven or RequireAndVerifyClientCert)",
                        client_auth);
    }
    /* As in the toolkit: any of these turns TLS on. */
    wc->tls = cert || key || ca || cert_file || key_file || ca_file || client_auth;
    if (!wc->tls) {
        if (wc->nciphers || wc->ncurves || wc->nallowed_sans)
            return perr(p, wc->tls_line,
                        "tls_server_config: TLS settings without cert_file and key_file");
        return 0;
    }
    if (cert && cert_file)
        return perr(p, wc->cert_line, "tls_server_config: set only one of cert and cert_file");
    if (key && key_file)
        return perr(p, wc->key_line, "tls_server_config: set only one of key and key_file");
    if (ca && ca_file)
        return perr(p, ca_line, "tls_server_config: set only one of client_ca and client_ca_file");
    if (!cert && !cert_file)
        return perr(p, wc->tls_line, "tls_server_config: missing one of cert or cert_file");
    if (!key && !key_file)
        return perr(p, wc->tls_line, "tls_server_config: missing one of key or key_file");
    wc->cert_file = cert_file ? resolve_path(p->path, cert_file) : NULL;
    wc->key_file = key_file ? resolve_path(p->path, key_file) : NULL;
    wc->client_ca_file = ca_file ? resolve_path(p->path, ca_file) : NULL;
    wc->cert_pem = cert ? xstrdup(cert) : NULL;
    wc->key_pem = key ? xstrdup(key) : NULL;
    wc->client_ca_pem = ca ? xstrdup(ca) : NULL;
    wc->client_ca_line = ca_line;
    bool have_ca = ca || ca_file;
    bool verifies = wc->client_auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN ||
                    wc->client_auth == WC_REQUIRE_AND_VERIFY_CLIENT_CERT;
    if (have_ca && wc->client_auth == WC_NO_CLIENT_CERT)
        return perr(p, ca_line,
                    "tls_server_config: a client CA is configured but client_auth_type is "
                    "NoClientCert (set client_auth_type: RequireAndVerifyClientCert)");
    if (verifies && !have_ca)
        return perr(p, wc->client_auth_line,
                    "tls_server_config: client_auth_type %s needs client_ca_file (or client_ca) "
                    "to verify client certificates against",
                    client_auth_names[wc->client_auth]);
    if (wc->nallowed_sans && !verifies)
        return perr(p, wc->client_auth_line ? wc->client_auth_line : wc->tls_line,
                    "tls_server_config: client_allowed_sans needs client_auth_type "
                    "RequireAndVerifyClientCert or VerifyClientCertIfGiven (the SANs of an "
                    "unverified certificate prove nothing)");
    if (wc->min_version > wc->max_version)
        return perr(p, wc->version_line, "tls_server_config: min_version is above max_version");
    return 0;
}

static const struct {
    const char *name;
    const char *const values[3]; /* allowed values; none = any */
} allowed_headers[] = {
    {"Strict-Transport-Security", {NULL}},
    {"X-Content-Type-Options", {"nosniff", NULL}},
    {"X-Frame-Options", {"deny", "sameorigin", NULL}},
    {"X-XSS-Protection", {NULL}},
    {"Content-Security-Policy", {NULL}},
};

static int parse_http(struct wparse *p, const struct yaml_node *m)
{
    struct webconfig *wc = p->wc;
    if (m->type == YAML_NULL)
        return 0;
    if (m->type != YAML_MAP)
        return perr(p, m->line, "http_server_config: expected a mapping, got %s",
                    yaml_type_name(m));
    for (size_t i = 0; i < m->n; i++) {
        const char *k = m->keys[i];
        const struct yaml_node *v = m->items[i];
        int rc = 0;
        if (strcmp(k, "http2") == 0) {
            rc = want_bool(p, "http_server_config", k, v, &wc->http2);
        } else if (strcmp(k, "headers") == 0) {
            if (v->type == YAML_NULL)
                continue;
            if (v->type != YAML_MAP)
                return perr(p, v->line, "http_server_config.headers: expected a mapping, got %s",
                            yaml_type_name(v));
            for (size_t j = 0; j < v->n; j++) {
                const char *name = v->keys[j];
                const struct yaml_node *hv = v->items[j];
                int hl = v->key_lines[j];
                size_t h;
                for (h = 0; h < sizeof(allowed_headers) / sizeof(allowed_headers[0]); h++)
                    if (strcmp(allowed_headers[h].name, name) == 0)
                        break;
                if (h == sizeof(allowed_headers) / sizeof(allowed_headers[0]))
                    return perr(p, hl,
                                "http_server_config.headers: HTTP header \"%s\" can not be "
                                "configured (allowed: Strict-Transport-Security, "
                                "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
                                "Content-Security-Policy)",
                                name);
                const char *val = NULL;
                rc = want_string(p, "http_server_config.headers", name, hv, &val);
                if (rc)
                    return rc;
                if (!val || !*val)
                    continue; /* "unset if blank" */
                if (has_ctl(val))
                    return perr(p, hl,
                                "http_server_config.headers: %s: control characters are not "
                                "allowed in a header value",
                                name);
                const char *const *allowed = allowed_headers[h].values;
                if (allowed[0]) {
                    bool ok = false;
                    for (size_t a = 0; allowed[a]; a++)
                        ok = ok || strcmp(allowed[a], val) == 0;
                    if (!ok)
                        return perr(p, hl,
                                    "http_server_config.headers: invalid value for %s: \"%s\" "
                                    "(expected %s%s%s)",
                                    name, val, allowed[0], allowed[1] ? " or " : "",
                                    allowed[1] ? allowed[1] : "");
                }
                struct webconfig_header *hd = &wc->headers[wc->nheaders++];
                hd->name = xstrdup(allowed_headers[h].name);
                hd->value = xstrdup(val);
                hd->line = hl;
            }
        } else {
            rc = perr(p, m->key_lines[i], "unknown key \"%s\" in http_server_config", k);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_users(struct wparse *p, const struct yaml_node *m)
{
    struct webconfig *wc = p->wc;
    if (m->type == YAML_NULL)
        return 0;
    if (m->type != YAML_MAP)
        return perr(p, m->line, "basic_auth_users: expected a mapping of user: bcrypt hash, got %s",
                    yaml_type_name(m));
    if (m->n > WC_MAX_USERS)
        return perr(p, m->line, "basic_auth_users: too many users (at most %d)", WC_MAX_USERS);
    wc->users = xcalloc(m->n ? m->n : 1, sizeof(*wc->users));
    for (size_t i = 0; i < m->n; i++) {
        const char *name = m->keys[i];
        const struct yaml_node *v = m->items[i];
        int line = m->key_lines[i];
        if (!*name || strchr(name, ':') || has_ctl(name) || strlen(name) >= AUTH_MAX_USER)
            return perr(p, line,
                        "basic_auth_users: invalid user name \"%s\" (no ':' or control "
                        "characters, shorter than %d bytes)",
                        name, AUTH_MAX_USER);
        if (v->type != YAML_SCALAR)
            return perr(p, line, "basic_auth_users: user \"%s\": expected a bcrypt hash, got %s",
                        name, yaml_type_name(v));
        int cost = 0;
        if (!auth_hash_valid(v->str, &cost))
            return perr(p, line,
                        "basic_auth_users: user \"%s\": the password must be a bcrypt hash "
                        "($2y$, $2b$ or $2a$, cost 04 to 31, 60 characters), e.g. from "
                        "htpasswd -nBC 10 \"\"",
                        name);
        wc->users[wc->nusers].name = xstrdup(name);
        wc->users[wc->nusers].hash = xstrdup(v->str);
        wc->users[wc->nusers].line = line;
        wc->nusers++;
    }
    return 0;
}

static int parse_rate(struct wparse *p, const struct yaml_node *m)
{
    struct webconfig *wc = p->wc;
    if (m->type == YAML_NULL)
        return 0;
    if (m->type != YAML_MAP)
        return perr(p, m->line, "rate_limit: expected a mapping, got %s", yaml_type_name(m));
    int interval_line = m->line;
    for (size_t i = 0; i < m->n; i++) {
        const char *k = m->keys[i];
        const struct yaml_node *v = m->items[i];
        const char *s = NULL;
        int rc = want_string(p, "rate_limit", k, v, &s);
        if (rc)
            return rc;
        if (strcmp(k, "interval") == 0) {
            interval_line = m->key_lines[i];
            double d = 0;
            if (s && (config_parse_duration(s, &d) < 0 || d > 86400))
                return perr(p, m->key_lines[i],
                            "rate_limit.interval: expected a duration like 1s or 100ms, got "
                            "\"%s\"",
                            s);
            wc->rate_interval = d;
        } else if (strcmp(k, "burst") == 0) {
            char *end = NULL;
            errno = 0;
            long b = s ? strtol(s, &end, 10) : 0;
            if (s && (!*s || *end || errno || b < 0 || b > 1000000))
                return perr(p, m->key_lines[i],
                            "rate_limit.burst: expected an integer from 0 to 1000000, got \"%s\"",
                            s);
            wc->rate_burst = b;
        } else {
            return perr(p, m->key_lines[i], "unknown key \"%s\" in rate_limit", k);
        }
    }
    if (wc->rate_interval > 0 && wc->rate_burst < 1)
        return perr(p, interval_line, "rate_limit: burst must be at least 1 when interval is set");
    return 0;
}

int webconfig_parse(const char *path, const char *text, size_t len, struct webconfig **out,
                    char *err, size_t errlen)
{
    struct webconfig *wc = xcalloc(1, sizeof(*wc));
    wc->path = xstrdup(path);
    wc->min_version = WC_TLS12;
    wc->max_version = WC_TLS13;
    wc->prefer_server_cipher_suites = true;
    wc->http2 = true;
    struct wparse p = {path, err, errlen, wc};
    struct yaml_node *root = NULL;
    struct yaml_error ye;
    int rc = yaml_parse(text, len, &root, &ye);
    if (rc) {
        rc = perr(&p, ye.line, "%s", ye.msg);
        goto out;
    }
    if (root->type == YAML_NULL) {
        wc->empty = true; /* plain HTTP, no authentication (refused on reload) */
        goto out;
    }
    if (root->type != YAML_MAP) {
        rc = perr(&p, root->line, "expected a mapping at the top level, got %s",
                  yaml_type_name(root));
        goto out;
    }
    for (size_t i = 0; i < root->n && rc == 0; i++) {
        const char *k = root->keys[i];
        const struct yaml_node *v = root->items[i];
        if (strcmp(k, "tls_server_config") == 0) {
            wc->tls_line = root->key_lines[i];
            rc = parse_tls(&p, v);
        } else if (strcmp(k, "http_server_config") == 0) {
            rc = parse_http(&p, v);
        } else if (strcmp(k, "basic_auth_users") == 0) {
            rc = parse_users(&p, v);
        } else if (strcmp(k, "rate_limit") == 0) {
            rc = parse_rate(&p, v);
        } else {
            rc = perr(&p, root->key_lines[i],
                      "unknown key \"%s\" (expected tls_server_config, http_server_config, "
                      "basic_auth_users or rate_limit)",
                      k);
        }
    }
out:
    yaml_free(root);
    if (rc) {
        webconfig_free(wc);
        return rc;
    }
    *out = wc;
    return 0;
}

int webconfig_read(const char *path, struct webconfig **out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc = file_slurp(path, WC_MAX_FILE, &text, &len);
    if (rc) {
        if (rc == -EFBIG)
            snprintf(err, errlen, "%s: file larger than 1 MiB", path);
        else
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
        file_one_line(err);
        return rc;
    }
    rc = webconfig_parse(path, text, len, out, err, errlen);
    free(text);
    return rc;
}
