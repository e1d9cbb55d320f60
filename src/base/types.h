/*
 * types.h — SQL data types as the binder and planner see them.
 *
 * A Type is a small value (no allocation).  The rules of Flink SQL's type
 * inference that eddy follows (numeric promotion, DECIMAL precision,
 * aggregate result types) live in types.c and func.c, not in the grammar.
 */
#ifndef EDDY_TYPES_H
#define EDDY_TYPES_H

#include <stdbool.h>
#include "arena.h"
#include "strbuf.h"

typedef enum TypeKind {
    TY_NULL = 0,          /* the type of a bare NULL literal; coerces to anything */
    TY_BOOLEAN,
    TY_TINYINT,
    TY_SMALLINT,
    TY_INT,
    TY_BIGINT,
    TY_FLOAT,
    TY_DOUBLE,
    TY_DECIMAL,           /* precision p (1..38), scale s (0..p) */
    TY_STRING,            /* STRING, VARCHAR(n), CHAR(n): len 0 = unbounded */
    TY_BYTES,             /* BYTES, VARBINARY(n), BINARY(n) */
    TY_DATE,
    TY_TIMESTAMP,         /* precision = fractional second digits */
    TY_TIMESTAMP_LTZ,
    TY_INTERVAL,          /* day-time interval, only as a literal (watermarks, arithmetic on timestamps) */
    TY_ROW,               /* ROW<name type, …>: nest->n fields, nest->names, nest->types */
    TY_ARRAY,             /* ARRAY<T>: nest->types[0] */
    TY_MAP,               /* MAP<K, V>: nest->types[0] (key), nest->types[1] (value) */
    TY__COUNT
} TypeKind;

typedef struct TypeNest TypeNest;

typedef struct Type {
    unsigned char kind;       /* TypeKind */
    unsigned char nullable;   /* 1 unless NOT NULL / known non-null */
    unsigned char precision;  /* DECIMAL precision, TIMESTAMP fractional digits */
    unsigned char scale;      /* DECIMAL scale */
    int           len;        /* VARCHAR(n)/CHAR(n)/VARBINARY(n) length, 0 = unbounded */
    unsigned char timeattr;   /* TimeAttr: a column that is a time attribute (a window's DESCRIPTOR may name it) */
    const TypeNest *nest;     /* ROW, ARRAY, MAP: the element types (immutable, in an arena); else NULL */
} Type;

/* What a nested type holds.  Immutable once built, allocated in the arena
 * of whatever owns the type (a catalog table, a plan); type_dup copies it
 * into another arena, so a plan never points into a catalog table. */
struct TypeNest {
    int          n;       /* ROW: fields; ARRAY: 1; MAP: 2 */
    const char **names;   /* ROW: field names (NULL for ARRAY and MAP) */
    Type        *types;   /* ROW: field types; ARRAY: element; MAP: key, value */
};

/* Time attributes (Flink's time indicators): the WATERMARK column of a
 * table, PROCTIME(), a window's window_time.  Only a plain column
 * reference keeps the mark; any expression over it is an ordinary
 * timestamp (the binder clears it), as Flink materialises it. */
typedef enum TimeAttr {
    TA_NONE = 0,
    TA_ROWTIME,           /* event time: rows carry it, watermarks bound it */
    TA_PROCTIME,          /* processing time: the job's clock */
} TimeAttr;

#define DECIMAL_MAX_PRECISION 38

Type type_make(TypeKind k, bool nullable);
Type type_decimal(int p, int s, bool nullable);
bool type_is_integer(Type t);   /* TINYINT..BIGINT */
bool type_is_numeric(Type t);   /* integers, FLOAT, DOUBLE, DECIMAL */
bool type_is_string(Type t);
bool type_is_temporal(Type t);  /* DATE, TIMESTAMP, TIMESTAMP_LTZ */
bool type_is_nested(Type t);    /* ROW, ARRAY, MAP */
/* Nested types; the element types and names are copied into a. */
Type type_new_row(Arena *a, int n, const char *const *names, const Type *types, bool nullable);
Type type_new_array(Arena *a, Type elem, bool nullable);
Type type_new_map(Arena *a, Type key, Type value, bool nullable);
/* t with its nested descriptor (if any) deep-copied into a. */
Type type_dup(Arena *a, Type t);
/* The type of element i of a nested value as stored (nested.h): ROW field
 * i, an ARRAY's element, a MAP's key (even i) or value (odd i). */
static inline Type type_elem(Type t, int i)
{
    return t.kind == TY_ROW ? t.nest->types[i] : t.kind == TY_MAP ? t.nest->types[i & 1] : t.nest->types[0];
}
/* ROW field index by name (exact, then case-insensitive when unique), -1 if none. */
int  type_field(Type t, const char *name);
/* Name → type for type names written in SQL; returns false for an unknown name.
 * nparams/p1/p2 are the parenthesised arguments; ltz = WITH LOCAL TIME ZONE. */
bool type_from_name(const char *name, int nparams, int p1, int p2, bool ltz, Type *out, const char **why);
/* Flink's spelling: `DECIMAL(10, 2)`, `STRING`, `TIMESTAMP_LTZ(3)`, `INT NOT NULL`. */
void type_print(StrBuf *b, Type t);
const char *type_kind_name(TypeKind k);
/* The common type of two operands of arithmetic or comparison (Flink's
 * least restrictive type); false when there is none. */
bool type_common(Type a, Type b, Type *out);
/* May a value of type `from` be written to a column of type `to` without an
 * explicit CAST (INSERT, function arguments)? */
bool type_assignable(Type from, Type to);
/* May `from` be CAST to `to` at all? */
bool type_castable(Type from, Type to);
bool type_equal(Type a, Type b);
/* DECIMAL result of a op b ('+', '-', '*', '/', '%') where one side is a
 * DECIMAL and the other a DECIMAL or an integer (Flink's LogicalTypeMerging
 * rules: * is p1+p2+1, s1+s2; % is min(p1-s1, p2-s2)+max(s1,s2), max(s1,s2);
 * precision capped at 38 keeping at least 6 fraction digits). */
Type type_decimal_arith(char op, Type a, Type b, bool nullable);  /* kind, precision, scale, len; nullability ignored */

#endif
