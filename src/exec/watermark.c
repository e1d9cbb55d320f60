/*
 * watermark.c — where event time comes from: the watermark of a source
 * with a WATERMARK clause, generated as Flink's Kafka source does.
 *
 * For every row a source decodes, its WATERMARK expression (SourcePlan.
 * watermark, over the source's row: `ts - INTERVAL '5' SECOND`) is
 * evaluated; each Kafka partition keeps the largest value its rows gave
 * (a NULL moves nothing).  The source's watermark is the smallest of its
 * partitions' — the partitions assigned to it (job_source_partitions), and
 * any that records come from — leaving out the idle ones: a partition that
 * has had no record for longer than the idle timeout of processing time
 * (scan.watermark.idle-timeout, else table.exec.source.idle-timeout; 0 =
 * never) until it gets one again.  A partition without a record holds the
 * watermark back (no watermark) unless it is idle; a source whose
 * partitions are all idle makes no progress.  It never goes back.  When it
 * rises, job_advance moves every operator downstream.
 *
 * When: after each batch job_push hands in (one record at a time when the
 * job emits per record, as `eddy test` runs), and when the clock moves
 * (a partition may have become idle).  The generator belongs to the source
 * operator (op_source.c keeps it); what it knows is runtime state, never
 * the plan's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "exec.h"

typedef struct WmPart {
    int32_t partition;    /* Kafka partition */
    int64_t wm;           /* largest WATERMARK value of its rows, INT64_MIN = none yet */
    int64_t active_ms;    /* processing time of its last record (or of its assignment) */
    bool    idle;         /* an exchange's writer that reads no partition: holds nothing back */
} WmPart;

struct WmGen {
    const BExpr *expr;    /* the WATERMARK expression over the source's row */
    int64_t      idle_ms; /* idle timeout, 0 = never idle */
    WmPart      *parts;   /* partitions, in the order first seen */
    int          nparts;  /* count */
    int          cap;     /* capacity */
    int          last;    /* index of the partition of the previous row (records come in runs) */
};

WmGen *wm_new(const OpState *src)
{
    const SourcePlan *sp = plan_source(src->node);
    if (!sp->watermark) return NULL;
    WmGen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->expr = sp->watermark;
    int64_t t = sp->table->conn.idle_timeout_ms;
    g->idle_ms = t >= 0 ? t : src->job->plan->config.idle_timeout_ms;
    return g;
}

void wm_free(WmGen *g)
{
    if (!g) return;
    free(g->parts);
    free(g);
}

static WmPart *part_of(WmGen *g, int32_t partition, int64_t now_ms)
{
    if (g->last < g->nparts && g->parts[g->last].partition == partition) return &g->parts[g->last];
    for (int i = 0; i < g->nparts; i++)
        if (g->parts[i].partition == partition) return &g->parts[g->last = i];
    if (g->nparts == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        g->parts = realloc(g->parts, sizeof *g->parts * (size_t)g->cap);
        if (!g->parts) abort();
    }
    g->parts[g->nparts] = (WmPart){partition, INT64_MIN, now_ms, false};
    return &g->parts[g->last = g->nparts++];
}

void wm_assign(WmGen *g, const int32_t *partitions, int n, int64_t now_ms)
{
    if (g && !g->expr) return;   /* an exchange's: its parts are the writing tasks, not Kafka partitions */
    for (int i = 0; g && i < n; i++) part_of(g, partitions[i], now_ms);
}

int wm_rows(OpState *src, WmGen *g, const Batch *rows)
{
    Job *j = src->job;
    if (!g->expr) return 0;   /* an exchange's: its markers set the writers' watermarks */
    EvalCtx cx;
    exec_eval_ctx(src, &cx);
    for (int i = 0; i < rows->n; i++) {
        const RawRecord *r = source_record_of(src, i);
        int32_t partition = r ? r->partition : 0;
        WmPart *p = part_of(g, partition, j->clock_ms);
        p->active_ms = j->clock_ms;
        Value v;
        if (eval_expr(g->expr, batch_row(rows, i), &v, &cx)) {
            /* (no SQL position: the expression's is in the CREATE TABLE's text, not the query's) */
            const PlanTable *t = plan_source(src->node)->table;
            if (r)
                return job_fail(j, "WATERMARK of table '%s': %s, for the record in topic '%s' partition %d offset %lld", t->name,
                                cx.err, r->topic ? r->topic : t->conn.topic, (int)r->partition, (long long)r->offset);
            return job_fail(j, "WATERMARK of table '%s': %s", t->name, cx.err);
        }
        if (!v.null && v.i > p->wm) p->wm = v.i;
    }
    return 0;
}

/* The source's watermark now: the smallest over its partitions that are
 * not idle; INT64_MIN when one of them has none yet, or all are idle. */
static int64_t wm_value(const WmGen *g, int64_t now_ms)
{
    int64_t min = INT64_MAX;
    bool any = false;
    for (int i = 0; i < g->nparts; i++) {
        const WmPart *p = &g->parts[i];
        if (p->idle || (g->idle_ms > 0 && now_ms - p->active_ms > g->idle_ms)) continue;
        any = true;
        if (p->wm < min) min = p->wm;
    }
    return any ? min : INT64_MIN;
}

int wm_advance(Job *j, int source)
{
    OpState *src = j->sources[source];
    WmGen *g = source_wmgen(src);
    if (!g) return 0;
    int64_t wm = wm_value(g, j->clock_ms);
    if (wm == INT64_MIN || wm <= src->stats.watermark) return 0;
    return job_advance(j, source, wm);
}

int job_source_partitions(Job *j, int source, const char *topic, const int32_t *partitions, int n)
{
    if (source < 0 || source >= j->nsources) return job_fail(j, "no source %d", source);
    OpState *src = j->sources[source];
    const char *own = plan_source(src->node)->table->conn.topic;
    if (topic && strcmp(topic, own) != 0) return job_fail(j, "source %d reads topic '%s', not '%s'", source, own, topic);
    wm_assign(source_wmgen(src), partitions, n, j->clock_ms);
    return 0;
}

int job_final_watermark(Job *j)
{
    if (j->err[0]) return -1;
    if (!j->started && job_start(j)) return -1;
    for (int s = 0; s < j->nsources; s++)
        if (job_advance(j, s, INT64_MAX)) return -1;
    return 0;
}

/* ---- an exchange's writers (op_exchange.c) ---- */

WmGen *wm_new_writers(void)
{
    WmGen *g = calloc(1, sizeof *g);
    if (!g) abort();
    return g;   /* no expression: rows move nothing, markers do (wm_writer); never idle by time */
}

void wm_writer(WmGen *g, int32_t task, int64_t wm, bool idle)
{
    WmPart *p = part_of(g, task, 0);
    if (wm > p->wm) p->wm = wm;
    p->idle = idle;
}

int wm_nparts(const WmGen *g) { return g ? g->nparts : 0; }

bool wm_idle(const WmGen *g, int64_t now_ms)
{
    for (int i = 0; g && i < g->nparts; i++) {
        const WmPart *p = &g->parts[i];
        if (!p->idle && !(g->idle_ms > 0 && now_ms - p->active_ms > g->idle_ms)) return false;
    }
    return true;
}
