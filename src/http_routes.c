/* SPDX-License-Identifier: Apache-2.0 */
/* What each path answers: the telemetry path (the current exposition, content
 * negotiation and gzip), the status page, /-/healthy, /-/ready, and the trace
 * path's posts (checks, body, store); the per-path request counters. The
 * transport (http.c) decides whether a request gets this far. */
#include "http_routes.h"
#include "trace.h"
#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const path_names[P_COUNT] = {
    "(telemetry path)", "/", "/-/healthy", "/-/ready", "(trace path)", "other"};
static const int codes[] = {200, 400, 401, 403, 404, 405, 406, 413, 415, 429, 431, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

static struct {
    const struct config *cfg;
    struct http_hooks hooks;
    uint64_t requests[P_COUNT][NCODES];
    int64_t metrics_in_flight; /* telemetry-path responses being built or sent */
} R;

void http_routes_init(const struct config *cfg, const struct http_hooks *hooks)
{
    R.cfg = cfg;
    R.hooks = *hooks;
}

static void count(enum http_path p, int code)
{
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i] == code)
            __atomic_add_fetch(&R.requests[p][i], 1, __ATOMIC_RELAXED);
}

/* --compat=rivosinc: the Go client's promhttp.Handler() counters, which
 * rivosinc served (client_golang v1.16.0/v1.20.5, InstrumentMetricHandler):
 * scrapes of the telemetry path and of <telemetry path>/rivosinc (both
 * serve these names) by status code (200, 500 and 503 always present) and
 * scrapes being served now, this one included. */
static void render_promhttp(struct render *r)
{
    render_family(r, "promhttp_metric_handler_requests", M_COUNTER,
                  "rivosinc compat: scrapes of the telemetry path and of its /rivosinc path by "
                  "HTTP status code.");
    for (size_t i = 0; i < NCODES; i++) {
        uint64_t v =
            __atomic_load_n(&R.requests[P_METRICS][i], __ATOMIC_RELAXED) +
            __atomic_load_n(&R.requests[P_SET_FIRST + EXPO_RIVOSINC - 1][i], __ATOMIC_RELAXED);
        if (!v && codes[i] != 200 && codes[i] != 500 && codes[i] != 503)
            continue;
        char code[8];
        snprintf(code, sizeof(code), "%d", codes[i]);
        struct label l[1] = {{"code", code}};
        render_sample(r, l, 1, (double)v);
    }
    render_gauge1(r, "promhttp_metric_handler_requests_in_flight",
                  "rivosinc compat: scrapes of the telemetry path being served now.",
                  (double)__atomic_load_n(&R.metrics_in_flight, __ATOMIC_RELAXED));
}

void http_routes_render_metrics(struct render *r)
{
    if (R.cfg && (R.cfg->compat & COMPAT_RIVOSINC))
        render_promhttp(r);
    render_family(r, "slurm_exporter_http_requests", M_COUNTER,
                  "HTTP requests served, by path (metrics = the telemetry path) and status code.");
    for (int p = 0; p < P_COUNT; p++) {
        /* a set's path: listed once it was asked for or is enabled */
        bool quiet =
            p >= P_SET_FIRST && R.hooks.view(exposition_view_names[p - P_SET_FIRST + 1]) < 0;
        for (size_t i = 0; i < NCODES; i++) {
            uint64_t v = __atomic_load_n(&R.requests[p][i], __ATOMIC_RELAXED);
            if (!v && (codes[i] != 200 || quiet))
                continue;
            char code[8];
            snprintf(code, sizeof(code), "%d", codes[i]);
            if (p == P_TRACE && !R.cfg->trace_enabled)
                continue;
            char setpath[300];
            const char *path = p == P_METRICS ? R.cfg->telemetry_path
                               : p == P_TRACE ? R.cfg->trace_path
                                              : path_names[p];
            if (p >= P_SET_FIRST) {
                snprintf(setpath, sizeof(setpath), "%s/%s", R.cfg->telemetry_path,
                         exposition_view_names[p - P_SET_FIRST + 1]);
                path = setpath;
            }
            struct label l[2] = {{"path", path}, {"code", code}};
            render_sample(r, l, 2, (double)v);
        }
    }
}

