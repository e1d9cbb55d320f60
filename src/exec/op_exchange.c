/*
 * op_exchange.c — an exchange between two stages of a job run in parallel
 * (docs/scaling.md): the sink that ends the stage before (writes rows into
 * the internal topic, partition = hash(exchange key) % partitions) and the
 * source that begins the stage after (reads them back), handed over by
 * op_sink.c / op_source.c for tables whose connector is CONN_EXCHANGE.
 * The record format is exchange.h's.
 *
 * Exactly once without Kafka transactions, through commit markers:
 *
 * Writer (task T of its stage, generation gen = the microsecond this run
 * started, above any generation its state file holds):
 *     a batch of rows    → per partition, rows records (T, gen, epoch E,
 *                          then each row's kind, time and bytes), E the
 *                          checkpoint they will belong to
 *     checkpoint E collected (commit hook)
 *                        → remembers E's watermark, ended, idle; later rows
 *                          belong to E + 1; the state row (gen, E, …) when
 *                          rows were written since the last one, the
 *                          watermark or flags moved, or it names an older
 *                          generation (so the next run goes above this one)
 *     checkpoint E committed (committed hook)
 *                        → a marker (T, gen, E, watermark, ended, idle,
 *                          tasks) to every partition of the topic
 *     no state file      → a marker at every mini-batch's flush that had
 *                          rows or moved the watermark (epochs count flushes)
 *     restart            → first the marker of the last checkpoint the state
 *                          file holds, with that run's generation; then on
 *                          with a new generation, epochs after it
 * Reader (a source, its state per writer T):
 *     rows of T, gen g   → g newer than T's: T's pending rows dropped (their
 *                          run died before committing them), g becomes T's;
 *                          g older, or an epoch a marker of g applied (a
 *                          record read again after a restart): dropped;
 *                          else appended to T's pending
 *     marker (T, g, E)   → g older than T's: ignored; newer: as for data;
 *                          T's pending rows up to epoch E go out, in order;
 *                          T's watermark rises to the marker's (an idle
 *                          writer holds nothing back); the marker's task
 *                          count declares the writers
 *     watermark          → the smallest over the writers (watermark.c's
 *                          generator, one "partition" per writing task)
 *     ended              → every declared writer sent a marker with ended
 * The last marker per writer is the reader's keyed state, checkpointed with
 * its task's offsets; its pending rows are not: the checkpoint's offset of
 * a partition goes back to the oldest record still holding one (rewind
 * hook), so a restart reads those records again, in the same order, and
 * drops the rows among them that a marker applied already.  (Saving them
 * wrote every shuffled row into the state file once more: 60 MB of state
 * files for GROUP BY user_id over 1M orders with --parallelism 2, and as
 * much again into the changelogs of a consumer group's tasks.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval.h"
#include "clock.h"
#include "exchange.h"
#include "exec.h"
#include "htab.h"
#include "rowkey.h"
#include "state.h"

static void put_varint(StrBuf *out, uint64_t v)
{
    unsigned char b[ROWKEY_VARINT_MAX];
    sb_putn(out, (const char *)b, rowkey_put_varint(b, v));
}

static int get_num(const unsigned char **p, const unsigned char *end, int64_t *v, bool zigzag)
{
    return xrec_get_num(p, end, v, zigzag);
}

/* ---- the writer ---- */

typedef struct XSink {
    const PlanTable *t;   /* the exchange's table */
    Type    *types;       /* its column types */
    Type    *key_types;   /* the exchange key's */
    int      ncols;       /* columns */
    int64_t  gen;         /* this run's generation (0 = not chosen yet: xsink_gen) */
    int64_t  floor;       /* the lowest it may be: above the generation the state file names */
    int64_t  s_gen;       /* the generation the state file's row names (0 = none) */
    int64_t  epoch;       /* the epoch rows written now belong to (0 = not yet known) */
    int      nparts;      /* partitions of the topic (0 = not asked yet) */
    bool     wrote;       /* rows written since the last marker or state row */
    /* the checkpoint collected and waiting for its commit */
    int64_t  c_ckpt;      /* its number, 0 = none */
    int64_t  c_wm;        /* the watermark then */
    int      c_flags;     /* ended, idle then */
    /* what the last marker (or state row) said */
    int64_t  m_wm;        /* watermark */
    int      m_flags;     /* flags */
    bool     m_any;       /* one was sent (or stored) */
    /* restored: the last checkpoint's marker, sent again first */
    bool     r_have;      /* restored one */
    int64_t  r_gen, r_epoch, r_wm;
    int      r_flags;
    StrBuf   row, rec, key; /* scratch */
    StrBuf  *pack;        /* per partition: the rows record being filled (len 0 = none) */
    int      npack;       /* partitions pack has room for */
} XSink;

