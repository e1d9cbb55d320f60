/*
 * pg_scan.c — a PostgreSQL table read once, in pieces (pg_scan.h):
 *
 *     BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
 *     DECLARE eddy_scan NO SCROLL CURSOR FOR
 *         SELECT <read expressions> FROM <table> ORDER BY <key> OFFSET <pos>;
 *     FETCH FORWARD <n> FROM eddy_scan;   … until fewer than n come back
 *     COMMIT
 *
 * The server streams the cursor: memory holds one fetch.  A lost
 * connection is retried for 'connection.max-retry-timeout': reconnect,
 * declare the cursor again from the rows already delivered (the order is
 * fixed, so OFFSET skips exactly those).  A table without a key read
 * without a fixed order (no state file: nothing to resume) fails instead
 * once it has delivered rows, since another query could return them in
 * another order.
 */
#include "pg_scan.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg.h"
#include "pg_lookup.h"
#include "pg_sink.h"

enum { SCAN_FETCH_DEFAULT = 10000 };

struct PgScan {
    PgScanSpec   spec;    /* as given (arrays copied) */
    const Connector *cn;  /* the table's options */
    char       **names;   /* quoted database column names, per column */
    int         *slot;    /* per result column: its column index */
    int          nread;   /* result columns */
    PgConn      *conn;    /* NULL after a lost connection */
    int64_t      at;      /* rows the open cursor has passed (its OFFSET included); -1 = no cursor */
    StrBuf       sql;     /* scratch */
};

