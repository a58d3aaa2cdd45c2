/* SPDX-License-Identifier: Apache-2.0 */
/* Scheduler collector: slurmctld's statistics from sdiag. Gauges are sdiag's
 * current values in base units (microseconds become seconds); what Slurm
 * counts since its last reset is served as the exporter's own monotonic
 * counters (see sdiag_commit and docs/metrics.md), so rate() never sees
 * Slurm's midnight reset. A value sdiag did not print gives no series. With
 * --compat the names of two other exporters are written too. */
#include "collectors/collector.h"
#include "sources/sdiag.h"

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
    if (has(m, SD_AGENT_QUEUE)) {
        render_family(r, "slurm_scheduler_queue_size", M_GAUGE,
                      "Compat (vpenso): sdiag Agent queue size.");
        val(r, m, SD_AGENT_QUEUE, 1);
    }
    if (has(m, SD_DBD_QUEUE)) {
        render_family(r, "slurm_scheduler_dbd_queue_size", M_GAUGE,
                      "Compat (vpenso): sdiag DBD Agent queue size.");
        val(r, m, SD_DBD_QUEUE, 1);
    }
    if (has(m, SD_MAIN_LAST)) {
        render_family(r, "slurm_scheduler_last_cycle", M_GAUGE,
                      "Compat (vpenso): main scheduler last cycle in microseconds.");
        val(r, m, SD_MAIN_LAST, 1);
    }
    if (has(m, SD_MAIN_MEAN)) {
        render_family(r, "slurm_scheduler_mean_cycle", M_GAUGE,
                      "Compat (vpenso): main scheduler mean cycle in microseconds.");
        val(r, m, SD_MAIN_MEAN, 1);
    }
    if (has(m, SD_MAIN_PER_MINUTE)) {
        render_family(r, "slurm_scheduler_cycle_per_minute", M_GAUGE,
                      "Compat (vpenso): main scheduler cycles per minute.");
        val(r, m, SD_MAIN_PER_MINUTE, 1);
    }
    if (has(m, SD_BF_LAST)) {
        render_family(r, "slurm_scheduler_backfill_last_cycle", M_GAUGE,
                      "Compat (vpenso): backfill last cycle in microseconds.");
        val(r, m, SD_BF_LAST, 1);
    }
    if (has(m, SD_BF_MEAN)) {
        render_family(r, "slurm_scheduler_backfill_mean_cycle", M_GAUGE,
                      "Compat (vpenso): backfill mean cycle in microseconds.");
        val(r, m, SD_BF_MEAN, 1);
    }
    if (has(m, SD_BF_JOBS_SINCE_START)) {
        render_family(r, "slurm_scheduler_backfilled_jobs_since_start_total", M_GAUGE,
                      "Compat (vpenso, a gauge): jobs backfilled since slurmctld started.");
        val(r, m, SD_BF_JOBS_SINCE_START, 1);
    }
    if (has(m, SD_BF_JOBS)) {
        render_family(r, "slurm_scheduler_backfilled_jobs_since_cycle_total", M_GAUGE,
                      "Compat (vpenso, a gauge): jobs backfilled since the last statistics "
                      "reset.");
        val(r, m, SD_BF_JOBS, 1);
    }
    if (has(m, SD_BF_HET)) {
        render_family(r, "slurm_scheduler_backfilled_heterogeneous_total", M_GAUGE,
                      "Compat (vpenso, a gauge): heterogeneous job components backfilled since "
                      "the last statistics reset.");
        val(r, m, SD_BF_HET, 1);
    }
}

