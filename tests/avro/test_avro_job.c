/*
 * test_avro_job.c — jobs over Avro records, in memory (no broker), with
 * the development registry in-process: schema evolution (two writer
 * versions in one topic aggregated), every malformed case in both error
 * modes (fail names topic/partition/offset and the reason; skip counts),
 * a registry that cannot be reached (fails even in skip mode), sinks that
 * register <topic>-key / <topic>-value and write the wire format (decoded
 * back here), plain 'avro', and Avro keys with Flink's prefixed options.
 * ctest: avro/job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_avro.h"
#include "eddy.h"
#include "exec.h"
#include "format.h"
#include "registry.h"

/* ---- fixture: a registry, writer schemas, records ----------------------------------- */

typedef struct Out {
    char  *key;           /* emitted key bytes (copy) or NULL */
    size_t klen;
    char  *val;           /* emitted value bytes (copy) or NULL */
    size_t vlen;
    char   topic[64];
} Out;

typedef struct Fx {
    RegistryServer *srv;  /* the registry */
    const char     *url;  /* its URL */
    Registry       *reg;  /* a client */
    CavroEncoder   *v1, *v2; /* writer versions of orders-value */
    int32_t         id1, id2;
    CavroEncoder   *odd;  /* a writer whose 'region' is a long: cannot be read */
    int32_t         id_odd;
    Out             out[256]; /* records the sink emitted */
    int             nout;
    Arena           arena;
} Fx;

static Type ty(TypeKind k, bool nullable) { return type_make(k, nullable); }

/* v1: {order_id long, user_id long, amount int, region string} */
static const JsonField V1F[] = {
    {"order_id", {.kind = TY_BIGINT, .nullable = 0}, 0}, {"user_id", {.kind = TY_BIGINT, .nullable = 0}, 1},
    {"amount", {.kind = TY_INT, .nullable = 0}, 2},      {"region", {.kind = TY_STRING, .nullable = 0}, 3},
};
/* v2: user_id removed, amount double, channel added (nullable, default null) */
static const JsonField V2F[] = {
    {"order_id", {.kind = TY_BIGINT, .nullable = 0}, 0}, {"amount", {.kind = TY_DOUBLE, .nullable = 0}, 1},
    {"region", {.kind = TY_STRING, .nullable = 0}, 2},   {"channel", {.kind = TY_STRING, .nullable = 1}, 3},
};

static int setup(void **state)
{
    Fx *fx = calloc(1, sizeof *fx);
    char err[512];
    assert_int_equal(registry_server_start(NULL, &fx->srv, err, sizeof err), 0);
    fx->url = registry_server_url(fx->srv);
    fx->reg = registry_new(fx->url, err, sizeof err);
    fx->v1 = cavro_encoder_new(V1F, 4, "shop.Order", err, sizeof err);
    fx->v2 = cavro_encoder_new(V2F, 4, "shop.Order", err, sizeof err);
    assert_int_equal(registry_register(fx->reg, "orders-value", cavro_encoder_schema(fx->v1), &fx->id1, err, sizeof err), REG_OK);
    assert_int_equal(registry_register(fx->reg, "orders-value", cavro_encoder_schema(fx->v2), &fx->id2, err, sizeof err), REG_OK);
    JsonField oddf[] = {{"order_id", ty(TY_BIGINT, 0), 0}, {"region", ty(TY_BIGINT, 0), 1}};
    fx->odd = cavro_encoder_new(oddf, 2, "other.Thing", err, sizeof err);
    assert_int_equal(registry_register(fx->reg, "elsewhere-value", cavro_encoder_schema(fx->odd), &fx->id_odd, err, sizeof err), REG_OK);
    arena_init(&fx->arena, 4096);
    *state = fx;
    return 0;
}

static void clear_out(Fx *fx)
{
    for (int i = 0; i < fx->nout; i++) {
        free(fx->out[i].key);
        free(fx->out[i].val);
    }
    fx->nout = 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    clear_out(fx);
    cavro_encoder_free(fx->v1);
    cavro_encoder_free(fx->v2);
    cavro_encoder_free(fx->odd);
    registry_free(fx->reg);
    registry_server_free(fx->srv);
    arena_free(&fx->arena);
    free(fx);
    return 0;
}

