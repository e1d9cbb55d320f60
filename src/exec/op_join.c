/*
 * op_join.c — the regular join (inner, left, right, full outer), Flink's
 * streaming join: both sides' rows are kept per join key, and every row
 * that arrives is matched against the other side's rows of its key.
 *
 * State: one Keyed (keyed.h) whose entries are stored rows.  An entry's key
 * is [side][join key length][join key][row] (rowkey bytes), its payload a
 * JoinRec: how many copies of the row the side holds, how many rows of the
 * other side it matches (an outer side's row is NULL-padded in the output
 * while that is 0), and when it was last written (for table.exec.state.ttl).
 * A checkpoint therefore writes the rows that changed, not whole keys (packed,
 * keyed.h).  An index in memory only (rebuilt on restore) holds per join key
 * a Bucket with both sides' lists of entries, so that an arriving row finds
 * the other side's rows and its own side's list in one look-up.
 *
 * A side whose input only inserts (an append-only stream: orders joined with
 * their customer) never looks a row up by its bytes except to find an
 * identical row already held (one entry, two copies), so its entries are
 * the Keyed's loose ones, not in its table (keyed_insert_loose): an
 * identical row is looked for in the bucket, through a 256-bit filter of
 * the side's row hashes there (two bits a row; both set: the side's list
 * is walked) and,
 * once the side holds more than LOOSE_INDEX_AT rows of the key, a small
 * table of its own.  That saves the per-row slot of a table of every row
 * (~25 bytes a row, and its growth: the table was a fifth of the join's
 * time in the enrichment benchmark); rows, order and counts are the same.
 *
 * A row whose join key has a NULL matches nothing and is not kept: an outer
 * side emits it NULL-padded (and retracts it the same way).
 *
 * What a row does, as Flink's StreamingJoinOperator does it:
 *   insert x   each match r: +I x⊕r; an outer other side's r that matched
 *              nothing before loses its NULL-padded row;
 *              no match and x's side is outer: +I x⊕NULL
 *   retract x  each match r: -D x⊕r; an outer r left with no match gets
 *              its NULL-padded row back; no match, outer side: -D x⊕NULL
 * A NULL-padded row that gives way to a joined one (and back) comes out as
 * an update pair (-U old, +U new) rather than -D and +I, and an update of a
 * row (-U old, +U new with one join key) is joined as one change: its
 * joined rows change in pairs and no NULL-padded row flickers in between.
 * A consumer that takes upserts (no -U wanted) gets the +U alone when the
 * pair has one unique key; otherwise a pair whose keys differ is -D and +I.
 *
 * A side whose input is an upsert source keyed by exactly its join key
 * (JoinPlan.lupsert/rupsert: the planner left out the ChangelogNormalize)
 * holds at most one row per bucket, and takes the source's rows as that
 * normalize would have turned them into changes (op_normalize.c):
 *   upsert of a new key      insert x
 *   upsert of a changed row  the update old → x (as a -U old, +U x pair)
 *   identical re-upsert      nothing
 *   delete of a key          retract old (an unknown key: nothing)
 */
#include <stddef.h>
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

/* A stored row: the payload of its keyed entry.  Its fields past `next`
 * exist only when the join needs them (Side.recsize: an inner join without
 * a TTL keeps 32 bytes a row, not 48, and 16 for a row of a loose side;
 * every kept row is memory the join touches for the first time). */
typedef struct JoinRec {
    int64_t     count;    /* copies of the row the side holds */
    KeyedEntry *next;     /* the next row of its side's list in its bucket */
    /* Kept up to date for a side that is not loose (a loose side's rows are
     * rarely taken out: unlink_rec finds their bucket and predecessor): */
    KeyedEntry *prev;     /* the row before it in that list */
    Bucket     *bucket;   /* the join key it belongs to (its side: the entry key's first byte) */
    /* With an outer side, a semi or anti join, or a TTL (JoinState.keep_assoc): */
    int64_t     assoc;    /* rows of the other side it matches (read for outer sides) */
    /* With a TTL only: */
    int64_t     touched;  /* processing time of its last write (ms): table.exec.state.ttl */
    KeyedEntry *older, *newer; /* the TTL list, least recently written first */
} JoinRec;

/* One side's rows of one join key. */
typedef struct RowList {
    KeyedEntry *head;     /* first row (rows in the order they came) */
    KeyedEntry *tail;     /* last row */
    int64_t     nrows;    /* distinct rows in the list */
    Htab       *index;    /* a loose side with more than LOOSE_INDEX_AT rows: entry key → entry (malloc'd), else NULL */
} RowList;

/* Both sides' rows of one join key (the index, not checkpointed; from
 * JoinState.bslab, freed when both lists are empty).  After the key bytes
 * (padded to 8), LOOSE_FILTER words per loose side (Side.filter): bit
 * (h & 255) is set for each row of the side whose entry-key hash is h. */
struct Bucket {
    RowList     side[2];  /* left, right */
    uint32_t    klen;     /* key bytes: [join key length][join key] */
    _Alignas(8) unsigned char key[];
};

/* 64-bit words of a loose side's row filter in a bucket (256 bits, two
 * per row in one word: filter_bit). */
#define LOOSE_FILTER 4
/* A loose side's rows of one key past which the bucket gets a table of
 * them (the filter fills up: the walks would grow with the rows). */
#define LOOSE_INDEX_AT 32

typedef struct Side {
    int            ncols;  /* row width */
    int            off;    /* its first column in the output row */
    Type          *types;  /* row types */
    BExpr *const  *keys;   /* join key expressions over the row */
    bool           outer;  /* its rows stay in the output, NULL-padded, when nothing matches */
    bool           loose;  /* the input only inserts: its entries are loose (not in the Keyed's table) */
    bool           upsert; /* the input is upserts keyed by the join key: one row per bucket (upsert_row) */
    size_t         recsize;/* payload bytes of a new row: JoinState.recsize, or for a loose side of a join
                              without keep_assoc, only count and next */
    int            filter; /* loose: its filter's first word among the bucket's (after the key) */
} Side;

/* A row's keys: computed for a whole batch ahead of the look-ups (so that
 * they can be prefetched), or on the spot for an update pair. */
typedef struct RowKeys {
    size_t      off;      /* where its entry key starts in its buffer */
    uint32_t    plen;     /* bytes of [side][join key length][join key]: the bucket key is the part after the side */
    uint32_t    len;      /* bytes of the entry key: that and the encoded row */
    int         nul;      /* 1: the join key has a NULL (nothing else is set); -1: not computed (an error to raise in turn) */
    uint64_t    hb, hr;   /* hashes of the bucket key and of the entry key */
    /* Set by prefetch_rows, which looks the bucket up ahead: that bucket
     * (NULL: not looked up, or none then), still the row's while
     * JoinState.bfreed is bgen (a bucket never moves; one freed may come
     * back at the same address). */
    Bucket     *b;
    uint64_t    bgen;
} RowKeys;

