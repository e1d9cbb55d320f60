/*
 * bind.c — the binder: resolves names against the catalog and scopes,
 * infers types, and shapes aggregate queries (keys, aggregates, the
 * expressions over them).  See bind.h for the contract.
 */
#include "civil.h"
#include "bind.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind_over.h"
#include "connector.h"
#include "func.h"
#include "options.h"

/* ------------------------------------------------------------------ */
/* Scopes                                                              */

/* One name visible to an expression. */
typedef struct ScopeCol {
    const char  *name;    /* column name */
    Type         type;    /* its type */
    int          index;   /* input column index, or -1 for a computed column */
    const BExpr *expr;    /* computed column: its expression over the input */
    const char  *qual;    /* in a join's scope: the FROM item it comes from (NULL: Scope.qual, or none) */
    bool         hidden;  /* a USING column of one side: reached qualified only, not by * (the merged one stands for it) */
} ScopeCol;

/* The names a query's expressions see: one FROM item's columns, or a
 * join's (each column with its item's qualifier, in FROM order). */
typedef struct Scope {
    const char *qual;     /* the FROM item's alias or table name; NULL for an anonymous subquery or a join */
    ScopeCol   *cols;     /* visible columns */
    int         ncols;    /* count */
} Scope;

/* The qualifier of column i (its FROM item's alias or table name), or NULL. */
static const char *scope_qual(const Scope *sc, int i) { return sc->cols[i].qual ? sc->cols[i].qual : sc->qual; }

static bool qual_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Where aggregates may appear while binding an expression. */
typedef enum AggMode { AGG_NO_WHERE, AGG_NO_GROUPBY, AGG_NO_OTHER, AGG_ALLOW, AGG_NESTED } AggMode;

static const char *agg_forbidden[] = {
    [AGG_NO_WHERE] = "aggregate functions are not allowed in WHERE (use HAVING)",
    [AGG_NO_GROUPBY] = "aggregate functions are not allowed in GROUP BY",
    [AGG_NO_OTHER] = "aggregate functions are not allowed here",
    [AGG_NESTED] = "aggregate function calls cannot be nested",
};

/* A type for messages: nullability is noise there. */
static char *type_str(Arena *a, Type t)
{
    StrBuf b = {0};
    t.nullable = 1;
    type_print(&b, t);
    char *s = arena_strdup(a, b.s);
    sb_free(&b);
    return s;
}

static BExpr *bx_new(BindCtx *c, BExprKind k, int pos)
{
    BExpr *e = arena_alloc(c->arena, sizeof *e);
    e->kind = k;
    e->pos = pos;
    return e;
}

static BExpr *bx_col(BindCtx *c, int col, Type t, int pos)
{
    BExpr *e = bx_new(c, BX_COL, pos);
    e->col = col;
    e->type = t;
    return e;
}

/* ------------------------------------------------------------------ */

/* 'YYYY-MM-DD[ HH:MM:SS[.fff]]' → epoch ms (want_time) or days. */
static bool parse_datetime(const char *s, bool want_time, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
    const char *p = s + n;
    int64_t ms = 0;
    if (want_time && (*p == ' ' || *p == 'T')) {
        int m2 = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &m2) != 3) return false;
        if (h > 23 || mi > 59 || se > 59) return false;
        p += 1 + m2;
        if (*p == '.') {
            p++;
            int digits = 0;
            int64_t frac = 0;
            while (isdigit((unsigned char)*p)) {
                if (digits < 3) frac = frac * 10 + (*p - '0');
                digits++;
                p++;
            }
            if (!digits) return false;
            for (; digits < 3; digits++) frac *= 10;
            ms = frac;
        }
    }
    if (*p) return false;
    int64_t days = civil_to_days(y, mo, d);
    *out = want_time ? days * 86400000 + (int64_t)h * 3600000 + mi * 60000 + se * 1000 + ms : days;
    return true;
}

/* ---- INTERVAL literals (day-time, as Flink/Calcite write them) ---- */

enum { IU_DAY, IU_HOUR, IU_MINUTE, IU_SECOND, IU_MILLISECOND, IU_YEAR_MONTH, IU_NONE };

/* A unit name, singular or plural, any case. */
static int interval_unit(const char *name)
{
    static const struct { const char *one, *many; int unit; } units[] = {
        {"DAY", "DAYS", IU_DAY},          {"HOUR", "HOURS", IU_HOUR},       {"MINUTE", "MINUTES", IU_MINUTE},
        {"SECOND", "SECONDS", IU_SECOND}, {"MILLISECOND", "MILLISECONDS", IU_MILLISECOND},
        {"YEAR", "YEARS", IU_YEAR_MONTH}, {"MONTH", "MONTHS", IU_YEAR_MONTH},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(name, units[i].one) == 0 || strcasecmp(name, units[i].many) == 0) return units[i].unit;
    return IU_NONE;
}

/* Reads the digits of one field; false if there are none or too many. */
static bool interval_digits(const char **p, int maxdigits, int64_t *out)
{
    const char *s = *p;
    int64_t v = 0;
    int n = 0;
    while (isdigit((unsigned char)*s)) {
        if (++n > maxdigits) return false;
        v = v * 10 + (*s++ - '0');
    }
    if (n == 0) return false;
    *p = s;
    *out = v;
    return true;
}

/*
 * The milliseconds of `INTERVAL 'text' unit [TO unit2]`: DAY 'd', DAY TO
 * HOUR 'd h', DAY TO MINUTE 'd h:m', DAY TO SECOND 'd h:m:s[.fff]', HOUR
 * 'h', HOUR TO MINUTE 'h:m', HOUR TO SECOND 'h:m:s[.fff]', MINUTE 'm',
 * MINUTE TO SECOND 'm:s[.fff]', SECOND 's[.fff]', MILLISECOND 'n'; a sign
 * may lead; fields after the first stay within their unit (hours below
 * 24, minutes and seconds below 60); digits of a second beyond the
 * millisecond are dropped, as Flink keeps milliseconds.  Units are
 * singular or plural (MINUTES).  Year-month intervals are refused.
 */
static bool bind_interval(BindCtx *c, const AstExpr *x, int64_t *out)
{
    static const char *const unit_names[] = {"DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND"};
    static const char *const shapes[4][4] = {
        {"d", "d h", "d h:m", "d h:m:s[.fff]"}, {NULL, "h", "h:m", "h:m:s[.fff]"}, {NULL, NULL, "m", "m:s[.fff]"}, {NULL, NULL, NULL, "s[.fff]"},
    };
    static const int64_t unit_ms[] = {86400000, 3600000, 60000, 1000, 1};
    static const int64_t limit[] = {0, 24, 60, 60};   /* a field after the first stays below this */
    int from = interval_unit(x->name), to = x->unit_to ? interval_unit(x->unit_to) : from;
    if (from == IU_YEAR_MONTH || to == IU_YEAR_MONTH) {
        diag_error(c->diag, DIAG_SEMANTIC, from == IU_YEAR_MONTH ? x->flags : x->unit_to_pos,
                   "a year-month interval (YEAR, MONTH) is supported only added to or subtracted from a date or time "
                   "(ts + INTERVAL '1' MONTH); here use DAY, HOUR, MINUTE, SECOND or MILLISECOND");
        return false;
    }
    if (from == IU_NONE || to == IU_NONE) {
        diag_error(c->diag, DIAG_SEMANTIC, from == IU_NONE ? x->flags : x->unit_to_pos,
                   "unknown interval unit '%s' (use MILLISECOND, SECOND, MINUTE, HOUR or DAY, singular or plural)",
                   from == IU_NONE ? x->name : x->unit_to);
        return false;
    }
    if (x->unit_to && (to <= from || from == IU_MILLISECOND || to == IU_MILLISECOND)) {
        diag_error(c->diag, DIAG_SEMANTIC, x->unit_to_pos,
                   "INTERVAL %s TO %s is not an interval qualifier (DAY TO HOUR|MINUTE|SECOND, HOUR TO MINUTE|SECOND, MINUTE TO SECOND)",
                   unit_names[from], unit_names[to]);
        return false;
    }
    const char *shape = from == IU_MILLISECOND ? "n" : shapes[from][to];
    char qual[40];
    if (x->unit_to) snprintf(qual, sizeof qual, "%s TO %s", unit_names[from], unit_names[to]);
    else snprintf(qual, sizeof qual, "%s", unit_names[from]);
    const char *p = x->text;
    while (*p == ' ') p++;
    bool neg = false;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    int64_t total = 0, v;
    const char *why = NULL;
    for (int u = from; u <= to && !why; u++) {
        if (u > from) {
            char sep = u == IU_HOUR ? ' ' : ':';
            if (*p != sep) {
                why = "";
                break;
            }
            while (sep == ' ' && p[1] == ' ') p++;
            p++;
        }
        if (!interval_digits(&p, u == from ? 18 : 2, &v)) {
            why = "";
            break;
        }
        if (u > from && v >= limit[u]) {
            why = u == IU_HOUR ? "hours must be below 24" : u == IU_MINUTE ? "minutes must be below 60" : "seconds must be below 60";
            break;
        }
        if (__builtin_mul_overflow(v, unit_ms[u], &v) || __builtin_add_overflow(total, v, &total)) why = "it is too large";
    }
    if (!why && to == IU_SECOND && *p == '.') {
        p++;
        int digits = 0;
        int64_t ms = 0;
        for (; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3) ms = ms * 10 + (*p - '0');
        if (digits == 0 || digits > 9) why = "";
        for (; digits < 3; digits++) ms *= 10;
        if (!why && __builtin_add_overflow(total, ms, &total)) why = "it is too large";
    }
    while (!why && *p == ' ') p++;
    if (!why && *p) why = "";
    if (why) {
        if (*why)
            diag_error(c->diag, DIAG_SEMANTIC, x->text_pos, "invalid INTERVAL %s literal '%s': %s", qual, x->text, why);
        else
            diag_error(c->diag, DIAG_SEMANTIC, x->text_pos, "invalid INTERVAL %s literal '%s' (expected '%s'%s)", qual, x->text,
                       shape, from == IU_MILLISECOND ? ", a whole number" : "");
        return false;
    }
    *out = neg ? -total : total;
    return true;
}

static BExpr *bind_literal(BindCtx *c, const AstExpr *x)
{
    BExpr *e = bx_new(c, BX_LIT, x->pos);
    switch (x->lit) {
    case LIT_NULL:
        e->type = type_make(TY_NULL, true);
        e->lit.null = true;
        break;
    case LIT_TRUE:
    case LIT_FALSE:
        e->type = type_make(TY_BOOLEAN, false);
        e->lit.i = x->lit == LIT_TRUE;
        break;
    case LIT_INT: {
        errno = 0;
        char *end;
        long long v = strtoll(x->text, &end, 10);
        if (errno || *end) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "integer literal %s is out of range for BIGINT", x->text);
            return NULL;
        }
        e->lit.i = v;
        e->type = type_make(v > INT32_MAX ? TY_BIGINT : TY_INT, false);
        break;
    }
    case LIT_DECIMAL: {
        int64_t unscaled = 0;
        int digits = 0, scale = 0;
        bool after = false, lead = true;
        for (const char *p = x->text; *p; p++) {
            if (*p == '.') { after = true; continue; }
            if (lead && *p == '0' && !after) continue;
            lead = false;
            if (digits >= 18) {
                diag_error(c->diag, DIAG_SEMANTIC, x->pos, "decimal literal %s has more than 18 digits", x->text);
                return NULL;
            }
            unscaled = unscaled * 10 + (*p - '0');
            digits++;
            if (after) scale++;
        }
        if (digits < scale) digits = scale;
        if (digits == 0) digits = 1;
        e->type = type_decimal(digits, scale, false);
        e->lit.i = unscaled;
        break;
    }
    case LIT_DOUBLE:
        e->type = type_make(TY_DOUBLE, false);
        e->lit.d = strtod(x->text, NULL);
        if (isinf(e->lit.d)) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "number %s is out of range for DOUBLE", x->text);
            return NULL;
        }
        break;
    case LIT_STRING:
        e->type = type_make(TY_STRING, false);
        e->lit.s = arena_strdup(c->arena, x->text);  /* the plan outlives the AST */
        e->lit.n = (int32_t)strlen(x->text);
        break;
    case LIT_DATE:
    case LIT_TIMESTAMP: {
        bool ts = x->lit == LIT_TIMESTAMP;
        if (!parse_datetime(x->text, ts, &e->lit.i)) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "invalid %s literal '%s' (expected '%s')", ts ? "TIMESTAMP" : "DATE",
                       x->text, ts ? "YYYY-MM-DD HH:MM:SS[.fff]" : "YYYY-MM-DD");
            return NULL;
        }
        e->type = type_make(ts ? TY_TIMESTAMP : TY_DATE, false);
        if (ts) {
            /* Flink: the precision is the number of fraction digits written */
            const char *dot = strchr(x->text, '.');
            int digits = 0;
            if (dot)
                while (isdigit((unsigned char)dot[1 + digits])) digits++;
            e->type.precision = (unsigned char)(digits > 9 ? 9 : digits);
        }
        break;
    }
    case LIT_INTERVAL:
        e->type = type_make(TY_INTERVAL, false);
        if (!bind_interval(c, x, &e->lit.i)) return NULL;
        break;
    }
    return e;
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */

static BExpr *bind_expr(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am);

static bool scope_resolves(const Scope *sc, const AstExpr *x);
static BExpr *bx_offset(BindCtx *c, const BExpr *e, int by);

/* ---- nested data: field access, subscripts, constructors ---- */

static bool type_mismatch(BindCtx *c, int pos, const char *what, Type a, Type b);
static int bind_type(Diag *d, Arena *a, const AstType *t, Type *out);

/* Field `name` (at pos) of the ROW value a. */
static BExpr *bind_field(BindCtx *c, BExpr *a, const char *name, int pos)
{
    if (a->type.kind != TY_ROW) {
        diag_error(c->diag, DIAG_SEMANTIC, pos, "cannot access field '%s' of a value of type %s (only a ROW has fields)", name,
                   type_str(c->arena, a->type));
        return NULL;
    }
    int f = type_field(a->type, name);
    if (f < 0) {
        diag_error(c->diag, DIAG_SEMANTIC, pos, "unknown field '%s' in %s", name, type_str(c->arena, a->type));
        return NULL;
    }
    BExpr *e = bx_new(c, BX_FIELD, pos);
    e->a = a;
    e->flags = f;
    e->type = a->type.nest->types[f];
    e->type.nullable = e->type.nullable || a->type.nullable;
    return e;
}

static BExpr *bind_item(BindCtx *c, BExpr *a, BExpr *i, const AstExpr *x)
{
    BExpr *e = bx_new(c, BX_ITEM, x->pos);
    e->a = a;
    e->b = i;
    Type t = a->type, u;
    if (t.kind == TY_ARRAY) {
        if (!type_is_integer(i->type) && i->type.kind != TY_NULL) {
            diag_error(c->diag, DIAG_SEMANTIC, x->text_pos, "an ARRAY's index must be an integer, got %s", type_str(c->arena, i->type));
            return NULL;
        }
        e->type = t.nest->types[0];
    } else if (t.kind == TY_MAP) {
        if (!type_common(t.nest->types[0], i->type, &u)) {
            type_mismatch(c, x->text_pos, "a MAP's key", t.nest->types[0], i->type);
            return NULL;
        }
        e->type = t.nest->types[1];
    } else {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "cannot subscript a value of type %s (only an ARRAY or a MAP takes [ ])",
                   type_str(c->arena, t));
        return NULL;
    }
    e->type.nullable = 1;   /* out of range, absent key, NULL container */
    return e;
}

/* ROW(…), ARRAY[…], MAP[k, v, …]: element types as Flink infers them
 * (ROW fields EXPR$0, EXPR$1, …; ARRAY and MAP the common type of their
 * elements, keys and values). */
static BExpr *bind_ctor(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am)
{
    BExpr *e = bx_new(c, BX_CTOR, x->pos);
    e->nargs = x->nargs;
    e->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(x->nargs ? x->nargs : 1));
    for (int i = 0; i < x->nargs; i++)
        if (!(e->args[i] = bind_expr(c, sc, x->args[i], am))) return NULL;
    if (x->flags == NEST_ROW) {
        const char **names = arena_alloc(c->arena, sizeof(char *) * (size_t)x->nargs);
        Type *types = arena_alloc(c->arena, sizeof(Type) * (size_t)x->nargs);
        for (int i = 0; i < x->nargs; i++) {
            names[i] = arena_printf(c->arena, "EXPR$%d", i);
            types[i] = e->args[i]->type;
            if (types[i].kind == TY_NULL) types[i] = type_make(TY_NULL, true);
        }
        e->type = type_new_row(c->arena, x->nargs, names, types, false);
        return e;
    }
    int stride = x->flags == NEST_MAP ? 2 : 1;
    if (x->nargs % stride) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "MAP[…] takes keys and values in pairs, got %d arguments", x->nargs);
        return NULL;
    }
    Type el[2];
    for (int k = 0; k < stride; k++) {
        el[k] = e->args[k]->type;
        for (int i = k + stride; i < x->nargs; i += stride) {
            Type u;
            if (!type_common(el[k], e->args[i]->type, &u)) {
                type_mismatch(c, e->args[i]->pos, x->flags == NEST_MAP ? (k ? "MAP values have no common type" : "MAP keys have no common type")
                                                                     : "ARRAY elements have no common type",
                              el[k], e->args[i]->type);
                return NULL;
            }
            el[k] = u;
        }
        if (el[k].kind == TY_NULL) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "cannot infer the element type of %s of NULLs only (CAST one of them)",
                       x->flags == NEST_MAP ? "a MAP" : "an ARRAY");
            return NULL;
        }
        el[k].timeattr = TA_NONE;
    }
    e->type = x->flags == NEST_MAP ? type_new_map(c->arena, el[0], el[1], false) : type_new_array(c->arena, el[0], false);
    return e;
}

