/*
 * codec_json.c — the JSON record format of codec.h: a schema-directed,
 * single-pass decoder and an encoder, following Flink's 'json' format.
 *
 * Why hand-written and not jansson (which eddy already depends on):
 * decoding is the hot path — every input record goes through it — and a
 * general parser builds a tree, allocates every key and value, and then
 * needs a hash look-up per column.  This decoder walks the bytes once,
 * matches field names against the few columns the plan needs (predicting
 * the next field from the previous record's order), converts only those
 * fields, skips the rest with a validating scanner that never recurses,
 * and points strings into the input when they have no escapes.
 * Measured with bench/json_decode_bench.c (1M reference records
 * {"order_id":…,"user_id":…,"amount":…,"region":…}, 69.5 bytes each, into
 * BIGINT, BIGINT, DOUBLE, STRING; gcc -O2, one core of an AMD EPYC; best of
 * 3 runs, repeated over several invocations):
 *     eddy json_decode                        58-68 ns/record (~16M/s)
 *     jansson json_loadb + 4 look-ups        890-1000 ns/record (~1.1M/s)
 * eddy must decode ~1.5M records/s per core with aggregation and Kafka on
 * top (~660 ns/record in all); jansson alone would take more than that,
 * the hand-written path ~10% of it.  That 14x is why this file exists.
 *
 * Decoding rules (Flink's JsonToRowDataConverters, with these choices):
 *  - The record must be one JSON object; whitespace around it is allowed,
 *    anything else after it is an error.  Duplicate keys: the last wins.
 *    Field names match column names exactly (case-sensitive), escapes in
 *    names included.  Missing field or null → NULL.
 *  - Integer columns take numbers whose value is an integer (1, 1.0, 1e3;
 *    1.5 is an error — Flink would silently truncate into INT/BIGINT and
 *    fail for TINYINT/SMALLINT) and numeric strings (" 42 ", like Java's
 *    parseInt(trim)); out of the column's range is an error.
 *  - FLOAT/DOUBLE take numbers and numeric strings, including "NaN",
 *    "Infinity", "-Infinity" (Java's parseDouble); bare NaN/Infinity
 *    tokens are not JSON and are rejected, as Flink's parser does.
 *    Doubles are correctly rounded: a fast path (≤ 2^53 mantissa and a
 *    power of ten ≤ 22, one IEEE division or multiplication of two exact
 *    values — Clinger's exact case) gives bit-for-bit what strtod gives;
 *    everything else goes to strtod_l in the C locale.
 *  - DECIMAL(p, s) is read from the number's text (or a string) exactly,
 *    rounded HALF_UP to s digits like Flink's DecimalData.fromBigDecimal;
 *    where Flink silently yields NULL for a value beyond precision p, eddy
 *    reports an error (as for values beyond its 18-digit decimals).
 *  - BOOLEAN takes true/false and the strings "true"/"false" in any case;
 *    any other string is an error (Flink's parseBoolean would say false).
 *  - STRING takes strings; numbers, true and false as their JSON text; an
 *    object or array as its JSON text with insignificant whitespace removed
 *    (Flink re-serialises the node; numbers keep their original spelling).
 *  - DATE 'yyyy-MM-dd'; TIMESTAMP and TIMESTAMP_LTZ
 *    'yyyy-MM-dd HH:mm:ss[.f…]', or with 'T' (ISO-8601), with an optional
 *    trailing 'Z' (Flink's SQL format writes it for TIMESTAMP_LTZ; both
 *    accept it, both read the wall clock as UTC); TIMESTAMP_LTZ also epoch
 *    milliseconds as a number.  Fractions beyond milliseconds are
 *    truncated (eddy keeps milliseconds).
 *  - BYTES: a base64 string (padding optional).
 *  - Strings must be valid UTF-8; \uXXXX escapes become UTF-8, surrogate
 *    pairs combined, an unpaired surrogate becomes U+FFFD.
 *  - ROW columns take an object (fields by name as for the record: missing
 *    or null → NULL, unknown fields skipped), ARRAY columns an array, MAP
 *    columns an object whose names are read as the key type reads a
 *    string (a repeated name keeps its last value); null → NULL.  Anything
 *    else there is malformed, and the message names the place inside:
 *    "field 'payload.items[2].qty': …".  Decoding recurses only as deep as
 *    the column's declared type; deeper input is skipped or refused.
 *  - Nesting deeper than JSON_MAX_DEPTH is an error (the skipper keeps an
 *    explicit bit stack, never the C stack).
 * Error positions are 0-based byte offsets into the record.
 *
 * Flink's 'json.*' options (JsonOptions, json_decoder_set_options):
 *  - ignore-parse-errors: a value that cannot be converted — a field, a
 *    ROW's field, an ARRAY element, a MAP value — is NULL instead
 *    (field_value_or_null; counted, the first reason kept for the
 *    source's notice), as Flink's converters give null; text that is not
 *    JSON at all still fails the record, which the source then skips.
 *  - fail-on-missing-field: a column (or a ROW's field) absent from its
 *    object is an error; null is still NULL.
 *  - timestamp-format.standard: 'SQL' or 'ISO-8601' read exactly Flink's
 *    form (ts_from_text: the separator, seconds required or not, 'Z' on
 *    TIMESTAMP_LTZ only, no epoch numbers) and write it; not given, the
 *    lenient rules above and the SQL form out.
 *  - encode.decimal-as-plain-number: DECIMAL written as Flink's Jackson
 *    writes it (w_decimal_flink); not given, the scale's digits.
 *
 * Encoding (RowDataToJsonConverters with Jackson's defaults): doubles in
 * shortest round-trip form (double_print), FLOAT in shortest float form;
 * NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (Jackson
 * quotes non-numeric numbers by default, and Flink's decoder reads them
 * back); DECIMAL as a plain number with exactly its scale's digits (Flink
 * writes BigDecimal.toString, which may use an exponent, e.g. 1E-7);
 * TIMESTAMP as 'yyyy-MM-dd HH:mm:ss[.fff]' with the fraction's trailing
 * zeros dropped and no fraction when it is zero, TIMESTAMP_LTZ the same
 * plus 'Z' — exactly Flink's SQL_TIMESTAMP_FORMAT / ..._WITH_LOCAL_TIMEZONE
 * (appendFraction(NANO_OF_SECOND, 0, 9, true)); DATE as 'yyyy-MM-dd';
 * BYTES as padded base64; control characters as \b \f \n \r \t or \u00XX;
 * ROW as an object of its fields, ARRAY as an array, MAP as an object whose
 * names are the keys' text (a NULL key as "null").
 */
#define _GNU_SOURCE
#include "civil.h"
#include "codec.h"
#include "nested.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_MAX_DEPTH 1024   /* nesting the skipper accepts (Jackson's default limit is 1000) */
#define DEC_MAX 999999999999999999ULL

/* ---- the C locale, for strtod/strtof and float formatting ---------------------
 * eddy's CLI may set a locale (line editing); number syntax must not follow it. */