/* A row of the other side that an arriving row (or update pair) meets. */
typedef struct Match {
    KeyedEntry *e;        /* the stored row */
    bool        m_old;    /* it matches (the old row of a pair) */
    bool        m_new;    /* it matches the new row of a pair */
} Match;

typedef struct JoinState {
    Keyed       rows;     /* stored rows (first: keyed_op_checkpoint finds it here) */
    Htab        buckets;  /* [join key length][join key] → Bucket */
    Slab        bslab;    /* where buckets live */
    size_t      bextra;   /* bytes of filters after a bucket's key (LOOSE_FILTER words per loose side) */
    int64_t     nindex;   /* buckets' RowList.index tables alive */
    uint64_t    bfreed;   /* buckets freed so far (RowKeys.bgen) */
    bool        ending;   /* join_end: rows are freed with their buckets, not unlinked one by one */
    Side        side[2];  /* left, right */
    int         nkeys;    /* join key width */
    Type       *key_types;/* their (common) types */
    const BExpr *residual;/* over the output row, or NULL */
    int         ncols;    /* output width */
    Type       *types;    /* output types */
    bool        before;   /* the consumer wants -U before-images */
    int         nkey;     /* unique key of the output (compared to pair updates), 0 = none */
    const int  *key;      /* its columns */
    int64_t     ttl;      /* table.exec.state.ttl (ms), 0 = none */
    size_t      recsize;  /* payload bytes of a row: JoinRec, without what the join does not need (keep_assoc, ttl) */
    bool        keep_assoc; /* rows keep JoinRec.assoc (an outer side, a semi or anti join, or a TTL) */
    KeyedEntry *oldest, *newest; /* the TTL list */
    Value      *kv;       /* scratch: join key values */
    Value      *joined;   /* scratch: an output row (residual, emission) */
    Value      *joined2;  /* scratch: a second one (update pairs) */
    Match      *m;        /* scratch: matches */
    int         capm;     /* their capacity */
    StrBuf      ka, kb;   /* scratch: the keys of an update pair's rows */
    StrBuf      pre;      /* a batch's entry keys, computed ahead (join_process) */
    RowKeys    *rk;       /* their RowKeys */
    int         caprk;    /* capacity */
    Value      *scratch;  /* restore: a decoded row */
    int64_t     ignored;  /* retractions of rows the side did not hold */
    bool        semi;     /* a semi or anti join: the output is the left rows (semi_process) */
    bool        anti;     /* an anti join: a left row is out while it meets no right row */
} JoinState;
_Static_assert(offsetof(JoinState, rows) == 0, "keyed_op_* expect the Keyed first");

static inline JoinRec *rec_of(const KeyedEntry *e) { return keyed_payload(e); }

static const void *bucket_key(const void *entry, size_t *len)
{
    const Bucket *b = entry;
    *len = b->klen;
    return b->key;
}

/* A stored row's key, for a loose side's own index (RowList.index). */
static const void *entry_key(const void *entry, size_t *len)
{
    const KeyedEntry *e = entry;
    *len = e->klen;
    return keyed_key(e);
}

/* ---- the index: buckets and the TTL list ---- */

static size_t bucket_size(const JoinState *st, size_t klen) { return sizeof(Bucket) + ((klen + 7) & ~(size_t)7) + st->bextra; }

/* Side sd's row filter in bucket b (a loose side only). */
static uint64_t *bucket_filter(const JoinState *st, const Bucket *b, int sd)
{
    return (uint64_t *)(b->key + ((b->klen + 7) & ~(size_t)7)) + st->side[sd].filter;
}

/* Two bits of one word per row (a blocked Bloom filter): with 10 rows of a
 * key an arriving row finds both set, and walks the list for nothing, once
 * in about 170 rows, against once in 26 with one bit; every walk is a cache
 * miss per row of the list (bench/README.md, "Enrichment, seventh session"). */
static inline uint64_t filter_bit(uint64_t h) { return (uint64_t)1 << (h & 63) | (uint64_t)1 << ((h >> 8) & 63); }
static inline int filter_word(uint64_t h) { return (int)((h >> 6) & (LOOSE_FILTER - 1)); }

static void index_free(JoinState *st, RowList *l)
{
    if (!l->index) return;
    htab_free(l->index);
    free(l->index);
    l->index = NULL;
    st->nindex--;
}

/* Side sd's stored row with entry key key[0..len) (hash h) in bucket b,
 * or NULL: for a loose side, which the Keyed's table does not index. */
static KeyedEntry *loose_find(const JoinState *st, const Bucket *b, int sd, const void *key, size_t len, uint64_t h)
{
    const RowList *l = &b->side[sd];
    if (l->index) return htab_find(l->index, key, len, h);
    uint64_t bits = filter_bit(h);
    if ((bucket_filter(st, b, sd)[filter_word(h)] & bits) != bits) return NULL;
    for (KeyedEntry *e = l->head; e; e = rec_of(e)->next)
        if (e->klen == len && memcmp(keyed_key(e), key, len) == 0) return e;
    return NULL;
}

/* The bucket of join key key[0..klen) ([length][join key]: an entry key
 * without its side byte), made when absent if `create`. */
static Bucket *bucket_get_h(OpState *s, const void *key, size_t klen, uint64_t h, bool create)
{
    JoinState *st = s->priv;
    Bucket *b = htab_find(&st->buckets, key, klen, h);
    if (b || !create) return b;
    b = slab_alloc(&st->bslab, bucket_size(st, klen));
    memset(b, 0, sizeof *b);
    b->klen = (uint32_t)klen;
    memcpy(b->key, key, klen);
    if (st->bextra) memset(b->key + ((klen + 7) & ~(size_t)7), 0, st->bextra);
    htab_insert(&st->buckets, b, h);
    s->stats.state_bytes += (int64_t)bucket_size(st, klen);
    return b;
}

static Bucket *bucket_get(OpState *s, const void *key, size_t klen, bool create)
{
    return bucket_get_h(s, key, klen, htab_hash(key, klen), create);
}

/* The bucket of the row whose entry key k is described by rk (not made):
 * the one prefetch_rows found, unless a bucket was freed since or there
 * was none then (one may have been made since); else looked up now. */
static Bucket *bucket_of(OpState *s, const char *k, const RowKeys *rk)
{
    const JoinState *st = s->priv;
    if (rk->b && rk->bgen == st->bfreed) return rk->b;
    return bucket_get_h(s, k + 1, rk->plen - 1, rk->hb, false);
}

/* Appends e to its side's list in bucket b; h is keyed_hash of its key
 * (read for a loose side only: its filter and index). */
