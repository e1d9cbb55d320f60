/*
 * fuzz_debezium.c — a libFuzzer target over the Debezium decoders
 * (src/connect/codec_debezium.c) and, through them, the JSON decoder of
 * the row images (codec_json.c) and the Avro envelope of
 * debezium-avro-confluent (codec_avro.c's cavro_envelope_decode).
 *
 * Each input is decoded as one Kafka record value by two JSON decoders
 * over a table of every column type (the plain event and the
 * schema-include envelope), and as the Avro body of an event of a fixed
 * Debezium envelope schema (before/after a row record of those columns,
 * source a record with an enum and a map, op, ts_ms, a transaction union).  Besides the sanitizers' findings (ASan, UBSan with no
 * recovery), the target aborts when the decoder's contract breaks: a
 * failure leaves a non-empty reason; a success gives 0, 1 or 2 rows whose
 * kinds match the op (+I; -U then +U; -D), with every string inside the
 * input or the arena and of a sane length.
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_avro.h"
#include "codec_debezium.h"
#include "value.h"

#define FUZZ_CHECK(cond)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_debezium: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

enum { NCOLS = 12 };

static DbzDecoder *plain, *envelope;
static CavroReader *reader;
static CavroEnvelope *avro_env;

/* Debezium's envelope as its Avro converter writes it, for the columns above. */
static const char envelope_schema[] =
    "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"db.inv.t\",\"fields\":["
    "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"boolean\"],\"default\":null},"
    "{\"name\":\"i\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"d\",\"type\":[\"null\",\"double\"],\"default\":null},"
    "{\"name\":\"dc\",\"type\":[\"null\",{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":12,\"scale\":3}],\"default\":null},"
    "{\"name\":\"s\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"bs\",\"type\":[\"null\",\"bytes\"],\"default\":null},"
    "{\"name\":\"dt\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},"
    "{\"name\":\"ts\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}],\"default\":null},"
    "{\"name\":\"tz\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}],\"default\":null},{\"name\":\"f\",\"type\":[\"null\",\"float\"],\"default\":null},"
    "{\"name\":\"extra\",\"type\":{\"type\":\"array\",\"items\":\"string\"}}]}],\"default\":null},"
    "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
    "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":\"Source\",\"fields\":["
    "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"snapshot\",\"type\":[{\"type\":\"enum\",\"name\":\"snap\","
    "\"symbols\":[\"true\",\"last\",\"false\"]},\"null\"]},{\"name\":\"lsn\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"props\",\"type\":{\"type\":\"map\",\"values\":\"double\"}}]}},"
    "{\"name\":\"op\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"transaction\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"block\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"total_order\",\"type\":\"long\"}]}],\"default\":null}]}";

static void setup(void)
{
    static JsonField f[NCOLS];
    static const struct {
        const char *name;
        TypeKind    kind;
    } cols[NCOLS] = {{"id", TY_BIGINT}, {"b", TY_BOOLEAN},  {"i", TY_INT},        {"d", TY_DOUBLE},
                     {"dc", TY_DECIMAL}, {"s", TY_STRING},   {"bs", TY_BYTES},     {"dt", TY_DATE},
                     {"ts", TY_TIMESTAMP}, {"tz", TY_TIMESTAMP_LTZ}, {"f", TY_FLOAT}, {"skip", TY_STRING}};
    for (int i = 0; i < NCOLS; i++) {
        Type t = cols[i].kind == TY_DECIMAL ? type_decimal(12, 3, true) : type_make(cols[i].kind, true);
        if (cols[i].kind == TY_TIMESTAMP || cols[i].kind == TY_TIMESTAMP_LTZ) t.precision = 3;
        f[i] = (JsonField){cols[i].name, t, i == NCOLS - 1 ? -1 : i};
    }
    plain = dbz_decoder_new(f, NCOLS, false);
    envelope = dbz_decoder_new(f, NCOLS, true);
    char err[512];
    reader = cavro_reader_new(f, NCOLS, err, sizeof err);
    if (!reader || !(avro_env = cavro_envelope_new(reader, envelope_schema, strlen(envelope_schema), err, sizeof err))) {
        fprintf(stderr, "fuzz_debezium: the envelope schema: %s\n", err);
        abort();
    }
}

static void one(DbzDecoder *d, bool avro, const char *buf, size_t len)
{
    Value r0[NCOLS], r1[NCOLS];
    Value *rows[2] = {r0, r1};
    int kinds[2] = {-1, -1}, n = -1;
    char err[512] = "";
    Arena a;
    arena_init(&a, 1024);
    int rc = avro ? dbz_decode_avro(d, avro_env, buf, len, rows, kinds, &n, &a, err, sizeof err)
                  : dbz_decode(d, buf, len, rows, kinds, &n, &a, err, sizeof err);
    if (rc) {
        FUZZ_CHECK(rc == -1 && err[0] != 0);
    } else {
        FUZZ_CHECK(n >= 0 && n <= 2);
        if (n == 1) FUZZ_CHECK(kinds[0] == RK_INSERT || kinds[0] == RK_DELETE);
        if (n == 2) FUZZ_CHECK(kinds[0] == RK_UPDATE_BEFORE && kinds[1] == RK_UPDATE_AFTER);
        for (int k = 0; k < n; k++) {
            const Value *row = rows[k];
            for (int c = 0; c < NCOLS - 1; c++) {
                if (row[c].null || (c != 5 && c != 6)) continue;
                FUZZ_CHECK(row[c].n >= 0 && (size_t)row[c].n <= len * 4 + 16);
                if (row[c].n) {
                    volatile char x = row[c].s[0];
                    volatile char y = row[c].s[row[c].n - 1];
                    (void)x;
                    (void)y;
                }
            }
        }
    }
    arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!plain) setup();
    /* a copy of exactly size bytes: reads past the end are ASan's to catch */
    char *buf = malloc(size ? size : 1);
    if (!buf) abort();
    memcpy(buf, data, size);
    one(plain, false, buf, size);
    one(envelope, false, buf, size);
    one(plain, true, buf, size);
    free(buf);
    return 0;
}