static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) { g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static locale_t c_locale(void)
{
    pthread_once(&g_c_locale_once, c_locale_init);
    return g_c_locale;
}

/* ---- decoder ------------------------------------------------------------------ */

typedef struct JField {
    const char *name;     /* owned copy of the field name */
    size_t      len;      /* its length */
    Type        type;     /* column type */
    int         slot;     /* output index, -1 = validate only */
    int         chain;    /* next field in the same bucket, -1 */
    int         same;     /* next field with the same name, -1 */
} JField;

struct JsonDecoder {
    JField  *f;           /* fields */
    int      nf;          /* count */
    int     *bucket;      /* name hash → first field, -1 */
    unsigned bmask;       /* bucket count - 1 */
    int     *pred;        /* pred[i]: field that followed field i last time (pred[nf]: first field) */
    JsonOptions o;        /* Flink's 'json.*' options (json_decoder_set_options); zero = eddy's defaults */
    unsigned char *seen;  /* with fail-on-missing-field: per field, seen in the record being decoded */
    int      nulled;      /* with ignore-parse-errors: values of the last record set to NULL */
    char     why[300];    /* … and why the first was */
};

static inline unsigned name_hash(const char *k, size_t n)
{
    if (!n) return 0;
    const unsigned char *u = (const unsigned char *)k;
    return (unsigned)n * 31u + u[0] * 7u + u[n - 1] * 131u + u[n / 2] * 17u;
}

JsonDecoder *json_decoder_new(const JsonField *fields, int nfields)
{
    JsonDecoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->nf = nfields;
    d->f = calloc((size_t)nfields + 1, sizeof *d->f);
    d->pred = malloc(sizeof(int) * ((size_t)nfields + 1));
    unsigned nb = 8;
    while (nb < 2u * (unsigned)nfields) nb *= 2;
    d->bmask = nb - 1;
    d->bucket = malloc(sizeof(int) * nb);
    if (!d->f || !d->pred || !d->bucket) {
        json_decoder_free(d);
        return NULL;
    }
    for (unsigned b = 0; b < nb; b++) d->bucket[b] = -1;
    for (int i = 0; i < nfields; i++) {
        JField *f = &d->f[i];
        f->len = strlen(fields[i].name);
        char *name = malloc(f->len + 1);
        if (!name) {
            d->nf = i;
            json_decoder_free(d);
            return NULL;
        }
        memcpy(name, fields[i].name, f->len + 1);
        f->name = name;
        f->type = fields[i].type;
        f->slot = fields[i].slot;
        f->chain = f->same = -1;
        d->pred[i] = i + 1 < nfields ? i + 1 : -1;   /* first guess: declaration order */
        unsigned b = name_hash(f->name, f->len) & d->bmask;
        int *link = &d->bucket[b];
        while (*link >= 0) {
            JField *g = &d->f[*link];
            if (g->len == f->len && memcmp(g->name, f->name, f->len) == 0) {
                while (g->same >= 0) g = &d->f[g->same];   /* same name again: decode it twice */
                g->same = i;
                link = NULL;
                break;
            }
            link = &g->chain;
        }
        if (link) *link = i;
    }
    d->pred[nfields] = nfields ? 0 : -1;
    c_locale();
    return d;
}

void json_decoder_set_options(JsonDecoder *d, const JsonOptions *o)
{
    d->o = *o;
    if (o->fail_on_missing && !d->seen) {
        d->seen = calloc((size_t)d->nf + 1, 1);
        if (!d->seen) abort();
    }
}

int json_decode_nulled(const JsonDecoder *d, const char **why)
{
    *why = d->nulled ? d->why : NULL;
    return d->nulled;
}

bool json_decoder_ignores_errors(const JsonDecoder *d) { return d->o.ignore_parse_errors; }

void json_decoder_free(JsonDecoder *d)
{
    if (!d) return;
    free(d->seen);
    if (d->f)
        for (int i = 0; i < d->nf; i++) free((char *)d->f[i].name);
    free(d->f);
    free(d->pred);
    free(d->bucket);
    free(d);
}

static inline int find_field(const JsonDecoder *d, int guess, const char *k, size_t n)
{
    if (guess >= 0) {
        const JField *f = &d->f[guess];
        if (f->len == n && memcmp(f->name, k, n) == 0) return guess;
    }
    for (int i = d->bucket[name_hash(k, n) & d->bmask]; i >= 0; i = d->f[i].chain)
        if (d->f[i].len == n && memcmp(d->f[i].name, k, n) == 0) return i;
    return -1;
}

/* ---- scanning context and errors -------------------------------------------- */

/* Where a value inside a nested column is, for messages: `payload.items[2].id`. */
typedef struct JPath {
    const struct JPath *up;   /* the enclosing value, NULL at the column */
    const char *name;         /* a field name (or the column's), or NULL for an element */
    size_t      len;          /* its length */
    int         index;        /* an ARRAY element's position (1-based) */
} JPath;

typedef struct Ctx {
    const JPath  *path;   /* inside a nested column: where (messages), else NULL */
    const char   *base;   /* first byte of the record */
    const char   *end;    /* one past the last */
    Arena        *arena;  /* unescaped strings, decoded base64, compacted JSON */
    char         *err;    /* caller's message buffer */
    size_t        errlen; /* its size */
    const JField *field;  /* field being converted, for messages; NULL outside values */
    JsonDecoder  *dec;    /* the decoder: its options, and where values set to NULL are counted */
} Ctx;

static void jvmsg(Ctx *c, const char *at, const char *fmt, va_list ap)
{
    if (!c->err || !c->errlen) return;
    size_t n = 0;
    if (c->field && c->path) {
        const JPath *seg[64];
        int ns = 0;
        for (const JPath *q = c->path; q && ns < 64; q = q->up) seg[ns++] = q;
        StrBuf b = {0};
        while (ns--) {
            if (seg[ns]->name) sb_printf(&b, "%s%.*s", b.len ? "." : "", (int)seg[ns]->len, seg[ns]->name);
            else sb_printf(&b, "[%d]", seg[ns]->index);
        }
        int k = snprintf(c->err, c->errlen, "field '%s': ", b.s ? b.s : "");
        sb_free(&b);
        n = k < 0 ? 0 : (size_t)k < c->errlen ? (size_t)k : c->errlen - 1;
    } else if (c->field) {
        int k = snprintf(c->err, c->errlen, "field '%s': ", c->field->name);
        n = k < 0 ? 0 : (size_t)k < c->errlen ? (size_t)k : c->errlen - 1;
    }
    int k = vsnprintf(c->err + n, c->errlen - n, fmt, ap);
    n += k < 0 ? 0 : (size_t)k;
    if (at && n < c->errlen) snprintf(c->err + n, c->errlen - n, " at byte %zu", (size_t)(at - c->base));
}

/* The message, prefixed with the field being converted, ending " at byte N". */
static void jerr(Ctx *c, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void jerr(Ctx *c, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jvmsg(c, at, fmt, ap);
    va_end(ap);
}

/* The same, with the position written by the format itself. */
static void jmsg(Ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jmsg(Ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jvmsg(c, NULL, fmt, ap);
    va_end(ap);
}

/* Error for an unexpected byte where `what` was expected:
 * "expected ',' or '}' at byte 17, got 'x'". */
static const char *expected(Ctx *c, const char *p, const char *what)
{
    size_t at = (size_t)(p - c->base);
    if (p >= c->end) jmsg(c, "unexpected end of input at byte %zu, expected %s", at, what);
    else if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) jmsg(c, "expected %s at byte %zu, got '%c'", what, at, *p);
    else jmsg(c, "expected %s at byte %zu, got byte 0x%02x", what, at, (unsigned char)*p);
    return NULL;
}

/* Quotes up to 40 bytes of a token for a message. */
static void snippet(char *out, size_t outlen, const char *s, const char *e)
{
    size_t n = (size_t)(e - s), o = 0;
    bool cut = n > 40;
    if (cut) n = 40;
    for (size_t i = 0; i < n && o + 5 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = ch >= 0x20 && ch != 0x7f ? (char)ch : '?';
    }
    if (cut && o + 4 < outlen) memcpy(out + o, "...", 3), o += 3;
    out[o] = 0;
}

static const char *bad_value(Ctx *c, const char *s, const char *e, const char *want)
{
    char q[64];
    snippet(q, sizeof q, s, e);
    jerr(c, s, "expected %s, got %s", want, q);
    return NULL;
}

static inline const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

static inline bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }

/* ---- strings -------------------------------------------------------------------- */

/* 1 for bytes that need no attention inside a string: 0x20..0x7f but '"' and '\\'. */
static const unsigned char plain_byte[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                                        /* 0x00-0x1f control */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,        /* 0x20-0x2f, '"' */
    R16(1), R16(1),                                        /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,        /* 0x50-0x5f, '\\' */
    R16(1), R16(1),                                        /* 0x60-0x7f */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), /* 0x80-0xff: UTF-8, checked */
#undef R16
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Any byte of w that is '"', '\\', < 0x20 or ≥ 0x80? */
static inline bool special8(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) | w) & HIGHS;
}

/* First byte at or after q that is not plain. */
static inline const char *scan_plain(const char *q, const char *end)
{
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        if (special8(w)) break;
        q += 8;
    }
    while (q < end && plain_byte[(unsigned char)*q]) q++;
    return q;
}

