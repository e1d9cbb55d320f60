/*
 * test_planner.c — unit tests of the planner (src/sql/plan.c): the operator
 * sequence each query becomes, and each operator's changelog kind (append,
 * retract, upsert) and unique key, as the planner infers them; the sink
 * rules (no updates into an append-only table, an upsert table's key must be
 * the query's); identity calcs left out.
 *
 * Scripts are compiled through the public API (eddy_compile) and the plans
 * inspected through the private Plan structure.  A plan is summarised root
 * first as `Op:changelog(key) <- Op:changelog <- …`, where the changelog is
 * what the node's fields say (updating, before) and the key is shown for
 * updating streams only — the same rule EXPLAIN follows, which
 * test_summary_matches_explain checks against the EXPLAIN text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "eddy.h"
#include "plan.h"
#include "strbuf.h"

static const char *const ddl =
    "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,\n"
    "  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp');\n"
    "CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, score INT);\n"
    "CREATE TABLE users_rt (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING) WITH ('changelog.mode' = 'retract');\n"
    "CREATE TABLE us (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);\n"
    "CREATE TABLE us2 (n BIGINT PRIMARY KEY NOT ENFORCED, region STRING);\n"
    "CREATE TABLE rs (region STRING, n BIGINT) WITH ('changelog.mode' = 'retract');\n"
    "CREATE TABLE ap (region STRING, n BIGINT);\n"
    "CREATE TABLE orders_summary (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT,\n"
    "  total_sales DOUBLE, avg_order_value DOUBLE) WITH ('changelog.mode' = 'upsert');\n";

/* Fixture: an engine with the tables above; the last compiled script. */
typedef struct Px {
    eddy_engine *e;       /* engine with ddl compiled */
    eddy_script *s;       /* last script, freed by the next compile and the teardown */
    StrBuf       buf;     /* summary text */
} Px;

static int setup(void **state)
{
    Px *x = test_calloc(1, sizeof *x);
    x->e = eddy_engine_new();
    eddy_script *s;
    if (eddy_compile(x->e, ddl, strlen(ddl), "ddl.sql", &s)) fail_msg("%s", eddy_errtext(x->e));
    eddy_script_free(s);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    Px *x = *state;
    eddy_script_free(x->s);
    eddy_engine_free(x->e);
    sb_free(&x->buf);
    test_free(x);
    return 0;
}

/* Compiles sql; returns the rc (the script is kept on success). */
static int compile(Px *x, const char *sql)
{
    eddy_script_free(x->s);
    x->s = NULL;
    return eddy_compile(x->e, sql, strlen(sql), "q.sql", &x->s);
}

/* Compiles sql, which must succeed, and returns the plan of its last statement. */
static const Plan *plan_of(Px *x, const char *sql)
{
    if (compile(x, sql)) fail_msg("\"%s\": %s", sql, eddy_errtext(x->e));
    int n = eddy_script_count(x->s);
    const eddy_plan *p = eddy_script_plan(x->s, n - 1);
    assert_non_null(p);
    return (const Plan *)p;
}

/* The first input of a node, NULL for a source (these plans are chains). */
static const PlanNode *in0(const PlanNode *n) { return n->ninputs ? n->inputs[0] : NULL; }

static const char *changelog_of(const PlanNode *n)
{
    if (n->kind == PLAN_SINK) return changelog_mode_name(plan_sink(n)->table->conn.mode);
    if (!n->updating) return "append";
    return n->before ? "retract" : "upsert";
}

/* Root first: `Op:changelog(key) <- …`. */
static const char *summary(Px *x, const Plan *p)
{
    sb_free(&x->buf);
    for (const PlanNode *n = p->root; n; n = in0(n)) {
        if (n != p->root) sb_puts(&x->buf, " <- ");
        sb_printf(&x->buf, "%s:%s", plan_ops[n->kind].name, changelog_of(n));
        if (n->kind == PLAN_SINK) {
            if (plan_sink(n)->table->conn.mode == MODE_UPSERT) {
                sb_putc(&x->buf, '(');
                for (int k = 0; k < plan_sink(n)->table->npk; k++)
                    sb_printf(&x->buf, "%s%s", k ? "," : "", plan_sink(n)->table->cols[plan_sink(n)->table->pk[k]].name);
                sb_putc(&x->buf, ')');
            }
        } else if (n->updating && n->has_key) {
            sb_putc(&x->buf, '(');
            for (int k = 0; k < n->nkey; k++) sb_printf(&x->buf, "%s%s", k ? "," : "", n->cols[n->key[k]].name);
            sb_putc(&x->buf, ')');
        }
    }
    return x->buf.s;
}

