/*
 * cmd_run.c — `eddy run FILE.sql` and `eddy demo`.
 *
 * run: compiles the script; every INSERT becomes a job on its own thread,
 * a bare SELECT prints its changelog (+I[…] lines) to stdout; SIGINT or
 * SIGTERM stops every job cleanly (buffered changes flushed, deliveries
 * acknowledged) and exits 0.
 *
 * demo: the whole story in one process — a development broker, a generator
 * of reference orders, the reference job (sql/orders.sql, built into the
 * binary) and a live per-region table read back from the orders_summary
 * topic by a second query, as a dashboard consumer would see it.  With --avro, the same in
 * Avro: a development Schema Registry too, orders in the Confluent wire
 * format, and sql/orders_avro.sql, whose orders_raw comes from the registry.
 */
#include "cmd.h"
#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "demo_pg.h"
#include "eddy.h"
#include "reference_avro_sql.h"
#include "reference_sql.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cmd_notice_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "eddy: %s\n", msg);
}

void cmd_print_line(void *ctx, const char *line, int to_stderr)
{
    (void)ctx;
    FILE *f = to_stderr ? stderr : stdout;
    fputs(line, f);
    fputc('\n', f);
}

char *cmd_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {   /* fopen opens a directory; reading it fails with EIO */
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) abort();
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    /* A UTF-8 byte-order mark (editors on some systems write one) is not SQL. */
    if (n >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF) {
        memmove(buf, buf + 3, n - 3);
        n -= 3;
    }
    *len = n;
    return buf;
}

char *cmd_read_script(const CmdSpec *c, const char *path, size_t *len)
{
    char *text = cmd_read_file(path, len);
    if (!text) fprintf(stderr, "eddy %s: cannot read %s: %s\n", c->name, path, strerror(errno));
    return text;
}

/* A SELECT's changes on stdout, as Flink's changelog output prints them. */
static void print_change(void *ctx, const eddy_change *c)
{
    (void)ctx;
    printf("%s\n", c->text);
}

typedef struct JobThread {
    eddy_job   *job;      /* the job */
    int         done;     /* set (atomically) once eddy_job_run returned */
    const eddy_plan *plan;/* its plan (the script owns it) */
    char        name[600];/* its name: the sink table, made unique within the script */
    bool        insert;   /* an INSERT job (else a bare SELECT) */
    int         line;     /* its statement's line */
    const char *bootstrap;/* broker, or NULL for the plan's setting */
    int         rc;       /* its result */
    pthread_t   tid;      /* its thread */
} JobThread;

/* A job thread that ends wakes watch_jobs at once; it otherwise looks
 * every 100 ms (for a stop asked by a signal, and the status line), and
 * every `eddy run` ended on such a tick: up to 100 ms after its jobs. */
static pthread_mutex_t ended_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  ended_cv;
static pthread_once_t  ended_once = PTHREAD_ONCE_INIT;

static void ended_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&ended_cv, &a);
    pthread_condattr_destroy(&a);
}

static void *job_thread(void *arg)
{
    JobThread *t = arg;
    t->rc = eddy_job_run(t->job, t->bootstrap, &stop_flag);
    if (t->rc) stop_flag = 1;   /* one failed job stops the others */
    pthread_once(&ended_once, ended_init);
    pthread_mutex_lock(&ended_mu);
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&ended_cv);
    pthread_mutex_unlock(&ended_mu);
    return NULL;
}

typedef struct RunOpts {
    const char *bootstrap;  /* --bootstrap */
    const char *state;      /* --state FILE */
    bool        bounded;    /* --bounded */
    bool        reset;      /* --reset-state: the script's only job */
    OptList     reset_jobs; /* --reset-job NAME…: those jobs ("all": every one) */
    const char *registry;   /* --registry URL, else $EDDY_REGISTRY */
    const char *http;       /* --http HOST:PORT: serve /metrics, /healthz, /jobs and the dashboard */
    bool        progress;   /* --progress: a status line even when stderr is not a terminal */
    bool        no_progress;/* --no-progress */
    int64_t     every;      /* --progress-every S */
    int64_t     parallelism;/* --parallelism N; 0 = not given ($EDDY_PARALLELISM, else 1) */
    const char *group;      /* --group NAME: share each INSERT job with the other processes of group NAME */
    int64_t     session_ms; /* --session-timeout MS (with --group) */
} RunOpts;

