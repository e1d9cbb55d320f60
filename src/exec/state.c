/*
 * state.c — the state file (state.h), the one file of eddy that includes
 * sqlite3.h.
 *
 * Settings chosen for checkpoints: WAL journal with synchronous=NORMAL (a
 * commit is durable once the WAL is synced at checkpoint of the WAL; a power
 * loss may lose the last checkpoint but never corrupts the file — the job
 * then restarts from the one before, which replays correctly); prepared
 * statements reused for every row.  Two jobs must not share a state file:
 * the job holds a flock(2) on the file for as long as it runs (flock is
 * independent of SQLite's own POSIX locks, so `sqlite3 job.db` can still
 * read it meanwhile), and a second job fails at once.
 */
#include "state.h"

#include "arena.h"
#include "rowkey.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

struct StateStore {
    sqlite3      *db;     /* the connection */
    sqlite3_stmt *put;    /* INSERT OR REPLACE into eddy_state */
    sqlite3_stmt *del;    /* DELETE from eddy_state */
    sqlite3_stmt *off;    /* INSERT OR REPLACE into eddy_offsets */
    sqlite3_stmt *getoff; /* SELECT next_offset */
    sqlite3_stmt *logput; /* INSERT into eddy_log */
    int64_t       nlog;   /* rows in eddy_log */
    int64_t       nstate; /* rows in eddy_state (after the last compaction) */
    char         *path;   /* file name, for messages */
    char          err[512]; /* last error */
    char         *meta;   /* last state_get_meta result (heap) */
    int           lockfd; /* descriptor holding the flock, -1 = none */
    bool          header; /* the file has shown SQLite's header (verify_file) */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS eddy_meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS eddy_operators(op INTEGER PRIMARY KEY, kind TEXT, fingerprint TEXT, description TEXT);"
    "CREATE TABLE IF NOT EXISTS eddy_offsets(topic TEXT, partition INTEGER, next_offset INTEGER, PRIMARY KEY(topic, partition));"
    "CREATE TABLE IF NOT EXISTS eddy_state(op INTEGER, key BLOB, value BLOB, key_text TEXT, value_text TEXT,"
    " PRIMARY KEY(op, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS eddy_log(seq INTEGER PRIMARY KEY, op INTEGER, key BLOB, value BLOB, key_text TEXT, value_text TEXT);"
    /* What the state is now: eddy_state overridden by the newer eddy_log rows. */
    "CREATE VIEW IF NOT EXISTS eddy_current AS SELECT op, key, value, key_text, value_text FROM ("
    " SELECT *, row_number() OVER (PARTITION BY op, key ORDER BY src DESC, seq DESC) AS rn FROM ("
    "  SELECT op, key, value, key_text, value_text, 0 AS src, 0 AS seq FROM eddy_state"
    "  UNION ALL SELECT op, key, value, key_text, value_text, 1, seq FROM eddy_log))"
    " WHERE rn = 1 AND value IS NOT NULL;";

static int fail(StateStore *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "state file %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
    return -1;
}

const char *state_errmsg(const StateStore *s) { return s->err; }

static int64_t count_rows(StateStore *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int state_open(const char *path, StateStore **out, char *err, size_t errlen)
{
    *out = NULL;
    StateStore *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->lockfd = -1;
    s->path = strdup(path);
    /* 0600, as other databases' data files: state holds the job's data.
     * SQLite gives its -wal and -shm files the database file's mode. */
    s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lockfd < 0) {
        snprintf(err, errlen, "cannot open state file %s: %s", path, strerror(errno));
        state_close(s);
        return -1;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "state file %s is in use by another eddy job (%s)", path,
                 errno == EWOULDBLOCK ? "locked" : strerror(errno));
        state_close(s);
        return -1;
    }
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open state file %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        state_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 0);
    char *msg = NULL;
    /* An exclusive lock taken at once tells "another job uses this file". */
    /* A 32 MiB page cache: checkpoints append to the log (few pages), and
     * only folding the log into the keyed table wants more; a bigger cache
     * cost ~280 bytes per group of resident memory with 1M groups (measured). */
    rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;", NULL, NULL, &msg);
    if (rc == SQLITE_OK) {
        /* An existing state file must still have all its tables: re-creating
         * a dropped one would silently restart from nothing. */
        int64_t meta = count_rows(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'eddy_meta'");
        int64_t have = count_rows(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                                     "('eddy_meta', 'eddy_operators', 'eddy_offsets', 'eddy_state')");
        if (meta && have != 4) {
            snprintf(err, errlen, "state file %s is damaged: one of its tables is missing; start fresh with --reset-state", path);
            state_close(s);
            return -1;
        }
        rc = sqlite3_exec(s->db, schema, NULL, NULL, &msg);
    }
    if (rc != SQLITE_OK) {
        const char *why = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? "it is locked by another process (is the job already running?)"
                        : rc == SQLITE_NOTADB                      ? "it is not an eddy state file (not a SQLite database)"
                                                                   : (msg ? msg : sqlite3_errstr(rc));
        snprintf(err, errlen, "state file %s: %s", path, why);
        sqlite3_free(msg);
        state_close(s);
        return -1;
    }
    const char *fmt = state_get_meta(s, "format");
    if (fmt && strcmp(fmt, "1") != 0) {
        snprintf(err, errlen, "state file %s has format %s; this eddy reads format 1", path, fmt);
        state_close(s);
        return -1;
    }
    if (!fmt) state_set_meta(s, "format", "1");
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO eddy_state(op, key, value, key_text, value_text) VALUES(?,?,?,?,?)", -1, &s->put, NULL) ||
        sqlite3_prepare_v2(s->db, "DELETE FROM eddy_state WHERE op = ? AND key = ?", -1, &s->del, NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO eddy_offsets(topic, partition, next_offset) VALUES(?,?,?)", -1, &s->off, NULL) ||
        sqlite3_prepare_v2(s->db, "SELECT next_offset FROM eddy_offsets WHERE topic = ? AND partition = ?", -1, &s->getoff, NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO eddy_log(op, key, value, key_text, value_text) VALUES(?,?,?,?,?)", -1, &s->logput, NULL)) {
        snprintf(err, errlen, "state file %s: %s", path, sqlite3_errmsg(s->db));
        state_close(s);
        return -1;
    }
    s->nlog = count_rows(s, "SELECT count(*) FROM eddy_log");
    s->nstate = count_rows(s, "SELECT count(*) FROM eddy_state");
    *out = s;
    return 0;
}

void state_close(StateStore *s)
{
    if (!s) return;
    sqlite3_finalize(s->put);
    sqlite3_finalize(s->del);
    sqlite3_finalize(s->off);
    sqlite3_finalize(s->getoff);
    sqlite3_finalize(s->logput);
    sqlite3_close(s->db);
    if (s->lockfd >= 0) close(s->lockfd);   /* releases the flock */
    free(s->path);
    free(s->meta);
    free(s);
}

int state_reset(StateStore *s, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, "BEGIN; DELETE FROM eddy_state; DELETE FROM eddy_log; DELETE FROM eddy_offsets; DELETE FROM eddy_operators;"
                            " DELETE FROM eddy_meta WHERE key <> 'format'; COMMIT;", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "state file %s: cannot reset: %s", s->path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    s->nlog = s->nstate = 0;
    return 0;
}

const char *state_get_meta(StateStore *s, const char *key)
{
    sqlite3_stmt *st;
    free(s->meta);
    s->meta = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM eddy_meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) s->meta = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s->meta;
}