/* Confluent framing around an Avro body of `enc`. */
static size_t frame(char *buf, int32_t id, const CavroEncoder *enc, const Value *row)
{
    StrBuf b = {0};
    cavro_encode(enc, row, &b);
    buf[0] = 0;
    buf[1] = (char)(id >> 24), buf[2] = (char)(id >> 16), buf[3] = (char)(id >> 8), buf[4] = (char)id;
    memcpy(buf + 5, b.s, b.len);
    size_t n = 5 + b.len;
    sb_free(&b);
    return n;
}

static size_t order_v1(Fx *fx, char *buf, int64_t id, int64_t user, int amount, const char *region)
{
    Value row[4] = {{.i = id}, {.i = user}, {.i = amount}, {.s = region, .n = (int32_t)strlen(region)}};
    return frame(buf, fx->id1, fx->v1, row);
}

static size_t order_v2(Fx *fx, char *buf, int64_t id, double amount, const char *region, const char *channel)
{
    Value row[4] = {{.i = id}, {.d = amount}, {.s = region, .n = (int32_t)strlen(region)},
                    channel ? (Value){.s = channel, .n = (int32_t)strlen(channel)} : (Value){.null = 1}};
    return frame(buf, fx->id2, fx->v2, row);
}

static int capture(void *ctx, const OutRecord *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    Fx *fx = ctx;
    assert_true(fx->nout < 256);
    Out *o = &fx->out[fx->nout++];
    snprintf(o->topic, sizeof o->topic, "%s", r->topic);
    o->key = r->key ? malloc(r->klen + 1) : NULL;
    if (o->key) memcpy(o->key, r->key, r->klen);
    o->klen = r->klen;
    o->val = r->val ? malloc(r->vlen + 1) : NULL;
    if (o->val) memcpy(o->val, r->val, r->vlen);
    o->vlen = r->vlen;
    return 0;
}

/* Compiles sql (with @URL@ replaced) and makes a job of its last plan. */
static Job *make_job(Fx *fx, const char *sql_tmpl, eddy_engine **ep, eddy_script **sp)
{
    char sql[4096];
    size_t o = 0;
    for (const char *p = sql_tmpl; *p && o + 64 < sizeof sql;) {
        if (strncmp(p, "@URL@", 5) == 0) {
            o += (size_t)snprintf(sql + o, sizeof sql - o, "%s", fx->url);
            p += 5;
        } else {
            sql[o++] = *p++;
        }
    }
    sql[o] = 0;
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    if (eddy_compile(e, sql, strlen(sql), "job.sql", &s)) fail_msg("%s", eddy_errtext(e));
    const Plan *plan = NULL;
    for (int i = 0; i < eddy_script_count(s); i++)
        if (eddy_script_plan(s, i)) plan = (const Plan *)eddy_script_plan(s, i);
    char err[512];
    Job *j = job_new(plan, err, sizeof err);
    if (!j) fail_msg("%s", err);
    j->out = (JobOutput){.ctx = fx, .emit = capture};
    *ep = e;
    *sp = s;
    return j;
}

static RawRecord rec(const char *topic, int part, int64_t off, const char *key, size_t klen, const char *val, size_t vlen)
{
    return (RawRecord){.topic = topic, .partition = part, .offset = off, .ts = 1000, .key = key, .klen = klen, .val = val, .vlen = vlen};
}

/* The sink's final upsert table, decoded back: region → {n, total, channels, users}. */
typedef struct Row {
    char    region[32];
    Value   v[5];
    bool    live;
} Row;

