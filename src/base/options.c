/*
 * options.c — the table of WITH options and SET keys, and their checks.
 *
 * Option names and semantics follow Flink's Kafka connectors where Flink has
 * the option ('connector', 'topic', 'format', 'key.format', 'scan.startup.mode',
 * 'properties.*', 'execution.checkpointing.interval', …); eddy's own options
 * ('changelog.mode', 'error.mode', …) follow Confluent Cloud's Flink.
 */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const OptionDef option_table[] = {
    /* ---- table options (CREATE TABLE … WITH) ---- */
    {"connector", OPT_ENUM, OPT_TABLE, "kafka", "kafka|upsert-kafka",
     "Where the table lives. Without it the table is the Kafka topic of the same name; "
     "'upsert-kafka' means changelog.mode 'upsert' (a PRIMARY KEY is required).", 0},
    {"topic", OPT_STRING, OPT_TABLE, NULL, NULL, "Kafka topic of the table (default: the table's name).", 0},
    {"format", OPT_ENUM, OPT_TABLE, "json", "json|avro|avro-confluent|raw",
     "Format of record values (and of keys, unless 'key.format' is set).", 0},
    {"key.format", OPT_ENUM, OPT_TABLE, NULL, "json|avro|avro-confluent|raw",
     "Format of record keys (default: 'format').", 0},
    {"value.format", OPT_ENUM, OPT_TABLE, NULL, "json|avro|avro-confluent|raw",
     "Format of record values; an alternative spelling of 'format'.", 0},
    {"key.fields", OPT_STRING, OPT_TABLE, NULL, NULL,
     "Columns read from / written to the record key, ';'-separated (default: the PRIMARY KEY).", 0},
    {"value.fields-include", OPT_ENUM, OPT_TABLE, "ALL", "ALL|EXCEPT_KEY",
     "Whether key columns are also part of the record value.", 0},
    {"changelog.mode", OPT_ENUM, OPT_TABLE, NULL, "append|upsert|retract",
     "How rows change: 'append' (inserts only), 'upsert' (by PRIMARY KEY; delete = tombstone), "
     "'retract' (every change explicit). Default: 'upsert' with a PRIMARY KEY, else 'append'.", 0},
    {"scan.startup.mode", OPT_ENUM, OPT_TABLE, "earliest-offset",
     "earliest-offset|latest-offset|timestamp|group-offsets",
     "Where a job without a checkpoint starts reading. A restarted job always resumes from its checkpoint.", 0},
    {"scan.bounded.mode", OPT_ENUM, OPT_TABLE, "unbounded", "unbounded|latest-offset",
     "'latest-offset': the job reads up to the offsets that were latest when it started, then finishes.", 0},
    {"scan.startup.timestamp-millis", OPT_INT, OPT_TABLE, NULL, NULL,
     "Start position for scan.startup.mode 'timestamp' (epoch milliseconds).", 0},
    {"error.mode", OPT_ENUM, OPT_TABLE, "fail", "fail|skip",
     "A malformed record fails the job naming topic/partition/offset ('fail'), or is skipped and counted ('skip').", 0},
    {"error.dead-letter-topic", OPT_STRING, OPT_TABLE, NULL, NULL,
     "With error.mode 'skip': also copy malformed records to this topic.", 0},
    {"avro-confluent.url", OPT_STRING, OPT_TABLE | OPT_SET, NULL, NULL,
     "Schema Registry URL for format 'avro-confluent'. In SET: the default for every table, and where a query "
     "looks up a topic it has no CREATE TABLE for (subject '<topic>-value' gives the columns).", 0},
    {"key.avro-confluent.url", OPT_STRING, OPT_TABLE, NULL, NULL, "Schema Registry URL for key.format 'avro-confluent'.", 0},
    {"value.avro-confluent.url", OPT_STRING, OPT_TABLE, NULL, NULL, "Schema Registry URL for value.format 'avro-confluent'.", 0},
    /* ---- both ---- */
    {"properties.", OPT_PREFIX, OPT_TABLE | OPT_SET, NULL, NULL,
     "Passed to librdkafka without the prefix, e.g. 'properties.bootstrap.servers'. In SET: defaults for every table.", 0},
    /* ---- SET keys ---- */
    {"execution.checkpointing.interval", OPT_DURATION, OPT_SET, "1 s", NULL,
     "How often a running job checkpoints its state and offsets to its state file; '0' checkpoints only when the job stops.", 0},
    {"state.path", OPT_STRING, OPT_SET, NULL, NULL,
     "State file of the next job (default: <job name>.db in the current directory).", 0},
    {"table.exec.mini-batch.allow-latency", OPT_DURATION, OPT_SET, "100 ms",
     NULL, "Longest time an aggregate holds updates to collapse them into one change per key.", 0},
    {"table.exec.mini-batch.size", OPT_INT, OPT_SET, "100000", NULL,
     "Most input rows an aggregate buffers before it emits.", 1},
    {"sql-client.execution.result-mode", OPT_ENUM, OPT_SET, "table", "table|changelog|tableau",
     "How the REPL shows a continuous SELECT.", 0},
    {"pipeline.name", OPT_STRING, OPT_SET, NULL, NULL, "Name of the next job (default: the sink table's name).", 0},
};

