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
 * pass-through; bench/README.md).  Those entries *are* the rest: the
 * partition's rest table indexes them by the row bytes inside their keys,
 * and their payload (RestRow) holds the chain of equal rows, the arrival
 * number and the decoded ORDER BY values, so a row entering or leaving the
 * rest costs one entry and two hash operations, no allocation of its own
 * (Top-3 users per region over 1M orders: the Rank's CPU 1.5 → … s).
 * When the input has a unique key (an aggregate's groups: the usual
 * Top-N over a GROUP BY), a rest row's stored key is its partition and its
 * unique key instead (KeyRow payload: the row, its arrival number and ORDER
 * BY values; the partition's rest a list through the payloads), and an
 * update pair that stays below the top (-U x, +U x' of one key, as the
 * aggregate emits them) rewrites that one entry in place: one look-up, no
 * allocation, one put at the next checkpoint — instead of a delete, an
 * insert and two rest-table operations (bench/README.md: Top-N).
 *
 *   retract x, x below the top   the next row is +U of the same key → it
 *                                 takes x's entry, where it is in the rest
 *                                 list (or the top, and the entry goes);
 *                                 else the entry leaves the rest and goes
 *   add x', below the top        its key's entry (a pair's, or a held one
 *                                 the input did not retract) gets x'; else
 *                                 a new entry
 *
 * The partition remembers its best rest row while it is known (kbest): a
 * row falling out of the top is it (it ranks before every rest row), one
 * added before it replaces it; losing it makes it unknown, and the next
 * retraction of a top row finds the best and the next best in one pass
 * over the rest list.  So the usual update of a top row costs no pass.
 *
 * State files of an earlier eddy are read as such and rewritten: partition
 * rows holding the rest too, and rest rows keyed by their bytes (an entry
 * with an empty value).
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
    Value    vals[];      /* ncols values, then the len bytes of the encoding */
} RankRow;

/* A partition's rows (the Keyed entry's payload). */
typedef struct RankPart {
    RankRow **rows;       /* the top rows (at most hi), sorted, best first */
    int       n;          /* count */
    int       cap;        /* capacity */
    Htab      rest;       /* updating input: every other row (a `stored` entry), by its bytes (duplicates chained) */
    KeyedEntry *khead;    /* the same with a unique key (bykey): the first KeyRow of the rest list */
    KeyedEntry *kbest;    /* bykey: the best row of the rest when known; NULL when unknown (or none) */
    int64_t   nrest;      /* rows in rest */
} RankPart;

/* A batch's encoded keys and their hashes, row by row (prepare). */
typedef struct RankBatch {
    StrBuf    part, row, skey;  /* partition keys, rows (updating input), stored keys of added rows */
    size_t   *poff, *roff, *soff; /* per row i: where its bytes start in each (i + 1: end) */
    uint64_t *ph, *rh, *sh;     /* their hashes */
    int       cap;              /* rows the arrays hold */
} RankBatch;

/* Rows ahead of the one worked on that prefetch looks at. */
#define RANK_AHEAD 8

typedef struct RankState {
    Keyed    parts;       /* partition key → RankPart */
    Keyed    stored;      /* the rows below the top, one key each, payload a RestRow */
    size_t   rest_size;   /* bytes of a RestRow (with norder values) */
    Value   *scratch;     /* ncols values: decoding a rest row */
    bool     ending;      /* rank_end: the stored entries go without unlinking */
    bool     resizing;    /* kput: an entry changes size in its partition's rest list, which kput mends */
    RankBatch rb;         /* the batch's keys (prepare) */
    StrBuf   skey;        /* scratch: a stored key */
    bool     legacy;      /* restore: a partition row held its rest (an earlier eddy's layout) */
    bool     bykey;       /* the rest is keyed by partition + the input's unique key (KeyRow payloads) */
    int      nukey;       /* the input's unique key width (bykey) */
    int     *ukey;        /* its columns */
    Type    *ukey_types;  /* their types */
    size_t   krow_size;   /* KeyRow bytes before the row encoding */
    int64_t  nlegacy_rows;/* restore: rest rows keyed by their bytes (an earlier eddy's layout), to re-key */
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

/* A row below the top: the payload of its `stored` entry, whose key ends
 * with the row's encoding. */
typedef struct RestRow {
    KeyedEntry *dup;      /* in the rest table: the next entry with the same row bytes */
    int64_t  seq;         /* arrival number */
    uint32_t off;         /* where the row encoding starts in the entry's key */
    uint32_t len;         /* its bytes */
    bool     linked;      /* in its partition's rest table */
    Value    ord[];       /* the ORDER BY columns' values (strings point into the key) */
} RestRow;

static inline RestRow *rest_row(const KeyedEntry *e) { return keyed_payload(e); }

/* A row below the top, keyed by partition and unique key (bykey): the
 * payload of its `stored` entry. */
typedef struct KeyRow {
    KeyedEntry *prev, *next; /* its partition's rest list */
    int64_t  seq;         /* arrival number */
    uint32_t len;         /* row encoding bytes (after ord) */
    bool     linked;      /* in its partition's rest list */
    bool     legacy;      /* restored from a row-bytes key (an earlier eddy's layout): to re-key */
    Value    ord[];       /* the ORDER BY columns' values (strings point into the encoding), then the encoding */
} KeyRow;

static inline KeyRow *key_row(const KeyedEntry *e) { return keyed_payload(e); }
static inline char *krow_enc(const RankState *st, KeyRow *r) { return (char *)(r->ord + st->norder); }
static inline const char *rest_enc(const KeyedEntry *e) { return (const char *)e->data + rest_row(e)->off; }

static const void *rest_key(const void *entry, size_t *len)
{
    const KeyedEntry *e = entry;
    *len = rest_row(e)->len;
    return rest_enc(e);
}

static RankRow *row_new(const RankState *st, const char *enc, size_t len, int64_t seq)
{
    RankRow *r = xmalloc(sizeof(RankRow) + sizeof(Value) * (size_t)st->ncols + len);
    r->len = (uint32_t)len;
    r->seq = seq;
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

/* Sort order of two rows below the top by their ORDER BY values a, b and
 * arrival numbers. */
static int ord_cmp(const RankState *st, const Value *a, int64_t aseq, const Value *b, int64_t bseq)
{
    for (int i = 0; i < st->norder; i++) {
        const Value *x = &a[i], *y = &b[i];
        if (x->null || y->null) {
            if (x->null && y->null) continue;
            return (x->null ? 1 : -1) * (st->nulls_last[i] ? 1 : -1);
        }
        int r = value_cmp(st->types[st->order[i]], x, y);
        if (r) return st->desc[i] ? -r : r;
    }
    return aseq < bseq ? -1 : aseq > bseq;
}

static int rest_order(const RankState *st, const RestRow *a, const RestRow *b)
{
    return ord_cmp(st, a->ord, a->seq, b->ord, b->seq);
}

/* bykey: rest entry a ranks before rest entry b. */
static bool kbefore(const RankState *st, const KeyedEntry *a, const KeyedEntry *b)
{
    const KeyRow *x = keyed_payload(a), *y = keyed_payload(b);
    return ord_cmp(st, x->ord, x->seq, y->ord, y->seq) < 0;
}

/* Fills a new (or restored) stored entry e's RestRow from its key:
 * varint partition length, partition key, varint arrival number, row
 * encoding.  Returns -1 when the key does not read as one. */
static int rest_fill(RankState *st, KeyedEntry *e, const char **part, size_t *plen)
{
    const unsigned char *q = keyed_key(e), *end = q + e->klen;
    uint64_t pl, seq;
    if (rowkey_get_varint(&q, end, &pl) || pl > (uint64_t)(end - q)) return -1;
    *part = (const char *)q;
    *plen = (size_t)pl;
    q += pl;
    if (rowkey_get_varint(&q, end, &seq)) return -1;
    RestRow *r = rest_row(e);
    r->dup = NULL;
    r->linked = false;
    r->seq = (int64_t)seq;
    r->off = (uint32_t)(q - (const unsigned char *)keyed_key(e));
    r->len = (uint32_t)(end - q);
    if (rowkey_decode((const char *)q, r->len, st->types, st->scratch, st->ncols, NULL)) return -1;
    for (int i = 0; i < st->norder; i++) r->ord[i] = st->scratch[st->order[i]];
    return 0;
}

/* Puts stored entry e into its partition's rest table. */
static void rest_link(RankPart *p, KeyedEntry *e)
{
    if (!p->rest.key) htab_init(&p->rest, rest_key);
    size_t len;
    const void *enc = rest_key(e, &len);
    uint64_t h = htab_hash(enc, len);
    KeyedEntry *head = htab_find(&p->rest, enc, len, h);
    if (head) {
        rest_row(e)->dup = rest_row(head)->dup;
        rest_row(head)->dup = e;
    } else {
        rest_row(e)->dup = NULL;
        htab_insert(&p->rest, e, h);
    }
    rest_row(e)->linked = true;
    p->nrest++;
}

static void kunlink(RankPart *p, KeyedEntry *e);
static int kadd(RankState *st, RankPart *p, const char *part, size_t plen, const char *enc, size_t len, int64_t seq,
                const Value *vals, bool from_top);

/* Appends the stored key of a rest row to b: varint partition length,
 * partition key, varint arrival number, row encoding. */
static void stored_key(StrBuf *b, const char *part, size_t plen, const char *enc, size_t len, int64_t seq)
{
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(b, (const char *)v, rowkey_put_varint(v, plen));
    sb_putn(b, part, plen);
    sb_putn(b, (const char *)v, rowkey_put_varint(v, (uint64_t)seq));
    sb_putn(b, enc, len);
}

/* Stored key key[0..klen) (hash h) joins the rest of partition p: a new
 * stored entry, which the next checkpoint writes.  check: the key may be
 * there already (a restore; arrival numbers are unique otherwise). */
static int rest_add_key(RankState *st, RankPart *p, const char *key, size_t klen, uint64_t h, bool check)
{
    if (check && keyed_find(&st->stored, key, klen, h)) return -1;   /* a damaged state file */
    KeyedEntry *e = keyed_insert(&st->stored, key, klen, h, st->rest_size);
    const char *pp;
    size_t pl;
    if (rest_fill(st, e, &pp, &pl)) {
        keyed_remove(&st->stored, e, h);
        return -1;
    }
    rest_link(p, e);
    return 0;
}

/* A row (its encoding and arrival number) joins the rest of partition part. */
static int rest_add(RankState *st, RankPart *p, const char *part, size_t plen, const char *enc, size_t len, int64_t seq, bool check)
{
    if (st->bykey) return kadd(st, p, part, plen, enc, len, seq, NULL, false);
    st->skey.len = 0;
    stored_key(&st->skey, part, plen, enc, len, seq);
    return rest_add_key(st, p, st->skey.s, st->skey.len, keyed_hash(st->skey.s, st->skey.len), check);
}

/* Takes entry e (in the chain headed by head, after prev or heading it)
 * out of the rest table. */
static void rest_unlink(RankPart *p, KeyedEntry *head, KeyedEntry *prev, KeyedEntry *e)
{
    RestRow *r = rest_row(e);
    if (prev) {
        rest_row(prev)->dup = r->dup;
    } else if (r->dup) {   /* e heads its chain: its next takes its place in the table */
        size_t len;
        const void *enc = rest_key(e, &len);
        uint64_t h = htab_hash(enc, len);
        htab_remove(&p->rest, enc, len, h);
        htab_insert(&p->rest, r->dup, h);
    } else {
        size_t len;
        const void *enc = rest_key(e, &len);
        htab_remove(&p->rest, enc, len, htab_hash(enc, len));
    }
    (void)head;
    r->dup = NULL;
    r->linked = false;
    p->nrest--;
}

/* Removes stored entry e (out of the rest table already) from the state. */
static void rest_drop(RankState *st, KeyedEntry *e)
{
    keyed_remove(&st->stored, e, keyed_hash(keyed_key(e), e->klen));
}

/* Removes one row with these bytes from the rest; false when there is none. */
static bool rest_remove(RankState *st, RankPart *p, const char *enc, size_t len)
{
    if (!p->nrest) return false;
    uint64_t h = htab_hash(enc, len);
    KeyedEntry *head = htab_find(&p->rest, enc, len, h);
    if (!head) return false;
    KeyedEntry *e = rest_row(head)->dup ? rest_row(head)->dup : head;
    rest_unlink(p, head, e == head ? NULL : head, e);
    rest_drop(st, e);
    return true;
}

/* Takes the best row of rest out of it and the state (rest not empty),
 * returning it as a top row. */
static RankRow *rest_pop_best(RankState *st, RankPart *p)
{
    if (st->bykey) {
        /* the best is usually known (kbest); else one pass finds it and
        ** the next best, which is the best once it has gone */
        KeyedEntry *kb = p->kbest, *next = NULL;
        if (!kb)
            for (KeyedEntry *e = p->khead; e; e = key_row(e)->next) {
                if (!kb || kbefore(st, e, kb)) next = kb, kb = e;
                else if (!next || kbefore(st, e, next)) next = e;
            }
        kunlink(p, kb);
        if (next) p->kbest = next;
        RankRow *r = row_new(st, krow_enc(st, key_row(kb)), key_row(kb)->len, key_row(kb)->seq);
        rest_drop(st, kb);
        return r;
    }
    KeyedEntry *best = NULL, *best_head = NULL, *best_prev = NULL;
    HtabIter it;
    htab_iter_init(&p->rest, &it);
    for (KeyedEntry *head; (head = htab_iter_next(&p->rest, &it));)
        for (KeyedEntry *e = head, *prev = NULL; e; prev = e, e = rest_row(e)->dup)
            if (!best || rest_order(st, rest_row(e), rest_row(best)) < 0) best = e, best_head = head, best_prev = prev;
    rest_unlink(p, best_head, best_prev, best);
    RankRow *r = row_new(st, rest_enc(best), rest_row(best)->len, rest_row(best)->seq);
    rest_drop(st, best);
    return r;
}

/* Removes every row of p's rest from the state and forgets the table
 * (an earlier eddy's partition row replaced during a restore, or one that
 * does not read). */
static void rest_drop_all(RankState *st, RankPart *p)
{
    while (p->khead) {
        KeyedEntry *e = p->khead;
        kunlink(p, e);
        rest_drop(st, e);
    }
    if (!p->rest.key) return;
    KeyedEntry **all = xcalloc((size_t)p->nrest + 1, sizeof *all);
    int64_t na = 0;
    HtabIter it;
    htab_iter_init(&p->rest, &it);
    for (KeyedEntry *head; (head = htab_iter_next(&p->rest, &it));)
        for (KeyedEntry *x = head; x; x = rest_row(x)->dup) all[na++] = x;
    for (int64_t i = 0; i < na; i++) {
        rest_row(all[i])->linked = false;
        rest_drop(st, all[i]);
    }
    free(all);
    htab_free(&p->rest);
    memset(&p->rest, 0, sizeof p->rest);
    p->nrest = 0;
}

/* Forgets the rest table (its entries belong to `stored`). */
static void rest_free(RankPart *p)
{
    p->khead = p->kbest = NULL;
    if (!p->rest.key) {
        p->nrest = 0;
        return;
    }
    htab_free(&p->rest);
    memset(&p->rest, 0, sizeof p->rest);
    p->nrest = 0;
}

/* ---- the rest by unique key (bykey) --------------------------------------- */

/* Appends the stored key of a row with values vals: varint partition
 * length, partition key, the encoding of the row's unique key. */
static void kkey(const RankState *st, StrBuf *b, const char *part, size_t plen, const Value *vals)
{
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(b, (const char *)v, rowkey_put_varint(v, plen));
    sb_putn(b, part, plen);
    rowkey_encode(b, st->ukey_types, vals, st->ukey, st->nukey);
}

/* The partition key inside stored key q[0..klen) (both layouts start with
 * it), or NULL when the key does not read as one. */
static const char *kpart(const unsigned char *q, size_t klen, size_t *plen)
{
    const unsigned char *end = q + klen;
    uint64_t pl;
    if (rowkey_get_varint(&q, end, &pl) || pl > (uint64_t)(end - q)) return NULL;
    *plen = (size_t)pl;
    return (const char *)q;
}

/* Gives entry e (payload krow_size + len bytes) row enc[0..len) and
 * arrival number seq, out of any list; -1 when the row does not decode. */
static int krow_set(RankState *st, KeyedEntry *e, const char *enc, size_t len, int64_t seq)
{
    KeyRow *r = key_row(e);
    r->prev = r->next = NULL;
    r->linked = r->legacy = false;
    r->seq = seq;
    r->len = (uint32_t)len;
    char *copy = krow_enc(st, r);
    memcpy(copy, enc, len);
    if (rowkey_decode(copy, len, st->types, st->scratch, st->ncols, NULL)) return -1;
    for (int i = 0; i < st->norder; i++) r->ord[i] = st->scratch[st->order[i]];
    return 0;
}

/* Puts entry e (its row set) into p's rest list, keeping kbest: the only
 * row is the best; a row before a known best is the new one. */
static void klink(const RankState *st, RankPart *p, KeyedEntry *e)
{
    if (!p->nrest) p->kbest = e;
    else if (p->kbest && kbefore(st, e, p->kbest)) p->kbest = e;
    KeyRow *r = key_row(e);
    r->prev = NULL;
    r->next = p->khead;
    if (p->khead) key_row(p->khead)->prev = e;
    p->khead = e;
    r->linked = true;
    p->nrest++;
}

static void kunlink(RankPart *p, KeyedEntry *e)
{
    if (p->kbest == e) p->kbest = NULL;   /* the next best is not known */
    KeyRow *r = key_row(e);
    if (r->prev) key_row(r->prev)->next = r->next;
    else p->khead = r->next;
    if (r->next) key_row(r->next)->prev = r->prev;
    r->prev = r->next = NULL;
    r->linked = false;
    p->nrest--;
}

/* Row enc[0..len) (arrival number seq) ranks no later than entry e's
 * current row (whose string values are still intact). */
static bool new_not_after(RankState *st, const KeyedEntry *e, const char *enc, size_t len, int64_t seq)
{
    if (rowkey_decode(enc, len, st->types, st->scratch, st->ncols, NULL)) return false;
    Value ord[st->norder > 0 ? st->norder : 1];
    for (int i = 0; i < st->norder; i++) ord[i] = st->scratch[st->order[i]];
    const KeyRow *r = keyed_payload(e);
    return ord_cmp(st, ord, seq, r->ord, r->seq) <= 0;
}

/* Row enc[0..len) (arrival number seq) joins partition p's rest under
 * stored key key[0..klen) (hash h), in e — that key's entry, NULL to look
 * it up: an entry the key has already is rewritten in place (one still in
 * the rest — an update pair's — keeps its place in the list, whose
 * neighbours are then not touched), else a new one is made.  -1 when the
 * row does not decode. */
static int kput(RankState *st, RankPart *p, KeyedEntry *e, const char *key, size_t klen, uint64_t h,
                const char *enc, size_t len, int64_t seq)
{
    if (!e) e = keyed_find(&st->stored, key, klen, h);
    KeyedEntry *prev = NULL, *next = NULL;
    bool linked = false, best = false;
    if (e) {
        KeyRow *r = key_row(e);
        linked = r->linked;
        if (linked) {
            prev = r->prev, next = r->next;
            if (p->kbest == e) best = new_not_after(st, e, enc, len, seq);   /* still the best? */
        }
        st->resizing = true;   /* stored_release leaves it in the list */
        KeyedEntry *n = keyed_resize(&st->stored, e, h, st->krow_size + len);
        st->resizing = false;
        if (n != e && linked) {   /* moved: its neighbours point at the new place */
            if (prev) key_row(prev)->next = n;
            else p->khead = n;
            if (next) key_row(next)->prev = n;
            if (p->kbest == e) p->kbest = n;
        }
        e = n;
    } else {
        e = keyed_insert(&st->stored, key, klen, h, st->krow_size + len);
    }
    int bad = krow_set(st, e, enc, len, seq);
    if (!linked) {
        if (bad) {
            keyed_remove(&st->stored, e, h);
            return -1;
        }
        klink(st, p, e);
        return 0;
    }
    KeyRow *r = key_row(e);   /* krow_set cleared its links: back in its place */
    r->prev = prev, r->next = next;
    r->linked = true;
    if (bad) {
        kunlink(p, e);
        keyed_remove(&st->stored, e, h);
        return -1;
    }
    if (p->kbest == e) {
        if (!best) p->kbest = NULL;   /* it moved back: another row may be the best now */
    } else if (p->kbest && kbefore(st, e, p->kbest)) {
        p->kbest = e;
    }
    return 0;
}

/* A row (its encoding, arrival number and, when known, decoded values)
 * joins the rest of partition part.  from_top: the row just fell out of
 * the top, so it ranks before every row of the rest — the best now. */
static int kadd(RankState *st, RankPart *p, const char *part, size_t plen, const char *enc, size_t len, int64_t seq,
                const Value *vals, bool from_top)
{
    if (!vals) {
        if (rowkey_decode(enc, len, st->types, st->scratch, st->ncols, NULL)) return -1;
        vals = st->scratch;
    }
    st->skey.len = 0;
    kkey(st, &st->skey, part, plen, vals);
    uint64_t h = keyed_hash(st->skey.s, st->skey.len);
    if (kput(st, p, NULL, st->skey.s, st->skey.len, h, enc, len, seq)) return -1;
    if (from_top) p->kbest = keyed_find(&st->stored, st->skey.s, st->skey.len, h);
    return 0;
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
    RankState *st = s->priv;
    RankPart *p = keyed_payload(e);
    memset(p, 0, sizeof *p);
    RankState *stw = st;
    const unsigned char *q = val, *end = q + vlen;
    uint64_t n, nrest;
    if (rowkey_get_varint(&q, end, &n) || rowkey_get_varint(&q, end, &nrest) || n > vlen || nrest > vlen ||
        (nrest && st->trim) || (int64_t)n > st->hi)
        goto bad;
    for (uint64_t i = 0; i < n + nrest; i++) {
        uint64_t seq, len;
        if (rowkey_get_varint(&q, end, &seq) || rowkey_get_varint(&q, end, &len) || len > (uint64_t)(end - q)) goto bad;
        if (i < n) {
            RankRow *r = row_new(st, (const char *)q, (size_t)len, (int64_t)seq);
            if (!r) goto bad;
            part_insert(p, p->n, r);
        } else {   /* an earlier eddy's layout: the rest become stored rows (new entries: the next checkpoint writes them) */
            if (rest_add(st, p, keyed_key(e), e->klen, (const char *)q, (size_t)len, (int64_t)seq, true)) goto bad;
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
    rest_drop_all(st, p);   /* the rest rows added so far go too */
    memset(p, 0, sizeof *p);
    return job_fail(s->job, "state file: a partition of Rank is unreadable (is the file damaged?)");
}

/* A stored rest row keyed by its bytes is all key: nothing to save beside
 * it.  By unique key: varint arrival number, row encoding. */
static int stored_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    (void)row;
    RankState *st = s->priv;
    if (!st->bykey) return 0;
    KeyRow *r = key_row(e);
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(val, (const char *)v, rowkey_put_varint(v, (uint64_t)r->seq));
    sb_putn(val, krow_enc(st, r), r->len);
    return 0;
}

/* A stored entry going while still in its partition's rest: a restore
 * replaying a later record of its key (a delete, or the row again). */
static void stored_release(OpState *s, KeyedEntry *e)
{
    RankState *st = s->priv;
    if (st->bykey) {
        size_t pl;
        const char *part = kpart(keyed_key(e), e->klen, &pl);
        if (!key_row(e)->linked || st->ending || st->resizing || !part) return;
        KeyedEntry *pe = keyed_find(&st->parts, part, pl, keyed_hash(part, pl));
        if (pe) kunlink(keyed_payload(pe), e);
        return;
    }
    RestRow *r = rest_row(e);
    if (!r->linked || st->ending) return;
    const unsigned char *q = keyed_key(e), *end = q + e->klen;
    uint64_t pl;
    if (rowkey_get_varint(&q, end, &pl) || pl > (uint64_t)(end - q)) return;   /* rest_fill read it: cannot happen */
    KeyedEntry *pe = keyed_find(&st->parts, q, (size_t)pl, keyed_hash(q, (size_t)pl));
    if (!pe) return;
    RankPart *p = keyed_payload(pe);
    size_t len;
    const void *enc = rest_key(e, &len);
    KeyedEntry *head = htab_find(&p->rest, enc, len, htab_hash(enc, len));
    for (KeyedEntry *x = head, *prev = NULL; x; prev = x, x = rest_row(x)->dup)
        if (x == e) {
            rest_unlink(p, head, prev, e);
            return;
        }
}

/* By unique key: the payload of a restored entry (the row bytes of an
 * earlier eddy's key are read again after the restore). */
static size_t stored_load_size(OpState *s, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)key, (void)klen;
    const RankState *st = s->priv;
    const unsigned char *q = val, *end = q + vlen;
    uint64_t seq;
    if (!vlen || rowkey_get_varint(&q, end, &seq)) return st->krow_size;
    return st->krow_size + (size_t)(end - q);
}

/* By unique key: [arrival number][row], back into its partition; an entry
 * without a value is an earlier eddy's (keyed by its row bytes), re-keyed
 * by rank_restore. */
static int stored_load_bykey(RankState *st, KeyedEntry *e, const void *val, size_t vlen)
{
    if (!vlen) {
        memset(key_row(e), 0, st->krow_size);
        key_row(e)->legacy = true;
        st->nlegacy_rows++;
        return 0;
    }
    const unsigned char *q = val, *end = q + vlen;
    uint64_t seq;
    size_t pl;
    const char *part = kpart(keyed_key(e), e->klen, &pl);
    if (!part || rowkey_get_varint(&q, end, &seq) || e->vlen != st->krow_size + (size_t)(end - q) ||
        krow_set(st, e, (const char *)q, (size_t)(end - q), (int64_t)seq))
        return -1;
    KeyedEntry *pe = keyed_find(&st->parts, part, pl, keyed_hash(part, pl));
    if (!pe) return -1;
    klink(st, keyed_payload(pe), e);
    if ((int64_t)seq >= st->seq) st->seq = (int64_t)seq + 1;
    return 0;
}

/* Re-keys the rest rows an earlier eddy keyed by their bytes ([partition]
 * [arrival number][row]): each becomes its unique key's entry, and the
 * next checkpoint deletes the old key. */
static int rekey_legacy(RankState *st)
{
    KeyedEntry **all = xcalloc((size_t)st->nlegacy_rows + 1, sizeof *all);
    int64_t n = 0;
    HtabIter it;
    htab_iter_init(&st->stored.table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&st->stored.table, &it));)
        if (key_row(e)->legacy && n < st->nlegacy_rows) all[n++] = e;
    int rc = 0;
    for (int64_t i = 0; i < n && !rc; i++) {
        KeyedEntry *e = all[i];
        const unsigned char *q = keyed_key(e), *end = q + e->klen;
        uint64_t pl, seq;
        if (rowkey_get_varint(&q, end, &pl) || pl > (uint64_t)(end - q)) { rc = -1; break; }
        const char *part = (const char *)q;
        q += pl;
        if (rowkey_get_varint(&q, end, &seq)) { rc = -1; break; }
        KeyedEntry *pe = keyed_find(&st->parts, part, (size_t)pl, keyed_hash(part, (size_t)pl));
        if (!pe || kadd(st, keyed_payload(pe), part, (size_t)pl, (const char *)q, (size_t)(end - q), (int64_t)seq, NULL, false)) {
            rc = -1;
            break;
        }
        if ((int64_t)seq >= st->seq) st->seq = (int64_t)seq + 1;
        rest_drop(st, e);
    }
    free(all);
    st->nlegacy_rows = 0;
    return rc;
}

/* A stored rest row: back into its partition (restored before it). */
static int stored_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    RankState *st = s->priv;
    if (st->bykey) {
        if (st->trim || stored_load_bykey(st, e, val, vlen)) goto bad;
        return 0;
    }
    (void)val;
    (void)vlen;
    const char *part;
    size_t plen;
    if (st->trim || rest_fill(st, e, &part, &plen)) goto bad;
    KeyedEntry *pe = keyed_find(&st->parts, part, plen, keyed_hash(part, plen));
    if (!pe) goto bad;
    rest_link(keyed_payload(pe), e);
    if (rest_row(e)->seq >= st->seq) st->seq = rest_row(e)->seq + 1;
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
    if (st->nlegacy_rows && rekey_legacy(st)) return job_fail(s->job, "state file: a row of Rank is unreadable (is the file damaged?)");
    if (st->legacy) {   /* partitions that held their rest: rewritten without it, the rest as stored rows */
        HtabIter it;
        htab_iter_init(&st->parts.table, &it);
        for (KeyedEntry *e; (e = htab_iter_next(&st->parts.table, &it));) {
            RankPart *p = keyed_payload(e);
            if (p->nrest) keyed_touch(&st->parts, e);   /* rewritten without its rest, which part_load made stored rows */
        }
        st->legacy = false;
    }
    return 0;
}

