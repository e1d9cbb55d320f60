/*
 * metrics.c — what a running job tells its operators: the snapshot the
 * job's thread publishes for other threads (JobSnap, exec.h), the
 * end-to-end latency histogram, notices at a bounded rate, and the
 * exposition of snapshots — Prometheus text (/metrics), JSON (/jobs, the
 * dashboard, eddy_job_describe), plain text (SHOW JOB) and health
 * (/healthz).  Every rendering reads the same derived values (JobView), so
 * the text and JSON forms cannot disagree.
 *
 * What does not live here: the HTTP server (connect/monitor.c), where the
 * counters are counted (the executor, operators and the Kafka driver).
 */
#include "metrics.h"
#include "clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Fine below a second, where a job's latency normally is (p99 interpolated
 * within a bucket: the buckets bound its error). */
const int64_t lat_bounds_ms[LAT_BUCKETS] = {1,   2,   3,   4,   5,   6,   8,    10,   12,   15,   20,    25,    30,    40,    50,   60,  80,
                                            100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 5000, 10000, 30000, 60000};
const char *const job_phase_names[] = {"CREATED", "STARTING", "RUNNING", "FINISHED", "STOPPED", "FAILED"};

void lat_observe(LatHist *h, int64_t ms, int64_t n)
{
    if (n <= 0) return;
    if (ms < 0) ms = 0;   /* a producer's clock ahead of ours */
    int b = 0;
    while (b < LAT_BUCKETS && ms > lat_bounds_ms[b]) b++;
    h->counts[b] += n;
    h->count += n;
    h->sum_ms += ms * n;
}

/* ---- the snapshot ---- */

void job_snap_begin(Job *j)
{
    pthread_mutex_lock(&j->snap_mu);
    JobSnap *s = &j->snap;
    s->taken_ms = wall_ms();
    s->phase = j->phase;
    s->stats = j->stats;
    /* checkpoints are counted when the next one waits for this one's
     * commit: a written one counts at once */
    if (j->writing && __atomic_load_n(&j->writer_done, __ATOMIC_ACQUIRE) && j->writer_rc == 0) s->stats.checkpoints++;
    s->ckpt_interval_ms = j->state ? j->ckpt_interval_ms : 0;
    for (int i = 0; i < j->nops; i++) s->ops[i] = j->ops[i].stats;
}

void job_snap_end(Job *j) { pthread_mutex_unlock(&j->snap_mu); }

void job_snap_phase(Job *j, JobPhase ph)
{
    j->phase = ph;
    job_snap_begin(j);
    if (ph == PHASE_STARTING) j->snap.started_ms = j->snap.taken_ms;
    if (ph == PHASE_FAILED) snprintf(j->snap.err, sizeof j->snap.err, "%s", j->err);
    if (ph != PHASE_RUNNING) j->snap.broker_down = false;
    job_snap_end(j);
}

void job_snap_copy(Job *j, JobSnap *out)
{
    pthread_mutex_lock(&j->snap_mu);
    *out = j->snap;
    out->ops = calloc((size_t)out->nops + 1, sizeof *out->ops);
    out->parts = calloc((size_t)out->nparts + 1, sizeof *out->parts);
    out->tasks = calloc((size_t)out->ntasks + 1, sizeof *out->tasks);
    if (!out->ops || !out->parts || !out->tasks) abort();
    if (out->ntasks) memcpy(out->tasks, j->snap.tasks, sizeof *out->tasks * (size_t)out->ntasks);
    if (out->nops) memcpy(out->ops, j->snap.ops, sizeof *out->ops * (size_t)out->nops);
    if (out->nparts) memcpy(out->parts, j->snap.parts, sizeof *out->parts * (size_t)out->nparts);
    pthread_mutex_unlock(&j->snap_mu);
}

void job_snap_free(JobSnap *s)
{
    free(s->ops);
    free(s->parts);
    free(s->tasks);
    s->ops = NULL;
    s->parts = NULL;
    s->tasks = NULL;
}

