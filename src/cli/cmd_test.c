/*
 * cmd_test.c — `eddy test FILE.test…`: runs query regression tests.
 *
 * In order: the file format (a line table and a parser into TestCases, see
 * docs/test-format.md), the in-memory runner (the real compiler and
 * operators through the job API, no broker), the judge (actual lines per
 * expectation section, compared and shown as a diff), --update (the failing
 * sections' bodies rewritten from the actual output, every other byte of the
 * file untouched), and the command line.
 *
 * Determinism: nothing printed depends on time, addresses or hash order;
 * default timestamps are a fixed sequence; final tables are sorted.
 */
#define _POSIX_C_SOURCE 200809L   /* mkstemp, fchmod */
#include "civil.h"
#include "cmd_test.h"
#include "testfile.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "eddy.h"

/* The first default timestamp: 2024-01-01 00:00:00.000 UTC. */
#define TEST_FIRST_TS 1704067200000LL
/* Default spacing of timestamps not given. */
#define TEST_TS_STEP 1000LL

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}


/* ------------------------------------------------------------------ */
/* The in-memory runner                                                 */

/* The sink table's name, or NULL for a bare SELECT. */
static const char *plan_sink_table(const eddy_plan *p)
{
    eddy_table_info t;
    return eddy_plan_sink(p, 0, &t) == EDDY_OK ? t.name : NULL;
}

int test_sink_key(const eddy_plan *p, const char ***names, Arena *a)
{
    eddy_table_info t;
    int nkey = eddy_plan_key(p);
    if (eddy_plan_sink(p, 0, &t) != EDDY_OK || t.changelog != EDDY_CHANGELOG_UPSERT || nkey <= 0) return -1;
    *names = arena_alloc(a, sizeof(char *) * (size_t)nkey);
    int n = 0;
    for (int i = 0; i < eddy_plan_column_count(p); i++) {
        eddy_column c;
        if (eddy_plan_column(p, i, &c) == EDDY_OK && c.key && n < nkey) (*names)[n++] = arena_strdup(a, c.name);
    }
    return n;
}

/* Sink k of a statement set's plan: its upsert key's column names, or -1. */
static int test_set_sink_key(const eddy_plan *p, int k, const char ***names, Arena *a)
{
    eddy_table_info t;
    if (eddy_plan_sink(p, k, &t) != EDDY_OK || t.changelog != EDDY_CHANGELOG_UPSERT) return -1;
    int ncols = eddy_plan_sink_column_count(p, k), n = 0;
    *names = arena_alloc(a, sizeof(char *) * (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++) {
        eddy_column c;
        if (eddy_plan_sink_column(p, k, i, &c) == EDDY_OK && c.key) (*names)[n++] = arena_strdup(a, c.name);
    }
    return n ? n : -1;
}

TestSink *test_result_sink(const TestResult *r, const char *name)
{
    for (int i = 0; i < r->sinks.n; i++) {
        TestSink *s = r->sinks.v[i];
        if (strcmp(s->name, name) == 0) return s;
    }
    return NULL;
}

TestSink *test_sink_for(TestResult *r, const char *table, int *nselect, bool *made)
{
    const char *name = table;
    if (!name) {
        ++*nselect;
        name = *nselect == 1 ? "select" : arena_printf(&r->arena, "select%d", *nselect);
    }
    TestSink *s = test_result_sink(r, name);
    if (made) *made = !s;
    if (s) return s;
    s = arena_alloc(&r->arena, sizeof *s);
    s->name = arena_strdup(&r->arena, name);
    ptrlist_push(&r->arena, &r->sinks, s);
    return s;
}

void test_sink_add(TestResult *r, TestSink *s, const char *kind, const char *text, int ncols, const char *const *names,
                   const char *const *values, const char **key, int nkey)
{
    Arena *a = &r->arena;
    TestChange *ch = arena_alloc(a, sizeof *ch);
    ch->text = arena_strdup(a, text);
    ch->kind = arena_strdup(a, kind);
    const char *br = strchr(ch->text, '[');
    ch->row = br ? br : ch->text;
    if (nkey > 0) {
        /* Length-prefixed values, so that no two keys encode alike. */
        StrBuf k = {0};
        for (int i = 0; i < nkey; i++) {
            int col = -1;
            for (int j = 0; j < ncols; j++)
                if (strcmp(names[j], key[i]) == 0) col = j;
            const char *v = col >= 0 ? values[col] : NULL;
            if (v) sb_printf(&k, "%zu:%s;", strlen(v), v);
            else sb_puts(&k, "N;");
        }
        ch->key = arena_strdup(a, k.s ? k.s : "");
        sb_free(&k);
    }
    ptrlist_push(a, &s->changes, ch);
}

typedef struct MemSinkCtx {
    TestResult  *res;     /* where things go */
    TestSink    *sink;    /* this job's sink */
    const char **key;     /* upsert key column names */
    int          nkey;    /* count, -1 = not upsert */
    const char  *table;   /* a statement set: the sink table of this one */
    struct MemSinkCtx *next; /* a statement set: the next sink's */
} MemSinkCtx;

static void mem_on_change(void *ctx, const eddy_change *c)
{
    MemSinkCtx *m = ctx;
    while (m->next && c->table && m->table && strcmp(m->table, c->table) != 0) m = m->next;   /* a statement set: this change's sink */
    test_sink_add(m->res, m->sink, c->kind, c->text, c->ncols, c->names, c->values, m->key, m->nkey);
}

/* Where one table's records have got to. */
typedef struct TableFeed {
    long long *next_off;  /* per partition: the next offset */
    int        nparts;    /* partitions seen */
    long long  ts;        /* the last record's timestamp */
} TableFeed;

int test_case_records(const TestCase *tc, const char *const *tables, int ntables, TestRecordFn fn, void *ctx)
{
    TableFeed *feed = calloc((size_t)ntables + 1, sizeof *feed);
    if (!feed) abort();
    for (int t = 0; t < ntables; t++) feed[t].ts = TEST_FIRST_TS - TEST_TS_STEP;
    int rc = 0;
    for (int si = 0; si < tc->nsecs && rc == 0; si++) {
        const TestSection *sec = tc->secs[si];
        if (sec->kind != TS_INPUT) continue;
        int t = 0;
        while (t < ntables && strcmp(sec->arg, tables[t]) != 0) t++;
        if (t == ntables) continue;
        TableFeed *f = &feed[t];
        for (int i = 0; i < sec->nrecs && rc == 0; i++) {
            const TestRecord *tr = &sec->recs[i];
            if (tr->flush || tr->clock) {
                rc = fn(ctx, tables[t], tr, 0, 0);
                continue;
            }
            if (tr->partition >= f->nparts) {
                long long *nn = realloc(f->next_off, sizeof *nn * (size_t)(tr->partition + 1));
                if (!nn) abort();
                for (int p = f->nparts; p <= tr->partition; p++) nn[p] = 0;
                f->next_off = nn;
                f->nparts = tr->partition + 1;
            }
            f->ts = tr->has_ts ? tr->ts : f->ts + TEST_TS_STEP;
            rc = fn(ctx, tables[t], tr, f->ts, f->next_off[tr->partition]++);
        }
    }
    for (int t = 0; t < ntables; t++) free(feed[t].next_off);
    free(feed);
    return rc;
}

int test_plan_sources(const eddy_plan *p, Arena *a, const char ***out)
{
    int n = eddy_plan_source_count(p);
    *out = arena_alloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        eddy_table_info t;
        eddy_plan_source(p, i, &t);
        (*out)[i] = arena_strdup(a, t.name);
    }
    return n;
}

