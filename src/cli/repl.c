/*
 * repl.c — the interactive SQL shell: `eddy` with no command.
 *
 * What lives here: reading statements (libedit on a terminal, plain lines
 * from a pipe, whole files for \i and SOURCE), cutting them at the ';' that
 * ends each one (with the SQL tokenizer, so a ';' inside a string or a
 * comment does not count), running each against one session engine,
 * showing a bare SELECT live in one of three result modes, keeping INSERT
 * jobs on background threads (SHOW JOBS, STOP JOB), history in
 * ~/.eddy_history, and Tab completion from the session's catalog.
 * What does not: SQL semantics (engine.c and the compiler), operators
 * (exec.c), Kafka (kafka.c).
 *
 * Threads: the main thread owns the engine, the terminal, the job list and
 * the catalog cache used for completion.  Each INSERT job and a running
 * SELECT have a thread of their own that touches only its Job and, for a
 * SELECT, the result under Query.mu.  Signal handlers only set flags and
 * write a byte to a wake-up pipe, and every wait of the main thread polls
 * that pipe: Ctrl-C is seen whichever thread the kernel delivers it to.
 */
#include "strbuf.h"
#include "repl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "cmd.h"
#include "eddy.h"
#include "exec.h"
#include "func.h"
#include "gen.h"
#include "kafka.h"
#include "lex.h"
#include "parser.h"
#include "plan.h"
#include "state.h"

/* Statement results: carry on, stop this input because of an error, leave. */
enum { ST_OK = 0, ST_ERR = 1, ST_QUIT = 2 };

#define RESULT_MAX_ROWS 100000   /* table mode keeps at most this many rows (oldest dropped first) */
#define CELL_MAX_COLS   40       /* table mode: widest column, in terminal columns */
#define SOURCE_MAX_DEPTH 16      /* \i inside \i … */

/* ------------------------------------------------------------------ */
/* Signals: flags plus a self-pipe that wakes every wait.              */

static volatile sig_atomic_t g_sigint;   /* Ctrl-C: cancel the input or the query */
static volatile sig_atomic_t g_sigterm;  /* SIGTERM or SIGHUP: leave cleanly */
static volatile sig_atomic_t g_winch;    /* the terminal was resized */
static int g_wake[2] = {-1, -1};         /* written by handlers and finishing threads */

static void wake(void)
{
    if (g_wake[1] >= 0) {
        char c = 0;
        ssize_t n = write(g_wake[1], &c, 1);
        (void)n;   /* a full pipe already wakes the reader */
    }
}

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGINT) g_sigint = 1;
    else if (sig == SIGWINCH) g_winch = 1;
    else g_sigterm = 1;
    wake();
    errno = saved;
}

static void drain_wake(void)
{
    char buf[64];
    while (read(g_wake[0], buf, sizeof buf) > 0) {
    }
}

static void install_signals(void)
{
    if (pipe(g_wake) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(g_wake[i], F_SETFL, fcntl(g_wake[i], F_GETFL) | O_NONBLOCK);
            fcntl(g_wake[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: a blocking read returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);    /* a closed stdout is noticed with ferror, and jobs still stop cleanly */
}

/* Threads the shell starts (and librdkafka's, started from them) leave
 * these signals to the main thread. */
static void block_async_signals(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGWINCH);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

static void restore_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t old;
    block_async_signals(&old);
    int rc = pthread_create(t, NULL, fn, arg);
    restore_signals(&old);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) abort();
    return p;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Trims white space (and, with semi, trailing ';') in place. */
static char *trim(char *s, bool semi)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && (isspace((unsigned char)s[n - 1]) || (semi && s[n - 1] == ';'))) s[--n] = 0;
    return s;
}

static bool is_ident_char(int c) { return isalnum(c) || c == '_' || c == '$'; }

/* Terminal columns taken by UTF-8 text (one per code point: good enough
 * for the names and values eddy shows). */
static int text_cols(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static const char *g_ellipsis = "~";   /* "..." when the terminal speaks UTF-8 */

/* Appends s (n bytes) as exactly w columns: padded, or cut with an ellipsis. */
static void put_fit(StrBuf *b, const char *s, size_t n, int w, bool right)
{
    int cols = text_cols(s, n);
    if (cols <= w) {
        if (right)
            for (int i = cols; i < w; i++) sb_putc(b, ' ');
        sb_putn(b, s, n);
        if (!right)
            for (int i = cols; i < w; i++) sb_putc(b, ' ');
        return;
    }
    if (w <= 0) return;
    size_t i = 0;
    int c = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == w - 1) break;
            c++;
        }
        i++;
    }
    sb_putn(b, s, i);
    sb_puts(b, g_ellipsis);
}

/* Appends one line cut to at most w columns, then a newline. */
static void put_line(StrBuf *out, const char *s, size_t n, int w)
{
    if (text_cols(s, n) <= w) sb_putn(out, s, n);
    else put_fit(out, s, n, w, false);
    sb_putc(out, '\n');
}

static void term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* "1,234,567" */
static const char *group_digits(char *buf, size_t cap, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0 && o + 1 < cap) buf[o++] = '-';
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

/* A growable list of owned strings. */
typedef struct StrList {
    char **v;             /* the strings */
    int    n;             /* count */
    int    cap;           /* capacity */
} StrList;

static void sl_add(StrList *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    l->v[l->n++] = str_dup(s);
}

static void sl_free(StrList *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool sl_has(const StrList *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}

/* Splits text into lines (without the newlines) and adds them. */
static void sl_add_lines(StrList *l, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        char *line = strndup(text, n);
        if (!line) abort();
        sl_add(l, line);
        free(line);
        text += n + (nl != NULL);
    }
}

/* ------------------------------------------------------------------ */
/* The session                                                          */

typedef enum ResultMode {
    RM_TABLE,             /* a table refreshed in place (terminal only) */
    RM_CHANGELOG,         /* +I[…] lines, one per change (also every pipe) */
    RM_TABLEAU,           /* rows in a grid as they arrive, with the op column */
} ResultMode;

typedef enum JobState { JS_RUNNING, JS_STOPPING, JS_FINISHED, JS_FAILED, JS_STOPPED } JobState;

static const char *const job_state_names[] = {"RUNNING", "STOPPING", "FINISHED", "FAILED", "STOPPED"};

typedef struct ReplJob {
    int            id;          /* what SHOW JOBS shows and STOP JOB takes */
    char          *name;        /* the plan's job name (pipeline.name or the sink table) */
    eddy_script   *script;      /* owns the plan the job runs */
    Job           *job;         /* the executor's job */
    char          *bootstrap;   /* for job_run_kafka; NULL = the plan's own setting */
    char          *state_path;  /* its state file, or NULL (no state kept) */
    pthread_t      tid;         /* its thread */
    volatile sig_atomic_t stop; /* set to stop it: it flushes, checkpoints and returns */
    int            done;        /* set (atomically) by the thread once job_run_kafka returned */
    int            rc;          /* job_run_kafka's result (valid once done) */
    JobState       state;       /* as SHOW JOBS shows it */
    bool           joined;      /* the thread was joined */
    bool           reported;    /* the user was told how it ended */
    int            lag_ok;      /* set (atomically) by the thread: start_sum is known */
    int64_t        start_sum;   /* sum over source partitions of the offset the job started at */
    time_t         started;     /* wall-clock start */
    int64_t        final_in;    /* once joined: records read (the Job itself is freed then) */
    int64_t        final_out;   /* once joined: records written */
    char          *error;       /* once joined: why it failed, or NULL */
} ReplJob;

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
    kafka_broker *broker;        /* the development broker, or NULL */
    EditLine     *el;            /* line editor (interactive) */
    History      *hist;          /* its history */
    char         *histfile;      /* ~/.eddy_history, or NULL without HOME */
    bool          cont;          /* the next prompt continues a statement */
    const char   *pending;       /* the statement typed so far (completion context), or NULL */
    ReplJob     **jobs;          /* INSERT jobs, in start order */
    int           njobs;         /* count */
    int           next_id;       /* last job id given */
    TableInfo    *tables;        /* catalog cache for completion */
    int           ntables;       /* count */
    bool          catalog_dirty; /* refresh before use */
    StrList       tables_before; /* interactive: table names before the running statement */
    StrList       settings;      /* "'k' = 'v'" lines, as SET shows them */
    StrList       set_keys;      /* SET keys (completion) */
    StrList       with_keys;     /* WITH option keys (completion) */
    StrList       funcs;         /* function names (completion) */
    int           depth;         /* nesting of \i and SOURCE */
} Repl;

/* One source of statements: the terminal, stdin, or a file. */
typedef struct Input {
    const char *name;     /* in messages: "<stdin>", the file name */
    bool        typed;    /* typed at the prompt: history, per-statement line numbers */
    int         lineno;   /* lines read so far */
    StrBuf      buf;      /* the statement being collected */
    int         buf_line; /* line number of its first line */
} Input;

static const char *c_err(const Repl *r) { return r->color ? "\033[1;31m" : ""; }
static const char *c_dim(const Repl *r) { return r->color ? "\033[2m" : ""; }
static const char *c_off(const Repl *r) { return r->color ? "\033[0m" : ""; }

/* Messages about the session (not results): stdout at the prompt, stderr
 * in scripts, so that a script's stdout holds only its results. */
static FILE *info_out(const Repl *r) { return r->interactive ? stdout : stderr; }

static void print_error(Repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void print_error(Repl *r, const char *fmt, ...)
{
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%serror:%s ", c_err(r), c_off(r));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Output of a statement the engine answers at once ("SHOW TABLES;", …). */
static char *engine_output(Repl *r, const char *sql)
{
    eddy_script *s;
    if (eddy_compile(r->e, sql, strlen(sql), "<eddy>", &s)) return NULL;
    const char *o = eddy_script_output(s, 0);
    char *res = str_dup(o);
    eddy_script_free(s);
    return res;
}

/* ------------------------------------------------------------------ */
/* Catalog cache (completion, and naming what DDL did)                  */

static void catalog_clear(Repl *r)
{
    for (int i = 0; i < r->ntables; i++) {
        free(r->tables[i].name);
        sl_free(&r->tables[i].cols);
    }
    free(r->tables);
    r->tables = NULL;
    r->ntables = 0;
}

/* Column names from DESCRIBE's output: the first column of each row; its
 * width is where the header's "type" starts, less the two-space gap. */
static void parse_describe(const char *out, StrList *cols)
{
    const char *nl = strchr(out, '\n');
    const char *ty = strstr(out, "type");
    if (!nl || !ty || ty > nl || ty - out < 2) return;
    size_t w = (size_t)(ty - out) - 2;
    for (const char *line = nl + 1; *line; ) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n >= 2 && line[0] == '-' && line[1] == '-') break;
        size_t k = n < w ? n : w;
        while (k && line[k - 1] == ' ') k--;
        if (k) {
            char *name = strndup(line, k);
            if (!name) abort();
            sl_add(cols, name);
            free(name);
        }
        if (!end) break;
        line = end + 1;
    }
}

