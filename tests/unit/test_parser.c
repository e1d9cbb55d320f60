/*
 * test_parser.c — unit tests of the lemon grammar (grammar/parser.y) and the
 * AST builders (src/sql/ast.c), through parse_script.
 *
 * Expressions are checked by printing them as S-expressions, so a test reads
 * like the tree it expects: `a OR b AND c` must print (OR a (AND b c)).
 * Statements are checked field by field.  Syntax errors are checked by code,
 * message and byte offset (and, through the public API, line and column).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "eddy.h"
#include "expr.h"
#include "parse.h"
#include "strbuf.h"

/* ------------------------------------------------------------------ */
/* Fixture: one arena per test, freed by the teardown.                 */

typedef struct Fx {
    Arena   arena;        /* the statements' arena */
    PtrList stmts;        /* the last parse's statements */
    Diag    diag;         /* the last parse's error */
    StrBuf  buf;          /* scratch for dumps */
} Fx;

static int setup(void **state)
{
    Fx *f = test_calloc(1, sizeof *f);
    arena_init(&f->arena, 4096);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fx *f = *state;
    arena_free(&f->arena);
    sb_free(&f->buf);
    test_free(f);
    return 0;
}

/* Parses src; returns the DIAG_* code. */
static int parse(Fx *f, const char *src)
{
    diag_clear(&f->diag);
    memset(&f->stmts, 0, sizeof f->stmts);
    return parse_script(&f->arena, src, (int)strlen(src), &f->stmts, &f->diag);
}

/* Parses src, which must be one statement, and returns it. */
static AstStmt *parse1(Fx *f, const char *src)
{
    int rc = parse(f, src);
    if (rc) fail_msg("parse of \"%s\" failed at %d: %s", src, f->diag.offset, f->diag.msg);
    assert_int_equal(f->stmts.n, 1);
    return f->stmts.v[0];
}

/* ------------------------------------------------------------------ */
/* S-expression dump of an AstExpr.                                    */

static void dump(StrBuf *b, const AstExpr *e);

static void dump_args(StrBuf *b, AstExpr *const *args, int n)
{
    for (int i = 0; i < n; i++) {
        sb_putc(b, ' ');
        dump(b, args[i]);
    }
}

static void dump_type(StrBuf *b, const AstType *t)
{
    sb_puts(b, t->name);
    if (t->nparams == 1) sb_printf(b, "(%d)", t->p1);
    if (t->nparams == 2) sb_printf(b, "(%d,%d)", t->p1, t->p2);
    if (t->ltz) sb_puts(b, " LTZ");
}