/* ---- content negotiation (RFC 9110 section 12.5) -------------------------------------- */

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Past a quoted-string starting at p (the opening quote), or end. */
static const char *skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

/* A qvalue, "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"], in thousandths; -1 when
 * [p, p+n) is not one. */
static int qvalue(const char *p, size_t n)
{
    if (n == 0 || (p[0] != '0' && p[0] != '1') || n > 5 || (n > 1 && p[1] != '.'))
        return -1;
    int q = (p[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (p[i] < '0' || p[i] > '9' || (p[0] == '1' && p[i] != '0'))
            return -1;
        q += (p[i] - '0') * scale;
    }
    return q;
}

/* One element of an Accept or Accept-Encoding list, [p, end): its name
 * (the media range or coding, without whitespace) and its weight in
 * thousandths. Parameter names are matched without regard to case and may
 * have whitespace around them; a q that is not a qvalue weighs 0. */
static int list_element(const char *p, const char *end, const char **name, size_t *nlen)
{
    p = skip_ows(p, end);
    const char *s = p;
    while (s < end && *s != ';')
        s++;
    const char *ne = s;
    while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
        ne--;
    *name = p;
    *nlen = (size_t)(ne - p);
    int w = 1000;
    while (s < end) { /* at a ';' */
        s = skip_ows(s + 1, end);
        const char *pn = s;
        while (s < end && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
            s++;
        size_t pnl = (size_t)(s - pn);
        s = skip_ows(s, end);
        if (s < end && *s == '=') {
            s = skip_ows(s + 1, end);
            const char *v = s;
            if (s < end && *s == '"')
                s = skip_quoted(s, end);
            else
                while (s < end && *s != ';' && *s != ' ' && *s != '\t')
                    s++;
            if (pnl == 1 && (*pn == 'q' || *pn == 'Q')) {
                int q = qvalue(v, (size_t)(s - v));
                w = q < 0 ? 0 : q;
            }
        }
        while (s < end && *s != ';')
            s++;
    }
    return w;
}

/* The weight (thousandths) a list header gives name, matched without regard
 * to case: the highest of the elements naming it, else that of an element
 * naming wildcard (NULL: none); -1 when neither is named. Commas inside
 * quoted parameter values do not split elements. */
static int accept_weight(const char *h, const char *name, const char *wildcard)
{
    int best = -1, wild = -1;
    size_t tl = strlen(name), wl = wildcard ? strlen(wildcard) : 0;
    const char *p = h, *end = h + strlen(h);
    while (p < end) {
        const char *e = p;
        while (e < end && *e != ',')
            e = *e == '"' ? skip_quoted(e, end) : e + 1;
        const char *n;
        size_t nl;
        int w = list_element(p, e, &n, &nl);
        if (nl == tl && strncasecmp(n, name, tl) == 0 && w > best)
            best = w;
        else if (wildcard && nl == wl && strncmp(n, wildcard, wl) == 0 && w > wild)
            wild = w;
        p = e < end ? e + 1 : e;
    }
    return best >= 0 ? best : wild;
}

int http_wants_openmetrics(const char *accept)
{
    if (!accept)
        return 0;
    int om = accept_weight(accept, "application/openmetrics-text", NULL);
    if (om <= 0)
        return 0;
    return om >= accept_weight(accept, "text/plain", NULL);
}

int http_wants_gzip(const char *ae)
{
    return ae && accept_weight(ae, "gzip", "*") > 0;
}

/* ---- responses -------------------------------------------------------------------- */

static const struct webconfig_header *cfg_header(const struct webconfig *wc, const char *name)
{
    if (!wc)
        return NULL;
    for (size_t i = 0; i < wc->nheaders; i++)
        if (strcasecmp(wc->headers[i].name, name) == 0)
            return &wc->headers[i];
    return NULL;
}

/* Our defaults, then the configured headers (which replace a default of the
 * same name), handed to add one by one. csp: the Content-Security-Policy
 * default (NULL: default-src 'none'). */
static void security_headers(const struct webconfig *wc, const char *csp,
                             void (*add)(void *arg, const char *name, const char *value), void *arg)
{
    const char *const defaults[][2] = {
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Content-Security-Policy", csp ? csp : "default-src 'none'"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (!cfg_header(wc, defaults[i][0]))
            add(arg, defaults[i][0], defaults[i][1]);
    if (wc)
        for (size_t i = 0; i < wc->nheaders; i++)
            add(arg, wc->headers[i].name, wc->headers[i].value);
}

static void add_to_response(void *arg, const char *name, const char *value)
{
    MHD_add_response_header(arg, name, value);
}

static void add_to_buf(void *arg, const char *name, const char *value)
{
    buf_printf(arg, "%s: %s\r\n", name, value);
}

/* The headers of a text reply with this code, besides the security ones. */
static void reply_headers(enum http_path p, int code, bool closing,
                          void (*add)(void *arg, const char *name, const char *value), void *arg)
{
    add(arg, "Content-Type", "text/plain; charset=utf-8");
    if (code == 405)
        add(arg, "Allow", p == P_TRACE ? "POST" : "GET, HEAD");
    if (code == 401)
        add(arg, "WWW-Authenticate", "Basic realm=\"slurm_exporter\", charset=\"UTF-8\"");
    if (code == 429 || code == 503)
        add(arg, "Retry-After", "1");
    if (closing || code == 413 || code == 431)
        add(arg, "Connection", "close");
}

static enum MHD_Result reply(struct MHD_Connection *c, const struct webconfig *wc, enum http_path p,
                             int code, const char *text, bool closing)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    reply_headers(p, code, closing, add_to_response, resp);
    security_headers(wc, NULL, add_to_response, resp);
    enum MHD_Result r = MHD_queue_response(c, (unsigned)code, resp);
    MHD_destroy_response(resp);
    if (r == MHD_YES) /* counted as sent: a reply libmicrohttpd refused is not */
        count(p, code);
    return r;
}

enum MHD_Result http_reply(struct MHD_Connection *c, const struct webconfig *wc, enum http_path p,
                           int code, const char *text)
{
    return reply(c, wc, p, code, text, false);
}

enum MHD_Result http_reply_closing(struct MHD_Connection *c, const struct webconfig *wc,
                                   enum http_path p, int code, const char *text)
{
    return reply(c, wc, p, code, text, true);
}

static enum trace_reason trace_reason_of_status(int code);

void http_reply_raw(struct buf *out, const struct webconfig *wc, enum http_path p, int code,
                    const char *text)
{
    char date[64];
    struct tm tm;
    time_t now = time(NULL);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
    buf_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", code, code == 400 ? "Bad Request" : "Error",
               date);
    reply_headers(p, code, true, add_to_buf, out);
    security_headers(wc, NULL, add_to_buf, out);
    buf_printf(out, "Content-Length: %zu\r\n\r\n%s", strlen(text), text);
    count(p, code);
    if (p == P_TRACE) /* a post the handler never sees: counted here */
        trace_count(trace_reason_of_status(code));
}

const char *http_status_text(int code)
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

/* A telemetry-path response: in flight from its request until its last byte
 * is handed to libmicrohttpd (a client reading it has the whole body then),
 * or until it is freed unsent. */
struct metrics_body {
    struct response_body b;
    bool landed; /* taken out of metrics_in_flight */
};

static void metrics_landed(struct metrics_body *mb)
{
    if (!mb->landed) {
        mb->landed = true;
        __atomic_sub_fetch(&R.metrics_in_flight, 1, __ATOMIC_RELAXED);
    }
}

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct metrics_body *mb = cls;
    if (pos >= mb->b.total) {
        metrics_landed(mb);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = response_body_read(&mb->b, (size_t)pos, buf, max);
    if (pos + n >= mb->b.total)
        metrics_landed(mb);
    return (ssize_t)n;
}

static void body_free(void *cls)
{
    struct metrics_body *mb = cls;
    metrics_landed(mb);
    response_body_free(&mb->b);
    free(mb);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c, const struct webconfig *wc,
                                     enum http_path p)
{
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    const char *cluster = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cluster");
    struct scrape_req q = {.view = p == P_METRICS ? EXPO_MAIN : (int)(p - P_SET_FIRST) + 1,
                           .cluster = -1,
                           .openmetrics = http_wants_openmetrics(accept),
                           .gzip = http_wants_gzip(ae)};
    bool om = q.openmetrics, gz = q.gzip;
    if (q.view != EXPO_MAIN && R.hooks.view(exposition_view_names[q.view]) < 0) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "not found: the compat set %s is not enabled (start with --compat=%s)\n",
                 exposition_view_names[q.view], exposition_view_names[q.view]);
        return http_reply(c, wc, p, 404, msg);
    }
    if (cluster) {
        q.cluster = R.hooks.cluster(cluster);
        if (q.cluster < 0)
            return http_reply(
                c, wc, p, 400,
                R.cfg->nclusters
                    ? "unknown cluster: ?cluster= must name one of the clusters of "
                      "--slurm.clusters\n"
                    : "unknown cluster: without --slurm.clusters the exporter knows no cluster "
                      "name; start it with --slurm.clusters=NAME to use ?cluster=NAME\n");
    }
    struct metrics_body *mb = xcalloc(1, sizeof(*mb));
    struct response_body *b = &mb->b;
    __atomic_add_fetch(&R.metrics_in_flight, 1, __ATOMIC_RELAXED); /* until metrics_landed */
    int rc = R.hooks.response(&q, b);
    if (rc < 0) {
        free(mb);
        __atomic_sub_fetch(&R.metrics_in_flight, 1, __ATOMIC_RELAXED);
        if (rc == -2)
            return http_reply(c, wc, p, 404, http_status_text(404));
        return http_reply(c, wc, p, 503, "not ready: the first Slurm refresh has not finished\n");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(b->total, (size_t)64 * 1024, body_reader, mb, body_free);
    if (!resp) {
        body_free(mb);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                               : "text/plain; version=0.0.4; charset=utf-8");
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Vary", "Accept, Accept-Encoding");
    security_headers(wc, NULL, add_to_response, resp);
    enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    count(p, 200);
    return r;
}

