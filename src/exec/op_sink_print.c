/*
 * op_sink_print.c — the sinks of 'blackhole' and 'print' tables (Flink's
 * BlackHole and Print connectors).  The Kafka sink's operator (op_sink.c)
 * hands such a table's node to one of these at init.  Both map their input
 * to the table's written columns as op_sink.c does (NULL where the INSERT
 * did not list a column, NOT NULL enforced), count every row in
 * JobStats.rows_out (the stop line, eddy_job_counts, `eddy test`'s counts)
 * and hand it to the row callback; every row kind is taken.
 *
 *   blackhole   nothing else: the rows are gone
 *   print       one line per row, as Flink's print sink writes it:
 *               `+I[1, a]`, or `id> -U[1, a]` with 'print-identifier' = 'id',
 *               handed to the job's print callback (Job.print: the embedding
 *               program's eddy_job_options.on_print, which the eddy command
 *               writes to standard output, or to standard error with
 *               'standard-error').  The library never writes to a stream
 *               itself: a job whose program takes no printed lines fails at
 *               its first row rather than lose them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

typedef struct PrintState {
    Value *row;           /* scratch sink row */
    StrBuf line;          /* the printed line */
} PrintState;

static int print_init(OpState *s)
{
    PrintState *st = calloc(1, sizeof *st);
    if (!st) abort();
    s->priv = st;
    st->row = calloc((size_t)plan_sink(s->node)->nsink + 1, sizeof *st->row);
    if (!st->row) abort();
    return 0;
}

static void print_end(OpState *s)
{
    PrintState *st = s->priv;
    if (!st) return;
    free(st->row);
    sb_free(&st->line);
    free(st);
}

static int print_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* one input */
    (void)out;
    const PlanNode *n = s->node;
    const SinkPlan *sp = plan_sink(n);
    const PlanTable *t = sp->table;
    PrintState *st = s->priv;
    Job *j = s->job;
    bool printing = t->conn.kind == CONN_PRINT;
    if (printing && in->n && !j->print)
        return job_fail(j, "sink '%s' (connector 'print'): the program running the job takes no printed rows "
                           "(eddy_job_options.on_print is not set)", t->name);
    for (int i = 0; i < in->n; i++) {
        const Value *src = batch_row(in, i);
        RowKind k = in->kinds[i];
        for (int c = 0; c < sp->nsink; c++) {
            st->row[c] = sp->sink_map[c] < 0 ? (Value){.null = 1} : src[sp->sink_map[c]];
            if (st->row[c].null && !n->cols[c].type.nullable)
                return job_fail(j, "column '%s' of table '%s' is NOT NULL but the query produced NULL for it", n->cols[c].name, t->name);
        }
        j->stats.rows_out++;
        if (j->on_row) j->on_row(j->row_ctx, k, st->row, n->cols, sp->nsink, t->name);
        if (!printing) continue;
        st->line.len = 0;
        if (t->conn.print_identifier) sb_printf(&st->line, "%s> ", t->conn.print_identifier);
        sb_printf(&st->line, "%s[", rowkind_str(k));
        for (int c = 0; c < sp->nsink; c++) {
            if (c) sb_puts(&st->line, ", ");
            value_print_tz(&st->line, n->cols[c].type, &st->row[c], j->plan->config.local_tz);
        }
        sb_putc(&st->line, ']');
        j->print(j->print_ctx, st->line.s, t->conn.print_stderr);
        j->stats.records_out++;
    }
    return 0;
}

const OpVTable op_sink_blackhole_vt = {.init = print_init, .process = print_process, .end = print_end};
const OpVTable op_sink_print_vt = {.init = print_init, .process = print_process, .end = print_end};
