/*
 * connector_kafka.c — the 'kafka' connector, compile side: its WITH options
 * (Flink's Kafka connector options, plus eddy's 'changelog.mode' and
 * 'error.*' from Confluent Cloud's Flink) and how a table's Connector
 * follows from them.  A table with no 'connector' option is a Kafka table
 * too: the topic of the table's name.
 */
#include "connector_kafka.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"
#include "settings.h"

static const OptEnum bounded_values[] = {{"unbounded", false, NULL}, {"latest-offset", true, NULL}, {0}};
static const OptEnum fields_include_values[] = {{"ALL", false, NULL}, {"EXCEPT_KEY", true, NULL}, {0}};
static const OptEnum ts_standard_values[] = {{"SQL", JSON_TS_SQL, NULL}, {"ISO-8601", JSON_TS_ISO, NULL}, {0}};
static const OptEnum decimal_plain_values[] = {{"true", JSON_DEC_PLAIN, NULL}, {"false", JSON_DEC_SCIENTIFIC, NULL}, {0}};
static const OptEnum partitioner_values[] = {
    {"default", PART_DEFAULT, NULL}, {"fixed", PART_FIXED, NULL}, {"round-robin", PART_ROUND_ROBIN, NULL}, {0}};
static const OptEnum delivery_values[] = {
    {"at-least-once", DELIVER_AT_LEAST_ONCE, NULL}, {"exactly-once", DELIVER_EXACTLY_ONCE, NULL}, {"none", DELIVER_NONE, NULL}, {0}};

#define JSON_DOC_IGNORE "a field whose value cannot be converted to its column's type is NULL (an element of an ARRAY or MAP too), " \
    "and a record that is not a JSON object at all is skipped and counted as with 'error.mode' = 'skip' (notices say which); " \
    "Flink's meaning. eddy's own 'error.mode' = 'skip' skips the whole record instead; both may be given (fields NULL, " \
    "unreadable records skipped, and copied to 'error.dead-letter-topic' if set), but not with 'error.mode' = 'fail'."
#define JSON_DOC_MISSING "a field of the table missing from the record (or from a nested ROW's object) makes the record " \
    "malformed ('error.mode' decides), instead of NULL. Not together with ignore-parse-errors (as Flink)."
#define JSON_DOC_TS "how TIMESTAMP and TIMESTAMP_LTZ are read and written: 'SQL' ('2024-01-01 12:00:00.123', LTZ with a " \
    "trailing 'Z') or 'ISO-8601' ('2024-01-01T12:00:00.123', LTZ '…Z'), each read strictly as Flink does. Not given: " \
    "eddy reads either form, 'Z' optional, and LTZ epoch milliseconds, and writes the SQL form."
#define JSON_DOC_DECIMAL "how DECIMAL is written: 'true' as Flink's plain number without trailing zeros (12.5, 100); " \
    "'false' (Flink's default) as Java's BigDecimal text of that value (12.5, 1E+2, 2.7E-8). Not given: eddy writes " \
    "exactly the column's scale digits (12.50, 100.00)."

/* They apply in this order: 'format' sets both formats, then 'key.format'
 * overrides the key's; 'avro-confluent.url' both registries, then
 * 'key.avro-confluent.url' the key's. */
