/*
 * stage_mem.c — a plan cut into stages (Plan.stages, parallelism.default
 * > 1) run in memory, as `eddy test` and a program pushing records run it:
 * every stage as `ntasks` Jobs (job_set_task), one after the other on the
 * caller's thread, the internal topics between them simulated.
 *
 * A record pushed for a table goes to the task of its partition (partition
 * mod ntasks) of every stage reading the table; what an exchange's sink
 * emits (data records, commit markers: op_exchange.c) is queued and handed,
 * in the order it was emitted, to the task of the next stage reading that
 * partition, as a RawRecord; whatever that emits is queued behind it, until
 * nothing is left.  So a record goes through every stage before the next
 * is pushed.  Flushes, the clock and the final watermark go to the stages
 * in order, each stage's output handed on before the next stage's turn.
 * Jobs have no state file here: an exchange commits at every flush and
 * watermark (its markers then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "stage_mem.h"

/* A record on its way through an internal topic. */
typedef struct QRec {
    const char *topic;    /* the exchange's topic (plan memory) */
    int32_t     partition;/* partition */
    int64_t     ts;       /* timestamp */
    char       *val;      /* value bytes (owned) */
    size_t      vlen;     /* length */
} QRec;

typedef struct TaskOut {
    StageRun   *sr;       /* the run */
} TaskOut;

struct StageRun {
    const Plan *p;        /* the plan (its stages) */
    int         ntasks;   /* tasks per stage */
    Job      ***jobs;     /* [stage][task] */
    TaskOut     out;      /* every task's output */
    QRec       *q;        /* the queue: records emitted, not yet handed on */
    int         qhead, qn, qcap; /* first, end, capacity */
    int64_t    *offsets;  /* next offset per (exchange topic, partition): [stage source slot * ntasks + partition] */
    char        err[1024];/* the first failure */
    bool        started;  /* every task's job_start ran (after the partitions were declared) */
    int64_t     records_in; /* records pushed for tables */
};

static int out_emit(void *ctx, const OutRecord *r, char *err, size_t errlen)
{
    StageRun *sr = ((TaskOut *)ctx)->sr;
    (void)err, (void)errlen;
    if (sr->qn == sr->qcap) {
        if (sr->qhead > 0) {   /* move what is left to the front */
            memmove(sr->q, sr->q + sr->qhead, sizeof *sr->q * (size_t)(sr->qn - sr->qhead));
            sr->qn -= sr->qhead;
            sr->qhead = 0;
        }
        if (sr->qn == sr->qcap) {
            sr->qcap = sr->qcap ? sr->qcap * 2 : 256;
            sr->q = realloc(sr->q, sizeof *sr->q * (size_t)sr->qcap);
            if (!sr->q) abort();
        }
    }
    QRec *q = &sr->q[sr->qn++];
    q->topic = r->topic;
    q->partition = r->partition;
    q->ts = r->ts;
    q->vlen = r->vlen;
    q->val = malloc(r->vlen ? r->vlen : 1);
    if (!q->val) abort();
    if (r->vlen) memcpy(q->val, r->val, r->vlen);
    return 0;
}

static int out_partitions(void *ctx, const char *topic)
{
    (void)topic;
    return ((TaskOut *)ctx)->sr->ntasks;
}

static int fail_from(StageRun *sr, const Job *j)
{
    if (!sr->err[0]) snprintf(sr->err, sizeof sr->err, "%s", j->err[0] ? j->err : "a stage's task failed");
    return -1;
}

/* The stage and source that read exchange topic `topic`; -1 if none. */
static int reader_of(const StageRun *sr, const char *topic, int *source, int *slot)
{
    int k = 0;
    for (int s = 0; s < sr->p->nstages; s++) {
        const Plan *sp = sr->p->stages[s];
        for (int i = 0; i < sp->nsources; i++) {
            const PlanTable *t = sp->sources[i]->table;
            if (t->conn.kind != CONN_EXCHANGE) continue;
            if (strcmp(t->conn.topic, topic) == 0) {
                *source = i;
                *slot = k;
                return s;
            }
            k++;
        }
    }
    return -1;
}

