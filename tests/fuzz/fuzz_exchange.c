/*
 * fuzz_exchange.c — a libFuzzer target over the decoder of an exchange's
 * records (src/exec/exchange.c: rows and data records and commit markers between
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

/* A row that decodes, encoded again, decodes to a row of the same encoding. */
static void check_row(const char *bytes, size_t len, const Type *types, int ncols)
{
    Value row[MAXCOLS];
    Arena a;
    arena_init(&a, 1024);
    if (rowkey_decode(bytes, len, types, row, ncols, &a) == 0) {
        StrBuf enc = {0}, enc2 = {0};
        rowkey_encode(&enc, types, row, NULL, ncols);
        Value row2[MAXCOLS];
        FUZZ_CHECK(rowkey_decode(enc.s ? enc.s : "", enc.len, types, row2, ncols, &a) == 0);
        rowkey_encode(&enc2, types, row2, NULL, ncols);
        FUZZ_CHECK(enc.len == enc2.len && (enc.len == 0 || memcmp(enc.s, enc2.s, enc.len) == 0));
        sb_free(&enc);
        sb_free(&enc2);
    }
    arena_free(&a);
}

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
    FUZZ_CHECK(r.type == XREC_DATA || r.type == XREC_MARKER || r.type == XREC_ROWS);
    /* encoded again (varints in their shortest form), it decodes to the same record */
    StrBuf again = {0};
    xrec_encode(&again, &r);
    if (r.type == XREC_ROWS) sb_putn(&again, r.row, r.rowlen);   /* (its entries as they came) */
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
    if (r.type == XREC_DATA) {
        check_row(r.row, r.rowlen, schemas[which], ncols[which]);
        return 0;
    }
    /* a rows record that decodes has whole entries, each within the record */
    const char *p = r.row, *end = r.row + r.rowlen, *row;
    int kind, n = 0;
    int64_t ts;
    size_t rl;
    while (p < end) {
        FUZZ_CHECK(xrec_next_entry(&p, end, &kind, &ts, &row, &rl) == 0);
        FUZZ_CHECK(kind >= 0 && kind <= 3 && row >= r.row && row + rl <= end);
        check_row(row, rl, schemas[which], ncols[which]);
        n++;
    }
    FUZZ_CHECK(n > 0 && p == end);
    return 0;
}
