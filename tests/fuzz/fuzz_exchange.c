/*
 * fuzz_exchange.c — a libFuzzer target over the decoder of an exchange's
 * records (src/exec/exchange.c: data records and commit markers between
 * the stages of a parallel job) and of the rows they carry (the row-key
 * encoding, rowkey.c, as the exchange's reader decodes them).  The first
 * byte of an input picks the exchange's column types from a few schemas
 * (integers, strings, doubles, decimals, timestamps, nested values); the
 * rest is the record.
 *
 * Invariants besides the sanitizers' findings:
 *   - a refused record says why (a non-empty message);
 *   - a decoded record, encoded again, decodes to the same fields and row
 *     bytes: nothing is misread;
 *   - a row that decodes, encoded again, decodes to a row of the same
 *     encoding (the reader accepts overlong varints and stray NULL bits;
 *     what eddy writes is canonical).
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#include "exchange.h"
#include "rowkey.h"
#include "strbuf.h"
#include "types.h"
#include "value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_exchange: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

enum { MAXCOLS = 6 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    Type schemas[4][MAXCOLS] = {
        {type_make(TY_STRING, true), type_make(TY_BIGINT, true), type_make(TY_DOUBLE, true)},
        {type_make(TY_INT, false), type_make(TY_BYTES, false)},
        {type_make(TY_TIMESTAMP, true), type_make(TY_BOOLEAN, true), type_make(TY_DATE, true), type_make(TY_STRING, true),
         type_make(TY_BIGINT, false), type_make(TY_DOUBLE, false)},
        {type_make(TY_BYTES, true)},
    };
    static const int ncols[4] = {3, 2, 6, 1};
    int which = data[0] % 4;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    XRecord r;
    char err[256] = "";
    if (xrec_decode(buf, len, &r, err, sizeof err)) {
        FUZZ_CHECK(err[0] != 0);
        return 0;
    }
    FUZZ_CHECK(r.type == XREC_DATA || r.type == XREC_MARKER);
    /* encoded again (varints in their shortest form), it decodes to the same record */
    StrBuf again = {0};
    xrec_encode(&again, &r);
    XRecord r2;
    FUZZ_CHECK(xrec_decode(again.s, again.len, &r2, err, sizeof err) == 0);
    FUZZ_CHECK(r2.type == r.type && r2.kind == r.kind && r2.task == r.task && r2.gen == r.gen && r2.epoch == r.epoch &&
               r2.ts == r.ts && r2.watermark == r.watermark && r2.flags == r.flags && r2.ntasks == r.ntasks &&
               r2.rowlen == r.rowlen && (r.rowlen == 0 || memcmp(r2.row, r.row, r.rowlen) == 0));
    sb_free(&again);
    if (r.type == XREC_MARKER) {
        FUZZ_CHECK(r.ntasks >= 1 && r.task < r.ntasks);
        return 0;
    }
    FUZZ_CHECK(r.row >= buf && r.row + r.rowlen == buf + len);
    Value row[MAXCOLS];
    Arena a;
    arena_init(&a, 1024);
    if (rowkey_decode(r.row, r.rowlen, schemas[which], row, ncols[which], &a) == 0) {
        /* re-encoded, a decoded row is stable: its encoding decodes to a row of the same encoding */
        StrBuf enc = {0}, enc2 = {0};
        rowkey_encode(&enc, schemas[which], row, NULL, ncols[which]);
        Value row2[MAXCOLS];
        FUZZ_CHECK(rowkey_decode(enc.s ? enc.s : "", enc.len, schemas[which], row2, ncols[which], &a) == 0);
        rowkey_encode(&enc2, schemas[which], row2, NULL, ncols[which]);
        FUZZ_CHECK(enc.len == enc2.len && (enc.len == 0 || memcmp(enc.s, enc2.s, enc.len) == 0));
        sb_free(&enc);
        sb_free(&enc2);
    }
    arena_free(&a);
    return 0;
}
