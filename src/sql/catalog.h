/*
 * catalog.h — the tables an engine knows, as CREATE TABLE left them.
 *
 * A CatTable owns its memory (its own arena), so DROP TABLE frees exactly
 * that table.  Only the binder reads or writes the catalog; plans copy what
 * they need (PlanTable) so a plan outlives the table it was compiled from.
 */
#ifndef EDDY_CATALOG_H
#define EDDY_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "ast.h"
#include "options.h"
#include "types.h"

typedef enum ColKind { COL_PHYSICAL, COL_COMPUTED, COL_METADATA } ColKind;
typedef enum ChangelogMode { MODE_APPEND, MODE_UPSERT, MODE_RETRACT } ChangelogMode;
typedef enum Format { FMT_JSON, FMT_AVRO, FMT_AVRO_CONFLUENT, FMT_RAW, FMT_DEBEZIUM_JSON, FMT_DEBEZIUM_AVRO_CONFLUENT } Format;
/* Debezium's change events (a changelog of their own: one record is 0, 1 or 2 row changes). */
static inline bool format_is_debezium(Format f) { return f == FMT_DEBEZIUM_JSON || f == FMT_DEBEZIUM_AVRO_CONFLUENT; }
typedef enum StartupMode { START_EARLIEST, START_LATEST, START_TIMESTAMP, START_GROUP, START_SPECIFIC } StartupMode;
typedef enum ErrorMode { ERR_FAIL, ERR_SKIP } ErrorMode;
/* Which runtime serves the table: Kafka (topic, formats) or a database through JDBC options (PostgreSQL). */
/* CONN_EXCHANGE: an internal topic between two stages of a job run in parallel (sql/plan_stage.c, exec/op_exchange.c);
 * never a table a user declares. */
typedef enum ConnKind { CONN_KAFKA, CONN_JDBC, CONN_DATAGEN, CONN_BLACKHOLE, CONN_PRINT, CONN_NEXMARK, CONN_EXCHANGE } ConnKind;

/* How connector 'datagen' makes one column (connector_datagen.c): its
 * 'fields.<column>.*' options. */
typedef enum GenKind { GEN_RANDOM, GEN_SEQUENCE } GenKind;
typedef struct GenField {
    GenKind     kind;         /* 'fields.#.kind' */
    const char *min, *max;    /* 'fields.#.min' / '.max' as written (numbers), or NULL: the type's range */
    const char *start, *end;  /* 'fields.#.start' / '.end' as written (a sequence), or NULL */
    int64_t     max_past_ms;  /* 'fields.#.max-past': timestamps and dates go back at most this far from the clock */
    int64_t     length;       /* 'fields.#.length': characters, bytes or elements */
    bool        var_len;      /* 'fields.#.var-len': a random length from 1 to length */
    double      null_rate;    /* 'fields.#.null-rate': the share of NULLs, 0..1 */
    /* derived by the connector: */
    double      lo, hi;       /* the random range of a number (the type's units: a DECIMAL's value, not its unscaled integer) */
    int64_t     seq_start, seq_end; /* a sequence's first and last value */
} GenField;

/* How a JSON key or value is read and written: Flink's 'json.*' format
 * options (connector_kafka.c parses them, codec_json.c applies them). */
typedef enum JsonTsFormat {
    JSON_TS_EITHER,       /* not given: read 'yyyy-MM-dd HH:mm:ss' and the ISO 'T' form, 'Z' optional; write the SQL form */
    JSON_TS_SQL,          /* 'SQL': Flink's SQL form only (TIMESTAMP_LTZ with a trailing 'Z') */
    JSON_TS_ISO,          /* 'ISO-8601': the 'T' form only, read and written */
} JsonTsFormat;
typedef enum JsonDecimalForm {
    JSON_DEC_SCALE,       /* not given: a plain number with exactly the column's scale digits (12.50) */
    JSON_DEC_PLAIN,       /* 'json.encode.decimal-as-plain-number' = 'true': Flink's plain form, trailing zeros dropped (12.5, 100) */
    JSON_DEC_SCIENTIFIC,  /* = 'false': Flink's default, Java's BigDecimal.toString of the value without trailing zeros (12.5, 1E+2) */
} JsonDecimalForm;
typedef struct JsonOptions {
    bool ignore_parse_errors; /* json.ignore-parse-errors: a value that cannot be converted is NULL, an unreadable record skipped */
    bool fail_on_missing;     /* json.fail-on-missing-field: a missing field makes the record malformed */
    int  ts_format;           /* json.timestamp-format.standard: a JsonTsFormat */
    int  decimal;             /* json.encode.decimal-as-plain-number: a JsonDecimalForm */
} JsonOptions;
typedef enum SinkPartitioner { PART_DEFAULT, PART_FIXED, PART_ROUND_ROBIN } SinkPartitioner;
typedef enum KafkaDelivery { DELIVER_AT_LEAST_ONCE, DELIVER_NONE, DELIVER_EXACTLY_ONCE } KafkaDelivery;

