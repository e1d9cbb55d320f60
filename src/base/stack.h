/*
 * stack.h — deep recursion, whatever the caller's stack.
 *
 * eddy's passes over expressions recurse (parser, binder, planner, EXPLAIN,
 * fingerprints, evaluator); an expression nests at most EXPR_MAX_DEPTH
 * levels (ast.h).  At that depth a debug or sanitizer build needs some MB of
 * stack, more than a library caller's thread may have (256 KiB is common).
 * So the library's entry points that compile or describe a plan run the
 * work on a thread of their own with STACK_BIG bytes of stack when the
 * caller's thread has less than STACK_NEED left (stack_run_big), and the evaluator, which runs on the caller's thread,
 * checks stack_low() as it descends and fails the row's evaluation with an
 * error instead of overflowing.
 */
#ifndef EDDY_STACK_H
#define EDDY_STACK_H

#include <stdbool.h>
#include <stddef.h>

#define STACK_BIG ((size_t)64 << 20)   /* address space only: pages are touched as used */
/* What compiling and explaining the deepest expression may take: with
 * 5 MiB a Debug+ASan build (the hungriest) compiles and explains a chain
 * of EXPR_MAX_DEPTH terms inline (measured with `ulimit -s 5200` and
 * `eddy explain`; tests/embed/test_deep.c runs every shape on 256 KiB). */
#define STACK_NEED ((size_t)5 << 20)

/* Runs fn(arg) here when this thread has STACK_NEED of stack left, else on
 * a new thread with STACK_BIG of stack, waiting for it (and here when no
 * thread can be made). */
void stack_run_big(void (*fn)(void *), void *arg);

/* Whether less than a safe reserve of this thread's stack is left. */
bool stack_low(void);

#endif
