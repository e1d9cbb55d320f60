/*
 * op_scan_jdbc.c — the source of a 'jdbc' table in FROM: the table read
 * once (a bounded scan, as Flink's JDBC source), then the source ends.
 * The Kafka source's operator (op_source.c) hands a jdbc table's node to
 * this one at init.
 *
 *   when                      what
 *   open (job_sinks_open)     connect; every declared column checked against the database table
 *                             (a message names the column and both types)
 *   pull (job_pull)           the next piece (≤ 'scan.fetch-size' rows, a FETCH from a cursor),
 *                             as +I rows; the driver's position moves with them
 *   nothing left              *done: its watermark becomes the end of time (job_pull)
 *
 * Only the columns some consumer reads are fetched (the plan's projection
 * push-down); the others are NULL.  The scan is append-only, unique by the
 * PRIMARY KEY (the planner's key).  Its position — rows emitted — is a
 * source position like a Kafka offset (job_source_position): checkpoints
 * record it, a restart resumes after that many rows (rows come in key
 * order; without a key, in the order of every column read, when there is
 * a state file to resume from), and a database sink's marker holds it.
 * A WATERMARK on the table is not evaluated row by row: a table has no
 * arrival order, so its rows are never late; its windows fire when the
 * scan ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "pg_scan.h"

typedef struct ScanState {
    PgScan *pg;           /* the database, once opened */
    char    pos_name[300];/* job_source_position: "jdbc:<table-name>[#n]" */
    Batch  *out;          /* the batch being filled (the fetch callback) */
    int64_t ts;           /* the rows' timestamp: the job's clock at the pull */
} ScanState;

static int scan_init(OpState *s)
{
    ScanState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    const Plan *p = s->job->plan;
    const SourcePlan *sp = plan_source(s->node);
    const char *tn = sp->table->conn.table_name;
    int same = 0;   /* earlier scans of the same database table */
    for (int i = 0; i < sp->index; i++) {
        const PlanTable *t = p->sources[i]->table;
        same += t->conn.kind == CONN_JDBC && strcmp(t->conn.table_name, tn) == 0;
    }
    if (same) snprintf(st->pos_name, sizeof st->pos_name, "jdbc:%.250s#%d", tn, same + 1);
    else snprintf(st->pos_name, sizeof st->pos_name, "jdbc:%.250s", tn);
    return 0;
}

static const char *scan_position(const OpState *src) { return ((const ScanState *)src->priv)->pos_name; }

static void scan_end(OpState *s)
{
    ScanState *st = s->priv;
    if (!st) return;
    pgscan_close(st->pg);
    free(st);
}

static void scan_notice(void *ctx, const char *msg) { job_notice(ctx, "%s", msg); }

static int scan_open(OpState *s, SourceOffset **ahead, int *nahead)
{
    (void)ahead;
    (void)nahead;   /* a source: no checkpoint of its own to compare */
    ScanState *st = s->priv;
    const SourcePlan *sp = plan_source(s->node);
    const PlanNode *n = s->node;
    PgScanSpec spec = {.table = sp->table, .cols = n->cols, .ncols = n->ncols, .read = sp->needed,
                       .key = n->has_key ? n->key : NULL, .nkey = n->has_key ? n->nkey : 0,
                       /* a state file: the position must mean the same rows after a restart */
                       .ordered = s->job->state != NULL, .notice = scan_notice, .notice_ctx = s->job};
    char err[1200];
    if (pgscan_open(&spec, &st->pg, err, sizeof err)) return job_fail(s->job, "source '%s': %s", sp->table->name, err);
    return 0;
}

static int scan_row(void *ctx, const Value *row)
{
    ScanState *st = ctx;
    Value *o = batch_add(st->out, RK_INSERT, st->ts);
    memcpy(o, row, sizeof *o * (size_t)st->out->ncols);
    return 0;
}

static int scan_pull(OpState *s, int64_t *pos, int64_t max, Batch *out, bool *done)
{
    ScanState *st = s->priv;
    const SourcePlan *sp = plan_source(s->node);
    if (!st->pg)
        return job_fail(s->job, "source '%s' is a jdbc (PostgreSQL) table: it is read from the database (eddy run, the shell), "
                                "not from test input", sp->table->name);
    st->out = out;
    st->ts = s->job->clock_ms;
    char err[1400];
    if (pgscan_next(st->pg, pos, max, scan_row, st, &s->job->batch_arena, done, err, sizeof err))
        return job_fail(s->job, "source '%s': %s", sp->table->name, err);
    return 0;
}

static int scan_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)s, (void)port, (void)in, (void)out;   /* no inputs: rows come through pull */
    return 0;
}

const OpVTable op_scan_jdbc_vt = {.init = scan_init, .process = scan_process, .end = scan_end, .open = scan_open, .pull = scan_pull,
                                  .position = scan_position};
