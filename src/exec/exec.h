/*
 * exec.h — running a plan: a Job is the runtime state tree parallel to the
 * read-only Plan (one OpState per PlanNode), driven one batch at a time.
 *
 * Records enter at the source (from Kafka, or pushed from memory), flow as
 * Batches of rows through the operators, and leave at the sink (to Kafka,
 * or to a row callback).  Aggregates buffer changes per key until the
 * mini-batch is flushed, so each key changes at most once per mini-batch —
 * unless the plan turned mini-batch off (Plan.flink_changelog): then every
 * operator handles each row of a batch on its own, in order, as Flink's do
 * record by record, and a batch is only how rows travel.
 * Each operator kind implements one OpVTable; exec.c holds the table
 * indexed by PlanKind.  Nothing here knows SQL text.
 */
#ifndef EDDY_EXEC_H
#define EDDY_EXEC_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "value.h"

/* A record as a source sees it. */
typedef struct RawRecord {
    const char *topic;    /* topic it came from */
    int32_t     partition;/* partition */
    int64_t     offset;   /* offset in the partition */
    int64_t     ts;       /* record timestamp (ms) */
    const char *key;      /* key bytes, NULL = no key */
    size_t      klen;     /* key length */
    const char *val;      /* value bytes, NULL = tombstone */
    size_t      vlen;     /* value length */
    const char *op;       /* retract changelog: the "op" header ("+I", "-U", "+U", "-D"), or NULL */
    size_t      oplen;    /* its length */
    const void *msg;      /* the Kafka message it was read from (for its headers), or NULL */
} RawRecord;

/* A record as a sink writes it. */
typedef struct OutRecord {
    const char *topic;    /* destination topic */
    const char *key;      /* key bytes or NULL */
    size_t      klen;     /* key length */
    const char *val;      /* value bytes, NULL = tombstone */
    size_t      vlen;     /* value length */
    int64_t     ts;       /* timestamp (ms), 0 = now */
    const char *op;       /* retract changelog: value of the "op" header, or NULL */
    const struct kafka_header *hdrs; /* further headers to write (a dead-letter copy keeps them all) */
    int         nhdrs;    /* count */
    int32_t     partition;/* partition to write to, -1 = the table's partitioner (an exchange picks its own: op_exchange.c) */
} OutRecord;

/* Where records go: Kafka (exec_kafka.c) or memory. */
typedef struct JobOutput {
    void *ctx;                                                       /* the implementation's state */
    int (*emit)(void *ctx, const OutRecord *r, char *err, size_t errlen); /* queue one record */
    int (*flush)(void *ctx, int timeout_ms, char *err, size_t errlen);    /* wait for every delivery */
    /* Acknowledgements without waiting (both or neither; NULL: a checkpoint
     * waits with flush): `queued` counts the records emitted so far; `acked`
     * is 1 once every one of the first `mark` is acknowledged, 0 while some
     * wait, -1 when a delivery failed (the message in err). */
    long long (*queued)(void *ctx);
    int (*acked)(void *ctx, long long mark, char *err, size_t errlen);
    /* Where the sinks' topics end at the checkpoint being committed (the
     * mark of the last `queued` call once acknowledged, or after `flush`),
     * as the text the checkpoint keeps as meta "upsert_sink_from"
     * (malloc'd; NULL = nothing to keep).  May be NULL. */
    char *(*ends)(void *ctx);
    /* The partition count of `topic` (an exchange's internal topic: its
     * records go to hash(key) % count, its commit markers to every
     * partition), or -1 when it cannot be known.  May be NULL: then an
     * exchange writes to Job.ntasks partitions. */
    int (*partitions)(void *ctx, const char *topic);
} JobOutput;

/* Rows reaching the sink (after its column mapping) or a SELECT's result. */
/* table: the sink table the row goes to (a statement set has several), NULL for a SELECT's result. */
typedef void (*RowFn)(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table);

typedef struct Job Job;
typedef struct OpState OpState;
typedef struct WmGen WmGen;

struct StateStore;
struct StateBatch;
struct SourceOffset;

/*
 * One operator lifecycle.  The executor calls, per operator:
 *   init once; process for every batch arriving on an input port (port =
 *   index into the node's inputs); advance when time moves (the minimum
 *   watermark over its inputs rose, job_advance); flush at the end
 *   of a mini-batch; checkpoint / restore for keyed state; end once.
 * Operators append what they emit to `out`; the executor hands it to every
 * consumer.  NULL entries mean "nothing to do" (a stateless operator has no
 * checkpoint, restore or fingerprint; a time-agnostic one no advance).
 */
