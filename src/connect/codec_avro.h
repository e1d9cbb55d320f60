/*
 * codec_avro.h — Avro binary bodies ⇄ columns of a row, and Avro schemas ⇄
 * SQL columns.  codec_avro.c is the only file that includes avro.h.
 *
 * This is the body codec only: the Confluent framing (magic byte, schema
 * id) and the Schema Registry live in format.c and registry.c.
 *
 * Schemas follow Flink's AvroSchemaConverter:
 *   BOOLEAN → boolean; TINYINT, SMALLINT, INT → int; BIGINT → long;
 *   FLOAT → float; DOUBLE → double; STRING/VARCHAR/CHAR → string;
 *   BYTES → bytes; DATE → int (date); TIMESTAMP(p) and TIMESTAMP_LTZ(p) →
 *   long (timestamp-millis for p ≤ 3, else timestamp-micros);
 *   DECIMAL(p, s) → bytes (decimal, p, s); ROW → record, named after its
 *   path (<row name>_<field>, e.g. "org.apache.flink.avro.generated.
 *   record_customer"; a suffix _2, _3 … when two paths spell one name);
 *   ARRAY → array; MAP<STRING, V> → map (other keys: no Avro form); a
 *   nullable column, field, element or value is the union ["null", T]
 *   (fields with default null); the row is a record, by default
 *   "org.apache.flink.avro.generated.record".
 * The other way (tables derived from a registered schema), the inverse,
 * plus: enum → STRING, fixed → VARBINARY(size) (decimal fixed → DECIMAL), uuid →
 * STRING, time-millis → INT, time-micros → BIGINT,
 * local-timestamp-millis/micros → TIMESTAMP(3)/(6), ["null", T] or
 * [T, "null"] → nullable T, record → ROW, array → ARRAY, map →
 * MAP<STRING NOT NULL, V>.  Fields eddy has no type for (other unions,
 * a record inside itself) are left out of the table (or of their ROW).
 *
 * Reading resolves the writer's schema against the reader's (the table's
 * columns) by Avro's rules: fields matched by name, writer fields the
 * table lacks are skipped, table columns the writer lacks are NULL (the
 * reader's default; a NOT NULL column the writer lacks is an error),
 * promotions int → long → float → double, string ⇄ bytes, unions on
 * either side.  avro-c parses both schemas and judges the resolution
 * (avro_resolved_writer_new); the result is then compiled into a flat
 * program of decoding steps, which is what runs per record.  Nested
 * columns follow the same rules at every level (a ROW's fields by name,
 * NULL when the writer's record lacks them); they are judged by the
 * compiler itself, and a malformed nested value's message gives its path
 * (payload.items[2].qty, attrs['k']).
 */
#ifndef EDDY_CODEC_AVRO_H
#define EDDY_CODEC_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "strbuf.h"

/* Flink's default record name for a row (namespace + name). */
#define CAVRO_DEFAULT_RECORD "org.apache.flink.avro.generated.record"

/* ---- Schemas -------------------------------------------------------------- */

/* Appends the Avro schema (JSON) of a record of these columns, named
 * `fullname` (NULL = CAVRO_DEFAULT_RECORD); slots are ignored.  Returns 0,
 * or -1 with a message naming the column (a name that is not a valid Avro
 * name, a type with no Avro form). */
int cavro_schema_of_columns(const JsonField *fields, int n, const char *fullname, StrBuf *out, char *err, size_t errlen);

/* Appends the column list of a CREATE TABLE for a registered schema,
 * e.g. "`order_id` BIGINT NOT NULL, `region` STRING" (Flink's Avro → SQL
 * mapping above).  Returns the number of columns (0 when no field has an
 * SQL type), or -1 with a message when the text is not a record schema. */
int cavro_schema_to_columns(const char *schema, size_t len, StrBuf *out, char *err, size_t errlen);

/* Parses the schema text; 0 when avro-c accepts it, else -1 and why. */
int cavro_schema_check(const char *schema, size_t len, char *err, size_t errlen);

/* May data written with `writer` be read with `reader` (Avro resolution,
 * reader defaults included)?  0 yes, -1 no (err says why). */
