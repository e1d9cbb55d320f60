/*
 * test_eval.c — unit tests of src/exec/eval.c, on expressions compiled from
 * real SQL: each case is `SELECT <expr> FROM t` parsed and bound by the
 * compiler (parse_script, bind_create_table, bind_query), evaluated over
 * one hand-made row of t, and printed with value_print (or shown as
 * "ERROR: <message>").  Cases are tables of {expression, expected text}
 * grouped by topic: arithmetic and overflow, DECIMAL, comparisons, three-
 * valued logic, IN, LIKE, CASE, every built-in scalar function, CAST and
 * TRY_CAST, temporal arithmetic; then the error position, eval_pred, the
 * arena (no writes into the input row) and result types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "catalog.h"
#include "eval.h"
#include "parse.h"

/* The table every expression reads from, and its one row. */
static const char *const table_sql =
    "CREATE TABLE t ("
    " i INT, b BIGINT, d DOUBLE, s STRING, dc DECIMAL(10, 2), dc3 DECIMAL(4, 3), bo BOOLEAN,"
    " ts TIMESTAMP(3), dt DATE, ltz TIMESTAMP_LTZ(3), ti TINYINT, si SMALLINT, f FLOAT, bt BYTES,"
    " ni INT, ns STRING, nd DOUBLE, nb BOOLEAN, ndc DECIMAL(10, 2),"
    " neg INT, z INT, bigd DECIMAL(18, 0), amt DOUBLE, sp STRING, fa BOOLEAN);";

enum { C_I, C_B, C_D, C_S, C_DC, C_DC3, C_BO, C_TS, C_DT, C_LTZ, C_TI, C_SI, C_F, C_BT,
       C_NI, C_NS, C_ND, C_NB, C_NDC, C_NEG, C_Z, C_BIGD, C_AMT, C_SP, C_FA, NCOLS };

typedef struct Env {
    Catalog cat;          /* holds t */
    Arena   plan;         /* statements and bound expressions */
    Arena   batch;        /* computed strings */
    Value   row[NCOLS];   /* the row of t */
    char    s_buf[16];    /* backing store of column s, to check it is never written */
    char    out[512];     /* last result text */
    EvalCtx ctx;          /* last evaluation's context */
    int     rc;           /* last eval_expr result */
} Env;

static Env *env;

static Value vi(int64_t i) { Value v = {0}; v.i = i; return v; }
static Value vd(double d) { Value v = {0}; v.d = d; return v; }
static Value vs(const char *s, int n) { Value v = {0}; v.s = s; v.n = n; return v; }
static Value vnull(void) { Value v = {0}; v.null = 1; return v; }

static int setup(void **state)
{
    (void)state;
    env = calloc(1, sizeof *env);
    catalog_init(&env->cat);
    arena_init(&env->plan, 1 << 16);
    arena_init(&env->batch, 1 << 12);
    Arena ast;
    arena_init(&ast, 1 << 14);
    PtrList stmts = {0};
    Diag d;
    diag_clear(&d);
    if (parse_script(&ast, table_sql, (int)strlen(table_sql), &stmts, &d)) fail_msg("CREATE TABLE: %s", d.msg);
    CatTable *t;
    if (bind_create_table(&env->cat, stmts.v[0], &d, &t)) fail_msg("CREATE TABLE: %s", d.msg);
    catalog_add(&env->cat, t);
    arena_free(&ast);

    memcpy(env->s_buf, "h\xc3\xa9llo", 6);   /* 'héllo' */
    Value *r = env->row;
    r[C_I] = vi(7);
    r[C_B] = vi(10000000000LL);
    r[C_D] = vd(2.5);
    r[C_S] = vs(env->s_buf, 6);
    r[C_DC] = vi(12345);                     /* 123.45 */
    r[C_DC3] = vi(1005);                     /* 1.005 */
    r[C_BO] = vi(1);
    r[C_TS] = vi(1706695200123LL);           /* 2024-01-31 10:00:00.123 */
    r[C_DT] = vi(19753);                     /* 2024-01-31 */
    r[C_LTZ] = vi(1706695200000LL);          /* 2024-01-31 10:00:00.000 UTC */
    r[C_TI] = vi(100);
    r[C_SI] = vi(30000);
    r[C_F] = vd(0.5);
    r[C_BT] = vs("\x01\xff", 2);
    r[C_NI] = vnull();
    r[C_NS] = vnull();
    r[C_ND] = vnull();
    r[C_NB] = vnull();
    r[C_NDC] = vnull();
    r[C_NEG] = vi(-7);
    r[C_Z] = vi(0);
    r[C_BIGD] = vi(999999999999999999LL);
    r[C_AMT] = vd(2.675);
    r[C_SP] = vs("  pad  ", 7);
    r[C_FA] = vi(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    catalog_free(&env->cat);
    arena_free(&env->plan);
    arena_free(&env->batch);
    free(env);
    return 0;
}

/* `SELECT <expr> FROM t` → the bound select item, or fails the test. */
static const BExpr *compile(const char *expr)
{
    char *sql = arena_printf(&env->plan, "SELECT %s FROM t;", expr);
    PtrList stmts = {0};
    Diag d;
    diag_clear(&d);
    if (parse_script(&env->plan, sql, (int)strlen(sql), &stmts, &d)) fail_msg("%s: syntax: %s", expr, d.msg);
    const AstStmt *st = stmts.v[0];
    BindCtx bc = {.arena = &env->plan, .catalog = &env->cat, .diag = &d};
    BQuery *q;
    if (bind_query(&bc, st->query, &q)) fail_msg("%s: bind: %s", expr, d.msg);
    assert_int_equal(q->nout, 1);
    return q->out[0];
}

/* Evaluates expr over the row; its text, or "ERROR: <message>". */
static const char *ev(const char *expr)
{
    const BExpr *e = compile(expr);
    memset(&env->ctx, 0, sizeof env->ctx);
    env->ctx.arena = &env->batch;
    env->ctx.errpos = -1;
    Value v;
    memset(&v, 0xA5, sizeof v);   /* results must not depend on the output's old contents */
    env->rc = eval_expr(e, env->row, &v, &env->ctx);
    if (env->rc) {
        snprintf(env->out, sizeof env->out, "ERROR: %s", env->ctx.err);
        return env->out;
    }
    StrBuf b = {0};
    value_print(&b, e->type, &v);
    snprintf(env->out, sizeof env->out, "%s", b.s ? b.s : "");
    sb_free(&b);
    if (v.null && !e->type.nullable) fail_msg("%s: NULL from an expression typed NOT NULL", expr);
    return env->out;
}

static const char *ev_type(const char *expr)
{
    static char buf[64];
    StrBuf b = {0};
    type_print(&b, compile(expr)->type);
    snprintf(buf, sizeof buf, "%s", b.s);
    sb_free(&b);
    return buf;
}

typedef struct Case {
    const char *expr;     /* SQL expression over t */
    const char *want;     /* printed result; "ERROR: …" matches a prefix of the error */
} Case;

static void run_cases(const Case *cases, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const char *got = ev(cases[i].expr);
        bool ok = strncmp(cases[i].want, "ERROR:", 6) == 0 ? strncmp(got, cases[i].want, strlen(cases[i].want)) == 0
                                                           : strcmp(got, cases[i].want) == 0;
        if (!ok) {
            print_error("  %-60s got [%s], want [%s]\n", cases[i].expr, got, cases[i].want);
            bad++;
        }
    }
    if (bad) fail_msg("%d case(s) failed", bad);
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

/* ------------------------------------------------------------------ */

static void test_literals_and_columns(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"i", "7"}, {"b", "10000000000"}, {"d", "2.5"}, {"s", "héllo"}, {"dc", "123.45"},
        {"dc3", "1.005"}, {"bo", "TRUE"}, {"ts", "2024-01-31 10:00:00.123"}, {"dt", "2024-01-31"},
        {"ltz", "2024-01-31 10:00:00.000"}, {"f", "0.5"}, {"bt", "x'01ff'"}, {"ni", "NULL"},
        {"42", "42"}, {"3000000000", "3000000000"}, {"1.50", "1.50"}, {"1e3", "1000.0"}, {"'x''y'", "x'y"},
        {"TRUE", "TRUE"}, {"FALSE", "FALSE"}, {"NULL", "NULL"}, {"DATE '2024-02-29'", "2024-02-29"},
        {"TIMESTAMP '2024-01-31 10:00:00'", "2024-01-31 10:00:00"},
    };
    RUN(cases);
}

