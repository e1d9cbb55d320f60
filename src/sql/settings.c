/*
 * settings.c — the table of session settings (SET keys) and how SET values
 * become an ExecConfig.  Option names follow Flink where Flink has the
 * setting ('execution.checkpointing.interval', 'table.exec.mini-batch.*',
 * 'pipeline.name', 'sql-client.execution.result-mode').
 */
#include "settings.h"

#include <string.h>

const char settings_doc_registry_url[] =
    "Schema Registry URL for format 'avro-confluent'. In SET: the default for every table, and where a query "
    "looks up a topic it has no CREATE TABLE for (subject '<topic>-value' gives the columns).";
const char settings_doc_properties[] =
    "Passed to librdkafka without the prefix, e.g. 'properties.bootstrap.servers'. In SET: defaults for every table.";

static const OptEnum not_null_values[] = {{"ERROR", false, NULL}, {"DROP", true, NULL}, {0}};

static const OptEnum agg_phase_values[] = {{"AUTO", false, NULL}, {"TWO_PHASE", false, NULL}, {"ONE_PHASE", true, NULL}, {0}};

static const OptEnum result_mode_values[] = {
    {"table", RESULT_MODE_TABLE, NULL}, {"changelog", RESULT_MODE_CHANGELOG, NULL},
    {"tableau", RESULT_MODE_TABLEAU, NULL}, {0},
};