static void part_release(OpState *s, KeyedEntry *e)
{
    RankState *st = s->priv;
    RankPart *p = keyed_payload(e);
    for (int i = 0; i < p->n; i++) free(p->rows[i]);
    free(p->rows);
    if (st->ending) rest_free(p);
    else rest_drop_all(st, p);
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
    st->rest_size = sizeof(RestRow) + sizeof(Value) * (size_t)st->norder;
    st->krow_size = sizeof(KeyRow) + sizeof(Value) * (size_t)st->norder;
    st->scratch = xcalloc((size_t)in->ncols, sizeof *st->scratch);
    /* an updating input with a unique key (the planner's fact about it):
     * the rest is keyed by it, so an update pair below the top is one entry */
    st->bykey = !st->trim && in->has_key;
    if (st->bykey) {
        st->nukey = in->nkey;
        st->ukey = xcalloc((size_t)in->nkey + 1, sizeof *st->ukey);
        st->ukey_types = xcalloc((size_t)in->nkey + 1, sizeof *st->ukey_types);
        for (int k = 0; k < in->nkey; k++) {
            st->ukey[k] = in->key[k];
            st->ukey_types[k] = in->cols[in->key[k]].type;
        }
    }
    KeyedConfig scfg = {.vsize = st->bykey ? 0 : st->rest_size, .save = stored_save, .load = stored_load,
                        .release = stored_release, .load_size = st->bykey ? stored_load_size : NULL, .packed = true};
    keyed_init(&st->stored, s, &scfg);
    return 0;
}