static void compat_rivosinc(struct render *r, const struct sdiag_model *m, size_t nt, size_t nu)
{
    if (has(m, SD_SERVER_THREADS)) {
        render_family(r, "slurm_daemon_thread_count", M_GAUGE,
                      "Compat (rivosinc): slurmctld server thread count.");
        val(r, m, SD_SERVER_THREADS, 1);
    }
    if (has(m, SD_DBD_QUEUE)) {
        render_family(r, "slurm_dbd_agent_queue_size", M_GAUGE,
                      "Compat (rivosinc): DBD agent queue size.");
        val(r, m, SD_DBD_QUEUE, 1);
    }
    if (has(m, SD_BF_JOBS_SINCE_START)) {
        render_family(r, "slurm_backfill_job_count", M_GAUGE,
                      "Compat (rivosinc): jobs backfilled since slurmctld started.");
        val(r, m, SD_BF_JOBS_SINCE_START, 1);
    }
    /* Slurm's sum of backfill cycle times: sdiag prints only the mean (sum /
     * cycles, rounded down), so this is mean x cycles. */
    if (has(m, SD_BF_CYCLES) && (has(m, SD_BF_MEAN) || m->v[SD_BF_CYCLES] == 0)) {
        render_family(r, "slurm_backfill_cycle_count", M_GAUGE,
                      "Compat (rivosinc): total backfill cycle time in microseconds since the "
                      "last reset (mean cycle x cycles).");
        render_sample(r, NULL, 0,
                      has(m, SD_BF_MEAN) ? (double)m->v[SD_BF_MEAN] * (double)m->v[SD_BF_CYCLES]
                                         : 0);
    }
    if (has(m, SD_BF_CYCLES)) {
        render_family(r, "slurm_backfill_cycle_counter", M_GAUGE,
                      "Compat (rivosinc): backfill cycles since the last reset.");
        val(r, m, SD_BF_CYCLES, 1);
    }
    if (has(m, SD_BF_LAST_DEPTH)) {
        render_family(r, "slurm_backfill_last_depth", M_GAUGE,
                      "Compat (rivosinc): jobs processed in the last backfill cycle.");
        val(r, m, SD_BF_LAST_DEPTH, 1);
    }
    if (has(m, SD_BF_LAST_DEPTH_TRY)) {
        render_family(r, "slurm_backfill_last_depth_try_sched", M_GAUGE,
                      "Compat (rivosinc): jobs with a chance to start processed in the last "
                      "backfill cycle.");
        val(r, m, SD_BF_LAST_DEPTH_TRY, 1);
    }
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
    const struct dataset_result *ds = v->ds[DS_SCHEDULER];
    if (!ds || !ds->model)
        return;
    const struct sdiag_model *m = ds->model;

    /* ---- slurmctld ---- */
    if (has(m, SD_SERVER_THREADS)) {
        render_family(r, "slurm_scheduler_threads", M_GAUGE,
                      "slurmctld server threads (sdiag Server thread count).");
        val(r, m, SD_SERVER_THREADS, 1);
    }
    if (has(m, SD_RPC_QUEUE_ENABLED)) {
        render_family(r, "slurm_scheduler_rpc_queue_enabled", M_GAUGE,
                      "1 when slurmctld queues RPCs per type (Slurm 24.05+).");
        val(r, m, SD_RPC_QUEUE_ENABLED, 1);
    }
    if (has(m, SD_AGENT_QUEUE)) {
        render_family(r, "slurm_scheduler_agent_queue_size", M_GAUGE,
                      "Outgoing RPCs waiting for an agent (sdiag Agent queue size).");
        val(r, m, SD_AGENT_QUEUE, 1);
    }
    if (has(m, SD_AGENTS)) {
        render_family(r, "slurm_scheduler_agents", M_GAUGE, "Agents running (sdiag Agent count).");
        val(r, m, SD_AGENTS, 1);
    }
    if (has(m, SD_AGENT_THREADS)) {
        render_family(r, "slurm_scheduler_agent_threads", M_GAUGE,
                      "Threads of the running agents (sdiag Agent thread count).");
        val(r, m, SD_AGENT_THREADS, 1);
    }
    if (has(m, SD_DBD_QUEUE)) {
        render_family(r, "slurm_scheduler_dbd_agent_queue_size", M_GAUGE,
                      "Messages waiting to be sent to slurmdbd (sdiag DBD Agent queue size).");
        val(r, m, SD_DBD_QUEUE, 1);
    }
    if (has(m, SD_LATENCY)) {
        render_family(r, "slurm_scheduler_gettimeofday_latency_seconds", M_GAUGE,
                      "Time slurmctld took for 1000 calls to gettimeofday().");
        val(r, m, SD_LATENCY, US);
    }
    if (has(m, SD_REQ_TIME)) {
        render_family(r, "slurm_scheduler_stats_timestamp_seconds", M_GAUGE,
                      "slurmctld's clock when it answered (sdiag output at).");
        val(r, m, SD_REQ_TIME, 1);
    }
    if (has(m, SD_DATA_SINCE)) {
        render_family(r, "slurm_scheduler_stats_reset_timestamp_seconds", M_GAUGE,
                      "Last reset of slurmctld's statistics: midnight, sdiag --reset or a restart "
                      "(sdiag Data since).");
        val(r, m, SD_DATA_SINCE, 1);
    }

    /* ---- jobs ---- */
    if (has_ctr(m, SDC_JOBS_SUBMITTED)) {
        render_family(r, "slurm_scheduler_jobs_submitted", M_COUNTER,
                      "Jobs submitted, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_JOBS_SUBMITTED);
    }
    if (has_ctr(m, SDC_JOBS_STARTED)) {
        render_family(r, "slurm_scheduler_jobs_started", M_COUNTER,
                      "Jobs started, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_JOBS_STARTED);
    }
    if (has_ctr(m, SDC_JOBS_COMPLETED)) {
        render_family(r, "slurm_scheduler_jobs_completed", M_COUNTER,
                      "Jobs completed, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_JOBS_COMPLETED);
    }
    if (has_ctr(m, SDC_JOBS_CANCELED)) {
        render_family(r, "slurm_scheduler_jobs_canceled", M_COUNTER,
                      "Jobs canceled, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_JOBS_CANCELED);
    }
    if (has_ctr(m, SDC_JOBS_FAILED)) {
        render_family(r, "slurm_scheduler_jobs_failed", M_COUNTER,
                      "Jobs failed, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_JOBS_FAILED);
    }
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
    if (has(m, SD_JOBS_PENDING)) {
        render_family(r, "slurm_scheduler_jobs_pending", M_GAUGE,
                      "Pending jobs as slurmctld last counted them (at the job states "
                      "timestamp).");
        val(r, m, SD_JOBS_PENDING, 1);
    }
    if (has(m, SD_JOBS_RUNNING)) {
        render_family(r, "slurm_scheduler_jobs_running", M_GAUGE,
                      "Running jobs as slurmctld last counted them (at the job states "
                      "timestamp).");
        val(r, m, SD_JOBS_RUNNING, 1);
    }
    if (has(m, SD_JOB_STATES_TS)) {
        render_family(r, "slurm_scheduler_job_states_timestamp_seconds", M_GAUGE,
                      "When slurmctld last counted pending and running jobs (sdiag Job states "
                      "ts).");
        val(r, m, SD_JOB_STATES_TS, 1);
    }

    /* ---- main scheduler ---- */
    if (has(m, SD_MAIN_LAST)) {
        render_family(r, "slurm_scheduler_cycle_last_seconds", M_GAUGE,
                      "Duration of the last main scheduling cycle.");
        val(r, m, SD_MAIN_LAST, US);
    }
    if (has(m, SD_MAIN_MAX)) {
        render_family(r, "slurm_scheduler_cycle_max_seconds", M_GAUGE,
                      "Longest main scheduling cycle since the last reset.");
        val(r, m, SD_MAIN_MAX, US);
    }
    if (has(m, SD_MAIN_MEAN)) {
        render_family(r, "slurm_scheduler_cycle_mean_seconds", M_GAUGE,
                      "Mean main scheduling cycle since the last reset (absent before the "
                      "first cycle).");
        val(r, m, SD_MAIN_MEAN, US);
    }
    if (has_ctr(m, SDC_MAIN_CYCLES)) {
        render_family(r, "slurm_scheduler_cycles", M_COUNTER,
                      "Main scheduling cycles, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_MAIN_CYCLES);
    }
    if (has(m, SD_MAIN_PER_MINUTE)) {
        render_family(r, "slurm_scheduler_cycles_per_minute", M_GAUGE,
                      "Main scheduling cycles per minute since the last reset (absent in the "
                      "first minute after it).");
        val(r, m, SD_MAIN_PER_MINUTE, 1);
    }
    if (has(m, SD_MAIN_MEAN_DEPTH)) {
        render_family(r, "slurm_scheduler_depth_mean", M_GAUGE,
                      "Mean number of jobs the main scheduler looked at per cycle since the last "
                      "reset.");
        val(r, m, SD_MAIN_MEAN_DEPTH, 1);
    }
    if (has(m, SD_MAIN_QUEUE_LEN)) {
        render_family(r, "slurm_scheduler_queue_length", M_GAUGE,
                      "Jobs in the main scheduler's queue at its last cycle.");
        val(r, m, SD_MAIN_QUEUE_LEN, 1);
    }
    if (m->counted && m->main_exit_have) {
        render_family(r, "slurm_scheduler_exits", M_COUNTER,
                      "Main scheduling cycles by why they ended (Slurm 23.11+).");
        exits(r, m->main_exit_total, m->main_exit_have, sdiag_main_exit_labels, SDX_MAIN_COUNT);
    }

    /* ---- backfill ---- */
    if (has(m, SD_BF_ACTIVE)) {
        render_family(r, "slurm_scheduler_backfill_active", M_GAUGE,
                      "1 when the statistics were taken in the middle of a backfill cycle.");
        val(r, m, SD_BF_ACTIVE, 1);
    }
    if (has_ctr(m, SDC_BF_JOBS)) {
        render_family(r, "slurm_scheduler_backfilled_jobs", M_COUNTER,
                      "Jobs started by the backfill scheduler, counted by the exporter across "
                      "Slurm's resets.");
        total(r, m, SDC_BF_JOBS);
    }
    if (has_ctr(m, SDC_BF_HET)) {
        render_family(r, "slurm_scheduler_backfilled_heterogeneous_jobs", M_COUNTER,
                      "Heterogeneous job components started by the backfill scheduler, counted "
                      "by the exporter across Slurm's resets.");
        total(r, m, SDC_BF_HET);
    }
    if (has_ctr(m, SDC_BF_CYCLES)) {
        render_family(r, "slurm_scheduler_backfill_cycles", M_COUNTER,
                      "Backfill cycles, counted by the exporter across Slurm's resets.");
        total(r, m, SDC_BF_CYCLES);
    }
    if (has(m, SD_BF_LAST_WHEN)) {
        render_family(r, "slurm_scheduler_backfill_last_cycle_timestamp_seconds", M_GAUGE,
                      "When the last backfill cycle ran (absent before the first).");
        val(r, m, SD_BF_LAST_WHEN, 1);
    }
    if (has(m, SD_BF_LAST)) {
        render_family(r, "slurm_scheduler_backfill_cycle_last_seconds", M_GAUGE,
                      "Duration of the last backfill cycle.");
        val(r, m, SD_BF_LAST, US);
    }
    if (has(m, SD_BF_MAX)) {
        render_family(r, "slurm_scheduler_backfill_cycle_max_seconds", M_GAUGE,
                      "Longest backfill cycle since the last reset.");
        val(r, m, SD_BF_MAX, US);
    }
    if (has(m, SD_BF_MEAN)) {
        render_family(r, "slurm_scheduler_backfill_cycle_mean_seconds", M_GAUGE,
                      "Mean backfill cycle since the last reset (absent before the first "
                      "cycle).");
        val(r, m, SD_BF_MEAN, US);
    }
    if (has(m, SD_BF_LAST_DEPTH)) {
        render_family(r, "slurm_scheduler_backfill_last_depth", M_GAUGE,
                      "Jobs the last backfill cycle looked at.");
        val(r, m, SD_BF_LAST_DEPTH, 1);
    }
    if (has(m, SD_BF_LAST_DEPTH_TRY)) {
        render_family(r, "slurm_scheduler_backfill_last_depth_try", M_GAUGE,
                      "Jobs the last backfill cycle tried to schedule (those with a chance to "
                      "start).");
        val(r, m, SD_BF_LAST_DEPTH_TRY, 1);
    }
    if (has(m, SD_BF_DEPTH_MEAN)) {
        render_family(r, "slurm_scheduler_backfill_depth_mean", M_GAUGE,
                      "Mean jobs looked at per backfill cycle since the last reset.");
        val(r, m, SD_BF_DEPTH_MEAN, 1);
    }
    if (has(m, SD_BF_DEPTH_MEAN_TRY)) {
        render_family(r, "slurm_scheduler_backfill_depth_try_mean", M_GAUGE,
                      "Mean jobs tried per backfill cycle since the last reset.");
        val(r, m, SD_BF_DEPTH_MEAN_TRY, 1);
    }
    if (has(m, SD_BF_QUEUE_LEN)) {
        render_family(r, "slurm_scheduler_backfill_queue_length", M_GAUGE,
                      "Jobs in the backfill queue at the last cycle.");
        val(r, m, SD_BF_QUEUE_LEN, 1);
    }
    if (has(m, SD_BF_QUEUE_LEN_MEAN)) {
        render_family(r, "slurm_scheduler_backfill_queue_length_mean", M_GAUGE,
                      "Mean backfill queue length since the last reset.");
        val(r, m, SD_BF_QUEUE_LEN_MEAN, 1);
    }
    if (has(m, SD_BF_TABLE_SIZE)) {
        render_family(r, "slurm_scheduler_backfill_table_size", M_GAUGE,
                      "Size of the backfill time table at the last cycle.");
        val(r, m, SD_BF_TABLE_SIZE, 1);
    }
    if (has(m, SD_BF_TABLE_SIZE_MEAN)) {
        render_family(r, "slurm_scheduler_backfill_table_size_mean", M_GAUGE,
                      "Mean backfill time table size since the last reset.");
        val(r, m, SD_BF_TABLE_SIZE_MEAN, 1);
    }
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
