/*
 * format.c — the record-format dispatch of format.h, and the Confluent
 * wire format around Avro bodies.
 *
 * debezium-avro-confluent is read the same way, each writer id compiled
 * into an envelope (cavro_envelope_new) whose events codec_debezium.c
 * turns into row changes.
 *
 * avro-confluent reading keeps one compiled program per writer schema id
 * (the last one used is checked first: a topic usually has one writer).
 * An id the registry does not know, or a writer schema that does not
 * resolve against the table's columns, is remembered too, so a topic full
 * of such records costs one registry request, not one per record; those
 * records are malformed (error.mode decides).  A registry that cannot be
 * reached is not the record's fault: REC_FATAL.
 */
#include "format.h"
#include "clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec_avro.h"
#include "codec_debezium.h"
#include "registry.h"

typedef struct WriterProg {
    int32_t       id;     /* writer schema id */
    CavroProgram *prog;   /* its program (avro-confluent), or NULL */
    CavroEnvelope *env;   /* its envelope (debezium-avro-confluent), or NULL */
    char         *why;    /* neither: the reason it cannot be read */
} WriterProg;

struct RecDecoder {
    Format        format; /* which one */
    JsonDecoder  *json;   /* json */
    int           raw_slot;/* raw: the one column's slot (-1 = not read) */
    CavroReader  *reader; /* avro, avro-confluent: the table's columns */
    CavroProgram *plain;  /* avro: the table's own schema */
    Registry     *reg;    /* avro-confluent */
    WriterProg   *progs;  /* avro-confluent: programs by writer id */
    int           nprogs, capprogs;
    int           last;   /* index of the last program used, -1 */
    int           nbad;   /* progs without a program (unknown or unreadable ids), at most BAD_IDS_MAX */
    int           streak; /* registry answers "no such id" in a row */
    int64_t       backoff_ms;   /* while streak ≥ BAD_STREAK: the wait between look-ups of new ids */
    int64_t       next_lookup;  /* … and when the next may be made (monotonic ms) */
    DbzDecoder   *dbz;    /* debezium-json, debezium-avro-confluent */
};

/* Records with ever-new unknown schema ids (garbage, or the wrong
 * registry) must not cost a registry request each nor a cache entry each:
 * at most BAD_IDS_MAX ids without a program are remembered (the oldest
 * forgotten first), and after BAD_STREAK "no such id" answers in a row new
 * ids are looked up at most once per backoff (100 ms doubling to 10 s;
 * a found schema ends it) — records with an id not looked up meanwhile are
 * malformed, saying so. */
enum { BAD_IDS_MAX = 1024, BAD_STREAK = 64 };
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000

struct RecEncoder {
    Format        format; /* which one */
    JsonOptions   jopts;  /* json: the 'json.*' options (zero: eddy's defaults) */
    JsonField    *json;   /* json: the columns */
    int           njson;  /* count */
    int           raw_slot;/* raw: the column's slot */
    CavroEncoder *avro;   /* avro, avro-confluent */
    Registry     *reg;    /* avro-confluent */
    char         *subject;/* avro-confluent: subject */
    int32_t       id;     /* avro-confluent: the registered id, -1 = not yet */
};

static int raw_slot(const JsonField *fields, int n, char *err, size_t errlen)
{
    if (n != 1 || (fields[0].type.kind != TY_STRING && fields[0].type.kind != TY_BYTES)) {
        snprintf(err, errlen, "format 'raw' needs exactly one STRING or BYTES column");
        return -2;
    }
    return fields[0].slot;
}