static BExpr *resolve_column(BindCtx *c, const Scope *sc, const AstExpr *x)
{
    if (c->outer && !scope_resolves(sc, x) && scope_resolves(c->outer, x)) {
        /* a correlated column: the enclosing query's (a subquery's WHERE, bind_subquery_preds) */
        const Scope *o = c->outer;
        c->outer = NULL;
        BExpr *e = resolve_column(c, o, x);
        c->outer = o;
        return e ? bx_offset(c, e, BIND_OUTER) : NULL;
    }
    if (x->qual) {
        bool known = false;
        for (int i = 0; i < sc->ncols && !known; i++) known = qual_eq(scope_qual(sc, i), x->qual);
        if (!known && !qual_eq(sc->qual, x->qual)) {
            /* `c.f`: field f of a ROW column c (a table alias of that name would have won) */
            AstExpr col = *x;
            col.qual = NULL;
            col.name = x->qual;
            if (scope_resolves(sc, &col)) {
                BExpr *r = resolve_column(c, sc, &col);
                return r ? bind_field(c, r, x->name, x->text_pos) : NULL;
            }
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown table or alias '%s'", x->qual);
            return NULL;
        }
    }
    const ScopeCol *hit = NULL;
    int nhits = 0, first = -1, second = -1;
    for (int i = 0; i < sc->ncols; i++) {
        const ScopeCol *col = &sc->cols[i];
        if (strcmp(col->name, x->name) != 0) continue;
        if (x->qual ? !qual_eq(scope_qual(sc, i), x->qual) : col->hidden) continue;
        if (!hit) hit = col, first = i;
        else if (second < 0) second = i;
        nhits++;
    }
    if (nhits > 1) {
        const char *qa = scope_qual(sc, first), *qb = scope_qual(sc, second);
        if (!x->qual && (qa || qb) && !qual_eq(qa, qb))
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "column '%s' is ambiguous: it is in both '%s' and '%s' (qualify it: %s.%s)", x->name,
                       qa ? qa : "(subquery)", qb ? qb : "(subquery)", qa ? qa : qb, x->name);
        else
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "column '%s' is ambiguous", x->name);
        return NULL;
    }
    if (!hit) {
        const char *near = NULL;
        for (int i = 0; i < sc->ncols && !near; i++)
            if (strcasecmp(sc->cols[i].name, x->name) == 0 && (!x->qual || qual_eq(scope_qual(sc, i), x->qual))) near = sc->cols[i].name;
        const char *q = x->qual ? x->qual : sc->qual;
        if (!near) {   /* a typo: the nearest name by edit distance */
            const char **cands = arena_alloc(c->arena, sizeof(char *) * (size_t)(sc->ncols ? sc->ncols : 1));
            int nc = 0;
            for (int i = 0; i < sc->ncols; i++)
                if ((x->qual ? qual_eq(scope_qual(sc, i), x->qual) : !sc->cols[i].hidden) && sc->cols[i].name[0] != '$') cands[nc++] = sc->cols[i].name;
            const char *best = bind_suggest(x->name, cands, nc);
            if (best) {
                diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown column '%s'%s%s%s (did you mean '%s'?)", x->name, q ? " in '" : "",
                           q ? q : "", q ? "'" : "", best);
                return NULL;
            }
        }
        if (near)
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown column '%s' (did you mean '%s'? names are case-sensitive)", x->name, near);
        else if (q)
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown column '%s' in '%s'", x->name, q);
        else
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown column '%s'", x->name);
        return NULL;
    }
    if (hit->expr) {
        BExpr *e = arena_alloc(c->arena, sizeof *e);
        *e = *hit->expr;
        e->type.timeattr = hit->type.timeattr;
        return e;
    }
    return bx_col(c, hit->index, hit->type, x->pos);
}

/* Does column reference x name a column of sc (its qualifier known, the name there)? */
static bool scope_resolves(const Scope *sc, const AstExpr *x)
{
    for (int i = 0; i < sc->ncols; i++) {
        if (strcmp(sc->cols[i].name, x->name) != 0) continue;
        if (x->qual ? qual_eq(scope_qual(sc, i), x->qual) : !sc->cols[i].hidden) return true;
    }
    return false;
}

/* A copy of e with every column reference moved by `by`. */
static BExpr *bx_offset(BindCtx *c, const BExpr *e, int by)
{
    if (!e) return NULL;
    BExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *e;
    if (e->kind == BX_COL) n->col += by;
    n->a = bx_offset(c, e->a, by);
    n->b = bx_offset(c, e->b, by);
    if (e->nargs) {
        n->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) n->args[i] = bx_offset(c, e->args[i], by);
    }
    return n;
}

static bool type_mismatch(BindCtx *c, int pos, const char *what, Type a, Type b)
{
    diag_error(c->diag, DIAG_SEMANTIC, pos, "%s: %s and %s", what, type_str(c->arena, a), type_str(c->arena, b));
    return false;
}

static bool need_boolean(BindCtx *c, const BExpr *e, const char *where)
{
    if (e->type.kind == TY_BOOLEAN || e->type.kind == TY_NULL) return true;
    diag_error(c->diag, DIAG_SEMANTIC, e->pos, "%s must be BOOLEAN, got %s", where, type_str(c->arena, e->type));
    return false;
}

static BExpr *bind_binary(BindCtx *c, const AstExpr *x, BExpr *a, BExpr *b)
{
    BExpr *e = bx_new(c, BX_OP, x->pos);
    e->op = x->op;
    e->a = a;
    e->b = b;
    bool nullable = a->type.nullable || b->type.nullable;
    Type ta = a->type, tb = b->type;
    switch (x->op) {
    case OP_AND:
    case OP_OR:
        if (!need_boolean(c, a, x->op == OP_AND ? "operand of AND" : "operand of OR")) return NULL;
        if (!need_boolean(c, b, x->op == OP_AND ? "operand of AND" : "operand of OR")) return NULL;
        e->type = type_make(TY_BOOLEAN, nullable);
        return e;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
        Type t;
        if (!type_common(ta, tb, &t) || t.kind == TY_INTERVAL) {
            type_mismatch(c, x->pos, "cannot compare", ta, tb);
            return NULL;
        }
        if (type_is_nested(t) && x->op != OP_EQ && x->op != OP_NE) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s values have no order: only = and <> compare them", type_kind_name((TypeKind)t.kind));
            return NULL;
        }
        e->type = type_make(TY_BOOLEAN, nullable);
        return e;
    }
    case OP_CONCAT:
        if ((!type_is_string(ta) && ta.kind != TY_NULL) || (!type_is_string(tb) && tb.kind != TY_NULL)) {
            type_mismatch(c, x->pos, "|| needs strings (CAST other types to STRING)", ta, tb);
            return NULL;
        }
        e->type = type_make(TY_STRING, nullable);
        return e;
    default:
        break;
    }
    /* Arithmetic. */
    if ((ta.kind == TY_TIMESTAMP || ta.kind == TY_TIMESTAMP_LTZ || ta.kind == TY_DATE) && tb.kind == TY_INTERVAL &&
        (x->op == OP_ADD || x->op == OP_SUB)) {
        e->type = ta;
        e->type.nullable = nullable;
        return e;
    }
    if (ta.kind == TY_INTERVAL && (tb.kind == TY_TIMESTAMP || tb.kind == TY_TIMESTAMP_LTZ) && x->op == OP_ADD) {
        e->type = tb;
        e->type.nullable = nullable;
        return e;
    }
    bool na = type_is_numeric(ta) || ta.kind == TY_NULL, nb = type_is_numeric(tb) || tb.kind == TY_NULL;
    if (!na || !nb) {
        type_mismatch(c, x->pos, "arithmetic needs numbers", ta, tb);
        return NULL;
    }
    Type t;
    type_common(ta, tb, &t);
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    if (t.kind == TY_DECIMAL) t = type_decimal_arith(x->op == OP_MUL ? '*' : x->op == OP_DIV ? '/' : x->op == OP_MOD ? '%' : '+',
                                                  ta.kind == TY_NULL ? t : ta, tb.kind == TY_NULL ? t : tb, nullable);
    /* Flink: an integer divided by an integer is an integer (truncated). */
    t.nullable = nullable;
    e->type = t;
    return e;
}

static BExpr *bind_call(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am)
{
    if (x->over) {
        if (c->over) return bind_over_call(c, sc, x);
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s() OVER (…) is only allowed in a select item", x->name);
        return NULL;
    }
    const FuncDef *fn = func_find(x->name);
    if (!fn) {   /* a user-defined function: the call keeps its own copy of the row (a plan outlives DROP FUNCTION) */
        const UserFunc *uf = catalog_find_function(c->catalog, x->name);
        if (uf) fn = udf_copy(c->arena, uf);
    }
    if (!fn) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unknown function '%s'%s", x->name, bind_function_hint(c, x->name));
        return NULL;
    }
    if (fn->agg && am != AGG_ALLOW) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s", agg_forbidden[am]);
        return NULL;
    }
    if (x->star && fn->id != FN_COUNT) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "only COUNT accepts *");
        return NULL;
    }
    if (x->distinct && !fn->agg) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "DISTINCT is only allowed in aggregate functions");
        return NULL;
    }
    if (x->c && !fn->agg) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "FILTER (WHERE …) is only allowed on aggregate functions; %s is not one", fn->name);
        return NULL;
    }
    int nargs = x->star ? 0 : x->nargs;
    if ((!x->star || fn->id != FN_COUNT) && (nargs < fn->minargs || (fn->maxargs >= 0 && nargs > fn->maxargs) ||
                                            (fn->id == FN_COUNT && nargs != 1))) {
        if (fn->id == FN_COUNT)
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "COUNT takes one argument or *, got %d", nargs);
        else if (fn->maxargs == fn->minargs)
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s takes %d argument%s, got %d", fn->name, fn->minargs, fn->minargs == 1 ? "" : "s", nargs);
        else if (fn->maxargs < 0)
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s takes at least %d arguments, got %d", fn->name, fn->minargs, nargs);
        else
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s takes %d to %d arguments, got %d", fn->name, fn->minargs, fn->maxargs, nargs);
        return NULL;
    }
    const char *unit_of = NULL;   /* HOUR(t), MONTH(t), …: EXTRACT(HOUR FROM t), as Flink plans them */
    if (fn->id == FN_EXTRACT && fn->maxargs == 1) {
        unit_of = strcmp(fn->name, "DAYOFMONTH") == 0 ? "DAY" : strcmp(fn->name, "DAYOFYEAR") == 0 ? "DOY"
                : strcmp(fn->name, "DAYOFWEEK") == 0 ? "DOW" : fn->name;
        fn = func_find("EXTRACT");
        nargs = 2;
    }
    BExpr *e = bx_new(c, fn->agg ? BX_AGG : BX_CALL, x->pos);
    e->fn = fn;
    e->distinct = x->distinct;
    e->flags = x->flags;
    e->nargs = nargs;
    e->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++) {
        if (unit_of) {   /* (the shortcut's unit, then its one argument) */
            if (i == 0) {
                e->args[0] = bx_new(c, BX_LIT, x->pos);
                e->args[0]->type = type_make(TY_STRING, false);
                e->args[0]->lit.s = unit_of;
                e->args[0]->lit.n = (int32_t)strlen(unit_of);
            } else if (!(e->args[1] = bind_expr(c, sc, x->args[0], am))) {
                return NULL;
            }
            continue;
        }
        if (i == 0 && (func_flags(fn) & FF_UNIT)) {   /* EXTRACT(YEAR FROM …), TIMESTAMPADD(DAY, …): the unit word */
            if (x->args[0]->kind != AX_COLUMN || x->args[0]->qual) {
                diag_error(c->diag, DIAG_SEMANTIC, x->args[0]->pos, "%s expects a time unit (YEAR, MONTH, DAY, HOUR, …) as its first argument", fn->name);
                return NULL;
            }
            e->args[0] = bx_new(c, BX_LIT, x->args[0]->pos);
            e->args[0]->type = type_make(TY_STRING, false);
            e->args[0]->lit.s = arena_strdup(c->arena, x->args[0]->name);
            e->args[0]->lit.n = (int32_t)strlen(x->args[0]->name);
            continue;
        }
        e->args[i] = bind_expr(c, sc, x->args[i], fn->agg ? AGG_NESTED : am);
        if (!e->args[i]) return NULL;
    }
    if (x->flags & JF_RETURNING) {   /* JSON_VALUE(… RETURNING t): the infer rule checks and keeps it */
        const char *why = NULL;
        if (!type_from_name(x->type.name, x->type.nparams, x->type.p1, x->type.p2, x->type.ltz, &e->type, &why)) {
            diag_error(c->diag, DIAG_SEMANTIC, x->type.pos, "unknown type '%s'%s%s", x->type.name, why ? ": " : "", why ? why : "");
            return NULL;
        }
    }
    if (!fn->infer(e, c->diag)) return NULL;
    if (fn->agg) {
        /* a = the argument, args = the constant ones after it (LISTAGG's
         * separator), b = the FILTER (WHERE …) condition */
        e->a = nargs ? e->args[0] : NULL;
        e->args = nargs > 1 ? e->args + 1 : NULL;
        e->nargs = nargs > 1 ? nargs - 1 : 0;
        if (x->c) {
            BExpr *f = bind_expr(c, sc, x->c, AGG_NESTED);
            if (!f || !need_boolean(c, f, "the FILTER condition of an aggregate")) return NULL;
            e->b = f;
        }
    }
    return e;
}

static BExpr *bind_expr1(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am);

/* An expression over a time attribute is an ordinary timestamp: only a
 * column reference keeps the mark (TimeAttr in types.h) — and a call of
 * PROCTIME() itself, which is a processing-time attribute wherever it is
 * written, as in Flink (`SELECT *, PROCTIME() AS p FROM t` gives a view a
 * column a processing-time window or lookup join can name). */
static BExpr *bind_expr(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am)
{
    BExpr *e = bind_expr1(c, sc, x, am);
    if (e && x->kind != AX_COLUMN)
        e->type.timeattr = e->kind == BX_CALL && e->fn && e->fn->id == FN_PROCTIME ? TA_PROCTIME : TA_NONE;
    return e;
}

/* Is x a year-month interval literal (INTERVAL 'n' YEAR|MONTH, INTERVAL 'y-m' YEAR TO MONTH)?  Its months. */
static bool ym_interval(BindCtx *c, const AstExpr *x, int64_t *months)
{
    if (x->kind != AX_LITERAL || x->lit != LIT_INTERVAL || interval_unit(x->name) != IU_YEAR_MONTH) return false;
    bool year = strncasecmp(x->name, "YEAR", 4) == 0;
    const char *p = x->text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    int64_t a = 0, b = 0;
    bool ok = interval_digits(&p, 9, &a);
    if (ok && x->unit_to) {
        ok = year && interval_unit(x->unit_to) == IU_YEAR_MONTH && strncasecmp(x->unit_to, "MONTH", 5) == 0 && *p == '-';
        if (ok) p++;
        ok = ok && interval_digits(&p, 2, &b) && b < 12;
    }
    if (!ok || *p) {
        diag_error(c->diag, DIAG_SEMANTIC, x->text_pos, "invalid INTERVAL %s%s%s literal '%s' (expected '%s')", year ? "YEAR" : "MONTH",
                   x->unit_to ? " TO " : "", x->unit_to ? x->unit_to : "", x->text, x->unit_to ? "y-m" : "n");
        *months = 0;
        return true;
    }
    *months = (year ? a * 12 : a) + b;
    if (neg) *months = -*months;
    return true;
}

/* `t ± INTERVAL 'n' MONTH|YEAR` and `INTERVAL … + t`: calendar arithmetic, bound as
 * TIMESTAMPADD(MONTH, ±n, t) (the day is kept, or the month's last).  NULL with
 * *handled false when x is not such an expression. */
static BExpr *bind_ym_arith(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am, bool *handled)
{
    *handled = false;
    int64_t months;
    const AstExpr *other;
    if ((x->op == OP_ADD || x->op == OP_SUB) && ym_interval(c, x->b, &months)) other = x->a;
    else if (x->op == OP_ADD && ym_interval(c, x->a, &months)) other = x->b;
    else return NULL;
    *handled = true;
    if (c->diag->code) return NULL;
    BExpr *t = bind_expr(c, sc, other, am);
    if (!t) return NULL;
    if (t->type.kind != TY_DATE && t->type.kind != TY_TIMESTAMP && t->type.kind != TY_TIMESTAMP_LTZ && t->type.kind != TY_NULL) {
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "a year-month interval is added to a DATE, TIMESTAMP or TIMESTAMP_LTZ, not %s",
                   type_str(c->arena, t->type));
        return NULL;
    }
    BExpr *e = bx_new(c, BX_CALL, x->pos);
    e->fn = func_find("TIMESTAMPADD");
    e->nargs = 3;
    e->args = arena_alloc(c->arena, sizeof(BExpr *) * 3);
    e->args[0] = bx_new(c, BX_LIT, x->pos);
    e->args[0]->type = type_make(TY_STRING, false);
    e->args[0]->lit.s = "MONTH";
    e->args[0]->lit.n = 5;
    e->args[1] = bx_new(c, BX_LIT, x->pos);
    e->args[1]->type = type_make(TY_BIGINT, false);
    e->args[1]->lit.i = x->op == OP_SUB ? -months : months;
    e->args[2] = t;
    return e->fn->infer(e, c->diag) ? e : NULL;
}

