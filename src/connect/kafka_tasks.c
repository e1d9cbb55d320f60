/*
 * kafka_tasks.c — a job run as tasks on worker threads (docs/scaling.md).
 *
 * Every stage of the plan (a plan the planner did not cut is one stage:
 * itself) runs as tasks: task t of a stage is a Job of the stage's plan
 * restricted to partition t of each of its input topics (job_set_task),
 * with its own state file STATE_DIR/s<stage>-t<task>.db.  The number of
 * tasks of a stage is the largest partition count of its inputs, asked of
 * the cluster when the run starts.  Tasks are dealt round-robin to N worker
 * threads; each worker steps its tasks' Kafka drivers in turn
 * (driver_step_shared), waiting a little in the poll only when none of
 * them had records, so an idle job does not spin.  As in Kafka Streams, a
 * worker has one consumer and one producer (per stage it runs tasks of:
 * a DriverShare), shared by its tasks: one poll per round, each record
 * dealt to the task of its topic and partition.
 *
 * A worker's task list is guarded by its mutex and read afresh on every
 * round, so tasks can be added to a running worker (worker_add) — what a
 * consumer-group rebalance will do; removing one is stopping its driver
 * (driver_close: a final checkpoint) and taking it off the list.
 *
 * The parent Job (the one the API shows) runs nothing: the caller's thread
 * watches the workers, stops every task when asked or when one fails (the
 * parent's error names the stage and task), and every 250 ms sums the
 * tasks' snapshots into the parent's (publish_parent): counters, partitions,
 * latency, per-operator counters when the plan is one stage, and a TaskSnap
 * per task (stage, task, worker, records, lag).
 *
 * What does not live here: reading and writing Kafka (kafka_driver.c),
 * cutting stages and the exchanges' protocol (the planner, op_exchange.c).
 */
#include "kafka_tasks.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kafka_driver.h"

/* The plan's stages (Plan.stages): a plan the planner did not cut is one
 * stage, itself. */
static int stage_count(const Plan *p) { return p->nstages > 1 ? p->nstages : 1; }

static const Plan *stage_plan(const Plan *p, int i) { return p->nstages > 1 ? p->stages[i] : p; }

typedef struct Task {
    struct TaskSet *ts;   /* its set */
    int      stage;       /* its stage */
    int      task;        /* its number in the stage (the partition it reads) */
    int      worker;      /* the worker running it */
    Job     *job;         /* its Job (of the stage's plan) */
    Driver  *drv;         /* its driver while it runs (its worker's) */
    bool     over;        /* its run ended (set by its worker) */
    int      rc;          /* the run's result */
} Task;

typedef struct Worker {
    struct TaskSet *ts;   /* its set */
    int      id;          /* its number */
    pthread_t tid;        /* its thread */
    pthread_mutex_t mu;   /* guards tasks and ntasks (tasks may be added while it runs) */
    Task   **tasks;       /* the tasks it steps */
    int      ntasks, cap; /* count, capacity */
    int      done;        /* set (atomically) when every task of it has ended */
    DriverShare **shares; /* per stage: the clients its tasks of that stage share (made when needed) */
    int      nshares;     /* count (the plan's stages) */
} Worker;

struct TaskSet {
    Job     *parent;      /* the job the API shows */
    int      nworkers;    /* worker threads */
    char    *state_dir;   /* STATE_DIR, or NULL: no state files */
    bool     reset;       /* empty the state files first */
    Task    *tasks;       /* every task, stage by stage */
    int      ntasks, cap; /* count, capacity */
    Worker  *workers;     /* nworkers of them */
    const char *bootstrap;/* for the drivers */
    volatile sig_atomic_t halt; /* the drivers' stop: the caller's stop, or a task failed */
    pthread_mutex_t mu;   /* guards failed and the callbacks below (rows, prints, notices of every task) */
    bool     failed;      /* a task failed: its message is in parent->err */
    SourceOffset *xstarts;/* where the exchanges' internal topics ended before the run's writers started */
    int      nxstarts;    /* count */
};

