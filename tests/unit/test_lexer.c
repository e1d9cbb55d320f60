/*
 * test_lexer.c — unit tests of the re2c tokenizer (grammar/lexer.re).
 *
 * Each test scans a small text with lex_next and checks token codes
 * (TK_* from the generated parser.h), byte offsets and lengths: keywords
 * in any case, identifiers plain and `back-quoted`, strings with '' escapes,
 * comments, the three kinds of number, operators, and the errors (an
 * unterminated string, identifier or comment, a character that starts no
 * token, an embedded NUL byte).  The lexer needs a NUL after the text, so
 * every input is a C string literal (or a buffer ending in NUL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lex.h"
#include "parser.h"

#define MAXTOK 64

/* Every token of a text up to the end (code 0) or the first error. */
typedef struct Scan {
    int         code[MAXTOK]; /* token codes, the last one 0 or LEX_ERROR */
    Token       tok[MAXTOK];  /* the tokens */
    int         n;            /* count, the terminating one included */
    const char *err;          /* the lexer's message after LEX_ERROR */
} Scan;

static void scan_n(Scan *s, const char *src, int len)
{
    Lexer lx;
    memset(s, 0, sizeof *s);
    lex_init(&lx, src, len);
    while (s->n < MAXTOK) {
        int c = lex_next(&lx, &s->tok[s->n]);
        s->code[s->n++] = c;
        if (c <= 0) break;
    }
    s->err = lx.err;
}

static void scan(Scan *s, const char *src) { scan_n(s, src, (int)strlen(src)); }

/* Asserts token i has the given code, offset and length. */
static void tok_is(const Scan *s, int i, int code, int pos, int n)
{
    assert_true(i < s->n);
    if (s->code[i] != code)
        fail_msg("token %d at offset %d: got code %d, want %d", i, s->tok[i].pos, s->code[i], code);
    assert_int_equal(s->tok[i].pos, pos);
    assert_int_equal(s->tok[i].n, n);
}

/* The single token of a text (followed by the end). */
static int one(const char *src, int *len)
{
    Scan s;
    scan(&s, src);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.code[1], 0);
    if (len) *len = s.tok[0].n;
    return s.code[0];
}

static void test_simple_statement(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "SELECT a FROM t;");
    assert_int_equal(s.n, 6);
    tok_is(&s, 0, TK_SELECT, 0, 6);
    tok_is(&s, 1, TK_ID, 7, 1);
    tok_is(&s, 2, TK_FROM, 9, 4);
    tok_is(&s, 3, TK_ID, 14, 1);
    tok_is(&s, 4, TK_SEMI, 15, 1);
    /* The end: code 0, empty, at the end of the text. */
    tok_is(&s, 5, 0, 16, 0);
    assert_null(s.err);
}

static void test_empty_and_blank(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "");
    assert_int_equal(s.n, 1);
    tok_is(&s, 0, 0, 0, 0);
    scan(&s, " \t\r\n\f\v ");
    assert_int_equal(s.n, 1);
    tok_is(&s, 0, 0, 7, 0);
}

static void test_positions_across_lines(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "SELECT\n  x,\n\ty\nFROM t");
    tok_is(&s, 0, TK_SELECT, 0, 6);
    tok_is(&s, 1, TK_ID, 9, 1);
    tok_is(&s, 2, TK_COMMA, 10, 1);
    tok_is(&s, 3, TK_ID, 13, 1);
    tok_is(&s, 4, TK_FROM, 15, 4);
    tok_is(&s, 5, TK_ID, 20, 1);
    tok_is(&s, 6, 0, 21, 0);
}