static void dump(StrBuf *b, const AstExpr *e)
{
    if (!e) {
        sb_puts(b, "<null>");
        return;
    }
    static const char *const is_what[] = {[LIT_NULL] = "NULL", [LIT_TRUE] = "TRUE", [LIT_FALSE] = "FALSE"};
    switch (e->kind) {
    case AX_LITERAL:
        switch (e->lit) {
        case LIT_NULL: sb_puts(b, "NULL"); break;
        case LIT_TRUE: sb_puts(b, "TRUE"); break;
        case LIT_FALSE: sb_puts(b, "FALSE"); break;
        case LIT_STRING: sb_printf(b, "'%s'", e->text); break;
        case LIT_DATE: sb_printf(b, "DATE'%s'", e->text); break;
        case LIT_TIMESTAMP: sb_printf(b, "TIMESTAMP'%s'", e->text); break;
        case LIT_INTERVAL: sb_printf(b, "INTERVAL'%s'%s", e->text, e->name); break;
        case LIT_INT: sb_printf(b, "%s", e->text); break;
        case LIT_DECIMAL: sb_printf(b, "%sd", e->text); break;
        case LIT_DOUBLE: sb_printf(b, "%sf", e->text); break;
        }
        break;
    case AX_COLUMN:
        if (e->qual) sb_printf(b, "%s.", e->qual);
        sb_puts(b, e->name);
        break;
    case AX_UNARY:
        sb_printf(b, "(%s ", e->op == OP_NOT ? "NOT" : "NEG");
        dump(b, e->a);
        sb_putc(b, ')');
        break;
    case AX_BINARY:
        sb_printf(b, "(%s ", ast_op_text(e->op));
        dump(b, e->a);
        sb_putc(b, ' ');
        dump(b, e->b);
        sb_putc(b, ')');
        break;
    case AX_IS:
        sb_printf(b, "(IS%s ", e->negated ? "-NOT" : "");
        dump(b, e->a);
        sb_printf(b, " %s)", is_what[e->lit]);
        break;
    case AX_BETWEEN:
        sb_printf(b, "(%sBETWEEN ", e->negated ? "NOT-" : "");
        dump(b, e->a);
        sb_putc(b, ' ');
        dump(b, e->b);
        sb_putc(b, ' ');
        dump(b, e->c);
        sb_putc(b, ')');
        break;
    case AX_IN:
        sb_printf(b, "(%sIN ", e->negated ? "NOT-" : "");
        dump(b, e->a);
        dump_args(b, e->args, e->nargs);
        sb_putc(b, ')');
        break;
    case AX_IN_QUERY:
        sb_printf(b, "(%sIN ", e->negated ? "NOT-" : "");
        dump(b, e->a);
        sb_puts(b, " <query>)");
        break;
    case AX_EXISTS: sb_puts(b, "(EXISTS <query>)"); break;
    case AX_ROW:
        sb_puts(b, "(ROW");
        dump_args(b, e->args, e->nargs);
        sb_putc(b, ')');
        break;
    case AX_FIELD:
        sb_puts(b, "(FIELD ");
        dump(b, e->a);
        sb_printf(b, " %s)", e->name);
        break;
    case AX_ITEM:
        sb_puts(b, "(ITEM ");
        dump(b, e->a);
        sb_putc(b, ' ');
        dump(b, e->b);
        sb_putc(b, ')');
        break;
    case AX_CTOR:
        sb_puts(b, e->flags == NEST_ROW ? "(ROW-CTOR" : e->flags == NEST_ARRAY ? "(ARRAY-CTOR" : "(MAP-CTOR");
        dump_args(b, e->args, e->nargs);
        sb_putc(b, ')');
        break;
    case AX_LIKE:
        sb_printf(b, "(%sLIKE ", e->negated ? "NOT-" : "");
        dump(b, e->a);
        sb_putc(b, ' ');
        dump(b, e->b);
        sb_putc(b, ')');
        break;
    case AX_FUNC:
        sb_printf(b, "(%s", e->name);
        if (e->distinct) sb_puts(b, " DISTINCT");
        if (e->star) sb_puts(b, " *");
        if (strcmp(e->name, "TRIM") == 0 || strcmp(e->name, "trim") == 0) {
            static const char *const spec[] = {"BOTH", "LEADING", "TRAILING"};
            sb_printf(b, " %s", spec[e->flags]);
        }
        dump_args(b, e->args, e->nargs);
        sb_putc(b, ')');
        break;
    case AX_CASE:
        sb_puts(b, "(CASE");
        if (e->a) {
            sb_putc(b, ' ');
            dump(b, e->a);
        }
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            sb_puts(b, " (WHEN ");
            dump(b, e->args[i]);
            sb_putc(b, ' ');
            dump(b, e->args[i + 1]);
            sb_putc(b, ')');
        }
        if (e->b) {
            sb_puts(b, " (ELSE ");
            dump(b, e->b);
            sb_putc(b, ')');
        }
        sb_putc(b, ')');
        break;
    case AX_CAST:
        sb_printf(b, "(%s ", e->try_ ? "TRY_CAST" : "CAST");
        dump(b, e->a);
        sb_putc(b, ' ');
        dump_type(b, &e->type);
        sb_putc(b, ')');
        break;
    }
}

/* The first select item of `SELECT <expr> FROM t`, dumped. */
static const char *expr_of(Fx *f, const char *expr)
{
    char src[512];
    snprintf(src, sizeof src, "SELECT %s FROM t", expr);
    AstStmt *s = parse1(f, src);
    assert_int_equal(s->kind, STMT_SELECT);
    f->buf.len = 0;
    if (f->buf.s) f->buf.s[0] = 0;
    dump(&f->buf, s->query->items[0]->expr);
    return f->buf.s;
}

#define EXPR_IS(f, text, want) assert_string_equal(expr_of((f), (text)), (want))

/* ------------------------------------------------------------------ */
/* Expressions                                                         */

static void test_precedence_logic(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "a OR b AND c", "(OR a (AND b c))");
    EXPR_IS(f, "a AND b OR c", "(OR (AND a b) c)");
    EXPR_IS(f, "(a OR b) AND c", "(AND (OR a b) c)");
    EXPR_IS(f, "a OR b OR c", "(OR (OR a b) c)");
    EXPR_IS(f, "NOT a = b", "(NOT (= a b))");
    EXPR_IS(f, "NOT a AND b", "(AND (NOT a) b)");
    EXPR_IS(f, "NOT NOT a", "(NOT (NOT a))");
    EXPR_IS(f, "a = b AND c <> d", "(AND (= a b) (<> c d))");
    EXPR_IS(f, "a == b OR c != d", "(OR (= a b) (<> c d))");
}

static void test_precedence_arith(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "a + b * c", "(+ a (* b c))");
    EXPR_IS(f, "a * b + c", "(+ (* a b) c)");
    EXPR_IS(f, "a - b - c", "(- (- a b) c)");
    EXPR_IS(f, "a / b % c", "(% (/ a b) c)");
    EXPR_IS(f, "(a + b) * c", "(* (+ a b) c)");
    EXPR_IS(f, "a || b || c", "(|| (|| a b) c)");
    EXPR_IS(f, "a + 1 < b * 2", "(< (+ a 1) (* b 2))");
    EXPR_IS(f, "a < b = c", "(= (< a b) c)");
}

