/*
 * cmd_test_kafka.c — `eddy test --broker`: the same cases through the real
 * Kafka connectors.
 *
 * For each case: an in-process development broker; the case's input
 * records produced to their tables' topics (partition, key, timestamp and
 * the retract "op" header as written); every INSERT run as a Kafka job
 * (bounded: it reads what the topics hold, then finishes); each sink topic
 * read back and decoded by the sink table's own format (its records fed to
 * an in-memory SELECT of the table).  The result holds, per sink, what the
 * topic says — the final table to compare with the in-memory run's.
 * Changelogs are not compared: over Kafka, partitions interleave as they
 * arrive.  Like the rest of the CLI this uses only include/eddy.h (jobs and
 * the development broker).  The end of the input is a final watermark when
 * the case says final-watermark; the clock is the wall clock (the caller
 * leaves out cases that move a test clock), and watermarks advance per
 * polled batch rather than per record.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_test.h"
#include "eddy.h"

typedef struct Produce {
    eddy_broker *b;       /* the case's broker */
    const char  *topic;   /* the table's topic */
    char         err[512];/* failure */
} Produce;

static int produce_one(void *ctx, const char *table, const TestRecord *tr, long long ts, long long offset)
{
    (void)table;
    (void)offset;
    Produce *pr = ctx;
    if (tr->flush || tr->clock) return 0;
    eddy_record rec = {.key = tr->key, .key_len = tr->klen, .value = tr->value, .value_len = tr->vlen, .timestamp = ts,
                       .partition = tr->partition, .op = tr->op};
    return eddy_broker_produce(pr->b, pr->topic, &rec, pr->err, sizeof pr->err);
}

/* Reading a sink back: a SELECT of the sink table's physical columns that
 * the INSERT writes, fed the topic's records in memory; each change is
 * stored as a row of all written columns, metadata ones NULL. */
typedef struct ReadBack {
    eddy_job    *job;     /* the SELECT's job */
    TestResult  *r;       /* the result */
    TestSink    *ts;      /* the sink */
    int          ncols;   /* columns the INSERT writes */
    const char **names;   /* their names */
    bool        *meta;    /* metadata columns (not read back) */
    const char **key;     /* upsert sink: key column names */
    int          nkey;    /* their count, -1 = not upsert */
    bool         failed;  /* a record could not be decoded */
} ReadBack;

static void readback_record(void *ctx, const eddy_record *rec)
{
    ReadBack *rb = ctx;
    if (!rb->failed && eddy_job_push(rb->job, rec)) rb->failed = true;
}

static void readback_change(void *ctx, const eddy_change *c)
{
    ReadBack *rb = ctx;
    const char **values = calloc((size_t)rb->ncols + 1, sizeof *values);
    if (!values) abort();
    StrBuf text = {0};
    sb_printf(&text, "%s[", c->kind);
    for (int k = 0, j = 0; k < rb->ncols; k++) {
        values[k] = rb->meta[k] || j >= c->ncols ? NULL : c->values[j++];
        sb_printf(&text, "%s%s", k ? ", " : "", values[k] ? values[k] : "NULL");
    }
    sb_putc(&text, ']');
    test_sink_add(rb->r, rb->ts, c->kind, text.s, rb->ncols, rb->names, values, rb->key, rb->nkey);
    sb_free(&text);
    free(values);
}

/* A `quoted` identifier for SQL text. */
static void put_ident(StrBuf *b, const char *name)
{
    sb_putc(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`') sb_putc(b, '`');
        sb_putc(b, *p);
    }
    sb_putc(b, '`');
}

/* Reads the topic of sink `sink` of the INSERT (or statement set) back
 * into ts; 0 or -1 (err). */