static BExpr *bind_expr1(BindCtx *c, const Scope *sc, const AstExpr *x, AggMode am)
{
    if (c->diag->code) return NULL;
    switch (x->kind) {
    case AX_LITERAL: return bind_literal(c, x);
    case AX_COLUMN: return resolve_column(c, sc, x);
    case AX_UNARY: {
        BExpr *a = bind_expr(c, sc, x->a, am);
        if (!a) return NULL;
        if (x->op == OP_NOT) {
            if (!need_boolean(c, a, "operand of NOT")) return NULL;
            BExpr *e = bx_new(c, BX_NOT, x->pos);
            e->a = a;
            e->type = type_make(TY_BOOLEAN, a->type.nullable);
            return e;
        }
        if (!type_is_numeric(a->type) && a->type.kind != TY_NULL && a->type.kind != TY_INTERVAL) {
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "unary minus needs a number, got %s", type_str(c->arena, a->type));
            return NULL;
        }
        BExpr *e = bx_new(c, BX_NEG, x->pos);
        e->a = a;
        e->type = a->type.kind == TY_NULL ? type_make(TY_INT, true) : a->type;
        return e;
    }
    case AX_BINARY: {
        bool ym;
        BExpr *r = bind_ym_arith(c, sc, x, am, &ym);   /* ts + INTERVAL '1' MONTH */
        if (ym) return r;
        BExpr *a = bind_expr(c, sc, x->a, am);
        BExpr *b = a ? bind_expr(c, sc, x->b, am) : NULL;
        return b ? bind_binary(c, x, a, b) : NULL;
    }
    case AX_IS: {
        BExpr *a = bind_expr(c, sc, x->a, am);
        if (!a) return NULL;
        if ((x->lit != LIT_NULL || x->flags) && !need_boolean(c, a, x->flags ? "operand of IS UNKNOWN" : "operand of IS TRUE/FALSE"))
            return NULL;
        BExpr *e = bx_new(c, BX_IS, x->pos);
        e->a = a;
        e->is = x->lit;
        e->negated = x->negated;
        e->type = type_make(TY_BOOLEAN, false);
        return e;
    }
    case AX_BETWEEN: {
        /* a BETWEEN lo AND hi  ≡  a >= lo AND a <= hi;  NOT BETWEEN ≡ a < lo OR a > hi */
        AstExpr ge = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_LT : OP_GE, .a = x->a, .b = x->b};
        AstExpr le = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_GT : OP_LE, .a = x->a, .b = x->c};
        AstExpr both = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_OR : OP_AND, .a = &ge, .b = &le};
        if (!x->flags) return bind_expr(c, sc, &both, am);
        /* SYMMETRIC: either order of the bounds;  NOT BETWEEN SYMMETRIC: neither */
        AstExpr ge2 = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_LT : OP_GE, .a = x->a, .b = x->c};
        AstExpr le2 = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_GT : OP_LE, .a = x->a, .b = x->b};
        AstExpr both2 = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_OR : OP_AND, .a = &ge2, .b = &le2};
        AstExpr either = {.kind = AX_BINARY, .pos = x->pos, .op = x->negated ? OP_AND : OP_OR, .a = &both, .b = &both2};
        return bind_expr(c, sc, &either, am);
    }
    case AX_IN: {
        BExpr *a = bind_expr(c, sc, x->a, am);
        if (!a) return NULL;
        BExpr *e = bx_new(c, BX_IN, x->pos);
        e->a = a;
        e->negated = x->negated;
        e->nargs = x->nargs;
        e->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)x->nargs);
        bool nullable = a->type.nullable;
        for (int i = 0; i < x->nargs; i++) {
            e->args[i] = bind_expr(c, sc, x->args[i], am);
            if (!e->args[i]) return NULL;
            Type t;
            if (!type_common(a->type, e->args[i]->type, &t)) {
                type_mismatch(c, e->args[i]->pos, "IN list value does not match the tested value's type", a->type, e->args[i]->type);
                return NULL;
            }
            nullable = nullable || e->args[i]->type.nullable;
        }
        e->type = type_make(TY_BOOLEAN, nullable);
        return e;
    }
    case AX_LIKE: {
        BExpr *a = bind_expr(c, sc, x->a, am);
        BExpr *b = a ? bind_expr(c, sc, x->b, am) : NULL;
        if (!b) return NULL;
        if ((!type_is_string(a->type) && a->type.kind != TY_NULL) || (!type_is_string(b->type) && b->type.kind != TY_NULL)) {
            type_mismatch(c, x->pos, "LIKE needs strings", a->type, b->type);
            return NULL;
        }
        BExpr *e = bx_new(c, BX_LIKE, x->pos);
        e->a = a;
        e->b = b;
        e->negated = x->negated;
        e->type = type_make(TY_BOOLEAN, a->type.nullable || b->type.nullable);
        return e;
    }
    case AX_FUNC: return bind_call(c, sc, x, am);
    case AX_IN_QUERY:
    case AX_EXISTS:
        diag_error(c->diag, DIAG_SEMANTIC, x->pos,
                   "%s is supported only as one of WHERE's conditions joined by AND (eddy runs it as a semi or anti join), "
                   "not under OR, inside another expression, in HAVING or in a select list", x->kind == AX_EXISTS ? "EXISTS (…)" : "IN (SELECT …)");
        return NULL;
    case AX_ROW:
        diag_error(c->diag, DIAG_SEMANTIC, x->pos, "a row of values (a, b, …) is supported only before IN (SELECT …)");
        return NULL;
    case AX_FIELD: {
        BExpr *a = bind_expr(c, sc, x->a, am);
        return a ? bind_field(c, a, x->name, x->text_pos) : NULL;
    }
    case AX_ITEM: {
        BExpr *a = bind_expr(c, sc, x->a, am), *i = a ? bind_expr(c, sc, x->b, am) : NULL;
        return i ? bind_item(c, a, i, x) : NULL;
    }
    case AX_CTOR: return bind_ctor(c, sc, x, am);
    case AX_CASE: {
        BExpr *e = bx_new(c, BX_CASE, x->pos);
        e->nargs = x->nargs;
        e->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)x->nargs);
        BExpr *operand = x->a ? bind_expr(c, sc, x->a, am) : NULL;
        if (x->a && !operand) return NULL;
        Type rt = type_make(TY_NULL, true);
        bool nullable = x->b == NULL;
        for (int i = 0; i < x->nargs; i += 2) {
            BExpr *w = bind_expr(c, sc, x->args[i], am);
            if (!w) return NULL;
            if (operand) {
                Type t;
                if (!type_common(operand->type, w->type, &t)) {
                    type_mismatch(c, w->pos, "CASE value does not match WHEN value", operand->type, w->type);
                    return NULL;
                }
                BExpr *eq = bx_new(c, BX_OP, w->pos);
                eq->op = OP_EQ;
                eq->a = operand;
                eq->b = w;
                eq->type = type_make(TY_BOOLEAN, operand->type.nullable || w->type.nullable);
                w = eq;
            } else if (!need_boolean(c, w, "WHEN condition")) {
                return NULL;
            }
            BExpr *t = bind_expr(c, sc, x->args[i + 1], am);
            if (!t) return NULL;
            Type u;
            if (!type_common(rt, t->type, &u)) {
                type_mismatch(c, t->pos, "CASE branches have no common type", rt, t->type);
                return NULL;
            }
            rt = u;
            nullable = nullable || t->type.nullable;
            e->args[i] = w;
            e->args[i + 1] = t;
        }
        if (x->b) {
            e->b = bind_expr(c, sc, x->b, am);
            if (!e->b) return NULL;
            Type u;
            if (!type_common(rt, e->b->type, &u)) {
                type_mismatch(c, e->b->pos, "CASE branches have no common type", rt, e->b->type);
                return NULL;
            }
            rt = u;
            nullable = nullable || e->b->type.nullable;
        }
        rt.nullable = nullable;
        e->type = rt;
        return e;
    }
    case AX_CAST: {
        BExpr *a = bind_expr(c, sc, x->a, am);
        if (!a) return NULL;
        Type t;
        const char *why;
        if (x->type.nest) {
            if (bind_type(c->diag, c->arena, &x->type, &t)) return NULL;
        } else if (!type_from_name(x->type.name, x->type.nparams, x->type.p1, x->type.p2, x->type.ltz, &t, &why)) {
            diag_error(c->diag, DIAG_SEMANTIC, x->type.pos, "%s: %s", why, x->type.name);
            return NULL;
        }
        if (!type_castable(a->type, t)) {
            bool ts = type_is_numeric(a->type) && (t.kind == TY_TIMESTAMP || t.kind == TY_TIMESTAMP_LTZ);
            diag_error(c->diag, DIAG_SEMANTIC, x->pos, "cannot cast %s to %s%s", type_str(c->arena, a->type), type_str(c->arena, t),
                       ts ? " (use TO_TIMESTAMP_LTZ(epoch, 0|3))" : "");
            return NULL;
        }
        BExpr *e = bx_new(c, BX_CAST, x->pos);
        e->a = a;
        e->try_ = x->try_;
        t.nullable = a->type.nullable || x->try_;
        e->type = t;
        return e;
    }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* CREATE TABLE                                                        */

static const struct {
    const char *key;      /* METADATA FROM key */
    TypeKind    kinds[3]; /* declared types accepted (TY_NULL ends) */
    bool        writable; /* a sink may write it */
} meta_keys[] = {
    {"timestamp", {TY_TIMESTAMP_LTZ, TY_TIMESTAMP, TY_BIGINT}, true},
    {"partition", {TY_INT, TY_BIGINT}, false},
    {"offset", {TY_BIGINT}, false},
    {"topic", {TY_STRING}, false},
    {"key", {TY_BYTES, TY_STRING}, false},
};

bool bind_is_sink_column(const CatColumn *col)
{
    return col->kind == COL_PHYSICAL || (col->kind == COL_METADATA && !col->virtual_);
}

static int bind_type(Diag *d, Arena *a, const AstType *t, Type *out)
{
    const char *why;
    if (t->nest) {
        /* ROW<…>, ARRAY<…>, MAP<…>: the element types first */
        Type *el = arena_alloc(a, sizeof(Type) * (size_t)(t->nelems ? t->nelems : 1));
        const char **names = arena_alloc(a, sizeof(char *) * (size_t)(t->nelems ? t->nelems : 1));
        for (int i = 0; i < t->nelems; i++) {
            if (bind_type(d, a, &t->elems[i], &el[i])) return -1;
            el[i].nullable = !t->elems[i].not_null;
            names[i] = t->elems[i].field;
            for (int j = 0; j < i && names[i]; j++)
                if (strcmp(names[j], names[i]) == 0)
                    return diag_error(d, DIAG_SEMANTIC, t->elems[i].field_pos, "field '%s' appears twice in the ROW", names[i]);
        }
        if (t->nest == NEST_ROW) *out = type_new_row(a, t->nelems, names, el, true);
        else if (t->nest == NEST_ARRAY) *out = type_new_array(a, el[0], true);
        else *out = type_new_map(a, el[0], el[1], true);
        return 0;
    }
    if (!type_from_name(t->name, t->nparams, t->p1, t->p2, t->ltz, out, &why)) {
        if (t->nparams == 2) return diag_error(d, DIAG_SEMANTIC, t->pos, "%s(%d, %d): %s", t->name, t->p1, t->p2, why);
        if (t->nparams == 1) return diag_error(d, DIAG_SEMANTIC, t->pos, "%s(%d): %s", t->name, t->p1, why);
        return diag_error(d, DIAG_SEMANTIC, t->pos, "%s: %s", t->name, why);
    }
    return 0;
}

int bind_create_table(const Catalog *cat, const AstStmt *s, Diag *d, CatTable **out)
{
    (void)cat;
    *out = NULL;
    CatTable *t = cattable_new(s->name);
    Arena *a = &t->arena;
    int ncols = 0;
    for (int i = 0; i < s->nelems; i++)
        if (s->elems[i]->kind == TE_COLUMN) ncols++;
    if (!ncols) {
        diag_error(d, DIAG_SEMANTIC, s->name_pos, "table '%s' has no columns", s->name);
        goto fail;
    }
    t->cols = arena_alloc(a, sizeof(CatColumn) * (size_t)ncols);
    t->pk = arena_alloc(a, sizeof(int) * (size_t)ncols);
    const AstTableElem *pk_elem = NULL, *wm_elem = NULL;
    int col_pk_pos = -1;

    /* Physical and metadata columns first: computed columns may refer to them. */
    for (int i = 0; i < s->nelems; i++) {
        const AstTableElem *e = s->elems[i];
        if (e->kind == TE_PRIMARY_KEY) {
            if (pk_elem || col_pk_pos >= 0) {
                diag_error(d, DIAG_SEMANTIC, e->pos, "table '%s' has more than one PRIMARY KEY", s->name);
                goto fail;
            }
            pk_elem = e;
            continue;
        }
        if (e->kind == TE_WATERMARK) {
            if (wm_elem) {
                diag_error(d, DIAG_SEMANTIC, e->pos, "table '%s' has more than one WATERMARK", s->name);
                goto fail;
            }
            wm_elem = e;
            continue;
        }
        const AstColumnDef *cd = e->col;
        if (cattable_column(t, cd->name) >= 0) {
            diag_error(d, DIAG_SEMANTIC, cd->pos, "column '%s' is declared twice", cd->name);
            goto fail;
        }
        CatColumn *col = &t->cols[t->ncols];
        col->name = arena_strdup(a, cd->name);
        if (cd->computed) {
            col->kind = COL_COMPUTED;
            col->expr = ast_expr_copy(a, cd->computed);
        } else {
            if (bind_type(d, a, &cd->type, &col->type)) goto fail;
            col->type.nullable = !cd->not_null;
            col->kind = cd->metadata ? COL_METADATA : COL_PHYSICAL;
        }
        if (cd->metadata) {
            const char *key = cd->meta_key ? cd->meta_key : cd->name;
            size_t k = 0;
            for (; k < sizeof meta_keys / sizeof meta_keys[0]; k++)
                if (strcmp(meta_keys[k].key, key) == 0) break;
            if (k == sizeof meta_keys / sizeof meta_keys[0]) {
                diag_error(d, DIAG_SEMANTIC, cd->meta_pos, "unknown metadata key '%s' (Kafka tables have timestamp, partition, offset, topic, key)", key);
                goto fail;
            }
            bool ok = false;
            for (int j = 0; j < 3 && meta_keys[k].kinds[j] != TY_NULL; j++) ok = ok || col->type.kind == meta_keys[k].kinds[j];
            if (!ok) {
                diag_error(d, DIAG_SEMANTIC, cd->type.pos, "metadata '%s' cannot be read as %s", key, type_str(a, col->type));
                goto fail;
            }
            col->meta_key = meta_keys[k].key;
            col->virtual_ = cd->virtual_ || !meta_keys[k].writable;
        }
        if (cd->pk) {
            if (pk_elem || col_pk_pos >= 0) {
                diag_error(d, DIAG_SEMANTIC, cd->pk_pos, "table '%s' has more than one PRIMARY KEY", s->name);
                goto fail;
            }
            if (cd->pk_enforced) {
                diag_error(d, DIAG_SEMANTIC, cd->pk_pos, "PRIMARY KEY must be declared NOT ENFORCED: eddy, like Flink, does not check it");
                goto fail;
            }
            col_pk_pos = cd->pk_pos;
            t->pk[t->npk++] = t->ncols;
        }
        t->ncols++;
    }
    if (pk_elem) {
        if (pk_elem->enforced) {
            diag_error(d, DIAG_SEMANTIC, pk_elem->pos, "PRIMARY KEY must be declared NOT ENFORCED: eddy, like Flink, does not check it");
            goto fail;
        }
        for (int i = 0; i < pk_elem->nnames; i++) {
            int ci = cattable_column(t, pk_elem->names[i]);
            if (ci < 0) {
                diag_error(d, DIAG_SEMANTIC, pk_elem->npos[i], "PRIMARY KEY column '%s' is not a column of '%s'", pk_elem->names[i], s->name);
                goto fail;
            }
            for (int j = 0; j < t->npk; j++)
                if (t->pk[j] == ci) {
                    diag_error(d, DIAG_SEMANTIC, pk_elem->npos[i], "column '%s' appears twice in the PRIMARY KEY", pk_elem->names[i]);
                    goto fail;
                }
            t->pk[t->npk++] = ci;
        }
    }
    for (int i = 0; i < t->npk; i++) {
        CatColumn *col = &t->cols[t->pk[i]];
        if (col->kind != COL_PHYSICAL) {
            diag_error(d, DIAG_SEMANTIC, s->name_pos, "PRIMARY KEY column '%s' must be a physical column", col->name);
            goto fail;
        }
        col->type.nullable = 0;   /* Flink: primary key columns are NOT NULL */
    }

    /* Computed columns: bind against the physical and metadata columns. */
    {
        Arena tmp;
        arena_init(&tmp, 1024);
        BindCtx bc = {.arena = &tmp, .catalog = cat, .diag = d};
        Scope sc = {.qual = t->name, .cols = arena_alloc(&tmp, sizeof(ScopeCol) * (size_t)t->ncols)};
        for (int i = 0; i < t->ncols; i++) {
            if (t->cols[i].kind == COL_COMPUTED) continue;
            sc.cols[sc.ncols++] = (ScopeCol){t->cols[i].name, t->cols[i].type, i, NULL, NULL, false};
        }
        for (int i = 0; i < t->ncols && !d->code; i++) {
            CatColumn *col = &t->cols[i];
            if (col->kind != COL_COMPUTED) continue;
            BExpr *e = bind_expr(&bc, &sc, col->expr, AGG_NO_OTHER);
            if (e) col->type = e->type;
            /* `pt AS PROCTIME()` is a processing-time attribute (Flink's rule: the
             * whole expression is the call); the FROM scope keeps the mark. */
            if (e && e->kind == BX_CALL && e->fn->id == FN_PROCTIME) col->type.timeattr = TA_PROCTIME;
        }
        if (!d->code && wm_elem) {
            t->wm_col = cattable_column(t, wm_elem->wm_col);
            if (t->wm_col < 0) {
                diag_error(d, DIAG_SEMANTIC, wm_elem->npos[0], "WATERMARK column '%s' is not a column of '%s'", wm_elem->wm_col, s->name);
            } else {
                Type ct = t->cols[t->wm_col].type;
                if (ct.timeattr == TA_PROCTIME) {
                    diag_error(d, DIAG_SEMANTIC, wm_elem->npos[0],
                               "WATERMARK column '%s' is a processing-time attribute (PROCTIME()); a watermark needs an event-time column",
                               wm_elem->wm_col);
                } else if ((ct.kind != TY_TIMESTAMP && ct.kind != TY_TIMESTAMP_LTZ) || ct.precision > 3) {
                    diag_error(d, DIAG_SEMANTIC, wm_elem->npos[0], "WATERMARK column '%s' must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), not %s",
                               wm_elem->wm_col, type_str(&tmp, ct));
                } else {
                    /* computed columns are visible to the watermark expression */
                    Scope all = {.qual = t->name, .cols = arena_alloc(&tmp, sizeof(ScopeCol) * (size_t)t->ncols)};
                    for (int i = 0; i < t->ncols; i++) {
                        BExpr *ce = NULL;
                        if (t->cols[i].kind == COL_COMPUTED) ce = bind_expr(&bc, &sc, t->cols[i].expr, AGG_NO_OTHER);
                        all.cols[all.ncols++] = (ScopeCol){t->cols[i].name, t->cols[i].type, ce ? -1 : i, ce, NULL, false};
                    }
                    BExpr *we = d->code ? NULL : bind_expr(&bc, &all, wm_elem->wm_expr, AGG_NO_OTHER);
                    if (we && ((we->type.kind != TY_TIMESTAMP && we->type.kind != TY_TIMESTAMP_LTZ) || we->type.precision > 3))
                        diag_error(d, DIAG_SEMANTIC, wm_elem->wm_expr->pos,
                                   "WATERMARK expression must be a TIMESTAMP(3) or TIMESTAMP_LTZ(3) value, got %s", type_str(&tmp, we->type));
                    t->wm_expr = ast_expr_copy(a, wm_elem->wm_expr);
                }
            }
        }
        arena_free(&tmp);
        if (d->code) goto fail;
    }

    /* The connector: its options, and what follows from them.  The record
     * key is the primary key unless the connector says otherwise. */
    t->keycols = arena_alloc(a, sizeof(int) * (size_t)t->ncols);
    for (int i = 0; i < t->npk; i++) t->keycols[t->nkeycols++] = t->pk[i];
    if (connector_resolve(s, t, cat ? cat->registry_url : NULL, d)) goto fail;
    for (int i = 0; i < t->nkeycols; i++) t->cols[t->keycols[i]].is_key = true;
    *out = t;
    return 0;
fail:
    cattable_free(t);
    return d->code;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

/* Replaces, in an expression over the input, every group key by a reference
 * to its key column and every aggregate by a reference to its aggregate
 * column; a column left over is one that is neither grouped nor aggregated. */
static BExpr *rewrite_over_agg(BindCtx *c, BQuery *q, BExpr *e, PtrList *aggs, const char *const *in_names)
{
    if (!e || c->diag->code) return e;
    for (int i = 0; i < q->nkeys; i++)
        if (bexpr_equal(e, q->keys[i])) return bx_col(c, i, q->keys[i]->type, e->pos);
    if (e->kind == BX_AGG) {
        for (int i = 0; i < aggs->n; i++)
            if (bexpr_equal(e, aggs->v[i])) return bx_col(c, q->nkeys + i, e->type, e->pos);
        ptrlist_push(c->arena, aggs, e);
        return bx_col(c, q->nkeys + aggs->n - 1, e->type, e->pos);
    }
    if (e->kind == BX_COL) {
        diag_error(c->diag, DIAG_SEMANTIC, e->pos, "column '%s' must appear in GROUP BY or be used in an aggregate function", in_names[e->col]);
        return NULL;
    }
    BExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *e;
    n->a = rewrite_over_agg(c, q, e->a, aggs, in_names);
    n->b = rewrite_over_agg(c, q, e->b, aggs, in_names);
    if ((e->a && !n->a) || (e->b && !n->b)) return NULL;
    if (e->nargs) {
        n->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++)
            if (!(n->args[i] = rewrite_over_agg(c, q, e->args[i], aggs, in_names))) return NULL;
    }
    return n;
}

