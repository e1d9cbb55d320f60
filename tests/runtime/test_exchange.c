/*
 * test_exchange.c — the exchange between two stages (exec/op_exchange.c,
 * docs/scaling.md): its record format, and its exactly-once protocol
 * through commit markers with real state files — rows reach the next stage
 * only once their writer's checkpoint is committed; a crash between the
 * state commit and the marker loses nothing (the restarted writer sends
 * the marker again); a dead generation's uncommitted rows are dropped; a
 * reader restarted from its checkpoint keeps its pending rows; a task taken
 * by a Job made before its last run writes above that run's generation.
 *
 * The job: SET parallelism 2, GROUP BY region into an upsert table, cut
 * into stage 0 (source → calc → local aggregate → exchange) and stage 1
 * (exchange → global aggregate → sink).  Writers and readers are Jobs of
 * those stages; the "topic" between them is a list of captured records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"
#include "exchange.h"
#include "exec.h"
#include "state.h"

static const char *SQL =
    "SET 'parallelism.default' = '2';"
    "CREATE TABLE orders_raw (order_id BIGINT, amount DOUBLE, region STRING);"
    "CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE) WITH ('changelog.mode' = 'upsert');"
    "INSERT INTO summary SELECT region, COUNT(*), SUM(amount) FROM orders_raw GROUP BY region;";

/* The internal topic: records in the order written (one partition: the reader is one task). */
typedef struct Topic {
    char   *val[256];
    size_t  len[256];
    int     n;
} Topic;

/* What reached the sink: the last count and total per region. */
typedef struct Seen {
    long long n[4];       /* eu, us, ap */
    double    total[4];
    int       changes;
} Seen;

typedef struct Fx {
    eddy_engine *e;
    eddy_script *s;
    const Plan  *p;
    char         dir[64];
    Topic        topic;
    Seen         seen;
} Fx;

static int emit(void *ctx, const OutRecord *r, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    Topic *t = ctx;
    assert_true(t->n < 256);
    assert_int_equal(r->partition, 0);   /* one partition: the reader's */
    t->val[t->n] = malloc(r->vlen);
    memcpy(t->val[t->n], r->val, r->vlen);
    t->len[t->n++] = r->vlen;
    return 0;
}

static int region_ix(const char *s, int n)
{
    static const char *const names[] = {"eu", "us", "ap"};
    for (int i = 0; i < 3; i++)
        if ((int)strlen(names[i]) == n && memcmp(names[i], s, (size_t)n) == 0) return i;
    return 3;
}

static void on_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table)
{
    (void)cols, (void)ncols, (void)table;
    Seen *s = ctx;
    int r = region_ix(row[0].s, row[0].n);
    s->changes++;
    if (k == RK_DELETE) return;
    s->n[r] = row[1].i;
    s->total[r] = row[2].d;
}

static int setup(void **state)
{
    Fx *fx = calloc(1, sizeof *fx);
    fx->e = eddy_engine_new();
    if (eddy_compile(fx->e, SQL, strlen(SQL), "t.sql", &fx->s)) fail_msg("%s", eddy_errtext(fx->e));
    for (int i = 0; i < eddy_script_count(fx->s) && !fx->p; i++) fx->p = (const Plan *)eddy_script_plan(fx->s, i);
    assert_non_null(fx->p);
    assert_int_equal(fx->p->nstages, 2);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/eddy-xtest.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    for (int i = 0; i < fx->topic.n; i++) free(fx->topic.val[i]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    if (system(cmd) != 0) return -1;
    eddy_script_free(fx->s);
    eddy_engine_free(fx->e);
    free(fx);
    return 0;
}

/* A job of stage s, task 0 of 1, with the state file `name` (NULL: none). */
static Job *stage_job(Fx *fx, int s, const char *name)
{
    char err[1024];
    Job *j = job_new(fx->p->stages[s], err, sizeof err);
    if (!j) fail_msg("%s", err);
    job_set_task(j, 0, 1);
    if (s == 0) j->out = (JobOutput){.ctx = &fx->topic, .emit = emit};
    j->on_row = on_row;
    j->row_ctx = &fx->seen;
    if (name) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", fx->dir, name);
        if (job_open_state(j, path, false, err, sizeof err)) fail_msg("%s", err);
    }
    return j;
}

