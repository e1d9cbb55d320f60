/*
 * plan.h — the operator plan: what the planner builds and the executor runs.
 *
 * A plan is a read-only tree of PlanNodes in its own arena (so it outlives
 * the catalog tables it was compiled from).  Each node has an output schema,
 * its changelog kind (append, retract, or upsert on a key) and, per kind,
 * the expressions it evaluates.  Nothing that changes while a job runs lives
 * here: the executor keeps that in a parallel state tree.
 *
 * Per-kind behaviour (names, EXPLAIN attributes) is in one table of
 * PlanOps indexed by PlanKind, not in switch statements spread over files.
 */
#ifndef EDDY_PLAN_H
#define EDDY_PLAN_H

#include "ast.h"
#include "bind.h"
#include "catalog.h"
#include "expr.h"
#include "settings.h"

typedef enum PlanKind {
    PLAN_SOURCE,          /* Kafka topic → rows */
    PLAN_NORMALIZE,       /* upsert stream → retract stream (last row per key) */
    PLAN_CALC,            /* filter + projection */
    PLAN_AGG,             /* group aggregate with retraction */
    PLAN_SINK,            /* rows → Kafka topic of a table */
    PLAN_COLLECT,         /* rows → the client (a bare SELECT) */
    PLAN_UNION,           /* UNION ALL: the rows of every input, as they come */
    PLAN_WINDOW_AGG,      /* window aggregate: final rows per window and key when time passes the window's end */
    PLAN_WINDOW_TVF,      /* window table function without an aggregate: each row tagged with its windows */
    PLAN_JOIN,            /* regular join: both sides' rows kept per join key */
    PLAN_INTERVAL_JOIN,   /* interval join: rows kept per join key until the watermark passes what the other side can still match */
    PLAN_TEMPORAL_JOIN,   /* event-time temporal join: each left row meets the right row's version valid at its time */
    PLAN_WINDOW_JOIN,     /* window join: both sides' rows of a window joined when the window fires */
    PLAN_LOOKUP_JOIN,     /* lookup join: each row meets a database table's rows of its keys, looked up now */
    PLAN_VALUES,          /* VALUES rows (and SELECT without FROM): a bounded input, emitted once when the job starts */
    PLAN_RANK,            /* Top-N: the rows ranked lo..hi per partition by ROW_NUMBER() (plan_over.c) */
    PLAN_DEDUP,           /* deduplication: the first or last row per key by a time attribute (plan_over.c) */
    PLAN_WINDOW_RANK,     /* window Top-N / deduplication: a window's top rows per partition when it fires (plan_over.c) */
    PLAN_OVER_AGG,        /* OVER aggregation: every row with aggregates over the rows before it in its partition (plan_over.c) */
    PLAN_UNNEST,          /* CROSS JOIN UNNEST: each row once per element of an ARRAY or MAP, the element's columns after it */
    PLAN_LOCAL_AGG,       /* the first phase of a two-phase group aggregate: partial accumulators per key and mini-batch (plan_stage.c) */
    PLAN_OVER_AGG_UPDATE, /* OVER aggregation over an updating input: every row of its current table with its frame's aggregates, a retract stream (plan_over.c) */
    PLAN__COUNT
} PlanKind;

typedef enum Changelog {
    CL_APPEND,            /* inserts only (+I) */
    CL_RETRACT,           /* +I, -U, +U, -D */
    CL_UPSERT,            /* +I, +U, -D by key; no -U before-images */
} Changelog;

typedef struct PlanCol {
    const char *name;     /* column name */
    Type        type;     /* column type */
} PlanCol;