static void test_integer_arithmetic(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"1 + 2", "3"}, {"i + b", "10000000007"}, {"i - 10", "-3"}, {"i * 6", "42"},
        {"7 / 2", "3"}, {"-7 / 2", "-3"}, {"7 / -2", "-3"}, {"neg / 2", "-3"},
        {"7 % 3", "1"}, {"-7 % 3", "-1"}, {"7 % -3", "1"},
        {"i / z", "ERROR: division by zero"}, {"i % z", "ERROR: division by zero"},
        {"b / 0", "ERROR: division by zero"},
        /* Java wrap-around in the result type's width */
        {"2147483647 + 1", "-2147483648"}, {"CAST(-2147483648 AS INT) / -1", "-2147483648"},
        {"9223372036854775807 + 1", "-9223372036854775808"}, {"ti + ti", "-56"}, {"si + si", "-5536"}, {"si * 2", "60000"},
        {"-i", "-7"}, {"-neg", "7"}, {"- -i", "7"},
        {"ni + 1", "NULL"}, {"1 - ni", "NULL"}, {"ni / z", "NULL"},
        {"i * d", "17.5"}, {"i + f", "7.5"},
    };
    RUN(cases);
}

static void test_double_arithmetic(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"1e-1 + 2e-1", "0.30000000000000004"}, {"d * 2", "5.0"}, {"d / 0", "Infinity"},
        {"-d / 0", "-Infinity"}, {"CAST(0 AS DOUBLE) / 0", "NaN"}, {"d / 4", "0.625"},
        {"d % 1", "0.5"}, {"amt * 100", "267.5"}, {"1e-1 * 3", "0.30000000000000004"}, {"dc + d", "125.95"},
        {"1e300 * 1e300", "Infinity"}, {"nd * 2", "NULL"}, {"-d", "-2.5"},
        {"f * f", "0.25"}, {"f + 0.1", "0.6"}, {"CAST(0.1 AS FLOAT) = 0.1", "TRUE"},
        {"CAST(0.1 AS FLOAT) = CAST(0.1 AS DOUBLE)", "FALSE"}, {"CAST(16777217 AS FLOAT)", "1.6777216E7"},
        {"CAST(16777216 AS FLOAT) = 16777217", "TRUE"},
    };
    RUN(cases);
}

static void test_decimal_arithmetic(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"0.1 + 0.2", "0.3"}, {"dc + 1", "124.45"}, {"dc - 200", "-76.55"}, {"dc3 + dc", "124.455"},
        {"dc * dc3", "124.06725"}, {"dc * 2", "246.90"}, {"dc / 3", "41.1500000000000"},
        {"1.0 / 3", "0.333333333333"}, {"2.0 / 3", "0.666666666667"}, {"-2.0 / 3", "-0.666666666667"},
        {"dc / dc3", "122.8358209"}, {"dc % 10", "3.45"}, {"-dc % 10", "-3.45"},
        {"dc / 0", "ERROR: division by zero"}, {"dc % 0", "ERROR: division by zero"},
        {"bigd + 1", "ERROR: DECIMAL overflow"}, {"bigd * bigd", "ERROR: DECIMAL overflow"},
        {"bigd - 1", "999999999999999998"}, {"-bigd - 1", "ERROR: DECIMAL overflow"},
        {"-dc", "-123.45"}, {"ndc + 1", "NULL"}, {"dc * ndc", "NULL"},
        {"i + dc", "130.45"}, {"b * 1.5", "15000000000.0"},
    };
    RUN(cases);
    assert_string_equal(ev_type("dc + 1"), "DECIMAL(13, 2)");
    assert_string_equal(ev_type("dc * dc3"), "DECIMAL(15, 5)");
    assert_string_equal(ev_type("1.0 / 3"), "DECIMAL(13, 12) NOT NULL");
}