int state_set_meta(StateStore *s, const char *key, const char *value)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO eddy_meta(key, value) VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
        return fail(s, "meta");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "meta");
}

int state_operator_count(StateStore *s)
{
    sqlite3_stmt *st;
    int n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM eddy_operators", -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int state_get_operator(StateStore *s, int op, char *kind, size_t kcap, char *fp, size_t fcap, char *desc, size_t dcap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT kind, fingerprint, description FROM eddy_operators WHERE op = ?", -1, &st, NULL) != SQLITE_OK)
        return fail(s, "operators");
    sqlite3_bind_int(st, 1, op);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(st, 0, kind, kcap);
        copy_col(st, 1, fp, fcap);
        copy_col(st, 2, desc, dcap);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : 1;
}

int state_set_operator(StateStore *s, int op, const char *kind, const char *fp, const char *desc)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO eddy_operators(op, kind, fingerprint, description) VALUES(?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s, "operators");
    sqlite3_bind_int(st, 1, op);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, desc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "operators");
}

int state_get_offset(StateStore *s, const char *topic, int partition, int64_t *next)
{
    sqlite3_reset(s->getoff);
    sqlite3_bind_text(s->getoff, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(s->getoff, 2, partition);
    int rc = sqlite3_step(s->getoff);
    if (rc == SQLITE_ROW) *next = sqlite3_column_int64(s->getoff, 0);
    sqlite3_reset(s->getoff);
    return rc == SQLITE_ROW ? 0 : 1;
}

bool state_has_offsets(StateStore *s, const char *topic)
{
    sqlite3_stmt *st;
    bool any = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM eddy_offsets WHERE topic = ? LIMIT 1", -1, &st, NULL) != SQLITE_OK) return false;
    sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
    any = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return any;
}

/* ---- checkpoint batches ---- */

typedef struct BatchRow {
    int         op;       /* operator, or -1 offset, -2 meta, -3 drop an operator's rows (klen: the operator),
                             -4 an operator's record (klen: the operator; key kind, val fingerprint, ktext description),
                             -5 reset (empty the file) */
    bool        del;      /* a delete */
    const char *key;      /* key bytes (offset: topic; meta: key) */
    size_t      klen;     /* key length (offset: partition) */
    const char *val;      /* value bytes (meta: value) */
    size_t      vlen;     /* value length */
    const char *ktext;    /* readable key */
    const char *vtext;    /* readable value */
    int64_t     num;      /* offset: next offset */
} BatchRow;

struct StateBatch {
    bool      last;       /* a stopping job's final checkpoint: no folding */
    Arena     arena;      /* copies */
    BatchRow *rows;       /* in order */
    size_t    n, cap;     /* count, capacity */
};

StateBatch *state_batch_new(void)
{
    StateBatch *b = calloc(1, sizeof *b);
    if (!b) abort();
    arena_init(&b->arena, 64 * 1024);
    return b;
}

/* Most bytes of copies a cleared batch keeps for the next checkpoint
 * (arena_reset: what the last one used, up to this), so that a steady
 * job's checkpoints do not fault in fresh pages each time. */
#define STATE_BATCH_KEEP ((size_t)16 << 20)

void state_batch_clear(StateBatch *b)
{
    arena_reset(&b->arena, STATE_BATCH_KEEP);
    b->n = 0;
    b->last = false;
}

void state_batch_free(StateBatch *b)
{
    if (!b) return;
    arena_free(&b->arena);
    free(b->rows);
    free(b);
}

size_t state_batch_rows(const StateBatch *b) { return b->n; }

size_t state_batch_bytes(const StateBatch *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->rows[i].op >= 0) n += b->rows[i].klen + b->rows[i].vlen;
    return n;
}

