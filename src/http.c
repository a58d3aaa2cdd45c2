/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd front end: one daemon per listen address (or per socket
 * systemd passes), internal thread pool, TLS from the live web configuration
 * applied per connection, basic auth checked off the HTTP threads, and limits
 * on connections, header size, bodies and time per connection. */
#include "http.h"
#include "auth.h"
#include "exposition.h"
#include "poller.h"
#include "tls.h"
#include "trace.h"
#include "util/clock.h"
#include "util/log.h"
#include "webconfig_live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DAEMONS MAX_LISTEN

enum path_id { P_METRICS, P_ROOT, P_HEALTHY, P_READY, P_TRACE, P_OTHER, P_COUNT };
static const char *const path_names[P_COUNT] = {
    "(telemetry path)", "/", "/-/healthy", "/-/ready", "(trace path)", "other"};
static const int codes[] = {200, 400, 401, 403, 404, 405, 406, 413, 415, 429, 431, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

/* Where a connection is in its life, for the deadlines. */
enum conn_stage { CS_HEAD, CS_RESPONSE, CS_IDLE };

/* One accepted connection: the web state it was accepted under (held until
 * it closes), its socket and its current deadline. Lives in the connection's
 * socket context and in the list the reaper walks. */
struct conn {
    struct web_state *ws;
    int fd;
    enum conn_stage stage;
    double deadline; /* monotonic */
    bool shut;
    struct conn *prev, *next;
};

enum auth_state { AS_NONE, AS_PENDING, AS_OK, AS_FAIL, AS_BUSY, AS_DOWN };

/* One request (con_cls): created at its first handler call, freed when
 * libmicrohttpd reports it complete. */
struct req {
    enum path_id p;
    int early; /* a status decided from the head alone, or 0 */
    int auth;  /* enum auth_state, atomic */
    struct MHD_Connection *c;
    struct auth_job job;
    /* a trace post: its body so far (at most --trace.max-body bytes) */
    bool post;
    bool counted; /* its outcome is counted in the trace counters */
    char *body;
    size_t body_len;
};

static enum trace_reason trace_reason_of_status(int code);

static struct {
    struct MHD_Daemon *d[MAX_DAEMONS];
    char addr[MAX_DAEMONS][128];
    size_t n;
    const struct config *cfg;
    bool tls;
    int sd_fds[MAX_DAEMONS]; /* sockets from systemd */
    size_t nsd;
    int sd_rc;
    uint64_t requests[P_COUNT][NCODES];
    uint64_t timeouts[2]; /* header, response */
    uint64_t cert_rejections;
    pthread_mutex_t mu; /* the connection list and deadlines */
    struct conn *conns;
    struct log_limit cert_log;
    /* rate_limit token bucket */
    pthread_mutex_t rate_mu;
    unsigned rate_gen;
    double rate_tokens, rate_last;
} H = {.mu = PTHREAD_MUTEX_INITIALIZER, .rate_mu = PTHREAD_MUTEX_INITIALIZER};

static void count(enum path_id p, int code)
{
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i] == code)
            __atomic_add_fetch(&H.requests[p][i], 1, __ATOMIC_RELAXED);
}

