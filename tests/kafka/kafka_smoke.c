/*
** kafka_smoke.c — end-to-end test of src/connect/kafka.c against the in-process
** mock broker: topic creation, producing keyed records with tombstones,
** headers, explicit partitions and timestamps, reading them all back with
** assign() from the beginning, watermarks, and the error paths (bad
** property, missing topic, bad partition, offset out of range); the
** producer's ordering rules (idempotence, requests in flight) and the
** broker's fault controls.
** Exit status 0 when every check passes.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "check.h"
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NMSG 10000
#define NPART 8
#define TOPIC "smoke"
#define TS_BASE 1600000000000LL

/* What record i looks like; the test produces and checks the same plan. */
static int is_tombstone(int i) { return i % 1000 == 7; }
static int has_no_key(int i) { return i % 2500 == 11; }
static int has_headers(int i) { return i % 10 == 0; }
static int has_ts(int i) { return i % 100 == 1; }
static int explicit_partition(int i)
{
    return i % 500 == 3 ? (i / 500) % NPART : -1;
}
static int empty_value(int i) { return i == 5; }

static void expect_err(int rc, const char *err, const char *needle,
                       const char *what)
{
    CHECK(rc != 0, "%s: expected an error", what);
    CHECK(strstr(err, needle) != NULL, "%s: error '%s' lacks '%s'", what, err,
          needle);
}

