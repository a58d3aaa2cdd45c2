/* SPDX-License-Identifier: Apache-2.0 */
/* The YAML subset reader. It works line by line: a block node is the run of
 * lines at one indentation; each line is parsed where its meaning is known, so
 * quotes, comments and scalars are read once. Refuses what it does not know
 * (anchors, tags, folded scalars, multi-line plain scalars, documents after the
 * first) instead of guessing. */
#include "util/yaml.h"
#include "util/buf.h"
#include "util/hex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YAML_MAX_DEPTH 32

struct yline {
    const char *p; /* first byte after the indentation */
    size_t len;    /* content length, without the line break */
    const char *raw;
    size_t raw_len;
    int no;
    int indent;
    bool tab_indent; /* a tab among the leading whitespace */
    bool blank;      /* empty or a comment only */
};

struct yparser {
    struct yline *lines;
    size_t n, i;
    int depth;
    struct yaml_error *err;
};

__attribute__((format(printf, 3, 4))) static int fail(struct yparser *y, int line, const char *fmt,
                                                      ...)
{
    if (y->err->msg[0])
        return -EINVAL; /* keep the first, innermost message */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(y->err->msg, sizeof(y->err->msg), fmt, ap);
    va_end(ap);
    y->err->line = line;
    return -EINVAL;
}

static struct yaml_node *node_new(enum yaml_type t, int line)
{
    struct yaml_node *n = xcalloc(1, sizeof(*n));
    n->type = t;
    n->line = line;
    return n;
}

void yaml_free(struct yaml_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        yaml_free(n->items[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_lines);
    free(n->str);
    free(n);
}

const char *yaml_type_name(const struct yaml_node *n)
{
    if (!n)
        return "nothing";
    switch (n->type) {
    case YAML_NULL:
        return "an empty value";
    case YAML_SCALAR:
        return "a string";
    case YAML_MAP:
        return "a mapping";
    case YAML_SEQ:
        return "a list";
    }
    return "?";
}

static void node_push(struct yaml_node *n, char *key, int key_line, struct yaml_node *item)
{
    if (n->n == n->cap) {
        n->cap = n->cap ? n->cap * 2 : 4;
        n->items = xrealloc(n->items, n->cap * sizeof(void *));
        if (n->type == YAML_MAP) {
            n->keys = xrealloc(n->keys, n->cap * sizeof(void *));
            n->key_lines = xrealloc(n->key_lines, n->cap * sizeof(*n->key_lines));
        }
    }
    if (n->type == YAML_MAP) {
        n->keys[n->n] = key;
        n->key_lines[n->n] = key_line;
    }
    n->items[n->n++] = item;
}

/* Splits the text into lines and measures their indentation. */
static int split_lines(struct yparser *y, const char *text, size_t len)
{
    size_t cap = 64;
    y->lines = xmalloc(cap * sizeof(*y->lines));
    size_t pos = 0;
    int no = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* byte order mark */
    if (memchr(text, '\0', len)) {
        const char *z = memchr(text, '\0', len);
        int zl = 1;
        for (const char *q = text; q < z; q++)
            zl += *q == '\n';
        return fail(y, zl, "NUL byte in the file");
    }
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + (nl ? 1 : 0);
        no++;
        if (l && s[l - 1] == '\r')
            l--;
        if (y->n == cap) {
            cap *= 2;
            y->lines = xrealloc(y->lines, cap * sizeof(*y->lines));
        }
        struct yline *ln = &y->lines[y->n++];
        memset(ln, 0, sizeof(*ln));
        ln->raw = s;
        ln->raw_len = l;
        ln->no = no;
        size_t k = 0;
        while (k < l && (s[k] == ' ' || s[k] == '\t')) {
            if (s[k] == '\t')
                ln->tab_indent = true;
            k++;
        }
        /* Indentation counts spaces only up to the first tab. */
        size_t sp = 0;
        while (sp < l && s[sp] == ' ')
            sp++;
        ln->indent = (int)sp;
        ln->p = s + k;
        ln->len = l - k;
        ln->blank = ln->len == 0 || ln->p[0] == '#';
    }
    return 0;
}

/* Skips blank and comment lines; returns the next line or NULL at the end. */
static struct yline *peek(struct yparser *y)
{
    while (y->i < y->n && y->lines[y->i].blank)
        y->i++;
    return y->i < y->n ? &y->lines[y->i] : NULL;
}