/* ---- what is eligible ---- */

bool tasks_eligible(const Plan *p, char *why, size_t cap)
{
    int nst = stage_count(p);
    for (int s = 0; s < nst; s++) {
        const Plan *sp = stage_plan(p, s);
        for (int i = 0; i < sp->nsources; i++) {
            const Connector *c = &sp->sources[i]->table->conn;
            if (c->kind != CONN_KAFKA && c->kind != CONN_EXCHANGE) {
                snprintf(why, cap, "source '%s' is not a Kafka topic", sp->sources[i]->table->name);
                return false;
            }
            if (c->topic_pattern) {
                snprintf(why, cap, "source '%s' reads a 'topic-pattern'", sp->sources[i]->table->name);
                return false;
            }
        }
        if (!sp->nsources) {
            snprintf(why, cap, "it reads no topic");
            return false;
        }
        for (int i = 0; i < sp->nsinks; i++) {
            ConnKind k = sp->sinks[i]->table->conn.kind;
            if (k != CONN_KAFKA && k != CONN_EXCHANGE && k != CONN_BLACKHOLE && k != CONN_PRINT) {
                snprintf(why, cap, "sink '%s' is not a Kafka topic", sp->sinks[i]->table->name);
                return false;
            }
        }
        /* a plan the planner did not cut (parallelism.default 1 when compiled) holds keyed state by keys
         * the source partitions do not follow unless it is stateless; one it cut is partitioned as it runs */
        for (int i = 0; i < sp->nnodes && p->nstages == 0; i++) {
            PlanKind k = sp->nodes[i]->kind;
            if (k == PLAN_COLLECT) {
                snprintf(why, cap, "a SELECT's rows are shown in the order they come");
                return false;
            }
            if (k != PLAN_SOURCE && k != PLAN_CALC && k != PLAN_SINK && k != PLAN_UNION) {
                snprintf(why, cap, "its %s keeps state by a key the source topics are not partitioned by (the planner cuts no stage here)",
                         plan_ops[k].name);
                return false;
            }
        }
    }
    return true;
}

/* ---- state files ---- */

