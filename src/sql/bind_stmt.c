/*
 * bind_stmt.c — the binder's part of WITH, VALUES and views, and the
 * "did you mean …?" suggestions for unknown names.
 *
 * CTEs and views are expanded where they are used: a FROM name that is a
 * CTE in scope (innermost WITH first) or a view becomes a subquery over
 * its query, bound afresh each time (so each use is planned like a
 * subquery written in its place; the planner shares the sources of
 * different statements of a statement set).  A CTE sees the CTEs written
 * before it; a view's query sees only the catalog.  VALUES rows are
 * constant expressions typed per column as a UNION of one-row queries
 * would be.  See bind.h for the contracts; the rest of the binder is
 * bind.c.
 */
#include "bind.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "func.h"

int bind_with(BindCtx *c, const AstSelect *sel, BQuery **out)
{
    const CteScope *saved = c->ctes;
    for (int i = 0; i < sel->nctes; i++) {
        for (int j = 0; j < i; j++)
            if (strcmp(sel->ctes[j]->name, sel->ctes[i]->name) == 0)
                return diag_error(c->diag, DIAG_SEMANTIC, sel->ctes[i]->pos, "WITH names '%s' twice", sel->ctes[i]->name);
        CteScope *s = arena_alloc(c->arena, sizeof *s);
        s->cte = sel->ctes[i];
        s->up = c->ctes;
        c->ctes = s;
    }
    AstSelect body = *sel;
    body.ctes = NULL;
    body.nctes = 0;
    int rc = bind_query(c, &body, out);
    c->ctes = saved;
    return rc;
}

int bind_named_item(BindCtx *c, const AstFrom *f, AstFrom *ex, const CteScope **scope, const CatView **view)
{
    const CteScope *hit = NULL;
    for (const CteScope *s = c->ctes; s && !hit; s = s->up)
        if (strcmp(s->cte->name, f->table) == 0) hit = s;
    const CatView *v = hit ? NULL : catalog_find_view(c->catalog, f->table);
    if (!hit && !v) return 0;
    memset(ex, 0, sizeof *ex);
    ex->pos = f->pos;
    ex->alias = f->alias ? f->alias : f->table;
    if (hit) {
        ex->sub = hit->cte->query;
        ex->colnames = hit->cte->cols;
        ex->ncolnames = hit->cte->ncols;
        ex->colnames_pos = f->pos;
        *scope = hit->up;
        *view = NULL;
    } else {
        ex->sub = v->query;
        ex->colnames = v->cols;
        ex->ncolnames = v->ncols;
        ex->colnames_pos = f->pos;
        *scope = NULL;
        *view = v;
    }
    return 1;
}

int bind_values(BindCtx *c, const AstFrom *f, BQuery *q)
{
    int n = f->nvalcols, nrows = f->nvalues;
    q->nvalues = nrows;
    q->values = arena_alloc(c->arena, sizeof(BExpr **) * (size_t)nrows);
    q->nin = n;
    q->in_names = arena_alloc(c->arena, sizeof(char *) * (size_t)(n ? n : 1));
    q->in_types = arena_alloc(c->arena, sizeof(Type) * (size_t)(n ? n : 1));
    for (int r = 0; r < nrows; r++) {
        q->values[r] = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) {
            BExpr *e = bind_scalar(c, f->values[r][i]);
            if (!e) return c->diag->code;
            e->type.timeattr = TA_NONE;
            q->values[r][i] = e;
            if (r == 0) {
                q->in_types[i] = e->type;
                continue;
            }
            Type t;
            if (!type_common(q->in_types[i], e->type, &t)) {
                StrBuf a = {0}, b = {0};
                type_print(&a, q->in_types[i]);
                type_print(&b, e->type);
                diag_error(c->diag, DIAG_SEMANTIC, f->values[r][i]->pos, "VALUES column %d has no common type: %s and %s", i + 1, a.s, b.s);
                sb_free(&a);
                sb_free(&b);
                return c->diag->code;
            }
            t.nullable = q->in_types[i].nullable || e->type.nullable;
            q->in_types[i] = t;
        }
    }
    for (int i = 0; i < n; i++) {
        q->in_names[i] = arena_printf(c->arena, "EXPR$%d", i);
        for (int r = 0; r < nrows; r++) {
            Type t = q->in_types[i];
            BExpr *e = bind_cast(c, q->values[r][i], t);
            e->type.nullable = t.nullable;
            q->values[r][i] = e;
        }
    }
    return 0;
}

/* Levenshtein distance, case-insensitive, capped at 64 characters. */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 64 || lb > 64) return 1 << 20;
    int row[65];
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            int v = diag + cost;
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[lb];
}

const char *bind_suggest(const char *name, const char *const *cands, int n)
{
    int len = (int)strlen(name);
    int limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;   /* a typo, not another word */
    const char *best = NULL;
    int bestd = limit + 1;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || strcmp(cands[i], name) == 0) continue;
        int d = edit_distance(name, cands[i]);
        if (d < bestd) bestd = d, best = cands[i];
    }
    return best;
}

const char *bind_table_hint(BindCtx *c, const char *name)
{
    const Catalog *cat = c->catalog;
    int n = cat->ntables + cat->nviews;
    for (const CteScope *s = c->ctes; s; s = s->up) n++;
    const char **v = arena_alloc(c->arena, sizeof(char *) * (size_t)(n ? n : 1));
    int k = 0;
    for (const CteScope *s = c->ctes; s; s = s->up) v[k++] = s->cte->name;
    for (int i = 0; i < cat->ntables; i++) v[k++] = cat->tables[i]->name;
    for (int i = 0; i < cat->nviews; i++) v[k++] = cat->views[i]->name;
    const char *best = bind_suggest(name, v, k);
    return best ? arena_printf(c->arena, " (did you mean '%s'?)", best) : "";
}

const char *bind_function_hint(BindCtx *c, const char *name)
{
    /* func.c keeps its table to itself; its documentation has one function a
     * line, the name first (as engine.c lists them). */
    StrBuf doc = {0};
    func_document(&doc);
    PtrList names = {0};
    for (char *line = doc.s; line && *line;) {
        char *next = line + strcspn(line, "\n");
        if (*next) *next++ = 0;
        line += strspn(line, " ");
        size_t w = strcspn(line, " (");
        if (w) ptrlist_push(c->arena, &names, arena_strndup(c->arena, line, w));
        line = next;
    }
    sb_free(&doc);
    const char *best = bind_suggest(name, (const char *const *)names.v, names.n);
    return best ? arena_printf(c->arena, " (did you mean '%s'?)", best) : "";
}
