/* SPDX-License-Identifier: Apache-2.0 */
/* Scheduler collector: slurmctld's statistics from sdiag. Gauges are sdiag's
 * current values in base units (microseconds become seconds); what Slurm
 * counts since its last reset is served as the exporter's own monotonic
 * counters (see sdiag_commit and docs/metrics.md), so rate() never sees
 * Slurm's midnight reset. A value sdiag did not print gives no series. With
 * --compat the names of two other exporters are written too. */
#include "collectors/collector.h"
#include "model/scheduler.h"

#include <stddef.h>
#include <string.h>

#define US 1e6 /* microseconds per second: divided, so 7537 us reads 0.007537 */

/* One unlabelled sample of field f (divided by div), in the family just started. */
static void val(struct render *r, const struct sdiag_model *m, enum sdiag_field f, double div)
{
    render_sample(r, NULL, 0, (double)m->v[f] / div);
}

static void total(struct render *r, const struct sdiag_model *m, enum sdiag_counter c)
{
    render_sample(r, NULL, 0, m->total[c]);
}

static bool has(const struct sdiag_model *m, enum sdiag_field f)
{
    return sdiag_has(m, f);
}

static bool has_ctr(const struct sdiag_model *m, enum sdiag_counter c)
{
    return m->counted && sdiag_has(m, sdiag_counter_field[c]);
}

/* A family of one unlabelled sample: a gauge of sdiag field id (divided by
 * div), or a counter of the exporter-kept total id. Written when sdiag
 * printed the value; the tables keep the order of the exposition. */
struct fam {
    bool counter;
    int id; /* enum sdiag_field, or enum sdiag_counter for a counter */
    const char *name;
    const char *help;
    double div;
};

static void emit(struct render *r, const struct sdiag_model *m, const struct fam *t, size_t n)
{
    for (size_t i = 0; i < n; i++, t++) {
        if (t->counter ? !has_ctr(m, (enum sdiag_counter)t->id) : !has(m, (enum sdiag_field)t->id))
            continue;
        render_family(r, t->name, t->counter ? M_COUNTER : M_GAUGE, t->help);
        if (t->counter)
            total(r, m, (enum sdiag_counter)t->id);
        else
            val(r, m, (enum sdiag_field)t->id, t->div);
    }
}

#define EMIT(t) emit(r, m, t, sizeof(t) / sizeof((t)[0]))

static const struct fam vpenso_fams[] = {
    {false, SD_AGENT_QUEUE, "slurm_scheduler_queue_size",
     "Compat (vpenso): sdiag Agent queue size.", 1},
    {false, SD_DBD_QUEUE, "slurm_scheduler_dbd_queue_size",
     "Compat (vpenso): sdiag DBD Agent queue size.", 1},
    {false, SD_MAIN_LAST, "slurm_scheduler_last_cycle",
     "Compat (vpenso): main scheduler last cycle in microseconds.", 1},
    {false, SD_MAIN_MEAN, "slurm_scheduler_mean_cycle",
     "Compat (vpenso): main scheduler mean cycle in microseconds.", 1},
    {false, SD_MAIN_PER_MINUTE, "slurm_scheduler_cycle_per_minute",
     "Compat (vpenso): main scheduler cycles per minute.", 1},
    {false, SD_BF_LAST, "slurm_scheduler_backfill_last_cycle",
     "Compat (vpenso): backfill last cycle in microseconds.", 1},
    {false, SD_BF_MEAN, "slurm_scheduler_backfill_mean_cycle",
     "Compat (vpenso): backfill mean cycle in microseconds.", 1},
    {false, SD_BF_JOBS_SINCE_START, "slurm_scheduler_backfilled_jobs_since_start_total",
     "Compat (vpenso, a gauge): jobs backfilled since slurmctld started.", 1},
    {false, SD_BF_JOBS, "slurm_scheduler_backfilled_jobs_since_cycle_total",
     "Compat (vpenso, a gauge): jobs backfilled since the last statistics reset.", 1},
    {false, SD_BF_HET, "slurm_scheduler_backfilled_heterogeneous_total",
     "Compat (vpenso, a gauge): heterogeneous job components backfilled since the last statistics "
     "reset.",
     1},
};