#define NOPTIONS (sizeof option_table / sizeof option_table[0])

const OptionDef *opt_find(unsigned scope, const char *key)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const OptionDef *d = &option_table[i];
        if (!(d->scope & scope)) continue;
        if (d->type == OPT_PREFIX) {
            size_t n = strlen(d->name);
            if (strncmp(key, d->name, n) == 0 && key[n]) return d;
        } else if (strcmp(key, d->name) == 0) {
            return d;
        }
    }
    return NULL;
}

bool opt_parse_int(const char *s, int64_t *out)
{
    if (!*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool opt_parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0) return *out = true, true;
    if (strcasecmp(s, "false") == 0) return *out = false, true;
    return false;
}

bool opt_parse_duration_ms(const char *s, int64_t *out)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"ms", 1}, {"milli", 1}, {"millis", 1}, {"millisecond", 1}, {"milliseconds", 1},
        {"s", 1000}, {"sec", 1000}, {"secs", 1000}, {"second", 1000}, {"seconds", 1000},
        {"min", 60000}, {"mins", 60000}, {"minute", 60000}, {"minutes", 60000}, {"m", 60000},
        {"h", 3600000}, {"hour", 3600000}, {"hours", 3600000},
        {"d", 86400000}, {"day", 86400000}, {"days", 86400000},
    };
    const char *p = s;
    while (*p == ' ') p++;
    if (*p < '0' || *p > '9') return false;
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (errno || v < 0) return false;
    while (*end == ' ') end++;
    if (!*end) return *out = v, true;
    size_t n = strlen(end);
    while (n && end[n - 1] == ' ') n--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].unit) == n && strncasecmp(end, units[i].unit, n) == 0) {
            int64_t ms;
            if (__builtin_mul_overflow((int64_t)v, units[i].ms, &ms)) return false;   /* too long to hold */
            *out = ms;
            return true;
        }
    }
    return false;
}

bool opt_check(const OptionDef *d, const char *key, const char *value, char *err, size_t errlen)
{
    int64_t i;
    bool b;
    switch (d->type) {
    case OPT_STRING:
    case OPT_PREFIX:
        return true;
    case OPT_INT:
        if (opt_parse_int(value, &i) && i >= d->min) return true;
        if (opt_parse_int(value, &i)) snprintf(err, errlen, "option '%s' must be at least %lld, got '%s'", key, d->min, value);
        else snprintf(err, errlen, "option '%s' expects a whole number, got '%s'", key, value);
        return false;
    case OPT_BOOL:
        if (opt_parse_bool(value, &b)) return true;
        snprintf(err, errlen, "option '%s' expects true or false, got '%s'", key, value);
        return false;
    case OPT_DURATION:
        if (opt_parse_duration_ms(value, &i) && i >= d->min) return true;
        snprintf(err, errlen, "option '%s' expects a duration such as '100 ms', '1 s' or '5 min', got '%s'", key, value);
        return false;
    case OPT_ENUM: {
        size_t n = strlen(value);
        for (const char *v = d->values; *v;) {
            const char *bar = strchr(v, '|');
            size_t len = bar ? (size_t)(bar - v) : strlen(v);
            if (len == n && strncmp(v, value, n) == 0) return true;
            if (!bar) break;
            v = bar + 1;
        }
        char vals[256];
        snprintf(vals, sizeof vals, "%s", d->values);
        for (char *c = vals; *c; c++)
            if (*c == '|') *c = ',';
        snprintf(err, errlen, "option '%s' must be one of %s; got '%s'", key, vals, value);
        return false;
    }
    }
    return false;
}

void opt_document(StrBuf *out)
{
    static const char *const type_names[] = {"string", "enum", "integer", "boolean", "duration", "prefix"};
    for (int pass = 0; pass < 2; pass++) {
        unsigned scope = pass == 0 ? OPT_TABLE : OPT_SET;
        sb_puts(out, pass == 0 ? "Table options (CREATE TABLE ... WITH ('key' = 'value', ...)):\n\n"
                               : "\nSession settings (SET 'key' = 'value'):\n\n");
        for (size_t i = 0; i < NOPTIONS; i++) {
            const OptionDef *d = &option_table[i];
            if (!(d->scope & scope)) continue;
            sb_printf(out, "  %s%s  (%s", d->name, d->type == OPT_PREFIX ? "*" : "", type_names[d->type]);
            if (d->type == OPT_ENUM) {
                sb_puts(out, ": ");
                for (const char *c = d->values; *c; c++) sb_puts(out, *c == '|' ? ", " : (char[]){*c, 0});
            }
            if (d->deflt) sb_printf(out, "; default %s", d->deflt);
            sb_printf(out, ")\n      %s\n", d->doc);
        }
    }
}

const OptionDef *opt_at(size_t i) { return i < NOPTIONS ? &option_table[i] : NULL; }
