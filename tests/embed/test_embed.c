/*
 * test_embed.c — eddy as an embedder sees it: nothing but <eddy.h> and
 * libeddy.so.  It checks what include/eddy.h promises:
 *
 *   - engines are independent (a table created in one is unknown to another);
 *   - the reference script (sql/orders.sql, path in argv[1]) compiles with
 *     no broker, and its plan explains as text (operators, changelog, key)
 *     and as well-formed JSON;
 *   - the error API: code, message, line, column, and the full text with the
 *     source line and a caret; the engine stays usable after an error;
 *   - SHOW TABLES, DESCRIBE, SET and RESET outputs;
 *   - the catalog, the settings and eddy's names as data; a plan's facts
 *     (tables, result columns, key, changelog, LIMIT, settings, cluster);
 *   - the SQL text helpers a shell uses (statement ends, completion);
 *   - jobs in memory (changes, counters, per-operator counters; time: the
 *     caller's clock, a topic's partitions, watermarks) and over
 *     Kafka on the development broker: a bounded run with a state file and
 *     its lag, a restart that resumes, notices, stopping; the development
 *     registry and the order generator;
 *   - ownership: everything returned is freed here, so a leak checker
 *     (ASan's LeakSanitizer in the sanitizer build) finds nothing.
 *
 * Exit status 0 when every check passes; each failed check is printed.
 */
#include <eddy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                               \
            failures++;                                                                                            \
        }                                                                                                          \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                                \
    do {                                                                                                           \
        const char *h_ = (hay);                                                                                    \
        if (!h_ || !strstr(h_, (needle))) {                                                                        \
            fprintf(stderr, "%s:%d: expected \"%s\" in:\n%s\n", __FILE__, __LINE__, (needle), h_ ? h_ : "(null)"); \
            failures++;                                                                                            \
        }                                                                                                          \
    } while (0)

/* Compiles a NUL-terminated text; the script (or NULL) goes to *out. */
static int compile(eddy_engine *e, const char *sql, eddy_script **out)
{
    return eddy_compile(e, sql, strlen(sql), "embed.sql", out);
}

/* ------------------------------------------------------------------ */
/* A strict JSON well-formedness check (RFC 8259 grammar, no extensions). */

typedef struct Json {
    const char *p;        /* next byte */
    int         depth;    /* nesting, bounded */
} Json;

static void json_ws(Json *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

static int json_value(Json *j);

static int json_string(Json *j)
{
    if (*j->p != '"') return 0;
    j->p++;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20) return 0;   /* includes the end of the text */
        if (c == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++) {
                    char h = j->p[i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) return 0;
                }
                j->p += 5;
                continue;
            }
            if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) return 0;
        }
        j->p++;
    }
}

static int json_number(Json *j)
{
    const char *s = j->p;
    if (*j->p == '-') j->p++;
    if (*j->p == '0') j->p++;
    else if (*j->p >= '1' && *j->p <= '9')
        while (*j->p >= '0' && *j->p <= '9') j->p++;
    else return 0;
    if (*j->p == '.') {
        j->p++;
        if (!(*j->p >= '0' && *j->p <= '9')) return 0;
        while (*j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-') j->p++;
        if (!(*j->p >= '0' && *j->p <= '9')) return 0;
        while (*j->p >= '0' && *j->p <= '9') j->p++;
    }
    return j->p > s;
}

static int json_container(Json *j, char open, char close)
{
    if (*j->p != open || ++j->depth > 200) return 0;
    j->p++;
    json_ws(j);
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return 1;
    }
    for (;;) {
        json_ws(j);
        if (open == '{') {
            if (!json_string(j)) return 0;
            json_ws(j);
            if (*j->p++ != ':') return 0;
            json_ws(j);
        }
        if (!json_value(j)) return 0;
        json_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != close) return 0;
        j->p++;
        j->depth--;
        return 1;
    }
}

static int json_value(Json *j)
{
    switch (*j->p) {
    case '{': return json_container(j, '{', '}');
    case '[': return json_container(j, '[', ']');
    case '"': return json_string(j);
    case 't': return strncmp(j->p, "true", 4) == 0 ? (j->p += 4, 1) : 0;
    case 'f': return strncmp(j->p, "false", 5) == 0 ? (j->p += 5, 1) : 0;
    case 'n': return strncmp(j->p, "null", 4) == 0 ? (j->p += 4, 1) : 0;
    default: return json_number(j);
    }
}

/* A whole text that is exactly one JSON object (white space around allowed). */
static int json_is_object(const char *text)
{
    Json j = {text, 0};
    json_ws(&j);
    if (*j.p != '{' || !json_value(&j)) return 0;
    json_ws(&j);
    return *j.p == 0;
}

static void test_json_checker(void)
{
    /* The checker itself, so a passing plan check means something. */
    CHECK(json_is_object("{}"));
    CHECK(json_is_object(" {\"a\": [1, -2.5e3, \"x\\n\\u00e9\", true, false, null, {}]}\n"));
    CHECK(!json_is_object("{"));
    CHECK(!json_is_object("{\"a\": 1,}"));
    CHECK(!json_is_object("{\"a\" 1}"));
    CHECK(!json_is_object("{\"a\": 01}"));
    CHECK(!json_is_object("{\"a\": \"\x01\"}"));
    CHECK(!json_is_object("{\"a\": \"\\q\"}"));
    CHECK(!json_is_object("{} {}"));
    CHECK(!json_is_object("[1]"));
}

/* ------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, (cap *= 2) + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

static void test_version(void)
{
    CHECK(strcmp(eddy_version(), EDDY_VERSION) == 0);
    char *doc = eddy_options_doc();
    CHECK_CONTAINS(doc, "changelog.mode");
    CHECK_CONTAINS(doc, "pipeline.name");
    eddy_free(doc);
    /* Destroy functions accept NULL. */
    eddy_engine_free(NULL);
    eddy_script_free(NULL);
    eddy_free(NULL);
}

static void test_independent_engines(void)
{
    eddy_engine *a = eddy_engine_new(), *b = eddy_engine_new();
    CHECK(a && b && a != b);
    eddy_script *s = NULL;
    CHECK(compile(a, "CREATE TABLE only_in_a (x INT); SET 'pipeline.name' = 'a-job';", &s) == EDDY_OK);
    eddy_script_free(s);

    /* b knows nothing of it... */
    s = (eddy_script *)&s;
    CHECK(compile(b, "DESCRIBE only_in_a", &s) == EDDY_ESEMANTIC);
    CHECK(s == NULL);
    CHECK(eddy_errcode(b) == EDDY_ESEMANTIC);
    CHECK_CONTAINS(eddy_errmsg(b), "unknown table 'only_in_a'");
    /* ...has no settings... */
    CHECK(compile(b, "SET", &s) == EDDY_OK);
    CHECK(eddy_script_output(s, 0) == NULL || strcmp(eddy_script_output(s, 0), "") == 0);
    eddy_script_free(s);
    /* ...and may create a table of the same name with another shape. */
    CHECK(compile(b, "CREATE TABLE only_in_a (y STRING, z DOUBLE); DESCRIBE only_in_a", &s) == EDDY_OK);
    CHECK_CONTAINS(eddy_script_output(s, 1), "z");
    eddy_script_free(s);

    /* a's error is a's alone: b's last call succeeded and has no error. */
    CHECK(compile(a, "SELECT nope FROM only_in_a", &s) == EDDY_ESEMANTIC);
    CHECK(eddy_errcode(b) == EDDY_OK);
    CHECK(strcmp(eddy_errmsg(b), "") == 0);
    CHECK(compile(a, "DESCRIBE only_in_a", &s) == EDDY_OK);
    CHECK_CONTAINS(eddy_script_output(s, 0), "x");
    CHECK(strstr(eddy_script_output(s, 0), "z ") == NULL);
    eddy_script_free(s);
    CHECK(compile(a, "SET", &s) == EDDY_OK);
    CHECK_CONTAINS(eddy_script_output(s, 0), "'pipeline.name' = 'a-job'");
    eddy_script_free(s);

    /* Freeing one leaves the other working. */
    eddy_engine_free(a);
    CHECK(compile(b, "SHOW TABLES", &s) == EDDY_OK);
    CHECK_CONTAINS(eddy_script_output(s, 0), "only_in_a");
    eddy_script_free(s);
    eddy_engine_free(b);
}