void state_batch_set_last(StateBatch *b, bool last) { b->last = last; }

static BatchRow *batch_add_row(StateBatch *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->rows = realloc(b->rows, sizeof *b->rows * b->cap);
        if (!b->rows) abort();
    }
    BatchRow *r = &b->rows[b->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void state_batch_put(StateBatch *b, int op, const void *key, size_t klen, const void *val, size_t vlen, const char *key_text,
                     const char *val_text)
{
    BatchRow *r = batch_add_row(b);
    r->op = op;
    r->key = arena_strndup(&b->arena, key, klen);
    r->klen = klen;
    r->val = arena_strndup(&b->arena, val, vlen);
    r->vlen = vlen;
    r->ktext = arena_strdup(&b->arena, key_text);
    r->vtext = arena_strdup(&b->arena, val_text);
}

void state_batch_del(StateBatch *b, int op, const void *key, size_t klen)
{
    BatchRow *r = batch_add_row(b);
    r->op = op;
    r->del = true;
    r->key = arena_strndup(&b->arena, key, klen);
    r->klen = klen;
}

void state_batch_drop_op(StateBatch *b, int op)
{
    BatchRow *r = batch_add_row(b);
    r->op = -3;
    r->klen = (size_t)op;
}

void state_batch_offset(StateBatch *b, const char *topic, int partition, int64_t next)
{
    BatchRow *r = batch_add_row(b);
    r->op = -1;
    r->key = arena_strdup(&b->arena, topic);
    r->klen = (size_t)partition;
    r->num = next;
}

void state_batch_meta(StateBatch *b, const char *key, const char *value)
{
    BatchRow *r = batch_add_row(b);
    r->op = -2;
    r->key = arena_strdup(&b->arena, key);
    r->val = arena_strdup(&b->arena, value);
}

static int write_row(StateStore *s, const BatchRow *r)
{
    sqlite3_stmt *st;
    if (r->op == -2) return state_set_meta(s, r->key, r->val);
    if (r->op == -4) return state_set_operator(s, (int)r->klen, r->key, r->val, r->ktext);
    if (r->op == -5) {
        if (sqlite3_exec(s->db, "DELETE FROM eddy_state; DELETE FROM eddy_log; DELETE FROM eddy_offsets; DELETE FROM eddy_operators;"
                                " DELETE FROM eddy_meta WHERE key <> 'format';", NULL, NULL, NULL) != SQLITE_OK)
            return fail(s, "reset the state");
        s->nlog = s->nstate = 0;
        return 0;
    }
    if (r->op == -3) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM eddy_state WHERE op = %d; DELETE FROM eddy_log WHERE op = %d;", (int)r->klen, (int)r->klen);
        return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s, "drop an operator's rows");
    }
    if (r->op == -1) {
        st = s->off;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)r->klen);
        sqlite3_bind_int64(st, 3, r->num);
        return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, "write offsets");
    }
    /* State rows are appended to the log (a delete has no value): the cost
     * of a checkpoint is what changed, whatever the size of the state. */
    st = s->logput;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, r->op);
    sqlite3_bind_blob(st, 2, r->key, (int)r->klen, SQLITE_STATIC);
    if (r->del) sqlite3_bind_null(st, 3);
    else sqlite3_bind_blob(st, 3, r->val, (int)r->vlen, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->ktext, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->vtext, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(s, "write state");
    s->nlog++;
    return 0;
}

