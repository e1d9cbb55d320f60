/*
 * op_temporal_join.c — the event-time temporal join, Flink's
 * `o JOIN rates FOR SYSTEM_TIME AS OF o.ts ON o.currency = rates.currency`
 * (inner or LEFT): each left (probe) row meets the version of the right
 * (versioned) row of its key that was valid at the probe's time — the
 * latest version whose time is at or before it.  What is not here: regular
 * and interval joins (op_join.c, op_interval_join.c), processing-time
 * temporal joins (the binder refuses them).
 *
 * The right input is the versioned table's changelog: +I and +U are
 * versions at their time attribute, a -D ends the version of its time (as
 * Flink keys versions by time, the deleted row's), -U is ignored.  A probe
 * row waits until the watermark (the smaller of both inputs') passes its
 * time — then no version at or before that time can come any more without
 * being late — and meets the version valid then (LEFT: NULL-padded when
 * none).  A probe row that arrives with its time already passed is late:
 * counted in JobStats.late and joined at once against the versions still
 * held, as Flink joins it at its next watermark.  A version arriving behind
 * the watermark is counted late too and kept (only later late probes can
 * see it).  A NULL key or time meets nothing (LEFT: padded at once).
 *
 * State: one Keyed of two kinds of entries.
 *   probe rows   key [0][time, 8 bytes big-endian][join key length][join key][row],
 *                payload the number of copies (int64)
 *   versions     key [1][join key length][join key][time, 8 bytes big-endian],
 *                payload [deleted (1 byte)][row (rowkey bytes)]
 * Payloads are exactly the stored values (KeyedConfig.vsize 0), so the
 * in-memory index lives beside them: the probe rows in a min-heap by time
 * (rows of many partitions come interleaved), and per join key a Bucket with its versions in time order.  The
 * versions the watermark has made unreachable — all but the latest at or
 * before it — are freed when the watermark passes the next version's time
 * (a heap of buckets by that time).  The watermark is checkpointed beside
 * the rows (meta temporal_join.<op>.watermark).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "eval.h"
#include "exec.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

/* One join key's versions, oldest first (the index, not checkpointed). */
typedef struct Bucket {
    KeyedEntry **v;       /* version entries by time */
    int          n, cap;  /* count, capacity */
    int          queued;  /* times it is in the clean-up heap (freed only at 0 and empty) */
    uint32_t     klen;    /* key bytes: [1][join key length][join key] */
    _Alignas(8) unsigned char key[];
} Bucket;

/* A pending clean-up: bucket b has a version at time t the watermark has not passed. */
typedef struct Cleanup {
    int64_t t;
    Bucket *b;
} Cleanup;

typedef struct TJoinState {
    Keyed       rows;     /* probe rows and versions (first: keyed_op_checkpoint finds it here) */
    Htab        buckets;  /* [1][key] → Bucket */
    KeyedEntry **probes;  /* probe entries, a min-heap by time */
    int          nprobes, capprobes;
    Cleanup     *heap;    /* min-heap by t */
    int          nheap, capheap;
    int          nkeys;   /* join key width */
    Type        *key_types;
    BExpr *const *lkeys, *const *rkeys;
    int          ltime, rtime; /* time columns of each input */
    int          nleft, nright; /* input widths */
    Type        *ltypes, *rtypes;
    bool         outer;   /* LEFT: probe rows without a version come NULL-padded */
    const BExpr *residual;/* over the output row, or NULL */
    int          ncols;   /* output width */
    Value       *kv;      /* scratch: join key values */
    Value       *joined;  /* scratch: an output row */
    Value       *lrow;    /* scratch: a probe row decoded from state */
    StrBuf       kbuf, rbuf, vbuf; /* scratch */
} TJoinState;
_Static_assert(offsetof(TJoinState, rows) == 0, "keyed_op_* expect the Keyed first");

static const void *bucket_key(const void *entry, size_t *len)
{
    const Bucket *b = entry;
    *len = b->klen;
    return b->key;
}

static void put_be64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v ^ (UINT64_C(1) << 63);   /* order-preserving for negative times */
    for (int i = 7; i >= 0; i--, u >>= 8) p[i] = (unsigned char)u;
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = u << 8 | p[i];
    return (int64_t)(u ^ (UINT64_C(1) << 63));
}

