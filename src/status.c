/* SPDX-License-Identifier: Apache-2.0 */
/* The status page: the summary of a snapshot, the history ring, the HTML
 * and SVG, and the process-wide instance the poller feeds. */
#include "status.h"
#include "model/dataset.h"
#include "render.h"
#include "util/clock.h"
#include "util/html.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- history --------------------------------------------------------------------- */

void status_history_init(struct status_history *h, size_t cap)
{
    memset(h, 0, sizeof(*h));
    h->cap = cap;
    if (cap)
        h->pts = xcalloc(cap, sizeof(*h->pts));
}

void status_history_free(struct status_history *h)
{
    free(h->pts);
    memset(h, 0, sizeof(*h));
}

size_t status_history_points(double seconds)
{
    if (!(seconds > 0))
        return 0;
    return (size_t)ceil(seconds / STATUS_STEP);
}

const struct status_point *status_history_get(const struct status_history *h, size_t i)
{
    return &h->pts[(h->head + i) % h->cap];
}

void status_history_add(struct status_history *h, const struct status_point *p)
{
    if (!h->cap)
        return;
    if (h->n) {
        struct status_point *last = &h->pts[(h->head + h->n - 1) % h->cap];
        if (floor(last->t / STATUS_STEP) == floor(p->t / STATUS_STEP)) {
            *last = *p;
            return;
        }
    }
    if (h->n < h->cap) {
        h->pts[(h->head + h->n) % h->cap] = *p;
        h->n++;
    } else {
        h->pts[h->head] = *p;
        h->head = (h->head + 1) % h->cap;
    }
}

/* ---- the summary ------------------------------------------------------------------ */

static int cmp_reason(const void *a, const void *b)
{
    const struct status_reason *x = a, *y = b;
    if (x->jobs != y->jobs)
        return x->jobs > y->jobs ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void summarize_nodes(const struct nodes_model *m, struct status_summary *out)
{
    out->have_nodes = true;
    for (size_t i = 0; i < m->n; i++) {
        const struct node *nd = &m->nodes[i];
        if (nd->state < NODE_STATE_COUNT)
            out->nodes[nd->state] += 1;
        out->nodes_total += 1;
        out->cpu_total += nd->cpus_total;
        out->cpu_alloc += nd->cpus_alloc;
        out->mem_total += (double)nd->mem_total;
        out->mem_alloc += (double)nd->mem_alloc;
        for (uint32_t g = nd->gres_first; g < nd->gres_first + nd->gres_count; g++) {
            if (strcmp(strtab_get(&m->strs, m->gres[g].name), "gpu") != 0)
                continue;
            out->gpu_total += (double)m->gres[g].total;
            out->gpu_alloc += (double)m->gres[g].used;
        }
    }
}

/* Pending jobs by reason (every job once, as slurm_queue_jobs_pending), the
 * queue's pending and running jobs (slurm_queue_jobs) and the longest wait
 * since eligibility (the collector's per-partition maximum, over all). */
static void summarize_jobs(const struct jobs_model *m, double now, struct status_summary *out)
{
    out->have_jobs = true;
    double *per = xcalloc(m->strs.count + 1, sizeof(double));
    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        if (j->state == JOB_RUNNING)
            out->jobs_running += 1;
        if (j->state != JOB_PENDING)
            continue;
        out->jobs_pending += 1;
        if (j->reason < m->strs.count)
            per[j->reason] += 1;
        if (j->eligible > 0 && (double)j->eligible <= now) {
            double age = now - (double)j->eligible;
            if (age > out->oldest_pending)
                out->oldest_pending = age;
        }
    }
    /* the reasons that have jobs, most first; the tail summed */
    size_t nr = 0;
    for (uint32_t id = 0; id < m->strs.count; id++)
        if (per[id] > 0)
            nr++;
    struct status_reason *all = xcalloc(nr ? nr : 1, sizeof(*all));
    size_t k = 0;
    for (uint32_t id = 0; id < m->strs.count; id++) {
        if (!(per[id] > 0))
            continue;
        snprintf(all[k].name, sizeof(all[k].name), "%s", strtab_get(&m->strs, id));
        all[k].jobs = per[id];
        k++;
    }
    qsort(all, nr, sizeof(*all), cmp_reason);
    out->nreasons = nr < STATUS_MAX_REASONS ? nr : STATUS_MAX_REASONS;
    memcpy(out->reasons, all, out->nreasons * sizeof(*all));
    for (size_t i = out->nreasons; i < nr; i++) {
        out->reasons_rest++;
        out->reasons_rest_jobs += all[i].jobs;
    }
    free(all);
    free(per);
}

