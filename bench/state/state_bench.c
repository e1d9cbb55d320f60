/*
 * state_bench.c — measures what checkpoints cost, from inside a job.
 *
 * The eddy CLI does not report per-checkpoint pauses nor when the first
 * record was processed, so this program runs jobs the way `eddy run` does
 * (compile with the public API, then exec.h's job_new / job_attach_state /
 * job_run_kafka from libeddy.a) and watches the job's JobStats from a
 * second thread, every 0.2 ms.  The stats are plain int64 fields written by
 * the job thread and read here without synchronisation: good enough for a
 * benchmark on x86-64 (aligned 8-byte loads), not a pattern for eddy.
 *
 * Modes (all print one "key=value ..." line per measurement on stdout):
 *
 *   state_bench run BOOTSTRAP JOB.sql STATE|none N
 *       `eddy run --bounded`: N records must be read.  Reports the
 *       processing rate from the first record to the N-th, the periodic
 *       checkpoints taken meanwhile (count, keys, pause), the final
 *       checkpoint, and memory: VmRSS/VmHWM and heap bytes in use
 *       (mallinfo2) before the job starts, after it has read everything
 *       (consumer still open) and at the end (consumer and producer closed,
 *       job not yet freed), each after malloc_trim; and what SQLite holds
 *       (sqlite3_memory_used: mostly its page cache).
 *
 *   state_bench pause BOOTSTRAP JOB.sql STATE WINDOWS KEYS USERS INTERVAL_MS
 *       The checkpoint pause with KEYS changed keys per checkpoint, from
 *       memory (no consumer): WINDOWS times, KEYS orders whose user_id are
 *       KEYS distinct values out of 1..USERS are pushed in chunks of 10 000
 *       spread evenly over INTERVAL_MS, each flushed as a mini-batch to a
 *       Kafka producer at BOOTSTRAP, and a checkpoint follows the last
 *       chunk at once.  The pause is what job_checkpoint
 *       costs the job, split into (a) waiting for the previous checkpoint's
 *       write if the writer thread is still at it, (b) flushing the
 *       mini-batch and waiting for the sink's deliveries, (c) collecting
 *       the changed state in memory.  The SQLite transaction itself runs
 *       on eddy's writer thread; the last one is timed separately.  The JOB
 *       must group by user_id.
 *
 *   state_bench steady BOOTSTRAP JOB.sql STATE|none SECONDS USERS
 *       Sustained throughput without the consumer: 2M orders (user_id in
 *       1..USERS) are generated into memory first, then pushed in batches
 *       of 10 000 for SECONDS, with mini-batches, sink and checkpoints
 *       driven as job_run_kafka drives them (flush at table.exec.mini-
 *       batch.size rows or allow-latency, checkpoint every
 *       execution.checkpointing.interval when a state file is given).
 *       Reports records/s, the checkpoints and their pauses.
 *
 *   state_bench restart BOOTSTRAP JOB.sql STATE
 *       A restart over Kafka: times state_open, loading the state
 *       (job_attach_state), the first record read and the first record
 *       written after the process started, then stops the job once it has
 *       read what the topic held at start.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "eddy.h"
#include "exec.h"
#include "gen.h"
#include "kafka.h"
#include "plan.h"
#include "state.h"

static double t_start;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

static void die(const char *fmt, const char *a)
{
    fprintf(stderr, "state_bench: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    exit(1);
}

/* VmRSS and VmHWM of this process, in bytes. */
static void proc_mem(long long *rss, long long *hwm)
{
    *rss = *hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        long long kb;
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1) *rss = kb * 1024;
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) *hwm = kb * 1024;
    }
    fclose(f);
}

static long long heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();   /* every arena */
    return (long long)(mi.uordblks + mi.hblkhd);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read %s", path);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Compiles the script and returns the plan of its (only) INSERT. */
