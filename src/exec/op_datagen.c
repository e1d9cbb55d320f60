/*
 * op_datagen.c — the source of a 'datagen' table: generated rows, as
 * Flink's DataGen connector makes them (connector_datagen.c says which
 * options shape each column).  The Kafka source's operator (op_source.c)
 * hands a datagen table's node to this one at init; it is a pull source
 * (OpVTable.pull), driven like a jdbc scan:
 *
 *   when                      what
 *   pull (job_pull)           the next rows, as +I: over Kafka's driver (Job.paced) as many as
 *                             'rows-per-second' makes due since the run started (none: the driver
 *                             waits a little), in memory (eddy test, eddy_job_generate) up to max
 *   'number-of-rows' reached  *done: the source ends; its watermark becomes the end of time, and a
 *   or a sequence's end       job of bounded sources finishes
 *
 * Row n is a function of the seed and n alone (each column's values come
 * from a counter-based generator seeded by seed, column and row number),
 * except TIMESTAMP / DATE columns, which are the job's clock minus a random
 * time up to 'max-past' (Flink: "now").  Its position — rows emitted — is a
 * source position like a Kafka offset (job_source_position, named
 * "datagen:<table>"): a checkpoint records it and a restart goes on at the
 * next row, so a sequence never repeats a value after a restart and the
 * rows after it are those an uninterrupted run would have made.
 *
 * A WATERMARK on the table is evaluated per row (one partition, 0) as for
 * a Kafka source (watermark.c), so event-time windows fire as rows go by.
 * Only the columns some consumer reads are generated (the others are NULL).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "clock.h"
#include "nested.h"

enum { PULL_MAX = 1024 };   /* rows per pull at most: a pull is one batch through the operators */

typedef struct GenState {
    char    pos_name[300];/* job_source_position: "datagen:<table>[#n]" */
    WmGen  *wm;           /* the watermark generator, NULL without a WATERMARK */
    bool    started;      /* the run's first pull happened */
    int64_t t0_us;        /* monotonic time of that pull */
    int64_t pos0;         /* the position then (a restart's) */
} GenState;

/* splitmix64: the generator of each value, seeded from (seed, row, column). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
typedef struct Rng {
    uint64_t s;
} Rng;
static uint64_t rng_next(Rng *r) { return mix64(r->s += 0x9e3779b97f4a7c15ull); }
static double rng_unit(Rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }   /* [0, 1) */
/* A whole number in lo..hi (inclusive). */
static int64_t rng_range(Rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t x = rng_next(r);
    return span == UINT64_MAX ? (int64_t)x : (int64_t)((uint64_t)lo + x % (span + 1));
}

/* How a nested element is made: random, over its type's whole range. */
static GenField element_field(Type t)
{
    GenField g = {.kind = GEN_RANDOM, .length = t.kind == TY_ARRAY || t.kind == TY_MAP ? 3 : 100};
    if (t.len > 0 && t.len < g.length && t.kind != TY_ARRAY && t.kind != TY_MAP) g.length = t.len;
    switch (t.kind) {
    case TY_TINYINT: g.seq_start = -128, g.seq_end = 127; break;
    case TY_SMALLINT: g.seq_start = -32768, g.seq_end = 32767; break;
    case TY_INT: g.seq_start = INT32_MIN, g.seq_end = INT32_MAX; break;
    case TY_BIGINT: g.seq_start = INT64_MIN, g.seq_end = INT64_MAX; break;
    case TY_FLOAT: g.lo = -3.4028234e38, g.hi = 3.4028234e38; break;
    case TY_DECIMAL: g.hi = (pow(10, t.precision > 18 ? 18 : t.precision) - 1) / pow(10, t.scale), g.lo = -g.hi; break;
    default: g.lo = -1.7976931348623157e308, g.hi = 1.7976931348623157e308; break;
    }
    return g;
}

static void gen_value(const GenField *g, Type t, Rng *r, int64_t row, int64_t now_ms, Arena *a, Value *v);

/* A random string (Flink: hexadecimal digits) or bytes of g's length. */
static void gen_text(const GenField *g, Type t, Rng *r, Arena *a, Value *v)
{
    int64_t len = g->length;
    if (g->var_len && len > 0) len = 1 + (int64_t)(rng_next(r) % (uint64_t)len);
    char *s = arena_alloc(a, (size_t)len + 1);
    static const char hex[] = "0123456789abcdef";
    for (int64_t i = 0; i < len; i++) {
        uint64_t x = rng_next(r);
        s[i] = t.kind == TY_STRING ? hex[x & 15] : (char)(x & 0xff);
    }
    v->s = s;
    v->n = (int32_t)len;
}

/* A ROW's fields, an ARRAY's elements or a MAP's entries, each made as an element. */
static void gen_nested(const GenField *g, Type t, Rng *r, int64_t row, int64_t now_ms, Arena *a, Value *v)
{
    int n = t.kind == TY_ROW ? t.nest->n : t.kind == TY_MAP ? 2 * (int)g->length : (int)g->length;
    Value *vals = arena_alloc(a, sizeof *vals * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        Type et = t.kind == TY_ROW ? t.nest->types[i] : t.kind == TY_MAP ? t.nest->types[i & 1] : t.nest->types[0];
        GenField eg = element_field(et);
        if (et.nullable) eg.null_rate = 0;   /* (elements are not NULL: Flink's generator makes values) */
        gen_value(&eg, et, r, row, now_ms, a, &vals[i]);
    }
    nested_pack(a, t, vals, n, v);
}

