/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the CLI parsers. */
#include "sources/cli.h"

#include <stdio.h>
#include <string.h>

void cli_feed(cli_line_fn fn, void *p, const char *buf, size_t len)
{
    const char *s = buf, *end = buf + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        fn(p, s, (size_t)(e - s));
        s = e + 1;
    }
}

void parse_error(struct parse_stats *st, const char *what, const char *line, size_t len)
{
    if (st->lines && st->last_error_line == st->lines)
        return;
    st->last_error_line = st->lines;
    st->errors++;
    if (st->first_error[0])
        return;
    int shown = len > 60 ? 60 : (int)len;
    snprintf(st->first_error, sizeof(st->first_error), "%s: line %llu: \"%.*s%s\"", what,
             (unsigned long long)st->lines, shown, line, len > 60 ? "..." : "");
    for (char *c = st->first_error; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = '?';
}
