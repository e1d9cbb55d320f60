/*
 * test_join.c — the regular join operator (op_join.c) through real SQL:
 * records pushed one at a time into each side, the emitted rows compared as
 * text.  The join's semantics are pinned by tests/sql/joins.test; these pin
 * what `eddy test` cannot reach: state restored from a checkpoint (rows and
 * an outer side's match counts), 'table.exec.state.ttl' with the job's
 * clock moved by hand, the operator's state statistics, and the rows of an
 * append-only side, which the Keyed's table does not hold (loose entries:
 * identical rows found through their bucket's filter and, past
 * LOOSE_INDEX_AT rows of a key, its own table; a snapshot checkpoint
 * reaching them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"
#include "exec.h"

static const char *DDL =
    "CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, amount INT);"
    "CREATE TABLE customers (customer_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING) WITH ('changelog.mode' = 'upsert');";

#define INNER_Q "SELECT o.order_id, c.name FROM orders o JOIN customers c ON o.customer_id = c.customer_id;"
#define LEFT_Q "SELECT o.order_id, c.name FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id;"

typedef struct Fx {
    eddy_engine *e;
    eddy_script *s;
    Job         *j;
    StrBuf       out;      /* every row emitted, one a line */
    int64_t      off[2];   /* next offset per source */
} Fx;

static void on_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table)
{
    (void)table;
    Fx *fx = ctx;
    sb_printf(&fx->out, "%s[", rowkind_str(k));
    for (int i = 0; i < ncols; i++) {
        if (i) sb_puts(&fx->out, ", ");
        value_print(&fx->out, cols[i].type, &row[i]);
    }
    sb_puts(&fx->out, "]\n");
}

static void start(Fx *fx, const char *sql)
{
    char buf[4096], err[512];
    memset(fx, 0, sizeof *fx);
    snprintf(buf, sizeof buf, "%s%s", DDL, sql);
    fx->e = eddy_engine_new();
    if (eddy_compile(fx->e, buf, strlen(buf), "t.sql", &fx->s)) fail_msg("%s", eddy_errtext(fx->e));
    const Plan *p = NULL;
    for (int i = 0; i < eddy_script_count(fx->s) && !p; i++) p = (const Plan *)eddy_script_plan(fx->s, i);
    if (!p) fail_msg("no plan");
    fx->j = job_new(p, err, sizeof err);
    if (!fx->j) fail_msg("%s", err);
    fx->j->on_row = on_row;
    fx->j->row_ctx = fx;
    fx->j->per_record = true;
}

static void stop(Fx *fx)
{
    job_free(fx->j);
    eddy_script_free(fx->s);
    eddy_engine_free(fx->e);
    sb_free(&fx->out);
}

static void order(Fx *fx, int id, int customer)
{
    char json[128];
    snprintf(json, sizeof json, "{\"order_id\":%d,\"customer_id\":%d,\"amount\":1}", id, customer);
    RawRecord r = {.topic = "orders", .offset = fx->off[0]++, .val = json, .vlen = strlen(json)};
    if (job_push(fx->j, 0, &r, 1)) fail_msg("%s", fx->j->err);
}

/* A customer (name NULL: a tombstone). */
static void customer(Fx *fx, int id, const char *name)
{
    char key[64], json[128];
    snprintf(key, sizeof key, "{\"customer_id\":%d}", id);
    snprintf(json, sizeof json, "{\"customer_id\":%d,\"name\":\"%s\"}", id, name ? name : "");
    RawRecord r = {.topic = "customers", .offset = fx->off[1]++, .key = key, .klen = strlen(key),
                   .val = name ? json : NULL, .vlen = name ? strlen(json) : 0};
    if (job_push(fx->j, 1, &r, 1)) fail_msg("%s", fx->j->err);
}

static const char *take(Fx *fx)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", fx->out.s ? fx->out.s : "");
    fx->out.len = 0;
    if (fx->out.s) fx->out.s[0] = '\0';
    return buf;
}

