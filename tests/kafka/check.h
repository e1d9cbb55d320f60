/*
 * check.h — what the Kafka tests (kafka_smoke.c, kafka_group.c,
 * changelog_test.c) share: CHECK(cond, fmt, …), which counts the checks
 * made (`checks`) and the failed ones (`failures`) and says where each
 * failure is, without stopping the test; and a monotonic clock in seconds.
 */
#ifndef EDDY_TEST_KAFKA_CHECK_H
#define EDDY_TEST_KAFKA_CHECK_H

#include <stdio.h>
#include <time.h>

static int failures;
static int checks;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        checks++;                                                            \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
