/* SPDX-License-Identifier: Apache-2.0 */
/* The live web state: built in full off to the side from the parsed
 * configuration (TLS credentials, the basic-auth verifier), checked, and
 * swapped in under a mutex only when every part loaded (build-then-swap).
 * Reloaded when the file or a file it names changes, or on SIGHUP. */
#include "webconfig_live.h"
#include "auth.h"
#include "tls.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "webconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define WC_MAX_WATCH 4

struct file_sig {
    char *path;
    int err;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

static struct {
    pthread_mutex_t mu;        /* cur */
    pthread_mutex_t reload_mu; /* one reload at a time; watch, stats */
    struct web_state *cur;
    char *path;
    struct file_sig watch[WC_MAX_WATCH];
    size_t nwatch;
    unsigned generation;
    uint64_t reloads_ok, reloads_failed;
    bool last_ok;
    double last_success;
    double failed_at;
    bool retried;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER, .reload_mu = PTHREAD_MUTEX_INITIALIZER};

static void sig_take(struct file_sig *s, const char *path)
{
    struct stat st;
    memset(s, 0, sizeof(*s));
    s->path = xstrdup(path);
    if (stat(path, &st) < 0) {
        s->err = errno;
        return;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    s->ctime = st.st_ctim;
}

static bool sig_same(const struct file_sig *a, const struct file_sig *b)
{
    return a->err == b->err && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void watch_clear(void)
{
    for (size_t i = 0; i < L.nwatch; i++)
        free(L.watch[i].path);
    L.nwatch = 0;
}

/* Records the signatures of the configuration file and the files it names,
 * taken before they are read: a change during the read shows up next time. */
static void watch_set(const struct webconfig *wc)
{
    watch_clear();
    sig_take(&L.watch[L.nwatch++], L.path);
    if (!wc)
        return;
    const char *files[] = {wc->cert_file, wc->key_file, wc->client_ca_file};
    for (size_t i = 0; i < 3; i++)
        if (files[i])
            sig_take(&L.watch[L.nwatch++], files[i]);
}

static bool watch_changed(void)
{
    for (size_t i = 0; i < L.nwatch; i++) {
        struct file_sig now;
        sig_take(&now, L.watch[i].path);
        bool same = sig_same(&now, &L.watch[i]);
        free(now.path);
        if (!same)
            return true;
    }
    return false;
}

static void state_free(struct web_state *ws)
{
    if (!ws)
        return;
    tls_ctx_free(ws->tls);
    auth_free(ws->auth);
    webconfig_free(ws->cfg);
    free(ws);
}

/* Builds a complete state from the file at L.path; the caller holds
 * reload_mu. The watch list is updated whether or not the build succeeds. */
static int state_build(struct web_state **out, char *err, size_t errlen)
{
    struct web_state *ws = xcalloc(1, sizeof(*ws));
    ws->refs = 1;
    struct file_sig cfg_sig;
    sig_take(&cfg_sig, L.path);
    int rc = webconfig_read(L.path, &ws->cfg, err, errlen);
    if (rc) {
        /* keep watching the files of the configuration in service */
        struct web_state *cur = L.cur;
        watch_set(cur ? cur->cfg : NULL);
        free(L.watch[0].path);
        L.watch[0] = cfg_sig;
        goto out;
    }
    free(cfg_sig.path);
    watch_set(ws->cfg);
    if (ws->cfg->tls) {
        rc = tls_ctx_build(ws->cfg, &ws->tls, err, errlen);
        if (rc)
            goto out;
    }
    if (ws->cfg->nusers)
        auth_create(ws->cfg->users, ws->cfg->nusers, &ws->auth);
out:
    if (rc) {
        state_free(ws);
        return rc;
    }
    *out = ws;
    return 0;
}

static void log_loaded(const struct web_state *ws, const char *what)
{
    char gen[16], users[16], until[32] = "";
    snprintf(gen, sizeof(gen), "%u", ws->generation);
    snprintf(users, sizeof(users), "%zu", ws->cfg ? ws->cfg->nusers : 0);
    if (ws->tls) {
        time_t t = (time_t)tls_ctx_not_after(ws->tls);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    log_msg(LOG_INFO, what, "file", L.path, "generation", gen, "tls", ws->tls ? "on" : "off",
            "client_auth",
            ws->cfg && ws->tls ? webconfig_client_auth_name(ws->cfg->client_auth) : "none",
            "basic_auth_users", users, "cert_not_after", ws->tls ? until : "");
    if (ws->tls) {
        double now = wall_now();
        if (tls_ctx_not_after(ws->tls) < now)
            log_msg(LOG_WARN, "the served certificate has expired; clients will refuse it",
                    "cert_not_after", until);
        else if (tls_ctx_not_before(ws->tls) > now)
            log_msg(LOG_WARN, "the served certificate is not valid yet", "file", L.path);
        if (ws->cfg && ws->cfg->min_version < WC_TLS12)
            log_msg(LOG_WARN, "min_version allows TLS below 1.2", "file", L.path);
    }
    if (ws->auth && !ws->tls)
        log_msg(LOG_WARN, "basic_auth_users without TLS: passwords cross the network in clear",
                "file", L.path);
}

int webconfig_live_init(const char *path, char *err, size_t errlen)
{
    struct web_state *ws = NULL;
    int rc = 0;
    pthread_mutex_lock(&L.reload_mu);
    if (path && *path) {
        L.path = xstrdup(path);
        rc = state_build(&ws, err, errlen);
        if (rc)
            goto out;
    } else {
        ws = xcalloc(1, sizeof(*ws));
        ws->refs = 1;
    }
    ws->generation = ++L.generation;
    L.last_ok = true;
    L.last_success = wall_now();
    pthread_mutex_lock(&L.mu);
    L.cur = ws;
    pthread_mutex_unlock(&L.mu);
    if (L.path)
        log_loaded(ws, "web configuration loaded");
out:
    pthread_mutex_unlock(&L.reload_mu);
    return rc;
}

/* Whether a configuration read on reload must not replace the one in
 * service (err gets why). A file rewritten in place reads empty or cut short
 * for a moment: a reload never turns TLS on or off, never turns basic auth
 * off, and never takes an empty file over a configuration that has keys.
 * Those need a restart; until then the previous configuration stays. */
static bool reload_refused(const struct web_state *ws, char *err, size_t errlen)
{
    const struct web_state *cur = L.cur;
    if ((ws->tls != NULL) != (cur->tls != NULL)) {
        snprintf(err, errlen, "%s: TLS cannot be turned %s while running; restart the exporter",
                 L.path, ws->tls ? "on" : "off");
        return true;
    }
    if (ws->cfg && ws->cfg->empty && cur->cfg && !cur->cfg->empty) {
        snprintf(err, errlen,
                 "%s: the file is empty (being rewritten?); an empty configuration is taken "
                 "at start-up only",
                 L.path);
        return true;
    }
    if (cur->auth && !ws->auth) {
        snprintf(err, errlen,
                 "%s: basic auth cannot be turned off while running (no basic_auth_users in the "
                 "file; cut short?); restart the exporter",
                 L.path);
        return true;
    }
    return false;
}

int webconfig_live_reload(bool force, bool try_only)
{
    if (!L.path)
        return 0;
    if (try_only) {
        if (pthread_mutex_trylock(&L.reload_mu) != 0)
            return 0;
    } else {
        pthread_mutex_lock(&L.reload_mu);
    }
    int rc = 0;
    bool changed = force || watch_changed();
    /* A file caught half-written can look unchanged once complete when both
     * writes fall in one timestamp tick: retry a failed load once. */
    if (!changed && !L.last_ok && !L.retried && mono_now_s() - L.failed_at >= 2.0) {
        changed = true;
        L.retried = true;
    }
    if (!changed)
        goto out;
    char err[768];
    struct web_state *ws = NULL;
    rc = state_build(&ws, err, sizeof(err));
    if (rc == 0 && reload_refused(ws, err, sizeof(err))) {
        state_free(ws);
        rc = -EINVAL;
    }
    if (rc) {
        L.reloads_failed++;
        if (L.last_ok || force)
            L.retried = false;
        L.last_ok = false;
        L.failed_at = mono_now_s();
        log_msg(LOG_ERROR, "web configuration not reloaded; still serving the previous one",
                "error", err);
        goto out;
    }
    ws->generation = ++L.generation;
    pthread_mutex_lock(&L.mu);
    struct web_state *old = L.cur;
    L.cur = ws;
    pthread_mutex_unlock(&L.mu);
    webconfig_live_release(old);
    L.reloads_ok++;
    L.last_ok = true;
    L.last_success = wall_now();
    log_loaded(ws, "web configuration reloaded");
    rc = 1;
out:
    pthread_mutex_unlock(&L.reload_mu);
    return rc;
}

struct web_state *webconfig_live_acquire(void)
{
    pthread_mutex_lock(&L.mu);
    struct web_state *ws = L.cur;
    if (ws)
        __atomic_add_fetch(&ws->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&L.mu);
    return ws;
}

void webconfig_live_release(struct web_state *ws)
{
    if (ws && __atomic_sub_fetch(&ws->refs, 1, __ATOMIC_ACQ_REL) == 0)
        state_free(ws);
}

void webconfig_live_shutdown(void)
{
    pthread_mutex_lock(&L.reload_mu);
    pthread_mutex_lock(&L.mu);
    struct web_state *ws = L.cur;
    L.cur = NULL;
    pthread_mutex_unlock(&L.mu);
    webconfig_live_release(ws);
    watch_clear();
    free(L.path);
    L.path = NULL;
    pthread_mutex_unlock(&L.reload_mu);
}

void webconfig_live_stats(struct webconfig_live_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&L.reload_mu);
    out->reloads_ok = L.reloads_ok;
    out->reloads_failed = L.reloads_failed;
    out->last_ok = L.last_ok;
    out->last_success_time = L.last_success;
    pthread_mutex_unlock(&L.reload_mu);
    struct web_state *ws = webconfig_live_acquire();
    if (ws && ws->tls) {
        out->tls = true;
        out->cert_not_after = tls_ctx_not_after(ws->tls);
    }
    webconfig_live_release(ws);
}
