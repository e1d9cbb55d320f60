/*
 * plan_over.c — the planner's part for window functions: a query with
 * ROW_NUMBER() OVER (…) and a rank range (bind_over.c) becomes
 *
 *   input → Calc (its WHERE) → Rank | Deduplicate → Calc (its select list)
 *
 * Deduplicate when Flink would: the range is exactly rank 1, the rank
 * number is not read, the one ORDER BY column is a time attribute and the
 * input is append-only; Rank otherwise.  The EXPLAIN attributes and the
 * changelog requirement of both kinds live here too (plan_ops rows).
 */
#include "plan_over.h"

#include <inttypes.h>
#include <string.h>

/* Which window column (0 window_start, 1 window_end, 2 window_time)
 * column col of n is, following columns passed on unchanged; its window
 * node in *win.  -1: none. */
static int window_column(const PlanNode *n, int col, const PlanNode **win)
{
    while (n) {
        int base = -1;
        if (n->kind == PLAN_WINDOW_AGG) base = plan_window_agg(n)->ngroup;
        if (n->kind == PLAN_WINDOW_TVF) base = n->ncols - 3;
        if (base >= 0 && col >= base && col < base + 3) {
            *win = n;
            return col - base;
        }
        if (!plan_ops[n->kind].passes || n->ninputs != 1) return -1;
        col = plan_ops[n->kind].passes(n, col);
        if (col < 0) return -1;
        n = n->inputs[0];
    }
    return -1;
}

/* The window_end column among the partition columns of a Top-N over an
 * event-time window (window_start of the same window among them too), or
 * -1; *ltz: the window's time attribute is a TIMESTAMP_LTZ (window_end is
 * then local time). */
static int window_end_col(const PlanNode *in, const BRank *r, bool *ltz)
{
    const PlanNode *ws = NULL, *we = NULL;
    int wend = -1;
    for (int i = 0; i < r->npartition; i++) {
        const PlanNode *w = NULL;
        int which = window_column(in, r->partition[i], &w);
        if (which == 0) ws = w;
        if (which == 1) we = w, wend = r->partition[i];
    }
    if (!ws || ws != we) return -1;
    const WindowSpec *spec = ws->kind == PLAN_WINDOW_AGG ? &plan_window_agg(ws)->spec : &plan_window_tvf(ws)->spec;
    /* event time: window_end − 1 is the window's time (on a TIMESTAMP_LTZ attribute, local time) */
    *ltz = spec->ltz;
    return spec->time == TA_ROWTIME ? wend : -1;
}

