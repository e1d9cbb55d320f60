/*
** kafka.c — the implementation of kafka.h on top of librdkafka.
**
** This is the one file of eddy that includes rdkafka.h and rdkafka_mock.h.
** It holds the development broker (librdkafka's mock cluster), the producer,
** the assign-only consumer and the code that turns property lists into
** librdkafka configuration.  It knows nothing about SQL, formats or
** checkpoints.  librdkafka's own logging is discarded (the library never
** prints) unless the caller sets the "debug" property, and every error ends
** up in the caller's buffer or on the handle.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "strbuf.h"
#include "clock.h"
#include "kafka.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

_Static_assert(KAFKA_OFFSET_BEGINNING == RD_KAFKA_OFFSET_BEGINNING,
               "KAFKA_OFFSET_BEGINNING must equal librdkafka's");
_Static_assert(KAFKA_OFFSET_END == RD_KAFKA_OFFSET_END,
               "KAFKA_OFFSET_END must equal librdkafka's");

/* How long kafka_assign waits for a topic's metadata. */
#define ASSIGN_METADATA_TIMEOUT_MS 10000

/* kafka_produce serves delivery reports once per this many records, so that
** failures surface and the report queue stays short without a poll per
** record. */
#define PRODUCE_POLL_EVERY 1024

/* Headers kafka_produce can pass without a heap allocation. */
#define PRODUCE_STACK_HEADERS 16

struct kafka_broker {
    rd_kafka_t *rk;                    /* idle client the cluster hangs off */
    rd_kafka_mock_cluster_t *mcluster; /* the mock cluster itself */
    int nbrokers;                      /* number of brokers in the cluster */
    int default_partitions;            /* count for create_topic(..., 0) */
};

/* Topic handles a producer keeps: looking a topic up by name costs locks
** on every record (measured: a quarter of kafka_produce in pass-through). */
#define PRODUCER_TOPICS 8

struct kafka_producer {
    rd_kafka_t *rk;          /* librdkafka producer */
    rd_kafka_topic_t *rkt[PRODUCER_TOPICS]; /* handles of the topics produced to, NULL-terminated */
    unsigned since_poll;     /* records queued since reports were last served */
    long nfailed;            /* deliveries failed since the last poll/flush */
    char first_fail[256];    /* description of the first of those failures */
    char last_error[256];    /* last client error from error_cb, "" if none */
    long long nqueued;       /* records queued since the producer was made */
    long long nacked;        /* delivery reports served (acknowledged or failed) */
    long long nerrors;       /* client-level errors reported (connection lost, ...) */
    long long nretried;      /* records sent again after a failed Produce request (stats_cb) */
    /* Which records are acknowledged: record i (0-based, in the order
    ** queued) carries i as its opaque; low is the first one whose delivery
    ** report has not come yet, done[] a ring over [low, nqueued) marking the
    ** reports that came out of order (partitions answer independently). */
    long long low;           /* every record before it is reported */
    unsigned char *done;     /* ring of cap entries: done[i % cap] */
    long long cap;           /* its size, a power of two (0 = none yet) */
    long long max_queue;     /* queue.buffering.max.messages */
    /* Where records wait, from librdkafka's statistics (stats_cb, every
    ** second): the partitions holding unacknowledged records. */
    kafka_part_wait waiting[KAFKA_MAX_WAITING]; /* the first of them */
    struct {
        char topic[128];     /* topic */
        int32_t partition;   /* partition */
        long long reported;  /* delivery reports served for it */
        int64_t next;        /* the offset after the last record acknowledged there, -1 = none */
        int64_t marked;      /* the same among the records numbered below mark (kafka_producer_mark) */
    } parts[64];             /* per partition produced to (the first 64) */
    int nparts;              /* count */
    int last_part;           /* index of the last one a report was for */
    int nwaiting;            /* count (of all, may exceed the array) */
    long long mark;          /* kafka_producer_mark's: records numbered below it count for parts[].marked */
    long long stats_at;      /* statistics seen so far (0 = none yet) */
};

struct kafka_consumer {
    rd_kafka_t *rk;               /* librdkafka consumer (it has a group.id
                                     but never joins: assign only) */
    rd_kafka_queue_t *queue;      /* consumer queue; the main queue is
                                     forwarded into it, so errors arrive here */
    rd_kafka_message_t **scratch; /* batch buffer for consume_batch_queue */
    int scratchcap;               /* capacity of scratch, in pointers */
    int failed;                   /* a fatal error was seen: every later
                                     poll_batch fails with fatal_msg */
    char fatal_msg[512];          /* that error, naming topic/partition/offset */
    char warning[512];            /* last transient error skipped, or "" */
    long long nwarnings;          /* transient errors skipped so far */
};

/* ---- Small helpers ------------------------------------------------------ */