static void rank_end(OpState *s)
{
    RankState *st = s->priv;
    if (!st) return;
    st->ending = true;
    keyed_free(&st->stored);
    keyed_free(&st->parts);
    sb_free(&st->skey);
    free(st->scratch);
    sb_free(&st->rb.part);
    sb_free(&st->rb.row);
    sb_free(&st->rb.skey);
    free(st->rb.poff);
    free(st->rb.roff);
    free(st->rb.soff);
    free(st->rb.ph);
    free(st->rb.rh);
    free(st->rb.sh);
    sb_free(&st->key);
    sb_free(&st->row);
    free(st->types);
    free(st->partcols);
    free(st->part_types);
    free(st->order);
    free(st->desc);
    free(st->nulls_last);
    free(st->ukey);
    free(st->ukey_types);
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

/*
 * The batch's keys first, then the rows (as op_agg does): prepare encodes
 * each row's partition key and, over an updating input, its row and — for
 * a row that is added — the stored key it gets if it lands in the rest
 * (its arrival number is known: every added row takes the next one), with
 * their hashes; prefetch, RANK_AHEAD rows ahead of the row being worked
 * on, asks for the table slots those keys will probe.
 */
static void *rank_grow(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) abort();   /* out of memory: the library does not print */
    return p;
}

