/*
 * plan.c — the planner: bound queries to operator trees.
 *
 * Shape: source [→ normalize] → calc → group aggregate → calc → sink, with
 * calcs dropped when they would do nothing.  Then changelog inference:
 * which operators emit updates, on which unique key, and whether their
 * consumers need -U before-images (retract) or can take upserts by key —
 * the same requirement propagation Flink does, top-down from the sink.
 * Finally the sink rules: no updates into an append-only table, and an
 * upsert table's primary key must be the query's unique key.
 */
#include "plan.h"
#include "plan_over.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

Plan *plan_new(void)
{
    Plan *p = calloc(1, sizeof *p);
    if (!p) abort();
    arena_init(&p->arena, 8192);
    exec_config_build(&p->config, NULL, 0, NULL);
    return p;
}

void plan_free(Plan *p)
{
    if (!p) return;
    arena_free(&p->arena);
    free(p);
}

void plan_position(const Plan *p, int offset, char *buf, size_t cap)
{
    if (!p->src || offset < p->srcpos || offset > p->srcpos + p->srclen) {   /* not in this statement's text */
        snprintf(buf, cap, "%s", p->srcname ? p->srcname : "<sql>");
        return;
    }
    int line = p->srcline, col = p->srccol;
    diag_linecol_advance(p->src, (size_t)p->srclen, 0, offset - p->srcpos, &line, &col);
    snprintf(buf, cap, "%s:%d:%d", p->srcname ? p->srcname : "<sql>", line, col);
}

const char *changelog_name(Changelog c)
{
    static const char *const n[] = {"append", "retract", "upsert"};
    return n[c];
}

void plan_set_settings(Plan *p, const KeyValue *kv, int n)
{
    p->settings = arena_alloc(&p->arena, sizeof(KeyValue) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        p->settings[i].key = arena_strdup(&p->arena, kv[i].key);
        p->settings[i].value = arena_strdup(&p->arena, kv[i].value);
    }
    p->nsettings = n;
    exec_config_build(&p->config, p->settings, n, &p->arena);
    p->flink_changelog = !p->config.minibatch_enabled;
}

/* Appends an edge input → n (n's next input port); n is updating when
 * any input is. */
static void node_add_input(Plan *p, PlanNode *n, PlanNode *input)
{
    PlanNode **ins = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(n->ninputs + 1));
    if (n->ninputs) memcpy(ins, n->inputs, sizeof(PlanNode *) * (size_t)n->ninputs);
    ins[n->ninputs++] = input;
    n->inputs = ins;
    PlanNode **outs = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(input->nouts + 1));
    if (input->nouts) memcpy(outs, input->outs, sizeof(PlanNode *) * (size_t)input->nouts);
    outs[input->nouts++] = n;
    input->outs = outs;
    n->updating = n->updating || input->updating;
}

/* A new node of `size` bytes (its kind's payload struct) fed by `input`
 * (NULL for a source); the edge is recorded on both ends. */
static PlanNode *node_new(Plan *p, PlanKind k, size_t size, PlanNode *input, int ncols)
{
    PlanNode *n = arena_alloc(&p->arena, size);
    n->kind = k;
    n->origin = -1;
    n->ncols = ncols;
    n->cols = arena_alloc(&p->arena, sizeof(PlanCol) * (size_t)(ncols ? ncols : 1));
    n->key = arena_alloc(&p->arena, sizeof(int) * (size_t)(ncols ? ncols : 1));
    n->per_row = p->flink_changelog;
    if (input) node_add_input(p, n, input);
    PlanNode **nodes = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(p->nnodes + 1));
    if (p->nnodes) memcpy(nodes, p->nodes, sizeof(PlanNode *) * (size_t)p->nnodes);
    nodes[p->nnodes] = n;
    n->id = p->nnodes++;
    p->nodes = nodes;
    return n;
}

static const PlanTable *table_copy(Plan *p, const CatTable *t)
{
    Arena *a = &p->arena;
    PlanTable *pt = arena_alloc(a, sizeof *pt);
    pt->name = arena_strdup(a, t->name);
    pt->ncols = t->ncols;
    pt->cols = arena_alloc(a, sizeof(CatColumn) * (size_t)t->ncols);
    for (int i = 0; i < t->ncols; i++) {
        pt->cols[i] = t->cols[i];
        pt->cols[i].name = arena_strdup(a, t->cols[i].name);
        pt->cols[i].type = type_dup(a, t->cols[i].type);
        pt->cols[i].expr = NULL;
    }
    pt->npk = t->npk;
    pt->pk = arena_alloc(a, sizeof(int) * (size_t)(t->npk ? t->npk : 1));
    if (t->npk) memcpy(pt->pk, t->pk, sizeof(int) * (size_t)t->npk);
    pt->nkeycols = t->nkeycols;
    pt->keycols = arena_alloc(a, sizeof(int) * (size_t)(t->nkeycols ? t->nkeycols : 1));
    if (t->nkeycols) memcpy(pt->keycols, t->keycols, sizeof(int) * (size_t)t->nkeycols);
    pt->conn = t->conn;
    pt->conn.topic = arena_strdup(a, t->conn.topic);
    pt->conn.dead_letter = arena_strdup(a, t->conn.dead_letter);
    pt->conn.late_topic = arena_strdup(a, t->conn.late_topic);
    pt->conn.key_url = arena_strdup(a, t->conn.key_url);
    pt->conn.value_url = arena_strdup(a, t->conn.value_url);
    pt->conn.url = arena_strdup(a, t->conn.url);
    pt->conn.table_name = arena_strdup(a, t->conn.table_name);
    pt->conn.username = arena_strdup(a, t->conn.username);
    pt->conn.password = arena_strdup(a, t->conn.password);
    pt->conn.print_identifier = arena_strdup(a, t->conn.print_identifier);
    if (t->conn.gen) {   /* datagen: how each column is made (the option texts stay the catalog's: only the derived ranges are read) */
        GenField *g = arena_alloc(a, sizeof *g * (size_t)(t->ncols ? t->ncols : 1));
        memcpy(g, t->conn.gen, sizeof *g * (size_t)t->ncols);
        for (int i = 0; i < t->ncols; i++) g[i].min = g[i].max = g[i].start = g[i].end = NULL;
        pt->conn.gen = g;
    }
    pt->conn.topic_pattern = arena_strdup(a, t->conn.topic_pattern);
    pt->conn.specific_offsets = arena_strdup(a, t->conn.specific_offsets);
    pt->conn.key_prefix = arena_strdup(a, t->conn.key_prefix);
    pt->conn.group_id = arena_strdup(a, t->conn.group_id);
    if (t->conn.topic_pattern) pt->conn.topic = pt->conn.topic_pattern;
    pt->conn.topics = arena_alloc(a, sizeof(char *) * (size_t)(t->conn.ntopics + 1));
    for (int i = 0; i < t->conn.ntopics; i++) pt->conn.topics[i] = arena_strdup(a, t->conn.topics[i]);
    if (t->conn.ntopics) pt->conn.topic = pt->conn.topics[0];
    pt->conn.spec_parts = arena_alloc(a, sizeof(int32_t) * (size_t)(t->conn.nspec + 1));
    pt->conn.spec_offsets = arena_alloc(a, sizeof(int64_t) * (size_t)(t->conn.nspec + 1));
    if (t->conn.nspec) {
        memcpy(pt->conn.spec_parts, t->conn.spec_parts, sizeof(int32_t) * (size_t)t->conn.nspec);
        memcpy(pt->conn.spec_offsets, t->conn.spec_offsets, sizeof(int64_t) * (size_t)t->conn.nspec);
    }
    pt->conn.props = arena_alloc(a, sizeof(KeyValue) * (size_t)(t->conn.nprops ? t->conn.nprops : 1));
    for (int i = 0; i < t->conn.nprops; i++) {
        pt->conn.props[i].key = arena_strdup(a, t->conn.props[i].key);
        pt->conn.props[i].value = arena_strdup(a, t->conn.props[i].value);
    }
    return pt;
}

static const char *expr_text(Plan *p, const BExpr *e, const PlanNode *in)
{
    const char **names = arena_alloc(&p->arena, sizeof(char *) * (size_t)(in->ncols ? in->ncols : 1));
    for (int i = 0; i < in->ncols; i++) names[i] = in->cols[i].name;
    StrBuf b = {0};
    bexpr_print(&b, e, names);
    const char *s = arena_strdup(&p->arena, b.s);
    sb_free(&b);
    return s;
}

/* A calc over `in`; returns `in` itself when the calc would change nothing. */
static PlanNode *calc(Plan *p, PlanNode *in, BExpr *filter, BExpr **exprs, const char **names, int n)
{
    if (!filter && n == in->ncols) {
        bool same = true;
        for (int i = 0; i < n && same; i++)
            same = exprs[i]->kind == BX_COL && exprs[i]->col == i && strcmp(names[i], in->cols[i].name) == 0;
        if (same) return in;
    }
    CalcPlan *cp = (CalcPlan *)node_new(p, PLAN_CALC, sizeof(CalcPlan), in, n);
    PlanNode *c = &cp->node;
    cp->filter = filter;
    cp->exprs = exprs;
    for (int i = 0; i < n; i++) c->cols[i] = (PlanCol){names[i], exprs[i]->type};
    /* The input's unique key survives if every key column is passed through. */
    if (in->has_key) {
        c->has_key = true;
        c->nkey = in->nkey;
        for (int k = 0; k < in->nkey && c->has_key; k++) {
            int found = -1;
            for (int i = 0; i < n && found < 0; i++)
                if (exprs[i]->kind == BX_COL && exprs[i]->col == in->key[k]) found = i;
            if (found < 0) c->has_key = false;
            else c->key[k] = found;
        }
        if (!c->has_key) c->nkey = 0;
    }
    return c;
}

static PlanNode *build_query(Plan *p, const BQuery *q, Diag *d);
static const PlanNode *update_origin(const PlanNode *n);

/* The visible names of the window columns (a group window's are hidden in its query). */
static const char *const win_col_names[3] = {"window_start", "window_end", "window_time"};

/* A source node of an earlier INSERT of the statement set reading the same
 * rows (same table, same columns), or NULL. */
bool plan_source_reads(const SourcePlan *sp, const char *table, const int *cols, int ncols, bool has_wm, int rowtime)
{
    if (strcmp(sp->table->name, table) != 0 || sp->node.ncols != ncols || (sp->watermark != NULL) != has_wm ||
        sp->rowtime != rowtime)
        return false;
    for (int c = 0; c < ncols; c++)
        if (sp->src_cols[c] != cols[c]) return false;
    return true;
}

static PlanNode *shared_source(Plan *p, const BQuery *q)
{
    if (!p->config.reuse_source) return NULL;
    for (int i = 0; i < p->nshare && i < p->nsources; i++) {
        const SourcePlan *sp = p->sources[i];
        if (plan_source_reads(sp, q->table->name, q->in_cols, q->nin, q->wm_expr != NULL, q->wm_rowtime)) return (PlanNode *)&sp->node;
    }
    return NULL;
}

