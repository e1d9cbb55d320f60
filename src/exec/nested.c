/*
 * nested.c — reading, building and printing ROW, ARRAY and MAP values
 * (the representation is described in nested.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* qsort_r */
#endif
#include "nested.h"

#include <stdlib.h>
#include <string.h>

int nested_open(NestedIter *it, Type t, const Value *v)
{
    const unsigned char *p = (const unsigned char *)v->s, *end = p + (v->n > 0 ? v->n : 0);
    int n;
    it->t = t;
    if (!t.nest) return -1;
    if (t.kind == TY_ROW) {
        n = t.nest->n;
    } else {
        uint64_t u;
        if (rowkey_get_varint(&p, end, &u) || u > (uint64_t)INT32_MAX / 2) return -1;
        n = (int)u * (t.kind == TY_MAP ? 2 : 1);
    }
    if (rowkey_iter_init(&it->r, (const char *)p, (size_t)(end - p), n)) return -1;
    return n;
}

int nested_next(NestedIter *it, Value *out)
{
    return rowkey_iter_next(&it->r, type_elem(it->t, it->r.i), out);
}

int nested_count(Type t, const Value *v)
{
    NestedIter it;
    int n = nested_open(&it, t, v);
    return n < 0 ? -1 : t.kind == TY_MAP ? n / 2 : n;
}

int nested_get(Type t, const Value *v, int i, Value *out)
{
    NestedIter it;
    int n = nested_open(&it, t, v);
    if (i < 0 || i >= n) return -1;
    for (int k = 0; k <= i; k++)
        if (nested_next(&it, out)) return -1;
    return 0;
}

/* A MAP's entries without the earlier of equal keys (a map built from
 * MAP[…] or a JSON object keeps the last value of a key, as Flink's). */
static const Value *map_unique(Arena *a, Type t, const Value *vals, int *n)
{
    Type kt = t.nest->types[0];
    Value *keep = NULL;
    int m = 0;
    for (int i = 0; i + 1 < *n; i += 2) {
        bool later = false;
        for (int j = i + 2; j + 1 < *n && !later; j += 2) later = value_eq(kt, &vals[i], &vals[j]);
        if (later && !keep) {
            keep = arena_alloc(a, sizeof(Value) * (size_t)*n);
            memcpy(keep, vals, sizeof(Value) * (size_t)i);
            m = i;
        } else if (!later && keep) {
            keep[m++] = vals[i];
            keep[m++] = vals[i + 1];
        }
    }
    if (!keep) return vals;
    *n = m;
    return keep;
}

/* qsort_r's comparison of two MAP entries (key, value) by key. */
static int entry_cmp(const void *x, const void *y, void *kt)
{
    return value_cmp(*(const Type *)kt, (const Value *)x, (const Value *)y);
}

/* A MAP's entries in key order (value_cmp), copied into a when they are
 * not in order already: the canonical form, so that two maps with the same
 * entries are the same bytes, whatever order they came in. */
static const Value *map_sorted(Arena *a, Type t, const Value *vals, int n)
{
    Type kt = t.nest->types[0];
    int i = 2;
    while (i + 1 < n && value_cmp(kt, &vals[i - 2], &vals[i]) < 0) i += 2;
    if (i + 1 >= n) return vals;
    Value *s = arena_alloc(a, sizeof(Value) * (size_t)n);
    memcpy(s, vals, sizeof(Value) * (size_t)n);
    qsort_r(s, (size_t)n / 2, 2 * sizeof(Value), entry_cmp, &kt);
    return s;
}

void nested_pack(Arena *a, Type t, const Value *vals, int n, Value *out)
{
    if (t.kind == TY_MAP) {
        vals = map_unique(a, t, vals, &n);
        vals = map_sorted(a, t, vals, n);
    }
    unsigned char head[ROWKEY_VARINT_MAX];
    size_t h = 0;
    int ntypes = t.kind == TY_ROW ? (n ? n : 1) : t.kind == TY_MAP ? 2 : 1;
    if (t.kind != TY_ROW) h = rowkey_put_varint(head, (uint64_t)(t.kind == TY_MAP ? n / 2 : n));
    char stack[256];
    size_t len = rowkey_encode_cycle(stack, sizeof stack, t.nest->types, ntypes, vals, n);
    char *buf = arena_alloc(a, h + len + 1);
    memcpy(buf, head, h);
    if (len <= sizeof stack) memcpy(buf + h, stack, len);
    else rowkey_encode_cycle(buf + h, len, t.nest->types, ntypes, vals, n);
    out->null = 0;
    out->s = buf;
    out->n = (int32_t)(h + len);
}

void nested_print(StrBuf *out, Type t, const Value *v, const TimeZone *tz)
{
    NestedIter it;
    int n = nested_open(&it, t, v);
    if (n < 0) {
        sb_puts(out, "<bad nested value>");
        return;
    }
    sb_putc(out, t.kind == TY_ROW ? '(' : t.kind == TY_ARRAY ? '[' : '{');
    for (int i = 0; i < n; i++) {
        Value e;
        if (nested_next(&it, &e)) break;
        if (i) sb_puts(out, t.kind == TY_MAP && (i & 1) ? "=" : ", ");
        value_print_tz(out, type_elem(t, i), &e, tz);
    }
    sb_putc(out, t.kind == TY_ROW ? ')' : t.kind == TY_ARRAY ? ']' : '}');
}
