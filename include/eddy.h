/*
 * eddy.h — the embedding API of eddy, a SQL-over-streams engine.
 *
 * Compile Flink SQL to an operator plan without any broker: create an
 * engine (which holds a catalog of tables and the session's SET values),
 * compile statements or whole scripts into it, and inspect the plans as
 * text or JSON, or as facts (tables read and written, result columns and
 * key).  Run a plan as a job, in memory or over Kafka, with a state file,
 * and read its counters.  Helpers for a SQL shell tell where statements
 * end and what a word being typed may be.  Development tools start a
 * Kafka broker, a Schema Registry and a generator of sample orders in
 * the process, for tests and demos.
 *
 * Conventions:
 *  - Every function that can fail returns an int: EDDY_OK (0) or an EDDY_E*
 *    code.  The error's message, line and column are kept on the engine
 *    until its next call (eddy_errmsg, eddy_errline, eddy_errcol, and
 *    eddy_errtext for the full `file:line:col: error: …` text with the
 *    source line and a caret).  The library never prints and never exits.
 *    A NULL handle, record or output pointer given to a function that
 *    returns a code is EDDY_EMISUSE, like an index out of range.
 *  - No global state: engines are independent; one engine must not be used
 *    from two threads at once.  (Below the API, jobs whose state grows
 *    past a few MiB share one pool of pre-faulted 2 MiB blocks, kept
 *    filled by a background thread the first such job starts: at most
 *    8 MiB, held until the process exits.)
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
    EDDY_STMT_CREATE_VIEW,
    EDDY_STMT_DROP_VIEW,
    EDDY_STMT_ALTER_TABLE,/* ALTER TABLE … SET / RESET / RENAME TO */
    EDDY_STMT_SHOW,       /* SHOW VIEWS / FUNCTIONS / COLUMNS / CREATE …: eddy_script_output is the text */
    EDDY_STMT_SHOW_JOB,   /* SHOW JOB 'id or name' (or DESCRIBE JOB): likewise; eddy_script_output gives it */
    EDDY_STMT_CREATE_FUNCTION, /* CREATE [TEMPORARY] FUNCTION name AS 'lib.so:symbol' LANGUAGE C */
    EDDY_STMT_DROP_FUNCTION,   /* DROP [TEMPORARY] FUNCTION [IF EXISTS] name */
} eddy_stmt_kind;
/* A statement set (EXECUTE STATEMENT SET BEGIN … END, or BEGIN STATEMENT
 * SET; … END; in a script) and CREATE TABLE … AS are EDDY_STMT_INSERT: one
 * plan (with several sinks for a set), one job. */

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

/* ---- The catalog and the session ---------------------------------------
 *
 * What an engine knows, as data: its tables with their columns, and the
 * SET values in force.  Names and strings are owned by the engine and stay
 * valid until its next eddy_compile (which may DROP or RESET them).
 */

/* SQL types, as Flink names them. */
typedef enum eddy_type {
    EDDY_TYPE_NULL = 0,     /* the type of a bare NULL literal */
    EDDY_TYPE_BOOLEAN,
    EDDY_TYPE_TINYINT,
    EDDY_TYPE_SMALLINT,
    EDDY_TYPE_INT,
    EDDY_TYPE_BIGINT,
    EDDY_TYPE_FLOAT,
    EDDY_TYPE_DOUBLE,
    EDDY_TYPE_DECIMAL,      /* precision and scale */
    EDDY_TYPE_STRING,       /* STRING, VARCHAR(n), CHAR(n) */
    EDDY_TYPE_BYTES,        /* BYTES, VARBINARY(n), BINARY(n) */
    EDDY_TYPE_DATE,
    EDDY_TYPE_TIMESTAMP,    /* precision = fractional second digits */
    EDDY_TYPE_TIMESTAMP_LTZ,
    EDDY_TYPE_INTERVAL,     /* a day-time interval (literals only) */
    EDDY_TYPE_ROW,          /* ROW<…>: sql_type spells the fields */
    EDDY_TYPE_ARRAY,        /* ARRAY<…> */
    EDDY_TYPE_MAP,          /* MAP<…, …> */
} eddy_type;

/* ---- User-defined scalar functions in C ---------------------------------
 *
 * A scalar function written in C is called once per row with its arguments
 * as eddy_values and writes its result into *result.  It becomes a function
 * of the engine's SQL (`SELECT count_char(name, 'a') FROM t`) in two ways:
 *  - the embedding program calls eddy_register_function, or
 *  - SQL says CREATE [TEMPORARY] FUNCTION count_char AS 'path/libx.so:symbol'
 *    LANGUAGE C: eddy opens the library (dlopen; a path without '/' is
 *    searched as dlopen searches) and reads the eddy_udf descriptor exported
 *    as `symbol` (a missing file, symbol or a wrong descriptor is an error
 *    naming it, at the AS text).  The library stays loaded until the process
 *    ends (a job may still call it after DROP FUNCTION).
 * DROP [TEMPORARY] FUNCTION removes the name; SHOW FUNCTIONS lists user
 * functions with the built-in ones, SHOW USER FUNCTIONS alone.  A user
 * function cannot take the name of a built-in one.
 *
 * Calling convention.  fn(ctx, args, nargs, result, err, errlen):
 *  - args[i] holds argument i converted to the declared type (an INT given
 *    where BIGINT or DOUBLE is declared is widened; other types must match,
 *    as a CAST would otherwise be needed): is_null, or the value in the
 *    field of its type (below).  Strings are not NUL-terminated; args are
 *    read-only and valid only during the call.
 *  - *result arrives as SQL NULL (is_null = 1); set is_null = 0 and the
 *    field of the declared result type.  A string or bytes result may point
 *    into memory of the function's (or into an argument): eddy copies it
 *    before the call returns to the engine, so it needs to stay valid only
 *    until the function is called again (a static buffer is not safe: jobs
 *    may run on several threads — use ctx, or an argument's bytes).
 *  - return 0; or non-zero with a message in err (errlen bytes): the job
 *    fails with "function NAME: message" and the row's position.
 *  - NULL: by default the function is called with NULL arguments (as
 *    Flink's UDFs receive them) and decides.  EDDY_FN_NULL_ON_NULL: eddy
 *    returns NULL for a row where any argument is NULL without calling it.
 *  - EDDY_FN_DETERMINISTIC: the same arguments always give the same result
 *    (the planner may evaluate a call over constants once); without it the
 *    function is called for every row, as NOW() is.
 * It is called on the thread that runs the job; several jobs of one engine
 * may call it at once.
 */