static const struct fam rivosinc_fams[] = {
    {false, SD_SERVER_THREADS, "slurm_daemon_thread_count",
     "Compat (rivosinc): slurmctld server thread count.", 1},
    {false, SD_DBD_QUEUE, "slurm_dbd_agent_queue_size", "Compat (rivosinc): DBD agent queue size.",
     1},
    {false, SD_BF_JOBS_SINCE_START, "slurm_backfill_job_count",
     "Compat (rivosinc): jobs backfilled since slurmctld started.", 1},
};

static const struct fam rivosinc_backfill_fams[] = {
    {false, SD_BF_CYCLES, "slurm_backfill_cycle_counter",
     "Compat (rivosinc): backfill cycles since the last reset.", 1},
    {false, SD_BF_LAST_DEPTH, "slurm_backfill_last_depth",
     "Compat (rivosinc): jobs processed in the last backfill cycle.", 1},
    {false, SD_BF_LAST_DEPTH_TRY, "slurm_backfill_last_depth_try_sched",
     "Compat (rivosinc): jobs with a chance to start processed in the last backfill cycle.", 1},
};

static const struct fam ctld_fams[] = {
    {false, SD_SERVER_THREADS, "slurm_scheduler_threads",
     "slurmctld server threads (sdiag Server thread count).", 1},
    {false, SD_RPC_QUEUE_ENABLED, "slurm_scheduler_rpc_queue_enabled",
     "1 when slurmctld queues RPCs per type (Slurm 24.05+).", 1},
    {false, SD_AGENT_QUEUE, "slurm_scheduler_agent_queue_size",
     "Outgoing RPCs waiting for an agent (sdiag Agent queue size).", 1},
    {false, SD_AGENTS, "slurm_scheduler_agents", "Agents running (sdiag Agent count).", 1},
    {false, SD_AGENT_THREADS, "slurm_scheduler_agent_threads",
     "Threads of the running agents (sdiag Agent thread count).", 1},
    {false, SD_DBD_QUEUE, "slurm_scheduler_dbd_agent_queue_size",
     "Messages waiting to be sent to slurmdbd (sdiag DBD Agent queue size).", 1},
    {false, SD_LATENCY, "slurm_scheduler_gettimeofday_latency_seconds",
     "Time slurmctld took for 1000 calls to gettimeofday().", US},
    {false, SD_REQ_TIME, "slurm_scheduler_stats_timestamp_seconds",
     "slurmctld's clock when it answered (sdiag output at).", 1},
    {false, SD_DATA_SINCE, "slurm_scheduler_stats_reset_timestamp_seconds",
     "Last reset of slurmctld's statistics: midnight, sdiag --reset or a restart (sdiag Data "
     "since).",
     1},
};

static const struct fam job_counter_fams[] = {
    {true, SDC_JOBS_SUBMITTED, "slurm_scheduler_jobs_submitted",
     "Jobs submitted, counted by the exporter across Slurm's resets.", 1},
    {true, SDC_JOBS_STARTED, "slurm_scheduler_jobs_started",
     "Jobs started, counted by the exporter across Slurm's resets.", 1},
    {true, SDC_JOBS_COMPLETED, "slurm_scheduler_jobs_completed",
     "Jobs completed, counted by the exporter across Slurm's resets.", 1},
    {true, SDC_JOBS_CANCELED, "slurm_scheduler_jobs_canceled",
     "Jobs canceled, counted by the exporter across Slurm's resets.", 1},
    {true, SDC_JOBS_FAILED, "slurm_scheduler_jobs_failed",
     "Jobs failed, counted by the exporter across Slurm's resets.", 1},
};

static const struct fam job_state_fams[] = {
    {false, SD_JOBS_PENDING, "slurm_scheduler_jobs_pending",
     "Pending jobs as slurmctld last counted them (at the job states timestamp).", 1},
    {false, SD_JOBS_RUNNING, "slurm_scheduler_jobs_running",
     "Running jobs as slurmctld last counted them (at the job states timestamp).", 1},
    {false, SD_JOB_STATES_TS, "slurm_scheduler_job_states_timestamp_seconds",
     "When slurmctld last counted pending and running jobs (sdiag Job states ts).", 1},
};

