/*
 * types.c — type names, printing, and Flink's implicit-conversion rules.
 */
#include "types.h"

#include <string.h>
#include <strings.h>

Type type_make(TypeKind k, bool nullable)
{
    Type t = {0};
    t.kind = (unsigned char)k;
    t.nullable = nullable;
    if (k == TY_TIMESTAMP || k == TY_TIMESTAMP_LTZ) t.precision = 3;
    if (k == TY_DECIMAL) t.precision = 10;
    return t;
}

Type type_decimal(int p, int s, bool nullable)
{
    Type t = type_make(TY_DECIMAL, nullable);
    if (p > DECIMAL_MAX_PRECISION) p = DECIMAL_MAX_PRECISION;
    if (p < 1) p = 1;
    if (s > p) s = p;
    if (s < 0) s = 0;
    t.precision = (unsigned char)p;
    t.scale = (unsigned char)s;
    return t;
}

bool type_is_integer(Type t) { return t.kind >= TY_TINYINT && t.kind <= TY_BIGINT; }
bool type_is_numeric(Type t) { return t.kind >= TY_TINYINT && t.kind <= TY_DECIMAL; }
bool type_is_string(Type t) { return t.kind == TY_STRING; }
bool type_is_temporal(Type t) { return t.kind == TY_DATE || t.kind == TY_TIMESTAMP || t.kind == TY_TIMESTAMP_LTZ; }
bool type_is_nested(Type t) { return t.kind == TY_ROW || t.kind == TY_ARRAY || t.kind == TY_MAP; }

static Type nest_make(Arena *a, TypeKind k, int n, const char *const *names, const Type *types, bool nullable)
{
    Type t = type_make(k, nullable);
    TypeNest *x = arena_alloc(a, sizeof *x);
    x->n = n;
    x->types = arena_alloc(a, sizeof(Type) * (size_t)(n ? n : 1));
    if (names) x->names = arena_alloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        x->types[i] = type_dup(a, types[i]);
        x->types[i].timeattr = TA_NONE;
        if (names) x->names[i] = arena_strdup(a, names[i]);
    }
    t.nest = x;
    return t;
}

Type type_new_row(Arena *a, int n, const char *const *names, const Type *types, bool nullable)
{
    return nest_make(a, TY_ROW, n, names, types, nullable);
}

Type type_new_array(Arena *a, Type elem, bool nullable) { return nest_make(a, TY_ARRAY, 1, NULL, &elem, nullable); }

Type type_new_map(Arena *a, Type key, Type value, bool nullable)
{
    Type kv[2] = {key, value};
    return nest_make(a, TY_MAP, 2, NULL, kv, nullable);
}

Type type_dup(Arena *a, Type t)
{
    if (!t.nest) return t;
    Type d = nest_make(a, (TypeKind)t.kind, t.nest->n, t.nest->names, t.nest->types, t.nullable);
    d.timeattr = t.timeattr;
    return d;
}

int type_field(Type t, const char *name)
{
    if (t.kind != TY_ROW) return -1;
    int found = -1;
    for (int i = 0; i < t.nest->n; i++)
        if (strcmp(t.nest->names[i], name) == 0) return i;
    for (int i = 0; i < t.nest->n; i++)
        if (strcasecmp(t.nest->names[i], name) == 0) {
            if (found >= 0) return -1;
            found = i;
        }
    return found;
}

static const char *const kind_names[TY__COUNT] = {
    [TY_NULL] = "NULL",         [TY_BOOLEAN] = "BOOLEAN",     [TY_TINYINT] = "TINYINT",
    [TY_SMALLINT] = "SMALLINT", [TY_INT] = "INT",             [TY_BIGINT] = "BIGINT",
    [TY_FLOAT] = "FLOAT",       [TY_DOUBLE] = "DOUBLE",       [TY_DECIMAL] = "DECIMAL",
    [TY_STRING] = "STRING",     [TY_BYTES] = "BYTES",         [TY_DATE] = "DATE",
    [TY_TIMESTAMP] = "TIMESTAMP", [TY_TIMESTAMP_LTZ] = "TIMESTAMP_LTZ", [TY_INTERVAL] = "INTERVAL",
    [TY_ROW] = "ROW",           [TY_ARRAY] = "ARRAY",         [TY_MAP] = "MAP",
};

