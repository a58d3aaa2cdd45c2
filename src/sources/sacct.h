/* SPDX-License-Identifier: Apache-2.0 */
/* The accounting dataset: finished jobs read from slurmdbd with sacct, one
 * time window (on the jobs' end time) per refresh, each finished job counted
 * once however long the exporter runs.
 *
 * The parser reads one window's records (allocation lines and their step
 * lines). The source's process-lifetime state (struct acct_state) holds the
 * window position, the jobs already counted near the window's edge, and the
 * cumulative counters and histograms; its commit folds a window's records
 * into it and copies the totals into the refresh's model, which the
 * accounting collector renders. The state can be saved to a file after each
 * refresh (--accounting.state-file) and restored at start. */
#ifndef SE_SACCT_H
#define SE_SACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model.h"
#include "sources/cli.h"
#include "sources/sacct_fields.h" /* CLI_SACCT_FORMAT, SA_* field indices */
#include "util/log.h"

/* The final states: with --state and a window, slurmdbd selects the jobs
 * that ENDED in the window in one of these states (start and end included). */
#define CLI_SACCT_STATES "CA,CD,DL,F,NF,OOM,PR,TO,BF"

/* Final job states, in the order of exposition. */
#define ACCT_STATES(X)                                                                             \
    X(COMPLETED, "completed")                                                                      \
    X(FAILED, "failed")                                                                            \
    X(TIMEOUT, "timeout")                                                                          \
    X(CANCELLED, "cancelled")                                                                      \
    X(OUT_OF_MEMORY, "out_of_memory")                                                              \
    X(NODE_FAIL, "node_fail")                                                                      \
    X(PREEMPTED, "preempted")                                                                      \
    X(BOOT_FAIL, "boot_fail")                                                                      \
    X(DEADLINE, "deadline")

enum acct_state_id {
#define X(e, s) ACCT_##e,
    ACCT_STATES(X)
#undef X
        ACCT_STATE_COUNT
};
extern const char *const acct_state_names[ACCT_STATE_COUNT];

/* One finished allocation of the window. */
struct acct_job {
    uint32_t job_id;             /* JobIDRaw: array tasks and het components have their own */
    uint8_t state;               /* enum acct_state_id */
    bool ran;                    /* it had an allocation (AllocTRES cpu=) and a start time */
    uint32_t partition, account; /* strtab ids */
    int64_t submit, eligible, start, end;
    int64_t elapsed;    /* ElapsedRaw: end - start - suspended */
    uint32_t cpus;      /* AllocTRES cpu= */
    uint64_t mem_alloc; /* AllocTRES mem= in bytes, 0 = unknown */
    double cpu_used;    /* TotalCPU (sum over the steps), seconds */
    double mem_used;    /* max over steps of MaxRSS x NTasks, bytes; -1 = unknown */
};

/* Histograms: queue wait, run time, CPU efficiency, memory efficiency. */
enum { ACCT_H_WAIT, ACCT_H_RUN, ACCT_H_CPU_EFF, ACCT_H_MEM_EFF, ACCT_HISTS };
#define ACCT_MAX_BUCKETS 16
extern const double *const acct_bounds[ACCT_HISTS];
extern const size_t acct_nbounds[ACCT_HISTS];
struct acct_hist {
    uint64_t counts[ACCT_MAX_BUCKETS + 1]; /* non-cumulative; [nbounds] = +Inf */
    uint64_t count;
    double sum;
};

struct acct_group { /* per partition and account */
    uint32_t partition, account;
    uint64_t jobs[ACCT_STATE_COUNT];
    double cpu_used, cpu_alloc; /* CPU-seconds */
};
struct acct_part {
    uint32_t partition;
    struct acct_hist h[ACCT_HISTS];
};

struct acct_totals {
    uint64_t counted;    /* finished jobs counted */
    uint64_t duplicates; /* records read again in an overlapping window, not counted again */
    uint64_t late;       /* counted jobs that ended before the previous window's end */
    uint64_t dropped;    /* finished jobs not counted: series limit */
};