/* VALUES: constant rows, once. */
static PlanNode *build_values(Plan *p, const BQuery *q)
{
    ValuesPlan *vp = (ValuesPlan *)node_new(p, PLAN_VALUES, sizeof(ValuesPlan), NULL, q->nin);
    vp->rows = q->values;
    vp->nrows = q->nvalues;
    for (int i = 0; i < q->nin; i++) vp->node.cols[i] = (PlanCol){arena_strdup(&p->arena, q->in_names[i]), q->in_types[i]};
    p->nvalues++;
    return &vp->node;
}

static PlanNode *build_source(Plan *p, const BQuery *q)
{
    PlanNode *shared = shared_source(p, q);
    const PlanTable *t = shared ? plan_source(shared)->table : table_copy(p, q->table);
    if (shared) {
        PlanNode *s = shared;
        if (t->conn.mode != MODE_UPSERT) return s;
        PlanNode *n = node_new(p, PLAN_NORMALIZE, sizeof(PlanNode), s, s->ncols);   /* its own: its changelog is its consumer's */
        memcpy(n->cols, s->cols, sizeof(PlanCol) * (size_t)s->ncols);
        n->has_key = true;
        n->nkey = s->nkey;
        memcpy(n->key, s->key, sizeof(int) * (size_t)s->nkey);
        return n;
    }
    SourcePlan *sp = (SourcePlan *)node_new(p, PLAN_SOURCE, sizeof(SourcePlan), NULL, q->nin);
    PlanNode *s = &sp->node;
    sp->table = t;
    sp->src_cols = arena_alloc(&p->arena, sizeof(int) * (size_t)(q->nin ? q->nin : 1));
    sp->needed = arena_alloc(&p->arena, sizeof(bool) * (size_t)(q->nin ? q->nin : 1));
    for (int i = 0; i < q->nin; i++) {
        s->cols[i] = (PlanCol){arena_strdup(&p->arena, q->in_names[i]), q->in_types[i]};
        sp->src_cols[i] = q->in_cols[i];
    }
    sp->watermark = q->wm_expr;
    sp->rowtime = q->wm_rowtime;
    const SourcePlan **srcs = arena_alloc(&p->arena, sizeof(SourcePlan *) * (size_t)(p->nsources + 1));
    if (p->nsources) memcpy(srcs, p->sources, sizeof(SourcePlan *) * (size_t)p->nsources);
    sp->index = p->nsources;
    srcs[p->nsources++] = sp;
    p->sources = srcs;
    /* The primary key in output positions. */
    int *pkpos = arena_alloc(&p->arena, sizeof(int) * (size_t)(t->npk ? t->npk : 1));
    for (int k = 0; k < t->npk; k++)
        for (int i = 0; i < q->nin; i++)
            if (sp->src_cols[i] == t->pk[k]) pkpos[k] = i;
    if (t->conn.kind == CONN_JDBC) {   /* a database table's scan: its rows, once, inserts only; unique by the PRIMARY KEY */
        s->has_key = t->npk > 0;
        s->nkey = t->npk;
        if (t->npk) memcpy(s->key, pkpos, sizeof(int) * (size_t)t->npk);
        return s;
    }
    if (t->conn.mode == MODE_APPEND) return s;
    s->updating = true;
    if (t->npk) {
        s->has_key = true;
        s->nkey = t->npk;
        memcpy(s->key, pkpos, sizeof(int) * (size_t)t->npk);
    }
    if (t->conn.mode == MODE_RETRACT) return s;
    /* An upsert source becomes a retract stream: last row per key. */
    PlanNode *n = node_new(p, PLAN_NORMALIZE, sizeof(PlanNode), s, s->ncols);
    memcpy(n->cols, s->cols, sizeof(PlanCol) * (size_t)s->ncols);
    n->has_key = true;
    n->nkey = s->nkey;
    memcpy(n->key, s->key, sizeof(int) * (size_t)s->nkey);
    return n;
}

/* UNION ALL: every branch, then one node fed by all of them. */
static PlanNode *build_union(Plan *p, const BQuery *q, Diag *d)
{
    PlanNode **in = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)q->nbranches);
    for (int k = 0; k < q->nbranches; k++)
        if (!(in[k] = build_query(p, q->branches[k], d))) return NULL;
    PlanNode *u = node_new(p, PLAN_UNION, sizeof(PlanNode), in[0], q->nout);
    for (int k = 1; k < q->nbranches; k++) node_add_input(p, u, in[k]);
    for (int i = 0; i < q->nout; i++) u->cols[i] = (PlanCol){q->out_names[i], q->in_types[i]};
    return u;   /* no unique key: the branches may repeat rows */
}

/* A column reference (a copy the plan owns). */
static BExpr *col_ref(Plan *p, int col, Type t, int pos)
{
    BExpr *e = arena_alloc(&p->arena, sizeof *e);
    e->kind = BX_COL;
    e->col = col;
    e->type = t;
    e->pos = pos;
    return e;
}

/* The column of the pre-aggregate calc's row that computes e: found among
 * pre[0..*npre) (not at `skip`, the time attribute of a window's), or
 * appended there (named as its column, else `$fN` as Flink names it). */
static BExpr *pre_col(Plan *p, const BExpr *e, const PlanNode *in, BExpr **pre, const char **pre_names, int *npre, int skip)
{
    int at = -1;
    for (int i = 0; i < *npre && at < 0; i++)
        if (i != skip && bexpr_equal(pre[i], e)) at = i;
    if (at < 0) {
        at = (*npre)++;
        pre[at] = (BExpr *)e;
        pre_names[at] = e->kind == BX_COL ? in->cols[e->col].name : arena_printf(&p->arena, "$f%d", at);
    }
    return col_ref(p, at, e->type, e->pos);
}

/* An aggregate call over the pre-aggregate calc's row: its argument and
 * its FILTER condition (b) are read as columns of that row (pre_col), so
 * the calc's arrays need room for two columns per aggregate. */
static BExpr *agg_over_pre(Plan *p, const BExpr *call, const PlanNode *in, BExpr **pre, const char **pre_names, int *npre, int skip)
{
    BExpr *a = arena_alloc(&p->arena, sizeof *a);
    *a = *call;
    if (a->a) a->a = pre_col(p, a->a, in, pre, pre_names, npre, skip);
    if (a->b) a->b = pre_col(p, a->b, in, pre, pre_names, npre, skip);
    return a;
}

/* A copy of an array of n pointers with room for cap. */
static BExpr **arena_realloc_ptrs(Plan *p, BExpr **v, int n, int cap)
{
    BExpr **nv = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(cap ? cap : 1));
    if (n) memcpy(nv, v, sizeof(BExpr *) * (size_t)n);
    return nv;
}

/* e with every column c read as map[c] (a copy). */
static BExpr *remap_cols(Plan *p, const BExpr *e, const int *map)
{
    if (!e) return NULL;
    BExpr *n = arena_alloc(&p->arena, sizeof *n);
    *n = *e;
    if (e->kind == BX_COL) {
        n->col = map[e->col];
        return n;
    }
    n->a = remap_cols(p, e->a, map);
    n->b = remap_cols(p, e->b, map);
    if (e->nargs) {
        n->args = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) n->args[i] = remap_cols(p, e->args[i], map);
    }
    return n;
}

/* A window needs rows that stay: an updating input is refused, as Flink refuses it. */
/* An interval join somewhere upstream of n (its rows may come later than
 * the watermark that passed it says, by up to its wm_delay). */
static const PlanNode *upstream_interval_join(const PlanNode *n)
{
    if (n->kind == PLAN_INTERVAL_JOIN) return n;
    for (int i = 0; i < n->ninputs; i++) {
        const PlanNode *f = upstream_interval_join(n->inputs[i]);
        if (f) return f;
    }
    return NULL;
}

static bool window_input_ok(Plan *p, const BQuery *q, const PlanNode *in, Diag *d)
{
    (void)p;
    if (!in->updating) return true;
    diag_error(d, DIAG_PLAN, q->win_pos, "a window needs an append-only input, but its input produces updates (from %s)",
               plan_ops[update_origin(in)->kind].name);
    return false;
}

/* The window TVF's three columns after the input's. */
static void window_cols(const BQuery *q, PlanNode *n, const PlanNode *in)
{
    memcpy(n->cols, in->cols, sizeof(PlanCol) * (size_t)in->ncols);
    for (int i = 0; i < 3; i++) n->cols[in->ncols + i] = (PlanCol){q->in_names[q->nin - 3 + i], q->in_types[q->nin - 3 + i]};
}

/* Each row with its windows (a window TVF whose rows go on). */
static PlanNode *build_window_tvf(Plan *p, const BQuery *q, PlanNode *in, Diag *d)
{
    if (!window_input_ok(p, q, in, d)) return NULL;
    WindowTvfPlan *wp = (WindowTvfPlan *)node_new(p, PLAN_WINDOW_TVF, sizeof(WindowTvfPlan), in, in->ncols + 3);
    wp->spec = *q->window;
    wp->late_topic = q->late_topic;
    wp->npartition = q->nwin_partition;
    wp->partition = arena_alloc(&p->arena, sizeof(int) * (size_t)(q->nwin_partition ? q->nwin_partition : 1));
    for (int i = 0; i < q->nwin_partition; i++) wp->partition[i] = q->win_partition[i]->col;   /* plain columns (the binder checked) */
    window_cols(q, &wp->node, in);
    return &wp->node;
}

/*
 * GROUP BY window_start, window_end [, window_time] [, keys]:
 *   calc [keys…, time attribute, aggregate arguments…]
 *   → WindowAggregate [keys…, window_start, window_end, window_time, aggs…]
 *   → calc (the select list and HAVING).
 */
