/*
 * op_window_join.c — the window join (inner, left, right, full outer),
 * Flink's WindowJoin: two window table functions with the same windows,
 * joined on window_start, window_end and any keys.  Rows of both sides
 * wait in their window; when the watermark (the smaller of both inputs')
 * passes the window's end (its window_time), the window's rows meet: each
 * pair with equal keys (and the residual condition) is emitted, an outer
 * side's rows that met nothing NULL-padded, and the window is freed.  The
 * output is append-only.  What is not here: the window table functions
 * themselves (op_window.c tags the rows with their windows and drops late
 * ones), regular joins (op_join.c).
 *
 * A row whose key has a NULL meets nothing: kept only on an outer side, to
 * come out NULL-padded when its window fires.  A row that arrives for a
 * window that has fired already is late: counted in JobStats.late, no
 * result changes (the window table function upstream normally drops such
 * rows first).
 *
 * State: one Keyed of stored rows, keyed [window_time][window_start] (8
 * bytes big-endian each) [no-match flag][join key length][join key][side]
 * [row], the payload a WRec: copies held, and the window's list.  Sorting a
 * window's entries by key bytes groups equal join keys, each left side
 * before right.  In memory only (rebuilt on restore): the windows in
 * window_time order, each with the list of its rows.  The watermark is
 * checkpointed beside them (meta window_join.<op>.watermark).
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

/* A stored row: the payload of its keyed entry. */
typedef struct WRec {
    int64_t     count;    /* copies of the row */
    KeyedEntry *next;     /* its window's list */
    struct Win *win;      /* its window */
} WRec;

/* One window's rows (the index, not checkpointed). */
typedef struct Win {
    int64_t     wt;       /* window_time: it fires when the watermark reaches it */
    int64_t     ws;       /* window_start */
    KeyedEntry *head;     /* its rows */
    int64_t     nrows;    /* count of entries */
} Win;

typedef struct WJSide {
    int            ncols;  /* row width */
    int            off;    /* its first column in the output row */
    Type          *types;  /* row types */
    BExpr *const  *keys;   /* join key expressions over the row */
    int            win;    /* its window_start column (window_end, window_time follow) */
    bool           outer;  /* its unmatched rows come out NULL-padded */
} WJSide;

typedef struct WJoinState {
    Keyed       rows;     /* stored rows (first: keyed_op_checkpoint finds it here) */
    Win       **wins;     /* open windows by (wt, ws) */
    int         nwins, capwins;
    WJSide      side[2];
    int         nkeys;
    Type       *key_types;
    const BExpr *residual;/* over the output row, or NULL */
    int         ncols;    /* output width */
    Value      *kv;       /* scratch: join key values */
    Value      *joined;   /* scratch: an output row */
    KeyedEntry **grp;     /* scratch: a firing window's entries */
    int          capgrp;
    bool        *met;     /* scratch: per entry of the firing window, whether it met a row */
    StrBuf      rbuf, kbuf;
} WJoinState;
_Static_assert(offsetof(WJoinState, rows) == 0, "keyed_op_* expect the Keyed first");

static inline WRec *rec_of(const KeyedEntry *e) { return keyed_payload(e); }

static void put_be64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v ^ (UINT64_C(1) << 63);
    for (int i = 7; i >= 0; i--, u >>= 8) p[i] = (unsigned char)u;
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = u << 8 | p[i];
    return (int64_t)(u ^ (UINT64_C(1) << 63));
}

/* The parts of an entry key: no-match flag, join key bytes, side, row bytes.  0, or -1 if unreadable. */
typedef struct KeyParts {
    int                  nomatch;
    const unsigned char *jk;
    size_t               jklen;
    int                  side;
    const unsigned char *row;
    size_t               rowlen;
} KeyParts;

static int key_parts(const KeyedEntry *e, KeyParts *kp)
{
    const unsigned char *k = keyed_key(e), *end = k + e->klen, *p = k + 17;
    if (e->klen < 19) return -1;
    kp->nomatch = k[16];
    uint64_t n;
    if (rowkey_get_varint(&p, end, &n) || n + 1 > (uint64_t)(end - p)) return -1;
    kp->jk = p;
    kp->jklen = (size_t)n;
    p += n;
    kp->side = *p++;
    if (kp->side > 1) return -1;
    kp->row = p;
    kp->rowlen = (size_t)(end - p);
    return 0;
}

/* ---- windows ---- */

static int win_cmp(int64_t wt, int64_t ws, const Win *w) { return wt != w->wt ? (wt < w->wt ? -1 : 1) : ws != w->ws ? (ws < w->ws ? -1 : 1) : 0; }