static int xsink_init(OpState *s)
{
    XSink *x = calloc(1, sizeof *x);
    if (!x) abort();
    s->priv = x;
    x->t = plan_sink(s->node)->table;
    x->ncols = x->t->ncols;
    x->types = xcalloc((size_t)x->ncols + 1, sizeof *x->types);
    x->key_types = xcalloc((size_t)x->t->nkeycols + 1, sizeof *x->key_types);
    for (int i = 0; i < x->ncols; i++) x->types[i] = x->t->cols[i].type;
    for (int i = 0; i < x->t->nkeycols; i++) x->key_types[i] = x->t->keyexprs ? x->t->keyexprs[i]->type : x->t->cols[x->t->keycols[i]].type;
    return 0;
}

/* This run's generation, chosen at its first use — its start (job_start),
 * not when the Job was made: a Job of a consumer group's task is made long
 * before the task is taken (when the process starts, or when the task was
 * given back), and another process may have run the task meanwhile with a
 * generation of that time.  Above the one the state file names, so a
 * writer whose clock is behind the last owner's still goes up. */
static int64_t xsink_gen(XSink *x)
{
    if (!x->gen) {
        x->gen = wall_us();
        if (x->gen < x->floor) x->gen = x->floor;
    }
    return x->gen;
}

static void xsink_end(OpState *s)
{
    XSink *x = s->priv;
    if (!x) return;
    free(x->types);
    free(x->key_types);
    sb_free(&x->row);
    sb_free(&x->rec);
    sb_free(&x->key);
    for (int p = 0; p < x->npack; p++) sb_free(&x->pack[p]);
    free(x->pack);
    free(x);
}

/* Where the exchange's records go: Job.xout, else Job.out. */
static const JobOutput *xsink_out(const Job *j) { return j->xout.emit ? &j->xout : &j->out; }

static int xsink_parts(OpState *s, XSink *x)
{
    if (x->nparts > 0) return x->nparts;
    Job *j = s->job;
    const JobOutput *o = xsink_out(j);
    int n = o->partitions ? o->partitions(o->ctx, x->t->conn.topic) : -1;
    x->nparts = n > 0 ? n : j->ntasks;
    return x->nparts;
}

/* A task whose watermarked Kafka tables' partitions are none or all idle
 * (a task reading no partition, or one silent for the idle timeout): its
 * watermark holds nothing back. */
static bool writer_idle(const Job *j)
{
    bool any = false;
    for (int i = 0; i < j->nsources; i++) {
        const OpState *src = j->sources[i];
        if (src->vt == &op_exchange_source_vt) return false;
        WmGen *g = source_wmgen(src);
        if (!g) continue;
        if (!wm_idle(g, j->clock_ms)) return false;
        any = true;
    }
    return any;
}

/* The writer's watermark: its input's, or the end of time for a task whose
 * only inputs are VALUES (emitted at its start: no source ever advances it). */
static int64_t xsink_wm(const OpState *s) { return s->job->nsources == 0 ? INT64_MAX : s->stats.watermark; }

static int xsink_flags(const OpState *s)
{
    return (xsink_wm(s) == INT64_MAX ? XFLAG_ENDED : 0) | (writer_idle(s->job) ? XFLAG_IDLE : 0);
}

static int xsink_emit(OpState *s, XSink *x, int32_t part, const StrBuf *rec)
{
    Job *j = s->job;
    OutRecord r = {.topic = x->t->conn.topic, .key = NULL, .val = rec->s, .vlen = rec->len, .partition = part};
    char err[256];
    const JobOutput *o = xsink_out(j);
    if (o->emit(o->ctx, &r, err, sizeof err)) return job_fail(j, "exchange '%s': %s", x->t->conn.topic, err);
    return 0;
}

