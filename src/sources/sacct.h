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
    int64_t end; /* 0 = empty slot */
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
    struct acct_gtable groups;  /* per partition and account */
    bool users;                 /* --accounting.users */
    struct acct_gtable ugroups; /* per partition, account and user (with users) */
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
/* Shared by the state (acct_state.c) and its file (acct_statefile.c). */
void acct_state_init(struct acct_state *S, const struct config *cfg);
void acct_state_clear(struct acct_state *S);
int acct_seen_add(struct acct_state *S, uint32_t id, int64_t end);
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

#endif
