/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd front end, the transport: one daemon per listen address (or
 * per socket systemd passes), internal thread pool, TLS from the live web
 * configuration applied per connection, basic auth checked off the HTTP
 * threads, rate limit, and limits on connections, header size and time per
 * connection. What each path answers is http_routes.c. */
#include "http.h"
#include "auth.h"
#include "tls.h"
#include "util/buf.h"
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DAEMONS MAX_LISTEN

/* Where a connection is in its life, for the deadlines and for the choice of
 * a connection to close when every slot is taken: CS_HEAD, CS_BODY and
 * CS_IDLE hold a slot without a request to answer; CS_AUTH waits for its
 * bcrypt check, which is withdrawn from the queue when it is closed. */
enum conn_stage { CS_HEAD, CS_BODY, CS_RESPONSE, CS_IDLE, CS_AUTH };

/* One listening daemon's slots: --web.max-requests connections at most. */
struct listener {
    long live; /* connections accepted, not closed and not shut down by us */
};

/* One accepted connection: the web state it was accepted under (held until
 * it closes), its listener, socket, client address (akey: the IPv4 address,
 * or an IPv6 address's /64) and its current deadline. Lives in the
 * connection's socket context and in the list the reaper walks. */
struct conn {
    struct web_state *ws;
    struct listener *l;
    struct MHD_Connection *c;
    int fd;
    enum conn_stage stage;
    double since;    /* monotonic: when the stage began */
    double deadline; /* monotonic */
    uint64_t akey;
    pthread_t owner;      /* the libmicrohttpd thread serving it */
    enum http_path route; /* of the request line seen last (for a 400 of ours) */
    /* CS_AUTH: the check it waits for, NULL once the worker has taken it (it
     * can no longer be withdrawn, and is answered soon) */
    struct auth_job *check;
    bool shut;
    bool raw; /* answered by answer_unreadable_length; counted in H.raw_open */
    struct conn *prev, *next;
};

enum auth_state { AS_NONE, AS_PENDING, AS_OK, AS_FAIL, AS_BUSY, AS_DOWN };

/* One request (con_cls): created at its first handler call, freed when
 * libmicrohttpd reports it complete. */
struct req {
    struct route_req r; /* path, early status, trace body */
    int auth;           /* enum auth_state, atomic */
    /* Suspended in the first call: libmicrohttpd repeats the first call
     * (no body yet) once the connection is resumed. */
    bool resumed;
    struct MHD_Connection *c;
    struct auth_job job;
};

static struct {
    struct MHD_Daemon *d[MAX_DAEMONS];
    char addr[MAX_DAEMONS][128];
    size_t n;
    const struct config *cfg;
    bool tls;
    int sd_fds[MAX_DAEMONS]; /* sockets from systemd */
    size_t nsd;
    int sd_rc;
    struct listener lis[MAX_DAEMONS];
    uint64_t timeouts[3];  /* header, body, response */
    uint64_t evictions[4]; /* header, body, idle, auth */
    uint64_t cert_rejections;
    pthread_mutex_t mu; /* the connection list and deadlines */
    struct conn *conns;
    unsigned raw_open;     /* connections answered by answer_unreadable_length, not closed */
    pthread_cond_t raw_cv; /* raw_open went down */
    /* refusals are logged at most once a second per reason, so a client
     * refused every second for one reason (a Prometheus without its
     * certificate) does not hide another's (an expired certificate); the
     * reasons are a small set (GnuTLS's status texts), the last slot takes
     * any beyond it */
    pthread_mutex_t cert_log_mu;
    char cert_why[8][160];
    struct log_limit cert_log[8];
    /* rate_limit token bucket */
    pthread_mutex_t rate_mu;
    unsigned rate_gen;
    double rate_tokens, rate_last;
} H = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .raw_cv = PTHREAD_COND_INITIALIZER,
       .rate_mu = PTHREAD_MUTEX_INITIALIZER,
       .cert_log_mu = PTHREAD_MUTEX_INITIALIZER};