static const Plan *compile_job(const char *path, eddy_engine **ep, eddy_script **sp)
{
    size_t len;
    char *sql = read_file(path, &len);
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    if (eddy_compile(e, sql, len, path, &s)) {
        fputs(eddy_errtext(e), stderr);
        exit(1);
    }
    free(sql);
    const Plan *p = NULL;
    for (int i = 0; i < eddy_script_count(s); i++)
        if (eddy_script_kind(s, i) == EDDY_STMT_INSERT) p = (const Plan *)eddy_script_plan(s, i);
    if (!p) die("%s has no INSERT", path);
    *ep = e;
    *sp = s;
    return p;
}

static Job *new_job(const Plan *p, const char *state, bool bounded, double *open_s, double *load_s)
{
    char err[1024];
    Job *j = job_new(p, err, sizeof err);
    if (!j) die("%s", err);
    j->bounded = bounded;
    if (strcmp(state, "none") != 0) {
        StateStore *st;
        double t0 = now_s();
        if (state_open(state, &st, err, sizeof err)) die("%s", err);
        double t1 = now_s();
        if (job_attach_state(j, st)) die("%s", j->err);
        if (open_s) *open_s = t1 - t0;
        if (load_s) *load_s = now_s() - t1;
    }
    return j;
}

typedef struct Runner {
    Job                  *job;       /* the job */
    const char           *bootstrap; /* broker */
    volatile sig_atomic_t stop;      /* set to stop an unbounded job */
    volatile int          done;      /* job_run_kafka returned */
    int                   rc;        /* its result */
} Runner;