/* Length of the valid UTF-8 sequence starting at q (lead byte ≥ 0x80), or 0. */
static inline int utf8_seq(const unsigned char *q, const unsigned char *end)
{
    unsigned char b = q[0];
    int n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        if (b == 0xe0) lo = 0xa0;        /* no overlongs */
        else if (b == 0xed) hi = 0x9f;   /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        if (b == 0xf0) lo = 0x90;
        else if (b == 0xf4) hi = 0x8f;   /* ≤ U+10FFFF */
    } else return 0;
    if (end - q < n) return 0;
    if (q[1] < lo || q[1] > hi) return 0;
    for (int i = 2; i < n; i++)
        if (q[i] < 0x80 || q[i] > 0xbf) return 0;
    return n;
}

static inline int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p (validated by the first pass). */
static inline unsigned hex4(const char *p)
{
    return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

static inline char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* Unescapes the validated string body [s, e) into the arena. */
static void unescape(Ctx *c, const char *s, const char *e, const char **out, size_t *outn)
{
    char *buf = arena_alloc(c->arena, (size_t)(e - s) + 1), *o = buf;
    while (s < e) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        char esc = s[1];
        s += 2;
        switch (esc) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = hex4(s);
            s += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (e - s >= 6 && s[0] == '\\' && s[1] == 'u' && (lo = hex4(s + 2)) >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                } else {
                    cp = 0xfffd;   /* unpaired high surrogate */
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                cp = 0xfffd;       /* unpaired low surrogate */
            }
            o = put_utf8(o, cp);
            break;
        }
        default: *o++ = esc; break;   /* " \ / */
        }
    }
    *out = buf;
    *outn = (size_t)(o - buf);
}

/* Scans the string whose opening quote is at p.  Returns the byte after the
 * closing quote, or NULL (error set).  When s is not NULL, *s and *n receive
 * the contents: into the input when there is no escape, else unescaped
 * into the arena. */
static const char *scan_string_slow(Ctx *c, const char *p, const char *q, const char **s, size_t *n);

static inline const char *scan_string(Ctx *c, const char *p, const char **s, size_t *n)
{
    const char *body = p + 1, *q = scan_plain(body, c->end);
    if (q < c->end && *q == '"') {   /* the common case: nothing to look at */
        if (s) *s = body, *n = (size_t)(q - body);
        return q + 1;
    }
    return scan_string_slow(c, p, q, s, n);
}

/* Escapes, UTF-8, control characters, or the end of input: q is the first
 * byte scan_plain stopped at. */