/* A table as a source or sink sees it: a copy of the catalog's, owned by the plan. */
typedef struct PlanTable {
    const char *name;     /* table name */
    CatColumn  *cols;     /* all columns (computed ones carry no expression here) */
    int         ncols;    /* count */
    int        *pk;       /* primary key column indexes */
    /* An exchange's table (conn.kind CONN_EXCHANGE, plan_stage.c): its
     * columns are the rows it carries; keycols the exchange key (records go
     * to partition hash(key) % partitions), none = every record to
     * partition 0 (an operator that must see every row in one place). */
    int         npk;      /* count */
    int        *keycols;  /* columns in the record key */
    int         nkeycols; /* count */
    Connector   conn;     /* topic, formats, modes, properties */
    BExpr     **keyexprs; /* an exchange keyed by expressions over its rows (a join's key `CAST(a AS BIGINT)`):
                             nkeycols of them instead of keycols; NULL = keycols */
} PlanTable;

/*
 * A plan is a DAG.  Every node starts with this common header; each kind's
 * own fields live in its payload struct (SourcePlan, CalcPlan, …) whose
 * first member is the header, as PostgreSQL's plan nodes are laid out.
 * The executor reaches a payload through the accessor of the kind it was
 * dispatched for (plan_calc(n), …), never by testing n->kind.
 */
typedef struct PlanNode PlanNode;
struct PlanNode {
    PlanKind    kind;     /* operator */
    int         id;       /* position in Plan.nodes (inputs first) */
    int         origin;   /* in a stage (plan_stages): the id of the whole plan's node it copies; -1 for a node of
                             its own (an exchange, a local aggregate) or outside stages */
    PlanNode  **inputs;   /* what feeds it, by input port; none for a source */
    int         ninputs;  /* count */
    PlanNode  **outs;     /* the nodes it feeds (a node may feed several) */
    int         nouts;    /* count */
    PlanCol    *cols;     /* output schema */
    int         ncols;    /* output width */
    bool        updating; /* emits updates or deletes */
    bool        before;   /* emits -U before-images (changelog retract), set by the planner's requirement pass */
    int        *key;      /* unique key of the output (column indexes), if has_key */
    int         nkey;     /* its width (0 with has_key = a single row) */
    bool        has_key;  /* the output has a known unique key */
    bool        feeds_upsert_sink; /* its output goes straight into an upsert sink (a restart's replay rewrites keys there) */
    int64_t     wm_delay; /* ms its output watermark lags its inputs' (an interval join's: no row it emits is late for what follows) */
    bool        per_row;  /* Flink's changelog exactly (Plan.flink_changelog): each row processed and labelled on its own —
                             an aggregate emits per row, a filter passes each row's kind unchanged, a normalize or a
                             retract source emits -U only where `before` says */
};

/* PLAN_SOURCE: a Kafka topic's records as rows of the table's columns. */
typedef struct SourcePlan {
    PlanNode    node;
    const PlanTable *table;   /* the table */
    int        *src_cols; /* catalog column index of each output column */
    BExpr      *watermark;/* WATERMARK strategy over the output row, or NULL */
    int         rowtime;  /* output column of the watermark's time attribute, -1 = none */
    bool       *needed;   /* per output column: some consumer reads it (projection push-down) */
    int         index;    /* position in Plan.sources */
} SourcePlan;

/* PLAN_NORMALIZE: an upsert stream to a retract stream, keeping the last row
 * per key (node.key = the table's primary key, in output positions).  No
 * fields of its own. */

/* PLAN_UNION: no fields of its own; its inputs have its column types. */

/* PLAN_CALC: filter and projection. */
typedef struct CalcPlan {
    PlanNode    node;
    BExpr      *filter;   /* or NULL */
    BExpr     **exprs;    /* one per output column, over the input row */
} CalcPlan;

/* PLAN_UNNEST: output = the input's columns, then the element's (an
 * ARRAY's element or its ROW's fields, a MAP's key and value); each
 * produced row has its input row's kind, so the changelog passes through;
 * no unique key survives. */
typedef struct UnnestPlan {
    PlanNode    node;
    BExpr      *expr;     /* the ARRAY or MAP, over the input */
    bool        left;     /* LEFT JOIN … ON TRUE: an empty or NULL one gives the row once, with NULLs */
} UnnestPlan;

