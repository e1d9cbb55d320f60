/*
 * pg_scan.h — a PostgreSQL table read once, in pieces (the jdbc
 * connector's bounded scan, exec/op_scan_jdbc.c): a cursor in one
 * read-only transaction, FETCH a piece at a time, values converted to
 * eddy's (value.h) by the query itself (pg_lookup.h's pg_read_expr).
 * Never the whole table in memory.
 *
 * Rows come in a fixed order — by the PRIMARY KEY, or, for a table
 * without one whose position must survive (ordered), by every column
 * read — so that a scan can resume after `pos` rows: after a lost
 * connection (reconnect for 'connection.max-retry-timeout', declare the
 * cursor again with OFFSET pos) and after a restart (the checkpoint
 * holds pos).
 */
#ifndef EDDY_PG_SCAN_H
#define EDDY_PG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

typedef struct PgScan PgScan;

typedef struct PgScanSpec {
    const PlanTable *table;   /* the jdbc table: url, table-name, credentials, scan options */
    const PlanCol   *cols;    /* its columns as declared (names, types): all are checked against the database */
    int              ncols;   /* count */
    const bool      *read;    /* per column: whether rows carry it (the others come back NULL) */
    const int       *key;     /* indexes into cols of the PRIMARY KEY: the order of rows, or NULL */
    int              nkey;    /* count */
    bool             ordered; /* without a key: still a fixed order (every column read), so pos means the same rows */
    NoticeFn         notice;  /* reconnects are reported here, or NULL */
    void            *notice_ctx;
} PgScanSpec;

/* Connects and checks every column against the database table (a message
 * names the column and both types).  The spec's arrays are copied; the
 * table and names must outlive the handle. */
int  pgscan_open(const PgScanSpec *spec, PgScan **out, char *err, size_t errlen);
void pgscan_close(PgScan *s);

/* The next rows after the first *pos (at most max, at most a fetch of
 * 'scan.fetch-size'): fn(ctx, row) for each (ncols values, NULL where not
 * read, strings in arena), *pos moved past them; *done when the table has
 * no more.  A lost connection is retried (see above).  0 or -1. */
int  pgscan_next(PgScan *s, int64_t *pos, int64_t max, int (*fn)(void *ctx, const Value *row), void *ctx, Arena *arena, bool *done,
                 char *err, size_t errlen);

#endif
