/*
 * op_over.c — OVER aggregation (OverAggPlan), Flink's OverAggregate: every
 * input row goes out once, append-only, with the aggregates over its frame
 * in its partition:
 *   ROWS  BETWEEN n PRECEDING AND CURRENT ROW   the row and the n rows before it
 *   RANGE BETWEEN t PRECEDING AND CURRENT ROW   the rows whose time is within t
 *                                               before the row's, and every row of
 *                                               the same time (they share results)
 *   … UNBOUNDED PRECEDING                       every row so far
 *
 * Event time: a row waits in its partition's pending list (sorted by time,
 * equal times in arrival order) until the watermark reaches its time, then
 * the partition's ready rows go out in time order.  A row whose time the
 * watermark has already reached (or a NULL time) is late: counted in
 * JobStats.late and dropped, as Flink drops it.  Processing time: each row
 * goes out as it comes, in arrival order.
 *
 * State per partition (a Keyed, keyed.h, from the encoded partition key to
 * an OverPart): the accumulators (agg.c; with retraction for bounded
 * frames), the pending rows, and for a bounded frame the rows still in
 * it (oldest first, retracted as they leave).  Rows are kept as their
 * rowkey encoding with their time.  The watermark is checkpointed beside
 * the state (keyed_checkpoint_wm).
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

typedef struct OverPart {
    unsigned char *acc;   /* the accumulators, OverState.accsize bytes */
    RowList   pend;       /* event time: rows waiting for the watermark, by time */
    RowList   frame;      /* bounded frames: the rows in the frame, oldest first */
    bool      queued;     /* in OverState.queue */
} OverPart;

typedef struct OverState {
    Keyed     parts;      /* partition key → OverPart (first) */
    int       ncols;      /* input width */
    int       npass;      /* columns passed on */
    Type     *types;      /* input column types */
    int       npart;      /* partition width */
    int      *partcols;   /* partition columns */
    Type     *part_types; /* their types */
    int       timecol;    /* event-time column, -1 = processing time */
    bool      rows;       /* ROWS frame (else RANGE) */
    int64_t   preceding;  /* frame start, -1 = unbounded */
    int       naggs;      /* aggregates */
    AggSpec  *specs;      /* their accumulators */
    size_t   *slot;       /* offset of each in OverPart.acc */
    size_t    accsize;    /* their total size */
    Type     *out_types;  /* output column types */
    KeyedEntry **queue;   /* partitions with pending rows */
    int       nqueue, capqueue;
    Value    *scratch;    /* a decoded row */
    StrBuf    key, row;   /* scratch encodings */
    char      err[256];   /* an aggregate's error */
} OverState;
_Static_assert(offsetof(OverState, parts) == 0, "keyed_op_* expect the Keyed first");

static void part_init(OverState *st, OverPart *p)
{
    memset(p, 0, sizeof *p);
    p->acc = xcalloc(st->accsize ? st->accsize : 1, 1);
    for (int j = 0; j < st->naggs; j++) agg_init(&st->specs[j], p->acc + st->slot[j]);
}

static void queue_add(OverState *st, KeyedEntry *e)
{
    OverPart *p = keyed_payload(e);
    if (p->queued) return;
    if (st->nqueue == st->capqueue) {
        st->capqueue = st->capqueue ? st->capqueue * 2 : 16;
        st->queue = realloc(st->queue, sizeof(KeyedEntry *) * (size_t)st->capqueue);
        if (!st->queue) abort();
    }
    st->queue[st->nqueue++] = e;
    p->queued = true;
}

/* ---- checkpoint and restore: accumulators, pending rows, frame rows ---- */

