/* SPDX-License-Identifier: Apache-2.0 */
/* kv_split: every pair lies inside the line, pairs come in order and do not
 * overlap, keys look like keys, values have no edge blanks. */
#include "fuzz_common.h"
#include "sources/kv.h"

static int key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == ':' || c == '.' || c == '-';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy, so reads past the end are caught exactly */
    char *line = malloc(size ? size : 1);
    if (!line)
        abort();
    memcpy(line, data, size);
    struct kv kv[64];
    size_t n = kv_split(line, size, kv, 64);
    if (n > 64)
        fz_fail("more pairs than room", NULL, n);
    const char *prev_end = line;
    for (size_t i = 0; i < n; i++) {
        const struct kv *p = &kv[i];
        if (p->key < prev_end || p->klen == 0 || p->key + p->klen >= line + size ||
            p->key[p->klen] != '=' || p->val != p->key + p->klen + 1 ||
            p->val + p->vlen > line + size)
            fz_fail("pair outside the line or out of order", NULL, i);
        char c0 = p->key[0];
        if (!((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z')))
            fz_fail("key does not start with a letter", NULL, i);
        for (size_t k = 0; k < p->klen; k++)
            if (!key_char(p->key[k]))
                fz_fail("bad key character", NULL, i);
        if (p->vlen && p->val[p->vlen - 1] == ' ')
            fz_fail("value ends in a blank", NULL, i);
        prev_end = p->val + p->vlen;
        /* kv_find finds the first pair with this key */
        char key[64];
        if (p->klen < sizeof(key)) {
            memcpy(key, p->key, p->klen);
            key[p->klen] = '\0';
            const struct kv *f = kv_find(kv, n, key);
            if (!f || f > p || f->klen != p->klen)
                fz_fail("kv_find missed a key", NULL, i);
        }
    }
    /* a smaller output array gives a prefix of the same pairs */
    struct kv few[3];
    size_t m = kv_split(line, size, few, 3);
    if (m != (n < 3 ? n : 3))
        fz_fail("prefix count differs", NULL, m);
    for (size_t i = 0; i < m; i++)
        if (few[i].key != kv[i].key || few[i].vlen != kv[i].vlen)
            fz_fail("prefix differs", NULL, i);
    free(line);
    return 0;
}
