/* SPDX-License-Identifier: Apache-2.0 */
/* Expands a Slurm host list ("cn[001-003,007],gpu01") into host names, one
 * at a time through a callback, without building the whole list: the cost
 * is bounded by the number of names asked for, however large a range says
 * it is. */
#ifndef SE_HOSTLIST_H
#define SE_HOSTLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Longest host name produced; a longer one makes its expression bad. */
#define HOSTLIST_NAME_MAX 255
/* Bracket groups in one expression ("r[1-2]n[01-04]" has two); more is bad. */
#define HOSTLIST_GROUPS_MAX 4
/* Digits of one number in a range (values stay below 10^18). */
#define HOSTLIST_DIGITS_MAX 18

struct hostlist_result {
    size_t hosts;   /* names passed to the callback */
    size_t bad;     /* expressions skipped as malformed */
    bool truncated; /* stopped at max_hosts with names left */
};

/* Called once per name; name is NUL-terminated and valid only during the call. */
typedef void (*hostlist_fn)(const char *name, size_t len, void *ctx);

/* Expands the host list s[0..n) and calls fn for each name, in the order the
 * list gives them (duplicates are not removed). Expressions are separated by
 * commas, blanks or NUL bytes outside brackets. An expression is literal text with up
 * to HOSTLIST_GROUPS_MAX bracket groups; a group is a comma-separated list of
 * numbers and ranges lo-hi, zero-padded to the width of lo ("[08-10]" gives
 * 08 09 10, "[8-10]" gives 8 9 10); several groups give their product, the
 * last one varying fastest. A malformed expression (unbalanced or nested
 * brackets, an empty group, hi < lo, a number too long, a name over
 * HOSTLIST_NAME_MAX) is skipped whole and counted in res->bad; the rest of
 * the list is still expanded. At most max_hosts names are produced.
 * Returns 0 when every name was produced, -1 when some expression was bad or
 * the list was cut at max_hosts. */
int hostlist_expand(const char *s, size_t n, size_t max_hosts, hostlist_fn fn, void *ctx,
                    struct hostlist_result *res);

#endif
