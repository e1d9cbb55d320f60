/*
 * kafka_driver.c — runs a Job over Kafka: one consumer owns every partition
 * of every topic the job's sources read (assign(), never a group
 * rebalance), routes each record to the source(s) reading its topic, keeps
 * the next offset of each topic partition for checkpoints, and gives the
 * sinks a producer.  Start positions, a restart's resume and replay,
 * bounded reads, polling cadence and checkpoint timing live here; what
 * happens to a record after it is routed is the executor's business.
 *
 * What it does not do: decode records (op_source.c), print (notices go to
 * the job's callback), or know SQL.
 */
#include "kafka_driver.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "htab.h"
#include "kafka.h"
#include "rx.h"
#include "state.h"

/* ---- the sinks' producer ---- */

/* The sinks' producer and what the driver counts of it. */
struct DrvDead;

typedef struct DrvOut {
    kafka_producer *p;    /* the producer */
    const char *fixed[8]; /* topics of sinks with 'sink.partitioner' = 'fixed' (the sink's own topic pointer: op_sink.c
                           * writes t->conn.topic), written to partition 0 */
    int         nfixed;   /* count */
    int64_t         bytes;/* key and value bytes queued */
    const struct DrvDead *usink; /* the upsert Kafka sinks' topics (upsert_sink_topics) */
    int             nusink;
} DrvOut;

static int kafka_emit(void *ctx, const OutRecord *r, char *err, size_t errlen)
{
    DrvOut *o = ctx;
    kafka_producer *p = o->p;
    o->bytes += (int64_t)(r->klen + r->vlen);
    int32_t part = -1;
    for (int i = 0; i < o->nfixed; i++)
        if (r->topic == o->fixed[i]) part = 0;
    if (r->partition >= 0) part = r->partition;   /* chosen by the sink (an exchange: hash of its key) */
    if (r->nhdrs) return kafka_produce(p, r->topic, part, r->key, r->klen, r->val, r->vlen, r->ts, r->hdrs, r->nhdrs, err, errlen);
    kafka_header h = {"op", r->op, r->op ? strlen(r->op) : 0};
    return kafka_produce(p, r->topic, part, r->key, r->klen, r->val, r->vlen, r->ts, &h, r->op ? 1 : 0, err, errlen);
}

static int kafka_flush_out(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    kafka_producer *p = ((DrvOut *)ctx)->p;
    if (kafka_producer_flush(p, timeout_ms, err, errlen)) return -1;
    long long queued, acked, errs;
    kafka_producer_counts(p, &queued, &acked, &errs);
    kafka_producer_mark(p, queued);   /* everything is acknowledged: the positions are the ends */
    return 0;
}

static char *kafka_sink_ends(void *ctx);

/* JobOutput.partitions: a topic's partition count, as the producer learns
 * it (an exchange's internal topic: its records go to hash(key) % count). */
static int kafka_partitions_out(void *ctx, const char *topic)
{
    DrvOut *o = ctx;
    char err[256];
    int n = -1;
    if (kafka_producer_partition_count(o->p, topic, 5000, &n, err, sizeof err) || n <= 0) return -1;
    return n;
}

/* A checkpoint's mark: the records queued so far (kafka_sink_ends reports
 * the positions after them). */
static long long kafka_queued_out(void *ctx)
{
    long long queued, acked, errs;
    kafka_producer_counts(((DrvOut *)ctx)->p, &queued, &acked, &errs);
    kafka_producer_mark(((DrvOut *)ctx)->p, queued);
    return queued;
}

/* A checkpoint commits once every record before its mark is acknowledged;
 * a failed delivery (only with a finite 'message.timeout.ms', or a record
 * the broker refuses) fails the job first, so none is ever counted. */
static int kafka_acked_out(void *ctx, long long mark, char *err, size_t errlen)
{
    kafka_producer *p = ((DrvOut *)ctx)->p;
    if (kafka_producer_poll(p, err, errlen)) return -1;
    return kafka_producer_acked_below(p) >= mark;
}

int exec_record_headers(const RawRecord *r, kafka_header *out, int max)
{
    return r->msg ? kafka_msg_headers(r->msg, out, max) : 0;
}

/* librdkafka properties: the session's SET 'properties.*' then the table's. */
static const char **kafka_props(const Job *j, const PlanTable *t, Arena *a)
{
    int n = 0;
    const char **props = arena_alloc(a, sizeof(char *) * (size_t)(2 * (j->plan->nsettings + (t ? t->conn.nprops : 0)) + 4));
    for (int i = 0; i < j->plan->nsettings; i++)
        if (strncmp(j->plan->settings[i].key, "properties.", 11) == 0) {
            props[n++] = j->plan->settings[i].key + 11;
            props[n++] = j->plan->settings[i].value;
        }
    for (int i = 0; t && i < t->conn.nprops; i++) {
        props[n++] = t->conn.props[i].key;
        props[n++] = t->conn.props[i].value;
    }
    props[n] = NULL;
    return props;
}

static const char *find_prop(const char **props, const char *key)
{
    const char *v = NULL;
    for (int i = 0; props[i]; i += 2)
        if (strcmp(props[i], key) == 0) v = props[i + 1];
    return v;
}

/* Clients shared by the drivers of one worker thread (driver_open_shared). */
struct DriverShare {
    kafka_consumer *c;    /* reads every partition of every driver sharing it (share_join) */
    kafka_producer *p;    /* writes for every one of them */
    kafka_msg      *msgs; /* a poll's records, before they are dealt to the drivers */
    struct Driver **ds;   /* the drivers reading through c */
    int             nds, capds; /* count, capacity */
    bool            dirty;  /* ds changed since c was last assigned */
    const SourceOffset *xstarts; /* where fresh readers of exchanges start (driver_exchange_starts; not owned) */
    int             nxstarts; /* count */
    char            err[512];
};

static void share_join(DriverShare *sh, struct Driver *d, bool join);

/* ---- what the driver reads ---- */

/* A topic some source reads; several sources may read the same topic (each
 * record goes to all of them), its partitions are assigned once. */
typedef struct DrvTopic {
    const char      *name;    /* topic */
    const PlanTable *table;   /* the first source table reading it: start mode, properties */
    int             *srcs;    /* Plan.sources indexes of the sources reading it */
    bool            *src_bounded; /* per srcs entry: that source reads only up to the ends at start */
    int64_t         *from;    /* sources of different scan.startup.mode: [s * nparts + p] the first offset
                               * source srcs[s] reads of partition p; NULL = all start where the consumer does */
    int              nsrcs;   /* count */
    bool             op_header; /* some source reads a retract changelog: records carry an "op" header */
    bool             bounded; /* every source reads only up to the ends at start */
    bool             exchange;/* an exchange's internal topic (CONN_EXCHANGE) */
    bool             any_bounded; /* some source does: the ends at start are looked up */
    int              nparts;  /* its partitions the driver reads: all, or a task's one (or none) */
    int              p0;      /* the first of them: partition p0 + i is the driver's i-th of the topic */
    int              total;   /* the topic's partitions */
    int              first;   /* index of its partition p0 in Driver.pos */
} DrvTopic;

struct Driver {
    Job          *job;
    kafka_consumer *c;
    Arena         a;        /* everything below */
    DrvTopic     *topics;   /* distinct topics, in the order of the first source reading each */
    int           ntopics;  /* count */
    int           captopics;/* capacity */
    int           npatterns;/* sources with a 'topic-pattern' (their topics are added at start: match_patterns) */
    const PlanTable *first_table; /* the first Kafka source's table (the consumer's properties) */
    SourceOffset *pos;      /* per topic partition: the next offset (-1 = not known yet) */
    kafka_tp     *tps;      /* per topic partition: where to start */
    int64_t      *end;      /* bounded topics: the end of each partition at start, -1 once read to it */
    int64_t      *stop_at;  /* bounded topics: the end of each partition at start, kept (records from it on are not read); -1 = unbounded */
    int64_t      *replay_end; /* after a restart into an upsert sink: the ends at start, -1 = none */
    int           nparts;   /* total partitions */
    int64_t      *commit;   /* scratch for one topic's next offsets (group commits) */
    int64_t      *precs;    /* per topic partition: records read by this run */
    int64_t      *pbytes;   /* per topic partition: their key and value bytes */
    DrvOut        out;      /* the sinks' producer */
    /* end-to-end latency: the timestamps of the records of the mini-batch
     * being collected, and the mini-batches waiting for their sink's
     * acknowledgement */
    int64_t      *lat_ts;   /* timestamps of the current mini-batch's records */
    int           lat_n, lat_cap;
    struct LatBatch {
        int64_t  *ts;       /* its records' timestamps (owned) */
        int       n;        /* count */
        long long acked_at; /* acknowledged once the producer has served this many delivery reports */
    } lat_wait[16];         /* a ring */
    int           lat_head, lat_len;
    int64_t       lat_flushes; /* JobStats.flushes when the current mini-batch began */
    LatHist       latency;  /* what was observed */
    /* the cluster's reachability */
    long long     warnings; /* kafka_consumer_warnings at the last look */
    long long     perrors;  /* the producer's errors at the last look */
    const char   *bs;       /* the bootstrap servers */
    int64_t       seen_in;  /* JobStats.records_in at the last look */
    bool          down;     /* not answering */
    int64_t       down_since, down_told, probe_at; /* wall ms: since when, last notice, next probe */
    char          down_err[256]; /* what the client said */
    /* dead-letter topics (exactly-once copies, dead_letter_*) */
    struct DrvDead {
        const char *topic;  /* a dead-letter topic of a source */
        int         nparts; /* its partitions when the run began, 0 = it did not exist yet */
        int64_t    *from;   /* per partition: its end when the run began */
    }            *dead;
    int           ndead;    /* count */
    /* upsert Kafka sinks (upsert_sink_*): the same, for the sinks' topics */
    struct DrvDead *usink;
    int           nusink;   /* count */
    /* the sink's acknowledgements (watch_sink) */
    bool          throttled;/* the producer's queue is half full: no record is read until it drains */
    int64_t       throttled_since; /* monotonic ms */
    int64_t       sink_told;/* monotonic ms of the last report that the sink waits, 0 = none */
    int64_t       sink_since; /* monotonic ms since when it waits (of that report) */
    char          sink_stall[256]; /* the partitions it waits for, for the snapshot; "" = none */
    int64_t       published;/* monotonic ms of the last snapshot */
    int64_t       ckpt_wall;/* wall ms of the last committed checkpoint */
    bool          ckpt_open;/* a checkpoint was started and is not known committed yet */
    int64_t       late_told;/* JobStats.late when late rows were last reported */
    int64_t       late_at;  /* monotonic ms of that report, 0 = none yet */
    int64_t       late_at0; /* monotonic ms when the run began reading */
    int           open_parts; /* bounded partitions not read to their end yet */
    bool          bounded;  /* every topic is bounded: the job ends when all are read */
    int          *scans;    /* Plan.sources indexes of the sources read by pulling (jdbc scans: job_pull) */
    int           nscans;   /* count; their positions follow the partitions' in pos (pos[nparts + k]) */
    int           scans_open; /* scans not read to their end yet */
    bool         *scan_done;/* per scan: read to its end */
    int           npos;     /* entries of pos: nparts + nscans (what a checkpoint records) */
    int           nexchange;/* topics that are exchanges' internal topics (their end: exchanges_ended) */
    /* the run, stepped (driver_open / driver_step / driver_close) */
    volatile sig_atomic_t *stop; /* a stop asked for */
    DriverShare  *share;    /* the clients this driver shares with the other tasks of its worker, or NULL */
    bool          c_shared; /* d->c is share->c (once assigned) */
    bool          p_shared; /* d->out.p is share->p */
    const char  **cprops;   /* the consumer's properties (the shared consumer is made with them) */
    const PlanTable *sink;  /* the first sink's table (for messages) */
    kafka_msg    *msgs;     /* a poll's records */
    RawRecord    *recs;     /* the same as the sources take them */
    int           maxbatch; /* records per poll */
    int           got;      /* records the last step polled */
    int64_t       first_pending; /* monotonic ms of the mini-batch's first record */
    int64_t       last_ckpt;/* monotonic ms of the last checkpoint started */
    int           phase;    /* DRV_RUN (stepping), DRV_STOP (a clean stop is due), DRV_OUT (over: rc says how) */
    bool          finished; /* read everything it was to read (a bounded run) */
    int           rc;       /* the run's result once over */
    char          err[512];
};

/* Is the job at the end of its Kafka partitions: fewer records than
 * NEAR_END waiting, by the high watermarks of the last fetch responses?
 * (A partition whose high watermark is not known yet is not.)  At a steady
 * 100k orders/s over 16 partitions some partition's newest fetch response
 * is almost always ahead of the records polled, so "none waiting" would
 * hardly ever hold; a backlog to catch up is thousands of records. */
#define NEAR_END 1000
static bool read_to_end(Driver *d)
{
    if (!d->c) return false;
    int64_t waiting = 0;
    for (int k = 0; k < d->nparts; k++) {
        int64_t hi = -1;
        if (kafka_cached_high(d->c, d->pos[k].topic, d->pos[k].partition, &hi) || hi < 0) return false;
        if (hi > d->pos[k].offset && (waiting += hi - d->pos[k].offset) >= NEAR_END) return false;
    }
    return true;
}

/* A job that wrote rows into an exchange and has read all its input holds
 * them back from the next stage until a checkpoint commits them: it takes
 * one now rather than at the interval, but no sooner than a tenth of the
 * interval (and 100 ms) after the last.  So a shuffle's latency is the
 * interval only while a backlog is read; a task that keeps up hands its
 * rows on within about 100 ms (docs/scaling.md). */
static bool shuffle_waits(Driver *d)
{
    const Job *j = d->job;
    if (!j->xrows || j->pending) return false;
    int64_t gap = j->ckpt_interval_ms / 10 > 100 ? j->ckpt_interval_ms / 10 : 100;
    return mono_ms() - d->last_ckpt >= gap && read_to_end(d);
}