static int read_sink(eddy_engine *e, eddy_broker *b, const eddy_plan *ins, int sink, TestSink *ts, TestResult *r, char *err,
                     size_t errlen)
{
    eddy_table_info t;
    eddy_plan_sink(ins, sink, &t);
    ReadBack rb = {.r = r, .ts = ts, .ncols = eddy_plan_sink_column_count(ins, sink), .nkey = -1};
    rb.names = calloc((size_t)rb.ncols + 1, sizeof *rb.names);
    rb.meta = calloc((size_t)rb.ncols + 1, sizeof *rb.meta);
    if (!rb.names || !rb.meta) abort();
    Arena a;
    arena_init(&a, 1024);
    if (t.changelog == EDDY_CHANGELOG_UPSERT) {   /* its key's columns */
        const char **key = arena_alloc(&a, sizeof(char *) * (size_t)(rb.ncols + 1));
        int n = 0;
        for (int k = 0; k < rb.ncols; k++) {
            eddy_column c;
            if (eddy_plan_sink_column(ins, sink, k, &c) == EDDY_OK && c.key) key[n++] = c.name;
        }
        if (n) rb.key = key, rb.nkey = n;
    }
    StrBuf q = {0};
    sb_puts(&q, "SELECT ");
    int nsel = 0;
    for (int k = 0; k < rb.ncols; k++) {
        eddy_column c;
        eddy_plan_sink_column(ins, sink, k, &c);
        rb.names[k] = c.name;
        rb.meta[k] = c.kind == EDDY_COLUMN_METADATA;
        if (rb.meta[k]) continue;
        if (nsel++) sb_puts(&q, ", ");
        put_ident(&q, c.name);
    }
    sb_puts(&q, " FROM ");
    put_ident(&q, t.name);
    int rc = -1;
    eddy_script *s = NULL;
    if (eddy_compile(e, q.s, q.len, "<read back>", &s)) {
        snprintf(err, errlen, "%s", eddy_errmsg(e));
        goto out;
    }
    eddy_job_options o = {.on_change = readback_change, .ctx = &rb, .per_record = 1};
    rb.job = eddy_job_new(eddy_script_plan(s, 0), &o, err, errlen);
    if (!rb.job) goto out;
    if (eddy_broker_read(b, t.topic, readback_record, &rb, err, errlen)) goto out;
    if (rb.failed || eddy_job_flush(rb.job)) {
        snprintf(err, errlen, "%s", eddy_job_errmsg(rb.job));
        goto out;
    }
    rc = 0;
out:
    eddy_job_free(rb.job);
    eddy_script_free(s);
    sb_free(&q);
    arena_free(&a);
    free(rb.names);
    free(rb.meta);
    return rc;
}

static void collect_change(void *ctx, const eddy_change *c)
{
    TestSink *s = ((void **)ctx)[0];
    TestResult *r = ((void **)ctx)[1];
    test_sink_add(r, s, c->kind, c->text, c->ncols, c->names, c->values, NULL, -1);
}

/* A table a job of the script reads or writes that is no Kafka topic
 * (connector 'datagen', 'print', …): r->not_kafka says which; true. */
static bool uses_other_connector(const eddy_script *s, TestResult *r)
{
    for (int i = 0; i < eddy_script_count(s); i++) {
        const eddy_plan *p = eddy_script_plan(s, i);
        eddy_stmt_kind kind = eddy_script_kind(s, i);
        if (!p || (kind != EDDY_STMT_INSERT && kind != EDDY_STMT_SELECT)) continue;
        int ns = eddy_plan_source_count(p), nk = eddy_plan_sink_count(p);
        for (int t = 0; t < ns + nk; t++) {
            eddy_table_info ti;
            if ((t < ns ? eddy_plan_source(p, t, &ti) : eddy_plan_sink(p, t - ns, &ti)) != EDDY_OK) continue;
            if (strcmp(ti.connector, "kafka") == 0 || strcmp(ti.connector, "upsert-kafka") == 0) continue;
            r->not_kafka = arena_printf(&r->arena, "table '%s' has connector '%s', not a Kafka topic", ti.name, ti.connector);
            return true;
        }
    }
    return false;
}