static void link_rec(OpState *s, KeyedEntry *e, Bucket *b, uint64_t h)
{
    JoinState *st = s->priv;
    JoinRec *r = rec_of(e);
    int sd = ((const unsigned char *)keyed_key(e))[0];
    RowList *l = &b->side[sd];
    r->next = NULL;
    if (!st->side[sd].loose) {
        r->bucket = b;
        r->prev = l->tail;
    }
    if (l->tail) rec_of(l->tail)->next = e;
    else l->head = e;
    l->tail = e;
    l->nrows++;
    if (st->side[sd].loose) {
        bucket_filter(st, b, sd)[filter_word(h)] |= filter_bit(h);
        if (l->index) {
            htab_insert(l->index, e, h);
        } else if (l->nrows > LOOSE_INDEX_AT) {
            l->index = xcalloc(1, sizeof *l->index);
            htab_init(l->index, entry_key);
            st->nindex++;
            for (KeyedEntry *x = l->head; x; x = rec_of(x)->next) htab_insert(l->index, x, keyed_hash(keyed_key(x), x->klen));
        }
    }
    if (st->ttl > 0) {
        r->newer = NULL;
        r->older = st->newest;
        if (st->newest) rec_of(st->newest)->newer = e;
        else st->oldest = e;
        st->newest = e;
    }
}

/* Out of its bucket (freed when empty) and the TTL list: the Keyed's release hook. */
static void unlink_rec(OpState *s, KeyedEntry *e)
{
    JoinState *st = s->priv;
    JoinRec *r = rec_of(e);
    if (st->ending) return;
    int sd = ((const unsigned char *)keyed_key(e))[0];
    Bucket *b;
    KeyedEntry *prev = NULL;
    if (st->side[sd].loose) {   /* its bucket by its key, its predecessor by a walk; not linked: nothing */
        size_t pl = join_rows_prefix(keyed_key(e), e->klen);
        b = pl ? bucket_get(s, (const char *)keyed_key(e) + 1, pl - 1, false) : NULL;
        KeyedEntry *x = b ? b->side[sd].head : NULL;
        for (; x && x != e; x = rec_of(x)->next) prev = x;
        if (!x) return;
    } else {
        b = r->bucket;
        if (!b) return;
        prev = r->prev;
        r->bucket = NULL;
    }
    RowList *l = &b->side[sd];
    if (l->index) htab_remove(l->index, keyed_key(e), e->klen, keyed_hash(keyed_key(e), e->klen));
    if (prev) rec_of(prev)->next = r->next;
    else l->head = r->next;
    if (!r->next) l->tail = prev;
    else if (!st->side[sd].loose) rec_of(r->next)->prev = prev;
    if (st->ttl > 0) {
        if (r->older) rec_of(r->older)->newer = r->newer;
        else st->oldest = r->newer;
        if (r->newer) rec_of(r->newer)->older = r->older;
        else st->newest = r->older;
    }
    l->nrows--;
    if (l->nrows == 0 && st->side[sd].loose) {   /* a fresh start: no stale bits */
        index_free(st, l);
        memset(bucket_filter(st, b, sd), 0, LOOSE_FILTER * sizeof(uint64_t));
    }
    if (b->side[0].nrows == 0 && b->side[1].nrows == 0) {
        htab_remove(&st->buckets, b->key, b->klen, htab_hash(b->key, b->klen));
        s->stats.state_bytes -= (int64_t)bucket_size(st, b->klen);
        slab_release(&st->bslab, b, bucket_size(st, b->klen));
        st->bfreed++;
    }
}

/* A write of e's payload: the next checkpoint stores it, and its TTL starts again. */
static void rec_written(OpState *s, KeyedEntry *e)
{
    JoinState *st = s->priv;
    JoinRec *r = rec_of(e);
    keyed_touch(&st->rows, e);
    if (st->ttl <= 0) return;
    r->touched = s->job->clock_ms;
    if (st->newest == e) return;
    /* to the newest end of the TTL list */
    if (r->older) rec_of(r->older)->newer = r->newer;
    else st->oldest = r->newer;
    rec_of(r->newer)->older = r->older;
    r->older = st->newest;
    r->newer = NULL;
    rec_of(st->newest)->newer = e;
    st->newest = e;
}

/* ---- checkpoint and restore: a stored row's value is count, matches and
 * the time it was written (varints); rows go into the state file packed
 * (keyed.h: binary records in chunks, no JSON texts) ---- */

static int rec_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    (void)row;   /* packed: no texts */
    const JoinState *st = s->priv;
    const JoinRec *r = rec_of(e);
    /* What the row does not keep is stored as 0 matches (read only by
     * outer, semi and anti joins, whose rows keep them) and written now
     * (a restart with a TTL counts it from this checkpoint). */
    join_rows_put(val, r->count, st->keep_assoc ? r->assoc : 0, st->ttl > 0 ? r->touched : s->job->clock_ms);
    return 0;
}

static int rec_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    JoinState *st = s->priv;
    JoinRec *r = rec_of(e);
    const unsigned char *k = keyed_key(e);
    const Type *types[2] = {st->side[0].types, st->side[1].types};
    const int ncols[2] = {st->side[0].ncols, st->side[1].ncols};
    int64_t num[3];
    int side = join_rows_get(k, e->klen, val, vlen, st->key_types, st->kv, st->nkeys, types, ncols, st->scratch, num);
    if (side < 0) return job_fail(s->job, "state file: a row of Join is unreadable (is the file damaged?)");
    r->count = num[0];
    if (st->keep_assoc) r->assoc = num[1];
    if (st->ttl > 0) r->touched = num[2];
    size_t pl = join_rows_prefix(k, e->klen);
    link_rec(s, e, bucket_get(s, k + 1, pl - 1, true), st->side[side].loose ? keyed_hash(k, e->klen) : 0);
    return 0;
}

static int cmp_touched(const void *a, const void *b)
{
    int64_t x = rec_of(*(KeyedEntry *const *)a)->touched, y = rec_of(*(KeyedEntry *const *)b)->touched;
    return x < y ? -1 : x > y;
}

/* Restore, then (with a TTL) order the TTL list by time written. */
static int join_restore(OpState *s, StateStore *store, int op)
{
    JoinState *st = s->priv;
    if (keyed_restore(&st->rows, store, op)) return -1;
    size_t n = keyed_count(&st->rows);
    if (st->ttl <= 0 || n == 0) return 0;
    KeyedEntry **all = malloc(sizeof *all * n);
    if (!all) abort();
    size_t i = 0;
    HtabIter it;
    htab_iter_init(&st->rows.table, &it);
    for (KeyedEntry *e; (e = htab_iter_next(&st->rows.table, &it));) all[i++] = e;
    qsort(all, n, sizeof *all, cmp_touched);
    for (i = 0; i < n; i++) {
        JoinRec *r = rec_of(all[i]);
        r->older = i ? all[i - 1] : NULL;
        r->newer = i + 1 < n ? all[i + 1] : NULL;
    }
    st->oldest = all[0];
    st->newest = all[n - 1];
    free(all);
    return 0;
}

/* Calls fn on every loose entry (KeyedConfig.walk_loose): they are in
 * their buckets' lists only. */
