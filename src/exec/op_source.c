/*
 * op_source.c — the Kafka source operator: record key and value bytes to
 * rows, per the table's formats, plus metadata columns (timestamp,
 * partition, offset, topic, key).  Only the columns the next operator reads
 * are decoded (projection pushdown).  A malformed record fails the job
 * naming topic, partition, offset and reason, or with 'error.mode'='skip'
 * is counted (and copied to the dead-letter topic if one is set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "clock.h"
#include "exec.h"
#include "kafka.h"
#include "format.h"

typedef struct SourceState {
    RecDecoder  *value_dec;  /* value columns (format.h) */
    RecDecoder  *key_dec;    /* key columns, or NULL */
    int          raw_value;  /* 'raw' value format: output column index of the one value column, else -1 */
    int          raw_key;    /* 'raw' key format: output column of the key, else -1 */
    bool         key_from_key; /* key columns come from the record key (EXCEPT_KEY, or always for tombstones) */
    int         *meta;       /* output index → metadata kind (0 none, 1 timestamp, 2 partition, 3 offset, 4 topic, 5 key) */
    const bool  *needed;     /* output columns some consumer reads (the plan's projection push-down) */
    int         *rowrec;     /* per output row of the current batch: index of its record */
    int          caprowrec;  /* capacity of rowrec */
    bool        *decode;     /* needed, plus the columns the WATERMARK expression reads; or NULL (= needed) */
    WmGen       *wm;         /* the watermark generator (watermark.c), NULL without a WATERMARK */
} SourceState;

/* Sources by connector kind: a table read from a system of its own (a
 * database) has its own operator (the Kafka source is this file's). */
static const OpVTable *const source_by_kind[] = {[CONN_KAFKA] = NULL, [CONN_JDBC] = &op_scan_jdbc_vt, [CONN_DATAGEN] = &op_datagen_vt,
                                                 [CONN_BLACKHOLE] = NULL, [CONN_PRINT] = NULL,
                                                 [CONN_NEXMARK] = &op_nexmark_vt, [CONN_EXCHANGE] = &op_exchange_source_vt};

static WmGen *kafka_wmgen(const OpState *src) { return src->priv ? ((const SourceState *)src->priv)->wm : NULL; }

WmGen *source_wmgen(const OpState *src) { return src->vt->wmgen ? src->vt->wmgen(src) : NULL; }

/* Marks the columns e reads. */
static void mark_columns(const BExpr *e, bool *cols, int ncols)
{
    if (!e) return;
    if (e->kind == BX_COL && e->col >= 0 && e->col < ncols) cols[e->col] = true;
    mark_columns(e->a, cols, ncols);
    mark_columns(e->b, cols, ncols);
    for (int i = 0; i < e->nargs; i++) mark_columns(e->args[i], cols, ncols);
}

enum { META_NONE, META_TS, META_PARTITION, META_OFFSET, META_TOPIC, META_KEY };

