/* SPDX-License-Identifier: Apache-2.0 */
/* Escaping text for HTML: what the status page writes of every string it
 * did not write itself (partition names, pending reasons, error messages). */
#ifndef SE_UTIL_HTML_H
#define SE_UTIL_HTML_H

#include <stddef.h>

#include "util/buf.h"

/* Appends s[0..n) to b as HTML text that is also safe inside a quoted
 * attribute value: & < > " ' become &amp; &lt; &gt; &quot; &#39;, a byte
 * that does not start a valid UTF-8 sequence (overlong, surrogate, past
 * U+10FFFF, cut short) and a control character other than tab and newline
 * (NUL and DEL included) become U+FFFD, everything else is copied. At most
 * max_in bytes of s are read; when s is longer, "…" (U+2026) follows.
 * Returns the number of input bytes read. */
size_t html_escape(struct buf *b, const char *s, size_t n, size_t max_in);

#endif
