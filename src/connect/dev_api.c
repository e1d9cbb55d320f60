/*
 * dev_api.c — the development tools of the public API (include/eddy.h):
 * an in-process Kafka broker with a producer and a reader for tests
 * (eddy_broker_*), a Schema Registry (eddy_registry_*), and a generator of
 * the reference order events or of the Nexmark benchmark's (eddy_gen_*).
 * Thin handles over the runtime modules that do the work: kafka.h,
 * registry.h, gen.h and nexmark.h.  What `eddy
 * demo`, `eddy test --broker` and the shell's development broker use; the
 * broker also takes fault commands (eddy_broker_fault) for `eddy broker
 * --control` and fault tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy.h"
#include "clock.h"
#include "gen.h"
#include "kafka.h"
#include "nexmark.h"
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

/* ---- Broker faults: one line of text per command, by table ---- */

/* Longest command eddy_broker_fault reads, and most words in one. */
#define FAULT_LINE_MAX 256
#define FAULT_WORDS 5

typedef struct FaultCmd {
    const char *name;   /* the command's first word */
    const char *args;   /* its arguments, for the documentation */
    int         nargs;  /* how many words follow the name */
    const char *doc;    /* what it does, one line */
    int (*run)(kafka_broker *kb, char **args, char *err, size_t errlen);
} FaultCmd;