static void catalog_refresh(Repl *r)
{
    catalog_clear(r);
    r->catalog_dirty = false;
    char *names = engine_output(r, "SHOW TABLES;");
    if (!names) return;
    StrList l = {0};
    sl_add_lines(&l, names);
    free(names);
    r->tables = xcalloc((size_t)l.n, sizeof *r->tables);
    for (int i = 0; i < l.n; i++) {
        TableInfo *t = &r->tables[r->ntables++];
        t->name = str_dup(l.v[i]);
        StrBuf q = {0};
        sb_puts(&q, "DESCRIBE `");
        for (const char *p = l.v[i]; *p; p++) {
            if (*p == '`') sb_putc(&q, '`');
            sb_putc(&q, *p);
        }
        sb_puts(&q, "`;");
        char *d = engine_output(r, q.s);
        if (d) parse_describe(d, &t->cols);
        free(d);
        sb_free(&q);
    }
    sl_free(&l);
}

static void settings_refresh(Repl *r, StrList *out)
{
    char *s = engine_output(r, "SET;");
    sl_add_lines(out, s);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Kafka settings of a plan                                             */

static const PlanNode *plan_source(const Plan *p)
{
    for (int i = 0; i < p->nnodes; i++)
        if (p->nodes[i]->kind == PLAN_SOURCE) return p->nodes[i];
    return NULL;
}

/* The broker a job should use: the session's SET 'properties.bootstrap.servers'
 * (or the source table's) wins, as the most recent word; else the shell's. */
static const char *plan_bootstrap(const Repl *r, const Plan *p)
{
    for (int i = 0; i < p->nsettings; i++)
        if (strcmp(p->settings[i].key, "properties.bootstrap.servers") == 0) return NULL;
    const PlanNode *src = plan_source(p);
    for (int i = 0; src && i < src->table->conn.nprops; i++)
        if (strcmp(src->table->conn.props[i].key, "bootstrap.servers") == 0) return NULL;
    return r->bootstrap;
}

/* librdkafka properties as the job's source gets them (session, then table). */
static const char **plan_kafka_props(const Plan *p, const PlanTable *t)
{
    const char **props = xcalloc((size_t)(2 * (p->nsettings + t->conn.nprops) + 1), sizeof *props);
    int n = 0;
    for (int i = 0; i < p->nsettings; i++)
        if (strncmp(p->settings[i].key, "properties.", 11) == 0) {
            props[n++] = p->settings[i].key + 11;
            props[n++] = p->settings[i].value;
        }
    for (int i = 0; i < t->conn.nprops; i++) {
        props[n++] = t->conn.props[i].key;
        props[n++] = t->conn.props[i].value;
    }
    props[n] = NULL;
    return props;
}

static kafka_consumer *plan_consumer(const Plan *p, const char *bootstrap, const PlanTable *t)
{
    const char **props = plan_kafka_props(p, t);
    char err[256];
    sigset_t old;
    block_async_signals(&old);
    kafka_consumer *c = kafka_consumer_new(bootstrap, props, err, sizeof err);
    restore_signals(&old);
    free(props);
    return c;
}

/* Sum of the partitions' high watermarks; -1 when the broker cannot say. */
static int64_t topic_end_sum(kafka_consumer *c, const char *topic)
{
    char err[256];
    int n = 0;
    if (kafka_partition_count(c, topic, 1000, &n, err, sizeof err) || n <= 0) return -1;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        int64_t lo, hi;
        if (kafka_watermarks(c, topic, i, &lo, &hi, 1000, err, sizeof err)) return -1;
        sum += hi;
    }
    return sum;
}

/* ------------------------------------------------------------------ */
/* Background jobs (INSERT INTO)                                        */

/* Where the job starts reading, so that SHOW JOBS can tell its lag:
 * lag = Σ high watermark − Σ start offset − records read. */
static void job_lag_start(ReplJob *rj)
{
    const Plan *p = rj->job->plan;
    const PlanTable *t = rj->job->ops[0].node->table;
    const char *topic = t->conn.topic;
    kafka_consumer *c = plan_consumer(p, rj->bootstrap, t);
    if (!c) return;
    char err[256];
    int n = 0;
    int64_t sum = 0;
    bool ok = true;
    if (kafka_partition_count(c, topic, 2000, &n, err, sizeof err) || n <= 0) {
        /* Not there yet: a topic created later starts at offset 0. */
        ok = t->conn.startup == START_EARLIEST && !(rj->job->state && state_has_offsets(rj->job->state, topic));
    } else {
        for (int i = 0; i < n && ok; i++) {
            int64_t lo, hi, off;
            if (rj->job->state && state_get_offset(rj->job->state, topic, i, &off) == 0) {
                sum += off;
                continue;
            }
            if (kafka_watermarks(c, topic, i, &lo, &hi, 2000, err, sizeof err)) ok = false;
            else if (t->conn.startup == START_EARLIEST) sum += lo;
            else if (t->conn.startup == START_LATEST) sum += hi;
            else ok = false;
        }
    }
    kafka_consumer_free(c);
    if (ok) {
        rj->start_sum = sum;
        __atomic_store_n(&rj->lag_ok, 1, __ATOMIC_RELEASE);
    }
}

static void *job_thread(void *arg)
{
    ReplJob *rj = arg;
    job_lag_start(rj);
    rj->rc = job_run_kafka(rj->job, rj->bootstrap, &rj->stop);
    __atomic_store_n(&rj->done, 1, __ATOMIC_RELEASE);
    wake();
    return NULL;
}

static void job_free_all(ReplJob *rj)
{
    job_free(rj->job);
    eddy_script_free(rj->script);
    free(rj->error);
    free(rj->name);
    free(rj->bootstrap);
    free(rj->state_path);
    free(rj);
}

static void job_counts(const ReplJob *rj, int64_t *in, int64_t *out)
{
    if (!rj->job) {
        *in = rj->final_in;
        *out = rj->final_out;
        return;
    }
    /* Written by the job's thread; a relaxed read of a counter is enough here. */
    *in = __atomic_load_n(&rj->job->stats.records_in, __ATOMIC_RELAXED);
    *out = __atomic_load_n(&rj->job->stats.records_out, __ATOMIC_RELAXED);
}

/* Joins a job whose thread ended and says how it ended (once). */
static void job_finish(Repl *r, ReplJob *rj)
{
    if (!rj->joined) {
        pthread_join(rj->tid, NULL);
        rj->joined = true;
        rj->state = rj->rc ? JS_FAILED : rj->stop ? JS_STOPPED : JS_FINISHED;
        /* Keep what SHOW JOBS needs; free the rest now (the state file is
         * closed, so a new job may use it). */
        rj->final_in = rj->job->stats.records_in;
        rj->final_out = rj->job->stats.records_out;
        if (rj->rc) rj->error = str_dup(rj->job->err[0] ? rj->job->err : "unknown reason");
        job_free(rj->job);
        rj->job = NULL;
        eddy_script_free(rj->script);
        rj->script = NULL;
    }
    if (rj->reported) return;
    rj->reported = true;
    int64_t in, out;
    job_counts(rj, &in, &out);
    char a[32], b[32];
    if (rj->state == JS_FAILED) {
        r->had_error = true;
        print_error(r, "job %d '%s' failed: %s", rj->id, rj->name, rj->error);
        return;
    }
    fprintf(info_out(r), "%sJob %d '%s' %s: %s records in, %s records out%s%s.\n", r->interactive ? "" : "eddy: ", rj->id,
            rj->name, rj->state == JS_STOPPED ? "stopped" : "finished", group_digits(a, sizeof a, in),
            group_digits(b, sizeof b, out), rj->state_path ? "; final checkpoint in " : "", rj->state_path ? rj->state_path : "");
    fflush(info_out(r));
}

/* Reports jobs that ended by themselves since the last look. */
static void jobs_poll(Repl *r)
{
    for (int i = 0; i < r->njobs; i++) {
        ReplJob *rj = r->jobs[i];
        if (!rj->joined && __atomic_load_n(&rj->done, __ATOMIC_ACQUIRE)) job_finish(r, rj);
    }
}

/* Some job's thread ended and nobody has looked yet. */
static bool jobs_ended(const Repl *r)
{
    for (int i = 0; i < r->njobs; i++)
        if (!r->jobs[i]->joined && __atomic_load_n(&r->jobs[i]->done, __ATOMIC_ACQUIRE)) return true;
    return false;
}

static int jobs_running(const Repl *r)
{
    int n = 0;
    for (int i = 0; i < r->njobs; i++) n += !r->jobs[i]->joined;
    return n;
}

/* Stops every running job cleanly (each flushes and checkpoints), all at once. */
static void jobs_stop_all(Repl *r)
{
    int n = 0;
    for (int i = 0; i < r->njobs; i++)
        if (!r->jobs[i]->joined) {
            r->jobs[i]->stop = 1;
            if (r->jobs[i]->state == JS_RUNNING) r->jobs[i]->state = JS_STOPPING;
            n++;
        }
    if (n && r->interactive) {
        printf("Stopping %d running job%s (flush and final checkpoint)...\n", n, n == 1 ? "" : "s");
        fflush(stdout);
    }
    for (int i = 0; i < r->njobs; i++)
        if (!r->jobs[i]->joined) job_finish(r, r->jobs[i]);
}

static int start_job(Repl *r, eddy_script *s, int i, bool *kept)
{
    const Plan *p = (const Plan *)eddy_script_plan(s, i);
    char err[1024];
    Job *j = job_new(p, err, sizeof err);
    if (!j) {
        print_error(r, "%s", err);
        return ST_ERR;
    }
    ReplJob *rj = xcalloc(1, sizeof *rj);
    rj->job = j;
    /* Jobs of the shell keep no state unless SET 'state.path' names a file. */
    const char *path = p->config.state_path;
    if (path && strcmp(path, "none") != 0) {
        if (job_open_state(j, path, false, err, sizeof err)) {
            print_error(r, "%s", err);
            job_free_all(rj);
            return ST_ERR;
        }
        rj->state_path = str_dup(path);
        if (job_resumed(j))
            fprintf(info_out(r), "%sJob '%s' resumes from %s (%lld state rows loaded).\n", r->interactive ? "" : "eddy: ",
                    p->name, path, (long long)j->stats.restored_keys);
    }
    rj->id = ++r->next_id;
    rj->name = str_dup(p->name);
    rj->script = s;
    const char *bs = plan_bootstrap(r, p);
    rj->bootstrap = bs ? str_dup(bs) : NULL;
    rj->started = time(NULL);
    if (spawn(&rj->tid, job_thread, rj)) {
        print_error(r, "cannot start a thread for the job");
        rj->script = NULL;
        job_free_all(rj);
        return ST_ERR;
    }
    *kept = true;
    r->jobs = xrealloc(r->jobs, sizeof *r->jobs * (size_t)(r->njobs + 1));
    r->jobs[r->njobs++] = rj;
    if (r->interactive)
        printf("Started job %d '%s'. SHOW JOBS lists it; STOP JOB '%d' stops it.\n", rj->id, rj->name, rj->id);
    else
        fprintf(stderr, "eddy: started job %d '%s'\n", rj->id, rj->name);
    return ST_OK;
}