static void test_keywords_case_insensitive(void **state)
{
    (void)state;
    static const struct { const char *text; int code; } kw[] = {
        {"select", TK_SELECT},   {"SELECT", TK_SELECT},     {"SeLeCt", TK_SELECT},  {"from", TK_FROM},
        {"Where", TK_WHERE},     {"GROUP", TK_GROUP},       {"by", TK_BY},          {"HAVING", TK_HAVING},
        {"and", TK_AND},         {"Or", TK_OR},             {"nOt", TK_NOT},        {"NULL", TK_NULL},
        {"between", TK_BETWEEN}, {"in", TK_IN},             {"LIKE", TK_LIKE},      {"case", TK_CASE},
        {"WHEN", TK_WHEN},       {"then", TK_THEN},         {"else", TK_ELSE},      {"END", TK_END},
        {"cast", TK_CAST},       {"Try_Cast", TK_TRY_CAST}, {"distinct", TK_DISTINCT},
        {"create", TK_CREATE},   {"TABLE", TK_TABLE},       {"insert", TK_INSERT},  {"INTO", TK_INTO},
        {"primary", TK_PRIMARY}, {"KEY", TK_KEY},           {"enforced", TK_ENFORCED},
        {"watermark", TK_WATERMARK}, {"interval", TK_INTERVAL}, {"Timestamp", TK_TIMESTAMP},
        {"metadata", TK_METADATA}, {"virtual", TK_VIRTUAL}, {"explain", TK_EXPLAIN}, {"describe", TK_DESCRIBE},
        {"desc", TK_DESC},       {"set", TK_SET},           {"RESET", TK_RESET},    {"show", TK_SHOW},
        {"tables", TK_TABLES},   {"JOBS", TK_JOBS},         {"job", TK_JOB},        {"stop", TK_STOP},
        {"both", TK_BOTH},       {"LEADING", TK_LEADING},   {"trailing", TK_TRAILING},
        {"true", TK_TRUE},       {"FALSE", TK_FALSE},       {"limit", TK_LIMIT},    {"date", TK_DATE},
    };
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
        int len;
        int code = one(kw[i].text, &len);
        if (code != kw[i].code) fail_msg("'%s' lexed as %d, want %d", kw[i].text, code, kw[i].code);
        assert_int_equal(len, (int)strlen(kw[i].text));
    }
}

static void test_identifiers(void **state)
{
    (void)state;
    int len;
    /* A keyword prefix does not make a keyword: the longest match wins. */
    assert_int_equal(one("selected", &len), TK_ID);
    assert_int_equal(len, 8);
    assert_int_equal(one("fromage", NULL), TK_ID);
    assert_int_equal(one("_x1$y", &len), TK_ID);
    assert_int_equal(len, 5);
    assert_int_equal(one("Region", NULL), TK_ID);
    /* A digit ends an ident only where it cannot continue one. */
    Scan s;
    scan(&s, "1abc");
    tok_is(&s, 0, TK_INTEGER, 0, 1);
    tok_is(&s, 1, TK_ID, 1, 3);
}

static void test_backticks(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "`my col` `a``b` `select`");
    tok_is(&s, 0, TK_ID, 0, 8);
    tok_is(&s, 1, TK_ID, 9, 6);      /* `` is a back-quote inside, not the end */
    tok_is(&s, 2, TK_ID, 16, 8);     /* a quoted keyword is an identifier */
    tok_is(&s, 3, 0, 24, 0);
    scan(&s, "`````");                /* one escaped back-quote: the name is ` */
    tok_is(&s, 0, TK_ID, 0, 4);
    /* ...followed by an opening quote with no end */
    tok_is(&s, 1, LEX_ERROR, 4, 1);
}

static void test_backtick_errors(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "SELECT `abc");
    tok_is(&s, 1, LEX_ERROR, 7, 1);
    assert_string_equal(s.err, "unterminated or empty `identifier`");
    scan(&s, "SELECT ``");
    tok_is(&s, 1, LEX_ERROR, 7, 2);
    assert_string_equal(s.err, "unterminated or empty `identifier`");
}

