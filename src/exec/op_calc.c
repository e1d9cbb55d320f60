/*
 * op_calc.c — filter and projection.
 *
 * Over an updating input that carries before-images, an update arrives as
 * the pair -U old, +U new.  The calc judges the pair as a whole, so that a
 * row that stops passing the filter becomes a delete and one that starts
 * passing becomes an insert (HAVING semantics), and an update that the
 * projection makes invisible emits nothing:
 *     old passes, new passes → -U/+U (or +U alone for an upsert consumer)
 *     old passes, new fails  → -D old
 *     old fails,  new passes → +I new
 *     both fail              → nothing
 *
 * With mini-batch off (PlanNode.per_row: Flink's changelog exactly) the
 * calc is Flink's Calc: every row is judged on its own and keeps its kind,
 * so a -U that fails vanishes and a +U that passes stays +U even when its
 * -U was dropped; an update the projection makes invisible passes as it is:
 *     row passes             → the row, its kind unchanged
 *     row fails              → nothing
 * (the planner keeps -U before such a filter where an upsert sink follows,
 * which then writes each -U as a tombstone).
 */
#include <stdio.h>
#include <string.h>

#include "eval.h"
#include "exec.h"

static int calc_init(OpState *s)
{
    (void)s;
    return 0;
}

static void calc_end(OpState *s) { (void)s; }

static int calc_fail(OpState *s, EvalCtx *cx) { return exec_eval_fail(s, cx->errpos, cx->err); }

/* While a job replays after a restart (exec.h), a calc that filters an
 * updating stream straight into an upsert sink (a fact the planner records)
 * turns a row that fails into a delete of its key: the sink may hold the
 * key from before the crash.  (Anywhere else such a delete would retract
 * what was never added.) */
static bool replay_deletes(const OpState *s)
{
    return s->job->replay && s->node->feeds_upsert_sink && s->node->inputs[0]->updating;
}

/* Filter result for a row: 1 pass, 0 drop, -1 error. */
static int passes(OpState *s, const Value *row, EvalCtx *cx)
{
    const BExpr *filter = plan_calc(s->node)->filter;
    if (!filter) return 1;
    int r = eval_pred(filter, row, cx);
    return r < 0 ? calc_fail(s, cx) : r;
}

static int project(OpState *s, const Value *in, Value *out, EvalCtx *cx)
{
    const PlanNode *n = s->node;
    for (int i = 0; i < n->ncols; i++) {
        const BExpr *e = plan_calc(n)->exprs[i];
        if (e->kind == BX_COL) {
            out[i] = in[e->col];
            continue;
        }
        if (eval_expr(e, in, &out[i], cx)) return calc_fail(s, cx);
    }
    return 0;
}

static bool rows_equal(const PlanNode *n, const Value *a, const Value *b)
{
    for (int i = 0; i < n->ncols; i++)
        if (!value_eq(n->cols[i].type, &a[i], &b[i])) return false;
    return true;
}

static int calc_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    const PlanNode *n = s->node;
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        RowKind k = in->kinds[i];
        s->cur_row = i;
        if (k == RK_UPDATE_BEFORE && !n->per_row && i + 1 < in->n && in->kinds[i + 1] == RK_UPDATE_AFTER) {
            const Value *next = batch_row(in, i + 1);
            int p_old = passes(s, row, &cx), p_new = passes(s, next, &cx);
            if (p_old < 0 || p_new < 0) return -1;
            int64_t ts = in->ts[i + 1];
            i++;
            if (p_old && p_new) {
                Value *o = batch_add(out, RK_UPDATE_BEFORE, ts);
                if (project(s, row, o, &cx)) return -1;
                Value *nw = batch_add(out, RK_UPDATE_AFTER, ts);
                o = batch_row(out, out->n - 2);   /* batch_add may have moved rows */
                if (project(s, next, nw, &cx)) return -1;
                if (rows_equal(n, o, nw) && !s->job->replay) {
                    out->n -= 2;                   /* the change is invisible here (but a replay writes it again) */
                } else if (!n->before) {
                    out->n -= 2;                   /* upsert consumer: the new row alone */
                    Value *u = batch_add(out, RK_UPDATE_AFTER, ts);
                    if (project(s, next, u, &cx)) return -1;
                }
            } else if (p_old) {
                Value *o = batch_add(out, RK_DELETE, ts);
                if (project(s, row, o, &cx)) return -1;
            } else if (p_new) {
                Value *nw = batch_add(out, RK_INSERT, ts);
                if (project(s, next, nw, &cx)) return -1;
            } else if (replay_deletes(s)) {
                /* replay after a restart: the sink may hold the key from before the crash */
                Value *d = batch_add(out, RK_DELETE, ts);
                if (project(s, next, d, &cx)) return -1;
            }
            continue;
        }
        int p = passes(s, row, &cx);
        if (p < 0) return -1;
        if (!p) {
            if (replay_deletes(s) && rowkind_is_add(k)) {
                Value *d = batch_add(out, RK_DELETE, in->ts[i]);
                if (project(s, row, d, &cx)) return -1;
            }
            continue;
        }
        Value *o = batch_add(out, k, in->ts[i]);
        if (project(s, row, o, &cx)) return -1;
    }
    return 0;
}

const OpVTable op_calc_vt = {.init = calc_init, .process = calc_process, .end = calc_end};
