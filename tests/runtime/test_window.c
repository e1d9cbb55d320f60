/*
 * test_window.c — the window operators (op_window.c) through real SQL:
 * rows pushed one at a time, time moved by hand (job_advance, job_set_clock),
 * the emitted rows compared as text.  Kafka-level and `eddy test` cases live
 * in tests/sql and tests/e2e; these pin the operator's own rules: when a
 * window fires, slices merged for HOP and CUMULATE, sessions merging, late
 * rows, and a restart from a checkpoint in the middle of open windows.
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
    "CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),"
    "  WATERMARK FOR ts AS ts - INTERVAL '1' HOUR);"  /* far behind: the tests move time by hand */
    "CREATE TABLE out_t (region STRING, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT, total DOUBLE);";

typedef struct Fx {
    eddy_engine *e;
    eddy_script *s;
    Job         *j;
    StrBuf       out;      /* every row emitted, one a line */
    int          n;        /* rows */
} Fx;

static void on_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table)
{
    (void)table;
    Fx *fx = ctx;
    fx->n++;
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

/* One order at second `sec` (of 2024-01-01 00:00), then time moves to
 * wm_sec (the watermark, in seconds; < 0: unchanged). */
static void order(Fx *fx, int id, const char *region, double amount, int sec)
{
    char json[256];
    snprintf(json, sizeof json, "{\"order_id\":%d,\"amount\":%g,\"region\":\"%s\",\"ts\":\"2024-01-01 00:%02d:%02d\"}", id, amount, region,
             sec / 60, sec % 60);
    RawRecord r = {.topic = "orders", .offset = id, .ts = 0, .val = json, .vlen = strlen(json)};
    if (job_push(fx->j, 0, &r, 1)) fail_msg("%s", fx->j->err);
}

static void advance(Fx *fx, int sec)
{
    if (job_advance(fx->j, 0, 1704067200000LL + sec * 1000LL)) fail_msg("%s", fx->j->err);
}

static const char *take(Fx *fx)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", fx->out.s ? fx->out.s : "");
    fx->out.len = 0;
    if (fx->out.s) fx->out.s[0] = '\0';
    return buf;
}

#define TUMBLE_Q                                                                                                              \
    "INSERT INTO out_t SELECT region, window_start, window_end, COUNT(*), SUM(amount) "                                      \
    "FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY region, window_start, window_end"

/* A window fires once, when time reaches its end - 1 ms; keys in the order
 * they came; empty windows emit nothing. */
static void test_tumble_fires_at_end(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, TUMBLE_Q);
    order(&fx, 1, "eu", 1, 1);
    order(&fx, 2, "us", 2, 3);
    order(&fx, 3, "eu", 4, 9);
    advance(&fx, 9);
    assert_string_equal(take(&fx), "");
    if (job_advance(fx.j, 0, 1704067200000LL + 9999)) fail_msg("%s", fx.j->err);
    assert_string_equal(take(&fx), "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000, 2, 5.0]\n"
                                   "+I[us, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000, 1, 2.0]\n");
    order(&fx, 4, "us", 8, 25);
    advance(&fx, 60);   /* [10, 20) is empty: nothing */
    assert_string_equal(take(&fx), "+I[us, 2024-01-01 00:00:20.000, 2024-01-01 00:00:30.000, 1, 8.0]\n");
    assert_int_equal(fx.j->stats.late, 0);
    stop(&fx);
}

/* A row whose windows all fired changes nothing and is counted. */
static void test_late_rows(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, TUMBLE_Q);
    order(&fx, 1, "eu", 1, 1);
    advance(&fx, 15);
    take(&fx);
    order(&fx, 2, "eu", 5, 2);    /* [0, 10) fired: late */
    order(&fx, 3, "eu", 7, 12);   /* [10, 20) open */
    assert_int_equal(fx.j->stats.late, 1);
    advance(&fx, 20);
    assert_string_equal(take(&fx), "+I[eu, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000, 1, 7.0]\n");
    stop(&fx);
}

