/*
 * test_value.c — unit tests of src/exec/value.c: batches (growth, rows, kinds,
 * timestamps), row kind names, the SQL ordering of values (NULL first,
 * strings bytewise, doubles numerically with NaN last), copying strings
 * into an arena, and printing — every type as Flink's SQL client shows
 * it, doubles in Java's shortest round-trip form (checked against a
 * brute-force search over many random doubles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

/* The text value_print gives for v of type t. */
static char *show(Type t, Value v)
{
    static char buf[256];
    StrBuf b = {0};
    value_print(&b, t, &v);
    snprintf(buf, sizeof buf, "%s", b.s ? b.s : "");
    sb_free(&b);
    return buf;
}

static char *showd(double d)
{
    static char buf[64];
    StrBuf b = {0};
    double_print(&b, d);
    snprintf(buf, sizeof buf, "%s", b.s);
    sb_free(&b);
    return buf;
}

static Value vi(int64_t i) { Value v = {0}; v.i = i; return v; }
static Value vd(double d) { Value v = {0}; v.d = d; return v; }
static Value vs(const char *s) { Value v = {0}; v.s = s; v.n = (int32_t)strlen(s); return v; }
static Value vnull(void) { Value v = {0}; v.null = 1; return v; }

static Type ty(TypeKind k) { return type_make(k, true); }
static Type ts_type(TypeKind k, int p) { Type t = type_make(k, true); t.precision = (unsigned char)p; return t; }

/* ------------------------------------------------------------------ */

static void test_batch_grows(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a, 1024);
    Batch b;
    batch_init(&b, 3, &a);
    assert_int_equal(b.n, 0);
    assert_ptr_equal(b.arena, &a);
    for (int i = 0; i < 1000; i++) {
        Value *r = batch_add(&b, (RowKind)(i % 4), 1000 + i);
        r[0] = vi(i);
        r[1] = vd(i * 0.5);
        r[2] = vnull();
    }
    assert_int_equal(b.n, 1000);
    assert_true(b.cap >= 1000);
    for (int i = 0; i < 1000; i++) {
        const Value *r = batch_row(&b, i);
        assert_int_equal(r[0].i, i);
        assert_true(r[1].d == i * 0.5);
        assert_true(r[2].null);
        assert_int_equal(b.kinds[i], i % 4);
        assert_int_equal(b.ts[i], 1000 + i);
    }
    int cap = b.cap;
    batch_clear(&b);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.cap, cap);
    Value *r = batch_add(&b, RK_DELETE, 7);
    assert_ptr_equal(r, b.vals);
    batch_free(&b);
    assert_null(b.vals);
    batch_free(&b);   /* twice is harmless */
    arena_free(&a);
}

static void test_batch_zero_columns(void **state)
{
    (void)state;
    Batch b;
    batch_init(&b, 0, NULL);
    for (int i = 0; i < 100; i++) batch_add(&b, RK_INSERT, i);
    assert_int_equal(b.n, 100);
    batch_free(&b);
}

static void test_rowkind_str(void **state)
{
    (void)state;
    assert_string_equal(rowkind_str(RK_INSERT), "+I");
    assert_string_equal(rowkind_str(RK_UPDATE_BEFORE), "-U");
    assert_string_equal(rowkind_str(RK_UPDATE_AFTER), "+U");
    assert_string_equal(rowkind_str(RK_DELETE), "-D");
    assert_true(rowkind_is_add(RK_INSERT) && rowkind_is_add(RK_UPDATE_AFTER));
    assert_false(rowkind_is_add(RK_DELETE) || rowkind_is_add(RK_UPDATE_BEFORE));
}

