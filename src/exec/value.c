/*
 * value.c — batches of rows, and comparing and printing single values.
 *
 * What lives here: the growable Batch (batch_*), the SQL ordering of values
 * of one type (value_cmp / value_eq), and the text of a value as Flink's
 * SQL client prints it (value_print, double_print).  Evaluating expressions
 * is eval.c's business; it shares two helpers from this file (value_format
 * and double_shortest, see the note above them) so that CAST(x AS STRING)
 * and printing can never disagree.
 *
 * Printing follows Flink's TableResult.print() since 1.15, which renders
 * every column with the CAST-to-STRING rules:
 *   BOOLEAN        TRUE / FALSE (FLINK-24685: upper case since 1.15)
 *   NULL           NULL (the SQL client's tableau mode shows <NULL>; eddy's
 *                  changelog text uses the bare word, as value.h promises)
 *   STRING         the characters, no quotes
 *   BYTES          x'0a1b' (lower-case hex, as Flink prints binary)
 *   DOUBLE/FLOAT   Java's Double.toString / Float.toString with the
 *                  shortest digits that read back as the same number
 *                  (JDK 19+ behaviour): 801.7, 1.0, 0.30000000000000004,
 *                  1.0E7, 1.0E-4, -0.0, NaN, Infinity
 *   DECIMAL(p, s)  plain notation with exactly s fraction digits: 5.00
 *   DATE           2024-01-31
 *   TIMESTAMP(p)   2024-01-31 10:00:00.000 — exactly p fraction digits
 *   TIMESTAMP_LTZ  the same, as a local time in the session time zone
 *                  ('table.local-time-zone', UTC by default: the _tz
 *                  variants take it)
 *   INTERVAL       +1 02:03:04.005 (days, then time), as Flink prints
 *                  INTERVAL DAY TO SECOND
 */
#include "civil.h"
#include "value.h"
#include "nested.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Batches                                                             */

void batch_init(Batch *b, int ncols, Arena *arena)
{
    memset(b, 0, sizeof *b);
    b->ncols = ncols;
    b->arena = arena;
}

void batch_free(Batch *b)
{
    if (!b) return;
    free(b->kinds);
    free(b->vals);
    free(b->ts);
    b->kinds = NULL;
    b->vals = NULL;
    b->ts = NULL;
    b->n = b->cap = 0;
}

void batch_clear(Batch *b) { b->n = 0; }

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();   /* out of memory: the library does not print */
    return q;
}

Value *batch_add(Batch *b, RowKind k, int64_t ts)
{
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 64;
        b->kinds = xrealloc(b->kinds, sizeof *b->kinds * (size_t)cap);
        b->vals = xrealloc(b->vals, sizeof *b->vals * (size_t)cap * (size_t)b->ncols);
        b->ts = xrealloc(b->ts, sizeof *b->ts * (size_t)cap);
        b->cap = cap;
    }
    b->kinds[b->n] = k;
    b->ts[b->n] = ts;
    return batch_row(b, b->n++);
}

const char *rowkind_str(RowKind k)
{
    switch (k) {
    case RK_INSERT: return "+I";
    case RK_UPDATE_BEFORE: return "-U";
    case RK_UPDATE_AFTER: return "+U";
    case RK_DELETE: return "-D";
    }
    return "??";
}

/* ------------------------------------------------------------------ */
/* Ordering                                                            */

static inline bool kind_is_float(int k) { return k == TY_FLOAT || k == TY_DOUBLE; }
/* Strings, and nested values, which are byte strings too (nested.h). */
static inline bool kind_is_bytes(int k) { return k == TY_STRING || k == TY_BYTES || k == TY_ROW || k == TY_ARRAY || k == TY_MAP; }

/* Bytewise, then shorter first: Flink's BinaryStringData.compareTo. */
static int bytes_cmp(const char *a, int an, const char *b, int bn)
{
    int n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, (size_t)n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (an > bn) - (an < bn);
}

