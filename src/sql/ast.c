/*
 * ast.c — the builders the grammar actions call.
 *
 * Each builder allocates in the statement arena and records positions.  Only
 * purely syntactic checks happen here (an unterminated construct, a TRIM
 * spec on a function other than TRIM); names and types are the binder's.
 */
#include "ast.h"
#include "diag.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How deeply an expression nests, counted as it is built (AstExpr.depth):
 * beyond EXPR_MAX_DEPTH it is refused here, so that no later pass — the
 * binder, the planner, EXPLAIN, the evaluator, all recursive — meets a
 * deeper one.  A flat chain nests too: a OR b OR c … is ((a OR b) OR c) …,
 * one level a term. */
static int depth_of(const AstExpr *x) { return x ? x->depth : 0; }

static AstExpr *seal(ParseCtx *c, AstExpr *e)
{
    int d = depth_of(e->a);
    if (depth_of(e->b) > d) d = depth_of(e->b);
    if (depth_of(e->c) > d) d = depth_of(e->c);
    for (int i = 0; i < e->nargs; i++)
        if (depth_of(e->args[i]) > d) d = depth_of(e->args[i]);
    e->depth = d + 1;
    if (e->depth == EXPR_MAX_DEPTH + 1)   /* once: its parents are deeper still */
        diag_error(c->diag, DIAG_SEMANTIC, e->pos,
                   "expression too complex: it nests more than %d levels deep (each term of a chain such as "
                   "a OR b OR … is a level; for many alternatives write x IN (…))", EXPR_MAX_DEPTH);
    return e;
}

static AstExpr *new_expr(ParseCtx *c, AstExprKind k, int pos)
{
    AstExpr *e = arena_alloc(c->arena, sizeof *e);
    e->kind = k;
    e->pos = pos;
    e->end = pos;
    return e;
}

const char *ast_ident(ParseCtx *c, Token t)
{
    if (t.n >= 2 && t.z[0] == '`') {
        char *out = arena_alloc(c->arena, (size_t)t.n);
        int j = 0;
        for (int i = 1; i < t.n - 1; i++) {
            out[j++] = t.z[i];
            if (t.z[i] == '`' && i + 1 < t.n - 1 && t.z[i + 1] == '`') i++;
        }
        out[j] = 0;
        return out;
    }
    return arena_strndup(c->arena, t.z, (size_t)t.n);
}

const char *ast_string(ParseCtx *c, Token t)
{
    char *out = arena_alloc(c->arena, (size_t)t.n);
    int j = 0;
    for (int i = 1; i < t.n - 1; i++) {
        out[j++] = t.z[i];
        if (t.z[i] == '\'' && i + 1 < t.n - 1 && t.z[i + 1] == '\'') i++;
    }
    out[j] = 0;
    return out;
}

AstExpr *ast_literal(ParseCtx *c, LitKind k, Token t)
{
    AstExpr *e = new_expr(c, AX_LITERAL, t.pos);
    e->end = t.pos + t.n;
    e->lit = k;
    e->text = k == LIT_STRING ? ast_string(c, t) : arena_strndup(c->arena, t.z, (size_t)t.n);
    return seal(c, e);
}

AstExpr *ast_typed_literal(ParseCtx *c, LitKind k, Token kw, Token str)
{
    AstExpr *e = new_expr(c, AX_LITERAL, kw.pos);
    e->end = str.pos + str.n;
    e->lit = k;
    e->text = ast_string(c, str);
    return seal(c, e);
}

AstExpr *ast_interval(ParseCtx *c, Token kw, Token str, Token unit, Token *unit2)
{
    AstExpr *e = new_expr(c, AX_LITERAL, kw.pos);
    e->end = unit2 ? unit2->pos + unit2->n : unit.pos + unit.n;
    e->lit = LIT_INTERVAL;
    e->text = ast_string(c, str);
    e->text_pos = str.pos;
    e->name = arena_strndup(c->arena, unit.z, (size_t)unit.n); /* the unit */
    e->c = NULL;
    e->flags = unit.pos;
    if (unit2) {
        e->unit_to = arena_strndup(c->arena, unit2->z, (size_t)unit2->n);
        e->unit_to_pos = unit2->pos;
    }
    return seal(c, e);
}

