/*
 * job_api.c — the public job API (eddy_job_* in include/eddy.h) over the
 * executor (exec.h): in-memory push/flush and the Kafka run loop, changes
 * turned into printed values for callers, the state file, stopping, the
 * job's counters and its lag behind the source topics.
 *
 * What does not live here: compiling and plan facts (sql/engine.c), the
 * development broker, registry and generator (dev_api.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eddy.h"
#include "clock.h"
#include "exec.h"
#include "kafka_driver.h"
#include "kafka_tasks.h"
#include "stack.h"
#include "metrics.h"
#include "monitor.h"
#include "stage_mem.h"

struct eddy_job {
    Job             *job;     /* the executor's job */
    eddy_job_options opts;    /* caller's options */
    char             err[1024]; /* failure message for eddy_job_new, or the last misuse */
    char           **opdesc;  /* per operator: its EXPLAIN line without changelog (for eddy_job_operator_stats) */
    volatile sig_atomic_t own_stop;  /* eddy_job_stop's flag, watched by a run given no *stop */
    volatile sig_atomic_t *watch;    /* the flag the current run watches, or NULL between runs */
    char            *bootstrap;      /* the run's bootstrap (copied), for eddy_job_lag; NULL = the plan's */
    int              lag_ok;         /* set (atomically) once start_sum is known */
    long long        start_sum;      /* sum over source partitions of the offset the run started at */
    eddy_monitor    *mon;            /* the monitor showing the job, or NULL (monitor.c) */
    SinkView        *view;           /* the sink table as the monitor's dashboard shows it, or NULL */
    int64_t         *gen_pos;        /* eddy_job_generate: per source, the rows it emitted (NULL until called) */
    bool            *gen_done;       /* per source: it has ended */
    int              workers;        /* over Kafka, run as tasks on this many threads (kafka_tasks.c); 0 = one job */
    char             why_one[300];   /* parallelism asked for but the plan runs as one job: why */
    char            *group;          /* eddy_job_options.group (owned), or NULL */
    char            *task_dir;       /* run as tasks: the tasks' state directory (STATE.d), NULL = no state */
    bool             task_reset;     /* their state files are emptied when the run starts */
    bool             task_resumed;   /* the directory held task state files */
    StageRun        *staged;         /* a plan cut into stages (parallelism.default > 1): push, flush, clock and the final
                                        watermark run its stages in memory (stage_mem.c), `job` then serves the rest */
};

static void print_cb(void *ctx, const char *line, bool to_stderr)
{
    eddy_job *ej = ctx;
    ej->opts.on_print(ej->opts.ctx, line, to_stderr);
}

static void change_cb(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table)
{
    eddy_job *ej = ctx;
    if (!ej->opts.on_change && !ej->view) return;
    const TimeZone *tz = ej->job->plan->config.local_tz;
    StrBuf text = {0}, vals = {0};
    size_t *offs = calloc((size_t)ncols + 1, sizeof *offs);
    const char **names = calloc((size_t)ncols + 1, sizeof *names);
    const char **values = calloc((size_t)ncols + 1, sizeof *values);
    if (!offs || !names || !values) abort();
    sb_printf(&text, "%s[", rowkind_str(k));
    for (int i = 0; i < ncols; i++) {
        names[i] = cols[i].name;
        size_t before = vals.len;
        value_print_tz(&vals, cols[i].type, &row[i], tz);
        sb_putc(&vals, 0);
        offs[i] = before;
        if (i) sb_puts(&text, ", ");
        value_print_tz(&text, cols[i].type, &row[i], tz);
    }
    sb_putc(&text, ']');
    for (int i = 0; i < ncols; i++) values[i] = row[i].null ? NULL : vals.s + offs[i];
    eddy_change c = {rowkind_str(k), ncols, names, values, text.s, table};
    if (ej->view) sink_view_apply(ej->view, &c);
    if (ej->opts.on_change) ej->opts.on_change(ej->opts.ctx, &c);
    sb_free(&text);
    sb_free(&vals);
    free(offs);
    free(names);
    free(values);
}