/* Doubles in a total order, so grouping and MIN/MAX stay well defined:
 * numerically (so -0.0 equals 0.0), NaN above everything and equal to
 * itself.  (Comparison operators in expressions follow IEEE instead; see
 * eval.c.) */
static int double_cmp(double x, double y)
{
    if (x < y) return -1;
    if (x > y) return 1;
    if (x == y) return 0;
    return isnan(x) ? (isnan(y) ? 0 : 1) : -1;
}

int value_cmp(Type t, const Value *a, const Value *b)
{
    if (a->null || b->null) return b->null - a->null;
    if (kind_is_float(t.kind)) return double_cmp(a->d, b->d);
    if (kind_is_bytes(t.kind)) return bytes_cmp(a->s, a->n, b->s, b->n);
    if (t.kind == TY_NULL) return 0;
    return (a->i > b->i) - (a->i < b->i);
}

bool value_eq(Type t, const Value *a, const Value *b)
{
    if (a->null || b->null) return a->null && b->null;
    if (kind_is_float(t.kind)) return double_cmp(a->d, b->d) == 0;
    if (kind_is_bytes(t.kind)) return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, (size_t)a->n) == 0);
    if (t.kind == TY_NULL) return true;
    return a->i == b->i;
}

void value_copy_into(Arena *a, Type t, Value *v)
{
    if (v->null || !kind_is_bytes(t.kind)) return;
    v->s = v->n ? arena_strndup(a, v->s, (size_t)v->n) : arena_alloc(a, 1);   /* no zeroing of what memcpy writes */
}

/* ------------------------------------------------------------------ */
/* Shortest digits of a double                                         */

static const double p10d[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The slow path: the fewest of 15, 16 or 17 (FLOAT: 6..9) significant
 * digits that strtod reads back as the same number.  When a shorter text
 * exists, the correctly rounded one of 15 digits is it, padded with zeros
 * (stripped below): decimals of 15 digits lie several ulps apart.  That
 * does not hold for subnormals, whose ulps are huge; they search from 2
 * digits up — 2, not 1, because Java prints at least two digits and picks
 * the closest of those (Double.MIN_VALUE is 4.9E-324, not 5.0E-324). */
static void shortest_slow(double d, bool is_float, int64_t *m, int *e10)
{
    char buf[40];
    bool sub = fabs(d) < (is_float ? FLT_MIN : DBL_MIN);
    int lo = sub ? 1 : is_float ? 5 : 14, hi = is_float ? 8 : 16;
    for (int prec = lo; prec <= hi; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, d);
        bool same = is_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d;
        if (same || prec == hi) break;
    }
    /* buf is [-]D.DDDDe[+-]XX */
    const char *p = buf;
    bool neg = *p == '-';
    if (neg) p++;
    int64_t v = 0;
    int ndig = 0;
    for (; *p && *p != 'e'; p++) {
        if (*p == '.') continue;
        v = v * 10 + (*p - '0');
        ndig++;
    }
    int exp = atoi(p + 1);
    int e = exp - (ndig - 1);
    while (v && v % 10 == 0) {
        v /= 10;
        e++;
    }
    *m = neg ? -v : v;
    *e10 = e;
}

typedef unsigned __int128 u128;

/* 10^k for k <= 21, in 128 bits. */
static const u128 P10U[22] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL,
    (u128)10000000000000000000ULL * 10, (u128)10000000000000000000ULL * 100,
};

/* The integers m with lo <= m / 10^k × 2^sh <= hi (strictly inside when
 * !incl), for bounds lo4 / 2^sh and hi4 / 2^sh; true when there is one. */
static bool exact_fits(u128 lo4, u128 hi4, int sh, bool incl, int k, u128 *mlo, u128 *mhi)
{
    u128 pk = P10U[k], mask = ((u128)1 << sh) - 1;
    u128 L = lo4 * pk, H = hi4 * pk;
    *mlo = (L >> sh) + ((L & mask) != 0 || !incl ? 1 : 0);
    *mhi = (H >> sh) - ((H & mask) == 0 && !incl ? 1 : 0);
    return *mlo <= *mhi;
}