static void show_jobs(Repl *r)
{
    jobs_poll(r);
    if (!r->njobs && r->interactive) {
        puts("No jobs. INSERT INTO ... SELECT ... starts one.");
        return;
    }
    int wname = 4;
    for (int i = 0; i < r->njobs; i++) {
        int w = text_cols(r->jobs[i]->name, strlen(r->jobs[i]->name));
        if (w > wname) wname = w;
    }
    printf("%-4s %-*s %-9s %12s %12s %10s  %s\n", "id", wname, "name", "state", "records_in", "records_out", "lag", "started");
    for (int i = 0; i < r->njobs; i++) {
        ReplJob *rj = r->jobs[i];
        int64_t in, out;
        job_counts(rj, &in, &out);
        char lag[32] = "-";
        if (rj->state == JS_RUNNING && __atomic_load_n(&rj->lag_ok, __ATOMIC_ACQUIRE)) {
            const PlanTable *t = rj->job->ops[0].node->table;
            kafka_consumer *c = plan_consumer(rj->job->plan, rj->bootstrap, t);
            int64_t end = c ? topic_end_sum(c, t->conn.topic) : -1;
            kafka_consumer_free(c);
            job_counts(rj, &in, &out);
            if (end >= 0) {
                int64_t l = end - rj->start_sum - in;
                snprintf(lag, sizeof lag, "%lld", (long long)(l < 0 ? 0 : l));
            }
        }
        char when[16];
        struct tm tm;
        localtime_r(&rj->started, &tm);
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        printf("%-4d %-*s %-9s %12lld %12lld %10s  %s\n", rj->id, wname, rj->name, job_state_names[rj->state], (long long)in,
               (long long)out, lag, when);
    }
}

static int stop_job(Repl *r, const char *which)
{
    jobs_poll(r);
    /* By id, or by name: the running job of that name (else the last one). */
    ReplJob *running = NULL, *last = NULL;
    int nrunning = 0;
    char *end;
    long id = strtol(which, &end, 10);
    for (int i = 0; i < r->njobs; i++) {
        ReplJob *rj = r->jobs[i];
        if (!((*which && !*end && rj->id == id) || strcmp(rj->name, which) == 0)) continue;
        last = rj;
        if (!rj->joined) {
            running = rj;
            nrunning++;
        }
    }
    if (nrunning > 1) {
        print_error(r, "%d running jobs are called '%s'; stop one by its id (SHOW JOBS lists them)", nrunning, which);
        return ST_ERR;
    }
    ReplJob *found = running ? running : last;
    if (!found) {
        print_error(r, "no job '%s' (SHOW JOBS lists the jobs)", which);
        return ST_ERR;
    }
    if (found->joined) {
        fprintf(info_out(r), "%sJob %d '%s' is already %s.\n", r->interactive ? "" : "eddy: ", found->id, found->name,
                job_state_names[found->state]);
        return ST_OK;
    }
    found->stop = 1;
    found->state = JS_STOPPING;
    if (r->interactive) {
        printf("Stopping job %d '%s' (flush and final checkpoint)...\n", found->id, found->name);
        fflush(stdout);
    }
    job_finish(r, found);
    return found->state == JS_FAILED ? ST_ERR : ST_OK;
}

/* ------------------------------------------------------------------ */
/* A bare SELECT: a live continuous query                               */

typedef struct ResRow {
    char  *key;           /* identity: the unique key's values, or the whole row */
    char **cells;         /* printed values */
    bool   live;          /* false once deleted (compacted away later) */
} ResRow;

typedef struct Query {
    Repl            *r;       /* the session */
    ResultMode       mode;    /* how rows are shown */
    const PlanNode  *root;    /* the Collect node: columns and unique key */
    int              ncols;   /* result width */
    bool            *right;   /* per column: right-aligned (numbers) */
    int             *widths;  /* tableau: per column width */
    int64_t          limit;   /* LIMIT, or -1 */
    Job             *job;     /* the query's job */
    const char      *bootstrap; /* for job_run_kafka */
    volatile sig_atomic_t stop; /* set to end the query */
    int              done;    /* set (atomically) when job_run_kafka returned */
    int              rc;      /* its result */
    pthread_mutex_t  mu;      /* guards everything below, and stdout while the query runs */
    int64_t          nchanges;/* changes received (what LIMIT counts) */
    bool             limit_hit; /* LIMIT reached */
    bool             keyed;   /* table mode: rows identified by the query's unique key */
    bool             multiset;/* table mode: updating without a key: rows identified by all values */
    ResRow          *rows;    /* table mode: the result, in arrival order */
    int              nrows;   /* used entries (live or not) */
    int              caprows; /* capacity */
    int              nlive;   /* live rows */
    int              first_live; /* no live row before this index */
    int             *slots;   /* hash of keys: row index + 1, 0 = empty */
    int              nslots;  /* power of two */
    int              nused;   /* occupied slots */
    bool             dirty;   /* changed since the last draw */
    int              drawn;   /* lines the last draw left on the screen */
    int64_t          t0;      /* start time (ms) */
    char             note[160]; /* table mode: the latest message the job wrote to stderr */
} Query;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void row_clear(ResRow *row, int ncols)
{
    for (int c = 0; c < ncols; c++) free(row->cells[c]);
    free(row->cells);
    free(row->key);
    row->cells = NULL;
    row->key = NULL;
    row->live = false;
}

/* Drops deleted rows (keeping order) and rebuilds the key hash. */
static void table_rehash(Query *q)
{
    int n = 0;
    for (int i = 0; i < q->nrows; i++) {
        if (q->rows[i].live) q->rows[n++] = q->rows[i];
        else row_clear(&q->rows[i], q->ncols);
    }
    q->nrows = n;
    q->first_live = 0;
    if (!q->keyed && !q->multiset) return;
    int want = 64;
    while (want < 4 * (n + 1)) want *= 2;
    free(q->slots);
    q->slots = xcalloc((size_t)want, sizeof *q->slots);
    q->nslots = want;
    q->nused = 0;
    for (int i = 0; i < n; i++) {
        size_t m = (size_t)want - 1, h = (size_t)hash_str(q->rows[i].key) & m;
        while (q->slots[h]) h = (h + 1) & m;
        q->slots[h] = i + 1;
        q->nused++;
    }
}

static int table_find(const Query *q, const char *key)
{
    if (!q->nslots) return -1;
    size_t m = (size_t)q->nslots - 1, h = (size_t)hash_str(key) & m;
    for (; q->slots[h]; h = (h + 1) & m) {
        const ResRow *row = &q->rows[q->slots[h] - 1];
        if (row->live && strcmp(row->key, key) == 0) return q->slots[h] - 1;
    }
    return -1;
}

static void table_kill(Query *q, int i)
{
    row_clear(&q->rows[i], q->ncols);
    q->nlive--;
    int dead = q->nrows - q->nlive;
    if (dead > 1024 && dead > q->nlive) table_rehash(q);
}

static void table_append(Query *q, char *key, char **cells)
{
    if ((q->keyed || q->multiset) && 2 * (q->nused + 1) > q->nslots) table_rehash(q);
    if (q->nrows == q->caprows) {
        q->caprows = q->caprows ? 2 * q->caprows : 64;
        q->rows = xrealloc(q->rows, sizeof *q->rows * (size_t)q->caprows);
    }
    int i = q->nrows++;
    q->rows[i] = (ResRow){key, cells, true};
    q->nlive++;
    if (q->keyed || q->multiset) {
        size_t m = (size_t)q->nslots - 1, h = (size_t)hash_str(key) & m;
        while (q->slots[h]) h = (h + 1) & m;
        q->slots[h] = i + 1;
        q->nused++;
    }
    while (q->nlive > RESULT_MAX_ROWS) {
        while (!q->rows[q->first_live].live) q->first_live++;
        table_kill(q, q->first_live);
    }
}

/* Applies one change to the materialised result (table mode). */
static void table_apply(Query *q, RowKind k, char *key, char **cells)
{
    bool add = rowkind_is_add(k);
    if (q->keyed) {
        int at = table_find(q, key);
        if (k == RK_UPDATE_BEFORE || (k == RK_DELETE && at < 0)) goto drop;   /* the +U that follows replaces it */
        if (k == RK_DELETE) {
            table_kill(q, at);
            goto drop;
        }
        if (at >= 0) {
            ResRow *row = &q->rows[at];
            for (int c = 0; c < q->ncols; c++) free(row->cells[c]);
            free(row->cells);
            row->cells = cells;
            free(key);
            return;
        }
        table_append(q, key, cells);
        return;
    }
    if (add) {
        table_append(q, key, cells);
        return;
    }
    int at = table_find(q, key);
    if (at >= 0) table_kill(q, at);
drop:
    for (int c = 0; c < q->ncols; c++) free(cells[c]);
    free(cells);
    free(key);
}

