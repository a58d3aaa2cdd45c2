/* SPDX-License-Identifier: Apache-2.0 */
/* slurm_exporter_trace: runs a job's command, samples its whole process tree
 * from /proc at a set rate, and POSTs each sample to slurm_exporter's /trace
 * endpoint as the JSON object the rivosinc exporter's trace wrapper sends:
 *   {"job_id":N,"pid":N,"cpus":PERCENT,"threads":N,"mem":BYTES,
 *    "read_bytes":BYTES,"write_bytes":BYTES,"username":"u","hostname":"h"}
 * It forwards signals to the command and exits with its status. Needs libc
 * and GnuTLS (for https URLs); HTTP/1.1 with optional basic auth and client
 * certificates. See docs/trace-wrapper.md. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#ifndef SE_VERSION
#define SE_VERSION "0.0.0"
#endif

#define PROG "slurm_exporter_trace"
#define MAX_PROCS_SCANNED 131072 /* /proc entries looked at per sample */
#define MAX_TREE 4096            /* processes of the job's tree summed per sample */
#define EXIT_USAGE 125           /* the wrapper's own failure, as env(1) and timeout(1) */

/* ---- options ------------------------------------------------------------- */

struct opts {
    const char *url;
    double interval; /* seconds */
    double timeout;  /* seconds, per POST */
    const char *user;
    const char *password_file;
    const char *cacert; /* https: trusted CAs (default: the system's) */
    const char *cert;   /* https: client certificate */
    const char *key;    /* https: its key */
    long long job_id;
    bool verbose;
    bool print; /* print samples to stderr too */
    char **argv;
};

struct url {
    bool tls;
    char host[256];
    char port[8];
    char path[1024];
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " [options] -- command [args...]\n"
            "Runs command, samples its process tree and POSTs the samples to slurm_exporter.\n"
            "  --url URL             exporter trace endpoint (default $SLURM_EXPORTER_TRACE_URL,\n"
            "                        else http://127.0.0.1:9341/trace); http:// or https://\n"
            "  --interval DURATION   sample every DURATION (default 10s; 500ms, 1m, 30)\n"
            "  --timeout DURATION    give up a POST after DURATION (default 2s)\n"
            "  --user USER           basic auth user\n"
            "  --password-file FILE  basic auth password (first line of FILE)\n"
            "  --cacert FILE         https: trust these CAs (PEM) instead of the system's\n"
            "  --cert FILE, --key FILE  https: client certificate and key (PEM)\n"
            "  --job-id ID           job id (default $SLURM_JOB_ID)\n"
            "  --print               also write each sample to stderr\n"
            "  --verbose             log each POST's result to stderr\n"
            "  --help, --version\n"
            "Exit status: the command's; 128+N when it was killed by signal N (the\n"
            "signal is re-raised first, so callers see the same death); 125 for a usage\n"
            "error, 126 when the command cannot run, 127 when it is not found.\n");
}

static int parse_duration(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || v > 1e7)
        return -1;
    if (strcmp(end, "ms") == 0)
        v /= 1000;
    else if (strcmp(end, "m") == 0)
        v *= 60;
    else if (strcmp(end, "h") == 0)
        v *= 3600;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    *out = v;
    return 0;
}

static int parse_url(const char *s, struct url *u)
{
    const char *p = s;
    u->tls = false;
    if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    } else if (strncmp(p, "https://", 8) == 0) {
        p += 8;
        u->tls = true;
    } else if (strstr(p, "://")) {
        return -1; /* any other scheme */
    }
    const char *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/trace");
    snprintf(u->port, sizeof(u->port), u->tls ? "443" : "80");
    char hp[300];
    if (hl == 0 || hl >= sizeof(hp))
        return -1;
    memcpy(hp, p, hl);
    hp[hl] = '\0';
    char *host = hp, *port = NULL;
    if (hp[0] == '[') { /* [v6]:port */
        char *rb = strchr(hp, ']');
        if (!rb)
            return -1;
        *rb = '\0';
        host = hp + 1;
        if (rb[1] == ':')
            port = rb + 2;
        else if (rb[1])
            return -1;
    } else {
        char *c = strrchr(hp, ':');
        if (c) {
            *c = '\0';
            port = c + 1;
        }
    }
    size_t hlen = strlen(host);
    if (hlen == 0 || hlen >= sizeof(u->host))
        return -1;
    memcpy(u->host, host, hlen + 1);
    if (port) {
        size_t pl = strlen(port);
        if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl || atoi(port) > 65535)
            return -1;
        snprintf(u->port, sizeof(u->port), "%s", port);
    }
    return 0;
}