static void test_reference_script(const char *path)
{
    size_t len = 0;
    char *sql = read_file(path, &len);
    CHECK(sql != NULL);
    if (!sql) return;
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    int rc = eddy_compile(e, sql, len, path, &s);
    if (rc != EDDY_OK) fprintf(stderr, "%s", eddy_errtext(e));
    CHECK(rc == EDDY_OK);
    CHECK(eddy_errcode(e) == EDDY_OK);
    CHECK(eddy_script_count(s) == 3);
    CHECK(eddy_script_kind(s, 0) == EDDY_STMT_CREATE_TABLE);
    CHECK(eddy_script_kind(s, 1) == EDDY_STMT_CREATE_TABLE);
    CHECK(eddy_script_kind(s, 2) == EDDY_STMT_INSERT);
    CHECK(eddy_script_plan(s, 0) == NULL);
    CHECK(eddy_script_line(s, 0) >= 1);
    CHECK(eddy_script_line(s, 2) > eddy_script_line(s, 1));
    /* Out of range: no plan, no output, no crash. */
    CHECK(eddy_script_plan(s, 3) == NULL);
    CHECK(eddy_script_plan(s, -1) == NULL);
    CHECK(eddy_script_output(s, 99) == NULL);

    const eddy_plan *p = eddy_script_plan(s, 2);
    CHECK(p != NULL);
    if (p) {
        CHECK(strcmp(eddy_plan_name(p), "orders_summary") == 0);
        CHECK(eddy_plan_operator_count(p) >= 3);

        char *text = eddy_plan_explain(p, EDDY_TEXT);
        CHECK_CONTAINS(text, "KafkaSource(");
        CHECK_CONTAINS(text, "GroupAggregate(");
        CHECK_CONTAINS(text, "KafkaSink(");
        CHECK_CONTAINS(text, "key=[region]");
        CHECK_CONTAINS(text, "changelog=[upsert]");
        CHECK_CONTAINS(text, "topic=[orders_raw]");
        CHECK_CONTAINS(text, "topic=[orders_summary]");
        /* Root first: the sink is the first line, the source the last. */
        CHECK(text && strncmp(text, "KafkaSink(", 10) == 0);
        CHECK(text && strstr(text, "KafkaSource(") > strstr(text, "GroupAggregate("));
        int lines = 0;
        for (const char *c = text; c && *c; c++) lines += *c == '\n';
        CHECK(lines == eddy_plan_operator_count(p));
        eddy_free(text);

        char *json = eddy_plan_explain(p, EDDY_JSON);
        CHECK(json && json[0] == '{');
        CHECK(json_is_object(json));
        CHECK_CONTAINS(json, "\"operator\": \"KafkaSink\"");
        CHECK_CONTAINS(json, "\"operator\": \"GroupAggregate\"");
        CHECK_CONTAINS(json, "\"operator\": \"KafkaSource\"");
        CHECK_CONTAINS(json, "\"key\": [\"region\"]");
        eddy_free(json);
    }
    /* The script outlives its engine. */
    eddy_engine_free(e);
    if (p) {
        char *text = eddy_plan_explain(p, EDDY_TEXT);
        CHECK_CONTAINS(text, "GroupAggregate(");
        eddy_free(text);
    }
    eddy_script_free(s);
    free(sql);
}

static void test_errors(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = (eddy_script *)&s;
    const char *bad =
        "CREATE TABLE t (a INT, b STRING);\n"
        "SELECT a,\n"
        "       b + 1\n"
        "FROM t;";
    int rc = compile(e, bad, &s);
    CHECK(rc == EDDY_ESEMANTIC);
    CHECK(s == NULL);
    CHECK(eddy_errcode(e) == EDDY_ESEMANTIC);
    CHECK_CONTAINS(eddy_errmsg(e), "STRING and INT");
    CHECK(eddy_errline(e) == 3);
    CHECK(eddy_errcol(e) == 10);
    const char *et = eddy_errtext(e);
    CHECK_CONTAINS(et, "embed.sql:3:10: error: ");
    CHECK_CONTAINS(et, eddy_errmsg(e));
    CHECK_CONTAINS(et, "\n       b + 1\n         ^\n");
    /* Statements before the error took effect: t exists. */
    CHECK(compile(e, "DESCRIBE t", &s) == EDDY_OK);
    CHECK(eddy_errcode(e) == EDDY_OK && eddy_errline(e) == 0 && strcmp(eddy_errtext(e), "") == 0);
    eddy_script_free(s);

    /* A syntax error. */
    CHECK(compile(e, "SELECT a FROM t WHERE", &s) == EDDY_ESYNTAX);
    CHECK(eddy_errline(e) == 1);
    CHECK_CONTAINS(eddy_errmsg(e), "end of input");
    /* A plan error. */
    CHECK(compile(e, "CREATE TABLE sink (a INT, n BIGINT); INSERT INTO sink SELECT a, COUNT(*) FROM t GROUP BY a", &s) ==
          EDDY_EPLAN);
    CHECK_CONTAINS(eddy_errmsg(e), "append-only");
    CHECK(eddy_errcol(e) == 50);
    /* An option error names the option. */
    CHECK(compile(e, "SET 'no.such.key' = 'x'", &s) == EDDY_EOPTION);
    CHECK_CONTAINS(eddy_errmsg(e), "no.such.key");
    CHECK(compile(e, "CREATE TABLE u (a INT) WITH ('scan.startup.mode' = 'yesterday')", &s) == EDDY_EOPTION);
    CHECK_CONTAINS(eddy_errmsg(e), "scan.startup.mode");
    /* No text at all is misuse. */
    CHECK(eddy_compile(e, NULL, 0, NULL, &s) == EDDY_EMISUSE);
    CHECK(s == NULL);
    /* The name is optional. */
    CHECK(eddy_compile(e, "SELEC", 5, NULL, &s) == EDDY_ESYNTAX);
    CHECK_CONTAINS(eddy_errtext(e), ":1:1: error: ");
    /* Text need not be NUL-terminated: only len bytes are read. */
    const char trunc[] = "SHOW TABLES;garbage(";
    CHECK(eddy_compile(e, trunc, 12, NULL, &s) == EDDY_OK);
    eddy_script_free(s);
    eddy_engine_free(e);
}