static void table_draw(Query *q, const char *status)
{
    int trows, tcols;
    term_size(&trows, &tcols);
    int maxrows = trows - 4;
    if (maxrows < 1) maxrows = 1;
    int shown = q->nlive < maxrows ? q->nlive : maxrows;
    if (shown < q->nlive && shown > 1) shown--;   /* room for "... more rows" */
    const PlanCol *cols = q->root->cols;
    int *w = xcalloc((size_t)q->ncols, sizeof *w);
    for (int c = 0; c < q->ncols; c++) w[c] = text_cols(cols[c].name, strlen(cols[c].name));
    int seen = 0;
    for (int i = q->first_live; i < q->nrows && seen < shown; i++) {
        if (!q->rows[i].live) continue;
        seen++;
        for (int c = 0; c < q->ncols; c++) {
            int cw = text_cols(q->rows[i].cells[c], strlen(q->rows[i].cells[c]));
            if (cw > w[c]) w[c] = cw;
        }
    }
    for (int c = 0; c < q->ncols; c++)
        if (w[c] > CELL_MAX_COLS) w[c] = CELL_MAX_COLS;
    StrBuf out = {0}, line = {0};
    int nlines = 0;
    if (q->drawn) sb_printf(&out, "\r\033[%dA\033[J", q->drawn);
    for (int c = 0; c < q->ncols; c++) {
        sb_puts(&line, c ? " | " : " ");
        put_fit(&line, cols[c].name, strlen(cols[c].name), w[c], q->right[c]);
    }
    put_line(&out, line.s, line.len, tcols - 1);
    nlines++;
    line.len = 0;
    for (int c = 0; c < q->ncols; c++) {
        sb_puts(&line, c ? "-+-" : "-");
        for (int k = 0; k < w[c]; k++) sb_putc(&line, '-');
    }
    sb_putc(&line, '-');
    put_line(&out, line.s, line.len, tcols - 1);
    nlines++;
    seen = 0;
    for (int i = q->first_live; i < q->nrows && seen < shown; i++) {
        if (!q->rows[i].live) continue;
        seen++;
        line.len = 0;
        for (int c = 0; c < q->ncols; c++) {
            sb_puts(&line, c ? " | " : " ");
            put_fit(&line, q->rows[i].cells[c], strlen(q->rows[i].cells[c]), w[c], q->right[c]);
        }
        put_line(&out, line.s, line.len, tcols - 1);
        nlines++;
    }
    line.len = 0;
    char a[32], b[32];
    if (shown < q->nlive) sb_printf(&line, "(%s more rows not shown) ", group_digits(a, sizeof a, q->nlive - shown));
    sb_printf(&line, "(%s row%s, %s change%s, %.1f s%s%s)%s%s", group_digits(a, sizeof a, q->nlive),
              q->nlive == 1 ? "" : "s", group_digits(b, sizeof b, q->nchanges), q->nchanges == 1 ? "" : "s",
              (double)(mono_ms() - q->t0) / 1000.0, status ? "; " : "", status ? status : "", q->note[0] ? " " : "", q->note);
    sb_puts(&out, c_dim(q->r));   /* cut first, then colour: the cut must not drop the colour's end */
    if (text_cols(line.s, line.len) <= tcols - 1) sb_putn(&out, line.s, line.len);
    else put_fit(&out, line.s, line.len, tcols - 1, false);
    sb_puts(&out, c_off(q->r));
    sb_putc(&out, '\n');
    nlines++;
    fputs(out.s, stdout);
    fflush(stdout);
    q->drawn = nlines;
    q->dirty = false;
    sb_free(&out);
    sb_free(&line);
    free(w);
}

/* Tableau column widths, Flink-like: wide enough for the type's values. */
static int type_width(Type t)
{
    switch ((TypeKind)t.kind) {
    case TY_BOOLEAN: return 5;
    case TY_TINYINT: return 4;
    case TY_SMALLINT: return 6;
    case TY_INT: return 11;
    case TY_BIGINT: return 20;
    case TY_FLOAT:
    case TY_DOUBLE: return 14;
    case TY_DECIMAL: return t.precision + 2;
    case TY_DATE: return 10;
    case TY_TIMESTAMP:
    case TY_TIMESTAMP_LTZ: return 20 + t.precision;
    case TY_STRING:
    case TY_BYTES: return t.len > 0 && t.len < 30 ? t.len : 20;
    default: return 10;
    }
}

static void tableau_rule(Query *q, StrBuf *b)
{
    sb_puts(b, "+----+");
    for (int c = 0; c < q->ncols; c++) {
        for (int k = 0; k < q->widths[c] + 2; k++) sb_putc(b, '-');
        sb_putc(b, '+');
    }
    sb_putc(b, '\n');
}

static void tableau_header(Query *q)
{
    StrBuf b = {0};
    tableau_rule(q, &b);
    sb_puts(&b, "| op |");
    for (int c = 0; c < q->ncols; c++) {
        sb_putc(&b, ' ');
        put_fit(&b, q->root->cols[c].name, strlen(q->root->cols[c].name), q->widths[c], q->right[c]);
        sb_puts(&b, " |");
    }
    sb_putc(&b, '\n');
    tableau_rule(q, &b);
    fputs(b.s, stdout);
    fflush(stdout);
    sb_free(&b);
}

/* Printed values, with control characters made harmless for a terminal. */
static char **row_cells(const Value *row, const PlanCol *cols, int ncols, bool sanitize)
{
    char **cells = xcalloc((size_t)ncols, sizeof *cells);
    StrBuf b = {0};
    for (int c = 0; c < ncols; c++) {
        b.len = 0;
        value_print(&b, cols[c].type, &row[c]);
        sb_putc(&b, 0);
        if (sanitize)
            for (size_t i = 0; i < b.len; i++)
                if ((unsigned char)b.s[i] < 0x20 && b.s[i] != 0) b.s[i] = ' ';
        cells[c] = str_dup(b.s);
        if (b.s[0] == 0) cells[c][0] = 0;
    }
    sb_free(&b);
    return cells;
}

/* Identity of a row in the materialised result. */
static char *row_key(const Query *q, const Value *row, char **cells)
{
    StrBuf k = {0};
    if (q->keyed) {
        for (int i = 0; i < q->root->nkey; i++) {
            int c = q->root->key[i];
            sb_putc(&k, row[c].null ? '\1' : '\2');
            sb_puts(&k, cells[c]);
            sb_putc(&k, '\x1f');
        }
    } else if (q->multiset) {
        for (int c = 0; c < q->ncols; c++) {
            sb_putc(&k, row[c].null ? '\1' : '\2');
            sb_puts(&k, cells[c]);
            sb_putc(&k, '\x1f');
        }
    }
    return sb_take(&k);
}

/* Called on the query's thread for each change of the result. */
static void query_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols)
{
    Query *q = ctx;
    pthread_mutex_lock(&q->mu);
    if (q->limit >= 0 && q->nchanges >= q->limit) {
        q->stop = 1;
        pthread_mutex_unlock(&q->mu);
        return;
    }
    q->nchanges++;
    if (q->mode == RM_CHANGELOG) {
        cmd_print_row(stdout, k, row, cols, ncols);
    } else if (q->mode == RM_TABLEAU) {
        char **cells = row_cells(row, cols, ncols, true);
        StrBuf b = {0};
        sb_printf(&b, "| %s |", rowkind_str(k));
        for (int c = 0; c < ncols; c++) {
            sb_putc(&b, ' ');
            put_fit(&b, cells[c], strlen(cells[c]), q->widths[c], q->right[c]);
            sb_puts(&b, " |");
            free(cells[c]);
        }
        free(cells);
        sb_putc(&b, '\n');
        fputs(b.s, stdout);
        sb_free(&b);
    } else {
        char **cells = row_cells(row, cols, ncols, true);
        table_apply(q, k, row_key(q, row, cells), cells);
        q->dirty = true;
        q->note[0] = 0;   /* rows flow: whatever the job was waiting for has come */
    }
    if (q->limit >= 0 && q->nchanges >= q->limit) {
        q->limit_hit = true;
        q->stop = 1;
    }
    pthread_mutex_unlock(&q->mu);
}

static void *query_thread(void *arg)
{
    Query *q = arg;
    q->rc = job_run_kafka(q->job, q->bootstrap, &q->stop);
    __atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
    wake();
    return NULL;
}

/* Reads what is waiting in the captured stderr; true if anything came. */
static bool capture_stderr(int fd, StrBuf *into)
{
    bool got = false;
    char buf[1024];
    ssize_t k;
    while (fd >= 0 && (k = read(fd, buf, sizeof buf)) > 0) {
        sb_putn(into, buf, (size_t)k);
        got = true;
    }
    return got;
}

/* The last non-empty line of text, without "eddy: ", for the status line. */
static void last_line(const StrBuf *text, char *out, size_t cap)
{
    size_t end = text->len;
    while (end && (text->s[end - 1] == '\n' || text->s[end - 1] == '\r')) end--;
    size_t start = end;
    while (start && text->s[start - 1] != '\n') start--;
    if (end - start > 6 && strncmp(text->s + start, "eddy: ", 6) == 0) start += 6;
    snprintf(out, cap, "%.*s", (int)(end - start), text->s + start);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
}

static ResultMode result_mode(const Repl *r, const Job *j)
{
    switch (j->plan->config.result_mode) {
    case RESULT_MODE_TABLEAU: return RM_TABLEAU;
    case RESULT_MODE_CHANGELOG: return RM_CHANGELOG;
    /* 'table' refreshes in place: only on a terminal.  A script gets the changelog. */
    case RESULT_MODE_TABLE: break;
    }
    return r->interactive ? RM_TABLE : RM_CHANGELOG;
}

