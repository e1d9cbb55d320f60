/*
 * eval.c — evaluates bound expressions (expr.h) over one input row, with
 * Flink SQL's semantics.  See eval.h for the contract.
 *
 * One recursive switch on BExprKind, one on FuncId.  Operands keep their
 * own types (the binder does not insert implicit casts), so every operator
 * converts as it goes: arithmetic to the expression's result type,
 * comparisons in the operands' common type (type_common), decided by their
 * kinds: integers as integers, DECIMAL exactly in 128 bits, anything with
 * a DOUBLE as double, with a FLOAT (and no DOUBLE) as float.  Nothing
 * here allocates with malloc: computed strings go into ctx->arena (the
 * batch arena), unchanged strings are passed through as pointers into the
 * input, and the input row is never written.
 *
 * Semantics, with the Flink facts they follow:
 *   - Three-valued logic for AND/OR/NOT; comparisons with a NULL are NULL;
 *     IS [NOT] NULL/TRUE/FALSE are never NULL; x IN (…, NULL) without a
 *     match is NULL (Flink docs: "4 IN (1, 2, NULL) returns UNKNOWN").
 *   - Integer arithmetic happens in the result type's width and wraps on
 *     overflow, as the Java code Flink generates does (INT + INT is a Java
 *     int addition); INT / INT truncates toward zero; an integer division
 *     or MOD by zero is the error "division by zero" (Java's
 *     ArithmeticException).  DOUBLE follows IEEE: 1.0 / 0 is Infinity.
 *     Comparisons of doubles are IEEE too (NaN = NaN is FALSE).
 *   - DECIMAL(p, s) is an int64 unscaled by s.  + - * / % are computed
 *     exactly in 128 bits and rescaled to the result type's scale rounding
 *     HALF_UP (away from zero), Flink's/BigDecimal's rounding.  A result
 *     that does not fit the result type (at most 18 digits) is the error
 *     "DECIMAL overflow …".  Flink returns NULL there instead; eddy fails
 *     loudly rather than turn a number into a NULL (value.h's promise:
 *     never a wrong result).
 *   - ROUND(x, n) is HALF_UP.  DECIMAL: exact.  DOUBLE: like Flink, which
 *     rounds BigDecimal.valueOf(x), i.e. the shortest decimal text of the
 *     double, so ROUND(2.675, 2) = 2.68 and ROUND(1.005, 2) = 1.01 even
 *     though the binary values are a hair below.  Integers: n >= 0 changes
 *     nothing, n < 0 rounds to tens, hundreds, … (ROUND(1250, -2) = 1300).
 *     NaN and ±Infinity come back unchanged.
 *   - MOD and % take the sign of the dividend (Java's %).
 *   - UPPER/LOWER map ASCII, Latin-1, Latin Extended-A and Additional,
 *     Greek and Cyrillic as Java's toUpperCase/toLowerCase do (ß → SS,
 *     ÿ → Ÿ, µ → Μ, İ → i̇); other scripts are left unchanged, and Greek
 *     final sigma is not context-sensitive.
 *   - Strings are UTF-8; CHAR_LENGTH, SUBSTRING, LIKE's _ and TRIM's
 *     character set count code points (Flink's BinaryStringData).
 *     SUBSTRING(s, start [, len]): start 1-based, 0 treated as 1, negative
 *     counts from the end (past the start gives ''), negative len gives
 *     NULL (Flink's substringSQL).  LIKE has % and _ only (Flink's LIKE
 *     has no working ESCAPE clause either).
 *   - CONCAT is NULL when any argument is; CONCAT_WS skips NULL arguments
 *     and is NULL only for a NULL separator.
 *   - TRIM/LTRIM/RTRIM without characters remove spaces (U+0020) only;
 *     TRIM(… chars FROM s) removes any character of `chars`.
 *   - CAST fails with an error on bad input; TRY_CAST gives NULL instead
 *     (only the conversion's own failure, not an error in its operand).
 *       STRING → integer: trimmed, optional sign, a fraction is allowed and
 *         truncated ('1.9' → 1), out of range is an error (Flink's toInt).
 *       STRING → DOUBLE: Java's Double.parseDouble syntax (NaN, Infinity).
 *       STRING → DECIMAL: rounded HALF_UP to the scale; too many digits
 *         is an error.  STRING → BOOLEAN: t/true/y/yes/1, f/false/n/no/0
 *         in any case (Flink's toBoolean; eddy also trims spaces).
 *       STRING → DATE / TIMESTAMP: 'yyyy-[m]m-[d]d[ hh:mm[:ss[.fff…]]]',
 *         'T' accepted as separator; digits beyond milliseconds dropped.
 *       anything → STRING: exactly as value_print prints it (TRUE/FALSE,
 *         Java-style doubles, DECIMAL with its scale, …), truncated to n
 *         characters for VARCHAR(n)/CHAR(n) (no CHAR padding: the type
 *         does not say which of the two it was).
 *       DOUBLE → integer: truncation toward zero with Java's saturating
 *         (long)/(int) casts; NaN → 0.  Integer narrowing wraps (Java).
 *       DOUBLE → DECIMAL: its shortest text, rounded HALF_UP (Flink's
 *         BigDecimal.valueOf); NaN and Infinity are errors.
 *       TIMESTAMP_LTZ ↔ TIMESTAMP, DATE, STRING: the instant's wall clock
 *         in the session zone ('table.local-time-zone', ctx->tz), and a
 *         wall-clock time to the instant it is in that zone (a time that
 *         clocks skip moves forward, one they repeat is the earlier).
 *       TIMESTAMP(p) with p < 3 truncates the milliseconds.
 *       integer → TIMESTAMP/TIMESTAMP_LTZ: epoch SECONDS, and
 *       TIMESTAMP/TIMESTAMP_LTZ → BIGINT: epoch seconds (floor).  This is
 *         what Flink did before it disabled these casts (FLINK-21978: "the
 *         current implementation … treats all numeric as seconds"); today
 *         Flink rejects them and points to TO_TIMESTAMP_LTZ.
 *       numbers → BOOLEAN: non-zero is TRUE (Flink 1.15+ rejects DECIMAL
 *         → BOOLEAN; eddy's binder allows it, so it is defined here).
 *   - PROCTIME() is the job's processing time (ctx->now_ms: the driver's
 *     wall clock, or a test's clock); CURRENT_WATERMARK(rowtime) the
 *     watermark of the evaluating operator's input (ctx->watermark), NULL
 *     before the first.
 *   - TO_TIMESTAMP_LTZ(n, 0) reads epoch seconds, (n, 3) and (n) epoch
 *     milliseconds; fractions of a millisecond are truncated.
 *   - timestamp ± INTERVAL adds milliseconds; DATE ± INTERVAL works in
 *     milliseconds and floors back to a day.
 */
#include "civil.h"
#include "eval.h"
#include "nested.h"
#include "stack.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fn.h"
#include "func.h"

/* value.c's formatting helpers, shared so that CAST(x AS STRING) and ROUND
 * see exactly what value_print prints.  They belong in value.h; declared
 * here until it has them. */

typedef __int128 i128;
#define I128_MAX ((i128)(((unsigned __int128)1 << 127) - 1))
#define DEC_DIGITS 18     /* what an int64 DECIMAL can hold */

