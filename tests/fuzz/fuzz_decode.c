/*
 * fuzz_decode.c — a libFuzzer target over the record decoders: JSON
 * (codec_json.c) and Avro (codec_avro.c: the compiled programs, for the
 * reader's own schema and for writer schemas that reorder, widen, wrap in
 * unions and carry fields the reader skips — records, arrays, maps, enums,
 * fixed).  The first byte of an input picks the decoder, the rest is the
 * record body: below 64 the flat JSON decoder, 64-127 a JSON decoder of
 * nested columns (ROW, ARRAY, MAP, nested in each other), 128-191 Avro
 * into flat columns, from 192 Avro into nested columns (compiled record,
 * array and map steps) for the reader's own schema and for writers that
 * reorder, promote, rescale, wrap items in unions, refer to named types
 * and carry nested fields the reader skips.
 *
 * Invariants besides the sanitizers' findings:
 *   - a failed decode says why (a non-empty message);
 *   - a decoded row is well formed (strings with a length ≥ 0 and, when
 *     not empty, a pointer), and a JSON-decoded row encodes to JSON that
 *     decodes back to the same row (value_eq column by column);
 *   - a nested row decoded from Avro encodes to Avro (eddy's writer
 *     schema) that decodes back to the same row, and prints.
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#include "codec.h"
#include "codec_avro.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_decode: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

enum { NCOLS = 11 };
static JsonField cols[NCOLS];

/* Writer schemas the Avro reader resolves against (record name as the
 * reader's, so only the fields matter). */
static const char *const writers[] = {
    NULL,   /* the reader's own schema */
    "{\"type\":\"record\",\"name\":\"" CAVRO_DEFAULT_RECORD "\",\"fields\":["
    "{\"name\":\"s\",\"type\":[\"null\",\"string\"]},{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"l\",\"type\":[\"null\",\"int\"]},{\"name\":\"d\",\"type\":\"float\"},"
    "{\"name\":\"extra\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":\"long\"}}},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}},"
    "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}},"
    "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"double\"},"
    "{\"name\":\"y\",\"type\":[\"null\",\"bytes\",\"string\"]}]}}]}",
    "{\"type\":\"record\",\"name\":\"" CAVRO_DEFAULT_RECORD "\",\"fields\":["
    "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"ltz\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}]},"
    "{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}},"
    "{\"name\":\"by\",\"type\":\"bytes\"}]}",
};
enum { NWRITERS = sizeof writers / sizeof *writers };

/* Nested columns (types in their own arena, as a plan's would be). */
enum { NNCOLS = 4 };
static JsonField ncols[NNCOLS];
static JsonDecoder *njson;
static Arena types_arena;

static void setup_nested(void)
{
    Arena *a = &types_arena;
    arena_init(a, 4096);
    Type i = type_make(TY_INT, true), s = type_make(TY_STRING, true), d = type_make(TY_DOUBLE, true);
    Type bi = type_make(TY_BIGINT, true), b = type_make(TY_BOOLEAN, false), dec = type_decimal(10, 2, true);
    const char *rn[] = {"a", "s", "arr"};
    Type rt[] = {i, s, type_new_array(a, d, true)};
    const char *xn[] = {"x", "m"};
    Type xt[] = {bi, type_new_map(a, s, b, true)};
    ncols[0] = (JsonField){"n", type_new_row(a, 3, rn, rt, true), 0};
    ncols[1] = (JsonField){"a", type_new_array(a, type_new_row(a, 2, xn, xt, true), true), 1};
    ncols[2] = (JsonField){"m", type_new_map(a, s, type_new_array(a, s, false), true), 2};
    ncols[3] = (JsonField){"mi", type_new_map(a, i, dec, true), 3};
    njson = json_decoder_new(ncols, NNCOLS);
}

/* Nested columns read from Avro: the first three of ncols (an Avro map has
 * string keys, so not mi) and a fourth, deeper one. */