/* The stage label values of H.timeouts and H.evictions. */
static const char *const timeout_stages[3] = {"header", "body", "response"};
static const char *const eviction_stages[4] = {"header", "body", "idle", "auth"};

void http_render_metrics(struct render *r)
{
    http_routes_render_metrics(r);
    render_family(r, "slurm_exporter_http_timeouts", M_COUNTER,
                  "Connections closed because the request head (TLS handshake included) or "
                  "body took longer than --web.read-header-timeout, or the response longer "
                  "than --web.write-timeout.");
    for (int i = 0; i < 3; i++) {
        struct label l[1] = {{"stage", timeout_stages[i]}};
        render_sample(r, l, 1, (double)__atomic_load_n(&H.timeouts[i], __ATOMIC_RELAXED));
    }
    render_family(r, "slurm_exporter_http_evictions", M_COUNTER,
                  "Connections closed to make room for a new one when all --web.max-requests "
                  "were taken, by what they were doing: sending a request head or body, "
                  "idle between requests, or waiting for the bcrypt check of their "
                  "credentials (auth).");
    for (int i = 0; i < 4; i++) {
        struct label l[1] = {{"stage", eviction_stages[i]}};
        render_sample(r, l, 1, (double)__atomic_load_n(&H.evictions[i], __ATOMIC_RELAXED));
    }
    if (!H.cfg->web_config_file || !H.cfg->web_config_file[0])
        return;
    auth_render_metrics(r);
    struct webconfig_live_stats st;
    webconfig_live_stats(&st);
    render_family(r, "slurm_exporter_web_config_reloads", M_COUNTER,
                  "Reloads of --web.config.file (and the files it names) by result.");
    struct label l[1] = {{"result", "success"}};
    render_sample(r, l, 1, (double)st.reloads_ok);
    l[0].value = "failure";
    render_sample(r, l, 1, (double)st.reloads_failed);
    render_gauge1(r, "slurm_exporter_web_config_last_reload_successful",
                  "1 when the last load of the web configuration succeeded; 0 means the previous "
                  "configuration is still served (see the log).",
                  st.last_ok ? 1 : 0);
    if (st.tls) {
        render_gauge1(r, "slurm_exporter_tls_certificate_not_after_timestamp_seconds",
                      "Expiry (Unix time) of the TLS certificate being served.", st.cert_not_after);
        render_family(r, "slurm_exporter_tls_client_certificate_rejections", M_COUNTER,
                      "TLS handshakes refused because the client certificate was missing, "
                      "untrusted, expired or had no allowed SAN (see client_auth_type).");
        render_sample(r, NULL, 0, (double)__atomic_load_n(&H.cert_rejections, __ATOMIC_RELAXED));
    }
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
    k->check = NULL;
    k->since = mono_now_s();
    k->deadline = k->since + after;
    pthread_mutex_unlock(&H.mu);
}

/* A request's credentials wait for the bcrypt worker's check job. */
static void conn_stage_auth(struct conn *k, struct auth_job *job, double after)
{
    conn_stage(k, CS_AUTH, after);
    pthread_mutex_lock(&H.mu);
    k->check = job;
    pthread_mutex_unlock(&H.mu);
}

/* Shuts the socket of a connection still listed (so libmicrohttpd has not
 * closed it): its next read or write fails and libmicrohttpd closes it in
 * its own thread. Its slot is free from now on. Caller holds H.mu. */
static void conn_shut(struct conn *k)
{
    if (k->shut)
        return;
    if (k->fd >= 0)
        shutdown(k->fd, SHUT_RDWR);
    k->shut = true;
    k->l->live--;
}

/* The client address as a key: an IPv4 address (also when mapped into
 * IPv6), or the /64 of an IPv6 address, which one host usually has whole. */
