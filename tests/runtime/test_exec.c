/*
 * test_exec.c — the executor's structure, through real SQL: the facts the
 * planner records for it (projection push-down, what feeds an upsert sink,
 * sources and sinks), the job wired from the plan's edges, per-operator
 * instrumentation, and time (job_advance) flowing through the DAG.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "eddy.h"
#include "exec.h"

static const char *DDL =
    "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);"
    "CREATE TABLE refunds (order_id BIGINT, amount INT, region STRING);"
    "CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);";

typedef struct Fx {
    eddy_engine *e;
    eddy_script *s;
} Fx;

static const Plan *compile(Fx *fx, const char *sql)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", DDL, sql);
    fx->e = eddy_engine_new();
    if (eddy_compile(fx->e, buf, strlen(buf), "t.sql", &fx->s)) fail_msg("%s", eddy_errtext(fx->e));
    for (int i = 0; i < eddy_script_count(fx->s); i++)
        if (eddy_script_plan(fx->s, i)) return (const Plan *)eddy_script_plan(fx->s, i);
    fail_msg("no plan");
    return NULL;
}

static void fx_free(Fx *fx)
{
    eddy_script_free(fx->s);
    eddy_engine_free(fx->e);
}

static RawRecord rec(const char *json, int64_t off)
{
    return (RawRecord){.topic = "orders_raw", .offset = off, .ts = 1000 + off, .val = json, .vlen = strlen(json)};
}

/* Only the columns the calc reads are decoded; the calc feeding the upsert
 * sink is marked; the plan lists its source and sink. */
static void test_planner_facts(void **state)
{
    (void)state;
    Fx fx;
    const Plan *p = compile(&fx, "INSERT INTO summary SELECT region, COUNT(*), SUM(amount) FROM orders_raw WHERE user_id > 0 GROUP BY region");
    assert_int_equal(p->nsources, 1);
    assert_int_equal(p->nsinks, 1);
    assert_true(p->upsert_replay);
    const SourcePlan *src = p->sources[0];
    assert_string_equal(src->table->name, "orders_raw");
    /* order_id is read by nobody; user_id (WHERE), amount and region are. */
    assert_false(src->needed[0]);
    assert_true(src->needed[1]);
    assert_true(src->needed[2]);
    assert_true(src->needed[3]);
    const PlanNode *sink = &p->sinks[0]->node;
    assert_ptr_equal(sink, p->root);
    assert_int_equal(sink->ninputs, 1);
    assert_true(sink->inputs[0]->feeds_upsert_sink);
    /* Edges are recorded on both ends. */
    for (int i = 0; i < p->nnodes; i++) {
        const PlanNode *n = p->nodes[i];
        for (int k = 0; k < n->ninputs; k++) {
            const PlanNode *in = n->inputs[k];
            assert_true(in->id < n->id);
            bool found = false;
            for (int o = 0; o < in->nouts; o++) found = found || in->outs[o] == n;
            assert_true(found);
        }
    }
    fx_free(&fx);
}

typedef struct Rows {
    int n;
    char last[256];
} Rows;

static void on_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table)
{
    (void)table;
    Rows *r = ctx;
    r->n++;
    StrBuf b = {0};
    sb_printf(&b, "%s[", rowkind_str(k));
    for (int i = 0; i < ncols; i++) {
        if (i) sb_puts(&b, ", ");
        value_print(&b, cols[i].type, &row[i]);
    }
    sb_putc(&b, ']');
    snprintf(r->last, sizeof r->last, "%s", b.s);
    sb_free(&b);
}

static const char *GROUP_BY = "INSERT INTO summary SELECT region, COUNT(*), SUM(amount) FROM orders_raw GROUP BY region";

/* A job for the plan. */
static Job *job_of(const Plan *p)
{
    char err[512];
    Job *j = job_new(p, err, sizeof err);
    if (!j) fail_msg("%s", err);
    return j;
}

/* Rows in and out of every operator are counted by the executor. */
static void test_operator_stats(void **state)
{
    (void)state;
    Fx fx;
    const Plan *p = compile(&fx, GROUP_BY);
    Job *j = job_of(p);
    Rows rows = {0};
    j->on_row = on_row;
    j->row_ctx = &rows;
    RawRecord r[3] = {
        rec("{\"order_id\":1,\"user_id\":1,\"amount\":10,\"region\":\"eu\"}", 0),
        rec("{\"order_id\":2,\"user_id\":1,\"amount\":5,\"region\":\"eu\"}", 1),
        rec("{\"order_id\":3,\"user_id\":1,\"amount\":1,\"region\":\"us\"}", 2),
    };
    assert_int_equal(job_push(j, 0, r, 3), 0);
    assert_int_equal(job_flush(j), 0);
    assert_int_equal(rows.n, 2);   /* one change per key per mini-batch */
    const OpState *src = j->sources[0];
    assert_int_equal(src->stats.rows_in, 3);
    assert_int_equal(src->stats.rows_out, 3);
    const OpState *sink = &j->ops[p->root->id];
    assert_int_equal(sink->stats.rows_in, 2);
    for (int i = 0; i < j->nops; i++) assert_true(j->ops[i].stats.time_ns >= 0);
    /* A source the plan does not have is refused, naming it. */
    assert_int_equal(job_push(j, 1, r, 1), -1);
    assert_non_null(strstr(j->err, "no source 1"));
    job_free(j);
    fx_free(&fx);
}

