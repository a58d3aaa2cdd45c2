/* SPDX-License-Identifier: Apache-2.0 */
/* trace_json_parse on any body: it answers 0, -EINVAL or -ERANGE with a
 * one-line reason; an accepted body has a job id in range, a non-empty
 * hostname and strings that are UTF-8 without control characters and at
 * most MAX_LABEL_LEN bytes, numbers finite, non-negative (or unknown). The
 * post then goes through the store, and the input as trace dataset text
 * through the source's parser and the collector. */
#include "fuzz_common.h"
#include "sources/source.h"
#include "trace.h"

#include <errno.h>
#include <math.h>

static void check_string(const char *s, size_t at)
{
    size_t n = strlen(s);
    if (n > MAX_LABEL_LEN)
        fz_fail("string too long", NULL, at);
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x20 || c == 0x7F)
            fz_fail("control character", NULL, at);
        if (c < 0x80)
            continue;
        size_t more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        if (c < 0xC2 || c > 0xF4 || (size_t)(end - p) < more)
            fz_fail("not UTF-8", NULL, at);
        for (size_t i = 0; i < more; i++)
            if ((p[i] & 0xC0) != 0x80)
                fz_fail("not UTF-8", NULL, at);
        p += more;
    }
}

static void check_number(double v, size_t at)
{
    if (!isnan(v) && (!isfinite(v) || v < 0))
        fz_fail("number out of range", NULL, at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        abort();
    memcpy(body, data, size);
    struct trace_post p;
    char why[192];
    int rc = trace_json_parse(body, size, &p, why, sizeof(why));
    if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
        fz_fail("unexpected return code", NULL, 0);
    if (rc && (!why[0] || strchr(why, '\n')))
        fz_fail("reason missing or not one line", NULL, 0);
    if (rc == 0) {
        if (p.job_id == 0 || p.job_id > 4294967293u || !p.hostname[0])
            fz_fail("accepted a post without job id or host", NULL, 0);
        check_string(p.hostname, 1);
        check_string(p.username, 2);
        check_number(p.pid, 3);
        check_number(p.cpus, 4);
        check_number(p.threads, 5);
        check_number(p.mem, 6);
        check_number(p.read_bytes, 7);
        check_number(p.write_bytes, 8);
        struct trace_limits lim = {4, 4, 8, 60};
        struct trace_store *s = trace_store_new(&lim);
        if (trace_store_put(s, &p, FUZZ_NOW) != TR_ACCEPTED ||
            trace_store_put(s, &p, FUZZ_NOW + 1) != TR_ACCEPTED ||
            trace_store_snapshot(s, FUZZ_NOW + 2, NULL, NULL, NULL, NULL) != 1)
            fz_fail("store lost or duplicated the post", NULL, 0);
        trace_store_free(s);
    }
    /* the same bytes as dataset text, through the source and the collector */
    const struct source_def *src = sources[DS_TRACE];
    struct dataset_result *r = fz_result(DS_TRACE);
    static const struct config cfg0;
    struct source_ctx ctx = {&cfg0, NULL, NULL, NULL};
    void *parser = calloc(1, src->parser_size);
    if (!parser)
        abort();
    src->init(parser, r, &ctx, 0);
    cli_feed(src->line, parser, body, size);
    src->finish(parser);
    free(parser);
    struct view v;
    memset(&v, 0, sizeof(v));
    v.now = FUZZ_NOW;
    v.series_limit = 1000;
    v.compat = COMPAT_RIVOSINC;
    v.ds[DS_TRACE] = r;
    struct render out;
    memset(&out, 0, sizeof(out));
    struct collect_out o = {0};
    collect_trace(&v, &out, &o);
    render_free(&out);
    dataset_result_release(r);
    free(body);
    return 0;
}
