/*
 * avro_bench.c — decode cost per record: JSON vs Avro (Confluent wire
 * format) through eddy's compiled decoder, on the same reference orders, plus the floor: touching every
 * byte (what bench/raw_consumer.c does per record).
 *
 *     avro_bench [N [ROUNDS]]      (default 1000000 records, best of 5)
 *
 * The records are the reference stream of `eddy gen orders --seed 1`,
 * encoded as `eddy gen` encodes them (JSON: gen_order_format; Avro: the
 * gen encoder, registered at a development registry started in this
 * process).  Decoding goes through format.h's RecDecoder — the exact
 * source-operator path: the Confluent header, the schema-id lookup, the
 * body — into (a) all four columns and (b) the two the reference job reads
 * (region, amount; the others are parsed and skipped).  (avro-c's generic
 * reader, measured here before, is no longer in eddy: bench/README.md
 * keeps its figures.)  Every decoder's results are
 * checksummed and must agree.  Build and run with bench/avro_bench.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "gen.h"
#include "registry.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct Corpus {
    char   *buf;          /* all records back to back */
    size_t *off;          /* start of record i (off[n] = end) */
    int     n;            /* records */
} Corpus;

static void corpus_add(Corpus *c, size_t *cap, const char *p, size_t len)
{
    size_t at = c->off[c->n];
    while (at + len > *cap) {
        *cap *= 2;
        c->buf = realloc(c->buf, *cap);
        if (!c->buf) abort();
    }
    memcpy(c->buf + at, p, len);
    c->off[++c->n] = at + len;
}

typedef struct Sum {
    double  amount;       /* sum of amounts */
    int64_t region_bytes; /* sum of region lengths */
    int64_t ids;          /* sum of order_id + user_id (all-column runs) */
} Sum;