typedef struct OpVTable {
    int  (*init)(OpState *s);                          /* allocate runtime state */
    int  (*process)(OpState *s, int port, Batch *in, Batch *out); /* consume a batch from input `port` */
    int  (*advance)(OpState *s, int64_t watermark, Batch *out);   /* time reached `watermark` (ms): emit what it completes */
    int  (*clock)(OpState *s, int64_t now_ms, Batch *out);        /* processing time reached now_ms (job_set_clock): emit what it completes */
    int  (*flush)(OpState *s, Batch *out);             /* emit what the mini-batch buffered */
    /* Keyed state: add what changed since the last checkpoint to the
     * checkpoint's batch; load it all back on restart.  `op` numbers the
     * stateful operators. */
    int  (*checkpoint)(OpState *s, struct StateBatch *b, int op);
    int  (*restore)(OpState *s, struct StateStore *st, int op);
    void (*end)(OpState *s);                           /* free runtime state (NULL-safe state) */
    /* What identifies the operator's state layout: restarting with a plan
     * whose fingerprint differs would misread the state. */
    void (*fingerprint)(const PlanNode *n, StrBuf *out);
    /* A sink that writes into a system of its own (a database: op_sink_jdbc.c).
     * open: before the first record (job_sinks_open), connect and check the
     * target, and compare the checkpoint it holds with the state file's: when
     * it holds the next one (eddy was killed between the two commits) point
     * *ahead at that checkpoint's source offsets (n in *nahead; the operator
     * keeps them).  commit: make what it wrote durable with checkpoint ckpt
     * (0 = no checkpoint: a job without state), before the state file commits. */
    int  (*open)(OpState *s, struct SourceOffset **ahead, int *nahead);
    int  (*commit)(OpState *s, int64_t ckpt, const struct SourceOffset *offsets, int n);
    /* The job starts (job_start, once, before anything else reaches the
     * operators): an input of its own (VALUES) emits its rows. */
    int  (*start)(OpState *s, Batch *out);
    /* A source that reads a system of its own in pieces (a jdbc table's
     * scan, op_scan_jdbc.c), driven by job_pull: emits up to max of its
     * next rows into out.  *pos is how many rows it emitted before — the
     * driver sets it (0, or a checkpoint's position to resume at) and the
     * source moves it on; *done once nothing is left. */
    int  (*pull)(OpState *s, int64_t *pos, int64_t max, Batch *out, bool *done);
    /* A pull source: the name its position goes under in checkpoints
     * ("jdbc:<table-name>", "datagen:<table>"; never a Kafka topic's, which
     * cannot hold ':').  Every source with pull has it. */
    const char *(*position)(const OpState *s);
    /* A source that evaluates its table's WATERMARK per row: its generator
     * (watermark.c), or NULL.  job_push and job_pull feed it and advance. */
    WmGen *(*wmgen)(const OpState *s);
    /* Checkpoint ckpt is committed in the state file (its write finished:
     * job_checkpoint_poll, job_checkpoint_sync, the next job_checkpoint):
     * an exchange's sink writes its commit marker (op_exchange.c). */
    int  (*committed)(OpState *s, int64_t ckpt);
    /* A source fed records in a format of its own (an exchange's internal
     * topic): decodes them into out instead of op_source.c's decoder. */
    int  (*decode)(OpState *s, const RawRecord *recs, int n, Batch *out);
    /* A source that can end by itself (an exchange whose writers have all
     * ended): whether it has (job_inputs_ended). */
    bool (*ended)(const OpState *s);
    /* A source that holds records it read but has not applied yet (an
     * exchange's rows waiting for their commit marker), and keeps them out
     * of its checkpoints: lowers each of the n offsets of its partitions to
     * the oldest such record's, so that a restart reads them again
     * (job_checkpoint records the lowered offsets). */
    void (*rewind)(const OpState *s, struct SourceOffset *offsets, int n);
} OpVTable;

/* Per-operator instrumentation: the executor counts rows and time, stateful
 * operators keep state_keys / state_bytes current.  Read through the API. */