/* The values of the enum options above, as written in WITH (…) and EXPLAIN. */
extern const OptEnum changelog_mode_values[];
extern const OptEnum format_values[];
extern const OptEnum startup_mode_values[];
extern const OptEnum error_mode_values[];

/* The options of connector 'nexmark' (connector_nexmark.c) beyond
 * 'events.num' and 'seed' (Connector.number_of_rows, .seed): the Nexmark
 * generator's parameters (connect/nexmark.h), by Flink's option names. */
typedef struct NexmarkOpts {
    double  event_rate;     /* 'first-event.rate': events per second of event time */
    bool    rate_limited;   /* 'rate.limited': also emit at that rate over the wall clock */
    int64_t person_proportion, auction_proportion, bid_proportion; /* '<kind>.proportion' */
    int64_t person_avg_size, auction_avg_size, bid_avg_size;       /* '<kind>.avg-size' (bytes) */
    int64_t hot_auctions, hot_bidders, hot_sellers;                /* 'bid.hot-ratio.auctions', … */
} NexmarkOpts;

typedef struct CatColumn {
    const char *name;     /* column name (case-sensitive, as Flink) */
    Type        type;     /* declared or inferred type */
    ColKind     kind;     /* physical, computed or metadata */
    AstExpr    *expr;     /* computed: the expression (copied into the table's arena) */
    const char *meta_key; /* metadata: 'timestamp', 'partition', 'offset', 'key', 'topic' */
    bool        virtual_; /* metadata: read-only (not written by a sink) */
    bool        is_key;   /* physical column carried in the Kafka record key */
    const char *expr_text;/* computed: the expression's SQL text (SHOW CREATE TABLE), or NULL */
} CatColumn;

typedef struct KeyValue {
    const char *key;      /* option name */
    const char *value;    /* option value */
} KeyValue;

/* How the table maps onto Kafka: its WITH options, parsed by the
 * connector's option table (connector.h), and what they leave open. */