static int fold(Fx *fx, Row *rows, const char *topic)
{
    char err[512];
    JsonField f[] = {{"region", ty(TY_STRING, 0), 0}, {"n", ty(TY_BIGINT, 1), 1}, {"total", ty(TY_DOUBLE, 1), 2},
                     {"channels", ty(TY_BIGINT, 1), 3}, {"users", ty(TY_BIGINT, 1), 4}};
    FormatSpec fs = {FMT_AVRO_CONFLUENT, fx->url, NULL, NULL, NULL};
    RecDecoder *kd = recdec_new(&fs, f, 1, err, sizeof err), *vd = recdec_new(&fs, f, 5, err, sizeof err);
    assert_non_null(kd);
    int n = 0;
    for (int i = 0; i < fx->nout; i++) {
        if (strcmp(fx->out[i].topic, topic) != 0) continue;
        Value k[1];
        if (recdec_decode(kd, fx->out[i].key, fx->out[i].klen, k, &fx->arena, err, sizeof err)) fail_msg("key: %s", err);
        int at = -1;
        for (int r = 0; r < n; r++)
            if ((int)strlen(rows[r].region) == k[0].n && memcmp(rows[r].region, k[0].s, (size_t)k[0].n) == 0) at = r;
        if (at < 0) {
            at = n++;
            snprintf(rows[at].region, sizeof rows[at].region, "%.*s", k[0].n, k[0].s);
        }
        rows[at].live = fx->out[i].val != NULL;
        if (rows[at].live && recdec_decode(vd, fx->out[i].val, fx->out[i].vlen, rows[at].v, &fx->arena, err, sizeof err))
            fail_msg("value: %s", err);
    }
    recdec_free(kd);
    recdec_free(vd);
    return n;
}

static const Row *find_row(const Row *rows, int n, const char *region)
{
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].region, region) == 0) return &rows[i];
    fail_msg("no row for %s", region);
    return NULL;
}

static const char *EVOLUTION_SQL =
    "CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, channel STRING) "
    "WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '@URL@'%s);"
    "CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE, channels BIGINT, users BIGINT) "
    "WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '@URL@');"
    "INSERT INTO summary SELECT region, COUNT(*), SUM(amount), COUNT(channel), COUNT(user_id) FROM orders GROUP BY region;";

/* ---- schema evolution ----------------------------------------------------------------- */