typedef struct OpStats {
    int64_t rows_in;      /* rows received, all ports */
    int64_t rows_out;     /* rows emitted */
    int64_t state_keys;   /* keys held in state */
    int64_t state_bytes;  /* bytes of state held (approximate: payloads, not allocator overhead) */
    int64_t time_ns;      /* time spent in process / advance / flush */
    int64_t watermark;    /* event time reached (ms), INT64_MIN = none yet */
} OpStats;

/* An edge of the job's DAG: where an operator's output goes. */
typedef struct OpEdge {
    OpState        *to;   /* the consumer */
    int             port; /* the consumer's input port */
} OpEdge;

struct OpState {
    const PlanNode *node; /* the plan node (read-only) */
    const OpVTable *vt;   /* its behaviour */
    Job            *job;  /* owning job */
    OpEdge         *outs; /* consumers of its output (from the plan's edges) */
    int             nouts;/* count */
    Batch           out;  /* output batch, reused */
    void           *priv; /* the operator's own state */
    int             cur_row; /* input row being processed (for error messages) */
    OpStats         stats;   /* instrumentation */
};

/* Messages a running job has for its user ("waiting for topic …"): the
 * library never prints, it calls this (if set). */
typedef void (*NoticeFn)(void *ctx, const char *msg);

typedef struct JobStats {
    int64_t records_in;   /* source records read */
    int64_t rows_out;     /* rows that reached the sink or the client */
    int64_t records_out;  /* records written */
    int64_t skipped;      /* malformed records skipped (error.mode = skip) */
    int64_t late;         /* rows that came after every window they belong to had fired: they change no result */
    int64_t flushes;      /* mini-batches emitted */
    int64_t checkpoints;  /* checkpoints committed */
    int64_t ckpt_last_us; /* duration of the last checkpoint (pause of processing) */
    int64_t ckpt_max_us;  /* longest checkpoint */
    int64_t ckpt_keys;    /* state rows written by the last checkpoint */
    int64_t ckpt_bytes;   /* their key and value bytes */
    int64_t restored_keys;/* state rows loaded at start */
    int64_t restore_us;   /* time to load them */
    int64_t dead_lettered;/* skipped records copied to the table's dead-letter topic */
    int64_t sink_retries; /* database sinks: lost connections retried ('sink.max-retries') */
    int64_t null_dropped; /* sink rows dropped for a NULL in a NOT NULL column ('table.exec.sink.not-null-enforcer' = 'DROP') */
} JobStats;

/* ---- Metrics: what a monitor reads of a running job (metrics.c) ----
 *
 * The job's counters are plain fields written by the job's thread.  Other
 * threads never read them: the job's thread publishes a snapshot (JobSnap,
 * under Job.snap_mu) every few hundred milliseconds, after checkpoints and
 * when it ends, and readers copy the snapshot (job_snap_copy). */

/* End-to-end latency buckets, ms (upper bounds; one more bucket: +Inf). */
#define LAT_BUCKETS 33
extern const int64_t lat_bounds_ms[LAT_BUCKETS];
typedef struct LatHist {
    int64_t counts[LAT_BUCKETS + 1]; /* per bucket (not cumulative); the last is +Inf */
    int64_t count;        /* observations */
    int64_t sum_ms;       /* their sum */
} LatHist;
void lat_observe(LatHist *h, int64_t ms, int64_t n);

/* One source partition, as the Kafka driver last saw it. */
typedef struct PartSnap {
    const char *topic;    /* topic (plan memory) */
    int32_t     partition;/* partition */
    int64_t     position; /* next offset the job reads, -1 = not known */
    int64_t     high;     /* the partition's end (high watermark) from the last fetch, -1 = not known */
    int64_t     records;  /* records read from it by this run */
    int64_t     bytes;    /* their key and value bytes */
} PartSnap;

/* One task of a job run as tasks (connect/kafka_tasks.c), as it last
 * published; the job's own snapshot sums its tasks'. */
typedef struct TaskSnap {
    int       stage;      /* its stage (0 = reads the job's source topics) */
    int       task;       /* its number within the stage: it reads partition `task` of the stage's inputs */
    int       worker;     /* the worker thread running it */
    int       phase;      /* a JobPhase */
    int64_t   records_in; /* source records it read */
    int64_t   rows_out;   /* rows that reached its sinks */
    int64_t   records_out;/* records it wrote */
    int64_t   lag;        /* records behind the ends of its partitions, -1 = not known */
    int64_t   ckpt_wall_ms; /* wall clock of its last committed checkpoint, 0 = none */
} TaskSnap;

