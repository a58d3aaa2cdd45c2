/* SPDX-License-Identifier: Apache-2.0 */
/* The active mark in --slurm.ha-state-dir (another controller's exporter
 * wrote it; the file is on shared storage): any bytes are read without
 * reading past them, and a mark is taken only when it names a controller
 * other than this one with a time at or after `since`. */
#include "fuzz_common.h"
#include "poller.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exactly the bytes given, as read() hands them over (no terminator) */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    bool a = ha_mark_parse(buf, size, "ctl2", 0);
    bool b = ha_mark_parse(buf, size, "ctl2", 1e18);
    if (b && !a) /* a later `since` can only refuse more */
        abort();
    if (size >= 128 && a) /* longer than a mark can be: never taken */
        abort();
    free(buf);
    return 0;
}
