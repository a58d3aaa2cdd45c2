/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup source: every running job's usage read from Slurm's cgroup
 * hierarchy on a compute node (no Slurm command). The layout, from Slurm's
 * own source (see docs/metrics.md, "Node-side cgroup collector"):
 *
 *   cgroup v2 (src/plugins/cgroup/v2/cgroup_v2.c, 22.05 and later):
 *     ROOT/<slice>/slurmstepd.scope/job_<id>/step_<id>/user/task_<n>
 *     ROOT/<slice>/<nodename>_slurmstepd.scope/...   (MULTIPLE_SLURMD builds)
 *     <slice> is system.slice (CgroupSlice= in cgroup.conf from 25.11).
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

struct cgroup_parser {
    struct cgroup_model *m;
    struct arena *a;
    struct parse_stats st; /* lines: files read; errors: files not understood */
    size_t cap;
};

/* Walks root (e.g. /sys/fs/cgroup) for Slurm's v2 and v1 hierarchies and
 * fills p->m. Directories and files that vanish while walking (jobs ending)
 * are skipped. Returns 0, or -errno when root itself cannot be opened. */
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

#endif
