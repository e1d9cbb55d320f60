/*
** cmd_gen.c — the `eddy gen orders` command: produces the reference order
** stream (connect/gen.c) to a Kafka topic at a given rate, with
** token-bucket pacing, until --count orders or SIGINT/SIGTERM, and says
** what it did on stderr.  Talks to Kafka only through kafka.h.  The only
** global is the flag the SIGINT/SIGTERM handler sets.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "cmd.h"

#include "gen.h"
#include "kafka.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Everything `eddy gen orders` is told. */
typedef struct gen_opts {
    const char *topic;     /* destination topic (required) */
    const char *bootstrap; /* --bootstrap, else $EDDY_BOOTSTRAP */
    double rate;           /* orders per second, 0 = as fast as possible */
    int64_t count;         /* orders to produce, 0 = until interrupted */
    uint64_t seed;         /* generator seed */
    int64_t users;         /* user ids are 1..users */
    int64_t regions;       /* regions used: the first `regions` names */
    Format format;         /* FMT_JSON or FMT_AVRO_CONFLUENT */
    const char *registry;  /* --registry, else $EDDY_REGISTRY (avro-confluent) */
} gen_opts;

static const OptEnum gen_formats[] = {
    {"json", FMT_JSON, NULL}, {"avro-confluent", FMT_AVRO_CONFLUENT, NULL}, {0},
};

static const OptionDef gen_flags[] = {
    {.name = "topic", .type = OPT_STRING, .to = {OPT_FIELD(gen_opts, topic)}, .required = true, .metavar = "T",
     .doc = "topic to produce to"},
    {.name = "rate", .type = OPT_DOUBLE, .to = {OPT_FIELD(gen_opts, rate)}, .min = 0, .max = 1000000000, .deflt = "0",
     .metavar = "R", .doc = "orders per second; 0 = as fast as possible"},
    {.name = "count", .type = OPT_INT, .to = {OPT_FIELD(gen_opts, count)}, .min = 0, .max = 1000000000000000000,
     .deflt = "0", .metavar = "N", .doc = "orders to produce; 0 = until SIGINT/SIGTERM"},
    {.name = "seed", .type = OPT_UINT, .to = {OPT_FIELD(gen_opts, seed)}, .deflt = "1", .metavar = "S",
     .doc = "generator seed; same seed, same orders"},
    FLAG_BOOTSTRAP(gen_opts, bootstrap, NULL),
    {.name = "users", .type = OPT_INT, .to = {OPT_FIELD(gen_opts, users)}, .min = 1, .max = 2147483647,
     .deflt = FLAG_TEXT(GEN_DEFAULT_USERS), .metavar = "U", .doc = "user_id is uniform in 1..U"},
    {.name = "regions", .type = OPT_INT, .to = {OPT_FIELD(gen_opts, regions)}, .min = 1, .max = GEN_MAX_REGIONS,
     .deflt = FLAG_TEXT(GEN_MAX_REGIONS), .metavar = "K", .doc = "use the first K of the 8 regions"},
    {.name = "format", .type = OPT_ENUM, .to = {OPT_FIELD(gen_opts, format)}, .values = gen_formats, .deflt = "json",
     .metavar = "F", .doc = "record format"},
    {.name = "registry", .type = OPT_STRING, .to = {OPT_FIELD(gen_opts, registry)}, .env = "EDDY_REGISTRY",
     .metavar = "URL", .doc = "Schema Registry for avro-confluent"},
    {0},
};

const CmdSpec gen_cmd = {
    .name = "gen", .args = "orders", .maxargs = 1, .flags = gen_flags, .main = cmd_gen,
    .summary = "produce the reference order events",
    .about = "Produce the reference order events {order_id, user_id, amount, region},\n"
             "keyed by {\"order_id\":N}, as JSON, or with --format avro-confluent as\n"
             "Avro in the Confluent wire format, the schemas registered under\n"
             "<topic>-key and <topic>-value.",
};

/* A development tool should give up on a vanished broker in seconds, not
** in librdkafka's default 5 minutes. */
static const char *const gen_producer_props[] = {
    "message.timeout.ms", "30000",
    NULL,
};

/* Set by SIGINT/SIGTERM; the only global state of the command. */
static volatile sig_atomic_t gen_stop;

