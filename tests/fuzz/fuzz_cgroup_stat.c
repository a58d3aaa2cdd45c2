/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup file parsers (cpu.stat / memory.stat key-value, io.stat, single
 * values), the job directory names (job_<id>, SLUID) and the squeue line that
 * maps a SLUID: no read outside the buffer, results consistent with the input
 * (a found value is made of the input's digits, io sums never wrap, an
 * accepted SLUID prints back as the same name). */
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
    uint64_t sl = 0;
    if (cgroup_sluid_dir(name, &sl)) {
        char back[CGROUP_SLUID_LEN + 1];
        cgroup_sluid_str(sl, back);
        if (sl == 0 || strcmp(back, name) != 0)
            fz_fail("sluid dir: accepted a name that is not a printed SLUID", name, n);
        if (cgroup_job_dir(name, &id))
            fz_fail("sluid dir: also a job_<id> name", name, n);
    }
    /* the squeue answer for a SLUID: only a line naming that SLUID gives an id */
    static const char want[] = "s6W9M92WQK0X00";
    id = 0;
    if (cgroup_parse_sluid_line(buf, size, want, &id) &&
        (id == 0 || id >= 0xfffffffeu || size < sizeof(want) + 1 ||
         memcmp(buf, want, sizeof(want) - 1) != 0 || buf[sizeof(want) - 1] != '|'))
        fz_fail("sluid line: bad id or another SLUID's line", NULL, size);
    free(buf);
    return 0;
}
