/*
 * op_window_rank.c — window Top-N and window deduplication
 * (WindowRankPlan), Flink's WindowRank / WindowDeduplicate: the Top-N of
 * each (window, partition), emitted once when the watermark passes the
 * window's end.
 *
 *   a row of a window not fired yet   → kept if it is among the top hi of
 *                                       its partition so far (sorted by the
 *                                       ORDER BY columns; equal keys in
 *                                       arrival order, or with last_ties the
 *                                       later first: keep-last deduplication)
 *   a row of a fired window           → late: counted (JobStats.late), dropped
 *   the watermark reaches end − 1     → +I per row at ranks lo..hi (with the
 *                                       rank number when output), partitions
 *                                       of a window in the order they began;
 *                                       their state is freed
 *
 * The input is append-only (a window table function or window aggregate).
 * State: a Keyed (keyed.h) from [window_end][partition key] to the
 * partition's top rows (each its rowkey encoding) and its arrival number;
 * the watermark beside it (keyed_checkpoint_wm).  Windows to fire are kept
 * sorted by (window_end, arrival number).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "exec.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

typedef struct WRow {
    uint32_t len;         /* encoding bytes */
    Value    vals[];      /* ncols decoded values, then the encoding (strings point into it) */
} WRow;

typedef struct WPart {
    WRow   **rows;        /* top rows so far, best first */
    int      n;           /* count (≤ hi) */
    int      cap;         /* capacity of rows */
    int64_t  wend;        /* window_end */
    int64_t  seq;         /* arrival number of the partition (emission order within a window) */
} WPart;

typedef struct WRankState {
    Keyed    parts;       /* [window_end][partition key] → WPart (first) */
    int      ncols;       /* input width */
    Type    *types;       /* input types */
    int      npart;       /* partition width */
    int     *partcols;    /* partition columns */
    Type    *part_types;  /* their types */
    int      norder;      /* order width */
    int     *order;       /* order columns */
    bool    *desc;        /* per order column */
    bool    *nulls_last;  /* per order column */
    int64_t  lo, hi;      /* ranks emitted */
    bool     output;      /* emit the rank number */
    bool     last_ties;   /* equal keys: the later row first */
    int      wend;        /* window_end column */
    bool     ltz;         /* window_end is local time: fires at its instant in tz */
    const TimeZone *tz;   /* table.local-time-zone (NULL = UTC) */
    KeyedEntry **fire;    /* partitions by (wend, seq) */
    int      nfire, capfire;
    int64_t  seq;         /* next arrival number */
    StrBuf   key, row;    /* scratch */
} WRankState;
_Static_assert(offsetof(WRankState, parts) == 0, "keyed_op_* expect the Keyed first");

static char *wrow_bytes(const WRankState *st, WRow *r) { return (char *)(r->vals + st->ncols); }

static WRow *wrow_new(const WRankState *st, const char *enc, size_t len)
{
    WRow *r = xmalloc(sizeof(WRow) + sizeof(Value) * (size_t)st->ncols + len);
    r->len = (uint32_t)len;
    memcpy(wrow_bytes(st, r), enc, len);
    if (rowkey_decode(wrow_bytes(st, r), len, st->types, r->vals, st->ncols, NULL)) {
        free(r);
        return NULL;
    }
    return r;
}

static int wrow_cmp(const WRankState *st, const Value *a, const Value *b)
{
    for (int i = 0; i < st->norder; i++) {
        int c = st->order[i];
        const Value *x = &a[c], *y = &b[c];
        if (x->null || y->null) {
            if (x->null && y->null) continue;
            return (x->null ? 1 : -1) * (st->nulls_last[i] ? 1 : -1);
        }
        int r = value_cmp(st->types[c], x, y);
        if (r) return st->desc[i] ? -r : r;
    }
    return 0;
}

