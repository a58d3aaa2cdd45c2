/* SPDX-License-Identifier: Apache-2.0 */
#include "util/token.h"
#include "util/hex.h"

static bool needs_escape(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '%';
}

bool tok_next(const char **p, const char *end, const char **t, size_t *n)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    const char *e = s;
    while (e < end && *e != ' ')
        e++;
    *t = s;
    *n = (size_t)(e - s);
    *p = e;
    return *n > 0;
}

void tok_put_name(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_putc(b, '=');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (needs_escape(*p)) {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, e, 3);
        } else {
            buf_putc(b, (char)*p);
        }
    }
}

long tok_get_name(const char *t, size_t n, char *out, size_t cap)
{
    if (n == 0 || t[0] != '=' || cap == 0)
        return -1;
    size_t o = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '%') {
            int hi = i + 2 < n ? hex_value(t[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(t[i + 2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (needs_escape(c)) {
            return -1;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (long)o;
}