static PlanNode *build_window_agg(Plan *p, const BQuery *q, PlanNode *in, Diag *d)
{
    if (!window_input_ok(p, q, in, d)) return NULL;
    int wcol = q->nin - 3;
    int cap = q->nkeys + 1 + 2 * q->naggs;
    BExpr **pre = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)cap);
    const char **pre_names = arena_alloc(&p->arena, sizeof(char *) * (size_t)cap);
    int *outmap = arena_alloc(&p->arena, sizeof(int) * (size_t)(q->nkeys + q->naggs + 1));
    int npre = 0, ngk = 0;
    for (int i = 0; i < q->nkeys; i++) {
        const BExpr *k = q->keys[i];
        if (k->kind == BX_COL && k->col >= wcol) continue;
        pre[npre] = q->keys[i];
        pre_names[npre] = k->kind == BX_COL ? in->cols[k->col].name : expr_text(p, k, in);
        outmap[i] = npre++;
        ngk++;
    }
    for (int i = 0; i < q->nkeys; i++)
        if (q->keys[i]->kind == BX_COL && q->keys[i]->col >= wcol) outmap[i] = ngk + (q->keys[i]->col - wcol);
    pre[npre] = col_ref(p, q->window->timecol, in->cols[q->window->timecol].type, q->win_pos);
    pre_names[npre++] = in->cols[q->window->timecol].name;
    BExpr **aggs = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(q->naggs ? q->naggs : 1));
    for (int j = 0; j < q->naggs; j++) {
        aggs[j] = agg_over_pre(p, q->aggs[j], in, pre, pre_names, &npre, ngk);
        outmap[q->nkeys + j] = ngk + 3 + j;
    }
    /* A late row is copied as the row the window saw: every column of the
     * windowed rows rides along to the window operator then. */
    int *late_cols = NULL;
    if (q->late_topic) {
        pre = arena_realloc_ptrs(p, pre, cap, cap + wcol);
        pre_names = (const char **)arena_realloc_ptrs(p, (BExpr **)pre_names, cap, cap + wcol);
        late_cols = arena_alloc(&p->arena, sizeof(int) * (size_t)(wcol ? wcol : 1));
        for (int c = 0; c < wcol; c++) {
            int at = -1;
            for (int i = 0; i < npre && at < 0; i++)
                if (pre[i]->kind == BX_COL && pre[i]->col == c) at = i;
            if (at < 0) {
                pre[npre] = col_ref(p, c, in->cols[c].type, q->win_pos);
                pre_names[npre] = in->cols[c].name;
                at = npre++;
            }
            late_cols[c] = at;
        }
    }
    PlanNode *pc = calc(p, in, q->where, pre, pre_names, npre);

    WindowAggPlan *wp = (WindowAggPlan *)node_new(p, PLAN_WINDOW_AGG, sizeof(WindowAggPlan), pc, ngk + 3 + q->naggs);
    PlanNode *w = &wp->node;
    wp->spec = *q->window;
    wp->spec.timecol = ngk;
    wp->ngroup = ngk;
    wp->aggs = aggs;
    wp->naggs = q->naggs;
    wp->late_topic = q->late_topic;
    wp->late_cols = late_cols;
    wp->nlate = late_cols ? wcol : 0;
    if (late_cols) {
        wp->late_names = arena_alloc(&p->arena, sizeof(char *) * (size_t)(wcol ? wcol : 1));
        for (int c = 0; c < wcol; c++) wp->late_names[c] = in->cols[c].name;
    }
    for (int i = 0; i < ngk; i++) w->cols[i] = pc->cols[i];
    for (int i = 0; i < 3; i++) w->cols[ngk + i] = (PlanCol){win_col_names[i], q->in_types[wcol + i]};
    for (int j = 0; j < q->naggs; j++) {
        const char *name = NULL;
        for (int i = 0; i < q->nout && !name; i++)
            if (q->out[i]->kind == BX_COL && q->out[i]->col == q->nkeys + j) name = q->out_names[i];
        if (!name) name = expr_text(p, aggs[j], pc);
        w->cols[ngk + 3 + j] = (PlanCol){name, aggs[j]->type};
    }
    /* Append-only, one row per key and window: (keys…, window_start), for
     * TUMBLE and HOP whose window_start fixes window_end, else
     * (keys…, window_start, window_end). */
    w->has_key = true;
    w->nkey = ngk + (wp->spec.kind == WIN_TUMBLE || wp->spec.kind == WIN_HOP ? 1 : 2);
    for (int i = 0; i < w->nkey; i++) w->key[i] = i;

    BExpr **out = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(q->nout ? q->nout : 1));
    for (int i = 0; i < q->nout; i++) out[i] = remap_cols(p, q->out[i], outmap);
    return calc(p, w, remap_cols(p, q->having, outmap), out, q->out_names, q->nout);
}

/* Does q group by window_start and window_end of its window? */
static bool is_window_agg(const BQuery *q)
{
    if (!q->window || !q->is_agg) return false;
    int wcol = q->nin - 3, found = 0;
    for (int i = 0; i < q->nkeys; i++)
        if (q->keys[i]->kind == BX_COL && (q->keys[i]->col == wcol || q->keys[i]->col == wcol + 1)) found++;
    return found == 2;
}

/* The input column a join key is (under a widening cast to the pair's
 * common type), or -1 for any other expression. */
static int key_col(const BExpr *e)
{
    if (e->kind == BX_CAST) e = e->a;
    return e->kind == BX_COL ? e->col : -1;
}

/* Does `in` hold at most one row per value of keys (its unique key among them)? */
static bool unique_within(const PlanNode *in, BExpr *const *keys, int nkeys)
{
    if (!in->has_key) return false;
    for (int k = 0; k < in->nkey; k++) {
        bool found = false;
        for (int i = 0; i < nkeys && !found; i++) found = key_col(keys[i]) == in->key[k];
        if (!found) return false;
    }
    return true;
}

/*
 * A regular join: both sides, then the join over them.  Its changelog: an
 * inner join of append-only inputs appends; an outer join, or any updating
 * input, makes it updating (a NULL-padded row is retracted when a match
 * comes).  Its unique key, as Flink (Calcite) infers it: one side's key
 * when the other holds one row per join key and does not pad this side
 * with NULLs, else both keys together.
 */
/*
 * A lookup join: only the left side is an input; the right side is the
 * database table itself, read by the operator at run time.  Its changelog
 * is the left input's (kinds pass through); its unique key the left's when
 * the look-up keys cover the table's primary key (one row per look-up).
 */
static PlanNode *build_lookup_join(Plan *p, const BQuery *q, PlanNode *l, Diag *d)
{
    const BJoin *j = q->join;
    const BQuery *rq = j->right;
    if (rq->nout != rq->nin) {
        diag_error(d, DIAG_PLAN, j->pos, "a lookup join's table '%s' cannot have computed columns", rq->table->name);
        return NULL;
    }
    int nl = l->ncols, n = q->nin;
    LookupJoinPlan *lp = (LookupJoinPlan *)node_new(p, PLAN_LOOKUP_JOIN, sizeof(LookupJoinPlan), l, n);
    JoinPlan *jp = &lp->join;
    PlanNode *jn = &jp->node;
    lp->table = table_copy(p, rq->table);
    lp->nright = rq->nout;
    lp->rcols = arena_alloc(&p->arena, sizeof(int) * (size_t)(rq->nout ? rq->nout : 1));
    for (int i = 0; i < rq->nout; i++) {
        const BExpr *e = rq->out[i];
        if (e->kind != BX_COL || e->col >= rq->nin) {
            diag_error(d, DIAG_PLAN, j->pos, "a lookup join reads the columns of table '%s' as they are", rq->table->name);
            return NULL;
        }
        lp->rcols[i] = rq->in_cols[e->col];
    }
    lp->rkeycols = arena_alloc(&p->arena, sizeof(int) * (size_t)(j->nkeys ? j->nkeys : 1));
    for (int k = 0; k < j->nkeys; k++) {
        const BExpr *e = j->rkeys[k]->kind == BX_CAST ? j->rkeys[k]->a : j->rkeys[k];
        lp->rkeycols[k] = e->col;
    }
    jp->type = j->type;
    jp->lkeys = j->lkeys;
    jp->rkeys = j->rkeys;
    jp->nkeys = j->nkeys;
    jp->residual = j->residual;
    jp->nleft = nl;
    jp->lunique = unique_within(l, j->lkeys, j->nkeys);
    /* one row per look-up when the keys cover the table's primary key */
    const PlanTable *t = lp->table;
    jp->runique = t->npk > 0;
    for (int k = 0; k < t->npk && jp->runique; k++) {
        bool in = false;
        for (int x = 0; x < j->nkeys && !in; x++) in = lp->rcols[lp->rkeycols[x]] == t->pk[k];
        jp->runique = in;
    }
    for (int i = 0; i < n; i++) {
        const char *base = i < nl ? l->cols[i].name : rq->out_names[i - nl], *name = base;
        for (int suffix = 0;; suffix++) {
            bool taken = false;
            for (int k = 0; k < i && !taken; k++) taken = strcmp(jn->cols[k].name, name) == 0;
            if (!taken) break;
            name = arena_printf(&p->arena, "%s%d", base, suffix);
        }
        jn->cols[i] = (PlanCol){name, q->in_types[i]};
    }
    jn->updating = l->updating;
    if (jp->runique && l->has_key) {
        jn->has_key = true;
        jn->nkey = l->nkey;
        memcpy(jn->key, l->key, sizeof(int) * (size_t)l->nkey);
    }
    return jn;
}

/* Takes node x, which nothing consumes yet, out of the plan: its input's
 * consumers and the node list lose it (later nodes' ids move down). */
static void node_drop(Plan *p, PlanNode *x)
{
    PlanNode *in = x->inputs[0];
    int o = 0;
    for (int i = 0; i < in->nouts; i++)
        if (in->outs[i] != x) in->outs[o++] = in->outs[i];
    in->nouts = o;
    int k = 0;
    for (int i = 0; i < p->nnodes; i++)
        if (p->nodes[i] != x) (p->nodes[k] = p->nodes[i])->id = k, k++;
    p->nnodes = k;
}

/*
 * A regular join's side whose input is the ChangelogNormalize of an upsert
 * source keyed by exactly the side's join key (the enrichment by a
 * dimension table's primary key) takes the source's upserts itself: each
 * bucket holds at most one row of that side, the one a ChangelogNormalize
 * would keep, so the normalize's copy of every row is not needed.  Its
 * input becomes the source; the join applies op_normalize.c's truth table
 * (op_join.c, upsert_row).  Only where the result is the same row for
 * row: not for an outer side (a NULL key's padded row would need the
 * normalize's memory of it), not with a state TTL (a normalize keeps its
 * rows; the join's expire), not for semi and anti joins.
 */
static PlanNode *join_upserts(Plan *p, PlanNode *in, BExpr *const *keys, int nkeys, JoinType type, int sd, bool *upsert)
{
    *upsert = false;
    if (in->kind != PLAN_NORMALIZE || in->nouts || join_side_outer(type, sd) || type == JOIN_SEMI || type == JOIN_ANTI ||
        p->config.state_ttl_ms > 0 || !unique_within(in, keys, nkeys))
        return in;
    for (int i = 0; i < nkeys; i++) {   /* and every key column is a key column of the source */
        bool found = false;
        for (int k = 0; k < in->nkey && !found; k++) found = key_col(keys[i]) == in->key[k];
        if (!found) return in;
    }
    PlanNode *src = in->inputs[0];
    node_drop(p, in);
    *upsert = true;
    return src;
}

