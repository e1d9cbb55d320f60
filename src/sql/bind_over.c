/*
 * bind_over.c — window functions in the binder: `ROW_NUMBER() OVER
 * (PARTITION BY k ORDER BY v DESC)` as a select item and the enclosing
 * query's filter on it, Flink's Top-N and deduplication patterns:
 *
 *   SELECT … FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) AS rn
 *                  FROM t) WHERE rn <= N
 *
 * The inner query gets a BRank (partition and order columns of its input;
 * the rank number is input column nin to its select list); the outer
 * query's conjuncts on rn (`rn <= N`, `rn < N`, `rn = N`, `rn BETWEEN a
 * AND b`, `rn >= a`) become the rank range and leave its WHERE.  When the
 * outer query does not read rn, the rank column is dropped (Flink's "no
 * ranking output": only rows entering and leaving the top N change).
 * Whether it runs as a Rank or a Deduplicate is the planner's choice
 * (plan_over.c).  As in Flink, ROW_NUMBER is the only ranking function a
 * streaming query may use; RANK and DENSE_RANK are refused by name.
 */
#include "bind_over.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "func.h"

bool bind_over_has(const AstExpr *x)
{
    if (!x) return false;
    if (x->over) return true;
    if (bind_over_has(x->a) || bind_over_has(x->b) || bind_over_has(x->c)) return true;
    for (int i = 0; i < x->nargs; i++)
        if (bind_over_has(x->args[i])) return true;
    return false;
}

/* The named window `name` of the query's WINDOW clause, or NULL. */
static const AstWindowDef *named_window(const AstSelect *sel, const char *name)
{
    for (int i = 0; i < sel->nwindows; i++)
        if (strcmp(sel->windows[i]->name, name) == 0) return sel->windows[i];
    return NULL;
}

/* x's window with a reference to a named one resolved (`OVER w`, `OVER (w
 * ORDER BY …)`): the named window's clauses, the reference's own added
 * where the named one has none (SQL forbids overriding them). */
static int resolve_window(BindCtx *c, const AstSelect *sel, const AstWindowDef *w, AstWindowDef *out)
{
    *out = *w;
    if (!w->ref) return 0;
    const AstWindowDef *base = named_window(sel, w->ref);
    if (!base) return diag_error(c->diag, DIAG_SEMANTIC, w->ref_pos, "unknown window '%s' (name it in the query's WINDOW clause)", w->ref);
    if (base->ref) return diag_error(c->diag, DIAG_SEMANTIC, base->ref_pos, "a window of the WINDOW clause cannot refer to another window");
    if (w->npartition) return diag_error(c->diag, DIAG_SEMANTIC, w->partition[0]->pos, "window '%s' is named: it cannot add PARTITION BY", w->ref);
    if (w->norder && base->norder)
        return diag_error(c->diag, DIAG_SEMANTIC, w->order[0]->pos, "window '%s' already has ORDER BY", w->ref);
    if (w->frame && base->frame) return diag_error(c->diag, DIAG_SEMANTIC, w->frame->pos, "window '%s' already has a frame", w->ref);
    out->partition = base->partition;
    out->npartition = base->npartition;
    if (!w->norder) {
        out->order = base->order;
        out->norder = base->norder;
    }
    if (!w->frame) out->frame = base->frame;
    return 0;
}

/* A PARTITION BY / ORDER BY expression of a ranking function: a column of
 * the FROM item (as Flink's Rank reads them); its input index, -1 after an
 * error, or (ORDER BY only) -2 for a processing-time attribute computed by
 * PROCTIME(), which orders rows by arrival. */
static int rank_column(BindCtx *c, const struct Scope *sc, const AstExpr *x, const char *clause, unsigned char *timeattr)
{
    BExpr *e = bind_scope_expr(c, sc, x);
    if (!e) return -1;
    if (e->kind != BX_COL && timeattr && e->type.timeattr == TA_PROCTIME) {
        *timeattr = TA_PROCTIME;   /* a PROCTIME() column: the order rows arrive in (no value to read) */
        return -2;
    }
    if (e->kind != BX_COL) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s of ROW_NUMBER() takes columns; compute this expression in a subquery and name it", clause);
        return -1;
    }
    if (timeattr) *timeattr = e->type.timeattr;
    return e->col;
}

