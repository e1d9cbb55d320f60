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
 * ranking output": only rows entering and leaving the top N change), and
 * so is every other column of the inner query it does not read.  Whether
 * it runs as a Rank, a WindowRank or a Deduplicate is the planner's choice
 * (plan_over.c).  As in Flink, ROW_NUMBER is the only ranking function a
 * streaming query may use; RANK and DENSE_RANK are refused by name.
 *
 * OVER aggregates (`SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN
 * 2 PRECEDING AND CURRENT ROW)`, `OVER w` with `WINDOW w AS (…)`), also
 * inside expressions: bind_call meets each with c->over set and calls
 * bind_over_call, which checks the window (ORDER BY one time attribute
 * ascending, a frame ending at CURRENT ROW, the same window for every
 * OVER aggregate of the query, as Flink requires), collects the call in
 * the query's BOver and returns a reference to input column nin + k.
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

/* A name the WINDOW clause defines twice, or NULL. */
static const AstWindowDef *twice_named(const AstSelect *sel)
{
    for (int i = 0; i < sel->nwindows; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(sel->windows[i]->name, sel->windows[j]->name) == 0) return sel->windows[i];
    return NULL;
}

/* x's window with a reference to a named one resolved (`OVER w`, `OVER (w
 * ORDER BY …)`): the named window's clauses, the reference's own added
 * where the named one has none (SQL forbids overriding them). */
static int resolve_window(BindCtx *c, const AstSelect *sel, const AstWindowDef *w, AstWindowDef *out)
{
    *out = *w;
    const AstWindowDef *dup = twice_named(sel);
    if (dup) return diag_error(c->diag, DIAG_SEMANTIC, dup->pos, "window '%s' is defined twice in the WINDOW clause", dup->name);
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
static int rank_column(BindCtx *c, const struct Scope *sc, const AstExpr *x, const char *clause, unsigned char *timeattr,
                       Type *type)
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
    if (type) *type = e->type;
    return e->col;
}

static bool is_rank_fn(const char *name)
{
    return strcasecmp(name, "ROW_NUMBER") == 0 || strcasecmp(name, "RANK") == 0 || strcasecmp(name, "DENSE_RANK") == 0;
}

/* The ranking function with OVER inside x (not x itself), or NULL. */
static const AstExpr *nested_rank(const AstExpr *x, bool top)
{
    if (!x) return NULL;
    if (!top && x->over && is_rank_fn(x->name)) return x;
    const AstExpr *kids[3] = {x->a, x->b, x->c};
    for (int i = 0; i < 3; i++) {
        const AstExpr *r = nested_rank(kids[i], false);
        if (r) return r;
    }
    for (int i = 0; i < x->nargs; i++) {
        const AstExpr *r = nested_rank(x->args[i], false);
        if (r) return r;
    }
    return NULL;
}

/* What bind_over_call needs of the select item being bound. */
typedef struct BindOverItem {
    const AstSelect *sel; /* its query (the WINDOW clause) */
    BQuery          *q;   /* the bound query (q->over collects the aggregates) */
} BindOverItem;

