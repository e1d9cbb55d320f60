/*
 * test_registry.c — the development Schema Registry (registry_server.c)
 * through eddy's client (registry.c): global ids, the same schema again,
 * versions, compatibility checks, errors, an unreachable registry, the
 * state file; and tables derived from the registry through the public API
 * (eddy_engine_set_registry, SET 'avro-confluent.url', DESCRIBE).
 * ctest: avro/registry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"
#include "registry.h"

static const char *V1 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":["
                        "{\"name\":\"order_id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"int\"},"
                        "{\"name\":\"region\",\"type\":\"string\"}]}";
/* V1 again, spelled differently */
static const char *V1B = "{ \"namespace\": \"shop\", \"name\": \"Order\", \"type\": \"record\", \"fields\": ["
                         "{\"type\": \"long\", \"name\": \"order_id\"}, {\"name\": \"amount\", \"type\": \"int\"},"
                         "{\"name\": \"region\", \"type\": \"string\"}]}";
/* adds a nullable field with a default, promotes amount: backward compatible */
static const char *V2 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":["
                        "{\"name\":\"order_id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"double\"},"
                        "{\"name\":\"region\",\"type\":\"string\"},{\"name\":\"channel\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
/* adds a field without a default: not backward compatible */
static const char *V3 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":["
                        "{\"name\":\"order_id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"double\"},"
                        "{\"name\":\"region\",\"type\":\"string\"},{\"name\":\"must\",\"type\":\"string\"}]}";

static void test_register_and_fetch(void **state)
{
    (void)state;
    RegistryServer *srv;
    char err[512];
    assert_int_equal(registry_server_start(NULL, &srv, err, sizeof err), 0);
    assert_true(strncmp(registry_server_url(srv), "http://127.0.0.1:", 17) == 0);
    Registry *r = registry_new(registry_server_url(srv), err, sizeof err);
    assert_non_null(r);
    int32_t id1, id1b, id1c, id2;
    assert_int_equal(registry_register(r, "orders-value", V1, &id1, err, sizeof err), REG_OK);
    assert_int_equal(id1, 1);
    assert_int_equal(registry_register(r, "orders-value", V1B, &id1b, err, sizeof err), REG_OK);
    assert_int_equal(id1b, 1);   /* the same schema: the same id, no new version */
    assert_int_equal(registry_register(r, "other-value", V1B, &id1c, err, sizeof err), REG_OK);
    assert_int_equal(id1c, 1);   /* ids are global */
    assert_int_equal(registry_register(r, "orders-value", V2, &id2, err, sizeof err), REG_OK);
    assert_int_equal(id2, 2);
    int32_t id, version;
    char *text;
    assert_int_equal(registry_latest(r, "orders-value", &id, &version, &text, err, sizeof err), REG_OK);
    assert_int_equal(id, 2);
    assert_int_equal(version, 2);
    assert_string_equal(text, V2);
    free(text);
    assert_int_equal(registry_latest(r, "nope-value", &id, &version, NULL, err, sizeof err), REG_NOT_FOUND);
    const char *s;
    assert_int_equal(registry_schema_by_id(r, 1, &s, err, sizeof err), REG_OK);
    assert_string_equal(s, V1);
    assert_int_equal(registry_schema_by_id(r, 99, &s, err, sizeof err), REG_NOT_FOUND);
    assert_non_null(strstr(err, "schema id 99 is not in the schema registry"));
    assert_int_equal(registry_schema_by_id(r, 99, &s, err, sizeof err), REG_NOT_FOUND);   /* cached */

    /* incompatible (BACKWARD) and invalid schemas are refused with the registry's reason */
    int32_t bad;
    assert_int_equal(registry_register(r, "orders-value", V3, &bad, err, sizeof err), REG_ERROR);
    assert_non_null(strstr(err, "incompatible"));
    assert_non_null(strstr(err, "HTTP 409"));
    assert_int_equal(registry_register(r, "orders-value", "{\"type\":\"recrod\"}", &bad, err, sizeof err), REG_ERROR);
    assert_non_null(strstr(err, "Invalid schema"));
    assert_non_null(strstr(err, "HTTP 422"));
    /* a new subject takes anything valid */
    assert_int_equal(registry_register(r, "fresh-value", V3, &bad, err, sizeof err), REG_OK);
    assert_int_equal(bad, 3);
    registry_free(r);
    registry_server_free(srv);
}

static void test_unreachable(void **state)
{
    (void)state;
    char err[512];
    /* a port nothing listens on: a server started and stopped */
    RegistryServer *srv;
    assert_int_equal(registry_server_start(NULL, &srv, err, sizeof err), 0);
    char url[64];
    snprintf(url, sizeof url, "%s", registry_server_url(srv));
    registry_server_free(srv);
    Registry *r = registry_new(url, err, sizeof err);
    const char *s;
    assert_int_equal(registry_schema_by_id(r, 1, &s, err, sizeof err), REG_ERROR);
    assert_non_null(strstr(err, url));
    registry_free(r);
    assert_null(registry_new("ftp://127.0.0.1:1", err, sizeof err));
    assert_non_null(strstr(err, "not an http:// or https:// URL"));
}