static const int64_t P10[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

static const double P10D[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static inline bool k_int(int k) { return k >= TY_TINYINT && k <= TY_BIGINT; }
static inline bool k_float(int k) { return k == TY_FLOAT || k == TY_DOUBLE; }
static inline bool k_str(int k) { return k == TY_STRING || k == TY_BYTES; }
static inline bool k_num(int k) { return k >= TY_TINYINT && k <= TY_DECIMAL; }

static inline void set_null(Value *v) { v->null = 1; v->i = 0; v->n = 0; }
static inline void set_i(Value *v, int64_t x) { v->null = 0; v->i = x; v->n = 0; }
static inline void set_d(Value *v, double x) { v->null = 0; v->d = x; v->n = 0; }
static inline void set_s(Value *v, const char *s, int32_t n) { v->null = 0; v->s = s; v->n = n; }

static int fail(EvalCtx *ctx, const BExpr *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(EvalCtx *ctx, const BExpr *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    ctx->errpos = e->pos;
    return -1;
}

/* A type's name for a message, without nullability. */
static void type_name(Type t, char *buf, size_t n)
{
    StrBuf b = {0};
    t.nullable = 1;
    type_print(&b, t);
    snprintf(buf, n, "%s", b.s ? b.s : "?");
    sb_free(&b);
}

static int fail_overflow(EvalCtx *ctx, const BExpr *e, Type t)
{
    char tn[48];
    type_name(t, tn, sizeof tn);
    return fail(ctx, e, "DECIMAL overflow: the value does not fit %s (eddy holds at most %d digits)", tn, DEC_DIGITS);
}

static inline int64_t wrap_to(int kind, uint64_t u)
{
    switch (kind) {
    case TY_TINYINT: return (int8_t)u;
    case TY_SMALLINT: return (int16_t)u;
    case TY_INT: return (int32_t)u;
    default: return (int64_t)u;
    }
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline i128 pow10_128(int e)
{
    i128 r = 1;
    while (e > 18) {
        r *= P10[18];
        e -= 18;
    }
    return r * P10[e];
}

static inline i128 abs128(i128 v) { return v < 0 ? -v : v; }

/* x / d rounded half away from zero; d > 0. */
static inline i128 div_half_up(i128 x, i128 d)
{
    i128 q = x / d, r = abs128(x % d);
    if (r >= d - r) q += x < 0 ? -1 : 1;
    return q;
}

/* v at scale `from` → scale `to` (either may be negative), HALF_UP when
 * digits are dropped; false when the result leaves the 128-bit range. */
static bool rescale128(i128 v, int from, int to, i128 *out)
{
    if (to >= from) {
        int e = to - from;
        if (v == 0 || e == 0) return *out = v, true;
        if (e > 38) return false;
        i128 m = pow10_128(e), lim = I128_MAX / m;
        if (v > lim || v < -lim) return false;
        *out = v * m;
        return true;
    }
    int e = from - to;
    *out = e > 38 ? 0 : div_half_up(v, pow10_128(e));
    return true;
}

/* Does an unscaled value fit DECIMAL(p, s) (and eddy's 18 digits)? */
static inline bool dec_fits(i128 v, Type t)
{
    int p = t.precision < DEC_DIGITS ? t.precision : DEC_DIGITS;
    i128 lim = P10[p];
    return v < lim && v > -lim;
}

/* An exact numeric operand as an unscaled value and its scale. */
static inline int64_t dec_operand(Type t, const Value *v, int *scale)
{
    *scale = t.kind == TY_DECIMAL ? t.scale : 0;
    return v->i;
}

static inline double dec_to_double(int64_t v, int scale)
{
    return scale <= 22 ? (double)v / P10D[scale] : (double)v / pow(10.0, scale);
}

static inline double num_to_double(Type t, const Value *v)
{
    if (k_float(t.kind)) return v->d;
    if (t.kind == TY_DECIMAL) return dec_to_double(v->i, t.scale);
    return (double)v->i;
}

/* Java's (long) d and (int) d: truncation, saturation, NaN → 0. */
static int64_t java_d2l(double d)
{
    if (isnan(d)) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static int32_t java_d2i(double d)
{
    if (isnan(d)) return 0;
    if (d >= 2147483647.0) return INT32_MAX;
    if (d <= -2147483648.0) return INT32_MIN;
    return (int32_t)d;
}

static char *ctx_alloc(EvalCtx *ctx, size_t n) { return arena_alloc(ctx->arena, n ? n : 1); }

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */

static inline bool u8_cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* A character is a byte that is not a continuation byte plus the
 * continuation bytes after it (invalid input degrades gracefully). */
static inline int u8_next(const char *s, int n, int i)
{
    i++;
    while (i < n && u8_cont(s[i])) i++;
    return i;
}

static inline int u8_prev(const char *s, int lo, int i)
{
    i--;
    while (i > lo && u8_cont(s[i])) i--;
    return i;
}

static int u8_count(const char *s, int n)
{
    int c = n > 0 && u8_cont(s[0]);
    for (int i = 0; i < n; i++) c += !u8_cont(s[i]);
    return c;
}

/* Decodes one code point at s[i]; returns its length, or 0 for a byte
 * that starts no valid sequence. */
static int u8_decode(const unsigned char *s, int n, int i, uint32_t *cp)
{
    unsigned char c = s[i];
    int len;
    uint32_t v;
    if (c < 0x80) return *cp = c, 1;
    if ((c & 0xE0) == 0xC0) len = 2, v = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, v = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, v = c & 0x07;
    else return 0;
    if (i + len > n) return 0;
    for (int k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    *cp = v;
    return len;
}

static int u8_encode(char *o, uint32_t c)
{
    if (c < 0x80) return o[0] = (char)c, 1;
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Case mapping beyond ASCII, as tables.  Ranges where lower = upper + delta: */
static const struct {
    uint32_t lo, hi;      /* upper-case code points */
    uint32_t delta;       /* lower case = upper case + delta */
} case_shifts[] = {
    {0xC0, 0xD6, 32}, {0xD8, 0xDE, 32},                       /* Latin-1 */
    {0x388, 0x38A, 37}, {0x38E, 0x38F, 63}, {0x391, 0x3A1, 32}, {0x3A3, 0x3AB, 32},   /* Greek */
    {0x400, 0x40F, 80}, {0x410, 0x42F, 32},                   /* Cyrillic */
};

/* Ranges of alternating pairs: the upper case has parity `odd`, its lower
 * case is the next code point. */
static const struct {
    uint32_t lo, hi;      /* the range, both cases */
    uint32_t odd;         /* 1 when the upper cases are the odd code points */
} case_pairs[] = {
    {0x100, 0x12F, 0}, {0x132, 0x137, 0}, {0x139, 0x148, 1}, {0x14A, 0x177, 0}, {0x179, 0x17E, 1},  /* Latin Ext-A */
    {0x460, 0x481, 0}, {0x48A, 0x4BF, 0}, {0x4C1, 0x4CE, 1}, {0x4D0, 0x52F, 0},                      /* Cyrillic */
    {0x1E00, 0x1E95, 0}, {0x1EA0, 0x1EFF, 0},                                                        /* Latin Ext Additional */
};

/* Single pairs, and lower cases whose upper case maps back elsewhere. */
static const struct {
    uint32_t upper, lower;  /* the two cases */
    bool     both;          /* false: only lower → upper (µ → Μ, but Μ → μ) */
} case_singles[] = {
    {0x178, 0xFF, true}, {0x386, 0x3AC, true}, {0x38C, 0x3CC, true}, {0x1E9E, 0xDF, true},
    {0x39C, 0xB5, false}, {'I', 0x131, false}, {'S', 0x17F, false}, {0x3A3, 0x3C2, false},
};

static uint32_t cp_upper(uint32_t c)
{
    if (c < 0x80) return c >= 'a' && c <= 'z' ? c - 32 : c;
    for (size_t i = 0; i < sizeof case_shifts / sizeof case_shifts[0]; i++)
        if (c >= case_shifts[i].lo + case_shifts[i].delta && c <= case_shifts[i].hi + case_shifts[i].delta)
            return c - case_shifts[i].delta;
    for (size_t i = 0; i < sizeof case_pairs / sizeof case_pairs[0]; i++)
        if (c > case_pairs[i].lo && c <= case_pairs[i].hi && (c & 1) != case_pairs[i].odd) return c - 1;
    for (size_t i = 0; i < sizeof case_singles / sizeof case_singles[0]; i++)
        if (c == case_singles[i].lower) return case_singles[i].upper;
    return c;
}

static uint32_t cp_lower(uint32_t c)
{
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
    for (size_t i = 0; i < sizeof case_shifts / sizeof case_shifts[0]; i++)
        if (c >= case_shifts[i].lo && c <= case_shifts[i].hi) return c + case_shifts[i].delta;
    for (size_t i = 0; i < sizeof case_pairs / sizeof case_pairs[0]; i++)
        if (c >= case_pairs[i].lo && c < case_pairs[i].hi && (c & 1) == case_pairs[i].odd) return c + 1;
    for (size_t i = 0; i < sizeof case_singles / sizeof case_singles[0]; i++)
        if (c == case_singles[i].upper && case_singles[i].both) return case_singles[i].lower;
    return c;
}

/* The case mapping of one character at s[i] (len bytes, code point cp)
 * into o; returns the bytes written. */
static int map_char(uint32_t cp, bool upper, char *o)
{
    if (upper && cp == 0xDF) {            /* ß → SS */
        o[0] = o[1] = 'S';
        return 2;
    }
    if (!upper && cp == 0x130) {          /* İ → i + combining dot above */
        o[0] = 'i';
        return 1 + u8_encode(o + 1, 0x307);
    }
    return u8_encode(o, upper ? cp_upper(cp) : cp_lower(cp));
}

/* UPPER/LOWER.  A string the mapping does not change is passed through
 * without a copy; otherwise the unchanged prefix is copied and the rest
 * mapped. */
static void case_map(const Value *in, bool upper, Value *out, EvalCtx *ctx)
{
    const unsigned char *u = (const unsigned char *)in->s;
    int n = in->n, i = 0;
    char tmp[8];
    while (i < n) {
        unsigned char c = u[i];
        if (c < 0x80) {
            if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) break;
            i++;
            continue;
        }
        uint32_t cp;
        int len = u8_decode(u, n, i, &cp);
        if (!len) {
            i++;
            continue;
        }
        if (map_char(cp, upper, tmp) != len || memcmp(tmp, u + i, (size_t)len) != 0) break;
        i += len;
    }
    if (i == n) {
        *out = *in;
        return;
    }
    /* The longest expansion is 2 → 3 bytes (İ → i̇); 2n + 4 is plenty. */
    char *o = ctx_alloc(ctx, (size_t)n * 2 + 4);
    memcpy(o, u, (size_t)i);
    int w = i;
    while (i < n) {
        unsigned char c = u[i];
        if (c < 0x80) {
            o[w++] = (char)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c) : (c >= 'A' && c <= 'Z' ? c + 32 : c));
            i++;
            continue;
        }
        uint32_t cp;
        int len = u8_decode(u, n, i, &cp);
        if (!len) {
            o[w++] = (char)c;
            i++;
            continue;
        }
        i += len;
        w += map_char(cp, upper, o + w);
    }
    set_s(out, o, w);
}

/* LIKE with % and _ (one character), no escape. */
static bool like_match(const char *s, int sn, const char *p, int pn)
{
    int si = 0, pi = 0, star_p = -1, star_s = 0;
    while (si < sn) {
        if (pi < pn) {
            char c = p[pi];
            if (c == '%') {
                while (pi < pn && p[pi] == '%') pi++;
                if (pi == pn) return true;
                star_p = pi;
                star_s = si;
                continue;
            }
            if (c == '_') {
                si = u8_next(s, sn, si);
                pi = u8_next(p, pn, pi);
                continue;
            }
            if (c == s[si]) {
                si++;
                pi++;
                continue;
            }
        }
        if (star_p < 0) return false;
        star_s = u8_next(s, sn, star_s);
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '%') pi++;
    return pi == pn;
}

/* Is the character ch (len bytes) one of the characters of set? */
static bool char_in(const char *ch, int len, const char *set, int n)
{
    for (int j = 0; j < n;) {
        int k = u8_next(set, n, j);
        if (k - j == len && memcmp(set + j, ch, (size_t)len) == 0) return true;
        j = k;
    }
    return false;
}

/* TRIM: spaces (U+0020) when chars is NULL, else any character of chars.
 * The result points into s. */
static void trim(const Value *s, const Value *chars, bool leading, bool trailing, Value *out)
{
    const char *p = s->s;
    int b = 0, e = s->n;
    if (!chars) {
        while (leading && b < e && p[b] == ' ') b++;
        while (trailing && e > b && p[e - 1] == ' ') e--;
        set_s(out, p + b, e - b);
        return;
    }
    while (leading && b < e) {
        int k = u8_next(p, e, b);
        if (!char_in(p + b, k - b, chars->s, chars->n)) break;
        b = k;
    }
    while (trailing && e > b) {
        int k = u8_prev(p, b, e);
        if (!char_in(p + k, e - k, chars->s, chars->n)) break;
        e = k;
    }
    set_s(out, p + b, e - b);
}

/* ------------------------------------------------------------------ */
/* Parsing strings (CAST)                                              */

static inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void trim_ws(const char **s, int *n)
{
    while (*n > 0 && is_space(**s)) (*s)++, (*n)--;
    while (*n > 0 && is_space((*s)[*n - 1])) (*n)--;
}

static bool parse_bool(const char *s, int n, bool *out)
{
    static const char *const yes[] = {"t", "true", "y", "yes", "1"}, *const no[] = {"f", "false", "n", "no", "0"};
    trim_ws(&s, &n);
    for (int i = 0; i < 5; i++) {
        if ((int)strlen(yes[i]) == n && strncasecmp(s, yes[i], (size_t)n) == 0) return *out = true, true;
        if ((int)strlen(no[i]) == n && strncasecmp(s, no[i], (size_t)n) == 0) return *out = false, true;
    }
    return false;
}

/* Optional sign, digits, optionally '.' and digits (truncated). */
static bool parse_int(const char *s, int n, int64_t *out)
{
    trim_ws(&s, &n);
    int i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int digits = 0;
    for (; i < n && s[i] != '.'; i++) {
        if (!is_digit(s[i])) return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (acc > (lim - d) / 10) return false;
        acc = acc * 10 + d;
        digits++;
    }
    if (i < n) {
        for (i++; i < n; i++) {
            if (!is_digit(s[i])) return false;
            digits++;
        }
    }
    if (!digits) return false;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

/* Java's Double.parseDouble: decimal or hex, NaN, Infinity, an optional
 * trailing d/f. */
static bool parse_double(const char *s, int n, double *out)
{
    trim_ws(&s, &n);
    if (n == 0 || n > 400) return false;
    int i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0) return *out = NAN, true;
    if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) return *out = s[0] == '-' ? -INFINITY : INFINITY, true;
    if (i < n && !is_digit(s[i]) && s[i] != '.') return false;
    char buf[402];
    memcpy(buf, s, (size_t)n);
    bool hex = n - i > 2 && buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X');
    if (n > 1 && !hex && buf[n - 1] && strchr("dDfF", buf[n - 1])) n--;   /* Java's 1.5d, 1.5f */
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + n) return false;
    *out = d;
    return true;
}

/* [sign] digits [. digits] [e [sign] digits] → unscaled at `scale`, HALF_UP. */
static bool parse_decimal(const char *s, int n, int scale, i128 *out)
{
    trim_ws(&s, &n);
    int i = 0;
    bool neg = false, any = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    i128 mant = 0;
    int sig = 0, exp = 0;
    bool point = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (point) return false;
            point = true;
            continue;
        }
        if (!is_digit(c)) break;
        any = true;
        if (sig < 38) {
            if (mant || c != '0') {
                mant = mant * 10 + (c - '0');
                sig++;
            }
            if (point) exp--;
        } else if (!point) {
            exp++;              /* digits beyond 38 before the point: scale up */
        }
    }
    if (!any) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        int e = 0, ed = 0;
        for (; i < n && is_digit(s[i]); i++, ed++)
            if (e < 10000) e = e * 10 + (s[i] - '0');
        if (!ed) return false;
        exp += eneg ? -e : e;
    }
    if (i != n) return false;
    if (neg) mant = -mant;
    /* mant × 10^exp at scale `scale` */
    if (exp + scale > 40 && mant) return false;
    if (exp + scale < -40) return *out = 0, true;
    return rescale128(mant, -exp, scale, out);
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : dm[m - 1];
}


