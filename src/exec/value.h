/*
 * value.h — values, rows and batches as operators pass them.
 *
 * A Value carries no type: the schema (PlanCol.type) says how to read it.
 *   BOOLEAN, TINYINT..BIGINT  → i
 *   DATE                      → i, days since 1970-01-01
 *   TIMESTAMP, TIMESTAMP_LTZ  → i, milliseconds since the epoch (UTC)
 *   INTERVAL                  → i, milliseconds
 *   DECIMAL(p, s)             → i, the value × 10^s (eddy holds decimals in
 *                               64 bits: 18 significant digits; beyond that
 *                               is an overflow error, never a wrong result)
 *   FLOAT, DOUBLE             → d
 *   STRING, BYTES             → s and n (not NUL-terminated)
 *   ROW, ARRAY, MAP           → s and n: the elements' bytes (nested.h)
 * A row is `ncols` consecutive Values; a Batch is rows with their kinds.
 * Strings in a batch point into the batch arena or into the input buffers
 * the batch was decoded from; an operator that keeps a value past the
 * batch (aggregate state) copies it.
 */
#ifndef EDDY_VALUE_H
#define EDDY_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include "arena.h"
#include "strbuf.h"
#include "types.h"
#include "tz.h"

typedef struct Value {
    union {
        int64_t     i;    /* integers, booleans, dates, timestamps, decimals */
        double      d;    /* FLOAT, DOUBLE */
        const char *s;    /* STRING, BYTES */
    };
    int32_t n;            /* STRING/BYTES length in bytes */
    uint8_t null;         /* SQL NULL */
} Value;

/* Row kinds, printed as Flink prints them. */
typedef enum RowKind {
    RK_INSERT = 0,        /* +I */
    RK_UPDATE_BEFORE = 1, /* -U */
    RK_UPDATE_AFTER = 2,  /* +U */
    RK_DELETE = 3,        /* -D */
} RowKind;

const char *rowkind_str(RowKind k);   /* "+I", "-U", "+U", "-D" */
static inline bool rowkind_is_add(RowKind k) { return k == RK_INSERT || k == RK_UPDATE_AFTER; }

typedef struct Batch {
    int      ncols;       /* row width */
    int      n;           /* rows */
    int      cap;         /* capacity in rows */
    RowKind *kinds;       /* kind of each row */
    Value   *vals;        /* n × ncols values */
    int64_t *ts;          /* per row: the record timestamp it derives from (ms), for event time */
    Arena   *arena;       /* where strings made for this batch live (reset with the batch) */
} Batch;

void   batch_init(Batch *b, int ncols, Arena *arena);
void   batch_free(Batch *b);
void   batch_clear(Batch *b);          /* n = 0; keeps capacity */
/* Appends a row (values uninitialised) and returns it. */
Value *batch_add(Batch *b, RowKind k, int64_t ts);
static inline Value *batch_row(const Batch *b, int i) { return b->vals + (size_t)i * (size_t)b->ncols; }
/* Rows [from, from + n) of b as a batch of their own, sharing b's memory
 * (to read only: an operator working through a batch in chunks). */
static inline Batch batch_slice(const Batch *b, int from, int n)
{
    Batch v = *b;
    v.kinds += from;
    v.vals += (size_t)from * (size_t)b->ncols;
    v.ts += from;
    v.n = n;
    return v;
}

/* Comparison with SQL ordering of non-NULL values of one type (NULL sorts
 * first); used by MIN/MAX, DISTINCT and tests. */
int    value_cmp(Type t, const Value *a, const Value *b);
bool   value_eq(Type t, const Value *a, const Value *b);   /* NULL = NULL here (grouping semantics) */
/* Appends the value as Flink's changelog printing shows it (e.g. 801.7,
 * 2024-01-01 10:00:00.000, NULL); doubles in shortest round-trip form.
 * TIMESTAMP_LTZ prints as a local time in zone tz (the plan's
 * 'table.local-time-zone'); value_print is value_print_tz in UTC. */
void   value_print(StrBuf *out, Type t, const Value *v);
void   value_print_tz(StrBuf *out, Type t, const Value *v, const TimeZone *tz);
/* Shortest decimal text that reads back as the same double. */
void   double_print(StrBuf *out, double d);
/* The same digits as a decimal significand and exponent: d == m × 10^e10
 * (shortest m; is_float for FLOAT's single precision). */
void   double_shortest(double d, bool is_float, int64_t *m, int *e10);
/* value_print into a caller buffer of at least 64 bytes for fixed-width
 * types (strings are not copied: use value_print for those); returns the length. */
int    value_format(char *buf, Type t, const Value *v);
int    value_format_tz(char *buf, Type t, const Value *v, const TimeZone *tz);
/* Copies the value's string payload (if any) into the arena. */
void   value_copy_into(Arena *a, Type t, Value *v);

#endif