void status_summarize(const struct view *v, const struct dataset_state st[DS_COUNT],
                      const char *cluster, struct status_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->at = v->now;
    if (cluster)
        snprintf(out->cluster, sizeof(out->cluster), "%s", cluster);
    const struct nodes_model *nm = view_nodes(v);
    if (nm)
        summarize_nodes(nm, out);
    const struct jobs_model *jm = view_jobs(v);
    if (jm)
        summarize_jobs(jm, v->now, out);
    const struct version_model *vm = view_version(v);
    if (vm)
        snprintf(out->version, sizeof(out->version), "%s", vm->version);
    for (int d = 0; d < DS_COUNT; d++) {
        struct status_dataset *o = &out->ds[d];
        o->enabled = st[d].enabled;
        o->attempted = st[d].attempted;
        o->last_ok = st[d].last_ok;
        o->interval = st[d].interval;
        o->max_age = st[d].max_age;
        o->last_success = st[d].last_success;
        o->last_error_at = st[d].last_error_at;
        snprintf(o->last_error, sizeof(o->last_error), "%s", st[d].last_error);
    }
}

void status_point_of(const struct status_summary *s, struct status_point *p)
{
    p->t = s->at;
    for (int i = 0; i < SS_COUNT; i++)
        p->v[i] = NAN;
    if (s->have_nodes) {
        p->v[SS_CPU_ALLOC] = s->cpu_alloc;
        p->v[SS_CPU_TOTAL] = s->cpu_total;
        p->v[SS_MEM_ALLOC] = s->mem_alloc;
        p->v[SS_MEM_TOTAL] = s->mem_total;
        p->v[SS_GPU_ALLOC] = s->gpu_alloc;
        p->v[SS_GPU_TOTAL] = s->gpu_total;
    }
    if (s->have_jobs) {
        p->v[SS_JOBS_PENDING] = s->jobs_pending;
        p->v[SS_JOBS_RUNNING] = s->jobs_running;
        p->v[SS_OLDEST_PENDING] = s->oldest_pending;
    }
}

/* ---- the page -------------------------------------------------------------------- */

static void esc(struct buf *b, const char *s)
{
    html_escape(b, s, strlen(s), 256);
}

/* A figure as a person reads it: bytes in binary units, seconds as a
 * duration, others as integers (or with one decimal). */
enum unit { U_COUNT, U_BYTES, U_SECONDS, U_PERCENT };

static void human(char *out, size_t cap, double v, enum unit u)
{
    if (isnan(v)) {
        snprintf(out, cap, "–");
        return;
    }
    switch (u) {
    case U_BYTES: {
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int k = 0;
        while (fabs(v) >= 1024 && k < 6) {
            v /= 1024;
            k++;
        }
        snprintf(out, cap, k ? "%.1f %s" : "%.0f %s", v, units[k]);
        return;
    }
    case U_SECONDS: {
        /* two units, the second left out when 0: "45s", "2m 5s", "6h", "12d 17h" */
        long long s = (long long)llround(v), a, b;
        const char *ua, *ub;
        if (s < 120) {
            snprintf(out, cap, "%llds", s);
            return;
        }
        if (s < 7200) {
            a = s / 60, b = s % 60, ua = "m", ub = "s";
        } else if (s < 172800) {
            a = s / 3600, b = s % 3600 / 60, ua = "h", ub = "m";
        } else {
            a = s / 86400, b = s % 86400 / 3600, ua = "d", ub = "h";
        }
        if (b)
            snprintf(out, cap, "%lld%s %lld%s", a, ua, b, ub);
        else
            snprintf(out, cap, "%lld%s", a, ua);
        return;
    }
    case U_PERCENT:
        snprintf(out, cap, "%.1f%%", v);
        return;
    default:
        if (v == floor(v) && fabs(v) < 1e15)
            snprintf(out, cap, "%.0f", v);
        else
            snprintf(out, cap, "%.1f", v);
        return;
    }
}

