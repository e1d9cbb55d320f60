/*
 * op_normalize.c — turns an upsert stream (rows by primary key, deletes as
 * tombstones) into a retract stream by keeping the last row of every key:
 *     new key            → +I new
 *     changed row        → -U old, +U new
 *     identical re-upsert→ nothing
 *     delete of a key    → -D old (a delete of an unknown key: nothing)
 * Stored rows are encoded with rowkey, so comparing is a memcmp.
 */
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "htab.h"
#include "rowkey.h"

typedef struct KeyRow {
    uint32_t klen;        /* key bytes */
    uint32_t rlen;        /* row bytes */
    unsigned char data[]; /* key bytes, then the whole row encoded */
} KeyRow;

typedef struct NormState {
    Htab    rows;         /* key → KeyRow */
    Type   *types;        /* row types */
    Type   *key_types;    /* key column types */
    Value  *keyrow;       /* scratch: key values */
    StrBuf  key, row;     /* scratch encodings */
} NormState;

static const void *keyrow_key(const void *e, size_t *len)
{
    const KeyRow *k = e;
    *len = k->klen;
    return k->data;
}

static int norm_init(OpState *s)
{
    const PlanNode *n = s->node;
    NormState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    htab_init(&st->rows, keyrow_key);
    st->types = calloc((size_t)n->ncols + 1, sizeof *st->types);
    st->key_types = calloc((size_t)n->nkey + 1, sizeof *st->key_types);
    st->keyrow = calloc((size_t)n->nkey + 1, sizeof *st->keyrow);
    if (!st->types || !st->key_types || !st->keyrow) abort();
    for (int i = 0; i < n->ncols; i++) st->types[i] = n->cols[i].type;
    for (int k = 0; k < n->nkey; k++) st->key_types[k] = n->cols[n->key[k]].type;
    return 0;
}

static void norm_end(OpState *s)
{
    NormState *st = s->priv;
    if (!st) return;
    HtabIter it;
    htab_iter_init(&st->rows, &it);
    for (void *e; (e = htab_iter_next(&st->rows, &it));) free(e);
    htab_free(&st->rows);
    sb_free(&st->key);
    sb_free(&st->row);
    free(st->types);
    free(st->key_types);
    free(st->keyrow);
    free(st);
}

/* Emits the stored row (decoded into the batch arena) with kind k. */
static void emit_stored(OpState *s, const KeyRow *kr, RowKind k, int64_t ts, Batch *out)
{
    NormState *st = s->priv;
    Value *r = batch_add(out, k, ts);
    rowkey_decode((const char *)kr->data + kr->klen, kr->rlen, st->types, r, s->node->ncols, &s->job->batch_arena);
}

static int norm_process(OpState *s, Batch *in, Batch *out)
{
    const PlanNode *n = s->node;
    NormState *st = s->priv;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        for (int k = 0; k < n->nkey; k++) st->keyrow[k] = row[n->key[k]];
        st->key.len = 0;
        rowkey_encode(&st->key, st->key_types, st->keyrow, NULL, n->nkey);
        uint64_t h = htab_hash(st->key.s, st->key.len);
        KeyRow *old = htab_find(&st->rows, st->key.s, st->key.len, h);
        if (!rowkind_is_add(in->kinds[i])) {
            if (!old) continue;
            htab_remove(&st->rows, st->key.s, st->key.len, h);
            emit_stored(s, old, RK_DELETE, in->ts[i], out);
            free(old);
            continue;
        }
        st->row.len = 0;
        rowkey_encode(&st->row, st->types, row, NULL, n->ncols);
        if (old && old->rlen == st->row.len && memcmp(old->data + old->klen, st->row.s, st->row.len) == 0) continue;
        KeyRow *kr = malloc(sizeof *kr + st->key.len + st->row.len);
        if (!kr) abort();
        kr->klen = (uint32_t)st->key.len;
        kr->rlen = (uint32_t)st->row.len;
        memcpy(kr->data, st->key.s, st->key.len);
        memcpy(kr->data + kr->klen, st->row.s, st->row.len);
        if (old) {
            htab_remove(&st->rows, st->key.s, st->key.len, h);
            emit_stored(s, old, RK_UPDATE_BEFORE, in->ts[i], out);
            free(old);
        }
        htab_insert(&st->rows, kr, h);
        Value *r = batch_add(out, old ? RK_UPDATE_AFTER : RK_INSERT, in->ts[i]);
        memcpy(r, row, sizeof(Value) * (size_t)n->ncols);
    }
    return 0;
}

const OpVTable op_normalize_vt = {norm_init, norm_process, NULL, norm_end};