static void test_unary_minus(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "-a", "(NEG a)");
    EXPR_IS(f, "-1", "(NEG 1)");
    EXPR_IS(f, "-a * b", "(* (NEG a) b)");
    EXPR_IS(f, "a - -b", "(- a (NEG b))");
    EXPR_IS(f, "- - a", "(NEG (NEG a))");
    EXPR_IS(f, "-(a + b)", "(NEG (+ a b))");
    EXPR_IS(f, "+a", "a");                      /* unary plus is dropped */
    EXPR_IS(f, "-a = b", "(= (NEG a) b)");
}

static void test_between(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "a BETWEEN 1 AND 2", "(BETWEEN a 1 2)");
    EXPR_IS(f, "a BETWEEN 1 AND 2 AND b", "(AND (BETWEEN a 1 2) b)");
    EXPR_IS(f, "b AND a BETWEEN 1 AND 2", "(AND b (BETWEEN a 1 2))");
    EXPR_IS(f, "a NOT BETWEEN 1 AND 2", "(NOT-BETWEEN a 1 2)");
    EXPR_IS(f, "a BETWEEN 1 + 1 AND 2 * 3", "(BETWEEN a (+ 1 1) (* 2 3))");
    EXPR_IS(f, "a BETWEEN 1 AND 2 OR b", "(OR (BETWEEN a 1 2) b)");
}

static void test_in_like_is(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "a IN (1, 2, 3)", "(IN a 1 2 3)");
    EXPR_IS(f, "a NOT IN ('x')", "(NOT-IN a 'x')");
    EXPR_IS(f, "a IN (1) AND b", "(AND (IN a 1) b)");
    EXPR_IS(f, "a + 1 IN (b, c * 2)", "(IN (+ a 1) b (* c 2))");
    EXPR_IS(f, "a LIKE 'x%'", "(LIKE a 'x%')");
    EXPR_IS(f, "a NOT LIKE 'x' OR b", "(OR (NOT-LIKE a 'x') b)");
    EXPR_IS(f, "a IS NULL", "(IS a NULL)");
    EXPR_IS(f, "a IS NOT NULL AND b IS TRUE", "(AND (IS-NOT a NULL) (IS b TRUE))");
    EXPR_IS(f, "a IS NOT FALSE", "(IS-NOT a FALSE)");
    EXPR_IS(f, "NOT a IS NULL", "(NOT (IS a NULL))");
}

static void test_literals(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "42", "42");
    EXPR_IS(f, "2.675", "2.675d");
    EXPR_IS(f, "1e3", "1e3f");
    EXPR_IS(f, "'it''s'", "'it's'");
    EXPR_IS(f, "''", "''");
    EXPR_IS(f, "TRUE", "TRUE");
    EXPR_IS(f, "false", "FALSE");
    EXPR_IS(f, "NULL", "NULL");
    EXPR_IS(f, "DATE '2024-01-31'", "DATE'2024-01-31'");
    EXPR_IS(f, "TIMESTAMP '2024-01-31 10:00:00'", "TIMESTAMP'2024-01-31 10:00:00'");
    EXPR_IS(f, "INTERVAL '5' SECOND", "INTERVAL'5'SECOND");
    EXPR_IS(f, "t.a", "t.a");
    EXPR_IS(f, "`my col`", "my col");
    EXPR_IS(f, "`a``b`", "a`b");
}

static void test_case(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "CASE WHEN a > 1 THEN 'x' WHEN b THEN 'y' ELSE 'z' END",
            "(CASE (WHEN (> a 1) 'x') (WHEN b 'y') (ELSE 'z'))");
    EXPR_IS(f, "CASE WHEN a THEN 1 END", "(CASE (WHEN a 1))");
    EXPR_IS(f, "CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", "(CASE a (WHEN 1 'one') (WHEN 2 'two'))");
    EXPR_IS(f, "CASE a + 1 WHEN 1 THEN 'x' ELSE NULL END", "(CASE (+ a 1) (WHEN 1 'x') (ELSE NULL))");
    EXPR_IS(f, "CASE WHEN a THEN CASE WHEN b THEN 1 END END", "(CASE (WHEN a (CASE (WHEN b 1))))");
    EXPR_IS(f, "1 + CASE WHEN a THEN 1 ELSE 2 END", "(+ 1 (CASE (WHEN a 1) (ELSE 2)))");
}

