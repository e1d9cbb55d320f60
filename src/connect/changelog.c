/*
 * changelog.c — a task's state as one Kafka partition (changelog.h).
 */
#include "changelog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int changelog_append(kafka_producer *p, const char *topic, int32_t partition, int64_t ckpt, const StateBatch *b,
                     bool snapshot, size_t *bytes, char *err, size_t errlen)
{
    StrBuf enc = {0};
    state_batch_encode(b, &enc);
    size_t n = (enc.len + CHANGELOG_CHUNK - 1) / CHANGELOG_CHUNK;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char key[64];
        int klen = snprintf(key, sizeof key, "%" PRId64 " %zu/%zu %c", ckpt, i, n, snapshot ? 's' : 'd');
        size_t off = i * CHANGELOG_CHUNK, len = enc.len - off < CHANGELOG_CHUNK ? enc.len - off : CHANGELOG_CHUNK;
        rc = kafka_produce(p, topic, partition, key, (size_t)klen, enc.s + off, len, 0, NULL, 0, err, errlen);
    }
    if (bytes) *bytes = enc.len;
    sb_free(&enc);
    return rc;
}

/* A record's key: checkpoint, chunk i of n, snapshot or delta.  0, or -1 when it is not one of ours. */
static int parse_key(const kafka_msg *m, int64_t *ckpt, long *i, long *n, bool *snap)
{
    char key[64], kind;
    if (!m->key || m->klen == 0 || m->klen >= sizeof key) return -1;
    memcpy(key, m->key, m->klen);
    key[m->klen] = 0;
    long long c;
    int used = 0;
    if (sscanf(key, "%lld %ld/%ld %c%n", &c, i, n, &kind, &used) != 4 || (size_t)used != m->klen) return -1;
    if (c < 0 || *n < 1 || *i < 0 || *i >= *n || (kind != 's' && kind != 'd')) return -1;
    *ckpt = c;
    *snap = kind == 's';
    return 0;
}

/* parse_key, or -1 with an error naming the record (topic/partition offset). */
static int record_key(const kafka_msg *m, const char *topic, int partition, int64_t *ckpt, long *i, long *n, bool *snap,
                      char *err, size_t errlen)
{
    if (!parse_key(m, ckpt, i, n, snap)) return 0;
    snprintf(err, errlen, "changelog %s/%d offset %" PRId64 ": not a state changelog record (its key)", topic, partition,
             m->offset);
    return -1;
}

/* Reads [from, to) of the partition, calling fn on each record in order.  0 or -1 (err). */
static int read_partition(kafka_consumer *c, const char *topic, int32_t partition, int64_t from, int64_t to,
                          int (*fn)(void *ctx, const kafka_msg *m, char *err, size_t errlen), void *ctx, char *err,
                          size_t errlen)
{
    if (from >= to) return 0;
    kafka_tp tp = {topic, partition, from};
    if (kafka_assign(c, &tp, 1, err, errlen)) return -1;
    enum { MAX = 256 };
    kafka_msg msgs[MAX];
    int64_t at = from;
    int idle = 0, rc = 0;
    while (at < to && rc == 0) {
        int got = kafka_poll_batch(c, msgs, MAX, 200, err, errlen);
        if (got < 0) return -1;
        idle = got ? 0 : idle + 1;
        if (idle > 150) {   /* 30 s without a record below the end */
            snprintf(err, errlen, "changelog %s/%d: no record at offset %" PRId64 " after 30 s (it ends at %" PRId64 ")",
                     topic, partition, at, to);
            rc = -1;
        }
        for (int k = 0; k < got && rc == 0; k++) {
            if (msgs[k].partition != partition || msgs[k].offset < at || msgs[k].offset >= to) continue;
            at = msgs[k].offset + 1;
            rc = fn(ctx, &msgs[k], err, errlen);
        }
        kafka_release_batch(c, msgs, got);
    }
    kafka_assign(c, NULL, 0, err, errlen);
    return rc;
}

/* The state of a scan: the checkpoint being gathered. */
typedef struct Scan {
    const char *topic;
    int32_t     partition;
    bool        apply;        /* second pass: write complete checkpoints into `into` */
    StateStore *into;
    int64_t     cur;          /* checkpoint being gathered, -1 = none */
    long        next, n;      /* its next chunk and chunk count */
    bool        snap;         /* it is a snapshot */
    int64_t     first_off;    /* offset of its first chunk */
    StrBuf      buf;          /* its bytes (second pass) */
    int64_t     snap_at;      /* first pass: the first offset of the last complete snapshot, -1 = none */
    ChangelogRestored *out;
} Scan;