static const OptionDef run_flags[] = {
    FLAG_BOOTSTRAP(RunOpts, bootstrap, "SET 'properties.bootstrap.servers'"),
    {.name = "state", .type = OPT_STRING, .to = {OPT_FIELD(RunOpts, state)}, .metavar = "FILE",
     .otherwise = "<job name>.db here, or SET 'state.path'", .doc = "state file; 'none' keeps no state"},
    FLAG_REGISTRY(RunOpts, registry),
    {.name = "bounded", .type = OPT_BOOL, .to = {OPT_FIELD(RunOpts, bounded)},
     .doc = "read what the source topics hold now, then finish"},
    {.name = "reset-state", .type = OPT_BOOL, .to = {OPT_FIELD(RunOpts, reset)},
     .doc = "discard the job's saved state and start fresh (a script of one INSERT job; else --reset-job)"},
    {.name = "reset-job", .type = OPT_LIST, .to = {OPT_FIELD(RunOpts, reset_jobs)}, .metavar = "NAME",
     .doc = "discard the saved state of job NAME (its sink table; 'all' = every job)"},
    FLAG_HTTP(RunOpts, http, "no HTTP endpoint"),
    {.name = "progress", .type = OPT_BOOL, .to = {OPT_FIELD(RunOpts, progress)},
     .doc = "print a status line per job every few seconds (records/s, lag, last checkpoint, skipped); timestamped lines when stderr is not a terminal",
     .otherwise = "on when stderr is a terminal"},
    {.name = "no-progress", .type = OPT_BOOL, .to = {OPT_FIELD(RunOpts, no_progress)}, .doc = "no status line"},
    {.name = "parallelism", .type = OPT_INT, .to = {OPT_FIELD(RunOpts, parallelism)}, .min = 1, .max = 1024, .metavar = "N",
     .otherwise = "$EDDY_PARALLELISM, else 1",
     .doc = "worker threads: each INSERT job runs as tasks, one per partition of its input topics, dealt to N threads "
            "(SET 'parallelism.default' for the planner); 1 = one job on one thread. State: a file per task in STATE.d/"},
    {.name = "group", .type = OPT_STRING, .to = {OPT_FIELD(RunOpts, group)}, .metavar = "NAME",
     .otherwise = "the process runs every task of its jobs",
     .doc = "share each INSERT job with the other processes started with the same NAME (on this machine or others): "
            "Kafka consumer groups give each process some of the job's tasks, and a task's state moves with it "
            "through changelog topics <job>-s<stage>-changelog (docs/scaling.md). Not with --bounded or a reset"},
    {.name = "session-timeout", .type = OPT_INT, .to = {OPT_FIELD(RunOpts, session_ms)}, .min = 1000, .max = 3600000, .deflt = "10000",
     .metavar = "MS", .doc = "with --group: how long a process may be silent before the others take its tasks over "
                             "(the group's session.timeout.ms; the tests use 4000 on the development broker)"},
    {.name = "progress-every", .type = OPT_INT, .to = {OPT_FIELD(RunOpts, every)}, .min = 1, .max = 3600, .deflt = "5",
     .metavar = "S", .doc = "seconds between status lines"},
    {0},
};

const CmdSpec run_cmd = {
    .name = "run", .args = "FILE.sql", .minargs = 1, .maxargs = 1, .flags = run_flags, .main = cmd_run,
    .summary = "run a script's INSERT jobs (and SELECTs) until Ctrl-C",
    .about = "Runs the script's statements; each INSERT is a job that runs until SIGINT or SIGTERM\n"
             "(or, with --bounded, until it has read what its topics held), then stops cleanly.\n"
             "FILE.sql may be '-' for standard input.",
};

/* Whether job `name` (one of njobs) starts fresh: --reset-state (one job),
 * or named by --reset-job (or "all"). */
static bool reset_job(const RunOpts *o, const char *name)
{
    if (o->reset) return true;
    for (int i = 0; i < o->reset_jobs.n; i++)
        if (strcmp(o->reset_jobs.v[i], name) == 0 || strcmp(o->reset_jobs.v[i], "all") == 0) return true;
    return false;
}

/* Opens the job's state file: --state, else SET 'state.path', else <job>.db. */
static int open_state(eddy_job *j, const eddy_plan *p, const char *name, const RunOpts *o, int njobs, char *err, size_t errlen)
{
    const char *path = eddy_plan_setting(p, "state.path");
    if (o->state && strcmp(o->state, "none") == 0) {
        path = "none";   /* --state none: no job keeps state */
    } else if (o->state) {
        if (njobs > 1 && !path) {
            snprintf(err, errlen, "--state names one file but the script has %d INSERT jobs; SET 'state.path' before each INSERT "
                                  "(or --state none)", njobs);
            return -1;
        }
        if (njobs == 1) path = o->state;
    }
    char def[1100];
    if (!path) {
        snprintf(def, sizeof def, "%.1000s.db", name);
        path = def;
    }
    if (strcmp(path, "none") == 0) return 0;
    if (eddy_job_open_state(j, path, reset_job(o, name), err, errlen)) return -1;
    if (eddy_job_resumed(j) && (eddy_job_parallelism(j, NULL, 0) > 1 || o->group)) {
        fprintf(stderr, "eddy: job '%s' resumes from %s.d/ (a state file per task)\n", eddy_plan_name(p), path);
    } else if (eddy_job_resumed(j)) {
        eddy_job_stats st;
        eddy_job_get_stats(j, &st);
        fprintf(stderr, "eddy: job '%s' resumes from %s (%lld state rows loaded in %.1f ms)\n", eddy_plan_name(p), path,
                st.restored_rows, (double)st.restore_us / 1000.0);
    }
    return 0;
}

/* --reset-state and --reset-job against the script's jobs: a bare
 * --reset-state only for a script of one job (it would reset every job's
 * state, and re-emit what the others had written); every --reset-job name
 * one of them. */
static int check_resets(const RunOpts *o, const JobThread *jobs, int nt, int ninserts, char *err, size_t errlen)
{
    StrBuf names = {0};
    for (int t = 0; t < nt; t++)
        if (jobs[t].insert) sb_printf(&names, "%s%s", names.len ? ", " : "", jobs[t].name);
    int rc = 0;
    if (o->reset && ninserts > 1) {
        snprintf(err, errlen, "--reset-state would reset all %d INSERT jobs (%s); name the ones to reset with --reset-job NAME "
                              "(or --reset-job all)", ninserts, names.s);
        rc = -1;
    }
    for (int i = 0; i < o->reset_jobs.n && !rc; i++) {
        bool found = strcmp(o->reset_jobs.v[i], "all") == 0;
        for (int t = 0; t < nt && !found; t++) found = jobs[t].insert && strcmp(jobs[t].name, o->reset_jobs.v[i]) == 0;
        if (!found) {
            snprintf(err, errlen, "--reset-job %s: the script has no such job; its INSERT jobs are %s", o->reset_jobs.v[i],
                     names.len ? names.s : "none");
            rc = -1;
        }
    }
    sb_free(&names);
    return rc;
}