/* Up to `max` digits (at least one). */
static bool digits(const char *s, int n, int *i, int max, int *out)
{
    int v = 0, k = 0;
    while (*i < n && k < max && is_digit(s[*i])) v = v * 10 + (s[(*i)++] - '0'), k++;
    *out = v;
    return k > 0;
}

static bool parse_ymd(const char *s, int n, int *i, int64_t *days)
{
    int y, m, d;
    if (!digits(s, n, i, 4, &y) || *i >= n || s[(*i)++] != '-') return false;
    if (!digits(s, n, i, 2, &m) || *i >= n || s[(*i)++] != '-') return false;
    if (!digits(s, n, i, 2, &d)) return false;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
    *days = civil_to_days(y, m, d);
    return true;
}

/* hh:mm[:ss[.fraction]] → milliseconds of the day. */
static bool parse_hms(const char *s, int n, int *i, int64_t *ms)
{
    int h, mi, se = 0, frac = 0;
    if (!digits(s, n, i, 2, &h) || *i >= n || s[(*i)++] != ':') return false;
    if (!digits(s, n, i, 2, &mi)) return false;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!digits(s, n, i, 2, &se)) return false;
        if (*i < n && s[*i] == '.') {
            (*i)++;
            int k = 0;
            for (; *i < n && is_digit(s[*i]); (*i)++, k++)
                if (k < 3) frac = frac * 10 + (s[*i] - '0');
            if (!k) return false;
            for (; k < 3; k++) frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || se > 59) return false;
    *ms = (int64_t)h * 3600000 + mi * 60000 + se * 1000 + frac;
    return true;
}