void job_notice_limited(Job *j, RateLog *rl, int64_t every_ms, const char *fmt, ...)
{
    if (!j->notice) return;
    int64_t now = mono_ms();
    if (rl->last_ms && now - rl->last_ms < every_ms) {
        rl->quiet++;
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (rl->quiet) job_notice(j, "%s (and %lld more like it in the last %.0f s)", msg, (long long)rl->quiet, (double)(now - rl->last_ms) / 1000.0);
    else job_notice(j, "%s", msg);
    rl->last_ms = now;
    rl->quiet = 0;
}

/* ---- derived values: what every rendering shows ---- */

void job_view(const MetricsJob *mj, int64_t now_ms, JobView *v)
{
    const JobSnap *s = &mj->snap;
    memset(v, 0, sizeof *v);
    v->lag = -1;
    for (int i = 0; i < s->nparts; i++) {
        const PartSnap *p = &s->parts[i];
        if (p->high < 0 || p->position < 0) continue;
        v->lag = (v->lag < 0 ? 0 : v->lag) + (p->high > p->position ? p->high - p->position : 0);
    }
    v->ckpt_age_ms = s->ckpt_wall_ms ? now_ms - s->ckpt_wall_ms : -1;
    v->uptime_ms = s->started_ms ? now_ms - s->started_ms : 0;
    v->bytes_in = 0;
    for (int i = 0; i < s->nparts; i++) v->bytes_in += s->parts[i].bytes;
    /* the latency quantiles, by linear interpolation within a bucket */
    for (int q = 0; q < 2; q++) {
        double want = (q ? 0.99 : 0.5) * (double)s->latency.count;
        int64_t seen = 0;
        double val = -1;
        for (int b = 0; b <= LAT_BUCKETS && s->latency.count > 0; b++) {
            int64_t c = s->latency.counts[b];
            if ((double)(seen + c) >= want && c > 0) {
                double lo = b ? (double)lat_bounds_ms[b - 1] : 0, hi = b < LAT_BUCKETS ? (double)lat_bounds_ms[b] : lo * 2;
                val = lo + (hi - lo) * (want - (double)seen) / (double)c;
                break;
            }
            seen += c;
        }
        if (q) v->p99_ms = val;
        else v->p50_ms = val;
    }
}

/* Why a job is not healthy, or NULL: failed or never started, the cluster
 * not answering, the last checkpoint older than three intervals (and a
 * minute).  A job that finished or was stopped is not a problem. */
static const char *job_unhealthy(const MetricsJob *mj, const JobView *v, char *buf, size_t cap)
{
    const JobSnap *s = &mj->snap;
    if (s->phase == PHASE_FAILED) {
        snprintf(buf, cap, "job failed: %s", s->err);
        return buf;
    }
    /* A job that finished its input or was stopped on purpose is no
     * problem; one that was never started is. */
    if (s->phase == PHASE_FINISHED || s->phase == PHASE_STOPPED) return NULL;
    if (s->phase == PHASE_CREATED) {
        snprintf(buf, cap, "job not running (not started)");
        return buf;
    }
    if (s->broker_down) {
        snprintf(buf, cap, "broker unreachable for %.0f s: %s", (double)(s->taken_ms - s->broker_down_ms) / 1000.0, s->broker_err);
        return buf;
    }
    int64_t limit = 3 * s->ckpt_interval_ms;
    if (limit < 60000) limit = 60000;
    if (s->ckpt_interval_ms > 0 && s->phase == PHASE_RUNNING) {
        int64_t age = v->ckpt_age_ms >= 0 ? v->ckpt_age_ms : v->uptime_ms;
        if (age > limit) {
            snprintf(buf, cap, "last checkpoint %s %.0f s ago (interval %.0f s)", v->ckpt_age_ms >= 0 ? "taken" : "never taken; started",
                     (double)age / 1000.0, (double)s->ckpt_interval_ms / 1000.0);
            return buf;
        }
    }
    return NULL;
}

/* ---- JSON ---- */

static void json_str(StrBuf *o, const char *s)
{
    sb_putc(o, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') sb_printf(o, "\\%c", *p);
        else if (*p == '\n') sb_puts(o, "\\n");
        else if (*p < 0x20) sb_printf(o, "\\u%04x", *p);
        else sb_putc(o, (char)*p);
    }
    sb_putc(o, '"');
}

static void json_num(StrBuf *o, double d)
{
    if (isfinite(d)) sb_printf(o, "%.17g", d);
    else sb_puts(o, "null");
}

int metrics_health(const MetricsJob *jobs, int n, StrBuf *out)
{
    int64_t now = wall_ms();
    int bad = 0;
    StrBuf reasons = {0};
    for (int i = 0; i < n; i++) {
        JobView v;
        job_view(&jobs[i], now, &v);
        char buf[1400];
        const char *why = job_unhealthy(&jobs[i], &v, buf, sizeof buf);
        if (!why) continue;
        sb_puts(&reasons, bad++ ? "," : "");
        sb_puts(&reasons, "{\"job\":");
        json_str(&reasons, jobs[i].name);
        sb_puts(&reasons, ",\"reason\":");
        json_str(&reasons, why);
        sb_putc(&reasons, '}');
    }
    sb_printf(out, "{\"status\":\"%s\",\"jobs\":%d", bad ? "unhealthy" : "ok", n);
    if (bad) sb_printf(out, ",\"reasons\":[%s]", reasons.s);
    sb_puts(out, "}\n");
    sb_free(&reasons);
    return bad ? 503 : 200;
}

void metrics_json_job(const MetricsJob *mj, StrBuf *o)
{
    const JobSnap *s = &mj->snap;
    const JobStats *st = &s->stats;
    int64_t now = wall_ms();
    JobView v;
    job_view(mj, now, &v);
    char buf[1400];
    const char *why = job_unhealthy(mj, &v, buf, sizeof buf);
    sb_puts(o, "{\"name\":");
    json_str(o, mj->name);
    sb_printf(o, ",\"id\":%d,\"state\":\"%s\",\"error\":", mj->id, job_phase_names[s->phase]);
    if (s->phase == PHASE_FAILED) json_str(o, s->err);
    else sb_puts(o, "null");
    sb_puts(o, ",\"healthy\":");
    sb_puts(o, why ? "false" : "true");
    sb_puts(o, ",\"unhealthy_reason\":");
    if (why) json_str(o, why);
    else sb_puts(o, "null");
    sb_printf(o, ",\"snapshot_ms\":%lld,\"started_ms\":%lld,\"uptime_ms\":%lld", (long long)s->taken_ms, (long long)s->started_ms,
              (long long)v.uptime_ms);
    sb_printf(o, ",\"records_in\":%lld,\"bytes_in\":%lld,\"changes_out\":%lld,\"records_out\":%lld,\"bytes_out\":%lld",
              (long long)st->records_in, (long long)v.bytes_in, (long long)st->rows_out, (long long)st->records_out, (long long)s->bytes_out);
    sb_printf(o, ",\"skipped\":%lld,\"dead_lettered\":%lld,\"late\":%lld,\"minibatches\":%lld", (long long)st->skipped,
              (long long)st->dead_lettered, (long long)st->late, (long long)st->flushes);
    sb_printf(o, ",\"null_dropped\":%lld", (long long)st->null_dropped);
    sb_printf(o, ",\"sink_errors\":%lld,\"sink_pending\":%lld,\"sink_records_retried\":%lld,\"sink_retries\":%lld", (long long)s->sink_errors,
              (long long)s->sink_pending, (long long)s->sink_retried, (long long)st->sink_retries);
    sb_puts(o, ",\"sink_waiting\":");   /* the sink partitions a checkpoint waits for, or null */
    if (s->sink_stall[0]) json_str(o, s->sink_stall);
    else sb_puts(o, "null");
    sb_puts(o, ",\"lag\":");
    if (v.lag >= 0) sb_printf(o, "%lld", (long long)v.lag);
    else sb_puts(o, "null");
    sb_printf(o, ",\"broker_up\":%s,\"broker_error\":", s->broker_down ? "false" : "true");
    if (s->broker_down) json_str(o, s->broker_err);
    else sb_puts(o, "null");
    sb_printf(o, ",\"checkpoint\":{\"count\":%lld,\"last_duration_ms\":%.3f,\"max_duration_ms\":%.3f,\"last_rows\":%lld,\"last_bytes\":%lld,\"interval_ms\":%lld,\"age_ms\":",
              (long long)st->checkpoints, (double)st->ckpt_last_us / 1000.0, (double)st->ckpt_max_us / 1000.0, (long long)st->ckpt_keys,
              (long long)st->ckpt_bytes, (long long)s->ckpt_interval_ms);
    if (v.ckpt_age_ms >= 0) sb_printf(o, "%lld", (long long)v.ckpt_age_ms);
    else sb_puts(o, "null");
    sb_puts(o, "},\"latency_ms\":{\"count\":");
    sb_printf(o, "%lld,\"p50\":", (long long)s->latency.count);
    json_num(o, v.p50_ms >= 0 ? v.p50_ms : NAN);
    sb_puts(o, ",\"p99\":");
    json_num(o, v.p99_ms >= 0 ? v.p99_ms : NAN);
    sb_puts(o, ",\"mean\":");
    json_num(o, s->latency.count ? (double)s->latency.sum_ms / (double)s->latency.count : NAN);
    sb_printf(o, "},\"workers\":%d,\"tasks\":[", s->nworkers);   /* a job run as tasks: each (docs/scaling.md) */
    for (int i = 0; i < s->ntasks; i++) {
        const TaskSnap *t = &s->tasks[i];
        sb_printf(o, "%s{\"stage\":%d,\"task\":%d,\"worker\":%d,\"state\":\"%s\",\"records_in\":%lld,\"changes_out\":%lld,"
                     "\"records_out\":%lld,\"lag\":",
                  i ? "," : "", t->stage, t->task, t->worker, job_phase_names[t->phase], (long long)t->records_in, (long long)t->rows_out,
                  (long long)t->records_out);
        if (t->lag >= 0) sb_printf(o, "%lld", (long long)t->lag);
        else sb_puts(o, "null");
        sb_puts(o, ",\"checkpoint_age_ms\":");
        if (t->ckpt_wall_ms) sb_printf(o, "%lld}", (long long)(now - t->ckpt_wall_ms));
        else sb_puts(o, "null}");
    }
    sb_puts(o, "],\"partitions\":[");
    for (int i = 0; i < s->nparts; i++) {
        const PartSnap *p = &s->parts[i];
        sb_puts(o, i ? ",{\"topic\":" : "{\"topic\":");
        json_str(o, p->topic);
        sb_printf(o, ",\"partition\":%d,\"position\":%lld,\"end\":%lld,\"lag\":", (int)p->partition, (long long)p->position, (long long)p->high);
        if (p->high >= 0 && p->position >= 0) sb_printf(o, "%lld", (long long)(p->high > p->position ? p->high - p->position : 0));
        else sb_puts(o, "null");
        sb_printf(o, ",\"records\":%lld,\"bytes\":%lld}", (long long)p->records, (long long)p->bytes);
    }
    sb_puts(o, "],\"operators\":[");
    for (int i = 0; i < s->nops; i++) {
        const OpStats *os = &s->ops[i];
        const PlanNode *n = mj->plan->nodes[i];
        sb_printf(o, "%s{\"id\":%d,\"name\":\"%s\",\"description\":", i ? "," : "", i, plan_ops[n->kind].name);
        json_str(o, mj->opdesc ? mj->opdesc[i] : "");
        sb_puts(o, ",\"inputs\":[");
        for (int k = 0; k < n->ninputs; k++) sb_printf(o, "%s%d", k ? "," : "", n->inputs[k]->id);
        sb_printf(o, "],\"rows_in\":%lld,\"rows_out\":%lld,\"state_keys\":%lld,\"state_bytes\":%lld,\"busy_ms\":%.3f,\"watermark\":",
                  (long long)os->rows_in, (long long)os->rows_out, (long long)os->state_keys, (long long)os->state_bytes,
                  (double)os->time_ns / 1e6);
        if (os->watermark == INT64_MIN || os->watermark == INT64_MAX) sb_puts(o, "null");
        else sb_printf(o, "%lld", (long long)os->watermark);
        sb_putc(o, '}');
    }
    sb_puts(o, "]}");
}

/* ---- plain text (SHOW JOB) ---- */

static void group(char *buf, size_t cap, long long v)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v);
    size_t n = strlen(raw), o = 0;
    if (v < 0 && o + 1 < cap) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = 0;
}