const OptionDef kafka_options[] = {
    {.name = "topic", .type = OPT_STRING, .to = {OPT_FIELD(Connector, topic)},
     .doc = "Kafka topic of the table (default: the table's name). A source may read several: 'a;b' (as Flink); "
            "a table written to names one topic."},
    {.name = "topic-pattern", .type = OPT_STRING, .to = {OPT_FIELD(Connector, topic_pattern)},
     .doc = "A source reads every topic whose whole name matches this regular expression (PCRE2), listed from the cluster "
            "when the job starts (waiting until one exists); topics created later are read after a restart (Flink keeps "
            "discovering them). Not with 'topic'; not for a table written to, nor with a WATERMARK."},
    {.name = "format", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_format), OPT_FIELD(Connector, key_format)},
     .deflt = "json", .values = format_values,
     .doc = "Format of record values (and of keys, unless 'key.format' is set)."},
    {.name = "key.format", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, key_format)}, .values = format_values,
     .doc = "Format of record keys (default: 'format')."},
    {.name = "value.format", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_format)}, .values = format_values,
     .doc = "Format of record values; an alternative spelling of 'format'."},
    {.name = "key.fields", .type = OPT_STRING, .to = {OPT_FIELD(Connector, key_fields)},
     .doc = "Columns read from / written to the record key, ';'-separated (default: the PRIMARY KEY)."},
    {.name = "key.fields-prefix", .type = OPT_STRING, .to = {OPT_FIELD(Connector, key_prefix)},
     .doc = "The key columns' names start with this prefix, the key format's field names do not (a key field 'id' is "
            "column 'k_id' with prefix 'k_'), so key and value may have fields of the same name. Needs "
            "'value.fields-include' = 'EXCEPT_KEY' (as Flink)."},
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
    {.name = "scan.startup.timestamp-millis", .type = OPT_INT, .to = {OPT_FIELD(Connector, startup_ts)}, .min = 0,
     .doc = "Start position for scan.startup.mode 'timestamp' (epoch milliseconds): each partition's first record with "
            "a timestamp at or after it (the cluster's ListOffsets); a partition without one starts at its end."},
    {.name = "scan.startup.specific-offsets", .type = OPT_STRING, .to = {OPT_FIELD(Connector, specific_offsets)},
     .doc = "Start positions for scan.startup.mode 'specific-offsets': 'partition:0,offset:42;partition:1,offset:300'. "
            "A partition not named starts at the consumer group's committed offset ('properties.group.id'), else at its "
            "earliest, as in Flink; one topic only."},
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
    {.name = "json.ignore-parse-errors", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, key_json.ignore_parse_errors),
     OPT_FIELD(Connector, value_json.ignore_parse_errors)}, .doc = "With format 'json' (key and value): " JSON_DOC_IGNORE},
    {.name = "json.fail-on-missing-field", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, key_json.fail_on_missing),
     OPT_FIELD(Connector, value_json.fail_on_missing)}, .doc = "With format 'json' (key and value): " JSON_DOC_MISSING},
    {.name = "json.timestamp-format.standard", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, key_json.ts_format),
     OPT_FIELD(Connector, value_json.ts_format)}, .values = ts_standard_values, .doc = "With format 'json': " JSON_DOC_TS},
    {.name = "json.encode.decimal-as-plain-number", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, key_json.decimal),
     OPT_FIELD(Connector, value_json.decimal)}, .values = decimal_plain_values, .doc = "With format 'json': " JSON_DOC_DECIMAL},
    {.name = "key.json.ignore-parse-errors", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, key_json.ignore_parse_errors)},
     .doc = "'json.ignore-parse-errors' for key.format 'json' alone."},
    {.name = "key.json.fail-on-missing-field", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, key_json.fail_on_missing)},
     .doc = "'json.fail-on-missing-field' for key.format 'json' alone."},
    {.name = "key.json.timestamp-format.standard", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, key_json.ts_format)},
     .values = ts_standard_values, .doc = "'json.timestamp-format.standard' for key.format 'json' alone."},
    {.name = "key.json.encode.decimal-as-plain-number", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, key_json.decimal)},
     .values = decimal_plain_values, .doc = "'json.encode.decimal-as-plain-number' for key.format 'json' alone."},
    {.name = "value.json.ignore-parse-errors", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, value_json.ignore_parse_errors)},
     .doc = "'json.ignore-parse-errors' for value.format 'json' alone."},
    {.name = "value.json.fail-on-missing-field", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, value_json.fail_on_missing)},
     .doc = "'json.fail-on-missing-field' for value.format 'json' alone."},
    {.name = "value.json.timestamp-format.standard", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_json.ts_format)},
     .values = ts_standard_values, .doc = "'json.timestamp-format.standard' for value.format 'json' alone."},
    {.name = "value.json.encode.decimal-as-plain-number", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, value_json.decimal)},
     .values = decimal_plain_values, .doc = "'json.encode.decimal-as-plain-number' for value.format 'json' alone."},
    {.name = "sink.partitioner", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, partitioner)}, .deflt = "default",
     .values = partitioner_values,
     .doc = "Which partition a written record goes to. 'default' and 'round-robin' (Flink gives both to Kafka's partitioner): "
            "a record with a key by the murmur2 hash of its key bytes, as Java's client, one without a key to a partition "
            "that changes per batch (sticky, as Kafka's). 'fixed': every record to partition 0 (Flink's: each sink task to "
            "one partition; an eddy job writes through one task). A partitioner class name is refused: eddy runs no Java."},
    {.name = "sink.delivery-guarantee", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, delivery)}, .deflt = "at-least-once",
     .values = delivery_values,
     .doc = "'at-least-once' (what eddy does): an idempotent producer, and a checkpoint commits only after the sink "
            "acknowledged every record before it; after a crash the records since are written again (an upsert sink's "
            "table ends exactly as without the crash). 'none': accepted, delivered the same way (never less than asked). "
            "'exactly-once' (Kafka transactions tied to checkpoints) is refused: eddy does not write transactionally."},
    {.name = "properties.group.id", .type = OPT_STRING, .to = {OPT_FIELD(Connector, group_id)},
     .doc = "The consumer group of the job (passed to librdkafka; default: the job's name). eddy restarts from the offsets "
            "in its state file, never from the group's; it commits each checkpoint's offsets to this group so that "
            "group tools (kafka-consumer-groups, lag exporters) see the job's progress, and scan.startup.mode "
            "'group-offsets' starts a fresh job from this group's committed offsets."},
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

