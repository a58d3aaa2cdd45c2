/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer. Allocation failure aborts: the exporter cannot do
 * anything useful without memory, and callers stay simple. */
#ifndef SE_BUF_H
#define SE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *p;
    size_t len;
    size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);
/* Make the contents a NUL-terminated C string (the NUL is not counted in len). */
const char *buf_cstr(struct buf *b);

/* Abort with a message when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
