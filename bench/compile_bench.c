/*
 * compile_bench.c — how fast eddy compiles SQL, through the public API only.
 *
 *   compile_bench FILE.sql [ITERATIONS [ROUNDS]]
 *
 * Measures, each as the median over ROUNDS rounds of ITERATIONS runs
 * (clock_gettime(CLOCK_MONOTONIC) around each round):
 *
 *   script    the whole script in a fresh engine each time (engine_new,
 *             eddy_compile, script_free, engine_free): the script creates
 *             its tables, so every run does the same work;
 *   parse     lexing and parsing only: the script followed by a stray ')'
 *             after its last ';'.  eddy_compile parses the whole text before
 *             it runs any statement, so this fails at the very end with a
 *             syntax error and nothing is bound or planned (the cost of
 *             formatting that one error message is included);
 *   plan      each INSERT/SELECT statement alone, recompiled in a warm
 *             engine that already has the script's tables (bind + plan);
 *   explain   rendering those plans as text and as JSON.
 *
 * Reports µs per script and statements compiled per second; with
 * EDDY_BENCH_CPU=1 in the environment the times are CPU time (user + sys).  Build it
 * without sanitizers for meaningful numbers (see bench/README.md).
 */
#include <eddy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile size_t sink;   /* keeps results observable */

/* EDDY_BENCH_CPU=1: the process's CPU time instead of the wall clock (on a
 * shared machine the wall clock also counts waiting for a core). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    rewind(f);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

/* One run of each measured operation. */
typedef struct Bench {
    const char  *sql;        /* the script */
    size_t       len;        /* its length */
    char        *bad;        /* the script + a stray ')' */
    size_t       badlen;     /* its length */
    eddy_engine *warm;       /* an engine holding the script's tables */
    const char **queries;    /* the script's INSERT/SELECT statements, as text */
    size_t      *qlens;      /* their lengths */
    int          nqueries;   /* count */
    eddy_script *planned;    /* the script compiled once, for explain */
} Bench;

static void run_script(Bench *b)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    if (eddy_compile(e, b->sql, b->len, "bench.sql", &s) != EDDY_OK) {
        fprintf(stderr, "compile failed: %s", eddy_errtext(e));
        exit(1);
    }
    sink += (size_t)eddy_script_count(s);
    eddy_script_free(s);
    eddy_engine_free(e);
}

static void run_parse(Bench *b)
{
    eddy_engine *e = eddy_engine_new();
    eddy_script *s = NULL;
    if (eddy_compile(e, b->bad, b->badlen, "bench.sql", &s) != EDDY_ESYNTAX) {
        fprintf(stderr, "parse-only run did not end in a syntax error\n");
        exit(1);
    }
    sink += (size_t)eddy_errline(e);
    eddy_engine_free(e);
}

static void run_plan(Bench *b)
{
    for (int i = 0; i < b->nqueries; i++) {
        eddy_script *s = NULL;
        if (eddy_compile(b->warm, b->queries[i], b->qlens[i], "bench.sql", &s) != EDDY_OK) {
            fprintf(stderr, "plan failed: %s", eddy_errtext(b->warm));
            exit(1);
        }
        sink += (size_t)eddy_plan_operator_count(eddy_script_plan(s, 0));
        eddy_script_free(s);
    }
}

static void run_explain(Bench *b)
{
    for (int i = 0; i < eddy_script_count(b->planned); i++) {
        const eddy_plan *p = eddy_script_plan(b->planned, i);
        if (!p) continue;
        char *t = eddy_plan_explain(p, EDDY_TEXT);
        char *j = eddy_plan_explain(p, EDDY_JSON);
        sink += strlen(t) + strlen(j);
        eddy_free(t);
        eddy_free(j);
    }
}

/* Median µs per call of fn over rounds × iters calls. */
static double measure(void (*fn)(Bench *), Bench *b, int iters, int rounds)
{
    double *t = malloc(sizeof *t * (size_t)rounds);
    for (int i = 0; i < iters / 10 + 1; i++) fn(b);   /* warm-up */
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        for (int i = 0; i < iters; i++) fn(b);
        t[r] = (now_s() - t0) / iters * 1e6;
    }
    double m = median(t, rounds);
    free(t);
    return m;
}

