/*
** kafka.h — eddy's small internal interface to Kafka.
**
** This is the only Kafka interface the rest of eddy sees; kafka.c is the only
** file that includes rdkafka.h.  It offers five things and nothing else:
** a development broker (librdkafka's in-process mock cluster, with fault
** injection for tests), an
** asynchronous producer, a consumer that reads explicitly assigned
** partitions from explicit offsets (eddy keeps its own offsets in its
** checkpoint), a group member that only learns which partitions the group
** gives it (kafka_member_*: it reads nothing), and pass-through of
** arbitrary librdkafka properties.  Decoding, schemas and offsets bookkeeping live
** elsewhere.
**
** Conventions: handles are opaque; functions return an int rc, 0 = ok, and
** write a one-line message into the caller's buffer (err, errlen) on failure.
** Nothing here prints, exits or keeps global state.  A handle may be used by
** one thread at a time; different handles are independent.  All _free
** functions accept NULL.
**
** Properties are passed as a NULL-terminated array of key, value pairs:
**     const char *props[] = { "linger.ms", "5", "batch.size", "65536", NULL };
** They are applied after eddy's defaults, so they override them.  An unknown
** property or a bad value is an error that names the property.
*/
#ifndef EDDY_KAFKA_H
#define EDDY_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Logical offsets accepted by kafka_assign (they equal librdkafka's). */
#define KAFKA_OFFSET_BEGINNING (-2) /* oldest offset still in the log */
#define KAFKA_OFFSET_END (-1)       /* the next offset to be written */

typedef struct kafka_broker kafka_broker;     /* in-process mock cluster */
typedef struct kafka_producer kafka_producer; /* asynchronous producer */
typedef struct kafka_consumer kafka_consumer; /* assign-only consumer */

/* One record header, as passed to kafka_produce.  The bytes are copied. */
typedef struct kafka_header {
    const char *name;  /* header name, NUL-terminated */
    const void *value; /* header value bytes, or NULL for a null value */
    size_t len;        /* number of bytes at value (0 when value is NULL) */
} kafka_header;

/* A partition and the offset to start reading it from (kafka_assign). */
typedef struct kafka_tp {
    const char *topic; /* topic name */
    int32_t partition; /* partition number, 0-based */
    int64_t offset;    /* first offset to read, or KAFKA_OFFSET_BEGINNING/END */
} kafka_tp;

/*
** One consumed record, filled by kafka_poll_batch.  Every pointer stays valid
** until the record is handed back with kafka_release_batch.
*/
typedef struct kafka_msg {
    const char *topic;  /* topic the record was read from */
    int32_t partition;  /* its partition */
    int64_t offset;     /* its offset; resume from offset + 1 */
    int64_t ts_ms;      /* record timestamp, ms since the epoch; -1 if none */
    const void *key;    /* key bytes, NULL when the record has no key */
    size_t klen;        /* key length in bytes */
    const void *value;  /* value bytes, NULL for a tombstone (null value) */
    size_t vlen;        /* value length in bytes (0 for a tombstone) */
    void *priv_;        /* kafka.c's handle to the record; do not touch */
} kafka_msg;

/* ---- Development broker ------------------------------------------------ */

/*
** Start librdkafka's mock cluster in this process: nbrokers brokers
** (1 or more), each listening on 127.0.0.1 on a port chosen by the system.
** default_partitions is the partition count kafka_broker_create_topic uses
** when it is given 0.  Note: topics the broker auto-creates on first use
** (a producer writing to an unknown topic) always get 4 partitions; the mock
** in librdkafka 2.0.2 has no setting for that, so a topic that needs another
** count must be created with kafka_broker_create_topic before first use.
** On success *out owns the cluster; free it with kafka_broker_free.
*/
int kafka_broker_start(int nbrokers, int default_partitions, kafka_broker **out,
                       char *err, size_t errlen);

/* The bootstrap list of the cluster, "127.0.0.1:PORT[,127.0.0.1:PORT...]".
** Valid until kafka_broker_free. */
const char *kafka_broker_bootstrap(const kafka_broker *b);

