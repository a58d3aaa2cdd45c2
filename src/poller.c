/* SPDX-License-Identifier: Apache-2.0 */
/* Dataset threads, fetch/parse/swap, and the queue-wait tracker. */
#include "poller.h"
#include "ha.h"
#include "model/ping.h"
#include "sources/cli.h"
#include "sources/source.h"
#include "sources/exec.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DYN_ARGS 8
#define FETCH_QUEUE_WAIT_S 2

struct dataset_rt {
    struct dataset_state st;
    pthread_t thread;
    bool thread_started;
    char *path;
    const char *argv[SOURCE_MAX_ARGS + DYN_ARGS + 4];
    char dyn[DYN_ARGS][256];
    void *state;     /* the source's process-lifetime state */
    int id, cluster; /* dataset, index into P.clusters */
    struct log_limit lim_fail, lim_parse;
    uint64_t last_why; /* the last failure's errno and exit code: a new kind logs at once */
    bool wake;         /* refresh now, not at the end of the interval (poller_reload) */
    bool activate;     /* --slurm.active-only: run the source's on_activate first */
    bool old_term;     /* its data is from an earlier active term: kept (a standby's
                        * frozen counters), not served, until the next good fetch */
    size_t last_count; /* records in the last refresh, to size the next one */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* wakes dataset threads (stop) */
    pthread_cond_t build_cv; /* wakes the builder */
    bool stop;
    int inflight; /* fetches running now */
    bool dirty;   /* a fetch finished since the last build */
    bool ready;   /* a build has run after every dataset's first attempt */
    /* when the last build took its views: data that went stale before
     * then is not in it; data going stale after needs another build */
    double view_mono;
    pthread_t builder;
    bool builder_started;
    void (*on_refresh)(void); /* run by the builder */
    const struct config *cfg;
    char **env;
    /* One fetch at a time per cluster, as long as fetches are quick: the
     * datasets' commands do not hit slurmctld at the same moment, and their
     * parse peaks do not add up in memory. A dataset waits at most
     * FETCH_QUEUE_WAIT_S for its turn, so an unreachable controller (every
     * command hanging until its connect timeout) cannot queue the jobs
     * dataset behind all the others and delay the failure it must report. */
    pthread_mutex_t fetch_mu[MAX_CLUSTERS];
    int stop_pipe[2];                /* readable once stopping: cancels running commands */
    int nclusters;                   /* 1 with the local cluster */
    const char *names[MAX_CLUSTERS]; /* NULL for the local cluster */
    struct dataset_rt ds[MAX_CLUSTERS][DS_COUNT];
    double burst_wait; /* seconds the builder waits for a burst's last fetch */
    /* --slurm.active-only (ha.h): decided after the first ping that
     * answers; until then, and while standby, the datasets that ask
     * slurmctld (all with a command but the controllers dataset) wait */
    struct {
        bool on, decided, active, not_local_logged;
        /* handing over: standby, not polling, still serving its last data
         * until the next active exporter has built (its mark in
         * --slurm.ha-state-dir), hold_until, or the data's max age */
        bool hold;
        double hold_until, hold_since_wall, hold_max;
        int local, in_control;
        uint64_t changes;
        char controller[64], in_control_name[64];
        char seed[64]; /* the active mark's controller at start, "" none */
        struct ha_state s;
    } ha;
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .stop_pipe = {-1, -1}};

/* ---- results ----------------------------------------------------------- */

struct dataset_result *dataset_result_new(enum dataset_id id)
{
    struct dataset_result *r = xcalloc(1, sizeof(*r) + sources[id]->model_size);
    r->refs = 1;
    r->id = id;
    r->u.any = r->mem;
    return r;
}

static void result_free(struct dataset_result *r)
{
    arena_free(&r->arena);
    free(r);
}

void dataset_result_release(struct dataset_result *r)
{
    if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
        result_free(r);
}

/* ---- active-only --------------------------------------------------------- */

/* A standby exporter does not poll this dataset: its command asks slurmctld
 * (the controllers dataset excepted: it tells who is in control). */
static bool standby_pauses(int id)
{
    return sources[id]->command && id != DS_CONTROLLERS;
}

/* The dataset waits (standby, or not decided yet). Caller holds P.mu. */
static bool paused_locked(int id)
{
    return P.ha.on && !P.ha.active && standby_pauses(id);
}

/* Serves the cluster's series: active, or handing over. */
static bool serving_locked(void)
{
    return !P.ha.on || P.ha.active || P.ha.hold;
}

/* The dataset's series are not served: a standby's (the controllers
 * dataset's too: a standby polls it for itself). Caller holds P.mu. */
static bool withheld_locked(int id)
{
    return !serving_locked() && (standby_pauses(id) || id == DS_CONTROLLERS);
}

/* The data of dataset i of cluster k that may be served at mono: not
 * withheld, not of an earlier active term, not older than its max age; or
 * NULL. Caller holds P.mu. */