typedef struct Connector {
    const char   *connector;    /* 'connector': which implementation ("kafka", "upsert-kafka") */
    const char   *topic;        /* Kafka topic */
    ChangelogMode mode;         /* append / upsert / retract */
    Format        key_format;   /* format of the record key */
    Format        value_format; /* format of the record value */
    bool          value_except_key; /* value.fields-include = EXCEPT_KEY */
    const char   *key_fields;   /* key.fields as written, or NULL (the key is the PRIMARY KEY) */
    StartupMode   startup;      /* scan.startup.mode */
    int64_t       startup_ts;   /* scan.startup.timestamp-millis */
    bool          bounded;      /* scan.bounded.mode = latest-offset */
    ErrorMode     error_mode;   /* error.mode */
    const char   *dead_letter;  /* error.dead-letter-topic, or NULL */
    const char   *late_topic;   /* late-rows.topic: rows that come after their windows fired are copied there, or NULL */
    int64_t       idle_timeout_ms; /* scan.watermark.idle-timeout (0 = never idle), or -1 when not given: the session's
                                      table.exec.source.idle-timeout applies */
    const char   *key_url;      /* Schema Registry for the key, or NULL */
    const char   *value_url;    /* Schema Registry for the value, or NULL */
    KeyValue     *props;        /* properties.* without the prefix */
    int           nprops;       /* count */
    /* connector 'jdbc' (connector_jdbc.c; topic and formats unused): */
    ConnKind      kind;         /* CONN_KAFKA unless a connector says otherwise */
    const char   *url;          /* 'url': jdbc:postgresql://host:port/db, or a libpq connection string */
    const char   *table_name;   /* 'table-name': the database table (default: the table's name) */
    const char   *username;     /* 'username', or NULL */
    const char   *password;     /* 'password', or NULL */
    int64_t       flush_rows;   /* 'sink.buffer-flush.max-rows': rows sent to the database per round trip */
    int64_t       flush_ms;     /* 'sink.buffer-flush.interval': longest a row waits before it is sent (ms) */
    int64_t       max_retries;  /* 'sink.max-retries': attempts after a lost connection before the job fails */
    bool          create_table; /* 'sink.create-table': create the database table from the DDL if missing */
    bool          at_least_once;/* 'sink.delivery-guarantee' = 'at-least-once': commit per flush, no checkpoint marker */
    bool          lookup_cache; /* 'lookup.cache' = 'PARTIAL': a lookup join keeps rows it fetched */
    int64_t       lookup_max_rows; /* 'lookup.partial-cache.max-rows' (0 = no limit) */
    int64_t       lookup_expire_ms; /* 'lookup.partial-cache.expire-after-write' (0 = never) */
    bool          lookup_cache_missing; /* 'lookup.partial-cache.cache-missing-key' */
    int64_t       lookup_retries; /* 'lookup.max-retries' */
    int64_t       lookup_access_ms; /* 'lookup.partial-cache.expire-after-access' (0 = never) */
    int64_t       scan_fetch;   /* 'scan.fetch-size': rows per FETCH of a scan's cursor (0 = eddy's default) */
    int64_t       retry_timeout_ms; /* 'connection.max-retry-timeout': how long a scan tries to get a lost connection back */
    const char   *scan_partition; /* any 'scan.partition.*' option (refused by connector_jdbc.c) */
    bool          dbz_schema_include; /* 'debezium-json.schema-include': events come in a {"schema", "payload"} envelope */
    /* connectors 'datagen', 'blackhole', 'print' (connector_datagen.c, connector_print.c): */
    int64_t       rows_per_second; /* datagen 'rows-per-second': the pace over a real clock */
    int64_t       number_of_rows;  /* datagen: rows in all ('number-of-rows', or the shortest sequence), -1 = unbounded */
    uint64_t      seed;         /* datagen 'seed': the same seed, the same rows */
    GenField     *gen;          /* datagen: per column of the table (CatTable.cols), NULL for other connectors */
    const char   *print_identifier; /* print 'print-identifier': a prefix of every line, or NULL */
    bool          print_stderr; /* print 'standard-error': lines go to standard error */
    NexmarkOpts   nexmark;      /* connector 'nexmark' (events.num in number_of_rows, seed in seed) */
    /* Flink's Kafka and JSON options (connector_kafka.c): */
    const char  **topics;       /* 'topic' = 'a;b': every topic the table reads, topics[0] = topic; NULL = topic alone */
    int           ntopics;      /* count (0 without a list) */
    const char   *topic_pattern;/* 'topic-pattern': a regular expression over the cluster's topic names at job start, or NULL */
    const char   *specific_offsets; /* 'scan.startup.specific-offsets' as written, or NULL */
    int32_t      *spec_parts;   /* … parsed: the partitions named */
    int64_t      *spec_offsets; /* … and each one's first offset */
    int           nspec;        /* count */
    const char   *key_prefix;   /* 'key.fields-prefix': key columns' names start with it, the key's fields do not; or NULL */
    JsonOptions   key_json;     /* 'json.*' / 'key.json.*': the JSON key format's options */
    JsonOptions   value_json;   /* 'json.*' / 'value.json.*': the JSON value format's options */
    int           partitioner;  /* 'sink.partitioner': a SinkPartitioner */
    int           delivery;     /* 'sink.delivery-guarantee' of a Kafka table: a KafkaDelivery */
    const char   *group_id;     /* 'properties.group.id', or NULL (passed to librdkafka with the other properties) */
} Connector;

typedef struct CatTable {
    Arena       arena;    /* owns everything below */
    const char *name;     /* table name */
    CatColumn  *cols;     /* columns in declaration order */
    int         ncols;    /* count */
    int        *pk;       /* primary key column indexes */
    int         npk;      /* count (0 = none) */
    int        *keycols;  /* columns carried in the record key (pk or key.fields) */
    int         nkeycols; /* count */
    int         wm_col;   /* watermark column index, -1 = none */
    AstExpr    *wm_expr;  /* watermark strategy (copied) */
    const char *wm_text;  /* its SQL text (SHOW CREATE TABLE), or NULL */
    KeyValue   *opts;     /* WITH options as written */
    int         nopts;    /* count */
    Connector   conn;     /* resolved connector */
} CatTable;