static void push_order(Job *w, int64_t off, const char *region, double amount)
{
    char json[128];
    snprintf(json, sizeof json, "{\"order_id\": %lld, \"amount\": %g, \"region\": \"%s\"}", (long long)off, amount, region);
    RawRecord r = {.topic = "orders_raw", .offset = off, .ts = 1000 + off, .val = json, .vlen = strlen(json)};
    if (job_push(w, 0, &r, 1)) fail_msg("%s", w->err);
}

/* Orders 0..2: eu 1, us 2, eu 4 (eu: 2 orders, 5.0; us: 1, 2.0). */
static void push_three(Job *w)
{
    push_order(w, 0, "eu", 1);
    push_order(w, 1, "us", 2);
    push_order(w, 2, "eu", 4);
}

/* The writer's checkpoint after reading up to offset `next`, committed (its marker sent). */
static void writer_checkpoint(Job *w, int64_t next)
{
    SourceOffset o = {"orders_raw", 0, next};
    if (job_checkpoint(w, &o, 1) || job_checkpoint_sync(w)) fail_msg("%s", w->err);
}

/* Records [from, to) of the topic to the reader. */
static void deliver(Fx *fx, Job *rd, int from, int to)
{
    for (int i = from; i < to; i++) {
        RawRecord r = {.topic = fx->p->stages[1]->sources[0]->table->conn.topic, .offset = i, .val = fx->topic.val[i],
                       .vlen = fx->topic.len[i]};
        if (job_push(rd, 0, &r, 1)) fail_msg("%s", rd->err);
    }
    if (job_flush(rd)) fail_msg("%s", rd->err);
}

static int count_type(const Fx *fx, int from, int type)
{
    int n = 0;
    for (int i = from; i < fx->topic.n; i++) n += (unsigned char)fx->topic.val[i][0] == type;
    return n;
}

/* Rows carried by records [from, n): a rows record's entries, a data record's one. */
static int count_rows(const Fx *fx, int from)
{
    int n = 0;
    for (int i = from; i < fx->topic.n; i++) {
        XRecord r;
        char err[128];
        assert_int_equal(xrec_decode(fx->topic.val[i], fx->topic.len[i], &r, err, sizeof err), 0);
        if (r.type == XREC_DATA) n++;
        if (r.type != XREC_ROWS) continue;
        const char *p = r.row, *end = r.row + r.rowlen, *row;
        int kind;
        int64_t ts;
        size_t len;
        while (p < end) {
            assert_int_equal(xrec_next_entry(&p, end, &kind, &ts, &row, &len), 0);
            n++;
        }
    }
    return n;
}

