/*
 * codec_avro.c — Avro bodies and schemas (codec_avro.h).  The only file
 * that includes avro.h.
 *
 * What is here: the Flink type mapping in both directions, schema checks
 * for the development registry, the decoder (resolution by avro-c, then a
 * compiled program of decoding steps per writer schema), and the encoder.  What is not: the
 * Confluent framing and the registry (format.c, registry.c).
 *
 * Why a compiled decoder: avro-c's generic path (resolved reader → generic
 * value → per-field getters) allocates and dispatches through interface
 * tables for every field of every record and copies every string; the
 * reference record costs several hundred nanoseconds that way, more than a
 * fifth of what eddy spends per event in all.  The compiled program is a
 * flat array of steps in the writer's field order, each "read this Avro
 * encoding, convert it like this, store it in that slot", with strings
 * pointing into the record: tens of nanoseconds (bench/README.md has the
 * figures of both; the generic mode is no longer in eddy: a 34-byte body
 * made avro-c's generic reader hang, and it leaked).  Resolution itself
 * stays avro-c's: it parses both schemas and avro_resolved_writer_new judges whether they resolve; our compiler only
 * turns an accepted pair into steps.  avro-c has no notion of field
 * defaults and keeps no logical types, so those two come from the schema
 * JSON (jansson): a table column the writer lacks is NULL (the default
 * Flink's reader schema gives nullable columns), and logical types
 * (date, timestamps, decimal) decide conversions.
 *
 * Nested columns (ROW, ARRAY, MAP): a writer record, array or map compiles
 * into one step with sub-steps (compile_nested), which fills the element
 * values and packs them into eddy's nested bytes (nested.h) in the batch
 * arena; only these allocate.  avro-c's resolution check is given the flat
 * columns only (a nested column's record names would have to match the
 * writer's): nested columns are judged by compile_nested, by the same rules.
 */
#include "strbuf.h"
#include "codec_avro.h"
#include "nested.h"

#include <avro.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEC_MAX 999999999999999999LL   /* eddy's decimals: 18 digits in an int64 */
#define AVRO_TS_MIN_MS (-62167219200000LL)   /* 0000-01-01T00:00:00Z in epoch ms */
#define AVRO_TS_MAX_MS 253402300799999LL     /* 9999-12-31T23:59:59.999Z */
#define SKIP_MAX_DEPTH 64              /* nesting the skipper follows */

/* ---- small helpers ---------------------------------------------------------------- */

static bool avro_name_ok(const char *s)
{
    if (!s || !*s) return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && !(p > s && c >= '0' && c <= '9')) return false;
    }
    return true;
}

static int64_t pow10i(int k)
{
    int64_t v = 1;
    while (k-- > 0) v *= 10;
    return v;
}

/* Largest unscaled magnitude a DECIMAL(p, s) column holds in eddy. */
static int64_t dec_limit(Type t)
{
    return t.precision >= 18 ? DEC_MAX : pow10i(t.precision) - 1;
}

/* ---- SQL → Avro (Flink's AvroSchemaConverter.convertToSchema) ----------------------- */

/* The full names of the records a schema being written defines: a nested
 * ROW's record is named after its path (Flink's "<row name>_<field>"),
 * made unique with a suffix when two paths spell the same name. */
typedef struct RecNames {
    char **v;             /* full names (malloc'd) */
    int    n, cap;        /* count, room */
} RecNames;

static void recnames_free(RecNames *nm)
{
    for (int i = 0; i < nm->n; i++) free(nm->v[i]);
    free(nm->v);
    memset(nm, 0, sizeof *nm);
}

static bool recnames_has(const RecNames *nm, const char *s)
{
    for (int i = 0; i < nm->n; i++)
        if (strcmp(nm->v[i], s) == 0) return true;
    return false;
}

/* Claims `want` (or want_2, want_3, … when taken); the name into out. */
static void recnames_claim(RecNames *nm, const char *want, char *out, size_t n)
{
    snprintf(out, n, "%s", want);
    for (int k = 2; recnames_has(nm, out); k++) snprintf(out, n, "%s_%d", want, k);
    if (nm->n == nm->cap) {
        nm->cap = nm->cap ? nm->cap * 2 : 8;
        nm->v = realloc(nm->v, sizeof *nm->v * (size_t)nm->cap);
        if (!nm->v) abort();
    }
    nm->v[nm->n++] = str_dup(out);
}

/* {"type":"record","name":…,"namespace":…,"fields":[ */
static void record_head(StrBuf *b, const char *fullname)
{
    if (!fullname) fullname = CAVRO_DEFAULT_RECORD;
    const char *dot = strrchr(fullname, '.');
    sb_puts(b, "{\"type\":\"record\",\"name\":");
    sb_json_str(b, dot ? dot + 1 : fullname);
    if (dot) {
        char ns[256];
        snprintf(ns, sizeof ns, "%.*s", (int)(dot - fullname), fullname);
        sb_puts(b, ",\"namespace\":");
        sb_json_str(b, ns);
    }
    sb_puts(b, ",\"fields\":[");
}

static int field_json(StrBuf *b, const char *name, Type t, const char *rowname, RecNames *nm, char *why, size_t whylen);

/* The non-null Avro type of a column, as JSON.  rowname: the full name a
 * ROW's record takes (nested records are named after it, as Flink names
 * them).  -1 with why when it has none. */
static int type_json(StrBuf *b, Type t, const char *rowname, RecNames *nm, char *why, size_t whylen)
{
    switch ((TypeKind)t.kind) {
    case TY_BOOLEAN: sb_puts(b, "\"boolean\""); return 0;
    case TY_TINYINT: case TY_SMALLINT: case TY_INT: sb_puts(b, "\"int\""); return 0;
    case TY_BIGINT: sb_puts(b, "\"long\""); return 0;
    case TY_FLOAT: sb_puts(b, "\"float\""); return 0;
    case TY_DOUBLE: sb_puts(b, "\"double\""); return 0;
    case TY_STRING: sb_puts(b, "\"string\""); return 0;
    case TY_BYTES: sb_puts(b, "\"bytes\""); return 0;
    case TY_DATE: sb_puts(b, "{\"type\":\"int\",\"logicalType\":\"date\"}"); return 0;
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ:
        sb_printf(b, "{\"type\":\"long\",\"logicalType\":\"%s\"}", t.precision <= 3 ? "timestamp-millis" : "timestamp-micros");
        return 0;
    case TY_DECIMAL:
        sb_printf(b, "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":%d,\"scale\":%d}", t.precision, t.scale);
        return 0;
    case TY_NULL: sb_puts(b, "\"null\""); return 0;
    case TY_ROW: {
        if (!nm) break;
        char full[512];
        recnames_claim(nm, rowname ? rowname : CAVRO_DEFAULT_RECORD, full, sizeof full);
        record_head(b, full);
        for (int i = 0; i < t.nest->n; i++) {
            const char *fname = t.nest->names[i];
            if (!avro_name_ok(fname)) {
                str_errf(why, whylen, "field '%s' is not a valid Avro field name (letters, digits and '_', not starting with a digit)", fname);
                return -1;
            }
            for (int k = 0; k < i; k++)
                if (strcmp(t.nest->names[k], fname) == 0) {
                    str_errf(why, whylen, "field '%s' appears twice", fname);
                    return -1;
                }
            if (i) sb_putc(b, ',');
            char sub[600];
            snprintf(sub, sizeof sub, "%s_%s", full, fname);
            if (field_json(b, fname, t.nest->types[i], sub, nm, why, whylen)) return -1;
        }
        sb_puts(b, "]}");
        return 0;
    }
    case TY_ARRAY:
    case TY_MAP: {
        if (!nm) break;
        Type et = t.nest->types[t.kind == TY_MAP ? 1 : 0];
        if (t.kind == TY_MAP && t.nest->types[0].kind != TY_STRING) {
            str_errf(why, whylen, "an Avro map has string keys, not %s", type_kind_name((TypeKind)t.nest->types[0].kind));
            return -1;
        }
        sb_puts(b, t.kind == TY_MAP ? "{\"type\":\"map\",\"values\":" : "{\"type\":\"array\",\"items\":");
        bool nullable = et.nullable && et.kind != TY_NULL;
        if (nullable) sb_puts(b, "[\"null\",");
        if (type_json(b, et, rowname, nm, why, whylen)) return -1;
        if (nullable) sb_putc(b, ']');
        sb_putc(b, '}');
        return 0;
    }
    default: break;
    }
    str_errf(why, whylen, "type %s has no Avro form", type_kind_name((TypeKind)t.kind));
    return -1;
}

/* "name": the type, with ["null", T] and default null when nullable. */
static int field_json(StrBuf *b, const char *name, Type t, const char *rowname, RecNames *nm, char *why, size_t whylen)
{
    sb_puts(b, "{\"name\":");
    sb_json_str(b, name);
    sb_puts(b, ",\"type\":");
    bool nullable = t.nullable && t.kind != TY_NULL;
    if (nullable) sb_puts(b, "[\"null\",");
    if (type_json(b, t, rowname, nm, why, whylen)) return -1;
    if (nullable) sb_puts(b, "],\"default\":null");
    sb_putc(b, '}');
    return 0;
}

int cavro_schema_of_columns(const JsonField *fields, int n, const char *fullname, StrBuf *out, char *err, size_t errlen)
{
    if (!fullname) fullname = CAVRO_DEFAULT_RECORD;
    RecNames nm = {0};
    char top[512];
    recnames_claim(&nm, fullname, top, sizeof top);
    record_head(out, top);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (!avro_name_ok(fields[i].name)) {
            str_errf(err, errlen, "column '%s' is not a valid Avro field name (letters, digits and '_', not starting with a digit)",
                    fields[i].name);
            rc = -1;
            break;
        }
        for (int k = 0; k < i; k++)
            if (strcmp(fields[k].name, fields[i].name) == 0) {
                str_errf(err, errlen, "column '%s' appears twice", fields[i].name);
                rc = -1;
            }
        if (rc) break;
        if (i) sb_putc(out, ',');
        char sub[600], why[400];
        snprintf(sub, sizeof sub, "%s_%s", top, fields[i].name);
        if (field_json(out, fields[i].name, fields[i].type, sub, &nm, why, sizeof why)) {
            str_errf(err, errlen, "column '%s': %s", fields[i].name, why);
            rc = -1;
        }
    }
    recnames_free(&nm);
    if (rc) return -1;
    sb_puts(out, "]}");
    return 0;
}

