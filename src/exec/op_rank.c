/*
 * op_rank.c — Top-N: `ROW_NUMBER() OVER (PARTITION BY p ORDER BY o) … WHERE
 * rn BETWEEN lo AND hi` (RankPlan), Flink's Rank operator.
 *
 * Per partition the top hi rows are kept sorted by the ORDER BY columns
 * (NULLs first or last as the plan says; rows with equal sort keys in
 * arrival order, so the earlier one ranks first: each row carries its
 * arrival number).  Over an append-only input a row that falls below rank
 * hi can never come back and is dropped.  Over an updating input the other
 * rows are kept too, unsorted in a hash table by their bytes (a retraction
 * finds them there), every one of them ranking after every top row; when a
 * top row is retracted the best of them (sort key, then arrival) moves up.
 * So an update below the top N costs a hash look-up, not a sort.
 *
 * What a change emits, as Flink's Rank does (positions 1-based):
 *   with the rank number (output): every rank r in lo..hi whose row
 *   changed: a rank that had a row  → -U[old, r] (when the consumer wants
 *   before-images) +U[new, r];  a rank that gets its first row → +I[new, r];
 *   a rank left empty (a retraction) → -D[old, r].  The unique key is
 *   partition + rank number.
 *   without it (no ranking output): only rows entering or leaving the
 *   ranks lo..hi: -D[the row pushed out], +I[the row moved in].  The
 *   unique key is the input's (if any).
 *   a retraction of a row the partition does not hold: nothing.
 *
 * State: a Keyed (keyed.h) from the encoded partition key to a RankPart
 * (the sorted rows, each its rowkey encoding and the Values decoded from
 * it); a checkpoint writes a changed partition's top rows (varint count,
 * then each row's varint length and encoding).  The rows below the top
 * (updating input) are each a key of a second, packed Keyed (`stored`,
 * under state_subspace(op, 1)): varint partition length, partition key,
 * varint arrival number, row encoding — so a checkpoint writes the rows
 * that changed, not every row of a changed partition (a partition of 20k
 * users rewritten per checkpoint made Top-N over an aggregate 0.18× the
 * pass-through; bench/README.md).  A state file of an earlier eddy, whose
 * partition rows hold the rest too, is read as such and rewritten.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "exec.h"
#include "htab.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

/* One stored row: its encoding, and the Values decoded from it (strings
 * point into the encoding, which follows the Values). */
typedef struct RankRow {
    uint32_t len;         /* encoding bytes */
    int64_t  seq;         /* arrival number: orders rows of equal sort keys */
    const char *enc;      /* the encoding (after the values) */
    struct RankRow *dup;  /* in the rest table: the next row with the same bytes */
    Value    vals[];      /* ncols values, then the len bytes of the encoding */
} RankRow;

/* A partition's rows (the Keyed entry's payload). */
typedef struct RankPart {
    RankRow **rows;       /* the top rows (at most hi), sorted, best first */
    int       n;          /* count */
    int       cap;        /* capacity */
    Htab      rest;       /* updating input: every other row, by its bytes (duplicates chained) */
    int64_t   nrest;      /* rows in rest */
} RankPart;

typedef struct RankState {
    Keyed    parts;       /* partition key → RankPart */
    Keyed    stored;      /* the rows below the top, one key each (no payload): what checkpoints write of them */
    StrBuf   skey;        /* scratch: a stored key */
    bool     legacy;      /* restore: a partition row held its rest (an earlier eddy's layout) */
    int      ncols;       /* input width */
    int      nout;        /* output width (ncols, + 1 with the rank number) */
    Type    *types;       /* input column types */
    int      npart;       /* partition width */
    int     *partcols;    /* partition columns */
    Type    *part_types;  /* their types */
    int      norder;      /* order width */
    int     *order;       /* order columns */
    bool    *desc;        /* per order column */
    bool    *nulls_last;  /* per order column */
    int64_t  lo, hi;      /* ranks kept */
    bool     output;      /* emit the rank number */
    bool     trim;        /* append-only input: keep only the top hi rows */
    bool     before;      /* emit -U before-images */
    int64_t  seq;         /* next arrival number */
    StrBuf   key, row;    /* scratch encodings */
} RankState;

