/*
 * op_sink_jdbc.c — the sink of a 'jdbc' table (PostgreSQL): the Kafka
 * sink's operator (op_sink.c) hands a jdbc table's node to this one at
 * init.  It maps its input to the table's written columns as op_sink.c
 * does (NULL where the INSERT did not list a column, NOT NULL enforced,
 * the row callback called) and gives each row to connect/pg_sink.c:
 *
 *   table            +I / +U            -D / -U
 *   PRIMARY KEY      upsert by the key  delete by the key
 *   no key (append)  insert             (the planner lets none through)
 *
 * When rows reach the database, and when they commit:
 *   exactly-once (default, with a state file)
 *       sent (COPY) when 'sink.buffer-flush.max-rows' rows are buffered or
 *       the oldest waited 'sink.buffer-flush.interval'; committed only by
 *       the checkpoint (commit hook), with the checkpoint's marker row, just
 *       before the state file commits.
 *   at-least-once ('sink.delivery-guarantee', or no state file)
 *       committed on those same triggers, and at each checkpoint / stop.
 * Without a database (an in-memory run, `eddy test`) the open hook is
 * never called: rows reach the row callback only.
 *
 * Restart (open hook): the database's marker for this state file's run
 * says which checkpoint it holds.  The same as the state file's: nothing
 * to do.  One more (killed between the two commits): the job re-reads up
 * to that checkpoint's offsets while this sink drops rows
 * (Job.sinks_catching_up), so operator state catches up with what the
 * table already holds, and the next checkpoint makes them agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "exec.h"
#include "options.h"
#include "pg_sink.h"
#include "state.h"

typedef struct JdbcSinkState {
    PgSink       *pg;      /* the database, once opened (NULL in memory) */
    Value        *row;     /* scratch sink row */
    int          *key;     /* sink row indexes of the PRIMARY KEY */
    int           nkey;    /* count (0 = append) */
    bool          eo;      /* exactly-once: commits only with checkpoints */
    bool          ahead;   /* the database holds the state file's next checkpoint: drop rows while catching up */
    int64_t       first_ms;/* job clock when the oldest buffered row came, -1 = none buffered */
    SourceOffset *ahead_offs; /* that checkpoint's offsets (for job_sinks_open's caller) */
    int           nahead;  /* count */
    char          run_id[40]; /* the state file's run id */
    int64_t       retries; /* the database's retries already added to JobStats.sink_retries */
} JdbcSinkState;

/* Adds the retries of the last send or commit to the job's counter. */
static void count_retries(OpState *s)
{
    JdbcSinkState *st = s->priv;
    int64_t r = pgsink_retries(st->pg);
    s->job->stats.sink_retries += r - st->retries;
    st->retries = r;
}

static int jdbc_init(OpState *s)
{
    const SinkPlan *sp = plan_sink(s->node);
    const PlanTable *t = sp->table;
    JdbcSinkState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->first_ms = -1;
    st->row = calloc((size_t)sp->nsink + 1, sizeof *st->row);
    st->key = calloc((size_t)t->npk + 1, sizeof *st->key);
    if (!st->row || !st->key) abort();
    if (t->conn.mode == MODE_UPSERT) {
        for (int k = 0; k < t->npk; k++) {
            int at = -1;
            for (int c = 0; c < sp->nsink && at < 0; c++)
                if (sp->sink_cols[c] == t->pk[k]) at = c;
            if (at < 0)
                return job_fail(s->job, "table '%s': the INSERT does not write primary key column '%s'", t->name, t->cols[t->pk[k]].name);
            st->key[st->nkey++] = at;
        }
    }
    return 0;
}

static void jdbc_end(OpState *s)
{
    JdbcSinkState *st = s->priv;
    if (!st) return;
    pgsink_close(st->pg);
    for (int i = 0; i < st->nahead; i++) free((char *)st->ahead_offs[i].topic);
    free(st->ahead_offs);
    free(st->row);
    free(st->key);
    free(st);
}

static void jdbc_notice(void *ctx, const char *msg) { job_notice(ctx, "%s", msg); }

/* A random run id for a state file that has none: markers are kept under it. */
static void new_run_id(char *out, size_t cap)
{
    unsigned char b[16] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && read(fd, b, sizeof b) == (ssize_t)sizeof b;
    if (fd >= 0) close(fd);
    if (!ok) {
        uint64_t x = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)out;
        memcpy(b, &x, sizeof x);
    }
    size_t o = 0;
    for (size_t i = 0; i < sizeof b && o + 2 < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%02x", b[i]);
}