/* The record format: data, rows and markers round-trip; damage is refused, never misread. */
static void test_format(void **state)
{
    (void)state;
    StrBuf b = {0};
    XRecord m = {.type = XREC_MARKER, .task = 3, .gen = 1700000000000000LL, .epoch = 42, .watermark = INT64_MIN,
                 .flags = XFLAG_ENDED, .ntasks = 4};
    xrec_encode(&b, &m);
    XRecord got;
    char err[128];
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), 0);
    assert_int_equal(got.type, XREC_MARKER);
    assert_int_equal(got.task, 3);
    assert_int_equal(got.gen, m.gen);
    assert_int_equal(got.epoch, 42);
    assert_true(got.watermark == INT64_MIN);
    assert_int_equal(got.flags, XFLAG_ENDED);
    assert_int_equal(got.ntasks, 4);
    for (size_t cut = 0; cut < b.len; cut++) assert_int_equal(xrec_decode(b.s, cut, &got, err, sizeof err), -1);
    b.len = 0;
    XRecord d = {.type = XREC_DATA, .kind = RK_UPDATE_AFTER, .task = 1, .gen = 7, .epoch = 9, .ts = -5, .row = "\x00\x02", .rowlen = 2};
    xrec_encode(&b, &d);
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), 0);
    assert_int_equal(got.kind, RK_UPDATE_AFTER);
    assert_int_equal(got.ts, -5);
    assert_int_equal(got.rowlen, 2);
    b.s[0] = 9;   /* not a type */
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), -1);
    /* a rows record: two entries after the header; a header alone, a cut
     * inside an entry and a bad kind are refused (a cut between entries is
     * a record of the first) */
    b.len = 0;
    XRecord h = {.type = XREC_ROWS, .task = 2, .gen = 7, .epoch = 9};
    xrec_encode(&b, &h);
    size_t head = b.len;
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), -1);
    assert_true(err[0] != 0);
    xrec_put_entry(&b, RK_INSERT, 1000, "\x00\x02", 2);
    size_t first = b.len;
    xrec_put_entry(&b, RK_DELETE, -3, "", 0);
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), 0);
    assert_int_equal(got.type, XREC_ROWS);
    assert_int_equal(got.task, 2);
    assert_int_equal(got.gen, 7);
    assert_int_equal(got.epoch, 9);
    const char *p = got.row, *end = got.row + got.rowlen, *row;
    int kind;
    int64_t ts;
    size_t rl;
    assert_int_equal(xrec_next_entry(&p, end, &kind, &ts, &row, &rl), 0);
    assert_int_equal(kind, RK_INSERT);
    assert_int_equal(ts, 1000);
    assert_int_equal(rl, 2);
    assert_memory_equal(row, "\x00\x02", 2);
    assert_int_equal(xrec_next_entry(&p, end, &kind, &ts, &row, &rl), 0);
    assert_int_equal(kind, RK_DELETE);
    assert_int_equal(ts, -3);
    assert_int_equal(rl, 0);
    assert_true(p == end);
    for (size_t cut = 0; cut < b.len; cut++) {
        int rc = xrec_decode(b.s, cut, &got, err, sizeof err);
        assert_int_equal(rc, cut == first ? 0 : -1);
    }
    b.s[head] = 4;   /* not a row kind */
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), -1);
    /* a marker naming a task beyond its task count */
    b.len = 0;
    m.task = 4;
    xrec_encode(&b, &m);
    assert_int_equal(xrec_decode(b.s, b.len, &got, err, sizeof err), -1);
    sb_free(&b);
}

/* Rows wait for their writer's commit marker; a crash between the state
 * commit and the marker loses nothing: the restarted writer sends the
 * marker of its last checkpoint again, with that run's generation. */
static void test_commit_and_crash_before_marker(void **state)
{
    Fx *fx = *state;
    Job *w = stage_job(fx, 0, "w.db");
    Job *rd = stage_job(fx, 1, NULL);
    push_three(w);
    if (job_flush(w)) fail_msg("%s", w->err);
    /* a start marker (committing nothing), then the partials */
    assert_int_equal(count_type(fx, 0, XREC_MARKER), 1);
    assert_int_equal(count_type(fx, 0, XREC_ROWS), 1);   /* both partials in one record: one partition */
    assert_int_equal(count_rows(fx, 0), 2);
    deliver(fx, rd, 0, fx->topic.n);
    assert_int_equal(fx->seen.changes, 0);   /* nothing committed yet */
    int before = fx->topic.n;
    writer_checkpoint(w, 3);
    assert_int_equal(count_type(fx, before, XREC_MARKER), 1);   /* checkpoint 1 committed: its marker */
    /* the marker is lost: the writer dies after its state commit */
    free(fx->topic.val[--fx->topic.n]);
    job_free(w);
    deliver(fx, rd, before, fx->topic.n);
    assert_int_equal(fx->seen.changes, 0);
    /* restarted from its state file: the lost marker comes again first */
    before = fx->topic.n;
    w = stage_job(fx, 0, "w.db");
    assert_true(job_start(w) == 0);
    assert_int_equal(fx->topic.n - before, 1);
    XRecord m;
    char err[128];
    assert_int_equal(xrec_decode(fx->topic.val[before], fx->topic.len[before], &m, err, sizeof err), 0);
    assert_int_equal(m.type, XREC_MARKER);
    assert_int_equal(m.epoch, 1);
    deliver(fx, rd, before, fx->topic.n);
    assert_int_equal(fx->seen.n[0], 2);
    assert_true(fx->seen.total[0] == 5.0);
    assert_int_equal(fx->seen.n[1], 1);
    /* and goes on with a new generation, above the old one */
    XRecord m1;
    before = fx->topic.n;
    push_order(w, 3, "eu", 8);
    writer_checkpoint(w, 4);
    deliver(fx, rd, before, fx->topic.n);
    for (int i = before; i < fx->topic.n; i++) {
        assert_int_equal(xrec_decode(fx->topic.val[i], fx->topic.len[i], &m1, err, sizeof err), 0);
        assert_true(m1.gen > m.gen);
    }
    assert_int_equal(fx->seen.n[0], 3);
    assert_true(fx->seen.total[0] == 13.0);
    job_free(w);
    job_free(rd);
}

