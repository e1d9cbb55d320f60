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
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "changelog.h"
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
    bool     over;        /* its run ended (set by its worker, read atomically) */
    int      rc;          /* the run's result */
    volatile sig_atomic_t stop; /* its driver's stop: the set's halt, copied here, or a revoke (--group) */
    bool     owned;       /* --group: this process holds its partition (it runs, or is about to) */
    bool     ran;         /* it ran here (its Job's counters are shown) */
    struct TaskLog *log;  /* --group: its state changelog while it runs here */
    JobStats shown;       /* what its run added to the parent's counters at the last publish_parent */
} Task;

typedef struct Worker {
    struct TaskSet *ts;   /* its set */
    int      id;          /* its number */
    pthread_t tid;        /* its thread */
    pthread_mutex_t mu;   /* guards tasks and ntasks (tasks may be added while it runs) */
    Task   **tasks;       /* the tasks it steps */
    int      ntasks, cap; /* count, capacity */
    int      done;        /* set (atomically) when every task of it has ended */
    long long round;      /* rounds begun (under mu): a task taken off the list is not touched after the next */
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
    /* --group (docs/scaling.md): the process runs the tasks whose partition the group gives it */
    char    *group;       /* the group's name, or NULL: every task runs here */
    int      session_ms;  /* the members' session.timeout.ms */
    int     *first;       /* per stage: the index of its task 0 in tasks */
    int     *count;       /* per stage: its tasks */
    char   **assign_topic;/* per stage: the input topic whose partitions the group assigns */
    char   **changelog;   /* per stage: its state changelog topic */
    struct Member *members; /* per stage: its group member */
    kafka_consumer *restorer; /* reads changelogs (the caller's thread) */
    JobStats gone;        /* --group: the counters of the runs of tasks given back (the parent's go on from them) */
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

void tasks_set_group(TaskSet *ts, const char *group, int session_ms)
{
    free(ts->group);
    ts->group = group && *group ? str_dup(group) : NULL;
    ts->session_ms = session_ms > 0 ? session_ms : 10000;
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

/* Takes task t (over, or never started) off its worker's list; returns once
 * the worker has begun a round without it, so t is the caller's again. */
static void worker_remove(Worker *w, Task *t)
{
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < w->ntasks; i++)
        if (w->tasks[i] == t) {
            memmove(&w->tasks[i], &w->tasks[i + 1], sizeof *w->tasks * (size_t)(w->ntasks - i - 1));
            w->ntasks--;
            break;
        }
    long long r = w->round;
    pthread_mutex_unlock(&w->mu);
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool passed = w->round > r;
        pthread_mutex_unlock(&w->mu);
        if (passed || __atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) break;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
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
    __atomic_store_n(&t->over, true, __ATOMIC_RELEASE);
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
        w->round++;
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
            t->drv = driver_open_shared(t->job, ts->bootstrap, &t->stop, w->shares[t->stage]);
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
            if (!left && (!ts->group || ts->halt)) break;
            if (!left) nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);   /* --group: tasks may come */
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
    /* Per-operator counters add up over the tasks: a task of a plan of one
     * stage runs the plan itself (its operator k is the parent's k); a
     * task of a stage runs copies of the whole plan's operators
     * (PlanNode.origin), whose counters go to the operator they copy — an
     * exchange's or a local aggregate's, which the whole plan has not,
     * to none (their work shows in the tasks' counters). */
    bool same_ops = stage_count(pj->plan) == 1;
    OpStats *ops = calloc((size_t)pj->nops + 1, sizeof *ops);
    bool *ran = calloc((size_t)pj->nops + 1, sizeof *ran);
    if (!ops || !ran) abort();
    for (int k = 0; k < pj->nops; k++) ops[k].watermark = INT64_MAX;
    JobStats sum = {0};
    sum.records_in = ts->gone.records_in;
    sum.rows_out = ts->gone.rows_out;
    sum.records_out = ts->gone.records_out;
    sum.skipped = ts->gone.skipped;
    sum.late = ts->gone.late;
    sum.flushes = ts->gone.flushes;
    sum.checkpoints = ts->gone.checkpoints;
    LatHist lat = {0};
    int64_t bytes_out = 0, sink_errors = 0, sink_pending = 0, sink_retried = 0, ckpt_wall = INT64_MAX, interval = 0;
    bool down = false, all_running = n > 0;
    char down_err[256] = "", stall[256] = "";
    int64_t down_ms = 0;
    int at = 0, shown = 0;
    for (int i = 0; i < n; i++) {
        if (!ts->tasks[i].ran) continue;   /* (--group: a task that never ran here) */
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
        JobStats *sh = &ts->tasks[i].shown;   /* (kept for when the task is given back: ts->gone) */
        sh->records_in = tables_in;
        sh->rows_out = tables_out ? st->rows_out : 0;
        sh->records_out = tables_out ? st->records_out : 0;
        sh->skipped = st->skipped;
        sh->late = st->late;
        sh->flushes = st->flushes;
        sh->checkpoints = st->checkpoints;
        sum.records_in += sh->records_in;
        sum.rows_out += sh->rows_out;
        sum.records_out += sh->records_out;
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
        all_running = all_running && (s->phase == PHASE_RUNNING || (ts->group && !ts->tasks[i].owned));
        int64_t lag = -1;
        for (int k = 0; k < s->nparts; k++) {
            const PartSnap *p = &s->parts[k];
            parts[at++] = *p;
            if (p->high >= 0 && p->position >= 0) lag = (lag < 0 ? 0 : lag) + (p->high > p->position ? p->high - p->position : 0);
        }
        if (!same_ops || s->nops == pj->nops)
            for (int k = 0; k < s->nops && k < sp->nnodes; k++) {
                int o = same_ops ? k : sp->nodes[k]->origin;
                if (o < 0 || o >= pj->nops) continue;
                ran[o] = true;
                ops[o].rows_in += s->ops[k].rows_in;
                ops[o].rows_out += s->ops[k].rows_out;
                ops[o].state_keys += s->ops[k].state_keys;
                ops[o].state_bytes += s->ops[k].state_bytes;
                ops[o].time_ns += s->ops[k].time_ns;
                if (s->ops[k].watermark < ops[o].watermark) ops[o].watermark = s->ops[k].watermark;   /* the slowest task's */
            }
        const Task *t = &ts->tasks[i];
        tsn[shown++] = (TaskSnap){t->stage, t->task, t->worker, s->phase, st->records_in, st->rows_out, st->records_out, lag, s->ckpt_wall_ms};
    }
    if (ckpt_wall == INT64_MAX) ckpt_wall = 0;
    /* The parent's own counters are what its API reads (eddy_job_get_stats,
     * operator stats); job_snap_begin copies them into its snapshot. */
    pj->stats = sum;
    for (int k = 0; k < pj->nops; k++) {
        if (!ran[k]) ops[k].watermark = INT64_MIN;   /* no task runs it (yet): none */
        pj->ops[k].stats = ops[k];
    }
    if (all_running && pj->phase == PHASE_STARTING) pj->phase = PHASE_RUNNING;
    job_snap_begin(pj);
    JobSnap *s = &pj->snap;
    free(s->parts);
    s->parts = parts;
    s->nparts = at;
    free(s->tasks);
    s->tasks = tsn;
    s->ntasks = shown;
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
    free(ran);
}