static bool has_agg(const AstExpr *x)
{
    if (!x) return false;
    if (x->kind == AX_FUNC && !x->over) {   /* an OVER aggregate keeps the rows (bind_over.c) */
        const FuncDef *fn = func_find(x->name);
        if (fn && fn->agg) return true;
    }
    if (has_agg(x->a) || has_agg(x->b) || has_agg(x->c)) return true;
    for (int i = 0; i < x->nargs; i++)
        if (has_agg(x->args[i])) return true;
    return false;
}

static const char *expr_name(BindCtx *c, const AstSelItem *it, const BExpr *e, const Scope *sc, int idx)
{
    /* Copied: the plan outlives the statement's AST. */
    if (it->alias) return arena_strdup(c->arena, it->alias);
    if (it->expr->kind == AX_COLUMN) return arena_strdup(c->arena, it->expr->name);
    (void)e;
    (void)sc;
    return arena_printf(c->arena, "EXPR$%d", idx);
}

/* q reads the rows of sub (a FROM subquery, a UNION branch). */
static void over_query(BindCtx *c, BQuery *q, BQuery *sub)
{
    q->sub = sub;
    q->nin = sub->nout;
    q->in_names = sub->out_names;
    q->in_types = arena_alloc(c->arena, sizeof(Type) * (size_t)(sub->nout ? sub->nout : 1));
    for (int i = 0; i < sub->nout; i++) q->in_types[i] = sub->out[i]->type;
}

/* A query over sub's rows that selects every column (as `out`), with none
 * of the clauses set yet. */
static BQuery *query_over(BindCtx *c, BQuery *sub)
{
    BQuery *q = arena_alloc(c->arena, sizeof *q);
    q->pos = sub->pos;
    q->limit = -1;
    q->wm_rowtime = -1;
    q->from_pos = sub->pos;
    over_query(c, q, sub);
    q->nout = sub->nout;
    q->out_names = sub->out_names;
    q->out_pos = sub->out_pos;
    q->out = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(sub->nout ? sub->nout : 1));
    for (int i = 0; i < sub->nout; i++) q->out[i] = bx_col(c, i, sub->out[i]->type, sub->out_pos[i]);
    return q;
}

static int bind_select(BindCtx *c, const AstSelect *sel, BQuery **out);

/* A group aggregate's output columns are ordinary values: grouping by a
 * time attribute materialises it (Flink's rule). */
static void clear_time_attrs(BQuery *q)
{
    for (int i = 0; i < q->nout; i++) q->out[i]->type.timeattr = TA_NONE;
}

/* The SELECTs of a chain of UNION ALLs, left to right. */
/* A LIMIT (limit ≥ 0) on a branch of a UNION is an error at pos. */
static int refuse_branch_limit(BindCtx *c, int64_t limit, int pos)
{
    if (limit < 0) return 0;
    return diag_error(c->diag, DIAG_SEMANTIC, pos, "LIMIT is only supported on the outermost query, not on a UNION branch");
}

static int union_branches(BindCtx *c, const AstSelect *sel, PtrList *into, PtrList *pos)
{
    if (sel->union_left && sel->union_all) {
        const AstSelect *l = sel->union_left;
        if (l->union_left && refuse_branch_limit(c, l->limit, l->union_right->pos))   /* `a UNION ALL b LIMIT n UNION ALL c` */
            return c->diag->code;
        if (union_branches(c, sel->union_left, into, pos)) return c->diag->code;
        ptrlist_push(c->arena, pos, (void *)(intptr_t)sel->union_pos);
        sel = sel->union_right;
    }
    BQuery *b;
    if (bind_query(c, sel, &b) || refuse_branch_limit(c, b->limit, b->pos)) return c->diag->code;
    ptrlist_push(c->arena, into, b);
    return 0;
}

/*
 * `a UNION ALL b …`: every branch must have as many columns as the first;
 * column i's type is the common type of the branches' (Flink's least
 * restrictive type), named as in the first branch.  `a UNION b` is the
 * same followed by a grouping on every column (duplicates removed).
 */
static int bind_union(BindCtx *c, const AstSelect *sel, BQuery **out)
{
    PtrList br = {0}, pos = {0};
    if (sel->union_all) {
        if (union_branches(c, sel, &br, &pos)) return c->diag->code;
    } else {
        BQuery *l, *r;
        if (bind_query(c, sel->union_left, &l) || bind_query(c, sel->union_right, &r)) return c->diag->code;
        ptrlist_push(c->arena, &br, l);
        ptrlist_push(c->arena, &br, r);
        ptrlist_push(c->arena, &pos, (void *)(intptr_t)sel->union_pos);
        if (refuse_branch_limit(c, l->limit, l->pos) || refuse_branch_limit(c, r->limit, r->pos)) return c->diag->code;
    }
    BQuery **b = (BQuery **)br.v;
    int n = b[0]->nout;
    Type *types = arena_alloc(c->arena, sizeof(Type) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) types[i] = b[0]->out[i]->type;
    for (int k = 1; k < br.n; k++) {
        int at = (int)(intptr_t)pos.v[k - 1];
        if (b[k]->nout != n)
            return diag_error(c->diag, DIAG_SEMANTIC, at, "the queries of a UNION have different numbers of columns (%d and %d)", n, b[k]->nout);
        for (int i = 0; i < n; i++) {
            Type t, bt = b[k]->out[i]->type;
            if (!type_common(types[i], bt, &t)) {
                type_mismatch(c, at, arena_printf(c->arena, "UNION column %d ('%s') has no common type", i + 1, b[0]->out_names[i]),
                              types[i], bt);
                return c->diag->code;
            }
            t.nullable = types[i].nullable || bt.nullable;
            types[i] = t;
        }
    }
    /* A branch column of another type is CAST in the branch's select list. */
    for (int k = 0; k < br.n; k++)
        for (int i = 0; i < n; i++) {
            BExpr *e = b[k]->out[i];
            Type bt = e->type, t = types[i];
            bt.nullable = t.nullable = 0;
            if (type_equal(bt, t)) continue;
            BExpr *cast = bx_new(c, BX_CAST, e->pos);
            cast->a = e;
            cast->type = types[i];
            cast->type.nullable = e->type.nullable;
            b[k]->out[i] = cast;
        }
    BQuery *u = query_over(c, b[0]);
    u->sub = NULL;
    u->branches = b;
    u->nbranches = br.n;
    for (int i = 0; i < n; i++) u->out[i]->type = u->in_types[i] = types[i];
    if (sel->union_all) {
        u->limit = sel->limit;   /* `… UNION ALL SELECT … LIMIT n` (ast_union) */
        *out = u;
        return 0;
    }
    /* UNION: SELECT DISTINCT * over the UNION ALL. */
    BQuery *d = query_over(c, u);
    d->is_agg = true;
    d->nkeys = n;
    d->keys = d->out;
    d->out = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) d->out[i] = bx_col(c, i, types[i], u->out_pos[i]);
    d->limit = sel->limit;
    *out = d;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Windows: FROM TABLE(TUMBLE(…)) and GROUP BY TUMBLE(…) group windows  */

/* What a window over some rows is, as written (a window table function's
 * arguments, or a group window's). */
typedef struct WinReq {
    WindowKind     kind;      /* which function */
    const char    *fname;     /* its name as written, for messages */
    int            pos;       /* offset of the function */
    AstFrom        data;      /* the rows: a table (TVF) or the FROM item (group window) */
    const AstExpr *timecol;   /* the time attribute column (AX_COLUMN) */
    const AstExpr *size, *slide, *offset; /* intervals, NULL = absent (SESSION: size = the gap) */
    AstExpr      **partition; /* SESSION's PARTITION BY */
    int            npartition;/* count */
    bool           legacy;    /* a GROUP BY group window */
} WinReq;

/* The names of the three window columns: a window table function's are
 * visible; a group window's are reached through TUMBLE_START and friends. */
static const char *const win_names[2][3] = {
    {"window_start", "window_end", "window_time"},
    {"$window_start", "$window_end", "$window_time"},
};

static const char *const win_fn_names[] = {[WIN_TUMBLE] = "TUMBLE", [WIN_HOP] = "HOP", [WIN_CUMULATE] = "CUMULATE", [WIN_SESSION] = "SESSION"};

static int win_kind(const char *name)
{
    for (int k = 0; k < 4; k++)
        if (strcasecmp(name, win_fn_names[k]) == 0) return k;
    return -1;
}

/* An interval argument's value (ms): a literal, positive unless it is an offset. */
static int win_interval(BindCtx *c, const WinReq *r, const AstExpr *x, const char *what, bool offset, int64_t *out)
{
    Scope empty = {0};
    BExpr *e = bind_expr(c, &empty, x, AGG_NO_OTHER);
    if (!e) return c->diag->code;
    if (e->kind != BX_LIT || e->type.kind != TY_INTERVAL)
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "the %s of %s must be an interval literal such as INTERVAL '1' MINUTE", what, r->fname);
    if (!offset && e->lit.i <= 0) return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "the %s of %s must be positive", what, r->fname);
    *out = e->lit.i;
    return 0;
}

static void print_ms(StrBuf *b, int64_t ms)
{
    static const struct { int64_t ms; const char *unit; } u[] = {{86400000, "DAY"}, {3600000, "HOUR"}, {60000, "MINUTE"}, {1000, "SECOND"}, {1, "MILLISECOND"}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (ms % u[i].ms == 0) {
            sb_printf(b, "INTERVAL '%lld' %s", (long long)(ms / u[i].ms), u[i].unit);
            return;
        }
}

/* `SELECT item FROM data`, bound (an item of the rows a window reads). */
static BQuery *bind_over(BindCtx *c, const AstFrom *data, AstSelItem *item)
{
    AstSelItem **items = arena_alloc(c->arena, sizeof *items);
    items[0] = item;
    AstSelect *sel = arena_alloc(c->arena, sizeof *sel);
    sel->pos = data->pos;
    sel->items = items;
    sel->nitems = 1;
    sel->from = *data;
    sel->limit = -1;
    BQuery *q;
    return bind_select(c, sel, &q) ? NULL : q;
}

/* The FROM items under a join, left to right: their qualifiers into quals[]. */
static void join_quals(const AstFrom *f, PtrList *quals, Arena *a)
{
    if (f->join) {
        join_quals(&f->join->left, quals, a);
        join_quals(&f->join->right, quals, a);
        return;
    }
    const char *q = f->alias ? f->alias : f->table;
    if (q) ptrlist_push(a, quals, (void *)q);
}

/* The column of tq (`SELECT * FROM data`) that e (bound over the same
 * FROM) reads, or -1. */
static int star_col(const BQuery *tq, const BExpr *e)
{
    if (e->kind != BX_COL) return -1;
    for (int i = 0; i < tq->nout; i++)
        if (tq->out[i]->kind == BX_COL && tq->out[i]->col == e->col) return i;
    return -1;
}

/*
 * A group window over a join (GROUP BY TUMBLE(o.ts, …) FROM o JOIN p …):
 * the columns of the window's rows keep their FROM items' qualifiers, so
 * that o.ts and p.amount name them as in the join (quals[i]: column i's),
 * and *col is the time column.  0 or a DIAG_* code.
 */
static int window_join_cols(BindCtx *c, const WinReq *r, const BQuery *tq, const char **quals, int *col)
{
    PtrList items = {0};
    join_quals(&r->data, &items, c->arena);
    for (int k = 0; k < items.n; k++) {
        AstSelItem *star = arena_alloc(c->arena, sizeof *star);
        star->star = true;
        star->star_qual = items.v[k];
        star->pos = r->data.pos;
        const BQuery *sq = bind_over(c, &r->data, star);
        if (!sq) return c->diag->code;
        for (int i = 0; i < sq->nout; i++) {
            int at = star_col(tq, sq->out[i]);
            if (at >= 0 && !quals[at]) quals[at] = items.v[k];
        }
    }
    AstSelItem *it = arena_alloc(c->arena, sizeof *it);
    it->expr = (AstExpr *)r->timecol;
    it->pos = r->timecol->pos;
    const BQuery *tcq = bind_over(c, &r->data, it);
    if (!tcq) return c->diag->code;
    *col = star_col(tq, tcq->out[0]);
    if (*col < 0) return diag_error(c->diag, DIAG_SEMANTIC, r->timecol->pos, "the time attribute of %s must be a column of its rows", r->fname);
    return 0;
}

/*
 * Binds the rows a window reads (`SELECT * FROM data`) as q's input, adds
 * window_start, window_end and window_time after its columns, and fills
 * q->window.  sc becomes the scope the rest of the query sees.
 */
static int bind_window(BindCtx *c, BQuery *q, Scope *sc, const WinReq *r)
{
    AstSelItem *star = arena_alloc(c->arena, sizeof *star);
    star->star = true;
    star->pos = r->data.pos;
    AstSelItem **items = arena_alloc(c->arena, sizeof *items);
    items[0] = star;
    AstSelect *inner = arena_alloc(c->arena, sizeof *inner);
    inner->pos = r->data.pos;
    inner->items = items;
    inner->nitems = 1;
    inner->from = r->data;
    inner->limit = -1;
    BQuery *tq;
    if (bind_select(c, inner, &tq)) return c->diag->code;
    if (tq->limit >= 0) return diag_error(c->diag, DIAG_SEMANTIC, r->data.pos, "LIMIT is only supported on the outermost query");

    /* The time attribute. */
    const AstExpr *tc = r->timecol;
    const char *qual = r->data.alias ? r->data.alias : r->data.table;
    const char **quals = NULL;   /* over a join: each column's FROM item */
    int col = -1;
    if (r->data.join) {
        quals = arena_alloc(c->arena, sizeof(char *) * (size_t)(tq->nout + 3));
        if (window_join_cols(c, r, tq, quals, &col)) return c->diag->code;
    } else {
        if (tc->qual && (!qual || strcmp(tc->qual, qual) != 0))
            return diag_error(c->diag, DIAG_SEMANTIC, tc->pos, "unknown table or alias '%s'", tc->qual);
        for (int i = 0; i < tq->nout && col < 0; i++)
            if (strcmp(tq->out_names[i], tc->name) == 0) col = i;
    }
    if (col < 0) return diag_error(c->diag, DIAG_SEMANTIC, tc->pos, "unknown column '%s' in the rows of %s", tc->name, r->fname);
    Type tt = tq->out[col]->type;
    if (tt.timeattr == TA_NONE && r->data.join)
        return diag_error(c->diag, DIAG_SEMANTIC, tc->pos,
                          "%s needs a time attribute, but column '%s' of the join is a plain %s: a regular join's output has no time "
                          "attributes (as in Flink, it materialises them); window an interval join, or window each input before the join",
                          r->fname, tc->name, type_str(c->arena, tt));
    if (tt.timeattr == TA_NONE)
        return diag_error(c->diag, DIAG_SEMANTIC, tc->pos,
                          "%s needs a time attribute, but column '%s' is a plain %s: declare it with WATERMARK FOR %s AS … in its table, "
                          "or use a PROCTIME() column",
                          r->fname, tc->name, type_str(c->arena, tt), tc->name);

    WindowSpec *w = arena_alloc(c->arena, sizeof *w);
    w->kind = r->kind;
    w->timecol = col;
    w->time = (TimeAttr)tt.timeattr;
    w->ltz = tt.kind == TY_TIMESTAMP_LTZ;
    w->legacy = r->legacy;
    const char *what = r->kind == WIN_SESSION ? "gap" : "size";
    if (win_interval(c, r, r->size, what, false, &w->size)) return c->diag->code;
    w->slide = w->size;
    if (r->slide && win_interval(c, r, r->slide, r->kind == WIN_HOP ? "slide" : "step", false, &w->slide)) return c->diag->code;
    if (r->offset && win_interval(c, r, r->offset, "offset", true, &w->offset)) return c->diag->code;
    if ((r->kind == WIN_HOP || r->kind == WIN_CUMULATE) && w->size % w->slide != 0) {
        StrBuf b = {0};
        print_ms(&b, w->size);
        sb_puts(&b, " is not a whole multiple of the ");
        sb_puts(&b, r->kind == WIN_HOP ? "slide " : "step ");
        print_ms(&b, w->slide);
        diag_error(c->diag, DIAG_SEMANTIC, r->size->pos, "the size of %s must be a whole multiple of its %s: %s", r->fname,
                   r->kind == WIN_HOP ? "slide" : "step", b.s);
        sb_free(&b);
        return c->diag->code;
    }
    if (r->kind == WIN_HOP && w->size / w->slide > 100000)
        return diag_error(c->diag, DIAG_SEMANTIC, r->size->pos, "%s windows of more than 100000 slides are not supported", r->fname);

    /* The input: the rows' columns, then the three window columns. */
    over_query(c, q, tq);
    int n = tq->nout;
    const char **names = arena_alloc(c->arena, sizeof(char *) * (size_t)(n + 3));
    Type *types = arena_alloc(c->arena, sizeof(Type) * (size_t)(n + 3));
    memcpy(names, tq->out_names, sizeof(char *) * (size_t)n);
    memcpy(types, q->in_types, sizeof(Type) * (size_t)n);
    Type ws = type_make(TY_TIMESTAMP, false), wt = ws;
    if (w->ltz || w->time == TA_PROCTIME) wt = type_make(TY_TIMESTAMP_LTZ, false);
    wt.timeattr = (unsigned char)w->time;
    for (int i = 0; i < 3; i++) {
        names[n + i] = win_names[r->legacy][i];
        types[n + i] = i == 2 ? wt : ws;
    }
    q->in_names = names;
    q->in_types = types;
    q->nin = n + 3;
    q->window = w;
    q->win_pos = r->pos;
    q->late_topic = tq->table ? tq->table->conn.late_topic : NULL;

    sc->qual = qual;
    sc->cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)(n + 3));
    sc->ncols = 0;
    for (int i = 0; i < n + 3; i++) sc->cols[sc->ncols++] = (ScopeCol){names[i], types[i], i, NULL, quals && i < n ? quals[i] : NULL, false};
    if (r->npartition) {
        q->win_partition = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)r->npartition);
        for (int i = 0; i < r->npartition; i++)
            if (!(q->win_partition[i] = bind_expr(c, sc, r->partition[i], AGG_NO_OTHER))) return c->diag->code;
        q->nwin_partition = r->npartition;
    }
    return 0;
}

