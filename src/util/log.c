/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: one line per event, written with a single write() so lines from
 * different threads never interleave. */
#include "util/log.h"
#include "util/buf.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level g_level = LOG_INFO;
static enum log_format g_format = LOG_LOGFMT;
static pthread_mutex_t g_limit_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level level, enum log_format format)
{
    g_level = level;
    g_format = format;
}

bool log_enabled(enum log_level level)
{
    return level >= g_level;
}

int log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_parse_format(const char *s, enum log_format *out)
{
    if (strcmp(s, "logfmt") == 0)
        *out = LOG_LOGFMT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_JSON;
    else
        return -1;
    return 0;
}

/* A value longer than this (in bytes of its text) is cut at a character boundary and
 * marked with "...": log lines carry text from outside (a command's stderr, a request's
 * path), and one line must stay one bounded line. */
#define LOG_VALUE_MAX 4096

/* Length of the well-formed UTF-8 sequence at p (n bytes available), its code point in *cp;
 * 0 when the bytes there are not one: a stray continuation byte, a truncated sequence, an
 * overlong form, a UTF-16 surrogate or a code point above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1fu;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0fu;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Whether a logfmt value has to be quoted: empty, or holding a space, '=', a quote, a
 * backslash, a control character or anything outside ASCII (which may need an escape). */
static bool logfmt_quote(const unsigned char *p)
{
    if (!*p)
        return true;
    for (; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7f)
            return true;
    return false;
}

/* Writes v as the body of a JSON string, which is also what a quoted logfmt value takes:
 * '"' and '\\' escaped, \n \r \t, other control characters (C0, DEL, C1) and U+2028/U+2029
 * as \uXXXX; every byte that is not part of well-formed UTF-8 becomes U+FFFD. So a line is
 * valid UTF-8 whatever a command wrote, and a JSON line is valid JSON. */
static void put_escaped(struct buf *b, const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t n = strlen(v);
    size_t lim = n > LOG_VALUE_MAX ? LOG_VALUE_MAX : n;
    size_t i = 0;
    while (i < lim) {
        uint32_t cp = 0;
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k == 0) {
            buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD for the one byte, then resynchronize */
            i++;
            continue;
        }
        if (i + k > lim)
            break;
        if (cp == '"' || cp == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)cp);
        } else if (cp == '\n') {
            buf_puts(b, "\\n");
        } else if (cp == '\r') {
            buf_puts(b, "\\r");
        } else if (cp == '\t') {
            buf_puts(b, "\\t");
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
            buf_printf(b, "\\u%04x", (unsigned)cp);
        } else {
            buf_append(b, v + i, k);
        }
        i += k;
    }
    if (i < n)
        buf_puts(b, "...");
}

static void put_value(struct buf *b, const char *v)
{
    bool quote = g_format == LOG_JSON || logfmt_quote((const unsigned char *)v);
    if (quote)
        buf_putc(b, '"');
    put_escaped(b, v);
    if (quote)
        buf_putc(b, '"');
}

static void put_pair(struct buf *b, const char *k, const char *v, bool first)
{
    if (g_format == LOG_JSON) {
        buf_puts(b, first ? "{\"" : ",\"");
        put_escaped(b, k);
        buf_puts(b, "\":");
    } else {
        if (!first)
            buf_putc(b, ' ');
        buf_puts(b, k);
        buf_putc(b, '=');
    }
    put_value(b, v ? v : "");
}

static void vlog(enum log_level level, const char *msg, const char *extra, va_list ap)
{
    if (!log_enabled(level))
        return;
    struct buf b = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    put_pair(&b, "ts", when, true);
    put_pair(&b, "level", level_names[level], false);
    put_pair(&b, "msg", msg, false);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        put_pair(&b, k, v, false);
    }
    if (extra)
        put_pair(&b, "suppressed", extra, false);
    if (g_format == LOG_JSON)
        buf_putc(&b, '}');
    buf_putc(&b, '\n');
    ssize_t w = write(STDERR_FILENO, b.p, b.len);
    (void)w;
    buf_free(&b);
}

void log_msg_(enum log_level level, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    vlog(level, msg, NULL, ap);
    va_end(ap);
}

void log_limited_(struct log_limit *lim, double interval_s, enum log_level level, const char *msg,
                  ...)
{
    double now = mono_now_s();
    char extra[24] = "";
    pthread_mutex_lock(&g_limit_mu);
    bool emit = lim->last == 0 || now - lim->last >= interval_s;
    if (emit) {
        if (lim->suppressed)
            snprintf(extra, sizeof(extra), "%u", lim->suppressed);
        lim->suppressed = 0;
        lim->last = now;
    } else {
        lim->suppressed++;
    }
    pthread_mutex_unlock(&g_limit_mu);
    if (!emit)
        return;
    va_list ap;
    va_start(ap, msg);
    vlog(level, msg, extra[0] ? extra : NULL, ap);
    va_end(ap);
}
