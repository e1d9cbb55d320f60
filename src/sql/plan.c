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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

Plan *plan_new(void)
{
    Plan *p = calloc(1, sizeof *p);
    if (!p) abort();
    arena_init(&p->arena, 8192);
    exec_config_build(&p->config, NULL, 0);
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
    if (!p->src || offset < 0) {
        snprintf(buf, cap, "%s", p->srcname ? p->srcname : "<sql>");
        return;
    }
    int line, col;
    diag_linecol(p->src, (size_t)p->srclen, offset, &line, &col);
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
    exec_config_build(&p->config, p->settings, n);
}

static PlanNode *node_new(Plan *p, PlanKind k, PlanNode *input, int ncols)
{
    PlanNode *n = arena_alloc(&p->arena, sizeof *n);
    n->kind = k;
    n->input = input;
    n->ncols = ncols;
    n->cols = arena_alloc(&p->arena, sizeof(PlanCol) * (size_t)(ncols ? ncols : 1));
    n->key = arena_alloc(&p->arena, sizeof(int) * (size_t)(ncols ? ncols : 1));
    n->limit = -1;
    if (input) {
        n->updating = input->updating;
    }
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
    pt->conn.key_url = arena_strdup(a, t->conn.key_url);
    pt->conn.value_url = arena_strdup(a, t->conn.value_url);
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
    PlanNode *c = node_new(p, PLAN_CALC, in, n);
    c->filter = filter;
    c->exprs = exprs;
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

static PlanNode *build_source(Plan *p, const BQuery *q)
{
    const PlanTable *t = table_copy(p, q->table);
    PlanNode *s = node_new(p, PLAN_SOURCE, NULL, q->nin);
    s->table = t;
    s->src_cols = arena_alloc(&p->arena, sizeof(int) * (size_t)(q->nin ? q->nin : 1));
    for (int i = 0; i < q->nin; i++) {
        s->cols[i] = (PlanCol){arena_strdup(&p->arena, q->in_names[i]), q->in_types[i]};
        s->src_cols[i] = q->in_cols[i];
    }
    s->watermark = q->wm_expr;
    s->rowtime = q->wm_rowtime;
    /* The primary key in output positions. */
    int *pkpos = arena_alloc(&p->arena, sizeof(int) * (size_t)(t->npk ? t->npk : 1));
    for (int k = 0; k < t->npk; k++)
        for (int i = 0; i < q->nin; i++)
            if (s->src_cols[i] == t->pk[k]) pkpos[k] = i;
    if (t->conn.mode == MODE_APPEND) return s;
    s->updating = true;
    if (t->npk) {
        s->has_key = true;
        s->nkey = t->npk;
        memcpy(s->key, pkpos, sizeof(int) * (size_t)t->npk);
    }
    if (t->conn.mode == MODE_RETRACT) return s;
    /* An upsert source becomes a retract stream: last row per key. */
    PlanNode *n = node_new(p, PLAN_NORMALIZE, s, s->ncols);
    memcpy(n->cols, s->cols, sizeof(PlanCol) * (size_t)s->ncols);
    n->has_key = true;
    n->nkey = s->nkey;
    memcpy(n->key, s->key, sizeof(int) * (size_t)s->nkey);
    return n;
}

static PlanNode *build_query(Plan *p, const BQuery *q, Diag *d)
{
    PlanNode *in = q->table ? build_source(p, q) : build_query(p, q->sub, d);
    if (!in) return NULL;
    if (!q->is_agg) return calc(p, in, q->where, q->out, q->out_names, q->nout);

    /* Pre-aggregate calc: [group keys…, distinct aggregate arguments…]. */
    int cap = q->nkeys + q->naggs;
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
        BExpr *a = arena_alloc(&p->arena, sizeof *a);
        *a = *q->aggs[j];
        if (a->a) {
            int at = -1;
            for (int i = 0; i < npre && at < 0; i++)
                if (bexpr_equal(pre[i], a->a)) at = i;
            if (at < 0) {
                at = npre;
                pre[npre] = a->a;
                pre_names[npre] = a->a->kind == BX_COL ? in->cols[a->a->col].name : arena_printf(&p->arena, "$f%d", npre);
                npre++;
            }
            BExpr *ref = arena_alloc(&p->arena, sizeof *ref);
            ref->kind = BX_COL;
            ref->col = at;
            ref->type = a->a->type;
            ref->pos = a->a->pos;
            a->a = ref;
        }
        aggs[j] = a;
    }
    PlanNode *pc = calc(p, in, q->where, pre, pre_names, npre);

    PlanNode *ag = node_new(p, PLAN_AGG, pc, q->nkeys + q->naggs);
    ag->ngroup = q->nkeys;
    ag->aggs = aggs;
    ag->naggs = q->naggs;
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

/* Top-down: does each operator's consumer need -U before-images? */
static void require_before(PlanNode *n, bool need)
{
    if (!n) return;
    switch (n->kind) {
    case PLAN_SOURCE:
        n->before = n->updating && n->table->conn.mode == MODE_RETRACT;
        return;
    case PLAN_NORMALIZE:
        n->before = need;
        require_before(n->input, false);
        return;
    case PLAN_CALC:
        n->before = n->updating && (need || !n->has_key);
        /* A filter must see the old row to turn an update that stops passing into a delete. */
        require_before(n->input, n->before || (n->filter && n->input->updating) || (n->input->updating && !n->has_key));
        return;
    case PLAN_AGG:
        n->before = need;
        require_before(n->input, n->input->updating);
        return;
    case PLAN_SINK:
        n->before = n->table->conn.mode == MODE_RETRACT;
        require_before(n->input, n->table->conn.mode == MODE_RETRACT);
        return;
    case PLAN_COLLECT:
        n->before = n->updating;
        require_before(n->input, n->input->updating);
        return;
    case PLAN__COUNT:
        return;
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

/* The operator that makes a stream updating, for messages. */
static const PlanNode *update_origin(const PlanNode *n)
{
    while (n->input && n->input->updating) n = n->input;
    return n;
}

int plan_insert(Plan *p, const BInsert *ins, Diag *d)
{
    PlanNode *q = build_query(p, ins->query, d);
    if (!q) return d->code;
    const PlanTable *t = table_copy(p, ins->table);
    PlanNode *s = node_new(p, PLAN_SINK, q, ins->nsink);
    s->table = t;
    s->nsink = ins->nsink;
    s->sink_cols = arena_alloc(&p->arena, sizeof(int) * (size_t)(ins->nsink ? ins->nsink : 1));
    s->sink_map = arena_alloc(&p->arena, sizeof(int) * (size_t)(ins->nsink ? ins->nsink : 1));
    memcpy(s->sink_cols, ins->sinkcols, sizeof(int) * (size_t)ins->nsink);
    memcpy(s->sink_map, ins->map, sizeof(int) * (size_t)ins->nsink);
    for (int k = 0; k < ins->nsink; k++) s->cols[k] = (PlanCol){t->cols[ins->sinkcols[k]].name, t->cols[ins->sinkcols[k]].type};
    p->root = s;
    p->name = t->name;

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
                int o = ins->map[j];
                if (o < 0) continue;
                bool same = o == q->key[k];
                if (!same && q->kind == PLAN_CALC) {
                    const BExpr *e = q->exprs[o], *ke = q->exprs[q->key[k]];
                    same = e->kind == BX_COL && ke->kind == BX_COL && e->col == ke->col;
                }
                if (!same) continue;
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
    require_before(s, false);
    return 0;
}

int plan_select(Plan *p, const BQuery *bq, Diag *d)
{
    PlanNode *q = build_query(p, bq, d);
    if (!q) return d->code;
    PlanNode *c = node_new(p, PLAN_COLLECT, q, q->ncols);
    memcpy(c->cols, q->cols, sizeof(PlanCol) * (size_t)q->ncols);
    c->has_key = q->has_key;
    c->nkey = q->nkey;
    memcpy(c->key, q->key, sizeof(int) * (size_t)q->nkey);
    c->limit = bq->limit;
    p->root = c;
    p->name = "select";
    require_before(c, false);
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
    explain_attr(a, "table", t->name);
    explain_attr(a, "topic", t->conn.topic);
    if (t->nkeycols && t->conn.key_format != t->conn.value_format) {
        explain_attr(a, "key.format", format_name(t->conn.key_format));
        explain_attr(a, "value.format", format_name(t->conn.value_format));
    } else {
        explain_attr(a, "format", format_name(t->conn.value_format));
    }
}

static void describe_source(const PlanNode *n, ExplainAttrs *a)
{
    describe_table(n->table, a);
    explain_attr(a, "startup", startup_mode_name(n->table->conn.startup));
    if (n->table->conn.bounded) explain_attr(a, "bounded", "latest-offset");
    if (n->watermark) explain_attr(a, "watermark", print_expr(a, n->watermark, n));
    if (n->table->conn.error_mode == ERR_SKIP) explain_attr(a, "errors", "skip");
    const char **f = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->ncols ? n->ncols : 1));
    for (int i = 0; i < n->ncols; i++) {
        const CatColumn *c = &n->table->cols[n->src_cols[i]];
        f[i] = c->kind == COL_METADATA ? arena_printf(a->arena, "%s=METADATA('%s')", c->name, c->meta_key) : c->name;
    }
    explain_attr_list(a, "fields", f, n->ncols);
}

static void describe_normalize(const PlanNode *n, ExplainAttrs *a)
{
    (void)n;
    (void)a;
}

static void describe_calc(const PlanNode *n, ExplainAttrs *a)
{
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->ncols ? n->ncols : 1));
    for (int i = 0; i < n->ncols; i++) {
        const char *e = print_expr(a, n->exprs[i], n->input);
        v[i] = strcmp(e, n->cols[i].name) == 0 ? e : arena_printf(a->arena, "%s AS %s", e, n->cols[i].name);
    }
    explain_attr_list(a, "select", v, n->ncols);
    if (n->filter) explain_attr(a, "where", print_expr(a, n->filter, n->input));
}