void http_render_metrics(struct render *r)
{
    render_family(r, "slurm_exporter_http_requests", M_COUNTER,
                  "HTTP requests served, by path (metrics = the telemetry path) and status code.");
    for (int p = 0; p < P_COUNT; p++) {
        for (size_t i = 0; i < NCODES; i++) {
            uint64_t v = __atomic_load_n(&H.requests[p][i], __ATOMIC_RELAXED);
            if (!v && codes[i] != 200)
                continue;
            char code[8];
            snprintf(code, sizeof(code), "%d", codes[i]);
            if (p == P_TRACE && !H.cfg->trace_enabled)
                continue;
            const char *path = p == P_METRICS ? H.cfg->telemetry_path
                               : p == P_TRACE ? H.cfg->trace_path
                                              : path_names[p];
            struct label l[2] = {{"path", path}, {"code", code}};
            render_sample(r, l, 2, (double)v);
        }
    }
    render_family(r, "slurm_exporter_http_timeouts", M_COUNTER,
                  "Connections closed because the request head (TLS handshake included) or the "
                  "response took longer than --web.read-header-timeout or --web.write-timeout.");
    static const char *const stages[2] = {"header", "response"};
    for (int i = 0; i < 2; i++) {
        struct label l[1] = {{"stage", stages[i]}};
        render_sample(r, l, 1, (double)__atomic_load_n(&H.timeouts[i], __ATOMIC_RELAXED));
    }
    if (!H.cfg->web_config_file || !H.cfg->web_config_file[0])
        return;
    struct webconfig_live_stats st;
    webconfig_live_stats(&st);
    render_family(r, "slurm_exporter_web_config_reloads", M_COUNTER,
                  "Reloads of --web.config.file (and the files it names) by result.");
    struct label l[1] = {{"result", "success"}};
    render_sample(r, l, 1, (double)st.reloads_ok);
    l[0].value = "failure";
    render_sample(r, l, 1, (double)st.reloads_failed);
    render_family(r, "slurm_exporter_web_config_last_reload_successful", M_GAUGE,
                  "1 when the last load of the web configuration succeeded; 0 means the previous "
                  "configuration is still served (see the log).");
    render_sample(r, NULL, 0, st.last_ok ? 1 : 0);
    if (st.tls) {
        render_family(r, "slurm_exporter_tls_certificate_not_after_timestamp_seconds", M_GAUGE,
                      "Expiry (Unix time) of the TLS certificate being served.");
        render_sample(r, NULL, 0, st.cert_not_after);
        render_family(r, "slurm_exporter_tls_client_certificate_rejections", M_COUNTER,
                      "TLS handshakes refused because the client certificate was missing, "
                      "untrusted, expired or had no allowed SAN (see client_auth_type).");
        render_sample(r, NULL, 0, (double)__atomic_load_n(&H.cert_rejections, __ATOMIC_RELAXED));
    }
}

/* q-value of the media range matching type in an Accept header; -1 if none. */
static double accept_q(const char *h, const char *type)
{
    double best = -1;
    const char *p = h;
    size_t tl = strlen(type);
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *semi = memchr(p, ';', len);
        size_t ml = semi ? (size_t)(semi - p) : len;
        while (ml && p[ml - 1] == ' ')
            ml--;
        if (ml == tl && strncasecmp(p, type, tl) == 0) {
            double q = 1;
            const char *qp = semi;
            while (qp && qp < p + len) {
                while (*qp == ';' || *qp == ' ')
                    qp++;
                if (strncmp(qp, "q=", 2) == 0)
                    q = strtod(qp + 2, NULL);
                qp = memchr(qp, ';', (size_t)(p + len - qp));
            }
            if (q > best)
                best = q;
        }
        p = end;
    }
    return best;
}

int http_wants_openmetrics(const char *accept)
{
    if (!accept)
        return 0;
    double om = accept_q(accept, "application/openmetrics-text");
    if (om <= 0)
        return 0;
    double txt = accept_q(accept, "text/plain");
    return om >= txt;
}

int http_wants_gzip(const char *ae)
{
    return ae && accept_q(ae, "gzip") > 0;
}

/* ---- connections ------------------------------------------------------------------ */

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void conn_stage(struct conn *k, enum conn_stage st, double after)
{
    pthread_mutex_lock(&H.mu);
    k->stage = st;
    k->deadline = mono_now_s() + after;
    pthread_mutex_unlock(&H.mu);
}

static void conn_log_addr(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    char host[INET6_ADDRSTRLEN] = "", port[8] = "";
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(out, n, "%s:%s", host, port);
}

