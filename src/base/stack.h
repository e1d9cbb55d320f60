/*
 * stack.h — deep recursion, whatever the caller's stack.
 *
 * eddy's passes over expressions recurse (parser, binder, planner, EXPLAIN,
 * fingerprints, evaluator); an expression nests at most EXPR_MAX_DEPTH
 * levels (ast.h).  At that depth a debug or sanitizer build needs some MB of
 * stack, more than a library caller's thread may have (256 KiB is common).
 * So the library's entry points that compile or describe a plan run the
 * work on a thread of their own with STACK_BIG bytes of stack
 * (stack_run_big), and the evaluator, which runs on the caller's thread,
 * checks stack_low() as it descends and fails the row's evaluation with an
 * error instead of overflowing.
 */
#ifndef EDDY_STACK_H
#define EDDY_STACK_H

#include <stdbool.h>
#include <stddef.h>

#define STACK_BIG ((size_t)64 << 20)   /* address space only: pages are touched as used */

/* Runs fn(arg) on a new thread with STACK_BIG of stack and waits for it;
 * when no thread can be made, runs it here. */
void stack_run_big(void (*fn)(void *), void *arg);

/* Whether less than a safe reserve of this thread's stack is left. */
bool stack_low(void);

#endif
