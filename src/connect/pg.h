/*
 * pg.h — a small PostgreSQL client over libpq: connect, run a statement,
 * read a result, stream a COPY.  Only pg.c includes libpq-fe.h; the rest
 * of eddy (the jdbc sink, pg_sink.c) talks to this interface.
 *
 * Handles are opaque, calls return 0 or -1 with the server's message (and
 * its SQLSTATE) in the caller's buffer, nothing is printed.  After a
 * failure pg_lost() tells a lost connection (worth a reconnect and a
 * retry) from an error of the statement (not worth one).
 */
#ifndef EDDY_PG_H
#define EDDY_PG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct PgConn PgConn;
typedef struct PgResult PgResult;

/* Connects to url — 'jdbc:postgresql://host:port/db?…', 'postgresql://…'
 * or a libpq 'key=value' string — as user / password when not NULL (they
 * override the url's).  *out is set on success; on failure the message
 * names the server's reason. */
int  pg_connect(const char *url, const char *user, const char *password, PgConn **out, char *err, size_t errlen);
/* Closes the connection (NULL-safe); an open transaction is rolled back by the server. */
void pg_close(PgConn *c);
/* Whether the connection is gone (the server went away, a network error):
 * a statement that failed this way may succeed on a new connection. */
bool pg_lost(const PgConn *c);

/* Runs sql (one statement, or several separated by ';' without
 * parameters) and discards any rows. */
int  pg_exec(PgConn *c, const char *sql, char *err, size_t errlen);
/* Runs sql with text parameters $1…$n (a NULL entry is SQL NULL) and
 * keeps its rows in *out (free with pg_result_free). */
int  pg_query(PgConn *c, const char *sql, int nparams, const char *const *params, PgResult **out, char *err, size_t errlen);
int  pg_result_rows(const PgResult *r);
/* The text of a cell, NULL when it is SQL NULL; valid until pg_result_free. */
const char *pg_result_value(const PgResult *r, int row, int col);
void pg_result_free(PgResult *r);

/* Runs `copy` (a 'COPY … FROM STDIN' statement) and sends data (len bytes
 * in COPY's text format) as its input. */
int  pg_copy(PgConn *c, const char *copy, const char *data, size_t len, char *err, size_t errlen);

#endif