/* PLAN_AGG: group aggregate with retraction; output = [keys…, aggs…], the
 * input's first ngroup columns are the keys. */
typedef struct AggPlan {
    PlanNode    node;
    int         ngroup;   /* group key width */
    BExpr     **aggs;     /* aggregate calls; argument columns index the input */
    int         naggs;    /* count */
    /* The second phase of a two-phase aggregate (plan_stage.c): input =
     * [keys…, one BYTES partial per aggregate] from a LocalAggPlan; each
     * partial is loaded (agg_load) and merged (agg_merge) into the key's
     * accumulator.  The calls' argument columns then index partial_cols. */
    bool        merge;
    const PlanCol *partial_cols; /* with merge: the local aggregate's input schema (what EXPLAIN names arguments by) */
    int         npartial; /* its width */
} AggPlan;

/* PLAN_LOCAL_AGG: the first phase of a two-phase group aggregate, over an
 * append-only input whose first ngroup columns are the keys: per
 * mini-batch one accumulator per key, emitted at the flush as one +I row
 * [keys…, one BYTES column per aggregate holding its agg_save bytes];
 * nothing is kept across mini-batches (no state, no checkpoint). */
typedef struct LocalAggPlan {
    PlanNode    node;
    int         ngroup;   /* group key width */
    BExpr     **aggs;     /* aggregate calls (every one mergeable, no DISTINCT); argument columns index the input */
    int         naggs;    /* count */
} LocalAggPlan;
static inline const LocalAggPlan *plan_local_agg(const PlanNode *n) { return (const LocalAggPlan *)n; }

/* PLAN_WINDOW_AGG: output = [keys…, window_start, window_end, window_time,
 * aggs…]; the input's first ngroup columns are the keys, spec.timecol its
 * time attribute.  Append-only: a window's rows are final when emitted. */
typedef struct WindowAggPlan {
    PlanNode    node;
    WindowSpec  spec;     /* the windows */
    int         ngroup;   /* group key width (without the window columns) */
    BExpr     **aggs;     /* aggregate calls; argument columns index the input */
    int         naggs;    /* count */
    const char *late_topic; /* 'late-rows.topic' of the table the time attribute comes from, or NULL */
    int        *late_cols;  /* with a late topic: the input column of each column of the windowed rows (a late row is copied as them) */
    const char **late_names;/* their names */
    int         nlate;      /* count */
} WindowAggPlan;

/* PLAN_WINDOW_TVF: output = the input's columns, then window_start,
 * window_end, window_time; a HOP or CUMULATE row once per window. */
typedef struct WindowTvfPlan {
    PlanNode    node;
    WindowSpec  spec;     /* the windows */
    const char *late_topic; /* as WindowAggPlan's */
    int        *partition;/* SESSION: the PARTITION BY input columns (sessions per key; rows wait until their session fires) */
    int         npartition; /* count */
} WindowTvfPlan;

/* PLAN_JOIN: a regular join of input 0 (left) and input 1 (right); output
 * = [left's columns…, right's columns…], the side an outer join pads with
 * NULLs nullable; a semi or anti join's output = the left's columns.  Each side's rows are kept per join key (rows whose key
 * has a NULL are never kept: they match nothing). */
typedef struct JoinPlan {
    PlanNode    node;
    JoinType    type;     /* inner, left, right or full outer */
    BExpr     **lkeys;    /* equality keys over the left input's row */
    BExpr     **rkeys;    /* the keys they equal, over the right input's row (same types) */
    int         nkeys;    /* count (0: one key, every row meets every row) */
    BExpr      *residual; /* the rest of the condition over the output row (a semi or anti join's: over [left…, right…]), or NULL */
    int         nleft;    /* left input width (the right's columns follow) */
    bool        lunique;  /* the left input holds one row per join key (its unique key is within the keys) */
    bool        runique;  /* the same for the right */
    bool        lupsert;  /* the left input is an upsert source keyed by exactly the join key: the join keeps its
                             last row per key itself, as a ChangelogNormalize before it would (plan.c join_upserts) */
    bool        rupsert;  /* the same for the right */
} JoinPlan;

