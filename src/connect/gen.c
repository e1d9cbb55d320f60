/*
** gen.c — the reference order stream: a splitmix64 generator, the draw of
** one order, its JSON formatting, and the encoder that turns orders into
** Kafka records (JSON, or Avro in the Confluent wire format through
** format.h).  No I/O but the encoder's registry calls and no printing, so
** tests and benchmarks can regenerate the exact stream for a seed.  The
** `eddy gen` command that produces it to Kafka is cli/cmd_gen.c.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "gen.h"

#include "format.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- Encoding orders: JSON, or Avro in the Confluent wire format -------- */

struct gen_encoder {
    RecEncoder *key, *val; /* avro-confluent encoders, or NULL for JSON */
    StrBuf kbuf, vbuf;     /* the last encoding */
    char jkey[GEN_KEY_MAX], jval[GEN_VALUE_MAX]; /* the last JSON */
};

gen_encoder *gen_encoder_new(Format format, const char *topic,
                             const char *registry, char *err, size_t errlen)
{
    static const JsonField kf[] = {{"order_id", {.kind = TY_BIGINT}, 0}};
    static const JsonField vf[] = {
        {"order_id", {.kind = TY_BIGINT}, 0},
        {"user_id", {.kind = TY_BIGINT}, 1},
        {"amount", {.kind = TY_DOUBLE}, 2},
        {"region", {.kind = TY_STRING}, 3},
    };
    gen_encoder *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    if (format == FMT_AVRO_CONFLUENT) {
        char ks[300], vs[300];
        snprintf(ks, sizeof ks, "%s-key", topic);
        snprintf(vs, sizeof vs, "%s-value", topic);
        FormatSpec kspec = {FMT_AVRO_CONFLUENT, registry, ks, "eddy.gen.OrderKey", NULL};
        FormatSpec vspec = {FMT_AVRO_CONFLUENT, registry, vs, "eddy.gen.Order", NULL};
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