/* HOP: each row in size/slide windows, computed from slices. */
static void test_hop(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, "INSERT INTO out_t SELECT region, window_start, window_end, COUNT(*), SUM(amount) "
               "FROM TABLE(HOP(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND)) "
               "GROUP BY region, window_start, window_end");
    order(&fx, 1, "eu", 1, 1);
    order(&fx, 2, "eu", 10, 7);
    advance(&fx, 30);
    assert_string_equal(take(&fx), "+I[eu, 2023-12-31 23:59:50.000, 2024-01-01 00:00:05.000, 1, 1.0]\n"
                                   "+I[eu, 2023-12-31 23:59:55.000, 2024-01-01 00:00:10.000, 2, 11.0]\n"
                                   "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:15.000, 2, 11.0]\n"
                                   "+I[eu, 2024-01-01 00:00:05.000, 2024-01-01 00:00:20.000, 1, 10.0]\n");
    stop(&fx);
}

/* CUMULATE: windows [s, s + k·step) growing to size. */
static void test_cumulate(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, "INSERT INTO out_t SELECT region, window_start, window_end, COUNT(*), SUM(amount) "
               "FROM TABLE(CUMULATE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND)) "
               "GROUP BY region, window_start, window_end");
    order(&fx, 1, "eu", 1, 1);
    order(&fx, 2, "eu", 10, 7);
    order(&fx, 3, "eu", 100, 16);
    advance(&fx, 40);
    assert_string_equal(take(&fx), "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:05.000, 1, 1.0]\n"
                                   "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000, 2, 11.0]\n"
                                   "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:15.000, 2, 11.0]\n"
                                   "+I[eu, 2024-01-01 00:00:15.000, 2024-01-01 00:00:20.000, 1, 100.0]\n"
                                   "+I[eu, 2024-01-01 00:00:15.000, 2024-01-01 00:00:25.000, 1, 100.0]\n"
                                   "+I[eu, 2024-01-01 00:00:15.000, 2024-01-01 00:00:30.000, 1, 100.0]\n");
    stop(&fx);
}

/* SESSION: a row bridging two sessions merges them. */
static void test_session_merge(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, "INSERT INTO out_t SELECT region, window_start, window_end, COUNT(*), SUM(amount) "
               "FROM TABLE(SESSION(TABLE orders PARTITION BY region, DESCRIPTOR(ts), INTERVAL '5' SECOND)) "
               "GROUP BY region, window_start, window_end");
    order(&fx, 1, "eu", 1, 0);
    order(&fx, 2, "eu", 2, 8);    /* a second session: 0+5 < 8 */
    order(&fx, 3, "us", 3, 1);
    order(&fx, 4, "eu", 4, 4);    /* touches both: [0, 13) */
    advance(&fx, 12);
    assert_string_equal(take(&fx), "+I[us, 2024-01-01 00:00:01.000, 2024-01-01 00:00:06.000, 1, 3.0]\n");
    advance(&fx, 13);
    assert_string_equal(take(&fx), "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:13.000, 3, 7.0]\n");
    stop(&fx);
}

/* SESSION without an aggregate: rows wait in their session and come out
 * tagged with it when it fires. */
static void test_session_tvf(void **state)
{
    (void)state;
    Fx fx;
    start(&fx, "INSERT INTO out_t SELECT region, window_start, window_end, order_id, amount "
               "FROM TABLE(SESSION(TABLE orders PARTITION BY region, DESCRIPTOR(ts), INTERVAL '5' SECOND))");
    order(&fx, 1, "eu", 1, 0);
    order(&fx, 2, "us", 2, 1);
    order(&fx, 3, "eu", 3, 3);
    advance(&fx, 5);
    assert_string_equal(take(&fx), "");
    advance(&fx, 6);
    assert_string_equal(take(&fx), "+I[us, 2024-01-01 00:00:01.000, 2024-01-01 00:00:06.000, 2, 2.0]\n");
    advance(&fx, 8);
    assert_string_equal(take(&fx), "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:08.000, 1, 1.0]\n"
                                   "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:08.000, 3, 3.0]\n");
    order(&fx, 4, "eu", 4, 2);   /* its session fired: late */
    assert_int_equal(fx.j->stats.late, 1);
    stop(&fx);
}