/* The join operator's state statistics. */
static const OpStats *join_stats(const Fx *fx)
{
    for (int i = 0; i < fx->j->nops; i++)
        if (fx->j->ops[i].node->kind == PLAN_JOIN) return &fx->j->ops[i].stats;
    fail_msg("no join");
    return NULL;
}

/* An append-only side's rows (loose entries: no predecessor or bucket
 * kept) leave their bucket's list from its middle and its end when the
 * TTL takes them: a repeated row is written again, so rows after it in
 * the list expire first; what stays is joined, in order, and rows added
 * after go to the list's new end. */
static void test_loose_rows_expire(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, "SET 'table.exec.state.ttl' = '10 s';" INNER_Q);
    for (int i = 1; i <= 4; i++) {
        assert_int_equal(job_set_clock(fx.j, i * 1000), 0);
        order(&fx, i, 1);
    }
    assert_int_equal(job_set_clock(fx.j, 8000), 0);
    order(&fx, 1, 1);   /* order 1 again: two copies, written at 8 s */
    assert_int_equal(join_stats(&fx)->state_keys, 4);
    assert_int_equal(job_set_clock(fx.j, 13500), 0);   /* orders 2 and 3 (the middle of the list) expire */
    assert_int_equal(join_stats(&fx)->state_keys, 2);
    customer(&fx, 1, "ann");
    assert_string_equal(take(&fx), "+I[1, ann]\n+I[1, ann]\n+I[4, ann]\n");
    assert_int_equal(job_set_clock(fx.j, 14500), 0);   /* order 4 (the list's end) expires */
    assert_int_equal(join_stats(&fx)->state_keys, 2);
    order(&fx, 5, 1);
    customer(&fx, 1, "amy");
    assert_string_equal(take(&fx), "+I[5, ann]\n-U[1, ann]\n+U[1, amy]\n-U[1, ann]\n+U[1, amy]\n-U[5, ann]\n+U[5, amy]\n");
    assert_int_equal(job_set_clock(fx.j, 60000), 0);
    assert_int_equal(join_stats(&fx)->state_keys, 0);
    assert_int_equal(join_stats(&fx)->state_bytes, 0);
    stop(&fx);
}

/* A checkpoint, then a new job restored from it: the orders' rows and their
 * match counts come back, so a rename updates them and a delete puts them
 * back to NULL (an order that matched nothing before stays as it was). */
static void test_restart(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-join-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    char err[512];
    Fx fx;
    start(&fx, LEFT_Q);
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    customer(&fx, 1, "ann");
    order(&fx, 10, 1);
    order(&fx, 11, 1);
    order(&fx, 12, 2);
    assert_string_equal(take(&fx), "+I[10, ann]\n+I[11, ann]\n+I[12, NULL]\n");
    assert_int_equal(join_stats(&fx)->state_keys, 4);
    SourceOffset off[2] = {{"orders", 0, 3}, {"customers", 0, 1}};
    assert_int_equal(job_checkpoint(fx.j, off, 2), 0);
    assert_int_equal(job_checkpoint_sync(fx.j), 0);
    int64_t off0 = fx.off[0], off1 = fx.off[1];
    stop(&fx);

    start(&fx, LEFT_Q);
    fx.off[0] = off0;
    fx.off[1] = off1;
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    assert_int_equal(join_stats(&fx)->state_keys, 4);
    customer(&fx, 1, "anne");   /* ChangelogNormalize's state came back too: an update */
    assert_string_equal(take(&fx), "-U[10, ann]\n+U[10, anne]\n-U[11, ann]\n+U[11, anne]\n");
    customer(&fx, 2, "bob");
    assert_string_equal(take(&fx), "-U[12, NULL]\n+U[12, bob]\n");
    customer(&fx, 1, NULL);
    assert_string_equal(take(&fx), "-U[10, anne]\n+U[10, NULL]\n-U[11, anne]\n+U[11, NULL]\n");
    stop(&fx);
    unlink(path);
}

/* 'table.exec.state.ttl': a row not written for the TTL (processing time,
 * the job's clock) is dropped silently; writing it again restarts its TTL. */
