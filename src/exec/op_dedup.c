/*
 * op_dedup.c — deduplication (DedupPlan), Flink's Deduplicate: one row per
 * key of an append-only input, chosen by a time attribute.
 *
 *   keep    time       a row of a new key   a later row of the key
 *   first   proctime   +I row               nothing (append-only output)
 *   first   rowtime    +I row               earlier event time than the kept row:
 *                                           -U kept (when the consumer wants
 *                                           before-images), +U row; else nothing
 *   last    proctime   +I row               -U kept, +U row
 *   last    rowtime    +I row               event time ≥ the kept row's: -U kept,
 *                                           +U row; else nothing
 *
 * Rows are judged as they come (as Flink's row-time deduplication does, the
 * watermark does not hold them back); a NULL time ranks before any time.
 * State: a Keyed (keyed.h) from the encoded key to the kept row's encoding
 * (nothing for first-on-proctime, where the key's presence is the state).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "exec.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

typedef struct DedupState {
    Keyed   rows;         /* key → the kept row's encoding (first: keyed_op_checkpoint/restore find it here) */
    int     ncols;        /* row width */
    Type   *types;        /* row types */
    int     nkey;         /* key width */
    int    *keycols;      /* key columns */
    Type   *key_types;    /* their types */
    int     timecol;      /* the event-time attribute column (-1: processing time) */
    bool    keep_last;    /* keep the last row (else the first) */
    bool    rowtime;      /* by event time (else processing time) */
    bool    store_row;    /* the payload holds the row (all but first-on-proctime) */
    bool    before;       /* emit -U before-images */
    Value  *scratch;      /* a decoded kept row */
    StrBuf  key, row;     /* scratch encodings */
} DedupState;
_Static_assert(offsetof(DedupState, rows) == 0, "keyed_op_* expect the Keyed first");

static int row_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const DedupState *st = s->priv;
    sb_putn(val, keyed_payload(e), e->vlen);
    if (!row) return 0;   /* packed: no texts */
    rowkey_decode(keyed_key(e), e->klen, st->key_types, row, st->nkey, NULL);
    if (st->store_row) rowkey_decode(keyed_payload(e), e->vlen, st->types, row + st->nkey, st->ncols, NULL);
    return 0;
}

static int row_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    const DedupState *st = s->priv;
    if ((st->store_row ? rowkey_decode(val, vlen, st->types, st->scratch, st->ncols, NULL) != 0 : vlen != 0) ||
        rowkey_decode(keyed_key(e), e->klen, st->key_types, st->scratch, st->nkey, NULL))
        return job_fail(s->job, "state file: a row of Deduplicate is unreadable (is the file damaged?)");
    return 0;
}

static int dedup_init(OpState *s)
{
    const PlanNode *n = s->node;
    const DedupPlan *dp = plan_dedup(n);
    DedupState *st = xcalloc(1, sizeof *st);
    s->priv = st;
    st->ncols = n->ncols;
    st->nkey = dp->nkey;
    st->types = xcalloc((size_t)n->ncols, sizeof *st->types);
    st->keycols = xcalloc((size_t)dp->nkey, sizeof *st->keycols);
    st->key_types = xcalloc((size_t)dp->nkey, sizeof *st->key_types);
    st->scratch = xcalloc((size_t)n->ncols, sizeof *st->scratch);
    for (int i = 0; i < n->ncols; i++) st->types[i] = n->inputs[0]->cols[i].type;
    for (int k = 0; k < dp->nkey; k++) {
        st->keycols[k] = dp->key[k];
        st->key_types[k] = st->types[dp->key[k]];
    }
    st->timecol = dp->timecol;
    st->keep_last = dp->keep_last;
    st->rowtime = dp->time == TA_ROWTIME;
    st->store_row = dp->keep_last || st->rowtime;
    st->before = n->before;
    int nv = st->store_row ? n->ncols : 0;
    JsonField *kf = xcalloc((size_t)dp->nkey, sizeof *kf), *vf = xcalloc((size_t)nv, sizeof *vf);
    for (int k = 0; k < dp->nkey; k++) kf[k] = (JsonField){n->cols[dp->key[k]].name, st->key_types[k], k};
    for (int i = 0; i < nv; i++) vf[i] = (JsonField){n->cols[i].name, st->types[i], dp->nkey + i};
    KeyedConfig cfg = {
        .vsize = 0, .key_text = kf, .nkey_text = dp->nkey, .val_text = vf, .nval_text = nv,
        .row_width = dp->nkey + nv, .save = row_save, .load = row_load,
        /* a state entry per key seen (every order id of a stream): packed
         * chunks, as the joins' rows, cut the state file's cost (bench/README.md) */
        .packed = true, .legacy_rows = true,
    };
    keyed_init(&st->rows, s, &cfg);
    return 0;
}