/* FROM TABLE(fn(args…)): the arguments, positional or named, in order. */
static int window_tvf_req(BindCtx *c, const AstFrom *f, WinReq *r)
{
    static const char *const params[4][5] = {
        [WIN_TUMBLE] = {"DATA", "TIMECOL", "SIZE", "OFFSET", NULL},
        [WIN_HOP] = {"DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"},
        [WIN_CUMULATE] = {"DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"},
        [WIN_SESSION] = {"DATA", "TIMECOL", "GAP", NULL, NULL},
    };
    static const int required[4] = {3, 4, 4, 3};
    int k = win_kind(f->winfn);
    if (k < 0)
        return diag_error(c->diag, DIAG_SEMANTIC, f->pos, "unknown window function '%s' (use TUMBLE, HOP, CUMULATE or SESSION)", f->winfn);
    memset(r, 0, sizeof *r);
    r->kind = (WindowKind)k;
    r->fname = win_fn_names[k];
    r->pos = f->pos;
    int nparams = 0;
    while (nparams < 5 && params[k][nparams]) nparams++;
    const AstWinArg *slot[5] = {0};
    bool named = false;
    for (int i = 0; i < f->nwinargs; i++) {
        const AstWinArg *a = f->winargs[i];
        int at = -1;
        if (a->name) {
            named = true;
            for (int p = 0; p < nparams && at < 0; p++)
                if (strcasecmp(a->name, params[k][p]) == 0) at = p;
            if (at < 0) {
                StrBuf b = {0};
                for (int p = 0; p < nparams; p++) sb_printf(&b, "%s%s", p ? ", " : "", params[k][p]);
                diag_error(c->diag, DIAG_SEMANTIC, a->pos, "%s has no parameter '%s' (its parameters: %s)", r->fname, a->name, b.s);
                sb_free(&b);
                return c->diag->code;
            }
        } else {
            if (named)
                return diag_error(c->diag, DIAG_SEMANTIC, a->pos, "a positional argument of %s cannot follow a named one", r->fname);
            if (i >= nparams) return diag_error(c->diag, DIAG_SEMANTIC, a->pos, "%s takes at most %d arguments", r->fname, nparams);
            at = i;
        }
        if (slot[at]) return diag_error(c->diag, DIAG_SEMANTIC, a->pos, "%s's %s is given twice", r->fname, params[k][at]);
        slot[at] = a;
    }
    for (int p = 0; p < required[k]; p++)
        if (!slot[p]) return diag_error(c->diag, DIAG_SEMANTIC, f->pos, "%s needs its %s argument", r->fname, params[k][p]);
    if (!slot[0]->table)
        return diag_error(c->diag, DIAG_SEMANTIC, slot[0]->pos, "the DATA of %s must be a table: TABLE name", r->fname);
    for (int p = 1; p < nparams; p++)
        if (slot[p] && slot[p]->table)
            return diag_error(c->diag, DIAG_SEMANTIC, slot[p]->pos, "only the DATA of %s is a table", r->fname);
    if (slot[0]->npartition && k != WIN_SESSION)
        return diag_error(c->diag, DIAG_SEMANTIC, slot[0]->partition[0]->pos, "PARTITION BY is only allowed in SESSION");
    const AstExpr *d = slot[1]->expr;
    if (d->kind != AX_FUNC || strcasecmp(d->name, "DESCRIPTOR") != 0 || d->nargs != 1 || d->args[0]->kind != AX_COLUMN)
        return diag_error(c->diag, DIAG_SEMANTIC, d->pos, "the TIMECOL of %s must be DESCRIPTOR(column)", r->fname);
    r->data.table = slot[0]->table;
    r->data.pos = slot[0]->pos;
    r->data.alias = f->alias;
    r->timecol = d->args[0];
    r->partition = slot[0]->partition;
    r->npartition = slot[0]->npartition;
    switch (r->kind) {
    case WIN_TUMBLE: r->size = slot[2]->expr; r->offset = slot[3] ? slot[3]->expr : NULL; break;
    case WIN_HOP:
    case WIN_CUMULATE: r->slide = slot[2]->expr; r->size = slot[3]->expr; r->offset = slot[4] ? slot[4]->expr : NULL; break;
    case WIN_SESSION: r->size = slot[2]->expr; break;
    }
    return 0;
}

/* The group window in a GROUP BY (TUMBLE(ts, size) and friends), or NULL. */
static const AstExpr *group_window(const AstSelect *sel, int *at)
{
    for (int i = 0; i < sel->ngroupby; i++) {
        const AstExpr *x = sel->groupby[i];
        int k;
        if (x->kind == AX_FUNC && (k = win_kind(x->name)) >= 0 && k != WIN_CUMULATE) {
            *at = i;
            return x;
        }
    }
    return NULL;
}

static AstExpr *win_column(BindCtx *c, const char *name, int pos)
{
    AstExpr *x = arena_alloc(c->arena, sizeof *x);
    x->kind = AX_COLUMN;
    x->name = name;
    x->pos = x->end = pos;
    return x;
}

/*
 * x with TUMBLE_START(…), TUMBLE_END(…), TUMBLE_ROWTIME(…) and
 * TUMBLE_PROCTIME(…) (HOP_…, SESSION_…) replaced by the window's hidden
 * columns; the window's own kind is `kind`.  NULL after an error.
 */
static AstExpr *rewrite_group_window(BindCtx *c, AstExpr *x, int kind)
{
    if (!x || c->diag->code) return x;
    if (x->kind == AX_FUNC) {
        static const char *const parts[] = {"_START", "_END", "_ROWTIME", "_PROCTIME"};
        for (int k = 0; k < 4; k++) {
            if (k == WIN_CUMULATE) continue;
            size_t fl = strlen(win_fn_names[k]);
            if (strncasecmp(x->name, win_fn_names[k], fl) != 0) continue;
            for (int p = 0; p < 4; p++) {
                if (strcasecmp(x->name + fl, parts[p]) != 0) continue;
                if (k != kind) {
                    diag_error(c->diag, DIAG_SEMANTIC, x->pos, "%s needs a %s group window in GROUP BY", x->name, win_fn_names[k]);
                    return NULL;
                }
                return win_column(c, win_names[1][p < 2 ? p : 2], x->pos);
            }
        }
    }
    AstExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *x;
    if ((x->a && !(n->a = rewrite_group_window(c, x->a, kind))) || (x->b && !(n->b = rewrite_group_window(c, x->b, kind))) ||
        (x->c && !(n->c = rewrite_group_window(c, x->c, kind))))
        return NULL;
    if (x->nargs) {
        n->args = arena_alloc(c->arena, sizeof(AstExpr *) * (size_t)x->nargs);
        for (int i = 0; i < x->nargs; i++)
            if (!(n->args[i] = rewrite_group_window(c, x->args[i], kind))) return NULL;
    }
    return n;
}

/*
 * `… GROUP BY TUMBLE(ts, INTERVAL '1' HOUR), k`: the same query over a
 * window of its FROM item, grouped by the window's start and end, with
 * TUMBLE_START(…) and friends reading the window's columns.
 */
static AstSelect *legacy_window(BindCtx *c, const AstSelect *sel, const AstExpr *gw, int at, WinReq *r)
{
    int k = win_kind(gw->name);
    memset(r, 0, sizeof *r);
    r->kind = (WindowKind)k;
    r->fname = win_fn_names[k];
    r->pos = gw->pos;
    r->legacy = true;
    r->data = sel->from;
    int want = k == WIN_HOP ? 3 : 2;
    if (gw->nargs < want || gw->nargs > want + (k != WIN_SESSION))
        return diag_error(c->diag, DIAG_SEMANTIC, gw->pos, "%s takes (time_attribute, %s%s)", r->fname,
                          k == WIN_HOP ? "slide, size" : k == WIN_SESSION ? "gap" : "size", k == WIN_SESSION ? "" : "[, offset]"),
               NULL;
    if (gw->args[0]->kind != AX_COLUMN)
        return diag_error(c->diag, DIAG_SEMANTIC, gw->args[0]->pos, "the first argument of %s must be a time attribute column", r->fname),
               NULL;
    r->timecol = gw->args[0];
    if (k == WIN_HOP) {
        r->slide = gw->args[1];
        r->size = gw->args[2];
    } else {
        r->size = gw->args[1];
    }
    if (gw->nargs > want) r->offset = gw->args[want];

    AstSelect *s = arena_alloc(c->arena, sizeof *s);
    *s = *sel;
    s->groupby = arena_alloc(c->arena, sizeof(AstExpr *) * (size_t)(sel->ngroupby + 2));
    s->ngroupby = 0;
    for (int i = 0; i < sel->ngroupby; i++) {
        if (i == at) {
            for (int w = 0; w < 3; w++) s->groupby[s->ngroupby++] = win_column(c, win_names[1][w], gw->pos);
            continue;
        }
        if (!(s->groupby[s->ngroupby++] = rewrite_group_window(c, sel->groupby[i], k))) return NULL;
    }
    s->items = arena_alloc(c->arena, sizeof(AstSelItem *) * (size_t)(sel->nitems ? sel->nitems : 1));
    for (int i = 0; i < sel->nitems; i++) {
        AstSelItem *it = arena_alloc(c->arena, sizeof *it);
        *it = *sel->items[i];
        if (it->expr && !(it->expr = rewrite_group_window(c, it->expr, k))) return NULL;
        /* TUMBLE_START(…) alone is named as any other expression */
        if (it->expr && !it->alias && it->expr->kind == AX_COLUMN && sel->items[i]->expr->kind != AX_COLUMN)
            it->alias = arena_printf(c->arena, "EXPR$%d", i);
        s->items[i] = it;
    }
    if (sel->having && !(s->having = rewrite_group_window(c, sel->having, k))) return NULL;
    return s;
}

static bool bx_reads_from(const BExpr *e, int from)
{
    if (!e) return false;
    if (e->kind == BX_COL) return e->col >= from;
    if (bx_reads_from(e->a, from) || bx_reads_from(e->b, from)) return true;
    for (int i = 0; i < e->nargs; i++)
        if (bx_reads_from(e->args[i], from)) return true;
    return false;
}

/*
 * A query over a window: what runs as a window aggregate (GROUP BY
 * window_start, window_end [, window_time] [, keys]) or a window table
 * function whose rows go on (the rest), and what cannot run.
 */
static int check_window_query(BindCtx *c, BQuery *q, const AstSelect *sel)
{
    const WindowSpec *w = q->window;
    int wcol = q->nin - 3;   /* window_start; window_end, window_time follow */
    int kws = -1, kwe = -1, kwt = -1;
    for (int i = 0; i < q->nkeys; i++) {
        const BExpr *k = q->keys[i];
        if (k->kind != BX_COL) continue;
        if (k->col == wcol) kws = i;
        if (k->col == wcol + 1) kwe = i;
        if (k->col == wcol + 2) kwt = i;
    }
    bool window_agg = q->is_agg && kws >= 0 && kwe >= 0;
    if (!window_agg) {
        /* the table function runs on its own: SESSION keys are plain columns of its rows */
        for (int p = 0; p < q->nwin_partition; p++)
            if (q->win_partition[p]->kind != BX_COL || q->win_partition[p]->col >= wcol)
                return diag_error(c->diag, DIAG_SEMANTIC, q->win_partition[p]->pos, "SESSION's PARTITION BY must name columns of its table");
        return 0;
    }
    if (q->where && bx_reads_from(q->where, wcol))
        return diag_error(c->diag, DIAG_SEMANTIC, q->where->pos,
                          "the WHERE of a window aggregate cannot read window_start, window_end or window_time (filter them in HAVING)");
    for (int i = 0; i < q->nkeys; i++)
        if (i != kws && i != kwe && i != kwt && bx_reads_from(q->keys[i], wcol))
            return diag_error(c->diag, DIAG_SEMANTIC, sel->groupby[i < sel->ngroupby ? i : 0]->pos,
                              "a window aggregate groups by window_start, window_end and window_time as plain columns only");
    for (int j = 0; j < q->naggs; j++)
        if (bx_reads_from(q->aggs[j], wcol))
            return diag_error(c->diag, DIAG_SEMANTIC, q->aggs[j]->pos, "an aggregate of a window aggregate cannot read the window's columns");
    for (int p = 0; p < q->nwin_partition; p++) {
        bool found = false;
        for (int i = 0; i < q->nkeys && !found; i++) found = bexpr_equal(q->win_partition[p], q->keys[i]);
        if (!found)
            return diag_error(c->diag, DIAG_SEMANTIC, q->win_partition[p]->pos, "the PARTITION BY keys of SESSION must also be GROUP BY keys");
    }
    /* window_time stays a time attribute (windows may be windowed again) */
    for (int i = 0; kwt >= 0 && i < q->nout; i++)
        if (q->out[i]->kind == BX_COL && q->out[i]->col == kwt) q->out[i]->type.timeattr = (unsigned char)w->time;
    return 0;
}

int bind_query(BindCtx *c, const AstSelect *sel, BQuery **out)
{
    if (sel->nctes) return bind_with(c, sel, out);
    return sel->union_left ? bind_union(c, sel, out) : bind_select(c, sel, out);
}

static int bind_select_core(BindCtx *c, const AstSelect *sel, const WinReq *req, BQuery **out);

static int bind_select(BindCtx *c, const AstSelect *sel, BQuery **out)
{
    int at;
    const AstExpr *gw = sel->from.winfn ? NULL : group_window(sel, &at);
    if (!gw) return bind_select_core(c, sel, NULL, out);
    WinReq r;
    const AstSelect *s = legacy_window(c, sel, gw, at, &r);
    return s ? bind_select_core(c, s, &r, out) : c->diag->code;
}

/* ------------------------------------------------------------------ */
/* Joins: FROM a [LEFT|RIGHT|FULL] JOIN b ON … | USING (…), FROM a, b   */

static int bind_from(BindCtx *c, const AstFrom *f, const WinReq *req, BQuery *q, Scope *sc);

/* A query with no clauses yet. */
static BQuery *query_new(BindCtx *c, int pos)
{
    BQuery *q = arena_alloc(c->arena, sizeof *q);
    q->pos = q->from_pos = pos;
    q->limit = -1;
    q->wm_rowtime = -1;
    return q;
}

/*
 * A FROM item's rows as its query's output (what a join reads of it):
 * every input column, then every computed column of its scope.  The scope
 * then names output positions, each column carrying its item's qualifier.
 */
static void item_rows(BindCtx *c, BQuery *q, Scope *sc)
{
    int n = q->nin, nexpr = 0;
    for (int i = 0; i < sc->ncols; i++) nexpr += sc->cols[i].expr != NULL;
    int cap = n + nexpr ? n + nexpr : 1;
    q->out = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)cap);
    q->out_names = arena_alloc(c->arena, sizeof(char *) * (size_t)cap);
    q->out_pos = arena_alloc(c->arena, sizeof(int) * (size_t)cap);
    for (int i = 0; i < n; i++) {
        q->out[i] = bx_col(c, i, q->in_types[i], q->from_pos);
        q->out_names[i] = q->in_names[i];
        q->out_pos[i] = q->from_pos;
    }
    q->nout = n;
    for (int i = 0; i < sc->ncols; i++) {
        ScopeCol *col = &sc->cols[i];
        if (col->expr) {
            BExpr *e = arena_alloc(c->arena, sizeof *e);
            *e = *col->expr;
            e->type = col->type;
            q->out[q->nout] = e;
            q->out_names[q->nout] = col->name;
            q->out_pos[q->nout] = q->from_pos;
            col->index = q->nout++;
            col->expr = NULL;
        } else {
            q->out[col->index]->type = col->type;   /* a time attribute keeps its mark here */
        }
        if (!col->qual) col->qual = sc->qual;
    }
    sc->qual = NULL;
}

/* Whether e reads any column, and the range it reads. */
static bool bx_col_range(const BExpr *e, int *lo, int *hi)
{
    if (!e) return false;
    bool any = false;
    if (e->kind == BX_COL) {
        if (e->col < *lo) *lo = e->col;
        if (e->col > *hi) *hi = e->col;
        return true;
    }
    any |= bx_col_range(e->a, lo, hi);
    any |= bx_col_range(e->b, lo, hi);
    for (int i = 0; i < e->nargs; i++) any |= bx_col_range(e->args[i], lo, hi);
    return any;
}

/* Does e read columns, all of them in [from, to)? */
static bool bx_reads_within(const BExpr *e, int from, int to)
{
    int lo = INT32_MAX, hi = -1;
    return bx_col_range(e, &lo, &hi) && lo >= from && hi < to;
}

/* A copy of e reading column map[c] for each column c (map[c] < 0: not possible, NULL). */
static BExpr *bx_remap(BindCtx *c, const BExpr *e, const int *map, int nmap)
{
    if (!e) return NULL;
    BExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *e;
    if (e->kind == BX_COL) {
        if (e->col < 0 || e->col >= nmap || map[e->col] < 0) return NULL;
        n->col = map[e->col];
        return n;
    }
    if ((e->a && !(n->a = bx_remap(c, e->a, map, nmap))) || (e->b && !(n->b = bx_remap(c, e->b, map, nmap)))) return NULL;
    if (e->nargs) {
        n->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++)
            if (!(n->args[i] = bx_remap(c, e->args[i], map, nmap))) return NULL;
    }
    return n;
}

/* e read at columns shifted down by `by` (a right side's own positions). */
static BExpr *bx_shift(BindCtx *c, const BExpr *e, int by, int width)
{
    int *map = arena_alloc(c->arena, sizeof(int) * (size_t)(width ? width : 1));
    for (int i = 0; i < width; i++) map[i] = i >= by ? i - by : -1;
    return bx_remap(c, e, map, width);
}

/* e cast to t, unless it has t's type already. */
static BExpr *bx_cast_to(BindCtx *c, BExpr *e, Type t)
{
    Type a = e->type, b = t;
    a.nullable = b.nullable = 0;
    a.timeattr = b.timeattr = 0;
    if (type_equal(a, b)) return e;
    BExpr *cast = bx_new(c, BX_CAST, e->pos);
    cast->a = e;
    cast->type = t;
    cast->type.nullable = e->type.nullable;
    cast->type.timeattr = 0;
    return cast;
}

/* The conjuncts of a condition (a AND b AND …), in order. */
static void conjuncts(BindCtx *c, BExpr *e, PtrList *into)
{
    if (e->kind == BX_OP && e->op == OP_AND) {
        conjuncts(c, e->a, into);
        conjuncts(c, e->b, into);
        return;
    }
    ptrlist_push(c->arena, into, e);
}

/* The AND of conditions (NULL for none). */
static BExpr *conjoin(BindCtx *c, BExpr **v, int n)
{
    BExpr *e = n ? v[0] : NULL;
    for (int i = 1; i < n; i++) {
        BExpr *a = bx_new(c, BX_OP, v[i]->pos);
        a->op = OP_AND;
        a->a = e;
        a->b = v[i];
        a->type = type_make(TY_BOOLEAN, e->type.nullable || v[i]->type.nullable);
        e = a;
    }
    return e;
}

/* Adds `l = r` (l over the join's left rows, r over its right rows) to its keys. */
static void join_add_key(BindCtx *c, BJoin *j, BExpr *l, BExpr *r)
{
    Type t;
    if (!type_common(l->type, r->type, &t)) t = l->type;   /* the binder checked the comparison */
    BExpr **lk = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(j->nkeys + 1));
    BExpr **rk = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(j->nkeys + 1));
    if (j->nkeys) {
        memcpy(lk, j->lkeys, sizeof(BExpr *) * (size_t)j->nkeys);
        memcpy(rk, j->rkeys, sizeof(BExpr *) * (size_t)j->nkeys);
    }
    lk[j->nkeys] = bx_cast_to(c, l, t);
    rk[j->nkeys] = bx_cast_to(c, r, t);
    j->lkeys = lk;
    j->rkeys = rk;
    j->nkeys++;
}

/* If e is `x = y` with x over the left side of join query q and y over
 * its right side (or the other way round), adds it to the join's keys. */
