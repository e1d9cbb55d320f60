/*
 * connector_kafka.c — the 'kafka' connector, compile side: its WITH options
 * (Flink's Kafka connector options, plus eddy's 'changelog.mode' and
 * 'error.*' from Confluent Cloud's Flink) and how a table's Connector
 * follows from them.  A table with no 'connector' option is a Kafka table
 * too: the topic of the table's name.
 */
#include "connector_kafka.h"

#include <string.h>

#include "settings.h"

static const OptEnum bounded_values[] = {{"unbounded", false, NULL}, {"latest-offset", true, NULL}, {0}};
static const OptEnum fields_include_values[] = {{"ALL", false, NULL}, {"EXCEPT_KEY", true, NULL}, {0}};

/* They apply in this order: 'format' sets both formats, then 'key.format'
 * overrides the key's; 'avro-confluent.url' both registries, then
 * 'key.avro-confluent.url' the key's. */
const OptionDef kafka_options[] = {
    {.name = "topic", .type = OPT_STRING, .to = {OPT_FIELD(Connector, topic)},
     .doc = "Kafka topic of the table (default: the table's name)."},
    {.name = "format", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_format), OPT_FIELD(Connector, key_format)},
     .deflt = "json", .values = format_values,
     .doc = "Format of record values (and of keys, unless 'key.format' is set)."},
    {.name = "key.format", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, key_format)}, .values = format_values,
     .doc = "Format of record keys (default: 'format')."},
    {.name = "value.format", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_format)}, .values = format_values,
     .doc = "Format of record values; an alternative spelling of 'format'."},
    {.name = "key.fields", .type = OPT_STRING, .to = {OPT_FIELD(Connector, key_fields)},
     .doc = "Columns read from / written to the record key, ';'-separated (default: the PRIMARY KEY)."},
    {.name = "value.fields-include", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_except_key)}, .deflt = "ALL",
     .values = fields_include_values, .doc = "Whether key columns are also part of the record value."},
    {.name = "changelog.mode", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, mode)}, .values = changelog_mode_values,
     .doc = "How rows change: 'append' (inserts only), 'upsert' (by PRIMARY KEY; delete = tombstone), "
            "'retract' (every change explicit). Default: 'upsert' with a PRIMARY KEY, else 'append'."},
    {.name = "scan.startup.mode", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, startup)}, .deflt = "earliest-offset",
     .values = startup_mode_values,
     .doc = "Where a job without a checkpoint starts reading. A restarted job always resumes from its checkpoint."},
    {.name = "scan.bounded.mode", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, bounded)}, .deflt = "unbounded",
     .values = bounded_values,
     .doc = "'latest-offset': the job reads up to the offsets that were latest when it started, then finishes."},
    {.name = "scan.startup.timestamp-millis", .type = OPT_INT, .to = {OPT_FIELD(Connector, startup_ts)},
     .doc = "Start position for scan.startup.mode 'timestamp' (epoch milliseconds)."},
    {.name = "error.mode", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, error_mode)}, .deflt = "fail",
     .values = error_mode_values,
     .doc = "A malformed record fails the job naming topic/partition/offset ('fail'), or is skipped and counted ('skip')."},
    {.name = "error.dead-letter-topic", .type = OPT_STRING, .to = {OPT_FIELD(Connector, dead_letter)},
     .doc = "With error.mode 'skip': also copy malformed records to this topic."},
    {.name = "late-rows.topic", .type = OPT_STRING, .to = {OPT_FIELD(Connector, late_topic)},
     .doc = "Copy rows that come after every window they belong to has fired (late rows: they change no result) "
            "to this topic as JSON, with headers naming the window and the watermark."},
    {.name = "scan.watermark.idle-timeout", .type = OPT_DURATION, .to = {OPT_FIELD(Connector, idle_timeout_ms)},
     .doc = "A partition of the table's topic that receives no record for this long (processing time) stops holding back "
            "the table's watermark until it receives a record again; '0': never. Default: SET 'table.exec.source.idle-timeout'."},
    {.name = "avro-confluent.url", .type = OPT_STRING,
     .to = {OPT_FIELD(Connector, key_url), OPT_FIELD(Connector, value_url)}, .doc = settings_doc_registry_url},
    {.name = "key.avro-confluent.url", .type = OPT_STRING, .to = {OPT_FIELD(Connector, key_url)},
     .doc = "Schema Registry URL for key.format 'avro-confluent'."},
    {.name = "value.avro-confluent.url", .type = OPT_STRING, .to = {OPT_FIELD(Connector, value_url)},
     .doc = "Schema Registry URL for value.format 'avro-confluent'."},
    {.name = "debezium-avro-confluent.url", .type = OPT_STRING, .to = {OPT_FIELD(Connector, value_url)},
     .doc = "Schema Registry URL for format 'debezium-avro-confluent' (default: SET 'avro-confluent.url')."},
    {.name = "debezium-json.schema-include", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, dbz_schema_include)}, .deflt = "false",
     .doc = "With format 'debezium-json': each event is wrapped in Debezium's {\"schema\": …, \"payload\": …} envelope "
            "(a Kafka Connect converter with schemas.enable)."},
    {.name = "properties.", .type = OPT_PREFIX, .doc = settings_doc_properties},
    {0},
};

