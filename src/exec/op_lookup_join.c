/*
 * op_lookup_join.c — the lookup join, Flink's
 * `o JOIN customers FOR SYSTEM_TIME AS OF o.proc_time ON o.customer_id = customers.id`
 * where customers is a jdbc (PostgreSQL) table: each input row meets the
 * table's rows whose columns equal its keys *now* (processing time), inner
 * or LEFT.  What is not here: event-time temporal joins against a Kafka
 * changelog (op_temporal_join.c).
 *
 *   input row          table rows with its keys     output
 *   any kind k         r1 … rn (n ≥ 1)              k [row, ri] for each ri the residual condition accepts
 *   any kind k         none (or none accepted)      inner: nothing; LEFT: k [row, NULL…]
 *   a NULL key         —                            inner: nothing; LEFT: k [row, NULL…]
 * The row kind passes through (an updating input gives an updating
 * output); a table row that changes later changes no result already
 * emitted, as in Flink.
 *
 * Look-ups are batched: the keys of a whole input batch that the cache
 * does not hold go to the database in one query (pg_lookup.c, at most
 * 1000 keys a query), so a cold cache costs a round trip per batch, not
 * per row.  The cache ('lookup.cache' = 'PARTIAL'): key → its rows,
 * at most 'lookup.partial-cache.max-rows' rows (a key without rows counts
 * as one; the least recently used go first, as Flink's cache), an entry
 * fetched again once 'lookup.partial-cache.expire-after-write' old or
 * unused for 'lookup.partial-cache.expire-after-access' (an entry unused
 * that long is dropped at the end of the batch: memory stays bounded by
 * what the expiry keeps even without max-rows), keys without rows kept
 * unless 'lookup.partial-cache.cache-missing-key' is false.  Without a
 * cache every batch looks its keys up again.  Nothing is checkpointed: a
 * restarted job looks up again (processing time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "exec.h"
#include "htab.h"
#include "pg_lookup.h"

/* One key's rows: in the cache, or only for the batch being processed. */
typedef struct LkEntry {
    char            *key;     /* exec_join_key bytes */
    size_t           klen;    /* length */
    Value          **rows;    /* its table rows (each one malloc'd block: values, then string bytes) */
    int              nrows, caprows;
    int64_t          written; /* job clock when fetched */
    int64_t          used;    /* job clock when last looked up */
    size_t           bytes;   /* its rows' size (state_bytes) */
    bool             pending; /* to be fetched for this batch */
    struct LkEntry  *older, *newer; /* the cache's order of use: the least recently used is oldest */
} LkEntry;

typedef struct LookupState {
    PgLookup   *pg;           /* the database, once opened */
    Htab        cache;        /* key → LkEntry */
    LkEntry    *oldest, *newest; /* order of use */
    int64_t     cached_rows;  /* rows held (a key without rows counts 1) */
    int64_t     cached_bytes; /* their size, keys included */
    bool        keep;         /* lookup.cache = PARTIAL */
    int         nkeys;        /* join key width */
    Type       *key_types;    /* the keys' common types */
    int         nleft, nright, ncols; /* widths */
    Value      *kv;           /* scratch: key values */
    Value      *joined;       /* scratch: an output row */
    StrBuf      key;      /* scratch */
    char      **rowkeys;      /* per input row of the batch: its entry's key, or NULL (a NULL key) */
    LkEntry   **rowent;       /* per input row: its entry */
    int         caprow;       /* capacity of both */
    Value      *fetch;        /* keys to fetch: nfetch × nkeys values */
    int         nfetch, capfetch;
    LkEntry   **batch;        /* entries fetched for this batch */
    int         nbatch, capbatch;
    OpState    *self;         /* for the fetch callback */
    EvalCtx    *cx;           /* the batch's evaluation context */
    int         err;          /* the fetch callback failed */
} LookupState;

static const void *entry_key(const void *e, size_t *len)
{
    const LkEntry *x = e;
    *len = x->klen;
    return x->key;
}

static void entry_clear_rows(LkEntry *e)
{
    for (int i = 0; i < e->nrows; i++) free(e->rows[i]);
    e->nrows = 0;
}

static void entry_free(LkEntry *e)
{
    if (!e) return;
    entry_clear_rows(e);
    free(e->rows);
    free(e->key);
    free(e);
}

static int64_t entry_weight(const LkEntry *e) { return e->nrows ? e->nrows : 1; }