AstExpr *ast_column(ParseCtx *c, Token *qual, Token name)
{
    AstExpr *e = new_expr(c, AX_COLUMN, qual ? qual->pos : name.pos);
    e->end = name.pos + name.n;
    e->qual = qual ? ast_ident(c, *qual) : NULL;
    e->name = ast_ident(c, name);
    e->text_pos = name.pos;
    return seal(c, e);
}

AstExpr *ast_dot(ParseCtx *c, AstExpr *a, Token name)
{
    /* `x.y` of two plain names is a qualified column (the binder reads it
     * as field y of column x when x names no table); anything else, such
     * as `t.x.y` or `(x).y`, is a field of a ROW value. */
    if (a->kind == AX_COLUMN && !a->qual && !a->flags) {
        a->qual = a->name;
        a->name = ast_ident(c, name);
        a->text_pos = name.pos;
        a->end = name.pos + name.n;
        return a;
    }
    AstExpr *e = new_expr(c, AX_FIELD, a->pos);
    e->a = a;
    e->name = ast_ident(c, name);
    e->text_pos = name.pos;
    e->end = name.pos + name.n;
    return seal(c, e);
}

AstExpr *ast_item(ParseCtx *c, AstExpr *a, AstExpr *index, Token rb)
{
    AstExpr *e = new_expr(c, AX_ITEM, a->pos);
    e->a = a;
    e->b = index;
    e->text_pos = index->pos;
    e->end = rb.pos + rb.n;
    return seal(c, e);
}

AstExpr *ast_ctor(ParseCtx *c, Token kw, AstNest nest, PtrList *args, Token end)
{
    AstExpr *e = new_expr(c, AX_CTOR, kw.pos);
    e->flags = (int)nest;
    e->args = (AstExpr **)args->v;
    e->nargs = args->n;
    e->end = end.pos + end.n;
    return seal(c, e);
}

AstExpr *ast_unary(ParseCtx *c, AstOp op, Token t, AstExpr *a)
{
    AstExpr *e = new_expr(c, AX_UNARY, t.pos);
    e->op = op;
    e->a = a;
    e->end = a->end;
    return seal(c, e);
}

AstExpr *ast_binary(ParseCtx *c, AstOp op, Token t, AstExpr *a, AstExpr *b)
{
    AstExpr *e = new_expr(c, AX_BINARY, t.pos);
    e->op = op;
    e->a = a;
    e->b = b;
    e->end = b->end;
    return seal(c, e);
}

AstExpr *ast_is(ParseCtx *c, AstExpr *a, Token t, bool negated, LitKind what)
{
    AstExpr *e = new_expr(c, AX_IS, t.pos);
    e->a = a;
    e->negated = negated;
    e->lit = what;
    e->end = t.pos + t.n;
    return seal(c, e);
}

AstExpr *ast_between(ParseCtx *c, AstExpr *a, Token t, bool negated, AstExpr *lo, AstExpr *hi)
{
    AstExpr *e = new_expr(c, AX_BETWEEN, t.pos);
    e->a = a;
    e->b = lo;
    e->c = hi;
    e->negated = negated;
    e->end = hi->end;
    return seal(c, e);
}

AstExpr *ast_in(ParseCtx *c, AstExpr *a, Token t, bool negated, PtrList *list)
{
    AstExpr *e = new_expr(c, AX_IN, t.pos);
    e->a = a;
    e->negated = negated;
    e->args = (AstExpr **)list->v;
    e->nargs = list->n;
    e->end = list->n ? e->args[list->n - 1]->end : t.pos;
    return seal(c, e);
}

AstExpr *ast_like(ParseCtx *c, AstExpr *a, Token t, bool negated, AstExpr *pat)
{
    AstExpr *e = new_expr(c, AX_LIKE, t.pos);
    e->a = a;
    e->b = pat;
    e->negated = negated;
    e->end = pat->end;
    return seal(c, e);
}

AstExpr *ast_in_query(ParseCtx *c, AstExpr *a, Token t, bool negated, AstSelect *q, Token rp)
{
    AstExpr *e = new_expr(c, AX_IN_QUERY, t.pos);
    e->a = a;
    e->negated = negated;
    e->sub = q;
    e->end = rp.pos + 1;
    return seal(c, e);
}

