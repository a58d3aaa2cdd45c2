/* SPDX-License-Identifier: Apache-2.0 */
/* The CLI source: the exact commands the exporter runs and the pure parsers
 * for their output. Parsers take one line at a time (so output streams from
 * the pipe without being held whole) and never fail the dataset for one bad
 * line: the line is skipped and counted. */
#ifndef SE_CLI_H
#define SE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "sources/squeue_fields.h" /* CLI_SQUEUE_FORMAT, SQ_* field indices */

struct parse_stats {
    uint64_t lines;
    uint64_t errors;
    uint64_t last_error_line; /* a line counts once however many problems it has */
    char first_error[160];    /* the first bad line's problem, for the log */
};

struct jobs_parser {
    struct jobs_model *m;
    struct arena *a;
    struct parse_stats st;
};
void cli_jobs_init(struct jobs_parser *p, struct jobs_model *m, struct arena *a);
/* Pre-sizes the job array (malloc'ed and owned by the arena: arena_free
 * frees it). */
void cli_jobs_reserve(struct jobs_parser *p, size_t n);
void cli_jobs_line(void *p, const char *line, size_t len);
/* Called after the last line: splits multi-partition strings. */
void cli_jobs_finish(struct jobs_parser *p);
/* Folds squeue's Reason text into a short code: "ReqNodeNotAvail,
 * UnavailableNodes:cn1" -> "ReqNodeNotAvail"; Slurm's long description for
 * WAIT_RESOURCES -> "Resources"; anything not code-like -> "Other". */
size_t cli_fold_reason(const char *s, size_t n, const char **out);
/* GPUs in a per-node/per-job/per-task request ("gres:gpu:a100:2",
 * "gres/gpu:a100=2", "gpu:4"); 0 when none. */
/* Reads cpu=, mem= (bytes) and the GPUs (gres/gpu=, else the sum of the typed
 * gres/gpu:TYPE=) out of a TRES string (squeue tres-alloc, sacct AllocTRES).
 * cpus and mem keep their values when the string has none; gpus is 0 then.
 * -1 on an unreadable value. */
int cli_parse_tres(const char *s, size_t n, uint32_t *cpus, uint64_t *mem, uint32_t *gpus);
uint64_t cli_request_gpus(const char *s, size_t n);

struct nodes_parser {
    struct nodes_model *m;
    struct arena *a;
    struct parse_stats st;
    /* Partitions= string id -> part_lists index, to share lists. */
    struct strtab part_strs;
    uint32_t *part_map;
    uint32_t part_map_cap;
    /* The same for ActiveFeatures= strings -> feat_lists index. */
    struct strtab feat_strs;
    uint32_t *feat_map;
    uint32_t feat_map_cap;
};
void cli_nodes_init(struct nodes_parser *p, struct nodes_model *m, struct arena *a);
void cli_nodes_line(void *p, const char *line, size_t len);
void cli_nodes_finish(struct nodes_parser *p);
/* Parses "gpu:a100:4(S:0-1),mps:100" into gres entries (total or used). */
int cli_parse_gres(struct nodes_model *m, const char *s, size_t n, int used, uint32_t first,
                   uint32_t *count);
/* Derives the exclusive node state from base + flags + allocation. */
uint8_t node_derive_state(uint8_t base, uint32_t flags, uint32_t cpus_alloc);
/* Parses "MIXED+DRAIN", "IDLE*+POWERED_DOWN", ... Returns -1 when the base is unknown. */
int cli_parse_node_state(const char *s, size_t n, uint8_t *base, uint32_t *flags);

struct partitions_parser {
    struct partitions_model *m;
    struct arena *a;
    struct parse_stats st;
};
void cli_partitions_init(struct partitions_parser *p, struct partitions_model *m, struct arena *a);
void cli_partitions_line(void *p, const char *line, size_t len);

/* Feeds a whole buffer line by line, split as exec_run splits a command's
 * output (fuzzers and parser unit tests; a dataset is fed whole through
 * source_run, as the poller feeds it). */
typedef void (*cli_line_fn)(void *p, const char *line, size_t len);
void cli_feed(cli_line_fn fn, void *p, const char *buf, size_t len);

void parse_error(struct parse_stats *st, const char *what, const char *line, size_t len);

#endif
