/*
 * connector_upsert_kafka.c — the 'upsert-kafka' connector, compile side:
 * a Kafka table (the same options, connector_kafka.c) whose changelog is
 * always upsert, keyed by its PRIMARY KEY, as Flink's upsert-kafka.
 */
#include "connector_kafka.h"

static int upsert_kafka_resolve(ConnCtx *c)
{
    Connector *cn = &c->table->conn;
    if (kafka_key_fields(c)) return c->diag->code;
    int pos = conn_pos(c, "changelog.mode");
    if (pos >= 0 && cn->mode != MODE_UPSERT)
        return diag_error(c->diag, DIAG_OPTION, pos, "connector 'upsert-kafka' needs changelog.mode 'upsert', not '%s'",
                          changelog_mode_name(cn->mode));
    if (conn_require_pk(c, pos >= 0 ? pos : conn_pos(c, "connector"), pos >= 0 ? "changelog.mode 'upsert'" : "connector 'upsert-kafka'"))
        return c->diag->code;
    cn->mode = MODE_UPSERT;
    return kafka_finish(c);
}

const ConnectorDef upsert_kafka_connector = {.options = kafka_options, .resolve = upsert_kafka_resolve};
