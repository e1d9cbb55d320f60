/*
 * exec.c — the executor: builds a Job (one OpState per plan node), pushes
 * batches through the operator chain, flushes mini-batches, and drives a
 * job over Kafka (consume → process → produce) until it is told to stop.
 */
#include "exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka.h"
#include "options.h"
#include "state.h"

/* Operator behaviour per plan node kind: the one table to keep in sync. */
static const OpVTable *const op_vtables[PLAN__COUNT] = {
    [PLAN_SOURCE] = &op_source_vt,   [PLAN_NORMALIZE] = &op_normalize_vt, [PLAN_CALC] = &op_calc_vt,
    [PLAN_AGG] = &op_agg_vt,         [PLAN_SINK] = &op_sink_vt,           [PLAN_COLLECT] = &op_collect_vt,
};

int job_fail(Job *j, const char *fmt, ...)
{
    if (j->err[0]) return -1;   /* the first error is the one that matters */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, sizeof j->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int job_attach_state(Job *j, StateStore *st)
{
    j->state = st;
    const PlanTable *src = j->ops[0].node->table;
    /* Stateful operators by ordinal: their fingerprints must match what the file holds. */
    int nrec = state_operator_count(st);
    int op = 0;
    bool fresh = nrec == 0;
    const char *old_topic = state_get_meta(st, "source_topic");
    if (!fresh && old_topic && strcmp(old_topic, src->conn.topic) != 0)
        return job_fail(j, "the state file was written by a job reading topic '%s', this one reads '%s'; start fresh with --reset-state",
                        old_topic, src->conn.topic);
    for (int i = 0; i < j->nops; i++) {
        OpState *o = &j->ops[i];
        if (!o->vt->checkpoint) continue;
        StrBuf fp = {0}, desc = {0};
        o->vt->fingerprint(o->node, &fp);
        explain_node(o->node, false, &desc);
        char kind[64], ofp[16384], odesc[8192];   /* 24 KiB of stack: fingerprints carry their lineage */
        int have = fresh ? 1 : state_get_operator(st, op, kind, sizeof kind, ofp, sizeof ofp, odesc, sizeof odesc);
        if (have < 0) {
            sb_free(&fp);
            sb_free(&desc);
            return job_fail(j, "%s", state_errmsg(st));
        }
        if (!fresh && (have > 0 || strcmp(ofp, fp.s) != 0)) {
            job_fail(j, "the query changed in a way its saved state cannot follow: stateful operator %d was %s, now it is %s; "
                        "start fresh with --reset-state (the job then reprocesses its input from scan.startup.mode)",
                     op, have > 0 ? "absent" : odesc, desc.s);
            sb_free(&fp);
            sb_free(&desc);
            return -1;
        }
        if (fresh && state_set_operator(st, op, plan_ops[o->node->kind].name, fp.s, desc.s)) {
            sb_free(&fp);
            sb_free(&desc);
            return job_fail(j, "%s", state_errmsg(st));
        }
        sb_free(&fp);
        sb_free(&desc);
        op++;
    }
    if (!fresh && nrec != op)
        return job_fail(j, "the query changed in a way its saved state cannot follow: the state file has %d stateful operators, the query %d; "
                           "start fresh with --reset-state", nrec, op);
    if (fresh) {
        state_set_meta(st, "source_topic", src->conn.topic);
        state_set_meta(st, "job", j->plan->name);
        return 0;
    }
    /* checkpoint numbers go on from the file's */
    const char *num = state_get_meta(st, "checkpoint");
    if (num) opt_parse_int(num, &j->ckpt_base);
    int64_t t0 = now_us();
    op = 0;
    for (int i = 0; i < j->nops; i++) {
        OpState *o = &j->ops[i];
        if (!o->vt->checkpoint) continue;
        if (o->vt->restore(o, st, op++)) return -1;
    }
    j->stats.restore_us = now_us() - t0;
    return 0;
}

/* The writer thread: one transaction for the collected checkpoint. */
static void *checkpoint_writer(void *arg)
{
    Job *j = arg;
    j->writer_rc = state_write(j->state, j->ckpt_write);
    __atomic_store_n(&j->writer_done, true, __ATOMIC_RELEASE);
    return NULL;
}

bool job_checkpoint_busy(const Job *j) { return j->writing && !__atomic_load_n(&j->writer_done, __ATOMIC_ACQUIRE); }

/* Waits for the checkpoint being written; 0 once it is committed. */
static int checkpoint_wait(Job *j)
{
    if (!j->writing) return 0;
    pthread_join(j->writer, NULL);
    j->writing = false;
    state_batch_clear(j->ckpt_write);   /* committed: its copies are not needed any more */
    if (j->writer_rc) return job_fail(j, "%s (checkpoint not taken)", state_errmsg(j->state));
    j->stats.checkpoints++;
    return 0;
}

/*
 * A checkpoint: emit the mini-batch, have the sink acknowledge everything,
 * collect the changed state and the offsets in memory (the pause of
 * processing), then let the writer thread commit them while the job goes
 * on.  The previous checkpoint's write is waited for first, so checkpoints
 * commit in order and at most one is in flight; a crash before a commit
 * restarts from the checkpoint before it, which replays correctly.
 */
int job_checkpoint(Job *j, const int64_t *offsets, int nparts)
{
    if (!j->state) return 0;
    int64_t t0 = now_us();
    char err[512];
    if (checkpoint_wait(j)) return -1;
    if (j->pending && job_flush(j)) return -1;
    /* Every record the state reflects must be delivered before it is committed. */
    if (j->out.flush && j->out.flush(j->out.ctx, 60000, err, sizeof err))
        return job_fail(j, "sink: %s (checkpoint not taken)", err);
    if (!j->ckpt_fill) j->ckpt_fill = state_batch_new();
    StateBatch *b = j->ckpt_fill;
    state_batch_clear(b);
    int op = 0;
    for (int i = 0; i < j->nops; i++) {
        OpState *o = &j->ops[i];
        if (!o->vt->checkpoint) continue;
        if (o->vt->checkpoint(o, b, op++)) return -1;
    }
    j->ckpt_written = (int64_t)state_batch_rows(b);
    const char *topic = j->ops[0].node->table->conn.topic;
    /* Nothing changed and no source moved since the last one: nothing to write. */
    bool moved = j->ckpt_written > 0 || !j->ckpt_offsets || j->ckpt_nparts != nparts;
    for (int p = 0; p < nparts && !moved; p++) moved = j->ckpt_offsets[p] != offsets[p];
    if (!moved) {
        j->stats.ckpt_last_us = now_us() - t0;
        return 0;
    }
    if (j->ckpt_nparts != nparts) {
        free(j->ckpt_offsets);
        j->ckpt_offsets = calloc((size_t)(nparts > 0 ? nparts : 1), sizeof *j->ckpt_offsets);
        if (!j->ckpt_offsets) abort();
        j->ckpt_nparts = nparts;
    }
    memcpy(j->ckpt_offsets, offsets, sizeof *offsets * (size_t)nparts);
    for (int p = 0; p < nparts; p++)
        if (offsets[p] >= 0) state_batch_offset(b, topic, p, offsets[p]);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)(j->ckpt_base + j->stats.checkpoints + 1 + j->writing));
    state_batch_meta(b, "checkpoint", num);
    snprintf(num, sizeof num, "%lld", (long long)time(NULL));
    state_batch_meta(b, "checkpoint_time", num);
    state_batch_set_last(b, j->stopping);
    j->ckpt_fill = j->ckpt_write;
    j->ckpt_write = b;
    j->writing = true;
    j->writer_done = false;
    if (pthread_create(&j->writer, NULL, checkpoint_writer, j) != 0) {
        j->writing = false;
        j->writer_rc = state_write(j->state, b);   /* no thread: write here */
        if (j->writer_rc) return job_fail(j, "%s (checkpoint not taken)", state_errmsg(j->state));
        j->stats.checkpoints++;
    }
    j->stats.ckpt_keys = j->ckpt_written;
    j->stats.ckpt_last_us = now_us() - t0;
    if (j->stats.ckpt_last_us > j->stats.ckpt_max_us) j->stats.ckpt_max_us = j->stats.ckpt_last_us;
    return 0;
}