static PlanNode *build_join(Plan *p, const BQuery *q, Diag *d)
{
    const BJoin *j = q->join;
    PlanNode *l = build_query(p, j->left, d);
    if (!l) return NULL;
    if (j->lookup) return build_lookup_join(p, q, l, d);
    PlanNode *r = build_query(p, j->right, d);
    if (!r) return NULL;
    int nl = l->ncols, n = q->nin;
    if (j->temporal && upstream_interval_join(l)) {
        diag_error(d, DIAG_PLAN, j->pos, "a temporal join over an interval join's output is not supported (its rows may be later than the watermark)");
        return NULL;
    }
    if (j->interval) {
        const PlanNode *bad = l->updating ? l : r->updating ? r : NULL;
        if (bad) {
            diag_error(d, DIAG_PLAN, j->pos, "an interval join needs append-only inputs, but its %s input produces updates (from %s)",
                       bad == l ? "left" : "right", plan_ops[update_origin(bad)->kind].name);
            return NULL;
        }
        const PlanNode *up = upstream_interval_join(l);
        if (!up) up = upstream_interval_join(r);
        if (up) {
            diag_error(d, DIAG_PLAN, j->pos, "an interval join over another interval join's output is not supported (its rows may be later than the watermark)");
            return NULL;
        }
    }
    if (j->temporal && l->updating) {
        diag_error(d, DIAG_PLAN, j->pos, "a temporal join needs an append-only left input, but it produces updates (from %s)",
                   plan_ops[update_origin(l)->kind].name);
        return NULL;
    }
    PlanKind kind = j->interval ? PLAN_INTERVAL_JOIN : j->temporal ? PLAN_TEMPORAL_JOIN : j->window ? PLAN_WINDOW_JOIN : PLAN_JOIN;
    bool lupsert = false, rupsert = false;
    if (kind == PLAN_JOIN) {
        l = join_upserts(p, l, j->lkeys, j->nkeys, j->type, 0, &lupsert);
        r = join_upserts(p, r, j->rkeys, j->nkeys, j->type, 1, &rupsert);
    }
    size_t size = j->interval ? sizeof(IntervalJoinPlan) : j->temporal ? sizeof(TemporalJoinPlan) : j->window ? sizeof(WindowJoinPlan) : sizeof(JoinPlan);
    JoinPlan *jp = (JoinPlan *)node_new(p, kind, size, l, n);
    PlanNode *jn = &jp->node;
    if (j->window) {
        WindowJoinPlan *wp = (WindowJoinPlan *)jp;
        wp->lwin = j->lwin;
        wp->rwin = j->rwin;
        wp->spec = *j->left->window;
    }
    if (j->temporal) {
        TemporalJoinPlan *tp = (TemporalJoinPlan *)jp;
        tp->ltime = j->ltime;
        tp->rtime = j->rtime;
    }
    if (j->interval) {
        IntervalJoinPlan *ip = (IntervalJoinPlan *)jp;
        ip->ltime = j->ltime;
        ip->rtime = j->rtime;
        ip->lower = j->lower;
        ip->upper = j->upper;
        /* Flink's rule: the output watermark lags by the larger of the two
         * sides' relative sizes, so a window (or what else keeps time)
         * after the join sees its rows before the watermark passes them. */
        jn->wm_delay = -j->lower > j->upper ? -j->lower : j->upper;
        if (jn->wm_delay < 0) jn->wm_delay = 0;
    }
    node_add_input(p, jn, r);
    jp->type = j->type;
    jp->lkeys = j->lkeys;
    jp->rkeys = j->rkeys;
    jp->nkeys = j->nkeys;
    jp->residual = j->residual;
    jp->nleft = nl;
    jp->lunique = unique_within(l, j->lkeys, j->nkeys);
    jp->runique = unique_within(r, j->rkeys, j->nkeys);
    jp->lupsert = lupsert;
    jp->rupsert = rupsert;
    /* Output names: a right column named as an earlier one gets a number (id, id0), as in Flink. */
    for (int i = 0; i < n; i++) {
        const char *name = i < nl ? l->cols[i].name : r->cols[i - nl].name;
        for (int suffix = 0;; suffix++) {
            bool taken = false;
            for (int k = 0; k < i && !taken; k++) taken = strcmp(jn->cols[k].name, name) == 0;
            if (!taken) break;
            name = arena_printf(&p->arena, "%s%d", i < nl ? l->cols[i].name : r->cols[i - nl].name, suffix);
        }
        jn->cols[i] = (PlanCol){name, q->in_types[i]};
    }
    if (j->interval || j->temporal || j->window) {
        /* Append-only, no unique key: an interval join's outer row comes once, when no match
         * can come; a temporal join's row is final when emitted, whatever the versioned table does. */
        jn->updating = false;
        return jn;
    }
    if (j->type == JOIN_SEMI || j->type == JOIN_ANTI) {
        /* The left rows, each once: a semi join of append-only inputs appends (a left row comes
         * at its first match, and matches are never taken back); an anti join retracts a row
         * when its first match comes, so it updates.  The left side's key stays unique. */
        jn->updating = jn->updating || j->type == JOIN_ANTI;
        jn->has_key = l->has_key;
        jn->nkey = l->nkey;
        if (l->has_key) memcpy(jn->key, l->key, sizeof(int) * (size_t)l->nkey);
        return jn;
    }
    jn->updating = jn->updating || j->type != JOIN_INNER;
    bool nulls_left = j->type == JOIN_RIGHT || j->type == JOIN_FULL, nulls_right = j->type == JOIN_LEFT || j->type == JOIN_FULL;
    if (jp->runique && l->has_key && !nulls_left) {
        jn->has_key = true;
        jn->nkey = l->nkey;
        memcpy(jn->key, l->key, sizeof(int) * (size_t)l->nkey);
    } else if (jp->lunique && r->has_key && !nulls_right) {
        jn->has_key = true;
        jn->nkey = r->nkey;
        for (int k = 0; k < r->nkey; k++) jn->key[k] = nl + r->key[k];
    } else if (l->has_key && r->has_key) {
        jn->has_key = true;
        jn->nkey = 0;
        for (int k = 0; k < l->nkey; k++) jn->key[jn->nkey++] = l->key[k];
        for (int k = 0; k < r->nkey; k++) jn->key[jn->nkey++] = nl + r->key[k];
    }
    return jn;
}

/* The Unnest node of `sub CROSS JOIN UNNEST(…)` over sub's rows. */
static PlanNode *build_unnest(Plan *p, const BQuery *q, PlanNode *in)
{
    UnnestPlan *up = (UnnestPlan *)node_new(p, PLAN_UNNEST, sizeof(UnnestPlan), in, q->nin);
    up->expr = q->unnest->expr;
    up->left = q->unnest->left;
    for (int i = 0; i < q->nin; i++)
        up->node.cols[i] = (PlanCol){i < in->ncols ? in->cols[i].name : arena_strdup(&p->arena, q->in_names[i]), q->in_types[i]};
    return &up->node;
}

static PlanNode *build_query(Plan *p, const BQuery *q, Diag *d)
{
    PlanNode *in = q->values ? build_values(p, q) : q->table ? build_source(p, q) : q->nbranches ? build_union(p, q, d) : q->join ? build_join(p, q, d) : build_query(p, q->sub, d);
    if (!in) return NULL;
    if (q->unnest) in = build_unnest(p, q, in);
    if (is_window_agg(q)) return build_window_agg(p, q, in, d);
    if (q->window && !(in = build_window_tvf(p, q, in, d))) return NULL;
    if (q->rank) return plan_over_rank(p, q, in, d);
    if (q->over) return plan_over_aggregate(p, q, in, d);
    if (!q->is_agg) return calc(p, in, q->where, q->out, q->out_names, q->nout);

    /* Pre-aggregate calc: [group keys…, distinct aggregate arguments…]. */
    int cap = q->nkeys + 2 * q->naggs;
    BExpr **pre = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(cap ? cap : 1));
    const char **pre_names = arena_alloc(&p->arena, sizeof(char *) * (size_t)(cap ? cap : 1));
    int npre = 0;
    for (int i = 0; i < q->nkeys; i++) {
        pre[npre] = q->keys[i];
        pre_names[npre] = q->keys[i]->kind == BX_COL ? in->cols[q->keys[i]->col].name : expr_text(p, q->keys[i], in);
        npre++;
    }
    BExpr **aggs = arena_alloc(&p->arena, sizeof(BExpr *) * (size_t)(q->naggs ? q->naggs : 1));
    for (int j = 0; j < q->naggs; j++) {
        aggs[j] = agg_over_pre(p, q->aggs[j], in, pre, pre_names, &npre, -1);
    }
    PlanNode *pc = calc(p, in, q->where, pre, pre_names, npre);

    AggPlan *ap = (AggPlan *)node_new(p, PLAN_AGG, sizeof(AggPlan), pc, q->nkeys + q->naggs);
    PlanNode *ag = &ap->node;
    ap->ngroup = q->nkeys;
    ap->aggs = aggs;
    ap->naggs = q->naggs;
    ag->updating = true;
    ag->has_key = true;
    ag->nkey = q->nkeys;
    for (int i = 0; i < q->nkeys; i++) {
        ag->cols[i] = pc->cols[i];
        ag->key[i] = i;
    }
    for (int j = 0; j < q->naggs; j++) {
        const char *name = NULL;
        for (int i = 0; i < q->nout && !name; i++)
            if (q->out[i]->kind == BX_COL && q->out[i]->col == q->nkeys + j) name = q->out_names[i];
        if (!name) name = expr_text(p, aggs[j], pc);
        ag->cols[q->nkeys + j] = (PlanCol){name, aggs[j]->type};
    }
    return calc(p, ag, q->having, q->out, q->out_names, q->nout);
}

/* Top-down: does each operator's consumer need -U before-images?  One
 * require function per kind, in plan_ops.
 *
 * With mini-batch off (Plan.flink_changelog, every node's per_row) the
 * requirement is Flink's (its changelog-mode inference): an upsert sink
 * takes updates without -U only when everything down to the nearest
 * aggregate, normalize or source can deliver them so
 * (flink_only_after); a filter on an updating input cannot (FLINK-9528:
 * it sees rows one by one), so then the sink asks for -U and every
 * operator on the way keeps them — a calc or union passes its consumer's
 * requirement down as it is, and the upsert sink writes each -U as a
 * tombstone. */
static void require_before(PlanNode *n, bool need) { plan_ops[n->kind].require(n, need); }

/* Flink's changelog inference, bottom part: can n's output be given to
 * its consumer without -U before-images (ONLY_UPDATE_AFTER)?  Each kind's
 * only_after in plan_ops answers; none = it can (an aggregate, normalize,
 * rank or source — a retract source drops its -U, Flink's DropUpdateBefore
 * — and anything append-only). */
static bool flink_only_after(const PlanNode *n)
{
    return !n->updating || !plan_ops[n->kind].only_after || plan_ops[n->kind].only_after(n);
}