static void test_state_ttl(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, "SET 'table.exec.state.ttl' = '10 s';" LEFT_Q);
    assert_int_equal(job_set_clock(fx.j, 1000), 0);
    customer(&fx, 1, "ann");
    customer(&fx, 2, "bob");
    assert_int_equal(job_set_clock(fx.j, 6000), 0);
    customer(&fx, 2, "bea");   /* written again at 6 s */
    assert_int_equal(join_stats(&fx)->state_keys, 2);
    assert_int_equal(job_set_clock(fx.j, 11000), 0);   /* ann's 10 s are up, bea's not */
    assert_int_equal(join_stats(&fx)->state_keys, 1);
    assert_string_equal(take(&fx), "");                 /* expiry emits nothing */
    order(&fx, 10, 1);
    order(&fx, 11, 2);
    assert_string_equal(take(&fx), "+I[10, NULL]\n+I[11, bea]\n");
    assert_int_equal(job_set_clock(fx.j, 60000), 0);
    assert_int_equal(join_stats(&fx)->state_keys, 0);
    assert_int_equal(join_stats(&fx)->state_bytes, 0);
    stop(&fx);
}

/* Orders ids[0..n) of one customer, pushed in one batch. */
static void orders_batch(Fx *fx, const int *ids, int n, int customer)
{
    RawRecord *r = calloc((size_t)n, sizeof *r);
    char *json = calloc((size_t)n, 64);
    assert_non_null(r);
    assert_non_null(json);
    for (int i = 0; i < n; i++) {
        char *v = json + (size_t)i * 64;
        snprintf(v, 64, "{\"order_id\":%d,\"customer_id\":%d,\"amount\":1}", ids[i], customer);
        r[i] = (RawRecord){.topic = "orders", .offset = fx->off[0]++, .val = v, .vlen = strlen(v)};
    }
    if (job_push(fx->j, 0, r, n)) fail_msg("%s", fx->j->err);
    free(r);
    free(json);
}

/* An append-only side's identical rows are one entry with two copies, as
 * an updating side's are: whether the bucket finds the first copy through
 * its filter (few rows of the key) or its own table (more than
 * LOOSE_INDEX_AT), the copies come out together at the first one's place,
 * in the order the distinct rows came. */
static void test_identical_rows(void **state)
{
    (void)state;
    for (int many = 0; many < 2; many++) {
        Fx fx;
        start(&fx, INNER_Q);
        int n = many ? 100 : 6;   /* distinct orders of customer 1 */
        for (int i = 0; i < n; i++) order(&fx, 1000 + i, 1);
        for (int i = 0; i < n; i += 3) order(&fx, 1000 + i, 1);   /* every third again, after the others */
        order(&fx, 1000, 1);                                      /* the first a third time */
        order(&fx, 5, 2);
        assert_int_equal(join_stats(&fx)->state_keys, n + 1);
        assert_string_equal(take(&fx), "");
        customer(&fx, 1, "ann");
        StrBuf want = {0};
        for (int i = 0; i < n; i++)
            for (int c = i == 0 ? 3 : i % 3 == 0 ? 2 : 1; c > 0; c--) sb_printf(&want, "+I[%d, ann]\n", 1000 + i);
        assert_string_equal(fx.out.s, want.s);
        sb_free(&want);
        stop(&fx);
    }
}

/* A snapshot checkpoint (the chunks hold far more records than the state
 * has rows: every write and delete since the start) writes the append-only
 * side's rows, which only their buckets hold, and a restored job has them. */
