/*
 * exchange.h — the records of an exchange's internal topic (op_exchange.c):
 * eddy's own binary format, read by nothing else.
 *
 * A record's value (the key is empty; the writer picks the partition):
 *   rows    0x03, varint task, varint generation, varint epoch, then one
 *           or more entries: row kind (1 byte: +I -U +U -D as 0..3),
 *           zigzag varint timestamp (ms), varint length, the row in the
 *           row-key encoding of rowkey.h (the exchange table's column
 *           types) — what a writer sends: the rows of one batch bound for
 *           one partition, up to XREC_ROWS_MAX bytes a record
 *   data    0x01, row kind, varint task, varint generation, varint epoch,
 *           zigzag varint timestamp, then one row (no length): what
 *           writers sent before rows records; still read
 *   marker  0x02, varint task, varint generation, varint epoch, zigzag
 *           varint watermark, flags (1 byte: 1 = ended, 2 = idle),
 *           varint tasks (how many tasks write the exchange)
 * A marker (task T, generation g, epoch E) commits T's records of g up to
 * epoch E (docs/scaling.md, "Exactly once through an internal topic").
 */
#ifndef EDDY_EXCHANGE_H
#define EDDY_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum { XREC_DATA = 1, XREC_MARKER = 2, XREC_ROWS = 3 };
/* A rows record is closed once its entries pass this many bytes (well
 * under librdkafka's and the broker's 1 MB message limit). */
enum { XREC_ROWS_MAX = 256 * 1024 };
enum { XFLAG_ENDED = 1, XFLAG_IDLE = 2 };

typedef struct XRecord {
    int         type;     /* XREC_DATA, XREC_ROWS or XREC_MARKER */
    int         kind;     /* data: the row's kind (RowKind) */
    int64_t     task;     /* the writing task */
    int64_t     gen;      /* its generation */
    int64_t     epoch;    /* data: the checkpoint it belongs to; marker: the checkpoint committed */
    int64_t     ts;       /* data: the row's timestamp (ms) */
    const char *row;      /* data: the row's bytes (into the record); rows: the entries' */
    size_t      rowlen;   /* their length */
    int64_t     watermark;/* marker: the writer's watermark */
    int         flags;    /* marker: XFLAG_* */
    int64_t     ntasks;   /* marker: tasks writing the exchange */
} XRecord;

/* Appends a record's bytes (data: row/rowlen already encoded; rows: the
 * header only, entries follow with xrec_put_entry). */
void xrec_encode(StrBuf *out, const XRecord *r);
/* Appends one entry of a rows record: kind, timestamp, the encoded row. */
void xrec_put_entry(StrBuf *out, int kind, int64_t ts, const char *row, size_t rowlen);
/* The entry at *p (before end) of a rows record's entries; 0 with *p past
 * it, or -1 (truncated, a bad kind, a length beyond the record). */
int  xrec_next_entry(const char **p, const char *end, int *kind, int64_t *ts, const char **row, size_t *rowlen);
/* Parses a record; 0, or -1 with the reason in err (truncated, unknown
 * type, a number out of range, a rows record with no entry or a damaged
 * one).  Rows are not decoded here. */
int  xrec_decode(const char *buf, size_t len, XRecord *out, char *err, size_t errlen);
/* A varint at *p (before end), zigzag-decoded or not (then at most
 * INT64_MAX); 0, or -1 when truncated or out of range. */
int  xrec_get_num(const unsigned char **p, const unsigned char *end, int64_t *v, bool zigzag);

#endif
