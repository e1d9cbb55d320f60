/*
 * op_agg.c — the group aggregate with retraction and mini-batch emission.
 *
 * State: a Keyed (keyed.h) from the encoded group key to a Group, the
 * entry's payload: the row count and one accumulator slot per aggregate.
 * Within a mini-batch the operator only updates state and remembers which
 * groups changed (with the result they had before); flush then emits one
 * change per changed group:
 *     new group              → +I
 *     group emptied          → -D (its last result)
 *     result changed         → -U old, +U new (retract consumer) or +U new (upsert consumer)
 *     result unchanged       → nothing
 * With mini-batch off (PlanNode.per_row: Flink's GroupAggFunction) every
 * input row is a mini-batch of its own: its change goes out at once, so an
 * update that reaches the operator as -U then +U shows its intermediate
 * result (a group's only row updated: -D, then +I), and a retraction of a
 * group that does not exist is ignored.  (Flink's also emits an unchanged
 * result when 'table.exec.state.ttl' is set; eddy refuses that setting
 * with a group aggregate, whose state it keeps: plan_check_settings.)
 * The second phase of a two-phase aggregate (AggPlan.merge: the global
 * aggregate after an exchange, sql/plan_stage.c) takes partial rows
 * [keys…, one agg_save per call] from local aggregates (op_local_agg.c):
 * each partial is loaded (agg_load) and merged (agg_merge) into the key's
 * accumulator instead of stepping it with a value; the rest is the same.
 * What the plan node says is read once, in agg_init_op, into AggState.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "codec.h"
#include "exec.h"
#include "func.h"
#include "keyed.h"
#include "rowkey.h"
#include "state.h"

/* A group: the payload of its keyed entry (the key is the entry's). */
typedef struct Group {
    int64_t  nrows;       /* input rows currently in the group */
    _Alignas(8) unsigned char slots[]; /* the accumulator slots */
} Group;

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)
static inline Group *group_of(const KeyedEntry *e) { return keyed_payload(e); }

typedef struct Dirty {
    KeyedEntry *e;        /* the changed group (its mark is set while it is here) */
    bool   had;           /* it had rows before this mini-batch */
    Value *before;        /* its output row then (copied into snaps), if had */
} Dirty;

typedef struct AggState {
    Keyed    groups;      /* group key → Group (first: keyed_op_checkpoint/restore find it here) */
    /* the plan node, as read in init */
    const char *name;     /* the operator's name, for messages */
    int      ngroup;      /* group key width: the input's first ngroup columns */
    int      naggs;       /* aggregates */
    int      ncols;       /* output width: ngroup + naggs */
    bool     before;      /* emit -U before +U (retract consumer) */
    bool     per_row;     /* mini-batch off: emit each row's change at once (PlanNode.per_row) */
    Type    *types;       /* output column types */
    Type    *key_types;   /* group key types (the input's first ngroup columns') */
    int     *argcol;      /* per aggregate: input column of its argument, -1 = none */
    bool    *countstar;   /* per aggregate: COUNT(*), read from the group's row count (no slot) */
    AggSpec *specs;       /* one per aggregate */
    size_t  *slot;        /* offset of each accumulator within the slots */
    size_t   slots;       /* bytes of all accumulators (multiple of 8) */
    /* the mini-batch */
    Dirty   *dirty;       /* groups changed in this mini-batch */
    int      ndirty;      /* count */
    int      capdirty;    /* capacity */
    Arena    snaps;       /* before-rows of dirty groups */
    bool     snaps_stale; /* snaps belong to an already emitted mini-batch */
    StrBuf   key;         /* scratch: the encoded keys of the batch being processed */
    size_t  *koff;        /* scratch: per input row, offset of its key in key (n + 1 entries) */
    uint64_t *khash;      /* scratch: per input row, the hash of its key */
    int      capk;        /* capacity of koff / khash */
    int64_t  ignored;     /* retractions of groups that did not exist */
    bool     merge;       /* input rows are partials to merge (AggPlan.merge) */
    unsigned char *tmp;   /* merge: a slot to load a partial into (the largest accumulator's size) */
} AggState;
_Static_assert(offsetof(AggState, groups) == 0, "keyed_op_* expect the Keyed first");

/* ---- accumulators of a group ---- */

