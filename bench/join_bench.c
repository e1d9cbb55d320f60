/*
 * join_bench.c — the enrichment join of bench/sql/join_enrich.sql from
 * memory, without Kafka: CPU time of the join and what surrounds it (JSON
 * decode, the join, the changes at the sink) on one thread, so that a
 * change to the join core can be measured on a shared machine (CPU
 * seconds, or instructions under valgrind --tool=callgrind) where the
 * end-to-end bench/run.sh only gives ratios.
 *
 *   join_bench [ORDERS [USERS [STATE]]]     defaults 1000000 100000, no state file
 *
 * Makes ORDERS reference orders (user_id uniform in 1..USERS, a fixed
 * sequence) and the USERS users of the upsert table as JSON records in
 * memory first, then pushes them as the Kafka driver does: batches of
 * 10 000 records, orders and users interleaved (a user after every
 * ORDERS/USERS orders, so orders find their user or wait for it, as when
 * both topics are read at once), a mini-batch flushed after every batch,
 * and with a STATE file a checkpoint every 100 000 records.  Prints
 * records per CPU second (getrusage: the job runs on this thread; the
 * checkpoints' SQLite writes on a second one), the changes out, the join's
 * state at the end and what freeing the job costs.  Compiles with the
 * public API, runs with exec.h's job_new / job_push as bench/state does.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "eddy.h"
#include "exec.h"

static const char sql[] =
    "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);"
    "CREATE TABLE users (user_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, tier STRING) WITH ('changelog.mode' = 'upsert');"
    "CREATE TABLE orders_enriched (order_id BIGINT, amount DOUBLE, region STRING, name STRING, tier STRING) WITH ('changelog.mode' = 'retract');"
    "INSERT INTO orders_enriched SELECT o.order_id, o.amount, o.region, u.name, u.tier"
    " FROM orders_raw o JOIN users u ON o.user_id = u.user_id;";

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "join_bench: %s: %s\n", what, msg);
    return 1;
}

/* A record whose bytes live in one big buffer (offsets until it stops growing). */
typedef struct Rec {
    int    src;                 /* 0 orders, 1 users */
    size_t koff, klen, voff, vlen;
    int64_t offset;
} Rec;

int main(int argc, char **argv)
{
    long long norders = argc > 1 ? atoll(argv[1]) : 1000000, nusers = argc > 2 ? atoll(argv[2]) : 100000;
    const char *state = argc > 3 ? argv[3] : NULL;
    if (norders <= 0 || nusers <= 0 || nusers > norders) return fail("usage", "join_bench [ORDERS [USERS [STATE]]] (USERS <= ORDERS)");
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    if (eddy_compile(e, sql, sizeof sql - 1, "join_bench", &s) != EDDY_OK) return fail("compile", eddy_errmsg(e));
    const Plan *p = (const Plan *)eddy_script_plan(s, eddy_script_count(s) - 1);   /* the INSERT */
    char err[1024];
    Job *j = job_new(p, err, sizeof err);
    if (!j) return fail("job", err);
    if (state && job_open_state(j, state, true, err, sizeof err)) return fail("state", err);
    int src_of[2] = {-1, -1};
    for (int i = 0; i < p->nsources; i++) src_of[strcmp(p->sources[i]->table->name, "users") == 0] = i;
    if (src_of[0] < 0 || src_of[1] < 0) return fail("plan", "expected the sources orders_raw and users");

    /* the input, in memory */
    static const char *const regions[] = {"us-east", "us-west", "eu-west", "ap-south"};
    static const char *const tiers[] = {"bronze", "silver", "gold"};
    StrBuf buf = {0};
    long long n = norders + nusers, every = norders / nusers, next_user = 1;
    Rec *recs = calloc((size_t)n, sizeof *recs);
    if (!recs) abort();
    long long at = 0;
    uint64_t x = 42;
    for (long long i = 0; i < norders; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        long long u = (long long)((x >> 33) % (uint64_t)nusers) + 1;
        Rec *r = &recs[at++];
        r->voff = buf.len;
        sb_printf(&buf, "{\"order_id\":%lld,\"user_id\":%lld,\"amount\":%lld.%02lld,\"region\":\"%s\"}", i + 1, u,
                  (long long)((x >> 40) % 500), (long long)((x >> 20) % 100), regions[(x >> 13) & 3]);
        r->vlen = buf.len - r->voff;
        r->offset = i;
        if ((i + 1) % every == 0 && next_user <= nusers) {
            r = &recs[at++];
            r->src = 1;
            r->koff = buf.len;
            sb_printf(&buf, "{\"user_id\":%lld}", next_user);
            r->klen = buf.len - r->koff;
            r->voff = buf.len;
            sb_printf(&buf, "{\"user_id\":%lld,\"name\":\"user %lld\",\"tier\":\"%s\"}", next_user, next_user, tiers[next_user % 3]);
            r->vlen = buf.len - r->voff;
            r->offset = next_user++;
        }
    }
    n = at;

    /* pushed in batches of 10 000 records, each source's run of records at once */
    enum { BATCH = 10000 };
    RawRecord *raw = calloc(BATCH, sizeof *raw);
    if (!raw) abort();
    double c0 = cpu_s(), w0 = wall_s();
    for (long long b = 0; b < n; b += BATCH) {
        long long end = b + BATCH < n ? b + BATCH : n;
        for (int src = 0; src < 2; src++) {
            int k = 0;
            for (long long i = b; i < end; i++) {
                const Rec *r = &recs[i];
                if (r->src != src) continue;
                raw[k++] = (RawRecord){
                    .topic = src ? "users" : "orders_raw", .offset = r->offset, .ts = 1700000000000LL + r->offset,
                    .key = r->klen ? buf.s + r->koff : NULL, .klen = r->klen, .val = buf.s + r->voff, .vlen = r->vlen,
                };
            }
            if (k && job_push(j, src_of[src], raw, k)) return fail("push", j->err);
        }
        if (job_flush(j)) return fail("flush", j->err);
        if (state && (end / 100000 != b / 100000 || end == n) && job_checkpoint(j, NULL, 0)) return fail("checkpoint", j->err);
    }
    if (state && job_checkpoint_sync(j)) return fail("checkpoint", j->err);
    double c1 = cpu_s(), w1 = wall_s();
    long long keys = 0, bytes = 0;
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].node->kind == PLAN_JOIN) keys = j->ops[i].stats.state_keys, bytes = j->ops[i].stats.state_bytes;
    printf("records=%lld changes=%lld cpu_s=%.3f wall_s=%.3f records_per_cpu_s=%.0f join_rows=%lld join_bytes=%lld (%.0f B a row)\n", n,
           (long long)j->stats.rows_out, c1 - c0, w1 - w0, n / (c1 - c0), keys, bytes, keys ? (double)bytes / keys : 0.0);
    double f0 = cpu_s();
    job_free(j);
    printf("free_cpu_s=%.3f\n", cpu_s() - f0);
    free(raw);
    free(recs);
    sb_free(&buf);
    eddy_script_free(s);
    eddy_engine_free(e);
    return 0;
}