typedef struct eddy_value {
    int         is_null;  /* 1: SQL NULL (the other fields mean nothing) */
    long long   i;        /* BOOLEAN (0 or 1), TINYINT, SMALLINT, INT, BIGINT; DATE (days since 1970-01-01);
                             TIMESTAMP and TIMESTAMP_LTZ (milliseconds since the epoch, UTC) */
    double      d;        /* FLOAT, DOUBLE */
    const char *s;        /* STRING (UTF-8), BYTES */
    size_t      len;      /* length of s in bytes */
} eddy_value;

typedef int (*eddy_scalar_fn)(void *ctx, const eddy_value *args, int nargs, eddy_value *result, char *err, size_t errlen);

enum {
    EDDY_FN_DETERMINISTIC = 1, /* same arguments, same result */
    EDDY_FN_NULL_ON_NULL = 2,  /* a NULL argument gives NULL; the function is not called */
};

/* Most arguments a user function takes. */
#define EDDY_UDF_MAX_ARGS 16
/* The descriptor version this header describes (eddy_udf.abi). */
#define EDDY_UDF_ABI 1

/* What a library exports for CREATE FUNCTION … AS 'lib.so:symbol': a
 * constant of this type named symbol, e.g.
 *   const eddy_udf count_char = {EDDY_UDF_ABI, EDDY_TYPE_BIGINT, 2,
 *       {EDDY_TYPE_STRING, EDDY_TYPE_STRING}, count_char_fn, NULL, EDDY_FN_DETERMINISTIC | EDDY_FN_NULL_ON_NULL};
 * Types: BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, STRING,
 * BYTES, DATE, TIMESTAMP (3), TIMESTAMP_LTZ (3). */
typedef struct eddy_udf {
    int            abi;       /* EDDY_UDF_ABI */
    eddy_type      result;    /* the result's type */
    int            nargs;     /* 0 … EDDY_UDF_MAX_ARGS */
    eddy_type      args[EDDY_UDF_MAX_ARGS]; /* the arguments' types */
    eddy_scalar_fn fn;        /* the function */
    void          *ctx;       /* passed to fn */
    int            flags;     /* EDDY_FN_* */
} eddy_udf;

/* Registers scalar function `name` (case-insensitive, as SQL names are) in
 * engine e, as a TEMPORARY function: nargs argument types (copied), the
 * result type, fn with ctx, EDDY_FN_* flags.  EDDY_OK; EDDY_ESEMANTIC when
 * the name is a built-in function's or already a user function's;
 * EDDY_EMISUSE for a NULL fn or name, nargs out of 0…EDDY_UDF_MAX_ARGS or a
 * type a function cannot take (the message in eddy_errmsg). */
EDDY_API int eddy_register_function(eddy_engine *e, const char *name, const eddy_type *args, int nargs, eddy_type result,
                                    eddy_scalar_fn fn, void *ctx, int flags);

/* Where a table column's value comes from. */
typedef enum eddy_column_kind {
    EDDY_COLUMN_PHYSICAL = 0, /* the record's key or value */
    EDDY_COLUMN_COMPUTED,     /* AS expression */
    EDDY_COLUMN_METADATA,     /* METADATA FROM 'timestamp', 'partition', … */
} eddy_column_kind;

/* One column of a table or of a plan's result, filled in by eddy_table_column
 * or eddy_plan_column. */
typedef struct eddy_column {
    const char      *name;      /* column name (owned by the engine or the plan) */
    eddy_type        type;      /* its type */
    int              precision; /* DECIMAL precision, TIMESTAMP fractional digits; else 0 */
    int              scale;     /* DECIMAL scale; else 0 */
    int              length;    /* VARCHAR(n), CHAR(n), VARBINARY(n): n; 0 = unbounded */
    int              nullable;  /* 1 unless NOT NULL */
    int              key;       /* 1: in the table's PRIMARY KEY, or in the plan result's key (eddy_plan_key) */
    eddy_column_kind kind;      /* physical, computed or metadata (a SELECT's result: physical) */
    char             sql_type[48]; /* the type as Flink writes it, e.g. "DECIMAL(10, 2)" (nullability apart) */
} eddy_column;