static void unlink_entry(LookupState *st, LkEntry *e)
{
    if (e->older) e->older->newer = e->newer;
    else if (st->oldest == e) st->oldest = e->newer;
    if (e->newer) e->newer->older = e->older;
    else if (st->newest == e) st->newest = e->older;
    e->older = e->newer = NULL;
}

static void push_newest(LookupState *st, LkEntry *e)
{
    e->older = st->newest;
    e->newer = NULL;
    if (st->newest) st->newest->newer = e;
    else st->oldest = e;
    st->newest = e;
}

static int lookup_init(OpState *s)
{
    const LookupJoinPlan *lp = plan_lookup_join(s->node);
    const JoinPlan *jp = &lp->join;
    LookupState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->self = s;
    htab_init(&st->cache, entry_key);
    st->keep = lp->table->conn.lookup_cache;
    st->nkeys = jp->nkeys;
    st->key_types = exec_join_key_types((const BExpr *const *)jp->lkeys, jp->nkeys);
    st->nleft = jp->nleft;
    st->nright = lp->nright;
    st->ncols = s->node->ncols;
    st->kv = calloc((size_t)jp->nkeys + 1, sizeof *st->kv);
    st->joined = calloc((size_t)st->ncols + 1, sizeof *st->joined);
    if (!st->kv || !st->joined) abort();
    return 0;
}

static void lookup_end(OpState *s)
{
    LookupState *st = s->priv;
    if (!st) return;
    pglookup_close(st->pg);
    HtabIter it;
    htab_iter_init(&st->cache, &it);
    for (void *e; (e = htab_iter_next(&st->cache, &it));) entry_free(e);
    htab_free(&st->cache);
    free(st->batch);   /* (its entries are in the cache) */
    free(st->key_types);
    free(st->kv);
    free(st->joined);
    free(st->rowkeys);
    free(st->rowent);
    free(st->fetch);
    sb_free(&st->key);
    free(st);
}

static void lookup_notice(void *ctx, const char *msg) { job_notice(ctx, "%s", msg); }

static int lookup_open(OpState *s, SourceOffset **ahead, int *nahead)
{
    (void)ahead;
    (void)nahead;
    LookupState *st = s->priv;
    const LookupJoinPlan *lp = plan_lookup_join(s->node);
    PlanCol *cols = calloc((size_t)lp->nright + 1, sizeof *cols);
    int *key = calloc((size_t)lp->join.nkeys + 1, sizeof *key);
    if (!cols || !key) abort();
    for (int i = 0; i < lp->nright; i++) cols[i] = s->node->cols[st->nleft + i], cols[i].name = lp->table->cols[lp->rcols[i]].name;
    for (int k = 0; k < lp->join.nkeys; k++) key[k] = lp->rkeycols[k];
    PgLookupSpec spec = {.table = lp->table, .cols = cols, .ncols = lp->nright, .key = key, .nkey = lp->join.nkeys,
                         .notice = lookup_notice, .notice_ctx = s->job};
    char err[1200];
    int rc = pglookup_open(&spec, &st->pg, err, sizeof err);
    free(cols);
    free(key);
    if (rc) return job_fail(s->job, "lookup join on '%s': %s", lp->table->name, err);
    return 0;
}

/* The fetch callback: a table row goes to its key's pending entry. */
static int add_row(void *ctx, const Value *row)
{
    LookupState *st = ctx;
    OpState *s = st->self;
    const JoinPlan *jp = &plan_lookup_join(s->node)->join;
    int rc = exec_join_key(s, 0, (BExpr *const *)jp->rkeys, jp->nkeys, st->key_types, row, st->kv, &st->key, st->cx);
    if (rc < 0) return st->err = -1;
    if (rc > 0) return 0;   /* a NULL key column: it equals nothing */
    LkEntry *e = htab_find(&st->cache, st->key.s, st->key.len, htab_hash(st->key.s, st->key.len));
    if (!e || !e->pending) return 0;   /* (a key that compares equal only after the database's conversion) */
    /* one block: the values, then their string bytes */
    const PlanCol *rc_ = s->node->cols + st->nleft;
    size_t bytes = sizeof(Value) * (size_t)st->nright;
    for (int c = 0; c < st->nright; c++)
        if (!row[c].null && (rc_[c].type.kind == TY_STRING || rc_[c].type.kind == TY_BYTES)) bytes += (size_t)row[c].n;
    Value *copy = malloc(bytes ? bytes : 1);
    if (!copy) abort();
    memcpy(copy, row, sizeof(Value) * (size_t)st->nright);
    char *p = (char *)(copy + st->nright);
    for (int c = 0; c < st->nright; c++) {
        Type t = rc_[c].type;
        if (row[c].null || (t.kind != TY_STRING && t.kind != TY_BYTES)) continue;
        memcpy(p, row[c].s, (size_t)row[c].n);
        copy[c].s = p;
        p += row[c].n;
    }
    if (e->nrows == e->caprows) {
        e->caprows = e->caprows ? 2 * e->caprows : 2;
        e->rows = realloc(e->rows, sizeof *e->rows * (size_t)e->caprows);
        if (!e->rows) abort();
    }
    e->rows[e->nrows++] = copy;
    e->bytes += bytes;
    return 0;
}

