/*
** gen.c — the reference order stream and the `eddy gen` command.
**
** The first half is pure: a splitmix64 generator, the draw of one order and
** its JSON formatting, with no I/O, so tests and benchmarks can regenerate
** the exact stream for a seed.  Then the table-driven flag parser that
** `eddy gen` and `eddy broker` share (the table also prints the usage).
** Last the command: its flag table, the token-bucket pacing and the produce
** loop, talking to Kafka only through kafka.h (and for --format
** avro-confluent to Avro and the Schema Registry only through format.h).
** The only global is the flag the SIGINT/SIGTERM handler sets.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "gen.h"

#include "format.h"
#include "kafka.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const gen_region_names[GEN_MAX_REGIONS] = {
    "us-east", "us-west",  "eu-west",      "eu-central",
    "ap-south", "ap-northeast", "sa-east", "af-south",
};

/* ---- The order stream ---------------------------------------------------- */

uint64_t gen_seed(uint64_t seed)
{
    return seed;
}

/* splitmix64: one 64-bit add and a mix; every state value is fine. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in 0..n-1 without modulo bias (rejects the short top range). */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
    uint64_t x;
    do
        x = rng_next(s);
    while (x < threshold);
    return x % n;
}

void gen_order_draw(uint64_t *rng_state, int64_t order_id, int users,
                    int regions, gen_order *o)
{
    if (users < 1)
        users = 1;
    if (regions < 1)
        regions = 1;
    if (regions > GEN_MAX_REGIONS)
        regions = GEN_MAX_REGIONS;
    o->order_id = order_id;
    o->user_id = 1 + (int64_t)rng_below(rng_state, (uint64_t)users);
    o->amount_cents = 100 + (int64_t)rng_below(rng_state, 50000 - 100 + 1);
    o->region = gen_region_names[rng_below(rng_state, (uint64_t)regions)];
}

/* A bounded string builder; `ok` turns 0 once something did not fit. */
typedef struct sbuf {
    char *p;   /* start of the caller's buffer */
    size_t n;  /* bytes written so far, excluding the NUL */
    size_t cap;/* size of the buffer */
    int ok;    /* 1 while everything has fitted */
} sbuf;

static void sb_mem(sbuf *b, const char *s, size_t len)
{
    if (!b->ok || b->n + len >= b->cap) {
        b->ok = 0;
        return;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

#define sb_lit(b, s) sb_mem((b), (s), sizeof(s) - 1)

static void sb_str(sbuf *b, const char *s)
{
    sb_mem(b, s, strlen(s));
}

/* Decimal, zero-padded to at least `width` digits. */
static void sb_int(sbuf *b, int64_t v, int width)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u || (int)sizeof tmp - i < width);
    if (v < 0)
        tmp[--i] = '-';
    sb_mem(b, tmp + i, sizeof tmp - (size_t)i);
}

/* cents/100 in the shortest decimal form, keeping ".0" for whole amounts.
** Any decimal with at most 17 significant digits reads back as the double
** nearest to it, so this text is exactly what a shortest round-trip
** printer (repr, %.17g trimmed) gives for the double cents/100.0. */
static void sb_cents(sbuf *b, int64_t cents)
{
    int64_t whole, frac;
    if (cents < 0) {
        sb_lit(b, "-");
        cents = -cents;
    }
    whole = cents / 100;
    frac = cents % 100;
    sb_int(b, whole, 1);
    sb_lit(b, ".");
    if (frac % 10 == 0)
        sb_int(b, frac / 10, 1);
    else
        sb_int(b, frac, 2);
}

int gen_order_format(const gen_order *o, char *key, size_t keycap,
                     size_t *klen, char *val, size_t valcap, size_t *vlen)
{
    sbuf k = {key, 0, keycap, keycap > 0};
    sbuf v = {val, 0, valcap, valcap > 0};

    sb_lit(&k, "{\"order_id\":");
    sb_int(&k, o->order_id, 1);
    sb_lit(&k, "}");

    sb_lit(&v, "{\"order_id\":");
    sb_int(&v, o->order_id, 1);
    sb_lit(&v, ",\"user_id\":");
    sb_int(&v, o->user_id, 1);
    sb_lit(&v, ",\"amount\":");
    sb_cents(&v, o->amount_cents);
    sb_lit(&v, ",\"region\":\"");
    sb_str(&v, o->region);
    sb_lit(&v, "\"}");

    if (klen)
        *klen = k.n;
    if (vlen)
        *vlen = v.n;
    return k.ok && v.ok ? 0 : -1;
}