/* A calc with a filter over updates cannot (FLINK-9528); without one it
 * asks its input. */
static bool only_after_calc(const PlanNode *n)
{
    return !plan_calc(n)->filter && flink_only_after(n->inputs[0]);
}

/* A union, unnest or lookup join passes the question to its inputs. */
static bool only_after_inputs(const PlanNode *n)
{
    for (int i = 0; i < n->ninputs; i++)
        if (!flink_only_after(n->inputs[i])) return false;
    return true;
}

/* A join of append-only inputs (an outer join's updates) can; one over
 * updating inputs is counted as unable (Flink: only when each updating
 * input's unique key and join key allow it). */
static bool only_after_join(const PlanNode *n)
{
    for (int i = 0; i < n->ninputs; i++)
        if (n->inputs[i]->updating) return false;
    return true;
}

static void require_source(PlanNode *n, bool need)
{
    bool retract = n->updating && plan_source(n)->table->conn.mode == MODE_RETRACT;
    /* per_row: its -U are dropped unless a consumer needs them (Flink's
     * DropUpdateBefore); a source shared by a statement set's INSERTs keeps
     * them when any of them does (the passes run once per INSERT). */
    n->before = n->per_row ? (retract && need) || n->before : retract;
}

static void require_normalize(PlanNode *n, bool need)
{
    n->before = need;
    require_before(n->inputs[0], false);
}

static void require_calc(PlanNode *n, bool need)
{
    PlanNode *in = n->inputs[0];
    if (n->per_row) {   /* Flink's Calc forwards the requirement: each row passes with its kind */
        n->before = n->updating && need;
        require_before(in, n->before);
        return;
    }
    n->before = n->updating && (need || !n->has_key);
    /* A filter must see the old row to turn an update that stops passing into a delete. */
    require_before(in, n->before || (plan_calc(n)->filter && in->updating) || (in->updating && !n->has_key));
}

static void require_agg(PlanNode *n, bool need)
{
    n->before = need;
    require_before(n->inputs[0], n->inputs[0]->updating);
}

static void require_sink(PlanNode *n, bool need)
{
    (void)need;
    const Connector *c = &plan_sink(n)->table->conn;
    bool retract = c->mode == MODE_RETRACT;
    n->before = retract;
    /* Flink: an upsert sink prefers updates without -U, and takes them with
     * -U when what feeds it cannot do without (a filter over updates). */
    if (n->per_row && c->mode == MODE_UPSERT && n->inputs[0]->updating && !flink_only_after(n->inputs[0]))
        n->before = true;
    require_before(n->inputs[0], n->before);
}

/* A union passes rows on as they are: each input gives what the
 * consumer needs (and, without a key, an updating input must say what it
 * retracts). */
static void require_union(PlanNode *n, bool need)
{
    n->before = n->updating;
    if (n->per_row) n->before = n->updating && need;   /* Flink's Union forwards the requirement */
    for (int i = 0; i < n->ninputs; i++) require_before(n->inputs[i], n->inputs[i]->updating && n->before);
}

/* A join emits -U before-images when its consumer needs them or its
 * rows have no key to upsert by; it needs its inputs' (it removes rows by
 * value). */
static void require_join(PlanNode *n, bool need)
{
    n->before = n->updating && (need || !n->has_key);
    for (int i = 0; i < n->ninputs; i++) require_before(n->inputs[i], n->inputs[i]->updating);
}

static void require_values(PlanNode *n, bool need)
{
    (void)need;
    n->before = false;
}

static void describe_values(const PlanNode *n, ExplainAttrs *a);

static void require_collect(PlanNode *n, bool need)
{
    (void)need;
    n->before = n->updating;
    require_before(n->inputs[0], n->inputs[0]->updating);
}

/* Which input columns a calc reads (the rest need not be decoded). */
static void reads_calc(const PlanNode *n, int port, bool *needed)
{
    (void)port;
    const CalcPlan *c = plan_calc(n);
    int ncols = n->inputs[0]->ncols;
    const BExpr *stack[256];
    int sp = 0;
    for (int i = 0; i < n->ncols; i++) stack[sp++] = c->exprs[i];
    if (c->filter) stack[sp++] = c->filter;
    while (sp > 0) {
        const BExpr *e = stack[--sp];
        if (!e) continue;
        if (e->kind == BX_COL) {
            if (e->col < ncols) needed[e->col] = true;
            continue;
        }
        if (sp + 2 + e->nargs > 256) {   /* very deep: everything */
            for (int i = 0; i < ncols; i++) needed[i] = true;
            return;
        }
        stack[sp++] = e->a;
        stack[sp++] = e->b;
        for (int i = 0; i < e->nargs; i++) stack[sp++] = e->args[i];
    }
}

static int passes_calc(const PlanNode *n, int col)
{
    const BExpr *e = plan_calc(n)->exprs[col];
    return e->kind == BX_COL ? e->col : -1;
}

/* Facts for the executor, once the DAG is complete: which source columns
 * some consumer reads (projection push-down). */
static void plan_finish(Plan *p)
{
    for (int s = 0; s < p->nsources; s++) {
        SourcePlan *sp = (SourcePlan *)p->sources[s];
        const PlanNode *n = &sp->node;
        /* Keyed changelogs compare and keep whole rows. */
        bool all = sp->table->conn.mode != MODE_APPEND;
        for (int i = 0; i < n->ncols; i++) sp->needed[i] = all;
        for (int o = 0; o < n->nouts && !all; o++) {
            const PlanNode *c = n->outs[o];
            for (int port = 0; port < c->ninputs; port++) {
                if (c->inputs[port] != n) continue;
                if (plan_ops[c->kind].reads) plan_ops[c->kind].reads(c, port, sp->needed);
                else for (int i = 0; i < n->ncols; i++) sp->needed[i] = true;
            }
        }
    }
}

static const char *key_names(Plan *p, const PlanTable *t, const int *cols, int n)
{
    StrBuf b = {0};
    for (int i = 0; i < n; i++) sb_printf(&b, "%s%s", i ? ", " : "", t->cols[cols[i]].name);
    const char *s = arena_strdup(&p->arena, b.s ? b.s : "");
    sb_free(&b);
    return s;
}

/* The operator that makes a stream updating, for messages (an outer join
 * makes updates of its own). */
static const PlanNode *update_origin(const PlanNode *n)
{
    for (bool more = true; more;) {
        more = false;
        if (n->kind == PLAN_JOIN && plan_join(n)->type != JOIN_INNER && plan_join(n)->type != JOIN_SEMI) break;
        for (int i = 0; i < n->ninputs && !more; i++)
            if (n->inputs[i]->updating) n = n->inputs[i], more = true;
    }
    return n;
}

/* Does output column o of q (o < 0: none) carry the value of q's key
 * column kc — the column itself, or one q passes from the same input
 * column (a calc may repeat it)? */
static bool writes_key_col(const PlanNode *q, int o, int kc)
{
    if (o < 0) return false;
    if (o == kc) return true;
    if (!plan_ops[q->kind].passes) return false;
    int from = plan_ops[q->kind].passes(q, o);
    return from >= 0 && from == plan_ops[q->kind].passes(q, kc);
}

/* 'table.exec.state.ttl' is honoured by regular joins (op_join.c); in
 * Flink it also expires the state of group aggregates, Top-N and
 * deduplication, whose results then differ, and which eddy keeps for
 * ever: a TTL with such an operator is refused rather than silently not
 * applied.  A ChangelogNormalize keeps its rows (its memory is not bounded
 * by the TTL) but gives the same results: after Flink forgets a key, its
 * next row is an insert where eddy's is an update, and what consumes it (a
 * join whose own row expired, an upsert sink) ends the same. */
int plan_check_settings(const Plan *p, Diag *d, int pos)
{
    if (p->config.state_ttl_ms <= 0) return 0;
    for (int i = 0; i < p->nnodes; i++) {
        int k = p->nodes[i]->kind;
        if (k == PLAN_AGG || k == PLAN_RANK || k == PLAN_DEDUP || k == PLAN_OVER_AGG_UPDATE)
            return diag_error(d, DIAG_PLAN, pos,
                              "'table.exec.state.ttl' is set, but eddy expires the state of regular joins only, and this query "
                              "has a %s, whose state it keeps for ever (Flink would expire it); SET 'table.exec.state.ttl' = '0 ms' "
                              "to run it with state kept", plan_ops[k].name);
    }
    return 0;
}

