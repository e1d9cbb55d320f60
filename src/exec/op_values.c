/*
 * op_values.c — VALUES (and SELECT without FROM): the plan's constant rows,
 * emitted once as inserts when the job starts (the `start` hook, which
 * job_start calls before the first record, flush or final watermark).
 * Each expression is evaluated then (NOW() reads the job's clock).  After
 * its rows the operator's watermark is the end of time: a bounded input
 * never holds back the watermark of an operator it feeds with a Kafka
 * source.  Stateless: a restarted job emits the rows again, as Flink's
 * bounded VALUES source does.
 */
#include <string.h>

#include "eval.h"
#include "exec.h"

static int values_init(OpState *s)
{
    (void)s;
    return 0;
}

static int values_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)s, (void)port, (void)in, (void)out;   /* no inputs */
    return 0;
}

static int values_start(OpState *s, Batch *out)
{
    const ValuesPlan *vp = plan_values(s->node);
    EvalCtx cx;
    exec_eval_ctx(s, &cx);
    /* a stage run as tasks (job_set_task): task 0 emits the rows, once */
    for (int r = 0; r < vp->nrows && s->job->task == 0; r++) {
        Value *row = batch_add(out, RK_INSERT, s->job->clock_ms);
        for (int i = 0; i < s->node->ncols; i++)
            if (eval_expr(vp->rows[r][i], NULL, &row[i], &cx)) return exec_eval_fail(s, cx.errpos, cx.err);
    }
    s->stats.watermark = INT64_MAX;
    return 0;
}

static void values_end(OpState *s) { (void)s; }

const OpVTable op_values_vt = {.init = values_init, .process = values_process, .end = values_end, .start = values_start};