int gen_order_json(uint64_t *rng_state, int64_t order_id, int users,
                   int regions, char *key, size_t keycap, char *val,
                   size_t valcap)
{
    gen_order o;
    gen_order_draw(rng_state, order_id, users, regions, &o);
    return gen_order_format(&o, key, keycap, NULL, val, valcap, NULL);
}

/* ---- Command-line flags ------------------------------------------------- */

/* Parse one value according to its flag; the message names the flag. */
static int flag_set(const gen_flag *fd, const char *s, void *opts, char *err,
                    size_t errlen)
{
    char *base = (char *)opts + fd->offset;
    char *end = NULL;

    if (fd->kind == GEN_FLAG_STRING || fd->kind == GEN_FLAG_LIST) {
        if (!*s) {
            snprintf(err, errlen, "--%s: empty value", fd->name);
            return -1;
        }
        if (fd->kind == GEN_FLAG_STRING) {
            *(const char **)base = s;
        } else {
            gen_strlist *l = (gen_strlist *)base;
            l->v[l->n++] = s;
        }
        return 0;
    }
    /* strto* skip leading space and accept "-" for unsigned: refuse both. */
    if (!*s || isspace((unsigned char)*s) ||
        (fd->kind == GEN_FLAG_UINT && (*s == '-' || *s == '+'))) {
        snprintf(err, errlen, "--%s: '%s' is not a valid %s", fd->name, s,
                 fd->kind == GEN_FLAG_UINT ? "unsigned integer" : "number");
        return -1;
    }
    errno = 0;
    if (fd->kind == GEN_FLAG_INT) {
        long long v = strtoll(s, &end, 10);
        if (errno || *end) {
            snprintf(err, errlen, "--%s: '%s' is not a valid integer",
                     fd->name, s);
            return -1;
        }
        if ((double)v < fd->min || (double)v > fd->max) {
            snprintf(err, errlen, "--%s: %lld is out of range (%.0f..%.0f)",
                     fd->name, v, fd->min, fd->max);
            return -1;
        }
        *(int64_t *)base = v;
    } else if (fd->kind == GEN_FLAG_UINT) {
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end) {
            snprintf(err, errlen,
                     "--%s: '%s' is not a valid unsigned 64-bit integer",
                     fd->name, s);
            return -1;
        }
        *(uint64_t *)base = v;
    } else {
        double v = strtod(s, &end);
        if (errno || *end || !isfinite(v)) {
            snprintf(err, errlen, "--%s: '%s' is not a valid number",
                     fd->name, s);
            return -1;
        }
        if (v < fd->min || v > fd->max) {
            snprintf(err, errlen, "--%s: %g is out of range (%g..%g)",
                     fd->name, v, fd->min, fd->max);
            return -1;
        }
        *(double *)base = v;
    }
    return 0;
}

int gen_flags_parse(const gen_flag *flags, size_t nflags, void *opts,
                    int argc, char **argv, const char **positional, char *err,
                    size_t errlen)
{
    if (positional)
        *positional = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *name, *val = NULL, *eq;
        size_t nlen;
        const gen_flag *fd = NULL;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (strncmp(a, "--", 2) != 0) {
            if (!positional || *positional) {
                snprintf(err, errlen, "unexpected argument '%s'", a);
                return -1;
            }
            *positional = a;
            continue;
        }
        name = a + 2;
        eq = strchr(name, '=');
        nlen = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t k = 0; k < nflags; k++)
            if (strlen(flags[k].name) == nlen &&
                strncmp(flags[k].name, name, nlen) == 0)
                fd = &flags[k];
        if (!fd) {
            snprintf(err, errlen, "unknown option '--%.*s'", (int)nlen, name);
            return -1;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            snprintf(err, errlen, "--%s needs a value (%s)", fd->name,
                     fd->metavar);
            return -1;
        }
        if (flag_set(fd, val, opts, err, errlen))
            return -1;
    }
    return 0;
}

