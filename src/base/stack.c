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

void stack_run_big(void (*fn)(void *), void *arg)
{
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
        pthread_attr_t at;
        void *lo = NULL;
        size_t size = 0;
        if (pthread_getattr_np(pthread_self(), &at) != 0) return false;
        pthread_attr_getstack(&at, &lo, &size);
        pthread_attr_destroy(&at);
        size_t reserve = size / 4 < (64u << 10) ? size / 4 : (64u << 10);
        stack_floor = (uintptr_t)lo + reserve;
    }
    return (uintptr_t)__builtin_frame_address(0) < stack_floor;
}
