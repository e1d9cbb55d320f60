/*
 * rowkey.h — a row's key columns as a compact byte string: the key of a
 * group in a hash table (htab.h), of a row in keyed state, of a checkpoint
 * record; and back into Values.
 *
 * Encoding (types known on both sides, so nothing self-describing):
 *   a NULL bitmap, ceil(n/8) bytes, bit i set = column i is NULL;
 *   then each non-NULL column in order:
 *     BOOLEAN, integers, DECIMAL (unscaled), DATE, TIMESTAMP*, INTERVAL
 *                        zigzag varint (1 byte for -64..63)
 *     FLOAT, DOUBLE      8 bytes little-endian IEEE; -0.0 is written as 0.0
 *                        and every NaN as one canonical NaN
 *     STRING, BYTES      varint length, then the bytes
 *     ROW, ARRAY, MAP    the same: a nested value is a byte string already
 *                        (its own encoding, nested.h)
 * Equal rows (SQL grouping equality: NULL = NULL, -0.0 = 0.0) give equal
 * bytes, different rows different bytes.  The bytes are not ordered like
 * the values (a hash key, not a sort key).
 *
 * The varint helpers are shared with other compact binary formats
 * (aggregate state in agg.c).
 */
#ifndef EDDY_ROWKEY_H
#define EDDY_ROWKEY_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "strbuf.h"
#include "types.h"
#include "value.h"

/* Appends the encoding of row[cols[i]] (of type types[i]) for i < n;
 * cols == NULL means columns 0..n-1. */
void   rowkey_encode(StrBuf *out, const Type *types, const Value *row, const int *cols, int n);
/* Same into buf (cap bytes), without allocation.  Returns the encoding's
 * length; when that exceeds cap, buf holds only a prefix: call again with
 * a buffer of that size. */
size_t rowkey_encode_buf(char *buf, size_t cap, const Type *types, const Value *row, const int *cols, int n);
/* Decodes n values of types[0..n) from buf[0..len).  String payloads point
 * into buf, or are copied into arena when arena is not NULL.  Returns 0, or
 * -1 when the bytes are not a complete encoding of exactly those types. */
int    rowkey_decode(const char *buf, size_t len, const Type *types, Value *out, int n, Arena *arena);

/* The same with value i of type types[i % ntypes]: the elements of an
 * ARRAY (ntypes 1) or a MAP's alternating keys and values (ntypes 2). */
size_t rowkey_encode_cycle(char *buf, size_t cap, const Type *types, int ntypes, const Value *row, int n);
int    rowkey_decode_cycle(const char *buf, size_t len, const Type *types, int ntypes, Value *out, int n, Arena *arena);

/* Reading an encoding one value at a time (nested values, nested.h):
 * rowkey_iter_init over n values, then rowkey_iter_next with each one's
 * type.  Strings point into buf.  rowkey_iter_next returns 0, or -1 when
 * the bytes end early or all n were read. */
typedef struct RowkeyIter {
    const unsigned char *bits;  /* the NULL bitmap */
    const unsigned char *p;     /* next value's bytes */
    const unsigned char *end;   /* end of the encoding */
    int i, n;                   /* values read, values in all */
} RowkeyIter;
int rowkey_iter_init(RowkeyIter *it, const char *buf, size_t len, int n);
int rowkey_iter_next(RowkeyIter *it, Type t, Value *out);

/* ---- varints (LEB128, 7 bits a byte, low bits first) ---- */

#define ROWKEY_VARINT_MAX 10  /* bytes of the longest 64-bit varint */

static inline uint64_t rowkey_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t  rowkey_unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

/* Writes v at p (room for ROWKEY_VARINT_MAX bytes); returns the bytes written. */
static inline size_t rowkey_put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* Reads a varint at *p (before end) into *v and advances *p; returns 0, or
 * -1 when it is truncated or longer than 64 bits. */
static inline int rowkey_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    const unsigned char *q = *p;
    for (int shift = 0; shift < 64; shift += 7) {
        if (q >= end) return -1;
        unsigned char b = *q++;
        if (shift == 63 && b > 1) return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            *p = q;
            return 0;
        }
    }
    return -1;
}

#endif
