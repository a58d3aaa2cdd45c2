/* SPDX-License-Identifier: Apache-2.0 */
/* The web configuration: the YAML subset reader, every schema error with its
 * exact message and line, TLS priority strings, loading certificates and keys
 * (made here with GnuTLS in a temporary directory, never committed), and the
 * live state: reload on change, keep the old state when a reload fails. */
#include "testutil.h"

#include "tls.h"
#include "util/yaml.h"
#include "webconfig.h"
#include "webconfig_live.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- YAML --------------------------------------------------------------------------- */

static struct yaml_node *yaml_ok(const char *text)
{
    struct yaml_node *n = NULL;
    struct yaml_error e;
    if (yaml_parse(text, strlen(text), &n, &e) != 0)
        fail_msg("yaml_parse(\"%s\") failed at line %d: %s", text, e.line, e.msg);
    return n;
}

static void yaml_bad(const char *text, int line, const char *needle)
{
    struct yaml_node *n = NULL;
    struct yaml_error e;
    int rc = yaml_parse(text, strlen(text), &n, &e);
    if (rc == 0)
        fail_msg("yaml_parse accepted \"%s\"", text);
    assert_null(n);
    if (e.line != line || !strstr(e.msg, needle))
        fail_msg("\"%s\": got line %d \"%s\", expected line %d with \"%s\"", text, e.line, e.msg,
                 line, needle);
}

static const struct yaml_node *get(const struct yaml_node *m, const char *key)
{
    assert_int_equal(m->type, YAML_MAP);
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0)
            return m->items[i];
    fail_msg("no key %s", key);
    return NULL;
}

static void test_yaml_structure(void **state)
{
    (void)state;
    struct yaml_node *n = yaml_ok("# comment\n---\n"
                                  "a:\n"
                                  "  b: plain value # trailing\n"
                                  "  c: \"dq \\\"x\\\" \\u00e9 # not a comment\"\n"
                                  "  d: 'it''s'\n"
                                  "  e:\n"
                                  "  - one\n"
                                  "  - \"two\"\n"
                                  "  f: [x, 'y', \"z\"]\n"
                                  "  g: |\n"
                                  "    line1\n"
                                  "      indented\n"
                                  "\n"
                                  "    # kept\n"
                                  "  h: |-\n"
                                  "    no newline\n"
                                  "  i:\n"
                                  "  j: ~\n"
                                  "  k: {}\n"
                                  "  l: []\n"
                                  "  url: spiffe://cluster/ns:x\n"
                                  "\"quoted key\": 1\n"
                                  "...\n");
    const struct yaml_node *a = get(n, "a");
    assert_string_equal(get(a, "b")->str, "plain value");
    assert_string_equal(get(a, "c")->str, "dq \"x\" \xc3\xa9 # not a comment");
    assert_string_equal(get(a, "d")->str, "it's");
    const struct yaml_node *e = get(a, "e");
    assert_int_equal(e->type, YAML_SEQ);
    assert_int_equal(e->n, 2);
    assert_string_equal(e->items[1]->str, "two");
    assert_int_equal(e->items[1]->line, 9);
    const struct yaml_node *f = get(a, "f");
    assert_int_equal(f->n, 3);
    assert_string_equal(f->items[2]->str, "z");
    assert_string_equal(get(a, "g")->str, "line1\n  indented\n\n# kept\n");
    assert_string_equal(get(a, "h")->str, "no newline");
    assert_int_equal(get(a, "i")->type, YAML_NULL);
    assert_int_equal(get(a, "j")->type, YAML_NULL);
    assert_int_equal(get(a, "k")->type, YAML_MAP);
    assert_int_equal(get(a, "l")->type, YAML_SEQ);
    assert_string_equal(get(a, "url")->str, "spiffe://cluster/ns:x");
    assert_string_equal(get(n, "quoted key")->str, "1");
    assert_int_equal(a->key_lines[0], 4);
    yaml_free(n);
    /* empty documents */
    n = yaml_ok("");
    assert_int_equal(n->type, YAML_NULL);
    yaml_free(n);
    n = yaml_ok("# only a comment\n\n");
    assert_int_equal(n->type, YAML_NULL);
    yaml_free(n);
    /* CRLF line ends and a byte order mark */
    n = yaml_ok("\xEF\xBB\xBFk: v\r\nl: w\r\n");
    assert_string_equal(get(n, "l")->str, "w");
    yaml_free(n);
}