/* ---- logical types (from the schema JSON: avro-c does not keep them) -------------- */

typedef enum Logical {
    LG_NONE, LG_DATE, LG_TIME_MS, LG_TIME_US, LG_TS_MS, LG_TS_US, LG_TS_NS,
    LG_LTS_MS, LG_LTS_US, LG_LTS_NS, LG_DECIMAL, LG_UUID,
} Logical;

typedef struct LogicalInfo {
    Logical kind;         /* which logical type */
    int     precision;    /* decimal */
    int     scale;        /* decimal */
} LogicalInfo;

static LogicalInfo logical_of(const json_t *j)
{
    LogicalInfo li = {LG_NONE, 0, 0};
    if (!json_is_object(j)) return li;
    const char *lt = json_string_value(json_object_get(j, "logicalType"));
    if (!lt) return li;
    static const struct { const char *name; Logical kind; } names[] = {
        {"date", LG_DATE}, {"time-millis", LG_TIME_MS}, {"time-micros", LG_TIME_US},
        {"timestamp-millis", LG_TS_MS}, {"timestamp-micros", LG_TS_US}, {"timestamp-nanos", LG_TS_NS},
        {"local-timestamp-millis", LG_LTS_MS}, {"local-timestamp-micros", LG_LTS_US},
        {"local-timestamp-nanos", LG_LTS_NS}, {"decimal", LG_DECIMAL}, {"uuid", LG_UUID},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(lt, names[i].name) == 0) li.kind = names[i].kind;
    if (li.kind == LG_DECIMAL) {
        li.precision = (int)json_integer_value(json_object_get(j, "precision"));
        li.scale = (int)json_integer_value(json_object_get(j, "scale"));
        if (li.precision < 1 || li.scale < 0 || li.scale > li.precision) li.kind = LG_NONE;   /* invalid: Avro says ignore */
    }
    return li;
}

static avro_schema_t deref(avro_schema_t s)
{
    while (s && avro_typeof(s) == AVRO_LINK) s = avro_schema_link_target(s);
    return s;
}

/* ---- named types (the JSON of a name reference) ----------------------------------- */

/* A schema may define a record, enum or fixed once and refer to it by name
 * later ("type": "Address"); avro-c resolves the reference, but the JSON
 * (logical types, a nested record's fields) has to be found by name too.
 * defs maps full names, and short names, to their definitions. */
static void collect_named(json_t *defs, const json_t *j, const char *ns, int depth)
{
    if (depth > SKIP_MAX_DEPTH) return;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) collect_named(defs, json_array_get(j, i), ns, depth + 1);
        return;
    }
    if (!json_is_object(j)) return;
    const json_t *type = json_object_get(j, "type");
    if (!json_is_string(type)) {
        collect_named(defs, type, ns, depth + 1);
        return;
    }
    const char *ty = json_string_value(type);
    if (strcmp(ty, "array") == 0) collect_named(defs, json_object_get(j, "items"), ns, depth + 1);
    if (strcmp(ty, "map") == 0) collect_named(defs, json_object_get(j, "values"), ns, depth + 1);
    bool rec = strcmp(ty, "record") == 0 || strcmp(ty, "error") == 0;
    if (!rec && strcmp(ty, "enum") != 0 && strcmp(ty, "fixed") != 0) return;
    const char *name = json_string_value(json_object_get(j, "name"));
    if (!name) return;
    const char *own = json_string_value(json_object_get(j, "namespace"));
    char full[512], space[512];
    const char *dot = strrchr(name, '.');
    if (dot) snprintf(full, sizeof full, "%s", name), snprintf(space, sizeof space, "%.*s", (int)(dot - name), name);
    else if (own && *own) snprintf(full, sizeof full, "%s.%s", own, name), snprintf(space, sizeof space, "%s", own);
    else if (ns && *ns) snprintf(full, sizeof full, "%s.%s", ns, name), snprintf(space, sizeof space, "%s", ns);
    else snprintf(full, sizeof full, "%s", name), space[0] = 0;
    json_object_set(defs, full, (json_t *)j);
    const char *shortname = dot ? dot + 1 : name;
    if (!json_object_get(defs, shortname)) json_object_set(defs, shortname, (json_t *)j);
    if (!rec) return;
    const json_t *fs = json_object_get(j, "fields");
    for (size_t i = 0; i < json_array_size(fs); i++) collect_named(defs, json_object_get(json_array_get(fs, i), "type"), space, depth + 1);
}

/* j itself, or the definition it names. */
static const json_t *named(const json_t *defs, const json_t *j)
{
    if (defs && json_is_string(j)) {
        const json_t *d = json_object_get(defs, json_string_value(j));
        if (d) return d;
    }
    return j;
}

/* The JSON of a record's i-th field type, an array's items, a map's values
 * (j resolved through defs first). */
static const json_t *field_type_json(const json_t *rec, size_t i)
{
    const json_t *fs = json_object_get(rec, "fields");
    return json_object_get(json_array_get(fs, i), "type");
}

static const json_t *inner_json(const json_t *defs, const json_t *j, const char *key)
{
    j = named(defs, j);
    return json_is_object(j) ? json_object_get(j, key) : NULL;
}

/* ---- Avro → SQL (Flink's AvroSchemaConverter.convertToDataType) -------------------- */

#define INFER_MAX_DEPTH 32   /* nesting a derived column may have (deeper fields are left out) */

/* Deriving nested types: the arena they live in, the named types, and
 * the records being expanded (a record that contains itself has no SQL
 * type: the field that recurses is left out). */
typedef struct Infer {
    const json_t *defs;                    /* named types (collect_named) */
    Arena        *a;                       /* nested type descriptors; NULL = flat types only */
    avro_schema_t open[INFER_MAX_DEPTH];   /* records being expanded */
    int           depth;                   /* their count */
    int           level;                   /* records, arrays and maps being expanded */
} Infer;

static bool sql_field_type(avro_schema_t s, const json_t *j, Infer *in, Type *t);

/* The SQL type of a non-union Avro type; false when eddy has none.
 * Records are ROWs (fields eddy has no type for left out), arrays ARRAYs,
 * maps MAP<STRING NOT NULL, V>, as Flink derives them. */
static bool sql_type_of(avro_schema_t s, const json_t *j, Infer *in, Type *t)
{
    s = deref(s);
    j = named(in->defs, j);
    LogicalInfo li = logical_of(j);
    switch (avro_typeof(s)) {
    case AVRO_BOOLEAN: *t = type_make(TY_BOOLEAN, false); return true;
    case AVRO_INT32:
        *t = type_make(li.kind == LG_DATE ? TY_DATE : TY_INT, false);
        return true;
    case AVRO_INT64:
        if (li.kind == LG_TS_MS || li.kind == LG_LTS_MS || li.kind == LG_TS_US || li.kind == LG_LTS_US ||
            li.kind == LG_TS_NS || li.kind == LG_LTS_NS) {
            *t = type_make(TY_TIMESTAMP, false);
            t->precision = li.kind == LG_TS_MS || li.kind == LG_LTS_MS ? 3 : li.kind == LG_TS_US || li.kind == LG_LTS_US ? 6 : 9;
        } else {
            *t = type_make(TY_BIGINT, false);
        }
        return true;
    case AVRO_FLOAT: *t = type_make(TY_FLOAT, false); return true;
    case AVRO_DOUBLE: *t = type_make(TY_DOUBLE, false); return true;
    case AVRO_STRING: case AVRO_ENUM: *t = type_make(TY_STRING, false); return true;
    case AVRO_BYTES:
    case AVRO_FIXED:
        if (li.kind == LG_DECIMAL && li.precision <= DECIMAL_MAX_PRECISION) *t = type_decimal(li.precision, li.scale, false);
        else *t = type_make(TY_BYTES, false);
        if (t->kind == TY_BYTES && avro_typeof(s) == AVRO_FIXED) t->len = (int)avro_schema_fixed_size(s);   /* VARBINARY(n), as Flink */
        return true;
    case AVRO_RECORD: {
        if (!in->a || in->depth >= INFER_MAX_DEPTH || in->level >= INFER_MAX_DEPTH) return false;
        for (int k = 0; k < in->depth; k++)
            if (in->open[k] == s) return false;   /* recursive */
        int nf = (int)avro_schema_record_size(s), n = 0;
        const char **names = arena_alloc(in->a, sizeof(char *) * (size_t)(nf + 1));
        Type *types = arena_alloc(in->a, sizeof(Type) * (size_t)(nf + 1));
        in->open[in->depth++] = s;
        in->level++;
        for (int i = 0; i < nf; i++)
            if (sql_field_type(avro_schema_record_field_get_by_index(s, i), field_type_json(j, (size_t)i), in, &types[n]))
                names[n++] = avro_schema_record_field_name(s, i);
        in->depth--;
        in->level--;
        if (!n) return false;   /* ROW<> has no SQL spelling */
        *t = type_new_row(in->a, n, names, types, false);
        return true;
    }
    case AVRO_ARRAY:
    case AVRO_MAP: {
        Type e;
        bool map = avro_typeof(s) == AVRO_MAP;
        if (!in->a || in->level >= INFER_MAX_DEPTH) return false;
        in->level++;
        bool ok = sql_field_type(map ? avro_schema_map_values(s) : avro_schema_array_items(s), inner_json(in->defs, j, map ? "values" : "items"), in, &e);
        in->level--;
        if (!ok) return false;
        *t = map ? type_new_map(in->a, type_make(TY_STRING, false), e, false) : type_new_array(in->a, e, false);
        return true;
    }
    default: return false;
    }
}