static int part_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const OverState *st = s->priv;
    const OverPart *p = keyed_payload(e);
    for (int j = 0; j < st->naggs; j++) {
        StrBuf one = {0};
        agg_save(&st->specs[j], p->acc + st->slot[j], &one);
        put_varint(val, one.len);
        sb_putn(val, one.s ? one.s : "", one.len);
        sb_free(&one);
    }
    over_rows_save(val, &p->pend);
    over_rows_save(val, &p->frame);
    rowkey_decode(keyed_key(e), e->klen, st->part_types, row, st->npart, NULL);
    row[st->npart] = (Value){.i = rl_count(&p->pend)};
    row[st->npart + 1] = (Value){.i = rl_count(&p->frame)};
    return 0;
}

static int part_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    OverState *st = s->priv;
    OverPart *p = keyed_payload(e);
    part_init(st, p);
    const unsigned char *q = val, *end = q + vlen;
    for (int j = 0; j < st->naggs; j++) {
        uint64_t len;
        size_t used;
        if (rowkey_get_varint(&q, end, &len) || len > (uint64_t)(end - q) ||
            agg_load(&st->specs[j], p->acc + st->slot[j], (const char *)q, (size_t)len, &used) || used != len)
            goto bad;
        q += len;
    }
    if (over_rows_load(st->types, st->ncols, st->scratch, &q, end, &p->pend) ||
        over_rows_load(st->types, st->ncols, st->scratch, &q, end, &p->frame) || q != end) goto bad;
    return 0;
bad:
    for (int j = 0; j < st->naggs; j++) agg_free(&st->specs[j], p->acc + st->slot[j]);
    free(p->acc);
    rl_free(&p->pend);
    rl_free(&p->frame);
    memset(p, 0, sizeof *p);
    return job_fail(s->job, "state file: a partition of OverAggregate is unreadable (is the file damaged?)");
}

static void part_release(OpState *s, KeyedEntry *e)
{
    OverState *st = s->priv;
    OverPart *p = keyed_payload(e);
    if (p->acc)
        for (int j = 0; j < st->naggs; j++) agg_free(&st->specs[j], p->acc + st->slot[j]);
    free(p->acc);
    rl_free(&p->pend);
    rl_free(&p->frame);
    memset(p, 0, sizeof *p);
}

static int over_checkpoint(OpState *s, StateBatch *b, int op)
{
    OverState *st = s->priv;
    return keyed_checkpoint_wm(&st->parts, b, op, s->stats.watermark);
}

static int over_restore(OpState *s, StateStore *store, int op)
{
    OverState *st = s->priv;
    if (keyed_restore_wm(&st->parts, store, op, &s->stats.watermark) || keyed_restore(&st->parts, store, op)) return -1;
    st->nqueue = 0;
    HtabIter it;
    htab_iter_init(&st->parts.table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&st->parts.table, &it));) {
        OverPart *p = keyed_payload(e);
        p->queued = false;
        if (rl_count(&p->pend)) queue_add(st, e);
    }
    return 0;
}

/* ---- lifecycle ---- */

static int over_init(OpState *s)
{
    const PlanNode *n = s->node;
    const OverAggPlan *op = plan_over_agg(n);
    const PlanNode *in = n->inputs[0];
    OverState *st = xcalloc(1, sizeof *st);
    s->priv = st;
    st->ncols = in->ncols;
    st->npass = op->npass;
    st->types = xcalloc((size_t)in->ncols, sizeof *st->types);
    for (int i = 0; i < in->ncols; i++) st->types[i] = in->cols[i].type;
    st->out_types = xcalloc((size_t)n->ncols, sizeof *st->out_types);
    for (int i = 0; i < n->ncols; i++) st->out_types[i] = n->cols[i].type;
    st->npart = op->npartition;
    st->timecol = op->timecol;
    st->rows = op->rows;
    st->preceding = op->preceding;
    st->naggs = op->naggs;
    JsonField *kf;
    int bad = over_setup(n, &st->partcols, &st->part_types, &kf, &st->specs, &st->slot, &st->accsize);
    if (bad >= 0) {
        free(kf);
        return job_fail(s->job, "OverAggregate: no accumulator for %s", op->aggs[bad]->fn ? "this aggregate" : "?");
    }
    st->scratch = xcalloc((size_t)in->ncols, sizeof *st->scratch);
    JsonField *vf = xcalloc(2, sizeof *vf);
    vf[0] = (JsonField){"pending", type_make(TY_BIGINT, false), op->npartition};
    vf[1] = (JsonField){"frame", type_make(TY_BIGINT, false), op->npartition + 1};
    KeyedConfig cfg = {
        .vsize = sizeof(OverPart), .key_text = kf, .nkey_text = op->npartition, .val_text = vf, .nval_text = 2,
        .row_width = op->npartition + 2, .save = part_save, .load = part_load, .release = part_release,
    };
    keyed_init(&st->parts, s, &cfg);
    return 0;
}