static void test_yaml_errors(void **state)
{
    (void)state;
    yaml_bad("a:\n\tb: 1\n", 2, "tab characters");
    yaml_bad("a: 1\nb: 2\na: 3\n", 3, "duplicate key \"a\" (first on line 1)");
    yaml_bad("a: &x 1\n", 1, "anchors and aliases");
    yaml_bad("a: *x\n", 1, "anchors and aliases");
    yaml_bad("a: !tag x\n", 1, "tags");
    yaml_bad("a: >\n  folded\n", 1, "folded scalars");
    yaml_bad("a: b: c\n", 1, "unexpected ':'");
    yaml_bad("a: \"open\n", 1, "unterminated double-quoted");
    yaml_bad("a: 'open\n", 1, "unterminated single-quoted");
    yaml_bad("a: \"\\q\"\n", 1, "unsupported escape");
    yaml_bad("a:\n  - k: v\n", 2, "mappings inside lists");
    yaml_bad("a:\n  b\n  c\n", 3, "multi-line plain values");
    yaml_bad("a: 1\n---\nb: 2\n", 2, "only one YAML document");
    yaml_bad("a: [1, [2]]\n", 1, "nested flow");
    yaml_bad("a: [1, 2\n", 1, "unterminated flow sequence");
    yaml_bad("a: {b: 1}\n", 1, "flow mappings");
    yaml_bad("a: 1\n  b: 2\n", 2, "unexpected indentation");
    yaml_bad("  a: 1\n", 1, "must not be indented");
    yaml_bad("a: \"x\" y\n", 1, "after a quoted string");
    yaml_bad("? a\n", 1, "complex keys");
    yaml_bad("%YAML 1.2\n---\na: 1\n", 1, "directives");
    yaml_bad("a: 1\nnot a key\n", 2, "expected \"key: value\"");
    yaml_bad("a:\n- 1\nb: 2\n- 3\n", 4, "found a list item");
    yaml_bad("a: 1\n...\nb: 2\n", 3, "after the document end marker");
    struct yaml_node *n = NULL;
    struct yaml_error e;
    assert_int_equal(yaml_parse("a: 1\nb: x\0y\n", 11, &n, &e), -EINVAL);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.msg, "NUL byte in the file");
}

/* ---- schema ------------------------------------------------------------------------- */

static struct webconfig *wc_ok(const char *text)
{
    struct webconfig *wc = NULL;
    char err[512] = "";
    if (webconfig_parse("/etc/se/web.yml", text, strlen(text), &wc, err, sizeof(err)) != 0)
        fail_msg("refused: %s", err);
    return wc;
}