/* ---- the run ---- */

/* Where the exchanges' readers start when they have no checkpoint
 * (ts->xstarts) is the job's, not each run's: where the internal topics
 * ended before the writers of its first run (since a reset) began.  A
 * reader killed before its first checkpoint, whose writers had committed
 * rows, would otherwise start on its restart where that run found the
 * topics — after those rows, which its writers, resuming from their
 * checkpoints, do not write again.  So the first run records its
 * positions in every task's state file (meta "exchange_starts": lines
 * "topic partition offset") before any task runs, and a later run takes
 * the ones it finds there.  (--group: group_starts, through Kafka.)  0, or
 * -1 (parent->err). */
static int task_exchange_starts(TaskSet *ts)
{
    if (!ts->state_dir || !ts->nxstarts) return 0;
    char *found = NULL;
    int from = -1;
    for (int i = 0; i < ts->ntasks && !found; i++) {
        const char *m = ts->tasks[i].job->state ? state_get_meta(ts->tasks[i].job->state, "exchange_starts") : NULL;
        if (m) found = str_dup(m), from = i;
    }
    for (char *line = found, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        else next = line + strlen(line);
        char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL, *end1 = NULL, *end2 = NULL;
        long part = sp2 ? strtol(sp1 + 1, &end1, 10) : -1;
        long long off = sp2 ? strtoll(sp2 + 1, &end2, 10) : -1;
        if (!sp2 || end1 != sp2 || !end2 || *end2 || part < 0 || off < 0) {
            Task *t = &ts->tasks[from];
            free(found);
            return job_fail(ts->parent, "stage %d, task %d: state file %s/s%d-t%d.db: its exchanges' start positions (meta 'exchange_starts') "
                                        "do not read as lines 'topic partition offset' (is the file damaged?)",
                            t->stage, t->task, ts->state_dir, t->stage, t->task);
        }
        *sp1 = '\0';
        for (int k = 0; k < ts->nxstarts; k++)
            if (ts->xstarts[k].partition == part && strcmp(ts->xstarts[k].topic, line) == 0) ts->xstarts[k].offset = off;
    }
    free(found);
    StrBuf v = {0};
    for (int k = 0; k < ts->nxstarts; k++)
        sb_printf(&v, "%s%s %d %lld", k ? "\n" : "", ts->xstarts[k].topic, (int)ts->xstarts[k].partition, (long long)ts->xstarts[k].offset);
    int rc = 0;
    for (int i = 0; i < ts->ntasks && !rc; i++) {
        Task *t = &ts->tasks[i];
        if (!t->job->state) continue;
        const char *m = state_get_meta(t->job->state, "exchange_starts");
        if (m && strcmp(m, v.s) == 0) continue;
        if (state_set_meta(t->job->state, "exchange_starts", v.s))
            rc = job_fail(ts->parent, "stage %d, task %d: state file %s/s%d-t%d.db: %s", t->stage, t->task, ts->state_dir, t->stage, t->task,
                          state_errmsg(t->job->state));
    }
    sb_free(&v);
    return rc;
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
        if (!ts->group && task_open_state(ts, &ts->tasks[i])) return -1;   /* (--group: when the task is taken) */
    }
    return ts->group ? 0 : task_exchange_starts(ts);
}