/* Hands every queued record on, and what that emits, until none is left. */
static int drain(StageRun *sr)
{
    while (sr->qhead < sr->qn) {
        QRec q = sr->q[sr->qhead++];
        int src, slot, s = reader_of(sr, q.topic, &src, &slot);
        int rc = 0;
        if (s < 0) {
            snprintf(sr->err, sizeof sr->err, "no stage reads the exchange topic '%s'", q.topic);
            rc = -1;
        } else {
            int task = q.partition % sr->ntasks;
            int64_t *off = &sr->offsets[(size_t)slot * (size_t)sr->ntasks + (size_t)task];
            RawRecord r = {.topic = q.topic, .partition = q.partition, .offset = (*off)++, .ts = q.ts, .val = q.val, .vlen = q.vlen};
            Job *j = sr->jobs[s][task];
            if (job_push(j, src, &r, 1)) rc = fail_from(sr, j);
        }
        free(q.val);
        if (rc) return -1;
    }
    sr->qhead = sr->qn = 0;
    return 0;
}

StageRun *stagerun_new(const Plan *p, int ntasks, void (*setup)(Job *j, void *ctx), void *ctx, char *err, size_t errlen)
{
    StageRun *sr = calloc(1, sizeof *sr);
    if (!sr) abort();
    sr->p = p;
    sr->ntasks = ntasks > 0 ? ntasks : 1;
    sr->out.sr = sr;
    sr->jobs = calloc((size_t)p->nstages, sizeof *sr->jobs);
    int nx = 0;
    for (int s = 0; s < p->nstages; s++)
        for (int i = 0; i < p->stages[s]->nsources; i++) nx += p->stages[s]->sources[i]->table->conn.kind == CONN_EXCHANGE;
    sr->offsets = calloc((size_t)(nx + 1) * (size_t)sr->ntasks, sizeof *sr->offsets);
    if (!sr->jobs || !sr->offsets) abort();
    for (int s = 0; s < p->nstages; s++) {
        sr->jobs[s] = calloc((size_t)sr->ntasks, sizeof **sr->jobs);
        if (!sr->jobs[s]) abort();
        for (int t = 0; t < sr->ntasks; t++) {
            Job *j = job_new(p->stages[s], err, errlen);
            if (!j) {
                stagerun_free(sr);
                return NULL;
            }
            sr->jobs[s][t] = j;
            job_set_task(j, t, sr->ntasks);
            if (setup) setup(j, ctx);
            j->xout = (JobOutput){.ctx = &sr->out, .emit = out_emit, .partitions = out_partitions};
        }
    }
    return sr;
}

void stagerun_free(StageRun *sr)
{
    if (!sr) return;
    for (int s = 0; s < sr->p->nstages && sr->jobs; s++)
        for (int t = 0; sr->jobs[s] && t < sr->ntasks; t++) job_free(sr->jobs[s][t]);
    for (int s = 0; s < sr->p->nstages && sr->jobs; s++) free(sr->jobs[s]);
    free(sr->jobs);
    for (int i = sr->qhead; i < sr->qn; i++) free(sr->q[i].val);
    free(sr->q);
    free(sr->offsets);
    free(sr);
}

const char *stagerun_errmsg(const StageRun *sr) { return sr->err; }

/* Every task starts, stage by stage (an exchange's writers say they exist:
 * a task reading no partition holds no reader back). */
static int start_all(StageRun *sr)
{
    if (sr->started) return 0;
    sr->started = true;
    for (int s = 0; s < sr->p->nstages; s++)
        for (int t = 0; t < sr->ntasks; t++) {
            if (job_start(sr->jobs[s][t])) return fail_from(sr, sr->jobs[s][t]);
            if (drain(sr)) return -1;
        }
    return 0;
}

int stagerun_push(StageRun *sr, const char *table, const RawRecord *rec)
{
    if (start_all(sr)) return -1;
    bool any = false;
    for (int s = 0; s < sr->p->nstages; s++) {
        const Plan *sp = sr->p->stages[s];
        for (int i = 0; i < sp->nsources; i++) {
            const PlanTable *t = sp->sources[i]->table;
            if (t->conn.kind == CONN_EXCHANGE || strcmp(t->name, table) != 0) continue;
            Job *j = sr->jobs[s][(rec->partition < 0 ? 0 : rec->partition) % sr->ntasks];
            RawRecord r = *rec;
            r.topic = t->conn.topic;
            any = true;
            sr->records_in++;
            if (job_push(j, i, &r, 1)) return fail_from(sr, j);
            if (drain(sr)) return -1;
        }
    }
    if (!any) snprintf(sr->err, sizeof sr->err, "the job reads no table '%s'", table);
    return any ? 0 : -1;
}