void metrics_text_job(const MetricsJob *mj, StrBuf *o)
{
    const JobSnap *s = &mj->snap;
    const JobStats *st = &s->stats;
    int64_t now = wall_ms();
    JobView v;
    job_view(mj, now, &v);
    char a[32], b[32], c[32];
    sb_printf(o, "Job '%s': %s", mj->name, job_phase_names[s->phase]);
    if (s->phase == PHASE_FAILED) sb_printf(o, ": %s", s->err);
    sb_putc(o, '\n');
    group(a, sizeof a, st->records_in);
    group(b, sizeof b, st->rows_out);
    group(c, sizeof c, st->records_out);
    sb_printf(o, "  records in %s, changes out %s, records written %s", a, b, c);
    if (v.lag >= 0) {
        group(a, sizeof a, v.lag);
        sb_printf(o, ", lag %s", a);
    }
    sb_putc(o, '\n');
    sb_printf(o, "  skipped %lld, dead-lettered %lld, late %lld; checkpoints %lld", (long long)st->skipped, (long long)st->dead_lettered,
              (long long)st->late, (long long)st->checkpoints);
    if (v.ckpt_age_ms >= 0) sb_printf(o, " (last %.1f s ago, %.1f ms, %lld rows, %lld bytes)", (double)v.ckpt_age_ms / 1000.0,
                                      (double)st->ckpt_last_us / 1000.0, (long long)st->ckpt_keys, (long long)st->ckpt_bytes);
    sb_putc(o, '\n');
    if (s->sink_errors || s->sink_retried || st->sink_retries || s->sink_pending)
        sb_printf(o, "  sink: %lld pending, %lld client errors, %lld records retried (Kafka), %lld retries (database)\n", (long long)s->sink_pending,
                  (long long)s->sink_errors, (long long)s->sink_retried, (long long)st->sink_retries);
    if (s->latency.count) sb_printf(o, "  end-to-end latency p50 %.1f ms, p99 %.1f ms (%lld records)\n", v.p50_ms, v.p99_ms, (long long)s->latency.count);
    if (s->broker_down) sb_printf(o, "  broker unreachable: %s\n", s->broker_err);
    if (s->sink_stall[0]) sb_printf(o, "  sink waits for acknowledgements (checkpoints wait): %s\n", s->sink_stall);
    if (s->ntasks) {   /* a job run as tasks: the counters above are their sums */
        sb_printf(o, "  %d task%s on %d worker thread%s:\n", s->ntasks, s->ntasks == 1 ? "" : "s", s->nworkers, s->nworkers == 1 ? "" : "s");
        sb_printf(o, "  %-5s %-5s %-6s %-9s %14s %14s %14s %10s\n", "stage", "task", "worker", "state", "records_in", "changes_out",
                  "records_out", "lag");
        for (int i = 0; i < s->ntasks; i++) {
            const TaskSnap *t = &s->tasks[i];
            char d[32] = "?";
            group(a, sizeof a, t->records_in);
            group(b, sizeof b, t->rows_out);
            group(c, sizeof c, t->records_out);
            if (t->lag >= 0) group(d, sizeof d, t->lag);
            sb_printf(o, "  %-5d %-5d %-6d %-9s %14s %14s %14s %10s\n", t->stage, t->task, t->worker, job_phase_names[t->phase], a, b, c, d);
        }
    }
    sb_printf(o, "%-4s %-60s %14s %14s %12s %12s %10s  %s\n", "id", "operator", "rows_in", "rows_out", "state_keys", "state_bytes", "busy_ms",
              "watermark");
    for (int i = s->nops - 1; i >= 0; i--) {   /* the sink first, as EXPLAIN */
        const OpStats *os = &s->ops[i];
        const char *d = mj->opdesc ? mj->opdesc[i] : plan_ops[mj->plan->nodes[i]->kind].name;
        char wm[40] = "-";
        if (os->watermark != INT64_MIN && os->watermark != INT64_MAX) {
            time_t t = (time_t)(os->watermark / 1000);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(wm, sizeof wm, "%Y-%m-%d %H:%M:%S", &tm);
            snprintf(wm + strlen(wm), sizeof wm - strlen(wm), ".%03d", (int)(os->watermark % 1000));
        }
        group(a, sizeof a, os->rows_in);
        group(b, sizeof b, os->rows_out);
        sb_printf(o, "%-4d %-60.60s %14s %14s %12lld %12lld %10.1f  %s\n", i, d, a, b, (long long)os->state_keys, (long long)os->state_bytes,
                  (double)os->time_ns / 1e6, wm);
    }
}

