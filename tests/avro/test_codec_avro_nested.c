/*
 * test_codec_avro_nested.c — ROW, ARRAY and MAP columns in Avro
 * (codec_avro.c): rows written as JSON text, decoded by the JSON decoder,
 * encoded to Avro, decoded back, and compared value by value (NULL at
 * every level, empty arrays and maps, four levels deep); the schema eddy
 * writes for nested columns (Flink's record names and nullable unions);
 * a writer schema that is not eddy's (named types referred to by name,
 * fields reordered, added and missing, promotions, unions inside arrays
 * and maps, blocks with a byte size) decoded from bytes written by hand;
 * what cannot resolve; malformed bodies, whose messages give the path to
 * the bad value; tables derived from nested schemas.  ctest: avro/codec_nested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_avro.h"

static Arena types;   /* the nested type descriptors of every test */

static Type ty(TypeKind k, bool nullable) { return type_make(k, nullable); }

static Type row2(const char *a, Type ta, const char *b, Type tb, bool nullable)
{
    const char *names[] = {a, b};
    Type t[] = {ta, tb};
    return type_new_row(&types, 2, names, t, nullable);
}

static Type row3(const char *a, Type ta, const char *b, Type tb, const char *c, Type tc, bool nullable)
{
    const char *names[] = {a, b, c};
    Type t[] = {ta, tb, tc};
    return type_new_row(&types, 3, names, t, nullable);
}

static Type arr(Type e, bool nullable) { return type_new_array(&types, e, nullable); }
static Type map(Type v, bool nullable) { return type_new_map(&types, ty(TY_STRING, false), v, nullable); }

/* ---- round trips through JSON text ----------------------------------------------- */

enum { NC = 6 };
static JsonField cols[NC];

static void setup_cols(void)
{
    Type ts = ty(TY_TIMESTAMP, true);
    ts.precision = 3;
    cols[0] = (JsonField){"id", ty(TY_BIGINT, false), 0};
    cols[1] = (JsonField){"payload",
                          row3("customer", row2("id", ty(TY_INT, true), "name", ty(TY_STRING, false), true), "tags",
                               arr(ty(TY_STRING, true), true), "attrs", map(ty(TY_INT, true), true), true),
                          1};
    cols[2] = (JsonField){"items", arr(row3("sku", ty(TY_STRING, true), "qty", ty(TY_INT, true), "price", type_decimal(10, 2, true), true), true), 2};
    cols[3] = (JsonField){"m", map(arr(ty(TY_DOUBLE, true), true), true), 3};
    cols[4] = (JsonField){"flags", arr(ty(TY_BOOLEAN, false), false), 4};
    cols[5] = (JsonField){"deep", arr(arr(map(row2("a", arr(ty(TY_INT, true), true), "ts", ts, true), true), true), true), 5};
}

static const char *const ROWS[] = {
    /* everything present */
    "{\"id\": 1, \"payload\": {\"customer\": {\"id\": 7, \"name\": \"ann\"}, \"tags\": [\"a\", \"b\"], \"attrs\": {\"x\": 1, \"y\": 2}},"
    " \"items\": [{\"sku\": \"s1\", \"qty\": 2, \"price\": 12.5}, {\"sku\": \"s2\", \"qty\": -1, \"price\": -0.01}],"
    " \"m\": {\"k\": [1.5, -2.25], \"e\": []}, \"flags\": [true, false],"
    " \"deep\": [[{\"p\": {\"a\": [1, 2, 3], \"ts\": \"2024-01-01 10:00:00.123\"}}]]}",
    /* NULL at every level */
    "{\"id\": 2, \"payload\": {\"customer\": {\"id\": null, \"name\": \"\"}, \"tags\": [null, \"x\", null], \"attrs\": {\"n\": null}},"
    " \"items\": [null, {\"sku\": null, \"qty\": null, \"price\": null}], \"m\": {\"k\": null, \"j\": [null]}, \"flags\": [],"
    " \"deep\": [null, [null, {\"q\": null, \"r\": {\"a\": null, \"ts\": null}, \"s\": {\"a\": [null], \"ts\": null}}]]}",
    "{\"id\": 3, \"payload\": {\"customer\": null, \"tags\": null, \"attrs\": null}, \"items\": null, \"m\": null, \"flags\": [], \"deep\": null}",
    "{\"id\": 4, \"payload\": null, \"flags\": []}",
    /* empty arrays and maps everywhere */
    "{\"id\": 5, \"payload\": {\"customer\": {\"id\": 0, \"name\": \"z\"}, \"tags\": [], \"attrs\": {}}, \"items\": [], \"m\": {},"
    " \"flags\": [], \"deep\": [[], [{}], [{\"e\": {\"a\": [], \"ts\": null}}]]}",
    /* more than one block's worth, long strings */
    "{\"id\": 6, \"payload\": {\"customer\": {\"id\": 2147483647, \"name\": \"a long name that takes more than sixty-four bytes in all, to be sure\"},"
    " \"tags\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\"]},"
    " \"flags\": [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, false]}",
};
enum { NROWS = sizeof ROWS / sizeof *ROWS };