static bool join_equality(BindCtx *c, BQuery *q, const BExpr *e)
{
    int nl = q->join->left->nout;
    if (e->kind != BX_OP || e->op != OP_EQ) return false;
    const BExpr *l = e->a, *r = e->b;
    if (bx_reads_within(r, 0, nl) && bx_reads_within(l, nl, q->nin)) l = e->b, r = e->a;
    if (!bx_reads_within(l, 0, nl) || !bx_reads_within(r, nl, q->nin)) return false;
    BExpr *rk = bx_shift(c, r, nl, q->nin);
    if (!rk) return false;
    BExpr *lk = arena_alloc(c->arena, sizeof *lk);
    *lk = *l;
    join_add_key(c, q->join, lk, rk);
    return true;
}

/*
 * A WHERE conjunct over join query q's input: an equality between the two
 * sides of an inner join becomes a key of that join (so `FROM a, b WHERE
 * a.k = b.k` joins on k), looking through to a nested join on the side the
 * join keeps every row of.  Returns whether e was taken.
 */
static bool push_where_key(BindCtx *c, BQuery *q, const BExpr *e)
{
    BJoin *j = q->join;
    if (!j) return false;
    int nl = j->left->nout;
    if (j->type == JOIN_INNER && join_equality(c, q, e)) return true;
    for (int side = 0; side < 2; side++) {
        BQuery *in = side ? j->right : j->left;
        bool keeps = j->type == JOIN_INNER || j->type == (side ? JOIN_RIGHT : JOIN_LEFT);
        int from = side ? nl : 0, to = side ? q->nin : nl;
        if (!keeps || !in->join || in->is_agg || in->where || !bx_reads_within(e, from, to)) continue;
        /* through the side's output columns to its join's input */
        int *map = arena_alloc(c->arena, sizeof(int) * (size_t)(q->nin ? q->nin : 1));
        for (int i = 0; i < q->nin; i++) {
            map[i] = -1;
            if (i >= from && i < to && in->out[i - from]->kind == BX_COL) map[i] = in->out[i - from]->col;
        }
        BExpr *m = bx_remap(c, e, map, q->nin);
        if (m && push_where_key(c, in, m)) return true;
    }
    return false;
}

/* WHERE over a join: its equalities between an inner join's sides move
 * into that join's keys; the rest stays. */
static BExpr *join_where(BindCtx *c, BQuery *q, BExpr *where)
{
    PtrList cs = {0}, rest = {0};
    conjuncts(c, where, &cs);
    for (int i = 0; i < cs.n; i++)
        if (!push_where_key(c, q, cs.v[i])) ptrlist_push(c->arena, &rest, cs.v[i]);
    return conjoin(c, (BExpr **)rest.v, rest.n);
}

/* The one column of a side's scope that an unqualified USING name means. */
static int using_col(BindCtx *c, const Scope *sc, const char *name, int pos, const char *side)
{
    int at = -1;
    for (int i = 0; i < sc->ncols; i++) {
        if (sc->cols[i].hidden || strcmp(sc->cols[i].name, name) != 0) continue;
        if (at >= 0) return diag_error(c->diag, DIAG_SEMANTIC, pos, "column '%s' of USING is ambiguous in the %s side of the join", name, side), -1;
        at = i;
    }
    if (at < 0) diag_error(c->diag, DIAG_SEMANTIC, pos, "column '%s' of USING is not a column of the %s side of the join", name, side);
    return at;
}

/* A time bound's term: column `col` plus a constant interval (col,
 * col ± INTERVAL, INTERVAL + col).  False for anything else. */
static bool time_term(const BExpr *e, int *col, int64_t *off)
{
    *off = 0;
    if (e->kind == BX_OP && (e->op == OP_ADD || e->op == OP_SUB)) {
        const BExpr *a = e->a, *b = e->b;
        if (e->op == OP_ADD && a->kind == BX_LIT && a->type.kind == TY_INTERVAL) a = e->b, b = e->a;
        if (b->kind != BX_LIT || b->type.kind != TY_INTERVAL || b->lit.null || a->kind != BX_COL) return false;
        *off = e->op == OP_ADD ? b->lit.i : -b->lit.i;
        e = a;
    }
    if (e->kind != BX_COL) return false;
    *col = e->col;
    return true;
}

/*
 * Interval join (Flink's rule): conjuncts of the ON condition that compare
 * a time attribute of the left side with one of the right side, each plus
 * a constant interval, and together bound left − right from below and
 * above.  Then j becomes an interval join on them and they leave `rest`.
 * ta[i]: the time attribute kind of join input column i (before the
 * regular join's rule cleared them).  Returns 0 or a DIAG_* code.
 */
static int interval_bounds(BindCtx *c, BQuery *q, PtrList *rest, const unsigned char *ta)
{
    BJoin *j = q->join;
    int nl = j->left->nout;
    int lt = -1, rt = -1;
    bool has_lo = false, has_hi = false;
    int64_t lo = 0, hi = 0;
    bool *bound = arena_alloc(c->arena, sizeof(bool) * (size_t)(rest->n ? rest->n : 1));
    for (int i = 0; i < rest->n; i++) {
        const BExpr *e = rest->v[i];
        if (e->kind != BX_OP || (e->op != OP_LT && e->op != OP_LE && e->op != OP_GT && e->op != OP_GE)) continue;
        int ca, cb;
        int64_t oa, ob;
        if (!time_term(e->a, &ca, &oa) || !time_term(e->b, &cb, &ob)) continue;
        if (!ta[ca] || !ta[cb]) continue;
        AstOp op = e->op;
        if (ca >= nl && cb < nl) {   /* right op left: flip to left op' right */
            int t = ca; ca = cb; cb = t;
            int64_t o = oa; oa = ob; ob = o;
            op = op == OP_LT ? OP_GT : op == OP_LE ? OP_GE : op == OP_GT ? OP_LT : OP_LE;
        }
        if (!(ca < nl && cb >= nl)) continue;
        if (ta[ca] != ta[cb])
            return diag_error(c->diag, DIAG_SEMANTIC, e->pos,
                              "an interval join needs time attributes of the same kind on both sides (here one is event time, the other processing time)");
        if (ta[ca] != TA_ROWTIME)
            return diag_error(c->diag, DIAG_SEMANTIC, e->pos, "processing-time interval joins are not supported; bound event-time (rowtime) attributes");
        if (lt >= 0 && (lt != ca || rt != cb)) continue;   /* bounds of another pair of time columns stay a residual condition */
        lt = ca;
        rt = cb;
        /* l + oa op r + ob  ⇔  l − r op ob − oa */
        int64_t k = ob - oa;
        if (op == OP_GT) k += 1, op = OP_GE;
        if (op == OP_LT) k -= 1, op = OP_LE;
        if (op == OP_GE) {
            if (!has_lo || k > lo) lo = k;
            has_lo = true;
        } else {
            if (!has_hi || k < hi) hi = k;
            has_hi = true;
        }
        bound[i] = true;
    }
    if (!has_lo || !has_hi) return 0;   /* not bounded on both sides: a regular join */
    if (lo > hi)
        return diag_error(c->diag, DIAG_SEMANTIC, j->pos, "the interval join's time bounds admit no pair of rows (lower bound %lld ms is above upper bound %lld ms)",
                          (long long)lo, (long long)hi);
    j->interval = true;
    j->ltime = lt;
    j->rtime = rt - nl;
    j->lower = lo;
    j->upper = hi;
    int n = 0;
    for (int i = 0; i < rest->n; i++)
        if (!bound[i]) rest->v[n++] = rest->v[i];
    rest->n = n;
    return 0;
}

/* Is key k of join j `l = r` with l plain column lc of the left side and r column rc of the right? */
static bool key_is_cols(const BJoin *j, int k, int lc, int rc)
{
    const BExpr *l = j->lkeys[k], *r = j->rkeys[k];
    return l->kind == BX_COL && l->col == lc && r->kind == BX_COL && r->col == rc;
}

/*
 * A window join (Flink's): both sides window table functions (FROM
 * TABLE(TUMBLE(…)) items) with the same windows, joined on L.window_start
 * = R.window_start AND L.window_end = R.window_end (plus any keys).  Then
 * those two equalities leave the keys: the window join operator matches
 * rows per window.  Anything else stays a regular join.
 */
static int window_join(BindCtx *c, const AstJoin *aj, BQuery *q)
{
    BJoin *j = q->join;
    const BQuery *lq = j->left, *rq = j->right;
    if (!lq->window || !rq->window || lq->is_agg || rq->is_agg) return 0;
    int lws = lq->nin - 3, rws = rq->nin - 3;   /* a window TVF item's output is its input: window_start, window_end, window_time last */
    int ks = -1, ke = -1;
    for (int k = 0; k < j->nkeys; k++) {
        if (key_is_cols(j, k, lws, rws)) ks = k;
        if (key_is_cols(j, k, lws + 1, rws + 1)) ke = k;
    }
    if (ks < 0 || ke < 0) return 0;
    const WindowSpec *a = lq->window, *b = rq->window;
    if (a->kind == WIN_SESSION || b->kind == WIN_SESSION)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->pos, "a window join over SESSION windows is not supported (TUMBLE, HOP and CUMULATE are)");
    if (a->time != TA_ROWTIME || b->time != TA_ROWTIME)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->pos, "a window join needs event-time windows on both sides (processing-time window joins are not supported)");
    if (a->kind != b->kind || a->size != b->size || a->slide != b->slide || a->offset != b->offset || a->ltz != b->ltz)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->pos, "a window join needs the same window table function, sizes and offset on both sides");
    int n = 0;
    for (int k = 0; k < j->nkeys; k++) {
        if (k == ks || k == ke) continue;
        j->lkeys[n] = j->lkeys[k];
        j->rkeys[n] = j->rkeys[k];
        n++;
    }
    j->nkeys = n;
    j->window = true;
    j->lwin = lws;
    j->rwin = rws;
    return 0;
}

/*
 * `left JOIN right FOR SYSTEM_TIME AS OF left.t ON …`: an event-time
 * temporal join, checked as Flink checks it — the versioned table has a
 * primary key, all of it in the join's equalities, and an event-time
 * attribute; AS OF names the left side's event-time attribute; inner or
 * LEFT join.  ls: the left side's scope; ta: the join input's time
 * attribute kinds.
 */
/*
 * `left JOIN t FOR SYSTEM_TIME AS OF left.proc ON …` where t is a jdbc
 * table: a lookup join, checked as Flink checks it — AS OF names the left
 * side's processing-time attribute, and each equality compares a column of
 * the table (the look-up key) with the other side.
 */
static int lookup_join(BindCtx *c, const AstJoin *aj, BQuery *q, const Scope *ls, const unsigned char *ta)
{
    BJoin *j = q->join;
    const BQuery *rq = j->right;
    for (int i = 0; i < j->nkeys; i++) {
        const BExpr *e = j->rkeys[i]->kind == BX_CAST ? j->rkeys[i]->a : j->rkeys[i];
        if (e->kind != BX_COL || e->col >= rq->nin)
            return diag_error(c->diag, DIAG_SEMANTIC, j->rkeys[i]->pos,
                              "a lookup join's equalities must compare a column of '%s' with the other side", rq->table->name);
    }
    BExpr *at = bind_expr(c, ls, aj->right.as_of, AGG_NO_OTHER);
    if (!at) return c->diag->code;
    if (at->kind != BX_COL || ta[at->col] != TA_PROCTIME)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->right.as_of->pos,
                          "FOR SYSTEM_TIME AS OF a jdbc table (a lookup join) must name the left side's processing-time attribute "
                          "(a column declared AS PROCTIME())");
    j->lookup = true;
    j->ltime = at->col;
    return 0;
}

static int temporal_join(BindCtx *c, const AstJoin *aj, BQuery *q, const Scope *ls, const unsigned char *ta)
{
    BJoin *j = q->join;
    const BQuery *rq = j->right;
    const CatTable *t = rq->table;
    int nl = j->left->nout, pos = aj->right.as_of->pos;
    if (j->type != JOIN_INNER && j->type != JOIN_LEFT)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->pos, "a temporal join (FOR SYSTEM_TIME AS OF) is an inner or LEFT join, not %s",
                          j->type == JOIN_RIGHT ? "RIGHT" : "FULL");
    if (aj->nusing || j->nkeys == 0)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->pos, "a temporal join needs ON equalities between the versioned table's primary key and the other side");
    if (t->conn.kind == CONN_JDBC) return lookup_join(c, aj, q, ls, ta);
    if (!t->npk)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->right.pos,
                          "a temporal join needs a versioned table, but '%s' has no PRIMARY KEY (declare one, e.g. an upsert table)", t->name);
    int rt = -1;
    for (int i = 0; i < rq->nout && rt < 0; i++)
        if (ta[nl + i] == TA_ROWTIME) rt = i;
    if (rt < 0)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->right.pos,
                          "a temporal join needs a versioned table with an event-time attribute, but '%s' has no WATERMARK", t->name);
    for (int k = 0; k < t->npk; k++) {
        bool found = false;
        for (int i = 0; i < j->nkeys && !found; i++) {
            const BExpr *e = j->rkeys[i]->kind == BX_CAST ? j->rkeys[i]->a : j->rkeys[i];
            found = e->kind == BX_COL && e->col < rq->nin && rq->in_cols && rq->in_cols[e->col] == t->pk[k];
        }
        if (!found)
            return diag_error(c->diag, DIAG_SEMANTIC, aj->pos,
                              "the versioned table's primary key column '%s' must be in the temporal join's equality condition", t->cols[t->pk[k]].name);
    }
    BExpr *at = bind_expr(c, ls, aj->right.as_of, AGG_NO_OTHER);
    if (!at) return c->diag->code;
    if (at->kind != BX_COL || ta[at->col] != TA_ROWTIME)
        return diag_error(c->diag, DIAG_SEMANTIC, pos,
                          "FOR SYSTEM_TIME AS OF must name the left side's event-time attribute (a column with a WATERMARK); processing-time temporal joins are not supported");
    j->temporal = true;
    j->ltime = at->col;
    j->rtime = rt;
    return 0;
}

/*
 * `left JOIN right ON cond`: both sides become queries of their own (their
 * rows), q's input is [left's columns…, right's columns…], and sc sees every
 * column under its item's qualifier (a USING column once, unqualified, as
 * SQL merges it).  A regular join's output is no time attribute any more
 * (Flink's rule), and the side an outer join pads with NULLs is nullable.
 */
/* `left CROSS JOIN UNNEST(expr) [AS t(cols)]` (also `left, UNNEST(…)`,
 * `[LEFT] JOIN UNNEST(…) ON TRUE`): q reads left's rows, each followed by
 * one element's columns (BUnnest). */
static int bind_unnest(BindCtx *c, const AstJoin *aj, BQuery *q, Scope *sc)
{
    const AstFrom *r = &aj->right;
    BQuery *lq = query_new(c, aj->left.pos);
    Scope ls = {0};
    if (bind_from(c, &aj->left, NULL, lq, &ls)) return c->diag->code;
    item_rows(c, lq, &ls);
    bool left = aj->type == AJ_LEFT;
    if (aj->type != AJ_CROSS && aj->type != AJ_INNER && !left)
        return diag_error(c->diag, DIAG_SEMANTIC, aj->pos, "UNNEST joins as CROSS JOIN, JOIN … ON TRUE or LEFT JOIN … ON TRUE only");
    if (aj->nusing || (aj->on && !(aj->on->kind == AX_LITERAL && aj->on->lit == LIT_TRUE)))
        return diag_error(c->diag, DIAG_SEMANTIC, aj->on ? aj->on->pos : aj->pos, "a join with UNNEST takes ON TRUE as its condition");
    BExpr *arr = bind_expr(c, &ls, r->unnest, AGG_NO_OTHER);
    if (!arr) return c->diag->code;
    Type t = arr->type;
    if (t.kind != TY_ARRAY && t.kind != TY_MAP)
        return diag_error(c->diag, DIAG_SEMANTIC, r->unnest->pos, "UNNEST takes an ARRAY or a MAP, got %s", type_str(c->arena, t));
    Type el = t.nest->types[0];
    int n = t.kind == TY_MAP ? 2 : el.kind == TY_ROW ? el.nest->n : 1;
    const char **names = arena_alloc(c->arena, sizeof(char *) * (size_t)n);
    Type *types = arena_alloc(c->arena, sizeof(Type) * (size_t)n);
    for (int i = 0; i < n; i++) {
        types[i] = t.kind == TY_MAP ? t.nest->types[i] : el.kind == TY_ROW ? el.nest->types[i] : el;
        names[i] = t.kind == TY_MAP ? (i ? "VALUE" : "KEY") : el.kind == TY_ROW ? el.nest->names[i] : "EXPR$0";
        if (left || (el.kind == TY_ROW && el.nullable)) types[i].nullable = 1;
    }
    if (r->colnames) {
        if (r->ncolnames != n)
            return diag_error(c->diag, DIAG_SEMANTIC, r->colnames_pos, "UNNEST of %s gives %d column%s, but %d name%s given", type_str(c->arena, t),
                              n, n == 1 ? "" : "s", r->ncolnames, r->ncolnames == 1 ? " is" : "s are");
        for (int i = 0; i < n; i++) names[i] = r->colnames[i];
    }
    BUnnest *u = arena_alloc(c->arena, sizeof *u);
    u->expr = arr;
    u->left = left;
    u->nout = n;
    u->pos = r->pos;
    q->sub = lq;
    q->unnest = u;
    q->from_pos = aj->left.pos;
    int nl = lq->nout;
    q->nin = nl + n;
    q->in_names = arena_alloc(c->arena, sizeof(char *) * (size_t)q->nin);
    q->in_types = arena_alloc(c->arena, sizeof(Type) * (size_t)q->nin);
    for (int i = 0; i < nl; i++) {
        q->in_names[i] = lq->out_names[i];
        q->in_types[i] = lq->out[i]->type;
    }
    for (int i = 0; i < n; i++) {
        q->in_names[nl + i] = names[i];
        q->in_types[nl + i] = types[i];
        q->in_types[nl + i].timeattr = TA_NONE;
    }
    sc->qual = NULL;
    sc->ncols = 0;
    sc->cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)(ls.ncols + n + 1));
    for (int i = 0; i < ls.ncols; i++) {
        sc->cols[sc->ncols] = ls.cols[i];
        if (!ls.cols[i].qual) sc->cols[sc->ncols].qual = ls.qual;
        sc->ncols++;
    }
    for (int i = 0; i < n; i++)
        sc->cols[sc->ncols++] = (ScopeCol){.name = names[i], .type = q->in_types[nl + i], .index = nl + i, .qual = r->alias};
    return 0;
}

