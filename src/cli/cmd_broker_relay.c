/*
** cmd_broker_relay.c — `eddy broker --port N`: the development cluster's
** bootstrap address on a port of the user's choosing.
**
** librdkafka's mock cluster listens on ports the system picks, and has no
** way to be told one.  So --port N listens on 127.0.0.1:N itself and relays
** each connection, byte for byte, to the first of the cluster's brokers
** that accepts it.  A Kafka client bootstraps there: its first Metadata
** request goes through the relay and names the brokers at their own
** addresses (127.0.0.1, ports of the system's choosing), which the client
** then uses as it always does.  The relay is one thread polling every
** connection (non-blocking, a buffer per direction); a stop pipe ends it.
** Loopback only.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_BUF (64 * 1024)   /* bytes in flight per direction */
#define RELAY_MAX_UP 64          /* brokers tried, in bootstrap order */

/* One client connection and its upstream: side 0 the client, 1 the broker.
** buf[d] holds bytes read from side d not yet written to side 1 - d. */
typedef struct RelayConn {
    int    fd[2];          /* client, broker */
    char  *buf[2];         /* per direction */
    size_t len[2], off[2]; /* bytes held, bytes of them written */
    bool   eof[2];         /* side d said it has no more to send */
    bool   shut[2];        /* side 1 - d was told so (SHUT_WR) */
} RelayConn;

