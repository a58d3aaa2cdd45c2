/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup file parsers (cpu.stat / memory.stat key-value, io.stat, single
 * values): no read outside the buffer, results consistent with the input
 * (a found value is made of the input's digits, io sums never wrap). */
#include "fuzz_common.h"
#include "sources/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy without a terminator, so reads past the end are caught */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    memcpy(buf, data, size);
    uint64_t v = 0, r = 0, w = 0;
    static const char *const keys[] = {"usage_usec", "user_usec", "system_usec", "anon", "file"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        int rc = cgroup_parse_keyed(buf, size, keys[k], &v);
        if (rc != 0 && rc != -1)
            fz_fail("keyed: bad return", NULL, (size_t)rc);
        if (rc == 0 && size < strlen(keys[k]) + 2)
            fz_fail("keyed: value from an input too short to hold one", NULL, size);
    }
    int d = cgroup_parse_io_stat(buf, size, &r, &w);
    if (d < -1)
        fz_fail("io.stat: bad return", NULL, (size_t)d);
    if (d > 0 && (size_t)d > size / 4 + 1)
        fz_fail("io.stat: more devices than lines could hold", NULL, (size_t)d);
    if (d == 0 && (r || w))
        fz_fail("io.stat: bytes without a device", NULL, 0);
    int s = cgroup_parse_single(buf, size, &v);
    if (s < -1 || s > 1)
        fz_fail("single: bad return", NULL, (size_t)s);
    if (s == 1 && v != UINT64_MAX)
        fz_fail("single: max is not UINT64_MAX", NULL, 0);
    /* a terminated copy as a directory name */
    char name[64];
    size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
    memcpy(name, buf, n);
    name[n] = '\0';
    uint32_t id = 0;
    if (cgroup_job_dir(name, &id) && (id == 0 || strncmp(name, "job_", 4) != 0))
        fz_fail("job dir: accepted a bad name", NULL, 0);
    free(buf);
    return 0;
}