/* The entry of the key in st->key: the cached one if fresh, else one to fetch. */
static LkEntry *entry_for(OpState *s, LookupState *st, int64_t now)
{
    const LookupJoinPlan *lp = plan_lookup_join(s->node);
    uint64_t h = htab_hash(st->key.s, st->key.len);
    LkEntry *e = htab_find(&st->cache, st->key.s, st->key.len, h);
    if (e) {
        if (e->pending || !st->keep) return e;
        int64_t wttl = lp->table->conn.lookup_expire_ms, attl = lp->table->conn.lookup_access_ms;
        if ((wttl <= 0 || now - e->written < wttl) && (attl <= 0 || now - e->used < attl)) {
            e->used = now;   /* the most recently used now */
            unlink_entry(st, e);
            push_newest(st, e);
            return e;
        }
        /* expired: fetch again */
        st->cached_rows -= entry_weight(e);
        st->cached_bytes -= (int64_t)e->bytes;
        e->bytes = 0;
        entry_clear_rows(e);
        unlink_entry(st, e);
    } else {
        e = calloc(1, sizeof *e);
        if (!e) abort();
        e->key = malloc(st->key.len ? st->key.len : 1);
        if (!e->key) abort();
        memcpy(e->key, st->key.s, st->key.len);
        e->klen = st->key.len;
        htab_insert(&st->cache, e, h);
    }
    e->pending = true;
    if (st->nbatch == st->capbatch) {
        st->capbatch = st->capbatch ? 2 * st->capbatch : 64;
        st->batch = realloc(st->batch, sizeof *st->batch * (size_t)st->capbatch);
        if (!st->batch) abort();
    }
    st->batch[st->nbatch++] = e;
    if (st->nfetch == st->capfetch) {
        st->capfetch = st->capfetch ? 2 * st->capfetch : 256;
        st->fetch = realloc(st->fetch, sizeof *st->fetch * (size_t)st->capfetch * (size_t)(st->nkeys ? st->nkeys : 1));
        if (!st->fetch) abort();
    }
    memcpy(st->fetch + (size_t)st->nfetch * (size_t)st->nkeys, st->kv, sizeof(Value) * (size_t)st->nkeys);
    st->nfetch++;
    return e;
}

/* After a fetch: the batch's entries become cached (a key without rows
 * only if missing keys are kept). */
static void settle(LookupState *st, const LookupJoinPlan *lp, int64_t now)
{
    for (int b = 0; b < st->nbatch; b++) st->batch[b]->pending = false;
    if (!st->keep) return;
    for (int b = 0; b < st->nbatch; b++) {
        LkEntry *e = st->batch[b];
        if (e->nrows == 0 && !lp->table->conn.lookup_cache_missing) continue;   /* dropped after the output */
        e->written = e->used = now;
        push_newest(st, e);
        st->cached_rows += entry_weight(e);
        e->bytes += e->klen + sizeof *e;
        st->cached_bytes += (int64_t)e->bytes;
    }
}

/* The cache back within 'lookup.partial-cache.max-rows', the least
 * recently used first, and without entries unused for
 * 'lookup.partial-cache.expire-after-access' (they are the oldest). */
static void shrink(LookupState *st, const LookupJoinPlan *lp, int64_t now)
{
    int64_t max = lp->table->conn.lookup_max_rows, attl = lp->table->conn.lookup_access_ms;
    while (st->oldest && ((max > 0 && st->cached_rows > max) || (attl > 0 && now - st->oldest->used >= attl))) {
        LkEntry *e = st->oldest;
        unlink_entry(st, e);
        st->cached_rows -= entry_weight(e);
        st->cached_bytes -= (int64_t)e->bytes;
        htab_remove(&st->cache, e->key, e->klen, htab_hash(e->key, e->klen));
        entry_free(e);
    }
}

