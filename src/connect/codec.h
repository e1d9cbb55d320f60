/*
 * codec.h — record formats: bytes of a Kafka key or value ⇄ columns of a row.
 *
 * A decoder is compiled once per table side (key or value) for the columns
 * a plan needs; decoding a record fills those columns and leaves the rest
 * untouched.  JSON follows Flink's 'json' format: a top-level object, field
 * names = column names, a missing field or JSON null → NULL, numbers into
 * any numeric column (an integer column rejects a fraction), strings into
 * DATE ('2024-01-31'), TIMESTAMP ('2024-01-31 10:00:00[.fff]' or ISO 'T'),
 * TIMESTAMP_LTZ (also epoch milliseconds as a number), DECIMAL (number or
 * string), BYTES (base64 string).  A malformed record is an error with the
 * reason; the caller adds topic/partition/offset.
 */
#ifndef EDDY_CODEC_H
#define EDDY_CODEC_H

#include <stddef.h>
#include "catalog.h"
#include "value.h"

typedef struct JsonField {
    const char *name;     /* JSON field name (= column name) */
    Type        type;     /* column type */
    int         slot;     /* index in the output row to fill, -1 = parse and skip */
} JsonField;

typedef struct JsonDecoder JsonDecoder;

/* Fields the decoder looks for; others in the input are skipped. */
JsonDecoder *json_decoder_new(const JsonField *fields, int nfields);
void         json_decoder_free(JsonDecoder *d);
/* Decodes one JSON object.  Every field's slot is set (NULL when absent).
 * Strings point into buf when no unescaping was needed, else into arena.
 * Returns 0 or -1 with a reason in err (e.g. "expected ',' or '}' at byte 17",
 * "field 'amount': expected a number, got \"abc\""). */
int json_decode(JsonDecoder *d, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen);

/* Flink's 'json.*' options (catalog.h) for what d decodes from now on
 * (copied); without this call: all off, timestamps in either form. */
void json_decoder_set_options(JsonDecoder *d, const JsonOptions *o);
/* With ignore-parse-errors: how many values of the last record decoded
 * were set to NULL, and why the first (a message in the decoder, valid
 * until the next record); 0 and NULL when none. */
int  json_decode_nulled(const JsonDecoder *d, const char **why);
/* Whether d was told to ignore parse errors (a malformed record is skipped). */
bool json_decoder_ignores_errors(const JsonDecoder *d);

/* Encodes a JSON object {"name": value, ...} of the given fields of row
 * (slot = row index).  Doubles in shortest round-trip form; timestamps as
 * 'YYYY-MM-DD HH:MM:SS.fff' strings (Flink's SQL format); DECIMAL as a
 * JSON number with its scale's digits; BYTES as base64. */
void json_encode(StrBuf *out, const JsonField *fields, int nfields, const Value *row);
/* The same, with a table's 'json.*' options: timestamps in the ISO-8601
 * form ('2024-01-01T12:00:00.5', LTZ with 'Z') with 'ISO-8601', DECIMAL as
 * Flink writes it with 'json.encode.decimal-as-plain-number' given. */
void json_encode_opts(StrBuf *out, const JsonField *fields, int nfields, const Value *row, const JsonOptions *o);
/* One value as JSON text, as json_encode writes it inside a record (a
 * nested value as an object or array; NULL as null). */
void json_encode_value(StrBuf *out, Type t, const Value *v);

#endif
