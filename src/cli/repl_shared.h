/*
 * repl_shared.h — what the files of the SQL shell share (repl.h is its
 * entry point for main.c).  The shell is split by concern:
 *   repl.c        the session and the statement loop: reading input (the
 *                 terminal, a pipe, \i files), cutting it into statements,
 *                 meta commands, running each statement, repl_main
 *   repl_edit.c   line editing: prompt, keys, history and Tab completion
 *   repl_live.c   live results: a bare SELECT shown as it changes, and the
 *                 notices of running jobs (into its status line)
 *   repl_jobs.c   background jobs: INSERT INTO, SHOW JOBS, STOP JOB
 *   repl_util.c   signals and the wake-up pipe, threads, text widths, string lists
 *   repl_pager.c  text longer than the screen through a pager
 * Everything goes through include/eddy.h; nothing here knows the
 * library's internals.
 *
 * Threads: the main thread owns the engine, the terminal, the job list and
 * the completion cache.  Each INSERT job and a running SELECT have a thread
 * of their own that touches only its job and, for a SELECT, the result
 * under its mutex.  Signal handlers only set flags and write a byte to a
 * wake-up pipe, and every wait of the main thread polls that pipe: Ctrl-C
 * is seen whichever thread the kernel delivers it to.
 */
#ifndef EDDY_REPL_SHARED_H
#define EDDY_REPL_SHARED_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eddy.h"
#include "clock.h"
#include "strbuf.h"

/* Statement results: carry on, stop this input because of an error, leave. */
enum { ST_OK = 0, ST_ERR = 1, ST_QUIT = 2 };

/* ---- repl_util.c: signals, threads, text ---- */

extern volatile sig_atomic_t g_sigint;   /* Ctrl-C: cancel the input or the query */
extern volatile sig_atomic_t g_sigterm;  /* SIGTERM or SIGHUP: leave cleanly */
extern volatile sig_atomic_t g_winch;    /* the terminal was resized */
extern int g_wake[2];                    /* written by handlers and finishing threads */
extern const char *g_ellipsis;           /* "~", or "…" when the terminal speaks UTF-8 */

/* Signal handlers and the wake-up pipe; wake() writes a byte to it,
 * drain_wake() empties it. */
void install_signals(void);
void wake(void);
void drain_wake(void);
/* Threads the shell starts (and librdkafka's, started from them) leave
 * SIGINT, SIGTERM, SIGHUP, SIGWINCH and SIGPIPE to the main thread. */
void block_async_signals(sigset_t *old);
void restore_signals(const sigset_t *old);
/* pthread_create with those signals blocked; 0 or an errno. */
int  spawn(pthread_t *t, void *(*fn)(void *), void *arg);

void   *xrealloc(void *p, size_t size);
/* Trims white space (and, with semi, trailing ';') in place. */
char   *trim(char *s, bool semi);
bool    is_ident_char(int c);
/* Terminal columns taken by UTF-8 text (one per code point). */
int     text_cols(const char *s, size_t n);
/* Appends s (n bytes) as exactly w columns: padded, or cut with an ellipsis. */
void    put_fit(StrBuf *b, const char *s, size_t n, int w, bool right);
/* Appends one line cut to at most w columns, then a newline. */
void    put_line(StrBuf *out, const char *s, size_t n, int w);
void    term_size(int *rows, int *cols);
/* "1,234,567" into buf. */
const char *group_digits(char *buf, size_t cap, int64_t v);

/* A growable list of owned strings. */
typedef struct StrList {
    char **v;             /* the strings */
    int    n;             /* count */
    int    cap;           /* capacity */
} StrList;
void strlist_add(StrList *l, const char *s);
void strlist_free(StrList *l);
bool strlist_has(const StrList *l, const char *s);

/* ---- The session (repl.c) ---- */

typedef struct ReplJob ReplJob;   /* repl_jobs.c */
typedef struct Query Query;       /* repl_live.c */

/* A table as completion knows it. */
typedef struct TableInfo {
    char   *name;         /* table name */
    StrList cols;         /* its column names */
} TableInfo;