const char *type_kind_name(TypeKind k) { return k < TY__COUNT ? kind_names[k] : "?"; }

/* The type names eddy accepts, with how many parenthesised parameters each takes. */
static const struct {
    const char *name;     /* as written, case-insensitive */
    TypeKind    kind;     /* resulting kind */
    int         maxparams;/* 0, 1 or 2 */
} type_names[] = {
    {"BOOLEAN", TY_BOOLEAN, 0},   {"BOOL", TY_BOOLEAN, 0},
    {"TINYINT", TY_TINYINT, 0},   {"SMALLINT", TY_SMALLINT, 0},
    {"INT", TY_INT, 0},           {"INTEGER", TY_INT, 0},
    {"BIGINT", TY_BIGINT, 0},     {"FLOAT", TY_FLOAT, 0},
    {"REAL", TY_FLOAT, 0},        {"DOUBLE", TY_DOUBLE, 0},
    {"DECIMAL", TY_DECIMAL, 2},   {"DEC", TY_DECIMAL, 2},
    {"NUMERIC", TY_DECIMAL, 2},   {"STRING", TY_STRING, 0},
    {"VARCHAR", TY_STRING, 1},    {"CHAR", TY_STRING, 1},
    {"BYTES", TY_BYTES, 0},       {"VARBINARY", TY_BYTES, 1},
    {"BINARY", TY_BYTES, 1},      {"DATE", TY_DATE, 0},
    {"TIMESTAMP", TY_TIMESTAMP, 1}, {"TIMESTAMP_LTZ", TY_TIMESTAMP_LTZ, 1},
};

bool type_from_name(const char *name, int nparams, int p1, int p2, bool ltz, Type *out, const char **why)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcasecmp(name, type_names[i].name) != 0) continue;
        TypeKind k = type_names[i].kind;
        if (nparams > type_names[i].maxparams) {
            *why = "too many type parameters";
            return false;
        }
        if (ltz && k != TY_TIMESTAMP) {
            *why = "WITH LOCAL TIME ZONE applies only to TIMESTAMP";
            return false;
        }
        Type t = type_make(ltz ? TY_TIMESTAMP_LTZ : k, true);
        if (k == TY_DECIMAL) {
            int p = nparams >= 1 ? p1 : 10, s = nparams >= 2 ? p2 : 0;
            if (p < 1 || p > DECIMAL_MAX_PRECISION) {
                *why = "DECIMAL precision must be between 1 and 38";
                return false;
            }
            if (s < 0 || s > p) {
                *why = "DECIMAL scale must be between 0 and the precision";
                return false;
            }
            t = type_decimal(p, s, true);
        } else if (k == TY_TIMESTAMP || k == TY_TIMESTAMP_LTZ) {
            int p = nparams >= 1 ? p1 : (k == TY_TIMESTAMP_LTZ ? 3 : 6);
            if (p < 0 || p > 9) {
                *why = "TIMESTAMP precision must be between 0 and 9";
                return false;
            }
            t.precision = (unsigned char)p;
        } else if (k == TY_STRING || k == TY_BYTES) {
            if (nparams >= 1 && p1 < 1) {
                *why = "length must be at least 1";
                return false;
            }
            t.len = nparams >= 1 ? p1 : 0;
        }
        *out = t;
        return true;
    }
    *why = "unknown type";
    return false;
}