int job_checkpoint_sync(Job *j) { return checkpoint_wait(j); }

int job_open_state(Job *j, const char *path, bool reset, char *err, size_t errlen)
{
    StateStore *st;
    if (state_open(path, &st, err, errlen)) return -1;
    if (reset && state_reset(st, err, errlen)) {
        state_close(st);
        return -1;
    }
    if (job_attach_state(j, st)) {   /* the job owns st now, even on failure */
        const char *m = j->err;
        if (strstr(m, path)) snprintf(err, errlen, "%.1000s", m);   /* already names the file */
        else {
            if (strncmp(m, "state file: ", 12) == 0) m += 12;
            snprintf(err, errlen, "state file %.400s: %.600s", path, m);
        }
        return -1;
    }
    return 0;
}

bool job_resumed(const Job *j)
{
    return j->state && (j->stats.restored_keys || state_has_offsets(j->state, j->ops[0].node->table->conn.topic));
}

Job *job_new(const Plan *p, char *err, size_t errlen)
{
    Job *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->plan = p;
    arena_init(&j->batch_arena, 64 * 1024);
    j->latency_ms = p->config.minibatch_latency_ms;
    j->batch_rows = p->config.minibatch_size;
    j->ckpt_interval_ms = p->config.checkpoint_ms;
    j->nops = p->nnodes;
    j->ops = calloc((size_t)j->nops, sizeof *j->ops);
    if (!j->ops) abort();
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        s->node = p->nodes[i];
        s->vt = op_vtables[s->node->kind];
        s->job = j;
        batch_init(&s->out, s->node->ncols, &j->batch_arena);
        if (s->vt->init(s)) {
            snprintf(err, errlen, "%s", j->err);
            job_free(j);
            return NULL;
        }
    }
    return j;
}