static void gen_on_signal(int sig)
{
    (void)sig;
    gen_stop = 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep, returning early when a signal arrives. */
static void sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* What the flags cannot check alone. */
static int gen_check(const gen_opts *o, const char *what, char *err, size_t errlen)
{
    if (!what) {
        snprintf(err, errlen, "what to generate? (only 'orders' exists)");
        return -1;
    }
    if (strcmp(what, "orders") != 0) {
        snprintf(err, errlen, "unknown generator '%s' (only 'orders')", what);
        return -1;
    }
    if (!o->bootstrap) {
        snprintf(err, errlen,
                 "no Kafka cluster given: pass --bootstrap HOST:PORT or set "
                 "EDDY_BOOTSTRAP (`eddy broker` starts one)");
        return -1;
    }
    if (o->format == FMT_AVRO_CONFLUENT && !o->registry) {
        snprintf(err, errlen,
                 "--format avro-confluent needs --registry URL or EDDY_REGISTRY "
                 "(`eddy broker` prints one on its second line)");
        return -1;
    }
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    gen_opts o = {0};
    FlagArgs args;
    gen_encoder *enc = NULL;
    char err[512];
    kafka_producer *p;
    struct sigaction sa, old_int, old_term;
    uint64_t rng;
    int64_t produced = 0;
    int nparts = 0, status = 0;
    double t0, elapsed, tokens = 1.0, last_refill, burst, next_check;
    int rc = flags_parse(&gen_cmd, &o, argc, argv, &args);

    if (rc >= 0)
        return rc;
    if (gen_check(&o, args.n ? args.v[0] : NULL, err, sizeof err)) {
        fprintf(stderr, "eddy gen: %s\n(see eddy gen --help)\n", err);
        return 2;
    }

    enc = gen_encoder_new(o.format, o.topic, o.registry, err, sizeof err);
    if (!enc) {
        fprintf(stderr, "eddy gen: %s\n", err);
        return 2;
    }
    p = kafka_producer_new(o.bootstrap, gen_producer_props, err, sizeof err);
    if (!p) {
        fprintf(stderr, "eddy gen: %s\n", err);
        gen_encoder_free(enc);
        return 1;
    }
    /* Fail fast when nothing listens there, instead of queueing records
    ** for minutes; this also creates the topic if the cluster does that. */
    if (kafka_producer_partition_count(p, o.topic, 5000, &nparts, err,
                                       sizeof err)) {
        fprintf(stderr, "eddy gen: cannot reach %s: %s\n", o.bootstrap, err);
        kafka_producer_free(p);
        gen_encoder_free(enc);
        return 1;
    }

    /* The first signal asks for a clean stop; a second one kills (the
    ** handler resets itself), in case the broker is gone and flush hangs. */
    gen_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = gen_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: the signal ends a sleep */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    rng = gen_seed(o.seed);
    /* Token bucket: `rate` tokens a second, at most 100 ms worth saved up,
    ** so a stall is not followed by a long burst, while records still go
    ** out in batches rather than one per wake-up. */
    burst = o.rate * 0.1 > 1.0 ? o.rate * 0.1 : 1.0;
    t0 = last_refill = mono_s();
    next_check = t0 + 1.0;
    while (!gen_stop && (o.count == 0 || produced < o.count)) {
        const char *key, *val;
        size_t klen, vlen;
        gen_order ord;

        if (o.rate > 0) {
            if (tokens < 1.0) {
                double now = mono_s();
                tokens += (now - last_refill) * o.rate;
                last_refill = now;
                if (tokens > burst)
                    tokens = burst;
            }
            if (tokens < 1.0) {
                double wait = (1.0 - tokens) / o.rate;
                sleep_s(wait < 0.001 ? 0.001 : wait > 0.2 ? 0.2 : wait);
                continue;
            }
            tokens -= 1.0;
        }
        gen_order_draw(&rng, produced + 1, (int)o.users, (int)o.regions, &ord);
        if (gen_encoder_encode(enc, &ord, &key, &klen, &val, &vlen, err,
                               sizeof err) ||
            kafka_produce(p, o.topic, -1, key, klen, val, vlen, 0, NULL, 0,
                          err, sizeof err)) {
            fprintf(stderr, "eddy gen: %s\n", err);
            status = 1;
            break;
        }
        produced++;
        /* Surface delivery failures while running, about once a second
        ** (reading the clock only every 1024 records when flat out). */
        if ((o.rate > 0 || (produced & 1023) == 0) && mono_s() >= next_check) {
            next_check = mono_s() + 1.0;
            if (kafka_producer_poll(p, err, sizeof err)) {
                fprintf(stderr, "eddy gen: %s\n", err);
                status = 1;
                break;
            }
        }
    }
    /* After a failure the queued records are dropped, not waited for. */
    if (status == 0 && kafka_producer_flush(p, 60000, err, sizeof err)) {
        fprintf(stderr, "eddy gen: %s\n", err);
        status = 1;
    }
    elapsed = mono_s() - t0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    kafka_producer_free(p);
    gen_encoder_free(enc);

    fprintf(stderr, "produced %lld orders to %s in %.2f s (%.0f/s)%s\n",
            (long long)produced, o.topic, elapsed,
            elapsed > 0 ? (double)produced / elapsed : 0.0,
            status ? ", with errors" : "");
    return status;
}
