/*
 * fn_math.c — conditionals and math: IF, IFNULL, GREATEST, LEAST, SIGN,
 * SQRT, LN, LOG10, LOG2, LOG, EXP, TRUNCATE, UUID (Flink's semantics).
 *
 *   - IF(c, a, b): a when c is TRUE; b when c is FALSE or NULL.  Only the
 *     branch taken is evaluated.
 *   - IFNULL(x, y): y is evaluated only when x is NULL.
 *   - GREATEST / LEAST: NULL when any argument is NULL; compared in the
 *     arguments' common type.
 *   - SQRT, LN, LOG… and EXP are Java's Math functions on DOUBLE: the log
 *     of 0 is -Infinity, of a negative number NaN (no error).
 *   - TRUNCATE(x [, n]) cuts toward zero at n decimal places (n < 0: tens,
 *     hundreds, …); a DOUBLE is cut in its shortest decimal text (as
 *     Flink's BigDecimal), so TRUNCATE(0.29, 2) is 0.29.
 *   - UUID(): a version 4 UUID from a per-thread generator seeded by
 *     getrandom(); a new one at every evaluation (FF_NONDET).
 */
#include "fn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const int64_t P10[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL, 10000000000LL,
    100000000000LL, 1000000000000LL, 10000000000000LL, 100000000000000LL, 1000000000000000LL, 10000000000000000LL,
    100000000000000000LL, 1000000000000000000LL,
};

/* An integer cut toward zero to a multiple of 10^k. */
static int64_t cut_int(int64_t v, int64_t k)
{
    if (k <= 0) return v;
    if (k > 18) return 0;
    return v / P10[k] * P10[k];
}

static double truncate_double(double d, int64_t n)
{
    if (isnan(d) || isinf(d)) return d;
    if (n > 17) return d;
    if (n < -308) return 0.0 * d;
    StrBuf b = {0};
    double_print(&b, d);       /* shortest text: 1.234E10 or 0.29 */
    char *s = b.s;
    char *e = strpbrk(s, "eE");
    int exp10 = 0;
    char mant[64];
    int mn = e ? (int)(e - s) : (int)strlen(s);
    if (e) exp10 = atoi(e + 1);
    if (mn > 60) mn = 60;
    memcpy(mant, s, (size_t)mn);
    mant[mn] = 0;
    sb_free(&b);
    /* digits and the position of the point in them */
    char dig[80];
    int nd = 0, point = -1;
    bool neg = mant[0] == '-';
    for (char *p = mant + neg; *p; p++) {
        if (*p == '.') point = nd;
        else dig[nd++] = *p;
    }
    if (point < 0) point = nd;
    point += exp10;
    int keep = point + (int)n;   /* digits kept */
    if (keep <= 0) return 0.0;   /* BigDecimal has no -0 */
    char txt[128];
    int w = 0;
    if (neg) txt[w++] = '-';
    for (int i = 0; i < keep && i < nd; i++) txt[w++] = dig[i];
    for (int i = nd; i < keep; i++) txt[w++] = '0';
    w += snprintf(txt + w, sizeof txt - (size_t)w, "e%d", -(keep - point));
    txt[w] = 0;
    double r = strtod(txt, NULL);
    return r == 0 ? 0.0 : r;
}

static __thread uint64_t uuid_state[2];

static uint64_t uuid_next(void)
{
    if (!uuid_state[0] && !uuid_state[1]) {
        if (getrandom(uuid_state, sizeof uuid_state, 0) != (ssize_t)sizeof uuid_state || (!uuid_state[0] && !uuid_state[1])) {
            uuid_state[0] = (uint64_t)(uintptr_t)&uuid_state ^ 0x9E3779B97F4A7C15ull;
            uuid_state[1] = (uint64_t)time(NULL) | 1;
        }
    }
    /* xorshift128+ */
    uint64_t s1 = uuid_state[0], s0 = uuid_state[1];
    uuid_state[0] = s0;
    s1 ^= s1 << 23;
    uuid_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return uuid_state[1] + s0;
}