int bind_over_item(BindCtx *c, const struct Scope *sc, const AstSelect *sel, BQuery *q, const AstSelItem *it, BExpr **out)
{
    const AstExpr *x = it->expr;
    if (!x->over) {
        /* The window function is inside an expression: find it to point at. */
        const AstExpr *stack[64];
        int sp = 0;
        stack[sp++] = x;
        while (sp > 0) {
            const AstExpr *y = stack[--sp];
            if (y->over) return diag_error(c->diag, DIAG_SEMANTIC, y->pos, "%s() OVER (…) must be a select item of its own (use a subquery to compute with it)", y->name);
            const AstExpr *kids[3] = {y->a, y->b, y->c};
            for (int i = 0; i < 3 && sp < 63; i++)
                if (kids[i]) stack[sp++] = kids[i];
            for (int i = 0; i < y->nargs && sp < 63; i++) stack[sp++] = y->args[i];
        }
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "a window function must be a select item of its own");
    }
    if (strcasecmp(x->name, "RANK") == 0 || strcasecmp(x->name, "DENSE_RANK") == 0)
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos,
                          "%s() is not supported by eddy in a streaming query (as in Flink, Top-N takes ROW_NUMBER() only)", x->name);
    if (strcasecmp(x->name, "ROW_NUMBER") != 0) {
        const FuncDef *fn = func_find(x->name);
        if (fn && fn->agg)
            return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "OVER aggregations (%s(…) OVER …) are not supported by eddy yet", fn->name);
        if (!fn) return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown window function '%s'", x->name);
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s is not a window function: OVER takes ROW_NUMBER() or an aggregate", fn->name);
    }
    if (x->nargs || x->star || x->distinct) return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "ROW_NUMBER takes no arguments");
    if (q->rank) return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "a query may have one ROW_NUMBER() OVER (…); use a subquery for another");
    AstWindowDef w;
    if (resolve_window(c, sel, x->over, &w)) return c->diag->code;
    if (w.frame) return diag_error(c->diag, DIAG_SEMANTIC, w.frame->pos, "ROW_NUMBER() takes no window frame (ROWS / RANGE)");
    if (!w.norder) return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "ROW_NUMBER() needs ORDER BY in its OVER clause");
    BRank *r = arena_alloc(c->arena, sizeof *r);
    r->pos = x->pos;
    r->npartition = w.npartition;
    r->partition = arena_alloc(c->arena, sizeof(int) * (size_t)(w.npartition ? w.npartition : 1));
    for (int i = 0; i < w.npartition; i++)
        if ((r->partition[i] = rank_column(c, sc, w.partition[i], "PARTITION BY", NULL)) < 0) return c->diag->code;
    r->norder = w.norder;
    r->order = arena_alloc(c->arena, sizeof(int) * (size_t)w.norder);
    r->desc = arena_alloc(c->arena, sizeof(bool) * (size_t)w.norder);
    r->nulls_last = arena_alloc(c->arena, sizeof(bool) * (size_t)w.norder);
    for (int i = 0; i < w.norder; i++) {
        unsigned char ta = TA_NONE;
        if ((r->order[i] = rank_column(c, sc, w.order[i]->expr, "ORDER BY", &ta)) == -1) return c->diag->code;
        r->desc[i] = w.order[i]->desc;
        r->nulls_last[i] = w.order[i]->nulls ? w.order[i]->nulls == 2 : w.order[i]->desc;
        if (w.norder == 1) r->order_time = ta;
    }
    r->lo = 1;
    r->hi = -1;
    r->output = true;
    r->col = -1;   /* set by bind_over_query: the item's position */
    q->rank = r;
    BExpr *e = arena_alloc(c->arena, sizeof *e);
    e->kind = BX_COL;
    e->col = q->nin;
    e->type = type_make(TY_BIGINT, false);
    e->pos = it->pos;
    *out = e;
    return 0;
}

/* ---- the enclosing query's filter ------------------------------------ */

/* An integer constant (possibly under a widening CAST): its value. */
static bool int_const(const BExpr *e, int64_t *v)
{
    if (e->kind == BX_CAST && e->a && type_is_integer(e->type)) e = e->a;
    if (e->kind != BX_LIT || e->lit.null || !type_is_integer(e->type)) return false;
    *v = e->lit.i;
    return true;
}

static bool is_col(const BExpr *e, int col)
{
    if (e->kind == BX_CAST && e->a && type_is_integer(e->type)) e = e->a;
    return e->kind == BX_COL && e->col == col;
}

static void split_and(BindCtx *c, BExpr *e, PtrList *into)
{
    if (e->kind == BX_OP && e->op == OP_AND) {
        split_and(c, e->a, into);
        split_and(c, e->b, into);
    } else {
        ptrlist_push(c->arena, into, e);
    }
}

/* Narrows [lo, hi] by conjunct e when it compares the rank column with a
 * constant; false when it does not. */
