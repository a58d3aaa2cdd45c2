/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler dataset: slurmctld's statistics as `sdiag` prints them
 * (server threads, agent queues, job counters, main and backfill scheduler
 * cycles, RPCs by message type and by user), the pure line parser, and the
 * exporter's own monotonic counters kept across Slurm's statistics resets
 * (midnight, `sdiag --reset`, slurmctld restart). */
#ifndef SE_SDIAG_H
#define SE_SDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/scheduler.h"
#include "sources/cli.h"

struct sdiag_parser {
    struct sdiag_model *m;
    struct arena *a;
    struct parse_stats st;
    int section;
    bool saw_header;
};

/* m and everything it holds live in a. */
void sdiag_init(struct sdiag_parser *p, struct sdiag_model *m, struct arena *a);
void sdiag_line(void *p, const char *line, size_t len);
void sdiag_finish(struct sdiag_parser *p);

/* The process-lifetime counter state (one per cluster). */
struct sdiag_state;
struct buf;
struct sdiag_state *sdiag_state_new(void);
void sdiag_state_free(struct sdiag_state *s);
/* Updates the state from a parsed model and writes the totals into it
 * (arena allocations). Rules: the first output after the exporter starts
 * gives each total sdiag's value; then a counter adds the difference to the
 * previous output, or its whole new value when Slurm reset it ("Data since"
 * changed, or the value went down). RPC tables are not reset at midnight:
 * they count as reset when "Data since" changed and an entry went down or
 * vanished; a 32-bit call count that drops from its top quarter to its
 * bottom quarter without a reset wrapped. */
void sdiag_commit(struct sdiag_state *s, struct sdiag_model *m, struct arena *a);

/* The shared baseline (--slurm.active-only with --slurm.ha-state-dir): the
 * raw values the last exporter to poll saw, keyed by sdiag's "Data since",
 * which names one slurmctld's statistics. Before its commit an exporter takes
 * them as its previous values where they are newer than its own (same "Data
 * since"), so what one exporter counted another never counts again, whoever
 * answered whose sdiag; after it, it writes its own. The text:
 *   slurm_exporter-sdiag 1 SINCE
 *   c|m|b INDEX VALUE         a counter, a main or backfill exit count
 *   t|u =NAME COUNT TIME DROPPED
 *                             an RPC type or user entry (NAME with bytes
 *                             0x00-0x20, 0x7F and '%' as %XX)
 * sdiag_shared_apply returns the lines it could not read (skipped), or -1
 * for a bad first line or another SINCE (nothing taken). */
int sdiag_shared_apply(struct sdiag_state *s, const char *buf, size_t len, int64_t since);
void sdiag_shared_format(const struct sdiag_state *s, int64_t since, struct buf *out);
/* "Data since" of a parsed model (Unix time), -1 when it has none. */
int64_t sdiag_since(const struct sdiag_model *m);

#endif
