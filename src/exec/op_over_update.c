/*
 * op_over_update.c — OVER aggregation over an updating input (OverAggPlan
 * with updating_input; Flink refuses this, RisingWave and Feldera run it):
 * the output is, at every moment, each row of the input's current table
 * with the aggregates over its frame among its partition's rows, sorted by
 * the ORDER BY column (rows of one value by their encoding, so the order
 * does not depend on arrival); a change of the input retracts what it
 * changed and emits the new results.  Frames, for the row at position i:
 *   ROWS  n PRECEDING           positions max(0, i−n) .. i
 *   ROWS  UNBOUNDED PRECEDING   0 .. i
 *   RANGE t PRECEDING           every row whose value is in [v(i) − t, v(i)]
 *   RANGE UNBOUNDED PRECEDING   every row whose value is ≤ v(i)
 * (a NULL ORDER BY value sorts first, as ASC does in Flink).
 *
 * What a change of row r (value v, position p) emits:
 *   r added (+I / +U)    r with its frame, of r's kind
 *   r taken (-U / -D)    r with the frame it had, of r's kind; a row the
 *                        partition does not hold: nothing
 *   every other row whose frame held or now holds r — ROWS: the n rows
 *   from p on (UNBOUNDED: every row after p); RANGE: the rows whose value
 *   is in [v, v + t] (UNBOUNDED: ≥ v) —
 *                        -U[row, old results] +U[row, new results], or
 *                        nothing when its results did not change
 * The rows of the affected range are aggregated in one sliding pass (an
 * accumulator with retraction, agg.c), so a change of a ROWS n frame costs
 * about 2(n + 1) row updates, not (n + 1)².
 *
 * The input is never late: no watermark holds rows back (the input has no
 * time attribute left, or it updates).  The output is a retract stream;
 * its unique key is the input's.
 *
 * State (a Keyed, keyed.h): encoded partition key → the partition's rows
 * (over_rows.h), every row of the partition's current table: bounded by
 * the input's table, not by time.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "codec.h"
#include "exec.h"
#include "keyed.h"
#include "over_rows.h"
#include "rowkey.h"
#include "state.h"

typedef struct UPart {
    RowList   rows;       /* the partition's rows, in order (over_cmp) */
} UPart;

typedef struct UState {
    Keyed     parts;      /* partition key → UPart (first) */
    int       ncols;      /* input width */
    int       npass;      /* columns passed on */
    Type     *types;      /* input column types */
    int       npart;      /* partition width */
    int      *partcols;   /* partition columns */
    Type     *part_types; /* their types */
    int       ordcol;     /* the ORDER BY column */
    bool      rows;       /* ROWS frame (else RANGE) */
    int64_t   preceding;  /* frame start, -1 = unbounded */
    int       naggs;      /* aggregates */
    AggSpec  *specs;      /* their accumulators (with retraction when the frame is bounded) */
    size_t   *slot;       /* offset of each in acc */
    unsigned char *acc;   /* the sliding pass's accumulators */
    Type     *res_types;  /* the aggregates' result types (output columns npass..) */
    Value    *res;        /* naggs results */
    Value    *scratch;    /* a decoded row */
    StrBuf    key, row;   /* scratch encodings */
    StrBuf    before, after; /* encoded results of the affected rows before and after a change */
    size_t   *boff, *aoff;   /* where each affected row's results start in them (+1 entry: the end) */
    int       capoff;
    char      err[256];   /* an aggregate's error */
} UState;
_Static_assert(offsetof(UState, parts) == 0, "keyed_op_* expect the Keyed first");

/* Row order: the ORDER BY value, then the encoding (a total order, so equal
 * rows sit together and every restart sorts alike). */
static int over_cmp(int64_t ts, const char *b, uint32_t len, const OverRow *r)
{
    if (ts != r->ts) return ts < r->ts ? -1 : 1;
    int c = memcmp(b, r->bytes, len < r->len ? len : r->len);
    if (c) return c;
    return len < r->len ? -1 : len > r->len;
}