/* Decodes every record; returns the best ns/record over `rounds`. */
static double run(const char *name, RecDecoder *d, const Corpus *c, int rounds, Sum *sum, int aslot, int rslot, int islot, int uslot)
{
    Arena a;
    arena_init(&a, 1 << 16);
    double best = 1e30;
    char err[512];
    for (int r = 0; r < rounds; r++) {
        Sum s = {0, 0, 0};
        double t0 = now();
        for (int i = 0; i < c->n; i++) {
            Value row[4];
            if (recdec_decode(d, c->buf + c->off[i], c->off[i + 1] - c->off[i], row, &a, err, sizeof err)) {
                fprintf(stderr, "%s: record %d: %s\n", name, i, err);
                exit(1);
            }
            s.amount += row[aslot].d;
            s.region_bytes += row[rslot].n;
            if (islot >= 0) s.ids += row[islot].i + row[uslot].i;
            if ((i & 8191) == 8191) {   /* the job resets its batch arena the same way */
                arena_free(&a);
                arena_init(&a, 1 << 16);
            }
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        *sum = s;
    }
    arena_free(&a);
    return best * 1e9 / c->n;
}

static double touch(const Corpus *c, int rounds, uint64_t *out)
{
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        uint64_t h = 0;
        double t0 = now();
        for (int i = 0; i < c->n; i++) {
            const unsigned char *p = (const unsigned char *)c->buf + c->off[i], *e = (const unsigned char *)c->buf + c->off[i + 1];
            for (; p < e; p++) h = h * 31 + *p;
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        *out = h;
    }
    return best * 1e9 / c->n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000, rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (n <= 0 || rounds <= 0) {
        fprintf(stderr, "usage: avro_bench [N [ROUNDS]]\n");
        return 2;
    }
    char err[512];
    RegistryServer *srv;
    if (registry_server_start(NULL, &srv, err, sizeof err)) {
        fprintf(stderr, "avro_bench: %s\n", err);
        return 1;
    }
    const char *url = registry_server_url(srv);
    gen_encoder *je = gen_encoder_new(FMT_JSON, "orders_raw", NULL, err, sizeof err);
    gen_encoder *ae = gen_encoder_new(FMT_AVRO_CONFLUENT, "orders_raw", url, err, sizeof err);
    if (!je || !ae) {
        fprintf(stderr, "avro_bench: %s\n", err);
        return 1;
    }
    Corpus js = {malloc(1 << 20), calloc((size_t)n + 1, sizeof(size_t)), 0};
    Corpus av = {malloc(1 << 20), calloc((size_t)n + 1, sizeof(size_t)), 0};
    size_t jcap = 1 << 20, acap = 1 << 20;
    uint64_t rng = gen_seed(1);
    for (int i = 0; i < n; i++) {
        gen_order o;
        const char *k, *v;
        size_t kl, vl;
        gen_order_draw(&rng, i + 1, GEN_DEFAULT_USERS, GEN_MAX_REGIONS, &o);
        if (gen_encoder_encode(je, &o, &k, &kl, &v, &vl, err, sizeof err)) return 1;
        corpus_add(&js, &jcap, v, vl);
        if (gen_encoder_encode(ae, &o, &k, &kl, &v, &vl, err, sizeof err)) {
            fprintf(stderr, "avro_bench: %s\n", err);
            return 1;
        }
        corpus_add(&av, &acap, v, vl);
    }
    printf("%d reference orders: JSON %.1f bytes/record, Avro (Confluent wire format) %.1f bytes/record; best of %d rounds\n\n", n,
           (double)js.off[n] / n, (double)av.off[n] / n, rounds);

    static const JsonField all[] = {
        {"order_id", {.kind = TY_BIGINT, .nullable = 1}, 0}, {"user_id", {.kind = TY_BIGINT, .nullable = 1}, 1},
        {"amount", {.kind = TY_DOUBLE, .nullable = 1}, 2},   {"region", {.kind = TY_STRING, .nullable = 1}, 3},
    };
    static const JsonField proj[] = {   /* the reference job: region and amount only */
        {"order_id", {.kind = TY_BIGINT, .nullable = 1}, -1}, {"user_id", {.kind = TY_BIGINT, .nullable = 1}, -1},
        {"amount", {.kind = TY_DOUBLE, .nullable = 1}, 0},    {"region", {.kind = TY_STRING, .nullable = 1}, 1},
    };
    uint64_t h1, h2;
    double t_json = touch(&js, rounds, &h1), t_avro = touch(&av, rounds, &h2);
    printf("%-58s %8s\n", "what", "ns/rec");
    printf("%-58s %8.1f\n", "touch every byte (raw consumer's work), JSON records", t_json);
    printf("%-58s %8.1f\n", "touch every byte (raw consumer's work), Avro records", t_avro);
    Sum ref = {0, 0, 0};
    int bad = 0;
    for (int cols = 0; cols < 2; cols++) {
        const JsonField *f = cols ? proj : all;
        int aslot = cols ? 0 : 2, rslot = cols ? 1 : 3, islot = cols ? -1 : 0, uslot = cols ? -1 : 1;
        const char *what = cols ? "region, amount" : "all 4 columns";
        for (int mode = 0; mode < 2; mode++) {
            FormatSpec fs = {mode == 0 ? FMT_JSON : FMT_AVRO_CONFLUENT, url, NULL, NULL, NULL};
            RecDecoder *d = recdec_new(&fs, f, 4, err, sizeof err);
            if (!d) {
                fprintf(stderr, "avro_bench: %s\n", err);
                return 1;
            }
            static const char *const names[] = {"JSON (eddy's json_decode)", "Avro, eddy's compiled decoder"};
            Sum s;
            double ns = run(names[mode], d, mode ? &av : &js, rounds, &s, aslot, rslot, islot, uslot);
            recdec_free(d);
            char label[128];
            snprintf(label, sizeof label, "%s: %s", names[mode], what);
            printf("%-58s %8.1f\n", label, ns);
            if (mode == 0 && cols == 0) ref = s;
            if (s.amount != ref.amount || s.region_bytes != ref.region_bytes || (cols == 0 && s.ids != ref.ids)) {
                fprintf(stderr, "avro_bench: %s decoded different values\n", label);
                bad = 1;
            }
        }
    }
    printf("\nchecksums agree: sum(amount) = %.2f, sum(len(region)) = %lld\n", ref.amount, (long long)ref.region_bytes);
    free(js.buf);
    free(js.off);
    free(av.buf);
    free(av.off);
    gen_encoder_free(je);
    gen_encoder_free(ae);
    registry_server_free(srv);
    return bad;
}