/* A watermark reaches every operator downstream; it never goes back. */
static void test_advance(void **state)
{
    (void)state;
    Fx fx;
    const Plan *p = compile(&fx, GROUP_BY);
    Job *j = job_of(p);
    for (int i = 0; i < j->nops; i++) assert_true(j->ops[i].stats.watermark == INT64_MIN);
    assert_int_equal(job_advance(j, 0, 5000), 0);
    for (int i = 0; i < j->nops; i++) assert_true(j->ops[i].stats.watermark == 5000);
    assert_int_equal(job_advance(j, 0, 4000), 0);
    for (int i = 0; i < j->nops; i++) assert_true(j->ops[i].stats.watermark == 5000);
    assert_int_equal(job_advance(j, 0, 7000), 0);
    assert_true(j->ops[p->root->id].stats.watermark == 7000);
    job_free(j);
    fx_free(&fx);
}

/* The embedding API names the source table of a pushed record. */
static void test_record_table(void **state)
{
    (void)state;
    Fx fx;
    const Plan *p = compile(&fx, "SELECT region FROM orders_raw");
    char err[512];
    eddy_job *j = eddy_job_new((const eddy_plan *)p, NULL, err, sizeof err);
    assert_non_null(j);
    const char *v = "{\"region\":\"eu\"}";
    eddy_record r = {.value = v, .value_len = strlen(v), .table = "orders_raw"};
    assert_int_equal(eddy_job_push(j, &r), EDDY_OK);
    r.table = NULL;   /* the only source */
    assert_int_equal(eddy_job_push(j, &r), EDDY_OK);
    r.table = "nope";
    assert_int_equal(eddy_job_push(j, &r), EDDY_EMISUSE);
    assert_non_null(strstr(eddy_job_errmsg(j), "no table 'nope'"));
    r.table = "orders_raw";   /* the job goes on */
    assert_int_equal(eddy_job_push(j, &r), EDDY_OK);
    long long in = 0;
    eddy_job_counts(j, &in, NULL, NULL);
    assert_int_equal(in, 3);
    eddy_job_free(j);
    fx_free(&fx);
}

/* UNION ALL: records of two sources reach one operator on two ports; a
 * job reading several tables is told which one a record belongs to. */
static void test_union_two_sources(void **state)
{
    (void)state;
    Fx fx;
    const Plan *p = compile(&fx, "SELECT region, amount FROM orders_raw UNION ALL SELECT region, amount FROM refunds WHERE amount < 0");
    assert_int_equal(p->nsources, 2);
    const PlanNode *u = p->root->inputs[0];
    assert_int_equal(u->ninputs, 2);
    Job *j = job_of(p);
    Rows rows = {0};
    j->on_row = on_row;
    j->row_ctx = &rows;
    j->per_record = true;
    RawRecord o = rec("{\"order_id\":1,\"amount\":10.5,\"region\":\"eu\"}", 0);
    RawRecord r1 = {.topic = "refunds", .val = "{\"order_id\":1,\"amount\":-3,\"region\":\"eu\"}"};
    r1.vlen = strlen(r1.val);
    RawRecord r2 = {.topic = "refunds", .val = "{\"order_id\":2,\"amount\":4,\"region\":\"us\"}"};
    r2.vlen = strlen(r2.val);
    assert_int_equal(job_push(j, 0, &o, 1), 0);
    assert_string_equal(rows.last, "+I[eu, 10.5]");
    assert_int_equal(job_push(j, 1, &r1, 1), 0);
    assert_string_equal(rows.last, "+I[eu, -3.0]");   /* INT widened to the union's DOUBLE */
    assert_int_equal(job_push(j, 1, &r2, 1), 0);      /* filtered in its branch */
    assert_int_equal(rows.n, 2);
    const OpState *uo = &j->ops[u->id];
    assert_int_equal(uo->stats.rows_in, 2);
    assert_int_equal(uo->stats.rows_out, 2);
    /* The watermark of a union is the minimum over its inputs. */
    assert_int_equal(job_advance(j, 0, 9000), 0);
    assert_true(uo->stats.watermark == INT64_MIN);
    assert_int_equal(job_advance(j, 1, 8000), 0);
    assert_true(uo->stats.watermark == 8000);
    assert_true(j->ops[p->root->id].stats.watermark == 8000);
    job_free(j);

    /* Through the public API: the record names its table. */
    char err[512];
    eddy_job *ej = eddy_job_new((const eddy_plan *)p, NULL, err, sizeof err);
    assert_non_null(ej);
    eddy_record er = {.value = r1.val, .value_len = r1.vlen};
    assert_int_equal(eddy_job_push(ej, &er), EDDY_EMISUSE);
    assert_non_null(strstr(eddy_job_errmsg(ej), "reads 2 tables"));
    er.table = "refunds";
    assert_int_equal(eddy_job_push(ej, &er), EDDY_OK);
    eddy_job_free(ej);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planner_facts),
        cmocka_unit_test(test_operator_stats),
        cmocka_unit_test(test_advance),
        cmocka_unit_test(test_record_table),
        cmocka_unit_test(test_union_two_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
