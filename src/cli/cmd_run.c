/*
 * cmd_run.c — `eddy run FILE.sql` and `eddy demo`.
 *
 * run: compiles the script; every INSERT becomes a job on its own thread,
 * a bare SELECT prints its changelog (+I[…] lines) to stdout; SIGINT or
 * SIGTERM stops every job cleanly (buffered changes flushed, deliveries
 * acknowledged) and exits 0.
 *
 * demo: the whole story in one process — a development broker, a generator
 * of reference orders, the reference job (sql/orders.sql, built into the
 * binary) and a live per-region table read back from the orders_summary
 * topic, as a dashboard consumer would see it.  With --avro, the same in
 * Avro: a development Schema Registry too, orders in the Confluent wire
 * format, and sql/orders_avro.sql, whose orders_raw comes from the registry.
 */
#include "cmd.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "eddy.h"
#include "exec.h"
#include "format.h"
#include "gen.h"
#include "kafka.h"
#include "plan.h"
#include "reference_avro_sql.h"
#include "reference_sql.h"
#include "registry.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

char *cmd_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) abort();
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

char *cmd_read_script(const CmdSpec *c, const char *path, size_t *len)
{
    char *text = cmd_read_file(path, len);
    if (!text) fprintf(stderr, "eddy %s: cannot read %s: %s\n", c->name, path, strerror(errno));
    return text;
}

/* Prints a changelog row as Flink's tableau/changelog output does. */
void cmd_print_row(FILE *f, RowKind k, const Value *row, const PlanCol *cols, int ncols)
{
    StrBuf b = {0};
    sb_printf(&b, "%s[", rowkind_str(k));
    for (int i = 0; i < ncols; i++) {
        if (i) sb_puts(&b, ", ");
        value_print(&b, cols[i].type, &row[i]);
    }
    sb_puts(&b, "]\n");
    fputs(b.s, f);
    sb_free(&b);
}

static void print_row_cb(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols)
{
    (void)ctx;
    cmd_print_row(stdout, k, row, cols, ncols);
}

typedef struct JobThread {
    Job        *job;      /* the job */
    char        name[600];/* its name: the sink table, made unique within the script */
    const char *bootstrap;/* broker, or NULL for the plan's setting */
    int         rc;       /* its result */
    pthread_t   tid;      /* its thread */
} JobThread;

static void *job_thread(void *arg)
{
    JobThread *t = arg;
    t->rc = job_run_kafka(t->job, t->bootstrap, &stop_flag);
    if (t->rc) stop_flag = 1;   /* one failed job stops the others */
    return NULL;
}

typedef struct RunOpts {
    const char *bootstrap;  /* --bootstrap */
    const char *state;      /* --state FILE */
    bool        bounded;    /* --bounded */
    bool        reset;      /* --reset-state */
    const char *registry;   /* --registry URL, else $EDDY_REGISTRY */
} RunOpts;

static const OptionDef run_flags[] = {
    FLAG_BOOTSTRAP(RunOpts, bootstrap, "SET 'properties.bootstrap.servers'"),
    {.name = "state", .type = OPT_STRING, .to = {OPT_FIELD(RunOpts, state)}, .metavar = "FILE",
     .otherwise = "<job name>.db here, or SET 'state.path'", .doc = "state file; 'none' keeps no state"},
    FLAG_REGISTRY(RunOpts, registry),
    {.name = "bounded", .type = OPT_BOOL, .to = {OPT_FIELD(RunOpts, bounded)},
     .doc = "read what the source topics hold now, then finish"},
    {.name = "reset-state", .type = OPT_BOOL, .to = {OPT_FIELD(RunOpts, reset)},
     .doc = "discard the state file's checkpoint and start fresh"},
    {0},
};

const CmdSpec run_cmd = {
    .name = "run", .args = "FILE.sql", .minargs = 1, .maxargs = 1, .flags = run_flags, .main = cmd_run,
    .summary = "run a script's INSERT jobs (and SELECTs) until Ctrl-C",
    .about = "Runs the script's statements; each INSERT is a job that runs until SIGINT or SIGTERM\n"
             "(or, with --bounded, until it has read what its topics held), then stops cleanly.\n"
             "FILE.sql may be '-' for standard input.",
};