static void over_end(OpState *s)
{
    OverState *st = s->priv;
    if (!st) return;
    keyed_free(&st->parts);
    sb_free(&st->key);
    sb_free(&st->row);
    free(st->types);
    free(st->out_types);
    free(st->partcols);
    free(st->part_types);
    free(st->specs);
    free(st->slot);
    free(st->scratch);
    free(st->queue);
    free(st);
}

/* ---- the frame ---- */

/* Adds (sign 1) or retracts (-1) row r into p's accumulators. */
static int accumulate(OpState *s, OverPart *p, const OverRow *r, int sign)
{
    OverState *st = s->priv;
    if (rowkey_decode(r->bytes, r->len, st->types, st->scratch, st->ncols, NULL))
        return job_fail(s->job, "OverAggregate: a kept row does not decode");
    for (int j = 0; j < st->naggs; j++) {
        const BExpr *a = st->specs[j].call->a;
        const Value *v = a ? &st->scratch[a->col] : NULL;
        if (!agg_passes(&st->specs[j], st->scratch)) continue;   /* no FILTER here: the binder refuses it over OVER */
        if (agg_update(&st->specs[j], p->acc + st->slot[j], v, sign, st->err, sizeof st->err))
            return job_fail(s->job, "OverAggregate: %s", st->err);
    }
    return 0;
}

/* Emits row r with p's current results. */
static void emit(OpState *s, OverPart *p, const OverRow *r, Batch *out)
{
    OverState *st = s->priv;
    Arena *arena = &s->job->batch_arena;
    Value *v = batch_add(out, RK_INSERT, r->ts);
    rowkey_decode(r->bytes, r->len, st->types, st->scratch, st->ncols, arena);
    memcpy(v, st->scratch, sizeof(Value) * (size_t)st->npass);
    for (int j = 0; j < st->naggs; j++) {
        agg_result(&st->specs[j], p->acc + st->slot[j], &v[st->npass + j]);
        value_copy_into(arena, st->out_types[st->npass + j], &v[st->npass + j]);
    }
}

/* Rows rs[0..n) of one time (RANGE) or one row (ROWS) reach the frame:
 * add them, retract what leaves, emit each.  The rows move into the
 * frame (bounded) or are freed. */
static int rows_arrive(OpState *s, OverPart *p, OverRow **rs, int n, Batch *out)
{
    OverState *st = s->priv;
    for (int i = 0; i < n; i++)
        if (accumulate(s, p, rs[i], 1)) return -1;
    if (st->preceding >= 0) {
        for (int i = 0; i < n; i++) rl_insert(&p->frame, rl_count(&p->frame), rs[i]);
        if (st->rows) {
            while (rl_count(&p->frame) - 1 > st->preceding) {
                OverRow *old = rl_pop(&p->frame);
                int rc = accumulate(s, p, old, -1);
                free(old);
                if (rc) return -1;
            }
        } else {
            int64_t from = rs[0]->ts - st->preceding;
            while (rl_count(&p->frame) && rl_at(&p->frame, 0)->ts < from) {
                OverRow *old = rl_pop(&p->frame);
                int rc = accumulate(s, p, old, -1);
                free(old);
                if (rc) return -1;
            }
        }
    }
    for (int i = 0; i < n; i++) emit(s, p, rs[i], out);
    if (st->preceding < 0)
        for (int i = 0; i < n; i++) free(rs[i]);
    return 0;
}