static struct dataset_result *servable_locked(int k, int i, double mono)
{
    const struct dataset_state *st = &P.ds[k][i].st;
    if (withheld_locked(i) || P.ds[k][i].old_term || !st->current ||
        mono - st->success_mono > st->max_age)
        return NULL;
    return st->current;
}

/* The mark the active exporter leaves in --slurm.ha-state-dir after each
 * build with data: one line, "<Unix time> <controller>". */
#define HA_MARK "active"

static void ha_mark_write(void)
{
    const char *dir = P.cfg->ha_state_dir;
    char path[4200], tmp[4220], line[128];
    snprintf(path, sizeof(path), "%s/" HA_MARK, dir);
    file_tmp_name(tmp, sizeof(tmp), path);
    pthread_mutex_lock(&P.mu);
    int n = snprintf(line, sizeof(line), "%.3f %s\n", wall_now(), P.ha.controller);
    pthread_mutex_unlock(&P.mu);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && n > 0 && write(fd, line, (size_t)n) == n;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        static struct log_limit lim;
        log_limited(&lim, 300, LOG_WARN, "cannot write the active mark in --slurm.ha-state-dir",
                    "path", path, "error", strerror(errno));
        unlink(tmp);
    }
}

bool ha_mark_parse(const char *buf, size_t len, const char *self, double since)
{
    char line[128];
    if (len >= sizeof(line))
        return false;
    memcpy(line, buf, len);
    line[len] = '\0';
    char *end;
    double t = strtod(line, &end);
    if (end == line || *end != ' ' || !isfinite(t))
        return false;
    char *name = end + 1;
    name[strcspn(name, "\n")] = '\0';
    return name[0] && strcmp(name, self) != 0 && t >= since;
}

/* The active mark's text into buf (NUL-terminated; a mark of cap - 1 bytes
 * or more is not one: ha_mark_parse refuses it): its length, or -1 when
 * there is none. Reads shared storage: never called with P.mu held. */
static ssize_t ha_mark_read(const char *dir, char *buf, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/" HA_MARK, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* Another controller's exporter than self has served since `since` (Unix
 * time). Never called with P.mu held. */
static bool ha_peer_serves(const char *self, double since)
{
    if (!P.cfg->ha_state_dir[0])
        return false;
    char buf[129];
    ssize_t n = ha_mark_read(P.cfg->ha_state_dir, buf, sizeof(buf));
    return n > 0 && ha_mark_parse(buf, (size_t)n, self, since);
}

/* Handing over: ends once the next active exporter serves (peer: its mark
 * was seen), or at hold_until; the series are withdrawn with the next
 * build. The builder looks for the mark every second (without P.mu: it is
 * on shared storage); a ping checks the time. Caller holds P.mu. */
static void ha_hold_check_locked(bool peer)
{
    if (!P.ha.hold || P.ha.active || (mono_now_s() < P.ha.hold_until && !peer))
        return;
    P.ha.hold = false;
    log_msg(LOG_INFO, "handed over: serving no cluster series", "in_control",
            P.ha.in_control >= 0 ? P.ha.in_control_name : "(none)");
    P.dirty = true;
    pthread_cond_signal(&P.build_cv);
}

/* A controllers refresh (m, not published yet) decides the role. Caller
 * holds P.mu. */
static void ha_update_locked(struct ping_model *m)
{
    if (!P.ha.on)
        return;
    bool up[PING_MAX];
    for (size_t i = 0; i < m->n && i < PING_MAX; i++)
        up[i] = m->e[i].up;
    if (!P.ha.decided && P.ha.seed[0]) { /* at start: the exporter active now */
        ha_seed(&P.ha.s, ha_index_of(m, P.ha.seed), m->n);
        P.ha.seed[0] = '\0';
    }
    int b = ha_decide(&P.ha.s, up, m->n, mono_now_s(), P.cfg->takeover_after);
    m->in_control = b;
    int local = ha_local_index(m, P.cfg->controller_name);
    bool active = local < 0 || b == local;
    if (local < 0 && !P.ha.not_local_logged) {
        P.ha.not_local_logged = true;
        log_msg(LOG_WARN,
                "--slurm.active-only: this host is none of the controllers scontrol ping lists; "
                "serving as if the flag were not given",
                "controller_name",
                P.cfg->controller_name[0] ? P.cfg->controller_name : "(host name)");
    }
    P.ha.local = local;
    P.ha.in_control = b;
    snprintf(P.ha.controller, sizeof(P.ha.controller), "%s", local >= 0 ? m->e[local].host : "");
    snprintf(P.ha.in_control_name, sizeof(P.ha.in_control_name), "%s", b >= 0 ? m->e[b].host : "");
    if (!active)
        ha_hold_check_locked(false);
    if (P.ha.decided && active == P.ha.active)
        return;
    if (P.ha.decided)
        P.ha.changes++;
    /* each dataset's own thread runs its source's on_activate before its
     * next fetch (a fetch may still be in flight now) */
    for (int i = 0; i < DS_COUNT && active; i++)
        P.ds[0][i].activate = sources[i]->on_activate != NULL;
    /* Becoming active: the data of an earlier term is not served (it is
     * from before the handovers since; the exporter that served last keeps
     * its series until this one has fresh data and marks it), but kept: if
     * this exporter stands by again before a fetch succeeds, its frozen
     * counters are still its own last values. */
    for (int i = 0; i < DS_COUNT && active && P.ha.decided; i++)
        if (standby_pauses(i) && P.ds[0][i].st.current)
            P.ds[0][i].old_term = true;
    /* going standby: keep serving the last data (not polling) until the
     * next active exporter serves, so the cluster is never left without
     * series while Slurm moves control (seconds, or tens of seconds) */
    P.ha.hold = P.ha.decided && !active;
    P.ha.hold_since_wall = wall_now();
    P.ha.hold_until = mono_now_s() + P.ha.hold_max;
    P.ha.decided = true;
    P.ha.active = active;
    log_msg(LOG_INFO, active ? "active: polling and serving the cluster's series" : "standby",
            "controller", local >= 0 ? P.ha.controller : "(none)", "in_control",
            b >= 0 ? P.ha.in_control_name : "(none)");
    pthread_cond_broadcast(&P.cv); /* paused datasets fetch at once */
    P.dirty = true;                /* and the exposition changes now */
    pthread_cond_signal(&P.build_cv);
}

