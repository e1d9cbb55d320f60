/*
 * op_sink.c — the Kafka sink and the client collector.
 *
 * The sink maps its input to the table's written columns (NULL where the
 * INSERT did not list a column), enforces NOT NULL, hands rows to the row
 * callback (tests, embedding) and encodes records per changelog mode:
 *   upsert   key = key columns, value = the row; -D (and -U) → tombstone
 *   append   value = the row (key = key.fields if any); only inserts arrive
 *   retract  value = the row; -U, +U and -D carry the row kind in the
 *            record header "op", +I carries no header (a retract source
 *            reads a record without one as +I, so an insert-only retract
 *            topic is an append topic)
 * The collector (bare SELECT) only calls the row callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "exec.h"
#include "format.h"

typedef struct SinkState {
    JsonField *key_fields;   /* key columns (slot = sink row index) */
    int        nkey;         /* count */
    JsonField *value_fields; /* value columns */
    int        nvalue;       /* count */
    int        ts_slot;      /* sink row index of a 'timestamp' metadata column, or -1 */
    Value     *row;          /* scratch sink row */
    StrBuf     key, value;   /* scratch encodings */
    RecEncoder *key_enc;     /* the key's format (format.h), or NULL */
    RecEncoder *value_enc;   /* the value's */
} SinkState;

/* Sinks by connector kind: a table whose rows go to a database has its
 * own operator (the Kafka sink is this file's). */
static const OpVTable *const sink_by_kind[] = {[CONN_KAFKA] = NULL, [CONN_JDBC] = &op_sink_jdbc_vt, [CONN_DATAGEN] = NULL,
                                               [CONN_BLACKHOLE] = &op_sink_blackhole_vt, [CONN_PRINT] = &op_sink_print_vt,
                                               [CONN_EXCHANGE] = &op_exchange_sink_vt};

static int sink_init(OpState *s)
{
    const PlanNode *n = s->node;
    const PlanTable *t = plan_sink(n)->table;
    if (sink_by_kind[t->conn.kind]) {
        s->vt = sink_by_kind[t->conn.kind];
        return s->vt->init(s);
    }
    SinkState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->ts_slot = -1;
    st->key_fields = calloc((size_t)plan_sink(n)->nsink + 1, sizeof(JsonField));
    st->value_fields = calloc((size_t)plan_sink(n)->nsink + 1, sizeof(JsonField));
    st->row = calloc((size_t)plan_sink(n)->nsink + 1, sizeof(Value));
    if (!st->key_fields || !st->value_fields || !st->row) abort();
    for (int k = 0; k < plan_sink(n)->nsink; k++) {
        const CatColumn *c = &t->cols[plan_sink(n)->sink_cols[k]];
        if (c->kind == COL_METADATA) {
            if (strcmp(c->meta_key, "timestamp") == 0) st->ts_slot = k;
            continue;
        }
        /* 'key.fields-prefix': the key format's field is the column's name without it */
        if (c->is_key) st->key_fields[st->nkey++] = (JsonField){c->name + (t->conn.key_prefix ? strlen(t->conn.key_prefix) : 0), c->type, k};
        if (!c->is_key || !t->conn.value_except_key) st->value_fields[st->nvalue++] = (JsonField){c->name, c->type, k};
    }
    /* Avro subjects follow the TopicNameStrategy: <topic>-key, <topic>-value. */
    char ferr[512], subject[512];
    snprintf(subject, sizeof subject, "%s-value", t->conn.topic);
    FormatSpec vs = {t->conn.value_format, t->conn.value_url, subject, NULL, &t->conn.value_json};
    if (!(st->value_enc = recenc_new(&vs, st->value_fields, st->nvalue, ferr, sizeof ferr)))
        return job_fail(s->job, "table '%s': value: %s", t->name, ferr);
    snprintf(subject, sizeof subject, "%s-key", t->conn.topic);
    FormatSpec ks = {t->conn.key_format, t->conn.key_url, subject, NULL, &t->conn.key_json};
    if (st->nkey && !(st->key_enc = recenc_new(&ks, st->key_fields, st->nkey, ferr, sizeof ferr)))
        return job_fail(s->job, "table '%s': key: %s", t->name, ferr);
    return 0;
}

static void sink_end(OpState *s)
{
    SinkState *st = s->priv;
    if (!st) return;
    free(st->key_fields);
    free(st->value_fields);
    free(st->row);
    sb_free(&st->key);
    sb_free(&st->value);
    recenc_free(st->key_enc);
    recenc_free(st->value_enc);
    free(st);
}