int fn_math(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    Value v[2];
    memset(v, 0, sizeof v);
    bool null;
    switch (e->fn->id) {
    case FN_IF: {
        int c = eval_pred(e->args[0], row, ctx);
        if (c < 0) return -1;
        const BExpr *b = e->args[c ? 1 : 2];
        if (eval_expr(b, row, out, ctx)) return -1;
        if (b->type.kind == TY_NULL) return fn_null(out), 0;
        return eval_coerce(e, b->type, e->type, out, ctx);
    }
    case FN_IFNULL:
        for (int i = 0; i < 2; i++) {
            if (eval_expr(e->args[i], row, out, ctx)) return -1;
            if (!out->null && e->args[i]->type.kind != TY_NULL) return eval_coerce(e, e->args[i]->type, e->type, out, ctx);
        }
        fn_null(out);
        return 0;
    case FN_GREATEST:
    case FN_LEAST: {
        int best = -1;
        Value bv;
        memset(&bv, 0, sizeof bv);
        for (int i = 0; i < e->nargs; i++) {
            Value x;
            if (eval_expr(e->args[i], row, &x, ctx)) return -1;
            if (x.null || e->args[i]->type.kind == TY_NULL) return fn_null(out), 0;
            if (best < 0) {
                best = i, bv = x;
                continue;
            }
            int c = eval_cmp(e->args[i]->type, &x, e->args[best]->type, &bv);
            if (c != 2 && (e->fn->id == FN_GREATEST ? c > 0 : c < 0)) best = i, bv = x;
        }
        *out = bv;
        return eval_coerce(e, e->args[best]->type, e->type, out, ctx);
    }
    case FN_UUID: {
        uint64_t a = uuid_next(), b = uuid_next();
        a = (a & ~0xF000ull) | 0x4000ull;                          /* version 4 */
        b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;   /* variant 10 */
        char *p = fn_alloc(ctx, 37);
        snprintf(p, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xFFFF, (unsigned)a & 0xFFFF,
                 (unsigned)(b >> 48), (unsigned long long)(b & 0xFFFFFFFFFFFFull));
        fn_str(out, p, 36);
        return 0;
    }
    default: break;
    }
    if (fn_args(e, row, v, &null, ctx)) return -1;
    if (null) return fn_null(out), 0;
    Type t = e->args[0]->type;
    double x = eval_num_to_double(t, &v[0]);
    switch (e->fn->id) {
    case FN_SIGN:
        if (t.kind == TY_DOUBLE || t.kind == TY_FLOAT) fn_dbl(out, isnan(x) ? x : x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0);
        else if (t.kind == TY_DECIMAL) fn_int(out, (v[0].i > 0) - (v[0].i < 0) ? ((v[0].i > 0) - (v[0].i < 0)) * (t.scale <= 18 ? P10[t.scale] : 0) : 0);
        else fn_int(out, (v[0].i > 0) - (v[0].i < 0));
        return 0;
    case FN_SQRT: fn_dbl(out, sqrt(x)); return 0;
    case FN_LN: fn_dbl(out, log(x)); return 0;
    case FN_LOG10: fn_dbl(out, log10(x)); return 0;
    case FN_LOG2: fn_dbl(out, log2(x)); return 0;
    case FN_EXP: fn_dbl(out, exp(x)); return 0;
    case FN_LOG:
        if (e->nargs == 1) fn_dbl(out, log(x));
        else fn_dbl(out, log(eval_num_to_double(e->args[1]->type, &v[1])) / log(x));
        return 0;
    case FN_TRUNCATE: {
        int64_t n = e->nargs == 2 ? v[1].i : 0;
        if (t.kind == TY_DOUBLE) fn_dbl(out, truncate_double(x, n));
        else if (t.kind == TY_FLOAT) fn_dbl(out, (float)truncate_double(x, n));
        else if (t.kind == TY_DECIMAL) {
            int64_t u = v[0].i, s = t.scale, rs = e->type.scale;
            if (n < s) {
                int64_t drop = s - (n < 0 ? 0 : n);               /* to scale max(n, 0) */
                u = drop > 18 ? 0 : u / P10[drop];
                if (n < 0) u = cut_int(u, -n);
            }
            (void)rs;
            fn_int(out, u);
        } else {
            fn_int(out, n < 0 ? cut_int(v[0].i, -n) : v[0].i);
        }
        return 0;
    }
    default: return fn_fail(ctx, e, "%s cannot be evaluated here", e->fn->name);
    }
}
