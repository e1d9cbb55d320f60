/*
 * cmd_test_kafka.c — `eddy test --broker`: the same cases through the real
 * Kafka connectors.
 *
 * For each case: an in-process development broker; the case's input
 * records produced to their tables' topics (partition, key, timestamp and
 * the retract "op" header as written); every INSERT run as a Kafka job
 * (bounded: it reads what the topics hold, then finishes); each sink topic
 * read back and decoded.  The result holds, per sink, what the topic says
 * — the final table to compare with the in-memory run's.  Changelogs are
 * not compared: over Kafka, partitions interleave as they arrive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_test.h"
#include "codec.h"
#include "eddy.h"
#include "exec.h"
#include "kafka.h"
#include "kafka_driver.h"
#include "plan.h"

typedef struct Produce {
    kafka_producer *p;    /* producer */
    const char     *topic;/* the table's topic */
    char            err[512]; /* failure */
} Produce;

static int produce_one(void *ctx, const TestRecord *tr, long long ts, long long offset)
{
    (void)offset;
    Produce *pr = ctx;
    if (tr->flush) return 0;
    kafka_header h = {"op", tr->op, tr->op ? strlen(tr->op) : 0};
    return kafka_produce(pr->p, pr->topic, tr->partition, tr->key, tr->klen, tr->value, tr->vlen, ts, &h, tr->op ? 1 : 0, pr->err,
                         sizeof pr->err);
}

static int max_partition(void *ctx, const TestRecord *tr, long long ts, long long offset)
{
    (void)ts;
    (void)offset;
    int *m = ctx;
    if (!tr->flush && tr->partition > *m) *m = tr->partition;
    return 0;
}

/* Reads a sink topic from the beginning to its current end into TestChanges. */
static int read_sink(const char *bs, const SinkPlan *sink, TestSink *ts, TestResult *r, char *err, size_t errlen)
{
    const PlanTable *t = sink->table;
    int rc = -1, nparts = 0;
    kafka_consumer *c = kafka_consumer_new(bs, NULL, err, errlen);
    if (!c) return -1;
    JsonField *vf = calloc((size_t)sink->nsink + 1, sizeof *vf), *kf = calloc((size_t)sink->nsink + 1, sizeof *kf);
    Value *row = calloc((size_t)sink->nsink + 1, sizeof *row);
    if (!vf || !kf || !row) abort();
    int nv = 0, nk = 0;
    for (int k = 0; k < sink->nsink; k++) {
        const CatColumn *col = &t->cols[sink->sink_cols[k]];
        if (col->kind == COL_METADATA) continue;
        if (col->is_key) kf[nk++] = (JsonField){col->name, col->type, k};
        if (!col->is_key || !t->conn.value_except_key) vf[nv++] = (JsonField){col->name, col->type, k};
    }
    JsonDecoder *vd = json_decoder_new(vf, nv), *kd = nk ? json_decoder_new(kf, nk) : NULL;
    Arena a;
    arena_init(&a, 4096);
    if (kafka_partition_count(c, t->conn.topic, 5000, &nparts, err, errlen)) {
        /* nothing was ever written: an empty table */
        rc = 0;
        goto out;
    }
    kafka_tp *tps = calloc((size_t)nparts, sizeof *tps);
    int64_t *end = calloc((size_t)nparts, sizeof *end);
    int64_t left = 0;
    for (int i = 0; i < nparts; i++) {
        int64_t lo;
        tps[i] = (kafka_tp){t->conn.topic, i, KAFKA_OFFSET_BEGINNING};
        if (kafka_watermarks(c, t->conn.topic, i, &lo, &end[i], 5000, err, errlen)) goto out2;
        left += end[i] - lo;
    }
    if (kafka_assign(c, tps, nparts, err, errlen)) goto out2;
    kafka_msg msgs[256];
    int idle = 0;
    while (left > 0 && idle < 100) {
        int n = kafka_poll_batch(c, msgs, 256, 100, err, errlen);
        if (n < 0) goto out2;
        idle = n ? 0 : idle + 1;
        for (int i = 0; i < n; i++) {
            left--;
            TestChange *ch = arena_alloc(&r->arena, sizeof *ch);
            const void *op = NULL;
            size_t oplen = 0;
            ch->kind = "+I";
            if (t->conn.mode == MODE_RETRACT && kafka_msg_header(&msgs[i], "op", &op, &oplen) == 0 && oplen == 2)
                ch->kind = arena_strndup(&r->arena, op, 2);
            if (t->conn.mode == MODE_UPSERT) ch->kind = msgs[i].value ? "+U" : "-D";
            ch->key = msgs[i].key ? arena_strndup(&r->arena, msgs[i].key, msgs[i].klen) : "";
            for (int k = 0; k < sink->nsink; k++) row[k] = (Value){.null = 1};
            if (msgs[i].value && json_decode(vd, msgs[i].value, msgs[i].vlen, row, &a, err, errlen)) goto bad;
            if (kd && msgs[i].key && (t->conn.value_except_key || !msgs[i].value) &&
                json_decode(kd, msgs[i].key, msgs[i].klen, row, &a, err, errlen))
                goto bad;
            StrBuf b = {0};
            sb_putc(&b, '[');
            for (int k = 0; k < sink->nsink; k++) {
                if (k) sb_puts(&b, ", ");
                value_print(&b, sink->node.cols[k].type, &row[k]);
            }
            sb_putc(&b, ']');
            ch->row = arena_strdup(&r->arena, b.s);
            ch->text = arena_printf(&r->arena, "%s%s", ch->kind, ch->row);
            sb_free(&b);
            ptrlist_push(&r->arena, &ts->changes, ch);
        }
        kafka_release_batch(c, msgs, n);
        continue;
    bad:
        kafka_release_batch(c, msgs, n);
        goto out2;
    }
    rc = left > 0 ? (snprintf(err, errlen, "sink topic '%s': %lld records never arrived", t->conn.topic, (long long)left), -1) : 0;
out2:
    free(tps);
    free(end);
out:
    arena_free(&a);
    json_decoder_free(vd);
    json_decoder_free(kd);
    free(vf);
    free(kf);
    free(row);
    kafka_consumer_free(c);
    return rc;
}