/* A field's type: T, ["null", T] or [T, "null"]. */
static bool sql_field_type(avro_schema_t s, const json_t *j, Infer *in, Type *t)
{
    s = deref(s);
    if (avro_typeof(s) != AVRO_UNION) return sql_type_of(s, j, in, t);
    size_t nb = avro_schema_union_size(s);
    int value = -1, nulls = 0;
    for (size_t k = 0; k < nb; k++) {
        avro_schema_t b = deref(avro_schema_union_branch(s, (int)k));
        if (avro_typeof(b) == AVRO_NULL) nulls++;
        else if (value < 0) value = (int)k;
        else return false;   /* a real union: no SQL type */
    }
    if (value < 0 || nulls != 1) return false;
    if (!sql_type_of(avro_schema_union_branch(s, value), json_is_array(j) ? json_array_get(j, (size_t)value) : NULL, in, t))
        return false;
    t->nullable = 1;
    return true;
}

/* Parses schema text with both avro-c and jansson. */
static int parse_both(const char *text, size_t len, avro_schema_t *s, json_t **j, char *err, size_t errlen)
{
    *s = NULL;
    *j = NULL;
    if (avro_schema_from_json_length(text, len, s)) {
        str_errf(err, errlen, "invalid Avro schema: %s", avro_strerror());
        *s = NULL;
        return -1;
    }
    json_error_t je;
    *j = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!*j) {
        avro_schema_decref(*s);
        *s = NULL;
        str_errf(err, errlen, "invalid Avro schema: %s", je.text);
        return -1;
    }
    return 0;
}

int cavro_schema_to_columns(const char *schema, size_t len, StrBuf *out, char *err, size_t errlen)
{
    avro_schema_t s;
    json_t *j;
    if (parse_both(schema, len, &s, &j, err, errlen)) return -1;
    int ncols = 0;
    if (avro_typeof(s) != AVRO_RECORD) {
        str_errf(err, errlen, "the schema is a %s, not a record", avro_schema_type_name(s));
        ncols = -1;
    } else {
        json_t *defs = json_object();
        collect_named(defs, j, NULL, 0);
        Arena a;
        arena_init(&a, 1024);
        Infer in = {.defs = defs, .a = &a, .open = {s}, .depth = 1};
        size_t nf = avro_schema_record_size(s);
        for (size_t i = 0; i < nf; i++) {
            Type t;
            const char *name = avro_schema_record_field_name(s, (int)i);
            if (!sql_field_type(avro_schema_record_field_get_by_index(s, (int)i), field_type_json(j, i), &in, &t)) continue;
            if (ncols++) sb_puts(out, ", ");
            sb_putc(out, '`');
            sb_puts(out, name);
            sb_puts(out, "` ");
            type_print(out, t);
        }
        arena_free(&a);
        json_decref(defs);
    }
    json_decref(j);
    avro_schema_decref(s);
    return ncols;
}

int cavro_schema_check(const char *schema, size_t len, char *err, size_t errlen)
{
    avro_schema_t s;
    json_t *j;
    if (parse_both(schema, len, &s, &j, err, errlen)) return -1;
    json_decref(j);
    avro_schema_decref(s);
    return 0;
}

/* The writer's record full name, e.g. "ns.Name". */
static void full_name(avro_schema_t s, char *buf, size_t n)
{
    const char *ns = avro_schema_namespace(s), *nm = avro_schema_name(s);
    if (ns && *ns) snprintf(buf, n, "%s.%s", ns, nm ? nm : "");
    else snprintf(buf, n, "%s", nm ? nm : "");
}

int cavro_schema_compatible(const char *writer, const char *reader, char *err, size_t errlen)
{
    avro_schema_t ws = NULL, rs = NULL, eff = NULL;
    json_t *wj = NULL, *rj = NULL;
    int rc = -1;
    if (parse_both(writer, strlen(writer), &ws, &wj, err, errlen)) goto out;
    if (parse_both(reader, strlen(reader), &rs, &rj, err, errlen)) goto out;
    if (avro_typeof(ws) == AVRO_RECORD && avro_typeof(rs) == AVRO_RECORD) {
        /* Reader fields the writer lacks need a default; the rest is avro-c's call. */
        char wn[512], rn[512];
        full_name(ws, wn, sizeof wn);
        full_name(rs, rn, sizeof rn);
        if (strcmp(avro_schema_name(ws), avro_schema_name(rs)) != 0) {
            str_errf(err, errlen, "record names differ: '%s' and '%s'", wn, rn);
            goto out;
        }
        json_t *copy = json_deep_copy(rj), *fs = json_object_get(copy, "fields"), *keep = json_array();
        size_t nf = json_array_size(fs);
        for (size_t i = 0; i < nf; i++) {
            json_t *f = json_array_get(fs, i);
            const char *name = json_string_value(json_object_get(f, "name"));
            if (name && avro_schema_record_field_get_index(ws, name) >= 0) {
                json_array_append(keep, f);
            } else if (!json_object_get(f, "default")) {
                str_errf(err, errlen, "field '%s' is new and has no default, so data written with the earlier schema cannot be read",
                        name ? name : "?");
                json_decref(keep);
                json_decref(copy);
                goto out;
            }
        }
        json_object_set_new(copy, "fields", keep);
        char *text = json_dumps(copy, JSON_COMPACT);
        json_decref(copy);
        int prc = avro_schema_from_json_length(text, strlen(text), &eff);
        free(text);
        if (prc) {
            str_errf(err, errlen, "%s", avro_strerror());
            eff = NULL;
            goto out;
        }
    } else {
        eff = avro_schema_incref(rs);
    }
    avro_value_iface_t *res = avro_resolved_writer_new(ws, eff);
    if (!res) {
        const char *m = avro_strerror();
        str_errf(err, errlen, "%s", m && *m ? m : "the schemas do not resolve");
        goto out;
    }
    avro_value_iface_decref(res);
    rc = 0;
out:
    if (eff) avro_schema_decref(eff);
    if (ws) avro_schema_decref(ws);
    if (rs) avro_schema_decref(rs);
    json_decref(wj);
    json_decref(rj);
    return rc;
}

/* ---- the reader ------------------------------------------------------------------- */

struct CavroReader {
    JsonField *f;         /* columns (names owned) */
    int        nf;        /* count */
    char      *schema;    /* the reader's own schema (Flink's mapping) */
};

CavroReader *cavro_reader_new(const JsonField *fields, int n, char *err, size_t errlen)
{
    StrBuf b = {0};
    if (cavro_schema_of_columns(fields, n, NULL, &b, err, errlen)) {
        sb_free(&b);
        return NULL;
    }
    CavroReader *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->schema = sb_take(&b);
    r->nf = n;
    r->f = calloc((size_t)n + 1, sizeof *r->f);
    if (!r->f) abort();
    for (int i = 0; i < n; i++) {
        r->f[i] = fields[i];
        r->f[i].name = str_dup(fields[i].name);
    }
    return r;
}

void cavro_reader_free(CavroReader *r)
{
    if (!r) return;
    for (int i = 0; i < r->nf; i++) free((char *)r->f[i].name);
    free(r->f);
    free(r->schema);
    free(r);
}

const char *cavro_reader_schema(const CavroReader *r) { return r->schema; }

/* ---- the compiled program ----------------------------------------------------------- */

/* How a writer value is encoded. */
typedef enum WKind {
    W_NULL, W_BOOL, W_INT, W_LONG, W_FLOAT, W_DOUBLE, W_BYTES, W_FIXED, W_ENUM, W_UNION,
    W_SKIP,               /* anything else the table does not read: skipped by its schema */
    W_FAIL,               /* a union branch that cannot go into the column: an error if taken */
    W_RECORD,             /* a record into a ROW: sub = one step per writer field, slots = the ROW's fields */
    W_ARRAY,              /* an array into an ARRAY: sub[0] reads an item into slot 0 */
    W_MAP,                /* a map into a MAP<STRING, V>: sub[0] reads a value into slot 0 */
} WKind;

/* How it lands in the column. */
typedef enum Conv {
    CV_NONE,              /* not stored (slot -1) */
    CV_NULL,              /* writer null: NULL (error for a NOT NULL column) */
    CV_BOOL,              /* i = 0/1 */
    CV_I64,               /* i = v */
    CV_RANGE,             /* i = v, checked against TINYINT/SMALLINT/INT */
    CV_F64,               /* d = v (integer or double → DOUBLE) */
    CV_F32,               /* d = (float)v (→ FLOAT) */
    CV_DIV,               /* i = floor(v / arg) (micro/nanoseconds → milliseconds) */
    CV_TS,                /* a time: i = floor(v / arg) milliseconds, within years 0000-9999 */
    CV_STR,               /* s, n = the bytes */
    CV_DEC,               /* big-endian two's complement → DECIMAL, scaled by 10^arg */
    CV_SYM,               /* enum index → its symbol */
} Conv;

typedef struct Step Step;
struct Step {
    uint8_t     w;        /* WKind */
    uint8_t     conv;     /* Conv */
    int32_t     slot;     /* output slot, -1 = read and drop */
    int64_t     arg;      /* W_FIXED: size; CV_DIV: divisor */
    int32_t     shift;    /* CV_DEC: column scale - writer scale */
    Type        col;      /* the column's type (ranges, decimals) */
    const char *field;    /* the field's name, for messages */
    Step       *branch;   /* W_UNION: one step per writer branch */
    int         nbranch;  /* count */
    const char **sym;     /* W_ENUM with CV_SYM: symbols */
    int         nsym;     /* count */
    avro_schema_t skip;   /* W_SKIP, W_FAIL, nested: the schema to skip (a reference held by the program) */
    const char *fail;     /* W_FAIL: why */
    Step       *sub;      /* W_RECORD, W_ARRAY, W_MAP: the steps of a field / an item / a value */
    int         nsub;     /* count */
};