int cavro_schema_compatible(const char *writer, const char *reader, char *err, size_t errlen);

/* ---- Decoding -------------------------------------------------------------- */

typedef struct CavroReader CavroReader;     /* the columns to fill: the reader side */
typedef struct CavroProgram CavroProgram;   /* one writer schema resolved and compiled against a reader */

/* The reader for these columns (slot -1 = read and skip).  Names and types
 * are copied.  NULL with a message when a column has no Avro form. */
CavroReader *cavro_reader_new(const JsonField *fields, int n, char *err, size_t errlen);
void         cavro_reader_free(CavroReader *r);
/* The reader's own schema (what format 'avro' reads and writes). */
const char  *cavro_reader_schema(const CavroReader *r);

/* Resolves `writer` (schema JSON; NULL = the reader's own schema) against
 * the reader and compiles it.  NULL with the reason when the
 * schemas do not resolve (that reason names the field).  The program keeps
 * a reference to the reader, which must outlive it. */
CavroProgram *cavro_program_new(const CavroReader *r, const char *writer, size_t len, char *err, size_t errlen);
void          cavro_program_free(CavroProgram *p);

/* Decodes one Avro body into the reader's slots (every slot is set; NULL
 * where the writer has no value).  Strings and bytes point into buf.
 * Returns 0, or -1 with the reason (truncated, bad union branch, value out
 * of the column's range, bytes left over, …) naming the field and byte. */
int cavro_decode(CavroProgram *p, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen);

/* ---- Debezium's envelope (debezium-avro-confluent) ------------------------- */

/* A Debezium change event's Avro envelope: a record with fields "before"
 * and "after" (each the row record, or null in a union with it), "op" (a
 * string) and others ("source", "ts_ms", "transaction": skipped), in the
 * writer's order.  What the op means is codec_debezium.c's business. */
typedef struct CavroEnvelope CavroEnvelope;

/* The envelope `writer` (schema JSON) resolved against the reader's
 * columns (the row record as cavro_program_new would read it).  NULL with
 * the reason (not an envelope, a row that does not resolve). */
CavroEnvelope *cavro_envelope_new(const CavroReader *r, const char *writer, size_t len, char *err, size_t errlen);
void           cavro_envelope_free(CavroEnvelope *e);
/* Decodes one Avro body: the row images into before / after (every slot
 * of an image present is set; *has_* says which are), op into *op / *oplen
 * (pointing into buf; NULL, 0 if absent); nested values are built in
 * arena.  0, or -1 with the reason. */
int cavro_envelope_decode(CavroEnvelope *e, const char *buf, size_t len, Value *before, Value *after, bool *has_before,
                          bool *has_after, const char **op, size_t *oplen, Arena *arena, char *err, size_t errlen);

/* ---- Encoding -------------------------------------------------------------- */

typedef struct CavroEncoder CavroEncoder;

/* An encoder of the given columns (slot = index into the rows it will get)
 * as a record named fullname (NULL = CAVRO_DEFAULT_RECORD).  NULL with a
 * message when a column has no Avro form. */
CavroEncoder *cavro_encoder_new(const JsonField *fields, int n, const char *fullname, char *err, size_t errlen);
void          cavro_encoder_free(CavroEncoder *e);
/* The writer schema (JSON) of what cavro_encode writes. */
const char   *cavro_encoder_schema(const CavroEncoder *e);
/* Renames the record (e.g. to the name a subject already uses, so that the
 * registry's compatibility check compares like with like).  0 or -1. */
int           cavro_encoder_rename(CavroEncoder *e, const char *fullname, char *err, size_t errlen);
/* The full name ("ns.Name") of a record schema into buf; -1 when the text
 * is not a record schema. */
int           cavro_schema_fullname(const char *schema, char *buf, size_t n);
/* Appends the Avro body of row.  A NULL in a NOT NULL column is written as
 * the type's zero (the sink checks NOT NULL before it encodes). */
void          cavro_encode(const CavroEncoder *e, const Value *row, StrBuf *out);

#endif