static Win *win_get(WJoinState *st, int64_t wt, int64_t ws)
{
    int lo = 0, hi = st->nwins;
    while (lo < hi) {
        int m = (lo + hi) / 2;
        int c = win_cmp(wt, ws, st->wins[m]);
        if (c == 0) return st->wins[m];
        if (c < 0) hi = m;
        else lo = m + 1;
    }
    if (st->nwins == st->capwins) {
        st->capwins = st->capwins ? st->capwins * 2 : 16;
        st->wins = realloc(st->wins, sizeof *st->wins * (size_t)st->capwins);
        if (!st->wins) abort();
    }
    Win *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->wt = wt;
    w->ws = ws;
    memmove(st->wins + lo + 1, st->wins + lo, sizeof *st->wins * (size_t)(st->nwins - lo));
    st->wins[lo] = w;
    st->nwins++;
    return w;
}

static void link_rec(KeyedEntry *e, Win *w)
{
    WRec *r = rec_of(e);
    r->win = w;
    r->next = w->head;
    w->head = e;
    w->nrows++;
}

/* ---- checkpoint and restore: the value is the copy count (varint);
 * texts: {window_time, window_start, side} and {count, the output row with
 * the other side NULL} ---- */

static int rec_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const WJoinState *st = s->priv;
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(val, (const char *)v, rowkey_put_varint(v, rowkey_zigzag(rec_of(e)->count)));
    const unsigned char *k = keyed_key(e);
    KeyParts kp;
    for (int i = 0; i < 4 + st->ncols; i++) row[i] = (Value){.null = 1};
    row[0] = (Value){.i = get_be64(k)};
    row[1] = (Value){.i = get_be64(k + 8)};
    if (key_parts(e, &kp)) return 0;
    row[2] = (Value){.s = kp.side ? "right" : "left", .n = kp.side ? 5 : 4};
    row[3] = (Value){.i = rec_of(e)->count};
    const WJSide *sd = &st->side[kp.side];
    rowkey_decode((const char *)kp.row, kp.rowlen, sd->types, row + 4 + sd->off, sd->ncols, NULL);
    return 0;
}

static int rec_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    const unsigned char *p = val, *end = p + vlen;
    uint64_t c;
    KeyParts kp;
    if (key_parts(e, &kp) || rowkey_get_varint(&p, end, &c) || p != end || rowkey_unzigzag(c) <= 0)
        return job_fail(s->job, "state file: a row of WindowJoin is unreadable (is the file damaged?)");
    rec_of(e)->count = rowkey_unzigzag(c);
    rec_of(e)->win = NULL;
    return 0;
}

static int wj_checkpoint(OpState *s, StateBatch *b, int op)
{
    WJoinState *st = s->priv;
    return keyed_checkpoint_wm(&st->rows, b, op, s->stats.watermark);
}

static int wj_restore(OpState *s, StateStore *store, int op)
{
    WJoinState *st = s->priv;
    if (keyed_restore_wm(&st->rows, store, op, &s->stats.watermark)) return -1;
    HtabIter it;
    htab_iter_init(&st->rows.table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&st->rows.table, &it));) {
        const unsigned char *k = keyed_key(e);
        link_rec(e, win_get(st, get_be64(k), get_be64(k + 8)));
    }
    return 0;
}

/* ---- lifecycle ---- */

static int wj_init(OpState *s)
{
    const WindowJoinPlan *wp = plan_window_join(s->node);
    const JoinPlan *jp = &wp->join;
    const PlanNode *n = &jp->node;
    WJoinState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->nkeys = jp->nkeys;
    st->residual = jp->residual;
    st->ncols = n->ncols;
    st->key_types = exec_join_key_types((const BExpr *const *)jp->lkeys, jp->nkeys);
    for (int sd = 0; sd < 2; sd++) {
        const PlanNode *in = n->inputs[sd];
        WJSide *x = &st->side[sd];
        x->ncols = in->ncols;
        x->off = sd ? jp->nleft : 0;
        x->types = xcalloc((size_t)in->ncols, sizeof *x->types);
        for (int i = 0; i < in->ncols; i++) x->types[i] = in->cols[i].type;
        x->keys = sd ? jp->rkeys : jp->lkeys;
        x->win = sd ? wp->rwin : wp->lwin;
        x->outer = join_side_outer(jp->type, sd);
    }
    st->kv = xcalloc((size_t)(jp->nkeys ? jp->nkeys : 1), sizeof *st->kv);
    st->joined = xcalloc((size_t)n->ncols, sizeof *st->joined);
    JsonField *kf = xcalloc(3, sizeof *kf), *vf = xcalloc((size_t)n->ncols + 1, sizeof *vf);
    kf[0] = (JsonField){"window_time", type_make(TY_BIGINT, false), 0};
    kf[1] = (JsonField){"window_start", type_make(TY_BIGINT, false), 1};
    kf[2] = (JsonField){"side", type_make(TY_STRING, false), 2};
    vf[0] = (JsonField){"count", type_make(TY_BIGINT, false), 3};
    for (int i = 0; i < n->ncols; i++) vf[i + 1] = (JsonField){n->cols[i].name, n->cols[i].type, 4 + i};
    KeyedConfig cfg = {
        .vsize = sizeof(WRec), .key_text = kf, .nkey_text = 3, .val_text = vf, .nval_text = n->ncols + 1,
        .row_width = 4 + n->ncols, .save = rec_save, .load = rec_load,
    };
    keyed_init(&st->rows, s, &cfg);
    return 0;
}

