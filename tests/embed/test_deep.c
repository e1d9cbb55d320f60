/*
 * embed/deep — expressions nested or chained deeper than eddy takes never
 * crash the library, even on a caller's small thread stack: each shape
 * below, at sizes around and far beyond the limit, is compiled, explained,
 * run over a record and freed on a thread with a 256 KiB stack.  Below the
 * limit it must work; beyond it the compile must fail with "expression too
 * complex" and the line and column of the expression.
 *
 * `test_deep N SHAPE` instead runs one case and prints what happened (for
 * measuring the stack a level costs).
 */
#include <eddy.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                                           \
    do {                                                                                   \
        if (!(c)) {                                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

typedef enum { CHAIN_PLUS, CHAIN_OR, CHAIN_AND, CHAIN_CONCAT, NEST_PAREN, NEST_NOT, NEST_FUNC, NEST_NEG, SHAPES } Shape;
static const char *shape_names[] = {"plus", "or", "and", "concat", "paren", "not", "func", "neg"};

typedef struct Case {
    Shape shape;
    int   n;          /* terms or levels */
    int   compiled;   /* out: 1 compiled, 0 refused */
    int   ran;        /* out: the job produced its row */
    char  err[512];   /* out: the compile error */
} Case;

static char *build(Shape s, int n)
{
    size_t cap = (size_t)n * 16 + 256, len = 0;
    char *q = malloc(cap);
    if (!q) abort();
    len += (size_t)snprintf(q, cap, "CREATE TABLE t (a BIGINT, b BOOLEAN, c STRING);\nSELECT ");
#define PUT(str) (len += (size_t)snprintf(q + len, cap - len, "%s", str))
    for (int i = 0; i < n; i++) {
        switch (s) {
        case CHAIN_PLUS: PUT(i ? " + a" : "a"); break;
        case CHAIN_OR: PUT(i ? " OR b" : "b"); break;
        case CHAIN_AND: PUT(i ? " AND b" : "b"); break;
        case CHAIN_CONCAT: PUT(i ? " || c" : "c"); break;
        case NEST_PAREN: PUT("(a + "); break;
        case NEST_NOT: PUT("NOT "); break;
        case NEST_FUNC: PUT("ABS("); break;
        case NEST_NEG: PUT("- "); break;
        default: break;
        }
    }
    if (s == NEST_PAREN || s == NEST_FUNC) {
        PUT("a");
        for (int i = 0; i < n; i++) PUT(")");
    } else if (s == NEST_NOT) {
        PUT("b");
    } else if (s == NEST_NEG) {
        PUT("a");
    }
    PUT(" AS x FROM t;\n");
#undef PUT
    return q;
}

static void seen(void *ctx, const eddy_change *c)
{
    (void)c;
    (*(int *)ctx)++;
}

static void *run_case(void *arg)
{
    Case *c = arg;
    char *sql = build(c->shape, c->n);
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    if (eddy_compile(e, sql, strlen(sql), "deep.sql", &s) != EDDY_OK) {
        snprintf(c->err, sizeof c->err, "%d:%d: %s", eddy_errline(e), eddy_errcol(e), eddy_errmsg(e));
    } else {
        c->compiled = 1;
        const eddy_plan *p = eddy_script_plan(s, 1);
        eddy_free(eddy_plan_explain(p, EDDY_TEXT));
        eddy_free(eddy_plan_explain(p, EDDY_JSON));
        int rows = 0;
        eddy_job_options o = {.on_change = seen, .ctx = &rows, .per_record = 1};
        char err[256];
        eddy_job *j = eddy_job_new(p, &o, err, sizeof err);
        if (j) {
            const char *v = "{\"a\": 1, \"b\": true, \"c\": \"x\"}";
            eddy_record r = {.value = v, .value_len = strlen(v), .timestamp = 1, .partition = 0};
            eddy_job_push(j, &r);
            eddy_job_flush(j);
            eddy_job_free(j);
        }
        c->ran = rows > 0;
        eddy_script_free(s);
    }
    eddy_engine_free(e);
    free(sql);
    return NULL;
}

static void run_small_stack(Case *c)
{
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    if (pthread_create(&t, &at, run_case, c) != 0) abort();
    pthread_join(t, NULL);
    pthread_attr_destroy(&at);
}

int main(int argc, char **argv)
{
    if (argc == 3) {   /* one case, for measuring */
        Case c = {.n = atoi(argv[1])};
        for (int s = 0; s < SHAPES; s++)
            if (strcmp(argv[2], shape_names[s]) == 0) c.shape = (Shape)s;
        run_small_stack(&c);
        printf("%s %d: compiled %d ran %d %s\n", shape_names[c.shape], c.n, c.compiled, c.ran, c.err);
        return 0;
    }
    for (int s = 0; s < SHAPES; s++) {
        int sizes[] = {10, 200, 1000, 1001, 5000, 100000};
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            Case c = {.shape = (Shape)s, .n = sizes[k]};
            run_small_stack(&c);
            if (c.n <= 200) {
                CHECK(c.compiled && c.ran);
                if (!c.compiled || !c.ran) fprintf(stderr, "  %s %d: %s\n", shape_names[s], c.n, c.err);
            } else if (!c.compiled) {
                CHECK(strstr(c.err, "too complex") != NULL);
                CHECK(strncmp(c.err, "2:", 2) == 0);
                if (!strstr(c.err, "too complex")) fprintf(stderr, "  %s %d: %s\n", shape_names[s], c.n, c.err);
            }
            if (c.n >= 5000) {
                CHECK(!c.compiled);
                if (c.compiled) fprintf(stderr, "  %s %d compiled\n", shape_names[s], c.n);
            }
        }
    }
    if (failures) fprintf(stderr, "embed/deep: %d check(s) failed\n", failures);
    else printf("embed/deep: every shape refused cleanly beyond the limit on a 256 KiB stack\n");
    return failures != 0;
}