static void test_cast(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "CAST(a AS INT)", "(CAST a INT)");
    EXPR_IS(f, "CAST(a + 1 AS DECIMAL(10, 2))", "(CAST (+ a 1) DECIMAL(10,2))");
    EXPR_IS(f, "TRY_CAST(a AS VARCHAR(5))", "(TRY_CAST a VARCHAR(5))");
    EXPR_IS(f, "CAST(a AS TIMESTAMP(3) WITH LOCAL TIME ZONE)", "(CAST a TIMESTAMP(3) LTZ)");
    EXPR_IS(f, "cast(a as string)", "(CAST a string)");
}

static void test_functions(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "COUNT(*)", "(COUNT *)");
    EXPR_IS(f, "COUNT(DISTINCT a)", "(COUNT DISTINCT a)");
    EXPR_IS(f, "SUM(ALL a)", "(SUM a)");
    EXPR_IS(f, "ROUND(AVG(amount), 2)", "(ROUND (AVG amount) 2)");
    EXPR_IS(f, "now()", "(now)");
    EXPR_IS(f, "CONCAT(a, 'x', b)", "(CONCAT a 'x' b)");
}

static void test_substring_trim(void **state)
{
    Fx *f = *state;
    EXPR_IS(f, "SUBSTRING(s FROM 2)", "(SUBSTRING s 2)");
    EXPR_IS(f, "SUBSTRING(s FROM 2 FOR 3)", "(SUBSTRING s 2 3)");
    EXPR_IS(f, "SUBSTRING(s, 2, 3)", "(SUBSTRING s 2 3)");
    EXPR_IS(f, "substr(s FROM a + 1 FOR 2)", "(substr s (+ a 1) 2)");
    /* TRIM's arguments are (string, characters). */
    EXPR_IS(f, "TRIM(s)", "(TRIM BOTH s)");
    EXPR_IS(f, "TRIM(BOTH FROM s)", "(TRIM BOTH s)");
    EXPR_IS(f, "TRIM(LEADING FROM s)", "(TRIM LEADING s)");
    EXPR_IS(f, "TRIM(TRAILING 'x' FROM s)", "(TRIM TRAILING s 'x')");
    EXPR_IS(f, "TRIM('x' FROM s)", "(TRIM BOTH s 'x')");
    EXPR_IS(f, "TRIM(BOTH ' ' FROM s)", "(TRIM BOTH s ' ')");
}

static void test_substring_trim_errors(void **state)
{
    Fx *f = *state;
    assert_int_equal(parse(f, "SELECT UPPER(a FROM b) FROM t"), DIAG_SYNTAX);
    assert_int_equal(f->diag.offset, 7);
    assert_string_equal(f->diag.msg, "only SUBSTRING, TRIM and EXTRACT take FROM inside their parentheses");
    assert_int_equal(parse(f, "SELECT SUBSTRING(LEADING a FROM b) FROM t"), DIAG_SYNTAX);
    assert_int_equal(f->diag.offset, 7);
    assert_int_equal(parse(f, "SELECT TRIM(a FROM b FOR 2) FROM t"), DIAG_SYNTAX);
    assert_string_equal(f->diag.msg, "TRIM takes no FOR clause");
}