static int max_partition_of(void *ctx, const char *table, const TestRecord *tr, long long ts, long long offset)
{
    (void)table;
    (void)ts;
    (void)offset;
    int *m = ctx;
    if (!tr->flush && !tr->clock && tr->partition > *m) *m = tr->partition;
    return 0;
}

int test_table_partitions(const TestCase *tc, const char *table, Arena *a, int **out)
{
    int n = tc->partitions;
    for (int i = 0; i < tc->npart_tables; i++)
        if (strcmp(tc->part_tables[i], table) == 0) n = tc->part_counts[i];
    if (n > 0) {
        *out = arena_alloc(a, sizeof(int) * (size_t)n);
        for (int p = 0; p < n; p++) (*out)[p] = p;
        return n;
    }
    /* a topic whose records use partition 2 has partitions 0 and 1 too */
    int maxp = -1;
    test_case_records(tc, &table, 1, max_partition_of, &maxp);
    if (maxp < 0) return 0;
    *out = arena_alloc(a, sizeof(int) * (size_t)(maxp + 1));
    for (int p = 0; p <= maxp; p++) (*out)[n++] = p;
    return n;
}

enum { TEST_MAX_GENERATED = 1000000 };   /* rows a datagen table of a case may make */

/* A line of a 'print' table: kept for the case's `--- printed`. */
static void mem_on_print(void *ctx, const char *line, int to_stderr)
{
    (void)to_stderr;
    MemSinkCtx *m = ctx;
    ptrlist_push(&m->res->arena, &m->res->printed, arena_strdup(&m->res->arena, line));
}

typedef struct MemFeed {
    const TestCase *tc;   /* the case */
    eddy_job       *job;  /* the job fed */
    long long       clock;/* its processing time */
} MemFeed;

static int mem_feed_one(void *ctx, const char *table, const TestRecord *tr, long long ts, long long offset)
{
    MemFeed *m = ctx;
    if (tr->flush) return m->tc->per_batch && eddy_job_flush(m->job) ? -1 : 0;
    if (tr->clock) {
        long long to = tr->clock_rel ? m->clock + tr->clock_ms : tr->clock_ms;
        if (to > m->clock) m->clock = to;   /* time never goes back */
        return eddy_job_set_clock(m->job, m->clock) ? -1 : 0;
    }
    eddy_record rec = {
        .key = tr->key, .key_len = tr->klen, .value = tr->value, .value_len = tr->vlen,
        .timestamp = ts, .partition = tr->partition, .offset = offset, .op = tr->op, .table = table,
    };
    return eddy_job_push(m->job, &rec) ? -1 : 0;
}

/* Feeds one job every record of its source tables, then flushes it; 0 or
 * -1 (r->error set). */
static int mem_feed(const TestCase *tc, const TestJob *tj, eddy_job *job, TestResult *r)
{
    MemFeed m = {tc, job, TEST_FIRST_CLOCK};
    /* The clock first, then the partitions each table's topic has (idle
     * timeouts count from the start), then the records. */
    int rc = eddy_job_set_clock(job, m.clock) ? -1 : 0;
    for (int i = 0; i < tj->nsources && rc == 0; i++) {
        bool dup = false;
        for (int k = 0; k < i; k++) dup = dup || strcmp(tj->sources[k], tj->sources[i]) == 0;
        int *parts = NULL, n = dup ? 0 : test_table_partitions(tc, tj->sources[i], &r->arena, &parts);
        if (n > 0 && eddy_job_partitions(job, tj->sources[i], parts, n)) rc = -1;
    }
    /* Tables that make their own rows (datagen) first: a case's are bounded ('number-of-rows', a sequence). */
    int gdone = 1;
    if (rc == 0 && eddy_job_generate(job, TEST_MAX_GENERATED, &gdone)) rc = -1;
    if (rc == 0 && !gdone) {
        r->error = arena_printf(&r->arena, "a datagen table of the case makes more than %d rows: give it 'number-of-rows' (or a sequence)",
                                TEST_MAX_GENERATED);
        return -1;
    }
    if (rc == 0) rc = test_case_records(tc, tj->sources, tj->nsources, mem_feed_one, &m);
    if (rc == 0 && tc->final_watermark && eddy_job_final_watermark(job)) rc = -1;
    if (rc == 0 && eddy_job_flush(job)) rc = -1;
    if (rc) r->error = arena_strdup(&r->arena, eddy_job_errmsg(job));
    return rc;
}