static void test_comparisons(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"i = 7", "TRUE"}, {"i <> 7", "FALSE"}, {"i < 8", "TRUE"}, {"i <= 7", "TRUE"}, {"i > 7", "FALSE"},
        {"i >= 8", "FALSE"}, {"i = 7.0", "TRUE"}, {"i = 7.01", "FALSE"}, {"b > i", "TRUE"},
        {"dc = 123.450", "TRUE"}, {"dc3 = 1.005", "TRUE"}, {"dc3 < d", "TRUE"}, {"dc > d", "TRUE"},
        {"dc3 < 1.0051", "TRUE"}, {"i = d", "FALSE"}, {"d = 2.5", "TRUE"}, {"f = 0.5", "TRUE"},
        {"s = 'héllo'", "TRUE"}, {"'a' < 'b'", "TRUE"}, {"'ab' < 'a'", "FALSE"}, {"'a' < 'ab'", "TRUE"},
        {"'é' > 'z'", "TRUE"}, {"'' < 'a'", "TRUE"}, {"bo = TRUE", "TRUE"}, {"bo > fa", "TRUE"},
        {"ts > TIMESTAMP '2024-01-31 10:00:00'", "TRUE"}, {"dt = DATE '2024-01-31'", "TRUE"},
        {"ni = 1", "NULL"}, {"ni = ni", "NULL"}, {"ns <> 'a'", "NULL"}, {"NULL = NULL", "NULL"},
        {"CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", "FALSE"},
        {"CAST('NaN' AS DOUBLE) <> CAST('NaN' AS DOUBLE)", "TRUE"},
        {"CAST('NaN' AS DOUBLE) > 1", "FALSE"},
        {"i BETWEEN 1 AND 10", "TRUE"}, {"i NOT BETWEEN 1 AND 10", "FALSE"},
        {"12 BETWEEN 10 AND NULL", "NULL"}, {"12 BETWEEN NULL AND 10", "FALSE"},
        {"12 NOT BETWEEN NULL AND 15", "NULL"}, {"12 NOT BETWEEN 15 AND NULL", "TRUE"},
    };
    RUN(cases);
}

static void test_three_valued_logic(void **state)
{
    (void)state;
    static const char *const v[3] = {"TRUE", "FALSE", "nb"};
    static const char *const and_t[3][3] = {{"TRUE", "FALSE", "NULL"}, {"FALSE", "FALSE", "FALSE"}, {"NULL", "FALSE", "NULL"}};
    static const char *const or_t[3][3] = {{"TRUE", "TRUE", "TRUE"}, {"TRUE", "FALSE", "NULL"}, {"TRUE", "NULL", "NULL"}};
    char expr[64];
    for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++) {
            snprintf(expr, sizeof expr, "%s AND %s", v[x], v[y]);
            if (strcmp(ev(expr), and_t[x][y]) != 0) fail_msg("%s = %s, want %s", expr, env->out, and_t[x][y]);
            snprintf(expr, sizeof expr, "%s OR %s", v[x], v[y]);
            if (strcmp(ev(expr), or_t[x][y]) != 0) fail_msg("%s = %s, want %s", expr, env->out, or_t[x][y]);
        }
    static const Case cases[] = {
        {"NOT TRUE", "FALSE"}, {"NOT FALSE", "TRUE"}, {"NOT nb", "NULL"}, {"NOT (i > 5)", "FALSE"},
        {"nb IS NULL", "TRUE"}, {"nb IS NOT NULL", "FALSE"}, {"nb IS TRUE", "FALSE"},
        {"nb IS NOT TRUE", "TRUE"}, {"nb IS FALSE", "FALSE"}, {"nb IS NOT FALSE", "TRUE"},
        {"bo IS TRUE", "TRUE"}, {"bo IS FALSE", "FALSE"}, {"bo IS NOT FALSE", "TRUE"}, {"bo IS NOT TRUE", "FALSE"},
        {"fa IS FALSE", "TRUE"}, {"i IS NULL", "FALSE"}, {"ns IS NULL", "TRUE"}, {"ni + 1 IS NOT NULL", "FALSE"},
        /* the right side is not evaluated once the left side decides */
        {"FALSE AND i / z = 1", "FALSE"}, {"TRUE OR i / z = 1", "TRUE"},
        {"TRUE AND i / z = 1", "ERROR: division by zero"},
    };
    RUN(cases);
}

static void test_in(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"1 IN (1, 2, NULL)", "TRUE"}, {"4 IN (1, 2, NULL)", "NULL"}, {"4 IN (1, 2, 3)", "FALSE"},
        {"1 NOT IN (1, 2, NULL)", "FALSE"}, {"4 NOT IN (1, 2, NULL)", "NULL"}, {"4 NOT IN (1, 2, 3)", "TRUE"},
        {"ni IN (1, 2)", "NULL"}, {"ni NOT IN (1, 2)", "NULL"}, {"i IN (7.0, 8)", "TRUE"}, {"i IN (b, 7)", "TRUE"},
        {"s IN ('a', 'héllo')", "TRUE"}, {"s IN ('a', 'hello')", "FALSE"}, {"d IN (2.5)", "TRUE"},
        {"dc IN (123.45, 1)", "TRUE"}, {"dt IN (DATE '2024-01-31')", "TRUE"},
    };
    RUN(cases);
}

static void test_like(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"'hello' LIKE 'h%'", "TRUE"}, {"'hello' LIKE '%ll%'", "TRUE"}, {"'hello' LIKE 'h_llo'", "TRUE"},
        {"'hello' LIKE 'h_lo'", "FALSE"}, {"s LIKE 'h_llo'", "TRUE"}, {"s LIKE 'h__llo'", "FALSE"},
        {"s LIKE '%é%'", "TRUE"}, {"'' LIKE '%'", "TRUE"}, {"'' LIKE '_'", "FALSE"}, {"'' LIKE ''", "TRUE"},
        {"'abc' LIKE 'abc'", "TRUE"}, {"'abc' LIKE 'ab'", "FALSE"}, {"'ab' LIKE 'abc'", "FALSE"},
        {"'abc' LIKE 'ABC'", "FALSE"}, {"'abc' NOT LIKE 'a%'", "FALSE"}, {"'abc' NOT LIKE 'b%'", "TRUE"},
        {"ns LIKE '%'", "NULL"}, {"'a' LIKE ns", "NULL"}, {"'aXbXc' LIKE '%b%c'", "TRUE"},
        {"'mississippi' LIKE '%iss%ppi'", "TRUE"}, {"'mississippi' LIKE 'm%issip%'", "TRUE"},
        {"'mississippi' LIKE '%x%'", "FALSE"}, {"'abc' LIKE 'a%%c'", "TRUE"}, {"'ab' LIKE 'a%b%'", "TRUE"},
        {"'a.c' LIKE 'a.c'", "TRUE"}, {"'abc' LIKE 'a.c'", "FALSE"}, {"'日本語' LIKE '日_語'", "TRUE"},
        {"'日本語' LIKE '___'", "TRUE"}, {"'日本語' LIKE '__'", "FALSE"}, {"'100%' LIKE '100%'", "TRUE"},
    };
    RUN(cases);
}