static void walk_loose(OpState *s, void (*fn)(Keyed *k, KeyedEntry *e, void *ctx), void *ctx)
{
    JoinState *st = s->priv;
    HtabIter it;
    htab_iter_init(&st->buckets, &it);
    for (Bucket *b; (b = htab_iter_next(&st->buckets, &it));)
        for (int sd = 0; sd < 2; sd++) {
            if (!st->side[sd].loose) continue;
            for (KeyedEntry *e = b->side[sd].head; e; e = rec_of(e)->next)
                if (e->loose) fn(&st->rows, e, ctx);
        }
}

/* ---- lifecycle ---- */

static int join_init(OpState *s)
{
    const JoinPlan *jp = plan_join(s->node);
    const PlanNode *n = &jp->node;
    JoinState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    htab_init(&st->buckets, bucket_key);
    slab_init(&st->bslab);
    st->nkeys = jp->nkeys;
    st->residual = jp->residual;
    st->ncols = n->ncols;
    st->before = n->before;
    st->ttl = s->job->plan->config.state_ttl_ms;
    st->keep_assoc = st->ttl > 0 || jp->type == JOIN_SEMI || jp->type == JOIN_ANTI || join_side_outer(jp->type, 0) ||
                     join_side_outer(jp->type, 1);
    st->recsize = st->ttl > 0 ? sizeof(JoinRec) : st->keep_assoc ? offsetof(JoinRec, touched) : offsetof(JoinRec, assoc);
    if (n->updating && n->has_key) {
        st->nkey = n->nkey;
        st->key = n->key;
    }
    st->types = xcalloc((size_t)n->ncols, sizeof *st->types);
    for (int i = 0; i < n->ncols; i++) st->types[i] = n->cols[i].type;
    st->key_types = exec_join_key_types((const BExpr *const *)jp->lkeys, jp->nkeys);
    for (int sd = 0; sd < 2; sd++) {
        const PlanNode *in = n->inputs[sd];
        Side *x = &st->side[sd];
        x->ncols = in->ncols;
        x->off = sd ? jp->nleft : 0;
        x->types = xcalloc((size_t)in->ncols, sizeof *x->types);
        for (int i = 0; i < in->ncols; i++) x->types[i] = in->cols[i].type;
        x->keys = sd ? jp->rkeys : jp->lkeys;
        x->outer = join_side_outer(jp->type, sd);
        x->upsert = sd ? jp->rupsert : jp->lupsert;
    }
    st->semi = jp->type == JOIN_SEMI || jp->type == JOIN_ANTI;
    st->anti = jp->type == JOIN_ANTI;
    /* Loose sides: an append-only input of a join (a semi or anti join
     * finds its rows by their bytes: not there). */
    for (int sd = 0; sd < 2; sd++) {
        Side *x = &st->side[sd];
        x->loose = !st->semi && !n->inputs[sd]->updating;
        x->recsize = x->loose && !st->keep_assoc && st->ttl <= 0 ? offsetof(JoinRec, prev) : st->recsize;
        if (x->loose) {
            x->filter = (int)(st->bextra / sizeof(uint64_t));
            st->bextra += LOOSE_FILTER * sizeof(uint64_t);
        }
    }
    /* a semi join's residual reads [left…, right…], wider than its output */
    int wjoined = st->side[0].ncols + st->side[1].ncols > n->ncols ? st->side[0].ncols + st->side[1].ncols : n->ncols;
    st->kv = xcalloc((size_t)jp->nkeys, sizeof *st->kv);
    st->joined = xcalloc((size_t)wjoined, sizeof *st->joined);
    st->joined2 = xcalloc((size_t)wjoined, sizeof *st->joined2);
    int wide = st->side[0].ncols > st->side[1].ncols ? st->side[0].ncols : st->side[1].ncols;
    st->scratch = xcalloc((size_t)wide, sizeof *st->scratch);
    /* rows are checkpointed packed: no texts */
    KeyedConfig cfg = {
        .vsize = st->recsize, .save = rec_save, .load = rec_load, .release = unlink_rec, .packed = true,
        .walk_loose = walk_loose,
    };
    keyed_init(&st->rows, s, &cfg);
    return 0;
}

static void join_end(OpState *s)
{
    JoinState *st = s->priv;
    if (!st) return;
    st->ending = true;
    st->rows.cfg.release = NULL;   /* nothing to unlink: the buckets go whole (and keyed_free need not visit every row) */
    if (st->nindex) {
        HtabIter it;
        htab_iter_init(&st->buckets, &it);
        for (Bucket *b; (b = htab_iter_next(&st->buckets, &it));)
            for (int sd = 0; sd < 2; sd++) index_free(st, &b->side[sd]);
    }
    keyed_free(&st->rows);
    slab_free_all(&st->bslab);   /* every bucket */
    htab_free(&st->buckets);
    for (int sd = 0; sd < 2; sd++) free(st->side[sd].types);
    free(st->types);
    free(st->key_types);
    free(st->kv);
    free(st->joined);
    free(st->joined2);
    free(st->scratch);
    free(st->m);
    sb_free(&st->ka);
    sb_free(&st->kb);
    sb_free(&st->pre);
    free(st->rk);
    free(st);
}

/* ---- process ---- */

/* Appends side sd's entry key for row ([sd][join key length][join key][row])
 * to buf and describes it in *rk.  Returns 1 when the join key has a NULL
 * (it matches nothing: nothing appended), 0, or -1. */
static int row_keys(OpState *s, int sd, const Value *row, StrBuf *buf, RowKeys *rk, EvalCtx *cx)
{
    JoinState *st = s->priv;
    size_t off = buf->len;
    int r = exec_join_key_append(s, sd, st->side[sd].keys, st->nkeys, st->key_types, row, st->kv, buf, cx);
    rk->nul = r;
    rk->b = NULL;
    if (r) return r;
    rk->off = off;
    rk->plen = (uint32_t)(buf->len - off);
    rowkey_encode(buf, st->side[sd].types, row, NULL, st->side[sd].ncols);
    rk->len = (uint32_t)(buf->len - rk->off);
    rk->hb = htab_hash(buf->s + rk->off + 1, rk->plen - 1);
    rk->hr = keyed_hash(buf->s + rk->off, rk->len);
    return 0;
}

/* Writes side sd's row (or NULLs) into an output row; a stored row's
 * strings are copied into the batch arena when `keep`. */
static void put_side(OpState *s, Value *dst, int sd, const Value *row, bool keep)
{
    JoinState *st = s->priv;
    const Side *x = &st->side[sd];
    Value *d = dst + x->off;
    if (!row) {
        for (int i = 0; i < x->ncols; i++) d[i] = (Value){.null = 1};
        return;
    }
    memcpy(d, row, sizeof(Value) * (size_t)x->ncols);
    if (keep)
        for (int i = 0; i < x->ncols; i++) value_copy_into(&s->job->batch_arena, x->types[i], &d[i]);
}