/* How a table's records carry changes ('changelog.mode'). */
typedef enum eddy_changelog {
    EDDY_CHANGELOG_APPEND = 0, /* inserts only (+I) */
    EDDY_CHANGELOG_RETRACT,    /* every change explicit: +I, -U, +U, -D */
    EDDY_CHANGELOG_UPSERT,     /* by key: +I, +U, -D; no -U before-images */
} eddy_changelog;

/* A table, filled in by eddy_table, eddy_plan_source or eddy_plan_sink. */
typedef struct eddy_table_info {
    const char    *name;      /* table name */
    const char    *topic;     /* its Kafka topic */
    eddy_changelog changelog; /* its changelog mode */
    int            ncols;     /* its columns (all of them, computed and metadata too) */
    const char    *connector; /* its 'connector' as eddy names it: "kafka" (also when the table has no
                                 'connector' option), "upsert-kafka", "jdbc", "datagen", "blackhole", "print", "nexmark" */
} eddy_table_info;

/* Tables of the catalog, in creation order: 0 ≤ i < eddy_table_count.
 * eddy_table fills *out; eddy_table_column fills *out with column col
 * (0 ≤ col < ncols) of table i.  EDDY_OK, or EDDY_EMISUSE out of range. */
EDDY_API int eddy_table_count(const eddy_engine *e);
EDDY_API int eddy_table(const eddy_engine *e, int i, eddy_table_info *out);
EDDY_API int eddy_table_column(const eddy_engine *e, int i, int col, eddy_column *out);

/* SET values in force, in the order they were first set: 0 ≤ i <
 * eddy_setting_count.  EDDY_OK with *key and *value, or EDDY_EMISUSE. */
EDDY_API int eddy_setting_count(const eddy_engine *e);
EDDY_API int eddy_setting(const eddy_engine *e, int i, const char **key, const char **value);

/* Names eddy knows, for completion and documentation. */
typedef enum eddy_names_kind {
    EDDY_NAMES_FUNCTIONS,      /* built-in functions, canonical names ("COUNT", "SUBSTRING", …) */
    EDDY_NAMES_TABLE_OPTIONS,  /* WITH option keys; a prefix ends with '.' ("properties.") */
    EDDY_NAMES_SETTINGS,       /* SET keys; likewise */
} eddy_names_kind;
/* Calls fn once per name of the kind, in the order the documentation lists
 * them.  The name is valid during the call. */
EDDY_API void eddy_names(eddy_names_kind kind, void (*fn)(void *ctx, const char *name), void *ctx);

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

/* The tables a plan reads (sources) and writes (sinks; a SELECT has none):
 * counts, and table i filled into *out (strings owned by the plan).
 * EDDY_OK, or EDDY_EMISUSE out of range. */
EDDY_API int eddy_plan_source_count(const eddy_plan *p);
EDDY_API int eddy_plan_source(const eddy_plan *p, int i, eddy_table_info *out);
EDDY_API int eddy_plan_sink_count(const eddy_plan *p);
EDDY_API int eddy_plan_sink(const eddy_plan *p, int i, eddy_table_info *out);
/* Sink i's columns as it writes them (key = its upsert primary key); a
 * statement set's plan has several sinks, eddy_plan_column describes the first. */
EDDY_API int eddy_plan_sink_column_count(const eddy_plan *p, int sink);
EDDY_API int eddy_plan_sink_column(const eddy_plan *p, int sink, int i, eddy_column *out);

/* The plan's result: the columns of the changes eddy_job_options.on_change
 * receives (a SELECT's result, or the columns an INSERT writes, in its
 * order).  eddy_plan_column fills *out with column i (name owned by the
 * plan); EDDY_OK, or EDDY_EMISUSE out of range. */
EDDY_API int eddy_plan_column_count(const eddy_plan *p);
EDDY_API int eddy_plan_column(const eddy_plan *p, int i, eddy_column *out);
/* The key of the result, as EXPLAIN shows it on the plan's first line: a
 * SELECT's unique key, an upsert sink's primary key.  Its width (the
 * columns marked `key`), 0 when the result is at most one row (a global
 * aggregate), or -1 when rows have no key. */
EDDY_API int eddy_plan_key(const eddy_plan *p);
/* The result's changelog, as EXPLAIN shows it: an INSERT's is its sink
 * table's mode; a SELECT's is append when it only inserts. */
EDDY_API eddy_changelog eddy_plan_changelog(const eddy_plan *p);
/* A SELECT's LIMIT, or -1. */
EDDY_API long long eddy_plan_limit(const eddy_plan *p);
/* The SET value of `key` in force when the plan was compiled, or NULL
 * (e.g. "state.path", "sql-client.execution.result-mode"). */
EDDY_API const char *eddy_plan_setting(const eddy_plan *p, const char *key);
/* The Kafka cluster the plan names itself: a source table's WITH
 * 'properties.bootstrap.servers', else SET 'properties.bootstrap.servers';
 * NULL when it names none (eddy_job_run then needs a bootstrap). */
EDDY_API const char *eddy_plan_bootstrap(const eddy_plan *p);

/* ---- SQL text, for a shell ------------------------------------------------
 *
 * What a shell reading statements line by line needs from the tokenizer;
 * no engine, nothing is compiled.  `sql` need not be NUL-terminated.
 */