void job_free(Job *j)
{
    if (!j) return;
    for (int i = 0; i < j->nops; i++) {
        if (j->ops[i].vt && j->ops[i].vt->end) j->ops[i].vt->end(&j->ops[i]);
        batch_free(&j->ops[i].out);
    }
    free(j->ops);
    arena_free(&j->batch_arena);
    if (j->writing) pthread_join(j->writer, NULL);
    state_batch_free(j->ckpt_fill);
    state_batch_free(j->ckpt_write);
    free(j->ckpt_offsets);
    state_close(j->state);
    free(j);
}

/* Runs `in` through operators from..nops-1. */
static int push_from(Job *j, int from, Batch *in)
{
    for (int i = from; i < j->nops && in->n > 0; i++) {
        OpState *s = &j->ops[i];
        batch_clear(&s->out);
        if (s->vt->process(s, in, &s->out)) return -1;
        in = &s->out;
    }
    return 0;
}

int job_flush(Job *j)
{
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        if (!s->vt->flush) continue;
        batch_clear(&s->out);
        if (s->vt->flush(s, &s->out)) return -1;
        if (push_from(j, i + 1, &s->out)) return -1;
    }
    j->pending = 0;
    j->stats.flushes++;
    arena_free(&j->batch_arena);
    arena_init(&j->batch_arena, 64 * 1024);
    return 0;
}

int job_push(Job *j, const RawRecord *recs, int n)
{
    if (j->err[0]) return -1;
    OpState *src = &j->ops[0];
    /* The source decodes records; RawRecords travel as a pseudo-batch. */
    int step = j->per_record ? 1 : n;
    for (int at = 0; at < n; at += step) {
        int cnt = n - at < step ? n - at : step;
        batch_clear(&src->out);
        j->cur_recs = recs + at;
        if (source_decode(src, recs + at, cnt, &src->out)) return -1;
        j->stats.records_in += cnt;
        if (push_from(j, 1, &src->out)) return -1;
        j->pending += cnt;
        if (j->per_record && job_flush(j)) return -1;
    }
    j->cur_recs = NULL;
    return 0;
}

/* ---- over Kafka ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct KafkaOut {
    kafka_producer *producer;  /* the sink's producer */
} KafkaOut;

static int kafka_emit(void *ctx, const OutRecord *r, char *err, size_t errlen)
{
    KafkaOut *k = ctx;
    if (r->nhdrs)
        return kafka_produce(k->producer, r->topic, -1, r->key, r->klen, r->val, r->vlen, r->ts, r->hdrs, r->nhdrs, err, errlen);
    kafka_header h = {"op", r->op, r->op ? strlen(r->op) : 0};
    return kafka_produce(k->producer, r->topic, -1, r->key, r->klen, r->val, r->vlen, r->ts, &h, r->op ? 1 : 0, err, errlen);
}