/* Decodes stored row e (of side sd) into row (that side's columns): its
 * strings point into the entry, or are copied into arena when not NULL. */
static void decode_stored(const JoinState *st, const KeyedEntry *e, int sd, Value *row, Arena *arena)
{
    const unsigned char *k = keyed_key(e);
    size_t pl = join_rows_prefix(k, e->klen);
    const Side *x = &st->side[sd];
    rowkey_decode((const char *)k + pl, e->klen - pl, x->types, row, x->ncols, arena);
}

/* One output row: the arriving side's row a (or NULL) and the stored row e of the other side (or NULL). */
static void build(OpState *s, Value *dst, int sd, const Value *a, const KeyedEntry *e)
{
    JoinState *st = s->priv;
    put_side(s, dst, sd, a, false);
    if (!e) {
        put_side(s, dst, 1 - sd, NULL, false);
        return;
    }
    decode_stored(st, e, 1 - sd, dst + st->side[1 - sd].off, &s->job->batch_arena);
}

static void emit(OpState *s, Batch *out, RowKind k, int64_t ts, const Value *row)
{
    JoinState *st = s->priv;
    memcpy(batch_add(out, k, ts), row, sizeof(Value) * (size_t)st->ncols);
}

/* A row of the output that becomes another: an update pair; +U alone for
 * a consumer that takes upserts; -D and +I when the unique key changes. */
static void emit_change(OpState *s, Batch *out, int64_t ts, const Value *old, const Value *nw)
{
    JoinState *st = s->priv;
    bool same = true;
    for (int i = 0; i < st->nkey && same; i++) same = value_eq(st->types[st->key[i]], &old[st->key[i]], &nw[st->key[i]]);
    if (!same) {
        emit(s, out, RK_DELETE, ts, old);
        emit(s, out, RK_INSERT, ts, nw);
        return;
    }
    if (st->before) emit(s, out, RK_UPDATE_BEFORE, ts, old);
    emit(s, out, RK_UPDATE_AFTER, ts, nw);
}

/* Does row a of side sd meet stored row e of the other side (the residual)? 1, 0, -1. */
static int meets(OpState *s, int sd, const Value *a, const KeyedEntry *e, EvalCtx *cx)
{
    JoinState *st = s->priv;
    if (!st->residual) return 1;
    put_side(s, st->joined, sd, a, false);
    decode_stored(st, e, 1 - sd, st->joined + st->side[1 - sd].off, NULL);
    int r = eval_pred(st->residual, st->joined, cx);
    return r < 0 ? exec_eval_fail(s, cx->errpos, cx->err) : r;
}

/* The other side's rows that old and/or nw (either may be NULL) of side sd
 * meet, into st->m; returns their count (-1 on error) and the numbers of
 * matching rows, copies counted, in *mo / *mn. */
static int find_matches(OpState *s, int sd, const Bucket *b, const Value *old, const Value *nw, int64_t *mo, int64_t *mn, EvalCtx *cx)
{
    JoinState *st = s->priv;
    *mo = *mn = 0;
    if (!b) return 0;
    const RowList *l = &b->side[1 - sd];
    if (l->nrows > st->capm) {
        st->capm = (int)l->nrows * 2;
        st->m = realloc(st->m, sizeof *st->m * (size_t)st->capm);
        if (!st->m) abort();
    }
    int n = 0;
    for (KeyedEntry *e = l->head; e; e = rec_of(e)->next) {
        int a = old ? meets(s, sd, old, e, cx) : 0, c = nw ? meets(s, sd, nw, e, cx) : 0;
        if (a < 0 || c < 0) return -1;
        if (!a && !c) continue;
        st->m[n++] = (Match){e, a, c};
        if (a) *mo += rec_of(e)->count;
        if (c) *mn += rec_of(e)->count;
    }
    return n;
}

/* Adds one copy of a row (its entry key k, described by rk) to the state,
 * matching `assoc` rows; b is its bucket, or NULL to look it up (made if need be). */
static void store_add(OpState *s, const char *k, const RowKeys *rk, Bucket *b, int64_t assoc)
{
    JoinState *st = s->priv;
    int sd = (unsigned char)k[0];
    KeyedEntry *e;
    if (st->side[sd].loose) {
        if (!b) b = bucket_get_h(s, k + 1, rk->plen - 1, rk->hb, true);
        e = loose_find(st, b, sd, k, rk->len, rk->hr);
    } else {
        e = keyed_find(&st->rows, k, rk->len, rk->hr);
    }
    if (e) {
        rec_of(e)->count++;
        if (st->keep_assoc) rec_of(e)->assoc = assoc;
        rec_written(s, e);
        return;
    }
    e = st->side[sd].loose ? keyed_insert_loose(&st->rows, k, rk->len, st->side[sd].recsize)
                           : keyed_insert(&st->rows, k, rk->len, rk->hr, st->recsize);
    JoinRec *r = rec_of(e);
    r->count = 1;
    if (st->keep_assoc) r->assoc = assoc;
    if (st->ttl > 0) r->touched = s->job->clock_ms;
    link_rec(s, e, b ? b : bucket_get_h(s, k + 1, rk->plen - 1, rk->hb, true), rk->hr);
}

/* Takes one copy of a row away from the state (nothing if it holds none). */
static void store_del(OpState *s, const char *k, const RowKeys *rk)
{
    JoinState *st = s->priv;
    int sd = (unsigned char)k[0];
    KeyedEntry *e;
    if (st->side[sd].loose) {   /* not expected (the input only inserts), but kept right */
        Bucket *b = bucket_get_h(s, k + 1, rk->plen - 1, rk->hb, false);
        e = b ? loose_find(st, b, sd, k, rk->len, rk->hr) : NULL;
    } else {
        e = keyed_find(&st->rows, k, rk->len, rk->hr);
    }
    if (!e) {
        st->ignored++;
        return;
    }
    if (--rec_of(e)->count > 0) {
        rec_written(s, e);
        return;
    }
    keyed_remove(&st->rows, e, rk->hr);   /* unlinks it (release hook) */
}

/* An outer side's stored row matches one row more or fewer. */
static void assoc_add(OpState *s, KeyedEntry *e, int64_t d)
{
    JoinRec *r = rec_of(e);
    r->assoc += d;
    if (r->assoc < 0) r->assoc = 0;
    rec_written(s, e);
}

/* The keys of row x of side sd: *rk if computed ahead (in st->pre), else
 * computed now into st->ka and *mine (*rk then points there); *key is
 * where its entry key starts (unless the join key has a NULL).  0, or -1. */
static int keys_of(OpState *s, int sd, const Value *x, const RowKeys **rk, RowKeys *mine, const char **key, EvalCtx *cx)
{
    JoinState *st = s->priv;
    const StrBuf *buf = &st->pre;
    if (!*rk || (*rk)->nul < 0) {
        st->ka.len = 0;
        if (row_keys(s, sd, x, &st->ka, mine, cx) < 0) return -1;
        *rk = mine;
        buf = &st->ka;
    }
    *key = (*rk)->nul ? NULL : buf->s + (*rk)->off;
    return 0;
}

