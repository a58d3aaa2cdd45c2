/* SPDX-License-Identifier: Apache-2.0 */
/* slurm_exporter: flags, signals and lifecycle. Start-up errors in flags exit
 * 2 with one line naming the flag; nothing after start-up calls exit(). */
#include "config.h"
#include "exposition.h"
#include "http.h"
#include "poller.h"
#include "util/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct config cfg;
    int rc = config_parse(&cfg, argc, argv, stdout, stderr);
    if (rc == 1)
        return 0;
    if (rc)
        return 2;
    log_setup(cfg.log_level, cfg.log_format);

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

    exposition_init(&cfg);
    poller_init(&cfg);
    if (http_start(&cfg) < 0) {
        http_stop();
        poller_free();
        return 1;
    }
    exposition_rebuild(); /* an exposition exists (self metrics) before the first poll */
    if (poller_start() < 0) {
        log_msg(LOG_ERROR, "cannot start poller threads");
        http_stop();
        poller_stop();
        poller_free();
        exposition_shutdown();
        return 1;
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_msg(LOG_INFO, "SIGHUP: nothing to reload yet");
            continue;
        }
        log_msg(LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "TERM" : "INT");
        break;
    }
    http_stop();
    poller_stop();
    exposition_shutdown();
    poller_free();
    return 0;
}