static inline char *row_bytes(const RankState *st, RankRow *r) { return (char *)(r->vals + st->ncols); }

/* A stored copy of an encoded row; NULL when the bytes do not decode. */
static const void *rest_key(const void *entry, size_t *len)
{
    const RankRow *r = entry;
    *len = r->len;
    return r->enc;
}

static RankRow *row_new(const RankState *st, const char *enc, size_t len, int64_t seq)
{
    RankRow *r = xmalloc(sizeof(RankRow) + sizeof(Value) * (size_t)st->ncols + len);
    r->len = (uint32_t)len;
    r->seq = seq;
    r->dup = NULL;
    r->enc = row_bytes(st, r);
    memcpy(row_bytes(st, r), enc, len);
    if (rowkey_decode(row_bytes(st, r), len, st->types, r->vals, st->ncols, NULL)) {
        free(r);
        return NULL;
    }
    return r;
}

/* Sort order of two rows by the ORDER BY columns: < 0 when a ranks first. */
static int row_cmp(const RankState *st, const Value *a, const Value *b)
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

/* Rank order of two stored rows: sort key, then arrival. */
static int row_order(const RankState *st, const RankRow *a, const RankRow *b)
{
    int c = row_cmp(st, a->vals, b->vals);
    return c ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* The first position whose row ranks after `vals` (ties: after the equal ones). */
static int upper_bound(const RankState *st, const RankPart *p, const Value *vals)
{
    int lo = 0, hi = p->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (row_cmp(st, vals, p->rows[mid]->vals) < 0) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int lower_bound(const RankState *st, const RankPart *p, const Value *vals)
{
    int lo = 0, hi = p->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (row_cmp(st, p->rows[mid]->vals, vals) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void part_insert(RankPart *p, int at, RankRow *r)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->rows = realloc(p->rows, sizeof(RankRow *) * (size_t)p->cap);
        if (!p->rows) abort();
    }
    memmove(p->rows + at + 1, p->rows + at, sizeof(RankRow *) * (size_t)(p->n - at));
    p->rows[at] = r;
    p->n++;
}

static void part_remove(RankPart *p, int at)
{
    free(p->rows[at]);
    memmove(p->rows + at, p->rows + at + 1, sizeof(RankRow *) * (size_t)(p->n - at - 1));
    p->n--;
}

/* Takes the top row at `at` out of the array without freeing it. */
static RankRow *part_take(RankPart *p, int at)
{
    RankRow *r = p->rows[at];
    memmove(p->rows + at, p->rows + at + 1, sizeof(RankRow *) * (size_t)(p->n - at - 1));
    p->n--;
    return r;
}

/* The stored key of rest row r of the partition with key part. */
static void stored_key(RankState *st, const char *part, size_t plen, const RankRow *r)
{
    unsigned char v[ROWKEY_VARINT_MAX];
    st->skey.len = 0;
    sb_putn(&st->skey, (const char *)v, rowkey_put_varint(v, plen));
    sb_putn(&st->skey, part, plen);
    sb_putn(&st->skey, (const char *)v, rowkey_put_varint(v, (uint64_t)r->seq));
    sb_putn(&st->skey, r->enc, r->len);
}

/* Row r joins (stored) or leaves (!stored) the rest of partition part in
 * what the next checkpoint writes. */
static void stored_set(RankState *st, const char *part, size_t plen, const RankRow *r, bool stored)
{
    stored_key(st, part, plen, r);
    uint64_t h = keyed_hash(st->skey.s, st->skey.len);
    KeyedEntry *e = keyed_find(&st->stored, st->skey.s, st->skey.len, h);
    if (stored && !e) keyed_insert(&st->stored, st->skey.s, st->skey.len, h, 0);
    else if (!stored && e) keyed_remove(&st->stored, e, h);
}

static void rest_add(RankPart *p, RankRow *r)
{
    if (!p->rest.key) htab_init(&p->rest, rest_key);
    uint64_t h = htab_hash(r->enc, r->len);
    RankRow *head = htab_find(&p->rest, r->enc, r->len, h);
    if (head) {
        r->dup = head->dup;
        head->dup = r;
    } else {
        r->dup = NULL;
        htab_insert(&p->rest, r, h);
    }
    p->nrest++;
}

/* Takes one row with these bytes out of rest (the caller frees it); NULL
 * when there is none. */
static RankRow *rest_remove(RankPart *p, const char *enc, size_t len)
{
    if (!p->nrest) return NULL;
    uint64_t h = htab_hash(enc, len);
    RankRow *head = htab_find(&p->rest, enc, len, h);
    if (!head) return NULL;
    RankRow *r;
    if (head->dup) {
        r = head->dup;
        head->dup = r->dup;
    } else {
        htab_remove(&p->rest, enc, len, h);
        r = head;
    }
    r->dup = NULL;
    p->nrest--;
    return r;
}

/* Takes the best row of rest out of it (rest not empty). */
static RankRow *rest_pop_best(const RankState *st, RankPart *p)
{
    RankRow *best = NULL, *best_head = NULL, *best_prev = NULL;
    HtabIter it;
    htab_iter_init(&p->rest, &it);
    for (RankRow *head; (head = htab_iter_next(&p->rest, &it));)
        for (RankRow *r = head, *prev = NULL; r; prev = r, r = r->dup)
            if (!best || row_order(st, r, best) < 0) best = r, best_head = head, best_prev = prev;
    if (best_prev) {
        best_prev->dup = best->dup;
    } else if (best->dup) {   /* best heads its chain: its next takes its place in the table */
        RankRow *next = best->dup;
        uint64_t h = htab_hash(best->enc, best->len);
        htab_remove(&p->rest, best->enc, best->len, h);
        htab_insert(&p->rest, next, h);
    } else {
        htab_remove(&p->rest, best->enc, best->len, htab_hash(best->enc, best->len));
    }
    (void)best_head;
    best->dup = NULL;
    p->nrest--;
    return best;
}

static void rest_free(RankPart *p)
{
    if (!p->rest.key) return;
    HtabIter it;
    htab_iter_init(&p->rest, &it);
    for (RankRow *head; (head = htab_iter_next(&p->rest, &it));)
        for (RankRow *r = head, *next; r; r = next) {
            next = r->dup;
            free(r);
        }
    htab_free(&p->rest);
    memset(&p->rest, 0, sizeof p->rest);
    p->nrest = 0;
}

/* ---- checkpoint and restore ---------------------------------------------- */

static void save_row(StrBuf *val, const RankRow *r)
{
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(val, (const char *)v, rowkey_put_varint(v, (uint64_t)r->seq));
    sb_putn(val, (const char *)v, rowkey_put_varint(v, r->len));
    sb_putn(val, r->enc, r->len);
}

/* The stored value: the top rows' count, the rest's count, then each row
 * (top rows in rank order) as [arrival number][length][encoding]. */
static int part_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    const RankState *st = s->priv;
    RankPart *p = keyed_payload(e);
    if (p->n == 0) return 1;
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(val, (const char *)v, rowkey_put_varint(v, (uint64_t)p->n));
    sb_putn(val, (const char *)v, rowkey_put_varint(v, 0));   /* the rest: stored rows of their own (an earlier eddy wrote them here) */
    for (int i = 0; i < p->n; i++) save_row(val, p->rows[i]);
    rowkey_decode(keyed_key(e), e->klen, st->part_types, row, st->npart, NULL);
    row[st->npart] = (Value){.i = p->n + p->nrest};
    return 0;
}

static int part_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    const RankState *st = s->priv;
    RankPart *p = keyed_payload(e);
    memset(p, 0, sizeof *p);
    RankState *stw = s->priv;
    const unsigned char *q = val, *end = q + vlen;
    uint64_t n, nrest;
    if (rowkey_get_varint(&q, end, &n) || rowkey_get_varint(&q, end, &nrest) || n > vlen || nrest > vlen ||
        (nrest && st->trim) || (int64_t)n > st->hi)
        goto bad;
    for (uint64_t i = 0; i < n + nrest; i++) {
        uint64_t seq, len;
        if (rowkey_get_varint(&q, end, &seq) || rowkey_get_varint(&q, end, &len) || len > (uint64_t)(end - q)) goto bad;
        RankRow *r = row_new(st, (const char *)q, (size_t)len, (int64_t)seq);
        if (!r) goto bad;
        if (i < n) {
            part_insert(p, p->n, r);
        } else {   /* an earlier eddy's layout: rank_restore makes the rest stored rows */
            rest_add(p, r);
            stw->legacy = true;
        }
        if ((int64_t)seq >= stw->seq) stw->seq = (int64_t)seq + 1;
        q += len;
    }
    if (q != end) goto bad;
    return 0;
bad:
    for (int i = 0; i < p->n; i++) free(p->rows[i]);
    free(p->rows);
    rest_free(p);
    memset(p, 0, sizeof *p);
    return job_fail(s->job, "state file: a partition of Rank is unreadable (is the file damaged?)");
}