static int sink_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    (void)out;
    const PlanNode *n = s->node;
    const PlanTable *t = plan_sink(n)->table;
    SinkState *st = s->priv;
    Job *j = s->job;
    char err[512];
    for (int i = 0; i < in->n; i++) {
        const Value *src = batch_row(in, i);
        RowKind k = in->kinds[i];
        int null_col = -1;
        for (int c = 0; c < plan_sink(n)->nsink; c++) {
            st->row[c] = plan_sink(n)->sink_map[c] < 0 ? (Value){.null = 1} : src[plan_sink(n)->sink_map[c]];
            if (st->row[c].null && !n->cols[c].type.nullable && null_col < 0) null_col = c;
        }
        if (null_col >= 0) {
            if (!j->plan->config.not_null_drop)
                return job_fail(j, "column '%s' of table '%s' is NOT NULL but the query produced NULL for it "
                                   "(SET 'table.exec.sink.not-null-enforcer' = 'DROP' drops such rows)", n->cols[null_col].name, t->name);
            j->stats.null_dropped++;
            job_notice_limited(j, &j->skip_log, 5000, "dropped a %s row for table '%s': NULL in NOT NULL column '%s' "
                               "('table.exec.sink.not-null-enforcer' = 'DROP'; %lld dropped so far)", rowkind_str(k), t->name,
                               n->cols[null_col].name, (long long)j->stats.null_dropped);
            continue;
        }
        j->stats.rows_out++;
        if (j->on_row) j->on_row(j->row_ctx, k, st->row, n->cols, plan_sink(n)->nsink, t->name);
        if (!j->out.emit) continue;
        OutRecord r = {.topic = t->conn.topic, .partition = -1};   /* (the driver knows the topics of 'sink.partitioner' 'fixed') */
        if (st->nkey) {
            st->key.len = 0;
            if (recenc_encode(st->key_enc, st->row, &st->key, err, sizeof err)) return job_fail(j, "sink '%s': key: %s", t->name, err);
            r.key = st->key.s ? st->key.s : "";
            r.klen = st->key.len;
        }
        /* Upsert: a -U is written as a tombstone, as Flink's upsert-kafka
         * does.  By default the planner spares upsert sinks the -U/+U pairs
         * of aggregates (they get +U alone), so a -U arrives only when
         * nothing follows it for that key — e.g. a retract source row a
         * filter removed — and the key must go.  With mini-batch off
         * (Flink's changelog) -U arrive wherever Flink's planner keeps them
         * (a filter below the sink), each a tombstone as in Flink. */
        bool tombstone = t->conn.mode == MODE_UPSERT && (k == RK_DELETE || k == RK_UPDATE_BEFORE);
        if (!tombstone) {
            st->value.len = 0;
            if (recenc_encode(st->value_enc, st->row, &st->value, err, sizeof err)) return job_fail(j, "sink '%s': %s", t->name, err);
            r.val = st->value.s ? st->value.s : "";
            r.vlen = st->value.len;
        }
        if (st->ts_slot >= 0 && !st->row[st->ts_slot].null) r.ts = st->row[st->ts_slot].i;
        /* No header on +I: librdkafka 2.0.2 allocates three blocks per
         * header (list, array, entry) and frees them on delivery; measured
         * 0.5 CPU-s per 1M records of the enrichment job (bench/README.md). */
        if (t->conn.mode == MODE_RETRACT && k != RK_INSERT) r.op = rowkind_str(k);
        if (t->conn.mode == MODE_APPEND && k != RK_INSERT)
            return job_fail(j, "append-only table '%s' received a %s row", t->name, rowkind_str(k));
        if (j->out.emit(j->out.ctx, &r, err, sizeof err)) return job_fail(j, "sink '%s': %s", t->name, err);
        j->stats.records_out++;
    }
    return 0;
}

static int collect_init(OpState *s)
{
    (void)s;
    return 0;
}

static int collect_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    (void)out;
    Job *j = s->job;
    for (int i = 0; i < in->n; i++) {
        /* LIMIT n: the first n changes, then the query is done */
        if (plan_collect(s->node)->limit >= 0 && j->stats.rows_out >= plan_collect(s->node)->limit) {
            j->done = true;
            return 0;
        }
        j->stats.rows_out++;
        if (j->on_row) j->on_row(j->row_ctx, in->kinds[i], batch_row(in, i), s->node->cols, s->node->ncols, NULL);
    }
    if (plan_collect(s->node)->limit >= 0 && j->stats.rows_out >= plan_collect(s->node)->limit) j->done = true;
    return 0;
}

static void collect_end(OpState *s) { (void)s; }

const OpVTable op_sink_vt = {.init = sink_init, .process = sink_process, .end = sink_end};
const OpVTable op_collect_vt = {.init = collect_init, .process = collect_process, .end = collect_end};