static void utc(char *out, size_t cap, double t)
{
    if (!(t > 0)) {
        snprintf(out, cap, "never");
        return;
    }
    struct tm tm;
    time_t tt = (time_t)t;
    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&tt, &tm));
}

/* A figure cell: the exact value for machines (data-value, as /metrics
 * writes it, and the series it equals), the readable one for people. */
static void figure(struct buf *b, const char *series, double v, enum unit u)
{
    char num[64], h[64];
    render_number(num, sizeof(num), v);
    human(h, sizeof(h), v, u);
    buf_puts(b, "<td class=\"n\" data-metric=\"");
    esc(b, series);
    buf_printf(b, "\" data-value=\"%s\">%s</td>", num, h);
}

static void alloc_row(struct buf *b, const char *what, const char *alloc_series, double alloc,
                      const char *total_series, double total, enum unit u)
{
    buf_printf(b, "<tr><th>%s</th>", what);
    figure(b, alloc_series, alloc, u);
    figure(b, total_series, total, u);
    char pct[32];
    human(pct, sizeof(pct), total > 0 ? 100.0 * alloc / total : NAN, U_PERCENT);
    double w = total > 0 ? 100.0 * alloc / total : 0;
    if (w > 100)
        w = 100;
    if (w < 0)
        w = 0;
    buf_printf(b,
               "<td class=\"n\">%s</td><td><svg width=\"120\" height=\"10\" "
               "viewBox=\"0 0 100 10\" role=\"img\" aria-label=\"%s allocated\">"
               "<rect width=\"100\" height=\"10\" fill=\"#e3e6ea\"/>"
               "<rect width=\"%.2f\" height=\"10\" fill=\"#3b73b9\"/></svg></td></tr>\n",
               pct, pct, w);
}

struct chart {
    const char *title;
    int num, den; /* series; den < 0: the value itself, else 100 * num / den */
    enum unit unit;
};

static double chart_value(const struct status_point *p, const struct chart *c)
{
    double v = p->v[c->num];
    if (c->den < 0)
        return v;
    double d = p->v[c->den];
    return d > 0 ? 100.0 * v / d : NAN;
}

/* One chart: a polyline of the points within [now - span, now], at most
 * STATUS_CHART_POINTS of them (evenly thinned), scaled to the largest. */
