/* SPDX-License-Identifier: Apache-2.0 */
/* Exposition building, publication and per-scrape assembly (with a gzip
 * member made of the pre-compressed body and a freshly compressed tail). */
#include "exposition.h"
#include "collectors/collector.h"
#include "ha_counters.h"
#include "render.h"
#include "util/file.h"
#include "util/clock.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#define GZ_LEVEL 3

/* One exposition's bodies: text 0.0.4 and OpenMetrics, without the self
 * section, and their gzip made on first demand. */
struct bodies {
    struct buf body[2]; /* 0: text 0.0.4, 1: OpenMetrics */
    bool om_shared;     /* the two bodies were identical: body[1] is not kept */
    /* When they differ (counters' metadata lines), the OpenMetrics body is
     * kept compressed only (Prometheus always asks for gzip) and inflated
     * again on the first plain OpenMetrics request. */
    size_t om_len;
    bool om_plain; /* body[1] holds the plain OpenMetrics text */
    bool gz_done[2];
    struct buf gz[2]; /* raw deflate, sync-flushed, not final */
    uLong gz_crc[2];
};

struct exposition {
    int refs;
    int view;              /* EXPO_* */
    pthread_mutex_t gz_mu; /* guards the lazy parts below and in the bodies */
    struct bodies all;
    /* ?cluster=NAME with several clusters: the series of that cluster (and
     * those without a cluster label), cut out of `all` on first demand and
     * kept with the exposition, so each refresh filters at most once per
     * cluster asked for. */
    struct bodies *cl[MAX_CLUSTERS];
    double built_at;
    double build_seconds;
    bool enabled[COLLECTOR_COUNT];
    int nclusters;
    bool success[MAX_CLUSTERS][COLLECTOR_COUNT];
    /* monotonic time after which the collector's data is stale: its success
     * is judged again at each scrape, so it drops to 0 on time even before
     * the rebuild that withdraws the series is published */
    double fresh_until[MAX_CLUSTERS][COLLECTOR_COUNT];
    double duration[MAX_CLUSTERS][COLLECTOR_COUNT];
    uint64_t dropped[MAX_CLUSTERS][COLLECTOR_COUNT];
    size_t series;
    /* The datasets' refresh status as of the views the body was built from
     * (nclusters x DS_COUNT; `current` cleared): the exporter's own section
     * of a scrape describes the refreshes whose data it serves. Taken live,
     * a refresh that ended after the build showed its duration and time
     * beside the data of the refresh before it until the next build. */
    struct dataset_state *st;
};

/* The expositions: the telemetry path's (every enabled collector but those
 * of the sets that collide with our names), and one per compat set, on
 * <telemetry path>/<name>, enabled with the set's collector. */
static const struct {
    const char *name;
    unsigned compat;
    int collector;
    bool on_main; /* its names are also on the telemetry path */
} views[EXPO_VIEWS] = {
    [EXPO_MAIN] = {NULL, 0, -1, true},
    [EXPO_VPENSO] = {"vpenso", COMPAT_VPENSO, COLLECTOR_compat_vpenso, true},
    [EXPO_RIVOSINC] = {"rivosinc", COMPAT_RIVOSINC, COLLECTOR_compat_rivosinc, true},
    [EXPO_AZURE] = {"azure", COMPAT_AZURE, COLLECTOR_compat_azure, false},
    [EXPO_GOLDENTOOTH] = {"goldentooth", COMPAT_GOLDENTOOTH, COLLECTOR_compat_goldentooth, false},
    [EXPO_JONTK] = {"jontk", COMPAT_JONTK, COLLECTOR_compat_jontk, true},
};

const char *const exposition_view_names[EXPO_VIEWS] = {
    [EXPO_MAIN] = NULL,     [EXPO_VPENSO] = "vpenso",           [EXPO_RIVOSINC] = "rivosinc",
    [EXPO_AZURE] = "azure", [EXPO_GOLDENTOOTH] = "goldentooth", [EXPO_JONTK] = "jontk",
};

/* What a compat set's path serves: the families of its set
 * (compat_sets.def), sorted for render.keep; the collectors that write
 * them, each run for the path with only the set's bit; and whether some are
 * written per scrape. Made once, at exposition_init. */
static struct {
    const char **keep;
    size_t nkeep;
    bool runs[COLLECTOR_COUNT];
    bool scrape;
} VF[EXPO_VIEWS];