/* Processing time: the job's clock fires windows; rows take the clock's time. */
static void test_proctime(void **state)
{
    (void)state;
    Fx fx;
    memset(&fx, 0, sizeof fx);
    const char *sql =
        "CREATE TABLE clicks (url STRING, pt AS PROCTIME());"
        "CREATE TABLE out_c (ws TIMESTAMP(3), n BIGINT);"
        "INSERT INTO out_c SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(pt), INTERVAL '1' MINUTE)) "
        "GROUP BY window_start, window_end";
    char err[512];
    fx.e = eddy_engine_new();
    if (eddy_compile(fx.e, sql, strlen(sql), "t.sql", &fx.s)) fail_msg("%s", eddy_errtext(fx.e));
    const Plan *p = (const Plan *)eddy_script_plan(fx.s, 2);
    fx.j = job_new(p, err, sizeof err);
    fx.j->on_row = on_row;
    fx.j->row_ctx = &fx;
    fx.j->per_record = true;
    assert_int_equal(job_set_clock(fx.j, 1704067200000LL + 5000), 0);
    RawRecord r = {.topic = "clicks", .val = "{\"url\":\"/a\"}", .vlen = 12};
    assert_int_equal(job_push(fx.j, 0, &r, 1), 0);
    assert_int_equal(job_push(fx.j, 0, &r, 1), 0);
    assert_int_equal(job_set_clock(fx.j, 1704067200000LL + 59998), 0);
    assert_string_equal(take(&fx), "");
    assert_int_equal(job_set_clock(fx.j, 1704067200000LL + 59999), 0);
    assert_string_equal(take(&fx), "+I[2024-01-01 00:00:00.000, 2]\n");
    stop(&fx);
}

/* A checkpoint in the middle of open windows: a new job restored from it
 * emits what the first would have, and judges late rows the same way. */
static void test_restart_open_windows(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-window-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    char err[512];
    Fx fx;
    start(&fx, TUMBLE_Q);
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    order(&fx, 1, "eu", 1, 1);
    order(&fx, 2, "us", 2, 12);
    advance(&fx, 11);   /* [0, 10) fired */
    assert_string_equal(take(&fx), "+I[eu, 2024-01-01 00:00:00.000, 2024-01-01 00:00:10.000, 1, 1.0]\n");
    SourceOffset off = {"orders", 0, 3};
    assert_int_equal(job_checkpoint(fx.j, &off, 1), 0);
    assert_int_equal(job_checkpoint_sync(fx.j), 0);
    stop(&fx);

    start(&fx, TUMBLE_Q);
    assert_int_equal(job_open_state(fx.j, path, false, err, sizeof err), 0);
    order(&fx, 3, "eu", 5, 3);    /* late: [0, 10) fired before the restart */
    assert_int_equal(fx.j->stats.late, 1);
    order(&fx, 4, "us", 4, 15);
    advance(&fx, 20);
    assert_string_equal(take(&fx), "+I[us, 2024-01-01 00:00:10.000, 2024-01-01 00:00:20.000, 2, 6.0]\n");
    stop(&fx);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumble_fires_at_end), cmocka_unit_test(test_late_rows),   cmocka_unit_test(test_hop),
        cmocka_unit_test(test_cumulate),            cmocka_unit_test(test_session_merge), cmocka_unit_test(test_proctime),
        cmocka_unit_test(test_restart_open_windows), cmocka_unit_test(test_session_tvf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