PlanNode *plan_over_rank(Plan *p, const BQuery *q, PlanNode *in, Diag *d)
{
    const BRank *r = q->rank;
    if (r->hi < 0) {
        diag_error(d, DIAG_PLAN, r->pos,
                   "ROW_NUMBER() OVER (…) needs an enclosing query that filters on it (SELECT … FROM (…) WHERE %s <= N): "
                   "eddy runs it as a Top-N",
                   r->name ? r->name : "rn");
        return NULL;
    }
    /* WHERE first: it filters the rows that are ranked. */
    int nin = in->ncols;
    BExpr **ident = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(nin ? nin : 1));
    const char **names = arena_alloc(&p->arena, sizeof(char *) * (size_t)(nin ? nin : 1));
    for (int i = 0; i < nin; i++) {
        BExpr *e = arena_alloc(&p->arena, sizeof *e);
        e->kind = BX_COL;
        e->col = i;
        e->type = in->cols[i].type;
        e->pos = q->pos;
        ident[i] = e;
        names[i] = in->cols[i].name;
    }
    PlanNode *pre = plan_calc_node(p, in, q->where, ident, names, nin);

    PlanNode *n;
    bool proctime_order = false;
    for (int i = 0; i < r->norder; i++) proctime_order = proctime_order || r->order[i] < 0;
    bool dedup = r->lo == 1 && r->hi == 1 && !r->output && r->norder == 1 && r->order_time != TA_NONE && !pre->updating;
    if (proctime_order && !dedup) {
        diag_error(d, DIAG_PLAN, r->pos,
                   "ROW_NUMBER() ordered by a processing-time attribute is only supported as a deduplication "
                   "(rn = 1, the rank number not selected, an append-only input)");
        return NULL;
    }
    bool ltz = false;
    int wend = pre->updating ? -1 : window_end_col(pre, r, &ltz);
    if (wend >= 0 && !proctime_order) {
        int ncols = nin + (r->output ? 1 : 0);
        WindowRankPlan *wp = (WindowRankPlan *)plan_node_new(p, PLAN_WINDOW_RANK, sizeof(WindowRankPlan), pre, ncols);
        RankPlan *rp = &wp->rank;
        n = &rp->node;
        memcpy(n->cols, pre->cols, sizeof(PlanCol) * (size_t)nin);
        if (r->output) n->cols[nin] = (PlanCol){r->name, type_make(TY_BIGINT, false)};
        rp->partition = r->partition;
        rp->npartition = r->npartition;
        rp->order = r->order;
        rp->desc = r->desc;
        rp->nulls_last = r->nulls_last;
        rp->norder = r->norder;
        rp->lo = r->lo;
        rp->hi = r->hi;
        rp->output = r->output;
        rp->append_input = true;
        wp->wend = wend;
        wp->ltz = ltz;
        wp->dedup = r->lo == 1 && r->hi == 1 && r->norder == 1 && r->order_time == TA_ROWTIME;
        wp->last_ties = wp->dedup && r->desc[0];
        /* Append-only: each window's rows go out once, final. */
        if (r->output) {
            n->has_key = true;
            n->nkey = r->npartition + 1;
            memcpy(n->key, r->partition, sizeof(int) * (size_t)r->npartition);
            n->key[r->npartition] = nin;
        } else if (wp->dedup) {
            n->has_key = true;
            n->nkey = r->npartition;
            memcpy(n->key, r->partition, sizeof(int) * (size_t)r->npartition);
        }
        return plan_calc_node(p, n, NULL, q->out, q->out_names, q->nout);
    }
    if (dedup) {
        DedupPlan *dp = (DedupPlan *)plan_node_new(p, PLAN_DEDUP, sizeof(DedupPlan), pre, nin);
        n = &dp->node;
        memcpy(n->cols, pre->cols, sizeof(PlanCol) * (size_t)nin);
        dp->key = r->partition;
        dp->nkey = r->npartition;
        dp->time = (TimeAttr)r->order_time;
        dp->timecol = dp->time == TA_ROWTIME ? r->order[0] : -1;
        dp->keep_last = r->desc[0];
        /* One row per key: the first on processing time is final. */
        n->updating = dp->keep_last || dp->time == TA_ROWTIME;
        n->has_key = true;
        n->nkey = r->npartition;
        memcpy(n->key, r->partition, sizeof(int) * (size_t)r->npartition);
        /* The time attribute stays one only when the rows are final. */
        if (n->updating)
            for (int i = 0; i < nin; i++) n->cols[i].type.timeattr = TA_NONE;
    } else {
        int ncols = nin + (r->output ? 1 : 0);
        RankPlan *rp = (RankPlan *)plan_node_new(p, PLAN_RANK, sizeof(RankPlan), pre, ncols);
        n = &rp->node;
        memcpy(n->cols, pre->cols, sizeof(PlanCol) * (size_t)nin);
        for (int i = 0; i < nin; i++) n->cols[i].type.timeattr = TA_NONE;   /* rows move: no longer in time order */
        if (r->output) n->cols[nin] = (PlanCol){r->name, type_make(TY_BIGINT, false)};
        rp->partition = r->partition;
        rp->npartition = r->npartition;
        rp->order = r->order;
        rp->desc = r->desc;
        rp->nulls_last = r->nulls_last;
        rp->norder = r->norder;
        rp->lo = r->lo;
        rp->hi = r->hi;
        rp->output = r->output;
        rp->append_input = !pre->updating;
        n->updating = true;
        if (r->output) {
            n->has_key = true;
            n->nkey = r->npartition + 1;
            memcpy(n->key, r->partition, sizeof(int) * (size_t)r->npartition);
            n->key[r->npartition] = nin;
        } else if (pre->has_key) {
            n->has_key = true;
            n->nkey = pre->nkey;
            memcpy(n->key, pre->key, sizeof(int) * (size_t)pre->nkey);
        }
    }
    return plan_calc_node(p, n, NULL, q->out, q->out_names, q->nout);
}