AstExpr *ast_exists(ParseCtx *c, Token t, AstSelect *q, Token rp)
{
    AstExpr *e = new_expr(c, AX_EXISTS, t.pos);
    e->sub = q;
    e->end = rp.pos + 1;
    return seal(c, e);
}

AstExpr *ast_row(ParseCtx *c, Token lp, AstExpr *first, PtrList *rest, Token rp)
{
    AstExpr *e = new_expr(c, AX_ROW, lp.pos);
    e->nargs = rest->n + 1;
    e->args = arena_alloc(c->arena, sizeof(AstExpr *) * (size_t)e->nargs);
    e->args[0] = first;
    for (int i = 0; i < rest->n; i++) e->args[i + 1] = rest->v[i];
    e->end = rp.pos + 1;
    return seal(c, e);
}

AstExpr *ast_func(ParseCtx *c, Token name, bool distinct, bool star, PtrList *args, Token rp)
{
    AstExpr *e = new_expr(c, AX_FUNC, name.pos);
    e->name = ast_ident(c, name);
    e->distinct = distinct;
    e->star = star;
    if (args) {
        e->args = (AstExpr **)args->v;
        e->nargs = args->n;
    }
    e->end = rp.pos + rp.n;
    return seal(c, e);
}

/* The filter of an aggregate call.  Whether the call is an aggregate is
 * the binder's to say (a scalar function with FILTER is refused there). */
AstExpr *ast_agg_filter(ParseCtx *c, AstExpr *call, Token filter, AstExpr *cond, Token last)
{
    if (call->kind != AX_FUNC || call->over || call->c) {
        diag_error(c->diag, DIAG_SYNTAX, filter.pos,
                   "FILTER must follow an aggregate function call, as in COUNT(*) FILTER (WHERE x > 0)%s",
                   call->kind == AX_FUNC && call->over ? " (write FILTER before OVER)" : "");
        return call;
    }
    call->c = cond;
    call->end = last.pos + last.n;
    return seal(c, call);
}

AstExpr *ast_func_from(ParseCtx *c, Token name, int trimspec, AstExpr *x, AstExpr *y, AstExpr *z, Token rp)
{
    AstExpr *e = new_expr(c, AX_FUNC, name.pos);
    e->name = ast_ident(c, name);
    e->end = rp.pos + rp.n;
    bool is_trim = strcasecmp(e->name, "TRIM") == 0;
    bool is_sub = strcasecmp(e->name, "SUBSTRING") == 0 || strcasecmp(e->name, "SUBSTR") == 0;
    if (strcasecmp(e->name, "EXTRACT") == 0 && trimspec < 0 && !z) {   /* EXTRACT(unit FROM x): args (unit, x) */
        e->args = arena_alloc(c->arena, sizeof(AstExpr *) * 2);
        e->args[0] = x;
        e->args[1] = y;
        e->nargs = 2;
        return seal(c, e);
    }
    if (!is_trim && !is_sub) {
        diag_error(c->diag, DIAG_SYNTAX, name.pos, "only SUBSTRING, TRIM and EXTRACT take FROM inside their parentheses");
        return seal(c, e);
    }
    if (is_sub && trimspec >= 0) {
        diag_error(c->diag, DIAG_SYNTAX, name.pos, "BOTH/LEADING/TRAILING belong to TRIM, not %s", e->name);
        return seal(c, e);
    }
    e->args = arena_alloc(c->arena, sizeof(AstExpr *) * 3);
    if (is_trim) {
        /* TRIM([spec] [chars] FROM s) → args (s, chars) */
        if (z) {
            diag_error(c->diag, DIAG_SYNTAX, name.pos, "TRIM takes no FOR clause");
            return seal(c, e);
        }
        e->flags = trimspec < 0 ? TRIM_BOTH : trimspec;
        e->args[0] = y;
        e->nargs = 1;
        if (x) e->args[e->nargs++] = x;
    } else {
        e->args[0] = x;
        e->args[1] = y;
        e->nargs = 2;
        if (z) e->args[e->nargs++] = z;
    }
    return seal(c, e);
}