/* Every node is in p->nodes once, inputs before their consumers. */
static void check_node_order(const Plan *p)
{
    int depth = 0;
    for (const PlanNode *n = p->root; n; n = in0(n)) {
        depth++;
        assert_true(n->id >= 0 && n->id < p->nnodes);
        assert_ptr_equal(p->nodes[n->id], n);
        if (in0(n)) assert_true(in0(n)->id < n->id);
    }
    assert_int_equal(depth, p->nnodes);
    assert_ptr_equal(p->nodes[p->nnodes - 1], p->root);
}

#define PLAN_IS(x, sql, want)                                                                                      \
    do {                                                                                                           \
        const Plan *p_ = plan_of((x), (sql));                                                                      \
        check_node_order(p_);                                                                                      \
        const char *got_ = summary((x), p_);                                                                       \
        if (strcmp(got_, (want)) != 0) fail_msg("%s\n  got:  %s\n  want: %s", (sql), got_, (want));                \
    } while (0)

/* Compiles sql, which must fail with code, at the 1-based column col of line 1, with msg in the message. */
static void plan_err(Px *x, const char *sql, int code, const char *at, const char *msg)
{
    int rc = compile(x, sql);
    if (rc != code) fail_msg("\"%s\": rc %d (%s), want %d", sql, rc, eddy_errmsg(x->e), code);
    assert_null(x->s);
    int col = (int)(strstr(sql, at) - sql) + 1;
    if (eddy_errcol(x->e) != col) fail_msg("\"%s\": error at column %d, want %d", sql, eddy_errcol(x->e), col);
    if (!strstr(eddy_errmsg(x->e), msg)) fail_msg("\"%s\": message \"%s\" lacks \"%s\"", sql, eddy_errmsg(x->e), msg);
}

/* ------------------------------------------------------------------ */

static const char *const reference =
    "INSERT INTO orders_summary\n"
    "SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales,\n"
    "       ROUND(AVG(amount), 2) AS avg_order_value\n"
    "FROM orders_raw\n"
    "GROUP BY region;";

static void test_reference_query(void **state)
{
    Px *x = *state;
    PLAN_IS(x, reference,
            "KafkaSink:upsert(region) <- Calc:upsert(region) <- GroupAggregate:upsert(region)"
            " <- Calc:append <- KafkaSource:append");
    const Plan *p = plan_of(x, reference);
    assert_string_equal(p->name, "orders_summary");
    assert_int_equal(eddy_plan_operator_count((const eddy_plan *)p), 5);
    /* The pre-aggregate calc keeps the key and the aggregated column only. */
    const PlanNode *agg = in0(in0(p->root));
    assert_int_equal(agg->kind, PLAN_AGG);
    assert_int_equal(plan_agg(agg)->ngroup, 1);
    assert_int_equal(plan_agg(agg)->naggs, 3);
    assert_int_equal(agg->ncols, 4);
    assert_string_equal(agg->cols[0].name, "region");
    assert_string_equal(agg->cols[1].name, "total_orders");
    assert_string_equal(agg->cols[2].name, "total_sales");
    const PlanNode *pre = in0(agg);
    assert_int_equal(pre->ncols, 2);
    assert_string_equal(pre->cols[0].name, "region");
    assert_string_equal(pre->cols[1].name, "amount");
    assert_null(plan_calc(pre)->filter);
    /* SUM and AVG share their argument column. */
    assert_int_equal(plan_agg(agg)->aggs[1]->a->col, 1);
    assert_int_equal(plan_agg(agg)->aggs[2]->a->col, 1);
    assert_null(plan_agg(agg)->aggs[0]->a);
    /* The source reads every physical and metadata column. */
    const PlanNode *src = in0(pre);
    assert_int_equal(src->kind, PLAN_SOURCE);
    assert_int_equal(src->ncols, 5);
    assert_string_equal(plan_source(src)->table->conn.topic, "orders_raw");
    /* The sink writes all four columns from the calc, in order. */
    assert_int_equal(plan_sink(p->root)->nsink, 4);
    for (int k = 0; k < 4; k++) assert_int_equal(plan_sink(p->root)->sink_map[k], k);
}

