/*
 * rowkey.c — encoding key columns as bytes and back (format in rowkey.h).
 * Used on every input row of a keyed operator, so the encoder writes into
 * a caller's buffer without allocating; rowkey_encode is the convenience
 * form over a StrBuf.
 */
#include "rowkey.h"

#include <stdlib.h>
#include <string.h>

typedef enum KeyEnc { KE_INT, KE_FLOAT, KE_BYTES } KeyEnc;

static inline KeyEnc enc_of(Type t)
{
    switch ((TypeKind)t.kind) {
    case TY_FLOAT:
    case TY_DOUBLE: return KE_FLOAT;
    case TY_STRING:
    case TY_BYTES:
    case TY_ROW:
    case TY_ARRAY:
    case TY_MAP: return KE_BYTES;   /* nested values are their own encoding (nested.h) */
    default: return KE_INT;   /* BOOLEAN, integers, DECIMAL, DATE, TIMESTAMP*, INTERVAL, NULL */
    }
}

/* The bits a double is keyed by: one zero, one NaN. */
static inline uint64_t double_key_bits(double d)
{
    uint64_t u;
    if (d == 0) return 0;                       /* -0.0 and 0.0 */
    if (d != d) return 0x7FF8000000000000ULL;   /* every NaN */
    memcpy(&u, &d, 8);
    return u;
}

/* Value i has type types[i % ntypes] (ntypes == n: one type per column),
 * found by a counter that wraps: `%` cost a division per column, a tenth
 * of the enrichment join's key work (bench/README.md). */
static size_t encode_cycle(char *buf, size_t cap, const Type *types, int ntypes, const Value *row, const int *cols, int n)
{
    unsigned char *out = (unsigned char *)buf;
    size_t nb = ((size_t)n + 7) / 8, len = nb;
    unsigned char tmp[ROWKEY_VARINT_MAX + 8];
    if (cap >= nb) memset(out, 0, nb);
    for (int i = 0, ti = 0; i < n; i++) {
        KeyEnc enc = enc_of(types[ti]);
        ti = ti + 1 == ntypes ? 0 : ti + 1;
        const Value *v = &row[cols ? cols[i] : i];
        if (v->null) {
            if (cap >= nb) out[i / 8] |= (unsigned char)(1u << (i % 8));
            continue;
        }
        /* Written in place while the buffer has room for the longest
         * form (no call to memcpy per column); else measured through tmp. */
        bool room = len + ROWKEY_VARINT_MAX <= cap;
        unsigned char *dst = room ? out + len : tmp;
        size_t k, extra = 0;
        switch (enc) {
        case KE_INT: k = rowkey_put_varint(dst, rowkey_zigzag(v->i)); break;
        case KE_FLOAT: {
            uint64_t u = double_key_bits(v->d);
            for (int b = 0; b < 8; b++) dst[b] = (unsigned char)(u >> (8 * b));
            k = 8;
            break;
        }
        default:
            k = rowkey_put_varint(dst, (uint64_t)(v->n > 0 ? v->n : 0));
            extra = v->n > 0 ? (size_t)v->n : 0;
            break;
        }
        if (!room && len + k <= cap) memcpy(out + len, tmp, k);
        len += k;
        if (extra) {
            if (len + extra <= cap) memcpy(out + len, v->s, extra);
            len += extra;
        }
    }
    return len;
}

size_t rowkey_encode_buf(char *buf, size_t cap, const Type *types, const Value *row, const int *cols, int n)
{
    return encode_cycle(buf, cap, types, n ? n : 1, row, cols, n);
}

size_t rowkey_encode_cycle(char *buf, size_t cap, const Type *types, int ntypes, const Value *row, int n)
{
    return encode_cycle(buf, cap, types, ntypes, row, NULL, n);
}