AstExpr *ast_func_in(ParseCtx *c, Token name, AstExpr *x, AstExpr *y, Token rp)
{
    AstExpr *e = new_expr(c, AX_FUNC, name.pos);
    e->name = ast_ident(c, name);
    e->end = rp.pos + rp.n;
    if (strcasecmp(e->name, "POSITION") != 0) {
        diag_error(c->diag, DIAG_SYNTAX, name.pos, "only POSITION takes IN inside its parentheses (POSITION(x IN y))");
        return seal(c, e);
    }
    e->args = arena_alloc(c->arena, sizeof(AstExpr *) * 2);
    e->args[0] = x;
    e->args[1] = y;
    e->nargs = 2;
    return seal(c, e);
}

JsonClauses ast_json_merge(ParseCtx *c, JsonClauses a, JsonClauses b, int at)
{
    static const int fields[] = {0xF, 0xF0, 0x300, 0xC00, JF_RETURNING};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if ((a.flags & fields[i]) && (b.flags & fields[i])) {
            diag_error(c->diag, DIAG_SYNTAX, at, "this clause is given twice");
            return a;
        }
    a.flags |= b.flags;
    if (b.def_empty) a.def_empty = b.def_empty;
    if (b.def_error) a.def_error = b.def_error;
    if (b.ret.name) a.ret = b.ret;
    return a;
}

AstExpr *ast_func_json(ParseCtx *c, Token name, PtrList *args, const JsonClauses *cl, Token rp)
{
    AstExpr *e = ast_func(c, name, false, false, args, rp);
    e->flags = cl->flags;
    e->type = cl->ret;
    if (cl->def_empty || cl->def_error) {
        if (e->nargs != 2) {
            diag_error(c->diag, DIAG_SYNTAX, name.pos, "DEFAULT … ON EMPTY / ON ERROR belongs to JSON_VALUE(json, path …)");
            return e;
        }
        AstExpr **a = arena_alloc(c->arena, sizeof(AstExpr *) * 4);
        a[0] = e->args[0];
        a[1] = e->args[1];
        for (int i = 0; i < 2; i++) {
            AstExpr *d = i ? cl->def_error : cl->def_empty;
            if (!d) {
                d = new_expr(c, AX_LITERAL, name.pos);
                d->lit = LIT_NULL;
                d->text = "NULL";
                d = seal(c, d);
            }
            a[2 + i] = d;
        }
        e->args = a;
        e->nargs = 4;
    }
    return e;
}

AstExpr *ast_case(ParseCtx *c, Token t, AstExpr *operand, PtrList *whens, AstExpr *els, Token end)
{
    AstExpr *e = new_expr(c, AX_CASE, t.pos);
    e->a = operand;
    e->args = (AstExpr **)whens->v;
    e->nargs = whens->n;
    e->b = els;
    e->end = end.pos + end.n;
    return seal(c, e);
}

AstExpr *ast_cast(ParseCtx *c, Token t, bool try_, AstExpr *a, AstType type, Token rp)
{
    AstExpr *e = new_expr(c, AX_CAST, t.pos);
    e->a = a;
    e->try_ = try_;
    e->type = type;
    e->end = rp.pos + rp.n;
    (void)c;
    return seal(c, e);
}

AstExpr *ast_paren(ParseCtx *c, Token lp, AstExpr *e, Token rp)
{
    (void)c;
    (void)lp;
    e->end = rp.pos + rp.n;
    if (e->kind == AX_COLUMN) e->flags = 1;   /* `(x).y` is a field of x, not column y of table x */
    return e;
}

static int token_int(ParseCtx *c, Token t)
{
    char buf[32];
    if (t.n >= (int)sizeof buf) {
        diag_error(c->diag, DIAG_SYNTAX, t.pos, "number too large: %.*s", t.n, t.z);
        return 0;
    }
    memcpy(buf, t.z, (size_t)t.n);
    buf[t.n] = 0;
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end || v > 1000000000L) {
        diag_error(c->diag, DIAG_SYNTAX, t.pos, "expected a small integer, got %s", buf);
        return 0;
    }
    return (int)v;
}

AstType ast_type(ParseCtx *c, Token name, int nparams, Token *p1, Token *p2)
{
    AstType t = {0};
    t.name = arena_strndup(c->arena, name.z, (size_t)name.n);
    t.pos = name.pos;
    t.nparams = nparams;
    if (p1) t.p1 = token_int(c, *p1);
    if (p2) t.p2 = token_int(c, *p2);
    return t;
}