/* The exact path, for 1e-4 <= |d| < 2^53: d = M × 2^-q exactly, and a
 * decimal m × 10^-k reads back as d when it lies in d's rounding interval
 * (half an ulp each side, the bounds included when M is even, since strtod
 * rounds ties to even; a quarter ulp below a power of two).  With k <= 21
 * the bounds times 10^k fit 128 bits, so the interval test is exact.  The
 * k that work are all k from some k0 up, found by bisection; at k0 the
 * candidate nearest to d is taken, as Java does.  False when d is out of
 * this path's range. */
static bool shortest_exact(double d, int64_t *m, int *e10)
{
    double a = fabs(d);
    if (!(a >= 1e-4 && a < 9007199254740992.0)) return false;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int bexp = (int)(bits >> 52);
    uint64_t M = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int sh = 1075 - bexp + 2;             /* a = 4M / 2^sh */
    if (sh <= 2 || sh > 100) return false;
    u128 lo4 = 4 * M - ((M == 1ULL << 52 && bexp > 1) ? 1 : 2), hi4 = 4 * M + 2;
    bool incl = (M & 1) == 0;
    u128 mlo, mhi;
    int klo = 0, khi = 21;
    if (!exact_fits(lo4, hi4, sh, incl, khi, &mlo, &mhi)) return false;
    while (klo < khi) {
        int mid = (klo + khi) / 2;
        if (exact_fits(lo4, hi4, sh, incl, mid, &mlo, &mhi)) khi = mid;
        else klo = mid + 1;
    }
    exact_fits(lo4, hi4, sh, incl, klo, &mlo, &mhi);
    /* the candidate nearest to a: round(4M × 10^k / 2^sh), ties to even */
    u128 C = (u128)(4 * M) * P10U[klo], v = C >> sh;
    u128 rem = C & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
    if (rem > half || (rem == half && (v & 1))) v++;
    if (v < mlo) v = mlo;
    if (v > mhi) v = mhi;
    int64_t r = (int64_t)v;
    int e = -klo;
    while (r && r % 10 == 0) {
        r /= 10;
        e++;
    }
    *m = d < 0 ? -r : r;
    *e10 = e;
    return true;
}

/* Shared with eval.c (not in value.h; see the file comment): the shortest
 * decimal m × 10^e10 that reads back as d (as a float when is_float), with
 * m free of trailing zeros; d must be finite.  This is what Java's
 * BigDecimal.valueOf(d) sees, so ROUND and CAST to DECIMAL round the
 * number the user wrote (2.675, not 2.67499999…).
 *
 * Fast path: most values on a stream are short decimals (801.7, 19.99).
 * For k = 0, 1, 2, … take m = round(d × 10^k); when m has at most 15
 * digits and m / 10^k (an exactly rounded IEEE division of two exact
 * numbers) gives back d, m × 10^-k is the shortest text: a shorter one
 * would have stopped at a smaller k, and with 15 digits neighbouring
 * candidates are several ulps apart, so the rounding cannot pick the
 * wrong one. */
void double_shortest(double d, bool is_float, int64_t *m, int *e10)
{
    if (d == 0) {
        *m = 0;
        *e10 = 0;
        return;
    }
    double a = fabs(d);
    if (!is_float && a >= 1e-7 && a < 1e15) {
        for (int k = 0; k <= 22; k++) {
            double t = a * p10d[k];
            if (t >= 1e15) break;
            int64_t v = llround(t);
            if (v && (double)v / p10d[k] == a) {
                int e = -k;
                while (v % 10 == 0) {
                    v /= 10;
                    e++;
                }
                *m = d < 0 ? -v : v;
                *e10 = e;
                return;
            }
        }
    }
    if (!is_float && shortest_exact(d, m, e10)) return;
    shortest_slow(d, is_float, m, e10);
}