struct CavroProgram {
    const CavroReader *r; /* the reader */
    Arena       arena;    /* steps, names, symbols */
    Step       *steps;    /* in the writer's field order (one for a non-record writer) */
    int         nsteps;   /* count */
    avro_schema_t ws;     /* writer schema (kept for W_SKIP steps) */
    json_t     *defs;     /* the writer's named types (collect_named), while compiling */
};

static bool is_string_like(avro_type_t t) { return t == AVRO_STRING || t == AVRO_BYTES || t == AVRO_FIXED || t == AVRO_ENUM; }

static int compile_value(CavroProgram *p, avro_schema_t s, const json_t *j, const JsonField *col, Step *st, char *err, size_t errlen);
static int compile_nested(CavroProgram *p, avro_schema_t s, const json_t *j, const JsonField *col, Step *st, char *err, size_t errlen);
static int min_size(avro_schema_t s, int depth);

/* Compiles one writer value (non-union) into the column `col` at `slot`.
 * Returns 0, or -1 with why the pair cannot resolve (only possible for a
 * union branch: avro-c has accepted the pair as a whole). */
static int compile_scalar(CavroProgram *p, avro_schema_t s, const json_t *j, const JsonField *col, Step *st, char *err, size_t errlen)
{
    s = deref(s);
    j = named(p->defs, j);
    avro_type_t at = avro_typeof(s);
    LogicalInfo li = logical_of(j);
    Type t = col ? col->type : type_make(TY_NULL, true);
    TypeKind k = (TypeKind)t.kind;
    st->slot = col ? col->slot : -1;
    st->col = t;
    st->field = col ? col->name : "";
    switch (at) {
    case AVRO_NULL: st->w = W_NULL; st->conv = CV_NULL; break;
    case AVRO_BOOLEAN: st->w = W_BOOL; st->conv = CV_BOOL; if (k != TY_BOOLEAN) goto bad; break;
    case AVRO_INT32:
    case AVRO_INT64:
        st->w = at == AVRO_INT32 ? W_INT : W_LONG;
        switch (k) {
        case TY_TINYINT: case TY_SMALLINT: case TY_INT:
            if (at == AVRO_INT64) goto bad;
            st->conv = k == TY_INT ? CV_I64 : CV_RANGE;
            break;
        case TY_BIGINT: st->conv = CV_I64; break;
        case TY_DATE: if (at == AVRO_INT64) goto bad; st->conv = CV_I64; break;
        case TY_TIMESTAMP:
        case TY_TIMESTAMP_LTZ:
            /* The writer's unit, else the column's (Flink: p ≤ 3 millis, else micros). */
            st->conv = CV_TS, st->arg = 1;
            if (li.kind == LG_TS_US || li.kind == LG_LTS_US || (li.kind == LG_NONE && t.precision > 3)) st->arg = 1000;
            if (li.kind == LG_TS_NS || li.kind == LG_LTS_NS) st->arg = 1000000;
            if (li.kind == LG_DATE) st->conv = CV_I64, st->arg = 0;
            break;
        case TY_FLOAT: st->conv = CV_F32; break;
        case TY_DOUBLE: st->conv = CV_F64; break;
        default: goto bad;
        }
        break;
    case AVRO_FLOAT:
        st->w = W_FLOAT;
        if (k == TY_FLOAT || k == TY_DOUBLE) st->conv = CV_F64;
        else goto bad;
        break;
    case AVRO_DOUBLE:
        st->w = W_DOUBLE;
        if (k == TY_DOUBLE) st->conv = CV_F64;
        else goto bad;
        break;
    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_FIXED:
        st->w = at == AVRO_FIXED ? W_FIXED : W_BYTES;
        if (at == AVRO_FIXED) st->arg = avro_schema_fixed_size(s);
        if (k == TY_STRING || k == TY_BYTES) st->conv = CV_STR;
        else if (k == TY_DECIMAL && at != AVRO_STRING) {
            st->conv = CV_DEC;
            st->shift = li.kind == LG_DECIMAL ? t.scale - li.scale : 0;
        } else goto bad;
        break;
    case AVRO_ENUM:
        st->w = W_ENUM;
        if (k != TY_STRING) goto bad;
        st->conv = CV_SYM;
        st->nsym = avro_schema_enum_number_of_symbols(s);
        st->sym = arena_alloc(&p->arena, sizeof(char *) * (size_t)(st->nsym + 1));
        for (int i = 0; i < st->nsym; i++) st->sym[i] = arena_strdup(&p->arena, avro_schema_enum_get(s, i));
        break;
    case AVRO_RECORD:
    case AVRO_ARRAY:
    case AVRO_MAP:
        if (col && col->slot >= 0 &&
            ((at == AVRO_RECORD && k == TY_ROW) || (at == AVRO_ARRAY && k == TY_ARRAY) || (at == AVRO_MAP && k == TY_MAP)))
            return compile_nested(p, s, j, col, st, err, errlen);
        if (col && col->slot >= 0) goto bad;
        st->w = W_SKIP;
        st->skip = s;
        st->conv = CV_NONE;
        return 0;
    default:
        if (!col) {
            st->w = W_SKIP;
            st->skip = s;
            st->conv = CV_NONE;
            return 0;
        }
        goto bad;
    }
    if (!col || col->slot < 0) st->conv = CV_NONE;
    return 0;
bad:
    if (!col) {   /* not a column: only its encoding matters */
        st->conv = CV_NONE;
        return 0;
    }
    str_errf(err, errlen, "field '%s': Avro %s cannot be read into a %s column", col->name, avro_schema_type_name(s),
            type_kind_name(k));
    return -1;
}

/* Compiles a writer record, array or map into a nested column (col->type
 * a ROW, ARRAY or MAP).  Resolution follows Avro's rules, judged here
 * (avro-c never sees nested columns: see cavro_program_new): a record's
 * fields match the ROW's by name, writer fields the ROW lacks are skipped,
 * ROW fields the writer lacks are NULL (an error when NOT NULL); items and
 * values are compiled like columns, unions and promotions included.  The
 * sub-steps' names are paths for messages: `payload.items[].sku`, where
 * each `[]` becomes the element's position (1-based) or the map's key
 * when a record is read. */
static int compile_nested(CavroProgram *p, avro_schema_t s, const json_t *j, const JsonField *col, Step *st, char *err, size_t errlen)
{
    Type t = col->type;
    st->skip = s;
    st->conv = CV_NONE;
    if (avro_typeof(s) == AVRO_RECORD) {
        int nw = (int)avro_schema_record_size(s), nr = t.nest->n;
        st->w = W_RECORD;
        st->sub = arena_alloc(&p->arena, sizeof(Step) * (size_t)(nw + 1));
        st->nsub = nw;
        bool *seen = arena_alloc(&p->arena, (size_t)nr + 1);
        for (int i = 0; i < nw; i++) {
            const char *name = avro_schema_record_field_name(s, i);
            int fi = -1;
            for (int k = 0; k < nr && fi < 0; k++)
                if (!seen[k] && strcmp(t.nest->names[k], name) == 0) fi = k;
            JsonField sub = {arena_printf(&p->arena, "%s.%s", col->name, name), fi >= 0 ? t.nest->types[fi] : type_make(TY_NULL, true), fi};
            if (compile_value(p, avro_schema_record_field_get_by_index(s, i), field_type_json(j, (size_t)i), fi >= 0 ? &sub : NULL,
                              &st->sub[i], err, errlen))
                return -1;
            if (fi < 0) st->sub[i].field = sub.name;
            else seen[fi] = true;
        }
        for (int k = 0; k < nr; k++)
            if (!seen[k] && !t.nest->types[k].nullable && t.nest->types[k].kind != TY_NULL) {
                str_errf(err, errlen, "field '%s.%s' is NOT NULL but the writer's record has no field '%s'", col->name, t.nest->names[k],
                         t.nest->names[k]);
                return -1;
            }
        return 0;
    }
    bool map = avro_typeof(s) == AVRO_MAP;
    if (map && t.nest->types[0].kind != TY_STRING) {
        str_errf(err, errlen, "field '%s': an Avro map has string keys; it cannot be read into a MAP with %s keys", col->name,
                 type_kind_name((TypeKind)t.nest->types[0].kind));
        return -1;
    }
    st->w = map ? W_MAP : W_ARRAY;
    st->arg = map || min_size(avro_schema_array_items(s), 0);   /* every item takes a byte at least */
    st->sub = arena_alloc(&p->arena, sizeof(Step) * 2);
    st->nsub = 1;
    JsonField sub = {arena_printf(&p->arena, "%s[]", col->name), t.nest->types[map ? 1 : 0], 0};
    return compile_value(p, map ? avro_schema_map_values(s) : avro_schema_array_items(s), j ? json_object_get(j, map ? "values" : "items") : NULL,
                         &sub, &st->sub[0], err, errlen);
}

/* Compiles a writer field (maybe a union). */
static int compile_value(CavroProgram *p, avro_schema_t s, const json_t *j, const JsonField *col, Step *st, char *err, size_t errlen)
{
    s = deref(s);
    if (avro_typeof(s) != AVRO_UNION) return compile_scalar(p, s, j, col, st, err, errlen);
    st->w = W_UNION;
    st->slot = col ? col->slot : -1;
    st->col = col ? col->type : type_make(TY_NULL, true);
    st->field = col ? col->name : "";
    st->nbranch = (int)avro_schema_union_size(s);
    st->branch = arena_alloc(&p->arena, sizeof(Step) * (size_t)(st->nbranch + 1));
    int ok = 0, nonnull = 0;   /* branches that are not null, and of those, that can be read */
    for (int b = 0; b < st->nbranch; b++) {
        char why[300];
        Step *bs = &st->branch[b];
        const json_t *bj = json_is_array(j) ? json_array_get(j, (size_t)b) : NULL;
        avro_schema_t bsch = deref(avro_schema_union_branch(s, b));
        if (avro_typeof(bsch) == AVRO_UNION) {
            str_errf(err, errlen, "field '%s': a union directly inside a union", col ? col->name : "?");
            return -1;
        }
        bool is_null = avro_typeof(bsch) == AVRO_NULL;
        nonnull += !is_null;
        if (compile_scalar(p, bsch, bj, col, bs, why, sizeof why)) {
            /* This branch cannot be read: an error only when a record takes it. */
            bs->w = W_FAIL;
            bs->fail = arena_strdup(&p->arena, why);
            bs->skip = bsch;
        } else {
            ok += !is_null;
        }
    }
    if (nonnull && !ok && col) {
        str_errf(err, errlen, "field '%s': no branch of the writer's union can be read into a %s column", col->name,
                type_kind_name((TypeKind)col->type.kind));
        return -1;
    }
    return 0;
}

