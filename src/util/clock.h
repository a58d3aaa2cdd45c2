/* SPDX-License-Identifier: Apache-2.0 */
/* The two clocks the exporter reads, as seconds in a double: the wall clock
 * (timestamps that leave the process) and the monotonic clock (durations,
 * deadlines). */
#ifndef SE_CLOCK_H
#define SE_CLOCK_H

#include <time.h>

static inline double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double mono_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