static void chart(struct buf *b, const struct status_history *h, const struct chart *c, double span,
                  double now)
{
    const double W = 360, H = 80;
    size_t first = 0;
    while (first < h->n && status_history_get(h, first)->t < now - span)
        first++;
    size_t n = h->n - first;
    size_t stride =
        n > STATUS_CHART_POINTS ? (n + STATUS_CHART_POINTS - 1) / STATUS_CHART_POINTS : 1;
    double top = c->unit == U_PERCENT ? 100 : 0;
    for (size_t i = first; i < h->n; i++) {
        double v = chart_value(status_history_get(h, i), c);
        if (!isnan(v) && v > top)
            top = v;
    }
    if (!(top > 0))
        top = 1;
    char topt[64];
    human(topt, sizeof(topt), top, c->unit);
    buf_printf(b,
               "<figure><figcaption>%s <span class=\"dim\">(max %s)</span></figcaption>"
               "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
               "aria-label=\"%s\"><rect width=\"%.0f\" height=\"%.0f\" fill=\"#f6f7f9\"/>",
               c->title, topt, W, H, W, H, c->title, W, H);
    bool open = false;
    double lx = -1, ly = 0; /* the newest point drawn: marked with a dot */
    for (size_t i = first; i < h->n; i += stride) {
        const struct status_point *p = status_history_get(h, i);
        double v = chart_value(p, c);
        if (isnan(v)) { /* a gap: the line ends here */
            if (open)
                buf_puts(b, "\"/>");
            open = false;
            continue;
        }
        double x = (p->t - (now - span)) / span * W;
        double y = H - 2 - v / top * (H - 4);
        if (x < 0)
            x = 0;
        if (x > W)
            x = W;
        if (!open)
            buf_puts(b, "<polyline fill=\"none\" stroke=\"#3b73b9\" stroke-width=\"1.5\" "
                        "points=\"");
        buf_printf(b, "%s%.1f,%.1f", open ? " " : "", x, y);
        open = true;
        lx = x;
        ly = y;
    }
    if (open)
        buf_puts(b, "\"/>");
    if (lx >= 0)
        buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#3b73b9\"/>", lx, ly);
    buf_puts(b, "</svg></figure>\n");
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2329;background:#fff}"
    "h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}"
    "table{border-collapse:collapse}th,td{padding:.2em .7em;text-align:left;"
    "border-bottom:1px solid #e3e6ea;vertical-align:top}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}.dim{color:#66707a}.bad{color:#b3261e}"
    ".ok{color:#1e7b34}figure{display:inline-block;margin:0 1em 1em 0}"
    "figcaption{font-size:.9em}.err{max-width:40em;word-break:break-word}";

static const char *const chart_titles[] = {"CPUs allocated (%)", "Memory allocated (%)",
                                           "GPUs allocated (%)", "Pending jobs",
                                           "Running jobs",       "Oldest pending job's wait"};

void status_page_render(struct buf *out, const struct status_summary *s,
                        const struct status_history *h, double span, double now,
                        const char *telemetry_path)
{
    struct buf *b = out;
    char t1[64], t2[64];
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta http-equiv=\"refresh\" content=\"60\">"
                "<meta name=\"viewport\" content=\"width=device-width\">"
                "<title>Slurm status</title><style>");
    buf_puts(b, style);
    buf_puts(b, "</style></head>\n<body>\n<h1>Slurm status");
    if (s->cluster[0]) {
        buf_puts(b, ": <span id=\"cluster\">");
        esc(b, s->cluster);
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</h1>\n<p class=\"dim\">");
    utc(t1, sizeof(t1), now);
    buf_printf(b, "Page made %s", t1);
    if (s->at > 0) {
        utc(t2, sizeof(t2), s->at);
        buf_printf(b, " from data summarised <span id=\"at\" data-value=\"%.3f\">%s</span>", s->at,
                   t2);
    }
    buf_puts(b, ". Slurm <span id=\"version\" data-metric=\"slurm_exporter_slurm_info\">");
    if (s->version[0])
        esc(b, s->version);
    else
        buf_puts(b, "unknown");
    buf_printf(b, "</span>; exporter %s. <a href=\"", SE_VERSION);
    esc(b, telemetry_path);
    buf_puts(b, "\">Metrics</a> · <a href=\"/-/healthy\">health</a> · "
                "<a href=\"/-/ready\">readiness</a></p>\n");
    if (!(s->at > 0)) {
        buf_puts(b, "<p id=\"waiting\">Waiting for the first refresh of the Slurm data.</p>\n");
        buf_puts(b, "</body></html>\n");
        return;
    }

    buf_puts(b, "<h2>Allocation</h2>\n");
    if (s->have_nodes) {
        buf_puts(b, "<table id=\"alloc\"><tr><th></th><th>allocated</th><th>total</th>"
                    "<th></th><th></th></tr>\n");
        alloc_row(b, "CPUs", "slurm_cpus{state=\"allocated\"}", s->cpu_alloc,
                  "slurm_cpus_configured", s->cpu_total, U_COUNT);
        alloc_row(b, "Memory", "slurm_memory_allocated_bytes", s->mem_alloc,
                  "slurm_memory_configured_bytes", s->mem_total, U_BYTES);
        alloc_row(b, "GPUs", "sum(slurm_gres_allocated{gres=\"gpu\"})", s->gpu_alloc,
                  "sum(slurm_gres_configured{gres=\"gpu\"})", s->gpu_total, U_COUNT);
        buf_puts(b, "</table>\n");

        buf_puts(b, "<h2>Nodes</h2>\n<table id=\"nodes\"><tr><th>state</th><th>nodes</th></tr>\n");
        for (int st = 0; st < NODE_STATE_COUNT; st++) {
            if (s->nodes[st] == 0)
                continue;
            char series[64];
            snprintf(series, sizeof(series), "slurm_nodes{state=\"%s\"}", node_state_names[st]);
            buf_printf(b, "<tr><th>%s</th>", node_state_names[st]);
            figure(b, series, s->nodes[st], U_COUNT);
            buf_puts(b, "</tr>\n");
        }
        buf_puts(b, "<tr><th>all</th>");
        figure(b, "sum(slurm_nodes)", s->nodes_total, U_COUNT);
        buf_puts(b, "</tr>\n</table>\n");
    } else {
        buf_puts(b, "<p class=\"bad\">No usable node data (see the datasets below).</p>\n");
    }

    buf_puts(b, "<h2>Jobs</h2>\n");
    if (s->have_jobs) {
        buf_puts(b, "<table id=\"jobs\"><tr><th>running</th>");
        figure(b, "slurm_queue_jobs{state=\"running\"}", s->jobs_running, U_COUNT);
        buf_puts(b, "</tr>\n<tr><th>pending</th>");
        figure(b, "slurm_queue_jobs{state=\"pending\"}", s->jobs_pending, U_COUNT);
        buf_puts(b, "</tr>\n<tr><th>oldest pending job's wait</th>");
        figure(b, "max(slurm_jobs_oldest_pending_age_seconds)", s->oldest_pending, U_SECONDS);
        buf_puts(b, "</tr>\n</table>\n");
        if (s->nreasons) {
            buf_puts(b, "<h2>Pending jobs by reason</h2>\n<table id=\"reasons\">"
                        "<tr><th>reason</th><th>jobs</th></tr>\n");
            for (size_t i = 0; i < s->nreasons; i++) {
                struct buf series = {0};
                /* as the exposition writes the series: the label value escaped */
                buf_puts(&series, "slurm_queue_jobs_pending{reason=\"");
                render_escape_label(&series, s->reasons[i].name);
                buf_puts(&series, "\"}");
                buf_puts(b, "<tr><td>");
                esc(b, s->reasons[i].name);
                buf_puts(b, "</td>");
                figure(b, buf_cstr(&series), s->reasons[i].jobs, U_COUNT);
                buf_puts(b, "</tr>\n");
                buf_free(&series);
            }
            if (s->reasons_rest) {
                char rest[64];
                human(rest, sizeof(rest), s->reasons_rest_jobs, U_COUNT);
                buf_printf(b,
                           "<tr><td class=\"dim\">%zu other reasons</td><td class=\"n\">%s</td>"
                           "</tr>\n",
                           s->reasons_rest, rest);
            }
            buf_puts(b, "</table>\n");
        }
    } else {
        buf_puts(b, "<p class=\"bad\">No usable job data (see the datasets below).</p>\n");
    }

    if (h && h->n) {
        char spans[64];
        human(spans, sizeof(spans), span, U_SECONDS);
        buf_printf(b, "<h2>The last %s</h2>\n<div id=\"charts\">\n", spans);
        const struct chart charts[] = {
            {chart_titles[0], SS_CPU_ALLOC, SS_CPU_TOTAL, U_PERCENT},
            {chart_titles[1], SS_MEM_ALLOC, SS_MEM_TOTAL, U_PERCENT},
            {chart_titles[2], SS_GPU_ALLOC, SS_GPU_TOTAL, U_PERCENT},
            {chart_titles[3], SS_JOBS_PENDING, -1, U_COUNT},
            {chart_titles[4], SS_JOBS_RUNNING, -1, U_COUNT},
            {chart_titles[5], SS_OLDEST_PENDING, -1, U_SECONDS},
        };
        for (size_t i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
            if (charts[i].num == SS_GPU_ALLOC && !(s->gpu_total > 0))
                continue; /* no GPUs: no GPU chart */
            chart(b, h, &charts[i], span, now);
        }
        buf_puts(b, "</div>\n");
    }

    buf_puts(b, "<h2>Datasets</h2>\n<table id=\"datasets\"><tr><th>dataset</th><th>state</th>"
                "<th>age</th><th>last success</th><th>every</th><th>last error</th></tr>\n");
    for (int d = 0; d < DS_COUNT; d++) {
        const struct status_dataset *o = &s->ds[d];
        if (!o->enabled)
            continue;
        const char *state = !o->attempted ? "<span class=\"dim\">waiting</span>"
                            : o->last_ok  ? "<span class=\"ok\">ok</span>"
                            : o->last_success > 0 && now - o->last_success <= o->max_age
                                ? "<span class=\"bad\">failing (last data kept)</span>"
                                : "<span class=\"bad\">failing</span>";
        buf_printf(b, "<tr id=\"ds-%s\"><th>%s</th><td>%s</td>", dataset_names[d], dataset_names[d],
                   state);
        if (o->last_success > 0) {
            char series[96];
            snprintf(series, sizeof(series), "slurm_exporter_dataset_age_seconds{dataset=\"%s\"}",
                     dataset_names[d]);
            figure(b, series, now - o->last_success, U_SECONDS);
            snprintf(series, sizeof(series),
                     "slurm_exporter_dataset_last_success_timestamp_seconds{dataset=\"%s\"}",
                     dataset_names[d]);
            utc(t1, sizeof(t1), o->last_success);
            char num[64];
            render_number(num, sizeof(num), o->last_success);
            buf_printf(b, "<td data-metric=\"");
            esc(b, series);
            buf_printf(b, "\" data-value=\"%s\">%s</td>", num, t1);
        } else {
            buf_puts(b, "<td class=\"n\">–</td><td>never</td>");
        }
        human(t1, sizeof(t1), o->interval, U_SECONDS);
        buf_printf(b, "<td class=\"n\">%s</td><td class=\"err\">", t1);
        if (o->last_error_at > 0) {
            utc(t2, sizeof(t2), o->last_error_at);
            buf_printf(b, "<span class=\"%s\">", o->last_ok ? "dim" : "bad");
            esc(b, o->last_error);
            buf_printf(b, "</span> <span class=\"dim\">(%s)</span>", t2);
        }
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n</body></html>\n");
}

/* ---- the process-wide instance ----------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    bool on;
    const struct config *cfg;
    const struct dataset_access *da;
    struct status_summary cur;  /* under mu */
    struct status_history hist; /* under mu */
    /* the builder thread's own: the refreshes last charted */
    double jobs_at, nodes_at;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

void status_init(const struct config *cfg, const struct dataset_access *da)
{
    S.cfg = cfg;
    S.da = da;
    status_history_init(&S.hist, status_history_points(cfg->status_history));
    S.on = true;
}

void status_shutdown(void)
{
    pthread_mutex_lock(&S.mu);
    status_history_free(&S.hist);
    S.on = false;
    pthread_mutex_unlock(&S.mu);
}

void status_refresh(void)
{
    if (!S.on)
        return;
    struct view v;
    struct dataset_state st[DS_COUNT];
    S.da->view_cluster(&v, 0, wall_now());
    S.da->status_cluster(0, st);
    struct status_summary *sum = xmalloc(sizeof(*sum));
    status_summarize(&v, st, S.da->cluster_name(0), sum);
    /* a point per refresh of the jobs or nodes dataset (not per failure
     * elsewhere) */
    double ja = v.ds[DS_JOBS] ? v.ds[DS_JOBS]->fetched_at : 0;
    double na = v.ds[DS_NODES] ? v.ds[DS_NODES]->fetched_at : 0;
    bool fresh = (ja > 0 && ja != S.jobs_at) || (na > 0 && na != S.nodes_at);
    S.jobs_at = ja;
    S.nodes_at = na;
    S.da->release_view(&v);
    struct status_point p;
    status_point_of(sum, &p);
    pthread_mutex_lock(&S.mu);
    S.cur = *sum;
    if (fresh)
        status_history_add(&S.hist, &p);
    pthread_mutex_unlock(&S.mu);
    free(sum);
}

void status_page(struct buf *out)
{
    struct status_summary *sum = xmalloc(sizeof(*sum));
    struct status_history h = {0};
    pthread_mutex_lock(&S.mu);
    *sum = S.cur;
    if (S.hist.n) { /* copied oldest first: the render holds no lock */
        h.cap = h.n = S.hist.n;
        h.pts = xmalloc(h.n * sizeof(*h.pts));
        for (size_t i = 0; i < h.n; i++)
            h.pts[i] = *status_history_get(&S.hist, i);
    }
    pthread_mutex_unlock(&S.mu);
    status_page_render(out, sum, &h, S.cfg ? S.cfg->status_history : 0, wall_now(),
                       S.cfg ? S.cfg->telemetry_path : "/metrics");
    free(h.pts);
    free(sum);
}