static void test_cmp(void **state)
{
    (void)state;
    Type it = ty(TY_INT), st = ty(TY_STRING), dt = ty(TY_DOUBLE), bt = ty(TY_BOOLEAN);
    Value n = vnull(), one = vi(1), two = vi(2);
    assert_true(value_cmp(it, &n, &one) < 0);
    assert_true(value_cmp(it, &one, &n) > 0);
    assert_int_equal(value_cmp(it, &n, &n), 0);
    assert_true(value_cmp(it, &one, &two) < 0);
    assert_true(value_cmp(it, &two, &one) > 0);
    Value big = vi(INT64_MAX), small = vi(INT64_MIN);
    assert_true(value_cmp(ty(TY_BIGINT), &small, &big) < 0);

    /* strings: bytewise (unsigned), a prefix first */
    Value a = vs("a"), ab = vs("ab"), b = vs("b"), e = vs("\xc3\xa9"), z = vs("z"), empty = vs("");
    assert_true(value_cmp(st, &a, &ab) < 0);
    assert_true(value_cmp(st, &ab, &b) < 0);
    assert_true(value_cmp(st, &z, &e) < 0);
    assert_true(value_cmp(st, &empty, &a) < 0);
    assert_int_equal(value_cmp(st, &ab, &ab), 0);

    /* doubles: numeric, -0 = 0, NaN above all and equal to itself */
    Value m0 = vd(-0.0), p0 = vd(0.0), nan = vd(NAN), inf = vd(INFINITY), x = vd(1.5);
    assert_int_equal(value_cmp(dt, &m0, &p0), 0);
    assert_true(value_eq(dt, &m0, &p0));
    assert_true(value_cmp(dt, &inf, &nan) < 0);
    assert_true(value_cmp(dt, &nan, &x) > 0);
    assert_int_equal(value_cmp(dt, &nan, &nan), 0);
    assert_true(value_eq(dt, &nan, &nan));

    Value f = vi(0), t = vi(1);
    assert_true(value_cmp(bt, &f, &t) < 0);

    /* DECIMAL compares unscaled values of one scale */
    Type dec = type_decimal(10, 2, true);
    Value d1 = vi(12345), d2 = vi(-5);
    assert_true(value_cmp(dec, &d2, &d1) < 0);
}

static void test_eq(void **state)
{
    (void)state;
    Type st = ty(TY_STRING), it = ty(TY_INT);
    Value n = vnull(), one = vi(1);
    assert_true(value_eq(it, &n, &n));      /* grouping semantics */
    assert_false(value_eq(it, &n, &one));
    assert_false(value_eq(it, &one, &n));
    Value a1 = vs("abc"), a2 = vs("abd");
    char buf[4] = "abc";
    Value a3 = {0};
    a3.s = buf;
    a3.n = 3;
    assert_true(value_eq(st, &a1, &a3));
    assert_false(value_eq(st, &a1, &a2));
    Value e1 = vs(""), e2 = {0};
    e2.s = NULL;
    e2.n = 0;
    assert_true(value_eq(st, &e1, &e2));
    Value ab = vs("ab");
    assert_false(value_eq(st, &a1, &ab));
}

static void test_copy_into(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a, 256);
    char src[] = "hello";
    Value v = {0};
    v.s = src;
    v.n = 5;
    value_copy_into(&a, ty(TY_STRING), &v);
    assert_ptr_not_equal(v.s, src);
    src[0] = 'X';
    assert_int_equal(v.n, 5);
    assert_memory_equal(v.s, "hello", 5);
    Value i = vi(42);
    value_copy_into(&a, ty(TY_INT), &i);
    assert_int_equal(i.i, 42);
    Value n = vnull();
    value_copy_into(&a, ty(TY_STRING), &n);
    assert_true(n.null);
    Value e = {0};
    e.s = "";
    value_copy_into(&a, ty(TY_BYTES), &e);
    assert_int_equal(e.n, 0);
    arena_free(&a);
}

/* ------------------------------------------------------------------ */
/* Printing                                                            */