/* A whole number lo..hi, or -1 with err naming what. */
static int fault_int(const char *text, const char *what, long lo, long hi, int *out, char *err, size_t errlen)
{
    int64_t v;
    if (!opt_parse_int(text, &v) || v < lo || v > hi) {
        str_errf(err, errlen, "%s must be a whole number %ld..%ld, not '%s'", what, lo, hi, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A broker: its number, or "all" (-1). */
static int fault_broker(const char *text, int *id, char *err, size_t errlen)
{
    if (strcmp(text, "all") == 0) {
        *id = -1;
        return 0;
    }
    return fault_int(text, "BROKER (a broker's number, or all)", 1, 1000000, id, err, errlen);
}

static int fault_errors(kafka_broker *kb, const char *api, const char *count, const char *error, char *err, size_t errlen)
{
    int n;
    return fault_int(count, "N", 1, KAFKA_MAX_PUSHED_ERRORS, &n, err, errlen) ||
                   kafka_broker_push_errors(kb, api, n, error, err, errlen)
               ? -1
               : 0;
}

static int fault_produce_errors(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    return fault_errors(kb, "Produce", a[0], a[1], err, errlen);
}

static int fault_fetch_errors(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    return fault_errors(kb, "Fetch", a[0], a[1], err, errlen);
}

static int fault_request_errors(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    return fault_errors(kb, a[0], a[1], a[2], err, errlen);
}

static int fault_clear_errors(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    return kafka_broker_clear_errors(kb, a[0], err, errlen);
}

static int fault_updown(kafka_broker *kb, const char *broker, int down, char *err, size_t errlen)
{
    int id;
    return fault_broker(broker, &id, err, errlen) || kafka_broker_set_down(kb, id, down, err, errlen) ? -1 : 0;
}

static int fault_down(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    return fault_updown(kb, a[0], 1, err, errlen);
}

static int fault_up(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    return fault_updown(kb, a[0], 0, err, errlen);
}

static int fault_leader(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    int part, id;
    return fault_int(a[1], "PARTITION", 0, 99999, &part, err, errlen) || fault_broker(a[2], &id, err, errlen) ||
                   kafka_broker_set_leader(kb, a[0], part, id, err, errlen)
               ? -1
               : 0;
}

static int fault_rtt(kafka_broker *kb, char **a, char *err, size_t errlen)
{
    int id, ms;
    return fault_broker(a[0], &id, err, errlen) || fault_int(a[1], "MS", 0, KAFKA_MAX_RTT_MS, &ms, err, errlen) ||
                   kafka_broker_set_rtt(kb, id, ms, err, errlen)
               ? -1
               : 0;
}

static const FaultCmd fault_cmds[] = {
    {"produce-errors", "N ERROR", 2, "the next N Produce requests fail with ERROR (e.g. REQUEST_TIMED_OUT)",
     fault_produce_errors},
    {"fetch-errors", "N ERROR", 2, "the next N Fetch requests fail with ERROR (e.g. NOT_LEADER_FOR_PARTITION)",
     fault_fetch_errors},
    {"request-errors", "REQUEST N ERROR", 3,
     "the same for any REQUEST: Metadata, ListOffsets, InitProducerId, OffsetCommit, ...", fault_request_errors},
    {"clear-errors", "REQUEST", 1, "forget the errors still queued for REQUEST", fault_clear_errors},
    {"down", "BROKER", 1, "BROKER (1..N, or all) drops its connections and refuses new ones", fault_down},
    {"up", "BROKER", 1, "BROKER accepts connections again", fault_up},
    {"rtt", "BROKER MS", 2, "BROKER answers every request MS milliseconds late (0: at once)", fault_rtt},
    {"leader", "TOPIC PARTITION BROKER", 3, "BROKER leads that partition from now on (clients follow)", fault_leader},
};

int eddy_broker_fault(eddy_broker *b, const char *command, char *err, size_t errlen)
{
    if (!b || !command) {
        str_errf(err, errlen, "eddy_broker_fault: no %s", b ? "command" : "broker");
        return EDDY_EMISUSE;
    }
    char line[FAULT_LINE_MAX], *words[FAULT_WORDS + 1];
    int n = 0;
    if (strlen(command) >= sizeof line) {
        str_errf(err, errlen, "command longer than %d characters", FAULT_LINE_MAX - 1);
        return EDDY_EMISUSE;
    }
    memcpy(line, command, strlen(command) + 1);
    for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w && n <= FAULT_WORDS;
         w = strtok_r(NULL, " \t\r\n", &save))
        words[n++] = w;
    if (n == 0) {
        str_errf(err, errlen, "empty command");
        return EDDY_EMISUSE;
    }
    for (size_t i = 0; i < sizeof fault_cmds / sizeof fault_cmds[0]; i++) {
        const FaultCmd *c = &fault_cmds[i];
        if (strcmp(words[0], c->name) != 0) continue;
        if (n - 1 != c->nargs) {
            str_errf(err, errlen, "%s takes %d argument%s: %s %s", c->name, c->nargs, c->nargs == 1 ? "" : "s", c->name,
                     c->args);
            return EDDY_EMISUSE;
        }
        return c->run(b->kb, words + 1, err, errlen) ? EDDY_EMISUSE : EDDY_OK;
    }
    StrBuf names = {0};
    for (size_t i = 0; i < sizeof fault_cmds / sizeof fault_cmds[0]; i++)
        sb_printf(&names, "%s%s", i ? ", " : "", fault_cmds[i].name);
    str_errf(err, errlen, "unknown command '%s' (one of %s)", words[0], names.s);
    sb_free(&names);
    return EDDY_EMISUSE;
}

char *eddy_broker_fault_doc(void)
{
    StrBuf out = {0};
    for (size_t i = 0; i < sizeof fault_cmds / sizeof fault_cmds[0]; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", fault_cmds[i].name, fault_cmds[i].args);
        sb_printf(&out, "  %-32s %s\n", head, fault_cmds[i].doc);
    }
    return sb_take(&out);
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
    return eddy_registry_listen(path, 0, out, err, errlen);
}

int eddy_registry_listen(const char *path, int port, eddy_registry **out, char *err, size_t errlen)
{
    *out = NULL;
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "schema registry: port %d is not 0..65535", port);
        return EDDY_EMISUSE;
    }
    eddy_registry *r = calloc(1, sizeof *r);
    if (!r) abort();
    if (registry_server_listen(path, port, &r->rs, err, errlen)) {
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
    gen_encoder    *enc;  /* their format (orders) */
    nexmark_gen    *nx;   /* or the Nexmark events, when not NULL */
    char           *nxbuf;/* a Nexmark event's JSON */
    size_t          nxcap;/* its size */
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

/* A new generator's producer (when ready: its encoder or model was made)
 * and topic.  Fails fast when nothing listens there, instead of queueing
 * records for minutes; asking for the topic also creates it if the
 * cluster does that.  0, or -1 with g freed and the reason in err. */
static int gen_connect(eddy_gen *g, bool ready, const char *bootstrap, const char *topic, char *err, size_t errlen)
{
    if (ready) g->p = kafka_producer_new(bootstrap, gen_producer_props, g->err, sizeof g->err);
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
        return -1;
    }
    g->topic = str_dup(topic);
    return 0;
}

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
    if (gen_connect(g, g->enc != NULL, bootstrap, topic, err, errlen)) return NULL;
    g->rng = gen_seed(seed);
    g->users = users;
    g->regions = regions;
    return g;
}