/* The status page's policy: its inline <style> and SVG need style-src
 * 'unsafe-inline'; nothing else loads (no script, image, font or frame). */
static const char status_csp[] = "default-src 'none'; style-src 'unsafe-inline'";

/* / : the status page (status.h), rendered per request from the summary
 * and history the poller's builder made; the query string is never read. */
static enum MHD_Result serve_root(struct MHD_Connection *c, const struct webconfig *wc)
{
    struct buf page = {0};
    R.hooks.status_page(&page);
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        page.len, page.p ? page.p : (char *)"", MHD_RESPMEM_MUST_COPY);
    buf_free(&page);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    security_headers(wc, status_csp, add_to_response, resp);
    enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    count(P_ROOT, 200);
    return r;
}

enum http_path http_route(const char *url)
{
    size_t tl = strlen(R.cfg->telemetry_path);
    if (strcmp(url, R.cfg->telemetry_path) == 0)
        return P_METRICS;
    /* <telemetry path>/<set>: a compat set's own path (404 when it is off) */
    if (strncmp(url, R.cfg->telemetry_path, tl) == 0 && url[tl] == '/')
        for (int w = 1; w < EXPO_VIEWS; w++)
            if (strcmp(url + tl + 1, exposition_view_names[w]) == 0)
                return (enum http_path)(P_SET_FIRST + w - 1);
    if (strcmp(url, "/") == 0)
        return P_ROOT;
    if (strcmp(url, "/-/healthy") == 0)
        return P_HEALTHY;
    if (strcmp(url, "/-/ready") == 0)
        return P_READY;
    if (R.cfg->trace_enabled && strcmp(url, R.cfg->trace_path) == 0)
        return P_TRACE;
    return P_OTHER;
}

