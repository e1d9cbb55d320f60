/*
** cmd_gen.c — the `eddy gen orders` and `eddy gen nexmark` commands:
** produce the reference order stream, or the Nexmark benchmark's events
** (persons, auctions and bids as the JSON of Flink's nexmark Kafka topic),
** to a Kafka topic at a given rate (the library's generators, eddy_gen_*
** in eddy.h), until --count records or SIGINT/SIGTERM, and say what they
** did on stderr.  The only global is the flag the SIGINT/SIGTERM
** handler sets.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "cmd.h"
#include "clock.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy.h"

/* Everything `eddy gen orders` is told. */
typedef struct gen_opts {
    const char *topic;     /* destination topic (required for orders; nexmark: "nexmark") */
    const char *bootstrap; /* --bootstrap, else $EDDY_BOOTSTRAP */
    double rate;           /* orders per second, 0 = as fast as possible */
    int64_t count;         /* orders to produce, 0 = until interrupted */
    uint64_t seed;         /* generator seed */
    int64_t users;         /* user ids are 1..users */
    int64_t regions;       /* regions used: the first `regions` names */
    int format;            /* GEN_JSON or GEN_AVRO */
    const char *registry;  /* --registry, else $EDDY_REGISTRY (avro-confluent) */
    int64_t event_step;    /* --event-step: record timestamps 2024-01-01 + i × this (ms); 0 = the producer's clock */
    double event_rate;     /* nexmark: events per second of event time */
} gen_opts;

enum { GEN_JSON, GEN_AVRO };
static const OptEnum gen_formats[] = {
    {"json", GEN_JSON, NULL}, {"avro-confluent", GEN_AVRO, NULL}, {0},
};

static const OptionDef gen_flags[] = {
    {.name = "topic", .type = OPT_STRING, .to = {OPT_FIELD(gen_opts, topic)}, .metavar = "T",
     .doc = "topic to produce to (required for orders; nexmark: 'nexmark')"},
    {.name = "rate", .type = OPT_DOUBLE, .to = {OPT_FIELD(gen_opts, rate)}, .min = 0, .max = 1000000000, .deflt = "0",
     .metavar = "R", .doc = "records per second; 0 = as fast as possible"},
    {.name = "count", .type = OPT_INT, .to = {OPT_FIELD(gen_opts, count)}, .min = 0, .max = 1000000000000000000,
     .deflt = "0", .metavar = "N", .doc = "records to produce; 0 = until SIGINT/SIGTERM"},
    {.name = "seed", .type = OPT_UINT, .to = {OPT_FIELD(gen_opts, seed)}, .deflt = "1", .metavar = "S",
     .doc = "generator seed; same seed, same records"},
    FLAG_BOOTSTRAP(gen_opts, bootstrap, NULL),
    {.name = "users", .type = OPT_INT, .to = {OPT_FIELD(gen_opts, users)}, .min = 1, .max = 2147483647,
     .deflt = FLAG_TEXT(EDDY_GEN_DEFAULT_USERS), .metavar = "U", .doc = "user_id is uniform in 1..U"},
    {.name = "regions", .type = OPT_INT, .to = {OPT_FIELD(gen_opts, regions)}, .min = 1, .max = EDDY_GEN_MAX_REGIONS,
     .deflt = FLAG_TEXT(EDDY_GEN_MAX_REGIONS), .metavar = "K", .doc = "use the first K of the 8 regions"},
    {.name = "format", .type = OPT_ENUM, .to = {OPT_FIELD(gen_opts, format)}, .values = gen_formats, .deflt = "json",
     .metavar = "F", .doc = "record format"},
    {.name = "registry", .type = OPT_STRING, .to = {OPT_FIELD(gen_opts, registry)}, .env = "EDDY_REGISTRY",
     .metavar = "URL", .doc = "Schema Registry for avro-confluent"},
    {.name = "event-step", .type = OPT_DURATION, .to = {OPT_FIELD(gen_opts, event_step)}, .min = 0, .deflt = "0",
     .metavar = "D", .doc = "event time: order i gets the record timestamp 2024-01-01T00:00:00Z + i × D (e.g. '1 ms'); "
                            "0 = the time it is produced"},
    {.name = "event-rate", .type = OPT_DOUBLE, .to = {OPT_FIELD(gen_opts, event_rate)}, .min = 0.001, .max = 1e12,
     .deflt = "10000", .metavar = "E",
     .doc = "nexmark: events per second of event time (Flink's first-event.rate; the published runs use 10000000), "
            "from 2015-07-15 00:00:00 UTC"},
    {0},
};