static long long test_parallelism;   /* --parallelism N: every case's 'parallelism.default' unless it sets its own */

static int mem_run(void *ctx, const TestCase *tc, TestResult *r)
{
    (void)ctx;
    eddy_engine *e = eddy_engine_new();
    if (!e) {
        r->error = "out of memory";
        return -1;
    }
    PtrList scripts = {0};
    Arena tmp;
    arena_init(&tmp, 4096);
    if (test_parallelism > 1) {   /* as if the case began with the SET (one of its own comes later and wins) */
        char set[96];
        int n = snprintf(set, sizeof set, "SET 'parallelism.default' = '%lld';", test_parallelism);
        eddy_script *s = NULL;
        if (eddy_compile(e, set, (size_t)n, "--parallelism", &s)) r->error = arena_strdup(&r->arena, eddy_errmsg(e));
        eddy_script_free(s);
    }
    for (int si = 0; si < tc->nsecs; si++) {
        const TestSection *sec = tc->secs[si];
        if (sec->kind != TS_SQL) continue;
        eddy_script *s = NULL;
        if (eddy_compile(e, sec->sql, sec->sql_len, tc->file, &s)) {
            /* The position counts lines from the section, so that an error
             * expectation survives edits elsewhere in the file. */
            if (eddy_errline(e) > 0) {
                r->error = arena_printf(&r->arena, "%d:%d: %s", eddy_errline(e), eddy_errcol(e), eddy_errmsg(e));
                r->error_line = sec->line + eddy_errline(e);
            } else {
                r->error = arena_strdup(&r->arena, eddy_errmsg(e));
            }
            break;
        }
        ptrlist_push(&tmp, &scripts, s);
    }

    /* Every INSERT and SELECT: its plan, its sink and its job entry first,
     * so that a job failing at run time leaves the others' plans shown. */
    int nselect = 0;
    PtrList plans = {0}, ctxs = {0};
    for (int k = 0; k < scripts.n && !r->error; k++) {
        eddy_script *s = scripts.v[k];
        for (int i = 0; i < eddy_script_count(s); i++) {
            eddy_stmt_kind kind = eddy_script_kind(s, i);
            const eddy_plan *p = eddy_script_plan(s, i);
            if (!p || (kind != EDDY_STMT_INSERT && kind != EDDY_STMT_SELECT)) continue;
            char *text = eddy_plan_explain(p, EDDY_TEXT);
            if (text) sb_puts(&r->plans, text);
            eddy_free(text);

            TestSink *sink = test_sink_for(r, plan_sink_table(p), &nselect, NULL);
            MemSinkCtx *m = arena_alloc(&tmp, sizeof *m);
            *m = (MemSinkCtx){r, sink, NULL, -1, NULL, NULL};
            m->nkey = test_sink_key(p, &m->key, &r->arena);
            sink->upsert = m->nkey > 0;
            TestJob *tj = arena_alloc(&r->arena, sizeof *tj);
            tj->nsources = test_plan_sources(p, &r->arena, &tj->sources);
            tj->sink = sink->name;
            if (eddy_plan_sink_count(p) > 1) {   /* a statement set: one job, a sink per INSERT */
                MemSinkCtx **tail = &m;
                StrBuf names = {0};
                for (int k2 = 0; k2 < eddy_plan_sink_count(p); k2++) {
                    eddy_table_info ti;
                    eddy_plan_sink(p, k2, &ti);
                    MemSinkCtx *mk = arena_alloc(&tmp, sizeof *mk);
                    *mk = (MemSinkCtx){r, test_sink_for(r, ti.name, &nselect, NULL), NULL, -1, ti.name, NULL};
                    mk->nkey = test_set_sink_key(p, k2, &mk->key, &r->arena);
                    mk->sink->upsert = mk->nkey > 0;
                    sb_printf(&names, "%s%s", k2 ? "+" : "", ti.name);
                    *tail = mk;
                    tail = &mk->next;
                }
                tj->sink = arena_strdup(&r->arena, names.s);
                sb_free(&names);
            }
            ptrlist_push(&r->arena, &r->jobs, tj);
            ptrlist_push(&tmp, &plans, (void *)p);
            ptrlist_push(&tmp, &ctxs, m);
        }
    }
    /* Then run them in order, until one fails. */
    for (int k = 0; k < plans.n && !r->error; k++) {
        TestJob *tj = r->jobs.v[k];
        eddy_job_options o = {.on_change = mem_on_change, .ctx = ctxs.v[k], .per_record = !tc->per_batch, .on_print = mem_on_print};
        char err[1024] = "";
        eddy_job *job = eddy_job_new(plans.v[k], &o, err, sizeof err);
        if (!job) {
            r->error = arena_strdup(&r->arena, err[0] ? err : "cannot create the job");
            break;
        }
        mem_feed(tc, tj, job, r);
        eddy_job_counts(job, &tj->in, &tj->out, &tj->skipped);
        eddy_job_stats st;
        eddy_job_get_stats(job, &st);
        tj->late = st.late;
        eddy_job_free(job);
    }
    for (int k = 0; k < scripts.n; k++) eddy_script_free(scripts.v[k]);
    arena_free(&tmp);
    eddy_engine_free(e);
    return 0;
}

const TestRunner test_memory_runner = {"memory", mem_run, NULL};

/* ------------------------------------------------------------------ */
/* Judging a case                                                       */

/* A change with its position, for grouping changes by key or by row. */
typedef struct Placed {
    const char       *by;   /* what changes are grouped by: the key or the row */
    int               at;   /* position in the changelog */
    const TestChange *c;    /* the change */
} Placed;

