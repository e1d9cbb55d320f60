/*
 * codec_debezium.c — Debezium change events → row changes
 * (codec_debezium.h), following Flink's 'debezium-json' and
 * 'debezium-avro-confluent' formats.  What an event's op means (which
 * image becomes which row change, what is missing) is decided in one
 * place, op_changes, for both envelopes; the Avro envelope's bytes are
 * codec_avro.c's (cavro_envelope_decode).
 *
 * An event is a JSON object whose "op" says what happened and whose
 * "before" / "after" hold the row before and after it (Debezium's other
 * fields — "source", "ts_ms", "transaction" — are skipped); with
 * 'debezium-json.schema-include' the object is {"schema": …, "payload": …}
 * and the event is the payload.  The envelope is walked here with a small
 * scanner that only finds the spans of those fields (no recursion: nested
 * values are skipped by counting brackets outside strings); "before" and
 * "after" are then decoded by the JSON decoder of codec_json.c, which
 * validates them fully and converts the columns.  Kafka tombstones (a null
 * value, which Debezium writes after a delete for log compaction) never get
 * here: the source skips them.
 */
#include "codec_debezium.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_avro.h"
#include "value.h"

struct DbzDecoder {
    JsonDecoder *json;    /* the table's columns, for "before" and "after" */
    bool         schema_include; /* the event is {"schema", "payload"}'s payload */
    int         *slots;   /* the columns' row slots (an Avro after image moves to the first row) */
    int          nslots;  /* count */
};

DbzDecoder *dbz_decoder_new(const JsonField *fields, int nfields, bool schema_include)
{
    DbzDecoder *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->json = json_decoder_new(fields, nfields);
    if (!d->json) abort();
    d->schema_include = schema_include;
    d->slots = calloc((size_t)nfields + 1, sizeof *d->slots);
    if (!d->slots) abort();
    for (int i = 0; i < nfields; i++)
        if (fields[i].slot >= 0) d->slots[d->nslots++] = fields[i].slot;
    return d;
}

void dbz_decoder_set_envelope(DbzDecoder *d, bool schema_include) { d->schema_include = schema_include; }

void dbz_decoder_free(DbzDecoder *d)
{
    if (!d) return;
    json_decoder_free(d->json);
    free(d->slots);
    free(d);
}

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* Past the string starting at p ('"'), or NULL when it does not end. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        if (*p == '"') return p + 1;
    }
    return NULL;
}

/* Past the value starting at p (a scalar, a string, or an object / array
 * skipped by bracket depth), or NULL when it is not one. */
static const char *skip_value(const char *p, const char *e)
{
    long depth = 0;
    do {
        p = ws(p, e);
        if (p >= e) return NULL;
        char c = *p;
        if (c == '"') {
            if (!(p = skip_string(p, e))) return NULL;
        } else if (c == '{' || c == '[') {
            depth++;
            p++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return NULL;
            depth--;
            p++;
        } else if (c == ',' || c == ':') {
            if (depth == 0) return NULL;
            p++;
        } else {
            const char *s = p;
            while (p < e && !strchr(",:{}[]\" \t\n\r", *p)) p++;
            if (p == s) return NULL;
        }
    } while (depth > 0);
    return p;
}

typedef struct Span {
    const char *s;        /* first byte of the value, NULL = field absent */
    size_t      n;        /* its length */
} Span;

static bool span_is(Span v, const char *lit) { return v.s && v.n == strlen(lit) && memcmp(v.s, lit, v.n) == 0; }

/* The spans of the fields named in keys[] (nk of them) of the object at
 * buf; 0 or -1 with the reason. */