/* True when s[0..n) holds only spaces, optionally followed by a comment. */
static bool rest_blank(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t'))
        k++;
    return k == n || s[k] == '#';
}

static bool is_dash_item(const struct yline *l)
{
    return l->len >= 1 && l->p[0] == '-' && (l->len == 1 || l->p[1] == ' ' || l->p[1] == '\t');
}

static void put_utf8(struct buf *b, uint32_t c)
{
    if (c < 0x80) {
        buf_putc(b, (char)c);
    } else if (c < 0x800) {
        buf_putc(b, (char)(0xC0 | (c >> 6)));
        buf_putc(b, (char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        buf_putc(b, (char)(0xE0 | (c >> 12)));
        buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (c & 0x3F)));
    } else {
        buf_putc(b, (char)(0xF0 | (c >> 18)));
        buf_putc(b, (char)(0x80 | ((c >> 12) & 0x3F)));
        buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (c & 0x3F)));
    }
}

/* Reads a quoted scalar starting at s[0] (a ' or "). On success *used is the
 * number of bytes consumed including both quotes and *out the decoded text. */
static int read_quoted(struct yparser *y, int line, const char *s, size_t n, size_t *used,
                       char **out)
{
    char q = s[0];
    struct buf b = {0};
    size_t k = 1;
    for (;;) {
        if (k >= n) {
            buf_free(&b);
            return fail(y, line,
                        "unterminated %s-quoted string (quoted strings must end on "
                        "the line they start)",
                        q == '"' ? "double" : "single");
        }
        char c = s[k];
        if (c == q) {
            if (q == '\'' && k + 1 < n && s[k + 1] == '\'') {
                buf_putc(&b, '\'');
                k += 2;
                continue;
            }
            k++;
            break;
        }
        if (q == '"' && c == '\\') {
            if (k + 1 >= n) {
                buf_free(&b);
                return fail(y, line, "unterminated escape in a double-quoted string");
            }
            char e = s[k + 1];
            k += 2;
            int digits = 0;
            switch (e) {
            case '\\':
            case '"':
            case '/':
                buf_putc(&b, e);
                break;
            case 'n':
                buf_putc(&b, '\n');
                break;
            case 't':
                buf_putc(&b, '\t');
                break;
            case 'r':
                buf_putc(&b, '\r');
                break;
            case ' ':
                buf_putc(&b, ' ');
                break;
            case 'x':
                digits = 2;
                break;
            case 'u':
                digits = 4;
                break;
            case 'U':
                digits = 8;
                break;
            default:
                buf_free(&b);
                return fail(y, line, "unsupported escape \"\\%c\" in a double-quoted string", e);
            }
            if (digits) {
                uint32_t v = 0;
                for (int d = 0; d < digits; d++) {
                    int h = k < n ? hex_value(s[k]) : -1;
                    if (h < 0) {
                        buf_free(&b);
                        return fail(y, line, "bad \\%c escape in a double-quoted string", e);
                    }
                    v = v * 16 + (uint32_t)h;
                    k++;
                }
                if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
                    buf_free(&b);
                    return fail(y, line, "escape \\%c gives an invalid character", e);
                }
                put_utf8(&b, v);
            }
            continue;
        }
        buf_putc(&b, c);
        k++;
    }
    buf_cstr(&b);
    *out = b.p ? b.p : xstrdup("");
    *used = k;
    return 0;
}

static const char reserved_start[] = "&*!%@`|>{}[],";

/* A plain scalar from s[0..n): ends at a comment (" #") or the end; trailing
 * spaces are dropped. Refuses forms that mean something else in YAML. */