PlanNode *plan_over_aggregate(Plan *p, const BQuery *q, PlanNode *in, Diag *d)
{
    const BOver *o = q->over;
    /* An append-only input is ordered by its time attribute, as in Flink;
     * an updating one (which Flink refuses) by the ORDER BY column's value:
     * op_over_update.c keeps every row and retracts what a change moves. */
    if (!in->updating && o->time == TA_NONE) {
        diag_error(d, DIAG_SEMANTIC, o->order_pos,
                   "an OVER window must be ordered by a time attribute (a WATERMARK column or PROCTIME()), as in Flink "
                   "(over an updating input eddy orders by any time or integer column)");
        return NULL;
    }
    if (in->updating && o->time == TA_PROCTIME) {
        diag_error(d, DIAG_SEMANTIC, o->order_pos,
                   "an OVER window over an updating input (from %s) is ordered by a column's value, not by processing time",
                   plan_update_origin(in));
        return NULL;
    }
    /* Pre-calc: WHERE, the input's columns, then each aggregate argument
     * that is not a plain column. */
    int nin = in->ncols, cap = nin + o->naggs;
    BExpr **pre = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(cap ? cap : 1));
    const char **names = arena_alloc(&p->arena, sizeof(char *) * (size_t)(cap ? cap : 1));
    for (int i = 0; i < nin; i++) {
        BExpr *e = arena_alloc(&p->arena, sizeof *e);
        e->kind = BX_COL;
        e->col = i;
        e->type = in->cols[i].type;
        e->pos = q->pos;
        pre[i] = e;
        names[i] = in->cols[i].name;
    }
    int npre = nin;
    BExpr **aggs = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(o->naggs ? o->naggs : 1));
    for (int j = 0; j < o->naggs; j++) {
        BExpr *a = arena_alloc(&p->arena, sizeof *a);
        *a = *o->aggs[j];
        if (a->a && a->a->kind != BX_COL) {
            pre[npre] = a->a;
            names[npre] = arena_printf(&p->arena, "$arg%d", j);
            BExpr *ref = arena_alloc(&p->arena, sizeof *ref);
            ref->kind = BX_COL;
            ref->col = npre++;
            ref->type = a->a->type;
            ref->pos = a->a->pos;
            a->a = ref;
        }
        aggs[j] = a;
    }
    PlanNode *pc = plan_calc_node(p, in, q->where, pre, names, npre);
    OverAggPlan *op = (OverAggPlan *)plan_node_new(p, in->updating ? PLAN_OVER_AGG_UPDATE : PLAN_OVER_AGG, sizeof(OverAggPlan), pc,
                                                   nin + o->naggs);
    PlanNode *n = &op->node;
    memcpy(n->cols, pc->cols, sizeof(PlanCol) * (size_t)nin);
    if (in->updating) {
        for (int i = 0; i < nin; i++) n->cols[i].type.timeattr = TA_NONE;
        n->updating = true;
    }
    for (int j = 0; j < o->naggs; j++) {
        const char *name = NULL;
        for (int i = 0; i < q->nout && !name; i++)
            if (q->out[i]->kind == BX_COL && q->out[i]->col == nin + j) name = q->out_names[i];
        n->cols[nin + j] = (PlanCol){name ? name : arena_printf(&p->arena, "w0$o%d", j), aggs[j]->type};
    }
    op->npass = nin;
    op->partition = o->partition;
    op->npartition = o->npartition;
    op->time = o->time;
    op->timecol = o->time != TA_PROCTIME ? o->timecol : -1;
    op->rows = o->rows;
    op->preceding = o->preceding;
    op->aggs = aggs;
    op->naggs = o->naggs;
    if (pc->has_key) {
        n->has_key = true;
        n->nkey = pc->nkey;
        memcpy(n->key, pc->key, sizeof(int) * (size_t)pc->nkey);
    }
    return plan_calc_node(p, n, NULL, q->out, q->out_names, q->nout);
}

/* ---- EXPLAIN ------------------------------------------------------- */

static const char **colnames(ExplainAttrs *a, const PlanNode *in, const int *cols, int n)
{
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) v[i] = in->cols[cols[i]].name;
    return v;
}

void plan_over_describe_rank(const PlanNode *n, ExplainAttrs *a)
{
    const RankPlan *rp = plan_rank(n);
    const PlanNode *in = n->inputs[0];
    explain_attr(a, "rankType", "ROW_NUMBER");
    if (rp->hi == INT64_MAX)
        explain_attr(a, "rankRange", arena_printf(a->arena, "rankStart=%" PRId64, rp->lo));
    else
        explain_attr(a, "rankRange", arena_printf(a->arena, "rankStart=%" PRId64 ", rankEnd=%" PRId64, rp->lo, rp->hi));
    explain_attr_list(a, "partitionBy", colnames(a, in, rp->partition, rp->npartition), rp->npartition);
    const char **o = arena_alloc(a->arena, sizeof(char *) * (size_t)rp->norder);
    for (int i = 0; i < rp->norder; i++) {
        bool default_nulls = rp->nulls_last[i] == rp->desc[i];
        o[i] = arena_printf(a->arena, "%s %s%s", in->cols[rp->order[i]].name, rp->desc[i] ? "DESC" : "ASC",
                            default_nulls ? "" : rp->nulls_last[i] ? " NULLS LAST" : " NULLS FIRST");
    }
    explain_attr_list(a, "orderBy", o, rp->norder);
    explain_attr(a, "rankNumber", rp->output ? n->cols[n->ncols - 1].name : "none");
    explain_attr(a, "state", rp->append_input ? arena_printf(a->arena, "top %" PRId64 " rows per partition", rp->hi)
                                              : "every row per partition (updating input)");
}

