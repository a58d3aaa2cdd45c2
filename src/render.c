/* SPDX-License-Identifier: Apache-2.0 */
/* Exposition writer for text 0.0.4 and OpenMetrics 1.0. */
#include "render.h"
#include "util/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t render_number(char *out, size_t cap, double v)
{
    int n;
    if (isnan(v))
        n = snprintf(out, cap, "NaN");
    else if (isinf(v))
        n = snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        /* what "%lld" prints, without the printf machinery */
        char d[24];
        long long x = (long long)v;
        unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        size_t k = 0;
        do
            d[k++] = (char)('0' + u % 10);
        while (u /= 10);
        if (x < 0)
            d[k++] = '-';
        if (k >= cap)
            return (size_t)snprintf(out, cap, "%lld", x);
        for (size_t i = 0; i < k; i++)
            out[i] = d[k - 1 - i];
        out[k] = '\0';
        return k;
    } else {
        n = 0;
        for (int prec = 15; prec <= 17; prec++) {
            n = snprintf(out, cap, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
    return n < 0 ? 0 : (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0; /* overlong, or a surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

void render_escape_label(struct buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            /* Label values must be UTF-8: a byte that does not start a valid
             * sequence (a Latin-1 user name, a name cut mid-character)
             * becomes U+FFFD. */
            size_t n = utf8_len((const unsigned char *)s);
            if (n == 0) {
                buf_append(b, run, (size_t)(s - run));
                buf_puts(b, "\xEF\xBF\xBD");
                run = s + 1;
            } else {
                s += n - 1;
            }
            continue;
        }
        const char *esc = NULL;
        if (*s == '\\')
            esc = "\\\\";
        else if (*s == '"')
            esc = "\\\"";
        else if (*s == '\n')
            esc = "\\n";
        if (esc) {
            buf_append(b, run, (size_t)(s - run));
            buf_puts(b, esc);
            run = s + 1;
        }
    }
    buf_append(b, run, (size_t)(s - run));
}

static void escape_help(struct buf *b, const char *s, int om)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(b, "\\\\");
        else if (*s == '\n')
            buf_puts(b, "\\n");
        else if (*s == '"' && om)
            buf_puts(b, "\\\"");
        else
            buf_putc(b, *s);
    }
}

static const char *type_name(enum mtype t)
{
    return t == M_COUNTER ? "counter" : t == M_HISTOGRAM ? "histogram" : "gauge";
}

/* From here on the OpenMetrics output differs from the text output: give it
 * its own copy of what has been written so far. */
static void split_om(struct render *r)
{
    if (r->om_split)
        return;
    r->om_split = true;
    buf_append(&r->om, r->text.p ? r->text.p : "", r->text.len);
}

struct buf *render_om(struct render *r)
{
    split_om(r);
    return &r->om;
}

/* The length of the OpenMetrics output, and its bytes, split or not. */
static size_t om_len(const struct render *r)
{
    return r->om_split ? r->om.len : r->text.len;
}

static const char *om_bytes(const struct render *r)
{
    return r->om_split ? r->om.p : r->text.p;
}

static void close_family(struct render *r)
{
    if (r->track && r->nfams) {
        r->fams[r->nfams - 1].t_end = r->text.len;
        r->fams[r->nfams - 1].o_end = om_len(r);
    }
}