/* PLAN_INTERVAL_JOIN: a join whose condition bounds the left row's time
 * attribute against the right's, lower ≤ left time − right time ≤ upper,
 * besides the equality keys (join.residual holds the rest).  Append-only
 * inputs and output; the output keeps both time attributes.  A row is kept
 * until the watermark passes the last time a row of the other side could
 * match it; an outer side's row that matched nothing is emitted
 * NULL-padded then. */
typedef struct IntervalJoinPlan {
    JoinPlan    join;     /* type, keys, residual, nleft (first: plan_join reads it) */
    int         ltime;    /* the left input's time attribute column */
    int         rtime;    /* the right input's */
    int64_t     lower;    /* bounds of left time − right time (ms), inclusive */
    int64_t     upper;
} IntervalJoinPlan;

/* PLAN_TEMPORAL_JOIN: `left JOIN right FOR SYSTEM_TIME AS OF left.t`,
 * inner or left.  Input 1 is the versioned table's changelog (inserts and
 * updates are versions at their time attribute rtime, a delete ends one);
 * input 0's rows (append-only) wait until the watermark passes their time
 * ltime, then meet the version of their key valid then (the latest at or
 * before it).  Append-only output that keeps ltime as its time attribute. */
typedef struct TemporalJoinPlan {
    JoinPlan    join;     /* type, keys, residual, nleft (first: plan_join reads it) */
    int         ltime;    /* the left input's time attribute column */
    int         rtime;    /* the right input's (the version time) */
} TemporalJoinPlan;

/* PLAN_LOOKUP_JOIN: `o JOIN t FOR SYSTEM_TIME AS OF o.proc ON …` where t
 * is a jdbc table: one input (the left); each of its rows meets the rows of
 * t whose key columns equal its keys at processing time (inner or LEFT).
 * join.rkeys are over t's row as fetched (the rcols, in order); the output
 * is [left…, t's row…]; row kinds pass through. */
typedef struct LookupJoinPlan {
    JoinPlan    join;     /* type, lkeys, rkeys, residual, nleft (first: plan_join reads it) */
    const PlanTable *table; /* the table looked up (its Connector: url, lookup.* options) */
    int        *rcols;    /* catalog column index of each right column */
    int         nright;   /* count */
    int        *rkeycols; /* per key: the right column it compares (an index into rcols) */
} LookupJoinPlan;

/* PLAN_WINDOW_JOIN: two window table functions with the same windows
 * joined on window_start and window_end (not among join.keys) and keys.
 * Each side's rows wait per window until the watermark passes the
 * window's end (window_time); then the window's rows of both sides are
 * joined, outer sides' unmatched rows NULL-padded, and freed.
 * Append-only output. */
typedef struct WindowJoinPlan {
    JoinPlan    join;     /* type, keys, residual, nleft (first: plan_join reads it) */
    int         lwin;     /* the left input's window_start column (window_end, window_time follow) */
    int         rwin;     /* the right input's */
    WindowSpec  spec;     /* the windows (the same both sides) */
} WindowJoinPlan;

/* PLAN_RANK: `ROW_NUMBER() OVER (PARTITION BY … ORDER BY …)` filtered to
 * the ranks lo..hi.  Output = the input's columns, then (with output) the
 * rank number.  Updating: a row entering the top N pushes another out,
 * and with the rank number every row it passes moves down one.  Unique
 * key: partition + rank number with output, else the input's unique key
 * (if any). */
