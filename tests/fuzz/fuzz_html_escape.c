/* SPDX-License-Identifier: Apache-2.0 */
/* html_escape: the output has no < > " ' and no & that does not start one of
 * the five entities it writes, is valid UTF-8 without control characters
 * (tab and newline aside), un-escapes to the input read when that was
 * valid, reads at most the limit, ends in "…" exactly when it stopped short.
 * The status page with the input as every Slurm string (a pending reason,
 * an error message, the cluster, the version) has exactly the tags it has
 * with plain strings of the same lengths, and stays under STATUS_PAGE_MAX. */
#include "fuzz_common.h"

#include "status.h"
#include "util/html.h"

static const char *const entities[][2] = {
    {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};

/* The length of the UTF-8 character at s (n bytes left) that the escaper
 * copies as it is, 0 when it replaces the byte. */
static size_t clean_char(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return ((c >= 0x20 && c != 0x7F) || c == '\t' || c == '\n') ? 1 : 0;
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    unsigned cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
        return 0;
    return len;
}

static size_t count_lt(const struct buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->p[i] == '<';
    return n;
}

static void page(struct buf *out, const char *s, size_t n)
{
    struct status_summary *sum = calloc(1, sizeof(*sum));
    if (!sum)
        abort();
    sum->at = FUZZ_NOW;
    sum->have_jobs = sum->have_nodes = true;
    sum->nreasons = 2;
    size_t k = n < MAX_LABEL_LEN ? n : MAX_LABEL_LEN;
    memcpy(sum->reasons[0].name, s, k);
    sum->reasons[0].jobs = 2;
    memcpy(sum->reasons[1].name, "x", 1);
    sum->reasons[1].jobs = 1;
    memcpy(sum->cluster, s, n < sizeof(sum->cluster) - 1 ? n : sizeof(sum->cluster) - 1);
    memcpy(sum->version, s, n < SLURM_VERSION_MAX ? n : SLURM_VERSION_MAX);
    sum->ds[DS_JOBS].enabled = sum->ds[DS_JOBS].attempted = true;
    sum->ds[DS_JOBS].last_error_at = FUZZ_NOW;
    memcpy(sum->ds[DS_JOBS].last_error, s,
           n < sizeof(sum->ds[0].last_error) - 1 ? n : sizeof(sum->ds[0].last_error) - 1);
    status_page_render(out, sum, NULL, 3600, FUZZ_NOW, "/metrics");
    free(sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max_in = data[0] == 0xFF ? (size_t)-1 : data[0]; /* the first byte: the limit */
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    struct buf b = {0};
    size_t got = html_escape(&b, in, n, max_in);
    if (got > n || got > max_in)
        fz_fail("read past the limit", b.p, got);
    const char *ell = "\xe2\x80\xa6";
    bool cut = got < n;
    if (cut && (b.len < 3 || memcmp(b.p + b.len - 3, ell, 3) != 0))
        fz_fail("stopped short without an ellipsis", b.p, b.len);
    size_t end = cut ? b.len - 3 : b.len;
    /* the output: no markup character, only our entities, clean UTF-8 */
    char *back = malloc(end + 1);
    if (!back)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < end;) {
        char c = b.p[i];
        if (c == '<' || c == '>' || c == '"' || c == '\'')
            fz_fail("markup character in escaped text", b.p, i);
        if (c == '&') {
            size_t e = 0;
            while (e < 5 && strncmp(b.p + i, entities[e][0], strlen(entities[e][0])) != 0)
                e++;
            if (e == 5)
                fz_fail("& that starts no entity", b.p, i);
            back[k++] = entities[e][1][0];
            i += strlen(entities[e][0]);
            continue;
        }
        size_t len = clean_char((const unsigned char *)b.p + i, end - i);
        if (!len)
            fz_fail("control character or bad UTF-8 in the output", b.p, i);
        memcpy(back + k, b.p + i, len);
        k += len;
        i += len;
    }
    /* valid input comes back unchanged */
    bool valid = true;
    for (size_t i = 0; i < got;) {
        size_t len = clean_char((const unsigned char *)in + i, got - i);
        if (!len) {
            valid = false;
            break;
        }
        i += len;
    }
    if (valid && (k != got || memcmp(back, in, got) != 0))
        fz_fail("un-escaped text differs from the input", b.p, 0);
    if (b.len > 6 * got + 3)
        fz_fail("output longer than 6 bytes an input byte", b.p, b.len);
    free(back);
    buf_free(&b);

    /* the page: the same tags with this text as with plain text */
    /* the plain twin: every byte but NUL an 'x' (the same strings empty or not) */
    char *plain = malloc(n + 1);
    if (!plain)
        abort();
    for (size_t i = 0; i < n; i++)
        plain[i] = in[i] ? 'x' : '\0';
    struct buf p1 = {0}, p2 = {0};
    page(&p1, in, n);
    page(&p2, plain, n);
    free(plain);
    if (count_lt(&p1) != count_lt(&p2))
        fz_fail("a Slurm string added or removed markup", p1.p, 0);
    if (p1.len >= STATUS_PAGE_MAX)
        fz_fail("page over STATUS_PAGE_MAX", p1.p, p1.len);
    buf_free(&p1);
    buf_free(&p2);
    return 0;
}