/* Where the statement at the start of sql[0..len) ends. */
typedef enum eddy_statement_end_kind {
    EDDY_SQL_BLANK = 0,   /* only white space and comments: no statement */
    EDDY_SQL_END = 1,     /* a ';' ends a statement: *end is just past it */
    EDDY_SQL_PARTIAL = 2, /* a statement has begun but not ended: tokens without their ';', or
                             the text ends inside a string, quoted identifier or block comment */
} eddy_statement_end_kind;
/* Finds the ';' that ends the first statement: outside strings, quoted
 * identifiers and comments, after at least one token (a ';' with nothing
 * before it joins the next statement).  *end is set (len unless
 * EDDY_SQL_END).  Call again on what follows to split a script. */
EDDY_API eddy_statement_end_kind eddy_statement_end(const char *sql, size_t len, size_t *end);

/* What the text before a word being completed says about the word. */
typedef struct eddy_completion {
    int    statement_start; /* the statement has no token yet: a statement keyword (or a shell command) comes */
    int    table_next;      /* the last token is FROM, INTO, TABLE, DESCRIBE/DESC, or DROP … EXISTS: a table name comes */
    int    set_statement;   /* the statement starts with SET or RESET (a quoted word is a setting key) */
    int    with_clause;     /* a WITH came before (a quoted word is a table option) */
    char **idents;          /* the statement's identifiers so far, unquoted, in order (heap) */
    int    nidents;         /* count */
} eddy_completion;
/* Scans sql[0..len) (the text before the word; the current statement is
 * what follows its last ';') into *out; free with eddy_completion_free. */
EDDY_API void eddy_completion_scan(const char *sql, size_t len, eddy_completion *out);
/* Frees what eddy_completion_scan allocated (NULL-safe). */
EDDY_API void eddy_completion_free(eddy_completion *c);

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
    const char *op;        /* retract tables: "+I", "-U", "+U" or "-D" (the "op" header; NULL = "+I"); else NULL */
    const char *table;     /* the source table it belongs to (a job may read several); NULL = the job's only source */
} eddy_record;

/* A change reaching the sink (its table's columns) or a SELECT's result. */
typedef struct eddy_change {
    const char         *kind;    /* "+I", "-U", "+U" or "-D" */
    int                 ncols;   /* number of columns */
    const char *const  *names;   /* column names */
    const char *const  *values;  /* values as Flink prints them; NULL for SQL NULL */
    const char         *text;    /* the whole change, e.g. "+I[us-east, 3, 120.5]" */
    const char         *table;   /* the sink table it goes to (a statement set writes several), NULL for a SELECT */
} eddy_change;

/* Called for each change; the change is valid only during the call. */
typedef void (*eddy_change_fn)(void *ctx, const eddy_change *c);
/* Called with a message a running job has for its user, e.g. "waiting for
 * topic 'orders' (…)"; the message is valid only during the call. */
typedef void (*eddy_notice_fn)(void *ctx, const char *msg);

/* Called with each line a 'print' table is given — the row as Flink's print
 * sink writes it, "+I[1, a]", after "<print-identifier>> " when the table
 * has one — and to_stderr 1 when the table says 'standard-error' = 'true'.
 * The line (no newline) is valid only during the call.  The library writes
 * to no stream itself: the eddy command writes the line to standard output
 * (or error). */
typedef void (*eddy_print_fn)(void *ctx, const char *line, int to_stderr);

/* Callbacks run on the thread that runs the job (eddy_job_push, _flush or
 * _run); they may call eddy_job_stop, nothing else of the job. */
typedef struct eddy_job_options {
    eddy_change_fn on_change;  /* may be NULL */
    void          *ctx;        /* passed to on_change and on_notice */
    int            per_record; /* 1: emit after every record (a deterministic, fine-grained changelog);
                                  0: per mini-batch (one change per key per batch); a plan compiled with
                                  'table.exec.mini-batch.enabled' = 'false' emits each row's change either way */
    eddy_notice_fn on_notice;  /* may be NULL: then notices are dropped */
    int            bounded;    /* over Kafka: read what the sources hold when the run starts, then finish
                                  (as each table's 'scan.bounded.mode' = 'latest-offset') */
    int            lag;        /* over Kafka: note where each source partition starts reading, so that
                                  eddy_job_lag can tell how far behind the job is (a metadata request at start) */
    int            open_end;   /* over Kafka with bounded: the end of the input is not a final watermark
                                  (event-time windows the watermark has not passed stay open, as if more input
                                  might come); by default a bounded run ends with one, as Flink's bounded sources */
    eddy_print_fn  on_print;   /* lines of 'print' tables; NULL: a job that writes one fails at its first row
                                  (rather than lose what it was asked to print) */
    int            parallelism;/* over Kafka: worker threads (0 or 1: the job runs on the caller's thread, as one
                                  task).  Above 1, eddy_job_run runs the plan's stages as tasks, task t of a stage
                                  reading partition t of its input topics, dealt to that many threads
                                  (docs/scaling.md); a plan that cannot (see eddy_job_parallelism) runs as one
                                  job.  Its state is then a directory: the path given to eddy_job_open_state
                                  with ".d" appended, a file per task */
    const char    *group;      /* over Kafka: NULL, or the consumer group through which several processes share
                                  the job (eddy run --group; docs/scaling.md): the plan runs as tasks (on
                                  max(1, parallelism) threads), and this process runs those whose partitions the
                                  group "GROUP-<job>-s<stage>" gives it; their state moves with them through changelog
                                  topics "<job>-s<stage>-changelog".  Needs a state file and an unbounded run; a
                                  plan that cannot run as tasks is refused by eddy_job_new */
    int            group_session_ms; /* with group: the members' session.timeout.ms, how long a process may be
                                  silent before the others take its tasks (0: 10000) */
} eddy_job_options;