/* Folds the log into eddy_state (the newest row of each key wins; a delete
 * removes it) in one transaction.  Done when the log outgrows the table, so
 * its cost, spread over the checkpoints that filled the log, stays
 * proportional to what changed. */
static int compact(StateStore *s)
{
    static const char sql[] =
        "BEGIN IMMEDIATE;"
        "CREATE TEMP TABLE eddy_last AS SELECT max(seq) AS seq FROM eddy_log GROUP BY op, key;"
        "INSERT OR REPLACE INTO eddy_state(op, key, value, key_text, value_text)"
        " SELECT l.op, l.key, l.value, l.key_text, l.value_text FROM eddy_log l JOIN eddy_last USING (seq)"
        " WHERE l.value IS NOT NULL ORDER BY l.op, l.key;"
        "DELETE FROM eddy_state WHERE (op, key) IN"
        " (SELECT l.op, l.key FROM eddy_log l JOIN eddy_last USING (seq) WHERE l.value IS NULL);"
        "DELETE FROM eddy_log;"
        "DROP TABLE eddy_last;"
        "COMMIT;";
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fail(s, "compact the state log");
        sqlite3_exec(s->db, "ROLLBACK; DROP TABLE IF EXISTS eddy_last;", NULL, NULL, NULL);
        return -1;
    }
    s->nlog = 0;
    s->nstate = count_rows(s, "SELECT count(*) FROM eddy_state");
    return 0;
}

