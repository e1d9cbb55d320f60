/*
 * op_interval_join.c — the event-time interval join (inner, left, right,
 * full outer), Flink's IntervalJoin: `a JOIN b ON a.k = b.k AND a.t
 * BETWEEN b.t - INTERVAL … AND b.t + …`.  Rows of both sides (append-only)
 * are kept per join key, each only as long as a row of the other side can
 * still match it; the watermark frees them.  What is not here: regular
 * joins (op_join.c), updating inputs (the planner refuses them).
 *
 * The bounds are on the left row's time minus the right row's: lower ≤
 * l.t − r.t ≤ upper.  Seen from either side, a row of time t meets rows of
 * the other side whose time is within [t + lo, t + hi] (left: lo = −upper,
 * hi = −lower; right: lo = lower, hi = upper).  Rows of the other side that
 * are not late come with times above the watermark, so a row of time t can
 * meet none of them once t + hi ≤ watermark: then it is freed, and a row of
 * an outer side that met nothing is emitted NULL-padded.  A row that
 * arrives already past that point is late: counted in JobStats.late, not
 * kept; as in Flink it still meets the other side's rows still kept, and
 * an outer side's late row that meets none comes out NULL-padded at once.
 * A row whose join key or time is NULL meets nothing (outer: NULL-padded
 * at once).  The output is append-only: a joined row is final, an outer
 * row comes once, when no match can come any more.
 *
 * State: one Keyed of stored rows, keyed [side][join key length][join
 * key][row] (rowkey bytes) as op_join.c keys them, the payload an IRec:
 * copies held, copies that met nothing yet (an outer side's), the row's
 * time.  In memory only (rebuilt on restore): a Bucket per side and join
 * key (the rows a probe walks) and each side's rows in a min-heap by time
 * (what the watermark frees from the top; rows of many partitions come
 * interleaved, so a sorted list would cost a walk per row).  The operator's watermark is
 * checkpointed beside the rows (meta interval_join.<op>.watermark), so a
 * restarted job judges late rows as the uninterrupted one did.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "eval.h"
#include "exec.h"
#include "join_rows.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

typedef struct Bucket Bucket;

/* A stored row: the payload of its keyed entry. */
typedef struct IRec {
    int64_t     count;     /* copies of the row the side holds */
    int64_t     unmatched; /* copies that met no row of the other side yet (a later match meets every copy) */
    int64_t     time;      /* the row's time attribute (ms) */
    KeyedEntry *prev, *next;       /* its bucket's list, in arrival order */
    Bucket     *bucket;    /* the side and join key it belongs to */
} IRec;

/* One side's rows of one join key (the index, not checkpointed). */
struct Bucket {
    KeyedEntry *head, *tail; /* rows */
    int64_t     nrows;    /* distinct rows in the list */
    uint32_t    klen;     /* key bytes: [side][join key length][join key] */
    _Alignas(8) unsigned char key[];
};

typedef struct ISide {
    int            ncols;  /* row width */
    int            off;    /* its first column in the output row */
    Type          *types;  /* row types */
    BExpr *const  *keys;   /* join key expressions over the row */
    int            timecol;/* its time attribute column */
    int64_t        lo, hi; /* a row of time t meets other-side rows of time t + lo … t + hi */
    bool           outer;  /* its unmatched rows come out NULL-padded */
    KeyedEntry   **heap;   /* its rows, a min-heap by time */
    int            nheap, capheap;
} ISide;

typedef struct IJoinState {
    Keyed       rows;     /* stored rows (first: keyed_op_checkpoint finds it here) */
    Htab        buckets;  /* [side][key] → Bucket */
    ISide       side[2];  /* left, right */
    int         nkeys;    /* join key width */
    Type       *key_types;/* their (common) types */
    const BExpr *residual;/* over the output row, or NULL */
    int         ncols;    /* output width */
    Value      *kv;       /* scratch: join key values */
    Value      *joined;   /* scratch: an output row */
    Value      *scratch;  /* restore: a decoded row */
    StrBuf      kbuf, kbuf2, rbuf; /* scratch: bucket keys, entry key */
} IJoinState;
_Static_assert(offsetof(IJoinState, rows) == 0, "keyed_op_* expect the Keyed first");