/* A writer that dies before committing: its rows, already in the topic,
 * are dropped when its next generation writes; the replay of its input
 * counts them once. */
static void test_dead_generation_dropped(void **state)
{
    Fx *fx = *state;
    Job *w = stage_job(fx, 0, "w2.db");
    Job *rd = stage_job(fx, 1, NULL);
    push_order(w, 0, "eu", 1);
    writer_checkpoint(w, 1);   /* checkpoint 1: offset 1 */
    push_order(w, 1, "us", 2);
    push_order(w, 2, "us", 3);
    if (job_flush(w)) fail_msg("%s", w->err);   /* written, never committed */
    job_free(w);   /* kill -9 */
    deliver(fx, rd, 0, fx->topic.n);
    assert_int_equal(fx->seen.n[0], 1);
    assert_int_equal(fx->seen.n[1], 0);   /* pending, uncommitted */
    int before = fx->topic.n;
    w = stage_job(fx, 0, "w2.db");   /* resumes at offset 1: reads orders 1 and 2 again */
    push_order(w, 1, "us", 2);
    push_order(w, 2, "us", 3);
    writer_checkpoint(w, 3);
    deliver(fx, rd, before, fx->topic.n);
    assert_int_equal(fx->seen.n[1], 2);   /* once, not twice */
    assert_true(fx->seen.total[1] == 5.0);
    assert_int_equal(fx->seen.n[0], 1);
    job_free(w);
    job_free(rd);
}

/* A reader restarted from its checkpoint reads again the records whose
 * rows were pending then (its checkpoint's offset goes back to them), and
 * keeps the markers it had seen: the records after apply them once. */
static void test_reader_restart(void **state)
{
    Fx *fx = *state;
    Job *w = stage_job(fx, 0, NULL);   /* no state: commits at every flush */
    Job *rd = stage_job(fx, 1, "r.db");
    push_order(w, 0, "ap", 1);
    push_order(w, 1, "ap", 2);
    /* data without its marker yet: the flush marker comes after them */
    int n0 = fx->topic.n;
    if (job_flush(w)) fail_msg("%s", w->err);
    int marker_at = -1;
    for (int i = n0; i < fx->topic.n; i++)
        if ((unsigned char)fx->topic.val[i][0] == XREC_MARKER) marker_at = i;
    assert_true(marker_at > 0);
    deliver(fx, rd, 0, marker_at);   /* everything but the marker */
    assert_int_equal(fx->seen.changes, 0);
    const char *xt = fx->p->stages[1]->sources[0]->table->conn.topic;
    SourceOffset o = {xt, 0, marker_at};
    if (job_checkpoint(rd, &o, 1) || job_checkpoint_sync(rd)) fail_msg("%s", rd->err);
    job_free(rd);
    /* the checkpoint went back to the record holding the pending rows: the
     * restart reads it again instead of keeping the rows in its state */
    rd = stage_job(fx, 1, "r.db");
    assert_true(job_resumed(rd));
    int64_t next = -1;
    assert_int_equal(state_get_offset(rd->state, xt, 0, &next), 0);
    assert_true(next >= n0 && next < marker_at);
    assert_int_equal((unsigned char)fx->topic.val[next][0], XREC_ROWS);
    deliver(fx, rd, (int)next, fx->topic.n);
    assert_int_equal(fx->seen.n[2], 2);
    assert_true(fx->seen.total[2] == 3.0);
    /* the end: the writer's final watermark ends the reader's input */
    assert_false(job_inputs_ended(rd));
    int before = fx->topic.n;
    if (job_final_watermark(w) || job_flush(w)) fail_msg("%s", w->err);
    deliver(fx, rd, before, fx->topic.n);
    assert_true(job_inputs_ended(rd));
    job_free(w);
    job_free(rd);
}

/* Appends a hand-made record to the topic. */
static void put_rec(Fx *fx, const XRecord *r, const char *row, size_t rowlen)
{
    StrBuf b = {0};
    xrec_encode(&b, r);
    if (r->type == XREC_ROWS) xrec_put_entry(&b, RK_INSERT, 5, row, rowlen);
    fx->topic.val[fx->topic.n] = b.s;
    fx->topic.len[fx->topic.n++] = b.len;
}