/* The effective reader type of a column for a writer field: the writer's
 * own type when the column holds it as it is (strings, bytes, fixed,
 * enums: avro-c has no string ⇄ bytes promotion, and enum and fixed must
 * keep their names), else Flink's type for the column. */
static void reader_field_type(StrBuf *b, avro_schema_t ws, const json_t *wj, Type col)
{
    avro_schema_t s = deref(ws);
    bool native = col.kind == TY_STRING || col.kind == TY_BYTES || col.kind == TY_DECIMAL;
    bool self_contained = !json_is_string(wj) || avro_typeof(s) == AVRO_STRING || avro_typeof(s) == AVRO_BYTES;
    if (native && self_contained) {
        bool all = true, any = false;
        if (avro_typeof(s) == AVRO_UNION) {
            for (size_t k = 0; k < avro_schema_union_size(s); k++) {
                avro_type_t bt = avro_typeof(deref(avro_schema_union_branch(s, (int)k)));
                if (bt == AVRO_NULL) continue;
                any = true;
                all = all && is_string_like(bt);
                const json_t *bj = json_array_get(wj, k);
                all = all && (!json_is_string(bj) || bt == AVRO_STRING || bt == AVRO_BYTES);
            }
        } else {
            any = true;
            all = is_string_like(avro_typeof(s));
        }
        if (any && all) {
            char *t = json_dumps(wj, JSON_COMPACT | JSON_ENCODE_ANY);
            sb_puts(b, t);
            free(t);
            return;
        }
    }
    bool nullable = col.nullable && col.kind != TY_NULL;
    char why[200];
    if (nullable) sb_puts(b, "[\"null\",");
    type_json(b, col, NULL, NULL, why, sizeof why);
    if (nullable) sb_putc(b, ']');
}

static const JsonField *reader_field(const CavroReader *r, const char *name)
{
    for (int i = 0; i < r->nf; i++)
        if (strcmp(r->f[i].name, name) == 0) return &r->f[i];
    return NULL;
}

CavroProgram *cavro_program_new(const CavroReader *r, const char *writer, size_t len, char *err, size_t errlen)
{
    if (!writer) {
        writer = r->schema;
        len = strlen(writer);
    }
    CavroProgram *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->r = r;
    arena_init(&p->arena, 2048);
    json_t *wj = NULL;
    avro_schema_t eff = NULL;
    StrBuf rb = {0};
    char why[400];
    if (parse_both(writer, len, &p->ws, &wj, err, errlen)) goto fail;
    p->defs = json_object();
    collect_named(p->defs, wj, NULL, 0);

    if (avro_typeof(p->ws) == AVRO_RECORD) {
        int nf = (int)avro_schema_record_size(p->ws);
        char fn[512];
        full_name(p->ws, fn, sizeof fn);
        record_head(&rb, fn);
        p->steps = arena_alloc(&p->arena, sizeof(Step) * (size_t)(nf + 1));
        int nread = 0;   /* fields the reader reads */
        bool *seen = calloc((size_t)r->nf + 1, sizeof *seen);
        if (!seen) abort();
        for (int i = 0; i < nf; i++) {
            const char *name = avro_schema_record_field_name(p->ws, i);
            avro_schema_t fs = avro_schema_record_field_get_by_index(p->ws, i);
            const json_t *fj = field_type_json(wj, (size_t)i);
            const JsonField *col = reader_field(r, name);
            if (col && seen[col - r->f]) col = NULL;   /* a duplicate field name: the first wins */
            if (compile_value(p, fs, fj, col, &p->steps[p->nsteps], why, sizeof why)) {
                free(seen);
                str_errf(err, errlen, "%s", why);
                goto fail;
            }
            if (!col) p->steps[p->nsteps].field = arena_strdup(&p->arena, name);
            p->nsteps++;
            if (!col) continue;
            seen[col - r->f] = true;
            if (type_is_nested(col->type)) continue;   /* judged by compile_nested */
            /* The effective reader: this field, typed for the column. */
            if (nread++) sb_putc(&rb, ',');
            sb_puts(&rb, "{\"name\":");
            sb_json_str(&rb, name);
            sb_puts(&rb, ",\"type\":");
            reader_field_type(&rb, fs, fj, col->type);
            sb_putc(&rb, '}');
        }
        /* Columns the writer lacks take the reader's default: NULL. */
        for (int c = 0; c < r->nf; c++) {
            if (seen[c] || r->f[c].type.nullable || r->f[c].type.kind == TY_NULL) continue;
            str_errf(err, errlen, "column '%s' is NOT NULL but the writer's schema has no field '%s' (and the table's schema no default for it)",
                    r->f[c].name, r->f[c].name);
            free(seen);
            goto fail;
        }
        free(seen);
        sb_puts(&rb, "]}");
    } else {
        /* A bare value (a key schema such as "string"): the one column it can fill. */
        if (r->nf != 1) {
            str_errf(err, errlen, "the writer's schema is a %s, not a record; only one column can be read from it, the table side has %d",
                    avro_schema_type_name(p->ws), r->nf);
            goto fail;
        }
        p->steps = arena_alloc(&p->arena, sizeof(Step));
        if (compile_value(p, p->ws, wj, &r->f[0], &p->steps[0], why, sizeof why)) {
            str_errf(err, errlen, "%s", why);
            goto fail;
        }
        p->nsteps = 1;
        if (type_is_nested(r->f[0].type)) goto done;   /* judged by compile_nested */
        reader_field_type(&rb, p->ws, wj, r->f[0].type);
    }

    /* avro-c judges the resolution (names, promotions, unions). */
    if (avro_schema_from_json_length(rb.s, rb.len, &eff)) {
        str_errf(err, errlen, "avro-c rejects the reader schema: %s", avro_strerror());
        eff = NULL;
        goto fail;
    }
    avro_value_iface_t *res = avro_resolved_writer_new(p->ws, eff);
    if (!res) {
        const char *m = avro_strerror();
        str_errf(err, errlen, "the writer's schema cannot be read as the table's columns: %s", m && *m ? m : "the schemas do not resolve");
        goto fail;
    }
    avro_value_iface_decref(res);
    avro_schema_decref(eff);
done:
    json_decref(p->defs);
    p->defs = NULL;
    json_decref(wj);
    sb_free(&rb);
    return p;
fail:
    if (eff) avro_schema_decref(eff);
    json_decref(p->defs);
    p->defs = NULL;
    json_decref(wj);
    sb_free(&rb);
    cavro_program_free(p);
    return NULL;
}

void cavro_program_free(CavroProgram *p)
{
    if (!p) return;
    if (p->ws) avro_schema_decref(p->ws);
    arena_free(&p->arena);
    free(p);
}

/* ---- decoding: the compiled program ----------------------------------------------- */

#define CUR_MAX_DEPTH 32   /* element positions kept for messages */

/* Where inside nested values the cursor is: one entry per `[]` of a
 * step's path (compile_nested), an array position or a map key. */
typedef struct CurPos {
    int64_t     index;    /* an array element's position (1-based) */
    const char *key;      /* a map value's key (into the record), else NULL */
    int32_t     klen;     /* its length */
} CurPos;

typedef struct Cur {
    const uint8_t *p;     /* next byte */
    const uint8_t *base;  /* first byte of the body */
    const uint8_t *end;   /* one past the last */
    char          *err;   /* message buffer */
    size_t         errlen;/* its size */
    Arena         *arena; /* nested values (nested_pack) */
    int            depth; /* entries of pos in use */
    CurPos         pos[CUR_MAX_DEPTH]; /* the enclosing elements, outermost first */
} Cur;

/* The field's path with each `[]` filled from the cursor: items[2].sku,
 * attrs['color']. */
static const char *where(const Cur *c, const char *field, char *buf, size_t n)
{
    if (!field) return "";
    if (!strstr(field, "[]")) return field;
    size_t o = 0;
    int k = 0;
    for (const char *q = field; *q && o + 1 < n; q++) {
        if (q[0] == '[' && q[1] == ']') {
            int w;
            if (k < c->depth && k < CUR_MAX_DEPTH && c->pos[k].key)
                w = snprintf(buf + o, n - o, "['%.*s%s']", c->pos[k].klen > 40 ? 40 : (int)c->pos[k].klen, c->pos[k].key,
                             c->pos[k].klen > 40 ? "…" : "");
            else if (k < c->depth && k < CUR_MAX_DEPTH) w = snprintf(buf + o, n - o, "[%lld]", (long long)c->pos[k].index);
            else w = snprintf(buf + o, n - o, "[]");
            o += w < 0 ? 0 : (size_t)w;
            if (o >= n) o = n - 1;
            k++;
            q++;
            continue;
        }
        buf[o++] = *q;
    }
    buf[o] = 0;
    return buf;
}

static int truncated(Cur *c, const char *field)
{
    char w[256];
    str_errf(c->err, c->errlen, "truncated Avro record: field '%s' runs past the end (%zu bytes)", where(c, field, w, sizeof w),
             (size_t)(c->end - c->base));
    return -1;
}