static int source_init(OpState *s)
{
    const PlanNode *n = s->node;
    const SourcePlan *sp = plan_source(n);
    const PlanTable *t = sp->table;
    if (source_by_kind[t->conn.kind]) {
        s->vt = source_by_kind[t->conn.kind];
        return s->vt->init(s);
    }
    SourceState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->raw_value = st->raw_key = -1;
    st->meta = calloc((size_t)n->ncols + 1, sizeof *st->meta);
    st->needed = sp->needed;
    if (!st->meta) abort();
    if (sp->watermark) {
        /* the watermark reads its columns even where no consumer does */
        st->decode = calloc((size_t)n->ncols + 1, sizeof *st->decode);
        if (!st->decode) abort();
        memcpy(st->decode, sp->needed, sizeof *st->decode * (size_t)n->ncols);
        mark_columns(sp->watermark, st->decode, n->ncols);
        st->needed = st->decode;
        st->wm = wm_new(s);
    }

    JsonField *vf = calloc((size_t)n->ncols + 1, sizeof *vf), *kf = calloc((size_t)n->ncols + 1, sizeof *kf);
    if (!vf || !kf) abort();
    int nv = 0, nk = 0;
    char ferr[512];
    for (int i = 0; i < n->ncols; i++) {
        const CatColumn *c = &t->cols[sp->src_cols[i]];
        if (c->kind == COL_METADATA) {
            static const char *const keys[] = {"", "timestamp", "partition", "offset", "topic", "key"};
            for (int m = 1; m <= META_KEY; m++)
                if (strcmp(c->meta_key, keys[m]) == 0) st->meta[i] = m;
            continue;
        }
        /* 'key.fields-prefix': the key format's field is the column's name without it */
        if (c->is_key) kf[nk++] = (JsonField){c->name + (t->conn.key_prefix ? strlen(t->conn.key_prefix) : 0), c->type, i};
        if (!c->is_key || !t->conn.value_except_key) vf[nv++] = (JsonField){c->name, c->type, st->needed[i] ? i : -1};
    }
    st->key_from_key = t->conn.value_except_key;
    if (t->conn.value_format == FMT_RAW) {
        if (nv != 1 || (vf[0].type.kind != TY_STRING && vf[0].type.kind != TY_BYTES)) {
            free(vf);
            free(kf);
            return job_fail(s->job, "table '%s': format 'raw' needs exactly one STRING or BYTES value column", t->name);
        }
        st->raw_value = vf[0].slot;
    } else {
        FormatSpec fs = {t->conn.value_format, t->conn.value_url, NULL, NULL, &t->conn.value_json};
        st->value_dec = recdec_new(&fs, vf, nv, ferr, sizeof ferr);
        if (!st->value_dec) goto fail;
        recdec_set_envelope(st->value_dec, t->conn.dbz_schema_include);
    }
    if (nk) {
        FormatSpec fs = {t->conn.key_format == FMT_RAW ? FMT_JSON : t->conn.key_format, t->conn.key_url, NULL, NULL, &t->conn.key_json};
        if (t->conn.key_format == FMT_RAW && nk == 1) st->raw_key = kf[0].slot;
        else if (!(st->key_dec = recdec_new(&fs, kf, nk, ferr, sizeof ferr))) goto fail;
    }
    free(vf);
    free(kf);
    return 0;
fail:
    free(vf);
    free(kf);
    return job_fail(s->job, "table '%s': %s", t->name, ferr);
}

static void source_end(OpState *s)
{
    SourceState *st = s->priv;
    if (!st) return;
    recdec_free(st->value_dec);
    recdec_free(st->key_dec);
    free(st->meta);
    free(st->rowrec);
    free(st->decode);
    wm_free(st->wm);
    free(st);
}

static int parse_kind(const RawRecord *r, RowKind *k)
{
    if (!r->op) {
        *k = RK_INSERT;
        return 0;
    }
    static const char *const names[] = {"+I", "-U", "+U", "-D"};
    for (int i = 0; i < 4; i++)
        if (r->oplen == 2 && memcmp(r->op, names[i], 2) == 0) {
            *k = (RowKind)i;
            return 0;
        }
    return -1;
}

/* The metadata columns of row from record r. */
static void fill_meta(const SourceState *st, int ncols, const RawRecord *r, Value *row)
{
    for (int i = 0; i < ncols; i++) {
        switch (st->meta[i]) {
        case META_NONE: break;
        case META_TS: row[i] = (Value){.i = r->ts}; break;
        case META_PARTITION: row[i] = (Value){.i = r->partition}; break;
        case META_OFFSET: row[i] = (Value){.i = r->offset}; break;
        case META_TOPIC: row[i] = (Value){.s = r->topic, .n = r->topic ? (int32_t)strlen(r->topic) : 0, .null = r->topic == NULL}; break;
        case META_KEY: row[i] = (Value){.s = r->key, .n = (int32_t)r->klen, .null = r->key == NULL}; break;
        }
    }
}

/* 'json.ignore-parse-errors' set values it could not convert to NULL:
 * not silently — a notice (at a bounded rate) names the record and why. */