/* ------------------------------------------------------------------ */
/* Formatting into a buffer                                            */

static int put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

static int put_i64(char *p, int64_t v)
{
    if (v < 0) {
        p[0] = '-';
        return 1 + put_u64(p + 1, 0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

/* Zero-padded to `width` digits. */
static int put_padded(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return width;
}

/* Java's Double.toString layout of ±m × 10^e10. */
static int format_java(char *p, bool neg, int64_t m, int e10)
{
    char dig[24];
    int n = put_u64(dig, (uint64_t)(m < 0 ? -m : m));
    int E = n - 1 + e10;       /* value = d.ddd × 10^E */
    int o = 0;
    if (neg) p[o++] = '-';
    if (m == 0) {
        memcpy(p + o, "0.0", 3);
        return o + 3;
    }
    if (E >= -3 && E < 7) {
        if (E >= 0) {
            for (int i = 0; i <= E; i++) p[o++] = i < n ? dig[i] : '0';
            p[o++] = '.';
            if (n > E + 1) {
                memcpy(p + o, dig + E + 1, (size_t)(n - E - 1));
                o += n - E - 1;
            } else {
                p[o++] = '0';
            }
        } else {
            p[o++] = '0';
            p[o++] = '.';
            for (int i = 0; i < -E - 1; i++) p[o++] = '0';
            memcpy(p + o, dig, (size_t)n);
            o += n;
        }
        return o;
    }
    p[o++] = dig[0];
    p[o++] = '.';
    if (n > 1) {
        memcpy(p + o, dig + 1, (size_t)(n - 1));
        o += n - 1;
    } else {
        p[o++] = '0';
    }
    p[o++] = 'E';
    o += put_i64(p + o, E);
    return o;
}

static int format_double(char *p, double d, bool is_float)
{
    if (isnan(d)) return memcpy(p, "NaN", 3), 3;
    if (isinf(d)) {
        if (d < 0) return memcpy(p, "-Infinity", 9), 9;
        return memcpy(p, "Infinity", 8), 8;
    }
    int64_t m;
    int e10;
    double_shortest(d, is_float, &m, &e10);
    return format_java(p, signbit(d) != 0, m, e10);
}

static int format_decimal(char *p, int64_t v, int scale)
{
    int o = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) p[o++] = '-';
    if (scale == 0) return o + put_u64(p + o, u);
    char dig[24];
    int n = put_u64(dig, u);
    if (n <= scale) {
        p[o++] = '0';
        p[o++] = '.';
        for (int i = n; i < scale; i++) p[o++] = '0';
        memcpy(p + o, dig, (size_t)n);
        return o + n;
    }
    memcpy(p + o, dig, (size_t)(n - scale));
    o += n - scale;
    p[o++] = '.';
    memcpy(p + o, dig + n - scale, (size_t)scale);
    return o + scale;
}


static int format_date(char *p, int64_t days)
{
    int64_t y;
    int m, d, o = 0;
    civil_from_days(days, &y, &m, &d);
    if (y < 0) {
        p[o++] = '-';
        y = -y;
    }
    o += y > 9999 ? put_u64(p + o, (uint64_t)y) : put_padded(p + o, (uint64_t)y, 4);
    p[o++] = '-';
    o += put_padded(p + o, (uint64_t)m, 2);
    p[o++] = '-';
    o += put_padded(p + o, (uint64_t)d, 2);
    return o;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int format_timestamp(char *p, int64_t ms, int precision)
{
    int64_t days = floor_div(ms, 86400000);
    int64_t rem = ms % 86400000;            /* [0, 86400000) */
    if (rem < 0) rem += 86400000;
    int o = format_date(p, days);
    p[o++] = ' ';
    o += put_padded(p + o, (uint64_t)(rem / 3600000), 2);
    p[o++] = ':';
    o += put_padded(p + o, (uint64_t)(rem / 60000 % 60), 2);
    p[o++] = ':';
    o += put_padded(p + o, (uint64_t)(rem / 1000 % 60), 2);
    if (precision > 0) {
        char frac[3];
        put_padded(frac, (uint64_t)(rem % 1000), 3);
        p[o++] = '.';
        for (int i = 0; i < precision && i < 9; i++) p[o++] = i < 3 ? frac[i] : '0';
    }
    return o;
}

static int format_interval(char *p, int64_t ms)
{
    int o = 0;
    uint64_t u = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
    p[o++] = ms < 0 ? '-' : '+';
    o += put_u64(p + o, u / 86400000);
    u %= 86400000;
    p[o++] = ' ';
    o += put_padded(p + o, u / 3600000, 2);
    p[o++] = ':';
    o += put_padded(p + o, u / 60000 % 60, 2);
    p[o++] = ':';
    o += put_padded(p + o, u / 1000 % 60, 2);
    p[o++] = '.';
    o += put_padded(p + o, u % 1000, 3);
    return o;
}

/* Shared with eval.c (not in value.h; see the file comment): the text of a
 * non-NULL value of any type but STRING and BYTES, exactly as value_print
 * shows it, into buf (at least 64 bytes); returns its length. */
int value_format(char *buf, Type t, const Value *v) { return value_format_tz(buf, t, v, NULL); }

int value_format_tz(char *buf, Type t, const Value *v, const TimeZone *tz)
{
    switch ((TypeKind)t.kind) {
    case TY_BOOLEAN:
        if (v->i) return memcpy(buf, "TRUE", 4), 4;
        return memcpy(buf, "FALSE", 5), 5;
    case TY_TINYINT:
    case TY_SMALLINT:
    case TY_INT:
    case TY_BIGINT: return put_i64(buf, v->i);
    case TY_FLOAT: return format_double(buf, v->d, true);
    case TY_DOUBLE: return format_double(buf, v->d, false);
    case TY_DECIMAL: return format_decimal(buf, v->i, t.scale);
    case TY_DATE: return format_date(buf, v->i);
    case TY_TIMESTAMP: return format_timestamp(buf, v->i, t.precision);
    case TY_TIMESTAMP_LTZ: {
        int64_t local;
        if (__builtin_add_overflow(v->i, tz_offset_ms(tz, v->i), &local)) local = v->i;
        return format_timestamp(buf, local, t.precision);
    }
    case TY_INTERVAL: return format_interval(buf, v->i);
    case TY_NULL:
    case TY_STRING:
    case TY_BYTES:
    case TY_ROW:
    case TY_ARRAY:
    case TY_MAP:
    case TY__COUNT: break;
    }
    return memcpy(buf, "NULL", 4), 4;
}

void value_print(StrBuf *out, Type t, const Value *v) { value_print_tz(out, t, v, NULL); }

void value_print_tz(StrBuf *out, Type t, const Value *v, const TimeZone *tz)
{
    if (v->null || t.kind == TY_NULL) {
        sb_putn(out, "NULL", 4);
        return;
    }
    if (t.kind == TY_STRING) {
        sb_putn(out, v->s, (size_t)v->n);
        return;
    }
    if (type_is_nested(t)) {
        nested_print(out, t, v, tz);
        return;
    }
    if (t.kind == TY_BYTES) {
        static const char hex[] = "0123456789abcdef";
        sb_putn(out, "x'", 2);
        for (int i = 0; i < v->n; i++) {
            unsigned char c = (unsigned char)v->s[i];
            char h[2] = {hex[c >> 4], hex[c & 15]};
            sb_putn(out, h, 2);
        }
        sb_putc(out, '\'');
        return;
    }
    char buf[64];
    int n = value_format_tz(buf, t, v, tz);
    sb_putn(out, buf, (size_t)n);
}

void double_print(StrBuf *out, double d)
{
    char buf[40];
    int n = format_double(buf, d, false);
    sb_putn(out, buf, (size_t)n);
}