void type_print(StrBuf *b, Type t)
{
    switch ((TypeKind)t.kind) {
    case TY_DECIMAL: sb_printf(b, "DECIMAL(%d, %d)", t.precision, t.scale); break;
    case TY_STRING:
        if (t.len) sb_printf(b, "VARCHAR(%d)", t.len);
        else sb_puts(b, "STRING");
        break;
    case TY_BYTES:
        if (t.len) sb_printf(b, "VARBINARY(%d)", t.len);
        else sb_puts(b, "BYTES");
        break;
    case TY_TIMESTAMP: sb_printf(b, "TIMESTAMP(%d)", t.precision); break;
    case TY_TIMESTAMP_LTZ: sb_printf(b, "TIMESTAMP_LTZ(%d)", t.precision); break;
    case TY_ROW:
        /* Flink's summary string: ROW<`a` INT, `b` STRING NOT NULL> */
        sb_puts(b, "ROW<");
        for (int i = 0; i < t.nest->n; i++) {
            if (i) sb_puts(b, ", ");
            sb_putc(b, '`');
            for (const char *q = t.nest->names[i]; *q; q++) {
                if (*q == '`') sb_putc(b, '`');
                sb_putc(b, *q);
            }
            sb_puts(b, "` ");
            type_print(b, t.nest->types[i]);
        }
        sb_putc(b, '>');
        break;
    case TY_ARRAY:
        sb_puts(b, "ARRAY<");
        type_print(b, t.nest->types[0]);
        sb_putc(b, '>');
        break;
    case TY_MAP:
        sb_puts(b, "MAP<");
        type_print(b, t.nest->types[0]);
        sb_puts(b, ", ");
        type_print(b, t.nest->types[1]);
        sb_putc(b, '>');
        break;
    default: sb_puts(b, type_kind_name((TypeKind)t.kind)); break;
    }
    if (!t.nullable && t.kind != TY_NULL) sb_puts(b, " NOT NULL");
    if (t.timeattr == TA_ROWTIME) sb_puts(b, " *ROWTIME*");
    if (t.timeattr == TA_PROCTIME) sb_puts(b, " *PROCTIME*");
}

/* Same nested structure: kinds, field names, element types (inner
 * nullability compared only when `strict`). */
static bool nest_equal(Type a, Type b, bool strict)
{
    if (!a.nest || !b.nest) return a.nest == b.nest;
    if (a.nest->n != b.nest->n) return false;
    for (int i = 0; i < a.nest->n; i++) {
        Type x = a.nest->types[i], y = b.nest->types[i];
        if (a.kind == TY_ROW && strcmp(a.nest->names[i], b.nest->names[i]) != 0) return false;
        if (x.kind != y.kind || x.precision != y.precision || x.scale != y.scale || x.len != y.len) return false;
        if (strict && x.nullable != y.nullable) return false;
        if (!nest_equal(x, y, strict)) return false;
    }
    return true;
}

bool type_equal(Type a, Type b)
{
    return a.kind == b.kind && a.precision == b.precision && a.scale == b.scale && a.len == b.len && nest_equal(a, b, true);
}

/* Integer kinds as DECIMAL(p, 0), for mixing integers with decimals. */
static int int_digits(TypeKind k)
{
    switch (k) {
    case TY_TINYINT: return 3;
    case TY_SMALLINT: return 5;
    case TY_INT: return 10;
    default: return 19;
    }
}

bool type_common(Type a, Type b, Type *out)
{
    bool nullable = a.nullable || b.nullable;
    if (a.kind == TY_NULL) { *out = b; out->nullable = 1; return true; }
    if (b.kind == TY_NULL) { *out = a; out->nullable = 1; return true; }
    if (type_is_numeric(a) && type_is_numeric(b)) {
        /* a floating type with a DECIMAL is DOUBLE (Flink), with integers FLOAT stays FLOAT */
        if (a.kind == TY_DOUBLE || b.kind == TY_DOUBLE) *out = type_make(TY_DOUBLE, nullable);
        else if ((a.kind == TY_FLOAT || b.kind == TY_FLOAT) && (a.kind == TY_DECIMAL || b.kind == TY_DECIMAL))
            *out = type_make(TY_DOUBLE, nullable);
        else if (a.kind == TY_FLOAT || b.kind == TY_FLOAT) *out = type_make(TY_FLOAT, nullable);
        else if (a.kind == TY_DECIMAL || b.kind == TY_DECIMAL) {
            int ap = a.kind == TY_DECIMAL ? a.precision : int_digits((TypeKind)a.kind);
            int as = a.kind == TY_DECIMAL ? a.scale : 0;
            int bp = b.kind == TY_DECIMAL ? b.precision : int_digits((TypeKind)b.kind);
            int bs = b.kind == TY_DECIMAL ? b.scale : 0;
            int s = as > bs ? as : bs;
            int ip = (ap - as) > (bp - bs) ? (ap - as) : (bp - bs);
            *out = type_decimal(ip + s, s, nullable);
        } else {
            *out = type_make(a.kind > b.kind ? (TypeKind)a.kind : (TypeKind)b.kind, nullable);
        }
        return true;
    }
    if (type_is_nested(a) || type_is_nested(b)) {
        /* nested values meet only values of the same structure */
        if (a.kind != b.kind || !nest_equal(a, b, false)) return false;
        *out = a;
        out->nullable = nullable;
        return true;
    }
    if (a.kind == b.kind) {
        *out = a;
        if (b.len > a.len || b.len == 0) out->len = b.len == 0 || a.len == 0 ? 0 : b.len;
        if (b.precision > a.precision) out->precision = b.precision;
        out->nullable = nullable;
        return true;
    }
    /* Flink compares TIMESTAMP with TIMESTAMP_LTZ only through an explicit CAST. */
    return false;
}