static void test_reference_script_file(void **state)
{
    (void)state;
    /* sql/orders.sql as shipped, in a fresh engine. */
    static const char script[] =
        "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,\n"
        "  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp') WITH ('scan.startup.mode' = 'earliest-offset');\n"
        "CREATE TABLE orders_summary (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT,\n"
        "  total_sales DOUBLE, avg_order_value DOUBLE) WITH ('changelog.mode' = 'upsert');\n"
        "INSERT INTO orders_summary\n"
        "SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales,\n"
        "       ROUND(AVG(amount), 2) AS avg_order_value\n"
        "FROM orders_raw\n"
        "GROUP BY region;\n";
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    assert_int_equal(eddy_compile(e, script, sizeof script - 1, "orders.sql", &s), EDDY_OK);
    assert_int_equal(eddy_script_count(s), 3);
    assert_null(eddy_script_plan(s, 0));
    assert_null(eddy_script_plan(s, 1));
    assert_non_null(eddy_script_plan(s, 2));
    assert_int_equal(eddy_script_kind(s, 2), EDDY_STMT_INSERT);
    assert_int_equal(eddy_script_line(s, 2), 5);
    eddy_script_free(s);
    eddy_engine_free(e);
}

static void test_having(void **state)
{
    Px *x = *state;
    /* A filter over updates must see the before-image to turn an update
     * that stops passing into a delete: the aggregate emits retractions. */
    const char *q = "INSERT INTO us SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region HAVING COUNT(*) > 1";
    PLAN_IS(x, q,
            "KafkaSink:upsert(region) <- Calc:upsert(region) <- GroupAggregate:retract(region)"
            " <- Calc:append <- KafkaSource:append");
    const Plan *p = plan_of(x, q);
    assert_non_null(plan_calc(in0(p->root))->filter);
    /* Into a retract table every change is explicit. */
    PLAN_IS(x, "INSERT INTO rs SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region HAVING COUNT(*) > 1",
            "KafkaSink:retract <- Calc:retract(region) <- GroupAggregate:retract(region)"
            " <- Calc:append <- KafkaSource:append");
    /* HAVING on an aggregate that is not selected adds it to the aggregate only. */
    p = plan_of(x, "INSERT INTO us SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region HAVING SUM(amount) > 0");
    assert_int_equal(plan_agg(in0(in0(p->root)))->naggs, 2);
    assert_int_equal(in0(p->root)->ncols, 2);
}

static void test_where_before_aggregate(void **state)
{
    Px *x = *state;
    const Plan *p = plan_of(x, "INSERT INTO us SELECT region, COUNT(*) AS n FROM orders_raw WHERE amount > 10 GROUP BY region");
    assert_string_equal(summary(x, p),
                        "KafkaSink:upsert(region) <- GroupAggregate:upsert(region) <- Calc:append <- KafkaSource:append");
    assert_non_null(plan_calc(in0(in0(p->root)))->filter);
    /* Only the key is kept before the aggregate; the filter reads the input. */
    assert_int_equal(in0(in0(p->root))->ncols, 1);
}

static void test_upsert_source(void **state)
{
    Px *x = *state;
    /* An upsert source is normalised (last row per key) before it feeds an aggregate. */
    PLAN_IS(x, "INSERT INTO us SELECT region, COUNT(*) AS n FROM users GROUP BY region",
            "KafkaSink:upsert(region) <- GroupAggregate:upsert(region) <- Calc:retract"
            " <- ChangelogNormalize:retract(id) <- KafkaSource:upsert(id)");
    PLAN_IS(x, "SELECT * FROM users", "Collect:retract(id) <- ChangelogNormalize:retract(id) <- KafkaSource:upsert(id)");
    /* A projection that keeps the key keeps it (as its new name). */
    PLAN_IS(x, "SELECT id AS k, score FROM users",
            "Collect:retract(k) <- Calc:retract(k) <- ChangelogNormalize:retract(id) <- KafkaSource:upsert(id)");
    /* Upserts straight into an upsert table on the same key (renamed: a calc). */
    PLAN_IS(x, "INSERT INTO us2 SELECT id AS n, region FROM users",
            "KafkaSink:upsert(n) <- Calc:upsert(n) <- ChangelogNormalize:upsert(id) <- KafkaSource:upsert(id)");
    /* A retract source needs no normalisation. */
    PLAN_IS(x, "INSERT INTO us SELECT region, COUNT(*) AS n FROM users_rt GROUP BY region",
            "KafkaSink:upsert(region) <- GroupAggregate:upsert(region) <- Calc:retract <- KafkaSource:retract(id)");
}

