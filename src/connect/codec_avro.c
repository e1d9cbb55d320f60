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
 */
#include "strbuf.h"
#include "codec_avro.h"

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

/* The non-null Avro type of a column, as JSON.  -1 when it has none. */
static int type_json(StrBuf *b, Type t)
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
    default: return -1;
    }
}

/* "name": the type, with ["null", T] and default null when nullable. */
static int field_json(StrBuf *b, const char *name, Type t)
{
    sb_puts(b, "{\"name\":");
    sb_json_str(b, name);
    sb_puts(b, ",\"type\":");
    bool nullable = t.nullable && t.kind != TY_NULL;
    if (nullable) sb_puts(b, "[\"null\",");
    if (type_json(b, t)) return -1;
    if (nullable) sb_puts(b, "],\"default\":null");
    sb_putc(b, '}');
    return 0;
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

int cavro_schema_of_columns(const JsonField *fields, int n, const char *fullname, StrBuf *out, char *err, size_t errlen)
{
    record_head(out, fullname);
    for (int i = 0; i < n; i++) {
        if (!avro_name_ok(fields[i].name)) {
            str_errf(err, errlen, "column '%s' is not a valid Avro field name (letters, digits and '_', not starting with a digit)",
                    fields[i].name);
            return -1;
        }
        if (i) sb_putc(out, ',');
        if (field_json(out, fields[i].name, fields[i].type)) {
            str_errf(err, errlen, "column '%s': type %s has no Avro form", fields[i].name,
                    type_kind_name((TypeKind)fields[i].type.kind));
            return -1;
        }
    }
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

/* ---- Avro → SQL (Flink's AvroSchemaConverter.convertToDataType) -------------------- */

/* The SQL type of a non-union Avro type; false when eddy has none. */
static bool sql_type_of(avro_schema_t s, const json_t *j, Type *t)
{
    s = deref(s);
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
    default: return false;
    }
}

/* A field's type: T, ["null", T] or [T, "null"]. */
static bool sql_field_type(avro_schema_t s, const json_t *j, Type *t)
{
    s = deref(s);
    if (avro_typeof(s) != AVRO_UNION) return sql_type_of(s, j, t);
    size_t nb = avro_schema_union_size(s);
    int value = -1, nulls = 0;
    for (size_t k = 0; k < nb; k++) {
        avro_schema_t b = deref(avro_schema_union_branch(s, (int)k));
        if (avro_typeof(b) == AVRO_NULL) nulls++;
        else if (value < 0) value = (int)k;
        else return false;   /* a real union: no SQL type */
    }
    if (value < 0 || nulls != 1) return false;
    if (!sql_type_of(avro_schema_union_branch(s, value), json_is_array(j) ? json_array_get(j, (size_t)value) : NULL, t)) return false;
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

/* The "type" of the i-th field of a record schema's JSON, or NULL. */
static const json_t *field_type_json(const json_t *rec, size_t i)
{
    const json_t *fs = json_object_get(rec, "fields");
    return json_object_get(json_array_get(fs, i), "type");
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
        size_t nf = avro_schema_record_size(s);
        for (size_t i = 0; i < nf; i++) {
            Type t;
            const char *name = avro_schema_record_field_name(s, (int)i);
            if (!sql_field_type(avro_schema_record_field_get_by_index(s, (int)i), field_type_json(j, i), &t)) continue;
            if (ncols++) sb_puts(out, ", ");
            sb_putc(out, '`');
            sb_puts(out, name);
            sb_puts(out, "` ");
            type_print(out, t);
        }
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
    avro_schema_t skip;   /* W_SKIP: the schema to skip (a reference held by the program) */
    const char *fail;     /* W_FAIL: why */
};

struct CavroProgram {
    const CavroReader *r; /* the reader */
    Arena       arena;    /* steps, names, symbols */
    Step       *steps;    /* in the writer's field order (one for a non-record writer) */
    int         nsteps;   /* count */
    avro_schema_t ws;     /* writer schema (kept for W_SKIP steps) */
};

static bool is_string_like(avro_type_t t) { return t == AVRO_STRING || t == AVRO_BYTES || t == AVRO_FIXED || t == AVRO_ENUM; }

/* Compiles one writer value (non-union) into the column `col` at `slot`.
 * Returns 0, or -1 with why the pair cannot resolve (only possible for a
 * union branch: avro-c has accepted the pair as a whole). */
static int compile_scalar(CavroProgram *p, avro_schema_t s, const json_t *j, const JsonField *col, Step *st, char *err, size_t errlen)
{
    s = deref(s);
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
    if (nullable) sb_puts(b, "[\"null\",");
    type_json(b, col);
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
    json_decref(wj);
    sb_free(&rb);
    return p;
fail:
    if (eff) avro_schema_decref(eff);
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

typedef struct Cur {
    const uint8_t *p;     /* next byte */
    const uint8_t *base;  /* first byte of the body */
    const uint8_t *end;   /* one past the last */
    char          *err;   /* message buffer */
    size_t         errlen;/* its size */
} Cur;

static int truncated(Cur *c, const char *field)
{
    str_errf(c->err, c->errlen, "truncated Avro record: field '%s' runs past the end (%zu bytes)", field, (size_t)(c->end - c->base));
    return -1;
}

static int bad(Cur *c, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(Cur *c, const char *field, const char *fmt, ...)
{
    char m[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    str_errf(c->err, c->errlen, "field '%s': %s at byte %zu", field, m, (size_t)(c->p - c->base));
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

int cavro_decode(CavroProgram *p, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen)
{
    (void)arena;   /* strings point into buf: nothing is copied */
    Cur c = {(const uint8_t *)buf, (const uint8_t *)buf, (const uint8_t *)buf + len, err, errlen};
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
                          bool *has_after, const char **op, size_t *oplen, char *err, size_t errlen)
{
    Cur c = {(const uint8_t *)buf, (const uint8_t *)buf, (const uint8_t *)buf + len, err, errlen};
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

void cavro_encode(const CavroEncoder *e, const Value *row, StrBuf *out)
{
    uint8_t tmp[64];
    for (int i = 0; i < e->nf; i++) {
        const JsonField *f = &e->f[i];
        const Value *v = &row[f->slot];
        Type t = f->type;
        uint8_t *o = tmp;
        bool null = v->null;
        if (t.nullable && t.kind != TY_NULL) {
            *o++ = null ? 0 : 2;   /* union branch 0 (null) or 1 (the value), zig-zag */
            if (null) {
                sb_putn(out, (const char *)tmp, 1);
                continue;
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
            continue;
        }
        default: break;   /* null: nothing */
        }
        sb_putn(out, (const char *)tmp, (size_t)(o - tmp));
    }
}