static int64_t probe_time(const KeyedEntry *e) { return get_be64((const unsigned char *)keyed_key(e) + 1); }
static int64_t version_time(const KeyedEntry *e) { return get_be64((const unsigned char *)keyed_key(e) + e->klen - 8); }
static int64_t probe_count(const KeyedEntry *e)
{
    int64_t c;
    memcpy(&c, keyed_payload(e), sizeof c);
    return c;
}

/* ---- the clean-up heap ---- */

static void heap_push(TJoinState *st, int64_t t, Bucket *b)
{
    if (st->nheap == st->capheap) {
        st->capheap = st->capheap ? st->capheap * 2 : 64;
        st->heap = realloc(st->heap, sizeof *st->heap * (size_t)st->capheap);
        if (!st->heap) abort();
    }
    int i = st->nheap++;
    while (i > 0 && st->heap[(i - 1) / 2].t > t) {
        st->heap[i] = st->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    st->heap[i] = (Cleanup){t, b};
    b->queued++;
}

static Cleanup heap_pop(TJoinState *st)
{
    Cleanup top = st->heap[0], last = st->heap[--st->nheap];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= st->nheap) break;
        if (c + 1 < st->nheap && st->heap[c + 1].t < st->heap[c].t) c++;
        if (st->heap[c].t >= last.t) break;
        st->heap[i] = st->heap[c];
        i = c;
    }
    if (st->nheap) st->heap[i] = last;
    return top;
}

/* ---- buckets ---- */

static Bucket *bucket_get(OpState *s, const void *key, size_t klen, bool create)
{
    TJoinState *st = s->priv;
    uint64_t h = htab_hash(key, klen);
    Bucket *b = htab_find(&st->buckets, key, klen, h);
    if (b || !create) return b;
    b = calloc(1, sizeof *b + klen);
    if (!b) abort();
    b->klen = (uint32_t)klen;
    memcpy(b->key, key, klen);
    htab_insert(&st->buckets, b, h);
    s->stats.state_bytes += (int64_t)(sizeof *b + klen);
    return b;
}

static void bucket_maybe_free(OpState *s, Bucket *b)
{
    TJoinState *st = s->priv;
    if (b->n || b->queued) return;
    htab_remove(&st->buckets, b->key, b->klen, htab_hash(b->key, b->klen));
    s->stats.state_bytes -= (int64_t)(sizeof *b + b->klen + sizeof(KeyedEntry *) * (size_t)b->cap);
    free(b->v);
    free(b);
}

/* The index of the latest version at or before t, or -1. */
static int bucket_find(const Bucket *b, int64_t t)
{
    int lo = 0, hi = b->n;   /* first version after t */
    while (lo < hi) {
        int m = (lo + hi) / 2;
        if (version_time(b->v[m]) <= t) lo = m + 1;
        else hi = m;
    }
    return lo - 1;
}

/* Inserts version e (not yet in b) in time order. */
static void bucket_insert(OpState *s, Bucket *b, KeyedEntry *e)
{
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 2;
        b->v = realloc(b->v, sizeof *b->v * (size_t)cap);
        if (!b->v) abort();
        s->stats.state_bytes += (int64_t)(sizeof(KeyedEntry *) * (size_t)(cap - b->cap));
        b->cap = cap;
    }
    int at = bucket_find(b, version_time(e)) + 1;
    memmove(b->v + at + 1, b->v + at, sizeof *b->v * (size_t)(b->n - at));
    b->v[at] = e;
    b->n++;
}

/* Frees the versions no probe that is not late can reach at watermark wm:
 * those before the latest at or before wm (and that one too when it is a
 * delete: it hides nothing a probe could find instead). */
static void bucket_clean(OpState *s, Bucket *b, int64_t wm)
{
    TJoinState *st = s->priv;
    int k = bucket_find(b, wm);
    if (k < 0) return;
    const unsigned char *pl = keyed_payload(b->v[k]);
    int drop = pl[0] ? k + 1 : k;
    for (int i = 0; i < drop; i++) {
        KeyedEntry *e = b->v[i];
        keyed_remove(&st->rows, e, keyed_hash(keyed_key(e), e->klen));
    }
    memmove(b->v, b->v + drop, sizeof *b->v * (size_t)(b->n - drop));
    b->n -= drop;
}

/* ---- the probe rows in time order ---- */

