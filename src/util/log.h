/* SPDX-License-Identifier: Apache-2.0 */
/* Structured logging to stderr in logfmt or JSON, with a rate-limited form for
 * complaints that repeat every poll (collectd's c_complain idea). */
#ifndef SE_LOG_H
#define SE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_LOGFMT, LOG_JSON };

void log_setup(enum log_level level, enum log_format format);
bool log_enabled(enum log_level level);
int log_parse_level(const char *s, enum log_level *out);
int log_parse_format(const char *s, enum log_format *out);

/* log_msg(LOG_INFO, "msg", "key", "value", ...): key/value pairs are strings;
 * the macro adds the terminating sentinel. */
void log_msg_(enum log_level level, const char *msg, ...) __attribute__((sentinel));
#define log_msg(...) log_msg_(__VA_ARGS__, (const char *)NULL)

/* Like log_msg, but a given key logs at most once per interval_s seconds;
 * suppressed repeats are counted and reported with the next one. */
struct log_limit {
    double last;
    unsigned suppressed;
};
void log_limited_(struct log_limit *lim, double interval_s, enum log_level level, const char *msg,
                  ...) __attribute__((sentinel));
#define log_limited(...) log_limited_(__VA_ARGS__, (const char *)NULL)

#endif