RecDecoder *recdec_new(const FormatSpec *fs, const JsonField *fields, int n, char *err, size_t errlen)
{
    RecDecoder *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->format = fs->format;
    d->last = -1;
    switch (fs->format) {
    case FMT_JSON:
        d->json = json_decoder_new(fields, n);
        if (!d->json) abort();
        if (fs->json) json_decoder_set_options(d->json, fs->json);
        return d;
    case FMT_RAW:
        if ((d->raw_slot = raw_slot(fields, n, err, errlen)) == -2) break;
        return d;
    case FMT_DEBEZIUM_JSON: d->dbz = dbz_decoder_new(fields, n, false); return d;
    case FMT_DEBEZIUM_AVRO_CONFLUENT:
        /* the row images are read by the Avro reader of the columns, through the registry */
        d->dbz = dbz_decoder_new(fields, n, false);
        if (!(d->reader = cavro_reader_new(fields, n, err, errlen))) break;
        if (!(d->reg = registry_new(fs->registry_url, err, errlen))) break;
        return d;
    case FMT_AVRO:
    case FMT_AVRO_CONFLUENT:
        if (!(d->reader = cavro_reader_new(fields, n, err, errlen))) break;
        if (fs->format == FMT_AVRO) {
            if (!(d->plain = cavro_program_new(d->reader, NULL, 0, err, errlen))) break;
            return d;
        }
        if (!(d->reg = registry_new(fs->registry_url, err, errlen))) break;
        return d;
    }
    recdec_free(d);
    return NULL;
}

void recdec_free(RecDecoder *d)
{
    if (!d) return;
    json_decoder_free(d->json);
    dbz_decoder_free(d->dbz);
    for (int i = 0; i < d->nprogs; i++) {
        cavro_program_free(d->progs[i].prog);
        cavro_envelope_free(d->progs[i].env);
        free(d->progs[i].why);
    }
    free(d->progs);
    cavro_program_free(d->plain);
    cavro_reader_free(d->reader);
    registry_free(d->reg);
    free(d);
}

/* The program (or envelope) for writer schema `id`: the last one, a known
 * one, or a new one from the registry.  NULL with REC_MALFORMED or
 * REC_FATAL in *rc. */
static WriterProg *writer_program(RecDecoder *d, int32_t id, int *rc, char *err, size_t errlen)
{
    int at = -1;
    if (d->last >= 0 && d->progs[d->last].id == id) at = d->last;
    for (int i = 0; i < d->nprogs && at < 0; i++)
        if (d->progs[i].id == id) at = i;
    if (at < 0) {
        const char *schema;
        char why[512];
        int64_t now = d->streak >= BAD_STREAK ? mono_ms() : 0;
        if (d->streak >= BAD_STREAK && now < d->next_lookup) {
            snprintf(err, errlen, "unknown schema id %d (not looked up: the schema registry at %s had none of the last %d new ids; "
                                  "it is asked again in %lld ms)", (int)id, registry_url(d->reg), d->streak,
                     (long long)(d->next_lookup - now));
            *rc = REC_MALFORMED;
            return NULL;
        }
        int r = registry_schema_by_id(d->reg, id, &schema, why, sizeof why);
        if (r == REG_ERROR) {
            snprintf(err, errlen, "%s", why);
            *rc = REC_FATAL;
            return NULL;
        }
        WriterProg wp = {id, NULL, NULL, NULL};
        if (r == REG_NOT_FOUND) {
            snprintf(why, sizeof why, "unknown schema id %d (the schema registry at %s has no such schema)", (int)id, registry_url(d->reg));
            wp.why = strdup(why);
            if (++d->streak >= BAD_STREAK) {
                d->backoff_ms = d->backoff_ms ? (d->backoff_ms * 2 < BACKOFF_MAX_MS ? d->backoff_ms * 2 : BACKOFF_MAX_MS)
                                              : BACKOFF_FIRST_MS;
                d->next_lookup = mono_ms() + d->backoff_ms;
            }
        } else {
            d->streak = 0;
            d->backoff_ms = 0;
            char cerr[400];
            if (d->format == FMT_DEBEZIUM_AVRO_CONFLUENT) wp.env = cavro_envelope_new(d->reader, schema, strlen(schema), cerr, sizeof cerr);
            else wp.prog = cavro_program_new(d->reader, schema, strlen(schema), cerr, sizeof cerr);
            if (!wp.prog && !wp.env) {
                snprintf(why, sizeof why, "schema id %d: %s", (int)id, cerr);
                wp.why = strdup(why);
            }
        }
        if (!wp.prog && !wp.env && d->nbad == BAD_IDS_MAX) {   /* forget the oldest id without a program */
            int old = 0;
            while (d->progs[old].prog || d->progs[old].env) old++;
            free(d->progs[old].why);
            memmove(&d->progs[old], &d->progs[old + 1], sizeof *d->progs * (size_t)(d->nprogs - old - 1));
            d->nprogs--;
            d->nbad--;
        }
        d->nbad += !wp.prog && !wp.env;
        if (d->nprogs == d->capprogs) {
            d->capprogs = d->capprogs ? d->capprogs * 2 : 4;
            d->progs = realloc(d->progs, sizeof *d->progs * (size_t)d->capprogs);
            if (!d->progs) abort();
        }
        at = d->nprogs++;
        d->progs[at] = wp;
    }
    d->last = at;
    if (!d->progs[at].prog && !d->progs[at].env) {
        snprintf(err, errlen, "%s", d->progs[at].why);
        *rc = REC_MALFORMED;
        return NULL;
    }
    return &d->progs[at];
}