void rowkey_encode(StrBuf *out, const Type *types, const Value *row, const int *cols, int n)
{
    /* straight into out's spare room (a second pass when it is longer) */
    enum { GUESS = 256 };
    size_t len = rowkey_encode_buf(sb_room(out, GUESS), GUESS, types, row, cols, n);
    if (len > GUESS) rowkey_encode_buf(sb_room(out, len), len, types, row, cols, n);
    out->len += len;
    out->s[out->len] = 0;
}

static int decode_cycle(const char *buf, size_t len, const Type *types, int ntypes, Value *out, int n, Arena *arena)
{
    const unsigned char *p = (const unsigned char *)buf, *end = p + len;
    size_t nb = ((size_t)n + 7) / 8;
    if (len < nb) return -1;
    const unsigned char *bits = p;
    p += nb;
    for (int i = 0, ti = 0; i < n; i++) {
        KeyEnc enc = enc_of(types[ti]);
        ti = ti + 1 == ntypes ? 0 : ti + 1;
        Value *v = &out[i];
        memset(v, 0, sizeof *v);
        if (bits[i / 8] & (1u << (i % 8))) {
            v->null = 1;
            continue;
        }
        uint64_t u;
        switch (enc) {
        case KE_INT:
            if (rowkey_get_varint(&p, end, &u)) return -1;
            v->i = rowkey_unzigzag(u);
            break;
        case KE_FLOAT:
            if (end - p < 8) return -1;
            u = 0;
            for (int b = 0; b < 8; b++) u |= (uint64_t)p[b] << (8 * b);
            memcpy(&v->d, &u, 8);
            p += 8;
            break;
        default:
            if (rowkey_get_varint(&p, end, &u) || u > (uint64_t)(end - p) || u > INT32_MAX) return -1;
            v->n = (int32_t)u;
            v->s = arena ? arena_strndup(arena, (const char *)p, (size_t)u) : (const char *)p;
            p += u;
            break;
        }
    }
    /* Unused bits of the bitmap must be clear and every byte consumed:
     * otherwise these bytes are not an encoding of exactly these types. */
    if (n % 8 && (bits[nb - 1] >> (n % 8))) return -1;
    return p == end ? 0 : -1;
}

int rowkey_decode(const char *buf, size_t len, const Type *types, Value *out, int n, Arena *arena)
{
    return decode_cycle(buf, len, types, n ? n : 1, out, n, arena);
}

int rowkey_decode_cycle(const char *buf, size_t len, const Type *types, int ntypes, Value *out, int n, Arena *arena)
{
    return decode_cycle(buf, len, types, ntypes, out, n, arena);
}

int rowkey_iter_init(RowkeyIter *it, const char *buf, size_t len, int n)
{
    size_t nb = ((size_t)n + 7) / 8;
    it->bits = (const unsigned char *)buf;
    it->end = it->bits + len;
    it->p = it->bits + nb;
    it->i = 0;
    it->n = n;
    return n < 0 || len < nb ? -1 : 0;
}

int rowkey_iter_next(RowkeyIter *it, Type t, Value *v)
{
    if (it->i >= it->n) return -1;
    int i = it->i++;
    memset(v, 0, sizeof *v);
    if (it->bits[i / 8] & (1u << (i % 8))) {
        v->null = 1;
        return 0;
    }
    uint64_t u;
    switch (enc_of(t)) {
    case KE_INT:
        if (rowkey_get_varint(&it->p, it->end, &u)) return -1;
        v->i = rowkey_unzigzag(u);
        return 0;
    case KE_FLOAT:
        if (it->end - it->p < 8) return -1;
        u = 0;
        for (int b = 0; b < 8; b++) u |= (uint64_t)it->p[b] << (8 * b);
        memcpy(&v->d, &u, 8);
        it->p += 8;
        return 0;
    default:
        if (rowkey_get_varint(&it->p, it->end, &u) || u > (uint64_t)(it->end - it->p) || u > INT32_MAX) return -1;
        v->n = (int32_t)u;
        v->s = (const char *)it->p;
        it->p += u;
        return 0;
    }
}