static void test_case(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"CASE WHEN i > 5 THEN 'big' ELSE 'small' END", "big"},
        {"CASE WHEN i > 50 THEN 'big' ELSE 'small' END", "small"},
        {"CASE WHEN nb THEN 1 ELSE 2 END", "2"}, {"CASE WHEN FALSE THEN 1 END", "NULL"},
        {"CASE i WHEN 1 THEN 'one' WHEN 7 THEN 'seven' END", "seven"},
        {"CASE i WHEN 1 THEN 'one' ELSE 'other' END", "other"},
        {"CASE ni WHEN 1 THEN 'one' ELSE 'other' END", "other"},
        {"CASE WHEN i > 5 THEN 1 ELSE 2.5 END", "1.0"}, {"CASE WHEN i > 5 THEN i ELSE b END", "7"},
        {"CASE WHEN i > 50 THEN d ELSE 1 END", "1.0"}, {"CASE WHEN i > 5 THEN ns ELSE 'x' END", "NULL"},
        {"CASE WHEN i / z > 1 THEN 1 ELSE 2 END", "ERROR: division by zero"},
        {"CASE WHEN TRUE THEN 1 ELSE i / z END", "1"},
    };
    RUN(cases);
}

static void test_coalesce_nullif(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"COALESCE(ni, 5)", "5"}, {"COALESCE(i, 5)", "7"}, {"COALESCE(ni, 2.5)", "2.5"}, {"COALESCE(i, 2.5)", "7.0"},
        {"COALESCE(ni, NULL)", "NULL"}, {"COALESCE(ns, 'x')", "x"}, {"COALESCE(NULL, ns, s)", "héllo"},
        {"COALESCE(nd, i)", "7.0"}, {"IFNULL(ni, 3)", "3"}, {"COALESCE(i, i / z)", "7"},
        {"NULLIF(5, 5)", "NULL"}, {"NULLIF(5, 0)", "5"}, {"NULLIF(i, 7.0)", "NULL"}, {"NULLIF(ni, 1)", "NULL"},
        {"NULLIF(1, ni)", "1"}, {"NULLIF(s, 'x')", "héllo"}, {"NULLIF(d, 2.5)", "NULL"},
    };
    RUN(cases);
    assert_string_equal(ev_type("COALESCE(ni, 5)"), "INT NOT NULL");
}

static void test_round(void **state)
{
    (void)state;
    static const Case cases[] = {
        /* DECIMAL: exact, HALF_UP */
        {"ROUND(2.675, 2)", "2.68"}, {"ROUND(-2.5)", "-3"}, {"ROUND(2.5)", "3"}, {"ROUND(0.5)", "1"},
        {"ROUND(-0.5)", "-1"}, {"ROUND(0.125, 2)", "0.13"}, {"ROUND(dc, 1)", "123.5"}, {"ROUND(dc, 0)", "123"},
        {"ROUND(dc, -1)", "120"}, {"ROUND(dc, -2)", "100"}, {"ROUND(dc, -3)", "0"}, {"ROUND(dc, 5)", "123.45"},
        {"ROUND(1234.5678, -2)", "1200"}, {"ROUND(-dc, 1)", "-123.5"}, {"ROUND(dc3, 2)", "1.01"},
        {"ROUND(ndc, 1)", "NULL"},
        /* DOUBLE: on the shortest decimal text, as BigDecimal.valueOf */
        {"ROUND(amt, 2)", "2.68"}, {"ROUND(CAST(1.005 AS DOUBLE), 2)", "1.01"},
        {"ROUND(CAST(-2.5 AS DOUBLE))", "-3.0"}, {"ROUND(CAST(0.5 AS DOUBLE), 0)", "1.0"},
        {"ROUND(CAST(0.125 AS DOUBLE), 2)", "0.13"}, {"ROUND(CAST(801.7 AS DOUBLE), 2)", "801.7"},
        {"ROUND(CAST(1234.5678 AS DOUBLE), -2)", "1200.0"}, {"ROUND(CAST(-0.001 AS DOUBLE), 2)", "0.0"},
        {"ROUND(1e300, 2)", "1.0E300"}, {"ROUND(1e-1 + 2e-1, 2)", "0.3"}, {"ROUND(d)", "3.0"},
        {"ROUND(CAST(2.5 AS FLOAT), 0)", "3.0"}, {"ROUND(nd, 2)", "NULL"},
        {"ROUND(CAST('Infinity' AS DOUBLE), 2)", "Infinity"}, {"ROUND(123456789.123456789e0, 4)", "1.234567891235E8"},
        /* integers: n >= 0 leaves them, n < 0 rounds to tens, hundreds, … */
        {"ROUND(1234, -2)", "1200"}, {"ROUND(1250, -2)", "1300"}, {"ROUND(-1250, -2)", "-1300"},
        {"ROUND(1249, -2)", "1200"}, {"ROUND(1234, 2)", "1234"}, {"ROUND(i)", "7"}, {"ROUND(i, -1)", "10"},
        {"ROUND(b, -10)", "10000000000"}, {"ROUND(ni, -1)", "NULL"},
    };
    RUN(cases);
    assert_string_equal(ev_type("ROUND(dc, 1)"), "DECIMAL(10, 1)");
    assert_string_equal(ev_type("ROUND(amt, 2)"), "DOUBLE");
}

static void test_numeric_functions(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"FLOOR(dc)", "123"}, {"CEIL(dc)", "124"}, {"FLOOR(-dc)", "-124"}, {"CEIL(-dc)", "-123"},
        {"FLOOR(d)", "2.0"}, {"CEIL(d)", "3.0"}, {"FLOOR(-d)", "-3.0"}, {"FLOOR(i)", "7"},
        {"CEILING(-2.5)", "-2"}, {"CEIL(2.0)", "2"}, {"FLOOR(ndc)", "NULL"}, {"CEIL(f)", "1.0"},
        {"ABS(neg)", "7"}, {"ABS(i)", "7"}, {"ABS(-dc)", "123.45"}, {"ABS(-d)", "2.5"}, {"ABS(ni)", "NULL"},
        {"ABS(CAST(-2147483648 AS INT))", "-2147483648"},
        {"MOD(7, 3)", "1"}, {"MOD(-7, 3)", "-1"}, {"MOD(7, -3)", "1"}, {"MOD(i, z)", "ERROR: division by zero"},
        {"MOD(dc, 100)", "23.45"}, {"MOD(5.5, 2)", "1.5"}, {"MOD(b, 3)", "1"}, {"MOD(ni, 3)", "NULL"},
        {"POWER(2, 10)", "1024.0"}, {"POWER(d, 2)", "6.25"}, {"POW(4, 0.5)", "2.0"}, {"POWER(2, -1)", "0.5"},
        {"POWER(ni, 2)", "NULL"},
    };
    RUN(cases);
}

