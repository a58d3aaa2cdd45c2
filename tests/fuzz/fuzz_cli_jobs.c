/* SPDX-License-Identifier: Apache-2.0 */
/* squeue output -> jobs parser -> jobs and partitions collectors. Runs twice:
 * with no series limit to speak of, and with a tiny one. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_jobs(data, size);
    const struct jobs_model *m = r->u.jobs;
    for (size_t i = 0; i < m->n; i++) {
        const struct job *j = &m->jobs[i];
        if (j->state >= JOB_STATE_COUNT || j->partition >= m->part_lists_n ||
            j->user >= m->strs.count || j->reason >= m->strs.count)
            fz_fail("job out of range", NULL, i);
    }
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_JOBS] = r;
    v.now = FUZZ_NOW;
    static const collector_fn fns[] = {collect_jobs, collect_partitions};
    v.series_limit = 100000;
    fz_collect(&v, fns, 2);
    v.series_limit = 3;
    fz_collect(&v, fns, 2);
    fz_free(r);
    return 0;
}