/* Whether the file at the path is still the one this store opened and an
 * SQLite database: removed, renamed, replaced by another file (another
 * job's, say) or overwritten under a running job, its checkpoints would go
 * where no restart finds them — the job must stop and say so, never report
 * a clean stop.  Checked before every checkpoint. */
static int verify_file(StateStore *s)
{
    struct stat mine, now;
    const char *why = NULL;
    char head[16];
    if (fstat(s->lockfd, &mine) != 0) {
        why = strerror(errno);
    } else if (stat(s->path, &now) != 0) {
        why = errno != ENOENT ? strerror(errno) : mine.st_nlink == 0 ? "it was deleted while the job ran"
                                                                      : "it was renamed while the job ran";
    } else if (now.st_dev != mine.st_dev || now.st_ino != mine.st_ino) {
        why = "it was replaced by another file while the job ran";
    } else if (mine.st_size >= (off_t)sizeof head) {
        if (pread(s->lockfd, head, sizeof head, 0) != (ssize_t)sizeof head || memcmp(head, "SQLite format 3", 16) != 0)
            why = "it was overwritten while the job ran: it no longer holds an SQLite database";
        else
            s->header = true;
    } else if (s->header) {
        why = "it was truncated while the job ran";
    }
    if (!why) return 0;
    snprintf(s->err, sizeof s->err,
             "state file %s is not the file this job opened (%s); the checkpoint is not taken and the job stops — "
             "restore the file to resume from its last checkpoint, or restart with --reset-state", s->path, why);
    return -1;
}

int state_write(StateStore *s, const StateBatch *b)
{
    if (verify_file(s)) return -1;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return fail(s, "begin checkpoint");
    int64_t nlog = s->nlog;
    for (size_t i = 0; i < b->n; i++)
        if (write_row(s, &b->rows[i])) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            s->nlog = nlog;
            return -1;
        }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(s, "commit checkpoint");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->nlog = nlog;
        return -1;
    }
    /* The checkpoint is committed; folding the log is housekeeping. */
    /* Fold when the log holds twice the table: a restart then reads at most
     * about three rows per key, and folding costs a share of what changed. */
    if (!b->last && s->nlog > 200000 && s->nlog > 2 * s->nstate) return compact(s);
    return 0;
}

int state_scan(StateStore *s, int op, int (*fn)(void *, const void *, size_t, const void *, size_t), void *ctx)
{
    /* The table, then the log in order: a later row of a key replaces it,
     * a row without a value (NULL, 0) deletes it. */
    static const char *const sql[] = {"SELECT key, value FROM eddy_state WHERE op = ?",
                                      "SELECT key, value FROM eddy_log WHERE op = ? ORDER BY seq"};
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, sql[pass], -1, &st, NULL) != SQLITE_OK) return fail(s, "read state");
        sqlite3_bind_int(st, 1, op);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            bool del = sqlite3_column_type(st, 1) == SQLITE_NULL;
            const void *val = del ? NULL : sqlite3_column_blob(st, 1);
            if (!del && !val) val = "";   /* an empty value (a key kept with nothing else) is no delete: SQLite gives NULL for it */
            if (fn(ctx, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), val, del ? 0 : (size_t)sqlite3_column_bytes(st, 1))) {
                sqlite3_finalize(st);
                return -1;
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return fail(s, "read state");
    }
    return 0;
}

/* ---- the state as records ---- */

void state_batch_reset(StateBatch *b)
{
    batch_add_row(b)->op = -5;
}

