/*
 * eddy.h — the embedding API of eddy, a SQL-over-streams engine.
 *
 * Compile Flink SQL to an operator plan without any broker: create an
 * engine (which holds a catalog of tables and the session's SET values),
 * compile statements or whole scripts into it, and inspect the plans as
 * text or JSON.
 *
 * Conventions:
 *  - Every function that can fail returns an int: EDDY_OK (0) or an EDDY_E*
 *    code.  The error's message, line and column are kept on the engine
 *    until its next call (eddy_errmsg, eddy_errline, eddy_errcol, and
 *    eddy_errtext for the full `file:line:col: error: …` text with the
 *    source line and a caret).  The library never prints and never exits.
 *  - No global state: engines are independent; one engine must not be used
 *    from two threads at once.
 *  - Ownership is stated per function.  Destroy functions accept NULL.
 *    Strings returned as `char *` are the caller's, freed with eddy_free().
 */
#ifndef EDDY_H
#define EDDY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDDY_VERSION "0.1.0"

/* Exported symbols of libeddy (everything else in the library is hidden). */
#if defined(__GNUC__)
#define EDDY_API __attribute__((visibility("default")))
#else
#define EDDY_API
#endif

/* Result codes. */
enum {
    EDDY_OK = 0,
    EDDY_ESYNTAX = 1,     /* the text is not SQL eddy can parse */
    EDDY_ESEMANTIC = 2,   /* unknown name, type mismatch, misplaced aggregate … */
    EDDY_EPLAN = 3,       /* valid SQL that cannot run correctly (e.g. updates into an append-only table) */
    EDDY_EOPTION = 4,     /* unknown or ill-typed WITH option or SET key */
    EDDY_ERUNTIME = 5,    /* a running job failed */
    EDDY_EMISUSE = 6,     /* the API was called wrongly (e.g. an index out of range) */
};

/* What a statement is. */
typedef enum eddy_stmt_kind {
    EDDY_STMT_CREATE_TABLE,
    EDDY_STMT_DROP_TABLE,
    EDDY_STMT_INSERT,     /* has a plan: a continuous job into a table */
    EDDY_STMT_SELECT,     /* has a plan: a continuous query whose rows go to the caller */
    EDDY_STMT_SET,
    EDDY_STMT_RESET,
    EDDY_STMT_SHOW_TABLES,
    EDDY_STMT_DESCRIBE,
    EDDY_STMT_EXPLAIN,    /* has the explained statement's plan too */
    EDDY_STMT_SHOW_JOBS,  /* for a REPL or server: no effect at compile time */
    EDDY_STMT_STOP_JOB,   /* likewise; eddy_script_output gives the job id */
} eddy_stmt_kind;

/* Plan renderings. */
typedef enum eddy_format {
    EDDY_TEXT = 0,        /* one operator a line, root first, with changelog kind and key */
    EDDY_JSON = 1,        /* the same tree as a JSON object */
} eddy_format;

typedef struct eddy_engine eddy_engine;   /* catalog + settings + last error */
typedef struct eddy_script eddy_script;   /* the compiled statements of one text */
typedef struct eddy_plan eddy_plan;       /* an operator plan (read-only) */

/* Library version, e.g. "0.1.0". */
EDDY_API const char *eddy_version(void);

/* A new engine with an empty catalog, or NULL when out of memory. */
EDDY_API eddy_engine *eddy_engine_new(void);
/* Frees the engine and its catalog.  Scripts compiled by it stay valid. */
EDDY_API void eddy_engine_free(eddy_engine *e);

/*
 * Tables from a Confluent Schema Registry.  After this call, a statement
 * that names a table the catalog does not have (FROM, INSERT INTO,
 * DESCRIBE) makes the engine ask the registry for subject `<name>-value`;
 * if it exists, the table is added as if by CREATE TABLE: the columns of
 * the latest registered schema (Flink's Avro → SQL types), topic `<name>`,
 * format 'avro-confluent'.  The registry is `url` (copied; NULL = none),
 * overridden by SET 'avro-confluent.url', which is also the default URL
 * of tables declared with format 'avro-confluent' (and which alone, without
 * this call, is enough in a program linked with the runtime).  This is the
 * only time compiling does network I/O.  EDDY_OK, or EDDY_EMISUSE when url
 * is not an http(s) URL.
 */
EDDY_API int eddy_engine_set_registry(eddy_engine *e, const char *url);

/*
 * Compiles `sql` (len bytes; NUL termination not needed), one or more
 * statements separated by ';'.  Statements take effect in order: CREATE
 * TABLE, DROP TABLE, SET and RESET change the engine; INSERT, SELECT and
 * EXPLAIN produce plans.  Compilation stops at the first error; statements
 * before it have taken effect.  `name` (may be NULL) names the text in
 * error messages, e.g. a file name.
 *
 * On EDDY_OK, *out is a new script owned by the caller (eddy_script_free).
 * On error, *out is NULL and the error is on the engine.
 */
EDDY_API int eddy_compile(eddy_engine *e, const char *sql, size_t len, const char *name, eddy_script **out);

/* The last error: code, bare message, 1-based line and column (0 when the
 * error has no position), and the full text with the source line and a
 * caret.  Strings are owned by the engine, valid until its next call. */