int exec_record_headers(const RawRecord *r, kafka_header *out, int max)
{
    return r->msg ? kafka_msg_headers(r->msg, out, max) : 0;
}

static int kafka_flush_out(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    KafkaOut *k = ctx;
    return kafka_producer_flush(k->producer, timeout_ms, err, errlen);
}

/* librdkafka properties: the session's SET 'properties.*' then the table's. */
static const char **kafka_props(const Job *j, const PlanTable *t, const char *bootstrap, Arena *a)
{
    int n = 0;
    const char **props = arena_alloc(a, sizeof(char *) * (size_t)(2 * (j->plan->nsettings + t->conn.nprops) + 4));
    for (int i = 0; i < j->plan->nsettings; i++)
        if (strncmp(j->plan->settings[i].key, "properties.", 11) == 0) {
            props[n++] = j->plan->settings[i].key + 11;
            props[n++] = j->plan->settings[i].value;
        }
    for (int i = 0; i < t->conn.nprops; i++) {
        props[n++] = t->conn.props[i].key;
        props[n++] = t->conn.props[i].value;
    }
    (void)bootstrap;
    props[n] = NULL;
    return props;
}

static const char *find_prop(const char **props, const char *key)
{
    const char *v = NULL;
    for (int i = 0; props[i]; i += 2)
        if (strcmp(props[i], key) == 0) v = props[i + 1];
    return v;
}