static int read_plain(struct yparser *y, int line, const char *s, size_t n, bool in_flow,
                      size_t *used, char **out)
{
    if (n && strchr(reserved_start, s[0])) {
        if (s[0] == '&' || s[0] == '*')
            return fail(y, line, "anchors and aliases (%c) are not supported", s[0]);
        if (s[0] == '!')
            return fail(y, line, "tags (!) are not supported");
        if (s[0] == '>')
            return fail(y, line, "folded scalars (>) are not supported; use a literal block (|)");
        return fail(y, line, "a plain value cannot start with '%c'; quote it", s[0]);
    }
    size_t k = 0;
    while (k < n) {
        if (s[k] == '#' && k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            break;
        if (in_flow && (s[k] == ',' || s[k] == ']' || s[k] == '[' || s[k] == '{' || s[k] == '}'))
            break;
        if (s[k] == ':' && (k + 1 == n || s[k + 1] == ' ' || s[k + 1] == '\t'))
            return fail(y, line,
                        "unexpected ':' in a value (nested mappings must go on their "
                        "own lines; quote the value if it contains \": \")");
        k++;
    }
    size_t e = k;
    while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    char *v = xmalloc(e + 1);
    memcpy(v, s, e);
    v[e] = '\0';
    *out = v;
    *used = k;
    return 0;
}

static int parse_block(struct yparser *y, int indent, struct yaml_node **out);

/* A literal block scalar: the header (| with optional chomping and
 * indentation indicators) is in h[0..n); content is the following lines. */
static int read_literal(struct yparser *y, const struct yline *hl, const char *h, size_t n,
                        int parent_indent, struct yaml_node **out)
{
    char chomp = 'c';
    int explicit_ind = 0;
    size_t k = 1;
    for (int t = 0; t < 2 && k < n; t++) {
        if (h[k] == '-' || h[k] == '+') {
            chomp = h[k];
            k++;
        } else if (h[k] >= '1' && h[k] <= '9') {
            explicit_ind = h[k] - '0';
            k++;
        }
    }
    if (!rest_blank(h + k, n - k) || (k < n && h[k] != ' ' && h[k] != '\t' && h[k] != '#'))
        return fail(y, hl->no, "unexpected text after the block scalar indicator");
    y->i++; /* past the header line */
    int bind = explicit_ind ? parent_indent + explicit_ind : -1;
    size_t first = y->i, end = y->i;
    for (size_t j = y->i; j < y->n; j++) {
        const struct yline *l = &y->lines[j];
        bool empty = l->len == 0;
        if (empty) {
            end = j + 1;
            continue;
        }
        if (bind < 0) {
            if (l->indent <= parent_indent)
                break;
            if (l->tab_indent && (size_t)l->indent < (size_t)(l->p - l->raw))
                return fail(y, l->no, "tab characters are not allowed in indentation");
            bind = l->indent;
        }
        if (l->indent < bind)
            break;
        end = j + 1;
    }
    struct buf b = {0};
    size_t trailing_nl = 0;
    for (size_t j = first; j < end; j++) {
        const struct yline *l = &y->lines[j];
        if (l->len == 0) {
            trailing_nl++;
            continue;
        }
        for (; trailing_nl; trailing_nl--)
            buf_putc(&b, '\n');
        if (b.len)
            buf_putc(&b, '\n');
        buf_append(&b, l->raw + bind, l->raw_len - (size_t)bind);
    }
    /* Chomping: clip keeps one final line break, strip none, keep all. */
    if (b.len) {
        if (chomp == 'c')
            buf_putc(&b, '\n');
        else if (chomp == '+')
            for (size_t t = 0; t <= trailing_nl; t++)
                buf_putc(&b, '\n');
    }
    y->i = end;
    struct yaml_node *v = node_new(YAML_SCALAR, hl->no);
    buf_cstr(&b);
    v->str = b.p ? b.p : xstrdup("");
    v->quoted = true;
    *out = v;
    return 0;
}

/* One-line flow sequence [a, "b", 'c']. */
static int read_flow_seq(struct yparser *y, int line, const char *s, size_t n,
                         struct yaml_node **out)
{
    struct yaml_node *seq = node_new(YAML_SEQ, line);
    size_t k = 1;
    int rc = 0;
    for (;;) {
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k >= n) {
            rc = fail(y, line, "unterminated flow sequence ('[' without ']' on the same line)");
            goto out;
        }
        if (s[k] == ']') {
            k++;
            break;
        }
        char *v = NULL;
        size_t used = 0;
        bool quoted = s[k] == '"' || s[k] == '\'';
        if (s[k] == '[' || s[k] == '{') {
            rc = fail(y, line, "nested flow collections are not supported");
            goto out;
        }
        rc = quoted ? read_quoted(y, line, s + k, n - k, &used, &v)
                    : read_plain(y, line, s + k, n - k, true, &used, &v);
        if (rc || !v) {
            rc = -EINVAL;
            goto out;
        }
        k += used;
        if (!quoted && v[0] == '\0') {
            free(v);
            rc = fail(y, line, "empty item in a flow sequence");
            goto out;
        }
        struct yaml_node *it = node_new(YAML_SCALAR, line);
        it->str = v;
        it->quoted = quoted;
        node_push(seq, NULL, 0, it);
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k >= n) {
            rc = fail(y, line, "unterminated flow sequence ('[' without ']' on the same line)");
            goto out;
        }
        if (s[k] == ',') {
            k++;
            continue;
        }
        if (s[k] == ']') {
            k++;
            break;
        }
        rc = fail(y, line, "expected ',' or ']' in a flow sequence");
        goto out;
    }
    if (!rest_blank(s + k, n - k))
        rc = fail(y, line, "unexpected text after ']'");
