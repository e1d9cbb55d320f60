/*
 * join_rows.h — the state record of a row that Join (op_join.c) and
 * IntervalJoin (op_interval_join.c) keep: one layout, read and written here.
 *
 *   key    side (1 byte: 0 left, 1 right), varint n, the join key (n bytes,
 *          row-key encoding of the join key's types), then the row
 *          (row-key encoding of the side's columns)
 *   value  three zigzag varints: the copy count (> 0), a second count
 *          (>= 0: Join's matches, IntervalJoin's unmatched copies) and a
 *          time (ms)
 */
#ifndef EDDY_JOIN_ROWS_H
#define EDDY_JOIN_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rowkey.h"
#include "strbuf.h"
#include "value.h"

/* The length of key k's [side][n][join key] prefix, or 0 if unreadable. */
static inline size_t join_rows_prefix(const unsigned char *k, size_t klen)
{
    if (klen < 2) return 0;
    const unsigned char *p = k + 1, *end = k + klen;
    uint64_t n;
    if (rowkey_get_varint(&p, end, &n) || n > (uint64_t)(end - p)) return 0;
    return (size_t)(p - k) + (size_t)n;
}

/* Appends the value of a kept row. */
static inline void join_rows_put(StrBuf *val, int64_t count, int64_t second, int64_t time)
{
    unsigned char v[3 * ROWKEY_VARINT_MAX];
    size_t n = rowkey_put_varint(v, rowkey_zigzag(count));
    n += rowkey_put_varint(v + n, rowkey_zigzag(second));
    n += rowkey_put_varint(v + n, rowkey_zigzag(time));
    sb_putn(val, (const char *)v, n);
}

/* Reads a kept row's key k and value: its three numbers into num, the
 * join key decoded into kv (nkeys columns of key_types) and the row into
 * row (ncols[side] columns of types[side]).  The side (0 or 1), or -1 when
 * either is unreadable (a damaged state file). */
static inline int join_rows_get(const unsigned char *k, size_t klen, const void *val, size_t vlen, const Type *key_types,
                                Value *kv, int nkeys, const Type *const types[2], const int ncols[2], Value *row, int64_t num[3])
{
    const unsigned char *p = val, *end = p + vlen, *kp = k + 1;
    size_t pl = join_rows_prefix(k, klen);
    uint64_t u[3], jl;
    if (!pl || k[0] > 1 || rowkey_get_varint(&kp, k + klen, &jl)) return -1;
    for (int i = 0; i < 3; i++)
        if (rowkey_get_varint(&p, end, &u[i])) return -1;
    if (p != end) return -1;
    for (int i = 0; i < 3; i++) num[i] = rowkey_unzigzag(u[i]);
    if (num[0] <= 0 || num[1] < 0) return -1;
    if (rowkey_decode((const char *)kp, (size_t)jl, key_types, kv, nkeys, NULL) ||
        rowkey_decode((const char *)k + pl, klen - pl, types[k[0]], row, ncols[k[0]], NULL))
        return -1;
    return k[0];
}

#endif