/* "1,234,567" */
static const char *grouped(char *buf, size_t cap, long long v)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t n = strlen(raw), o = 0;
    if (v < 0) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = 0;
    return buf;
}

/* One job's status: "orders_summary: 12,345 rec/s, lag 0, checkpoint 3 s ago, skipped 0". */
static void status_line(const JobThread *t, const eddy_job_metrics *m, double rate, char *buf, size_t cap)
{
    char a[32], b[32], ck[64] = "no checkpoint yet";
    long long now = wall_ms();
    if (m->last_checkpoint_ms)
        snprintf(ck, sizeof ck, "checkpoint %.0f s ago", now > m->last_checkpoint_ms ? (double)(now - m->last_checkpoint_ms) / 1000.0 : 0.0);
    int at = snprintf(buf, cap, "%s: %s records/s, %s in, lag %s, %s, skipped %lld", t->name, grouped(a, sizeof a, (long long)(rate + 0.5)),
                      grouped(b, sizeof b, m->records_in), m->lag >= 0 ? grouped((char[32]){0}, 32, m->lag) : "?", ck, m->skipped);
    if (m->tasks && at > 0 && (size_t)at < cap)
        at += snprintf(buf + at, cap - (size_t)at, ", %d tasks on %d threads", m->tasks, m->workers);
    if (m->late && at > 0 && (size_t)at < cap) at += snprintf(buf + at, cap - (size_t)at, ", late %lld", m->late);
    if (m->latency_p99_ms >= 0 && at > 0 && (size_t)at < cap)
        at += snprintf(buf + at, cap - (size_t)at, ", p99 latency %.0f ms", m->latency_p99_ms);
    if (!m->broker_up && at > 0 && (size_t)at < cap)
        snprintf(buf + at, cap - (size_t)at, ", BROKER UNREACHABLE for %.0f s: %s",
                 now > m->broker_down_ms ? (double)(now - m->broker_down_ms) / 1000.0 : 0.0, m->broker_error);
}

/* Waits until every job has ended (or a stop was asked for and they end),
 * printing a status line per job every `every` seconds when asked: on a
 * terminal one line rewritten in place, else timestamped lines. */
static void watch_jobs(JobThread *threads, int nt, bool progress, bool tty, int64_t every)
{
    long long *last_in = calloc((size_t)nt + 1, sizeof *last_in);
    if (!last_in) abort();
    double last = mono_s();
    bool drawn = false;
    pthread_once(&ended_once, ended_init);
    for (;;) {
        /* Done flags are set under ended_mu: one set after this look wakes the wait. */
        pthread_mutex_lock(&ended_mu);
        bool all_done = true;
        for (int i = 0; i < nt; i++) all_done = all_done && __atomic_load_n(&threads[i].done, __ATOMIC_ACQUIRE);
        if (!all_done) {
            struct timespec dl;
            clock_gettime(CLOCK_MONOTONIC, &dl);
            dl.tv_nsec += 100 * 1000000;
            if (dl.tv_nsec >= 1000000000) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&ended_cv, &ended_mu, &dl);
        }
        pthread_mutex_unlock(&ended_mu);
        if (all_done) break;
        double now = mono_s();
        if (!progress || stop_flag || now - last < (double)every) continue;
        double dt = now - last;
        last = now;
        for (int i = 0; i < nt; i++) {
            if (__atomic_load_n(&threads[i].done, __ATOMIC_ACQUIRE)) continue;
            eddy_job_metrics m;
            if (eddy_job_get_metrics(threads[i].job, &m) != EDDY_OK || !m.snapshot_ms) continue;
            char line[512];
            status_line(&threads[i], &m, (double)(m.records_in - last_in[i]) / dt, line, sizeof line);
            last_in[i] = m.records_in;
            if (tty) {
                fprintf(stderr, "\r\033[K%s%s", line, nt > 1 && i + 1 < nt ? "\n" : "");
                drawn = true;
            } else {
                char when[32];
                time_t t = time(NULL);
                struct tm tm;
                localtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                fprintf(stderr, "%s eddy: %s\n", when, line);
            }
        }
        if (tty && nt > 1) fprintf(stderr, "\033[%dA", nt - 1);   /* back to the first job's line */
        fflush(stderr);
    }
    if (drawn) fprintf(stderr, "\r\033[K");   /* the next message starts on a clean line */
    if (drawn && nt > 1) fprintf(stderr, "\033[J");
    free(last_in);
}

/* Compiles sql for `par` worker threads: SET 'parallelism.default' first
 * (the planner cuts plans into stages for it; a script's own SET of the key
 * comes later and wins), then the script. */
static int compile_parallel(eddy_engine *e, int par, const char *sql, size_t len, const char *name, eddy_script **s)
{
    char setpar[96];
    snprintf(setpar, sizeof setpar, "SET 'parallelism.default' = '%d';", par);
    eddy_script *ps = NULL;
    if (eddy_compile(e, setpar, strlen(setpar), "<--parallelism>", &ps)) return -1;
    eddy_script_free(ps);
    return eddy_compile(e, sql, len, name, s);
}

