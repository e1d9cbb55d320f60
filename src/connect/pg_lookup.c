/*
 * pg_lookup.c — look-ups by key in a PostgreSQL table (pg_lookup.h).
 *
 * The SELECT converts every column to a text that is trivial to read back
 * into eddy's representation (value.h): TIMESTAMP / TIMESTAMP_LTZ as epoch
 * milliseconds, DATE as days since 1970-01-01, DECIMAL(p, s) as the value
 * × 10^s rounded, BYTES as hex; the rest as they print.  Keys go as text
 * parameters: WHERE k IN ($1, $2, …), or (k1, k2) IN (($1, $2), …) for a
 * composite key, at most 1000 keys a query.
 */
#include "pg_lookup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg.h"
#include "pg_sink.h"

enum { LOOKUP_BATCH = 1000 };

struct PgLookup {
    PgLookupSpec spec;    /* as given */
    const Connector *cn;  /* the table's options */
    char       **names;   /* quoted database column names, per spec column */
    char        *select;  /* SELECT … FROM … WHERE (keys) IN */
    PgConn      *conn;    /* NULL after a lost connection */
    StrBuf       sql, params; /* scratch */
};

static void lookup_sleep(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void pg_read_expr(StrBuf *b, const char *name, Type t)
{
    switch ((TypeKind)t.kind) {
    case TY_DECIMAL: {
        sb_printf(b, "round(%s * 1", name);
        for (int i = 0; i < t.scale; i++) sb_putc(b, '0');
        sb_puts(b, ")::bigint");
        break;
    }
    case TY_BYTES: sb_printf(b, "encode(%s, 'hex')", name); break;
    case TY_DATE: sb_printf(b, "(%s - date '1970-01-01')", name); break;
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ: sb_printf(b, "floor(extract(epoch from %s) * 1000)::bigint", name); break;
    case TY_STRING: sb_printf(b, "%s::text", name); break;   /* json, jsonb, uuid: their text; and comparable (a scan's ORDER BY) */
    default: sb_printf(b, "%s", name); break;
    }
}

int pglookup_open(const PgLookupSpec *spec, PgLookup **out, char *err, size_t errlen)
{
    PgLookup *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->spec = *spec;
    /* the column and key arrays are the caller's: keep copies (names point into the plan) */
    PlanCol *cols = calloc((size_t)spec->ncols + 1, sizeof *cols);
    int *key = calloc((size_t)spec->nkey + 1, sizeof *key);
    if (!cols || !key) abort();
    memcpy(cols, spec->cols, sizeof *cols * (size_t)spec->ncols);
    memcpy(key, spec->key, sizeof *key * (size_t)spec->nkey);
    l->spec.cols = cols;
    l->spec.key = key;
    l->cn = &spec->table->conn;
    l->names = calloc((size_t)spec->ncols + 1, sizeof *l->names);
    if (!l->names) abort();
    if (pg_connect(l->cn->url, l->cn->username, l->cn->password, &l->conn, err, errlen) ||
        pg_table_check(l->conn, l->cn->table_name, spec->cols, spec->ncols, NULL, 0, true, l->names, err, errlen)) {
        pglookup_close(l);
        return -1;
    }
    StrBuf b = {0};
    sb_puts(&b, "SELECT ");
    for (int i = 0; i < spec->ncols; i++) {
        if (i) sb_puts(&b, ", ");
        pg_read_expr(&b, l->names[i], spec->cols[i].type);
    }
    sb_printf(&b, " FROM %s WHERE ", l->cn->table_name);
    if (spec->nkey > 1) sb_putc(&b, '(');
    for (int k = 0; k < spec->nkey; k++) sb_printf(&b, "%s%s", k ? ", " : "", l->names[spec->key[k]]);
    sb_puts(&b, spec->nkey > 1 ? ") IN (" : " IN (");
    l->select = sb_take(&b);
    *out = l;
    return 0;
}

void pglookup_close(PgLookup *l)
{
    if (!l) return;
    pg_close(l->conn);
    for (int i = 0; l->names && i < l->spec.ncols; i++) free(l->names[i]);
    free(l->names);
    free((void *)l->spec.cols);
    free((void *)l->spec.key);
    free(l->select);
    sb_free(&l->sql);
    sb_free(&l->params);
    free(l);
}

/* A key value as a query parameter's text. */
static void param_text(StrBuf *b, Type t, const Value *v)
{
    if (t.kind == TY_STRING) {
        sb_putn(b, v->s, (size_t)v->n);
    } else if (t.kind == TY_BYTES) {
        static const char hex[] = "0123456789abcdef";
        sb_putn(b, "\\x", 2);
        for (int i = 0; i < v->n; i++) {
            unsigned char c = (unsigned char)v->s[i];
            char h[2] = {hex[c >> 4], hex[c & 15]};
            sb_putn(b, h, 2);
        }
    } else {
        char buf[64];
        int n = value_format(buf, t, v);
        sb_putn(b, buf, (size_t)n);
        if (t.kind == TY_TIMESTAMP_LTZ) sb_puts(b, "+00");
    }
}

int pg_read_value(Type t, const char *s, Value *v, Arena *a)
{
    if (!s) {
        *v = (Value){.null = 1};
        return 0;
    }
    *v = (Value){0};
    char *end = NULL;
    errno = 0;
    switch ((TypeKind)t.kind) {
    case TY_BOOLEAN: v->i = s[0] == 't'; return 0;
    case TY_FLOAT:
    case TY_DOUBLE: v->d = strtod(s, &end); break;
    case TY_STRING:
        v->n = (int32_t)strlen(s);
        v->s = arena_strndup(a, s, (size_t)v->n);
        return 0;
    case TY_BYTES: {
        size_t n = strlen(s) / 2;
        char *p = arena_alloc(a, n + 1);
        for (size_t i = 0; i < n; i++) {
            unsigned hi, lo;
            if (sscanf(s + 2 * i, "%1x%1x", &hi, &lo) != 2) return -1;
            p[i] = (char)(hi << 4 | lo);
        }
        v->s = p;
        v->n = (int32_t)n;
        return 0;
    }
    default: v->i = strtoll(s, &end, 10); break;   /* integers, DATE, TIMESTAMP*, DECIMAL (scaled) */
    }
    return end && *end == 0 && end != s && errno == 0 ? 0 : -1;
}

static int fetch_some(PgLookup *l, const Value *keys, int n, int (*fn)(void *ctx, const Value *row), void *ctx, Arena *arena,
                      char *err, size_t errlen)
{
    const PgLookupSpec *sp = &l->spec;
    int nk = sp->nkey, np = n * nk;
    l->sql.len = 0;
    sb_puts(&l->sql, l->select);
    for (int r = 0; r < n; r++) {
        sb_puts(&l->sql, r ? ", " : "");
        if (nk > 1) sb_putc(&l->sql, '(');
        for (int k = 0; k < nk; k++) sb_printf(&l->sql, "%s$%d", k ? ", " : "", r * nk + k + 1);
        if (nk > 1) sb_putc(&l->sql, ')');
    }
    sb_putc(&l->sql, ')');
    /* parameter texts, NUL-separated in one buffer */
    l->params.len = 0;
    size_t *off = malloc(sizeof *off * (size_t)(np ? np : 1));
    const char **pv = malloc(sizeof *pv * (size_t)(np ? np : 1));
    if (!off || !pv) abort();
    for (int i = 0; i < np; i++) {
        off[i] = l->params.len;
        param_text(&l->params, sp->cols[sp->key[i % nk]].type, &keys[i]);
        sb_putc(&l->params, 0);
    }
    for (int i = 0; i < np; i++) pv[i] = l->params.s + off[i];
    PgResult *res = NULL;
    int rc = pg_query(l->conn, l->sql.s, np, pv, &res, err, errlen);
    free(off);
    free(pv);
    if (rc) return -1;
    Value *row = arena_alloc(arena, sizeof *row * (size_t)(sp->ncols ? sp->ncols : 1));
    for (int r = 0; r < pg_result_rows(res) && rc == 0; r++) {
        for (int c = 0; c < sp->ncols && rc == 0; c++)
            if (pg_read_value(sp->cols[c].type, pg_result_value(res, r, c), &row[c], arena)) {
                snprintf(err, errlen, "column '%s': cannot read '%.40s'", sp->cols[c].name, pg_result_value(res, r, c));
                rc = -2;
            }
        if (rc == 0 && fn(ctx, row)) rc = -2;
    }
    pg_result_free(res);
    return rc;
}

int pglookup_fetch(PgLookup *l, const Value *keys, int n, int (*fn)(void *ctx, const Value *row), void *ctx, Arena *arena,
                   char *err, size_t errlen)
{
    for (int at = 0; at < n; at += LOOKUP_BATCH) {
        int cnt = n - at < LOOKUP_BATCH ? n - at : LOOKUP_BATCH;
        int64_t backoff = 500;
        for (int attempt = 0;; attempt++) {
            char e[1024] = "";
            int rc = l->conn ? 0 : pg_connect(l->cn->url, l->cn->username, l->cn->password, &l->conn, e, sizeof e);
            if (rc == 0) rc = fetch_some(l, keys + (size_t)at * (size_t)l->spec.nkey, cnt, fn, ctx, arena, e, sizeof e);
            if (rc == 0) break;
            if (rc == -2 || (l->conn && !pg_lost(l->conn))) {
                snprintf(err, errlen, "PostgreSQL table '%s': %s", l->cn->table_name, e);
                return -1;
            }
            pg_close(l->conn);
            l->conn = NULL;
            if (attempt >= l->cn->lookup_retries) {
                snprintf(err, errlen, "PostgreSQL table '%s': the connection failed and %lld retries did not bring it back: %s",
                         l->cn->table_name, (long long)l->cn->lookup_retries, e);
                return -1;
            }
            if (l->spec.notice) {
                char msg[1400];
                snprintf(msg, sizeof msg, "PostgreSQL table '%s' (lookup): %s; retry %d of %lld in %lld ms", l->cn->table_name, e,
                         attempt + 1, (long long)l->cn->lookup_retries, (long long)backoff);
                l->spec.notice(l->spec.notice_ctx, msg);
            }
            lookup_sleep(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
    }
    return 0;
}