static void test_string_functions(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"UPPER('abc')", "ABC"}, {"UPPER(s)", "HÉLLO"}, {"LOWER('ABC')", "abc"}, {"UPPER('ABC')", "ABC"},
        {"LOWER('ÀÉÎ ΑΒΓ ДЖ Ł')", "àéî αβγ дж ł"}, {"UPPER('àéî αβγ дж ł ÿ')", "ÀÉÎ ΑΒΓ ДЖ Ł Ÿ"},
        {"UPPER('straße')", "STRASSE"}, {"UPPER('ñandú')", "ÑANDÚ"}, {"UPPER(ns)", "NULL"},
        {"LOWER('İ')", "i\xcc\x87"}, {"UPPER('ıſµς')", "ISΜΣ"}, {"LOWER('ΜΣ')", "μσ"}, {"LOWER('ẞ')", "ß"},
        {"UPPER('āăąćĺľńňŋźżž')", "ĀĂĄĆĹĽŃŇŊŹŻŽ"}, {"LOWER('ĀĂĄĆĹĽŃŇŊŹŻŽŸ')", "āăąćĺľńňŋźżžÿ"},
        {"UPPER('ёђџѡҋӂӑạỳ')", "ЁЂЏѠҊӁӐẠỲ"}, {"LOWER('ЁЂЏѠҊӁӐẠỲ')", "ёђџѡҋӂӑạỳ"}, {"UPPER('άέήίόύώ')", "ΆΈΉΊΌΎΏ"},
        {"LOWER('ΆΈΉΊΌΎΏ')", "άέήίόύώ"}, {"UPPER('÷×')", "÷×"}, {"UPPER('\xff\xc3')", "\xff\xc3"}, {"UPPER('日本')", "日本"}, {"UPPER('')", ""},
        {"CONCAT('a', 'b', 'c')", "abc"}, {"CONCAT('a', ns)", "NULL"}, {"CONCAT(s)", "héllo"},
        {"CONCAT('1', '2', '3', '4', '5', '6', '7', '8', '9', '10')", "12345678910"},
        {"CONCAT_WS('~', 'AA', ns, 'BB', '', 'CC')", "AA~BB~~CC"}, {"CONCAT_WS(ns, 'a')", "NULL"},
        {"CONCAT_WS(',', ns)", ""}, {"CONCAT_WS(', ', 'a', 'b')", "a, b"},
        {"'a' || 'b'", "ab"}, {"'a' || ns", "NULL"}, {"s || '!'", "héllo!"},
        {"SUBSTRING('hello', 2)", "ello"}, {"SUBSTRING('hello', 2, 3)", "ell"},
        {"SUBSTRING('hello' FROM 2 FOR 3)", "ell"}, {"SUBSTRING('hello' FROM 3)", "llo"},
        {"SUBSTRING('hello', 0, 2)", "he"}, {"SUBSTRING('hello', 1, 2)", "he"}, {"SUBSTRING('hello', -3)", "llo"},
        {"SUBSTRING('hello', -3, 2)", "ll"}, {"SUBSTRING('hello', -10, 3)", ""}, {"SUBSTRING('hello', 10)", ""},
        {"SUBSTRING('hello', 6)", ""}, {"SUBSTRING('hello', 5)", "o"}, {"SUBSTRING('hello', 2, 0)", ""},
        {"SUBSTRING('hello', 2, neg)", "NULL"}, {"SUBSTRING(s, 2, 2)", "él"}, {"SUBSTR('hello', 5, 10)", "o"},
        {"SUBSTRING(ns, 1)", "NULL"}, {"SUBSTRING('hello', ni)", "NULL"}, {"SUBSTRING('', 1, 1)", ""},
        {"SUBSTRING('日本語', 2)", "本語"}, {"SUBSTRING('日本語', -1)", "語"}, {"SUBSTRING('hello', b)", ""},
        {"'[' || TRIM(sp) || ']'", "[pad]"}, {"'[' || TRIM(LEADING FROM sp) || ']'", "[pad  ]"},
        {"'[' || TRIM(TRAILING FROM sp) || ']'", "[  pad]"}, {"'[' || TRIM(BOTH FROM sp) || ']'", "[pad]"},
        {"TRIM(BOTH 'xy' FROM 'xyaxyx')", "a"}, {"TRIM('x' FROM 'xxaxx')", "a"}, {"TRIM('a' FROM 'aaa')", ""},
        {"TRIM(LEADING 'é' FROM 'ééaé')", "aé"}, {"TRIM(TRAILING 'é' FROM 'ééaé')", "ééa"},
        {"'[' || LTRIM(sp) || ']'", "[pad  ]"}, {"'[' || RTRIM(sp) || ']'", "[  pad]"},
        {"TRIM(ns)", "NULL"}, {"TRIM(ns FROM 'a')", "NULL"}, {"'[' || TRIM('   ') || ']'", "[]"},
        {"'[' || TRIM(' ' FROM ' a ') || ']'", "[a]"},
        {"CHAR_LENGTH(s)", "5"}, {"CHARACTER_LENGTH('')", "0"}, {"CHAR_LENGTH('日本語')", "3"},
        {"CHAR_LENGTH('😀a')", "2"}, {"CHAR_LENGTH(ns)", "NULL"}, {"CHAR_LENGTH(sp)", "7"},
    };
    RUN(cases);
}

static void test_to_timestamp_ltz(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"TO_TIMESTAMP_LTZ(1706695200, 0)", "2024-01-31 10:00:00.000"},
        {"TO_TIMESTAMP_LTZ(1706695200123, 3)", "2024-01-31 10:00:00.123"},
        {"TO_TIMESTAMP_LTZ(1706695200123)", "2024-01-31 10:00:00.123"},
        {"TO_TIMESTAMP_LTZ(ni, 0)", "NULL"}, {"TO_TIMESTAMP_LTZ(1.5, 0)", "1970-01-01 00:00:01.500"},
        {"TO_TIMESTAMP_LTZ(CAST(1.5 AS DOUBLE), 0)", "1970-01-01 00:00:01.500"},
        {"TO_TIMESTAMP_LTZ(-1, 3)", "1969-12-31 23:59:59.999"},
        {"TO_TIMESTAMP_LTZ(9223372036854775807, 0)", "ERROR: TO_TIMESTAMP_LTZ"},
    };
    RUN(cases);
}