int bind_over_item(BindCtx *c, const struct Scope *sc, const AstSelect *sel, BQuery *q, const AstSelItem *it, BExpr **out)
{
    const AstExpr *x = it->expr;
    const AstExpr *nr = nested_rank(x, true);
    if (nr) return diag_error(c->diag, DIAG_SEMANTIC, nr->pos, "%s() OVER (…) must be a select item of its own (use a subquery to compute with it)", nr->name);
    if (!x->over || !is_rank_fn(x->name)) {
        /* OVER aggregates, possibly inside an expression: bind_call meets
         * each and calls bind_over_call. */
        BindOverItem bo = {sel, q};
        c->over = &bo;
        *out = bind_scope_expr(c, sc, x);
        c->over = NULL;
        return *out ? 0 : c->diag->code;
    }
    if (strcasecmp(x->name, "RANK") == 0 || strcasecmp(x->name, "DENSE_RANK") == 0)
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos,
                          "%s() is not supported by eddy in a streaming query (as in Flink, Top-N takes ROW_NUMBER() only)", x->name);
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
        if ((r->partition[i] = rank_column(c, sc, w.partition[i], "PARTITION BY", NULL, NULL)) < 0) return c->diag->code;
    r->norder = w.norder;
    r->order = arena_alloc(c->arena, sizeof(int) * (size_t)w.norder);
    r->desc = arena_alloc(c->arena, sizeof(bool) * (size_t)w.norder);
    r->nulls_last = arena_alloc(c->arena, sizeof(bool) * (size_t)w.norder);
    for (int i = 0; i < w.norder; i++) {
        unsigned char ta = TA_NONE;
        if ((r->order[i] = rank_column(c, sc, w.order[i]->expr, "ORDER BY", &ta, NULL)) == -1) return c->diag->code;
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

/* ---- OVER aggregates ---------------------------------------------------- */

BExpr *bind_over_call(BindCtx *c, const struct Scope *sc, const AstExpr *x)
{
    BindOverItem *bo = c->over;
    BQuery *q = bo->q;
    const FuncDef *fn = func_find(x->name);
    if (!fn) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown function '%s'", x->name);
        return NULL;
    }
    if (!fn->agg) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s is not an aggregate function: OVER takes ROW_NUMBER() or an aggregate", fn->name);
        return NULL;
    }
    /* What Flink's planner refuses over an OVER window: a FILTER (Calcite
     * keeps none on a windowed call) and the variance family (Flink
     * implements it only by rewriting a GROUP BY's aggregates). */
    if (x->c) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "FILTER (WHERE …) is not supported on an OVER aggregate (as in Flink); "
                   "write %s(CASE WHEN … THEN x END) OVER (…) instead", fn->name);
        return NULL;
    }
    if (fn->id == FN_STDDEV_POP || fn->id == FN_STDDEV_SAMP || fn->id == FN_VAR_POP || fn->id == FN_VAR_SAMP) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s is not supported over an OVER window (as in Flink); use it in GROUP BY "
                   "or a window aggregate", fn->name);
        return NULL;
    }
    AstWindowDef w;
    if (resolve_window(c, bo->sel, x->over, &w)) return NULL;
    if (w.norder != 1) {
        diag_error(c->diag, DIAG_SEMANTIC, w.norder ? w.order[1]->pos : x->pos,
                   "an OVER aggregate's window needs ORDER BY one time attribute (a WATERMARK column or PROCTIME())");
        return NULL;
    }
    const AstOrderItem *oi = w.order[0];
    if (oi->desc) {
        diag_error(c->diag, DIAG_SEMANTIC, oi->pos, "an OVER window orders by its time attribute ascending only (as in Flink)");
        return NULL;
    }
    BOver o = {.pos = x->pos, .rows = false, .preceding = -1};
    unsigned char ta = TA_NONE;
    Type otype = {0};
    if ((o.timecol = rank_column(c, sc, oi->expr, "ORDER BY", &ta, &otype)) == -1 && c->diag->code) return NULL;
    if (ta == TA_NONE) {
        /* Over an updating input (plan_over_aggregate) rows are ordered by
         * value: a column of a time or integer type will do there. */
        unsigned char k = o.timecol >= 0 ? otype.kind : TY__COUNT;
        if (!(k == TY_TIMESTAMP || k == TY_TIMESTAMP_LTZ || k == TY_DATE || k == TY_TINYINT || k == TY_SMALLINT || k == TY_INT ||
              k == TY_BIGINT)) {
            diag_error(c->diag, DIAG_SEMANTIC, oi->pos,
                       "an OVER window must be ordered by a time attribute (a WATERMARK column or PROCTIME()), as in Flink");
            return NULL;
        }
    }
    o.time = (TimeAttr)ta;
    o.order_pos = oi->pos;
    o.npartition = w.npartition;
    o.partition = arena_alloc(c->arena, sizeof(int) * (size_t)(w.npartition ? w.npartition : 1));
    for (int i = 0; i < w.npartition; i++)
        if ((o.partition[i] = rank_column(c, sc, w.partition[i], "PARTITION BY", NULL, NULL)) < 0) return NULL;
    if (w.frame) {
        const AstFrame *f = w.frame;
        o.rows = f->rows;
        if (f->hi->kind != FB_CURRENT_ROW) {
            diag_error(c->diag, DIAG_SEMANTIC, f->hi->pos, "an OVER window ends at CURRENT ROW in a streaming query (as in Flink)");
            return NULL;
        }
        switch (f->lo->kind) {
        case FB_UNBOUNDED_PRECEDING: o.preceding = -1; break;
        case FB_CURRENT_ROW: o.preceding = 0; break;
        case FB_PRECEDING: {
            BExpr *b = bind_scope_expr(c, sc, f->lo->offset);
            if (!b) return NULL;
            bool ok = b->kind == BX_LIT && !b->lit.null && b->lit.i >= 0 &&
                      (f->rows ? type_is_integer(b->type) : b->type.kind == TY_INTERVAL);
            if (!ok) {
                diag_error(c->diag, DIAG_SEMANTIC, f->lo->pos,
                           f->rows ? "ROWS takes a number of rows: n PRECEDING with n a non-negative integer"
                                   : "RANGE over a time attribute takes an interval: INTERVAL '1' HOUR PRECEDING");
                return NULL;
            }
            o.preceding = b->lit.i;
            break;
        }
        default:
            diag_error(c->diag, DIAG_SEMANTIC, f->lo->pos, "an OVER window starts before its current row: n PRECEDING or UNBOUNDED PRECEDING");
            return NULL;
        }
    }
    if (o.time == TA_NONE && !o.rows && o.preceding > 0 && otype.kind != TY_TIMESTAMP && otype.kind != TY_TIMESTAMP_LTZ) {
        diag_error(c->diag, DIAG_SEMANTIC, w.frame->pos, "RANGE … PRECEDING takes an interval before a TIMESTAMP column; order by one, or use ROWS");
        return NULL;
    }
    if (o.time == TA_PROCTIME && !o.rows && o.preceding > 0) {
        diag_error(c->diag, DIAG_SEMANTIC, w.frame->pos,
                   "RANGE … PRECEDING on a processing-time attribute is not supported by eddy yet (use ROWS, or an event-time attribute)");
        return NULL;
    }
    if (q->over) {
        const BOver *p = q->over;
        bool same = p->npartition == o.npartition && p->timecol == o.timecol && p->time == o.time && p->rows == o.rows &&
                    p->preceding == o.preceding;
        for (int i = 0; same && i < o.npartition; i++) same = p->partition[i] == o.partition[i];
        if (!same) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "every OVER aggregate of a query must use the same window (as in Flink)");
            return NULL;
        }
    } else {
        q->over = arena_alloc(c->arena, sizeof *q->over);
        *q->over = o;
        q->over->aggs = arena_alloc(c->arena, sizeof(BExpr *) * 16);
    }
    /* The call itself, without OVER (and no OVER inside it). */
    AstExpr call = *x;
    call.over = NULL;
    c->over = NULL;
    BExpr *agg = bind_scope_agg(c, sc, &call);
    c->over = bo;
    if (!agg) return NULL;
    BOver *ov = q->over;
    int k = 0;
    while (k < ov->naggs && !bexpr_equal(ov->aggs[k], agg)) k++;
    if (k == ov->naggs) {
        if (ov->naggs == 16) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "a query may have at most 16 OVER aggregates");
            return NULL;
        }
        ov->aggs[ov->naggs++] = agg;
    }
    BExpr *e = arena_alloc(c->arena, sizeof *e);
    e->kind = BX_COL;
    e->col = q->nin + k;
    e->type = agg->type;
    e->pos = x->pos;
    return e;
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
    case OP_LT: if (v == INT64_MIN) v = INT64_MIN + 1; if (v - 1 < *hi) *hi = v - 1; *has_hi = true; return true;
    case OP_EQ:
        if (v < *hi) *hi = v;
        if (v > *lo) *lo = v;
        *has_hi = true;
        return true;
    case OP_GE: if (v > *lo) *lo = v; return true;
    case OP_GT: if (v == INT64_MAX) v = INT64_MAX - 1; if (v + 1 > *lo) *lo = v + 1; return true;
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