static int bind_join(BindCtx *c, const AstJoin *aj, BQuery *q, Scope *sc)
{
    if (aj->right.unnest) return bind_unnest(c, aj, q, sc);
    BQuery *lq = query_new(c, aj->left.pos), *rq = query_new(c, aj->right.pos);
    Scope ls = {0}, rs = {0};
    if (bind_from(c, &aj->left, NULL, lq, &ls)) return c->diag->code;
    item_rows(c, lq, &ls);
    if (bind_from(c, &aj->right, NULL, rq, &rs)) return c->diag->code;
    item_rows(c, rq, &rs);
    for (int i = 0; i < rs.ncols; i++)
        for (int k = 0; k < ls.ncols && rs.cols[i].qual; k++)
            if (qual_eq(rs.cols[i].qual, ls.cols[k].qual))
                return diag_error(c->diag, DIAG_SEMANTIC, aj->right.pos,
                                  "table or alias '%s' appears twice in FROM; give one of them another alias", rs.cols[i].qual);

    BJoin *j = arena_alloc(c->arena, sizeof *j);
    j->type = aj->type == AJ_LEFT ? JOIN_LEFT : aj->type == AJ_RIGHT ? JOIN_RIGHT : aj->type == AJ_FULL ? JOIN_FULL : JOIN_INNER;
    j->pos = aj->pos;
    j->left = lq;
    j->right = rq;
    q->join = j;
    q->from_pos = aj->left.pos;
    int nl = lq->nout, nr = rq->nout;
    q->nin = nl + nr;
    q->in_names = arena_alloc(c->arena, sizeof(char *) * (size_t)(q->nin ? q->nin : 1));
    q->in_types = arena_alloc(c->arena, sizeof(Type) * (size_t)(q->nin ? q->nin : 1));
    bool lnull = j->type == JOIN_RIGHT || j->type == JOIN_FULL, rnull = j->type == JOIN_LEFT || j->type == JOIN_FULL;
    unsigned char *ta = arena_alloc(c->arena, (size_t)(q->nin ? q->nin : 1));
    for (int i = 0; i < q->nin; i++) {
        const BQuery *side = i < nl ? lq : rq;
        int at = i < nl ? i : i - nl;
        Type t = side->out[at]->type;
        ta[i] = t.timeattr;
        t.timeattr = TA_NONE;
        if (i < nl ? lnull : rnull) t.nullable = 1;
        /* a name an earlier column has gets a number (id, id0), as the join's output names it in EXPLAIN */
        const char *name = side->out_names[at];
        for (int suffix = 0;; suffix++) {
            bool taken = false;
            for (int k = 0; k < i && !taken; k++) taken = strcmp(q->in_names[k], name) == 0;
            if (!taken) break;
            name = arena_printf(c->arena, "%s%d", side->out_names[at], suffix);
        }
        q->in_names[i] = name;
        q->in_types[i] = t;
    }

    /* The scope: USING's merged columns first (SQL's order for *), then each side's. */
    sc->qual = NULL;
    sc->ncols = 0;
    sc->cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)(aj->nusing + ls.ncols + rs.ncols + 1));
    int base = aj->nusing;
    for (int i = 0; i < ls.ncols; i++) {
        ScopeCol col = ls.cols[i];
        col.type = q->in_types[col.index];
        sc->cols[base + i] = col;
    }
    for (int i = 0; i < rs.ncols; i++) {
        ScopeCol col = rs.cols[i];
        col.index += nl;
        col.type = q->in_types[col.index];
        sc->cols[base + ls.ncols + i] = col;
    }
    for (int u = 0; u < aj->nusing; u++) {
        const char *name = aj->using_[u];
        for (int v = 0; v < u; v++)
            if (strcmp(aj->using_[v], name) == 0)
                return diag_error(c->diag, DIAG_SEMANTIC, aj->using_pos[u], "column '%s' is listed twice in USING", name);
        int li = using_col(c, &ls, name, aj->using_pos[u], "left"), ri = li < 0 ? -1 : using_col(c, &rs, name, aj->using_pos[u], "right");
        if (li < 0 || ri < 0) return c->diag->code;
        ScopeCol *l = &sc->cols[base + li], *r = &sc->cols[base + ls.ncols + ri];
        Type lt = lq->out[ls.cols[li].index]->type, rt = rq->out[rs.cols[ri].index]->type;
        Type t;
        if (!type_common(lt, rt, &t)) {
            type_mismatch(c, aj->using_pos[u], arena_printf(c->arena, "USING column '%s' has no common type in the two sides", name), lt, rt);
            return c->diag->code;
        }
        join_add_key(c, j, bx_col(c, ls.cols[li].index, lt, aj->using_pos[u]), bx_col(c, rs.cols[ri].index, rt, aj->using_pos[u]));
        l->hidden = r->hidden = true;
        ScopeCol m = {.name = l->name, .index = -1};
        if (j->type == JOIN_FULL) {
            BExpr *e = bx_new(c, BX_CALL, aj->using_pos[u]);
            e->fn = func_find("COALESCE");
            e->nargs = 2;
            e->args = arena_alloc(c->arena, sizeof(BExpr *) * 2);
            e->args[0] = bx_cast_to(c, bx_col(c, l->index, l->type, aj->using_pos[u]), t);
            e->args[1] = bx_cast_to(c, bx_col(c, r->index, r->type, aj->using_pos[u]), t);
            if (!e->fn->infer(e, c->diag)) return c->diag->code;
            m.expr = e;
            m.type = e->type;
        } else {
            const ScopeCol *keep = j->type == JOIN_RIGHT ? r : l;
            m.index = keep->index;
            m.type = keep->type;
        }
        sc->cols[u] = m;
    }
    sc->ncols = aj->nusing + ls.ncols + rs.ncols;

    if (aj->on) {
        BExpr *on = bind_expr(c, sc, aj->on, AGG_NO_OTHER);
        if (!on || !need_boolean(c, on, "join condition")) return c->diag->code;
        PtrList cs = {0}, rest = {0};
        conjuncts(c, on, &cs);
        for (int i = 0; i < cs.n; i++)
            if (!join_equality(c, q, cs.v[i])) ptrlist_push(c->arena, &rest, cs.v[i]);
        if (!aj->right.as_of && interval_bounds(c, q, &rest, ta)) return c->diag->code;
        j->residual = conjoin(c, (BExpr **)rest.v, rest.n);
    }
    if (aj->right.as_of && temporal_join(c, aj, q, &ls, ta)) return c->diag->code;
    if (!aj->right.as_of && !j->interval && window_join(c, aj, q)) return c->diag->code;
    if (j->temporal) {
        /* The output keeps the probe side's event time (Flink); the versioned table's is a plain timestamp. */
        q->in_types[j->ltime].timeattr = TA_ROWTIME;
        for (int i = 0; i < sc->ncols; i++)
            if (sc->cols[i].index == j->ltime && !sc->cols[i].expr) sc->cols[i].type.timeattr = TA_ROWTIME;
    }
    if (j->interval) {
        /* An interval join keeps its inputs' event-time attributes (Flink). */
        for (int i = 0; i < q->nin; i++)
            if (ta[i] == TA_ROWTIME) q->in_types[i].timeattr = TA_ROWTIME;
        for (int i = 0; i < sc->ncols; i++)
            if (sc->cols[i].index >= 0 && !sc->cols[i].expr) sc->cols[i].type.timeattr = q->in_types[sc->cols[i].index].timeattr;
    }
    return 0;
}

/*
 * Binds FROM item f (a table, a subquery, a window table function, or a
 * join of items) as q's input, and fills sc with the names it makes
 * visible.  req: a group window over f (GROUP BY TUMBLE(…)), or NULL.
 */
static int bind_from(BindCtx *c, const AstFrom *f, const WinReq *req, BQuery *q, Scope *sc)
{
    WinReq tvf;
    if (f->unnest)
        return diag_error(c->diag, DIAG_SEMANTIC, f->pos,
                          "UNNEST(…) expands a column of the FROM item before it: FROM t CROSS JOIN UNNEST(t.arr) AS u(x)");
    if (f->values) {   /* VALUES rows (bind_stmt.c), SELECT without FROM */
        if (bind_values(c, f, q)) return c->diag->code;
        sc->cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)(q->nin ? q->nin : 1));
        for (int i = 0; i < q->nin; i++) sc->cols[sc->ncols++] = (ScopeCol){q->in_names[i], q->in_types[i], i, NULL, NULL, false};
        return 0;
    }
    if (!req && !f->winfn && f->table) {   /* a CTE or a view: its query as a subquery (bind_stmt.c) */
        AstFrom ex;
        const CteScope *scope, *saved = c->ctes;
        const CatView *view;
        if (bind_named_item(c, f, &ex, &scope, &view)) {
            if (f->as_of)
                return diag_error(c->diag, DIAG_SEMANTIC, f->pos,
                                  "FOR SYSTEM_TIME AS OF needs a table with a PRIMARY KEY and a WATERMARK; '%s' is a %s (versioned views are not "
                                  "supported by eddy)", f->table, view ? "view" : "WITH query");
            c->ctes = scope;
            int rc = bind_from(c, &ex, NULL, q, sc);
            c->ctes = saved;
            if (rc && view && c->diag->offset != f->pos) {   /* offsets into the view's text mean nothing here */
                char msg[sizeof c->diag->msg];
                memcpy(msg, c->diag->msg, sizeof msg);
                snprintf(c->diag->msg, sizeof c->diag->msg, "in view '%.60s': %.400s", view->name, msg);
                c->diag->offset = f->pos;
            }
            return rc;
        }
    }
    if (!req && f->winfn) {
        if (window_tvf_req(c, f, &tvf)) return c->diag->code;
        req = &tvf;
    }
    if (req) {
        if (bind_window(c, q, sc, req)) return c->diag->code;
    } else if (f->join) {
        if (f->join->left.as_of)
            return diag_error(c->diag, DIAG_SEMANTIC, f->join->left.as_of->pos,
                              "FOR SYSTEM_TIME AS OF belongs on the right side of a join (the versioned table)");
        return bind_join(c, f->join, q, sc);
    } else if (f->table) {
        const CatTable *t = catalog_find(c->catalog, f->table);
        if (!t) return diag_error(c->diag, DIAG_SEMANTIC, f->pos, "unknown table '%s'%s", f->table, bind_table_hint(c, f->table));
        if (connector_check_use(t, false, f->pos, c->diag)) return c->diag->code;
        q->table = t;
        q->in_names = arena_alloc(c->arena, sizeof(char *) * (size_t)t->ncols);
        q->in_types = arena_alloc(c->arena, sizeof(Type) * (size_t)t->ncols);
        q->in_cols = arena_alloc(c->arena, sizeof(int) * (size_t)t->ncols);
        sc->qual = f->alias ? f->alias : t->name;
        sc->cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)t->ncols);
        /* The input row holds physical and metadata columns; computed
         * columns expand to their expression over it.  The scope keeps
         * the declaration order (SELECT * and INSERT are positional). */
        Scope base = {.qual = sc->qual, .cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)t->ncols)};
        for (int i = 0; i < t->ncols; i++) {
            if (t->cols[i].kind == COL_COMPUTED) continue;
            q->in_names[q->nin] = arena_strdup(c->arena, t->cols[i].name);
            q->in_types[q->nin] = type_dup(c->arena, t->cols[i].type);   /* a nested type: the plan's own copy */
            q->in_cols[q->nin] = i;
            base.cols[base.ncols++] = (ScopeCol){q->in_names[q->nin], q->in_types[q->nin], q->nin, NULL, NULL, false};
            q->nin++;
        }
        for (int i = 0, b = 0; i < t->ncols; i++) {
            if (t->cols[i].kind != COL_COMPUTED) {
                sc->cols[sc->ncols++] = base.cols[b++];
                continue;
            }
            BExpr *e = bind_expr(c, &base, t->cols[i].expr, AGG_NO_OTHER);
            if (!e) return c->diag->code;
            e->pos = f->pos;
            e->type.timeattr = t->cols[i].type.timeattr;   /* a PROCTIME() column (bind_create_table) */
            sc->cols[sc->ncols++] = (ScopeCol){arena_strdup(c->arena, t->cols[i].name), e->type, -1, e, NULL, false};
        }
        if (t->wm_col >= 0 && t->wm_expr) {
            q->wm_expr = bind_expr(c, sc, t->wm_expr, AGG_NO_OTHER);
            if (!q->wm_expr) return c->diag->code;
            for (int i = 0; i < sc->ncols; i++)
                if (strcmp(sc->cols[i].name, t->cols[t->wm_col].name) == 0) {
                    q->wm_rowtime = sc->cols[i].expr ? -1 : sc->cols[i].index;
                    sc->cols[i].type.timeattr = TA_ROWTIME;   /* the table's event-time attribute */
                }
        }
    } else {
        BQuery *sub;
        if (bind_query(c, f->sub, &sub)) return c->diag->code;
        if (sub->limit >= 0)
            return diag_error(c->diag, DIAG_SEMANTIC, f->pos, "LIMIT is only supported on the outermost query");
        if (f->ncolnames) {   /* `(…) AS t(a, b)`, a CTE's or a view's column list: the columns renamed */
            if (f->ncolnames != sub->nout)
                return diag_error(c->diag, DIAG_SEMANTIC, f->colnames_pos, "%d column name%s given but the query has %d column%s",
                                  f->ncolnames, f->ncolnames == 1 ? "" : "s", sub->nout, sub->nout == 1 ? "" : "s");
            const char **names = arena_alloc(c->arena, sizeof(char *) * (size_t)f->ncolnames);
            for (int i = 0; i < f->ncolnames; i++) {
                names[i] = arena_strdup(c->arena, f->colnames[i]);
                for (int j = 0; j < i; j++)
                    if (strcmp(names[j], names[i]) == 0)
                        return diag_error(c->diag, DIAG_SEMANTIC, f->colnames_pos, "column name '%s' is given twice", names[i]);
            }
            sub->out_names = names;
        }
        over_query(c, q, sub);
        sc->qual = f->alias;
        sc->cols = arena_alloc(c->arena, sizeof(ScopeCol) * (size_t)sub->nout);
        for (int i = 0; i < sub->nout; i++) sc->cols[sc->ncols++] = (ScopeCol){sub->out_names[i], sub->out[i]->type, i, NULL, NULL, false};
    }

    return 0;
}

/* ------------------------------------------------------------------ */
/* Subquery predicates: WHERE … [NOT] IN (SELECT …), [NOT] EXISTS (…)    */

/* Does the expression hold IN (SELECT …) or EXISTS (…) anywhere? */
static bool ast_has_subquery(const AstExpr *x)
{
    if (!x) return false;
    if (x->kind == AX_IN_QUERY || x->kind == AX_EXISTS) return true;
    if (ast_has_subquery(x->a) || ast_has_subquery(x->b) || ast_has_subquery(x->c)) return true;
    for (int i = 0; i < x->nargs; i++)
        if (ast_has_subquery(x->args[i])) return true;
    return false;
}

/* The conjuncts of a WHERE as written (a AND b AND …). */
static void ast_conjuncts(BindCtx *c, const AstExpr *x, PtrList *into)
{
    if (x->kind == AX_BINARY && x->op == OP_AND) {
        ast_conjuncts(c, x->a, into);
        ast_conjuncts(c, x->b, into);
        return;
    }
    ptrlist_push(c->arena, into, (void *)x);
}

/* Does e read a column of the enclosing query (BIND_OUTER + column)? */
static bool bx_reads_outer(const BExpr *e)
{
    if (!e) return false;
    if (e->kind == BX_COL) return e->col >= BIND_OUTER;
    if (bx_reads_outer(e->a) || bx_reads_outer(e->b)) return true;
    for (int i = 0; i < e->nargs; i++)
        if (bx_reads_outer(e->args[i])) return true;
    return false;
}

/* Does e read a column of its own query (below BIND_OUTER)? */
static bool bx_reads_inner(const BExpr *e)
{
    if (!e) return false;
    if (e->kind == BX_COL) return e->col < BIND_OUTER;
    if (bx_reads_inner(e->a) || bx_reads_inner(e->b)) return true;
    for (int i = 0; i < e->nargs; i++)
        if (bx_reads_inner(e->args[i])) return true;
    return false;
}

/* A correlated conjunct over [left…, right…]: an outer column c becomes
 * left column c, an inner column i right column nl + i. */
static BExpr *bx_corr(BindCtx *c, const BExpr *e, int nl)
{
    if (!e) return NULL;
    BExpr *n = arena_alloc(c->arena, sizeof *n);
    *n = *e;
    if (e->kind == BX_COL) n->col = e->col >= BIND_OUTER ? e->col - BIND_OUTER : nl + e->col;
    n->a = bx_corr(c, e->a, nl);
    n->b = bx_corr(c, e->b, nl);
    if (e->nargs) {
        n->args = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) n->args[i] = bx_corr(c, e->args[i], nl);
    }
    return n;
}

static BExpr *bx_bool(BindCtx *c, BExprKind k, AstOp op, BExpr *a, BExpr *b, bool nullable)
{
    BExpr *e = bx_new(c, k, a->pos);
    e->op = op;
    e->a = a;
    e->b = b;
    e->type = type_make(TY_BOOLEAN, nullable);
    return e;
}

/*
 * One subquery predicate x (IN (SELECT …) or EXISTS (…); anti: under NOT)
 * of query q's WHERE: q's FROM becomes the left side of a semi (anti) join
 * whose right side is the subquery, and q then reads that join's rows —
 * the left side's columns, which sc goes on naming.
 *
 * The subquery's WHERE may read q's columns (correlation; only a SELECT
 * without aggregation, OVER or a window): those conjuncts leave it for the
 * join's condition, an equality of a q expression and a subquery
 * expression as a key, any other as the residual; the subquery then
 * passes on every input column (the condition reads them) followed by its
 * select list.  `l NOT IN (SELECT r …)` holds when no r equals l and
 * neither is NULL while the subquery has rows (SQL): columns declared NOT
 * NULL on both sides are keys, others the residual `l = r OR l IS NULL OR
 * r IS NULL` — every right row then meets every left row of the other
 * keys, which is correct but compares rows one by one.
 */