static void test_cast(void **state)
{
    (void)state;
    static const Case cases[] = {
        /* STRING → numbers */
        {"CAST('42' AS INT)", "42"}, {"CAST(' 42 ' AS INT)", "42"}, {"CAST('-42' AS BIGINT)", "-42"},
        {"CAST('+5' AS INT)", "5"}, {"CAST('1.9' AS INT)", "1"}, {"CAST('-1.9' AS INT)", "-1"},
        {"CAST('abc' AS INT)", "ERROR: cannot cast 'abc' to INT"}, {"TRY_CAST('abc' AS INT)", "NULL"},
        {"CAST('2147483648' AS INT)", "ERROR: cannot cast"}, {"CAST('2147483647' AS INT)", "2147483647"},
        {"CAST('-9223372036854775808' AS BIGINT)", "-9223372036854775808"},
        {"CAST('9223372036854775808' AS BIGINT)", "ERROR: cannot cast"}, {"CAST('300' AS TINYINT)", "ERROR: cannot cast"},
        {"CAST('-128' AS TINYINT)", "-128"}, {"CAST('' AS INT)", "ERROR: cannot cast"}, {"CAST('-' AS INT)", "ERROR: cannot cast"},
        {"CAST('1e3' AS DOUBLE)", "1000.0"}, {"CAST(' 2.5 ' AS DOUBLE)", "2.5"}, {"CAST('NaN' AS DOUBLE)", "NaN"},
        {"CAST('-Infinity' AS DOUBLE)", "-Infinity"}, {"CAST('x' AS DOUBLE)", "ERROR: cannot cast 'x' to DOUBLE"},
        {"CAST('inf' AS DOUBLE)", "ERROR: cannot cast"}, {"CAST('1.5d' AS DOUBLE)", "1.5"}, {"CAST('0.1' AS FLOAT)", "0.1"},
        {"CAST('12.345' AS DECIMAL(5, 2))", "12.35"}, {"CAST('-12.345' AS DECIMAL(5, 2))", "-12.35"},
        {"CAST('12.344' AS DECIMAL(5, 2))", "12.34"}, {"CAST('1.5e2' AS DECIMAL(5, 2))", "150.00"},
        {"CAST('.5' AS DECIMAL(5, 2))", "0.50"}, {"CAST('000123' AS DECIMAL(3, 0))", "123"},
        {"CAST('1234.5' AS DECIMAL(5, 2))", "ERROR: DECIMAL overflow"}, {"TRY_CAST('1234.5' AS DECIMAL(5, 2))", "NULL"},
        {"CAST('1.2.3' AS DECIMAL(5, 2))", "ERROR: cannot cast"},
        /* BOOLEAN */
        {"CAST('TRUE' AS BOOLEAN)", "TRUE"}, {"CAST('yes' AS BOOLEAN)", "TRUE"}, {"CAST('t' AS BOOLEAN)", "TRUE"},
        {"CAST('0' AS BOOLEAN)", "FALSE"}, {"CAST('False' AS BOOLEAN)", "FALSE"},
        {"CAST('maybe' AS BOOLEAN)", "ERROR: cannot cast 'maybe' to BOOLEAN"}, {"TRY_CAST('maybe' AS BOOLEAN)", "NULL"},
        {"CAST(bo AS INT)", "1"}, {"CAST(fa AS DOUBLE)", "0.0"}, {"CAST(0 AS BOOLEAN)", "FALSE"},
        {"CAST(d AS BOOLEAN)", "TRUE"}, {"CAST(bo AS DECIMAL(3, 1))", "1.0"},
        /* → STRING, as printed */
        {"CAST(TRUE AS STRING)", "TRUE"}, {"CAST(d AS STRING)", "2.5"}, {"CAST(1e21 AS STRING)", "1.0E21"},
        {"CAST(dc AS STRING)", "123.45"}, {"CAST(i AS STRING)", "7"}, {"CAST(ts AS STRING)", "2024-01-31 10:00:00.123"},
        {"CAST(dt AS STRING)", "2024-01-31"}, {"CAST(f AS STRING)", "0.5"}, {"CAST(s AS STRING)", "héllo"},
        {"CAST('hello' AS VARCHAR(3))", "hel"}, {"CAST(s AS VARCHAR(2))", "hé"}, {"CAST(b AS VARCHAR(4))", "1000"},
        {"CAST(s AS BYTES)", "x'68c3a96c6c6f'"}, {"CAST(bt AS BYTES)", "x'01ff'"}, {"CAST('abc' AS VARBINARY(2))", "x'6162'"},
        {"CAST(ltz AS STRING)", "2024-01-31 10:00:00.000"}, {"CAST(ni AS STRING)", "NULL"},
        {"CHAR_LENGTH(CAST(b AS STRING))", "11"},
        /* dates and timestamps */
        {"CAST('2024-02-29' AS DATE)", "2024-02-29"}, {"CAST('2023-02-29' AS DATE)", "ERROR: cannot cast '2023-02-29' to DATE"},
        {"CAST('2024-1-5' AS DATE)", "2024-01-05"}, {"CAST('2024-01-31 10:00:00' AS DATE)", "2024-01-31"},
        {"CAST('2024-13-01' AS DATE)", "ERROR: cannot cast"}, {"TRY_CAST('nope' AS DATE)", "NULL"},
        {"CAST('2024-01-31 10:00:00' AS TIMESTAMP(3))", "2024-01-31 10:00:00.000"},
        {"CAST('2024-01-31T10:00:00.123456' AS TIMESTAMP(3))", "2024-01-31 10:00:00.123"},
        {"CAST('2024-01-31 10:00' AS TIMESTAMP(3))", "2024-01-31 10:00:00.000"},
        {"CAST('2024-01-31' AS TIMESTAMP(3))", "2024-01-31 00:00:00.000"},
        {"CAST('2024-01-31 25:00:00' AS TIMESTAMP)", "ERROR: cannot cast"},
        {"CAST('2024-01-31 10:00:00.5' AS TIMESTAMP_LTZ(3))", "2024-01-31 10:00:00.500"},
        {"CAST('2024-01-31 10:00:00.5' AS TIMESTAMP)", "2024-01-31 10:00:00.500000"},
        {"CAST(ts AS TIMESTAMP_LTZ(3))", "2024-01-31 10:00:00.123"}, {"CAST(ltz AS TIMESTAMP(3))", "2024-01-31 10:00:00.000"},
        {"CAST(ts AS DATE)", "2024-01-31"}, {"CAST(dt AS TIMESTAMP(3))", "2024-01-31 00:00:00.000"},
        {"CAST(ts AS TIMESTAMP(0))", "2024-01-31 10:00:00"}, {"CAST(CAST(ts AS TIMESTAMP(0)) AS TIMESTAMP(3))", "2024-01-31 10:00:00.000"},
        {"CAST(ts AS TIMESTAMP(1))", "2024-01-31 10:00:00.1"},
        {"TO_TIMESTAMP_LTZ(1706695200, 0)", "2024-01-31 10:00:00.000"},
        {"CAST(TIMESTAMP '1969-12-31 23:59:59.999' AS TIMESTAMP(0))", "1969-12-31 23:59:59"},
        /* between numbers */
        {"CAST(dc AS INT)", "123"}, {"CAST(-dc AS INT)", "-123"}, {"CAST(d AS INT)", "2"}, {"CAST(-2.9e0 AS INT)", "-2"},
        {"CAST(1e20 AS INT)", "2147483647"}, {"CAST(-1e20 AS BIGINT)", "-9223372036854775808"},
        {"CAST(CAST('NaN' AS DOUBLE) AS BIGINT)", "0"}, {"CAST(b AS INT)", "1410065408"}, {"CAST(300 AS TINYINT)", "44"},
        {"CAST(dc AS DECIMAL(10, 1))", "123.5"}, {"CAST(dc AS DECIMAL(4, 1))", "123.5"},
        {"CAST(dc AS DECIMAL(3, 1))", "ERROR: DECIMAL overflow"}, {"TRY_CAST(dc AS DECIMAL(3, 1))", "NULL"},
        {"CAST(dc AS DECIMAL(12, 4))", "123.4500"}, {"CAST(amt AS DECIMAL(10, 2))", "2.68"},
        {"CAST(d AS DECIMAL(10, 2))", "2.50"}, {"CAST(i AS DECIMAL(5, 2))", "7.00"}, {"CAST(i AS DECIMAL(2, 1))", "7.0"},
        {"CAST(b AS DECIMAL(5, 0))", "ERROR: DECIMAL overflow"}, {"CAST(1e-1 + 2e-1 AS DECIMAL(20, 17))", "0.30000000000000004"},
        {"CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(5, 2))", "ERROR: cannot cast NaN to DECIMAL(5, 2)"},
        {"CAST(dc AS DOUBLE)", "123.45"}, {"CAST(i AS DOUBLE)", "7.0"}, {"CAST(d AS FLOAT)", "2.5"},
        {"CAST(0.1 AS FLOAT)", "0.1"}, {"CAST(f AS DOUBLE)", "0.5"}, {"CAST(i AS BIGINT)", "7"},
        {"CAST(NULL AS INT)", "NULL"}, {"TRY_CAST(ns AS INT)", "NULL"}, {"CAST(ni AS DECIMAL(5, 2))", "NULL"},
        /* TRY_CAST hides only the conversion's own failure */
        {"TRY_CAST(i / z AS STRING)", "ERROR: division by zero"},
        {"COALESCE(TRY_CAST('non-number' AS INT), 0)", "0"},
    };
    RUN(cases);
    assert_string_equal(ev_type("TRY_CAST('1' AS INT)"), "INT");
    assert_string_equal(ev_type("CAST(i AS STRING)"), "STRING");
}

