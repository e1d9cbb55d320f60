/*
 * test_codec_json.c — the JSON codec (codec_json.c): decoding of every
 * column type, NULL and missing fields, escapes and UTF-8, skipping of
 * unknown and nested fields, every kind of malformed record, and encode →
 * decode round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* ---- helpers ----------------------------------------------------------------- */

typedef struct Fx {
    Arena arena;          /* strings made while decoding */
    char  err[256];       /* last error */
} Fx;

static int setup(void **state)
{
    Fx *fx = calloc(1, sizeof *fx);
    arena_init(&fx->arena, 1024);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    arena_free(&fx->arena);
    free(fx);
    return 0;
}

/* Decodes `json` into a single column of type t; returns json_decode's rc. */
static int dec1(Fx *fx, Type t, const char *json, Value *out)
{
    JsonField f = {"x", t, 0};
    JsonDecoder *d = json_decoder_new(&f, 1);
    fx->err[0] = 0;
    int rc = json_decode(d, json, strlen(json), out, &fx->arena, fx->err, sizeof fx->err);
    json_decoder_free(d);
    return rc;
}

/* {"x": <value>} into a column of type t. */
static int decv(Fx *fx, Type t, const char *value, Value *out)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "{\"x\":%s}", value);
    return dec1(fx, t, buf, out);
}

static Type T(TypeKind k) { return type_make(k, true); }

static void assert_str(const Value *v, const char *s)
{
    assert_false(v->null);
    assert_int_equal(v->n, (int)strlen(s));
    assert_memory_equal(v->s, s, strlen(s));
}

static void assert_err(Fx *fx, Type t, const char *value, const char *needle)
{
    Value v;
    if (decv(fx, t, value, &v) == 0) fail_msg("accepted %s", value);
    if (!strstr(fx->err, needle)) fail_msg("for %s: error '%s' lacks '%s'", value, fx->err, needle);
}

static void assert_bad(Fx *fx, const char *json, const char *needle)
{
    Value v[2];
    JsonField f[2] = {{"a", T(TY_INT), 0}, {"b", T(TY_STRING), 1}};
    JsonDecoder *d = json_decoder_new(f, 2);
    int rc = json_decode(d, json, strlen(json), v, &fx->arena, fx->err, sizeof fx->err);
    json_decoder_free(d);
    if (rc == 0) fail_msg("accepted '%s'", json);
    if (needle && !strstr(fx->err, needle)) fail_msg("for '%s': error '%s' lacks '%s'", json, fx->err, needle);
}

/* ---- decoding ------------------------------------------------------------------ */