void gen_flags_usage(FILE *f, const gen_flag *flags, size_t nflags)
{
    for (size_t i = 0; i < nflags; i++) {
        char left[48];
        snprintf(left, sizeof left, "--%s %s", flags[i].name,
                 flags[i].metavar);
        fprintf(f, "  %-24s %s\n", left, flags[i].help);
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "show this help");
}

/* ---- The command -------------------------------------------------------- */

/* Everything `eddy gen orders` is told. */
typedef struct gen_opts {
    const char *topic;     /* destination topic (required) */
    const char *bootstrap; /* --bootstrap, else $EDDY_BOOTSTRAP */
    double rate;           /* orders per second, 0 = as fast as possible */
    int64_t count;         /* orders to produce, 0 = until interrupted */
    uint64_t seed;         /* generator seed */
    int64_t users;         /* user ids are 1..users */
    int64_t regions;       /* regions used: the first `regions` names */
    const char *format;    /* "json" or "avro-confluent" */
    const char *registry;  /* --registry, else $EDDY_REGISTRY (avro-confluent) */
} gen_opts;

static const gen_flag gen_flags[] = {
    {"topic", GEN_FLAG_STRING, offsetof(gen_opts, topic), 0, 0, "T",
     "topic to produce to (required)"},
    {"rate", GEN_FLAG_DOUBLE, offsetof(gen_opts, rate), 0, 1e9, "R",
     "orders per second; 0 = as fast as possible (default 0)"},
    {"count", GEN_FLAG_INT, offsetof(gen_opts, count), 0, 1e18, "N",
     "orders to produce; 0 = until SIGINT/SIGTERM (default 0)"},
    {"seed", GEN_FLAG_UINT, offsetof(gen_opts, seed), 0, 0, "S",
     "generator seed; same seed, same orders (default 1)"},
    {"bootstrap", GEN_FLAG_STRING, offsetof(gen_opts, bootstrap), 0, 0,
     "HOST:PORT", "Kafka bootstrap servers (default $EDDY_BOOTSTRAP)"},
    {"users", GEN_FLAG_INT, offsetof(gen_opts, users), 1, 2147483647, "U",
     "user_id is uniform in 1..U (default 1000)"},
    {"regions", GEN_FLAG_INT, offsetof(gen_opts, regions), 1,
     GEN_MAX_REGIONS, "K", "use the first K of the 8 regions (default 8)"},
    {"format", GEN_FLAG_STRING, offsetof(gen_opts, format), 0, 0,
     "F", "record format: json or avro-confluent (default json)"},
    {"registry", GEN_FLAG_STRING, offsetof(gen_opts, registry), 0, 0, "URL",
     "Schema Registry for avro-confluent (default $EDDY_REGISTRY)"},
};
#define NFLAGS (sizeof gen_flags / sizeof gen_flags[0])

static void gen_usage(FILE *f)
{
    fprintf(f, "usage: eddy gen orders --topic T [options]\n"
               "Produce the reference order events "
               "{order_id, user_id, amount, region},\n"
               "keyed by {\"order_id\":N}, as JSON, or with --format avro-confluent as\n"
               "Avro in the Confluent wire format, the schemas registered under\n"
               "<topic>-key and <topic>-value.\n\noptions:\n");
    gen_flags_usage(f, gen_flags, NFLAGS);
}

/* A development tool should give up on a vanished broker in seconds, not
** in librdkafka's default 5 minutes. */
static const char *const gen_producer_props[] = {
    "message.timeout.ms", "30000",
    NULL,
};

/* Set by SIGINT/SIGTERM; the only global state of the command. */
static volatile sig_atomic_t gen_stop;

