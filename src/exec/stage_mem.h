/*
 * stage_mem.h — a plan cut into stages, run in memory (stage_mem.c): the
 * job API's push, flush, clock and final watermark for a plan with
 * Plan.nstages > 1, every stage as ntasks Jobs on the caller's thread.
 */
#ifndef EDDY_STAGE_MEM_H
#define EDDY_STAGE_MEM_H

#include "exec.h"

typedef struct StageRun StageRun;

/* A run of p's stages, ntasks tasks each; setup(job, ctx) is called for
 * every task's Job (callbacks, per_record) before its output is set.
 * NULL with a message in err on failure. */
StageRun *stagerun_new(const Plan *p, int ntasks, void (*setup)(Job *j, void *ctx), void *ctx, char *err, size_t errlen);
void      stagerun_free(StageRun *sr);
/* The record goes to the task of its partition in every stage reading
 * `table`, and on through the exchanges.  0 or -1 (stagerun_errmsg). */
int       stagerun_push(StageRun *sr, const char *table, const RawRecord *rec);
/* The partitions of `table`'s topic: task t declares those ≡ t mod ntasks. */
int       stagerun_partitions(StageRun *sr, const char *table, const int32_t *parts, int n);
int       stagerun_generate(StageRun *sr, int64_t max, bool *done);
int       stagerun_flush(StageRun *sr);
int       stagerun_set_clock(StageRun *sr, int64_t now_ms);
int       stagerun_final_watermark(StageRun *sr);
const char *stagerun_errmsg(const StageRun *sr);
/* The tasks' counters summed (records_in: the records pushed for tables). */
void      stagerun_stats(const StageRun *sr, JobStats *out);

#endif