typedef struct RankPlan {
    PlanNode    node;
    int        *partition;/* PARTITION BY input columns */
    int         npartition; /* count (0: one partition) */
    int        *order;    /* ORDER BY input columns */
    bool       *desc;     /* per order column: descending */
    bool       *nulls_last; /* per order column: NULLs after the values */
    int         norder;   /* count */
    int64_t     lo, hi;   /* the ranks kept, 1-based and inclusive */
    bool        output;   /* the rank number is the last output column */
    bool        append_input; /* the input is append-only: only the top hi rows per partition need be kept */
} RankPlan;

/* PLAN_WINDOW_RANK: a Top-N whose partition holds window_start and
 * window_end of an event-time window (Flink's window Top-N, and window
 * deduplication when it keeps rank 1 by a time attribute): each window's
 * rows wait until the watermark passes its end, then its ranks lo..hi go
 * out once per partition, append-only; rows of a window that has fired
 * are late (counted, dropped).  Output as RankPlan's. */
typedef struct WindowRankPlan {
    RankPlan    rank;     /* partition (with the window columns), order, range, output (first: plan_rank reads it) */
    int         wend;     /* the input's window_end column */
    bool        ltz;      /* window_end is local time (a TIMESTAMP_LTZ attribute's window): the window's time is its instant in table.local-time-zone */
    bool        dedup;    /* a window deduplication (EXPLAIN says so) */
    bool        last_ties;/* rows of equal sort key: the later ranks first (deduplication keeping the last row) */
} WindowRankPlan;

/* PLAN_DEDUP: Flink's deduplication, `ROW_NUMBER() OVER (PARTITION BY k
 * ORDER BY time ASC|DESC) … WHERE rn = 1` without the rank number, over
 * an append-only input.  Output = the input's columns, unique per key.
 * Keep-first on processing time is append-only; keep-first on event time
 * (an earlier row may still come) and keep-last are updating. */
typedef struct DedupPlan {
    PlanNode    node;
    int        *key;      /* PARTITION BY input columns */
    int         nkey;     /* count */
    int         timecol;  /* the ORDER BY event-time attribute column; -1 on processing time (the arrival order) */
    TimeAttr    time;     /* TA_ROWTIME or TA_PROCTIME */
    bool        keep_last;/* ORDER BY … DESC: the last row (else the first) */
} DedupPlan;

/* PLAN_OVER_AGG: output = the input's first npass columns, then one
 * column per aggregate over the row's frame: the rows of its partition
 * from `preceding` rows (ROWS) or ms (RANGE) before it, or all of them
 * (UNBOUNDED), up to the row itself (RANGE: and every row of the same
 * time).  Append-only input and output.  On event time rows wait until
 * the watermark passes their time and go out in time order (late rows
 * are counted and dropped); on processing time each goes out as it comes.
 * PLAN_OVER_AGG_UPDATE: the same over an updating input, rows ordered by
 * the ORDER BY column's value, a retract stream out (op_over_update.c). */
typedef struct OverAggPlan {
    PlanNode    node;
    int         npass;    /* input columns passed on (the rest are aggregate arguments) */
    int        *partition;/* PARTITION BY input columns */
    int         npartition; /* count */
    int         timecol;  /* the ORDER BY column (PLAN_OVER_AGG: the event-time attribute); -1 on processing time */
    TimeAttr    time;     /* TA_ROWTIME, TA_PROCTIME, or TA_NONE (PLAN_OVER_AGG_UPDATE: ordered by value) */
    bool        rows;     /* ROWS frame (else RANGE) */
    int64_t     preceding;/* rows / ms before the current row, -1 = UNBOUNDED */
    BExpr     **aggs;     /* aggregate calls; argument columns index the input */
    int         naggs;    /* count */
} OverAggPlan;

/* PLAN_SINK: rows into a table's Kafka topic. */
typedef struct SinkPlan {
    PlanNode    node;
    const PlanTable *table;   /* the table */
    int        *sink_cols;/* catalog column index of each written column */
    int        *sink_map; /* input column feeding it, -1 = NULL */
    int         nsink;    /* count */
} SinkPlan;