/* A marker to every partition. */
static int xsink_marker(OpState *s, XSink *x, int64_t gen, int64_t epoch, int64_t wm, int flags)
{
    if (!xsink_out(s->job)->emit) return 0;
    XRecord m = {.type = XREC_MARKER, .task = s->job->task, .gen = gen, .epoch = epoch, .watermark = wm, .flags = flags,
                 .ntasks = s->job->ntasks};
    x->rec.len = 0;
    xrec_encode(&x->rec, &m);
    int n = xsink_parts(s, x);
    for (int p = 0; p < n; p++)
        if (xsink_emit(s, x, p, &x->rec)) return -1;
    x->m_wm = wm;
    x->m_flags = flags;
    x->m_any = true;
    return 0;
}

static void xsink_epoch(const Job *j, XSink *x)
{
    if (!x->epoch) x->epoch = j->ckpt_base + 1;   /* the checkpoint rows written now will belong to */
}

/* A restarted writer first says again what its last checkpoint committed;
 * a new one says it exists (its watermark, whether it is idle: a task
 * reading no partition), committing nothing, so that readers wait for it,
 * or not, from the start. */
static int xsink_flush(OpState *s, Batch *out);

static int xsink_start(OpState *s, Batch *out)
{
    XSink *x = s->priv;
    xsink_epoch(s->job, x);
    if (!x->r_have) {
        /* without a state file the start commits what it wrote (VALUES rows); with one, rows wait for the
         * first checkpoint: this marker commits nothing and ends nothing */
        if (!s->job->state) return xsink_flush(s, out);
        return xsink_marker(s, x, xsink_gen(x), x->epoch - 1, s->stats.watermark, xsink_flags(s) & ~XFLAG_ENDED);
    }
    x->r_have = false;
    xsink_gen(x);
    return xsink_marker(s, x, x->r_gen, x->r_epoch, x->r_wm, x->r_flags);
}

/* Sends partition part's rows record, if it holds any. */
static int xsink_send(OpState *s, XSink *x, int part)
{
    StrBuf *b = &x->pack[part];
    if (!b->len) return 0;
    int r = xsink_emit(s, x, part, b);
    b->len = 0;
    return r;
}

/* A batch's rows go out as one rows record per partition (more when one
 * passes XREC_ROWS_MAX), in their order: one Kafka message for many rows.
 * GROUP BY user_id over 100k users with --parallelism 2 ships a partial
 * row per order; a message each cost librdkafka's threads and the
 * produce and fetch paths more than the rows themselves (bench/README.md). */
static int xsink_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port, (void)out;
    XSink *x = s->priv;
    Job *j = s->job;
    if (!xsink_out(j)->emit || in->n == 0) return 0;
    xsink_epoch(j, x);
    int nparts = xsink_parts(s, x);
    if (x->npack < nparts) {
        x->pack = realloc(x->pack, sizeof *x->pack * (size_t)nparts);
        if (!x->pack) abort();
        for (int p = x->npack; p < nparts; p++) x->pack[p] = (StrBuf){0};
        x->npack = nparts;
    }
    for (int p = 0; p < nparts; p++) x->pack[p].len = 0;   /* (nothing left over from a call that failed) */
    XRecord h = {.type = XREC_ROWS, .task = j->task, .gen = xsink_gen(x), .epoch = x->epoch};
    for (int i = 0; i < in->n; i++) {
        const Value *row = batch_row(in, i);
        int32_t part = 0;
        if (x->t->keyexprs) {   /* a join's key expressions (CASTs to the common type) */
            Value kv[64];
            EvalCtx cx;
            exec_eval_ctx(s, &cx);
            int nk = x->t->nkeycols < 64 ? x->t->nkeycols : 64;
            for (int k = 0; k < nk; k++)
                if (eval_expr(x->t->keyexprs[k], row, &kv[k], &cx)) return exec_eval_fail(s, cx.errpos, cx.err);
            x->key.len = 0;
            rowkey_encode(&x->key, x->key_types, kv, NULL, nk);
            part = (int32_t)(htab_hash(x->key.s ? x->key.s : "", x->key.len) % (uint64_t)nparts);
        } else if (x->t->nkeycols) {
            x->key.len = 0;
            rowkey_encode(&x->key, x->key_types, row, x->t->keycols, x->t->nkeycols);
            part = (int32_t)(htab_hash(x->key.s ? x->key.s : "", x->key.len) % (uint64_t)nparts);
        }
        x->row.len = 0;
        rowkey_encode(&x->row, x->types, row, NULL, x->ncols);
        StrBuf *b = &x->pack[part];
        if (!b->len) xrec_encode(b, &h);
        xrec_put_entry(b, in->kinds[i], in->ts[i], x->row.s, x->row.len);
        if (b->len >= XREC_ROWS_MAX && xsink_send(s, x, part)) return -1;
    }
    for (int p = 0; p < nparts; p++)
        if (xsink_send(s, x, p)) return -1;
    x->wrote = true;
    j->xrows += in->n;
    return 0;
}

