/*
 * fn.c — the everyday function library's dispatch (fn_eval: which file
 * evaluates which FuncId) and the helpers its files share (fn.h).
 */
#include "fn.h"

#include <stdarg.h>
#include <stdio.h>

int fn_fail(EvalCtx *ctx, const BExpr *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    ctx->errpos = e->pos;
    return -1;
}

int fn_args(const BExpr *e, const Value *row, Value *v, bool *any_null, EvalCtx *ctx)
{
    *any_null = false;
    for (int i = 0; i < e->nargs; i++) {
        if (eval_expr(e->args[i], row, &v[i], ctx)) return -1;
        if (v[i].null || e->args[i]->type.kind == TY_NULL) *any_null = true;
    }
    return 0;
}

char *fn_alloc(EvalCtx *ctx, size_t n) { return arena_alloc(ctx->arena, n ? n : 1); }

int fn_eval(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    switch (e->fn->id) {
    case FN_DATE_FORMAT: case FN_EXTRACT: case FN_TIMESTAMPADD: case FN_TIMESTAMPDIFF: case FN_CURRENT_TIMESTAMP:
    case FN_LOCALTIMESTAMP: case FN_CURRENT_DATE: case FN_UNIX_TIMESTAMP: case FN_FROM_UNIXTIME: case FN_TO_TIMESTAMP:
    case FN_TO_DATE:
        return fn_time(e, row, out, ctx);
    case FN_REGEXP_EXTRACT: case FN_REGEXP_REPLACE: case FN_REGEXP: case FN_REPLACE: case FN_SPLIT_INDEX:
    case FN_POSITION: case FN_LOCATE: case FN_LPAD: case FN_RPAD: case FN_REPEAT: case FN_REVERSE: case FN_INITCAP:
    case FN_LEFT: case FN_RIGHT: case FN_MD5: case FN_SHA256:
        return fn_string(e, row, out, ctx);
    case FN_JSON_VALUE: case FN_JSON_EXISTS: case FN_JSON_QUERY: case FN_JSON_OBJECT: case FN_JSON_ARRAY:
        return fn_json(e, row, out, ctx);
    case FN_IF: case FN_IFNULL: case FN_GREATEST: case FN_LEAST: case FN_SIGN: case FN_SQRT: case FN_LN:
    case FN_LOG10: case FN_LOG2: case FN_LOG: case FN_EXP: case FN_TRUNCATE: case FN_UUID:
        return fn_math(e, row, out, ctx);
    case FN_USER:
        return fn_user(e, row, out, ctx);
    default:
        return fn_fail(ctx, e, "%s cannot be evaluated as a scalar function", e->fn->name);
    }
}