/* PLAN_VALUES: constant rows, emitted once at the job's start (job_start);
 * a plan whose only inputs are VALUES is bounded. */
typedef struct ValuesPlan {
    PlanNode    node;
    BExpr    ***rows;     /* nrows rows of node.ncols expressions over no input */
    int         nrows;    /* count */
} ValuesPlan;
static inline const struct ValuesPlan *plan_values(const PlanNode *n) { return (const struct ValuesPlan *)n; }

/* PLAN_COLLECT: rows to the client (a bare SELECT). */
typedef struct CollectPlan {
    PlanNode    node;
    int64_t     limit;    /* LIMIT, or -1 */
} CollectPlan;

/* Payload accessors: for code that already knows the node's kind (an
 * operator dispatched for it, or a describe function of plan_ops). */
static inline const SourcePlan  *plan_source(const PlanNode *n)  { return (const SourcePlan *)n; }
static inline const CalcPlan    *plan_calc(const PlanNode *n)    { return (const CalcPlan *)n; }
static inline const UnnestPlan  *plan_unnest(const PlanNode *n)  { return (const UnnestPlan *)n; }
static inline const AggPlan     *plan_agg(const PlanNode *n)     { return (const AggPlan *)n; }
static inline const SinkPlan    *plan_sink(const PlanNode *n)    { return (const SinkPlan *)n; }
static inline const CollectPlan *plan_collect(const PlanNode *n) { return (const CollectPlan *)n; }
/* Does side sd (0 left, 1 right) of a join keep its unmatched rows, NULL-padded? */
static inline bool join_side_outer(JoinType t, int sd)
{
    return sd ? (t == JOIN_RIGHT || t == JOIN_FULL) : (t == JOIN_LEFT || t == JOIN_FULL);
}
static inline const WindowAggPlan *plan_window_agg(const PlanNode *n) { return (const WindowAggPlan *)n; }
static inline const WindowTvfPlan *plan_window_tvf(const PlanNode *n) { return (const WindowTvfPlan *)n; }
static inline const JoinPlan    *plan_join(const PlanNode *n)    { return (const JoinPlan *)n; }
/* The names of a join's rows as its keys and residual read them: its output
 * columns, or for a semi or anti join (whose output is the left side's)
 * the left's then the right's, a taken name numbered (k, k0). */
const char **plan_join_names(Arena *a, const PlanNode *n);
static inline const IntervalJoinPlan *plan_interval_join(const PlanNode *n) { return (const IntervalJoinPlan *)n; }
static inline const TemporalJoinPlan *plan_temporal_join(const PlanNode *n) { return (const TemporalJoinPlan *)n; }
static inline const WindowJoinPlan *plan_window_join(const PlanNode *n) { return (const WindowJoinPlan *)n; }
static inline const LookupJoinPlan *plan_lookup_join(const PlanNode *n) { return (const LookupJoinPlan *)n; }
static inline const RankPlan  *plan_rank(const PlanNode *n)  { return (const RankPlan *)n; }
static inline const DedupPlan *plan_dedup(const PlanNode *n) { return (const DedupPlan *)n; }
static inline const WindowRankPlan *plan_window_rank(const PlanNode *n) { return (const WindowRankPlan *)n; }
static inline const OverAggPlan *plan_over_agg(const PlanNode *n) { return (const OverAggPlan *)n; }