enum { NACOLS = 4 };
static JsonField acols[NACOLS];
static CavroReader *areader;
static CavroEncoder *aenc;
static CavroProgram *aown;   /* the encoder's schema as the writer: the round trip's reader */

static const char *const nwriters[] = {
    NULL,   /* the reader's own schema */
    /* reordered, promoted, nullable items, named types referred to by name, a field to skip */
    "{\"type\":\"record\",\"name\":\"" CAVRO_DEFAULT_RECORD "\",\"fields\":["
    "{\"name\":\"m\",\"type\":[\"null\",{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":[\"string\",\"null\"]}}]},"
    "{\"name\":\"skip\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":[\"null\",{\"type\":\"record\",\"name\":\"S\","
    "\"fields\":[{\"name\":\"q\",\"type\":\"double\"},{\"name\":\"r\",\"type\":{\"type\":\"array\",\"items\":\"S\"}}]}]}}},"
    "{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"fields\":["
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"float\",\"long\"]}},{\"name\":\"a\",\"type\":\"int\"},"
    "{\"name\":\"z\",\"type\":\"string\"}]}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"X\",\"fields\":["
    "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"m\",\"type\":[\"null\",{\"type\":\"map\",\"values\":\"boolean\"}]}]}}},"
    "{\"name\":\"d\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"D\",\"fields\":["
    "{\"name\":\"dec\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3,\"logicalType\":\"decimal\",\"precision\":6,\"scale\":3}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}}]}}}},"
    "{\"name\":\"again\",\"type\":{\"type\":\"array\",\"items\":\"X\"}}]}",
    /* every column a nullable union, values in unions */
    "{\"type\":\"record\",\"name\":\"" CAVRO_DEFAULT_RECORD "\",\"fields\":["
    "{\"name\":\"n\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"N\",\"fields\":["
    "{\"name\":\"s\",\"type\":[\"null\",\"string\",\"bytes\"]},{\"name\":\"a\",\"type\":[\"int\",\"null\"]}]}]},"
    "{\"name\":\"a\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",{\"type\":\"record\",\"name\":\"X\",\"fields\":["
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"boolean\"}},{\"name\":\"x\",\"type\":[\"null\",\"long\"]}]}]}]},"
    "{\"name\":\"d\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",{\"type\":\"array\",\"items\":[\"null\","
    "{\"type\":\"record\",\"name\":\"D\",\"fields\":[{\"name\":\"e\",\"type\":\"string\"},"
    "{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":12,\"scale\":1}}]}]}]}]}]}",
};
enum { NNWRITERS = sizeof nwriters / sizeof *nwriters };
static CavroProgram *nprogs[NNWRITERS];

static void setup_avro_nested(void)
{
    Arena *a = &types_arena;
    Type ts = type_make(TY_TIMESTAMP, true);
    ts.precision = 3;
    const char *dn[] = {"dec", "ts", "e"};
    Type dt[] = {type_decimal(10, 2, true), ts, type_make(TY_STRING, true)};
    for (int i = 0; i < 3; i++) acols[i] = ncols[i];
    acols[3] = (JsonField){"d", type_new_array(a, type_new_array(a, type_new_row(a, 3, dn, dt, true), true), true), 3};
    char err[512];
    if (!(areader = cavro_reader_new(acols, NACOLS, err, sizeof err)) || !(aenc = cavro_encoder_new(acols, NACOLS, NULL, err, sizeof err)) ||
        !(aown = cavro_program_new(areader, cavro_encoder_schema(aenc), strlen(cavro_encoder_schema(aenc)), err, sizeof err))) {
        fprintf(stderr, "fuzz_decode: nested Avro: %s\n", err);
        abort();
    }
    for (int w = 0; w < NNWRITERS; w++)
        if (!(nprogs[w] = cavro_program_new(areader, nwriters[w], nwriters[w] ? strlen(nwriters[w]) : 0, err, sizeof err))) {
            fprintf(stderr, "fuzz_decode: nested writer schema %d: %s\n", w, err);
            abort();
        }
}

static JsonDecoder *json;
static JsonDecoder *json_flink;   /* the same columns with Flink's options (first byte 32..63) */
static const JsonOptions flink_opts = {.ignore_parse_errors = true, .ts_format = JSON_TS_ISO, .decimal = JSON_DEC_SCIENTIFIC};
static CavroReader *reader;
static CavroProgram *progs[NWRITERS];

static void setup(void)
{
    static const struct { const char *name; Type t; } c[NCOLS] = {
        {"b", {.kind = TY_BOOLEAN, .nullable = 1}},   {"i", {.kind = TY_INT, .nullable = 1}},
        {"l", {.kind = TY_BIGINT, .nullable = 1}},    {"d", {.kind = TY_DOUBLE, .nullable = 1}},
        {"dec", {.kind = TY_DECIMAL, .nullable = 1, .precision = 10, .scale = 2}},
        {"s", {.kind = TY_STRING, .nullable = 1}},    {"by", {.kind = TY_BYTES, .nullable = 1}},
        {"dt", {.kind = TY_DATE, .nullable = 1}},     {"ts", {.kind = TY_TIMESTAMP, .nullable = 1, .precision = 3}},
        {"ltz", {.kind = TY_TIMESTAMP_LTZ, .nullable = 1, .precision = 3}},
        {"e", {.kind = TY_STRING, .nullable = 1}},
    };
    for (int i = 0; i < NCOLS; i++) cols[i] = (JsonField){c[i].name, c[i].t, i};
    json = json_decoder_new(cols, NCOLS);
    json_flink = json_decoder_new(cols, NCOLS);
    json_decoder_set_options(json_flink, &flink_opts);
    char err[512];
    reader = cavro_reader_new(cols, NCOLS, err, sizeof err);
    if (!reader) {
        fprintf(stderr, "fuzz_decode: reader: %s\n", err);
        abort();
    }
    for (int w = 0; w < NWRITERS; w++) {
        progs[w] = cavro_program_new(reader, writers[w], writers[w] ? strlen(writers[w]) : 0, err, sizeof err);
        if (!progs[w]) {
            fprintf(stderr, "fuzz_decode: writer schema %d: %s\n", w, err);
            abort();
        }
    }
}

static void check_row(const Value *row)
{
    for (int i = 0; i < NCOLS; i++) {
        if (row[i].null || (cols[i].type.kind != TY_STRING && cols[i].type.kind != TY_BYTES)) continue;
        FUZZ_CHECK(row[i].n >= 0);
        FUZZ_CHECK(row[i].n == 0 || row[i].s != NULL);
        if (row[i].n) FUZZ_CHECK(((const volatile char *)row[i].s)[row[i].n - 1] || 1);   /* readable to its end */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!json) setup();
    if (!njson) setup_nested(), setup_avro_nested();
    if (size < 1) return 0;
    Arena a;
    arena_init(&a, 4096);
    Value row[NCOLS], back[NCOLS];
    char err[512] = "";
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    /* a private copy: the decoders must not read past len */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    if (data[0] >= 64 && data[0] < 128) {
        /* nested columns: decoded rows re-encode to JSON that decodes to the same values */
        int rc = json_decode(njson, copy, len, row, &a, err, sizeof err);
        if (rc) {
            FUZZ_CHECK(err[0] != 0);
        } else {
            StrBuf out = {0};
            json_encode(&out, ncols, NNCOLS, row);
            char err2[512] = "";
            int rc2 = json_decode(njson, out.s, out.len, back, &a, err2, sizeof err2);
            if (rc2) fprintf(stderr, "fuzz_decode: re-encoded nested row does not decode: %s\n%.*s\n", err2, (int)out.len, out.s);
            FUZZ_CHECK(rc2 == 0);
            for (int i = 0; i < NNCOLS; i++) {
                if (!value_eq(ncols[i].type, &row[i], &back[i]))
                    fprintf(stderr, "fuzz_decode: nested column %s changed in a JSON round trip: %.*s\n", ncols[i].name, (int)out.len, out.s);
                FUZZ_CHECK(value_eq(ncols[i].type, &row[i], &back[i]));
                if (!row[i].null) {
                    StrBuf t = {0};
                    value_print(&t, ncols[i].type, &row[i]);   /* walks every element */
                    sb_free(&t);
                }
            }
            sb_free(&out);
        }
    } else if (data[0] < 128) {
        /* with Flink's options: values that cannot be converted are NULL,
         * ISO-8601 timestamps, decimals in BigDecimal's text — and the row
         * still round-trips */
        bool flink = data[0] >= 32 && data[0] < 64;
        JsonDecoder *dj = flink ? json_flink : json;
        const JsonOptions *eo = flink ? &flink_opts : NULL;
        int rc = json_decode(dj, copy, len, row, &a, err, sizeof err);
        if (rc) {
            FUZZ_CHECK(err[0] != 0);
        } else {
            check_row(row);
            StrBuf out = {0};
            json_encode_opts(&out, cols, NCOLS, row, eo);
            char err2[512] = "";
            int rc2 = json_decode(dj, out.s, out.len, back, &a, err2, sizeof err2);
            if (!rc2 && dj == json_flink) {
                const char *why;
                FUZZ_CHECK(json_decode_nulled(dj, &why) == 0);   /* what it wrote, it reads back without losing a value */
            }
            if (rc2) fprintf(stderr, "fuzz_decode: re-encoded row does not decode: %s\n%.*s\n", err2, (int)out.len, out.s);
            FUZZ_CHECK(rc2 == 0);
            for (int i = 0; i < NCOLS; i++) {
                if (!value_eq(cols[i].type, &row[i], &back[i]))
                    fprintf(stderr, "fuzz_decode: column %s changed in a JSON round trip: %.*s\n", cols[i].name, (int)out.len, out.s);
                FUZZ_CHECK(value_eq(cols[i].type, &row[i], &back[i]));
            }
            sb_free(&out);
        }
    } else if (data[0] >= 192) {
        /* nested columns from Avro: decoded rows re-encode to Avro that decodes to the same values */
        int rc = cavro_decode(nprogs[data[0] % NNWRITERS], copy, len, row, &a, err, sizeof err);
        if (getenv("FUZZ_DECODE_VERBOSE")) fprintf(stderr, "nested Avro, writer %d: %s\n", data[0] % NNWRITERS, rc ? err : "decoded");
        if (rc) {
            FUZZ_CHECK(err[0] != 0);
        } else {
            StrBuf out = {0};
            cavro_encode(aenc, row, &out);
            char err2[512] = "";
            int rc2 = cavro_decode(aown, out.s, out.len, back, &a, err2, sizeof err2);
            if (rc2) fprintf(stderr, "fuzz_decode: re-encoded nested Avro row does not decode: %s\n", err2);
            FUZZ_CHECK(rc2 == 0);
            for (int i = 0; i < NACOLS; i++) {
                if (!value_eq(acols[i].type, &row[i], &back[i])) fprintf(stderr, "fuzz_decode: nested column %s changed in an Avro round trip\n", acols[i].name);
                FUZZ_CHECK(value_eq(acols[i].type, &row[i], &back[i]));
                if (!row[i].null) {
                    StrBuf t = {0};
                    value_print(&t, acols[i].type, &row[i]);   /* walks every element */
                    sb_free(&t);
                }
            }
            sb_free(&out);
        }
    } else {
        CavroProgram *p = progs[data[0] % NWRITERS];
        int rc = cavro_decode(p, copy, len, row, &a, err, sizeof err);
        if (rc) FUZZ_CHECK(err[0] != 0);
        else check_row(row);
    }
    free(copy);
    arena_free(&a);
    return 0;
}