/* Two writers: a reader's checkpoint goes back to writer 0's pending rows,
 * behind writer 1's rows that a marker already applied; read again after a
 * restart, writer 1's are dropped (their epoch is applied) and writer 0's
 * are applied once, at their marker. */
static void test_reread_applies_once(void **state)
{
    Fx *fx = *state;
    Job *w = stage_job(fx, 0, NULL);
    push_order(w, 0, "eu", 1);
    push_order(w, 1, "us", 2);
    if (job_flush(w)) fail_msg("%s", w->err);
    job_free(w);
    /* the two partials (eu: 1, us: 2) of the rows record it wrote */
    const char *row[2] = {NULL, NULL};
    size_t rl[2] = {0, 0};
    for (int i = 0; i < fx->topic.n; i++) {
        XRecord r;
        char err[128];
        assert_int_equal(xrec_decode(fx->topic.val[i], fx->topic.len[i], &r, err, sizeof err), 0);
        if (r.type != XREC_ROWS) continue;
        const char *p = r.row, *end = r.row + r.rowlen;
        int kind;
        int64_t ts;
        for (int k = 0; k < 2; k++) assert_int_equal(xrec_next_entry(&p, end, &kind, &ts, &row[k], &rl[k]), 0);
    }
    assert_non_null(row[1]);
    int from = fx->topic.n;
    XRecord m = {.type = XREC_MARKER, .watermark = INT64_MIN, .ntasks = 2};
    m.task = 0, m.gen = 100, m.epoch = 0;
    put_rec(fx, &m, NULL, 0);
    m.task = 1, m.gen = 200;
    put_rec(fx, &m, NULL, 0);
    int pending_at = fx->topic.n;
    put_rec(fx, &(XRecord){.type = XREC_ROWS, .task = 0, .gen = 100, .epoch = 1}, row[0], rl[0]);   /* eu, pending */
    put_rec(fx, &(XRecord){.type = XREC_ROWS, .task = 1, .gen = 200, .epoch = 1}, row[1], rl[1]);   /* us */
    m.epoch = 1;
    put_rec(fx, &m, NULL, 0);   /* writer 1 commits epoch 1: us applied */
    Job *rd = stage_job(fx, 1, "r2.db");
    deliver(fx, rd, from, fx->topic.n);
    assert_int_equal(fx->seen.n[1], 1);
    assert_int_equal(fx->seen.n[0], 0);
    const char *xt = fx->p->stages[1]->sources[0]->table->conn.topic;
    SourceOffset o = {xt, 0, fx->topic.n};
    if (job_checkpoint(rd, &o, 1) || job_checkpoint_sync(rd)) fail_msg("%s", rd->err);
    job_free(rd);
    rd = stage_job(fx, 1, "r2.db");
    int64_t next = -1;
    assert_int_equal(state_get_offset(rd->state, xt, 0, &next), 0);
    assert_int_equal(next, pending_at);
    int changes = fx->seen.changes;
    deliver(fx, rd, (int)next, fx->topic.n);   /* read again: nothing applied twice */
    assert_int_equal(fx->seen.changes, changes);
    m.task = 0, m.gen = 100;
    put_rec(fx, &m, NULL, 0);   /* writer 0 commits epoch 1 */
    deliver(fx, rd, fx->topic.n - 1, fx->topic.n);
    assert_int_equal(fx->seen.n[0], 1);
    assert_true(fx->seen.total[0] == 1.0);
    assert_int_equal(fx->seen.n[1], 1);
    assert_true(fx->seen.total[1] == 2.0);
    job_free(rd);
}

/* Records of a data record each (what writers sent before rows records)
 * are still read: the same rows, re-sent one per record, give the same
 * result. */