typedef struct Plan {
    Arena       arena;    /* owns every node, expression and copied table */
    PlanNode   *root;     /* the statement's sink or collect node */
    PlanNode  **nodes;    /* all nodes, inputs before their consumers */
    int         nnodes;   /* count */
    const SourcePlan **sources; /* the source nodes, in the order records are routed to them */
    int         nsources; /* count */
    const SinkPlan **sinks;   /* the sink nodes (rows into tables); none for a SELECT */
    int         nsinks;   /* count (several: a statement set, one job) */
    int         nvalues;  /* VALUES nodes: inputs that end (with no Kafka source, the job is bounded) */
    int         nshare;   /* statement sets: Plan.sources[0..nshare) belong to earlier INSERTs and a later one reading
                             the same table shares them (its rows are read and decoded once) */
    bool        flink_changelog; /* 'table.exec.mini-batch.enabled' = 'false': the changelog Flink emits with mini-batch off
                             (every node's per_row; -U kept where Flink's changelog inference keeps it) */
    bool        upsert_replay; /* a restarted job replays into an upsert sink: operators rewrite every key they touch until caught up */
    KeyValue   *settings; /* SET values in force when compiled (the executor passes 'properties.*' on) */
    int         nsettings;/* count */
    ExecConfig  config;   /* the same, parsed: what runs the plan reads these fields */
    const char *name;     /* job name (pipeline.name or the sink table) */
    const char *src;      /* the statement's text (BExpr.pos offsets, less srcpos, point into it), for runtime messages */
    int         srclen;   /* its length */
    const char *srcname;  /* its name (file), or NULL */
    int         srcpos;   /* the script offset src starts at (src is the statement's text) */
    int         srcline, srccol; /* the line and column of srcpos */
    /* Run in parallel (parallelism.default > 1, plan_stages): the plan cut
     * into stages, each a complete Plan of its own (nodes renumbered,
     * sources and sinks, config), inputs before consumers: stage 0 reads
     * the job's tables, a later stage also the internal topics of earlier
     * ones (CONN_EXCHANGE tables).  Their nodes live in this plan's arena
     * (a stage's own arena is empty: never plan_free a stage).  NULL and 0
     * when not cut; 1 when run in parallel with no exchange. */
    struct Plan **stages;
    int         nstages;  /* count */
    int         stage;    /* a stage: its number (0 for a plan that is not a stage) */
} Plan;
/* Cuts p into stages (Plan.stages) for a parallel run: the engine calls it
 * when parallelism.default > 1, after p->name is final.  0, or an error
 * naming the operator eddy cannot yet run in parallel. */
int   plan_stages(Plan *p, Diag *d);
/* plan_stage.c's rows of plan_ops (the exchange's EXPLAIN attributes and
 * names, the local aggregate's). */
struct ExplainAttrs;
void  plan_stage_describe_exchange(const PlanTable *t, struct ExplainAttrs *a);
void  plan_stage_describe_local_agg(const PlanNode *n, struct ExplainAttrs *a);
void  plan_stage_require_local_agg(PlanNode *n, bool need);
const char *plan_stage_label_exchange(const PlanNode *n);
const char *plan_stage_label_agg(const PlanNode *n);
/* "file:line:col" of a source offset of the plan's script. */
void plan_position(const Plan *p, int offset, char *buf, size_t cap);

struct ExplainAttrs;

/* Per-kind behaviour of plan nodes: the one table the planner, EXPLAIN and
 * the state file's descriptions consult instead of testing kinds. */
typedef struct PlanOps {
    const char *name;     /* operator name in EXPLAIN */
    /* Adds the operator's EXPLAIN attributes. */
    void (*describe)(const PlanNode *n, struct ExplainAttrs *out);
    /* Top-down changelog requirement: sets n->before given whether n's
     * consumer needs -U before-images, and recurses into the inputs. */
    void (*require)(PlanNode *n, bool need);
    /* Marks in `needed` (input width) the columns of input `port` that n
     * reads; NULL = every column. */
    void (*reads)(const PlanNode *n, int port, bool *needed);
    /* The input column output column `col` passes through unchanged, or -1;
     * NULL = none does. */
    int  (*passes)(const PlanNode *n, int col);
    /* The changelog and key EXPLAIN shows, when not the node's own
     * (a sink shows its table's); NULL = from updating/before/key. */
    Changelog (*changelog)(const PlanNode *n);
    int  (*key_names)(const PlanNode *n, Arena *a, const char ***names);
    /* The attributes a downstream operator's saved state depends on, when
     * fewer than `describe`'s (a source's options, start position and unread
     * columns do not change the rows its consumers keep); NULL = describe. */
    void (*describe_state)(const PlanNode *n, struct ExplainAttrs *out);
    /* Mini-batch off (Flink's changelog inference): can the node's updates
     * go to its consumer without -U before-images?  NULL = yes. */
    bool (*only_after)(const PlanNode *n);
    /* The name EXPLAIN shows when it depends on the node (an exchange's
     * sink or source: "Exchange"; a merging aggregate:
     * "GlobalGroupAggregate"); NULL = name. */
    const char *(*label)(const PlanNode *n);
} PlanOps;
/* The name EXPLAIN shows for n (PlanOps.label, else name). */
const char *plan_label(const PlanNode *n);