static void probes_insert(TJoinState *st, KeyedEntry *e)
{
    if (st->nprobes == st->capprobes) {
        st->capprobes = st->capprobes ? st->capprobes * 2 : 64;
        st->probes = realloc(st->probes, sizeof *st->probes * (size_t)st->capprobes);
        if (!st->probes) abort();
    }
    int64_t t = probe_time(e);
    int i = st->nprobes++;
    while (i > 0 && probe_time(st->probes[(i - 1) / 2]) > t) {
        st->probes[i] = st->probes[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    st->probes[i] = e;
}

static KeyedEntry *probes_pop(TJoinState *st)
{
    KeyedEntry *top = st->probes[0], *last = st->probes[--st->nprobes];
    int64_t t = probe_time(last);
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= st->nprobes) break;
        if (c + 1 < st->nprobes && probe_time(st->probes[c + 1]) < probe_time(st->probes[c])) c++;
        if (probe_time(st->probes[c]) >= t) break;
        st->probes[i] = st->probes[c];
        i = c;
    }
    if (st->nprobes) st->probes[i] = last;
    return top;
}

/* ---- checkpoint and restore (the payload is the stored value) ---- */

static int rec_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const TJoinState *st = s->priv;
    const unsigned char *k = keyed_key(e), *p = keyed_payload(e);
    sb_putn(val, (const char *)p, e->vlen);
    for (int i = 0; i < 3 + st->ncols; i++) row[i] = (Value){.null = 1};
    row[0] = k[0] ? (Value){.s = "version", .n = 7} : (Value){.s = "probe", .n = 5};
    if (k[0]) {
        row[1] = (Value){.i = version_time(e)};
        row[2] = (Value){.i = p[0]};
        rowkey_decode((const char *)p + 1, e->vlen - 1, st->rtypes, row + 3 + st->nleft, st->nright, NULL);
    } else {
        row[1] = (Value){.i = probe_time(e)};
        row[2] = (Value){.i = probe_count(e)};
        const unsigned char *q = k + 9;
        uint64_t jl;
        if (!rowkey_get_varint(&q, k + e->klen, &jl) && jl <= (uint64_t)(k + e->klen - q))
            rowkey_decode((const char *)q + jl, (size_t)(k + e->klen - q - jl), st->ltypes, row + 3, st->nleft, NULL);
    }
    return 0;
}

static int rec_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    (void)val;
    const unsigned char *k = keyed_key(e);
    bool ok = e->klen >= 10 && k[0] < 2 && (k[0] ? vlen >= 1 : vlen == sizeof(int64_t));
    if (!ok) return job_fail(s->job, "state file: a row of TemporalJoin is unreadable (is the file damaged?)");
    return 0;   /* indexed by tj_restore */
}

static int cmp_entry_time(const void *a, const void *b)
{
    const KeyedEntry *x = *(KeyedEntry *const *)a, *y = *(KeyedEntry *const *)b;
    const unsigned char *kx = keyed_key(x), *ky = keyed_key(y);
    if (kx[0] != ky[0]) return kx[0] < ky[0] ? -1 : 1;
    int64_t tx = kx[0] ? version_time(x) : probe_time(x), ty = ky[0] ? version_time(y) : probe_time(y);
    return tx < ty ? -1 : tx > ty;
}

static int tj_checkpoint(OpState *s, StateBatch *b, int op)
{
    TJoinState *st = s->priv;
    return keyed_checkpoint_wm(&st->rows, b, op, s->stats.watermark);
}

static int tj_restore(OpState *s, StateStore *store, int op)
{
    TJoinState *st = s->priv;
    if (keyed_restore_wm(&st->rows, store, op, &s->stats.watermark)) return -1;
    size_t n = keyed_count(&st->rows);
    if (!n) return 0;
    KeyedEntry **all = malloc(sizeof *all * n);
    if (!all) abort();
    size_t i = 0;
    HtabIter it;
    htab_iter_init(&st->rows.table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&st->rows.table, &it));) all[i++] = e;
    qsort(all, n, sizeof *all, cmp_entry_time);
    for (i = 0; i < n; i++) {
        KeyedEntry *e = all[i];
        const unsigned char *k = keyed_key(e);
        if (!k[0]) {
            probes_insert(st, e);
            continue;
        }
        Bucket *b = bucket_get(s, k, e->klen - 8, true);
        bucket_insert(s, b, e);
        if (version_time(e) > s->stats.watermark) heap_push(st, version_time(e), b);
    }
    free(all);
    return 0;
}

/* ---- lifecycle ---- */