void state_batch_operator(StateBatch *b, int op, const char *kind, const char *fp, const char *desc)
{
    BatchRow *r = batch_add_row(b);
    r->op = -4;
    r->klen = (size_t)op;
    r->key = arena_strdup(&b->arena, kind ? kind : "");
    r->val = arena_strdup(&b->arena, fp ? fp : "");
    r->ktext = arena_strdup(&b->arena, desc ? desc : "");
}

static const char st_magic[8] = "eddyST1\n";

static void put_uv(StrBuf *o, uint64_t v)
{
    unsigned char b[ROWKEY_VARINT_MAX];
    sb_putn(o, (const char *)b, rowkey_put_varint(b, v));
}

static void put_iv(StrBuf *o, int64_t v) { put_uv(o, rowkey_zigzag(v)); }

static void put_bytes(StrBuf *o, const char *p, size_t n)
{
    put_uv(o, n);
    if (n) sb_putn(o, p, n);
}

static void put_text(StrBuf *o, const char *t) { put_bytes(o, t ? t : "", t ? strlen(t) : 0); }

int state_batch_encode(const StateBatch *b, StrBuf *out)
{
    sb_putn(out, st_magic, sizeof st_magic);
    for (size_t i = 0; i < b->n; i++) {
        const BatchRow *r = &b->rows[i];
        switch (r->op) {
        case -1:
            sb_putc(out, 3);
            put_text(out, r->key);
            put_uv(out, r->klen);
            put_iv(out, r->num);
            break;
        case -2:
            sb_putc(out, 4);
            put_text(out, r->key);
            put_text(out, r->val);
            break;
        case -3:
            sb_putc(out, 5);
            put_iv(out, (int64_t)r->klen);
            break;
        case -4:
            sb_putc(out, 6);
            put_iv(out, (int64_t)r->klen);
            put_text(out, r->key);
            put_text(out, r->val);
            put_text(out, r->ktext);
            break;
        case -5:
            sb_putc(out, 7);
            break;
        default:
            sb_putc(out, r->del ? 2 : 1);
            put_iv(out, r->op);
            put_bytes(out, r->key, r->klen);
            if (!r->del) {
                put_bytes(out, r->val, r->vlen);
                put_text(out, r->ktext);
                put_text(out, r->vtext);
            }
        }
    }
    return 0;
}

/* A reader over the encoded bytes: every length is checked. */
typedef struct StReader {
    const unsigned char *p, *start, *end;
    bool bad;
} StReader;

static uint64_t get_uv(StReader *r)
{
    uint64_t v = 0;
    if (r->bad || rowkey_get_varint(&r->p, r->end, &v)) r->bad = true;
    return r->bad ? 0 : v;
}

static int64_t get_iv(StReader *r) { return rowkey_unzigzag(get_uv(r)); }