static struct {
    pthread_mutex_t mu;        /* guards cur */
    pthread_mutex_t render_mu; /* one build at a time */
    struct exposition *cur[EXPO_VIEWS];
    const struct config *cfg;
    struct exposition_hooks hooks;
    double start_time;
    uint64_t builds[EXPO_VIEWS];
    /* --slurm.active-only on a standby: its own counter families rendered
     * once from its frozen data (render.counters_only, tracked), until its
     * role changes again (changes) */
    struct {
        bool valid;
        uint64_t changes;
        struct render own;
    } sb;
    /* --slurm.ha-state-dir/counters as this exporter last wrote it (active)
     * and read it (standby) */
    struct ha_keys_file keys_out, keys_in;
} E = {.mu = PTHREAD_MUTEX_INITIALIZER, .render_mu = PTHREAD_MUTEX_INITIALIZER};

static void deflate_into(struct buf *out, const char *data, size_t len, int flush);

static void bodies_free(struct bodies *b)
{
    for (int i = 0; i < 2; i++) {
        buf_free(&b->body[i]);
        buf_free(&b->gz[i]);
    }
}

static void expo_free(struct exposition *e)
{
    bodies_free(&e->all);
    for (int k = 0; k < MAX_CLUSTERS; k++) {
        if (e->cl[k])
            bodies_free(e->cl[k]);
        free(e->cl[k]);
    }
    pthread_mutex_destroy(&e->gz_mu);
    free(e->st);
    free(e);
}

