/*
 * format.h — record formats behind one interface: the bytes of a Kafka key
 * or value ⇄ columns of a row, whatever the table's format.
 *
 *   json            codec_json.c (Flink's 'json')
 *   raw             the bytes are the one STRING/BYTES column
 *   avro            plain Avro binary; writer and reader schema are the
 *                   table's own (codec_avro.c, Flink's type mapping)
 *   debezium-json   Debezium's change events, read only: one record is up
 *                   to two row changes (recdec_changes, codec_debezium.c)
 *   avro-confluent  Confluent's wire format: magic byte 0, the writer
 *                   schema's registry id (4 bytes, big-endian), the Avro
 *                   body.  Reading fetches each writer schema by id once
 *                   and resolves it against the table's columns; writing
 *                   registers the table's schema under the subject
 *                   (`<topic>-key` / `<topic>-value`, TopicNameStrategy)
 *                   on first use.
 *
 * Sources and sinks (op_source.c, op_sink.c), `eddy gen` and the demo use
 * this; none of them knows Avro or the registry.
 */
#ifndef EDDY_FORMAT_H
#define EDDY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "codec.h"
#include "strbuf.h"

/* Results of decoding: a good record, a malformed one (error.mode decides),
 * or a failure that is not the record's fault (the registry cannot be
 * reached): the job fails whatever error.mode says. */
enum { REC_OK = 0, REC_MALFORMED = -1, REC_FATAL = -2 };

/* What a codec needs besides the columns. */
typedef struct FormatSpec {
    Format      format;       /* the table side's format */
    const char *registry_url; /* avro-confluent: the Schema Registry */
    const char *subject;      /* avro-confluent writing: subject to register under */
    const char *record_name;  /* Avro record full name; NULL = Flink's default */
    const JsonOptions *json;  /* json: the table's 'json.*' options for this side, or NULL (eddy's defaults) */
} FormatSpec;

typedef struct RecDecoder RecDecoder;
typedef struct RecEncoder RecEncoder;

/* A decoder of the given columns (slot -1 = parse and skip).  NULL with a
 * message naming the problem (e.g. 'raw' with two columns). */
RecDecoder *recdec_new(const FormatSpec *fs, const JsonField *fields, int nfields, char *err, size_t errlen);
void        recdec_free(RecDecoder *d);
/* Decodes one record into the row (every slot set); strings may point
 * into buf.  REC_OK, REC_MALFORMED or REC_FATAL with the reason in err. */
int         recdec_decode(RecDecoder *d, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen);

/* A changelog format (debezium-json, codec_debezium.c): the changes one
 * record stands for, as rows[0..*n) with their kinds (RowKind); *n may be
 * 0, 1 or 2.  REC_OK or REC_MALFORMED with the reason in err. */
int         recdec_changes(RecDecoder *d, const char *buf, size_t len, Value *rows[2], int kinds[2], int *n, Arena *arena,
                           char *err, size_t errlen);
/* json with 'json.ignore-parse-errors': how many values of the last
 * record decoded were set to NULL because they could not be converted,
 * and why the first was (NULL when none); other formats: 0. */
int         recdec_nulled(const RecDecoder *d, const char **why);
/* Whether a malformed record of this decoder is skipped rather than failing
 * the job whatever 'error.mode' says ('json.ignore-parse-errors'). */
bool        recdec_skips_malformed(const RecDecoder *d);
/* debezium-json: the events come in the {"schema": …, "payload": …}
 * envelope ('debezium-json.schema-include'); other formats ignore it. */
void        recdec_set_envelope(RecDecoder *d, bool on);

/* An encoder of the given columns (slot = index into the rows it gets). */
RecEncoder *recenc_new(const FormatSpec *fs, const JsonField *fields, int nfields, char *err, size_t errlen);
void        recenc_free(RecEncoder *e);
/* Appends the encoding of row to out.  0, or -1 with a message (the
 * registry refused or could not be reached: not something to skip). */
int         recenc_encode(RecEncoder *e, const Value *row, StrBuf *out, char *err, size_t errlen);

#endif
