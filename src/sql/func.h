/*
 * func.h — the built-in functions: one declarative table of names, arities,
 * result-type rules and documentation.  The binder looks names up here; the
 * executor dispatches on FuncId.
 */
#ifndef EDDY_FUNC_H
#define EDDY_FUNC_H

#include "diag.h"
#include "expr.h"

typedef enum FuncId {
    FN_COUNT, FN_SUM, FN_AVG, FN_MIN, FN_MAX,
    FN_ROUND, FN_ABS, FN_FLOOR, FN_CEIL, FN_MOD, FN_POWER,
    FN_UPPER, FN_LOWER, FN_CONCAT, FN_CONCAT_WS, FN_SUBSTRING, FN_TRIM, FN_LTRIM, FN_RTRIM,
    FN_CHAR_LENGTH, FN_TO_TIMESTAMP_LTZ, FN_COALESCE, FN_NULLIF,
    FN_PROCTIME, FN_CURRENT_WATERMARK,
    FN_NOW,
    /* aggregates of issue 20 (exec/agg.c) */
    FN_LISTAGG, FN_FIRST_VALUE, FN_LAST_VALUE, FN_STDDEV_POP, FN_STDDEV_SAMP, FN_VAR_POP, FN_VAR_SAMP,
    FN_CARDINALITY, FN_ELEMENT,   /* nested data (exec/nested.h) */
} FuncId;

typedef struct FuncDef {
    const char *name;     /* canonical name (upper case) */
    FuncId      id;       /* what the executor runs */
    bool        agg;      /* aggregate function */
    int         minargs;  /* fewest arguments */
    int         maxargs;  /* most arguments, -1 = any */
    /* Sets call->type from the bound arguments; false with a message on a type error. */
    bool (*infer)(BExpr *call, Diag *d);
    const char *doc;      /* one line */
} FuncDef;

/* Case-insensitive lookup, aliases included (SUBSTR, CEILING, POW, …). */
const FuncDef *func_find(const char *name);
void func_document(StrBuf *out);

#endif