static void expo_release(struct exposition *e)
{
    if (e && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
        expo_free(e);
}

static double proc_start_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    double btime = 0;
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %lf", &btime) == 1)
            break;
    if (f)
        fclose(f);
    f = fopen("/proc/self/stat", "re");
    unsigned long long start = 0;
    if (f) {
        char buf[1024];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        char *p = strrchr(buf, ')');
        /* field 22 = starttime; after ')' comes field 3 */
        if (p) {
            p += 2;
            for (int field = 3; field < 22 && p; field++) {
                p = strchr(p, ' ');
                if (p)
                    p++;
            }
            if (p)
                start = strtoull(p, NULL, 10);
        }
    }
    return btime + (double)start / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void exposition_init(const struct config *cfg, const struct exposition_hooks *hooks)
{
    E.cfg = cfg;
    E.hooks = *hooks;
    E.start_time = proc_start_time();
    for (int w = 1; w < EXPO_VIEWS; w++) {
        free(VF[w].keep);
        memset(&VF[w], 0, sizeof(VF[w]));
        VF[w].keep = xcalloc(compat_families_n + 1, sizeof(*VF[w].keep));
        for (size_t i = 0; i < compat_families_n; i++) {
            const struct compat_family *f = &compat_families[i];
            if (f->set != views[w].compat)
                continue;
            VF[w].keep[VF[w].nkeep++] = f->name;
            if (f->owner >= 0)
                VF[w].runs[f->owner] = true;
            else if (f->owner == COMPAT_OWNER_SCRAPE)
                VF[w].scrape = true;
        }
        qsort(VF[w].keep, VF[w].nkeep, sizeof(*VF[w].keep), cmp_str);
    }
}

void exposition_shutdown(void)
{
    for (int w = 0; w < EXPO_VIEWS; w++) {
        pthread_mutex_lock(&E.mu);
        struct exposition *e = E.cur[w];
        E.cur[w] = NULL;
        pthread_mutex_unlock(&E.mu);
        expo_release(e);
    }
    render_free(&E.sb.own);
    memset(&E.sb, 0, sizeof(E.sb));
    ha_keys_file_free(&E.keys_out);
    ha_keys_file_free(&E.keys_in);
}

bool exposition_ready(void)
{
    pthread_mutex_lock(&E.mu);
    bool r = E.cur[EXPO_MAIN] != NULL;
    pthread_mutex_unlock(&E.mu);
    return r;
}

static bool view_enabled(int w)
{
    return w == EXPO_MAIN ||
           (w > EXPO_MAIN && w < EXPO_VIEWS && E.cfg && E.cfg->collector_on[views[w].collector]);
}

int exposition_view(const char *name)
{
    for (int w = 1; w < EXPO_VIEWS; w++)
        if (strcmp(views[w].name, name) == 0)
            return view_enabled(w) ? w : -2;
    return -1;
}

int exposition_cluster(const char *name)
{
    const struct dataset_access *da = E.hooks.data;
    for (int k = 0; da && k < da->clusters(); k++) {
        const char *n = da->cluster_name(k);
        if (n && strcmp(n, name) == 0)
            return k;
    }
    return -1;
}

uint64_t exposition_builds(int view)
{
    pthread_mutex_lock(&E.mu);
    uint64_t n = view >= 0 && view < EXPO_VIEWS ? E.builds[view] : 0;
    pthread_mutex_unlock(&E.mu);
    return n;
}

/* Whether collector c runs in exposition w: on a set's path, each enabled
 * collector that writes a family of the set. */
static bool runs_in(int w, int c)
{
    if (!E.cfg->collector_on[c])
        return false;
    if (w != EXPO_MAIN)
        return VF[w].runs[c];
    for (int x = 1; x < EXPO_VIEWS; x++)
        if (c == views[x].collector && !views[x].on_main)
            return false;
    return true;
}

/* The compat bits a view's collectors see. */
static unsigned view_compat(int w)
{
    if (w != EXPO_MAIN)
        return views[w].compat;
    unsigned m = E.cfg->compat;
    for (int x = 1; x < EXPO_VIEWS; x++)
        if (!views[x].on_main)
            m &= ~views[x].compat;
    return m;
}

/* A standby's own counters: the collectors whose datasets it paused, run
 * once over its frozen data with counters only. */
static void standby_own(const struct exporter_role *role, double now)
{
    if (E.sb.valid && E.sb.changes == role->changes)
        return;
    render_free(&E.sb.own);
    memset(&E.sb.own, 0, sizeof(E.sb.own));
    E.sb.own.track = true;
    E.sb.own.counters_only = true;
    const struct dataset_access *da = E.hooks.data;
    struct view v;
    da->view_frozen(&v, 0, now);
    v.compat = 0;
    struct dataset_state st[DS_COUNT];
    da->status_cluster(0, st);
    for (int c = 0; c < COLLECTOR_COUNT; c++) {
        enum dataset_id p = collectors[c].primary;
        if (!runs_in(EXPO_MAIN, c) || !st[p].paused || !v.ds[p])
            continue;
        struct collect_out o = {0};
        collectors[c].fn(&v, &E.sb.own, &o);
    }
    da->release_view(&v);
    E.sb.valid = true;
    E.sb.changes = role->changes;
}

/* The counter families a standby serves: its own frozen ones (above), and
 * at 0 every series of the active exporter's key file it lacks, merged
 * into out after local (the families it renders itself, tracked). */
static void standby_counters(const struct exporter_role *role, struct render *local,
                             struct render *out, double now)
{
    standby_own(role, now);
    struct render z;
    memset(&z, 0, sizeof(z));
    z.track = true;
    if (E.cfg->ha_state_dir[0]) {
        char path[4200], err[256] = "";
        snprintf(path, sizeof(path), "%s/counters", E.cfg->ha_state_dir);
        /* read again only when the active exporter wrote it again */
        int rc = ha_keys_read(path, &E.keys_in);
        if (rc >= 0) {
            struct buf own = {0};
            buf_append(&own, local->text.p ? local->text.p : "", local->text.len);
            buf_append(&own, E.sb.own.text.p ? E.sb.own.text.p : "", E.sb.own.text.len);
            int bad = ha_keys_zero_render(E.keys_in.text, E.keys_in.len, own.p ? own.p : "",
                                          own.len, &z, err, sizeof(err));
            buf_free(&own);
            if (bad != 0) {
                static struct log_limit lim;
                log_limited(&lim, 300, LOG_WARN, "unreadable lines in the counter key file", "path",
                            path, "error", bad < 0 ? err : "some lines skipped");
            }
        } else if (rc != -ENOENT) {
            static struct log_limit lim;
            log_limited(&lim, 300, LOG_WARN, "cannot read the counter key file", "path", path,
                        "error", strerror(-rc));
        }
    }
    struct render parts[3] = {*local, E.sb.own, z};
    render_merge(out, parts, 3);
    E.sb.own = parts[1]; /* closed by the merge; its buffers are the same */
    render_free(&z);
    render_free(&parts[0]);
    memset(local, 0, sizeof(*local));
}

static struct exposition *build(int w)
{
    double t0 = mono_now_s();
    struct exposition *e = xcalloc(1, sizeof(*e));
    e->refs = 1;
    e->view = w;
    pthread_mutex_init(&e->gz_mu, NULL);
    struct render r;
    memset(&r, 0, sizeof(r));
    /* One pass per cluster; with several, each pass is rendered apart with
     * its cluster label and the passes are merged family by family. */
    const struct dataset_access *da = E.hooks.data;
    int nk = da->clusters();
    e->nclusters = nk;
    e->st = xcalloc((size_t)nk * DS_COUNT, sizeof(*e->st));
    struct render parts[MAX_CLUSTERS];
    struct label cl[MAX_CLUSTERS];
    memset(parts, 0, sizeof(parts));
    double now = wall_now();
    bool missing = false;
    /* --slurm.active-only, a standby (not handing over): its own families
     * and counters only; the telemetry path's exposition carries them */
    struct exporter_role role;
    da->role(&role);
    bool standby = role.active_only && role.decided && !role.serving && nk == 1;
    for (int k = 0; k < nk; k++) {
        struct render *rk = nk > 1 ? &parts[k] : &r;
        const char *name = da->cluster_name(k);
        if (name) {
            cl[k] = (struct label){"cluster", name};
            rk->base = &cl[k];
            rk->nbase = 1;
        }
        rk->track = nk > 1 || standby;
        if (w != EXPO_MAIN) { /* a set's path: only the set's families */
            rk->keep = VF[w].keep;
            rk->nkeep = VF[w].nkeep;
        }
        struct view v;
        da->view_cluster(&v, k, now);
        v.compat = view_compat(w);
        struct dataset_state *st = e->st + (size_t)k * DS_COUNT;
        da->status_cluster(k, st);
        for (int i = 0; i < DS_COUNT; i++)
            st[i].current = NULL; /* not referenced: never to be read */
        for (int c = 0; c < COLLECTOR_COUNT; c++) {
            if (!runs_in(w, c))
                continue;
            if (st[collectors[c].primary].paused)
                continue; /* a standby exporter (--slurm.active-only) */
            e->enabled[c] = true;
            for (int d = 0; d < DS_COUNT; d++)
                if (((collectors[c].datasets >> d) & 1u) && !v.ds[d])
                    missing = true;
            enum dataset_id p = collectors[c].primary;
            if (!v.ds[p])
                continue; /* no usable data: no series, success 0 */
            double c0 = mono_now_s();
            struct collect_out o = {0};
            collectors[c].fn(&v, rk, &o);
            e->duration[k][c] = mono_now_s() - c0;
            e->dropped[k][c] = o.series_dropped;
            e->success[k][c] = st[p].last_ok;
            e->fresh_until[k][c] = st[p].success_mono + st[p].max_age;
        }
        /* jontk's collection families: every polled dataset, fresh or not */
        if (v.compat & COMPAT_JONTK)
            compat_jontk_collections(&v, rk);
        da->release_view(&v);
    }
    if (standby && w == EXPO_MAIN) {
        struct render local = r;
        memset(&r, 0, sizeof(r));
        standby_counters(&role, &local, &r, now);
    } else if (nk > 1) {
        render_merge(&r, parts, (size_t)nk);
        for (int k = 0; k < nk; k++)
            render_free(&parts[k]);
        if (w != EXPO_MAIN) {
            r.keep = VF[w].keep;
            r.nkeep = VF[w].nkeep;
        }
    }
    e->series = r.series;
    if (w == EXPO_AZURE) /* Azure's own meta families, once, without a cluster label */
        compat_azure_meta(&r, mono_now_s() - t0, wall_now(), missing);
    e->all.body[0] = r.text;
    /* The collectors write gauges and histograms only, whose lines are the
     * same in both formats: keep one copy (half the memory of a big
     * exposition) unless something differs. */
    if (!r.om_split) {
        e->all.om_shared = true;
    } else {
        /* gzip it now and keep only that: about a tenth of the size */
        struct bodies *b = &e->all;
        b->body[1] = r.om;
        b->om_len = r.om.len;
        deflate_into(&b->gz[1], b->body[1].p ? b->body[1].p : "", b->body[1].len, Z_SYNC_FLUSH);
        b->gz_crc[1] = crc32(0L, (const Bytef *)b->body[1].p, (uInt)b->body[1].len);
        b->gz_done[1] = true;
        buf_free(&b->body[1]);
    }
    e->built_at = wall_now();
    e->build_seconds = mono_now_s() - t0;
    return e;
}

/* --slurm.active-only, the active exporter: which counter series it serves,
 * for the standbys (--slurm.ha-state-dir/counters). */
static void write_keys(const struct exposition *e)
{
    struct exporter_role role;
    E.hooks.data->role(&role);
    if (!role.active_only || !role.active || !E.cfg->ha_state_dir[0])
        return;
    char path[4200];
    snprintf(path, sizeof(path), "%s/counters", E.cfg->ha_state_dir);
    const struct buf *t = &e->all.body[0];
    int rc = ha_keys_write(path, t->p ? t->p : "", t->len, &E.keys_out);
    if (rc < 0) {
        static struct log_limit lim;
        log_limited(&lim, 300, LOG_WARN, "cannot write the counter key file", "path", path, "error",
                    strerror(-rc));
    }
}

void exposition_rebuild(void)
{
    pthread_mutex_lock(&E.render_mu);
    for (int w = 0; w < EXPO_VIEWS; w++) {
        if (!view_enabled(w))
            continue;
        struct exposition *e = build(w);
        if (w == EXPO_MAIN)
            write_keys(e);
        pthread_mutex_lock(&E.mu);
        struct exposition *old = E.cur[w];
        E.cur[w] = e;
        E.builds[w]++;
        pthread_mutex_unlock(&E.mu);
        expo_release(old);
    }
    pthread_mutex_unlock(&E.render_mu);
}

/* ---- the live self-metrics section --------------------------------------- */

static void process_metrics(struct render *r)
{
    FILE *f = fopen("/proc/self/stat", "re");
    if (f) {
        char buf[1024];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        char *p = strrchr(buf, ')');
        unsigned long long val[30] = {0};
        if (p) {
            p += 2;
            for (int field = 3; field < 30 && *p; field++) {
                val[field] = strtoull(p, &p, 10);
                if (*p == ' ')
                    p++;
                else if (field == 3) { /* state is a letter */
                    while (*p && *p != ' ')
                        p++;
                    if (*p)
                        p++;
                }
            }
        }
        double tck = (double)sysconf(_SC_CLK_TCK);
        render_family(r, "process_cpu_seconds", M_COUNTER,
                      "Total user and system CPU time spent in seconds.");
        render_sample(r, NULL, 0, (double)(val[14] + val[15]) / tck);
        render_gauge1(r, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                      (double)val[23]);
        render_gauge1(r, "process_resident_memory_bytes", "Resident memory size in bytes.",
                      (double)val[24] * (double)sysconf(_SC_PAGESIZE));
    }
    render_gauge1(r, "process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.", E.start_time);
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        double n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                n++;
        closedir(d);
        /* minus the one opendir holds */
        render_gauge1(r, "process_open_fds", "Number of open file descriptors.", n - 1);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        render_gauge1(r, "process_max_fds", "Maximum number of open file descriptors.",
                      (double)rl.rlim_cur);
    }
    /* The soft RLIMIT_AS, as the Go client reads it from /proc/self/limits:
     * "unlimited" is 2^64 - 1 there (prometheus/procfs), not -1. */
    if (getrlimit(RLIMIT_AS, &rl) == 0) {
        render_gauge1(r, "process_virtual_memory_max_bytes",
                      "Maximum amount of virtual memory available in bytes.",
                      rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur);
    }
}

