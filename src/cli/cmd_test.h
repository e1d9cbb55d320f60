/*
 * cmd_test.h — `eddy test FILE.test…`: regression tests of queries.
 *
 * A test file (docs/test-format.md) holds cases; a case is SQL, input
 * records per source table, and expectations: the changelog of a sink, its
 * final table, an error, the plans, the job counters.  The command parses a
 * file into TestCases, hands each to a TestRunner, compares the TestResult
 * with the expectations and prints a diff, or rewrites the expectations in
 * place (--update).
 *
 * The runner is the only part that knows how a case is executed.  The one
 * here runs in memory through the real compiler and operators (the job
 * API's push/flush, no broker); a Kafka-backed runner fills the same
 * TestResult and can take its place without touching parsing, comparison,
 * reporting or --update.
 */
#ifndef EDDY_CMD_TEST_H
#define EDDY_CMD_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "eddy.h"
#include "strbuf.h"

/* `eddy test [--update] [-v] FILE…` (argv[0] = "test"); returns the exit
 * status: 0 all passed, 1 something failed, 2 bad usage. */
int cmd_test_main(int argc, char **argv);

typedef enum TestSectionKind {
    TS_SQL,               /* statements, compiled in order */
    TS_INPUT,             /* records of one source table */
    TS_OPTIONS,           /* `key = value` lines for the runner */
    TS_CHANGELOG,         /* expected changes at a sink, in order */
    TS_TABLE,             /* expected final table of a sink (any order) */
    TS_ERROR,             /* expected error: a substring of the message */
    TS_PLAN,              /* expected EXPLAIN text of the case's jobs */
    TS_COUNTS,            /* expected counters of each job */
    TS_PRINTED,           /* expected lines of 'print' tables, in order */
} TestSectionKind;

/* One line of an input section. */
typedef struct TestRecord {
    int         line;     /* 1-based line in the file */
    bool        flush;    /* a mini-batch boundary (`flush`), not a record */
    bool        clock;    /* a move of the processing-time clock (`clock T`, `clock +D`), not a record */
    bool        clock_rel;/* clock_ms is an amount to add (`clock +D`), not a time */
    long long   clock_ms; /* the time (epoch ms) or the amount */
    const char *key;      /* key bytes, or NULL for no key */
    size_t      klen;     /* key length */
    const char *value;    /* value bytes, or NULL for a tombstone */
    size_t      vlen;     /* value length */
    bool        has_ts;   /* ts= given; else the previous record's + 1000 */
    long long   ts;       /* timestamp, epoch milliseconds, when has_ts */
    int         partition;/* partition (default 0) */
    const char *op;       /* op= header for retract tables, or NULL */
} TestRecord;

typedef struct TestSection {
    TestSectionKind kind; /* what it is */
    const char *arg;      /* input table / sink name after the keyword, or NULL */
    int         line;     /* 1-based line of the `---` header */
    int         body_first; /* body = 0-based lines [body_first, body_end), */
    int         body_end;   /* trailing blank and comment lines excluded */
    bool        shared;   /* from the file's preamble (before the first case) */
    const char *sql;      /* TS_SQL: the body (comment lines emptied) */
    size_t      sql_len;  /* its length */
    TestRecord *recs;     /* TS_INPUT: records in order */
    int         nrecs;    /* count */
    const char **expect;  /* expectations: body lines, blank lines and comments dropped */
    int         nexpect;  /* count */
} TestSection;

typedef struct TestCase {
    const char   *file;   /* path of its file */
    const char   *name;   /* text after `===` */
    int           line;   /* 1-based line of the `===` header */
    TestSection **secs;   /* the preamble's sections, then its own, in file order */
    int           nsecs;  /* count */
    bool          per_batch; /* options: emit = per-batch */
    bool          final_watermark; /* options: final-watermark = true (end of input fires every event-time window) */
    int           partitions; /* options: partitions = N (every table's topic has partitions 0..N-1); 0 = those its records use */
    const char  **part_tables; /* options: partitions.TABLE = N, per table */
    int          *part_counts; /* their N */
    int           npart_tables; /* count */
    bool          uses_clock; /* an input section of the case moves the processing-time clock */
    bool          memory_only; /* options: broker = false (--broker runs it in memory only) */
    int           end;    /* 0-based line after its last section body (--update adds sections there) */
} TestCase;

/* A change that reached a sink. */
typedef struct TestChange {
    const char *text;     /* as Flink prints it: "+I[us, 1, 10.5]" */
    const char *kind;     /* "+I", "-U", "+U" or "-D" */
    const char *row;      /* the row part: "[us, 1, 10.5]" */
    const char *key;      /* upsert sinks: the key columns' values in any encoding
                             that is equal exactly when the keys are; else NULL */
} TestChange;

