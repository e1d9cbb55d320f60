/*
 * registry.c — eddy's Schema Registry client (registry.h), on libcurl.
 * The only file that includes curl/curl.h.
 *
 * One easy handle per Registry, so consecutive requests reuse the
 * connection.  A request that fails to connect or gets a 5xx is retried
 * twice (after 100 ms and 500 ms) before it counts as REG_ERROR; 404 is an
 * answer (REG_NOT_FOUND), never retried.  Responses are small JSON objects,
 * read with eddy's own JSON decoder (codec.h).
 *
 * Also here: the registry's catalog provider (tables derived from
 * `<topic>-value`) and eddy_engine_set_registry, which installs it.
 */
#include "registry.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "codec.h"
#include "codec_avro.h"
#include "eddy.h"
#include "strbuf.h"

typedef struct IdEntry {
    int32_t id;           /* schema id */
    char   *schema;       /* its text, or NULL when the registry does not know the id */
} IdEntry;

typedef struct RegEntry {
    char   *subject;      /* subject registered under */
    char   *schema;       /* schema text */
    int32_t id;           /* the id it got */
} RegEntry;

struct Registry {
    char     *url;        /* base URL without a trailing '/' */
    CURL     *curl;       /* the connection */
    StrBuf    body;       /* the last response */
    long      status;     /* its HTTP status */
    IdEntry  *ids;        /* schemas by id */
    int       nids, capids;
    RegEntry *regs;       /* what this handle registered */
    int       nregs, capregs;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

Registry *registry_new(const char *url, char *err, size_t errlen)
{
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        str_errf(err, errlen, "schema registry URL '%s' is not an http:// or https:// URL", url ? url : "");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    Registry *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->url = str_dup(url);
    size_t n = strlen(r->url);
    while (n > 0 && r->url[n - 1] == '/') r->url[--n] = 0;
    r->curl = curl_easy_init();
    if (!r->curl) {
        str_errf(err, errlen, "libcurl could not start");
        registry_free(r);
        return NULL;
    }
    return r;
}

void registry_free(Registry *r)
{
    if (!r) return;
    if (r->curl) curl_easy_cleanup(r->curl);
    for (int i = 0; i < r->nids; i++) free(r->ids[i].schema);
    for (int i = 0; i < r->nregs; i++) {
        free(r->regs[i].subject);
        free(r->regs[i].schema);
    }
    free(r->ids);
    free(r->regs);
    sb_free(&r->body);
    free(r->url);
    free(r);
}

const char *registry_url(const Registry *r) { return r->url; }

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    sb_putn(ctx, p, size * n);
    return size * n;
}

/* One request: method, path (appended to the URL), JSON body or NULL.
 * 0 with r->status and r->body, or -1 when no HTTP answer came (or only
 * 5xx answers, after the retries). */