enum ds_field {
    DF_AGE,
    DF_LAST_SUCCESS,
    DF_FETCH_DURATION,
    DF_INTERVAL,
    DF_MAX_AGE,
    DF_FETCHES,
    DF_PARSE_ERRORS,
    DF_CMD_DURATION,
    DF_CMD_ERRORS
};

/* Writes the samples of one per-dataset family for dataset `name`; nothing
 * for a disabled dataset, or before the event the value describes. */
static void dataset_samples(struct render *r, enum ds_field f, const struct dataset_state *s,
                            const char *name, double now)
{
    if (!s->enabled)
        return;
    struct label l[2] = {{"dataset", name}, {NULL, NULL}};
    switch (f) {
    case DF_AGE:
        if (s->last_success > 0)
            render_sample(r, l, 1, now - s->last_success);
        break;
    case DF_LAST_SUCCESS:
        render_sample(r, l, 1, s->last_success);
        break;
    case DF_FETCH_DURATION:
        if (s->attempted)
            render_sample(r, l, 1, s->last_duration);
        break;
    case DF_INTERVAL:
        render_sample(r, l, 1, s->interval);
        break;
    case DF_MAX_AGE:
        render_sample(r, l, 1, s->max_age);
        break;
    case DF_FETCHES:
        l[1] = (struct label){"result", "success"};
        render_sample(r, l, 2, (double)s->fetch_ok);
        l[1].value = "error";
        render_sample(r, l, 2, (double)s->fetch_err);
        break;
    case DF_PARSE_ERRORS:
        l[0].name = "source";
        render_sample(r, l, 1, (double)s->parse_errors);
        break;
    case DF_CMD_DURATION:
    case DF_CMD_ERRORS: {
        struct label lc[2] = {{"command", s->command}, {"dataset", name}};
        if (f == DF_CMD_ERRORS)
            render_sample(r, lc, 2, (double)s->cmd_errors);
        else if (s->attempted)
            render_sample(r, lc, 2, s->cmd_duration);
        break;
    }
    }
}