static void base64(const unsigned char *in, size_t n, char *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
}

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t child_pid;
static int wake_pipe[2] = {-1, -1};

static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,
                                SIGUSR1, SIGUSR2, SIGCONT, SIGALRM};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void on_forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* A terminal's ^C / ^\ went to the whole foreground process group,
     * the command included: do not send it twice. */
    if (si && si->si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT))
        return;
    int saved = errno;
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
    errno = saved;
}

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    char c = 0;
    ssize_t w = write(wake_pipe[1], &c, 1);
    (void)w; /* a full pipe already wakes the loop */
    errno = saved;
}

/* ---- sampling ------------------------------------------------------------ */

struct sample {
    double cpu_ticks; /* cumulative, whole tree and reaped descendants */
    double rss_bytes;
    double threads;
    double read_bytes, write_bytes;
    size_t procs;
    bool truncated;
};

struct proc_ent {
    pid_t pid, ppid;
};

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* /proc/<pid>/stat after the command name: field 3 (state) onward. */
struct pstat {
    pid_t ppid;
    unsigned long long utime, stime, cutime, cstime, threads, rss_pages;
};

static int read_stat(const char *pid, struct pstat *ps)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    if (read_small(path, buf, sizeof(buf)) < 0)
        return -1;
    char *p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
    if (!p)
        return -1;
    p++;
    unsigned long long f[23]; /* fields 4 .. 24 */
    char state;
    int k = sscanf(p,
                   " %c %llu %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu %llu %llu %*s "
                   "%*s %llu %*s %*s %*s %llu",
                   &state, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]);
    if (k != 8)
        return -1;
    ps->ppid = (pid_t)f[0];
    ps->utime = f[1];
    ps->stime = f[2];
    ps->cutime = f[3];
    ps->cstime = f[4];
    ps->threads = f[5];
    ps->rss_pages = f[6];
    return 0;
}

static void read_io(const char *pid, double *rb, double *wb)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%s/io", pid);
    if (read_small(path, buf, sizeof(buf)) < 0)
        return; /* not ours to read, or gone */
    const char *r = strstr(buf, "\nread_bytes: ");
    const char *w = strstr(buf, "\nwrite_bytes: ");
    if (r)
        *rb += strtod(r + 13, NULL);
    if (w)
        *wb += strtod(w + 14, NULL);
}

/* A small set of pids (open addressing). */
struct pidset {
    pid_t *v;
    size_t cap, n;
};

static bool pidset_has(const struct pidset *s, pid_t p)
{
    size_t i = ((size_t)p * 2654435761u) & (s->cap - 1);
    while (s->v[i]) {
        if (s->v[i] == p)
            return true;
        i = (i + 1) & (s->cap - 1);
    }
    return false;
}

static void pidset_add(struct pidset *s, pid_t p)
{
    size_t i = ((size_t)p * 2654435761u) & (s->cap - 1);
    while (s->v[i] && s->v[i] != p)
        i = (i + 1) & (s->cap - 1);
    if (!s->v[i]) {
        s->v[i] = p;
        s->n++;
    }
}

/* Sums the wrapper's descendants (it is their subreaper, so orphans stay in
 * the tree) and what its reaped children used. */