static const char *scan_string_slow(Ctx *c, const char *p, const char *q, const char **s, size_t *n)
{
    const char *body = p + 1;
    bool esc = false;
    const unsigned char *end = (const unsigned char *)c->end;
    for (;;) {
        q = scan_plain(q, c->end);
        if (q >= c->end) {
            jerr(c, p, "unterminated string");
            return NULL;
        }
        unsigned char ch = (unsigned char)*q;
        if (ch == '"') break;
        if (ch == '\\') {
            esc = true;
            if (q + 1 >= c->end) {
                jerr(c, p, "unterminated string");
                return NULL;
            }
            switch (q[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                q += 2;
                break;
            case 'u':
                if (c->end - q < 6 || hexval(q[2]) < 0 || hexval(q[3]) < 0 || hexval(q[4]) < 0 || hexval(q[5]) < 0) {
                    jerr(c, q, "invalid \\u escape in string");
                    return NULL;
                }
                q += 6;
                break;
            default:
                jerr(c, q, "invalid escape '\\%c' in string", q[1] >= 0x20 && q[1] < 0x7f ? q[1] : '?');
                return NULL;
            }
        } else if (ch < 0x20) {
            jerr(c, q, "unescaped control character 0x%02x in string", ch);
            return NULL;
        } else {
            int k = utf8_seq((const unsigned char *)q, end);
            if (!k) {
                jerr(c, q, "invalid UTF-8 in string");
                return NULL;
            }
            q += k;
        }
    }
    if (s) {
        if (esc) unescape(c, body, q, s, n);
        else *s = body, *n = (size_t)(q - body);
    }
    return q + 1;
}

/* ---- numbers -------------------------------------------------------------------- */

typedef struct Num {
    const char *start;    /* first byte of the number text */
    const char *end;      /* one past its last byte */
    bool        neg;      /* leading '-' */
    bool        is_int;   /* no fraction, no exponent */
    bool        trunc;    /* more than 19 significant digits: mant is not exact */
    uint64_t    mant;     /* first ≤ 19 significant digits */
    int64_t     exp10;    /* value = mant × 10^exp10 (when !trunc) */
} Num;

/* Scans a number at p.  Strict: JSON's grammar.  Lenient (numbers inside
 * strings, like Java's parsers): a leading '+' and leading zeros allowed.
 * Returns the end, or NULL when there is no valid number at p (no message). */
static const char *scan_number(const char *p, const char *end, Num *num, bool lenient)
{
    const char *q = p;
    num->start = p;
    num->neg = false;
    num->is_int = true;
    num->trunc = false;
    uint64_t m = 0;
    int nd = 0;
    int64_t e10 = 0;
    if (q < end && (*q == '-' || (lenient && *q == '+'))) num->neg = *q++ == '-';
    if (q >= end || !is_digit(*q)) return NULL;
    if (*q == '0' && !lenient) {
        q++;
        if (q < end && is_digit(*q)) return NULL;   /* leading zero */
    } else {
        for (; q < end && is_digit(*q); q++) {
            unsigned dg = (unsigned)(*q - '0');
            if (nd < 19) {
                if (m || dg) m = m * 10 + dg, nd++;
            } else {
                e10++;
                if (dg) num->trunc = true;
            }
        }
    }
    if (q < end && *q == '.') {
        q++;
        num->is_int = false;
        if (q >= end || !is_digit(*q)) return NULL;
        for (; q < end && is_digit(*q); q++) {
            unsigned dg = (unsigned)(*q - '0');
            if (nd < 19) {
                if (m || dg) m = m * 10 + dg, nd++;
                e10--;
            } else if (dg) {
                num->trunc = true;
            }
        }
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        num->is_int = false;
        bool eneg = false;
        if (q < end && (*q == '+' || *q == '-')) eneg = *q++ == '-';
        if (q >= end || !is_digit(*q)) return NULL;
        int64_t x = 0;
        for (; q < end && is_digit(*q); q++)
            if (x < 100000000) x = x * 10 + (*q - '0');   /* saturates far beyond any double */
        e10 += eneg ? -x : x;
    }
    num->mant = m;
    num->exp10 = e10;
    num->end = q;
    return q;
}

static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* strtod_l (or strtof_l) on a copy of the text, which need not be NUL-terminated. */
static double slow_strtod(const char *s, const char *e, bool single)
{
    char stack[128], *buf = stack;
    size_t n = (size_t)(e - s);
    if (n >= sizeof stack) buf = malloc(n + 1);
    if (!buf) abort();
    memcpy(buf, s, n);
    buf[n] = 0;
    double d = single ? (double)strtof_l(buf, NULL, c_locale()) : strtod_l(buf, NULL, c_locale());
    if (buf != stack) free(buf);
    return d;
}

static double num_to_double(const Num *n, bool single)
{
    if (!single && !n->trunc && n->mant <= (1ULL << 53) && n->exp10 >= -22 && n->exp10 <= 22) {
        /* Both operands exact, one correctly rounded operation: the correctly
         * rounded result, identical to strtod's. */
        double d = (double)n->mant;
        d = n->exp10 < 0 ? d / pow10_exact[-n->exp10] : d * pow10_exact[n->exp10];
        return n->neg ? -d : d;
    }
    return slow_strtod(n->start, n->end, single);
}

/* Exact decimal text → unscaled int64 at `scale`, rounded HALF_UP; with
 * exact = true, any non-zero digit below the scale is an error instead.
 * The text has been validated by scan_number.  limit: largest magnitude
 * allowed.  Returns 0, 1 (out of range) or 2 (not exact). */
static int decimal_from_text(const char *s, const char *e, int scale, uint64_t limit, bool exact, int64_t *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    /* Digits (integer part then fraction) and the exponent. */
    const char *dig = s, *dot = NULL, *dend;
    while (s < e && (is_digit(*s) || *s == '.')) {
        if (*s == '.') dot = s;
        s++;
    }
    dend = s;
    int64_t x = 0;
    if (s < e) {   /* exponent */
        s++;
        bool eneg = false;
        if (*s == '+' || *s == '-') eneg = *s++ == '-';
        for (; s < e; s++)
            if (x < 100000000) x = x * 10 + (*s - '0');
        if (eneg) x = -x;
    }
    int64_t ndig = (dend - dig) - (dot ? 1 : 0);
    int64_t nfrac = dot ? dend - dot - 1 : 0;
    /* Keep the first `keep` digits: value × 10^scale = digits × 10^(x - nfrac + scale). */
    int64_t sh = x - nfrac + scale;
    int64_t keep = sh >= 0 ? ndig : ndig + sh;
    uint64_t u = 0;
    int64_t i = 0;
    int round = 0;
    bool dropped_nonzero = false;
    for (const char *q = dig; q < dend; q++) {
        if (*q == '.') continue;
        unsigned dg = (unsigned)(*q - '0');
        if (i < keep) {
            if (u > (limit - dg) / 10) return 1;
            u = u * 10 + dg;
        } else {
            if (i == keep) round = (int)dg;
            if (dg) dropped_nonzero = true;
        }
        i++;
    }
    if (sh > 0 && u) {
        for (int64_t k = 0; k < sh; k++) {
            if (u > limit / 10) return 1;
            u *= 10;
        }
    }
    if (exact && dropped_nonzero) return 2;
    if (round >= 5) {
        if (u >= limit) return 1;
        u++;
    }
    *out = neg ? -(int64_t)u : (int64_t)u;
    return 0;
}

/* ---- skipping ------------------------------------------------------------------- */

static const char *scan_literal(Ctx *c, const char *p, const char *lit, size_t n)
{
    if ((size_t)(c->end - p) < n || memcmp(p, lit, n) != 0) {
        const char *e = p;
        while (e < c->end && e - p < 12 && ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z'))) e++;
        char q[64];
        snippet(q, sizeof q, p, e > p ? e : p + (p < c->end));
        jerr(c, p, "invalid literal '%s'", q);
        return NULL;
    }
    return p + n;
}

/* Skips one JSON value at p (after whitespace), validating it.  Iterative:
 * nesting is tracked in a bit stack (1 = object) up to JSON_MAX_DEPTH. */
static const char *skip_value(Ctx *c, const char *p)
{
    uint64_t stack[JSON_MAX_DEPTH / 64];
    int depth = 0;
    const char *end = c->end;
    Num num;
value:
    p = ws(p, end);
    if (p >= end) return expected(c, p, "a value");
    switch (*p) {
    case '{':
    case '[': {
        bool obj = *p == '{';
        if (depth == JSON_MAX_DEPTH) {
            jerr(c, p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
            return NULL;
        }
        if (obj) stack[depth / 64] |= 1ULL << (depth % 64);
        else stack[depth / 64] &= ~(1ULL << (depth % 64));
        depth++;
        p = ws(p + 1, end);
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            depth--;
            goto after;
        }
        if (obj) goto key;
        goto value;
    }
    case '"':
        if (!(p = scan_string(c, p, NULL, NULL))) return NULL;
        goto after;
    case 't': if (!(p = scan_literal(c, p, "true", 4))) return NULL; goto after;
    case 'f': if (!(p = scan_literal(c, p, "false", 5))) return NULL; goto after;
    case 'n': if (!(p = scan_literal(c, p, "null", 4))) return NULL; goto after;
    default:
        if (*p == '-' || is_digit(*p)) {
            const char *q = scan_number(p, end, &num, false);
            if (!q) return bad_value(c, p, p + 1, "a valid number");
            p = q;
            goto after;
        }
        return expected(c, p, "a value");
    }
key:
    if (p >= end || *p != '"') return expected(c, p, "a field name");
    if (!(p = scan_string(c, p, NULL, NULL))) return NULL;
    p = ws(p, end);
    if (p >= end || *p != ':') return expected(c, p, "':'");
    p++;
    goto value;
after:
    if (depth == 0) return p;
    p = ws(p, end);
    if (stack[(depth - 1) / 64] >> ((depth - 1) % 64) & 1) {
        if (p < end && *p == ',') {
            p = ws(p + 1, end);
            goto key;
        }
        if (p < end && *p == '}') {
            p++;
            depth--;
            goto after;
        }
        return expected(c, p, "',' or '}'");
    }
    if (p < end && *p == ',') {
        p++;
        goto value;
    }
    if (p < end && *p == ']') {
        p++;
        depth--;
        goto after;
    }
    return expected(c, p, "',' or ']'");
}



static inline bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int digits_at(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* 'yyyy-MM-dd' at s (at least 10 bytes) → days. */
static bool parse_date(const char *s, size_t n, int64_t *days)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (n < 10 || digits_at(s, 4, &y) || s[4] != '-' || digits_at(s + 5, 2, &m) || s[7] != '-' || digits_at(s + 8, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y))) return false;
    *days = civil_to_days(y, m, d);
    return true;
}

/* 'yyyy-MM-dd[ T]HH:mm[:ss[.f{1,9}]][Z]' → epoch milliseconds.  sep: the
 * separator required (' ' or 'T'), or 0 for either; z: 'Z' required (1),
 * refused (-1) or optional (0); hm_ok: seconds may be left out (Java's
 * ISO_LOCAL_TIME) — else they are required (Flink's SQL form). */
static bool parse_timestamp(const char *s, size_t n, char sep, int z, bool hm_ok, int64_t *ms)
{
    int64_t days;
    int h, mi, sec = 0, frac = 0;
    if (n < 16 || !parse_date(s, n, &days) || (sep ? s[10] != sep : s[10] != ' ' && s[10] != 'T')) return false;
    if (digits_at(s + 11, 2, &h) || s[13] != ':' || digits_at(s + 14, 2, &mi)) return false;
    size_t i = 16;
    if (i < n && s[i] == ':') {
        if (n < 19 || digits_at(s + 17, 2, &sec)) return false;
        i = 19;
        if (i < n && s[i] == '.') {
            size_t k = 0;
            for (i++; i < n && is_digit(s[i]); i++, k++)
                if (k < 3) frac = frac * 10 + (s[i] - '0');
            if (k == 0 || k > 9) return false;
            for (; k < 3; k++) frac *= 10;
        }
    } else if (!hm_ok) {
        return false;
    }
    if (h > 23 || mi > 59 || sec > 59) return false;
    if (i < n && s[i] == 'Z' && z >= 0) i++;
    else if (z > 0) return false;
    if (i != n) return false;
    *ms = days * 86400000 + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    return true;
}

/* A TIMESTAMP (ltz false) or TIMESTAMP_LTZ string per the decoder's
 * 'json.timestamp-format.standard': either form when not given, else
 * exactly Flink's (SQL: ' ', seconds; ISO-8601: 'T'; LTZ with 'Z', a
 * TIMESTAMP without). */
static bool ts_from_text(const JsonDecoder *d, const char *s, size_t n, bool ltz, int64_t *ms)
{
    int f = d ? d->o.ts_format : JSON_TS_EITHER;
    if (f == JSON_TS_SQL) return parse_timestamp(s, n, ' ', ltz ? 1 : -1, false, ms);
    if (f == JSON_TS_ISO) return parse_timestamp(s, n, 'T', ltz ? 1 : -1, true, ms);
    return n >= 19 && parse_timestamp(s, n, 0, 0, false, ms);
}

/* ---- base64 ---------------------------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

static bool b64_decode(Arena *a, const char *s, size_t n, const char **out, size_t *outn)
{
    while (n && s[n - 1] == '=') n--;
    if (n % 4 == 1) return false;
    char *buf = arena_alloc(a, n / 4 * 3 + 3), *o = buf;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = buf;
    *outn = (size_t)(o - buf);
    return true;
}

/* ---- values into columns -------------------------------------------------------- */

static bool trim(const char **s, size_t *n)
{
    while (*n && (unsigned char)**s <= ' ') (*s)++, (*n)--;
    while (*n && (unsigned char)(*s)[*n - 1] <= ' ') (*n)--;
    return *n > 0;
}

static void int_range(Type t, int64_t *lo, int64_t *hi)
{
    switch ((TypeKind)t.kind) {
    case TY_TINYINT: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case TY_SMALLINT: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case TY_INT: *lo = INT32_MIN, *hi = INT32_MAX; break;
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
    }
}

/* A number (its text validated into num) into an integer-like column. */
static const char *num_to_int(Ctx *c, const Num *num, Value *out)
{
    int64_t v, lo, hi;
    int_range(c->field->type, &lo, &hi);
    if (num->is_int && !num->trunc && num->exp10 == 0) {   /* ≤ 19 digits, exact */
        if (num->neg) {
            if (num->mant > (uint64_t)INT64_MAX + 1) goto range;
            v = num->mant == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)num->mant;
        } else {
            if (num->mant > (uint64_t)INT64_MAX) goto range;
            v = (int64_t)num->mant;
        }
    } else {
        int rc = decimal_from_text(num->start, num->end, 0, (uint64_t)INT64_MAX, true, &v);
        if (rc == 2) return bad_value(c, num->start, num->end, "an integer");
        if (rc) goto range;
    }
    if (v < lo || v > hi) goto range;
    out->i = v;
    return num->end;
range:;
    char q[64];
    snippet(q, sizeof q, num->start, num->end);
    const char *tn = type_kind_name((TypeKind)c->field->type.kind);
    jerr(c, num->start, "%s out of range: %s", tn, q);
    return NULL;
}