static void dedup_end(OpState *s)
{
    DedupState *st = s->priv;
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

/* Does row replace the kept row? */
static bool replaces(const DedupState *st, const Value *row, const Value *kept_row)
{
    if (!st->rowtime) return st->keep_last;
    const Value *t = &row[st->timecol], *kept = &kept_row[st->timecol];
    int c = t->null || kept->null ? (t->null ? (kept->null ? 0 : -1) : 1) : (t->i < kept->i ? -1 : t->i > kept->i);
    return st->keep_last ? c >= 0 : c < 0;
}

static int dedup_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    DedupState *st = s->priv;
    Keyed *k = &st->rows;
    for (int i = 0; i < in->n; i++) {
        if (!rowkind_is_add(in->kinds[i])) continue;   /* the planner gives it an append-only input */
        const Value *row = batch_row(in, i);
        st->key.len = 0;
        rowkey_encode(&st->key, st->key_types, row, st->keycols, st->nkey);
        uint64_t h = keyed_hash(st->key.s, st->key.len);
        KeyedEntry *old = keyed_find(k, st->key.s, st->key.len, h);
        if (old && !st->store_row) continue;
        if (old) {
            rowkey_decode(keyed_payload(old), old->vlen, st->types, st->scratch, st->ncols, NULL);
            if (!replaces(st, row, st->scratch)) continue;
            if (st->before) {
                Value *r = batch_add(out, RK_UPDATE_BEFORE, in->ts[i]);
                rowkey_decode(keyed_payload(old), old->vlen, st->types, r, st->ncols, &s->job->batch_arena);
            }
        }
        KeyedEntry *e;
        if (st->store_row) {
            st->row.len = 0;
            rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
            e = old ? keyed_resize(k, old, h, st->row.len) : keyed_insert(k, st->key.s, st->key.len, h, st->row.len);
            memcpy(keyed_payload(e), st->row.s, st->row.len);
        } else {
            keyed_insert(k, st->key.s, st->key.len, h, 0);
        }
        Value *r = batch_add(out, old ? RK_UPDATE_AFTER : RK_INSERT, in->ts[i]);
        memcpy(r, row, sizeof(Value) * (size_t)st->ncols);
    }
    return 0;
}

static void dedup_fingerprint(const PlanNode *n, StrBuf *out)
{
    const DedupPlan *dp = plan_dedup(n);
    sb_printf(out, "Deduplicate/1 keep=%s time=%d:%d key=", dp->keep_last ? "last" : "first", dp->timecol, (int)dp->time);
    for (int k = 0; k < dp->nkey; k++) sb_printf(out, "%d;", dp->key[k]);
    sb_puts(out, " row=");
    for (int i = 0; i < n->ncols; i++) type_print(out, n->inputs[0]->cols[i].type), sb_putc(out, ';');
    sb_puts(out, " input=");
    explain_lineage(n->inputs[0], out);
}

const OpVTable op_dedup_vt = {
    .init = dedup_init, .process = dedup_process, .checkpoint = keyed_op_checkpoint, .restore = keyed_op_restore,
    .end = dedup_end, .fingerprint = dedup_fingerprint,
};
