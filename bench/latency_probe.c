/*
** latency_probe.c — the broker's own produce-to-consume latency: a plain
** librdkafka consumer that reads a topic from its end (what arrives from
** now on) and, for every record, takes now − the record's timestamp
** (CreateTime, set by the producer when it queued the record).
**
**     latency_probe BOOTSTRAP TOPIC SECONDS [WARMUP]
**
** Assigns every partition at its end (no consumer group), waits for the
** first record, skips WARMUP seconds (default 2) after it, then measures
** SECONDS seconds.  Consumer settings as eddy's own sources and
** bench/raw_consumer.c: queued.min.messages=1000000, fetch.wait.max.ms=10.
** Latencies go into a histogram of 0.1 ms steps up to 60 s, so the
** quantiles are exact to 0.1 ms.  Prints one line on stdout:
**     records=N p50=X p99=Y p999=Z max=M        (milliseconds)
** and exits 1 when no record came.  bench/latency_bench.sh runs it beside
** eddy on the same stream.
*/
#include <librdkafka/rdkafka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STEPS = 600000 }; /* 0.1 ms steps: 60 s */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "latency_probe: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char why[256];
    if (rd_kafka_conf_set(conf, k, v, why, sizeof why) != RD_KAFKA_CONF_OK)
        die(k, why);
}

/* The q-quantile of the histogram, in ms. */
static double quantile(const long long *h, long long n, double q)
{
    long long want = (long long)(q * (double)n), seen = 0;
    if (want >= n)
        want = n - 1;
    for (int i = 0; i <= STEPS; i++) {
        seen += h[i];
        if (seen > want)
            return (double)i / 10.0;
    }
    return (double)STEPS / 10.0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: latency_probe BOOTSTRAP TOPIC SECONDS [WARMUP]\n");
        return 2;
    }
    const char *bootstrap = argv[1], *topic = argv[2];
    double secs = atof(argv[3]), warmup = argc == 5 ? atof(argv[4]) : 2.0;
    char why[512];

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", "latency_probe"); /* needed by assign(); never joined */
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "queued.min.messages", "1000000");
    set(conf, "fetch.wait.max.ms", "10");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!rk)
        die("rd_kafka_new", why);
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e)
        die("metadata", rd_kafka_err2str(e));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt <= 0)
        die(topic, "no such topic");
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++)
        rd_kafka_topic_partition_list_add(tpl, topic, p)->offset = RD_KAFKA_OFFSET_END;
    if ((e = rd_kafka_assign(rk, tpl)))
        die("assign", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(tpl);
    printf("ready\n");   /* assigned: the caller may start producing */
    fflush(stdout);

    long long *h = calloc(STEPS + 1, sizeof *h);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    enum { MAXB = 10000 };
    rd_kafka_message_t **batch = malloc(MAXB * sizeof *batch);
    if (!h || !batch)
        die("memory", "out of memory");
    long long n = 0;
    double max = 0, first = 0, from = 0, until = 0, start = mono_s();
    for (;;) {
        ssize_t got = rd_kafka_consume_batch_queue(q, 200, batch, 1);
        if (got == 1)
            got += rd_kafka_consume_batch_queue(q, 0, batch + 1, MAXB - 1);
        if (got < 0)
            die("consume", rd_kafka_err2str(rd_kafka_last_error()));
        double now_w = wall_ms(), now = mono_s();
        if (got > 0 && first == 0) {
            first = now;
            from = first + warmup;
            until = from + secs;
        }
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = batch[i];
            if (!m->err && now >= from && now < until) {
                double lat = now_w - (double)rd_kafka_message_timestamp(m, NULL);
                if (lat < 0)
                    lat = 0;
                if (lat > max)
                    max = lat;
                long idx = (long)(lat * 10.0);
                h[idx > STEPS ? STEPS : idx]++;
                n++;
            }
            rd_kafka_message_destroy(m);
        }
        if ((first > 0 && now >= until) || (first == 0 && now - start > 60))
            break;   /* done, or nothing came for a minute */
    }
    if (n)
        printf("records=%lld p50=%.1f p99=%.1f p999=%.1f max=%.1f\n", n, quantile(h, n, 0.5), quantile(h, n, 0.99),
               quantile(h, n, 0.999), max);
    else
        printf("records=0\n");
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(batch);
    free(h);
    return n ? 0 : 1;
}