static int checkpoint_drain(Driver *d, bool all, volatile sig_atomic_t *stop);
static void watch_broker(Driver *d);
static void publish(Driver *d);

static int drv_fail(Driver *d, const DrvTopic *t, const char *what)
{
    return job_fail(d->job, "source '%s': %s", t->table->name, what);
}

/* Source s (of table t) reads topic `name`: one more DrvTopic, or one more
 * reader of a topic already read. */
static void add_topic(Driver *d, const char *name, int s, const PlanTable *t, bool plan_name)
{
    const Plan *p = d->job->plan;
    DrvTopic *dt = NULL;
    for (int i = 0; i < d->ntopics && !dt; i++)
        if (strcmp(d->topics[i].name, name) == 0) dt = &d->topics[i];
    if (!dt) {
        if (d->ntopics == d->captopics) {
            int cap = d->captopics ? 2 * d->captopics : 8;
            DrvTopic *nt = arena_alloc(&d->a, sizeof *nt * (size_t)cap);
            if (d->ntopics) memcpy(nt, d->topics, sizeof *nt * (size_t)d->ntopics);
            d->topics = nt;
            d->captopics = cap;
        }
        dt = &d->topics[d->ntopics++];
        /* A name of the plan stays valid after the driver is gone: the
         * job's snapshot (PartSnap.topic) points at it; a pattern's match
         * is copied. */
        *dt = (DrvTopic){.name = plan_name ? name : arena_strdup(&d->a, name), .table = t, .bounded = true};
        dt->srcs = arena_alloc(&d->a, sizeof(int) * (size_t)p->nsources);
        dt->src_bounded = arena_alloc(&d->a, sizeof(bool) * (size_t)p->nsources);
    }
    for (int k = 0; k < dt->nsrcs; k++)
        if (dt->srcs[k] == s) return;   /* (a pattern may match a topic the source's list names too) */
    /* An exchange's internal topic is still being written by the stage
     * before: it ends when its writers say so (exchanges_ended), not at
     * the ends it had at start. */
    bool exch = t->conn.kind == CONN_EXCHANGE;
    if (exch && !dt->exchange) d->nexchange++;
    dt->exchange = dt->exchange || exch;
    bool b = !exch && (d->job->bounded || t->conn.bounded);
    dt->src_bounded[dt->nsrcs] = b;
    dt->srcs[dt->nsrcs++] = s;
    dt->op_header = dt->op_header || t->conn.mode == MODE_RETRACT;
    dt->bounded = dt->bounded && b;
    dt->any_bounded = dt->any_bounded || b;
}

/* Distinct topics of the job's sources ('topic' may name several; a
 * 'topic-pattern' is matched against the cluster's topics later,
 * match_patterns). */
static void collect_topics(Driver *d)
{
    const Plan *p = d->job->plan;
    d->scans = arena_alloc(&d->a, sizeof(int) * (size_t)(p->nsources ? p->nsources : 1));
    for (int s = 0; s < p->nsources; s++) {
        const PlanTable *t = p->sources[s]->table;
        if (job_source_pulls(d->job, s)) {   /* a table of a database, scanned: not a topic */
            d->scans[d->nscans++] = s;
            continue;
        }
        if (!d->first_table) d->first_table = t;
        if (t->conn.topic_pattern) {
            d->npatterns++;
            continue;
        }
        if (t->conn.ntopics)
            for (int i = 0; i < t->conn.ntopics; i++) add_topic(d, t->conn.topics[i], s, t, true);
        else
            add_topic(d, t->conn.topic, s, t, true);
    }
    d->scans_open = d->nscans;
    d->scan_done = arena_alloc(&d->a, sizeof(bool) * (size_t)(d->nscans + 1));
    memset(d->scan_done, 0, sizeof(bool) * (size_t)(d->nscans + 1));
}

/* Whether the job ends by itself: every topic bounded (and scans always end). */
static void bounded_job(Driver *d)
{
    d->bounded = d->ntopics > 0 || d->nscans > 0;   /* pulled sources end (a scan; a datagen with a row count), or run on */
    for (int i = 0; i < d->ntopics; i++) d->bounded = d->bounded && (d->topics[i].exchange ? d->job->bounded : d->topics[i].bounded);
}

/* The executor's (exec.c, with the exchange operators): every exchange
 * source of the job has heard from all its writers that they ended (true
 * with none).  Weak, so that the driver links where they are not built. */
extern bool job_inputs_ended(const Job *j) __attribute__((weak));

/* A bounded stage that reads exchanges ends once their writers have. */
static bool exchanges_ended(const Driver *d)
{
    if (!d->nexchange) return true;
    return job_inputs_ended && job_inputs_ended(d->job);
}

/* The topics each 'topic-pattern' source reads: the cluster's topics whose
 * whole name matches (as Java's Matcher.matches()), listed once at start;
 * while none matches, the job waits (as for a topic that does not exist
 * yet).  0, 1 when stopped meanwhile, -1 on an error. */
static int match_patterns(Driver *d, volatile sig_atomic_t *stop)
{
    const Plan *p = d->job->plan;
    for (int s = 0; s < p->nsources; s++) {
        const PlanTable *t = p->sources[s]->table;
        if (!t->conn.topic_pattern || job_source_pulls(d->job, s)) continue;
        StrBuf whole = {0};
        sb_printf(&whole, "^(?:%s)\\z", t->conn.topic_pattern);
        char why[300];
        Rx *rx = rx_compile(whole.s, whole.len, why, sizeof why);
        sb_free(&whole);
        if (!rx) return job_fail(d->job, "source '%s': option 'topic-pattern': %s", t->name, why);
        bool waited = false;
        int found = 0;
        while (!*stop && !found) {
            char **names = NULL;
            int n = 0;
            if (kafka_list_topics(d->c, &names, &n, 5000, d->err, sizeof d->err) == 0) {
                for (int i = 0; i < n; i++) {
                    long ov[2 * 8];
                    int m = rx_groups(rx) < 7 ? rx_find(rx, names[i], strlen(names[i]), 0, ov, why, sizeof why) : -2;
                    if (m == -2) {   /* many groups: a bigger vector */
                        long *big = malloc(sizeof(long) * 2 * (size_t)(rx_groups(rx) + 1));
                        if (!big) abort();
                        m = rx_find(rx, names[i], strlen(names[i]), 0, big, why, sizeof why);
                        free(big);
                    }
                    if (m == 1) {
                        add_topic(d, names[i], s, t, false);
                        found++;
                    }
                }
                for (int i = 0; i < n; i++) free(names[i]);
                free(names);
                if (!found) snprintf(d->err, sizeof d->err, "no topic matches yet");
            }
            if (found) break;
            if (!waited) job_notice(d->job, "source '%s': waiting for a topic matching 'topic-pattern' '%s' (%s)", t->name,
                                    t->conn.topic_pattern, d->err);
            waited = true;
            struct timespec ts = {0, 500 * 1000000};
            nanosleep(&ts, NULL);
        }
        rx_free(rx);
        if (*stop) return 1;
        job_notice(d->job, "source '%s': 'topic-pattern' '%s' matches %d topic%s", t->name, t->conn.topic_pattern, found,
                   found == 1 ? "" : "s");
    }
    return 0;
}

/* The scans' positions after the partitions' in d->pos: where a
 * checkpoint left each (rows it had emitted), else 0. */
static void scan_positions(Driver *d)
{
    d->npos = d->nparts + d->nscans;
    SourceOffset *pos = arena_alloc(&d->a, sizeof *pos * (size_t)(d->npos + 1));
    if (d->nparts) memcpy(pos, d->pos, sizeof *pos * (size_t)d->nparts);
    for (int k = 0; k < d->nscans; k++) {
        const char *name = job_source_position(d->job, d->scans[k]);
        int64_t off = 0;
        if (!d->job->state || state_get_offset(d->job->state, name, 0, &off) != 0) off = 0;
        pos[d->nparts + k] = (SourceOffset){name, 0, off};
    }
    d->pos = pos;
}

/* Each open scan emits its next piece (at most max rows, or up to its
 * target when target is not NULL: a catch-up). */
static int pull_scans(Driver *d, const int64_t *target)
{
    for (int k = 0; k < d->nscans; k++) {
        if (d->scan_done[k]) continue;
        SourceOffset *at = &d->pos[d->nparts + k];
        int64_t max = target ? target[d->nparts + k] - at->offset : INT64_MAX;
        if (max <= 0) continue;
        bool done = false;
        if (job_pull(d->job, d->scans[k], &at->offset, max, &done)) return -1;
        if (done) {
            d->scan_done[k] = true;
            d->scans_open--;
        }
    }
    return 0;
}

/* Waits for every topic to exist and learns its partition count; 1 when
 * stopped meanwhile. */
static int wait_for_topics(Driver *d, volatile sig_atomic_t *stop)
{
    for (int i = 0; i < d->ntopics; i++) {
        DrvTopic *t = &d->topics[i];
        bool waited = false;
        while (!*stop) {
            if (kafka_partition_count(d->c, t->name, 2000, &t->total, d->err, sizeof d->err) == 0 && t->total > 0) break;
            if (!waited) job_notice(d->job, "waiting for topic '%s' (%s)", t->name, d->err);
            waited = true;
            struct timespec ts = {0, 200 * 1000000};
            nanosleep(&ts, NULL);
        }
        if (*stop) return 1;
        /* A task reads partition `task` of each topic (none of a topic
         * with fewer partitions); a whole job all of them. */
        t->p0 = d->job->ntasks > 1 ? d->job->task : 0;
        t->nparts = d->job->ntasks > 1 ? (d->job->task < t->total ? 1 : 0) : t->total;
        t->first = d->nparts;
        d->nparts += t->nparts;
    }
    return 0;
}

/* Start positions that need the cluster (a timestamp, the group's
 * commits) into out[p], -1 where there is none (a timestamp after the last
 * record, no commit): 1; 0 when the start mode needs no look-up; -1 on an
 * error (in d->err). */
static int cluster_starts_all(Driver *d, const DrvTopic *t, const Connector *cn, int64_t *out);

static int cluster_starts(Driver *d, const DrvTopic *t, const Connector *cn, int64_t *out)
{
    if (t->p0 == 0 && t->nparts == t->total) return cluster_starts_all(d, t, cn, out);
    int64_t *all = arena_alloc(&d->a, sizeof *all * (size_t)(t->total + 1));
    int r = cluster_starts_all(d, t, cn, all);
    for (int p = 0; r > 0 && p < t->nparts; p++) out[p] = all[t->p0 + p];
    return r;
}

/* The same for every partition of the topic (out[0 .. total-1]). */
static int cluster_starts_all(Driver *d, const DrvTopic *t, const Connector *cn, int64_t *out)
{
    if (cn->startup == START_TIMESTAMP)
        return kafka_offsets_for_time(d->c, t->name, t->total, cn->startup_ts, out, 10000, d->err, sizeof d->err) ? -1 : 1;
    if (cn->startup == START_GROUP) return kafka_committed(d->c, t->name, t->total, out, 10000, d->err, sizeof d->err) ? -1 : 1;
    if (cn->startup == START_SPECIFIC) {
        /* the partitions named start there; the others at the group's
         * committed offset, else their beginning (Flink's specific offsets) */
        if (kafka_committed(d->c, t->name, t->total, out, 10000, d->err, sizeof d->err)) return -1;
        for (int k = 0; k < cn->nspec; k++)
            if (cn->spec_parts[k] < t->total) out[cn->spec_parts[k]] = cn->spec_offsets[k];
        return 1;
    }
    return 0;
}

/* Where one source of topic t starts in each of its partitions, as a
 * concrete offset (out[p]). */
static int source_starts(Driver *d, const DrvTopic *t, const Connector *cn, int64_t *out)
{
    int looked_up = cluster_starts(d, t, cn, out);
    if (looked_up < 0) return -1;
    for (int p = 0; p < t->nparts; p++) {
        if (looked_up && out[p] >= 0) continue;
        int64_t lo, hi;
        if (kafka_watermarks(d->c, t->name, t->p0 + p, &lo, &hi, 5000, d->err, sizeof d->err)) return -1;
        /* latest, a timestamp after the last record: the end; earliest, no commit: the beginning */
        out[p] = cn->startup == START_LATEST || cn->startup == START_TIMESTAMP ? hi : lo;
    }
    return 0;
}

/* A fresh start of a topic whose sources start differently (one table
 * 'earliest-offset', another 'latest-offset' on the same topic): the
 * consumer starts at the earliest of their starts, and route() gives each
 * source only the records from its own start on. */
static int mixed_starts(Driver *d, DrvTopic *t)
{
    const Plan *pl = d->job->plan;
    const Connector *c0 = &t->table->conn;
    bool mixed = false;
    for (int s = 1; s < t->nsrcs; s++) {
        const Connector *cn = &pl->sources[t->srcs[s]]->table->conn;
        mixed = mixed || cn->startup != c0->startup || (cn->startup == START_TIMESTAMP && cn->startup_ts != c0->startup_ts) ||
                cn->startup == START_SPECIFIC;
    }
    if (!mixed) return 0;
    t->from = arena_alloc(&d->a, sizeof *t->from * (size_t)t->nsrcs * (size_t)t->nparts);
    for (int s = 0; s < t->nsrcs; s++)
        if (source_starts(d, t, &pl->sources[t->srcs[s]]->table->conn, t->from + (size_t)s * (size_t)t->nparts))
            return drv_fail(d, t, d->err);
    for (int p = 0; p < t->nparts; p++) {
        int64_t min = t->from[p];
        for (int s = 1; s < t->nsrcs; s++)
            if (t->from[(size_t)s * (size_t)t->nparts + p] < min) min = t->from[(size_t)s * (size_t)t->nparts + p];
        d->tps[t->first + p].offset = min;
        if (d->job->state) d->pos[t->first + p].offset = min;
    }
    return 0;
}

