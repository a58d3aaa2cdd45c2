/* SPDX-License-Identifier: Apache-2.0 */
/* render_escape_label: un-escaping the output gives back the input, and the
 * output has no raw newline or unescaped quote. render_number: whatever the
 * first 8 bytes are as a double, the text reads back as the same value. */
#include "fuzz_common.h"

#include <math.h>

/* Independent UTF-8 check (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the label value is a C string: up to the first NUL */
    char *in = malloc(size + 1);
    if (!in)
        abort();
    memcpy(in, data, size);
    in[size] = '\0';
    size_t inlen = strlen(in);
    struct buf b = {0};
    render_escape_label(&b, in);
    char *back = malloc(b.len + 1);
    if (!back)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < b.len; i++) {
        char c = b.p[i];
        if (c == '\n')
            fz_fail("raw newline in an escaped label value", b.p, i);
        if (c == '"')
            fz_fail("unescaped quote in a label value", b.p, i);
        if (c != '\\') {
            back[k++] = c;
            continue;
        }
        if (++i >= b.len)
            fz_fail("dangling backslash", b.p, i);
        if (b.p[i] == '\\')
            back[k++] = '\\';
        else if (b.p[i] == '"')
            back[k++] = '"';
        else if (b.p[i] == 'n')
            back[k++] = '\n';
        else
            fz_fail("unknown escape", b.p, i);
    }
    /* Valid UTF-8 comes back unchanged; anything else must come out as
     * valid UTF-8 (bad bytes replaced by U+FFFD). */
    if (utf8_valid((const unsigned char *)in, inlen)) {
        if (k != inlen || memcmp(back, in, inlen) != 0)
            fz_fail("un-escaped label differs from the input", b.p, 0);
    } else if (!utf8_valid((const unsigned char *)back, k)) {
        fz_fail("escaped label is not valid UTF-8", b.p, 0);
    }
    free(back);
    buf_free(&b);
    free(in);

    if (size >= 8) {
        double v;
        memcpy(&v, data, sizeof(v));
        char num[64];
        size_t n = render_number(num, sizeof(num), v);
        if (n == 0 || n >= sizeof(num) || strlen(num) != n)
            fz_fail("render_number length", num, n);
        if (isnan(v)) {
            if (strcmp(num, "NaN") != 0)
                fz_fail("NaN", num, 0);
        } else if (isinf(v)) {
            if (strcmp(num, v > 0 ? "+Inf" : "-Inf") != 0)
                fz_fail("Inf", num, 0);
        } else if (strtod(num, NULL) != v) {
            fz_fail("number does not read back", num, 0);
        }
    }
    return 0;
}