AstType ast_type_nested(ParseCtx *c, Token kw, AstNest nest, PtrList *elems)
{
    AstType t = {0};
    t.name = nest == NEST_ROW ? "ROW" : nest == NEST_ARRAY ? "ARRAY" : "MAP";
    t.pos = kw.pos;
    t.nest = nest;
    t.nelems = elems->n;
    t.elems = arena_alloc(c->arena, sizeof(AstType) * (size_t)(elems->n ? elems->n : 1));
    for (int i = 0; i < elems->n; i++) t.elems[i] = *(AstType *)elems->v[i];
    return t;
}

AstType *ast_type_field(ParseCtx *c, Token *name, AstType t, bool not_null)
{
    AstType *f = arena_alloc(c->arena, sizeof *f);
    *f = t;
    f->not_null = not_null;
    if (name) {
        f->field = ast_ident(c, *name);
        f->field_pos = name->pos;
    }
    return f;
}

AstColumnDef *ast_coldef(ParseCtx *c, Token name, AstType type, int cons)
{
    AstColumnDef *d = arena_alloc(c->arena, sizeof *d);
    d->name = ast_ident(c, name);
    d->pos = name.pos;
    d->type = type;
    d->not_null = (cons & CONS_NOT_NULL) != 0;
    d->pk = (cons & CONS_PK) != 0;
    d->pk_enforced = d->pk && (cons & CONS_NOT_ENFORCED) == 0;
    d->pk_pos = cons >> 8;
    return d;
}

AstColumnDef *ast_computed(ParseCtx *c, Token name, AstExpr *e)
{
    AstColumnDef *d = arena_alloc(c->arena, sizeof *d);
    d->name = ast_ident(c, name);
    d->pos = name.pos;
    d->computed = e;
    return d;
}

AstColumnDef *ast_metacol(ParseCtx *c, Token name, AstType type, Token meta, Token *key, bool virtual_)
{
    AstColumnDef *d = arena_alloc(c->arena, sizeof *d);
    d->name = ast_ident(c, name);
    d->pos = name.pos;
    d->type = type;
    d->metadata = true;
    d->meta_key = key ? ast_string(c, *key) : NULL;
    d->meta_pos = key ? key->pos : meta.pos;
    d->virtual_ = virtual_;
    return d;
}

AstTableElem *ast_elem_col(ParseCtx *c, AstColumnDef *col)
{
    AstTableElem *t = arena_alloc(c->arena, sizeof *t);
    t->kind = TE_COLUMN;
    t->pos = col->pos;
    t->col = col;
    return t;
}

AstTableElem *ast_elem_pk(ParseCtx *c, Token t, PtrList *names, bool enforced)
{
    AstTableElem *e = arena_alloc(c->arena, sizeof *e);
    e->kind = TE_PRIMARY_KEY;
    e->pos = t.pos;
    e->nnames = names->n;
    e->names = arena_alloc(c->arena, sizeof(char *) * (size_t)names->n);
    e->npos = arena_alloc(c->arena, sizeof(int) * (size_t)names->n);
    for (int i = 0; i < names->n; i++) {
        Token *tk = names->v[i];
        e->names[i] = ast_ident(c, *tk);
        e->npos[i] = tk->pos;
    }
    e->enforced = enforced;
    return e;
}

AstTableElem *ast_elem_wm(ParseCtx *c, Token t, Token col, AstExpr *ex)
{
    AstTableElem *e = arena_alloc(c->arena, sizeof *e);
    e->kind = TE_WATERMARK;
    e->pos = t.pos;
    e->wm_col = ast_ident(c, col);
    e->npos = arena_alloc(c->arena, sizeof(int));
    e->npos[0] = col.pos;
    e->wm_expr = ex;
    return e;
}

AstOption *ast_option(ParseCtx *c, Token k, Token v)
{
    AstOption *o = arena_alloc(c->arena, sizeof *o);
    o->key = ast_string(c, k);
    o->value = ast_string(c, v);
    o->pos = k.pos;
    o->vpos = v.pos;
    return o;
}

