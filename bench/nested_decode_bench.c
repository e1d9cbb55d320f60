/*
 * nested_decode_bench.c — decode cost per record of a nested event (3
 * levels, an array of 5 objects) against the flat reference order, in JSON
 * (codec_json.c) and in Avro (codec_avro.c's compiled programs), all four
 * in one run.  Not part of the CMake build; build and run by hand (Release
 * flags, no sanitizers):
 *
 *   cc -O2 -std=gnu11 -Isrc/base -Isrc/exec -Isrc/sql -Isrc/connect -Ibuild/gen bench/nested_decode_bench.c \
 *      src/connect/codec_json.c src/connect/codec_avro.c src/exec/value.c src/exec/nested.c src/exec/rowkey.c \
 *      src/base/arena.c src/base/strbuf.c src/base/types.c src/base/tz.c -lavro -ljansson -lm -o /tmp/nested_decode_bench
 *   /tmp/nested_decode_bench [N]
 *
 * The flat record is the reference order {order_id, user_id, amount,
 * region} into BIGINT, BIGINT, DOUBLE, STRING.  The nested event is
 *   {"order_id":…, "user":{"id":…, "profile":{"name":…, "tier":…}},
 *    "items":[{"sku":…, "qty":…, "price":…} × 5], "region":…}
 * into BIGINT, ROW<id BIGINT, profile ROW<name STRING, tier STRING>>,
 * ARRAY<ROW<sku STRING, qty INT, price DOUBLE>>, STRING: every level is
 * parsed, converted and packed into eddy's nested values (nested.h).
 * Records are generated in memory as JSON; the Avro bodies are the same
 * rows encoded by eddy's Avro encoder (the schema eddy writes for those
 * columns: nullable unions everywhere), decoded by the program for that
 * schema (no Confluent header: the JSON records have none either).  The
 * arena is reset every 1024 records, as a batch's is.  The four kinds
 * alternate, 5 rounds each; the median ns/record of each is reported, with
 * bytes per record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "codec_avro.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *const regions[] = {"us-west", "us-east", "eu-central", "ap-south", "sa-east"};
static const char *const tiers[] = {"gold", "silver", "bronze"};

typedef struct Recs {
    char   *data;
    size_t *off;
    size_t  n;
} Recs;

static Recs make(size_t n, bool nested)
{
    Recs r = {malloc(n * (nested ? 420 : 96)), malloc(sizeof(size_t) * (n + 1)), n};
    size_t cap = n * (nested ? 420 : 96), used = 0;
    unsigned seed = 42;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned user = (seed >> 8) % 10000;
        seed = seed * 1103515245u + 12345u;
        unsigned cents = 100 + (seed >> 8) % 99900;
        r.off[i] = used;
        if (!nested) {
            used += (size_t)snprintf(r.data + used, cap - used, "{\"order_id\":%zu,\"user_id\":%u,\"amount\":%u.%02u,\"region\":\"%s\"}",
                                     i + 1, user, cents / 100, cents % 100, regions[i % 5]);
            continue;
        }
        used += (size_t)snprintf(r.data + used, cap - used, "{\"order_id\":%zu,\"user\":{\"id\":%u,\"profile\":{\"name\":\"u%u\",\"tier\":\"%s\"}},\"items\":[",
                                 i + 1, user, user, tiers[user % 3]);
        for (int k = 0; k < 5; k++)
            used += (size_t)snprintf(r.data + used, cap - used, "%s{\"sku\":\"sku-%u\",\"qty\":%d,\"price\":%u.%02u}", k ? "," : "",
                                     (user * 7 + (unsigned)k) % 5000, k + 1, cents / 100, (cents + (unsigned)k) % 100);
        used += (size_t)snprintf(r.data + used, cap - used, "],\"region\":\"%s\"}", regions[i % 5]);
    }
    r.off[n] = used;
    return r;
}

/* One round over r: JSON with dec, or Avro with prog. */
static double round_ns(JsonDecoder *dec, CavroProgram *prog, const Recs *r, Arena *a)
{
    Value row[4];
    char err[256];
    double t0 = now_ns();
    for (size_t i = 0; i < r->n; i++) {
        int rc = dec ? json_decode(dec, r->data + r->off[i], r->off[i + 1] - r->off[i], row, a, err, sizeof err)
                     : cavro_decode(prog, r->data + r->off[i], r->off[i + 1] - r->off[i], row, a, err, sizeof err);
        if (rc) {
            fprintf(stderr, "record %zu: %s\n", i, err);
            exit(1);
        }
        if ((i & 1023) == 1023) {
            arena_free(a);
            arena_init(a, 1 << 16);
        }
    }
    return (now_ns() - t0) / (double)r->n;
}