EDDY_API int         eddy_errcode(const eddy_engine *e);
EDDY_API const char *eddy_errmsg(const eddy_engine *e);
EDDY_API int         eddy_errline(const eddy_engine *e);
EDDY_API int         eddy_errcol(const eddy_engine *e);
EDDY_API const char *eddy_errtext(const eddy_engine *e);

/* Statements of a compiled script, 0 ≤ i < eddy_script_count. */
EDDY_API int            eddy_script_count(const eddy_script *s);
EDDY_API eddy_stmt_kind eddy_script_kind(const eddy_script *s, int i);
/* 1-based line of the statement's first token. */
EDDY_API int            eddy_script_line(const eddy_script *s, int i);
/* The statement's plan (INSERT, SELECT, EXPLAIN), owned by the script; else NULL. */
EDDY_API const eddy_plan *eddy_script_plan(const eddy_script *s, int i);
/* What the statement shows a user (SHOW TABLES, DESCRIBE, SET, EXPLAIN's
 * plan, a confirmation for CREATE/DROP/RESET), owned by the script; NULL if nothing. */
EDDY_API const char    *eddy_script_output(const eddy_script *s, int i);
EDDY_API void           eddy_script_free(eddy_script *s);

/* The plan rendered as text or JSON; the caller frees it with eddy_free. */
EDDY_API char *eddy_plan_explain(const eddy_plan *p, eddy_format f);
/* Number of operators in the plan. */
EDDY_API int   eddy_plan_operator_count(const eddy_plan *p);
/* Name of the job the plan would run as (pipeline.name, else the sink table). */
EDDY_API const char *eddy_plan_name(const eddy_plan *p);

/* ---- Running a plan ------------------------------------------------------
 *
 * A job runs one INSERT or SELECT plan: in memory (push source records in,
 * receive the changes that reach the sink) or over Kafka (eddy_job_run).
 * A job keeps a pointer to its plan: the plan's script must outlive it.
 */
typedef struct eddy_job eddy_job;

/* A source record, as Kafka would deliver it. */
typedef struct eddy_record {
    const void *key;       /* key bytes, or NULL */
    size_t      key_len;   /* key length */
    const void *value;     /* value bytes, or NULL for a tombstone */
    size_t      value_len; /* value length */
    long long   timestamp; /* record timestamp, epoch milliseconds */
    int         partition; /* partition (metadata column 'partition') */
    long long   offset;    /* offset (metadata column 'offset') */
    const char *op;        /* retract tables: "+I", "-U", "+U" or "-D" (the "op" header); else NULL */
    const char *table;     /* the source table it belongs to (a job may read several); NULL = the job's only source */
} eddy_record;

/* A change reaching the sink (its table's columns) or a SELECT's result. */
typedef struct eddy_change {
    const char         *kind;    /* "+I", "-U", "+U" or "-D" */
    int                 ncols;   /* number of columns */
    const char *const  *names;   /* column names */
    const char *const  *values;  /* values as Flink prints them; NULL for SQL NULL */
    const char         *text;    /* the whole change, e.g. "+I[us-east, 3, 120.5]" */
} eddy_change;

/* Called for each change; the change is valid only during the call. */
typedef void (*eddy_change_fn)(void *ctx, const eddy_change *c);

typedef struct eddy_job_options {
    eddy_change_fn on_change;  /* may be NULL */
    void          *ctx;        /* passed to on_change */
    int            per_record; /* 1: emit after every record (a deterministic, fine-grained changelog);
                                  0: per mini-batch (one change per key per batch) */
} eddy_job_options;

/* A job for an INSERT or SELECT plan.  o may be NULL.  On failure returns
 * NULL and, if err is not NULL, writes the reason there. */
EDDY_API eddy_job *eddy_job_new(const eddy_plan *p, const eddy_job_options *o, char *err, size_t errlen);
/* In memory: decodes and processes one source record of table r->table.
 * A malformed record fails the job (EDDY_ERUNTIME) unless the table says
 * 'error.mode'='skip'.  A table the plan does not read, or a NULL table for
 * a plan reading several, is EDDY_EMISUSE (the job goes on; the message is
 * in eddy_job_errmsg until the next call). */
EDDY_API int eddy_job_push(eddy_job *j, const eddy_record *r);
/* In memory: ends a mini-batch — aggregates emit their changes. */
EDDY_API int eddy_job_flush(eddy_job *j);
/* Over Kafka: runs until *stop becomes non-zero (e.g. from a signal
 * handler), then finishes the batch, flushes and returns EDDY_OK; or
 * returns EDDY_ERUNTIME when the job fails.  bootstrap may be NULL (then
 * the plan's 'properties.bootstrap.servers'). */
EDDY_API int eddy_job_run(eddy_job *j, const char *bootstrap, volatile int *stop);
/* Why the job failed ("" if it did not). */
EDDY_API const char *eddy_job_errmsg(const eddy_job *j);
/* Counters: source records read, changes at the sink, malformed records skipped. */
EDDY_API void eddy_job_counts(const eddy_job *j, long long *records_in, long long *changes_out, long long *skipped);
EDDY_API void eddy_job_free(eddy_job *j);

/* Documentation of every WITH option and SET key; caller frees with eddy_free. */
EDDY_API char *eddy_options_doc(void);
/* Frees a string returned by eddy. */
EDDY_API void eddy_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