/* Called by GnuTLS while a handshake checks the client's certificate. */
static int verify_hook(gnutls_session_t s)
{
    struct MHD_Connection *c = gnutls_session_get_ptr(s);
    struct conn *k = c ? conn_of(c) : NULL;
    if (!k || !k->ws || !k->ws->tls)
        return -1;
    char why[512] = "";
    if (tls_verify_client(k->ws->tls, s, why, sizeof(why)) == 0)
        return 0;
    __atomic_add_fetch(&H.cert_rejections, 1, __ATOMIC_RELAXED);
    char addr[80];
    conn_log_addr(c, addr, sizeof(addr));
    log_limited(&H.cert_log, 1, LOG_WARN, "TLS handshake refused", "client", addr, "reason", why);
    return -1;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        /* New files (a renewed certificate) are picked up here, so the
         * handshake about to start already uses them. */
        webconfig_live_reload(false, false);
        struct conn *k = xcalloc(1, sizeof(*k));
        k->ws = webconfig_live_acquire();
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = fi ? fi->connect_fd : -1;
        k->stage = CS_HEAD;
        k->deadline = mono_now_s() + H.cfg->read_header_timeout;
        *socket_context = k;
        pthread_mutex_lock(&H.mu);
        k->next = H.conns;
        if (H.conns)
            H.conns->prev = k;
        H.conns = k;
        pthread_mutex_unlock(&H.mu);
        if (H.tls) {
            const union MHD_ConnectionInfo *si =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            if (!si || !k->ws->tls || tls_session_prepare(k->ws->tls, si->tls_session) < 0) {
                log_msg(LOG_ERROR, "cannot set up TLS for a connection; dropping it");
                if (k->fd >= 0)
                    shutdown(k->fd, SHUT_RDWR);
            }
        }
        return;
    }
    struct conn *k = *socket_context;
    if (!k)
        return;
    pthread_mutex_lock(&H.mu);
    if (k->prev)
        k->prev->next = k->next;
    else
        H.conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&H.mu);
    webconfig_live_release(k->ws);
    free(k);
    *socket_context = NULL;
}

void http_reap(void)
{
    double now = mono_now_s();
    pthread_mutex_lock(&H.mu);
    for (struct conn *k = H.conns; k; k = k->next) {
        if (k->shut || k->deadline > now || k->fd < 0)
            continue;
        /* The connection is still listed, so libmicrohttpd has not closed
         * its socket: shutting it down makes its next read or write fail and
         * libmicrohttpd closes the connection in its own thread. */
        shutdown(k->fd, SHUT_RDWR);
        k->shut = true;
        __atomic_add_fetch(&H.timeouts[k->stage == CS_RESPONSE ? 1 : 0], 1, __ATOMIC_RELAXED);
        log_msg(LOG_DEBUG, "closed a connection past its deadline", "stage",
                k->stage == CS_RESPONSE ? "response" : "header");
    }
    pthread_mutex_unlock(&H.mu);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    struct req *rq = *con_cls;
    if (rq) {
        /* A trace post refused before its body was looked at (auth, limits):
         * counted here by its status. */
        if (rq->p == P_TRACE && rq->early >= 400 && !rq->counted)
            trace_count(trace_reason_of_status(rq->early));
        free(rq->body);
        explicit_bzero(&rq->job, sizeof(rq->job));
        free(rq);
        *con_cls = NULL;
    }
    struct conn *k = conn_of(c);
    if (k) /* waiting for the next request on a kept-alive connection */
        conn_stage(k, CS_IDLE, H.cfg->web_timeout + H.cfg->read_header_timeout);
}

/* ---- responses -------------------------------------------------------------------- */

static const struct webconfig_header *cfg_header(const struct web_state *ws, const char *name)
{
    if (!ws || !ws->cfg)
        return NULL;
    for (size_t i = 0; i < ws->cfg->nheaders; i++)
        if (strcasecmp(ws->cfg->headers[i].name, name) == 0)
            return &ws->cfg->headers[i];
    return NULL;
}

/* Our defaults, then the configured headers (which replace a default of the
 * same name). */
