/*
 * pg.c — the PostgreSQL client behind pg.h: the one file that includes
 * libpq-fe.h.  Connection strings, statements, results and COPY; what is
 * written and when it commits is pg_sink.c's business.
 */
#include "pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct PgConn {
    PGconn *conn;         /* libpq's connection */
};

struct PgResult {
    PGresult *res;        /* libpq's result */
};

/* Quiet: libpq's default notice processor prints server NOTICEs to stderr. */
static void pg_no_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* err ← what, then the message of res (or of the connection), with SQLSTATE. */
static void pg_error(PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen)
{
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg) msg = PQerrorMessage(conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    if (state) snprintf(err, errlen, "%s: %.*s (SQLSTATE %s)", what, (int)n, msg, state);
    else snprintf(err, errlen, "%s: %.*s", what, (int)n, msg);
}

int pg_connect(const char *url, const char *user, const char *password, PgConn **out, char *err, size_t errlen)
{
    /* A JDBC URL is a libpq URI once 'jdbc:' is dropped. */
    const char *dsn = strncmp(url, "jdbc:", 5) == 0 ? url + 5 : url;
    const char *keys[4], *vals[4];
    int n = 0;
    keys[n] = "dbname", vals[n++] = dsn;   /* expanded: a URI or key=value string */
    if (user) keys[n] = "user", vals[n++] = user;
    if (password) keys[n] = "password", vals[n++] = password;
    keys[n] = NULL, vals[n] = NULL;
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: out of memory");
        return -1;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        pg_error(conn, NULL, "cannot connect to PostgreSQL", err, errlen);
        PQfinish(conn);
        return -1;
    }
    PQsetNoticeProcessor(conn, pg_no_notice, NULL);
    PgConn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->conn = conn;
    *out = c;
    return 0;
}

void pg_close(PgConn *c)
{
    if (!c) return;
    PQfinish(c->conn);
    free(c);
}

bool pg_lost(const PgConn *c) { return !c || PQstatus(c->conn) != CONNECTION_OK; }

static bool pg_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int pg_exec(PgConn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(c->conn, sql);
    int rc = 0;
    if (!res || !pg_ok(res)) {
        pg_error(c->conn, res, "PostgreSQL", err, errlen);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

int pg_query(PgConn *c, const char *sql, int nparams, const char *const *params, PgResult **out, char *err, size_t errlen)
{
    PGresult *res = PQexecParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!res || !pg_ok(res)) {
        pg_error(c->conn, res, "PostgreSQL", err, errlen);
        PQclear(res);
        return -1;
    }
    PgResult *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->res = res;
    *out = r;
    return 0;
}

int pg_result_rows(const PgResult *r) { return PQntuples(r->res); }

const char *pg_result_value(const PgResult *r, int row, int col)
{
    return PQgetisnull(r->res, row, col) ? NULL : PQgetvalue(r->res, row, col);
}

void pg_result_free(PgResult *r)
{
    if (!r) return;
    PQclear(r->res);
    free(r);
}

int pg_copy(PgConn *c, const char *copy, const char *data, size_t len, char *err, size_t errlen)
{
    if (errlen) err[0] = 0;
    PGresult *res = PQexec(c->conn, copy);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        pg_error(c->conn, res, "PostgreSQL", err, errlen);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    /* In pieces: PQputCopyData takes an int length. */
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0;) {
        size_t n = len - at > (1u << 20) ? (1u << 20) : len - at;
        if (PQputCopyData(c->conn, data + at, (int)n) != 1) rc = -1;
        at += n;
    }
    if (PQputCopyEnd(c->conn, rc ? "eddy: sending failed" : NULL) != 1) rc = -1;
    /* The COPY's result, then the end of the command. */
    while ((res = PQgetResult(c->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            pg_error(c->conn, res, "PostgreSQL", err, errlen);
            rc = -1;
        } else if (rc && !err[0]) {
            pg_error(c->conn, res, "PostgreSQL", err, errlen);
        }
        PQclear(res);
    }
    if (rc && !err[0]) pg_error(c->conn, NULL, "PostgreSQL", err, errlen);
    return rc;
}