static void test_show_describe(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e, "SHOW TABLES", &s) == EDDY_OK);
    CHECK(eddy_script_kind(s, 0) == EDDY_STMT_SHOW_TABLES);
    const char *out = eddy_script_output(s, 0);
    CHECK(out == NULL || out[0] == 0);
    eddy_script_free(s);

    CHECK(compile(e,
                  "CREATE TABLE orders (id BIGINT NOT NULL, amount DECIMAL(10, 2), region STRING,\n"
                  "  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',\n"
                  "  PRIMARY KEY (id) NOT ENFORCED) WITH ('topic' = 'orders_v1');\n"
                  "CREATE TABLE regions (name STRING);\n"
                  "SHOW TABLES;\n"
                  "DESCRIBE orders;\n"
                  "DESC regions;\n",
                  &s) == EDDY_OK);
    CHECK(eddy_script_count(s) == 5);
    CHECK(eddy_script_kind(s, 2) == EDDY_STMT_SHOW_TABLES);
    CHECK(eddy_script_kind(s, 3) == EDDY_STMT_DESCRIBE);
    CHECK(eddy_script_kind(s, 4) == EDDY_STMT_DESCRIBE);
    CHECK(eddy_script_output(s, 2) && strcmp(eddy_script_output(s, 2), "orders\nregions\n") == 0);
    const char *d = eddy_script_output(s, 3);
    CHECK_CONTAINS(d, "id");
    CHECK_CONTAINS(d, "BIGINT");
    CHECK_CONTAINS(d, "DECIMAL(10, 2)");
    CHECK_CONTAINS(d, "TIMESTAMP_LTZ(3)");
    CHECK_CONTAINS(d, "PRI");
    CHECK_CONTAINS(d, "METADATA FROM 'timestamp'");
    CHECK_CONTAINS(d, "orders_v1");
    CHECK_CONTAINS(d, "upsert");
    CHECK_CONTAINS(eddy_script_output(s, 4), "name");
    CHECK_CONTAINS(eddy_script_output(s, 4), "append");
    eddy_script_free(s);

    CHECK(compile(e, "DROP TABLE regions; SHOW TABLES; DROP TABLE IF EXISTS regions", &s) == EDDY_OK);
    CHECK(eddy_script_kind(s, 0) == EDDY_STMT_DROP_TABLE);
    CHECK(eddy_script_output(s, 1) && strcmp(eddy_script_output(s, 1), "orders\n") == 0);
    eddy_script_free(s);
    CHECK(compile(e, "DROP TABLE regions", &s) == EDDY_ESEMANTIC);
    CHECK(compile(e, "CREATE TABLE orders (x INT)", &s) == EDDY_ESEMANTIC);
    CHECK_CONTAINS(eddy_errmsg(e), "already exists");
    CHECK(compile(e, "CREATE TABLE IF NOT EXISTS orders (x INT)", &s) == EDDY_OK);
    eddy_script_free(s);
    eddy_engine_free(e);
}

static void test_set_reset(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e,
                  "SET 'pipeline.name' = 'job-1';\n"
                  "SET 'table.exec.mini-batch.allow-latency' = '200 ms';\n"
                  "SET 'properties.bootstrap.servers' = 'localhost:9092';\n"
                  "SET 'pipeline.name' = 'job-2';\n"
                  "SET;",
                  &s) == EDDY_OK);
    CHECK(eddy_script_count(s) == 5);
    CHECK(eddy_script_kind(s, 0) == EDDY_STMT_SET);
    const char *all = eddy_script_output(s, 4);
    CHECK_CONTAINS(all, "'pipeline.name' = 'job-2'");
    CHECK_CONTAINS(all, "'table.exec.mini-batch.allow-latency' = '200 ms'");
    CHECK_CONTAINS(all, "'properties.bootstrap.servers' = 'localhost:9092'");
    CHECK(all && strstr(all, "job-1") == NULL);
    eddy_script_free(s);

    /* A plan takes its name from pipeline.name. */
    CHECK(compile(e, "CREATE TABLE src (a INT); CREATE TABLE dst (a INT); INSERT INTO dst SELECT a FROM src", &s) == EDDY_OK);
    CHECK(strcmp(eddy_plan_name(eddy_script_plan(s, 2)), "job-2") == 0);
    eddy_script_free(s);

    CHECK(compile(e, "RESET 'pipeline.name'; SET", &s) == EDDY_OK);
    CHECK(eddy_script_kind(s, 0) == EDDY_STMT_RESET);
    CHECK(strstr(eddy_script_output(s, 1), "pipeline.name") == NULL);
    CHECK_CONTAINS(eddy_script_output(s, 1), "allow-latency");
    eddy_script_free(s);
    CHECK(compile(e, "INSERT INTO dst SELECT a FROM src", &s) == EDDY_OK);
    CHECK(strcmp(eddy_plan_name(eddy_script_plan(s, 0)), "dst") == 0);
    eddy_script_free(s);

    CHECK(compile(e, "RESET; SET", &s) == EDDY_OK);
    const char *none = eddy_script_output(s, 1);
    CHECK(none == NULL || none[0] == 0);
    eddy_script_free(s);

    /* Bad values are refused and change nothing. */
    CHECK(compile(e, "SET 'table.exec.mini-batch.size' = '10abc'", &s) == EDDY_EOPTION);
    CHECK_CONTAINS(eddy_errmsg(e), "table.exec.mini-batch.size");
    CHECK(compile(e, "SET 'changelog.mode' = 'upsert'", &s) == EDDY_EOPTION);
    CHECK_CONTAINS(eddy_errmsg(e), "table option");
    CHECK(compile(e, "SET", &s) == EDDY_OK);
    none = eddy_script_output(s, 0);
    CHECK(none == NULL || none[0] == 0);
    eddy_script_free(s);
    eddy_engine_free(e);
}

static void test_explain_and_select(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e,
                  "CREATE TABLE src (region STRING, amount DOUBLE);\n"
                  "EXPLAIN SELECT region, SUM(amount) AS total FROM src GROUP BY region;\n"
                  "SELECT * FROM src WHERE amount > 1;\n",
                  &s) == EDDY_OK);
    CHECK(eddy_script_kind(s, 1) == EDDY_STMT_EXPLAIN);
    CHECK(eddy_script_plan(s, 1) != NULL);
    CHECK_CONTAINS(eddy_script_output(s, 1), "GroupAggregate(");
    CHECK_CONTAINS(eddy_script_output(s, 1), "Collect(");
    CHECK(eddy_script_kind(s, 2) == EDDY_STMT_SELECT);
    const eddy_plan *p = eddy_script_plan(s, 2);
    CHECK(p != NULL);
    char *json = eddy_plan_explain(p, EDDY_JSON);
    CHECK(json_is_object(json));
    CHECK_CONTAINS(json, "\"changelog\": \"append\"");
    eddy_free(json);
    /* Names that need escaping stay valid JSON. */
    eddy_script_free(s);
    CHECK(compile(e,
                  "CREATE TABLE `we\"ird` (`a\\b` STRING, `c d` INT) WITH ('topic' = 'x\"y');\n"
                  "SELECT `a\\b`, `c d` AS `q\"` FROM `we\"ird` WHERE `c d` > 0",
                  &s) == EDDY_OK);
    json = eddy_plan_explain(eddy_script_plan(s, 1), EDDY_JSON);
    CHECK(json_is_object(json));
    eddy_free(json);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* ------------------------------------------------------------------ */