/* A stored rest row is all key: nothing to save beside it. */
static int stored_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    (void)s, (void)e, (void)val, (void)row;
    return 0;
}

/* A stored rest row: back into its partition (restored before it). */
static int stored_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    RankState *st = s->priv;
    const unsigned char *q = keyed_key(e), *end = q + e->klen;
    uint64_t plen, seq;
    if (rowkey_get_varint(&q, end, &plen) || plen > (uint64_t)(end - q)) goto bad;
    const unsigned char *part = q;
    q += plen;
    if (rowkey_get_varint(&q, end, &seq)) goto bad;
    uint64_t h = keyed_hash(part, (size_t)plen);
    KeyedEntry *pe = keyed_find(&st->parts, part, (size_t)plen, h);
    if (!pe) goto bad;
    RankPart *p = keyed_payload(pe);
    RankRow *r = row_new(st, (const char *)q, (size_t)(end - q), (int64_t)seq);
    if (!r || st->trim) {
        free(r);
        goto bad;
    }
    rest_add(p, r);
    if ((int64_t)seq >= st->seq) st->seq = (int64_t)seq + 1;
    return 0;
bad:
    return job_fail(s->job, "state file: a row of Rank is unreadable (is the file damaged?)");
}

static int rank_checkpoint(OpState *s, StateBatch *b, int op)
{
    RankState *st = s->priv;
    return keyed_checkpoint(&st->parts, b, op) || keyed_checkpoint(&st->stored, b, state_subspace(op, 1)) ? -1 : 0;
}