/* Create a topic with the given partitions (0 = the broker's default).
** Fails if the topic already exists (including auto-created ones). */
int kafka_broker_create_topic(kafka_broker *b, const char *topic,
                              int partitions, char *err, size_t errlen);

/* Stop the cluster and close its listeners.  NULL-safe.  Clients still
** connected see their connections drop. */
void kafka_broker_free(kafka_broker *b);

/* ---- Faults of the development broker --------------------------------- */

/*
** For fault tests: librdkafka's mock cluster can fail requests, drop
** brokers and delay answers while clients run, and the clients must
** recover.  Every call takes effect at once and may be made from any
** thread while the cluster serves clients.  Brokers are numbered 1..N;
** broker_id -1 means all of them.
*/
#define KAFKA_MAX_PUSHED_ERRORS 100000 /* most errors one push may queue */
#define KAFKA_MAX_RTT_MS 60000         /* longest round-trip time accepted */

/* The next `count` requests of kind api ("Produce", "Fetch", "Metadata",
** "ListOffsets", "InitProducerId"..., any case) to any broker fail with the
** error called `error`: librdkafka's name without RD_KAFKA_RESP_ERR_, e.g.
** "REQUEST_TIMED_OUT", "NOT_LEADER_FOR_PARTITION"; "_TRANSPORT" makes the
** broker drop the connection instead of answering.  Pushes add up. */
int kafka_broker_push_errors(kafka_broker *b, const char *api, int count,
                             const char *error, char *err, size_t errlen);

/* Forget the errors still queued for requests of kind api. */
int kafka_broker_clear_errors(kafka_broker *b, const char *api, char *err,
                              size_t errlen);

/* down = 1: the broker closes its connections and refuses new ones; 0: it
** accepts them again.  Its partitions keep it as their leader (the mock
** moves no leadership), so their clients wait and retry until it is up. */
int kafka_broker_set_down(kafka_broker *b, int broker_id, int down, char *err,
                          size_t errlen);

/* Make broker_id the leader of a partition of topic (the mock creates a
** topic it does not know, so create it first): clients learn it from their
** next metadata request.  For tests that put some topics on one broker and
** others on another. */
int kafka_broker_set_leader(kafka_broker *b, const char *topic, int partition,
                            int broker_id, char *err, size_t errlen);

/* Delay every answer of the broker by rtt_ms (0 = none). */
int kafka_broker_set_rtt(kafka_broker *b, int broker_id, int rtt_ms, char *err,
                         size_t errlen);

/* ---- Producer ---------------------------------------------------------- */

/*
** Create a producer for the cluster at bootstrap ("host:port[,...]"; may be
** NULL if props set bootstrap.servers).  Defaults: compression.codec=lz4,
** linger.ms=5, partitioner=murmur2_random (the Java client's partitioner,
** so eddy and Java/Flink producers put a key on the same partition),
** enable.idempotence=true (so acks=all) and
** max.in.flight.requests.per.connection=1 (kafka.c says why).  Records of a
** partition are stored in the order they were produced, even when requests
** are retried: with enable.idempotence=false in props, a max.in.flight
** above 1 is refused; with idempotence, props may raise it to 5 (more is
** refused by librdkafka).  Returns NULL and fills err on failure.
*/
kafka_producer *kafka_producer_new(const char *bootstrap,
                                   const char *const *props, char *err,
                                   size_t errlen);

/*
** Queue one record for sending; returns without waiting for the broker.
** partition -1 chooses it from the key hash.  key may be NULL (no key); val
** NULL writes a tombstone.  ts_ms 0 means now.  Key, value and headers are
** copied, so the caller may reuse its buffers at once.  When the local queue
** is full the call serves delivery reports and retries until there is room.
** Delivery failures are reported later, by kafka_producer_poll or
** kafka_producer_flush.  Returns -1 only when the record could not be queued
** (unknown partition, record too large, fatal producer error...).
*/
int kafka_produce(kafka_producer *p, const char *topic, int32_t partition,
                  const void *key, size_t klen, const void *val, size_t vlen,
                  int64_t ts_ms, const kafka_header *hdrs, int nhdrs, char *err,
                  size_t errlen);