/* ---- Prometheus text format ---- */

static void label_val(StrBuf *o, const char *s)
{
    sb_putc(o, '"');
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"' || *p == '\\') sb_printf(o, "\\%c", *p);
        else if (*p == '\n') sb_puts(o, "\\n");
        else sb_putc(o, *p);
    }
    sb_putc(o, '"');
}

static void family(StrBuf *o, const char *name, const char *type, const char *help)
{
    sb_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(StrBuf *o, const char *name, const char *job, const char *more, double v)
{
    sb_printf(o, "%s{job=", name);
    label_val(o, job);
    sb_printf(o, "%s} ", more ? more : "");
    if (isnan(v)) sb_puts(o, "NaN");
    else if (v == floor(v) && fabs(v) < 9e15) sb_printf(o, "%.0f\n", v);
    else sb_printf(o, "%.9g\n", v);
}

/* One family over every job: `get` gives job i's value (or NaN to skip). */
#define JOB_FAMILY(NAME, TYPE, HELP, EXPR)                                    \
    do {                                                                      \
        family(o, NAME, TYPE, HELP);                                          \
        for (int i = 0; i < n; i++) {                                         \
            const JobSnap *s = &jobs[i].snap;                                 \
            const JobView *v = &views[i];                                     \
            (void)s;                                                          \
            (void)v;                                                          \
            double val = (double)(EXPR);                                      \
            if (!isnan(val)) sample(o, NAME, jobs[i].name, NULL, val);        \
        }                                                                     \
    } while (0)

#define PART_FAMILY(NAME, TYPE, HELP, EXPR)                                                   \
    do {                                                                                      \
        family(o, NAME, TYPE, HELP);                                                          \
        for (int i = 0; i < n; i++)                                                           \
            for (int k = 0; k < jobs[i].snap.nparts; k++) {                                   \
                const PartSnap *p = &jobs[i].snap.parts[k];                                   \
                double val = (double)(EXPR);                                                  \
                if (isnan(val)) continue;                                                     \
                lbl.len = 0;                                                                  \
                sb_puts(&lbl, ",topic=");                                                     \
                label_val(&lbl, p->topic);                                                    \
                sb_printf(&lbl, ",partition=\"%d\"", (int)p->partition);                      \
                sample(o, NAME, jobs[i].name, lbl.s, val);                                    \
            }                                                                                 \
    } while (0)

#define OP_FAMILY(NAME, TYPE, HELP, EXPR)                                                     \
    do {                                                                                      \
        family(o, NAME, TYPE, HELP);                                                          \
        for (int i = 0; i < n; i++)                                                           \
            for (int k = 0; k < jobs[i].snap.nops; k++) {                                     \
                const OpStats *os = &jobs[i].snap.ops[k];                                     \
                double val = (double)(EXPR);                                                  \
                if (isnan(val)) continue;                                                     \
                lbl.len = 0;                                                                  \
                sb_printf(&lbl, ",operator_id=\"%d\",operator=\"%s\"", k,                     \
                          plan_ops[jobs[i].plan->nodes[k]->kind].name);                       \
                sample(o, NAME, jobs[i].name, lbl.s, val);                                    \
            }                                                                                 \
    } while (0)

#define TASK_FAMILY(NAME, TYPE, HELP, EXPR)                                                   \
    do {                                                                                      \
        family(o, NAME, TYPE, HELP);                                                          \
        for (int i = 0; i < n; i++)                                                           \
            for (int k = 0; k < jobs[i].snap.ntasks; k++) {                                   \
                const TaskSnap *t = &jobs[i].snap.tasks[k];                                   \
                double val = (double)(EXPR);                                                  \
                if (isnan(val)) continue;                                                     \
                lbl.len = 0;                                                                  \
                sb_printf(&lbl, ",stage=\"%d\",task=\"%d\",worker=\"%d\"", t->stage, t->task,    \
                          t->worker);                                                         \
                sample(o, NAME, jobs[i].name, lbl.s, val);                                    \
            }                                                                                 \
    } while (0)

/* Resident memory and CPU time of the process. */
static void process_metrics(StrBuf *o)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    family(o, "eddy_process_resident_memory_bytes", "gauge", "Resident memory of the eddy process.");
    sb_printf(o, "eddy_process_resident_memory_bytes %.0f\n", (double)rss * (double)sysconf(_SC_PAGESIZE));
    family(o, "eddy_process_cpu_seconds_total", "counter", "User and system CPU time of the eddy process.");
    sb_printf(o, "eddy_process_cpu_seconds_total %.6f\n", cpu);
}