static int jdbc_open(OpState *s, SourceOffset **ahead, int *nahead)
{
    JdbcSinkState *st = s->priv;
    Job *j = s->job;
    const SinkPlan *sp = plan_sink(s->node);
    const PlanTable *t = sp->table;
    st->eo = j->state && !t->conn.at_least_once;
    if (st->eo) {
        const char *rid = state_get_meta(j->state, "run_id");
        if (rid) snprintf(st->run_id, sizeof st->run_id, "%s", rid);
        else {
            new_run_id(st->run_id, sizeof st->run_id);
            if (state_set_meta(j->state, "run_id", st->run_id)) return job_fail(j, "%s", state_errmsg(j->state));
        }
    }
    PgSinkSpec spec = {.table = t, .cols = s->node->cols, .ncols = sp->nsink, .key = st->key, .nkey = st->nkey,
                       .job = j->plan->name, .run_id = st->eo ? st->run_id : NULL, .notice = jdbc_notice, .notice_ctx = j};
    char err[1200];
    if (pgsink_open(&spec, &st->pg, err, sizeof err)) return job_fail(j, "sink '%s': %s", t->name, err);
    if (!st->eo) return 0;
    int64_t have;
    if (pgsink_marker(st->pg, &have, &st->ahead_offs, &st->nahead, err, sizeof err))
        return job_fail(j, "sink '%s': %s", t->name, err);
    int64_t base = j->ckpt_base;   /* the state file's last checkpoint (0: none) */
    if (have == base) return 0;
    if (have == base + 1) {
        st->ahead = true;
        if (!*ahead) {
            *ahead = st->ahead_offs;
            *nahead = st->nahead;
        }
        job_notice(j, "sink '%s': PostgreSQL holds checkpoint %lld, the state file %lld (stopped between the two commits): "
                      "re-reading up to its offsets without writing",
                   t->name, (long long)have, (long long)base);
        return 0;
    }
    return job_fail(j, "sink '%s': PostgreSQL table '%s' holds checkpoint %lld of this job (run %s) but the state file is at "
                       "checkpoint %lld: one of them was changed behind eddy's back; start fresh with --reset-state",
                    t->name, t->conn.table_name, (long long)have, st->run_id, (long long)base);
}

/* Sends (exactly-once) or commits (at-least-once) what is buffered. */
static int jdbc_deliver(OpState *s)
{
    JdbcSinkState *st = s->priv;
    char err[1200];
    int rc = st->eo ? pgsink_send(st->pg, err, sizeof err) : pgsink_commit(st->pg, 0, NULL, 0, err, sizeof err);
    count_retries(s);
    st->first_ms = -1;
    return rc ? job_fail(s->job, "sink '%s': %s", plan_sink(s->node)->table->name, err) : 0;
}

static int jdbc_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    (void)out;
    const PlanNode *n = s->node;
    const SinkPlan *sp = plan_sink(n);
    JdbcSinkState *st = s->priv;
    Job *j = s->job;
    for (int i = 0; i < in->n; i++) {
        const Value *src = batch_row(in, i);
        RowKind k = in->kinds[i];
        for (int c = 0; c < sp->nsink; c++) {
            st->row[c] = sp->sink_map[c] < 0 ? (Value){.null = 1} : src[sp->sink_map[c]];
            if (st->row[c].null && !n->cols[c].type.nullable)
                return job_fail(j, "column '%s' of table '%s' is NOT NULL but the query produced NULL for it", n->cols[c].name,
                                sp->table->name);
        }
        j->stats.rows_out++;
        if (j->on_row) j->on_row(j->row_ctx, k, st->row, n->cols, sp->nsink, sp->table->name);
        if (!st->pg || (st->ahead && j->sinks_catching_up)) continue;
        char err[1200];
        if (pgsink_write(st->pg, k, st->row, err, sizeof err)) return job_fail(j, "sink '%s': %s", sp->table->name, err);
        j->stats.records_out++;
        if (st->first_ms < 0) st->first_ms = j->clock_ms;
        if (pgsink_buffered(st->pg) >= sp->table->conn.flush_rows && jdbc_deliver(s)) return -1;
    }
    return 0;
}

/* The oldest buffered row waited 'sink.buffer-flush.interval'. */
static int jdbc_clock(OpState *s, int64_t now_ms, Batch *out)
{
    (void)out;
    JdbcSinkState *st = s->priv;
    int64_t iv = plan_sink(s->node)->table->conn.flush_ms;
    if (!st->pg || st->first_ms < 0 || iv <= 0 || now_ms - st->first_ms < iv) return 0;
    return jdbc_deliver(s);
}

static int jdbc_commit(OpState *s, int64_t ckpt, const SourceOffset *offsets, int n)
{
    JdbcSinkState *st = s->priv;
    if (!st->pg) return 0;
    char err[1200];
    int rc = pgsink_commit(st->pg, st->eo ? ckpt : 0, offsets, n, err, sizeof err);
    count_retries(s);
    if (rc) return job_fail(s->job, "sink '%s': %s (checkpoint not taken)", plan_sink(s->node)->table->name, err);
    st->first_ms = -1;
    if (!s->job->sinks_catching_up) st->ahead = false;
    /* Fault injection for tests/pg: end the process right after the
     * database committed checkpoint N and before the state file does — the
     * one moment the protocol's catch-up exists for. */
    const char *at = getenv("EDDY_TEST_EXIT_AFTER_SINK_COMMIT");
    int64_t n_at;
    if (at && ckpt > 0 && opt_parse_int(at, &n_at) && n_at == ckpt) _exit(137);
    return 0;
}

const OpVTable op_sink_jdbc_vt = {.init = jdbc_init, .process = jdbc_process, .clock = jdbc_clock, .end = jdbc_end,
                                  .open = jdbc_open, .commit = jdbc_commit};