static int tj_init(OpState *s)
{
    const TemporalJoinPlan *tp = plan_temporal_join(s->node);
    const JoinPlan *jp = &tp->join;
    const PlanNode *n = &jp->node;
    TJoinState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    htab_init(&st->buckets, bucket_key);
    st->nkeys = jp->nkeys;
    st->lkeys = jp->lkeys;
    st->rkeys = jp->rkeys;
    st->residual = jp->residual;
    st->ncols = n->ncols;
    st->outer = jp->type == JOIN_LEFT;
    st->ltime = tp->ltime;
    st->rtime = tp->rtime;
    st->nleft = n->inputs[0]->ncols;
    st->nright = n->inputs[1]->ncols;
    st->key_types = exec_join_key_types((const BExpr *const *)jp->lkeys, jp->nkeys);
    st->ltypes = xcalloc((size_t)st->nleft, sizeof *st->ltypes);
    for (int i = 0; i < st->nleft; i++) st->ltypes[i] = n->inputs[0]->cols[i].type;
    st->rtypes = xcalloc((size_t)st->nright, sizeof *st->rtypes);
    for (int i = 0; i < st->nright; i++) st->rtypes[i] = n->inputs[1]->cols[i].type;
    st->kv = xcalloc((size_t)(jp->nkeys ? jp->nkeys : 1), sizeof *st->kv);
    st->joined = xcalloc((size_t)n->ncols, sizeof *st->joined);
    st->lrow = xcalloc((size_t)st->nleft, sizeof *st->lrow);
    /* the state file's texts: key_text = {kind, time}; value_text = {count or deleted, the row…} */
    JsonField *kf = xcalloc(2, sizeof *kf), *vf = xcalloc((size_t)n->ncols + 1, sizeof *vf);
    kf[0] = (JsonField){"kind", type_make(TY_STRING, false), 0};
    kf[1] = (JsonField){"time", type_make(TY_BIGINT, false), 1};
    vf[0] = (JsonField){"count_or_deleted", type_make(TY_BIGINT, false), 2};
    for (int i = 0; i < n->ncols; i++) vf[i + 1] = (JsonField){n->cols[i].name, n->cols[i].type, 3 + i};
    KeyedConfig cfg = {
        .vsize = 0, .key_text = kf, .nkey_text = 2, .val_text = vf, .nval_text = n->ncols + 1,
        .row_width = 3 + n->ncols, .save = rec_save, .load = rec_load,
    };
    keyed_init(&st->rows, s, &cfg);
    return 0;
}

static void tj_end(OpState *s)
{
    TJoinState *st = s->priv;
    if (!st) return;
    keyed_free(&st->rows);
    HtabIter it;
    htab_iter_init(&st->buckets, &it);
    for (Bucket *b; (b = htab_iter_next(&st->buckets, &it));) {
        free(b->v);
        free(b);
    }
    htab_free(&st->buckets);
    free(st->probes);
    free(st->heap);
    free(st->key_types);
    free(st->ltypes);
    free(st->rtypes);
    free(st->kv);
    free(st->joined);
    free(st->lrow);
    sb_free(&st->kbuf);
    sb_free(&st->rbuf);
    sb_free(&st->vbuf);
    free(st);
}

/* ---- process ---- */

/* The join key of row (keys over it) as rowkey bytes in st->rbuf.  1 when
 * it has a NULL, 0, or -1. */
static int join_key(OpState *s, BExpr *const *keys, const Value *row, EvalCtx *cx)
{
    TJoinState *st = s->priv;
    for (int k = 0; k < st->nkeys; k++) {
        const BExpr *e = keys[k];
        if (e->kind == BX_COL) st->kv[k] = row[e->col];
        else if (eval_expr(e, row, &st->kv[k], cx)) return exec_eval_fail(s, cx->errpos, cx->err);
        if (st->kv[k].null) return 1;
    }
    st->rbuf.len = 0;
    rowkey_encode(&st->rbuf, st->key_types, st->kv, NULL, st->nkeys);
    return 0;
}

/* st->kbuf = [1][len][join key in st->rbuf]: a bucket key. */
static void version_prefix(TJoinState *st)
{
    unsigned char hdr[1 + ROWKEY_VARINT_MAX];
    hdr[0] = 1;
    size_t hn = 1 + rowkey_put_varint(hdr + 1, st->rbuf.len);
    st->kbuf.len = 0;
    sb_putn(&st->kbuf, (const char *)hdr, hn);
    sb_putn(&st->kbuf, st->rbuf.s ? st->rbuf.s : "", st->rbuf.len);
}

