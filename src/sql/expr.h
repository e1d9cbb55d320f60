/*
 * expr.h — bound, typed expressions: what the binder produces from AstExpr
 * and what operators evaluate.
 *
 * A BExpr refers to columns by index into its operator's input row, carries
 * its result type, and keeps the source offset of what it came from.  Bound
 * expressions are read-only once built (they belong to a plan).
 */
#ifndef EDDY_EXPR_H
#define EDDY_EXPR_H

#include <stdbool.h>
#include <stdint.h>
#include "ast.h"
#include "strbuf.h"
#include "types.h"

struct FuncDef;

/* A constant.  Which field is meaningful follows the type's kind:
 * BOOLEAN/integers/DATE (days)/TIMESTAMP* (epoch ms)/INTERVAL (ms) → i,
 * DECIMAL → i unscaled by the type's scale, FLOAT/DOUBLE → d,
 * STRING/BYTES → s and n. */
typedef struct Datum {
    bool        null;     /* SQL NULL */
    int64_t     i;        /* integer-like payload */
    double      d;        /* floating payload */
    const char *s;        /* string payload (not NUL-terminated necessarily) */
    int32_t     n;        /* string length */
} Datum;

typedef enum BExprKind {
    BX_COL,               /* input column `col` */
    BX_LIT,               /* constant `lit` */
    BX_OP,                /* binary operator `op` on a, b */
    BX_NOT,               /* NOT a */
    BX_NEG,               /* -a */
    BX_IS,                /* a IS [NOT] NULL/TRUE/FALSE (`is` says which) */
    BX_IN,                /* a [NOT] IN (args) */
    BX_LIKE,              /* a [NOT] LIKE b */
    BX_CASE,              /* CASE WHEN args[2i] THEN args[2i+1] … ELSE b END */
    BX_CAST,              /* CAST / TRY_CAST of a to `type` */
    BX_CALL,              /* scalar function fn(args) */
    BX_AGG,               /* aggregate fn(a) — only inside a GroupAggregate */
    /* Nested data (ROW, ARRAY, MAP; nested.h has the values): */
    BX_FIELD,             /* a.name: field `flags` (0-based) of the ROW a; NULL when a is */
    BX_ITEM,              /* a[b]: ARRAY element b (1-based; out of range NULL) or MAP value of key b */
    BX_CTOR,              /* ROW(args…), ARRAY[args…], MAP[k, v, …]: `type` says which */
} BExprKind;

typedef struct BExpr BExpr;
struct BExpr {
    BExprKind kind;       /* shape */
    Type      type;       /* result type */
    int       pos;        /* source offset (for runtime errors that point back) */
    AstOp     op;         /* BX_OP operator */
    bool      negated;    /* NOT IN / NOT LIKE / IS NOT */
    bool      try_;       /* TRY_CAST: NULL instead of an error */
    bool      distinct;   /* COUNT(DISTINCT …) etc. */
    LitKind   is;         /* BX_IS: LIT_NULL / LIT_TRUE / LIT_FALSE */
    int       flags;      /* TRIM_* for TRIM */
    int       col;        /* BX_COL index */
    Datum     lit;        /* BX_LIT value */
    const struct FuncDef *fn; /* BX_CALL / BX_AGG */
    BExpr    *a, *b;      /* operands (BX_AGG: a = argument, NULL for COUNT(*)) */
    BExpr   **args;       /* call arguments, IN list, CASE pairs */
    int       nargs;      /* count */
};

/* Structural equality (same computation on the same columns). */
bool bexpr_equal(const BExpr *x, const BExpr *y);
/* SQL-like text with input columns named by `names` (e.g. `ROUND(AVG(amount), 2)`). */
void bexpr_print(StrBuf *b, const BExpr *e, const char *const *names);
const char *ast_op_text(AstOp op);

#endif