void metrics_prometheus(const MetricsJob *jobs, int n, StrBuf *o)
{
    int64_t now = wall_ms();
    JobView *views = calloc((size_t)n + 1, sizeof *views);
    if (!views) abort();
    for (int i = 0; i < n; i++) job_view(&jobs[i], now, &views[i]);
    StrBuf lbl = {0};

    family(o, "eddy_job_info", "gauge", "1 for every job, with its state.");
    for (int i = 0; i < n; i++) {
        sb_printf(&lbl, "%s", "");
        lbl.len = 0;
        sb_printf(&lbl, ",state=\"%s\"", job_phase_names[jobs[i].snap.phase]);
        sample(o, "eddy_job_info", jobs[i].name, lbl.s, 1);
    }
    JOB_FAMILY("eddy_job_up", "gauge", "1 while the job runs, else 0.", s->phase == PHASE_RUNNING);
    JOB_FAMILY("eddy_job_healthy", "gauge", "1 when /healthz finds nothing wrong with the job.",
               ({ char hb[1400]; job_unhealthy(&jobs[i], v, hb, sizeof hb) == NULL; }));
    JOB_FAMILY("eddy_job_start_time_seconds", "gauge", "When the job's run started (Unix time).",
               s->started_ms ? (double)s->started_ms / 1000.0 : NAN);
    JOB_FAMILY("eddy_job_records_in_total", "counter", "Source records read.", s->stats.records_in);
    JOB_FAMILY("eddy_job_bytes_in_total", "counter", "Key and value bytes of the source records read.", v->bytes_in);
    JOB_FAMILY("eddy_job_changes_out_total", "counter", "Changes that reached the sink (or the client).", s->stats.rows_out);
    JOB_FAMILY("eddy_job_records_out_total", "counter", "Records written to the sink's topic.", s->stats.records_out);
    JOB_FAMILY("eddy_job_bytes_out_total", "counter", "Key and value bytes written to sink topics.", s->bytes_out);
    JOB_FAMILY("eddy_job_records_skipped_total", "counter", "Malformed source records skipped ('error.mode' = 'skip').", s->stats.skipped);
    JOB_FAMILY("eddy_job_records_dead_lettered_total", "counter", "Skipped records copied to a dead-letter topic.", s->stats.dead_lettered);
    JOB_FAMILY("eddy_job_rows_null_dropped_total", "counter",
               "Sink rows dropped for a NULL in a NOT NULL column ('table.exec.sink.not-null-enforcer' = 'DROP').", s->stats.null_dropped);
    JOB_FAMILY("eddy_job_records_late_total", "counter", "Rows that came after every window they belong to had fired.", s->stats.late);
    JOB_FAMILY("eddy_job_minibatches_total", "counter", "Mini-batches emitted.", s->stats.flushes);
    JOB_FAMILY("eddy_job_consumer_lag_records", "gauge", "Records in the source partitions the job has yet to read (end offset - position).",
               v->lag >= 0 ? (double)v->lag : NAN);
    JOB_FAMILY("eddy_job_broker_up", "gauge", "0 while the Kafka cluster does not answer the job.", !s->broker_down);
    JOB_FAMILY("eddy_job_sink_errors_total", "counter", "Errors the sink's Kafka client reported (it retries them).", s->sink_errors);
    JOB_FAMILY("eddy_job_sink_pending_records", "gauge", "Records queued to the sink, not acknowledged yet.", s->sink_pending);
    JOB_FAMILY("eddy_job_sink_records_retried_total", "counter",
               "Records the Kafka sink's producer sent again after a failed Produce request (Kafka's record-retry-total).", s->sink_retried);
    JOB_FAMILY("eddy_job_sink_retries_total", "counter",
               "Lost connections a database sink retried, redoing its open transaction ('sink.max-retries').", s->stats.sink_retries);
    JOB_FAMILY("eddy_job_checkpoints_total", "counter", "Checkpoints committed.", s->stats.checkpoints);
    JOB_FAMILY("eddy_job_checkpoint_duration_seconds", "gauge", "How long the last checkpoint paused processing.", (double)s->stats.ckpt_last_us / 1e6);
    JOB_FAMILY("eddy_job_checkpoint_max_duration_seconds", "gauge", "The longest checkpoint pause of the run.", (double)s->stats.ckpt_max_us / 1e6);
    JOB_FAMILY("eddy_job_checkpoint_rows", "gauge", "State rows the last checkpoint wrote.", s->stats.ckpt_keys);
    JOB_FAMILY("eddy_job_checkpoint_bytes", "gauge", "Key and value bytes of the state rows the last checkpoint wrote (its size).",
               s->stats.ckpt_bytes);
    JOB_FAMILY("eddy_job_last_checkpoint_timestamp_seconds", "gauge", "When the last checkpoint committed (Unix time).",
               s->ckpt_wall_ms ? (double)s->ckpt_wall_ms / 1000.0 : NAN);
    JOB_FAMILY("eddy_job_last_checkpoint_age_seconds", "gauge", "Seconds since the last checkpoint committed.",
               v->ckpt_age_ms >= 0 ? (double)v->ckpt_age_ms / 1000.0 : NAN);
    JOB_FAMILY("eddy_job_restored_rows", "gauge", "State rows loaded from the state file at start.", s->stats.restored_keys);

    const char *lat = "eddy_job_end_to_end_latency_seconds";
    family(o, lat, "histogram", "From a source record's timestamp to the sink's acknowledgement of the mini-batch it was in.");
    for (int i = 0; i < n; i++) {
        const LatHist *h = &jobs[i].snap.latency;
        int64_t cum = 0;
        for (int b = 0; b <= LAT_BUCKETS; b++) {
            cum += h->counts[b];
            lbl.len = 0;
            if (b < LAT_BUCKETS) sb_printf(&lbl, ",le=\"%g\"", (double)lat_bounds_ms[b] / 1000.0);
            else sb_puts(&lbl, ",le=\"+Inf\"");
            sb_printf(o, "%s_bucket{job=", lat);
            label_val(o, jobs[i].name);
            sb_printf(o, "%s} %lld\n", lbl.s, (long long)cum);
        }
        sb_printf(o, "%s_sum{job=", lat);
        label_val(o, jobs[i].name);
        sb_printf(o, "} %.3f\n%s_count{job=", (double)h->sum_ms / 1000.0, lat);
        label_val(o, jobs[i].name);
        sb_printf(o, "} %lld\n", (long long)h->count);
    }

    PART_FAMILY("eddy_source_records_total", "counter", "Records read from a source partition.", p->records);
    PART_FAMILY("eddy_source_bytes_total", "counter", "Key and value bytes read from a source partition.", p->bytes);
    PART_FAMILY("eddy_source_position", "gauge", "Next offset the job reads in a source partition.", p->position >= 0 ? (double)p->position : NAN);
    PART_FAMILY("eddy_source_end_offset", "gauge", "End (high watermark) of a source partition, as the last fetch told it.",
                p->high >= 0 ? (double)p->high : NAN);
    PART_FAMILY("eddy_source_consumer_lag_records", "gauge", "Records in a source partition the job has yet to read.",
                p->high >= 0 && p->position >= 0 ? (double)(p->high > p->position ? p->high - p->position : 0) : NAN);

    TASK_FAMILY("eddy_task_records_in_total", "counter", "Source records a task read (a job run as tasks: --parallelism).", t->records_in);
    TASK_FAMILY("eddy_task_changes_out_total", "counter", "Rows that reached a task's sinks.", t->rows_out);
    TASK_FAMILY("eddy_task_records_out_total", "counter", "Records a task wrote.", t->records_out);
    TASK_FAMILY("eddy_task_lag_records", "gauge", "Records in a task's source partitions it has yet to read.", t->lag >= 0 ? (double)t->lag : NAN);
    OP_FAMILY("eddy_operator_rows_in_total", "counter", "Rows an operator received.", os->rows_in);
    OP_FAMILY("eddy_operator_rows_out_total", "counter", "Rows an operator emitted.", os->rows_out);
    OP_FAMILY("eddy_operator_state_keys", "gauge", "Keys an operator holds in state.", os->state_keys);
    OP_FAMILY("eddy_operator_state_bytes", "gauge", "Bytes of state an operator holds (payloads, approximately).", os->state_bytes);
    OP_FAMILY("eddy_operator_busy_seconds_total", "counter", "Time an operator spent processing.", (double)os->time_ns / 1e9);
    OP_FAMILY("eddy_operator_watermark_timestamp_seconds", "gauge", "Event time an operator has reached (Unix time).",
              os->watermark == INT64_MIN || os->watermark == INT64_MAX ? NAN : (double)os->watermark / 1000.0);
    OP_FAMILY("eddy_operator_event_time_lag_seconds", "gauge", "Wall clock minus the operator's watermark.",
              os->watermark == INT64_MIN || os->watermark == INT64_MAX ? NAN : (double)(now - os->watermark) / 1000.0);
    process_metrics(o);
    sb_free(&lbl);
    free(views);
}
