/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd front end: one daemon per listen address, internal thread
 * pool, connection limit, per-connection timeout, bounded request memory. */
#include "http.h"
#include "exposition.h"
#include "poller.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DAEMONS MAX_LISTEN

enum path_id { P_METRICS, P_ROOT, P_HEALTHY, P_READY, P_OTHER, P_COUNT };
static const char *const path_names[P_COUNT] = {"(telemetry path)", "/", "/-/healthy", "/-/ready",
                                                "other"};
static const int codes[] = {200, 400, 404, 405, 406, 413, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

static struct {
    struct MHD_Daemon *d[MAX_DAEMONS];
    size_t n;
    const struct config *cfg;
    uint64_t requests[P_COUNT][NCODES];
} H;

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
            const char *path = p == P_METRICS ? H.cfg->telemetry_path : path_names[p];
            struct label l[2] = {{"path", path}, {"code", code}};
            render_sample(r, l, 2, (double)v);
        }
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

static void security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
}

static enum MHD_Result reply_text(struct MHD_Connection *c, enum path_id p, int code,
                                  const char *ctype, const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", ctype);
    security_headers(resp);
    if (code == 405)
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
    enum MHD_Result r = MHD_queue_response(c, (unsigned)code, resp);
    MHD_destroy_response(resp);
    count(p, code);
    return r;
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c)
{
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    bool om = http_wants_openmetrics(accept);
    bool gz = http_wants_gzip(ae);
    struct response_body *b = xcalloc(1, sizeof(*b));
    if (exposition_response(om, gz, b) < 0) {
        free(b);
        return reply_text(c, P_METRICS, 503, "text/plain; charset=utf-8",
                          "not ready: the first Slurm refresh has not finished\n");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(b->total, (size_t)64 * 1024, body_reader, b, body_free);
    MHD_add_response_header(resp, "Content-Type",
                            om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                               : "text/plain; version=0.0.4; charset=utf-8");
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Vary", "Accept, Accept-Encoding");
    security_headers(resp);
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

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
    enum path_id p = P_OTHER;
    if (strcmp(url, H.cfg->telemetry_path) == 0)
        p = P_METRICS;
    else if (strcmp(url, "/") == 0)
        p = P_ROOT;
    else if (strcmp(url, "/-/healthy") == 0)
        p = P_HEALTHY;
    else if (strcmp(url, "/-/ready") == 0)
        p = P_READY;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (*con_cls == NULL) {
        /* First call: headers only. Refuse bodies early. */
        *con_cls = (void *)1;
        if (!get)
            return reply_text(c, p, p == P_OTHER ? 404 : 405, "text/plain; charset=utf-8",
                              p == P_OTHER ? "not found\n" : "method not allowed\n");
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* discard; the reply was already queued */
        return MHD_YES;
    }
    switch (p) {
    case P_METRICS:
        return serve_metrics(c);
    case P_ROOT: {
        static char page[1024];
        static int made;
        if (!__atomic_load_n(&made, __ATOMIC_ACQUIRE)) {
            snprintf(page, sizeof(page), landing, H.cfg->telemetry_path, SE_VERSION);
            __atomic_store_n(&made, 1, __ATOMIC_RELEASE);
        }
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(page), page, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
        MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
        security_headers(resp);
        enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        count(P_ROOT, 200);
        return r;
    }
    case P_HEALTHY:
        return reply_text(c, p, 200, "text/plain; charset=utf-8", "OK\n");
    case P_READY:
        if (poller_ready() && exposition_ready())
            return reply_text(c, p, 200, "text/plain; charset=utf-8", "OK\n");
        return reply_text(c, p, 503, "text/plain; charset=utf-8",
                          "not ready: the first Slurm refresh has not finished\n");
    default:
        return reply_text(c, p, 404, "text/plain; charset=utf-8", "not found\n");
    }
}

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
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_msg(LOG_DEBUG, "http", "detail", msg);
}

int http_start(const struct config *cfg)
{
    H.cfg = cfg;
    for (size_t i = 0; i < cfg->nlisten; i++) {
        struct addrinfo *ai = NULL;
        if (resolve(cfg->listen[i], &ai) < 0) {
            log_msg(LOG_ERROR, "cannot resolve listen address", "address", cfg->listen[i]);
            return -EINVAL;
        }
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
        bool any6 = ai->ai_family == AF_INET6 && strncmp(cfg->listen[i], ":", 1) == 0;
        if (ai->ai_family == AF_INET6)
            flags |= any6 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
        struct MHD_Daemon *d = MHD_start_daemon(
            flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
            MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_requests,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_requests,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->web_timeout < 1 ? 1 : cfg->web_timeout),
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
        freeaddrinfo(ai);
        if (!d) {
            log_msg(LOG_ERROR, "cannot listen", "address", cfg->listen[i], "error",
                    strerror(errno ? errno : EADDRINUSE));
            return -EADDRINUSE;
        }
        H.d[H.n++] = d;
        log_msg(LOG_INFO, "listening", "address", cfg->listen[i], "path", cfg->telemetry_path);
    }
    return 0;
}

void http_stop(void)
{
    for (size_t i = 0; i < H.n; i++)
        MHD_stop_daemon(H.d[i]);
    H.n = 0;
}