static void security_headers(struct MHD_Response *resp, const struct web_state *ws)
{
    static const char *const defaults[][2] = {
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Content-Security-Policy", "default-src 'none'"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (!cfg_header(ws, defaults[i][0]))
            MHD_add_response_header(resp, defaults[i][0], defaults[i][1]);
    if (ws && ws->cfg)
        for (size_t i = 0; i < ws->cfg->nheaders; i++)
            MHD_add_response_header(resp, ws->cfg->headers[i].name, ws->cfg->headers[i].value);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, const struct web_state *ws,
                                  enum path_id p, int code, const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    security_headers(resp, ws);
    if (code == 405)
        MHD_add_response_header(resp, "Allow", p == P_TRACE ? "POST" : "GET, HEAD");
    if (code == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Basic realm=\"slurm_exporter\", charset=\"UTF-8\"");
    if (code == 429 || code == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    if (code == 413 || code == 431)
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result r = MHD_queue_response(c, (unsigned)code, resp);
    MHD_destroy_response(resp);
    count(p, code);
    return r;
}

static const char *status_text(int code)
{
    switch (code) {
    case 401:
        return "unauthorized\n";
    case 404:
        return "not found\n";
    case 405:
        return "method not allowed\n";
    case 413:
        return "request body not allowed\n";
    case 429:
        return "too many requests\n";
    case 431:
        return "request header fields too large\n";
    default:
        return "service unavailable\n";
    }
}

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct response_body *b = cls;
    if (pos >= b->total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)response_body_read(b, (size_t)pos, buf, max);
}

static void body_free(void *cls)
{
    struct response_body *b = cls;
    response_body_free(b);
    free(b);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c, const struct web_state *ws)
{
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    bool om = http_wants_openmetrics(accept);
    bool gz = http_wants_gzip(ae);
    struct response_body *b = xcalloc(1, sizeof(*b));
    if (exposition_response(om, gz, b) < 0) {
        free(b);
        return reply_text(c, ws, P_METRICS, 503,
                          "not ready: the first Slurm refresh has not finished\n");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(b->total, (size_t)64 * 1024, body_reader, b, body_free);
    if (!resp) {
        body_free(b);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                               : "text/plain; version=0.0.4; charset=utf-8");
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Vary", "Accept, Accept-Encoding");
    security_headers(resp, ws);
    enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    count(P_METRICS, 200);
    return r;
}

static const char landing[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Slurm Exporter</title></head>\n"
    "<body><h1>Slurm Exporter</h1>\n<p>Prometheus exporter for the Slurm workload manager.</p>\n"
    "<ul><li><a href=\"%s\">Metrics</a></li><li><a href=\"/-/healthy\">Health</a></li>"
    "<li><a href=\"/-/ready\">Readiness</a></li></ul>\n<p>Version %s</p></body></html>\n";

static enum MHD_Result serve_root(struct MHD_Connection *c, const struct web_state *ws)
{
    static char page[1024];
    static int made;
    if (!__atomic_load_n(&made, __ATOMIC_ACQUIRE)) {
        snprintf(page, sizeof(page), landing, H.cfg->telemetry_path, SE_VERSION);
        __atomic_store_n(&made, 1, __ATOMIC_RELEASE);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(page), page, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    security_headers(resp, ws);
    enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    count(P_ROOT, 200);
    return r;
}

/* rate_limit from the web configuration: a token bucket shared by all
 * connections; reset when the configuration changes. */
static bool rate_allow(const struct web_state *ws)
{
    if (!ws->cfg || ws->cfg->rate_interval <= 0)
        return true;
    double now = mono_now_s();
    bool ok = false;
    pthread_mutex_lock(&H.rate_mu);
    if (H.rate_gen != ws->generation) {
        H.rate_gen = ws->generation;
        H.rate_tokens = (double)ws->cfg->rate_burst;
        H.rate_last = now;
    }
    H.rate_tokens += (now - H.rate_last) / ws->cfg->rate_interval;
    if (H.rate_tokens > (double)ws->cfg->rate_burst)
        H.rate_tokens = (double)ws->cfg->rate_burst;
    H.rate_last = now;
    if (H.rate_tokens >= 1) {
        H.rate_tokens -= 1;
        ok = true;
    }
    pthread_mutex_unlock(&H.rate_mu);
    return ok;
}

/* ---- trace posts ------------------------------------------------------------------ */

static enum trace_reason trace_reason_of_status(int code)
{
    switch (code) {
    case 401:
        return TR_UNAUTHORIZED;
    case 403:
        return TR_FORBIDDEN;
    case 405:
        return TR_METHOD;
    case 413:
        return TR_TOO_LARGE;
    case 415:
        return TR_CONTENT_TYPE;
    case 429:
        return TR_BUSY;
    default:
        return TR_OTHER;
    }
}

/* From the head of a trace post: 0, 413 (declared body over the limit) or
 * 415 (not JSON). Browsers cannot send application/json across sites without
 * a preflight we never answer, so requiring it keeps web pages from posting. */
static int trace_head_check(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || *end || n > H.cfg->trace_max_body)
            return 413;
    }
    static const char json[] = "application/json";
    size_t jl = sizeof(json) - 1;
    if (!ct || strncasecmp(ct, json, jl) != 0 || (ct[jl] && ct[jl] != ';' && ct[jl] != ' '))
        return 415;
    return 0;
}

/* A piece of a trace post's body: kept up to --trace.max-body; past it the
 * post is refused at once (413) and the rest is not stored. */
static enum MHD_Result trace_body(struct MHD_Connection *c, const struct web_state *ws,
                                  struct req *rq, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (n > H.cfg->trace_max_body - rq->body_len) {
        rq->early = 413;
        free(rq->body);
        rq->body = NULL;
        return reply_text(c, ws, rq->p, 413, "request body too large (--trace.max-body)\n");
    }
    if (!rq->body)
        rq->body = xmalloc(H.cfg->trace_max_body);
    memcpy(rq->body + rq->body_len, data, n);
    rq->body_len += n;
    return MHD_YES;
}

/* The whole body is in and the client authenticated: parse and store. */
static enum MHD_Result trace_post(struct MHD_Connection *c, const struct web_state *ws,
                                  struct req *rq)
{
    struct trace_store *st = trace_global();
    struct trace_post p;
    char why[192];
    int rc = st ? trace_json_parse(rq->body ? rq->body : "", rq->body_len, &p, why, sizeof(why))
                : -ENODEV;
    enum trace_reason r = rc == -EINVAL   ? TR_MALFORMED
                          : rc == -ERANGE ? TR_INVALID
                          : rc < 0        ? TR_OTHER
                                          : trace_store_put(st, &p, wall_now());
    trace_count(r);
    rq->counted = true;
    if (r == TR_ACCEPTED)
        return reply_text(c, ws, rq->p, 200, "ok\n");
    rq->early = r == TR_MALFORMED || r == TR_INVALID ? 400 : r == TR_OTHER ? 503 : 429;
    char msg[256];
    if (rq->early == 400)
        snprintf(msg, sizeof(msg), "%s\n", why);
    else if (rq->early == 503)
        snprintf(msg, sizeof(msg), "tracing is not available\n");
    else
        snprintf(msg, sizeof(msg), "trace store full (%s); the post was not stored\n",
                 r == TR_MAX_JOBS    ? "--trace.max-jobs"
                 : r == TR_MAX_HOSTS ? "--trace.max-hosts-per-job"
                                     : "--trace.max-entries");
    return reply_text(c, ws, rq->p, rq->early, msg);
}

/* The worker finished a bcrypt check: record it and let libmicrohttpd call
 * the handler again for this connection. */
static void auth_done(struct auth_job *job)
{
    struct req *rq = job->arg;
    int st = job->ok ? AS_OK : (job->cancelled ? AS_DOWN : AS_FAIL);
    __atomic_store_n(&rq->auth, st, __ATOMIC_RELEASE);
    MHD_resume_connection(rq->c);
}

/* First call for a request (its head is complete): limits, rate, auth. The
 * decision is kept in rq; the second call answers. */
static enum MHD_Result request_head(struct MHD_Connection *c, struct conn *k, struct req *rq,
                                    const char *method)
{
    const struct web_state *ws = k->ws;
    conn_stage(k, CS_RESPONSE, H.cfg->write_timeout);
    const union MHD_ConnectionInfo *hi =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hi && hi->header_size > H.cfg->max_header_bytes) {
        rq->early = 431;
        return reply_text(c, ws, rq->p, 431, status_text(431));
    }
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    rq->post = rq->p == P_TRACE && strcmp(method, "POST") == 0;
    if (rq->p == P_TRACE && !rq->post) {
        rq->early = 405; /* the trace path takes posts only */
        return reply_text(c, ws, rq->p, 405, status_text(405));
    }
    if (rq->post) {
        int code = trace_head_check(c);
        if (code) {
            rq->early = code;
            return reply_text(c, ws, rq->p, code,
                              code == 413 ? "request body too large (--trace.max-body)\n"
                                          : "Content-Type must be application/json\n");
        }
    } else if (!get) {
        /* Only GET and HEAD anywhere; answered before any body is read. */
        rq->early = rq->p == P_OTHER ? 404 : 405;
        return reply_text(c, ws, rq->p, rq->early, status_text(rq->early));
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    if (!rq->post && ((cl && strcmp(cl, "0") != 0) || te)) {
        /* Nothing else takes a body: refuse before reading it. */
        rq->early = 413;
        return reply_text(c, ws, rq->p, 413, status_text(413));
    }
    if (H.tls) {
        const union MHD_ConnectionInfo *si =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (!si || !ws->tls || tls_client_cert_missing(ws->tls, si->tls_session)) {
            rq->early = 403;
            log_msg(LOG_ERROR, "request without the required client certificate refused");
            return reply_text(c, ws, rq->p, 403, "client certificate required\n");
        }
    }
    /* rate_limit paces scrapes; trace posts are bounded by the connection
     * limits and the store's caps, and must not use up the scrapers' budget. */
    if (!rq->post && !rate_allow(ws)) {
        rq->early = 429;
        return reply_text(c, ws, rq->p, 429, status_text(429));
    }
    if (!ws->auth) {
        rq->auth = AS_NONE;
    } else {
        const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        struct auth_job *j = &rq->job;
        if (auth_parse_basic(h, j->user, sizeof(j->user), j->pass, sizeof(j->pass)) < 0) {
            rq->early = 401;
            return reply_text(c, ws, rq->p, 401, status_text(401));
        }
        if (auth_check_cached(ws->auth, j->user, j->pass)) {
            explicit_bzero(j->pass, sizeof(j->pass));
            rq->auth = AS_OK;
        } else {
            j->a = ws->auth;
            j->done = auth_done;
            j->arg = rq;
            rq->c = c;
            __atomic_store_n(&rq->auth, AS_PENDING, __ATOMIC_RELEASE);
            /* Suspend before the job is visible to the worker, so its
             * resume can never come first. */
            MHD_suspend_connection(c);
            int rc = auth_worker_submit(j);
            if (rc < 0) {
                explicit_bzero(j->pass, sizeof(j->pass));
                __atomic_store_n(&rq->auth, rc == -EAGAIN ? AS_BUSY : AS_DOWN, __ATOMIC_RELEASE);
                MHD_resume_connection(c);
            }
            return MHD_YES;
        }
    }
    return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    struct conn *k = conn_of(c);
    if (!k || !k->ws)
        return MHD_NO;
    const struct web_state *ws = k->ws;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = xcalloc(1, sizeof(*rq));
        *con_cls = rq;
        rq->p = P_OTHER;
        if (strcmp(url, H.cfg->telemetry_path) == 0)
            rq->p = P_METRICS;
        else if (strcmp(url, "/") == 0)
            rq->p = P_ROOT;
        else if (strcmp(url, "/-/healthy") == 0)
            rq->p = P_HEALTHY;
        else if (strcmp(url, "/-/ready") == 0)
            rq->p = P_READY;
        else if (H.cfg->trace_enabled && strcmp(url, H.cfg->trace_path) == 0)
            rq->p = P_TRACE;
        return request_head(c, k, rq, method);
    }
    if (*upload_size) {
        if (!rq->post || rq->early) {
            *upload_size = 0; /* a reply is queued already; drop the rest */
            return MHD_YES;
        }
        int as = __atomic_load_n(&rq->auth, __ATOMIC_ACQUIRE);
        if (as == AS_NONE || as == AS_OK)
            return trace_body(c, ws, rq, upload_data, upload_size);
        *upload_size = 0; /* refused below, once the body is in */
        return MHD_YES;
    }
    if (rq->early)
        return MHD_YES;
    switch (__atomic_load_n(&rq->auth, __ATOMIC_ACQUIRE)) {
    case AS_PENDING:
        return MHD_YES;
    case AS_FAIL:
        rq->early = 401;
        return reply_text(c, ws, rq->p, 401, status_text(401));
    case AS_BUSY:
        rq->early = 429;
        return reply_text(c, ws, rq->p, 429, status_text(429));
    case AS_DOWN:
        rq->early = 503;
        return reply_text(c, ws, rq->p, 503, "shutting down\n");
    default:
        break;
    }
    rq->early = 200;
    switch (rq->p) {
    case P_METRICS:
        return serve_metrics(c, ws);
    case P_ROOT:
        return serve_root(c, ws);
    case P_HEALTHY:
        return reply_text(c, ws, rq->p, 200, "OK\n");
    case P_TRACE:
        return trace_post(c, ws, rq);
    case P_READY:
        if (poller_ready() && exposition_ready())
            return reply_text(c, ws, rq->p, 200, "OK\n");
        return reply_text(c, ws, rq->p, 503,
                          "not ready: the first Slurm refresh has not finished\n");
    default:
        rq->early = 404;
        return reply_text(c, ws, rq->p, 404, status_text(404));
    }
}

/* ---- daemons ---------------------------------------------------------------------- */

/* Splits "host:port", ":port", "[v6]:port" and resolves it. */
static int resolve(const char *addr, struct addrinfo **out)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof(host))
        return -EINVAL;
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        h = addr + 1;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = hl ? AF_UNSPEC : AF_INET6;
    int rc = getaddrinfo(hl ? host : NULL, colon + 1, &hints, out);
    if (rc != 0 && !hl) {
        hints.ai_family = AF_INET;
        rc = getaddrinfo(NULL, colon + 1, &hints, out);
    }
    return rc == 0 ? 0 : -EINVAL;
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_msg(LOG_DEBUG, "http", "detail", msg);
}