static void wj_end(OpState *s)
{
    WJoinState *st = s->priv;
    if (!st) return;
    keyed_free(&st->rows);
    for (int i = 0; i < st->nwins; i++) free(st->wins[i]);
    free(st->wins);
    for (int sd = 0; sd < 2; sd++) free(st->side[sd].types);
    free(st->key_types);
    free(st->kv);
    free(st->joined);
    free(st->grp);
    free(st->met);
    sb_free(&st->rbuf);
    sb_free(&st->kbuf);
    free(st);
}

/* ---- process ---- */

static int wj_row(OpState *s, int sd, const Value *x, EvalCtx *cx)
{
    WJoinState *st = s->priv;
    const WJSide *me = &st->side[sd];
    const Value *ws = &x[me->win], *wt = &x[me->win + 2];
    if (ws->null || wt->null) return 0;   /* not in a window (the window function gives every row one) */
    if (s->stats.watermark != INT64_MIN && wt->i <= s->stats.watermark) {
        s->job->stats.late++;
        return 0;
    }
    int nomatch = 0;
    for (int k = 0; k < st->nkeys && !nomatch; k++) {
        const BExpr *e = me->keys[k];
        if (e->kind == BX_COL) st->kv[k] = x[e->col];
        else if (eval_expr(e, x, &st->kv[k], cx)) return exec_eval_fail(s, cx->errpos, cx->err);
        nomatch = st->kv[k].null;
    }
    if (nomatch && !me->outer) return 0;   /* meets nothing, emits nothing */
    st->rbuf.len = 0;
    if (!nomatch) rowkey_encode(&st->rbuf, st->key_types, st->kv, NULL, st->nkeys);
    unsigned char hdr[17 + ROWKEY_VARINT_MAX];
    put_be64(hdr, wt->i);
    put_be64(hdr + 8, ws->i);
    hdr[16] = (unsigned char)nomatch;
    size_t hn = 17 + rowkey_put_varint(hdr + 17, st->rbuf.len);
    st->kbuf.len = 0;
    sb_putn(&st->kbuf, (const char *)hdr, hn);
    sb_putn(&st->kbuf, st->rbuf.s ? st->rbuf.s : "", st->rbuf.len);
    sb_putc(&st->kbuf, (char)sd);
    rowkey_encode(&st->kbuf, me->types, x, NULL, me->ncols);
    uint64_t h = keyed_hash(st->kbuf.s, st->kbuf.len);
    KeyedEntry *e = keyed_find(&st->rows, st->kbuf.s, st->kbuf.len, h);
    if (e) {
        rec_of(e)->count++;
        keyed_touch(&st->rows, e);
        return 0;
    }
    e = keyed_insert(&st->rows, st->kbuf.s, st->kbuf.len, h, sizeof(WRec));
    rec_of(e)->count = 1;
    link_rec(e, win_get(st, wt->i, ws->i));
    return 0;
}