static const char *num_to_decimal(Ctx *c, const Num *num, Value *out)
{
    Type t = c->field->type;
    uint64_t limit = DEC_MAX;
    if (t.precision < 18) {
        limit = 1;
        for (int i = 0; i < t.precision; i++) limit *= 10;
        limit--;
    }
    int rc = decimal_from_text(num->start, num->end, t.scale, limit, false, &out->i);
    if (rc) {
        char q[64];
        snippet(q, sizeof q, num->start, num->end);
        if (t.precision < 18) jerr(c, num->start, "%s does not fit DECIMAL(%d, %d)", q, t.precision, t.scale);
        else jerr(c, num->start, "%s does not fit DECIMAL(%d, %d) in eddy's 18 digits", q, t.precision, t.scale);
        return NULL;
    }
    return num->end;
}

/* A number token at p into the field's column. */
static const char *number_value(Ctx *c, const char *p, Value *out)
{
    Num num;
    const char *q = scan_number(p, c->end, &num, false);
    if (!q) return bad_value(c, p, p + 1, "a valid number");
    switch ((TypeKind)c->field->type.kind) {
    case TY_DOUBLE: out->d = num_to_double(&num, false); return q;
    case TY_FLOAT: out->d = num_to_double(&num, true); return q;
    case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_INTERVAL:
        return num_to_int(c, &num, out);
    case TY_TIMESTAMP_LTZ: {
        if (c->dec && c->dec->o.ts_format != JSON_TS_EITHER)   /* Flink reads only text then */
            return bad_value(c, p, q, "a timestamp string (json.timestamp-format.standard is given)");
        /* epoch ms; an instant outside years 0000-9999 (Flink's range)
         * could not be written back as text: malformed input */
        const char *r = num_to_int(c, &num, out);
        if (r && (out->i < -62167219200000LL || out->i > 253402300799999LL))
            return bad_value(c, p, q, "epoch milliseconds within years 0000-9999");
        return r;
    }
    case TY_DECIMAL: return num_to_decimal(c, &num, out);
    case TY_STRING: out->s = p, out->n = (int32_t)(q - p); return q;
    case TY_NULL: out->null = 1; return q;
    default: {
        char want[48];
        snprintf(want, sizeof want, "a %s value", type_kind_name((TypeKind)c->field->type.kind));
        return bad_value(c, p, q, want);
    }
    }
}

/* A string token's contents (s, n; raw token at p..q) into the field's column. */
static const char *string_value(Ctx *c, const char *p, const char *q, const char *s, size_t n, Value *out)
{
    Type t = c->field->type;
    switch ((TypeKind)t.kind) {
    case TY_STRING:
        out->s = s;
        out->n = (int32_t)n;
        return q;
    case TY_BYTES: {
        const char *b;
        size_t bn;
        if (!b64_decode(c->arena, s, n, &b, &bn)) return bad_value(c, p, q, "a base64 string");
        out->s = b;
        out->n = (int32_t)bn;
        return q;
    }
    case TY_DATE:
        if (n != 10 || !parse_date(s, n, &out->i)) return bad_value(c, p, q, "a date 'yyyy-MM-dd'");
        return q;
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ:
        if (!ts_from_text(c->dec, s, n, t.kind == TY_TIMESTAMP_LTZ, &out->i)) {
            int f = c->dec ? c->dec->o.ts_format : JSON_TS_EITHER;
            bool ltz = t.kind == TY_TIMESTAMP_LTZ;
            return bad_value(c, p, q, f == JSON_TS_SQL ? (ltz ? "a timestamp 'yyyy-MM-dd HH:mm:ss[.SSS]Z' (json.timestamp-format.standard 'SQL')"
                                                              : "a timestamp 'yyyy-MM-dd HH:mm:ss[.SSS]' (json.timestamp-format.standard 'SQL')")
                                    : f == JSON_TS_ISO ? (ltz ? "a timestamp 'yyyy-MM-ddTHH:mm[:ss[.SSS]]Z' (json.timestamp-format.standard 'ISO-8601')"
                                                              : "a timestamp 'yyyy-MM-ddTHH:mm[:ss[.SSS]]' (json.timestamp-format.standard 'ISO-8601')")
                                    : "a timestamp 'yyyy-MM-dd HH:mm:ss[.SSS]'");
        }
        return q;
    case TY_BOOLEAN:
        trim(&s, &n);
        if (n == 4 && strncasecmp(s, "true", 4) == 0) out->i = 1;
        else if (n == 5 && strncasecmp(s, "false", 5) == 0) out->i = 0;
        else return bad_value(c, p, q, "a boolean");
        return q;
    case TY_DOUBLE:
    case TY_FLOAT:
        if (!trim(&s, &n)) return bad_value(c, p, q, "a number");
        if (n == 3 && memcmp(s, "NaN", 3) == 0) out->d = NAN;
        else if ((n == 8 && memcmp(s, "Infinity", 8) == 0) || (n == 9 && memcmp(s, "+Infinity", 9) == 0)) out->d = INFINITY;
        else if (n == 9 && memcmp(s, "-Infinity", 9) == 0) out->d = -INFINITY;
        else {
            Num num;
            if (scan_number(s, s + n, &num, true) != s + n) return bad_value(c, p, q, "a number");
            out->d = num_to_double(&num, t.kind == TY_FLOAT);
        }
        return q;
    case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_INTERVAL:
    case TY_DECIMAL: {
        Num num;
        if (!trim(&s, &n) || scan_number(s, s + n, &num, true) != s + n)
            return bad_value(c, p, q, t.kind == TY_DECIMAL ? "a decimal number" : "an integer");
        if (!(t.kind == TY_DECIMAL ? num_to_decimal(c, &num, out) : num_to_int(c, &num, out))) return NULL;
        return q;
    }
    case TY_NULL:
        out->null = 1;
        return q;
    default:
        break;
    }
    return bad_value(c, p, q, "a value of the column's type");
}

/* JSON text [s, e) without whitespace outside strings (into the arena when
 * there is any). */
