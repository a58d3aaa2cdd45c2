/* SPDX-License-Identifier: Apache-2.0 */
/* The counter key file of active-only HA (ha_counters.h has the format):
 * written from an exposition's text, read back into a render of zeros. */
#include "ha_counters.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/token.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A family's name as render_family keeps it (struct render.family). */
#define NAME_MAX_LEN 127

/* ---- a set of byte strings --------------------------------------------- */

struct kslot {
    size_t off; /* in store, + 1; 0 = empty */
    size_t len;
    uint64_t h;
};

struct keyset {
    struct buf store;
    struct kslot *slots;
    size_t n, cap; /* cap: a power of two */
};

static uint64_t key_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

static size_t key_slot(const struct keyset *s, const char *k, size_t n, uint64_t h)
{
    size_t i = hash_slot(h, s->cap);
    while (s->slots[i].off) {
        const struct kslot *e = &s->slots[i];
        if (e->h == h && e->len == n && memcmp(s->store.p + e->off - 1, k, n) == 0)
            break;
        i = (i + 1) & (s->cap - 1);
    }
    return i;
}

static bool keyset_has(const struct keyset *s, const char *k, size_t n)
{
    return s->cap && s->slots[key_slot(s, k, n, key_hash(k, n))].off;
}

/* Adds k; false when it was there already. */
static bool keyset_add(struct keyset *s, const char *k, size_t n)
{
    uint64_t h = key_hash(k, n);
    if (s->cap && s->slots[key_slot(s, k, n, h)].off)
        return false;
    if ((s->n + 1) * 2 > s->cap) {
        struct keyset t = *s;
        t.cap = s->cap ? s->cap * 2 : 64;
        t.slots = xcalloc(t.cap, sizeof(*t.slots));
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i].off)
                t.slots[key_slot(&t, s->store.p + s->slots[i].off - 1, s->slots[i].len,
                                 s->slots[i].h)] = s->slots[i];
        free(s->slots);
        *s = t;
    }
    struct kslot *e = &s->slots[key_slot(s, k, n, h)];
    e->off = s->store.len + 1;
    e->len = n;
    e->h = h;
    buf_append(&s->store, k, n);
    s->n++;
    return true;
}

static void keyset_free(struct keyset *s)
{
    buf_free(&s->store);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

/* A series' key: the family's name, then each label's name and value, each
 * followed by a NUL (no name or value holds one). */
static void series_key(struct buf *k, const char *fam, const struct label *l, size_t nl)
{
    k->len = 0;
    buf_append(k, fam, strlen(fam) + 1);
    for (size_t i = 0; i < nl; i++) {
        buf_append(k, l[i].name, strlen(l[i].name) + 1);
        buf_append(k, l[i].value, strlen(l[i].value) + 1);
    }
}

/* A family's key in the set of the own text's families: its name, a NUL
 * and its type. */
static void family_key(struct buf *k, const char *fam, enum mtype t)
{
    k->len = 0;
    buf_append(k, fam, strlen(fam) + 1);
    buf_putc(k, t == M_COUNTER ? 'c' : 'h');
}

static bool name_ok(const char *s, size_t n, bool metric)
{
    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && ((metric && c == ':') || (c >= '0' && c <= '9')));
        if (!ok)
            return false;
    }
    return true;
}

