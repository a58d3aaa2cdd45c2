/* SPDX-License-Identifier: Apache-2.0 */
/* One hex digit's value. */
#ifndef SE_HEX_H
#define SE_HEX_H

/* The value of the hex digit c (either case), or -1. */
static inline int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