static void group_init(const AggState *st, Group *g)
{
    g->nrows = 0;
    for (int a = 0; a < st->naggs; a++)
        if (!st->countstar[a]) agg_init(&st->specs[a], g->slots + st->slot[a]);
}

/* Frees the first n accumulators. */
static void group_release_aggs(const AggState *st, Group *g, int n)
{
    for (int a = 0; a < n; a++)
        if (!st->countstar[a]) agg_free(&st->specs[a], g->slots + st->slot[a]);
}

static void group_release(OpState *s, KeyedEntry *e)
{
    const AggState *st = s->priv;
    group_release_aggs(st, group_of(e), st->naggs);
}

/* The group's current output row: [keys…, results…]. */
static void group_output(const AggState *st, const KeyedEntry *e, Value *row)
{
    const Group *g = group_of(e);
    rowkey_decode(keyed_key(e), e->klen, st->key_types, row, st->ngroup, NULL);
    for (int a = 0; a < st->naggs; a++) {
        if (st->countstar[a]) row[st->ngroup + a] = (Value){.i = g->nrows};
        else agg_result(&st->specs[a], g->slots + st->slot[a], &row[st->ngroup + a]);
    }
}

/* ---- checkpoint and restore: the row written for a group is nrows (varint)
 * then each accumulator; its texts are the key columns and {rows, results…} ---- */

static int group_save(OpState *s, const KeyedEntry *e, StrBuf *out, Value *row)
{
    const AggState *st = s->priv;
    const Group *g = group_of(e);
    if (g->nrows <= 0) return 1;   /* emptied in a mini-batch not yet flushed (the flush deletes it) */
    unsigned char v[ROWKEY_VARINT_MAX];
    sb_putn(out, (const char *)v, rowkey_put_varint(v, rowkey_zigzag(g->nrows)));
    for (int a = 0; a < st->naggs; a++)
        if (!st->countstar[a]) agg_save(&st->specs[a], g->slots + st->slot[a], out);
    if (!row) return 0;   /* packed: no texts */
    group_output(st, e, row);
    row[st->ncols] = (Value){.i = g->nrows};
    return 0;
}

static int group_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    const AggState *st = s->priv;
    Group *g = group_of(e);
    const unsigned char *p = val, *end = p + vlen;
    uint64_t u = 0;
    size_t used = 0;
    if (rowkey_get_varint(&p, end, &u) || (g->nrows = rowkey_unzigzag(u)) < 1)   /* a stored group always holds a row */
        return job_fail(s->job, "state file: a group of %s has an unreadable or impossible row count (is the file damaged?)", st->name);
    /* the key must be a key of this operator's types */
    Value kv[64];
    if (st->ngroup > 64 || rowkey_decode(keyed_key(e), e->klen, st->key_types, kv, st->ngroup, NULL))
        return job_fail(s->job, "state file: a group key of %s is unreadable (is the file damaged?)", st->name);
    for (int a = 0; a < st->naggs; a++) {
        if (st->countstar[a]) continue;   /* its value is the row count */
        if (agg_load(&st->specs[a], g->slots + st->slot[a], (const char *)p, (size_t)(end - p), &used)) {
            group_release_aggs(st, g, a);
            return job_fail(s->job, "state file: a group of %s has an unreadable accumulator (is the file damaged?)", st->name);
        }
        p += used;
    }
    if (p != end) {   /* bytes left over: not what this operator wrote */
        group_release_aggs(st, g, st->naggs);
        return job_fail(s->job, "state file: a group of %s has trailing bytes (is the file damaged?)", st->name);
    }
    return 0;
}

/* ---- lifecycle ---- */