static bool parse_date(const char *s, int n, int64_t *days)
{
    trim_ws(&s, &n);
    int i = 0;
    int64_t ms;
    if (!parse_ymd(s, n, &i, days)) return false;
    if (i < n && (s[i] == ' ' || s[i] == 'T')) {   /* a time part is allowed and ignored */
        i++;
        if (!parse_hms(s, n, &i, &ms)) return false;
    }
    return i == n;
}

static bool parse_timestamp(const char *s, int n, int64_t *out)
{
    trim_ws(&s, &n);
    int i = 0;
    int64_t days, ms = 0;
    if (!parse_ymd(s, n, &i, &days)) return false;
    if (i < n && (s[i] == ' ' || s[i] == 'T')) {
        i++;
        if (!parse_hms(s, n, &i, &ms)) return false;
    }
    if (i != n) return false;
    *out = days * 86400000 + ms;
    return true;
}

/* ------------------------------------------------------------------ */
/* CAST                                                                */

static int fail_cast(EvalCtx *ctx, const BExpr *e, bool quiet, Type from, const Value *v, Type to)
{
    if (quiet) return -1;
    char tn[48], text[64];
    type_name(to, tn, sizeof tn);
    if (k_str(from.kind)) {
        int n = v->n > 40 ? 40 : v->n;
        return fail(ctx, e, "cannot cast '%.*s%s' to %s", n, v->s, v->n > 40 ? "…" : "", tn);
    }
    int n = value_format_tz(text, from, v, ctx->tz);
    return fail(ctx, e, "cannot cast %.*s to %s", n, text, tn);
}

/* Keeps the first `len` characters of a string (len 0 = unbounded). */
static inline void truncate_chars(Value *v, int len)
{
    if (len <= 0 || v->n <= len) return;   /* at most n characters in n bytes */
    int i = 0;
    for (int k = 0; k < len && i < v->n; k++) i = u8_next(v->s, v->n, i);
    v->n = i;
}

/* Drops the milliseconds TIMESTAMP(p < 3) does not keep (toward the past). */
static inline int64_t trunc_precision(int64_t ms, int precision)
{
    if (precision >= 3) return ms;
    int64_t unit = P10[3 - precision], r = ms % unit;
    if (r < 0) r += unit;
    return (int64_t)((uint64_t)ms - (uint64_t)r);
}

/* A TIMESTAMP_LTZ instant as the session zone's wall clock, and back
 * (Flink converts between TIMESTAMP_LTZ and TIMESTAMP, DATE or STRING in
 * 'table.local-time-zone'). */
static inline int64_t ltz_to_local(const EvalCtx *ctx, int64_t utc)
{
    int64_t local;
    return __builtin_add_overflow(utc, tz_offset_ms(ctx->tz, utc), &local) ? utc : local;
}

static inline int64_t local_to_ltz(const EvalCtx *ctx, int64_t local) { return tz_local_to_utc(ctx->tz, local); }

/* Converts *v (of type `from`, not NULL) to `to` in place.  0, or -1 with
 * ctx->err set (bad input, overflow) — unless quiet (TRY_CAST, which only
 * wants to know), so that a stream of bad input formats no messages. */
static int cast_value(const BExpr *e, Type from, Type to, Value *v, bool quiet, EvalCtx *ctx);

/* A nested value into a nested type of the same kind and shape
 * (type_castable): each element CAST to its new type, then packed again
 * (a MAP whose keys become equal keeps the last).  NULL elements stay
 * NULL.  The same type: the same bytes. */
static int cast_nested(const BExpr *e, Type from, Type to, Value *v, bool quiet, EvalCtx *ctx)
{
    if (type_equal(from, to)) return 0;
    NestedIter it;
    int n = nested_open(&it, from, v);
    if (n < 0) return quiet ? -1 : fail(ctx, e, "CAST: malformed nested value");
    Value stack[16], *vals = n <= 16 ? stack : (Value *)ctx_alloc(ctx, sizeof(Value) * (size_t)n);
    for (int i = 0; i < n; i++) {
        if (nested_next(&it, &vals[i])) return quiet ? -1 : fail(ctx, e, "CAST: malformed nested value");
        if (!vals[i].null && cast_value(e, type_elem(from, i), type_elem(to, i), &vals[i], quiet, ctx)) return -1;
    }
    nested_pack(ctx->arena, to, vals, n, v);
    return 0;
}

static int cast_value(const BExpr *e, Type from, Type to, Value *v, bool quiet, EvalCtx *ctx)
{
    int fk = from.kind;
    Value orig = *v;
    switch ((TypeKind)to.kind) {
    case TY_BOOLEAN: {
        bool b;
        if (fk == TY_STRING) {
            if (!parse_bool(v->s, v->n, &b)) return fail_cast(ctx, e, quiet, from, &orig, to);
        } else if (k_float(fk)) {
            b = v->d != 0;
        } else {
            b = v->i != 0;
        }
        set_i(v, b);
        return 0;
    }
    case TY_TINYINT:
    case TY_SMALLINT:
    case TY_INT:
    case TY_BIGINT: {
        int64_t x;
        if (fk == TY_STRING) {
            if (!parse_int(v->s, v->n, &x) || wrap_to(to.kind, (uint64_t)x) != x)   /* out of range: no wrap */
                return fail_cast(ctx, e, quiet, from, &orig, to);
        } else if (fk == TY_DOUBLE || fk == TY_FLOAT) {
            x = to.kind == TY_BIGINT ? java_d2l(v->d) : java_d2i(v->d);
        } else if (fk == TY_DECIMAL) {
            x = from.scale > DEC_DIGITS ? 0 : v->i / P10[from.scale];
        } else if (fk == TY_TIMESTAMP || fk == TY_TIMESTAMP_LTZ) {
            x = floor_div(v->i, 1000);
        } else {
            x = v->i;
        }
        set_i(v, wrap_to(to.kind, (uint64_t)x));
        return 0;
    }
    case TY_FLOAT:
    case TY_DOUBLE: {
        double d;
        if (fk == TY_STRING) {
            if (!parse_double(v->s, v->n, &d)) return fail_cast(ctx, e, quiet, from, &orig, to);
        } else {
            d = num_to_double(from, v);
        }
        set_d(v, to.kind == TY_FLOAT ? (double)(float)d : d);
        return 0;
    }
    case TY_DECIMAL: {
        i128 r;
        bool ok;
        if (fk == TY_STRING) {
            ok = parse_decimal(v->s, v->n, to.scale, &r);
        } else if (k_float(fk)) {
            if (!isfinite(v->d)) return fail_cast(ctx, e, quiet, from, &orig, to);
            int64_t m;
            int e10;
            double_shortest(v->d, fk == TY_FLOAT, &m, &e10);
            ok = rescale128(m, -e10, to.scale, &r);
        } else {
            ok = rescale128(v->i, fk == TY_DECIMAL ? from.scale : 0, to.scale, &r);
        }
        if (!ok || !dec_fits(r, to)) {
            if (fk == TY_STRING && !ok) return fail_cast(ctx, e, quiet, from, &orig, to);
            return quiet ? -1 : fail_overflow(ctx, e, to);
        }
        set_i(v, (int64_t)r);
        return 0;
    }
    case TY_STRING: {
        if (type_is_nested(from)) {
            StrBuf b = {0};
            nested_print(&b, from, v, ctx->tz);
            char *p = ctx_alloc(ctx, b.len);
            if (b.len) memcpy(p, b.s, b.len);
            set_s(v, p, (int32_t)b.len);
            sb_free(&b);
        } else if (!k_str(fk)) {
            char buf[64];
            int n = value_format_tz(buf, from, v, ctx->tz);
            char *p = ctx_alloc(ctx, (size_t)n);
            memcpy(p, buf, (size_t)n);
            set_s(v, p, n);
        }
        truncate_chars(v, to.len);
        return 0;
    }
    case TY_BYTES:
        if (to.len > 0 && v->n > to.len) v->n = to.len;
        return 0;
    case TY_DATE: {
        int64_t days;
        if (fk == TY_STRING) {
            if (!parse_date(v->s, v->n, &days)) return fail_cast(ctx, e, quiet, from, &orig, to);
        } else if (fk == TY_TIMESTAMP || fk == TY_TIMESTAMP_LTZ) {
            days = floor_div(fk == TY_TIMESTAMP_LTZ ? ltz_to_local(ctx, v->i) : v->i, 86400000);
        } else {
            days = v->i;
        }
        set_i(v, days);
        return 0;
    }
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ: {
        int64_t ms;
        if (fk == TY_STRING) {
            if (!parse_timestamp(v->s, v->n, &ms)) return fail_cast(ctx, e, quiet, from, &orig, to);
        } else if (fk == TY_DATE) {
            if (__builtin_mul_overflow(v->i, 86400000, &ms)) return fail_cast(ctx, e, quiet, from, &orig, to);
        } else if (k_int(fk)) {
            if (__builtin_mul_overflow(v->i, 1000, &ms)) return fail_cast(ctx, e, quiet, from, &orig, to);
        } else {
            ms = v->i;
        }
        /* a wall-clock time (text, DATE, TIMESTAMP) ⇄ an instant, in the session zone */
        bool wall = fk == TY_STRING || fk == TY_DATE || fk == TY_TIMESTAMP;
        if (to.kind == TY_TIMESTAMP_LTZ && wall) ms = local_to_ltz(ctx, ms);
        else if (to.kind == TY_TIMESTAMP && fk == TY_TIMESTAMP_LTZ) ms = ltz_to_local(ctx, ms);
        set_i(v, trunc_precision(ms, to.precision));
        return 0;
    }
    case TY_INTERVAL:
        if (fk == TY_INTERVAL) return 0;
        break;
    case TY_ROW:
    case TY_ARRAY:
    case TY_MAP:
        if (fk == to.kind) return cast_nested(e, from, to, v, quiet, ctx);
        break;
    case TY_NULL:
    case TY__COUNT:
        break;
    }
    if (quiet) return -1;
    char a[48], b[48];
    type_name(from, a, sizeof a);
    type_name(to, b, sizeof b);
    return fail(ctx, e, "cannot cast %s to %s", a, b);
}