static int rank_restore(OpState *s, StateStore *store, int op)
{
    RankState *st = s->priv;
    if (keyed_restore(&st->parts, store, op) || keyed_restore(&st->stored, store, state_subspace(op, 1))) return -1;
    if (st->legacy) {   /* partitions that held their rest: rewritten without it, the rest as stored rows */
        HtabIter it;
        htab_iter_init(&st->parts.table, &it);
        for (KeyedEntry *e; (e = htab_iter_next(&st->parts.table, &it));) {
            RankPart *p = keyed_payload(e);
            if (!p->nrest) continue;
            keyed_touch(&st->parts, e);
            HtabIter ri;
            htab_iter_init(&p->rest, &ri);
            for (RankRow *head; (head = htab_iter_next(&p->rest, &ri));)
                for (RankRow *r = head; r; r = r->dup) stored_set(st, keyed_key(e), e->klen, r, true);
        }
        st->legacy = false;
    }
    return 0;
}

static void part_release(OpState *s, KeyedEntry *e)
{
    (void)s;
    RankPart *p = keyed_payload(e);
    for (int i = 0; i < p->n; i++) free(p->rows[i]);
    free(p->rows);
    rest_free(p);
    memset(p, 0, sizeof *p);
}

/* ---- lifecycle ------------------------------------------------------------ */

