/* SPDX-License-Identifier: Apache-2.0 */
/* The shared sdiag baseline of --slurm.active-only (a file another
 * controller's exporter wrote on shared storage): any bytes are applied to a
 * state without a crash, and what the state then writes is read back whole
 * (no bad line) and written again the same. */
#include "fuzz_common.h"
#include "sources/sdiag.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    if (size)
        memcpy(in, data, size);
    struct sdiag_state *s = sdiag_state_new();
    int64_t since = 1500;
    (void)sdiag_shared_apply(s, in, size, since);
    struct buf a = {0}, b = {0};
    sdiag_shared_format(s, since, &a);
    struct sdiag_state *t = sdiag_state_new();
    if (sdiag_shared_apply(t, a.p, a.len, since) != 0)
        abort();
    sdiag_shared_format(t, since, &b);
    if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
        abort();
    buf_free(&a);
    buf_free(&b);
    sdiag_state_free(s);
    sdiag_state_free(t);
    free(in);
    return 0;
}