static inline IRec *rec_of(const KeyedEntry *e) { return keyed_payload(e); }

static const void *bucket_key(const void *entry, size_t *len)
{
    const Bucket *b = entry;
    *len = b->klen;
    return b->key;
}

/* Can no row of the other side that is not late meet a row of time t any more? */
static bool passed(int64_t t, int64_t hi, int64_t wm)
{
    if (wm == INT64_MIN) return false;
    if (wm == INT64_MAX) return true;
    int64_t end;
    if (__builtin_add_overflow(t, hi, &end)) return hi < 0;
    return end <= wm;
}

/* ---- the index: buckets and the time lists ---- */

static Bucket *bucket_get(OpState *s, const void *key, size_t klen, bool create)
{
    IJoinState *st = s->priv;
    uint64_t h = htab_hash(key, klen);
    Bucket *b = htab_find(&st->buckets, key, klen, h);
    if (b || !create) return b;
    b = malloc(sizeof *b + klen);
    if (!b) abort();
    b->head = b->tail = NULL;
    b->nrows = 0;
    b->klen = (uint32_t)klen;
    memcpy(b->key, key, klen);
    htab_insert(&st->buckets, b, h);
    s->stats.state_bytes += (int64_t)(sizeof *b + klen);
    return b;
}

static void heap_push(OpState *s, ISide *x, KeyedEntry *e)
{
    if (x->nheap == x->capheap) {
        int cap = x->capheap ? x->capheap * 2 : 64;
        x->heap = realloc(x->heap, sizeof *x->heap * (size_t)cap);
        if (!x->heap) abort();
        s->stats.state_bytes += (int64_t)(sizeof *x->heap * (size_t)(cap - x->capheap));
        x->capheap = cap;
    }
    int64_t t = rec_of(e)->time;
    int i = x->nheap++;
    while (i > 0 && rec_of(x->heap[(i - 1) / 2])->time > t) {
        x->heap[i] = x->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    x->heap[i] = e;
}

static KeyedEntry *heap_pop(ISide *x)
{
    KeyedEntry *top = x->heap[0], *last = x->heap[--x->nheap];
    int64_t t = rec_of(last)->time;
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= x->nheap) break;
        if (c + 1 < x->nheap && rec_of(x->heap[c + 1])->time < rec_of(x->heap[c])->time) c++;
        if (rec_of(x->heap[c])->time >= t) break;
        x->heap[i] = x->heap[c];
        i = c;
    }
    if (x->nheap) x->heap[i] = last;
    return top;
}

/* Into its bucket and its side's heap. */
static void link_rec(OpState *s, KeyedEntry *e, Bucket *b)
{
    IJoinState *st = s->priv;
    IRec *r = rec_of(e);
    r->bucket = b;
    r->next = NULL;
    r->prev = b->tail;
    if (b->tail) rec_of(b->tail)->next = e;
    else b->head = e;
    b->tail = e;
    b->nrows++;
    heap_push(s, &st->side[b->key[0]], e);
}

/* Out of its bucket (freed when empty): the Keyed's release hook.  A row
 * leaves its side's heap before (ij_advance pops it), or with the heap (the end). */
static void unlink_rec(OpState *s, KeyedEntry *e)
{
    IJoinState *st = s->priv;
    IRec *r = rec_of(e);
    Bucket *b = r->bucket;
    if (!b) return;
    if (r->prev) rec_of(r->prev)->next = r->next;
    else b->head = r->next;
    if (r->next) rec_of(r->next)->prev = r->prev;
    else b->tail = r->prev;
    r->bucket = NULL;
    if (--b->nrows == 0) {
        htab_remove(&st->buckets, b->key, b->klen, htab_hash(b->key, b->klen));
        s->stats.state_bytes -= (int64_t)(sizeof *b + b->klen);
        free(b);
    }
}

/* ---- checkpoint and restore: a stored row's value is count, unmatched
 * copies and time (varints); rows go into the state file packed (keyed.h:
 * binary records in chunks, no JSON texts) ---- */

static int rec_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    (void)s;
    (void)row;   /* packed: no texts */
    const IRec *r = rec_of(e);
    join_rows_put(val, r->count, r->unmatched, r->time);
    return 0;
}

