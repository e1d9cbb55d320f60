/*
 * fuzz_compile.c — a libFuzzer target over the whole compiler: lexer,
 * parser, binder, planner and both EXPLAIN renderers, through the public
 * API (include/eddy.h).
 *
 * Each input is compiled as a script in a fresh engine that already knows a
 * few tables (so short inputs reach the binder and planner), then again in
 * an empty engine; every plan is explained as text and as JSON, and every
 * output and error string is read to its end.  Besides the sanitizers'
 * findings (ASan, UBSan with no recovery), the target aborts when an
 * invariant of the API breaks:
 *   - a failed compile yields no script, a non-zero code and a non-empty
 *     message and error text; a successful one leaves no error behind;
 *   - line and column are 0 together or both ≥ 1;
 *   - JSON plans are one well-formed JSON object.
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#include <eddy.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char prelude[] =
    "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,\n"
    "  price DECIMAL(10, 2), ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);\n"
    "CREATE TABLE orders_summary (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT,\n"
    "  total_sales DOUBLE, avg_order_value DOUBLE) WITH ('changelog.mode' = 'upsert');\n"
    "CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, score INT);\n"
    "CREATE TABLE changes (region STRING, n BIGINT) WITH ('changelog.mode' = 'retract');\n";

#define FUZZ_CHECK(cond)                                                                                           \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz_compile: invariant failed: %s (line %d)\n", #cond, __LINE__);                    \
            abort();                                                                                               \
        }                                                                                                          \
    } while (0)

/* ---- a strict JSON well-formedness check ---- */

static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"') return NULL;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL;
                p += 5;
                continue;
            }
            if (!*p || !strchr("\"\\/bfnrt", *p)) return NULL;
        }
        p++;
    }
}

static const char *json_digits(const char *p)
{
    if (*p < '0' || *p > '9') return NULL;
    while (*p >= '0' && *p <= '9') p++;
    return p;
}

static const char *json_number(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (!(p = json_digits(p))) return NULL;
    if (*p == '.' && !(p = json_digits(p + 1))) return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(p = json_digits(p))) return NULL;
    }
    return p;
}

static const char *json_container(const char *p, int depth, char close)
{
    if (depth > 500) return NULL;
    p = json_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
        p = json_ws(p);
        if (close == '}') {
            if (!(p = json_string(p))) return NULL;
            p = json_ws(p);
            if (*p++ != ':') return NULL;
        }
        if (!(p = json_value(json_ws(p), depth + 1))) return NULL;
        p = json_ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        return *p == close ? p + 1 : NULL;
    }
}

static const char *json_value(const char *p, int depth)
{
    switch (*p) {
    case '{': return json_container(p, depth, '}');
    case '[': return json_container(p, depth, ']');
    case '"': return json_string(p);
    case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
    case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
    case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
    default: return json_number(p);
    }
}

static int json_is_object(const char *s)
{
    s = json_ws(s);
    if (*s != '{') return 0;
    const char *end = json_value(s, 0);
    return end && *json_ws(end) == 0;
}

/* ---- the target ---- */

static volatile size_t sink;   /* keeps the string reads from being optimised away */

static void compile_and_explain(eddy_engine *e, const uint8_t *data, size_t size)
{
    eddy_script *s = (eddy_script *)&s;
    int rc = eddy_compile(e, (const char *)data, size, "fuzz.sql", &s);
    int line = eddy_errline(e), col = eddy_errcol(e);
    FUZZ_CHECK((line == 0) == (col == 0));
    FUZZ_CHECK(line >= 0 && col >= 0);
    if (rc != EDDY_OK) {
        FUZZ_CHECK(s == NULL);
        FUZZ_CHECK(eddy_errcode(e) == rc);
        FUZZ_CHECK(eddy_errmsg(e)[0] != 0);
        FUZZ_CHECK(eddy_errtext(e)[0] != 0);
        sink += strlen(eddy_errtext(e));
        return;
    }
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(eddy_errcode(e) == EDDY_OK);
    int n = eddy_script_count(s);
    for (int i = 0; i < n; i++) {
        sink += (size_t)eddy_script_kind(s, i) + (size_t)eddy_script_line(s, i);
        const char *out = eddy_script_output(s, i);
        if (out) sink += strlen(out);
        const eddy_plan *p = eddy_script_plan(s, i);
        if (!p) continue;
        FUZZ_CHECK(eddy_plan_operator_count(p) >= 2);
        sink += strlen(eddy_plan_name(p));
        char *text = eddy_plan_explain(p, EDDY_TEXT);
        FUZZ_CHECK(text != NULL && text[0] != 0);
        sink += strlen(text);
        eddy_free(text);
        char *json = eddy_plan_explain(p, EDDY_JSON);
        FUZZ_CHECK(json != NULL);
        if (!json_is_object(json)) {
            fprintf(stderr, "fuzz_compile: plan %d is not well-formed JSON:\n%s\n", i, json);
            abort();
        }
        eddy_free(json);
    }
    eddy_script_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* With the reference tables known. */
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    FUZZ_CHECK(eddy_compile(e, prelude, sizeof prelude - 1, "prelude.sql", &s) == EDDY_OK);
    eddy_script_free(s);
    compile_and_explain(e, data, size);
    /* The engine stays usable after whatever happened. */
    FUZZ_CHECK(eddy_compile(e, "SHOW TABLES", 11, NULL, &s) == EDDY_OK);
    eddy_script_free(s);
    eddy_engine_free(e);

    /* From nothing, as a script file would be. */
    e = eddy_engine_new();
    compile_and_explain(e, data, size);
    eddy_engine_free(e);
    return 0;
}