static void test_reference_record(void **state)
{
    Fx *fx = *state;
    JsonField f[4] = {
        {"order_id", T(TY_BIGINT), 0},
        {"user_id", T(TY_INT), 1},
        {"amount", T(TY_DOUBLE), 2},
        {"region", T(TY_STRING), 3},
    };
    JsonDecoder *d = json_decoder_new(f, 4);
    const char *rec = "{\"order_id\":123,\"user_id\":42,\"amount\":123.45,\"region\":\"us-west\"}";
    Value v[4];
    /* Several times: the second and later use the learned field order. */
    for (int k = 0; k < 3; k++) {
        memset(v, 0xAB, sizeof v);
        assert_int_equal(json_decode(d, rec, strlen(rec), v, &fx->arena, fx->err, sizeof fx->err), 0);
        assert_false(v[0].null);
        assert_int_equal(v[0].i, 123);
        assert_int_equal(v[1].i, 42);
        assert_true(v[2].d == 123.45);
        assert_str(&v[3], "us-west");
        assert_ptr_equal(v[3].s, strstr(rec, "us-west"));   /* no copy */
    }
    /* Another order, whitespace, an unknown field. */
    const char *rec2 = " {\n \"region\" : \"eu\" , \"extra\": [1, {\"a\": null}], \"amount\": -0.5,\t\"order_id\": 7 } \n";
    assert_int_equal(json_decode(d, rec2, strlen(rec2), v, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_int_equal(v[0].i, 7);
    assert_true(v[1].null);   /* missing */
    assert_true(v[2].d == -0.5);
    assert_str(&v[3], "eu");
    json_decoder_free(d);
}

static void test_nulls_missing_slots(void **state)
{
    Fx *fx = *state;
    JsonField f[3] = {{"a", T(TY_INT), 2}, {"b", T(TY_STRING), 0}, {"c", T(TY_DOUBLE), -1}};
    JsonDecoder *d = json_decoder_new(f, 3);
    Value v[3];
    const char *j = "{\"a\":null,\"c\":1.5}";
    assert_int_equal(json_decode(d, j, strlen(j), v, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_true(v[2].null);
    assert_true(v[0].null);
    /* slot -1 is validated although not stored */
    j = "{\"c\":\"abc\"}";
    assert_int_equal(json_decode(d, j, strlen(j), v, &fx->arena, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "field 'c'"));
    /* empty object: everything NULL */
    j = "{}";
    v[1].null = 0;
    assert_int_equal(json_decode(d, j, strlen(j), v, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_true(v[0].null && v[2].null);
    /* duplicate keys: the last wins */
    j = "{\"a\":1,\"b\":\"x\",\"a\":2,\"b\":null}";
    assert_int_equal(json_decode(d, j, strlen(j), v, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_int_equal(v[2].i, 2);
    assert_true(v[0].null);
    json_decoder_free(d);

    /* two columns from the same field, and names that collide in length */
    JsonField g[4] = {{"k", T(TY_STRING), 0}, {"k", T(TY_INT), 1}, {"ab", T(TY_INT), 2}, {"ba", T(TY_INT), 3}};
    d = json_decoder_new(g, 4);
    j = "{\"ba\":2,\"k\":\"17\",\"ab\":1}";
    Value w[4];
    assert_int_equal(json_decode(d, j, strlen(j), w, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_str(&w[0], "17");
    assert_int_equal(w[1].i, 17);
    assert_int_equal(w[2].i, 1);
    assert_int_equal(w[3].i, 2);
    json_decoder_free(d);
}

static void test_integers(void **state)
{
    Fx *fx = *state;
    Value v;
    assert_int_equal(decv(fx, T(TY_BIGINT), "9223372036854775807", &v), 0);
    assert_true(v.i == INT64_MAX);
    assert_int_equal(decv(fx, T(TY_BIGINT), "-9223372036854775808", &v), 0);
    assert_true(v.i == INT64_MIN);
    assert_err(fx, T(TY_BIGINT), "9223372036854775808", "BIGINT out of range");
    assert_err(fx, T(TY_BIGINT), "-9223372036854775809", "out of range");
    assert_err(fx, T(TY_BIGINT), "123456789012345678901234567890", "out of range");
    assert_err(fx, T(TY_BIGINT), "10000000000000000000", "out of range");   /* 20 digits, exact zeros */
    assert_err(fx, T(TY_BIGINT), "-10000000000000000000", "out of range");
    assert_int_equal(decv(fx, T(TY_BIGINT), "1000000000000000000", &v), 0);
    assert_true(v.i == 1000000000000000000LL);
    assert_int_equal(decv(fx, T(TY_BIGINT), "-0", &v), 0);
    assert_true(v.i == 0);
    assert_int_equal(decv(fx, T(TY_BIGINT), "9223372036854775807.000", &v), 0);
    assert_true(v.i == INT64_MAX);
    assert_int_equal(decv(fx, T(TY_INT), "2147483647", &v), 0);
    assert_int_equal(v.i, 2147483647);
    assert_err(fx, T(TY_INT), "2147483648", "INT out of range");
    assert_int_equal(decv(fx, T(TY_TINYINT), "-128", &v), 0);
    assert_int_equal(v.i, -128);
    assert_err(fx, T(TY_TINYINT), "128", "TINYINT out of range");
    assert_err(fx, T(TY_SMALLINT), "40000", "SMALLINT out of range");
    /* integral values in other spellings; fractions rejected */
    assert_int_equal(decv(fx, T(TY_INT), "1.0", &v), 0);
    assert_int_equal(v.i, 1);
    assert_int_equal(decv(fx, T(TY_INT), "1e3", &v), 0);
    assert_int_equal(v.i, 1000);
    assert_int_equal(decv(fx, T(TY_INT), "-25E-1", &v), -1);
    assert_non_null(strstr(fx->err, "expected an integer"));
    assert_err(fx, T(TY_INT), "1.5", "field 'x': expected an integer, got 1.5");
    /* numeric strings, like Java's parseInt(trim()) */
    assert_int_equal(decv(fx, T(TY_INT), "\" 42 \"", &v), 0);
    assert_int_equal(v.i, 42);
    assert_int_equal(decv(fx, T(TY_BIGINT), "\"+7\"", &v), 0);
    assert_int_equal(v.i, 7);
    assert_err(fx, T(TY_INT), "\"abc\"", "field 'x': expected an integer, got \"abc\"");
    assert_err(fx, T(TY_INT), "\"\"", "expected an integer");
    assert_err(fx, T(TY_INT), "true", "expected a value of the column's type");
    assert_err(fx, T(TY_INT), "{\"a\":1}", "not an object");
    assert_err(fx, T(TY_INT), "[1]", "not an array");
    /* booleans */
    assert_int_equal(decv(fx, T(TY_BOOLEAN), "true", &v), 0);
    assert_int_equal(v.i, 1);
    assert_int_equal(decv(fx, T(TY_BOOLEAN), "false", &v), 0);
    assert_int_equal(v.i, 0);
    assert_int_equal(decv(fx, T(TY_BOOLEAN), "\"TRUE\"", &v), 0);
    assert_int_equal(v.i, 1);
    assert_err(fx, T(TY_BOOLEAN), "1", "BOOLEAN");
    assert_err(fx, T(TY_BOOLEAN), "\"yes\"", "expected a boolean");
    /* TIMESTAMP_LTZ from epoch milliseconds */
    assert_int_equal(decv(fx, T(TY_TIMESTAMP_LTZ), "1706695200123", &v), 0);
    assert_true(v.i == 1706695200123LL);
}

static void test_doubles_match_strtod(void **state)
{
    Fx *fx = *state;
    Value v;
    const char *cases[] = {
        "0", "-0", "-0.0", "1", "123.45", "0.1", "0.3", "1e22", "1e23", "1.7976931348623157e308",
        "4.9e-324", "2.2250738585072014e-308", "9007199254740993", "9007199254740992",
        "123456789012345678901234567890", "0.000000000000000000000000000001", "1e-400", "3.14159265358979323846",
        "-12345.6789e-3", "1E+2", "89255.0e-22", "7.038531e-26",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(decv(fx, T(TY_DOUBLE), cases[i], &v), 0);
        double want = strtod(cases[i], NULL);
        if (memcmp(&v.d, &want, 8) != 0) fail_msg("%s: got %.17g want %.17g", cases[i], v.d, want);
    }
    /* Random short decimals, the shape of real data, bit-exact against strtod. */
    unsigned seed = 7;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned a = seed >> 4;
        seed = seed * 1103515245u + 12345u;
        int fd = (int)(seed >> 28) % 9, ex = (int)((seed >> 8) % 61) - 30;
        if (i % 3 == 0) snprintf(buf, sizeof buf, "%u.%0*u", a % 100000, fd ? fd : 1, (seed >> 5) % 1000000);
        else snprintf(buf, sizeof buf, "%s%u.%ue%d", i & 1 ? "-" : "", a, seed % 1000, ex);
        assert_int_equal(decv(fx, T(TY_DOUBLE), buf, &v), 0);
        double want = strtod(buf, NULL);
        if (memcmp(&v.d, &want, 8) != 0) fail_msg("%s: got %.17g want %.17g", buf, v.d, want);
    }
    /* strings: numbers and Java's special values */
    assert_int_equal(decv(fx, T(TY_DOUBLE), "\"NaN\"", &v), 0);
    assert_true(isnan(v.d));
    assert_int_equal(decv(fx, T(TY_DOUBLE), "\"-Infinity\"", &v), 0);
    assert_true(isinf(v.d) && v.d < 0);
    assert_int_equal(decv(fx, T(TY_DOUBLE), "\" 2.5 \"", &v), 0);
    assert_true(v.d == 2.5);
    assert_err(fx, T(TY_DOUBLE), "\"2.5x\"", "expected a number");
    assert_err(fx, T(TY_DOUBLE), "NaN", "expected a value");
    /* FLOAT rounds once, from the text */
    assert_int_equal(decv(fx, T(TY_FLOAT), "0.1", &v), 0);
    assert_true(v.d == (double)0.1f);
    assert_int_equal(decv(fx, T(TY_FLOAT), "16777217", &v), 0);
    assert_true(v.d == 16777216.0);
}

static void test_decimals(void **state)
{
    Fx *fx = *state;
    Value v;
    Type d102 = type_decimal(10, 2, true);
    struct {
        const char *in;
        int64_t want;
    } ok[] = {
        {"1.005", 101}, {"-1.005", -101}, {"1.004", 100}, {"1.0049999", 100}, {"123.45", 12345},
        {"1e2", 10000}, {"0.000001", 0}, {"0.005", 1}, {"-0.004", 0}, {"\"12.5\"", 1250},
        {"12345678.99", 1234567899}, {"99999999.994", 9999999999}, {"5E-3", 1}, {"0", 0},
        {"1234567.8e1", 1234567800},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (decv(fx, d102, ok[i].in, &v)) fail_msg("%s: %s", ok[i].in, fx->err);
        if (v.i != ok[i].want) fail_msg("%s: got %lld want %lld", ok[i].in, (long long)v.i, (long long)ok[i].want);
    }
    assert_err(fx, d102, "123456789.00", "does not fit DECIMAL(10, 2)");
    assert_err(fx, d102, "99999999.995", "does not fit DECIMAL(10, 2)");
    assert_err(fx, d102, "1e10", "does not fit");
    assert_err(fx, d102, "1e999999999999", "does not fit");
    assert_err(fx, d102, "\"abc\"", "expected a decimal number");
    Type d380 = type_decimal(38, 0, true);
    assert_int_equal(decv(fx, d380, "999999999999999999", &v), 0);
    assert_true(v.i == 999999999999999999LL);
    assert_err(fx, d380, "1000000000000000000", "eddy's 18 digits");
    assert_int_equal(decv(fx, d380, "1e-999999999999", &v), 0);
    assert_int_equal(v.i, 0);
    Type d3818 = type_decimal(38, 18, true);
    assert_int_equal(decv(fx, d3818, "0.123456789012345678", &v), 0);
    assert_true(v.i == 123456789012345678LL);
}

static void test_strings_and_escapes(void **state)
{
    Fx *fx = *state;
    Value v;
    Type s = T(TY_STRING);
    assert_int_equal(decv(fx, s, "\"a\\nb\\\"c\\\\d\\/e\\tf\\b\\f\\r\"", &v), 0);
    assert_str(&v, "a\nb\"c\\d/e\tf\b\f\r");
    assert_int_equal(decv(fx, s, "\"caf\\u00e9 \\u20AC\"", &v), 0);
    assert_str(&v, "caf\xc3\xa9 \xe2\x82\xac");
    assert_int_equal(decv(fx, s, "\"\\ud83d\\ude00!\"", &v), 0);   /* surrogate pair → U+1F600 */
    assert_str(&v, "\xf0\x9f\x98\x80!");
    assert_int_equal(decv(fx, s, "\"x\\ud83dy\"", &v), 0);           /* unpaired → U+FFFD */
    assert_str(&v, "x\xef\xbf\xbdy");
    assert_int_equal(decv(fx, s, "\"\\ude00\"", &v), 0);
    assert_str(&v, "\xef\xbf\xbd");
    assert_int_equal(decv(fx, s, "\"\\u0000\"", &v), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.s[0], 0);
    /* raw UTF-8 passes through, no copy */
    assert_int_equal(decv(fx, s, "\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"", &v), 0);
    assert_str(&v, "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
    /* a long string crosses the 8-byte scanner */
    char big[3000], want[3000];
    int n = 0;
    big[n++] = '"';
    for (int i = 0; i < 2000; i++) big[n++] = (char)('a' + i % 26);
    big[n++] = '"';
    big[n] = 0;
    memcpy(want, big + 1, 2000);
    want[2000] = 0;
    assert_int_equal(decv(fx, s, big, &v), 0);
    assert_str(&v, want);
    /* non-strings into STRING: their JSON text */
    assert_int_equal(decv(fx, s, "-12.50e3", &v), 0);
    assert_str(&v, "-12.50e3");
    assert_int_equal(decv(fx, s, "true", &v), 0);
    assert_str(&v, "true");
    assert_int_equal(decv(fx, s, "{\"a\":[1,2]}", &v), 0);
    assert_str(&v, "{\"a\":[1,2]}");
    assert_int_equal(decv(fx, s, "{ \"a b\" : [ 1 , 2 ] ,\n\"c\":\"x \\\" y\" }", &v), 0);
    assert_str(&v, "{\"a b\":[1,2],\"c\":\"x \\\" y\"}");
    /* escaped field names match */
    Value w;
    assert_int_equal(dec1(fx, T(TY_INT), "{\"\\u0078\":5}", &w), 0);
    assert_int_equal(w.i, 5);
    /* bad strings */
    assert_err(fx, s, "\"a\\qb\"", "invalid escape");
    assert_err(fx, s, "\"\\u12G4\"", "invalid \\u escape");
    assert_err(fx, s, "\"\\u12\"", "invalid \\u escape");
    assert_err(fx, s, "\"a\x01\"", "control character");
    assert_err(fx, s, "\"\xc3\x28\"", "invalid UTF-8");
    assert_err(fx, s, "\"\xed\xa0\x80\"", "invalid UTF-8");   /* encoded surrogate */
    assert_err(fx, s, "\"\xc0\xaf\"", "invalid UTF-8");       /* overlong */
    assert_err(fx, s, "\"\xf4\x90\x80\x80\"", "invalid UTF-8");   /* > U+10FFFF */
    assert_err(fx, s, "\"\xe6\x97\"", "invalid UTF-8");           /* truncated sequence */
}

static void test_temporal_and_bytes(void **state)
{
    Fx *fx = *state;
    Value v;
    assert_int_equal(decv(fx, T(TY_DATE), "\"1970-01-01\"", &v), 0);
    assert_int_equal(v.i, 0);
    assert_int_equal(decv(fx, T(TY_DATE), "\"2024-01-31\"", &v), 0);
    assert_int_equal(v.i, 19753);
    assert_int_equal(decv(fx, T(TY_DATE), "\"1969-12-31\"", &v), 0);
    assert_int_equal(v.i, -1);
    assert_int_equal(decv(fx, T(TY_DATE), "\"2000-02-29\"", &v), 0);
    assert_int_equal(v.i, 11016);
    assert_err(fx, T(TY_DATE), "\"1900-02-29\"", "expected a date");
    assert_err(fx, T(TY_DATE), "\"2024-13-01\"", "expected a date");
    assert_err(fx, T(TY_DATE), "\"2024-1-01\"", "expected a date");
    assert_err(fx, T(TY_DATE), "19753", "DATE");
    Type ts = T(TY_TIMESTAMP);
    assert_int_equal(decv(fx, ts, "\"2024-01-31 10:00:00\"", &v), 0);
    assert_true(v.i == 1706695200000LL);
    assert_int_equal(decv(fx, ts, "\"2024-01-31T10:00:00.5\"", &v), 0);
    assert_true(v.i == 1706695200500LL);
    assert_int_equal(decv(fx, ts, "\"2024-01-31 10:00:00.123456789\"", &v), 0);
    assert_true(v.i == 1706695200123LL);
    assert_int_equal(decv(fx, ts, "\"1969-12-31 23:59:59.999\"", &v), 0);
    assert_true(v.i == -1);
    assert_err(fx, ts, "\"2024-01-31 24:00:00\"", "expected a timestamp");
    assert_err(fx, ts, "\"2024-01-31 10:00\"", "expected a timestamp");
    assert_err(fx, ts, "\"2024-01-31 10:00:00.\"", "expected a timestamp");
    assert_err(fx, ts, "\"2024-01-31 10:00:00 \"", "expected a timestamp");
    assert_err(fx, ts, "1706695200000", "TIMESTAMP");
    assert_int_equal(decv(fx, T(TY_TIMESTAMP_LTZ), "\"2024-01-31 10:00:00.1Z\"", &v), 0);
    assert_true(v.i == 1706695200100LL);
    assert_int_equal(decv(fx, T(TY_BYTES), "\"aGVsbG8=\"", &v), 0);
    assert_str(&v, "hello");
    assert_int_equal(decv(fx, T(TY_BYTES), "\"aGVsbG8\"", &v), 0);
    assert_str(&v, "hello");
    assert_int_equal(decv(fx, T(TY_BYTES), "\"\"", &v), 0);
    assert_int_equal(v.n, 0);
    assert_err(fx, T(TY_BYTES), "\"a*==\"", "base64");
}

static void test_malformed(void **state)
{
    Fx *fx = *state;
    assert_bad(fx, "", "empty record");
    assert_bad(fx, "   ", "empty record");
    assert_bad(fx, "[1]", "expected a JSON object at byte 0");
    assert_bad(fx, "42", "expected a JSON object");
    assert_bad(fx, "null", "expected a JSON object");
    assert_bad(fx, "{\"a\":1}x", "unexpected data after the JSON object at byte 7");
    assert_bad(fx, "{\"a\":1}{}", "unexpected data");
    assert_bad(fx, "{\"a\":1 \"b\":2}", "expected ',' or '}' at byte 7");
    assert_bad(fx, "{\"a\" 1}", "expected ':'");
    assert_bad(fx, "{a:1}", "expected a field name");
    assert_bad(fx, "{\"a\":1,}", "expected a field name");
    assert_bad(fx, "{\"a\":}", "expected a value");
    assert_bad(fx, "{\"a\":tru}", "invalid literal 'tru'");
    assert_bad(fx, "{\"z\":nul}", "invalid literal");
    assert_bad(fx, "{\"z\":True}", "expected a value");
    assert_bad(fx, "{\"a\":01}", "valid number");
    assert_bad(fx, "{\"z\":-}", "valid number");
    assert_bad(fx, "{\"z\":1.}", "valid number");
    assert_bad(fx, "{\"z\":.5}", "expected a value");
    assert_bad(fx, "{\"z\":1e}", "valid number");
    assert_bad(fx, "{\"z\":+1}", "expected a value");
    assert_bad(fx, "{\"a\":1abc}", "expected ',' or '}'");
    assert_bad(fx, "{\"a\":\"1\" , }", "expected a field name");
    assert_bad(fx, "{\"z\":[1,]}", "expected a value");
    assert_bad(fx, "{\"z\":[1 2]}", "expected ',' or ']'");
    assert_bad(fx, "{\"z\":{\"q\":1]}", "expected ',' or '}'");
    assert_bad(fx, "{\"z\":[}", "expected a value");
    assert_bad(fx, "{\"z\":{1:2}}", "expected a field name");
    assert_bad(fx, "{\"a\":\"abc\"}", "field 'a': expected an integer, got \"abc\" at byte 5");

    /* every truncation of a valid record fails cleanly */
    const char *rec = "{\"a\":-12,\"b\":\"x\\u00e9\\n\",\"c\":[1,{\"d\":[true,false,null]},\"s\"],\"e\":1.5e3}";
    size_t n = strlen(rec);
    char *copy = malloc(n);
    for (size_t k = 0; k < n; k++) {
        memcpy(copy, rec, k);   /* exactly k bytes, no terminator: reads must stay inside */
        Value v[2];
        JsonField f[2] = {{"a", T(TY_INT), 0}, {"b", T(TY_STRING), 1}};
        JsonDecoder *d = json_decoder_new(f, 2);
        int rc = json_decode(d, copy, k, v, &fx->arena, fx->err, sizeof fx->err);
        json_decoder_free(d);
        if (rc == 0) fail_msg("accepted a truncation to %zu bytes", k);
    }
    memcpy(copy, rec, n);
    Value v[2];
    JsonField f[2] = {{"a", T(TY_INT), 0}, {"b", T(TY_STRING), 1}};
    JsonDecoder *d = json_decoder_new(f, 2);
    assert_int_equal(json_decode(d, copy, n, v, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_int_equal(v[0].i, -12);
    assert_str(&v[1], "x\xc3\xa9\n");
    json_decoder_free(d);
    free(copy);
}

static void test_deep_nesting(void **state)
{
    Fx *fx = *state;
    /* a million open brackets: an error, not a stack overflow */
    size_t depth = 1000000;
    char *j = malloc(depth * 2 + 16);
    size_t n = 0;
    n += (size_t)sprintf(j, "{\"z\":");
    for (size_t i = 0; i < depth; i++) j[n++] = '[';
    j[n] = 0;
    assert_bad(fx, j, "nesting deeper than");
    /* within the limit, mixed objects and arrays, fine */
    n = (size_t)sprintf(j, "{\"z\":");
    int lvl = 1000;
    for (int i = 0; i < lvl; i++) n += (size_t)sprintf(j + n, i % 2 ? "[" : "{\"k\":");
    j[n++] = '1';
    for (int i = lvl - 1; i >= 0; i--) j[n++] = i % 2 ? ']' : '}';
    n += (size_t)sprintf(j + n, ",\"a\":3}");
    Value v[2];
    JsonField f[2] = {{"a", T(TY_INT), 0}, {"z", T(TY_STRING), 1}};
    JsonDecoder *d = json_decoder_new(f, 2);
    assert_int_equal(json_decode(d, j, n, v, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_int_equal(v[0].i, 3);
    assert_int_equal(v[1].n, (int)(n - strlen("{\"z\":") - strlen(",\"a\":3}")));
    json_decoder_free(d);
    free(j);
}

/* Random mutations of a valid record, each in an exact-size heap buffer so
 * that any read past the end is caught (under ASan): errors, never crashes. */
static void test_mutations(void **state)
{
    Fx *fx = *state;
    const char *rec = "{\"a\":-12,\"b\":\"x\\u00e9\\n\xc3\xa9\",\"c\":[1,{\"d\":[true,false,null]},\"s\"],"
                      "\"e\":1.5e3,\"f\":\"2024-01-31 10:00:00.5\",\"g\":\"12.345\",\"h\":\"aGk=\"}";
    JsonField f[7] = {{"a", T(TY_INT), 0}, {"b", T(TY_STRING), 1}, {"c", T(TY_STRING), 2}, {"e", T(TY_DOUBLE), 3},
                      {"f", T(TY_TIMESTAMP), 4}, {"g", type_decimal(10, 2, true), 5}, {"h", T(TY_BYTES), 6}};
    JsonDecoder *d = json_decoder_new(f, 7);
    static const char alphabet[] = "{}[]\",:.-+eE0123456789 \\utrfnal\x01\x80\xc3\xff";
    size_t n = strlen(rec);
    unsigned seed = 99;
    int ok = 0;
    for (int iter = 0; iter < 30000; iter++) {
        char tmp[512];
        memcpy(tmp, rec, n);
        size_t len = n;
        int edits = 1 + iter % 3;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            char ch = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
            switch ((seed >> 4) % 3) {
            case 0: tmp[at] = ch; break;
            case 1: memmove(tmp + at, tmp + at + 1, len - at - 1), len--; break;
            default:
                if (len + 1 < sizeof tmp) memmove(tmp + at + 1, tmp + at, len - at), tmp[at] = ch, len++;
            }
        }
        char *buf = malloc(len ? len : 1);
        memcpy(buf, tmp, len);
        Value v[7];
        if (json_decode(d, buf, len, v, &fx->arena, fx->err, sizeof fx->err) == 0) ok++;
        else assert_true(strlen(fx->err) > 0);
        free(buf);
        if (iter % 1000 == 0) {
            arena_free(&fx->arena);
            arena_init(&fx->arena, 1024);
        }
    }
    print_message("mutations: %d of 30000 still decoded\n", ok);
    json_decoder_free(d);
}

/* ---- encoding ------------------------------------------------------------------- */

static char *enc(const JsonField *f, int n, const Value *row)
{
    StrBuf b = {0};
    json_encode(&b, f, n, row);
    return sb_take(&b);
}

static void test_encode(void **state)
{
    Fx *fx = *state;
    JsonField f[] = {
        {"b", T(TY_BOOLEAN), 0}, {"i", T(TY_INT), 1}, {"l", T(TY_BIGINT), 2}, {"d", T(TY_DOUBLE), 3},
        {"m", type_decimal(10, 2, true), 4}, {"s", T(TY_STRING), 5}, {"y", T(TY_BYTES), 6},
        {"dt", T(TY_DATE), 7}, {"ts", T(TY_TIMESTAMP), 8}, {"lt", T(TY_TIMESTAMP_LTZ), 9},
        {"n", T(TY_STRING), 10}, {"f", T(TY_FLOAT), 11},
    };
    int nf = (int)(sizeof f / sizeof f[0]);
    Value row[12];
    memset(row, 0, sizeof row);
    row[0].i = 1;
    row[1].i = -2147483648LL;
    row[2].i = INT64_MIN;
    row[3].d = 0.1 + 0.2;
    row[4].i = -5;
    row[5].s = "q\"\\\n\x01\x1f\xc3\xa9";
    row[5].n = (int)strlen(row[5].s);
    row[6].s = "\x00\xff\x10";
    row[6].n = 3;
    row[7].i = 19753;
    row[8].i = 1706695200000LL;
    row[9].i = 1706695200120LL;
    row[10].null = 1;
    row[11].d = (double)0.1f;
    char *s = enc(f, nf, row);
    assert_string_equal(s,
        "{\"b\":true,\"i\":-2147483648,\"l\":-9223372036854775808,\"d\":0.30000000000000004,"
        "\"m\":-0.05,\"s\":\"q\\\"\\\\\\n\\u0001\\u001F\xc3\xa9\",\"y\":\"AP8Q\",\"dt\":\"2024-01-31\","
        "\"ts\":\"2024-01-31 10:00:00\",\"lt\":\"2024-01-31 10:00:00.12Z\",\"n\":null,\"f\":0.1}");
    /* and back */
    JsonDecoder *d = json_decoder_new(f, nf);
    Value back[12];
    assert_int_equal(json_decode(d, s, strlen(s), back, &fx->arena, fx->err, sizeof fx->err), 0);
    for (int i = 0; i < nf; i++) {
        if (i == 10) {
            assert_true(back[i].null);
            continue;
        }
        if (!value_eq(f[i].type, &row[i], &back[i])) fail_msg("column %s did not round-trip", f[i].name);
    }
    free(s);

    /* NaN and infinities as strings, which decode back */
    JsonField g[3] = {{"a", T(TY_DOUBLE), 0}, {"b", T(TY_DOUBLE), 1}, {"c", T(TY_DOUBLE), 2}};
    Value r[3] = {{.d = NAN}, {.d = INFINITY}, {.d = -INFINITY}};
    s = enc(g, 3, r);
    assert_string_equal(s, "{\"a\":\"NaN\",\"b\":\"Infinity\",\"c\":\"-Infinity\"}");
    json_decoder_free(d);
    d = json_decoder_new(g, 3);
    assert_int_equal(json_decode(d, s, strlen(s), back, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_true(isnan(back[0].d) && back[1].d == INFINITY && back[2].d == -INFINITY);
    free(s);
    json_decoder_free(d);

    /* timestamps: Flink drops a zero fraction and trailing zeros */
    JsonField t1 = {"t", T(TY_TIMESTAMP), 0};
    struct {
        int64_t ms;
        const char *want;
    } tc[] = {
        {0, "{\"t\":\"1970-01-01 00:00:00\"}"},
        {500, "{\"t\":\"1970-01-01 00:00:00.5\"}"},
        {-1, "{\"t\":\"1969-12-31 23:59:59.999\"}"},
        {253402300799000LL, "{\"t\":\"9999-12-31 23:59:59\"}"},
    };
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
        Value tv = {.i = tc[i].ms};
        s = enc(&t1, 1, &tv);
        assert_string_equal(s, tc[i].want);
        free(s);
    }
    /* decimals keep their scale */
    JsonField dm[3] = {{"a", type_decimal(10, 2, true), 0}, {"b", type_decimal(5, 0, true), 1}, {"c", type_decimal(18, 18, true), 2}};
    Value dv[3] = {{.i = 500}, {.i = -42}, {.i = 123}};
    s = enc(dm, 3, dv);
    assert_string_equal(s, "{\"a\":5.00,\"b\":-42,\"c\":0.000000000000000123}");
    free(s);
    /* floats in their shortest form */
    JsonField ff = {"f", T(TY_FLOAT), 0};
    struct {
        float f;
        const char *want;
    } fc[] = {{1.0f, "{\"f\":1.0}"}, {123.45f, "{\"f\":123.45}"}, {1e10f, "{\"f\":1.0E10}"}, {-0.001f, "{\"f\":-0.001}"}, {3.4028235e38f, "{\"f\":3.4028235E38}"}};
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) {
        Value fv = {.d = fc[i].f};
        s = enc(&ff, 1, &fv);
        assert_string_equal(s, fc[i].want);
        free(s);
    }
    /* a long string with escapes spread through it */
    char *big = malloc(20001);
    for (int i = 0; i < 20000; i++) big[i] = i % 97 == 0 ? '"' : i % 89 == 0 ? '\n' : (char)('a' + i % 26);
    JsonField bs = {"s", T(TY_STRING), 0};
    Value bv = {.s = big, .n = 20000};
    s = enc(&bs, 1, &bv);
    d = json_decoder_new(&bs, 1);
    assert_int_equal(json_decode(d, s, strlen(s), back, &fx->arena, fx->err, sizeof fx->err), 0);
    assert_int_equal(back[0].n, 20000);
    assert_memory_equal(back[0].s, big, 20000);
    json_decoder_free(d);
    free(s);
    free(big);
}

/* Random finite doubles: encode (shortest form) and decode back bit-exact. */
static void test_double_roundtrip(void **state)
{
    Fx *fx = *state;
    JsonField f = {"d", T(TY_DOUBLE), 0};
    JsonDecoder *d = json_decoder_new(&f, 1);
    uint64_t x = 0x243F6A8885A308D3ULL;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        Value v, back;
        memcpy(&v.d, &x, 8);
        v.null = 0;
        if (!isfinite(v.d)) continue;
        if (i % 4 == 0) v.d = (double)(int64_t)(x % 2000000) / 100.0;   /* money-like values */
        StrBuf b = {0};
        json_encode(&b, &f, 1, &v);
        assert_int_equal(json_decode(d, b.s, b.len, &back, &fx->arena, fx->err, sizeof fx->err), 0);
        if (memcmp(&v.d, &back.d, 8)) fail_msg("%s: got %.17g want %.17g", b.s, back.d, v.d);
        sb_free(&b);
    }
    json_decoder_free(d);
}

/* 'json.encode.decimal-as-plain-number' and 'json.timestamp-format.standard'
 * when writing: the values of Flink's own JsonRowDataSerDeSchemaTest
 * (testSerializationDecimalEncode, testSerDeSQLTimestampFormat), with
 * eddy's 18-digit decimals. */
static void test_encode_flink_options(void **state)
{
    (void)state;
    JsonField f[] = {
        {"decimal1", type_decimal(9, 6, true), 0}, {"decimal2", type_decimal(18, 0, true), 1},
        {"decimal3", type_decimal(11, 9, true), 2}, {"hundred", type_decimal(10, 2, true), 3},
        {"zero", type_decimal(10, 7, true), 4},     {"neg", type_decimal(10, 2, true), 5},
    };
    Value row[6];
    memset(row, 0, sizeof row);
    row[0].i = 123456789;              /* 123.456789 */
    row[1].i = 454621864049246170LL;   /* scale 0 */
    row[2].i = 27;                     /* 0.000000027 */
    row[3].i = 10000;                  /* 100.00 */
    row[4].i = 0;                      /* 0.0000000 */
    row[5].i = -1250;                  /* -12.50 */
    struct { int mode; const char *want; } cases[] = {
        {JSON_DEC_SCALE, "{\"decimal1\":123.456789,\"decimal2\":454621864049246170,\"decimal3\":0.000000027,"
                         "\"hundred\":100.00,\"zero\":0.0000000,\"neg\":-12.50}"},
        {JSON_DEC_PLAIN, "{\"decimal1\":123.456789,\"decimal2\":454621864049246170,\"decimal3\":0.000000027,"
                         "\"hundred\":100,\"zero\":0,\"neg\":-12.5}"},
        {JSON_DEC_SCIENTIFIC, "{\"decimal1\":123.456789,\"decimal2\":4.5462186404924617E+17,\"decimal3\":2.7E-8,"
                              "\"hundred\":1E+2,\"zero\":0,\"neg\":-12.5}"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        JsonOptions o = {.decimal = cases[k].mode};
        StrBuf b = {0};
        json_encode_opts(&b, f, 6, row, &o);
        assert_string_equal(b.s, cases[k].want);
        sb_free(&b);
    }
    /* timestamps: SQL (and not given) with ' ', ISO-8601 with 'T'; LTZ with 'Z' */
    JsonField tf[] = {{"ts", T(TY_TIMESTAMP), 0}, {"lt", T(TY_TIMESTAMP_LTZ), 1}};
    Value tr[2];
    memset(tr, 0, sizeof tr);
    tr[0].i = 655906363123LL;   /* 1990-10-14 12:12:43.123 */
    tr[1].i = 655906363000LL;
    JsonOptions iso = {.ts_format = JSON_TS_ISO}, sql = {.ts_format = JSON_TS_SQL};
    StrBuf b = {0};
    json_encode_opts(&b, tf, 2, tr, &iso);
    assert_string_equal(b.s, "{\"ts\":\"1990-10-14T12:12:43.123\",\"lt\":\"1990-10-14T12:12:43Z\"}");
    b.len = 0;
    json_encode_opts(&b, tf, 2, tr, &sql);
    assert_string_equal(b.s, "{\"ts\":\"1990-10-14 12:12:43.123\",\"lt\":\"1990-10-14 12:12:43Z\"}");
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nulls_missing_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doubles_match_strtod, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporal_and_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_flink_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
