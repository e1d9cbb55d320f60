/*
 * json_decode_bench.c — eddy's JSON decoder (codec_json.c) against jansson
 * on the reference order record, to justify (or not) the hand-written
 * decoder.  Not part of the CMake build; build and run by hand:
 *
 *   cc -O2 -std=gnu11 -Isrc -Ibuild/gen bench/json_decode_bench.c \
 *      src/connect/codec_json.c src/exec/value.c src/base/arena.c src/base/strbuf.c src/base/types.c \
 *      -ljansson -lm -o /tmp/json_decode_bench && /tmp/json_decode_bench [N]
 *
 * (src/exec/value.c may need further runtime sources as it grows; add them.)
 * Both sides do the same work per record: parse it, find the four columns
 * order_id, user_id, amount, region, and produce Values (BIGINT, BIGINT,
 * DOUBLE, STRING).  Records are generated like `eddy gen orders` output,
 * all in memory, so only decoding is measured.  Each side runs 3 times and
 * reports its best ns/record.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *const regions[] = {"us-west", "us-east", "eu-central", "ap-south", "sa-east"};

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    /* The records, back to back, with their offsets. */
    size_t cap = n * 96, used = 0;
    char *data = malloc(cap);
    size_t *off = malloc(sizeof(size_t) * (n + 1));
    unsigned seed = 42;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned user = (seed >> 8) % 10000;
        seed = seed * 1103515245u + 12345u;
        unsigned cents = 100 + (seed >> 8) % 99900;
        off[i] = used;
        used += (size_t)snprintf(data + used, cap - used,
                                 "{\"order_id\":%zu,\"user_id\":%u,\"amount\":%u.%02u,\"region\":\"%s\"}",
                                 i + 1, user, cents / 100, cents % 100, regions[i % 5]);
    }
    off[n] = used;

    JsonField fields[4] = {
        {"order_id", type_make(TY_BIGINT, true), 0},
        {"user_id", type_make(TY_BIGINT, true), 1},
        {"amount", type_make(TY_DOUBLE, true), 2},
        {"region", type_make(TY_STRING, true), 3},
    };
    JsonDecoder *dec = json_decoder_new(fields, 4);
    Arena arena;
    arena_init(&arena, 1 << 16);
    char err[256];
    double best_eddy = 1e30, best_jansson = 1e30;
    volatile double sink = 0;

    for (int run = 0; run < 3; run++) {
        double sum = 0;
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            Value row[4];
            if (json_decode(dec, data + off[i], off[i + 1] - off[i], row, &arena, err, sizeof err)) {
                fprintf(stderr, "eddy: %s\n", err);
                return 1;
            }
            sum += (double)row[0].i + (double)row[1].i + row[2].d + row[3].n;
        }
        double t = (now_ns() - t0) / (double)n;
        if (t < best_eddy) best_eddy = t;
        sink += sum;

        sum = 0;
        t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            json_error_t jerr;
            json_t *root = json_loadb(data + off[i], off[i + 1] - off[i], 0, &jerr);
            if (!root || !json_is_object(root)) {
                fprintf(stderr, "jansson: %s\n", jerr.text);
                return 1;
            }
            Value row[4];
            json_t *v;
            v = json_object_get(root, "order_id");
            row[0].i = json_integer_value(v);
            v = json_object_get(root, "user_id");
            row[1].i = json_integer_value(v);
            v = json_object_get(root, "amount");
            row[2].d = json_number_value(v);
            v = json_object_get(root, "region");
            row[3].s = json_string_value(v);
            row[3].n = (int)json_string_length(v);
            sum += (double)row[0].i + (double)row[1].i + row[2].d + row[3].n;
            json_decref(root);
        }
        t = (now_ns() - t0) / (double)n;
        if (t < best_jansson) best_jansson = t;
        sink += sum;
    }
    printf("records: %zu (%.1f bytes each)\n", n, (double)used / (double)n);
    printf("eddy json_decode:               %7.1f ns/record  (%.2fM records/s)\n", best_eddy, 1e3 / best_eddy);
    printf("jansson json_loadb + 4 lookups: %7.1f ns/record  (%.2fM records/s)\n", best_jansson, 1e3 / best_jansson);
    printf("ratio: %.1fx\n", best_jansson / best_eddy);
    json_decoder_free(dec);
    arena_free(&arena);
    free(data);
    free(off);
    return sink == 12345.678 ? 1 : 0;
}