static int bad(Cur *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(Cur *c, const char *field, const char *fmt, ...)
{
    char m[300], w[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    str_errf(c->err, c->errlen, "field '%s': %s at byte %zu", where(c, field, w, sizeof w), m, (size_t)(c->p - c->base));
    return -1;
}

/* A zig-zag varint.  0, or -1 (truncated: 1, malformed: 2 in *why). */
static inline int rd_long(Cur *c, int64_t *out, int *why)
{
    const uint8_t *p = c->p, *e = c->end;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= e) {
            *why = 1;
            return -1;
        }
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (shift == 63 && b > 1) break;
            c->p = p;
            *out = (int64_t)((v >> 1) ^ (0 - (v & 1)));
            return 0;
        }
    }
    *why = 2;
    return -1;
}

static int rd_long_f(Cur *c, const char *field, int64_t *out)
{
    int why;
    if (rd_long(c, out, &why) == 0) return 0;
    return why == 1 ? truncated(c, field) : bad(c, field, "malformed varint");
}

/* Big-endian two's complement (1..n bytes) → int64; -1 when it does not fit. */
static int be_int(const uint8_t *b, int64_t n, int64_t *out)
{
    if (n <= 0) return -1;
    uint8_t sign = (b[0] & 0x80) ? 0xff : 0x00;
    while (n > 8) {   /* leading sign bytes are harmless */
        if (b[0] != sign || ((b[1] & 0x80) ? 0xff : 0x00) != sign) return -1;
        b++, n--;
    }
    uint64_t v = sign ? UINT64_MAX : 0;
    for (int64_t i = 0; i < n; i++) v = v << 8 | b[i];
    *out = (int64_t)v;
    return 0;
}

/* An unscaled decimal of the writer → the column's scale and precision. */
static int land_decimal(Cur *c, const Step *st, const uint8_t *b, int64_t n, int64_t shift, Value *v)
{
    int64_t x;
    if (be_int(b, n, &x)) {
        if (n <= 0) return bad(c, st->field, "decimal with no bytes");
        return bad(c, st->field, "decimal of %lld bytes does not fit eddy's 18 digits", (long long)n);
    }
    if (shift > 0) {
        for (int64_t i = 0; i < shift; i++) {
            if (x > INT64_MAX / 10 || x < INT64_MIN / 10) return bad(c, st->field, "decimal does not fit DECIMAL(%d, %d)", st->col.precision, st->col.scale);
            x *= 10;
        }
    } else if (shift < 0) {
        int64_t d = shift < -18 ? 0 : pow10i((int)-shift);
        if (!d) x = 0;
        else {
            int64_t q = x / d, r = x % d;
            if (r < 0) r = -r;
            if (r * 2 >= d) q += x < 0 ? -1 : 1;   /* HALF_UP */
            x = q;
        }
    }
    int64_t lim = dec_limit(st->col);
    if (x > lim || x < -lim) return bad(c, st->field, "decimal does not fit DECIMAL(%d, %d)", st->col.precision, st->col.scale);
    v->i = x;
    return 0;
}

static int int_range_ok(Type t, int64_t x)
{
    switch ((TypeKind)t.kind) {
    case TY_TINYINT: return x >= INT8_MIN && x <= INT8_MAX;
    case TY_SMALLINT: return x >= INT16_MIN && x <= INT16_MAX;
    default: return x >= INT32_MIN && x <= INT32_MAX;
    }
}

static int skip_schema(Cur *c, avro_schema_t s, const char *field, int depth);

/* Minimum encoded size of a value of s (0 for null, empty records, …). */
static int min_size(avro_schema_t s, int depth)
{
    s = deref(s);
    if (depth > SKIP_MAX_DEPTH) return 1;
    switch (avro_typeof(s)) {
    case AVRO_NULL: return 0;
    case AVRO_FIXED: return avro_schema_fixed_size(s) > 0;
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(s); i++)
            if (min_size(avro_schema_record_field_get_by_index(s, (int)i), depth + 1)) return 1;
        return 0;
    default: return 1;
    }
}

static int skip_bytes(Cur *c, const char *field, int64_t n)
{
    if (n < 0) return bad(c, field, "negative length %lld", (long long)n);
    if (n > c->end - c->p) return truncated(c, field);
    c->p += n;
    return 0;
}

static int skip_blocks(Cur *c, avro_schema_t item, bool map, const char *field, int depth)
{
    bool sized = map || min_size(item, depth + 1);
    for (;;) {
        int64_t count;
        if (rd_long_f(c, field, &count)) return -1;
        if (count == 0) return 0;
        if (count < 0) {
            int64_t size;
            if (rd_long_f(c, field, &size)) return -1;
            if (count == INT64_MIN) return bad(c, field, "malformed block count");
            if (skip_bytes(c, field, size)) return -1;
            continue;
        }
        if (!sized) continue;   /* items of no size: nothing to skip */
        if (count > c->end - c->p) return truncated(c, field);
        for (int64_t i = 0; i < count; i++) {
            if (map) {
                int64_t n;
                if (rd_long_f(c, field, &n) || skip_bytes(c, field, n)) return -1;
            }
            if (skip_schema(c, item, field, depth + 1)) return -1;
        }
    }
}

static int skip_schema(Cur *c, avro_schema_t s, const char *field, int depth)
{
    s = deref(s);
    if (depth > SKIP_MAX_DEPTH) return bad(c, field, "nested deeper than %d levels", SKIP_MAX_DEPTH);
    int64_t n;
    switch (avro_typeof(s)) {
    case AVRO_NULL: return 0;
    case AVRO_BOOLEAN: return skip_bytes(c, field, 1);
    case AVRO_INT32: case AVRO_INT64: case AVRO_ENUM: return rd_long_f(c, field, &n);
    case AVRO_FLOAT: return skip_bytes(c, field, 4);
    case AVRO_DOUBLE: return skip_bytes(c, field, 8);
    case AVRO_STRING: case AVRO_BYTES:
        if (rd_long_f(c, field, &n)) return -1;
        return skip_bytes(c, field, n);
    case AVRO_FIXED: return skip_bytes(c, field, avro_schema_fixed_size(s));
    case AVRO_UNION:
        if (rd_long_f(c, field, &n)) return -1;
        if (n < 0 || n >= (int64_t)avro_schema_union_size(s))
            return bad(c, field, "union branch %lld out of range (the writer's union has %zu)", (long long)n, avro_schema_union_size(s));
        return skip_schema(c, avro_schema_union_branch(s, (int)n), field, depth + 1);
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(s); i++)
            if (skip_schema(c, avro_schema_record_field_get_by_index(s, (int)i), field, depth + 1)) return -1;
        return 0;
    case AVRO_ARRAY: return skip_blocks(c, avro_schema_array_items(s), false, field, depth);
    case AVRO_MAP: return skip_blocks(c, avro_schema_map_values(s), true, field, depth);
    default: return bad(c, field, "unsupported Avro type");
    }
}

#define NESTED_MAX_EMPTY (1 << 20)   /* items of no size (nulls, empty records) one array may hold */

static int run_step(Cur *c, const Step *st, Value *row);

/* Room for 2 more values in *vals (stack-allocated at first). */
static Value *vals_room(Cur *c, Value **vals, int n, int *cap)
{
    if (n + 2 <= *cap) return *vals;
    int nc = *cap * 2;
    Value *nv = arena_alloc(c->arena, sizeof(Value) * (size_t)nc);
    memcpy(nv, *vals, sizeof(Value) * (size_t)n);
    *vals = nv;
    *cap = nc;
    return nv;
}

/* A record, array or map into the nested value *v (nested.h's bytes in
 * the arena).  Recursion follows the column's type, never the input. */
static int run_nested(Cur *c, const Step *st, Value *v)
{
    Value stack[16], *vals = stack;
    int n = 0, cap = 16;
    if (st->w == W_RECORD) {
        n = st->col.nest->n;
        if (n > cap) vals = arena_alloc(c->arena, sizeof(Value) * (size_t)n), cap = n;
        for (int i = 0; i < n; i++) vals[i] = (Value){.i = 0, .n = 0, .null = 1};
        for (int i = 0; i < st->nsub; i++)
            if (run_step(c, &st->sub[i], vals)) return -1;
    } else {
        bool map = st->w == W_MAP;
        int d = c->depth++;
        int64_t k = 0;
        for (;;) {
            int64_t count;
            if (rd_long_f(c, st->field, &count)) return -1;
            if (count == 0) break;
            if (count < 0) {   /* a block with its size in bytes: the size is not needed */
                int64_t size;
                if (count == INT64_MIN) return bad(c, st->field, "malformed block count");
                if (rd_long_f(c, st->field, &size)) return -1;
                if (size < 0) return bad(c, st->field, "negative block size %lld", (long long)size);
                count = -count;
            }
            if (st->arg ? count > c->end - c->p : k + count > NESTED_MAX_EMPTY) {
                if (st->arg) return truncated(c, st->field);
                return bad(c, st->field, "more than %d items of no size", NESTED_MAX_EMPTY);
            }
            for (int64_t e = 0; e < count; e++, k++) {
                vals = vals_room(c, &vals, n, &cap);
                CurPos *pos = d < CUR_MAX_DEPTH ? &c->pos[d] : NULL;
                if (map) {
                    int64_t kl;
                    if (rd_long_f(c, st->field, &kl)) return -1;
                    if (kl < 0) return bad(c, st->field, "negative length %lld of a map key", (long long)kl);
                    if (kl > c->end - c->p) return truncated(c, st->field);
                    if (kl > INT32_MAX) return bad(c, st->field, "map key longer than 2 GiB");
                    vals[n] = (Value){.s = (const char *)c->p, .n = (int32_t)kl, .null = 0};
                    if (pos) *pos = (CurPos){k + 1, (const char *)c->p, (int32_t)kl};
                    c->p += kl;
                } else if (pos) {
                    *pos = (CurPos){k + 1, NULL, 0};
                }
                Value *ev = &vals[n + map];
                *ev = (Value){.i = 0, .n = 0, .null = 1};
                if (run_step(c, &st->sub[0], ev)) return -1;
                n += map ? 2 : 1;
            }
        }
        c->depth = d;
    }
    nested_pack(c->arena, st->col, vals, n, v);
    return 0;
}