/* Implicit conversion of an operand to the type an expression produces
 * (CASE branches, COALESCE arguments): widening only, so it fails only on
 * a DECIMAL overflow. */
static inline int coerce(const BExpr *e, Type from, Type to, Value *v, EvalCtx *ctx)
{
    if (v->null || from.kind == TY_NULL) return 0;
    if (from.kind == to.kind && (from.kind != TY_DECIMAL || from.scale == to.scale)) return 0;
    return cast_value(e, from, to, v, false, ctx);
}

/* ------------------------------------------------------------------ */
/* Comparison and arithmetic                                           */

/* -1, 0, 1, or 2 when unordered (a NaN).  Operands are not NULL and of
 * comparable types (the binder checked type_common). */
static int cmp_values(Type ta, const Value *a, Type tb, const Value *b)
{
    int ka = ta.kind, kb = tb.kind;
    if (k_str(ka) || type_is_nested(ta)) {   /* nested: equal structure, compared as their bytes (nested.h) */
        int n = a->n < b->n ? a->n : b->n;
        int c = n ? memcmp(a->s, b->s, (size_t)n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (a->n > b->n) - (a->n < b->n);
    }
    if (k_num(ka) && k_num(kb)) {
        if (k_float(ka) || k_float(kb)) {
            /* in the common type: FLOAT when no DOUBLE is involved (Java's
             * int/long op float promotion), else DOUBLE */
            double x = num_to_double(ta, a), y = num_to_double(tb, b);
            if (ka != TY_DOUBLE && kb != TY_DOUBLE) x = (float)x, y = (float)y;
            if (x < y) return -1;
            if (x > y) return 1;
            return x == y ? 0 : 2;
        }
        if (ka == TY_DECIMAL || kb == TY_DECIMAL) {
            int sa, sb;
            i128 x = dec_operand(ta, a, &sa), y = dec_operand(tb, b, &sb);
            if (sa != sb) {
                int s = sa > sb ? sa : sb;
                if (!rescale128(x, sa, s, &x) || !rescale128(y, sb, s, &y)) {
                    double dx = num_to_double(ta, a), dy = num_to_double(tb, b);
                    return (dx > dy) - (dx < dy);
                }
            }
            return (x > y) - (x < y);
        }
    }
    return (a->i > b->i) - (a->i < b->i);
}

static bool cmp_holds(AstOp op, int c)
{
    if (c == 2) return op == OP_NE;
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    default: return false;
    }
}

/* x × 10^e / y rounded HALF_UP, for |x|, |y| < 2^63, y != 0; false when
 * the quotient is far beyond any DECIMAL eddy can hold. */
static bool dec_div(i128 x, i128 y, int e, i128 *out)
{
    bool neg = (x < 0) != (y < 0);
    x = abs128(x);
    y = abs128(y);
    i128 q;
    if (e < 0) {
        q = -e > 19 ? 0 : div_half_up(x, y * pow10_128(-e));
    } else if (e <= 19) {
        q = div_half_up(x * pow10_128(e), y);
    } else {
        /* long division, one digit at a time */
        i128 r = x % y;
        q = x / y;
        for (int i = 0; i < e; i++) {
            r *= 10;
            q = q * 10 + r / y;
            r %= y;
            if (q > pow10_128(DEC_DIGITS + 1)) return false;
        }
        if (r >= y - r) q++;
    }
    *out = neg ? -q : q;
    return true;
}

/* a op b for the arithmetic operators (+ - * / %), with the result of type
 * rt.  Operands are not NULL.  Shared by BX_OP and MOD(). */
static int arith(const BExpr *e, AstOp op, Type ta, const Value *a, Type tb, const Value *b, Type rt, Value *out,
                 EvalCtx *ctx)
{
    int rk = rt.kind;
    if (k_int(rk)) {
        int64_t x = a->i, y = b->i;
        uint64_t r;
        switch (op) {
        case OP_ADD: r = (uint64_t)x + (uint64_t)y; break;
        case OP_SUB: r = (uint64_t)x - (uint64_t)y; break;
        case OP_MUL: r = (uint64_t)x * (uint64_t)y; break;
        case OP_DIV:
            if (y == 0) return fail(ctx, e, "division by zero");
            r = y == -1 ? 0 - (uint64_t)x : (uint64_t)(x / y);
            break;
        case OP_MOD:
            if (y == 0) return fail(ctx, e, "division by zero");
            r = y == -1 ? 0 : (uint64_t)(x % y);
            break;
        default: return fail(ctx, e, "unsupported integer operator");
        }
        set_i(out, wrap_to(rk, r));
        return 0;
    }
    if (rk == TY_FLOAT) {   /* single precision throughout, as Java's float */
        float x = (float)num_to_double(ta, a), y = (float)num_to_double(tb, b), r;
        switch (op) {
        case OP_ADD: r = x + y; break;
        case OP_SUB: r = x - y; break;
        case OP_MUL: r = x * y; break;
        case OP_DIV: r = x / y; break;
        case OP_MOD: r = fmodf(x, y); break;
        default: return fail(ctx, e, "unsupported floating-point operator");
        }
        set_d(out, r);
        return 0;
    }
    if (rk == TY_DOUBLE) {
        double x = num_to_double(ta, a), y = num_to_double(tb, b), r;
        switch (op) {
        case OP_ADD: r = x + y; break;
        case OP_SUB: r = x - y; break;
        case OP_MUL: r = x * y; break;
        case OP_DIV: r = x / y; break;
        case OP_MOD: r = fmod(x, y); break;
        default: return fail(ctx, e, "unsupported floating-point operator");
        }
        set_d(out, r);
        return 0;
    }
    if (rk == TY_DECIMAL) {
        int sa, sb, s;
        i128 x = dec_operand(ta, a, &sa), y = dec_operand(tb, b, &sb), r;
        switch (op) {
        case OP_ADD:
        case OP_SUB:
        case OP_MOD:
            s = sa > sb ? sa : sb;
            if (!rescale128(x, sa, s, &x) || !rescale128(y, sb, s, &y)) return fail_overflow(ctx, e, rt);
            if (op == OP_MOD) {
                if (y == 0) return fail(ctx, e, "division by zero");
                r = x % y;
            } else {
                r = op == OP_ADD ? x + y : x - y;
            }
            break;
        case OP_MUL:
            r = x * y;   /* both below 2^63: exact in 128 bits */
            s = sa + sb;
            break;
        case OP_DIV:
            if (y == 0) return fail(ctx, e, "division by zero");
            if (!dec_div(x, y, rt.scale - sa + sb, &r)) return fail_overflow(ctx, e, rt);
            s = rt.scale;
            break;
        default: return fail(ctx, e, "unsupported DECIMAL operator");
        }
        if (!rescale128(r, s, rt.scale, &r) || !dec_fits(r, rt)) return fail_overflow(ctx, e, rt);
        set_i(out, (int64_t)r);
        return 0;
    }
    if (rk == TY_DATE || rk == TY_TIMESTAMP || rk == TY_TIMESTAMP_LTZ) {
        /* temporal ± INTERVAL, INTERVAL + temporal */
        int64_t t = ta.kind == TY_INTERVAL ? b->i : a->i, iv = ta.kind == TY_INTERVAL ? a->i : b->i, r;
        if (op == OP_SUB) iv = -iv;
        if (rk == TY_DATE) {
            if (__builtin_mul_overflow(t, 86400000, &t) || __builtin_add_overflow(t, iv, &r))
                return fail(ctx, e, "date out of range");
            r = floor_div(r, 86400000);
        } else if (__builtin_add_overflow(t, iv, &r)) {
            return fail(ctx, e, "timestamp out of range");
        }
        set_i(out, r);
        return 0;
    }
    return fail(ctx, e, "unsupported arithmetic on %s", type_kind_name((TypeKind)rk));
}