/* Emits probe row x (time t, `copies` times) with the version of bucket key
 * st->kbuf valid at t, or NULL-padded (LEFT) when none is. */
static int emit_probe(OpState *s, const Value *x, int64_t t, int64_t copies, Batch *out, EvalCtx *cx)
{
    TJoinState *st = s->priv;
    Bucket *b = bucket_get(s, st->kbuf.s, st->kbuf.len, false);
    int k = b ? bucket_find(b, t) : -1;
    const unsigned char *pl = k >= 0 ? keyed_payload(b->v[k]) : NULL;
    memcpy(st->joined, x, sizeof(Value) * (size_t)st->nleft);
    bool met = pl && !pl[0];
    if (met) {
        if (rowkey_decode((const char *)pl + 1, b->v[k]->vlen - 1, st->rtypes, st->joined + st->nleft, st->nright, &s->job->batch_arena))
            return job_fail(s->job, "TemporalJoin: a version in state is unreadable");
        if (st->residual) {
            int r = eval_pred(st->residual, st->joined, cx);
            if (r < 0) return exec_eval_fail(s, cx->errpos, cx->err);
            met = r > 0;
        }
    }
    if (!met) {
        if (!st->outer) return 0;
        for (int i = 0; i < st->nright; i++) st->joined[st->nleft + i] = (Value){.null = 1};
    }
    for (int64_t c = 0; c < copies; c++) memcpy(batch_add(out, RK_INSERT, t), st->joined, sizeof(Value) * (size_t)st->ncols);
    return 0;
}

static int probe_row(OpState *s, const Value *x, int64_t ts, Batch *out, EvalCtx *cx)
{
    TJoinState *st = s->priv;
    const Value *tv = &x[st->ltime];
    int nul = tv->null ? 1 : join_key(s, st->lkeys, x, cx);
    if (nul < 0) return -1;
    if (nul) {
        if (!st->outer) return 0;
        memcpy(st->joined, x, sizeof(Value) * (size_t)st->nleft);
        for (int i = 0; i < st->nright; i++) st->joined[st->nleft + i] = (Value){.null = 1};
        memcpy(batch_add(out, RK_INSERT, ts), st->joined, sizeof(Value) * (size_t)st->ncols);
        return 0;
    }
    int64_t t = tv->i;
    if (s->stats.watermark != INT64_MIN && t <= s->stats.watermark) {   /* late: the versions still held decide */
        s->job->stats.late++;
        version_prefix(st);
        return emit_probe(s, x, t, 1, out, cx);
    }
    /* key: [0][time][join key length][join key][row] */
    unsigned char hdr[9 + ROWKEY_VARINT_MAX];
    hdr[0] = 0;
    put_be64(hdr + 1, t);
    size_t hn = 9 + rowkey_put_varint(hdr + 9, st->rbuf.len);
    st->vbuf.len = 0;
    sb_putn(&st->vbuf, (const char *)hdr, hn);
    sb_putn(&st->vbuf, st->rbuf.s ? st->rbuf.s : "", st->rbuf.len);
    rowkey_encode(&st->vbuf, st->ltypes, x, NULL, st->nleft);
    uint64_t h = keyed_hash(st->vbuf.s, st->vbuf.len);
    KeyedEntry *e = keyed_find(&st->rows, st->vbuf.s, st->vbuf.len, h);
    if (e) {
        int64_t c = probe_count(e) + 1;
        memcpy(keyed_payload(e), &c, sizeof c);
        keyed_touch(&st->rows, e);
        return 0;
    }
    e = keyed_insert(&st->rows, st->vbuf.s, st->vbuf.len, h, sizeof(int64_t));
    int64_t one = 1;
    memcpy(keyed_payload(e), &one, sizeof one);
    probes_insert(st, e);
    return 0;
}

