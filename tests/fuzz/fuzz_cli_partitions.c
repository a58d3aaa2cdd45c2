/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol show partitions output -> partitions parser -> the partitions,
 * jobs and nodes collectors (the last two zero-fill rows per partition). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dataset_result *pr = fz_parts(data, size);
    /* empty jobs and nodes datasets next to it */
    struct dataset_result *jr = fz_jobs((const uint8_t *)"", 0);
    struct dataset_result *nr = fz_nodes((const uint8_t *)"", 0);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.ds[DS_PARTITIONS] = pr;
    v.now = FUZZ_NOW;
    v.series_limit = 100000;
    static const collector_fn only[] = {collect_partitions};
    fz_collect(&v, only, 1);
    v.ds[DS_JOBS] = jr;
    v.ds[DS_NODES] = nr;
    static const collector_fn all[] = {collect_jobs, collect_nodes, collect_partitions};
    fz_collect(&v, all, 3);
    v.series_limit = 5;
    fz_collect(&v, all, 3);
    fz_free(pr);
    fz_free(jr);
    fz_free(nr);
    return 0;
}