/* The JSON records of j as Avro bodies of the given columns. */
static Recs to_avro(const Recs *j, JsonDecoder *dec, const CavroEncoder *enc)
{
    StrBuf b = {0};
    Recs r = {NULL, malloc(sizeof(size_t) * (j->n + 1)), j->n};
    Arena a;
    arena_init(&a, 1 << 16);
    for (size_t i = 0; i < j->n; i++) {
        Value row[4];
        char err[256];
        if (json_decode(dec, j->data + j->off[i], j->off[i + 1] - j->off[i], row, &a, err, sizeof err)) {
            fprintf(stderr, "record %zu: %s\n", i, err);
            exit(1);
        }
        r.off[i] = b.len;
        cavro_encode(enc, row, &b);
        if ((i & 1023) == 1023) {
            arena_free(&a);
            arena_init(&a, 1 << 16);
        }
    }
    r.off[j->n] = b.len;
    r.data = sb_take(&b);
    arena_free(&a);
    return r;
}

static int dcmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 500000;
    Recs flat = make(n, false), nest = make(n, true);
    Arena types;
    arena_init(&types, 4096);
    JsonField ff[4] = {
        {"order_id", type_make(TY_BIGINT, true), 0},
        {"user_id", type_make(TY_BIGINT, true), 1},
        {"amount", type_make(TY_DOUBLE, true), 2},
        {"region", type_make(TY_STRING, true), 3},
    };
    const char *pn[] = {"name", "tier"}, *un[] = {"id", "profile"}, *in[] = {"sku", "qty", "price"};
    Type pt[] = {type_make(TY_STRING, true), type_make(TY_STRING, true)};
    Type profile = type_new_row(&types, 2, pn, pt, true);
    Type ut[] = {type_make(TY_BIGINT, true), profile};
    Type it[] = {type_make(TY_STRING, true), type_make(TY_INT, true), type_make(TY_DOUBLE, true)};
    JsonField nf[4] = {
        {"order_id", type_make(TY_BIGINT, true), 0},
        {"user", type_new_row(&types, 2, un, ut, true), 1},
        {"items", type_new_array(&types, type_new_row(&types, 3, in, it, true), true), 2},
        {"region", type_make(TY_STRING, true), 3},
    };
    JsonDecoder *fd = json_decoder_new(ff, 4), *nd = json_decoder_new(nf, 4);
    char err[256];
    CavroEncoder *fe = cavro_encoder_new(ff, 4, NULL, err, sizeof err), *ne = cavro_encoder_new(nf, 4, NULL, err, sizeof err);
    CavroReader *fr = cavro_reader_new(ff, 4, err, sizeof err), *nr = cavro_reader_new(nf, 4, err, sizeof err);
    if (!fe || !ne || !fr || !nr) {
        fprintf(stderr, "avro: %s\n", err);
        return 1;
    }
    CavroProgram *fp = cavro_program_new(fr, NULL, 0, err, sizeof err), *np = cavro_program_new(nr, NULL, 0, err, sizeof err);
    if (!fp || !np) {
        fprintf(stderr, "avro: %s\n", err);
        return 1;
    }
    Recs aflat = to_avro(&flat, fd, fe), anest = to_avro(&nest, nd, ne);
    Arena a;
    arena_init(&a, 1 << 16);
    double tf[5], tn[5], af[5], an[5];
    for (int r = 0; r < 5; r++) {
        tf[r] = round_ns(fd, NULL, &flat, &a);
        tn[r] = round_ns(nd, NULL, &nest, &a);
        af[r] = round_ns(NULL, fp, &aflat, &a);
        an[r] = round_ns(NULL, np, &anest, &a);
    }
    qsort(tf, 5, sizeof *tf, dcmp);
    qsort(tn, 5, sizeof *tn, dcmp);
    qsort(af, 5, sizeof *af, dcmp);
    qsort(an, 5, sizeof *an, dcmp);
    double bf = (double)flat.off[n] / (double)n, bn = (double)nest.off[n] / (double)n;
    double baf = (double)aflat.off[n] / (double)n, ban = (double)anest.off[n] / (double)n;
    printf("records: %zu of each\n", n);
    printf("JSON flat reference order   %6.1f ns/record  (%.1f bytes/record)\n", tf[2], bf);
    printf("JSON nested event           %6.1f ns/record  (%.1f bytes/record)\n", tn[2], bn);
    printf("Avro flat reference order   %6.1f ns/record  (%.1f bytes/record)\n", af[2], baf);
    printf("Avro nested event           %6.1f ns/record  (%.1f bytes/record)\n", an[2], ban);
    printf("JSON nested / flat          %6.2fx per record, %.2fx per byte\n", tn[2] / tf[2], (tn[2] / bn) / (tf[2] / bf));
    printf("Avro nested / flat          %6.2fx per record, %.2fx per byte\n", an[2] / af[2], (an[2] / ban) / (af[2] / baf));
    printf("nested: Avro / JSON         %6.2fx per record\n", an[2] / tn[2]);
    json_decoder_free(fd);
    json_decoder_free(nd);
    cavro_program_free(fp);
    cavro_program_free(np);
    cavro_reader_free(fr);
    cavro_reader_free(nr);
    cavro_encoder_free(fe);
    cavro_encoder_free(ne);
    arena_free(&a);
    arena_free(&types);
    free(flat.data), free(flat.off), free(nest.data), free(nest.off);
    free(aflat.data), free(aflat.off), free(anest.data), free(anest.off);
    return 0;
}