const OptionDef settings_options[] = {
    {.name = "avro-confluent.url", .type = OPT_STRING, .to = {OPT_FIELD(ExecConfig, registry_url)},
     .doc = settings_doc_registry_url},
    {.name = "properties.", .type = OPT_PREFIX, .doc = settings_doc_properties},
    {.name = "execution.checkpointing.interval", .type = OPT_DURATION, .to = {OPT_FIELD(ExecConfig, checkpoint_ms)},
     .deflt = "1 s",
     .doc = "How often a running job checkpoints its state and offsets to its state file (sooner when its state has changed by 16 MiB, or "
            "gained 4 MiB of new entries, since the last checkpoint); '0' checkpoints only when the job stops."},
    {.name = "state.path", .type = OPT_STRING, .to = {OPT_FIELD(ExecConfig, state_path)},
     .doc = "State file of the next job (default: <job name>.db in the current directory)."},
    {.name = "table.exec.mini-batch.allow-latency", .type = OPT_DURATION,
     .to = {OPT_FIELD(ExecConfig, minibatch_latency_ms)}, .deflt = "100 ms",
     .doc = "Longest time an aggregate holds updates to collapse them into one change per key (a mini-batch also ends as soon as the job has read all its partitions hold)."},
    {.name = "table.exec.mini-batch.enabled", .type = OPT_BOOL, .to = {OPT_FIELD(ExecConfig, minibatch_enabled)},
     .deflt = "true",
     .doc = "'true' (eddy's default): a compact changelog — each key's updates folded per mini-batch (allow-latency, "
            "size), a filter over an updating input judging an update as a pair, so an upsert sink gets no transient "
            "tombstones. 'false' (Flink's default): exactly the changelog Flink emits with mini-batch off — every row "
            "processed on its own (an upsert source's update reaches an aggregate as -U then +U, so intermediate results "
            "show), -U kept wherever Flink's planner keeps it (a filter between an aggregate and an upsert sink: a "
            "tombstone per -U), each row's kind passed through a filter unchanged, and with 'table.exec.state.ttl' set "
            "unchanged results emitted. Read when a query is planned (EXPLAIN shows mini-batch=[off]); a restart may "
            "change it, the state is the same."},
    {.name = "table.optimizer.reuse-sub-plan-enabled", .type = OPT_BOOL, .to = {OPT_FIELD(ExecConfig, reuse_sub_plan)},
     .deflt = "true",
     .doc = "Whether operators a statement computes twice with the same inputs (a view read twice: the same filter, "
            "projection, window table function or window aggregate) are computed once and their rows handed to every "
            "consumer, as Flink reuses common sub-plans. Only append-only operators are shared; joins, group "
            "aggregates, Top-N and deduplication keep their own state. Read when a query is planned."},
    {.name = "table.optimizer.reuse-source-enabled", .type = OPT_BOOL, .to = {OPT_FIELD(ExecConfig, reuse_source)},
     .deflt = "true",
     .doc = "Whether a table a statement (or a statement set) reads several times with the same columns is read and "
            "decoded once, its rows handed to every reader, as Flink reuses sources. Read when a query is planned."},
    {.name = "table.exec.mini-batch.size", .type = OPT_INT, .to = {OPT_FIELD(ExecConfig, minibatch_size)},
     .deflt = "100000", .min = 1, .doc = "Most input rows an aggregate buffers before it emits."},
    {.name = "sql-client.execution.result-mode", .type = OPT_ENUM, .to = {OPT_FIELD(ExecConfig, result_mode)},
     .deflt = "table", .values = result_mode_values, .doc = "How the REPL shows a continuous SELECT."},
    {.name = "sql-client.display.pager", .type = OPT_BOOL, .to = {OPT_FIELD(ExecConfig, display_pager)}, .deflt = "true",
     .doc = "Whether the shell shows a result or help text longer than the screen through a pager ($EDDY_PAGER, $PAGER, "
            "'less -FRX' or a built-in one), as psql does; 'false' prints it whole (also: \\pset pager off)."},
    {.name = "table.exec.state.ttl", .type = OPT_DURATION, .to = {OPT_FIELD(ExecConfig, state_ttl_ms)}, .deflt = "0 ms",
     .doc = "How long a regular join keeps a row that is not written again, in processing time; '0 ms' keeps rows for ever. "
            "An expired row is dropped without emitting anything: rows of the other side that arrive later no longer find "
            "it, so results may then differ from a run without a TTL (as in Flink, a TTL trades accuracy for bounded state). "
            "Flink also expires group aggregates, Top-N and deduplication, which eddy does not: a query with one of those "
            "is refused while a TTL is set (an upsert source's normalisation keeps its rows, with the same results). "
            "The job reads it when it starts."},
    {.name = "pipeline.name", .type = OPT_STRING, .to = {OPT_FIELD(ExecConfig, pipeline_name)},
     .doc = "Name of the next job (default: the sink table's name)."},
    {.name = "table.local-time-zone", .type = OPT_TIMEZONE, .to = {OPT_FIELD(ExecConfig, local_tz)}, .deflt = "UTC",
     .doc = "The session time zone: TIMESTAMP_LTZ values print as local times there, CAST between TIMESTAMP_LTZ and "
            "TIMESTAMP or STRING converts there, and windows on a TIMESTAMP_LTZ time attribute align on its days. "
            "'UTC', a fixed offset ('+08:00', 'GMT-05:30') or an IANA zone ('Asia/Shanghai', from /usr/share/zoneinfo)."},
    {.name = "table.exec.sink.not-null-enforcer", .type = OPT_ENUM, .to = {OPT_FIELD(ExecConfig, not_null_drop)},
     .deflt = "ERROR", .values = not_null_values,
     .doc = "A row for a sink whose NOT NULL column holds NULL: 'ERROR' fails the job naming the table and the column; "
            "'DROP' drops the row, counts it (metrics: null_dropped, eddy_job_rows_null_dropped_total) and says so in a notice (Flink drops it "
            "silently). Flink's meaning; read when the job starts."},
    {.name = "parallelism.default", .type = OPT_INT, .to = {OPT_FIELD(ExecConfig, parallelism)}, .deflt = "1", .min = 1, .max = 1024,
     .doc = "Tasks per stage of the next job (Flink's name; `eddy run --parallelism N` sets it). Above 1 the planner cuts "
            "the plan into stages where rows must change hands — before a group aggregate, join, Top-N, deduplication, "
            "window or OVER aggregate whose input is not already partitioned by its key — joined by internal topics "
            "'<job>-x<k>' (docs/scaling.md); EXPLAIN shows the stages and exchanges. `eddy test` runs the stages in memory."},
    {.name = "table.optimizer.agg-phase-strategy", .type = OPT_ENUM, .to = {OPT_FIELD(ExecConfig, one_phase_agg)},
     .deflt = "AUTO", .values = agg_phase_values,
     .doc = "How a group aggregate in a plan cut into stages (parallelism above 1) ships its rows: 'AUTO' and "
            "'TWO_PHASE' (the same in eddy) split it where every aggregate function merges exactly (COUNT, SUM, AVG, "
            "MIN, MAX, STDDEV, VAR, not DISTINCT, over an append-only input): each task pre-aggregates per key and "
            "mini-batch and ships one partial row per key (LocalGroupAggregate), the next stage merges them "
            "(GlobalGroupAggregate); 'ONE_PHASE' ships every input row. Flink's option; read when a query is planned."},
    {.name = "table.exec.source.idle-timeout", .type = OPT_DURATION, .to = {OPT_FIELD(ExecConfig, idle_timeout_ms)},
     .deflt = "0",
     .doc = "A source partition that receives no record for this long (processing time) is idle: it stops holding back "
            "its source's watermark until it receives a record again. '0' (default): partitions are never idle. "
            "The table option 'scan.watermark.idle-timeout' overrides it per table."},
    {0},
};

const OptionDef *settings_find(const char *key) { return opt_find(settings_options, key); }

void exec_config_build(ExecConfig *c, const KeyValue *kv, int n, Arena *a)
{
    memset(c, 0, sizeof *c);
    opt_defaults(settings_options, c, NULL);
    char err[600];
    for (int i = 0; i < n; i++) {
        const OptionDef *d = settings_find(kv[i].key);
        /* only what cannot point into kv goes into the arena */
        if (d) opt_set(d, kv[i].key, kv[i].value, c, d->type == OPT_TIMEZONE ? a : NULL, err, sizeof err);
    }
}
