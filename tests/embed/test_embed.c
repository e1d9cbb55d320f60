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
 *   - ownership: everything returned is freed here, so a leak checker
 *     (ASan's LeakSanitizer in the sanitizer build) finds nothing.
 *
 * Exit status 0 when every check passes; each failed check is printed.
 */
#include <eddy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("embed: all checks passed\n");
    return 0;
}