AstSelItem *ast_selitem(ParseCtx *c, AstExpr *e, Token *alias)
{
    AstSelItem *s = arena_alloc(c->arena, sizeof *s);
    s->expr = e;
    s->alias = alias ? ast_ident(c, *alias) : NULL;
    s->pos = e->pos;
    return s;
}

AstSelItem *ast_selstar(ParseCtx *c, Token t, Token *qual)
{
    AstSelItem *s = arena_alloc(c->arena, sizeof *s);
    s->star = true;
    s->star_qual = qual ? ast_ident(c, *qual) : NULL;
    s->pos = qual ? qual->pos : t.pos;
    return s;
}

AstSelect *ast_select(ParseCtx *c, Token t, bool distinct, PtrList *items, AstFrom from,
                      AstExpr *where, Token *group, PtrList *groupby, AstExpr *having, Token *limit)
{
    AstSelect *s = arena_alloc(c->arena, sizeof *s);
    s->pos = t.pos;
    s->distinct = distinct;
    s->items = (AstSelItem **)items->v;
    s->nitems = items->n;
    s->from = from;
    s->where = where;
    if (groupby) {
        s->groupby = (AstExpr **)groupby->v;
        s->ngroupby = groupby->n;
        s->groupby_pos = group ? group->pos : t.pos;
    }
    s->having = having;
    s->limit = -1;
    if (limit) {
        char buf[32];
        int n = limit->n < 31 ? limit->n : 31;
        memcpy(buf, limit->z, (size_t)n);
        buf[n] = 0;
        char *end;
        long long v = strtoll(buf, &end, 10);
        if (*end || limit->n > 18) diag_error(c->diag, DIAG_SYNTAX, limit->pos, "LIMIT must be a non-negative integer");
        s->limit = v;
    }
    return s;
}

AstFrom ast_from_table(ParseCtx *c, Token name, Token *alias)
{
    AstFrom f = {0};
    f.table = ast_ident(c, name);
    f.alias = alias ? ast_ident(c, *alias) : NULL;
    f.pos = name.pos;
    return f;
}

AstFrom ast_from_versioned(ParseCtx *c, Token name, AstExpr *as_of, Token *alias)
{
    AstFrom f = ast_from_table(c, name, alias);
    f.as_of = as_of;
    return f;
}

AstSelect *ast_union(ParseCtx *c, AstSelect *left, Token u, bool all, AstSelect *right)
{
    AstSelect *s = arena_alloc(c->arena, sizeof *s);
    s->pos = left->pos;
    /* A LIMIT after the last SELECT limits the whole UNION (SQL's rule):
     * the grammar parsed it into that SELECT, it moves up here.  Left
     * recursion moves it again at each outer UNION, so one left on an
     * inner union was written before another UNION (the binder rejects it). */
    s->limit = right->limit;
    right->limit = -1;
    s->union_left = left;
    s->union_right = right;
    s->union_all = all;
    s->union_pos = u.pos;
    return s;
}

AstFrom ast_from_window(ParseCtx *c, Token fn, PtrList *args, Token *alias)
{
    AstFrom f = {0};
    f.winfn = ast_ident(c, fn);
    f.winargs = (AstWinArg **)args->v;
    f.nwinargs = args->n;
    f.alias = alias ? ast_ident(c, *alias) : NULL;
    f.pos = fn.pos;
    return f;
}

AstWinArg *ast_winarg_table(ParseCtx *c, Token kw, Token table, PtrList *partition)
{
    AstWinArg *a = arena_alloc(c->arena, sizeof *a);
    a->pos = kw.pos;
    a->table = ast_ident(c, table);
    if (partition) {
        a->partition = (AstExpr **)partition->v;
        a->npartition = partition->n;
    }
    return a;
}

AstWinArg *ast_winarg_expr(ParseCtx *c, AstExpr *x)
{
    AstWinArg *a = arena_alloc(c->arena, sizeof *a);
    a->pos = x->pos;
    a->expr = x;
    return a;
}

AstWinArg *ast_winarg_named(ParseCtx *c, Token name, AstWinArg *a)
{
    a->name = ast_ident(c, name);
    a->pos = name.pos;
    return a;
}

AstFrom ast_from_sub(ParseCtx *c, Token lp, AstSelect *sub, Token *alias)
{
    AstFrom f = {0};
    f.sub = sub;
    f.alias = alias ? ast_ident(c, *alias) : NULL;
    f.pos = lp.pos;
    return f;
}