/* A job for an INSERT or SELECT plan.  o may be NULL.  On failure returns
 * NULL and, if err is not NULL, writes the reason there. */
EDDY_API eddy_job *eddy_job_new(const eddy_plan *p, const eddy_job_options *o, char *err, size_t errlen);
/* Keeps the job's operator state in the state file at path (SQLite;
 * created if needed, emptied first when reset is non-zero): checkpoints
 * are written there, and a job restarted with the same file resumes from
 * its last checkpoint (its operator state, and over Kafka its source
 * offsets).  Call once, before the job processes anything (a second
 * call is EDDY_EMISUSE; after EDDY_ERUNTIME the job is failed: free it).
 * EDDY_OK, or EDDY_ERUNTIME with a message naming the file in err (the
 * file is locked by another job, is not a state file, or holds the state
 * of a query this one cannot continue). */
EDDY_API int eddy_job_open_state(eddy_job *j, const char *path, int reset, char *err, size_t errlen);
/* 1 when the state file held a checkpoint to resume from, else 0 (a job
 * run as tasks: when its state directory holds task state files). */
EDDY_API int eddy_job_resumed(const eddy_job *j);
/* The worker threads the job runs on: 1 when it runs as one job (options'
 * parallelism 0 or 1, or a plan that cannot run as tasks: then, if why is
 * not NULL, the reason is written there). */
EDDY_API int eddy_job_parallelism(const eddy_job *j, char *why, size_t whylen);
/* In memory: decodes and processes one source record of table r->table.
 * A malformed record fails the job (EDDY_ERUNTIME) unless the table says
 * 'error.mode'='skip'.  A table the plan does not read, or a NULL table for
 * a plan reading several, is EDDY_EMISUSE (the job goes on; the message is
 * in eddy_job_errmsg until the next call). */
EDDY_API int eddy_job_push(eddy_job *j, const eddy_record *r);
/* In memory: every source that makes its own rows (a 'datagen' table)
 * emits its next rows, up to max of each (all at once: 'rows-per-second'
 * paces only eddy_job_run), through the job; with per_record, one row at a
 * time, each followed by the end of a mini-batch.  *done (may be NULL) is 1
 * once every such source has ended ('number-of-rows', a sequence's end) —
 * then their watermarks are the end of time — else 0 (a job with none is
 * done).  Positions start at row 0 and go on from call to call.  EDDY_OK,
 * or EDDY_ERUNTIME when the job failed. */
EDDY_API int eddy_job_generate(eddy_job *j, long long max, int *done);
/* In memory: ends a mini-batch — aggregates emit their changes. */
EDDY_API int eddy_job_flush(eddy_job *j);
/* In memory: processing time is now now_ms (epoch milliseconds): PROCTIME()
 * reads it, processing-time windows fire by it, and a source partition
 * that has had no record for its idle timeout stops holding back its
 * table's watermark.  Time never goes back (a smaller value changes
 * nothing); it starts at 0 until set.  Over Kafka the job sets it from the
 * wall clock.  EDDY_OK, or EDDY_ERUNTIME when what it fired failed. */
EDDY_API int eddy_job_set_clock(eddy_job *j, long long now_ms);
/* In memory: the partitions of table's topic (0 ≤ partitions[i]) the job
 * reads, as a Kafka consumer would be assigned them: the table's watermark
 * is the smallest over them (idle ones apart), so one without records yet
 * holds it back.  Partitions that records come from count without this.
 * Call before pushing records (after eddy_job_set_clock, so that idle
 * timeouts count from then).  table NULL = the job's only table.
 * EDDY_OK, or EDDY_EMISUSE (a table the job does not read). */
EDDY_API int eddy_job_partitions(eddy_job *j, const char *table, const int *partitions, int n);
/* In memory: the input has ended for good — every table's watermark
 * becomes the largest (Flink's Long.MAX_VALUE, as a bounded source ends),
 * so event-time windows still open fire.  Then eddy_job_flush.  EDDY_OK or
 * EDDY_ERUNTIME. */
EDDY_API int eddy_job_final_watermark(eddy_job *j);
/* Over Kafka: runs until *stop becomes non-zero (e.g. from a signal
 * handler) or eddy_job_stop is called, then finishes the batch, flushes,
 * takes a last checkpoint and returns EDDY_OK; also returns EDDY_OK when
 * the job finishes by itself (bounded input read, a SELECT's LIMIT
 * reached); or returns EDDY_ERUNTIME when the job fails.  stop may be
 * NULL.  bootstrap may be NULL (then the plan's
 * 'properties.bootstrap.servers', see eddy_plan_bootstrap). */
EDDY_API int eddy_job_run(eddy_job *j, const char *bootstrap, volatile int *stop);
/* Asks eddy_job_run to stop, as setting its *stop does (and sets that
 * *stop, when the run was given one).  Safe from any thread and from the
 * job's own callbacks, not from a signal handler.  A stop asked for before
 * the run makes it return at once. */