static int agg_init_op(OpState *s)
{
    const AggPlan *ap = plan_agg(s->node);
    const PlanNode *n = &ap->node, *in = n->inputs[0];
    AggState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    arena_init(&st->snaps, 16384);
    st->name = plan_ops[n->kind].name;
    st->ngroup = ap->ngroup;
    st->naggs = ap->naggs;
    st->ncols = n->ncols;
    st->before = n->before;
    st->per_row = n->per_row;
    st->types = xcalloc((size_t)n->ncols, sizeof *st->types);
    st->key_types = xcalloc((size_t)ap->ngroup, sizeof *st->key_types);
    st->argcol = xcalloc((size_t)ap->naggs, sizeof *st->argcol);
    st->specs = xcalloc((size_t)ap->naggs, sizeof *st->specs);
    st->slot = xcalloc((size_t)ap->naggs, sizeof *st->slot);
    st->countstar = xcalloc((size_t)ap->naggs, sizeof *st->countstar);
    for (int c = 0; c < n->ncols; c++) st->types[c] = n->cols[c].type;
    for (int i = 0; i < ap->ngroup; i++) st->key_types[i] = in->cols[i].type;
    st->merge = ap->merge;
    size_t biggest = 8;
    for (int a = 0; a < ap->naggs; a++) {
        const BExpr *call = ap->aggs[a];
        if (agg_spec_init(&st->specs[a], call, in->updating))
            return job_fail(s->job, "%s: no accumulator for %s", st->name, call->fn->name);
        st->argcol[a] = st->merge ? ap->ngroup + a : call->a ? call->a->col : -1;   /* merge: the call's partial */
        /* COUNT(*) is the group's row count: it needs no slot of its own (merging, its partial is a count) */
        st->countstar[a] = !st->merge && call->fn->id == FN_COUNT && !call->a && !call->distinct && !call->b;
        st->slot[a] = st->slots;
        if (!st->countstar[a]) st->slots += ALIGN8(agg_state_size(&st->specs[a]));
        if (agg_state_size(&st->specs[a]) > biggest) biggest = agg_state_size(&st->specs[a]);
    }
    if (st->merge) st->tmp = xcalloc(1, ALIGN8(biggest));
    /* the state file's texts: key_text = the key columns, value_text = {rows, results…} */
    JsonField *kf = xcalloc((size_t)ap->ngroup, sizeof *kf), *vf = xcalloc((size_t)ap->naggs + 1, sizeof *vf);
    for (int i = 0; i < ap->ngroup; i++) kf[i] = (JsonField){n->cols[i].name, n->cols[i].type, i};
    vf[0] = (JsonField){"rows", type_make(TY_BIGINT, false), n->ncols};
    for (int a = 0; a < ap->naggs; a++) vf[a + 1] = (JsonField){n->cols[ap->ngroup + a].name, n->cols[ap->ngroup + a].type, ap->ngroup + a};
    KeyedConfig cfg = {
        .vsize = sizeof(Group) + st->slots, .key_text = kf, .nkey_text = ap->ngroup, .val_text = vf,
        .nval_text = ap->naggs + 1, .row_width = n->ncols + 1,
        .save = group_save, .load = group_load, .release = group_release,
        /* GROUP BY user_id or (region, user_id): a state row and two JSON
         * texts per changed group cost more than the aggregate itself
         * (Top-3 users per region, 1M orders, 571k groups: 6.3 s, the
         * state writer's SQLite B-tree work most of it) */
        .pack_above = KEYED_READABLE_MAX,
    };
    keyed_init(&st->groups, s, &cfg);   /* it owns kf and vf now */
    return 0;
}

static void agg_end(OpState *s)
{
    AggState *st = s->priv;
    if (!st) return;
    keyed_free(&st->groups);
    arena_free(&st->snaps);
    free(st->koff);
    free(st->khash);
    sb_free(&st->key);
    free(st->types);
    free(st->key_types);
    free(st->argcol);
    free(st->specs);
    free(st->slot);
    free(st->countstar);
    free(st->dirty);
    free(st->tmp);
    free(st);
}

/* ---- process and flush ---- */

static void note_dirty(AggState *st, KeyedEntry *e)
{
    if (st->ndirty == st->capdirty) {
        st->capdirty = st->capdirty ? st->capdirty * 2 : 1024;
        st->dirty = realloc(st->dirty, sizeof *st->dirty * (size_t)st->capdirty);
        if (!st->dirty) abort();
    }
    Dirty *d = &st->dirty[st->ndirty++];
    d->e = e;
    d->had = group_of(e)->nrows > 0;
    d->before = NULL;
    if (d->had) {
        d->before = arena_alloc(&st->snaps, sizeof(Value) * (size_t)st->ncols);
        group_output(st, e, d->before);
        for (int c = 0; c < st->ncols; c++) value_copy_into(&st->snaps, st->types[c], &d->before[c]);
    }
    e->mark = 1;
}