static void test_expression_positions(void **state)
{
    Fx *f = *state;
    /*             0         1         2
                   0123456789012345678901234567 */
    AstStmt *s = parse1(f, "SELECT a + b * c, f(x) FROM t");
    AstExpr *e = s->query->items[0]->expr;
    assert_int_equal(e->pos, 9);          /* the operator */
    assert_int_equal(e->end, 16);
    assert_int_equal(e->a->pos, 7);
    assert_int_equal(e->b->pos, 13);
    AstExpr *g = s->query->items[1]->expr;
    assert_int_equal(g->pos, 18);
    assert_int_equal(g->end, 22);
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */

static void test_create_table(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f,
                        "CREATE TABLE IF NOT EXISTS orders (\n"
                        "  id BIGINT NOT NULL,\n"
                        "  amount DECIMAL(10, 2),\n"
                        "  doubled AS amount * 2,\n"
                        "  ts TIMESTAMP(3) WITH LOCAL TIME ZONE METADATA FROM 'timestamp' VIRTUAL,\n"
                        "  part INT METADATA,\n"
                        "  region STRING PRIMARY KEY NOT ENFORCED,\n"
                        "  PRIMARY KEY (id, region) NOT ENFORCED,\n"
                        "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND\n"
                        ") WITH ('topic' = 'o', 'k' = 'it''s')");
    assert_int_equal(s->kind, STMT_CREATE_TABLE);
    assert_true(s->if_exists);
    assert_string_equal(s->name, "orders");
    assert_int_equal(s->pos, 0);
    assert_int_equal(s->name_pos, 27);
    assert_int_equal(s->nelems, 8);

    AstTableElem **el = s->elems;
    assert_int_equal(el[0]->kind, TE_COLUMN);
    assert_string_equal(el[0]->col->name, "id");
    assert_string_equal(el[0]->col->type.name, "BIGINT");
    assert_true(el[0]->col->not_null);
    assert_false(el[0]->col->pk);

    assert_string_equal(el[1]->col->type.name, "DECIMAL");
    assert_int_equal(el[1]->col->type.nparams, 2);
    assert_int_equal(el[1]->col->type.p1, 10);
    assert_int_equal(el[1]->col->type.p2, 2);
    assert_false(el[1]->col->not_null);

    assert_non_null(el[2]->col->computed);
    assert_int_equal(el[2]->col->computed->kind, AX_BINARY);
    assert_int_equal(el[2]->col->computed->op, OP_MUL);

    assert_true(el[3]->col->metadata);
    assert_true(el[3]->col->type.ltz);
    assert_int_equal(el[3]->col->type.p1, 3);
    assert_string_equal(el[3]->col->meta_key, "timestamp");
    assert_true(el[3]->col->virtual_);

    assert_true(el[4]->col->metadata);
    assert_null(el[4]->col->meta_key);
    assert_false(el[4]->col->virtual_);

    assert_true(el[5]->col->pk);
    assert_false(el[5]->col->pk_enforced);

    assert_int_equal(el[6]->kind, TE_PRIMARY_KEY);
    assert_int_equal(el[6]->nnames, 2);
    assert_string_equal(el[6]->names[0], "id");
    assert_string_equal(el[6]->names[1], "region");
    assert_false(el[6]->enforced);

    assert_int_equal(el[7]->kind, TE_WATERMARK);
    assert_string_equal(el[7]->wm_col, "ts");
    assert_int_equal(el[7]->wm_expr->op, OP_SUB);
    assert_int_equal(el[7]->wm_expr->b->lit, LIT_INTERVAL);

    assert_int_equal(s->nopts, 2);
    assert_string_equal(s->opts[0]->key, "topic");
    assert_string_equal(s->opts[0]->value, "o");
    assert_string_equal(s->opts[1]->key, "k");
    assert_string_equal(s->opts[1]->value, "it's");
}

static void test_create_table_minimal(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f, "create table t (a int)");
    assert_int_equal(s->kind, STMT_CREATE_TABLE);
    assert_false(s->if_exists);
    assert_int_equal(s->nelems, 1);
    assert_int_equal(s->nopts, 0);
    /* PRIMARY KEY without NOT ENFORCED parses (the binder rejects it). */
    s = parse1(f, "CREATE TABLE t (a INT, PRIMARY KEY (a))");
    assert_true(s->elems[1]->enforced);
    s = parse1(f, "CREATE TABLE t (a INT PRIMARY KEY)");
    assert_true(s->elems[0]->col->pk_enforced);
}

static void test_drop_table(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f, "DROP TABLE t");
    assert_int_equal(s->kind, STMT_DROP_TABLE);
    assert_false(s->if_exists);
    assert_string_equal(s->name, "t");
    s = parse1(f, "DROP TABLE IF EXISTS `odd name`");
    assert_true(s->if_exists);
    assert_string_equal(s->name, "odd name");
    assert_int_equal(s->name_pos, 21);
}

static void test_insert(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f, "INSERT INTO sink SELECT a, b FROM src");
    assert_int_equal(s->kind, STMT_INSERT);
    assert_string_equal(s->name, "sink");
    assert_int_equal(s->name_pos, 12);
    assert_int_equal(s->ncols, 0);
    assert_non_null(s->query);
    assert_int_equal(s->query->nitems, 2);
    assert_string_equal(s->query->from.table, "src");

    s = parse1(f, "INSERT INTO sink (x, y) SELECT a, b FROM src");
    assert_int_equal(s->ncols, 2);
    assert_string_equal(s->cols[0], "x");
    assert_string_equal(s->cols[1], "y");
    assert_int_equal(s->colpos[0], 18);
    assert_int_equal(s->colpos[1], 21);
}

static void test_select_clauses(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f,
                        "SELECT DISTINCT region AS r, COUNT(*) n, t.* FROM orders AS t "
                        "WHERE amount > 0 GROUP BY region, user_id HAVING COUNT(*) > 1 LIMIT 10");
    AstSelect *q = s->query;
    assert_int_equal(s->kind, STMT_SELECT);
    assert_true(q->distinct);
    assert_int_equal(q->nitems, 3);
    assert_string_equal(q->items[0]->alias, "r");
    assert_string_equal(q->items[1]->alias, "n");
    assert_true(q->items[2]->star);
    assert_string_equal(q->items[2]->star_qual, "t");
    assert_null(q->items[2]->expr);
    assert_string_equal(q->from.table, "orders");
    assert_string_equal(q->from.alias, "t");
    assert_non_null(q->where);
    assert_int_equal(q->ngroupby, 2);
    assert_non_null(q->having);
    assert_int_equal(q->limit, 10);
    assert_int_equal(q->groupby_pos, 79);

    s = parse1(f, "SELECT * FROM t");
    q = s->query;
    assert_false(q->distinct);
    assert_int_equal(q->nitems, 1);
    assert_true(q->items[0]->star);
    assert_null(q->items[0]->star_qual);
    assert_null(q->from.alias);
    assert_null(q->where);
    assert_int_equal(q->ngroupby, 0);
    assert_null(q->having);
    assert_int_equal(q->limit, -1);

    s = parse1(f, "SELECT ALL a FROM t x");
    assert_false(s->query->distinct);
    assert_string_equal(s->query->from.alias, "x");
}