void plan_over_describe_agg(const PlanNode *n, ExplainAttrs *a)
{
    const OverAggPlan *op = plan_over_agg(n);
    const PlanNode *in = n->inputs[0];
    explain_attr_list(a, "partitionBy", colnames(a, in, op->partition, op->npartition), op->npartition);
    bool upd = n->kind == PLAN_OVER_AGG_UPDATE;
    explain_attr(a, "orderBy", op->timecol < 0 ? "PROCTIME ASC"
                               : arena_printf(a->arena, "%s ASC%s", in->cols[op->timecol].name, upd ? "" : " (ROWTIME)"));
    const char *lo;
    if (op->preceding < 0) lo = "UNBOUNDED PRECEDING";
    else if (op->preceding == 0) lo = "CURRENT ROW";
    else if (op->rows) lo = arena_printf(a->arena, "%" PRId64 " PRECEDING", op->preceding);
    else if (op->preceding % 3600000 == 0) lo = arena_printf(a->arena, "INTERVAL '%" PRId64 "' HOUR PRECEDING", op->preceding / 3600000);
    else if (op->preceding % 60000 == 0) lo = arena_printf(a->arena, "INTERVAL '%" PRId64 "' MINUTE PRECEDING", op->preceding / 60000);
    else if (op->preceding % 1000 == 0) lo = arena_printf(a->arena, "INTERVAL '%" PRId64 "' SECOND PRECEDING", op->preceding / 1000);
    else lo = arena_printf(a->arena, "INTERVAL '%" PRId64 ".%03d' SECOND PRECEDING", op->preceding / 1000, (int)(op->preceding % 1000));
    explain_attr(a, "frame", arena_printf(a->arena, "%s BETWEEN %s AND CURRENT ROW", op->rows ? "ROWS" : "RANGE", lo));
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(op->naggs ? op->naggs : 1));
    const char **inn = arena_alloc(a->arena, sizeof(char *) * (size_t)(in->ncols ? in->ncols : 1));
    for (int i = 0; i < in->ncols; i++) inn[i] = in->cols[i].name;
    for (int j = 0; j < op->naggs; j++) {
        StrBuf b = {0};
        bexpr_print(&b, op->aggs[j], inn);
        v[j] = arena_printf(a->arena, "%s AS %s", b.s, n->cols[op->npass + j].name);
        sb_free(&b);
    }
    explain_attr_list(a, "aggs", v, op->naggs);
    if (upd) explain_attr(a, "state", "every row per partition (updating input)");
}

void plan_over_describe_window_rank(const PlanNode *n, ExplainAttrs *a)
{
    const WindowRankPlan *wp = plan_window_rank(n);
    if (wp->dedup) explain_attr(a, "deduplicate", wp->last_ties ? "LastRow" : "FirstRow");
    plan_over_describe_rank(n, a);
    a->n--;   /* no state attribute: a window's rows are freed when it fires */
    explain_attr(a, "fires", arena_printf(a->arena, "when the watermark passes %s", n->inputs[0]->cols[wp->wend].name));
}

void plan_over_describe_dedup(const PlanNode *n, ExplainAttrs *a)
{
    const DedupPlan *dp = plan_dedup(n);
    const PlanNode *in = n->inputs[0];
    explain_attr(a, "keep", dp->keep_last ? "LastRow" : "FirstRow");
    explain_attr_list(a, "key", colnames(a, in, dp->key, dp->nkey), dp->nkey);
    explain_attr(a, "order", dp->timecol >= 0 ? arena_printf(a->arena, "%s (ROWTIME)", in->cols[dp->timecol].name) : "PROCTIME");
}

/* A Rank removes rows by value: it needs its input's before-images; it
 * gives its own when asked, or when its rows have no key to upsert by. */
void plan_over_require_rank(PlanNode *n, bool need)
{
    n->before = need || !n->has_key;
    plan_require(n->inputs[0], n->inputs[0]->updating);
}

void plan_over_require_dedup(PlanNode *n, bool need)
{
    n->before = n->updating && need;
    plan_require(n->inputs[0], false);
}