/* Opens the job's state file: --state, else SET 'state.path', else <job>.db. */
static int open_state(Job *j, const char *name, const RunOpts *o, int njobs, char *err, size_t errlen)
{
    const char *path = j->plan->config.state_path;
    if (o->state) {
        if (njobs > 1 && !path) {
            snprintf(err, errlen, "--state names one file but the script has %d INSERT jobs; SET 'state.path' before each INSERT", njobs);
            return -1;
        }
        if (njobs == 1) path = o->state;
    }
    char def[1100];
    if (!path) {
        snprintf(def, sizeof def, "%.1000s.db", name);
        path = def;
    }
    if (strcmp(path, "none") == 0) return 0;
    if (job_open_state(j, path, o->reset, err, errlen)) return -1;
    if (job_resumed(j))
        fprintf(stderr, "eddy: job '%s' resumes from %s (%lld state rows loaded in %.1f ms)\n", j->plan->name, path,
                (long long)j->stats.restored_keys, (double)j->stats.restore_us / 1000.0);
    return 0;
}

/* Compiles sql and runs its queries until stopped.  Returns the exit status. */
static int run_script(const char *sql, size_t len, const char *name, const char *bootstrap, const RunOpts *o, bool quiet)
{
    bool bounded = o->bounded;
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    if (eddy_engine_set_registry(e, o->registry) != EDDY_OK) {
        fprintf(stderr, "eddy: schema registry '%s' is not an http:// or https:// URL\n", o->registry);
        eddy_engine_free(e);
        return 2;
    }
    if (eddy_compile(e, sql, len, name, &s)) {
        fputs(eddy_errtext(e), stderr);
        eddy_engine_free(e);
        return 1;
    }
    int n = eddy_script_count(s), nt = 0, ninserts = 0;
    for (int i = 0; i < n; i++) ninserts += eddy_script_kind(s, i) == EDDY_STMT_INSERT;
    JobThread *threads = calloc((size_t)n + 1, sizeof *threads);
    if (!threads) abort();
    int status = 0;
    for (int i = 0; i < n && !status; i++) {
        eddy_stmt_kind k = eddy_script_kind(s, i);
        const char *out = eddy_script_output(s, i);
        if (out && k != EDDY_STMT_EXPLAIN && !quiet) fputs(out, stdout);
        if (k == EDDY_STMT_EXPLAIN) fputs(out, stdout);
        if (k != EDDY_STMT_INSERT && k != EDDY_STMT_SELECT) continue;
        char err[2048];
        Job *j = job_new((const Plan *)eddy_script_plan(s, i), err, sizeof err);
        if (!j) {
            fprintf(stderr, "%s:%d: error: %s\n", name, eddy_script_line(s, i), err);
            status = 1;
            break;
        }
        if (k == EDDY_STMT_SELECT) j->on_row = print_row_cb;
        j->bounded = bounded;
        /* Jobs are named after their sink; a second job into the same table
         * gets a suffix, so that each has its own default state file. */
        char jname[600];
        snprintf(jname, sizeof jname, "%.500s", eddy_plan_name(eddy_script_plan(s, i)));
        for (int dup = 2, again = 1; again && k == EDDY_STMT_INSERT; dup++) {
            again = 0;
            for (int t = 0; t < nt; t++)
                if (strcmp(threads[t].name, jname) == 0) again = 1;
            if (again) snprintf(jname, sizeof jname, "%.500s_%d", eddy_plan_name(eddy_script_plan(s, i)), dup);
        }
        snprintf(threads[nt].name, sizeof threads[nt].name, "%s", jname);
        if (k == EDDY_STMT_INSERT && open_state(j, jname, o, ninserts, err, sizeof err)) {
            fprintf(stderr, "%s:%d: error: %s\n", name, eddy_script_line(s, i), err);
            job_free(j);
            status = 1;
            break;
        }
        threads[nt].job = j;
        threads[nt].bootstrap = bootstrap;
        if (!quiet) fprintf(stderr, "eddy: started job '%s' (%s:%d)\n", eddy_plan_name(eddy_script_plan(s, i)), name, eddy_script_line(s, i));
        pthread_create(&threads[nt].tid, NULL, job_thread, &threads[nt]);
        nt++;
    }
    if (status) stop_flag = 1;
    for (int i = 0; i < nt; i++) {
        pthread_join(threads[i].tid, NULL);
        if (threads[i].rc) {
            fprintf(stderr, "eddy: job '%s' failed: %s\n", threads[i].job->plan->name, threads[i].job->err);
            status = 1;
        } else if (!quiet) {
            const JobStats *st = &threads[i].job->stats;
            fprintf(stderr, "eddy: job '%s' stopped: %lld records in, %lld changes out, %lld records written, %lld malformed skipped\n",
                    threads[i].job->plan->name, (long long)st->records_in, (long long)st->rows_out, (long long)st->records_out,
                    (long long)st->skipped);
        }
        job_free(threads[i].job);
    }
    free(threads);
    eddy_script_free(s);
    eddy_engine_free(e);
    return status;
}

