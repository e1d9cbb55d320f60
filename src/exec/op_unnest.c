/*
 * op_unnest.c — `CROSS JOIN UNNEST(expr) AS t(…)`: each input row once per
 * element of the ARRAY or MAP expr gives, followed by that element's
 * columns.  Stateless: nothing buffered, no checkpoint.
 *
 *   input row r, expr(r) =          output rows (each with r's kind and time)
 *   ARRAY [e1, …, en] of a scalar   r ++ [e1], …, r ++ [en]
 *   ARRAY of ROW<a, b>              r ++ [e.a, e.b] per element (a NULL
 *                                   element: NULL fields)
 *   MAP {k1=v1, …}                  r ++ [k1, v1], … in the map's order
 *   empty or NULL                   nothing; LEFT JOIN … ON TRUE: r ++ NULLs
 *
 * Keeping the input's kind on every produced row passes the changelog
 * through: a -U/-D of r retracts exactly the rows its +I/+U produced, since
 * the expansion is a function of r.  Values point into the input batch
 * (the array's bytes live with the row they came from).
 */
#include <string.h>

#include "eval.h"
#include "exec.h"
#include "nested.h"

static int unnest_init(OpState *s)
{
    (void)s;
    return 0;
}

static Value *emit(Batch *out, RowKind k, int64_t ts, const Value *row, int nin)
{
    Value *o = batch_add(out, k, ts);
    memcpy(o, row, sizeof(Value) * (size_t)nin);
    return o;
}

static void set_nulls(Value *v, int n)
{
    for (int i = 0; i < n; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].null = 1;
    }
}

static int unnest_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    const PlanNode *n = s->node;
    const UnnestPlan *u = plan_unnest(n);
    int nin = n->inputs[0]->ncols, nadd = n->ncols - nin;
    Type t = u->expr->type, el = t.nest->types[0];
    bool rows = t.kind == TY_ARRAY && el.kind == TY_ROW;
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        RowKind k = in->kinds[i];
        s->cur_row = i;
        Value a;
        if (eval_expr(u->expr, row, &a, &cx)) return exec_eval_fail(s, cx.errpos, cx.err);
        NestedIter it;
        int m = a.null ? 0 : nested_open(&it, t, &a);
        if (m < 0) return exec_eval_fail(s, u->expr->pos, "UNNEST: malformed nested value");
        if (m == 0) {
            if (u->left) set_nulls(emit(out, k, in->ts[i], row, nin) + nin, nadd);
            continue;
        }
        int per = t.kind == TY_MAP ? 2 : 1;
        for (int e = 0; e < m; e += per) {
            Value v[2];
            for (int j = 0; j < per; j++)
                if (nested_next(&it, &v[j])) return exec_eval_fail(s, u->expr->pos, "UNNEST: malformed nested value");
            Value *o = emit(out, k, in->ts[i], row, nin) + nin;
            if (!rows) {
                memcpy(o, v, sizeof(Value) * (size_t)per);
            } else if (v[0].null) {
                set_nulls(o, nadd);
            } else {
                NestedIter f;
                if (nested_open(&f, el, &v[0]) != nadd) return exec_eval_fail(s, u->expr->pos, "UNNEST: malformed nested value");
                for (int j = 0; j < nadd; j++)
                    if (nested_next(&f, &o[j])) return exec_eval_fail(s, u->expr->pos, "UNNEST: malformed nested value");
            }
        }
    }
    return 0;
}

static void unnest_end(OpState *s) { (void)s; }

const OpVTable op_unnest_vt = {.init = unnest_init, .process = unnest_process, .end = unnest_end};