static void test_subquery(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f, "SELECT r FROM (SELECT region AS r FROM orders) AS sub WHERE r <> 'x'");
    AstSelect *q = s->query;
    assert_null(q->from.table);
    assert_non_null(q->from.sub);
    assert_string_equal(q->from.alias, "sub");
    assert_int_equal(q->from.pos, 14);
    assert_string_equal(q->from.sub->from.table, "orders");
    s = parse1(f, "SELECT * FROM (SELECT * FROM (SELECT a FROM t))");
    assert_non_null(s->query->from.sub->from.sub);
    assert_null(s->query->from.alias);
}

static void test_session_statements(void **state)
{
    Fx *f = *state;
    assert_int_equal(parse(f,
                           "SET; SET 'pipeline.name' = 'it''s'; RESET; RESET 'a.b'; SHOW TABLES; SHOW JOBS;\n"
                           "STOP JOB 'j1'; DESCRIBE t; DESC `u`; EXPLAIN SELECT a FROM t;"),
                     0);
    assert_int_equal(f->stmts.n, 10);
    AstStmt **v = (AstStmt **)f->stmts.v;
    assert_int_equal(v[0]->kind, STMT_SET);
    assert_null(v[0]->key);
    assert_int_equal(v[1]->kind, STMT_SET);
    assert_string_equal(v[1]->key, "pipeline.name");
    assert_string_equal(v[1]->value, "it's");
    assert_int_equal(v[1]->name_pos, 9);
    assert_int_equal(v[1]->value_pos, 27);
    assert_int_equal(v[2]->kind, STMT_RESET);
    assert_null(v[2]->key);
    assert_int_equal(v[3]->kind, STMT_RESET);
    assert_string_equal(v[3]->key, "a.b");
    assert_int_equal(v[4]->kind, STMT_SHOW_TABLES);
    assert_int_equal(v[5]->kind, STMT_SHOW_JOBS);
    assert_int_equal(v[6]->kind, STMT_STOP_JOB);
    assert_string_equal(v[6]->name, "j1");
    assert_int_equal(v[7]->kind, STMT_DESCRIBE);
    assert_string_equal(v[7]->name, "t");
    assert_int_equal(v[8]->kind, STMT_DESCRIBE);
    assert_string_equal(v[8]->name, "u");
    assert_int_equal(v[9]->kind, STMT_EXPLAIN);
    assert_non_null(v[9]->inner);
    assert_int_equal(v[9]->inner->kind, STMT_SELECT);
    /* Statement offsets: the first token of each. */
    assert_int_equal(v[0]->pos, 0);
    assert_int_equal(v[1]->pos, 5);
    assert_int_equal(v[6]->pos, 80);
    AstStmt *sj = parse1(f, "SHOW JOB 'j2'");
    assert_int_equal(sj->kind, STMT_SHOW_JOB);
    assert_string_equal(sj->name, "j2");
    /* DESCRIBE JOB is SHOW JOB; DESCRIBE job without a string a table's name */
    AstStmt *dj = parse1(f, "DESCRIBE JOB 'j2'");
    assert_int_equal(dj->kind, STMT_SHOW_JOB);
    assert_string_equal(dj->name, "j2");
    dj = parse1(f, "desc job 3");
    assert_int_equal(dj->kind, STMT_SHOW_JOB);
    assert_string_equal(dj->name, "3");
    dj = parse1(f, "DESCRIBE job");
    assert_int_equal(dj->kind, STMT_DESCRIBE);
    assert_string_equal(dj->name, "job");
    dj = parse1(f, "DESC Job");
    assert_int_equal(dj->kind, STMT_DESCRIBE);
    assert_string_equal(dj->name, "Job");
}

static void test_explain_insert(void **state)
{
    Fx *f = *state;
    AstStmt *s = parse1(f, "EXPLAIN INSERT INTO s SELECT * FROM t");
    assert_int_equal(s->kind, STMT_EXPLAIN);
    assert_int_equal(s->inner->kind, STMT_INSERT);
    assert_string_equal(s->inner->name, "s");
}