/* Where each partition starts: a checkpoint's offsets, else the table's
 * scan.startup.mode; with a state file every start becomes a concrete
 * offset at once, so that the first checkpoint records it. */
static int start_positions(Driver *d, bool resumed)
{
    Job *j = d->job;
    d->pos = arena_alloc(&d->a, sizeof *d->pos * (size_t)d->nparts);
    d->tps = arena_alloc(&d->a, sizeof *d->tps * (size_t)d->nparts);
    for (int i = 0; i < d->ntopics; i++) {
        DrvTopic *t = &d->topics[i];
        const Connector *cn = &t->table->conn;
        for (int p = 0; p < t->nparts; p++) {
            kafka_tp *tp = &d->tps[t->first + p];
            SourceOffset *at = &d->pos[t->first + p];
            *tp = (kafka_tp){t->name, t->p0 + p, cn->startup == START_LATEST ? KAFKA_OFFSET_END : KAFKA_OFFSET_BEGINNING};
            *at = (SourceOffset){t->name, t->p0 + p, -1};
            /* A restarted job resumes exactly where its last checkpoint stopped;
             * a partition the checkpoint does not know (added since) is read
             * from its beginning, as Flink does for new partitions. */
            int64_t off;
            if (resumed) tp->offset = state_get_offset(j->state, t->name, t->p0 + p, &off) == 0 ? (at->offset = off) : KAFKA_OFFSET_BEGINNING;
            /* A fresh reader of an exchange starts where the internal topic
             * ended before this run's writers began (a run before may have
             * left records there: they are not this run's). */
            for (int k = 0; !resumed && t->exchange && d->share && k < d->share->nxstarts; k++)
                if (d->share->xstarts[k].partition == t->p0 + p && strcmp(d->share->xstarts[k].topic, t->name) == 0)
                    tp->offset = at->offset = d->share->xstarts[k].offset;
        }
        /* Start positions that need the cluster: a timestamp, the group's commits. */
        if (!resumed) {
            int64_t *o = arena_alloc(&d->a, sizeof *o * (size_t)t->nparts);
            int looked_up = cluster_starts(d, t, cn, o);
            if (looked_up < 0) return drv_fail(d, t, d->err);
            for (int p = 0; p < t->nparts && looked_up; p++)
                if (cn->startup == START_TIMESTAMP || o[p] >= 0) d->tps[t->first + p].offset = o[p];   /* no commit: from the beginning */
            for (int k = 0; k < cn->nspec && cn->startup == START_SPECIFIC; k++)
                if (cn->spec_parts[k] >= t->total)
                    return job_fail(d->job, "source '%s': option 'scan.startup.specific-offsets' names partition %d, but topic '%s' "
                                            "has partitions 0..%d", t->table->name, (int)cn->spec_parts[k], t->name, t->total - 1);
        }
        if (!resumed && t->nsrcs > 1 && mixed_starts(d, t)) return -1;
        /* A partition that had no record yet when the job was killed must
         * not fall back to 'latest' on restart and skip what arrived meanwhile. */
        for (int p = 0; p < t->nparts && j->state; p++) {
            SourceOffset *at = &d->pos[t->first + p];
            if (at->offset >= 0) continue;
            int64_t lo, hi;
            if (kafka_watermarks(d->c, t->name, t->p0 + p, &lo, &hi, 5000, d->err, sizeof d->err)) return drv_fail(d, t, d->err);
            kafka_tp *tp = &d->tps[t->first + p];
            tp->offset = at->offset = tp->offset == KAFKA_OFFSET_END ? hi : tp->offset == KAFKA_OFFSET_BEGINNING ? lo : tp->offset;
        }
    }
    return 0;
}

/* After a restart: the checkpoint's offsets must still exist (a recreated
 * topic or another cluster would otherwise be read from a wrong place), and
 * into an upsert sink the records up to today's ends are a replay: the sink
 * may hold results of some of them (written after the checkpoint, before
 * the crash), so until the job has caught up, operators rewrite every key
 * they touch. */
static int check_resume(Driver *d)
{
    Job *j = d->job;
    if (j->plan->upsert_replay) {
        d->replay_end = arena_alloc(&d->a, sizeof *d->replay_end * (size_t)d->nparts);
        for (int i = 0; i < d->nparts; i++) d->replay_end[i] = -1;
        j->replay = true;
    }
    for (int i = 0; i < d->ntopics; i++) {
        const DrvTopic *t = &d->topics[i];
        for (int p = 0; p < t->nparts; p++) {
            int64_t at = d->pos[t->first + p].offset, lo, hi;
            if (at < 0) continue;
            if (kafka_watermarks(d->c, t->name, t->p0 + p, &lo, &hi, 5000, d->err, sizeof d->err)) return drv_fail(d, t, d->err);
            if (d->replay_end) d->replay_end[t->first + p] = hi;
            if (at > hi || at < lo)
                return job_fail(j, "the checkpoint says partition %d of topic '%s' continues at offset %lld, but the partition holds offsets %lld..%lld "
                                   "(was the topic recreated, or is this another cluster?); start fresh with --reset-state",
                                t->p0 + p, t->name, (long long)at, (long long)lo, (long long)hi);
        }
    }
    return 0;
}

/* Bounded topics: the end of every partition as it is now. */
static int bounded_ends(Driver *d)
{
    d->end = arena_alloc(&d->a, sizeof *d->end * (size_t)d->nparts);
    d->stop_at = arena_alloc(&d->a, sizeof *d->stop_at * (size_t)d->nparts);
    for (int i = 0; i < d->ntopics; i++) {
        const DrvTopic *t = &d->topics[i];
        for (int p = 0; p < t->nparts; p++) {
            int k = t->first + p;
            d->end[k] = d->stop_at[k] = -1;
            if (!t->any_bounded) continue;
            int64_t lo;
            if (kafka_watermarks(d->c, t->name, t->p0 + p, &lo, &d->end[k], 5000, d->err, sizeof d->err)) return drv_fail(d, t, d->err);
            d->stop_at[k] = d->end[k];
            int64_t from = d->tps[k].offset == KAFKA_OFFSET_END ? d->end[k] : d->tps[k].offset >= 0 ? d->tps[k].offset : lo;
            if (from < d->end[k]) d->open_parts++;
            else d->end[k] = -1;   /* nothing to read there */
        }
    }
    return 0;
}

/* The topic a record came from (records of one fetch mostly share it). */
static const DrvTopic *topic_of(const Driver *d, const kafka_msg *m, const DrvTopic *last)
{
    if (last && (m->topic == last->name || strcmp(m->topic, last->name) == 0)) return last;
    for (int i = 0; i < d->ntopics; i++)
        if (strcmp(m->topic, d->topics[i].name) == 0) return &d->topics[i];
    return NULL;
}

/* Whether a record lies past the end its partition had at start, where a
 * bounded source stops: the consumer goes on reading it while unbounded
 * sources run, but bounded sources must not see it. */
static bool past_end(const Driver *d, const DrvTopic *t, const kafka_msg *m)
{
    if (m->partition < t->p0 || m->partition >= t->p0 + t->nparts) return false;
    int k = t->first + m->partition - t->p0;
    return d->stop_at[k] >= 0 && m->offset >= d->stop_at[k];
}

/* Notes a record's offset; a bounded partition read to its end closes.
 * Past the end of a topic only bounded sources read, the position stays
 * at the end (the checkpoint must not claim records nobody read). */
static void note_offset(Driver *d, const DrvTopic *t, const kafka_msg *m)
{
    if (m->partition < t->p0 || m->partition >= t->p0 + t->nparts) return;
    int k = t->first + m->partition - t->p0;
    if (t->bounded && past_end(d, t, m)) return;
    d->pos[k].offset = m->offset + 1;
    d->precs[k]++;
    d->pbytes[k] += (int64_t)(m->klen + m->vlen);
    if (d->end[k] >= 0 && m->offset + 1 >= d->end[k]) {
        d->end[k] = -1;
        d->open_parts--;
    }
}

/* Whether source srcs[s] of topic t reads record m: not past the end of a
 * bounded source, not before the start of a source that starts later. */
static bool takes(const Driver *d, const DrvTopic *t, int s, const kafka_msg *m)
{
    if (t->src_bounded[s] && past_end(d, t, m)) return false;
    if (t->from && m->partition >= t->p0 && m->partition < t->p0 + t->nparts &&
        m->offset < t->from[(size_t)s * (size_t)t->nparts + (size_t)(m->partition - t->p0)])
        return false;
    return true;
}

static bool same_takers(const Driver *d, const DrvTopic *t, const kafka_msg *a, const kafka_msg *b)
{
    if (!t->any_bounded && !t->from) return true;   /* every source takes every record (the common case, per record) */
    for (int s = 0; s < t->nsrcs; s++)
        if (takes(d, t, s, a) != takes(d, t, s, b)) return false;
    return true;
}

/* Routes a batch of records: each run of records from one topic goes to
 * every source of that topic that takes them (a bounded source none past
 * its ends at start, a later-starting source none before its start). */
static int route(Driver *d, kafka_msg *msgs, RawRecord *recs, int n)
{
    const DrvTopic *t = NULL;
    int start = 0;
    for (int i = 0; i <= n; i++) {
        const DrvTopic *ti = i < n ? topic_of(d, &msgs[i], t) : NULL;
        if (i > start && (i == n || ti != t || !same_takers(d, t, &msgs[start], &msgs[i]))) {
            for (int s = 0; s < t->nsrcs; s++)
                if (takes(d, t, s, &msgs[start]) && job_push(d->job, t->srcs[s], recs + start, i - start)) return -1;
            start = i;
        }
        if (i == n) break;
        if (!ti) {   /* not assigned: cannot happen with assign() */
            start = i + 1;
            continue;
        }
        t = ti;
        note_offset(d, t, &msgs[i]);
        if (d->lat_n == d->lat_cap) {
            d->lat_cap = d->lat_cap ? 2 * d->lat_cap : 4096;
            d->lat_ts = realloc(d->lat_ts, sizeof *d->lat_ts * (size_t)d->lat_cap);
            if (!d->lat_ts) abort();
        }
        d->lat_ts[d->lat_n++] = msgs[i].ts_ms;
        const void *op = NULL;
        size_t oplen = 0;
        if (t->op_header) kafka_msg_header(&msgs[i], "op", &op, &oplen);
        recs[i] = (RawRecord){msgs[i].topic, msgs[i].partition, msgs[i].offset, msgs[i].ts_ms, msgs[i].key, msgs[i].klen,
                              msgs[i].value, msgs[i].vlen, op, oplen, &msgs[i]};
    }
    return 0;
}

static bool caught_up(const Driver *d)
{
    for (int i = 0; i < d->nparts; i++)
        if (d->replay_end[i] >= 0 && d->pos[i].offset < d->replay_end[i]) return false;
    return true;
}

/* Every source reads every partition of its topic: each holds its
 * watermark back until it has records, or is idle. */
static int assign_watermarks(Driver *d)
{
    int32_t *parts = arena_alloc(&d->a, sizeof(int32_t) * (size_t)(d->nparts ? d->nparts : 1));
    for (int i = 0; i < d->ntopics; i++) {
        const DrvTopic *t = &d->topics[i];
        for (int p = 0; p < t->nparts; p++) parts[p] = t->p0 + p;
        for (int s = 0; s < t->nsrcs; s++)
            if (!d->job->plan->sources[t->srcs[s]]->table->conn.ntopics && !d->job->plan->sources[t->srcs[s]]->table->conn.topic_pattern &&
                job_source_partitions(d->job, t->srcs[s], t->name, parts, t->nparts)) return -1;
    }
    return 0;
}

/* Lets group-based tools (kafka-consumer-groups, Burrow, lag exporters)
 * see progress: the offsets of the last committed checkpoint (or, with no
 * state file, of what was processed) go to the consumer group named after
 * the job, or 'properties.group.id'.  eddy restarts from its checkpoint,
 * never from these. */
static void commit_groups(Driver *d, const SourceOffset *at)
{
    for (int i = 0; i < d->ntopics; i++) {
        const DrvTopic *t = &d->topics[i];
        if (!d->commit) {   /* once: this runs every checkpoint */
            int most = 1;
            for (int k = 0; k < d->ntopics; k++) most = d->topics[k].total > most ? d->topics[k].total : most;
            d->commit = arena_alloc(&d->a, sizeof *d->commit * (size_t)most);
        }
        for (int p = 0; p < t->total; p++) d->commit[p] = -1;   /* (a task commits its own partition only) */
        for (int p = 0; p < t->nparts; p++) d->commit[t->p0 + p] = at[t->first + p].offset;
        kafka_commit(d->c, t->name, d->commit, t->total, d->err, sizeof d->err);
    }
}

/* A database sink holds one checkpoint more than the state file (eddy was
 * killed between its commit and the state file's): read up to that
 * checkpoint's offsets while that sink drops rows (Job.sinks_catching_up),
 * so operator state becomes what the sink's rows were computed from, then
 * take a checkpoint, after which both agree; the main loop goes on from
 * there (docs/postgres-sink.md).  0, 1 when stopped meanwhile, -1. */