static void describe_agg(const PlanNode *n, ExplainAttrs *a)
{
    explain_attr_list(a, "groupBy", col_names(a, n->cols, n->ngroup), n->ngroup);
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->naggs ? n->naggs : 1));
    for (int j = 0; j < n->naggs; j++) {
        const char *e = print_expr(a, n->aggs[j], n->input);
        const char *name = n->cols[n->ngroup + j].name;
        v[j] = strcmp(e, name) == 0 ? e : arena_printf(a->arena, "%s AS %s", e, name);
    }
    explain_attr_list(a, "aggs", v, n->naggs);
}

static void describe_sink(const PlanNode *n, ExplainAttrs *a)
{
    describe_table(n->table, a);
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(n->nsink ? n->nsink : 1));
    for (int k = 0; k < n->nsink; k++) {
        const char *col = n->table->cols[n->sink_cols[k]].name;
        const char *src = n->sink_map[k] < 0 ? "NULL" : n->input->cols[n->sink_map[k]].name;
        v[k] = strcmp(col, src) == 0 ? col : arena_printf(a->arena, "%s AS %s", src, col);
    }
    explain_attr_list(a, "fields", v, n->nsink);
}

static void describe_collect(const PlanNode *n, ExplainAttrs *a)
{
    explain_attr_list(a, "fields", col_names(a, n->cols, n->ncols), n->ncols);
    if (n->limit >= 0) explain_attr(a, "limit", arena_printf(a->arena, "%lld", (long long)n->limit));
}

const PlanOps plan_ops[PLAN__COUNT] = {
    [PLAN_SOURCE] = {"KafkaSource", describe_source},
    [PLAN_NORMALIZE] = {"ChangelogNormalize", describe_normalize},
    [PLAN_CALC] = {"Calc", describe_calc},
    [PLAN_AGG] = {"GroupAggregate", describe_agg},
    [PLAN_SINK] = {"KafkaSink", describe_sink},
    [PLAN_COLLECT] = {"Collect", describe_collect},
};