const CmdSpec gen_cmd = {
    .name = "gen", .args = "orders|nexmark", .maxargs = 1, .flags = gen_flags, .main = cmd_gen,
    .summary = "produce the reference order events or the Nexmark benchmark's",
    .about = "orders: the reference order events {order_id, user_id, amount, region},\n"
             "keyed by {\"order_id\":N}, as JSON, or with --format avro-confluent as\n"
             "Avro in the Confluent wire format, the schemas registered under\n"
             "<topic>-key and <topic>-value.\n"
             "nexmark: the Nexmark benchmark's persons, auctions and bids (1 : 3 : 46),\n"
             "one JSON record each as Flink's nexmark Kafka topic holds them:\n"
             "{\"event_type\": 0|1|2, \"person\": {...}|null, \"auction\": {...}|null,\n"
             "\"bid\": {...}|null, \"dateTime\": ...}; bench/nexmark/ has the queries.",
};

/* Set by SIGINT/SIGTERM; the only global state of the command. */
static volatile sig_atomic_t gen_stop;

static void gen_on_signal(int sig)
{
    (void)sig;
    gen_stop = 1;
}

/* What the flags cannot check alone. */
static int gen_check(gen_opts *o, const char *what, char *err, size_t errlen)
{
    if (!what) {
        snprintf(err, errlen, "what to generate? ('orders' or 'nexmark')");
        return -1;
    }
    if (strcmp(what, "orders") != 0 && strcmp(what, "nexmark") != 0) {
        snprintf(err, errlen, "unknown generator '%s' ('orders' or 'nexmark')", what);
        return -1;
    }
    if (strcmp(what, "nexmark") == 0) {
        if (!o->topic) o->topic = "nexmark";
        if (o->format != GEN_JSON) {
            snprintf(err, errlen, "--format: nexmark events are JSON only");
            return -1;
        }
    } else if (!o->topic) {
        snprintf(err, errlen, "missing --topic T");
        return -1;
    }
    if (!o->bootstrap) {
        snprintf(err, errlen,
                 "no Kafka cluster given: pass --bootstrap HOST:PORT or set "
                 "EDDY_BOOTSTRAP (`eddy broker` starts one)");
        return -1;
    }
    if (o->format == GEN_AVRO && !o->registry) {
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
    char err[512];
    int rc = flags_parse(&gen_cmd, &o, argc, argv, &args);
    if (rc >= 0) return rc;
    if (gen_check(&o, args.n ? args.v[0] : NULL, err, sizeof err)) {
        fprintf(stderr, "eddy gen: %s\n(see eddy gen --help)\n", err);
        return 2;
    }
    int nexmark = strcmp(args.v[0], "nexmark") == 0;
    eddy_gen *g = nexmark ? eddy_gen_nexmark_new(o.bootstrap, o.topic, o.seed, o.event_rate, err, sizeof err)
                          : eddy_gen_new(o.bootstrap, o.topic, gen_formats[o.format].text, o.registry, o.seed, (int)o.users,
                                         (int)o.regions, err, sizeof err);
    if (!g) {
        fprintf(stderr, "eddy gen: %s\n", err);
        return 1;
    }
    if (o.event_step > 0) eddy_gen_event_time(g, 1704067200000LL, o.event_step);
    /* The first signal asks for a clean stop; a second one kills (the
    ** handler resets itself), in case the broker is gone and flush hangs. */
    struct sigaction sa, old_int, old_term;
    gen_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = gen_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: the signal ends a sleep */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    double t0 = mono_s();
    int status = eddy_gen_run(g, o.rate, o.count, (volatile int *)&gen_stop) == EDDY_OK ? 0 : 1;
    double elapsed = mono_s() - t0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (status) fprintf(stderr, "eddy gen: %s\n", eddy_gen_errmsg(g));
    long long produced = eddy_gen_produced(g);
    eddy_gen_free(g);
    fprintf(stderr, "produced %lld %s to %s in %.2f s (%.0f/s)%s\n", produced, nexmark ? "events" : "orders", o.topic, elapsed,
            elapsed > 0 ? (double)produced / elapsed : 0.0, status ? ", with errors" : "");
    return status;
}