static void test_round_trip(void **state)
{
    (void)state;
    char err[400];
    JsonDecoder *jd = json_decoder_new(cols, NC);
    CavroEncoder *enc = cavro_encoder_new(cols, NC, NULL, err, sizeof err);
    if (!enc) fail_msg("encoder: %s", err);
    CavroReader *rd = cavro_reader_new(cols, NC, err, sizeof err);
    assert_non_null(rd);
    /* the reader's own schema, and the encoder's schema as a writer's */
    CavroProgram *own = cavro_program_new(rd, NULL, 0, err, sizeof err);
    if (!own) fail_msg("own program: %s", err);
    const char *ws = cavro_encoder_schema(enc);
    CavroProgram *asw = cavro_program_new(rd, ws, strlen(ws), err, sizeof err);
    if (!asw) fail_msg("writer program: %s", err);
    for (int r = 0; r < NROWS; r++) {
        Arena a;
        arena_init(&a, 1024);
        Value in[NC], out[NC];
        if (json_decode(jd, ROWS[r], strlen(ROWS[r]), in, &a, err, sizeof err)) fail_msg("row %d as JSON: %s", r, err);
        StrBuf body = {0};
        cavro_encode(enc, in, &body);
        for (int k = 0; k < 2; k++) {
            memset(out, 0xab, sizeof out);
            if (cavro_decode(k ? asw : own, body.s, body.len, out, &a, err, sizeof err)) fail_msg("row %d from Avro: %s", r, err);
            for (int c = 0; c < NC; c++)
                if (!value_eq(cols[c].type, &in[c], &out[c])) {
                    StrBuf x = {0}, y = {0};
                    json_encode(&x, cols, NC, in);
                    json_encode(&y, cols, NC, out);
                    fail_msg("row %d column %s changed:\n%s\n%s", r, cols[c].name, x.s, y.s);
                }
        }
        /* and the JSON the decoded row writes is the JSON the input writes */
        StrBuf x = {0}, y = {0};
        json_encode(&x, cols, NC, in);
        json_encode(&y, cols, NC, out);
        assert_string_equal(x.s, y.s);
        sb_free(&x);
        sb_free(&y);
        sb_free(&body);
        arena_free(&a);
    }
    cavro_program_free(own);
    cavro_program_free(asw);
    cavro_reader_free(rd);
    cavro_encoder_free(enc);
    json_decoder_free(jd);
}

/* ---- the schema eddy writes -------------------------------------------------------- */