static void test_print_scalars(void **state)
{
    (void)state;
    assert_string_equal(show(ty(TY_INT), vnull()), "NULL");
    assert_string_equal(show(ty(TY_NULL), vi(0)), "NULL");
    assert_string_equal(show(ty(TY_BOOLEAN), vi(1)), "TRUE");
    assert_string_equal(show(ty(TY_BOOLEAN), vi(0)), "FALSE");
    assert_string_equal(show(ty(TY_INT), vi(-42)), "-42");
    assert_string_equal(show(ty(TY_TINYINT), vi(7)), "7");
    assert_string_equal(show(ty(TY_BIGINT), vi(INT64_MIN)), "-9223372036854775808");
    assert_string_equal(show(ty(TY_BIGINT), vi(INT64_MAX)), "9223372036854775807");
    assert_string_equal(show(ty(TY_BIGINT), vi(0)), "0");
    assert_string_equal(show(ty(TY_STRING), vs("héllo, world")), "héllo, world");
    assert_string_equal(show(ty(TY_STRING), vs("")), "");
    assert_string_equal(show(ty(TY_BYTES), vs("\x01\xab\xff")), "x'01abff'");
    assert_string_equal(show(ty(TY_BYTES), vs("")), "x''");
}

static void test_print_decimal(void **state)
{
    (void)state;
    assert_string_equal(show(type_decimal(10, 2, true), vi(12345)), "123.45");
    assert_string_equal(show(type_decimal(10, 2, true), vi(500)), "5.00");
    assert_string_equal(show(type_decimal(10, 2, true), vi(5)), "0.05");
    assert_string_equal(show(type_decimal(10, 2, true), vi(-5)), "-0.05");
    assert_string_equal(show(type_decimal(10, 2, true), vi(0)), "0.00");
    assert_string_equal(show(type_decimal(10, 0, true), vi(-17)), "-17");
    assert_string_equal(show(type_decimal(4, 3, true), vi(1005)), "1.005");
    assert_string_equal(show(type_decimal(18, 18, true), vi(1)), "0.000000000000000001");
    assert_string_equal(show(type_decimal(38, 6, true), vi(999999999999999999LL)), "999999999999.999999");
    assert_string_equal(show(type_decimal(38, 2, true), vi(-999999999999999999LL)), "-9999999999999999.99");
}

static void test_print_temporal(void **state)
{
    (void)state;
    int64_t ms = 1706695200123LL;   /* 2024-01-31 10:00:00.123 UTC */
    assert_string_equal(show(ty(TY_DATE), vi(0)), "1970-01-01");
    assert_string_equal(show(ty(TY_DATE), vi(19753)), "2024-01-31");
    assert_string_equal(show(ty(TY_DATE), vi(19782)), "2024-02-29");
    assert_string_equal(show(ty(TY_DATE), vi(-1)), "1969-12-31");
    assert_string_equal(show(ty(TY_DATE), vi(-719528)), "0000-01-01");
    assert_string_equal(show(ty(TY_DATE), vi(2932896)), "9999-12-31");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 3), vi(ms)), "2024-01-31 10:00:00.123");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 3), vi(1706695200000LL)), "2024-01-31 10:00:00.000");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 0), vi(ms)), "2024-01-31 10:00:00");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 1), vi(ms)), "2024-01-31 10:00:00.1");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 6), vi(ms)), "2024-01-31 10:00:00.123000");
    assert_string_equal(show(ts_type(TY_TIMESTAMP_LTZ, 3), vi(ms)), "2024-01-31 10:00:00.123");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 3), vi(-1)), "1969-12-31 23:59:59.999");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 3), vi(0)), "1970-01-01 00:00:00.000");
    /* absurd values print without undefined behaviour */
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 3), vi(INT64_MIN)), "-292275055-05-16 16:47:04.192");
    assert_string_equal(show(ts_type(TY_TIMESTAMP, 3), vi(INT64_MAX)), "292278994-08-17 07:12:55.807");
    assert_non_null(show(ty(TY_DATE), vi(INT64_MAX)));
    assert_non_null(show(ty(TY_DATE), vi(INT64_MIN)));
    assert_string_equal(show(ty(TY_INTERVAL), vi(INT64_MIN)), "-106751991167 07:12:55.808");
    assert_string_equal(show(ty(TY_INTERVAL), vi(93784005)), "+1 02:03:04.005");
    assert_string_equal(show(ty(TY_INTERVAL), vi(-1000)), "-0 00:00:01.000");
}