/* The exporter's own section of a scrape of the telemetry path; with
 * only >= 0 (?cluster=NAME) the per-cluster series of that cluster alone. */
static void self_metrics(struct render *r, const struct exposition *e, int only)
{
    double now = wall_now(), mono = mono_now_s();
    const struct dataset_access *da = E.hooks.data;

    render_family(r, "slurm_exporter_build_info", M_GAUGE,
                  "Build information; the value is always 1.");
    struct label bl[2] = {{"version", SE_VERSION}, {"revision", SE_REVISION}};
    render_sample(r, bl, 2, 1);

    /* Per-collector gauges. */
    static const struct {
        const char *name, *help;
    } cfam[3] = {
        {"slurm_exporter_collector_success",
         "1 when the collector's dataset was refreshed successfully at the last try and its data "
         "is not older than slurm_exporter_dataset_max_age_seconds, else 0."},
        {"slurm_exporter_collector_duration_seconds",
         "Seconds the collector took in the last exposition build."},
        {"slurm_exporter_series_dropped",
         "Label sets the collector left out of the current exposition because of "
         "--collector.series-limit."},
    };
    for (int k = 0; k < 3; k++) {
        render_family(r, cfam[k].name, M_GAUGE, cfam[k].help);
        for (int q = 0; q < e->nclusters; q++) {
            if (only >= 0 && q != only)
                continue;
            struct label cl = {"cluster", da->cluster_name(q)};
            r->base = cl.value ? &cl : NULL;
            r->nbase = cl.value ? 1 : 0;
            for (int c = 0; c < COLLECTOR_COUNT; c++) {
                if (!e->enabled[c])
                    continue;
                bool ok = e->success[q][c] && mono <= e->fresh_until[q][c];
                double v = k == 0   ? (ok ? 1 : 0)
                           : k == 1 ? e->duration[q][c]
                                    : (double)e->dropped[q][c];
                struct label l[1] = {{"collector", collectors[c].name}};
                render_sample(r, l, 1, v);
            }
        }
        r->base = NULL;
        r->nbase = 0;
    }

    /* Per-dataset families, one table row each. */
    static const struct {
        const char *name;
        enum mtype type;
        enum ds_field field;
        const char *help;
    } dfam[] = {
        {"slurm_exporter_dataset_age_seconds", M_GAUGE, DF_AGE,
         "Seconds since the dataset was last refreshed successfully (absent before the first "
         "success)."},
        {"slurm_exporter_dataset_last_success_timestamp_seconds", M_GAUGE, DF_LAST_SUCCESS,
         "Unix time of the dataset's last successful refresh (0 before the first)."},
        {"slurm_exporter_dataset_fetch_duration_seconds", M_GAUGE, DF_FETCH_DURATION,
         "Seconds the dataset's last refresh took, command and parsing."},
        {"slurm_exporter_dataset_interval_seconds", M_GAUGE, DF_INTERVAL,
         "Configured refresh interval of the dataset."},
        {"slurm_exporter_dataset_max_age_seconds", M_GAUGE, DF_MAX_AGE,
         "Age at which the dataset's last good data is withdrawn: --slurm.max-age, or more "
         "for a dataset refreshed too seldom for it."},
        {"slurm_exporter_dataset_fetches", M_COUNTER, DF_FETCHES,
         "Dataset refreshes by result (success or error)."},
        {"slurm_exporter_parse_errors", M_COUNTER, DF_PARSE_ERRORS,
         "Lines of Slurm output that could not be read and were skipped."},
        /* Commands: labelled by dataset too, since scontrol serves two. */
        {"slurm_exporter_command_duration_seconds", M_GAUGE, DF_CMD_DURATION,
         "Wall time of the last run of the Slurm command."},
        {"slurm_exporter_command_errors", M_COUNTER, DF_CMD_ERRORS,
         "Runs of the Slurm command that failed: non-zero exit, timeout, output over the limit, "
         "or not runnable."},
    };
    for (size_t k = 0; k < sizeof(dfam) / sizeof(dfam[0]); k++) {
        render_family(r, dfam[k].name, dfam[k].type, dfam[k].help);
        for (int q = 0; q < e->nclusters; q++) { /* each as of the build */
            if (only >= 0 && q != only)
                continue;
            struct label cl = {"cluster", da->cluster_name(q)};
            r->base = cl.value ? &cl : NULL;
            r->nbase = cl.value ? 1 : 0;
            const struct dataset_state *sq = e->st + (size_t)q * DS_COUNT;
            for (int i = 0; i < DS_COUNT; i++)
                dataset_samples(r, dfam[k].field, &sq[i], dataset_names[i], now);
        }
        r->base = NULL;
        r->nbase = 0;
    }
    struct exporter_role role;
    da->role(&role);
    render_gauge1(r, "slurm_exporter_active",
                  "1 when this exporter polls Slurm and serves the cluster's series, 0 when it "
                  "is a standby (--slurm.active-only on a controller not in control, or before "
                  "the first scontrol ping answered); always 1 without the flag. sum(): "
                  "exporters serving the cluster, which should be 1.",
                  role.active ? 1 : 0);
    render_family(r, "slurm_exporter_active_changes", M_COUNTER,
                  "Times this exporter went from standby to active or back since it started "
                  "(--slurm.active-only).");
    render_sample(r, NULL, 0, (double)role.changes);
    if (role.active_only && role.decided) {
        render_family(r, "slurm_exporter_controller_info", M_GAUGE,
                      "--slurm.active-only: this exporter's controller (its SlurmctldHost) and "
                      "the one it judges in control (\"\" for none); the value is always 1.");
        struct label hl[2] = {{"controller", role.controller}, {"in_control", role.in_control}};
        render_sample(r, hl, 2, 1);
    }
    render_gauge1(r, "slurm_exporter_exposition_build_duration_seconds",
                  "Seconds the last exposition build took (all collectors).", e->build_seconds);
    render_gauge1(r, "slurm_exporter_exposition_series",
                  "Samples in the current exposition, the exporter's own section not counted.",
                  (double)e->series);
    render_family(r, "slurm_exporter_exposition_builds", M_COUNTER,
                  "Expositions built (once per refresh, never per scrape), by path: the telemetry "
                  "path and each compat set's path.");
    pthread_mutex_lock(&E.mu);
    uint64_t nb[EXPO_VIEWS];
    memcpy(nb, E.builds, sizeof(nb));
    pthread_mutex_unlock(&E.mu);
    for (int w = 0; w < EXPO_VIEWS; w++) {
        if (!view_enabled(w))
            continue;
        char path[300];
        if (w == EXPO_MAIN)
            snprintf(path, sizeof(path), "%s", E.cfg->telemetry_path);
        else
            snprintf(path, sizeof(path), "%s/%s", E.cfg->telemetry_path, views[w].name);
        struct label l[1] = {{"path", path}};
        render_sample(r, l, 1, (double)nb[w]);
    }
    for (int i = 0; i < EXPOSITION_MAX_WRITERS && E.hooks.self_metrics[i]; i++)
        E.hooks.self_metrics[i](r);
    process_metrics(r);
}

