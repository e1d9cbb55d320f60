/*
 * dev_api.c — the development tools of the public API (include/eddy.h):
 * an in-process Kafka broker with a producer and a reader for tests
 * (eddy_broker_*), a Schema Registry (eddy_registry_*), and a generator of
 * the reference order events (eddy_gen_*).  Thin handles over the runtime
 * modules that do the work: kafka.h, registry.h and gen.h.  What `eddy
 * demo`, `eddy test --broker` and the shell's development broker use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy.h"
#include "gen.h"
#include "kafka.h"
#include "registry.h"
#include "strbuf.h"

/* ---- Broker ---- */

struct eddy_broker {
    kafka_broker   *kb;   /* the mock cluster */
    kafka_producer *p;    /* for eddy_broker_produce, made on first use */
};

int eddy_broker_start(int brokers, int partitions, eddy_broker **out, char *err, size_t errlen)
{
    *out = NULL;
    eddy_broker *b = calloc(1, sizeof *b);
    if (!b) abort();
    if (kafka_broker_start(brokers, partitions, &b->kb, err, errlen)) {
        free(b);
        return EDDY_ERUNTIME;
    }
    *out = b;
    return EDDY_OK;
}

const char *eddy_broker_bootstrap(const eddy_broker *b) { return kafka_broker_bootstrap(b->kb); }

int eddy_broker_create_topic(eddy_broker *b, const char *topic, int partitions, char *err, size_t errlen)
{
    return kafka_broker_create_topic(b->kb, topic, partitions, err, errlen) ? EDDY_ERUNTIME : EDDY_OK;
}

int eddy_broker_produce(eddy_broker *b, const char *topic, const eddy_record *r, char *err, size_t errlen)
{
    if (!b->p) {
        const char *props[] = {"linger.ms", "0", NULL};
        b->p = kafka_producer_new(eddy_broker_bootstrap(b), props, err, errlen);
        if (!b->p) return EDDY_ERUNTIME;
    }
    kafka_header h = {"op", r->op, r->op ? strlen(r->op) : 0};
    return kafka_produce(b->p, topic, r->partition, r->key, r->key_len, r->value, r->value_len, r->timestamp, &h, r->op ? 1 : 0, err,
                         errlen)
               ? EDDY_ERUNTIME
               : EDDY_OK;
}

int eddy_broker_flush(eddy_broker *b, char *err, size_t errlen)
{
    return b->p && kafka_producer_flush(b->p, 10000, err, errlen) ? EDDY_ERUNTIME : EDDY_OK;
}

int eddy_broker_read(eddy_broker *b, const char *topic, void (*fn)(void *ctx, const eddy_record *r), void *ctx, char *err,
                     size_t errlen)
{
    kafka_consumer *c = kafka_consumer_new(eddy_broker_bootstrap(b), NULL, err, errlen);
    if (!c) return EDDY_ERUNTIME;
    int nparts = 0, rc = EDDY_ERUNTIME;
    kafka_tp *tps = NULL;
    if (kafka_partition_count(c, topic, 5000, &nparts, err, errlen)) {
        kafka_consumer_free(c);   /* nothing was ever written: it holds nothing */
        return EDDY_OK;
    }
    tps = calloc((size_t)nparts + 1, sizeof *tps);
    if (!tps) abort();
    long long left = 0;
    for (int i = 0; i < nparts; i++) {
        int64_t lo, hi;
        tps[i] = (kafka_tp){topic, i, KAFKA_OFFSET_BEGINNING};
        if (kafka_watermarks(c, topic, i, &lo, &hi, 5000, err, errlen)) goto out;
        left += hi - lo;
    }
    if (kafka_assign(c, tps, nparts, err, errlen)) goto out;
    kafka_msg msgs[256];
    for (int idle = 0; left > 0 && idle < 100;) {
        int n = kafka_poll_batch(c, msgs, 256, 100, err, errlen);
        if (n < 0) goto out;
        idle = n ? 0 : idle + 1;
        for (int i = 0; i < n; i++) {
            left--;
            const void *op = NULL;
            size_t oplen = 0;
            char opbuf[8] = "";
            if (kafka_msg_header(&msgs[i], "op", &op, &oplen) == 0 && op && oplen < sizeof opbuf) memcpy(opbuf, op, oplen);
            eddy_record r = {.key = msgs[i].key, .key_len = msgs[i].klen, .value = msgs[i].value, .value_len = msgs[i].vlen,
                             .timestamp = msgs[i].ts_ms, .partition = msgs[i].partition, .offset = msgs[i].offset,
                             .op = opbuf[0] ? opbuf : NULL, .table = NULL};
            fn(ctx, &r);
        }
        kafka_release_batch(c, msgs, n);
    }
    if (left > 0) snprintf(err, errlen, "topic '%s': %lld records never arrived", topic, left);
    else rc = EDDY_OK;
out:
    free(tps);
    kafka_consumer_free(c);
    return rc;
}

void eddy_broker_free(eddy_broker *b)
{
    if (!b) return;
    kafka_producer_free(b->p);
    kafka_broker_free(b->kb);
    free(b);
}

/* ---- Schema Registry ---- */

struct eddy_registry {
    RegistryServer *rs;   /* the server */
};

int eddy_registry_start(const char *path, eddy_registry **out, char *err, size_t errlen)
{
    *out = NULL;
    eddy_registry *r = calloc(1, sizeof *r);
    if (!r) abort();
    if (registry_server_start(path, &r->rs, err, errlen)) {
        free(r);
        return EDDY_ERUNTIME;
    }
    *out = r;
    return EDDY_OK;
}