/*
 * Groups are looked up with prefetching (keyed.h): agg_process encodes and
 * hashes the whole batch first.  Measured (perf cpu-clock, GROUP BY
 * user_id, 100k keys, --state none, 1M orders): htab_find + the key
 * callback went from 11 % of all samples to 0.9 %, agg_process inclusive
 * from 17 % to 9 %.
 */
static int agg_flush(OpState *s, Batch *out);

static int agg_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    AggState *st = s->priv;
    Keyed *k = &st->groups;
    char err[256];
    if (st->snaps_stale) {
        arena_free(&st->snaps);
        arena_init(&st->snaps, 16384);
        st->snaps_stale = false;
    }
    if (in->n + 1 > st->capk) {
        st->capk = in->n + 1;
        st->koff = realloc(st->koff, sizeof *st->koff * (size_t)st->capk);
        st->khash = realloc(st->khash, sizeof *st->khash * (size_t)st->capk);
        if (!st->koff || !st->khash) abort();
    }
    st->key.len = 0;
    for (int i = 0; i < in->n; i++) {
        st->koff[i] = st->key.len;
        rowkey_encode(&st->key, st->key_types, batch_row(in, i), NULL, st->ngroup);
    }
    st->koff[in->n] = st->key.len;
    for (int i = 0; i < in->n; i++) {
        st->khash[i] = keyed_hash(st->key.s + st->koff[i], st->koff[i + 1] - st->koff[i]);
        if (i < 2 * KEYED_AHEAD) keyed_prefetch_slot(k, st->khash[i]);
    }
    for (int i = 0; i < in->n; i++) {
        if (i + 2 * KEYED_AHEAD < in->n) keyed_prefetch_slot(k, st->khash[i + 2 * KEYED_AHEAD]);
        if (i + KEYED_AHEAD < in->n) keyed_prefetch_entry(k, st->khash[i + KEYED_AHEAD]);
        const Value *row = batch_row(in, i);
        int sign = rowkind_is_add(in->kinds[i]) ? 1 : -1;
        const char *key = st->key.s + st->koff[i];
        size_t klen = st->koff[i + 1] - st->koff[i];
        uint64_t h = st->khash[i];
        KeyedEntry *e = keyed_find(k, key, klen, h);
        if (sign < 0 && (!e || group_of(e)->nrows <= 0)) {
            st->ignored++;       /* retracting a row the group does not hold (never seen, or emptied in this mini-batch) */
            continue;
        }
        if (!e) {
            e = keyed_insert(k, key, klen, h, sizeof(Group) + st->slots);
            group_init(st, group_of(e));
        }
        keyed_touch(k, e);
        if (!e->mark) note_dirty(st, e);
        Group *g = group_of(e);
        g->nrows += sign;
        for (int a = 0; a < st->naggs && st->merge; a++) {   /* a partial: loaded, then merged */
            const Value *v = &row[st->argcol[a]];
            size_t used = 0;
            if (v->null || agg_load(&st->specs[a], st->tmp, v->s, (size_t)v->n, &used)) return job_fail(s->job, "%s: a partial aggregate from the exchange does not load", st->name);
            if (used != (size_t)v->n) {
                agg_free(&st->specs[a], st->tmp);
                return job_fail(s->job, "%s: a partial aggregate from the exchange has trailing bytes", st->name);
            }
            int mrc = agg_merge(&st->specs[a], g->slots + st->slot[a], st->tmp, err, sizeof err);
            agg_free(&st->specs[a], st->tmp);
            if (mrc) return job_fail(s->job, "%s", err);
        }
        for (int a = 0; a < st->naggs && !st->merge; a++) {
            if (st->countstar[a]) continue;   /* g->nrows is its value */
            if (!agg_passes(&st->specs[a], row)) continue;   /* FILTER (WHERE …) (a merged partial had it applied) */
            const Value *v = st->argcol[a] >= 0 ? &row[st->argcol[a]] : NULL;
            if (agg_update(&st->specs[a], g->slots + st->slot[a], v, sign, err, sizeof err))
                return job_fail(s->job, "%s", err);
        }
        if (st->per_row && agg_flush(s, out)) return -1;   /* Flink: each row's change goes out before the next row */
    }
    return 0;
}

static bool rows_equal(const AggState *st, const Value *a, const Value *b)
{
    for (int i = 0; i < st->ncols; i++)
        if (!value_eq(st->types[i], &a[i], &b[i])) return false;
    return true;
}