static void test_print_double(void **state)
{
    (void)state;
    assert_string_equal(showd(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(showd(801.7), "801.7");
    assert_string_equal(showd(160.34), "160.34");
    assert_string_equal(showd(1.0), "1.0");
    assert_string_equal(showd(100.0), "100.0");
    assert_string_equal(showd(0.0), "0.0");
    assert_string_equal(showd(-0.0), "-0.0");
    assert_string_equal(showd(-2.5), "-2.5");
    assert_string_equal(showd(1e21), "1.0E21");
    assert_string_equal(showd(1e7), "1.0E7");
    assert_string_equal(showd(9999999.0), "9999999.0");
    assert_string_equal(showd(12345678.9), "1.23456789E7");
    assert_string_equal(showd(0.001), "0.001");
    assert_string_equal(showd(0.0001), "1.0E-4");
    assert_string_equal(showd(1.5e-7), "1.5E-7");
    assert_string_equal(showd(1.0 / 3), "0.3333333333333333");
    assert_string_equal(showd(2.0 / 3), "0.6666666666666666");
    assert_string_equal(showd(2.675), "2.675");
    assert_string_equal(showd(123456789012345.6), "1.234567890123456E14");
    assert_string_equal(showd(9007199254740992.0), "9.007199254740992E15");
    assert_string_equal(showd(DBL_MAX), "1.7976931348623157E308");
    assert_string_equal(showd(5e-324), "4.9E-324");
    assert_string_equal(showd(DBL_MIN), "2.2250738585072014E-308");
    assert_string_equal(showd(1e23), "1.0E23");
    assert_string_equal(showd(NAN), "NaN");
    assert_string_equal(showd(INFINITY), "Infinity");
    assert_string_equal(showd(-INFINITY), "-Infinity");
    /* value_print uses the same text */
    assert_string_equal(show(ty(TY_DOUBLE), vd(801.7)), "801.7");
    /* FLOAT: Java's Float.toString, shortest as a float */
    assert_string_equal(show(ty(TY_FLOAT), vd((float)0.1)), "0.1");
    assert_string_equal(show(ty(TY_FLOAT), vd((float)1e10)), "1.0E10");
    assert_string_equal(show(ty(TY_FLOAT), vd((float)3.14159)), "3.14159");
    assert_string_equal(show(ty(TY_FLOAT), vd(16777216.0)), "1.6777216E7");
}

/* A number's text as significant digits (no leading or trailing zeros)
 * and the decimal exponent of the first one: "0.00125" and "1.25E-3" both
 * give "125", -3. */
static void normalize(const char *s, char *dig, int *exp10)
{
    int n = 0, point = -1, lead = 0, e = 0;
    bool seen = false;
    for (; *s && *s != 'E' && *s != 'e'; s++) {
        if (*s == '.') {
            point = n + lead;
            continue;
        }
        if (*s < '0' || *s > '9') continue;
        if (!seen && *s == '0') {
            lead++;
            continue;
        }
        seen = true;
        dig[n++] = *s;
    }
    if (*s) e = atoi(s + 1);
    while (n > 1 && dig[n - 1] == '0') n--;
    dig[n] = 0;
    int intdigits = (point < 0 ? n + lead : point);   /* digits before the point */
    *exp10 = intdigits - lead - 1 + e;
}

/* The reference: the correctly rounded text with the fewest significant
 * digits (at least two, as Java) that strtod reads back as d. */
static void reference(double d, char *out, size_t n)
{
    for (int p = 1; p <= 16; p++) {
        snprintf(out, n, "%.*e", p, d);
        if (strtod(out, NULL) == d) return;
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void check_roundtrip(double d)
{
    const char *s = showd(d);
    double back = strtod(s, NULL);
    if (back != d) fail_msg("%.17g printed as %s reads back as %.17g", d, s, back);
    char ref[64], dig[64], rdig[64];
    int e, re;
    reference(d, ref, sizeof ref);
    normalize(s, dig, &e);
    normalize(ref, rdig, &re);
    if (strcmp(dig, rdig) != 0 || e != re) fail_msg("%.17g printed as %s, want the digits of %s", d, s, ref);
}

static void test_double_roundtrip(void **state)
{
    (void)state;
    /* random bit patterns: every magnitude */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        check_roundtrip(d);
    }
    /* short decimals, the common case on a stream */
    for (int i = 0; i < 20000; i++) {
        int64_t m = (int64_t)(rng() % 100000000);
        int k = (int)(rng() % 12);
        char buf[64];
        snprintf(buf, sizeof buf, "%lld.%0*lld", (long long)(m / 1000), 3, (long long)(m % 1000));
        check_roundtrip(strtod(buf, NULL) / pow(10, k % 4));
        check_roundtrip((double)m / pow(10, k));
    }
    /* neighbours of powers of ten and of two */
    for (int e = -30; e <= 30; e++) {
        double p = pow(10, e);
        check_roundtrip(p);
        check_roundtrip(nextafter(p, 0));
        check_roundtrip(nextafter(p, INFINITY));
        check_roundtrip(ldexp(1, e * 10));
    }
}

/* arena_reset keeps the blocks a cycle used (up to its bound) and hands
 * them out again: no new malloc for a batch like the last one; under ASan
 * what it kept is poisoned until allocated again. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

static void test_arena_reset(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a, 1024);
    char *first = arena_strdup(&a, "batch one");
    for (int i = 0; i < 100; i++) arena_alloc(&a, 500);   /* several blocks, growing */
    arena_reset(&a, 1 << 20);
#ifdef TEST_ASAN
    assert_true(__asan_address_is_poisoned(first));   /* a use after the reset is reported */
#endif
    /* the next cycle's allocations come from the kept blocks: the smallest first, which held `first` */
    char *again = arena_strdup(&a, "batch two");
    assert_ptr_equal(again, first);
    assert_string_equal(again, "batch two");
    char *z = arena_alloc(&a, 64);   /* still zeroed though the block is reused */
    for (int i = 0; i < 64; i++) assert_int_equal(z[i], 0);
    arena_reset(&a, 1 << 20);

    /* a bound below the blocks' sizes keeps none: the next allocation is new memory */
    for (int i = 0; i < 100; i++) arena_alloc(&a, 500);
    arena_reset(&a, 16);
    assert_null(a.spare);
    arena_free(&a);

    /* kept blocks the last cycle did not use go back */
    arena_init(&a, 1024);
    for (int i = 0; i < 100; i++) arena_alloc(&a, 500);
    arena_reset(&a, 1 << 20);
    assert_non_null(a.spare);
    arena_reset(&a, 1 << 20);   /* a cycle that allocated nothing */
    assert_null(a.spare);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_reset),
        cmocka_unit_test(test_batch_grows),
        cmocka_unit_test(test_batch_zero_columns),
        cmocka_unit_test(test_rowkind_str),
        cmocka_unit_test(test_cmp),
        cmocka_unit_test(test_eq),
        cmocka_unit_test(test_copy_into),
        cmocka_unit_test(test_print_scalars),
        cmocka_unit_test(test_print_decimal),
        cmocka_unit_test(test_print_temporal),
        cmocka_unit_test(test_print_double),
        cmocka_unit_test(test_double_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