static int take_sample(struct sample *out)
{
    memset(out, 0, sizeof(*out));
    long page = sysconf(_SC_PAGESIZE);
    static struct proc_ent *ents;
    if (!ents) {
        ents = calloc(MAX_PROCS_SCANNED, sizeof(*ents));
        if (!ents)
            return -1;
    }
    size_t n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    struct dirent *e;
    pid_t self = getpid();
    while ((e = readdir(d)) != NULL && n < MAX_PROCS_SCANNED) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        struct pstat ps;
        if (read_stat(e->d_name, &ps) < 0)
            continue; /* exited meanwhile */
        ents[n].pid = (pid_t)atoi(e->d_name);
        ents[n].ppid = ps.ppid;
        n++;
    }
    closedir(d);
    pid_t setv[MAX_TREE * 2];
    memset(setv, 0, sizeof(setv));
    struct pidset tree = {setv, (size_t)MAX_TREE * 2, 0};
    pidset_add(&tree, self);
    /* descendants: repeat until no process is added (pids mostly grow with
     * depth, so one or two passes usually do) */
    for (int pass = 0; pass < 64; pass++) {
        size_t before = tree.n;
        for (size_t i = 0; i < n && tree.n < MAX_TREE; i++)
            if (ents[i].pid != self && !pidset_has(&tree, ents[i].pid) &&
                pidset_has(&tree, ents[i].ppid))
                pidset_add(&tree, ents[i].pid);
        if (tree.n == before)
            break;
        if (tree.n >= MAX_TREE) {
            out->truncated = true;
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ents[i].pid == self || !pidset_has(&tree, ents[i].pid))
            continue;
        char pid[24];
        snprintf(pid, sizeof(pid), "%d", (int)ents[i].pid);
        struct pstat ps;
        if (read_stat(pid, &ps) < 0)
            continue;
        out->cpu_ticks += (double)(ps.utime + ps.stime + ps.cutime + ps.cstime);
        out->threads += (double)ps.threads;
        out->rss_bytes += (double)ps.rss_pages * (double)page;
        read_io(pid, &out->read_bytes, &out->write_bytes);
        out->procs++;
    }
    /* the children the wrapper reaped (orphans adopted as subreaper) */
    struct pstat me;
    if (read_stat("self", &me) == 0)
        out->cpu_ticks += (double)(me.cutime + me.cstime);
    double srb = 0, swb = 0;
    read_io("self", &srb, &swb);
    out->read_bytes += srb;
    out->write_bytes += swb;
    return 0;
}

/* ---- HTTP ---------------------------------------------------------------- */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_fd(int fd, short ev, double deadline)
{
    for (;;) {
        double left = deadline - mono();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

/* ---- TLS ------------------------------------------------------------------ */

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static gnutls_certificate_credentials_t tls_cred;

/* Loads the trust store and the client certificate once, at start-up: a bad
 * file is a usage error before the command runs. */
static int tls_setup(const struct opts *o)
{
    int rc = gnutls_global_init();
    if (rc >= 0)
        rc = gnutls_certificate_allocate_credentials(&tls_cred);
    if (rc < 0) {
        logmsg("TLS: %s", gnutls_strerror(rc));
        return -1;
    }
    if (o->cacert) {
        rc = gnutls_certificate_set_x509_trust_file(tls_cred, o->cacert, GNUTLS_X509_FMT_PEM);
        if (rc <= 0) {
            logmsg("--cacert %s: %s", o->cacert,
                   rc == 0 ? "no certificate in the file" : gnutls_strerror(rc));
            return -1;
        }
    } else {
        rc = gnutls_certificate_set_x509_system_trust(tls_cred);
        if (rc <= 0) {
            logmsg("TLS: no system CA certificates (%s); give --cacert",
                   rc == 0 ? "none found" : gnutls_strerror(rc));
            return -1;
        }
    }
    if (o->cert || o->key) {
        if (!o->cert || !o->key) {
            logmsg("--cert and --key go together");
            return -1;
        }
        rc = gnutls_certificate_set_x509_key_file(tls_cred, o->cert, o->key, GNUTLS_X509_FMT_PEM);
        if (rc < 0) {
            logmsg("--cert %s / --key %s: %s", o->cert, o->key, gnutls_strerror(rc));
            return -1;
        }
    }
    return 0;
}

struct conn {
    int fd;
    gnutls_session_t s; /* NULL for plain HTTP */
};

static void conn_close(struct conn *c)
{
    if (c->s) {
        gnutls_deinit(c->s);
        c->s = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* The TLS handshake on the connected, non-blocking socket: the server's
 * certificate must chain to a trusted CA and name the URL's host. */
static int tls_start(struct conn *c, const struct url *u, double deadline, char *why, size_t whylen)
{
    int rc = gnutls_init(&c->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
    if (rc >= 0)
        rc = gnutls_set_default_priority(c->s);
    if (rc >= 0)
        rc = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, tls_cred);
    if (rc < 0) {
        snprintf(why, whylen, "TLS: %s", gnutls_strerror(rc));
        return -EPROTO;
    }
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, u->host, ip) == 1 || inet_pton(AF_INET6, u->host, ip) == 1;
    if (!is_ip)
        gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, u->host, strlen(u->host));
    gnutls_session_set_verify_cert(c->s, u->host, 0);
    gnutls_transport_set_int(c->s, c->fd);
    for (;;) {
        rc = gnutls_handshake(c->s);
        if (rc >= 0)
            return 0;
        if (gnutls_error_is_fatal(rc)) {
            if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
                gnutls_datum_t msg = {NULL, 0};
                unsigned st = gnutls_session_get_verify_cert_status(c->s);
                if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &msg, 0) ==
                    0) {
                    snprintf(why, whylen, "TLS: server certificate refused: %s",
                             (const char *)msg.data);
                    gnutls_free(msg.data);
                    return -EPROTO;
                }
            }
            snprintf(why, whylen, "TLS handshake: %s", gnutls_strerror(rc));
            return -EPROTO;
        }
        int wr = wait_fd(c->fd, gnutls_record_get_direction(c->s) ? POLLOUT : POLLIN, deadline);
        if (wr < 0) {
            snprintf(why, whylen, "TLS handshake: %s", strerror(-wr));
            return wr;
        }
    }
}