/* A view: its query as written (parsed again into its own arena, so it
 * outlives the statement that created it) and the schema binding it gave. */
typedef struct CatView {
    Arena        arena;    /* owns everything below */
    const char  *name;     /* view name (tables and views share one namespace, as in Flink) */
    const char  *text;     /* the query's text (SHOW CREATE VIEW) */
    AstSelect   *query;    /* the query, parsed from text (offsets are into text) */
    const char **cols;     /* the declared column list `v (a, b)`, or NULL */
    int          ncols;    /* its count (0 = the query's own names) */
    const char **out_names;/* the view's columns */
    Type        *out_types;/* their types */
    int          nout;     /* count */
    bool         temporary;/* CREATE TEMPORARY VIEW */
} CatView;

typedef struct Catalog {
    CatTable **tables;    /* in creation order */
    int        ntables;   /* count */
    int        cap;       /* capacity */
    CatView  **views;     /* in creation order */
    int        nviews;    /* count */
    int        vcap;      /* capacity */
    const char *registry_url; /* session's Schema Registry (not owned): default 'avro-confluent.url', or NULL */
    struct UserFunc **funcs;  /* user-defined functions (func.h), in creation order (owned) */
    int        nfuncs;    /* count */
    int        fcap;      /* capacity */
} Catalog;

/* A source of tables the catalog does not hold yet (a Schema Registry):
 * the CREATE TABLE text of `name` in *ddl (malloc'd) and 0, 1 when it has
 * no such table, -1 with a message when it cannot tell.  url: the session's
 * registry.  The engine calls it before binding, never the binder. */
typedef int (*CatalogProvider)(const char *name, const char *url, char **ddl, char *err, size_t errlen);
struct eddy_engine;
/* Installs the provider of an engine (engine.c); url (copied; NULL = none)
 * is used when no SET 'avro-confluent.url' is in force. */
void engine_set_provider(struct eddy_engine *e, CatalogProvider p, const char *url);

void      catalog_init(Catalog *c);
void      catalog_free(Catalog *c);
CatTable *catalog_find(const Catalog *c, const char *name);
void      catalog_add(Catalog *c, CatTable *t);      /* takes ownership */
bool      catalog_drop(Catalog *c, const char *name); /* false if absent */
CatView  *catalog_find_view(const Catalog *c, const char *name);
void      catalog_add_view(Catalog *c, CatView *v);   /* takes ownership */
bool      catalog_drop_view(Catalog *c, const char *name); /* false if absent */
CatView  *catview_new(const char *name);
void      catview_free(CatView *v);
CatTable *cattable_new(const char *name);
/* ---- the catalog as SQL text (engine_stmt.c) ---- */
/* CREATE TABLE text of t that compiles back into it; name (NULL = t's) and
 * opts (NULL = t's) replace its own (ALTER TABLE, LIKE). */
void      catalog_table_ddl(const CatTable *t, const char *name, const KeyValue *opts, int nopts, bool ctas_form, StrBuf *b);
void      catalog_view_ddl(const CatView *v, StrBuf *b);
char     *catalog_describe_view(const CatView *v, const char *like); /* malloc'd; like: only columns matching it, or NULL */
/* malloc'd, one name a line, sorted: the built-in functions and c's user functions (user_only: those alone) */
char     *catalog_show_functions(const Catalog *c, bool user_only);
/* User-defined functions (udf.c), by name, case-insensitive. */
struct UserFunc *catalog_find_function(const Catalog *c, const char *name);
void      catalog_add_function(Catalog *c, struct UserFunc *f);   /* takes ownership */
bool      catalog_drop_function(Catalog *c, const char *name);  /* false if absent */
bool      catalog_like(const char *s, const char *pattern); /* SQL LIKE (% and _) */
void      catalog_put_string(StrBuf *b, const char *s);  /* 'quoted' */
void      cattable_free(CatTable *t);
int       cattable_column(const CatTable *t, const char *name); /* index or -1 */
const char *changelog_mode_name(ChangelogMode m);
const char *format_name(Format f);
const char *startup_mode_name(StartupMode m);

#endif