static int catch_up(Driver *d, const SourceOffset *to, int nto, volatile sig_atomic_t *stop)
{
    Job *j = d->job;
    int64_t *target = arena_alloc(&d->a, sizeof *target * (size_t)(d->npos ? d->npos : 1));
    int open = 0;
    for (int k = 0; k < d->npos; k++) {
        target[k] = d->pos[k].offset;
        for (int i = 0; i < nto; i++)
            if (strcmp(to[i].topic, d->pos[k].topic) == 0 && to[i].partition == d->pos[k].partition) target[k] = to[i].offset;
        open += d->pos[k].offset < target[k];
    }
    const int maxbatch = 10000;
    kafka_msg *msgs = malloc(sizeof *msgs * maxbatch), *keep = malloc(sizeof *keep * maxbatch);
    RawRecord *recs = malloc(sizeof *recs * maxbatch);
    if (!msgs || !keep || !recs) abort();
    int rc = 0;
    if (open && d->c && kafka_assign(d->c, d->tps, d->nparts, d->err, sizeof d->err)) rc = drv_fail(d, &d->topics[0], d->err);
    while (rc == 0 && open > 0) {
        if (*stop) {
            rc = 1;
            break;
        }
        /* scans up to their positions in the marker (a table that has fewer rows now cannot get there: it ends) */
        if (d->nscans && pull_scans(d, target)) {
            rc = -1;
            break;
        }
        for (int k = 0; k < d->nscans; k++)
            if (d->scan_done[k]) target[d->nparts + k] = d->pos[d->nparts + k].offset;
        int kopen = 0;
        for (int k = 0; k < d->nparts; k++) kopen += d->pos[k].offset < target[k];
        int n = kopen ? kafka_poll_batch(d->c, msgs, maxbatch, d->scans_open ? 0 : 100, d->err, sizeof d->err) : 0;
        if (n < 0) {
            rc = drv_fail(d, &d->topics[0], d->err);
            break;
        }
        int nk = 0;
        const DrvTopic *t = NULL;
        for (int i = 0; i < n; i++) {
            t = topic_of(d, &msgs[i], t);
            if (t && msgs[i].partition >= t->p0 && msgs[i].partition < t->p0 + t->nparts &&
                msgs[i].offset < target[t->first + msgs[i].partition - t->p0])
                keep[nk++] = msgs[i];
        }
        if (job_set_clock(j, wall_ms()) || (nk && route(d, keep, recs, nk))) rc = -1;
        kafka_release_batch(d->c, msgs, n);
        if (rc == 0 && j->pending >= j->batch_rows && job_flush(j)) rc = -1;
        open = 0;
        for (int k = 0; k < d->npos; k++) open += d->pos[k].offset < target[k];
    }
    free(msgs);
    free(keep);
    free(recs);
    if (rc) return rc;
    if (job_flush(j)) return -1;
    j->sinks_catching_up = false;
    if (job_checkpoint(j, d->pos, d->npos) || checkpoint_drain(d, false, stop)) return -1;
    for (int k = 0; k < d->nparts; k++) d->tps[k].offset = d->pos[k].offset;
    return 0;
}

/* ---- dead-letter copies, exactly once ---- */

/*
 * A malformed record's copy goes to its dead-letter topic when the record
 * is read; a restart reads again the records after its checkpoint, and
 * would copy some twice.  So every checkpoint records, per dead-letter
 * partition, a position before any copy made after it (meta
 * "dead_letter_from": the end when the run began, or past the last copy
 * acknowledged when the checkpoint was collected — later copies land
 * after both).  A restart reads its dead-letter topics from those
 * positions to their ends; the copies of this job it finds there (headers
 * eddy.error.job, .topic, .partition, .offset) are of records it reads
 * again, and are not made again (job_dead_letter_seen).  Format: one line
 * per topic, "TOPIC\tP=OFFSET,P=OFFSET" or "TOPIC\t*" (a topic created
 * during the run: all of it).
 */
/* Topic u->topic's partitions and their ends now, into u->nparts and
 * u->from: 0; 1 when the topic is not there (nparts 0); -1 when an end
 * cannot be read (the reason in d->err). */
static int topic_ends(Driver *d, struct DrvDead *u)
{
    if (kafka_partition_count(d->c, u->topic, 5000, &u->nparts, d->err, sizeof d->err) || u->nparts <= 0) {
        u->nparts = 0;
        return 1;
    }
    u->from = arena_alloc(&d->a, sizeof *u->from * (size_t)u->nparts);
    for (int p = 0; p < u->nparts; p++) {
        int64_t lo;
        if (kafka_watermarks(d->c, u->topic, p, &lo, &u->from[p], 5000, d->err, sizeof d->err)) return -1;
    }
    return 0;
}

static int dead_letter_topics(Driver *d)
{
    const Plan *pl = d->job->plan;
    d->dead = arena_alloc(&d->a, sizeof *d->dead * (size_t)(pl->nsources ? pl->nsources : 1));
    for (int s = 0; s < pl->nsources; s++) {
        const char *t = pl->sources[s]->table->conn.dead_letter;
        bool dup = false;
        for (int i = 0; t && i < d->ndead && !dup; i++) dup = strcmp(d->dead[i].topic, t) == 0;
        if (!t || dup) continue;
        struct DrvDead *dd = &d->dead[d->ndead++];
        *dd = (struct DrvDead){.topic = t};
        /* (not there yet: the producer creates it) */
        if (topic_ends(d, dd) < 0) return job_fail(d->job, "dead-letter topic '%s': %s", t, d->err);
    }
    return 0;
}

/* The positions the next checkpoint records (Job.ckpt_meta_dl). */
static void dead_letter_meta(Driver *d)
{
    if (!d->ndead || !d->out.p) return;
    StrBuf b = {0};
    for (int i = 0; i < d->ndead; i++) {
        const struct DrvDead *dd = &d->dead[i];
        sb_printf(&b, "%s%s\t", i ? "\n" : "", dd->topic);
        if (!dd->nparts) {
            sb_puts(&b, "*");
            continue;
        }
        for (int p = 0; p < dd->nparts; p++) {
            int64_t at = dd->from[p], next;
            if (kafka_producer_acked_next(d->out.p, dd->topic, p, &next) == 0 && next > at) at = next;
            sb_printf(&b, "%s%d=%lld", p ? "," : "", p, (long long)at);
        }
    }
    free(d->job->ckpt_meta_dl);
    d->job->ckpt_meta_dl = b.s;   /* owned by the job now */
}

/* Where the checkpoint says copies made after it start in topic t
 * (from[p], -1 = from the start of the partition); false when it says
 * nothing of t (a state file from before, a topic set since). */
static bool dead_letter_recorded(const char *meta, const char *t, int nparts, int64_t *from)
{
    size_t tl = strlen(t);
    for (const char *l = meta; l && *l;) {
        const char *eol = strchr(l, '\n');
        if (!eol) eol = l + strlen(l);
        if ((size_t)(eol - l) > tl && strncmp(l, t, tl) == 0 && l[tl] == '\t') {
            for (int p = 0; p < nparts; p++) from[p] = -1;
            for (const char *q = l + tl + 1; q < eol && *q != '*';) {
                char *e;
                long p = strtol(q, &e, 10);
                if (*e != '=') break;
                long long off = strtoll(e + 1, &e, 10);
                if (p >= 0 && p < nparts) from[p] = off;
                q = *e == ',' ? e + 1 : eol;
            }
            return true;
        }
        l = *eol ? eol + 1 : eol;
    }
    return false;
}

/* After a restart: the copies of this job in its dead-letter topics from
 * the checkpoint's positions to today's ends (job_dead_letter_found).  It
 * uses the driver's consumer before the sources are assigned.  0, 1 when
 * stopped meanwhile, -1. */
static int dead_letter_scan(Driver *d, volatile sig_atomic_t *stop)
{
    Job *j = d->job;
    const char *meta = j->state ? state_get_meta(j->state, "dead_letter_from") : NULL;
    if (!meta || !d->ndead) return 0;
    const char *job = j->plan->name ? j->plan->name : "";
    DeadLetterSeen *seen = NULL;
    int nseen = 0, cap = 0, rc = 0;
    const int maxbatch = 1000;
    kafka_msg *msgs = malloc(sizeof *msgs * maxbatch);
    if (!msgs) abort();
    for (int i = 0; i < d->ndead && rc == 0; i++) {
        const struct DrvDead *dd = &d->dead[i];
        if (!dd->nparts) continue;   /* not there: nothing was copied */
        int64_t *from = arena_alloc(&d->a, sizeof *from * (size_t)dd->nparts);
        kafka_tp *tps = arena_alloc(&d->a, sizeof *tps * (size_t)dd->nparts);
        int64_t *at = arena_alloc(&d->a, sizeof *at * (size_t)dd->nparts);
        if (!dead_letter_recorded(meta, dd->topic, dd->nparts, from)) continue;
        int n = 0;
        for (int p = 0; p < dd->nparts; p++) {
            int64_t lo, hi = dd->from[p];
            if (kafka_watermarks(d->c, dd->topic, p, &lo, &hi, 5000, d->err, sizeof d->err)) {
                rc = job_fail(j, "dead-letter topic '%s': %s", dd->topic, d->err);
                break;
            }
            at[p] = from[p] < lo ? lo : from[p];
            if (at[p] < dd->from[p]) tps[n++] = (kafka_tp){dd->topic, p, at[p]};
        }
        if (rc || !n) continue;
        if (kafka_assign(d->c, tps, n, d->err, sizeof d->err)) {
            rc = job_fail(j, "dead-letter topic '%s': %s", dd->topic, d->err);
            break;
        }
        int open = n;
        while (open > 0 && rc == 0) {
            if (*stop) {
                rc = 1;
                break;
            }
            int got = kafka_poll_batch(d->c, msgs, maxbatch, 100, d->err, sizeof d->err);
            if (got < 0) {
                rc = job_fail(j, "dead-letter topic '%s': %s", dd->topic, d->err);
                break;
            }
            for (int k = 0; k < got; k++) {
                const kafka_msg *m = &msgs[k];
                if (m->partition < 0 || m->partition >= dd->nparts || m->offset >= dd->from[m->partition]) continue;
                at[m->partition] = m->offset + 1;
                const void *v[4];
                size_t len[4];
                const char *names[4] = {"eddy.error.job", "eddy.error.topic", "eddy.error.partition", "eddy.error.offset"};
                bool ok = true;
                for (int h = 0; h < 4 && ok; h++) ok = kafka_msg_header(m, names[h], &v[h], &len[h]) == 0 && v[h];
                if (!ok || len[0] != strlen(job) || memcmp(v[0], job, len[0]) != 0) continue;   /* another job's copy */
                char num[2][32];
                for (int h = 0; h < 2; h++) snprintf(num[h], sizeof num[h], "%.*s", (int)(len[2 + h] < 31 ? len[2 + h] : 31), (const char *)v[2 + h]);
                if (nseen == cap) {
                    cap = cap ? 2 * cap : 64;
                    seen = realloc(seen, sizeof *seen * (size_t)cap);
                    if (!seen) abort();
                }
                char *topic = malloc(len[1] + 1);
                if (!topic) abort();
                memcpy(topic, v[1], len[1]);
                topic[len[1]] = 0;
                seen[nseen++] = (DeadLetterSeen){topic, (int32_t)strtol(num[0], NULL, 10), strtoll(num[1], NULL, 10)};
            }
            kafka_release_batch(d->c, msgs, got);
            open = 0;
            for (int p = 0; p < dd->nparts; p++) open += at[p] < dd->from[p];
        }
    }
    free(msgs);
    if (nseen) job_notice(j, "%d dead-letter cop%s of records read again after the restart %s already written: not copied twice", nseen,
                          nseen == 1 ? "y" : "ies", nseen == 1 ? "was" : "were");
    job_dead_letter_found(j, seen, nseen);
    return rc;
}

/* ---- upsert sinks after a crash -------------------------------------------
 *
 * A job killed after its last checkpoint may have written upserts that its
 * replay does not write again.  Reading several partitions or topics, the
 * replay may meet their records in another order than the stopped run
 * did, and a key that run touched (a join's row that existed for a moment,
 * a rank that changed hands) may not be touched at all: the sink would
 * keep the stopped run's value for it.  So every checkpoint records where
 * each upsert Kafka sink topic's partitions end (meta upsert_sink_from, in
 * dead_letter_from's format), and after a restart the keys written beyond
 * those positions get back the value they had at the checkpoint (the
 * key's last record before it; a tombstone when it had none) before the
 * job writes anything.  The replay's own upserts follow, so the table ends
 * as an uninterrupted run's.  It costs a read of the partitions the
 * stopped run wrote to, once per restart after a crash; nothing after a
 * clean stop, whose last checkpoint is at the end.  The sink's topic is
 * taken to be this job's alone (another writer's keys would be reverted
 * too), and records deleted by retention cannot be restored (their keys
 * get tombstones).
 */

/* The upsert Kafka sinks' topics and their ends as the run begins. */
static int upsert_sink_topics(Driver *d)
{
    const Plan *pl = d->job->plan;
    /* A task shares its sink topics with the other tasks of its stage: the
     * records beyond its own positions are theirs too, and setting their
     * keys back would undo what they wrote before their checkpoints.  So a
     * task does not revert; its replay rewrites the keys it touches
     * (Job.replay) — docs/scaling.md. */
    if (!d->out.p || d->job->ntasks > 1) return 0;
    d->usink = arena_alloc(&d->a, sizeof *d->usink * (size_t)(pl->nsinks ? pl->nsinks : 1));
    for (int s = 0; s < pl->nsinks; s++) {
        const PlanTable *t = pl->sinks[s]->table;
        bool dup = false;
        for (int i = 0; i < d->nusink && !dup; i++) dup = strcmp(d->usink[i].topic, t->conn.topic) == 0;
        if (t->conn.kind != CONN_KAFKA || t->conn.mode != MODE_UPSERT || !t->conn.topic || dup) continue;
        struct DrvDead *u = &d->usink[d->nusink++];
        *u = (struct DrvDead){.topic = t->conn.topic};
        int r = topic_ends(d, u);
        if (r < 0) return job_fail(d->job, "sink topic '%s': %s", u->topic, d->err);
        if (r > 0) {   /* not there yet: the producer's request makes it (empty) */
            if (kafka_producer_partition_count(d->out.p, u->topic, 5000, &u->nparts, d->err, sizeof d->err) || u->nparts <= 0)
                u->nparts = 0;   /* unknown: its checkpoints record nothing, and nothing is set back */
            u->from = arena_alloc(&d->a, sizeof *u->from * (size_t)(u->nparts ? u->nparts : 1));
            for (int p = 0; p < u->nparts; p++) u->from[p] = 0;
        }
    }
    d->out.usink = d->usink;
    d->out.nusink = d->nusink;
    return 0;
}