static void test_strings(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "'abc' 'it''s' '' ''''");
    tok_is(&s, 0, TK_STRING, 0, 5);
    tok_is(&s, 1, TK_STRING, 6, 7);
    tok_is(&s, 2, TK_STRING, 14, 2);
    tok_is(&s, 3, TK_STRING, 17, 4);  /* a string holding one quote */
    tok_is(&s, 4, 0, 21, 0);
    /* Strings may span lines and hold comment markers. */
    scan(&s, "'a\n-- b /* c'");
    tok_is(&s, 0, TK_STRING, 0, 13);
    tok_is(&s, 1, 0, 13, 0);
}

static void test_unterminated_string(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "SELECT 'abc");
    tok_is(&s, 0, TK_SELECT, 0, 6);
    tok_is(&s, 1, LEX_ERROR, 7, 1);
    assert_string_equal(s.err, "unterminated string literal");
    /* 'it' is a whole string; the quote after it opens another. */
    scan(&s, "SELECT 'it''s");
    tok_is(&s, 1, TK_STRING, 7, 4);
    tok_is(&s, 2, LEX_ERROR, 11, 1);
    assert_string_equal(s.err, "unterminated string literal");
}

static void test_comments(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "-- a comment\nSELECT /* block\n comment */ 1 -- trailing");
    tok_is(&s, 0, TK_SELECT, 13, 6);
    tok_is(&s, 1, TK_INTEGER, 41, 1);
    tok_is(&s, 2, 0, 54, 0);
    scan(&s, "/***/x/* a ** b */y/*/ */z");
    tok_is(&s, 0, TK_ID, 5, 1);
    tok_is(&s, 1, TK_ID, 18, 1);
    tok_is(&s, 2, TK_ID, 25, 1);
    /* "--" is always a comment, so a-- b is a then the end. */
    scan(&s, "a--b\nc");
    tok_is(&s, 0, TK_ID, 0, 1);
    tok_is(&s, 1, TK_ID, 5, 1);
    /* A lone minus is still an operator. */
    scan(&s, "a - -b");
    tok_is(&s, 1, TK_MINUS, 2, 1);
    tok_is(&s, 2, TK_MINUS, 4, 1);
}

static void test_unterminated_comment(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "SELECT /* never closed");
    tok_is(&s, 1, LEX_ERROR, 7, 2);
    assert_string_equal(s.err, "unterminated /* comment");
    scan(&s, "x /* almost *");
    tok_is(&s, 1, LEX_ERROR, 2, 2);
    assert_string_equal(s.err, "unterminated /* comment");
}

static void test_numbers(void **state)
{
    (void)state;
    int len;
    assert_int_equal(one("42", &len), TK_INTEGER);
    assert_int_equal(len, 2);
    assert_int_equal(one("007", NULL), TK_INTEGER);
    assert_int_equal(one("3.14", &len), TK_DECIMAL);
    assert_int_equal(len, 4);
    assert_int_equal(one("2.675", NULL), TK_DECIMAL);
    assert_int_equal(one(".5", NULL), TK_DECIMAL);
    assert_int_equal(one("5.", NULL), TK_DECIMAL);
    assert_int_equal(one("1e10", &len), TK_FLOAT);
    assert_int_equal(len, 4);
    assert_int_equal(one("1E10", NULL), TK_FLOAT);
    assert_int_equal(one("1.5e-3", &len), TK_FLOAT);
    assert_int_equal(len, 6);
    assert_int_equal(one("2.E+7", NULL), TK_FLOAT);
    assert_int_equal(one(".5e2", NULL), TK_FLOAT);
    /* Numbers are unsigned: the sign is an operator. */
    Scan s;
    scan(&s, "-1");
    tok_is(&s, 0, TK_MINUS, 0, 1);
    tok_is(&s, 1, TK_INTEGER, 1, 1);
    /* An exponent needs digits: 1e is 1 then the identifier e. */
    scan(&s, "1e");
    tok_is(&s, 0, TK_INTEGER, 0, 1);
    tok_is(&s, 1, TK_ID, 1, 1);
    scan(&s, "1.2.3");
    tok_is(&s, 0, TK_DECIMAL, 0, 3);
    tok_is(&s, 1, TK_DECIMAL, 3, 2);
    scan(&s, "t.a");
    tok_is(&s, 0, TK_ID, 0, 1);
    tok_is(&s, 1, TK_DOT, 1, 1);
    tok_is(&s, 2, TK_ID, 2, 1);
}

