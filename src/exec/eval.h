/*
 * eval.h — evaluating bound expressions (expr.h) over rows, with Flink
 * SQL's semantics: three-valued logic, integer division, DECIMAL with
 * ROUND half away from zero, SUBSTRING 1-based, CAST that fails on bad
 * input (TRY_CAST gives NULL), string functions on UTF-8 characters.
 */
#ifndef EDDY_EVAL_H
#define EDDY_EVAL_H

#include "expr.h"
#include "value.h"

typedef struct EvalCtx {
    Arena   *arena;       /* where computed strings are allocated (the batch arena) */
    char     err[256];    /* message of the last runtime error */
    int      errpos;      /* source offset of the expression that failed (BExpr.pos) */
    /* What the operator evaluating knows of time (eval_ctx_for in exec.h fills them): */
    int64_t  now_ms;      /* processing time (Job.clock_ms): PROCTIME() */
    int64_t  watermark;   /* the watermark of the operator's input (OpStats.watermark; INT64_MIN = none
                             yet): CURRENT_WATERMARK(); a zeroed ctx must set it */
    const TimeZone *tz;   /* the session time zone (Plan.config.local_tz; NULL = UTC): CASTs of TIMESTAMP_LTZ */
} EvalCtx;

/* Evaluates e over `row` (the operator's input row) into *out.  Returns 0,
 * or -1 with ctx->err / ctx->errpos set (e.g. division of an integer by
 * zero, a CAST of 'abc' to INT, a DECIMAL overflow). */
int eval_expr(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);
/* A predicate: 1 true, 0 false or NULL, -1 error. */
int eval_pred(const BExpr *e, const Value *row, EvalCtx *ctx);

#endif