/* ---- --group: tasks taken and given back through a consumer group ----
 *
 * One group member per stage (group "<NAME>-<job>-s<stage>", over the stage's
 * first input topic): the process runs task t of the stage while it holds
 * partition t of that topic.  The member's callbacks run on the caller's
 * thread, inside kafka_member_poll.  A task's state follows it through its
 * changelog (partition t of "<job>-s<stage>-changelog", changelog.c): each
 * checkpoint, once committed to the task's file, is appended there and
 * acknowledged before the operators hear of it (Job.logged: so before the
 * exchange's commit marker); a task taken restores its file from there
 * unless the file here is the one the changelog ends with. */

typedef struct Member {
    TaskSet *ts;          /* its set */
    int      stage;       /* the stage whose tasks it is given */
    kafka_member *m;      /* the group member */
} Member;

/* A task's changelog writer: its own producer (the writer thread uses it). */
typedef struct TaskLog {
    kafka_producer *p;    /* producer */
    const char *topic;    /* the stage's changelog topic (the set's) */
    int      partition;   /* the task's */
    bool     snapshot;    /* the next append is a snapshot (the changelog holds none yet) */
    int64_t  since_bytes; /* bytes of deltas appended since the last snapshot */
    int64_t  since_records;/* records appended since it (an estimate when the file was not restored) */
} TaskLog;

/* A snapshot (the whole file) instead of a delta once the deltas since the
 * last one reach these: what the topic keeps (the development broker: a
 * partition's last ~5 MiB) must hold a snapshot and every delta after it.
 * Measured (bench/README.md): GROUP BY user_id over 100k users, whose
 * deltas are nearly the whole state, took about 1.5 times the CPU of the
 * same job without a changelog, and 1.1 times with deltas only: a snapshot
 * reads the whole state file.  (Snapshots only after twice the last
 * snapshot's bytes of deltas measured no better.) */
#define LOG_SNAPSHOT_BYTES (1 << 20)
#define LOG_SNAPSHOT_RECORDS 512

static int task_logged(void *ctx, StateStore *st, int64_t ckpt, const StateBatch *b, char *err, size_t errlen)
{
    TaskLog *l = ctx;
    bool snap = l->snapshot || l->since_bytes >= LOG_SNAPSHOT_BYTES || l->since_records >= LOG_SNAPSHOT_RECORDS;
    StateBatch *all = NULL;
    if (snap) {
        all = state_batch_new();
        if (state_export(st, all)) {
            snprintf(err, errlen, "state changelog %s/%d: exporting the state file: %s", l->topic, l->partition, state_errmsg(st));
            state_batch_free(all);
            return -1;
        }
    }
    size_t bytes = 0;
    char why[512];
    int rc = changelog_append(l->p, l->topic, l->partition, ckpt, snap ? all : b, snap, &bytes, why, sizeof why);
    if (!rc) rc = kafka_producer_flush(l->p, 60000, why, sizeof why);
    state_batch_free(all);
    if (rc) {
        snprintf(err, errlen, "state changelog %s/%d, checkpoint %lld: %s", l->topic, l->partition, (long long)ckpt, why);
        return -1;
    }
    int64_t recs = (int64_t)((bytes + CHANGELOG_CHUNK - 1) / CHANGELOG_CHUNK);
    if (snap) {
        l->snapshot = false;
        l->since_bytes = 0;
        l->since_records = 0;
    } else {
        l->since_bytes += (int64_t)bytes;
        l->since_records += recs;
    }
    return 0;
}