static void poller_role(struct exporter_role *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&P.mu);
    out->active_only = P.ha.on && (!P.ha.decided || P.ha.local >= 0);
    out->decided = !P.ha.on || P.ha.decided;
    out->active = !P.ha.on || P.ha.active;
    out->serving = serving_locked();
    out->changes = P.ha.changes;
    memcpy(out->controller, P.ha.controller, sizeof(out->controller));
    memcpy(out->in_control, P.ha.in_control_name, sizeof(out->in_control));
    pthread_mutex_unlock(&P.mu);
}

/* ---- fetching ---------------------------------------------------------- */

/* argv = command, fixed arguments, then the source's dynamic ones (which
 * may change between fetches, e.g. a start time). */
static void set_argv(struct dataset_rt *d)
{
    const struct source_def *src = sources[d->id];
    int k = 0;
    d->st.command = src->command;
    if (!src->command) {
        d->argv[0] = NULL;
        return;
    }
    d->argv[k++] = src->command;
    if (src->clusters && P.names[d->cluster]) {
        d->argv[k++] = "-M";
        d->argv[k++] = P.names[d->cluster];
    }
    for (int i = 0; i < SOURCE_MAX_ARGS && src->args[i]; i++)
        d->argv[k++] = src->args[i];
    if (src->dyn_args) {
        struct source_ctx ctx = {P.cfg, P.names[d->cluster], d->state, poller_access()};
        int n = src->dyn_args(&ctx, d->dyn, DYN_ARGS);
        for (int i = 0; i < n && i < DYN_ARGS; i++)
            d->argv[k++] = d->dyn[i];
    }
    d->argv[k] = NULL;
}

/* Counts one refresh attempt of `seconds` into h. */
static void fetch_hist_add(struct fetch_hist *h, double seconds)
{
    for (int b = 0; b < FETCH_HIST_BOUNDS; b++)
        if (seconds <= fetch_hist_bounds[b]) {
            h->counts[b]++;
            break;
        }
    h->count++;
    h->sum += seconds;
}