static void test_schema(void **state)
{
    (void)state;
    JsonField f[] = {
        {"c", row2("id", ty(TY_INT, false), "addr", row2("city", ty(TY_STRING, true), "zip", ty(TY_STRING, false), true), true), 0},
        {"items", arr(row2("sku", ty(TY_STRING, false), "n", ty(TY_INT, true), false), false), 1},
        {"m", map(arr(ty(TY_BIGINT, false), true), true), 2},
        {"c_addr", row2("x", ty(TY_INT, true), "y", ty(TY_INT, true), false), 3},
    };
    StrBuf b = {0};
    char err[300];
    assert_int_equal(cavro_schema_of_columns(f, 4, "ns.Rec", &b, err, sizeof err), 0);
    /* ns.Rec_c_addr is the name of c's addr, so the column c_addr's record takes ns.Rec_c_addr_2 */
    assert_string_equal(b.s,
        "{\"type\":\"record\",\"name\":\"Rec\",\"namespace\":\"ns\",\"fields\":["
        "{\"name\":\"c\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Rec_c\",\"namespace\":\"ns\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"addr\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Rec_c_addr\",\"namespace\":\"ns\",\"fields\":["
        "{\"name\":\"city\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"zip\",\"type\":\"string\"}]}],\"default\":null}]}],"
        "\"default\":null},"
        "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Rec_items\",\"namespace\":\"ns\",\"fields\":["
        "{\"name\":\"sku\",\"type\":\"string\"},{\"name\":\"n\",\"type\":[\"null\",\"int\"],\"default\":null}]}}},"
        "{\"name\":\"m\",\"type\":[\"null\",{\"type\":\"map\",\"values\":[\"null\",{\"type\":\"array\",\"items\":\"long\"}]}],\"default\":null},"
        "{\"name\":\"c_addr\",\"type\":{\"type\":\"record\",\"name\":\"Rec_c_addr_2\",\"namespace\":\"ns\",\"fields\":["
        "{\"name\":\"x\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"y\",\"type\":[\"null\",\"int\"],\"default\":null}]}}]}");
    assert_int_equal(cavro_schema_check(b.s, b.len, err, sizeof err), 0);
    sb_free(&b);

    /* what Avro cannot hold */
    JsonField bad1[] = {{"m", type_new_map(&types, ty(TY_INT, false), ty(TY_INT, true), true), 0}};
    assert_int_equal(cavro_schema_of_columns(bad1, 1, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "column 'm': an Avro map has string keys, not INT"));
    sb_free(&b);
    JsonField bad2[] = {{"r", row2("ok", ty(TY_INT, true), "not ok", ty(TY_INT, true), true), 0}};
    assert_int_equal(cavro_schema_of_columns(bad2, 1, NULL, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "column 'r': field 'not ok' is not a valid Avro field name"));
    sb_free(&b);
}

/* ---- a writer that is not eddy ------------------------------------------------------ */

static const char *W2 =
    "{\"type\":\"record\",\"name\":\"Ev\",\"namespace\":\"x\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"int\"},"
    "{\"name\":\"payload\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"P\",\"fields\":["
    "  {\"name\":\"extra\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "  {\"name\":\"customer\",\"type\":{\"type\":\"record\",\"name\":\"C\",\"fields\":["
    "    {\"name\":\"name\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"int\"}]}},"
    "  {\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"int\"]}}]}]},"
    "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Item\",\"fields\":["
    "  {\"name\":\"sku\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"},"
    "  {\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":6,\"scale\":1}}]}}},"
    "{\"name\":\"more\",\"type\":{\"type\":\"array\",\"items\":\"x.Item\"}}]}";

static const unsigned char W2_BODY[] = {
    0x0a,                                  /* id 5 */
    0x02,                                  /* payload: branch 1 */
    0x04, 0x02, 0x01, 0x00,                /*   extra [1, -1] (skipped) */
    0x06, 'a', 'n', 'n', 0x0e,             /*   customer: name "ann", id 7 */
    0x04, 0x02, 'x', 0x02, 0x06,           /*   attrs: 2 entries, x → branch 1: 3 */
    0x02, 'y', 0x00, 0x00,                 /*          y → branch 0 (null); end */
    0x02, 0x02, 's', 0x04, 0x02, 0x7b, 0x00, /* items [{s, 2, 12.3}] (not read) */
    0x01, 0x0c, 0x02, 't', 0x02, 0x04, 0xff, 0x85, 0x00, /* more: a block of -1 item in 6 bytes: {t, 1, -12.3} */
};

