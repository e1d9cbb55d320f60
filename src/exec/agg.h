/*
 * agg.h — aggregate functions as accumulators: init / add / retract /
 * merge / result / save / load, over a fixed-size state slot per group.
 *
 * An accumulator's slot is agg_state_size() bytes inside the group's entry
 * (no allocation for COUNT, SUM, AVG, or MIN/MAX over an append-only input).
 * MIN/MAX over an updating input and COUNT(DISTINCT) keep a small multiset
 * (value → count) behind a pointer in the slot, so a retracted minimum is
 * recomputed exactly; LISTAGG, FIRST_VALUE and LAST_VALUE over an updating
 * input keep the list of values present.  Memory of such side structures
 * is owned by the accumulator and freed by agg_free.
 *
 * Each function's behaviour is one row of a table in agg.c, chosen once by
 * agg_spec_init; the AggSpec points at it.
 */
#ifndef EDDY_AGG_H
#define EDDY_AGG_H

#include <stddef.h>
#include "expr.h"
#include "value.h"

struct AggFuncs;

typedef struct AggSpec {
    const BExpr *call;    /* the BX_AGG expression (fn, distinct, argument type, result type) */
    Type         arg;     /* argument type (COUNT(*): unused) */
    Type         result;  /* result type */
    bool         retract; /* the input may retract rows: keep what retraction needs */
    const struct AggFuncs *row; /* the function's row in agg.c's table */
    const struct AggFuncs *run; /* what agg_* call: row, or the DISTINCT row in front of it */
    size_t       size;    /* slot bytes (multiple of 8) */
    int          filter;  /* input column of the FILTER (WHERE …) condition, -1 = none */
} AggSpec;

/* Whether an input row reaches the aggregate: its FILTER condition (if it
 * has one) is TRUE — NULL and FALSE keep the row out, as in WHERE. */
static inline bool agg_passes(const AggSpec *s, const Value *row)
{
    return s->filter < 0 || (!row[s->filter].null && row[s->filter].i != 0);
}

/* Fills s for one aggregate call.  Returns 0, or -1 when no accumulator
 * implements the call (not an aggregate function eddy knows). */
int    agg_spec_init(AggSpec *s, const BExpr *call, bool retract);
size_t agg_state_size(const AggSpec *s);
void   agg_init(const AggSpec *s, void *state);
/* Adds (sign +1) or retracts (sign -1) one input value; a NULL value
 * changes nothing.  COUNT(*) has no value: v = NULL pointer.  Returns 0,
 * or -1 with a message in err and the state unchanged (e.g. DECIMAL SUM
 * overflow, a retraction into MIN/MAX planned for an append-only input). */
int    agg_update(const AggSpec *s, void *state, const Value *v, int sign, char *err, size_t errlen);
/* Adds everything `other` (another initialised state of the same spec, not
 * state itself) holds to state, as if state had been given other's input
 * too; other is unchanged.  0, or -1 with a message in err and state
 * unchanged. */
int    agg_merge(const AggSpec *s, void *state, const void *other, char *err, size_t errlen);
/* The current result (strings point into the state: copy before the state changes). */
void   agg_result(const AggSpec *s, const void *state, Value *out);
void   agg_free(const AggSpec *s, void *state);
/* Serialises the state to bytes (for checkpoints) and back. */
void   agg_save(const AggSpec *s, const void *state, StrBuf *out);
int    agg_load(const AggSpec *s, void *state, const char *buf, size_t len, size_t *used);

/* What an operator's fingerprint adds for a call beyond its function and
 * argument: constant arguments (LISTAGG's separator) and the FILTER
 * column; nothing for a call without them, so older state stays valid. */
void   agg_fingerprint_extra(StrBuf *out, const BExpr *call);

#endif