const char *eddy_registry_url(const eddy_registry *r) { return registry_server_url(r->rs); }

void eddy_registry_free(eddy_registry *r)
{
    if (!r) return;
    registry_server_free(r->rs);
    free(r);
}

/* ---- Order generator ---- */

struct eddy_gen {
    kafka_producer *p;    /* where orders go */
    gen_encoder    *enc;  /* their format */
    char           *topic;/* into this topic */
    uint64_t        rng;  /* the draw's state */
    int             users;   /* user_id is uniform in 1..users */
    int             regions; /* regions drawn from */
    long long       produced; /* orders so far (read by other threads) */
    long long       ts_start; /* event time: record timestamp of the first order (ms), 0 = the producer's clock */
    long long       ts_step;  /* and the step between orders (ms) */
    char            err[512]; /* why it failed, or "" */
};

/* A development tool should give up on a vanished broker in seconds, not
 * in librdkafka's default 5 minutes; linger batches records at any rate. */
static const char *const gen_producer_props[] = {"message.timeout.ms", "30000", "linger.ms", "5", NULL};

eddy_gen *eddy_gen_new(const char *bootstrap, const char *topic, const char *format, const char *registry, unsigned long long seed,
                       int users, int regions, char *err, size_t errlen)
{
    if (regions < 1 || regions > EDDY_GEN_MAX_REGIONS) {
        if (err) snprintf(err, errlen, "regions must be 1 to %d, not %d", EDDY_GEN_MAX_REGIONS, regions);
        return NULL;
    }
    if (users < 1) {
        if (err) snprintf(err, errlen, "users must be at least 1, not %d", users);
        return NULL;
    }
    const OptEnum *fmt = opt_enum_find(format_values, format ? format : "json");
    if (!fmt) {
        if (err) snprintf(err, errlen, "unknown format '%s'", format);
        return NULL;
    }
    eddy_gen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->enc = gen_encoder_new((Format)fmt->code, topic, registry, g->err, sizeof g->err);
    if (g->enc) g->p = kafka_producer_new(bootstrap, gen_producer_props, g->err, sizeof g->err);
    /* Fail fast when nothing listens there, instead of queueing records
     * for minutes; this also creates the topic if the cluster does that. */
    int nparts = 0;
    char why[400];
    if (g->p && kafka_producer_partition_count(g->p, topic, 5000, &nparts, why, sizeof why)) {
        snprintf(g->err, sizeof g->err, "cannot reach %s: %s", bootstrap, why);
        kafka_producer_free(g->p);
        g->p = NULL;
    }
    if (!g->p) {
        if (err) snprintf(err, errlen, "%s", g->err);
        eddy_gen_free(g);
        return NULL;
    }
    g->topic = str_dup(topic);
    g->rng = gen_seed(seed);
    g->users = users;
    g->regions = regions;
    return g;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, 0};
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

int eddy_gen_run(eddy_gen *g, double rate, long long count, volatile int *stop)
{
    const char *key, *val;
    int rc = EDDY_OK;
    /* Token bucket: `rate` tokens a second, at most 100 ms worth saved up,
     * so a stall is not followed by a long burst, while records still go
     * out in batches rather than one per wake-up. */
    double burst = rate * 0.1 > 1.0 ? rate * 0.1 : 1.0, tokens = 1.0, last_refill = mono_s(), next_check = last_refill + 1.0;
    while (!(stop && *stop) && (count == 0 || g->produced < count)) {
        if (rate > 0) {
            if (tokens < 1.0) {
                double now = mono_s();
                tokens += (now - last_refill) * rate;
                last_refill = now;
                if (tokens > burst) tokens = burst;
            }
            if (tokens < 1.0) {
                double wait = (1.0 - tokens) / rate;
                sleep_s(wait < 0.001 ? 0.001 : wait > 0.2 ? 0.2 : wait);
                continue;
            }
            tokens -= 1.0;
        }
        gen_order o;
        size_t kl, vl;
        gen_order_draw(&g->rng, g->produced + 1, g->users, g->regions, &o);
        if (gen_encoder_encode(g->enc, &o, &key, &kl, &val, &vl, g->err, sizeof g->err) ||
            kafka_produce(g->p, g->topic, -1, key, kl, val, vl, g->ts_start ? g->ts_start + g->produced * g->ts_step : 0, NULL, 0,
                          g->err, sizeof g->err))
            return EDDY_ERUNTIME;   /* the queued records are dropped, not waited for */
        __atomic_store_n(&g->produced, g->produced + 1, __ATOMIC_RELAXED);
        /* Surface delivery failures while running, about once a second
         * (reading the clock only every 1024 records when flat out). */
        if ((rate > 0 || (g->produced & 1023) == 0) && mono_s() >= next_check) {
            next_check = mono_s() + 1.0;
            if (kafka_producer_poll(g->p, g->err, sizeof g->err)) return EDDY_ERUNTIME;
        }
    }
    if (kafka_producer_flush(g->p, 60000, g->err, sizeof g->err)) rc = EDDY_ERUNTIME;
    return rc;
}

long long eddy_gen_produced(const eddy_gen *g) { return __atomic_load_n(&g->produced, __ATOMIC_RELAXED); }

void eddy_gen_event_time(eddy_gen *g, long long start_ms, long long step_ms)
{
    if (!g) return;
    g->ts_start = start_ms;
    g->ts_step = step_ms;
}

const char *eddy_gen_errmsg(const eddy_gen *g) { return g->err; }

void eddy_gen_free(eddy_gen *g)
{
    if (!g) return;
    kafka_producer_free(g->p);
    gen_encoder_free(g->enc);
    free(g->topic);
    free(g);
}
