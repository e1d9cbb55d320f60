/*
 * registry_server.c — the development Schema Registry that `eddy broker`
 * serves next to its Kafka cluster (registry.h).  The only file that
 * includes microhttpd.h.
 *
 * The REST subset Confluent's clients use (registry.h lists it), with
 * Confluent's status codes and error bodies ({"error_code": 40401,
 * "message": …}), on 127.0.0.1 and a port the system picks.  Schemas get
 * global ids from 1; the same schema (compared as compact JSON with sorted
 * keys) registered again, under any subject, gets its id again.  Only Avro
 * schemas; references are not supported.  Compatibility checks use
 * codec_avro.c (avro-c's resolution plus field defaults).
 *
 * State lives in memory behind one mutex (libmicrohttpd's thread runs the
 * handlers); with a state file every change is also appended to it as one
 * JSON line and replayed at start.  This is a tool for development and
 * tests: no authentication, no modes, no soft-deleted versions.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "registry.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "codec_avro.h"
#include "htab.h"
#include "strbuf.h"

#define MAX_BODY (8 * 1024 * 1024)   /* largest request body accepted */
/* Bounds on what the development registry keeps (a registry in memory must
 * not grow without limit on a client's say-so): */
#define MAX_SCHEMA_BYTES (1024 * 1024)          /* one schema's text */
#define MAX_SCHEMAS 10000                       /* distinct schemas */
#define MAX_SCHEMA_TOTAL (64L * 1024 * 1024)    /* all schemas' text together */
#define MAX_SUBJECT_BYTES 255                   /* a subject name */
#define MAX_SUBJECTS 100000                     /* subjects, live or deleted */
#define STR_(x) #x
#define XSTR(x) STR_(x)

typedef struct SchemaRec {
    int32_t id;           /* global id */
    char   *text;         /* as first registered */
    char   *canon;        /* compact JSON with sorted keys: what "the same schema" means */
} SchemaRec;

typedef struct Subject {
    char    *name;        /* subject */
    int32_t *ids;         /* schema id of version 1, 2, … (0 = deleted) */
    int      n, cap;      /* versions */
    char    *compat;      /* its compatibility level, or NULL = the global one */
    bool     deleted;     /* DELETE /subjects/{s} */
} Subject;

struct RegistryServer {
    struct MHD_Daemon *d; /* the HTTP server */
    pthread_mutex_t mu;   /* guards everything below */
    SchemaRec *schemas;   /* by id - 1 */
    int        nschemas, capschemas;
    Subject   *subjects;  /* in creation order */
    int        nsubjects, capsubjects;
    char       compat[32];/* global compatibility level */
    FILE      *log;       /* state file, or NULL */
    bool       replaying; /* loading the state file: do not append */
    char       url[64];   /* http://127.0.0.1:PORT */
    long       schema_bytes; /* text of all schemas, for MAX_SCHEMA_TOTAL */
    long       id_lookups;   /* GET /schemas/ids/… served (registry_server_id_lookups) */
    Htab       by_name;   /* subject name → its Ix (index into subjects) */
    Htab       by_canon;  /* canonical schema text → its Ix (index into schemas) */
};

/* An index entry: where a subject or schema is, and its key (the name or
 * canonical text it owns; arrays move as they grow, those strings do not).
 * Replaying a state file of 10,000 schemas scanned both arrays per line. */
typedef struct Ix {
    const char *key;      /* the subject's name or the schema's canon */
    int         i;        /* its index */
} Ix;

static const void *ix_key(const void *entry, size_t *len)
{
    const Ix *x = entry;
    *len = strlen(x->key);
    return x->key;
}

static int ix_find(const Htab *t, const char *key)
{
    size_t n = strlen(key);
    const Ix *x = htab_find(t, key, n, htab_hash(key, n));
    return x ? x->i : -1;
}

static void ix_add(Htab *t, const char *key, int i)
{
    Ix *x = malloc(sizeof *x);
    if (!x) abort();
    x->key = key;
    x->i = i;
    htab_insert(t, x, htab_hash(key, strlen(key)));
}

static void ix_free(Htab *t)
{
    HtabIter it;
    htab_iter_init(t, &it);
    for (void *x; (x = htab_iter_next(t, &it));) free(x);
    htab_free(t);
}