int cmd_run(int argc, char **argv)
{
    RunOpts o = {0};
    FlagArgs args;
    int rc = flags_parse(&run_cmd, &o, argc, argv, &args);
    if (rc >= 0) return rc;
    const char *path = args.v[0];
    size_t len;
    char *sql = cmd_read_script(&run_cmd, path, &len);
    if (!sql) return 1;
    install_signals();
    int status = run_script(sql, len, path, o.bootstrap, &o, false);
    free(sql);
    return status;
}

/* ------------------------------------------------------------------ */
/* demo                                                                */

typedef struct DemoOpts {
    int64_t rate;         /* orders per second */
    int64_t seconds;      /* stop after this long (0 = until Ctrl-C) */
    int64_t regions;      /* regions to draw from */
    bool    avro;         /* --avro: Avro and a Schema Registry (sql/orders_avro.sql) */
} DemoOpts;

static const OptionDef demo_flags[] = {
    {.name = "rate", .type = OPT_INT, .to = {OPT_FIELD(DemoOpts, rate)}, .min = 1, .max = 10000000, .deflt = "2000",
     .metavar = "R", .doc = "orders per second"},
    {.name = "seconds", .type = OPT_INT, .to = {OPT_FIELD(DemoOpts, seconds)}, .min = 0, .max = 1000000000,
     .metavar = "S", .otherwise = "run until Ctrl-C", .doc = "stop after S seconds"},
    {.name = "regions", .type = OPT_INT, .to = {OPT_FIELD(DemoOpts, regions)}, .min = 1, .max = GEN_MAX_REGIONS,
     .deflt = FLAG_TEXT(GEN_MAX_REGIONS), .metavar = "K", .doc = "number of regions"},
    {.name = "avro", .type = OPT_BOOL, .to = {OPT_FIELD(DemoOpts, avro)},
     .doc = "Avro with a Schema Registry: runs sql/orders_avro.sql"},
    {0},
};

const CmdSpec demo_cmd = {
    .name = "demo", .flags = demo_flags, .main = cmd_demo,
    .summary = "broker + generator + the reference job + a live table",
    .about = "Starts a development broker, produces reference orders into orders_raw, runs the\n"
             "reference job (sql/orders.sql) and shows orders_summary as a live table.",
};

typedef struct DemoGen {
    const char *bootstrap;/* broker */
    const char *registry; /* Schema Registry (--avro), or NULL: JSON */
    int64_t     rate;     /* per second */
    int         regions;  /* regions */
    int64_t     produced; /* orders so far */
    char        err[256]; /* failure */
} DemoGen;

static void *demo_gen_thread(void *arg)
{
    DemoGen *g = arg;
    const char *props[] = {"linger.ms", "5", NULL};
    kafka_producer *p = kafka_producer_new(g->bootstrap, props, g->err, sizeof g->err);
    if (!p) return NULL;
    gen_encoder *enc = gen_encoder_new(g->registry ? FMT_AVRO_CONFLUENT : FMT_JSON, "orders_raw", g->registry, g->err, sizeof g->err);
    if (!enc) {
        kafka_producer_free(p);
        return NULL;
    }
    uint64_t rng = gen_seed(42);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const char *key, *val;
    while (!stop_flag) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double el = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        int64_t due = (int64_t)(el * (double)g->rate);
        while (g->produced < due && !stop_flag) {
            gen_order o;
            size_t kl, vl;
            gen_order_draw(&rng, g->produced + 1, GEN_DEFAULT_USERS, g->regions, &o);
            if (gen_encoder_encode(enc, &o, &key, &kl, &val, &vl, g->err, sizeof g->err)) goto out;
            if (kafka_produce(p, "orders_raw", -1, key, kl, val, vl, 0, NULL, 0, g->err, sizeof g->err)) goto out;
            g->produced++;
        }
        kafka_producer_poll(p, g->err, sizeof g->err);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
out:
    kafka_producer_flush(p, 5000, g->err, sizeof g->err);
    kafka_producer_free(p);
    gen_encoder_free(enc);
    return NULL;
}