static eddy_job *job_new_here(const eddy_plan *p, const eddy_job_options *o, char *err, size_t errlen);

typedef struct NewCall {
    const eddy_plan *p;
    const eddy_job_options *o;
    char   *err;
    size_t  errlen;
    eddy_job *j;
} NewCall;

static void new_call(void *arg)
{
    NewCall *c = arg;
    c->j = job_new_here(c->p, c->o, c->err, c->errlen);
}

/* On a stack of its own (stack.h), as eddy_compile: describing operators
 * recurses as deep as their expressions nest. */
eddy_job *eddy_job_new(const eddy_plan *p, const eddy_job_options *o, char *err, size_t errlen)
{
    NewCall c = {p, o, err, errlen, NULL};
    stack_run_big(new_call, &c);
    return c.j;
}

/* A stage's task job gets the job's callbacks and modes (stage_mem.c). */
static void stage_setup(Job *t, void *ctx)
{
    eddy_job *ej = ctx;
    t->on_row = change_cb;
    t->row_ctx = ej;
    t->per_record = ej->job->per_record;
    t->bounded = ej->job->bounded;
    t->open_end = ej->job->open_end;
    t->print = ej->job->print;
    t->print_ctx = ej->job->print_ctx;
    t->notice = ej->job->notice;
    t->notice_ctx = ej->job->notice_ctx;
}

static eddy_job *job_new_here(const eddy_plan *p, const eddy_job_options *o, char *err, size_t errlen)
{
    if (!p) {
        if (err) snprintf(err, errlen, "no plan");
        return NULL;
    }
    eddy_job *ej = calloc(1, sizeof *ej);
    if (!ej) return NULL;
    if (o) ej->opts = *o;
    ej->job = job_new((const Plan *)p, ej->err, sizeof ej->err);
    if (!ej->job) {
        if (err) snprintf(err, errlen, "%s", ej->err);
        free(ej);
        return NULL;
    }
    Job *j = ej->job;
    j->on_row = change_cb;
    j->row_ctx = ej;
    j->per_record = ej->opts.per_record != 0;
    j->bounded = ej->opts.bounded != 0;
    j->open_end = ej->opts.open_end != 0;
    if (ej->opts.on_print) j->print = print_cb, j->print_ctx = ej;
    if (ej->opts.parallelism > 1 && tasks_eligible(j->plan, ej->why_one, sizeof ej->why_one)) ej->workers = ej->opts.parallelism;
    if (ej->opts.group && *ej->opts.group) {   /* several processes: always as tasks */
        const char *why = NULL;
        if (ej->opts.bounded) why = "a job shared by a group runs until stopped (no bounded run)";
        else if (!tasks_eligible(j->plan, ej->why_one, sizeof ej->why_one)) why = ej->why_one;
        if (why) {
            if (err) snprintf(err, errlen, "group '%s': the job cannot be shared: %s", ej->opts.group, why);
            job_free(j);
            free(ej);
            return NULL;
        }
        ej->workers = ej->opts.parallelism > 1 ? ej->opts.parallelism : 1;
        ej->group = str_dup(ej->opts.group);
        ej->opts.group = ej->group;
    }
    j->notice = ej->opts.on_notice;
    j->notice_ctx = ej->opts.ctx;
    if (j->plan->nstages > 1) {   /* in memory, every stage as tasks */
        ej->staged = stagerun_new(j->plan, (int)j->plan->config.parallelism, stage_setup, ej, ej->err, sizeof ej->err);
        if (!ej->staged) {
            if (err) snprintf(err, errlen, "%s", ej->err);
            job_free(j);
            free(ej);
            return NULL;
        }
    }
    ej->opdesc = calloc((size_t)j->nops + 1, sizeof *ej->opdesc);
    if (!ej->opdesc) abort();
    for (int i = 0; i < j->nops; i++) {
        StrBuf d = {0};
        explain_node(j->ops[i].node, false, &d);
        ej->opdesc[i] = sb_take(&d);
    }
    return ej;
}

