/*
 * test_agg.c — the accumulators of agg.c: COUNT, SUM, AVG, MIN, MAX with
 * and without NULLs, retraction sequences, DISTINCT, Flink's integer
 * semantics (wrapping SUM, truncating AVG), exact DECIMAL, state sizes,
 * save/load round trips, and merge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "func.h"

/* One aggregate call and its state. */
typedef struct Acc {
    BExpr   call;         /* the BX_AGG node */
    BExpr   arg;          /* its argument */
    AggSpec spec;         /* what agg_* get */
    _Alignas(8) unsigned char st[64]; /* the slot */
    char    err[256];     /* last error */
} Acc;

static Type T(TypeKind k) { return type_make(k, true); }

/* fn over an argument of type arg (kind TY_NULL = COUNT(*)), result type res. */
static Acc *mk(const char *fn, Type arg, Type res, bool distinct, bool retract)
{
    Acc *a = calloc(1, sizeof *a);
    a->call.kind = BX_AGG;
    a->call.fn = func_find(fn);
    assert_non_null(a->call.fn);
    a->call.distinct = distinct;
    a->call.type = res;
    if (arg.kind != TY_NULL) {
        a->arg.kind = BX_COL;
        a->arg.type = arg;
        a->call.a = &a->arg;
    }
    agg_spec_init(&a->spec, &a->call, retract);
    assert_true(agg_state_size(&a->spec) <= sizeof a->st);
    assert_int_equal(agg_state_size(&a->spec) % 8, 0);
    agg_init(&a->spec, a->st);
    return a;
}

static void done(Acc *a)
{
    agg_free(&a->spec, a->st);
    free(a);
}

static int upd(Acc *a, const Value *v, int sign) { return agg_update(&a->spec, a->st, v, sign, a->err, sizeof a->err); }
static void addi(Acc *a, int64_t i, int sign) { Value v = {.i = i}; assert_int_equal(upd(a, &v, sign), 0); }
static void addd(Acc *a, double d, int sign) { Value v = {.d = d}; assert_int_equal(upd(a, &v, sign), 0); }
static void adds(Acc *a, const char *s, int sign) { Value v = {.s = s, .n = (int32_t)strlen(s)}; assert_int_equal(upd(a, &v, sign), 0); }
static void addnull(Acc *a, int sign) { Value v = {.null = 1}; assert_int_equal(upd(a, &v, sign), 0); }

static Value res(Acc *a)
{
    Value v;
    agg_result(&a->spec, a->st, &v);
    return v;
}

static void chk_null(Acc *a) { assert_true(res(a).null); }
static void chk_i(Acc *a, int64_t want)
{
    Value v = res(a);
    assert_false(v.null);
    if (v.i != want) fail_msg("got %lld want %lld", (long long)v.i, (long long)want);
}
static void chk_d(Acc *a, double want)
{
    Value v = res(a);
    assert_false(v.null);
    if (memcmp(&v.d, &want, 8)) fail_msg("got %.17g want %.17g", v.d, want);
}
static void chk_s(Acc *a, const char *want)
{
    Value v = res(a);
    assert_false(v.null);
    assert_int_equal(v.n, (int)strlen(want));
    assert_memory_equal(v.s, want, strlen(want));
}

/* Saves, loads into a fresh slot, checks the same bytes come out again and
 * the same result; then replaces a's state by the loaded one. */
static void roundtrip(Acc *a)
{
    StrBuf b1 = {0}, b2 = {0};
    agg_save(&a->spec, a->st, &b1);
    _Alignas(8) unsigned char st2[64];
    size_t used = 0;
    assert_int_equal(agg_load(&a->spec, st2, b1.s ? b1.s : "", b1.len, &used), 0);
    assert_int_equal(used, b1.len);
    agg_save(&a->spec, st2, &b2);
    assert_int_equal(b1.len, b2.len);
    if (b1.len) assert_memory_equal(b1.s, b2.s, b1.len);
    Value x = res(a), y;
    agg_result(&a->spec, st2, &y);
    assert_int_equal(x.null, y.null);
    if (!x.null) {
        Type t = a->spec.result;
        if (t.kind == TY_STRING) {
            assert_int_equal(x.n, y.n);
            assert_memory_equal(x.s, y.s, (size_t)x.n);
        } else {
            assert_memory_equal(&x.i, &y.i, 8);   /* doubles bit-exact */
        }
    }
    /* truncated input is rejected without leaking */
    for (size_t k = 0; k < b1.len; k++) {
        _Alignas(8) unsigned char st3[64];
        size_t u;
        int rc = agg_load(&a->spec, st3, b1.s, k, &u);
        if (rc == 0) agg_free(&a->spec, st3);
        assert_int_equal(rc, -1);
    }
    agg_free(&a->spec, a->st);
    memcpy(a->st, st2, sizeof st2);
    sb_free(&b1);
    sb_free(&b2);
}

/* ---- COUNT, SUM, AVG ---------------------------------------------------------- */