out:
    if (rc) {
        yaml_free(seq);
        return rc;
    }
    *out = seq;
    return 0;
}

/* The value written on the same line as its key or dash, s[0..n) non-empty.
 * May consume following lines (literal blocks). */
static int parse_inline(struct yparser *y, const struct yline *l, const char *s, size_t n,
                        int parent_indent, struct yaml_node **out)
{
    if (s[0] == '|')
        return read_literal(y, l, s, n, parent_indent, out);
    int rc;
    if (s[0] == '[') {
        rc = read_flow_seq(y, l->no, s, n, out);
    } else if (s[0] == '{') {
        size_t k = 1;
        while (k < n && s[k] == ' ')
            k++;
        if (k >= n || s[k] != '}' || !rest_blank(s + k + 1, n - k - 1))
            return fail(y, l->no, "flow mappings ({...}) are not supported; use one key per line");
        *out = node_new(YAML_MAP, l->no);
        rc = 0;
    } else if (s[0] == '"' || s[0] == '\'') {
        char *v = NULL;
        size_t used = 0;
        rc = read_quoted(y, l->no, s, n, &used, &v);
        if (rc)
            return rc;
        if (!rest_blank(s + used, n - used)) {
            free(v);
            return fail(y, l->no, "unexpected text after a quoted string");
        }
        struct yaml_node *nd = node_new(YAML_SCALAR, l->no);
        nd->str = v;
        nd->quoted = true;
        *out = nd;
    } else {
        char *v = NULL;
        size_t used = 0;
        rc = read_plain(y, l->no, s, n, false, &used, &v);
        if (rc || !v)
            return -EINVAL;
        if (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
            strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0) {
            free(v);
            *out = node_new(YAML_NULL, l->no);
        } else {
            struct yaml_node *nd = node_new(YAML_SCALAR, l->no);
            nd->str = v;
            *out = nd;
        }
    }
    if (rc == 0)
        y->i++;
    return rc;
}

/* The value of "key:" or "-" with nothing after it: a nested block on the
 * following lines, or null. A sequence may sit at the key's own indentation. */
static int parse_nested(struct yparser *y, int line, int indent, bool seq_same_indent,
                        struct yaml_node **out)
{
    struct yline *nx = peek(y);
    if (nx && nx->indent > indent)
        return parse_block(y, nx->indent, out);
    if (nx && seq_same_indent && nx->indent == indent && is_dash_item(nx))
        return parse_block(y, indent, out);
    *out = node_new(YAML_NULL, line);
    return 0;
}

/* The next line of a block at `indent`: *out = NULL when the block ends
 * (end of input or a shallower line), an error naming the line for tab
 * indentation or a deeper line (`deeper` says why). */
static int block_line(struct yparser *y, int indent, const char *deeper, struct yline **out)
{
    struct yline *l = peek(y);
    *out = NULL;
    if (!l || l->indent < indent)
        return 0;
    if (l->tab_indent)
        return fail(y, l->no, "tab characters are not allowed in indentation");
    if (l->indent > indent)
        return fail(y, l->no, "%s", deeper);
    *out = l;
    return 0;
}