int plan_insert(Plan *p, const BInsert *ins, Diag *d)
{
    int first = p->nnodes;
    PlanNode *q = build_query(p, ins->query, d);
    if (!q) return d->code;
    plan_reuse(p, first);
    const PlanTable *t = table_copy(p, ins->table);
    SinkPlan *sk = (SinkPlan *)node_new(p, PLAN_SINK, sizeof(SinkPlan), q, ins->nsink);
    PlanNode *s = &sk->node;
    sk->table = t;
    sk->nsink = ins->nsink;
    sk->sink_cols = arena_alloc(&p->arena, sizeof(int) * (size_t)(ins->nsink ? ins->nsink : 1));
    sk->sink_map = arena_alloc(&p->arena, sizeof(int) * (size_t)(ins->nsink ? ins->nsink : 1));
    memcpy(sk->sink_cols, ins->sinkcols, sizeof(int) * (size_t)ins->nsink);
    memcpy(sk->sink_map, ins->map, sizeof(int) * (size_t)ins->nsink);
    for (int k = 0; k < ins->nsink; k++) s->cols[k] = (PlanCol){t->cols[ins->sinkcols[k]].name, t->cols[ins->sinkcols[k]].type};
    if (!p->root) {
        p->root = s;
        p->name = t->name;
    }
    const SinkPlan **sinks = arena_alloc(&p->arena, sizeof(SinkPlan *) * (size_t)(p->nsinks + 1));
    if (p->nsinks) memcpy(sinks, p->sinks, sizeof(SinkPlan *) * (size_t)p->nsinks);
    sinks[p->nsinks++] = sk;
    p->sinks = sinks;

    if (t->conn.ntopics || t->conn.topic_pattern)   /* (Flink's Kafka sink writes one topic too) */
        return diag_error(d, DIAG_PLAN, ins->name_pos, "table '%s' reads %s and cannot be written: a sink writes one topic",
                          t->name, t->conn.topic_pattern ? "the topics of a 'topic-pattern'" : "a list of topics");
    if (q->updating && t->conn.mode == MODE_APPEND) {
        const PlanNode *o = update_origin(q);
        return diag_error(d, DIAG_PLAN, ins->name_pos,
                          "table '%s' is append-only but the query produces updates (from %s); give the table a PRIMARY KEY "
                          "for an upsert table, or set 'changelog.mode' = 'retract'",
                          t->name, plan_ops[o->kind].name);
    }
    if (q->updating && t->conn.mode == MODE_UPSERT) {
        /* The query's unique key, as sink columns. */
        int *qk = arena_alloc(&p->arena, sizeof(int) * (size_t)(q->nkey ? q->nkey : 1));
        bool mapped = q->has_key;
        for (int k = 0; k < q->nkey && mapped; k++) {
            qk[k] = -1;
            /* Output columns carrying the same key value (a calc may repeat it);
             * prefer one the sink declares as primary key. */
            for (int j = 0; j < ins->nsink; j++) {
                if (!writes_key_col(q, ins->map[j], q->key[k])) continue;
                bool in_pk = false;
                for (int x = 0; x < t->npk; x++) in_pk = in_pk || t->pk[x] == ins->sinkcols[j];
                if (qk[k] < 0 || in_pk) qk[k] = ins->sinkcols[j];
            }
            if (qk[k] < 0) mapped = false;
        }
        const char *pk = key_names(p, t, t->pk, t->npk);
        if (!q->has_key)
            return diag_error(d, DIAG_PLAN, ins->name_pos,
                              "upsert table '%s' has primary key (%s) but the query's updates have no unique key", t->name, pk);
        if (q->nkey == 0)
            return diag_error(d, DIAG_PLAN, ins->name_pos,
                              "upsert table '%s' has primary key (%s) but the query is a global aggregate (one row, no key); "
                              "use a table without PRIMARY KEY and 'changelog.mode' = 'retract', or GROUP BY the key", t->name, pk);
        if (!mapped) {
            StrBuf kb = {0};
            for (int k = 0; k < q->nkey; k++) sb_printf(&kb, "%s%s", k ? ", " : "", q->cols[q->key[k]].name);
            const char *qkey = arena_strdup(&p->arena, kb.s ? kb.s : "");
            sb_free(&kb);
            return diag_error(d, DIAG_PLAN, ins->name_pos,
                              "upsert table '%s' has primary key (%s) but the query's unique key (%s) is not among its columns", t->name,
                              pk, qkey);
        }
        bool same = q->nkey == t->npk;
        for (int k = 0; k < q->nkey && same; k++) {
            bool in = false;
            for (int j = 0; j < t->npk; j++) in = in || t->pk[j] == qk[k];
            same = in;
        }
        if (!same)
            return diag_error(d, DIAG_PLAN, ins->name_pos, "upsert table '%s' has primary key (%s) but the query's unique key is (%s)",
                              t->name, pk, key_names(p, t, qk, q->nkey));
    }
    if (!q->updating && q->has_key && t->conn.mode == MODE_UPSERT) {
        /* Rows unique per (k…, window_start, window_end) into a table whose
         * key is narrower would overwrite each other. */
        for (int k = 0; k < q->nkey; k++) {
            bool in_pk = false;
            for (int j = 0; j < ins->nsink && !in_pk; j++) {
                bool same = writes_key_col(q, ins->map[j], q->key[k]);
                for (int x = 0; x < t->npk && same && !in_pk; x++) in_pk = t->pk[x] == ins->sinkcols[j];
            }
            if (!in_pk) {
                StrBuf kb = {0};
                for (int i = 0; i < q->nkey; i++) sb_printf(&kb, "%s%s", i ? ", " : "", q->cols[q->key[i]].name);
                const char *qkey = arena_strdup(&p->arena, kb.s ? kb.s : "");
                sb_free(&kb);
                return diag_error(d, DIAG_PLAN, ins->name_pos,
                                  "upsert table '%s' has primary key (%s) but the query's rows are unique per (%s): rows with the same "
                                  "key would overwrite each other; make (%s) the primary key, or use an append table",
                                  t->name, key_names(p, t, t->pk, t->npk), qkey, qkey);
            }
        }
    }
    require_before(s, false);
    /* After a restart, records up to the ends seen then are a replay: the
     * sink may already hold newer results of some of them. */
    if (t->conn.mode == MODE_UPSERT) {
        p->upsert_replay = true;
        q->feeds_upsert_sink = true;
    }
    plan_finish(p);
    return 0;
}

int plan_select(Plan *p, const BQuery *bq, Diag *d)
{
    int first = p->nnodes;
    PlanNode *q = build_query(p, bq, d);
    if (!q) return d->code;
    plan_reuse(p, first);
    CollectPlan *cl = (CollectPlan *)node_new(p, PLAN_COLLECT, sizeof(CollectPlan), q, q->ncols);
    PlanNode *c = &cl->node;
    memcpy(c->cols, q->cols, sizeof(PlanCol) * (size_t)q->ncols);
    c->has_key = q->has_key;
    c->nkey = q->nkey;
    memcpy(c->key, q->key, sizeof(int) * (size_t)q->nkey);
    cl->limit = bq->limit;
    p->root = c;
    p->name = "select";
    require_before(c, false);
    plan_finish(p);
    return 0;
}

/* ------------------------------------------------------------------ */
/* EXPLAIN attributes, one describe function per operator.             */

void explain_attr(ExplainAttrs *a, const char *key, const char *val)
{
    if (a->n >= (int)(sizeof a->v / sizeof a->v[0])) return;
    const char **v = arena_alloc(a->arena, sizeof(char *));
    v[0] = val;
    a->v[a->n++] = (ExplainAttr){key, v, 1, false};
}

void explain_attr_list(ExplainAttrs *a, const char *key, const char **vals, int n)
{
    if (a->n >= (int)(sizeof a->v / sizeof a->v[0])) return;
    a->v[a->n++] = (ExplainAttr){key, vals, n, true};
}

static const char **col_names(ExplainAttrs *a, const PlanCol *cols, int n)
{
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) v[i] = cols[i].name;
    return v;
}

static const char *print_expr(ExplainAttrs *a, const BExpr *e, const PlanNode *in)
{
    const char **names = col_names(a, in->cols, in->ncols);
    StrBuf b = {0};
    bexpr_print(&b, e, names);
    const char *s = arena_strdup(a->arena, b.s);
    sb_free(&b);
    return s;
}

static void describe_table(const PlanTable *t, ExplainAttrs *a)
{
    if (t->conn.kind == CONN_EXCHANGE) {   /* an internal topic between stages (plan_stage.c) */
        plan_stage_describe_exchange(t, a);
        return;
    }
    explain_attr(a, "table", t->name);
    if (t->conn.kind == CONN_JDBC) {   /* a database table: no topic, no formats */
        explain_attr(a, "connector", "jdbc");
        explain_attr(a, "table-name", t->conn.table_name);
        return;
    }
    if (t->conn.kind == CONN_DATAGEN || t->conn.kind == CONN_BLACKHOLE || t->conn.kind == CONN_PRINT || t->conn.kind == CONN_NEXMARK) {   /* no topic, no formats */
        explain_attr(a, "connector", t->conn.connector);
        if (t->conn.print_identifier) explain_attr(a, "print-identifier", t->conn.print_identifier);
        if (t->conn.print_stderr) explain_attr(a, "standard-error", "true");
        return;
    }
    if (t->conn.topic_pattern) explain_attr(a, "topic-pattern", t->conn.topic_pattern);
    else if (t->conn.ntopics) explain_attr_list(a, "topics", (const char **)t->conn.topics, t->conn.ntopics);
    else explain_attr(a, "topic", t->conn.topic);
    if (t->nkeycols && t->conn.key_format != t->conn.value_format) {
        explain_attr(a, "key.format", format_name(t->conn.key_format));
        explain_attr(a, "value.format", format_name(t->conn.value_format));
    } else {
        explain_attr(a, "format", format_name(t->conn.value_format));
    }
}

static void describe_source(const PlanNode *n, ExplainAttrs *a)
{
    const SourcePlan *sp = plan_source(n);
    describe_table(sp->table, a);
    if (sp->table->conn.kind == CONN_EXCHANGE) {
        explain_attr_list(a, "fields", col_names(a, n->cols, n->ncols), n->ncols);
        return;
    }
    if (sp->table->conn.kind == CONN_JDBC) {   /* a scan: read once */
        explain_attr(a, "bounded", "table scan");
        if (sp->table->conn.scan_fetch) explain_attr(a, "fetch-size", arena_printf(a->arena, "%lld", (long long)sp->table->conn.scan_fetch));
    } else if (sp->table->conn.kind == CONN_DATAGEN) {   /* generated rows */
        explain_attr(a, "rows-per-second", arena_printf(a->arena, "%lld", (long long)sp->table->conn.rows_per_second));
        if (sp->table->conn.number_of_rows >= 0)
            explain_attr(a, "number-of-rows", arena_printf(a->arena, "%lld", (long long)sp->table->conn.number_of_rows));
        explain_attr(a, "seed", arena_printf(a->arena, "%llu", (unsigned long long)sp->table->conn.seed));
    } else if (sp->table->conn.kind == CONN_NEXMARK) {   /* generated events */
        if (sp->table->conn.number_of_rows >= 0)
            explain_attr(a, "events.num", arena_printf(a->arena, "%lld", (long long)sp->table->conn.number_of_rows));
        explain_attr(a, "first-event.rate", arena_printf(a->arena, "%g", sp->table->conn.nexmark.event_rate));
        if (sp->table->conn.nexmark.rate_limited) explain_attr(a, "rate.limited", "true");
        explain_attr(a, "seed", arena_printf(a->arena, "%llu", (unsigned long long)sp->table->conn.seed));
    } else {
        explain_attr(a, "startup", startup_mode_name(sp->table->conn.startup));
    }
    if (sp->table->conn.bounded) explain_attr(a, "bounded", "latest-offset");
    if (sp->watermark) explain_attr(a, "watermark", print_expr(a, sp->watermark, n));
    if (sp->table->conn.error_mode == ERR_SKIP) explain_attr(a, "errors", "skip");
    const char **f = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->ncols ? n->ncols : 1));
    for (int i = 0; i < n->ncols; i++) {
        const CatColumn *c = &sp->table->cols[sp->src_cols[i]];
        f[i] = c->kind == COL_METADATA ? arena_printf(a->arena, "%s=METADATA('%s')", c->name, c->meta_key) : c->name;
    }
    explain_attr_list(a, "fields", f, n->ncols);
}

/* What the rows a source feeds depend on: the table, whether it is an
 * upsert stream, its time attribute and the columns read with their types —
 * not its topic (job_attach_state checks that apart), format, start
 * position, error mode, watermark delay or columns nobody reads. */
static void describe_source_state(const PlanNode *n, ExplainAttrs *a)
{
    const SourcePlan *sp = plan_source(n);
    explain_attr(a, "table", sp->table->name);
    if (n->updating) explain_attr(a, "upsert", "true");
    if (sp->rowtime >= 0) explain_attr(a, "rowtime", n->cols[sp->rowtime].name);
    const char **f = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->ncols ? n->ncols : 1));
    int nf = 0;
    for (int i = 0; i < n->ncols; i++) {
        if (sp->needed && !sp->needed[i]) continue;
        StrBuf t = {0};
        type_print(&t, n->cols[i].type);
        f[nf++] = arena_printf(a->arena, "%s %s", n->cols[i].name, t.s ? t.s : "");
        sb_free(&t);
    }
    explain_attr_list(a, "fields", f, nf);
}