/* The first position whose row sorts after (ts, b) (after equal rows). */
static int upper_bound(const RowList *l, int64_t ts, const char *b, uint32_t len)
{
    int lo = 0, hi = rl_count(l);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (over_cmp(ts, b, len, rl_at(l, mid)) >= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The first position whose value is ≥ v (after: > v). */
static int value_bound(const RowList *l, int64_t v, bool after)
{
    int lo = 0, hi = rl_count(l);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int64_t t = rl_at(l, mid)->ts;
        if (after ? t <= v : t < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int64_t sat_sub(int64_t a, int64_t b) { return a < INT64_MIN + b ? INT64_MIN : a - b; }
static int64_t sat_add(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

/* The frame of the row at position i: positions [*lo, *hi]. */
static void frame_of(const UState *st, const RowList *l, int i, int *lo, int *hi)
{
    if (st->rows) {
        *lo = st->preceding < 0 || i < st->preceding ? 0 : i - (int)st->preceding;
        *hi = i;
        return;
    }
    int64_t v = rl_at(l, i)->ts;
    *lo = st->preceding < 0 ? 0 : value_bound(l, sat_sub(v, st->preceding), false);
    *hi = value_bound(l, v, true) - 1;
}

/* The positions [*a, *b] of l whose frame holds a row of value v at
 * position p (ROWS; `has` says whether l holds that row at p). */
static void affected(const UState *st, const RowList *l, int64_t v, int p, bool has, int *a, int *b)
{
    int n = rl_count(l);
    if (st->rows) {
        *a = p;
        *b = st->preceding < 0 ? n - 1 : p + (int)st->preceding - (has ? 0 : 1);
    } else {
        *a = value_bound(l, v, false);
        *b = st->preceding < 0 ? n - 1 : value_bound(l, sat_add(v, st->preceding), true) - 1;
    }
    if (*b > n - 1) *b = n - 1;
}

static int accumulate(OpState *s, const OverRow *r, int sign)
{
    UState *st = s->priv;
    if (rowkey_decode(r->bytes, r->len, st->types, st->scratch, st->ncols, NULL))
        return job_fail(s->job, "OverAggregate: a kept row does not decode");
    for (int j = 0; j < st->naggs; j++) {
        const BExpr *a = st->specs[j].call->a;
        if (agg_update(&st->specs[j], st->acc + st->slot[j], a ? &st->scratch[a->col] : NULL, sign, st->err, sizeof st->err))
            return job_fail(s->job, "OverAggregate: %s", st->err);
    }
    return 0;
}

/* The results of positions a..b of l, encoded one after the other into
 * *out, off[k] where the k-th starts (off[b − a + 1]: the end).  One
 * sliding pass: frame starts and ends only move forward. */
static int results(OpState *s, const RowList *l, int a, int b, StrBuf *out, size_t *off)
{
    UState *st = s->priv;
    out->len = 0;
    if (a > b) {
        off[0] = 0;
        return 0;
    }
    for (int j = 0; j < st->naggs; j++) agg_init(&st->specs[j], st->acc + st->slot[j]);
    int rc = 0, clo, chi;
    frame_of(st, l, a, &clo, &chi);
    chi = clo - 1;   /* the accumulators hold positions clo..chi */
    for (int i = a; i <= b && !rc; i++) {
        int lo, hi;
        frame_of(st, l, i, &lo, &hi);
        while (!rc && chi < hi) rc = accumulate(s, rl_at(l, ++chi), 1);
        while (!rc && clo < lo) rc = accumulate(s, rl_at(l, clo++), -1);
        if (rc) break;
        off[i - a] = out->len;
        for (int j = 0; j < st->naggs; j++) agg_result(&st->specs[j], st->acc + st->slot[j], &st->res[j]);
        rowkey_encode(out, st->res_types, st->res, NULL, st->naggs);
    }
    off[b - a + 1] = out->len;
    for (int j = 0; j < st->naggs; j++) agg_free(&st->specs[j], st->acc + st->slot[j]);
    return rc;
}

static void emit(OpState *s, const OverRow *r, const char *res, size_t rlen, RowKind k, int64_t ts, Batch *out)
{
    UState *st = s->priv;
    Arena *arena = &s->job->batch_arena;
    Value *v = batch_add(out, k, ts);
    rowkey_decode(r->bytes, r->len, st->types, st->scratch, st->ncols, arena);
    memcpy(v, st->scratch, sizeof(Value) * (size_t)st->npass);
    rowkey_decode(res, rlen, st->res_types, v + st->npass, st->naggs, arena);
}

static void grow_offsets(UState *st, int n)
{
    if (n + 1 <= st->capoff) return;
    st->capoff = n + 1 > 2 * st->capoff ? n + 1 : 2 * st->capoff;
    st->boff = realloc(st->boff, sizeof(size_t) * (size_t)st->capoff);
    st->aoff = realloc(st->aoff, sizeof(size_t) * (size_t)st->capoff);
    if (!st->boff || !st->aoff) abort();
}

/* One change of row r (encoded in st->row, order value v) in partition p. */
static int change(OpState *s, UPart *p, RowKind k, int64_t v, int64_t ts, Batch *out, bool *gone)
{
    UState *st = s->priv;
    RowList *l = &p->rows;
    const char *b = st->row.s;
    uint32_t len = (uint32_t)st->row.len;
    bool add = rowkind_is_add(k);
    int pos = upper_bound(l, v, b, len);
    if (!add) {
        if (pos == 0 || over_cmp(v, b, len, rl_at(l, pos - 1)) != 0) return 0;   /* not held: nothing to retract */
        pos--;
    }
    /* before: the affected rows of the list as it is */
    int a0, b0, a1, b1;
    affected(st, l, v, pos, !add, &a0, &b0);
    grow_offsets(st, b0 - a0 + 2 > 0 ? b0 - a0 + 2 : 1);
    if (results(s, l, a0, b0, &st->before, st->boff)) return -1;
    OverRow *taken = NULL;
    if (add) rl_insert(l, pos, row_new(v, b, len));
    else taken = rl_remove(l, pos);
    affected(st, l, v, pos, add, &a1, &b1);
    grow_offsets(st, b1 - a1 + 2 > b0 - a0 + 2 ? b1 - a1 + 2 : b0 - a0 + 2);
    int rc = results(s, l, a1, b1, &st->after, st->aoff);
    if (!rc) {
        if (taken) emit(s, taken, st->before.s + st->boff[pos - a0], st->boff[pos - a0 + 1] - st->boff[pos - a0], k, ts, out);
        /* the other rows, in step: the same rows in the same order, r skipped on its side */
        int i = a0, j = a1;
        for (;;) {
            if (!add && i == pos) i++;
            if (add && j == pos) j++;
            if (i > b0 || j > b1) break;
            const char *ob = st->before.s + st->boff[i - a0], *nb = st->after.s + st->aoff[j - a1];
            size_t ol = st->boff[i - a0 + 1] - st->boff[i - a0], nl = st->aoff[j - a1 + 1] - st->aoff[j - a1];
            if (ol != nl || memcmp(ob, nb, ol)) {
                emit(s, rl_at(l, j), ob, ol, RK_UPDATE_BEFORE, ts, out);
                emit(s, rl_at(l, j), nb, nl, RK_UPDATE_AFTER, ts, out);
            }
            i++, j++;
        }
        if (add) emit(s, rl_at(l, pos), st->after.s + st->aoff[pos - a1], st->aoff[pos - a1 + 1] - st->aoff[pos - a1], k, ts, out);
    }
    free(taken);
    *gone = rl_count(l) == 0;
    return rc;
}

static int upd_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    UState *st = s->priv;
    Keyed *kd = &st->parts;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        const Value *o = &row[st->ordcol];
        int64_t v = o->null ? INT64_MIN : o->i;
        st->key.len = 0;
        rowkey_encode(&st->key, st->part_types, row, st->partcols, st->npart);
        uint64_t h = keyed_hash(st->key.s, st->key.len);
        KeyedEntry *e = keyed_find(kd, st->key.s, st->key.len, h);
        if (!e) {
            if (!rowkind_is_add(in->kinds[i])) continue;   /* a retraction of a row never held */
            e = keyed_insert(kd, st->key.s, st->key.len, h, sizeof(UPart));
            memset(keyed_payload(e), 0, sizeof(UPart));
        }
        st->row.len = 0;
        rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
        bool gone = false;
        if (change(s, keyed_payload(e), in->kinds[i], v, in->ts[i], out, &gone)) return -1;
        if (gone) keyed_remove(kd, e, h);
        else keyed_touch(kd, e);
    }
    return 0;
}

/* ---- checkpoint and restore ---- */

static int part_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const UState *st = s->priv;
    const UPart *p = keyed_payload(e);
    over_rows_save(val, &p->rows);
    rowkey_decode(keyed_key(e), e->klen, st->part_types, row, st->npart, NULL);
    row[st->npart] = (Value){.i = rl_count(&p->rows)};
    return 0;
}

static int part_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    UState *st = s->priv;
    UPart *p = keyed_payload(e);
    memset(p, 0, sizeof *p);
    const unsigned char *q = val, *end = q + vlen;
    bool sorted = true;
    if (!over_rows_load(st->types, st->ncols, st->scratch, &q, end, &p->rows) && q == end) {
        for (int i = 1; i < rl_count(&p->rows) && sorted; i++) {
            const OverRow *x = rl_at(&p->rows, i - 1);
            sorted = over_cmp(x->ts, x->bytes, x->len, rl_at(&p->rows, i)) <= 0;
        }
        if (sorted) return 0;
    }
    rl_free(&p->rows);
    return job_fail(s->job, "state file: a partition of OverAggregate is unreadable (is the file damaged?)");
}

static void part_release(OpState *s, KeyedEntry *e)
{
    (void)s;
    UPart *p = keyed_payload(e);
    rl_free(&p->rows);
}

static int upd_checkpoint(OpState *s, StateBatch *b, int op)
{
    UState *st = s->priv;
    return keyed_checkpoint(&st->parts, b, op);
}

static int upd_restore(OpState *s, StateStore *store, int op)
{
    UState *st = s->priv;
    return keyed_restore(&st->parts, store, op);
}

/* ---- lifecycle ---- */

static int upd_init(OpState *s)
{
    const PlanNode *n = s->node;
    const OverAggPlan *op = plan_over_agg(n);
    const PlanNode *in = n->inputs[0];
    UState *st = xcalloc(1, sizeof *st);
    s->priv = st;
    st->ncols = in->ncols;
    st->npass = op->npass;
    st->types = xcalloc((size_t)in->ncols, sizeof *st->types);
    for (int i = 0; i < in->ncols; i++) st->types[i] = in->cols[i].type;
    st->npart = op->npartition;
    st->ordcol = op->timecol;
    st->rows = op->rows;
    st->preceding = op->preceding;
    st->naggs = op->naggs;
    size_t accsize;
    JsonField *kf;
    if (over_setup(n, &st->partcols, &st->part_types, &kf, &st->specs, &st->slot, &accsize) >= 0) {
        free(kf);
        return job_fail(s->job, "OverAggregate: no accumulator for this aggregate");
    }
    st->acc = xcalloc(accsize ? accsize : 1, 1);
    st->res_types = xcalloc((size_t)(op->naggs ? op->naggs : 1), sizeof *st->res_types);
    for (int j = 0; j < op->naggs; j++) st->res_types[j] = n->cols[op->npass + j].type;
    st->res = xcalloc((size_t)(op->naggs ? op->naggs : 1), sizeof *st->res);
    st->scratch = xcalloc((size_t)in->ncols, sizeof *st->scratch);
    JsonField *vf = xcalloc(1, sizeof *vf);
    vf[0] = (JsonField){"rows", type_make(TY_BIGINT, false), op->npartition};
    KeyedConfig cfg = {
        .vsize = sizeof(UPart), .key_text = kf, .nkey_text = op->npartition, .val_text = vf, .nval_text = 1,
        .row_width = op->npartition + 1, .save = part_save, .load = part_load, .release = part_release,
    };
    keyed_init(&st->parts, s, &cfg);
    return 0;
}

static void upd_end(OpState *s)
{
    UState *st = s->priv;
    if (!st) return;
    keyed_free(&st->parts);
    sb_free(&st->key);
    sb_free(&st->row);
    sb_free(&st->before);
    sb_free(&st->after);
    free(st->boff);
    free(st->aoff);
    free(st->types);
    free(st->partcols);
    free(st->part_types);
    free(st->specs);
    free(st->slot);
    free(st->acc);
    free(st->res);
    free(st->res_types);
    free(st->scratch);
    free(st);
}

static void upd_fingerprint(const PlanNode *n, StrBuf *out)
{
    const OverAggPlan *op = plan_over_agg(n);
    sb_printf(out, "OverAggregate/updating/1 order=%d rows=%d preceding=%" PRId64, op->timecol, op->rows, op->preceding);
    over_fingerprint_rest(n, out);
}

const OpVTable op_over_update_vt = {
    .init = upd_init, .process = upd_process, .checkpoint = upd_checkpoint, .restore = upd_restore, .end = upd_end,
    .fingerprint = upd_fingerprint,
};