static int cmp_placed(const void *x, const void *y)
{
    const Placed *a = x, *b = y;
    int r = strcmp(a->by, b->by);
    return r ? r : (a->at > b->at) - (a->at < b->at);
}

/* A sink's final table, sorted.  Changes are grouped (by key for an upsert
 * sink, by row otherwise) and each group replayed in order, so the cost
 * is a sort, whatever the number of keys. */
static int final_table(const TestSink *s, Arena *a, const char ***out)
{
    int np = 0, n = 0;
    Placed *p = arena_alloc(a, sizeof *p * (size_t)(s->changes.n + 1));
    const char **rows = arena_alloc(a, sizeof(char *) * (size_t)(s->changes.n + 1));
    for (int i = 0; i < s->changes.n; i++) {
        const TestChange *c = s->changes.v[i];
        p[np++] = (Placed){s->upsert ? c->key : c->row, i, c};
    }
    qsort(p, (size_t)np, sizeof *p, cmp_placed);
    for (int g = 0; g < np;) {
        int e = g;
        while (e < np && strcmp(p[e].by, p[g].by) == 0) e++;
        if (s->upsert) {
            /* The key's last change decides: a row, or deleted (-D, or a -U
             * no +U followed: an upsert sink writes both as tombstones). */
            const TestChange *last = p[e - 1].c;
            if (strcmp(last->kind, "-D") != 0 && strcmp(last->kind, "-U") != 0) rows[n++] = last->row;
        } else {
            /* A multiset: count copies of the row in changelog order. */
            long long copies = 0;
            for (int k = g; k < e; k++) {
                const TestChange *c = p[k].c;
                if (strcmp(c->kind, "+I") == 0 || strcmp(c->kind, "+U") == 0) copies++;
                else if (copies > 0) copies--;
                else rows[n++] = arena_printf(a, "%s (retracts a row the table does not hold)", c->text);
            }
            for (; copies > 0; copies--) rows[n++] = p[g].c->row;
        }
        g = e;
    }
    qsort(rows, (size_t)n, sizeof *rows, cmp_str);
    *out = rows;
    return n;
}

/* Splits text into its non-blank lines (right-trimmed). */
static int split_lines(const char *text, Arena *a, const char ***out)
{
    PtrList l = {0};
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        tf_rtrim(p, &n);
        if (!tf_is_blank(p, n)) ptrlist_push(a, &l, arena_strndup(a, p, n));
        p = e ? e + 1 : p + strlen(p);
    }
    *out = (const char **)l.v;
    return l.n;
}

/* Verdict on one expectation section. */
typedef struct Verdict {
    const TestSection *sec;  /* the section (NULL: an error nobody expected) */
    bool         ok;        /* matches */
    const char **actual;    /* the actual lines */
    int          nactual;   /* count */
    const char **expect;    /* expected lines as compared (tables sorted) */
    int          nexpect;   /* count */
    const char  *problem;   /* a reason the section cannot be judged, or NULL */
} Verdict;

typedef struct CaseVerdict {
    bool     ok;            /* every verdict ok, no problems */
    PtrList  verdicts;      /* Verdict* */
    PtrList  problems;      /* char*: case-level problems */
    bool     has_expectation; /* the case has at least one expectation section of its own */
    bool     expects_nothing; /* no expectation and no error: nothing was checked */
    bool     unfixable;       /* a problem --update cannot solve (a misspelt name, …) */
} CaseVerdict;

/* The sink a changelog/table section is about, or NULL with a problem. */
static TestSink *section_sink(const TestSection *sec, const TestResult *r, Arena *a, const char **problem)
{
    if (sec->arg) {
        TestSink *s = test_result_sink(r, sec->arg);
        if (!s && !r->error) {
            StrBuf b = {0};
            for (int i = 0; i < r->sinks.n; i++) sb_printf(&b, "%s%s", i ? ", " : "", ((TestSink *)r->sinks.v[i])->name);
            *problem = arena_printf(a, "no statement of the case writes to '%s' (sinks: %s)", sec->arg, b.s ? b.s : "none");
            sb_free(&b);
        }
        return s;
    }
    if (r->sinks.n == 1) return r->sinks.v[0];
    if (r->sinks.n > 1) *problem = arena_printf(a, "the case has %d sinks: name one after '--- %s'", r->sinks.n, sec->kind == TS_TABLE ? "table" : "changelog");
    return NULL;
}

/* --parallelism: a sink's changes come from several tasks, each key's in
 * order, the keys' interleaving the tasks'.  An expected changelog is met
 * when the actual one leaves the same final table (the expected changes
 * replayed with the keys the actual changes of the same rows have). */
static bool same_final_table(const char **expect, int nexpect, const TestSink *s, Arena *a)
{
    TestSink want = {.name = s->name, .upsert = s->upsert};
    for (int i = 0; i < nexpect; i++) {
        const char *t = expect[i];
        if (strlen(t) < 3) return false;
        TestChange *c = arena_alloc(a, sizeof *c);
        c->text = t;
        c->kind = arena_strndup(a, t, 2);
        c->row = t + 2;
        c->key = c->row;
        for (int k = 0; k < s->changes.n && s->upsert; k++) {
            const TestChange *ac = s->changes.v[k];
            if (strcmp(ac->row, c->row) == 0) {
                c->key = ac->key;
                break;
            }
        }
        ptrlist_push(a, &want.changes, c);
    }
    const char **w, **g;
    int nw = final_table(&want, a, &w), ng = final_table(s, a, &g);
    if (nw != ng) return false;
    for (int i = 0; i < nw; i++)
        if (strcmp(w[i], g[i]) != 0) return false;
    return true;
}

static bool lines_equal(const char **a, int na, const char **b, int nb)
{
    if (na != nb) return false;
    for (int i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0) return false;
    return true;
}

