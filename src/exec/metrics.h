/*
 * metrics.h — renderings of job snapshots (metrics.c): Prometheus text,
 * JSON, plain text and health.  A MetricsJob is one job's copied snapshot
 * with what names it; JobView the values derived from it that every
 * rendering shows.  The snapshot itself (JobSnap) is in exec.h.
 */
#ifndef EDDY_METRICS_H
#define EDDY_METRICS_H

#include "exec.h"

typedef struct MetricsJob {
    const char *name;     /* job name (the `job` label) */
    int         id;       /* the caller's number for it (the shell's job id), 0 = none */
    const Plan *plan;     /* its plan (operator names and inputs) */
    char *const *opdesc;  /* per operator: its EXPLAIN line, or NULL */
    JobSnap     snap;     /* a copy of its last snapshot */
} MetricsJob;

typedef struct JobView {
    int64_t lag;          /* records behind the ends of the source partitions, -1 = not known */
    int64_t ckpt_age_ms;  /* since the last checkpoint committed, -1 = none */
    int64_t uptime_ms;    /* since the run started */
    int64_t bytes_in;     /* source bytes read */
    double  p50_ms;       /* end-to-end latency quantiles from the histogram, -1 = no data */
    double  p99_ms;
} JobView;

void job_view(const MetricsJob *mj, int64_t now_ms, JobView *v);
/* Prometheus text exposition format 0.0.4 of the jobs and the process. */
void metrics_prometheus(const MetricsJob *jobs, int n, StrBuf *out);
/* One job as a JSON object (what SHOW JOBS shows, counters, partitions, operators). */
void metrics_json_job(const MetricsJob *mj, StrBuf *out);
/* One job as text: counters, then a line per operator (SHOW JOB). */
void metrics_text_job(const MetricsJob *mj, StrBuf *out);
/* /healthz: 200 when no job failed or waits unstarted, and every running
 * job reaches its cluster and checkpoints on time; else 503, the JSON body
 * saying why. */
int  metrics_health(const MetricsJob *jobs, int n, StrBuf *out);

#endif
