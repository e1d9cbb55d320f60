/*
 * pg_lookup.h — rows of a PostgreSQL table by key, for lookup joins
 * (exec/op_lookup_join.c): one query for the keys of a whole batch, values
 * converted to eddy's (value.h) by the query itself (epoch milliseconds,
 * days, scaled decimals, hex bytes), retries after a lost connection.
 */
#ifndef EDDY_PG_LOOKUP_H
#define EDDY_PG_LOOKUP_H

#include <stddef.h>

#include "exec.h"

typedef struct PgLookup PgLookup;

typedef struct PgLookupSpec {
    const PlanTable *table;   /* the jdbc table: url, table-name, credentials, lookup.max-retries */
    const PlanCol   *cols;    /* the columns fetched (names, types), in the order rows come back */
    int              ncols;   /* count */
    const int       *key;     /* indexes into cols of the columns looked up by */
    int              nkey;    /* count */
    NoticeFn         notice;  /* retries are reported here, or NULL */
    void            *notice_ctx;
} PgLookupSpec;

/* Connects and checks the table's columns (spec's arrays are copied; the
 * table and the column names must outlive the handle) against the DDL (as the sink
 * does: a message names the column and both types). */
int  pglookup_open(const PgLookupSpec *spec, PgLookup **out, char *err, size_t errlen);
void pglookup_close(PgLookup *l);

/* The rows whose key columns equal one of n keys (keys: n rows of nkey
 * values, none NULL): fn(ctx, row) for each row found (ncols values,
 * strings in arena); fn returns 0 to go on.  One query per 1000 keys. */
int  pglookup_fetch(PgLookup *l, const Value *keys, int n, int (*fn)(void *ctx, const Value *row), void *ctx, Arena *arena,
                    char *err, size_t errlen);

/* ---- reading values (a lookup, a scan: pg_scan.c) ---- */

/* Appends the SELECT expression that reads column `name` (quoted) into
 * eddy type t as a text trivial to read back: TIMESTAMP / TIMESTAMP_LTZ
 * as epoch milliseconds, DATE as days since 1970-01-01, DECIMAL(p, s) as
 * the value × 10^s rounded, BYTES as hex, STRING as ::text (json, jsonb,
 * uuid included); the rest as they print. */
void pg_read_expr(StrBuf *b, const char *name, Type t);
/* Reads back the text of such an expression (NULL = SQL NULL) into *v;
 * strings are copied into a.  0, or -1 when the text is not one. */
int  pg_read_value(Type t, const char *s, Value *v, Arena *a);

#endif