/* Everything that reached one sink (a table, or `select` for a bare SELECT). */
typedef struct TestSink {
    const char *name;     /* sink table name, or select, select2, … */
    bool        upsert;   /* the final table is the last row per key (a compacted topic) */
    PtrList     changes;  /* TestChange*, in order */
} TestSink;

/* One INSERT or SELECT of the case, run as a job. */
typedef struct TestJob {
    const char **sources; /* the tables it reads */
    int         nsources; /* their count */
    const char *sink;     /* the sink it writes (TestSink.name) */
    long long   in;       /* records read */
    long long   out;      /* changes at the sink */
    long long   skipped;  /* malformed records skipped */
    long long   late;     /* rows too late for every window they belong to */
} TestJob;

/* What running a case produced; the runner fills it, allocating in arena. */
typedef struct TestResult {
    Arena       arena;    /* owns everything below */
    const char *error;    /* the compile or runtime error, or NULL; a compile
                             error starts with line:column counted from its
                             `--- sql` section (line 1 = the line after it) */
    int         error_line; /* the file line a compile error points at, or 0 */
    const char *not_kafka;/* the Kafka runner ran nothing: why (a table that is no Kafka topic), else NULL */
    PtrList     sinks;    /* TestSink*, in order of the statements writing them */
    PtrList     jobs;     /* TestJob*, in statement order */
    StrBuf      plans;    /* EXPLAIN text of every job's plan, in order */
    PtrList     printed;  /* char*: the lines 'print' tables were given, in order (in memory) */
} TestResult;

/* Runs a case: compiles its SQL in a fresh engine, feeds every job the
 * records of its source table, collects what reaches the sinks.  An error
 * the case may expect goes into out->error; returns 0.  Returns -1 only when
 * the runner itself cannot work (out->error then says why). */
typedef struct TestRunner {
    const char *name;     /* "memory", … */
    int (*run)(void *ctx, const TestCase *tc, TestResult *out);
    void       *ctx;      /* the runner's own state */
} TestRunner;

/* Calls fn for each line of the input sections for the `ntables` tables
 * (the preamble's first, then the case's, in file order, the tables'
 * sections interleaved as the file has them): a record of `table` with its
 * timestamp (as given, else the previous one's of that table + 1000 ms,
 * starting at 2024-01-01T00:00:00Z) and its offset (counted per table and
 * partition from 0); or a mini-batch boundary (rec->flush) or a clock line
 * (rec->clock), with ts and offset 0.  Every runner feeds its jobs through
 * this, so that they all see the same records.  Stops at, and returns, the
 * first non-zero result of fn; else 0. */
typedef int (*TestRecordFn)(void *ctx, const char *table, const TestRecord *rec, long long ts, long long offset);
int test_case_records(const TestCase *tc, const char *const *tables, int ntables, TestRecordFn fn, void *ctx);
/* The tables a plan reads, in the case's arena; their count. */
int test_plan_sources(const eddy_plan *p, Arena *a, const char ***out);

/* The processing-time clock of a case when its jobs start:
 * 2024-01-01T00:00:00Z, the first default record timestamp. */
#define TEST_FIRST_CLOCK 1704067200000LL
/* The partitions a case's job reads of table: 0…N-1 for the options' N
 * (partitions.TABLE, else partitions), else 0 up to the largest its input
 * records use, in out (arena a); their number (0: the table has no input). */
int test_table_partitions(const TestCase *tc, const char *table, Arena *a, int **out);

/* The in-memory runner (the default). */
extern const TestRunner test_memory_runner;
/* The Kafka runner (eddy test --broker): a development broker per case,
 * the real connectors; fills each sink with what its topic holds. */
extern const TestRunner test_kafka_runner;

/* Looks up a TestSink by name in a result, or NULL. */
TestSink *test_result_sink(const TestResult *r, const char *name);
/* The TestSink a job writes: its sink table's, or for a bare SELECT (table
 * NULL) select, select2, … as *nselect counts them; made on first use
 * (*made says so, when made is not NULL). */
TestSink *test_sink_for(TestResult *r, const char *table, int *nselect, bool *made);

/* Adds a change to a sink: its kind ("+I", …), its text ("+I[us, 1]"),
 * and for an upsert sink (nkey > 0) its key, from the values (NULL = SQL
 * NULL) of the columns named key[0..nkey) among names[0..ncols). */
void test_sink_add(TestResult *r, TestSink *s, const char *kind, const char *text, int ncols, const char *const *names,
                   const char *const *values, const char **key, int nkey);

/* An upsert sink's primary key column names (in arena a) and their count;
 * -1 when the plan's sink is not an upsert table (or it has none). */
int test_sink_key(const eddy_plan *p, const char ***names, Arena *a);

#endif
