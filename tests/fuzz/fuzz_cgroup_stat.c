/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup file parsers (cpu.stat / memory.stat key-value, io.stat, single
 * values), the job directory names (job_<id>, SLUID), slurmstepd's process
 * title and the squeue line that map a SLUID to its job id: no read outside
 * the buffer, results consistent with the input (a found value is made of the
 * input's digits, io sums never wrap, an accepted SLUID prints back as the
 * same name, an accepted title prints back as the same title). */
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
    /* slurmstepd's title (/proc/<pid>/cmdline) for fixed steps and for a step
     * named by the input's first bytes: an accepted title is exactly
     * "slurmstepd: [<id>.<step>]" (or "... stepmgr]") and NULs */
    static const char *const steps[] = {"batch", "extern", "interactive", "0", "17+1", NULL};
    char step[16];
    size_t k = 0;
    while (k < size && k < sizeof(step) - 1 && buf[k] && buf[k] != '[')
        k++;
    memcpy(step, buf, k);
    step[k] = '\0';
    for (size_t t = 0; t < sizeof(steps) / sizeof(steps[0]); t++) {
        const char *st = steps[t] ? steps[t] : step;
        id = 0;
        if (!cgroup_parse_stepd_title(buf, size, st, &id))
            continue;
        char pr[96];
        int wl = snprintf(pr, sizeof(pr), "slurmstepd: [%u.%s", id, st);
        if (id == 0 || id >= 0xfffffffeu || wl <= 0 || (size_t)wl >= sizeof(pr) ||
            size < (size_t)wl + 1 || memcmp(buf, pr, (size_t)wl) != 0)
            fz_fail("stepd title: accepted a title that does not print back", NULL, size);
        size_t i = (size_t)wl;
        if (size - i >= 8 && memcmp(buf + i, " stepmgr", 8) == 0)
            i += 8;
        if (buf[i] != ']')
            fz_fail("stepd title: no bracket after the step", NULL, i);
        for (i++; i < size; i++)
            if (buf[i])
                fz_fail("stepd title: bytes after the title", NULL, i);
        if (strspn(st, "0123456789+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
            strlen(st))
            fz_fail("stepd title: a step name with other characters", st, strlen(st));
    }
    free(buf);
    return 0;
}