static int fetch_rt(struct dataset_rt *d)
{
    int id = d->id;
    const struct config *cfg = P.cfg;
    double t0 = mono_now_s();
    struct dataset_result *r = dataset_result_new((enum dataset_id)id);
    struct exec_opts o = {
        .path = d->path,
        .argv = (char *const *)d->argv,
        .envp = P.env,
        .timeout_s = cfg->slurm_timeout,
        .max_bytes = cfg->max_output,
        .max_line = 4u << 20,
        .cancel_fd = P.stop_pipe[0] >= 0 ? &P.stop_pipe[0] : NULL,
    };
    struct exec_result er;
    int rc;
    const struct source_def *src = sources[id];
    struct source_ctx ctx = {cfg, P.names[d->cluster], d->state, poller_access()};
    struct source_run run;
    source_run_begin(&run, src, &ctx, r, d->last_count);
    memset(&er, 0, sizeof(er));
    if (!src->command) {
        rc = src->read(run.parser, &ctx, er.err, sizeof(er.err));
    } else if (!d->path && !(d->path = exec_resolve_env(d->argv[0], cfg->bin_path, P.env))) {
        rc = -ENOENT; /* looked up again at every refresh: a late mount of Slurm's bin dir */
        snprintf(er.err, sizeof(er.err), "%s not found (PATH or --slurm.bin-path)", d->argv[0]);
    } else {
        set_argv(d);
        o.path = d->path;
        rc = exec_run(&o, source_run_line, &run, &er);
        rc = source_run_exit(&run, rc, er.exit_code, er.err); /* e.g. a ping: every daemon DOWN */
    }
    char why[640];
    why[0] = '\0';
    if (rc == -ETIMEDOUT)
        snprintf(why, sizeof(why), "timed out after %.1fs", cfg->slurm_timeout);
    else if (rc == -EFBIG)
        snprintf(why, sizeof(why), "output over the limit (--slurm.max-output)");
    else if (rc == -EIO)
        snprintf(why, sizeof(why), "exit %d: %s", er.exit_code, er.err[0] ? er.err : "(no stderr)");
    else if (rc < 0 && rc != -ECANCELED)
        snprintf(why, sizeof(why), "%s", er.err[0] ? er.err : strerror(-rc));
    struct parse_stats pst;
    const struct parse_stats *ps = &pst;
    /* --slurm.active-only: a fetch that ends after this exporter went
     * standby is dropped before its commit. Its command may have reached
     * the controller now in control (Slurm's clients try them in order), and
     * what it would count is the next active exporter's to count. */
    if (P.ha.on) {
        pthread_mutex_lock(&P.mu);
        bool gone = paused_locked(id);
        pthread_mutex_unlock(&P.mu);
        if (gone && rc == 0)
            rc = -ECANCELED;
    }
    rc = source_run_end(&run, rc, why, sizeof(why), &pst);
    if (src->count)
        d->last_count = src->count(r);
    if (rc == -ECANCELED) { /* stopping: nothing to record */
        dataset_result_release(r);
        return rc;
    }
    if (ps->errors && rc != -EPROTO)
        log_limited(&d->lim_parse, 300, LOG_WARN, "skipped unreadable Slurm output lines",
                    "dataset", dataset_names[id], "first", ps->first_error);
    if (rc == 0 && er.err[0])
        log_msg(LOG_DEBUG, "command wrote to stderr", "command", d->argv[0], "stderr", er.err);
    double dur = mono_now_s() - t0;
    r->fetched_at = wall_now();
    r->fetch_duration = dur;

    pthread_mutex_lock(&P.mu);
    d->st.attempted = true;
    d->st.last_duration = dur;
    fetch_hist_add(&d->st.fetches, dur);
    d->st.cmd_duration = er.duration_s;
    d->st.parse_errors += ps->errors;
    /* not a command's failure: unreadable output, or a commit refused (the
     * shared sdiag baseline's lock) */
    if ((d->path || !src->command) && rc != 0 && rc != -EPROTO && rc != -ENOLCK)
        d->st.cmd_errors++;
    struct dataset_result *old = NULL;
    if (rc == 0) {
        if (id == DS_CONTROLLERS && d->cluster == 0)
            ha_update_locked(r->u.ctld);
        d->old_term = false;
        d->st.last_ok = true;
        d->st.fetch_ok++;
        d->st.last_success = r->fetched_at;
        d->st.success_mono = mono_now_s();
        old = d->st.current;
        d->st.current = r;
        r = NULL;
    } else {
        d->st.last_ok = false;
        d->st.fetch_err++;
        const char *msg = why[0] ? why : strerror(rc < 0 ? -rc : EIO);
        size_t ml = strnlen(msg, sizeof(d->st.last_error) - 1); /* cut to fit */
        memcpy(d->st.last_error, msg, ml);
        d->st.last_error[ml] = '\0';
        d->st.last_error_at = r->fetched_at;
    }
    pthread_mutex_unlock(&P.mu);
    if (old)
        dataset_result_release(old);
    if (r)
        dataset_result_release(r);
    if (rc != 0) {
        /* the kind of failure, not its text (which may change every time) */
        uint64_t h = (uint64_t)(uint32_t)-rc << 32 | (uint32_t)er.exit_code;
        if (h != d->last_why)
            memset(&d->lim_fail, 0, sizeof(d->lim_fail));
        d->last_why = h;
        log_limited(&d->lim_fail, 60, LOG_ERROR, "dataset refresh failed", "dataset",
                    dataset_names[id], "command", d->argv[0], "error", why);
    } else if (log_enabled(LOG_DEBUG)) {
        char secs[32], bytes[32];
        snprintf(secs, sizeof(secs), "%.3f", dur);
        snprintf(bytes, sizeof(bytes), "%zu", er.stdout_bytes);
        d->last_why = 0;
        log_msg(LOG_DEBUG, "dataset refreshed", "dataset", dataset_names[id], "seconds", secs,
                "bytes", bytes);
    }
    return rc;
}

int poller_fetch_once(int id)
{
    return fetch_rt(&P.ds[0][id]);
}

#if defined(__SANITIZE_ADDRESS__)
#define SE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SE_ASAN 1
#endif
#endif

