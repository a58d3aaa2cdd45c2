/* SPDX-License-Identifier: Apache-2.0 */
/* render_escape_label: un-escaping the output gives back the input, and the
 * output has no raw newline or unescaped quote. render_number: whatever the
 * first 8 bytes are as a double, the text reads back as the same value. */
#include "fuzz_common.h"

#include <math.h>

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
    if (k != inlen || memcmp(back, in, inlen) != 0)
        fz_fail("un-escaped label differs from the input", b.p, 0);
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