/*
** Serve delivery reports without waiting.  Returns -1 (and describes the
** first failure, with topic and partition) if any delivery failed since the
** last kafka_producer_poll or kafka_producer_flush, then forgets it.
*/
int kafka_producer_poll(kafka_producer *p, char *err, size_t errlen);

/*
** Wait up to timeout_ms (-1 = forever) until every queued record is
** acknowledged.  Returns -1 on timeout, or if any delivery failed since the
** last poll/flush (the message names the topic and partition of the first
** failure and how many failed).
*/
int kafka_producer_flush(kafka_producer *p, int timeout_ms, char *err,
                         size_t errlen);

/*
** Acknowledgements in order: every record queued before the n-th (0-based,
** in the order kafka_produce queued them) has its delivery report served
** (acknowledged, or failed: kafka_producer_poll says so) once this returns
** more than n-1.  Partitions answer independently; this is the first record
** still waiting, so it is exact when one partition is slow and others not.
** A checkpoint notes kafka_producer_counts' queued count and may commit once
** this reaches it (kafka_driver.c).
*/
long long kafka_producer_acked_below(const kafka_producer *p);

/* The offset after the last record of this producer acknowledged in a
** partition (known for the first 64 partitions it wrote to): 0, or -1 when
** none is known. */
int kafka_producer_acked_next(kafka_producer *p, const char *topic, int32_t partition, int64_t *next);

/* Positions at a mark (a checkpoint's: kafka_producer_counts' queued count
** when it is taken): from now on the acknowledgements of records numbered
** below mark also count for kafka_producer_marked_next, which — once
** kafka_producer_acked_below has reached the mark — is the offset after the
** last of those records in a partition: 0; -1 when none was acknowledged
** there; -2 when the partition is past the first 64 this producer wrote to
** (not known).  The next mark replaces this one. */
void kafka_producer_mark(kafka_producer *p, long long mark);
int kafka_producer_marked_next(kafka_producer *p, const char *topic, int32_t partition, int64_t *next);

/* Whether the producer is idempotent (enable.idempotence, eddy's default). */
bool kafka_producer_idempotent(const kafka_producer *p);

/* Serve delivery reports, waiting up to timeout_ms for one; returns the
** records still queued or in flight. */
int kafka_producer_serve(kafka_producer *p, int timeout_ms);

/* Whether the local queue is half full (of queue.buffering.max.messages):
** the caller should stop producing more until deliveries make room (a
** kafka_produce into a full queue waits inside until there is room). */
bool kafka_producer_full(const kafka_producer *p);

/* A partition holding records not yet acknowledged, from the client's
** statistics (one a second, served by kafka_producer_poll/serve). */
#define KAFKA_MAX_WAITING 16
typedef struct kafka_part_wait {
    char topic[128];     /* topic */
    int32_t partition;   /* partition */
    long long records;   /* records produced to it and not acknowledged yet */
    int32_t leader;      /* its leader's broker id, -1 = none */
    bool leader_up;      /* the producer has a working connection to it */
} kafka_part_wait;

/* The partitions holding unacknowledged records as of the last statistics
** (up to max of them into out); returns how many there are in all, -1 when
** no statistics came yet, -2 when there are none (statistics.interval.ms
** 0: eddy's default for a producer without idempotence). */
int kafka_producer_waiting(const kafka_producer *p, kafka_part_wait *out, int max);

/* Destroy the producer.  Records not yet delivered are dropped: call
** kafka_producer_flush first.  NULL-safe. */
void kafka_producer_free(kafka_producer *p);

/* Partition count of topic as seen by the producer (a metadata request; the
** broker may auto-create the topic).  Also a cheap way to check that the
** cluster is reachable before producing. */
int kafka_producer_partition_count(kafka_producer *p, const char *topic,
                                   int timeout_ms, int *count, char *err,
                                   size_t errlen);