static void prepare(RankState *st, const Batch *in)
{
    RankBatch *rb = &st->rb;
    if (in->n + 1 > rb->cap) {
        rb->cap = in->n + 1;
        rb->poff = rank_grow(rb->poff, sizeof *rb->poff * (size_t)rb->cap);
        rb->roff = rank_grow(rb->roff, sizeof *rb->roff * (size_t)rb->cap);
        rb->soff = rank_grow(rb->soff, sizeof *rb->soff * (size_t)rb->cap);
        rb->ph = rank_grow(rb->ph, sizeof *rb->ph * (size_t)rb->cap);
        rb->rh = rank_grow(rb->rh, sizeof *rb->rh * (size_t)rb->cap);
        rb->sh = rank_grow(rb->sh, sizeof *rb->sh * (size_t)rb->cap);
    }
    rb->part.len = rb->row.len = rb->skey.len = 0;
    int64_t seq = st->seq;
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        rb->poff[i] = rb->part.len;
        rowkey_encode(&rb->part, st->part_types, row, st->partcols, st->npart);
        rb->ph[i] = keyed_hash(rb->part.s + rb->poff[i], rb->part.len - rb->poff[i]);
        rb->roff[i] = rb->row.len;
        rb->soff[i] = rb->skey.len;
        if (st->trim) continue;
        rowkey_encode(&rb->row, st->types, row, NULL, st->ncols);
        if (st->bykey) {   /* every row: a retraction finds its entry by it too (no rest table by row bytes) */
            kkey(st, &rb->skey, rb->part.s + rb->poff[i], rb->part.len - rb->poff[i], row);
            rb->sh[i] = keyed_hash(rb->skey.s + rb->soff[i], rb->skey.len - rb->soff[i]);
            continue;
        }
        rb->rh[i] = htab_hash(rb->row.s + rb->roff[i], rb->row.len - rb->roff[i]);
        if (!rowkind_is_add(in->kinds[i])) continue;
        stored_key(&rb->skey, rb->part.s + rb->poff[i], rb->part.len - rb->poff[i], rb->row.s + rb->roff[i],
                   rb->row.len - rb->roff[i], seq++);
        rb->sh[i] = keyed_hash(rb->skey.s + rb->soff[i], rb->skey.len - rb->soff[i]);
    }
    rb->poff[in->n] = rb->part.len;
    rb->roff[in->n] = rb->row.len;
    rb->soff[in->n] = rb->skey.len;
}