static void judge(const TestCase *tc, const TestResult *r, Arena *a, CaseVerdict *cv)
{
    memset(cv, 0, sizeof *cv);
    cv->ok = true;
    bool error_section = false;
    for (int si = 0; si < tc->nsecs; si++) {
        const TestSection *sec = tc->secs[si];
        if (sec->shared || !tf_is_expectation(sec->kind)) continue;
        cv->has_expectation = true;
        Verdict *v = arena_alloc(a, sizeof *v);
        v->sec = sec;
        v->expect = sec->expect;
        v->nexpect = sec->nexpect;
        switch (sec->kind) {
        case TS_CHANGELOG: {
            TestSink *s = section_sink(sec, r, a, &v->problem);
            v->nactual = s ? s->changes.n : 0;
            v->actual = arena_alloc(a, sizeof(char *) * (size_t)(v->nactual + 1));
            for (int i = 0; i < v->nactual; i++) v->actual[i] = ((TestChange *)s->changes.v[i])->text;
            v->ok = lines_equal(v->expect, v->nexpect, v->actual, v->nactual);
            if (!v->ok && s && test_parallelism > 1) v->ok = same_final_table(v->expect, v->nexpect, s, a);
            break;
        }
        case TS_TABLE: {
            TestSink *s = section_sink(sec, r, a, &v->problem);
            if (s) v->nactual = final_table(s, a, &v->actual);
            const char **e = arena_alloc(a, sizeof(char *) * (size_t)(v->nexpect + 1));
            if (v->nexpect) memcpy(e, v->expect, sizeof(char *) * (size_t)v->nexpect);
            qsort(e, (size_t)v->nexpect, sizeof *e, cmp_str);
            v->expect = e;
            v->ok = lines_equal(v->expect, v->nexpect, v->actual, v->nactual);
            break;
        }
        case TS_ERROR: {
            error_section = true;
            if (r->error) {
                v->actual = arena_alloc(a, sizeof(char *));
                v->actual[0] = r->error;
                v->nactual = 1;
            }
            StrBuf want = {0};
            for (int i = 0; i < v->nexpect; i++) sb_printf(&want, "%s%s", i ? "\n" : "", v->expect[i]);
            v->ok = r->error && strstr(r->error, want.s ? want.s : "") != NULL;
            sb_free(&want);
            break;
        }
        case TS_PLAN:
            v->nactual = split_lines(r->plans.s, a, &v->actual);
            v->ok = lines_equal(v->expect, v->nexpect, v->actual, v->nactual);
            if (test_parallelism > 1) v->ok = true;   /* --parallelism: the plans are cut into stages (golden tests show them) */
            break;
        case TS_PRINTED:
            v->nactual = r->printed.n;
            v->actual = (const char **)r->printed.v;
            v->ok = lines_equal(v->expect, v->nexpect, v->actual, v->nactual);
            if (!v->ok && test_parallelism > 1 && v->nexpect == v->nactual) {   /* the tasks' lines interleaved otherwise */
                const char **e = arena_alloc(a, sizeof(char *) * (size_t)(v->nexpect + 1)), **g = arena_alloc(a, sizeof(char *) * (size_t)(v->nactual + 1));
                if (v->nexpect) memcpy(e, v->expect, sizeof(char *) * (size_t)v->nexpect), memcpy(g, v->actual, sizeof(char *) * (size_t)v->nactual);
                qsort(e, (size_t)v->nexpect, sizeof *e, cmp_str);
                qsort(g, (size_t)v->nactual, sizeof *g, cmp_str);
                v->ok = lines_equal(e, v->nexpect, g, v->nactual);
            }
            break;
        case TS_COUNTS:
            v->nactual = r->jobs.n;
            v->actual = arena_alloc(a, sizeof(char *) * (size_t)(r->jobs.n + 1));
            for (int i = 0; i < r->jobs.n; i++) {
                const TestJob *j = r->jobs.v[i];
                v->actual[i] = arena_printf(a, "%s in=%lld out=%lld skipped=%lld", j->sink, j->in, j->out, j->skipped);
                if (j->late) v->actual[i] = arena_printf(a, "%s late=%lld", v->actual[i], j->late);
            }
            v->ok = lines_equal(v->expect, v->nexpect, v->actual, v->nactual);
            break;
        default: break;
        }
        if (v->problem) v->ok = false, cv->unfixable = true;
        if (!v->ok) cv->ok = false;
        ptrlist_push(a, &cv->verdicts, v);
    }
    if (r->error && !error_section) {
        Verdict *v = arena_alloc(a, sizeof *v);
        v->actual = arena_alloc(a, sizeof(char *));
        v->actual[0] = r->error;
        v->nactual = 1;
        ptrlist_push(a, &cv->verdicts, v);
        cv->ok = false;
    }
    /* Input for a table no job reads is most likely a typo. */
    if (!r->error) {
        for (int si = 0; si < tc->nsecs; si++) {
            const TestSection *sec = tc->secs[si];
            if (sec->shared || sec->kind != TS_INPUT) continue;
            bool read = false;
            for (int j = 0; j < r->jobs.n; j++) {
                const TestJob *tj = r->jobs.v[j];
                for (int k = 0; k < tj->nsources; k++) read = read || strcmp(tj->sources[k], sec->arg) == 0;
            }
            if (!read) {
                ptrlist_push(a, &cv->problems,
                             arena_printf(a, "%s:%d: no INSERT or SELECT of the case reads table '%s'", tc->file, sec->line, sec->arg));
                cv->ok = false;
                cv->unfixable = true;
            }
        }
    }
    if (!cv->has_expectation && !r->error) {
        cv->expects_nothing = true;
        cv->ok = false;
    }
}

/* ---- the diff ---- */

enum { D_SAME, D_DEL, D_ADD };

/* Line diff of a (expected) against b (actual) by longest common
 * subsequence; ops written to out (na + nb entries at most). */