/* Gives freed heap pages back to the system, at most once per
 * HEAP_TRIM_EVERY_S. Not after every refresh: the next refresh of the same
 * size needs the same pages, and trimming them made every refresh fault them
 * in again (about a fifth of the exporter's CPU at 100,000 jobs). A spike's
 * memory still goes back within that time, and blocks above the mmap
 * threshold (job vectors, rendered text) go back as soon as they are freed.
 * Under AddressSanitizer the heap is the sanitizer's: glibc's arenas are
 * never set up, and concurrent first calls of malloc_trim from several
 * threads race on setting them up (seen as a crash inside malloc_trim), so
 * it is skipped there. */
#define HEAP_TRIM_EVERY_S 300
static void heap_trim(void)
{
#ifndef SE_ASAN
    static long long last_ms; /* monotonic, 0 before the first trim */
    long long now = (long long)(mono_now_s() * 1000.0);
    long long prev = __atomic_load_n(&last_ms, __ATOMIC_RELAXED);
    if (prev && now - prev < HEAP_TRIM_EVERY_S * 1000LL)
        return;
    if (!__atomic_compare_exchange_n(&last_ms, &prev, now, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return; /* another thread trims now */
    malloc_trim(0);
#endif
}

static void *dataset_thread(void *arg)
{
    struct dataset_rt *d = arg;
    for (;;) {
        pthread_mutex_lock(&P.mu);
        while (!P.stop && paused_locked(d->id))
            pthread_cond_wait(&P.cv, &P.mu); /* standby: until this exporter is active */
        bool activate = d->activate;
        d->activate = false;
        pthread_mutex_unlock(&P.mu);
        if (activate && d->state)
            sources[d->id]->on_activate(d->state, P.cfg);
        double start = mono_now_s();
        pthread_mutex_lock(&P.mu);
        P.inflight++;
        pthread_mutex_unlock(&P.mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += FETCH_QUEUE_WAIT_S;
        /* command-less sources (cgroup files, the trace store) read little
         * and need not wait behind a slow command */
        bool locked = sources[d->id]->command &&
                      pthread_mutex_timedlock(&P.fetch_mu[d->cluster], &until) == 0;
        pthread_mutex_lock(&P.mu);
        bool stopping = P.stop;
        pthread_mutex_unlock(&P.mu);
        if (!stopping) {
            fetch_rt(d);
            heap_trim(); /* now and then: give a parse peak back to the system */
        }
        if (locked)
            pthread_mutex_unlock(&P.fetch_mu[d->cluster]);
        pthread_mutex_lock(&P.mu);
        P.inflight--;
        P.dirty = true;
        pthread_cond_signal(&P.build_cv);
        pthread_mutex_unlock(&P.mu);
        double next = start + d->st.interval;
        pthread_mutex_lock(&P.mu);
        while (!P.stop && !d->wake) {
            double left = next - mono_now_s();
            if (left <= 0)
                break;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            double when = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + left;
            ts.tv_sec = (time_t)when;
            ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&P.cv, &P.mu, &ts);
        }
        bool stop = P.stop;
        d->wake = false;
        pthread_mutex_unlock(&P.mu);
        if (stop)
            break;
    }
    return NULL;
}

void poller_reload(void)
{
    pthread_mutex_lock(&P.mu);
    for (int k = 0; k < P.nclusters; k++)
        for (int i = 0; i < DS_COUNT; i++)
            if (P.ds[k][i].st.enabled && sources[i]->on_reload)
                P.ds[k][i].wake = true;
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
}

static bool all_attempted_locked(void)
{
    for (int k = 0; k < P.nclusters; k++)
        for (int i = 0; i < DS_COUNT; i++)
            if (P.ds[k][i].st.enabled && !P.ds[k][i].st.attempted && !paused_locked(i))
                return false;
    return true;
}

/* The monotonic time at which the next dataset's data goes stale that the
 * last build still served (it expires at success_mono + max_age, and was in
 * that build when this is not before view_mono); INFINITY for none. */
static double next_expiry_locked(void)
{
    double next = INFINITY;
    for (int k = 0; k < P.nclusters; k++)
        for (int i = 0; i < DS_COUNT; i++) {
            const struct dataset_state *st = &P.ds[k][i].st;
            if (!st->current)
                continue;
            double exp = st->success_mono + st->max_age;
            if (exp >= P.view_mono && exp < next)
                next = exp;
        }
    return next;
}

/* Some dataset that asks slurmctld has data fresh enough to serve (the
 * active exporter's mark says it serves). */
static bool has_data_locked(void)
{
    double mono = mono_now_s();
    for (int i = 0; i < DS_COUNT; i++)
        if (P.ds[0][i].st.enabled && standby_pauses(i) && servable_locked(0, i, mono))
            return true;
    return false;
}

/* A CLOCK_MONOTONIC deadline `when` (seconds) as a timespec. */
static struct timespec mono_timespec(double when)
{
    struct timespec ts;
    ts.tv_sec = (time_t)when;
    ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    } else if (ts.tv_nsec < 0) {
        ts.tv_nsec = 0;
    }
    return ts;
}

/* The builder: one on_refresh call (an exposition build) per burst of
 * refreshes. Datasets with the same interval start together and run one
 * after the other (one command per cluster at a time); building once after
 * the last of them (while none is in flight, or after at most burst_wait)
 * instead of once per dataset saves most of the rendering work. burst_wait
 * is a quarter of the shortest interval polled, at least BURST_WAIT_MIN_S
 * and at most BURST_WAIT_MAX_S: with a fixed quarter second, a burst whose
 * commands together took longer (the small status datasets after squeue and
 * scontrol at 100,000 jobs) was built twice, each build rendering every
 * job's families again. Data that came in early in a burst is published at
 * most burst_wait later. The builder also builds when data it served goes
 * stale, at that moment, whether or not a fetch is in flight: a hanging
 * command must not keep old data on show until its timeout. */
#define BURST_WAIT_MIN_S 0.25
#define BURST_WAIT_MAX_S 5.0

static void *builder_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&P.mu);
    for (;;) {
        bool expired = false;
        while (!P.stop && !P.dirty && !expired) {
            double exp = next_expiry_locked();
            if (P.ha.hold) { /* handing over: look for the next one's mark */
                char self[sizeof(P.ha.controller)];
                memcpy(self, P.ha.controller, sizeof(self));
                double since = P.ha.hold_since_wall;
                pthread_mutex_unlock(&P.mu);
                bool peer = ha_peer_serves(self, since);
                pthread_mutex_lock(&P.mu);
                ha_hold_check_locked(peer);
                if (P.dirty)
                    break;
                if (isinf(exp) || exp > mono_now_s() + 1.0)
                    exp = mono_now_s() + 1.0;
            }
            if (isinf(exp)) {
                pthread_cond_wait(&P.build_cv, &P.mu);
            } else if (mono_now_s() > exp) {
                expired = true;
            } else {
                struct timespec ts = mono_timespec(exp + 0.001);
                pthread_cond_timedwait(&P.build_cv, &P.mu, &ts);
            }
        }
        if (P.stop)
            break;
        /* not when served data went stale: that build withdraws it at once */
        double deadline = mono_now_s() + P.burst_wait;
        while (!expired && P.dirty && !P.stop && P.inflight > 0 && mono_now_s() < deadline &&
               mono_now_s() <= next_expiry_locked()) {
            struct timespec ts = mono_timespec(mono_now_s() + 0.02);
            pthread_cond_timedwait(&P.build_cv, &P.mu, &ts);
        }
        if (P.stop)
            break;
        P.dirty = false;
        bool complete = all_attempted_locked();
        bool mark = P.ha.on && P.ha.active && P.cfg->ha_state_dir[0] && has_data_locked();
        P.view_mono = mono_now_s();
        pthread_mutex_unlock(&P.mu);
        if (P.on_refresh)
            P.on_refresh();
        heap_trim();
        if (mark)
            ha_mark_write();
        pthread_mutex_lock(&P.mu);
        if (complete)
            P.ready = true;
    }
    pthread_mutex_unlock(&P.mu);
    return NULL;
}