static int rank_init(OpState *s)
{
    const PlanNode *n = s->node;
    const RankPlan *rp = plan_rank(n);
    const PlanNode *in = n->inputs[0];
    RankState *st = xcalloc(1, sizeof *st);
    s->priv = st;
    st->ncols = in->ncols;
    st->nout = n->ncols;
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
    st->trim = rp->append_input;
    st->before = n->before;
    /* the state file's texts: key_text = the partition columns, value_text = the row count */
    JsonField *kf = xcalloc((size_t)rp->npartition, sizeof *kf), *vf = xcalloc(1, sizeof *vf);
    for (int k = 0; k < rp->npartition; k++) kf[k] = (JsonField){in->cols[rp->partition[k]].name, st->part_types[k], k};
    vf[0] = (JsonField){"rows", type_make(TY_BIGINT, false), rp->npartition};
    KeyedConfig cfg = {
        .vsize = sizeof(RankPart), .key_text = kf, .nkey_text = rp->npartition, .val_text = vf, .nval_text = 1,
        .row_width = rp->npartition + 1, .save = part_save, .load = part_load, .release = part_release,
    };
    keyed_init(&st->parts, s, &cfg);
    KeyedConfig scfg = {.vsize = 0, .save = stored_save, .load = stored_load, .packed = true};
    keyed_init(&st->stored, s, &scfg);
    return 0;
}

static void rank_end(OpState *s)
{
    RankState *st = s->priv;
    if (!st) return;
    keyed_free(&st->stored);
    keyed_free(&st->parts);
    sb_free(&st->skey);
    sb_free(&st->key);
    sb_free(&st->row);
    free(st->types);
    free(st->partcols);
    free(st->part_types);
    free(st->order);
    free(st->desc);
    free(st->nulls_last);
    free(st);
}

/* ---- process -------------------------------------------------------------- */

/* Emits stored row r (copied into the batch arena: it may be freed before
 * the batch is consumed) with kind k and, with output, rank number rank. */
static void emit(OpState *s, const RankRow *r, RowKind k, int64_t rank, int64_t ts, Batch *out)
{
    RankState *st = s->priv;
    Value *v = batch_add(out, k, ts);
    rowkey_decode((const char *)(r->vals + st->ncols), r->len, st->types, v, st->ncols, &s->job->batch_arena);
    if (st->output) v[st->ncols] = (Value){.i = rank};
}

static inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

/* Row x was inserted at position p (0-based) of rows (now n of them). */
static void emitted_insert(OpState *s, RankPart *p, int at, int64_t ts, Batch *out)
{
    RankState *st = s->priv;
    int64_t nnew = p->n, nold = nnew - 1;
    if (st->output) {
        for (int64_t r = imax(at + 1, st->lo); r <= imin(st->hi, nnew); r++) {
            if (r <= nold) {
                if (st->before) emit(s, p->rows[r], RK_UPDATE_BEFORE, r, ts, out);   /* old[r-1] is now at r */
                emit(s, p->rows[r - 1], RK_UPDATE_AFTER, r, ts, out);
            } else {
                emit(s, p->rows[r - 1], RK_INSERT, r, ts, out);
            }
        }
        return;
    }
    if (at > st->hi - 1) return;
    if (nold >= st->hi) emit(s, p->rows[st->hi], RK_DELETE, 0, ts, out);   /* pushed out */
    if (at >= st->lo - 1) emit(s, p->rows[at], RK_INSERT, 0, ts, out);
    else if (nnew >= st->lo) emit(s, p->rows[st->lo - 1], RK_INSERT, 0, ts, out);   /* moved down into the range */
}

/* The row at position at (0-based) is about to be removed. */
static void emitted_remove(OpState *s, RankPart *p, int at, int64_t ts, Batch *out)
{
    RankState *st = s->priv;
    int64_t nold = p->n;
    if (st->output) {
        for (int64_t r = imax(at + 1, st->lo); r <= imin(st->hi, nold); r++) {
            if (r < nold) {
                if (st->before) emit(s, p->rows[r - 1], RK_UPDATE_BEFORE, r, ts, out);
                emit(s, p->rows[r], RK_UPDATE_AFTER, r, ts, out);
            } else {
                emit(s, p->rows[r - 1], RK_DELETE, r, ts, out);
            }
        }
        return;
    }
    if (at > st->hi - 1) return;
    if (at >= st->lo - 1) emit(s, p->rows[at], RK_DELETE, 0, ts, out);
    else if (nold >= st->lo) emit(s, p->rows[st->lo - 1], RK_DELETE, 0, ts, out);   /* moved up out of the range */
    if (nold > st->hi) emit(s, p->rows[st->hi], RK_INSERT, 0, ts, out);           /* moved up into it */
}