/* libmicrohttpd needs a certificate source to start a TLS daemon; every
 * session gets its credentials from the live state before its handshake, so
 * this is never reached. If it were, the handshake fails: never a default. */
static int no_daemon_cert(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
                          const gnutls_pk_algorithm_t *pk, int npk, gnutls_pcert_st **pcert,
                          unsigned int *pcert_length, gnutls_privkey_t *key)
{
    (void)s;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk;
    (void)npk;
    (void)pcert;
    (void)pcert_length;
    (void)key;
    log_msg(LOG_ERROR, "TLS session without per-connection credentials; refused");
    return -1;
}

/* The sockets systemd passes ($LISTEN_FDS from fd 3, for this $LISTEN_PID). */
static int systemd_fds(int *fds, size_t max, size_t *n)
{
    const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
    *n = 0;
    if (!H.cfg->systemd_socket)
        return 0;
    if (!pid || !nfds || strtol(pid, NULL, 10) != (long)getpid()) {
        log_msg(LOG_ERROR, "--web.systemd-socket: no sockets from systemd (LISTEN_PID and "
                           "LISTEN_FDS are not set for this process)");
        return -ENOENT;
    }
    char *end = NULL;
    long k = strtol(nfds, &end, 10);
    if (*end || k < 1 || (size_t)k > max) {
        log_msg(LOG_ERROR, "--web.systemd-socket: LISTEN_FDS must be from 1 to 8", "LISTEN_FDS",
                nfds);
        return -EINVAL;
    }
    for (long i = 0; i < k; i++) {
        int fd = 3 + (int)i, acc = 0, type = 0;
        socklen_t l1 = sizeof(acc), l2 = sizeof(type);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l1) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) < 0 || !acc || type != SOCK_STREAM) {
            char fdtxt[16];
            snprintf(fdtxt, sizeof(fdtxt), "%d", fd);
            log_msg(LOG_ERROR, "--web.systemd-socket: passed fd is not a listening stream socket",
                    "fd", fdtxt);
            return -EINVAL;
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds[(*n)++] = fd;
    }
    return 0;
}

