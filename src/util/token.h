/* SPDX-License-Identifier: Apache-2.0 */
/* The line format of the exporter's own state files (the accounting state,
 * the shared sdiag baseline, the HA counter keys): space-separated tokens,
 * a name written as '=' and its bytes, with %XX for the bytes a token cannot
 * hold (control bytes, space, DEL) and for '%' itself. */
#ifndef SE_TOKEN_H
#define SE_TOKEN_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* The next space-separated token of [*p, end) into t, n; *p past it. False
 * when there is none. */
bool tok_next(const char **p, const char *end, const char **t, size_t *n);

/* Appends '=' and s, escaped. */
void tok_put_name(struct buf *b, const char *s);

/* The bytes of the name token [t, t + n) into out with a NUL (at most
 * cap - 1 of them): their count, or -1 when the token is not a name ('='
 * first, %XX with two hex digits and not %00, no raw byte that needs an
 * escape) or does not fit. */
long tok_get_name(const char *t, size_t n, char *out, size_t cap);

#endif