static const struct fam main_fams[] = {
    {false, SD_MAIN_LAST, "slurm_scheduler_cycle_last_seconds",
     "Duration of the last main scheduling cycle.", US},
    {false, SD_MAIN_MAX, "slurm_scheduler_cycle_max_seconds",
     "Longest main scheduling cycle since the last reset.", US},
    {false, SD_MAIN_MEAN, "slurm_scheduler_cycle_mean_seconds",
     "Mean main scheduling cycle since the last reset (absent before the first cycle).", US},
    {true, SDC_MAIN_CYCLES, "slurm_scheduler_cycles",
     "Main scheduling cycles, counted by the exporter across Slurm's resets.", 1},
    {false, SD_MAIN_PER_MINUTE, "slurm_scheduler_cycles_per_minute",
     "Main scheduling cycles per minute since the last reset (absent in the first minute after "
     "it).",
     1},
    {false, SD_MAIN_MEAN_DEPTH, "slurm_scheduler_depth_mean",
     "Mean number of jobs the main scheduler looked at per cycle since the last reset.", 1},
    {false, SD_MAIN_QUEUE_LEN, "slurm_scheduler_queue_length",
     "Jobs in the main scheduler's queue at its last cycle.", 1},
};

static const struct fam backfill_fams[] = {
    {false, SD_BF_ACTIVE, "slurm_scheduler_backfill_active",
     "1 when the statistics were taken in the middle of a backfill cycle.", 1},
    {true, SDC_BF_JOBS, "slurm_scheduler_backfilled_jobs",
     "Jobs started by the backfill scheduler, counted by the exporter across Slurm's resets.", 1},
    {true, SDC_BF_HET, "slurm_scheduler_backfilled_heterogeneous_jobs",
     "Heterogeneous job components started by the backfill scheduler, counted by the exporter "
     "across Slurm's resets.",
     1},
    {true, SDC_BF_CYCLES, "slurm_scheduler_backfill_cycles",
     "Backfill cycles, counted by the exporter across Slurm's resets.", 1},
    {false, SD_BF_LAST_WHEN, "slurm_scheduler_backfill_last_cycle_timestamp_seconds",
     "When the last backfill cycle ran (absent before the first).", 1},
    {false, SD_BF_LAST, "slurm_scheduler_backfill_cycle_last_seconds",
     "Duration of the last backfill cycle.", US},
    {false, SD_BF_MAX, "slurm_scheduler_backfill_cycle_max_seconds",
     "Longest backfill cycle since the last reset.", US},
    {false, SD_BF_MEAN, "slurm_scheduler_backfill_cycle_mean_seconds",
     "Mean backfill cycle since the last reset (absent before the first cycle).", US},
    {false, SD_BF_LAST_DEPTH, "slurm_scheduler_backfill_last_depth",
     "Jobs the last backfill cycle looked at.", 1},
    {false, SD_BF_LAST_DEPTH_TRY, "slurm_scheduler_backfill_last_depth_try",
     "Jobs the last backfill cycle tried to schedule (those with a chance to start).", 1},
    {false, SD_BF_DEPTH_MEAN, "slurm_scheduler_backfill_depth_mean",
     "Mean jobs looked at per backfill cycle since the last reset.", 1},
    {false, SD_BF_DEPTH_MEAN_TRY, "slurm_scheduler_backfill_depth_try_mean",
     "Mean jobs tried per backfill cycle since the last reset.", 1},
    {false, SD_BF_QUEUE_LEN, "slurm_scheduler_backfill_queue_length",
     "Jobs in the backfill queue at the last cycle.", 1},
    {false, SD_BF_QUEUE_LEN_MEAN, "slurm_scheduler_backfill_queue_length_mean",
     "Mean backfill queue length since the last reset.", 1},
    {false, SD_BF_TABLE_SIZE, "slurm_scheduler_backfill_table_size",
     "Size of the backfill time table at the last cycle.", 1},
    {false, SD_BF_TABLE_SIZE_MEAN, "slurm_scheduler_backfill_table_size_mean",
     "Mean backfill time table size since the last reset.", 1},
};

static size_t limited(size_t n, size_t limit, uint64_t *dropped)
{
    if (limit && n > limit) {
        *dropped += n - limit;
        return limit;
    }
    return n;
}

static void exits(struct render *r, const double *tot, uint32_t have, const char *const *labels,
                  int n)
{
    for (int i = 0; i < n; i++) {
        if (!((have >> i) & 1u))
            continue;
        struct label l[1] = {{"reason", labels[i]}};
        render_sample(r, l, 1, tot[i]);
    }
}