static uint64_t addr_key(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return 0;
    const unsigned char *b;
    if (ci->client_addr->sa_family == AF_INET) {
        b = (const unsigned char *)&((const struct sockaddr_in *)ci->client_addr)->sin_addr;
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr;
        b = a->s6_addr;
        if (!IN6_IS_ADDR_V4MAPPED(a)) {
            uint64_t k = 0;
            for (int i = 0; i < 8; i++)
                k = k << 8 | b[i];
            return k;
        }
        b += 12;
    } else {
        return 0;
    }
    return 1ULL << 32 | (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
}

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* How many of the n sorted keys equal key. */
static size_t key_count(const uint64_t *keys, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < n && keys[end] == key)
        end++;
    return end - lo;
}

/* Every slot of l is taken and a connection (fresh) came in: the connection
 * to close instead. Only one without a request to answer qualifies (its head
 * or body still coming in, idle between requests, or its request waiting for
 * a bcrypt check not started yet): of those, one from the
 * client address holding most of l's connections, the longest in its stage
 * among them. So a few addresses that open connections and send nothing, or
 * trickle, cannot keep the slots from a client that sends its request at
 * once. NULL when every other connection is answering a request. Caller
 * holds H.mu. */
static struct conn *slot_victim(const struct listener *l, const struct conn *fresh)
{
    uint64_t *keys = xmalloc((size_t)l->live * sizeof(*keys));
    size_t n = 0;
    for (struct conn *k = H.conns; k && n < (size_t)l->live; k = k->next)
        if (k->l == l && !k->shut)
            keys[n++] = k->akey;
    qsort(keys, n, sizeof(*keys), key_cmp);
    struct conn *best = NULL;
    size_t best_n = 0;
    for (struct conn *k = H.conns; k; k = k->next) {
        if (k->l != l || k->shut || k == fresh || k->stage == CS_RESPONSE ||
            (k->stage == CS_AUTH && !k->check))
            continue;
        size_t cnt = key_count(keys, n, k->akey);
        if (!best || cnt > best_n || (cnt == best_n && k->since < best->since)) {
            best = k;
            best_n = cnt;
        }
    }
    free(keys);
    return best;
}

/* A new connection holds a slot of its listener; past --web.max-requests
 * another connection gives its slot up (slot_victim), or when none can, the
 * new one is closed at once. Caller holds H.mu. */