/* Valid UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF), as every label value the renderer writes. */
static bool utf8_ok(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s;
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (!n)
            return false;
        for (size_t i = 1; i < n; i++)
            if ((s[i] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
            (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return false;
        s += n;
    }
    return true;
}

/* A family's exposed names are taken (a counter's "N" and "N_total", a
 * histogram's "H"): false when one is already, so no two families of the
 * file write the same name in either format. */
static bool claim_names(struct keyset *names, const char *name, enum mtype type)
{
    char total[NAME_MAX_LEN + 8];
    size_t n = strlen(name);
    if (type == M_COUNTER) {
        snprintf(total, sizeof(total), "%s_total", name);
        if (keyset_has(names, name, n) || keyset_has(names, total, n + 6))
            return false;
        keyset_add(names, total, n + 6);
    }
    return keyset_add(names, name, n);
}

/* Every label value valid UTF-8, no label name twice. */
static bool labels_ok(const struct label *l, size_t nl)
{
    for (size_t i = 0; i < nl; i++)
        if (!utf8_ok(l[i].value))
            return false;
    for (size_t i = 0; i < nl; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(l[i].name, l[j].name) == 0)
                return false;
    return true;
}

/* ---- the exposition text (0.0.4): its counter and histogram series ------- */

struct series_ev {
    const char *family; /* a counter's without "_total" */
    enum mtype type;
    const char *help;
    const struct label *l;
    size_t nl;
    const double *bounds; /* a histogram's, this series' own */
    size_t nb;
    bool bounds_ok;
};

typedef void (*series_fn)(void *ctx, const struct series_ev *ev);

struct xparse {
    bool have; /* in a counter or histogram family */
    char fam[NAME_MAX_LEN + 1];
    enum mtype type;
    struct buf help, pending_help;
    char help_for[NAME_MAX_LEN + 8];
    double bounds[HA_KEYS_MAX_BOUNDS];
    size_t nb;
    bool bounds_bad;
    struct buf scratch;
    size_t off[2 * HA_KEYS_MAX_LABELS];
    struct label lab[HA_KEYS_MAX_LABELS];
};

/* Unescapes a HELP text or a label value of the text format (\\, \n, \");
 * another backslash stays as it is. */
static void unescape(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == 'n' || s[i + 1] == '"')) {
            i++;
            buf_putc(b, s[i] == 'n' ? '\n' : s[i]);
        } else {
            buf_putc(b, s[i]);
        }
    }
}

static bool starts(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && memcmp(s, w, k) == 0;
}

/* The labels of a sample from its '{' at *p: into x->lab, *nl of them;
 * *p past the '}'. */
static bool x_labels(struct xparse *x, const char **p, const char *end, size_t *nl)
{
    const char *s = *p + 1;
    size_t n = 0;
    x->scratch.len = 0;
    for (;;) {
        if (s < end && *s == '}')
            break;
        const char *nm = s;
        while (s < end && *s != '=' && *s != '}' && *s != ',')
            s++;
        if (s >= end || *s != '=' || !name_ok(nm, (size_t)(s - nm), false) ||
            n == HA_KEYS_MAX_LABELS)
            return false;
        x->off[2 * n] = x->scratch.len;
        buf_append(&x->scratch, nm, (size_t)(s - nm));
        buf_putc(&x->scratch, '\0');
        s++;
        if (s >= end || *s != '"')
            return false;
        const char *v = ++s;
        while (s < end && *s != '"')
            s += *s == '\\' && s + 1 < end ? 2 : 1;
        if (s >= end)
            return false;
        x->off[2 * n + 1] = x->scratch.len;
        unescape(&x->scratch, v, (size_t)(s - v));
        buf_putc(&x->scratch, '\0');
        n++;
        s++;
        if (s < end && *s == ',')
            s++;
        else if (s >= end || *s != '}')
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        x->lab[i].name = x->scratch.p + x->off[2 * i];
        x->lab[i].value = x->scratch.p + x->off[2 * i + 1];
    }
    *nl = n;
    *p = s + 1;
    return labels_ok(x->lab, n);
}

static void x_meta(struct xparse *x, const char *s, size_t n)
{
    bool help = starts(s, n, "# HELP "), type = starts(s, n, "# TYPE ");
    if (!help && !type)
        return;
    const char *nm = s + 7, *end = s + n, *e = nm;
    while (e < end && *e != ' ')
        e++;
    size_t nn = (size_t)(e - nm);
    const char *rest = e < end ? e + 1 : end;
    if (help) {
        if (nn >= sizeof(x->help_for)) {
            x->help_for[0] = '\0';
            return;
        }
        memcpy(x->help_for, nm, nn);
        x->help_for[nn] = '\0';
        x->pending_help.len = 0;
        unescape(&x->pending_help, rest, (size_t)(end - rest));
        return;
    }
    x->have = false;
    x->nb = 0;
    x->bounds_bad = false;
    size_t tn = (size_t)(end - rest), base = nn;
    if (tn == 7 && memcmp(rest, "counter", 7) == 0) {
        if (nn <= 6 || memcmp(nm + nn - 6, "_total", 6) != 0)
            return; /* not how the 0.0.4 text names a counter */
        base = nn - 6;
        x->type = M_COUNTER;
    } else if (tn == 9 && memcmp(rest, "histogram", 9) == 0) {
        x->type = M_HISTOGRAM;
    } else {
        return;
    }
    if (!name_ok(nm, base, true))
        return;
    memcpy(x->fam, nm, base);
    x->fam[base] = '\0';
    x->help.len = 0;
    if (strlen(x->help_for) == nn && memcmp(x->help_for, nm, nn) == 0)
        buf_append(&x->help, x->pending_help.p, x->pending_help.len);
    buf_putc(&x->help, '\0');
    x->have = true;
}