static void rpc_totals(struct render *r, const struct sdiag_model *m,
                       const struct sdiag_rpc_total *t, size_t n, const char *label, int what)
{
    for (size_t i = 0; i < n; i++) {
        if (what == 2 && !t[i].has_dropped)
            continue;
        struct label l[1] = {{label, strtab_get(&m->strs, t[i].name)}};
        render_sample(r, l, 1, what == 0 ? t[i].calls : what == 1 ? t[i].seconds : t[i].dropped);
    }
}

/* Raw RPC rows (current sdiag values), for the compat names: non-zero only,
 * as rivosinc writes them. */
static void rpc_raw(struct render *r, const struct sdiag_model *m, const struct sdiag_rpc *rows,
                    size_t n, const char *label, size_t off)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = *(const uint64_t *)((const char *)&rows[i] + off);
        if (!x)
            continue;
        struct label l[1] = {{label, strtab_get(&m->strs, rows[i].name)}};
        render_sample(r, l, 1, (double)x);
    }
}

static void compat_vpenso(struct render *r, const struct sdiag_model *m)
{
    /* slurm_scheduler_threads and slurm_scheduler_backfill_depth_mean are
     * ours too (same value and unit): written once, above. */
    EMIT(vpenso_fams);
}

static void compat_rivosinc(struct render *r, const struct sdiag_model *m, size_t nt, size_t nu)
{
    EMIT(rivosinc_fams);
    /* Slurm's sum of backfill cycle times: sdiag prints only the mean (sum /
     * cycles, rounded down), so this is mean x cycles. */
    if (has(m, SD_BF_CYCLES) && (has(m, SD_BF_MEAN) || m->v[SD_BF_CYCLES] == 0)) {
        render_gauge1(r, "slurm_backfill_cycle_count",
                      "Compat (rivosinc): total backfill cycle time in microseconds since the "
                      "last reset (mean cycle x cycles).",
                      has(m, SD_BF_MEAN) ? (double)m->v[SD_BF_MEAN] * (double)m->v[SD_BF_CYCLES]
                                         : 0);
    }
    EMIT(rivosinc_backfill_fams);
    if (m->have_users) {
        render_family(r, "slurm_rpc_user_count", M_GAUGE,
                      "Compat (rivosinc): RPCs per user since the last reset (non-zero only).");
        rpc_raw(r, m, m->users, nu, "user", offsetof(struct sdiag_rpc, count));
        render_family(r, "slurm_rpc_user_total_time", M_GAUGE,
                      "Compat (rivosinc): RPC time per user in microseconds (non-zero only).");
        rpc_raw(r, m, m->users, nu, "user", offsetof(struct sdiag_rpc, total_time));
    }
    if (m->have_types) {
        render_family(r, "slurm_rpc_msg_type_count", M_GAUGE,
                      "Compat (rivosinc): RPCs per message type since the last reset (non-zero "
                      "only).");
        rpc_raw(r, m, m->types, nt, "type", offsetof(struct sdiag_rpc, count));
        render_family(r, "slurm_rpc_msg_type_avg_time", M_GAUGE,
                      "Compat (rivosinc): mean RPC time per message type in microseconds "
                      "(non-zero only).");
        rpc_raw(r, m, m->types, nt, "type", offsetof(struct sdiag_rpc, ave_time));
        render_family(r, "slurm_rpc_msg_type_total_time", M_GAUGE,
                      "Compat (rivosinc): RPC time per message type in microseconds (non-zero "
                      "only).");
        rpc_raw(r, m, m->types, nt, "type", offsetof(struct sdiag_rpc, total_time));
    }
}