typedef struct OpenCall {
    Job        *job;
    const char *path;
    bool        reset;
    char       *err;
    size_t      errlen;
    int         rc;
} OpenCall;

static void open_call(void *arg)
{
    OpenCall *c = arg;
    c->rc = job_open_state(c->job, c->path, c->reset, c->err, c->errlen);
}

int eddy_job_open_state(eddy_job *ej, const char *path, int reset, char *err, size_t errlen)
{
    char buf[1024];
    if (!ej || !path) {
        if (err) snprintf(err, errlen, "no job or no state file path");
        return EDDY_EMISUSE;
    }
    if (ej->job->state) {   /* a second store would leak the first, and its lock */
        if (err) snprintf(err, errlen, "the job has a state file already");
        return EDDY_EMISUSE;
    }
    if (ej->workers) {   /* run as tasks: a state file per task in PATH.d (kafka_tasks.c) */
        if (ej->group && reset) {
            if (err) snprintf(err, errlen, "group '%s': a reset cannot empty the job's state changelog topics, from which its tasks would "
                                           "restore the old state: start the job over under another name", ej->group);
            return EDDY_EMISUSE;
        }
        if (ej->task_dir) {
            if (err) snprintf(err, errlen, "the job has a state directory already");
            return EDDY_EMISUSE;
        }
        StrBuf dir = {0};
        sb_printf(&dir, "%s.d", path);
        struct stat st;
        if (!reset && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            if (err) snprintf(err, errlen, "state file %s holds the state of this job run as one task (parallelism 1), but this run is parallel "
                                           "and keeps its tasks' state in %s/: run it with parallelism 1, or start over with a reset", path, dir.s);
            sb_free(&dir);
            return EDDY_ERUNTIME;
        }
        int n = 0;
        if (tasks_state_files(dir.s, reset != 0, &n, buf, sizeof buf)) {
            if (err) snprintf(err, errlen, "%s", buf);
            sb_free(&dir);
            return EDDY_ERUNTIME;
        }
        ej->task_dir = sb_take(&dir);
        ej->task_reset = reset != 0;
        ej->task_resumed = !reset && n > 0;
        return EDDY_OK;
    }
    {   /* one job: a state directory of a parallel run is not this job's state */
        StrBuf dir = {0};
        sb_printf(&dir, "%s.d", path);
        int n = 0;
        struct stat st;
        bool fresh = stat(path, &st) != 0 || st.st_size == 0;
        if (!reset && fresh && tasks_state_files(dir.s, false, &n, buf, sizeof buf) == 0 && n > 0) {
            if (err) snprintf(err, errlen, "%s/ holds the state of this job run as %d task%s (parallelism above 1), but this run is one job "
                                           "with its state in %s: run it in parallel again, or start over with a reset", dir.s, n, n == 1 ? "" : "s", path);
            sb_free(&dir);
            return EDDY_ERUNTIME;
        }
        sb_free(&dir);
    }
    OpenCall c = {ej->job, path, reset != 0, buf, sizeof buf, 0};
    stack_run_big(open_call, &c);   /* fingerprints recurse through expressions */
    if (c.rc == 0) return EDDY_OK;
    if (err) snprintf(err, errlen, "%s", buf);
    return EDDY_ERUNTIME;
}

int eddy_job_resumed(const eddy_job *ej) { return ej->workers ? ej->task_resumed : job_resumed(ej->job); }

int eddy_job_parallelism(const eddy_job *ej, char *why, size_t whylen)
{
    if (why && whylen) snprintf(why, whylen, "%s", ej->workers ? "" : ej->why_one);
    return ej->workers ? ej->workers : 1;
}

/* The table a pushed record belongs to: r->table, or the job's only table
 * when it is NULL.  NULL (and the message in ej->err) when there is none.
 * One table may feed several sources (a UNION of a table with itself). */