static int kafka_run(void *ctx, const TestCase *tc, TestResult *r)
{
    (void)ctx;
    char err[1024];
    eddy_engine *e = eddy_engine_new();
    PtrList scripts = {0}, produced = {0}, sinks = {0};   /* sinks: (const eddy_plan *, sink index, TestSink *) triples */
    Arena tmp;
    arena_init(&tmp, 4096);
    for (int si = 0; si < tc->nsecs && !r->error; si++) {
        const TestSection *sec = tc->secs[si];
        if (sec->kind != TS_SQL) continue;
        eddy_script *s = NULL;
        if (eddy_compile(e, sec->sql, sec->sql_len, tc->file, &s)) {
            r->error = arena_strdup(&r->arena, eddy_errmsg(e));
            break;
        }
        ptrlist_push(&tmp, &scripts, s);
    }
    /* Only Kafka tables can go through a broker: a case with another
     * connector runs in memory only (the caller says so). */
    for (int k = 0; k < scripts.n && !r->error; k++)
        if (uses_other_connector(scripts.v[k], r)) break;
    eddy_broker *b = NULL;
    int rc = 0;
    if (!r->error && !r->not_kafka && eddy_broker_start(1, 1, &b, err, sizeof err)) {
        r->error = arena_printf(&r->arena, "cannot start the development broker: %s", err);
        rc = -1;   /* no broker: nothing below runs */
    }
    const char *bs = b ? eddy_broker_bootstrap(b) : NULL;
    int nselect = 0;
    for (int k = 0; k < scripts.n && !r->error && b; k++) {
        eddy_script *s = scripts.v[k];
        for (int i = 0; i < eddy_script_count(s) && !r->error; i++) {
            const eddy_plan *p = eddy_script_plan(s, i);
            eddy_stmt_kind kind = eddy_script_kind(s, i);
            if (!p || (kind != EDDY_STMT_INSERT && kind != EDDY_STMT_SELECT)) continue;
            eddy_table_info sink;
            bool has_sink = eddy_plan_sink(p, 0, &sink) == EDDY_OK;
            /* Each source topic, with as many partitions as the records use, produced once. */
            for (int si = 0; si < eddy_plan_source_count(p) && !r->error; si++) {
                eddy_table_info src;
                eddy_plan_source(p, si, &src);
                bool done = false;
                for (int q = 0; q < produced.n; q++) done = done || strcmp(produced.v[q], src.topic) == 0;
                if (done) continue;
                /* as many partitions as the case declares, else as its records use */
                int *parts = NULL, np = test_table_partitions(tc, src.name, &tmp, &parts);
                eddy_broker_create_topic(b, src.topic, np > 0 ? parts[np - 1] + 1 : 1, err, sizeof err);
                Produce pr = {.b = b, .topic = src.topic};
                if (test_case_records(tc, &src.name, 1, produce_one, &pr) || eddy_broker_flush(b, pr.err, sizeof pr.err))
                    r->error = arena_printf(&r->arena, "producing the input of '%s': %s", src.name, pr.err);
                ptrlist_push(&tmp, &produced, (void *)src.topic);
            }
            if (r->error) break;
            bool made;
            TestSink *ts = test_sink_for(r, has_sink ? sink.name : NULL, &nselect, &made);
            if (made) ts->upsert = has_sink && sink.changelog == EDDY_CHANGELOG_UPSERT;
            /* a statement set writes a sink per INSERT: each is read back */
            int nsinks = has_sink ? eddy_plan_sink_count(p) : 0;
            TestSink **sts = arena_alloc(&tmp, sizeof *sts * (size_t)(nsinks + 1));
            StrBuf names = {0};
            for (int k2 = 0; k2 < nsinks; k2++) {
                eddy_table_info ti;
                eddy_plan_sink(p, k2, &ti);
                sts[k2] = k2 ? test_sink_for(r, ti.name, &nselect, &made) : ts;
                if (k2 && made) sts[k2]->upsert = ti.changelog == EDDY_CHANGELOG_UPSERT;
                sb_printf(&names, "%s%s", k2 ? "+" : "", ti.name);
            }
            void *cctx[2] = {ts, r};
            /* the end of the input is a final watermark only when the case says so */
            eddy_job_options o = {.on_change = has_sink ? NULL : collect_change, .ctx = cctx, .bounded = 1,
                                  .open_end = !tc->final_watermark};
            eddy_job *j = eddy_job_new(p, &o, err, sizeof err);
            if (!j) {
                r->error = arena_strdup(&r->arena, err);
                sb_free(&names);
                break;
            }
            if (eddy_job_run(j, bs, NULL)) r->error = arena_strdup(&r->arena, eddy_job_errmsg(j));
            TestJob *tj = arena_alloc(&r->arena, sizeof *tj);
            *tj = (TestJob){.sink = nsinks > 1 ? arena_strdup(&r->arena, names.s) : ts->name};
            sb_free(&names);
            tj->nsources = test_plan_sources(p, &r->arena, &tj->sources);
            eddy_job_counts(j, &tj->in, &tj->out, &tj->skipped);
            ptrlist_push(&r->arena, &r->jobs, tj);
            eddy_job_free(j);
            for (int k2 = 0; k2 < nsinks; k2++) {
                /* read each sink topic once, after every job that writes it */
                bool seen = false;
                for (int q = 0; q < sinks.n; q += 3) seen = seen || sinks.v[q + 2] == sts[k2];
                if (seen) continue;
                ptrlist_push(&tmp, &sinks, (void *)p);
                ptrlist_push(&tmp, &sinks, (void *)(intptr_t)k2);
                ptrlist_push(&tmp, &sinks, sts[k2]);
            }
        }
    }
    for (int q = 0; q < sinks.n && !r->error; q += 3) {
        TestSink *ts = sinks.v[q + 2];
        if (read_sink(e, b, sinks.v[q], (int)(intptr_t)sinks.v[q + 1], ts, r, err, sizeof err))
            r->error = arena_printf(&r->arena, "reading back '%s': %s", ts->name, err);
    }
    for (int k = 0; k < scripts.n; k++) eddy_script_free(scripts.v[k]);
    arena_free(&tmp);
    eddy_engine_free(e);
    eddy_broker_free(b);
    return rc;
}

const TestRunner test_kafka_runner = {"kafka", kafka_run, NULL};
