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
#include "model/accounting.h"
#include "sources/cli.h"
#include "sources/sacct_fields.h" /* CLI_SACCT_FORMAT, SA_* field indices */
#include "util/log.h"

/* The final states: with --state and a window, slurmdbd selects the jobs
 * that ENDED in the window in one of these states (start and end included). */
#define CLI_SACCT_STATES "CA,CD,DL,F,NF,OOM,PR,TO,BF"

struct sacct_parser {
    struct acct_model *m;
    struct arena *a;
    struct parse_stats st;
    bool in_job; /* the last record may take step lines */
    bool users;  /* the lines end with the User field (--accounting.users) */
};
/* users: the output is of the --format=CLI_SACCT_FORMAT_USERS command. */
void cli_sacct_init(struct sacct_parser *p, struct acct_model *m, struct arena *a, bool users);
void cli_sacct_line(void *p, const char *line, size_t len);
/* Parses a sacct time field ("05:03.123", "1:02:03", "2-01:02:03") into seconds. */
int cli_sacct_cputime(const char *s, size_t n, double *secs);

/* ---- process-lifetime state ------------------------------------------- */

struct acct_seen {
    uint32_t job_id;
    int64_t end;     /* 0 = empty slot */
    double cpu_used; /* TotalCPU when counted; NaN: not known (restored) */
};
/* One group's cumulative figures: per (partition, account), and with
 * --accounting.users per (partition, account, user); user is ACCT_NO_USER
 * in the first table. */