/* The plan's only regular join (and every node at its own index). */
static const JoinPlan *join_of(const Plan *p, int *nnormalize)
{
    const JoinPlan *j = NULL;
    *nnormalize = 0;
    for (int i = 0; i < p->nnodes; i++) {
        assert_int_equal(p->nodes[i]->id, i);
        for (int k = 0; k < p->nodes[i]->ninputs; k++) assert_true(p->nodes[i]->inputs[k]->id < i);
        if (p->nodes[i]->kind == PLAN_JOIN) j = plan_join(p->nodes[i]);
        if (p->nodes[i]->kind == PLAN_NORMALIZE) ++*nnormalize;
    }
    assert_non_null(j);
    return j;
}

/* A join on an upsert table's whole primary key takes its upserts itself
 * (no ChangelogNormalize); an outer upsert side, a key that is not the
 * primary key, or a state TTL keep the normalize. */
static void test_join_takes_upserts(void **state)
{
    Px *x = *state;
    int nn;
    const JoinPlan *j = join_of(plan_of(x, "SELECT o.order_id, u.region FROM orders_raw o JOIN users u ON o.user_id = u.id"), &nn);
    assert_true(j->rupsert);
    assert_false(j->lupsert);
    assert_int_equal(nn, 0);
    assert_int_equal(j->node.inputs[1]->kind, PLAN_SOURCE);
    assert_true(j->runique);
    j = join_of(plan_of(x, "SELECT o.order_id, u.region FROM orders_raw o LEFT JOIN users u ON o.user_id = u.id"), &nn);
    assert_true(j->rupsert);
    assert_int_equal(nn, 0);
    j = join_of(plan_of(x, "SELECT u.id, u2.score FROM users u JOIN users u2 ON u.id = u2.id"), &nn);   /* both sides */
    assert_true(j->lupsert && j->rupsert);
    assert_int_equal(nn, 0);
    const char *keep[] = {
        "SELECT o.order_id, u.region FROM orders_raw o RIGHT JOIN users u ON o.user_id = u.id",
        "SELECT o.order_id, u.region FROM orders_raw o FULL JOIN users u ON o.user_id = u.id",
        "SELECT o.order_id, u.score FROM orders_raw o JOIN users u ON o.region = u.region",
        "SELECT o.order_id, u.score FROM orders_raw o JOIN users u ON o.user_id = u.id AND o.region = u.region",
        "SET 'table.exec.state.ttl' = '1 h'; SELECT o.order_id, u.region FROM orders_raw o JOIN users u ON o.user_id = u.id",
    };
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
        j = join_of(plan_of(x, keep[i]), &nn);
        assert_false(j->rupsert);
        assert_int_equal(nn, 1);
        assert_int_equal(j->node.inputs[1]->kind, PLAN_NORMALIZE);
    }
}

static void test_retract_sink(void **state)
{
    Px *x = *state;
    PLAN_IS(x, "INSERT INTO rs SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region",
            "KafkaSink:retract <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "INSERT INTO rs SELECT region, user_id FROM orders_raw", "KafkaSink:retract <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "INSERT INTO rs SELECT region, id FROM users",
            "KafkaSink:retract <- Calc:retract(id) <- ChangelogNormalize:retract(id) <- KafkaSource:upsert(id)");
}