static int request(Registry *r, const char *method, const char *path, const char *body, char *err, size_t errlen)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    static const int backoff_ms[] = {100, 500};
    for (int attempt = 0;; attempt++) {
        CURL *c = r->curl;
        curl_easy_reset(c);
        r->body.len = 0;
        if (r->body.s) r->body.s[0] = 0;
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, "Accept: application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json");
        if (body) h = curl_slist_append(h, "Content-Type: application/vnd.schemaregistry.v1+json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(h);
        r->status = 0;
        if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (rc == CURLE_OK && r->status < 500) return 0;
        if (attempt == 2) {
            if (rc != CURLE_OK) str_errf(err, errlen, "schema registry %s: %s %s: %s", r->url, method, path, curl_easy_strerror(rc));
            else str_errf(err, errlen, "schema registry %s: %s %s: HTTP %ld %.200s", r->url, method, path, r->status, r->body.s ? r->body.s : "");
            return -1;
        }
        struct timespec ts = {0, (long)backoff_ms[attempt] * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The fields of a registry answer. */
typedef struct Answer {
    Value id, version, schema, error_code, message;
} Answer;

static int parse_answer(Registry *r, Answer *a, Arena *arena)
{
    static const JsonField fields[] = {
        {"id", {.kind = TY_BIGINT, .nullable = 1}, 0},         {"version", {.kind = TY_BIGINT, .nullable = 1}, 1},
        {"schema", {.kind = TY_STRING, .nullable = 1}, 2},     {"error_code", {.kind = TY_BIGINT, .nullable = 1}, 3},
        {"message", {.kind = TY_STRING, .nullable = 1}, 4},
    };
    Value row[5];
    char err[200];
    JsonDecoder *d = json_decoder_new(fields, 5);
    int rc = d ? json_decode(d, r->body.s ? r->body.s : "", r->body.len, row, arena, err, sizeof err) : -1;
    json_decoder_free(d);
    if (rc) return -1;
    a->id = row[0];
    a->version = row[1];
    a->schema = row[2];
    a->error_code = row[3];
    a->message = row[4];
    return 0;
}

/* "HTTP 409 (error 409): message" from an error answer. */
static void answer_err(Registry *r, const char *what, char *err, size_t errlen)
{
    Arena a;
    arena_init(&a, 1024);
    Answer ans;
    if (parse_answer(r, &ans, &a) == 0 && !ans.message.null)
        str_errf(err, errlen, "schema registry %s: %s: %.*s (HTTP %ld, error %lld)", r->url, what, (int)ans.message.n, ans.message.s,
                r->status, ans.error_code.null ? 0LL : (long long)ans.error_code.i);
    else
        str_errf(err, errlen, "schema registry %s: %s: HTTP %ld %.200s", r->url, what, r->status, r->body.s ? r->body.s : "");
    arena_free(&a);
}

static char *escape(Registry *r, const char *s)
{
    char *e = curl_easy_escape(r->curl, s, 0);
    if (!e) abort();
    char *copy = str_dup(e);
    curl_free(e);
    return copy;
}

int registry_register(Registry *r, const char *subject, const char *schema, int32_t *id, char *err, size_t errlen)
{
    for (int i = 0; i < r->nregs; i++)
        if (strcmp(r->regs[i].subject, subject) == 0 && strcmp(r->regs[i].schema, schema) == 0) {
            *id = r->regs[i].id;
            return REG_OK;
        }
    StrBuf body = {0}, path = {0};
    sb_puts(&body, "{\"schema\":");
    sb_json_str(&body, schema);
    sb_putc(&body, '}');
    char *subj = escape(r, subject);
    sb_printf(&path, "/subjects/%s/versions", subj);
    free(subj);
    int rc = request(r, "POST", path.s, body.s, err, errlen);
    sb_free(&body);
    char what[300];
    snprintf(what, sizeof what, "registering a schema under subject '%s'", subject);
    sb_free(&path);
    if (rc) return REG_ERROR;
    if (r->status < 200 || r->status > 299) {
        answer_err(r, what, err, errlen);
        return REG_ERROR;
    }
    Arena a;
    arena_init(&a, 1024);
    Answer ans;
    if (parse_answer(r, &ans, &a) || ans.id.null) {
        str_errf(err, errlen, "schema registry %s: %s: unexpected answer %.200s", r->url, what, r->body.s ? r->body.s : "");
        arena_free(&a);
        return REG_ERROR;
    }
    *id = (int32_t)ans.id.i;
    arena_free(&a);
    if (r->nregs == r->capregs) {
        r->capregs = r->capregs ? r->capregs * 2 : 4;
        r->regs = realloc(r->regs, sizeof *r->regs * (size_t)r->capregs);
        if (!r->regs) abort();
    }
    r->regs[r->nregs++] = (RegEntry){str_dup(subject), str_dup(schema), *id};
    return REG_OK;
}

int registry_schema_by_id(Registry *r, int32_t id, const char **schema, char *err, size_t errlen)
{
    for (int i = 0; i < r->nids; i++)
        if (r->ids[i].id == id) {
            *schema = r->ids[i].schema;
            if (!*schema) str_errf(err, errlen, "schema id %d is not in the schema registry at %s", (int)id, r->url);
            return *schema ? REG_OK : REG_NOT_FOUND;
        }
    char path[64];
    snprintf(path, sizeof path, "/schemas/ids/%d", (int)id);
    if (request(r, "GET", path, NULL, err, errlen)) return REG_ERROR;
    char *text = NULL;
    if (r->status == 200) {
        Arena a;
        arena_init(&a, 1024);
        Answer ans;
        if (parse_answer(r, &ans, &a) || ans.schema.null) {
            str_errf(err, errlen, "schema registry %s: schema id %d: unexpected answer %.200s", r->url, (int)id, r->body.s ? r->body.s : "");
            arena_free(&a);
            return REG_ERROR;
        }
        text = malloc((size_t)ans.schema.n + 1);
        if (!text) abort();
        memcpy(text, ans.schema.s, (size_t)ans.schema.n);
        text[ans.schema.n] = 0;
        arena_free(&a);
    } else if (r->status != 404) {
        char what[64];
        snprintf(what, sizeof what, "schema id %d", (int)id);
        answer_err(r, what, err, errlen);
        return REG_ERROR;
    }
    if (r->nids == r->capids) {
        r->capids = r->capids ? r->capids * 2 : 8;
        r->ids = realloc(r->ids, sizeof *r->ids * (size_t)r->capids);
        if (!r->ids) abort();
    }
    r->ids[r->nids++] = (IdEntry){id, text};
    *schema = text;
    if (!text) {
        str_errf(err, errlen, "schema id %d is not in the schema registry at %s", (int)id, r->url);
        return REG_NOT_FOUND;
    }
    return REG_OK;
}

int registry_latest(Registry *r, const char *subject, int32_t *id, int32_t *version, char **schema, char *err, size_t errlen)
{
    StrBuf path = {0};
    char *subj = escape(r, subject);
    sb_printf(&path, "/subjects/%s/versions/latest", subj);
    free(subj);
    int rc = request(r, "GET", path.s, NULL, err, errlen);
    sb_free(&path);
    if (rc) return REG_ERROR;
    if (r->status == 404) {
        str_errf(err, errlen, "subject '%s' is not in the schema registry at %s", subject, r->url);
        return REG_NOT_FOUND;
    }
    char what[300];
    snprintf(what, sizeof what, "latest version of subject '%s'", subject);
    if (r->status != 200) {
        answer_err(r, what, err, errlen);
        return REG_ERROR;
    }
    Arena a;
    arena_init(&a, 1024);
    Answer ans;
    if (parse_answer(r, &ans, &a) || ans.schema.null || ans.id.null) {
        str_errf(err, errlen, "schema registry %s: %s: unexpected answer %.200s", r->url, what, r->body.s ? r->body.s : "");
        arena_free(&a);
        return REG_ERROR;
    }
    if (id) *id = (int32_t)ans.id.i;
    if (version) *version = ans.version.null ? 0 : (int32_t)ans.version.i;
    if (schema) {
        *schema = malloc((size_t)ans.schema.n + 1);
        if (!*schema) abort();
        memcpy(*schema, ans.schema.s, (size_t)ans.schema.n);
        (*schema)[ans.schema.n] = 0;
    }
    arena_free(&a);
    return REG_OK;
}

/* ---- tables from the registry ---------------------------------------------------- */

int registry_table_ddl(const char *name, const char *url, char **ddl, char *err, size_t errlen)
{
    *ddl = NULL;
    Registry *r = registry_new(url, err, errlen);
    if (!r) return -1;
    char subject[512];
    snprintf(subject, sizeof subject, "%s-value", name);
    char *schema = NULL;
    int32_t id = 0, version = 0;
    int rc = registry_latest(r, subject, &id, &version, &schema, err, errlen);
    registry_free(r);
    if (rc == REG_NOT_FOUND) return 1;
    if (rc) return -1;
    StrBuf cols = {0};
    char why[300];
    int n = cavro_schema_to_columns(schema, strlen(schema), &cols, why, sizeof why);
    free(schema);
    if (n <= 0) {
        if (n == 0) str_errf(err, errlen, "subject '%s' (id %d, version %d) has no field with an SQL type", subject, (int)id, (int)version);
        else str_errf(err, errlen, "subject '%s' (id %d, version %d): %s", subject, (int)id, (int)version, why);
        sb_free(&cols);
        return -1;
    }
    StrBuf b = {0};
    sb_puts(&b, "CREATE TABLE `");
    for (const char *p = name; *p; p++) sb_puts(&b, *p == '`' ? "``" : (char[]){*p, 0});
    sb_printf(&b, "` (%s) WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '", cols.s);
    for (const char *p = url; *p; p++) sb_puts(&b, *p == '\'' ? "''" : (char[]){*p, 0});
    sb_puts(&b, "')");
    sb_free(&cols);
    *ddl = sb_take(&b);
    return 0;
}

int eddy_engine_set_registry(eddy_engine *e, const char *url)
{
    if (url && *url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) return EDDY_EMISUSE;
    engine_set_provider(e, registry_table_ddl, url && *url ? url : NULL);
    return EDDY_OK;
}
