/* SPDX-License-Identifier: Apache-2.0 */
/* The small value parsers on arbitrary text: config durations and sizes,
 * Slurm durations, memory sizes and integers, --compat.azure.reset-time;
 * and config_parse on an argv made of the NUL-separated pieces of the
 * input. */
#include "fuzz_common.h"
#include "config.h"

#include <errno.h>
#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';

    double d = -7;
    if (config_parse_duration(s, &d) == 0) {
        if (!(d >= 0) || !isfinite(d) || d > 366 * 86400.0)
            fz_fail("duration negative, not finite or over 366d", s, 0);
        /* the grammar: digits, '.', and the unit letters; whole milliseconds */
        if (strspn(s, "0123456789.dhms") != strlen(s))
            fz_fail("duration accepted outside its grammar", s, 0);
        double ms = d * 1000;
        if (fabs(ms - nearbyint(ms)) > 1e-6 * (ms > 1 ? ms : 1))
            fz_fail("duration not a whole number of milliseconds", s, 0);
    }
    size_t sz = 0;
    config_parse_size(s, &sz);

    /* --compat.azure.reset-time: a window or a past time, never both, in bounds */
    const double now = 1795424700;
    double rw = -1, rt = -1;
    if (config_parse_reset_time(s, now, &rw, &rt) == 0) {
        bool win = rw >= 1 && rw <= CONFIG_RESET_MAX_S && rt == 0;
        bool at = rw == 0 && rt >= now - CONFIG_RESET_MAX_S && rt <= now + 1;
        if (win == at)
            fz_fail("reset time neither one window nor one past time in bounds", s, 0);
    }

    int64_t secs = 0;
    if (parse_slurm_duration(s, size, &secs) == 0 && secs < -1)
        fz_fail("Slurm duration below -1", s, 0);
    uint64_t bytes;
    parse_slurm_mem(s, size, &bytes);
    uint64_t u;
    if (parse_u64(s, size, &u) == 0) {
        /* agrees with strtoull on plain digit strings */
        errno = 0;
        char *end;
        unsigned long long w = strtoull(s, &end, 10);
        if (errno || end != s + size || w != u || s[0] == '-' || s[0] == '+' || s[0] == ' ')
            fz_fail("parse_u64 disagrees with strtoull", s, 0);
    }

    /* argv from the NUL-separated pieces (at most 16) */
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    char *argv[18];
    int argc = 0;
    argv[argc++] = (char *)"slurm_exporter";
    for (size_t i = 0; i <= size && argc < 17;) {
        argv[argc++] = s + i;
        i += strlen(s + i) + 1;
    }
    argv[argc] = NULL;
    struct config cfg;
    int rc = config_parse(&cfg, argc, argv, devnull, devnull);
    if (rc < 0 || rc > 2)
        fz_fail("config_parse return value", s, (size_t)rc);
    if (rc == 0 && (cfg.nlisten < 1 || cfg.nlisten > MAX_LISTEN || !cfg.telemetry_path ||
                    cfg.telemetry_path[0] != '/'))
        fz_fail("accepted config out of range", s, 0);
    free(s);
    return 0;
}
