/*
** kafka_group.c — the group membership of src/connect/kafka.c
** (kafka_member_*) against the in-process mock broker: two members of a
** group over two co-partitioned topics share their partitions (disjoint,
** together all of them, partition p of both topics with the same member);
** when one leaves, its revoke callback runs and the other ends up holding
** everything.  Exit status 0 when every check passes.
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

#define NPART 4

/* What a member holds: held[topic 0/1][partition]. */
typedef struct Held {
    int held[2][NPART];
    int assigned, revoked;   /* callbacks seen */
} Held;

static int topic_index(const char *t) { return strcmp(t, "ga") == 0 ? 0 : 1; }

static void on_assign(void *ctx, const kafka_tp *tps, int n)
{
    Held *h = ctx;
    h->assigned++;
    for (int i = 0; i < n; i++)
        if (tps[i].partition >= 0 && tps[i].partition < NPART) h->held[topic_index(tps[i].topic)][tps[i].partition] = 1;
}

static void on_revoke(void *ctx, const kafka_tp *tps, int n)
{
    Held *h = ctx;
    h->revoked++;
    for (int i = 0; i < n; i++)
        if (tps[i].partition >= 0 && tps[i].partition < NPART) h->held[topic_index(tps[i].topic)][tps[i].partition] = 0;
}

static int count(const Held *h)
{
    int n = 0;
    for (int t = 0; t < 2; t++)
        for (int p = 0; p < NPART; p++) n += h->held[t][p];
    return n;
}

int main(void)
{
    char err[512];
    kafka_broker *b = NULL;
    if (kafka_broker_start(1, NPART, &b, err, sizeof err)) {
        fprintf(stderr, "broker: %s\n", err);
        return 1;
    }
    const char *bs = kafka_broker_bootstrap(b);
    CHECK(!kafka_broker_create_topic(b, "ga", NPART, err, sizeof err), "%s", err);
    CHECK(!kafka_broker_create_topic(b, "gb", NPART, err, sizeof err), "%s", err);
    /* The settings the development broker accepts (KAFKA-NOTES.md). */
    const char *props[] = {"session.timeout.ms", "4000", "heartbeat.interval.ms", "300", NULL};
    const char *topics[] = {"ga", "gb"};
    Held h1 = {0}, h2 = {0};
    kafka_member *m1 = kafka_member_new(bs, "g1", topics, 2, props, on_assign, on_revoke, &h1, err, sizeof err);
    CHECK(m1 != NULL, "%s", err);
    kafka_member *m2 = kafka_member_new(bs, "g1", topics, 2, props, on_assign, on_revoke, &h2, err, sizeof err);
    CHECK(m2 != NULL, "%s", err);
    if (!m1 || !m2) return 1;

    /* Both hold something, nothing twice, everything once. */
    double t0 = now_s();
    while (now_s() - t0 < 30 && !(count(&h1) && count(&h2) && count(&h1) + count(&h2) == 2 * NPART)) {
        CHECK(!kafka_member_poll(m1, 50, err, sizeof err), "%s", err);
        CHECK(!kafka_member_poll(m2, 50, err, sizeof err), "%s", err);
    }
    CHECK(count(&h1) && count(&h2), "both members hold partitions: %d and %d after %.1f s", count(&h1), count(&h2),
          now_s() - t0);
    for (int p = 0; p < NPART; p++) {
        CHECK(h1.held[0][p] + h2.held[0][p] == 1, "partition ga/%d held by exactly one member", p);
        CHECK(h1.held[0][p] == h1.held[1][p], "partition %d of both topics with the same member", p);
    }
    fprintf(stderr, "two members: %d and %d partitions after %.1f s\n", count(&h1), count(&h2), now_s() - t0);

    /* One leaves: its revoke runs, the other takes everything. */
    int before = h2.revoked;
    kafka_member_free(m2);
    CHECK(h2.revoked > before && count(&h2) == 0, "the member that left gave its partitions back (%d held)", count(&h2));
    t0 = now_s();
    while (now_s() - t0 < 30 && count(&h1) != 2 * NPART) CHECK(!kafka_member_poll(m1, 100, err, sizeof err), "%s", err);
    CHECK(count(&h1) == 2 * NPART, "the remaining member holds all %d partitions (%d) after %.1f s", 2 * NPART,
          count(&h1), now_s() - t0);
    CHECK(kafka_member_rebalances(m1) >= 3, "rebalances served: %lld", kafka_member_rebalances(m1));
    fprintf(stderr, "one member: %d partitions after %.1f s\n", count(&h1), now_s() - t0);
    kafka_member_free(m1);
    kafka_member_free(NULL);

    /* Creating a topic: the development broker has no admin API, so the
     * call must fail within its timeout, saying so, and not hang. */
    kafka_producer *p = kafka_producer_new(bs, NULL, err, sizeof err);
    CHECK(p != NULL, "%s", err);
    if (p) {
        t0 = now_s();
        int rc = kafka_create_topic(p, "gx", 8, 1000, err, sizeof err);
        CHECK(rc == -1 && strstr(err, "gx"), "create on the development broker: rc %d, %s", rc, err);
        CHECK(now_s() - t0 < 5, "create gave up after %.1f s", now_s() - t0);
        fprintf(stderr, "create on the development broker: %s\n", err);
        kafka_producer_free(p);
    }
    kafka_broker_free(b);
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    fprintf(stderr, "kafka_group: all checks passed\n");
    return 0;
}
