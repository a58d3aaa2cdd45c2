/* SPDX-License-Identifier: Apache-2.0 */
/* slurm_exporter: flags, signals and lifecycle. Start-up errors in flags or
 * the web configuration exit 2 with one line naming the flag or file and line;
 * nothing after start-up calls exit(). Talks to systemd (readiness, reload,
 * stop, watchdog) through $NOTIFY_SOCKET when it is set. */
#include "collectors/collector.h"
#include "config.h"
#include "exposition.h"
#include "http.h"
#include "poller.h"
#include "status.h"
#include "trace.h"
#include "util/clock.h"
#include "util/log.h"
#include "webconfig_live.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static struct {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t len;
    double watchdog_s; /* ping interval; 0 = no watchdog */
    double next_ping;  /* monotonic deadline of the next watchdog ping */
} sd;

/* Takes $NOTIFY_SOCKET and the watchdog settings out of the environment
 * (the Slurm commands must not inherit them). Runs before any thread starts. */
static void sd_setup(void)
{
    const char *p = getenv("NOTIFY_SOCKET");
    size_t l = p ? strlen(p) : 0;
    if (l && l < sizeof(sd.path) && (p[0] == '/' || p[0] == '@')) {
        memcpy(sd.path, p, l);
        sd.len = l;
        const char *us = getenv("WATCHDOG_USEC"), *wp = getenv("WATCHDOG_PID");
        long long usec = us ? strtoll(us, NULL, 10) : 0;
        if (usec > 0 && (!wp || strtol(wp, NULL, 10) == (long)getpid()))
            sd.watchdog_s = (double)usec / 2e6;
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

/* Sends one sd_notify(3) datagram; silently nothing outside systemd. */
static void sd_notify_msg(const char *msg)
{
    if (!sd.len)
        return;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, sd.path, sd.len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sd.len);
    if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
        log_msg(LOG_WARN, "cannot notify systemd", "error", strerror(errno));
    close(fd);
}

/* /-/ready: every dataset was fetched once and an exposition built since. */
static bool serving_ready(void)
{
    return poller_ready() && exposition_ready();
}

/* After each burst of refreshes (the poller's builder thread): the
 * exposition is rebuilt, then the status page's summary and history are
 * taken from the same datasets. */
static void refreshed(void)
{
    exposition_rebuild();
    status_refresh();
}

static void reload(void)
{
    char msg[96];
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%lld",
             (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
    sd_notify_msg(msg);
    poller_reload(); /* the Slurm version: a site may have upgraded Slurm under us */
    int rc = webconfig_live_reload(true, false);
    if (rc == 0)
        log_msg(LOG_INFO, "SIGHUP: no web configuration to reload");
    sd_notify_msg(rc < 0 ? "READY=1\nSTATUS=reload failed; serving the previous web configuration"
                         : "READY=1\nSTATUS=serving");
}

/* Seconds between two reloads on SIGHUP: more signals in between are
 * coalesced into one reload at the end of the gap, so a storm of SIGHUPs
 * costs at most one reload a second and the last signal is always
 * followed by a reload that started after it. */
#define RELOAD_GAP_S 1.0

/* The work done about once a second: files the web configuration names may
 * have been replaced, connections may be past their deadline, the systemd
 * watchdog may be due a ping. */
static void periodic(void)
{
    webconfig_live_reload(false, false);
    http_reap();
    double now = mono_now_s();
    /* due on the same grid as the ticks (a millisecond early counts): a
     * ping is never put off to the tick after */
    if (sd.watchdog_s > 0 && now >= sd.next_ping - 0.001) {
        sd_notify_msg("WATCHDOG=1");
        sd.next_ping += sd.watchdog_s;
        if (sd.next_ping <= now)
            sd.next_ping = now + sd.watchdog_s;
    }
}

static struct timespec seconds_timespec(double s)
{
    if (s < 0)
        s = 0;
    struct timespec ts = {(time_t)s, 0};
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec > 999999999L)
        ts.tv_nsec = 999999999L;
    return ts;
}

/* Takes the signals in `set` until SIGTERM or SIGINT, which it returns.
 * The periodic work runs on its own deadline whatever the signal rate (a
 * signal arriving does not push it back); SIGHUPs are coalesced (see
 * RELOAD_GAP_S), and a stop request is looked for after each SIGHUP, since
 * Linux hands out the lower-numbered SIGHUP first while both are pending. */
static int main_loop(const sigset_t *set)
{
    double tick = 1;
    if (sd.watchdog_s > 0 && sd.watchdog_s < 1)
        tick = sd.watchdog_s;
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    double next_tick = mono_now_s() + tick;
    sd.next_ping = next_tick - tick + sd.watchdog_s;
    double last_reload = -RELOAD_GAP_S;
    bool reload_pending = false;
    for (;;) {
        double now = mono_now_s();
        if (now >= next_tick) {
            periodic();
            now = mono_now_s();
            next_tick += tick;
            if (next_tick <= now) /* fell behind: no burst to catch up */
                next_tick = now + tick;
        }
        if (reload_pending && now - last_reload >= RELOAD_GAP_S) {
            reload_pending = false;
            last_reload = now;
            reload();
            continue;
        }
        double wake = next_tick;
        if (reload_pending && last_reload + RELOAD_GAP_S < wake)
            wake = last_reload + RELOAD_GAP_S;
        struct timespec to = seconds_timespec(wake - now);
        int sig = sigtimedwait(set, NULL, &to);
        if (sig == SIGHUP) {
            reload_pending = true;
            struct timespec zero = {0, 0};
            sig = sigtimedwait(&stop_set, NULL, &zero);
        }
        if (sig == SIGTERM || sig == SIGINT)
            return sig;
    }
}

int main(int argc, char **argv)
{
    struct config cfg;
    int rc = config_parse(&cfg, argc, argv, stdout, stderr);
    if (rc == 1)
        return 0;
    if (rc || config_resolve_listen(&cfg, stderr))
        return 2;
    log_setup(cfg.log_level, cfg.log_format);
    sd_setup();
    http_take_systemd_sockets(&cfg);

    char err[1024];
    if (webconfig_live_init(cfg.web_config_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "slurm_exporter: %s\n", err);
        return 2;
    }

    /* Signals are taken synchronously by this thread; every other thread
     * inherits the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char enabled[256] = "";
    for (int c = 0; c < COLLECTOR_COUNT; c++) {
        if (!cfg.collector_on[c])
            continue;
        if (enabled[0])
            strncat(enabled, ",", sizeof(enabled) - strlen(enabled) - 1);
        strncat(enabled, collectors[c].name, sizeof(enabled) - strlen(enabled) - 1);
    }
    log_msg(LOG_INFO, "starting slurm_exporter", "version", SE_VERSION, "revision", SE_REVISION,
            "collectors", enabled[0] ? enabled : "(none)");

    if (cfg.trace_enabled) {
        struct trace_limits tl = {(size_t)cfg.trace_max_jobs, (size_t)cfg.trace_max_hosts,
                                  (size_t)cfg.trace_max_entries, cfg.trace_ttl};
        trace_global_init(&tl);
    }
    /* The wiring: the exposition reads the datasets through the poller's
     * access table and ends each scrape's self-metrics with the HTTP front
     * end's and the trace store's families; the poller rebuilds the
     * exposition after each burst of refreshes. */
    struct exposition_hooks eh = {
        .data = poller_access(),
        .self_metrics = {http_render_metrics, trace_render_metrics},
    };
    exposition_init(&cfg, &eh);
    status_init(&cfg, poller_access());
    poller_init(&cfg, refreshed);
    /* The HTTP routes serve the exposition's scrape bodies and answer
     * /-/ready from the poller and the exposition. */
    struct http_hooks hh = {.response = exposition_response,
                            .ready = serving_ready,
                            .view = exposition_view,
                            .cluster = exposition_cluster,
                            .status_page = status_page};
    if (http_start(&cfg, &hh) < 0) {
        http_stop();
        poller_free();
        exposition_shutdown();
        status_shutdown();
        webconfig_live_shutdown();
        trace_global_free();
        return 1;
    }
    exposition_rebuild(); /* an exposition exists (self metrics) before the first poll */
    if (poller_start() < 0) {
        log_msg(LOG_ERROR, "cannot start poller threads");
        http_stop();
        poller_stop();
        poller_free();
        exposition_shutdown();
        status_shutdown();
        webconfig_live_shutdown();
        trace_global_free();
        return 1;
    }
    sd_notify_msg("READY=1\nSTATUS=serving");
    int sig = main_loop(&set);
    const char *stop_sig = sig == SIGINT ? "INT" : "TERM";
    log_msg(LOG_INFO, "shutting down", "signal", stop_sig);
    sd_notify_msg("STOPPING=1");
    http_stop();
    poller_stop();
    exposition_shutdown();
    status_shutdown();
    poller_free();
    webconfig_live_shutdown();
    trace_global_free();
    return 0;
}
