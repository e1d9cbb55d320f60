/*
 * op_local_agg.c — the local group aggregate: the first phase of a
 * two-phase aggregation (sql/plan_stage.c), before an exchange.
 *
 * Within one mini-batch it keeps an accumulator per aggregate call for
 * each group key of its (append-only) input — the FILTER of a call applied
 * here, COUNT(*) an ordinary count — and at the flush emits one +I row per
 * key seen, [keys…, partials…], each partial the accumulator's agg_save
 * bytes (BYTES), then forgets them all:
 *     input +I row          → its key's accumulators step (agg_update)
 *     flush                 → one +I [keys…, partials…] per key, state emptied
 *     an update or delete   → the job fails (the planner splits only
 *                             aggregates over append-only inputs)
 * It keeps nothing across mini-batches: no state file rows, no
 * checkpoint; the global aggregate after the exchange (op_agg.c with
 * AggPlan.merge) merges the partials into its keyed state.
 */
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "exec.h"
#include "func.h"
#include "htab.h"
#include "rowkey.h"

/* A group of the mini-batch: key bytes, then the accumulator slots. */
typedef struct LocalGroup {
    size_t   klen;        /* key bytes */
    unsigned char *key;   /* the key (in the mini-batch's arena) */
    _Alignas(8) unsigned char slots[]; /* the accumulators */
} LocalGroup;

typedef struct LocalAggState {
    Htab      groups;     /* key → LocalGroup */
    LocalGroup **order;   /* the groups in the order they came (the flush emits them so) */
    int       n, cap;     /* count, capacity */
    Arena     mem;        /* groups and keys of the mini-batch */
    AggSpec  *specs;      /* per call */
    size_t   *slot;       /* offset of each accumulator */
    size_t    slots;      /* bytes of them all */
    int      *argcol;     /* per call: its argument's input column, -1 = none */
    Type     *key_types;  /* the group key's types */
    int       ngroup;     /* key width */
    int       naggs;      /* calls */
    StrBuf    key;        /* scratch: a row's key */
    StrBuf    bytes;      /* scratch: partials of the flush */
} LocalAggState;

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

static const void *group_key(const void *e, size_t *len)
{
    const LocalGroup *g = e;
    *len = g->klen;
    return g->key;
}

static int local_init(OpState *s)
{
    const LocalAggPlan *lp = plan_local_agg(s->node);
    const PlanNode *in = s->node->inputs[0];
    LocalAggState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    htab_init(&st->groups, group_key);
    arena_init(&st->mem, 64 * 1024);
    st->ngroup = lp->ngroup;
    st->naggs = lp->naggs;
    st->specs = xcalloc((size_t)lp->naggs + 1, sizeof *st->specs);
    st->slot = xcalloc((size_t)lp->naggs + 1, sizeof *st->slot);
    st->argcol = xcalloc((size_t)lp->naggs + 1, sizeof *st->argcol);
    st->key_types = xcalloc((size_t)lp->ngroup + 1, sizeof *st->key_types);
    for (int i = 0; i < lp->ngroup; i++) st->key_types[i] = in->cols[i].type;
    for (int a = 0; a < lp->naggs; a++) {
        if (agg_spec_init(&st->specs[a], lp->aggs[a], false))
            return job_fail(s->job, "LocalGroupAggregate: no accumulator for %s", lp->aggs[a]->fn->name);
        st->argcol[a] = lp->aggs[a]->a ? lp->aggs[a]->a->col : -1;
        st->slot[a] = st->slots;
        st->slots += ALIGN8(agg_state_size(&st->specs[a]));
    }
    return 0;
}

/* Frees the mini-batch's groups. */
static void local_clear(LocalAggState *st)
{
    for (int i = 0; i < st->n; i++)
        for (int a = 0; a < st->naggs; a++) agg_free(&st->specs[a], st->order[i]->slots + st->slot[a]);
    htab_free(&st->groups);
    htab_init(&st->groups, group_key);
    st->n = 0;
    arena_free(&st->mem);
    arena_init(&st->mem, 64 * 1024);
}

static void local_end(OpState *s)
{
    LocalAggState *st = s->priv;
    if (!st) return;
    local_clear(st);
    htab_free(&st->groups);
    arena_free(&st->mem);
    free(st->order);
    free(st->specs);
    free(st->slot);
    free(st->argcol);
    free(st->key_types);
    sb_free(&st->key);
    sb_free(&st->bytes);
    free(st);
}

static int local_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port, (void)out;
    LocalAggState *st = s->priv;
    char err[256];
    for (int i = 0; i < in->n; i++) {
        if (in->kinds[i] != RK_INSERT)
            return job_fail(s->job, "LocalGroupAggregate: an update or delete reached it (its input must be append-only)");
        const Value *row = batch_row(in, i);
        st->key.len = 0;
        rowkey_encode(&st->key, st->key_types, row, NULL, st->ngroup);
        const char *k = st->key.s ? st->key.s : "";
        uint64_t h = htab_hash(k, st->key.len);
        LocalGroup *g = htab_find(&st->groups, k, st->key.len, h);
        if (!g) {
            g = arena_alloc(&st->mem, sizeof *g + st->slots);
            g->klen = st->key.len;
            g->key = arena_alloc(&st->mem, st->key.len ? st->key.len : 1);
            memcpy(g->key, k, st->key.len);
            for (int a = 0; a < st->naggs; a++) agg_init(&st->specs[a], g->slots + st->slot[a]);
            htab_insert(&st->groups, g, h);
            if (st->n == st->cap) {
                st->cap = st->cap ? st->cap * 2 : 256;
                st->order = realloc(st->order, sizeof *st->order * (size_t)st->cap);
                if (!st->order) abort();
            }
            st->order[st->n++] = g;
        }
        for (int a = 0; a < st->naggs; a++) {
            if (!agg_passes(&st->specs[a], row)) continue;   /* FILTER (WHERE …) */
            const Value *v = st->argcol[a] >= 0 ? &row[st->argcol[a]] : NULL;
            if (agg_update(&st->specs[a], g->slots + st->slot[a], v, 1, err, sizeof err)) return job_fail(s->job, "%s", err);
        }
    }
    return 0;
}

static int local_flush(OpState *s, Batch *out)
{
    LocalAggState *st = s->priv;
    Arena *ba = &s->job->batch_arena;
    for (int i = 0; i < st->n; i++) {
        const LocalGroup *g = st->order[i];
        Value *r = batch_add(out, RK_INSERT, 0);
        if (rowkey_decode((const char *)g->key, g->klen, st->key_types, r, st->ngroup, ba))
            return job_fail(s->job, "LocalGroupAggregate: a group key does not decode");
        for (int a = 0; a < st->naggs; a++) {
            st->bytes.len = 0;
            agg_save(&st->specs[a], g->slots + st->slot[a], &st->bytes);
            char *b = arena_alloc(ba, st->bytes.len ? st->bytes.len : 1);
            if (st->bytes.len) memcpy(b, st->bytes.s, st->bytes.len);
            r[st->ngroup + a] = (Value){.s = b, .n = (int32_t)st->bytes.len};
        }
    }
    local_clear(st);
    return 0;
}

const OpVTable op_local_agg_vt = {.init = local_init, .process = local_process, .flush = local_flush, .end = local_end};