/* ---- trace posts ------------------------------------------------------------------ */

static enum trace_reason trace_reason_of_status(int code)
{
    switch (code) {
    case 400:
        return TR_MALFORMED;
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
        if (errno || end == cl || *end || n > R.cfg->trace_max_body)
            return 413;
    }
    static const char json[] = "application/json";
    size_t jl = sizeof(json) - 1;
    if (!ct || strncasecmp(ct, json, jl) != 0 || (ct[jl] && ct[jl] != ';' && ct[jl] != ' '))
        return 415;
    return 0;
}

/* A piece of a trace post's body: kept up to --trace.max-body. Past it the
 * post is refused (413) and nothing more stored; libmicrohttpd cannot
 * answer before the body ends, so the rest is read and dropped, up to
 * HTTP_DRAIN_MAX bytes, then the connection is closed unanswered. */
static enum MHD_Result trace_body(struct route_req *rq, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (rq->owed) {
        rq->drained += n;
        return rq->drained > HTTP_DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    if (n > R.cfg->trace_max_body - rq->body_len) {
        rq->owed = 413;
        rq->drained = n;
        free(rq->body);
        rq->body = NULL;
        rq->body_len = 0;
        return rq->drained > HTTP_DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    if (!rq->body)
        rq->body = xmalloc(R.cfg->trace_max_body);
    memcpy(rq->body + rq->body_len, data, n);
    rq->body_len += n;
    return MHD_YES;
}

/* The whole body is in and the client authenticated: parse and store. */
static enum MHD_Result trace_post(struct MHD_Connection *c, const struct webconfig *wc,
                                  struct route_req *rq)
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
        return http_reply(c, wc, rq->p, 200, "ok\n");
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
                 : r == TR_UNQUEUED  ? "the share of jobs the queue does not show running"
                                     : "--trace.max-entries");
    return http_reply(c, wc, rq->p, rq->early, msg);
}