static int version_row(OpState *s, const Value *x, RowKind kind, EvalCtx *cx)
{
    TJoinState *st = s->priv;
    if (kind == RK_UPDATE_BEFORE) return 0;
    const Value *tv = &x[st->rtime];
    int nul = tv->null ? 1 : join_key(s, st->rkeys, x, cx);
    if (nul) return nul < 0 ? -1 : 0;   /* a version nobody can look up */
    int64_t t = tv->i;
    if (s->stats.watermark != INT64_MIN && t <= s->stats.watermark) s->job->stats.late++;
    version_prefix(st);
    Bucket *b = bucket_get(s, st->kbuf.s, st->kbuf.len, true);
    unsigned char tb[8];
    put_be64(tb, t);
    sb_putn(&st->kbuf, (const char *)tb, 8);
    st->vbuf.len = 0;
    sb_putc(&st->vbuf, (char)(kind == RK_DELETE));
    rowkey_encode(&st->vbuf, st->rtypes, x, NULL, st->nright);
    uint64_t h = keyed_hash(st->kbuf.s, st->kbuf.len);
    KeyedEntry *e = keyed_find(&st->rows, st->kbuf.s, st->kbuf.len, h);
    if (e) {   /* the version of that time is replaced */
        int at = bucket_find(b, t);
        KeyedEntry *ne = keyed_resize(&st->rows, e, h, st->vbuf.len);
        memcpy(keyed_payload(ne), st->vbuf.s, st->vbuf.len);
        b->v[at] = ne;
        return 0;
    }
    e = keyed_insert(&st->rows, st->kbuf.s, st->kbuf.len, h, st->vbuf.len);
    memcpy(keyed_payload(e), st->vbuf.s, st->vbuf.len);
    bucket_insert(s, b, e);
    if (s->stats.watermark == INT64_MIN || t > s->stats.watermark) {
        heap_push(st, t, b);
        return 0;
    }
    bucket_clean(s, b, s->stats.watermark);
    bucket_maybe_free(s, b);
    return 0;
}

static int tj_process(OpState *s, int port, Batch *in, Batch *out)
{
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    for (int i = 0; i < in->n; i++) {
        s->cur_row = i;
        const Value *row = batch_row(in, i);
        if (port == 0) {
            if (!rowkind_is_add(in->kinds[i])) return job_fail(s->job, "TemporalJoin: the left input sent a retraction (it must be append-only)");
            if (probe_row(s, row, in->ts[i], out, &cx)) return -1;
        } else if (version_row(s, row, in->kinds[i], &cx)) {
            return -1;
        }
    }
    return 0;
}

/* The watermark rose: probe rows it passed meet their versions, in time
 * order; then versions no probe can reach any more go. */
static int tj_advance(OpState *s, int64_t wm, Batch *out)
{
    TJoinState *st = s->priv;
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    while (st->nprobes && probe_time(st->probes[0]) <= wm) {
        KeyedEntry *e = probes_pop(st);
        const unsigned char *k = keyed_key(e), *end = k + e->klen;
        const unsigned char *q = k + 9;
        uint64_t jl = 0;
        if (rowkey_get_varint(&q, end, &jl) || jl > (uint64_t)(end - q)) return job_fail(s->job, "TemporalJoin: a row in state is unreadable");
        st->rbuf.len = 0;
        sb_putn(&st->rbuf, (const char *)q, (size_t)jl);
        version_prefix(st);
        if (rowkey_decode((const char *)q + jl, (size_t)(end - q - jl), st->ltypes, st->lrow, st->nleft, &s->job->batch_arena))
            return job_fail(s->job, "TemporalJoin: a row in state is unreadable");
        if (emit_probe(s, st->lrow, probe_time(e), probe_count(e), out, &cx)) return -1;
        keyed_remove(&st->rows, e, keyed_hash(keyed_key(e), e->klen));
    }
    while (st->nheap && st->heap[0].t <= wm) {
        Cleanup c = heap_pop(st);
        c.b->queued--;
        bucket_clean(s, c.b, wm);
        bucket_maybe_free(s, c.b);
    }
    return 0;
}

static void tj_fingerprint(const PlanNode *n, StrBuf *out)
{
    const TemporalJoinPlan *tp = plan_temporal_join(n);
    const JoinPlan *jp = &tp->join;
    const char **names = xcalloc((size_t)n->ncols, sizeof *names);
    for (int i = 0; i < n->ncols; i++) names[i] = n->cols[i].name;
    sb_printf(out, "TemporalJoin/1 type=%d time=%d,%d keys=", (int)jp->type, tp->ltime, tp->rtime);
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
    free(names);
    sb_puts(out, " input0=");
    explain_lineage(n->inputs[0], out);
    sb_puts(out, " input1=");
    explain_lineage(n->inputs[1], out);
}

const OpVTable op_temporal_join_vt = {
    .init = tj_init, .process = tj_process, .advance = tj_advance, .checkpoint = tj_checkpoint,
    .restore = tj_restore, .end = tj_end, .fingerprint = tj_fingerprint,
};