/* 'topic' = 'a;b': the list (each name trimmed, none empty or twice). */
static int topic_list(ConnCtx *c)
{
    Connector *cn = &c->table->conn;
    int pos = conn_pos(c, "topic");
    if (!cn->topic || !strchr(cn->topic, ';')) return 0;
    int n = 1;
    for (const char *q = cn->topic; *q; q++) n += *q == ';';
    cn->topics = arena_alloc(&c->table->arena, sizeof(char *) * (size_t)n);
    char *list = arena_strdup(&c->table->arena, cn->topic), *save = NULL;
    for (char *name = strtok_r(list, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
        while (*name == ' ') name++;
        size_t len = strlen(name);
        while (len && name[len - 1] == ' ') name[--len] = 0;
        if (!len) continue;
        for (int i = 0; i < cn->ntopics; i++)
            if (strcmp(cn->topics[i], name) == 0) return diag_error(c->diag, DIAG_OPTION, pos, "option 'topic' names topic '%s' twice", name);
        cn->topics[cn->ntopics++] = name;
    }
    if (!cn->ntopics) return diag_error(c->diag, DIAG_OPTION, pos, "option 'topic' names no topic");
    cn->topic = cn->topics[0];
    if (cn->ntopics == 1) cn->topics = NULL, cn->ntopics = 0;
    return 0;
}

/* 'partition:0,offset:42;partition:1,offset:300' into spec_parts / spec_offsets. */
static int specific_offsets(ConnCtx *c)
{
    Connector *cn = &c->table->conn;
    int pos = conn_pos(c, "scan.startup.specific-offsets");
    int n = 1;
    for (const char *q = cn->specific_offsets; *q; q++) n += *q == ';';
    cn->spec_parts = arena_alloc(&c->table->arena, sizeof(int32_t) * (size_t)n);
    cn->spec_offsets = arena_alloc(&c->table->arena, sizeof(int64_t) * (size_t)n);
    char *list = arena_strdup(&c->table->arena, cn->specific_offsets), *save = NULL;
    for (char *e = strtok_r(list, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
        while (*e == ' ') e++;
        if (!*e) continue;
        char pbuf[32], obuf[32];
        int used = 0;
        int64_t part, off;
        if (sscanf(e, " partition : %31[0-9-] , offset : %31[0-9-] %n", pbuf, obuf, &used) != 2 || e[used] ||
            !opt_parse_int(pbuf, &part) || !opt_parse_int(obuf, &off) || part < 0 || part > INT32_MAX || off < 0)
            return diag_error(c->diag, DIAG_OPTION, pos,
                              "option 'scan.startup.specific-offsets': '%s' is not 'partition:N,offset:M' (N, M whole numbers "
                              "from 0; entries separated by ';')", e);
        for (int i = 0; i < cn->nspec; i++)
            if (cn->spec_parts[i] == part)
                return diag_error(c->diag, DIAG_OPTION, pos, "option 'scan.startup.specific-offsets' names partition %lld twice",
                                  (long long)part);
        cn->spec_parts[cn->nspec] = (int32_t)part;
        cn->spec_offsets[cn->nspec++] = off;
    }
    if (!cn->nspec) return diag_error(c->diag, DIAG_OPTION, pos, "option 'scan.startup.specific-offsets' names no partition");
    return 0;
}

/* The JSON format options: each needs a JSON side it applies to, and they
 * must agree with each other and with 'error.mode'. */
static int json_options(ConnCtx *c)
{
    Connector *cn = &c->table->conn;
    static const char *const names[] = {"ignore-parse-errors", "fail-on-missing-field", "timestamp-format.standard",
                                        "encode.decimal-as-plain-number"};
    static const char *const sides[] = {"json.", "key.json.", "value.json."};
    bool key_json = cn->key_format == FMT_JSON && c->table->nkeycols, value_json = cn->value_format == FMT_JSON;
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 4; k++) {
            char key[80];
            snprintf(key, sizeof key, "%s%s", sides[s], names[k]);
            int pos = conn_pos(c, key);
            if (pos < 0) continue;
            bool ok = s == 0 ? key_json || value_json : s == 1 ? key_json : value_json;
            if (!ok)
                return diag_error(c->diag, DIAG_OPTION, pos, "option '%s' needs %s", key,
                                  s == 0 ? "format 'json' (for the value, or for a key the table has)"
                                  : s == 1 ? "key.format 'json' and key columns" : "value.format 'json'");
        }
    const JsonOptions *js[2] = {&cn->key_json, &cn->value_json};
    for (int s = 0; s < 2; s++) {
        if (js[s]->ignore_parse_errors && js[s]->fail_on_missing) {
            int pos = conn_pos(c, s ? "value.json.fail-on-missing-field" : "key.json.fail-on-missing-field");
            if (pos < 0) pos = conn_pos(c, "json.fail-on-missing-field");
            return diag_error(c->diag, DIAG_OPTION, pos,
                              "'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both be true (as in Flink): "
                              "a missing field would be an error and a NULL at once");
        }
    }
    int epos = conn_pos(c, "error.mode");
    if (epos >= 0 && cn->error_mode == ERR_FAIL && (cn->key_json.ignore_parse_errors || cn->value_json.ignore_parse_errors))
        return diag_error(c->diag, DIAG_OPTION, epos,
                          "'error.mode' = 'fail' contradicts 'json.ignore-parse-errors' = 'true', which skips records that "
                          "are not JSON objects: give one of them");
    return 0;
}

int kafka_finish(ConnCtx *c)
{
    CatTable *t = c->table;
    Connector *cn = &t->conn;
    Diag *d = c->diag;
    int tpos = conn_pos(c, "topic"), ppos = conn_pos(c, "topic-pattern");
    if (tpos >= 0 && ppos >= 0)
        return diag_error(d, DIAG_OPTION, ppos, "give either 'topic' or 'topic-pattern', not both");
    if (ppos >= 0) {
        char why[300];
        Rx *rx = rx_compile(cn->topic_pattern, strlen(cn->topic_pattern), why, sizeof why);
        if (!rx) return diag_error(d, DIAG_OPTION, ppos, "option 'topic-pattern': %s", why);
        rx_free(rx);
        cn->topic = cn->topic_pattern;   /* (what messages and EXPLAIN show until the job lists the topics) */
    }
    if (topic_list(c)) return d->code;
    if (!cn->topic) cn->topic = t->name;
    if ((cn->ntopics || cn->topic_pattern) && t->wm_col >= 0)
        return diag_error(d, DIAG_OPTION, ppos >= 0 ? ppos : tpos,
                          "a table that reads several topics cannot have a WATERMARK yet (eddy keeps a watermark per "
                          "partition number of one topic); declare one table per topic and UNION ALL them");
    if (cn->startup == START_SPECIFIC && !cn->specific_offsets)
        return diag_error(d, DIAG_OPTION, conn_pos(c, "scan.startup.mode"),
                          "scan.startup.mode 'specific-offsets' needs 'scan.startup.specific-offsets'");
    if (cn->specific_offsets) {
        int spos = conn_pos(c, "scan.startup.specific-offsets");
        if (cn->startup != START_SPECIFIC)
            return diag_error(d, DIAG_OPTION, spos, "'scan.startup.specific-offsets' needs scan.startup.mode 'specific-offsets'");
        if (cn->ntopics || cn->topic_pattern)
            return diag_error(d, DIAG_OPTION, spos, "'scan.startup.specific-offsets' applies to one topic (as in Flink), "
                                                    "not to a topic list or pattern");
        if (specific_offsets(c)) return d->code;
    }
    if (conn_pos(c, "scan.startup.timestamp-millis") >= 0 && cn->startup != START_TIMESTAMP)
        return diag_error(d, DIAG_OPTION, conn_pos(c, "scan.startup.timestamp-millis"),
                          "'scan.startup.timestamp-millis' needs scan.startup.mode 'timestamp'");
    if (cn->delivery == DELIVER_EXACTLY_ONCE)
        return diag_error(d, DIAG_OPTION, conn_pos(c, "sink.delivery-guarantee"),
                          "sink.delivery-guarantee 'exactly-once' is not supported: it needs Kafka transactions committed "
                          "with each checkpoint, and eddy's Kafka sink does not write transactionally (it is an idempotent "
                          "producer whose checkpoints wait for every acknowledgement: 'at-least-once'; an upsert sink's "
                          "final table is nevertheless exact after a crash)");
    if (cn->key_prefix) {
        int kpos = conn_pos(c, "key.fields-prefix");
        if (!cn->value_except_key)
            return diag_error(d, DIAG_OPTION, kpos, "'key.fields-prefix' needs 'value.fields-include' = 'EXCEPT_KEY' (as in Flink)");
        size_t n = strlen(cn->key_prefix);
        for (int k = 0; k < t->nkeycols; k++) {
            const char *name = t->cols[t->keycols[k]].name;
            if (strncmp(name, cn->key_prefix, n) != 0 || !name[n])
                return diag_error(d, DIAG_OPTION, kpos, "key column '%s' does not start with the 'key.fields-prefix' '%s' "
                                                        "(every key column must, followed by the key field's name)", name, cn->key_prefix);
        }
    }
    /* 'properties.group.id' has a row of its own (documentation); it goes to librdkafka with the others. */
    if (cn->group_id) {
        KeyValue *props = arena_alloc(&t->arena, sizeof(KeyValue) * (size_t)(cn->nprops + 1));
        if (cn->nprops) memcpy(props, cn->props, sizeof(KeyValue) * (size_t)cn->nprops);
        props[cn->nprops++] = (KeyValue){"group.id", cn->group_id};
        cn->props = props;
    }
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
    if (json_options(c)) return d->code;
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
