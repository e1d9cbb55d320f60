/*
 * test_udf_api.c — user-defined functions registered by an embedding
 * program (eddy_register_function): calls with and without NULL handling,
 * a string result copied by eddy, the context pointer, the misuse errors,
 * SHOW USER FUNCTIONS, and a plan that outlives DROP FUNCTION and its
 * engine.  Uses only <eddy.h> and libeddy.so.
 */
#include <eddy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* repeat_tag(s, n): s repeated n times, into the context's buffer */
typedef struct Ctx {
    char buf[256];
    int  calls;
} Ctx;

static int repeat_fn(void *ctx, const eddy_value *a, int n, eddy_value *r, char *err, size_t errlen)
{
    Ctx *c = ctx;
    (void)n;
    c->calls++;
    size_t len = 0;
    if (a[0].len * (size_t)(a[1].i > 0 ? a[1].i : 0) >= sizeof c->buf) {
        snprintf(err, errlen, "result too long");
        return 1;
    }
    for (long long i = 0; i < a[1].i; i++, len += a[0].len) memcpy(c->buf + len, a[0].s, a[0].len);
    r->is_null = 0;
    r->s = c->buf;
    r->len = len;
    return 0;
}

/* nulls(x): 1 for NULL, 0 otherwise (sees NULLs) */
static int nulls_fn(void *ctx, const eddy_value *a, int n, eddy_value *r, char *err, size_t errlen)
{
    (void)ctx, (void)n, (void)err, (void)errlen;
    r->is_null = 0;
    r->i = a[0].is_null;
    return 0;
}

typedef struct Seen {
    char text[16][128];
    int  n;
} Seen;

static void on_change(void *ctx, const eddy_change *c)
{
    Seen *s = ctx;
    if (s->n < 16) snprintf(s->text[s->n++], sizeof s->text[0], "%s", c->text);
}

static void push(eddy_job *j, const char *json)
{
    eddy_record r = {.value = json, .value_len = strlen(json)};
    CHECK(eddy_job_push(j, &r) == EDDY_OK);
}

int main(void)
{
    eddy_engine *e = eddy_engine_new();
    Ctx ctx = {{0}, 0};
    eddy_type rargs[] = {EDDY_TYPE_STRING, EDDY_TYPE_INT};
    CHECK(eddy_register_function(e, "repeat_tag", rargs, 2, EDDY_TYPE_STRING, repeat_fn, &ctx,
                                 EDDY_FN_DETERMINISTIC | EDDY_FN_NULL_ON_NULL) == EDDY_OK);
    eddy_type nargs[] = {EDDY_TYPE_BIGINT};
    CHECK(eddy_register_function(e, "nulls", nargs, 1, EDDY_TYPE_INT, nulls_fn, NULL, EDDY_FN_DETERMINISTIC) == EDDY_OK);
    /* misuse */
    CHECK(eddy_register_function(e, "nulls", nargs, 1, EDDY_TYPE_INT, nulls_fn, NULL, 0) == EDDY_ESEMANTIC);
    CHECK(strstr(eddy_errmsg(e), "already exists") != NULL);
    CHECK(eddy_register_function(e, "UPPER", nargs, 1, EDDY_TYPE_INT, nulls_fn, NULL, 0) == EDDY_ESEMANTIC);
    CHECK(eddy_register_function(e, "f", nargs, 1, EDDY_TYPE_DECIMAL, nulls_fn, NULL, 0) == EDDY_EMISUSE);
    CHECK(strstr(eddy_errmsg(e), "cannot return") != NULL);
    CHECK(eddy_register_function(e, "g", nargs, 1, EDDY_TYPE_INT, NULL, NULL, 0) == EDDY_EMISUSE);
    CHECK(eddy_register_function(e, "h", nargs, EDDY_UDF_MAX_ARGS + 1, EDDY_TYPE_INT, nulls_fn, NULL, 0) == EDDY_EMISUSE);

    const char *sql = "CREATE TABLE t (s STRING, n INT, x BIGINT);\n"
                      "SHOW USER FUNCTIONS;\n"
                      "SELECT repeat_tag(s, n), nulls(x) FROM t;\n";
    eddy_script *sc = NULL;
    CHECK(eddy_compile(e, sql, strlen(sql), "api", &sc) == EDDY_OK);
    if (!sc) {
        fprintf(stderr, "%s\n", eddy_errtext(e));
        return 1;
    }
    CHECK(strcmp(eddy_script_output(sc, 1), "nulls\nrepeat_tag\n") == 0);
    /* the plan keeps its own copy: DROP FUNCTION and freeing the engine do not stop it */
    eddy_script *drop = NULL;
    CHECK(eddy_compile(e, "DROP FUNCTION repeat_tag; DROP FUNCTION nulls;", 46, "drop", &drop) == EDDY_OK);
    eddy_script_free(drop);
    eddy_engine_free(e);

    Seen seen = {0};
    eddy_job_options o = {.on_change = on_change, .ctx = &seen, .per_record = 1};
    char err[512];
    eddy_job *j = eddy_job_new(eddy_script_plan(sc, 2), &o, err, sizeof err);
    CHECK(j != NULL);
    if (j) {
        push(j, "{\"s\": \"ab\", \"n\": 3, \"x\": 1}");
        push(j, "{\"s\": null, \"n\": 3}");
        push(j, "{\"s\": \"z\", \"n\": 0, \"x\": 5}");
        CHECK(eddy_job_flush(j) == EDDY_OK);
        const char *bad = "{\"s\": \"toolong-toolong-toolong\", \"n\": 100, \"x\": 5}";
        eddy_record r = {.value = bad, .value_len = strlen(bad)};
        CHECK(eddy_job_push(j, &r) == EDDY_ERUNTIME);   /* the function's error fails the job */
        CHECK(strstr(eddy_job_errmsg(j), "function repeat_tag: result too long") != NULL);
        eddy_job_free(j);
    }
    CHECK(seen.n == 3);
    CHECK(strcmp(seen.text[0], "+I[ababab, 0]") == 0);
    CHECK(strcmp(seen.text[1], "+I[NULL, 1]") == 0);   /* NULL_ON_NULL: not called for the NULL s; nulls() sees NULL x */
    CHECK(strcmp(seen.text[2], "+I[, 0]") == 0);
    CHECK(ctx.calls == 3);   /* rows 1, 3 and the failing one */
    eddy_script_free(sc);
    if (failures) fprintf(stderr, "%d checks failed\n", failures);
    else puts("ok");
    return failures != 0;
}