int stagerun_partitions(StageRun *sr, const char *table, const int32_t *parts, int n)
{
    int32_t *mine = calloc((size_t)n + 1, sizeof *mine);
    if (!mine) abort();
    int rc = 0;
    for (int s = 0; s < sr->p->nstages && !rc; s++) {
        const Plan *sp = sr->p->stages[s];
        for (int i = 0; i < sp->nsources && !rc; i++) {
            const PlanTable *t = sp->sources[i]->table;
            if (t->conn.kind == CONN_EXCHANGE || strcmp(t->name, table) != 0) continue;
            for (int task = 0; task < sr->ntasks && !rc; task++) {   /* task t: the partitions p with p mod ntasks = t */
                int m = 0;
                for (int k = 0; k < n; k++)
                    if (parts[k] % sr->ntasks == task) mine[m++] = parts[k];
                if (job_source_partitions(sr->jobs[s][task], i, NULL, mine, m)) rc = fail_from(sr, sr->jobs[s][task]);
            }
        }
    }
    free(mine);
    return rc;
}

static int do_flush(Job *j, int64_t arg) { return (void)arg, job_flush(j); }
static int do_clock(Job *j, int64_t now) { return job_set_clock(j, now); }
static int do_final(Job *j, int64_t arg) { return (void)arg, job_final_watermark(j); }

/* Calls fn on every task, stage by stage, handing each stage's output on before the next. */
static int each_task(StageRun *sr, int (*fn)(Job *j, int64_t arg), int64_t arg)
{
    if (fn != do_clock && start_all(sr)) return -1;   /* (the clock comes before the partitions) */
    for (int s = 0; s < sr->p->nstages; s++) {
        for (int t = 0; t < sr->ntasks; t++) {
            Job *j = sr->jobs[s][t];
            if (fn(j, arg)) return fail_from(sr, j);
            if (drain(sr)) return -1;
        }
    }
    return 0;
}


int stagerun_flush(StageRun *sr) { return each_task(sr, do_flush, 0); }
int stagerun_set_clock(StageRun *sr, int64_t now_ms) { return each_task(sr, do_clock, now_ms); }
int stagerun_final_watermark(StageRun *sr) { return each_task(sr, do_final, 0); }

int stagerun_generate(StageRun *sr, int64_t max, bool *done)
{
    *done = true;
    if (start_all(sr)) return -1;
    for (int s = 0; s < sr->p->nstages; s++) {
        for (int t = 0; t < sr->ntasks; t++) {
            Job *j = sr->jobs[s][t];
            for (int src = 0; src < j->nsources; src++) {
                if (!job_source_pulls(j, src) || j->sources[src]->vt->open) continue;
                int64_t pos = 0;   /* a case's generated rows are made at once (bounded), from the start */
                bool d = false;
                for (int64_t left = max; left > 0 && !d;) {
                    int64_t at = pos, step = j->per_record ? 1 : left;
                    if (job_pull(j, src, &pos, step, &d)) return fail_from(sr, j);
                    if (pos == at && !d) break;
                    left -= pos - at;
                    if (j->per_record && job_flush(j)) return fail_from(sr, j);
                    if (drain(sr)) return -1;
                }
                if (!d) *done = false;
            }
        }
    }
    return 0;
}

void stagerun_stats(const StageRun *sr, JobStats *out)
{
    memset(out, 0, sizeof *out);
    out->records_in = sr->records_in;
    for (int s = 0; s < sr->p->nstages; s++)
        for (int t = 0; t < sr->ntasks; t++) {
            const JobStats *js = &sr->jobs[s][t]->stats;
            out->rows_out += js->rows_out;
            out->records_out += js->records_out;
            out->skipped += js->skipped;
            out->late += js->late;
            out->flushes += js->flushes;
            out->null_dropped += js->null_dropped;
            out->dead_lettered += js->dead_lettered;
        }
}