int http_take_systemd_sockets(const struct config *cfg)
{
    H.cfg = cfg;
    H.sd_rc = systemd_fds(H.sd_fds, MAX_DAEMONS, &H.nsd);
    /* The Slurm commands must not see them, flag or not. */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return H.sd_rc;
}

static void sock_name(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, n, "%s%s%s:%s", ss.ss_family == AF_INET6 ? "[" : "", host,
             ss.ss_family == AF_INET6 ? "]" : "", port);
}

/* Starts one daemon on an address (ai) or an inherited socket (fd >= 0). */
static struct MHD_Daemon *start_one(const struct config *cfg, const struct web_state *ws,
                                    const struct addrinfo *ai, int fd, bool any6)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ai && ai->ai_family == AF_INET6)
        flags |= any6 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    /* libmicrohttpd 0.9.75 spins at full CPU in epoll mode while a TLS
     * handshake waits for the client (a stalled client would burn a core):
     * TLS daemons use poll(), which waits properly. */
    if (ws->tls)
        flags |= MHD_USE_TLS | MHD_USE_POLL;
    else
        flags |= MHD_USE_EPOLL;
    size_t pool = cfg->max_header_bytes + 16384;
    if (pool < 32768)
        pool = 32768;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
    OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL);
    if (fd >= 0)
        OPT(MHD_OPTION_LISTEN_SOCKET, fd, NULL);
    else if (ai)
        OPT(MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, 2, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->max_requests, NULL);
    OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->web_timeout < 1 ? 1 : cfg->web_timeout),
        NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, NULL);
    OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_conn, NULL);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_done, NULL);
    if (ws->tls) {
        OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)(uintptr_t)no_daemon_cert);
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)tls_ctx_priority(ws->tls));
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
}

