/*
 * over_rows.h — the row lists the OVER operators keep (op_over.c: the rows
 * waiting for the watermark and the rows in a bounded frame;
 * op_over_update.c: every row of a partition, in ORDER BY order): rows
 * as their rowkey encoding with a 64-bit order value, in an array with a
 * cheap pop at the front, and their checkpoint form
 *     [count] ([zigzag order value] [length] [encoding])…   (varints)
 * and the part of their fingerprints they share (op_over.c).
 */
#ifndef EDDY_OVER_ROWS_H
#define EDDY_OVER_ROWS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "rowkey.h"
#include "value.h"

typedef struct OverRow {
    int64_t  ts;          /* its order value (event time, the clock when it came, or the ORDER BY column) */
    uint32_t len;         /* encoding bytes */
    char     bytes[];     /* the input row's rowkey encoding */
} OverRow;

/* A list of rows; `head` rows at the front are gone (a cheap pop). */
typedef struct RowList {
    OverRow **v;          /* rows */
    int       head, n, cap; /* first live, end, capacity */
} RowList;

static inline int rl_count(const RowList *l) { return l->n - l->head; }
static inline OverRow *rl_at(const RowList *l, int i) { return l->v[l->head + i]; }

static inline void rl_insert(RowList *l, int at, OverRow *r)   /* at: 0..count */
{
    if (l->head > 0 && l->n == l->cap) {
        memmove(l->v, l->v + l->head, sizeof(OverRow *) * (size_t)(l->n - l->head));
        l->n -= l->head;
        l->head = 0;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = realloc(l->v, sizeof(OverRow *) * (size_t)l->cap);
        if (!l->v) abort();
    }
    int pos = l->head + at;
    memmove(l->v + pos + 1, l->v + pos, sizeof(OverRow *) * (size_t)(l->n - pos));
    l->v[pos] = r;
    l->n++;
}

/* Takes row `at` (0..count-1) out of the list and returns it. */
static inline OverRow *rl_remove(RowList *l, int at)
{
    int pos = l->head + at;
    OverRow *r = l->v[pos];
    memmove(l->v + pos, l->v + pos + 1, sizeof(OverRow *) * (size_t)(l->n - pos - 1));
    l->n--;
    if (l->head == l->n) l->head = l->n = 0;
    return r;
}

static inline OverRow *rl_pop(RowList *l)
{
    OverRow *r = l->v[l->head++];
    if (l->head == l->n) l->head = l->n = 0;
    return r;
}

static inline void rl_free(RowList *l)
{
    for (int i = l->head; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static inline OverRow *row_new(int64_t ts, const char *enc, size_t len)
{
    OverRow *r = xmalloc(sizeof(OverRow) + len);
    r->ts = ts;
    r->len = (uint32_t)len;
    memcpy(r->bytes, enc, len);
    return r;
}

static inline void put_varint(StrBuf *b, uint64_t v)
{
    unsigned char t[ROWKEY_VARINT_MAX];
    sb_putn(b, (const char *)t, rowkey_put_varint(t, v));
}

static inline void over_rows_save(StrBuf *b, const RowList *l)
{
    put_varint(b, (uint64_t)rl_count(l));
    for (int i = 0; i < rl_count(l); i++) {
        const OverRow *r = rl_at(l, i);
        put_varint(b, rowkey_zigzag(r->ts));
        put_varint(b, r->len);
        sb_putn(b, r->bytes, r->len);
    }
}

/* Reads a list saved by over_rows_save from *q (moved past it), each row
 * checked to decode as `types` (ncols of them, into scratch); -1 if the
 * bytes are not such a list (the rows read so far stay in l). */
static inline int over_rows_load(const Type *types, int ncols, Value *scratch, const unsigned char **q,
                                 const unsigned char *end, RowList *l)
{
    uint64_t n;
    if (rowkey_get_varint(q, end, &n) || n > (uint64_t)(end - *q)) return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ts, len;
        if (rowkey_get_varint(q, end, &ts) || rowkey_get_varint(q, end, &len) || len > (uint64_t)(end - *q)) return -1;
        if (rowkey_decode((const char *)*q, (size_t)len, types, scratch, ncols, NULL)) return -1;
        rl_insert(l, rl_count(l), row_new(rowkey_unzigzag(ts), (const char *)*q, (size_t)len));
        *q += len;
    }
    return 0;
}

/* The fingerprint of an OverAggPlan after its operator's own head: the
 * partition, the aggregates, the input row and its lineage (op_over.c). */
struct PlanNode;
void over_fingerprint_rest(const struct PlanNode *n, StrBuf *out);

/* What both OVER operators set up alike from their plan node n: the
 * partition columns, their types and their fields as a partition's state
 * key texts (for KeyedConfig.key_text, which takes the array over), and an
 * accumulator per aggregate (retracting when the frame is bounded) with
 * its offset in a partition's accumulator block, and the block's size
 * (op_over.c).  -1, or the number of the aggregate that has no accumulator. */
struct AggSpec;
struct JsonField;
int over_setup(const struct PlanNode *n, int **partcols, Type **part_types, struct JsonField **key_text, struct AggSpec **specs,
               size_t **slot, size_t *accsize);

#endif