static bool rank_bound(const BExpr *e, int col, int64_t *lo, int64_t *hi, bool *has_hi)
{
    if (e->kind != BX_OP) return false;
    AstOp op = e->op;
    int64_t v;
    if (is_col(e->a, col) && int_const(e->b, &v)) {
    } else if (is_col(e->b, col) && int_const(e->a, &v)) {
        /* N >= rn is rn <= N */
        op = op == OP_LT ? OP_GT : op == OP_LE ? OP_GE : op == OP_GT ? OP_LT : op == OP_GE ? OP_LE : op;
    } else {
        return false;
    }
    switch (op) {
    case OP_LE: if (v < *hi) *hi = v; *has_hi = true; return true;
    case OP_LT: if (v - 1 < *hi) *hi = v - 1; *has_hi = true; return true;
    case OP_EQ:
        if (v < *hi) *hi = v;
        if (v > *lo) *lo = v;
        *has_hi = true;
        return true;
    case OP_GE: if (v > *lo) *lo = v; return true;
    case OP_GT: if (v + 1 > *lo) *lo = v + 1; return true;
    default: return false;
    }
}

static bool reads_col(const BExpr *e, int col)
{
    if (!e) return false;
    if (e->kind == BX_COL) return e->col == col;
    if (reads_col(e->a, col) || reads_col(e->b, col)) return true;
    for (int i = 0; i < e->nargs; i++)
        if (reads_col(e->args[i], col)) return true;
    return false;
}

/* A copy of e with column references past `gone` moved down by one. */
static BExpr *drop_col(BindCtx *c, const BExpr *e, int gone)
{
    if (!e) return NULL;
    BExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *e;
    if (e->kind == BX_COL && e->col > gone) n->col--;
    n->a = drop_col(c, e->a, gone);
    n->b = drop_col(c, e->b, gone);
    if (e->nargs) {
        n->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) n->args[i] = drop_col(c, e->args[i], gone);
    }
    return n;
}

int bind_over_query(BindCtx *c, const AstSelect *sel, BQuery *q)
{
    if (q->rank) {
        BRank *r = q->rank;
        if (q->is_agg)
            return diag_error(c->diag, DIAG_SEMANTIC, r->pos,
                              "ROW_NUMBER() OVER in an aggregate query is not supported: aggregate in a subquery and rank its rows");
        if (q->window)
            return diag_error(c->diag, DIAG_SEMANTIC, r->pos, "ROW_NUMBER() OVER a window table function (window Top-N) is not supported by eddy yet");
        for (int i = 0; i < q->nout; i++)
            if (q->out[i]->kind == BX_COL && q->out[i]->col == q->nin) r->col = i;
        r->name = q->out_names[r->col];
    }
    BQuery *sub = q->sub;
    if (!sub || !sub->rank || sub->rank->hi >= 0) return 0;
    BRank *r = sub->rank;
    int64_t lo = 1, hi = INT64_MAX;
    bool has_hi = false;
    PtrList conj = {0}, rest = {0};
    if (q->where) split_and(c, q->where, &conj);
    for (int i = 0; i < conj.n; i++)
        if (!rank_bound(conj.v[i], r->col, &lo, &hi, &has_hi)) ptrlist_push(c->arena, &rest, conj.v[i]);
    if (!has_hi)
        return diag_error(c->diag, DIAG_SEMANTIC, r->pos,
                          "ROW_NUMBER() OVER (…) needs an upper bound in the enclosing query's WHERE (%s <= N): eddy runs it as a Top-N",
                          r->name);
    if (lo < 1) lo = 1;
    if (hi < lo) return diag_error(c->diag, DIAG_SEMANTIC, sel->where ? sel->where->pos : r->pos, "the filter on %s selects no rank", r->name);
    r->lo = lo;
    r->hi = hi;
    BExpr *where = NULL;
    for (int i = 0; i < rest.n; i++) {
        if (!where) {
            where = rest.v[i];
            continue;
        }
        BExpr *a = arena_alloc(c->arena, sizeof *a);
        a->kind = BX_OP;
        a->op = OP_AND;
        a->type = type_make(TY_BOOLEAN, where->type.nullable || ((BExpr *)rest.v[i])->type.nullable);
        a->pos = where->pos;
        a->a = where;
        a->b = rest.v[i];
        where = a;
    }
    q->where = where;
    bool read = reads_col(q->where, r->col) || sel->ngroupby || sel->having || sel->distinct;
    for (int i = 0; i < q->nout && !read; i++) read = reads_col(q->out[i], r->col);
    r->output = read;
    if (read) return 0;
    /* No ranking output: the rank column leaves the subquery's row. */
    int gone = r->col;
    for (int i = gone; i + 1 < sub->nout; i++) {
        sub->out[i] = sub->out[i + 1];
        sub->out_names[i] = sub->out_names[i + 1];
        sub->out_pos[i] = sub->out_pos[i + 1];
    }
    sub->nout--;
    for (int i = gone; i + 1 < q->nin; i++) q->in_types[i] = q->in_types[i + 1];
    q->nin--;
    q->in_names = sub->out_names;
    for (int i = 0; i < q->nout; i++) q->out[i] = drop_col(c, q->out[i], gone);
    q->where = drop_col(c, q->where, gone);
    r->col = -1;
    return 0;
}
