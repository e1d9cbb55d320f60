/*
 * fn_string.c — string functions and regular expressions, with Flink's
 * semantics.  Strings are UTF-8 and counted in code points (as Flink's
 * Java strings are in characters; eddy does not split surrogate pairs).
 *
 *   - Every function here is NULL when an argument is NULL.
 *   - REGEXP(s, re) is TRUE when some part of s matches (Java's find);
 *     REGEXP_EXTRACT(s, re [, g]) the group g (default 0, the whole match)
 *     of the first match, NULL without a match, for a group that does not
 *     exist or took no part; REGEXP_REPLACE(s, re, r) replaces every match
 *     with r taken literally (Flink quotes the replacement), an empty match
 *     included ('abc', 'x*', '-' → '-a-b-c-').  A pattern from a column
 *     that does not compile, and a match that reaches rx.h's limits, give
 *     NULL (Flink logs and returns NULL); a constant pattern that does not
 *     compile was a compile error (func_lib.c).  Patterns compile once per
 *     thread (rx_cached), not per row.
 *   - REPLACE(s, from, to) as Java's String.replace: an empty `from`
 *     inserts `to` around every character.
 *   - SPLIT_INDEX(s, sep, i): the i-th piece (0-based) of s split at every
 *     sep, empty pieces kept; NULL for i < 0 or past the end; an empty sep
 *     splits at whitespace (commons-lang's splitByWholeSeparator…).
 *   - POSITION(x IN s) and LOCATE(x, s [, from]) are 1-based, 0 when x is
 *     not found (or from < 1); an empty x is found where the search starts.
 *   - LPAD/RPAD(s, n, pad): NULL for n < 0 or an empty pad; a longer s is
 *     cut to its first n characters.  REPEAT(s, n ≤ 0) is ''.  LEFT and
 *     RIGHT of n < 0 are ''.  INITCAP upper-cases the first letter or digit
 *     of every run of letters and digits and lower-cases the rest.
 *   - MD5 and SHA256 are lower-case hex digests of the UTF-8 bytes.
 */
#include "fn.h"

#include <string.h>

#include "rx.h"

#define FN_MAX_RESULT (256 * 1024 * 1024)   /* a REPEAT / pad result larger than this is an error */

static inline bool u8_cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

static inline int u8_next(const char *s, int n, int i)
{
    i++;
    while (i < n && u8_cont(s[i])) i++;
    return i;
}

static int u8_count(const char *s, int n)
{
    int c = n > 0 && u8_cont(s[0]);
    for (int i = 0; i < n; i++) c += !u8_cont(s[i]);
    return c;
}

/* The byte offset of character k (clamped to n). */
static int u8_offset(const char *s, int n, int64_t k)
{
    int i = 0;
    for (int64_t c = 0; c < k && i < n; c++) i = u8_next(s, n, i);
    return i;
}

static int u8_decode(const char *s, int n, int i, uint32_t *cp)
{
    unsigned char c = (unsigned char)s[i];
    int len;
    uint32_t v;
    if (c < 0x80) return *cp = c, 1;
    if ((c & 0xE0) == 0xC0) len = 2, v = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, v = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, v = c & 0x07;
    else return *cp = c, 1;
    if (i + len > n) return *cp = c, 1;
    for (int k = 1; k < len; k++) {
        if (((unsigned char)s[i + k] & 0xC0) != 0x80) return *cp = c, 1;
        v = (v << 6) | ((unsigned char)s[i + k] & 0x3F);
    }
    *cp = v;
    return len;
}