int main(void)
{
    char err[512] = "";
    kafka_broker *b = NULL;
    kafka_producer *p;
    kafka_consumer *c;
    const char *bs;
    int rc, count = 0;
    static unsigned char seen[NMSG];
    int64_t next_off[NPART];
    int64_t total = 0;
    kafka_msg *msgs;

    rc = kafka_broker_start(3, NPART, &b, err, sizeof err);
    CHECK(rc == 0, "broker start: %s", err);
    if (rc)
        return 1;
    bs = kafka_broker_bootstrap(b);
    CHECK(strncmp(bs, "127.0.0.1:", 10) == 0, "bootstrap %s", bs);
    rc = kafka_broker_create_topic(b, TOPIC, 0, err, sizeof err);
    CHECK(rc == 0, "create topic: %s", err);
    rc = kafka_broker_create_topic(b, TOPIC, 8, err, sizeof err);
    expect_err(rc, err, "already exists", "create twice");
    rc = kafka_broker_create_topic(b, "bad/name", 8, err, sizeof err);
    expect_err(rc, err, "bad/name", "bad topic name");

    /* A bad property is named. */
    {
        const char *bad[] = {"no.such.property", "1", NULL};
        const char *badval[] = {"linger.ms", "soon", NULL};
        const char *odd[] = {"linger.ms", NULL};
        p = kafka_producer_new(bs, bad, err, sizeof err);
        CHECK(p == NULL, "unknown property accepted");
        CHECK(strstr(err, "no.such.property") != NULL, "err: %s", err);
        p = kafka_producer_new(bs, badval, err, sizeof err);
        CHECK(p == NULL, "bad value accepted");
        CHECK(strstr(err, "linger.ms") != NULL, "err: %s", err);
        c = kafka_consumer_new(bs, odd, err, sizeof err);
        CHECK(c == NULL, "property without value accepted");
        CHECK(strstr(err, "linger.ms") != NULL, "err: %s", err);
    }

    /* Records keep their order whatever the properties say: idempotent by
    ** default; with idempotence off, one request in flight (a larger value
    ** is refused naming the property as given); an acks that contradicts
    ** idempotence is refused, saying it is eddy's default. */
    {
        const char *off[] = {"enable.idempotence", "false", NULL};
        const char *off1[] = {"enable.idempotence", "false", "max.in.flight", "1", NULL};
        const char *off5[] = {"enable.idempotence", "false",
                              "max.in.flight.requests.per.connection", "5", NULL};
        const char *on5[] = {"max.in.flight.requests.per.connection", "5", NULL};
        const char *on6[] = {"max.in.flight.requests.per.connection", "6", NULL};
        const char *acks1[] = {"acks", "1", NULL};
        p = kafka_producer_new(bs, off, err, sizeof err);
        CHECK(p != NULL, "idempotence off: %s", err);
        kafka_producer_free(p);
        p = kafka_producer_new(bs, off1, err, sizeof err);
        CHECK(p != NULL, "idempotence off, max.in.flight 1: %s", err);
        kafka_producer_free(p);
        p = kafka_producer_new(bs, off5, err, sizeof err);
        CHECK(p == NULL, "idempotence off with 5 in flight accepted");
        CHECK(p == NULL && strstr(err, "'max.in.flight.requests.per.connection' = '5'") &&
                  strstr(err, "enable.idempotence"), "err: %s", err);
        kafka_producer_free(p);
        {
            const char *alias3[] = {"enable.idempotence", "false", "max.in.flight", "3", NULL};
            p = kafka_producer_new(bs, alias3, err, sizeof err);
            CHECK(p == NULL && strstr(err, "'max.in.flight' = '3'"), "alias: %s", err);
            kafka_producer_free(p);
        }
        p = kafka_producer_new(bs, on5, err, sizeof err);
        CHECK(p != NULL, "idempotent with 5 in flight: %s", err);
        kafka_producer_free(p);
        p = kafka_producer_new(bs, on6, err, sizeof err);
        CHECK(p == NULL && strstr(err, "max.in.flight"), "idempotent with 6 in flight: %s", err);
        kafka_producer_free(p);
        p = kafka_producer_new(bs, acks1, err, sizeof err);
        CHECK(p == NULL && strstr(err, "acks") && strstr(err, "'enable.idempotence' = 'false'"),
              "acks=1: %s", err);
        kafka_producer_free(p);
    }

    /* Fault controls: names and numbers are checked, each naming what is
    ** wrong; the errors pushed reach a producer, which retries through them. */
    {
        rc = kafka_broker_push_errors(b, "Produce", 3, "NO_SUCH_ERROR", err, sizeof err);
        expect_err(rc, err, "NO_SUCH_ERROR", "unknown error name");
        rc = kafka_broker_push_errors(b, "Bogus", 3, "REQUEST_TIMED_OUT", err, sizeof err);
        expect_err(rc, err, "Bogus", "unknown request");
        rc = kafka_broker_push_errors(b, "Produce", 0, "REQUEST_TIMED_OUT", err, sizeof err);
        expect_err(rc, err, "count", "zero errors");
        rc = kafka_broker_set_down(b, 4, 1, err, sizeof err);
        expect_err(rc, err, "no broker 4", "broker out of range");
        rc = kafka_broker_set_rtt(b, 1, -1, err, sizeof err);
        expect_err(rc, err, "round-trip", "negative rtt");
        rc = kafka_broker_set_leader(b, TOPIC, NPART, 1, err, sizeof err);
        expect_err(rc, err, "partition", "leader of a missing partition");
        rc = kafka_broker_set_down(b, 3, 1, err, sizeof err);
        CHECK(rc == 0, "down 3: %s", err);
        rc = kafka_broker_set_down(b, 3, 0, err, sizeof err);
        CHECK(rc == 0, "up 3: %s", err);
        rc = kafka_broker_set_rtt(b, -1, 0, err, sizeof err);
        CHECK(rc == 0, "rtt all 0: %s", err);
        rc = kafka_broker_push_errors(b, "produce", 5, "request_timed_out", err, sizeof err);
        CHECK(rc == 0, "push errors (any case): %s", err);
        p = kafka_producer_new(bs, NULL, err, sizeof err);
        CHECK(p != NULL, "producer: %s", err);
        for (int i = 0; p && i < 100; i++) {
            char v[16];
            snprintf(v, sizeof v, "%d", i);
            rc = kafka_produce(p, "faults", 0, "k", 1, v, strlen(v), 0, NULL, 0, err, sizeof err);
            CHECK(rc == 0, "produce under faults: %s", err);
            if (i % 10 == 9) CHECK(kafka_producer_flush(p, 10000, err, sizeof err) == 0, "flush: %s", err);
        }
        kafka_producer_free(p);
        rc = kafka_broker_clear_errors(b, "Produce", err, sizeof err);
        CHECK(rc == 0, "clear errors: %s", err);
    }

    /* Produce. */
    {
        const char *props[] = {"linger.ms", "5", NULL};
        p = kafka_producer_new(bs, props, err, sizeof err);
        CHECK(p != NULL, "producer: %s", err);
        if (!p)
            return 1;
    }
    for (int i = 0; i < NMSG; i++) {
        char key[32], val[64], seq[16];
        kafka_header hdrs[3];
        int nh = 0;
        snprintf(key, sizeof key, "k%05d", i);
        snprintf(val, sizeof val, "{\"i\":%d,\"pad\":\"xxxxxxxxxx\"}", i);
        if (has_headers(i)) {
            snprintf(seq, sizeof seq, "%d", i);
            hdrs[nh++] = (kafka_header){"seq", seq, strlen(seq)};
            hdrs[nh++] = (kafka_header){"empty", "", 0};
            hdrs[nh++] = (kafka_header){"nullh", NULL, 0};
        }
        rc = kafka_produce(p, TOPIC, explicit_partition(i),
                           has_no_key(i) ? NULL : key, strlen(key),
                           is_tombstone(i) ? NULL : val,
                           empty_value(i) ? 0 : strlen(val),
                           has_ts(i) ? TS_BASE + i : 0, hdrs, nh, err,
                           sizeof err);
        CHECK(rc == 0, "produce %d: %s", i, err);
    }
    rc = kafka_producer_flush(p, 30000, err, sizeof err);
    CHECK(rc == 0, "flush: %s", err);
    CHECK(kafka_producer_poll(p, err, sizeof err) == 0, "poll: %s", err);

    /* A record for a partition that does not exist fails, now or at flush,
    ** naming the topic and partition. */
    rc = kafka_produce(p, TOPIC, 50, "x", 1, "y", 1, 0, NULL, 0, err,
                       sizeof err);
    if (rc == 0)
        rc = kafka_producer_flush(p, 30000, err, sizeof err);
    expect_err(rc, err, "partition 50", "produce to partition 50");
    CHECK(kafka_producer_flush(p, 1000, err, sizeof err) == 0,
          "the failure is reported once: %s", err);

    /* Topics the mock creates on first use get its fixed 4 partitions. */
    rc = kafka_produce(p, "auto_created", -1, "a", 1, "b", 1, 0, NULL, 0, err,
                       sizeof err);
    CHECK(rc == 0, "produce auto: %s", err);
    rc = kafka_producer_flush(p, 30000, err, sizeof err);
    CHECK(rc == 0, "flush auto: %s", err);
    kafka_producer_free(p);

    /* Consume. */
    c = kafka_consumer_new(bs, NULL, err, sizeof err);
    CHECK(c != NULL, "consumer: %s", err);
    if (!c)
        return 1;
    rc = kafka_partition_count(c, TOPIC, 5000, &count, err, sizeof err);
    CHECK(rc == 0 && count == NPART, "partition count %d: %s", count, err);
    rc = kafka_partition_count(c, "auto_created", 5000, &count, err,
                               sizeof err);
    CHECK(rc == 0 && count == 4, "auto-created count %d: %s", count, err);
    rc = kafka_partition_count(c, "missing", 5000, &count, err, sizeof err);
    expect_err(rc, err, "'missing' does not exist", "count of missing topic");

    for (int part = 0; part < NPART; part++) {
        int64_t lo = -5, hi = -5;
        rc = kafka_watermarks(c, TOPIC, part, &lo, &hi, 5000, err, sizeof err);
        CHECK(rc == 0 && lo == 0 && hi > 0, "watermarks p%d %lld..%lld: %s",
              part, (long long)lo, (long long)hi, err);
        total += hi - lo;
        next_off[part] = 0;
    }
    CHECK(total == NMSG, "watermarks sum to %lld", (long long)total);
    {
        int64_t lo, hi;
        rc = kafka_watermarks(c, TOPIC, 99, &lo, &hi, 2000, err, sizeof err);
        expect_err(rc, err, "partition 99", "watermarks of partition 99");
    }

    {
        kafka_tp bad[] = {{TOPIC, 8, KAFKA_OFFSET_BEGINNING}};
        kafka_tp missing[] = {{"missing", 0, KAFKA_OFFSET_BEGINNING}};
        rc = kafka_assign(c, bad, 1, err, sizeof err);
        expect_err(rc, err, "no partition 8", "assign partition 8");
        rc = kafka_assign(c, missing, 1, err, sizeof err);
        expect_err(rc, err, "does not exist", "assign missing topic");
    }
    {
        kafka_tp tps[NPART];
        for (int part = 0; part < NPART; part++)
            tps[part] = (kafka_tp){TOPIC, part, KAFKA_OFFSET_BEGINNING};
        rc = kafka_assign(c, tps, NPART, err, sizeof err);
        CHECK(rc == 0, "assign: %s", err);
    }

    msgs = calloc(1000, sizeof *msgs);
    {
        int got = 0, tombs = 0, hdrd = 0, nokey = 0;
        double t0 = now_s();
        double first = -1;
        while (got < NMSG && now_s() - t0 < 30) {
            int n = kafka_poll_batch(c, msgs, 1000, 500, err, sizeof err);
            CHECK(n >= 0, "poll: %s", err);
            if (n < 0)
                break;
            if (n > 0 && first < 0)
                first = now_s() - t0;
            for (int k = 0; k < n; k++) {
                const kafka_msg *m = &msgs[k];
                int i = -1;
                char buf[64];
                const void *hv;
                size_t hl;

                CHECK(strcmp(m->topic, TOPIC) == 0, "topic %s", m->topic);
                if (m->partition < 0 || m->partition >= NPART) {
                    CHECK(0, "partition %d", (int)m->partition);
                    continue;
                }
                CHECK(m->offset == next_off[m->partition],
                      "p%d offset %lld, expected %lld", (int)m->partition,
                      (long long)m->offset,
                      (long long)next_off[m->partition]);
                next_off[m->partition] = m->offset + 1;
                if (m->key) {
                    CHECK(m->klen == 6, "klen %zu", m->klen);
                    memcpy(buf, m->key, m->klen < 63 ? m->klen : 63);
                    buf[m->klen < 63 ? m->klen : 63] = '\0';
                    i = atoi(buf + 1);
                } else if (m->value) {
                    size_t l = m->vlen < 63 ? m->vlen : 63;
                    nokey++;
                    memcpy(buf, m->value, l);
                    buf[l] = '\0';
                    CHECK(sscanf(buf, "{\"i\":%d", &i) == 1,
                          "value of a keyless record");
                }
                if (i < 0 || i >= NMSG) {
                    CHECK(0, "cannot identify record at p%d offset %lld",
                          (int)m->partition, (long long)m->offset);
                    continue;
                }
                CHECK(!seen[i], "record %d seen twice", i);
                seen[i] = 1;
                CHECK((m->key == NULL) == has_no_key(i),
                      "record %d key presence", i);
                if (is_tombstone(i)) {
                    tombs++;
                    CHECK(m->value == NULL && m->vlen == 0,
                          "record %d should be a tombstone", i);
                } else if (empty_value(i)) {
                    CHECK(m->value != NULL && m->vlen == 0,
                          "record %d should be empty, not null", i);
                } else {
                    snprintf(buf, sizeof buf,
                             "{\"i\":%d,\"pad\":\"xxxxxxxxxx\"}", i);
                    CHECK(m->value && m->vlen == strlen(buf) &&
                              memcmp(m->value, buf, m->vlen) == 0,
                          "record %d value", i);
                }
                if (explicit_partition(i) >= 0)
                    CHECK(m->partition == explicit_partition(i),
                          "record %d in p%d, asked for p%d", i,
                          (int)m->partition, explicit_partition(i));
                if (has_ts(i))
                    CHECK(m->ts_ms == TS_BASE + i, "record %d ts %lld", i,
                          (long long)m->ts_ms);
                else
                    CHECK(m->ts_ms > TS_BASE, "record %d ts %lld", i,
                          (long long)m->ts_ms);
                if (has_headers(i)) {
                    hdrd++;
                    snprintf(buf, sizeof buf, "%d", i);
                    CHECK(kafka_msg_header(m, "seq", &hv, &hl) == 0 &&
                              hl == strlen(buf) && memcmp(hv, buf, hl) == 0,
                          "record %d header seq", i);
                    CHECK(kafka_msg_header(m, "empty", &hv, &hl) == 0 &&
                              hv != NULL && hl == 0,
                          "record %d header empty", i);
                    CHECK(kafka_msg_header(m, "nullh", &hv, &hl) == 0 &&
                              hv == NULL && hl == 0,
                          "record %d header nullh", i);
                } else {
                    CHECK(kafka_msg_header(m, "seq", &hv, &hl) != 0,
                          "record %d has no headers", i);
                }
            }
            got += n;
            kafka_release_batch(c, msgs, n);
        }
        CHECK(got == NMSG, "read %d of %d records", got, NMSG);
        CHECK(tombs == NMSG / 1000, "tombstones %d", tombs);
        CHECK(hdrd == NMSG / 10, "records with headers %d", hdrd);
        CHECK(nokey == 4, "keyless records %d", nokey);
        for (int i = 0; i < NMSG; i++)
            if (!seen[i]) {
                CHECK(0, "record %d never read", i);
                break;
            }
        fprintf(stderr, "read %d records in %.3f s (first after %.3f s)\n",
                got, now_s() - t0, first);
    }

    /* Nothing more: a poll waits its timeout and returns 0. */
    {
        double t0 = now_s(), dt;
        int n = kafka_poll_batch(c, msgs, 1000, 300, err, sizeof err);
        dt = now_s() - t0;
        CHECK(n == 0, "poll after the end returned %d (%s)", n, err);
        CHECK(dt > 0.25 && dt < 1.0, "poll timeout took %.3f s", dt);
        CHECK(kafka_consumer_last_warning(c)[0] == '\0', "warning: %s",
              kafka_consumer_last_warning(c));
    }

    /* An offset no longer (or not yet) in the log stops the consumer. */
    {
        kafka_tp far[] = {{TOPIC, 0, next_off[0] + 1000}};
        int n = 0;
        double t0 = now_s();
        rc = kafka_assign(c, far, 1, err, sizeof err);
        CHECK(rc == 0, "assign far: %s", err);
        while (now_s() - t0 < 10) {
            n = kafka_poll_batch(c, msgs, 1000, 200, err, sizeof err);
            if (n != 0)
                break;
        }
        CHECK(n == -1, "out-of-range offset gave %d", n);
        fprintf(stderr, "out-of-range offset reported after %.3f s: %s\n",
                now_s() - t0, err);
        CHECK(strstr(err, "topic 'smoke' partition 0") != NULL, "err: %s", err);
        n = kafka_poll_batch(c, msgs, 1000, 0, err, sizeof err);
        CHECK(n == -1, "fatal error is sticky");
    }
    free(msgs);
    kafka_consumer_free(c);
    kafka_broker_free(b);
    kafka_broker_free(NULL);
    kafka_producer_free(NULL);
    kafka_consumer_free(NULL);

    printf("kafka_smoke: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