typedef enum JobPhase { PHASE_CREATED, PHASE_STARTING, PHASE_RUNNING, PHASE_FINISHED, PHASE_STOPPED, PHASE_FAILED } JobPhase;
extern const char *const job_phase_names[];   /* "CREATED", "STARTING", "RUNNING", … */

typedef struct JobSnap {
    int64_t   taken_ms;   /* wall clock (ms) of the snapshot; 0 = none yet */
    int64_t   started_ms; /* when the run started (wall clock), 0 = not yet */
    JobPhase  phase;      /* where the job is */
    JobStats  stats;      /* the job's counters */
    OpStats  *ops;        /* per operator (Job.nops of them) */
    int       nops;       /* count */
    PartSnap *parts;      /* per source partition (Kafka runs) */
    int       nparts;     /* count */
    LatHist   latency;    /* record timestamp → the sink's acknowledgement of the mini-batch it was in */
    int64_t   bytes_out;  /* key and value bytes written to sink topics */
    int64_t   sink_errors;/* producer errors reported by the client (connections lost, …; it retries) */
    int64_t   sink_pending;/* records queued to the sink and not acknowledged yet */
    int64_t   sink_retried;/* records the Kafka producer sent again after a failed Produce request */
    int64_t   ckpt_wall_ms; /* wall clock of the last committed checkpoint, 0 = none */
    int64_t   ckpt_interval_ms; /* the job's checkpoint interval, 0 = none (no state file) */
    bool      broker_down;/* the cluster is not answering */
    int64_t   broker_down_ms; /* since when (wall clock) */
    char      broker_err[256]; /* the client's last error */
    char      sink_stall[256]; /* the sink partitions records wait for while a checkpoint waits for them; "" = none */
    char      err[1024];  /* why the job failed (PHASE_FAILED) */
    TaskSnap *tasks;      /* a job run as tasks: each task (the counters above are their sums), else NULL */
    int       ntasks;     /* count */
    int       nworkers;   /* its worker threads, 0 = not run as tasks */
} JobSnap;

/* The job's thread: lock the snapshot and copy the counters into it
 * (job_snap_begin); the driver adds its own fields; job_snap_end unlocks. */
void job_snap_begin(Job *j);
void job_snap_end(Job *j);
/* Sets the phase (and, failed, the reason from j->err) and publishes. */
void job_snap_phase(Job *j, JobPhase ph);
/* Any thread: a copy of the last snapshot (out->ops and parts are the
 * caller's: job_snap_free). */
void job_snap_copy(Job *j, JobSnap *out);
void job_snap_free(JobSnap *s);

/* A bounded-rate message: at most one every `every_ms`, later ones counted
 * and summed up in the next. */
typedef struct RateLog {
    int64_t last_ms;      /* monotonic ms of the last message, 0 = none */
    int64_t quiet;        /* messages held back since */
} RateLog;
/* Passes the message to the notice callback unless one went out less than
 * every_ms ago (then it is counted, and the next message says how many). */