/* Create a topic of `partitions` partitions (replication: the cluster's
** default) through the cluster's admin API, waiting up to timeout_ms.
** 0 created, 1 it exists already, -1 failed (err says why: refused, or no
** answer — the development broker has no admin API, and a cluster that
** does not allow it refuses).  Internal topics (exchanges, changelogs)
** need as many partitions as the tasks that read them, which a topic
** auto-created with the cluster's default may not have. */
int kafka_create_topic(kafka_producer *p, const char *topic, int partitions,
                       int timeout_ms, char *err, size_t errlen);

/* ---- Consumer ---------------------------------------------------------- */

/*
** Create a consumer that reads only what kafka_assign gives it: it never
** joins a consumer group and never commits offsets.  Defaults chosen for
** throughput on the mock broker: queued.min.messages=1000000,
** fetch.wait.max.ms=10, enable.auto.commit=false,
** enable.auto.offset.store=false, enable.partition.eof=false, and
** auto.offset.reset=error, so that an assigned offset that is no longer in
** the log fails kafka_poll_batch instead of silently skipping data (set
** auto.offset.reset=earliest or latest in props to allow the skip).
*/
kafka_consumer *kafka_consumer_new(const char *bootstrap,
                                   const char *const *props, char *err,
                                   size_t errlen);

/* Number of partitions of an existing topic (a metadata request; never
** auto-creates).  Fails if the topic does not exist. */
int kafka_partition_count(kafka_consumer *c, const char *topic, int timeout_ms,
                          int *count, char *err, size_t errlen);

/* Low (oldest available) and high (next to be written) offsets of one
** partition, asked of the broker. */
/* The names of the cluster's topics that have partitions (a malloc'd array of
** malloc'd names, *n of them; the caller frees each and the array). */
int kafka_list_topics(kafka_consumer *c, char ***names, int *n, int timeout_ms, char *err, size_t errlen);
int kafka_watermarks(kafka_consumer *c, const char *topic, int32_t partition,
                     int64_t *lo, int64_t *hi, int timeout_ms, char *err,
                     size_t errlen);

/*
** Replace the whole assignment with the n partitions in tps (n = 0 stops
** reading everything).  The topics are looked up first (one metadata
** request, waiting up to 10 s), so a missing topic or an out-of-range
** partition is reported here, and the first fetch starts without delay.
** Records fetched under the previous assignment and not yet returned are
** discarded (checked: re-assigning a partition at a new offset yields no
** stale records).
*/
int kafka_assign(kafka_consumer *c, const kafka_tp *tps, int n, char *err,
                 size_t errlen);

/*
** Read up to max records.  Waits up to timeout_ms (0 = do not wait,
** -1 = forever) for the first one, then returns at once with whatever else
** is already fetched.  Returns the number of records placed in msgs (0 on
** timeout), or -1 on an error that stops the consumer (a missing topic or
** partition, an offset no longer in the log, a fatal client error); err then
** names the topic, partition and offset.  Transient errors (a broker down,
** a connection lost) are retried by the client and only remembered, see
** kafka_consumer_last_warning.  The records belong to the caller until
** kafka_release_batch.
*/
int kafka_poll_batch(kafka_consumer *c, kafka_msg *msgs, int max,
                     int timeout_ms, char *err, size_t errlen);

/* Look up the last header called name in a record.  Returns 0 and sets
** *val (NULL for a null header value) and *len if found, -1 if not. */
int kafka_msg_header(const kafka_msg *m, const char *name, const void **val,
                     size_t *len);

/* Hand back n records from kafka_poll_batch; their pointers become invalid. */
void kafka_release_batch(kafka_consumer *c, kafka_msg *msgs, int n);
/* Every header of a message in order (up to max); the count.  Valid until
** the message is released. */
int kafka_msg_headers(const kafka_msg *m, kafka_header *out, int max);

/* The last transient error kafka_poll_batch skipped, or "" if none. */
const char *kafka_consumer_last_warning(const kafka_consumer *c);

/* Close the consumer.  Release every batch first.  NULL-safe. */
void kafka_consumer_free(kafka_consumer *c);