/* JobOutput.ends: "TOPIC\tP=OFFSET,…" per upsert sink topic, the offset
 * after the last record before the checkpoint's mark in each partition. */
static char *kafka_sink_ends(void *ctx)
{
    const DrvOut *o = ctx;
    StrBuf b = {0};
    for (int i = 0; i < o->nusink; i++) {
        const struct DrvDead *u = &o->usink[i];
        if (!u->nparts) continue;
        size_t start = b.len;
        sb_printf(&b, "%s%s\t", b.len ? "\n" : "", u->topic);
        for (int p = 0; p < u->nparts; p++) {
            int64_t at = u->from[p], next;
            int r = kafka_producer_marked_next(o->p, u->topic, p, &next);
            if (r == -2) {   /* a position not known: the topic is not recorded (nothing is set back in it) */
                b.len = start;
                if (b.s) b.s[start] = 0;
                break;
            }
            if (r == 0 && next > at) at = next;
            sb_printf(&b, "%s%d=%lld", p ? "," : "", p, (long long)at);
        }
    }
    return b.s;
}

/* A key to revert: [partition, 4 bytes][key bytes], and its value at the checkpoint. */
typedef struct Revert {
    uint32_t klen;        /* bytes of key[] */
    int64_t  ts;          /* the timestamp of that record, -1 = none (a tombstone now) */
    char    *val;         /* its value (malloc'd), NULL = a tombstone */
    size_t   vlen;
    unsigned char key[];
} Revert;

static const void *revert_key(const void *e, size_t *len)
{
    const Revert *r = e;
    *len = r->klen;
    return r->key;
}

/* Reads partitions p of topic with from[p] < to[p] from from[p] to to[p]
 * (each record once, in order), calling fn on each.  0, 1 when stopped
 * meanwhile, -1 failed (the job too). */
static int read_ranges(Driver *d, const char *topic, int nparts, const int64_t *from, const int64_t *to,
                       int (*fn)(void *ctx, const kafka_msg *m), void *ctx, volatile sig_atomic_t *stop)
{
    kafka_tp *tps = malloc(sizeof *tps * (size_t)nparts);
    int64_t *at = malloc(sizeof *at * (size_t)nparts);
    const int maxbatch = 1000;
    kafka_msg *msgs = malloc(sizeof *msgs * maxbatch);
    if (!tps || !at || !msgs) abort();
    int n = 0, rc = 0;
    for (int p = 0; p < nparts; p++) {
        at[p] = from[p];
        if (from[p] < to[p]) tps[n++] = (kafka_tp){topic, p, from[p]};
    }
    if (n && kafka_assign(d->c, tps, n, d->err, sizeof d->err)) rc = job_fail(d->job, "sink topic '%s': %s", topic, d->err);
    for (int open = n; open > 0 && rc == 0;) {
        if (*stop) {
            rc = 1;
            break;
        }
        int got = kafka_poll_batch(d->c, msgs, maxbatch, 100, d->err, sizeof d->err);
        if (got < 0) {
            rc = job_fail(d->job, "sink topic '%s': %s", topic, d->err);
            break;
        }
        for (int k = 0; k < got && rc == 0; k++) {
            const kafka_msg *m = &msgs[k];
            if (m->partition < 0 || m->partition >= nparts || m->offset < at[m->partition] || m->offset >= to[m->partition]) continue;
            at[m->partition] = m->offset + 1;
            rc = fn(ctx, m);
        }
        kafka_release_batch(d->c, msgs, got);
        open = 0;
        for (int p = 0; p < nparts; p++) open += at[p] < to[p];
    }
    free(tps);
    free(at);
    free(msgs);
    return rc;
}

typedef struct RevertScan {
    Htab      keys;       /* Revert entries */
    bool     *has;        /* per partition: a key to revert is there (the second pass reads only those) */
    bool      collect;    /* the first pass: every key met is one to revert; the second: their values before */
    StrBuf    k;          /* scratch: a composite key */
} RevertScan;

static int revert_seen(void *ctx, const kafka_msg *m)
{
    RevertScan *rs = ctx;
    if (!m->key) return 0;   /* an upsert sink writes keys: not one of its records */
    rs->k.len = 0;
    uint32_t p = (uint32_t)m->partition;
    sb_putn(&rs->k, (const char *)&p, sizeof p);
    sb_putn(&rs->k, m->key, m->klen);
    uint64_t h = htab_hash(rs->k.s, rs->k.len);
    Revert *r = htab_find(&rs->keys, rs->k.s, rs->k.len, h);
    if (rs->collect) {
            if (r) return 0;
        r = xmalloc(sizeof *r + rs->k.len);
        *r = (Revert){.klen = (uint32_t)rs->k.len, .ts = -1};
        rs->has[m->partition] = true;
        memcpy(r->key, rs->k.s, rs->k.len);
        htab_insert(&rs->keys, r, h);
        return 0;
    }
    if (!r) return 0;
    free(r->val);
    r->val = NULL;
    r->vlen = 0;
    r->ts = m->ts_ms;
    if (m->value) {
        r->val = xmalloc(m->vlen ? m->vlen : 1);
        memcpy(r->val, m->value, m->vlen);
        r->vlen = m->vlen;
    }
    return 0;
}

/* After a restart: reverts what the stopped run wrote into the upsert
 * sinks beyond the checkpoint (above).  0, 1 when stopped meanwhile, -1. */
static int upsert_sink_revert(Driver *d, volatile sig_atomic_t *stop)
{
    Job *j = d->job;
    const char *meta = j->state ? state_get_meta(j->state, "upsert_sink_from") : NULL;
    if (!meta || !d->nusink || !d->out.p) return 0;
    int rc = 0;
    for (int i = 0; i < d->nusink && rc == 0; i++) {
        const struct DrvDead *u = &d->usink[i];
        if (!u->nparts) continue;
        int64_t *from = arena_alloc(&d->a, sizeof *from * (size_t)u->nparts);
        int64_t *zero = arena_alloc(&d->a, sizeof *zero * (size_t)u->nparts);
        if (!dead_letter_recorded(meta, u->topic, u->nparts, from)) continue;
        bool any = false;
        for (int p = 0; p < u->nparts; p++) {
            int64_t lo, hi;
            if (kafka_watermarks(d->c, u->topic, p, &lo, &hi, 5000, d->err, sizeof d->err))
                return job_fail(j, "sink topic '%s': %s", u->topic, d->err);
            if (from[p] < 0) from[p] = lo;   /* a partition the checkpoint did not know: all of it */
            zero[p] = lo;
            any = any || from[p] < u->from[p];
        }
        if (!any) continue;   /* a clean stop: nothing beyond the checkpoint */
        RevertScan rs = {.collect = true, .has = arena_alloc(&d->a, sizeof(bool) * (size_t)u->nparts)};
        memset(rs.has, 0, sizeof(bool) * (size_t)u->nparts);
        htab_init(&rs.keys, revert_key);
        rc = read_ranges(d, u->topic, u->nparts, from, u->from, revert_seen, &rs, stop);
        rs.collect = false;
        for (int p = 0; p < u->nparts; p++)
            if (!rs.has[p]) from[p] = zero[p];   /* nothing to look up there */
        if (rc == 0 && htab_count(&rs.keys)) rc = read_ranges(d, u->topic, u->nparts, zero, from, revert_seen, &rs, stop);
        long long n = 0;
        HtabIter it;
        htab_iter_init(&rs.keys, &it);
        for (Revert *r; (r = htab_iter_next(&rs.keys, &it));) {
            uint32_t p;
            memcpy(&p, r->key, sizeof p);
            if (rc == 0 && kafka_produce(d->out.p, u->topic, (int32_t)p, r->key + sizeof p, r->klen - sizeof p, r->val, r->vlen,
                                         r->ts >= 0 ? r->ts : wall_ms(), NULL, 0, d->err, sizeof d->err))
                rc = job_fail(j, "sink topic '%s': %s", u->topic, d->err);
            n += rc == 0;
            free(r->val);
            free(r);
        }
        htab_free(&rs.keys);
        sb_free(&rs.k);
        if (rc == 0 && n && kafka_producer_flush(d->out.p, 30000, d->err, sizeof d->err))
            rc = job_fail(j, "sink topic '%s': %s", u->topic, d->err);
        if (rc == 0 && n)
            job_notice(j, "sink '%s': %lld key%s written after the last checkpoint by the stopped run set back to %s value at the checkpoint; the replay writes %s again",
                       u->topic, n, n == 1 ? "" : "s", n == 1 ? "its" : "their", n == 1 ? "it" : "them");
    }
    return rc;
}

/* ---- fail fast: is the bootstrap address there at all? ---- */

/* Tries a TCP connection to each host:port of the bootstrap list (timeout_ms
 * each).  0 when one answers; else -1 with "cannot reach HOST:PORT: reason"
 * (of the first) in err.  A cluster that takes the connection may still
 * fail later (authentication, a wrong port of another service): the client
 * reports that. */
static int probe_bootstrap(const char *bs, int timeout_ms, char *err, size_t errlen)
{
    char first[400] = "";
    const char *p = bs;
    while (*p) {
        size_t len = strcspn(p, ",");
        char hp[256];
        snprintf(hp, sizeof hp, "%.*s", (int)(len < 255 ? len : 255), p);
        p += len + (p[len] == ',');
        char *h = hp;
        while (*h == ' ') h++;
        char *scheme = strstr(h, "://");   /* SSL://host:port */
        if (scheme) h = scheme + 3;
        char *colon = strrchr(h, ':');
        if (!colon || !*h) continue;
        *colon = 0;
        const char *port = colon + 1;
        char *host = h;
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            host++;
            host[strlen(host) - 1] = 0;
        }
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int g = getaddrinfo(host, port, &hints, &res);
        if (g) {
            if (!first[0]) snprintf(first, sizeof first, "cannot reach %s:%s: %s", host, port, gai_strerror(g));
            continue;
        }
        const char *why = "no address";
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0) continue;
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (rc != 0 && errno == EINPROGRESS) {
                struct pollfd pf = {fd, POLLOUT, 0};
                rc = poll(&pf, 1, timeout_ms);
                if (rc == 0) {
                    why = "no answer (timed out)";
                    rc = -1;
                } else if (rc > 0) {
                    int soerr = 0;
                    socklen_t sl = sizeof soerr;
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                    rc = soerr ? -1 : 0;
                    if (soerr) why = strerror(soerr);
                } else {
                    why = strerror(errno);
                }
            } else if (rc != 0) {
                why = strerror(errno);
            }
            close(fd);
            if (rc == 0) {
                freeaddrinfo(res);
                return 0;
            }
        }
        freeaddrinfo(res);
        if (!first[0]) {
            int at = snprintf(first, sizeof first, "cannot reach %s:%s: ", host, port);
            snprintf(first + at, sizeof first - (size_t)at, "%s", why);
            if (first[at] >= 'A' && first[at] <= 'Z') first[at] = (char)(first[at] - 'A' + 'a');   /* "connection refused" */
        }
    }
    if (!first[0]) return 0;   /* nothing we can parse: leave it to the client */
    snprintf(err, errlen, "%s", first);
    return -1;
}

/* ---- metrics: latency, reachability, the snapshot ---- */

/* The current mini-batch ended (the job flushed): its records wait for the
 * sink's acknowledgement of what it emitted. */
static void lat_seal(Driver *d)
{
    if (!d->lat_n) return;
    long long queued = 0, acked = 0, errs = 0;
    if (d->out.p) kafka_producer_counts(d->out.p, &queued, &acked, &errs);
    if (!d->out.p || acked >= queued || d->lat_len == (int)(sizeof d->lat_wait / sizeof d->lat_wait[0])) {
        /* nothing to wait for (or too much in flight: count it now) */
        int64_t now = wall_ms();
        for (int i = 0; i < d->lat_n; i++) lat_observe(&d->latency, now - d->lat_ts[i], 1);
        d->lat_n = 0;
        return;
    }
    struct LatBatch *b = &d->lat_wait[(d->lat_head + d->lat_len++) % (int)(sizeof d->lat_wait / sizeof d->lat_wait[0])];
    b->ts = d->lat_ts;
    b->n = d->lat_n;
    b->acked_at = queued;
    d->lat_ts = NULL;
    d->lat_n = d->lat_cap = 0;
}

/* Mini-batches whose sink records are acknowledged now. */
static void lat_acked(Driver *d)
{
    if (!d->lat_len) return;
    long long queued = 0, acked = 0, errs = 0;
    kafka_producer_counts(d->out.p, &queued, &acked, &errs);
    int64_t now = wall_ms();
    const int ring = (int)(sizeof d->lat_wait / sizeof d->lat_wait[0]);
    while (d->lat_len && d->lat_wait[d->lat_head].acked_at <= acked) {
        struct LatBatch *b = &d->lat_wait[d->lat_head];
        for (int i = 0; i < b->n; i++) lat_observe(&d->latency, now - b->ts[i], 1);
        free(b->ts);
        b->ts = NULL;
        d->lat_head = (d->lat_head + 1) % ring;
        d->lat_len--;
    }
}

/* Is the cluster there?  The driver asks (a connection to a bootstrap
 * server, 1 s at most) when the clients report a new error, and every 2 s while no record
 * comes (when records come, it answers).  While it does not answer, the
 * job says so at once and every 10 s, asks every second, and takes no
 * checkpoint (which would wait for the sink); when it answers again the
 * job says so and goes on where it was. */