/* Without a state file every mini-batch commits: a marker when it wrote
 * rows or moved the watermark; and so does a rise of the watermark (rows
 * a window fired go on with the time that fired them). */
static int xsink_flush(OpState *s, Batch *out)
{
    (void)out;
    XSink *x = s->priv;
    Job *j = s->job;
    if (j->state || !xsink_out(j)->emit) return 0;
    xsink_epoch(j, x);
    int flags = xsink_flags(s);
    if (!x->wrote && x->m_any && x->m_wm == xsink_wm(s) && x->m_flags == flags) return 0;
    if (xsink_marker(s, x, xsink_gen(x), x->epoch, xsink_wm(s), flags)) return -1;
    x->wrote = false;
    x->epoch++;
    return 0;
}

/* The state row: generation, epoch (this checkpoint's number), watermark, flags. */
static int xsink_checkpoint(OpState *s, StateBatch *b, int op)
{
    XSink *x = s->priv;
    Job *j = s->job;
    int64_t ckpt = j->ckpt_base + j->stats.checkpoints + 1 + j->writing;
    int flags = xsink_flags(s);
    int64_t gen = xsink_gen(x);
    /* Nothing new to commit — unless the file names an older generation:
     * this checkpoint's marker names this one, which the task's next run
     * (here or in another process) must go above. */
    if (!x->wrote && x->m_any && x->m_wm == xsink_wm(s) && x->m_flags == flags && x->s_gen == gen) return 0;
    StrBuf v = {0};
    put_varint(&v, (uint64_t)gen);
    put_varint(&v, (uint64_t)ckpt);
    put_varint(&v, rowkey_zigzag(xsink_wm(s)));
    put_varint(&v, (uint64_t)flags);
    char text[160];
    snprintf(text, sizeof text, "{\"generation\":%lld,\"epoch\":%lld,\"watermark\":%lld,\"flags\":%d}", (long long)gen,
             (long long)ckpt, (long long)xsink_wm(s), flags);
    state_batch_put(b, op, "w", 1, v.s, v.len, "\"writer\"", text);
    sb_free(&v);
    j->ckpt_written++;
    x->wrote = false;
    x->s_gen = gen;
    x->m_wm = xsink_wm(s);   /* (as the marker of this checkpoint will say) */
    x->m_flags = flags;
    x->m_any = true;
    return 0;
}

typedef struct XSinkLoad {
    XSink   *x;
    int      bad;
} XSinkLoad;

static int xsink_load_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    XSinkLoad *l = ctx;
    if (klen != 1 || memcmp(key, "w", 1) != 0) return (l->bad = 1);
    if (!val) {
        l->x->r_have = false;
        return 0;
    }
    const unsigned char *p = val, *end = p + vlen;
    int64_t gen, epoch, wm, flags;
    if (get_num(&p, end, &gen, false) || get_num(&p, end, &epoch, false) || get_num(&p, end, &wm, true) ||
        get_num(&p, end, &flags, false) || p != end)
        return (l->bad = 1);
    l->x->r_have = true;
    l->x->r_gen = gen, l->x->r_epoch = epoch, l->x->r_wm = wm, l->x->r_flags = (int)flags;
    return 0;
}

static int xsink_restore(OpState *s, StateStore *st, int op)
{
    XSink *x = s->priv;
    XSinkLoad l = {x, 0};
    if (state_scan(st, op, xsink_load_row, &l) || l.bad)
        return job_fail(s->job, "state file: the exchange writer of '%s' has an unreadable row (is the file damaged?)", x->t->conn.topic);
    if (x->r_have) {
        x->floor = x->r_gen + 1;   /* a new generation, above every one before */
        x->s_gen = x->r_gen;
        x->m_wm = x->r_wm, x->m_flags = x->r_flags, x->m_any = true;
    }
    return 0;
}

