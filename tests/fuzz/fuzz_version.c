/* SPDX-License-Identifier: Apache-2.0 */
/* scontrol --version output -> the version source, run as the poller runs it
 * (source_run: lines, finish, the unreadable-output rule) -> the version
 * collector. A served release is non-empty, bounded, made of label-safe
 * characters, and a word of the input. */
#include "fuzz_common.h"
#include "model/version.h"
#include "sources/source.h"

#include <errno.h>

static bool label_safe(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == '_' || c == '+' || c == '~' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dataset_result *r = fz_result(DS_VERSION);
    static const struct config cfg0;
    struct source_ctx ctx = {&cfg0, NULL, NULL, NULL};
    struct source_run run;
    struct parse_stats st;
    char why[640];
    source_run_begin(&run, sources[DS_VERSION], &ctx, r, 0);
    source_run_feed(&run, (const char *)data, size);
    int rc = source_run_end(&run, 0, why, sizeof(why), &st);
    const char *v = r->u.version->version;
    size_t n = strnlen(v, SLURM_VERSION_MAX + 1);
    if (n > SLURM_VERSION_MAX)
        fz_fail("release longer than the model keeps", NULL, n);
    if (rc != 0 && rc != -EPROTO)
        fz_fail("verdict neither served nor unreadable", NULL, 0);
    if (rc == 0) {
        if (n == 0 || v[0] < '0' || v[0] > '9' || !strchr(v, '.') || !label_safe(v))
            fz_fail("served release is not a release", NULL, n);
        if (!memmem(data, size, v, n))
            fz_fail("served release is not in the output", NULL, n);
        if (st.errors * 2 > st.lines)
            fz_fail("served although mostly unreadable", NULL, 0);
    }
    struct view vw;
    memset(&vw, 0, sizeof(vw));
    vw.ds[DS_VERSION] = rc == 0 ? r : NULL;
    vw.now = FUZZ_NOW;
    vw.series_limit = 100000;
    static const collector_fn fns[] = {collect_version};
    fz_collect(&vw, fns, 1);
    fz_free(r);
    return 0;
}
