/*
 * sqlite_layouts.c — what one checkpoint of K changed keys costs in SQLite,
 * for eddy's state table as it is and for layouts that could replace it.
 *
 *   sqlite_layouts DIR [N_ROWS [K_CHANGED [ROUNDS]]]     (defaults 1000000 100000 8)
 *
 * Each layout starts from a file holding N_ROWS keys (written once, not
 * timed), then ROUNDS times updates K_CHANGED random distinct keys in one
 * transaction, the way a checkpoint does, and reports the median and the
 * slowest transaction.  Rows have the sizes eddy writes for the reference
 * aggregate grouped by a BIGINT: a 4-byte key, a 41-byte value (row count,
 * COUNT, SUM and AVG accumulators), and the readable key_text/value_text
 * JSON (~16 and ~80 bytes).  Same pragmas as src/exec/state.c (WAL,
 * synchronous=NORMAL) unless the layout says otherwise.
 *
 *   eddy       src/exec/state.c today: WITHOUT ROWID (op, key) + value + key_text
 *              + value_text, INSERT OR REPLACE, default page cache (2 MB)
 *   cache      the same with a 256 MB page cache
 *   binary     no text columns (decode on demand: a view or `eddy state`), 256 MB cache
 *   sorted     binary, keys written in key order
 *   log        append-only: each checkpoint appends its rows to a rowid table
 *              (op, key, value, ckpt); compaction happens elsewhere (on
 *              restart or in the background)
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ok(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite_layouts: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void exec(sqlite3 *db, const char *sql) { ok(sqlite3_exec(db, sql, NULL, NULL, NULL), db, sql); }

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* eddy's key encoding of a BIGINT: null bitmap byte, zigzag LEB128. */
static int key_bytes(int64_t id, unsigned char *k)
{
    uint64_t z = (uint64_t)(id << 1) ^ (uint64_t)(id >> 63);
    int n = 0;
    k[n++] = 0;
    do {
        k[n++] = (unsigned char)((z & 0x7f) | (z > 0x7f ? 0x80 : 0));
        z >>= 7;
    } while (z);
    return n;
}

enum { EDDY, CACHE, BINARY, SORTED, LOG, NLAYOUTS };
static const char *const names[NLAYOUTS] = {"eddy", "cache", "binary", "sorted", "log"};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void put(sqlite3_stmt *st, int layout, int64_t id, int64_t ckpt)
{
    unsigned char k[12], v[41];
    char kt[32], vt[128];
    int kl = key_bytes(id, k);
    for (int i = 0; i < 41; i++) v[i] = (unsigned char)rnd();
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, 0);
    sqlite3_bind_blob(st, 2, k, kl, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, v, 41, SQLITE_STATIC);
    if (layout == EDDY || layout == CACHE) {
        snprintf(kt, sizeof kt, "{\"user_id\":%lld}", (long long)id);
        snprintf(vt, sizeof vt, "{\"rows\":%d,\"total_orders\":%d,\"total_sales\":%.2f,\"AVG(amount)\":%.2f}", (int)(id % 7) + 1,
                 (int)(id % 7) + 1, (double)(rnd() % 100000) / 100, (double)(rnd() % 100000) / 100);
        sqlite3_bind_text(st, 4, kt, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, vt, -1, SQLITE_STATIC);
    } else if (layout == LOG) {
        sqlite3_bind_int64(st, 4, ckpt);
    }
    ok(sqlite3_step(st), sqlite3_db_handle(st), "write");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sqlite_layouts DIR [N_ROWS [K_CHANGED [ROUNDS]]]\n");
        return 2;
    }
    const char *dir = argv[1];
    int64_t nrows = argc > 2 ? atoll(argv[2]) : 1000000, k = argc > 3 ? atoll(argv[3]) : 100000;
    int rounds = argc > 4 ? atoi(argv[4]) : 8;
    int64_t *ids = malloc(sizeof *ids * (size_t)nrows);
    double *times = malloc(sizeof *times * (size_t)rounds);
    if (!ids || !times || k > nrows || rounds < 1) return 2;
    printf("%-8s %10s %10s %10s %10s\n", "layout", "median ms", "max ms", "us/key", "file MB");
    for (int layout = 0; layout < NLAYOUTS; layout++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/layout-%s.db", dir, names[layout]);
        unlink(path);
        char wal[4200];
        snprintf(wal, sizeof wal, "%s-wal", path);
        unlink(wal);
        sqlite3 *db;
        ok(sqlite3_open(path, &db), db, "open");
        exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        if (layout != EDDY) exec(db, "PRAGMA cache_size=-262144;");
        const char *ddl = layout == EDDY || layout == CACHE
                              ? "CREATE TABLE s(op INTEGER, key BLOB, value BLOB, key_text TEXT, value_text TEXT, PRIMARY KEY(op, key)) WITHOUT ROWID"
                          : layout == LOG ? "CREATE TABLE s(op INTEGER, key BLOB, value BLOB, ckpt INTEGER)"
                                          : "CREATE TABLE s(op INTEGER, key BLOB, value BLOB, PRIMARY KEY(op, key)) WITHOUT ROWID";
        exec(db, ddl);
        const char *ins = layout == EDDY || layout == CACHE ? "INSERT OR REPLACE INTO s VALUES(?,?,?,?,?)"
                          : layout == LOG                   ? "INSERT INTO s VALUES(?,?,?,?)"
                                                            : "INSERT OR REPLACE INTO s VALUES(?,?,?)";
        sqlite3_stmt *st;
        ok(sqlite3_prepare_v2(db, ins, -1, &st, NULL), db, "prepare");
        /* The starting state: N rows, in batches of 100k (not timed). */
        for (int64_t i = 0; i < nrows; i++) ids[i] = i + 1;
        for (int64_t i = 0; i < nrows; i += 100000) {
            exec(db, "BEGIN");
            for (int64_t j = i; j < i + 100000 && j < nrows; j++) put(st, layout, ids[j], 0);
            exec(db, "COMMIT");
        }
        exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
        for (int r = 0; r < rounds; r++) {
            /* K distinct random keys: a partial shuffle. */
            for (int64_t i = 0; i < k; i++) {
                int64_t j = i + (int64_t)(rnd() % (uint64_t)(nrows - i)), t = ids[i];
                ids[i] = ids[j];
                ids[j] = t;
            }
            double t0 = now_s();
            if (layout == SORTED) qsort(ids, (size_t)k, sizeof *ids, cmp_i64);
            exec(db, "BEGIN IMMEDIATE");
            for (int64_t i = 0; i < k; i++) put(st, layout, ids[i], r + 1);
            exec(db, "COMMIT");
            times[r] = now_s() - t0;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        qsort(times, (size_t)rounds, sizeof *times, cmp_d);
        FILE *f = fopen(path, "rb");
        long size = 0;
        if (f) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            fclose(f);
        }
        printf("%-8s %10.1f %10.1f %10.2f %10.1f\n", names[layout], times[rounds / 2] * 1e3, times[rounds - 1] * 1e3,
               times[rounds / 2] * 1e6 / (double)k, (double)size / 1e6);
        fflush(stdout);
        unlink(path);
        unlink(wal);
        char shm[4200];
        snprintf(shm, sizeof shm, "%s-shm", path);
        unlink(shm);
    }
    free(ids);
    free(times);
    return 0;
}