/* Checkpoint ckpt is collected: rows from now on belong to the next. */
static int xsink_commit(OpState *s, int64_t ckpt, const SourceOffset *offsets, int n)
{
    (void)offsets, (void)n;
    XSink *x = s->priv;
    if (ckpt <= 0) return 0;   /* a job without state (job_sinks_commit): its markers go at the flushes */
    x->c_ckpt = ckpt;
    x->c_wm = xsink_wm(s);
    x->c_flags = xsink_flags(s);
    x->epoch = ckpt + 1;
    return 0;
}

static int xsink_committed(OpState *s, int64_t ckpt)
{
    XSink *x = s->priv;
    if (!x->c_ckpt || ckpt < x->c_ckpt) return 0;
    x->c_ckpt = 0;
    return xsink_marker(s, x, xsink_gen(x), ckpt, x->c_wm, x->c_flags);
}

static void xsink_fingerprint(const PlanNode *n, StrBuf *out)
{
    const PlanTable *t = plan_sink(n)->table;
    sb_puts(out, "ExchangeWriter/1 types=");
    for (int i = 0; i < t->ncols; i++) type_print(out, t->cols[i].type), sb_putc(out, ';');
}

static int xsink_advance(OpState *s, int64_t wm, Batch *out)
{
    (void)wm;
    return xsink_flush(s, out);
}

/* (a partition may have become idle) */
static int xsink_clock(OpState *s, int64_t now_ms, Batch *out)
{
    (void)now_ms;
    return xsink_flush(s, out);
}

const OpVTable op_exchange_sink_vt = {
    .init = xsink_init, .process = xsink_process, .flush = xsink_flush, .advance = xsink_advance, .clock = xsink_clock, .checkpoint = xsink_checkpoint,
    .restore = xsink_restore, .end = xsink_end, .fingerprint = xsink_fingerprint, .commit = xsink_commit,
    .start = xsink_start, .committed = xsink_committed,
};

/* ---- the reader ---- */

/* A writing task as the reader knows it. */
typedef struct XWriter {
    int64_t  gen;         /* its generation seen last (0 = none yet) */
    int64_t  applied;     /* the last epoch a marker of it committed */
    int64_t  wm;          /* its watermark (INT64_MIN = none yet) */
    int      flags;       /* its last marker's XFLAG_* */
    bool     marked;      /* a marker of it came */
    bool     changed;     /* since the last checkpoint */
    StrBuf   pending;     /* its rows waiting for a marker, all of generation gen: entries
                             [varint partition][varint offset][varint epoch][kind][zigzag ts]
                             [varint length][row bytes] (partition and offset: the record's) */
} XWriter;

typedef struct XSource {
    const PlanTable *t;   /* the exchange's table */
    Type    *types;       /* its column types */
    int      ncols;       /* count */
    XWriter *w;           /* by task */
    int      nw;          /* count (as far as known) */
    int      ntasks;      /* writers the markers declared (0 = none yet) */
    bool     ntasks_changed; /* since the last checkpoint */
    WmGen   *wm;          /* the writers' watermarks (watermark.c) */
} XSource;

static int xsrc_init(OpState *s)
{
    XSource *x = calloc(1, sizeof *x);
    if (!x) abort();
    s->priv = x;
    x->t = plan_source(s->node)->table;
    x->ncols = x->t->ncols;
    x->types = xcalloc((size_t)x->ncols + 1, sizeof *x->types);
    for (int i = 0; i < x->ncols; i++) x->types[i] = x->t->cols[i].type;
    x->wm = wm_new_writers();
    return 0;
}

static void xsrc_end(OpState *s)
{
    XSource *x = s->priv;
    if (!x) return;
    for (int i = 0; i < x->nw; i++) sb_free(&x->w[i].pending);
    free(x->w);
    free(x->types);
    wm_free(x->wm);
    free(x);
}

static XWriter *writer_of(XSource *x, int64_t task)
{
    if (task >= x->nw) {
        int n = (int)task + 1;
        x->w = realloc(x->w, sizeof *x->w * (size_t)n);
        if (!x->w) abort();
        for (int i = x->nw; i < n; i++) x->w[i] = (XWriter){.wm = INT64_MIN};
        x->nw = n;
    }
    return &x->w[task];
}

/* Writer w's run of generation gen: a newer one drops what the older left uncommitted. */
static bool writer_gen(XWriter *w, int64_t gen)
{
    if (gen < w->gen) return false;   /* a dead run's record, after a newer one's: ignored */
    if (gen > w->gen) {   /* (its epochs count anew: a writer without a state file starts at 1) */
        w->pending.len = 0;
        w->gen = gen;
        w->applied = 0;
        w->changed = true;
    }
    return true;
}

