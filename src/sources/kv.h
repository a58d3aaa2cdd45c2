/* SPDX-License-Identifier: Apache-2.0 */
/* Splits one line of `scontrol -o show ...` into Key=Value pairs. Values may
 * contain spaces (OS=Linux 6.1 #1 SMP); a new pair starts at a token that
 * looks like Key=. Reason= is special: its free text runs to the closing
 * "[user@time]" (or the end of the line), so "Reason=bad x=y" stays whole. */
#ifndef SE_KV_H
#define SE_KV_H

#include <stddef.h>

struct kv {
    const char *key, *val;
    size_t klen, vlen;
};

/* Fills up to max pairs; returns how many were found. */
size_t kv_split(const char *line, size_t len, struct kv *out, size_t max);
/* Finds key among pairs; returns NULL when absent. */
const struct kv *kv_find(const struct kv *kv, size_t n, const char *key);

/* Splits line[0..len) at every sep into at most max fields (pointers into
 * line). Returns the number of fields, max + 1 when there are more. */
size_t split_fields(const char *line, size_t len, char sep, const char **f, size_t *fl, size_t max);

#endif