static void slot_take(struct conn *fresh)
{
    struct listener *l = fresh->l;
    l->live++;
    if (l->live <= H.cfg->max_requests)
        return;
    struct conn *v;
    /* A check the worker has just taken cannot be withdrawn: that connection
     * is answered soon; look again without it. */
    while ((v = slot_victim(l, fresh)) && v->stage == CS_AUTH && !auth_worker_withdraw(v->check))
        v->check = NULL;
    if (!v) {
        conn_shut(fresh);
        log_msg(LOG_DEBUG, "all connections are answering requests; closed a new one");
        return;
    }
    int held = v->stage == CS_HEAD ? 0 : v->stage == CS_BODY ? 1 : v->stage == CS_IDLE ? 2 : 3;
    v->check = NULL;
    __atomic_add_fetch(&H.evictions[held], 1, __ATOMIC_RELAXED);
    conn_shut(v);
    log_msg(LOG_DEBUG, "all connections taken; closed an unfinished one for a new one", "stage",
            eviction_stages[held]);
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

/* The log limiter of one refusal reason (see cert_log). */
static struct log_limit *cert_limiter(const char *why)
{
    const size_t n = sizeof(H.cert_log) / sizeof(H.cert_log[0]);
    size_t i = 0;
    pthread_mutex_lock(&H.cert_log_mu);
    for (; i < n - 1; i++) {
        if (!H.cert_why[i][0])
            snprintf(H.cert_why[i], sizeof(H.cert_why[i]), "%.*s", (int)sizeof(H.cert_why[i]) - 1,
                     why);
        if (strncmp(H.cert_why[i], why, sizeof(H.cert_why[i]) - 1) == 0)
            break;
    }
    pthread_mutex_unlock(&H.cert_log_mu);
    return &H.cert_log[i];
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
    log_limited(cert_limiter(why), 1, LOG_WARN, "TLS handshake refused", "client", addr, "reason",
                why);
    return -1;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        /* New files (a renewed certificate) are picked up here, so the
         * handshake about to start already uses them. */
        webconfig_live_reload(false, false);
        struct conn *k = xcalloc(1, sizeof(*k));
        k->ws = webconfig_live_acquire();
        k->l = cls;
        k->c = c;
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = fi ? fi->connect_fd : -1;
        k->stage = CS_HEAD;
        k->since = mono_now_s();
        k->deadline = k->since + H.cfg->read_header_timeout;
        k->akey = addr_key(c);
        k->owner = pthread_self();
        k->route = P_OTHER;
        *socket_context = k;
        pthread_mutex_lock(&H.mu);
        k->next = H.conns;
        if (H.conns)
            H.conns->prev = k;
        H.conns = k;
        slot_take(k);
        pthread_mutex_unlock(&H.mu);
        if (H.tls && !k->shut) {
            const union MHD_ConnectionInfo *si =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            if (!si || !k->ws->tls || tls_session_prepare(k->ws->tls, si->tls_session) < 0) {
                log_msg(LOG_ERROR, "cannot set up TLS for a connection; dropping it");
                pthread_mutex_lock(&H.mu);
                conn_shut(k);
                pthread_mutex_unlock(&H.mu);
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
    if (!k->shut)
        k->l->live--;
    if (k->raw && --H.raw_open == 0)
        pthread_cond_broadcast(&H.raw_cv);
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
        int st = k->stage == CS_RESPONSE || k->stage == CS_AUTH ? 2 : k->stage == CS_BODY ? 1 : 0;
        /* waiting for bcrypt: out of the queue, so libmicrohttpd gets it back
         * (resumed) and closes it now, not after the check */
        if (k->stage == CS_AUTH && k->check)
            auth_worker_withdraw(k->check);
        k->check = NULL;
        conn_shut(k);
        __atomic_add_fetch(&H.timeouts[st], 1, __ATOMIC_RELAXED);
        log_msg(LOG_DEBUG, "closed a connection past its deadline", "stage", timeout_stages[st]);
    }
    pthread_mutex_unlock(&H.mu);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    struct conn *k = conn_of(c);
    if (k) /* waiting for the next request on a kept-alive connection; its
            * check (in rq) is no longer one to withdraw */
        conn_stage(k, CS_IDLE, H.cfg->web_timeout + H.cfg->read_header_timeout);
    struct req *rq = *con_cls;
    if (rq) {
        http_route_done(&rq->r);
        explicit_bzero(&rq->job, sizeof(rq->job));
        free(rq);
        *con_cls = NULL;
    }
}

/* ---- responses -------------------------------------------------------------------- */

/* rate_limit from the web configuration: a token bucket shared by all
 * connections, charged only for requests that passed authentication (or all
 * when no users are configured); reset when the configuration changes. */
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

/* The worker finished a bcrypt check (or the job gave its place in the queue
 * to another client's): record it and let libmicrohttpd call the handler
 * again for this connection. */
static void auth_done(struct auth_job *job)
{
    struct req *rq = job->arg;
    int st = job->ok ? AS_OK : job->cancelled ? AS_DOWN : job->busy ? AS_BUSY : AS_FAIL;
    __atomic_store_n(&rq->auth, st, __ATOMIC_RELEASE);
    MHD_resume_connection(rq->c);
}

/* ---- request framing -------------------------------------------------------------- */

/* The headers that say where a request's body ends. */
struct framing {
    const char *cl; /* the first Content-Length */
    const char *te; /* the last Transfer-Encoding */
    unsigned ncl, nte;
    bool cl_differs; /* another Content-Length has another value */
};

static enum MHD_Result framing_scan(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (!key)
        return MHD_YES;
    if (!value)
        value = "";
    if (strcasecmp(key, "Content-Length") == 0) {
        if (f->ncl++ == 0)
            f->cl = value;
        else if (strcmp(f->cl, value) != 0)
            f->cl_differs = true;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->nte++;
        f->te = value;
    }
    return MHD_YES;
}

/* A Content-Length value libmicrohttpd reads: digits only, below 2^64. */
static bool length_readable(const char *v)
{
    if (!*v)
        return false;
    uint64_t n = 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return false;
        unsigned d = (unsigned)(*v - '0');
        if (n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    return true;
}

static struct framing framing_of(struct MHD_Connection *c)
{
    struct framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, framing_scan, &f);
    return f;
}

/* Why a request head does not say where its body ends (the reply's text),
 * or NULL: Transfer-Encoding other than one "chunked", Transfer-Encoding and
 * Content-Length together, Content-Length headers that disagree or one that
 * is not a number (RFC 9112 section 6.3: such a request is answered 400 and
 * its connection closed). */
static const char *framing_error(struct MHD_Connection *c)
{
    struct framing f = framing_of(c);
    if (f.nte > 1 || (f.nte && strcasecmp(f.te, "chunked") != 0))
        return "Transfer-Encoding other than chunked\n";
    if (f.nte && f.ncl)
        return "Content-Length with Transfer-Encoding\n";
    if (f.ncl && f.cl_differs)
        return "conflicting Content-Length headers\n";
    if (f.ncl && !length_readable(f.cl))
        return "invalid Content-Length\n";
    return NULL;
}

/* Writes a whole response on the connection's socket (through its TLS
 * session on a TLS listener), outside libmicrohttpd, which is about to close
 * the connection. Best effort: a reply that does not fit the socket's buffer
 * at once is cut. */
static void conn_send_raw(const struct conn *k, const char *p, size_t n)
{
    if (H.tls) {
        const union MHD_ConnectionInfo *si =
            MHD_get_connection_info(k->c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (si)
            (void)gnutls_record_send(si->tls_session, p, n);
    } else if (k->fd >= 0) {
        (void)send(k->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
}

/* libmicrohttpd 0.9.75 refuses a request whose (first) Content-Length it
 * cannot read with an error response of its own, without calling the
 * handler, and writes that response's head twice. It logs the refusal
 * first, on the thread that serves the connection, before anything is
 * written; mhd_log then calls this. The connection is the one of this
 * thread whose head has such a Content-Length and no Transfer-Encoding and
 * has not reached the handler; it gets the 400 here, once, and its socket
 * is shut so the broken response never leaves. When two connections of the
 * thread fit, neither is touched. The client may see the 400 before
 * libmicrohttpd has queued its own response, which it must not do while the
 * daemon stops (it would use the response it did not queue): http_stop
 * waits until such connections are closed. */
static void answer_unreadable_length(void)
{
    pthread_t self = pthread_self();
    struct conn *hit = NULL;
    unsigned fits = 0;
    pthread_mutex_lock(&H.mu);
    for (struct conn *k = H.conns; k; k = k->next) {
        if (k->shut || !pthread_equal(k->owner, self) ||
            (k->stage != CS_HEAD && k->stage != CS_IDLE))
            continue;
        struct framing f = framing_of(k->c);
        if (f.ncl && !f.nte && !length_readable(f.cl)) {
            hit = k;
            fits++;
        }
    }
    if (fits == 1) {
        struct buf out = {0};
        http_reply_raw(&out, hit->ws->cfg, hit->route, 400, "invalid Content-Length\n");
        conn_send_raw(hit, out.p, out.len);
        buf_free(&out);
        conn_shut(hit);
        hit->raw = true;
        H.raw_open++;
    }
    pthread_mutex_unlock(&H.mu);
}

/* libmicrohttpd reports a request line: the path it names, kept for a reply
 * answer_unreadable_length may have to write before the handler sees it. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    struct conn *k = conn_of(c);
    if (k && uri) {
        char path[512];
        size_t n = strcspn(uri, "?");
        if (n < sizeof(path)) {
            memcpy(path, uri, n);
            path[n] = '\0';
            k->route = http_route(path);
        } else {
            k->route = P_OTHER;
        }
    }
    return NULL;
}

/* First call for a request (its head is complete): limits, rate, auth. The
 * decision is kept in rq; the second call answers. */
static enum MHD_Result request_head(struct MHD_Connection *c, struct conn *k, struct req *rq,
                                    const char *method)
{
    const struct web_state *ws = k->ws;
    const struct webconfig *wc = ws->cfg;
    const char *unframed = framing_error(c);
    if (unframed) {
        rq->r.early = 400;
        return http_reply_closing(c, wc, rq->r.p, 400, unframed);
    }
    const union MHD_ConnectionInfo *hi =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hi && hi->header_size > H.cfg->max_header_bytes) {
        rq->r.early = 431;
        return http_reply(c, wc, rq->r.p, 431, http_status_text(431));
    }
    enum MHD_Result res = http_route_head(c, wc, &rq->r, method);
    if (rq->r.early)
        return res;
    if (H.tls) {
        const union MHD_ConnectionInfo *si =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (!si || !ws->tls || tls_client_cert_missing(ws->tls, si->tls_session)) {
            rq->r.early = 403;
            log_msg(LOG_ERROR, "request without the required client certificate refused");
            return http_reply(c, wc, rq->r.p, 403, "client certificate required\n");
        }
    }
    if (!ws->auth) {
        rq->auth = AS_NONE;
    } else {
        const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        struct auth_job *j = &rq->job;
        enum auth_quick q = auth_quick_check(ws->auth, h, j);
        if (q == AUTH_REJECT) {
            rq->r.early = 401;
            return http_reply(c, wc, rq->r.p, 401, http_status_text(401));
        }
        if (q == AUTH_ACCEPT) {
            rq->auth = AS_OK;
        } else {
            /* bcrypt waits in the queue of the client's address */
            const union MHD_ConnectionInfo *ai =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            auth_job_source(j, ai ? ai->client_addr : NULL);
            j->done = auth_done;
            j->arg = rq;
            rq->c = c;
            __atomic_store_n(&rq->auth, AS_PENDING, __ATOMIC_RELEASE);
            rq->resumed = true;
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
    const struct webconfig *wc = k->ws->cfg;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = xcalloc(1, sizeof(*rq));
        *con_cls = rq;
        rq->r.p = http_route(url);
        enum MHD_Result res = request_head(c, k, rq, method);
        /* A trace post's body comes in under --web.read-header-timeout,
         * counted from the end of its head; a response goes out under
         * --web.write-timeout, counted from the end of the request. A
         * request waiting for its bcrypt check may be closed for a new
         * connection (its check withdrawn) until the worker takes it. The
         * resumed call cannot come before this: it runs on this thread. */
        if (rq->resumed)
            conn_stage_auth(k, &rq->job, H.cfg->write_timeout);
        else if (rq->r.post && !rq->r.early)
            conn_stage(k, CS_BODY, H.cfg->read_header_timeout);
        else
            conn_stage(k, CS_RESPONSE, H.cfg->write_timeout);
        return res;
    }
    if (*upload_size) {
        if (!rq->r.post || rq->r.early) {
            *upload_size = 0; /* a reply is queued already; drop the rest */
            return MHD_YES;
        }
        int as = __atomic_load_n(&rq->auth, __ATOMIC_ACQUIRE);
        if (as == AS_NONE || as == AS_OK)
            return http_route_body(c, wc, &rq->r, upload_data, upload_size);
        *upload_size = 0; /* refused below, once the body is in */
        return MHD_YES;
    }
    int as = __atomic_load_n(&rq->auth, __ATOMIC_ACQUIRE);
    if (rq->resumed && (as == AS_OK || as == AS_NONE)) {
        /* The first call again, after the bcrypt check: a post's body has
         * not been read yet, so only a later call may answer it. Its body
         * deadline starts again now (the check's wait is not the client's). */
        rq->resumed = false;
        if (rq->r.post && !rq->r.early) {
            conn_stage(k, CS_BODY, H.cfg->read_header_timeout);
            return MHD_YES;
        }
    }
    /* the body is in, or the check is done (only this thread moves k's stage) */
    if (k->stage == CS_BODY || (k->stage == CS_AUTH && as != AS_PENDING))
        conn_stage(k, CS_RESPONSE, H.cfg->write_timeout);
    if (rq->r.early)
        return MHD_YES;
    switch (as) {
    case AS_PENDING:
        return MHD_YES;
    case AS_FAIL:
        rq->r.early = 401;
        return http_reply(c, wc, rq->r.p, 401, http_status_text(401));
    case AS_BUSY:
        rq->r.early = 429;
        return http_reply(c, wc, rq->r.p, 429, http_status_text(429));
    case AS_DOWN:
        rq->r.early = 503;
        return http_reply(c, wc, rq->r.p, 503, "shutting down\n");
    default:
        break;
    }
    /* rate_limit paces scrapes, charged only once the client has
     * authenticated: refused requests cannot spend the budget of those who
     * may scrape. Trace posts are bounded by the connection limits and the
     * store's caps, and must not use up the scrapers' budget either. */
    if (!rq->r.post && !rate_allow(k->ws)) {
        rq->r.early = 429;
        return http_reply(c, wc, rq->r.p, 429, http_status_text(429));
    }
    return http_route_answer(c, wc, &rq->r);
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
    static const char bad_length[] = "Failed to parse `Content-Length' header";
    static const char huge_length[] = "Too large value of 'Content-Length' header";
    if (strncmp(msg, bad_length, sizeof(bad_length) - 1) == 0 ||
        strncmp(msg, huge_length, sizeof(huge_length) - 1) == 0)
        answer_unreadable_length();
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

/* Starts one daemon on an address (ai) or an inherited socket (fd >= 0),
 * its connections counted in l. */
static struct MHD_Daemon *start_one(const struct config *cfg, const struct web_state *ws,
                                    const struct addrinfo *ai, int fd, bool any6,
                                    struct listener *l)
{
    /* poll(), not epoll: in epoll mode libmicrohttpd 0.9.75 stops reading a
     * connection after a short read, so a client that sent part of a head
     * and closed at once was noticed only at its deadline (its socket left
     * in CLOSE-WAIT, holding a slot); and it spins at full CPU while a TLS
     * handshake waits for the client. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_POLL;
    if (ai && ai->ai_family == AF_INET6)
        flags |= any6 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    if (ws->tls)
        flags |= MHD_USE_TLS;
    size_t pool = cfg->max_header_bytes + 16384;
    if (pool < 32768)
        pool = 32768;
    /* Past --web.max-requests a new connection is still accepted, so that
     * slot_take can close an unfinished one for it; the spare bounds the
     * connections shut down but not yet closed. */
    long limit = cfg->max_requests + cfg->max_requests / 4 + 4;
    struct MHD_OptionItem opts[17];
    size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
    OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL);
    if (fd >= 0)
        OPT(MHD_OPTION_LISTEN_SOCKET, fd, NULL);
    else if (ai)
        OPT(MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, 2, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, limit, NULL);
    OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->web_timeout < 1 ? 1 : cfg->web_timeout),
        NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, NULL);
    OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_conn, l);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_done, NULL);
    OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_seen, NULL);
    if (ws->tls) {
        OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)(uintptr_t)no_daemon_cert);
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)tls_ctx_priority(ws->tls));
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
}

int http_start(const struct config *cfg, const struct http_hooks *hooks)
{
    H.cfg = cfg;
    http_routes_init(cfg, hooks);
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
            struct MHD_Daemon *d = start_one(cfg, ws, NULL, fds[i], false, &H.lis[H.n]);
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
        struct MHD_Daemon *d = start_one(cfg, ws, ai, -1, any6, &H.lis[H.n]);
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
    /* Connections answered by answer_unreadable_length close within a loop
     * of their thread (their socket is shut); 2 s at most. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&H.mu);
    while (H.raw_open && pthread_cond_timedwait(&H.raw_cv, &H.mu, &until) == 0)
        ;
    pthread_mutex_unlock(&H.mu);
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