static void compact_json(Ctx *c, const char *s, const char *e, Value *out)
{
    const char *q = s;
    bool in_str = false;
    for (; q < e; q++) {
        if (in_str) {
            if (*q == '\\') q++;
            else if (*q == '"') in_str = false;
        } else if (*q == '"') {
            in_str = true;
        } else if (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') {
            break;
        }
    }
    if (q >= e) {
        out->s = s;
        out->n = (int32_t)(e - s);
        return;
    }
    char *buf = arena_alloc(c->arena, (size_t)(e - s)), *o = buf;
    in_str = false;
    for (q = s; q < e; q++) {
        if (in_str) {
            if (*q == '\\') *o++ = *q++;
            else if (*q == '"') in_str = false;
            *o++ = *q;
        } else if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t') {
            if (*q == '"') in_str = true;
            *o++ = *q;
        }
    }
    out->s = buf;
    out->n = (int32_t)(o - buf);
}

static const char *field_value(Ctx *c, const char *p, Value *out);

/* field_value, except that with 'json.ignore-parse-errors' a value that
 * cannot be converted is NULL (counted, the first reason kept), as Flink's
 * converters give null for it.  A value that is not even JSON still fails:
 * the record cannot be read (and is skipped as a whole). */
static const char *field_value_or_null(Ctx *c, const char *p, Value *out)
{
    const char *q = field_value(c, p, out);
    if (q || !c->dec || !c->dec->o.ignore_parse_errors) return q;
    const JField *f = c->field;
    const JPath *path = c->path;
    char why[sizeof c->dec->why];
    snprintf(why, sizeof why, "%s", c->err && c->errlen ? c->err : "");
    c->field = NULL;
    q = skip_value(c, p);
    c->field = f;
    c->path = path;
    if (!q) return NULL;
    if (!c->dec->nulled++) memcpy(c->dec->why, why, sizeof why);
    *out = (Value){.null = 1};
    return q;
}

/* Room for one more element in a growing array of values (a stack array
 * first, then the arena). */
static Value *vals_room(Ctx *c, Value **v, int n, int *cap)
{
    if (n + 1 < *cap) return *v;   /* room for two: a MAP's key and value */
    int nc = *cap * 2;
    Value *nv = arena_alloc(c->arena, sizeof(Value) * (size_t)nc);
    memcpy(nv, *v, sizeof(Value) * (size_t)n);
    *v = nv;
    *cap = nc;
    return nv;
}

/* The JSON object or array at p (no leading whitespace) into the nested
 * column of c->field: a ROW from an object (fields by name, a missing one
 * NULL, unknown ones skipped — Flink's rules for the record itself), an
 * ARRAY from an array, a MAP from an object (keys read as the key type
 * reads a string).  Recursion follows the column's type, so its depth is
 * the type's, never the input's. */
static const char *nested_value(Ctx *c, const char *p, Value *out)
{
    const JField *f = c->field;
    const JPath *up = c->path;
    Type t = f->type;
    JPath root = {NULL, f->name, f->len, 0};
    JPath here = {up ? up : &root, NULL, 0, 0};
    JField sub = *f;
    Value stack[16], *v = stack;
    int n = 0, cap = 16;
    uint64_t seen_mask = 0;   /* a ROW's fields present (the first 64), for fail-on-missing-field */
    const char *end = c->end;
    bool obj = t.kind != TY_ARRAY;
    if (*p != (obj ? '{' : '[')) {
        const char *q = skip_value(c, p);
        return q ? bad_value(c, p, q, t.kind == TY_ROW ? "an object (a ROW)" : t.kind == TY_MAP ? "an object (a MAP)" : "an array") : NULL;
    }
    if (t.kind == TY_ROW) {
        n = t.nest->n;
        if (n > cap) v = arena_alloc(c->arena, sizeof(Value) * (size_t)n);
        for (int i = 0; i < n; i++) memset(&v[i], 0, sizeof v[i]), v[i].null = 1;
    }
    p = ws(p + 1, end);
    int next = 0;
    if (p >= end) return expected(c, p, obj ? "a field name or '}'" : "a value or ']'");
    if (*p == (obj ? '}' : ']')) {
        p++;
        goto done;
    }
    for (;;) {
        if (obj) {
            const char *k;
            size_t kn;
            if (p >= end || *p != '"') return expected(c, p, "a field name");
            const char *kp = p;
            if (!(p = scan_string(c, p, &k, &kn))) return NULL;
            p = ws(p, end);
            if (p >= end || *p != ':') return expected(c, p, "':'");
            p = ws(p + 1, end);
            if (p >= end) return expected(c, p, "a value");
            here.name = k;
            here.len = kn;
            c->path = &here;
            if (t.kind == TY_ROW) {
                int fi = -1;
                if (next < n && strlen(t.nest->names[next]) == kn && memcmp(t.nest->names[next], k, kn) == 0) fi = next;
                for (int i = 0; i < n && fi < 0; i++)
                    if (strlen(t.nest->names[i]) == kn && memcmp(t.nest->names[i], k, kn) == 0) fi = i;
                if (fi < 0) {
                    c->field = NULL;
                    p = skip_value(c, p);
                } else {
                    sub.type = t.nest->types[fi];
                    sub.name = t.nest->names[fi];
                    c->field = &sub;
                    p = field_value_or_null(c, p, &v[fi]);
                    next = fi + 1;
                    if (fi < 64) seen_mask |= 1ULL << fi;
                }
            } else {
                v = vals_room(c, &v, n, &cap);
                sub.type = t.nest->types[0];
                c->field = &sub;
                memset(&v[n], 0, sizeof v[n]);
                if (!string_value(c, kp, p, k, kn, &v[n])) {
                    c->field = f;
                    c->path = up;
                    return NULL;
                }
                sub.type = t.nest->types[1];
                p = field_value_or_null(c, p, &v[n + 1]);
                n += 2;
            }
        } else {
            v = vals_room(c, &v, n, &cap);
            here.name = NULL;
            here.index = n + 1;
            c->path = &here;
            sub.type = t.nest->types[0];
            c->field = &sub;
            p = field_value_or_null(c, p, &v[n++]);
        }
        c->field = f;
        c->path = up;
        if (!p) return NULL;
        p = ws(p, end);
        if (p < end && *p == ',') {
            p = ws(p + 1, end);
            if (p >= end) return expected(c, p, "a value");
            continue;
        }
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            break;
        }
        return expected(c, p, obj ? "',' or '}'" : "',' or ']'");
    }
done:
    if (t.kind == TY_ROW && c->dec && c->dec->o.fail_on_missing)
        for (int i = 0; i < n && i < 64; i++)
            if (!(seen_mask >> i & 1)) {
                JPath miss = {up ? up : &root, t.nest->names[i], strlen(t.nest->names[i]), 0};
                c->path = &miss;
                c->field = f;
                jmsg(c, "missing ('json.fail-on-missing-field' = 'true')");
                c->path = up;
                return NULL;
            }
    nested_pack(c->arena, t, v, n, out);
    return p;
}

/* Parses the value at p (no leading whitespace) into the field's column. */
static const char *field_value(Ctx *c, const char *p, Value *out)
{
    TypeKind k = (TypeKind)c->field->type.kind;
    out->null = 0;
    out->n = 0;
    out->i = 0;
    switch (*p) {
    case '"': {
        const char *s;
        size_t n;
        const char *q = scan_string(c, p, &s, &n);
        if (!q) return NULL;
        if (n > INT32_MAX) {
            jerr(c, p, "string longer than 2 GiB");
            return NULL;
        }
        return string_value(c, p, q, s, n, out);
    }
    case 'n':
        out->null = 1;
        return scan_literal(c, p, "null", 4);
    case 't':
    case 'f': {
        bool v = *p == 't';
        const char *q = scan_literal(c, p, v ? "true" : "false", v ? 4 : 5);
        if (!q) return NULL;
        if (k == TY_BOOLEAN) out->i = v;
        else if (k == TY_STRING) out->s = v ? "true" : "false", out->n = v ? 4 : 5;
        else if (k == TY_NULL) out->null = 1;
        else return bad_value(c, p, q, "a value of the column's type");
        return q;
    }
    case '{':
    case '[': {
        if (k == TY_ROW || k == TY_ARRAY || k == TY_MAP) return nested_value(c, p, out);
        const JField *f = c->field;
        c->field = NULL;   /* structural errors inside are about the JSON, not the column */
        const char *q = skip_value(c, p);
        c->field = f;
        if (!q) return NULL;
        if (k == TY_STRING) compact_json(c, p, q, out);
        else if (k == TY_NULL) out->null = 1;
        else return bad_value(c, p, q, *p == '{' ? "a scalar, not an object" : "a scalar, not an array");
        return q;
    }
    default:
        if (*p == '-' || is_digit(*p)) return number_value(c, p, out);
        c->field = NULL;
        return expected(c, p, "a value");
    }
}