static int parse_seq(struct yparser *y, int indent, struct yaml_node **out)
{
    struct yaml_node *seq = node_new(YAML_SEQ, y->lines[y->i].no);
    int rc = 0;
    for (;;) {
        struct yline *l;
        rc = block_line(y, indent, "unexpected indentation", &l);
        if (rc || !l)
            break;
        if (!is_dash_item(l))
            break; /* back to the enclosing mapping */
        size_t k = 1;
        while (k < l->len && (l->p[k] == ' ' || l->p[k] == '\t'))
            k++;
        struct yaml_node *item = NULL;
        if (k >= l->len || l->p[k] == '#') {
            y->i++;
            rc = parse_nested(y, l->no, indent, false, &item);
        } else if (is_dash_item(&(struct yline){.p = l->p + k, .len = l->len - k})) {
            rc = fail(y, l->no, "nested sequences on one line are not supported");
        } else {
            /* "- key: value" would be a mapping inside a list: not needed
             * by any configuration here, so refused rather than half-read. */
            const char *s = l->p + k;
            size_t n = l->len - k;
            bool quoted = s[0] == '"' || s[0] == '\'';
            if (!quoted && s[0] != '[' && s[0] != '|') {
                for (size_t j = 0; j < n; j++) {
                    if (s[j] == '#' && j > 0 && s[j - 1] == ' ')
                        break;
                    if (s[j] == ':' && (j + 1 == n || s[j + 1] == ' ')) {
                        rc = fail(y, l->no, "mappings inside lists are not supported");
                        goto out;
                    }
                }
            }
            rc = parse_inline(y, l, s, n, indent, &item);
        }
        if (rc)
            goto out;
        node_push(seq, NULL, 0, item);
    }
out:
    if (rc) {
        yaml_free(seq);
        return rc;
    }
    *out = seq;
    return 0;
}

/* Reads the key of a "key: value" line; *after is the offset just past ':'. */
static int read_key(struct yparser *y, const struct yline *l, char **key, size_t *after)
{
    const char *s = l->p;
    size_t n = l->len;
    if (s[0] == '"' || s[0] == '\'') {
        size_t used = 0;
        int rc = read_quoted(y, l->no, s, n, &used, key);
        if (rc)
            return rc;
        while (used < n && s[used] == ' ')
            used++;
        if (used >= n || s[used] != ':' ||
            (used + 1 < n && s[used + 1] != ' ' && s[used + 1] != '\t')) {
            free(*key);
            *key = NULL;
            return fail(y, l->no, "expected ':' after the quoted key");
        }
        *after = used + 1;
        return 0;
    }
    if (s[0] == '?')
        return fail(y, l->no, "complex keys (?) are not supported");
    if (strchr("&*!|>%@`{}[],", s[0]))
        return fail(y, l->no, "a key cannot start with '%c'", s[0]);
    if (n >= 3 && memcmp(s, "---", 3) == 0 && (n == 3 || s[3] == ' '))
        return fail(y, l->no, "only one YAML document is allowed");
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '#' && k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            break;
        if (s[k] == ':' && (k + 1 == n || s[k + 1] == ' ' || s[k + 1] == '\t')) {
            size_t e = k;
            while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
            if (e == 0)
                return fail(y, l->no, "empty key");
            *key = xmalloc(e + 1);
            memcpy(*key, s, e);
            (*key)[e] = '\0';
            *after = k + 1;
            return 0;
        }
    }
    return fail(y, l->no, "expected \"key: value\"");
}

static int parse_map(struct yparser *y, int indent, struct yaml_node **out)
{
    struct yaml_node *map = node_new(YAML_MAP, y->lines[y->i].no);
    int rc = 0;
    for (;;) {
        struct yline *l;
        rc = block_line(y, indent,
                        "unexpected indentation (a value continued on the next line must be "
                        "quoted on one line or written as a literal block with |)",
                        &l);
        if (rc || !l)
            break;
        if (is_dash_item(l)) {
            rc = fail(y, l->no, "expected \"key: value\", found a list item");
            goto out;
        }
        if (l->len >= 3 && memcmp(l->p, "...", 3) == 0 && rest_blank(l->p + 3, l->len - 3) &&
            indent == 0) {
            /* document end marker: nothing may follow */
            y->i++;
            struct yline *t = peek(y);
            if (t)
                rc = fail(y, t->no, "content after the document end marker (...)");
            goto out;
        }
        char *key = NULL;
        size_t after = 0;
        rc = read_key(y, l, &key, &after);
        if (rc || !key) {
            rc = -EINVAL;
            goto out;
        }
        for (size_t j = 0; j < map->n; j++) {
            if (strcmp(map->keys[j], key) == 0) {
                rc = fail(y, l->no, "duplicate key \"%s\" (first on line %d)", key,
                          map->key_lines[j]);
                free(key);
                goto out;
            }
        }
        size_t k = after;
        while (k < l->len && (l->p[k] == ' ' || l->p[k] == '\t'))
            k++;
        struct yaml_node *val = NULL;
        if (k >= l->len || l->p[k] == '#') {
            y->i++;
            rc = parse_nested(y, l->no, indent, true, &val);
        } else {
            rc = parse_inline(y, l, l->p + k, l->len - k, indent, &val);
        }
        if (rc) {
            free(key);
            goto out;
        }
        node_push(map, key, l->no, val);
    }
out:
    if (rc) {
        yaml_free(map);
        return rc;
    }
    *out = map;
    return 0;
}