/* ---- process / advance ---- */

static KeyedEntry *part_of(OverState *st, const Value *row, uint64_t *h)
{
    Keyed *k = &st->parts;
    st->key.len = 0;
    rowkey_encode(&st->key, st->part_types, row, st->partcols, st->npart);
    *h = keyed_hash(st->key.s, st->key.len);
    KeyedEntry *e = keyed_find(k, st->key.s, st->key.len, *h);
    if (!e) {
        e = keyed_insert(k, st->key.s, st->key.len, *h, sizeof(OverPart));
        part_init(st, keyed_payload(e));
    }
    return e;
}

static int over_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    OverState *st = s->priv;
    for (int i = 0; i < in->n; i++) {
        if (!rowkind_is_add(in->kinds[i])) continue;   /* the planner gives it an append-only input */
        const Value *row = batch_row(in, i);
        int64_t ts;
        if (st->timecol >= 0) {
            const Value *t = &row[st->timecol];
            if (t->null || t->i <= s->stats.watermark) {
                s->job->stats.late++;   /* its time has passed: Flink drops it */
                continue;
            }
            ts = t->i;
        } else {
            ts = s->job->clock_ms;
        }
        uint64_t h;
        KeyedEntry *e = part_of(st, row, &h);
        OverPart *p = keyed_payload(e);
        st->row.len = 0;
        rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
        OverRow *r = row_new(ts, st->row.s, st->row.len);
        if (st->timecol >= 0) {
            /* after every pending row of the same or an earlier time */
            int lo = 0, hi = rl_count(&p->pend);
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (rl_at(&p->pend, mid)->ts <= ts) lo = mid + 1;
                else hi = mid;
            }
            rl_insert(&p->pend, lo, r);
            queue_add(st, e);
        } else if (rows_arrive(s, p, &r, 1, out)) {
            return -1;
        }
        keyed_touch(&st->parts, e);
    }
    return 0;
}

static int over_advance(OpState *s, int64_t wm, Batch *out)
{
    OverState *st = s->priv;
    int keep = 0;
    for (int q = 0; q < st->nqueue; q++) {
        KeyedEntry *e = st->queue[q];
        OverPart *p = keyed_payload(e);
        bool moved = false;
        while (rl_count(&p->pend) && rl_at(&p->pend, 0)->ts <= wm) {
            OverRow *group[64];
            int n = 0;
            int64_t t = rl_at(&p->pend, 0)->ts;
            /* ROWS: one row at a time; RANGE: every row of this time together */
            do group[n++] = rl_pop(&p->pend);
            while (!st->rows && n < 64 && rl_count(&p->pend) && rl_at(&p->pend, 0)->ts == t);
            if (!st->rows && n == 64 && rl_count(&p->pend) && rl_at(&p->pend, 0)->ts == t) {
                /* more rows of one time than fit: they still share the frame, add them all first */
                for (int i = 0; i < n; i++)
                    if (accumulate(s, p, group[i], 1)) return -1;
                RowList extra = {0};
                for (int i = 0; i < n; i++) rl_insert(&extra, i, group[i]);
                while (rl_count(&p->pend) && rl_at(&p->pend, 0)->ts == t) {
                    OverRow *r = rl_pop(&p->pend);
                    if (accumulate(s, p, r, 1)) return -1;
                    rl_insert(&extra, rl_count(&extra), r);
                }
                /* retract what left, then emit each; the rows join the frame */
                if (st->preceding >= 0) {
                    int64_t from = t - st->preceding;
                    while (rl_count(&p->frame) && rl_at(&p->frame, 0)->ts < from) {
                        OverRow *old = rl_pop(&p->frame);
                        int rc = accumulate(s, p, old, -1);
                        free(old);
                        if (rc) return -1;
                    }
                }
                for (int i = 0; i < rl_count(&extra); i++) emit(s, p, rl_at(&extra, i), out);
                for (int i = 0; i < rl_count(&extra); i++) {
                    if (st->preceding >= 0) rl_insert(&p->frame, rl_count(&p->frame), rl_at(&extra, i));
                    else free(rl_at(&extra, i));
                }
                free(extra.v);
            } else if (rows_arrive(s, p, group, n, out)) {
                return -1;
            }
            moved = true;
        }
        if (moved) keyed_touch(&st->parts, e);
        if (rl_count(&p->pend)) st->queue[keep++] = e;
        else p->queued = false;
    }
    st->nqueue = keep;
    return 0;
}