static void test_operators(void **state)
{
    (void)state;
    Scan s;
    scan(&s, "( ) , ; . + - * / % || = == <> != < <= > >=");
    static const int want[] = {TK_LP, TK_RP, TK_COMMA, TK_SEMI, TK_DOT, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH,
                               TK_PERCENT, TK_CONCAT, TK_EQ, TK_EQ, TK_NE, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, 0};
    assert_int_equal(s.n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < s.n; i++) assert_int_equal(s.code[i], want[i]);
    /* No space needed between operators and operands. */
    scan(&s, "a<=b");
    tok_is(&s, 0, TK_ID, 0, 1);
    tok_is(&s, 1, TK_LE, 1, 2);
    tok_is(&s, 2, TK_ID, 3, 1);
    scan(&s, "a<>-1");
    tok_is(&s, 1, TK_NE, 1, 2);
    tok_is(&s, 2, TK_MINUS, 3, 1);
}

static void test_bad_characters(void **state)
{
    (void)state;
    static const char *const bad[] = {"@", "#", "?", "!", "|", "&", "^", "~", "{", "\"", ":", "\\", "\x80", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char src[32];
        snprintf(src, sizeof src, "SELECT %s", bad[i]);
        Scan s;
        scan(&s, src);
        assert_int_equal(s.n, 2);
        tok_is(&s, 0, TK_SELECT, 0, 6);
        if (s.code[1] != LEX_ERROR) fail_msg("'%s' is not an error", bad[i]);
        assert_int_equal(s.tok[1].pos, 7);
        assert_int_equal(s.tok[1].n, 1);
        assert_string_equal(s.err, "unexpected character");
    }
}

static void test_embedded_nul(void **state)
{
    (void)state;
    Scan s;
    /* A NUL before the end is an error, not the end of the text. */
    static const char a[] = "SELECT\0x";
    scan_n(&s, a, (int)sizeof a - 1);
    tok_is(&s, 0, TK_SELECT, 0, 6);
    tok_is(&s, 1, LEX_ERROR, 6, 1);
    assert_string_equal(s.err, "unexpected character");
    /* ...nor inside a string, a quoted identifier or a comment. */
    static const char b[] = "'ab\0cd'";
    scan_n(&s, b, (int)sizeof b - 1);
    assert_int_equal(s.code[0], LEX_ERROR);
    assert_int_equal(s.tok[0].pos, 0);
    static const char c[] = "`ab\0cd`";
    scan_n(&s, c, (int)sizeof c - 1);
    assert_int_equal(s.code[0], LEX_ERROR);
    assert_int_equal(s.tok[0].pos, 0);
    static const char d[] = "/* ab\0 */ x";
    scan_n(&s, d, (int)sizeof d - 1);
    assert_int_equal(s.code[0], LEX_ERROR);
    assert_string_equal(s.err, "unterminated /* comment");
    static const char e[] = "-- ab\0cd\nx";
    scan_n(&s, e, (int)sizeof e - 1);
    assert_int_equal(s.code[0], LEX_ERROR);
    assert_int_equal(s.tok[0].pos, 5);
    /* A NUL right at the end (the sentinel) is the end. */
    static const char f[] = "x";
    scan_n(&s, f, 1);
    tok_is(&s, 0, TK_ID, 0, 1);
    tok_is(&s, 1, 0, 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_statement),
        cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_positions_across_lines),
        cmocka_unit_test(test_keywords_case_insensitive),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_backticks),
        cmocka_unit_test(test_backtick_errors),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_unterminated_string),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_unterminated_comment),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_embedded_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