EDDY_API void eddy_job_stop(eddy_job *j);
/* Why the job failed ("" if it did not). */
EDDY_API const char *eddy_job_errmsg(const eddy_job *j);
/* Counters: source records read, changes at the sink, malformed records skipped. */
EDDY_API void eddy_job_counts(const eddy_job *j, long long *records_in, long long *changes_out, long long *skipped);

/* A job's counters (eddy_job_get_stats). */
typedef struct eddy_job_stats {
    long long records_in;         /* source records read */
    long long rows_out;           /* changes that reached the sink or the caller */
    long long records_out;        /* records written to the sink's topic */
    long long skipped;            /* malformed records skipped ('error.mode' = 'skip') */
    long long flushes;            /* mini-batches emitted */
    long long checkpoints;        /* checkpoints committed */
    long long checkpoint_last_us; /* how long the last checkpoint paused processing, µs */
    long long checkpoint_max_us;  /* the longest such pause, µs */
    long long checkpoint_rows;    /* state rows the last checkpoint wrote */
    long long restored_rows;      /* state rows loaded from the state file at start */
    long long restore_us;         /* how long loading them took, µs */
    long long late;               /* rows that came after every window they belong to had fired (changed nothing) */
} eddy_job_stats;
/* Fills *out.  May be called from another thread while the job runs: each
 * counter is read atomically, the set is not one instant's. */
EDDY_API void eddy_job_get_stats(const eddy_job *j, eddy_job_stats *out);

/* "No watermark yet", in eddy_operator_stats.watermark. */
#define EDDY_NO_WATERMARK (-9223372036854775807LL - 1)

/* One operator's counters (eddy_job_operator_stats). */
typedef struct eddy_operator_stats {
    const char *name;         /* operator, as EXPLAIN names it: "KafkaSource", "GroupAggregate", … */
    const char *description;  /* its EXPLAIN line without the changelog: "GroupAggregate(groupBy=[region], …)" */
    long long   rows_in;      /* rows received, all inputs */
    long long   rows_out;     /* rows emitted */
    long long   state_keys;   /* keys held in state */
    long long   state_bytes;  /* bytes of state held (payloads, approximately) */
    long long   time_ns;      /* time spent processing, ns */
    long long   watermark;    /* event time reached, epoch ms, or EDDY_NO_WATERMARK */
} eddy_operator_stats;
/* Operators of the job, inputs before their consumers: 0 ≤ i <
 * eddy_job_operator_count.  eddy_job_operator_stats fills *out (strings
 * owned by the job); EDDY_OK, or EDDY_EMISUSE out of range.  Like
 * eddy_job_get_stats, callable while the job runs. */
EDDY_API int eddy_job_operator_count(const eddy_job *j);
EDDY_API int eddy_job_operator_stats(const eddy_job *j, int i, eddy_operator_stats *out);

/* Records in the source topics the running job has yet to read: the sum,
 * over source partitions, of the end offset now less the job's position.
 * Asks the cluster (may take up to a few seconds); callable from another
 * thread while the job runs.  EDDY_OK with *lag, or EDDY_ERUNTIME when it
 * is not known (the job was not run with options.lag, has not looked up
 * its start yet, or the cluster does not answer). */
EDDY_API int eddy_job_lag(eddy_job *j, long long *lag);
/* Frees the job (NULL-safe) and closes its state file; it must not be running. */
EDDY_API void eddy_job_free(eddy_job *j);

/* ---- Monitoring a running job --------------------------------------------
 *
 * A running job publishes its counters every few hundred milliseconds (and
 * after each checkpoint, and when it ends) as one consistent snapshot that
 * any thread may read: eddy_job_get_metrics, eddy_job_describe, and an HTTP
 * endpoint (eddy_monitor) serving Prometheus /metrics, /healthz, /jobs and a
 * live dashboard page.
 */

/* A job's last published snapshot (eddy_job_get_metrics). */
typedef struct eddy_job_metrics {
    const char *state;          /* "CREATED", "STARTING", "RUNNING", "FINISHED", "STOPPED" or "FAILED" (static) */
    long long   snapshot_ms;    /* when the job published it (epoch ms); 0 = not yet */
    long long   records_in;     /* source records read */
    long long   changes_out;    /* changes that reached the sink or the caller */
    long long   records_out;    /* records written to the sink's topic */
    long long   skipped;        /* malformed records skipped */
    long long   dead_lettered;  /* of those, copied to a dead-letter topic */
    long long   late;           /* late rows (changed no result) */
    long long   lag;            /* records in the source partitions yet to read, from the last fetch; -1 = not known */
    long long   checkpoints;    /* checkpoints committed */
    long long   last_checkpoint_ms; /* when the last one committed (epoch ms), 0 = none */
    int         broker_up;      /* 0 while the Kafka cluster does not answer */
    long long   broker_down_ms; /* since when it does not (epoch ms), 0 when up */
    char        broker_error[256]; /* what the client last said about it, "" when up */
    double      latency_p50_ms; /* end-to-end latency (record timestamp to the sink's acknowledgement), -1 = no data */
    double      latency_p99_ms;
    long long   sink_errors;    /* errors the sink's Kafka client reported (it retries them) */
    long long   sink_records_retried; /* records the Kafka sink sent again after a failed request */
    long long   sink_retries;   /* database sinks: lost connections retried ('sink.max-retries') */
    int         tasks;          /* a job run as tasks (parallelism above 1): their number, else 0 */
    int         workers;        /* the worker threads running them, else 0 */
} eddy_job_metrics;
/* Fills *out from the job's last snapshot; callable from any thread while
 * the job runs (not while it is freed).  EDDY_OK or EDDY_EMISUSE. */
