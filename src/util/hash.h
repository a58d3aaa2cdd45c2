/* SPDX-License-Identifier: Apache-2.0 */
/* Slot of a hash value in an open-addressing table. */
#ifndef SE_HASH_H
#define SE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The top log2(nslots) bits of h times 2^64/phi; nslots is a power of two,
 * at least 2. Every bit of h reaches the high bits of the product, while its
 * low bits depend only on the low bits of h: masking them would chain keys
 * that differ only above the mask (array tasks of one index, ids with the
 * same low bits) in one slot. */
static inline size_t hash_slot(uint64_t h, size_t nslots)
{
    return (size_t)((h * 0x9E3779B97F4A7C15ULL) >>
                    (64 - __builtin_ctzll((unsigned long long)nslots)));
}

#endif