static void test_evolution(void **state)
{
    Fx *fx = *state;
    clear_out(fx);
    char sql[2048];
    snprintf(sql, sizeof sql, EVOLUTION_SQL, "");
    eddy_engine *e;
    eddy_script *s;
    Job *j = make_job(fx, sql, &e, &s);
    char b[8][128];
    size_t n[8];
    n[0] = order_v1(fx, b[0], 1, 10, 5, "eu");
    n[1] = order_v2(fx, b[1], 2, 2.5, "eu", "web");
    n[2] = order_v1(fx, b[2], 3, 11, 7, "us");
    n[3] = order_v2(fx, b[3], 4, 0.25, "us", NULL);
    n[4] = order_v2(fx, b[4], 5, 100.0, "eu", "app");
    n[5] = order_v1(fx, b[5], 6, 12, -1, "eu");
    RawRecord r[6];
    for (int i = 0; i < 6; i++) r[i] = rec("orders", i % 2, 100 + i, NULL, 0, b[i], n[i]);
    assert_int_equal(job_push(j, 0, r, 6), 0);
    assert_int_equal(job_flush(j), 0);
    Row rows[8];
    int nrows = fold(fx, rows, "summary");
    assert_int_equal(nrows, 2);
    const Row *eu = find_row(rows, nrows, "eu"), *us = find_row(rows, nrows, "us");
    assert_int_equal(eu->v[1].i, 4);
    assert_true(eu->v[2].d == 106.5);      /* 5 + 2.5 + 100 - 1: int → double */
    assert_int_equal(eu->v[3].i, 2);       /* channel only in v2, NULL in v1 */
    assert_int_equal(eu->v[4].i, 2);       /* user_id only in v1, NULL in v2 */
    assert_int_equal(us->v[1].i, 2);
    assert_true(us->v[2].d == 7.25);
    assert_int_equal(us->v[3].i, 0);
    assert_int_equal(us->v[4].i, 1);
    /* the sink registered its subjects, and its key schema is the key column */
    int32_t id, version;
    char *text;
    assert_int_equal(registry_latest(fx->reg, "summary-key", &id, &version, &text, (char[200]){0}, 200), REG_OK);
    assert_non_null(strstr(text, "\"name\":\"region\",\"type\":\"string\""));
    free(text);
    assert_int_equal(registry_latest(fx->reg, "summary-value", &id, &version, &text, (char[200]){0}, 200), REG_OK);
    assert_non_null(strstr(text, "\"name\":\"users\",\"type\":[\"null\",\"long\"],\"default\":null"));
    free(text);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* ---- malformed records, both error modes -------------------------------------------- */

typedef struct Bad {
    const char *what;     /* the case */
    char        buf[128]; /* the record value */
    size_t      len;      /* its length */
    const char *reason;   /* what the message must say */
} Bad;

static int make_bad(Fx *fx, Bad *bad)
{
    int n = 0;
    Bad *x;
    x = &bad[n++];
    x->what = "wrong magic byte";
    x->len = order_v1(fx, x->buf, 1, 1, 1, "eu");
    x->buf[0] = 1;
    x->reason = "first byte is 0x01, not the magic byte 0";
    x = &bad[n++];
    x->what = "JSON instead of Avro";
    x->len = (size_t)snprintf(x->buf, sizeof x->buf, "{\"order_id\": 1}");
    x->reason = "(the record looks like JSON)";
    x = &bad[n++];
    x->what = "too short for the framing";
    memcpy(x->buf, "\0\0\0", 3);
    x->len = 3;
    x->reason = "3 bytes are too few for the Confluent wire format";
    x = &bad[n++];
    x->what = "unknown schema id";
    x->len = order_v1(fx, x->buf, 1, 1, 1, "eu");
    x->buf[3] = 0x03, x->buf[4] = (char)0xe7;   /* id 999 */
    x->reason = "unknown schema id 999";
    x = &bad[n++];
    x->what = "truncated body";
    x->len = order_v1(fx, x->buf, 1, 1, 1, "eu-central") - 4;
    x->reason = "truncated Avro record: field 'region'";
    x = &bad[n++];
    x->what = "bytes left over";
    x->len = order_v1(fx, x->buf, 1, 1, 1, "eu");
    x->buf[x->len++] = 0x02;
    x->reason = "1 bytes left over after the Avro record";
    x = &bad[n++];
    x->what = "a writer schema that does not resolve";
    Value odd[2] = {{.i = 1}, {.i = 2}};
    x->len = frame(x->buf, fx->id_odd, fx->odd, odd);
    x->reason = "schema id 3: field 'region': Avro long cannot be read into a STRING column";
    return n;
}

static void test_malformed_fail_and_skip(void **state)
{
    Fx *fx = *state;
    Bad bad[16];
    int nbad = make_bad(fx, bad);
    char good[128];
    size_t ngood = order_v2(fx, good, 7, 3.5, "eu", "web");
    for (int skip = 0; skip < 2; skip++) {
        for (int b = 0; b < nbad; b++) {
            if (!bad[b].reason) continue;
            clear_out(fx);
            char sql[2048];
            snprintf(sql, sizeof sql, EVOLUTION_SQL, skip ? ", 'error.mode' = 'skip'" : "");
            eddy_engine *e;
            eddy_script *s;
            Job *j = make_job(fx, sql, &e, &s);
            RawRecord r[3] = {rec("orders", 0, 40, NULL, 0, good, ngood), rec("orders", 3, 17, NULL, 0, bad[b].buf, bad[b].len),
                              rec("orders", 0, 41, NULL, 0, good, ngood)};
            int rc = job_push(j, 0, r, 3);
            if (!skip) {
                if (rc == 0) fail_msg("%s: the job did not fail", bad[b].what);
                if (!strstr(j->err, "malformed record in topic 'orders' partition 3 offset 17: ") || !strstr(j->err, bad[b].reason))
                    fail_msg("%s: message is: %s", bad[b].what, j->err);
                assert_non_null(strstr(j->err, "'error.mode' = 'skip'"));
            } else {
                if (rc) fail_msg("%s: skip mode failed: %s", bad[b].what, j->err);
                assert_int_equal(job_flush(j), 0);
                assert_int_equal(j->stats.skipped, 1);
                Row rows[4];
                int nrows = fold(fx, rows, "summary");
                assert_int_equal(nrows, 1);
                assert_int_equal(rows[0].v[1].i, 2);   /* the two good records */
                assert_true(rows[0].v[2].d == 7.0);
            }
            job_free(j);
            eddy_script_free(s);
            eddy_engine_free(e);
        }
    }
}

/* Ever-new unknown schema ids: every record is malformed (skipped), but
 * the registry is not asked once per record — after a streak of "no such
 * id" answers new ids are looked up at most once per backoff — and the
 * decoder remembers at most 1024 of them. */
static void test_unknown_ids_bounded(void **state)
{
    Fx *fx = *state;
    clear_out(fx);
    char sql[2048];
    snprintf(sql, sizeof sql, EVOLUTION_SQL, ", 'error.mode' = 'skip'");
    eddy_engine *e;
    eddy_script *s;
    Job *j = make_job(fx, sql, &e, &s);
    enum { N = 5000 };
    static char bufs[N][64];
    static RawRecord r[N];
    for (int i = 0; i < N; i++) {
        size_t n = order_v1(fx, bufs[i], 1, 1, 1, "eu");
        int32_t id = 100000 + i;   /* never registered */
        bufs[i][1] = (char)(id >> 24), bufs[i][2] = (char)(id >> 16), bufs[i][3] = (char)(id >> 8), bufs[i][4] = (char)id;
        r[i] = rec("orders", 0, i, NULL, 0, bufs[i], n);
    }
    long before = registry_server_id_lookups(fx->srv);
    for (int i = 0; i < N; i += 100) assert_int_equal(job_push(j, 0, r + i, 100), 0);
    assert_int_equal(job_flush(j), 0);
    long asked = registry_server_id_lookups(fx->srv) - before;
    assert_int_equal(j->stats.skipped, N);
    if (asked > 200) fail_msg("%d records with unknown ids asked the registry %ld times", N, asked);
    assert_true(asked >= 64);   /* the streak before the backoff was asked for */
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* A registry that cannot be reached is not the record's fault: the job
 * fails even with error.mode = skip. */
static void test_registry_down(void **state)
{
    Fx *fx = *state;
    char err[512];
    RegistryServer *gone;
    assert_int_equal(registry_server_start(NULL, &gone, err, sizeof err), 0);
    char url[64];
    snprintf(url, sizeof url, "%s", registry_server_url(gone));
    registry_server_free(gone);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE o (order_id BIGINT, region STRING) WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '%s', "
             "'error.mode' = 'skip');"
             "SELECT region, COUNT(*) FROM o GROUP BY region;", url);
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    assert_int_equal(eddy_compile(e, sql, strlen(sql), "q.sql", &s), EDDY_OK);
    Job *j = job_new((const Plan *)eddy_script_plan(s, 1), err, sizeof err);
    assert_non_null(j);
    char b[128];
    size_t n = order_v1(fx, b, 1, 1, 1, "eu");
    RawRecord r = rec("o", 1, 5, NULL, 0, b, n);
    assert_int_equal(job_push(j, 0, &r, 1), -1);
    assert_non_null(strstr(j->err, "source 'o', record in topic 'o' partition 1 offset 5: schema registry"));
    assert_int_equal(j->stats.skipped, 0);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* ---- plain avro, Avro keys ------------------------------------------------------------- */

static void test_plain_avro_and_keys(void **state)
{
    Fx *fx = *state;
    clear_out(fx);
    /* An upsert source whose key is Avro (region) and whose value excludes it;
     * Flink's prefixed option names.  The sink is plain 'avro'. */
    const char *sql =
        "CREATE TABLE prices (region STRING, price DOUBLE, PRIMARY KEY (region) NOT ENFORCED) WITH ("
        " 'connector' = 'upsert-kafka', 'key.format' = 'avro-confluent', 'key.avro-confluent.url' = '@URL@',"
        " 'value.format' = 'avro-confluent', 'value.avro-confluent.url' = '@URL@', 'value.fields-include' = 'EXCEPT_KEY');"
        "CREATE TABLE total (region STRING PRIMARY KEY NOT ENFORCED, s DOUBLE, c BIGINT) WITH ('format' = 'avro');"
        "INSERT INTO total SELECT region, SUM(price), COUNT(*) FROM prices GROUP BY region;";
    eddy_engine *e;
    eddy_script *s;
    Job *j = make_job(fx, sql, &e, &s);
    char err[512];
    JsonField kf[] = {{"region", ty(TY_STRING, 0), 0}};
    JsonField vf[] = {{"price", ty(TY_DOUBLE, 1), 0}};
    CavroEncoder *ke = cavro_encoder_new(kf, 1, NULL, err, sizeof err), *ve = cavro_encoder_new(vf, 1, NULL, err, sizeof err);
    int32_t kid, vid;
    assert_int_equal(registry_register(fx->reg, "prices-key", cavro_encoder_schema(ke), &kid, err, sizeof err), REG_OK);
    assert_int_equal(registry_register(fx->reg, "prices-value", cavro_encoder_schema(ve), &vid, err, sizeof err), REG_OK);
    char k1[64], k2[64], v1[64], v2[64], v3[64];
    Value eu = {.s = "eu", .n = 2}, us = {.s = "us", .n = 2}, p1 = {.d = 10}, p2 = {.d = 4}, p3 = {.d = 1.5};
    size_t nk1 = frame(k1, kid, ke, &eu), nk2 = frame(k2, kid, ke, &us);
    size_t nv1 = frame(v1, vid, ve, &p1), nv2 = frame(v2, vid, ve, &p2), nv3 = frame(v3, vid, ve, &p3);
    RawRecord r[] = {
        rec("prices", 0, 1, k1, nk1, v1, nv1), rec("prices", 0, 2, k2, nk2, v2, nv2),
        rec("prices", 0, 3, k1, nk1, v3, nv3),   /* eu: 10 → 1.5 */
        rec("prices", 0, 4, k2, nk2, NULL, 0),   /* us deleted: a tombstone, key only */
    };
    assert_int_equal(job_push(j, 0, r, 4), 0);
    assert_int_equal(job_flush(j), 0);
    /* 'total', folded: plain Avro keys {region} and values {region, s, c} */
    JsonField tk[] = {{"region", ty(TY_STRING, 0), 0}};
    JsonField tf[] = {{"region", ty(TY_STRING, 0), 0}, {"s", ty(TY_DOUBLE, 1), 1}, {"c", ty(TY_BIGINT, 1), 2}};
    FormatSpec fs = {FMT_AVRO, NULL, NULL, NULL, NULL};
    RecDecoder *kd = recdec_new(&fs, tk, 1, err, sizeof err), *vd = recdec_new(&fs, tf, 3, err, sizeof err);
    bool eu_live = false, us_live = false;
    double eu_s = 0;
    int64_t eu_c = 0;
    for (int i = 0; i < fx->nout; i++) {
        Value k[1], row[3];
        assert_string_equal(fx->out[i].topic, "total");
        assert_int_equal(recdec_decode(kd, fx->out[i].key, fx->out[i].klen, k, &fx->arena, err, sizeof err), REC_OK);
        bool is_eu = k[0].n == 2 && memcmp(k[0].s, "eu", 2) == 0;
        if (!fx->out[i].val) {
            if (is_eu) eu_live = false;
            else us_live = false;
            continue;
        }
        assert_int_equal(recdec_decode(vd, fx->out[i].val, fx->out[i].vlen, row, &fx->arena, err, sizeof err), REC_OK);
        if (is_eu) eu_live = true, eu_s = row[1].d, eu_c = row[2].i;
        else us_live = true;
    }
    assert_true(eu_live);
    assert_false(us_live);
    assert_true(eu_s == 1.5);
    assert_int_equal(eu_c, 1);
    /* the key is {region} only: a value decoder finds it too short */
    Value row[3];
    assert_int_equal(recdec_decode(vd, fx->out[0].key, fx->out[0].klen, row, &fx->arena, err, sizeof err), REC_MALFORMED);
    recdec_free(kd);
    recdec_free(vd);
    cavro_encoder_free(ke);
    cavro_encoder_free(ve);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
}

/* Sinks into subjects another producer created: the record keeps that
 * producer's name (else the registry would refuse the new version), and a
 * sink table may itself come from the registry. */
static void test_sink_into_existing_subject(void **state)
{
    Fx *fx = *state;
    clear_out(fx);
    char err[512];
    const char *theirs = "{\"type\":\"record\",\"name\":\"Summary\",\"namespace\":\"shop\",\"fields\":["
                         "{\"name\":\"region\",\"type\":\"string\"},{\"name\":\"n\",\"type\":[\"null\",\"long\"],\"default\":null}]}";
    int32_t id;
    assert_int_equal(registry_register(fx->reg, "named-value", theirs, &id, err, sizeof err), REG_OK);
    assert_int_equal(registry_register(fx->reg, "derived-value", theirs, &id, err, sizeof err), REG_OK);
    const char *sql =
        "CREATE TABLE orders (order_id BIGINT, region STRING) WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '@URL@');"
        "CREATE TABLE named (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT) WITH ('format' = 'avro-confluent', 'avro-confluent.url' = '@URL@');"
        "INSERT INTO named SELECT region, COUNT(*) FROM orders GROUP BY region;";
    eddy_engine *e;
    eddy_script *s;
    Job *j = make_job(fx, sql, &e, &s);
    char b[128];
    size_t n = order_v1(fx, b, 1, 1, 1, "eu");
    RawRecord r = rec("orders", 0, 0, NULL, 0, b, n);
    if (job_push(j, 0, &r, 1) || job_flush(j)) fail_msg("%s", j->err);
    char *text;
    int32_t version;
    assert_int_equal(registry_latest(fx->reg, "named-value", &id, &version, &text, err, sizeof err), REG_OK);
    assert_non_null(strstr(text, "\"name\":\"Summary\",\"namespace\":\"shop\""));
    free(text);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);

    /* INSERT INTO a table known only from the registry */
    e = eddy_engine_new();
    eddy_engine_set_registry(e, fx->url);
    const char *sql2 = "INSERT INTO derived SELECT region, order_id FROM orders;";   /* derived tables have no key: append */
    char ddl[512];
    snprintf(ddl, sizeof ddl, "CREATE TABLE orders (order_id BIGINT, region STRING) WITH ('format' = 'avro-confluent');");
    assert_int_equal(eddy_compile(e, ddl, strlen(ddl), "a.sql", &s), EDDY_OK);
    eddy_script_free(s);
    if (eddy_compile(e, sql2, strlen(sql2), "b.sql", &s)) fail_msg("%s", eddy_errtext(e));
    j = job_new((const Plan *)eddy_script_plan(s, 0), err, sizeof err);
    assert_non_null(j);
    clear_out(fx);
    j->out = (JobOutput){.ctx = fx, .emit = capture};
    if (job_push(j, 0, &r, 1) || job_flush(j)) fail_msg("%s", j->err);
    assert_int_equal(fx->nout, 1);
    assert_string_equal(fx->out[0].topic, "derived");
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evolution),
        cmocka_unit_test(test_malformed_fail_and_skip),
        cmocka_unit_test(test_registry_down),
        cmocka_unit_test(test_unknown_ids_bounded),
        cmocka_unit_test(test_plain_avro_and_keys),
        cmocka_unit_test(test_sink_into_existing_subject),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