static void gen_value(const GenField *g, Type t, Rng *r, int64_t row, int64_t now_ms, Arena *a, Value *v)
{
    *v = (Value){0};
    if (g->null_rate > 0 && rng_unit(r) < g->null_rate) {
        v->null = 1;
        return;
    }
    if (g->kind == GEN_SEQUENCE) {
        int64_t x = (int64_t)((uint64_t)g->seq_start + (uint64_t)row);
        switch (t.kind) {
        case TY_FLOAT:
        case TY_DOUBLE: v->d = (double)x; break;
        case TY_DECIMAL: v->i = x * (int64_t)pow(10, t.scale); break;
        case TY_STRING: {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%lld", (long long)x);
            char *s = arena_alloc(a, (size_t)n + 1);
            memcpy(s, buf, (size_t)n + 1);
            v->s = s;
            v->n = n;
            break;
        }
        default: v->i = x; break;
        }
        return;
    }
    switch (t.kind) {
    case TY_BOOLEAN: v->i = (int64_t)(rng_next(r) & 1); break;
    case TY_TINYINT:
    case TY_SMALLINT:
    case TY_INT:
    case TY_BIGINT: v->i = rng_range(r, g->seq_start, g->seq_end); break;
    case TY_FLOAT: {
        double u = rng_unit(r);
        v->d = (float)(g->lo * (1 - u) + g->hi * u);
        break;
    }
    case TY_DOUBLE: {
        double u = rng_unit(r);
        v->d = g->lo * (1 - u) + g->hi * u;
        break;
    }
    case TY_DECIMAL: {
        double u = rng_unit(r), scale = pow(10, t.scale);
        v->i = llround((g->lo * (1 - u) + g->hi * u) * scale);
        break;
    }
    case TY_STRING:
    case TY_BYTES: gen_text(g, t, r, a, v); break;
    case TY_DATE: {
        int64_t ms = now_ms - (g->max_past_ms > 0 ? rng_range(r, 0, g->max_past_ms) : 0);
        v->i = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
        break;
    }
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ: {
        int64_t ms = now_ms - (g->max_past_ms > 0 ? rng_range(r, 0, g->max_past_ms) : 0);
        int64_t unit = t.precision == 0 ? 1000 : t.precision == 1 ? 100 : t.precision == 2 ? 10 : 1;
        v->i = ms - ((ms % unit) + unit) % unit;
        break;
    }
    case TY_ROW:
    case TY_ARRAY:
    case TY_MAP: gen_nested(g, t, r, row, now_ms, a, v); break;
    default: v->null = 1; break;   /* (no column has another type) */
    }
}

static int gen_init(OpState *s)
{
    GenState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    const Plan *p = s->job->plan;
    const SourcePlan *sp = plan_source(s->node);
    const char *tn = sp->table->name;
    int same = 0;   /* earlier sources of the same table (a self-join reads it twice) */
    for (int i = 0; i < sp->index; i++) {
        const PlanTable *t = p->sources[i]->table;
        same += t->conn.kind == CONN_DATAGEN && strcmp(t->name, tn) == 0;
    }
    if (same) snprintf(st->pos_name, sizeof st->pos_name, "datagen:%.250s#%d", tn, same + 1);
    else snprintf(st->pos_name, sizeof st->pos_name, "datagen:%.250s", tn);
    st->wm = wm_new(s);
    return 0;
}

static const char *gen_position(const OpState *s) { return ((const GenState *)s->priv)->pos_name; }
static WmGen *gen_wmgen(const OpState *s) { return s->priv ? ((const GenState *)s->priv)->wm : NULL; }

static void gen_end(OpState *s)
{
    GenState *st = s->priv;
    if (!st) return;
    wm_free(st->wm);
    free(st);
}

static int gen_pull(OpState *s, int64_t *pos, int64_t max, Batch *out, bool *done)
{
    GenState *st = s->priv;
    Job *j = s->job;
    const SourcePlan *sp = plan_source(s->node);
    const Connector *cn = &sp->table->conn;
    int64_t n = max < PULL_MAX ? max : PULL_MAX;
    if (cn->number_of_rows >= 0 && cn->number_of_rows - *pos < n) n = cn->number_of_rows - *pos;
    if (j->paced) {   /* rows-per-second over the wall clock, from this run's first pull */
        int64_t now = mono_us();
        if (!st->started) st->started = true, st->t0_us = now, st->pos0 = *pos;
        double due = (double)(now - st->t0_us) * (double)cn->rows_per_second / 1e6 + 1 - (double)(*pos - st->pos0);
        if (due < (double)n) n = due < 0 ? 0 : (int64_t)due;
    }
    const PlanNode *node = s->node;
    uint64_t seed = mix64(cn->seed ^ 0x5eed5eed5eed5eedull);
    for (int64_t k = 0; k < n; k++) {
        int64_t row = *pos + k;
        Value *o = batch_add(out, RK_INSERT, j->clock_ms);
        for (int c = 0; c < node->ncols; c++) {
            if (!sp->needed[c] && !sp->watermark) {
                o[c] = (Value){.null = 1};
                continue;
            }
            int tc = sp->src_cols[c];
            Rng r = {mix64(seed ^ mix64((uint64_t)row * 0x100000001b3ull + (uint64_t)tc))};
            gen_value(&cn->gen[tc], node->cols[c].type, &r, row, j->clock_ms, &j->batch_arena, &o[c]);
        }
    }
    *pos += n;
    *done = cn->number_of_rows >= 0 && *pos >= cn->number_of_rows;
    return 0;
}

static int gen_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)s, (void)port, (void)in, (void)out;   /* no inputs: rows come through pull */
    return 0;
}

const OpVTable op_datagen_vt = {.init = gen_init, .process = gen_process, .end = gen_end, .pull = gen_pull,
                                .position = gen_position, .wmgen = gen_wmgen};