int json_decode(JsonDecoder *d, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen)
{
    Ctx c = {NULL, buf, buf + len, arena, err, errlen, NULL, d};
    d->nulled = 0;
    d->why[0] = 0;
    if (d->seen) memset(d->seen, 0, (size_t)d->nf);
    const char *p = buf, *end = buf + len;
    for (int i = 0; i < d->nf; i++)
        if (d->f[i].slot >= 0) {
            Value *v = &row[d->f[i].slot];
            v->i = 0;
            v->n = 0;
            v->null = 1;
        }
    p = ws(p, end);
    if (p >= end) {
        jerr(&c, p, "empty record, expected a JSON object");
        return -1;
    }
    if (*p != '{') {
        expected(&c, p, "a JSON object");
        return -1;
    }
    p = ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto done;
    }
    int prev = d->nf;
    for (;;) {
        if (p >= end || *p != '"') {
            expected(&c, p, "a field name");
            return -1;
        }
        const char *k;
        size_t kn;
        p = scan_string(&c, p, &k, &kn);
        if (!p) return -1;
        p = ws(p, end);
        if (p >= end || *p != ':') {
            expected(&c, p, "':'");
            return -1;
        }
        p = ws(p + 1, end);
        if (p >= end) {
            expected(&c, p, "a value");
            return -1;
        }
        int fi = find_field(d, d->pred[prev], k, kn);
        if (fi < 0) {
            if (!(p = skip_value(&c, p))) return -1;
        } else {
            d->pred[prev] = fi;
            prev = fi;
            const char *q = p;
            for (int j = fi; j >= 0; j = d->f[j].same) {
                Value scratch, *out = d->f[j].slot >= 0 ? &row[d->f[j].slot] : &scratch;
                c.field = &d->f[j];
                q = field_value_or_null(&c, p, out);
                c.field = NULL;
                if (!q) return -1;
                if (d->seen) d->seen[j] = 1;
            }
            p = q;
        }
        p = ws(p, end);
        if (p < end && *p == ',') {
            p = ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        expected(&c, p, "',' or '}'");
        return -1;
    }
done:
    p = ws(p, end);
    if (p < end) {
        jerr(&c, p, "unexpected data after the JSON object");
        return -1;
    }
    for (int i = 0; d->seen && i < d->nf; i++)
        if (!d->seen[i]) {
            snprintf(err, errlen, "field '%s' is missing ('json.fail-on-missing-field' = 'true')", d->f[i].name);
            return -1;
        }
    return 0;
}

/* ---- encoding ------------------------------------------------------------------- */

/* Output through a small stack buffer: one sb_putn per kilobyte, not per byte. */
typedef struct W {
    const JsonOptions *o; /* the table's 'json.*' options, or NULL (eddy's defaults) */
    StrBuf *out;          /* destination */
    size_t  n;            /* bytes pending in buf */
    char    buf[1024];    /* pending output */
} W;

static inline void w_flush(W *w)
{
    if (w->n) sb_putn(w->out, w->buf, w->n);
    w->n = 0;
}

/* Room for k ≤ sizeof buf bytes at the end of the buffer. */
static inline char *w_room(W *w, size_t k)
{
    if (w->n + k > sizeof w->buf) w_flush(w);
    return w->buf + w->n;
}

static inline void w_putn(W *w, const char *s, size_t n)
{
    if (n > sizeof w->buf / 2) {
        w_flush(w);
        sb_putn(w->out, s, n);
        return;
    }
    memcpy(w_room(w, n), s, n);
    w->n += n;
}

static inline void w_putc(W *w, char ch)
{
    *w_room(w, 1) = ch;
    w->n++;
}

static void w_str(W *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    w_putc(w, '"');
    const char *e = s + n;
    while (s < e) {
        const char *q = s;
        while (q < e && (unsigned char)*q >= 0x20 && *q != '"' && *q != '\\') q++;
        w_putn(w, s, (size_t)(q - s));
        if (q >= e) break;
        unsigned char ch = (unsigned char)*q;
        char *o = w_room(w, 6);
        o[0] = '\\';
        switch (ch) {
        case '"': o[1] = '"'; w->n += 2; break;
        case '\\': o[1] = '\\'; w->n += 2; break;
        case '\b': o[1] = 'b'; w->n += 2; break;
        case '\f': o[1] = 'f'; w->n += 2; break;
        case '\n': o[1] = 'n'; w->n += 2; break;
        case '\r': o[1] = 'r'; w->n += 2; break;
        case '\t': o[1] = 't'; w->n += 2; break;
        default:
            o[1] = 'u', o[2] = '0', o[3] = '0', o[4] = hex[ch >> 4], o[5] = hex[ch & 15];
            w->n += 6;
        }
        s = q + 1;
    }
    w_putc(w, '"');
}

/* DECIMAL as Flink writes it with 'json.encode.decimal-as-plain-number'
 * given: Jackson's number node of the value without trailing zeros
 * (BigDecimal.stripTrailingZeros; zero is 0), then BigDecimal.toPlainString
 * ('true': 12.5, 100) or BigDecimal.toString ('false': 12.5, 1E+2, 2.7E-8 —
 * scientific when the exponent is positive or the adjusted exponent is
 * below -6). */
static void w_decimal_flink(W *w, int64_t v, int scale, bool plain)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (!u) {
        w_putn(w, "0", 1);
        return;
    }
    while (u % 10 == 0) u /= 10, scale--;
    char dig[24], *e = dig + sizeof dig, *s = e;
    do *--s = (char)('0' + u % 10), u /= 10;
    while (u);
    int nd = (int)(e - s);
    char out[96];
    int o = 0;
    if (v < 0) out[o++] = '-';
    int adjusted = nd - 1 - scale;
    if (plain || (scale >= 0 && adjusted >= -6)) {
        if (scale <= 0) {   /* digits, then -scale zeros */
            memcpy(out + o, s, (size_t)nd), o += nd;
            for (int i = 0; i < -scale && o < (int)sizeof out - 1; i++) out[o++] = '0';
        } else if (nd > scale) {   /* a point inside the digits */
            memcpy(out + o, s, (size_t)(nd - scale)), o += nd - scale;
            out[o++] = '.';
            memcpy(out + o, s + nd - scale, (size_t)scale), o += scale;
        } else {   /* 0.000ddd */
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < scale - nd; i++) out[o++] = '0';
            memcpy(out + o, s, (size_t)nd), o += nd;
        }
    } else {   /* d[.ddd]E±x */
        out[o++] = s[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, s + 1, (size_t)(nd - 1)), o += nd - 1;
        }
        o += snprintf(out + o, sizeof out - (size_t)o, "E%s%d", adjusted >= 0 ? "+" : "", adjusted);
    }
    w_putn(w, out, (size_t)o);
}

