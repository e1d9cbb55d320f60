/*
 * bind_over.h — the binder's window functions (bind_over.c), called from
 * bind.c's select binding: ROW_NUMBER() OVER (…) as a select item, and the
 * enclosing query's filter on it that makes it a Top-N or a
 * deduplication.  Private to the binder.
 */
#ifndef EDDY_BIND_OVER_H
#define EDDY_BIND_OVER_H

#include "bind.h"

struct Scope;

/* bind.c's expression binder for bind_over.c: x in scope sc, no
 * aggregates allowed (NULL after an error in c->diag). */
BExpr *bind_scope_expr(BindCtx *c, const struct Scope *sc, const AstExpr *x);
/* The same where an aggregate call may be (an OVER aggregate's call). */
BExpr *bind_scope_agg(BindCtx *c, const struct Scope *sc, const AstExpr *x);
/* bind_call's hook: an aggregate call with OVER, inside the select item
 * bind_over_item is binding (c->over set): the reference to its column. */
BExpr *bind_over_call(BindCtx *c, const struct Scope *sc, const AstExpr *x);

/* Does select item expression x hold a window function (f(…) OVER …)? */
bool bind_over_has(const AstExpr *x);
/* Binds select item `it` of query q, whose expression holds a window
 * function, into *out (input column q->nin for the rank number).  0 or a
 * DIAG_* code. */
int bind_over_item(BindCtx *c, const struct Scope *sc, const AstSelect *sel, BQuery *q, const AstSelItem *it, BExpr **out);
/* After q's select list and WHERE are bound: checks a ROW_NUMBER query's
 * shape, and turns q's filter on its subquery's rank number into the
 * rank range (dropping the rank column when q does not read it).  0 or a
 * DIAG_* code. */
int bind_over_query(BindCtx *c, const AstSelect *sel, BQuery *q);

#endif