AstFrom ast_from_unnest(ParseCtx *c, Token kw, AstExpr *e, Token *alias)
{
    AstFrom f = {0};
    f.unnest = e;
    f.alias = alias ? ast_ident(c, *alias) : NULL;
    f.pos = kw.pos;
    return f;
}

AstFrom ast_from_join(ParseCtx *c, AstFrom left, AstJoinType type, Token tok, bool comma, AstFrom right, AstExpr *on, PtrList *using_)
{
    AstJoin *j = arena_alloc(c->arena, sizeof *j);
    j->type = type;
    j->comma = comma;
    j->pos = tok.pos;
    j->left = left;
    j->right = right;
    j->on = on;
    if (using_) {
        j->nusing = using_->n;
        j->using_ = arena_alloc(c->arena, sizeof(char *) * (size_t)using_->n);
        j->using_pos = arena_alloc(c->arena, sizeof(int) * (size_t)using_->n);
        for (int i = 0; i < using_->n; i++) {
            const Token *t = using_->v[i];
            j->using_[i] = ast_ident(c, *t);
            j->using_pos[i] = t->pos;
        }
    }
    AstFrom f = {0};
    f.join = j;
    f.pos = left.pos;
    return f;
}

AstStmt *ast_stmt(ParseCtx *c, AstStmtKind k, Token first)
{
    AstStmt *s = arena_alloc(c->arena, sizeof *s);
    s->kind = k;
    s->pos = first.pos;
    s->end = first.pos + first.n;
    return s;
}

void ast_finish_stmt(ParseCtx *c, AstStmt *s, int end)
{
    s->end = end;
    ptrlist_push(c->arena, &c->stmts, s);
}

void ast_list_push(ParseCtx *c, PtrList *l, void *item) { ptrlist_push(c->arena, l, item); }