/* Decimal digits of u, right-aligned ending at e; returns the first. */
static inline char *utoa_rev(char *e, uint64_t u)
{
    do {
        *--e = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return e;
}

static void w_int(W *w, int64_t v)
{
    char t[24], *e = t + sizeof t;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *s = utoa_rev(e, u);
    if (v < 0) *--s = '-';
    w_putn(w, s, (size_t)(e - s));
}

static void w_decimal(W *w, int64_t v, int scale)
{
    char t[48], *e = t + sizeof t;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *s = utoa_rev(e, u);
    while (e - s < scale + 1) *--s = '0';
    if (scale > 0) {
        /* shift the integer digits left by one to open the point */
        char *dot = e - scale;
        memmove(s - 1, s, (size_t)(dot - s));
        s--;
        dot[-1] = '.';
    }
    if (v < 0) *--s = '-';
    w_putn(w, s, (size_t)(e - s));
}

static void w_2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* Java's ISO_LOCAL_DATE: 4-digit years, '+' above 9999, '-' before year 0. */
static void w_date(W *w, int64_t days)
{
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char t[32], *e = t + sizeof t;
    uint64_t ay = y < 0 ? (uint64_t)(-y) : (uint64_t)y;
    char *s = utoa_rev(e, ay);
    while (e - s < 4) *--s = '0';
    if (y < 0) *--s = '-';
    else if (y > 9999) *--s = '+';
    w_putn(w, s, (size_t)(e - s));
    char *o = w_room(w, 6);
    o[0] = '-';
    w_2(o + 1, m);
    o[3] = '-';
    w_2(o + 4, d);
    w->n += 6;
}

static void w_timestamp(W *w, int64_t ms, bool ltz)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) rem += 86400000, days--;
    w_putc(w, '"');
    w_date(w, days);
    int frac = (int)(rem % 1000), sec = (int)(rem / 1000);
    char *o = w_room(w, 16);
    size_t n = 0;
    o[n++] = w->o && w->o->ts_format == JSON_TS_ISO ? 'T' : ' ';
    w_2(o + n, sec / 3600), n += 2;
    o[n++] = ':';
    w_2(o + n, sec / 60 % 60), n += 2;
    o[n++] = ':';
    w_2(o + n, sec % 60), n += 2;
    if (frac) {
        o[n++] = '.';
        o[n++] = (char)('0' + frac / 100);
        if (frac % 100) {
            o[n++] = (char)('0' + frac / 10 % 10);
            if (frac % 10) o[n++] = (char)('0' + frac % 10);
        }
    }
    if (ltz) o[n++] = 'Z';
    o[n++] = '"';
    w->n += n;
}

static void w_base64(W *w, const unsigned char *s, size_t n)
{
    w_putc(w, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        char *o = w_room(w, 4);
        o[0] = b64chars[v >> 18];
        o[1] = b64chars[(v >> 12) & 63];
        o[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
        o[3] = i + 2 < n ? b64chars[v & 63] : '=';
        w->n += 4;
    }
    w_putc(w, '"');
}

/* Shortest decimal that reads back as the same float, in Java's
 * Float.toString layout (1.0, 0.001, 1.0E-4, 1.0E7). */
static void w_float(W *w, float f)
{
    char buf[48];
    int p;
    for (p = 1; p <= 9; p++) {
        locale_t old = uselocale(c_locale());
        snprintf(buf, sizeof buf, "%.*e", p - 1, (double)f);
        uselocale(old);
        if (strtof_l(buf, NULL, c_locale()) == f) break;
    }
    /* buf = [-]d[.ddd]e±XX: digits and exponent */
    char dig[16];
    int nd = 0, e10 = 0;
    const char *s = buf;
    bool neg = *s == '-';
    if (neg) s++;
    for (; *s && *s != 'e'; s++)
        if (is_digit(*s)) dig[nd++] = *s;
    if (*s == 'e') e10 = atoi(s + 1);
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    char out[48];
    int o = 0;
    if (neg) out[o++] = '-';
    if (e10 >= -3 && e10 < 7) {
        if (e10 < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = -1; i > e10; i--) out[o++] = '0';
            for (int i = 0; i < nd; i++) out[o++] = dig[i];
        } else {
            for (int i = 0; i <= e10; i++) out[o++] = i < nd ? dig[i] : '0';
            out[o++] = '.';
            if (nd > e10 + 1)
                for (int i = e10 + 1; i < nd; i++) out[o++] = dig[i];
            else
                out[o++] = '0';
        }
    } else {
        out[o++] = dig[0];
        out[o++] = '.';
        if (nd > 1)
            for (int i = 1; i < nd; i++) out[o++] = dig[i];
        else
            out[o++] = '0';
        o += snprintf(out + o, sizeof out - (size_t)o, "E%d", e10);
    }
    w_putn(w, out, (size_t)o);
}

/* One non-NULL value of type t. */
static void w_value(W *w, Type t, const Value *v)
{
    switch ((TypeKind)t.kind) {
    case TY_BOOLEAN:
        if (v->i) w_putn(w, "true", 4);
        else w_putn(w, "false", 5);
        break;
    case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_INTERVAL:
        w_int(w, v->i);
        break;
    case TY_FLOAT:
    case TY_DOUBLE:
        if (isnan(v->d)) w_putn(w, "\"NaN\"", 5);
        else if (isinf(v->d)) {
            if (v->d > 0) w_putn(w, "\"Infinity\"", 10);
            else w_putn(w, "\"-Infinity\"", 11);
        } else if (t.kind == TY_FLOAT) {
            w_float(w, (float)v->d);
        } else {
            w_flush(w);
            double_print(w->out, v->d);
        }
        break;
    case TY_DECIMAL:
        if (w->o && w->o->decimal != JSON_DEC_SCALE) w_decimal_flink(w, v->i, t.scale, w->o->decimal == JSON_DEC_PLAIN);
        else w_decimal(w, v->i, t.scale);
        break;
    case TY_STRING: w_str(w, v->s, v->n > 0 ? (size_t)v->n : 0); break;
    case TY_BYTES: w_base64(w, (const unsigned char *)v->s, v->n > 0 ? (size_t)v->n : 0); break;
    case TY_DATE:
        w_putc(w, '"');
        w_date(w, v->i);
        w_putc(w, '"');
        break;
    case TY_TIMESTAMP: w_timestamp(w, v->i, false); break;
    case TY_TIMESTAMP_LTZ: w_timestamp(w, v->i, true); break;
    case TY_ROW:
    case TY_ARRAY:
    case TY_MAP: {
        /* ROW → object, ARRAY → array, MAP → object whose names are the
         * keys as text (Flink's RowDataToJsonConverters) */
        NestedIter it;
        int n = nested_open(&it, t, v);
        bool arr = t.kind == TY_ARRAY;
        w_putc(w, arr ? '[' : '{');
        for (int i = 0; i < n; i++) {
            Value e;
            if (nested_next(&it, &e)) break;
            Type et = type_elem(t, i);
            if (t.kind == TY_MAP && !(i & 1)) {
                if (i) w_putc(w, ',');
                if (e.null) w_putn(w, "\"null\"", 6);
                else if (et.kind == TY_STRING) w_str(w, e.s, e.n > 0 ? (size_t)e.n : 0);
                else {
                    StrBuf k = {0};
                    value_print(&k, et, &e);
                    w_str(w, k.s ? k.s : "", k.len);
                    sb_free(&k);
                }
                w_putc(w, ':');
                continue;
            }
            if (i && t.kind != TY_MAP) w_putc(w, ',');
            if (t.kind == TY_ROW) {
                w_str(w, t.nest->names[i], strlen(t.nest->names[i]));
                w_putc(w, ':');
            }
            if (e.null) w_putn(w, "null", 4);
            else w_value(w, et, &e);
        }
        w_putc(w, arr ? ']' : '}');
        break;
    }
    case TY_NULL:
    default: w_putn(w, "null", 4); break;
    }
}

void json_encode(StrBuf *out, const JsonField *fields, int nfields, const Value *row)
{
    json_encode_opts(out, fields, nfields, row, NULL);
}

void json_encode_opts(StrBuf *out, const JsonField *fields, int nfields, const Value *row, const JsonOptions *o)
{
    W w;
    w.o = o;
    w.out = out;
    w.n = 0;
    w_putc(&w, '{');
    for (int i = 0; i < nfields; i++) {
        const JsonField *f = &fields[i];
        const Value *v = &row[f->slot];
        if (i) w_putc(&w, ',');
        w_str(&w, f->name, strlen(f->name));
        w_putc(&w, ':');
        if (v->null) w_putn(&w, "null", 4);
        else w_value(&w, f->type, v);
    }
    w_putc(&w, '}');
    w_flush(&w);
}

void json_encode_value(StrBuf *out, Type t, const Value *v)
{
    W w;
    w.o = NULL;
    w.out = out;
    w.n = 0;
    if (v->null) w_putn(&w, "null", 4);
    else w_value(&w, t, v);
    w_flush(&w);
}