eddy_gen *eddy_gen_nexmark_new(const char *bootstrap, const char *topic, unsigned long long seed, double event_rate,
                               char *err, size_t errlen)
{
    nexmark_config c;
    nexmark_config_default(&c);
    c.seed = seed;
    if (event_rate > 0) c.event_rate = event_rate;
    eddy_gen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->nx = nexmark_gen_new(&c, g->err, sizeof g->err);
    if (g->nx) {
        g->nxcap = nexmark_json_max(&c);
        g->nxbuf = malloc(g->nxcap);
        if (!g->nxbuf) abort();
    }
    if (gen_connect(g, g->nx != NULL, bootstrap, topic, err, errlen)) return NULL;
    return g;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, 0};
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* One record: draw, encode, queue. */
static int gen_one(eddy_gen *g)
{
    const char *key, *val;
    gen_order o;
    size_t kl, vl;
    if (g->nx) {   /* a Nexmark event: no key, its event time as the record's timestamp */
        nexmark_event ev;
        int len;
        if (!nexmark_gen_next(g->nx, &ev)) {
            snprintf(g->err, sizeof g->err, "the Nexmark generator has no more events");
            return -1;
        }
        if ((len = nexmark_event_json(&ev, g->nxbuf, g->nxcap)) < 0) {
            snprintf(g->err, sizeof g->err, "a Nexmark event did not fit %zu bytes", g->nxcap);
            return -1;
        }
        if (kafka_produce(g->p, g->topic, -1, NULL, 0, g->nxbuf, (size_t)len, ev.date_time, NULL, 0, g->err, sizeof g->err))
            return -1;
        __atomic_store_n(&g->produced, g->produced + 1, __ATOMIC_RELAXED);
        return 0;
    }
    gen_order_draw(&g->rng, g->produced + 1, g->users, g->regions, &o);
    if (gen_encoder_encode(g->enc, &o, &key, &kl, &val, &vl, g->err, sizeof g->err) ||
        kafka_produce(g->p, g->topic, -1, key, kl, val, vl, g->ts_start ? g->ts_start + g->produced * g->ts_step : 0, NULL, 0,
                      g->err, sizeof g->err))
        return -1;
    __atomic_store_n(&g->produced, g->produced + 1, __ATOMIC_RELAXED);
    return 0;
}

/* Paced by batch, not by record: every GEN_TICK the records due by then on
 * a fixed schedule (rate × time since the start) go out together, then the
 * generator sleeps until the next tick.  One clock read and one wake-up per
 * batch rather than per record keeps it steady at 100k/s and more on a
 * busy machine (a per-record token bucket woke ~1000 times a second and
 * lost its tokens whenever it was descheduled: 58k/s of 100k offered).  A
 * generator more than GEN_CATCHUP behind (a stall, a slow broker) moves its
 * schedule forward instead of bursting: the rate it reaches is then below
 * the one asked, and says so.  Each record's timestamp is taken when it is
 * queued (kafka_produce), so batching does not distort latency measured
 * from it. */
#define GEN_TICK 0.002
#define GEN_CATCHUP 0.1

int eddy_gen_run(eddy_gen *g, double rate, long long count, volatile int *stop)
{
    int rc = EDDY_OK;
    double t0 = mono_s(), next_check = t0 + 1.0;
    long long base = g->produced;   /* the schedule counts from here */
    while (!(stop && *stop) && (count == 0 || g->produced < count)) {
        long long due;
        double now = mono_s();
        if (rate > 0) {
            double behind = (now - t0) * rate - (double)(g->produced - base);
            double most = rate * GEN_CATCHUP > 1.0 ? rate * GEN_CATCHUP : 1.0;   /* at least one order, at a slow rate */
            if (behind > most) {   /* too far behind: move the schedule */
                t0 = now - ((double)(g->produced - base) + most) / rate;
                behind = most;
            }
            if (behind < 1.0) {
                double wait = (1.0 - behind) / rate;
                sleep_s(wait < GEN_TICK ? GEN_TICK : wait > 0.2 ? 0.2 : wait);
                continue;
            }
            /* at most 10,000 at a time: the clock and the delivery check stay frequent */
            due = g->produced + (behind > 10000 ? 10000 : (long long)behind);
        } else {
            due = g->produced + 1024;   /* flat out: the clock once per 1024 records */
        }
        if (count > 0 && due > count) due = count;
        while (g->produced < due && !(stop && *stop))
            if (gen_one(g)) return EDDY_ERUNTIME;   /* the queued records are dropped, not waited for */
        /* Surface delivery failures while running, about once a second. */
        if (now >= next_check) {
            next_check = now + 1.0;
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
    nexmark_gen_free(g->nx);
    free(g->nxbuf);
    free(g->topic);
    free(g);
}