/* ---- gzip ----------------------------------------------------------------- */

static void deflate_into(struct buf *out, const char *data, size_t len, int flush)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, GZ_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    buf_reserve(out, deflateBound(&zs, len) + 16);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out->p + out->len;
    zs.avail_out = (uInt)(out->cap - out->len - 1);
    deflate(&zs, flush);
    out->len = out->cap - 1 - zs.avail_out;
    deflateEnd(&zs);
}

static int body_index(const struct bodies *b, int fmt)
{
    return b->om_shared ? 0 : fmt;
}

/* The plain OpenMetrics body, inflated from its gzip on first demand
 * (e->gz_mu held). */
static void ensure_om_plain_locked(struct bodies *b)
{
    if (b->om_plain)
        return;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    inflateInit2(&zs, -15);
    buf_reserve(&b->body[1], b->om_len + 1);
    zs.next_in = (Bytef *)b->gz[1].p;
    zs.avail_in = (uInt)b->gz[1].len;
    zs.next_out = (Bytef *)b->body[1].p;
    zs.avail_out = (uInt)b->om_len;
    int rc = inflate(&zs, Z_SYNC_FLUSH);
    b->body[1].len = b->om_len - zs.avail_out;
    inflateEnd(&zs);
    if ((rc != Z_OK && rc != Z_STREAM_END) || b->body[1].len != b->om_len) {
        char got[24], want[24];
        snprintf(got, sizeof(got), "%zu", b->body[1].len);
        snprintf(want, sizeof(want), "%zu", b->om_len);
        log_msg(LOG_ERROR, "re-inflating the OpenMetrics body came up short", "bytes", got,
                "expected", want);
    }
    b->om_plain = true;
}