/* ------------------------------------------------------------------ */
/* ROUND                                                               */

/* ROUND of a double, on its shortest decimal text (see the file comment). */
static double round_double(double d, int64_t n, bool is_float)
{
    if (!isfinite(d)) return d;
    if (d == 0) return 0.0;           /* BigDecimal has no -0 */
    int64_t m;
    int e10;
    double_shortest(d, is_float, &m, &e10);
    if (n > 400) return d;
    if (n < -400) return 0.0;
    if (e10 >= -n) return d;          /* already has at most n decimals */
    int64_t drop = -n - e10;          /* digits to remove, > 0 */
    if (drop > 18) return 0.0;
    uint64_t u = (uint64_t)(m < 0 ? -m : m), unit = (uint64_t)P10[drop];
    uint64_t q = u / unit + (u % unit >= unit - u % unit ? 1 : 0);
    if (q == 0) return 0.0;
    /* q × 10^-n, rounded once to the nearest double */
    double r;
    if (q < (1ULL << 53) && n >= 0 && n <= 22) {
        r = (double)q / P10D[n];
    } else if (q < (1ULL << 53) && n < 0 && n >= -22) {
        r = (double)q * P10D[-n];
    } else {
        char buf[48];
        snprintf(buf, sizeof buf, "%llue%lld", (unsigned long long)q, (long long)-n);
        r = strtod(buf, NULL);
    }
    if (is_float) r = (float)r;
    return m < 0 ? -r : r;
}