static void collect_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols)
{
    TestSink *s = ((void **)ctx)[0];
    TestResult *r = ((void **)ctx)[1];
    StrBuf b = {0};
    sb_putc(&b, '[');
    for (int i = 0; i < ncols; i++) {
        if (i) sb_puts(&b, ", ");
        value_print(&b, cols[i].type, &row[i]);
    }
    sb_putc(&b, ']');
    TestChange *ch = arena_alloc(&r->arena, sizeof *ch);
    ch->kind = rowkind_str(k);
    ch->row = arena_strdup(&r->arena, b.s);
    ch->text = arena_printf(&r->arena, "%s%s", ch->kind, ch->row);
    sb_free(&b);
    ptrlist_push(&r->arena, &s->changes, ch);
}

static int kafka_run(void *ctx, const TestCase *tc, TestResult *r)
{
    (void)ctx;
    char err[1024];
    kafka_broker *b = NULL;
    if (kafka_broker_start(1, 1, &b, err, sizeof err)) {
        r->error = arena_printf(&r->arena, "cannot start the development broker: %s", err);
        return -1;
    }
    const char *bs = kafka_broker_bootstrap(b);
    eddy_engine *e = eddy_engine_new();
    PtrList scripts = {0}, produced = {0}, sinks = {0};   /* sinks: (PlanNode *, TestSink *) pairs */
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
    int nselect = 0;
    for (int k = 0; k < scripts.n && !r->error; k++) {
        eddy_script *s = scripts.v[k];
        for (int i = 0; i < eddy_script_count(s) && !r->error; i++) {
            const Plan *p = (const Plan *)eddy_script_plan(s, i);
            eddy_stmt_kind kind = eddy_script_kind(s, i);
            if (!p || (kind != EDDY_STMT_INSERT && kind != EDDY_STMT_SELECT)) continue;
            const PlanTable *src = p->sources[0]->table;
            /* The source topic, with as many partitions as the records use, produced once. */
            bool done = false;
            for (int q = 0; q < produced.n; q++) done = done || strcmp(produced.v[q], src->conn.topic) == 0;
            if (!done) {
                int maxp = 0;
                test_case_records(tc, src->name, max_partition, &maxp);
                kafka_broker_create_topic(b, src->conn.topic, maxp + 1, err, sizeof err);
                const char *props[] = {"linger.ms", "0", NULL};
                Produce pr = {.topic = src->conn.topic};
                pr.p = kafka_producer_new(bs, props, err, sizeof err);
                if (!pr.p || test_case_records(tc, src->name, produce_one, &pr) || kafka_producer_flush(pr.p, 10000, pr.err, sizeof pr.err)) {
                    r->error = arena_printf(&r->arena, "producing the input of '%s': %s", src->name, pr.p ? pr.err : err);
                    kafka_producer_free(pr.p);
                    break;
                }
                kafka_producer_free(pr.p);
                ptrlist_push(&tmp, &produced, (void *)src->conn.topic);
            }
            const char *sink_name = p->nsinks ? p->sinks[0]->table->name : NULL;
            if (!sink_name) {
                nselect++;
                sink_name = nselect == 1 ? "select" : arena_printf(&r->arena, "select%d", nselect);
            }
            TestSink *ts = test_result_sink(r, sink_name);
            if (!ts) {
                ts = arena_alloc(&r->arena, sizeof *ts);
                ts->name = arena_strdup(&r->arena, sink_name);
                ts->upsert = p->nsinks && p->sinks[0]->table->conn.mode == MODE_UPSERT;
                ptrlist_push(&r->arena, &r->sinks, ts);
            }
            Job *j = job_new(p, err, sizeof err);
            if (!j) {
                r->error = arena_strdup(&r->arena, err);
                break;
            }
            void *cctx[2] = {ts, r};
            if (!p->nsinks) {
                j->on_row = collect_row;
                j->row_ctx = cctx;
            }
            j->bounded = true;
            volatile sig_atomic_t stop = 0;
            if (job_run_kafka(j, bs, &stop)) r->error = arena_strdup(&r->arena, j->err);
            TestJob *tj = arena_alloc(&r->arena, sizeof *tj);
            *tj = (TestJob){src->name, ts->name, j->stats.records_in, j->stats.rows_out, j->stats.skipped};
            ptrlist_push(&r->arena, &r->jobs, tj);
            job_free(j);
            if (p->nsinks) {
                /* read each sink topic once, after every job that writes it */
                bool seen = false;
                for (int q = 0; q < sinks.n; q += 2) seen = seen || sinks.v[q + 1] == ts;
                if (!seen) ptrlist_push(&tmp, &sinks, (void *)p->sinks[0]), ptrlist_push(&tmp, &sinks, ts);
            }
        }
    }
    for (int q = 0; q < sinks.n && !r->error; q += 2) {
        TestSink *ts = sinks.v[q + 1];
        if (read_sink(bs, sinks.v[q], ts, r, err, sizeof err)) r->error = arena_printf(&r->arena, "reading back '%s': %s", ts->name, err);
    }
    for (int k = 0; k < scripts.n; k++) eddy_script_free(scripts.v[k]);
    arena_free(&tmp);
    eddy_engine_free(e);
    kafka_broker_free(b);
    return 0;
}

const TestRunner test_kafka_runner = {"kafka", kafka_run, NULL};