/* Writes all of buf within the deadline. */
static int conn_send(struct conn *c, const char *buf, size_t len, double deadline)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w;
        if (c->s) {
            w = gnutls_record_send(c->s, buf + off, len - off);
            if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
                int wr = wait_fd(c->fd, POLLOUT, deadline);
                if (wr < 0)
                    return wr;
                continue;
            }
            if (w < 0)
                return -EPIPE;
        } else {
            w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                int wr = wait_fd(c->fd, POLLOUT, deadline);
                if (wr < 0)
                    return wr;
                continue;
            }
            if (w <= 0)
                return w < 0 ? -errno : -EPIPE;
        }
        off += (size_t)w;
    }
    return 0;
}

/* Reads what is there (at least one byte, 0 at the end) within the deadline. */
static ssize_t conn_recv(struct conn *c, char *buf, size_t cap, double deadline)
{
    for (;;) {
        ssize_t r;
        if (c->s) {
            r = gnutls_record_recv(c->s, buf, cap);
            if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
                if (gnutls_record_check_pending(c->s) > 0)
                    continue;
                int wr = wait_fd(c->fd, POLLIN, deadline);
                if (wr < 0)
                    return wr;
                continue;
            }
            if (r == GNUTLS_E_PREMATURE_TERMINATION)
                return 0;
            if (r < 0)
                return -EPROTO;
            return r;
        }
        r = recv(c->fd, buf, cap, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            int wr = wait_fd(c->fd, POLLIN, deadline);
            if (wr < 0)
                return wr;
            continue;
        }
        return r < 0 ? -errno : r;
    }
}