static void test_state_file(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-registry-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    char err[512];
    RegistryServer *srv;
    assert_int_equal(registry_server_start(path, &srv, err, sizeof err), 0);
    Registry *r = registry_new(registry_server_url(srv), err, sizeof err);
    int32_t id;
    assert_int_equal(registry_register(r, "a-value", V1, &id, err, sizeof err), REG_OK);
    assert_int_equal(registry_register(r, "a-value", V2, &id, err, sizeof err), REG_OK);
    assert_int_equal(registry_register(r, "b-key", "\"string\"", &id, err, sizeof err), REG_OK);
    assert_int_equal(id, 3);
    registry_free(r);
    registry_server_free(srv);
    /* again from the file: the same ids and versions */
    assert_int_equal(registry_server_start(path, &srv, err, sizeof err), 0);
    r = registry_new(registry_server_url(srv), err, sizeof err);
    int32_t version;
    assert_int_equal(registry_latest(r, "a-value", &id, &version, NULL, err, sizeof err), REG_OK);
    assert_int_equal(id, 2);
    assert_int_equal(version, 2);
    assert_int_equal(registry_register(r, "c-value", "\"string\"", &id, err, sizeof err), REG_OK);
    assert_int_equal(id, 3);
    assert_int_equal(registry_register(r, "c-value", V1, &id, err, sizeof err), REG_ERROR);   /* string → record: incompatible */
    registry_free(r);
    registry_server_free(srv);
    unlink(path);
}

static void test_table_ddl(void **state)
{
    (void)state;
    char err[512];
    RegistryServer *srv;
    assert_int_equal(registry_server_start(NULL, &srv, err, sizeof err), 0);
    Registry *r = registry_new(registry_server_url(srv), err, sizeof err);
    int32_t id;
    assert_int_equal(registry_register(r, "orders-value", V2, &id, err, sizeof err), REG_OK);
    char *ddl;
    assert_int_equal(registry_table_ddl("orders", registry_server_url(srv), &ddl, err, sizeof err), 0);
    char want[512];
    snprintf(want, sizeof want,
             "CREATE TABLE `orders` (`order_id` BIGINT NOT NULL, `amount` DOUBLE NOT NULL, `region` STRING NOT NULL, `channel` STRING) "
             "WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '%s')", registry_server_url(srv));
    assert_string_equal(ddl, want);
    free(ddl);
    assert_int_equal(registry_table_ddl("missing", registry_server_url(srv), &ddl, err, sizeof err), 1);
    registry_free(r);
    registry_server_free(srv);
}

/* Only the public API: eddy.h. */
static void test_engine_tables_from_registry(void **state)
{
    (void)state;
    char err[512];
    RegistryServer *srv;
    assert_int_equal(registry_server_start(NULL, &srv, err, sizeof err), 0);
    const char *url = registry_server_url(srv);
    Registry *r = registry_new(url, err, sizeof err);
    int32_t id;
    assert_int_equal(registry_register(r, "orders_raw-value", V2, &id, err, sizeof err), REG_OK);
    registry_free(r);

    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    /* no registry: an unknown table */
    const char *q = "SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region;";
    assert_int_equal(eddy_compile(e, q, strlen(q), "q.sql", &s), EDDY_ESEMANTIC);
    assert_non_null(strstr(eddy_errmsg(e), "orders_raw"));
    assert_int_equal(eddy_engine_set_registry(e, "not a url"), EDDY_EMISUSE);
    assert_int_equal(eddy_engine_set_registry(e, url), EDDY_OK);
    const char *d = "DESCRIBE orders_raw; SHOW TABLES;";
    assert_int_equal(eddy_compile(e, d, strlen(d), "d.sql", &s), EDDY_OK);
    const char *out = eddy_script_output(s, 0);
    assert_non_null(strstr(out, "order_id"));
    assert_non_null(strstr(out, "channel"));
    assert_non_null(strstr(out, "format 'avro-confluent'"));
    assert_non_null(strstr(eddy_script_output(s, 1), "orders_raw"));
    eddy_script_free(s);
    assert_int_equal(eddy_compile(e, q, strlen(q), "q.sql", &s), EDDY_OK);
    char *plan = eddy_plan_explain(eddy_script_plan(s, 0), EDDY_TEXT);
    assert_non_null(strstr(plan, "format=[avro-confluent]"));
    eddy_free(plan);
    eddy_script_free(s);
    /* a subject that does not exist: still an unknown table */
    const char *q2 = "SELECT * FROM nothing_here;";
    assert_int_equal(eddy_compile(e, q2, strlen(q2), "q.sql", &s), EDDY_ESEMANTIC);
    /* the session's registry is the default URL of avro-confluent tables */
    char ddl[512];
    snprintf(ddl, sizeof ddl, "CREATE TABLE t (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT) WITH ('format' = 'avro-confluent');");
    assert_int_equal(eddy_compile(e, ddl, strlen(ddl), "t.sql", &s), EDDY_OK);
    eddy_script_free(s);
    eddy_engine_free(e);

    /* SET 'avro-confluent.url' instead of the API's URL; a registry that is down */
    e = eddy_engine_new();
    const char *noreg = "CREATE TABLE t2 (a BIGINT) WITH ('format' = 'avro-confluent');";
    assert_int_equal(eddy_compile(e, noreg, strlen(noreg), "t.sql", &s), EDDY_EOPTION);
    assert_non_null(strstr(eddy_errmsg(e), "avro-confluent.url"));
    /* (no eddy_engine_set_registry: with the runtime linked, the SET is enough) */
    char set[256];
    snprintf(set, sizeof set, "SET 'avro-confluent.url' = '%s'; DESCRIBE orders_raw;", url);
    assert_int_equal(eddy_compile(e, set, strlen(set), "s.sql", &s), EDDY_OK);
    assert_non_null(strstr(eddy_script_output(s, 1), "amount"));
    eddy_script_free(s);
    registry_server_free(srv);
    const char *q3 = "SELECT * FROM elsewhere;";
    assert_int_equal(eddy_compile(e, q3, strlen(q3), "q.sql", &s), EDDY_ESEMANTIC);
    assert_non_null(strstr(eddy_errmsg(e), "could not be asked"));
    eddy_engine_free(e);
}