static int parse_block(struct yparser *y, int indent, struct yaml_node **out)
{
    struct yline *l = peek(y);
    if (!l) {
        *out = node_new(YAML_NULL, y->n ? y->lines[y->n - 1].no : 1);
        return 0;
    }
    if (l->tab_indent)
        return fail(y, l->no, "tab characters are not allowed in indentation");
    if (++y->depth > YAML_MAX_DEPTH) {
        y->depth--;
        return fail(y, l->no, "nesting deeper than %d levels", YAML_MAX_DEPTH);
    }
    int rc;
    if (is_dash_item(l)) {
        rc = parse_seq(y, indent, out);
    } else {
        /* A lone scalar as a whole block ("key:\n  value") */
        bool looks_map = false;
        const char *s = l->p;
        if (s[0] == '"' || s[0] == '\'') {
            char *tmp = NULL;
            size_t used = 0;
            struct yaml_error save = *y->err;
            if (read_quoted(y, l->no, s, l->len, &used, &tmp) == 0) {
                size_t k = used;
                while (k < l->len && s[k] == ' ')
                    k++;
                looks_map = k < l->len && s[k] == ':';
            }
            *y->err = save;
            free(tmp);
        } else {
            for (size_t k = 0; k < l->len; k++) {
                if (s[k] == '#' && k > 0 && s[k - 1] == ' ')
                    break;
                if (s[k] == ':' && (k + 1 == l->len || s[k + 1] == ' ' || s[k + 1] == '\t')) {
                    looks_map = true;
                    break;
                }
            }
        }
        if (looks_map || s[0] == '?') {
            rc = parse_map(y, indent, out);
        } else {
            rc = parse_inline(y, l, s, l->len, indent - 1, out);
            struct yline *t = rc == 0 ? peek(y) : NULL;
            if (rc == 0 && t && t->indent >= indent) {
                yaml_free(*out);
                *out = NULL;
                rc = fail(y, t->no,
                          "unexpected line after a value (multi-line plain values are "
                          "not supported; use a literal block with |)");
            }
        }
    }
    y->depth--;
    return rc;
}

int yaml_parse(const char *text, size_t len, struct yaml_node **out, struct yaml_error *err)
{
    struct yparser y;
    memset(&y, 0, sizeof(y));
    memset(err, 0, sizeof(*err));
    y.err = err;
    *out = NULL;
    int rc = split_lines(&y, text, len);
    if (rc)
        goto out;
    /* Directives and a leading document start marker. */
    struct yline *l = peek(&y);
    while (l && l->indent == 0 && l->p[0] == '%') {
        rc = fail(&y, l->no, "YAML directives (%%) are not supported");
        goto out;
    }
    if (l && l->indent == 0 && l->len >= 3 && memcmp(l->p, "---", 3) == 0 &&
        rest_blank(l->p + 3, l->len - 3)) {
        y.i++;
        l = peek(&y);
    }
    if (l && l->indent != 0) {
        rc = fail(&y, l->no, "the top level must not be indented");
        goto out;
    }
    rc = parse_block(&y, 0, out);
    if (rc)
        goto out;
    l = peek(&y);
    if (l) {
        if (l->len >= 3 && memcmp(l->p, "---", 3) == 0)
            rc = fail(&y, l->no, "only one YAML document is allowed");
        else
            rc = fail(&y, l->no, "unexpected text");
    }
out:
    if (rc) {
        yaml_free(*out);
        *out = NULL;
    }
    free(y.lines);
    return rc;
}