static int eval_round(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    const BExpr *xa = e->args[0];
    Value x, nv;
    if (eval_expr(xa, row, &x, ctx)) return -1;
    int64_t n = 0;
    if (e->nargs == 2) {
        if (eval_expr(e->args[1], row, &nv, ctx)) return -1;
        if (nv.null) return set_null(out), 0;
        n = nv.i;
    }
    if (x.null) return set_null(out), 0;
    Type t = xa->type;
    switch (t.kind) {
    case TY_FLOAT:
    case TY_DOUBLE: set_d(out, round_double(x.d, n, t.kind == TY_FLOAT)); return 0;
    case TY_DECIMAL: {
        i128 r;
        int target = n < t.scale ? (int)(n < -40 ? -40 : n) : t.scale;
        if (!rescale128(x.i, t.scale, target, &r) || !rescale128(r, target, e->type.scale, &r) || !dec_fits(r, e->type))
            return fail_overflow(ctx, e, e->type);
        set_i(out, (int64_t)r);
        return 0;
    }
    case TY_TINYINT:
    case TY_SMALLINT:
    case TY_INT:
    case TY_BIGINT: {
        int64_t v = x.i;
        if (n < 0) {
            if (n < -18) {
                v = 0;
            } else {
                int64_t unit = P10[-n], q = v / unit, r = v % unit;
                uint64_t ar = (uint64_t)(r < 0 ? -r : r);
                if (ar >= (uint64_t)unit - ar) q += v < 0 ? -1 : 1;
                v = (int64_t)((uint64_t)q * (uint64_t)unit);
            }
        }
        set_i(out, wrap_to(e->type.kind, (uint64_t)v));
        return 0;
    }
    default: set_null(out); return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Functions                                                           */

/* Evaluates all arguments into vals (nargs of them). */
static int eval_args(const BExpr *e, const Value *row, Value *vals, EvalCtx *ctx)
{
    for (int i = 0; i < e->nargs; i++)
        if (eval_expr(e->args[i], row, &vals[i], ctx)) return -1;
    return 0;
}

static int concat(const BExpr *e, const Value *vals, int nvals, const Value *sep, Value *out, EvalCtx *ctx)
{
    int64_t total = 0;
    int count = 0;
    for (int i = 0; i < nvals; i++) {
        if (vals[i].null) {
            if (!sep) return set_null(out), 0;
            continue;
        }
        total += vals[i].n;
        count++;
    }
    if (sep && count > 1) total += (int64_t)sep->n * (count - 1);
    if (total > INT32_MAX) return fail(ctx, e, "string result longer than 2 GiB");
    char *p = ctx_alloc(ctx, (size_t)total);
    int64_t w = 0;
    bool first = true;
    for (int i = 0; i < nvals; i++) {
        if (vals[i].null) continue;
        if (sep && !first) {
            memcpy(p + w, sep->s, (size_t)sep->n);
            w += sep->n;
        }
        first = false;
        if (vals[i].n) memcpy(p + w, vals[i].s, (size_t)vals[i].n);
        w += vals[i].n;
    }
    set_s(out, p, (int32_t)w);
    return 0;
}

static void substring(const Value *s, int64_t pos, int64_t len, Value *out)
{
    const char *p = s->s;
    int n = s->n;
    if (len < 0) return set_null(out);          /* Flink: negative length → NULL */
    int64_t start;
    if (pos > 0) {
        start = pos - 1;
    } else if (pos < 0) {
        start = u8_count(p, n) + pos;
        if (start < 0) return set_s(out, p, 0);
    } else {
        start = 0;
    }
    int b = 0;
    for (int64_t k = 0; k < start && b < n; k++) b = u8_next(p, n, b);
    int end = b;
    for (int64_t k = 0; k < len && end < n; k++) end = u8_next(p, n, end);
    set_s(out, p + b, end - b);
}

static int to_timestamp_ltz(const BExpr *e, const Value *x, int64_t precision, Value *out, EvalCtx *ctx)
{
    Type t = e->args[0]->type;
    int64_t ms;
    bool secs = precision == 0;
    if (k_int(t.kind)) {
        if (!secs) ms = x->i;
        else if (__builtin_mul_overflow(x->i, 1000, &ms))
            return fail(ctx, e, "TO_TIMESTAMP_LTZ: %lld seconds is out of range", (long long)x->i);
    } else if (t.kind == TY_DECIMAL) {
        i128 r = (i128)x->i * (secs ? 1000 : 1) / pow10_128(t.scale);   /* truncated */
        if (r > INT64_MAX || r < INT64_MIN) return fail(ctx, e, "TO_TIMESTAMP_LTZ: value out of range");
        ms = (int64_t)r;
    } else {
        double d = x->d * (secs ? 1000.0 : 1.0);
        if (!(d > -9.2e18 && d < 9.2e18)) return fail(ctx, e, "TO_TIMESTAMP_LTZ: value out of range");
        ms = (int64_t)d;
    }
    set_i(out, ms);
    return 0;
}

static int bad_nested(EvalCtx *ctx, const BExpr *e) { return fail(ctx, e, "malformed nested value"); }

static int eval_call(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    Value v[3];
    memset(v, 0, sizeof v);
    switch (e->fn->id) {
    case FN_ROUND: return eval_round(e, row, out, ctx);
    case FN_ABS: {
        if (eval_expr(e->args[0], row, &v[0], ctx)) return -1;
        if (v[0].null) return set_null(out), 0;
        int k = e->args[0]->type.kind;
        if (k_float(k)) set_d(out, fabs(v[0].d));
        else if (k == TY_DECIMAL) set_i(out, v[0].i < 0 ? -v[0].i : v[0].i);
        else set_i(out, wrap_to(e->type.kind, v[0].i < 0 ? 0 - (uint64_t)v[0].i : (uint64_t)v[0].i));
        return 0;
    }
    case FN_FLOOR:
    case FN_CEIL: {
        if (eval_expr(e->args[0], row, &v[0], ctx)) return -1;
        if (v[0].null) return set_null(out), 0;
        Type t = e->args[0]->type;
        bool fl = e->fn->id == FN_FLOOR;
        if (k_float(t.kind)) {
            set_d(out, fl ? floor(v[0].d) : ceil(v[0].d));
        } else if (t.kind == TY_DECIMAL) {
            i128 q;
            if (t.scale > DEC_DIGITS) {
                q = v[0].i == 0 ? 0 : fl ? (v[0].i < 0 ? -1 : 0) : (v[0].i > 0 ? 1 : 0);
            } else {
                int64_t unit = P10[t.scale];
                q = fl ? floor_div(v[0].i, unit) : -floor_div(-v[0].i, unit);
            }
            if (!rescale128(q, 0, e->type.scale, &q) || !dec_fits(q, e->type)) return fail_overflow(ctx, e, e->type);
            set_i(out, (int64_t)q);
        } else {
            *out = v[0];
        }
        return 0;
    }
    case FN_CARDINALITY:
    case FN_ELEMENT: {
        if (eval_expr(e->args[0], row, &v[0], ctx)) return -1;
        if (v[0].null || e->args[0]->type.kind == TY_NULL) return set_null(out), 0;
        int n = nested_count(e->args[0]->type, &v[0]);
        if (n < 0) return bad_nested(ctx, e);
        if (e->fn->id == FN_CARDINALITY) return set_i(out, n), 0;
        if (n == 0) return set_null(out), 0;
        if (n > 1) return fail(ctx, e, "ELEMENT of an array of %d elements (it takes an array of at most one)", n);
        return nested_get(e->args[0]->type, &v[0], 0, out) ? bad_nested(ctx, e) : 0;
    }
    case FN_MOD:
        if (eval_args(e, row, v, ctx)) return -1;
        if (v[0].null || v[1].null) return set_null(out), 0;
        return arith(e, OP_MOD, e->args[0]->type, &v[0], e->args[1]->type, &v[1], e->type, out, ctx);
    case FN_POWER:
        if (eval_args(e, row, v, ctx)) return -1;
        if (v[0].null || v[1].null) return set_null(out), 0;
        set_d(out, pow(num_to_double(e->args[0]->type, &v[0]), num_to_double(e->args[1]->type, &v[1])));
        return 0;
    case FN_UPPER:
    case FN_LOWER:
        if (eval_expr(e->args[0], row, &v[0], ctx)) return -1;
        if (v[0].null) return set_null(out), 0;
        case_map(&v[0], e->fn->id == FN_UPPER, out, ctx);
        return 0;
    case FN_CONCAT:
    case FN_CONCAT_WS: {
        Value local[8] = {0};
        Value *vals = e->nargs <= 8 ? local : arena_alloc(ctx->arena, sizeof(Value) * (size_t)e->nargs);
        if (eval_args(e, row, vals, ctx)) return -1;
        if (e->fn->id == FN_CONCAT) return concat(e, vals, e->nargs, NULL, out, ctx);
        if (vals[0].null) return set_null(out), 0;
        return concat(e, vals + 1, e->nargs - 1, &vals[0], out, ctx);
    }
    case FN_SUBSTRING: {
        if (eval_args(e, row, v, ctx)) return -1;
        for (int i = 0; i < e->nargs; i++)
            if (v[i].null) return set_null(out), 0;
        substring(&v[0], v[1].i, e->nargs == 3 ? v[2].i : INT64_MAX, out);
        return 0;
    }
    case FN_TRIM:
    case FN_LTRIM:
    case FN_RTRIM: {
        if (eval_args(e, row, v, ctx)) return -1;
        if (v[0].null || (e->nargs == 2 && v[1].null)) return set_null(out), 0;
        bool lead = true, trail = true;
        if (e->fn->id == FN_LTRIM) trail = false;
        else if (e->fn->id == FN_RTRIM) lead = false;
        else if (e->flags == TRIM_LEADING) trail = false;
        else if (e->flags == TRIM_TRAILING) lead = false;
        trim(&v[0], e->nargs == 2 ? &v[1] : NULL, lead, trail, out);
        return 0;
    }
    case FN_CHAR_LENGTH:
        if (eval_expr(e->args[0], row, &v[0], ctx)) return -1;
        if (v[0].null) return set_null(out), 0;
        set_i(out, u8_count(v[0].s, v[0].n));
        return 0;
    case FN_TO_TIMESTAMP_LTZ: {
        if (eval_args(e, row, v, ctx)) return -1;
        if (v[0].null || (e->nargs == 2 && v[1].null)) return set_null(out), 0;
        int64_t p = e->nargs == 2 ? v[1].i : 3;
        if (p != 0 && p != 3) return fail(ctx, e, "TO_TIMESTAMP_LTZ precision must be 0 or 3, got %lld", (long long)p);
        return to_timestamp_ltz(e, &v[0], p, out, ctx);
    }
    case FN_PROCTIME:
    case FN_NOW:
        set_i(out, ctx->now_ms);
        return 0;
    case FN_CURRENT_WATERMARK:
        if (ctx->watermark == INT64_MIN) return set_null(out), 0;
        set_i(out, ctx->watermark);
        return 0;
    case FN_COALESCE:
        for (int i = 0; i < e->nargs; i++) {
            if (eval_expr(e->args[i], row, out, ctx)) return -1;
            if (!out->null) return coerce(e, e->args[i]->type, e->type, out, ctx);
        }
        set_null(out);
        return 0;
    case FN_NULLIF:
        if (eval_expr(e->args[0], row, out, ctx)) return -1;
        if (out->null) return 0;
        if (eval_expr(e->args[1], row, &v[1], ctx)) return -1;
        if (!v[1].null && cmp_values(e->args[0]->type, out, e->args[1]->type, &v[1]) == 0) set_null(out);
        return 0;
    case FN_COUNT:
    case FN_SUM:
    case FN_AVG:
    case FN_MIN:
    case FN_MAX:
    case FN_LISTAGG:
    case FN_FIRST_VALUE:
    case FN_LAST_VALUE:
    case FN_STDDEV_POP:
    case FN_STDDEV_SAMP:
    case FN_VAR_POP:
    case FN_VAR_SAMP: break;
    default: return fn_eval(e, row, out, ctx);   /* the everyday library: fn.h */
    }
    return fail(ctx, e, "%s cannot be evaluated as a scalar function", e->fn->name);
}

/* ------------------------------------------------------------------ */
/* What the function files share (fn.h)                               */

int eval_coerce(const BExpr *e, Type from, Type to, Value *v, EvalCtx *ctx) { return coerce(e, from, to, v, ctx); }
int eval_cast(const BExpr *e, Type from, Type to, Value *v, bool quiet, EvalCtx *ctx) { return cast_value(e, from, to, v, quiet, ctx); }
int eval_cmp(Type ta, const Value *a, Type tb, const Value *b) { return cmp_values(ta, a, tb, b); }
double eval_num_to_double(Type t, const Value *v) { return num_to_double(t, v); }
bool eval_parse_timestamp(const char *s, int n, int64_t *ms) { return parse_timestamp(s, n, ms); }
bool eval_parse_date(const char *s, int n, int64_t *days) { return parse_date(s, n, days); }
uint32_t eval_cp_upper(uint32_t c) { return cp_upper(c); }
uint32_t eval_cp_lower(uint32_t c) { return cp_lower(c); }
int64_t eval_ltz_to_local(const EvalCtx *ctx, int64_t utc) { return ltz_to_local(ctx, utc); }
int64_t eval_local_to_ltz(const EvalCtx *ctx, int64_t local) { return local_to_ltz(ctx, local); }

/* ------------------------------------------------------------------ */
/* Expressions                                                         */

static void lit_value(const BExpr *e, Value *out)
{
    const Datum *d = &e->lit;
    if (d->null || e->type.kind == TY_NULL) return set_null(out);
    if (k_float(e->type.kind)) set_d(out, d->d);
    else if (k_str(e->type.kind)) set_s(out, d->s, d->n);
    else set_i(out, d->i);
}

/* AND / OR with three-valued logic, right side skipped when the left side
 * decides. */
static int eval_logic(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    bool is_and = e->op == OP_AND;
    Value a, b;
    if (eval_expr(e->a, row, &a, ctx)) return -1;
    if (!a.null && (a.i != 0) != is_and) return set_i(out, !is_and), 0;
    if (eval_expr(e->b, row, &b, ctx)) return -1;
    if (!b.null && (b.i != 0) != is_and) return set_i(out, !is_and), 0;
    if (a.null || b.null) return set_null(out), 0;
    set_i(out, is_and);
    return 0;
}

static int eval_op(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    if (e->op == OP_AND || e->op == OP_OR) return eval_logic(e, row, out, ctx);
    Value a, b;
    if (eval_expr(e->a, row, &a, ctx) || eval_expr(e->b, row, &b, ctx)) return -1;
    if (a.null || b.null) return set_null(out), 0;
    switch (e->op) {
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: set_i(out, cmp_holds(e->op, cmp_values(e->a->type, &a, e->b->type, &b))); return 0;
    case OP_CONCAT: {
        Value two[2] = {a, b};
        return concat(e, two, 2, NULL, out, ctx);
    }
    default: return arith(e, e->op, e->a->type, &a, e->b->type, &b, e->type, out, ctx);
    }
}

static int eval_in(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    Value a, v;
    if (eval_expr(e->a, row, &a, ctx)) return -1;
    if (a.null) return set_null(out), 0;
    bool saw_null = false;
    for (int i = 0; i < e->nargs; i++) {
        if (eval_expr(e->args[i], row, &v, ctx)) return -1;
        if (v.null) {
            saw_null = true;
            continue;
        }
        if (cmp_values(e->a->type, &a, e->args[i]->type, &v) == 0) return set_i(out, !e->negated), 0;
    }
    if (saw_null) return set_null(out), 0;
    set_i(out, e->negated);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Nested data: field access, subscripts, constructors (nested.h)      */

/* a[b]: an ARRAY's element b (1-based, out of range NULL, as Flink), a
 * MAP's value for key b (NULL when absent). */
static int eval_item(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    Value a, k;
    if (eval_expr(e->a, row, &a, ctx) || eval_expr(e->b, row, &k, ctx)) return -1;
    if (a.null || k.null) return set_null(out), 0;
    Type t = e->a->type;
    NestedIter it;
    int n = nested_open(&it, t, &a);
    if (n < 0) return bad_nested(ctx, e);
    if (t.kind == TY_ARRAY) {
        if (k.i < 1 || k.i > n) return set_null(out), 0;
        return nested_get(t, &a, (int)(k.i - 1), out) ? bad_nested(ctx, e) : 0;
    }
    set_null(out);
    for (int i = 0; i + 1 < n; i += 2) {
        Value key, val;
        if (nested_next(&it, &key) || nested_next(&it, &val)) return bad_nested(ctx, e);
        if (!key.null && cmp_values(t.nest->types[0], &key, e->b->type, &k) == 0) {
            *out = val;
            return 0;
        }
    }
    return 0;
}

/* ROW(…), ARRAY[…], MAP[k, v, …]: the arguments in the element types. */
static int eval_ctor(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    Value stack[16], *v = e->nargs <= 16 ? stack : arena_alloc(ctx->arena, sizeof(Value) * (size_t)e->nargs);
    for (int i = 0; i < e->nargs; i++) {
        if (eval_expr(e->args[i], row, &v[i], ctx)) return -1;
        if (coerce(e, e->args[i]->type, type_elem(e->type, i), &v[i], ctx)) return -1;
    }
    nested_pack(ctx->arena, e->type, v, e->nargs, out);
    return 0;
}

int eval_expr(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    /* An operator recurses: on a small caller's stack a deep expression
     * fails here rather than overflow (stack.h). */
    if (e->kind != BX_COL && e->kind != BX_LIT && __builtin_expect(stack_low(), 0))
        return fail(ctx, e, "expression too complex for this thread's stack (it nests too deeply to evaluate here)");
    switch (e->kind) {
    case BX_COL: *out = row[e->col]; return 0;
    case BX_LIT: lit_value(e, out); return 0;
    case BX_OP: return eval_op(e, row, out, ctx);
    case BX_NOT:
        if (eval_expr(e->a, row, out, ctx)) return -1;
        if (!out->null) out->i = !out->i;
        return 0;
    case BX_NEG: {
        if (eval_expr(e->a, row, out, ctx)) return -1;
        if (out->null) return 0;
        int k = e->a->type.kind;
        if (k_float(k)) out->d = -out->d;
        else if (k_int(k)) out->i = wrap_to(k, 0 - (uint64_t)out->i);
        else out->i = (int64_t)(0 - (uint64_t)out->i);   /* DECIMAL (|v| < 10^18), INTERVAL */
        return 0;
    }
    case BX_IS: {
        Value a;
        if (eval_expr(e->a, row, &a, ctx)) return -1;
        bool r = e->is == LIT_NULL ? a.null : e->is == LIT_TRUE ? (!a.null && a.i) : (!a.null && !a.i);
        set_i(out, r != e->negated);
        return 0;
    }
    case BX_IN: return eval_in(e, row, out, ctx);
    case BX_LIKE: {
        Value a, b;
        if (eval_expr(e->a, row, &a, ctx) || eval_expr(e->b, row, &b, ctx)) return -1;
        if (a.null || b.null) return set_null(out), 0;
        set_i(out, like_match(a.s, a.n, b.s, b.n) != e->negated);
        return 0;
    }
    case BX_CASE:
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            int r = eval_pred(e->args[i], row, ctx);
            if (r < 0) return -1;
            if (r) {
                if (eval_expr(e->args[i + 1], row, out, ctx)) return -1;
                return coerce(e, e->args[i + 1]->type, e->type, out, ctx);
            }
        }
        if (!e->b) return set_null(out), 0;
        if (eval_expr(e->b, row, out, ctx)) return -1;
        return coerce(e, e->b->type, e->type, out, ctx);
    case BX_CAST:
        if (eval_expr(e->a, row, out, ctx)) return -1;
        if (out->null || e->a->type.kind == TY_NULL) return set_null(out), 0;
        if (cast_value(e, e->a->type, e->type, out, e->try_, ctx)) {
            if (!e->try_) return -1;
            set_null(out);
        }
        return 0;
    case BX_CALL: return eval_call(e, row, out, ctx);
    case BX_AGG: return fail(ctx, e, "aggregate %s cannot be evaluated outside an aggregation", e->fn ? e->fn->name : "?");
    case BX_FIELD:
        if (eval_expr(e->a, row, out, ctx)) return -1;
        if (out->null) return 0;
        {
            Value r = *out;
            if (nested_get(e->a->type, &r, e->flags, out)) return bad_nested(ctx, e);
        }
        return 0;
    case BX_ITEM: return eval_item(e, row, out, ctx);
    case BX_CTOR: return eval_ctor(e, row, out, ctx);
    }
    return fail(ctx, e, "unknown expression kind %d", (int)e->kind);
}

int eval_pred(const BExpr *e, const Value *row, EvalCtx *ctx)
{
    /* "Is it TRUE?" distributes over AND and OR, which saves building
     * NULLs for the common WHERE a AND b. */
    if (e->kind == BX_OP && (e->op == OP_AND || e->op == OP_OR)) {
        int r = eval_pred(e->a, row, ctx);
        if (r < 0) return -1;
        if (e->op == OP_AND ? !r : r) return r;
        return eval_pred(e->b, row, ctx);
    }
    Value v;
    if (eval_expr(e, row, &v, ctx)) return -1;
    return !v.null && v.i != 0;
}