/* Compiles sql and runs its queries until stopped.  Returns the exit status. */
static int run_script(const char *sql, size_t len, const char *name, const char *bootstrap, const RunOpts *o, bool quiet)
{
    bool bounded = o->bounded;
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    if (eddy_engine_set_registry(e, o->registry) != EDDY_OK) {
        fprintf(stderr, "eddy: schema registry '%s' is not an http:// or https:// URL\n", o->registry);
        eddy_engine_free(e);
        return 2;
    }
    /* The worker threads: --parallelism, else $EDDY_PARALLELISM, else 1.
     * The planner reads them as 'parallelism.default' (it cuts the plan into
     * stages for them); a script's own SET of that key wins.  Not every core
     * by default (yet): measured on 2 cores (bench/README.md), two threads
     * ran GROUP BY user_id at 0.40x and the reference job at 0.70x the speed
     * of one job, so the default would slow jobs down. */
    int par = o->parallelism > 0 ? (int)o->parallelism : 1;
    const char *env = getenv("EDDY_PARALLELISM");
    if (o->parallelism <= 0 && env && *env) {   /* the default when --parallelism is not given */
        char *end;
        long v = strtol(env, &end, 10);
        if (*end || v < 1 || v > 1024) {
            fprintf(stderr, "eddy: EDDY_PARALLELISM='%s' is not a number of worker threads from 1 to 1024\n", env);
            eddy_engine_free(e);
            return 2;
        }
        par = (int)v;
    }
    if (o->group && o->state && strcmp(o->state, "none") == 0) {
        fprintf(stderr, "eddy: --group: a job shared by a group moves its tasks' state between processes: not with --state none\n");
        eddy_engine_free(e);
        return 2;
    }
    if (o->group && (o->bounded || o->reset || o->reset_jobs.n)) {
        fprintf(stderr, "eddy: --group: a job shared by a group runs until stopped, and its state lives in its changelog topics too: "
                        "not with %s\n", o->bounded ? "--bounded" : o->reset ? "--reset-state (start the job over under another name)"
                                                                              : "--reset-job (start the job over under another name)");
        eddy_engine_free(e);
        return 2;
    }
    /* A job shared by a group runs as tasks even on one thread: the planner cuts its stages as for two. */
    int rc = compile_parallel(e, o->group && par < 2 ? 2 : par, sql, len, name, &s);
    if (rc && par > 1 && o->parallelism <= 0 && !(env && *env)) {
        /* Every core is only the default: a script the planner cannot cut
         * into stages yet runs as before, one job per INSERT, saying why. */
        eddy_engine *e1 = eddy_engine_new();
        eddy_engine_set_registry(e1, o->registry);
        if (compile_parallel(e1, 1, sql, len, name, &s) == 0) {
            const char *why = eddy_errtext(e);
            size_t wl = strcspn(why, "\n");
            fprintf(stderr, "eddy: runs each job on one thread (parallelism 1): %.*s\n", (int)(wl < 600 ? wl : 600), why);
            eddy_engine_free(e);
            e = e1;
            par = 1;
            rc = 0;
        } else {
            eddy_engine_free(e);   /* the errors a run with parallelism 1 has: those to show */
            e = e1;
        }
    }
    if (rc) {
        fputs(eddy_errtext(e), stderr);
        eddy_engine_free(e);
        return 1;
    }
    eddy_monitor *mon = NULL;
    if (o->http) {
        char merr[512];
        if (eddy_monitor_start(o->http, &mon, merr, sizeof merr)) {
            fprintf(stderr, "eddy: --http: %s\n", merr);
            eddy_script_free(s);
            eddy_engine_free(e);
            return 2;
        }
        fprintf(stderr, "eddy: serving %s (metrics at %smetrics, health at %shealthz, jobs at %sjobs)\n", eddy_monitor_url(mon),
                eddy_monitor_url(mon), eddy_monitor_url(mon), eddy_monitor_url(mon));
    }
    int n = eddy_script_count(s), nt = 0, ninserts = 0;
    for (int i = 0; i < n; i++) ninserts += eddy_script_kind(s, i) == EDDY_STMT_INSERT;
    JobThread *threads = calloc((size_t)n + 1, sizeof *threads);
    if (!threads) abort();
    int status = 0;
    /* Every job is made and its state opened and checked before any starts:
     * a refused state file stops the script before a job has written. */
    for (int i = 0; i < n && !status; i++) {
        eddy_stmt_kind k = eddy_script_kind(s, i);
        const char *out = eddy_script_output(s, i);
        if (out && k != EDDY_STMT_EXPLAIN && !quiet) fputs(out, stdout);
        if (k == EDDY_STMT_EXPLAIN) fputs(out, stdout);
        if (k != EDDY_STMT_INSERT && k != EDDY_STMT_SELECT) continue;
        char err[2048];
        const eddy_plan *plan = eddy_script_plan(s, i);
        int jpar = par;
        const char *ps_set = eddy_plan_setting(plan, "parallelism.default");
        if (ps_set && atoi(ps_set) > 0) jpar = atoi(ps_set);
        eddy_job_options jo = {.on_change = k == EDDY_STMT_SELECT ? print_change : NULL, .on_notice = cmd_notice_stderr,
                               .bounded = bounded, .on_print = cmd_print_line, .parallelism = k == EDDY_STMT_INSERT ? jpar : 1};
        if (o->group && k == EDDY_STMT_INSERT) {
            jo.group = o->group;
            jo.group_session_ms = (int)o->session_ms;
            jo.parallelism = par;   /* (the threads asked for, not the planner's 2) */
        }
        eddy_job *j = eddy_job_new(plan, &jo, err, sizeof err);
        if (!j) {
            fprintf(stderr, "%s:%d: error: %s\n", name, eddy_script_line(s, i), err);
            status = 1;
            break;
        }
        /* Jobs are named after their sink; a second job into the same table
         * gets a suffix, so that each has its own default state file. */
        char jname[600];
        snprintf(jname, sizeof jname, "%.500s", eddy_plan_name(eddy_script_plan(s, i)));
        for (int dup = 2, again = 1; again && k == EDDY_STMT_INSERT; dup++) {
            again = 0;
            for (int t = 0; t < nt; t++)
                if (strcmp(threads[t].name, jname) == 0) again = 1;
            if (again) snprintf(jname, sizeof jname, "%.500s_%d", eddy_plan_name(eddy_script_plan(s, i)), dup);
        }
        snprintf(threads[nt].name, sizeof threads[nt].name, "%s", jname);
        char why[300];
        if (k == EDDY_STMT_INSERT && jpar > 1 && eddy_job_parallelism(j, why, sizeof why) == 1 && o->parallelism > 1 && !quiet)
            fprintf(stderr, "eddy: job '%s' runs as one job on one thread: %s\n", jname, why);
        threads[nt].job = j;
        threads[nt].plan = plan;
        if (mon) eddy_monitor_add_job(mon, j, jname, 0);
        threads[nt].bootstrap = bootstrap;
        threads[nt].insert = k == EDDY_STMT_INSERT;
        threads[nt].line = eddy_script_line(s, i);
        nt++;
    }
    char err[2048];
    if (!status && check_resets(o, threads, nt, ninserts, err, sizeof err)) {
        fprintf(stderr, "eddy: %s\n", err);
        status = 1;
    }
    for (int t = 0; t < nt && !status; t++) {
        if (threads[t].insert && open_state(threads[t].job, threads[t].plan, threads[t].name, o, ninserts, err, sizeof err)) {
            fprintf(stderr, "%s:%d: error: %s\n", name, threads[t].line, err);
            status = 1;
        }
    }
    int started = 0;
    for (int t = 0; t < nt && !status; t++, started++) {
        if (!quiet) fprintf(stderr, "eddy: started job '%s' (%s:%d)\n", eddy_plan_name(threads[t].plan), name, threads[t].line);
        pthread_create(&threads[t].tid, NULL, job_thread, &threads[t]);
    }
    if (status) stop_flag = 1;
    bool tty = isatty(STDERR_FILENO);
    bool progress = !quiet && !o->no_progress && (o->progress || tty);
    watch_jobs(threads, started, progress, tty, o->every > 0 ? o->every : 5);   /* the jobs that started */
    for (int i = 0; i < nt; i++) {
        if (i >= started) {   /* never started: a job before it could not */
            eddy_job_free(threads[i].job);
            continue;
        }
        pthread_join(threads[i].tid, NULL);
        const char *jn = eddy_plan_name(threads[i].plan);
        if (threads[i].rc) {
            fprintf(stderr, "eddy: job '%s' failed: %s\n", jn, eddy_job_errmsg(threads[i].job));
            status = 1;
        } else if (!quiet) {
            eddy_job_stats st;
            eddy_job_get_stats(threads[i].job, &st);
            /* a run that read all it was to read (bounded, a table scan) "finished"; a stopped one "stopped" */
            eddy_job_metrics m;
            bool fin = eddy_job_get_metrics(threads[i].job, &m) == EDDY_OK && strcmp(m.state, "FINISHED") == 0;
            fprintf(stderr, "eddy: job '%s' %s: %lld records in, %lld changes out, %lld records written, %lld malformed skipped, %lld late\n",
                    jn, fin && !stop_flag ? "finished" : "stopped", st.records_in, st.rows_out, st.records_out, st.skipped, st.late);
            /* what each stateful operator still holds (bench/ reads it: bytes per kept row) */
            for (int k = 0; k < eddy_job_operator_count(threads[i].job); k++) {
                eddy_operator_stats os;
                if (eddy_job_operator_stats(threads[i].job, k, &os) == EDDY_OK && os.state_keys > 0)
                    fprintf(stderr, "eddy: job '%s' state at stop: %s %lld keys, %lld bytes\n", jn, os.name, os.state_keys, os.state_bytes);
            }
        }
        eddy_job_free(threads[i].job);
    }
    free(threads);
    eddy_monitor_free(mon);
    eddy_script_free(s);
    eddy_engine_free(e);
    return status;
}