struct BrokerRelay {
    int          lfd;                 /* listening on 127.0.0.1:port */
    int          stop[2];             /* a byte here ends the thread */
    pthread_t    thread;              /* the relay */
    bool         started;             /* thread runs */
    struct sockaddr_in up[RELAY_MAX_UP]; /* the cluster's brokers */
    int          nup;                 /* count */
    RelayConn  **conns;               /* open connections */
    int          nconns, capconns;    /* count, capacity */
    char         addr[32];            /* "127.0.0.1:PORT" */
};

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* "127.0.0.1:p1,127.0.0.1:p2" into r->up. */
static int parse_upstreams(BrokerRelay *r, const char *list)
{
    const char *p = list;
    while (*p && r->nup < RELAY_MAX_UP) {
        const char *colon = strchr(p, ':');
        if (!colon) return -1;
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (port <= 0 || port > 65535) return -1;
        struct sockaddr_in *a = &r->up[r->nup++];
        memset(a, 0, sizeof *a);
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return r->nup ? 0 : -1;
}

static void conn_close(RelayConn *c)
{
    for (int d = 0; d < 2; d++) {
        if (c->fd[d] >= 0) close(c->fd[d]);
        free(c->buf[d]);
    }
    free(c);
}

/* A new client: connect it to the first broker that takes it (a broker
** that is down refuses at once on loopback), else drop it. */
static void relay_accept(BrokerRelay *r)
{
    int cfd = accept(r->lfd, NULL, NULL);
    if (cfd < 0) return;
    int ufd = -1;
    for (int i = 0; i < r->nup && ufd < 0; i++) {
        ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (ufd >= 0 && connect(ufd, (struct sockaddr *)&r->up[i], sizeof r->up[i]) != 0) {
            close(ufd);
            ufd = -1;
        }
    }
    if (ufd < 0) {
        close(cfd);
        return;
    }
    set_nonblock(cfd);
    set_nonblock(ufd);
    RelayConn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->fd[0] = cfd;
    c->fd[1] = ufd;
    for (int d = 0; d < 2; d++) {
        c->buf[d] = malloc(RELAY_BUF);
        if (!c->buf[d]) abort();
    }
    if (r->nconns == r->capconns) {
        r->capconns = r->capconns ? 2 * r->capconns : 16;
        r->conns = realloc(r->conns, sizeof *r->conns * (size_t)r->capconns);
        if (!r->conns) abort();
    }
    r->conns[r->nconns++] = c;
}

/* Moves what it can in both directions.  false when the connection is
** over (both sides done, or an error). */
static bool conn_step(RelayConn *c, const short *revents)
{
    for (int d = 0; d < 2; d++)
        if ((revents[d] & POLLERR) || ((revents[d] & POLLHUP) && c->eof[d])) return false;   /* gone both ways */
    for (int d = 0; d < 2; d++) {
        int from = c->fd[d], to = c->fd[1 - d];
        if (!c->eof[d] && c->len[d] == 0 && (revents[d] & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(from, c->buf[d], RELAY_BUF);
            if (n > 0) c->len[d] = (size_t)n, c->off[d] = 0;
            else if (n == 0) c->eof[d] = true;
            else if (errno != EAGAIN && errno != EINTR) return false;
        }
        while (c->off[d] < c->len[d]) {
            ssize_t n = write(to, c->buf[d] + c->off[d], c->len[d] - c->off[d]);
            if (n > 0) {
                c->off[d] += (size_t)n;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            return false;
        }
        if (c->off[d] == c->len[d]) c->len[d] = c->off[d] = 0;
        if (c->eof[d] && c->len[d] == 0 && !c->shut[d]) {
            shutdown(to, SHUT_WR);
            c->shut[d] = true;
        }
    }
    return !(c->shut[0] && c->shut[1]);
}

static void *relay_thread(void *arg)
{
    BrokerRelay *r = arg;
    struct pollfd *pf = NULL;
    int cap = 0;
    for (;;) {
        int n = 2 + 2 * r->nconns;
        if (n > cap) {
            cap = 2 * n;
            pf = realloc(pf, sizeof *pf * (size_t)cap);
            if (!pf) abort();
        }
        pf[0] = (struct pollfd){.fd = r->stop[0], .events = POLLIN};
        pf[1] = (struct pollfd){.fd = r->lfd, .events = POLLIN};
        for (int i = 0; i < r->nconns; i++) {
            RelayConn *c = r->conns[i];
            for (int d = 0; d < 2; d++) {
                /* side d: readable when its buffer is free, writable when the other direction holds bytes */
                short ev = 0;
                if (!c->eof[d] && c->len[d] == 0) ev |= POLLIN;
                if (c->len[1 - d] > c->off[1 - d]) ev |= POLLOUT;
                pf[2 + 2 * i + d] = (struct pollfd){.fd = c->fd[d], .events = ev};
            }
        }
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pf[0].revents) break;
        int k = 0;
        for (int i = 0; i < r->nconns; i++) {
            RelayConn *c = r->conns[i];
            short rev[2] = {pf[2 + 2 * i].revents, pf[3 + 2 * i].revents};
            if (conn_step(c, rev)) r->conns[k++] = c;
            else conn_close(c);
        }
        r->nconns = k;
        if (pf[1].revents & POLLIN) relay_accept(r);
    }
    free(pf);
    return NULL;
}

int relay_listen(int port, BrokerRelay **out, char *err, size_t errlen)
{
    *out = NULL;
    BrokerRelay *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->lfd = r->stop[0] = r->stop[1] = -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->lfd < 0 || setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(r->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->lfd, 64) != 0) {
        snprintf(err, errlen, "--port %d: cannot listen on 127.0.0.1:%d: %s", port, port, strerror(errno));
        relay_free(r);
        return -1;
    }
    set_nonblock(r->lfd);
    if (pipe(r->stop) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        relay_free(r);
        return -1;
    }
    snprintf(r->addr, sizeof r->addr, "127.0.0.1:%d", port);
    *out = r;
    return 0;
}

int relay_run(BrokerRelay *r, const char *upstreams, char *err, size_t errlen)
{
    if (parse_upstreams(r, upstreams)) {
        snprintf(err, errlen, "cannot read the cluster's addresses '%s'", upstreams);
        return -1;
    }
    if (pthread_create(&r->thread, NULL, relay_thread, r) != 0) {
        snprintf(err, errlen, "cannot start the relay's thread");
        return -1;
    }
    r->started = true;
    return 0;
}

const char *relay_address(const BrokerRelay *r) { return r->addr; }

void relay_free(BrokerRelay *r)
{
    if (!r) return;
    if (r->started) {
        char c = 0;
        if (write(r->stop[1], &c, 1) == 1) pthread_join(r->thread, NULL);
    }
    for (int i = 0; i < r->nconns; i++) conn_close(r->conns[i]);
    free(r->conns);
    if (r->lfd >= 0) close(r->lfd);
    for (int i = 0; i < 2; i++)
        if (r->stop[i] >= 0) close(r->stop[i]);
    free(r);
}