static void test_snapshot_restart(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-join-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    char err[512];
    Fx fx;
    start(&fx, "SET 'table.exec.state.ttl' = '10 s';" INNER_Q);
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    assert_int_equal(job_set_clock(fx.j, 1000), 0);
    enum { MANY = 70000, BATCH = 1000 };
    int *ids = calloc(BATCH, sizeof *ids);
    assert_non_null(ids);
    for (int b = 0; b < MANY / BATCH; b++) {
        for (int i = 0; i < BATCH; i++) ids[i] = 100000 + b * BATCH + i;
        orders_batch(&fx, ids, BATCH, 100 + b);
    }
    free(ids);
    SourceOffset off[2] = {{"orders", 0, fx.off[0]}, {"customers", 0, 0}};
    assert_int_equal(job_checkpoint(fx.j, off, 2), 0);
    assert_int_equal(job_checkpoint_sync(fx.j), 0);
    assert_int_equal(job_set_clock(fx.j, 20000), 0);   /* every one of them expires */
    assert_int_equal(join_stats(&fx)->state_keys, 0);
    order(&fx, 10, 1);
    order(&fx, 11, 1);
    order(&fx, 10, 1);
    order(&fx, 12, 2);
    assert_int_equal(join_stats(&fx)->state_keys, 3);
    off[0].offset = fx.off[0];
    assert_int_equal(job_checkpoint(fx.j, off, 2), 0);   /* 140k records written for 3 rows: a snapshot */
    assert_int_equal(job_checkpoint_sync(fx.j), 0);
    int64_t off0 = fx.off[0];
    stop(&fx);

    start(&fx, "SET 'table.exec.state.ttl' = '10 s';" INNER_Q);
    fx.off[0] = off0;
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    assert_int_equal(join_stats(&fx)->state_keys, 3);
    assert_int_equal(job_set_clock(fx.j, 21000), 0);
    customer(&fx, 1, "ann");
    customer(&fx, 2, "bob");
    assert_string_equal(take(&fx), "+I[10, ann]\n+I[10, ann]\n+I[11, ann]\n+I[12, bob]\n");
    order(&fx, 11, 1);   /* a restored row (in the Keyed's table) found again from its bucket */
    assert_string_equal(take(&fx), "+I[11, ann]\n");
    assert_int_equal(join_stats(&fx)->state_keys, 5);
    stop(&fx);
    unlink(path);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

/* The customers' side takes its upserts in the join itself (joined on the
 * whole primary key: no ChangelogNormalize), more than KEYED_READABLE_MAX
 * of them: a restored job still knows every customer's last row (a rename
 * is an update of the joined rows, a re-upsert of the same row changes
 * nothing). */
static void test_normalize_packed_restart(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-join-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    char err[512];
    Fx fx;
    start(&fx, INNER_Q);
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    enum { N = 12000 };
    RawRecord *r = calloc(N, sizeof *r);
    char *buf = calloc(N, 96);
    assert_non_null(r);
    assert_non_null(buf);
    for (int i = 0; i < N; i++) {
        char *k = buf + (size_t)i * 96, *v = k + 32;
        snprintf(k, 32, "{\"customer_id\":%d}", i);
        snprintf(v, 64, "{\"customer_id\":%d,\"name\":\"c%d\"}", i, i);
        r[i] = (RawRecord){.topic = "customers", .offset = fx.off[1]++, .key = k, .klen = strlen(k), .val = v, .vlen = strlen(v)};
    }
    if (job_push(fx.j, 1, r, N)) fail_msg("%s", fx.j->err);
    free(r);
    free(buf);
    SourceOffset off[2] = {{"orders", 0, 0}, {"customers", 0, fx.off[1]}};
    assert_int_equal(job_checkpoint(fx.j, off, 2), 0);
    assert_int_equal(job_checkpoint_sync(fx.j), 0);
    int64_t off1 = fx.off[1];
    stop(&fx);

    start(&fx, INNER_Q);
    fx.off[1] = off1;
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    order(&fx, 1, 7);
    order(&fx, 2, 11999);
    assert_string_equal(take(&fx), "+I[1, c7]\n+I[2, c11999]\n");
    customer(&fx, 7, "c7b");
    customer(&fx, 11999, "c11999");   /* the same row again: nothing */
    assert_string_equal(take(&fx), "-U[1, c7]\n+U[1, c7b]\n");
    stop(&fx);
    unlink(path);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_state_ttl),
        cmocka_unit_test(test_loose_rows_expire),
        cmocka_unit_test(test_identical_rows),
        cmocka_unit_test(test_snapshot_restart),
        cmocka_unit_test(test_normalize_packed_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