static void x_line(struct xparse *x, const char *s, size_t n, series_fn fn, void *ctx)
{
    if (n == 0 || memchr(s, '\0', n))
        return;
    if (s[0] == '#') {
        x_meta(x, s, n);
        return;
    }
    if (!x->have)
        return;
    const char *end = s + n, *p = s;
    while (p < end && *p != '{' && *p != ' ')
        p++;
    size_t mn = (size_t)(p - s), fl = strlen(x->fam);
    if (mn <= fl || memcmp(s, x->fam, fl) != 0)
        return;
    const char *sfx = s + fl;
    size_t sn = mn - fl;
#define SFX(w) (sn == sizeof(w) - 1 && memcmp(sfx, w, sn) == 0)
    int kind = x->type == M_COUNTER ? (SFX("_total") ? 1 : 0)
                                    : (SFX("_bucket")  ? 2
                                       : SFX("_count") ? 3
                                                       : 0);
#undef SFX
    if (!kind)
        return;
    size_t nl = 0;
    if (p < end && *p == '{' && !x_labels(x, &p, end, &nl))
        return;
    if (p >= end || *p != ' ')
        return; /* no value */
    struct series_ev ev = {.family = x->fam, .type = x->type, .help = x->help.p, .l = x->lab};
    if (kind == 2) { /* a bucket: its bound, "le" taken out */
        size_t k = 0;
        while (k < nl && strcmp(x->lab[k].name, "le") != 0)
            k++;
        if (k == nl) {
            x->bounds_bad = true;
            return;
        }
        const char *le = x->lab[k].value;
        if (strcmp(le, "+Inf") == 0)
            return;
        char *ep;
        double v = strtod(le, &ep);
        if (*le == '\0' || *ep || !isfinite(v) || x->nb == HA_KEYS_MAX_BOUNDS ||
            (x->nb && !(v > x->bounds[x->nb - 1])))
            x->bounds_bad = true;
        else
            x->bounds[x->nb++] = v;
        return;
    }
    if (kind == 3) {
        for (size_t k = 0; k < nl; k++)
            if (strcmp(x->lab[k].name, "le") == 0) { /* not a histogram's count */
                x->nb = 0;
                x->bounds_bad = false;
                return;
            }
        ev.bounds = x->bounds;
        ev.nb = x->nb;
        ev.bounds_ok = !x->bounds_bad;
    }
    ev.nl = nl;
    fn(ctx, &ev);
    x->nb = 0;
    x->bounds_bad = false;
}

static void expo_parse(const char *text, size_t len, series_fn fn, void *ctx)
{
    struct xparse x;
    memset(&x, 0, sizeof(x));
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        x_line(&x, p, (size_t)(le - p), fn, ctx);
        p = nl ? nl + 1 : end;
    }
    buf_free(&x.help);
    buf_free(&x.pending_help);
    buf_free(&x.scratch);
}

/* ---- writing ------------------------------------------------------------ */

static void put_str(struct buf *b, const char *s)
{
    buf_putc(b, ' ');
    tok_put_name(b, s);
}

struct wfam {
    char name[NAME_MAX_LEN + 1];
    enum mtype type;
    char *help;
    double bounds[HA_KEYS_MAX_BOUNDS];
    size_t nb;
    bool dead; /* a histogram whose bounds could not be read */
    struct buf lines;
    size_t nseries;
};

struct wctx {
    struct ha_keys_limits lim;
    struct wfam *fams;
    size_t nfams;
    struct keyset series, names;
    struct buf key, line;
    size_t nseries, dropped;
};