/* Runs one step. */
static int run_step(Cur *c, const Step *st, Value *row)
{
    Value *v = st->slot >= 0 ? &row[st->slot] : NULL;
    int64_t x;
    int why;
    switch ((WKind)st->w) {
    case W_NULL:
        if (v && !st->col.nullable) return bad(c, st->field, "null for a NOT NULL column");
        return 0;   /* the slot is NULL already */
    case W_BOOL:
        if (c->p >= c->end) return truncated(c, st->field);
        if (*c->p > 1) return bad(c, st->field, "invalid boolean byte 0x%02x", *c->p);
        if (v) v->i = *c->p, v->null = 0;
        c->p++;
        return 0;
    case W_INT:
    case W_LONG:
        if (rd_long(c, &x, &why)) return why == 1 ? truncated(c, st->field) : bad(c, st->field, "malformed varint");
        if (st->w == W_INT && (x < INT32_MIN || x > INT32_MAX)) return bad(c, st->field, "int out of range");
        if (!v) return 0;
        switch ((Conv)st->conv) {
        case CV_I64: v->i = x; break;
        case CV_RANGE:
            if (!int_range_ok(st->col, x)) return bad(c, st->field, "%lld out of range for %s", (long long)x, type_kind_name((TypeKind)st->col.kind));
            v->i = x;
            break;
        case CV_F64: v->d = (double)x; break;
        case CV_F32: v->d = (double)(float)x; break;
        case CV_DIV: v->i = x / st->arg - (x % st->arg < 0); break;
        case CV_TS:
            /* An instant outside Flink's years 0000-9999 could not be written back as text: malformed. */
            v->i = x / st->arg - (x % st->arg < 0);
            if (v->i < AVRO_TS_MIN_MS || v->i > AVRO_TS_MAX_MS)
                return bad(c, st->field, "%lld %s is outside years 0000-9999", (long long)x,
                           st->arg == 1 ? "ms" : st->arg == 1000 ? "microseconds" : "nanoseconds");
            break;
        default: break;
        }
        v->null = 0;
        return 0;
    case W_FLOAT: {
        if (c->end - c->p < 4) return truncated(c, st->field);
        float f;
        memcpy(&f, c->p, 4);   /* little-endian, as x86 and ARM */
        c->p += 4;
        if (v) v->d = (double)f, v->null = 0;
        return 0;
    }
    case W_DOUBLE: {
        if (c->end - c->p < 8) return truncated(c, st->field);
        double d;
        memcpy(&d, c->p, 8);
        c->p += 8;
        if (v) v->d = d, v->null = 0;
        return 0;
    }
    case W_BYTES:
    case W_FIXED: {
        int64_t n = st->arg;
        if (st->w == W_BYTES) {
            if (rd_long(c, &n, &why)) return why == 1 ? truncated(c, st->field) : bad(c, st->field, "malformed varint");
            if (n < 0) return bad(c, st->field, "negative length %lld", (long long)n);
        }
        if (n > c->end - c->p) return truncated(c, st->field);
        const uint8_t *b = c->p;
        c->p += n;
        if (!v) return 0;
        if (st->conv == CV_DEC) {
            if (n > INT32_MAX) return bad(c, st->field, "decimal too long");
            if (land_decimal(c, st, b, n, st->shift, v)) return -1;
        } else {
            if (n > INT32_MAX) return bad(c, st->field, "value longer than 2 GiB");
            v->s = (const char *)b;
            v->n = (int32_t)n;
        }
        v->null = 0;
        return 0;
    }
    case W_ENUM:
        if (rd_long(c, &x, &why)) return why == 1 ? truncated(c, st->field) : bad(c, st->field, "malformed varint");
        if (x < 0 || x >= st->nsym) return bad(c, st->field, "enum index %lld out of range (%d symbols)", (long long)x, st->nsym);
        if (v) v->s = st->sym[x], v->n = (int32_t)strlen(st->sym[x]), v->null = 0;
        return 0;
    case W_UNION:
        if (rd_long(c, &x, &why)) return why == 1 ? truncated(c, st->field) : bad(c, st->field, "malformed varint");
        if (x < 0 || x >= st->nbranch) return bad(c, st->field, "union branch %lld out of range (the writer's union has %d)", (long long)x, st->nbranch);
        return run_step(c, &st->branch[x], row);
    case W_SKIP:
        return skip_schema(c, st->skip, st->field, 0);
    case W_RECORD:
    case W_ARRAY:
    case W_MAP:
        if (!v) return skip_schema(c, st->skip, st->field, 0);
        return run_nested(c, st, v);
    case W_FAIL:
        if (!v) return skip_schema(c, st->skip, st->field, 0);
        str_errf(c->err, c->errlen, "%s", st->fail);
        return -1;
    }
    return 0;
}

/* Runs a program from the cursor on: every slot of row set. */
static int run_program(const CavroProgram *p, Cur *c, Value *row)
{
    const CavroReader *r = p->r;
    for (int i = 0; i < r->nf; i++)
        if (r->f[i].slot >= 0) {
            Value *v = &row[r->f[i].slot];
            v->i = 0;
            v->n = 0;
            v->null = 1;
        }
    for (int i = 0; i < p->nsteps; i++)
        if (run_step(c, &p->steps[i], row)) return -1;
    return 0;
}

/* The cursor at the start of buf (pos is left as it is: filled before use). */
static inline void cur_init(Cur *c, const char *buf, size_t len, Arena *arena, char *err, size_t errlen)
{
    c->p = c->base = (const uint8_t *)buf;
    c->end = (const uint8_t *)buf + len;
    c->err = err;
    c->errlen = errlen;
    c->arena = arena;
    c->depth = 0;
}

int cavro_decode(CavroProgram *p, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen)
{
    /* strings point into buf; only nested values are built in the arena */
    Cur c;
    cur_init(&c, buf, len, arena, err, errlen);
    if (run_program(p, &c, row)) return -1;
    if (c.p != c.end) {
        str_errf(err, errlen, "%zu bytes left over after the Avro record (%zu bytes): the writer's schema does not describe the data",
                (size_t)(c.end - c.p), len);
        return -1;
    }
    return 0;
}

/* ---- Debezium's envelope ------------------------------------------------------------- */

/* One field of the writer's envelope, in its order. */
typedef struct EnvField {
    int           role;   /* 0 skip, 1 before, 2 after, 3 op */
    avro_schema_t schema; /* its schema (skip; a reference held by the envelope's writer schema) */
    int           nullbr; /* before/after: the union branch that is null, -1 = not a union */
    int           recbr;  /* before/after in a union: the branch that is the row */
    CavroProgram *prog;   /* before/after: the row's program */
} EnvField;

struct CavroEnvelope {
    avro_schema_t ws;     /* the writer's envelope schema */
    EnvField     *f;      /* its fields */
    int           nf;     /* count */
};

void cavro_envelope_free(CavroEnvelope *e)
{
    if (!e) return;
    for (int i = 0; i < e->nf; i++) cavro_program_free(e->f[i].prog);
    free(e->f);
    if (e->ws) avro_schema_decref(e->ws);
    free(e);
}

/* The JSON object of the row record of an image field's type: the record
 * itself, or the record branch of a union; a name reference (Debezium's
 * "after" refers to the record "before" defined) is looked up in defs. */
static const json_t *image_record_json(const json_t *type, const json_t *const *defs, int ndefs)
{
    if (json_is_array(type)) {
        for (size_t i = 0; i < json_array_size(type); i++) {
            const json_t *b = json_array_get(type, i);
            if (!(json_is_string(b) && strcmp(json_string_value(b), "null") == 0)) return image_record_json(b, defs, ndefs);
        }
        return NULL;
    }
    if (json_is_object(type)) return type;
    if (!json_is_string(type)) return NULL;
    const char *name = json_string_value(type);
    for (int i = 0; i < ndefs; i++) {
        const json_t *nm = json_object_get(defs[i], "name"), *ns = json_object_get(defs[i], "namespace");
        if (!json_is_string(nm)) continue;
        char full[512];
        if (json_is_string(ns) && !strchr(json_string_value(nm), '.'))
            snprintf(full, sizeof full, "%s.%s", json_string_value(ns), json_string_value(nm));
        else snprintf(full, sizeof full, "%s", json_string_value(nm));
        const char *dot = strrchr(full, '.');
        if (strcmp(full, name) == 0 || (!strchr(name, '.') && dot && strcmp(dot + 1, name) == 0)) return defs[i];
    }
    return NULL;
}

