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

#include "codec.h"
#include "exec.h"
#include "htab.h"
#include "rowkey.h"
#include "state.h"

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
    /* Keys changed since the last checkpoint (copies; duplicates are harmless). */
    Arena   ck_arena;     /* key copies */
    char  **changed;      /* key bytes */
    uint32_t *changed_len;/* lengths */
    int     nchanged;     /* count */
    int     capchanged;   /* capacity */
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
    arena_init(&st->ck_arena, 16384);
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
    arena_free(&st->ck_arena);
    free(st->changed);
    free(st->changed_len);
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

static void note_change(OpState *s, NormState *st)
{
    if (!s->job->state) return;
    if (st->nchanged == st->capchanged) {
        st->capchanged = st->capchanged ? st->capchanged * 2 : 1024;
        st->changed = realloc(st->changed, sizeof *st->changed * (size_t)st->capchanged);
        st->changed_len = realloc(st->changed_len, sizeof *st->changed_len * (size_t)st->capchanged);
        if (!st->changed || !st->changed_len) abort();
    }
    st->changed[st->nchanged] = arena_strndup(&st->ck_arena, st->key.s, st->key.len);
    st->changed_len[st->nchanged++] = (uint32_t)st->key.len;
}

static int norm_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
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
            note_change(s, st);
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
        note_change(s, st);
        Value *r = batch_add(out, old ? RK_UPDATE_AFTER : RK_INSERT, in->ts[i]);
        memcpy(r, row, sizeof(Value) * (size_t)n->ncols);
    }
    return 0;
}

/* ---- checkpoint and restore ---- */

static void norm_fingerprint(const PlanNode *n, StrBuf *out)
{
    sb_puts(out, "ChangelogNormalize/1 key=");
    for (int k = 0; k < n->nkey; k++) sb_printf(out, "%d;", n->key[k]);
    sb_puts(out, " row=");
    for (int i = 0; i < n->ncols; i++) type_print(out, n->cols[i].type), sb_putc(out, ';');
    sb_puts(out, " input=");
    explain_lineage(n->inputs[0], out);
}

static int norm_checkpoint(OpState *s, StateBatch *store, int op)
{
    const PlanNode *n = s->node;
    NormState *st = s->priv;
    StrBuf kt = {0}, vt = {0};
    JsonField *kf = calloc((size_t)n->nkey + 1, sizeof *kf), *vf = calloc((size_t)n->ncols + 1, sizeof *vf);
    Value *row = calloc((size_t)n->ncols + 1, sizeof *row);
    Arena a;
    arena_init(&a, 4096);
    if (!kf || !vf || !row) abort();
    for (int k = 0; k < n->nkey; k++) kf[k] = (JsonField){n->cols[n->key[k]].name, n->cols[n->key[k]].type, n->key[k]};
    for (int i = 0; i < n->ncols; i++) vf[i] = (JsonField){n->cols[i].name, n->cols[i].type, i};
    int rc = 0;
    for (int i = 0; i < st->nchanged && !rc; i++) {
        const char *key = st->changed[i];
        size_t klen = st->changed_len[i];
        KeyRow *kr = htab_find(&st->rows, key, klen, htab_hash(key, klen));
        if (!kr) {
            state_batch_del(store, op, key, klen);
            continue;
        }
        kt.len = vt.len = 0;
        rowkey_decode((const char *)kr->data + kr->klen, kr->rlen, st->types, row, n->ncols, NULL);
        json_encode(&kt, kf, n->nkey, row);
        json_encode(&vt, vf, n->ncols, row);
        state_batch_put(store, op, key, klen, kr->data + kr->klen, kr->rlen, kt.s, vt.s);
        s->job->ckpt_written++;
    }
    st->nchanged = 0;
    arena_free(&st->ck_arena);
    arena_init(&st->ck_arena, 16384);
    arena_free(&a);
    sb_free(&kt);
    sb_free(&vt);
    free(kf);
    free(vf);
    free(row);
    return rc;
}

typedef struct NormRestore {
    OpState *s;           /* the operator */
    int64_t  n;           /* rows loaded */
} NormRestore;

static int norm_restore_one(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    NormRestore *r = ctx;
    NormState *st = r->s->priv;
    uint64_t h = htab_hash(key, klen);
    KeyRow *old = htab_remove(&st->rows, key, klen, h);   /* a later row of the key replaces it */
    if (old) {
        free(old);
        r->n--;
    }
    if (!val) return 0;
    Value *tmp = calloc((size_t)r->s->node->ncols + 1, sizeof *tmp);
    if (!tmp) abort();
    int bad = rowkey_decode(val, vlen, st->types, tmp, r->s->node->ncols, NULL) ||
              rowkey_decode(key, klen, st->key_types, tmp, r->s->node->nkey, NULL);
    free(tmp);
    if (bad) return job_fail(r->s->job, "state file: a row of ChangelogNormalize is unreadable (is the file damaged?)");
    KeyRow *kr = malloc(sizeof *kr + klen + vlen);
    if (!kr) abort();
    kr->klen = (uint32_t)klen;
    kr->rlen = (uint32_t)vlen;
    memcpy(kr->data, key, klen);
    memcpy(kr->data + klen, val, vlen);
    htab_insert(&st->rows, kr, h);
    r->n++;
    return 0;
}

static int norm_restore(OpState *s, StateStore *store, int op)
{
    NormRestore r = {s, 0};
    if (state_scan(store, op, norm_restore_one, &r)) return s->job->err[0] ? -1 : job_fail(s->job, "%s", state_errmsg(store));
    s->job->stats.restored_keys += r.n;
    return 0;
}

const OpVTable op_normalize_vt = {
    .init = norm_init, .process = norm_process, .checkpoint = norm_checkpoint, .restore = norm_restore,
    .end = norm_end, .fingerprint = norm_fingerprint,
};