static int u8_encode(char *o, uint32_t c)
{
    if (c < 0x80) return o[0] = (char)c, 1;
    if (c < 0x800) return o[0] = (char)(0xC0 | (c >> 6)), o[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000) return o[0] = (char)(0xE0 | (c >> 12)), o[1] = (char)(0x80 | ((c >> 6) & 0x3F)), o[2] = (char)(0x80 | (c & 0x3F)), 3;
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A growing result in the batch arena. */
typedef struct Out {
    char   *p;            /* bytes */
    size_t  n, cap;       /* used, allocated */
    EvalCtx *ctx;         /* its arena */
} Out;

static bool out_put(Out *o, const char *s, size_t n)
{
    if (o->n + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        while (cap < o->n + n) cap *= 2;
        if (cap > FN_MAX_RESULT) return false;
        char *p = fn_alloc(o->ctx, cap);
        if (o->n) memcpy(p, o->p, o->n);
        o->p = p;
        o->cap = cap;
    }
    if (n) memcpy(o->p + o->n, s, n);
    o->n += n;
    return true;
}

static int too_long(EvalCtx *ctx, const BExpr *e)
{
    return fn_fail(ctx, e, "%s: the result would be longer than %d MiB", e->fn->name, FN_MAX_RESULT >> 20);
}

/* Byte offset of the first occurrence of x in s at or after byte `from`, or -1. */
static int find_bytes(const char *s, int n, const char *x, int xn, int from)
{
    if (xn == 0) return from <= n ? from : -1;
    for (int i = from; i + xn <= n; i++)
        if (s[i] == x[0] && memcmp(s + i, x, (size_t)xn) == 0) return i;
    return -1;
}

static int regexp(const BExpr *e, const Value *v, Value *out, EvalCtx *ctx)
{
    char err[256];
    const Rx *rx = rx_cached(v[1].s, (size_t)v[1].n, err, sizeof err);
    if (!rx) return fn_null(out), 0;
    int groups = rx_groups(rx);
    long ovs[64], *ov = groups < 31 ? ovs : (long *)(void *)fn_alloc(ctx, sizeof(long) * 2 * (size_t)(groups + 1));
    switch (e->fn->id) {
    case FN_REGEXP: {
        int r = rx_find(rx, v[0].s, (size_t)v[0].n, 0, ov, err, sizeof err);
        if (r < 0) return fn_null(out), 0;
        fn_int(out, r);
        return 0;
    }
    case FN_REGEXP_EXTRACT: {
        int64_t g = e->nargs == 3 ? v[2].i : 0;
        if (g < 0 || g > groups) return fn_null(out), 0;
        int r = rx_find(rx, v[0].s, (size_t)v[0].n, 0, ov, err, sizeof err);
        if (r <= 0 || ov[2 * g] < 0) return fn_null(out), 0;
        fn_str(out, v[0].s + ov[2 * g], (int32_t)(ov[2 * g + 1] - ov[2 * g]));
        return 0;
    }
    default: {   /* REGEXP_REPLACE */
        const char *s = v[0].s;
        int n = v[0].n;
        Out o = {.ctx = ctx};
        int last = 0, pos = 0;
        while (pos <= n) {
            int r = rx_find(rx, s, (size_t)n, (size_t)pos, ov, err, sizeof err);
            if (r < 0) return fn_null(out), 0;
            if (r == 0) break;
            int ms = (int)ov[0], me = (int)ov[1];
            if (!out_put(&o, s + last, (size_t)(ms - last)) || !out_put(&o, v[2].s, (size_t)v[2].n)) return too_long(ctx, e);
            if (me == ms) {   /* an empty match: keep the next character and go on after it */
                if (ms >= n) {
                    last = n;
                    break;
                }
                int nx = u8_next(s, n, ms);
                if (!out_put(&o, s + ms, (size_t)(nx - ms))) return too_long(ctx, e);
                last = pos = nx;
            } else {
                last = pos = me;
            }
        }
        if (!out_put(&o, s + last, (size_t)(n - last))) return too_long(ctx, e);
        fn_str(out, o.p ? o.p : "", (int32_t)o.n);
        return 0;
    }
    }
}

static int pad(const BExpr *e, const Value *v, bool left, Value *out, EvalCtx *ctx)
{
    int64_t len = v[1].i;
    const char *s = v[0].s, *p = v[2].s;
    int sn = v[0].n, pn = v[2].n;
    if (len < 0 || pn == 0) return fn_null(out), 0;
    int sc = u8_count(s, sn);
    if (len <= sc) return fn_str(out, s, u8_offset(s, sn, len)), 0;
    int pc = u8_count(p, pn);
    int64_t need = len - sc;   /* pad characters */
    if (need > FN_MAX_RESULT) return too_long(ctx, e);
    int64_t bytes = (need / pc + 1) * pn + sn;
    if (bytes > FN_MAX_RESULT) return too_long(ctx, e);
    char *o = fn_alloc(ctx, (size_t)bytes);
    int w = 0;
    if (!left) memcpy(o, s, (size_t)sn), w = sn;
    for (int64_t k = 0; k < need;) {
        int i = 0;
        for (int c = 0; c < pc && k < need; c++, k++) {
            int nx = u8_next(p, pn, i);
            memcpy(o + w, p + i, (size_t)(nx - i));
            w += nx - i;
            i = nx;
        }
    }
    if (left) memcpy(o + w, s, (size_t)sn), w += sn;
    fn_str(out, o, w);
    return 0;
}

static bool is_word_char(uint32_t c)
{
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return eval_cp_upper(c) != c || eval_cp_lower(c) != c || c >= 0x3040;   /* cased letters, and CJK and beyond */
}

static void initcap(const Value *v, Value *out, EvalCtx *ctx)
{
    char *o = fn_alloc(ctx, (size_t)v->n * 2 + 4);   /* a case change at most doubles a character's bytes (ß → SS aside: none here) */
    int w = 0;
    bool start = true;
    for (int i = 0; i < v->n;) {
        uint32_t c;
        int len = u8_decode(v->s, v->n, i, &c);
        if (is_word_char(c)) {
            uint32_t m = start ? eval_cp_upper(c) : eval_cp_lower(c);
            w += u8_encode(o + w, m);
            start = false;
        } else {
            memcpy(o + w, v->s + i, (size_t)len);
            w += len;
            start = true;
        }
        i += len;
    }
    fn_str(out, o, w);
}

int fn_string(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    Value v[3];
    memset(v, 0, sizeof v);
    bool null;
    if (fn_args(e, row, v, &null, ctx)) return -1;
    if (null) return fn_null(out), 0;
    const char *s = v[0].s;
    int n = v[0].n;
    switch (e->fn->id) {
    case FN_REGEXP:
    case FN_REGEXP_EXTRACT:
    case FN_REGEXP_REPLACE: return regexp(e, v, out, ctx);
    case FN_REPLACE: {
        const char *x = v[1].s, *to = v[2].s;
        int xn = v[1].n, tn = v[2].n;
        Out o = {.ctx = ctx};
        if (xn == 0) {   /* Java: `to` before every character and at the end */
            for (int i = 0; i < n;) {
                int nx = u8_next(s, n, i);
                if (!out_put(&o, to, (size_t)tn) || !out_put(&o, s + i, (size_t)(nx - i))) return too_long(ctx, e);
                i = nx;
            }
            if (!out_put(&o, to, (size_t)tn)) return too_long(ctx, e);
        } else {
            int last = 0, at;
            while ((at = find_bytes(s, n, x, xn, last)) >= 0) {
                if (!out_put(&o, s + last, (size_t)(at - last)) || !out_put(&o, to, (size_t)tn)) return too_long(ctx, e);
                last = at + xn;
            }
            if (last == 0) return fn_str(out, s, n), 0;
            if (!out_put(&o, s + last, (size_t)(n - last))) return too_long(ctx, e);
        }
        fn_str(out, o.p ? o.p : "", (int32_t)o.n);
        return 0;
    }
    case FN_SPLIT_INDEX: {
        int64_t idx = v[2].i;
        if (idx < 0) return fn_null(out), 0;
        const char *sep = v[1].s;
        int sepn = v[1].n, start = 0;
        for (int64_t k = 0;; k++) {
            int at, skip;
            if (sepn == 0) {   /* whitespace */
                at = start;
                while (at < n && !(s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r' || s[at] == '\f' || s[at] == '\v')) at++;
                if (at >= n) at = -1;
                skip = 1;
            } else {
                at = find_bytes(s, n, sep, sepn, start);
                skip = sepn;
            }
            int end = at < 0 ? n : at;
            if (k == idx) return fn_str(out, s + start, end - start), 0;
            if (at < 0) return fn_null(out), 0;
            start = at + skip;
        }
    }
    case FN_POSITION:
    case FN_LOCATE: {
        /* POSITION(x IN s) and LOCATE(x, s): x is the first argument */
        const char *x = v[0].s, *h = v[1].s;
        int xn = v[0].n, hn = v[1].n;
        int64_t from = e->nargs == 3 ? v[2].i : 1;
        if (from < 1) return fn_int(out, 0), 0;
        int b = u8_offset(h, hn, from - 1);
        if (from - 1 > u8_count(h, hn)) return fn_int(out, 0), 0;
        int at = find_bytes(h, hn, x, xn, b);
        fn_int(out, at < 0 ? 0 : u8_count(h, at) + 1);
        return 0;
    }
    case FN_LPAD:
    case FN_RPAD: return pad(e, v, e->fn->id == FN_LPAD, out, ctx);
    case FN_REPEAT: {
        int64_t k = v[1].i;
        if (k <= 0 || n == 0) return fn_str(out, "", 0), 0;
        if (k > FN_MAX_RESULT / n) return too_long(ctx, e);
        char *o = fn_alloc(ctx, (size_t)(k * n));
        for (int64_t i = 0; i < k; i++) memcpy(o + i * n, s, (size_t)n);
        fn_str(out, o, (int32_t)(k * n));
        return 0;
    }
    case FN_REVERSE: {
        char *o = fn_alloc(ctx, (size_t)n);
        int w = n;
        for (int i = 0; i < n;) {
            int nx = u8_next(s, n, i);
            w -= nx - i;
            memcpy(o + w, s + i, (size_t)(nx - i));
            i = nx;
        }
        fn_str(out, o, n);
        return 0;
    }
    case FN_INITCAP: initcap(&v[0], out, ctx); return 0;
    case FN_LEFT: {
        int64_t k = v[1].i;
        fn_str(out, s, k <= 0 ? 0 : u8_offset(s, n, k));
        return 0;
    }
    case FN_RIGHT: {
        int64_t k = v[1].i, c = u8_count(s, n);
        if (k <= 0) return fn_str(out, s, 0), 0;
        int b = k >= c ? 0 : u8_offset(s, n, c - k);
        fn_str(out, s + b, n - b);
        return 0;
    }
    case FN_MD5: {
        char *o = fn_alloc(ctx, 33);
        fn_md5_hex((const unsigned char *)s, (size_t)n, o);
        fn_str(out, o, 32);
        return 0;
    }
    case FN_SHA256: {
        char *o = fn_alloc(ctx, 65);
        fn_sha256_hex((const unsigned char *)s, (size_t)n, o);
        fn_str(out, o, 64);
        return 0;
    }
    default: return fn_fail(ctx, e, "%s cannot be evaluated here", e->fn->name);
    }
}