int kafka_key_fields(ConnCtx *c)
{
    CatTable *t = c->table;
    if (!t->conn.key_fields) return 0;
    t->nkeycols = 0;
    char *list = arena_strdup(&t->arena, t->conn.key_fields), *save = NULL;
    for (char *n = strtok_r(list, ";", &save); n; n = strtok_r(NULL, ";", &save)) {
        while (*n == ' ') n++;
        size_t len = strlen(n);
        while (len && n[len - 1] == ' ') n[--len] = 0;
        int ci = cattable_column(t, n);
        if (ci < 0 || t->cols[ci].kind != COL_PHYSICAL)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, "key.fields"),
                              "option 'key.fields' names '%s', which is not a physical column of '%s'", n, t->name);
        t->keycols[t->nkeycols++] = ci;
    }
    return 0;
}

int kafka_finish(ConnCtx *c)
{
    CatTable *t = c->table;
    Connector *cn = &t->conn;
    Diag *d = c->diag;
    if (!cn->topic) cn->topic = t->name;
    if (conn_pos(c, "scan.watermark.idle-timeout") < 0) cn->idle_timeout_ms = -1;   /* the session's */
    int fpos = conn_pos(c, "format"), vfpos = conn_pos(c, "value.format");
    if (fpos >= 0 && vfpos >= 0) return diag_error(d, DIAG_OPTION, vfpos, "give either 'format' or 'value.format', not both");
    if (cn->startup == START_TIMESTAMP && conn_pos(c, "scan.startup.timestamp-millis") < 0)
        return diag_error(d, DIAG_OPTION, conn_pos(c, "scan.startup.mode"),
                          "scan.startup.mode 'timestamp' needs 'scan.startup.timestamp-millis'");
    /* Debezium's change events: a retract stream (before/after images); the
     * key is not read (the images hold every column): plain JSON unless given. */
    int kfpos = conn_pos(c, "key.format");
    if (format_is_debezium(cn->value_format)) {
        int mpos = conn_pos(c, "changelog.mode");
        if (strcmp(cn->connector, "upsert-kafka") == 0 || (mpos >= 0 && cn->mode != MODE_RETRACT))
            return diag_error(d, DIAG_OPTION, mpos >= 0 ? mpos : fpos >= 0 ? fpos : vfpos,
                              "format '%s' is a changelog of its own (every change explicit, before and after): "
                              "the table's changelog.mode is 'retract', not '%s'", format_name(cn->value_format), changelog_mode_name(cn->mode));
        if (cn->value_except_key)
            return diag_error(d, DIAG_OPTION, conn_pos(c, "value.fields-include"),
                              "format '%s' reads every column from the event's before/after images: 'value.fields-include' "
                              "is 'ALL'", format_name(cn->value_format));
        cn->mode = MODE_RETRACT;
        if (kfpos < 0) cn->key_format = FMT_JSON;
    }
    if (format_is_debezium(cn->key_format))
        return diag_error(d, DIAG_OPTION, kfpos, "'key.format' cannot be '%s': Debezium's record keys are plain rows (json, avro-confluent)",
                          format_name(cn->key_format));
    if (conn_pos(c, "debezium-avro-confluent.url") >= 0 && cn->value_format != FMT_DEBEZIUM_AVRO_CONFLUENT)
        return diag_error(d, DIAG_OPTION, conn_pos(c, "debezium-avro-confluent.url"),
                          "'debezium-avro-confluent.url' needs 'format' = 'debezium-avro-confluent'");
    if (conn_pos(c, "debezium-json.schema-include") >= 0 && cn->value_format != FMT_DEBEZIUM_JSON)
        return diag_error(d, DIAG_OPTION, conn_pos(c, "debezium-json.schema-include"),
                          "'debezium-json.schema-include' needs 'format' = 'debezium-json'");
    int pos = conn_pos(c, "error.dead-letter-topic");
    if (pos >= 0 && cn->error_mode != ERR_SKIP)
        return diag_error(d, DIAG_OPTION, pos, "'error.dead-letter-topic' needs 'error.mode' = 'skip'");
    /* Without a registry of its own, the table uses the session's (SET 'avro-confluent.url'). */
    if (!cn->key_url) cn->key_url = arena_strdup(&t->arena, c->session_url);
    if (!cn->value_url) cn->value_url = arena_strdup(&t->arena, c->session_url);
    if (cn->value_format == FMT_AVRO_CONFLUENT && !cn->value_url)
        return diag_error(d, DIAG_OPTION, fpos >= 0 ? fpos : vfpos, "format 'avro-confluent' needs '%s' (or SET 'avro-confluent.url')",
                          fpos >= 0 ? "avro-confluent.url" : "value.avro-confluent.url");
    if (cn->value_format == FMT_DEBEZIUM_AVRO_CONFLUENT && !cn->value_url)
        return diag_error(d, DIAG_OPTION, fpos >= 0 ? fpos : vfpos,
                          "format 'debezium-avro-confluent' needs 'debezium-avro-confluent.url' (or SET 'avro-confluent.url')");
    if (cn->key_format == FMT_AVRO_CONFLUENT && !cn->key_url && t->nkeycols)
        return diag_error(d, DIAG_OPTION, c->stmt->name_pos,
                          "key format 'avro-confluent' needs 'key.avro-confluent.url' (or SET 'avro-confluent.url')");
    return 0;
}

/* The changelog: 'changelog.mode', else upsert with a PRIMARY KEY and append without. */
static int kafka_resolve(ConnCtx *c)
{
    if (kafka_key_fields(c)) return c->diag->code;
    int pos = conn_pos(c, "changelog.mode");
    if (pos < 0) c->table->conn.mode = c->table->npk ? MODE_UPSERT : MODE_APPEND;
    else if (c->table->conn.mode == MODE_UPSERT && conn_require_pk(c, pos, "changelog.mode 'upsert'")) return c->diag->code;
    return kafka_finish(c);
}

const ConnectorDef kafka_connector = {.options = kafka_options, .resolve = kafka_resolve};
