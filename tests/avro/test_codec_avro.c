/*
 * test_codec_avro.c — the Avro body codec (codec_avro.c): encode → decode
 * round trips for every column type, nullable and not, through the
 * compiled decoder (avro-c's generic one, once a second mode to check it
 * against, is gone from eddy: it hung on a 34-byte body); Flink's type mapping in both
 * directions; schema resolution (promotions, added and removed fields,
 * unions, enums, fixed, nested types skipped, decimal rescaling, timestamp
 * units); every kind of malformed body; and a mutation fuzz that must
 * never crash.  ctest: avro/codec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_avro.h"

/* ---- helpers ------------------------------------------------------------------ */

static Type ty(TypeKind k, bool nullable) { return type_make(k, nullable); }

static Type ts_type(TypeKind k, int p, bool nullable)
{
    Type t = type_make(k, nullable);
    t.precision = (unsigned char)p;
    return t;
}

static bool value_same(Type t, const Value *a, const Value *b)
{
    if (a->null || b->null) return a->null == b->null;
    switch ((TypeKind)t.kind) {
    case TY_FLOAT:
    case TY_DOUBLE:
        return memcmp(&a->d, &b->d, sizeof a->d) == 0 || (isnan(a->d) && isnan(b->d));
    case TY_STRING:
    case TY_BYTES:
        return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, (size_t)a->n) == 0);
    default:
        return a->i == b->i;
    }
}

/* Decodes body with the program for writer; returns its rc (-2: no program). */
static int decode_both(const CavroReader *r, const char *writer, const char *body, size_t len, Value *row, int nrow, Arena *a,
                       char *err, size_t errlen)
{
    (void)nrow;
    char e1[400] = "";
    CavroProgram *pc = cavro_program_new(r, writer, writer ? strlen(writer) : 0, e1, sizeof e1);
    if (!pc) {
        snprintf(err, errlen, "%s", e1);
        return -2;
    }
    int rc1 = cavro_decode(pc, body, len, row, a, e1, sizeof e1);
    snprintf(err, errlen, "%s", e1);
    cavro_program_free(pc);
    return rc1;
}

/* ---- round trips ------------------------------------------------------------------ */

typedef struct Case {
    Type  t;              /* column type (nullable flag set per run) */
    Value v[6];           /* values to round-trip */
    int   nv;             /* count */
} Case;

static void round_trip_case(Case *c, bool nullable)
{
    Type t = c->t;
    t.nullable = nullable;
    /* The column between two BIGINT sentinels: misaligned bytes would show. */
    JsonField f[3] = {{"pre", ty(TY_BIGINT, false), 0}, {"v", t, 1}, {"post", ty(TY_BIGINT, false), 2}};
    char err[400];
    CavroEncoder *enc = cavro_encoder_new(f, 3, NULL, err, sizeof err);
    assert_non_null(enc);
    CavroReader *rd = cavro_reader_new(f, 3, err, sizeof err);
    assert_non_null(rd);
    CavroProgram *pc = cavro_program_new(rd, NULL, 0, err, sizeof err);
    assert_non_null(pc);
    Arena a;
    arena_init(&a, 1024);
    for (int i = 0; i <= c->nv; i++) {
        if (i == c->nv && !nullable) break;
        Value in[3] = {{.i = -7}, {.null = 1}, {.i = INT64_MAX}};
        if (i < c->nv) in[1] = c->v[i];
        StrBuf b = {0};
        cavro_encode(enc, in, &b);
        Value out[3];
        memset(out, 0xab, sizeof out);
        int rc = cavro_decode(pc, b.s, b.len, out, &a, err, sizeof err);
        if (rc) fail_msg("type %s%s value %d: %s", type_kind_name((TypeKind)t.kind), nullable ? "" : " NOT NULL", i, err);
        assert_int_equal(out[0].i, -7);
        assert_int_equal(out[2].i, INT64_MAX);
        if (!value_same(t, &in[1], &out[1])) fail_msg("type %s value %d did not round-trip", type_kind_name((TypeKind)t.kind), i);
        sb_free(&b);
    }
    arena_free(&a);
    cavro_program_free(pc);
    cavro_reader_free(rd);
    cavro_encoder_free(enc);
}