/* The catalog, settings and names as data                              */

typedef struct NameSeen {
    const char *want;     /* a name to look for */
    int         found;    /* it came */
    int         count;    /* names that came */
} NameSeen;

static void see_name(void *ctx, const char *name)
{
    NameSeen *n = ctx;
    n->count++;
    if (strcmp(name, n->want) == 0) n->found = 1;
}

static void test_catalog_api(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(eddy_table_count(e) == 0 && eddy_setting_count(e) == 0);
    CHECK(compile(e,
                  "CREATE TABLE orders (id BIGINT NOT NULL, amount DECIMAL(10, 2), region VARCHAR(12),\n"
                  "  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', PRIMARY KEY (id) NOT ENFORCED)\n"
                  "  WITH ('topic' = 'orders_v1');\n"
                  "CREATE TABLE regions (name STRING);\n"
                  "SET 'pipeline.name' = 'p'; SET 'state.path' = 'none';",
                  &s) == EDDY_OK);
    eddy_script_free(s);
    CHECK(eddy_table_count(e) == 2);
    eddy_table_info t;
    CHECK(eddy_table(e, 0, &t) == EDDY_OK);
    CHECK(strcmp(t.name, "orders") == 0 && strcmp(t.topic, "orders_v1") == 0);
    CHECK(t.changelog == EDDY_CHANGELOG_UPSERT && t.ncols == 4);
    CHECK(eddy_table(e, 1, &t) == EDDY_OK && strcmp(t.name, "regions") == 0 && t.changelog == EDDY_CHANGELOG_APPEND);
    CHECK(eddy_table(e, 2, &t) == EDDY_EMISUSE && eddy_table(e, -1, &t) == EDDY_EMISUSE);
    CHECK(eddy_table(e, 0, &t) == EDDY_OK && strcmp(t.connector, "kafka") == 0);   /* no 'connector' option */
    eddy_column c;
    CHECK(eddy_table_column(e, 0, 0, &c) == EDDY_OK);
    CHECK(strcmp(c.name, "id") == 0 && c.type == EDDY_TYPE_BIGINT && !c.nullable && c.key && c.kind == EDDY_COLUMN_PHYSICAL);
    CHECK(strcmp(c.sql_type, "BIGINT") == 0);
    CHECK(eddy_table_column(e, 0, 1, &c) == EDDY_OK);
    CHECK(c.type == EDDY_TYPE_DECIMAL && c.precision == 10 && c.scale == 2 && c.nullable && !c.key);
    CHECK(strcmp(c.sql_type, "DECIMAL(10, 2)") == 0);
    CHECK(eddy_table_column(e, 0, 2, &c) == EDDY_OK && c.type == EDDY_TYPE_STRING && c.length == 12);
    CHECK(strcmp(c.sql_type, "VARCHAR(12)") == 0);
    CHECK(eddy_table_column(e, 0, 3, &c) == EDDY_OK && c.type == EDDY_TYPE_TIMESTAMP_LTZ && c.precision == 3);
    CHECK(c.kind == EDDY_COLUMN_METADATA);
    CHECK(eddy_table_column(e, 0, 4, &c) == EDDY_EMISUSE && eddy_table_column(e, 5, 0, &c) == EDDY_EMISUSE);

    CHECK(eddy_setting_count(e) == 2);
    const char *k = NULL, *v = NULL;
    CHECK(eddy_setting(e, 0, &k, &v) == EDDY_OK && strcmp(k, "pipeline.name") == 0 && strcmp(v, "p") == 0);
    CHECK(eddy_setting(e, 1, &k, &v) == EDDY_OK && strcmp(k, "state.path") == 0);
    CHECK(eddy_setting(e, 2, &k, &v) == EDDY_EMISUSE);

    /* What DDL and RESET change shows at once. */
    CHECK(compile(e, "DROP TABLE regions; RESET 'pipeline.name'", &s) == EDDY_OK);
    eddy_script_free(s);
    CHECK(eddy_table_count(e) == 1 && eddy_setting_count(e) == 1);
    /* Each table says its connector (eddy test --broker runs only Kafka tables over Kafka). */
    CHECK(compile(e, "CREATE TABLE g (x INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');"
                     "CREATE TABLE u (x INT PRIMARY KEY NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'u');"
                     "CREATE TABLE p (x INT) WITH ('connector' = 'print')", &s) == EDDY_OK);
    eddy_script_free(s);
    CHECK(eddy_table(e, 1, &t) == EDDY_OK && strcmp(t.name, "g") == 0 && strcmp(t.connector, "datagen") == 0);
    CHECK(eddy_table(e, 2, &t) == EDDY_OK && strcmp(t.connector, "upsert-kafka") == 0);
    CHECK(eddy_table(e, 3, &t) == EDDY_OK && strcmp(t.connector, "print") == 0);
    eddy_engine_free(e);

    NameSeen fn = {"COUNT", 0, 0}, opt = {"changelog.mode", 0, 0}, pfx = {"properties.", 0, 0}, set = {"pipeline.name", 0, 0};
    eddy_names(EDDY_NAMES_FUNCTIONS, see_name, &fn);
    eddy_names(EDDY_NAMES_TABLE_OPTIONS, see_name, &opt);
    eddy_names(EDDY_NAMES_TABLE_OPTIONS, see_name, &pfx);
    eddy_names(EDDY_NAMES_SETTINGS, see_name, &set);
    CHECK(fn.found && fn.count > 10 && opt.found && pfx.found && set.found);
    NameSeen not_a_setting = {"changelog.mode", 0, 0};
    eddy_names(EDDY_NAMES_SETTINGS, see_name, &not_a_setting);
    CHECK(!not_a_setting.found);
    char *doc = eddy_functions_doc();
    CHECK_CONTAINS(doc, "COUNT");
    CHECK_CONTAINS(doc, "SUBSTRING");
    eddy_free(doc);
}

/* ------------------------------------------------------------------ */
/* A plan's facts                                                       */

