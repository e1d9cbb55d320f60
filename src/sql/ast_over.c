/*
 * ast_over.c — the grammar's builders for window functions: `f(…) OVER
 * (PARTITION BY … ORDER BY … [ROWS|RANGE …])`, `OVER w` and the WINDOW
 * clause.  Syntax only, as in ast.c: that `f` is a ranking function or an
 * aggregate, and what the bounds mean, is the binder's (bind_over.c).
 */
#include "ast.h"
#include "diag.h"

#include <string.h>

AstExpr *ast_over(ParseCtx *c, AstExpr *call, Token over, AstWindowDef *w, Token last)
{
    if (call->kind != AX_FUNC || call->over) {
        diag_error(c->diag, DIAG_SYNTAX, over.pos, "OVER must follow a function call, as in ROW_NUMBER() OVER (…)");
        return call;
    }
    call->over = w;
    call->end = last.pos + last.n;
    return call;
}

AstWindowDef *ast_windef(ParseCtx *c, Token at, Token *ref, PtrList *partition, PtrList *order, AstFrame *frame)
{
    AstWindowDef *w = arena_alloc(c->arena, sizeof *w);
    w->pos = at.pos;
    if (ref) {
        w->ref = ast_ident(c, *ref);
        w->ref_pos = ref->pos;
    }
    if (partition) {
        w->partition = (AstExpr **)partition->v;
        w->npartition = partition->n;
    }
    if (order) {
        w->order = (AstOrderItem **)order->v;
        w->norder = order->n;
        if (!ref && !partition->n && order->n) w->pos = w->order[0]->pos;
    }
    w->frame = frame;
    return w;
}

void ast_windef_name(ParseCtx *c, AstWindowDef *w, Token name)
{
    w->name = ast_ident(c, name);
    w->pos = name.pos;
}

AstOrderItem *ast_order_item(ParseCtx *c, AstExpr *x, int desc, int nulls)
{
    AstOrderItem *o = arena_alloc(c->arena, sizeof *o);
    o->expr = x;
    o->desc = desc != 0;
    o->nulls = nulls;
    o->pos = x->pos;
    return o;
}

AstFrame *ast_frame(ParseCtx *c, Token t, bool rows, AstFrameBound *lo, AstFrameBound *hi)
{
    AstFrame *f = arena_alloc(c->arena, sizeof *f);
    f->rows = rows;
    f->pos = t.pos;
    f->lo = lo;
    f->hi = hi ? hi : ast_fbound(c, t, FB_CURRENT_ROW, NULL);
    return f;
}

AstFrameBound *ast_fbound(ParseCtx *c, Token t, FrameBoundKind k, AstExpr *offset)
{
    AstFrameBound *b = arena_alloc(c->arena, sizeof *b);
    b->kind = k;
    b->offset = offset;
    b->pos = offset ? offset->pos : t.pos;
    return b;
}
