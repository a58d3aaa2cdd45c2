/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup source: every running job's usage read from Slurm's cgroup
 * hierarchy on a compute node (no Slurm command). The layout, from Slurm's
 * own source (see docs/metrics.md, "Node-side cgroup collector"):
 *
 *   cgroup v2 (src/plugins/cgroup/v2/cgroup_v2.c, 22.05 and later):
 *     ROOT/<slice>/slurmstepd.scope/job_<id>/step_<id>/user/task_<n>
 *     ROOT/<slice>/<nodename>_slurmstepd.scope/...   (MULTIPLE_SLURMD builds)
 *     <slice> is system.slice (CgroupSlice= in cgroup.conf from 25.11).
 *     From 26.05 the job directory is the job's SLUID ("s" + 13 base32
 *     digits, src/common/sluid.c) instead of job_<id>, unless
 *     CgroupJobIdPaths=yes (cgroup.conf, from 26.05.2). A SLUID does not hold
 *     the job id; the slurmstepd in the job's step_<x>/slurm leaf names it in
 *     its process title ("slurmstepd: [1234.batch]"), read from /proc. Only
 *     when no title gives it does squeue --jobs=<SLUID> map it, once per
 *     SLUID (cgroup_ids).
 *   cgroup v1 (src/plugins/cgroup/v1/xcgroup.c, CgroupPrepend in
 *   src/common/cgroup.c):
 *     ROOT/<controller>/slurm[_<nodename>]/uid_<uid>/job_<id>/step_<id>/task_<n>
 *
 * Only the job level is read: cgroup statistics are hierarchical, so a job
 * directory's files already include all its steps and tasks. */
#ifndef SE_SOURCES_CGROUP_H
#define SE_SOURCES_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cgroup.h"
#include "sources/cli.h"
#include "util/arena.h"

#define CGROUP_DEFAULT_ROOT "/sys/fs/cgroup"
#define CGROUP_MAX_JOBS 4096         /* job cgroups kept per read */
#define CGROUP_MAX_SCOPES 64         /* stepd scopes / v1 slurm dirs per read */
#define CGROUP_MAX_FILE 65536        /* bytes read from one cgroup file */
#define CGROUP_MAX_DIR_ENTRIES 65536 /* entries looked at in one directory */
#define CGROUP_SLUID_LEN 14          /* "s" and 13 base32 digits */
#define CGROUP_MAX_LOOKUPS 16        /* squeue runs per read (SLUID -> job id) */
#define CGROUP_LOOKUP_RETRY_S 60     /* before a SLUID squeue did not know is asked again */
#define CGROUP_LOOKUP_MAX_BYTES 4096 /* squeue output read per lookup */
#define CGROUP_LOOKUP_BUDGET_S                                                                     \
    5                         /* one lookup's time limit (or --slurm.timeout if shorter),          \
                               * and no lookup starts after this long in one read */
#define CGROUP_MAX_TITLES 512 /* SLUID directories whose slurmstepd title is read per read */
#define CGROUP_TITLE_STEPS 16 /* step_* directories looked at per SLUID directory */
#define CGROUP_TITLE_PIDS 4   /* pids of a step's slurm/cgroup.procs tried */
#define CGROUP_TITLE_MAX 256  /* bytes of /proc/<pid>/cmdline read */
#define CGROUP_PROCS_MAX 4096 /* bytes of a step's slurm/cgroup.procs read */

struct config;
struct cgroup_ids; /* the SLUID -> job id cache (the source's state) */

struct cgroup_parser {
    struct cgroup_model *m;
    struct arena *a;
    struct parse_stats st; /* lines: files read; errors: files not understood */
    size_t cap;
    const struct config *cfg; /* --slurm.timeout for the lookups */
    struct cgroup_ids *ids;   /* NULL: SLUID directories stay unresolved */
};

/* The SLUID -> job id cache; bin_path (--slurm.bin-path, may be NULL) is
 * where squeue is looked for first. */
struct cgroup_ids *cgroup_ids_new(const char *bin_path);
void cgroup_ids_free(struct cgroup_ids *c);

/* Walks root (e.g. /sys/fs/cgroup) for Slurm's v2 and v1 hierarchies and
 * fills p->m; SLUID directories get their job id from p->ids (the cache),
 * else from their slurmstepd's process title (CGROUP_MAX_TITLES), else
 * from squeue when p->ids is set (bounded: CGROUP_MAX_LOOKUPS,
 * CGROUP_LOOKUP_BUDGET_S).
 * Directories and files that vanish while walking (jobs ending) are
 * skipped. Returns 0, or -errno when root itself cannot be opened. */
int cgroup_scan(struct cgroup_parser *p, const char *root);

/* Pure parsers of one cgroup file's contents (buf need not be terminated). */
/* "key value" lines (cpu.stat, memory.stat): the value of key. 0 or -1. */
int cgroup_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *out);
/* io.stat: "MAJ:MIN rbytes=N wbytes=N ..." lines, rbytes and wbytes summed
 * over devices. Returns the number of device lines used, -1 on garbage. */
int cgroup_parse_io_stat(const char *buf, size_t len, uint64_t *rbytes, uint64_t *wbytes);
/* One number ("123\n") or "max". 0 (number), 1 ("max"), -1 (garbage). */
int cgroup_parse_single(const char *buf, size_t len, uint64_t *out);
/* "job_<id>" -> id. false for anything else. */
bool cgroup_job_dir(const char *name, uint32_t *id);
/* A SLUID exactly as Slurm prints it (src/common/sluid.c print_sluid): "s"
 * and 13 upper-case digits of Crockford's base32, the first 0-F (64 bits) ->
 * its value, never 0. false for anything else. */
bool cgroup_sluid_dir(const char *name, uint64_t *sluid);
/* The printed form of a SLUID (out: CGROUP_SLUID_LEN + 1 bytes). */
void cgroup_sluid_str(uint64_t sluid, char out[CGROUP_SLUID_LEN + 1]);
/* One line of `squeue --noheader --jobs=SLUID --Format=SLUID:0|,JobID:0|`:
 * "SLUID|JOBID|". true and *id when its SLUID is sluid and its job id a
 * number (not 0, NO_VAL or INFINITE). */
bool cgroup_parse_sluid_line(const char *line, size_t len, const char *sluid, uint32_t *id);
/* /proc/<pid>/cmdline of the slurmstepd of step directory step_<step>, as
 * Slurm sets it on Linux: "slurmstepd: [<job id>.<step>]" or
 * "slurmstepd: [<job id>.<step> stepmgr]", then NULs only. true and *id when
 * it is exactly that with a decimal job id (no leading zero, not 0, NO_VAL or
 * INFINITE) and this step; a SLUID in place of the job id, another step, or
 * anything else is false. step: letters, digits and '+' only. */
bool cgroup_parse_stepd_title(const char *buf, size_t len, const char *step, uint32_t *id);

#endif