static void group_fail(TaskSet *ts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void group_fail(TaskSet *ts, const char *fmt, ...)
{
    pthread_mutex_lock(&ts->mu);
    if (!ts->failed) {
        ts->failed = true;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ts->parent->err, sizeof ts->parent->err, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&ts->mu);
    ts->halt = 1;
}

static void group_notice(TaskSet *ts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void group_notice(TaskSet *ts, const char *fmt, ...)
{
    Job *pj = ts->parent;
    if (!pj->notice) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&ts->mu);
    pj->notice(pj->notice_ctx, buf);
    pthread_mutex_unlock(&ts->mu);
}

static void remove_state_file(const char *path)
{
    char side[4300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* The worker with the fewest tasks. */
static Worker *least_loaded(TaskSet *ts)
{
    Worker *best = &ts->workers[0];
    int bn = -1;
    for (int w = 0; w < ts->nworkers; w++) {
        pthread_mutex_lock(&ts->workers[w].mu);
        int n = 0;
        for (int i = 0; i < ts->workers[w].ntasks; i++) n += !__atomic_load_n(&ts->workers[w].tasks[i]->over, __ATOMIC_ACQUIRE);
        pthread_mutex_unlock(&ts->workers[w].mu);
        if (bn < 0 || n < bn) best = &ts->workers[w], bn = n;
    }
    return best;
}

/* Task t is this process's now: its state file made right (kept, or
 * restored from its changelog), opened by its Job (a new one, if it ran here
 * before: group_release), and the task onto a worker.  0, or -1 (the set
 * failed). */
static int group_take(TaskSet *ts, Task *t)
{
    char path[4200], err[1400];
    snprintf(path, sizeof path, "%s/s%d-t%d.db", ts->state_dir, t->stage, t->task);
    const char *topic = ts->changelog[t->stage];
    int64_t last, local = -1, t0 = mono_ms();
    if (changelog_last(ts->restorer, topic, t->task, &last, err, sizeof err)) {
        group_fail(ts, "stage %d, task %d: %s", t->stage, t->task, err);
        return -1;
    }
    /* The file here is kept only if this process stopped the task cleanly
     * (every checkpoint of it is in the changelog) and nobody has written
     * a checkpoint since: it is then the one the changelog ends with. */
    bool keep = false;
    struct stat sb;
    if (stat(path, &sb) == 0) {
        StateStore *st;
        if (state_open(path, &st, err, sizeof err)) {
            group_fail(ts, "stage %d, task %d: %s", t->stage, t->task, err);
            return -1;
        }
        const char *clean = state_get_meta(st, "group_clean");
        keep = clean && strcmp(clean, "1") == 0;
        const char *num = state_get_meta(st, "checkpoint");
        if (num) local = strtoll(num, NULL, 10);
        state_close(st);
        keep = keep && local == last;
    }
    ChangelogRestored r = {.last_ckpt = -1};
    if (!keep) {
        remove_state_file(path);
        if (last != -1) {
            StateStore *st;
            if (state_open(path, &st, err, sizeof err)) {
                group_fail(ts, "stage %d, task %d: %s", t->stage, t->task, err);
                return -1;
            }
            int rc = changelog_restore(ts->restorer, topic, t->task, st, &r, err, sizeof err);
            state_close(st);
            if (rc) {
                group_fail(ts, "stage %d, task %d: restoring its state: %s", t->stage, t->task, err);
                return -1;
            }
        }
    }
    if (job_open_state(t->job, path, false, err, sizeof err)) {
        group_fail(ts, "stage %d, task %d: %s", t->stage, t->task, err);
        return -1;
    }
    if (state_set_meta(t->job->state, "group_clean", "0")) {
        group_fail(ts, "stage %d, task %d: state file %s: %s", t->stage, t->task, path, state_errmsg(t->job->state));
        return -1;
    }
    TaskLog *l = calloc(1, sizeof *l);
    if (!l) abort();
    /* The first append is a snapshot unless the file came from the changelog
     * (which then holds one: every run's first append to an empty
     * changelog is one): a delta alone would restore no operator. */
    *l = (TaskLog){.topic = topic, .partition = t->task, .snapshot = keep ? last == -1 : r.checkpoints == 0, .since_bytes = r.since_snapshot};
    if (keep) {   /* how much follows its last snapshot is not known here: at most what the partition holds */
        int64_t lo = 0, hi = 0;
        if (kafka_watermarks(ts->restorer, topic, t->task, &lo, &hi, 10000, err, sizeof err) == 0) l->since_records = hi - lo;
    }
    l->p = kafka_producer_new(ts->bootstrap, NULL, err, sizeof err);
    if (!l->p) {
        free(l);
        group_fail(ts, "stage %d, task %d: state changelog producer: %s", t->stage, t->task, err);
        return -1;
    }
    t->log = l;
    t->job->logged = task_logged;
    t->job->logged_ctx = l;
    if (keep && local < 0)
        group_notice(ts, "stage %d, task %d: taken (group '%s'), state file kept (no checkpoint yet)", t->stage, t->task, ts->group);
    else if (keep)
        group_notice(ts, "stage %d, task %d: taken (group '%s'), state file kept at checkpoint %lld", t->stage, t->task, ts->group,
                     (long long)local);
    else if (last != -1)
        group_notice(ts, "stage %d, task %d: taken (group '%s'), state restored from %s/%d: %lld checkpoints, %lld bytes, to checkpoint %lld, in %lld ms",
                     t->stage, t->task, ts->group, topic, t->task, (long long)r.checkpoints, (long long)r.bytes, (long long)r.last_ckpt,
                     (long long)(mono_ms() - t0));
    else
        group_notice(ts, "stage %d, task %d: taken (group '%s'), no state yet", t->stage, t->task, ts->group);
    t->stop = 0;
    t->rc = 0;
    t->drv = NULL;
    t->over = false;
    t->owned = true;
    t->ran = true;
    worker_add(least_loaded(ts), t);
    return 0;
}

/* Task t (stopped: over) is no longer run here: off its worker, its file
 * marked clean when its run ended well (its last checkpoint is in the
 * changelog) and closed, and a new Job of the stage's plan in place of the
 * one that ran (a Job runs once), for when it comes back. */
static void group_release(TaskSet *ts, Task *t)
{
    worker_remove(&ts->workers[t->worker], t);
    JobStats *g = &ts->gone, *sh = &t->shown;   /* (publish_parent ran since it stopped) */
    g->records_in += sh->records_in;
    g->rows_out += sh->rows_out;
    g->records_out += sh->records_out;
    g->skipped += sh->skipped;
    g->late += sh->late;
    g->flushes += sh->flushes;
    g->checkpoints += sh->checkpoints;
    *sh = (JobStats){0};
    if (t->rc == 0 && t->job->state && state_set_meta(t->job->state, "group_clean", "1") && !ts->failed)
        group_fail(ts, "stage %d, task %d: marking its state file: %s", t->stage, t->task, state_errmsg(t->job->state));
    kafka_producer_free(t->log->p);
    free(t->log);
    t->log = NULL;
    t->owned = false;
    t->ran = false;
    char err[1024];
    Job *j = job_new(t->job->plan, err, sizeof err);
    if (!j) {
        group_fail(ts, "stage %d, task %d: %s", t->stage, t->task, err);
        return;
    }
    Job *pj = ts->parent;
    j->per_record = pj->per_record;
    j->bounded = pj->bounded;
    j->open_end = pj->open_end;
    job_free(t->job);   /* (its state file closed) */
    t->job = j;
    job_set_task(j, t->task, ts->count[t->stage]);
    task_wire(t);
}

/* The group gives these partitions: their tasks start here. */
static void group_assigned(void *ctx, const kafka_tp *tps, int n)
{
    Member *m = ctx;
    TaskSet *ts = m->ts;
    int s = m->stage;
    for (int i = 0; i < n && !ts->halt; i++) {
        if (strcmp(tps[i].topic, ts->assign_topic[s]) != 0 || tps[i].partition < 0 || tps[i].partition >= ts->count[s]) continue;
        Task *t = &ts->tasks[ts->first[s] + tps[i].partition];
        if (!t->owned) group_take(ts, t);
    }
}

/* The group takes these partitions away: their tasks stop cleanly (a last
 * checkpoint, in the changelog) before the callback returns. */
static void group_revoked(void *ctx, const kafka_tp *tps, int n)
{
    Member *m = ctx;
    TaskSet *ts = m->ts;
    int s = m->stage;
    for (int pass = 0; pass < 2; pass++)   /* every one asked to stop, then each waited for */
        for (int i = 0; i < n; i++) {
            if (strcmp(tps[i].topic, ts->assign_topic[s]) != 0 || tps[i].partition < 0 || tps[i].partition >= ts->count[s]) continue;
            Task *t = &ts->tasks[ts->first[s] + tps[i].partition];
            if (!t->owned) continue;
            if (pass == 0) {
                t->stop = 1;
                continue;
            }
            while (!__atomic_load_n(&t->over, __ATOMIC_ACQUIRE) && !__atomic_load_n(&ts->workers[t->worker].done, __ATOMIC_ACQUIRE))
                nanosleep(&(struct timespec){0, 2 * 1000000}, NULL);
            publish_parent(ts);   /* (its last counters) */
            group_release(ts, t);
            group_notice(ts, "stage %d, task %d: given back (group '%s')", t->stage, t->task, ts->group);
        }
}

/* The job's name as a topic name (as the planner names exchanges). */
static void topic_safe(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s", name && *name ? name : "job");
    for (char *c = out; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
            *c = '_';
}

/* An internal topic the group needs, with at least `need` partitions
 * (asked of the cluster, which may create it on first use; else created
 * through its admin API).  0, or -1 (parent->err names the topic). */
static int internal_topic(TaskSet *ts, kafka_producer *p, int stage, const char *topic, int need)
{
    char err[512];
    int n = 0;
    if (kafka_producer_partition_count(p, topic, 10000, &n, err, sizeof err)) {
        char why[512];
        if (kafka_create_topic(p, topic, need, 10000, why, sizeof why) < 0)
            return job_fail(ts->parent, "--group: internal topic '%s' (stage %d) does not exist and cannot be created (%s; %s): "
                                        "create it with %d partitions (on the development broker: eddy broker --topic %s:%d)",
                            topic, stage, err, why, need, topic, need);
        if (kafka_producer_partition_count(p, topic, 10000, &n, err, sizeof err))
            return job_fail(ts->parent, "--group: internal topic '%s' (stage %d): %s", topic, stage, err);
    }
    if (n < need)
        return job_fail(ts->parent, "--group: internal topic '%s' has %d partition%s, but stage %d runs as %d tasks: create it with %d "
                                    "(on the development broker: eddy broker --topic %s:%d)",
                        topic, n, n == 1 ? "" : "s", stage, need, need, topic, need);
    return 0;
}

/* Where the exchanges' readers start when they have no checkpoint
 * (driver_exchange_starts: where the internal topics ended before the run's
 * writers started) must be the group's, not each process's: a process that
 * joins later, and takes a reader task that has not checkpointed yet, would
 * otherwise skip rows the others wrote before it came.  The group's first
 * process records its positions as the committed offsets of the consumer
 * group "<NAME>-<job>-starts" (which has no members) before any of its
 * writers runs; a process that finds them there uses them.  0, or -1. */
static int group_starts(TaskSet *ts, const char *job)
{
    if (!ts->nxstarts) return 0;
    char gid[1000], err[512];
    snprintf(gid, sizeof gid, "%s-%s-starts", ts->group, job);
    const char *props[] = {"group.id", gid, NULL};
    kafka_consumer *c = kafka_consumer_new(ts->bootstrap, props, err, sizeof err);
    if (!c) return job_fail(ts->parent, "--group: %s", err);
    int rc = 0;
    bool theirs = false;
    for (int i = 0; i < ts->nxstarts && !rc; i++) {
        const char *topic = ts->xstarts[i].topic;
        bool seen = false;
        for (int k = 0; k < i && !seen; k++) seen = strcmp(ts->xstarts[k].topic, topic) == 0;
        if (seen) continue;   /* (a topic's partitions are done together) */
        int np = 0;
        for (int k = i; k < ts->nxstarts; k++)
            if (strcmp(ts->xstarts[k].topic, topic) == 0 && ts->xstarts[k].partition + 1 > np) np = ts->xstarts[k].partition + 1;
        int64_t *mine = malloc(sizeof *mine * (size_t)np), *got = malloc(sizeof *got * (size_t)np);
        if (!mine || !got) abort();
        for (int p = 0; p < np; p++) mine[p] = -1;
        for (int k = i; k < ts->nxstarts; k++)
            if (strcmp(ts->xstarts[k].topic, topic) == 0 && ts->xstarts[k].partition >= 0) mine[ts->xstarts[k].partition] = ts->xstarts[k].offset;
        if (kafka_committed(c, topic, np, got, 10000, err, sizeof err)) {
            rc = job_fail(ts->parent, "--group: where the readers of '%s' start (group '%s'): %s", topic, gid, err);
        } else {
            bool any = false;
            for (int p = 0; p < np; p++) any = any || got[p] >= 0;
            if (any) {
                for (int k = i; k < ts->nxstarts; k++)
                    if (strcmp(ts->xstarts[k].topic, topic) == 0 && ts->xstarts[k].partition >= 0 && got[ts->xstarts[k].partition] >= 0)
                        ts->xstarts[k].offset = got[ts->xstarts[k].partition];
                theirs = true;
            } else if (kafka_commit_wait(c, topic, mine, np, err, sizeof err)) {
                rc = job_fail(ts->parent, "--group: recording where the readers of '%s' start (group '%s'): %s", topic, gid, err);
            }
        }
        free(mine);
        free(got);
    }
    kafka_consumer_free(c);
    if (!rc && theirs)
        group_notice(ts, "job '%s': its exchanges' readers start where the group's first process found the internal topics (group '%s')",
                     ts->parent->plan->name ? ts->parent->plan->name : "?", gid);
    return rc;
}

/* The group's topics: checked (made where the cluster allows), and each
 * stage's member made.  0, or -1 (parent->err). */
static int group_setup(TaskSet *ts)
{
    Job *pj = ts->parent;
    int nst = stage_count(pj->plan);
    char err[1024], job[256];
    topic_safe(pj->plan->name, job, sizeof job);
    ts->first = calloc((size_t)nst, sizeof *ts->first);
    ts->count = calloc((size_t)nst, sizeof *ts->count);
    ts->assign_topic = calloc((size_t)nst, sizeof *ts->assign_topic);
    ts->changelog = calloc((size_t)nst, sizeof *ts->changelog);
    ts->members = calloc((size_t)nst, sizeof *ts->members);
    if (!ts->first || !ts->count || !ts->assign_topic || !ts->changelog || !ts->members) abort();
    for (int i = ts->ntasks - 1; i >= 0; i--) ts->first[ts->tasks[i].stage] = i, ts->count[ts->tasks[i].stage]++;
    ts->restorer = kafka_consumer_new(ts->bootstrap, NULL, err, sizeof err);
    kafka_producer *p = ts->restorer ? kafka_producer_new(ts->bootstrap, NULL, err, sizeof err) : NULL;
    if (!p) return job_fail(pj, "--group: %s", err);
    int rc = 0;
    for (int s = 0; s < nst && !rc; s++) {
        const Plan *sp = stage_plan(pj->plan, s);
        ts->assign_topic[s] = str_dup(sp->sources[0]->table->conn.topic);
        char name[400];
        snprintf(name, sizeof name, "%s-s%d-changelog", job, s);
        ts->changelog[s] = str_dup(name);
        int n = 0;
        if (kafka_partition_count(ts->restorer, ts->assign_topic[s], 10000, &n, err, sizeof err)) {
            rc = job_fail(pj, "--group: stage %d: topic '%s': %s", s, ts->assign_topic[s], err);
            break;
        }
        if (n != ts->count[s]) {
            rc = job_fail(pj, "--group: stage %d runs as %d tasks (its widest input), but the group gives them by the partitions of '%s', "
                              "which has %d: give the stage's input topics the same number of partitions",
                          s, ts->count[s], ts->assign_topic[s], n);
            break;
        }
        for (int i = 0; i < sp->nsinks && !rc; i++)
            if (sp->sinks[i]->table->conn.kind == CONN_EXCHANGE) rc = internal_topic(ts, p, s, sp->sinks[i]->table->conn.topic, 1);
        if (!rc) rc = internal_topic(ts, p, s, ts->changelog[s], ts->count[s]);
    }
    kafka_producer_free(p);
    if (rc || group_starts(ts, job)) return -1;
    char sess[32], hb[32];
    snprintf(sess, sizeof sess, "%d", ts->session_ms);
    /* A member hears of a rebalance at its next heartbeat: 300 ms keeps
     * rebalances quick (measured on the development broker: two processes
     * with 1 s heartbeats took 12 s to settle, with 300 ms 3 s, its first
     * join's delay; lower breaks its joins). */
    snprintf(hb, sizeof hb, "%d", 300);
    const char *props[] = {"session.timeout.ms", sess, "heartbeat.interval.ms", hb, NULL};
    for (int s = 0; s < nst; s++) {
        char gid[1000];
        snprintf(gid, sizeof gid, "%s-%s-s%d", ts->group, job, s);
        ts->members[s] = (Member){.ts = ts, .stage = s};
        const char *topics[] = {ts->assign_topic[s]};
        ts->members[s].m = kafka_member_new(ts->bootstrap, gid, topics, 1, props, group_assigned, group_revoked, &ts->members[s], err, sizeof err);
        if (!ts->members[s].m) return job_fail(pj, "--group: stage %d: %s", s, err);
    }
    if (pj->notice) {
        char msg[1200];
        snprintf(msg, sizeof msg, "job '%.100s' joins group '%.200s' (%d stage%s; state changelogs %.200s%s)", pj->plan->name ? pj->plan->name : "?",
                 ts->group, nst, nst == 1 ? "" : "s", ts->changelog[0], nst > 1 ? ", …" : "");
        pj->notice(pj->notice_ctx, msg);
    }
    return 0;
}

/* Serves every member's group protocol (the callbacks) once.  0, or -1. */
static int group_poll(TaskSet *ts)
{
    char err[600];
    for (int s = 0; s < stage_count(ts->parent->plan); s++)
        if (ts->members[s].m && kafka_member_poll(ts->members[s].m, 0, err, sizeof err)) {
            group_fail(ts, "--group: stage %d: %s", s, err);
            return -1;
        }
    return 0;
}

/* The run is over: each task that ended well here marked clean, then the
 * members leave the group (the others take the partitions). */
static void group_leave(TaskSet *ts)
{
    publish_parent(ts);   /* (the tasks' last counters) */
    for (int i = 0; i < ts->ntasks; i++) {
        Task *t = &ts->tasks[i];
        if (t->owned && (t->over || !t->drv)) group_release(ts, t);
    }
    for (int s = 0; ts->members && s < stage_count(ts->parent->plan); s++) {
        kafka_member_free(ts->members[s].m);
        ts->members[s].m = NULL;
    }
}

int tasks_run(TaskSet *ts, const char *bootstrap, volatile sig_atomic_t *stop)
{
    Job *pj = ts->parent;
    ts->bootstrap = bootstrap;
    int mk = make_tasks(ts, stop);
    if (mk) return mk > 0 ? 0 : -1;
    if (ts->group && !ts->state_dir) return job_fail(pj, "--group: the job keeps no state, so its tasks could not move (run it with a state file)");
    if (ts->group && group_setup(ts)) {
        group_leave(ts);
        return -1;
    }
    if (ts->nworkers > ts->ntasks) ts->nworkers = ts->ntasks;   /* (a worker without a task would only wait) */
    ts->workers = calloc((size_t)ts->nworkers, sizeof *ts->workers);
    if (!ts->workers) abort();
    for (int w = 0; w < ts->nworkers; w++) {
        ts->workers[w] = (Worker){.ts = ts, .id = w, .nshares = stage_count(pj->plan)};
        ts->workers[w].shares = calloc((size_t)ts->workers[w].nshares, sizeof *ts->workers[w].shares);
        if (!ts->workers[w].shares) abort();
        pthread_mutex_init(&ts->workers[w].mu, NULL);
    }
    for (int i = 0; i < ts->ntasks && !ts->group; i++) worker_add(&ts->workers[i % ts->nworkers], &ts->tasks[i]);   /* round-robin */
    for (int i = 0; i < ts->ntasks && !ts->group; i++) ts->tasks[i].ran = true;
    if (pj->notice && !ts->group) {
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
        if (ts->group && !ts->halt) group_poll(ts);   /* (the group's callbacks start and stop tasks) */
        if (ts->halt)
            for (int i = 0; i < ts->ntasks; i++) ts->tasks[i].stop = 1;
        nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
        if (mono_ms() - published >= 250) {
            publish_parent(ts);
            published = mono_ms();
        }
    }
    for (int w = 0; w < started; w++) pthread_join(ts->workers[w].tid, NULL);
    if (ts->group) group_leave(ts);
    publish_parent(ts);
    return ts->failed || started < ts->nworkers ? -1 : 0;
}

void tasks_free(TaskSet *ts)
{
    if (!ts) return;
    if (ts->members) group_leave(ts);
    for (int s = 0; ts->first && s < stage_count(ts->parent->plan); s++) {
        free(ts->assign_topic[s]);
        free(ts->changelog[s]);
    }
    free(ts->first);
    free(ts->count);
    free(ts->assign_topic);
    free(ts->changelog);
    free(ts->members);
    kafka_consumer_free(ts->restorer);
    free(ts->group);
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