/* How old a dataset's last good data may get before it is withdrawn:
 * --slurm.max-age, unless the dataset is refreshed too seldom for that. Its
 * next refresh starts at most one interval after the last one ended, may
 * wait FETCH_QUEUE_WAIT_S for another command of its cluster and then runs
 * for a while; that while is counted as the interval or --slurm.timeout,
 * whichever is shorter (a command that takes longer than its interval
 * keeps the dataset busy without pause). */
static double dataset_max_age(const struct config *cfg, int id)
{
    double iv = cfg->poll_interval[id];
    double run = iv < cfg->slurm_timeout ? iv : cfg->slurm_timeout;
    double need = iv + run + FETCH_QUEUE_WAIT_S;
    return need > cfg->max_age ? need : cfg->max_age;
}

int poller_init(const struct config *cfg, void (*on_refresh)(void))
{
    /* Memory: one malloc arena (results are built by one thread and freed
     * by another; per-thread arenas kept the freed space apart), and a
     * fixed mmap threshold so big arrays (job records, rendered text) go
     * back to the system when freed instead of raising the heap's peak. */
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    P.cfg = cfg;
    P.on_refresh = on_refresh;
    P.stop = false;
    P.env = exec_build_env(environ, cfg->bin_path);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&P.cv, &ca);
    pthread_cond_init(&P.build_cv, &ca);
    pthread_condattr_destroy(&ca);
    P.inflight = 0;
    P.dirty = false;
    P.ready = false;
    P.view_mono = 0;
    uint32_t needed = collectors_datasets(cfg->collector_on);
    const char *path_env = getenv("PATH");
    P.nclusters = cfg->nclusters ? (int)cfg->nclusters : 1;
    for (int k = 0; k < MAX_CLUSTERS; k++)
        pthread_mutex_init(&P.fetch_mu[k], NULL);
    if (pipe2(P.stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        P.stop_pipe[0] = P.stop_pipe[1] = -1; /* commands then end by their timeout */
    for (int k = 0; k < P.nclusters; k++)
        P.names[k] = cfg->nclusters ? cfg->clusters[k] : NULL;
    P.burst_wait = 0;
    memset(&P.ha, 0, sizeof(P.ha));
    ha_init(&P.ha.s);
    P.ha.on = cfg->active_only;
    P.ha.local = P.ha.in_control = -1;
    /* A fresh mark in the shared directory names the controller whose
     * exporter serves now: the belief to start from (a backup may be in
     * control, which scontrol ping cannot tell from a standby). Fresh: newer
     * than three of the shortest interval of the datasets it paused (an
     * active exporter builds at least that often), plus 10 s. */
    if (P.ha.on && cfg->ha_state_dir[0]) {
        double iv = INFINITY;
        for (int i = 0; i < DS_COUNT; i++)
            if (((needed >> i) & 1) && standby_pauses(i) && cfg->poll_interval[i] < iv)
                iv = cfg->poll_interval[i];
        char buf[129];
        ssize_t n = ha_mark_read(cfg->ha_state_dir, buf, sizeof(buf));
        if (n > 0 && isfinite(iv) && ha_mark_parse(buf, (size_t)n, "", wall_now() - 3 * iv - 10)) {
            char *name = strchr(buf, ' ') + 1;
            name[strcspn(name, "\n")] = '\0';
            snprintf(P.ha.seed, sizeof(P.ha.seed), "%s", name);
        }
    }
    /* without a shared directory, a standby hands over one interval after
     * it stopped polling (the shortest of the datasets it paused) */
    /* with one, until the next exporter marks it, at most as long as the
     * data it serves stays fresh (the longest max age of those datasets) */
    P.ha.hold_max = 0;
    for (int i = 0; i < DS_COUNT; i++) {
        if (!((needed >> i) & 1) || !standby_pauses(i))
            continue;
        if (cfg->ha_state_dir[0]) {
            double age = dataset_max_age(cfg, i);
            if (age > P.ha.hold_max)
                P.ha.hold_max = age;
        } else if (P.ha.hold_max == 0 || cfg->poll_interval[i] < P.ha.hold_max) {
            P.ha.hold_max = cfg->poll_interval[i];
        }
    }
    if (P.ha.on)
        needed |= DSB(CONTROLLERS); /* who is in control, whatever the collectors */
    for (int k = 0; k < P.nclusters; k++) {
        for (int i = 0; i < DS_COUNT; i++) {
            struct dataset_rt *d = &P.ds[k][i];
            memset(d, 0, sizeof(*d));
            d->id = i;
            d->cluster = k;
            /* Datasets that do not come from Slurm's client commands (files
             * on this host, posted traces) are polled once, with the first
             * cluster. */
            d->st.enabled = ((needed >> i) & 1) &&
                            (k == 0 || sources[i]->clusters || sources[i]->every_cluster);
            d->st.interval = cfg->poll_interval[i];
            d->st.max_age = dataset_max_age(cfg, i);
            if (d->st.enabled && k == 0 && d->st.max_age > cfg->max_age) {
                char age[32], iv[32];
                snprintf(age, sizeof(age), "%gs", d->st.max_age);
                snprintf(iv, sizeof(iv), "%gs", d->st.interval);
                log_msg(LOG_INFO,
                        "dataset refreshed too seldom for --slurm.max-age; its data is "
                        "withdrawn later",
                        "dataset", dataset_names[i], "interval", iv, "max_age", age);
            }
            if (d->st.enabled && (P.burst_wait == 0 || d->st.interval / 4 < P.burst_wait))
                P.burst_wait = d->st.interval / 4;
            if (sources[i]->state_new)
                d->state = sources[i]->state_new(cfg, P.names[k]);
            set_argv(d);
            if (!d->st.enabled || !sources[i]->command)
                continue;
            d->path = exec_resolve(d->argv[0], cfg->bin_path, path_env);
            if (!d->path && k == 0)
                log_msg(LOG_WARN, "Slurm command not found; its dataset will fail until it is",
                        "command", d->argv[0], "bin_path",
                        cfg->bin_path[0] ? cfg->bin_path : "(PATH)");
        }
    }
    if (P.burst_wait < BURST_WAIT_MIN_S)
        P.burst_wait = BURST_WAIT_MIN_S;
    if (P.burst_wait > BURST_WAIT_MAX_S)
        P.burst_wait = BURST_WAIT_MAX_S;
    return 0;
}

int poller_start(void)
{
    int brc = pthread_create(&P.builder, NULL, builder_thread, NULL);
    if (brc)
        return -brc;
    P.builder_started = true;
    for (int k = 0; k < P.nclusters; k++) {
        for (int i = 0; i < DS_COUNT; i++) {
            struct dataset_rt *d = &P.ds[k][i];
            if (!d->st.enabled)
                continue;
            int rc = pthread_create(&d->thread, NULL, dataset_thread, d);
            if (rc)
                return -rc;
            d->thread_started = true;
        }
    }
    return 0;
}

void poller_stop(void)
{
    pthread_mutex_lock(&P.mu);
    P.stop = true;
    if (P.stop_pipe[1] >= 0) {
        char b = 1;
        ssize_t n = write(P.stop_pipe[1], &b, 1); /* never read: stays readable */
        (void)n;
    }
    pthread_cond_broadcast(&P.cv);
    pthread_cond_broadcast(&P.build_cv);
    pthread_mutex_unlock(&P.mu);
    if (P.builder_started) {
        pthread_join(P.builder, NULL);
        P.builder_started = false;
    }
    for (int k = 0; k < P.nclusters; k++) {
        for (int i = 0; i < DS_COUNT; i++) {
            if (P.ds[k][i].thread_started) {
                pthread_join(P.ds[k][i].thread, NULL);
                P.ds[k][i].thread_started = false;
            }
        }
    }
}

void poller_free(void)
{
    for (int k = 0; k < MAX_CLUSTERS * DS_COUNT; k++) {
        struct dataset_rt *d = &P.ds[k / DS_COUNT][k % DS_COUNT];
        int i = k % DS_COUNT;
        if (d->st.current)
            dataset_result_release(d->st.current);
        d->st.current = NULL;
        free(d->path);
        d->path = NULL;
        if (sources[i]->state_free && d->state)
            sources[i]->state_free(d->state);
        d->state = NULL;
    }
    exec_free_env(P.env);
    P.env = NULL;
    for (int i = 0; i < 2; i++) {
        if (P.stop_pipe[i] >= 0)
            close(P.stop_pipe[i]);
        P.stop_pipe[i] = -1;
    }
}

bool poller_ready(void)
{
    pthread_mutex_lock(&P.mu);
    bool ready = P.ready;
    pthread_mutex_unlock(&P.mu);
    return ready;
}

int poller_clusters(void)
{
    return P.nclusters > 0 ? P.nclusters : 1;
}

const char *poller_cluster_name(int k)
{
    return k >= 0 && k < P.nclusters ? P.names[k] : NULL;
}

void poller_view(struct view *v, double now)
{
    poller_view_cluster(v, 0, now);
}

/* A view of cluster k: what is served (servable_locked), or, frozen, every
 * dataset's last data whatever its age or term (a standby's own counters). */
static void view_fill(struct view *v, int k, double now, bool frozen)
{
    memset(v, 0, sizeof(*v));
    v->now = now;
    v->series_limit = P.cfg->series_limit;
    v->compat = P.cfg->compat;
    double mono = mono_now_s();
    pthread_mutex_lock(&P.mu);
    for (int i = 0; i < DS_COUNT; i++) {
        const struct dataset_state *st = &P.ds[k][i].st;
        struct dataset_result *r;
        if (frozen) {
            v->polled[i] = st->enabled;
            r = st->current;
        } else {
            v->fetch_errors[i] = st->fetch_err;
            v->polled[i] = st->enabled && !withheld_locked(i);
            /* standby: none of the cluster's series; nor an earlier term's */
            if (!withheld_locked(i) && !P.ds[k][i].old_term)
                v->fetches[i] = st->fetches;
            r = servable_locked(k, i, mono);
        }
        if (!r)
            continue;
        __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
        v->ds[i] = r;
    }
    pthread_mutex_unlock(&P.mu);
}

void poller_view_cluster(struct view *v, int k, double now)
{
    view_fill(v, k, now, false);
}

static void poller_view_frozen(struct view *v, int k, double now)
{
    view_fill(v, k, now, true);
}

void poller_release_view(struct view *v)
{
    for (int i = 0; i < DS_COUNT; i++) {
        if (v->ds[i])
            dataset_result_release((struct dataset_result *)v->ds[i]);
        v->ds[i] = NULL;
    }
}

void poller_status(struct dataset_state out[DS_COUNT])
{
    poller_status_cluster(0, out);
}

void poller_status_cluster(int k, struct dataset_state out[DS_COUNT])
{
    pthread_mutex_lock(&P.mu);
    for (int i = 0; i < DS_COUNT; i++) {
        out[i] = P.ds[k][i].st;
        /* standby: the controllers dataset is polled, its series are not
         * served; the others are neither */
        out[i].paused = withheld_locked(i);
        if (out[i].paused && standby_pauses(i))
            out[i].enabled = false;
    }
    pthread_mutex_unlock(&P.mu);
}

const struct dataset_access *poller_access(void)
{
    static const struct dataset_access access = {
        .clusters = poller_clusters,
        .cluster_name = poller_cluster_name,
        .view_cluster = poller_view_cluster,
        .release_view = poller_release_view,
        .status_cluster = poller_status_cluster,
        .role = poller_role,
        .view_frozen = poller_view_frozen,
    };
    return &access;
}