/* Row x of side sd is inserted (add) or retracted; rk: its keys (in st->pre)
 * if computed ahead, else NULL. */
static int join_one(OpState *s, int sd, const Value *x, const RowKeys *rk, bool add, int64_t ts, Batch *out, EvalCtx *cx)
{
    JoinState *st = s->priv;
    const Side *me = &st->side[sd], *other = &st->side[1 - sd];
    RowKeys mine;
    const char *k;
    if (keys_of(s, sd, x, &rk, &mine, &k, cx)) return -1;
    int nul = rk->nul;
    if (nul) {   /* a NULL key matches nothing and is not kept */
        if (me->outer) {
            build(s, st->joined, sd, x, NULL);
            emit(s, out, add ? RK_INSERT : RK_DELETE, ts, st->joined);
        }
        return 0;
    }
    Bucket *b = bucket_of(s, k, rk);
    int64_t m, unused;
    int n = find_matches(s, sd, b, x, NULL, &m, &unused, cx);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        KeyedEntry *e = st->m[i].e;
        JoinRec *r = rec_of(e);
        bool flips = other->outer && r->assoc == (add ? 0 : 1);   /* its NULL-padded row goes (add) or comes back */
        build(s, st->joined, sd, x, e);
        if (flips) {   /* joined2 = NULL ⊕ r */
            put_side(s, st->joined2, sd, NULL, false);
            put_side(s, st->joined2, 1 - sd, st->joined + other->off, false);
        }
        for (int64_t c = 0; c < r->count; c++) {
            if (!flips) emit(s, out, add ? RK_INSERT : RK_DELETE, ts, st->joined);
            else if (add) emit_change(s, out, ts, st->joined2, st->joined);
            else emit_change(s, out, ts, st->joined, st->joined2);
        }
        if (other->outer) assoc_add(s, e, add ? 1 : -1);
    }
    if (m == 0 && me->outer) {
        build(s, st->joined, sd, x, NULL);
        emit(s, out, add ? RK_INSERT : RK_DELETE, ts, st->joined);
    }
    if (add) store_add(s, k, rk, b, m);
    else store_del(s, k, rk);
    return 0;
}

/*
 * An update of a row of side sd that keeps its join key: old becomes nw.
 * Returns 1 when the keys differ or have a NULL (the caller takes the two
 * rows one by one), 0, or -1.
 */
static int join_pair(OpState *s, int sd, const Value *old, const Value *nw, int64_t ts, Batch *out, EvalCtx *cx)
{
    JoinState *st = s->priv;
    const Side *me = &st->side[sd], *other = &st->side[1 - sd];
    RowKeys ro, rn;
    st->ka.len = st->kb.len = 0;
    int a = row_keys(s, sd, nw, &st->kb, &rn, cx);
    if (a) return a < 0 ? -1 : 1;
    a = row_keys(s, sd, old, &st->ka, &ro, cx);
    if (a) return a < 0 ? -1 : 1;
    if (ro.plen != rn.plen || memcmp(st->ka.s, st->kb.s, ro.plen) != 0) return 1;
    Bucket *b = bucket_get_h(s, st->ka.s + 1, ro.plen - 1, ro.hb, false);
    int64_t mo, mn;
    int n = find_matches(s, sd, b, old, nw, &mo, &mn, cx);
    if (n < 0) return -1;
    Value *o = st->joined, *w = st->joined2;
    if (me->outer && mo == 0 && mn > 0) {
        build(s, o, sd, old, NULL);
        emit(s, out, RK_DELETE, ts, o);
    }
    for (int i = 0; i < n; i++) {
        KeyedEntry *e = st->m[i].e;
        JoinRec *r = rec_of(e);
        bool mo_ = st->m[i].m_old, mn_ = st->m[i].m_new;
        if (mo_ && mn_) {
            build(s, o, sd, old, e);
            build(s, w, sd, nw, e);
            for (int64_t c = 0; c < r->count; c++) emit_change(s, out, ts, o, w);
            continue;
        }
        const Value *x = mo_ ? old : nw;
        bool flips = other->outer && r->assoc == (mn_ ? 0 : 1);
        build(s, o, sd, x, e);
        if (flips) {
            put_side(s, w, sd, NULL, false);
            put_side(s, w, 1 - sd, o + other->off, false);
        }
        for (int64_t c = 0; c < r->count; c++) {
            if (!flips) emit(s, out, mn_ ? RK_INSERT : RK_DELETE, ts, o);
            else if (mn_) emit_change(s, out, ts, w, o);
            else emit_change(s, out, ts, o, w);
        }
        if (other->outer) assoc_add(s, e, mn_ ? 1 : -1);
    }
    if (me->outer && mo == 0 && mn == 0) {
        build(s, o, sd, old, NULL);
        build(s, w, sd, nw, NULL);
        emit_change(s, out, ts, o, w);
    } else if (me->outer && mo > 0 && mn == 0) {
        build(s, w, sd, nw, NULL);
        emit(s, out, RK_INSERT, ts, w);
    }
    store_del(s, st->ka.s, &ro);   /* may free the bucket: store_add finds it again */
    store_add(s, st->kb.s, &rn, NULL, mn);
    return 0;
}

/* A row of an upsert side (kind +I or -D from an upsert source), as the
 * header's table says.  The side's one row of the key is its bucket's. */
static int upsert_row(OpState *s, int sd, const Value *x, const RowKeys *rk, RowKind k, int64_t ts, Batch *out, EvalCtx *cx)
{
    JoinState *st = s->priv;
    RowKeys mine;
    const char *key;
    if (keys_of(s, sd, x, &rk, &mine, &key, cx)) return -1;
    if (rk->nul) return 0;   /* a NULL key is never kept and meets nothing (the side is not outer) */
    Bucket *b = bucket_of(s, key, rk);
    const KeyedEntry *old = b ? b->side[sd].head : NULL;
    if (old && rowkind_is_add(k) && old->klen == rk->len && memcmp(keyed_key(old), key, rk->len) == 0) return 0;
    Value *ov = NULL;
    if (old) {   /* the row being replaced, its strings in the batch arena (its entry may go) */
        ov = arena_alloc(&s->job->batch_arena, sizeof(Value) * (size_t)st->side[sd].ncols);
        decode_stored(st, old, sd, ov, &s->job->batch_arena);
    }
    if (!rowkind_is_add(k)) return ov ? join_one(s, sd, ov, NULL, false, ts, out, cx) : 0;
    if (ov) {
        int r = join_pair(s, sd, ov, x, ts, out, cx);   /* one join key: 1 cannot come back, but is kept right */
        if (r <= 0) return r;
        if (join_one(s, sd, ov, NULL, false, ts, out, cx)) return -1;
    }
    return join_one(s, sd, x, rk == &mine ? NULL : rk, true, ts, out, cx);   /* (keys computed here were in st->ka, which join_pair reuses) */
}