static void scan_sleep(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int pgscan_open(const PgScanSpec *spec, PgScan **out, char *err, size_t errlen)
{
    PgScan *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->spec = *spec;
    PlanCol *cols = calloc((size_t)spec->ncols + 1, sizeof *cols);
    bool *read = calloc((size_t)spec->ncols + 1, sizeof *read);
    int *key = calloc((size_t)spec->nkey + 1, sizeof *key);
    s->names = calloc((size_t)spec->ncols + 1, sizeof *s->names);
    s->slot = calloc((size_t)spec->ncols + 1, sizeof *s->slot);
    if (!cols || !read || !key || !s->names || !s->slot) abort();
    memcpy(cols, spec->cols, sizeof *cols * (size_t)spec->ncols);
    memcpy(read, spec->read, sizeof *read * (size_t)spec->ncols);
    if (spec->nkey) memcpy(key, spec->key, sizeof *key * (size_t)spec->nkey);
    s->spec.cols = cols;
    s->spec.read = read;
    s->spec.key = key;
    s->cn = &spec->table->conn;
    s->at = -1;
    for (int i = 0; i < spec->ncols; i++)
        if (read[i]) s->slot[s->nread++] = i;
    if (pg_connect(s->cn->url, s->cn->username, s->cn->password, &s->conn, err, errlen) ||
        pg_table_check(s->conn, s->cn->table_name, cols, spec->ncols, NULL, 0, true, s->names, err, errlen)) {
        pgscan_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void pgscan_close(PgScan *s)
{
    if (!s) return;
    pg_close(s->conn);
    for (int i = 0; s->names && i < s->spec.ncols; i++) free(s->names[i]);
    free(s->names);
    free(s->slot);
    free((void *)s->spec.cols);
    free((void *)s->spec.read);
    free((void *)s->spec.key);
    sb_free(&s->sql);
    free(s);
}

/* Opens the transaction and the cursor, past the first pos rows. */
static int declare(PgScan *s, int64_t pos, char *err, size_t errlen)
{
    const PgScanSpec *sp = &s->spec;
    StrBuf *b = &s->sql;
    b->len = 0;
    sb_puts(b, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; DECLARE eddy_scan NO SCROLL CURSOR FOR SELECT ");
    for (int r = 0; r < s->nread; r++) {
        if (r) sb_puts(b, ", ");
        pg_read_expr(b, s->names[s->slot[r]], sp->cols[s->slot[r]].type);
    }
    sb_printf(b, " FROM %s", s->cn->table_name);
    if (sp->nkey) {
        sb_puts(b, " ORDER BY ");
        for (int k = 0; k < sp->nkey; k++) sb_printf(b, "%s%s", k ? ", " : "", s->names[sp->key[k]]);
    } else if (sp->ordered && s->nread) {
        sb_puts(b, " ORDER BY ");
        for (int r = 0; r < s->nread; r++) sb_printf(b, "%s%d", r ? ", " : "", r + 1);
    }
    if (pos > 0) sb_printf(b, " OFFSET %lld", (long long)pos);
    if (pg_exec(s->conn, b->s, err, errlen)) return -1;
    s->at = pos;
    return 0;
}

/* One FETCH: its rows to fn.  0, -1 (the connection or the statement
 * failed: err), -2 (a value or fn failed: not worth a retry). */
static int fetch(PgScan *s, int64_t *pos, int64_t max, int (*fn)(void *ctx, const Value *row), void *ctx, Arena *arena, bool *done,
                 char *err, size_t errlen)
{
    const PgScanSpec *sp = &s->spec;
    if (s->at != *pos) {
        if (s->at >= 0) pg_exec(s->conn, "ROLLBACK", err, errlen);   /* a cursor elsewhere (cannot happen in order) */
        if (declare(s, *pos, err, errlen)) return -1;
    }
    int64_t want = s->cn->scan_fetch > 0 ? s->cn->scan_fetch : SCAN_FETCH_DEFAULT;
    if (max < want) want = max;
    if (want <= 0) return 0;
    s->sql.len = 0;
    sb_printf(&s->sql, "FETCH FORWARD %lld FROM eddy_scan", (long long)want);
    PgResult *res = NULL;
    if (pg_query(s->conn, s->sql.s, 0, NULL, &res, err, errlen)) return -1;
    int n = pg_result_rows(res), rc = 0;
    Value *row = arena_alloc(arena, sizeof *row * (size_t)(sp->ncols ? sp->ncols : 1));
    for (int r = 0; r < n && rc == 0; r++) {
        for (int c = 0; c < sp->ncols; c++) row[c] = (Value){.null = 1};
        for (int c = 0; c < s->nread && rc == 0; c++) {
            const PlanCol *col = &sp->cols[s->slot[c]];
            const char *text = pg_result_value(res, r, c);
            if (pg_read_value(col->type, text, &row[s->slot[c]], arena)) {
                snprintf(err, errlen, "column '%s': cannot read '%.40s' as %s", col->name, text, type_kind_name((TypeKind)col->type.kind));
                rc = -2;
            }
        }
        if (rc == 0 && fn(ctx, row)) rc = -2;
        if (rc == 0) {
            (*pos)++;
            s->at++;
        }
    }
    pg_result_free(res);
    if (rc) return rc;
    if (n < want) {   /* the end: close the read-only transaction */
        *done = true;
        if (pg_exec(s->conn, "COMMIT", err, errlen)) return -1;
        s->at = -1;
    }
    return 0;
}

int pgscan_next(PgScan *s, int64_t *pos, int64_t max, int (*fn)(void *ctx, const Value *row), void *ctx, Arena *arena, bool *done,
                char *err, size_t errlen)
{
    *done = false;
    int64_t backoff = 500, since = 0;
    for (;;) {
        char e[1024] = "";
        int64_t before = *pos;
        int rc = s->conn ? 0 : pg_connect(s->cn->url, s->cn->username, s->cn->password, &s->conn, e, sizeof e);
        if (rc == 0) rc = fetch(s, pos, max, fn, ctx, arena, done, e, sizeof e);
        if (rc == 0) return 0;
        if (rc == -2 || (s->conn && !pg_lost(s->conn))) {
            snprintf(err, errlen, "PostgreSQL table '%s' (scan): %s", s->cn->table_name, e);
            return -1;
        }
        /* The connection is gone: the rows delivered so far stay delivered. */
        pg_close(s->conn);
        s->conn = NULL;
        s->at = -1;
        if (!s->spec.nkey && !s->spec.ordered && *pos > 0) {
            snprintf(err, errlen,
                     "PostgreSQL table '%s' (scan): the connection was lost after %lld rows (%s), and a table without a PRIMARY KEY "
                     "read without a state file has no fixed order to resume in",
                     s->cn->table_name, (long long)*pos, e);
            return -1;
        }
        if (*pos > before) since = 0;   /* progress: the timeout counts afresh */
        int64_t now = mono_ms();
        if (!since) since = now;
        if (now - since >= s->cn->retry_timeout_ms) {
            snprintf(err, errlen, "PostgreSQL table '%s' (scan): the connection failed and did not come back within %.0f s "
                                  "('connection.max-retry-timeout'): %s",
                     s->cn->table_name, (double)s->cn->retry_timeout_ms / 1000.0, e);
            return -1;
        }
        if (s->spec.notice) {
            char msg[1400];
            snprintf(msg, sizeof msg, "PostgreSQL table '%s' (scan, %lld rows read): %s; reconnecting in %lld ms", s->cn->table_name,
                     (long long)*pos, e, (long long)backoff);
            s->spec.notice(s->spec.notice_ctx, msg);
        }
        scan_sleep(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
}