static const char *table_of_record(eddy_job *ej, const char *table)
{
    const Plan *p = ej->job->plan;
    int ntables = 0;   /* distinct tables */
    for (int i = 0; i < p->nsources; i++) {
        const char *name = p->sources[i]->table->name;
        if (table && strcmp(name, table) == 0) return name;
        bool seen = false;
        for (int k = 0; k < i && !seen; k++) seen = strcmp(p->sources[k]->table->name, name) == 0;
        ntables += !seen;
    }
    if (!table && ntables == 1) return p->sources[0]->table->name;
    if (!table) {
        snprintf(ej->err, sizeof ej->err, "the job reads %d tables: say which one the record belongs to (eddy_record.table)", ntables);
        return NULL;
    }
    snprintf(ej->err, sizeof ej->err, "the job reads no table '%s'", table);
    return NULL;
}

int eddy_job_push(eddy_job *ej, const eddy_record *r)
{
    if (!ej) return EDDY_EMISUSE;
    ej->err[0] = 0;
    if (!r) {
        snprintf(ej->err, sizeof ej->err, "no record");
        return EDDY_EMISUSE;
    }
    const char *table = table_of_record(ej, r->table);
    if (!table) return EDDY_EMISUSE;
    const Plan *p = ej->job->plan;
    if (ej->staged) {
        RawRecord rec = {.partition = r->partition, .offset = r->offset, .ts = r->timestamp, .key = r->key, .klen = r->key_len,
                         .val = r->value, .vlen = r->value_len, .op = r->op, .oplen = r->op ? strlen(r->op) : 0};
        return stagerun_push(ej->staged, table, &rec) ? EDDY_ERUNTIME : EDDY_OK;
    }
    for (int src = 0; src < p->nsources; src++) {
        if (strcmp(p->sources[src]->table->name, table) != 0) continue;
        RawRecord rec = {
            .topic = p->sources[src]->table->conn.topic,
            .partition = r->partition,
            .offset = r->offset,
            .ts = r->timestamp,
            .key = r->key,
            .klen = r->key_len,
            .val = r->value,
            .vlen = r->value_len,
            .op = r->op,
            .oplen = r->op ? strlen(r->op) : 0,
        };
        /* Every source reading the table gets the record, as the Kafka driver routes it. */
        if (job_push(ej->job, src, &rec, 1)) return EDDY_ERUNTIME;
    }
    return EDDY_OK;
}

int eddy_job_generate(eddy_job *ej, long long max, int *done)
{
    if (done) *done = 1;
    if (!ej || max < 0) return EDDY_EMISUSE;
    Job *j = ej->job;
    if (ej->staged) {
        bool d = true;
        int rc = stagerun_generate(ej->staged, max, &d);
        if (done) *done = d;
        return rc ? EDDY_ERUNTIME : EDDY_OK;
    }
    if (!ej->gen_pos) {
        ej->gen_pos = calloc((size_t)j->nsources + 1, sizeof *ej->gen_pos);
        ej->gen_done = calloc((size_t)j->nsources + 1, sizeof *ej->gen_done);
        if (!ej->gen_pos || !ej->gen_done) abort();
    }
    for (int s = 0; s < j->nsources; s++) {
        /* a source that pulls from a system of its own (a jdbc scan: open hook) is read by eddy_job_run only */
        if (!job_source_pulls(j, s) || j->sources[s]->vt->open || ej->gen_done[s]) continue;
        int64_t step = j->per_record ? 1 : max;
        for (int64_t left = max; left > 0 && !ej->gen_done[s];) {
            int64_t at = ej->gen_pos[s];
            if (job_pull(j, s, &ej->gen_pos[s], step < left ? step : left, &ej->gen_done[s])) return EDDY_ERUNTIME;
            if (ej->gen_pos[s] == at && !ej->gen_done[s]) break;   /* (nothing more now) */
            left -= ej->gen_pos[s] - at;
            if (j->per_record && job_flush(j)) return EDDY_ERUNTIME;
        }
        if (done && !ej->gen_done[s]) *done = 0;
    }
    return EDDY_OK;
}

int eddy_job_flush(eddy_job *ej)
{
    if (!ej) return EDDY_EMISUSE;
    if (ej->staged) return stagerun_flush(ej->staged) ? EDDY_ERUNTIME : EDDY_OK;
    return job_flush(ej->job) ? EDDY_ERUNTIME : EDDY_OK;
}