static JsonField w2cols[4];

static void setup_w2(void)
{
    w2cols[0] = (JsonField){"id", ty(TY_BIGINT, true), 0};
    w2cols[1] = (JsonField){"payload",
                            row3("customer", row2("id", ty(TY_BIGINT, true), "name", ty(TY_STRING, true), true), "tags",
                                 arr(ty(TY_STRING, true), true), "attrs", map(ty(TY_BIGINT, true), true), true),
                            1};
    w2cols[2] = (JsonField){"more", arr(row2("sku", ty(TY_STRING, true), "price", type_decimal(10, 2, true), true), true), 2};
    w2cols[3] = (JsonField){"gone", arr(ty(TY_INT, true), true), 3};
}

static void test_foreign_writer(void **state)
{
    (void)state;
    char err[400];
    CavroReader *rd = cavro_reader_new(w2cols, 4, err, sizeof err);
    assert_non_null(rd);
    CavroProgram *p = cavro_program_new(rd, W2, strlen(W2), err, sizeof err);
    if (!p) fail_msg("program: %s", err);
    Arena a;
    arena_init(&a, 1024);
    Value out[4];
    if (cavro_decode(p, (const char *)W2_BODY, sizeof W2_BODY, out, &a, err, sizeof err)) fail_msg("decode: %s", err);
    StrBuf j = {0};
    json_encode(&j, w2cols, 4, out);
    assert_string_equal(j.s, "{\"id\":5,\"payload\":{\"customer\":{\"id\":7,\"name\":\"ann\"},\"tags\":null,\"attrs\":{\"x\":3,\"y\":null}},"
                             "\"more\":[{\"sku\":\"t\",\"price\":-12.30}],\"gone\":null}");
    sb_free(&j);

    /* malformed: each message names the value's path */
    struct { size_t cut; int at; unsigned char byte; const char *want; } bad[] = {
        {14, -1, 0, "truncated Avro record: field 'payload.attrs['x']' runs past the end"},
        {0, 14, 0x08, "field 'payload.attrs['x']': union branch 4 out of range"},
        {0, 32, 0x00, "field 'more[1].price': decimal with no bytes"},
        {0, 12, 0x01, "field 'payload.attrs': negative length -1 of a map key"},
        {10, -1, 0, "truncated Avro record: field 'payload.customer.id' runs past the end"},
        {34, -1, 0, "truncated Avro record: field 'more[1].price' runs past the end"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        unsigned char body[sizeof W2_BODY];
        memcpy(body, W2_BODY, sizeof body);
        size_t len = bad[i].cut ? bad[i].cut : sizeof body;
        if (bad[i].at >= 0) body[bad[i].at] = bad[i].byte;
        err[0] = 0;
        if (cavro_decode(p, (const char *)body, len, out, &a, err, sizeof err) == 0) fail_msg("case %zu decoded", i);
        if (!strstr(err, bad[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want);
    }
    arena_free(&a);
    cavro_program_free(p);
    cavro_reader_free(rd);
}

/* Writers that cannot be read into the nested columns. */
static void test_does_not_resolve(void **state)
{
    (void)state;
    JsonField f[] = {{"r", row2("a", ty(TY_INT, true), "b", ty(TY_STRING, false), true), 0}};
    char err[400];
    CavroReader *rd = cavro_reader_new(f, 1, err, sizeof err);
    assert_non_null(rd);
    struct { const char *writer; const char *want; } cases[] = {
        {"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"string\"}]}}]}",
         "field 'r.a': Avro string cannot be read into a INT column"},
        {"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"a\",\"type\":\"int\"}]}}]}",
         "field 'r.b' is NOT NULL but the writer's record has no field 'b'"},
        {"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"r\",\"type\":{\"type\":\"array\",\"items\":\"int\"}}]}",
         "field 'r': Avro array cannot be read into a ROW column"},
        {"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"r\",\"type\":[\"null\",\"string\"]}]}",
         "no branch of the writer's union can be read into a ROW column"},
        {"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":\"string\"}]}}]}",
         "field 'r.a': Avro long cannot be read into a INT column"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        err[0] = 0;
        CavroProgram *p = cavro_program_new(rd, cases[i].writer, strlen(cases[i].writer), err, sizeof err);
        if (p) fail_msg("case %zu resolved", i);
        if (!strstr(err, cases[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
    }
    cavro_reader_free(rd);
    JsonField m[] = {{"m", type_new_map(&types, ty(TY_INT, false), ty(TY_INT, true), true), 0}};
    assert_null(cavro_reader_new(m, 1, err, sizeof err));
    assert_non_null(strstr(err, "string keys"));
}

/* ---- tables from nested schemas ----------------------------------------------------- */

static void test_schema_to_columns(void **state)
{
    (void)state;
    StrBuf b = {0};
    char err[300];
    assert_int_equal(cavro_schema_to_columns(W2, strlen(W2), &b, err, sizeof err), 4);
    assert_string_equal(b.s, "`id` INT NOT NULL, "
                             "`payload` ROW<`extra` ARRAY<BIGINT NOT NULL> NOT NULL, `customer` ROW<`name` STRING NOT NULL, `id` INT NOT NULL> NOT NULL, "
                             "`attrs` MAP<STRING NOT NULL, INT> NOT NULL>, "
                             "`items` ARRAY<ROW<`sku` STRING NOT NULL, `qty` INT NOT NULL, `price` DECIMAL(6, 1) NOT NULL> NOT NULL> NOT NULL, "
                             "`more` ARRAY<ROW<`sku` STRING NOT NULL, `qty` INT NOT NULL, `price` DECIMAL(6, 1) NOT NULL> NOT NULL> NOT NULL");
    sb_free(&b);
    /* a record that contains itself: the recursive field is left out; a real union too */
    const char *rec = "{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
                      "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]},"
                      "{\"name\":\"kids\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"K\",\"fields\":["
                      "{\"name\":\"u\",\"type\":[\"int\",\"string\"]},{\"name\":\"up\",\"type\":\"Node\"},{\"name\":\"w\",\"type\":\"double\"}]}}}]}";
    assert_int_equal(cavro_schema_to_columns(rec, strlen(rec), &b, err, sizeof err), 2);
    assert_string_equal(b.s, "`v` INT NOT NULL, `kids` ARRAY<ROW<`w` DOUBLE NOT NULL> NOT NULL> NOT NULL");
    sb_free(&b);
    /* nested deeper than 32 levels: left out (4 levels stay) */
    StrBuf deep = {0};
    sb_puts(&deep, "{\"type\":\"record\",\"name\":\"D\",\"fields\":[{\"name\":\"ok\",\"type\":");
    for (int i = 0; i < 4; i++) sb_puts(&deep, "{\"type\":\"array\",\"items\":");
    sb_puts(&deep, "\"int\"}}}}},{\"name\":\"deep\",\"type\":");
    for (int i = 0; i < 40; i++) sb_puts(&deep, "{\"type\":\"map\",\"values\":");
    sb_puts(&deep, "\"int\"");
    for (int i = 0; i < 40; i++) sb_putc(&deep, '}');
    sb_puts(&deep, "}]}");
    assert_int_equal(cavro_schema_to_columns(deep.s, deep.len, &b, err, sizeof err), 1);
    assert_string_equal(b.s, "`ok` ARRAY<ARRAY<ARRAY<ARRAY<INT NOT NULL> NOT NULL> NOT NULL> NOT NULL> NOT NULL");
    sb_free(&b);
    sb_free(&deep);
}

int main(void)
{
    arena_init(&types, 4096);
    setup_cols();
    setup_w2();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_foreign_writer),
        cmocka_unit_test(test_does_not_resolve),
        cmocka_unit_test(test_schema_to_columns),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    arena_free(&types);
    return rc;
}