static void test_temporal_arithmetic(void **state)
{
    (void)state;
    static const Case cases[] = {
        {"ts + INTERVAL '1' HOUR", "2024-01-31 11:00:00.123"}, {"ts - INTERVAL '2' DAY", "2024-01-29 10:00:00.123"},
        {"ltz + INTERVAL '500' MILLISECOND", "2024-01-31 10:00:00.500"}, {"ts + INTERVAL '90' MINUTE", "2024-01-31 11:30:00.123"},
        {"INTERVAL '1' SECOND + ts", "2024-01-31 10:00:01.123"}, {"dt + INTERVAL '1' DAY", "2024-02-01"},
        {"dt - INTERVAL '1' HOUR", "2024-01-30"}, {"ts + INTERVAL '-5' SECOND", "2024-01-31 09:59:55.123"},
        {"ts - INTERVAL '14' DAY < ts", "TRUE"}, {"TO_TIMESTAMP_LTZ(ni, 3) + INTERVAL '1' DAY", "NULL"},
    };
    RUN(cases);
}

/* ------------------------------------------------------------------ */

static void test_error_position(void **state)
{
    (void)state;
    /* "SELECT " is 7 bytes: the '/' of "i + i / z" is at 7 + 6 */
    assert_string_equal(ev("i + i / z"), "ERROR: division by zero");
    assert_int_equal(env->rc, -1);
    assert_int_equal(env->ctx.errpos, 7 + 6);
    ev("1 + CAST('x' AS INT)");
    assert_int_equal(env->ctx.errpos, 7 + 4);
    /* a TRY_CAST that fails leaves no error behind */
    ev("TRY_CAST('x' AS INT)");
    assert_int_equal(env->rc, 0);
    assert_string_equal(env->ctx.err, "");
}