AstExpr *ast_expr_copy(Arena *a, const AstExpr *e)
{
    if (!e) return NULL;
    AstExpr *n = arena_alloc(a, sizeof *n);
    *n = *e;
    n->qual = arena_strdup(a, e->qual);
    n->name = arena_strdup(a, e->name);
    n->text = arena_strdup(a, e->text);
    n->type.name = arena_strdup(a, e->type.name);
    n->unit_to = arena_strdup(a, e->unit_to);
    n->a = ast_expr_copy(a, e->a);
    n->b = ast_expr_copy(a, e->b);
    n->c = ast_expr_copy(a, e->c);
    if (e->nargs) {
        n->args = arena_alloc(a, sizeof(AstExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) n->args[i] = ast_expr_copy(a, e->args[i]);
    }
    return n;
}

/* ---- WITH, VALUES, SELECT without FROM ---- */

const char **ast_names(ParseCtx *c, PtrList *toks, int **pos)
{
    const char **v = arena_alloc(c->arena, sizeof(char *) * (size_t)(toks->n ? toks->n : 1));
    int *p = arena_alloc(c->arena, sizeof(int) * (size_t)(toks->n ? toks->n : 1));
    for (int i = 0; i < toks->n; i++) {
        const Token *t = toks->v[i];
        v[i] = ast_ident(c, *t);
        p[i] = t->pos;
    }
    if (pos) *pos = p;
    return v;
}

AstCte *ast_cte(ParseCtx *c, Token name, PtrList *cols, AstSelect *q)
{
    AstCte *e = arena_alloc(c->arena, sizeof *e);
    e->name = ast_ident(c, name);
    e->pos = name.pos;
    if (cols && cols->n) {
        e->cols = ast_names(c, cols, NULL);
        e->ncols = cols->n;
    }
    e->query = q;
    return e;
}

AstSelect *ast_with(ParseCtx *c, Token with, PtrList *ctes, AstSelect *q)
{
    (void)with;
    if (q->nctes) {   /* `WITH a AS (…) WITH b AS (…) …` nests: wrap, so each list keeps its own scope */
        AstSelect *s = arena_alloc(c->arena, sizeof *s);
        *s = *q;
        q = s;
    }
    q->ctes = (AstCte **)ctes->v;
    q->nctes = ctes->n;
    return q;
}

AstSelect *ast_values(ParseCtx *c, Token kw, PtrList *rows)
{
    AstFrom f = {0};
    f.pos = kw.pos;
    f.nvalues = rows->n;
    f.values = arena_alloc(c->arena, sizeof(AstExpr **) * (size_t)rows->n);
    f.nvalcols = ((PtrList *)rows->v[0])->n;
    for (int i = 0; i < rows->n; i++) {
        PtrList *r = rows->v[i];
        if (r->n != f.nvalcols) {
            const AstExpr *x = r->v[0];
            diag_error(c->diag, DIAG_SYNTAX, x->pos, "VALUES row %d has %d value%s but the first row has %d", i + 1, r->n,
                       r->n == 1 ? "" : "s", f.nvalcols);
        }
        f.values[i] = (AstExpr **)r->v;
    }
    PtrList items = {0};
    ast_list_push(c, &items, ast_selstar(c, kw, NULL));
    return ast_select(c, kw, false, &items, f, NULL, NULL, NULL, NULL, NULL);
}

AstSelect *ast_select_nofrom(ParseCtx *c, Token t, bool distinct, PtrList *items, AstExpr *where)
{
    AstFrom f = {0};
    f.pos = t.pos;
    f.nvalues = 1;
    f.values = arena_alloc(c->arena, sizeof(AstExpr **));
    return ast_select(c, t, distinct, items, f, where, NULL, NULL, NULL, NULL);
}

void ast_from_colnames(ParseCtx *c, AstFrom *f, PtrList *names)
{
    f->colnames = ast_names(c, names, NULL);
    f->ncolnames = names->n;
    f->colnames_pos = names->n ? ((const Token *)names->v[0])->pos : f->pos;
}

AstOption *ast_option_key(ParseCtx *c, Token k)
{
    AstOption *o = arena_alloc(c->arena, sizeof *o);
    o->key = ast_string(c, k);
    o->pos = o->vpos = k.pos;
    return o;
}

int ast_like_opt(ParseCtx *c, int bits, const Token *two)
{
    static const char *const strategies[] = {"INCLUDING", "EXCLUDING", "OVERWRITING"};
    static const struct { const char *name; int bit; } features[] = {
        {"ALL", LIKE_EXCL_ALL},           {"OPTIONS", LIKE_EXCL_OPTIONS},   {"WATERMARKS", LIKE_EXCL_WATERMARKS},
        {"CONSTRAINTS", LIKE_EXCL_CONSTRAINTS}, {"GENERATED", LIKE_EXCL_GENERATED}, {"METADATA", LIKE_EXCL_METADATA},
        {"PARTITIONS", 0},
    };
    int st = -1, ft = -1;
    for (int i = 0; i < 3; i++)
        if ((size_t)two[0].n == strlen(strategies[i]) && strncasecmp(two[0].z, strategies[i], (size_t)two[0].n) == 0) st = i;
    for (int i = 0; i < 7; i++)
        if ((size_t)two[1].n == strlen(features[i].name) && strncasecmp(two[1].z, features[i].name, (size_t)two[1].n) == 0) ft = i;
    if (st < 0) {
        diag_error(c->diag, DIAG_SYNTAX, two[0].pos, "LIKE option must start with INCLUDING, EXCLUDING or OVERWRITING, not \"%.*s\"",
                   two[0].n, two[0].z);
        return bits;
    }
    if (ft < 0) {
        diag_error(c->diag, DIAG_SYNTAX, two[1].pos,
                   "unknown LIKE option \"%.*s\" (ALL, OPTIONS, WATERMARKS, CONSTRAINTS, GENERATED, METADATA, PARTITIONS)", two[1].n, two[1].z);
        return bits;
    }
    int bit = features[ft].bit;
    if (st == 2 && (ft == 3 || ft == 6)) {
        diag_error(c->diag, DIAG_SYNTAX, two[0].pos, "OVERWRITING does not apply to %s (INCLUDING or EXCLUDING)", features[ft].name);
        return bits;
    }
    if (st == 1) return bits | bit;
    bits &= ~bit;
    if (st == 0) return bits | (bit << LIKE_STRICT_SHIFT);
    return bits & ~(bit << LIKE_STRICT_SHIFT);
}