int eddy_job_set_clock(eddy_job *ej, long long now_ms)
{
    if (!ej) return EDDY_EMISUSE;
    if (ej->staged) return stagerun_set_clock(ej->staged, now_ms) ? EDDY_ERUNTIME : EDDY_OK;
    return job_set_clock(ej->job, now_ms) ? EDDY_ERUNTIME : EDDY_OK;
}

int eddy_job_partitions(eddy_job *ej, const char *table, const int *partitions, int n)
{
    if (!ej) return EDDY_EMISUSE;
    ej->err[0] = 0;
    if (n < 0 || (n > 0 && !partitions)) {
        snprintf(ej->err, sizeof ej->err, "no partitions");
        return EDDY_EMISUSE;
    }
    for (int i = 0; i < n; i++)
        if (partitions[i] < 0) {
            snprintf(ej->err, sizeof ej->err, "partition %d is negative", partitions[i]);
            return EDDY_EMISUSE;
        }
    const char *name = table_of_record(ej, table);
    if (!name) return EDDY_EMISUSE;
    int32_t *parts = calloc((size_t)n + 1, sizeof *parts);
    if (!parts) abort();
    for (int i = 0; i < n; i++) parts[i] = partitions[i];
    const Plan *p = ej->job->plan;
    int rc = EDDY_OK;
    if (ej->staged) {
        rc = stagerun_partitions(ej->staged, name, parts, n) ? EDDY_ERUNTIME : EDDY_OK;
        free(parts);
        return rc;
    }
    for (int src = 0; src < p->nsources && rc == EDDY_OK; src++)
        if (strcmp(p->sources[src]->table->name, name) == 0 && job_source_partitions(ej->job, src, NULL, parts, n))
            rc = EDDY_ERUNTIME;
    free(parts);
    return rc;
}

int eddy_job_final_watermark(eddy_job *ej)
{
    if (!ej) return EDDY_EMISUSE;
    if (ej->staged) return stagerun_final_watermark(ej->staged) ? EDDY_ERUNTIME : EDDY_OK;
    return job_final_watermark(ej->job) ? EDDY_ERUNTIME : EDDY_OK;
}

/* ---- Lag: where the sources start, and where their topics end now ---- */

/* Where the run starts reading, so that lag = Σ end − Σ start − records read. */
static void lag_start(eddy_job *ej)
{
    long long sum;
    if (job_kafka_offset_sum(ej->job, ej->bootstrap, true, &sum)) return;
    ej->start_sum = sum;
    __atomic_store_n(&ej->lag_ok, 1, __ATOMIC_RELEASE);
}

int eddy_job_lag(eddy_job *ej, long long *lag)
{
    if (!ej || !lag) return EDDY_EMISUSE;
    if (ej->workers) {   /* run as tasks: from the snapshot (every task's partitions) */
        MetricsJob mj = {0};
        job_api_metrics_job(ej, &mj);
        JobView v;
        job_view(&mj, wall_ms(), &v);
        job_snap_free(&mj.snap);
        if (v.lag < 0) return EDDY_ERUNTIME;
        *lag = v.lag;
        return EDDY_OK;
    }
    if (!__atomic_load_n(&ej->lag_ok, __ATOMIC_ACQUIRE)) return EDDY_ERUNTIME;
    long long end;
    if (job_kafka_offset_sum(ej->job, ej->bootstrap, false, &end)) return EDDY_ERUNTIME;
    long long l = end - ej->start_sum - __atomic_load_n(&ej->job->stats.records_in, __ATOMIC_RELAXED);
    *lag = l < 0 ? 0 : l;
    return EDDY_OK;
}

/* ---- Running over Kafka, and stopping ---- */