static void describe_normalize(const PlanNode *n, ExplainAttrs *a)
{
    (void)n;
    (void)a;
}

static void describe_calc(const PlanNode *n, ExplainAttrs *a)
{
    const CalcPlan *c = plan_calc(n);
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->ncols ? n->ncols : 1));
    for (int i = 0; i < n->ncols; i++) {
        const char *e = print_expr(a, c->exprs[i], n->inputs[0]);
        v[i] = strcmp(e, n->cols[i].name) == 0 ? e : arena_printf(a->arena, "%s AS %s", e, n->cols[i].name);
    }
    explain_attr_list(a, "select", v, n->ncols);
    if (c->filter) explain_attr(a, "where", print_expr(a, c->filter, n->inputs[0]));
}

static void describe_agg(const PlanNode *n, ExplainAttrs *a)
{
    const AggPlan *g = plan_agg(n);
    explain_attr_list(a, "groupBy", col_names(a, n->cols, g->ngroup), g->ngroup);
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(g->naggs ? g->naggs : 1));
    PlanNode partial = {.cols = (PlanCol *)g->partial_cols, .ncols = g->npartial};   /* a merging aggregate's calls name the local one's input */
    for (int j = 0; j < g->naggs; j++) {
        const char *e = print_expr(a, g->aggs[j], g->merge ? &partial : n->inputs[0]);
        const char *name = n->cols[g->ngroup + j].name;
        v[j] = strcmp(e, name) == 0 ? e : arena_printf(a->arena, "%s AS %s", e, name);
    }
    explain_attr_list(a, "aggs", v, g->naggs);
}

static void describe_sink(const PlanNode *n, ExplainAttrs *a)
{
    const SinkPlan *sk = plan_sink(n);
    describe_table(sk->table, a);
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(sk->nsink ? sk->nsink : 1));
    for (int k = 0; k < sk->nsink; k++) {
        const char *col = sk->table->cols[sk->sink_cols[k]].name;
        const char *src = sk->sink_map[k] < 0 ? "NULL" : n->inputs[0]->cols[sk->sink_map[k]].name;
        v[k] = strcmp(col, src) == 0 ? col : arena_printf(a->arena, "%s AS %s", src, col);
    }
    explain_attr_list(a, "fields", v, sk->nsink);
    if (n->per_row) explain_attr(a, "mini-batch", "off");   /* Flink's changelog exactly (Plan.flink_changelog) */
}

/* Unnest(unnest=[items], joinType=[INNER], fields=[order_id, sku, qty]) */
static void describe_unnest(const PlanNode *n, ExplainAttrs *a)
{
    const UnnestPlan *u = plan_unnest(n);
    explain_attr(a, "unnest", print_expr(a, u->expr, n->inputs[0]));
    explain_attr(a, "joinType", u->left ? "LEFT" : "INNER");
    explain_attr_list(a, "fields", col_names(a, n->cols, n->ncols), n->ncols);
}

static void describe_union(const PlanNode *n, ExplainAttrs *a)
{
    explain_attr(a, "all", "true");
    explain_attr_list(a, "union", col_names(a, n->cols, n->ncols), n->ncols);
}

/* Values(tuples=[[1, 'a'], [2, 'b']], fields=[EXPR$0, EXPR$1]), as Flink writes it. */
static void describe_values(const PlanNode *n, ExplainAttrs *a)
{
    const ValuesPlan *vp = plan_values(n);
    StrBuf b = {0};
    for (int r = 0; r < vp->nrows; r++) {
        sb_puts(&b, r ? ", [" : "[");
        for (int i = 0; i < n->ncols; i++) {
            if (i) sb_puts(&b, ", ");
            bexpr_print(&b, vp->rows[r][i], NULL);
        }
        sb_putc(&b, ']');
    }
    explain_attr(a, "tuples", arena_strdup(a->arena, b.s));
    sb_free(&b);
    explain_attr_list(a, "fields", col_names(a, n->cols, n->ncols), n->ncols);
}

static void describe_collect(const PlanNode *n, ExplainAttrs *a)
{
    explain_attr_list(a, "fields", col_names(a, n->cols, n->ncols), n->ncols);
    int64_t limit = plan_collect(n)->limit;
    if (limit >= 0) explain_attr(a, "limit", arena_printf(a->arena, "%lld", (long long)limit));
    if (n->per_row) explain_attr(a, "mini-batch", "off");
}

/* Durations as Flink's EXPLAIN writes them: 10 min, 1 h, 5 s, 100 ms. */
static const char *print_duration(Arena *a, int64_t ms)
{
    static const struct { int64_t ms; const char *unit; } u[] = {{86400000, "d"}, {3600000, "h"}, {60000, "min"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (ms != 0 && ms % u[i].ms == 0) return arena_printf(a, "%lld %s", (long long)(ms / u[i].ms), u[i].unit);
    return arena_printf(a, "%lld ms", (long long)ms);
}

/* TUMBLE(time_col=[ts], size=[1 min]) and the like, over input `in`. */
static const char *describe_window(ExplainAttrs *a, const WindowSpec *w, const PlanNode *in)
{
    StrBuf b = {0};
    const char *tc = in->cols[w->timecol].name;
    switch (w->kind) {
    case WIN_TUMBLE: sb_printf(&b, "TUMBLE(time_col=[%s], size=[%s]", tc, print_duration(a->arena, w->size)); break;
    case WIN_HOP:
        sb_printf(&b, "HOP(time_col=[%s], size=[%s], slide=[%s]", tc, print_duration(a->arena, w->size), print_duration(a->arena, w->slide));
        break;
    case WIN_CUMULATE:
        sb_printf(&b, "CUMULATE(time_col=[%s], max_size=[%s], step=[%s]", tc, print_duration(a->arena, w->size),
                  print_duration(a->arena, w->slide));
        break;
    case WIN_SESSION: sb_printf(&b, "SESSION(time_col=[%s], gap=[%s]", tc, print_duration(a->arena, w->size)); break;
    }
    if (w->offset) sb_printf(&b, ", offset=[%s]", print_duration(a->arena, w->offset));
    sb_putc(&b, ')');
    const char *s = arena_strdup(a->arena, b.s);
    sb_free(&b);
    return s;
}

static void describe_window_agg(const PlanNode *n, ExplainAttrs *a)
{
    const WindowAggPlan *w = plan_window_agg(n);
    explain_attr(a, "window", describe_window(a, &w->spec, n->inputs[0]));
    explain_attr_list(a, "groupBy", col_names(a, n->cols, w->ngroup), w->ngroup);
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(w->naggs ? w->naggs : 1));
    for (int j = 0; j < w->naggs; j++) {
        const char *e = print_expr(a, w->aggs[j], n->inputs[0]);
        const char *name = n->cols[w->ngroup + 3 + j].name;
        v[j] = strcmp(e, name) == 0 ? e : arena_printf(a->arena, "%s AS %s", e, name);
    }
    explain_attr_list(a, "aggs", v, w->naggs);
    explain_attr(a, "emit", w->spec.time == TA_PROCTIME ? "processing time passes window_end" : "watermark passes window_end");
    if (w->late_topic) explain_attr(a, "late", w->late_topic);
}

static void describe_window_tvf(const PlanNode *n, ExplainAttrs *a)
{
    const WindowTvfPlan *w = plan_window_tvf(n);
    explain_attr(a, "window", describe_window(a, &w->spec, n->inputs[0]));
    if (w->npartition) {
        const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)w->npartition);
        for (int i = 0; i < w->npartition; i++) v[i] = n->inputs[0]->cols[w->partition[i]].name;
        explain_attr_list(a, "partitionBy", v, w->npartition);
    }
    if (w->late_topic) explain_attr(a, "late", w->late_topic);
}

/* A window's rows are final: it asks nothing of its (append-only) input. */
static void require_window(PlanNode *n, bool need)
{
    (void)need;
    n->before = false;
    require_before(n->inputs[0], false);
}

static int passes_window_agg(const PlanNode *n, int col)
{
    return col < plan_window_agg(n)->ngroup ? col : -1;
}

static int passes_window_tvf(const PlanNode *n, int col)
{
    return col < n->inputs[0]->ncols ? col : -1;
}

const char **plan_join_names(Arena *a, const PlanNode *n)
{
    const JoinPlan *j = plan_join(n);
    if (j->type != JOIN_SEMI && j->type != JOIN_ANTI) {
        const char **v = arena_alloc(a, sizeof(char *) * (size_t)(n->ncols ? n->ncols : 1));
        for (int i = 0; i < n->ncols; i++) v[i] = n->cols[i].name;
        return v;
    }
    /* a semi join's output is its left side: the right side's names follow, numbered when taken (k, k0) */
    const PlanNode *l = n->inputs[0], *r = n->inputs[1];
    int w = l->ncols + r->ncols;
    const char **v = arena_alloc(a, sizeof(char *) * (size_t)(w ? w : 1));
    for (int i = 0; i < w; i++) {
        const char *base = i < l->ncols ? l->cols[i].name : r->cols[i - l->ncols].name, *name = base;
        for (int suffix = 0;; suffix++) {
            bool taken = false;
            for (int k = 0; k < i && !taken; k++) taken = strcmp(v[k], name) == 0;
            if (!taken) break;
            name = arena_printf(a, "%s%d", base, suffix);
        }
        v[i] = name;
    }
    return v;
}

/* The names of node in's unique key columns, "a, b" (as key_names for a table's). */
static const char *node_key_names(Arena *a, const PlanNode *in)
{
    StrBuf b = {0};
    for (int k = 0; k < in->nkey; k++) sb_printf(&b, "%s%s", k ? ", " : "", in->cols[in->key[k]].name);
    const char *s = arena_strdup(a, b.s ? b.s : "");
    sb_free(&b);
    return s;
}

/* What one side of a join keeps per join key, in Flink's words. */
static const char *join_state(ExplainAttrs *a, const PlanNode *in, bool unique)
{
    if (unique) return "JoinKeyContainsUniqueKey";
    if (!in->has_key) return "NoUniqueKey";
    return arena_printf(a->arena, "HasUniqueKey(%s)", node_key_names(a->arena, in));
}