static void w_series(void *ctx, const struct series_ev *ev)
{
    struct wctx *w = ctx;
    series_key(&w->key, ev->family, ev->l, ev->nl);
    if (!keyset_add(&w->series, w->key.p, w->key.len))
        return; /* twice in the text */
    struct wfam *f = NULL;
    for (size_t i = w->nfams; i-- > 0 && !f;)
        if (strcmp(w->fams[i].name, ev->family) == 0)
            f = &w->fams[i];
    if (!f) {
        if (w->nfams == w->lim.families) {
            w->dropped++;
            return;
        }
        f = &w->fams[w->nfams++];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", ev->family);
        f->type = ev->type;
        f->help = xstrdup(ev->help ? ev->help : "");
        f->dead = !claim_names(&w->names, f->name, f->type);
        if (ev->type == M_HISTOGRAM) {
            f->dead = f->dead || !ev->bounds_ok;
            f->nb = ev->nb;
            memcpy(f->bounds, ev->bounds, ev->nb * sizeof(double));
        }
    }
    if (f->type != ev->type || f->dead || w->nseries == w->lim.series) {
        w->dropped++;
        return;
    }
    buf_puts(&f->lines, "series");
    for (size_t i = 0; i < ev->nl; i++) {
        put_str(&f->lines, ev->l[i].name);
        put_str(&f->lines, ev->l[i].value);
    }
    buf_putc(&f->lines, '\n');
    f->nseries++;
    w->nseries++;
}

size_t ha_keys_format(const char *text, size_t len, const struct ha_keys_limits *lim,
                      struct buf *out)
{
    struct wctx w;
    memset(&w, 0, sizeof(w));
    w.lim.bytes = HA_KEYS_MAX_BYTES;
    w.lim.families = HA_KEYS_MAX_FAMILIES;
    w.lim.series = HA_KEYS_MAX_SERIES;
    if (lim && lim->bytes && lim->bytes < w.lim.bytes)
        w.lim.bytes = lim->bytes;
    if (lim && lim->families && lim->families < w.lim.families)
        w.lim.families = lim->families;
    if (lim && lim->series && lim->series < w.lim.series)
        w.lim.series = lim->series;
    w.fams = xmalloc(w.lim.families * sizeof(*w.fams));
    expo_parse(text, len, w_series, &w);

    size_t start = out->len, records = 0;
    buf_printf(out, "%s %d\n", HA_KEYS_MAGIC, HA_KEYS_VERSION);
    /* room for the end line: "end " and two numbers */
    const size_t reserve = 48;
    for (size_t i = 0; i < w.nfams; i++) {
        struct wfam *f = &w.fams[i];
        w.line.len = 0;
        buf_printf(&w.line, "family %s", f->type == M_COUNTER ? "counter" : "histogram");
        put_str(&w.line, f->name);
        put_str(&w.line, f->help);
        buf_putc(&w.line, '\n');
        size_t head = 1;
        if (f->type == M_HISTOGRAM) {
            buf_puts(&w.line, "bounds");
            for (size_t b = 0; b < f->nb; b++)
                buf_printf(&w.line, " %.17g", f->bounds[b]);
            buf_putc(&w.line, '\n');
            head = 2;
        }
        bool opened = false;
        const char *p = f->lines.len ? f->lines.p : "", *end = p + f->lines.len;
        while (p < end) {
            const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
            size_t n = (size_t)(nl - p), need = n + (opened ? 0 : w.line.len);
            if (out->len - start + need + reserve > w.lim.bytes) {
                w.dropped++;
            } else {
                if (!opened) {
                    buf_append(out, w.line.p, w.line.len);
                    records += head;
                    opened = true;
                }
                buf_append(out, p, n);
                records++;
            }
            p = nl;
        }
        free(f->help);
        buf_free(&f->lines);
    }
    buf_printf(out, "end %zu %zu\n", records, w.dropped);
    size_t dropped = w.dropped;
    free(w.fams);
    keyset_free(&w.series);
    keyset_free(&w.names);
    buf_free(&w.key);
    buf_free(&w.line);
    return dropped;
}