static int rank_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    RankState *st = s->priv;
    Keyed *k = &st->parts;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        bool add = rowkind_is_add(in->kinds[i]);
        st->key.len = 0;
        rowkey_encode(&st->key, st->part_types, row, st->partcols, st->npart);
        uint64_t h = keyed_hash(st->key.s, st->key.len);
        KeyedEntry *e = keyed_find(k, st->key.s, st->key.len, h);
        if (!e && !add) continue;
        if (!e) {
            e = keyed_insert(k, st->key.s, st->key.len, h, sizeof(RankPart));
            memset(keyed_payload(e), 0, sizeof(RankPart));
        }
        RankPart *p = keyed_payload(e);
        if (add) {
            int at = upper_bound(st, p, row);
            if (at >= st->hi && st->trim) {
                if (p->n == 0) keyed_remove(k, e, h);
                continue;   /* below the top hi for good */
            }
            st->row.len = 0;
            rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
            RankRow *r = row_new(st, st->row.s, st->row.len, st->seq++);
            if (!r) return job_fail(s->job, "Rank: a row does not encode");
            if (at >= st->hi) {
                rest_add(p, r);   /* below the top: it ranks after every top row */
                stored_set(st, st->key.s, st->key.len, r, true);
            } else {
                part_insert(p, at, r);
                emitted_insert(s, p, at, in->ts[i], out);
                if (p->n > st->hi) {   /* the last top row falls out */
                    RankRow *last = part_take(p, p->n - 1);
                    if (st->trim) {
                        free(last);
                    } else {
                        rest_add(p, last);
                        stored_set(st, st->key.s, st->key.len, last, true);
                    }
                }
            }
        } else {
            st->row.len = 0;
            rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
            int at = -1;
            for (int j = lower_bound(st, p, row); j < p->n && row_cmp(st, p->rows[j]->vals, row) == 0 && at < 0; j++)
                if (p->rows[j]->len == st->row.len && memcmp(row_bytes(st, p->rows[j]), st->row.s, st->row.len) == 0) at = j;
            if (at < 0) {
                RankRow *gone = rest_remove(p, st->row.s, st->row.len);
                if (!gone) continue;   /* not held: nothing to retract */
                stored_set(st, st->key.s, st->key.len, gone, false);
                free(gone);
            } else {
                /* the best row of the rest moves up to take the last top place */
                if (p->nrest) {
                    RankRow *up = rest_pop_best(st, p);
                    stored_set(st, st->key.s, st->key.len, up, false);
                    part_insert(p, p->n, up);
                }
                emitted_remove(s, p, at, in->ts[i], out);
                part_remove(p, at);
            }
        }
        if (p->n == 0 && p->nrest == 0) keyed_remove(k, e, h);
        else keyed_touch(k, e);
    }
    return 0;
}

static void rank_fingerprint(const PlanNode *n, StrBuf *out)
{
    const RankPlan *rp = plan_rank(n);
    sb_puts(out, "Rank/2 partition=");
    for (int k = 0; k < rp->npartition; k++) sb_printf(out, "%d;", rp->partition[k]);
    sb_puts(out, " order=");
    for (int k = 0; k < rp->norder; k++) sb_printf(out, "%d%s%s;", rp->order[k], rp->desc[k] ? "d" : "a", rp->nulls_last[k] ? "l" : "f");
    sb_printf(out, " range=%" PRId64 "-%" PRId64 " trim=%d row=", rp->lo, rp->hi, rp->append_input);
    const PlanNode *in = n->inputs[0];
    for (int i = 0; i < in->ncols; i++) type_print(out, in->cols[i].type), sb_putc(out, ';');
    sb_puts(out, " input=");
    explain_lineage(in, out);
}

const OpVTable op_rank_vt = {
    .init = rank_init, .process = rank_process, .checkpoint = rank_checkpoint, .restore = rank_restore,
    .end = rank_end, .fingerprint = rank_fingerprint,
};