/* The configuration is refused with exactly this message. */
static void wc_bad(const char *text, const char *want)
{
    struct webconfig *wc = NULL;
    char err[512] = "";
    int rc = webconfig_parse("/etc/se/web.yml", text, strlen(text), &wc, err, sizeof(err));
    if (rc != -EINVAL)
        fail_msg("accepted (rc %d): %s", rc, text);
    assert_null(wc);
    if (strcmp(err, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", err, want);
}

static const char hash10[] = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";

static void test_schema_good(void **state)
{
    (void)state;
    struct webconfig *wc = wc_ok("");
    assert_false(wc->tls);
    assert_int_equal(wc->nusers, 0);
    assert_true(wc->empty);
    webconfig_free(wc);
    wc = wc_ok("# nothing yet\n\n");
    assert_true(wc->empty);
    webconfig_free(wc);
    wc = wc_ok("basic_auth_users:\n");
    assert_false(wc->empty);
    assert_int_equal(wc->nusers, 0);
    webconfig_free(wc);

    char text[2048];
    snprintf(text, sizeof(text),
             "tls_server_config:\n"
             "  cert_file: server.crt\n"
             "  key_file: /abs/server.key\n"
             "  client_auth_type: RequireAndVerifyClientCert\n"
             "  client_ca_file: \"ca.pem\"\n"
             "  client_allowed_sans: [\"prometheus.example\", 10.0.0.1]\n"
             "  min_version: TLS13\n"
             "  max_version: TLS13\n"
             "  cipher_suites:\n"
             "  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
             "  curve_preferences: [X25519, CurveP256]\n"
             "  prefer_server_cipher_suites: false\n"
             "http_server_config:\n"
             "  http2: false\n"
             "  headers:\n"
             "    X-Frame-Options: sameorigin\n"
             "    Strict-Transport-Security: max-age=31536000; includeSubDomains\n"
             "    X-XSS-Protection: \"\"\n"
             "basic_auth_users:\n"
             "  alice: %s\n"
             "  bob: '%s'\n"
             "rate_limit:\n"
             "  interval: 100ms\n"
             "  burst: 5\n",
             hash10, hash10);
    wc = wc_ok(text);
    assert_true(wc->tls);
    assert_string_equal(wc->cert_file, "/etc/se/server.crt");
    assert_string_equal(wc->key_file, "/abs/server.key");
    assert_string_equal(wc->client_ca_file, "/etc/se/ca.pem");
    assert_int_equal(wc->client_auth, WC_REQUIRE_AND_VERIFY_CLIENT_CERT);
    assert_int_equal(wc->nallowed_sans, 2);
    assert_string_equal(wc->allowed_sans[1], "10.0.0.1");
    assert_int_equal(wc->min_version, WC_TLS13);
    assert_int_equal(wc->nciphers, 1);
    assert_int_equal(wc->ncurves, 2);
    assert_false(wc->prefer_server_cipher_suites);
    assert_int_equal(wc->nheaders, 2); /* the blank one is unset */
    assert_string_equal(wc->headers[0].value, "sameorigin");
    assert_int_equal(wc->nusers, 2);
    assert_string_equal(wc->users[1].name, "bob");
    assert_int_equal(wc->users[0].line, 20);
    assert_true(wc->rate_interval > 0.099 && wc->rate_interval < 0.101);
    assert_int_equal(wc->rate_burst, 5);
    webconfig_free(wc);

    /* the toolkit's old name, inline PEM, basic auth without TLS */
    wc = wc_ok("tls_server_config:\n"
               "  cert: |\n"
               "    -----BEGIN CERTIFICATE-----\n"
               "    abc\n"
               "  key: |\n"
               "    k\n"
               "  client_auth_type: RequireClientCert\n");
    assert_int_equal(wc->client_auth, WC_REQUIRE_ANY_CLIENT_CERT);
    assert_string_equal(wc->cert_pem, "-----BEGIN CERTIFICATE-----\nabc\n");
    webconfig_free(wc);
    /* an empty tls_server_config means plain HTTP, as in the toolkit */
    wc = wc_ok("tls_server_config:\n  min_version: TLS12\n");
    assert_false(wc->tls);
    webconfig_free(wc);
}

static void test_schema_errors(void **state)
{
    (void)state;
    const char *tls = "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n";
    char t[1024];
    wc_bad("foo: 1\n", "/etc/se/web.yml:1: unknown key \"foo\" (expected tls_server_config, "
                       "http_server_config, basic_auth_users or rate_limit)");
    wc_bad("tls_server_config:\n  cert_filse: s.crt\n",
           "/etc/se/web.yml:2: unknown key \"cert_filse\" in tls_server_config");
    wc_bad("http_server_config:\n  header: {}\n",
           "/etc/se/web.yml:2: unknown key \"header\" in http_server_config");
    wc_bad("rate_limit:\n  every: 1s\n", "/etc/se/web.yml:2: unknown key \"every\" in rate_limit");
    wc_bad("- a\n", "/etc/se/web.yml:1: expected a mapping at the top level, got a list");
    wc_bad("tls_server_config: yes\n",
           "/etc/se/web.yml:1: tls_server_config: expected a mapping, got a string");
    wc_bad("tls_server_config:\n  cert_file: [a]\n",
           "/etc/se/web.yml:2: tls_server_config.cert_file: expected a string, got a list");
    wc_bad("tls_server_config:\n  key_file: s.key\n",
           "/etc/se/web.yml:1: tls_server_config: missing one of cert or cert_file");
    wc_bad("tls_server_config:\n  cert_file: s.crt\n",
           "/etc/se/web.yml:1: tls_server_config: missing one of key or key_file");
    wc_bad("tls_server_config:\n  cert_file: \"\"\n  key_file: s.key\n",
           "/etc/se/web.yml:1: tls_server_config: missing one of cert or cert_file");
    wc_bad("tls_server_config:\n  cert_file: s.crt\n  cert: x\n  key_file: k\n",
           "/etc/se/web.yml:3: tls_server_config: set only one of cert and cert_file");
    snprintf(t, sizeof(t), "%s  client_auth_type: Sometimes\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config.client_auth_type: unknown value "
              "\"Sometimes\" (expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
              "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
    snprintf(t, sizeof(t), "%s  client_ca_file: ca.pem\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config: a client CA is configured but "
              "client_auth_type is NoClientCert (set client_auth_type: "
              "RequireAndVerifyClientCert)");
    snprintf(t, sizeof(t), "%s  client_auth_type: RequireAndVerifyClientCert\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config: client_auth_type RequireAndVerifyClientCert "
              "needs client_ca_file (or client_ca) to verify client certificates against");
    snprintf(t, sizeof(t),
             "%s  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [a]\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config: client_allowed_sans needs client_auth_type "
              "RequireAndVerifyClientCert or VerifyClientCertIfGiven (the SANs of an unverified "
              "certificate prove nothing)");
    snprintf(t, sizeof(t), "%s  min_version: TLS14\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config.min_version: unknown TLS version \"TLS14\" "
              "(expected TLS10, TLS11, TLS12 or TLS13)");
    snprintf(t, sizeof(t), "%s  min_version: TLS13\n  max_version: TLS12\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config: min_version is above max_version");
    snprintf(t, sizeof(t),
             "%s  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
             "    - TLS_RSA_WITH_RC4_128_SHA\n",
             tls);
    wc_bad(t, "/etc/se/web.yml:6: tls_server_config.cipher_suites: unknown cipher "
              "\"TLS_RSA_WITH_RC4_128_SHA\" (Go names such as "
              "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)");
    snprintf(t, sizeof(t), "%s  curve_preferences: [CurveP256, P-999]\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config.curve_preferences: unknown curve \"P-999\" "
              "(expected CurveP256, CurveP384, CurveP521 or X25519)");
    snprintf(t, sizeof(t), "%s  prefer_server_cipher_suites: maybe\n", tls);
    wc_bad(t, "/etc/se/web.yml:4: tls_server_config.prefer_server_cipher_suites: expected true "
              "or false, got \"maybe\"");
    wc_bad("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
           "/etc/se/web.yml:1: tls_server_config: TLS settings without cert_file and key_file");
    wc_bad("http_server_config:\n  headers:\n    X-Powered-By: me\n",
           "/etc/se/web.yml:3: http_server_config.headers: HTTP header \"X-Powered-By\" can not "
           "be configured (allowed: Strict-Transport-Security, X-Content-Type-Options, "
           "X-Frame-Options, X-XSS-Protection, Content-Security-Policy)");
    wc_bad("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
           "/etc/se/web.yml:3: http_server_config.headers: invalid value for X-Frame-Options: "
           "\"allow\" (expected deny or sameorigin)");
    wc_bad("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
           "/etc/se/web.yml:3: http_server_config.headers: invalid value for "
           "X-Content-Type-Options: \"sniff\" (expected nosniff)");
    wc_bad("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: "
           "x\"\n",
           "/etc/se/web.yml:3: http_server_config.headers: Content-Security-Policy: control "
           "characters are not allowed in a header value");
    wc_bad("http_server_config:\n  http2: 2\n",
           "/etc/se/web.yml:2: http_server_config.http2: expected true or false, got \"2\"");
    wc_bad("basic_auth_users:\n  john: doe\n",
           "/etc/se/web.yml:2: basic_auth_users: user \"john\": the password must be a bcrypt "
           "hash ($2y$, $2b$ or $2a$, cost 04 to 31, 60 characters), e.g. from htpasswd -nBC 10 "
           "\"\"");
    wc_bad(
        "basic_auth_users:\n  john: $2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n",
        "/etc/se/web.yml:2: basic_auth_users: user \"john\": the password must be a bcrypt "
        "hash ($2y$, $2b$ or $2a$, cost 04 to 31, 60 characters), e.g. from htpasswd -nBC 10 "
        "\"\"");
    snprintf(t, sizeof(t), "basic_auth_users:\n  \"a:b\": %s\n", hash10);
    wc_bad(t, "/etc/se/web.yml:2: basic_auth_users: invalid user name \"a:b\" (no ':' or control "
              "characters, shorter than 256 bytes)");
    wc_bad("basic_auth_users:\n  john:\n    - x\n",
           "/etc/se/web.yml:2: basic_auth_users: user \"john\": expected a bcrypt hash, got a "
           "list");
    wc_bad("basic_auth_users: [a]\n",
           "/etc/se/web.yml:1: basic_auth_users: expected a mapping of user: bcrypt hash, got a "
           "list");
    wc_bad("rate_limit:\n  interval: soon\n  burst: 1\n",
           "/etc/se/web.yml:2: rate_limit.interval: expected a duration like 1s or 100ms, got "
           "\"soon\"");
    wc_bad("rate_limit:\n  interval: 1s\n  burst: -1\n",
           "/etc/se/web.yml:3: rate_limit.burst: expected an integer from 0 to 1000000, got "
           "\"-1\"");
    wc_bad("rate_limit:\n  interval: 1s\n",
           "/etc/se/web.yml:2: rate_limit: burst must be at least 1 when interval is set");
    /* YAML errors carry the file and line too */
    wc_bad("tls_server_config:\n\tcert_file: x\n",
           "/etc/se/web.yml:2: tab characters are not allowed in indentation");
}

static void test_read_errors(void **state)
{
    (void)state;
    struct webconfig *wc = NULL;
    char err[512];
    assert_int_equal(webconfig_read("/nonexistent/web.yml", &wc, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "/nonexistent/web.yml: cannot read: No such file or directory");
    assert_int_equal(webconfig_read("/tmp", &wc, err, sizeof(err)), -EISDIR);
    assert_string_equal(err, "/tmp: cannot read: Is a directory");
}

/* ---- priorities ---------------------------------------------------------------------- */

static void prio(const char *yaml, const char *want)
{
    struct webconfig *wc = wc_ok(yaml);
    char p[1024];
    assert_int_equal(tls_priority_string(wc, p, sizeof(p)), 0);
    if (strcmp(p, want) != 0)
        fail_msg("priority\n  got:  %s\n  want: %s", p, want);
    gnutls_priority_t pc;
    const char *epos = NULL;
    if (gnutls_priority_init(&pc, p, &epos) < 0)
        fail_msg("GnuTLS refuses %s at %s", p, epos ? epos : "?");
    gnutls_priority_deinit(pc);
    webconfig_free(wc);
}

#define GROUPS                                                                                     \
    ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:+GROUP-X448:"    \
    "+GROUP-FFDHE2048:+GROUP-FFDHE3072:+GROUP-FFDHE4096"

static void test_priority(void **state)
{
    (void)state;
    const char *base = "tls_server_config:\n  cert_file: a\n  key_file: b\n";
    char t[1024];
    prio(base, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" GROUPS ":%SERVER_PRECEDENCE");
    snprintf(t, sizeof(t), "%s  min_version: TLS10\n  max_version: TLS12\n", base);
    prio(t, "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0" GROUPS ":%SERVER_PRECEDENCE");
    snprintf(t, sizeof(t),
             "%s  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "
             "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA]\n  prefer_server_cipher_suites: false\n",
             base);
    prio(t, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-CBC:-KX-ALL:"
            "+ECDHE-RSA:+ECDHE-ECDSA:-MAC-ALL:+AEAD:+SHA1" GROUPS);
    /* TLS 1.3 keeps its AEAD ciphers, as in Go */
    snprintf(t, sizeof(t), "%s  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA]\n", base);
    prio(t, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-128-GCM:"
            "+AES-256-GCM:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:-MAC-ALL:+SHA1:+AEAD" GROUPS
            ":%SERVER_PRECEDENCE");
    /* TLS 1.3 names alone change nothing (Go ignores them) */
    snprintf(t, sizeof(t), "%s  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", base);
    prio(t, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" GROUPS ":%SERVER_PRECEDENCE");
    snprintf(t, sizeof(t), "%s  curve_preferences: [CurveP384, X25519, CurveP384]\n", base);
    prio(t, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-GROUP-ALL:+GROUP-SECP384R1:"
            "+GROUP-X25519:%SERVER_PRECEDENCE");
}

/* ---- certificates --------------------------------------------------------------------- */

static char tmpdir[64];

static char *tpath(const char *name)
{
    static char p[8][256];
    static int i;
    i = (i + 1) % 8;
    snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
    return p[i];
}

static gnutls_x509_privkey_t make_key(void)
{
    gnutls_x509_privkey_t k;
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_int_equal(gnutls_x509_privkey_generate(
                         k, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    return k;
}

/* A certificate for key, signed by (ca, ca_key) or self-signed when ca is
 * NULL; valid from now + from_s to now + to_s. */
static gnutls_x509_crt_t make_cert(const char *cn, gnutls_x509_privkey_t key, bool is_ca,
                                   gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key, long from_s,
                                   long to_s, unsigned serial)
{
    gnutls_x509_crt_t c;
    assert_int_equal(gnutls_x509_crt_init(&c), 0);
    gnutls_x509_crt_set_version(c, 3);
    unsigned char ser[4] = {(unsigned char)(serial >> 24), (unsigned char)(serial >> 16),
                            (unsigned char)(serial >> 8), (unsigned char)serial};
    gnutls_x509_crt_set_serial(c, ser, sizeof(ser));
    time_t now = time(NULL);
    gnutls_x509_crt_set_activation_time(c, now + from_s);
    gnutls_x509_crt_set_expiration_time(c, now + to_s);
    char dn[128];
    snprintf(dn, sizeof(dn), "CN=%s", cn);
    assert_int_equal(gnutls_x509_crt_set_dn(c, dn, NULL), 0);
    gnutls_x509_crt_set_key(c, key);
    gnutls_x509_crt_set_basic_constraints(c, is_ca, -1);
    if (is_ca)
        gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
    else
        gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                             GNUTLS_FSAN_SET);
    assert_int_equal(gnutls_x509_crt_sign2(c, ca ? ca : c, ca ? ca_key : key, GNUTLS_DIG_SHA256, 0),
                     0);
    return c;
}

static void write_cert(const char *name, gnutls_x509_crt_t c)
{
    gnutls_datum_t d;
    assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d), 0);
    assert_int_equal(tu_write_file(tpath(name), (const char *)d.data, d.size), 0);
    gnutls_free(d.data);
}

static void write_key(const char *name, gnutls_x509_privkey_t k)
{
    gnutls_datum_t d;
    assert_int_equal(gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d), 0);
    assert_int_equal(tu_write_file(tpath(name), (const char *)d.data, d.size), 0);
    gnutls_free(d.data);
}

static void write_text(const char *name, const char *text)
{
    assert_int_equal(tu_write_file(tpath(name), text, strlen(text)), 0);
}

static int pki_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/se-webconfig-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    gnutls_x509_privkey_t cak = make_key(), k1 = make_key(), k2 = make_key();
    gnutls_x509_crt_t ca = make_cert("Test CA", cak, true, NULL, NULL, -60, 86400, 1);
    gnutls_x509_crt_t c1 = make_cert("server one", k1, false, ca, cak, -60, 86400, 2);
    gnutls_x509_crt_t c2 = make_cert("server two", k2, false, ca, cak, -60, 2 * 86400, 3);
    gnutls_x509_crt_t old = make_cert("expired", k1, false, ca, cak, -86400, -3600, 4);
    write_cert("ca.pem", ca);
    write_cert("s1.pem", c1);
    write_key("s1.key", k1);
    write_cert("s2.pem", c2);
    write_key("s2.key", k2);
    write_cert("old.pem", old);
    write_text("garbage.pem", "this is not PEM\n");
    write_text("empty.pem", "");
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(c1);
    gnutls_x509_crt_deinit(c2);
    gnutls_x509_crt_deinit(old);
    gnutls_x509_privkey_deinit(cak);
    gnutls_x509_privkey_deinit(k1);
    gnutls_x509_privkey_deinit(k2);
    return 0;
}

static int pki_teardown(void **state)
{
    (void)state;
    const char *names[] = {"ca.pem",      "s1.pem",    "s1.key",  "s2.pem",   "s2.key",  "old.pem",
                           "garbage.pem", "empty.pem", "web.yml", "cert.pem", "cert.key"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(tpath(names[i]));
    rmdir(tmpdir);
    return 0;
}

/* Builds a TLS context from a configuration written in tmpdir. */
static int build(const char *yaml, char *err, size_t errlen, double *not_after)
{
    write_text("web.yml", yaml);
    struct webconfig *wc = NULL;
    int rc = webconfig_read(tpath("web.yml"), &wc, err, errlen);
    if (rc)
        return rc;
    struct tls_ctx *ctx = NULL;
    rc = tls_ctx_build(wc, &ctx, err, errlen);
    if (rc == 0) {
        if (not_after)
            *not_after = tls_ctx_not_after(ctx);
        tls_ctx_free(ctx);
    }
    webconfig_free(wc);
    return rc;
}

/* want with every '@' replaced by the temporary directory. */
static void build_bad(const char *yaml, const char *tmpl)
{
    char err[1024] = "", want[1024];
    size_t n = 0;
    for (const char *p = tmpl; *p && n + sizeof(tmpdir) < sizeof(want); p++) {
        if (*p == '@') {
            memcpy(want + n, tmpdir, strlen(tmpdir));
            n += strlen(tmpdir);
        } else {
            want[n++] = *p;
        }
    }
    want[n] = '\0';
    if (build(yaml, err, sizeof(err), NULL) != -EINVAL)
        fail_msg("accepted: %s", yaml);
    if (strcmp(err, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", err, want);
}

static void test_tls_build(void **state)
{
    (void)state;
    char err[1024] = "";
    double na = 0;
    if (build("tls_server_config:\n  cert_file: s1.pem\n  key_file: s1.key\n"
              "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
              err, sizeof(err), &na) != 0)
        fail_msg("%s", err);
    assert_true(na > (double)time(NULL) + 86000);
    /* an expired certificate loads (a warning is logged at run time) */
    if (build("tls_server_config:\n  cert_file: old.pem\n  key_file: s1.key\n", err, sizeof(err),
              &na) != 0)
        fail_msg("%s", err);
    assert_true(na < (double)time(NULL));

    build_bad("tls_server_config:\n  cert_file: missing.pem\n  key_file: s1.key\n",
              "@/web.yml:2: cert_file \"@/missing.pem\": No such file or directory");
    build_bad("tls_server_config:\n  cert_file: s1.pem\n  key_file: missing.key\n",
              "@/web.yml:3: key_file \"@/missing.key\": No such file or directory");
    build_bad("tls_server_config:\n  cert_file: garbage.pem\n  key_file: s1.key\n",
              "@/web.yml:2: cert_file \"@/garbage.pem\": no PEM certificate could be read "
              "(No certificate was found.)");
    build_bad("tls_server_config:\n  cert_file: s1.pem\n  key_file: s1.pem\n",
              "@/web.yml:3: key_file \"@/s1.pem\": no unencrypted PEM private key could be read "
              "(The requested data were not available.)");
    build_bad("tls_server_config:\n  cert_file: s1.pem\n  key_file: s2.key\n",
              "@/web.yml:3: key_file \"@/s2.key\" does not match the certificate in cert_file "
              "\"@/s1.pem\" (the first certificate must be the server's own)");
    build_bad("tls_server_config:\n  cert_file: s1.pem\n  key_file: s1.key\n"
              "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: empty.pem\n",
              "@/web.yml:5: client_ca_file \"@/empty.pem\": no PEM CA certificate could be read "
              "(none found)");
    build_bad("tls_server_config:\n  cert_file: .\n  key_file: s1.key\n",
              "@/web.yml:2: cert_file \"@/.\": Is a directory");
}

/* ---- live state --------------------------------------------------------------------- */

static void copy(const char *from, const char *to)
{
    size_t len = 0;
    char *d = tu_read_file(tpath(from), &len);
    assert_non_null(d);
    /* write to a temporary name and rename, as renewal tools do */
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", tpath(to));
    assert_int_equal(tu_write_file(tmp, d, len), 0);
    assert_int_equal(rename(tmp, tpath(to)), 0);
    free(d);
}

static void test_live(void **state)
{
    (void)state;
    log_setup(LOG_ERROR, LOG_LOGFMT);
    copy("s1.pem", "cert.pem");
    copy("s1.key", "cert.key");
    write_text("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: cert.key\n");
    char err[1024] = "";
    if (webconfig_live_init(tpath("web.yml"), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct web_state *a = webconfig_live_acquire();
    assert_non_null(a->tls);
    double na1 = tls_ctx_not_after(a->tls);
    assert_int_equal(webconfig_live_reload(false, false), 0); /* nothing changed */

    /* a renewed certificate: new state, the old one alive while held */
    copy("s2.pem", "cert.pem");
    copy("s2.key", "cert.key");
    assert_int_equal(webconfig_live_reload(false, false), 1);
    struct web_state *b = webconfig_live_acquire();
    assert_ptr_not_equal(a, b);
    assert_true(tls_ctx_not_after(b->tls) > na1 + 3600);
    assert_true(tls_ctx_not_after(a->tls) == na1);
    webconfig_live_release(a);

    /* half a renewal (certificate without its key): refused, old kept */
    copy("s1.pem", "cert.pem");
    assert_true(webconfig_live_reload(false, false) < 0);
    struct web_state *c = webconfig_live_acquire();
    assert_ptr_equal(b, c);
    webconfig_live_release(c);
    struct webconfig_live_stats st;
    webconfig_live_stats(&st);
    assert_false(st.last_ok);
    assert_int_equal(st.reloads_failed, 1);
    /* ... completed by the key: accepted */
    copy("s1.key", "cert.key");
    assert_int_equal(webconfig_live_reload(false, false), 1);
    webconfig_live_stats(&st);
    assert_true(st.last_ok);
    assert_true(st.cert_not_after > 0);

    /* a broken configuration file: refused, old kept */
    write_text("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  bogus: 1\n");
    assert_true(webconfig_live_reload(false, false) < 0);
    /* turning TLS off needs a restart */
    write_text("web.yml", "basic_auth_users: {}\n");
    assert_true(webconfig_live_reload(true, false) < 0);
    c = webconfig_live_acquire();
    assert_non_null(c->tls);
    webconfig_live_release(c);
    /* SIGHUP reloads even when nothing seems changed */
    write_text("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: cert.key\n");
    assert_int_equal(webconfig_live_reload(true, false), 1);
    webconfig_live_release(b);
    webconfig_live_shutdown();

    /* start-up errors name the file and line */
    write_text("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: s2.key\n");
    assert_int_equal(webconfig_live_init(tpath("web.yml"), err, sizeof(err)), -EINVAL);
    char want[512];
    snprintf(want, sizeof(want), "%s/web.yml:3: key_file", tmpdir);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("%s", err);
    webconfig_live_shutdown();
    /* no file: plain HTTP */
    assert_int_equal(webconfig_live_init(NULL, err, sizeof(err)), 0);
    c = webconfig_live_acquire();
    assert_null(c->tls);
    assert_null(c->auth);
    webconfig_live_release(c);
    assert_int_equal(webconfig_live_reload(true, false), 0);
    webconfig_live_shutdown();
}

/* A file rewritten in place reads empty or cut short for a moment: a reload
 * keeps basic auth on and keeps a configuration with keys over an empty file. */
static void test_live_truncated(void **state)
{
    (void)state;
    log_setup(LOG_ERROR, LOG_LOGFMT);
    char full[256];
    snprintf(full, sizeof(full),
             "http_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n"
             "  prom: %s\n",
             hash10);
    write_text("web.yml", full);
    char err[1024] = "";
    if (webconfig_live_init(tpath("web.yml"), err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct web_state *a = webconfig_live_acquire();
    assert_non_null(a->auth);
    struct webconfig_live_stats st0, st;
    webconfig_live_stats(&st0);
    const char *cut[] = {"", "# rewriting\n", "http_server_config:\n", "basic_auth_users:\n",
                         "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"};
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        write_text("web.yml", cut[i]);
        if (webconfig_live_reload(true, false) >= 0)
            fail_msg("reload of \"%s\" accepted", cut[i]);
        struct web_state *c = webconfig_live_acquire();
        assert_ptr_equal(a, c);
        webconfig_live_release(c);
    }
    webconfig_live_stats(&st);
    assert_false(st.last_ok);
    assert_int_equal(st.reloads_failed - st0.reloads_failed, 5);
    assert_int_equal(st.reloads_ok - st0.reloads_ok, 0);
    /* fewer users is not a downgrade */
    write_text("web.yml", full);
    assert_int_equal(webconfig_live_reload(true, false), 1);
    webconfig_live_release(a);
    webconfig_live_shutdown();

    /* without basic auth too, an empty file is not taken over one with keys */
    write_text("web.yml", "http_server_config:\n  headers:\n    X-Frame-Options: deny\n");
    assert_int_equal(webconfig_live_init(tpath("web.yml"), err, sizeof(err)), 0);
    write_text("web.yml", "");
    assert_true(webconfig_live_reload(true, false) < 0);
    /* turning basic auth on while running is fine */
    write_text("web.yml", full);
    assert_int_equal(webconfig_live_reload(true, false), 1);
    webconfig_live_shutdown();

    /* an empty file at start-up: plain HTTP, and an empty file again reloads */
    write_text("web.yml", "");
    assert_int_equal(webconfig_live_init(tpath("web.yml"), err, sizeof(err)), 0);
    assert_int_equal(webconfig_live_reload(true, false), 1);
    webconfig_live_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_structure), cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_schema_good),    cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_read_errors),    cmocka_unit_test(test_priority),
        cmocka_unit_test(test_tls_build),      cmocka_unit_test(test_live),
        cmocka_unit_test(test_live_truncated),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