/* A registered schema with records, arrays and maps: the derived table has
 * ROW, ARRAY and MAP columns (DESCRIBE shows them), which queries use. */
static const char *NESTED =
    "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"shop\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"customer\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Customer\",\"fields\":["
    "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"address\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Address\","
    "\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}],\"default\":null}]}],\"default\":null},"
    "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Item\",\"fields\":["
    "{\"name\":\"sku\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"}]}}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"string\"]}},"
    "{\"name\":\"either\",\"type\":[\"int\",\"string\"]}]}";

static void test_nested_table(void **state)
{
    (void)state;
    char err[512];
    RegistryServer *srv;
    assert_int_equal(registry_server_start(NULL, &srv, err, sizeof err), 0);
    const char *url = registry_server_url(srv);
    Registry *r = registry_new(url, err, sizeof err);
    int32_t id;
    assert_int_equal(registry_register(r, "events-value", NESTED, &id, err, sizeof err), REG_OK);
    registry_free(r);
    char *ddl;
    assert_int_equal(registry_table_ddl("events", url, &ddl, err, sizeof err), 0);
    assert_non_null(strstr(ddl, "(`id` BIGINT NOT NULL, `customer` ROW<`name` STRING NOT NULL, `address` ROW<`city` STRING NOT NULL>>, "
                                "`items` ARRAY<ROW<`sku` STRING NOT NULL, `qty` INT NOT NULL> NOT NULL> NOT NULL, "
                                "`attrs` MAP<STRING NOT NULL, STRING> NOT NULL) WITH"));
    free(ddl);

    eddy_engine *e = eddy_engine_new();
    assert_int_equal(eddy_engine_set_registry(e, url), EDDY_OK);
    eddy_script *s;
    const char *d = "DESCRIBE events;";
    assert_int_equal(eddy_compile(e, d, strlen(d), "d.sql", &s), EDDY_OK);
    const char *out = eddy_script_output(s, 0);
    assert_non_null(strstr(out, "ROW<`name` STRING NOT NULL, `address` ROW<`city` STRING NOT NULL>>"));
    assert_non_null(strstr(out, "ARRAY<ROW<`sku` STRING NOT NULL, `qty` INT NOT NULL> NOT NULL>"));
    assert_non_null(strstr(out, "MAP<STRING NOT NULL, STRING>"));
    assert_null(strstr(out, "either"));   /* a union of two types has no SQL type */
    eddy_script_free(s);
    const char *q = "SELECT e.id, e.customer.address.city, e.attrs['k'], t.sku, t.qty "
                    "FROM events AS e CROSS JOIN UNNEST(e.items) AS t (sku, qty);";
    if (eddy_compile(e, q, strlen(q), "q.sql", &s) != EDDY_OK) fail_msg("%s", eddy_errmsg(e));
    eddy_script_free(s);
    eddy_engine_free(e);
    registry_server_free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_table),
        cmocka_unit_test(test_register_and_fetch),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_state_file),
        cmocka_unit_test(test_table_ddl),
        cmocka_unit_test(test_engine_tables_from_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