static void watch_broker(Driver *d)
{
    if (d->c_shared && d->share->nds && d->share->ds[0] != d) {   /* one watch per shared consumer: its first driver's */
        const Driver *first = d->share->ds[0];
        if (first->down && !d->down) d->down_since = first->down_since;
        d->down = first->down;
        snprintf(d->down_err, sizeof d->down_err, "%s", first->down_err);
        return;
    }
    long long w = d->c ? kafka_consumer_warnings(d->c) : 0, q, a, perr = 0;   /* (no consumer: only tables scanned) */
    if (d->out.p) kafka_producer_counts(d->out.p, &q, &a, &perr);
    int64_t now = wall_ms();
    bool fresh = w != d->warnings || perr != d->perrors;
    bool idle = d->job->stats.records_in == d->seen_in;
    d->seen_in = d->job->stats.records_in;
    if (d->ntopics == 0 || (!fresh && (now < d->probe_at || (!idle && !d->down)))) {
        if (!idle) d->probe_at = now + 2000;
        return;
    }
    d->warnings = w;
    d->perrors = perr;
    /* A TCP connection to the bootstrap servers: librdkafka's own requests
     * wait for a leader well past their timeout while the cluster is away. */
    char err[256];
    bool up = probe_bootstrap(d->bs, 1000, err, sizeof err) == 0;
    now = wall_ms();
    d->probe_at = now + (up ? 2000 : 1000);
    if (up) {
        if (d->down) job_notice(d->job, "the Kafka cluster answers again after %.1f s; the job goes on", (double)(now - d->down_since) / 1000.0);
        d->down = false;
        return;
    }
    const char *warn = kafka_consumer_last_warning(d->c);
    if (!d->down) {
        d->down = true;
        d->down_since = d->down_told = now;
        snprintf(d->down_err, sizeof d->down_err, "%s", warn[0] && fresh ? warn : err);
        job_notice(d->job, "the Kafka cluster does not answer: %s (the job waits and retries)", d->down_err);
    } else {
        if (fresh && warn[0]) snprintf(d->down_err, sizeof d->down_err, "%s", warn);
        if (now - d->down_told >= 10000) {
            d->down_told = now;
            job_notice(d->job, "the Kafka cluster still does not answer after %.0f s: %s", (double)(now - d->down_since) / 1000.0, d->down_err);
        }
    }
}

/* The partitions the sink waits for, as the producer's statistics last
 * said, as topic/partition: "user_stats/2 (353 records, leader broker 2
 * not connected)", up to four of them and how many more. */
static void sink_waiting(const Driver *d, char *buf, size_t cap)
{
    kafka_part_wait w[KAFKA_MAX_WAITING];
    int n = kafka_producer_waiting(d->out.p, w, KAFKA_MAX_WAITING);
    buf[0] = 0;
    if (n <= 0) {
        snprintf(buf, cap, "%s", n == -2 ? "(partitions not known: no client statistics without 'enable.idempotence')"
                                 : n < 0 ? "(no partition known yet)" : "(no partition known)");
        return;
    }
    size_t at = 0;
    int shown = n < 4 ? n : 4;
    for (int i = 0; i < shown && at < cap; i++) {
        char what[48], why[64];
        snprintf(what, sizeof what, "%lld record%s, ", w[i].records, w[i].records == 1 ? "" : "s");
        if (w[i].leader < 0) snprintf(why, sizeof why, "no leader");
        else snprintf(why, sizeof why, "leader broker %d%s", (int)w[i].leader, w[i].leader_up ? "" : " not connected");
        at += (size_t)snprintf(buf + at, cap - at, "%s%s/%d (%s%s)", i ? ", " : "", w[i].topic, (int)w[i].partition, what, why);
    }
    if (n > shown && at < cap) snprintf(buf + at, cap - at, " and %d more partition%s", n - shown, n - shown == 1 ? "" : "s");
}

/* How long a stop waits for the sink to acknowledge what the job wrote
 * before the final checkpoint (a running job waits as long as it takes). */
#define STOP_GRACE_MS 60000
#define STOP_GRACE_TEXT "60 s"

/* Does the sink acknowledge?  A checkpoint collected more than 5 s ago
 * that still waits for acknowledgements, or a producer queue so full that
 * the job stopped reading, is said at once and every 10 s, naming the
 * partitions records wait for; meanwhile the job goes on with every other
 * partition and takes no further checkpoint.  When the acknowledgements
 * come, the job says so. */
static void watch_sink(Driver *d)
{
    Job *j = d->job;
    if (!d->out.p) return;
    if (d->p_shared && d->share->nds && d->share->ds[0] != d) return;   /* one report per shared producer: its first driver's */
    int64_t now = mono_ms();
    int64_t since = j->acking && now - j->ack_since >= 5000 ? j->ack_since : 0;
    if (d->throttled && (!since || d->throttled_since < since)) since = d->throttled_since;
    if (!since) {
        if (d->sink_told) {
            job_notice(j, "the sink acknowledges again after %.1f s; checkpoints go on", (double)(now - d->sink_since) / 1000.0);
            d->sink_told = 0;
        }
        d->sink_stall[0] = 0;
        return;
    }
    if (d->sink_told && now - d->sink_told < 10000) return;
    long long queued = 0, acked = 0, errs = 0;
    kafka_producer_counts(d->out.p, &queued, &acked, &errs);
    sink_waiting(d, d->sink_stall, sizeof d->sink_stall);
    if (!d->sink_told) d->sink_since = since;
    d->sink_told = now;
    job_notice(j, "the sink has %lld record%s not acknowledged after %.0f s, waiting in %s; the job %s, checkpoints wait until they are acknowledged",
               queued - acked, queued - acked == 1 ? "" : "s", (double)(now - d->sink_since) / 1000.0, d->sink_stall,
               j->stopping    ? "stops once they are (the final checkpoint needs them; a stop waits " STOP_GRACE_TEXT " at most)"
               : d->throttled ? "stops reading until the producer's queue drains"
                              : "goes on (reading, and writing to partitions that acknowledge)");
}

/* Waits (serving the producer, watching the cluster and the sink,
 * publishing) until the checkpoint in progress is acknowledged and
 * written, and with `all` until every record queued is acknowledged.
 * There is no time limit unless a stop is asked for (*stop; stop may be
 * NULL): then the sink gets STOP_GRACE_MS, after which the job fails,
 * saying what was not acknowledged.  0, or -1 (the message in the job). */
static int checkpoint_drain(Driver *d, bool all, volatile sig_atomic_t *stop)
{
    Job *j = d->job;
    int64_t deadline = 0;
    for (;;) {
        /* First: acknowledgements already served start the write now, not
         * after a wait below for deliveries that have all come (a stopping
         * job's end waited up to 100 ms so, twice). */
        if (job_checkpoint_poll(j)) return -1;
        long long queued = 0, acked = 0, errs = 0;
        if (d->out.p) kafka_producer_counts(d->out.p, &queued, &acked, &errs);
        if (!j->acking && (!all || acked >= queued)) break;
        if (!deadline && stop && *stop) deadline = mono_ms() + STOP_GRACE_MS;
        if (deadline && mono_ms() >= deadline) {
            char where[256];
            sink_waiting(d, where, sizeof where);
            return job_fail(j, "stopped while the sink still had %lld record%s not acknowledged after %d s, waiting in %s: %s", queued - acked,
                            queued - acked == 1 ? "" : "s", STOP_GRACE_MS / 1000, where,
                            j->state ? "the final checkpoint is not taken; a restart resumes from the last one and writes them again"
                                     : "they may not have been written");
        }
        if (d->out.p) {
            kafka_producer_serve(d->out.p, 100);
            if (kafka_producer_poll(d->out.p, d->err, sizeof d->err))
                return job_fail(j, "sink '%s': %s", j->plan->nsinks ? j->plan->sinks[0]->table->name : "?", d->err);
        }
        if (d->c) watch_broker(d);
        watch_sink(d);
        if (d->precs && mono_ms() - d->published >= 250) publish(d);
    }
    return job_checkpoint_sync(j);
}

/* Publishes the job's snapshot with the driver's own counters; says, at
 * most every 5 s, how many late rows came (any operator's). */
static void publish(Driver *d)
{
    Job *j = d->job;
    d->published = mono_ms();
    if (j->stats.late > d->late_told && d->published - d->late_at >= 5000) {
        job_notice(j, "%lld late row%s in the last %.0f s (they came after every window or join they belong to had closed: they change no result); %lld so far",
                   (long long)(j->stats.late - d->late_told), j->stats.late - d->late_told == 1 ? "" : "s",
                   d->late_at ? (double)(d->published - d->late_at) / 1000.0 : (double)(d->published - d->late_at0) / 1000.0,
                   (long long)j->stats.late);
        d->late_told = j->stats.late;
        d->late_at = d->published;
    }
    job_snap_begin(j);
    JobSnap *s = &j->snap;
    if (s->nparts != d->nparts) {
        free(s->parts);
        s->parts = calloc((size_t)d->nparts + 1, sizeof *s->parts);
        if (!s->parts) abort();
        s->nparts = d->nparts;
    }
    for (int i = 0; i < d->nparts; i++) {
        PartSnap *p = &s->parts[i];
        p->topic = d->pos[i].topic;
        p->partition = d->pos[i].partition;
        p->position = d->pos[i].offset;
        p->records = d->precs[i];
        p->bytes = d->pbytes[i];
        int64_t hi;
        if (d->c && kafka_cached_high(d->c, p->topic, p->partition, &hi) == 0) p->high = hi;
        else if (p->high < 0 || p->high == 0) p->high = -1;
        /* before any fetch answered: the end is where we stand when we know that */
        if (p->high >= 0 && p->position > p->high) p->high = p->position;
    }
    s->latency = d->latency;
    s->bytes_out = d->out.bytes;
    if (d->out.p) {
        long long queued, acked, errs;
        kafka_producer_counts(d->out.p, &queued, &acked, &errs);
        s->sink_errors = errs;
        s->sink_pending = queued - acked;
        s->sink_retried = kafka_producer_retried(d->out.p);
    }
    s->ckpt_wall_ms = d->ckpt_wall;
    snprintf(s->sink_stall, sizeof s->sink_stall, "%s", d->sink_stall);
    s->broker_down = d->down;
    s->broker_down_ms = d->down_since;
    snprintf(s->broker_err, sizeof s->broker_err, "%s", d->down_err);
    job_snap_end(j);
}

/* ---- the run: open, step, close ---- */

/* Where a stepped run is (Driver.phase). */
enum { DRV_RUN, DRV_STOP, DRV_OUT };

/* The topics read are ready and the job can step: everything before the
 * loop of a run (the consumer and producer, start positions, a restart's
 * replay and catch-up, the first checkpoint, the assignment).  A run that
 * has nothing to loop over (stopped while waiting, failed, nothing to
 * read) says so through d->phase. */