/* POSTs body; 0 on a 2xx answer, else -errno or the HTTP status. */
static int http_post(const struct url *u, const char *auth, const char *body, double timeout,
                     char *why, size_t whylen)
{
    double deadline = mono() + timeout;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(u->host, u->port, &hints, &res);
    if (g != 0) {
        snprintf(why, whylen, "resolve %s: %s", u->host, gai_strerror(g));
        return -EHOSTUNREACH;
    }
    int fd = -1, rc = -ECONNREFUSED;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            rc = 0;
            break;
        }
        if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0) {
            int err = 0;
            socklen_t el = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err == 0) {
                rc = 0;
                break;
            }
            rc = -err;
        } else {
            rc = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(why, whylen, "connect %s:%s: %s", u->host, u->port, strerror(-rc));
        return rc;
    }
    struct conn c = {fd, NULL};
    if (u->tls) {
        rc = tls_start(&c, u, deadline, why, whylen);
        if (rc < 0) {
            conn_close(&c);
            return rc;
        }
    }
    char head[2048];
    int hl = snprintf(head, sizeof(head),
                      "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: " PROG "/" SE_VERSION
                      "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s%s%s"
                      "Connection: close\r\n\r\n",
                      u->path, u->host, u->port, strlen(body), auth ? "Authorization: Basic " : "",
                      auth ? auth : "", auth ? "\r\n" : "");
    if (hl < 0 || (size_t)hl >= sizeof(head)) {
        conn_close(&c);
        snprintf(why, whylen, "request too long");
        return -EINVAL;
    }
    rc = conn_send(&c, head, (size_t)hl, deadline);
    if (rc == 0)
        rc = conn_send(&c, body, strlen(body), deadline);
    if (rc < 0) {
        conn_close(&c);
        snprintf(why, whylen, "send: %s", strerror(-rc));
        return rc;
    }
    char resp[256] = "";
    size_t got = 0;
    while (got < sizeof(resp) - 1 && !memchr(resp, '\n', got)) {
        ssize_t r = conn_recv(&c, resp + got, sizeof(resp) - 1 - got, deadline);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r < 0 && got == 0) {
            conn_close(&c);
            snprintf(why, whylen, "no answer: %s", strerror((int)-r));
            return (int)r;
        }
        break;
    }
    conn_close(&c);
    resp[got] = '\0';
    int status = 0;
    if (sscanf(resp, "HTTP/%*d.%*d %d", &status) != 1) {
        snprintf(why, whylen, "no HTTP status in the answer");
        return -EPROTO;
    }
    if (status < 200 || status > 299) {
        snprintf(why, whylen, "HTTP status %d", status);
        return status;
    }
    return 0;
}

static void json_str(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

/* ---- main ---------------------------------------------------------------- */

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    o->url = getenv("SLURM_EXPORTER_TRACE_URL");
    if (!o->url || !*o->url)
        o->url = "http://127.0.0.1:9341/trace";
    o->interval = 10;
    o->timeout = 2;
    const char *jid = getenv("SLURM_JOB_ID");
    if (!jid || !*jid)
        jid = getenv("SLURM_JOBID");
    o->job_id = jid ? atoll(jid) : 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-')
            break;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--version") == 0) {
            printf(PROG " " SE_VERSION "\n");
            exit(0);
        }
        if (strcmp(a, "--verbose") == 0) {
            o->verbose = true;
            continue;
        }
        if (strcmp(a, "--print") == 0) {
            o->print = true;
            continue;
        }
        /* --name=value or --name value */
        static const char *const with_val[] = {"--url",    "--interval",      "--timeout",
                                               "--user",   "--password-file", "--job-id",
                                               "--cacert", "--cert",          "--key"};
        const char *val = NULL;
        size_t k;
        for (k = 0; k < sizeof(with_val) / sizeof(with_val[0]); k++) {
            size_t l = strlen(with_val[k]);
            if (strncmp(a, with_val[k], l) == 0 && (a[l] == '=' || a[l] == '\0')) {
                if (a[l] == '=')
                    val = a + l + 1;
                else if (i + 1 < argc)
                    val = argv[++i];
                break;
            }
        }
        if (k == sizeof(with_val) / sizeof(with_val[0])) {
            logmsg("unknown option %s (see --help)", a);
            return -1;
        }
        if (!val) {
            logmsg("%s needs a value", with_val[k]);
            return -1;
        }
        switch (k) {
        case 0:
            o->url = val;
            break;
        case 1:
            if (parse_duration(val, &o->interval) < 0 || o->interval < 0.1) {
                logmsg("--interval: bad duration \"%s\" (at least 100ms)", val);
                return -1;
            }
            break;
        case 2:
            if (parse_duration(val, &o->timeout) < 0 || o->timeout <= 0) {
                logmsg("--timeout: bad duration \"%s\"", val);
                return -1;
            }
            break;
        case 3:
            o->user = val;
            break;
        case 4:
            o->password_file = val;
            break;
        case 6:
            o->cacert = val;
            break;
        case 7:
            o->cert = val;
            break;
        case 8:
            o->key = val;
            break;
        default: {
            char *end;
            o->job_id = strtoll(val, &end, 10);
            if (*end || o->job_id <= 0) {
                logmsg("--job-id: bad job id \"%s\"", val);
                return -1;
            }
        }
        }
    }
    if (i >= argc) {
        logmsg("no command given (usage: " PROG " [options] -- command [args...])");
        return -1;
    }
    o->argv = argv + i;
    return 0;
}

