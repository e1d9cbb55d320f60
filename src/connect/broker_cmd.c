/*
** broker_cmd.c — the `eddy broker` command: a development Kafka cluster on
** 127.0.0.1 (librdkafka's mock cluster, through kafka.h).
**
** It pre-creates the topics it is told about, because the mock gives every
** auto-created topic 4 partitions; prints the bootstrap address as the first
** line of stdout (so scripts can read it), and the URL of its development
** Schema Registry (registry_server.c) as the second; and then sleeps in sigwait until
** SIGINT or SIGTERM, when it stops the cluster and returns 0.  The data
** lives in memory only and each partition keeps just its newest ~5 MiB.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "gen.h"

#include "kafka.h"
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything `eddy broker` is told. */
typedef struct broker_opts {
    int64_t partitions; /* partition count of --topic entries without one */
    int64_t brokers;    /* brokers in the cluster */
    gen_strlist topics; /* --topic name[:partitions], in order given */
    const char *registry_state; /* --registry-state FILE, or NULL (memory only) */
} broker_opts;

static const gen_flag broker_flags[] = {
    {"partitions", GEN_FLAG_INT, offsetof(broker_opts, partitions), 1, 10000,
     "N", "partitions of each --topic that names none (default 4)"},
    {"brokers", GEN_FLAG_INT, offsetof(broker_opts, brokers), 1, 64, "N",
     "number of brokers (default 1)"},
    {"topic", GEN_FLAG_LIST, offsetof(broker_opts, topics), 0, 0,
     "NAME[:P]", "create topic NAME with P partitions; repeatable"},
    {"registry-state", GEN_FLAG_STRING, offsetof(broker_opts, registry_state), 0, 0,
     "FILE", "keep the schema registry's subjects in FILE (default: memory)"},
};
#define NBROKER_FLAGS (sizeof broker_flags / sizeof broker_flags[0])

static void broker_usage(FILE *f)
{
    fprintf(f, "usage: eddy broker [options]\n"
               "Run a development Kafka cluster on 127.0.0.1 until SIGINT or "
               "SIGTERM.\nThe first line of output is the bootstrap address, the "
               "second the URL of\na development Schema Registry. Topics not "
               "created here are created on first\nuse with 4 partitions.\n\n"
               "options:\n");
    gen_flags_usage(f, broker_flags, NBROKER_FLAGS);
}

/*
** Split "name[:partitions]" into name (copied into buf) and *partitions
** (def when absent).  Returns 0, or -1 with err naming the spec.
*/
static int topic_spec(const char *spec, int def, char *buf, size_t cap,
                      int *partitions, char *err, size_t errlen)
{
    const char *colon = strrchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);

    *partitions = def;
    if (nlen == 0 || nlen >= cap) {
        snprintf(err, errlen, "--topic '%s': bad topic name", spec);
        return -1;
    }
    memcpy(buf, spec, nlen);
    buf[nlen] = '\0';
    if (colon) {
        char *end;
        long v;
        errno = 0;
        v = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || colon[1] == '-' ||
            colon[1] == '+' || isspace((unsigned char)colon[1]) || v < 1 ||
            v > 10000) {
            snprintf(err, errlen,
                     "--topic '%s': partition count must be 1..10000", spec);
            return -1;
        }
        *partitions = (int)v;
    }
    return 0;
}

int broker_main(int argc, char **argv)
{
    broker_opts o = {4, 1, {NULL, 0}, NULL};
    RegistryServer *reg = NULL;
    char err[512];
    kafka_broker *b = NULL;
    sigset_t set, oldset;
    int rc, sig = 0;

    o.topics.v = calloc((size_t)(argc > 0 ? argc : 1), sizeof *o.topics.v);
    if (!o.topics.v) {
        fprintf(stderr, "eddy broker: out of memory\n");
        return 1;
    }
    rc = gen_flags_parse(broker_flags, NBROKER_FLAGS, &o, argc, argv, NULL,
                         err, sizeof err);
    if (rc == 1) {
        broker_usage(stdout);
        free(o.topics.v);
        return 0;
    }
    /* Check every topic spec before starting anything. */
    for (int i = 0; rc == 0 && i < o.topics.n; i++) {
        char name[256];
        int parts;
        rc = topic_spec(o.topics.v[i], (int)o.partitions, name, sizeof name,
                        &parts, err, sizeof err);
    }
    if (rc) {
        fprintf(stderr, "eddy broker: %s\n(see eddy broker --help)\n", err);
        free(o.topics.v);
        return 2;
    }

    /* Block the stop signals before the cluster starts its threads, which
    ** inherit the mask; sigwait below then receives them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &oldset);

    if (kafka_broker_start((int)o.brokers, (int)o.partitions, &b, err,
                           sizeof err)) {
        fprintf(stderr, "eddy broker: %s\n", err);
        pthread_sigmask(SIG_SETMASK, &oldset, NULL);
        free(o.topics.v);
        return 1;
    }
    for (int i = 0; i < o.topics.n; i++) {
        char name[256];
        int parts;
        topic_spec(o.topics.v[i], (int)o.partitions, name, sizeof name, &parts,
                   err, sizeof err);
        if (kafka_broker_create_topic(b, name, parts, err, sizeof err)) {
            fprintf(stderr, "eddy broker: %s\n", err);
            kafka_broker_free(b);
            pthread_sigmask(SIG_SETMASK, &oldset, NULL);
            free(o.topics.v);
            return 1;
        }
        fprintf(stderr, "eddy broker: topic %s, %d partitions\n", name, parts);
    }

    if (registry_server_start(o.registry_state, &reg, err, sizeof err)) {
        fprintf(stderr, "eddy broker: %s\n", err);
        kafka_broker_free(b);
        pthread_sigmask(SIG_SETMASK, &oldset, NULL);
        free(o.topics.v);
        return 1;
    }

    printf("%s\n%s\n", kafka_broker_bootstrap(b), registry_server_url(reg));
    fflush(stdout);
    fprintf(stderr, "eddy broker: schema registry at %s\n", registry_server_url(reg));
    fprintf(stderr,
            "eddy broker: %d broker%s at %s; other topics get 4 partitions "
            "on first use; stop with Ctrl-C or SIGTERM\n",
            (int)o.brokers, o.brokers == 1 ? "" : "s",
            kafka_broker_bootstrap(b));

    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "eddy broker: %s, stopping\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    registry_server_free(reg);
    kafka_broker_free(b);
    pthread_sigmask(SIG_SETMASK, &oldset, NULL);
    free(o.topics.v);
    return 0;
}