static void ensure_om_plain(struct exposition *e, struct bodies *b)
{
    pthread_mutex_lock(&e->gz_mu);
    ensure_om_plain_locked(b);
    pthread_mutex_unlock(&e->gz_mu);
}

static void ensure_gz(struct exposition *e, struct bodies *b, int fmt)
{
    fmt = body_index(b, fmt);
    pthread_mutex_lock(&e->gz_mu);
    if (!b->gz_done[fmt]) {
        deflate_into(&b->gz[fmt], b->body[fmt].p ? b->body[fmt].p : "", b->body[fmt].len,
                     Z_SYNC_FLUSH);
        b->gz_crc[fmt] = crc32(0L, (const Bytef *)b->body[fmt].p, (uInt)b->body[fmt].len);
        b->gz_done[fmt] = true;
    }
    pthread_mutex_unlock(&e->gz_mu);
}

/* The bodies of cluster k (?cluster=NAME): with one cluster all of them,
 * with several cut out of the whole on first demand, once per exposition. */
static struct bodies *cluster_bodies(struct exposition *e, int k)
{
    if (k < 0 || e->nclusters < 2)
        return &e->all;
    pthread_mutex_lock(&e->gz_mu);
    if (!e->cl[k]) {
        struct bodies *b = xcalloc(1, sizeof(*b));
        const char *name = E.hooks.data->cluster_name(k);
        render_filter_base(e->all.body[0].p ? e->all.body[0].p : "", e->all.body[0].len, "cluster",
                           name, &b->body[0]);
        if (e->all.om_shared) {
            b->om_shared = true;
        } else {
            ensure_om_plain_locked(&e->all);
            render_filter_base(e->all.body[1].p ? e->all.body[1].p : "", e->all.body[1].len,
                               "cluster", name, &b->body[1]);
            b->om_len = b->body[1].len;
            b->om_plain = true;
        }
        e->cl[k] = b;
    }
    struct bodies *b = e->cl[k];
    pthread_mutex_unlock(&e->gz_mu);
    return b;
}

