/* SPDX-License-Identifier: Apache-2.0 */
/* Key=Value splitter for scontrol's one-line output. */
#include "sources/kv.h"

#include <stdbool.h>
#include <string.h>

/* Characters of a key: 1 letters (a key starts with one), 2 digits and
 * _ / : . - (later in a key). One table look-up per character. */
static const unsigned char key_char[256] = {
    ['_'] = 2, ['/'] = 2, [':'] = 2, ['.'] = 2, ['-'] = 2, ['0'] = 2, ['1'] = 2, ['2'] = 2,
    ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
#define L(c) [(c)] = 1, [(c) + 32] = 1
    L('A'),    L('B'),    L('C'),    L('D'),    L('E'),    L('F'),    L('G'),    L('H'),
    L('I'),    L('J'),    L('K'),    L('L'),    L('M'),    L('N'),    L('O'),    L('P'),
    L('Q'),    L('R'),    L('S'),    L('T'),    L('U'),    L('V'),    L('W'),    L('X'),
    L('Y'),    L('Z'),
#undef L
};

/* Returns the length of "Key" when p starts a Key= token, else 0. */
static size_t key_at(const char *p, const char *end)
{
    if (p >= end || key_char[(unsigned char)*p] != 1)
        return 0;
    const char *q = p + 1;
    while (q < end && key_char[(unsigned char)*q])
        q++;
    return (q < end && *q == '=') ? (size_t)(q - p) : 0;
}

/* End of a Reason value: just after the "]" of a trailing "[user@time]". */
static const char *reason_end(const char *p, const char *end)
{
    const char *q = p;
    while (q < end) {
        const char *br = memchr(q, '[', (size_t)(end - q));
        if (!br)
            break;
        const char *close = memchr(br, ']', (size_t)(end - br));
        if (!close)
            break;
        if (memchr(br, '@', (size_t)(close - br)) && (close + 1 == end || close[1] == ' '))
            return close + 1;
        q = br + 1;
    }
    return end;
}

size_t kv_split(const char *line, size_t len, struct kv *out, size_t max)
{
    const char *p = line, *end = line + len;
    size_t n = 0, next_kl = 0; /* key length at p when the value scan found it */
    while (p < end && *p == ' ')
        p++;
    while (p < end && n < max) {
        size_t kl = next_kl ? next_kl : key_at(p, end);
        next_kl = 0;
        if (!kl) { /* stray token before any key: skip it */
            while (p < end && *p != ' ')
                p++;
            while (p < end && *p == ' ')
                p++;
            continue;
        }
        struct kv *kv = &out[n++];
        kv->key = p;
        kv->klen = kl;
        kv->val = p + kl + 1;
        const char *v = kv->val, *vend;
        if (kl == 6 && memcmp(p, "Reason", 6) == 0) {
            vend = reason_end(v, end);
        } else {
            vend = v;
            for (;;) {
                while (vend < end && *vend != ' ')
                    vend++;
                const char *nx = vend;
                while (nx < end && *nx == ' ')
                    nx++;
                if (nx >= end || (next_kl = key_at(nx, end)) != 0)
                    break;
                vend = nx; /* a continuation word of this value */
            }
        }
        kv->vlen = (size_t)(vend - v);
        while (kv->vlen && kv->val[kv->vlen - 1] == ' ')
            kv->vlen--;
        p = vend;
        while (p < end && *p == ' ')
            p++;
    }
    return n;
}

const struct kv *kv_find(const struct kv *kv, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (kv[i].klen == kl && memcmp(kv[i].key, key, kl) == 0)
            return &kv[i];
    return NULL;
}

size_t split_fields(const char *line, size_t len, char sep, const char **f, size_t *fl, size_t max)
{
    size_t nf = 0;
    const char *s = line, *end = line + len;
    for (;;) {
        if (nf == max)
            return max + 1;
        const char *bar = memchr(s, sep, (size_t)(end - s));
        const char *e = bar ? bar : end;
        f[nf] = s;
        fl[nf] = (size_t)(e - s);
        nf++;
        if (!bar)
            return nf;
        s = bar + 1;
    }
}