typedef struct DemoRow {
    char    region[32];   /* key */
    int64_t orders;       /* total_orders */
    double  sales;        /* total_sales */
    double  avg;          /* avg_order_value */
    bool    live;         /* not deleted */
} DemoRow;

typedef struct DemoJob {
    Job        *job;      /* the reference job */
    const char *bootstrap;/* broker */
    int         rc;       /* result */
} DemoJob;

static void *demo_job_thread(void *arg)
{
    DemoJob *d = arg;
    d->rc = job_run_kafka(d->job, d->bootstrap, &stop_flag);
    if (d->rc) stop_flag = 1;
    return NULL;
}

int cmd_demo(int argc, char **argv)
{
    DemoOpts o = {0};
    FlagArgs args;
    int prc = flags_parse(&demo_cmd, &o, argc, argv, &args);
    if (prc >= 0) return prc;
    char err[512];
    install_signals();
    kafka_broker *b;
    if (kafka_broker_start(1, 4, &b, err, sizeof err)) {
        fprintf(stderr, "eddy demo: cannot start the development broker: %s\n", err);
        return 1;
    }
    const char *bs = kafka_broker_bootstrap(b);
    kafka_broker_create_topic(b, "orders_raw", 8, err, sizeof err);
    kafka_broker_create_topic(b, "orders_summary", 4, err, sizeof err);
    RegistryServer *rs = NULL;
    const char *reg = NULL;
    if (o.avro) {
        if (registry_server_start(NULL, &rs, err, sizeof err)) {
            fprintf(stderr, "eddy demo: cannot start the schema registry: %s\n", err);
            kafka_broker_free(b);
            return 1;
        }
        reg = registry_server_url(rs);
    }
    const char *sqlname = o.avro ? "sql/orders_avro.sql" : "sql/orders.sql";
    const char *sqltext = o.avro ? eddy_reference_avro_sql : eddy_reference_sql;
    bool tty = isatty(STDOUT_FILENO);
    printf("eddy demo: development broker at %s; producing %lld orders/s into orders_raw%s; running %s\n", bs,
           (long long)o.rate, o.avro ? " as Avro" : "", sqlname);
    if (o.avro) printf("eddy demo: schema registry at %s\n", reg);
    fflush(stdout);

    /* The generator first: with --avro, orders_raw is known from the
     * registry only once its value schema is registered. */
    DemoGen g = {.bootstrap = bs, .registry = reg, .rate = o.rate, .regions = (int)o.regions};
    pthread_t gt, jt;
    pthread_create(&gt, NULL, demo_gen_thread, &g);
    if (o.avro) {
        Registry *rc = registry_new(reg, err, sizeof err);
        for (int i = 0; rc && i < 100 && !stop_flag; i++) {
            if (registry_latest(rc, "orders_raw-value", NULL, NULL, NULL, err, sizeof err) == REG_OK) break;
            struct timespec ts = {0, 100 * 1000000};
            nanosleep(&ts, NULL);
        }
        registry_free(rc);
    }

    eddy_engine *e = eddy_engine_new();
    eddy_engine_set_registry(e, reg);
    eddy_script *s = NULL;
    if (eddy_compile(e, sqltext, strlen(sqltext), sqlname, &s)) {
        fputs(eddy_errtext(e), stderr);
        eddy_engine_free(e);
        stop_flag = 1;
        pthread_join(gt, NULL);
        registry_server_free(rs);
        kafka_broker_free(b);
        return 1;
    }
    const Plan *plan = NULL;
    for (int i = 0; i < eddy_script_count(s); i++)
        if (eddy_script_plan(s, i)) plan = (const Plan *)eddy_script_plan(s, i);
    Job *job = job_new(plan, err, sizeof err);
    if (!job) {
        fprintf(stderr, "eddy demo: %s\n", err);
        eddy_script_free(s);
        eddy_engine_free(e);
        stop_flag = 1;
        pthread_join(gt, NULL);
        registry_server_free(rs);
        kafka_broker_free(b);
        return 1;
    }
    DemoJob dj = {.job = job, .bootstrap = bs};
    pthread_create(&jt, NULL, demo_job_thread, &dj);

    /* The dashboard: read orders_summary as a consumer would. */
    kafka_consumer *c = kafka_consumer_new(bs, NULL, err, sizeof err);
    JsonField fields[] = {
        {"region", type_make(TY_STRING, true), 0},
        {"total_orders", type_make(TY_BIGINT, true), 1},
        {"total_sales", type_make(TY_DOUBLE, true), 2},
        {"avg_order_value", type_make(TY_DOUBLE, true), 3},
    };
    FormatSpec fs = {o.avro ? FMT_AVRO_CONFLUENT : FMT_JSON, reg, NULL, NULL};
    RecDecoder *kdec = recdec_new(&fs, fields, 4, err, sizeof err), *vdec = recdec_new(&fs, fields, 4, err, sizeof err);
    DemoRow rows[64];
    int nrows = 0;
    int status = 0;
    int nparts = 0;
    if (c && kafka_partition_count(c, "orders_summary", 5000, &nparts, err, sizeof err) == 0) {
        kafka_tp tps[64];
        for (int i = 0; i < nparts && i < 64; i++) tps[i] = (kafka_tp){"orders_summary", i, KAFKA_OFFSET_BEGINNING};
        kafka_assign(c, tps, nparts < 64 ? nparts : 64, err, sizeof err);
    }
    struct timespec t0, last = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kafka_msg msgs[512];
    Arena a;
    arena_init(&a, 4096);
    while (!stop_flag && c) {
        int n = kafka_poll_batch(c, msgs, 512, 100, err, sizeof err);
        for (int i = 0; i < n; i++) {
            char region[32] = "";
            if (msgs[i].key) {
                Value kv[4];
                if (kdec && recdec_decode(kdec, msgs[i].key, msgs[i].klen, kv, &a, err, sizeof err) == REC_OK && !kv[0].null)
                    snprintf(region, sizeof region, "%.*s", kv[0].n, kv[0].s);
            }
            int at = -1;
            for (int r = 0; r < nrows; r++)
                if (strcmp(rows[r].region, region) == 0) at = r;
            if (at < 0 && nrows < 64) {
                at = nrows++;
                memset(&rows[at], 0, sizeof rows[at]);
                snprintf(rows[at].region, sizeof rows[at].region, "%s", region);
            }
            if (at < 0) continue;
            if (!msgs[i].value) {
                rows[at].live = false;
                continue;
            }
            Value v[4];
            if (vdec && recdec_decode(vdec, msgs[i].value, msgs[i].vlen, v, &a, err, sizeof err) == REC_OK) {
                rows[at].orders = v[1].null ? 0 : v[1].i;
                rows[at].sales = v[2].null ? 0 : v[2].d;
                rows[at].avg = v[3].null ? 0 : v[3].d;
                rows[at].live = true;
            }
        }
        kafka_release_batch(c, msgs, n);
        arena_free(&a);
        arena_init(&a, 4096);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double since = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
        double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (since >= 1.0) {
            last = now;
            if (tty) fputs("\033[H\033[2J", stdout);
            printf("orders_summary after %.0f s (%lld orders produced; Ctrl-C to stop)\n", el, (long long)g.produced);
            printf("%-14s %12s %16s %16s\n", "region", "total_orders", "total_sales", "avg_order_value");
            int64_t total = 0;
            for (int r = 0; r < nrows; r++) {
                if (!rows[r].live) continue;
                printf("%-14s %12lld %16.2f %16.2f\n", rows[r].region, (long long)rows[r].orders, rows[r].sales, rows[r].avg);
                total += rows[r].orders;
            }
            printf("%-14s %12lld\n\n", "(all)", (long long)total);
            fflush(stdout);
        }
        if (o.seconds && el >= (double)o.seconds) stop_flag = 1;
    }
    stop_flag = 1;
    pthread_join(gt, NULL);
    pthread_join(jt, NULL);
    if (dj.rc) {
        fprintf(stderr, "eddy demo: the job failed: %s\n", job->err);
        status = 1;
    }
    if (g.err[0] && !g.produced) {
        fprintf(stderr, "eddy demo: the generator failed: %s\n", g.err);
        status = 1;
    }
    printf("eddy demo: stopped after %lld orders; the job read %lld records and wrote %lld\n", (long long)g.produced,
           (long long)job->stats.records_in, (long long)job->stats.records_out);
    arena_free(&a);
    recdec_free(kdec);
    recdec_free(vdec);
    kafka_consumer_free(c);
    job_free(job);
    eddy_script_free(s);
    eddy_engine_free(e);
    registry_server_free(rs);
    kafka_broker_free(b);
    return status;
}
