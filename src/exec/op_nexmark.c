/*
 * op_nexmark.c — the source of a 'nexmark' table: the Nexmark benchmark's
 * events from the generator of connect/nexmark.c (the one `eddy gen
 * nexmark` writes to Kafka), as rows event_type, person, auction, bid
 * (connector_nexmark.c checks the declared columns).  The Kafka source's
 * operator (op_source.c) hands a nexmark table's node to this one at init;
 * it is a pull source (OpVTable.pull), driven like datagen's:
 *
 *   when                      what
 *   pull (job_pull)           the next events, one +I row each: the event's kind in event_type, its
 *                             ROW in person / auction / bid, the other two NULL; as many as asked
 *                             (at most 1024), or over Kafka's driver (Job.paced) with 'rate.limited'
 *                             only those 'first-event.rate' makes due since the run started
 *   'events.num' reached      *done: the source ends; its watermark becomes the end of time, and a
 *                             job of bounded sources finishes
 *
 * The events are those of the generator for the table's seed and options,
 * event n always the same.  Its position — events emitted — is a source
 * position like a Kafka offset (job_source_position, named
 * "nexmark:<table>"): a checkpoint records it, and a restart draws the
 * events up to it again (the generator is a sequential stream) and goes
 * on at the next, so no event is repeated or lost.
 *
 * A WATERMARK on the table is evaluated per row (one partition, 0) as for
 * a Kafka source (watermark.c).  Only the columns some consumer (or the
 * watermark) reads are made; the others are NULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "clock.h"
#include "nested.h"
#include "nexmark.h"

enum { PULL_MAX = 1024 };   /* events per pull at most: a pull is one batch through the operators */
enum { NX_OTHER, NX_TYPE, NX_PERSON, NX_AUCTION, NX_BID };

typedef struct NxState {
    char           pos_name[300]; /* job_source_position: "nexmark:<table>[#n]" */
    WmGen         *wm;            /* the watermark generator, NULL without a WATERMARK */
    nexmark_config cfg;           /* the generator's parameters, from the table's options */
    nexmark_gen   *gen;           /* the generator; nexmark_gen_count(gen) events drawn */
    int           *what;          /* per node column: NX_* */
    bool           started;       /* the run's first pull happened (rate.limited) */
    int64_t        t0_us;         /* monotonic time of that pull */
    int64_t        pos0;          /* the position then (a restart's) */
} NxState;

static int nx_init(OpState *s)
{
    NxState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    const Plan *p = s->job->plan;
    const SourcePlan *sp = plan_source(s->node);
    const PlanTable *t = sp->table;
    const Connector *cn = &t->conn;
    int same = 0;   /* earlier sources of the same table (a self-join reads it twice) */
    for (int i = 0; i < sp->index; i++) {
        const PlanTable *o = p->sources[i]->table;
        same += o->conn.kind == CONN_NEXMARK && strcmp(o->name, t->name) == 0;
    }
    if (same) snprintf(st->pos_name, sizeof st->pos_name, "nexmark:%.250s#%d", t->name, same + 1);
    else snprintf(st->pos_name, sizeof st->pos_name, "nexmark:%.250s", t->name);

    nexmark_config *c = &st->cfg;
    nexmark_config_default(c);
    c->seed = cn->seed;
    c->events = cn->number_of_rows > 0 ? cn->number_of_rows : 0;
    c->event_rate = cn->nexmark.event_rate;
    c->person_proportion = (int)cn->nexmark.person_proportion;
    c->auction_proportion = (int)cn->nexmark.auction_proportion;
    c->bid_proportion = (int)cn->nexmark.bid_proportion;
    c->avg_person_size = (int)cn->nexmark.person_avg_size;
    c->avg_auction_size = (int)cn->nexmark.auction_avg_size;
    c->avg_bid_size = (int)cn->nexmark.bid_avg_size;
    c->hot_auctions_ratio = (int)cn->nexmark.hot_auctions;
    c->hot_bidders_ratio = (int)cn->nexmark.hot_bidders;
    c->hot_sellers_ratio = (int)cn->nexmark.hot_sellers;
    char err[300];
    st->gen = nexmark_gen_new(c, err, sizeof err);
    if (!st->gen) return job_fail(s->job, "table '%s': %s", t->name, err);

    const PlanNode *n = s->node;
    st->what = calloc((size_t)n->ncols + 1, sizeof *st->what);
    if (!st->what) abort();
    for (int i = 0; i < n->ncols; i++) {
        const char *name = t->cols[sp->src_cols[i]].name;
        st->what[i] = strcmp(name, "event_type") == 0 ? NX_TYPE
                    : strcmp(name, "person") == 0     ? NX_PERSON
                    : strcmp(name, "auction") == 0    ? NX_AUCTION
                    : strcmp(name, "bid") == 0        ? NX_BID
                                                      : NX_OTHER;
        if (!sp->needed[i] && !sp->watermark) st->what[i] = NX_OTHER;   /* nobody reads it: NULL */
    }
    st->wm = wm_new(s);
    return 0;
}

