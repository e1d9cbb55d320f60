/*
 * codec_debezium.h — Debezium's change events (Flink's 'debezium-json' and
 * 'debezium-avro-confluent' formats), decoding only: one Kafka record → the row changes it stands for.
 * format.c hands a RecDecoder of this format here; op_source.c turns the
 * changes into rows of a retract stream.
 */
#ifndef EDDY_CODEC_DEBEZIUM_H
#define EDDY_CODEC_DEBEZIUM_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"

typedef struct DbzDecoder DbzDecoder;

/* A decoder of the given columns (as codec.h's JSON decoder: field names =
 * column names, slot -1 = skip).  schema_include: the event is wrapped in
 * {"schema": …, "payload": {…}} ('debezium-json.schema-include'). */
DbzDecoder *dbz_decoder_new(const JsonField *fields, int nfields, bool schema_include);
void        dbz_decoder_free(DbzDecoder *d);
/* Changes schema_include. */
void        dbz_decoder_set_envelope(DbzDecoder *d, bool schema_include);

/*
 * Decodes one event:
 *   op "c" (create), "r" (snapshot read)  → 1 row:  +I after
 *   op "u" (update)                       → 2 rows: -U before, +U after
 *   op "d" (delete)                       → 1 row:  -D before
 * rows[0] and rows[1] are the caller's (every slot of a row used is set);
 * kinds get the row kinds (RowKind values), *n the count.  A value of
 * JSON null (the schema-include envelope with a null payload) is no change:
 * *n = 0.  Returns 0, or -1 with the reason in err (not an object, an
 * unknown op, a missing before image — with the REPLICA IDENTITY hint for
 * PostgreSQL — a field of the wrong type).
 */
int dbz_decode(DbzDecoder *d, const char *buf, size_t len, Value *rows[2], int kinds[2], int *n, Arena *arena, char *err,
               size_t errlen);

/*
 * The same for Debezium's Avro envelope ('debezium-avro-confluent'): body
 * is the Avro bytes after the Confluent header, env the envelope of its
 * writer schema (codec_avro.h).  The same ops, kinds and messages.
 */
struct CavroEnvelope;
int dbz_decode_avro(DbzDecoder *d, struct CavroEnvelope *env, const char *body, size_t len, Value *rows[2], int kinds[2], int *n,
                    Arena *arena, char *err, size_t errlen);

#endif