static void test_plan_facts(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e,
                  "CREATE TABLE src (region STRING, amount DOUBLE, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp')\n"
                  "  WITH ('properties.bootstrap.servers' = 'h:1');\n"
                  "CREATE TABLE dst (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE, n BIGINT);\n"
                  "CREATE TABLE plain (region STRING, amount DOUBLE);\n"
                  "SET 'state.path' = 'x.db';\n"
                  "INSERT INTO dst SELECT region, SUM(amount), COUNT(*) FROM src GROUP BY region;\n"
                  "SELECT region, SUM(amount) AS total FROM src GROUP BY region LIMIT 5;\n"
                  "SELECT * FROM src;\n"
                  "SELECT COUNT(*) AS n FROM plain;\n",
                  &s) == EDDY_OK);
    const eddy_plan *ins = eddy_script_plan(s, 4), *agg = eddy_script_plan(s, 5), *all = eddy_script_plan(s, 6),
                    *one = eddy_script_plan(s, 7);
    CHECK(ins && agg && all && one);
    if (!ins || !agg || !all || !one) {
        eddy_script_free(s);
        eddy_engine_free(e);
        return;
    }
    eddy_table_info t;
    eddy_column c;
    CHECK(eddy_plan_source_count(ins) == 1 && eddy_plan_sink_count(ins) == 1);
    CHECK(eddy_plan_source(ins, 0, &t) == EDDY_OK && strcmp(t.name, "src") == 0 && strcmp(t.topic, "src") == 0);
    CHECK(t.changelog == EDDY_CHANGELOG_APPEND && t.ncols == 3);
    CHECK(eddy_plan_source(ins, 1, &t) == EDDY_EMISUSE);
    CHECK(eddy_plan_sink(ins, 0, &t) == EDDY_OK && strcmp(t.name, "dst") == 0 && t.changelog == EDDY_CHANGELOG_UPSERT);
    CHECK(strcmp(t.connector, "kafka") == 0);
    CHECK(eddy_plan_sink(ins, 1, &t) == EDDY_EMISUSE);
    CHECK(eddy_plan_column_count(ins) == 3);
    CHECK(eddy_plan_column(ins, 0, &c) == EDDY_OK && strcmp(c.name, "region") == 0 && c.key && c.type == EDDY_TYPE_STRING);
    CHECK(eddy_plan_column(ins, 2, &c) == EDDY_OK && strcmp(c.name, "n") == 0 && !c.key && c.type == EDDY_TYPE_BIGINT);
    CHECK(eddy_plan_column(ins, 3, &c) == EDDY_EMISUSE);
    CHECK(eddy_plan_key(ins) == 1 && eddy_plan_changelog(ins) == EDDY_CHANGELOG_UPSERT && eddy_plan_limit(ins) == -1);
    CHECK(eddy_plan_setting(ins, "state.path") && strcmp(eddy_plan_setting(ins, "state.path"), "x.db") == 0);
    CHECK(eddy_plan_setting(ins, "pipeline.name") == NULL);
    CHECK(eddy_plan_bootstrap(ins) && strcmp(eddy_plan_bootstrap(ins), "h:1") == 0);

    CHECK(eddy_plan_sink_count(agg) == 0 && eddy_plan_sink(agg, 0, &t) == EDDY_EMISUSE);
    CHECK(eddy_plan_column_count(agg) == 2 && eddy_plan_key(agg) == 1 && eddy_plan_limit(agg) == 5);
    CHECK(eddy_plan_column(agg, 0, &c) == EDDY_OK && c.key && eddy_plan_column(agg, 1, &c) == EDDY_OK && !c.key);
    CHECK(strcmp(c.name, "total") == 0 && c.type == EDDY_TYPE_DOUBLE);
    CHECK(eddy_plan_changelog(agg) != EDDY_CHANGELOG_APPEND);

    CHECK(eddy_plan_column_count(all) == 3 && eddy_plan_key(all) == -1 && eddy_plan_changelog(all) == EDDY_CHANGELOG_APPEND);
    CHECK(eddy_plan_column(all, 2, &c) == EDDY_OK && c.kind == EDDY_COLUMN_PHYSICAL && c.type == EDDY_TYPE_TIMESTAMP_LTZ);
    /* A global aggregate is a single row: a key of no columns. */
    CHECK(eddy_plan_key(one) == 0);
    CHECK(eddy_plan_bootstrap(one) == NULL);
    /* No plan at all. */
    CHECK(eddy_plan_source_count(NULL) == 0 && eddy_plan_column_count(NULL) == 0 && eddy_plan_key(NULL) == -1);
    eddy_script_free(s);

    /* The session's cluster, when the table names none. */
    CHECK(compile(e, "SET 'properties.bootstrap.servers' = 'h:2'; SELECT * FROM plain", &s) == EDDY_OK);
    CHECK(eddy_plan_bootstrap(eddy_script_plan(s, 1)) && strcmp(eddy_plan_bootstrap(eddy_script_plan(s, 1)), "h:2") == 0);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* ------------------------------------------------------------------ */
/* SQL text helpers                                                     */