int cmd_run(int argc, char **argv)
{
    RunOpts o = {0};
    FlagArgs args;
    int rc = flags_parse(&run_cmd, &o, argc, argv, &args);
    if (rc >= 0) {
        free(o.reset_jobs.v);
        return rc;
    }
    const char *path = args.v[0];
    size_t len;
    char *sql = cmd_read_script(&run_cmd, path, &len);
    if (!sql) {
        free(o.reset_jobs.v);
        return 1;
    }
    install_signals();
    int status = run_script(sql, len, path, o.bootstrap, &o, false);
    free(sql);
    free(o.reset_jobs.v);
    return status;
}

/* ------------------------------------------------------------------ */
/* demo                                                                */

typedef struct DemoOpts {
    int64_t rate;         /* orders per second */
    int64_t seconds;      /* stop after this long (0 = until Ctrl-C) */
    int64_t regions;      /* regions to draw from */
    bool    avro;         /* --avro: Avro and a Schema Registry (sql/orders_avro.sql) */
    const char *http;     /* --http HOST:PORT: the dashboard and metrics */
    const char *postgres; /* --postgres URL: orders_summary into this database too (demo_pg.c) */
} DemoOpts;

static const OptionDef demo_flags[] = {
    {.name = "rate", .type = OPT_INT, .to = {OPT_FIELD(DemoOpts, rate)}, .min = 1, .max = 10000000, .deflt = "2000",
     .metavar = "R", .doc = "orders per second"},
    {.name = "seconds", .type = OPT_INT, .to = {OPT_FIELD(DemoOpts, seconds)}, .min = 0, .max = 1000000000,
     .metavar = "S", .otherwise = "run until Ctrl-C", .doc = "stop after S seconds"},
    {.name = "regions", .type = OPT_INT, .to = {OPT_FIELD(DemoOpts, regions)}, .min = 1, .max = EDDY_GEN_MAX_REGIONS,
     .deflt = FLAG_TEXT(EDDY_GEN_MAX_REGIONS), .metavar = "K", .doc = "number of regions"},
    {.name = "avro", .type = OPT_BOOL, .to = {OPT_FIELD(DemoOpts, avro)},
     .doc = "Avro with a Schema Registry: runs sql/orders_avro.sql"},
    {.name = "http", .type = OPT_STRING, .to = {OPT_FIELD(DemoOpts, http)}, .metavar = "HOST:PORT", .deflt = "127.0.0.1:0",
     .env = "EDDY_HTTP", .doc = "serve the live dashboard at / (and /metrics, /healthz, /jobs); 'none' serves nothing"},
    {.name = "postgres", .type = OPT_STRING, .to = {OPT_FIELD(DemoOpts, postgres)}, .metavar = "URL",
     .doc = "also write orders_summary into the PostgreSQL table orders_summary at URL ('postgresql://…' or a libpq string), "
            "created if missing: psql shows the live per-region table"},
    {0},
};

