/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: one line per event, written with a single write() so lines from
 * different threads never interleave. */
#include "util/log.h"
#include "util/buf.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdarg.h>
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

static void put_value(struct buf *b, const char *v)
{
    bool quote = g_format == LOG_JSON || *v == '\0' || strpbrk(v, " =\"\\\n\t") != NULL;
    if (quote)
        buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*p);
        } else if (*p == '\n') {
            buf_puts(b, "\\n");
        } else if (*p < 0x20) {
            buf_printf(b, "\\u%04x", *p);
        } else {
            buf_putc(b, (char)*p);
        }
    }
    if (quote)
        buf_putc(b, '"');
}

static void put_pair(struct buf *b, const char *k, const char *v, bool first)
{
    if (g_format == LOG_JSON) {
        buf_puts(b, first ? "{\"" : ",\"");
        buf_puts(b, k);
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