/* Where a row with values v goes: after equal rows, or before them with last_ties. */
static int insert_pos(const WRankState *st, const WPart *p, const Value *v)
{
    int lo = 0, hi = p->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = wrow_cmp(st, v, p->rows[mid]->vals);
        if (c < 0 || (c == 0 && st->last_ties)) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static void part_put(const WRankState *st, WPart *p, int at, WRow *r)
{
    if (p->n == st->hi) free(p->rows[--p->n]);   /* the last one falls out */
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->rows = realloc(p->rows, sizeof(WRow *) * (size_t)p->cap);
        if (!p->rows) abort();
    }
    memmove(p->rows + at + 1, p->rows + at, sizeof(WRow *) * (size_t)(p->n - at));
    p->rows[at] = r;
    p->n++;
}

static bool fire_before(const KeyedEntry *a, const KeyedEntry *b)
{
    const WPart *x = keyed_payload(a), *y = keyed_payload(b);
    return x->wend < y->wend || (x->wend == y->wend && x->seq < y->seq);
}

static void fire_add(WRankState *st, KeyedEntry *e)
{
    if (st->nfire == st->capfire) {
        st->capfire = st->capfire ? st->capfire * 2 : 16;
        st->fire = realloc(st->fire, sizeof(KeyedEntry *) * (size_t)st->capfire);
        if (!st->fire) abort();
    }
    int lo = 0, hi = st->nfire;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (fire_before(st->fire[mid], e)) lo = mid + 1;
        else hi = mid;
    }
    memmove(st->fire + lo + 1, st->fire + lo, sizeof(KeyedEntry *) * (size_t)(st->nfire - lo));
    st->fire[lo] = e;
    st->nfire++;
}

/* ---- checkpoint and restore ---- */

static void put_varint(StrBuf *b, uint64_t v)
{
    unsigned char t[ROWKEY_VARINT_MAX];
    sb_putn(b, (const char *)t, rowkey_put_varint(t, v));
}

static int part_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const WRankState *st = s->priv;
    const WPart *p = keyed_payload(e);
    put_varint(val, rowkey_zigzag(p->wend));
    put_varint(val, (uint64_t)p->seq);
    put_varint(val, (uint64_t)p->n);
    for (int i = 0; i < p->n; i++) {
        put_varint(val, p->rows[i]->len);
        sb_putn(val, wrow_bytes(st, p->rows[i]), p->rows[i]->len);
    }
    rowkey_decode((const char *)keyed_key(e) + 8, e->klen - 8, st->part_types, row, st->npart, NULL);
    row[st->npart] = (Value){.i = p->n};
    return 0;
}

static int part_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    WRankState *st = s->priv;
    WPart *p = keyed_payload(e);
    memset(p, 0, sizeof *p);
    const unsigned char *q = val, *end = q + vlen;
    uint64_t wend, seq, n;
    if (e->klen < 8 || rowkey_get_varint(&q, end, &wend) || rowkey_get_varint(&q, end, &seq) || rowkey_get_varint(&q, end, &n) ||
        n > (uint64_t)st->hi)
        goto bad;
    p->wend = rowkey_unzigzag(wend);
    p->seq = (int64_t)seq;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len;
        if (rowkey_get_varint(&q, end, &len) || len > (uint64_t)(end - q)) goto bad;
        WRow *r = wrow_new(st, (const char *)q, (size_t)len);
        if (!r) goto bad;
        part_put(st, p, p->n, r);
        q += len;
    }
    if (q != end) goto bad;
    if (p->seq >= st->seq) st->seq = p->seq + 1;
    return 0;
bad:
    for (int i = 0; i < p->n; i++) free(p->rows[i]);
    free(p->rows);
    memset(p, 0, sizeof *p);
    return job_fail(s->job, "state file: a window partition of WindowRank is unreadable (is the file damaged?)");
}

static void part_release(OpState *s, KeyedEntry *e)
{
    (void)s;
    WPart *p = keyed_payload(e);
    for (int i = 0; i < p->n; i++) free(p->rows[i]);
    free(p->rows);
    memset(p, 0, sizeof *p);
}

