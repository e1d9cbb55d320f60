/*
 * connector_print.c — the 'blackhole' and 'print' connectors, compile
 * side: sinks as Flink's.  A blackhole table discards every row it is
 * given (the job counts them: JobStats.rows_out, the stop line, `eddy
 * test`'s counts); a print table hands each row, as Flink prints it
 * (`+I[1, a]`, after 'print-identifier' and '> ' when one is given), to
 * the embedding program's print callback (eddy_job_options.on_print), which
 * the eddy command writes to standard output — or standard error with
 * 'standard-error'.  Both take every row kind: their changelog is retract
 * (each change explicit), so any query may feed them.  The runtime side
 * is exec/op_sink_print.c.
 */
#include "connector.h"

static const OptionDef blackhole_options[] = {{0}};

static const OptionDef print_options[] = {
    {.name = "print-identifier", .type = OPT_STRING, .to = {OPT_FIELD(Connector, print_identifier)},
     .doc = "print: a prefix of every printed line ('id> +I[…]')."},
    {.name = "standard-error", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, print_stderr)}, .deflt = "false",
     .doc = "print: rows go to standard error instead of standard output."},
    {0},
};

/* A sink that takes every change as it is. */
static int sink_resolve(ConnCtx *c, ConnKind kind)
{
    CatTable *t = c->table;
    t->conn.kind = kind;
    t->conn.mode = MODE_RETRACT;
    t->conn.topic = t->name;   /* (no topic: only named for messages) */
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].kind == COL_METADATA)
            return diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos, "column '%s': a %s table has no metadata columns (METADATA FROM '%s')",
                              t->cols[i].name, t->conn.connector, t->cols[i].meta_key);
    return 0;
}

static int blackhole_resolve(ConnCtx *c) { return sink_resolve(c, CONN_BLACKHOLE); }
static int print_resolve(ConnCtx *c) { return sink_resolve(c, CONN_PRINT); }

const ConnectorDef blackhole_connector = {.options = blackhole_options, .resolve = blackhole_resolve, .sink_only = true};
const ConnectorDef print_connector = {.options = print_options, .resolve = print_resolve, .sink_only = true};