EDDY_API int eddy_job_get_metrics(eddy_job *j, eddy_job_metrics *out);
/* The job's state, counters and per-operator statistics, as SHOW JOB prints
 * them (EDDY_TEXT) or as the monitor's /jobs gives them (EDDY_JSON); name
 * NULL = the plan's job name.  Callable like eddy_job_get_metrics; the
 * caller frees the text with eddy_free. */
EDDY_API char *eddy_job_describe(eddy_job *j, const char *name, eddy_format f);

typedef struct eddy_monitor eddy_monitor;  /* an HTTP endpoint showing jobs */
/* Serves, on addr ("HOST:PORT"; port 0 picks a free one; NULL =
 * "127.0.0.1:0"): GET /metrics (Prometheus text format), /healthz (200, or
 * 503 with a JSON reason: a job failed or not started, its cluster
 * unreachable, its last checkpoint too old), /jobs (JSON), / (the dashboard page) and
 * /events (the dashboard's server-sent events).  Anything else is a 404 or
 * 405.  EDDY_OK with *out, or EDDY_ERUNTIME with the reason in err (the
 * address is taken, not an address of this host). */
EDDY_API int eddy_monitor_start(const char *addr, eddy_monitor **out, char *err, size_t errlen);
/* Its URL, "http://HOST:PORT/" with the port it listens on. */
EDDY_API const char *eddy_monitor_url(const eddy_monitor *m);
/* Shows job j under name (copied; NULL = the plan's job name), with id (the
 * shell's job number, 0 = none) — from now on until the monitor is freed:
 * when the job is freed, its last snapshot stays (a failed job keeps
 * /healthz at 503).  The dashboard also shows the job's sink table (its last
 * 1000 keys).  A job is added to one monitor at most.  EDDY_OK or
 * EDDY_EMISUSE. */
EDDY_API int eddy_monitor_add_job(eddy_monitor *m, eddy_job *j, const char *name, int id);
/* Stops serving and frees the monitor (NULL-safe).  Call it once its jobs
 * have stopped running (eddy_job_run returned) or were freed: a running
 * job feeds the monitor's copy of its sink table. */
EDDY_API void eddy_monitor_free(eddy_monitor *m);

/* ---- Development tools ----------------------------------------------------
 *
 * For tests, demos and a shell without a cluster: an in-process Kafka
 * broker (librdkafka's mock cluster, on 127.0.0.1, data in memory only), a
 * Schema Registry, and a generator of the reference order events
 * {order_id, user_id, amount, region} that `eddy gen orders` produces.
 * Not for production.  Each handle is used by one thread at a time.
 */
typedef struct eddy_broker eddy_broker;     /* a development Kafka broker */
typedef struct eddy_registry eddy_registry; /* a development Schema Registry */
typedef struct eddy_gen eddy_gen;           /* a generator of order events */

/* Starts a cluster of `brokers` brokers (1 is plenty for development) on
 * 127.0.0.1; a topic created without a partition count gets `partitions`.
 * EDDY_OK with *out (free with eddy_broker_free), or EDDY_ERUNTIME with the
 * reason in err. */
EDDY_API int eddy_broker_start(int brokers, int partitions, eddy_broker **out, char *err, size_t errlen);
/* Its bootstrap address, "127.0.0.1:PORT"; owned by the broker. */
EDDY_API const char *eddy_broker_bootstrap(const eddy_broker *b);
/* Creates a topic (partitions 0 = the broker's default).  EDDY_OK, or
 * EDDY_ERUNTIME (e.g. it exists already). */
EDDY_API int eddy_broker_create_topic(eddy_broker *b, const char *topic, int partitions, char *err, size_t errlen);
/* Queues a record for topic: r->partition (-1: by the key's hash), key,
 * value (NULL: a tombstone), timestamp (0: now) and r->op as the "op"
 * header.  The bytes are copied.  eddy_broker_flush waits for delivery. */
EDDY_API int eddy_broker_produce(eddy_broker *b, const char *topic, const eddy_record *r, char *err, size_t errlen);
/* Waits until every record produced is stored.  EDDY_OK or EDDY_ERUNTIME. */
EDDY_API int eddy_broker_flush(eddy_broker *b, char *err, size_t errlen);
/* Calls fn for every record topic holds now, partition by partition in
 * offset order (r->op from the "op" header, NULL without one — as eddy
 * writes +I; valid during the call).  A
 * topic that does not exist holds nothing.  EDDY_OK, or EDDY_ERUNTIME. */
EDDY_API int eddy_broker_read(eddy_broker *b, const char *topic, void (*fn)(void *ctx, const eddy_record *r), void *ctx,
                              char *err, size_t errlen);
