/*
 * pg_sink.h — rows into a PostgreSQL table (the 'jdbc' connector's sink):
 * buffering, COPY, upserts and deletes, one transaction per checkpoint with
 * a marker row of the checkpoint, retries after a lost connection, and the
 * check of the target table against the DDL.  The operator that feeds it
 * is exec/op_sink_jdbc.c; the protocol is docs/postgres-sink.md.
 *
 * Lifecycle: pgsink_open (connect, check or create the table, read the
 * marker) → pgsink_write per row → pgsink_send when the buffer is full or
 * old → pgsink_commit at each checkpoint (or each flush without one) →
 * pgsink_close.  A write is never visible before its commit.
 */
#ifndef EDDY_PG_SINK_H
#define EDDY_PG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

typedef struct PgSink PgSink;

typedef struct PgSinkSpec {
    const PlanTable *table;   /* the eddy table: its Connector holds url, table-name, flush and retry options */
    const PlanCol   *cols;    /* the sink row's columns (names and types), in row order */
    int              ncols;   /* count */
    const int       *key;     /* row indexes of the PRIMARY KEY columns (upsert), or NULL (append) */
    int              nkey;    /* count */
    const char      *job;     /* the job's name (shown in the marker row) */
    const char      *run_id;  /* the state file's run id: markers are kept under it; NULL = no marker (no state file) */
    NoticeFn         notice;  /* retries are reported here, or NULL */
    void            *notice_ctx; /* its context */
} PgSinkSpec;

/* The columns of database table tname (as written into SQL) against the
 * DDL's cols: each exists (exactly, else case-insensitively) with a type
 * it can hold, no other column needs a value, and with nkey > 0 a unique
 * index covers exactly key[] (indexes into cols).  reading: the columns
 * are read instead (a scan, a lookup): narrower database types that widen
 * without loss are accepted too, and other columns do not matter.  names[i] (freed and)
 * replaced by the database's column name, quoted.  0, or -1 with a message
 * naming the column and both types. */
struct PgConn;
int  pg_table_check(struct PgConn *conn, const char *tname, const PlanCol *cols, int ncols, const int *key, int nkey, bool reading,
                    char **names, char *err, size_t errlen);

/* Connects, creates the table when 'sink.create-table' asks and it is
 * missing, checks its columns against the DDL (a message names the column
 * and both types), and creates the marker table (eddy_checkpoints). */
int  pgsink_open(const PgSinkSpec *spec, PgSink **out, char *err, size_t errlen);
void pgsink_close(PgSink *s);

/* The last checkpoint the database holds for this run: *ckpt (0 = none)
 * and the source offsets it covered (*offs, malloc'd, n of them; the
 * caller frees the array and each topic string). */
int  pgsink_marker(PgSink *s, int64_t *ckpt, SourceOffset **offs, int *n, char *err, size_t errlen);

/* Buffers a row (+I/+U upsert or insert, -D/-U delete; an append table
 * takes only +I).  Rows of one key fold: the last change wins. */
int  pgsink_write(PgSink *s, RowKind k, const Value *row, char *err, size_t errlen);
/* Rows buffered and not yet sent. */
int64_t pgsink_buffered(const PgSink *s);
/* Sends the buffered rows into the open transaction (one COPY). */
int  pgsink_send(PgSink *s, char *err, size_t errlen);
/* Sends what is buffered and commits the open transaction; with
 * ckpt >= 1 (and a run id) the marker row of checkpoint ckpt and its
 * offsets commits with it.  A lost connection is retried
 * ('sink.max-retries', backoff): the transaction is redone from the rows
 * kept since the last commit, or found committed by its marker. */
int  pgsink_commit(PgSink *s, int64_t ckpt, const SourceOffset *offs, int n, char *err, size_t errlen);
/* Times a lost connection was retried since pgsink_open (for metrics). */
int64_t pgsink_retries(const PgSink *s);

#endif