const CmdSpec demo_cmd = {
    .name = "demo", .flags = demo_flags, .main = cmd_demo,
    .summary = "broker + generator + the reference job + a live table",
    .about = "Starts a development broker, produces reference orders into orders_raw, runs the\n"
             "reference job (sql/orders.sql) and shows orders_summary as a live table.",
};

typedef struct DemoGen {
    eddy_gen   *gen;      /* the generator, or NULL when it could not start */
    int64_t     rate;     /* per second */
    int         rc;       /* eddy_gen_run's result */
    int         done;     /* set (atomically) when it returned */
} DemoGen;

static void *demo_gen_thread(void *arg)
{
    DemoGen *g = arg;
    g->rc = eddy_gen_run(g->gen, (double)g->rate, 0, &stop_flag);
    __atomic_store_n(&g->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

typedef struct DemoRow {
    char    region[32];   /* key */
    int64_t orders;       /* total_orders */
    double  sales;        /* total_sales */
    double  avg;          /* avg_order_value */
    bool    live;         /* not deleted */
} DemoRow;

/* The dashboard's table, filled by a query reading orders_summary. */
typedef struct Dashboard {
    pthread_mutex_t mu;   /* guards the rows */
    DemoRow rows[64];     /* per region, in order of arrival */
    int     nrows;        /* count */
} Dashboard;

/* A change of orders_summary: region, total_orders, total_sales, avg_order_value. */
static void dashboard_change(void *ctx, const eddy_change *c)
{
    Dashboard *d = ctx;
    if (c->ncols < 4 || strcmp(c->kind, "-U") == 0) return;   /* the +U that follows says it all */
    char region[32];
    snprintf(region, sizeof region, "%s", c->values[0] ? c->values[0] : "");
    pthread_mutex_lock(&d->mu);
    int at = -1;
    for (int r = 0; r < d->nrows; r++)
        if (strcmp(d->rows[r].region, region) == 0) at = r;
    if (at < 0 && d->nrows < 64) {
        at = d->nrows++;
        memset(&d->rows[at], 0, sizeof d->rows[at]);
        snprintf(d->rows[at].region, sizeof d->rows[at].region, "%s", region);
    }
    if (at >= 0 && strcmp(c->kind, "-D") == 0) {
        d->rows[at].live = false;
    } else if (at >= 0) {
        d->rows[at].orders = c->values[1] ? strtoll(c->values[1], NULL, 10) : 0;
        d->rows[at].sales = c->values[2] ? strtod(c->values[2], NULL) : 0;
        d->rows[at].avg = c->values[3] ? strtod(c->values[3], NULL) : 0;
        d->rows[at].live = true;
    }
    pthread_mutex_unlock(&d->mu);
}

static int demo_row_cmp(const void *a, const void *b)
{
    return strcmp(((const DemoRow *)a)->region, ((const DemoRow *)b)->region);
}

/* One screen of the demo: where everything is and how fast it goes, then
 * orders_summary by region (sorted).  On a terminal it replaces the last
 * one in place, so the header stays at the top; otherwise a block per
 * second, each with its header. */
static void demo_frame(Dashboard *d, bool tty, const char *bs, const char *reg, const char *dash, long long rate, double prate,
                       long long produced, double rrate, long long read, double el)
{
    const char *eol = tty ? "\033[K\n" : "\n";
    if (tty) fputs("\033[H", stdout);
    printf("eddy demo: broker %s", bs);
    if (reg) printf("; schema registry %s", reg);
    if (dash) printf("; dashboard %s", dash);
    printf("%s", eol);
    printf("orders_raw: %.0f orders/s produced (--rate %lld; %lld in all); the job: %.0f records/s read (%lld in all); %.0f s; "
           "Ctrl-C stops%s%s",
           prate, rate, produced, rrate, read, el, eol, eol);
    printf("%-14s %12s %16s %16s%s", "region", "total_orders", "total_sales", "avg_order_value", eol);
    DemoRow rows[64];
    pthread_mutex_lock(&d->mu);
    int n = d->nrows;
    memcpy(rows, d->rows, sizeof rows[0] * (size_t)n);
    pthread_mutex_unlock(&d->mu);
    qsort(rows, (size_t)n, sizeof rows[0], demo_row_cmp);
    int64_t total = 0;
    for (int r = 0; r < n; r++) {
        if (!rows[r].live) continue;
        printf("%-14s %12lld %16.2f %16.2f%s", rows[r].region, (long long)rows[r].orders, rows[r].sales, rows[r].avg, eol);
        total += rows[r].orders;
    }
    printf("%-14s %12lld%s", "(all)", (long long)total, eol);
    if (tty) fputs("\033[J", stdout);
    else fputc('\n', stdout);
    fflush(stdout);
}

typedef struct DemoJob {
    eddy_job   *job;      /* the job */
    const char *bootstrap;/* broker */
    bool        stops_all;/* its failure stops the demo */
    bool        own;      /* stopped by own_stop (after the others), not stop_flag */
    volatile int own_stop;
    int         rc;       /* result */
} DemoJob;

static void *demo_job_thread(void *arg)
{
    DemoJob *d = arg;
    d->rc = eddy_job_run(d->job, d->bootstrap, d->own ? &d->own_stop : (volatile int *)&stop_flag);
    if (d->rc && d->stops_all) stop_flag = 1;
    return NULL;
}

/* The first INSERT or SELECT plan of a script, or NULL. */
static const eddy_plan *first_plan(const eddy_script *s)
{
    for (int i = 0; i < eddy_script_count(s); i++)
        if (eddy_script_plan(s, i)) return eddy_script_plan(s, i);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int cmd_demo(int argc, char **argv)
{
    DemoOpts o = {0};
    FlagArgs args;
    int prc = flags_parse(&demo_cmd, &o, argc, argv, &args);
    if (prc >= 0) return prc;
    char err[512];
    install_signals();
    eddy_broker *b;
    if (eddy_broker_start(1, 4, &b, err, sizeof err)) {
        fprintf(stderr, "eddy demo: cannot start the development broker: %s\n", err);
        return 1;
    }
    const char *bs = eddy_broker_bootstrap(b);
    eddy_broker_create_topic(b, "orders_raw", 8, err, sizeof err);
    eddy_broker_create_topic(b, "orders_summary", 4, err, sizeof err);
    eddy_registry *rs = NULL;
    const char *reg = NULL;
    if (o.avro) {
        if (eddy_registry_start(NULL, &rs, err, sizeof err)) {
            fprintf(stderr, "eddy demo: cannot start the schema registry: %s\n", err);
            eddy_broker_free(b);
            return 1;
        }
        reg = eddy_registry_url(rs);
    }
    const char *sqlname = o.avro ? "sql/orders_avro.sql" : "sql/orders.sql";
    const char *sqltext = o.avro ? eddy_reference_avro_sql : eddy_reference_sql;
    bool tty = isatty(STDOUT_FILENO);
    printf("eddy demo: development broker at %s; producing %lld orders/s into orders_raw%s; running %s\n", bs,
           (long long)o.rate, o.avro ? " as Avro" : "", sqlname);
    if (o.avro) printf("eddy demo: schema registry at %s\n", reg);
    fflush(stdout);

    /* The generator first: with --avro, orders_raw is known from the
     * registry only once its value schema is registered (with the first
     * order). */
    char gen_err[512] = "";
    DemoGen g = {.rate = o.rate};
    g.gen = eddy_gen_new(bs, "orders_raw", o.avro ? "avro-confluent" : "json", reg, 42, EDDY_GEN_DEFAULT_USERS, (int)o.regions, gen_err, sizeof gen_err);
    pthread_t gt, jt, dt;
    if (g.gen) pthread_create(&gt, NULL, demo_gen_thread, &g);
    for (int i = 0; o.avro && g.gen && i < 100 && !stop_flag; i++) {
        if (eddy_gen_produced(g.gen) > 0 || __atomic_load_n(&g.done, __ATOMIC_ACQUIRE)) break;
        sleep_ms(100);
    }

    /* The reference job, and the dashboard: a query reading orders_summary
     * as any consumer of the topic would. */
    eddy_engine *e = eddy_engine_new();
    eddy_engine_set_registry(e, reg);
    eddy_script *s = NULL, *ds = NULL;
    static const char dash_sql[] = "SELECT region, total_orders, total_sales, avg_order_value FROM orders_summary;";
    eddy_job *job = NULL, *dash = NULL;
    int status = 0;
    if (eddy_compile(e, sqltext, strlen(sqltext), sqlname, &s) || eddy_compile(e, dash_sql, strlen(dash_sql), "<dashboard>", &ds)) {
        fputs(eddy_errtext(e), stderr);
        status = 1;
    } else {
        eddy_job_options jo = {.on_notice = cmd_notice_stderr};
        job = eddy_job_new(first_plan(s), &jo, err, sizeof err);
        if (!job) fprintf(stderr, "eddy demo: %s\n", err);
        status = !job;
    }
    Dashboard d = {.nrows = 0};
    pthread_mutex_init(&d.mu, NULL);
    if (!status) {
        eddy_job_options dopts = {.on_change = dashboard_change, .ctx = &d, .per_record = 1};
        dash = eddy_job_new(first_plan(ds), &dopts, err, sizeof err);
    }
    if (status) {
        stop_flag = 1;
        if (g.gen) pthread_join(gt, NULL);
        eddy_gen_free(g.gen);
        eddy_script_free(s);
        eddy_script_free(ds);
        eddy_engine_free(e);
        pthread_mutex_destroy(&d.mu);
        eddy_registry_free(rs);
        eddy_broker_free(b);
        return 1;
    }
    eddy_monitor *mon = NULL;
    if (o.http && strcmp(o.http, "none") != 0) {
        if (eddy_monitor_start(o.http, &mon, err, sizeof err)) fprintf(stderr, "eddy demo: --http: %s\n", err);
        else eddy_monitor_add_job(mon, job, NULL, 1);
    }
    if (mon) {
        printf("eddy demo: live dashboard at %s (Prometheus metrics at %smetrics)\n", eddy_monitor_url(mon), eddy_monitor_url(mon));
        fflush(stdout);
    }
    eddy_script *ps = NULL;   /* --postgres: the results into PostgreSQL too */
    DemoJob dp = {.bootstrap = bs, .stops_all = true, .own = true};
    pthread_t pt;
    if (o.postgres && demo_pg_job(e, o.postgres, &ps, &dp.job, err, sizeof err)) {
        fprintf(stderr, "eddy demo: --postgres: %s\n", err);
        stop_flag = 1;
        status = 1;
    }
    if (dp.job) {
        pthread_create(&pt, NULL, demo_job_thread, &dp);
        printf("eddy demo: orders_summary also in PostgreSQL: psql '%s' -c 'SELECT * FROM orders_summary ORDER BY region'\n",
               strncmp(o.postgres, "jdbc:", 5) == 0 ? o.postgres + 5 : o.postgres);
        fflush(stdout);
    }
    DemoJob dj = {.job = job, .bootstrap = bs, .stops_all = true}, dd = {.job = dash, .bootstrap = bs};
    pthread_create(&jt, NULL, demo_job_thread, &dj);
    if (dash) pthread_create(&dt, NULL, demo_job_thread, &dd);

    double t0 = mono_s(), last = t0;
    long long last_produced = 0, last_read = 0;
    bool first = true;
    while (!stop_flag) {
        sleep_ms(100);
        double el = mono_s() - t0, dt = mono_s() - last;
        if (first || dt >= 1.0) {
            first = false;
            last = mono_s();
            long long produced = g.gen ? eddy_gen_produced(g.gen) : 0;
            eddy_job_stats js;
            eddy_job_get_stats(job, &js);
            double prate = dt > 0 ? (double)(produced - last_produced) / dt : 0;
            double rrate = dt > 0 ? (double)(js.records_in - last_read) / dt : 0;
            last_produced = produced;
            last_read = js.records_in;
            demo_frame(&d, tty, bs, reg, mon ? eddy_monitor_url(mon) : NULL, o.rate, prate, produced, rrate, js.records_in, el);
        }
        if (o.seconds && el >= (double)o.seconds) stop_flag = 1;
    }
    stop_flag = 1;
    if (g.gen) pthread_join(gt, NULL);
    pthread_join(jt, NULL);
    if (dash) pthread_join(dt, NULL);
    /* the PostgreSQL job stops once it has read the reference job's last results (lag 0, or 10 s) */
    for (int i = 0; dp.job && i < 100; i++) {
        long long lag;
        if (eddy_job_lag(dp.job, &lag) == EDDY_OK && lag == 0) break;
        sleep_ms(100);
    }
    dp.own_stop = 1;
    if (dp.job) pthread_join(pt, NULL);
    if (dp.rc) {
        fprintf(stderr, "eddy demo: the PostgreSQL job failed: %s\n", eddy_job_errmsg(dp.job));
        status = 1;
    }
    eddy_job_free(dp.job);
    eddy_script_free(ps);
    if (dj.rc) {
        fprintf(stderr, "eddy demo: the job failed: %s\n", eddy_job_errmsg(job));
        status = 1;
    }
    long long produced = g.gen ? eddy_gen_produced(g.gen) : 0;
    const char *gerr = g.gen ? eddy_gen_errmsg(g.gen) : gen_err;
    if (gerr[0] && !produced) {
        fprintf(stderr, "eddy demo: the generator failed: %s\n", gerr);
        status = 1;
    }
    eddy_job_stats st;
    eddy_job_get_stats(job, &st);
    printf("eddy demo: stopped after %lld orders; the job read %lld records and wrote %lld\n", produced, st.records_in,
           st.records_out);
    eddy_job_free(dash);
    eddy_job_free(job);
    eddy_monitor_free(mon);
    pthread_mutex_destroy(&d.mu);
    eddy_gen_free(g.gen);
    eddy_script_free(ds);
    eddy_script_free(s);
    eddy_engine_free(e);
    eddy_registry_free(rs);
    eddy_broker_free(b);
    return status;
}
