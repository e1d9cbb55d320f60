/*
 * stack.c — see stack.h.
 */
#define _GNU_SOURCE
#include "stack.h"

#include <pthread.h>
#include <stdint.h>

typedef struct BigCall {
    void (*fn)(void *);
    void *arg;
} BigCall;

static void *big_main(void *p)
{
    BigCall *c = p;
    c->fn(c->arg);
    return NULL;
}

/* This thread's stack: its lowest address and size (0 when unknown),
 * asked once per thread (for the main thread glibc reads /proc/self/maps). */
static __thread uintptr_t stack_lo;
static __thread size_t stack_size;
static __thread bool stack_known;

static void stack_bounds(uintptr_t *lo, size_t *size)
{
    if (!stack_known) {
        pthread_attr_t at;
        void *addr = NULL;
        size_t n = 0;
        if (pthread_getattr_np(pthread_self(), &at) == 0) {
            pthread_attr_getstack(&at, &addr, &n);
            pthread_attr_destroy(&at);
        }
        stack_lo = (uintptr_t)addr;
        stack_size = n;
        stack_known = true;
    }
    *lo = stack_lo;
    *size = stack_size;
}

void stack_run_big(void (*fn)(void *), void *arg)
{
    /* Enough stack left here (a main thread's 8 MiB, most threads'
     * default): no thread to make — under AddressSanitizer a thread with a
     * big stack costs milliseconds. */
    uintptr_t lo;
    size_t size;
    stack_bounds(&lo, &size);
    if (size && (uintptr_t)__builtin_frame_address(0) - lo >= STACK_NEED) {
        fn(arg);
        return;
    }
    BigCall c = {fn, arg};
    pthread_attr_t at;
    pthread_t t;
    if (pthread_attr_init(&at) == 0) {
        int ok = pthread_attr_setstacksize(&at, STACK_BIG) == 0 && pthread_create(&t, &at, big_main, &c) == 0;
        pthread_attr_destroy(&at);
        if (ok) {
            pthread_join(t, NULL);
            return;
        }
    }
    fn(arg);
}

/* The lowest address this thread's stack may reach with the reserve kept:
 * the reserve is what one level of the deepest pass may need on top of the
 * check, with room to report the error (sanitizer frames are large). */
static __thread uintptr_t stack_floor;

bool stack_low(void)
{
    if (!stack_floor) {
        uintptr_t lo;
        size_t size;
        stack_bounds(&lo, &size);
        if (!size) return false;
        size_t reserve = size / 4 < (64u << 10) ? size / 4 : (64u << 10);
        stack_floor = lo + reserve;
    }
    return (uintptr_t)__builtin_frame_address(0) < stack_floor;
}