static void nulled_notice(OpState *s, const RawRecord *r, const RecDecoder *dec, const char *side)
{
    const char *why;
    int n = recdec_nulled(dec, &why);
    if (!n) return;
    const PlanTable *t = plan_source(s->node)->table;
    job_notice_limited(s->job, &s->job->skip_log, 5000,
                       "%d %svalue%s of the record in topic '%s' partition %d offset %lld set to NULL "
                       "('json.ignore-parse-errors'): %s", n, side, n == 1 ? "" : "s", r->topic ? r->topic : t->conn.topic,
                       (int)r->partition, (long long)r->offset, why ? why : "");
}

/* One record → one row (0), a record to skip silently (1), a malformed
 * record (-1; -3 when its format skips it whatever 'error.mode' says:
 * 'json.ignore-parse-errors'), or a failure that is not the record's (-2:
 * the schema registry cannot be reached); the message in err. */
static int decode_one(OpState *s, const RawRecord *r, Value *row, RowKind *kind, char *err, size_t errlen)
{
    SourceState *st = s->priv;
    const PlanNode *n = s->node;
    const PlanTable *t = plan_source(n)->table;
    Arena *a = &s->job->batch_arena;
    for (int i = 0; i < n->ncols; i++) row[i] = (Value){.null = 1};
    *kind = RK_INSERT;
    if (t->conn.mode == MODE_RETRACT && parse_kind(r, kind)) {
        snprintf(err, errlen, "header 'op' is '%.*s', expected +I, -U, +U or -D", (int)(r->oplen > 8 ? 8 : r->oplen), r->op);
        return -1;
    }
    bool tombstone = r->val == NULL;
    if (tombstone) {
        if (t->conn.mode != MODE_UPSERT) {
            if (t->conn.mode == MODE_APPEND) return 1;  /* a tombstone in an append table carries no row: skip it */
            snprintf(err, errlen, "record has no value");
            return -1;
        }
        *kind = RK_DELETE;
    } else if (st->raw_value >= 0) {
        row[st->raw_value] = (Value){.s = r->val, .n = (int32_t)r->vlen};
    } else if (st->value_dec) {
        int vrc = recdec_decode(st->value_dec, r->val, r->vlen, row, a, err, errlen);
        if (vrc) return vrc == REC_FATAL ? -2 : recdec_skips_malformed(st->value_dec) ? -3 : -1;
        nulled_notice(s, r, st->value_dec, "");
    }
    int krc;
    if ((tombstone || st->key_from_key) && (st->key_dec || st->raw_key >= 0)) {
        if (!r->key) {
            snprintf(err, errlen, "record has no key but table '%s' reads columns from it", t->name);
            return -1;
        }
        if (st->raw_key >= 0) {
            row[st->raw_key] = (Value){.s = r->key, .n = (int32_t)r->klen};
        } else if ((krc = recdec_decode(st->key_dec, r->key, r->klen, row, a, err, errlen)) != REC_OK) {
            if (krc == REC_FATAL) return -2;
            /* prefix the reason with where it was found */
            size_t n = strlen(err);
            if (n + 6 > errlen) n = errlen > 6 ? errlen - 6 : 0;
            memmove(err + 5, err, n);
            memcpy(err, "key: ", 5);
            err[n + 5] = 0;
            return recdec_skips_malformed(st->key_dec) ? -3 : -1;
        }
        if (st->key_dec) nulled_notice(s, r, st->key_dec, "key ");
    }
    fill_meta(st, n->ncols, r, row);
    return 0;
}

/* A changelog format (debezium-json, debezium-avro-confluent): one record
 * → 0, 1 or 2 rows added to out (an update is -U before, +U after).  A
 * Kafka tombstone — Debezium writes one after each delete, for log
 * compaction — is no change (1: skip it).  0, -1 (malformed, the reason in
 * err), -2 (the schema registry cannot be reached). */