/* Hints for row j (prepare'd): its partition's slot, its rest table's
 * slot for its row bytes, the stored table's slot for its new key. */
static void prefetch(RankState *st, int j)
{
    RankBatch *rb = &st->rb;
    keyed_prefetch_slot(&st->parts, rb->ph[j]);
    if (st->trim) return;
    if (rb->soff[j + 1] > rb->soff[j]) keyed_prefetch_slot(&st->stored, rb->sh[j]);
    int m = j - RANK_AHEAD / 2;   /* by now its partition is in cache */
    if (st->bykey) {   /* the entry of row m's key (a retraction's, or a held key's), whose slot is in cache by now */
        keyed_prefetch_entry(&st->stored, rb->sh[m]);
        return;
    }
    KeyedEntry *e = keyed_find(&st->parts, rb->part.s + rb->poff[m], rb->poff[m + 1] - rb->poff[m], rb->ph[m]);
    if (e && ((RankPart *)keyed_payload(e))->rest.tags) {
        const Htab *t = &((RankPart *)keyed_payload(e))->rest;
        htab_prefetch_slot(t, rb->rh[m]);
        if (rb->soff[m + 1] == rb->soff[m]) htab_prefetch_entry(t, rb->rh[m]);   /* a retraction: its entry */
    }
}