static int lookup_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    LookupState *st = s->priv;
    const LookupJoinPlan *lp = plan_lookup_join(s->node);
    const JoinPlan *jp = &lp->join;
    Job *j = s->job;
    if (!st->pg) return job_fail(j, "lookup join on '%s': it reads the table from PostgreSQL, so it runs only against the database (eddy run)",
                                 lp->table->name);
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    st->cx = &cx;
    if (in->n > st->caprow) {
        st->caprow = in->n * 2;
        st->rowent = realloc(st->rowent, sizeof *st->rowent * (size_t)st->caprow);
        st->rowkeys = realloc(st->rowkeys, sizeof *st->rowkeys * (size_t)st->caprow);
        if (!st->rowent || !st->rowkeys) abort();
    }
    /* 1. each row's key; the keys nobody holds, to fetch */
    st->nfetch = 0;
    for (int i = 0; i < in->n; i++) {
        s->cur_row = i;
        int rc = exec_join_key(s, 0, (BExpr *const *)jp->lkeys, jp->nkeys, st->key_types, batch_row(in, i), st->kv, &st->key,
                               &cx);
        if (rc < 0) return -1;
        st->rowent[i] = rc ? NULL : entry_for(s, st, j->clock_ms);
    }
    /* 2. one query for them (per 1000 keys) */
    if (st->nfetch) {
        char err[1200];
        st->err = 0;
        if (pglookup_fetch(st->pg, st->fetch, st->nfetch, add_row, st, &j->batch_arena, err, sizeof err))
            return st->err ? -1 : job_fail(j, "lookup join on '%s': %s", lp->table->name, err);
        settle(st, lp, j->clock_ms);
    }
    /* 3. the output */
    bool outer = jp->type == JOIN_LEFT;
    for (int i = 0; i < in->n; i++) {
        s->cur_row = i;
        const Value *x = batch_row(in, i);
        memcpy(st->joined, x, sizeof(Value) * (size_t)st->nleft);
        bool met = false;
        const LkEntry *e = st->rowent[i];
        for (int r = 0; e && r < e->nrows; r++) {
            memcpy(st->joined + st->nleft, e->rows[r], sizeof(Value) * (size_t)st->nright);
            if (jp->residual) {
                int ok = eval_pred(jp->residual, st->joined, &cx);
                if (ok < 0) return exec_eval_fail(s, cx.errpos, cx.err);
                if (!ok) continue;
            }
            met = true;
            Value *o = batch_add(out, in->kinds[i], in->ts ? in->ts[i] : 0);
            memcpy(o, st->joined, sizeof(Value) * (size_t)st->ncols);
            /* the cache may drop the row before the consumers are done: their strings go with the batch */
            for (int c = st->nleft; c < st->ncols; c++) value_copy_into(&j->batch_arena, s->node->cols[c].type, &o[c]);
        }
        if (!met && outer) {
            for (int c = 0; c < st->nright; c++) st->joined[st->nleft + c] = (Value){.null = 1};
            memcpy(batch_add(out, in->kinds[i], in->ts ? in->ts[i] : 0), st->joined, sizeof(Value) * (size_t)st->ncols);
        }
    }
    /* without a cache this batch's entries go, and with one the keys
     * without rows unless they are to be kept */
    for (int b = 0; b < st->nbatch; b++) {
        LkEntry *e = st->batch[b];
        if (st->keep && (e->nrows > 0 || lp->table->conn.lookup_cache_missing)) continue;
        if (htab_find(&st->cache, e->key, e->klen, htab_hash(e->key, e->klen)) != e) continue;   /* evicted already */
        htab_remove(&st->cache, e->key, e->klen, htab_hash(e->key, e->klen));
        entry_free(e);
    }
    st->nbatch = 0;
    shrink(st, lp, j->clock_ms);
    s->stats.state_keys = (int64_t)htab_count(&st->cache);
    s->stats.state_bytes = st->cached_bytes;
    st->cx = NULL;
    return 0;
}

const OpVTable op_lookup_join_vt = {.init = lookup_init, .process = lookup_process, .end = lookup_end, .open = lookup_open};