/* Is `name` a task's state file (s<digits>-t<digits>.db, optionally -wal / -shm)? */
static bool task_file(const char *name)
{
    const char *p = name;
    if (*p++ != 's' || *p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    if (*p++ != '-' || *p++ != 't' || *p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    return strcmp(p, ".db") == 0 || strcmp(p, ".db-wal") == 0 || strcmp(p, ".db-shm") == 0;
}

int tasks_state_files(const char *dir, bool remove, int *count, char *err, size_t errlen)
{
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "state directory %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!task_file(e->d_name)) continue;
        if (strstr(e->d_name, ".db") && !strstr(e->d_name, ".db-")) (*count)++;
        if (!remove) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) && errno != ENOENT && !rc) {
            snprintf(err, errlen, "state file %s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* ---- the tasks' callbacks: the parent's, one task at a time ---- */

static void task_row(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols, const char *table)
{
    Task *t = ctx;
    Job *pj = t->ts->parent;
    pthread_mutex_lock(&t->ts->mu);
    pj->on_row(pj->row_ctx, k, row, cols, ncols, table);
    pthread_mutex_unlock(&t->ts->mu);
}

static void task_print(void *ctx, const char *line, bool to_stderr)
{
    Task *t = ctx;
    Job *pj = t->ts->parent;
    pthread_mutex_lock(&t->ts->mu);
    pj->print(pj->print_ctx, line, to_stderr);
    pthread_mutex_unlock(&t->ts->mu);
}

static void task_notice(void *ctx, const char *msg)
{
    Task *t = ctx;
    Job *pj = t->ts->parent;
    char buf[2048];
    snprintf(buf, sizeof buf, "stage %d, task %d: %s", t->stage, t->task, msg);
    pthread_mutex_lock(&t->ts->mu);
    pj->notice(pj->notice_ctx, buf);
    pthread_mutex_unlock(&t->ts->mu);
}

/* ---- making tasks ---- */

TaskSet *tasks_new(Job *parent, int nworkers, const char *state_dir, bool reset)
{
    TaskSet *ts = calloc(1, sizeof *ts);
    if (!ts) abort();
    ts->parent = parent;
    ts->nworkers = nworkers < 1 ? 1 : nworkers;
    ts->state_dir = state_dir ? str_dup(state_dir) : NULL;
    ts->reset = reset;
    pthread_mutex_init(&ts->mu, NULL);
    return ts;
}

/* One more task of stage `stage` (its Job is made, configured as the
 * parent, and its state file opened): its index, or -1 (parent->err). */
static int task_add(TaskSet *ts, int stage, const Plan *sp, Job *made)
{
    Job *pj = ts->parent;
    char err[1024];
    Job *j = made ? made : job_new(sp, err, sizeof err);
    if (!j) return job_fail(pj, "stage %d: %s", stage, err);
    if (ts->ntasks == ts->cap) {
        /* (tasks are made before any worker runs: the array may move) */
        ts->cap = ts->cap ? 2 * ts->cap : 8;
        ts->tasks = realloc(ts->tasks, sizeof *ts->tasks * (size_t)ts->cap);
        if (!ts->tasks) abort();
    }
    int k = ts->ntasks++;
    int task = 0;
    for (int i = 0; i < k; i++) task += ts->tasks[i].stage == stage;
    ts->tasks[k] = (Task){.ts = ts, .stage = stage, .task = task, .job = j};
    j->per_record = pj->per_record;
    j->bounded = pj->bounded;
    j->open_end = pj->open_end;
    return k;
}

/* Points each task's callbacks at it (once the array stops moving). */
static void task_wire(Task *t)
{
    Job *j = t->job, *pj = t->ts->parent;
    if (pj->on_row) j->on_row = task_row, j->row_ctx = t;
    if (pj->print) j->print = task_print, j->print_ctx = t;
    if (pj->notice) j->notice = task_notice, j->notice_ctx = t;
}

static int task_open_state(TaskSet *ts, Task *t)
{
    if (!ts->state_dir) return 0;
    char path[4200], err[1400];
    snprintf(path, sizeof path, "%s/s%d-t%d.db", ts->state_dir, t->stage, t->task);
    if (job_open_state(t->job, path, ts->reset, err, sizeof err)) return job_fail(ts->parent, "stage %d, task %d: %s", t->stage, t->task, err);
    return 0;
}

/* ---- workers ---- */

/* Adds task t to worker w (before or while it runs). */
static void worker_add(Worker *w, Task *t)
{
    pthread_mutex_lock(&w->mu);
    if (w->ntasks == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 4;
        w->tasks = realloc(w->tasks, sizeof *w->tasks * (size_t)w->cap);
        if (!w->tasks) abort();
    }
    w->tasks[w->ntasks++] = t;
    t->worker = w->id;
    pthread_mutex_unlock(&w->mu);
}

static void task_failed(TaskSet *ts, Task *t)
{
    pthread_mutex_lock(&ts->mu);
    if (!ts->failed) {
        ts->failed = true;
        snprintf(ts->parent->err, sizeof ts->parent->err, "stage %d, task %d: %.990s", t->stage, t->task,
                 t->job->err[0] ? t->job->err : "failed");
    }
    pthread_mutex_unlock(&ts->mu);
    ts->halt = 1;
}

/* Ends task t's run: a clean stop unless it failed. */
static void task_end(TaskSet *ts, Task *t)
{
    t->rc = driver_close(t->drv);
    t->drv = NULL;
    t->over = true;
    job_snap_phase(t->job, t->rc ? PHASE_FAILED : ts->halt ? PHASE_STOPPED : PHASE_FINISHED);
    if (t->rc) task_failed(ts, t);
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    TaskSet *ts = w->ts;
    bool idle = false;
    Task **mine = NULL;
    Driver **ds = NULL;
    int *rcs = NULL, cap = 0;
    for (;;) {
        pthread_mutex_lock(&w->mu);   /* this round's tasks */
        int n = w->ntasks;
        if (n > cap) {
            cap = n;
            mine = realloc(mine, sizeof *mine * (size_t)cap);
            ds = realloc(ds, sizeof *ds * (size_t)cap);
            rcs = realloc(rcs, sizeof *rcs * (size_t)cap);
            if (!mine || !ds || !rcs) abort();
        }
        if (n) memcpy(mine, w->tasks, sizeof *mine * (size_t)n);
        pthread_mutex_unlock(&w->mu);
        int live = 0;
        bool got = false;
        for (int i = 0; i < n; i++) {   /* a task new to this worker: start it, with its stage's shared clients */
            Task *t = mine[i];
            if (t->over || t->drv) continue;
            if (!w->shares[t->stage]) {
                w->shares[t->stage] = driver_share_new();
                driver_share_starts(w->shares[t->stage], ts->xstarts, ts->nxstarts);
            }
            job_snap_phase(t->job, PHASE_STARTING);
            t->drv = driver_open_shared(t->job, ts->bootstrap, &ts->halt, w->shares[t->stage]);
        }
        /* One step of every task, stage by stage (one poll of the stage's
         * consumer each).  Idle (no task had records last round): the poll
         * waits a little, so the round does not spin; else it does not. */
        for (int s = 0; s < w->nshares; s++) {
            int k = 0;
            for (int i = 0; i < n; i++)
                if (!mine[i]->over && mine[i]->drv && mine[i]->stage == s) {   /* (one added meanwhile starts next round) */
                    ds[k] = mine[i]->drv;
                    rcs[k] = 0;
                    mine[k] = mine[i];   /* (compacted in place: i >= k) */
                    k++;
                }
            if (!k) continue;
            driver_step_shared(w->shares[s], ds, rcs, k, idle ? 10 : 0);
            for (int i = 0; i < k; i++) {
                if (rcs[i] != 0) {
                    task_end(ts, mine[i]);
                    continue;
                }
                live++;
                got = got || driver_got(mine[i]->drv) > 0;
            }
            /* the other stages' tasks come after these in the list again */
            pthread_mutex_lock(&w->mu);
            n = w->ntasks;
            if (n > cap) n = cap;   /* (tasks added meanwhile wait for the next round) */
            memcpy(mine, w->tasks, sizeof *mine * (size_t)n);
            pthread_mutex_unlock(&w->mu);
        }
        idle = !got;
        if (!live) {   /* every task it stepped ended: is one left (added meanwhile)? */
            bool left = false;
            pthread_mutex_lock(&w->mu);
            for (int i = 0; i < w->ntasks && !left; i++) left = !w->tasks[i]->over;
            pthread_mutex_unlock(&w->mu);
            if (!left) break;
        }
    }
    for (int s = 0; s < w->nshares; s++) driver_share_free(w->shares[s]);   /* (every driver of them is closed) */
    free(mine);
    free(ds);
    free(rcs);
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* ---- the parent's snapshot: the sums of its tasks' ---- */

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static void publish_parent(TaskSet *ts)
{
    Job *pj = ts->parent;
    int n = ts->ntasks, nparts = 0;
    JobSnap *snaps = calloc((size_t)n + 1, sizeof *snaps);
    if (!snaps) abort();
    for (int i = 0; i < n; i++) {
        job_snap_copy(ts->tasks[i].job, &snaps[i]);
        nparts += snaps[i].nparts;
    }
    PartSnap *parts = calloc((size_t)nparts + 1, sizeof *parts);
    TaskSnap *tsn = calloc((size_t)n + 1, sizeof *tsn);
    if (!parts || !tsn) abort();
    /* per-operator counters add up when every task runs the plan itself (one stage) */
    bool same_ops = stage_count(pj->plan) == 1;
    OpStats *ops = calloc((size_t)pj->nops + 1, sizeof *ops);
    if (!ops) abort();
    for (int k = 0; k < pj->nops; k++) ops[k].watermark = INT64_MAX;
    JobStats sum = {0};
    LatHist lat = {0};
    int64_t bytes_out = 0, sink_errors = 0, sink_pending = 0, sink_retried = 0, ckpt_wall = INT64_MAX, interval = 0;
    bool down = false, all_running = n > 0;
    char down_err[256] = "", stall[256] = "";
    int64_t down_ms = 0;
    int at = 0;
    for (int i = 0; i < n; i++) {
        const JobSnap *s = &snaps[i];
        const JobStats *st = &s->stats;
        /* The job's records in are its tables' (not an exchange's internal
         * topic, which a later stage reads); its rows and records out those
         * of the stages that write its tables. */
        const Plan *sp = ts->tasks[i].job->plan;
        bool reads_exchange = false;
        for (int x = 0; x < sp->nsources; x++) reads_exchange = reads_exchange || sp->sources[x]->table->conn.kind == CONN_EXCHANGE;
        int64_t tables_in = st->records_in;   /* a task reading an exchange: the records of its other topics */
        for (int k = 0; reads_exchange && k < s->nparts; k++) {
            bool internal = false;
            for (int x = 0; x < sp->nsources && !internal; x++)
                internal = sp->sources[x]->table->conn.kind == CONN_EXCHANGE && strcmp(sp->sources[x]->table->conn.topic, s->parts[k].topic) == 0;
            if (k == 0) tables_in = 0;
            if (!internal) tables_in += s->parts[k].records;
        }
        bool tables_out = false;
        for (int x = 0; x < sp->nsinks; x++) tables_out = tables_out || sp->sinks[x]->table->conn.kind != CONN_EXCHANGE;
        sum.records_in += tables_in;
        sum.rows_out += tables_out ? st->rows_out : 0;
        sum.records_out += tables_out ? st->records_out : 0;
        sum.skipped += st->skipped;
        sum.late += st->late;
        sum.flushes += st->flushes;
        sum.checkpoints += st->checkpoints;
        sum.ckpt_last_us = max64(sum.ckpt_last_us, st->ckpt_last_us);
        sum.ckpt_max_us = max64(sum.ckpt_max_us, st->ckpt_max_us);
        sum.ckpt_keys += st->ckpt_keys;
        sum.ckpt_bytes += st->ckpt_bytes;
        sum.restored_keys += st->restored_keys;
        sum.restore_us = max64(sum.restore_us, st->restore_us);
        sum.dead_lettered += st->dead_lettered;
        sum.sink_retries += st->sink_retries;
        sum.null_dropped += st->null_dropped;
        for (int b = 0; b <= LAT_BUCKETS; b++) lat.counts[b] += s->latency.counts[b];
        lat.count += s->latency.count;
        lat.sum_ms += s->latency.sum_ms;
        bytes_out += s->bytes_out;
        sink_errors += s->sink_errors;
        sink_pending += s->sink_pending;
        sink_retried += s->sink_retried;
        if (s->ckpt_wall_ms < ckpt_wall) ckpt_wall = s->ckpt_wall_ms;   /* the job's last checkpoint: its oldest task's */
        interval = max64(interval, s->ckpt_interval_ms);
        if (s->broker_down && !down) {
            down = true;
            down_ms = s->broker_down_ms;
            snprintf(down_err, sizeof down_err, "%s", s->broker_err);
        }
        if (s->sink_stall[0] && !stall[0]) snprintf(stall, sizeof stall, "%s", s->sink_stall);
        all_running = all_running && s->phase == PHASE_RUNNING;
        int64_t lag = -1;
        for (int k = 0; k < s->nparts; k++) {
            const PartSnap *p = &s->parts[k];
            parts[at++] = *p;
            if (p->high >= 0 && p->position >= 0) lag = (lag < 0 ? 0 : lag) + (p->high > p->position ? p->high - p->position : 0);
        }
        if (same_ops && s->nops == pj->nops)
            for (int k = 0; k < s->nops; k++) {
                ops[k].rows_in += s->ops[k].rows_in;
                ops[k].rows_out += s->ops[k].rows_out;
                ops[k].state_keys += s->ops[k].state_keys;
                ops[k].state_bytes += s->ops[k].state_bytes;
                ops[k].time_ns += s->ops[k].time_ns;
                if (s->ops[k].watermark < ops[k].watermark) ops[k].watermark = s->ops[k].watermark;   /* the slowest task's */
            }
        const Task *t = &ts->tasks[i];
        tsn[i] = (TaskSnap){t->stage, t->task, t->worker, s->phase, st->records_in, st->rows_out, st->records_out, lag, s->ckpt_wall_ms};
    }
    if (ckpt_wall == INT64_MAX) ckpt_wall = 0;
    /* The parent's own counters are what its API reads (eddy_job_get_stats,
     * operator stats); job_snap_begin copies them into its snapshot. */
    pj->stats = sum;
    if (same_ops)
        for (int k = 0; k < pj->nops; k++) pj->ops[k].stats = ops[k];
    if (all_running && pj->phase == PHASE_STARTING) pj->phase = PHASE_RUNNING;
    job_snap_begin(pj);
    JobSnap *s = &pj->snap;
    free(s->parts);
    s->parts = parts;
    s->nparts = nparts;
    free(s->tasks);
    s->tasks = tsn;
    s->ntasks = n;
    s->nworkers = ts->nworkers;
    s->latency = lat;
    s->bytes_out = bytes_out;
    s->sink_errors = sink_errors;
    s->sink_pending = sink_pending;
    s->sink_retried = sink_retried;
    s->ckpt_wall_ms = ckpt_wall;
    s->ckpt_interval_ms = interval;
    s->broker_down = down;
    s->broker_down_ms = down_ms;
    snprintf(s->broker_err, sizeof s->broker_err, "%s", down_err);
    snprintf(s->sink_stall, sizeof s->sink_stall, "%s", stall);
    job_snap_end(pj);
    for (int i = 0; i < n; i++) job_snap_free(&snaps[i]);
    free(snaps);
    free(ops);
}

/* ---- the run ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes every stage's tasks (asking the cluster how many) and opens their
 * state files.  0, 1 when stopped meanwhile, -1 (parent->err). */
static int make_tasks(TaskSet *ts, volatile sig_atomic_t *stop)
{
    Job *pj = ts->parent;
    if (ts->state_dir && mkdir(ts->state_dir, 0777) && errno != EEXIST)
        return job_fail(pj, "state directory %s: %s", ts->state_dir, strerror(errno));
    for (int s = 0; s < stage_count(pj->plan); s++) {
        const Plan *sp = stage_plan(pj->plan, s);
        char err[1024];
        Job *j0 = job_new(sp, err, sizeof err);
        if (!j0) return job_fail(pj, "stage %d: %s", s, err);
        j0->notice = pj->notice;   /* ("waiting for topic …") */
        j0->notice_ctx = pj->notice_ctx;
        int n = 0, rc = job_kafka_task_count(j0, ts->bootstrap, stop, &n);
        j0->notice = NULL;
        if (rc) {
            if (rc < 0) job_fail(pj, "stage %d: %s", s, j0->err);
            job_free(j0);
            return rc;
        }
        if (n < 1) n = 1;
        /* Before any writer of this run starts: where its exchanges' topics end. */
        SourceOffset *xs = NULL;
        int nxs = 0;
        if (driver_exchange_starts(j0, ts->bootstrap, &xs, &nxs)) {
            job_fail(pj, "stage %d: %s", s, j0->err);
            job_free(j0);
            return -1;
        }
        if (nxs) {
            ts->xstarts = realloc(ts->xstarts, sizeof *ts->xstarts * (size_t)(ts->nxstarts + nxs));
            if (!ts->xstarts) abort();
            memcpy(ts->xstarts + ts->nxstarts, xs, sizeof *xs * (size_t)nxs);
            ts->nxstarts += nxs;
        }
        free(xs);
        int first = ts->ntasks;
        if (task_add(ts, s, sp, j0) < 0) return -1;
        for (int t = 1; t < n; t++)
            if (task_add(ts, s, sp, NULL) < 0) return -1;
        for (int t = 0; t < n; t++) job_set_task(ts->tasks[first + t].job, t, n);
    }
    for (int i = 0; i < ts->ntasks; i++) {
        task_wire(&ts->tasks[i]);
        if (task_open_state(ts, &ts->tasks[i])) return -1;
    }
    return 0;
}

int tasks_run(TaskSet *ts, const char *bootstrap, volatile sig_atomic_t *stop)
{
    Job *pj = ts->parent;
    ts->bootstrap = bootstrap;
    int mk = make_tasks(ts, stop);
    if (mk) return mk > 0 ? 0 : -1;
    if (ts->nworkers > ts->ntasks) ts->nworkers = ts->ntasks;   /* (a worker without a task would only wait) */
    ts->workers = calloc((size_t)ts->nworkers, sizeof *ts->workers);
    if (!ts->workers) abort();
    for (int w = 0; w < ts->nworkers; w++) {
        ts->workers[w] = (Worker){.ts = ts, .id = w, .nshares = stage_count(pj->plan)};
        ts->workers[w].shares = calloc((size_t)ts->workers[w].nshares, sizeof *ts->workers[w].shares);
        if (!ts->workers[w].shares) abort();
        pthread_mutex_init(&ts->workers[w].mu, NULL);
    }
    for (int i = 0; i < ts->ntasks; i++) worker_add(&ts->workers[i % ts->nworkers], &ts->tasks[i]);   /* round-robin */
    if (pj->notice) {
        char msg[256];
        snprintf(msg, sizeof msg, "job '%.100s' runs as %d task%s on %d worker thread%s", pj->plan->name ? pj->plan->name : "?", ts->ntasks, ts->ntasks == 1 ? "" : "s", ts->nworkers,
                 ts->nworkers == 1 ? "" : "s");
        pj->notice(pj->notice_ctx, msg);
    }
    publish_parent(ts);
    int started = 0;
    for (; started < ts->nworkers; started++)
        if (pthread_create(&ts->workers[started].tid, NULL, worker_main, &ts->workers[started])) break;
    if (started < ts->nworkers) {
        ts->halt = 1;
        job_fail(pj, "cannot start worker thread %d", started);
    }
    int64_t published = mono_ms();
    for (;;) {
        bool all = true;
        for (int w = 0; w < started; w++) all = all && __atomic_load_n(&ts->workers[w].done, __ATOMIC_ACQUIRE);
        if (all) break;
        if (*stop) ts->halt = 1;
        nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
        if (mono_ms() - published >= 250) {
            publish_parent(ts);
            published = mono_ms();
        }
    }
    for (int w = 0; w < started; w++) pthread_join(ts->workers[w].tid, NULL);
    publish_parent(ts);
    return ts->failed || started < ts->nworkers ? -1 : 0;
}

void tasks_free(TaskSet *ts)
{
    if (!ts) return;
    for (int i = 0; i < ts->ntasks; i++) job_free(ts->tasks[i].job);
    for (int w = 0; ts->workers && w < ts->nworkers; w++) {
        free(ts->workers[w].tasks);
        free(ts->workers[w].shares);
        pthread_mutex_destroy(&ts->workers[w].mu);
    }
    free(ts->workers);
    free(ts->tasks);
    free(ts->state_dir);
    free(ts->xstarts);
    pthread_mutex_destroy(&ts->mu);
    free(ts);
}