/* Is s[0..n) well-formed UTF-8 without control characters (a subject name
 * is written to JSON, the state file and log lines)? */
static bool name_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        int k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (k < 0 || (k == 0 && c < 0x20) || c == 0x7F || end - p <= k) return false;
        unsigned cp = k == 0 ? c : k == 1 ? c & 0x1F : k == 2 ? c & 0x0F : c & 0x07;
        for (int i = 1; i <= k; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        /* no overlong forms, surrogates or code points past U+10FFFF */
        if ((k == 1 && cp < 0x80) || (k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        p += k + 1;
    }
    return true;
}

/* Why a new subject cannot be made (a name that is not 1 to 255 bytes of
 * UTF-8 without control characters, or too many subjects), or NULL. */
static const char *new_subject_refused(const RegistryServer *s, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > MAX_SUBJECT_BYTES || !name_ok(name, n))
        return "Invalid subject name: it must be 1 to " XSTR(MAX_SUBJECT_BYTES) " bytes of UTF-8 without control characters";
    if (s->nsubjects >= MAX_SUBJECTS) return "Too many subjects: the development registry keeps at most " XSTR(MAX_SUBJECTS);
    return NULL;
}

/* A request being received. */
typedef struct Conn {
    StrBuf body;          /* its body so far */
    bool   too_big;       /* more than MAX_BODY */
} Conn;

/* ---- state -------------------------------------------------------------------------- */

static char *canon_of(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!j) return NULL;
    char *c = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(j);
    return c;
}

static Subject *find_subject(RegistryServer *s, const char *name, bool live_only)
{
    int i = ix_find(&s->by_name, name);
    if (i < 0) return NULL;
    return live_only && s->subjects[i].deleted ? NULL : &s->subjects[i];
}

static const SchemaRec *schema_by_id(RegistryServer *s, int64_t id)
{
    return id >= 1 && id <= s->nschemas ? &s->schemas[id - 1] : NULL;
}

/* The id of text (registering it globally if new). */
static int32_t intern_schema(RegistryServer *s, const char *text, const char *canon)
{
    int known = ix_find(&s->by_canon, canon);
    if (known >= 0) return s->schemas[known].id;
    if (s->nschemas == s->capschemas) {
        s->capschemas = s->capschemas ? s->capschemas * 2 : 16;
        s->schemas = realloc(s->schemas, sizeof *s->schemas * (size_t)s->capschemas);
        if (!s->schemas) abort();
    }
    SchemaRec *r = &s->schemas[s->nschemas++];
    r->id = s->nschemas;
    r->text = strdup(text);
    r->canon = strdup(canon);
    ix_add(&s->by_canon, r->canon, s->nschemas - 1);
    return r->id;
}

static Subject *add_subject(RegistryServer *s, const char *name)
{
    Subject *sub = find_subject(s, name, false);
    if (sub) {
        if (sub->deleted) {   /* a deleted subject starts again (versions keep counting) */
            sub->deleted = false;
            for (int i = 0; i < sub->n; i++) sub->ids[i] = 0;
        }
        return sub;
    }
    if (s->nsubjects == s->capsubjects) {
        s->capsubjects = s->capsubjects ? s->capsubjects * 2 : 16;
        s->subjects = realloc(s->subjects, sizeof *s->subjects * (size_t)s->capsubjects);
        if (!s->subjects) abort();
    }
    sub = &s->subjects[s->nsubjects++];
    memset(sub, 0, sizeof *sub);
    sub->name = strdup(name);
    ix_add(&s->by_name, sub->name, s->nsubjects - 1);
    return sub;
}

/* Version number (1-based) of schema id in the subject, or 0. */
static int version_of(const Subject *sub, int32_t id)
{
    for (int i = 0; i < sub->n; i++)
        if (sub->ids[i] == id) return i + 1;
    return 0;
}

/* The latest live version (1-based), or 0. */
static int latest_version(const Subject *sub)
{
    for (int i = sub->n - 1; i >= 0; i--)
        if (sub->ids[i]) return i + 1;
    return 0;
}