/* Computes the keys of the batch's rows ahead (into st->pre / st->rk);
 * a row whose key cannot be computed (an evaluation error) and those after
 * it are left to join_one, which raises the error in turn. */
static void keys_ahead(OpState *s, int sd, Batch *in, int base, EvalCtx *cx)
{
    JoinState *st = s->priv;
    if (in->n > st->caprk) {
        st->caprk = in->n * 2;
        free(st->rk);
        st->rk = xcalloc((size_t)st->caprk, sizeof *st->rk);
    }
    st->pre.len = 0;
    bool failed = s->job->err[0] != 0;
    int i = 0;
    for (; i < in->n; i++) {
        s->cur_row = base + i;
        if (row_keys(s, sd, batch_row(in, i), &st->pre, &st->rk[i], cx) < 0) break;
    }
    if (i < in->n && !failed) s->job->err[0] = 0;   /* not failed yet: join_one meets the row in turn */
    for (; i < in->n; i++) st->rk[i].nul = -1;
}

/* Prefetches the first row of the other side that a row of side sd will
 * meet, and the last row of its own side (which it is linked after): by
 * now its bucket is in cache.  An entry spans two cache lines (header and
 * key, then the JoinRec). */
static void prefetch_rows(OpState *s, int sd, RowKeys *rk)
{
    JoinState *st = s->priv;
    Bucket *b = htab_find(&st->buckets, st->pre.s + rk->off + 1, rk->plen - 1, rk->hb);
    rk->b = b;
    rk->bgen = st->bfreed;
    if (!b) return;
    const KeyedEntry *m = b->side[1 - sd].head, *t = b->side[sd].tail;
    if (m) htab_pf(m), htab_pf((const char *)m + 64);
    if (t) htab_pf(t), htab_pf((const char *)t + 64);
    if (st->side[sd].loose) htab_pf(bucket_filter(st, b, sd) + filter_word(rk->hr));
}

/* ---- semi and anti joins: the left rows that meet (do not meet) a right row ---- */

/* Is a left row that meets `assoc` right rows in the output? */
static bool semi_out(const JoinState *st, int64_t assoc) { return st->anti ? assoc == 0 : assoc > 0; }

/* Stored left row e into st->joined, its strings copied into the batch arena. */
static void stored_left(OpState *s, const KeyedEntry *e)
{
    JoinState *st = s->priv;
    decode_stored(st, e, 0, st->joined + st->side[0].off, &s->job->batch_arena);
}

/* A left row x arrives (add) or is retracted: it comes out (goes) when it
 * meets a right row (semi) or none (anti); it is kept with its count of
 * matches.  A row whose key has a NULL meets nothing and is not kept. */
static int semi_left(OpState *s, const Value *x, const RowKeys *rk, bool add, int64_t ts, Batch *out, EvalCtx *cx)
{
    JoinState *st = s->priv;
    RowKeys mine;
    const char *k;
    if (keys_of(s, 0, x, &rk, &mine, &k, cx)) return -1;
    if (rk->nul) {
        if (st->anti) emit(s, out, add ? RK_INSERT : RK_DELETE, ts, x);
        return 0;
    }
    if (!add) {
        KeyedEntry *e = keyed_find(&st->rows, k, rk->len, rk->hr);
        if (!e) {
            st->ignored++;
            return 0;
        }
        if (semi_out(st, rec_of(e)->assoc)) emit(s, out, RK_DELETE, ts, x);
        store_del(s, k, rk);
        return 0;
    }
    Bucket *b = bucket_get_h(s, k + 1, rk->plen - 1, rk->hb, false);
    int64_t m, unused;
    if (find_matches(s, 0, b, x, NULL, &m, &unused, cx) < 0) return -1;
    if (semi_out(st, m)) emit(s, out, RK_INSERT, ts, x);
    store_add(s, k, rk, b, m);
    return 0;
}

/* Left row e meets d right rows more (or fewer): it comes out or goes when
 * that crosses zero, once per copy. */
static void semi_assoc(OpState *s, KeyedEntry *e, int64_t d, int64_t ts, Batch *out)
{
    JoinState *st = s->priv;
    JoinRec *r = rec_of(e);
    bool was = semi_out(st, r->assoc);
    assoc_add(s, e, d);
    bool is = semi_out(st, r->assoc);
    if (was == is) return;
    stored_left(s, e);
    for (int64_t c = 0; c < r->count; c++) emit(s, out, is ? RK_INSERT : RK_DELETE, ts, st->joined);
}

/* A right row x arrives (add) or is retracted: the left rows it meets count it. */
static int semi_right(OpState *s, const Value *x, const RowKeys *rk, bool add, int64_t ts, Batch *out, EvalCtx *cx)
{
    JoinState *st = s->priv;
    RowKeys mine;
    const char *k;
    if (keys_of(s, 1, x, &rk, &mine, &k, cx)) return -1;
    if (rk->nul) return 0;
    if (!add && !keyed_find(&st->rows, k, rk->len, rk->hr)) {
        st->ignored++;
        return 0;
    }
    Bucket *b = bucket_get_h(s, k + 1, rk->plen - 1, rk->hb, false);
    int64_t m, unused;
    int n = find_matches(s, 1, b, x, NULL, &m, &unused, cx);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) semi_assoc(s, st->m[i].e, add ? 1 : -1, ts, out);
    if (add) store_add(s, k, rk, b, 0);
    else store_del(s, k, rk);
    return 0;
}

/*
 * An update pair (-U old, +U nw) of side sd, as one change: a left row
 * that stays in the output comes out as an update pair, a right row's
 * update moves only the counts that change (no left row flickers out and
 * back).  Returns 1 when the rows must go one by one (a NULL key, a row
 * not held, a right row changing its join key), 0, or -1.
 */