static int apply_checkpoint(Scan *s, int64_t offset, char *err, size_t errlen)
{
    StateBatch *b = state_batch_new();
    char why[256];
    int rc = 0;
    if (state_batch_decode(b, s->buf.s, s->buf.len, why, sizeof why)) {
        snprintf(err, errlen, "changelog %s/%d: checkpoint %" PRId64 " ending at offset %" PRId64 ": %s", s->topic,
                 s->partition, s->cur, offset, why);
        rc = -1;
    } else if (state_write(s->into, b)) {
        snprintf(err, errlen, "changelog %s/%d: writing checkpoint %" PRId64 ": %s", s->topic, s->partition, s->cur,
                 state_errmsg(s->into));
        rc = -1;
    } else {
        s->out->last_ckpt = s->cur;
        s->out->checkpoints++;
        s->out->bytes += (int64_t)s->buf.len;
        s->out->since_snapshot = s->snap ? 0 : s->out->since_snapshot + (int64_t)s->buf.len;
    }
    state_batch_free(b);
    return rc;
}

static int scan_record(void *ctx, const kafka_msg *m, char *err, size_t errlen)
{
    Scan *s = ctx;
    int64_t ckpt;
    long i, n;
    bool snap;
    if (record_key(m, s->topic, s->partition, &ckpt, &i, &n, &snap, err, errlen)) return -1;
    if (i == 0) {   /* a checkpoint starts (one left incomplete before is dropped) */
        s->cur = ckpt;
        s->n = n;
        s->next = 0;
        s->snap = snap;
        s->first_off = m->offset;
        s->buf.len = 0;
    }
    if (s->cur != ckpt || s->next != i || s->n != n || s->snap != snap) {   /* a stray chunk of an incomplete one */
        s->cur = -1;
        return 0;
    }
    if (s->apply && m->vlen) sb_putn(&s->buf, m->value, m->vlen);
    if (++s->next < s->n) return 0;
    /* complete */
    int rc = 0;
    if (!s->apply) {
        if (s->snap) s->snap_at = s->first_off;
    } else {
        rc = apply_checkpoint(s, m->offset, err, errlen);
    }
    s->cur = -1;
    return rc;
}

int changelog_restore(kafka_consumer *c, const char *topic, int32_t partition, StateStore *into, ChangelogRestored *out,
                      char *err, size_t errlen)
{
    *out = (ChangelogRestored){.last_ckpt = -1};
    int64_t lo, hi;
    if (kafka_watermarks(c, topic, partition, &lo, &hi, 10000, err, errlen)) return -1;
    if (lo >= hi) {
        if (lo > 0) {
            snprintf(err, errlen, "changelog %s/%d: its %" PRId64 " records are gone (retention): nothing to restore from",
                     topic, partition, lo);
            return -1;
        }
        return 0;
    }
    Scan s = {.topic = topic, .partition = partition, .into = into, .cur = -1, .snap_at = -1, .out = out};
    int rc = read_partition(c, topic, partition, lo, hi, scan_record, &s, err, errlen);
    if (rc == 0 && s.snap_at < 0 && lo > 0) {
        snprintf(err, errlen,
                 "changelog %s/%d: the records before offset %" PRId64 " are gone (retention) and no complete snapshot "
                 "follows: the state cannot be restored",
                 topic, partition, lo);
        rc = -1;
    }
    if (rc == 0) {
        s.apply = true;
        s.cur = -1;
        rc = read_partition(c, topic, partition, s.snap_at >= 0 ? s.snap_at : lo, hi, scan_record, &s, err, errlen);
    }
    sb_free(&s.buf);
    return rc;
}

/* changelog_last's scan: the last checkpoint whose chunks came complete and in order. */
typedef struct Last {
    const char *topic;
    int32_t     partition;
    int64_t     cur;      /* checkpoint being gathered, -1 = none */
    long        next, n;  /* its next chunk, its chunk count */
    int64_t     last;     /* the last complete one, -2 = none */
} Last;

static int last_record(void *ctx, const kafka_msg *m, char *err, size_t errlen)
{
    Last *l = ctx;
    int64_t ckpt;
    long i, n;
    bool snap;
    if (record_key(m, l->topic, l->partition, &ckpt, &i, &n, &snap, err, errlen)) return -1;
    if (i == 0) l->cur = ckpt, l->next = 0, l->n = n;
    if (l->cur != ckpt || l->next != i || l->n != n) {
        l->cur = -1;
        return 0;
    }
    if (++l->next == l->n) l->last = ckpt, l->cur = -1;
    return 0;
}

int changelog_last(kafka_consumer *c, const char *topic, int32_t partition, int64_t *ckpt, char *err, size_t errlen)
{
    *ckpt = -1;
    int64_t lo, hi;
    if (kafka_watermarks(c, topic, partition, &lo, &hi, 10000, err, errlen)) return -1;
    if (lo >= hi) return 0;
    Last l = {.topic = topic, .partition = partition, .cur = -1, .last = -2};
    int64_t from = hi - 64 > lo ? hi - 64 : lo;   /* a delta is one record; a snapshot one per CHANGELOG_CHUNK */
    if (read_partition(c, topic, partition, from, hi, last_record, &l, err, errlen)) return -1;
    *ckpt = l.last;
    return 0;
}