static void append_version(Subject *sub, int32_t id)
{
    if (sub->n == sub->cap) {
        sub->cap = sub->cap ? sub->cap * 2 : 4;
        sub->ids = realloc(sub->ids, sizeof *sub->ids * (size_t)sub->cap);
        if (!sub->ids) abort();
    }
    sub->ids[sub->n++] = id;
}

static void log_change(RegistryServer *s, json_t *rec)
{
    if (s->log && !s->replaying) {
        char *line = json_dumps(rec, JSON_COMPACT);
        fprintf(s->log, "%s\n", line);
        fflush(s->log);
        free(line);
    }
    json_decref(rec);
}

static const char *level_of(RegistryServer *s, const Subject *sub)
{
    return sub && sub->compat ? sub->compat : s->compat;
}

static bool valid_level(const char *l)
{
    static const char *const levels[] = {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(l, levels[i]) == 0) return true;
    return false;
}

/* May `text` join the subject under its compatibility level?  0, or -1 with why. */
static int check_compat(RegistryServer *s, const Subject *sub, const char *text, const char *level, int only_version, char *why, size_t n)
{
    if (strcmp(level, "NONE") == 0 || !sub) return 0;
    bool backward = strncmp(level, "BACKWARD", 8) == 0 || strncmp(level, "FULL", 4) == 0;
    bool forward = strncmp(level, "FORWARD", 7) == 0 || strncmp(level, "FULL", 4) == 0;
    bool transitive = strstr(level, "TRANSITIVE") != NULL;
    int last = latest_version(sub);
    for (int v = last; v >= 1; v--) {
        if (only_version && v != only_version) continue;
        if (!sub->ids[v - 1]) continue;
        const SchemaRec *old = schema_by_id(s, sub->ids[v - 1]);
        char e[300];
        if (backward && cavro_schema_compatible(old->text, text, e, sizeof e)) {
            snprintf(why, n, "Schema being registered is incompatible with an earlier schema for subject \"%s\" (version %d, %s): %s", sub->name, v, level, e);
            return -1;
        }
        if (forward && cavro_schema_compatible(text, old->text, e, sizeof e)) {
            snprintf(why, n, "Schema being registered is incompatible with an earlier schema for subject \"%s\" (version %d, %s): %s", sub->name, v, level, e);
            return -1;
        }
        if (!transitive && !only_version) break;
    }
    return 0;
}

/* Registers text under subject.  HTTP status; *id on success, else why. */
static int do_register(RegistryServer *s, const char *subject, const char *text, int32_t *id, int *code, char *why, size_t n)
{
    char err[400];
    size_t tn = strlen(text);
    const char *refused = find_subject(s, subject, false) ? NULL : new_subject_refused(s, subject);
    if (refused) {
        *code = 42204;
        snprintf(why, n, "%s", refused);
        return 422;
    }
    if (tn > MAX_SCHEMA_BYTES) {
        *code = 42201;
        snprintf(why, n, "Invalid schema: %zu bytes, more than the development registry's limit of %d", tn, MAX_SCHEMA_BYTES);
        return 422;
    }
    if (cavro_schema_check(text, strlen(text), err, sizeof err)) {
        *code = 42201;
        snprintf(why, n, "Invalid schema: %s", err);
        return 422;
    }
    char *canon = canon_of(text);
    if (!canon) {
        *code = 42201;
        snprintf(why, n, "Invalid schema: not JSON");
        return 422;
    }
    Subject *sub = find_subject(s, subject, true);
    /* Already a version of the subject: its id, nothing changes. */
    for (int i = 0; sub && i < sub->n; i++) {
        const SchemaRec *r = schema_by_id(s, sub->ids[i]);
        if (r && strcmp(r->canon, canon) == 0) {
            *id = r->id;
            free(canon);
            return 200;
        }
    }
    if (!s->replaying && check_compat(s, sub, text, level_of(s, sub), 0, why, n)) {
        free(canon);
        *code = 409;
        return 409;
    }
    bool known = ix_find(&s->by_canon, canon) >= 0;
    if (!known && (s->nschemas >= MAX_SCHEMAS || s->schema_bytes + (long)tn > MAX_SCHEMA_TOTAL)) {
        free(canon);
        *code = 50001;
        snprintf(why, n, "The development registry holds %d schemas (%ld bytes), its limit (%d schemas, %ld bytes)", s->nschemas,
                 s->schema_bytes, MAX_SCHEMAS, MAX_SCHEMA_TOTAL);
        return 507;
    }
    if (!known) s->schema_bytes += (long)tn;
    *id = intern_schema(s, text, canon);
    free(canon);
    sub = add_subject(s, subject);
    append_version(sub, *id);
    json_t *rec = json_pack("{s:s, s:s}", "subject", subject, "schema", text);
    log_change(s, rec);
    return 200;
}