int eddy_job_run(eddy_job *ej, const char *bootstrap, volatile int *stop)
{
    /* sig_atomic_t is int on every platform eddy builds on. */
    _Static_assert(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t is int");
    if (!ej) return EDDY_EMISUSE;
    volatile sig_atomic_t *w = stop ? (volatile sig_atomic_t *)stop : &ej->own_stop;
    __atomic_store_n(&ej->watch, w, __ATOMIC_SEQ_CST);
    /* A stop asked for before the run began still counts (eddy_job_stop
     * sets own_stop first, then looks at watch). */
    if (__atomic_load_n(&ej->own_stop, __ATOMIC_SEQ_CST)) *w = 1;
    __atomic_store_n(&ej->lag_ok, 0, __ATOMIC_RELEASE);   /* each run looks up where it starts */
    free(ej->bootstrap);
    ej->bootstrap = str_dup(bootstrap);
    if (ej->opts.lag && !*w && !ej->workers) lag_start(ej);
    job_snap_phase(ej->job, PHASE_STARTING);
    int rc;
    /* Over Kafka a plan cut into stages runs as tasks (kafka_tasks.c) or
     * whole, as one job: not as the in-memory stages eddy_job_push feeds. */
    stagerun_free(ej->staged);
    ej->staged = NULL;
    if (ej->workers) {   /* as tasks on worker threads; the job shows their sums */
        TaskSet *ts = tasks_new(ej->job, ej->workers, ej->task_dir, ej->task_reset);
        if (ej->group) tasks_set_group(ts, ej->group, ej->opts.group_session_ms);
        rc = tasks_run(ts, bootstrap, w) ? EDDY_ERUNTIME : EDDY_OK;
        tasks_free(ts);
        ej->task_reset = false;   /* (a second run resumes) */
    } else {
        rc = job_run_kafka(ej->job, bootstrap, w) ? EDDY_ERUNTIME : EDDY_OK;
    }
    job_snap_phase(ej->job, rc ? PHASE_FAILED : *w ? PHASE_STOPPED : PHASE_FINISHED);
    __atomic_store_n(&ej->watch, NULL, __ATOMIC_SEQ_CST);
    return rc;
}

void eddy_job_stop(eddy_job *ej)
{
    __atomic_store_n(&ej->own_stop, 1, __ATOMIC_SEQ_CST);
    volatile sig_atomic_t *w = __atomic_load_n(&ej->watch, __ATOMIC_SEQ_CST);
    if (w) *w = 1;
}

/* ---- Counters ---- */

const char *eddy_job_errmsg(const eddy_job *ej)
{
    if (ej->staged && stagerun_errmsg(ej->staged)[0]) return stagerun_errmsg(ej->staged);
    return ej->job->err[0] ? ej->job->err : ej->err;
}

#define LOAD(x) ((long long)__atomic_load_n(&(x), __ATOMIC_RELAXED))

void eddy_job_counts(const eddy_job *ej, long long *in, long long *out, long long *skipped)
{
    if (ej->staged) {
        JobStats s;
        stagerun_stats(ej->staged, &s);
        if (in) *in = s.records_in;
        if (out) *out = s.rows_out;
        if (skipped) *skipped = s.skipped;
        return;
    }
    if (in) *in = LOAD(ej->job->stats.records_in);
    if (out) *out = LOAD(ej->job->stats.rows_out);
    if (skipped) *skipped = LOAD(ej->job->stats.skipped);
}

void eddy_job_get_stats(const eddy_job *ej, eddy_job_stats *out)
{
    if (!ej || !out) return;
    const JobStats *s = &ej->job->stats;
    JobStats staged;
    if (ej->staged) {
        stagerun_stats(ej->staged, &staged);
        s = &staged;
    }
    *out = (eddy_job_stats){
        .records_in = LOAD(s->records_in),
        .rows_out = LOAD(s->rows_out),
        .records_out = LOAD(s->records_out),
        .skipped = LOAD(s->skipped),
        .flushes = LOAD(s->flushes),
        .checkpoints = LOAD(s->checkpoints),
        .checkpoint_last_us = LOAD(s->ckpt_last_us),
        .checkpoint_max_us = LOAD(s->ckpt_max_us),
        .checkpoint_rows = LOAD(s->ckpt_keys),
        .restored_rows = LOAD(s->restored_keys),
        .restore_us = LOAD(s->restore_us),
        .late = LOAD(s->late),
    };
}

int eddy_job_operator_count(const eddy_job *ej) { return ej->job->nops; }

int eddy_job_operator_stats(const eddy_job *ej, int i, eddy_operator_stats *out)
{
    if (!ej || !out || i < 0 || i >= ej->job->nops) return EDDY_EMISUSE;
    const OpState *o = &ej->job->ops[i];
    const OpStats *s = &o->stats;
    *out = (eddy_operator_stats){
        .name = plan_ops[o->node->kind].name,
        .description = ej->opdesc[i],
        .rows_in = LOAD(s->rows_in),
        .rows_out = LOAD(s->rows_out),
        .state_keys = LOAD(s->state_keys),
        .state_bytes = LOAD(s->state_bytes),
        .time_ns = LOAD(s->time_ns),
        .watermark = LOAD(s->watermark),
    };
    return EDDY_OK;
}

/* ---- Metrics: from the snapshot the job's thread publishes ---- */

void job_api_metrics_job(eddy_job *ej, MetricsJob *mj)
{
    mj->plan = ej->job->plan;
    mj->opdesc = ej->opdesc;
    job_snap_copy(ej->job, &mj->snap);
}

void job_api_set_monitor(eddy_job *ej, eddy_monitor *m, SinkView *view)
{
    ej->mon = m;
    ej->view = view;
}

int eddy_job_get_metrics(eddy_job *ej, eddy_job_metrics *out)
{
    if (!ej || !out) return EDDY_EMISUSE;
    MetricsJob mj = {.name = eddy_plan_name((const eddy_plan *)ej->job->plan)};
    job_api_metrics_job(ej, &mj);
    JobView v;
    job_view(&mj, wall_ms(), &v);
    const JobSnap *s = &mj.snap;
    memset(out, 0, sizeof *out);
    out->state = job_phase_names[s->phase];
    out->snapshot_ms = s->taken_ms;
    out->records_in = s->stats.records_in;
    out->changes_out = s->stats.rows_out;
    out->records_out = s->stats.records_out;
    out->skipped = s->stats.skipped;
    out->dead_lettered = s->stats.dead_lettered;
    out->late = s->stats.late;
    out->lag = v.lag;
    out->checkpoints = s->stats.checkpoints;
    out->last_checkpoint_ms = s->ckpt_wall_ms;
    out->broker_up = !s->broker_down;
    out->broker_down_ms = s->broker_down ? s->broker_down_ms : 0;
    snprintf(out->broker_error, sizeof out->broker_error, "%s", s->broker_down ? s->broker_err : "");
    out->latency_p50_ms = v.p50_ms;
    out->latency_p99_ms = v.p99_ms;
    out->sink_errors = s->sink_errors;
    out->sink_records_retried = s->sink_retried;
    out->sink_retries = s->stats.sink_retries;
    out->tasks = s->ntasks;
    out->workers = s->nworkers;
    job_snap_free(&mj.snap);
    return EDDY_OK;
}

char *eddy_job_describe(eddy_job *ej, const char *name, eddy_format f)
{
    if (!ej) return NULL;
    MetricsJob mj = {.name = name ? name : eddy_plan_name((const eddy_plan *)ej->job->plan)};
    job_api_metrics_job(ej, &mj);
    StrBuf out = {0};
    if (f == EDDY_JSON) metrics_json_job(&mj, &out);
    else metrics_text_job(&mj, &out);
    job_snap_free(&mj.snap);
    return sb_take(&out);
}

void eddy_job_free(eddy_job *ej)
{
    if (!ej) return;
    if (ej->mon) monitor_job_gone(ej->mon, ej);   /* keeps its last snapshot */
    for (int i = 0; ej->opdesc && i < ej->job->nops; i++) free(ej->opdesc[i]);
    free(ej->opdesc);
    stagerun_free(ej->staged);
    job_free(ej->job);
    free(ej->bootstrap);
    free(ej->gen_pos);
    free(ej->gen_done);
    free(ej->task_dir);
    free(ej->group);
    free(ej);
}
