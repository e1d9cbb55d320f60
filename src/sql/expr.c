/*
 * expr.c — comparing and printing bound expressions.
 */
#include "expr.h"
#include "civil.h"
#include "func.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ast_op_text(AstOp op)
{
    static const char *const t[] = {
        [OP_NONE] = "?", [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/",
        [OP_MOD] = "%",  [OP_CONCAT] = "||", [OP_EQ] = "=", [OP_NE] = "<>", [OP_LT] = "<",
        [OP_LE] = "<=",  [OP_GT] = ">", [OP_GE] = ">=", [OP_AND] = "AND", [OP_OR] = "OR",
        [OP_NOT] = "NOT", [OP_NEG] = "-",
    };
    return t[op];
}

static bool datum_equal(const Datum *a, const Datum *b)
{
    if (a->null != b->null) return false;
    if (a->null) return true;
    if (a->i != b->i || a->n != b->n) return false;
    if (memcmp(&a->d, &b->d, sizeof a->d) != 0) return false;
    return a->n == 0 || memcmp(a->s, b->s, (size_t)a->n) == 0;
}

bool bexpr_equal(const BExpr *x, const BExpr *y)
{
    if (x == y) return true;
    if (!x || !y) return false;
    /* UUID() is a new value at every evaluation: two calls are never one
     * computation (the clock readers give one value per row, so they may be) */
    if (x->kind == BX_CALL && x->fn && x->fn->id == FN_UUID) return false;
    if (x->kind != y->kind || x->op != y->op || x->negated != y->negated || x->try_ != y->try_ ||
        x->distinct != y->distinct || x->is != y->is || x->flags != y->flags || x->fn != y->fn ||
        x->nargs != y->nargs || !type_equal(x->type, y->type))
        return false;
    if (x->kind == BX_COL && x->col != y->col) return false;
    if (x->kind == BX_CTOR && x->type.kind != y->type.kind) return false;
    if (x->kind == BX_LIT && !datum_equal(&x->lit, &y->lit)) return false;
    if (!bexpr_equal(x->a, y->a) || !bexpr_equal(x->b, y->b)) return false;
    for (int i = 0; i < x->nargs; i++)
        if (!bexpr_equal(x->args[i], y->args[i])) return false;
    return true;
}

/* Shortest text that reads back as the same double. */
static void print_double(StrBuf *b, double d)
{
    char buf[40];
    if (isnan(d)) { sb_puts(b, "NaN"); return; }
    if (isinf(d)) { sb_puts(b, d > 0 ? "Infinity" : "-Infinity"); return; }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, d);
        if (strtod(buf, NULL) == d) break;
    }
    sb_puts(b, buf);
    if (!strpbrk(buf, ".eE")) sb_puts(b, "E0");
}

static void print_lit(StrBuf *b, const BExpr *e)
{
    const Datum *v = &e->lit;
    if (v->null) { sb_puts(b, "NULL"); return; }
    switch ((TypeKind)e->type.kind) {
    case TY_BOOLEAN: sb_puts(b, v->i ? "TRUE" : "FALSE"); break;
    case TY_FLOAT:
    case TY_DOUBLE: print_double(b, v->d); break;
    case TY_DECIMAL: {
        int64_t p = 1;
        for (int i = 0; i < e->type.scale; i++) p *= 10;
        int64_t ip = v->i / p, fp = v->i % p;
        if (v->i < 0 && ip == 0) sb_putc(b, '-');
        sb_printf(b, "%" PRId64, ip);
        if (e->type.scale) sb_printf(b, ".%0*" PRId64, e->type.scale, fp < 0 ? -fp : fp);
        break;
    }
    case TY_STRING:
        sb_putc(b, '\'');
        for (int i = 0; i < v->n; i++) {
            if (v->s[i] == '\'') sb_putc(b, '\'');
            sb_putc(b, v->s[i]);
        }
        sb_putc(b, '\'');
        break;
    case TY_INTERVAL: {
        static const struct { int64_t ms; const char *unit; } u[] = {
            {86400000, "DAY"}, {3600000, "HOUR"}, {60000, "MINUTE"}, {1000, "SECOND"}, {1, "MILLISECOND"}};
        int k = 0;
        while (u[k].ms > 1 && v->i % u[k].ms) k++;
        sb_printf(b, "INTERVAL '%" PRId64 "' %s", v->i / u[k].ms, u[k].unit);
        break;
    }
    case TY_DATE: {
        int64_t y;
        int m, d;
        civil_from_days(v->i, &y, &m, &d);
        sb_printf(b, "DATE '%04" PRId64 "-%02d-%02d'", y, m, d);
        break;
    }
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ: {
        int64_t ms = v->i, days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
        int64_t rem = ms - days * 86400000;
        BExpr tmp = *e;
        tmp.type.kind = TY_DATE;
        tmp.lit.i = days;
        StrBuf db = {0};
        print_lit(&db, &tmp);
        sb_printf(b, "TIMESTAMP '%.10s %02d:%02d:%02d.%03d'", db.s + 6, (int)(rem / 3600000), (int)(rem / 60000 % 60),
                  (int)(rem / 1000 % 60), (int)(rem % 1000));
        sb_free(&db);
        break;
    }
    default: sb_printf(b, "%" PRId64, v->i); break;
    }
}

static int prec(const BExpr *e)
{
    if (e->kind != BX_OP) return e->kind == BX_NOT ? 3 : (e->kind == BX_IS || e->kind == BX_IN || e->kind == BX_LIKE) ? 4 : 9;
    switch (e->op) {
    case OP_OR: return 1;
    case OP_AND: return 2;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: return 4;
    case OP_ADD: case OP_SUB: case OP_CONCAT: return 6;
    default: return 7;
    }
}

