/* SPDX-License-Identifier: Apache-2.0 */
/* HTML text escaping with UTF-8 validation (RFC 3629). */
#include "util/html.h"

#include <stdint.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* The length of the valid UTF-8 sequence of more than one byte at s (at most
 * n bytes available), or 0 when there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    /* C1 controls (U+0080..U+009F) are controls too */
    if (cp >= 0x80 && cp <= 0x9F)
        return 0;
    return len;
}

size_t html_escape(struct buf *b, const char *s, size_t n, size_t max_in)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t lim = n < max_in ? n : max_in;
    size_t i = 0;
    while (i < lim) {
        unsigned c = u[i];
        const char *ent = NULL;
        switch (c) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            break;
        }
        if (ent) {
            buf_puts(b, ent);
            i++;
        } else if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
                buf_puts(b, replacement);
            else
                buf_putc(b, (char)c);
            i++;
        } else {
            size_t len = utf8_seq(u + i, n - i);
            if (len && i + len > lim)
                break; /* a character the cut would split: left out whole */
            if (len) {
                buf_append(b, u + i, len);
                i += len;
            } else {
                buf_puts(b, replacement);
                i++;
            }
        }
    }
    if (i < n)
        buf_puts(b, "\xe2\x80\xa6");
    return i;
}