static int semi_pair(OpState *s, int sd, const Value *old, const Value *nw, int64_t ts, Batch *out, EvalCtx *cx)
{
    JoinState *st = s->priv;
    RowKeys ro, rn;
    st->ka.len = st->kb.len = 0;
    int a = row_keys(s, sd, nw, &st->kb, &rn, cx);
    if (a) return a < 0 ? -1 : 1;
    a = row_keys(s, sd, old, &st->ka, &ro, cx);
    if (a) return a < 0 ? -1 : 1;
    KeyedEntry *eo = keyed_find(&st->rows, st->ka.s, ro.len, ro.hr);
    if (!eo) return 1;
    int64_t mo, mn;
    if (sd == 0) {
        Bucket *b = bucket_get_h(s, st->kb.s + 1, rn.plen - 1, rn.hb, false);
        if (find_matches(s, 0, b, nw, NULL, &mn, &mo, cx) < 0) return -1;
        bool was = semi_out(st, rec_of(eo)->assoc), is = semi_out(st, mn);
        if (was && is) emit_change(s, out, ts, old, nw);
        else if (was) emit(s, out, RK_DELETE, ts, old);
        else if (is) emit(s, out, RK_INSERT, ts, nw);
        store_del(s, st->ka.s, &ro);   /* may free the bucket: store_add finds it again */
        store_add(s, st->kb.s, &rn, NULL, mn);
        return 0;
    }
    if (ro.plen != rn.plen || memcmp(st->ka.s, st->kb.s, ro.plen) != 0) return 1;
    Bucket *b = bucket_get_h(s, st->ka.s + 1, ro.plen - 1, ro.hb, false);
    int n = find_matches(s, 1, b, old, nw, &mo, &mn, cx);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++)
        if (st->m[i].m_old != st->m[i].m_new) semi_assoc(s, st->m[i].e, st->m[i].m_new ? 1 : -1, ts, out);
    store_del(s, st->ka.s, &ro);
    store_add(s, st->kb.s, &rn, NULL, 0);
    return 0;
}

static int semi_process(OpState *s, int port, Batch *in, Batch *out)
{
    JoinState *st = s->priv;
    EvalCtx cx = {.arena = &s->job->batch_arena};
    keys_ahead(s, port, in, 0, &cx);
    for (int i = 0; i < in->n; i++) {
        int f = i + KEYED_AHEAD;
        if (f < in->n && !st->rk[f].nul) {
            keyed_prefetch_slot(&st->rows, st->rk[f].hr);
            htab_prefetch_slot(&st->buckets, st->rk[f].hb);
        }
        const Value *row = batch_row(in, i);
        RowKind k = in->kinds[i];
        s->cur_row = i;
        if (k == RK_UPDATE_BEFORE && i + 1 < in->n && in->kinds[i + 1] == RK_UPDATE_AFTER) {
            int r = semi_pair(s, port, row, batch_row(in, i + 1), in->ts[i + 1], out, &cx);
            if (r < 0) return -1;
            if (r == 0) {
                i++;
                continue;
            }
        }
        int r = port ? semi_right(s, row, &st->rk[i], rowkind_is_add(k), in->ts[i], out, &cx)
                     : semi_left(s, row, &st->rk[i], rowkind_is_add(k), in->ts[i], out, &cx);
        if (r) return -1;
    }
    return 0;
}

/* Rows base.. of the batch (in is a view of them). */
static int join_chunk(OpState *s, int port, Batch *in, int base, Batch *out)
{
    JoinState *st = s->priv;
    EvalCtx cx = {.arena = &s->job->batch_arena};
    keys_ahead(s, port, in, base, &cx);
    for (int i = 0; i < in->n; i++) {
        /* the look-ups of rows a little ahead: their table slots, then their buckets and entries */
        int f = i + 2 * KEYED_AHEAD;
        if (f < in->n && !st->rk[f].nul) {
            if (!st->side[port].loose) keyed_prefetch_slot(&st->rows, st->rk[f].hr);
            htab_prefetch_slot(&st->buckets, st->rk[f].hb);
        }
        /* a bucket spans two or three cache lines (slab chunks are not
         * line-aligned), its key past the first line: all of them */
        f = i + KEYED_AHEAD;
        if (f < in->n && !st->rk[f].nul) htab_prefetch_entry_span(&st->buckets, st->rk[f].hb, sizeof(Bucket) + st->rk[f].plen + st->bextra);
        f = i + KEYED_AHEAD / 2;
        if (f < in->n && !st->rk[f].nul) prefetch_rows(s, port, &st->rk[f]);
        const Value *row = batch_row(in, i);
        RowKind k = in->kinds[i];
        s->cur_row = base + i;
        if (st->side[port].upsert) {
            if (upsert_row(s, port, row, &st->rk[i], k, in->ts[i], out, &cx)) return -1;
            continue;
        }
        if (k == RK_UPDATE_BEFORE && i + 1 < in->n && in->kinds[i + 1] == RK_UPDATE_AFTER) {
            int r = join_pair(s, port, row, batch_row(in, i + 1), in->ts[i + 1], out, &cx);
            if (r < 0) return -1;
            if (r == 0) {
                i++;
                continue;
            }
        }
        if (join_one(s, port, row, &st->rk[i], rowkind_is_add(k), in->ts[i], out, &cx)) return -1;
    }
    return 0;
}

/* A batch goes through in chunks of JOIN_CHUNK rows whose keys are
 * computed just before they are used, so that they are still in cache (a
 * source batch of 10k rows' entry keys, whole rows, is about 1 MB); an
 * update pair is never split. */
#define JOIN_CHUNK 256

static int join_process(OpState *s, int port, Batch *in, Batch *out)
{
    JoinState *st = s->priv;
    if (st->semi) return semi_process(s, port, in, out);
    for (int c0 = 0; c0 < in->n;) {
        int cn = in->n - c0 < JOIN_CHUNK ? in->n - c0 : JOIN_CHUNK;
        if (c0 + cn < in->n && in->kinds[c0 + cn - 1] == RK_UPDATE_BEFORE && in->kinds[c0 + cn] == RK_UPDATE_AFTER) cn++;
        Batch view = batch_slice(in, c0, cn);
        if (join_chunk(s, port, &view, c0, out)) return -1;
        c0 += cn;
    }
    return 0;
}

/* Processing time moved: rows not written for longer than the TTL go
 * (silently, as Flink's state TTL drops them). */
static int join_clock(OpState *s, int64_t now, Batch *out)
{
    (void)out;
    JoinState *st = s->priv;
    if (st->ttl <= 0) return 0;
    while (st->oldest && rec_of(st->oldest)->touched + st->ttl <= now) {
        KeyedEntry *e = st->oldest;
        keyed_remove(&st->rows, e, keyed_hash(keyed_key(e), e->klen));
    }
    return 0;
}

/* What identifies the state's layout (read from the plan: no OpState here). */
static void join_fingerprint(const PlanNode *n, StrBuf *out)
{
    const JoinPlan *jp = plan_join(n);
    Arena a;
    arena_init(&a, 1024);
    const char **names = plan_join_names(&a, n);
    sb_printf(out, "Join/1 type=%d keys=", (int)jp->type);
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
    if (jp->lupsert || jp->rupsert) sb_printf(out, " upserts=%d%d", jp->lupsert, jp->rupsert);   /* (absent before they existed) */
    arena_free(&a);
    sb_puts(out, " input0=");
    explain_lineage(n->inputs[0], out);
    sb_puts(out, " input1=");
    explain_lineage(n->inputs[1], out);
}

const OpVTable op_join_vt = {
    .init = join_init, .process = join_process, .clock = join_clock, .checkpoint = keyed_op_checkpoint,
    .restore = join_restore, .end = join_end, .fingerprint = join_fingerprint,
};