static int wr_checkpoint(OpState *s, StateBatch *b, int op)
{
    WRankState *st = s->priv;
    return keyed_checkpoint_wm(&st->parts, b, op, s->stats.watermark);
}

static int wr_restore(OpState *s, StateStore *store, int op)
{
    WRankState *st = s->priv;
    if (keyed_restore_wm(&st->parts, store, op, &s->stats.watermark) || keyed_restore(&st->parts, store, op)) return -1;
    st->nfire = 0;
    HtabIter it;
    htab_iter_init(&st->parts.table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&st->parts.table, &it));) fire_add(st, e);
    return 0;
}

/* ---- lifecycle ---- */

static int wr_init(OpState *s)
{
    const PlanNode *n = s->node;
    const WindowRankPlan *wp = plan_window_rank(n);
    const RankPlan *rp = &wp->rank;
    const PlanNode *in = n->inputs[0];
    WRankState *st = xcalloc(1, sizeof *st);
    s->priv = st;
    st->ncols = in->ncols;
    st->types = xcalloc((size_t)in->ncols, sizeof *st->types);
    for (int i = 0; i < in->ncols; i++) st->types[i] = in->cols[i].type;
    st->npart = rp->npartition;
    st->partcols = xcalloc((size_t)rp->npartition, sizeof *st->partcols);
    st->part_types = xcalloc((size_t)rp->npartition, sizeof *st->part_types);
    for (int k = 0; k < rp->npartition; k++) {
        st->partcols[k] = rp->partition[k];
        st->part_types[k] = in->cols[rp->partition[k]].type;
    }
    st->norder = rp->norder;
    st->order = xcalloc((size_t)rp->norder, sizeof *st->order);
    st->desc = xcalloc((size_t)rp->norder, sizeof *st->desc);
    st->nulls_last = xcalloc((size_t)rp->norder, sizeof *st->nulls_last);
    for (int i = 0; i < rp->norder; i++) {
        st->order[i] = rp->order[i];
        st->desc[i] = rp->desc[i];
        st->nulls_last[i] = rp->nulls_last[i];
    }
    st->lo = rp->lo;
    st->hi = rp->hi;
    st->output = rp->output;
    st->last_ties = wp->last_ties;
    st->wend = wp->wend;
    st->ltz = wp->ltz;
    st->tz = s->job->plan->config.local_tz;
    JsonField *kf = xcalloc((size_t)rp->npartition, sizeof *kf), *vf = xcalloc(1, sizeof *vf);
    for (int k = 0; k < rp->npartition; k++) kf[k] = (JsonField){in->cols[rp->partition[k]].name, st->part_types[k], k};
    vf[0] = (JsonField){"rows", type_make(TY_BIGINT, false), rp->npartition};
    KeyedConfig cfg = {
        .vsize = sizeof(WPart), .key_text = kf, .nkey_text = rp->npartition, .val_text = vf, .nval_text = 1,
        .row_width = rp->npartition + 1, .save = part_save, .load = part_load, .release = part_release,
    };
    keyed_init(&st->parts, s, &cfg);
    return 0;
}

static void wr_end(OpState *s)
{
    WRankState *st = s->priv;
    if (!st) return;
    keyed_free(&st->parts);
    sb_free(&st->key);
    sb_free(&st->row);
    free(st->types);
    free(st->partcols);
    free(st->part_types);
    free(st->order);
    free(st->desc);
    free(st->nulls_last);
    free(st->fire);
    free(st);
}

/* The time of the window ending at `wend` (its window_end value): the
 * instant of its last millisecond (a local window_end converted). */
static int64_t wr_time(const WRankState *st, int64_t wend)
{
    return (st->ltz && st->tz ? tz_local_to_utc(st->tz, wend) : wend) - 1;
}

