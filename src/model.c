/* SPDX-License-Identifier: Apache-2.0 */
/* Model constants and the small unit parsers every source shares. */
#include "model.h"
#include "model/ids.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const job_state_names[JOB_STATE_COUNT] = {
#define X(e, s) s,
    JOB_STATES(X)
#undef X
};

const char *const node_flag_names[NODE_FLAG_COUNT] = {
#define X(e, s, l) l,
    NODE_FLAGS(X)
#undef X
};

const char *const node_state_names[NODE_STATE_COUNT] = {
#define X(e, s) s,
    NODE_STATES(X)
#undef X
};

const double wait_bucket_bounds[WAIT_BUCKETS] = {10,   30,    60,    300,   600,    1800,   3600,
                                                 7200, 14400, 28800, 86400, 172800, 345600, 604800};

const char *const dataset_names[DS_COUNT] = {
#define DATASET(e, label, iv, src, type, member) label,
#include "tables.def"
};

const int dataset_default_interval[DS_COUNT] = {
#define DATASET(e, label, iv, src, type, member) iv,
#include "tables.def"
};

int job_state_parse(const char *s, size_t n)
{
    static const char *const upper[JOB_STATE_COUNT] = {
#define X(e, str) #e,
        JOB_STATES(X)
#undef X
    };
    for (int i = 0; i < JOB_STATE_COUNT; i++)
        if (strlen(upper[i]) == n && memcmp(upper[i], s, n) == 0)
            return i;
    return -1;
}

int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return -1;
    /* 19 digits cannot overflow (10^19 - 1 < 2^64): only a 20th digit is
     * checked. */
    size_t fast = n < 20 ? n : 19;
    uint64_t v = 0;
    for (size_t i = 0; i < fast; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + d;
    }
    if (n == 20) {
        unsigned d = (unsigned)(unsigned char)s[19] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int parse_double(const char *s, size_t n, double *out)
{
    /* Fast path, the same value strtod gives: [-]digits[.digits] with at
     * most 15 digits is m / 10^k with m < 2^53 and 10^k exact, and one
     * IEEE division is correctly rounded. */
    static const double p10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = n && s[0] == '-';
    uint64_t mant = 0;
    int digits = 0, frac = -1;
    for (; i < n && digits <= 15; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            digits++;
            if (frac >= 0)
                frac++;
        } else if (s[i] == '.' && frac < 0) {
            frac = 0;
        } else {
            break;
        }
    }
    if (i == n && digits > 0 && digits <= 15) {
        double v = (double)mant;
        if (frac > 0)
            v /= p10[frac];
        *out = s[0] == '-' ? -v : v;
        return 0;
    }
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end != '\0' || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int parse_slurm_mem(const char *s, size_t n, uint64_t *bytes)
{
    if (n == 0)
        return -1;
    double mult = 1048576.0; /* Slurm's default unit is MiB */
    char last = s[n - 1];
    switch (last) {
    case 'K':
        mult = 1024.0;
        break;
    case 'M':
        mult = 1048576.0;
        break;
    case 'G':
        mult = 1073741824.0;
        break;
    case 'T':
        mult = 1099511627776.0;
        break;
    case 'P':
        mult = 1125899906842624.0;
        break;
    default:
        if (last < '0' || last > '9')
            return -1;
        n++; /* no suffix: keep the last digit */
    }
    n--;
    double v;
    if (parse_double(s, n, &v) < 0 || v < 0)
        return -1;
    double b = v * mult;
    if (b >= 1.8e19)
        return -1;
    *bytes = (uint64_t)llround(b);
    return 0;
}

int parse_slurm_duration(const char *s, size_t n, int64_t *secs)
{
    if ((n == 9 && memcmp(s, "UNLIMITED", 9) == 0) || (n == 8 && memcmp(s, "INFINITE", 8) == 0) ||
        (n == 8 && memcmp(s, "infinite", 8) == 0) || (n == 4 && memcmp(s, "NONE", 4) == 0) ||
        (n == 9 && memcmp(s, "Partition", 9) == 0)) {
        *secs = -1;
        return 0;
    }
    uint64_t days = 0;
    const char *dash = memchr(s, '-', n);
    if (dash) {
        if (parse_u64(s, (size_t)(dash - s), &days) < 0 || days > 1000000)
            return -1;
        n -= (size_t)(dash - s) + 1;
        s = dash + 1;
    }
    uint64_t parts[3] = {0, 0, 0};
    int np = 0;
    const char *p = s, *end = s + n;
    while (p <= end && np < 3) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        const char *e = c ? c : end;
        if (parse_u64(p, (size_t)(e - p), &parts[np++]) < 0)
            return -1;
        if (!c)
            break;
        p = c + 1;
        if (np == 3)
            return -1;
    }
    for (int i = 0; i < np; i++)
        if (parts[i] > 100000000)
            return -1; /* keeps the sum far from overflow */
    uint64_t h = 0, m = 0, sec = 0;
    if (np == 1)
        m = parts[0]; /* Slurm reads a bare number as minutes */
    else if (np == 2 && dash) {
        h = parts[0];
        m = parts[1];
    } else if (np == 2) {
        m = parts[0];
        sec = parts[1];
    } else {
        h = parts[0];
        m = parts[1];
        sec = parts[2];
    }
    if (dash && np == 1) {
        h = parts[0];
        m = 0;
    }
    *secs = (int64_t)(days * 86400 + h * 3600 + m * 60 + sec);
    return 0;
}

void split_list(struct strtab *t, struct arena *a, const char *s, size_t n, struct id_list *out)
{
    uint32_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',')
            count++;
    out->ids = arena_alloc(a, (count + 1) * sizeof(uint32_t));
    out->n = 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        size_t len = (size_t)(e - p);
        if (len > MAX_LABEL_LEN)
            len = MAX_LABEL_LEN;
        if (len > 0)
            out->ids[out->n++] = strtab_intern(t, p, len);
        p = e + 1;
    }
}