static void gen_on_signal(int sig)
{
    (void)sig;
    gen_stop = 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep, returning early when a signal arrives. */
static void sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* What the flags cannot check alone; fills in the bootstrap default. */
static int gen_check(gen_opts *o, const char *what, char *err, size_t errlen)
{
    const char *env = getenv("EDDY_BOOTSTRAP");

    if (!what) {
        snprintf(err, errlen, "what to generate? (only 'orders' exists)");
        return -1;
    }
    if (strcmp(what, "orders") != 0) {
        snprintf(err, errlen, "unknown generator '%s' (only 'orders')", what);
        return -1;
    }
    if (!o->topic) {
        snprintf(err, errlen, "--topic is required");
        return -1;
    }
    if (!o->bootstrap && env && *env)
        o->bootstrap = env;
    if (!o->bootstrap) {
        snprintf(err, errlen,
                 "no Kafka cluster given: pass --bootstrap HOST:PORT or set "
                 "EDDY_BOOTSTRAP (`eddy broker` starts one)");
        return -1;
    }
    if (strcmp(o->format, "json") != 0 && strcmp(o->format, "avro-confluent") != 0) {
        snprintf(err, errlen, "--format must be json or avro-confluent, not '%s'", o->format);
        return -1;
    }
    env = getenv("EDDY_REGISTRY");
    if (!o->registry && env && *env)
        o->registry = env;
    if (strcmp(o->format, "avro-confluent") == 0 && !o->registry) {
        snprintf(err, errlen,
                 "--format avro-confluent needs --registry URL or EDDY_REGISTRY "
                 "(`eddy broker` prints one on its second line)");
        return -1;
    }
    return 0;
}

/* ---- Encoding orders: JSON, or Avro in the Confluent wire format -------- */

struct gen_encoder {
    RecEncoder *key, *val; /* avro-confluent encoders, or NULL for JSON */
    StrBuf kbuf, vbuf;     /* the last encoding */
    char jkey[GEN_KEY_MAX], jval[GEN_VALUE_MAX]; /* the last JSON */
};

gen_encoder *gen_encoder_new(const char *format, const char *topic,
                             const char *registry, char *err, size_t errlen)
{
    static const JsonField kf[] = {{"order_id", {TY_BIGINT, 0, 0, 0, 0}, 0}};
    static const JsonField vf[] = {
        {"order_id", {TY_BIGINT, 0, 0, 0, 0}, 0},
        {"user_id", {TY_BIGINT, 0, 0, 0, 0}, 1},
        {"amount", {TY_DOUBLE, 0, 0, 0, 0}, 2},
        {"region", {TY_STRING, 0, 0, 0, 0}, 3},
    };
    gen_encoder *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    if (format && strcmp(format, "avro-confluent") == 0) {
        char ks[300], vs[300];
        snprintf(ks, sizeof ks, "%s-key", topic);
        snprintf(vs, sizeof vs, "%s-value", topic);
        FormatSpec kspec = {FMT_AVRO_CONFLUENT, registry, ks, "eddy.gen.OrderKey"};
        FormatSpec vspec = {FMT_AVRO_CONFLUENT, registry, vs, "eddy.gen.Order"};
        e->key = recenc_new(&kspec, kf, 1, err, errlen);
        e->val = e->key ? recenc_new(&vspec, vf, 4, err, errlen) : NULL;
        if (!e->val) {
            gen_encoder_free(e);
            return NULL;
        }
    }
    return e;
}

int gen_encoder_encode(gen_encoder *e, const gen_order *o, const char **key,
                       size_t *klen, const char **val, size_t *vlen, char *err,
                       size_t errlen)
{
    if (!e->val) {
        if (gen_order_format(o, e->jkey, sizeof e->jkey, klen, e->jval,
                             sizeof e->jval, vlen)) {
            snprintf(err, errlen, "order %lld does not fit its buffer",
                     (long long)o->order_id);
            return -1;
        }
        *key = e->jkey;
        *val = e->jval;
        return 0;
    }
    Value row[4];
    memset(row, 0, sizeof row);
    row[0].i = o->order_id;
    row[1].i = o->user_id;
    row[2].d = (double)o->amount_cents / 100.0;
    row[3].s = o->region;
    row[3].n = (int32_t)strlen(o->region);
    e->kbuf.len = e->vbuf.len = 0;
    if (recenc_encode(e->key, row, &e->kbuf, err, errlen) ||
        recenc_encode(e->val, row, &e->vbuf, err, errlen))
        return -1;
    *key = e->kbuf.s;
    *klen = e->kbuf.len;
    *val = e->vbuf.s;
    *vlen = e->vbuf.len;
    return 0;
}

void gen_encoder_free(gen_encoder *e)
{
    if (!e)
        return;
    recenc_free(e->key);
    recenc_free(e->val);
    sb_free(&e->kbuf);
    sb_free(&e->vbuf);
    free(e);
}

int gen_main(int argc, char **argv)
{
    gen_opts o = {NULL, NULL, 0.0, 0, 1, GEN_DEFAULT_USERS, GEN_MAX_REGIONS, "json", NULL};
    gen_encoder *enc = NULL;
    const char *what = NULL;
    char err[512];
    kafka_producer *p;
    struct sigaction sa, old_int, old_term;
    uint64_t rng;
    int64_t produced = 0;
    int nparts = 0, status = 0;
    double t0, elapsed, tokens = 1.0, last_refill, burst, next_check;
    int rc = gen_flags_parse(gen_flags, NFLAGS, &o, argc, argv, &what, err,
                             sizeof err);

    if (rc == 1) {
        gen_usage(stdout);
        return 0;
    }
    if (rc == 0)
        rc = gen_check(&o, what, err, sizeof err);
    if (rc) {
        fprintf(stderr, "eddy gen: %s\n(see eddy gen --help)\n", err);
        return 2;
    }

    enc = gen_encoder_new(o.format, o.topic, o.registry, err, sizeof err);
    if (!enc) {
        fprintf(stderr, "eddy gen: %s\n", err);
        return 2;
    }
    p = kafka_producer_new(o.bootstrap, gen_producer_props, err, sizeof err);
    if (!p) {
        fprintf(stderr, "eddy gen: %s\n", err);
        gen_encoder_free(enc);
        return 1;
    }
    /* Fail fast when nothing listens there, instead of queueing records
    ** for minutes; this also creates the topic if the cluster does that. */
    if (kafka_producer_partition_count(p, o.topic, 5000, &nparts, err,
                                       sizeof err)) {
        fprintf(stderr, "eddy gen: cannot reach %s: %s\n", o.bootstrap, err);
        kafka_producer_free(p);
        gen_encoder_free(enc);
        return 1;
    }

    /* The first signal asks for a clean stop; a second one kills (the
    ** handler resets itself), in case the broker is gone and flush hangs. */
    gen_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = gen_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: the signal ends a sleep */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    rng = gen_seed(o.seed);
    /* Token bucket: `rate` tokens a second, at most 100 ms worth saved up,
    ** so a stall is not followed by a long burst, while records still go
    ** out in batches rather than one per wake-up. */
    burst = o.rate * 0.1 > 1.0 ? o.rate * 0.1 : 1.0;
    t0 = last_refill = mono_s();
    next_check = t0 + 1.0;
    while (!gen_stop && (o.count == 0 || produced < o.count)) {
        const char *key, *val;
        size_t klen, vlen;
        gen_order ord;

        if (o.rate > 0) {
            if (tokens < 1.0) {
                double now = mono_s();
                tokens += (now - last_refill) * o.rate;
                last_refill = now;
                if (tokens > burst)
                    tokens = burst;
            }
            if (tokens < 1.0) {
                double wait = (1.0 - tokens) / o.rate;
                sleep_s(wait < 0.001 ? 0.001 : wait > 0.2 ? 0.2 : wait);
                continue;
            }
            tokens -= 1.0;
        }
        gen_order_draw(&rng, produced + 1, (int)o.users, (int)o.regions, &ord);
        if (gen_encoder_encode(enc, &ord, &key, &klen, &val, &vlen, err,
                               sizeof err) ||
            kafka_produce(p, o.topic, -1, key, klen, val, vlen, 0, NULL, 0,
                          err, sizeof err)) {
            fprintf(stderr, "eddy gen: %s\n", err);
            status = 1;
            break;
        }
        produced++;
        /* Surface delivery failures while running, about once a second
        ** (reading the clock only every 1024 records when flat out). */
        if ((o.rate > 0 || (produced & 1023) == 0) && mono_s() >= next_check) {
            next_check = mono_s() + 1.0;
            if (kafka_producer_poll(p, err, sizeof err)) {
                fprintf(stderr, "eddy gen: %s\n", err);
                status = 1;
                break;
            }
        }
    }
    /* After a failure the queued records are dropped, not waited for. */
    if (status == 0 && kafka_producer_flush(p, 60000, err, sizeof err)) {
        fprintf(stderr, "eddy gen: %s\n", err);
        status = 1;
    }
    elapsed = mono_s() - t0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    kafka_producer_free(p);
    gen_encoder_free(enc);

    fprintf(stderr, "produced %lld orders to %s in %.2f s (%.0f/s)%s\n",
            (long long)produced, o.topic, elapsed,
            elapsed > 0 ? (double)produced / elapsed : 0.0,
            status ? ", with errors" : "");
    return status;
}