static int wj_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)out;
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    for (int i = 0; i < in->n; i++) {
        s->cur_row = i;
        if (!rowkind_is_add(in->kinds[i])) return job_fail(s->job, "WindowJoin: an input sent a retraction (its inputs must be append-only)");
        if (wj_row(s, port, batch_row(in, i), &cx)) return -1;
    }
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    const KeyedEntry *x = *(KeyedEntry *const *)a, *y = *(KeyedEntry *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(keyed_key(x), keyed_key(y), n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Stored row e (side sd) into dst's part for it (strings into the batch arena), or NULLs when e is NULL. */
static int put(OpState *s, Value *dst, int sd, const KeyedEntry *e)
{
    WJoinState *st = s->priv;
    const WJSide *x = &st->side[sd];
    if (!e) {
        for (int i = 0; i < x->ncols; i++) dst[x->off + i] = (Value){.null = 1};
        return 0;
    }
    KeyParts kp;
    if (key_parts(e, &kp) || rowkey_decode((const char *)kp.row, kp.rowlen, x->types, dst + x->off, x->ncols, &s->job->batch_arena))
        return job_fail(s->job, "WindowJoin: a row in state is unreadable");
    return 0;
}

static void emit(OpState *s, Batch *out, int64_t ts, int64_t copies)
{
    WJoinState *st = s->priv;
    for (int64_t c = 0; c < copies; c++) memcpy(batch_add(out, RK_INSERT, ts), st->joined, sizeof(Value) * (size_t)st->ncols);
}

/* Window w fires: its rows meet, group by group of equal join keys. */
static int fire(OpState *s, Win *w, Batch *out, EvalCtx *cx)
{
    WJoinState *st = s->priv;
    int n = (int)w->nrows;
    if (n > st->capgrp) {
        st->capgrp = n * 2;
        st->grp = realloc(st->grp, sizeof *st->grp * (size_t)st->capgrp);
        st->met = realloc(st->met, sizeof *st->met * (size_t)st->capgrp);
        if (!st->grp || !st->met) abort();
    }
    int i = 0;
    for (KeyedEntry *e = w->head; e; e = rec_of(e)->next) st->grp[i++] = e;
    qsort(st->grp, (size_t)n, sizeof *st->grp, cmp_key);
    memset(st->met, 0, sizeof *st->met * (size_t)n);
    for (int g = 0; g < n;) {
        KeyParts a, b;
        if (key_parts(st->grp[g], &a)) return job_fail(s->job, "WindowJoin: a row in state is unreadable");
        int end = g + 1, mid = a.side == 0 ? -1 : g;   /* mid: first right row of the group */
        if (!a.nomatch) {
            for (; end < n; end++) {
                if (key_parts(st->grp[end], &b)) return job_fail(s->job, "WindowJoin: a row in state is unreadable");
                if (b.nomatch || b.jklen != a.jklen || memcmp(b.jk, a.jk, a.jklen) != 0) break;
                if (b.side == 1 && mid < 0) mid = end;
            }
        }
        if (mid < 0) mid = end;
        for (int l = g; l < mid; l++) {
            for (int r = mid; r < end; r++) {
                if (put(s, st->joined, 0, st->grp[l]) || put(s, st->joined, 1, st->grp[r])) return -1;
                if (st->residual) {
                    int ok = eval_pred(st->residual, st->joined, cx);
                    if (ok < 0) return exec_eval_fail(s, cx->errpos, cx->err);
                    if (!ok) continue;
                }
                st->met[l] = st->met[r] = true;
                emit(s, out, w->wt, rec_of(st->grp[l])->count * rec_of(st->grp[r])->count);
            }
        }
        for (int k = g; k < end; k++) {
            int sd = k < mid ? 0 : 1;
            if (st->met[k] || !st->side[sd].outer) continue;
            if (put(s, st->joined, sd, st->grp[k]) || put(s, st->joined, 1 - sd, NULL)) return -1;
            emit(s, out, w->wt, rec_of(st->grp[k])->count);
        }
        g = end;
    }
    for (int k = 0; k < n; k++) {
        KeyedEntry *e = st->grp[k];
        keyed_remove(&st->rows, e, keyed_hash(keyed_key(e), e->klen));
    }
    return 0;
}

/* The watermark rose: the windows it passed fire, in order. */
static int wj_advance(OpState *s, int64_t wm, Batch *out)
{
    WJoinState *st = s->priv;
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    int k = 0;
    while (k < st->nwins && st->wins[k]->wt <= wm) {
        if (fire(s, st->wins[k], out, &cx)) return -1;
        free(st->wins[k]);
        k++;
    }
    if (k) memmove(st->wins, st->wins + k, sizeof *st->wins * (size_t)(st->nwins - k));   /* (no windows: wins may be NULL) */
    st->nwins -= k;
    return 0;
}

static void wj_fingerprint(const PlanNode *n, StrBuf *out)
{
    const WindowJoinPlan *wp = plan_window_join(n);
    const JoinPlan *jp = &wp->join;
    const char **names = xcalloc((size_t)n->ncols, sizeof *names);
    for (int i = 0; i < n->ncols; i++) names[i] = n->cols[i].name;
    sb_printf(out, "WindowJoin/1 type=%d win=%d,%d kind=%d size=%lld slide=%lld offset=%lld keys=", (int)jp->type, wp->lwin, wp->rwin,
              (int)wp->spec.kind, (long long)wp->spec.size, (long long)wp->spec.slide, (long long)wp->spec.offset);
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

const OpVTable op_window_join_vt = {
    .init = wj_init, .process = wj_process, .advance = wj_advance, .checkpoint = wj_checkpoint,
    .restore = wj_restore, .end = wj_end, .fingerprint = wj_fingerprint,
};