static const char *nx_position(const OpState *s) { return ((const NxState *)s->priv)->pos_name; }
static WmGen *nx_wmgen(const OpState *s) { return s->priv ? ((const NxState *)s->priv)->wm : NULL; }

static void nx_end(OpState *s)
{
    NxState *st = s->priv;
    if (!st) return;
    wm_free(st->wm);
    nexmark_gen_free(st->gen);
    free(st->what);
    free(st);
}

static Value str_value(nexmark_str x) { return (Value){.s = x.p, .n = x.n}; }

/* The ROW of column type t (checked by connector_nexmark.c: the fields in
 * the generator's order) for the event's member. */
static void pack_event(Arena *a, Type t, const nexmark_event *ev, Value *out)
{
    Value v[10];
    int n = 0;
    switch (ev->kind) {
    case NEXMARK_PERSON: {
        const nexmark_person *p = &ev->person;
        v[n++] = (Value){.i = p->id};
        v[n++] = str_value(p->name);
        v[n++] = str_value(p->email_address);
        v[n++] = str_value(p->credit_card);
        v[n++] = str_value(p->city);
        v[n++] = str_value(p->state);
        v[n++] = (Value){.i = p->date_time};
        v[n++] = str_value(p->extra);
        break;
    }
    case NEXMARK_AUCTION: {
        const nexmark_auction *x = &ev->auction;
        v[n++] = (Value){.i = x->id};
        v[n++] = str_value(x->item_name);
        v[n++] = str_value(x->description);
        v[n++] = (Value){.i = x->initial_bid};
        v[n++] = (Value){.i = x->reserve};
        v[n++] = (Value){.i = x->date_time};
        v[n++] = (Value){.i = x->expires};
        v[n++] = (Value){.i = x->seller};
        v[n++] = (Value){.i = x->category};
        v[n++] = str_value(x->extra);
        break;
    }
    case NEXMARK_BID: {
        const nexmark_bid *b = &ev->bid;
        v[n++] = (Value){.i = b->auction};
        v[n++] = (Value){.i = b->bidder};
        v[n++] = (Value){.i = b->price};
        v[n++] = str_value(b->channel);
        v[n++] = str_value(b->url);
        v[n++] = (Value){.i = b->date_time};
        v[n++] = str_value(b->extra);
        break;
    }
    }
    nested_pack(a, t, v, n, out);
}

static int nx_pull(OpState *s, int64_t *pos, int64_t max, Batch *out, bool *done)
{
    NxState *st = s->priv;
    Job *j = s->job;
    const SourcePlan *sp = plan_source(s->node);
    const Connector *cn = &sp->table->conn;
    const PlanNode *node = s->node;
    /* The generator at *pos: a restart (or a position set back) draws the events before it again. */
    if (nexmark_gen_count(st->gen) > *pos) {
        nexmark_gen_free(st->gen);
        st->gen = nexmark_gen_new(&st->cfg, NULL, 0);   /* (the configuration passed at init) */
    }
    nexmark_event ev;
    while (nexmark_gen_count(st->gen) < *pos)
        if (!nexmark_gen_next(st->gen, &ev)) break;
    int64_t n = max < PULL_MAX ? max : PULL_MAX;
    if (cn->number_of_rows >= 0 && cn->number_of_rows - *pos < n) n = cn->number_of_rows - *pos;
    if (j->paced && cn->nexmark.rate_limited) {   /* first-event.rate over the wall clock, from this run's first pull */
        int64_t now = mono_us();
        if (!st->started) st->started = true, st->t0_us = now, st->pos0 = *pos;
        double due = (double)(now - st->t0_us) * cn->nexmark.event_rate / 1e6 + 1 - (double)(*pos - st->pos0);
        if (due < (double)n) n = due < 0 ? 0 : (int64_t)due;
    }
    int64_t made = 0;
    for (; made < n && nexmark_gen_next(st->gen, &ev); made++) {
        Value *o = batch_add(out, RK_INSERT, j->clock_ms);
        for (int c = 0; c < node->ncols; c++) {
            int w = st->what[c];
            Type t = node->cols[c].type;
            if (w == NX_TYPE) o[c] = (Value){.i = (int64_t)ev.kind};
            else if ((w == NX_PERSON && ev.kind == NEXMARK_PERSON) || (w == NX_AUCTION && ev.kind == NEXMARK_AUCTION) ||
                     (w == NX_BID && ev.kind == NEXMARK_BID))
                pack_event(&j->batch_arena, t, &ev, &o[c]);
            else o[c] = (Value){.null = 1};
        }
    }
    *pos += made;
    *done = cn->number_of_rows >= 0 && *pos >= cn->number_of_rows;
    return 0;
}

static int nx_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)s, (void)port, (void)in, (void)out;   /* no inputs: rows come through pull */
    return 0;
}

const OpVTable op_nexmark_vt = {.init = nx_init, .process = nx_process, .end = nx_end, .pull = nx_pull,
                                .position = nx_position, .wmgen = nx_wmgen};
