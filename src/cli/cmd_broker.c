/*
** cmd_broker.c — the `eddy broker` command: a development Kafka cluster on
** 127.0.0.1 (librdkafka's mock cluster, through eddy_broker_* in eddy.h).
**
** It pre-creates the topics it is told about, because the mock gives every
** auto-created topic 4 partitions; prints the bootstrap address as the first
** line of stdout (so scripts can read it), and the URL of its development
** Schema Registry (eddy_registry_*) as the second; and then sleeps in sigwait until
** SIGINT or SIGTERM, when it stops the cluster and returns 0.  The data
** lives in memory only and each partition keeps just its newest ~5 MiB.
**
** With --control it also reads fault commands from standard input, one a
** line (eddy_broker_fault: request errors, brokers down and up, added
** latency), and answers each on stdout with "ok" or "error: <why>", so that
** a user or a fault test can disturb the running cluster.  The stop
** signals then arrive through a signalfd polled next to stdin.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "cmd.h"

#include "eddy.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Everything `eddy broker` is told. */
typedef struct broker_opts {
    int64_t partitions; /* partition count of --topic entries without one */
    int64_t brokers;    /* brokers in the cluster */
    OptList topics;     /* --topic name[:partitions], in order given */
    const char *registry_state; /* --registry-state FILE, or NULL (memory only) */
    bool control;       /* --control: fault commands on stdin */
    int64_t port;       /* --port: the bootstrap address's port (0 = the cluster's own, free ports) */
    int64_t registry_port; /* --registry-port: the schema registry's (0 = a free one) */
} broker_opts;

static const OptionDef broker_flags[] = {
    {.name = "partitions", .type = OPT_INT, .to = {OPT_FIELD(broker_opts, partitions)}, .min = 1, .max = 10000,
     .deflt = "4", .metavar = "N", .doc = "partitions of each --topic that names none"},
    {.name = "brokers", .type = OPT_INT, .to = {OPT_FIELD(broker_opts, brokers)}, .min = 1, .max = 64, .deflt = "1",
     .metavar = "N", .doc = "number of brokers"},
    {.name = "topic", .type = OPT_LIST, .to = {OPT_FIELD(broker_opts, topics)}, .metavar = "NAME[:P]",
     .doc = "create topic NAME with P partitions"},
    {.name = "registry-state", .type = OPT_STRING, .to = {OPT_FIELD(broker_opts, registry_state)}, .metavar = "FILE",
     .otherwise = "memory", .doc = "keep the schema registry's subjects in FILE"},
    {.name = "port", .type = OPT_INT, .to = {OPT_FIELD(broker_opts, port)}, .min = 0, .max = 65535, .deflt = "0",
     .metavar = "N", .doc = "bootstrap address 127.0.0.1:N (0: a free port, printed)"},
    {.name = "registry-port", .type = OPT_INT, .to = {OPT_FIELD(broker_opts, registry_port)}, .min = 0, .max = 65535,
     .deflt = "0", .metavar = "N", .doc = "schema registry at http://127.0.0.1:N (0: a free port, printed)"},
    {.name = "control", .type = OPT_BOOL, .to = {OPT_FIELD(broker_opts, control)},
     .doc = "read fault commands from standard input, one a line (below)"},
    {0},
};

const CmdSpec broker_cmd = {
    .name = "broker", .flags = broker_flags, .main = cmd_broker,
    .summary = "run a development Kafka broker and Schema Registry on 127.0.0.1",
    .about = "Run a development Kafka cluster on 127.0.0.1 until SIGINT or SIGTERM.\n"
             "The first line of output is the bootstrap address, the second the URL of\n"
             "a development Schema Registry. Topics not created here are created on first\n"
             "use with 4 partitions.  Everything listens on 127.0.0.1 only.\n"
             "\n"
             "With --port N the bootstrap address is 127.0.0.1:N: eddy listens there and relays\n"
             "each connection to the cluster, whose brokers (on ports the system picks) clients\n"
             "then learn from it, as Kafka clients always do.  --registry-port N does the same\n"
             "for the Schema Registry's URL.\n"
             "\n"
             "With --control, each line of standard input is a fault to inject while\n"
             "clients run, answered on stdout by \"ok\" or \"error: <why>\" (blank lines and\n"
             "lines starting with # get no answer; at the end of input the broker goes on\n"
             "until it is stopped). The commands are listed below the options.",
};

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

/* One control line: apply it and answer on stdout. */
static void control_line(eddy_broker *b, char *line)
{
    char err[512];
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    while (isspace((unsigned char)*line))
        line++;
    if (*line == '\0' || *line == '#')
        return;
    if (eddy_broker_fault(b, line, err, sizeof err) == 0) {
        fprintf(stderr, "eddy broker: %s\n", line);
        printf("ok\n");
    } else {
        fprintf(stderr, "eddy broker: %s: %s\n", line, err);
        printf("error: %s\n", err);
    }
    fflush(stdout);
}