void collect_scheduler(const struct view *v, struct render *r, struct collect_out *o)
{
    const struct sdiag_model *m = view_sched(v);
    if (!m)
        return;

    /* ---- slurmctld ---- */
    EMIT(ctld_fams);

    /* ---- jobs ---- */
    EMIT(job_counter_fams);
    {
        static const enum sdiag_field jf[5] = {SD_JOBS_SUBMITTED, SD_JOBS_STARTED,
                                               SD_JOBS_COMPLETED, SD_JOBS_CANCELED, SD_JOBS_FAILED};
        static const char *const je[5] = {"submitted", "started", "completed", "canceled",
                                          "failed"};
        bool any = false;
        for (int i = 0; i < 5; i++)
            any |= has(m, jf[i]);
        if (any) {
            render_family(r, "slurm_scheduler_jobs_since_reset", M_GAUGE,
                          "sdiag's own job counts since its last reset (reset at midnight; see "
                          "the _total counters for rates).");
            for (int i = 0; i < 5; i++) {
                if (!has(m, jf[i]))
                    continue;
                struct label l[1] = {{"event", je[i]}};
                render_sample(r, l, 1, (double)m->v[jf[i]]);
            }
        }
    }
    EMIT(job_state_fams);

    /* ---- main scheduler ---- */
    EMIT(main_fams);
    if (m->counted && m->main_exit_have) {
        render_family(r, "slurm_scheduler_exits", M_COUNTER,
                      "Main scheduling cycles by why they ended (Slurm 23.11+).");
        exits(r, m->main_exit_total, m->main_exit_have, sdiag_main_exit_labels, SDX_MAIN_COUNT);
    }

    /* ---- backfill ---- */
    EMIT(backfill_fams);
    if (m->counted && m->bf_exit_have) {
        render_family(r, "slurm_scheduler_backfill_exits", M_COUNTER,
                      "Backfill cycles by why they ended (Slurm 23.11+).");
        exits(r, m->bf_exit_total, m->bf_exit_have, sdiag_bf_exit_labels, SDX_BF_COUNT);
    }

    /* ---- RPCs ---- */
    uint64_t dropped = m->rpc_dropped;
    size_t lim = v->series_limit;
    if (m->counted && m->have_types) {
        size_t n = limited(m->n_type_totals, lim, &dropped);
        bool any_dropped = false;
        for (size_t i = 0; i < n; i++)
            any_dropped |= m->type_totals[i].has_dropped;
        render_family(r, "slurm_rpc_type_calls", M_COUNTER,
                      "RPCs slurmctld received by message type, counted by the exporter across "
                      "resets.");
        rpc_totals(r, m, m->type_totals, n, "type", 0);
        render_family(r, "slurm_rpc_type_time_seconds", M_COUNTER,
                      "Time slurmctld spent on RPCs by message type, counted by the exporter "
                      "across resets.");
        rpc_totals(r, m, m->type_totals, n, "type", 1);
        if (any_dropped) {
            render_family(r, "slurm_rpc_type_dropped", M_COUNTER,
                          "RPCs dropped by slurmctld's RPC queue by message type (Slurm 24.05+ "
                          "with the RPC queue).");
            rpc_totals(r, m, m->type_totals, n, "type", 2);
        }
    }
    size_t nt = limited(m->n_types, lim, &(uint64_t){0});
    bool any_queue = false;
    for (size_t i = 0; i < nt; i++)
        any_queue |= m->types[i].have_queue;
    if (any_queue) {
        render_family(r, "slurm_rpc_type_queued", M_GAUGE,
                      "RPCs waiting in slurmctld's RPC queue by message type (Slurm 24.05+ with "
                      "the RPC queue).");
        for (size_t i = 0; i < nt; i++) {
            if (!m->types[i].have_queue)
                continue;
            struct label l[1] = {{"type", strtab_get(&m->strs, m->types[i].name)}};
            render_sample(r, l, 1, (double)m->types[i].queued);
        }
    }
    if (m->counted && m->have_users) {
        size_t n = limited(m->n_user_totals, lim, &dropped);
        render_family(r, "slurm_rpc_user_calls", M_COUNTER,
                      "RPCs slurmctld received by user, counted by the exporter across resets.");
        rpc_totals(r, m, m->user_totals, n, "user", 0);
        render_family(r, "slurm_rpc_user_time_seconds", M_COUNTER,
                      "Time slurmctld spent on RPCs by user, counted by the exporter across "
                      "resets.");
        rpc_totals(r, m, m->user_totals, n, "user", 1);
    }
    if (m->have_pending) {
        size_t n = limited(m->n_pending, lim, &dropped);
        render_family(r, "slurm_rpc_pending", M_GAUGE,
                      "RPCs waiting to be processed by message type.");
        for (size_t i = 0; i < n; i++) {
            struct label l[1] = {{"type", strtab_get(&m->strs, m->pending[i].name)}};
            render_sample(r, l, 1, (double)m->pending[i].count);
        }
    }
    o->series_dropped += dropped;

    if (v->compat & COMPAT_VPENSO)
        compat_vpenso(r, m);
    if (v->compat & COMPAT_RIVOSINC)
        compat_rivosinc(r, m, nt, limited(m->n_users, lim, &(uint64_t){0}));
}