static int object_fields(const char *buf, size_t len, const char *const *keys, Span *out, int nk, char *err, size_t errlen)
{
    const char *p = buf, *e = buf + len;
    for (int i = 0; i < nk; i++) out[i] = (Span){NULL, 0};
    p = ws(p, e);
    if (p >= e || *p != '{') {
        snprintf(err, errlen, "expected a JSON object at byte %zu", (size_t)(p - buf));
        return -1;
    }
    p = ws(p + 1, e);
    if (p < e && *p == '}') return ws(p + 1, e) == e ? 0 : (snprintf(err, errlen, "data after the object"), -1);
    for (;;) {
        p = ws(p, e);
        if (p >= e || *p != '"') {
            snprintf(err, errlen, "expected a field name at byte %zu", (size_t)(p - buf));
            return -1;
        }
        const char *ks = p + 1, *ke = skip_string(p, e);
        if (!ke) {
            snprintf(err, errlen, "unterminated string at byte %zu", (size_t)(p - buf));
            return -1;
        }
        size_t kl = (size_t)(ke - 1 - ks);
        p = ws(ke, e);
        if (p >= e || *p != ':') {
            snprintf(err, errlen, "expected ':' at byte %zu", (size_t)(p - buf));
            return -1;
        }
        const char *vs = ws(p + 1, e), *ve = skip_value(vs, e);
        if (!ve) {
            snprintf(err, errlen, "malformed value at byte %zu", (size_t)(vs - buf));
            return -1;
        }
        for (int i = 0; i < nk; i++)
            if (kl == strlen(keys[i]) && memcmp(ks, keys[i], kl) == 0) out[i] = (Span){vs, (size_t)(ve - vs)};
        p = ws(ve, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        if (p < e && *p == '}') break;
        snprintf(err, errlen, "expected ',' or '}' at byte %zu", (size_t)(p - buf));
        return -1;
    }
    if (ws(p + 1, e) != e) {
        snprintf(err, errlen, "data after the object at byte %zu", (size_t)(p + 1 - buf));
        return -1;
    }
    return 0;
}

/* The reason an image an op needs is missing. */
static int missing_image(const char *what, const char *op, char *err, size_t errlen)
{
    if (strcmp(what, "before") == 0)
        snprintf(err, errlen,
                 "the \"before\" field of a '%s' event is null (a Debezium PostgreSQL source needs the table's REPLICA IDENTITY FULL)", op);
    else snprintf(err, errlen, "the \"after\" field of a '%s' event is null", op);
    return -1;
}

/* What an event's op means, for every envelope:
 *   "c" (create), "r" (snapshot read)  → +I after
 *   "u" (update)                       → -U before, +U after
 *   "d" (delete)                       → -D before
 * which[k]: the image of change k (0 before, 1 after), kinds[k] its kind,
 * *n the count.  0, or -1 with the reason (an op that is no row change). */
static int op_changes(const char *op, size_t oplen, int which[2], int kinds[2], int *n, char *err, size_t errlen)
{
    char o = oplen == 1 ? op[0] : 0;
    switch (o) {
    case 'c':
    case 'r': which[0] = 1, kinds[0] = RK_INSERT, *n = 1; return 0;
    case 'u': which[0] = 0, kinds[0] = RK_UPDATE_BEFORE, which[1] = 1, kinds[1] = RK_UPDATE_AFTER, *n = 2; return 0;
    case 'd': which[0] = 0, kinds[0] = RK_DELETE, *n = 1; return 0;
    case 't':
    case 'm':
        snprintf(err, errlen, "the \"op\" field is \"%c\" (%s), which is not a row change eddy can apply", o, o == 't' ? "truncate" : "message");
        return -1;
    default:
        snprintf(err, errlen, "the \"op\" field is \"%.*s%s\", expected \"c\", \"r\", \"u\" or \"d\"", (int)(oplen > 20 ? 20 : oplen),
                 op ? op : "", oplen > 20 ? "…" : "");
        return -1;
    }
}

/* Decodes the row image v ("before" / "after") into row. */
static int image(DbzDecoder *d, Span v, const char *what, const char *op, Value *row, Arena *arena, char *err, size_t errlen)
{
    if (!v.s || span_is(v, "null")) return missing_image(what, op, err, errlen);
    if (*v.s != '{') {
        snprintf(err, errlen, "the \"%s\" field is not a JSON object", what);
        return -1;
    }
    char jerr[400];
    if (json_decode(d->json, v.s, v.n, row, arena, jerr, sizeof jerr)) {
        snprintf(err, errlen, "\"%s\": %s", what, jerr);
        return -1;
    }
    return 0;
}

int dbz_decode(DbzDecoder *d, const char *buf, size_t len, Value *rows[2], int kinds[2], int *n, Arena *arena, char *err,
               size_t errlen)
{
    *n = 0;
    static const char *const env[] = {"payload"}, *const fields[] = {"op", "before", "after"};
    Span f[3];
    if (d->schema_include) {
        Span pl;
        if (object_fields(buf, len, env, &pl, 1, err, errlen)) return -1;
        if (!pl.s) {
            snprintf(err, errlen, "no \"payload\" field ('debezium-json.schema-include' is 'true')");
            return -1;
        }
        if (span_is(pl, "null")) return 0;
        buf = pl.s;
        len = pl.n;
    }
    if (object_fields(buf, len, fields, f, 3, err, errlen)) return -1;
    Span op = f[0];
    if (!op.s || op.n != 3 || op.s[0] != '"' || op.s[2] != '"') {
        if (!op.s && d->schema_include == false) {
            /* {"schema": …, "payload": …} read without the option */
            static const char *const sch[] = {"schema", "payload"};
            Span s[2];
            char e2[64];
            if (object_fields(buf, len, sch, s, 2, e2, sizeof e2) == 0 && s[0].s && s[1].s) {
                snprintf(err, errlen, "the event has a \"schema\" envelope: set 'debezium-json.schema-include' = 'true'");
                return -1;
            }
        }
        snprintf(err, errlen, "the \"op\" field is %s%.*s%s, expected \"c\", \"r\", \"u\" or \"d\"", op.s ? "" : "missing",
                 op.s ? (int)(op.n > 20 ? 20 : op.n) : 0, op.s ? op.s : "", op.s && op.n > 20 ? "…" : "");
        return -1;
    }
    char o[2] = {op.s[1], 0};
    int which[2], nc;
    if (op_changes(o, 1, which, kinds, &nc, err, errlen)) return -1;
    for (int k = 0; k < nc; k++)
        if (image(d, f[1 + which[k]], which[k] ? "after" : "before", o, rows[k], arena, err, errlen)) return -1;
    *n = nc;
    return 0;
}

int dbz_decode_avro(DbzDecoder *d, struct CavroEnvelope *env, const char *body, size_t len, Value *rows[2], int kinds[2], int *n,
                    Arena *arena, char *err, size_t errlen)
{
    *n = 0;
    bool hb, ha;
    const char *op;
    size_t oplen;
    /* the images land where a 'u' wants them: before in the first row, after in the second */
    if (cavro_envelope_decode(env, body, len, rows[0], rows[1], &hb, &ha, &op, &oplen, arena, err, errlen)) return -1;
    if (!op) return snprintf(err, errlen, "the event has no \"op\""), -1;
    int which[2], nc;
    if (op_changes(op, oplen, which, kinds, &nc, err, errlen)) return -1;
    char o[2] = {op[0], 0};
    for (int k = 0; k < nc; k++)
        if (!(which[k] ? ha : hb)) return missing_image(which[k] ? "after" : "before", o, err, errlen);
    if (nc == 1 && which[0] == 1)   /* +I after: into the first row */
        for (int i = 0; i < d->nslots; i++) rows[0][d->slots[i]] = rows[1][d->slots[i]];
    *n = nc;
    return 0;
}