static bool same_file(const struct ha_keys_file *f, const struct stat *sb)
{
    return f->have && f->dev == sb->st_dev && f->ino == sb->st_ino && f->size == sb->st_size &&
           f->mtime.tv_sec == sb->st_mtim.tv_sec && f->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

static void note_file(struct ha_keys_file *f, const struct stat *sb)
{
    f->have = true;
    f->dev = sb->st_dev;
    f->ino = sb->st_ino;
    f->size = sb->st_size;
    f->mtime = sb->st_mtim;
}

/* The identity of the file at path now: opened, not stat()ed, because an
 * open makes an NFS client ask the server (close-to-open), where stat() may
 * answer from its attribute cache for up to a minute. Returns an open
 * descriptor (the caller closes it) or -errno. */
static int open_fresh(const char *path, struct stat *sb)
{
    memset(sb, 0, sizeof(*sb));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno ? -errno : -EIO;
    if (fstat(fd, sb) < 0) {
        int e = errno ? errno : EIO;
        close(fd);
        memset(sb, 0, sizeof(*sb));
        return -e;
    }
    return fd;
}

static bool later(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Every write leaves a modification time later than the file it replaces
 * (by a nanosecond when the clock has not moved on, or another host's clock
 * is ahead), so that a file of the same size on a reused inode number
 * never looks like the one a reader has. */
static int mtime_after(int fd, struct stat *sb, const char *path)
{
    struct stat old;
    int ofd = open_fresh(path, &old);
    if (ofd < 0)
        return 0; /* nothing to be later than */
    close(ofd);
    if (later(&sb->st_mtim, &old.st_mtim))
        return 0;
    struct timespec t[2] = {{0, UTIME_OMIT}, old.st_mtim};
    if (++t[1].tv_nsec == 1000000000L) {
        t[1].tv_sec++;
        t[1].tv_nsec = 0;
    }
    if (futimens(fd, t) < 0 || fstat(fd, sb) < 0)
        return -errno;
    return 0;
}

int ha_keys_write(const char *path, const char *text, size_t len, struct ha_keys_file *last)
{
    struct buf b = {0};
    size_t dropped = ha_keys_format(text, len, NULL, &b);
    uint64_t h = key_hash(b.p ? b.p : "", b.len);
    struct stat sb;
    memset(&sb, 0, sizeof(sb));
    if (last && last->have && last->hash == h) {
        int cfd = open_fresh(path, &sb);
        if (cfd >= 0) {
            close(cfd);
            if (same_file(last, &sb)) {
                buf_free(&b);
                return 1;
            }
        }
    }
    if (dropped) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", dropped);
        log_msg(LOG_WARN, "HA counter key file: series left out (bounds)", "path", path, "series",
                n);
    }
    if (last)
        last->have = false; /* until this write is done */
    char tmp[4096];
    if (file_tmp_name(tmp, sizeof(tmp), path) != 0) {
        buf_free(&b);
        return -ENAMETOOLONG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        buf_free(&b);
        return -e;
    }
    size_t off = 0;
    int rc = 0;
    while (off < b.len) {
        ssize_t w = write(fd, b.p + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)w;
    }
    buf_free(&b);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (rc == 0 && fstat(fd, &sb) < 0)
        rc = -errno;
    if (rc == 0)
        rc = mtime_after(fd, &sb, path);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    if (last) {
        note_file(last, &sb); /* a rename keeps the inode and its times */
        last->hash = h;
    }
    return 0;
}

void ha_keys_file_free(struct ha_keys_file *f)
{
    free(f->text);
    memset(f, 0, sizeof(*f));
}

int ha_keys_read(const char *path, struct ha_keys_file *f)
{
    struct stat sb;
    int fd = open_fresh(path, &sb);
    if (fd < 0) {
        ha_keys_file_free(f);
        return fd;
    }
    if (f->text && same_file(f, &sb)) {
        close(fd);
        return 1;
    }
    ha_keys_file_free(f);
    char *text = NULL;
    size_t len = 0;
    int rc = file_slurp_fd(fd, HA_KEYS_MAX_BYTES, &text, &len);
    close(fd);
    if (rc < 0)
        return rc;
    f->text = text;
    f->len = len;
    note_file(f, &sb);
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

/* The own text's series and families. */
struct own {
    struct keyset series, fams;
    struct buf key;
};

static void own_series(void *ctx, const struct series_ev *ev)
{
    struct own *o = ctx;
    series_key(&o->key, ev->family, ev->l, ev->nl);
    keyset_add(&o->series, o->key.p, o->key.len);
    family_key(&o->key, ev->family, ev->type);
    keyset_add(&o->fams, o->key.p, o->key.len);
}

/* A name token (util/token.h) appended to b with its NUL; false when it is
 * not one. */
static bool tok_str(const char **p, const char *end, struct buf *b)
{
    const char *t;
    size_t n;
    if (!tok_next(p, end, &t, &n))
        return false;
    buf_reserve(b, n + 1);
    long k = tok_get_name(t, n, b->p + b->len, n + 1);
    if (k < 0)
        return false;
    b->len += (size_t)k + 1;
    return true;
}

static bool tok_is(const char *t, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(t, w, n) == 0;
}

enum rstate { RS_NONE, RS_BOUNDS, RS_OK, RS_SKIP };

struct reader {
    struct render *out;
    struct own own;
    struct keyset fams;
    enum rstate st;
    char name[NAME_MAX_LEN + 1];
    enum mtype type;
    struct buf help, scratch, key;
    double bounds[HA_KEYS_MAX_BOUNDS];
    size_t nb, nfams, nseries;
    bool rendered; /* the current family's header is written */
    struct label lab[HA_KEYS_MAX_LABELS];
    size_t off[2 * HA_KEYS_MAX_LABELS];
};

static bool r_family(struct reader *R, const char *s, const char *e)
{
    const char *t;
    size_t n;
    R->st = RS_SKIP; /* its series are skipped unless it is good */
    if (!tok_next(&s, e, &t, &n))
        return false;
    enum mtype type;
    if (tok_is(t, n, "counter"))
        type = M_COUNTER;
    else if (tok_is(t, n, "histogram"))
        type = M_HISTOGRAM;
    else
        return false;
    R->scratch.len = 0;
    if (!tok_str(&s, e, &R->scratch))
        return false;
    size_t nn = R->scratch.len - 1;
    if (!name_ok(R->scratch.p, nn, true))
        return false;
    R->help.len = 0;
    if (!tok_str(&s, e, &R->help) || tok_next(&s, e, &t, &n))
        return false;
    if (!claim_names(&R->fams, R->scratch.p, type))
        return false; /* twice, or a name another family writes */
    memcpy(R->name, R->scratch.p, nn + 1);
    R->type = type;
    R->nb = 0;
    R->rendered = false;
    family_key(&R->key, R->name, type == M_COUNTER ? M_HISTOGRAM : M_COUNTER);
    if (keyset_has(&R->own.fams, R->key.p, R->key.len) || R->nfams == HA_KEYS_MAX_FAMILIES)
        return true; /* the own text has it as the other type; or one too many */
    R->nfams++;
    R->st = type == M_HISTOGRAM ? RS_BOUNDS : RS_OK;
    return true;
}

static bool r_bounds(struct reader *R, const char *s, const char *e)
{
    if (R->st != RS_BOUNDS)
        return false;
    R->st = RS_SKIP;
    const char *t;
    size_t n;
    while (tok_next(&s, e, &t, &n)) {
        char num[64];
        if (n >= sizeof(num) || R->nb == HA_KEYS_MAX_BOUNDS)
            return false;
        memcpy(num, t, n);
        num[n] = '\0';
        char *ep;
        double v = strtod(num, &ep);
        if (*ep || !isfinite(v) || (R->nb && !(v > R->bounds[R->nb - 1])))
            return false;
        R->bounds[R->nb++] = v;
    }
    R->st = RS_OK;
    return true;
}

static bool r_series(struct reader *R, const char *s, const char *e)
{
    if (R->st == RS_SKIP)
        return true;
    if (R->st != RS_OK)
        return false; /* no family, or a histogram without its bounds */
    size_t nl = 0;
    R->scratch.len = 0;
    while (s < e) {
        const char *t;
        size_t n;
        const char *q = s;
        if (!tok_next(&q, e, &t, &n))
            break;
        if (nl == HA_KEYS_MAX_LABELS)
            return false;
        R->off[2 * nl] = R->scratch.len;
        if (!tok_str(&s, e, &R->scratch))
            return false;
        size_t ln = R->scratch.len - 1 - R->off[2 * nl];
        if (!name_ok(R->scratch.p + R->off[2 * nl], ln, false))
            return false;
        if (R->type == M_HISTOGRAM && ln == 2 &&
            memcmp(R->scratch.p + R->off[2 * nl], "le", 2) == 0)
            return false;
        R->off[2 * nl + 1] = R->scratch.len;
        if (!tok_str(&s, e, &R->scratch))
            return false;
        nl++;
    }
    for (size_t i = 0; i < nl; i++) {
        R->lab[i].name = R->scratch.p + R->off[2 * i];
        R->lab[i].value = R->scratch.p + R->off[2 * i + 1];
    }
    if (!labels_ok(R->lab, nl))
        return false;
    series_key(&R->key, R->name, R->lab, nl);
    if (keyset_has(&R->own.series, R->key.p, R->key.len) || R->nseries == HA_KEYS_MAX_SERIES)
        return true;
    if (!keyset_add(&R->own.series, R->key.p, R->key.len))
        return true; /* twice in the file: once is enough */
    R->nseries++;
    if (!R->rendered) {
        render_family(R->out, R->name, R->type, R->help.p);
        R->rendered = true;
    }
    if (R->type == M_COUNTER) {
        render_sample(R->out, R->lab, nl, 0);
    } else {
        static const uint64_t zeros[HA_KEYS_MAX_BOUNDS];
        render_histogram(R->out, R->lab, nl, R->bounds, zeros, R->nb, 0, 0);
    }
    return true;
}

int ha_keys_zero_render(const char *file_text, size_t len, const char *own_text, size_t own_len,
                        struct render *out, char *err, size_t errlen)
{
    if (len > HA_KEYS_MAX_BYTES) {
        snprintf(err, errlen, "HA counter key file larger than %u bytes", HA_KEYS_MAX_BYTES);
        return -EINVAL;
    }
    const char *p = file_text, *end = file_text + len;
    const char *nl = memchr(p, '\n', len);
    size_t ml = strlen(HA_KEYS_MAGIC);
    if (!nl || (size_t)(nl - p) <= ml + 1 || memcmp(p, HA_KEYS_MAGIC, ml) != 0 || p[ml] != ' ') {
        snprintf(err, errlen, "not an HA counter key file");
        return -EINVAL;
    }
    unsigned long long v = 0;
    for (const char *d = p + ml + 1; d < nl; d++) {
        if (*d < '0' || *d > '9' || v > 1000000) {
            snprintf(err, errlen, "not an HA counter key file (version)");
            return -EINVAL;
        }
        v = v * 10 + (unsigned)(*d - '0');
    }
    if (v != HA_KEYS_VERSION) {
        snprintf(err, errlen,
                 "HA counter key file of version %llu, which this exporter does not know (it "
                 "reads version %d)",
                 v, HA_KEYS_VERSION);
        return -EINVAL;
    }
    struct reader R;
    memset(&R, 0, sizeof(R));
    R.out = out;
    out->track = true;
    expo_parse(own_text ? own_text : "", own_text ? own_len : 0, own_series, &R.own);
    size_t bad = 0, records = 0;
    bool ended = false;
    for (p = nl + 1; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) {
            bad++; /* the last line, cut */
            break;
        }
        const char *s = p, *t;
        size_t n;
        p = e + 1;
        bool ok = true;
        if (ended || memchr(s, '\0', (size_t)(e - s)) || !tok_next(&s, e, &t, &n)) {
            ok = false;
        } else if (tok_is(t, n, "family")) {
            ok = r_family(&R, s, e);
        } else if (tok_is(t, n, "bounds")) {
            ok = r_bounds(&R, s, e);
        } else if (tok_is(t, n, "series")) {
            ok = r_series(&R, s, e);
        } else if (tok_is(t, n, "end")) {
            unsigned long long want = 0;
            ok = tok_next(&s, e, &t, &n) && n < 20;
            for (size_t i = 0; ok && i < n; i++) {
                ok = t[i] >= '0' && t[i] <= '9';
                want = want * 10 + (unsigned)(t[i] - '0');
            }
            ok = ok && want == records && tok_next(&s, e, &t, &n); /* the dropped count */
            ended = true;
        } else {
            ok = false;
        }
        if (!ok)
            bad++;
        if (!ended)
            records++;
    }
    if (!ended)
        bad++; /* no end line: a file cut short */
    keyset_free(&R.own.series);
    keyset_free(&R.own.fams);
    buf_free(&R.own.key);
    keyset_free(&R.fams);
    buf_free(&R.help);
    buf_free(&R.scratch);
    buf_free(&R.key);
    return bad > INT32_MAX ? INT32_MAX : (int)bad;
}
