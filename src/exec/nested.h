/*
 * nested.h — ROW, ARRAY and MAP values.
 *
 * A nested Value is a byte string (Value.s, Value.n) that holds its
 * elements in rowkey.h's encoding, so that everything that already moves
 * strings moves nested values too: value_copy_into copies the bytes when
 * an operator keeps a value past its batch, keyed state and checkpoints
 * store them as they are, grouping and join keys compare and hash them
 * bytewise (rowkey's encoding is canonical: equal values, equal bytes).
 *   ROW of n fields     the n fields as a rowkey row (NULL bitmap, then
 *                       each non-NULL field)
 *   ARRAY of n elements varint n, then n values of the element type
 *   MAP of n entries    varint n, then 2n values: key, value, key, value…
 *                       in key order (value_cmp; nested_pack sorts them),
 *                       so two maps with the same entries are the same
 *                       bytes whatever order they came in: equal, and one
 *                       group, as Flink compares maps (as sets of entries)
 * An element that is nested itself is a length-prefixed string inside.
 * Reading an element walks the bytes (O(position)); a value is built once
 * (nested_pack) and never changed.  The element types come from the Type
 * (Type.nest): the bytes describe nothing themselves.
 */
#ifndef EDDY_NESTED_H
#define EDDY_NESTED_H

#include "rowkey.h"
#include "value.h"

/* An iterator over the stored values of a non-NULL nested value: ROW its
 * fields, ARRAY its elements, MAP keys and values alternately. */
typedef struct NestedIter {
    RowkeyIter r;         /* over the encoding */
    Type       t;         /* the nested type */
} NestedIter;

/* Opens v (of nested type t, not NULL); returns the number of stored
 * values (ROW: fields, ARRAY: elements, MAP: 2 × entries) or -1 when the
 * bytes are not such a value. */
int  nested_open(NestedIter *it, Type t, const Value *v);
/* The next stored value (strings and nested values point into v's bytes);
 * 0, or -1 past the end or on bad bytes. */
int  nested_next(NestedIter *it, Value *out);
/* ROW: fields; ARRAY: elements; MAP: entries; -1 on bad bytes. */
int  nested_count(Type t, const Value *v);
/* Stored value i (0-based) into *out; -1 when there is none. */
int  nested_get(Type t, const Value *v, int i, Value *out);
/* Builds the nested value of type t from its stored values vals[0..n)
 * (ROW: the fields, ARRAY: the elements, MAP: key, value, …; n even) into
 * arena a. */
void nested_pack(Arena *a, Type t, const Value *vals, int n, Value *out);
/* Flink's printed form: ROW (1, a), ARRAY [1, 2], MAP {k=v, …}; elements
 * as value_print_tz prints them. */
void nested_print(StrBuf *out, Type t, const Value *v, const TimeZone *tz);

#endif