static void test_data_records_still_read(void **state)
{
    Fx *fx = *state;
    Job *w = stage_job(fx, 0, "w.db");
    Job *rd = stage_job(fx, 1, NULL);
    push_three(w);
    writer_checkpoint(w, 3);
    Topic old = {0};
    for (int i = 0; i < fx->topic.n; i++) {
        XRecord r;
        char err[128];
        assert_int_equal(xrec_decode(fx->topic.val[i], fx->topic.len[i], &r, err, sizeof err), 0);
        const char *p = r.row, *end = r.row + r.rowlen;
        StrBuf b = {0};
        if (r.type == XREC_MARKER) {
            xrec_encode(&b, &r);
            old.val[old.n] = b.s, old.len[old.n++] = b.len;
            continue;
        }
        assert_int_equal(r.type, XREC_ROWS);
        while (p < end) {
            XRecord d = {.type = XREC_DATA, .task = r.task, .gen = r.gen, .epoch = r.epoch};
            assert_int_equal(xrec_next_entry(&p, end, &d.kind, &d.ts, &d.row, &d.rowlen), 0);
            b = (StrBuf){0};
            xrec_encode(&b, &d);
            old.val[old.n] = b.s, old.len[old.n++] = b.len;
        }
    }
    assert_int_equal(old.n, fx->topic.n + 1);   /* the rows record became two data records */
    for (int i = 0; i < fx->topic.n; i++) free(fx->topic.val[i]);
    fx->topic = old;
    deliver(fx, rd, 0, fx->topic.n);
    assert_int_equal(fx->seen.n[0], 2);
    assert_true(fx->seen.total[0] == 5.0);
    assert_int_equal(fx->seen.n[1], 1);
    assert_true(fx->seen.total[1] == 2.0);
    job_free(w);
    job_free(rd);
}

/* The last marker's generation in the topic, from record `from` on. */
static int64_t last_marker_gen(const Fx *fx, int from)
{
    int64_t gen = -1;
    XRecord m;
    char err[128];
    for (int i = from; i < fx->topic.n; i++) {
        assert_int_equal(xrec_decode(fx->topic.val[i], fx->topic.len[i], &m, err, sizeof err), 0);
        if (m.type == XREC_MARKER) gen = m.gen;
    }
    return gen;
}

/* A consumer group's task moves between processes, and a process makes its
 * task's Job before it takes the task (when it starts, or when it gave the
 * task back), while another process may run the task meanwhile.  A run's
 * generation is taken when it starts, above the one the state file names,
 * and a checkpoint names its run's generation in the file even when the
 * run wrote no rows: else the next run, its Job made earlier, wrote under
 * a generation below the one the readers last saw, and they dropped its
 * rows as a dead run's (e2e/group_three lost the orders of three tasks). */
static void test_generation_of_a_task_taken_later(void **state)
{
    Fx *fx = *state;
    Job *late = stage_job(fx, 0, NULL);   /* made first, run last: its state file is opened when it is taken */
    Job *rd = stage_job(fx, 1, NULL);
    usleep(2000);
    Job *w = stage_job(fx, 0, "g.db");   /* the first owner: rows, committed */
    if (job_start(w)) fail_msg("%s", w->err);
    push_order(w, 0, "eu", 1);
    writer_checkpoint(w, 1);
    job_free(w);
    usleep(2000);
    w = stage_job(fx, 0, "g.db");   /* the second: no rows, one checkpoint, whose marker names its generation */
    if (job_start(w)) fail_msg("%s", w->err);
    int before = fx->topic.n;
    writer_checkpoint(w, 1);
    int64_t g2 = last_marker_gen(fx, before);
    assert_true(g2 > 0);
    job_free(w);
    usleep(2000);
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/g.db", fx->dir);
    if (job_open_state(late, path, false, err, sizeof err)) fail_msg("%s", err);
    before = fx->topic.n;
    if (job_start(late)) fail_msg("%s", late->err);
    assert_int_equal(last_marker_gen(fx, before), g2);   /* the last checkpoint's marker again, as its run named it */
    before = fx->topic.n;
    push_order(late, 1, "eu", 2);
    writer_checkpoint(late, 2);
    XRecord m;
    for (int i = before; i < fx->topic.n; i++) {
        assert_int_equal(xrec_decode(fx->topic.val[i], fx->topic.len[i], &m, err, sizeof err), 0);
        assert_true(m.gen > g2);
    }
    deliver(fx, rd, 0, fx->topic.n);
    assert_int_equal(fx->seen.n[0], 2);   /* the late run's order too */
    assert_true(fx->seen.total[0] == 3.0);
    job_free(late);
    job_free(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test_setup_teardown(test_commit_and_crash_before_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_generation_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation_of_a_task_taken_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_records_still_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reread_applies_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