/* A length-prefixed field: a pointer into the input (NULL when bad). */
static const char *get_bytes(StReader *r, size_t *n)
{
    uint64_t len = get_uv(r);
    if (r->bad || len > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        *n = 0;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p += len;
    *n = (size_t)len;
    return s;
}

/* A text field, copied NUL-terminated into the batch's arena; a NUL inside is malformed. */
static const char *get_text(StReader *r, StateBatch *b)
{
    size_t n;
    const char *s = get_bytes(r, &n);
    if (!s) return NULL;
    if (memchr(s, 0, n)) {
        r->bad = true;
        return NULL;
    }
    return arena_strndup(&b->arena, s, n);
}

static bool op_ok(int64_t op) { return op >= 0 && op <= INT32_MAX; }

int state_batch_decode(StateBatch *b, const void *buf, size_t len, char *err, size_t errlen)
{
    StReader r = {.p = buf, .start = buf, .end = (const unsigned char *)buf + len};
    if (len < sizeof st_magic || memcmp(buf, st_magic, sizeof st_magic) != 0) {
        snprintf(err, errlen, "not eddy state records (no \"eddyST1\" header)");
        return -1;
    }
    r.p += sizeof st_magic;
    size_t n0 = b->n;
    while (r.p < r.end) {
        size_t at = (size_t)(r.p - r.start);
        int type = *r.p++;
        size_t kn = 0, vn = 0;
        const char *k, *v, *kt, *vt;
        int64_t op, num;
        uint64_t part;
        switch (type) {
        case 1:
        case 2:
            op = get_iv(&r);
            k = get_bytes(&r, &kn);
            if (type == 2) {
                if (!r.bad && op_ok(op)) state_batch_del(b, (int)op, k, kn);
                else r.bad = true;
                break;
            }
            v = get_bytes(&r, &vn);
            kt = get_text(&r, b);
            vt = get_text(&r, b);
            if (!r.bad && op_ok(op)) state_batch_put(b, (int)op, k, kn, v, vn, kt, vt);
            else r.bad = true;
            break;
        case 3:
            k = get_text(&r, b);
            part = get_uv(&r);
            num = get_iv(&r);
            if (!r.bad && part <= INT32_MAX) state_batch_offset(b, k, (int)part, num);
            else r.bad = true;
            break;
        case 4:
            k = get_text(&r, b);
            v = get_text(&r, b);
            if (!r.bad) state_batch_meta(b, k, v);
            break;
        case 5:
            op = get_iv(&r);
            if (!r.bad && op_ok(op)) state_batch_drop_op(b, (int)op);
            else r.bad = true;
            break;
        case 6:
            op = get_iv(&r);
            k = get_text(&r, b);
            v = get_text(&r, b);
            kt = get_text(&r, b);
            if (!r.bad && op_ok(op)) state_batch_operator(b, (int)op, k, v, kt);
            else r.bad = true;
            break;
        case 7:
            state_batch_reset(b);
            break;
        default:
            r.bad = true;
        }
        if (r.bad) {
            b->n = n0;   /* nothing of a malformed input is kept */
            snprintf(err, errlen, "malformed state record entry at byte %zu (type %d)", at, type);
            return -1;
        }
    }
    return 0;
}

int state_export(StateStore *s, StateBatch *out)
{
    /* The rows as they are now (eddy_current: the log folded in), so a
     * snapshot is as large as the state, not as its history. */
    static const char *const sql[] = {
        "SELECT op, kind, fingerprint, description FROM eddy_operators ORDER BY op",
        "SELECT key, value FROM eddy_meta WHERE key <> 'format' ORDER BY key",
        "SELECT topic, partition, next_offset FROM eddy_offsets ORDER BY topic, partition",
        "SELECT op, key, value, key_text, value_text FROM eddy_current ORDER BY op, key",
    };
    state_batch_reset(out);
    for (int q = 0; q < 4; q++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, sql[q], -1, &st, NULL) != SQLITE_OK) return fail(s, "export the state");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *c0 = NULL, *c1 = NULL;   /* (not of the BLOB columns of the rows: their bytes stay as they are) */
            if (q < 3) {
                c0 = (const char *)sqlite3_column_text(st, 0);
                c1 = (const char *)sqlite3_column_text(st, 1);
            }
            if (q == 0) {
                state_batch_operator(out, sqlite3_column_int(st, 0), c1, (const char *)sqlite3_column_text(st, 2),
                                     (const char *)sqlite3_column_text(st, 3));
            } else if (q == 1) {
                state_batch_meta(out, c0, c1 ? c1 : "");
            } else if (q == 2) {
                state_batch_offset(out, c0, sqlite3_column_int(st, 1), sqlite3_column_int64(st, 2));
            } else {
                int op = sqlite3_column_int(st, 0);
                const void *key = sqlite3_column_blob(st, 1);
                size_t klen = (size_t)sqlite3_column_bytes(st, 1);
                if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
                    state_batch_del(out, op, key, klen);
                } else {
                    const void *val = sqlite3_column_blob(st, 2);
                    state_batch_put(out, op, key, klen, val ? val : "", (size_t)sqlite3_column_bytes(st, 2),
                                    (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4));
                }
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return fail(s, "export the state");
    }
    return 0;
}