static void test_pred(void **state)
{
    (void)state;
    static const struct {
        const char *expr; /* a BOOLEAN expression */
        int         want; /* eval_pred's answer */
    } cases[] = {
        {"i > 5", 1}, {"i < 5", 0}, {"nb", 0}, {"NOT nb", 0}, {"i > 5 AND nb", 0}, {"i > 5 OR nb", 1},
        {"nb OR i > 5", 1}, {"nb AND FALSE", 0}, {"NOT (nb AND FALSE)", 1}, {"nb IS NULL", 1},
        {"i / z > 1", -1}, {"FALSE AND i / z > 1", 0}, {"i > 5 OR i / z > 1", 1},
        {"s LIKE 'h%' AND dc > 100 AND ts >= TIMESTAMP '2024-01-01 00:00:00'", 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const BExpr *e = compile(cases[k].expr);
        EvalCtx ctx = {.arena = &env->batch};
        int r = eval_pred(e, env->row, &ctx);
        if (r != cases[k].want) fail_msg("eval_pred(%s) = %d, want %d", cases[k].expr, r, cases[k].want);
    }
}

/* Computed strings live in the arena; the input row is never written. */
static void test_input_untouched(void **state)
{
    (void)state;
    Value before[NCOLS];
    memcpy(before, env->row, sizeof before);
    static const char *const exprs[] = {
        "UPPER(s)", "LOWER(s)", "TRIM('h' FROM s)", "SUBSTRING(s, 2)", "CONCAT(s, s)", "CAST(s AS VARCHAR(1))",
        "CAST(d AS STRING)", "s || 'x'", "CONCAT_WS('-', s, s)",
    };
    for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) ev(exprs[k]);
    assert_memory_equal(before, env->row, sizeof before);
    assert_memory_equal(env->s_buf, "h\xc3\xa9llo", 6);

    /* UPPER of a string that changes is a copy; one that does not is the input itself */
    const BExpr *e = compile("UPPER(s)");
    EvalCtx ctx = {.arena = &env->batch};
    Value v;
    assert_int_equal(eval_expr(e, env->row, &v, &ctx), 0);
    assert_ptr_not_equal(v.s, env->s_buf);
    e = compile("LOWER(s)");
    assert_int_equal(eval_expr(e, env->row, &v, &ctx), 0);
    assert_ptr_equal(v.s, env->s_buf);
    e = compile("SUBSTRING(s, 2)");
    assert_int_equal(eval_expr(e, env->row, &v, &ctx), 0);
    assert_ptr_equal(v.s, env->s_buf + 1);
}

static void test_types(void **state)
{
    (void)state;
    assert_string_equal(ev_type("i + b"), "BIGINT");
    assert_string_equal(ev_type("7 / 2"), "INT NOT NULL");
    assert_string_equal(ev_type("i * d"), "DOUBLE");
    assert_string_equal(ev_type("CHAR_LENGTH(s)"), "INT");
    assert_string_equal(ev_type("TO_TIMESTAMP_LTZ(b, 3)"), "TIMESTAMP_LTZ(3)");
    assert_string_equal(ev_type("i IN (1, 2)"), "BOOLEAN");
    assert_string_equal(ev_type("nb IS NULL"), "BOOLEAN NOT NULL");
}

/* Many rows through one expression: nothing is allocated per row unless a
 * string is built (checked under ASan/LSan by the arena being the only
 * owner), and the results stay right. */
static void test_many_rows(void **state)
{
    (void)state;
    const BExpr *e = compile("ROUND(d * 1.1 + CAST(i AS DOUBLE), 2)");
    const BExpr *p = compile("i % 3 = 0 AND s LIKE 'h%'");
    EvalCtx ctx = {.arena = &env->batch};
    Value row[NCOLS];
    memcpy(row, env->row, sizeof row);
    int hits = 0;
    for (int k = 0; k < 100000; k++) {
        row[C_I] = vi(k);
        row[C_D] = vd(k * 0.01);
        Value v;
        assert_int_equal(eval_expr(e, row, &v, &ctx), 0);
        /* ROUND works on the shortest decimal text, so it may differ
         * from the binary-based answer by one unit in the last place */
        double want = round((k * 0.01 * 1.1 + k) * 100) / 100;
        if (fabs(v.d - want) > 0.0100001) fail_msg("row %d: %.17g, want %.17g", k, v.d, want);
        hits += eval_pred(p, row, &ctx);
    }
    assert_int_equal(hits, 33334);
}

/* Arbitrary bytes (invalid UTF-8 included) through every string path:
 * nothing reads or writes out of bounds (ASan), results stay inside their
 * input or the arena, and errors are errors, never crashes. */
static void test_random_strings(void **state)
{
    (void)state;
    static const char *const exprs[] = {
        "UPPER(s)", "LOWER(s)", "CHAR_LENGTH(s)", "SUBSTRING(s, 2, 3)", "SUBSTRING(s, -2)", "TRIM(s)",
        "TRIM(BOTH 'a\xc3' FROM s)", "s LIKE '%_a%_'", "'x_y%' LIKE s", "TRY_CAST(s AS INT)", "TRY_CAST(s AS DOUBLE)",
        "TRY_CAST(s AS DECIMAL(10, 3))", "TRY_CAST(s AS DATE)", "TRY_CAST(s AS TIMESTAMP(3))", "TRY_CAST(s AS BOOLEAN)",
        "CAST(s AS VARCHAR(3))", "CONCAT_WS(s, s, s)", "s = 'abc'", "TRIM(s FROM 'abc')",
    };
    const BExpr *es[sizeof exprs / sizeof exprs[0]];
    for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) es[k] = compile(exprs[k]);
    static const char alphabet[] = "a_%01.-+eE: T\xc3\xa9\xff\x80\xe6\x97\xa5\xf0\x9f";
    Value row[NCOLS];
    memcpy(row, env->row, sizeof row);
    uint64_t x = 88172645463325252ULL;
    for (int it = 0; it < 20000; it++) {
        char *buf = malloc(16);   /* exactly the string: ASan sees any overread */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int n = (int)(x % 16);
        for (int j = 0; j < n; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[j] = alphabet[x % (sizeof alphabet - 1)];
        }
        char *exact = malloc((size_t)n + 1);
        memcpy(exact, buf, (size_t)n);
        free(buf);
        row[C_S] = vs(exact, n);
        for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) {
            EvalCtx ctx = {.arena = &env->batch};
            Value v;
            int rc = eval_expr(es[k], row, &v, &ctx);
            assert_true(rc == 0 || rc == -1);
            if (rc == 0 && !v.null && es[k]->type.kind == TY_STRING) {
                assert_true(v.n >= 0);
                for (int j = 0; j < v.n; j++) (void)*(volatile const char *)(v.s + j);
            }
        }
        free(exact);
        if (it % 1000 == 999) {   /* the batch arena is reset between batches */
            arena_free(&env->batch);
            arena_init(&env->batch, 1 << 12);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_columns),
        cmocka_unit_test(test_integer_arithmetic),
        cmocka_unit_test(test_double_arithmetic),
        cmocka_unit_test(test_decimal_arithmetic),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_three_valued_logic),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_coalesce_nullif),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_numeric_functions),
        cmocka_unit_test(test_string_functions),
        cmocka_unit_test(test_to_timestamp_ltz),
        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_temporal_arithmetic),
        cmocka_unit_test(test_error_position),
        cmocka_unit_test(test_pred),
        cmocka_unit_test(test_input_untouched),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_random_strings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
