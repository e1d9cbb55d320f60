/*
** raw_consumer.c — the limit: a plain librdkafka consumer that reads a whole
** topic from the beginning to its end and touches every byte of every record.
**
**     raw_consumer BOOTSTRAP TOPIC [EXPECTED]
**
** It does what a hand-written C consumer would do, and nothing more: assign
** every partition at its low watermark (no consumer group), read in batches
** with rd_kafka_consume_batch_queue until each partition reaches the high
** watermark it had at start, and fold every key and value byte into a
** checksum so no byte goes unread.  Consumer settings as eddy's own:
** queued.min.messages=1000000 (librdkafka 2.0.2 otherwise stops fetching
** at 100k queued messages and rechecks only once a second) and
** fetch.wait.max.ms=10.
**
** Prints one line on stdout:
**     records=N bytes=B checksum=C secs=S
** (secs: from rd_kafka_new to the last record).  With EXPECTED, exits 1
** unless exactly that many records were read.  Timing of the whole process
** (wall and CPU) is bench/run.sh's job.
*/
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "raw_consumer: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char why[256];
    if (rd_kafka_conf_set(conf, k, v, why, sizeof why) != RD_KAFKA_CONF_OK)
        die(k, why);
}

/* Every byte, one at a time: the compiler may vectorise this, which is
** fine (the bytes are still loaded), but cannot skip it. */
static uint64_t touch(const unsigned char *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = h * 31 + p[i];
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: raw_consumer BOOTSTRAP TOPIC [EXPECTED]\n");
        return 2;
    }
    const char *bootstrap = argv[1], *topic = argv[2];
    long long expected = argc == 4 ? atoll(argv[3]) : -1;
    char why[512];
    double t0 = now_s();

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", "raw_consumer"); /* needed by assign(); never joined */
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "auto.offset.reset", "error");
    set(conf, "queued.min.messages", "1000000");
    set(conf, "fetch.wait.max.ms", "10");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!rk)
        die("rd_kafka_new", why);
    rd_kafka_poll_set_consumer(rk);

    /* Partitions and their watermarks as they are now. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e)
        die("metadata", rd_kafka_err2str(e));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt <= 0)
        die(topic, "no such topic");
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);

    int64_t *hi = calloc((size_t)np, sizeof *hi);
    int open = 0;
    long long total = 0;
    rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) {
        int64_t lo;
        e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi[p], 5000);
        if (e)
            die("watermarks", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_add(tpl, topic, p)->offset = lo;
        total += hi[p] - lo;
        if (lo < hi[p])
            open++;
        else
            hi[p] = -1; /* nothing to read here */
    }
    if (expected >= 0 && total != expected) {
        fprintf(stderr, "raw_consumer: topic %s holds %lld records, expected %lld "
                "(retention of the mock broker?)\n", topic, total, expected);
        return 1;
    }
    if ((e = rd_kafka_assign(rk, tpl)))
        die("assign", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(tpl);

    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    enum { MAXB = 10000 };
    rd_kafka_message_t **batch = malloc(MAXB * sizeof *batch);
    long long records = 0, bytes = 0;
    uint64_t h = 0;
    while (open > 0) {
        /* consume_batch_queue waits until the array is full or the timeout
        ** passes: wait for one record, then take whatever else is queued. */
        ssize_t n = rd_kafka_consume_batch_queue(q, 1000, batch, 1);
        if (n == 1)
            n += rd_kafka_consume_batch_queue(q, 0, batch + 1, MAXB - 1);
        if (n < 0)
            die("consume", rd_kafka_err2str(rd_kafka_last_error()));
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err) {
                fprintf(stderr, "raw_consumer: %s\n", rd_kafka_message_errstr(m));
                return 1;
            }
            h = touch(m->key, m->key_len, h);
            h = touch(m->payload, m->len, h);
            bytes += (long long)(m->key_len + m->len);
            records++;
            if (m->partition >= 0 && m->partition < np && hi[m->partition] >= 0 &&
                m->offset + 1 >= hi[m->partition]) {
                hi[m->partition] = -1;
                open--;
            }
            rd_kafka_message_destroy(m);
        }
    }
    double t1 = now_s();
    printf("records=%lld bytes=%lld checksum=%016" PRIx64 " secs=%.3f\n", records,
           bytes, h, t1 - t0);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(batch);
    free(hi);
    if (expected >= 0 && records != expected) {
        fprintf(stderr, "raw_consumer: read %lld records, expected %lld\n", records, expected);
        return 1;
    }
    return 0;
}