static int cmp_name(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool render_kept(const char *const *keep, size_t n, const char *name, enum mtype type)
{
    char full[160];
    if (type == M_COUNTER) {
        int len = snprintf(full, sizeof(full), "%s_total", name);
        if (len < 0 || (size_t)len >= sizeof(full))
            return false;
        name = full;
    }
    return n && bsearch(name, keep, n, sizeof(*keep), cmp_name) != NULL;
}

void render_family(struct render *r, const char *name, enum mtype type, const char *help)
{
    r->skip = (r->keep && !render_kept(r->keep, r->nkeep, name, type)) ||
              (r->counters_only && type != M_COUNTER && type != M_HISTOGRAM);
    if (r->skip)
        return;
    struct render_fam *f = NULL;
    if (r->track) {
        close_family(r);
        if (r->nfams == r->fams_cap) {
            r->fams_cap = r->fams_cap ? r->fams_cap * 2 : 64;
            r->fams = xrealloc(r->fams, r->fams_cap * sizeof(*r->fams));
        }
        f = &r->fams[r->nfams++];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->t_head = r->text.len;
        f->o_head = om_len(r);
    }
    snprintf(r->family, sizeof(r->family), "%s", name);
    r->type = type;
    r->samples = 0;
    /* the two outputs' metadata differ for a counter, and where OpenMetrics
     * escapes a double quote */
    if (type == M_COUNTER || strchr(help, '"'))
        split_om(r);
    const char *sfx = type == M_COUNTER ? "_total" : "";
    buf_printf(&r->text, "# HELP %s%s ", name, sfx);
    escape_help(&r->text, help, 0);
    buf_printf(&r->text, "\n# TYPE %s%s %s\n", name, sfx, type_name(type));
    if (r->om_split) {
        buf_printf(&r->om, "# HELP %s ", name);
        escape_help(&r->om, help, 1);
        buf_printf(&r->om, "\n# TYPE %s %s\n", name, type_name(type));
    }
    if (f) {
        f->t_body = r->text.len;
        f->o_body = om_len(r);
    }
}

static void write_labels(struct buf *t, const struct label *l, size_t nl, bool comma)
{
    for (size_t i = 0; i < nl; i++) {
        if (comma || i)
            buf_putc(t, ',');
        buf_puts(t, l[i].name);
        buf_puts(t, "=\"");
        render_escape_label(t, l[i].value ? l[i].value : "");
        buf_putc(t, '"');
    }
}

/* Writes one sample line into both outputs. */
static void line(struct render *r, const char *suffix, const struct label *l, size_t nl,
                 const char *xname, const char *xval, double v)
{
    struct buf *t = &r->text;
    size_t start = t->len;
    buf_puts(t, r->family);
    buf_puts(t, suffix);
    if (nl || xname || r->nbase) {
        buf_putc(t, '{');
        write_labels(t, r->base, r->nbase, false);
        write_labels(t, l, nl, r->nbase > 0);
        if (xname) {
            if (nl || r->nbase)
                buf_putc(t, ',');
            buf_puts(t, xname);
            buf_puts(t, "=\"");
            buf_puts(t, xval);
            buf_putc(t, '"');
        }
        buf_putc(t, '}');
    }
    char num[40];
    buf_putc(t, ' ');
    buf_append(t, num, render_number(num, sizeof(num), v));
    buf_putc(t, '\n');
    if (r->om_split)
        buf_append(&r->om, t->p + start, t->len - start);
    r->samples++;
    r->series++;
}

void render_sample(struct render *r, const struct label *l, size_t nl, double v)
{
    if (r->skip)
        return;
    line(r, r->type == M_COUNTER ? "_total" : "", l, nl, NULL, NULL, v);
}

void render_gauge1(struct render *r, const char *name, const char *help, double v)
{
    render_family(r, name, M_GAUGE, help);
    render_sample(r, NULL, 0, v);
}

void render_histogram(struct render *r, const struct label *l, size_t nl, const double *bounds,
                      const uint64_t *counts, size_t nb, double sum, uint64_t count)
{
    if (r->skip)
        return;
    uint64_t cum = 0;
    char le[40];
    for (size_t i = 0; i < nb; i++) {
        cum += counts[i];
        size_t n = render_number(le, sizeof(le), bounds[i]);
        if (!memchr(le, '.', n) && !memchr(le, 'e', n) && n + 2 < sizeof(le))
            memcpy(le + n, ".0", 3); /* OpenMetrics' canonical float form */
        line(r, "_bucket", l, nl, "le", le, (double)cum);
    }
    line(r, "_bucket", l, nl, "le", "+Inf", (double)count);
    line(r, "_sum", l, nl, NULL, NULL, sum);
    line(r, "_count", l, nl, NULL, NULL, (double)count);
}

void render_eof(struct render *r)
{
    split_om(r);
    buf_puts(&r->om, "# EOF\n");
}

void render_free(struct render *r)
{
    buf_free(&r->text);
    buf_free(&r->om);
    r->om_split = false;
    free(r->fams);
    r->fams = NULL;
    r->nfams = r->fams_cap = 0;
}

void render_merge(struct render *out, struct render *parts, size_t n)
{
    for (size_t p = 0; p < n; p++) {
        close_family(&parts[p]);
        if (parts[p].om_split)
            split_om(out);
    }
    for (size_t p = 0; p < n; p++) {
        for (size_t i = 0; i < parts[p].nfams; i++) {
            const struct render_fam *f = &parts[p].fams[i];
            bool seen = false;
            for (size_t q = 0; q <= p && !seen; q++)
                for (size_t k = 0; k < (q == p ? i : parts[q].nfams) && !seen; k++)
                    seen = strcmp(parts[q].fams[k].name, f->name) == 0;
            if (seen)
                continue; /* written with its first occurrence */
            buf_append(&out->text, parts[p].text.p + f->t_head, f->t_body - f->t_head);
            if (out->om_split)
                buf_append(&out->om, om_bytes(&parts[p]) + f->o_head, f->o_body - f->o_head);
            for (size_t q = p; q < n; q++) {
                for (size_t k = q == p ? i : 0; k < parts[q].nfams; k++) {
                    const struct render_fam *g = &parts[q].fams[k];
                    if (strcmp(g->name, f->name) != 0)
                        continue;
                    buf_append(&out->text, parts[q].text.p + g->t_body, g->t_end - g->t_body);
                    if (out->om_split)
                        buf_append(&out->om, om_bytes(&parts[q]) + g->o_body, g->o_end - g->o_body);
                }
            }
        }
        out->series += parts[p].series;
    }
}

void render_filter_base(const char *in, size_t len, const char *name, const char *value,
                        struct buf *out)
{
    struct buf want = {0};
    buf_printf(&want, "{%s=\"", name);
    size_t prefix = want.len; /* `{name="`: the series has the label first */
    render_escape_label(&want, value);
    buf_append(&want, "\"", 1);
    const char *p = in, *end = in + len;
    /* the pending metadata lines of the current family: [head, head_end) */
    const char *head = NULL, *head_end = NULL;
    bool after_sample = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        if (*p == '#') {
            if (after_sample || !head)
                head = p;
            head_end = le;
            after_sample = false;
        } else {
            after_sample = true;
            const char *b = p;
            while (b < le && *b != '{' && *b != ' ')
                b++;
            size_t rest = (size_t)(le - b);
            bool labelled = rest >= prefix && memcmp(b, want.p, prefix) == 0;
            bool keep = !labelled || (rest > want.len && memcmp(b, want.p, want.len) == 0 &&
                                      (b[want.len] == ',' || b[want.len] == '}'));
            if (keep) {
                if (head)
                    buf_append(out, head, (size_t)(head_end - head));
                head = NULL;
                buf_append(out, p, (size_t)(le - p));
            }
        }
        p = le;
    }
    buf_free(&want);
}