static void open_run(Driver *d, const char *bootstrap)
{
    Job *j = d->job;
    volatile sig_atomic_t *stop = d->stop;
    j->paced = true;   /* generated sources keep their rate over the wall clock */
    d->rc = -1;
    d->phase = DRV_OUT;
    d->maxbatch = 10000;
    d->sink = j->plan->nsinks ? j->plan->sinks[0]->table : NULL;
    /* The first Kafka sink gives the producer its properties (a database
     * sink has its own client; the producer still serves dead-letter and
     * late-row copies).  An exchange's internal topic is written as a
     * Kafka topic. */
    const PlanTable *ksink = NULL;
    for (int i = 0; i < j->plan->nsinks && !ksink; i++)
        if (j->plan->sinks[i]->table->conn.kind == CONN_KAFKA || j->plan->sinks[i]->table->conn.kind == CONN_EXCHANGE)
            ksink = j->plan->sinks[i]->table;
    bool resumed = false;

    collect_topics(d);
    /* The clock is the wall clock before the first record (PROCTIME(), idle partitions). */
    if (job_set_clock(j, wall_ms())) return;
    bool reads = d->ntopics || d->npatterns;   /* some source reads topics */
    const char **cprops = kafka_props(j, d->first_table, &d->a);
    const char *bs = bootstrap ? bootstrap : find_prop(cprops, "bootstrap.servers");
    if (!bs && (reads || ksink)) {
        job_fail(j, "no Kafka bootstrap server: use --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers'");
        return;
    }
    /* Fail fast: an address nothing listens on is said at once, not after minutes of retries. */
    d->bs = bs;
    if (bs && (reads || ksink) && probe_bootstrap(bs, 3000, d->err, sizeof d->err)) {
        job_fail(j, "%s (bootstrap servers '%s')", d->err, bs);
        return;
    }
    /* The consumer's group (for the offsets commit_groups commits): the job's name unless the properties name one. */
    if (reads && !find_prop(cprops, "group.id")) {
        int n = 0;
        while (cprops[n]) n++;
        const char **withgroup = arena_alloc(&d->a, sizeof(char *) * (size_t)(n + 3));
        withgroup[0] = "group.id";
        withgroup[1] = j->plan->name ? j->plan->name : "eddy";
        memcpy(withgroup + 2, cprops, sizeof(char *) * (size_t)(n + 1));
        cprops = withgroup;
    }
    /* A job whose only inputs are VALUES reads no topic: it emits its rows and ends. */
    d->cprops = cprops;
    /* Sharing the worker's consumer, a driver uses it from the start, for
     * its look-ups; one that may scan its dead-letter topics after a
     * restart (an assignment of its own) uses its own until it reads. */
    bool dead_letters = false;
    for (int s = 0; s < j->plan->nsources; s++) dead_letters = dead_letters || j->plan->sources[s]->table->conn.dead_letter;
    if (reads && d->share && !dead_letters) {
        if (!d->share->c) d->share->c = kafka_consumer_new(bs, cprops, d->err, sizeof d->err);
        d->c = d->share->c;
        d->c_shared = d->c != NULL;
    } else {
        d->c = reads ? kafka_consumer_new(bs, cprops, d->err, sizeof d->err) : NULL;
    }
    if (!d->c && reads) {
        job_fail(j, "source '%s': %s", d->first_table ? d->first_table->name : "?", d->err);
        return;
    }
    if (d->npatterns) {
        int mp = match_patterns(d, stop);
        if (mp) {
            d->rc = mp > 0 ? 0 : -1;   /* stopped while waiting for a topic */
            return;
        }
    }
    bounded_job(d);
    if (d->sink && bs) {   /* (a job of database tables only needs no cluster) */
        kafka_producer *p = d->share && d->share->p ? d->share->p : kafka_producer_new(bs, kafka_props(j, ksink, &d->a), d->err, sizeof d->err);
        if (d->share && p) {   /* one producer for the worker's tasks */
            d->share->p = p;
            d->p_shared = true;
        }
        if (!p) {
            job_fail(j, "sink '%s': %s", d->sink->name, d->err);
            return;
        }
        d->out.p = p;
        for (int i = 0; i < j->plan->nsinks && d->out.nfixed < 8; i++)
            if (j->plan->sinks[i]->table->conn.kind == CONN_KAFKA && j->plan->sinks[i]->table->conn.partitioner == PART_FIXED)
                d->out.fixed[d->out.nfixed++] = j->plan->sinks[i]->table->conn.topic;
        j->out = (JobOutput){&d->out, kafka_emit, kafka_flush_out, kafka_queued_out, kafka_acked_out, kafka_sink_ends, kafka_partitions_out};
        /* A producer without idempotence keeps a key's records in order
         * only if the job sends nothing while records are retried: its
         * checkpoints wait for the sink in place (JobOutput.flush, as long
         * as it takes), as they always did.  Measured: going on meanwhile,
         * e2e/faults_produce_noidem saw updates go backwards. */
        if (!kafka_producer_idempotent(p)) j->out = (JobOutput){&d->out, kafka_emit, kafka_flush_out, NULL, NULL, kafka_sink_ends, kafka_partitions_out};
        /* Ask for the sink topic now: without it the producer learns the
         * topic's partitions only on its first metadata refresh, about a
         * second later, and holds every record until then (measured). */
        int sinkparts;
        if (ksink) kafka_producer_partition_count(p, ksink->conn.topic, 5000, &sinkparts, d->err, sizeof d->err);
    }

    if (!d->ntopics && !d->nscans) {
        SourceOffset *ahead0;   /* no offsets to catch up with: VALUES only */
        int nahead0;
        if (job_sinks_open(j, &ahead0, &nahead0) || job_start(j)) return;
        d->finished = true;
        d->phase = DRV_STOP;
        return;
    }
    if (wait_for_topics(d, stop)) {
        d->rc = 0;
        return;
    }
    for (int i = 0; i < d->ntopics && j->state; i++) resumed = resumed || state_has_offsets(j->state, d->topics[i].name);
    if (start_positions(d, resumed) || (resumed && check_resume(d)) || bounded_ends(d)) return;
    scan_positions(d);
    if (dead_letter_topics(d) || upsert_sink_topics(d)) return;
    if (resumed) {
        int dl = dead_letter_scan(d, stop);
        if (!dl) dl = upsert_sink_revert(d, stop);
        if (dl) {
            d->rc = dl > 0 ? 0 : -1;   /* stopped meanwhile */
            return;
        }
    }
    dead_letter_meta(d);
    d->precs = arena_alloc(&d->a, sizeof *d->precs * (size_t)(d->nparts + 1));   /* per-partition counters (metrics) */
    d->pbytes = arena_alloc(&d->a, sizeof *d->pbytes * (size_t)(d->nparts + 1));
    memset(d->precs, 0, sizeof *d->precs * (size_t)(d->nparts + 1));
    memset(d->pbytes, 0, sizeof *d->pbytes * (size_t)(d->nparts + 1));
    SourceOffset *ahead;
    int nahead;
    if (job_sinks_open(j, &ahead, &nahead)) return;
    if (ahead) {
        int cu = catch_up(d, ahead, nahead, stop);
        if (cu) {
            d->rc = cu > 0 ? 0 : -1;   /* stopped meanwhile: leave the state file as it was */
            return;
        }
    }
    /* A fresh job with dead-letter topics checkpoints where it starts (and
     * where its dead-letter topics end), so that a crash before its first
     * interval does not copy the records it reads again twice. */
    if (!resumed && !ahead && j->state && d->ndead && (job_checkpoint(j, d->pos, d->npos) || checkpoint_drain(d, false, stop))) return;
    d->finished = d->bounded && d->open_parts == 0 && d->scans_open == 0 && exchanges_ended(d);   /* a bounded job with nothing to read */
    if (d->finished) {
        if (job_start(j)) return;
        d->phase = DRV_STOP;
        return;
    }
    if (d->c && d->share) {
        /* The worker's consumer reads this driver's partitions from now on
         * (assigned at its next poll, with those of every driver opened
         * meanwhile: share_join). */
        if (!d->c_shared) {
            if (!d->share->c && !(d->share->c = kafka_consumer_new(bs, d->cprops, d->err, sizeof d->err))) {
                job_fail(j, "source '%s': %s", d->topics[0].table->name, d->err);
                return;
            }
            kafka_consumer_free(d->c);
            d->c = d->share->c;
            d->c_shared = true;
        }
        share_join(d->share, d, true);
    } else if (d->c && kafka_assign(d->c, d->tps, d->nparts, d->err, sizeof d->err)) {
        job_fail(j, "source '%s': %s", d->topics[0].table->name, d->err);
        return;
    }
    if (job_set_clock(j, wall_ms()) || assign_watermarks(d) || job_start(j)) return;
    d->lat_flushes = j->stats.flushes;
    d->late_at0 = mono_ms();
    d->late_told = j->stats.late;
    j->phase = PHASE_RUNNING;
    publish(d);

    d->msgs = malloc(sizeof *d->msgs * (size_t)d->maxbatch);
    d->recs = malloc(sizeof *d->recs * (size_t)d->maxbatch);
    if (!d->msgs || !d->recs) abort();
    d->first_pending = 0;
    d->last_ckpt = mono_ms();
    d->phase = DRV_RUN;
}

Driver *driver_open(Job *j, const char *bootstrap, volatile sig_atomic_t *stop) { return driver_open_shared(j, bootstrap, stop, NULL); }

Driver *driver_open_shared(Job *j, const char *bootstrap, volatile sig_atomic_t *stop, DriverShare *share)
{
    Driver *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->job = j;
    d->stop = stop;
    d->share = share;
    arena_init(&d->a, 4096);
    open_run(d, bootstrap);
    return d;
}

/* The step failed (the message in the job). */
static int step_fail(Driver *d)
{
    d->phase = DRV_OUT;
    d->rc = -1;
    return -1;
}

/* A step up to its poll: how long the poll may wait (*wait_out) and
 * whether the producer is too full to read (*full_out).  0 to poll, 1
 * over, -1 failed. */
static int step_begin(Driver *d, int timeout_ms, int64_t *wait_out, bool *full_out)
{
    if (d->phase != DRV_RUN) return d->phase == DRV_OUT && d->rc ? -1 : 1;
    Job *j = d->job;
    kafka_producer *p = d->out.p;
    if (*d->stop) {
        d->phase = DRV_STOP;
        return 1;
    }
    int64_t wait = j->latency_ms;
    if (j->pending) {
        int64_t held = mono_ms() - d->first_pending;   /* (first_pending + latency overflows for a latency of years) */
        int64_t left = j->latency_ms - held;
        wait = left < 0 ? 0 : left;
    }
    if (wait > timeout_ms) wait = timeout_ms < 0 ? 0 : timeout_ms;   /* notice a stop within the step's time (100 ms alone) */
    /* While the sink does not acknowledge, its records pile up in the
     * producer's queue: at half of it the job stops reading (and goes on
     * serving deliveries, reporting and watching for a stop) until
     * deliveries make room, rather than block inside a full queue. */
    bool full = p && kafka_producer_full(p);
    if (full != d->throttled) {
        d->throttled = full;
        d->throttled_since = mono_ms();
    }
    if (!full && d->scans_open) {   /* tables being scanned: their next pieces, and Kafka without waiting */
        int64_t before = j->pending, got = j->stats.records_in;
        if (pull_scans(d, NULL)) return step_fail(d);
        if (!before && j->pending) d->first_pending = mono_ms();
        /* A source that keeps a rate (datagen) may have nothing due yet:
         * then wait a little (5 ms: the pace stays even), else go on at once. */
        if (j->stats.records_in != got) wait = 0;
        else if (wait > 5) wait = 5;
    }
    *wait_out = wait;
    *full_out = full;
    return 0;
}

/* The rest of a step, with the n records polled for it (msgs; the caller
 * releases them afterwards). */
static int step_end(Driver *d, kafka_msg *msgs, int n)
{
    Job *j = d->job;
    kafka_producer *p = d->out.p;
    d->got = n;
    /* processing time moves every iteration: processing-time windows, idle partitions */
    if (job_set_clock(j, wall_ms())) return step_fail(d);
    if (n > 0 && !j->pending) d->first_pending = mono_ms();
    if (n > 0 && route(d, msgs, d->recs, n)) return step_fail(d);
    /* A mini-batch ends at its size, after allow-latency, or as soon as
     * the job has read all its partitions hold: then waiting only
     * delays the results (at a steady 100k orders/s, 100 ms of the
     * reference job's end-to-end latency), while a job catching up on
     * a backlog keeps its full batches. */
    if (j->pending && (j->pending >= j->batch_rows || mono_ms() - d->first_pending >= j->latency_ms ||
                       (n < d->maxbatch && read_to_end(d)))) {
        if (job_flush(j)) return step_fail(d);
    }
    if (p && kafka_producer_poll(p, d->err, sizeof d->err)) {
        job_fail(j, "sink '%s': %s", d->sink->name, d->err);
        return step_fail(d);
    }
    if (job_checkpoint_poll(j)) return step_fail(d);   /* the sink acknowledged a collected checkpoint: write it */
    if (j->stats.flushes != d->lat_flushes) {   /* a mini-batch ended (here or in a checkpoint) */
        d->lat_flushes = j->stats.flushes;
        lat_seal(d);
    }
    if (p) lat_acked(d);
    watch_broker(d);
    watch_sink(d);
    if (d->ckpt_open && !job_checkpoint_busy(j)) {   /* the last checkpoint is committed */
        d->ckpt_open = false;
        d->ckpt_wall = wall_ms();
        if (j->ckpt_offsets) commit_groups(d, j->ckpt_offsets);
    }
    if (mono_ms() - d->published >= 250) publish(d);
    if (j->replay && !j->pending && caught_up(d)) j->replay = false;
    if (d->bounded && d->open_parts <= 0 && d->scans_open == 0 && exchanges_ended(d)) {   /* read everything that was there at start */
        d->finished = true;
        d->phase = DRV_STOP;
        return 1;
    }
    if (j->done) {   /* e.g. a SELECT's LIMIT reached */
        d->phase = DRV_STOP;
        return 1;
    }
    if (j->state && j->ckpt_interval_ms > 0 &&
        (mono_ms() - d->last_ckpt >= j->ckpt_interval_ms || job_state_outgrown(j) || shuffle_waits(d))) {
        /* A checkpoint starts only when the previous one is committed: while
         * the writer is busy, changes keep accumulating for the next one
         * instead of the job waiting (the interval stretches under load).
         * Nor while the cluster is away: it would wait for the sink. */
        if (!job_checkpoint_busy(j) && !d->down) {
            int64_t before = j->stats.checkpoints + j->writing;
            dead_letter_meta(d);
            if (job_checkpoint(j, d->pos, d->npos)) return step_fail(d);
            d->last_ckpt = mono_ms();
            d->ckpt_open = j->acking || j->writing || j->stats.checkpoints + j->writing != before;
            if (!d->ckpt_open) d->ckpt_wall = wall_ms();   /* nothing changed: the state file is current */
            if (j->stats.flushes != d->lat_flushes) {
                d->lat_flushes = j->stats.flushes;
                lat_seal(d);
            }
            publish(d);
        }
    } else if (!j->state && j->ckpt_interval_ms > 0 && mono_ms() - d->last_ckpt >= j->ckpt_interval_ms && !j->pending && !d->down) {
        /* no state file: commit what has been processed, for the lag tools */
        d->last_ckpt = mono_ms();
        commit_groups(d, d->pos);
    }
    return 0;
}

int driver_step(Driver *d, int timeout_ms)
{
    int64_t wait;
    bool full;
    int r = step_begin(d, timeout_ms, &wait, &full);
    if (r) return r;
    int n = 0;
    if (full) kafka_producer_serve(d->out.p, (int)(wait > 0 ? wait : 1));
    else if (d->c) n = kafka_poll_batch(d->c, d->msgs, d->maxbatch, (int)wait, d->err, sizeof d->err);
    else if (wait > 0) nanosleep(&(struct timespec){0, (long)wait * 1000000L}, NULL);   /* no topic: nothing else to wait on */
    if (n < 0) {
        job_fail(d->job, "source '%s': %s", d->topics[0].table->name, d->err);
        return step_fail(d);
    }
    r = step_end(d, d->msgs, n);
    kafka_release_batch(d->c, d->msgs, n);
    return r;
}

/* ---- clients shared by the drivers of one worker thread ---- */

/* Driver d starts (join) or stops reading through the shared consumer.
 * A join has the consumer assigned anew before its next poll
 * (share_assign, once for every driver that joined meanwhile).  A driver
 * that leaves leaves its partitions assigned until the next join: their
 * records go to no driver (driver_step_shared drops them), while a new
 * assignment would fetch again every record the consumer holds for the
 * others (a bounded run's tasks end one by one). */
static void share_join(DriverShare *sh, struct Driver *d, bool join)
{
    if (join) {
        if (sh->nds == sh->capds) {
            sh->capds = sh->capds ? 2 * sh->capds : 8;
            sh->ds = realloc(sh->ds, sizeof *sh->ds * (size_t)sh->capds);
            if (!sh->ds) abort();
        }
        sh->ds[sh->nds++] = d;
    } else {
        int k = 0;
        while (k < sh->nds && sh->ds[k] != d) k++;
        if (k == sh->nds) return;
        memmove(sh->ds + k, sh->ds + k + 1, sizeof *sh->ds * (size_t)(sh->nds - k - 1));
        sh->nds--;
        return;
    }
    sh->dirty = true;
}