static int rec_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    IJoinState *st = s->priv;
    IRec *r = rec_of(e);
    const Type *types[2] = {st->side[0].types, st->side[1].types};
    const int ncols[2] = {st->side[0].ncols, st->side[1].ncols};
    int64_t num[3];
    if (join_rows_get(keyed_key(e), e->klen, val, vlen, st->key_types, st->kv, st->nkeys, types, ncols, st->scratch, num) < 0)
        return job_fail(s->job, "state file: a row of IntervalJoin is unreadable (is the file damaged?)");
    r->count = num[0];
    r->unmatched = num[1];
    r->time = num[2];
    r->bucket = NULL;
    return 0;   /* linked by ij_restore, in time order */
}

static int ij_checkpoint(OpState *s, StateBatch *b, int op)
{
    IJoinState *st = s->priv;
    return keyed_checkpoint_wm(&st->rows, b, op, s->stats.watermark);
}

/* Restore the rows, index them, and the watermark. */
static int ij_restore(OpState *s, StateStore *store, int op)
{
    IJoinState *st = s->priv;
    if (keyed_restore_wm(&st->rows, store, op, &s->stats.watermark)) return -1;
    size_t n = keyed_count(&st->rows);
    if (n) {
        KeyedEntry **all = malloc(sizeof *all * n);
        if (!all) abort();
        size_t i = 0;
        HtabIter it;
        htab_iter_init(&st->rows.table, &it);
        for (KeyedEntry *e; (e = htab_iter_next(&st->rows.table, &it));) all[i++] = e;
        for (i = 0; i < n; i++) {
            const unsigned char *k = keyed_key(all[i]);
            link_rec(s, all[i], bucket_get(s, k, join_rows_prefix(k, all[i]->klen), true));
        }
        free(all);
    }
    return 0;
}

/* ---- lifecycle ---- */

static int ij_init(OpState *s)
{
    const IntervalJoinPlan *ip = plan_interval_join(s->node);
    const JoinPlan *jp = &ip->join;
    const PlanNode *n = &jp->node;
    IJoinState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    htab_init(&st->buckets, bucket_key);
    st->nkeys = jp->nkeys;
    st->residual = jp->residual;
    st->ncols = n->ncols;
    st->key_types = exec_join_key_types((const BExpr *const *)jp->lkeys, jp->nkeys);
    for (int sd = 0; sd < 2; sd++) {
        const PlanNode *in = n->inputs[sd];
        ISide *x = &st->side[sd];
        x->ncols = in->ncols;
        x->off = sd ? jp->nleft : 0;
        x->types = xcalloc((size_t)in->ncols, sizeof *x->types);
        for (int i = 0; i < in->ncols; i++) x->types[i] = in->cols[i].type;
        x->keys = sd ? jp->rkeys : jp->lkeys;
        x->timecol = sd ? ip->rtime : ip->ltime;
        x->lo = sd ? ip->lower : -ip->upper;
        x->hi = sd ? ip->upper : -ip->lower;
        x->outer = join_side_outer(jp->type, sd);
    }
    st->kv = xcalloc((size_t)(jp->nkeys ? jp->nkeys : 1), sizeof *st->kv);
    st->joined = xcalloc((size_t)n->ncols, sizeof *st->joined);
    int wide = st->side[0].ncols > st->side[1].ncols ? st->side[0].ncols : st->side[1].ncols;
    st->scratch = xcalloc((size_t)wide, sizeof *st->scratch);
    /* rows are checkpointed packed: no texts */
    KeyedConfig cfg = {
        .vsize = sizeof(IRec), .save = rec_save, .load = rec_load, .release = unlink_rec, .packed = true,
    };
    keyed_init(&st->rows, s, &cfg);
    return 0;
}

static void ij_end(OpState *s)
{
    IJoinState *st = s->priv;
    if (!st) return;
    keyed_free(&st->rows);   /* releases every row: the buckets go with them */
    HtabIter it;
    htab_iter_init(&st->buckets, &it);
    for (Bucket *b; (b = htab_iter_next(&st->buckets, &it));) free(b);
    htab_free(&st->buckets);
    for (int sd = 0; sd < 2; sd++) {
        free(st->side[sd].types);
        free(st->side[sd].heap);
    }
    free(st->key_types);
    free(st->kv);
    free(st->joined);
    free(st->scratch);
    sb_free(&st->kbuf);
    sb_free(&st->kbuf2);
    sb_free(&st->rbuf);
    free(st);
}