/* A new result row's group key strings are copied into the batch arena:
 * group_output points them into the group's entry, scattered over the
 * state, where the consumer reading them a whole batch later missed the
 * cache on every row (Top-N over GROUP BY region, user_id: 7 % of the job
 * thread in its row encoding); copied now, while the entry is in cache,
 * they are read in order. */
static void own_keys(OpState *s, const AggState *st, Value *r)
{
    for (int c = 0; c < st->ngroup; c++) value_copy_into(&s->job->batch_arena, st->types[c], &r[c]);
}

static int agg_flush(OpState *s, Batch *out)
{
    AggState *st = s->priv;
    size_t rowsize = sizeof(Value) * (size_t)st->ncols;
    for (int i = 0; i < st->ndirty; i++) {
        Dirty *d = &st->dirty[i];
        KeyedEntry *e = d->e;
        e->mark = 0;
        if (group_of(e)->nrows <= 0) {
            if (d->had) {
                Value *r = batch_add(out, RK_DELETE, 0);
                memcpy(r, d->before, rowsize);
            } else if (s->job->replay) {
                /* Replaying after a restart: the sink may hold this group
                 * from before the crash; delete its key (values unknown). */
                Value *r = batch_add(out, RK_DELETE, 0);
                group_output(st, e, r);
                for (int c = st->ngroup; c < st->ncols; c++) r[c] = (Value){.null = 1};
                for (int c = 0; c < st->ngroup; c++) value_copy_into(&s->job->batch_arena, st->types[c], &r[c]);
            }
            /* the next checkpoint deletes its key */
            keyed_remove(&st->groups, e, keyed_hash(keyed_key(e), e->klen));
            continue;
        }
        if (!d->had) {
            Value *r = batch_add(out, RK_INSERT, 0);
            group_output(st, e, r);
            own_keys(s, st, r);
            continue;
        }
        Value *after = batch_add(out, RK_UPDATE_AFTER, 0);
        group_output(st, e, after);
        /* An unchanged result emits nothing — except while replaying after a
         * restart, when the sink may hold a newer value written before the
         * crash: then every touched group is written again. */
        if (rows_equal(st, d->before, after) && !s->job->replay) {
            out->n--;
            continue;
        }
        own_keys(s, st, after);
        if (st->before) {
            /* -U before +U: move the +U one row on */
            Value *nw = batch_add(out, RK_UPDATE_AFTER, 0);
            Value *old = batch_row(out, out->n - 2);
            memcpy(nw, old, rowsize);
            memcpy(old, d->before, rowsize);
            out->kinds[out->n - 2] = RK_UPDATE_BEFORE;
        }
    }
    st->ndirty = 0;
    st->snaps_stale = true;
    return 0;
}

/* What identifies the state's layout (read from the plan: no OpState here). */
static void agg_fingerprint(const PlanNode *n, StrBuf *out)
{
    const AggPlan *ap = plan_agg(n);
    const PlanNode *in = n->inputs[0];
    sb_printf(out, "%s/2 keys=", ap->merge ? "GlobalGroupAggregate" : "GroupAggregate");
    for (int i = 0; i < ap->ngroup; i++) type_print(out, in->cols[i].type), sb_putc(out, ';');
    sb_printf(out, " retract=%d aggs=", in->updating);
    for (int a = 0; a < ap->naggs; a++) {
        const BExpr *e = ap->aggs[a];
        sb_printf(out, "%s%s(", e->fn->name, e->distinct ? " DISTINCT" : "");
        if (e->a) {
            sb_printf(out, "$%d:", e->a->col);
            type_print(out, e->a->type);
        } else {
            sb_putc(out, '*');
        }
        agg_fingerprint_extra(out, e);   /* nothing for a call of eddy before FILTER and LISTAGG */
        sb_puts(out, ");");
    }
    /* and what feeds it: another key expression or argument over the same
     * types (GROUP BY UPPER(region), SUM(amount * 100)) would misread the state */
    sb_puts(out, " input=");
    explain_lineage(in, out);
}

const OpVTable op_agg_vt = {
    .init = agg_init_op, .process = agg_process, .flush = agg_flush, .checkpoint = keyed_op_checkpoint,
    .restore = keyed_op_restore, .end = agg_end, .fingerprint = agg_fingerprint,
};