extern const PlanOps plan_ops[PLAN__COUNT];

/* INSERT and bare SELECT to a plan; 0 or a DIAG_* code.  The Plan is
 * allocated with its own arena, its config holding the settings' defaults;
 * free it with plan_free.  plan_set_settings copies the SET values and
 * parses them into config; call it before planning (the planner reads
 * table.exec.mini-batch.enabled: Plan.flink_changelog).  Bound trees must have been allocated in plan->arena (the caller
 * creates the plan with plan_new and binds into its arena). */
Plan *plan_new(void);
void  plan_free(Plan *p);
/* plan_insert adds a sink: called again on the same plan (a statement set)
 * it adds another INSERT's operators, sharing the earlier ones' sources. */
int   plan_insert(Plan *p, const BInsert *ins, Diag *d);
int   plan_select(Plan *p, const BQuery *q, Diag *d);
void  plan_set_settings(Plan *p, const KeyValue *kv, int n);
/* What the settings must agree with in the plan: 'table.exec.state.ttl'
 * only with operators that honour it.  0, or an error at pos naming the
 * setting. */
int   plan_check_settings(const Plan *p, Diag *d, int pos);
const char *changelog_name(Changelog c);
/* Identical sub-plans among nodes[first..] computed once (plan_reuse.c). */
void  plan_reuse(Plan *p, int first);
/* Whether source sp reads what a source of table `table`, columns
 * cols[0..ncols) of it, with (has_wm) or without a watermark on output
 * column rowtime would: the same rows, so one may serve both (plan.c's
 * statement sets, plan_reuse.c). */
bool  plan_source_reads(const SourcePlan *sp, const char *table, const int *cols, int ncols, bool has_wm, int rowtime);

/* ---- EXPLAIN ---- */
typedef struct ExplainAttr {
    const char  *key;     /* attribute name */
    const char **vals;    /* values */
    int          nvals;   /* count */
    bool         list;    /* print as a list even with one value */
} ExplainAttr;

typedef struct ExplainAttrs {
    Arena       *arena;   /* scratch for values */
    ExplainAttr  v[16];   /* attributes in order */
    int          n;       /* count */
} ExplainAttrs;

void explain_attr(ExplainAttrs *a, const char *key, const char *val);
void explain_attr_list(ExplainAttrs *a, const char *key, const char **vals, int n);
/* One operator as EXPLAIN prints it (without the changelog attributes when
 * changelog is false), without a newline. */
void explain_node(const PlanNode *n, bool changelog, StrBuf *out);
/* A node and everything that feeds it, one line ("A(…) <- B(…) <- …"):
 * what a stateful operator's state depends on (each node through its
 * describe_state when it has one). */
void explain_lineage(const PlanNode *n, StrBuf *out);
/* One node as explain_lineage shows it. */
void explain_state_node(const PlanNode *n, StrBuf *out);
/* Tree text, one operator a line, root first; or a JSON object. */
void explain_text(const Plan *p, StrBuf *out);
void explain_json(const Plan *p, StrBuf *out);

#endif
