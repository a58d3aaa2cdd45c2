/* SPDX-License-Identifier: Apache-2.0 */
/* The HA counter key file. The input is split at its first NUL byte: the
 * first part is read as a key file (ha_keys_zero_render) against the second
 * as the standby's own exposition, and the second part is also written as a
 * key file (ha_keys_format). Invariants: a zero render is a well-formed
 * exposition whose every sample is 0; its own key file reads back without a
 * bad line and renders it again byte for byte, and nothing with the render
 * itself as the own text; what the writer makes of any text reads back
 * without a bad line. */
#include "fuzz_common.h"

#include "ha_counters.h"

#include <errno.h>

static void all_zero(struct buf *b)
{
    const char *p = buf_cstr(b), *end = b->p + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (p[0] != '#' && (nl - p < 2 || memcmp(nl - 2, " 0", 2) != 0))
            fz_fail("a sample that is not 0", b->p, (size_t)(p - b->p));
        p = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    const char *own = nul ? in + first + 1 : "";
    size_t own_len = nul ? size - first - 1 : 0;
    char err[256];
    struct render r;
    memset(&r, 0, sizeof(r));
    int bad = ha_keys_zero_render(in, first, own, own_len, &r, err, sizeof(err));
    if (bad < 0) {
        if (bad != -EINVAL || r.text.len || r.nfams)
            fz_fail("an error that rendered something", NULL, 0);
    } else {
        buf_cstr(&r.text);
        fz_check_lines(&r.text);
        fz_check_lines(render_om(&r));
        all_zero(&r.text);
        struct buf k = {0};
        if (ha_keys_format(r.text.p, r.text.len, NULL, &k))
            fz_fail("series left out of a small render", NULL, 0);
        struct render r2;
        memset(&r2, 0, sizeof(r2));
        if (ha_keys_zero_render(k.p, k.len, NULL, 0, &r2, err, sizeof(err)) != 0)
            fz_fail("the key file of a zero render has bad lines", k.p, 0);
        if (r2.text.len != r.text.len || (r.text.len && memcmp(r2.text.p, r.text.p, r.text.len)))
            fz_fail("the key file of a zero render renders something else", k.p, 0);
        struct render r3;
        memset(&r3, 0, sizeof(r3));
        if (ha_keys_zero_render(k.p, k.len, r.text.p, r.text.len, &r3, err, sizeof(err)) != 0 ||
            r3.series || r3.text.len)
            fz_fail("a zero render's own series rendered again", k.p, 0);
        render_free(&r2);
        render_free(&r3);
        buf_free(&k);
    }
    render_free(&r);

    struct buf k = {0};
    struct ha_keys_limits lim = {.bytes = 4096, .families = 8, .series = 64};
    ha_keys_format(own, own_len, size & 1 ? &lim : NULL, &k);
    memset(&r, 0, sizeof(r));
    if (ha_keys_zero_render(k.p, k.len, NULL, 0, &r, err, sizeof(err)) != 0)
        fz_fail("the writer's file has bad lines", k.p, 0);
    if (size & 1 && k.len > lim.bytes)
        fz_fail("the writer's file over its bound", k.p, k.len);
    render_free(&r);
    buf_free(&k);
    return 0;
}