static int numeric_rank(TypeKind k)
{
    switch (k) {
    case TY_TINYINT: return 1;
    case TY_SMALLINT: return 2;
    case TY_INT: return 3;
    case TY_BIGINT: return 4;
    case TY_DECIMAL: return 5;
    case TY_FLOAT: return 6;
    case TY_DOUBLE: return 7;
    default: return 0;
    }
}

bool type_assignable(Type from, Type to)
{
    if (from.kind == TY_NULL) return true;
    if (type_is_nested(from) || type_is_nested(to)) return from.kind == to.kind && nest_equal(from, to, false);
    if (from.kind == to.kind) return true;
    if (type_is_numeric(from) && type_is_numeric(to))
        return numeric_rank((TypeKind)from.kind) <= numeric_rank((TypeKind)to.kind);
    return false;
}

bool type_castable(Type from, Type to)
{
    if (from.kind == TY_NULL) return true;
    /* a nested value casts to STRING (its printed form) and, element by
     * element, to a nested type of the same kind and shape whose elements
     * its elements cast to (Flink: ARRAY<INT> → ARRAY<BIGINT>, a ROW field
     * by field, names free); no other conversion of nested values */
    if (type_is_nested(from) && to.kind == TY_STRING) return true;
    if (type_is_nested(from) || type_is_nested(to)) {
        if (from.kind != to.kind || !from.nest || !to.nest || from.nest->n != to.nest->n) return false;
        for (int i = 0; i < from.nest->n; i++)
            if (!type_castable(from.nest->types[i], to.nest->types[i])) return false;
        return true;
    }
    if (from.kind == to.kind) return true;
    if (to.kind == TY_STRING || from.kind == TY_STRING) return to.kind != TY_INTERVAL && from.kind != TY_INTERVAL;
    /* As Flink 1.15+: no DECIMAL → BOOLEAN, and numbers ↔ timestamps go
     * through TO_TIMESTAMP_LTZ / UNIX_TIMESTAMP, not CAST. */
    if (type_is_numeric(from) && type_is_numeric(to)) return true;
    if ((type_is_integer(from) || from.kind == TY_FLOAT || from.kind == TY_DOUBLE) && to.kind == TY_BOOLEAN) return true;
    if (from.kind == TY_BOOLEAN && type_is_numeric(to)) return true;
    if (type_is_temporal(from) && type_is_temporal(to)) return true;
    return false;
}

Type type_decimal_arith(char op, Type a, Type b, bool nullable)
{
    int p1 = a.kind == TY_DECIMAL ? a.precision : int_digits((TypeKind)a.kind), s1 = a.kind == TY_DECIMAL ? a.scale : 0;
    int p2 = b.kind == TY_DECIMAL ? b.precision : int_digits((TypeKind)b.kind), s2 = b.kind == TY_DECIMAL ? b.scale : 0;
    int p, s;
    switch (op) {
    case '*': p = p1 + p2 + 1; s = s1 + s2; break;
    case '/': s = s1 + p2 + 1 > 6 ? s1 + p2 + 1 : 6; p = p1 - s1 + s2 + s; break;
    case '%': s = s1 > s2 ? s1 : s2; p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s; break;
    default: s = s1 > s2 ? s1 : s2; p = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s + 1; break;
    }
    if (p > DECIMAL_MAX_PRECISION) {
        int keep = s < 6 ? s : 6;
        s = s - (p - DECIMAL_MAX_PRECISION) > keep ? s - (p - DECIMAL_MAX_PRECISION) : keep;
        p = DECIMAL_MAX_PRECISION;
    }
    return type_decimal(p, s, nullable);
}