static void test_sql_text(void)
{
    size_t end = 99;
    CHECK(eddy_statement_end("", 0, &end) == EDDY_SQL_BLANK && end == 0);
    const char *blank = "  -- a comment ; \n /* and ; another */ ";
    CHECK(eddy_statement_end(blank, strlen(blank), &end) == EDDY_SQL_BLANK && end == strlen(blank));
    const char *two = "SELECT ';' FROM t; -- a ; comment\nSHOW TABLES;";
    CHECK(eddy_statement_end(two, strlen(two), &end) == EDDY_SQL_END && end == strlen("SELECT ';' FROM t;"));
    size_t end2 = 0;
    CHECK(eddy_statement_end(two + end, strlen(two) - end, &end2) == EDDY_SQL_END && end + end2 == strlen(two));
    CHECK(eddy_statement_end(";;", 2, &end) == EDDY_SQL_BLANK);
    CHECK(eddy_statement_end(";; SHOW TABLES", 14, &end) == EDDY_SQL_PARTIAL && end == 14);
    CHECK(eddy_statement_end("SELECT 'abc;", 12, &end) == EDDY_SQL_PARTIAL);
    CHECK(eddy_statement_end("SELECT 1 /* ;", 13, &end) == EDDY_SQL_PARTIAL);
    CHECK(eddy_statement_end("SELECT `a;", 10, &end) == EDDY_SQL_PARTIAL);
    /* Only len bytes count. */
    CHECK(eddy_statement_end("SHOW TABLES;garbage", 12, &end) == EDDY_SQL_END && end == 12);

    eddy_completion c;
    const char *sql = "CREATE TABLE t (a INT); SELECT a, `b c` FROM ";
    eddy_completion_scan(sql, strlen(sql), &c);
    CHECK(c.table_next && !c.statement_start && !c.set_statement && !c.with_clause);
    CHECK(c.nidents == 2 && c.idents && strcmp(c.idents[0], "a") == 0 && strcmp(c.idents[1], "b c") == 0);
    eddy_completion_free(&c);
    CHECK(c.idents == NULL && c.nidents == 0);
    eddy_completion_scan("SET ", 4, &c);
    CHECK(c.set_statement && !c.table_next && !c.statement_start);
    eddy_completion_free(&c);
    eddy_completion_scan("SELECT 1; ", 10, &c);
    CHECK(c.statement_start && c.nidents == 0);
    eddy_completion_free(&c);
    sql = "CREATE TABLE t (a INT) WITH (";
    eddy_completion_scan(sql, strlen(sql), &c);
    CHECK(c.with_clause && !c.table_next);
    eddy_completion_free(&c);
    sql = "DROP TABLE IF EXISTS ";
    eddy_completion_scan(sql, strlen(sql), &c);
    CHECK(c.table_next);
    eddy_completion_free(&c);
    eddy_completion_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Jobs in memory                                                       */

typedef struct Seen {
    int  changes;         /* changes received */
    char last[256];       /* the last one's text */
} Seen;

static void see_change(void *ctx, const eddy_change *c)
{
    Seen *s = ctx;
    s->changes++;
    snprintf(s->last, sizeof s->last, "%s", c->text);
}

static eddy_record json_record(const char *value, int partition, long long offset)
{
    eddy_record r = {.value = value, .value_len = strlen(value), .timestamp = 1700000000000LL + offset, .partition = partition, .offset = offset};
    return r;
}

static void test_job_in_memory(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e, "CREATE TABLE src (region STRING, amount DOUBLE);\n"
                     "SELECT region, SUM(amount) AS total FROM src GROUP BY region;", &s) == EDDY_OK);
    const eddy_plan *p = eddy_script_plan(s, 1);
    Seen seen = {0, ""};
    eddy_job_options o = {.on_change = see_change, .ctx = &seen, .per_record = 1};
    char err[512] = "";
    eddy_job *j = eddy_job_new(p, &o, err, sizeof err);
    CHECK(j != NULL);
    if (!j) {
        eddy_script_free(s);
        eddy_engine_free(e);
        return;
    }
    const char *vals[] = {"{\"region\":\"us\",\"amount\":1}", "{\"region\":\"eu\",\"amount\":2}", "{\"region\":\"us\",\"amount\":3}"};
    for (int i = 0; i < 3; i++) {
        eddy_record r = json_record(vals[i], 0, i);
        CHECK(eddy_job_push(j, &r) == EDDY_OK);
    }
    CHECK(eddy_job_flush(j) == EDDY_OK);
    CHECK(seen.changes >= 3);
    CHECK_CONTAINS(seen.last, "[us, 4.0]");
    eddy_job_stats st;
    eddy_job_get_stats(j, &st);
    CHECK(st.records_in == 3 && st.rows_out == seen.changes && st.records_out == 0 && st.skipped == 0);
    CHECK(st.flushes >= 3 && st.checkpoints == 0 && st.restored_rows == 0);
    long long in = 0, out = 0, skipped = -1;
    eddy_job_counts(j, &in, &out, &skipped);
    CHECK(in == 3 && out == st.rows_out && skipped == 0);

    CHECK(eddy_job_operator_count(j) == eddy_plan_operator_count(p));
    int aggs = 0;
    for (int i = 0; i < eddy_job_operator_count(j); i++) {
        eddy_operator_stats os;
        CHECK(eddy_job_operator_stats(j, i, &os) == EDDY_OK);
        CHECK(os.name && os.name[0] && os.description && strncmp(os.description, os.name, strlen(os.name)) == 0);
        CHECK(os.rows_in >= 0 && os.rows_out >= 0 && os.state_keys >= 0 && os.state_bytes >= 0 && os.time_ns >= 0);
        aggs += strcmp(os.name, "GroupAggregate") == 0;
    }
    CHECK(aggs == 1);
    eddy_operator_stats os;
    CHECK(eddy_job_operator_stats(j, -1, &os) == EDDY_EMISUSE && eddy_job_operator_stats(j, 99, &os) == EDDY_EMISUSE);
    long long lag = -1;
    CHECK(eddy_job_lag(j, &lag) == EDDY_ERUNTIME);   /* not run over Kafka with options.lag */
    CHECK(eddy_job_resumed(j) == 0);
    CHECK(strcmp(eddy_job_errmsg(j), "") == 0);
    eddy_job_free(j);
    eddy_job_free(NULL);

    /* A state file that cannot be opened is named in the message. */
    j = eddy_job_new(p, NULL, err, sizeof err);
    CHECK(j && eddy_job_open_state(j, "/nonexistent-dir/x.db", 0, err, sizeof err) == EDDY_ERUNTIME);
    CHECK_CONTAINS(err, "/nonexistent-dir/x.db");
    eddy_job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* The watermark of operator i (EDDY_NO_WATERMARK when none). */
static long long op_watermark(const eddy_job *j, int i)
{
    eddy_operator_stats os;
    return eddy_job_operator_stats(j, i, &os) == EDDY_OK ? os.watermark : -1;
}

/* Time in memory: the caller's clock (PROCTIME, idle partitions), the
 * partitions a table's topic has, the watermark per partition and the
 * final watermark, as every operator's counters show them. */
static void test_job_time(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e, "CREATE TABLE clicks (id INT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', pt AS PROCTIME(),\n"
                     "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('scan.watermark.idle-timeout' = '10 s');\n"
                     "SELECT id, pt FROM clicks;", &s) == EDDY_OK);
    const eddy_plan *p = eddy_script_plan(s, 1);
    Seen seen = {0, ""};
    eddy_job_options o = {.on_change = see_change, .ctx = &seen, .per_record = 1};
    char err[512] = "";
    eddy_job *j = p ? eddy_job_new(p, &o, err, sizeof err) : NULL;
    CHECK(j != NULL);
    if (!j) {
        eddy_script_free(s);
        eddy_engine_free(e);
        return;
    }
    int parts[] = {0, 1}, bad[] = {-1};
    CHECK(eddy_job_set_clock(j, 1000000) == EDDY_OK);
    CHECK(eddy_job_partitions(j, "clicks", parts, 2) == EDDY_OK);
    CHECK(eddy_job_partitions(j, "nope", parts, 2) == EDDY_EMISUSE);
    CHECK_CONTAINS(eddy_job_errmsg(j), "no table 'nope'");
    CHECK(eddy_job_partitions(j, NULL, bad, 1) == EDDY_EMISUSE);
    int last = eddy_job_operator_count(j) - 1;
    eddy_record r = {.value = "{\"id\": 1}", .value_len = 9, .timestamp = 10000, .partition = 0};
    CHECK(eddy_job_push(j, &r) == EDDY_OK);
    CHECK(op_watermark(j, 0) == EDDY_NO_WATERMARK);   /* partition 1 has no record yet */
    CHECK_CONTAINS(seen.last, "+I[1, 1970-01-01 00:16:40.000]");
    r.timestamp = 5000, r.partition = 1, r.offset = 0;
    CHECK(eddy_job_push(j, &r) == EDDY_OK);
    CHECK(op_watermark(j, 0) == 4000 && op_watermark(j, last) == 4000);
    CHECK(eddy_job_set_clock(j, 1000000 + 10001) == EDDY_OK);   /* both idle: no progress */
    CHECK(op_watermark(j, 0) == 4000);
    r.timestamp = 20000, r.partition = 0, r.offset = 1;
    CHECK(eddy_job_push(j, &r) == EDDY_OK);                    /* partition 0 wakes up alone */
    CHECK(op_watermark(j, 0) == 19000 && op_watermark(j, last) == 19000);
    CHECK_CONTAINS(seen.last, "00:16:50.001]");
    r.timestamp = 1000, r.partition = 1, r.offset = 1;
    CHECK(eddy_job_push(j, &r) == EDDY_OK);                    /* never back */
    CHECK(op_watermark(j, 0) == 19000);
    CHECK(eddy_job_set_clock(j, 5) == EDDY_OK);                 /* the clock never goes back either */
    CHECK(eddy_job_final_watermark(j) == EDDY_OK && eddy_job_flush(j) == EDDY_OK);
    CHECK(op_watermark(j, 0) == 9223372036854775807LL && op_watermark(j, last) == 9223372036854775807LL);
    eddy_job_stats st;
    eddy_job_get_stats(j, &st);
    CHECK(st.records_in == 4 && st.late == 0);
    eddy_job_free(j);
    CHECK(eddy_job_set_clock(NULL, 0) == EDDY_EMISUSE && eddy_job_final_watermark(NULL) == EDDY_EMISUSE);
    CHECK(eddy_job_partitions(NULL, NULL, parts, 1) == EDDY_EMISUSE);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* NULL where an argument is needed is EDDY_EMISUSE, never a crash. */