struct acct_model {
    struct strtab strs;
    /* this refresh's records (malloc'ed; freed with the result) */
    struct acct_job *jobs;
    size_t n, cap;
    /* records left for a later window: no Partition yet (slurmdbd created the
     * record from the completion message before the job's start message) */
    size_t incomplete;
    /* cumulative, copied from the state by the commit (in the arena) */
    bool committed;
    struct acct_group *groups; /* by partition, then account name */
    size_t ngroups;
    struct acct_part *parts; /* by partition name */
    size_t nparts;
    struct acct_totals tot;
    int64_t floor;        /* jobs ending before this are not counted */
    int64_t window_start; /* the window just read */
    int64_t window_end;
    size_t seen; /* jobs remembered for the next overlapping window */
};

struct sacct_parser {
    struct acct_model *m;
    struct arena *a;
    struct parse_stats st;
    bool in_job; /* the last record may take step lines */
};
void cli_sacct_init(struct sacct_parser *p, struct acct_model *m, struct arena *a);
void cli_sacct_line(void *p, const char *line, size_t len);
/* Parses a sacct time field ("05:03.123", "1:02:03", "2-01:02:03") into seconds. */
int cli_sacct_cputime(const char *s, size_t n, double *secs);

/* ---- process-lifetime state ------------------------------------------- */

struct acct_seen {
    uint32_t job_id;
    int64_t end; /* 0 = empty slot */
};
struct acct_sgroup {
    uint32_t partition, account; /* ids in the state's name table */
    uint64_t jobs[ACCT_STATE_COUNT];
    double cpu_used, cpu_alloc;
};
struct acct_spart {
    uint32_t partition;
    struct acct_hist h[ACCT_HISTS];
};

/* Jobs remembered for the overlap at most; past that the next window does
 * not overlap (a late record may then be missed, none is counted twice). */
#define ACCT_SEEN_MAX (1u << 18)
/* The largest window one refresh reads (catching up runs one per refresh);
 * halved after a failed refresh (output too big, timeout), doubled back
 * after a good one. */
#define ACCT_MAX_WINDOW 86400
#define ACCT_MIN_WINDOW 60

struct acct_state {
    int64_t floor;     /* counting starts here (0 = at the first window) */
    int64_t watermark; /* end of the last window read (0 = none yet) */
    int64_t since;     /* --accounting.since, epoch (0 = none) */
    int64_t overlap;   /* seconds each window reaches back before the last one's end */
    int64_t max_window;
    int64_t pend_start, pend_end; /* the window of the fetch in flight (0 = none) */
    double pend_at;               /* when it was asked for (monotonic) */
    bool no_overlap;              /* the last window's edge did not fit in the seen set */
    bool restored;                /* loaded from the state file */
    const char *path;             /* --accounting.state-file, NULL = none */
    char *path_owned;             /* path when made here (one file per cluster) */
    size_t limit;                 /* label sets (groups, partitions) at most */
    /* jobs counted whose end may fall in the next window */
    struct acct_seen *seen;
    size_t seen_n, seen_cap; /* cap: power of two, 0 = empty */
    /* names and cumulative figures */
    struct arena arena;
    struct strtab names;
    struct acct_sgroup *groups;
    size_t ngroups, groups_cap;
    uint32_t *gslots; /* group index + 1, open addressing */
    size_t gslots_n;
    struct acct_spart *parts;
    size_t nparts, parts_cap;
    struct acct_totals tot;
    struct log_limit lim; /* for save failures */
};

struct acct_state *acct_state_new(const struct config *cfg);
void acct_state_free(struct acct_state *S);
/* The window the next fetch reads, as of now (epoch seconds): [*start, *end],
 * both included. Remembers it for the commit. */
void acct_window(struct acct_state *S, int64_t now, double mono_now, int64_t *start, int64_t *end);
/* Folds a parsed window into the state (each job once) and copies the
 * totals into the model. */
void acct_commit(struct acct_state *S, struct acct_model *m, struct arena *a);
/* State file: text, versioned, written atomically (temporary file and
 * rename). Loading a bad file fails with a reason and leaves S as it was. */
int acct_state_save(const struct acct_state *S, const char *path, char *err, size_t errlen);
int acct_state_load(struct acct_state *S, const char *path, char *err, size_t errlen);
int acct_state_parse(struct acct_state *S, const char *buf, size_t len, char *err, size_t errlen);
/* The file's contents (for tests): a malloc'ed string. */
char *acct_state_dump(const struct acct_state *S, size_t *len);

#endif
