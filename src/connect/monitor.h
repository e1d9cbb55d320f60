/*
 * monitor.h — the glue between the job API (exec/job_api.c) and the HTTP
 * monitor (connect/monitor.c): a monitor reads a job's snapshot through
 * job_api_metrics_job, and learns of the job's end through
 * monitor_job_gone; a SinkView is the job's sink table as the dashboard
 * shows it, fed by the job's changes.
 */
#ifndef EDDY_MONITOR_H
#define EDDY_MONITOR_H

#include "eddy.h"
#include "metrics.h"

typedef struct SinkView SinkView;

/* A copy of job ej's last snapshot into mj (mj->name and id are left alone). */
void job_api_metrics_job(eddy_job *ej, MetricsJob *mj);
/* Links the job to its monitor and sink view (NULLs unlink). */
void job_api_set_monitor(eddy_job *ej, eddy_monitor *m, SinkView *view);
/* The job is being freed: the monitor keeps its last snapshot. */
void monitor_job_gone(eddy_monitor *m, eddy_job *ej);
/* On the job's thread: a change reached the sink. */
void sink_view_apply(SinkView *v, const eddy_change *c);

#endif