static void describe_join(const PlanNode *n, ExplainAttrs *a)
{
    static const char *const types[] = {[JOIN_INNER] = "InnerJoin", [JOIN_LEFT] = "LeftOuterJoin", [JOIN_RIGHT] = "RightOuterJoin",
                                        [JOIN_FULL] = "FullOuterJoin", [JOIN_SEMI] = "LeftSemiJoin", [JOIN_ANTI] = "LeftAntiJoin"};
    const JoinPlan *j = plan_join(n);
    const char **names = plan_join_names(a->arena, n);
    explain_attr(a, "joinType", types[j->type]);
    StrBuf b = {0};
    for (int k = 0; k < j->nkeys; k++) {
        if (k) sb_puts(&b, " AND ");
        bexpr_print(&b, j->lkeys[k], names);
        sb_puts(&b, " = ");
        bexpr_print(&b, j->rkeys[k], names + j->nleft);
    }
    explain_attr(a, "where", arena_strdup(a->arena, b.s ? b.s : "TRUE"));
    sb_free(&b);
    if (j->residual) {
        bexpr_print(&b, j->residual, names);
        explain_attr(a, "residual", arena_strdup(a->arena, b.s));
        sb_free(&b);
    }
    explain_attr(a, "leftState", join_state(a, n->inputs[0], j->lunique));
    explain_attr(a, "rightState", join_state(a, n->inputs[1], j->runique));
    /* a side that takes its source's upserts itself (no ChangelogNormalize) */
    if (j->lupsert) explain_attr(a, "leftUpsertKey", node_key_names(a->arena, n->inputs[0]));
    if (j->rupsert) explain_attr(a, "rightUpsertKey", node_key_names(a->arena, n->inputs[1]));
}

/* An interval in EXPLAIN: whole units where they fit ("-4 HOUR"), else ms. */
static const char *interval_text(ExplainAttrs *a, int64_t ms)
{
    static const struct { int64_t ms; const char *unit; } units[] = {
        {86400000, "DAY"}, {3600000, "HOUR"}, {60000, "MINUTE"}, {1000, "SECOND"}, {1, "MILLISECOND"}};
    if (ms == 0) return "0";
    for (size_t u = 0;; u++)
        if (ms % units[u].ms == 0) return arena_printf(a->arena, "%lld %s", (long long)(ms / units[u].ms), units[u].unit);
}

/* Flink's IntervalJoin attributes: the bounds as left time − right time. */
static void describe_interval_join(const PlanNode *n, ExplainAttrs *a)
{
    const IntervalJoinPlan *ip = plan_interval_join(n);
    const JoinPlan *j = &ip->join;
    describe_join(n, a);
    a->n -= 2;   /* no leftState/rightState: the state is the rows within the bounds */
    const char **names = col_names(a, n->cols, n->ncols);
    explain_attr(a, "timeAttributes", arena_printf(a->arena, "%s - %s", names[ip->ltime], names[j->nleft + ip->rtime]));
    explain_attr(a, "leftLowerBound", interval_text(a, ip->lower));
    explain_attr(a, "leftUpperBound", interval_text(a, ip->upper));
}

/* A lookup join: the table, its keys, the cache. */
static void describe_lookup_join(const PlanNode *n, ExplainAttrs *a)
{
    const LookupJoinPlan *lp = plan_lookup_join(n);
    const JoinPlan *jp = &lp->join;
    explain_attr(a, "table", lp->table->name);
    explain_attr(a, "table-name", lp->table->conn.table_name);
    explain_attr(a, "joinType", jp->type == JOIN_LEFT ? "LeftOuterJoin" : "InnerJoin");
    StrBuf b = {0};
    for (int k = 0; k < jp->nkeys; k++)
        sb_printf(&b, "%s%s=%s", k ? ", " : "", lp->table->cols[lp->rcols[lp->rkeycols[k]]].name, print_expr(a, jp->lkeys[k], n->inputs[0]));
    explain_attr(a, "lookup", arena_strdup(a->arena, b.s ? b.s : ""));
    sb_free(&b);
    if (jp->residual) explain_attr(a, "where", print_expr(a, jp->residual, n));
    if (lp->table->conn.lookup_cache) {
        const Connector *cn = &lp->table->conn;
        char access[64] = "";
        if (cn->lookup_access_ms) snprintf(access, sizeof access, ", expire-after-access=%lld ms", (long long)cn->lookup_access_ms);
        explain_attr(a, "cache", arena_printf(a->arena, "PARTIAL(max-rows=%lld, expire-after-write=%lld ms%s, cache-missing-key=%s)",
                                              (long long)cn->lookup_max_rows, (long long)cn->lookup_expire_ms, access,
                                              cn->lookup_cache_missing ? "true" : "false"));
    }
}

/* A lookup join takes what its input gives (kinds pass through). */
static void require_lookup_join(PlanNode *n, bool need)
{
    n->before = n->updating && (need || !n->has_key);
    require_before(n->inputs[0], n->inputs[0]->updating);
}

/* A temporal join: the probe side's time and the version time. */
static void describe_temporal_join(const PlanNode *n, ExplainAttrs *a)
{
    const TemporalJoinPlan *tp = plan_temporal_join(n);
    describe_join(n, a);
    a->n -= 2;   /* its state: left rows until the watermark passes them, right rows' versions */
    const char **names = col_names(a, n->cols, n->ncols);
    explain_attr(a, "asOf", names[tp->ltime]);
    explain_attr(a, "versionTime", names[tp->join.nleft + tp->rtime]);
    explain_attr(a, "rightState", "Versions");
}

/* A window join: its windows, as the window operators show them. */
static void describe_window_join(const PlanNode *n, ExplainAttrs *a)
{
    const WindowJoinPlan *wp = plan_window_join(n);
    describe_join(n, a);
    a->n -= 2;   /* its state: each window's rows until it fires */
    explain_attr(a, "window", describe_window(a, &wp->spec, n));   /* its time column is the left side's */
    const char **names = col_names(a, n->cols, n->ncols);
    explain_attr(a, "windowColumns", arena_printf(a->arena, "%s, %s = %s, %s", names[wp->lwin], names[wp->lwin + 1],
                                                   names[wp->join.nleft + wp->rwin], names[wp->join.nleft + wp->rwin + 1]));
}

/* A temporal join's versioned side may update: it takes retractions (a
 * delete ends a version) but no before-images. */
static void require_temporal_join(PlanNode *n, bool need)
{
    (void)need;
    n->before = false;
    require_before(n->inputs[0], false);
    require_before(n->inputs[1], false);
}

/* A sink shows its table's changelog and primary key. */
static Changelog changelog_sink(const PlanNode *n)
{
    switch (plan_sink(n)->table->conn.mode) {
    case MODE_UPSERT: return CL_UPSERT;
    case MODE_RETRACT: return CL_RETRACT;
    default: return CL_APPEND;
    }
}

static int key_names_sink(const PlanNode *n, Arena *a, const char ***names)
{
    const PlanTable *t = plan_sink(n)->table;
    if (t->conn.mode != MODE_UPSERT) return -1;
    const char **v = arena_alloc(a, sizeof(char *) * (size_t)(t->npk ? t->npk : 1));
    for (int i = 0; i < t->npk; i++) v[i] = t->cols[t->pk[i]].name;
    *names = v;
    return t->npk;
}

const PlanOps plan_ops[PLAN__COUNT] = {
    [PLAN_SOURCE] = {.name = "KafkaSource", .describe = describe_source, .require = require_source,
                     .describe_state = describe_source_state, .label = plan_stage_label_exchange},
    [PLAN_NORMALIZE] = {.name = "ChangelogNormalize", .describe = describe_normalize, .require = require_normalize},
    [PLAN_CALC] = {.name = "Calc", .describe = describe_calc, .require = require_calc, .reads = reads_calc, .passes = passes_calc,
                   .only_after = only_after_calc},
    [PLAN_AGG] = {.name = "GroupAggregate", .describe = describe_agg, .require = require_agg, .label = plan_stage_label_agg},
    [PLAN_SINK] = {.name = "KafkaSink", .describe = describe_sink, .require = require_sink, .changelog = changelog_sink,
                   .key_names = key_names_sink, .label = plan_stage_label_exchange},
    [PLAN_COLLECT] = {.name = "Collect", .describe = describe_collect, .require = require_collect},
    [PLAN_UNION] = {.name = "Union", .describe = describe_union, .require = require_union, .only_after = only_after_inputs},
    [PLAN_WINDOW_AGG] = {.name = "WindowAggregate", .describe = describe_window_agg, .require = require_window,
                         .passes = passes_window_agg},
    [PLAN_WINDOW_TVF] = {.name = "WindowTableFunction", .describe = describe_window_tvf, .require = require_window,
                         .passes = passes_window_tvf},
    [PLAN_JOIN] = {.name = "Join", .describe = describe_join, .require = require_join, .only_after = only_after_join},
    [PLAN_INTERVAL_JOIN] = {.name = "IntervalJoin", .describe = describe_interval_join, .require = require_join},
    [PLAN_TEMPORAL_JOIN] = {.name = "TemporalJoin", .describe = describe_temporal_join, .require = require_temporal_join},
    [PLAN_LOOKUP_JOIN] = {.name = "LookupJoin", .describe = describe_lookup_join, .require = require_lookup_join,
                          .only_after = only_after_inputs},
    [PLAN_WINDOW_JOIN] = {.name = "WindowJoin", .describe = describe_window_join, .require = require_join},
    [PLAN_VALUES] = {.name = "Values", .describe = describe_values, .require = require_values},
    [PLAN_RANK] = {.name = "Rank", .describe = plan_over_describe_rank, .require = plan_over_require_rank},
    [PLAN_DEDUP] = {.name = "Deduplicate", .describe = plan_over_describe_dedup, .require = plan_over_require_dedup},
    [PLAN_WINDOW_RANK] = {.name = "WindowRank", .describe = plan_over_describe_window_rank, .require = plan_over_require_dedup},
    [PLAN_OVER_AGG] = {.name = "OverAggregate", .describe = plan_over_describe_agg, .require = plan_over_require_dedup},
    [PLAN_UNNEST] = {.name = "Unnest", .describe = describe_unnest, .require = require_union, .only_after = only_after_inputs},
    [PLAN_LOCAL_AGG] = {.name = "LocalGroupAggregate", .describe = plan_stage_describe_local_agg, .require = plan_stage_require_local_agg},
    [PLAN_OVER_AGG_UPDATE] = {.name = "OverAggregate", .describe = plan_over_describe_agg, .require = plan_over_require_rank},
};

const char *plan_label(const PlanNode *n) { return plan_ops[n->kind].label ? plan_ops[n->kind].label(n) : plan_ops[n->kind].name; }

/* The builders plan_over.c shares (plan_over.h). */
PlanNode *plan_node_new(Plan *p, PlanKind k, size_t size, PlanNode *input, int ncols) { return node_new(p, k, size, input, ncols); }
PlanNode *plan_calc_node(Plan *p, PlanNode *in, BExpr *filter, BExpr **exprs, const char **names, int n)
{
    return calc(p, in, filter, exprs, names, n);
}
void plan_require(PlanNode *n, bool need) { require_before(n, need); }
const char *plan_update_origin(const PlanNode *n) { return plan_ops[update_origin(n)->kind].name; }