/* Splits the script's INSERT and SELECT statements out, using the line
 * each starts on (eddy_script_line) and the ';' that ends it
 * (eddy_statement_end). */
static void find_queries(Bench *b, const eddy_script *s)
{
    int n = eddy_script_count(s);
    b->queries = calloc((size_t)n + 1, sizeof *b->queries);
    b->qlens = calloc((size_t)n + 1, sizeof *b->qlens);
    for (int i = 0; i < n; i++) {
        eddy_stmt_kind k = eddy_script_kind(s, i);
        if (k != EDDY_STMT_INSERT && k != EDDY_STMT_SELECT) continue;
        const char *p = b->sql;
        for (int line = 1; line < eddy_script_line(s, i) && p; line++) {
            p = strchr(p, '\n');
            if (p) p++;
        }
        if (!p) continue;
        size_t len;   /* to the ';' that ends it (a statement set's END;, not its first INSERT's) */
        eddy_statement_end(p, strlen(p), &len);
        b->queries[b->nqueries] = p;
        b->qlens[b->nqueries] = len;
        b->nqueries++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.sql [ITERATIONS [ROUNDS]]\n", argv[0]);
        return 2;
    }
    const char *cpu = getenv("EDDY_BENCH_CPU");
    if (cpu && strcmp(cpu, "1") == 0) bench_clock = CLOCK_PROCESS_CPUTIME_ID;
    int iters = argc > 2 ? atoi(argv[2]) : 20000;
    int rounds = argc > 3 ? atoi(argv[3]) : 7;
    if (iters < 1 || rounds < 1) {
        fprintf(stderr, "ITERATIONS and ROUNDS must be positive\n");
        return 2;
    }
    Bench b = {0};
    char *sql = read_file(argv[1], &b.len);
    if (!sql) {
        perror(argv[1]);
        return 1;
    }
    b.sql = sql;
    b.badlen = b.len + 2;
    b.bad = malloc(b.badlen + 1);
    memcpy(b.bad, sql, b.len);
    memcpy(b.bad + b.len, "\n)", 3);

    b.warm = eddy_engine_new();
    if (eddy_compile(b.warm, b.sql, b.len, argv[1], &b.planned) != EDDY_OK) {
        fprintf(stderr, "%s", eddy_errtext(b.warm));
        return 1;
    }
    int nstmts = eddy_script_count(b.planned);
    find_queries(&b, b.planned);

    double script_us = measure(run_script, &b, iters, rounds);
    double parse_us = measure(run_parse, &b, iters, rounds);
    double plan_us = b.nqueries ? measure(run_plan, &b, iters, rounds) : 0;
    double explain_us = b.nqueries ? measure(run_explain, &b, iters, rounds) : 0;

    printf("compile_bench: %s — %d statements (%d INSERT/SELECT), %zu bytes; median of %d rounds × %d runs\n",
           argv[1], nstmts, b.nqueries, b.len, rounds, iters);
    printf("  whole script, fresh engine : %8.2f µs/script   %10.0f statements/s\n", script_us, nstmts / script_us * 1e6);
    printf("  parse only (lex + grammar) : %8.2f µs/script   %10.0f statements/s\n", parse_us, nstmts / parse_us * 1e6);
    if (b.nqueries) {
        printf("  INSERT/SELECT, warm engine : %8.2f µs/query    %10.0f queries/s\n", plan_us / b.nqueries,
               b.nqueries / plan_us * 1e6);
        printf("  explain text + JSON        : %8.2f µs/plan\n", explain_us / b.nqueries);
    }

    eddy_script_free(b.planned);
    eddy_engine_free(b.warm);
    free(b.queries);
    free(b.qlens);
    free(b.bad);
    free(sql);
    return (int)(sink & 0);
}
