/*
 * op_normalize.c — turns an upsert stream (rows by primary key, deletes as
 * tombstones) into a retract stream by keeping the last row of every key:
 *     new key            → +I new
 *     changed row        → -U old, +U new
 *     identical re-upsert→ nothing
 *     delete of a key    → -D old (a delete of an unknown key: nothing)
 * With mini-batch off (PlanNode.per_row) the -U goes out only where the
 * planner says its consumer needs it (PlanNode.before, Flink's
 * generateUpdateBefore): an update is then +U alone; and with
 * 'table.exec.state.ttl' set an identical re-upsert is an update too, as
 * Flink emits it then (this operator itself keeps its rows).
 * State: a Keyed (keyed.h) from the encoded key to the whole row encoded
 * with rowkey (the entry's payload), so comparing is a memcmp and the
 * stored bytes are the checkpoint's; a state row per key (readable) up to
 * KEYED_READABLE_MAX keys, packed chunks above.  What the plan node says is read once,
 * in norm_init, into NormState.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "exec.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

typedef struct NormState {
    Keyed   rows;         /* key → the row's encoding (first: keyed_op_checkpoint/restore find it here) */
    int     ncols;        /* row width */
    Type   *types;        /* row types */
    int     nkey;         /* key width */
    bool    before;       /* an update emits -U old before +U new (always, but per_row: as the plan's before says) */
    bool    emit_same;    /* per_row with table.exec.state.ttl set: an identical re-upsert is an update too (Flink) */
    int    *keycols;      /* key columns (row positions) */
    Type   *key_types;    /* their types */
    Value  *scratch;      /* restore: a decoded row */
    StrBuf  key, row;     /* scratch encodings */
} NormState;
_Static_assert(offsetof(NormState, rows) == 0, "keyed_op_* expect the Keyed first");

/* ---- checkpoint and restore: the stored value is the row's encoding ---- */

static int row_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const NormState *st = s->priv;
    sb_putn(val, keyed_payload(e), e->vlen);
    if (row) rowkey_decode(keyed_payload(e), e->vlen, st->types, row, st->ncols, NULL);   /* packed: no texts */
    return 0;
}

static int row_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    const NormState *st = s->priv;
    if (rowkey_decode(val, vlen, st->types, st->scratch, st->ncols, NULL) ||
        rowkey_decode(keyed_key(e), e->klen, st->key_types, st->scratch, st->nkey, NULL))
        return job_fail(s->job, "state file: a row of ChangelogNormalize is unreadable (is the file damaged?)");
    return 0;   /* the payload is already a copy of val */
}

/* ---- lifecycle ---- */

static int norm_init(OpState *s)
{
    const PlanNode *n = s->node;
    NormState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->ncols = n->ncols;
    st->nkey = n->nkey;
    st->before = !n->per_row || n->before;
    st->emit_same = n->per_row && s->job->plan->config.state_ttl_ms > 0;
    st->types = xcalloc((size_t)n->ncols, sizeof *st->types);
    st->keycols = xcalloc((size_t)n->nkey, sizeof *st->keycols);
    st->key_types = xcalloc((size_t)n->nkey, sizeof *st->key_types);
    st->scratch = xcalloc((size_t)n->ncols, sizeof *st->scratch);
    for (int i = 0; i < n->ncols; i++) st->types[i] = n->cols[i].type;
    for (int k = 0; k < n->nkey; k++) {
        st->keycols[k] = n->key[k];
        st->key_types[k] = n->cols[n->key[k]].type;
    }
    /* the state file's texts: key_text = the key columns, value_text = the row */
    JsonField *kf = xcalloc((size_t)n->nkey, sizeof *kf), *vf = xcalloc((size_t)n->ncols, sizeof *vf);
    for (int k = 0; k < n->nkey; k++) kf[k] = (JsonField){n->cols[n->key[k]].name, n->cols[n->key[k]].type, n->key[k]};
    for (int i = 0; i < n->ncols; i++) vf[i] = (JsonField){n->cols[i].name, n->cols[i].type, i};
    KeyedConfig cfg = {
        .vsize = 0, .key_text = kf, .nkey_text = n->nkey, .val_text = vf, .nval_text = n->ncols,
        .row_width = n->ncols, .save = row_save, .load = row_load,
        /* An upsert table of 100k users: a state row and two JSON texts per
         * key cost the first checkpoint's writer more than the normalizer
         * itself (the enrichment benchmark); a few keys stay readable. */
        .pack_above = KEYED_READABLE_MAX,
    };
    keyed_init(&st->rows, s, &cfg);   /* it owns kf and vf now */
    return 0;
}

static void norm_end(OpState *s)
{
    NormState *st = s->priv;
    if (!st) return;
    keyed_free(&st->rows);
    sb_free(&st->key);
    sb_free(&st->row);
    free(st->types);
    free(st->keycols);
    free(st->key_types);
    free(st->scratch);
    free(st);
}

/* ---- process ---- */

/* Emits the stored row (decoded into the batch arena) with kind k. */
static void emit_stored(OpState *s, const KeyedEntry *e, RowKind k, int64_t ts, Batch *out)
{
    NormState *st = s->priv;
    Value *r = batch_add(out, k, ts);
    rowkey_decode(keyed_payload(e), e->vlen, st->types, r, st->ncols, &s->job->batch_arena);
}

static int norm_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    NormState *st = s->priv;
    Keyed *k = &st->rows;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        st->key.len = 0;
        rowkey_encode(&st->key, st->key_types, row, st->keycols, st->nkey);
        uint64_t h = keyed_hash(st->key.s, st->key.len);
        KeyedEntry *old = keyed_find(k, st->key.s, st->key.len, h);
        if (!rowkind_is_add(in->kinds[i])) {
            if (!old) continue;
            emit_stored(s, old, RK_DELETE, in->ts[i], out);
            keyed_remove(k, old, h);
            continue;
        }
        st->row.len = 0;
        rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
        if (old && !st->emit_same && old->vlen == st->row.len && memcmp(keyed_payload(old), st->row.s, st->row.len) == 0)
            continue;
        bool had = old != NULL;
        KeyedEntry *e;
        if (had) {
            if (st->before) emit_stored(s, old, RK_UPDATE_BEFORE, in->ts[i], out);
            e = keyed_resize(k, old, h, st->row.len);   /* old is invalid now */
        } else {
            e = keyed_insert(k, st->key.s, st->key.len, h, st->row.len);
        }
        memcpy(keyed_payload(e), st->row.s, st->row.len);
        Value *r = batch_add(out, had ? RK_UPDATE_AFTER : RK_INSERT, in->ts[i]);
        memcpy(r, row, sizeof(Value) * (size_t)st->ncols);
    }
    return 0;
}

/* What identifies the state's layout (read from the plan: no OpState here). */
static void norm_fingerprint(const PlanNode *n, StrBuf *out)
{
    sb_puts(out, "ChangelogNormalize/1 key=");
    for (int k = 0; k < n->nkey; k++) sb_printf(out, "%d;", n->key[k]);
    sb_puts(out, " row=");
    for (int i = 0; i < n->ncols; i++) type_print(out, n->cols[i].type), sb_putc(out, ';');
    sb_puts(out, " input=");
    explain_lineage(n->inputs[0], out);
}

const OpVTable op_normalize_vt = {
    .init = norm_init, .process = norm_process, .checkpoint = keyed_op_checkpoint, .restore = keyed_op_restore,
    .end = norm_end, .fingerprint = norm_fingerprint,
};
