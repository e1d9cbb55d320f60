/*
 * exchange.c — the records of an exchange's internal topic (exchange.h):
 * encoding and the decoder that checks every byte (fuzzed by
 * tests/fuzz/fuzz_exchange.c).  The protocol they carry is op_exchange.c's.
 */
#include <stdio.h>
#include <string.h>

#include "exchange.h"
#include "rowkey.h"
#include "value.h"

static void put_varint(StrBuf *out, uint64_t v)
{
    unsigned char b[ROWKEY_VARINT_MAX];
    sb_putn(out, (const char *)b, rowkey_put_varint(b, v));
}

void xrec_encode(StrBuf *out, const XRecord *r)
{
    char t = (char)r->type;
    sb_putn(out, &t, 1);
    if (r->type == XREC_DATA) {
        char k = (char)r->kind;
        sb_putn(out, &k, 1);
    }
    put_varint(out, (uint64_t)r->task);
    put_varint(out, (uint64_t)r->gen);
    put_varint(out, (uint64_t)r->epoch);
    if (r->type == XREC_ROWS) return;   /* entries follow (xrec_put_entry) */
    if (r->type == XREC_DATA) {
        put_varint(out, rowkey_zigzag(r->ts));
        if (r->rowlen) sb_putn(out, r->row, r->rowlen);
        return;
    }
    put_varint(out, rowkey_zigzag(r->watermark));
    char f = (char)r->flags;
    sb_putn(out, &f, 1);
    put_varint(out, (uint64_t)r->ntasks);
}

void xrec_put_entry(StrBuf *out, int kind, int64_t ts, const char *row, size_t rowlen)
{
    unsigned char h[1 + 2 * ROWKEY_VARINT_MAX];
    h[0] = (unsigned char)kind;
    size_t n = 1 + rowkey_put_varint(h + 1, rowkey_zigzag(ts));
    n += rowkey_put_varint(h + n, rowlen);
    sb_putn(out, (const char *)h, n);
    if (rowlen) sb_putn(out, row, rowlen);
}

int xrec_next_entry(const char **p, const char *end, int *kind, int64_t *ts, const char **row, size_t *rowlen)
{
    const unsigned char *q = (const unsigned char *)*p, *e = (const unsigned char *)end;
    int64_t len;
    if (q >= e || *q > RK_DELETE) return -1;
    *kind = *q++;
    if (xrec_get_num(&q, e, ts, true) || xrec_get_num(&q, e, &len, false) || len > e - q) return -1;
    *row = (const char *)q;
    *rowlen = (size_t)len;
    *p = (const char *)(q + len);
    return 0;
}

int xrec_get_num(const unsigned char **p, const unsigned char *end, int64_t *v, bool zigzag)
{
    uint64_t u;
    if (rowkey_get_varint(p, end, &u)) return -1;
    if (zigzag) {
        *v = rowkey_unzigzag(u);
        return 0;
    }
    if (u > (uint64_t)INT64_MAX) return -1;
    *v = (int64_t)u;
    return 0;
}

int xrec_decode(const char *buf, size_t len, XRecord *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const unsigned char *p = (const unsigned char *)buf, *end = p + len;
    if (!buf || len < 1) {
        snprintf(err, errlen, "an empty exchange record");
        return -1;
    }
    out->type = *p++;
    if (out->type != XREC_DATA && out->type != XREC_MARKER && out->type != XREC_ROWS) {
        snprintf(err, errlen, "not an exchange record (type byte %d)", out->type);
        return -1;
    }
    if (out->type == XREC_DATA) {
        if (p >= end || *p > RK_DELETE) {
            snprintf(err, errlen, "exchange data record: %s", p >= end ? "truncated" : "bad row kind");
            return -1;
        }
        out->kind = *p++;
    }
    if (xrec_get_num(&p, end, &out->task, false) || xrec_get_num(&p, end, &out->gen, false) || xrec_get_num(&p, end, &out->epoch, false) ||
        out->task > INT32_MAX) {
        snprintf(err, errlen, "exchange record: truncated or bad header");
        return -1;
    }
    if (out->type == XREC_ROWS) {   /* every entry whole: a reader may take them one by one */
        const char *q = (const char *)p, *e = (const char *)end, *row;
        int kind;
        size_t rl;
        int64_t ts;
        int n = 0;
        while (q < e && xrec_next_entry(&q, e, &kind, &ts, &row, &rl) == 0) n++;
        if (n == 0 || q != e) {
            snprintf(err, errlen, "exchange rows record: %s", n == 0 && p == end ? "no row" : "a truncated or damaged row entry");
            return -1;
        }
        out->row = (const char *)p;
        out->rowlen = (size_t)(end - p);
        return 0;
    }
    if (out->type == XREC_DATA) {
        if (xrec_get_num(&p, end, &out->ts, true)) {
            snprintf(err, errlen, "exchange data record: truncated timestamp");
            return -1;
        }
        out->row = (const char *)p;
        out->rowlen = (size_t)(end - p);
        return 0;
    }
    if (xrec_get_num(&p, end, &out->watermark, true) || p >= end) {
        snprintf(err, errlen, "exchange marker: truncated");
        return -1;
    }
    out->flags = *p++;
    if (xrec_get_num(&p, end, &out->ntasks, false) || out->ntasks < 1 || out->ntasks > INT32_MAX || out->task >= out->ntasks || p != end) {
        snprintf(err, errlen, "exchange marker: bad task count or trailing bytes");
        return -1;
    }
    return 0;
}