static void test_semicolons(void **state)
{
    Fx *f = *state;
    /* The last statement may omit its ';'. */
    assert_int_equal(parse(f, "SHOW TABLES; DESCRIBE t"), 0);
    assert_int_equal(f->stmts.n, 2);
    assert_int_equal(((AstStmt *)f->stmts.v[1])->kind, STMT_DESCRIBE);
    /* ...also after a trailing comment. */
    assert_int_equal(parse(f, "SHOW TABLES -- done"), 0);
    assert_int_equal(f->stmts.n, 1);
    /* Empty statements are skipped. */
    assert_int_equal(parse(f, ";; SHOW TABLES;;; SHOW JOBS;"), 0);
    assert_int_equal(f->stmts.n, 2);
    /* A text of empty statements holds none and is no error. */
    assert_int_equal(parse(f, ";"), 0);
    assert_int_equal(f->stmts.n, 0);
    assert_int_equal(parse(f, " -- nothing\n ; /* here */ ;"), 0);
    assert_int_equal(f->stmts.n, 0);
}

/* An empty text, or one of only blanks and comments, holds no statements
 * and is no error, as ";" (it used to be "unexpected end of input"). */
static void test_empty_text(void **state)
{
    Fx *f = *state;
    assert_int_equal(parse(f, ""), 0);
    assert_int_equal(f->stmts.n, 0);
    assert_int_equal(parse(f, "  -- nothing\n /* here */ "), 0);
    assert_int_equal(f->stmts.n, 0);
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    assert_int_equal(eddy_compile(e, "-- only a comment\n", 18, "c.sql", &s), EDDY_OK);
    assert_int_equal(eddy_script_count(s), 0);
    eddy_script_free(s);
    eddy_engine_free(e);
}

static void test_keywords_as_names(void **state)
{
    Fx *f = *state;
    /* Non-reserved words fall back to identifiers. */
    AstStmt *s = parse1(f, "SELECT key, time, `select`, tables, jobs, zone, `date` FROM metadata");
    assert_int_equal(s->query->nitems, 7);
    assert_string_equal(s->query->items[0]->expr->name, "key");
    assert_string_equal(s->query->items[1]->expr->name, "time");
    assert_string_equal(s->query->items[2]->expr->name, "select");
    assert_string_equal(s->query->items[6]->expr->name, "date");
    assert_string_equal(s->query->from.table, "metadata");
    s = parse1(f, "CREATE TABLE t (key STRING, `value` STRING, time TIMESTAMP(3), date DATE, timestamp TIMESTAMP(3))");
    assert_int_equal(s->nelems, 5);
    assert_string_equal(s->elems[0]->col->name, "key");
    assert_string_equal(s->elems[3]->col->name, "date");
    assert_string_equal(s->elems[4]->col->name, "timestamp");
    /* As in Flink, DATE and TIMESTAMP in an expression start a typed
     * literal: a column with that name must be quoted there. */
    assert_int_equal(parse(f, "SELECT date FROM t"), DIAG_SYNTAX);
}

static void test_parse_is_complete(void **state)
{
    (void)state;
    assert_true(parse_is_complete("SELECT 1;", 9));
    assert_false(parse_is_complete("SELECT 1", 8));
    assert_false(parse_is_complete(";", 1));
    assert_false(parse_is_complete("SELECT ';", 9));
    assert_true(parse_is_complete("SELECT ';'; -- x", 16));
    assert_false(parse_is_complete("SELECT 1; /* open", 17));
    assert_false(parse_is_complete("", 0));
}

/* ------------------------------------------------------------------ */
/* Syntax errors                                                       */

static void err_is(Fx *f, const char *src, int offset, const char *msg)
{
    int rc = parse(f, src);
    if (rc != DIAG_SYNTAX) fail_msg("\"%s\": code %d, want a syntax error", src, rc);
    if (f->diag.offset != offset || strcmp(f->diag.msg, msg) != 0)
        fail_msg("\"%s\": error at %d \"%s\", want at %d \"%s\"", src, f->diag.offset, f->diag.msg, offset, msg);
}

static void test_syntax_errors(void **state)
{
    Fx *f = *state;
    err_is(f, "SELECT FROM t", 7, "near \"FROM\": syntax error");
    err_is(f, "SELECT a FROM", 13, "unexpected end of input");
    err_is(f, "SELECT a FROM t WHERE", 21, "unexpected end of input");
    err_is(f, "SELECT a FROM t WHERE a = ;", 26, "near \";\": syntax error");
    err_is(f, "SELECT a FROM t WHERE a =", 25, "unexpected end of input");
}