static int bind_subquery_pred(BindCtx *c, BQuery *q, Scope *sc, const AstExpr *x, bool anti)
{
    const AstSelect *ss = x->sub;
    if (q->window)
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos,
                          "%s in a query over a window table function is not supported by eddy: a semi or anti join's rows are no time "
                          "attribute; filter the rows before the window", x->kind == AX_EXISTS ? "EXISTS (…)" : "IN (SELECT …)");

    /* The subquery, its WHERE seeing q's columns (a plain SELECT only). */
    BQuery *sub;
    c->corr = !ss->union_left && !ss->nctes ? sc : NULL;
    int rc = bind_query(c, ss, &sub);
    c->corr = NULL;
    if (rc) return rc;
    if (sub->limit >= 0) return diag_error(c->diag, DIAG_SEMANTIC, ss->pos, "LIMIT in an IN or EXISTS subquery is not supported by eddy");
    PtrList corr = {0}, keep = {0};
    if (sub->where) {
        PtrList all = {0};
        conjuncts(c, sub->where, &all);
        for (int i = 0; i < all.n; i++) ptrlist_push(c->arena, bx_reads_outer(all.v[i]) ? &corr : &keep, all.v[i]);
    }
    if (corr.n && (sub->is_agg || sub->rank || sub->over || sub->window))
        return diag_error(c->diag, DIAG_SEMANTIC, ((BExpr *)corr.v[0])->pos,
                          "a correlated subquery (its WHERE reads the outer query's columns) with GROUP BY, aggregates, DISTINCT, OVER or a "
                          "window is not supported by eddy; correlate a subquery without them, or join the aggregated rows");
    int *item = arena_alloc(c->arena, sizeof(int) * (size_t)(sub->nout ? sub->nout : 1));   /* right column of each select item */
    for (int i = 0; i < sub->nout; i++) item[i] = i;
    if (corr.n) {
        sub->where = conjoin(c, (BExpr **)keep.v, keep.n);
        if (x->kind == AX_EXISTS) sub->nout = 0;   /* EXISTS reads no select item */
        int n = sub->nin + sub->nout;
        BExpr **out = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)n);
        const char **names = arena_alloc(c->arena, sizeof(char *) * (size_t)n);
        int *pos = arena_alloc(c->arena, sizeof(int) * (size_t)n);
        for (int i = 0; i < sub->nin; i++) {
            out[i] = bx_col(c, i, sub->in_types[i], sub->from_pos);
            names[i] = sub->in_names[i];
            pos[i] = sub->from_pos;
        }
        for (int i = 0; i < sub->nout; i++) {
            out[sub->nin + i] = sub->out[i];
            names[sub->nin + i] = sub->out_names[i];
            pos[sub->nin + i] = sub->out_pos[i];
            item[i] = sub->nin + i;
        }
        sub->out = out;
        sub->out_names = names;
        sub->out_pos = pos;
        sub->nout = n;
    }

    /* IN: the tested values, over q's input (the join's left rows). */
    const AstExpr *lhs = x->kind == AX_IN_QUERY ? x->a : NULL;
    int nlhs = !lhs ? 0 : lhs->kind == AX_ROW ? lhs->nargs : 1;
    int nitems = corr.n ? sub->nout - sub->nin : sub->nout;
    if (lhs && nlhs != nitems)
        return diag_error(c->diag, DIAG_SEMANTIC, x->pos, "IN compares %d value%s with a subquery of %d column%s", nlhs, nlhs == 1 ? "" : "s",
                          nitems, nitems == 1 ? "" : "s");
    BExpr **lv = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(nlhs ? nlhs : 1));
    for (int i = 0; i < nlhs; i++) {
        const AstExpr *a = lhs->kind == AX_ROW ? lhs->args[i] : lhs;
        if (a->kind == AX_ROW) return diag_error(c->diag, DIAG_SEMANTIC, a->pos, "a row of values cannot hold another row");
        if (!(lv[i] = bind_expr(c, sc, a, AGG_NO_WHERE))) return c->diag->code;
    }

    /* q's FROM becomes the left side. */
    BQuery *lq = query_new(c, q->from_pos);
    lq->table = q->table;
    lq->sub = q->sub;
    lq->join = q->join;
    lq->in_names = q->in_names;
    lq->in_types = q->in_types;
    lq->in_cols = q->in_cols;
    lq->nin = q->nin;
    lq->wm_expr = q->wm_expr;
    lq->wm_rowtime = q->wm_rowtime;
    lq->values = q->values;
    lq->nvalues = q->nvalues;
    lq->where = q->where;
    item_rows(c, lq, sc);
    int nl = lq->nout;
    BJoin *j = arena_alloc(c->arena, sizeof *j);
    j->type = anti ? JOIN_ANTI : JOIN_SEMI;
    j->pos = x->pos;
    j->left = lq;
    j->right = sub;
    q->table = NULL;
    q->sub = NULL;
    q->values = NULL;
    q->nvalues = 0;
    q->in_cols = NULL;
    q->wm_expr = NULL;
    q->wm_rowtime = -1;
    q->where = NULL;
    q->join = j;
    q->nin = nl;
    q->in_names = lq->out_names;
    q->in_types = arena_alloc(c->arena, sizeof(Type) * (size_t)(nl ? nl : 1));
    for (int i = 0; i < nl; i++) {   /* a regular join's rows are no time attribute (Flink) */
        q->in_types[i] = lq->out[i]->type;
        q->in_types[i].timeattr = TA_NONE;
    }
    for (int i = 0; i < sc->ncols; i++) sc->cols[i].type.timeattr = TA_NONE;

    /* The condition: IN's comparisons, then the correlated conjuncts. */
    PtrList rest = {0};
    for (int i = 0; i < nlhs; i++) {
        BExpr *l = lv[i], *r = bx_col(c, item[i], sub->out[item[i]]->type, x->pos);
        Type t;
        if (!type_common(l->type, r->type, &t)) {
            type_mismatch(c, lv[i]->pos, "IN compares values of different types", l->type, r->type);
            return c->diag->code;
        }
        if (!anti || (!l->type.nullable && !r->type.nullable)) {
            join_add_key(c, j, l, r);
            continue;
        }
        BExpr *lc = bx_cast_to(c, l, t), *rc2 = bx_cast_to(c, bx_offset(c, r, nl), t);
        BExpr *eq = bx_bool(c, BX_OP, OP_EQ, lc, rc2, true);
        BExpr *ln = bx_bool(c, BX_IS, OP_NONE, l, NULL, false), *rn = bx_bool(c, BX_IS, OP_NONE, bx_offset(c, r, nl), NULL, false);
        ln->is = rn->is = LIT_NULL;
        ptrlist_push(c->arena, &rest, bx_bool(c, BX_OP, OP_OR, bx_bool(c, BX_OP, OP_OR, eq, ln, true), rn, true));
    }
    for (int i = 0; i < corr.n; i++) {
        BExpr *e = corr.v[i];
        if (e->kind == BX_OP && e->op == OP_EQ) {
            BExpr *o = e->a, *in = e->b;
            if (bx_reads_inner(o)) o = e->b, in = e->a;
            if (!bx_reads_inner(o) && !bx_reads_outer(in)) {
                join_add_key(c, j, bx_offset(c, o, -BIND_OUTER), in);
                continue;
            }
        }
        ptrlist_push(c->arena, &rest, bx_corr(c, e, nl));
    }
    j->residual = conjoin(c, (BExpr **)rest.v, rest.n);
    return 0;
}

/*
 * WHERE with subquery predicates: the conjuncts that are `[NOT] x IN
 * (SELECT …)` or `[NOT] EXISTS (…)` become semi and anti joins under q
 * (in the order written); the others filter q's FROM, below them.
 * corr: the enclosing query's scope when q is itself such a subquery.
 */
static int bind_where_subqueries(BindCtx *c, const AstSelect *sel, BQuery *q, Scope *sc, const Scope *corr)
{
    PtrList cs = {0}, rest = {0}, preds = {0}, outer = {0};
    ast_conjuncts(c, sel->where, &cs);
    for (int i = 0; i < cs.n; i++) {
        const AstExpr *x = cs.v[i];
        bool neg = false;
        while (x->kind == AX_UNARY && x->op == OP_NOT) neg = !neg, x = x->a;
        if (x->kind == AX_IN_QUERY || x->kind == AX_EXISTS) {
            ptrlist_push(c->arena, &preds, (void *)cs.v[i]);
            continue;
        }
        c->outer = corr;
        BExpr *e = bind_expr(c, sc, cs.v[i], AGG_NO_WHERE);
        c->outer = NULL;
        if (!e || !need_boolean(c, e, "WHERE condition")) return c->diag->code;
        /* a correlated condition stays on top, where the enclosing query's join takes it from */
        ptrlist_push(c->arena, bx_reads_outer(e) ? &outer : &rest, e);
    }
    q->where = conjoin(c, (BExpr **)rest.v, rest.n);
    if (q->where && q->join) q->where = join_where(c, q, q->where);
    for (int i = 0; i < preds.n; i++) {
        const AstExpr *x = preds.v[i];
        bool neg = false;
        while (x->kind == AX_UNARY && x->op == OP_NOT) neg = !neg, x = x->a;
        if (bind_subquery_pred(c, q, sc, x, neg != (x->kind == AX_IN_QUERY && x->negated))) return c->diag->code;
    }
    if (outer.n) {
        if (q->where) ptrlist_push(c->arena, &outer, q->where);
        q->where = conjoin(c, (BExpr **)outer.v, outer.n);
    }
    return 0;
}

static int bind_select_core(BindCtx *c, const AstSelect *sel, const WinReq *req, BQuery **out)
{
    BQuery *q = arena_alloc(c->arena, sizeof *q);
    q->pos = sel->pos;
    q->limit = sel->limit;
    q->wm_rowtime = -1;
    q->from_pos = sel->from.pos;
    Scope sc = {0};
    const Scope *corr = c->corr;   /* for this SELECT's WHERE only */
    c->corr = NULL;

    /* FROM */
    if (sel->from.as_of)
        return diag_error(c->diag, DIAG_SEMANTIC, sel->from.as_of->pos, "FOR SYSTEM_TIME AS OF is only supported on the right side of a join (a temporal join)");
    if (bind_from(c, &sel->from, req, q, &sc)) return c->diag->code;

    /* WHERE (a subquery's may read the enclosing query's columns: corr) */
    if (sel->where && ast_has_subquery(sel->where)) {
        if (bind_where_subqueries(c, sel, q, &sc, corr)) return c->diag->code;
    } else if (sel->where) {
        c->outer = corr;
        q->where = bind_expr(c, &sc, sel->where, AGG_NO_WHERE);
        c->outer = NULL;
        if (!q->where || !need_boolean(c, q->where, "WHERE condition")) return c->diag->code;
        if (q->join) q->where = join_where(c, q, q->where);
    }

    /* Select list (stars expanded). */
    PtrList items = {0}, names = {0}, poss = {0};
    for (int i = 0; i < sel->nitems; i++) {
        const AstSelItem *it = sel->items[i];
        if (it->star) {
            bool known = !it->star_qual;
            for (int j = 0; j < sc.ncols && !known; j++) known = qual_eq(scope_qual(&sc, j), it->star_qual);
            if (!known) return diag_error(c->diag, DIAG_SEMANTIC, it->pos, "unknown table or alias '%s'", it->star_qual);
            for (int j = 0; j < sc.ncols; j++) {
                /* t.*: t's columns; *: every column, a USING column once */
                if (it->star_qual ? !qual_eq(scope_qual(&sc, j), it->star_qual) : sc.cols[j].hidden) continue;
                BExpr *e;
                if (sc.cols[j].expr) {
                    e = arena_alloc(c->arena, sizeof *e);
                    *e = *sc.cols[j].expr;
                    e->type.timeattr = sc.cols[j].type.timeattr;
                } else {
                    e = bx_col(c, sc.cols[j].index, sc.cols[j].type, it->pos);
                }
                e->pos = it->pos;
                ptrlist_push(c->arena, &items, e);
                ptrlist_push(c->arena, &names, (void *)sc.cols[j].name);
                ptrlist_push(c->arena, &poss, (void *)(intptr_t)it->pos);
            }
            continue;
        }
        BExpr *e = NULL;
        if (bind_over_has(it->expr) ? bind_over_item(c, &sc, sel, q, it, &e) != 0 : !(e = bind_expr(c, &sc, it->expr, AGG_ALLOW)))
            return c->diag->code;
        ptrlist_push(c->arena, &items, e);
        ptrlist_push(c->arena, &names, (void *)expr_name(c, it, e, &sc, items.n - 1));
        ptrlist_push(c->arena, &poss, (void *)(intptr_t)it->pos);
    }
    q->nout = items.n;
    q->out = (BExpr **)items.v;
    q->out_names = (const char **)names.v;
    q->out_pos = arena_alloc(c->arena, sizeof(int) * (size_t)(q->nout ? q->nout : 1));
    for (int i = 0; i < q->nout; i++) q->out_pos[i] = (int)(intptr_t)poss.v[i];

    bool aggs_in_select = false;
    for (int i = 0; i < sel->nitems; i++) aggs_in_select = aggs_in_select || (sel->items[i]->expr && has_agg(sel->items[i]->expr));
    q->is_agg = sel->ngroupby > 0 || aggs_in_select || sel->having || sel->distinct;
    if (bind_over_query(c, sel, q)) return c->diag->code;
    if (!q->is_agg) {
        if (q->window && check_window_query(c, q, sel)) return c->diag->code;
        *out = q;
        return 0;
    }

    /* GROUP BY (and DISTINCT: group by the whole select list). */
    if (sel->distinct && (sel->ngroupby || aggs_in_select)) {
        /* SELECT DISTINCT over an aggregate: group the aggregate's output. */
        return diag_error(c->diag, DIAG_SEMANTIC, sel->pos, "SELECT DISTINCT with GROUP BY or aggregates is not supported; use a subquery");
    }
    if (sel->distinct) {
        q->nkeys = q->nout;
        q->keys = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)q->nkeys);
        for (int i = 0; i < q->nout; i++) {
            q->keys[i] = q->out[i];
            q->out[i] = bx_col(c, i, q->keys[i]->type, q->out_pos[i]);
        }
        clear_time_attrs(q);
        if (q->window && check_window_query(c, q, sel)) return c->diag->code;
        *out = q;
        return 0;
    }
    q->nkeys = sel->ngroupby;
    q->keys = arena_alloc(c->arena, sizeof(BExpr *) * (size_t)(q->nkeys ? q->nkeys : 1));
    for (int i = 0; i < sel->ngroupby; i++) {
        q->keys[i] = bind_expr(c, &sc, sel->groupby[i], AGG_NO_GROUPBY);
        if (!q->keys[i]) return c->diag->code;
        for (int j = 0; j < i; j++)
            if (bexpr_equal(q->keys[i], q->keys[j]))
                return diag_error(c->diag, DIAG_SEMANTIC, sel->groupby[i]->pos, "GROUP BY lists the same expression twice");
    }
    PtrList aggs = {0};
    for (int i = 0; i < q->nout; i++) {
        q->out[i] = rewrite_over_agg(c, q, q->out[i], &aggs, q->in_names);
        if (!q->out[i]) return c->diag->code;
    }
    if (sel->having) {
        BExpr *h = bind_expr(c, &sc, sel->having, AGG_ALLOW);
        if (!h || !need_boolean(c, h, "HAVING condition")) return c->diag->code;
        q->having = rewrite_over_agg(c, q, h, &aggs, q->in_names);
        if (!q->having) return c->diag->code;
    }
    q->aggs = (BExpr **)aggs.v;
    q->naggs = aggs.n;
    clear_time_attrs(q);
    if (!c->diag->code && q->window && check_window_query(c, q, sel)) return c->diag->code;
    *out = q;
    return c->diag->code;
}

int bind_insert(BindCtx *c, const AstStmt *s, BInsert **out)
{
    const CatTable *t = catalog_find(c->catalog, s->name);
    if (!t && catalog_find_view(c->catalog, s->name))
        return diag_error(c->diag, DIAG_SEMANTIC, s->name_pos, "'%s' is a view; INSERT INTO writes a table", s->name);
    if (!t) return diag_error(c->diag, DIAG_SEMANTIC, s->name_pos, "unknown table '%s'%s", s->name, bind_table_hint(c, s->name));
    if (connector_check_use(t, true, s->name_pos, c->diag)) return c->diag->code;
    BInsert *ins = arena_alloc(c->arena, sizeof *ins);
    ins->table = t;
    ins->name_pos = s->name_pos;
    if (bind_query(c, s->query, &ins->query)) return c->diag->code;
    BQuery *q = ins->query;
    if (q->limit >= 0) return diag_error(c->diag, DIAG_SEMANTIC, s->query->pos, "LIMIT is not supported in INSERT INTO (only in an interactive SELECT)");

    ins->sinkcols = arena_alloc(c->arena, sizeof(int) * (size_t)t->ncols);
    ins->map = arena_alloc(c->arena, sizeof(int) * (size_t)t->ncols);
    for (int i = 0; i < t->ncols; i++)
        if (bind_is_sink_column(&t->cols[i])) {
            ins->sinkcols[ins->nsink] = i;
            ins->map[ins->nsink] = -1;
            ins->nsink++;
        }
    if (s->ncols) {
        if (s->ncols != q->nout)
            return diag_error(c->diag, DIAG_SEMANTIC, s->query->pos, "INSERT INTO %s lists %d column%s but the query produces %d", t->name,
                              s->ncols, s->ncols == 1 ? "" : "s", q->nout);
        for (int i = 0; i < s->ncols; i++) {
            int ci = cattable_column(t, s->cols[i]);
            if (ci < 0) return diag_error(c->diag, DIAG_SEMANTIC, s->colpos[i], "unknown column '%s' in table '%s'", s->cols[i], t->name);
            if (!bind_is_sink_column(&t->cols[ci]))
                return diag_error(c->diag, DIAG_SEMANTIC, s->colpos[i], "column '%s' of table '%s' is %s and cannot be written", s->cols[i],
                                  t->name, t->cols[ci].kind == COL_COMPUTED ? "computed" : "read-only metadata");
            int k = 0;
            while (ins->sinkcols[k] != ci) k++;
            if (ins->map[k] >= 0) return diag_error(c->diag, DIAG_SEMANTIC, s->colpos[i], "column '%s' is listed twice", s->cols[i]);
            ins->map[k] = i;
        }
        for (int k = 0; k < ins->nsink; k++) {
            const CatColumn *col = &t->cols[ins->sinkcols[k]];
            if (ins->map[k] < 0 && !col->type.nullable)
                return diag_error(c->diag, DIAG_SEMANTIC, s->name_pos, "column '%s' of table '%s' is NOT NULL but is not written", col->name, t->name);
        }
    } else {
        if (q->nout != ins->nsink)
            return diag_error(c->diag, DIAG_SEMANTIC, s->query->pos, "table '%s' has %d writable column%s but the query produces %d", t->name,
                              ins->nsink, ins->nsink == 1 ? "" : "s", q->nout);
        for (int k = 0; k < ins->nsink; k++) ins->map[k] = k;
    }
    for (int k = 0; k < ins->nsink; k++) {
        if (ins->map[k] < 0) continue;
        const CatColumn *col = &t->cols[ins->sinkcols[k]];
        Type from = q->out[ins->map[k]]->type;
        if (!type_assignable(from, col->type))
            return diag_error(c->diag, DIAG_SEMANTIC, q->out_pos[ins->map[k]], "column '%s' of table '%s' is %s but the query gives %s",
                              col->name, t->name, type_str(c->arena, col->type), type_str(c->arena, from));
        /* A value the sink would read in another representation (a DECIMAL of
         * another scale, an INT into a DOUBLE) is cast to the column's type. */
        bool same_repr = (type_is_integer(from) && type_is_integer(col->type)) ||
                         (from.kind == col->type.kind && (from.kind != TY_DECIMAL || from.scale == col->type.scale));
        if (!same_repr) {
            BExpr *e = bx_cast_to(c, q->out[ins->map[k]], type_dup(c->arena, col->type));
            e->type.nullable = from.nullable;
            q->out[ins->map[k]] = e;
        }
    }
    *out = ins;
    return 0;
}

/* ---- shared with bind_stmt.c ---- */

BExpr *bind_scalar(BindCtx *c, const AstExpr *x)
{
    Scope none = {0};
    return bind_expr(c, &none, x, AGG_NO_OTHER);
}

BExpr *bind_cast(BindCtx *c, BExpr *e, Type t) { return bx_cast_to(c, e, t); }

BExpr *bind_scope_expr(BindCtx *c, const Scope *sc, const AstExpr *x) { return bind_expr(c, sc, x, AGG_NO_OTHER); }
BExpr *bind_scope_agg(BindCtx *c, const Scope *sc, const AstExpr *x) { return bind_expr(c, sc, x, AGG_ALLOW); }