/* ---- process ---- */

/* Side sd's join key of row as the bucket key [sd][len][key] in out.
 * Returns 1 when the key has a NULL (it meets nothing), 0, or -1. */
static int join_key(OpState *s, int sd, const Value *row, StrBuf *out, EvalCtx *cx)
{
    IJoinState *st = s->priv;
    return exec_join_key(s, sd, st->side[sd].keys, st->nkeys, st->key_types, row, st->kv, out, cx);
}

/* Side sd's part of an output row: row, or NULLs. */
static void put_side(IJoinState *st, Value *dst, int sd, const Value *row)
{
    const ISide *x = &st->side[sd];
    if (row) memcpy(dst + x->off, row, sizeof(Value) * (size_t)x->ncols);
    else
        for (int i = 0; i < x->ncols; i++) dst[x->off + i] = (Value){.null = 1};
}

/* Stored row e of side sd into dst's part for that side, strings copied into the batch arena. */
static void put_stored(OpState *s, Value *dst, int sd, const KeyedEntry *e)
{
    IJoinState *st = s->priv;
    const unsigned char *k = keyed_key(e);
    size_t pl = join_rows_prefix(k, e->klen);
    const ISide *x = &st->side[sd];
    rowkey_decode((const char *)k + pl, e->klen - pl, x->types, dst + x->off, x->ncols, &s->job->batch_arena);
}

static void emit(OpState *s, Batch *out, int64_t ts, const Value *row, int64_t copies)
{
    IJoinState *st = s->priv;
    for (int64_t c = 0; c < copies; c++) memcpy(batch_add(out, RK_INSERT, ts), row, sizeof(Value) * (size_t)st->ncols);
}

/* Row x (time t) of side sd meets the other side's kept rows of its key
 * and time range: emits the joined rows; returns how many rows it met, or -1. */
static int64_t probe(OpState *s, int sd, const Value *x, int64_t t, int64_t ts, Batch *out, EvalCtx *cx)
{
    IJoinState *st = s->priv;
    const ISide *me = &st->side[sd];
    st->kbuf2.len = 0;
    sb_putn(&st->kbuf2, st->kbuf.s, st->kbuf.len);
    st->kbuf2.s[0] ^= 1;
    Bucket *b = bucket_get(s, st->kbuf2.s, st->kbuf2.len, false);
    if (!b) return 0;
    int64_t from = t + me->lo, to = t + me->hi, met = 0;
    for (KeyedEntry *e = b->head; e; e = rec_of(e)->next) {
        IRec *r = rec_of(e);
        if (r->time < from || r->time > to) continue;
        put_side(st, st->joined, sd, x);
        put_stored(s, st->joined, 1 - sd, e);
        if (st->residual) {
            int ok = eval_pred(st->residual, st->joined, cx);
            if (ok < 0) return exec_eval_fail(s, cx->errpos, cx->err);
            if (!ok) continue;
        }
        emit(s, out, ts, st->joined, r->count);
        met += r->count;
        if (r->unmatched) {
            r->unmatched = 0;
            keyed_touch(&st->rows, e);
        }
    }
    return met;
}

/* Keeps one copy of row x (time t) of side sd, under bucket key st->kbuf. */
static void store(OpState *s, int sd, const Value *x, int64_t t, bool met)
{
    IJoinState *st = s->priv;
    st->rbuf.len = 0;
    sb_putn(&st->rbuf, st->kbuf.s, st->kbuf.len);
    rowkey_encode(&st->rbuf, st->side[sd].types, x, NULL, st->side[sd].ncols);
    uint64_t h = keyed_hash(st->rbuf.s, st->rbuf.len);
    KeyedEntry *e = keyed_find(&st->rows, st->rbuf.s, st->rbuf.len, h);
    if (e) {
        rec_of(e)->count++;
        if (!met) rec_of(e)->unmatched++;
        keyed_touch(&st->rows, e);
        return;
    }
    e = keyed_insert(&st->rows, st->rbuf.s, st->rbuf.len, h, sizeof(IRec));
    IRec *r = rec_of(e);
    r->count = 1;
    r->unmatched = met ? 0 : 1;
    r->time = t;
    link_rec(s, e, bucket_get(s, st->kbuf.s, st->kbuf.len, true));
}

