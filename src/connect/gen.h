/*
** gen.h — sample data: the reference order events.
**
** The order stream is deterministic for a seed, so tests and benchmarks can
** regenerate exactly what `eddy gen orders --seed S` produced and compute
** expected results from it.  An order is drawn from the generator state
** (gen_order_draw) and then formatted as the JSON key and value eddy's
** reference job reads (gen_order_format).  Draws happen in this order for
** each order: user_id, amount, region.  The `eddy gen` command is
** cli/cmd_gen.c.
*/
#ifndef EDDY_GEN_H
#define EDDY_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

#define GEN_MAX_REGIONS 8      /* regions --regions may choose from */
#define GEN_DEFAULT_USERS 1000 /* user ids are 1..users */
#define GEN_KEY_MAX 48         /* bytes a formatted key can need, with NUL */
#define GEN_VALUE_MAX 160      /* bytes a formatted value can need, with NUL */

/* One order event. */
typedef struct gen_order {
    int64_t order_id;     /* 1, 2, 3... in production order */
    int64_t user_id;      /* uniform in 1..users */
    int64_t amount_cents; /* uniform in 100..50000, i.e. 1.00 to 500.00 */
    const char *region;   /* one of the first `regions` region names */
} gen_order;

/* The fixed region names, in the order --regions takes them. */
extern const char *const gen_region_names[GEN_MAX_REGIONS];

/* Generator state for a seed.  Any seed is fine, 0 included. */
uint64_t gen_seed(uint64_t seed);

/* Draw the next order (with the given id) from *rng_state.  users >= 1,
** 1 <= regions <= GEN_MAX_REGIONS. */
void gen_order_draw(uint64_t *rng_state, int64_t order_id, int users,
                    int regions, gen_order *o);

/*
** Format o as its Kafka key {"order_id":1} and value
** {"order_id":1,"user_id":42,"amount":123.45,"region":"us-west"}.  The
** amount is written in the shortest form that reads back as the same double
** (12.5, not 12.50); a whole amount keeps one decimal (12.0), as Python's
** json module writes it, so that it reads as a DOUBLE everywhere.  Both
** strings are NUL-terminated; their lengths go to *klen and *vlen.
** Returns 0, or -1 if a buffer is too small (GEN_KEY_MAX / GEN_VALUE_MAX
** always suffice).
*/
int gen_order_format(const gen_order *o, char *key, size_t keycap,
                     size_t *klen, char *val, size_t valcap, size_t *vlen);

/* gen_order_draw then gen_order_format, for tests and benchmarks. */
int gen_order_json(uint64_t *rng_state, int64_t order_id, int users,
                   int regions, char *key, size_t keycap, char *val,
                   size_t valcap);

/*
** Orders as Kafka records: JSON (gen_order_format), or with format
** FMT_AVRO_CONFLUENT Avro in the Confluent wire format — key {order_id: long},
** value {order_id: long, user_id: long, amount: double, region: string},
** registered at the Schema Registry `registry` under <topic>-key and
** <topic>-value on the first encode.  NULL with a message in err.
*/
typedef struct gen_encoder gen_encoder;
gen_encoder *gen_encoder_new(Format format, const char *topic,
                             const char *registry, char *err, size_t errlen);
/* The record of o; the bytes stay valid until the next call.  0, or -1
** with a message (the registry refused or could not be reached). */
int gen_encoder_encode(gen_encoder *e, const gen_order *o, const char **key,
                       size_t *klen, const char **val, size_t *vlen, char *err,
                       size_t errlen);
void gen_encoder_free(gen_encoder *e);

#endif /* EDDY_GEN_H */