int over_setup(const PlanNode *n, int **partcols, Type **part_types, JsonField **key_text, AggSpec **specs, size_t **slot,
               size_t *accsize)
{
    const OverAggPlan *op = plan_over_agg(n);
    const PlanNode *in = n->inputs[0];
    *partcols = xcalloc((size_t)(op->npartition ? op->npartition : 1), sizeof **partcols);
    *part_types = xcalloc((size_t)(op->npartition ? op->npartition : 1), sizeof **part_types);
    *key_text = xcalloc((size_t)(op->npartition ? op->npartition : 1), sizeof **key_text);
    for (int k = 0; k < op->npartition; k++) {
        (*partcols)[k] = op->partition[k];
        (*part_types)[k] = in->cols[op->partition[k]].type;
        (*key_text)[k] = (JsonField){in->cols[op->partition[k]].name, (*part_types)[k], k};
    }
    *specs = xcalloc((size_t)(op->naggs ? op->naggs : 1), sizeof **specs);
    *slot = xcalloc((size_t)(op->naggs ? op->naggs : 1), sizeof **slot);
    *accsize = 0;
    for (int j = 0; j < op->naggs; j++) {
        if (agg_spec_init(&(*specs)[j], op->aggs[j], op->preceding >= 0)) return j;
        (*slot)[j] = *accsize;
        *accsize += agg_state_size(&(*specs)[j]);
    }
    return -1;
}

/* What both OVER operators' fingerprints hold after their own head: the
 * partition, the aggregates, the input row and its lineage. */
void over_fingerprint_rest(const PlanNode *n, StrBuf *out)
{
    const OverAggPlan *op = plan_over_agg(n);
    sb_puts(out, " partition=");
    for (int k = 0; k < op->npartition; k++) sb_printf(out, "%d;", op->partition[k]);
    sb_puts(out, " aggs=");
    const PlanNode *in = n->inputs[0];
    const char **names = xcalloc((size_t)in->ncols, sizeof *names);
    for (int i = 0; i < in->ncols; i++) names[i] = in->cols[i].name;
    for (int j = 0; j < op->naggs; j++) {
        bexpr_print(out, op->aggs[j], names);
        sb_putc(out, ';');
    }
    free(names);
    sb_puts(out, " row=");
    for (int i = 0; i < in->ncols; i++) type_print(out, in->cols[i].type), sb_putc(out, ';');
    sb_puts(out, " input=");
    explain_lineage(in, out);
}

static void over_fingerprint(const PlanNode *n, StrBuf *out)
{
    const OverAggPlan *op = plan_over_agg(n);
    sb_printf(out, "OverAggregate/1 time=%d:%d rows=%d preceding=%" PRId64, op->timecol, (int)op->time, op->rows, op->preceding);
    over_fingerprint_rest(n, out);
}

const OpVTable op_over_vt = {
    .init = over_init, .process = over_process, .advance = over_advance, .checkpoint = over_checkpoint,
    .restore = over_restore, .end = over_end, .fingerprint = over_fingerprint,
};
