/*
 * connector_kafka.h — what the Kafka connectors share: 'upsert-kafka' is a
 * Kafka table whose changelog is always upsert, with the same options and
 * the same checks after its changelog mode.  Only connector_*.c include it.
 */
#ifndef EDDY_CONNECTOR_KAFKA_H
#define EDDY_CONNECTOR_KAFKA_H

#include "connector.h"

/* The WITH options of a Kafka table (ends with a NULL name). */
extern const OptionDef kafka_options[];
/* The record key's columns: 'key.fields', else the PRIMARY KEY (the binder's default). */
int kafka_key_fields(ConnCtx *c);
/* Everything after the changelog mode: topic, formats, start, errors, registries. */
int kafka_finish(ConnCtx *c);

#endif