/* Start positions.  kafka_offsets_for_time: per partition (0..nparts-1) the
** first offset whose timestamp is at or after ts_ms (KAFKA_OFFSET_END when
** there is none).  kafka_committed: the consumer group's committed offsets
** (its group.id), -1 where none is committed.  kafka_commit: commits next
** offsets (entries < 0 skipped) asynchronously, for tools that watch the
** group's lag; eddy's own restart point is its checkpoint, never these. */
int kafka_offsets_for_time(kafka_consumer *c, const char *topic, int nparts, int64_t ts_ms, int64_t *out, int timeout_ms,
                           char *err, size_t errlen);
int kafka_committed(kafka_consumer *c, const char *topic, int nparts, int64_t *out, int timeout_ms, char *err, size_t errlen);
int kafka_commit(kafka_consumer *c, const char *topic, const int64_t *next, int nparts, char *err, size_t errlen);
/* The same, waiting for the cluster's answer (eddy run --group records
** where the group's exchange readers start so: connect/kafka_tasks.c). */
int kafka_commit_wait(kafka_consumer *c, const char *topic, const int64_t *next, int nparts, char *err, size_t errlen);

/* ---- Group membership (eddy run --group) ------------------------------ */

/*
** A member of a consumer group over a list of topics: Kafka's group
** coordinator decides which partitions it holds.  The member reads no
** records itself (what it is assigned stays paused); it only tells its owner
** which partitions are its own, so the owner can start and stop the work on
** them.  Partitions are assigned with Kafka's "range" assignor, so topics
** with the same partition count are co-partitioned: partition p of each
** goes to the same member.
**
** Both callbacks run inside kafka_member_poll (and kafka_member_free), on
** the caller's thread: `revoke` before partitions leave the member (the
** owner stops reading them and commits what it has, before anyone else may
** take them), `assign` once new ones are its own.  `tps` lists them (offsets
** meaningless); it is valid during the call only.
**
** props are librdkafka properties applied after eddy's defaults
** (session.timeout.ms, heartbeat.interval.ms, …).
*/
typedef struct kafka_member kafka_member;
typedef void (*kafka_member_fn)(void *ctx, const kafka_tp *tps, int n);
kafka_member *kafka_member_new(const char *bootstrap, const char *group,
                               const char *const *topics, int ntopics,
                               const char *const *props, kafka_member_fn assign,
                               kafka_member_fn revoke, void *ctx, char *err,
                               size_t errlen);
/* Serves the group protocol (heartbeats, rebalances: the callbacks) for up
** to timeout_ms.  0, or -1 on a fatal error (err). */
int kafka_member_poll(kafka_member *m, int timeout_ms, char *err, size_t errlen);
/* Rebalances served so far (assignments and revocations). */
long long kafka_member_rebalances(const kafka_member *m);
/* Leaves the group (revoke is called for what it held).  NULL-safe. */
void kafka_member_free(kafka_member *m);

/* ---- Counters, for metrics (no request to the cluster) ---------------- */

/* Records queued by kafka_produce, delivery reports served (acknowledged or
** failed) and client-level errors (a connection lost, all brokers down)
** since the producer was made. */
void kafka_producer_counts(const kafka_producer *p, long long *queued, long long *acked, long long *errors);
/* Records the producer sent again after a failed Produce request (its
** retries; Kafka's record-retry-total), from the client's statistics of the
** last second ('statistics.interval.ms', 1000 by default; 0 turns it off). */
long long kafka_producer_retried(const kafka_producer *p);
/* Transient errors kafka_poll_batch skipped since the consumer was made
** (the last one: kafka_consumer_last_warning). */
long long kafka_consumer_warnings(const kafka_consumer *c);
/* The high watermark (next offset to be written) of an assigned partition as
** the last fetch answer told it: no request.  0, or -1 when not known yet. */
int kafka_cached_high(kafka_consumer *c, const char *topic, int32_t partition, int64_t *hi);

#endif /* EDDY_KAFKA_H */