static void test_count(void **state)
{
    (void)state;
    Acc *star = mk("COUNT", T(TY_NULL), type_make(TY_BIGINT, false), false, true);
    Acc *cx = mk("COUNT", T(TY_INT), type_make(TY_BIGINT, false), false, true);
    chk_i(star, 0);   /* COUNT is never NULL */
    chk_i(cx, 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(upd(star, NULL, 1), 0);
        if (i % 2) addnull(cx, 1);
        else addi(cx, i, 1);
    }
    chk_i(star, 5);
    chk_i(cx, 3);
    roundtrip(star);
    roundtrip(cx);
    assert_int_equal(upd(star, NULL, -1), 0);
    addi(cx, 0, -1);
    addnull(cx, -1);
    chk_i(star, 4);
    chk_i(cx, 2);
    done(star);
    done(cx);
}

static void test_sum_avg_double(void **state)
{
    (void)state;
    Acc *sum = mk("SUM", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *avg = mk("AVG", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    chk_null(sum);
    chk_null(avg);
    addnull(sum, 1);
    addnull(avg, 1);
    chk_null(sum);   /* all NULL → NULL */
    chk_null(avg);
    double xs[] = {0.1, 0.2, 123.45, -7.5};
    double s = 0;
    for (int i = 0; i < 4; i++) {
        addd(sum, xs[i], 1);
        addd(avg, xs[i], 1);
        s += xs[i];
    }
    chk_d(sum, s);
    chk_d(avg, s / 4);
    roundtrip(sum);
    roundtrip(avg);
    chk_d(sum, s);
    for (int i = 0; i < 4; i++) {
        addd(sum, xs[i], -1);
        addd(avg, xs[i], -1);
    }
    chk_null(sum);   /* everything retracted → NULL again, not 0 */
    chk_null(avg);
    done(sum);
    done(avg);
}

static void test_integer_semantics(void **state)
{
    (void)state;
    /* SUM(INT) keeps INT and wraps like Flink (Java int arithmetic) */
    Acc *sum = mk("SUM", T(TY_INT), T(TY_INT), false, true);
    addi(sum, 2147483647, 1);
    addi(sum, 1, 1);
    chk_i(sum, -2147483648LL);
    addi(sum, 1, -1);
    chk_i(sum, 2147483647);
    done(sum);
    Acc *tiny = mk("SUM", T(TY_TINYINT), T(TY_TINYINT), false, false);
    addi(tiny, 100, 1);
    addi(tiny, 100, 1);
    chk_i(tiny, -56);
    done(tiny);
    Acc *big = mk("SUM", T(TY_BIGINT), T(TY_BIGINT), false, false);
    addi(big, INT64_MAX, 1);
    addi(big, 2, 1);
    chk_i(big, INT64_MIN + 1);
    roundtrip(big);
    done(big);

    /* AVG of integers: sum in BIGINT, truncate toward zero */
    Acc *avg = mk("AVG", T(TY_INT), T(TY_INT), false, true);
    addi(avg, 1, 1);
    addi(avg, 2, 1);
    chk_i(avg, 1);
    addi(avg, 2, 1);
    chk_i(avg, 1);   /* 5/3 */
    addi(avg, 1, -1);
    addi(avg, 2, -1);
    addi(avg, 2, -1);
    addi(avg, -1, 1);
    addi(avg, -2, 1);
    chk_i(avg, -1);   /* -3/2 = -1.5 → -1 */
    addi(avg, -1, -1);
    addi(avg, -2, -1);
    chk_null(avg);
    addi(avg, 2147483647, 1);
    addi(avg, 2147483647, 1);
    chk_i(avg, 2147483647);   /* no INT overflow in the sum */
    roundtrip(avg);
    done(avg);
    Acc *favg = mk("AVG", T(TY_FLOAT), T(TY_FLOAT), false, false);
    addd(favg, (double)0.1f, 1);
    addd(favg, (double)0.2f, 1);
    chk_d(favg, (double)(float)(((double)0.1f + (double)0.2f) / 2));
    done(favg);
    Acc *fsum = mk("SUM", T(TY_FLOAT), T(TY_FLOAT), false, false);
    addd(fsum, 16777216.0, 1);
    addd(fsum, 1.0, 1);
    chk_d(fsum, 16777216.0);   /* float arithmetic, like Flink's FloatSum */
    done(fsum);
}

static void test_decimal(void **state)
{
    (void)state;
    Type d102 = type_decimal(10, 2, true);
    Acc *sum = mk("SUM", d102, type_decimal(38, 2, true), false, true);
    Acc *avg = mk("AVG", d102, type_decimal(38, 6, true), false, true);
    int64_t xs[] = {100, 200, 201};   /* 1.00 2.00 2.01 */
    for (int i = 0; i < 3; i++) {
        addi(sum, xs[i], 1);
        addi(avg, xs[i], 1);
    }
    chk_i(sum, 501);
    chk_i(avg, 1670000);   /* 5.01 / 3 = 1.67 */
    done(sum);
    done(avg);
    /* HALF_UP at the result scale */
    Type d0 = type_decimal(10, 0, true);
    avg = mk("AVG", d0, type_decimal(38, 6, true), false, true);
    addi(avg, 2, 1);
    addi(avg, 2, 1);
    addi(avg, 1, 1);
    chk_i(avg, 1666667);
    roundtrip(avg);
    addi(avg, 2, -1);
    addi(avg, 2, -1);
    addi(avg, 1, -1);
    addi(avg, -2, 1);
    addi(avg, -2, 1);
    addi(avg, -1, 1);
    chk_i(avg, -1666667);
    done(avg);
    /* overflow is an error and leaves the state as it was */
    Type d180 = type_decimal(18, 0, true);
    sum = mk("SUM", d180, type_decimal(38, 0, true), false, true);
    addi(sum, 999999999999999999LL, 1);
    Value one = {.i = 1};
    assert_int_equal(upd(sum, &one, 1), -1);
    assert_non_null(strstr(sum->err, "SUM overflow"));
    chk_i(sum, 999999999999999999LL);
    done(sum);
    avg = mk("AVG", d180, type_decimal(38, 6, true), false, true);
    Value huge = {.i = 1000000000000LL};   /* × 10^6 leaves 18 digits */
    assert_int_equal(upd(avg, &huge, 1), -1);
    assert_non_null(strstr(avg->err, "AVG overflow"));
    chk_null(avg);
    done(avg);
}

/* ---- MIN / MAX ------------------------------------------------------------------ */

static void test_minmax_append(void **state)
{
    (void)state;
    Acc *mn = mk("MIN", T(TY_INT), T(TY_INT), false, false);
    Acc *mx = mk("MAX", T(TY_STRING), T(TY_STRING), false, false);
    chk_null(mn);
    chk_null(mx);
    addnull(mn, 1);
    addnull(mx, 1);
    chk_null(mn);
    int64_t xs[] = {5, 3, 9, 3, -1, 4};
    for (int i = 0; i < 6; i++) addi(mn, xs[i], 1);
    chk_i(mn, -1);
    roundtrip(mn);
    chk_i(mn, -1);
    /* strings, short (inline) and long (owned), the buffer reused */
    adds(mx, "apple", 1);
    chk_s(mx, "apple");
    char buf[64];
    strcpy(buf, "banana-split-with-cream");
    adds(mx, buf, 1);
    memset(buf, 'z', sizeof buf - 1);   /* the state holds its own copy */
    chk_s(mx, "banana-split-with-cream");
    adds(mx, "cherry", 1);
    chk_s(mx, "cherry");
    adds(mx, "b", 1);
    chk_s(mx, "cherry");
    roundtrip(mx);
    chk_s(mx, "cherry");
    adds(mx, "cherry-pie-with-a-long-name", 1);
    chk_s(mx, "cherry-pie-with-a-long-name");
    roundtrip(mx);
    /* append-only state cannot take a retraction */
    Value v = {.s = "x", .n = 1};
    assert_int_equal(upd(mx, &v, -1), -1);
    done(mn);
    done(mx);
    Acc *dm = mk("MAX", T(TY_DOUBLE), T(TY_DOUBLE), true, false);
    addd(dm, -0.5, 1);
    addd(dm, 2.25, 1);
    chk_d(dm, 2.25);
    done(dm);
}

static void test_minmax_retract(void **state)
{
    (void)state;
    Acc *mn = mk("MIN", T(TY_INT), T(TY_INT), false, true);
    Acc *mx = mk("MAX", T(TY_INT), T(TY_INT), false, true);
    int64_t xs[] = {5, 3, 3, 7};
    for (int i = 0; i < 4; i++) {
        addi(mn, xs[i], 1);
        addi(mx, xs[i], 1);
    }
    chk_i(mn, 3);
    chk_i(mx, 7);
    roundtrip(mn);
    addi(mn, 3, -1);
    chk_i(mn, 3);   /* one 3 left */
    addi(mn, 3, -1);
    chk_i(mn, 5);   /* the current minimum retracted: the next one */
    addi(mx, 7, -1);
    chk_i(mx, 5);
    addi(mn, 5, -1);
    chk_i(mn, 7);
    addi(mn, 7, -1);
    chk_null(mn);
    /* a retraction before its add leaves a negative count that never wins */
    addi(mn, 1, -1);
    chk_null(mn);
    addi(mn, 4, 1);
    chk_i(mn, 4);
    roundtrip(mn);
    addi(mn, 1, 1);
    chk_i(mn, 4);
    addi(mn, 1, 1);
    chk_i(mn, 1);
    done(mn);
    done(mx);

    /* strings, long and short, copied into the state */
    Acc *smin = mk("MIN", T(TY_STRING), T(TY_STRING), false, true);
    char buf[64];
    const char *words[] = {"pear", "a-rather-long-apple-name", "fig", "a-rather-long-apple-name", "zucchini"};
    for (int i = 0; i < 5; i++) {
        strcpy(buf, words[i]);
        adds(smin, buf, 1);
        memset(buf, 0, sizeof buf);
    }
    chk_s(smin, "a-rather-long-apple-name");
    roundtrip(smin);
    adds(smin, "a-rather-long-apple-name", -1);
    chk_s(smin, "a-rather-long-apple-name");
    adds(smin, "a-rather-long-apple-name", -1);
    chk_s(smin, "fig");
    done(smin);
}

/* Many distinct values in random order, added and retracted, against a
 * brute-force count table: exercises the multiset's chunk split and merge. */
static void test_minmax_many(void **state)
{
    (void)state;
    enum { N = 20000, R = 3000 };
    static int cnt[R];
    memset(cnt, 0, sizeof cnt);
    Acc *mn = mk("MIN", T(TY_BIGINT), T(TY_BIGINT), false, true);
    Acc *mx = mk("MAX", T(TY_BIGINT), T(TY_BIGINT), false, true);
    Acc *cd = mk("COUNT", T(TY_BIGINT), type_make(TY_BIGINT, false), true, true);
    unsigned seed = 1;
    for (int step = 0; step < 6 * N; step++) {
        seed = seed * 1103515245u + 12345u;
        int v = (int)((seed >> 8) % R);
        /* mostly adds at first, then mostly retracts of present values */
        bool add = step < 3 * N ? (seed >> 3) % 4 != 0 : (seed >> 3) % 4 == 0;
        if (!add && cnt[v] == 0) add = true;
        cnt[v] += add ? 1 : -1;
        addi(mn, v, add ? 1 : -1);
        addi(mx, v, add ? 1 : -1);
        addi(cd, v, add ? 1 : -1);
        if (step % 997 == 0 || step == 6 * N - 1) {
            int lo = -1, hi = -1, nd = 0;
            for (int i = 0; i < R; i++)
                if (cnt[i] > 0) {
                    if (lo < 0) lo = i;
                    hi = i;
                    nd++;
                }
            if (lo < 0) {
                chk_null(mn);
                chk_null(mx);
            } else {
                chk_i(mn, lo);
                chk_i(mx, hi);
            }
            chk_i(cd, nd);
        }
        if (step == 2 * N) roundtrip(mn), roundtrip(cd);
    }
    done(mn);
    done(mx);
    done(cd);
}

/* ---- DISTINCT -------------------------------------------------------------------- */

static void test_distinct(void **state)
{
    (void)state;
    Acc *cd = mk("COUNT", T(TY_STRING), type_make(TY_BIGINT, false), true, true);
    chk_i(cd, 0);
    adds(cd, "a", 1);
    adds(cd, "a", 1);
    adds(cd, "b-is-a-long-string-value", 1);
    addnull(cd, 1);
    chk_i(cd, 2);
    roundtrip(cd);
    adds(cd, "a", -1);
    chk_i(cd, 2);   /* one "a" left */
    adds(cd, "a", -1);
    chk_i(cd, 1);   /* its last retract */
    adds(cd, "b-is-a-long-string-value", -1);
    chk_i(cd, 0);
    roundtrip(cd);
    done(cd);

    Acc *sd = mk("SUM", T(TY_INT), T(TY_INT), true, true);
    Acc *ad = mk("AVG", T(TY_INT), T(TY_INT), true, true);
    int64_t xs[] = {1, 1, 2, 6, 6, 6};
    for (int i = 0; i < 6; i++) {
        addi(sd, xs[i], 1);
        addi(ad, xs[i], 1);
    }
    chk_i(sd, 9);
    chk_i(ad, 3);
    roundtrip(sd);
    roundtrip(ad);
    addi(sd, 6, -1);
    addi(ad, 6, -1);
    chk_i(sd, 9);
    addi(sd, 1, -1);
    addi(sd, 1, -1);
    addi(ad, 1, -1);
    addi(ad, 1, -1);
    chk_i(sd, 8);
    chk_i(ad, 4);
    done(sd);
    done(ad);

    /* an overflowing DISTINCT value is rejected and not remembered */
    Type d180 = type_decimal(18, 0, true);
    Acc *dd = mk("SUM", d180, type_decimal(38, 0, true), true, false);
    addi(dd, 999999999999999999LL, 1);
    Value one = {.i = 1};
    assert_int_equal(upd(dd, &one, 1), -1);
    addi(dd, 999999999999999999LL, -1);
    addi(dd, 1, 1);
    chk_i(dd, 1);
    done(dd);
}

/* ---- DOUBLE sums do not depend on the order of rows ------------------------------ */

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void test_double_sum_order_independent(void **state)
{
    (void)state;
    /* Amounts with cents, as orders carry them, summed in three orders and
     * with retractions interleaved: the results must be bit-identical. */
    enum { N = 20000 };
    static double v[N];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = (double)(x % 50000 + 100) / 100.0;
    }
    Acc *fw = mk("SUM", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *bw = mk("SUM", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *mx = mk("SUM", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *af = mk("AVG", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *ab = mk("AVG", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    for (int i = 0; i < N; i++) addd(fw, v[i], 1), addd(af, v[i], 1);
    for (int i = N - 1; i >= 0; i--) addd(bw, v[i], 1), addd(ab, v[i], 1);
    /* evens, then odds, with some values added and retracted on the way */
    for (int i = 0; i < N; i += 2) addd(mx, v[i], 1), addd(mx, v[(i * 7) % N], 1), addd(mx, v[(i * 7) % N], -1);
    for (int i = 1; i < N; i += 2) addd(mx, v[i], 1);
    Value a, b, c, d, e;
    agg_result(&fw->spec, fw->st, &a);
    agg_result(&bw->spec, bw->st, &b);
    agg_result(&mx->spec, mx->st, &c);
    agg_result(&af->spec, af->st, &d);
    agg_result(&ab->spec, ab->st, &e);
    assert_true(bits(a.d) == bits(b.d));
    assert_true(bits(a.d) == bits(c.d));
    assert_true(bits(d.d) == bits(e.d));
    /* and the state survives save/load with the remainder */
    StrBuf buf = {0};
    agg_save(&mx->spec, mx->st, &buf);
    Acc *re = mk("SUM", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    size_t used = 0;
    assert_int_equal(agg_load(&re->spec, re->st, buf.s, buf.len, &used), 0);
    addd(re, v[0], -1);
    addd(fw, v[0], -1);
    agg_result(&re->spec, re->st, &a);
    agg_result(&fw->spec, fw->st, &b);
    assert_true(bits(a.d) == bits(b.d));
    sb_free(&buf);
    done(fw), done(bw), done(mx), done(af), done(ab), done(re);
}

/* ---- merge ---------------------------------------------------------------------- */

/* The same saved bytes (the whole state, not only the result). */
static void chk_same_state(Acc *a, Acc *b)
{
    StrBuf x = {0}, y = {0};
    agg_save(&a->spec, a->st, &x);
    agg_save(&b->spec, b->st, &y);
    assert_int_equal(x.len, y.len);
    if (x.len) assert_memory_equal(x.s, y.s, x.len);
    sb_free(&x);
    sb_free(&y);
}

/* One value of a merge case: a number, a string, or NULL (s = "-"). */
typedef struct MergeIn {
    int         sign;     /* +1 add, -1 retract */
    double      num;      /* the value as a number */
    const char *s;        /* as a string */
} MergeIn;

static void feed(Acc *a, const MergeIn *in)
{
    Value v = {0};
    if (in->s && strcmp(in->s, "-") == 0) v.null = 1;
    else if (a->spec.arg.kind == TY_STRING) v.s = in->s, v.n = (int32_t)strlen(in->s);
    else if (a->spec.arg.kind == TY_DOUBLE || a->spec.arg.kind == TY_FLOAT) v.d = in->num;
    else v.i = (int64_t)in->num;
    assert_int_equal(upd(a, a->spec.call->a ? &v : NULL, in->sign), 0);
}

/* merge(first half, second half) is the state of the whole input, for every
 * row of agg.c's table: all rows go to `whole`, rows alternate between a and
 * b, then b is merged into a. */
static void test_merge(void **state)
{
    (void)state;
    static const MergeIn adds_only[] = {
        {1, 3, "c"}, {1, 0.1, "a-long-string-value"}, {1, 7, "-"}, {1, -2.5, "b"}, {1, 0.1, "c"},
        {1, 1e6, "zz"}, {1, 3, "a-long-string-value"}, {1, -12345.67, "b"}, {1, 0.7, "-"}, {1, 3, "c"},
    };
    static const MergeIn with_retracts[] = {
        {1, 3, "c"}, {1, 5, "a-long-string-value"}, {1, 7, "b"}, {-1, 3, "c"}, {1, 3, "c"},
        {-1, 7, "b"}, {1, 9, "-"}, {-1, 5, "a-long-string-value"}, {1, 7, "b"}, {1, 7, "b"}, {-1, 9, "-"},
    };
    struct {
        const char *fn;
        TypeKind    arg, res;
        bool        distinct, retract;
    } cases[] = {
        {"COUNT", TY_NULL, TY_BIGINT, false, true},  {"COUNT", TY_STRING, TY_BIGINT, false, true},
        {"COUNT", TY_STRING, TY_BIGINT, true, true}, {"SUM", TY_DOUBLE, TY_DOUBLE, false, true},
        {"AVG", TY_DOUBLE, TY_DOUBLE, false, true},  {"SUM", TY_BIGINT, TY_BIGINT, false, true},
        {"AVG", TY_INT, TY_INT, false, true},        {"SUM", TY_INT, TY_INT, true, true},
        {"AVG", TY_DOUBLE, TY_DOUBLE, true, true},   {"MIN", TY_STRING, TY_STRING, false, false},
        {"MAX", TY_DOUBLE, TY_DOUBLE, false, false}, {"MIN", TY_STRING, TY_STRING, false, true},
        {"MAX", TY_BIGINT, TY_BIGINT, true, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int withr = 0; withr < 2; withr++) {
            if (withr && !cases[c].retract) continue;
            const MergeIn *in = withr ? with_retracts : adds_only;
            size_t n = withr ? sizeof with_retracts / sizeof *in : sizeof adds_only / sizeof *in;
            Type at = cases[c].arg == TY_NULL ? T(TY_NULL) : T(cases[c].arg);
            Type rt = cases[c].res == TY_BIGINT && cases[c].fn[0] == 'C' ? type_make(TY_BIGINT, false) : T(cases[c].res);
            Acc *whole = mk(cases[c].fn, at, rt, cases[c].distinct, cases[c].retract);
            Acc *a = mk(cases[c].fn, at, rt, cases[c].distinct, cases[c].retract);
            Acc *b = mk(cases[c].fn, at, rt, cases[c].distinct, cases[c].retract);
            Acc *empty = mk(cases[c].fn, at, rt, cases[c].distinct, cases[c].retract);
            for (size_t i = 0; i < n; i++) {
                feed(whole, &in[i]);
                feed(i % 2 ? b : a, &in[i]);
            }
            print_message("merge %s%s(%d) %s\n", cases[c].fn, cases[c].distinct ? " DISTINCT" : "", (int)cases[c].arg,
                          withr ? "with retractions" : "adds only");
            assert_int_equal(agg_merge(&a->spec, a->st, b->st, a->err, sizeof a->err), 0);
            assert_int_equal(agg_merge(&a->spec, a->st, empty->st, a->err, sizeof a->err), 0);
            chk_same_state(a, whole);
            /* into an empty state: a copy */
            assert_int_equal(agg_merge(&empty->spec, empty->st, whole->st, empty->err, sizeof empty->err), 0);
            chk_same_state(empty, whole);
            done(whole), done(a), done(b), done(empty);
        }
    }

    /* a DECIMAL overflow fails the merge and leaves the state as it was */
    for (int distinct = 0; distinct < 2; distinct++) {
        Type d180 = type_decimal(18, 0, true);
        Acc *a = mk("SUM", d180, type_decimal(38, 0, true), distinct, true);
        Acc *b = mk("SUM", d180, type_decimal(38, 0, true), distinct, true);
        Acc *before = mk("SUM", d180, type_decimal(38, 0, true), distinct, true);
        addi(a, 999999999999999999LL, 1);
        addi(before, 999999999999999999LL, 1);
        addi(b, 5, 1);
        addi(b, 1, 1);
        assert_int_equal(agg_merge(&a->spec, a->st, b->st, a->err, sizeof a->err), -1);
        assert_non_null(strstr(a->err, "overflow"));
        chk_same_state(a, before);
        chk_i(a, 999999999999999999LL);
        done(a), done(b), done(before);
    }
}


/* ---- STDDEV / VAR ------------------------------------------------------------------ */

/* Feeds doubles (sign per value) to an accumulator. */
static void feed_d(Acc *a, const double *v, const int *sign, size_t n)
{
    for (size_t i = 0; i < n; i++) addd(a, v[i], sign ? sign[i] : 1);
}

static void test_variance(void **state)
{
    (void)state;
    static const double xs[] = {2, 4, 4, 4, 5, 5, 7, 9};   /* mean 5, Σ(x − mean)² = 32 */
    Acc *vp = mk("VAR_POP", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *vs = mk("VAR_SAMP", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *sp = mk("STDDEV_POP", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *ss = mk("STDDEV", T(TY_DOUBLE), T(TY_DOUBLE), false, true);   /* STDDEV_SAMP */
    Acc *all[] = {vp, vs, sp, ss};
    for (int k = 0; k < 4; k++) chk_null(all[k]);   /* no value */
    for (int k = 0; k < 4; k++) addnull(all[k], 1);
    for (int k = 0; k < 4; k++) chk_null(all[k]);   /* NULLs are no values */
    for (int k = 0; k < 4; k++) addd(all[k], 3, 1);
    chk_d(vp, 0), chk_null(vs), chk_d(sp, 0), chk_null(ss);   /* one value: a sample has no variance */
    for (int k = 0; k < 4; k++) {
        addd(all[k], 3, -1);
        chk_null(all[k]);   /* back to none */
        feed_d(all[k], xs, NULL, 4);
        roundtrip(all[k]);   /* a checkpoint in the middle */
        feed_d(all[k], xs + 4, NULL, 4);
        roundtrip(all[k]);
    }
    chk_d(vp, 4), chk_d(vs, 32.0 / 7), chk_d(sp, 2), chk_d(ss, sqrt(32.0 / 7));

    /* cancellation: values near 1e9 whose squares' ulp is 128 */
    Acc *c = mk("VAR_POP", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    static const double big[] = {1000000000.5, 1000000001.5, 1000000002.5};
    feed_d(c, big, NULL, 3);
    chk_d(c, 2.0 / 3);
    addd(c, 1000000002.5, -1);
    chk_d(c, 0.25);
    roundtrip(c);
    addd(c, 1000000001.5, -1);
    chk_d(c, 0);   /* back to one value: exactly 0 */
    addd(c, 1000000003.5, 1);
    chk_d(c, 2.25);

    /* typed as AVG: INT truncates, DECIMAL(10, 2) → DECIMAL(38, 6) */
    Acc *vi = mk("VAR_POP", T(TY_INT), T(TY_INT), false, true);
    addi(vi, 1, 1), addi(vi, 2, 1);
    chk_i(vi, 0);   /* 0.25 */
    addi(vi, 2, -1), addi(vi, 3, 1);
    chk_i(vi, 1);
    roundtrip(vi);
    Acc *sd = mk("STDDEV_POP", type_decimal(10, 2, true), type_decimal(38, 6, true), false, true);
    addi(sd, 100, 1), addi(sd, 200, 1);   /* 1.00, 2.00 */
    chk_i(sd, 500000);                    /* 0.500000 */
    roundtrip(sd);
    /* a value whose variance could not fit 18 digits at scale 6 fails, state unchanged */
    Acc *vd = mk("VAR_POP", type_decimal(18, 0, true), type_decimal(38, 6, true), false, true);
    addi(vd, 5, 1);
    Value v = {.i = 1000000000000LL};
    assert_int_equal(upd(vd, &v, 1), -1);
    assert_non_null(strstr(vd->err, "overflow"));
    chk_i(vd, 0);

    /* merge: the sums are exact here, so merged == whole bit for bit */
    Acc *w = mk("STDDEV_SAMP", T(TY_DOUBLE), T(TY_DOUBLE), false, false);
    Acc *a = mk("STDDEV_SAMP", T(TY_DOUBLE), T(TY_DOUBLE), false, false);
    Acc *b = mk("STDDEV_SAMP", T(TY_DOUBLE), T(TY_DOUBLE), false, false);
    feed_d(w, xs, NULL, 8);
    feed_d(a, xs, NULL, 3);
    feed_d(b, xs + 3, NULL, 5);
    assert_int_equal(agg_merge(&a->spec, a->st, b->st, a->err, sizeof a->err), 0);
    chk_d(a, sqrt(32.0 / 7));
    /* DISTINCT: 2, 4, 5, 7, 9 → mean 5.4, Σ(x − mean)² = 29.2 */
    Acc *dv = mk("VAR_POP", T(TY_DOUBLE), T(TY_DOUBLE), true, true);
    feed_d(dv, xs, NULL, 8);
    Value r = res(dv);
    assert_true(fabs(r.d - 29.2 / 5) < 1e-12);
    Acc *rest[] = {vp, vs, sp, ss, c, vi, sd, vd, w, a, b, dv};
    for (size_t k = 0; k < sizeof rest / sizeof *rest; k++) done(rest[k]);
}

/* ---- LISTAGG, FIRST_VALUE, LAST_VALUE ---------------------------------------------- */

static void test_listagg(void **state)
{
    (void)state;
    Acc *a = mk("LISTAGG", T(TY_STRING), T(TY_STRING), false, false);
    chk_null(a);
    addnull(a, 1);
    chk_null(a);   /* only NULLs: NULL */
    adds(a, "ann", 1);
    chk_s(a, "ann");
    adds(a, "a value longer than eight bytes", 1);
    roundtrip(a);
    addnull(a, 1);
    adds(a, "", 1);
    adds(a, "cy", 1);
    chk_s(a, "ann,a value longer than eight bytes,,cy");
    /* a constant separator; merge appends the later part */
    BExpr sep = {.kind = BX_LIT, .type = T(TY_STRING), .lit = {.s = " | ", .n = 3}};
    BExpr *sepv[] = {&sep};
    Acc *p = mk("LISTAGG", T(TY_STRING), T(TY_STRING), false, false), *q = mk("LISTAGG", T(TY_STRING), T(TY_STRING), false, false);
    p->call.args = q->call.args = sepv;
    p->call.nargs = q->call.nargs = 1;
    adds(p, "x", 1), adds(q, "y", 1), adds(q, "z", 1);
    assert_int_equal(agg_merge(&p->spec, p->st, q->st, p->err, sizeof p->err), 0);
    chk_s(p, "x | y | z");
    roundtrip(p);
    chk_s(p, "x | y | z");

    /* over a retracting input: the earliest equal value leaves; a retraction
     * of an absent value cancels the next equal value to arrive */
    Acc *r = mk("LISTAGG", T(TY_STRING), T(TY_STRING), false, true);
    adds(r, "x", 1), adds(r, "y", 1), adds(r, "x", 1);
    chk_s(r, "x,y,x");
    adds(r, "x", -1);
    chk_s(r, "y,x");
    adds(r, "zz", -1);   /* not there */
    chk_s(r, "y,x");
    roundtrip(r);        /* the pending retraction survives a restart */
    adds(r, "zz", 1);    /* cancelled */
    chk_s(r, "y,x");
    adds(r, "zz", 1);
    chk_s(r, "y,x,zz");
    roundtrip(r);
    adds(r, "y", -1), adds(r, "x", -1), adds(r, "zz", -1);
    chk_null(r);
    roundtrip(r);

    /* the bound: a group's values stop at 64 MiB with a message */
    Acc *big = mk("LISTAGG", T(TY_STRING), T(TY_STRING), false, false);
    size_t mb = (size_t)1 << 20;
    char *chunk = malloc(mb);
    memset(chunk, 'x', mb);
    Value cv = {.s = chunk, .n = (int32_t)mb};
    int k = 0, rc = 0;
    while (k < 100 && (rc = upd(big, &cv, 1)) == 0) k++;
    assert_int_equal(rc, -1);
    assert_int_equal(k, 63);
    assert_non_null(strstr(big->err, "64 MiB"));
    free(chunk);
    done(a), done(p), done(q), done(r), done(big);
}

static void test_first_last(void **state)
{
    (void)state;
    for (int retract = 0; retract < 2; retract++) {
        Acc *f = mk("FIRST_VALUE", T(TY_STRING), T(TY_STRING), false, retract);
        Acc *l = mk("LAST_VALUE", T(TY_STRING), T(TY_STRING), false, retract);
        Acc *fi = mk("FIRST_VALUE", T(TY_BIGINT), T(TY_BIGINT), false, retract);
        Acc *ld = mk("LAST_VALUE", T(TY_DOUBLE), T(TY_DOUBLE), false, retract);
        chk_null(f), chk_null(l), chk_null(fi), chk_null(ld);
        addnull(f, 1), addnull(l, 1), addnull(fi, 1), addnull(ld, 1);
        chk_null(f), chk_null(l), chk_null(fi), chk_null(ld);
        const char *names[] = {"a first value, long", "b", "c third"};
        for (int i = 0; i < 3; i++) {
            adds(f, names[i], 1), adds(l, names[i], 1);
            addi(fi, 10 + i, 1), addd(ld, 0.5 + i, 1);
            if (i == 1) roundtrip(f), roundtrip(l), roundtrip(fi), roundtrip(ld);
        }
        addnull(f, 1), addnull(l, 1);
        chk_s(f, "a first value, long"), chk_s(l, "c third"), chk_i(fi, 10), chk_d(ld, 2.5);
        if (retract) {
            adds(f, "a first value, long", -1), adds(l, "c third", -1);
            chk_s(f, "b"), chk_s(l, "b");
            roundtrip(f), roundtrip(l);
            adds(f, "nothing", -1);   /* absent: ignored, as Flink's */
            adds(f, "b", -1), adds(l, "b", -1);
            chk_s(f, "c third"), chk_s(l, "a first value, long");
            adds(f, "c third", -1), adds(l, "a first value, long", -1);
            chk_null(f), chk_null(l);
            adds(f, "nothing", 1);
            chk_s(f, "nothing");
        } else {
            /* merge: other holds the later values */
            Acc *f2 = mk("FIRST_VALUE", T(TY_STRING), T(TY_STRING), false, false);
            Acc *l2 = mk("LAST_VALUE", T(TY_STRING), T(TY_STRING), false, false);
            Acc *e = mk("LAST_VALUE", T(TY_STRING), T(TY_STRING), false, false);
            adds(f2, "later", 1), adds(l2, "later", 1);
            assert_int_equal(agg_merge(&f->spec, f->st, f2->st, f->err, sizeof f->err), 0);
            assert_int_equal(agg_merge(&l->spec, l->st, l2->st, l->err, sizeof l->err), 0);
            assert_int_equal(agg_merge(&l->spec, l->st, e->st, l->err, sizeof l->err), 0);
            chk_s(f, "a first value, long"), chk_s(l, "later");
            assert_int_equal(agg_merge(&e->spec, e->st, f2->st, e->err, sizeof e->err), 0);
            chk_s(e, "later");
            /* an append-only accumulator refuses a retraction */
            Value v = {.s = "b", .n = 1};
            assert_int_equal(upd(f, &v, -1), -1);
            done(f2), done(l2), done(e);
        }
        done(f), done(l), done(fi), done(ld);
    }
}

/* ---- sizes ------------------------------------------------------------------------ */

static void test_state_sizes(void **state)
{
    (void)state;
    /* the reference job: COUNT(*), SUM(amount), AVG(amount) over a retracting input */
    Acc *c = mk("COUNT", T(TY_NULL), type_make(TY_BIGINT, false), false, true);
    Acc *s = mk("SUM", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    Acc *a = mk("AVG", T(TY_DOUBLE), T(TY_DOUBLE), false, true);
    size_t total = agg_state_size(&c->spec) + agg_state_size(&s->spec) + agg_state_size(&a->spec);
    print_message("reference aggregate state: %zu bytes per group\n", total);
    /* COUNT 8 + SUM 24 + AVG 24: the DOUBLE sums carry their exact remainder */
    assert_true(total <= 56);
    Acc *m = mk("MIN", T(TY_STRING), T(TY_STRING), false, false);
    assert_int_equal(agg_state_size(&m->spec), 16);
    done(c);
    done(s);
    done(a);
    done(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_sum_avg_double),
        cmocka_unit_test(test_integer_semantics),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_minmax_append),
        cmocka_unit_test(test_minmax_retract),
        cmocka_unit_test(test_minmax_many),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_state_sizes),
        cmocka_unit_test(test_double_sum_order_independent),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_variance),
        cmocka_unit_test(test_listagg),
        cmocka_unit_test(test_first_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