static int decode_changes(OpState *s, const RawRecord *r, int rec, Batch *out, char *err, size_t errlen)
{
    SourceState *st = s->priv;
    const PlanNode *n = s->node;
    if (!r->val) return 1;
    batch_add(out, RK_INSERT, r->ts);
    batch_add(out, RK_INSERT, r->ts);
    Value *rows[2] = {batch_row(out, out->n - 2), batch_row(out, out->n - 1)};
    for (int i = 0; i < n->ncols; i++) rows[0][i] = rows[1][i] = (Value){.null = 1};
    int kinds[2], nr = 0;
    int crc = recdec_changes(st->value_dec, r->val, r->vlen, rows, kinds, &nr, &s->job->batch_arena, err, errlen);
    if (crc != REC_OK) {
        out->n -= 2;
        return crc == REC_FATAL ? -2 : -1;   /* (the registry cannot be reached: not the record's fault) */
    }
    out->n -= 2 - nr;
    if (out->n > st->caprowrec) {
        st->caprowrec = out->n * 2;
        st->rowrec = realloc(st->rowrec, sizeof *st->rowrec * (size_t)st->caprowrec);
        if (!st->rowrec) abort();
    }
    for (int k = 0; k < nr; k++) {
        int at = out->n - nr + k;
        out->kinds[at] = (RowKind)kinds[k];
        fill_meta(st, n->ncols, r, batch_row(out, at));
        st->rowrec[at] = rec;
    }
    return nr ? 0 : 1;
}

const RawRecord *source_record_of(const OpState *src, int row)
{
    if (src->vt != &op_source_vt) return NULL;   /* a pull source: its rows come from no record */
    const SourceState *st = src->priv;
    if (!src->job->cur_recs || row < 0 || row >= src->out.n || row >= st->caprowrec) return NULL;
    return &src->job->cur_recs[st->rowrec[row]];
}

int exec_eval_fail(OpState *s, int errpos, const char *msg)
{
    char where[256];
    plan_position(s->job->plan, errpos, where, sizeof where);
    /* The row maps to a record when the operator reads the source being pushed. */
    const OpState *src = s->job->cur_src;
    const RawRecord *r = src && s->node->ninputs && s->node->inputs[0] == src->node ? source_record_of(src, s->cur_row) : NULL;
    if (r)
        return job_fail(s->job, "%s: %s, for the record in topic '%s' partition %d offset %lld", where, msg,
                        r->topic ? r->topic : plan_source(src->node)->table->conn.topic, (int)r->partition, (long long)r->offset);
    return job_fail(s->job, "%s: %s", where, msg);
}

/* With mini-batch off (PlanNode.per_row), a retract source whose
 * consumers take updates without before-images (PlanNode.before unset)
 * drops its -U rows, as Flink's planner puts a DropUpdateBefore after such
 * a source. */
static void drop_update_before(OpState *s, Batch *out)
{
    SourceState *st = s->priv;
    int w = 0;
    for (int r = 0; r < out->n; r++) {
        if (out->kinds[r] == RK_UPDATE_BEFORE) continue;
        if (w != r) {
            memcpy(batch_row(out, w), batch_row(out, r), sizeof(Value) * (size_t)out->ncols);
            out->kinds[w] = out->kinds[r];
            out->ts[w] = out->ts[r];
            if (r < st->caprowrec) st->rowrec[w] = st->rowrec[r];
        }
        w++;
    }
    out->n = w;
}

static int source_decode_all(OpState *s, const RawRecord *recs, int n, Batch *out);

int source_decode(OpState *s, const RawRecord *recs, int n, Batch *out)
{
    if (s->vt->decode) return s->vt->decode(s, recs, n, out);   /* a format of its own (an exchange) */
    if (source_decode_all(s, recs, n, out)) return -1;
    if (s->node->per_row && s->node->updating && !s->node->before) drop_update_before(s, out);
    return 0;
}