static void *run_thread(void *arg)
{
    Runner *r = arg;
    r->rc = job_run_kafka(r->job, r->bootstrap, &r->stop);
    r->done = 1;
    return NULL;
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* ------------------------------------------------------------------ */

static int mode_run(const char *bs, const char *sqlpath, const char *state, long long n)
{
    eddy_engine *e;
    eddy_script *s;
    const Plan *p = compile_job(sqlpath, &e, &s);
    Job *j = new_job(p, state, true, NULL, NULL);
    malloc_trim(0);
    long long rss0, hwm0, heap0 = heap_in_use();
    proc_mem(&rss0, &hwm0);
    Runner r = {.job = j, .bootstrap = bs};
    pthread_t tid;
    double t0 = now_s(), t_first = 0, t_last = 0;
    pthread_create(&tid, NULL, run_thread, &r);
    /* A checkpoint's pause shows as a new ckpt_last_us (job_checkpoint sets
     * it when it returns); its commit, done by the writer thread, shows as
     * checkpoints + 1 (counted when the write is joined: at the next
     * checkpoint, or at the stop). */
    int64_t seen_us = 0, seen_commits = 0, ckpt_keys_sum = 0, ckpt_us_max = 0, ckpt_us_sum = 0;
    int64_t pauses[4096];
    int npauses = 0;
    double t_commit = 0;
    long long rss1 = -1, hwm1 = -1, heap1 = -1;
    while (!r.done) {
        int64_t in = LOAD(j->stats.records_in);
        int64_t us = LOAD(j->stats.ckpt_last_us);
        int64_t c = LOAD(j->stats.checkpoints);
        double t = now_s();
        if (in > 0 && t_first == 0) t_first = t;
        if (us != seen_us) {
            if (t_last == 0) {   /* a periodic checkpoint (before the last record) */
                if (npauses < 4096) pauses[npauses++] = us;
                ckpt_keys_sum += LOAD(j->stats.ckpt_keys);
                ckpt_us_sum += us;
                if (us > ckpt_us_max) ckpt_us_max = us;
            }
            seen_us = us;
        }
        if (c != seen_commits) {
            seen_commits = c;
            t_commit = t;
        }
        if (in >= n && t_last == 0) {
            t_last = t;
            /* Everything read; the consumer is still open: memory now. */
            malloc_trim(0);
            heap1 = heap_in_use();
            proc_mem(&rss1, &hwm1);
        }
        nap_us(200);
    }
    pthread_join(tid, NULL);
    double t_end = now_s();
    /* The consumer and producer are closed now: what is left is the job's
     * own state (groups, hash table, checkpoint bookkeeping). */
    malloc_trim(0);
    long long rss2, hwm2, heap2 = heap_in_use();
    proc_mem(&rss2, &hwm2);
    if (r.rc) die("job failed: %s", j->err);
    if (j->stats.records_in != n) {
        fprintf(stderr, "state_bench: read %lld records, expected %lld\n", (long long)j->stats.records_in, n);
        return 1;
    }
    double proc = t_last - t_first;
    int64_t final_us = j->state ? j->stats.ckpt_last_us : 0, final_keys = j->state ? j->stats.ckpt_keys : 0;
    /* Until the final checkpoint was committed (the stop waits for it). */
    double final_commit = j->state && t_commit > t_last ? t_commit - t_last : 0;
    printf("mode=run sql=%s state=%s records=%lld start_s=%.3f process_s=%.3f rate=%.0f periodic_ckpts=%d periodic_keys=%lld "
           "periodic_pause_ms_sum=%.1f periodic_pause_ms_max=%.1f final_ckpt_ms=%.1f final_ckpt_keys=%lld final_commit_ms=%.1f "
           "rate_incl_final=%.0f "
           "out=%lld rss0=%lld rss1=%lld hwm1=%lld heap0=%lld heap1=%lld rss_end=%lld heap_end=%lld sqlite_end=%lld hwm_end=%lld "
           "total_s=%.3f\n",
           sqlpath, state, n, t_first - t0, proc, (double)n / proc, npauses, (long long)ckpt_keys_sum, ckpt_us_sum / 1000.0,
           ckpt_us_max / 1000.0, final_us / 1000.0, (long long)final_keys, final_commit * 1e3,
           (double)n / (proc + (final_commit > final_us / 1e6 ? final_commit : final_us / 1e6)),
           (long long)j->stats.records_out, rss0, rss1, hwm1, heap0, heap1, rss2, heap2, (long long)sqlite3_memory_used(), hwm2,
           t_end - t0);
    for (int i = 0; i < npauses; i++) printf("%s%.1f", i ? "," : "periodic_pauses_ms=", pauses[i] / 1000.0);
    if (npauses) putchar('\n');
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
    return 0;
}

/* ------------------------------------------------------------------ */

typedef struct Sink {
    kafka_producer *p;   /* the sink's producer */
} Sink;

static int sink_emit(void *ctx, const OutRecord *r, char *err, size_t errlen)
{
    Sink *k = ctx;
    return kafka_produce(k->p, r->topic, -1, r->key, r->klen, r->val, r->vlen, r->ts, NULL, 0, err, errlen);
}

static int sink_flush(void *ctx, int timeout_ms, char *err, size_t errlen)
{
    Sink *k = ctx;
    return kafka_producer_flush(k->p, timeout_ms, err, errlen);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const int64_t *sorted, int n, double q)
{
    int i = (int)(q * (n - 1) + 0.5);
    return sorted[i] / 1000.0;
}

static int mode_pause(const char *bs, const char *sqlpath, const char *state, int windows, int keys, int users, int interval_ms)
{
    eddy_engine *e;
    eddy_script *s;
    const Plan *p = compile_job(sqlpath, &e, &s);
    Job *j = new_job(p, state, false, NULL, NULL);
    if (!j->state) die("%s", "pause needs a state file");
    char err[512];
    Sink sink = {kafka_producer_new(bs, NULL, err, sizeof err)};   /* eddy's sink defaults */
    if (!sink.p) die("%s", err);
    int np = 0;
    kafka_producer_partition_count(sink.p, p->sinks[0]->table->conn.topic, 5000, &np, err, sizeof err);
    j->out = (JobOutput){.ctx = &sink, .emit = sink_emit, .flush = sink_flush};
    /* Records in memory: one mini-batch chunk's worth, rewritten per chunk. */
    enum { MB = 10000 };
    char (*keyb)[GEN_KEY_MAX] = malloc(sizeof *keyb * MB), (*valb)[GEN_VALUE_MAX] = malloc(sizeof *valb * MB);
    RawRecord *recs = calloc(MB, sizeof *recs);
    int64_t *order = malloc(sizeof *order * (size_t)users);
    size_t w8 = sizeof(int64_t) * (size_t)windows;
    int64_t *total = malloc(w8), *waitpart = malloc(w8), *flushpart = malloc(w8), *collect = malloc(w8), *nkeys = malloc(w8);
    if (!keyb || !valb || !recs || !order || !total || !waitpart || !flushpart || !collect || !nkeys) abort();
    /* user ids 1..users in a random order; window w takes the next `keys` of them (cyclically). */
    uint64_t rng = gen_seed(99);
    for (int i = 0; i < users; i++) order[i] = i + 1;
    for (int i = users - 1; i > 0; i--) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int k = (int)(rng % (uint64_t)(i + 1));
        int64_t t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    uint64_t grng = gen_seed(7);
    int64_t next_user = 0, order_id = 0, offset = 0;
    SourceOffset offs[1] = {{"orders_raw", 0, 0}};
    int overran = 0;
    double t0 = now_s(), last = t0;
    for (int w = 0; w < windows; w++) {
        /* The window's records arrive as a steady stream over the interval:
         * chunk k is pushed at window start + k/nchunks of the interval,
         * and the checkpoint follows the last chunk at once (as in a job
         * that is busy when its checkpoint is due). */
        int nchunks = (keys + MB - 1) / MB;
        double wstart = last;
        for (int k = 0, done = 0; done < keys; k++) {
            double slot = wstart + (double)interval_ms / 1000.0 * (k + 1) / nchunks - 0.002, t = now_s();
            if (slot > t) nap_us((long)((slot - t) * 1e6));
            int n = keys - done < MB ? keys - done : MB;
            for (int i = 0; i < n; i++) {
                gen_order o;
                size_t kl, vl;
                gen_order_draw(&grng, ++order_id, users, 8, &o);
                o.user_id = order[next_user++ % users];
                gen_order_format(&o, keyb[i], GEN_KEY_MAX, &kl, valb[i], GEN_VALUE_MAX, &vl);
                recs[i] = (RawRecord){.topic = "orders_raw", .offset = offset++, .key = keyb[i], .klen = kl, .val = valb[i], .vlen = vl};
            }
            if (job_push(j, 0, recs, n) || job_flush(j)) die("%s", j->err);
            if (kafka_producer_poll(sink.p, err, sizeof err)) die("%s", err);
            done += n;
        }
        last = now_s();
        /* The pause = what job_checkpoint does, timed in three parts:
         * the previous checkpoint's write still running (the engine waits
         * for it), the mini-batch flushed and the sink's deliveries, and
         * collecting the changed state (job_checkpoint itself). */
        double a = now_s();
        if (job_checkpoint_sync(j)) die("%s", j->err);
        double b = now_s();
        if (j->pending && job_flush(j)) die("%s", j->err);
        if (kafka_producer_flush(sink.p, 60000, err, sizeof err)) die("%s", err);
        double c = now_s();
        offs[0].offset = offset;
        if (job_checkpoint(j, offs, 1)) die("%s", j->err);
        double d = now_s();
        waitpart[w] = (int64_t)((b - a) * 1e6);
        flushpart[w] = (int64_t)((c - b) * 1e6);
        collect[w] = (int64_t)((d - c) * 1e6);
        total[w] = (int64_t)((d - a) * 1e6);
        if (b - a > 0.0005) overran++;
        nkeys[w] = j->stats.ckpt_keys;
    }
    /* One write timed on its own: the last checkpoint's, in the background until now. */
    double ws = now_s();
    if (job_checkpoint_sync(j)) die("%s", j->err);
    double write_s = now_s() - ws;
    double t1 = now_s();
    int64_t mink = windows > 0 ? nkeys[0] : 0, maxk = mink;
    for (int w = 0; w < windows; w++) {
        if (nkeys[w] < mink) mink = nkeys[w];
        if (nkeys[w] > maxk) maxk = nkeys[w];
    }
    printf("mode=pause windows=%d interval_ms=%d keys_per_ckpt=%lld..%lld groups=%lld records=%lld elapsed_s=%.2f\n", windows,
           interval_ms, (long long)mink, (long long)maxk, (long long)(next_user < users ? next_user : users), (long long)order_id,
           t1 - t0);
    qsort(total, (size_t)windows, sizeof *total, cmp_i64);
    qsort(waitpart, (size_t)windows, sizeof *waitpart, cmp_i64);
    qsort(flushpart, (size_t)windows, sizeof *flushpart, cmp_i64);
    qsort(collect, (size_t)windows, sizeof *collect, cmp_i64);
    printf("pause_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f\n", pct(total, windows, .5), pct(total, windows, .9), pct(total, windows, .99),
           total[windows - 1] / 1000.0);
    printf("previous_write_ms p50=%.1f p99=%.1f (still running in %d of %d checkpoints)\n", pct(waitpart, windows, .5),
           pct(waitpart, windows, .99), overran, windows);
    printf("flush_and_deliver_ms p50=%.1f p99=%.1f\n", pct(flushpart, windows, .5), pct(flushpart, windows, .99));
    printf("collect_ms p50=%.1f p99=%.1f\n", pct(collect, windows, .5), pct(collect, windows, .99));
    printf("background_write_ms last=%.1f (the last checkpoint's SQLite transaction, waited for after it was started)\n",
           write_s * 1e3);
    j->out = (JobOutput){0};
    kafka_producer_flush(sink.p, 10000, err, sizeof err);
    kafka_producer_free(sink.p);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
    return 0;
}

/* ------------------------------------------------------------------ */

static int mode_steady(const char *bs, const char *sqlpath, const char *state, double seconds, int users)
{
    eddy_engine *e;
    eddy_script *s;
    const Plan *p = compile_job(sqlpath, &e, &s);
    Job *j = new_job(p, state, false, NULL, NULL);
    char err[512];
    Sink sink = {kafka_producer_new(bs, NULL, err, sizeof err)};
    if (!sink.p) die("%s", err);
    int np = 0;
    const char *topic = p->sinks[0]->table->conn.topic;
    kafka_producer_partition_count(sink.p, topic, 5000, &np, err, sizeof err);   /* as job_run_kafka: metadata first */
    j->out = (JobOutput){.ctx = &sink, .emit = sink_emit, .flush = sink_flush};
    enum { NREC = 2000000, CHUNK = 10000 };
    char *buf = malloc((size_t)NREC * 128);
    RawRecord *recs = calloc(NREC, sizeof *recs);
    if (!buf || !recs) abort();
    uint64_t rng = gen_seed(3);
    size_t used = 0;
    for (int i = 0; i < NREC; i++) {
        gen_order o;
        size_t kl, vl;
        char key[GEN_KEY_MAX], val[GEN_VALUE_MAX];
        gen_order_draw(&rng, i + 1, users, 8, &o);
        gen_order_format(&o, key, sizeof key, &kl, val, sizeof val, &vl);
        memcpy(buf + used, key, kl);
        memcpy(buf + used + kl, val, vl);
        recs[i] = (RawRecord){.topic = "orders_raw", .offset = i, .key = buf + used, .klen = kl, .val = buf + used + kl, .vlen = vl};
        used += kl + vl;
    }
    SourceOffset offs[1] = {{"orders_raw", 0, 0}};
    int64_t pauses[4096];
    int npauses = 0;
    double t0 = now_s(), last_ckpt = t0, first_pending = 0;
    long long n = 0;
    int at = 0;
    while (now_s() - t0 < seconds) {
        if (!j->pending) first_pending = now_s();
        if (job_push(j, 0, recs + at, CHUNK)) die("%s", j->err);
        n += CHUNK;
        at = (at + CHUNK) % NREC;
        double t = now_s();
        if (j->pending >= j->batch_rows || (t - first_pending) * 1000 >= (double)j->latency_ms)
            if (job_flush(j)) die("%s", j->err);
        if (kafka_producer_poll(sink.p, err, sizeof err)) die("%s", err);
        if (j->state && j->ckpt_interval_ms > 0 && (t - last_ckpt) * 1000 >= (double)j->ckpt_interval_ms) {
            offs[0].offset = n;
            if (job_checkpoint(j, offs, 1)) die("%s", j->err);
            if (npauses < 4096) pauses[npauses++] = j->stats.ckpt_last_us;
            last_ckpt = now_s();
        }
    }
    double t1 = now_s();
    if (j->pending && job_flush(j)) die("%s", j->err);
    if (kafka_producer_flush(sink.p, 60000, err, sizeof err)) die("%s", err);
    double t2 = now_s();
    /* A clean stop, as job_run_kafka's: the last checkpoint, committed. */
    offs[0].offset = n;
    if (j->state && (job_checkpoint(j, offs, 1) || job_checkpoint_sync(j))) die("%s", j->err);
    int64_t psum = 0, pmax = 0;
    for (int i = 0; i < npauses; i++) {
        psum += pauses[i];
        if (pauses[i] > pmax) pmax = pauses[i];
    }
    printf("mode=steady sql=%s state=%s seconds=%.2f records=%lld rate=%.0f rate_incl_drain=%.0f ckpts=%d pause_ms_sum=%.1f "
           "pause_ms_max=%.1f last_ckpt_keys=%lld\n",
           sqlpath, state, t1 - t0, n, (double)n / (t1 - t0), (double)n / (t2 - t0), npauses, psum / 1000.0, pmax / 1000.0,
           (long long)j->stats.ckpt_keys);
    for (int i = 0; i < npauses; i++) printf("%s%.1f", i ? "," : "pauses_ms=", pauses[i] / 1000.0);
    if (npauses) putchar('\n');
    j->out = (JobOutput){0};
    kafka_producer_free(sink.p);
    free(recs);
    free(buf);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
    return 0;
}

/* ------------------------------------------------------------------ */

static int mode_restart(const char *bs, const char *sqlpath, const char *state)
{
    eddy_engine *e;
    eddy_script *s;
    const Plan *p = compile_job(sqlpath, &e, &s);
    double compiled = now_s();
    double open_s = 0, load_s = 0;
    Job *j = new_job(p, state, false, &open_s, &load_s);
    double attached = now_s();
    Runner r = {.job = j, .bootstrap = bs};
    pthread_t tid;
    pthread_create(&tid, NULL, run_thread, &r);
    double t_in = 0, t_out = 0;
    while (!r.done && now_s() - attached < 10) {
        double t = now_s();
        if (!t_in && LOAD(j->stats.records_in) > 0) t_in = t;
        if (!t_out && LOAD(j->stats.records_out) > 0) t_out = t;
        if (t_in && t_out) break;
        nap_us(200);
    }
    r.stop = 1;
    pthread_join(tid, NULL);
    if (r.rc) die("job failed: %s", j->err);
    printf("mode=restart state_rows=%lld compile_ms=%.1f open_ms=%.1f load_ms=%.1f (engine: %.1f) first_in_ms=%.1f first_out_ms=%.1f "
           "(all since process start)\n",
           (long long)j->stats.restored_keys, (compiled - t_start) * 1e3, open_s * 1e3, load_s * 1e3, j->stats.restore_us / 1e3,
           t_in ? (t_in - t_start) * 1e3 : -1.0, t_out ? (t_out - t_start) * 1e3 : -1.0);
    job_free(j);
    eddy_script_free(s);
    eddy_engine_free(e);
    return 0;
}

int main(int argc, char **argv)
{
    t_start = now_s();
    /* A broker that goes away leaves the producer waiting for room forever:
     * a benchmark must not hang. */
    alarm(600);
    if (argc == 6 && strcmp(argv[1], "run") == 0) return mode_run(argv[2], argv[3], argv[4], atoll(argv[5]));
    if (argc == 9 && strcmp(argv[1], "pause") == 0 && atoi(argv[5]) > 0)
        return mode_pause(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), atoi(argv[8]));
    if (argc == 5 && strcmp(argv[1], "restart") == 0) return mode_restart(argv[2], argv[3], argv[4]);
    if (argc == 7 && strcmp(argv[1], "steady") == 0) return mode_steady(argv[2], argv[3], argv[4], atof(argv[5]), atoi(argv[6]));
    fprintf(stderr, "usage: state_bench run BOOTSTRAP JOB.sql STATE|none N\n"
                    "       state_bench pause BOOTSTRAP JOB.sql STATE WINDOWS KEYS USERS INTERVAL_MS\n"
                    "       state_bench restart BOOTSTRAP JOB.sql STATE\n"
                    "       state_bench steady BOOTSTRAP JOB.sql STATE|none SECONDS USERS\n");
    return 2;
}