/*
** --control: until SIGINT or SIGTERM (blocked in every thread, so they
** wait for the signalfd), read standard input and run each line.  A line
** longer than the buffer is answered with an error and skipped.  Returns
** the signal, or 0 when the signalfd cannot be made (err says why).
*/
static int control_loop(eddy_broker *b, const sigset_t *set, char *err, size_t errlen)
{
    char buf[1024];
    size_t used = 0;
    int skipping = 0; /* inside a line that was too long */
    int sfd = signalfd(-1, set, SFD_CLOEXEC);
    struct pollfd fds[2];
    int nfds = 2;

    if (sfd < 0) {
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
        return 0;
    }
    fds[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    for (;;) {
        if (poll(fds, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "poll: %s", strerror(errno));
            close(sfd);
            return 0;
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                close(sfd);
                return (int)si.ssi_signo;
            }
        }
        if (nfds < 2 || !(fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
            continue;
        ssize_t got = read(STDIN_FILENO, buf + used, sizeof buf - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            /* End of input: run a last line without a newline, then only
            ** wait for the signal. */
            buf[used] = '\0';
            if (!skipping)
                control_line(b, buf);
            used = 0;
            nfds = 1;
            continue;
        }
        used += (size_t)got;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
            *nl = '\0';
            if (!skipping)
                control_line(b, start);
            skipping = 0;
            start = nl + 1;
        }
        used -= (size_t)(start - buf);
        memmove(buf, start, used);
        if (used == sizeof buf - 1) {
            if (!skipping) {
                printf("error: command longer than %d characters\n", (int)sizeof buf - 2);
                fflush(stdout);
            }
            skipping = 1;
            used = 0;
        }
    }
}

int cmd_broker(int argc, char **argv)
{
    broker_opts o = {0};
    eddy_registry *reg = NULL;
    char err[512];
    eddy_broker *b = NULL;
    sigset_t set, oldset;
    int rc, sig = 0;
    FlagArgs args;

    rc = flags_parse(&broker_cmd, &o, argc, argv, &args);
    if (rc >= 0) {
        if (rc == 0) { /* after --help: the commands of --control */
            char *doc = eddy_broker_fault_doc();
            printf("\ncommands on standard input with --control:\n");
            fputs(doc, stdout);
            eddy_free(doc);
        }
        free(o.topics.v);
        return rc;
    }
    rc = 0;
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

    /* The chosen ports are taken before the cluster starts, so that none
    ** of its own ports (picked by the system) can take one first. */
    BrokerRelay *relay = NULL;
    const char *bootstrap = NULL, *what = "";   /* what: the failing flag, for the message */
    if (o.port && relay_listen((int)o.port, &relay, err, sizeof err))
        goto fail;
    if (eddy_registry_listen(o.registry_state, (int)o.registry_port, &reg, err, sizeof err)) {
        what = o.registry_port ? "--registry-port: " : "";
        goto fail;
    }
    if (eddy_broker_start((int)o.brokers, (int)o.partitions, &b, err,
                          sizeof err))
        goto fail;
    for (int i = 0; i < o.topics.n; i++) {
        char name[256];
        int parts;
        topic_spec(o.topics.v[i], (int)o.partitions, name, sizeof name, &parts,
                   err, sizeof err);
        if (eddy_broker_create_topic(b, name, parts, err, sizeof err))
            goto fail;
        fprintf(stderr, "eddy broker: topic %s, %d partitions\n", name, parts);
    }
    if (relay && relay_run(relay, eddy_broker_bootstrap(b), err, sizeof err))
        goto fail;
    bootstrap = relay ? relay_address(relay) : eddy_broker_bootstrap(b);

    printf("%s\n%s\n", bootstrap, eddy_registry_url(reg));
    fflush(stdout);
    fprintf(stderr, "eddy broker: schema registry at %s\n", eddy_registry_url(reg));
    fprintf(stderr,
            "eddy broker: %d broker%s at %s; other topics get 4 partitions "
            "on first use; stop with Ctrl-C or SIGTERM\n",
            (int)o.brokers, o.brokers == 1 ? "" : "s",
            bootstrap);
    if (relay)
        fprintf(stderr, "eddy broker: %s relays to the cluster's brokers at %s\n", bootstrap, eddy_broker_bootstrap(b));

    if (o.control) {
        fprintf(stderr, "eddy broker: reading fault commands on standard input\n");
        sig = control_loop(b, &set, err, sizeof err);
        if (sig == 0) {
            fprintf(stderr, "eddy broker: %s\n", err);
            rc = 1;
        }
    } else {
        while (sigwait(&set, &sig) != 0)
            ;
    }
    if (sig)
        fprintf(stderr, "eddy broker: %s, stopping\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    eddy_registry_free(reg);
    relay_free(relay);
    eddy_broker_free(b);
    pthread_sigmask(SIG_SETMASK, &oldset, NULL);
    free(o.topics.v);
    return rc;

fail:
    fprintf(stderr, "eddy broker: %s%s\n", what, err);
    eddy_broker_free(b);
    eddy_registry_free(reg);
    relay_free(relay);
    pthread_sigmask(SIG_SETMASK, &oldset, NULL);
    free(o.topics.v);
    return 1;
}