/* The pending rows of w up to epoch `upto`, into out, in the order they came. */
static int writer_apply(OpState *s, XSource *x, XWriter *w, int64_t upto, Batch *out)
{
    const unsigned char *p = (const unsigned char *)w->pending.s, *end = p + w->pending.len, *keep = p;
    while (p < end) {
        const unsigned char *at = p;
        int64_t part, off, epoch, ts, len;
        if (get_num(&p, end, &part, false) || get_num(&p, end, &off, false) || get_num(&p, end, &epoch, false)) goto bad;
        if (epoch > upto) {
            p = at;
            break;
        }
        if (p >= end) goto bad;
        int kind = *p++;
        if (get_num(&p, end, &ts, true) || get_num(&p, end, &len, false) || len > end - p) goto bad;
        Value *row = batch_add(out, (RowKind)kind, ts);
        if (rowkey_decode((const char *)p, (size_t)len, x->types, row, x->ncols, &s->job->batch_arena)) goto bad;
        p += len;
        keep = p;
    }
    if (keep != (const unsigned char *)w->pending.s) {   /* drop what went out */
        size_t rest = (size_t)(end - keep);
        memmove(w->pending.s, keep, rest);
        w->pending.len = rest;
        w->changed = true;
    }
    return 0;
bad:
    return job_fail(s->job, "exchange '%s': a pending row does not decode (a damaged record)", x->t->conn.topic);
}

static void declare_writers(XSource *x, int64_t ntasks)
{
    if (ntasks <= x->ntasks) return;
    for (int64_t t = x->ntasks; t < ntasks; t++) {
        writer_of(x, t);
        wm_writer(x->wm, (int32_t)t, INT64_MIN, false);
    }
    x->ntasks = (int)ntasks;
    x->ntasks_changed = true;
}

/* Whether an entry's row decodes as the exchange's columns: checked when
 * it comes, kept as bytes until its marker. */
static bool row_fits(XSource *x, Batch *out, const char *row, size_t len)
{
    Value *tmp = batch_add(out, RK_INSERT, 0);
    int bad = rowkey_decode(row, len, x->types, tmp, x->ncols, NULL);
    out->n--;
    return !bad;
}

/* Appends a row of record r to w's pending entries. */
static void pend(XWriter *w, const RawRecord *r, int64_t epoch, int kind, int64_t ts, const char *row, size_t len)
{
    unsigned char h[5 * ROWKEY_VARINT_MAX + 1];
    size_t hn = rowkey_put_varint(h, (uint64_t)(r->partition > 0 ? r->partition : 0));
    hn += rowkey_put_varint(h + hn, (uint64_t)(r->offset > 0 ? r->offset : 0));
    hn += rowkey_put_varint(h + hn, (uint64_t)epoch);
    h[hn++] = (unsigned char)kind;
    hn += rowkey_put_varint(h + hn, rowkey_zigzag(ts));
    hn += rowkey_put_varint(h + hn, len);
    sb_putn(&w->pending, (const char *)h, hn);
    sb_putn(&w->pending, row, len);
}

/* Whether rows of writer w's generation gen and epoch are still to come:
 * not of a dead run, and not applied by a marker already (records read
 * again after a restart: the checkpoint rewound to the oldest pending). */
static bool wanted(XWriter *w, int64_t gen, int64_t epoch)
{
    if (!writer_gen(w, gen)) return false;
    return !(w->marked && epoch <= w->applied);
}