static int ij_one(OpState *s, int sd, const Value *x, int64_t ts, Batch *out, EvalCtx *cx)
{
    IJoinState *st = s->priv;
    const ISide *me = &st->side[sd];
    const Value *tv = &x[me->timecol];
    int nul = tv->null ? 1 : join_key(s, sd, x, &st->kbuf, cx);
    if (nul < 0) return -1;
    int64_t met = 0;
    bool keep = false;
    if (!nul) {
        int64_t t = tv->i;
        met = probe(s, sd, x, t, ts, out, cx);
        if (met < 0) return -1;
        keep = !passed(t, me->hi, s->stats.watermark);
        if (keep) store(s, sd, x, t, met > 0);
        else s->job->stats.late++;
    }
    if (!keep && met == 0 && me->outer) {
        put_side(st, st->joined, sd, x);
        put_side(st, st->joined, 1 - sd, NULL);
        emit(s, out, ts, st->joined, 1);
    }
    return 0;
}

static int ij_process(OpState *s, int port, Batch *in, Batch *out)
{
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    for (int i = 0; i < in->n; i++) {
        s->cur_row = i;
        if (!rowkind_is_add(in->kinds[i])) return job_fail(s->job, "IntervalJoin: an input sent a retraction (its inputs must be append-only)");
        if (ij_one(s, port, batch_row(in, i), in->ts[i], out, &cx)) return -1;
    }
    return 0;
}

/* The watermark rose: rows no row of the other side can meet any more go,
 * an outer side's unmatched ones NULL-padded. */
static int ij_advance(OpState *s, int64_t wm, Batch *out)
{
    IJoinState *st = s->priv;
    for (int sd = 0; sd < 2; sd++) {
        ISide *x = &st->side[sd];
        while (x->nheap && passed(rec_of(x->heap[0])->time, x->hi, wm)) {
            KeyedEntry *e = heap_pop(x);
            IRec *r = rec_of(e);
            if (x->outer && r->unmatched) {
                put_stored(s, st->joined, sd, e);
                put_side(st, st->joined, 1 - sd, NULL);
                emit(s, out, r->time, st->joined, r->unmatched);
            }
            keyed_remove(&st->rows, e, keyed_hash(keyed_key(e), e->klen));
        }
    }
    return 0;
}

/* What identifies the state's layout (read from the plan: no OpState here). */
static void ij_fingerprint(const PlanNode *n, StrBuf *out)
{
    const IntervalJoinPlan *ip = plan_interval_join(n);
    const JoinPlan *jp = &ip->join;
    const char **names = xcalloc((size_t)n->ncols, sizeof *names);
    for (int i = 0; i < n->ncols; i++) names[i] = n->cols[i].name;
    sb_printf(out, "IntervalJoin/1 type=%d time=%d,%d bounds=%lld,%lld keys=", (int)jp->type, ip->ltime, ip->rtime, (long long)ip->lower,
              (long long)ip->upper);
    for (int k = 0; k < jp->nkeys; k++) {
        bexpr_print(out, jp->lkeys[k], names);
        sb_putc(out, '=');
        bexpr_print(out, jp->rkeys[k], names + jp->nleft);
        sb_putc(out, ':');
        type_print(out, jp->lkeys[k]->type);
        sb_putc(out, ';');
    }
    for (int sd = 0; sd < 2; sd++) {
        sb_puts(out, sd ? " right=" : " left=");
        const PlanNode *in = n->inputs[sd];
        for (int i = 0; i < in->ncols; i++) type_print(out, in->cols[i].type), sb_putc(out, ';');
    }
    if (jp->residual) {
        sb_puts(out, " residual=");
        bexpr_print(out, jp->residual, names);
    }
    free(names);
    sb_puts(out, " input0=");
    explain_lineage(n->inputs[0], out);
    sb_puts(out, " input1=");
    explain_lineage(n->inputs[1], out);
}

const OpVTable op_interval_join_vt = {
    .init = ij_init, .process = ij_process, .advance = ij_advance, .checkpoint = ij_checkpoint,
    .restore = ij_restore, .end = ij_end, .fingerprint = ij_fingerprint,
};