static int source_decode_all(OpState *s, const RawRecord *recs, int n, Batch *out)
{
    const PlanTable *t = plan_source(s->node)->table;
    Job *j = s->job;
    char err[512];
    for (int i = 0; i < n; i++) {
        const RawRecord *r = &recs[i];
        int rc;
        if (format_is_debezium(t->conn.value_format)) {   /* a changelog format: 0, 1 or 2 rows per record, added there */
            if ((rc = decode_changes(s, r, i, out, err, sizeof err)) >= 0) continue;
            goto bad;
        }
        Value *row = batch_add(out, RK_INSERT, r->ts);
        RowKind kind;
        rc = decode_one(s, r, row, &kind, err, sizeof err);
        if (rc == 0) {
            out->kinds[out->n - 1] = kind;
            SourceState *ss = s->priv;
            if (out->n > ss->caprowrec) {
                ss->caprowrec = out->n * 2;
                ss->rowrec = realloc(ss->rowrec, sizeof *ss->rowrec * (size_t)ss->caprowrec);
                if (!ss->rowrec) abort();
            }
            ss->rowrec[out->n - 1] = i;
            continue;
        }
        out->n--;   /* drop the half-made row */
        if (rc > 0) continue;
    bad:
        if (rc == -2)
            return job_fail(j, "source '%s', record in topic '%s' partition %d offset %lld: %s", t->name,
                            r->topic ? r->topic : t->conn.topic, (int)r->partition, (long long)r->offset, err);
        if (t->conn.error_mode == ERR_FAIL && rc != -3)
            return job_fail(j, "malformed record in topic '%s' partition %d offset %lld: %s (set 'error.mode' = 'skip' on table '%s' to skip such records)",
                            r->topic ? r->topic : t->conn.topic, (int)r->partition, (long long)r->offset, err, t->name);
        j->stats.skipped++;
        const char *topic = r->topic ? r->topic : t->conn.topic;
        /* Read again after a restart, with its copy already there (written
         * after the checkpoint the job resumed from): not copied twice. */
        bool copied = t->conn.dead_letter && job_dead_letter_seen(j, topic, r->partition, r->offset);
        job_notice_limited(j, &j->skip_log, 5000, "skipped a malformed record in topic '%s' partition %d offset %lld: %s%s%s%s", topic,
                           (int)r->partition, (long long)r->offset, err, t->conn.dead_letter ? (copied ? "; already in " : "; copied to ") : "",
                           t->conn.dead_letter ? t->conn.dead_letter : "", copied ? " (copied before the restart)" : "");
        if (copied) {
            j->stats.dead_lettered++;
        } else if (t->conn.dead_letter && j->out.emit) {
            /* The record as it was (key, value, timestamp, its own headers),
             * and why, as Kafka Connect's error headers say it: eddy.error.* */
            kafka_header hdrs[64];
            char part[16], off[24], now[24];
            snprintf(part, sizeof part, "%d", (int)r->partition);
            snprintf(off, sizeof off, "%lld", (long long)r->offset);
            snprintf(now, sizeof now, "%lld", (long long)wall_ms());
            const char *job = j->plan->name ? j->plan->name : "";
            kafka_header why[] = {
                {"eddy.error.reason", err, strlen(err)},      {"eddy.error.topic", topic, strlen(topic)},
                {"eddy.error.partition", part, strlen(part)}, {"eddy.error.offset", off, strlen(off)},
                {"eddy.error.job", job, strlen(job)},         {"eddy.error.table", t->name, strlen(t->name)},
                {"eddy.error.time", now, strlen(now)},
            };
            int nwhy = (int)(sizeof why / sizeof why[0]);
            memcpy(hdrs, why, sizeof why);
            int nh = nwhy + exec_record_headers(r, hdrs + nwhy, 64 - nwhy);
            OutRecord dl = {t->conn.dead_letter, r->key, r->klen, r->val, r->vlen, r->ts, NULL, hdrs, nh, -1};
            char derr[256];
            if (j->out.emit(j->out.ctx, &dl, derr, sizeof derr))
                return job_fail(j, "dead-letter topic '%s': %s", t->conn.dead_letter, derr);
            j->stats.dead_lettered++;
        }
    }
    return 0;
}

static int source_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)s;
    (void)port;
    (void)in;
    (void)out;
    return 0;   /* records enter through source_decode */
}

const OpVTable op_source_vt = {.init = source_init, .process = source_process, .end = source_end, .wmgen = kafka_wmgen};
