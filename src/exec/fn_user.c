/*
 * fn_user.c — calling a user-defined scalar function in C (FN_USER: the
 * UserFunc whose first member is its FuncDef, sql/udf.c), by the calling convention of
 * include/eddy.h: each argument converted to its declared type as an
 * eddy_value (an integer widened to BIGINT or DOUBLE where declared),
 * NULL handled as the function's flags say, the result read from the
 * eddy_value it wrote — an integer checked against the declared type's
 * range, a string or bytes copied into the batch arena at once, so nothing
 * the function points at is kept.
 */
#include <stdio.h>
#include <string.h>

#include "fn.h"
#include "func.h"

/* The value v of type `from` as argument type `to` (finfer_user allowed only widenings). */
static void to_arg(Type from, Type to, const Value *v, eddy_value *a)
{
    *a = (eddy_value){.is_null = v->null || from.kind == TY_NULL};
    if (a->is_null) return;
    switch (to.kind) {
    case TY_FLOAT:
    case TY_DOUBLE: a->d = from.kind == TY_FLOAT || from.kind == TY_DOUBLE ? v->d : (double)v->i; break;
    case TY_STRING:
    case TY_BYTES:
        a->s = v->s ? v->s : "";
        a->len = (size_t)v->n;
        break;
    default: a->i = v->i; break;
    }
}

int fn_user(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    const UserFunc *f = func_user(e->fn);
    Value v[EDDY_UDF_MAX_ARGS];
    eddy_value args[EDDY_UDF_MAX_ARGS];
    bool any_null;
    if (fn_args(e, row, v, &any_null, ctx)) return -1;
    *out = (Value){.null = 1};
    if (any_null && (f->flags & EDDY_FN_NULL_ON_NULL)) return 0;
    for (int i = 0; i < e->nargs; i++) to_arg(e->args[i]->type, f->args[i], &v[i], &args[i]);
    eddy_value r = {.is_null = 1};
    char err[512] = "";
    if (f->fn(f->ctx, args, e->nargs, &r, err, sizeof err))
        return fn_fail(ctx, e, "function %s: %s", f->def.name, err[0] ? err : "it failed (returned an error without a message)");
    if (r.is_null) return 0;
    out->null = 0;
    switch (f->ret.kind) {
    case TY_BOOLEAN: out->i = r.i != 0; break;
    case TY_TINYINT:
    case TY_SMALLINT:
    case TY_INT: {
        long long lim = f->ret.kind == TY_TINYINT ? 127 : f->ret.kind == TY_SMALLINT ? 32767 : 2147483647;
        if (r.i > lim || r.i < -lim - 1) {
            StrBuf t = {0};
            type_print(&t, f->ret);
            int rc = fn_fail(ctx, e, "function %s returned %lld, out of the range of its result type %s", f->def.name, r.i, t.s);
            sb_free(&t);
            return rc;
        }
        out->i = r.i;
        break;
    }
    case TY_FLOAT: out->d = (float)r.d; break;
    case TY_DOUBLE: out->d = r.d; break;
    case TY_STRING:
    case TY_BYTES: {
        if (r.len > (size_t)INT32_MAX || (r.len && !r.s))
            return fn_fail(ctx, e, "function %s returned a %s without bytes or longer than 2 GiB", f->def.name,
                           f->ret.kind == TY_STRING ? "string" : "BYTES value");
        char *s = fn_alloc(ctx, r.len);
        if (r.len) memcpy(s, r.s, r.len);
        out->s = s;
        out->n = (int32_t)r.len;
        break;
    }
    default: out->i = r.i; break;   /* BIGINT, DATE, TIMESTAMP, TIMESTAMP_LTZ */
    }
    return 0;
}
