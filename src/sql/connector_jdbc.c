/*
 * connector_jdbc.c — the 'jdbc' connector, compile side: a PostgreSQL
 * table, with the option names of Flink's JDBC connector ('url',
 * 'table-name', 'username', 'password', 'sink.buffer-flush.*',
 * 'sink.max-retries', 'scan.fetch-size', 'lookup.*') and eddy's additions
 * ('sink.create-table', 'sink.delivery-guarantee').  A jdbc table in FROM
 * is a bounded scan (exec/op_scan_jdbc.c): read once, then it ends.  The changelog follows the PRIMARY KEY as in
 * Flink: with one the table is written by upserts and deletes, without one
 * by inserts only.  Writing rows is connect/pg_sink.c; the protocol that
 * makes it exactly once is in docs/postgres-sink.md.
 */
#include "connector.h"

#include <string.h>

static const OptEnum cache_values[] = {{"NONE", false, NULL}, {"PARTIAL", true, NULL}, {0}};
static const OptEnum guarantee_values[] = {{"exactly-once", false, NULL}, {"at-least-once", true, NULL}, {0}};

static const OptionDef jdbc_options[] = {
    {.name = "url", .type = OPT_STRING, .to = {OPT_FIELD(Connector, url)},
     .doc = "The database: 'jdbc:postgresql://host:port/db[?user=…]' or a libpq connection string "
            "('host=127.0.0.1 port=5432 dbname=db')."},
    {.name = "table-name", .type = OPT_STRING, .to = {OPT_FIELD(Connector, table_name)},
     .doc = "The database table, optionally schema-qualified (default: the table's name)."},
    {.name = "username", .type = OPT_STRING, .to = {OPT_FIELD(Connector, username)}, .doc = "Database user name."},
    {.name = "password", .type = OPT_STRING, .to = {OPT_FIELD(Connector, password)}, .doc = "Database password."},
    {.name = "sink.buffer-flush.max-rows", .type = OPT_INT, .to = {OPT_FIELD(Connector, flush_rows)}, .deflt = "5000",
     .min = 1, .max = 10000000,
     .doc = "Rows sent to the database in one round trip (one COPY). Exactly-once: they go into the open transaction of the "
            "checkpoint, which commits with the checkpoint."},
    {.name = "sink.buffer-flush.interval", .type = OPT_DURATION, .to = {OPT_FIELD(Connector, flush_ms)}, .deflt = "1 s",
     .doc = "Longest a row waits in the buffer before it is sent ('0': only when the buffer is full or at a checkpoint)."},
    {.name = "sink.max-retries", .type = OPT_INT, .to = {OPT_FIELD(Connector, max_retries)}, .deflt = "3", .min = 0, .max = 1000,
     .doc = "Attempts to reconnect and redo the open transaction after the database connection failed (backoff 0.5 s, doubling "
            "up to 5 s), before the job fails."},
    {.name = "sink.create-table", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, create_table)}, .deflt = "false",
     .doc = "Create the database table from the DDL's columns and PRIMARY KEY if it does not exist."},
    {.name = "sink.delivery-guarantee", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, at_least_once)}, .deflt = "exactly-once",
     .values = guarantee_values,
     .doc = "'exactly-once': rows commit with a marker of the checkpoint in one transaction per checkpoint, so a restart "
            "neither loses nor repeats a row; 'at-least-once': each flush commits (a restart may repeat appended rows)."},
    {.name = "lookup.cache", .type = OPT_ENUM, .to = {OPT_FIELD(Connector, lookup_cache)}, .deflt = "NONE", .values = cache_values,
     .doc = "A lookup join against the table: 'PARTIAL' keeps the rows it fetched (see lookup.partial-cache.*); 'NONE' "
            "looks every batch's keys up again."},
    {.name = "lookup.partial-cache.max-rows", .type = OPT_INT, .to = {OPT_FIELD(Connector, lookup_max_rows)}, .deflt = "0", .min = 0,
     .doc = "Rows the cache holds at most (a key without rows counts as one); the oldest written go first. '0': no limit."},
    {.name = "lookup.partial-cache.expire-after-write", .type = OPT_DURATION, .to = {OPT_FIELD(Connector, lookup_expire_ms)},
     .deflt = "0 ms", .doc = "A cached key is looked up again this long after it was fetched ('0': never)."},
    {.name = "lookup.partial-cache.cache-missing-key", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, lookup_cache_missing)},
     .deflt = "true", .doc = "Whether a key the table has no rows for is cached too."},
    {.name = "lookup.partial-cache.expire-after-access", .type = OPT_DURATION, .to = {OPT_FIELD(Connector, lookup_access_ms)},
     .deflt = "0 ms", .doc = "A cached key not used for this long is dropped (and looked up again when it comes back) ('0': never)."},
    {.name = "lookup.max-retries", .type = OPT_INT, .to = {OPT_FIELD(Connector, lookup_retries)}, .deflt = "3", .min = 0, .max = 1000,
     .doc = "Attempts to reconnect and repeat a look-up after the database connection failed, before the job fails."},
    {.name = "scan.fetch-size", .type = OPT_INT, .to = {OPT_FIELD(Connector, scan_fetch)}, .deflt = "0", .min = 0, .max = 10000000,
     .doc = "A scan (SELECT … FROM the table, read once): rows fetched per round trip from its cursor; '0': eddy's default of "
            "10000. The table is streamed, never held in memory whole."},
    {.name = "connection.max-retry-timeout", .type = OPT_DURATION, .to = {OPT_FIELD(Connector, retry_timeout_ms)}, .deflt = "60 s",
     .min = 1000,
     .doc = "A scan whose connection fails reconnects for at most this long (backoff 0.5 s, doubling up to 5 s) and goes on "
            "where it was (its rows come in primary key order), before the job fails."},
    {.name = "scan.partition.column", .type = OPT_STRING, .to = {OPT_FIELD(Connector, scan_partition)},
     .doc = "Refused: eddy reads a table with one cursor (scan.partition.* splits a scan among parallel readers)."},
    {.name = "scan.partition.num", .type = OPT_STRING, .to = {OPT_FIELD(Connector, scan_partition)}, .doc = "Refused (see scan.partition.column)."},
    {.name = "scan.partition.lower-bound", .type = OPT_STRING, .to = {OPT_FIELD(Connector, scan_partition)},
     .doc = "Refused (see scan.partition.column)."},
    {.name = "scan.partition.upper-bound", .type = OPT_STRING, .to = {OPT_FIELD(Connector, scan_partition)},
     .doc = "Refused (see scan.partition.column)."},
    {0},
};