static int wr_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    (void)out;
    WRankState *st = s->priv;
    Keyed *k = &st->parts;
    for (int i = 0; i < in->n; i++) {
        if (!rowkind_is_add(in->kinds[i])) continue;   /* the planner gives it an append-only input */
        const Value *row = batch_row(in, i);
        const Value *we = &row[st->wend];
        if (we->null || wr_time(st, we->i) <= s->stats.watermark) {
            s->job->stats.late++;   /* its window has fired */
            continue;
        }
        st->key.len = 0;
        unsigned char be[8];
        for (int b = 0; b < 8; b++) be[b] = (unsigned char)((uint64_t)we->i >> (56 - 8 * b));
        sb_putn(&st->key, (const char *)be, 8);
        rowkey_encode(&st->key, st->part_types, row, st->partcols, st->npart);
        uint64_t h = keyed_hash(st->key.s, st->key.len);
        KeyedEntry *e = keyed_find(k, st->key.s, st->key.len, h);
        if (!e) {
            e = keyed_insert(k, st->key.s, st->key.len, h, sizeof(WPart));
            WPart *p = keyed_payload(e);
            memset(p, 0, sizeof *p);
            p->wend = we->i;
            p->seq = st->seq++;
            fire_add(st, e);
        }
        WPart *p = keyed_payload(e);
        int at = insert_pos(st, p, row);
        if (at >= st->hi) continue;
        st->row.len = 0;
        rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
        WRow *r = wrow_new(st, st->row.s, st->row.len);
        if (!r) return job_fail(s->job, "WindowRank: a row does not encode");
        part_put(st, p, at, r);
        keyed_touch(k, e);
    }
    return 0;
}

static int wr_advance(OpState *s, int64_t wm, Batch *out)
{
    WRankState *st = s->priv;
    int done = 0;
    while (done < st->nfire) {
        KeyedEntry *e = st->fire[done];
        WPart *p = keyed_payload(e);
        if (wr_time(st, p->wend) > wm) break;
        for (int i = (int)(st->lo - 1); i < p->n; i++) {
            Value *v = batch_add(out, RK_INSERT, wr_time(st, p->wend));
            rowkey_decode(wrow_bytes(st, p->rows[i]), p->rows[i]->len, st->types, v, st->ncols, &s->job->batch_arena);
            if (st->output) v[st->ncols] = (Value){.i = i + 1};
        }
        st->key.len = 0;
        sb_putn(&st->key, keyed_key(e), e->klen);
        keyed_remove(&st->parts, e, keyed_hash(st->key.s, st->key.len));
        done++;
    }
    if (done) {
        memmove(st->fire, st->fire + done, sizeof(KeyedEntry *) * (size_t)(st->nfire - done));
        st->nfire -= done;
    }
    return 0;
}

static void wr_fingerprint(const PlanNode *n, StrBuf *out)
{
    const WindowRankPlan *wp = plan_window_rank(n);
    const RankPlan *rp = &wp->rank;
    sb_printf(out, "WindowRank/1 wend=%d ties=%d%s partition=", wp->wend, wp->last_ties, wp->ltz ? " ltz" : "");
    for (int k = 0; k < rp->npartition; k++) sb_printf(out, "%d;", rp->partition[k]);
    sb_puts(out, " order=");
    for (int k = 0; k < rp->norder; k++) sb_printf(out, "%d%s%s;", rp->order[k], rp->desc[k] ? "d" : "a", rp->nulls_last[k] ? "l" : "f");
    sb_printf(out, " range=%" PRId64 "-%" PRId64 " row=", rp->lo, rp->hi);
    const PlanNode *in = n->inputs[0];
    for (int i = 0; i < in->ncols; i++) type_print(out, in->cols[i].type), sb_putc(out, ';');
    sb_puts(out, " input=");
    explain_lineage(in, out);
}

const OpVTable op_window_rank_vt = {
    .init = wr_init, .process = wr_process, .advance = wr_advance, .checkpoint = wr_checkpoint, .restore = wr_restore,
    .end = wr_end, .fingerprint = wr_fingerprint,
};