CavroEnvelope *cavro_envelope_new(const CavroReader *r, const char *writer, size_t len, char *err, size_t errlen)
{
    CavroEnvelope *e = calloc(1, sizeof *e);
    if (!e) abort();
    json_t *wj = NULL;
    if (parse_both(writer, len, &e->ws, &wj, err, errlen)) goto fail;
    if (avro_typeof(e->ws) != AVRO_RECORD) {
        str_errf(err, errlen, "the writer's schema is a %s, not Debezium's envelope record (before, after, op, …)",
                 avro_schema_type_name(e->ws));
        goto fail;
    }
    e->nf = (int)avro_schema_record_size(e->ws);
    e->f = calloc((size_t)e->nf + 1, sizeof *e->f);
    if (!e->f) abort();
    const json_t *defs[2];
    int ndefs = 0;
    bool have[4] = {false};
    for (int i = 0; i < e->nf; i++) {
        const char *name = avro_schema_record_field_name(e->ws, i);
        EnvField *f = &e->f[i];
        f->schema = avro_schema_record_field_get_by_index(e->ws, i);
        f->nullbr = f->recbr = -1;
        f->role = strcmp(name, "before") == 0 ? 1 : strcmp(name, "after") == 0 ? 2 : strcmp(name, "op") == 0 ? 3 : 0;
        if (f->role == 3) {
            if (avro_typeof(deref(f->schema)) != AVRO_STRING) {
                str_errf(err, errlen, "the envelope's field 'op' is a %s, not a string", avro_schema_type_name(deref(f->schema)));
                goto fail;
            }
        } else if (f->role) {
            avro_schema_t s = deref(f->schema);
            avro_schema_t rec = s;
            if (avro_typeof(s) == AVRO_UNION) {
                rec = NULL;
                for (size_t b = 0; b < avro_schema_union_size(s); b++) {
                    avro_schema_t bs = deref(avro_schema_union_branch(s, (int)b));
                    if (avro_typeof(bs) == AVRO_NULL) f->nullbr = (int)b;
                    else if (avro_typeof(bs) == AVRO_RECORD && !rec) rec = bs, f->recbr = (int)b;
                }
            }
            const json_t *rj = image_record_json(field_type_json(wj, (size_t)i), defs, ndefs);
            if (!rec || avro_typeof(rec) != AVRO_RECORD || !rj) {
                str_errf(err, errlen, "the envelope's field '%s' is not a row record (or null)", name);
                goto fail;
            }
            if (ndefs < 2) defs[ndefs++] = rj;
            char *text = json_dumps(rj, JSON_COMPACT);
            char why[400];
            f->prog = text ? cavro_program_new(r, text, strlen(text), why, sizeof why) : NULL;
            free(text);
            if (!f->prog) {
                str_errf(err, errlen, "'%s': %s", name, why);
                goto fail;
            }
        }
        have[f->role] = true;
    }
    if (!have[1] || !have[2] || !have[3]) {
        str_errf(err, errlen, "the writer's schema is not Debezium's envelope: it has no field '%s'",
                 !have[1] ? "before" : !have[2] ? "after" : "op");
        goto fail;
    }
    json_decref(wj);
    return e;
fail:
    json_decref(wj);
    cavro_envelope_free(e);
    return NULL;
}

int cavro_envelope_decode(CavroEnvelope *e, const char *buf, size_t len, Value *before, Value *after, bool *has_before,
                          bool *has_after, const char **op, size_t *oplen, Arena *arena, char *err, size_t errlen)
{
    Cur c;
    cur_init(&c, buf, len, arena, err, errlen);
    *has_before = *has_after = false;
    *op = NULL;
    *oplen = 0;
    for (int i = 0; i < e->nf; i++) {
        const EnvField *f = &e->f[i];
        const char *name = f->role == 1 ? "before" : f->role == 2 ? "after" : f->role == 3 ? "op" : "";
        int64_t x;
        switch (f->role) {
        case 0:
            if (skip_schema(&c, f->schema, avro_schema_record_field_name(e->ws, i), 0)) return -1;
            break;
        case 1:
        case 2: {
            if (f->nullbr >= 0 || f->recbr >= 0) {
                if (rd_long_f(&c, name, &x)) return -1;
                if (x == f->nullbr) break;   /* null: no image */
                if (x != f->recbr) return bad(&c, name, "union branch %lld is neither null nor the row", (long long)x);
            }
            if (run_program(f->prog, &c, f->role == 1 ? before : after)) return -1;
            *(f->role == 1 ? has_before : has_after) = true;
            break;
        }
        case 3:
            if (rd_long_f(&c, name, &x)) return -1;
            if (x < 0) return bad(&c, name, "negative length %lld", (long long)x);
            if (x > c.end - c.p) return truncated(&c, name);
            *op = (const char *)c.p;
            *oplen = (size_t)x;
            c.p += x;
            break;
        }
    }
    if (c.p != c.end) {
        str_errf(err, errlen, "%zu bytes left over after the Avro record (%zu bytes): the writer's schema does not describe the data",
                 (size_t)(c.end - c.p), len);
        return -1;
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------------------ */

struct CavroEncoder {
    JsonField *f;         /* columns (names owned) */
    int        nf;        /* count */
    char      *schema;    /* the writer schema */
};

CavroEncoder *cavro_encoder_new(const JsonField *fields, int n, const char *fullname, char *err, size_t errlen)
{
    StrBuf b = {0};
    if (cavro_schema_of_columns(fields, n, fullname, &b, err, errlen)) {
        sb_free(&b);
        return NULL;
    }
    /* Our own text must be a schema avro-c accepts. */
    if (cavro_schema_check(b.s, b.len, err, errlen)) {
        sb_free(&b);
        return NULL;
    }
    CavroEncoder *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->schema = sb_take(&b);
    e->nf = n;
    e->f = calloc((size_t)n + 1, sizeof *e->f);
    if (!e->f) abort();
    for (int i = 0; i < n; i++) {
        e->f[i] = fields[i];
        e->f[i].name = str_dup(fields[i].name);
    }
    return e;
}

void cavro_encoder_free(CavroEncoder *e)
{
    if (!e) return;
    for (int i = 0; i < e->nf; i++) free((char *)e->f[i].name);
    free(e->f);
    free(e->schema);
    free(e);
}

const char *cavro_encoder_schema(const CavroEncoder *e) { return e->schema; }

int cavro_encoder_rename(CavroEncoder *e, const char *fullname, char *err, size_t errlen)
{
    StrBuf b = {0};
    if (cavro_schema_of_columns(e->f, e->nf, fullname, &b, err, errlen) || cavro_schema_check(b.s, b.len, err, errlen)) {
        sb_free(&b);
        return -1;
    }
    free(e->schema);
    e->schema = sb_take(&b);
    return 0;
}

int cavro_schema_fullname(const char *schema, char *buf, size_t n)
{
    avro_schema_t s;
    if (avro_schema_from_json_length(schema, strlen(schema), &s)) return -1;
    int rc = -1;
    if (avro_typeof(s) == AVRO_RECORD) {
        full_name(s, buf, n);
        rc = 0;
    }
    avro_schema_decref(s);
    return rc;
}

static inline uint8_t *put_long(uint8_t *o, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z >= 0x80) {
        *o++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *o++ = (uint8_t)z;
    return o;
}

/* Minimal big-endian two's complement of x (Java's BigInteger.toByteArray). */
static int decimal_bytes(int64_t x, uint8_t out[8])
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)x >> (56 - 8 * i));
    int k = 0;
    while (k < 7 && ((b[k] == 0x00 && !(b[k + 1] & 0x80)) || (b[k] == 0xff && (b[k + 1] & 0x80)))) k++;
    memcpy(out, b + k, (size_t)(8 - k));
    return 8 - k;
}

static void enc_value(StrBuf *out, Type t, const Value *v);

/* A non-NULL nested value: a record's fields in order, an array's or a
 * map's items in one block (count, items, 0; no block at all when empty). */
static void enc_nested(StrBuf *out, Type t, const Value *v)
{
    NestedIter it;
    int n = nested_open(&it, t, v);
    uint8_t tmp[ROWKEY_VARINT_MAX];
    if (n < 0) n = 0;   /* not a nested value of t: written as an empty one (cannot happen for a value eddy built) */
    if (t.kind != TY_ROW && n > 0) sb_putn(out, (const char *)tmp, (size_t)(put_long(tmp, t.kind == TY_MAP ? n / 2 : n) - tmp));
    for (int i = 0; i < n; i++) {
        Value e;
        if (nested_next(&it, &e)) e = (Value){.null = 1};
        Type et = type_elem(t, i);
        if (t.kind == TY_MAP && !(i & 1)) et.nullable = 0;   /* an Avro map key is a plain string */
        enc_value(out, et, &e);
    }
    if (t.kind == TY_ROW && n < t.nest->n)   /* bad bytes: the missing fields as NULLs / zeros */
        for (int i = n; i < t.nest->n; i++) enc_value(out, t.nest->types[i], &(Value){.null = 1});
    if (t.kind != TY_ROW) sb_putc(out, 0);   /* the end of the blocks */
}

/* One value of type t: the union branch when t is nullable, then the value. */
static void enc_value(StrBuf *out, Type t, const Value *v)
{
    uint8_t tmp[64];
    uint8_t *o = tmp;
    bool null = v->null;
    if (t.nullable && t.kind != TY_NULL) {
        *o++ = null ? 0 : 2;   /* union branch 0 (null) or 1 (the value), zig-zag */
        if (null) {
            sb_putn(out, (const char *)tmp, 1);
            return;
        }
    }
    int64_t iv = null ? 0 : v->i;
    double dv = null ? 0 : v->d;
    switch ((TypeKind)t.kind) {
    case TY_BOOLEAN: *o++ = iv ? 1 : 0; break;
    case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_DATE:
        o = put_long(o, iv);
        break;
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ:
        o = put_long(o, t.precision <= 3 ? iv : iv * 1000);
        break;
    case TY_FLOAT: {
        float fv = (float)dv;
        memcpy(o, &fv, 4);
        o += 4;
        break;
    }
    case TY_DOUBLE:
        memcpy(o, &dv, 8);
        o += 8;
        break;
    case TY_DECIMAL: {
        uint8_t b[8];
        int n = decimal_bytes(iv, b);
        o = put_long(o, n);
        memcpy(o, b, (size_t)n);
        o += n;
        break;
    }
    case TY_STRING:
    case TY_BYTES: {
        int64_t n = null || v->n < 0 ? 0 : v->n;
        o = put_long(o, n);
        sb_putn(out, (const char *)tmp, (size_t)(o - tmp));
        if (n) sb_putn(out, v->s, (size_t)n);
        return;
    }
    case TY_ROW:
    case TY_ARRAY:
    case TY_MAP:
        sb_putn(out, (const char *)tmp, (size_t)(o - tmp));
        if (null) {   /* NULL in a NOT NULL nested column: the empty value */
            if (t.kind == TY_ROW)
                for (int i = 0; i < t.nest->n; i++) enc_value(out, t.nest->types[i], &(Value){.null = 1});
            else sb_putc(out, 0);
            return;
        }
        enc_nested(out, t, v);
        return;
    default: break;   /* null: nothing */
    }
    sb_putn(out, (const char *)tmp, (size_t)(o - tmp));
}

void cavro_encode(const CavroEncoder *e, const Value *row, StrBuf *out)
{
    for (int i = 0; i < e->nf; i++) enc_value(out, e->f[i].type, &row[e->f[i].slot]);
}