static char *make_auth(const struct opts *o)
{
    if (!o->user && !o->password_file)
        return NULL;
    char pw[1024] = "";
    if (o->password_file) {
        FILE *f = fopen(o->password_file, "r");
        if (!f) {
            logmsg("--password-file %s: %s", o->password_file, strerror(errno));
            return (char *)-1;
        }
        if (!fgets(pw, sizeof(pw), f))
            pw[0] = '\0';
        fclose(f);
        pw[strcspn(pw, "\r\n")] = '\0';
    }
    const char *user = o->user ? o->user : "";
    char cred[1400];
    int n = snprintf(cred, sizeof(cred), "%s:%s", user, pw);
    memset(pw, 0, sizeof(pw));
    if (n < 0 || (size_t)n >= sizeof(cred)) {
        logmsg("--user and password too long");
        return (char *)-1;
    }
    char *out = malloc(((size_t)n + 2) / 3 * 4 + 1);
    if (!out)
        return (char *)-1;
    base64((const unsigned char *)cred, (size_t)n, out);
    memset(cred, 0, sizeof(cred));
    return out;
}

/* Dies the way the command died: same signal, no core file. */
static int exit_like(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
        signal(sig, SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        raise(sig);
        return 128 + sig; /* the signal did not end us (e.g. one ignored by default) */
    }
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(argc, argv, &o) < 0)
        return EXIT_USAGE;
    struct url u;
    if (parse_url(o.url, &u) < 0) {
        logmsg("--url %s: not an http:// or https:// URL (see docs/trace-wrapper.md)", o.url);
        return EXIT_USAGE;
    }
    if (u.tls ? tls_setup(&o) < 0 : (o.cacert || o.cert || o.key) != 0) {
        if (!u.tls)
            logmsg("--cacert, --cert and --key need an https:// --url");
        return EXIT_USAGE;
    }
    char *auth = make_auth(&o);
    if (auth == (char *)-1)
        return EXIT_USAGE;
    if (o.job_id <= 0)
        logmsg("no job id (SLURM_JOB_ID unset, no --job-id): running the command without "
               "sending samples");

    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        logmsg("pipe: %s", strerror(errno));
        return EXIT_USAGE;
    }
    int exec_pipe[2];
    if (pipe2(exec_pipe, O_CLOEXEC) < 0) {
        logmsg("pipe: %s", strerror(errno));
        return EXIT_USAGE;
    }
    /* orphans of the command (double forks, "cmd &" of an ending shell) are
     * reparented to us, so they stay in the tree we sample */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_child;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sa.sa_sigaction = on_forward;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    for (size_t i = 0; i < NFORWARDED; i++) {
        sigaddset(&block, forwarded[i]);
        sigaction(forwarded[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_BLOCK, &block, &old);

    pid_t pid = fork();
    if (pid < 0) {
        logmsg("fork: %s", strerror(errno));
        return EXIT_USAGE;
    }
    if (pid == 0) {
        for (size_t i = 0; i < NFORWARDED; i++)
            signal(forwarded[i], SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(o.argv[0], o.argv);
        int e = errno;
        ssize_t w = write(exec_pipe[1], &e, sizeof(e));
        (void)w;
        _exit(e == ENOENT ? 127 : 126);
    }
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(exec_pipe[1]);
    int exec_err = 0;
    ssize_t er;
    do
        er = read(exec_pipe[0], &exec_err, sizeof(exec_err));
    while (er < 0 && errno == EINTR);
    close(exec_pipe[0]);
    if (er == (ssize_t)sizeof(exec_err))
        logmsg("cannot run %s: %s", o.argv[0], strerror(exec_err));

    char hostname[256] = "", user[128] = "", body[1024];
    /* Slurm's node name (as in the exporter's other metrics; several slurmd
     * on one host differ only by it), else the short host name */
    const char *nn = getenv("SLURMD_NODENAME");
    if (nn && *nn)
        snprintf(hostname, sizeof(hostname), "%s", nn);
    else if (gethostname(hostname, sizeof(hostname) - 1) == 0)
        hostname[strcspn(hostname, ".")] = '\0';
    struct passwd *pw = getpwuid(getuid());
    char ujson[300], hjson[600];
    if (pw)
        snprintf(user, sizeof(user), "%s", pw->pw_name);
    else
        snprintf(user, sizeof(user), "%u", (unsigned)getuid());
    json_str(ujson, sizeof(ujson), user);
    json_str(hjson, sizeof(hjson), hostname);
    double hz = (double)sysconf(_SC_CLK_TCK);

    double t_prev = mono(), next = t_prev + o.interval, ticks_prev = 0;
    unsigned long long failures = 0, sent = 0;
    double last_fail_log = -1e9;
    bool truncated_logged = false;
    int status = 0;
    for (;;) {
        /* reap: the command, and adopted orphans */
        bool done = false;
        for (;;) {
            int st;
            pid_t w = waitpid(-1, &st, WNOHANG);
            if (w <= 0)
                break;
            if (w == pid) {
                status = st;
                done = true;
            }
        }
        if (done)
            break;
        double now = mono();
        if (now >= next) {
            struct sample s;
            if (take_sample(&s) == 0) {
                double dt = now - t_prev;
                double cpus = dt > 0 ? (s.cpu_ticks - ticks_prev) / hz / dt * 100 : 0;
                if (cpus < 0)
                    cpus = 0; /* a process left the tree unreaped */
                ticks_prev = s.cpu_ticks;
                t_prev = now;
                if (s.truncated && !truncated_logged) {
                    logmsg("process tree over %d processes: the rest is not counted", MAX_TREE);
                    truncated_logged = true;
                }
                snprintf(body, sizeof(body),
                         "{\"job_id\":%lld,\"pid\":%d,\"cpus\":%.2f,\"threads\":%.0f,"
                         "\"mem\":%.0f,\"read_bytes\":%.0f,\"write_bytes\":%.0f,"
                         "\"username\":\"%s\",\"hostname\":\"%s\"}",
                         o.job_id, (int)pid, cpus, s.threads, s.rss_bytes, s.read_bytes,
                         s.write_bytes, ujson, hjson);
                if (o.print)
                    fprintf(stderr, "%s\n", body);
                if (o.job_id > 0) {
                    char why[300] = "";
                    int rc = http_post(&u, auth, body, o.timeout, why, sizeof(why));
                    if (rc == 0) {
                        sent++;
                        if (o.verbose)
                            logmsg("sent sample %llu", sent);
                    } else {
                        failures++;
                        if (o.verbose || mono() - last_fail_log >= 60) {
                            logmsg("POST to %s failed: %s (%llu failed, %llu sent; the job "
                                   "goes on)",
                                   o.url, why, failures, sent);
                            last_fail_log = mono();
                        }
                    }
                }
            }
            next += o.interval;
            if (next < mono())
                next = mono() + o.interval; /* a slow POST: do not burst */
        }
        double left = next - mono();
        struct pollfd p = {wake_pipe[0], POLLIN, 0};
        int r = poll(&p, 1, left > 0 ? (int)(left * 1000) + 1 : 0);
        if (r > 0) {
            char drain[64];
            while (read(wake_pipe[0], drain, sizeof(drain)) > 0) {
            }
        }
    }
    free(auth);
    return exit_like(status);
}