/* A copy of e with column references renumbered by map. */
static BExpr *remap_cols(BindCtx *c, const BExpr *e, const int *map)
{
    if (!e) return NULL;
    BExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *e;
    if (e->kind == BX_COL) n->col = map[e->col];
    n->a = remap_cols(c, e->a, map);
    n->b = remap_cols(c, e->b, map);
    if (e->nargs) {
        n->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) n->args[i] = remap_cols(c, e->args[i], map);
    }
    return n;
}

int bind_over_query(BindCtx *c, const AstSelect *sel, BQuery *q)
{
    if (q->over) {
        if (q->is_agg)
            return diag_error(c->diag, DIAG_SEMANTIC, q->over->pos, "OVER aggregates cannot be mixed with GROUP BY, DISTINCT or other aggregates in one query");
        if (q->rank) return diag_error(c->diag, DIAG_SEMANTIC, q->rank->pos, "ROW_NUMBER() and OVER aggregates in one query are not supported: use a subquery");
        if (q->window) return diag_error(c->diag, DIAG_SEMANTIC, q->over->pos, "OVER aggregates over a window table function are not supported by eddy");
    }
    if (q->rank) {
        BRank *r = q->rank;
        if (q->is_agg)
            return diag_error(c->diag, DIAG_SEMANTIC, r->pos,
                              "ROW_NUMBER() OVER in an aggregate query is not supported: aggregate in a subquery and rank its rows");
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
    /* The columns of the subquery q reads: the rest (the rank number
     * among them: Flink's "no ranking output") leave its row, so that the
     * Rank passes on no more than is read. */
    bool all = sel->ngroupby || sel->having || sel->distinct;
    int *map = arena_alloc(c->arena, sizeof(int) * (size_t)(sub->nout ? sub->nout : 1));
    int kept = 0;
    for (int col = 0; col < sub->nout; col++) {
        bool read = all || reads_col(q->where, col);
        for (int i = 0; i < q->nout && !read; i++) read = reads_col(q->out[i], col);
        map[col] = read ? kept++ : -1;
    }
    r->output = map[r->col] >= 0;
    if (kept == sub->nout) return 0;
    for (int col = 0; col < sub->nout; col++) {
        if (map[col] < 0) continue;
        sub->out[map[col]] = sub->out[col];
        sub->out_names[map[col]] = sub->out_names[col];
        sub->out_pos[map[col]] = sub->out_pos[col];
        q->in_types[map[col]] = q->in_types[col];
    }
    sub->nout = kept;
    q->nin = kept;
    q->in_names = sub->out_names;
    for (int i = 0; i < q->nout; i++) q->out[i] = remap_cols(c, q->out[i], map);
    q->where = remap_cols(c, q->where, map);
    r->col = r->output ? map[r->col] : -1;
    return 0;
}