static int xsrc_decode(OpState *s, const RawRecord *recs, int n, Batch *out)
{
    XSource *x = s->priv;
    Job *j = s->job;
    char err[256];
    for (int i = 0; i < n; i++) {
        const RawRecord *r = &recs[i];
        XRecord xr;
        if (xrec_decode(r->val, r->vlen, &xr, err, sizeof err)) goto malformed;
        if (xr.task > 1 << 20 || (xr.type == XREC_MARKER && xr.ntasks > 1 << 20))
            return job_fail(j, "malformed record in topic '%s' partition %d offset %lld: an exchange record of task %lld (more than %d tasks)",
                            r->topic ? r->topic : x->t->conn.topic, (int)r->partition, (long long)r->offset,
                            (long long)(xr.type == XREC_MARKER && xr.ntasks > xr.task ? xr.ntasks : xr.task), 1 << 20);
        if (xr.type == XREC_DATA) {
            if (!row_fits(x, out, xr.row, xr.rowlen)) goto badrow;
            XWriter *w = writer_of(x, xr.task);
            if (wanted(w, xr.gen, xr.epoch)) pend(w, r, xr.epoch, xr.kind, xr.ts, xr.row, xr.rowlen);
            continue;
        }
        if (xr.type == XREC_ROWS) {   /* (a bad row fails the job: what was pended before it does not matter) */
            XWriter *w = writer_of(x, xr.task);
            bool keep = wanted(w, xr.gen, xr.epoch);
            const char *p = xr.row, *end = xr.row + xr.rowlen, *row;
            int kind;
            int64_t ts;
            size_t len;
            while (p < end && xrec_next_entry(&p, end, &kind, &ts, &row, &len) == 0) {
                if (!row_fits(x, out, row, len)) goto badrow;
                if (keep) pend(w, r, xr.epoch, kind, ts, row, len);
            }
            continue;
        }
        declare_writers(x, xr.ntasks);
        XWriter *w = writer_of(x, xr.task);
        if (!writer_gen(w, xr.gen)) continue;
        if (writer_apply(s, x, w, xr.epoch, out)) return -1;
        if (xr.epoch > w->applied) w->applied = xr.epoch;
        if (xr.watermark > w->wm) w->wm = xr.watermark;
        w->flags = xr.flags;
        w->marked = true;
        w->changed = true;
        wm_writer(x->wm, (int32_t)xr.task, w->wm, (xr.flags & XFLAG_IDLE) != 0);
        continue;
    badrow:
        snprintf(err, sizeof err, "exchange %s record: a row does not decode as the exchange's columns", xr.type == XREC_DATA ? "data" : "rows");
    malformed:
        return job_fail(j, "malformed record in topic '%s' partition %d offset %lld: %s", r->topic ? r->topic : x->t->conn.topic,
                        (int)r->partition, (long long)r->offset, err);
    }
    return 0;
}

static int xsrc_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)s, (void)port, (void)in, (void)out;
    return 0;   /* records enter through xsrc_decode */
}

static WmGen *xsrc_wmgen(const OpState *s) { return s->priv ? ((const XSource *)s->priv)->wm : NULL; }

static bool xsrc_ended(const OpState *s)
{
    const XSource *x = s->priv;
    if (!x || x->ntasks == 0) return false;
    for (int t = 0; t < x->ntasks; t++)
        if (t >= x->nw || !x->w[t].marked || !(x->w[t].flags & XFLAG_ENDED)) return false;
    return true;
}

/* State rows: "n" → the declared task count; a writer's (key: varint task)
 * → gen, applied, watermark, flags, marked.  Pending rows are not saved:
 * the checkpoint's offsets go back to the oldest record holding one
 * (xsrc_rewind), and a restart reads it again. */
static int xsrc_checkpoint(OpState *s, StateBatch *b, int op)
{
    XSource *x = s->priv;
    StrBuf v = {0};
    if (x->ntasks_changed) {
        put_varint(&v, (uint64_t)x->ntasks);
        char text[64];
        snprintf(text, sizeof text, "{\"tasks\":%d}", x->ntasks);
        state_batch_put(b, op, "n", 1, v.s, v.len, "\"tasks\"", text);
        s->job->ckpt_written++;
        x->ntasks_changed = false;
    }
    for (int t = 0; t < x->nw; t++) {
        XWriter *w = &x->w[t];
        if (!w->changed) continue;
        v.len = 0;
        put_varint(&v, (uint64_t)w->gen);
        put_varint(&v, (uint64_t)w->applied);
        put_varint(&v, rowkey_zigzag(w->wm));
        put_varint(&v, (uint64_t)w->flags);
        put_varint(&v, w->marked);
        unsigned char k[1 + ROWKEY_VARINT_MAX];
        k[0] = 'w';
        size_t kn = 1 + rowkey_put_varint(k + 1, (uint64_t)t);
        char ktext[32], text[200];
        snprintf(ktext, sizeof ktext, "{\"task\":%d}", t);
        snprintf(text, sizeof text, "{\"generation\":%lld,\"applied\":%lld,\"watermark\":%lld,\"flags\":%d}",
                 (long long)w->gen, (long long)w->applied, (long long)w->wm, w->flags);
        state_batch_put(b, op, k, kn, v.s, v.len, ktext, text);
        s->job->ckpt_written++;
        w->changed = false;
    }
    sb_free(&v);
    return 0;
}