/* The shared consumer is assigned every partition of the drivers reading
 * through it, each from where its driver stands (the next offset it has
 * not read; where it starts, for a partition it has not read yet).
 * Records fetched and not yet polled are fetched again.  0, or -1
 * (sh->err). */
static int share_assign(DriverShare *sh)
{
    sh->dirty = false;
    int n = 0;
    for (int i = 0; i < sh->nds; i++) n += sh->ds[i]->nparts;
    kafka_tp *tps = malloc(sizeof *tps * (size_t)(n + 1));
    if (!tps) abort();
    n = 0;
    for (int i = 0; i < sh->nds; i++) {
        const Driver *o = sh->ds[i];
        for (int k = 0; k < o->nparts; k++) {
            tps[n] = o->tps[k];
            if (o->pos[k].offset >= 0) tps[n].offset = o->pos[k].offset;
            n++;
        }
    }
    int rc = kafka_assign(sh->c, tps, n, sh->err, sizeof sh->err);
    free(tps);
    return rc;
}

void driver_share_starts(DriverShare *sh, const SourceOffset *xstarts, int n)
{
    sh->xstarts = xstarts;
    sh->nxstarts = n;
}

DriverShare *driver_share_new(void)
{
    DriverShare *sh = calloc(1, sizeof *sh);
    if (!sh) abort();
    return sh;
}

void driver_share_free(DriverShare *sh)
{
    if (!sh) return;
    kafka_consumer_free(sh->c);
    if (sh->p) {
        kafka_producer_flush(sh->p, 1000, sh->err, sizeof sh->err);
        kafka_producer_free(sh->p);
    }
    free(sh->msgs);
    free(sh->ds);
    free(sh);
}

/* The driver whose partition record m is (NULL: none of them; the last
 * one found is tried first: a poll's records come in runs of a partition). */
static Driver *owner_of(Driver **ds, const int *rcs, int n, const kafka_msg *m, int *last)
{
    for (int k = 0; k < n; k++) {
        int i = (*last + k) % n;
        Driver *d = ds[i];
        if (rcs[i] || d->phase != DRV_RUN) continue;
        const DrvTopic *t = topic_of(d, m, NULL);
        if (t && m->partition >= t->p0 && m->partition < t->p0 + t->nparts) {
            *last = i;
            return d;
        }
    }
    return NULL;
}

int driver_step_shared(DriverShare *sh, Driver **ds, int *rcs, int n, int timeout_ms)
{
    int64_t wait = timeout_ms;
    bool full = false;
    int live = 0;
    for (int i = 0; i < n; i++) {
        int64_t w;
        bool f;
        if (rcs[i]) continue;
        rcs[i] = step_begin(ds[i], timeout_ms, &w, &f);
        if (rcs[i]) continue;
        live++;
        if (w < wait) wait = w;
        full = full || f;
    }
    if (!live) return 0;
    int got = 0;
    if (sh->dirty && sh->c && share_assign(sh) < 0) {
        for (int i = 0; i < n; i++)
            if (!rcs[i]) {
                job_fail(ds[i]->job, "source '%s': %s", ds[i]->topics[0].table->name, sh->err);
                rcs[i] = step_fail(ds[i]);
            }
        return 0;
    }
    if (full && sh->p) kafka_producer_serve(sh->p, (int)(wait > 0 ? wait : 1));
    else if (sh->c) {
        if (!sh->msgs && !(sh->msgs = malloc(sizeof *sh->msgs * 10000))) abort();
        got = kafka_poll_batch(sh->c, sh->msgs, 10000, (int)wait, sh->err, sizeof sh->err);
    } else if (wait > 0) nanosleep(&(struct timespec){0, (long)wait * 1000000L}, NULL);
    if (got < 0) {
        for (int i = 0; i < n; i++)
            if (!rcs[i]) {
                job_fail(ds[i]->job, "source '%s': %s", ds[i]->topics[0].table->name, sh->err);
                rcs[i] = step_fail(ds[i]);
            }
        return 0;
    }
    for (int i = 0; i < n; i++) ds[i]->got = 0;
    int last = 0;
    for (int k = 0; k < got; k++) {   /* each record to the driver of its partition */
        Driver *d = owner_of(ds, rcs, n, &sh->msgs[k], &last);
        if (d) d->msgs[d->got++] = sh->msgs[k];
    }
    for (int i = 0; i < n; i++)
        if (!rcs[i]) rcs[i] = step_end(ds[i], ds[i]->msgs, ds[i]->got);
    kafka_release_batch(sh->c, sh->msgs, got);
    return 0;
}

int driver_got(const Driver *d) { return d->phase == DRV_RUN ? d->got : 0; }

/* The clean stop: the final watermark of a bounded run read to its end,
 * the buffered changes, every delivery, the last checkpoint. */
static int stop_run(Driver *d)
{
    Job *j = d->job;
    kafka_producer *p = d->out.p;
    volatile sig_atomic_t *stop = d->stop;
    /* A bounded input read to its end is a final watermark (Flink's bounded
     * sources): event-time windows still open fire. */
    if (d->finished && !j->open_end && job_final_watermark(j)) return -1;
    /* Clean stop: emit what is buffered, wait for every delivery, checkpoint. */
    if (j->pending && job_flush(j)) return -1;
    j->stopping = true;
    /* The checkpoint in progress first, then the last one; both wait for
     * the sink, a stop asked for STOP_GRACE_MS at most. */
    if (j->state && checkpoint_drain(d, false, stop)) return -1;
    dead_letter_meta(d);
    if (j->state && (job_checkpoint(j, d->pos, d->npos) || checkpoint_drain(d, true, stop))) return -1;
    if (!j->state && job_sinks_commit(j)) return -1;
    if (p && (checkpoint_drain(d, true, stop) || kafka_producer_flush(p, 30000, d->err, sizeof d->err))) {
        if (!j->err[0]) job_fail(j, "sink '%s': %s", d->sink->name, d->err);
        return -1;
    }
    if (d->c && d->pos) {
        if (j->state) d->ckpt_wall = wall_ms();
        commit_groups(d, d->pos);
    }
    lat_seal(d);
    if (p) lat_acked(d);
    return 0;
}

int driver_close(Driver *d)
{
    if (!d) return -1;
    Job *j = d->job;
    if (d->phase == DRV_RUN) d->phase = DRV_STOP;   /* closed while running: a clean stop */
    if (d->phase == DRV_STOP) d->rc = stop_run(d);
    int rc = d->rc;
    if (d->precs) publish(d);
    free(d->lat_ts);
    for (int i = 0; i < d->lat_len; i++) free(d->lat_wait[(d->lat_head + i) % (int)(sizeof d->lat_wait / sizeof d->lat_wait[0])].ts);
    free(d->msgs);
    free(d->recs);
    if (d->c_shared) {
        share_join(d->share, d, false);   /* the worker's consumer goes on without its partitions */
    } else {
        kafka_consumer_free(d->c);
    }
    if (d->out.p && !d->p_shared) {
        kafka_producer_flush(d->out.p, rc ? 1000 : 0, d->err, sizeof d->err);
        kafka_producer_free(d->out.p);
    }
    j->out = (JobOutput){0};
    arena_free(&d->a);
    free(d);
    return rc;
}

int job_run_kafka(Job *j, const char *bootstrap, volatile sig_atomic_t *stop)
{
    Driver *d = driver_open(j, bootstrap, stop);
    while (driver_step(d, 100) == 0) {}
    return driver_close(d);
}

/* ---- tasks ---- */

int job_kafka_task_count(Job *j, const char *bootstrap, volatile sig_atomic_t *stop, int *out)
{
    const Plan *p = j->plan;
    Arena a;
    arena_init(&a, 1024);
    char err[256] = "";
    int most = 0, rc = 0;
    kafka_consumer *c = NULL;
    kafka_producer *xp = NULL;   /* asks for exchanges' internal topics, which a producer's request creates */
    for (int s = 0; s < p->nsources && rc == 0; s++) {
        const PlanTable *t = p->sources[s]->table;
        if (job_source_pulls(j, s) || t->conn.topic_pattern) continue;   /* (not run as tasks: kafka_tasks.c) */
        const char **props = kafka_props(j, t, &a);
        const char *bs = bootstrap ? bootstrap : find_prop(props, "bootstrap.servers");
        if (!bs) {
            rc = job_fail(j, "no Kafka bootstrap server: use --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers'");
            break;
        }
        if (!c && !(c = kafka_consumer_new(bs, props, err, sizeof err))) {
            rc = job_fail(j, "source '%s': %s", t->name, err);
            break;
        }
        for (int k = 0; k < (t->conn.ntopics ? t->conn.ntopics : 1) && rc == 0; k++) {
            const char *topic = t->conn.ntopics ? t->conn.topics[k] : t->conn.topic;
            int n = 0;
            bool waited = false;
            /* An exchange's internal topic is the job's own: the stage
             * before writes it, and asking for it as a producer does makes
             * it where the cluster creates topics on first use (the
             * development broker: 4 partitions; `eddy broker --topic`
             * makes it first with another count). */
            if (t->conn.kind == CONN_EXCHANGE && !xp) xp = kafka_producer_new(bs, props, err, sizeof err);
            if (t->conn.kind == CONN_EXCHANGE && xp) kafka_producer_partition_count(xp, topic, 5000, &n, err, sizeof err);
            while (!*stop && (kafka_partition_count(c, topic, 2000, &n, err, sizeof err) || n <= 0)) {
                if (!waited) job_notice(j, "waiting for topic '%s' (%s)", topic, err);
                waited = true;
                nanosleep(&(struct timespec){0, 200 * 1000000}, NULL);
            }
            if (*stop) rc = 1;
            if (n > most) most = n;
        }
    }
    kafka_consumer_free(c);
    if (xp) kafka_producer_free(xp);
    arena_free(&a);
    *out = most;
    return rc;
}

int driver_exchange_starts(Job *j, const char *bootstrap, SourceOffset **out, int *nout)
{
    const Plan *p = j->plan;
    Arena a;
    arena_init(&a, 1024);
    char err[256] = "";
    kafka_consumer *c = NULL;
    SourceOffset *v = NULL;
    int n = 0, cap = 0, rc = 0;
    for (int s = 0; s < p->nsources && rc == 0; s++) {
        const PlanTable *t = p->sources[s]->table;
        if (t->conn.kind != CONN_EXCHANGE) continue;
        const char **props = kafka_props(j, t, &a);
        const char *bs = bootstrap ? bootstrap : find_prop(props, "bootstrap.servers");
        int nparts = 0;
        if (!bs || (!c && !(c = kafka_consumer_new(bs, props, err, sizeof err))) ||
            kafka_partition_count(c, t->conn.topic, 5000, &nparts, err, sizeof err)) {
            rc = job_fail(j, "internal topic '%s': %s", t->conn.topic, bs ? err : "no Kafka bootstrap server");
            break;
        }
        for (int k = 0; k < nparts && rc == 0; k++) {
            int64_t lo, hi;
            if (kafka_watermarks(c, t->conn.topic, k, &lo, &hi, 5000, err, sizeof err)) {
                rc = job_fail(j, "internal topic '%s' partition %d: %s", t->conn.topic, k, err);
                break;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                v = realloc(v, sizeof *v * (size_t)cap);
                if (!v) abort();
            }
            v[n++] = (SourceOffset){t->conn.topic, k, hi};
        }
    }
    kafka_consumer_free(c);
    arena_free(&a);
    if (rc) {
        free(v);
        return -1;
    }
    *out = v;
    *nout = n;
    return 0;
}

/* ---- lag ---- */

int job_kafka_offset_sum(const Job *j, const char *bootstrap, bool start, long long *out)
{
    const Plan *p = j->plan;
    Arena a;
    arena_init(&a, 1024);
    char err[256];
    long long sum = 0;
    bool ok = true;
    for (int s = 0; ok && s < p->nsources; s++) {
        const PlanTable *t = p->sources[s]->table;
        if (job_source_pulls(j, s)) continue;   /* a scanned table: no topic */
        if (t->conn.topic_pattern) {   /* its topics are known only to the running job */
            ok = false;
            break;
        }
        const char **props = kafka_props(j, t, &a);
        const char *bs = bootstrap ? bootstrap : find_prop(props, "bootstrap.servers");
        kafka_consumer *c = bs ? kafka_consumer_new(bs, props, err, sizeof err) : NULL;
        if (!c) {
            ok = false;
            break;
        }
        for (int k = 0; ok && k < (t->conn.ntopics ? t->conn.ntopics : 1); k++) {   /* ('topic' = 'a;b': each) */
            const char *topic = t->conn.ntopics ? t->conn.topics[k] : t->conn.topic;
            int n = 0;
            if (kafka_partition_count(c, topic, 2000, &n, err, sizeof err) || n <= 0) {
                /* Not there yet: a topic created later starts at offset 0. */
                ok = start && t->conn.startup == START_EARLIEST && !(j->state && state_has_offsets(j->state, topic));
                continue;
            }
            for (int i = 0; i < n && ok; i++) {
                int64_t lo, hi, off;
                if (start && j->state && state_get_offset(j->state, topic, i, &off) == 0) {
                    sum += off;
                    continue;
                }
                if (kafka_watermarks(c, topic, i, &lo, &hi, 2000, err, sizeof err)) ok = false;
                else if (!start || t->conn.startup == START_LATEST) sum += hi;
                else if (t->conn.startup == START_EARLIEST) sum += lo;
                else ok = false;
            }
        }
        kafka_consumer_free(c);
    }
    arena_free(&a);
    if (!ok) return -1;
    *out = sum;
    return 0;
}