/* The writer schema id of a Confluent-framed record (REC_OK), or why not. */
static int confluent_id(const char *buf, size_t len, int32_t *id, char *err, size_t errlen)
{
    if (len < 5) {
        snprintf(err, errlen, "%zu bytes are too few for the Confluent wire format (magic byte 0, 4-byte schema id, Avro body)", len);
        return REC_MALFORMED;
    }
    const unsigned char *u = (const unsigned char *)buf;
    if (u[0] != 0) {
        snprintf(err, errlen, "first byte is 0x%02x, not the magic byte 0 of the Confluent wire format%s", u[0],
                 u[0] == '{' ? " (the record looks like JSON)" : "");
        return REC_MALFORMED;
    }
    *id = (int32_t)((uint32_t)u[1] << 24 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 8 | u[4]);
    return REC_OK;
}

int recdec_decode(RecDecoder *d, const char *buf, size_t len, Value *row, Arena *arena, char *err, size_t errlen)
{
    switch (d->format) {
    case FMT_JSON:
        return json_decode(d->json, buf, len, row, arena, err, errlen) ? REC_MALFORMED : REC_OK;
    case FMT_RAW:
        if (d->raw_slot >= 0) row[d->raw_slot] = (Value){.s = buf, .n = (int32_t)len};
        return REC_OK;
    case FMT_AVRO:
        return cavro_decode(d->plain, buf, len, row, arena, err, errlen) ? REC_MALFORMED : REC_OK;
    case FMT_AVRO_CONFLUENT: {
        int32_t id;
        int rc = confluent_id(buf, len, &id, err, errlen);
        if (rc) return rc;
        WriterProg *wp = writer_program(d, id, &rc, err, errlen);
        if (!wp) return rc;
        char inner[400];
        if (cavro_decode(wp->prog, buf + 5, len - 5, row, arena, inner, sizeof inner)) {
            snprintf(err, errlen, "schema id %d: %s", (int)id, inner);
            return REC_MALFORMED;
        }
        return REC_OK;
    }
    case FMT_DEBEZIUM_JSON:
    case FMT_DEBEZIUM_AVRO_CONFLUENT:
        snprintf(err, errlen, "format '%s' is a changelog: read it with recdec_changes", format_name(d->format));
        return REC_FATAL;
    }
    return REC_OK;
}

int recdec_nulled(const RecDecoder *d, const char **why)
{
    *why = NULL;
    return d->format == FMT_JSON ? json_decode_nulled(d->json, why) : 0;
}

bool recdec_skips_malformed(const RecDecoder *d) { return d->format == FMT_JSON && json_decoder_ignores_errors(d->json); }

void recdec_set_envelope(RecDecoder *d, bool on)
{
    if (d->dbz) dbz_decoder_set_envelope(d->dbz, on);
}

int recdec_changes(RecDecoder *d, const char *buf, size_t len, Value *rows[2], int kinds[2], int *n, Arena *arena, char *err,
                   size_t errlen)
{
    if (d->format == FMT_DEBEZIUM_AVRO_CONFLUENT) {
        *n = 0;
        int32_t id;
        int rc = confluent_id(buf, len, &id, err, errlen);
        if (rc) return rc;
        WriterProg *wp = writer_program(d, id, &rc, err, errlen);
        if (!wp) return rc;
        char inner[400];
        if (dbz_decode_avro(d->dbz, wp->env, buf + 5, len - 5, rows, kinds, n, arena, inner, sizeof inner)) {
            snprintf(err, errlen, "schema id %d: %s", (int)id, inner);
            return REC_MALFORMED;
        }
        return REC_OK;
    }
    return dbz_decode(d->dbz, buf, len, rows, kinds, n, arena, err, errlen) ? REC_MALFORMED : REC_OK;
}