struct acct_sgroup {
    uint32_t partition, account, user; /* ids in the state's name table */
    struct acct_sums s;
};
/* Groups found by their names: open addressing over the index. */
struct acct_gtable {
    struct acct_sgroup *v;
    size_t n, cap;
    uint32_t *slots; /* group index + 1 */
    size_t nslots;
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

struct acct_az_state; /* --compat=azure: acct_azure.c */

struct acct_state {
    int64_t floor;     /* counting starts here (0 = at the first window) */
    int64_t watermark; /* end of the last window read (0 = none yet) */
    int64_t since;     /* --accounting.since, epoch (0 = none) */
    int64_t overlap;   /* seconds each window reaches back before the last one's end */
    int64_t settle;    /* a job is counted once it ended this long ago */
    int64_t max_window;
    int64_t pend_start, pend_end; /* the window of the fetch in flight (0 = none) */
    int64_t pend_until;           /* its jobs ending after this are not settled yet */
    double pend_at;               /* when it was asked for (monotonic) */
    bool no_overlap;              /* the last window's edge did not fit in the seen set */
    bool restored;                /* loaded from the state file */
    /* Active-only HA: the exporter (its controller's name) that writes the
     * state file, set by the caller before the first save; "" = none. The
     * file records it ("owner" line); file_owner is that line of the last
     * file read ("" when it had none: versions 1 to 3). */
    char owner[MAX_LABEL_LEN + 1];
    char file_owner[MAX_LABEL_LEN + 1];
    const char *path; /* --accounting.state-file, NULL = none */
    char *path_owned; /* path when made here (one file per cluster) */
    size_t limit;     /* label sets (groups, partitions) at most */
    /* jobs counted whose end may fall in the next window */
    struct acct_seen *seen;
    size_t seen_n, seen_cap; /* cap: power of two, 0 = empty */
    /* names and cumulative figures */
    struct arena arena;
    struct strtab names;
    struct acct_gtable groups;  /* per partition and account */
    bool users;                 /* --accounting.users */
    struct acct_gtable ugroups; /* per partition, account and user (with users) */
    struct acct_spart *parts;
    size_t nparts, parts_cap;
    struct acct_totals tot;
    struct log_limit lim; /* for save failures */
    /* --compat=azure: the finished jobs Azure's cumulative counts need, NULL
     * without it; made after the state file is read, never saved in it */
    struct acct_az_state *az;
};

struct acct_state *acct_state_new(const struct config *cfg);
void acct_state_free(struct acct_state *S);
/* The window the next fetch reads, as of now (epoch seconds): [*start, *end],
 * both included. Remembers it for the commit. */
void acct_window(struct acct_state *S, int64_t now, double mono_now, int64_t *start, int64_t *end);
/* Folds a parsed window into the state (each job once) and copies the
 * totals into the model. */
void acct_commit(struct acct_state *S, struct acct_model *m, struct arena *a);
/* Shared by the state (acct_state.c) and its file (acct_statefile.c). */
void acct_state_init(struct acct_state *S, const struct config *cfg);
void acct_state_clear(struct acct_state *S);
int acct_seen_add(struct acct_state *S, uint32_t id, int64_t end, double cpu_used);
struct acct_sgroup *acct_group_find(const struct acct_gtable *t, uint32_t p, uint32_t a,
                                    uint32_t u);
/* The group of these names in t (un NULL: no user), created unless t holds
 * S->limit groups already (NULL then). */
struct acct_sgroup *acct_group_get(struct acct_state *S, struct acct_gtable *t, const char *pn,
                                   const char *an, const char *un);
struct acct_spart *acct_part_get(struct acct_state *S, uint32_t p);
/* State file: text, versioned, written atomically (temporary file and
 * rename). Loading a bad file fails with a reason and leaves S as it was. */
int acct_state_save(const struct acct_state *S, const char *path, char *err, size_t errlen);
int acct_state_load(struct acct_state *S, const char *path, char *err, size_t errlen);
int acct_state_parse(struct acct_state *S, const char *buf, size_t len, char *err, size_t errlen);
/* The file's contents (for tests): a malloc'ed string. */
char *acct_state_dump(const struct acct_state *S, size_t *len);

/* ---- active-only HA: several exporters, one state file ------------------
 * Each exporter keeps its own counters (in memory); the sacct window (its
 * position and the jobs remembered for its overlap) passes from one active
 * exporter to the next through the shared state file, so that the jobs
 * each finished job is counted by exactly one of them. */

/* Takes the window of the state file at path, written by whichever exporter
 * was active: the window's end (watermark), its overlap flag, and the jobs
 * it remembered near that end (added to S's own, then pruned to the next
 * window's reach); the floor when S has none yet or a later one. S's
 * counters, totals and name tables are left alone. Returns 1 when the window
 * was taken, 0 when there is nothing to resume (no file: -ENOENT is not an
 * error; or the file's window ends before S's own, which S keeps), or a
 * negative errno with the reason in err (a bad file; S unchanged). */
int acct_state_resume_window(struct acct_state *S, const char *path, char *err, size_t errlen);

/* At start in HA mode, after acct_state_new (which restores the whole state
 * from the file when there is one): sets S->owner to owner and keeps the
 * restored counters only when the file's owner is this exporter; otherwise
 * the counters, totals and histograms start at 0 and only the window (and
 * its remembered jobs) is kept, as acct_state_resume_window would take it.
 * A file without an owner line (versions 1 to 3) counts as another's.
 * Returns 1 when the counters were kept, 0 when they were not (or nothing
 * was restored). */
int acct_state_ha_start(struct acct_state *S, const char *owner);

/* ---- --compat=azure: the finished jobs of Azure's window (acct_azure.c) ----
 * The store keeps each finished-job record (job id, end, eligible time,
 * state, partition) whose end time can still fall in the window of Azure's
 * `sacct -S <reset> -E now`; each refresh's model gets a copy (struct
 * acct_az). The records come from the accounting dataset's own windows:
 * the stream starts at the reset time when that is earlier than the
 * accounting collector's start, and after a restored state file the
 * window's history is read first ("backfill" windows, which leave the
 * collector's counters alone). */

/* Records kept at most; past this the oldest are folded into counts (a
 * fixed reset time: they never leave the window) or dropped (a sliding
 * window), and counted in acct_az.dropped. */
#define ACCT_AZ_MAX_JOBS (1u << 18)

/* NULL without --compat=azure. */
struct acct_az_state *acct_az_new(const struct config *cfg);
void acct_az_free(struct acct_az_state *A);
/* At the first window (now): fixes the window's start, and when the stream
 * continues a restored position (next: its next window's start, 0 for a
 * fresh start) that begins after it, the history before `next` is read by
 * backfill windows. Returns the earliest start the stream itself must
 * read from (INT64_MAX when the backfill covers it). */
int64_t acct_az_start(struct acct_az_state *A, int64_t now, int64_t next);
/* The window the next fetch reads (at `now`): a backfill window when one is
 * due ([*start, *end] replaced, at most max_window long), else the stream's
 * own, which reaches `now` when caught up. */
void acct_az_window(struct acct_az_state *A, int64_t now, int64_t max_window, int64_t *start,
                    int64_t *end);
/* Takes the window's records ([ws, we]; we 0: tests, the records are the
 * window). Returns true when it was a backfill window, which the
 * accounting counters must not see. */
bool acct_az_commit(struct acct_az_state *A, const struct acct_model *m, int64_t ws, int64_t we);
/* Copies the store into the refresh's model (m->az). */
void acct_az_snapshot(const struct acct_az_state *A, struct acct_model *m, struct arena *a);
/* Tests: a smaller cap. */
void acct_az_set_cap(struct acct_az_state *A, size_t cap);

#endif