/* ---- HTTP ------------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/vnd.schemaregistry.v1+json");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, int status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    enum MHD_Result ret = reply(c, status, text ? text : "{}");
    free(text);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, int status, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result reply_error(struct MHD_Connection *c, int status, int code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:i, s:s}", "error_code", code, "message", msg);
    if (!j) j = json_pack("{s:i, s:s}", "error_code", code, "message", "(the message names something that is not UTF-8)");
    return reply_json(c, status, j);
}

/* The path split at '/': up to 8 segments, URL-decoded in place. */
static int split_path(char *path, char **seg, int max)
{
    int n = 0;
    char *save = NULL;   /* strtok_r: requests are served on several threads */
    for (char *p = strtok_r(path, "/", &save); p && n < max; p = strtok_r(NULL, "/", &save)) {
        MHD_http_unescape(p);
        seg[n++] = p;
    }
    return n;
}

/* A version reference: a number ≥ 1, 'latest' or -1.  0 when invalid. */
static int parse_version(const Subject *sub, const char *v)
{
    if (strcmp(v, "latest") == 0 || strcmp(v, "-1") == 0) return latest_version(sub);
    char *end;
    long n = strtol(v, &end, 10);
    return *end || n < 1 || n > 1000000 ? -1 : (int)n;
}

static enum MHD_Result subject_version_reply(struct MHD_Connection *c, RegistryServer *s, const Subject *sub, int v, bool schema_only)
{
    const SchemaRec *r = schema_by_id(s, sub->ids[v - 1]);
    if (schema_only) return reply(c, 200, r->text);
    return reply_json(c, 200, json_pack("{s:s, s:i, s:i, s:s}", "subject", sub->name, "version", v, "id", (int)r->id, "schema", r->text));
}

/* The body's JSON object, or NULL after replying 422/400. */
static json_t *body_json(struct MHD_Connection *c, Conn *cn, enum MHD_Result *ret)
{
    json_error_t je;
    json_t *j = json_loadb(cn->body.s ? cn->body.s : "", cn->body.len, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        *ret = reply_error(c, 422, 42201, "Invalid request body: %s", j ? "not a JSON object" : je.text);
        return NULL;
    }
    return j;
}

/* {"schema": "...", "schemaType": "AVRO"} → the schema text, or NULL after replying. */
static const char *body_schema(struct MHD_Connection *c, json_t *j, enum MHD_Result *ret)
{
    const char *text = json_string_value(json_object_get(j, "schema"));
    const char *type = json_string_value(json_object_get(j, "schemaType"));
    if (type && strcmp(type, "AVRO") != 0) {
        *ret = reply_error(c, 422, 42201, "Invalid schema: this development registry only knows AVRO, not %s", type);
        return NULL;
    }
    if (json_array_size(json_object_get(j, "references"))) {
        *ret = reply_error(c, 422, 42201, "Invalid schema: schema references are not supported by this development registry");
        return NULL;
    }
    if (!text) *ret = reply_error(c, 422, 42201, "Invalid schema: the body has no \"schema\"");
    return text;
}

/* The request body's schema text (owned by *j, which the caller releases
 * with json_decref); NULL with the reply sent in *ret when there is none. */
static const char *request_schema(struct MHD_Connection *c, Conn *cn, json_t **j, enum MHD_Result *ret)
{
    *j = body_json(c, cn, ret);
    if (!*j) return NULL;
    const char *text = body_schema(c, *j, ret);
    if (!text) json_decref(*j);
    return text;
}