static void test_round_trip_every_type(void **state)
{
    (void)state;
    static const char bytes[] = {0, 1, 2, (char)0xff, 0};
    Case cases[] = {
        {ty(TY_BOOLEAN, 0), {{.i = 0}, {.i = 1}}, 2},
        {ty(TY_TINYINT, 0), {{.i = -128}, {.i = 0}, {.i = 127}}, 3},
        {ty(TY_SMALLINT, 0), {{.i = -32768}, {.i = 32767}}, 2},
        {ty(TY_INT, 0), {{.i = INT32_MIN}, {.i = -1}, {.i = 0}, {.i = INT32_MAX}}, 4},
        {ty(TY_BIGINT, 0), {{.i = INT64_MIN}, {.i = -1}, {.i = 63}, {.i = 64}, {.i = INT64_MAX}}, 5},
        {ty(TY_FLOAT, 0), {{.d = 0.5}, {.d = -3.25}, {.d = 0x1p100}, {.d = INFINITY}}, 4},
        {ty(TY_DOUBLE, 0), {{.d = 0.1}, {.d = -0.0}, {.d = 1e-300}, {.d = NAN}, {.d = -INFINITY}}, 5},
        {type_decimal(10, 2, 0), {{.i = 0}, {.i = 12345}, {.i = -1}, {.i = -12800}, {.i = 9999999999}}, 5},
        {type_decimal(18, 4, 0), {{.i = 999999999999999999}, {.i = -999999999999999999}, {.i = 128}, {.i = -129}}, 4},
        {type_decimal(38, 0, 0), {{.i = 1}, {.i = -999999999999999999}}, 2},
        {ty(TY_STRING, 0), {{.s = "", .n = 0}, {.s = "eu-west", .n = 7}, {.s = "\xc3\xa9t\xc3\xa9", .n = 6}}, 3},
        {ty(TY_BYTES, 0), {{.s = bytes, .n = 5}, {.s = "", .n = 0}}, 2},
        {ty(TY_DATE, 0), {{.i = 0}, {.i = -719162}, {.i = 19723}}, 3},
        {ts_type(TY_TIMESTAMP, 3, 0), {{.i = 0}, {.i = -1}, {.i = 1700000000123}}, 3},
        {ts_type(TY_TIMESTAMP, 6, 0), {{.i = -62135596800000}, {.i = 1700000000123}}, 2},
        {ts_type(TY_TIMESTAMP_LTZ, 3, 0), {{.i = 1700000000999}, {.i = -1000}}, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        round_trip_case(&cases[i], false);
        round_trip_case(&cases[i], true);
    }
}

/* A row of every type at once, all NULL, then all set. */
static void test_round_trip_wide_row(void **state)
{
    (void)state;
    JsonField f[] = {
        {"b", ty(TY_BOOLEAN, 1), 0},      {"i", ty(TY_INT, 1), 1},        {"l", ty(TY_BIGINT, 1), 2},
        {"f", ty(TY_FLOAT, 1), 3},        {"d", ty(TY_DOUBLE, 1), 4},     {"m", type_decimal(12, 3, 1), 5},
        {"s", ty(TY_STRING, 1), 6},       {"y", ty(TY_BYTES, 1), 7},      {"dt", ty(TY_DATE, 1), 8},
        {"ts", ts_type(TY_TIMESTAMP, 3, 1), 9},
    };
    int n = (int)(sizeof f / sizeof f[0]);
    char err[400];
    CavroEncoder *enc = cavro_encoder_new(f, n, "x.y.Wide", err, sizeof err);
    assert_non_null(enc);
    assert_non_null(strstr(cavro_encoder_schema(enc), "\"name\":\"Wide\",\"namespace\":\"x.y\""));
    CavroReader *rd = cavro_reader_new(f, n, err, sizeof err);
    Arena a;
    arena_init(&a, 1024);
    Value in[10], out[10];
    for (int k = 0; k < n; k++) in[k] = (Value){.null = 1};
    StrBuf b = {0};
    cavro_encode(enc, in, &b);
    assert_int_equal(b.len, 10);   /* one union index byte each */
    assert_int_equal(decode_both(rd, NULL, b.s, b.len, out, n, &a, err, sizeof err), 0);
    for (int k = 0; k < n; k++) assert_true(out[k].null);
    in[0] = (Value){.i = 1};
    in[1] = (Value){.i = -5};
    in[2] = (Value){.i = 1LL << 40};
    in[3] = (Value){.d = 2.5};
    in[4] = (Value){.d = 801.7};
    in[5] = (Value){.i = -123456};
    in[6] = (Value){.s = "hello", .n = 5};
    in[7] = (Value){.s = "\0\1", .n = 2};
    in[8] = (Value){.i = 20000};
    in[9] = (Value){.i = 1234567};
    b.len = 0;
    cavro_encode(enc, in, &b);
    assert_int_equal(decode_both(rd, NULL, b.s, b.len, out, n, &a, err, sizeof err), 0);
    for (int k = 0; k < n; k++)
        if (!value_same(f[k].type, &in[k], &out[k])) fail_msg("column %s", f[k].name);
    sb_free(&b);
    arena_free(&a);
    cavro_reader_free(rd);
    cavro_encoder_free(enc);
}

/* ---- Flink's type mapping ---------------------------------------------------------- */

static void test_schema_of_columns(void **state)
{
    (void)state;
    JsonField f[] = {
        {"region", ty(TY_STRING, 0), 0},
        {"total", ty(TY_BIGINT, 1), 1},
        {"amount", type_decimal(10, 2, 1), 2},
        {"day", ty(TY_DATE, 0), 3},
        {"at", ts_type(TY_TIMESTAMP_LTZ, 3, 1), 4},
        {"small", ty(TY_SMALLINT, 0), 5},
    };
    StrBuf b = {0};
    char err[300];
    assert_int_equal(cavro_schema_of_columns(f, 6, NULL, &b, err, sizeof err), 0);
    assert_string_equal(b.s,
        "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.flink.avro.generated\",\"fields\":["
        "{\"name\":\"region\",\"type\":\"string\"},"
        "{\"name\":\"total\",\"type\":[\"null\",\"long\"],\"default\":null},"
        "{\"name\":\"amount\",\"type\":[\"null\",{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}],\"default\":null},"
        "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
        "{\"name\":\"at\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}],\"default\":null},"
        "{\"name\":\"small\",\"type\":\"int\"}]}");
    sb_free(&b);
    JsonField bad = {"avg order", ty(TY_DOUBLE, 1), 0};
    assert_int_equal(cavro_schema_of_columns(&bad, 1, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "'avg order' is not a valid Avro field name"));
    sb_free(&b);
}

static const char *W_SCHEMA =
    "{\"type\":\"record\",\"name\":\"W\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "{\"name\":\"color\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\"]}},"
    "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"H\",\"size\":4}},"
    "{\"name\":\"inner\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":[\"null\",\"string\"]}]}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"long\",\"string\"]},"
    "{\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":6,\"scale\":2}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"maybe\",\"type\":[{\"type\":\"int\",\"logicalType\":\"date\"},\"null\"]},"
    "{\"name\":\"id\",\"type\":\"long\"}]}";

/* One record of W_SCHEMA, written by hand. */
static const unsigned char W_BODY[] = {
    0x04, 0x02, 'a', 0x04, 'b', 'c', 0x00,        /* tags: block of 2, end */
    0x01, 0x06, 0x02, 'k', 0x0a, 0x00,            /* attrs: block of -1 items in 3 bytes {"k": 5}, end */
    0x02,                                         /* color: GREEN */
    0xde, 0xad, 0xbe, 0xef,                       /* hash */
    0x06, 0x02, 0x02, 'z',                        /* inner: x = 3, y = "z" */
    0x02, 0x0e,                                   /* u: branch 1 (long) 7 */
    0x04, 0x04, 0xd2,                             /* price: 2 bytes, 1234 = 12.34 */
    0xb8, 0x17,                                   /* ts: 1500 µs */
    0x02,                                         /* maybe: branch 1 (null) */
    0x54,                                         /* id: 42 */
};

static void test_schema_to_columns(void **state)
{
    (void)state;
    StrBuf b = {0};
    char err[300];
    assert_int_equal(cavro_schema_to_columns(W_SCHEMA, strlen(W_SCHEMA), &b, err, sizeof err), 9);
    assert_string_equal(b.s, "`tags` ARRAY<STRING NOT NULL> NOT NULL, `attrs` MAP<STRING NOT NULL, BIGINT NOT NULL> NOT NULL, "
                             "`color` STRING NOT NULL, `hash` VARBINARY(4) NOT NULL, "
                             "`inner` ROW<`x` INT NOT NULL, `y` STRING> NOT NULL, `price` DECIMAL(6, 2) NOT NULL, "
                             "`ts` TIMESTAMP(6) NOT NULL, `maybe` DATE, `id` BIGINT NOT NULL");
    sb_free(&b);
    const char *s2 = "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"double\"],\"default\":null},"
                     "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"f\",\"type\":\"float\"},"
                     "{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"ok\",\"type\":\"boolean\"},{\"name\":\"n\",\"type\":\"null\"},"
                     "{\"name\":\"id\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}}]}";
    assert_int_equal(cavro_schema_to_columns(s2, strlen(s2), &b, err, sizeof err), 6);
    assert_string_equal(b.s, "`a` DOUBLE, `t` TIMESTAMP(3) NOT NULL, `f` FLOAT NOT NULL, `i` INT NOT NULL, `ok` BOOLEAN NOT NULL, `id` STRING NOT NULL");
    sb_free(&b);
    assert_int_equal(cavro_schema_to_columns("\"long\"", 6, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a record"));
    assert_int_equal(cavro_schema_to_columns("{\"type\":\"recrod\"}", 17, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid Avro schema"));
    sb_free(&b);
}

/* ---- resolution ------------------------------------------------------------------- */

/* Writer W (hand-made) read into a few columns, in another order. */
static void test_resolve_complex_writer(void **state)
{
    (void)state;
    JsonField f[] = {
        {"id", ty(TY_BIGINT, 0), 0},   {"color", ty(TY_STRING, 1), 1},   {"hash", ty(TY_BYTES, 1), 2},
        {"price", type_decimal(8, 3, 1), 3}, {"ts", ts_type(TY_TIMESTAMP, 3, 1), 4}, {"u", ty(TY_BIGINT, 1), 5},
        {"maybe", ty(TY_DATE, 1), 6},  {"added", ty(TY_STRING, 1), 7},
    };
    char err[400];
    CavroReader *rd = cavro_reader_new(f, 8, err, sizeof err);
    Arena a;
    arena_init(&a, 1024);
    Value out[8];
    assert_int_equal(decode_both(rd, W_SCHEMA, (const char *)W_BODY, sizeof W_BODY, out, 8, &a, err, sizeof err), 0);
    assert_int_equal(out[0].i, 42);
    assert_int_equal(out[1].n, 5);
    assert_memory_equal(out[1].s, "GREEN", 5);
    assert_int_equal(out[2].n, 4);
    assert_memory_equal(out[2].s, "\xde\xad\xbe\xef", 4);
    assert_int_equal(out[3].i, 12340);   /* 12.34 at scale 3 */
    assert_int_equal(out[4].i, 1);       /* 1500 µs → 1 ms */
    assert_int_equal(out[5].i, 7);
    assert_true(out[6].null);
    assert_true(out[7].null);            /* not in the writer: NULL */

    /* u in its string branch cannot be a BIGINT: an error naming it, only for that record */
    unsigned char body[sizeof W_BODY + 1];
    size_t at = 22, n = 0;   /* offset of u's branch byte */
    memcpy(body, W_BODY, at);
    n = at;
    body[n++] = 0x04;        /* branch 2: string */
    body[n++] = 0x02;
    body[n++] = 'q';
    memcpy(body + n, W_BODY + at + 2, sizeof W_BODY - at - 2);
    n += sizeof W_BODY - at - 2;
    CavroProgram *p = cavro_program_new(rd, W_SCHEMA, strlen(W_SCHEMA), err, sizeof err);
    assert_non_null(p);
    assert_int_equal(cavro_decode(p, (const char *)body, n, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'u': Avro string cannot be read into a BIGINT column"));
    cavro_program_free(p);
    arena_free(&a);
    cavro_reader_free(rd);
}

/* Encodes one row of `wf` (the writer's columns) and reads it as `rf`. */
static int evolve(const JsonField *wf, int nw, const Value *in, const JsonField *rf, int nr, Value *out, char *err, size_t errlen,
                  Arena *a)
{
    char e[400];
    CavroEncoder *enc = cavro_encoder_new(wf, nw, "t.R", e, sizeof e);
    assert_non_null(enc);
    StrBuf b = {0};
    cavro_encode(enc, in, &b);
    CavroReader *rd = cavro_reader_new(rf, nr, e, sizeof e);
    assert_non_null(rd);
    int rc = decode_both(rd, cavro_encoder_schema(enc), b.s ? b.s : "", b.len, out, nr, a, err, errlen);
    sb_free(&b);
    cavro_reader_free(rd);
    cavro_encoder_free(enc);
    return rc;
}

static void test_resolve_promotions_added_removed(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a, 1024);
    char err[400];
    JsonField wf[] = {
        {"a", ty(TY_INT, 0), 0}, {"gone", ty(TY_BIGINT, 1), 1}, {"c", ty(TY_FLOAT, 0), 2},
        {"d", ty(TY_STRING, 1), 3}, {"e", ty(TY_BIGINT, 0), 4}, {"g", ty(TY_INT, 1), 5},
    };
    Value in[] = {{.i = -70000}, {.i = 9}, {.d = 1.5}, {.s = "xy", .n = 2}, {.i = 1LL << 53}, {.i = 3}};
    JsonField rf[] = {
        {"e", ty(TY_DOUBLE, 0), 0}, {"a", ty(TY_BIGINT, 0), 1}, {"c", ty(TY_DOUBLE, 1), 2},
        {"new", ty(TY_STRING, 1), 3}, {"d", ty(TY_BYTES, 1), 4}, {"g", ty(TY_FLOAT, 1), 5},
    };
    Value out[6];
    assert_int_equal(evolve(wf, 6, in, rf, 6, out, err, sizeof err, &a), 0);
    assert_true(out[0].d == 9007199254740992.0);   /* long → double */
    assert_int_equal(out[1].i, -70000);            /* int → long */
    assert_true(out[2].d == 1.5);                  /* float → double */
    assert_true(out[3].null);                      /* added, nullable: NULL */
    assert_int_equal(out[4].n, 2);                 /* string → bytes */
    assert_true(out[5].d == 3.0);                  /* int → float */

    /* a NOT NULL column the writer lacks: no default */
    JsonField r2[] = {{"a", ty(TY_BIGINT, 0), 0}, {"must", ty(TY_STRING, 0), 1}};
    assert_int_equal(evolve(wf, 6, in, r2, 2, out, err, sizeof err, &a), -2);
    assert_non_null(strstr(err, "column 'must' is NOT NULL but the writer's schema has no field 'must'"));
    /* no promotion from string to long, nor long to int */
    JsonField r3[] = {{"d", ty(TY_BIGINT, 1), 0}};
    assert_int_equal(evolve(wf, 6, in, r3, 1, out, err, sizeof err, &a), -2);
    assert_non_null(strstr(err, "field 'd'"));
    JsonField r4[] = {{"e", ty(TY_INT, 1), 0}};
    assert_int_equal(evolve(wf, 6, in, r4, 1, out, err, sizeof err, &a), -2);
    /* a NULL into a NOT NULL column: an error for that record */
    JsonField r5[] = {{"gone", ty(TY_BIGINT, 0), 0}};
    Value in2[] = {{.i = 1}, {.null = 1}, {.d = 1}, {.null = 1}, {.i = 1}, {.null = 1}};
    assert_int_equal(evolve(wf, 6, in2, r5, 1, out, err, sizeof err, &a), -1);
    assert_non_null(strstr(err, "field 'gone': null for a NOT NULL column"));
    /* int into TINYINT: checked */
    JsonField r6[] = {{"a", ty(TY_TINYINT, 1), 0}};
    assert_int_equal(evolve(wf, 6, in, r6, 1, out, err, sizeof err, &a), -1);
    assert_non_null(strstr(err, "-70000 out of range for TINYINT"));
    arena_free(&a);
}

static void test_resolve_decimals_and_timestamps(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a, 1024);
    char err[400];
    JsonField wf[] = {{"m", type_decimal(10, 2, 0), 0}, {"t", ts_type(TY_TIMESTAMP, 6, 0), 1}};
    Value in[] = {{.i = -12345}, {.i = -1500}};   /* -123.45; -1.5 s in ms, written as micros */
    JsonField rf[] = {{"m", type_decimal(12, 4, 0), 0}, {"t", ts_type(TY_TIMESTAMP_LTZ, 3, 0), 1}};
    Value out[2];
    assert_int_equal(evolve(wf, 2, in, rf, 2, out, err, sizeof err, &a), 0);
    assert_int_equal(out[0].i, -1234500);
    assert_int_equal(out[1].i, -1500);
    JsonField r2[] = {{"m", type_decimal(10, 1, 0), 0}};
    assert_int_equal(evolve(wf, 2, in, r2, 1, out, err, sizeof err, &a), 0);
    assert_int_equal(out[0].i, -1235);   /* -123.45 → -123.5, HALF_UP */
    JsonField r3[] = {{"m", type_decimal(4, 2, 0), 0}};
    assert_int_equal(evolve(wf, 2, in, r3, 1, out, err, sizeof err, &a), -1);
    assert_non_null(strstr(err, "does not fit DECIMAL(4, 2)"));
    arena_free(&a);
}

/* A bare (non-record) writer schema fills a one-column side: Confluent keys. */
static void test_bare_writer(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a, 1024);
    char err[400];
    JsonField f = {"k", ty(TY_BIGINT, 0), 0};
    CavroReader *rd = cavro_reader_new(&f, 1, err, sizeof err);
    Value out[1];
    assert_int_equal(decode_both(rd, "\"int\"", "\x54", 1, out, 1, &a, err, sizeof err), 0);
    assert_int_equal(out[0].i, 42);
    cavro_reader_free(rd);
    JsonField two[] = {{"k", ty(TY_BIGINT, 0), 0}, {"j", ty(TY_BIGINT, 1), 1}};
    rd = cavro_reader_new(two, 2, err, sizeof err);
    assert_int_equal(decode_both(rd, "\"int\"", "\x54", 1, out, 2, &a, err, sizeof err), -2);
    assert_non_null(strstr(err, "not a record"));
    cavro_reader_free(rd);
    arena_free(&a);
}

static void test_schema_compatible(void **state)
{
    (void)state;
    char err[400];
    const char *v1 = "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\"}]}";
    const char *v2 = "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"double\"},"
                     "{\"name\":\"c\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
    const char *v3 = "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"c\",\"type\":\"string\"}]}";
    assert_int_equal(cavro_schema_compatible(v1, v2, err, sizeof err), 0);   /* v2 reads v1 */
    assert_int_equal(cavro_schema_compatible(v2, v1, err, sizeof err), -1);  /* v1 cannot read v2: b has no default, double → int */
    assert_int_equal(cavro_schema_compatible(v1, v3, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'c' is new and has no default"));
    assert_int_equal(cavro_schema_check("{\"type\":\"nope\"}", 15, err, sizeof err), -1);
}

/* ---- malformed bodies ------------------------------------------------------------- */

static void test_malformed(void **state)
{
    (void)state;
    JsonField f[] = {{"id", ty(TY_BIGINT, 0), 0}, {"color", ty(TY_STRING, 1), 1}, {"price", type_decimal(8, 3, 1), 2}};
    char err[400];
    CavroReader *rd = cavro_reader_new(f, 3, err, sizeof err);
    CavroProgram *p = cavro_program_new(rd, W_SCHEMA, strlen(W_SCHEMA), err, sizeof err);
    assert_non_null(p);
    Arena a;
    arena_init(&a, 1024);
    Value out[3];
    /* every truncation is an error, never a crash or a read past the end */
    for (size_t n = 0; n < sizeof W_BODY; n++) {
        unsigned char *copy = malloc(n + 1);   /* exactly n bytes: ASan sees any overread */
        memcpy(copy, W_BODY, n);
        err[0] = 0;
        if (cavro_decode(p, (const char *)copy, n, out, &a, err, sizeof err) != -1) fail_msg("prefix of %zu bytes decoded", n);
        assert_true(strstr(err, "truncated") || strstr(err, "left over") || strstr(err, "malformed"));
        free(copy);
    }
    assert_non_null(strstr(err, "truncated Avro record: field 'id'"));
    unsigned char longer[sizeof W_BODY + 1];
    memcpy(longer, W_BODY, sizeof W_BODY);
    longer[sizeof W_BODY] = 0;
    assert_int_equal(cavro_decode(p, (const char *)longer, sizeof longer, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "1 bytes left over"));
    /* a union branch beyond the writer's union */
    unsigned char bad[sizeof W_BODY];
    memcpy(bad, W_BODY, sizeof bad);
    bad[22] = 0x08;
    assert_int_equal(cavro_decode(p, (const char *)bad, sizeof bad, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "union branch 4 out of range"));
    /* an enum index beyond the symbols */
    memcpy(bad, W_BODY, sizeof bad);
    bad[13] = 0x06;
    assert_int_equal(cavro_decode(p, (const char *)bad, sizeof bad, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "enum index 3 out of range"));
    /* a negative string length inside the skipped array */
    memcpy(bad, W_BODY, sizeof bad);
    bad[1] = 0x01;
    assert_int_equal(cavro_decode(p, (const char *)bad, sizeof bad, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "negative length"));
    cavro_program_free(p);
    cavro_reader_free(rd);

    /* a varint of more than 10 bytes; a boolean byte of 2 */
    JsonField g[] = {{"l", ty(TY_BIGINT, 0), 0}, {"b", ty(TY_BOOLEAN, 0), 1}};
    rd = cavro_reader_new(g, 2, err, sizeof err);
    p = cavro_program_new(rd, NULL, 0, err, sizeof err);
    assert_int_equal(cavro_decode(p, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00", 12, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "malformed varint"));
    assert_int_equal(cavro_decode(p, "\x02\x02", 2, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid boolean byte 0x02"));
    assert_int_equal(cavro_decode(p, "\x02\x01", 2, out, &a, err, sizeof err), 0);
    cavro_program_free(p);
    cavro_reader_free(rd);
    arena_free(&a);
}

/* A time outside years 0000-9999 (INT64_MIN ms, as a hostile or broken
 * producer may write) is malformed input, as in JSON: eddy could not
 * print it back as text.  The bounds themselves decode. */
static void test_timestamp_range(void **state)
{
    (void)state;
    JsonField f[] = {{"t", ts_type(TY_TIMESTAMP_LTZ, 3, 0), 0}};
    char err[400];
    CavroReader *rd = cavro_reader_new(f, 1, err, sizeof err);
    CavroProgram *p = cavro_program_new(rd, NULL, 0, err, sizeof err);
    assert_non_null(p);
    Arena a;
    arena_init(&a, 1024);
    Value out[1];
    /* zig-zag varints: INT64_MIN is ff…ff 01; -62167219200000 and 253402300799999 in range */
    assert_int_equal(cavro_decode(p, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, out, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "-9223372036854775808 ms is outside years 0000-9999"));
    CavroEncoder *enc = cavro_encoder_new(f, 1, NULL, err, sizeof err);
    long long ok[] = {-62167219200000LL, 253402300799999LL}, bad[] = {-62167219200001LL, 253402300800000LL, INT64_MAX};
    for (int i = 0; i < 2; i++) {
        StrBuf b = {0};
        Value in = {.i = ok[i]};
        cavro_encode(enc, &in, &b);
        assert_int_equal(cavro_decode(p, b.s, b.len, out, &a, err, sizeof err), 0);
        assert_int_equal(out[0].i, ok[i]);
        sb_free(&b);
    }
    for (int i = 0; i < 3; i++) {
        StrBuf b = {0};
        Value in = {.i = bad[i]};
        cavro_encode(enc, &in, &b);
        assert_int_equal(cavro_decode(p, b.s, b.len, out, &a, err, sizeof err), -1);
        assert_non_null(strstr(err, "outside years 0000-9999"));
        sb_free(&b);
    }
    cavro_encoder_free(enc);
    cavro_program_free(p);
    cavro_reader_free(rd);
    arena_free(&a);
}

/* Random mutations of a valid body: errors are fine, crashes are not. */
static void test_mutation_fuzz(void **state)
{
    (void)state;
    JsonField f[] = {{"id", ty(TY_BIGINT, 0), 0}, {"color", ty(TY_STRING, 1), 1}, {"hash", ty(TY_BYTES, 1), 2},
                     {"price", type_decimal(8, 3, 1), 3}, {"u", ty(TY_BIGINT, 1), 4}, {"maybe", ty(TY_DATE, 1), 5}};
    char err[400];
    CavroReader *rd = cavro_reader_new(f, 6, err, sizeof err);
    CavroProgram *p = cavro_program_new(rd, W_SCHEMA, strlen(W_SCHEMA), err, sizeof err);
    assert_non_null(p);
    Arena a;
    arena_init(&a, 4096);
    uint64_t x = 88172645463325252ULL;
    int ok = 0;
    for (int it = 0; it < 50000; it++) {
        unsigned char buf[64];
        size_t n = sizeof W_BODY;
        memcpy(buf, W_BODY, n);
        int muts = 1 + (int)(x % 3);
        for (int m = 0; m < muts; m++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[x % n] = (unsigned char)(x >> 24);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x % 5 == 0) n = x % n;
        unsigned char *copy = malloc(n + 1);
        memcpy(copy, buf, n);
        Value out[6];
        ok += cavro_decode(p, (const char *)copy, n, out, &a, err, sizeof err) == 0;
        free(copy);
        if (it % 1000 == 0) {
            arena_free(&a);
            arena_init(&a, 4096);
        }
    }
    assert_true(ok > 0);
    arena_free(&a);
    cavro_program_free(p);
    cavro_reader_free(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_wide_row),
        cmocka_unit_test(test_schema_of_columns),
        cmocka_unit_test(test_schema_to_columns),
        cmocka_unit_test(test_resolve_complex_writer),
        cmocka_unit_test(test_resolve_promotions_added_removed),
        cmocka_unit_test(test_resolve_decimals_and_timestamps),
        cmocka_unit_test(test_timestamp_range),
        cmocka_unit_test(test_bare_writer),
        cmocka_unit_test(test_schema_compatible),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_mutation_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
