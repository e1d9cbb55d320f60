/*
 * fuzz_registry.c — a libFuzzer target over the development Schema
 * Registry's HTTP handler (src/connect/registry_server.c), reached the way
 * a client reaches it: raw bytes over a loopback TCP connection, through
 * libmicrohttpd's request parser, into the router, the schema checks and
 * the state-file log.
 *
 * An input is one or more raw HTTP requests separated by the line
 * "\n--next--\n"; each is sent on its own connection, in order, to one
 * fresh registry (so a crash reproduces from its input alone).  Besides the
 * sanitizers' findings, the target aborts when the registry's contract
 * breaks:
 *   - whatever it answered starts with "HTTP/1.";
 *   - after the requests it still answers `GET /subjects` with 200;
 *   - a registry restarted from the state file it wrote starts, and lists
 *     the same subjects (what was accepted can always be read back).
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#define _GNU_SOURCE   /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "registry.h"

#define FUZZ_CHECK(cond, ...)                                                                   \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_registry: invariant failed: %s (line %d): ", #cond, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

enum { MAX_REQUESTS = 8, REPLY_CAP = 1 << 20 };
static const char SEP[] = "\n--next--\n";

static char state_path[64];
static char reply_buf[REPLY_CAP + 1];

static int port_of(const RegistryServer *s)
{
    const char *u = registry_server_url(s);   /* http://127.0.0.1:PORT */
    const char *colon = strrchr(u, ':');
    return colon ? atoi(colon + 1) : 0;
}

/* Sends one request on a new connection, reads the answer into reply_buf
 * (NUL-terminated); the number of bytes read.  A fuzzed request may be
 * incomplete, so its connection is half-closed after it (the server may
 * then drop it unanswered); a well-formed HTTP/1.0 one waits for the
 * server to answer and close. */
static size_t exchange(int port, const uint8_t *req, size_t n, bool half_close)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = -1, rc = -1;
    for (int tries = 0; rc != 0 && tries < 5; tries++) {   /* a signal (libFuzzer's timers) may interrupt connect */
        if (fd >= 0) close(fd);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        if (rc != 0 && errno != EINTR) break;
    }
    FUZZ_CHECK(rc == 0, "connect to port %d: %s", port, strerror(errno));
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;   /* the server may close early on a bad request */
        off += (size_t)w;
    }
    if (half_close) shutdown(fd, SHUT_WR);
    size_t got = 0;
    for (;;) {
        ssize_t r = recv(fd, reply_buf + got, REPLY_CAP - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
        if (got == REPLY_CAP) break;
    }
    reply_buf[got] = 0;
    /* close with a reset: thousands of runs would otherwise fill the
     * ephemeral ports with TIME_WAIT connections (on both ends) */
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return got;
}

/* A well-formed GET; an empty answer (the connection reset, say, on a
 * machine short of ports) is tried twice more before it counts. */
static size_t get(int port, const char *path)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    size_t got = 0;
    for (int i = 0; i < 3 && got == 0; i++) got = exchange(port, (const uint8_t *)req, (size_t)n, false);
    FUZZ_CHECK(got > 0, "GET %s on port %d: no answer (%s)", path, port, strerror(errno));
    return got;
}

/* The body of the last answer (after the blank line), or "". */
static const char *body(void)
{
    const char *b = strstr(reply_buf, "\r\n\r\n");
    return b ? b + 4 : "";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!state_path[0]) snprintf(state_path, sizeof state_path, "/tmp/fuzz_registry.%d.log", (int)getpid());
    unlink(state_path);
    char err[512];
    RegistryServer *s;
    FUZZ_CHECK(registry_server_start(state_path, &s, err, sizeof err) == 0, "start: %s", err);
    int port = port_of(s);

    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < MAX_REQUESTS && p <= end; i++) {
        const uint8_t *q = memmem(p, (size_t)(end - p), SEP, sizeof SEP - 1);
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        if (n > 0) {
            size_t got = exchange(port, p, n, true);
            FUZZ_CHECK(got == 0 || (got >= 7 && memcmp(reply_buf, "HTTP/1.", 7) == 0), "answer: %.80s", reply_buf);
        }
        if (!q) break;
        p = q + sizeof SEP - 1;
    }

    get(port, "/subjects");
    FUZZ_CHECK(strncmp(reply_buf, "HTTP/1.0 200", 12) == 0 || strncmp(reply_buf, "HTTP/1.1 200", 12) == 0,
               "GET /subjects after the requests: %.200s", reply_buf);
    char *before = strdup(body());
    registry_server_free(s);

    FUZZ_CHECK(registry_server_start(state_path, &s, err, sizeof err) == 0, "restart from its own state file: %s", err);
    get(port_of(s), "/subjects");
    FUZZ_CHECK(strcmp(before, body()) == 0, "subjects before the restart %.200s, after %.200s", before, body());
    free(before);
    registry_server_free(s);
    unlink(state_path);
    return 0;
}