static enum MHD_Result route(RegistryServer *s, struct MHD_Connection *c, const char *method, const char *url, Conn *cn)
{
    char path[2048];
    snprintf(path, sizeof path, "%s", url);
    char *seg[8];
    int n = split_path(path, seg, 8);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    bool put = strcmp(method, "PUT") == 0, del = strcmp(method, "DELETE") == 0;
    enum MHD_Result ret = MHD_YES;
    char why[1024];

    if (n == 0) return get ? reply(c, 200, "{}") : reply_error(c, 404, 404, "HTTP 404 Not Found");
    if (n == 2 && get && strcmp(seg[0], "schemas") == 0 && strcmp(seg[1], "types") == 0) return reply(c, 200, "[\"AVRO\"]");
    if (strcmp(seg[0], "schemas") == 0 && n >= 3 && n <= 4 && get && strcmp(seg[1], "ids") == 0) {
        s->id_lookups++;
        char *end;
        long id = strtol(seg[2], &end, 10);
        const SchemaRec *r = *end ? NULL : schema_by_id(s, id);
        if (!r) return reply_error(c, 404, 40403, "Schema %s not found", seg[2]);
        if (n == 4 && strcmp(seg[3], "schema") == 0) return reply(c, 200, r->text);
        if (n == 4 && strcmp(seg[3], "subjects") == 0) {
            json_t *a = json_array();
            for (int i = 0; i < s->nsubjects; i++)
                if (!s->subjects[i].deleted && version_of(&s->subjects[i], r->id)) json_array_append_new(a, json_string(s->subjects[i].name));
            return reply_json(c, 200, a);
        }
        if (n == 4) return reply_error(c, 404, 404, "HTTP 404 Not Found");
        return reply_json(c, 200, json_pack("{s:s}", "schema", r->text));
    }
    if (strcmp(seg[0], "subjects") == 0) {
        if (n == 1 && get) {
            json_t *a = json_array();
            for (int i = 0; i < s->nsubjects; i++)
                if (!s->subjects[i].deleted) json_array_append_new(a, json_string(s->subjects[i].name));
            return reply_json(c, 200, a);
        }
        if (n < 2) return reply_error(c, 405, 405, "HTTP 405 Method Not Allowed");
        const char *name = seg[1];
        Subject *sub = find_subject(s, name, true);
        if (n == 3 && post && strcmp(seg[2], "versions") == 0) {
            json_t *j;
            const char *text = request_schema(c, cn, &j, &ret);
            if (!text) return ret;
            int32_t id = 0;
            int code = 0;
            int status = do_register(s, name, text, &id, &code, why, sizeof why);
            json_decref(j);
            if (status != 200) return reply_error(c, status, code, "%s", why);
            return reply_json(c, 200, json_pack("{s:i}", "id", (int)id));
        }
        if (n == 2 && post) {   /* is this schema registered under the subject? */
            if (!sub) return reply_error(c, 404, 40401, "Subject '%s' not found.", name);
            json_t *j = body_json(c, cn, &ret);
            if (!j) return ret;
            const char *text = body_schema(c, j, &ret);
            char *canon = text ? canon_of(text) : NULL;
            for (int i = 0; canon && i < sub->n; i++) {
                const SchemaRec *r = schema_by_id(s, sub->ids[i]);
                if (r && strcmp(r->canon, canon) == 0) {
                    free(canon);
                    json_decref(j);
                    return subject_version_reply(c, s, sub, i + 1, false);
                }
            }
            if (text && !canon) ret = reply_error(c, 422, 42201, "Invalid schema: not JSON");
            else if (text) ret = reply_error(c, 404, 40403, "Schema not found");
            free(canon);
            json_decref(j);
            return ret;
        }
        if (n == 2 && del) {
            if (!sub) return reply_error(c, 404, 40401, "Subject '%s' not found.", name);
            json_t *a = json_array();
            for (int i = 0; i < sub->n; i++)
                if (sub->ids[i]) json_array_append_new(a, json_integer(i + 1));
            sub->deleted = true;
            log_change(s, json_pack("{s:s}", "delete", name));
            return reply_json(c, 200, a);
        }
        if (n == 3 && get && strcmp(seg[2], "versions") == 0) {
            if (!sub) return reply_error(c, 404, 40401, "Subject '%s' not found.", name);
            json_t *a = json_array();
            for (int i = 0; i < sub->n; i++)
                if (sub->ids[i]) json_array_append_new(a, json_integer(i + 1));
            return reply_json(c, 200, a);
        }
        if ((n == 4 || n == 5) && get && strcmp(seg[2], "versions") == 0) {
            if (!sub) return reply_error(c, 404, 40401, "Subject '%s' not found.", name);
            int v = parse_version(sub, seg[3]);
            if (v < 0) return reply_error(c, 422, 42202, "The specified version '%s' is not a valid version id.", seg[3]);
            if (v == 0 || v > sub->n || !sub->ids[v - 1]) return reply_error(c, 404, 40402, "Version %s not found.", seg[3]);
            if (n == 5 && strcmp(seg[4], "schema") != 0) return reply_error(c, 404, 404, "HTTP 404 Not Found");
            return subject_version_reply(c, s, sub, v, n == 5);
        }
        return reply_error(c, 405, 405, "HTTP 405 Method Not Allowed");
    }
    if (strcmp(seg[0], "config") == 0 && n <= 2) {
        Subject *sub = n == 2 ? find_subject(s, seg[1], true) : NULL;
        if (get) {
            if (n == 2 && (!sub || !sub->compat)) {
                if (!sub) return reply_error(c, 404, 40401, "Subject '%s' not found.", seg[1]);
                return reply_error(c, 404, 40408, "Subject '%s' does not have subject-level compatibility configured", seg[1]);
            }
            return reply_json(c, 200, json_pack("{s:s}", "compatibilityLevel", n == 2 ? sub->compat : s->compat));
        }
        if (put) {
            json_t *j = body_json(c, cn, &ret);
            if (!j) return ret;
            const char *level = json_string_value(json_object_get(j, "compatibility"));
            if (!level || !valid_level(level)) {
                json_decref(j);
                return reply_error(c, 422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
            }
            const char *refused = n == 2 && !find_subject(s, seg[1], false) ? new_subject_refused(s, seg[1]) : NULL;
            if (refused) {
                json_decref(j);
                return reply_error(c, 422, 42204, "%s", refused);
            }
            if (n == 2) {
                if (!sub) sub = add_subject(s, seg[1]);
                free(sub->compat);
                sub->compat = strdup(level);
            } else {
                snprintf(s->compat, sizeof s->compat, "%s", level);
            }
            log_change(s, n == 2 ? json_pack("{s:s, s:s}", "config", level, "subject", seg[1]) : json_pack("{s:s}", "config", level));
            ret = reply_json(c, 200, json_pack("{s:s}", "compatibility", level));
            json_decref(j);
            return ret;
        }
    }
    if (strcmp(seg[0], "compatibility") == 0 && n == 5 && post && strcmp(seg[1], "subjects") == 0 && strcmp(seg[3], "versions") == 0) {
        Subject *sub = find_subject(s, seg[2], true);
        if (!sub) return reply_error(c, 404, 40401, "Subject '%s' not found.", seg[2]);
        int v = parse_version(sub, seg[4]);
        if (v < 0) return reply_error(c, 422, 42202, "The specified version '%s' is not a valid version id.", seg[4]);
        if (v == 0 || v > sub->n || !sub->ids[v - 1]) return reply_error(c, 404, 40402, "Version %s not found.", seg[4]);
        json_t *j;
        const char *text = request_schema(c, cn, &j, &ret);
        if (!text) return ret;
        const char *level = level_of(s, sub);
        if (strcmp(level, "NONE") == 0) level = "BACKWARD";   /* asked explicitly: check against that version */
        bool ok = check_compat(s, sub, text, level, v, why, sizeof why) == 0;
        json_decref(j);
        return reply_json(c, 200, json_pack("{s:b}", "is_compatible", ok));
    }
    return reply_error(c, 404, 404, "HTTP 404 Not Found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    RegistryServer *s = cls;
    Conn *cn = *con_cls;
    if (!cn) {   /* first call: headers only */
        cn = calloc(1, sizeof *cn);
        if (!cn) return MHD_NO;
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size) {
        if (cn->body.len + *upload_size > MAX_BODY) cn->too_big = true;
        else sb_putn(&cn->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->too_big) return reply_error(c, 413, 413, "request body larger than %d bytes", MAX_BODY);
    pthread_mutex_lock(&s->mu);
    enum MHD_Result ret = route(s, c, method, url, cn);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    Conn *cn = *con_cls;
    if (!cn) return;
    sb_free(&cn->body);
    free(cn);
    *con_cls = NULL;
}

/* ---- start and stop ------------------------------------------------------------------ */

static int replay(RegistryServer *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;   /* a new file */
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    s->replaying = true;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        json_t *j = json_loadb(line, (size_t)len, 0, NULL);
        if (!j) {
            if (line[len - 1] != '\n') break;   /* a torn last line: the write was interrupted */
            snprintf(err, errlen, "%s:%d: not a JSON line", path, lineno);
            free(line);
            fclose(f);
            return -1;
        }
        const char *subject = json_string_value(json_object_get(j, "subject"));
        const char *schema = json_string_value(json_object_get(j, "schema"));
        const char *config = json_string_value(json_object_get(j, "config"));
        const char *del = json_string_value(json_object_get(j, "delete"));
        if (schema && subject) {
            int32_t id;
            int code;
            char why[600];
            do_register(s, subject, schema, &id, &code, why, sizeof why);   /* accepted once: no compatibility check */
        } else if (config && subject) {
            Subject *sub = add_subject(s, subject);
            free(sub->compat);
            sub->compat = strdup(config);
        } else if (config) {
            snprintf(s->compat, sizeof s->compat, "%s", config);
        } else if (del) {
            Subject *sub = find_subject(s, del, true);
            if (sub) sub->deleted = true;
        }
        json_decref(j);
    }
    s->replaying = false;
    free(line);
    fclose(f);
    return 0;
}

int registry_server_start(const char *path, RegistryServer **out, char *err, size_t errlen)
{
    return registry_server_listen(path, 0, out, err, errlen);
}

int registry_server_listen(const char *path, int port, RegistryServer **out, char *err, size_t errlen)
{
    *out = NULL;
    RegistryServer *s = calloc(1, sizeof *s);
    if (!s) abort();
    pthread_mutex_init(&s->mu, NULL);
    htab_init(&s->by_name, ix_key);
    htab_init(&s->by_canon, ix_key);
    snprintf(s->compat, sizeof s->compat, "BACKWARD");
    if (path) {
        if (replay(s, path, err, errlen)) {
            registry_server_free(s);
            return -1;
        }
        s->log = fopen(path, "a");
        if (!s->log) {
            snprintf(err, errlen, "schema registry state file %s: cannot open it for appending", path);
            registry_server_free(s);
            return -1;
        }
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                            MHD_OPTION_END);
    if (!s->d) {
        if (port) snprintf(err, errlen, "schema registry: cannot listen on 127.0.0.1:%d (in use?)", port);
        else snprintf(err, errlen, "schema registry: cannot listen on 127.0.0.1");
        registry_server_free(s);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_in bound;
    socklen_t blen = sizeof bound;
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&bound, &blen) != 0) {
        snprintf(err, errlen, "schema registry: cannot tell which port it listens on");
        registry_server_free(s);
        return -1;
    }
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", (int)ntohs(bound.sin_port));
    *out = s;
    return 0;
}

long registry_server_id_lookups(RegistryServer *s)
{
    pthread_mutex_lock(&s->mu);
    long n = s->id_lookups;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const char *registry_server_url(const RegistryServer *s) { return s->url; }

void registry_server_free(RegistryServer *s)
{
    if (!s) return;
    if (s->d) MHD_stop_daemon(s->d);
    if (s->log) fclose(s->log);
    for (int i = 0; i < s->nschemas; i++) {
        free(s->schemas[i].text);
        free(s->schemas[i].canon);
    }
    for (int i = 0; i < s->nsubjects; i++) {
        free(s->subjects[i].name);
        free(s->subjects[i].ids);
        free(s->subjects[i].compat);
    }
    free(s->schemas);
    free(s->subjects);
    ix_free(&s->by_name);
    ix_free(&s->by_canon);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