static void test_syntax_errors_more(void **state)
{
    Fx *f = *state;
    err_is(f, "CREATE TABLE t (a INT,)", 22, "near \")\": syntax error");
    err_is(f, "CREATE TABLE t (a INT) WITH ('k' = 1)", 35, "near \"1\": syntax error");
    err_is(f, "SELECT a b c FROM t", 11, "near \"c\": syntax error");
    err_is(f, "SELECT a FROM t GROUP region", 22, "near \"region\": syntax error");
    err_is(f, "SELEC a FROM t", 0, "near \"SELEC\": syntax error");
    err_is(f, "SELECT (a FROM t", 10, "near \"FROM\": syntax error");
    err_is(f, "SELECT a FROM t; SELECT b FROM", 30, "unexpected end of input");
    err_is(f, "SELECT a FROM t;\nSELECT * * FROM t;", 26, "near \"*\": syntax error");
    err_is(f, "SELECT CASE END FROM t", 12, "near \"END\": syntax error");
    err_is(f, "SELECT a FROM t LIMIT 99999999999999999999", 22, "LIMIT must be a non-negative integer");
    err_is(f, "SELECT CAST(a AS DECIMAL(99999999999, 2)) FROM t", 25, "expected a small integer, got 99999999999");
    /* Lexical errors surface with the lexer's message and offset. */
    err_is(f, "SELECT 'abc FROM t", 7, "unterminated string literal");
    err_is(f, "SELECT a FROM t /* x", 16, "unterminated /* comment");
    err_is(f, "SELECT a @ b FROM t", 9, "unexpected character '@'");
    err_is(f, "SELECT a \x01 b FROM t", 9, "unexpected character (byte 0x01)");
    err_is(f, "SELECT a \xc3\xa9 FROM t", 9, "unexpected character (byte 0xc3)");
}

static void test_syntax_error_long_token(void **state)
{
    Fx *f = *state;
    char src[200];
    snprintf(src, sizeof src, "SELECT a FROM t %s", "'0123456789012345678901234567890123456789012345678901234567890123456789'");
    assert_int_equal(parse(f, src), DIAG_SYNTAX);
    assert_int_equal(f->diag.offset, 16);
    /* The token is quoted, cut to 40 bytes. */
    assert_string_equal(f->diag.msg, "near \"'012345678901234567890123456789012345678\": syntax error");
}

static void test_embedded_nul_via_api(void **state)
{
    (void)state;
    eddy_engine *e = eddy_engine_new();
    static const char sql[] = "SHOW TABLES;\0SHOW TABLES;";
    eddy_script *s = (eddy_script *)1;
    int rc = eddy_compile(e, sql, sizeof sql - 1, "nul.sql", &s);
    assert_int_equal(rc, EDDY_ESYNTAX);
    assert_null(s);
    assert_int_equal(eddy_errline(e), 1);
    assert_int_equal(eddy_errcol(e), 13);
    assert_string_equal(eddy_errmsg(e), "unexpected character (byte 0x00)");
    eddy_engine_free(e);
}

static void test_error_line_col_via_api(void **state)
{
    (void)state;
    eddy_engine *e = eddy_engine_new();
    const char *sql = "SHOW TABLES;\n\nSELECT a,\n       FROM t;";
    eddy_script *s;
    assert_int_equal(eddy_compile(e, sql, strlen(sql), "x.sql", &s), EDDY_ESYNTAX);
    assert_int_equal(eddy_errline(e), 4);
    assert_int_equal(eddy_errcol(e), 8);
    assert_string_equal(eddy_errmsg(e), "near \"FROM\": syntax error");
    assert_string_equal(eddy_errtext(e), "x.sql:4:8: error: near \"FROM\": syntax error\n       FROM t;\n       ^\n");
    /* At the end of the text, the caret is just after the last token. */
    sql = "SELECT a\nFROM  \n\n-- comment\n";
    assert_int_equal(eddy_compile(e, sql, strlen(sql), NULL, &s), EDDY_ESYNTAX);
    assert_string_equal(eddy_errmsg(e), "unexpected end of input");
    assert_int_equal(eddy_errline(e), 2);
    assert_int_equal(eddy_errcol(e), 5);
    assert_string_equal(eddy_errtext(e), "<input>:2:5: error: unexpected end of input\nFROM  \n    ^\n");
    /* Columns count characters, not bytes. */
    sql = "SELECT '\xc3\xa9t\xc3\xa9' x y FROM t";
    assert_int_equal(eddy_compile(e, sql, strlen(sql), NULL, &s), EDDY_ESYNTAX);
    assert_int_equal(eddy_errline(e), 1);
    assert_int_equal(eddy_errcol(e), 16);
    assert_string_equal(eddy_errtext(e), "<input>:1:16: error: near \"y\": syntax error\n"
                                         "SELECT '\xc3\xa9t\xc3\xa9' x y FROM t\n               ^\n");
    eddy_engine_free(e);
}

int main(void)
{

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_precedence_logic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_arith, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unary_minus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_like_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_substring_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_substring_trim_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expression_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_table_minimal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_clauses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subquery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_semicolons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keywords_as_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_is_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_long_token, setup, teardown),
        cmocka_unit_test(test_embedded_nul_via_api),
        cmocka_unit_test(test_error_line_col_via_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