static int run_query(Repl *r, eddy_script *s, int i)
{
    const Plan *p = (const Plan *)eddy_script_plan(s, i);
    char err[1024];
    Job *j = job_new(p, err, sizeof err);
    if (!j) {
        print_error(r, "%s", err);
        return ST_ERR;
    }
    Query *q = xcalloc(1, sizeof *q);
    q->r = r;
    q->job = j;
    q->root = p->root;
    q->ncols = p->root->ncols;
    q->limit = p->root->limit;
    q->mode = result_mode(r, j);
    q->keyed = p->root->has_key;
    q->multiset = !p->root->has_key && p->root->updating;
    q->bootstrap = plan_bootstrap(r, p);
    q->right = xcalloc((size_t)q->ncols, sizeof *q->right);
    q->widths = xcalloc((size_t)q->ncols, sizeof *q->widths);
    for (int c = 0; c < q->ncols; c++) {
        Type t = p->root->cols[c].type;
        q->right[c] = type_is_numeric(t);
        int wn = text_cols(p->root->cols[c].name, strlen(p->root->cols[c].name));
        int wt = type_width(t);
        q->widths[c] = wn > wt ? wn : wt;
    }
    pthread_mutex_init(&q->mu, NULL);
    q->t0 = mono_ms();
    j->on_row = query_row;
    j->row_ctx = q;
    if (q->limit == 0) q->stop = 1;

    /* While the query runs the keyboard only stops it (Ctrl-C, or q). */
    struct termios saved;
    bool tty_changed = false;
    if (r->interactive && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
        t.c_lflag |= ISIG | NOFLSH;   /* Ctrl-C must not discard half a frame of output */
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
        tty_changed = true;
    }
    if (r->interactive && q->mode != RM_TABLE) {
        fprintf(stderr, "%s(continuous query; Ctrl-C or q stops it)%s\n", c_dim(r), c_off(r));
    }
    if (q->mode == RM_TABLEAU) tableau_header(q);
    /* Table mode redraws in place: a line on stderr (the job's "waiting for
     * topic …") would shift the screen.  Such lines go to the status line
     * while the query runs (until rows flow), and are printed after it if
     * they still hold. */
    int errpipe[2] = {-1, -1}, saved_err = -1;
    StrBuf errs = {0};
    if (q->mode == RM_TABLE && pipe(errpipe) == 0) {
        fflush(stderr);
        saved_err = dup(STDERR_FILENO);
        dup2(errpipe[1], STDERR_FILENO);
        close(errpipe[1]);
        fcntl(errpipe[0], F_SETFL, fcntl(errpipe[0], F_GETFL) | O_NONBLOCK);
    }
    if (q->mode == RM_TABLE) {
        fputs("\033[?25l", stdout);   /* no cursor blinking over the table */
        table_draw(q, "Ctrl-C or q stops it");
    }
    if (r->interactive) g_sigint = 0;
    pthread_t tid;
    bool cancelled = false;
    if (spawn(&tid, query_thread, q)) {
        print_error(r, "cannot start a thread for the query");
        q->rc = -1;
        goto out;
    }
    int64_t last_draw = mono_ms();
    while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
        struct pollfd pf[3] = {{g_wake[0], POLLIN, 0}, {errpipe[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        int n = poll(pf, r->interactive ? 3 : 2, 100);
        if (n > 0 && (pf[0].revents & POLLIN)) drain_wake();
        if (n > 0 && (pf[1].revents & POLLIN) && capture_stderr(errpipe[0], &errs)) {
            pthread_mutex_lock(&q->mu);
            last_line(&errs, q->note, sizeof q->note);
            q->dirty = true;
            pthread_mutex_unlock(&q->mu);
        }
        if (g_sigint || g_sigterm) {
            if (!q->stop) cancelled = true;
            q->stop = 1;
            if (r->interactive) g_sigint = 0;   /* at the prompt Ctrl-C ends the query only; in a script, the script */
        }
        if (n > 0 && r->interactive && (pf[2].revents & POLLIN)) {
            char keys[64];
            ssize_t k = read(STDIN_FILENO, keys, sizeof keys);
            for (ssize_t x = 0; x < k; x++)
                if (keys[x] == 'q' || keys[x] == 'Q') {
                    if (!q->stop) cancelled = true;
                    q->stop = 1;
                }
        }
        pthread_mutex_lock(&q->mu);
        if (q->mode == RM_TABLE && q->dirty && mono_ms() - last_draw >= 100) {
            table_draw(q, "Ctrl-C or q stops it");
            last_draw = mono_ms();
        }
        fflush(stdout);
        if (ferror(stdout)) {
            r->out_closed = true;
            q->stop = 1;
        }
        pthread_mutex_unlock(&q->mu);
    }
    pthread_join(tid, NULL);
out:
    if (saved_err >= 0) {
        fflush(stderr);
        dup2(saved_err, STDERR_FILENO);
        close(saved_err);
        capture_stderr(errpipe[0], &errs);
        close(errpipe[0]);
    }
    if (q->mode == RM_TABLE) {
        const char *why = q->rc ? "failed" : q->limit_hit ? "LIMIT reached" : cancelled ? "cancelled" : "input finished";
        table_draw(q, why);
        fputs("\033[?25h", stdout);
        fflush(stdout);
        if (errs.len && q->note[0]) fputs(errs.s, stderr);   /* still relevant: the query ended while waiting */
        sb_free(&errs);
    } else if (q->mode == RM_TABLEAU) {
        StrBuf b = {0};
        if (q->nchanges) tableau_rule(q, &b);
        else sb_puts(&b, "Empty set\n");
        char a[32];
        if (q->nchanges) sb_printf(&b, "Received a total of %s row%s\n", group_digits(a, sizeof a, q->nchanges), q->nchanges == 1 ? "" : "s");
        fputs(b.s, stdout);
        sb_free(&b);
    } else if (r->interactive) {
        char a[32];
        fprintf(stderr, "%s(%s change%s; %s)%s\n", c_dim(r), group_digits(a, sizeof a, q->nchanges), q->nchanges == 1 ? "" : "s",
                q->rc ? "failed" : q->limit_hit ? "LIMIT reached" : cancelled ? "cancelled" : "input finished", c_off(r));
    }
    fflush(stdout);
    if (ferror(stdout)) r->out_closed = true;
    if (tty_changed) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    int status = ST_OK;
    if (q->rc) {
        print_error(r, "query failed: %s", j->err[0] ? j->err : "unknown reason");
        status = ST_ERR;
    }
    if ((g_sigint || g_sigterm) && !r->interactive) status = ST_QUIT;
    for (int k = 0; k < q->nrows; k++)
        if (q->rows[k].live) row_clear(&q->rows[k], q->ncols);
    free(q->rows);
    free(q->slots);
    free(q->right);
    free(q->widths);
    pthread_mutex_destroy(&q->mu);
    free(q);
    job_free(j);
    if (r->out_closed) return ST_QUIT;
    return status;
}

/* ------------------------------------------------------------------ */
/* Statements                                                           */

static void print_output(const char *out)
{
    if (!out) return;
    fputs(out, stdout);
    size_t n = strlen(out);
    if (n && out[n - 1] != '\n') fputc('\n', stdout);
}

static void table_names(Repl *r, StrList *out)
{
    char *names = engine_output(r, "SHOW TABLES;");
    sl_add_lines(out, names);
    free(names);
}

/* Says what a DDL statement did, from the table names before and after. */
static void report_ddl(Repl *r, bool created)
{
    if (!r->interactive) return;
    StrList now = {0};
    table_names(r, &now);
    const StrList *from = created ? &r->tables_before : &now, *to = created ? &now : &r->tables_before;
    bool said = false;
    for (int i = 0; i < to->n; i++)
        if (!sl_has(from, to->v[i])) {
            printf("%s table '%s'.\n", created ? "Created" : "Dropped", to->v[i]);
            said = true;
        }
    if (!said) puts("OK.");
    sl_free(&now);
}

static void report_settings(Repl *r)
{
    StrList now = {0};
    settings_refresh(r, &now);
    if (r->interactive) {
        bool said = false;
        for (int i = 0; i < now.n; i++)
            if (!sl_has(&r->settings, now.v[i])) {
                printf("Set %s.\n", now.v[i]);
                said = true;
            }
        for (int i = 0; i < r->settings.n; i++) {
            const char *key_end = strstr(r->settings.v[i], "' = '");
            size_t kl = key_end ? (size_t)(key_end - r->settings.v[i] + 1) : strlen(r->settings.v[i]);
            bool kept = false;
            for (int k = 0; k < now.n; k++) kept = kept || strncmp(now.v[k], r->settings.v[i], kl) == 0;
            if (!kept) {
                printf("Reset %.*s.\n", (int)kl, r->settings.v[i]);
                said = true;
            }
        }
        if (!said) puts("OK.");
    }
    sl_free(&r->settings);
    r->settings = now;
}

static int exec_stmt(Repl *r, eddy_script *s, int i, bool *kept)
{
    const char *out = eddy_script_output(s, i);
    switch (eddy_script_kind(s, i)) {
    case EDDY_STMT_CREATE_TABLE:
    case EDDY_STMT_DROP_TABLE:
        if (out) print_output(out);
        else report_ddl(r, eddy_script_kind(s, i) == EDDY_STMT_CREATE_TABLE);
        return ST_OK;
    case EDDY_STMT_SET:
    case EDDY_STMT_RESET:
        if (out) {
            if (!*out && r->interactive) puts("No session settings (every key has its default; `eddy help options` lists them).");
            print_output(out);
            return ST_OK;
        }
        report_settings(r);
        return ST_OK;
    case EDDY_STMT_SHOW_TABLES:
        if (out && !*out && r->interactive) puts("No tables. CREATE TABLE makes one.");
        print_output(out);
        return ST_OK;
    case EDDY_STMT_DESCRIBE:
    case EDDY_STMT_EXPLAIN:
        print_output(out);
        return ST_OK;
    case EDDY_STMT_SHOW_JOBS:
        show_jobs(r);
        return ST_OK;
    case EDDY_STMT_STOP_JOB:
        return stop_job(r, out ? out : "");
    case EDDY_STMT_INSERT:
        return start_job(r, s, i, kept);
    case EDDY_STMT_SELECT:
        return run_query(r, s, i);
    }
    return ST_OK;
}

/* Shows the compile error: with its file position in scripts, and as
 * "error: …" plus the line and caret at the prompt. */
static void print_compile_error(Repl *r, const Input *in, bool multiline)
{
    fflush(stdout);
    const char *t = eddy_errtext(r->e);
    if (!in->typed) {
        fputs(t, stderr);
        return;
    }
    const char *nl = strchr(t, '\n');
    fprintf(stderr, "%serror:%s %s", c_err(r), c_off(r), eddy_errmsg(r->e));
    if (multiline && eddy_errline(r->e) > 0) fprintf(stderr, " (line %d)", eddy_errline(r->e));
    fputc('\n', stderr);
    if (nl && eddy_errline(r->e) > 0) fputs(nl + 1, stderr);
}

/* Compiles and runs one statement.  `line` and `col` place its first byte
 * in its input, so that messages point into the file or the script. */
static int exec_sql(Repl *r, const Input *in, const char *text, size_t len, int line, int col)
{
    StrBuf src = {0};
    for (int i = 1; i < line; i++) sb_putc(&src, '\n');
    for (int i = 1; i < col; i++) sb_putc(&src, ' ');
    sb_putn(&src, text, len);
    eddy_script *s;
    sl_free(&r->tables_before);
    if (r->interactive) table_names(r, &r->tables_before);
    r->catalog_dirty = true;   /* DDL, and tables a Schema Registry supplies */
    int rc = eddy_compile(r->e, src.s, src.len, in->name, &s);
    if (rc) {
        size_t t = len;
        while (t && isspace((unsigned char)text[t - 1])) t--;
        print_compile_error(r, in, memchr(text, '\n', t) != NULL);
        sb_free(&src);
        return ST_ERR;
    }
    sb_free(&src);
    int status = ST_OK;
    bool kept = false;
    /* One statement per call (the input was cut at each ';'), so a job
     * that keeps the script is the only user of it. */
    for (int i = 0; i < eddy_script_count(s) && status == ST_OK; i++) status = exec_stmt(r, s, i, &kept);
    if (!kept) eddy_script_free(s);
    fflush(stdout);
    return status;
}

/* ------------------------------------------------------------------ */
/* Input: lines to statements, meta commands                            */

static int run_file(Repl *r, const char *path);

static const char help_text[] =
    "Statements end with ';' and may span lines:\n"
    "  CREATE TABLE t (col TYPE, ...) [WITH ('k' = 'v', ...)];   DROP TABLE [IF EXISTS] t;\n"
    "  SHOW TABLES;   DESCRIBE t;   EXPLAIN INSERT ... | SELECT ...;\n"
    "  SET 'key' = 'value';   SET;   RESET ['key'];     (`eddy help options` lists the keys)\n"
    "  SELECT ... FROM t ...;        a continuous query shown live until Ctrl-C (or q);\n"
    "                                LIMIT n ends it after n changes\n"
    "  INSERT INTO t SELECT ...;     starts a background job and returns at once\n"
    "  SHOW JOBS;   STOP JOB 'id';   jobs, and stopping one (it flushes and checkpoints)\n"
    "\n"
    "Result modes: SET 'sql-client.execution.result-mode' = 'table' (default: a table\n"
    "  refreshed in place) | 'changelog' (+I/-U/+U/-D rows) | 'tableau' (a grid with an op column).\n"
    "Jobs keep no state unless SET 'state.path' = 'file.db' names a state file.\n"
    "Kafka: --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers' = 'host:port'.\n"
    "\n"
    "Commands: help, quit or exit (or Ctrl-D), \\i FILE or SOURCE 'FILE' (run a file's statements).\n"
    "Keys: Tab completes keywords, tables and columns; Up/Down recall history (~/.eddy_history);\n"
    "  Ctrl-C discards the statement being typed, or cancels a running query.\n";

/* Matches a meta command word at the start of s (case-insensitive), then
 * the end or white space; *arg is what follows. */
static bool meta_word(const char *s, const char *w, const char **arg)
{
    size_t n = strlen(w);
    if (strncasecmp(s, w, n) != 0) return false;
    if (s[n] && !isspace((unsigned char)s[n])) return false;
    *arg = s + n;
    while (isspace((unsigned char)**arg)) (*arg)++;
    return true;
}

/* help, quit, \i and SOURCE: *handled says whether text was one. */
static int try_meta(Repl *r, const char *text, bool *handled)
{
    char *copy = str_dup(text);
    char *s = trim(copy, true);
    const char *arg;
    int status = ST_OK;
    *handled = true;
    if (meta_word(s, "help", &arg) && !*arg) {
        fputs(help_text, stdout);
    } else if ((strcmp(s, "\\?") == 0 || strcmp(s, "\\h") == 0 || strcmp(s, "?") == 0)) {
        fputs(help_text, stdout);
    } else if ((meta_word(s, "quit", &arg) || meta_word(s, "exit", &arg)) && !*arg) {
        status = ST_QUIT;
    } else if (strcmp(s, "\\q") == 0) {
        status = ST_QUIT;
    } else if ((meta_word(s, "\\i", &arg) || meta_word(s, "\\include", &arg) || meta_word(s, "source", &arg)) && *arg) {
        /* SOURCE 'file.sql' (a SQL string, '' for a quote) or a bare path. */
        StrBuf path = {0};
        size_t n = strlen(arg);
        if (arg[0] == '\'' && n >= 2 && arg[n - 1] == '\'') {
            for (size_t i = 1; i + 1 < n; i++) {
                if (arg[i] == '\'' && arg[i + 1] == '\'') i++;
                sb_putc(&path, arg[i]);
            }
        } else {
            sb_puts(&path, arg);
        }
        sb_putc(&path, 0);
        status = run_file(r, path.s);
        sb_free(&path);
    } else if (s[0] == '\\') {
        /* Not SQL either: say so rather than wait for a ';'. */
        print_error(r, "%s: %s", s, strncmp(s, "\\i", 2) == 0 ? "which file? (\\i FILE)" : "unknown command (help lists them)");
        status = ST_ERR;
    } else {
        *handled = false;
    }
    free(copy);
    return status;
}

/* Adds a statement to the history (one entry, on one line when it has no
 * -- comment that joining would break) and saves the history file. */
static void history_add(Repl *r, const char *text)
{
    if (!r->hist) return;
    char *copy = str_dup(text);
    char *s = trim(copy, false);
    if (!*s) {
        free(copy);
        return;
    }
    if (!strstr(s, "--")) {
        char *o = s;
        for (char *p = s; *p; p++) {
            if (*p == '\n' || *p == '\r' || *p == '\t') {
                while (o > s && o[-1] == ' ') o--;
                *o++ = ' ';
                while (isspace((unsigned char)p[1])) p++;
            } else {
                *o++ = *p;
            }
        }
        *o = 0;
    }
    HistEvent ev;
    history(r->hist, &ev, H_ENTER, s);
    if (r->histfile) {
        history(r->hist, &ev, H_SAVE, r->histfile);
        chmod(r->histfile, 0600);
    }
    free(copy);
}

/* Where statements end: offsets just past each ';' that closes a
 * statement (outside strings and comments).  Returns how many.  *open is
 * set when the text ends inside a string, identifier or comment; *tail
 * when tokens follow the last such ';'. */
static int split_statements(const char *text, size_t len, int **ends, bool *open, bool *tail)
{
    char *buf = strndup(text, len);   /* the tokenizer wants a NUL after the text */
    if (!buf) abort();
    Lexer lx;
    lex_init(&lx, buf, (int)len);
    Token t;
    int n = 0, cap = 0, code;
    bool any = false;
    *ends = NULL;
    *open = false;
    while ((code = lex_next(&lx, &t)) != 0) {
        if (code == LEX_ERROR) {
            char c = buf[t.pos];
            bool empty_ident = c == '`' && t.n == 2;
            if (c == '\'' || (c == '`' && !empty_ident) || (c == '/' && buf[t.pos + 1] == '*')) {
                *open = true;   /* the rest of the text is inside it */
                break;
            }
            any = true;         /* a bad character: the statement still ends at its ';' */
            if (lx.cur <= buf + t.pos) lx.cur = buf + t.pos + 1;
            continue;
        }
        if (code == TK_SEMI) {
            if (!any) continue;   /* empty statements join the next one */
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                *ends = xrealloc(*ends, sizeof **ends * (size_t)cap);
            }
            (*ends)[n++] = t.pos + 1;
            any = false;
            continue;
        }
        any = true;
    }
    *tail = any || *open;
    free(buf);
    return n;
}

static bool stop_on_error(const Repl *r, const Input *in) { return !r->continue_on_error && !in->typed; }

/* Runs the statements collected in in->buf: all of them, or (at the end
 * of the input) also a last one without ';'. */
static int run_buffer(Repl *r, Input *in, bool at_eof)
{
    const char *text = in->buf.s ? in->buf.s : "";
    size_t len = in->buf.len;
    int *ends;
    bool open, tail;
    int n = split_statements(text, len, &ends, &open, &tail);
    int status = ST_OK;
    size_t start = 0;
    int line = in->buf_line, col = 1;
    for (int k = 0; k <= n && status != ST_QUIT; k++) {
        size_t end = k < n ? (size_t)ends[k] : len;
        if (k == n && !at_eof) break;
        /* Skip leading white space so the statement's position is its first token's. */
        while (start < end && isspace((unsigned char)text[start])) {
            if (text[start] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
            start++;
        }
        if (start < end) {
            char *chunk = strndup(text + start, end - start);
            if (!chunk) abort();
            bool handled;
            int st = try_meta(r, chunk, &handled);
            if (!handled) st = exec_sql(r, in, text + start, end - start, line, col);
            free(chunk);
            if (st == ST_ERR) {
                r->had_error = true;
                if (stop_on_error(r, in)) status = ST_ERR;
            } else if (st == ST_QUIT) {
                status = ST_QUIT;
            }
            if (status != ST_OK) break;
        }
        for (size_t i = start; i < end; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        start = end;
    }
    free(ends);
    return status;
}

static void input_reset(Input *in)
{
    in->buf.len = 0;
    if (in->buf.s) in->buf.s[0] = 0;
}

/* Feeds one line (without its newline).  Runs what it completes. */
static int feed_line(Repl *r, Input *in, const char *line)
{
    if (in->typed && in->buf.len == 0) in->lineno = 0;   /* at the prompt, lines count per statement */
    in->lineno++;
    if (in->buf.len == 0) {
        char *copy = str_dup(line);
        char *s = trim(copy, false);
        bool blank = !*s;
        free(copy);
        if (blank) return ST_OK;
        bool handled;
        int st = try_meta(r, line, &handled);
        if (handled) {
            if (in->typed) history_add(r, line);
            if (st == ST_ERR) {
                r->had_error = true;
                return stop_on_error(r, in) ? ST_ERR : ST_OK;
            }
            return st;
        }
        in->buf_line = in->lineno;
    }
    sb_puts(&in->buf, line);
    sb_putc(&in->buf, '\n');
    int *ends;
    bool open, tail;
    int n = split_statements(in->buf.s, in->buf.len, &ends, &open, &tail);
    free(ends);
    bool complete = n > 0 && !tail;   /* nothing but white space and comments after the last ';' */
    if (!complete) return ST_OK;
    if (in->typed) history_add(r, in->buf.s);
    int st = run_buffer(r, in, false);
    input_reset(in);
    return st;
}

/* End of an input: runs a last statement that has no ';'. */
static int finish_input(Repl *r, Input *in)
{
    int st = ST_OK;
    char *copy = str_dup(in->buf.s ? in->buf.s : "");
    bool blank = !*trim(copy, false);
    free(copy);
    if (!blank) st = run_buffer(r, in, true);
    input_reset(in);
    return st;
}

static int run_file(Repl *r, const char *path)
{
    if (r->depth >= SOURCE_MAX_DEPTH) {
        print_error(r, "%s: files run each other too deeply (more than %d levels)", path, SOURCE_MAX_DEPTH);
        return ST_ERR;
    }
    size_t len;
    char *text = cmd_read_file(path, &len);
    if (!text) {
        print_error(r, "cannot read %s: %s", path, strerror(errno));
        return ST_ERR;
    }
    r->depth++;
    Input in = {.name = path};
    int st = ST_OK;
    size_t start = 0;
    while (start < len && st == ST_OK && !g_sigterm) {
        size_t end = start;
        while (end < len && text[end] != '\n') end++;
        char *line = strndup(text + start, end - start);
        if (!line) abort();
        st = feed_line(r, &in, line);
        free(line);
        start = end + 1;
    }
    if (st == ST_OK) st = finish_input(r, &in);
    sb_free(&in.buf);
    free(text);
    r->depth--;
    return st;
}

/* ------------------------------------------------------------------ */
/* Reading stdin without a terminal                                     */

typedef struct LineReader {
    int    fd;            /* where lines come from */
    char  *buf;           /* bytes read and not yet returned */
    size_t len;           /* their count */
    size_t cap;           /* capacity */
    bool   eof;           /* no more bytes */
} LineReader;

/* 1 and *line (the caller frees it), 0 at the end, -1 when a signal stops the wait. */
static int lr_next(LineReader *lr, char **line)
{
    for (;;) {
        char *nl = lr->len ? memchr(lr->buf, '\n', lr->len) : NULL;
        if (nl || (lr->eof && lr->len)) {
            size_t n = nl ? (size_t)(nl - lr->buf) : lr->len;
            *line = strndup(lr->buf, n);
            if (!*line) abort();
            size_t used = nl ? n + 1 : n;
            memmove(lr->buf, lr->buf + used, lr->len - used);
            lr->len -= used;
            return 1;
        }
        if (lr->eof) return 0;
        if (g_sigint || g_sigterm) return -1;
        struct pollfd pf[2] = {{lr->fd, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
        int n = poll(pf, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            lr->eof = true;
            continue;
        }
        if (pf[1].revents & POLLIN) drain_wake();
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (lr->cap - lr->len < 4096) {
            lr->cap = lr->cap ? 2 * lr->cap : 8192;
            lr->buf = xrealloc(lr->buf, lr->cap);
        }
        ssize_t k = read(lr->fd, lr->buf + lr->len, lr->cap - lr->len);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) lr->eof = true;
        else lr->len += (size_t)k;
    }
}

/* ------------------------------------------------------------------ */
/* The line editor: prompt, input, completion, history                  */

static char *prompt_fn(EditLine *el)
{
    Repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    return r->cont ? "   -> " : "eddy> ";
}

/* libedit's input: one character, waiting on the terminal and on the
 * wake-up pipe, so that Ctrl-C ends the wait (returns -1). */
static int getc_fn(EditLine *el, wchar_t *wc)
{
    mbstate_t mbs;
    memset(&mbs, 0, sizeof mbs);
    for (;;) {
        if (g_sigint || g_sigterm) return -1;
        if (g_winch) {
            g_winch = 0;
            el_resize(el);
        }
        struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
        int n = poll(pf, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (pf[1].revents & POLLIN) {
            drain_wake();
            Repl *r;
            el_get(el, EL_CLIENTDATA, &r);
            if (jobs_ended(r)) {   /* a job ended while the prompt waits: say so now, then redraw */
                fputc('\n', stdout);
                fflush(stdout);
                jobs_poll(r);
                el_set(el, EL_REFRESH);
            }
        }
        if (g_sigint || g_sigterm) return -1;   /* keys typed after Ctrl-C belong to the next line */
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        unsigned char c;
        ssize_t k = read(STDIN_FILENO, &c, 1);
        if (k == 0) return 0;
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        size_t m = mbrtowc(wc, (const char *)&c, 1, &mbs);
        if (m == (size_t)-2) continue;   /* the rest of a multi-byte character follows */
        if (m == (size_t)-1) {
            memset(&mbs, 0, sizeof mbs);
            *wc = (wchar_t)c;
        }
        return 1;
    }
}

static const char *const sql_keywords[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "LIMIT", "AS", "AND", "OR", "NOT", "NULL", "IS", "IN",
    "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "TRY_CAST", "DISTINCT", "ALL", "CREATE",
    "TABLE", "DROP", "IF", "EXISTS", "INSERT", "INTO", "PRIMARY", "KEY", "ENFORCED", "WITH", "WATERMARK", "FOR",
    "TRUE", "FALSE", "SET", "RESET", "SHOW", "TABLES", "DESCRIBE", "EXPLAIN", "INTERVAL", "DATE", "TIMESTAMP",
    "METADATA", "VIRTUAL", "LOCAL", "TIME", "ZONE", "JOBS", "JOB", "STOP", "BOTH", "LEADING", "TRAILING",
    "BOOLEAN", "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "STRING",
    "VARCHAR", "CHAR", "BYTES", "TIMESTAMP_LTZ", "SECOND", "MINUTE", "HOUR", "DAY",
};

/* What the text before the word being completed says about it. */
typedef struct CompleteCtx {
    int     first;        /* first token of the statement (0 = none) */
    int     last;         /* token just before the word (0 = none) */
    bool    with;         /* a WITH came before */
    StrList idents;       /* identifiers seen (for the tables mentioned) */
} CompleteCtx;

static void complete_scan(const char *text, size_t len, CompleteCtx *cx)
{
    char *buf = strndup(text, len);
    if (!buf) abort();
    Lexer lx;
    lex_init(&lx, buf, (int)len);
    Token t;
    int code;
    while ((code = lex_next(&lx, &t)) != 0) {
        if (code == LEX_ERROR) {
            if (lx.cur <= buf + t.pos) lx.cur = buf + t.pos + 1;
            continue;
        }
        if (code == TK_SEMI) {
            cx->first = cx->last = 0;
            cx->with = false;
            sl_free(&cx->idents);
            continue;
        }
        if (!cx->first) cx->first = code;
        cx->last = code;
        if (code == TK_WITH) cx->with = true;
        if (code == TK_ID) {
            StrBuf id = {0};
            if (t.z[0] == '`') {
                for (int i = 1; i + 1 < t.n; i++) {
                    if (t.z[i] == '`') i++;
                    sb_putc(&id, t.z[i]);
                }
            } else {
                sb_putn(&id, t.z, (size_t)t.n);
            }
            sb_putc(&id, 0);
            sl_add(&cx->idents, id.s);
            sb_free(&id);
        }
    }
    free(buf);
}

static bool needs_quotes(const char *name)
{
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_')) return true;
    for (const char *p = name; *p; p++)
        if (!is_ident_char((unsigned char)*p)) return true;
    for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++)
        if (strcasecmp(sql_keywords[i], name) == 0) return true;
    return false;
}

static void add_candidate(StrList *c, const char *word, const char *prefix, size_t plen, bool lower, bool quote_ident)
{
    if (strncasecmp(word, prefix, plen) != 0) return;
    StrBuf b = {0};
    if (quote_ident && needs_quotes(word)) {
        sb_putc(&b, '`');
        for (const char *p = word; *p; p++) {
            if (*p == '`') sb_putc(&b, '`');
            sb_putc(&b, *p);
        }
        sb_putc(&b, '`');
        if (plen) {   /* a quoted name does not continue what was typed */
            sb_free(&b);
            return;
        }
    } else {
        for (const char *p = word; *p; p++) sb_putc(&b, lower ? (char)tolower((unsigned char)*p) : *p);
    }
    if (!sl_has(c, b.s)) sl_add(c, b.s);
    sb_free(&b);
}

static int cmp_ci(const void *a, const void *b) { return strcasecmp(*(char *const *)a, *(char *const *)b); }

static void show_candidates(const StrList *c)
{
    int trows, tcols, w = 0;
    term_size(&trows, &tcols);
    for (int i = 0; i < c->n; i++) {
        int n = text_cols(c->v[i], strlen(c->v[i]));
        if (n > w) w = n;
    }
    int per = tcols / (w + 2);
    if (per < 1) per = 1;
    fputc('\n', stdout);
    for (int i = 0; i < c->n; i++) {
        fprintf(stdout, "%-*s%s", w + 2, c->v[i], (i % per == per - 1 || i == c->n - 1) ? "\n" : "");
    }
    fflush(stdout);
}

/* Tab: keywords, functions, tables and columns; SET keys and WITH options
 * inside quotes.  One match is inserted; several are narrowed to their
 * common prefix, else listed. */
static unsigned char complete_fn(EditLine *el, int ch)
{
    (void)ch;
    Repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    const LineInfo *li = el_line(el);
    size_t before = (size_t)(li->cursor - li->buffer);
    StrBuf ctx = {0};
    if (r->pending) sb_puts(&ctx, r->pending);
    sb_putn(&ctx, li->buffer, before);
    sb_putc(&ctx, 0);
    ctx.len--;
    size_t end = ctx.len, st = end;
    while (st > 0 && (is_ident_char((unsigned char)ctx.s[st - 1]) || ctx.s[st - 1] == '.' || ctx.s[st - 1] == '-')) st--;
    bool quoted = st > 0 && ctx.s[st - 1] == '\'';
    if (!quoted) {
        st = end;
        while (st > 0 && is_ident_char((unsigned char)ctx.s[st - 1])) st--;
    }
    const char *prefix = ctx.s + st;
    size_t plen = end - st;
    if (r->catalog_dirty) catalog_refresh(r);
    CompleteCtx cx = {0};
    complete_scan(ctx.s, quoted ? st - 1 : st, &cx);
    bool lower = false, upper = false;
    for (size_t i = 0; i < plen; i++) {
        lower = lower || islower((unsigned char)prefix[i]);
        upper = upper || isupper((unsigned char)prefix[i]);
    }
    lower = lower && !upper;
    StrList c = {0};
    const char *suffix = quoted ? "'" : " ";
    bool dotted = !quoted && st > 0 && ctx.s[st - 1] == '.';
    if (quoted) {
        const StrList *keys = (cx.first == TK_SET || cx.first == TK_RESET) ? &r->set_keys : cx.with ? &r->with_keys : NULL;
        for (int i = 0; keys && i < keys->n; i++) add_candidate(&c, keys->v[i], prefix, plen, false, false);
    } else if (cx.last == TK_FROM || cx.last == TK_INTO || cx.last == TK_TABLE || cx.last == TK_DESCRIBE ||
               cx.last == TK_DESC || (cx.last == TK_EXISTS && cx.first == TK_DROP)) {
        for (int i = 0; i < r->ntables; i++) add_candidate(&c, r->tables[i].name, prefix, plen, false, true);
    } else {
        bool mentioned = false;
        for (int i = 0; i < r->ntables; i++)
            if (sl_has(&cx.idents, r->tables[i].name)) mentioned = true;
        for (int i = 0; i < r->ntables; i++)
            if (!mentioned || sl_has(&cx.idents, r->tables[i].name))
                for (int k = 0; k < r->tables[i].cols.n; k++) add_candidate(&c, r->tables[i].cols.v[k], prefix, plen, false, true);
        /* Nothing typed yet in an expression: the columns are what one wants to see. */
        bool columns_only = plen == 0 && c.n > 0 && cx.first;
        if (!dotted && !columns_only) {
            for (int i = 0; i < r->ntables; i++) add_candidate(&c, r->tables[i].name, prefix, plen, false, true);
            if (cx.first) {
                for (int i = 0; i < r->funcs.n; i++) add_candidate(&c, r->funcs.v[i], prefix, plen, lower, false);
            } else {
                static const char *const meta[] = {"help", "quit", "exit", "source"};
                for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
                    add_candidate(&c, meta[i], prefix, plen, !upper, false);
            }
            for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++)
                add_candidate(&c, sql_keywords[i], prefix, plen, lower, false);
        }
    }
    sl_free(&cx.idents);
    unsigned char res;
    if (c.n == 0) {
        res = CC_REFRESH_BEEP;
    } else if (c.n == 1) {
        el_deletestr(el, (int)plen);
        StrBuf ins = {0};
        sb_puts(&ins, c.v[0]);
        bool func = false;
        for (int i = 0; i < r->funcs.n && !quoted; i++) func = func || strcasecmp(r->funcs.v[i], c.v[0]) == 0;
        bool kw = false;
        for (size_t i = 0; i < sizeof sql_keywords / sizeof sql_keywords[0]; i++) kw = kw || strcasecmp(sql_keywords[i], c.v[0]) == 0;
        sb_puts(&ins, func && !kw ? "(" : suffix);
        el_insertstr(el, ins.s);
        sb_free(&ins);
        res = CC_REFRESH;
    } else {
        qsort(c.v, (size_t)c.n, sizeof *c.v, cmp_ci);
        size_t common = strlen(c.v[0]);
        for (int i = 1; i < c.n; i++) {
            size_t k = 0;
            while (k < common && c.v[i][k] && tolower((unsigned char)c.v[i][k]) == tolower((unsigned char)c.v[0][k])) k++;
            common = k;
        }
        if (common > plen) {
            el_deletestr(el, (int)plen);
            char *ins = strndup(c.v[0], common);
            if (!ins) abort();
            el_insertstr(el, ins);
            free(ins);
            res = CC_REFRESH;
        } else {
            show_candidates(&c);
            res = CC_REDISPLAY;
        }
    }
    sl_free(&c);
    sb_free(&ctx);
    return res;
}

/* Completion words that come from the engine's own tables. */
static void words_init(Repl *r)
{
    char *doc = eddy_options_doc();
    StrList lines = {0};
    sl_add_lines(&lines, doc);
    eddy_free(doc);
    StrList *into = NULL;
    for (int i = 0; i < lines.n; i++) {
        const char *l = lines.v[i];
        if (strncmp(l, "Table options", 13) == 0) into = &r->with_keys;
        else if (strncmp(l, "Session settings", 16) == 0) into = &r->set_keys;
        else if (into && l[0] == ' ' && l[1] == ' ' && l[2] && l[2] != ' ') {
            const char *e = strstr(l + 2, "  ");
            char *key = strndup(l + 2, e ? (size_t)(e - l - 2) : strlen(l + 2));
            if (!key) abort();
            if (!sl_has(into, key)) sl_add(into, key);
            free(key);
        }
    }
    sl_free(&lines);
    if (sl_has(&r->set_keys, "properties.")) sl_add(&r->set_keys, "properties.bootstrap.servers");
    StrBuf f = {0};
    func_document(&f);
    StrList fl = {0};
    sl_add_lines(&fl, f.s);
    sb_free(&f);
    for (int i = 0; i < fl.n; i++) {
        char *s = trim(fl.v[i], false);
        size_t n = strcspn(s, " ");
        s[n] = 0;
        if (*s && !sl_has(&r->funcs, s)) sl_add(&r->funcs, s);
    }
    sl_free(&fl);
}

static void editor_init(Repl *r)
{
    r->hist = history_init();
    HistEvent ev;
    history(r->hist, &ev, H_SETSIZE, 2000);
    history(r->hist, &ev, H_SETUNIQUE, 1);
    const char *home = getenv("HOME");
    if (home && *home) {
        size_t n = strlen(home) + 32;
        r->histfile = xcalloc(n, 1);
        snprintf(r->histfile, n, "%s/.eddy_history", home);
        history(r->hist, &ev, H_LOAD, r->histfile);
    }
    r->el = el_init("eddy", stdin, stdout, stderr);
    el_set(r->el, EL_CLIENTDATA, r);
    el_set(r->el, EL_EDITOR, "emacs");
    el_set(r->el, EL_PROMPT, prompt_fn);
    el_set(r->el, EL_HIST, history, r->hist);
    el_set(r->el, EL_GETCFN, getc_fn);
    /* The wide call stores the names as given (the narrow one copies them and never frees the copies). */
    el_wset(r->el, EL_ADDFN, L"eddy-complete", L"complete a keyword, table or column", complete_fn);
    el_set(r->el, EL_BIND, "^I", "eddy-complete", NULL);
    if (home && *home) el_source(r->el, NULL);   /* ~/.editrc, as other libedit programs */
}

static void editor_end(Repl *r)
{
    if (r->el) el_end(r->el);
    if (r->hist) history_end(r->hist);
    free(r->histfile);
}

/* ------------------------------------------------------------------ */
/* The two loops                                                        */

static void interactive_loop(Repl *r)
{
    Input in = {.name = "<input>", .typed = true};
    struct termios cooked;
    bool tty = tcgetattr(STDIN_FILENO, &cooked) == 0, raw = false;
    for (;;) {
        jobs_poll(r);
        if (g_sigterm) break;
        r->cont = in.buf.len > 0;
        r->pending = in.buf.len ? in.buf.s : NULL;
        fflush(stdout);
        /* libedit switches the terminal to raw mode only once the prompt is
         * out: keys typed in between would be echoed twice, and a Ctrl-D
         * eaten by the line discipline.  So the terminal is put in libedit's
         * kind of mode (no echo, byte by byte, signals kept) first. */
        if (tty && !raw && tcgetattr(STDIN_FILENO, &cooked) == 0) {
            struct termios t = cooked;
            t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN);
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            tcsetattr(STDIN_FILENO, TCSANOW, &t);
            raw = true;
        }
        int n = 0;
        const char *line = el_gets(r->el, &n);
        r->pending = NULL;
        if (raw) {   /* libedit restored its idea of cooked mode; make it exactly ours */
            tcsetattr(STDIN_FILENO, TCSANOW, &cooked);
            raw = false;
        }
        if (!line && g_sigint) {   /* Ctrl-C: drop what was typed, keep the session */
            g_sigint = 0;
            input_reset(&in);
            fputs("^C\n", stdout);
            continue;
        }
        if (!line) {
            if (!g_sigterm) fputc('\n', stdout);   /* Ctrl-D */
            break;
        }
        char *copy = str_dup(line);
        size_t len = strlen(copy);
        while (len && (copy[len - 1] == '\n' || copy[len - 1] == '\r')) copy[--len] = 0;
        int st = feed_line(r, &in, copy);
        free(copy);
        if (st == ST_QUIT || r->out_closed) break;
    }
    if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &cooked);
    sb_free(&in.buf);
}

static void script_loop(Repl *r)
{
    LineReader lr = {.fd = STDIN_FILENO};
    Input in = {.name = "<stdin>"};
    int st = ST_OK;
    char *line;
    int got;
    while ((got = lr_next(&lr, &line)) > 0) {
        st = feed_line(r, &in, line);
        free(line);
        jobs_poll(r);
        if (r->had_error && !r->continue_on_error) st = ST_ERR;
        if (st != ST_OK || g_sigint || g_sigterm || r->out_closed) break;
    }
    if (got == 0 && st == ST_OK && !g_sigint && !g_sigterm) {
        st = finish_input(r, &in);
        /* Like `eddy run`: jobs run until they finish or SIGINT/SIGTERM. */
        if (st == ST_OK && jobs_running(r)) {
            fprintf(stderr, "eddy: end of input; %d job%s running until SIGINT or SIGTERM\n", jobs_running(r),
                    jobs_running(r) == 1 ? "" : "s");
            while (jobs_running(r) && !g_sigint && !g_sigterm) {
                struct pollfd pf = {g_wake[0], POLLIN, 0};
                if (poll(&pf, 1, 500) > 0) drain_wake();
                jobs_poll(r);
            }
        }
    }
    free(lr.buf);
    sb_free(&in.buf);
}

/* ------------------------------------------------------------------ */

typedef struct ReplOpts {
    const char *bootstrap;  /* --bootstrap */
    const char *registry;   /* --registry */
    bool        continue_on_error; /* --continue-on-error */
    bool        dev_broker; /* --dev-broker */
} ReplOpts;

static const OptionDef repl_flags[] = {
    FLAG_BOOTSTRAP(ReplOpts, bootstrap, "on a terminal, a development broker in this process"),
    FLAG_REGISTRY(ReplOpts, registry),
    {.name = "continue-on-error", .type = OPT_BOOL, .to = {OPT_FIELD(ReplOpts, continue_on_error)},
     .doc = "in a script, run the remaining statements after an error (exit status 1)"},
    {.name = "dev-broker", .type = OPT_BOOL, .to = {OPT_FIELD(ReplOpts, dev_broker)},
     .doc = "start a development broker even when not on a terminal"},
    {0},
};

const CmdSpec shell_cmd = {
    .name = "", .flags = repl_flags, .main = repl_main,
    .summary = "the SQL shell; runs a script from stdin when it is not a terminal",
    .about = "On a terminal, the SQL shell.  With standard input not a terminal (eddy < FILE.sql),\n"
             "runs the script: plain output, stops at the first error.",
};

int repl_main(int argc, char **argv)
{
    ReplOpts o = {0};
    FlagArgs args;
    int prc = flags_parse(&shell_cmd, &o, argc, argv, &args);
    if (prc >= 0) return prc;
    char err[512];
    setlocale(LC_CTYPE, "");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") == 0) g_ellipsis = "\xe2\x80\xa6";

    Repl repl = {0}, *r = &repl;
    r->interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    r->color = r->interactive && !getenv("NO_COLOR") && isatty(STDERR_FILENO);
    r->continue_on_error = o.continue_on_error;
    install_signals();
    r->e = eddy_engine_new();
    if (!r->e) {
        fputs("eddy: out of memory\n", stderr);
        return 1;
    }
    if (o.registry && eddy_engine_set_registry(r->e, o.registry) != EDDY_OK) {
        fprintf(stderr, "eddy: schema registry '%s' is not an http:// or https:// URL\n", o.registry);
        eddy_engine_free(r->e);
        return 2;
    }
    const char *from = flags_from_env(&shell_cmd, &args, "bootstrap") ? "EDDY_BOOTSTRAP" : "--bootstrap";
    r->bootstrap = o.bootstrap;
    if (!r->bootstrap && (r->interactive || o.dev_broker)) {
        sigset_t old;
        block_async_signals(&old);
        int brc = kafka_broker_start(1, 4, &r->broker, err, sizeof err);
        restore_signals(&old);
        if (brc) {
            fprintf(stderr, "eddy: cannot start the development broker: %s\n", err);
        } else {
            r->bootstrap = kafka_broker_bootstrap(r->broker);
            from = NULL;
        }
    }
    if (r->interactive) {
        printf("eddy %s: Flink SQL over Kafka. Statements end with ';'. Type 'help' for help, 'quit' or Ctrl-D to leave.\n",
               eddy_version());
        if (r->broker)
            printf("Kafka: a development broker started in this process at %s (in memory: it stops when you quit).\n"
                   "       Sample orders: eddy gen orders --topic orders_raw --rate 20 --bootstrap %s\n",
                   r->bootstrap, r->bootstrap);
        else if (r->bootstrap)
            printf("Kafka: %s (%s)\n", r->bootstrap, from);
        else
            puts("Kafka: none (use --bootstrap, EDDY_BOOTSTRAP or SET 'properties.bootstrap.servers').");
        if (o.registry) printf("Schema Registry: %s\n", o.registry);
        words_init(r);
        editor_init(r);
        interactive_loop(r);
    } else {
        if (r->broker) fprintf(stderr, "eddy: development broker at %s\n", r->bootstrap);
        script_loop(r);
    }
    jobs_stop_all(r);
    for (int i = 0; i < r->njobs; i++) job_free_all(r->jobs[i]);
    free(r->jobs);
    editor_end(r);
    catalog_clear(r);
    sl_free(&r->tables_before);
    sl_free(&r->settings);
    sl_free(&r->set_keys);
    sl_free(&r->with_keys);
    sl_free(&r->funcs);
    eddy_engine_free(r->e);
    kafka_broker_free(r->broker);
    fflush(stdout);
    for (int i = 0; i < 2; i++)
        if (g_wake[i] >= 0) close(g_wake[i]);
    g_wake[0] = g_wake[1] = -1;
    return r->had_error && !r->interactive ? 1 : 0;
}