int exposition_response(const struct scrape_req *q, struct response_body *out)
{
    memset(out, 0, sizeof(*out));
    if (q->view < 0 || q->view >= EXPO_VIEWS || !view_enabled(q->view))
        return -2;
    pthread_mutex_lock(&E.mu);
    struct exposition *e = E.cur[q->view];
    if (e)
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&E.mu);
    if (!e)
        return -1;
    out->e = e;
    bool openmetrics = q->openmetrics;
    struct bodies *b = cluster_bodies(e, q->cluster);
    int fmt = body_index(b, openmetrics ? 1 : 0);
    struct render r;
    memset(&r, 0, sizeof(r));
    /* The exporter's own section goes with the telemetry path; a compat
     * set's path serves that set's names (for Azure its meta families too),
     * of this section only those of the set (rivosinc's Go client names). */
    if (q->view == EXPO_MAIN) {
        self_metrics(&r, e, q->cluster);
    } else if (VF[q->view].scrape) {
        r.keep = VF[q->view].keep;
        r.nkeep = VF[q->view].nkeep;
        self_metrics(&r, e, q->cluster);
    }
    render_eof(&r);
    struct buf *tail = openmetrics ? render_om(&r) : &r.text;
    if (!q->gzip) {
        if (fmt == 1)
            ensure_om_plain(e, b);
        out->mid = b->body[fmt].p;
        out->mid_len = b->body[fmt].len;
        out->tail = *tail;
    } else {
        ensure_gz(e, b, fmt);
        static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
        buf_append(&out->head, hdr, sizeof(hdr));
        out->mid = b->gz[fmt].p;
        out->mid_len = b->gz[fmt].len;
        deflate_into(&out->tail, tail->p ? tail->p : "", tail->len, Z_FINISH);
        uLong crc = crc32_combine(
            b->gz_crc[fmt], crc32(0L, (const Bytef *)tail->p, (uInt)tail->len), (z_off_t)tail->len);
        uint32_t isize = (uint32_t)((fmt == 1 ? b->om_len : b->body[fmt].len) + tail->len);
        unsigned char trl[8] = {(unsigned char)crc,           (unsigned char)(crc >> 8),
                                (unsigned char)(crc >> 16),   (unsigned char)(crc >> 24),
                                (unsigned char)isize,         (unsigned char)(isize >> 8),
                                (unsigned char)(isize >> 16), (unsigned char)(isize >> 24)};
        buf_append(&out->tail, trl, sizeof(trl));
        buf_free(tail);
    }
    if (openmetrics)
        buf_free(&r.text);
    else
        buf_free(&r.om);
    out->total = out->head.len + out->mid_len + out->tail.len;
    return 0;
}

size_t response_body_read(const struct response_body *b, size_t pos, char *dst, size_t max)
{
    size_t done = 0;
    const char *parts[3] = {b->head.p, b->mid, b->tail.p};
    size_t lens[3] = {b->head.len, b->mid_len, b->tail.len};
    for (int i = 0; i < 3 && done < max; i++) {
        if (pos >= lens[i]) {
            pos -= lens[i];
            continue;
        }
        size_t n = lens[i] - pos;
        if (n > max - done)
            n = max - done;
        memcpy(dst + done, parts[i] + pos, n);
        done += n;
        pos = 0;
    }
    return done;
}

void response_body_free(struct response_body *b)
{
    buf_free(&b->head);
    buf_free(&b->tail);
    expo_release(b->e);
    memset(b, 0, sizeof(*b));
}