typedef struct Repl {
    eddy_engine  *e;             /* the session: catalog and SET values */
    bool          interactive;   /* a terminal: prompts, editing, live views */
    bool          color;         /* colour in messages */
    bool          continue_on_error; /* --continue-on-error */
    bool          had_error;     /* some statement or job failed (exit status 1) */
    bool          out_closed;    /* stdout went away */
    const char   *bootstrap;     /* --bootstrap, EDDY_BOOTSTRAP or the development broker; NULL = none */
    eddy_broker  *broker;        /* the development broker, or NULL */
    eddy_monitor *monitor;       /* --http: the HTTP endpoint showing the jobs, or NULL */
    /* repl_edit.c */
    struct editline *el;         /* line editor (interactive) */
    StrBuf        typeahead;     /* keys typed while a query ran, for the next prompt */
    struct history  *hist;       /* its history */
    char         *histfile;      /* ~/.eddy_history, or NULL without HOME */
    bool          cont;          /* the next prompt continues a statement */
    const char   *pending;       /* the statement typed so far (completion context), or NULL */
    TableInfo    *tables;        /* catalog cache for completion */
    int           ntables;       /* count */
    bool          catalog_dirty; /* refresh before use */
    StrList       set_keys;      /* SET keys (completion) */
    StrList       with_keys;     /* WITH option keys (completion) */
    StrList       funcs;         /* function names (completion) */
    /* repl_jobs.c */
    ReplJob     **jobs;          /* INSERT jobs, in start order */
    int           njobs;         /* count */
    int           next_id;       /* last job id given */
    /* repl_live.c */
    pthread_mutex_t live_mu;     /* guards live */
    Query        *live;          /* the SELECT shown as a table, whose status line takes notices; or NULL */
    /* repl.c */
    StrList       tables_before; /* interactive: table names before the running statement */
    StrList       settings;      /* "'k' = 'v'" lines, as SET shows them */
    StrList       setting_keys;  /* their keys */
    int           depth;         /* nesting of \i and SOURCE */
    bool          in_set;        /* between BEGIN STATEMENT SET; and END; */
    StrBuf        set_sql;       /* the set's INSERTs so far (each checked when typed) */
    int           set_count;     /* their count */
} Repl;

const char *c_err(const Repl *r);
const char *c_dim(const Repl *r);
const char *c_off(const Repl *r);
/* Messages about the session (not results): stdout at the prompt, stderr
 * in scripts, so that a script's stdout holds only its results. */
FILE *info_out(const Repl *r);
void  print_error(Repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The session's table names, in creation order. */
void  table_names(Repl *r, StrList *out);

/* ---- repl_edit.c ---- */

/* The line editor, history and completion words (interactive only). */
void edit_init(Repl *r);
void edit_end(Repl *r);
/* Reads a line at the prompt: the line (without its newline; the caller
 * frees it), or NULL at Ctrl-D, at SIGTERM, or at Ctrl-C (g_sigint set). */
char *edit_gets(Repl *r);
/* Adds a statement to the history and saves the history file. */
void edit_history_add(Repl *r, const char *text);

/* ---- repl_pager.c ---- */

/* SET 'sql-client.display.pager' (default true). */
bool pager_enabled(const Repl *r);
/* Prints text; on a terminal, when it is longer than the screen and the
 * pager is enabled, through the pager ($EDDY_PAGER, $PAGER, `less -FRX`,
 * or the built-in one).  The terminal must be in its normal mode. */
void pager_show(Repl *r, const char *text, size_t len);

/* ---- repl_live.c ---- */

/* Runs statement i of s, a bare SELECT, as a live query until its input
 * ends, LIMIT, Ctrl-C or q.  ST_OK, ST_ERR, or ST_QUIT (stdout closed, or a
 * signal in a script). */
int  live_run(Repl *r, eddy_script *s, int i);
/* A running job's notice: into the live table's status line while one is
 * shown, else "eddy: <msg>" on stderr.  From any thread; ctx is the Repl. */
void live_notice(void *ctx, const char *msg);
void live_print(void *ctx, const char *line, int to_stderr);   /* a background job's print-table line */

/* ---- repl_jobs.c ---- */

/* Starts statement i of s, an INSERT, as a background job; on success the
 * job keeps s (*kept set). */
int  jobs_start(Repl *r, eddy_script *s, int i, bool *kept);
void jobs_show(Repl *r);
/* STOP JOB 'which' (an id or a name). */
int  jobs_stop(Repl *r, const char *which);
/* SHOW JOB 'id or name': the job's state, counters and per-operator statistics. */
int  jobs_describe(Repl *r, const char *which);
/* Reports jobs that ended by themselves since the last look. */
void jobs_poll(Repl *r);
/* Some job's thread ended and nobody has looked yet. */
bool jobs_ended(const Repl *r);
int  jobs_running(const Repl *r);
/* Stops every running job cleanly (each flushes and checkpoints), all at once. */
void jobs_stop_all(Repl *r);
/* Frees the job list (every job stopped). */
void jobs_free(Repl *r);

#endif