/* Row i's encoding: prepare'd over an updating input; over an append-only
 * one only the rows that reach the top are encoded, here. */
static const char *row_enc(RankState *st, const Value *row, int i, size_t *len)
{
    const RankBatch *rb = &st->rb;
    if (!st->trim) {
        *len = rb->roff[i + 1] - rb->roff[i];
        return rb->row.s + rb->roff[i];
    }
    st->row.len = 0;
    rowkey_encode(&st->row, st->types, row, NULL, st->ncols);
    *len = st->row.len;
    return st->row.s;
}

/* Rows i and j (prepare'd, bykey) have one stored key. */
static bool same_skey(const RankBatch *rb, int i, int j)
{
    size_t li = rb->soff[i + 1] - rb->soff[i], lj = rb->soff[j + 1] - rb->soff[j];
    return rb->sh[i] == rb->sh[j] && li == lj && memcmp(rb->skey.s + rb->soff[i], rb->skey.s + rb->soff[j], li) == 0;
}

static int rank_chunk(OpState *s, const Batch *in, Batch *out)
{
    RankState *st = s->priv;
    Keyed *k = &st->parts;
    RankBatch *rb = &st->rb;
    KeyedEntry *vac = NULL;   /* bykey: the entry a retraction left, for the next row (its +U); still in its rest list */
    RankPart *vac_p = NULL;   /* its partition */
    int vac_at = -1;
    int rc = 0;
    prepare(st, in);
    for (int i = 0; i < in->n; i++) {
        if (i + RANK_AHEAD < in->n) prefetch(st, i + RANK_AHEAD);
        if (vac && i != vac_at) {
            kunlink(vac_p, vac);
            rest_drop(st, vac);
            vac = NULL;
        }
        const Value *row = batch_row(in, i);
        bool add = rowkind_is_add(in->kinds[i]);
        const char *pk = rb->part.s + rb->poff[i];
        size_t plen = rb->poff[i + 1] - rb->poff[i];
        uint64_t h = rb->ph[i];
        KeyedEntry *e = keyed_find(k, pk, plen, h);
        if (!e && !add) continue;
        if (!e) {
            e = keyed_insert(k, pk, plen, h, sizeof(RankPart));
            memset(keyed_payload(e), 0, sizeof(RankPart));
        }
        RankPart *p = keyed_payload(e);
        if (add) {
            int at = upper_bound(st, p, row);
            if (at >= st->hi && st->trim) {
                if (p->n == 0) keyed_remove(k, e, h);
                continue;   /* below the top hi for good */
            }
            size_t elen;
            const char *enc = row_enc(st, row, i, &elen);
            if (at >= st->hi) {   /* below the top: it ranks after every top row */
                const char *sk = rb->skey.s + rb->soff[i];
                size_t sklen = rb->soff[i + 1] - rb->soff[i];
                int bad = st->bykey ? kput(st, p, vac, sk, sklen, rb->sh[i], enc, elen, st->seq)
                                    : rest_add_key(st, p, sk, sklen, rb->sh[i], false);
                vac = NULL;
                if (bad) {
                    rc = job_fail(s->job, "Rank: a row does not encode");
                    break;
                }
                st->seq++;
            } else {
                if (vac) {   /* the pair's new row reaches the top: the old one's entry goes */
                    kunlink(p, vac);
                    rest_drop(st, vac);
                    vac = NULL;
                }
                RankRow *r = row_new(st, enc, elen, st->seq++);
                if (!r) {
                    rc = job_fail(s->job, "Rank: a row does not encode");
                    break;
                }
                part_insert(p, at, r);
                emitted_insert(s, p, at, in->ts[i], out);
                if (p->n > st->hi) {   /* the last top row falls out */
                    RankRow *last = part_take(p, p->n - 1);
                    int bad = st->trim ? 0
                              : st->bykey ? kadd(st, p, pk, plen, last->enc, last->len, last->seq, last->vals, true)
                                          : rest_add(st, p, pk, plen, last->enc, last->len, last->seq, false);
                    free(last);
                    if (bad) {
                        rc = job_fail(s->job, "Rank: a row does not encode");
                        break;
                    }
                }
            }
        } else {
            size_t elen;
            const char *enc = row_enc(st, row, i, &elen);
            int at = -1;
            for (int j = lower_bound(st, p, row); j < p->n && row_cmp(st, p->rows[j]->vals, row) == 0 && at < 0; j++)
                if (p->rows[j]->len == elen && memcmp(row_bytes(st, p->rows[j]), enc, elen) == 0) at = j;
            if (at < 0 && st->bykey) {
                KeyedEntry *se = p->nrest ? keyed_find(&st->stored, rb->skey.s + rb->soff[i],
                                                       rb->soff[i + 1] - rb->soff[i], rb->sh[i]) : NULL;
                KeyRow *kr = se ? key_row(se) : NULL;
                if (!kr || !kr->linked || kr->len != elen || memcmp(krow_enc(st, kr), enc, elen) != 0)
                    continue;   /* not held: nothing to retract */
                if (i + 1 < in->n && rowkind_is_add(in->kinds[i + 1]) && same_skey(rb, i, i + 1)) {
                    vac = se;   /* its +U follows: it may take the entry, in place in the rest list */
                    vac_p = p;
                    vac_at = i + 1;
                } else {
                    kunlink(p, se);
                    rest_drop(st, se);
                }
            } else if (at < 0) {
                if (!rest_remove(st, p, enc, elen)) continue;   /* not held: nothing to retract */
            } else {
                /* the best row of the rest moves up to take the last top place */
                if (p->nrest) {
                    RankRow *up = rest_pop_best(st, p);
                    if (!up) {
                        rc = job_fail(s->job, "Rank: a row does not decode");
                        break;
                    }
                    part_insert(p, p->n, up);
                }
                emitted_remove(s, p, at, in->ts[i], out);
                part_remove(p, at);
            }
        }
        if (p->n == 0 && p->nrest == 0) keyed_remove(k, e, h);
        else keyed_touch(k, e);
    }
    if (vac) {
        kunlink(vac_p, vac);
        rest_drop(st, vac);
    }
    return rc;
}

/* A batch goes through in chunks of RANK_CHUNK rows, each prepared just
 * before it is worked on, so that its keys are still in cache then (a
 * mini-batch of an aggregate's updates is often 100k rows: prepared whole,
 * its keys were written out to memory and read back, 5 % of the job's time
 * in bench/sql/topn.sql).  An update pair (-U, +U) is never split. */
#define RANK_CHUNK 256

static int rank_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;
    for (int c0 = 0; c0 < in->n;) {
        int cn = in->n - c0 < RANK_CHUNK ? in->n - c0 : RANK_CHUNK;
        if (c0 + cn < in->n && !rowkind_is_add(in->kinds[c0 + cn - 1]) && rowkind_is_add(in->kinds[c0 + cn])) cn++;
        Batch view = batch_slice(in, c0, cn);
        if (rank_chunk(s, &view, out)) return -1;
        c0 += cn;
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