/* Injects a fault into the running broker, for fault tests; clients see it
 * at once and must retry and recover.  command is one line of text:
 * "produce-errors 5 REQUEST_TIMED_OUT" (the next 5 Produce requests fail),
 * "fetch-errors 3 NOT_LEADER_FOR_PARTITION", "request-errors Metadata 2
 * _TRANSPORT", "clear-errors Produce", "down 2" / "up 2" (broker 2 refuses
 * connections, then takes them again; brokers are 1..N or "all"),
 * "rtt all 500" (every answer 500 ms late; 0 ends it), "leader orders 3 2"
 * (broker 2 leads partition 3 of topic orders).  Error names are
 * librdkafka's without RD_KAFKA_RESP_ERR_.  Errors pushed add up and wait
 * for requests to fail, however long that takes, until clear-errors.
 * eddy_broker_fault_doc lists the commands.  EDDY_OK, or EDDY_EMISUSE
 * with err naming what is wrong (unknown command, request or error name,
 * a broker or partition that does not exist, a bad number). */
EDDY_API int eddy_broker_fault(eddy_broker *b, const char *command, char *err, size_t errlen);
/* The commands of eddy_broker_fault, one a line with their arguments and
 * what they do; caller frees with eddy_free. */
EDDY_API char *eddy_broker_fault_doc(void);
/* Stops the broker (NULL-safe); its data is gone. */
EDDY_API void eddy_broker_free(eddy_broker *b);

/* Starts a Schema Registry on 127.0.0.1, keeping its subjects in the file
 * at path (NULL: in memory).  EDDY_OK with *out, or EDDY_ERUNTIME. */
EDDY_API int eddy_registry_start(const char *path, eddy_registry **out, char *err, size_t errlen);
/* The same on 127.0.0.1:port (0: a free port, as eddy_registry_start);
 * EDDY_ERUNTIME when that port is taken, EDDY_EMISUSE when it is no port. */
EDDY_API int eddy_registry_listen(const char *path, int port, eddy_registry **out, char *err, size_t errlen);
/* Its URL, "http://127.0.0.1:PORT"; owned by the registry. */
EDDY_API const char *eddy_registry_url(const eddy_registry *r);
/* Stops the registry (NULL-safe). */
EDDY_API void eddy_registry_free(eddy_registry *r);

/* Regions the generator draws from, at most. */
#define EDDY_GEN_MAX_REGIONS 8

/* A generator of orders into `topic` at `bootstrap`: format "json", or
 * "avro-confluent" with the Schema Registry at `registry` (the schemas are
 * registered under <topic>-key and <topic>-value on the first order).  The
 * same seed gives the same orders; user_id is uniform in 1..users;
 * regions is 1..EDDY_GEN_MAX_REGIONS.  Asks the cluster for the topic at
 * once (5 s at most), so an unreachable broker fails here.  NULL with the
 * reason in err. */
#define EDDY_GEN_DEFAULT_USERS 1000
EDDY_API eddy_gen *eddy_gen_new(const char *bootstrap, const char *topic, const char *format, const char *registry,
                                unsigned long long seed, int users, int regions, char *err, size_t errlen);
/* A generator of the Nexmark benchmark's events into `topic` at
 * `bootstrap`, driven by eddy_gen_run like the orders' (`count` events):
 * persons, auctions and bids in the 1 : 3 : 46 proportion with the
 * benchmark's ids, hot entities, prices, channels, URLs and `extra`
 * padding, one JSON record each as Flink's nexmark Kafka topic holds them —
 * {"event_type": 0|1|2, "person": {…}|null, "auction": {…}|null,
 * "bid": {…}|null, "dateTime": "yyyy-MM-dd HH:mm:ss.SSS"} — with no key and
 * the event's time as the record timestamp.  Event time starts at
 * 2015-07-15T00:00:00Z and advances `event_rate` events per second
 * (0: 10,000, Flink's default; the published runs use 10,000,000),
 * whatever the producing speed.  The same seed gives the same events.
 * NULL with the reason in err. */
EDDY_API eddy_gen *eddy_gen_nexmark_new(const char *bootstrap, const char *topic, unsigned long long seed,
                                        double event_rate, char *err, size_t errlen);
/* Produces orders, `rate` a second (0: as fast as possible; paced by
 * batch on a fixed schedule: every 2 ms the orders due by then, and a
 * generator more than 100 ms behind moves its schedule rather than
 * bursting), until `count` are
 * produced (0: no limit) or *stop becomes non-zero (stop may be NULL);
 * then waits (up to 60 s) for their delivery.  EDDY_OK, or EDDY_ERUNTIME
 * (eddy_gen_errmsg says why; after a failed send the queued orders are
 * dropped, not waited for). */
EDDY_API int eddy_gen_run(eddy_gen *g, double rate, long long count, volatile int *stop);
/* Event time: order i (from 0) gets the record timestamp start_ms + i × step_ms,
 * so a table reading `ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'` sees
 * time pass at a known pace whatever the producing speed.  start_ms 0 = the
 * producer's clock (the default).  Call before eddy_gen_run. */
EDDY_API void eddy_gen_event_time(eddy_gen *g, long long start_ms, long long step_ms);
/* Orders produced so far; callable from another thread during eddy_gen_run. */
EDDY_API long long eddy_gen_produced(const eddy_gen *g);
/* Why the generator failed ("" if it did not). */
EDDY_API const char *eddy_gen_errmsg(const eddy_gen *g);
/* NULL-safe. */
EDDY_API void eddy_gen_free(eddy_gen *g);

/* Documentation of every WITH option and SET key; caller frees with eddy_free. */
EDDY_API char *eddy_options_doc(void);
/* Documentation of the built-in functions, one a line; caller frees with eddy_free. */
EDDY_API char *eddy_functions_doc(void);
/* Frees a string returned by eddy. */
EDDY_API void eddy_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