int job_run_kafka(Job *j, const char *bootstrap, volatile sig_atomic_t *stop)
{
    const PlanNode *srcn = j->ops[0].node, *root = j->ops[j->nops - 1].node;
    const PlanTable *st = srcn->table;
    Arena a;
    arena_init(&a, 4096);
    char err[512];
    int rc = -1;
    kafka_consumer *c = NULL;
    kafka_producer *p = NULL;
    KafkaOut ko = {0};
    kafka_msg *msgs = NULL;
    RawRecord *recs = NULL;
    const int maxbatch = 10000;

    const char **cprops = kafka_props(j, st, bootstrap, &a);
    const char *bs = bootstrap ? bootstrap : find_prop(cprops, "bootstrap.servers");
    if (!bs) {
        job_fail(j, "no Kafka bootstrap server: use --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers'");
        goto out;
    }
    c = kafka_consumer_new(bs, cprops, err, sizeof err);
    if (!c) {
        job_fail(j, "source '%s': %s", st->name, err);
        goto out;
    }
    if (root->kind == PLAN_SINK) {
        const char **pprops = kafka_props(j, root->table, bootstrap, &a);
        p = kafka_producer_new(bs, pprops, err, sizeof err);
        if (!p) {
            job_fail(j, "sink '%s': %s", root->table->name, err);
            goto out;
        }
        ko.producer = p;
        j->out = (JobOutput){&ko, kafka_emit, kafka_flush_out};
        /* Ask for the sink topic now: without it the producer learns the
         * topic's partitions only on its first metadata refresh, about a
         * second later, and holds every record until then (measured). */
        int sinkparts;
        kafka_producer_partition_count(p, root->table->conn.topic, 5000, &sinkparts, err, sizeof err);
    }

    /* Wait for the source topic, then assign every partition. */
    int nparts = 0;
    bool waited = false;
    while (!*stop) {
        if (kafka_partition_count(c, st->conn.topic, 2000, &nparts, err, sizeof err) == 0 && nparts > 0) break;
        if (!waited) fprintf(stderr, "eddy: waiting for topic '%s' (%s)\n", st->conn.topic, err);
        waited = true;
        struct timespec ts = {0, 200 * 1000000};
        nanosleep(&ts, NULL);
    }
    if (*stop) {
        rc = 0;
        goto out;
    }
    kafka_tp *tps = arena_alloc(&a, sizeof *tps * (size_t)nparts);
    int64_t *pos = arena_alloc(&a, sizeof *pos * (size_t)nparts);   /* next offset per partition, -1 = not known yet */
    bool resumed = j->state && state_has_offsets(j->state, st->conn.topic);
    for (int i = 0; i < nparts; i++) {
        tps[i].topic = st->conn.topic;
        tps[i].partition = i;
        pos[i] = -1;
        /* A restarted job resumes exactly where its last checkpoint stopped;
         * a partition the checkpoint does not know (added since) is read
         * from its beginning, as Flink does for new partitions. */
        if (resumed) {
            int64_t off;
            tps[i].offset = state_get_offset(j->state, st->conn.topic, i, &off) == 0 ? (pos[i] = off) : KAFKA_OFFSET_BEGINNING;
            continue;
        }
        tps[i].offset = st->conn.startup == START_LATEST ? KAFKA_OFFSET_END : KAFKA_OFFSET_BEGINNING;
    }
    /* Start positions that need the cluster: a timestamp, the group's commits. */
    if (st->conn.startup == START_TIMESTAMP || st->conn.startup == START_GROUP) {
        int64_t *o = arena_alloc(&a, sizeof *o * (size_t)nparts);
        int r = st->conn.startup == START_TIMESTAMP ? kafka_offsets_for_time(c, st->conn.topic, nparts, st->conn.startup_ts, o, 10000, err, sizeof err)
                                                    : kafka_committed(c, st->conn.topic, nparts, o, 10000, err, sizeof err);
        if (r) {
            job_fail(j, "source '%s': %s", st->name, err);
            goto out;
        }
        for (int i = 0; i < nparts && !resumed; i++)
            if (st->conn.startup == START_TIMESTAMP || o[i] >= 0) tps[i].offset = o[i];   /* no commit: from the beginning */
    }
    /* With a state file, every start position becomes a concrete offset now
     * and goes into the first checkpoint: a partition that had no record yet
     * when the job was killed must not fall back to 'latest' on restart and
     * skip what arrived meanwhile. */
    for (int i = 0; i < nparts && j->state; i++) {
        if (pos[i] >= 0) continue;
        int64_t lo, hi;
        if (kafka_watermarks(c, st->conn.topic, i, &lo, &hi, 5000, err, sizeof err)) {
            job_fail(j, "source '%s': %s", st->name, err);
            goto out;
        }
        int64_t at = tps[i].offset == KAFKA_OFFSET_END ? hi : tps[i].offset == KAFKA_OFFSET_BEGINNING ? lo : tps[i].offset;
        tps[i].offset = pos[i] = at;
    }
    /* After a restart into an upsert sink, the records up to the current
     * ends are a replay: the sink may already hold results of some of them
     * (written after the checkpoint, before the crash), so until the job
     * has caught up, operators write every key they touch. */
    int64_t *replay_end = NULL;
    if (resumed && root->kind == PLAN_SINK && root->table->conn.mode == MODE_UPSERT) {
        replay_end = arena_alloc(&a, sizeof *replay_end * (size_t)nparts);
        for (int i = 0; i < nparts; i++) replay_end[i] = -1;
        j->replay = true;
    }
    /* Offsets from a checkpoint must still exist: a recreated topic or
     * another cluster would otherwise be read from a wrong position. */
    for (int i = 0; i < nparts && resumed; i++) {
        int64_t lo, hi;
        if (pos[i] < 0) continue;
        if (kafka_watermarks(c, st->conn.topic, i, &lo, &hi, 5000, err, sizeof err)) {
            job_fail(j, "source '%s': %s", st->name, err);
            goto out;
        }
        if (replay_end) replay_end[i] = hi;
        if (pos[i] > hi || pos[i] < lo) {
            job_fail(j, "the checkpoint says partition %d of topic '%s' continues at offset %lld, but the partition holds offsets %lld..%lld "
                        "(was the topic recreated, or is this another cluster?); start fresh with --reset-state",
                     i, st->conn.topic, (long long)pos[i], (long long)lo, (long long)hi);
            goto out;
        }
    }
    /* Bounded: the end of every partition as it is now. */
    bool bounded = j->bounded || st->conn.bounded;
    int64_t *end = arena_alloc(&a, sizeof *end * (size_t)nparts);
    int64_t *next = arena_alloc(&a, sizeof *next * (size_t)nparts);
    int open_parts = 0;
    for (int i = 0; i < nparts && bounded; i++) {
        int64_t lo;
        if (kafka_watermarks(c, st->conn.topic, i, &lo, &end[i], 5000, err, sizeof err)) {
            job_fail(j, "source '%s': %s", st->name, err);
            goto out;
        }
        next[i] = tps[i].offset == KAFKA_OFFSET_END ? end[i] : tps[i].offset >= 0 ? tps[i].offset : lo;
        if (next[i] < end[i]) open_parts++;
    }
    if (bounded && open_parts == 0) {
        rc = 0;
        goto out;
    }
    if (kafka_assign(c, tps, nparts, err, sizeof err)) {
        job_fail(j, "source '%s': %s", st->name, err);
        goto out;
    }

    msgs = malloc(sizeof *msgs * maxbatch);
    recs = malloc(sizeof *recs * maxbatch);
    if (!msgs || !recs) abort();
    int64_t first_pending = 0, last_ckpt = now_ms();
    while (!*stop) {
        int64_t wait = j->latency_ms;
        if (j->pending) {
            int64_t left = first_pending + j->latency_ms - now_ms();
            wait = left < 0 ? 0 : left;
        }
        if (wait > 100) wait = 100;   /* notice a stop within 100 ms */
        int n = kafka_poll_batch(c, msgs, maxbatch, (int)wait, err, sizeof err);
        if (n < 0) {
            job_fail(j, "source '%s': %s", st->name, err);
            goto out;
        }
        for (int i = 0; i < n && bounded; i++) {
            int pt = msgs[i].partition;
            if (pt < 0 || pt >= nparts || next[pt] >= end[pt]) continue;
            next[pt] = msgs[i].offset + 1;
            if (next[pt] >= end[pt]) open_parts--;
        }
        for (int i = 0; i < n; i++) {
            if (msgs[i].partition >= 0 && msgs[i].partition < nparts) pos[msgs[i].partition] = msgs[i].offset + 1;
            const void *op = NULL;
            size_t oplen = 0;
            if (st->conn.mode == MODE_RETRACT) kafka_msg_header(&msgs[i], "op", &op, &oplen);
            recs[i] = (RawRecord){msgs[i].topic, msgs[i].partition, msgs[i].offset, msgs[i].ts_ms, msgs[i].key, msgs[i].klen,
                                  msgs[i].value, msgs[i].vlen, op, oplen, &msgs[i]};
        }
        if (n > 0 && !j->pending) first_pending = now_ms();
        int prc = n > 0 ? job_push(j, recs, n) : 0;
        kafka_release_batch(c, msgs, n);
        if (prc) goto out;
        if (j->pending && (j->pending >= j->batch_rows || now_ms() - first_pending >= j->latency_ms)) {
            if (job_flush(j)) goto out;
        }
        if (p && kafka_producer_poll(p, err, sizeof err)) {
            job_fail(j, "sink '%s': %s", root->table->name, err);
            goto out;
        }
        if (j->replay && !j->pending) {
            bool caught_up = true;
            for (int i = 0; i < nparts && caught_up; i++) caught_up = replay_end[i] < 0 || pos[i] >= replay_end[i];
            if (caught_up) j->replay = false;
        }
        if (bounded && open_parts <= 0) break;   /* read everything that was there at start */
        if (j->done) break;                       /* e.g. a SELECT's LIMIT reached */
        if (j->state && j->ckpt_interval_ms > 0 && now_ms() - last_ckpt >= j->ckpt_interval_ms) {
            /* A checkpoint starts only when the previous one is committed: while
             * the writer is busy, changes keep accumulating for the next one
             * instead of the job waiting (the interval stretches under load). */
            if (!job_checkpoint_busy(j)) {
                if (job_checkpoint(j, pos, nparts)) goto out;
                last_ckpt = now_ms();
                /* Let group-based tools see progress (eddy restarts from its checkpoint). */
                if (st->conn.startup == START_GROUP) kafka_commit(c, st->conn.topic, pos, nparts, err, sizeof err);
            }
        }
    }
    /* Clean stop: emit what is buffered, wait for every delivery, checkpoint. */
    if (j->pending && job_flush(j)) goto out;
    j->stopping = true;
    if (j->state && (job_checkpoint(j, pos, nparts) || checkpoint_wait(j))) goto out;
    if (p && kafka_producer_flush(p, 30000, err, sizeof err)) {
        job_fail(j, "sink '%s': %s", root->table->name, err);
        goto out;
    }
    rc = 0;
out:
    free(msgs);
    free(recs);
    kafka_consumer_free(c);
    if (p) {
        kafka_producer_flush(p, rc ? 1000 : 0, err, sizeof err);
        kafka_producer_free(p);
    }
    j->out = (JobOutput){0};
    arena_free(&a);
    return rc;
}