void job_notice_limited(Job *j, RateLog *rl, int64_t every_ms, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct Job {
    const Plan *plan;     /* what runs */
    OpState    *ops;      /* one per plan node, in the plan's order (inputs before consumers) */
    int         nops;     /* count */
    OpState   **sources;  /* the source operators, by Plan.sources index */
    int         nsources; /* count */
    OpState    *cur_src;  /* the source whose records job_push is processing (for error messages) */
    JobOutput   out;      /* where sink records go (emit may be NULL: rows only) */
    RowFn       on_row;   /* rows at the sink/collect, or NULL */
    void       *row_ctx;  /* its context */
    Arena       batch_arena; /* strings of the current batch; reset after each */
    int64_t     latency_ms;  /* table.exec.mini-batch.allow-latency */
    int64_t     batch_rows;  /* table.exec.mini-batch.size */
    bool        per_record;  /* flush after every input record (deterministic changelogs) */
    bool        bounded;     /* over Kafka: stop at the offsets that were latest at start (also per table) */
    bool        open_end;    /* a bounded run's end is not a final watermark (job_final_watermark) */
    bool        done;        /* the job finished by itself (a SELECT's LIMIT reached) */
    bool        stopping;    /* the next checkpoint is the job's last */
    bool        started;     /* job_start ran (operators with a start hook emitted their rows) */
    bool        paced;       /* a run over the wall clock (the Kafka driver): pull sources that generate rows
                                keep their rate ('rows-per-second'); in memory they make what is asked */
    bool        replay;      /* re-reading records after a restart, into an upsert sink: operators
                                write every touched key again (the sink may hold newer values) */
    bool        sinks_catching_up; /* a database sink holds a checkpoint the state file does not: the driver
                                re-reads up to its offsets while that sink drops rows (job_sinks_open) */
    int64_t     pending;     /* input records since the last flush */
    int64_t     clock_ms;    /* processing time (ms since the epoch): PROCTIME() and processing-time windows read it; job_set_clock moves it */
    JobStats    stats;       /* counters */
    struct StateStore *state;/* checkpoints go here, or NULL (no state kept) */
    struct StateBatch *ckpt_fill;  /* the checkpoint being collected */
    struct StateBatch *ckpt_write; /* the checkpoint being written by the writer thread */
    pthread_t   writer;      /* writes ckpt_write into the state file */
    bool        acking;      /* ckpt_write is collected and waits for the sink to acknowledge ack_mark records */
    long long   ack_mark;    /* JobOutput.queued when it was collected */
    int64_t     ack_since;   /* monotonic ms since when it waits */
    bool        writing;     /* a writer thread was started and not yet joined */
    bool        writer_done; /* it has finished (set by the writer, read atomically) */
    int         writer_rc;   /* its result: 0, -1 the state file's error, -2 logged's (writer_err) */
    int64_t     ckpt_write_num; /* the number of the checkpoint in ckpt_write */
    /* Called on the writer's thread once a checkpoint is committed to the
     * state file, before the operators are told (an exchange's commit
     * marker): a task's state changelog (kafka_tasks.c, eddy run --group)
     * appends the batch and waits for its acknowledgement there.  0, or -1
     * with err (the job then fails: the checkpoint does not count). */
    int       (*logged)(void *ctx, struct StateStore *st, int64_t ckpt, const struct StateBatch *b, char *err, size_t errlen);
    void       *logged_ctx;  /* its context */
    char        writer_err[512]; /* logged's error */
    struct SourceOffset *ckpt_offsets;/* the source offsets of the last checkpoint */
    int         ckpt_nparts; /* their count */
    struct SourceOffset *rewound; /* a checkpoint's offsets lowered by sources' rewind hooks (capacity nrewound) */
    int         nrewound;
    int64_t     ckpt_base;   /* the state file's checkpoint number when the job started */
    int64_t     ckpt_interval_ms; /* execution.checkpointing.interval (0 = only on stop) */
    int64_t     ckpt_written;    /* rows written by the checkpoint in progress */
    int64_t     dirty_bytes;     /* key and value bytes of state entries changed since the last checkpoint was collected (keyed_note) */
    int64_t     fresh_bytes;     /* the part of them in entries the state file does not hold yet */
    int64_t     xrows;           /* rows written into exchanges since the last checkpoint was collected: the next
                                    stage applies them once a checkpoint commits them (op_exchange.c) */
    char        err[1024];   /* the error that stopped the job */
    const RawRecord *cur_recs; /* the records job_push is processing (for error messages) */
    void      (*print)(void *ctx, const char *line, bool to_stderr); /* lines of 'print' sinks (op_sink_print.c), or NULL */
    void       *print_ctx;   /* its context */
    NoticeFn    notice;      /* the user's notice callback, or NULL */
    void       *notice_ctx;  /* its context */
    pthread_mutex_t snap_mu; /* guards snap */
    JobSnap     snap;        /* what other threads read (metrics.c) */
    JobPhase    phase;       /* the job's thread's own view of its phase */
    RateLog     skip_log;    /* skipped malformed records, logged at a bounded rate */
    RateLog     late_log;    /* late rows, likewise */
    char       *ckpt_meta_dl;/* the driver's dead-letter positions, written into every checkpoint as meta
                                "dead_letter_from" (owned; NULL = none): see job_dead_letter_seen */
    struct DeadLetterSeen *dl_seen; /* copies already in a dead-letter topic after a restart, sorted */
    int         ndl_seen;    /* count */
    JobOutput   xout;        /* where exchanges' records go when not `out` (emit NULL: `out`): an in-memory run of
                                stages (stage_mem.c) hands them to the next stage while the tables' sinks write nothing */
    int         task;        /* which task of its stage this job is (job_set_task; 0 of 1 unless run in parallel) */
    int         ntasks;      /* the stage's tasks */
};

/* This job is task `task` of `ntasks` of its stage (a plan of Plan.stages
 * run in parallel, docs/scaling.md): it reads partition `task` of its
 * input topics; an exchange it writes says so in every record and commit
 * marker; VALUES rows and pull sources (datagen, a jdbc scan) are emitted
 * by task 0 only.  Call before the first record. */
void job_set_task(Job *j, int task, int ntasks);
/* Whether the job's inputs that can end by themselves have ended: every
 * exchange source has had the end from every task writing it (true when
 * the job has no exchange source).  A bounded Kafka input's end is the
 * driver's to know; once both hold, the driver finishes the job as a
 * bounded run (job_final_watermark, flush, last checkpoint). */
bool job_inputs_ended(const Job *j);

/* A record's dead-letter copy found in its dead-letter topic by a restart:
 * written after the checkpoint the job resumes from, before it stopped. */
typedef struct DeadLetterSeen {
    char   *topic;            /* the source record's topic (owned) */
    int32_t partition;        /* its partition */
    int64_t offset;           /* its offset */
} DeadLetterSeen;

/* Exactly-once dead-letter copies: a restarted job reads its dead-letter
 * topics from the positions its checkpoint recorded and hands the copies
 * it finds there (of its own job) to job_dead_letter_found (which takes
 * the array, topics included); a malformed record read again whose copy
 * is among them is not copied twice (job_dead_letter_seen). */
void job_dead_letter_found(Job *j, DeadLetterSeen *seen, int n);
bool job_dead_letter_seen(const Job *j, const char *topic, int32_t partition, int64_t offset);

/* A job for a compiled plan (INSERT or SELECT).  Returns NULL with a
 * message in err on failure. */
Job *job_new(const Plan *p, char *err, size_t errlen);
/* Starts the job once: operators with a `start` hook (VALUES) emit their
 * rows.  job_push, job_flush and job_final_watermark call it first; a
 * driver calls it when its sinks are ready. */
int  job_start(Job *j);
void job_free(Job *j);
/* Decodes records of source `source` (a Plan.sources index) and processes
 * them; they may be released afterwards. */
int  job_push(Job *j, int source, const RawRecord *recs, int n);
/* Event time of source `source` reached `watermark` (ms): every operator
 * whose inputs' minimum watermark rises is advanced, in plan order. */
int  job_advance(Job *j, int source, int64_t watermark);
/* Processing time is now_ms (the driver's wall clock, or a test's clock):
 * sets clock_ms and lets every operator with a clock hook emit what that
 * completes; a source whose partitions became idle may then advance its
 * watermark.  Time never goes back: a smaller now_ms changes nothing. */
int  job_set_clock(Job *j, int64_t now_ms);
/* The partitions of `topic` source `source` reads (the driver's
 * assignment; a test's declared partitions): each holds the source's
 * watermark back until it has records, or is idle.  A partition records
 * come from counts even if not declared.  Call after the clock is set and
 * before the first record, so that idle timeouts count from then.  topic
 * NULL = the source's own. */
int  job_source_partitions(Job *j, int source, const char *topic, const int32_t *partitions, int n);
/* The input has ended for good (a bounded read is done, or a test asks
 * for it): every source's watermark becomes INT64_MAX, as Flink's bounded
 * sources end, so every event-time window fires. */
int  job_final_watermark(Job *j);
/* Whether source `source` reads through the pull hook (a jdbc scan), not
 * from records pushed by the Kafka driver. */
bool job_source_pulls(const Job *j, int source);
/* The name its position goes under in checkpoints (SourceOffset.topic,
 * partition 0): "jdbc:<table-name>" ("#2", … for a second scan of one
 * table).  Kafka topics cannot contain ':', so it never meets a topic. */
const char *job_source_position(const Job *j, int source);
/* Source `source` (job_source_pulls) emits its next rows, up to max,
 * through the operators; *pos as OpVTable.pull.  When it has nothing left
 * (*done) its watermark becomes INT64_MAX: a bounded input never holds
 * back an operator it feeds along with a Kafka source. */
int  job_pull(Job *j, int source, int64_t *pos, int64_t max, bool *done);
/* Emits what aggregates buffered (end of a mini-batch). */
int  job_flush(Job *j);
/* Sets j->err (printf-style) and returns -1. */
int  job_fail(Job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Passes a message to the job's notice callback (printf-style); nothing if none. */
void job_notice(Job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Attaches a state file (the job then owns it).  Checks that the state was
 * written by a compatible plan (else an error that names the changed
 * operator) and loads operator state.  Source offsets are read when the
 * job starts consuming. */
int  job_attach_state(Job *j, struct StateStore *st);
/* Opens the state file at path (emptying it first when reset) and attaches
 * it; on failure a message naming the file goes to err.  0 or -1. */
int  job_open_state(Job *j, const char *path, bool reset, char *err, size_t errlen);
/* Whether the attached state held a checkpoint to resume from. */
bool job_resumed(const Job *j);
/* The next offset to read of one source partition. */
typedef struct SourceOffset {
    const char *topic;    /* topic */
    int32_t     partition;/* partition */
    int64_t     offset;   /* next offset, -1 = not known */
} SourceOffset;

/* The topics the job's sources read, comma-separated, in the plan's order
 * (what a state file records to refuse another job's state). */
void job_source_topics(const Job *j, StrBuf *out);
/* Takes a checkpoint now: flushes the mini-batch, collects the changed
 * state and `offsets` (the next offsets of every source partition, n of
 * them), and commits them in one transaction once the sink has
 * acknowledged every record emitted so far.  With an output that tells
 * acknowledgements without waiting (JobOutput.acked) the commit waits
 * while the job goes on (job_checkpoint_poll starts it); else the sink is
 * flushed here.  The previous checkpoint must be done (job_checkpoint_busy
 * false), except for its write, which is waited for. */
int  job_checkpoint(Job *j, const SourceOffset *offsets, int n);
/* A checkpoint is due before its interval when the state changed since
 * the last one by JOB_DIRTY_MAX bytes (keys and values of the entries to
 * write), or when JOB_FRESH_MAX of those bytes are in entries the state
 * file does not hold yet.  The first keeps a checkpoint within the memory
 * its batch keeps (state.c); the second keeps the checkpoint a stopping
 * job must wait for small where it costs nothing: a new entry is written
 * once whenever it is written, while an entry updated again and again (an
 * aggregate's) is written once per checkpoint, so its changes wait for
 * the larger bound.  (The enrichment join of bench/run.sh adds 80 MB of
 * rows in 2 s: with 1 s checkpoints it took 2.36 s, with 250 ms ones
 * 2.16 s, 5 alternating runs each; the 16 MiB trigger instead of a
 * shorter interval gave 1.95 against 2.15 s, and equal times in a second
 * set of runs; an early checkpoint every 4 MiB of any change made GROUP BY
 * of 100k users 2.00 → 2.35 s.) */
#define JOB_DIRTY_MAX ((int64_t)16 << 20)
#define JOB_FRESH_MAX ((int64_t)4 << 20)
static inline bool job_state_outgrown(const Job *j) { return j->dirty_bytes >= JOB_DIRTY_MAX || j->fresh_bytes >= JOB_FRESH_MAX; }
/* The collected checkpoint waiting for acknowledgements: starts its write
 * once they are all there.  0, or -1 when a delivery failed (the job
 * fails: no checkpoint ever counts a record the sink lost). */
int  job_checkpoint_poll(Job *j);
/* Opens the sinks that write into systems of their own (OpVTable.open):
 * 0, with *ahead NULL, or pointing at the source offsets of a checkpoint a
 * sink holds beyond the state file's (then sinks_catching_up is set: the
 * driver reads up to those offsets, job_flush, clears the flag and takes a
 * checkpoint, docs/postgres-sink.md); -1 when one fails. */
int  job_sinks_open(Job *j, SourceOffset **ahead, int *nahead);
/* A job without a state file: commits what those sinks wrote (at its stop). */
int  job_sinks_commit(Job *j);
/* Waits until the last checkpoint is committed (0) or failed (-1). */
int  job_checkpoint_sync(Job *j);
/* Whether the previous checkpoint still waits for the sink or is being
 * written. */
bool job_checkpoint_busy(const Job *j);

/* Operator kinds (exec_ops.c, op_*.c). */
extern const OpVTable op_source_vt, op_normalize_vt, op_calc_vt, op_agg_vt, op_sink_vt, op_collect_vt, op_union_vt,
    op_window_agg_vt, op_window_tvf_vt, op_join_vt, op_interval_join_vt, op_temporal_join_vt, op_window_join_vt,
    op_sink_jdbc_vt, op_lookup_join_vt, op_scan_jdbc_vt;
extern const OpVTable op_values_vt;
extern const OpVTable op_rank_vt, op_dedup_vt, op_over_vt, op_window_rank_vt;   /* op_rank.c, op_dedup.c, op_over.c, op_window_rank.c */
extern const OpVTable op_over_update_vt;   /* op_over_update.c */
extern const OpVTable op_unnest_vt;   /* op_unnest.c */
extern const OpVTable op_datagen_vt;  /* op_datagen.c: connector 'datagen' */
extern const OpVTable op_nexmark_vt;  /* op_nexmark.c: connector 'nexmark' */
extern const OpVTable op_sink_blackhole_vt, op_sink_print_vt;   /* op_sink_print.c: connectors 'blackhole', 'print' */
extern const OpVTable op_exchange_sink_vt, op_exchange_source_vt; /* op_exchange.c: an internal topic between stages */
extern const OpVTable op_local_agg_vt;                          /* op_local_agg.c: the first phase of a two-phase aggregate */

/* The source operator's entry: decodes records into rows of its schema. */
int source_decode(OpState *s, const RawRecord *recs, int n, Batch *out);

/* Watermark generation at a source with a WATERMARK clause (watermark.c);
 * the source operator owns its generator (source_wmgen: NULL without a
 * WATERMARK). */
WmGen *wm_new(const OpState *src);
void   wm_free(WmGen *g);
WmGen *source_wmgen(const OpState *src);
/* Partitions the source reads, idle from now_ms on unless records come. */
void   wm_assign(WmGen *g, const int32_t *partitions, int n, int64_t now_ms);
/* Takes in the rows src just decoded (src->out): each row's WATERMARK
 * value raises its partition's.  0, or -1 when the expression fails. */
int    wm_rows(OpState *src, WmGen *g, const Batch *rows);
/* An exchange's generator (op_exchange.c): its "partitions" are the tasks
 * writing the exchange, each's watermark set by its commit markers
 * (wm_writer), never by rows; never idle by time. */
WmGen *wm_new_writers(void);
/* Writer `task`'s watermark is wm (it never goes back); an idle writer (one
 * with no input partitions) holds nothing back. */
void   wm_writer(WmGen *g, int32_t task, int64_t wm, bool idle);
/* Partitions (or writers) the generator knows. */
int    wm_nparts(const WmGen *g);
/* Whether no partition holds the source's watermark back at now_ms: none
 * assigned, or every one idle. */
bool   wm_idle(const WmGen *g, int64_t now_ms);
/* Advances source `source` (job_advance) if its watermark rose. */
int    wm_advance(Job *j, int source);
/* The headers of a record read from Kafka (up to max); their count. */
int exec_record_headers(const RawRecord *r, struct kafka_header *out, int max);
/* The source record a row of the source's current output batch came from, or NULL. */
const RawRecord *source_record_of(const OpState *src, int row);
/* The types of a join's equality keys (the left keys', nullable: an outer
 * side may hold NULL): an array of max(nkeys, 1) the caller frees. */
Type *exec_join_key_types(const BExpr *const *lkeys, int nkeys);
struct EvalCtx;
/* A join's bucket key for a row of side `side`: [side][varint length][the
 * encoded values of keys over row] into out (kv: nkeys scratch values).
 * Returns 1 when a key value is NULL (such a row meets nothing), 0, or -1
 * after failing the job with the expression's error.  _append adds it
 * after what out holds (nothing when it returns 1 or -1). */
int exec_join_key(OpState *s, int side, BExpr *const *keys, int nkeys, const Type *key_types, const Value *row, Value *kv,
                  StrBuf *out, struct EvalCtx *cx);
int exec_join_key_append(OpState *s, int side, BExpr *const *keys, int nkeys, const Type *key_types, const Value *row,
                         Value *kv, StrBuf *out, struct EvalCtx *cx);
/* Fails the job with an expression error: the SQL position, the source
 * record when the row maps to one, and the message. */
int exec_eval_fail(OpState *s, int errpos, const char *msg);
/* An evaluation context for operator s (eval.h): the batch arena, the
 * job's clock (PROCTIME()), the watermark of s's inputs
 * (CURRENT_WATERMARK()) and the session time zone (CASTs of TIMESTAMP_LTZ).
 * Every operator that evaluates expressions makes its context here. */
struct EvalCtx;
void exec_eval_ctx(const OpState *s, struct EvalCtx *cx);

#endif