static void test_null_arguments(void)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(eddy_compile(e, "SELECT 1;", 9, NULL, NULL) == EDDY_EMISUSE);
    CHECK(eddy_compile(NULL, "SELECT 1;", 9, NULL, &s) == EDDY_EMISUSE && s == NULL);
    CHECK(compile(e, "CREATE TABLE src (region STRING);\nSET 'pipeline.name' = 'x';\n"
                     "SELECT region FROM src;", &s) == EDDY_OK);
    const char *k = NULL;
    CHECK(eddy_table(e, 0, NULL) == EDDY_EMISUSE);
    CHECK(eddy_table_column(e, 0, 0, NULL) == EDDY_EMISUSE);
    CHECK(eddy_setting(e, 0, &k, NULL) == EDDY_EMISUSE && eddy_setting(e, 0, NULL, &k) == EDDY_EMISUSE);
    const eddy_plan *p = eddy_script_plan(s, 2);
    CHECK(p != NULL);
    CHECK(eddy_plan_source(p, 0, NULL) == EDDY_EMISUSE);
    CHECK(eddy_plan_column(p, 0, NULL) == EDDY_EMISUSE);
    char err[256] = "";
    eddy_job *j = eddy_job_new(p, NULL, err, sizeof err);
    CHECK(j != NULL);
    if (j) {
        CHECK(eddy_job_push(j, NULL) == EDDY_EMISUSE);
        CHECK(eddy_job_open_state(j, NULL, 0, err, sizeof err) == EDDY_EMISUSE);
        CHECK(eddy_job_operator_stats(j, 0, NULL) == EDDY_EMISUSE);
        CHECK(eddy_job_lag(j, NULL) == EDDY_EMISUSE);
        eddy_job_get_stats(j, NULL);
        eddy_job_free(j);
    }
    CHECK(eddy_job_push(NULL, NULL) == EDDY_EMISUSE && eddy_job_flush(NULL) == EDDY_EMISUSE);
    CHECK(eddy_job_run(NULL, NULL, NULL) == EDDY_EMISUSE);
    CHECK(eddy_job_open_state(NULL, "x.db", 0, err, sizeof err) == EDDY_EMISUSE);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* A job whose aggregate reads a long lineage (a UNION of many filtered
 * branches: its fingerprint is longer than 16 KiB) reopens its own state
 * file: the saved fingerprint is compared whole, not cut short. */
static void test_state_long_fingerprint(void)
{
    char err[1024] = "", dir[] = "/tmp/eddy-embed-XXXXXX", path[600];
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/long.db", dir);
    char *sql = malloc(200000);
    size_t n = (size_t)snprintf(sql, 200000, "CREATE TABLE src (region STRING, amount INT);\n"
                                             "SELECT region, COUNT(*) AS n FROM (");
    for (int i = 0; i < 120; i++)
        n += (size_t)snprintf(sql + n, 200000 - n, "%sSELECT region FROM src WHERE region <> 'branch-%d-of-a-rather-long-union' AND amount > %d",
                              i ? " UNION ALL " : "", i, i);
    snprintf(sql + n, 200000 - n, ") GROUP BY region;");
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e, sql, &s) == EDDY_OK);
    const eddy_plan *p = eddy_script_plan(s, 1);
    for (int run = 0; p && run < 2; run++) {
        eddy_job *j = eddy_job_new(p, NULL, err, sizeof err);
        CHECK(j != NULL);
        if (!j) break;
        err[0] = 0;
        CHECK(eddy_job_open_state(j, path, 0, err, sizeof err) == EDDY_OK);
        if (err[0]) fprintf(stderr, "run %d: %.300s\n", run, err);
        /* A second state file for the same job is a misuse (it leaked the first). */
        char other[700];
        snprintf(other, sizeof other, "%s-other", path);
        CHECK(eddy_job_open_state(j, other, 0, err, sizeof err) == EDDY_EMISUSE);
        unlink(other);
        eddy_job_free(j);
    }
    eddy_script_free(s);
    eddy_engine_free(e);
    free(sql);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[700];
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Over Kafka, on the development tools                                 */

typedef struct Read {
    int  n;               /* records read */
    int  tombstones;      /* of which without a value */
    int  partitions;      /* bit set of the partitions seen */
} Read;

static void count_record(void *ctx, const eddy_record *r)
{
    Read *rd = ctx;
    rd->n++;
    rd->tombstones += r->value == NULL;
    if (r->partition >= 0 && r->partition < 16) rd->partitions |= 1 << r->partition;
}

typedef struct Notices {
    eddy_job *job;        /* stopped at the first notice */
    int       n;          /* notices received */
    char      first[512]; /* the first */
} Notices;

static void stop_at_notice(void *ctx, const char *msg)
{
    Notices *nt = ctx;
    if (nt->n++ == 0) snprintf(nt->first, sizeof nt->first, "%s", msg);
    eddy_job_stop(nt->job);
}