static int jdbc_resolve(ConnCtx *c)
{
    CatTable *t = c->table;
    Connector *cn = &t->conn;
    cn->kind = CONN_JDBC;
    if (!cn->url) return diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos, "connector 'jdbc' needs option 'url'");
    if (strncmp(cn->url, "jdbc:", 5) == 0 && strncmp(cn->url, "jdbc:postgresql://", 18) != 0)
        return diag_error(c->diag, DIAG_OPTION, conn_pos(c, "url"),
                          "option 'url': only PostgreSQL is supported ('jdbc:postgresql://host:port/db'), not '%s'", cn->url);
    if (!cn->table_name) cn->table_name = t->name;
    static const char *const partition_opts[] = {"scan.partition.column", "scan.partition.num", "scan.partition.lower-bound",
                                                 "scan.partition.upper-bound"};
    for (size_t i = 0; i < sizeof partition_opts / sizeof *partition_opts; i++)
        if (conn_pos(c, partition_opts[i]) >= 0)
            return diag_error(c->diag, DIAG_OPTION, conn_pos(c, partition_opts[i]),
                              "option '%s' is not supported: eddy scans a jdbc table with one cursor in one transaction "
                              "(scan.partition.* splits a scan among parallel readers); leave the scan.partition.* options out",
                              partition_opts[i]);
    cn->mode = t->npk ? MODE_UPSERT : MODE_APPEND;
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].kind == COL_METADATA)
            return diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos,
                              "column '%s': a jdbc table has no metadata columns (METADATA FROM '%s' is Kafka's)", t->cols[i].name,
                              t->cols[i].meta_key);
    return 0;
}

const ConnectorDef jdbc_connector = {.options = jdbc_options, .resolve = jdbc_resolve};