static int diff_lines(const char **a, int na, const char **b, int nb, int *ops, int *ia, int *ib)
{
    int n = 0;
    if ((long long)(na + 1) * (nb + 1) > 4000000) {   /* too big to align: all out, all in */
        for (int i = 0; i < na; i++) ops[n] = D_DEL, ia[n++] = i;
        for (int j = 0; j < nb; j++) ops[n] = D_ADD, ib[n++] = j;
        return n;
    }
    int *t = calloc((size_t)(na + 1) * (size_t)(nb + 1), sizeof *t);
    if (!t) abort();
#define T(i, j) t[(size_t)(i) * (size_t)(nb + 1) + (size_t)(j)]
    for (int i = na - 1; i >= 0; i--)
        for (int j = nb - 1; j >= 0; j--)
            T(i, j) = strcmp(a[i], b[j]) == 0 ? T(i + 1, j + 1) + 1 : (T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
    int i = 0, j = 0;
    while (i < na || j < nb) {
        if (i < na && j < nb && strcmp(a[i], b[j]) == 0) ops[n] = D_SAME, ia[n] = i++, ib[n++] = j++;
        else if (i < na && (j == nb || T(i + 1, j) >= T(i, j + 1))) ops[n] = D_DEL, ia[n++] = i++;
        else ops[n] = D_ADD, ib[n++] = j++;
    }
#undef T
    free(t);
    return n;
}

static void print_diff(FILE *out, const char **a, int na, const char **b, int nb)
{
    int cap = na + nb + 1;
    int *ops = malloc(sizeof(int) * (size_t)cap), *ia = malloc(sizeof(int) * (size_t)cap), *ib = malloc(sizeof(int) * (size_t)cap);
    if (!ops || !ia || !ib) abort();
    int n = diff_lines(a, na, b, nb, ops, ia, ib);
    /* Unchanged lines show within ctx lines of a change; a longer run of
     * unchanged lines away from changes shows as one "...". */
    const int ctx = 3;
    bool *show = calloc((size_t)n + 1, sizeof *show);
    if (!show) abort();
    for (int k = 0; k < n; k++) {
        show[k] = ops[k] != D_SAME;
        for (int d = -ctx; d <= ctx && !show[k]; d++)
            if (k + d >= 0 && k + d < n && ops[k + d] != D_SAME) show[k] = true;
    }
    for (int k = 0; k < n;) {
        if (show[k]) {
            if (ops[k] == D_DEL) fprintf(out, "    - %s\n", a[ia[k]]);
            else if (ops[k] == D_ADD) fprintf(out, "    + %s\n", b[ib[k]]);
            else fprintf(out, "      %s\n", a[ia[k]]);
            k++;
            continue;
        }
        int e = k;
        while (e < n && !show[e]) e++;
        if (e - k <= ctx) {
            for (; k < e; k++) fprintf(out, "      %s\n", a[ia[k]]);
        } else {
            fputs("      ...\n", out);
            k = e;
        }
    }
    free(show);
    free(ops);
    free(ia);
    free(ib);
}

static const char *section_title(const TestSection *sec, Arena *a)
{
    const char *w = tf_section_word(sec->kind);
    return sec->arg ? arena_printf(a, "%s %s", w, sec->arg) : w;
}

static void report_failure(FILE *out, const TestCase *tc, const CaseVerdict *cv, int err_line, Arena *a)
{
    fprintf(out, "FAIL %s:%d: %s\n", tc->file, tc->line, tc->name);
    for (int i = 0; i < cv->problems.n; i++) fprintf(out, "  %s\n", (const char *)cv->problems.v[i]);
    if (cv->expects_nothing) fputs("  the case expects nothing: add '--- changelog SINK' (or run with --update)\n", out);
    for (int i = 0; i < cv->verdicts.n; i++) {
        const Verdict *v = cv->verdicts.v[i];
        if (v->ok) continue;
        if (!v->sec) {
            fprintf(out, "  unexpected error (add '--- error' to expect it):\n    + %s\n", v->actual[0]);
            if (err_line) fprintf(out, "    (at %s:%d)\n", tc->file, err_line);
            continue;
        }
        fprintf(out, "  --- %s (%s:%d)", section_title(v->sec, a), tc->file, v->sec->line);
        if (v->problem) {
            fprintf(out, ": %s\n", v->problem);
            continue;
        }
        if (v->sec->kind == TS_ERROR) {
            fputs(": the error should contain the - text\n", out);
            for (int k = 0; k < v->nexpect; k++) fprintf(out, "    - %s\n", v->expect[k]);
            if (v->nexpect == 0) fputs("    - (any error)\n", out);
            if (v->nactual) fprintf(out, "    + %s\n", v->actual[0]);
            else fputs("    + (no error)\n", out);
            if (v->nactual && err_line) fprintf(out, "    (at %s:%d)\n", tc->file, err_line);
            continue;
        }
        fputs(v->sec->kind == TS_TABLE ? ": - expected, + actual (sorted)\n" : ": - expected, + actual\n", out);
        if (v->nexpect == 0 && v->nactual == 0) continue;
        print_diff(out, v->expect, v->nexpect, v->actual, v->nactual);
    }
}

/* ------------------------------------------------------------------ */
/* --update: rewriting expectations                                     */

typedef struct Edit {
    size_t      from, to; /* byte range replaced */
    const char *text;     /* replacement */
} Edit;

static void add_edit(PtrList *edits, Arena *a, size_t from, size_t to, const char *text)
{
    Edit *e = arena_alloc(a, sizeof *e);
    e->from = from;
    e->to = to;
    e->text = text;
    ptrlist_push(a, edits, e);
}

static const char *join_lines(Arena *a, const char **lines, int n)
{
    StrBuf b = {0};
    for (int i = 0; i < n; i++) sb_printf(&b, "%s\n", lines[i]);
    const char *s = arena_strdup(a, b.s ? b.s : "");
    sb_free(&b);
    return s;
}

/* Edits that make a failing case's expectations match r; returns how many. */
static int update_case(const TestFile *f, const TestCase *tc, const TestResult *r, const CaseVerdict *cv, PtrList *edits, Arena *a)
{
    int before = edits->n;
    int kept = 0;   /* expectation sections left in the case */
    for (int i = 0; i < cv->verdicts.n; i++) {
        const Verdict *v = cv->verdicts.v[i];
        if (!v->sec) continue;
        const TestSection *sec = v->sec;
        kept++;
        if (v->ok || v->problem) continue;
        if (sec->kind == TS_ERROR && !r->error) {
            /* The error is gone: drop the section, header and body. */
            add_edit(edits, a, f->lines[sec->line - 1], f->lines[sec->body_end], "");
            kept--;
            continue;
        }
        add_edit(edits, a, f->lines[sec->body_first], f->lines[sec->body_end], join_lines(a, v->actual, v->nactual));
    }
    StrBuf add = {0};
    if (r->error) {
        bool has = false;
        for (int i = 0; i < cv->verdicts.n; i++) {
            const Verdict *v = cv->verdicts.v[i];
            if (v->sec && v->sec->kind == TS_ERROR) has = true;
        }
        if (!has) sb_printf(&add, "--- error\n%s\n", r->error), kept++;
    }
    if (kept == 0 || (!cv->has_expectation && r->sinks.n)) {
        for (int i = 0; i < r->sinks.n; i++) {
            const TestSink *s = r->sinks.v[i];
            sb_printf(&add, "--- changelog %s\n", s->name);
            for (int k = 0; k < s->changes.n; k++) sb_printf(&add, "%s\n", ((TestChange *)s->changes.v[k])->text);
        }
    }
    if (add.len) {
        size_t at = f->lines[tc->end];
        add_edit(edits, a, at, at, arena_strdup(a, add.s));
    }
    sb_free(&add);
    return edits->n - before;
}

static int cmp_edit(const void *x, const void *y)
{
    const Edit *a = *(const Edit *const *)x, *b = *(const Edit *const *)y;
    return a->from < b->from ? -1 : a->from > b->from;
}

/* Writes the file with the edits applied (atomically: temp file + rename). */
static int write_edits(const TestFile *f, PtrList *edits, char *err, size_t errlen)
{
    qsort(edits->v, (size_t)edits->n, sizeof(void *), cmp_edit);
    /* New lines end like the file's first line: "\r\n" or "\n". */
    const char *nl = memchr(f->text, '\n', f->len);
    bool crlf = nl && nl > f->text && nl[-1] == '\r';
    StrBuf out = {0};
    size_t at = 0;
    for (int i = 0; i < edits->n; i++) {
        const Edit *e = edits->v[i];
        if (e->from < at) continue;   /* overlapping edits cannot happen; be safe */
        sb_putn(&out, f->text + at, e->from - at);
        /* Text added after a last line without a line ending starts a new line. */
        if (e->text[0] && e->from > 0 && f->text[e->from - 1] != '\n') sb_puts(&out, crlf ? "\r\n" : "\n");
        for (const char *p = e->text; *p; p++) {
            if (*p == '\n' && crlf) sb_putc(&out, '\r');
            sb_putc(&out, *p);
        }
        at = e->to;
    }
    sb_putn(&out, f->text + at, f->len - at);
    StrBuf tmp = {0};
    sb_printf(&tmp, "%s.XXXXXX", f->path);
    int fd = mkstemp(tmp.s);
    int rc = -1;
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot write: %s", f->path, strerror(errno));
        goto done;
    }
    struct stat st;
    if (stat(f->path, &st) == 0) fchmod(fd, st.st_mode & 07777);
    size_t done_n = 0;
    while (done_n < out.len) {
        ssize_t w = write(fd, out.s + done_n, out.len - done_n);
        if (w <= 0) break;
        done_n += (size_t)w;
    }
    if (close(fd) != 0 || done_n != out.len || rename(tmp.s, f->path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", f->path, strerror(errno));
        unlink(tmp.s);
        goto done;
    }
    rc = 0;
done:
    sb_free(&tmp);
    sb_free(&out);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */

typedef struct TestOpts {
    bool update;          /* --update: rewrite failing expectations */
    bool broker;          /* --broker: also over Kafka */
    bool verbose;         /* -v: name the cases that pass */
    long long parallelism;/* --parallelism N */
} TestOpts;

static const OptionDef test_flags[] = {
    {.name = "update", .type = OPT_BOOL, .to = {OPT_FIELD(TestOpts, update)}, .letter = 'u',
     .doc = "rewrite the failing expectations from the actual output"},
    {.name = "broker", .type = OPT_BOOL, .to = {OPT_FIELD(TestOpts, broker)},
     .doc = "also run every case over Kafka (an in-process development broker and the real connectors): "
            "each sink's final table must equal the in-memory run's"},
    {.name = "verbose", .type = OPT_BOOL, .to = {OPT_FIELD(TestOpts, verbose)}, .letter = 'v',
     .doc = "also name the cases that pass"},
    {.name = "parallelism", .type = OPT_INT, .to = {OPT_FIELD(TestOpts, parallelism)}, .min = 1, .max = 64, .metavar = "N",
     .doc = "run every case as a job of N tasks per stage ('parallelism.default', unless the case sets it): the plan cut "
            "into stages joined by exchanges, run in memory; the results must be the same"},
    {0},
};

const CmdSpec test_cmd = {
    .name = "test", .args = "FILE.test...", .minargs = 1, .maxargs = -1, .flags = test_flags, .main = cmd_test_main,
    .summary = "run query regression tests in memory (--broker: also over Kafka)",
    .about = "Runs the cases of each file in memory (no broker) and compares what\n"
             "they produce with their expectations.  Prints a diff for each failing\n"
             "case and a final line 'N passed, N failed'; exits 1 if any failed.\n"
             "The file format: docs/test-format.md",
};

typedef struct Totals {
    int passed;           /* cases that match */
    int failed;           /* cases that do not, and files that cannot be read */
    int updated;          /* cases rewritten by --update */
    int files_updated;    /* files rewritten */
} Totals;

/* --broker: the case again over Kafka; every sink's final table must be the
 * in-memory run's, and an error in one run must be an error in the other.
 * A case with a table that is no Kafka topic is not run over Kafka: *why
 * (in a) then says so. */
static bool kafka_agrees(const TestCase *tc, const TestResult *mem, Arena *a, const char **why)
{
    TestResult k;
    memset(&k, 0, sizeof k);
    arena_init(&k.arena, 8192);
    bool ok = true;
    *why = NULL;
    if (test_kafka_runner.run(test_kafka_runner.ctx, tc, &k)) {
        fprintf(stdout, "FAIL %s:%d: %s\n  over Kafka: the runner failed: %s\n", tc->file, tc->line, tc->name, k.error ? k.error : "?");
        ok = false;
    } else if (k.not_kafka) {
        *why = arena_strdup(a, k.not_kafka);
    } else if (!mem->error != !k.error) {
        fprintf(stdout, "FAIL %s:%d: %s\n  over Kafka: %s\n  in memory:  %s\n", tc->file, tc->line, tc->name,
                k.error ? k.error : "no error", mem->error ? mem->error : "no error");
        ok = false;
    } else if (!mem->error) {
        for (int i = 0; i < mem->sinks.n && ok; i++) {
            const TestSink *ms = mem->sinks.v[i];
            const TestSink *ks = test_result_sink(&k, ms->name);
            const char **want, **got = NULL;
            int nw = final_table(ms, a, &want), ng = 0;
            if (ks) ng = final_table(ks, a, &got);
            if (!lines_equal(want, nw, got, ng)) {
                fprintf(stdout, "FAIL %s:%d: %s\n  over Kafka, sink %s's final table differs from the in-memory run: - memory, + Kafka\n",
                        tc->file, tc->line, tc->name, ms->name);
                print_diff(stdout, want, nw, got, ng);
                ok = false;
            }
        }
    }
    sb_free(&k.plans);
    arena_free(&k.arena);
    return ok;
}

static bool broker_mode;   /* --broker: also run every case over Kafka */

static void test_file(const char *path, const TestRunner *runner, bool update, bool verbose, Totals *t)
{
    TestFile f;
    if (tf_load(&f, path)) {
        fprintf(stdout, "FAIL %s\n", f.err);
        t->failed++;
        tf_free(&f);
        return;
    }
    Arena ea;
    arena_init(&ea, 4096);
    PtrList edits = {0};
    int updated = 0;
    for (int ci = 0; ci < f.cases.n; ci++) {
        const TestCase *tc = f.cases.v[ci];
        TestResult r;
        memset(&r, 0, sizeof r);
        arena_init(&r.arena, 8192);
        Arena a;
        arena_init(&a, 8192);
        CaseVerdict cv;
        if (runner->run(runner->ctx, tc, &r)) {
            fprintf(stdout, "FAIL %s:%d: %s\n  the %s runner failed: %s\n", tc->file, tc->line, tc->name, runner->name, r.error ? r.error : "?");
            t->failed++;
        } else {
            judge(tc, &r, &a, &cv);
            /* over Kafka the clock is the wall clock: a case that moves a test clock cannot agree */
            bool over_kafka = broker_mode && !tc->uses_clock && !tc->memory_only;
            const char *not_kafka = NULL;
            if (cv.ok && over_kafka && !kafka_agrees(tc, &r, &a, &not_kafka)) {
                t->failed++;
            } else if (cv.ok) {
                t->passed++;
                const char *only = not_kafka             ? not_kafka
                                   : !broker_mode || over_kafka ? NULL
                                   : tc->memory_only     ? "broker = false"
                                                         : "it moves the clock";
                if (verbose) fprintf(stdout, "ok   %s:%d: %s%s%s%s\n", tc->file, tc->line, tc->name, only ? " (in memory only: " : "",
                                     only ? only : "", only ? ")" : "");
            } else if (update && !cv.unfixable && update_case(&f, tc, &r, &cv, &edits, &ea) > 0) {
                fprintf(stdout, "updated %s:%d: %s\n", tc->file, tc->line, tc->name);
                updated++;
                t->passed++;
            } else {
                report_failure(stdout, tc, &cv, r.error_line, &a);
                t->failed++;
            }
        }
        arena_free(&a);
        sb_free(&r.plans);
        arena_free(&r.arena);
    }
    if (edits.n) {
        char err[600];
        if (write_edits(&f, &edits, err, sizeof err)) {
            fprintf(stdout, "FAIL %s\n", err);
            t->failed += updated;
            t->passed -= updated;
        } else {
            t->updated += updated;
            t->files_updated++;
        }
    }
    arena_free(&ea);
    tf_free(&f);
}

int cmd_test_main(int argc, char **argv)
{
    TestOpts o = {0};
    FlagArgs args;
    int rc = flags_parse(&test_cmd, &o, argc, argv, &args);
    if (rc >= 0) return rc;
    bool update = o.update, verbose = o.verbose;
    broker_mode = o.broker;
    test_parallelism = o.parallelism;
    if (update && test_parallelism > 1) {
        fprintf(stderr, "eddy test: --update rewrites expectations from a run of one task; give it without --parallelism\n");
        return 2;
    }
    Totals t = {0};
    for (int i = 0; i < args.n; i++) test_file(args.v[i], &test_memory_runner, update, verbose, &t);
    if (update && t.updated) printf("updated %d case%s in %d file%s\n", t.updated, t.updated == 1 ? "" : "s", t.files_updated, t.files_updated == 1 ? "" : "s");
    printf("%d passed, %d failed\n", t.passed, t.failed);
    fflush(stdout);
    return t.failed ? 1 : 0;
}