static void test_kafka_jobs(void)
{
    char err[512] = "", dir[] = "/tmp/eddy-embed-XXXXXX", path[600];
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/summary.db", dir);
    eddy_broker *b = NULL;
    CHECK(eddy_broker_start(1, 2, &b, err, sizeof err) == EDDY_OK);
    if (!b) {
        fprintf(stderr, "no development broker: %s\n", err);
        rmdir(dir);
        return;
    }
    const char *bs = eddy_broker_bootstrap(b);
    CHECK(bs && strncmp(bs, "127.0.0.1:", 10) == 0);
    CHECK(eddy_broker_create_topic(b, "src", 2, err, sizeof err) == EDDY_OK);
    CHECK(eddy_broker_create_topic(b, "src", 2, err, sizeof err) == EDDY_ERUNTIME);
    const char *vals[] = {"{\"region\":\"us\",\"amount\":1}", "{\"region\":\"eu\",\"amount\":2}", "{\"region\":\"us\",\"amount\":3}",
                          "{\"region\":\"ap\",\"amount\":4}"};
    for (int i = 0; i < 4; i++) {
        eddy_record r = json_record(vals[i], i % 2, 0);
        r.timestamp = 0;
        CHECK(eddy_broker_produce(b, "src", &r, err, sizeof err) == EDDY_OK);
    }
    CHECK(eddy_broker_flush(b, err, sizeof err) == EDDY_OK);
    Read rd = {0, 0, 0};
    CHECK(eddy_broker_read(b, "src", count_record, &rd, err, sizeof err) == EDDY_OK);
    CHECK(rd.n == 4 && rd.tombstones == 0 && rd.partitions == 3);
    Read none = {0, 0, 0};
    CHECK(eddy_broker_read(b, "never_written", count_record, &none, err, sizeof err) == EDDY_OK && none.n == 0);

    /* Faults: a command the broker takes, and ones it refuses saying why. */
    CHECK(eddy_broker_fault(b, "rtt all 0", err, sizeof err) == EDDY_OK);
    CHECK(eddy_broker_fault(b, "  produce-errors 1 REQUEST_TIMED_OUT\n", err, sizeof err) == EDDY_OK);
    CHECK(eddy_broker_fault(b, "clear-errors Produce", err, sizeof err) == EDDY_OK);
    CHECK(eddy_broker_fault(b, "down 2", err, sizeof err) == EDDY_EMISUSE);
    CHECK_CONTAINS(err, "no broker 2");
    CHECK(eddy_broker_fault(b, "fetch-errors 1 NOT_AN_ERROR", err, sizeof err) == EDDY_EMISUSE);
    CHECK_CONTAINS(err, "NOT_AN_ERROR");
    CHECK(eddy_broker_fault(b, "explode", err, sizeof err) == EDDY_EMISUSE);
    CHECK_CONTAINS(err, "unknown command 'explode'");
    CHECK(eddy_broker_fault(b, "", err, sizeof err) == EDDY_EMISUSE);
    CHECK(eddy_broker_fault(b, NULL, err, sizeof err) == EDDY_EMISUSE);
    CHECK(eddy_broker_fault(NULL, "up 1", err, sizeof err) == EDDY_EMISUSE);
    char *doc = eddy_broker_fault_doc();
    CHECK(doc && strstr(doc, "produce-errors N ERROR"));
    eddy_free(doc);

    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    CHECK(compile(e, "CREATE TABLE src (region STRING, amount DOUBLE);\n"
                     "CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE);\n"
                     "INSERT INTO summary SELECT region, SUM(amount) FROM src GROUP BY region;\n"
                     "CREATE TABLE absent (x INT);\n"
                     "SELECT * FROM absent;\n"
                     "SELECT * FROM src;\n", &s) == EDDY_OK);
    const eddy_plan *ins = eddy_script_plan(s, 2), *wait = eddy_script_plan(s, 4), *all = eddy_script_plan(s, 5);

    /* A bounded run with a state file: reads what src holds, checkpoints, finishes. */
    eddy_job_options o = {.bounded = 1, .lag = 1};
    eddy_job *j = eddy_job_new(ins, &o, err, sizeof err);
    CHECK(j && eddy_job_open_state(j, path, 1, err, sizeof err) == EDDY_OK && !eddy_job_resumed(j));
    CHECK(j && eddy_job_run(j, bs, NULL) == EDDY_OK);
    if (j) {
        eddy_job_stats st;
        eddy_job_get_stats(j, &st);
        CHECK(st.records_in == 4 && st.records_out >= 3 && st.checkpoints >= 1);
        long long lag = -1;
        CHECK(eddy_job_lag(j, &lag) == EDDY_OK && lag == 0);
    }
    eddy_job_free(j);
    Read sum = {0, 0, 0};
    CHECK(eddy_broker_read(b, "summary", count_record, &sum, err, sizeof err) == EDDY_OK && sum.n >= 3);

    /* The same query on the same file resumes from the checkpoint. */
    j = eddy_job_new(ins, NULL, err, sizeof err);
    CHECK(j && eddy_job_open_state(j, path, 0, err, sizeof err) == EDDY_OK && eddy_job_resumed(j));
    if (j) {
        eddy_job_stats st;
        eddy_job_get_stats(j, &st);
        CHECK(st.restored_rows >= 3);
    }
    eddy_job_free(j);

    /* A source topic that is not there: the job says so, and stops when asked. */
    Notices nt = {NULL, 0, ""};
    eddy_job_options wo = {.ctx = &nt, .on_notice = stop_at_notice};
    j = nt.job = eddy_job_new(wait, &wo, err, sizeof err);
    CHECK(j && eddy_job_run(j, bs, NULL) == EDDY_OK);
    CHECK(nt.n >= 1);
    CHECK_CONTAINS(nt.first, "waiting for topic 'absent'");
    eddy_job_free(j);

    /* A stop asked for before the run ends it at once; a caller's flag too. */
    j = eddy_job_new(all, NULL, err, sizeof err);
    if (j) {
        eddy_job_stop(j);
        CHECK(eddy_job_run(j, bs, NULL) == EDDY_OK);
        long long in = -1;
        eddy_job_counts(j, &in, NULL, NULL);
        CHECK(in == 0);
    }
    eddy_job_free(j);
    j = eddy_job_new(all, NULL, err, sizeof err);
    volatile int stop = 1;
    CHECK(j && eddy_job_run(j, bs, &stop) == EDDY_OK);
    eddy_job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);

    /* The registry and the generator: JSON orders, and Avro ones registered there. */
    eddy_registry *reg = NULL;
    CHECK(eddy_registry_start(NULL, &reg, err, sizeof err) == EDDY_OK);
    CHECK(reg && strncmp(eddy_registry_url(reg), "http://127.0.0.1:", 17) == 0);
    eddy_gen *g = eddy_gen_new(bs, "orders", "json", NULL, 7, EDDY_GEN_DEFAULT_USERS, 3, err, sizeof err);
    CHECK(g && eddy_gen_run(g, 0, 25, NULL) == EDDY_OK && eddy_gen_produced(g) == 25 && strcmp(eddy_gen_errmsg(g), "") == 0);
    eddy_gen_free(g);
    Read orders = {0, 0, 0};
    CHECK(eddy_broker_read(b, "orders", count_record, &orders, err, sizeof err) == EDDY_OK && orders.n == 25);
    if (reg) {
        g = eddy_gen_new(bs, "orders_avro", "avro-confluent", eddy_registry_url(reg), 7, EDDY_GEN_DEFAULT_USERS, 3, err, sizeof err);
        CHECK(g && eddy_gen_run(g, 1000, 5, NULL) == EDDY_OK && eddy_gen_produced(g) == 5);
        eddy_gen_free(g);
    }
    CHECK(eddy_gen_new(bs, "orders", "json", NULL, 7, EDDY_GEN_DEFAULT_USERS, EDDY_GEN_MAX_REGIONS + 1, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "regions");
    eddy_gen_free(NULL);
    eddy_registry_free(reg);
    eddy_registry_free(NULL);
    eddy_broker_free(b);
    eddy_broker_free(NULL);

    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[700];
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s path/to/sql/orders.sql\n", argv[0]);
        return 2;
    }
    test_json_checker();
    test_version();
    test_independent_engines();
    test_reference_script(argv[1]);
    test_errors();
    test_show_describe();
    test_set_reset();
    test_explain_and_select();
    test_catalog_api();
    test_plan_facts();
    test_sql_text();
    test_job_in_memory();
    test_job_time();
    test_null_arguments();
    test_state_long_fingerprint();
    test_kafka_jobs();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("embed: all checks passed\n");
    return 0;
}
