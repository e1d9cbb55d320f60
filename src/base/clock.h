/*
 * clock.h — the clocks eddy reads: the monotonic clock for intervals,
 * deadlines and rates (it never goes back), the wall clock for processing
 * time and timestamps.
 */
#ifndef EDDY_CLOCK_H
#define EDDY_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t mono_ms(void) { return mono_us() / 1000; }

static inline double mono_s(void) { return (double)mono_us() / 1e6; }

/* Microseconds since the Unix epoch. */
static inline int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Milliseconds since the Unix epoch. */
static inline int64_t wall_ms(void) { return wall_us() / 1000; }

#endif