int http_start(const struct config *cfg)
{
    H.cfg = cfg;
    tls_set_verify_hook(verify_hook);
    struct web_state *ws = webconfig_live_acquire();
    H.tls = ws->tls != NULL;
    int rc = 0;
    /* With a web configuration users may appear on any reload: the worker
     * (idle until then) is there from the start. */
    if (ws->auth || (cfg->web_config_file && cfg->web_config_file[0])) {
        rc = auth_worker_start();
        if (rc < 0) {
            log_msg(LOG_ERROR, "cannot start the authentication thread", "error", strerror(-rc));
            goto out;
        }
    }
    if (cfg->systemd_socket) {
        const int *fds = H.sd_fds;
        size_t nfds = H.nsd;
        rc = H.sd_rc;
        if (rc == 0 && nfds == 0)
            rc = -ENOENT;
        for (size_t i = 0; rc == 0 && i < nfds; i++) {
            char name[128];
            sock_name(fds[i], name, sizeof(name));
            struct MHD_Daemon *d = start_one(cfg, ws, NULL, fds[i], false);
            if (!d) {
                log_msg(LOG_ERROR, "cannot serve on the systemd socket", "address", name);
                rc = -EINVAL;
                break;
            }
            snprintf(H.addr[H.n], sizeof(H.addr[H.n]), "%s", name);
            H.d[H.n++] = d;
            log_msg(LOG_INFO, "listening on a systemd socket", "address", name, "path",
                    cfg->telemetry_path, "tls", H.tls ? "on" : "off");
        }
        goto out;
    }
    for (size_t i = 0; i < cfg->nlisten; i++) {
        struct addrinfo *ai = NULL;
        if (resolve(cfg->listen[i], &ai) < 0) {
            log_msg(LOG_ERROR, "cannot resolve listen address", "address", cfg->listen[i]);
            rc = -EINVAL;
            goto out;
        }
        bool any6 = ai->ai_family == AF_INET6 && strncmp(cfg->listen[i], ":", 1) == 0;
        errno = 0;
        struct MHD_Daemon *d = start_one(cfg, ws, ai, -1, any6);
        int e = errno;
        freeaddrinfo(ai);
        if (!d) {
            log_msg(LOG_ERROR, "cannot listen", "address", cfg->listen[i], "error",
                    e ? strerror(e) : "libmicrohttpd refused to start (see --log.level=debug)");
            rc = -EADDRINUSE;
            goto out;
        }
        snprintf(H.addr[H.n], sizeof(H.addr[H.n]), "%s", cfg->listen[i]);
        H.d[H.n++] = d;
        log_msg(LOG_INFO, "listening", "address", cfg->listen[i], "path", cfg->telemetry_path,
                "tls", H.tls ? "on" : "off");
    }
out:
    webconfig_live_release(ws);
    return rc;
}

void http_stop(void)
{
    int lfd[MAX_DAEMONS] = {0};
    for (size_t i = 0; i < H.n; i++)
        lfd[i] = MHD_quiesce_daemon(H.d[i]); /* now ours to close */
    /* Every connection waiting for bcrypt is resumed (as cancelled) before
     * the daemons stop: libmicrohttpd must not find one still suspended. */
    auth_worker_stop();
    for (size_t i = 0; i < H.n; i++) {
        MHD_stop_daemon(H.d[i]);
        if (lfd[i] >= 0)
            close(lfd[i]);
    }
    H.n = 0;
}