typedef struct XSrcLoad {
    XSource *x;
    int      bad;
} XSrcLoad;

static int xsrc_load_row(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    XSrcLoad *l = ctx;
    XSource *x = l->x;
    const unsigned char *k = key, *p = val, *end = p + vlen;
    if (!val) return 0;   /* (never deleted) */
    if (klen == 1 && k[0] == 'n') {
        int64_t n;
        if (get_num(&p, end, &n, false) || p != end || n < 1 || n > 1 << 20) return (l->bad = 1);
        declare_writers(x, n);
        x->ntasks_changed = false;
        return 0;
    }
    const unsigned char *kp = k + 1;
    int64_t t, gen, applied, wm, flags, marked;
    if (klen < 2 || k[0] != 'w' || get_num(&kp, k + klen, &t, false) || kp != k + klen || t > 1 << 20) return (l->bad = 1);
    if (get_num(&p, end, &gen, false) || get_num(&p, end, &applied, false) || get_num(&p, end, &wm, true) ||
        get_num(&p, end, &flags, false) || get_num(&p, end, &marked, false) || p != end)
        return (l->bad = 1);
    XWriter *w = writer_of(x, t);
    w->gen = gen, w->applied = applied, w->wm = wm, w->flags = (int)flags, w->marked = marked != 0;
    w->pending.len = 0;
    w->changed = false;
    if (w->marked) wm_writer(x->wm, (int32_t)t, wm, (flags & XFLAG_IDLE) != 0);
    return 0;
}

static int xsrc_restore(OpState *s, StateStore *st, int op)
{
    XSource *x = s->priv;
    XSrcLoad l = {x, 0};
    if (state_scan(st, op, xsrc_load_row, &l) || l.bad)
        return job_fail(s->job, "state file: the exchange reader of '%s' has an unreadable row (is the file damaged?)", x->t->conn.topic);
    return 0;
}

/* Each partition of the exchange's topic goes back to its oldest record
 * whose rows are still pending: entries are in the order they came, so a
 * writer's first entry of a partition is its oldest there. */
static void xsrc_rewind(const OpState *s, SourceOffset *offsets, int n)
{
    const XSource *x = s->priv;
    int mine = 0;
    for (int i = 0; i < n; i++) mine += strcmp(offsets[i].topic, x->t->conn.topic) == 0;
    if (!mine) return;
    bool *seen = xcalloc((size_t)n, sizeof *seen);
    for (int t = 0; t < x->nw; t++) {
        const XWriter *w = &x->w[t];
        const unsigned char *p = (const unsigned char *)w->pending.s, *end = p + w->pending.len;
        memset(seen, 0, sizeof *seen * (size_t)n);
        for (int nseen = 0; p < end && nseen < mine;) {
            int64_t part, off, epoch, ts, len;
            if (get_num(&p, end, &part, false) || get_num(&p, end, &off, false) || get_num(&p, end, &epoch, false) || p >= end)
                break;
            p++;   /* kind */
            if (get_num(&p, end, &ts, true) || get_num(&p, end, &len, false) || len > end - p) break;
            p += len;
            for (int i = 0; i < n; i++) {
                SourceOffset *o = &offsets[i];
                if (seen[i] || o->partition != part || strcmp(o->topic, x->t->conn.topic) != 0) continue;
                seen[i] = true, nseen++;
                if (o->offset < 0 || off < o->offset) o->offset = off;
                break;
            }
        }
    }
    free(seen);
}

static void xsrc_fingerprint(const PlanNode *n, StrBuf *out)
{
    const PlanTable *t = plan_source(n)->table;
    sb_puts(out, "ExchangeReader/2 types=");
    for (int i = 0; i < t->ncols; i++) type_print(out, t->cols[i].type), sb_putc(out, ';');
}

const OpVTable op_exchange_source_vt = {
    .init = xsrc_init, .process = xsrc_process, .end = xsrc_end, .checkpoint = xsrc_checkpoint, .restore = xsrc_restore,
    .fingerprint = xsrc_fingerprint, .wmgen = xsrc_wmgen, .decode = xsrc_decode, .ended = xsrc_ended, .rewind = xsrc_rewind,
};