/* Sleeps ms milliseconds (whatever signals interrupt). */
static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* librdkafka logs to stderr by default; the library must not print. */
static void log_discard(const rd_kafka_t *rk, int level, const char *fac,
                        const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

/* Set one property, naming it in the error. */
static int conf_set1(rd_kafka_conf_t *conf, const char *key, const char *val,
                     char *err, size_t errlen)
{
    char why[512];
    if (rd_kafka_conf_set(conf, key, val, why, sizeof why) !=
        RD_KAFKA_CONF_OK) {
        str_errf(err, errlen, "property '%s': %s", key, why);
        return -1;
    }
    return 0;
}

/* Apply a NULL-terminated key, value list. */
static int conf_set_list(rd_kafka_conf_t *conf, const char *const *kv,
                         char *err, size_t errlen)
{
    for (; kv && kv[0]; kv += 2) {
        if (!kv[1]) {
            str_errf(err, errlen, "property '%s': no value given", kv[0]);
            return -1;
        }
        if (conf_set1(conf, kv[0], kv[1], err, errlen))
            return -1;
    }
    return 0;
}

/* The last value the caller's property list gives key, or NULL. */
static const char *props_get(const char *const *kv, const char *key)
{
    const char *v = NULL;
    for (; kv && kv[0] && kv[1]; kv += 2)
        if (strcmp(kv[0], key) == 0)
            v = kv[1];
    return v;
}

/* Does the caller's property list set key? */
static int props_have(const char *const *kv, const char *key)
{
    return props_get(kv, key) != NULL;
}

/*
** A configuration with eddy's defaults, then bootstrap (if not NULL), then
** the caller's props.  Returns NULL and fills err on failure.
*/
static rd_kafka_conf_t *conf_build(const char *const *defaults,
                                   const char *bootstrap,
                                   const char *const *props, char *err,
                                   size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set_list(conf, defaults, err, errlen) ||
        (bootstrap &&
         conf_set1(conf, "bootstrap.servers", bootstrap, err, errlen)) ||
        conf_set_list(conf, props, err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* Someone who asks for librdkafka's debug output wants to see it. */
    if (!props_have(props, "debug"))
        rd_kafka_conf_set_log_cb(conf, log_discard);
    return conf;
}

/*
** Metadata from the cluster: for one topic (one_topic; note that the mock
** broker creates a missing topic it is asked about, as a producer would on
** first write) or for all topics (which creates nothing, so it is the way
** to check that a topic exists).
** Retries while a leader is not yet available (just after creation).
** On success *mdp must be freed with rd_kafka_metadata_destroy.
*/
static int md_fetch(rd_kafka_t *rk, const char *topic, int one_topic,
                    int timeout_ms, const struct rd_kafka_metadata **mdp,
                    char *err, size_t errlen)
{
    int64_t deadline = mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    rd_kafka_topic_t *rkt = NULL;
    int rc = -1;

    *mdp = NULL;
    if (one_topic) {
        rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (!rkt) {
            str_errf(err, errlen, "topic '%s': %s", topic,
                   rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
    }
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        int left = timeout_ms < 0 ? -1 : (int)(deadline - mono_ms());
        rd_kafka_resp_err_t e;
        int retry = 0;

        if (timeout_ms >= 0 && left < 1)
            left = 1;
        e = rd_kafka_metadata(rk, !one_topic, rkt, &md, left);
        if (e) {
            str_errf(err, errlen, "metadata for topic '%s': %s", topic,
                   rd_kafka_err2str(e));
            break;
        }
        for (int i = 0; i < md->topic_cnt; i++)
            if (strcmp(md->topics[i].topic, topic) == 0 &&
                md->topics[i].err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
                retry = 1;
        if (!retry || (timeout_ms >= 0 && mono_ms() + 50 >= deadline)) {
            *mdp = md;
            rc = 0;
            break;
        }
        rd_kafka_metadata_destroy(md);
        sleep_ms(50);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return rc;
}

/* The partition count of topic in md, or -1 with err filled. */
static int md_count(const struct rd_kafka_metadata *md, const char *topic,
                    int *count, char *err, size_t errlen)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (strcmp(t->topic, topic) != 0)
            continue;
        if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            break;
        if (t->err) {
            str_errf(err, errlen, "metadata for topic '%s': %s", topic,
                   rd_kafka_err2str(t->err));
            return -1;
        }
        *count = t->partition_cnt;
        return 0;
    }
    str_errf(err, errlen, "topic '%s' does not exist", topic);
    return -1;
}

/* Partition count of one topic; see md_fetch for one_topic. */
static int md_partition_count(rd_kafka_t *rk, const char *topic,
                              int one_topic, int timeout_ms, int *count,
                              char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md;
    int rc;
    if (md_fetch(rk, topic, one_topic, timeout_ms, &md, err, errlen))
        return -1;
    rc = md_count(md, topic, count, err, errlen);
    rd_kafka_metadata_destroy(md);
    return rc;
}

/* ---- Development broker ------------------------------------------------- */

int kafka_broker_start(int nbrokers, int default_partitions, kafka_broker **out,
                       char *err, size_t errlen)
{
    char why[512];
    rd_kafka_conf_t *conf;
    kafka_broker *b;

    *out = NULL;
    if (nbrokers < 1) {
        str_errf(err, errlen, "broker count must be at least 1, not %d",
               nbrokers);
        return -1;
    }
    if (default_partitions < 1) {
        str_errf(err, errlen, "default partition count must be at least 1, "
               "not %d", default_partitions);
        return -1;
    }
    b = calloc(1, sizeof *b);
    if (!b) {
        str_errf(err, errlen, "out of memory");
        return -1;
    }
    b->nbrokers = nbrokers;
    b->default_partitions = default_partitions;

    /* The mock cluster needs a client handle for its bookkeeping; an idle
    ** producer with no bootstrap servers serves and never connects. */
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_discard);
    b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!b->rk) {
        rd_kafka_conf_destroy(conf);
        str_errf(err, errlen, "cannot create the mock cluster's client: %s", why);
        free(b);
        return -1;
    }
    b->mcluster = rd_kafka_mock_cluster_new(b->rk, nbrokers);
    if (!b->mcluster) {
        str_errf(err, errlen, "cannot start the mock cluster (%d brokers): "
               "could not listen on 127.0.0.1", nbrokers);
        rd_kafka_destroy(b->rk);
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

const char *kafka_broker_bootstrap(const kafka_broker *b)
{
    return rd_kafka_mock_cluster_bootstraps(b->mcluster);
}

/* Kafka's rule: 1..249 characters from [a-zA-Z0-9._-], not "." or "..". */
static int topic_name_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
        return 0;
    for (; *t; t++) {
        char ch = *t;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

int kafka_broker_create_topic(kafka_broker *b, const char *topic,
                              int partitions, char *err, size_t errlen)
{
    rd_kafka_resp_err_t e;
    int rf = b->nbrokers < 3 ? b->nbrokers : 3;

    if (!topic || !topic_name_ok(topic)) {
        str_errf(err, errlen, "invalid topic name '%s' (1-249 characters of "
               "a-z A-Z 0-9 . _ -)", topic ? topic : "(null)");
        return -1;
    }
    if (partitions == 0)
        partitions = b->default_partitions;
    if (partitions < 1 || partitions > 100000) {
        str_errf(err, errlen, "topic '%s': bad partition count %d", topic,
               partitions);
        return -1;
    }
    e = rd_kafka_mock_topic_create(b->mcluster, topic, partitions, rf);
    if (e) {
        str_errf(err, errlen, "cannot create topic '%s' with %d partitions: %s",
               topic, partitions, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

void kafka_broker_free(kafka_broker *b)
{
    if (!b)
        return;
    /* The cluster must go before the handle it hangs off. */
    rd_kafka_mock_cluster_destroy(b->mcluster);
    rd_kafka_destroy(b->rk);
    free(b);
}

/* ---- Faults of the development broker ------------------------------------ */

/* The Kafka protocol requests whose errors kafka_broker_push_errors can
** inject: the ones eddy's clients send.  Numbers are the protocol's ApiKey. */
static const struct {
    const char *name; /* request name, as in the Kafka protocol guide */
    int16_t key;      /* its ApiKey */
} api_keys[] = {
    {"Produce", 0},        {"Fetch", 1},          {"ListOffsets", 2},
    {"Metadata", 3},       {"OffsetCommit", 8},   {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},   {"Heartbeat", 12},
    {"LeaveGroup", 13},    {"SyncGroup", 14},     {"ApiVersions", 18},
    {"InitProducerId", 22},
};

static int api_key_find(const char *name, int16_t *key, char *err,
                        size_t errlen)
{
    size_t n = sizeof api_keys / sizeof api_keys[0];
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(api_keys[i].name, name) == 0) {
            *key = api_keys[i].key;
            return 0;
        }
    StrBuf names = {0};
    for (size_t i = 0; i < n; i++)
        sb_printf(&names, "%s%s", i ? ", " : "", api_keys[i].name);
    str_errf(err, errlen, "unknown request '%s' (one of %s)", name,
             names.s ? names.s : "");
    sb_free(&names);
    return -1;
}

/* An error code by librdkafka's name for it, without the RD_KAFKA_RESP_ERR_
** prefix ("REQUEST_TIMED_OUT", "_TRANSPORT"), in any case. */
static int err_code_find(const char *name, rd_kafka_resp_err_t *code,
                         char *err, size_t errlen)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;

    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++)
        if (descs[i].name && strcasecmp(descs[i].name, name) == 0 &&
            descs[i].code != RD_KAFKA_RESP_ERR_NO_ERROR) {
            *code = descs[i].code;
            return 0;
        }
    str_errf(err, errlen, "unknown error '%s' (a librdkafka error name such "
             "as REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION, "
             "LEADER_NOT_AVAILABLE or _TRANSPORT)", name);
    return -1;
}

/* broker_id is one of the cluster's (1..nbrokers) or -1 for all. */
static int broker_id_ok(const kafka_broker *b, int broker_id, char *err,
                        size_t errlen)
{
    if (broker_id == -1 || (broker_id >= 1 && broker_id <= b->nbrokers))
        return 0;
    if (b->nbrokers == 1)
        str_errf(err, errlen, "no broker %d (the only broker is 1; or all)",
                 broker_id);
    else
        str_errf(err, errlen, "no broker %d (the brokers are 1..%d, or all)",
                 broker_id, b->nbrokers);
    return -1;
}

int kafka_broker_push_errors(kafka_broker *b, const char *api, int count,
                             const char *error, char *err, size_t errlen)
{
    rd_kafka_resp_err_t code, *codes;
    int16_t key;

    if (api_key_find(api, &key, err, errlen) ||
        err_code_find(error, &code, err, errlen))
        return -1;
    if (count < 1 || count > KAFKA_MAX_PUSHED_ERRORS) {
        str_errf(err, errlen, "error count must be 1..%d, not %d",
                 KAFKA_MAX_PUSHED_ERRORS, count);
        return -1;
    }
    codes = malloc((size_t)count * sizeof *codes);
    if (!codes) {
        str_errf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < count; i++)
        codes[i] = code;
    rd_kafka_mock_push_request_errors_array(b->mcluster, key, (size_t)count,
                                            codes);
    free(codes);
    return 0;
}

int kafka_broker_clear_errors(kafka_broker *b, const char *api, char *err,
                              size_t errlen)
{
    int16_t key;
    if (api_key_find(api, &key, err, errlen))
        return -1;
    rd_kafka_mock_clear_request_errors(b->mcluster, key);
    return 0;
}

int kafka_broker_set_down(kafka_broker *b, int broker_id, int down, char *err,
                          size_t errlen)
{
    rd_kafka_resp_err_t e;
    if (broker_id_ok(b, broker_id, err, errlen))
        return -1;
    e = down ? rd_kafka_mock_broker_set_down(b->mcluster, broker_id)
             : rd_kafka_mock_broker_set_up(b->mcluster, broker_id);
    if (e) {
        str_errf(err, errlen, "cannot set broker %d %s: %s", broker_id,
                 down ? "down" : "up", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int kafka_broker_set_leader(kafka_broker *b, const char *topic, int partition,
                            int broker_id, char *err, size_t errlen)
{
    rd_kafka_resp_err_t e;
    if (broker_id == -1) {
        str_errf(err, errlen, "a partition's leader is one broker, not all");
        return -1;
    }
    if (broker_id_ok(b, broker_id, err, errlen))
        return -1;
    if (!topic_name_ok(topic) || partition < 0) {
        str_errf(err, errlen, "no partition %d of topic '%s'", partition, topic);
        return -1;
    }
    e = rd_kafka_mock_partition_set_leader(b->mcluster, topic, partition,
                                           broker_id);
    if (e) {
        str_errf(err, errlen, "cannot make broker %d the leader of topic '%s' "
                 "partition %d: %s", broker_id, topic, partition,
                 rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int kafka_broker_set_rtt(kafka_broker *b, int broker_id, int rtt_ms, char *err,
                         size_t errlen)
{
    rd_kafka_resp_err_t e;
    if (broker_id_ok(b, broker_id, err, errlen))
        return -1;
    if (rtt_ms < 0 || rtt_ms > KAFKA_MAX_RTT_MS) {
        str_errf(err, errlen, "round-trip time must be 0..%d ms, not %d",
                 KAFKA_MAX_RTT_MS, rtt_ms);
        return -1;
    }
    e = rd_kafka_mock_broker_set_rtt(b->mcluster, broker_id, rtt_ms);
    if (e) {
        str_errf(err, errlen, "cannot set the round-trip time of broker %d: %s",
                 broker_id, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* ---- Producer ----------------------------------------------------------- */

static const char *const producer_defaults[] = {
    "client.id", "eddy",
    "compression.codec", "lz4",
    /* librdkafka's own default: at a steady 100k orders/s, 20 ms here was
    ** about 15 ms of the reference job's p50 end-to-end latency, and the
    ** pass-through's throughput did not move (bench/README.md) */
    "linger.ms", "5",
    "partitioner", "murmur2_random",
    /* Retries must never reorder a key's records: see producer_keep_order.
    ** librdkafka then also takes acks=all and unlimited retries, and
    ** refuses a user's acks, or more than 5 requests in flight, that
    ** contradict them. */
    "enable.idempotence", "true",
    /* One request in flight per broker connection, not librdkafka's 5 for
    ** an idempotent producer: the development broker (librdkafka 2.0.2's
    ** mock) does not check an idempotent producer's sequence numbers, so
    ** when a request fails and a later one to the same partition succeeds,
    ** the client takes the failed records as stored ("implicitly acked by
    ** subsequent batch success") and drops them: measured, 10 of 60,000
    ** records lost under REQUEST_TIMED_OUT on Produce.  A real broker
    ** refuses the later request instead, so on a real cluster props may
    ** raise this to 5 for throughput over a slow link. */
    "max.in.flight.requests.per.connection", "1",
    /* A record waits for its partition as long as it takes: librdkafka's
    ** default (300 s) fails every record still undelivered after five
    ** minutes of a broker outage, and the job with them.  eddy's sinks ride
    ** out outages of any length instead: records wait, checkpoints wait for
    ** them, the job goes on (kafka_driver.c).  A caller who sets a finite
    ** message.timeout.ms gets failed deliveries, which fail the job before
    ** any checkpoint could count them as written; so does a producer
    ** without idempotence (kafka_producer_new says why). */
    "message.timeout.ms", "0",
    /* Statistics every second (producer_stats): which partitions hold
    ** records not yet acknowledged and whether their leader is connected,
    ** for the job's reports while its sink waits; and the records sent
    ** again.  A few KB of JSON per broker and partition. */
    "statistics.interval.ms", "1000",
    /* Not delivery.report.only.error=true: it looks cheaper, but with
    ** librdkafka 2.0.2 it made producing ~3x slower (0.9M vs 3M msg/s). */
    NULL,
};

/* Room in the ring for record number nqueued; 0, -1 when out of memory. */
static int producer_ring_room(kafka_producer *p)
{
    if (p->nqueued - p->low < p->cap)
        return 0;
    long long ncap = p->cap ? 2 * p->cap : 4096;
    unsigned char *nd = calloc((size_t)ncap, 1);
    if (!nd)
        return -1;
    for (long long i = p->low; i < p->nqueued; i++)
        nd[i & (ncap - 1)] = p->done[i & (p->cap - 1)];
    free(p->done);
    p->done = nd;
    p->cap = ncap;
    return 0;
}

/* The delivery report of record number i came. */
static void producer_ring_done(kafka_producer *p, long long i)
{
    if (i < p->low || i >= p->nqueued || !p->cap)
        return;
    p->done[i & (p->cap - 1)] = 1;
    while (p->low < p->nqueued && p->done[p->low & (p->cap - 1)]) {
        p->done[p->low & (p->cap - 1)] = 0;
        p->low++;
    }
}

/*
** librdkafka's statistics (a JSON text, every statistics.interval.ms),
** read for one thing: which partitions hold records not yet acknowledged,
** and whether their leader is connected.  A small walk over the text
** that keeps the path of object keys; it trusts librdkafka's JSON.
*/
typedef struct StatsWalk {
    const char *s;           /* the text, and where the walk is */
    char path[4][128];       /* the keys down to the current value */
    int depth;               /* how many of them */
    /* partitions seen (topics.T.partitions.N, N >= 0) */
    kafka_part_wait parts[64];
    int nparts;
    /* brokers seen (brokers.NAME) */
    struct { int id; bool up; } brokers[64];
    int nbrokers;
    kafka_part_wait cur_part; /* the partition being read */
    long long cur_tx, cur_q, cur_xq; /* its txmsgs, msgq_cnt, xmit_msgq_cnt (-1 = not seen) */
    long long retried;       /* records sent again, over the partitions (producer_stats) */
    int cur_broker_id;       /* the broker being read: its id, */
    bool cur_broker_up;      /* whether it is connected */
} StatsWalk;

static void stats_skip_ws(StatsWalk *w)
{
    while (*w->s == ' ' || *w->s == '\n' || *w->s == '\t' || *w->s == '\r')
        w->s++;
}

/* A JSON string at w->s into out (escapes kept as they are: names here are
** plain); returns -1 when the text ends. */
static int stats_string(StatsWalk *w, char *out, size_t cap)
{
    size_t n = 0;
    if (*w->s != '"')
        return -1;
    w->s++;
    while (*w->s && *w->s != '"') {
        if (*w->s == '\\' && w->s[1])
            w->s++;
        if (n + 1 < cap)
            out[n++] = *w->s;
        w->s++;
    }
    out[n] = '\0';
    if (*w->s != '"')
        return -1;
    w->s++;
    return 0;
}

static bool stats_at(const StatsWalk *w, int depth, const char *k0, const char *k2)
{
    return w->depth == depth && strcmp(w->path[0], k0) == 0 && (!k2 || strcmp(w->path[2], k2) == 0);
}

static void stats_leaf(StatsWalk *w, const char *key, const char *str, long long num)
{
    if (stats_at(w, 4, "topics", "partitions")) {   /* topics.T.partitions.N.key */
        if (strcmp(key, "leader") == 0)
            w->cur_part.leader = (int32_t)num;
        else if (strcmp(key, "msgs") == 0)   /* produced to it since the producer was made */
            w->cur_part.records = num;
        else if (strcmp(key, "txmsgs") == 0)
            w->cur_tx = num;
        else if (strcmp(key, "msgq_cnt") == 0)
            w->cur_q = num;
        else if (strcmp(key, "xmit_msgq_cnt") == 0)
            w->cur_xq = num;
    } else if (stats_at(w, 2, "brokers", NULL)) {   /* brokers.NAME.key */
        if (strcmp(key, "nodeid") == 0)
            w->cur_broker_id = (int)num;
        else if (strcmp(key, "state") == 0 && str)
            w->cur_broker_up = strcmp(str, "UP") == 0;
    }
}

static int stats_value(StatsWalk *w, const char *key);

static int stats_object(StatsWalk *w)
{
    w->s++;   /* { */
    for (;;) {
        char key[128];
        stats_skip_ws(w);
        if (*w->s == '}') {
            w->s++;
            return 0;
        }
        if (stats_string(w, key, sizeof key))
            return -1;
        stats_skip_ws(w);
        if (*w->s++ != ':')
            return -1;
        stats_skip_ws(w);
        if (stats_value(w, key))
            return -1;
        stats_skip_ws(w);
        if (*w->s == ',')
            w->s++;
    }
}

static int stats_value(StatsWalk *w, const char *key)
{
    if (*w->s == '{') {
        bool push = w->depth < 4;
        if (push)
            snprintf(w->path[w->depth], sizeof w->path[0], "%s", key);
        w->depth += 1;
        bool part = stats_at(w, 4, "topics", "partitions");
        bool broker = stats_at(w, 2, "brokers", NULL);
        if (part) {
            memset(&w->cur_part, 0, sizeof w->cur_part);
            snprintf(w->cur_part.topic, sizeof w->cur_part.topic, "%s", w->path[1]);
            w->cur_part.partition = (int32_t)strtol(w->path[3], NULL, 10);
            w->cur_part.leader = -1;
            w->cur_tx = w->cur_q = w->cur_xq = -1;
        }
        if (broker) {
            w->cur_broker_id = -1;
            w->cur_broker_up = false;
        }
        int rc = stats_object(w);
        if (rc == 0 && part && w->cur_part.partition >= 0) {   /* not -1, the unassigned one */
            /* Records sent again: a failed Produce request (a timeout, a
            ** lost leader) puts its records back in their partition's queue
            ** and the next request counts them in txmsgs again; the broker's
            ** txretries counts only requests resent as they were, which
            ** Produce retries are not (measured: 5 failed requests of 100
            ** records raised txretries by 0 and txmsgs by 500).  So txmsgs
            ** minus the records sent at least once (msgs less those still
            ** queued) — Kafka's own producer metric record-retry-total. */
            long long sent = w->cur_part.records - (w->cur_q > 0 ? w->cur_q : 0) - (w->cur_xq > 0 ? w->cur_xq : 0);
            if (w->cur_tx > sent && w->cur_part.records >= 0)
                w->retried += w->cur_tx - sent;
            if (w->nparts < 64)
                w->parts[w->nparts++] = w->cur_part;
        }
        if (rc == 0 && broker && w->nbrokers < 64) {
            w->brokers[w->nbrokers].id = w->cur_broker_id;
            w->brokers[w->nbrokers++].up = w->cur_broker_up;
        }
        w->depth -= 1;
        return rc;
    }
    if (*w->s == '[') {   /* arrays: skipped (nothing read here is in one) */
        int level = 0;
        do {
            if (*w->s == '"') {
                char tmp[8];
                if (stats_string(w, tmp, sizeof tmp))
                    return -1;
                continue;
            }
            if (*w->s == '[')
                level++;
            else if (*w->s == ']')
                level--;
            else if (!*w->s)
                return -1;
            w->s++;
        } while (level > 0);
        return 0;
    }
    if (*w->s == '"') {
        char str[64];
        if (stats_string(w, str, sizeof str))
            return -1;
        stats_leaf(w, key, str, 0);
        return 0;
    }
    char *end;
    long long num = strtoll(w->s, &end, 10);
    while (*end && *end != ',' && *end != '}' && *end != ']')   /* fractions, true/false/null */
        end++;
    if (end == w->s)
        return -1;
    w->s = end;
    stats_leaf(w, key, NULL, num);
    return 0;
}

/* The delivery reports served per partition (for the 64 first partitions
** produced to): what the statistics count as produced minus these is what
** waits there. */
static int producer_part_find(kafka_producer *p, const char *topic, int32_t partition, bool add)
{
    int i = p->last_part;
    if (i < p->nparts && p->parts[i].partition == partition && strcmp(p->parts[i].topic, topic) == 0)
        return i;
    for (i = 0; i < p->nparts; i++)
        if (p->parts[i].partition == partition && strcmp(p->parts[i].topic, topic) == 0)
            return p->last_part = i;
    if (!add || p->nparts == (int)(sizeof p->parts / sizeof p->parts[0]))
        return -1;
    i = p->nparts++;
    snprintf(p->parts[i].topic, sizeof p->parts[i].topic, "%s", topic);
    p->parts[i].partition = partition;
    p->parts[i].reported = 0;
    p->parts[i].next = -1;
    p->parts[i].marked = -1;
    return p->last_part = i;
}

static void producer_part_reported(kafka_producer *p, const char *topic, int32_t partition, int64_t offset, long long num)
{
    int i = partition >= 0 ? producer_part_find(p, topic, partition, true) : -1;
    if (i < 0)
        return;
    p->parts[i].reported++;
    if (offset >= 0 && offset + 1 > p->parts[i].next)
        p->parts[i].next = offset + 1;
    if (offset >= 0 && num < p->mark && offset + 1 > p->parts[i].marked)
        p->parts[i].marked = offset + 1;
}

/* Statistics callback, served from rd_kafka_poll on the caller's thread. */
static int producer_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    kafka_producer *p = opaque;
    (void)rk;
    (void)len;
    StatsWalk *w = calloc(1, sizeof *w);
    if (!w)
        return 0;
    w->s = json;
    stats_skip_ws(w);
    if (*w->s == '{' && stats_object(w) == 0) {   /* the top object has no key: depth 0 */
        /* What waits in a partition: what was produced to it minus the
        ** delivery reports served for it (wherever librdkafka keeps the
        ** records meanwhile: its queues, requests to a broker, a retry). */
        p->nwaiting = 0;
        for (int i = 0; i < w->nparts; i++) {
            kafka_part_wait *pw = &w->parts[i];
            int k = producer_part_find(p, pw->topic, pw->partition, false);
            pw->records -= k >= 0 ? p->parts[k].reported : 0;
            if (pw->records <= 0 || (k < 0 && p->nparts == (int)(sizeof p->parts / sizeof p->parts[0])))
                continue;   /* nothing waits (or, past the 64th partition, nothing known) */
            for (int b = 0; b < w->nbrokers; b++)
                if (w->brokers[b].id == pw->leader)
                    pw->leader_up = w->brokers[b].up;
            if (p->nwaiting < KAFKA_MAX_WAITING)
                p->waiting[p->nwaiting] = *pw;
            p->nwaiting++;
        }
    }
    if (w->retried > p->nretried)   /* the counter only grows */
        p->nretried = w->retried;
    free(w);
    p->stats_at++;
    return 0;   /* librdkafka frees json */
}

/* Delivery report callback, served from rd_kafka_poll/flush on the caller's
** thread. */
static void producer_dr(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    kafka_producer *p = opaque;
    (void)rk;
    p->nacked++;
    producer_ring_done(p, (long long)(intptr_t)m->_private);
    producer_part_reported(p, rd_kafka_topic_name(m->rkt), m->partition, m->err ? -1 : m->offset, (long long)(intptr_t)m->_private);
    if (!m->err)
        return;
    if (p->nfailed++ == 0) {
        if (m->partition >= 0)
            snprintf(p->first_fail, sizeof p->first_fail,
                     "delivery to topic '%s' partition %d failed: %s",
                     rd_kafka_topic_name(m->rkt), (int)m->partition,
                     rd_kafka_err2str(m->err));
        else
            snprintf(p->first_fail, sizeof p->first_fail,
                     "delivery to topic '%s' failed: %s",
                     rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    }
}

/* Client-level errors (connection refused, all brokers down...), served on
** the caller's thread; kept to explain a flush that times out. */
static void producer_error(rd_kafka_t *rk, int e, const char *reason,
                           void *opaque)
{
    kafka_producer *p = opaque;
    (void)rk;
    (void)e;
    p->nerrors++;
    snprintf(p->last_error, sizeof p->last_error, "%s", reason);
}

/*
** Keep each partition's records in the order they were produced, whatever
** the caller's properties say.  A producer with several requests in flight
** that retries one (a request timeout, a dropped connection) may land a
** later batch before the earlier one; for an upsert sink that leaves a key
** with a stale value at the end (issue 17: with REQUEST_TIMED_OUT on
** Produce, 35 users ended with old counts).  The idempotent producer, on by
** default, numbers each partition's batches and a real broker stores them
** only in sequence, so even 5 requests in flight stay in order there.  A
** caller who turns idempotence off keeps the default of one request in
** flight per connection, the only other way to keep the order; asking for
** more is refused, naming the property.
*/
static int producer_keep_order(rd_kafka_conf_t *conf, const char *const *props,
                               char *err, size_t errlen)
{
    char val[32];
    size_t len = sizeof val;
    const char *name = "max.in.flight.requests.per.connection", *given = NULL;

    if (rd_kafka_conf_get(conf, "enable.idempotence", val, &len) !=
            RD_KAFKA_CONF_OK ||
        strcmp(val, "false") != 0)
        return 0;
    len = sizeof val;
    if (rd_kafka_conf_get(conf, name, val, &len) != RD_KAFKA_CONF_OK ||
        strcmp(val, "1") == 0)
        return 0;
    /* The caller set it (eddy's default is 1), maybe by its alias. */
    for (const char *const *kv = props; kv && kv[0] && kv[1]; kv += 2)
        if (strcmp(kv[0], "max.in.flight.requests.per.connection") == 0 ||
            strcmp(kv[0], "max.in.flight") == 0) {
            name = kv[0];
            given = kv[1];
        }
    str_errf(err, errlen,
             "property '%s' = '%s' with 'enable.idempotence' = 'false': "
             "retried requests would reorder a key's records; set it to 1, "
             "or leave idempotence on",
             name, given ? given : val);
    return -1;
}

kafka_producer *kafka_producer_new(const char *bootstrap,
                                   const char *const *props, char *err,
                                   size_t errlen)
{
    char why[512];
    kafka_producer *p;
    rd_kafka_conf_t *conf =
        conf_build(producer_defaults, bootstrap, props, err, errlen);

    if (!conf)
        return NULL;
    if (producer_keep_order(conf, props, err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* Without idempotence, librdkafka's own message timeout and no
    ** statistics (unless asked for), as eddy's producer had before sinks
    ** rode out outages: under e2e/faults_produce_noidem's faults, a
    ** producer without idempotence whose records never time out, or that
    ** emits statistics, or whose job goes on while it retries, was seen
    ** landing retried records after later ones in about one run in three
    ** (librdkafka: "retrying may cause reordering unless
    ** enable.idempotence is set"); the old configuration, with checkpoints
    ** that wait in place (kafka_driver.c), passed every run measured.  So
    ** only an idempotent producer waits forever and names the partitions
    ** it waits for (kafka_producer_waiting); this one fails its records
    ** after 5 minutes of an outage, which fails the job before a
    ** checkpoint counts them. */
    {
        char iv[16];
        size_t il = sizeof iv;
        if (rd_kafka_conf_get(conf, "enable.idempotence", iv, &il) == RD_KAFKA_CONF_OK && strcmp(iv, "false") == 0 &&
            ((!props_have(props, "statistics.interval.ms") && conf_set1(conf, "statistics.interval.ms", "0", err, errlen)) ||
             (!props_have(props, "message.timeout.ms") && !props_have(props, "delivery.timeout.ms") &&
              conf_set1(conf, "message.timeout.ms", "300000", err, errlen)))) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        rd_kafka_conf_destroy(conf);
        str_errf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, producer_dr);
    rd_kafka_conf_set_error_cb(conf, producer_error);
    rd_kafka_conf_set_stats_cb(conf, producer_stats);
    {
        char qv[32];
        size_t ql = sizeof qv;
        p->max_queue = rd_kafka_conf_get(conf, "queue.buffering.max.messages", qv, &ql) == RD_KAFKA_CONF_OK
                           ? strtoll(qv, NULL, 10)
                           : 100000;
    }
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        /* e.g. "`acks` must be set to `all` when `enable.idempotence` is
        ** true": say that the idempotence was eddy's choice. */
        if (strstr(why, "idempotence") && !props_get(props, "enable.idempotence"))
            str_errf(err, errlen, "cannot create producer: %s (eddy's producers "
                     "are idempotent unless 'enable.idempotence' = 'false')", why);
        else
            str_errf(err, errlen, "cannot create producer: %s", why);
        free(p);
        return NULL;
    }
    return p;
}

int kafka_produce(kafka_producer *p, const char *topic, int32_t partition,
                  const void *key, size_t klen, const void *val, size_t vlen,
                  int64_t ts_ms, const kafka_header *hdrs, int nhdrs, char *err,
                  size_t errlen)
{
    rd_kafka_vu_t stackvu[7 + PRODUCE_STACK_HEADERS];
    rd_kafka_vu_t *vu = stackvu;
    size_t n = 0;
    int rc = 0;

    if (nhdrs < 0)
        nhdrs = 0;
    if (nhdrs > PRODUCE_STACK_HEADERS) {
        vu = malloc((7 + (size_t)nhdrs) * sizeof *vu);
        if (!vu) {
            str_errf(err, errlen, "out of memory");
            return -1;
        }
    }
    rd_kafka_topic_t *rkt = NULL;
    for (int i = 0; i < PRODUCER_TOPICS && p->rkt[i]; i++)
        if (strcmp(rd_kafka_topic_name(p->rkt[i]), topic) == 0) rkt = p->rkt[i];
    if (!rkt) {
        int i = 0;
        while (i < PRODUCER_TOPICS && p->rkt[i]) i++;
        if (i < PRODUCER_TOPICS) rkt = p->rkt[i] = rd_kafka_topic_new(p->rk, topic, NULL);
    }
    if (rkt) {
        vu[n].vtype = RD_KAFKA_VTYPE_RKT;
        vu[n++].u.rkt = rkt;
    } else {
        vu[n].vtype = RD_KAFKA_VTYPE_TOPIC;
        vu[n++].u.cstr = topic;
    }
    vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[n++].u.i32 = partition < 0 ? RD_KAFKA_PARTITION_UA : partition;
    vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
    /* Its number, for kafka_producer_acked_below (the ring has room for it). */
    if (producer_ring_room(p)) {
        if (vu != stackvu)
            free(vu);
        str_errf(err, errlen, "out of memory");
        return -1;
    }
    vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[n++].u.ptr = (void *)(intptr_t)p->nqueued;
    if (key) {
        vu[n].vtype = RD_KAFKA_VTYPE_KEY;
        vu[n].u.mem.ptr = (void *)key;
        vu[n++].u.mem.size = klen;
    }
    /* A NULL value pointer is how librdkafka writes a null (tombstone). */
    vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[n].u.mem.ptr = (void *)val;
    vu[n++].u.mem.size = val ? vlen : 0;
    if (ts_ms) {
        vu[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
        vu[n++].u.i64 = ts_ms;
    }
    for (int i = 0; i < nhdrs; i++) {
        vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
        vu[n].u.header.name = hdrs[i].name;
        vu[n].u.header.val = hdrs[i].value;
        vu[n++].u.header.size = hdrs[i].value ? (ssize_t)hdrs[i].len : 0;
    }

    for (;;) {
        rd_kafka_error_t *e = rd_kafka_produceva(p->rk, vu, n);
        if (!e)
            break;
        if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* Wait for deliveries to make room, then try again. */
            rd_kafka_error_destroy(e);
            rd_kafka_poll(p->rk, 100);
            p->since_poll = 0;
            continue;
        }
        if (partition >= 0)
            str_errf(err, errlen, "produce to topic '%s' partition %d: %s",
                   topic, (int)partition, rd_kafka_error_string(e));
        else
            str_errf(err, errlen, "produce to topic '%s': %s", topic,
                   rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rc = -1;
        break;
    }
    if (vu != stackvu)
        free(vu);
    if (rc == 0)
        p->nqueued++;
    if (rc == 0 && ++p->since_poll >= PRODUCE_POLL_EVERY) {
        rd_kafka_poll(p->rk, 0);
        p->since_poll = 0;
    }
    return rc;
}

/* Report and forget the delivery failures collected so far. */
static int producer_take_failures(kafka_producer *p, char *err, size_t errlen)
{
    char fatal[256];
    if (rd_kafka_fatal_error(p->rk, fatal, sizeof fatal)) {
        str_errf(err, errlen, "producer failed: %s", fatal);
        return -1;
    }
    if (p->nfailed == 0)
        return 0;
    if (p->nfailed == 1)
        str_errf(err, errlen, "%s", p->first_fail);
    else
        str_errf(err, errlen, "%s (and %ld more failed deliveries)",
               p->first_fail, p->nfailed - 1);
    p->nfailed = 0;
    p->first_fail[0] = '\0';
    return -1;
}

int kafka_producer_poll(kafka_producer *p, char *err, size_t errlen)
{
    rd_kafka_poll(p->rk, 0);
    p->since_poll = 0;
    return producer_take_failures(p, err, errlen);
}

int kafka_producer_acked_next(kafka_producer *p, const char *topic, int32_t partition, int64_t *next)
{
    int i = producer_part_find(p, topic, partition, false);
    if (i < 0 || p->parts[i].next < 0)
        return -1;
    *next = p->parts[i].next;
    return 0;
}

void kafka_producer_mark(kafka_producer *p, long long mark)
{
    /* every record reported so far is numbered below the mark (reports
    ** come for queued records, and the mark is at least what was queued) */
    p->mark = mark;
    for (int i = 0; i < p->nparts; i++)
        p->parts[i].marked = p->parts[i].next;
}

int kafka_producer_marked_next(kafka_producer *p, const char *topic, int32_t partition, int64_t *next)
{
    int i = producer_part_find(p, topic, partition, false);
    if (i < 0 && p->nparts == (int)(sizeof p->parts / sizeof p->parts[0]))
        return -2;   /* past the 64th partition: not known */
    if (i < 0 || p->parts[i].marked < 0)
        return -1;
    *next = p->parts[i].marked;
    return 0;
}

long long kafka_producer_acked_below(const kafka_producer *p)
{
    return p->low;
}

bool kafka_producer_idempotent(const kafka_producer *p)
{
    char iv[16];
    size_t il = sizeof iv;
    return !(rd_kafka_conf_get(rd_kafka_conf(p->rk), "enable.idempotence", iv, &il) == RD_KAFKA_CONF_OK && strcmp(iv, "false") == 0);
}

int kafka_producer_serve(kafka_producer *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
    p->since_poll = 0;
    return rd_kafka_outq_len(p->rk);
}

bool kafka_producer_full(const kafka_producer *p)
{
    return p->max_queue > 0 && (long long)rd_kafka_outq_len(p->rk) >= p->max_queue / 2;
}

int kafka_producer_waiting(const kafka_producer *p, kafka_part_wait *out, int max)
{
    int n = p->nwaiting < KAFKA_MAX_WAITING ? p->nwaiting : KAFKA_MAX_WAITING;
    if (n > max)
        n = max;
    memcpy(out, p->waiting, sizeof *out * (size_t)n);
    char iv[16];
    size_t il = sizeof iv;
    const rd_kafka_conf_t *conf = rd_kafka_conf(p->rk);
    if (!p->stats_at && rd_kafka_conf_get(conf, "statistics.interval.ms", iv, &il) == RD_KAFKA_CONF_OK && strcmp(iv, "0") == 0)
        return -2;
    return p->stats_at ? p->nwaiting : -1;
}

int kafka_producer_flush(kafka_producer *p, int timeout_ms, char *err,
                         size_t errlen)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    p->since_poll = 0;
    if (producer_take_failures(p, err, errlen))
        return -1;
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        str_errf(err, errlen,
               "flush timed out after %d ms with %d records not yet "
               "acknowledged%s%s%s",
               timeout_ms, rd_kafka_outq_len(p->rk),
               p->last_error[0] ? " (last error: " : "", p->last_error,
               p->last_error[0] ? ")" : "");
        return -1;
    }
    if (e) {
        str_errf(err, errlen, "flush: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

void kafka_producer_free(kafka_producer *p)
{
    if (!p)
        return;
    for (int i = 0; i < PRODUCER_TOPICS && p->rkt[i]; i++)
        rd_kafka_topic_destroy(p->rkt[i]);
    rd_kafka_destroy(p->rk);
    free(p->done);
    free(p);
}

int kafka_producer_partition_count(kafka_producer *p, const char *topic,
                                   int timeout_ms, int *count, char *err,
                                   size_t errlen)
{
    int rc =
        md_partition_count(p->rk, topic, 1, timeout_ms, count, err, errlen);
    if (rc && p->last_error[0] == '\0')
        rd_kafka_poll(p->rk, 0); /* pick up a connection error to explain */
    if (rc && p->last_error[0] && err && errlen) {
        size_t used = strlen(err);
        if (used < errlen)
            snprintf(err + used, errlen - used, " (last error: %s)",
                     p->last_error);
    }
    return rc;
}

/* ---- Consumer ----------------------------------------------------------- */

static const char *const consumer_defaults[] = {
    "client.id", "eddy",
    /* librdkafka's assign() lives in its group consumer, which needs a
    ** group.id; eddy never subscribes, so the group is never joined. */
    "group.id", "eddy",
    "enable.auto.commit", "false",
    "enable.auto.offset.store", "false",
    "enable.partition.eof", "false",
    "auto.offset.reset", "error",
    /* The 2.0.2 client stops fetching once queued.min.messages (100k by
    ** default) are queued and only rechecks about once a second. */
    "queued.min.messages", "1000000",
    /* An empty fetch waits this long on the broker; keep latency low. */
    "fetch.wait.max.ms", "10",
    NULL,
};

kafka_consumer *kafka_consumer_new(const char *bootstrap,
                                   const char *const *props, char *err,
                                   size_t errlen)
{
    char why[512];
    rd_kafka_resp_err_t e;
    kafka_consumer *c;
    rd_kafka_conf_t *conf =
        conf_build(consumer_defaults, bootstrap, props, err, errlen);

    if (!conf)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c) {
        rd_kafka_conf_destroy(conf);
        str_errf(err, errlen, "out of memory");
        return NULL;
    }
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        str_errf(err, errlen, "cannot create consumer: %s", why);
        free(c);
        return NULL;
    }
    /* Route client errors into the consumer queue, where poll_batch sees
    ** them, rather than into a main queue nobody serves. */
    e = rd_kafka_poll_set_consumer(c->rk);
    c->queue = e ? NULL : rd_kafka_queue_get_consumer(c->rk);
    if (!c->queue) {
        str_errf(err, errlen, "cannot set up the consumer queue: %s",
               rd_kafka_err2str(e ? e : RD_KAFKA_RESP_ERR__UNKNOWN_GROUP));
        rd_kafka_destroy(c->rk);
        free(c);
        return NULL;
    }
    return c;
}

int kafka_partition_count(kafka_consumer *c, const char *topic, int timeout_ms,
                          int *count, char *err, size_t errlen)
{
    return md_partition_count(c->rk, topic, 0, timeout_ms, count, err, errlen);
}

int kafka_list_topics(kafka_consumer *c, char ***names, int *n, int timeout_ms, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 1, NULL, &md, timeout_ms);
    *names = NULL;
    *n = 0;
    if (e) {
        str_errf(err, errlen, "listing the cluster's topics: %s", rd_kafka_err2str(e));
        return -1;
    }
    char **v = calloc((size_t)md->topic_cnt + 1, sizeof *v);
    if (!v) abort();
    int k = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err && md->topics[i].partition_cnt > 0) {
            v[k] = strdup(md->topics[i].topic);
            if (!v[k]) abort();
            k++;
        }
    rd_kafka_metadata_destroy(md);
    *names = v;
    *n = k;
    return 0;
}

int kafka_watermarks(kafka_consumer *c, const char *topic, int32_t partition,
                     int64_t *lo, int64_t *hi, int timeout_ms, char *err,
                     size_t errlen)
{
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
        c->rk, topic, partition, lo, hi, timeout_ms);
    if (e) {
        str_errf(err, errlen, "watermarks of topic '%s' partition %d: %s", topic,
               (int)partition, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int kafka_assign(kafka_consumer *c, const kafka_tp *tps, int n, char *err,
                 size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t e;

    if (n < 0)
        n = 0;
    /* Check every partition against the cluster's metadata: one request for
    ** all topics, which (unlike asking about one topic) never makes the
    ** mock broker auto-create a misspelt topic. */
    if (n > 0 && md_fetch(c->rk, tps[0].topic, 0, ASSIGN_METADATA_TIMEOUT_MS,
                          &md, err, errlen))
        return -1;
    for (int i = 0; i < n; i++) {
        int count;
        if (md_count(md, tps[i].topic, &count, err, errlen)) {
            rd_kafka_metadata_destroy(md);
            return -1;
        }
        if (tps[i].partition < 0 || tps[i].partition >= count) {
            str_errf(err, errlen, "topic '%s' has no partition %d (it has %d)",
                   tps[i].topic, (int)tps[i].partition, count);
            rd_kafka_metadata_destroy(md);
            return -1;
        }
        if (tps[i].offset < 0 && tps[i].offset != KAFKA_OFFSET_BEGINNING &&
            tps[i].offset != KAFKA_OFFSET_END) {
            str_errf(err, errlen,
                   "topic '%s' partition %d: bad start offset %lld",
                   tps[i].topic, (int)tps[i].partition,
                   (long long)tps[i].offset);
            rd_kafka_metadata_destroy(md);
            return -1;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    /* The topics exist, so asking about each one creates nothing; it makes
    ** the client learn their partition leaders now, without which the first
    ** fetch from some brokers waits about 500 ms. */
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(tps[j].topic, tps[i].topic) == 0;
        if (seen)
            continue;
        if (md_fetch(c->rk, tps[i].topic, 1, ASSIGN_METADATA_TIMEOUT_MS, &md,
                     err, errlen))
            return -1;
        rd_kafka_metadata_destroy(md);
    }

    list = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, tps[i].topic,
                                          tps[i].partition)->offset =
            tps[i].offset;
    e = rd_kafka_assign(c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e) {
        str_errf(err, errlen, "assign: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Errors after which the consumer cannot go on correctly: data is missing or
** the client is dead.  Everything else is retried inside librdkafka. */
static int consumer_error_is_fatal(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        return 1;
    default:
        return 0;
    }
}

/* Describe a consumer error, naming topic, partition and offset if known. */
static void describe_error(const rd_kafka_message_t *m, char *buf, size_t cap)
{
    if (m->rkt && m->offset >= 0)
        snprintf(buf, cap, "topic '%s' partition %d offset %lld: %s",
                 rd_kafka_topic_name(m->rkt), (int)m->partition,
                 (long long)m->offset, rd_kafka_message_errstr(m));
    else if (m->rkt)
        snprintf(buf, cap, "topic '%s' partition %d: %s",
                 rd_kafka_topic_name(m->rkt), (int)m->partition,
                 rd_kafka_message_errstr(m));
    else
        snprintf(buf, cap, "consumer: %s", rd_kafka_message_errstr(m));
}

int kafka_poll_batch(kafka_consumer *c, kafka_msg *msgs, int max,
                     int timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
    int wait = timeout_ms;
    int n = 0;

    if (c->failed) {
        str_errf(err, errlen, "%s", c->fatal_msg);
        return -1;
    }
    if (max <= 0)
        return 0;
    if (max > c->scratchcap) {
        rd_kafka_message_t **s = realloc(c->scratch, (size_t)max * sizeof *s);
        if (!s) {
            str_errf(err, errlen, "out of memory");
            return -1;
        }
        c->scratch = s;
        c->scratchcap = max;
    }

    for (;;) {
        /* consume_batch_queue waits until its array is full or the timeout
        ** passes, so wait for one record, then take what else is queued. */
        ssize_t got =
            rd_kafka_consume_batch_queue(c->queue, wait, c->scratch, 1);
        if (got == 1 && max > 1) {
            ssize_t more = rd_kafka_consume_batch_queue(c->queue, 0,
                                                        c->scratch + 1,
                                                        (size_t)max - 1);
            if (more > 0)
                got += more;
        }
        if (got < 0) {
            str_errf(err, errlen, "consume: %s",
                   rd_kafka_err2str(rd_kafka_last_error()));
            kafka_release_batch(c, msgs, n);
            return -1;
        }
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = c->scratch[i];
            kafka_msg *out;

            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    /* only if the caller turned enable.partition.eof on */
                } else if (!c->failed && consumer_error_is_fatal(m->err)) {
                    describe_error(m, c->fatal_msg, sizeof c->fatal_msg);
                    c->failed = 1;
                } else {
                    describe_error(m, c->warning, sizeof c->warning);
                    c->nwarnings++;
                }
                rd_kafka_message_destroy(m);
                continue;
            }
            if (c->failed) {
                /* Nothing after a fatal error is handed out. */
                rd_kafka_message_destroy(m);
                continue;
            }
            out = &msgs[n++];
            out->topic = rd_kafka_topic_name(m->rkt);
            out->partition = m->partition;
            out->offset = m->offset;
            out->ts_ms = rd_kafka_message_timestamp(m, NULL);
            out->key = m->key;
            out->klen = m->key_len;
            out->value = m->payload;
            out->vlen = m->payload ? m->len : 0;
            out->priv_ = m;
        }
        /* Records read before a fatal error are returned first; the error
        ** comes with the next call. */
        if (c->failed && n == 0) {
            str_errf(err, errlen, "%s", c->fatal_msg);
            return -1;
        }
        if (n > 0 || c->failed || timeout_ms == 0)
            return n;
        if (timeout_ms > 0) {
            wait = (int)(deadline - mono_ms());
            if (wait <= 0)
                return 0;
        }
        /* Only errors arrived; keep waiting for records. */
    }
}

int kafka_msg_header(const kafka_msg *m, const char *name, const void **val,
                     size_t *len)
{
    rd_kafka_headers_t *hdrs;
    const void *v;
    size_t l;

    if (rd_kafka_message_headers(m->priv_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    if (rd_kafka_header_get_last(hdrs, name, &v, &l) !=
        RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    *val = v;
    *len = v ? l : 0;
    return 0;
}

int kafka_msg_headers(const kafka_msg *m, kafka_header *out, int max)
{
    rd_kafka_headers_t *hdrs;
    if (rd_kafka_message_headers(m->priv_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    int n = 0;
    const char *name;
    const void *v;
    size_t l;
    while (n < max && rd_kafka_header_get_all(hdrs, (size_t)n, &name, &v, &l) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        out[n].name = name;
        out[n].value = v;
        out[n].len = v ? l : 0;
        n++;
    }
    return n;
}

void kafka_release_batch(kafka_consumer *c, kafka_msg *msgs, int n)
{
    (void)c;
    for (int i = 0; i < n; i++) {
        rd_kafka_message_destroy(msgs[i].priv_);
        msgs[i].priv_ = NULL;
    }
}

const char *kafka_consumer_last_warning(const kafka_consumer *c)
{
    return c->warning;
}

void kafka_consumer_free(kafka_consumer *c)
{
    if (!c)
        return;
    /* The queue reference must be dropped before the consumer closes. */
    rd_kafka_queue_destroy(c->queue);
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    free(c->scratch);
    free(c);
}

/* ---- admin: creating a topic ---- */

int kafka_create_topic(kafka_producer *p, const char *topic, int partitions,
                       int timeout_ms, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1, why, sizeof why);
    if (!nt) {
        str_errf(err, errlen, "topic '%s': %s", topic, why);
        return -1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(p->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, NULL, 0);
    rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, NULL, 0);
    rd_kafka_CreateTopics(p->rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    int rc = -1;
    if (!ev) {
        str_errf(err, errlen, "creating topic '%s': the cluster did not answer within %d ms (no admin API?)", topic, timeout_ms);
    } else if (rd_kafka_event_error(ev)) {
        str_errf(err, errlen, "creating topic '%s': %s", topic, rd_kafka_event_error_string(ev));
    } else {
        const rd_kafka_CreateTopics_result_t *r = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t **tr = r ? rd_kafka_CreateTopics_result_topics(r, &n) : NULL;
        rd_kafka_resp_err_t e = n ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            rc = 0;
        else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            rc = 1;
        else
            str_errf(err, errlen, "creating topic '%s' with %d partitions: %s", topic, partitions,
                     n && rd_kafka_topic_result_error_string(tr[0]) ? rd_kafka_topic_result_error_string(tr[0])
                                                                    : rd_kafka_err2str(e));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

/* ---- group membership ---- */

struct kafka_member {
    rd_kafka_t *rk;               /* a subscribed consumer; its partitions stay paused */
    kafka_member_fn assign, revoke;
    void *ctx;
    long long rebalances;         /* served so far */
    char fatal[512];              /* a rebalance that failed, or "" */
};

static const char *const member_defaults[] = {
    "client.id", "eddy",
    "enable.auto.commit", "false",
    "enable.auto.offset.store", "false",
    "enable.partition.eof", "false",
    /* Every member names the same single assignor: members listing
    ** assignors in different orders crash the development broker. */
    "partition.assignment.strategy", "range",
    NULL,
};

/* The partitions of a list as kafka_tps (names point into the list). */
static kafka_tp *member_tps(const rd_kafka_topic_partition_list_t *l)
{
    kafka_tp *v = calloc((size_t)l->cnt + 1, sizeof *v);
    if (!v) abort();
    for (int i = 0; i < l->cnt; i++)
        v[i] = (kafka_tp){l->elems[i].topic, l->elems[i].partition, l->elems[i].offset};
    return v;
}

static void member_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka_member *m = opaque;
    kafka_tp *tps = member_tps(parts);
    rd_kafka_resp_err_t ae;
    m->rebalances++;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ae = rd_kafka_assign(rk, parts);
        if (!ae)
            ae = rd_kafka_pause_partitions(rk, parts);   /* the member reads nothing itself */
        if (ae && !m->fatal[0])
            snprintf(m->fatal, sizeof m->fatal, "taking the group's assignment: %s", rd_kafka_err2str(ae));
        else if (m->assign)
            m->assign(m->ctx, tps, parts->cnt);
    } else {
        if (m->revoke)
            m->revoke(m->ctx, tps, parts->cnt);   /* before anyone else may take them */
        rd_kafka_assign(rk, NULL);
    }
    free(tps);
}

kafka_member *kafka_member_new(const char *bootstrap, const char *group,
                               const char *const *topics, int ntopics,
                               const char *const *props, kafka_member_fn assign,
                               kafka_member_fn revoke, void *ctx, char *err,
                               size_t errlen)
{
    char why[512];
    rd_kafka_conf_t *conf = conf_build(member_defaults, bootstrap, props, err, errlen);
    if (!conf)
        return NULL;
    if (conf_set1(conf, "group.id", group, err, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    kafka_member *m = calloc(1, sizeof *m);
    if (!m) abort();
    *m = (kafka_member){.assign = assign, .revoke = revoke, .ctx = ctx};
    rd_kafka_conf_set_opaque(conf, m);
    rd_kafka_conf_set_rebalance_cb(conf, member_rebalance);
    m->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!m->rk) {
        rd_kafka_conf_destroy(conf);
        str_errf(err, errlen, "cannot create the group member: %s", why);
        free(m);
        return NULL;
    }
    rd_kafka_poll_set_consumer(m->rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(ntopics > 0 ? ntopics : 1);
    for (int i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(m->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        str_errf(err, errlen, "joining group '%s': %s", group, rd_kafka_err2str(e));
        kafka_member_free(m);
        return NULL;
    }
    return m;
}

int kafka_member_poll(kafka_member *m, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, timeout_ms);
    if (msg) {
        /* Only errors can come (the partitions are paused); a topic that
        ** does not exist yet is not fatal: the group waits for it. */
        if (msg->err && msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
            msg->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
            rd_kafka_fatal_error(m->rk, NULL, 0))
            snprintf(m->fatal, sizeof m->fatal, "group member: %s", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
    }
    if (m->fatal[0]) {
        str_errf(err, errlen, "%s", m->fatal);
        return -1;
    }
    return 0;
}

long long kafka_member_rebalances(const kafka_member *m)
{
    return m->rebalances;
}

void kafka_member_free(kafka_member *m)
{
    if (!m)
        return;
    rd_kafka_consumer_close(m->rk);   /* serves the last revoke */
    rd_kafka_destroy(m->rk);
    free(m);
}

/* ---- start positions: by timestamp, from the consumer group ---- */

static rd_kafka_topic_partition_list_t *tp_list(const char *topic, int nparts, int64_t offset)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts > 0 ? nparts : 1);
    for (int i = 0; i < nparts; i++) rd_kafka_topic_partition_list_add(l, topic, i)->offset = offset;
    return l;
}

int kafka_offsets_for_time(kafka_consumer *c, const char *topic, int nparts, int64_t ts_ms, int64_t *out, int timeout_ms, char *err,
                           size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = tp_list(topic, nparts, ts_ms);
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(c->rk, l, timeout_ms);
    if (e) {
        str_errf(err, errlen, "offsets for timestamp %lld of topic '%s': %s", (long long)ts_ms, topic, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(l);
        return -1;
    }
    for (int i = 0; i < l->cnt; i++) {
        if (l->elems[i].err) {
            str_errf(err, errlen, "offset for timestamp %lld of topic '%s' partition %d: %s", (long long)ts_ms, topic, i,
                   rd_kafka_err2str(l->elems[i].err));
            rd_kafka_topic_partition_list_destroy(l);
            return -1;
        }
        /* -1: no record at or after the timestamp: start at the end. */
        out[l->elems[i].partition] = l->elems[i].offset < 0 ? KAFKA_OFFSET_END : l->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

int kafka_committed(kafka_consumer *c, const char *topic, int nparts, int64_t *out, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = tp_list(topic, nparts, RD_KAFKA_OFFSET_INVALID);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, l, timeout_ms);
    if (e) {
        str_errf(err, errlen, "committed offsets of topic '%s': %s", topic, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(l);
        return -1;
    }
    for (int i = 0; i < l->cnt; i++) out[l->elems[i].partition] = l->elems[i].offset >= 0 ? l->elems[i].offset : -1;
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

static int commit_offsets(kafka_consumer *c, const char *topic, const int64_t *next, int nparts, int async, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts > 0 ? nparts : 1);
    for (int i = 0; i < nparts; i++)
        if (next[i] >= 0) rd_kafka_topic_partition_list_add(l, topic, i)->offset = next[i];
    rd_kafka_resp_err_t e = l->cnt ? rd_kafka_commit(c->rk, l, async) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        str_errf(err, errlen, "commit offsets of topic '%s': %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int kafka_commit(kafka_consumer *c, const char *topic, const int64_t *next, int nparts, char *err, size_t errlen)
{
    return commit_offsets(c, topic, next, nparts, 1, err, errlen);
}

int kafka_commit_wait(kafka_consumer *c, const char *topic, const int64_t *next, int nparts, char *err, size_t errlen)
{
    return commit_offsets(c, topic, next, nparts, 0, err, errlen);
}

/* ---- counters for metrics ---- */

void kafka_producer_counts(const kafka_producer *p, long long *queued, long long *acked, long long *errors)
{
    *queued = p->nqueued;
    *acked = p->nacked;
    *errors = p->nerrors;
}

long long kafka_producer_retried(const kafka_producer *p) { return p->nretried; }

long long kafka_consumer_warnings(const kafka_consumer *c) { return c->nwarnings; }

int kafka_cached_high(kafka_consumer *c, const char *topic, int32_t partition, int64_t *hi)
{
    int64_t lo;
    return rd_kafka_get_watermark_offsets(c->rk, topic, partition, &lo, hi) == RD_KAFKA_RESP_ERR_NO_ERROR && *hi >= 0 ? 0 : -1;
}