static void test_distinct(void **state)
{
    Px *x = *state;
    const Plan *p = plan_of(x, "SELECT DISTINCT region FROM orders_raw");
    assert_string_equal(summary(x, p),
                        "Collect:retract(region) <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
    assert_int_equal(plan_agg(in0(p->root))->naggs, 0);
    assert_int_equal(plan_agg(in0(p->root))->ngroup, 1);
    PLAN_IS(x, "INSERT INTO rs SELECT DISTINCT region, order_id FROM orders_raw",
            "KafkaSink:retract <- GroupAggregate:retract(region,order_id) <- Calc:append <- KafkaSource:append");
    /* DISTINCT region, order_id is unique on both; us is keyed on region only.
     * (The message names the query's key by the sink columns it lands in.) */
    const char *q = "INSERT INTO us SELECT DISTINCT region, order_id FROM orders_raw";
    plan_err(x, q, EDDY_EPLAN, "us ", "upsert table 'us' has primary key (region) but the query's unique key is (region, n)");
}

static void test_subquery(void **state)
{
    Px *x = *state;
    PLAN_IS(x, "SELECT region, n FROM (SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region) WHERE n > 1",
            "Collect:retract(region) <- Calc:retract(region) <- GroupAggregate:retract(region)"
            " <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "INSERT INTO us SELECT r, n FROM (SELECT region AS r, COUNT(*) AS n FROM orders_raw GROUP BY region) AS s",
            "KafkaSink:upsert(region) <- Calc:upsert(r) <- GroupAggregate:upsert(region) <- Calc:append <- KafkaSource:append");
    /* Calcs of nested projections are not merged. */
    PLAN_IS(x, "SELECT a FROM (SELECT amount AS a, region FROM orders_raw WHERE amount > 0) WHERE a < 100",
            "Collect:append <- Calc:append <- Calc:append <- KafkaSource:append");
    /* An aggregate over an aggregate: the inner one's updates are retracted. */
    PLAN_IS(x, "SELECT n, COUNT(*) AS c FROM (SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region) GROUP BY n",
            "Collect:retract(n) <- GroupAggregate:retract(n) <- Calc:retract <- GroupAggregate:retract(region)"
            " <- Calc:append <- KafkaSource:append");
}

static void test_projection_drops_key(void **state)
{
    Px *x = *state;
    /* Without its key an updating stream must carry explicit retractions. */
    const char *q = "INSERT INTO rs SELECT 'x', n FROM (SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region)";
    PLAN_IS(x, q,
            "KafkaSink:retract <- Calc:retract <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
    const Plan *p = plan_of(x, q);
    assert_false(in0(p->root)->has_key);
    PLAN_IS(x, "SELECT n FROM (SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region)",
            "Collect:retract <- Calc:retract <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
    /* ...and cannot feed an upsert table. */
    q = "INSERT INTO us SELECT 'x', n FROM (SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region)";
    plan_err(x, q, EDDY_EPLAN, "us ", "upsert table 'us' has primary key (region) but the query's updates have no unique key");
}

static void test_sink_rules(void **state)
{
    Px *x = *state;
    const char *q;
    q = "INSERT INTO ap SELECT region, COUNT(*) FROM orders_raw GROUP BY region";
    plan_err(x, q, EDDY_EPLAN, "ap ", "table 'ap' is append-only but the query produces updates (from GroupAggregate)");
    q = "INSERT INTO ap SELECT region, id FROM users";
    plan_err(x, q, EDDY_EPLAN, "ap ", "table 'ap' is append-only but the query produces updates");
    q = "INSERT INTO us2 SELECT COUNT(*), region FROM orders_raw GROUP BY region";
    plan_err(x, q, EDDY_EPLAN, "us2 ", "upsert table 'us2' has primary key (n) but the query's unique key is (region)");
    /* A global aggregate is one row with an empty key: not an upsert table's. */
    q = "INSERT INTO us SELECT 'all', COUNT(*) FROM orders_raw";
    plan_err(x, q, EDDY_EPLAN, "us ", "global aggregate");
    PLAN_IS(x, "INSERT INTO rs SELECT 'all', COUNT(*) FROM orders_raw",
            "KafkaSink:retract <- Calc:retract() <- GroupAggregate:retract() <- Calc:append <- KafkaSource:append");
    /* Append-only results go anywhere. */
    PLAN_IS(x, "INSERT INTO ap SELECT region, order_id FROM orders_raw", "KafkaSink:append <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "INSERT INTO us SELECT region, order_id FROM orders_raw", "KafkaSink:upsert(region) <- Calc:append <- KafkaSource:append");
    /* The error left nothing half-made on the engine: the next compile works. */
    q = "INSERT INTO ap SELECT region, COUNT(*) FROM orders_raw GROUP BY region";
    assert_int_equal(compile(x, q), EDDY_EPLAN);
    assert_int_equal(compile(x, "SHOW TABLES"), EDDY_OK);
    assert_int_equal(eddy_errcode(x->e), 0);
}

static void test_identity_calcs_elided(void **state)
{
    Px *x = *state;
    PLAN_IS(x, "SELECT * FROM orders_raw", "Collect:append <- KafkaSource:append");
    PLAN_IS(x, "SELECT order_id, user_id, amount, region, ts FROM orders_raw", "Collect:append <- KafkaSource:append");
    PLAN_IS(x, "SELECT orders_raw.* FROM orders_raw", "Collect:append <- KafkaSource:append");
    /* Reordered, renamed, narrowed or filtered: a calc. */
    PLAN_IS(x, "SELECT user_id, order_id, amount, region, ts FROM orders_raw", "Collect:append <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "SELECT order_id AS id, user_id, amount, region, ts FROM orders_raw", "Collect:append <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "SELECT order_id FROM orders_raw", "Collect:append <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "SELECT * FROM orders_raw WHERE amount > 0", "Collect:append <- Calc:append <- KafkaSource:append");
    /* An aggregate whose output is the select list needs no calc after it,
     * and one grouping by its input's first columns none before it. */
    PLAN_IS(x, "INSERT INTO rs SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region",
            "KafkaSink:retract <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
    PLAN_IS(x, "SELECT region, SUM(amount) AS s FROM (SELECT region, amount FROM orders_raw) GROUP BY region",
            "Collect:retract(region) <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
    /* The calc after the aggregate is there when the select list reorders. */
    PLAN_IS(x, "SELECT COUNT(*) AS n, region FROM orders_raw GROUP BY region",
            "Collect:retract(region) <- Calc:retract(region) <- GroupAggregate:retract(region) <- Calc:append <- KafkaSource:append");
}

static void test_collect_limit_and_name(void **state)
{
    Px *x = *state;
    const Plan *p = plan_of(x, "SELECT region FROM orders_raw LIMIT 5");
    assert_int_equal(p->root->kind, PLAN_COLLECT);
    assert_int_equal(plan_collect(p->root)->limit, 5);
    assert_string_equal(p->name, "select");
    p = plan_of(x, "SET 'pipeline.name' = 'job-7'; INSERT INTO ap SELECT region, order_id FROM orders_raw");
    assert_string_equal(p->name, "job-7");
    assert_int_equal(p->nsettings, 1);
    assert_string_equal(p->settings[0].key, "pipeline.name");
    /* Settings are copied: RESET does not change a compiled plan. */
    assert_int_equal(compile(x, "RESET"), EDDY_OK);
    p = plan_of(x, "INSERT INTO ap SELECT region, order_id FROM orders_raw");
    assert_string_equal(p->name, "ap");
    assert_int_equal(p->nsettings, 0);
}

static void test_explain_statement_has_plan(void **state)
{
    Px *x = *state;
    assert_int_equal(compile(x, reference), EDDY_OK);
    assert_int_equal(compile(x, "EXPLAIN SELECT region FROM orders_raw"), EDDY_OK);
    assert_int_equal(eddy_script_kind(x->s, 0), EDDY_STMT_EXPLAIN);
    assert_non_null(eddy_script_plan(x->s, 0));
    const char *out = eddy_script_output(x->s, 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "Collect(fields=[region], changelog=[append])"));
    assert_int_equal(compile(x, "EXPLAIN SHOW TABLES"), EDDY_ESEMANTIC);
}

/* The summary's changelog and key agree with the EXPLAIN text, line by line. */
static void test_summary_matches_explain(void **state)
{
    Px *x = *state;
    const char *queries[] = {
        reference,
        "INSERT INTO us SELECT region, COUNT(*) AS n FROM users GROUP BY region",
        "INSERT INTO rs SELECT 'x', n FROM (SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region)",
        "SELECT DISTINCT region FROM orders_raw",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        const Plan *p = plan_of(x, queries[i]);
        char *text = eddy_plan_explain((const eddy_plan *)p, EDDY_TEXT);
        const char *line = text;
        for (const PlanNode *n = p->root; n; n = in0(n)) {
            const char *eol = strchr(line, '\n');
            assert_non_null(eol);
            char want[128];
            snprintf(want, sizeof want, "%s(", plan_ops[n->kind].name);
            assert_non_null(strstr(line, want));
            snprintf(want, sizeof want, "changelog=[%s]", changelog_of(n));
            const char *hit = strstr(line, want);
            if (!hit || hit > eol) fail_msg("%s: line \"%.*s\" lacks %s", queries[i], (int)(eol - line), line, want);
            bool keyed = n->kind == PLAN_SINK ? plan_sink(n)->table->conn.mode == MODE_UPSERT : n->updating && n->has_key;
            hit = strstr(line, "key=[");
            assert_int_equal(keyed, hit != NULL && hit < eol);
            line = eol + 1;
        }
        assert_int_equal(*line, 0);
        eddy_free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_query, setup, teardown),
        cmocka_unit_test(test_reference_script_file),
        cmocka_unit_test_setup_teardown(test_having, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_before_aggregate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retract_sink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subquery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_projection_drops_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_calcs_elided, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collect_limit_and_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain_statement_has_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_matches_explain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_takes_upserts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