RecEncoder *recenc_new(const FormatSpec *fs, const JsonField *fields, int n, char *err, size_t errlen)
{
    RecEncoder *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->format = fs->format;
    e->id = -1;
    switch (fs->format) {
    case FMT_JSON:
        e->json = calloc((size_t)n + 1, sizeof *e->json);
        if (!e->json) abort();
        memcpy(e->json, fields, sizeof *fields * (size_t)n);
        e->njson = n;
        if (fs->json) e->jopts = *fs->json;
        return e;
    case FMT_RAW:
        if ((e->raw_slot = raw_slot(fields, n, err, errlen)) == -2) break;
        return e;
    case FMT_AVRO:
    case FMT_AVRO_CONFLUENT:
        if (!(e->avro = cavro_encoder_new(fields, n, fs->record_name, err, errlen))) break;
        if (fs->format == FMT_AVRO) return e;
        if (!(e->reg = registry_new(fs->registry_url, err, errlen))) break;
        e->subject = strdup(fs->subject ? fs->subject : "");
        return e;
    case FMT_DEBEZIUM_JSON:
    case FMT_DEBEZIUM_AVRO_CONFLUENT: snprintf(err, errlen, "format '%s' can be read, not written", format_name(fs->format)); break;
    }
    recenc_free(e);
    return NULL;
}

void recenc_free(RecEncoder *e)
{
    if (!e) return;
    free(e->json);
    cavro_encoder_free(e->avro);
    registry_free(e->reg);
    free(e->subject);
    free(e);
}

/* Registers the writer schema on first use.  A subject that already has a
 * schema keeps its record name: the table's columns are written under it,
 * so the registry's compatibility check compares fields, not names (Flink
 * would register its default 'org.apache.flink.avro.generated.record' and
 * be refused by a subject another producer created). */
static int register_writer(RecEncoder *e, char *err, size_t errlen)
{
    char *latest = NULL, name[512];
    int rc = registry_latest(e->reg, e->subject, NULL, NULL, &latest, err, errlen);
    if (rc == REG_ERROR) return -1;
    if (rc == REG_OK && cavro_schema_fullname(latest, name, sizeof name) == 0 && cavro_encoder_rename(e->avro, name, err, errlen)) {
        free(latest);
        return -1;
    }
    free(latest);
    if (registry_register(e->reg, e->subject, cavro_encoder_schema(e->avro), &e->id, err, errlen)) {
        e->id = -1;
        return -1;
    }
    return 0;
}

int recenc_encode(RecEncoder *e, const Value *row, StrBuf *out, char *err, size_t errlen)
{
    switch (e->format) {
    case FMT_JSON:
        json_encode_opts(out, e->json, e->njson, row, &e->jopts);
        return 0;
    case FMT_RAW: {
        const Value *v = &row[e->raw_slot];
        if (!v->null && v->n > 0) sb_putn(out, v->s, (size_t)v->n);
        else sb_putn(out, "", 0);
        return 0;
    }
    case FMT_AVRO:
        cavro_encode(e->avro, row, out);
        return 0;
    case FMT_AVRO_CONFLUENT: {
        if (e->id < 0 && register_writer(e, err, errlen)) return -1;
        unsigned char head[5] = {0, (unsigned char)(e->id >> 24), (unsigned char)(e->id >> 16), (unsigned char)(e->id >> 8),
                                 (unsigned char)e->id};
        sb_putn(out, (const char *)head, 5);
        cavro_encode(e->avro, row, out);
        return 0;
    }
    case FMT_DEBEZIUM_JSON:
    case FMT_DEBEZIUM_AVRO_CONFLUENT: break;   /* recenc_new refuses them */
    }
    return 0;
}