/* ---- the request's life ---------------------------------------------------------- */

enum MHD_Result http_route_head(struct MHD_Connection *c, const struct webconfig *wc,
                                struct route_req *rq, const char *method)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    rq->post = rq->p == P_TRACE && strcmp(method, "POST") == 0;
    if (rq->p == P_TRACE && !rq->post) {
        rq->early = 405; /* the trace path takes posts only */
        return http_reply(c, wc, rq->p, 405, http_status_text(405));
    }
    if (rq->post) {
        int code = trace_head_check(c);
        if (code) {
            rq->early = code;
            return http_reply(c, wc, rq->p, code,
                              code == 413 ? "request body too large (--trace.max-body)\n"
                                          : "Content-Type must be application/json\n");
        }
    } else if (!get) {
        /* Only GET and HEAD anywhere; answered before any body is read. */
        rq->early = rq->p == P_OTHER ? 404 : 405;
        return http_reply(c, wc, rq->p, rq->early, http_status_text(rq->early));
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    if (!rq->post && ((cl && strcmp(cl, "0") != 0) || te)) {
        /* Nothing else takes a body: refuse before reading it. */
        rq->early = 413;
        return http_reply(c, wc, rq->p, 413, http_status_text(413));
    }
    return MHD_YES;
}

enum MHD_Result http_route_body(struct MHD_Connection *c, const struct webconfig *wc,
                                struct route_req *rq, const char *data, size_t *size)
{
    (void)c;
    (void)wc;
    return trace_body(rq, data, size);
}

enum MHD_Result http_route_answer(struct MHD_Connection *c, const struct webconfig *wc,
                                  struct route_req *rq)
{
    if (rq->owed) {
        rq->early = rq->owed;
        return http_reply(c, wc, rq->p, rq->owed, "request body too large (--trace.max-body)\n");
    }
    rq->early = 200;
    switch (rq->p) {
    case P_METRICS:
        return serve_metrics(c, wc, rq->p);
    case P_ROOT:
        return serve_root(c, wc);
    case P_HEALTHY:
        return http_reply(c, wc, rq->p, 200, "OK\n");
    case P_TRACE:
        return trace_post(c, wc, rq);
    case P_READY:
        if (R.hooks.ready())
            return http_reply(c, wc, rq->p, 200, "OK\n");
        return http_reply(c, wc, rq->p, 503,
                          "not ready: the first Slurm refresh has not finished\n");
    default:
        if (rq->p >= P_SET_FIRST && rq->p < P_COUNT)
            return serve_metrics(c, wc, rq->p);
        rq->early = 404;
        return http_reply(c, wc, rq->p, 404, http_status_text(404));
    }
}

void http_route_done(struct route_req *rq)
{
    /* A trace post refused before its body was looked at (auth, limits,
     * framing), or over --trace.max-body (answered or not): counted here by
     * its status. */
    int st = rq->early ? rq->early : rq->owed;
    if (rq->p == P_TRACE && st >= 400 && !rq->counted)
        trace_count(trace_reason_of_status(st));
    free(rq->body);
    rq->body = NULL;
}