static void print_sub(StrBuf *b, const BExpr *e, const char *const *names, int min)
{
    bool paren = prec(e) < min;
    if (paren) sb_putc(b, '(');
    bexpr_print(b, e, names);
    if (paren) sb_putc(b, ')');
}

void bexpr_print(StrBuf *b, const BExpr *e, const char *const *names)
{
    switch (e->kind) {
    case BX_COL: sb_puts(b, names ? names[e->col] : "?"); if (!names) sb_printf(b, "%d", e->col); break;
    case BX_LIT: print_lit(b, e); break;
    case BX_OP:
        print_sub(b, e->a, names, prec(e));
        sb_printf(b, " %s ", ast_op_text(e->op));
        print_sub(b, e->b, names, prec(e) + 1);
        break;
    case BX_NOT: sb_puts(b, "NOT "); print_sub(b, e->a, names, 4); break;
    case BX_NEG:
        sb_putc(b, '-');
        /* never "--x": that reads as a comment */
        print_sub(b, e->a, names, e->a->kind == BX_NEG || (e->a->kind == BX_LIT && !e->a->lit.null && e->a->lit.i < 0) ? 99 : 8);
        break;
    case BX_IS:
        print_sub(b, e->a, names, 5);
        sb_printf(b, " IS %s%s", e->negated ? "NOT " : "", e->is == LIT_NULL ? "NULL" : e->is == LIT_TRUE ? "TRUE" : "FALSE");
        break;
    case BX_IN:
        print_sub(b, e->a, names, 5);
        sb_puts(b, e->negated ? " NOT IN (" : " IN (");
        for (int i = 0; i < e->nargs; i++) {
            if (i) sb_puts(b, ", ");
            bexpr_print(b, e->args[i], names);
        }
        sb_putc(b, ')');
        break;
    case BX_LIKE:
        print_sub(b, e->a, names, 5);
        sb_puts(b, e->negated ? " NOT LIKE " : " LIKE ");
        print_sub(b, e->b, names, 5);
        break;
    case BX_CASE:
        sb_puts(b, "CASE");
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            sb_puts(b, " WHEN ");
            bexpr_print(b, e->args[i], names);
            sb_puts(b, " THEN ");
            bexpr_print(b, e->args[i + 1], names);
        }
        if (e->b) {
            sb_puts(b, " ELSE ");
            bexpr_print(b, e->b, names);
        }
        sb_puts(b, " END");
        break;
    case BX_CAST: {
        sb_puts(b, e->try_ ? "TRY_CAST(" : "CAST(");
        bexpr_print(b, e->a, names);
        sb_puts(b, " AS ");
        Type t = e->type;
        t.nullable = 1;
        type_print(b, t);
        sb_putc(b, ')');
        break;
    }
    case BX_FIELD:
        print_sub(b, e->a, names, 9);
        sb_printf(b, ".%s", e->a->type.nest->names[e->flags]);
        break;
    case BX_ITEM:
        print_sub(b, e->a, names, 9);
        sb_putc(b, '[');
        bexpr_print(b, e->b, names);
        sb_putc(b, ']');
        break;
    case BX_CTOR:
        sb_puts(b, e->type.kind == TY_ROW ? "ROW(" : e->type.kind == TY_ARRAY ? "ARRAY[" : "MAP[");
        for (int i = 0; i < e->nargs; i++) {
            if (i) sb_puts(b, ", ");
            bexpr_print(b, e->args[i], names);
        }
        sb_putc(b, e->type.kind == TY_ROW ? ')' : ']');
        break;
    case BX_CALL:
    case BX_AGG:
        if (func_print(b, e, names)) break;   /* POSITION(x IN s), JSON clauses, … (func_lib.c) */
        sb_printf(b, "%s(", e->fn->name);
        if (e->distinct) sb_puts(b, "DISTINCT ");
        if (e->kind == BX_AGG) {
            if (e->a) bexpr_print(b, e->a, names);
            else sb_putc(b, '*');
            for (int i = 0; i < e->nargs; i++) {
                sb_puts(b, ", ");
                bexpr_print(b, e->args[i], names);
            }
        } else if ((func_flags(e->fn) & FF_UNIT) && e->nargs > 0) {   /* EXTRACT(YEAR FROM x), TIMESTAMPADD(DAY, n, t) */
            sb_puts(b, func_unit_name(e->flags));
            for (int i = 1; i < e->nargs; i++) {
                sb_puts(b, i > 1 || e->fn->id != FN_EXTRACT ? ", " : " FROM ");
                bexpr_print(b, e->args[i], names);
            }
        } else if (e->fn->id == FN_TRIM) {
            static const char *const spec[] = {"BOTH", "LEADING", "TRAILING"};
            sb_printf(b, "%s ", spec[e->flags]);
            if (e->nargs > 1) {
                bexpr_print(b, e->args[1], names);
                sb_putc(b, ' ');
            }
            sb_puts(b, "FROM ");
            bexpr_print(b, e->args[0], names);
        } else {
            for (int i = 0; i < e->nargs; i++) {
                if (i) sb_puts(b, ", ");
                bexpr_print(b, e->args[i], names);
            }
        }
        sb_putc(b, ')');
        /* Flink's EXPLAIN: `COUNT(*) FILTER $f2`, the condition a column of
         * the aggregate's input; before planning, the condition itself */
        if (e->kind == BX_AGG && e->b) {
            if (e->b->kind == BX_COL) {
                sb_puts(b, " FILTER ");
                bexpr_print(b, e->b, names);
            } else {
                sb_puts(b, " FILTER (WHERE ");
                bexpr_print(b, e->b, names);
                sb_putc(b, ')');
            }
        }
        break;
    }
}
