/*
 * changelog_test.c — a task's state changelog (src/connect/changelog.c)
 * against the in-process mock broker: checkpoints of a state file (small
 * ones, one of several chunks, a snapshot in the middle) appended to a
 * partition and restored into a new file hold the same rows, offsets and
 * meta; a checkpoint a crashed writer left incomplete is skipped; a
 * restore from a partition whose beginning is lost starts at the last
 * complete snapshot, and without one it is refused; a record that is not
 * ours is an error naming topic, partition and offset; changelog_last finds
 * the last complete checkpoint (past an incomplete one), -1 when empty.
 * Exit status 0 when every check passes.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "check.h"
#include "changelog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { NKEYS = 20000 };
static int model[NKEYS], seen[NKEYS];

static int fold(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)ctx;
    int k;
    if (klen != sizeof k) return -1;
    memcpy(&k, key, sizeof k);
    if (k < 0 || k >= NKEYS) return -1;
    if (!val) seen[k] = -1;
    else if (vlen >= sizeof(int)) memcpy(&seen[k], val, sizeof(int));
    return 0;
}

static int same_state(StateStore *s, const char *what)
{
    for (int i = 0; i < NKEYS; i++) seen[i] = -1;
    if (state_scan(s, 0, fold, NULL)) {
        CHECK(0, "%s: scan failed", what);
        return 0;
    }
    for (int i = 0; i < NKEYS; i++)
        if (seen[i] != model[i]) {
            CHECK(0, "%s: key %d holds %d, expected %d", what, i, seen[i], model[i]);
            return 0;
        }
    return 1;
}

static StateStore *temp_store(char *path)
{
    int fd = mkstemp(path);
    if (fd < 0) abort();
    close(fd);
    StateStore *s;
    char err[256];
    if (state_open(path, &s, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return s;
}

static void drop_store(StateStore *s, const char *path)
{
    char side[96];
    state_close(s);
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* One checkpoint of n changes (values of `width` bytes, the first 4 the value). */
static void changes(StateBatch *b, int n, int width, int round, unsigned *x)
{
    char val[256] = {0};
    for (int i = 0; i < n; i++) {
        *x = *x * 1103515245u + 12345u;
        int k = (int)((*x >> 8) % NKEYS), v = (int)(*x & 0xffff) + round;
        if ((*x >> 4) % 6 == 0) {
            state_batch_del(b, 0, &k, sizeof k);
            model[k] = -1;
        } else {
            for (int j = 4; j < width; j++) val[j] = (char)((*x >> (j % 24)) ^ (unsigned)(j * 31 + k));   /* (incompressible: lz4) */
            memcpy(val, &v, sizeof v);
            state_batch_put(b, 0, &k, sizeof k, val, (size_t)width, "{}", "{}");
            model[k] = v;
        }
    }
}

static int restore_into(kafka_consumer *c, const char *topic, const char *what, ChangelogRestored *r, char *err,
                        size_t errlen)
{
    char path[] = "/tmp/eddy-changelog-r-XXXXXX";
    StateStore *s = temp_store(path);
    int rc = changelog_restore(c, topic, 0, s, r, err, errlen);
    if (rc == 0) same_state(s, what);
    drop_store(s, path);
    return rc;
}

int main(void)
{
    char err[512];
    kafka_broker *b = NULL;
    if (kafka_broker_start(1, 1, &b, err, sizeof err)) {
        fprintf(stderr, "broker: %s\n", err);
        return 1;
    }
    const char *bs = kafka_broker_bootstrap(b);
    CHECK(!kafka_broker_create_topic(b, "cl", 1, err, sizeof err), "%s", err);
    CHECK(!kafka_broker_create_topic(b, "cl2", 1, err, sizeof err), "%s", err);
    kafka_producer *p = kafka_producer_new(bs, NULL, err, sizeof err);
    kafka_consumer *c = kafka_consumer_new(bs, NULL, err, sizeof err);
    if (!p || !c) {
        fprintf(stderr, "clients: %s\n", err);
        return 1;
    }
    for (int i = 0; i < NKEYS; i++) model[i] = -1;
    char pa[] = "/tmp/eddy-changelog-a-XXXXXX";
    StateStore *a = temp_store(pa);
    StateBatch *batch = state_batch_new();
    unsigned x = 7;

    /* An empty changelog restores nothing. */
    ChangelogRestored r;
    CHECK(restore_into(c, "cl", "empty", &r, err, sizeof err) == 0 && r.last_ckpt == -1, "empty: %s", err);

    /* Five checkpoints, the third one big (several chunks), a snapshot after the fourth. */
    size_t bytes;
    for (int ck = 1; ck <= 5; ck++) {
        state_batch_clear(batch);
        changes(batch, ck == 3 ? 12000 : 800, ck == 3 ? 120 : 8, ck, &x);
        state_batch_offset(batch, "orders", 0, ck * 100);
        CHECK(!state_write(a, batch), "write %d", ck);
        CHECK(!changelog_append(p, "cl", 0, ck, batch, false, &bytes, err, sizeof err), "%s", err);
        if (ck == 3) CHECK(bytes > CHANGELOG_CHUNK, "checkpoint 3 takes several chunks (%zu bytes)", bytes);
        if (ck == 4) {
            state_batch_clear(batch);
            CHECK(!state_export(a, batch), "export");
            CHECK(!changelog_append(p, "cl", 0, ck, batch, true, NULL, err, sizeof err), "%s", err);
        }
    }
    int64_t last;
    CHECK(!kafka_producer_flush(p, 10000, err, sizeof err), "%s", err);
    CHECK(!changelog_last(c, "cl", 0, &last, err, sizeof err) && last == 5, "last complete checkpoint %lld, expected 5: %s",
          (long long)last, err);
    /* A crashed writer's checkpoint 6: its first chunk only. */
    CHECK(!kafka_produce(p, "cl", 0, "6 0/2 d", 7, "eddyST1\n", 8, 0, NULL, 0, err, sizeof err), "%s", err);
    CHECK(!kafka_producer_flush(p, 10000, err, sizeof err), "%s", err);
    CHECK(restore_into(c, "cl", "restored", &r, err, sizeof err) == 0, "restore: %s", err);
    CHECK(r.last_ckpt == 5, "last checkpoint restored: %lld", (long long)r.last_ckpt);
    CHECK(!changelog_last(c, "cl", 0, &last, err, sizeof err) && last == 5,
          "last complete checkpoint after an incomplete one: %lld, expected 5: %s", (long long)last, err);
    CHECK(!changelog_last(c, "cl2", 0, &last, err, sizeof err) && last == -1, "an empty changelog's last: %lld", (long long)last);
    CHECK(r.checkpoints == 2, "from the snapshot on: %lld checkpoints applied (snapshot 4, delta 5)", (long long)r.checkpoints);
    CHECK(r.since_snapshot > 0 && r.since_snapshot < r.bytes, "bytes since the snapshot %lld of %lld",
          (long long)r.since_snapshot, (long long)r.bytes);

    /* A record that is not ours. */
    CHECK(!kafka_produce(p, "cl2", 0, "hello", 5, "x", 1, 0, NULL, 0, err, sizeof err), "%s", err);
    CHECK(!kafka_producer_flush(p, 10000, err, sizeof err), "%s", err);
    CHECK(restore_into(c, "cl2", "foreign", &r, err, sizeof err) != 0 && strstr(err, "cl2/0 offset 0"),
          "a foreign record is refused naming its place: %s", err);

    /* Retention: the broker keeps a partition's last ~5 MiB.  Deltas beyond
     * that with no snapshot cannot be restored; a snapshot after them can. */
    CHECK(!kafka_broker_create_topic(b, "cl3", 1, err, sizeof err), "%s", err);
    for (int ck = 1; ck <= 14; ck++) {
        state_batch_clear(batch);
        changes(batch, 4000, 120, ck, &x);   /* ~0.5 MiB each */
        CHECK(!state_write(a, batch), "write %d", ck);
        CHECK(!changelog_append(p, "cl3", 0, ck, batch, false, NULL, err, sizeof err), "%s", err);
        CHECK(!kafka_producer_flush(p, 10000, err, sizeof err), "%s", err);
    }
    int64_t lo, hi;
    CHECK(!kafka_watermarks(c, "cl3", 0, &lo, &hi, 5000, err, sizeof err), "%s", err);
    if (lo > 0) {   /* (the broker's retention did drop the beginning) */
        CHECK(restore_into(c, "cl3", "lost", &r, err, sizeof err) != 0 && strstr(err, "retention"),
              "a changelog missing its beginning and any snapshot is refused: %s", err);
        state_batch_clear(batch);
        CHECK(!state_export(a, batch), "export");
        CHECK(!changelog_append(p, "cl3", 0, 14, batch, true, NULL, err, sizeof err), "%s", err);
        state_batch_clear(batch);
        changes(batch, 300, 8, 15, &x);
        CHECK(!state_write(a, batch), "write 15");
        CHECK(!changelog_append(p, "cl3", 0, 15, batch, false, NULL, err, sizeof err), "%s", err);
        CHECK(!kafka_producer_flush(p, 10000, err, sizeof err), "%s", err);
        CHECK(restore_into(c, "cl3", "after retention", &r, err, sizeof err) == 0 && r.last_ckpt == 15,
              "restored from the snapshot after the lost beginning: %s", err);
    } else {
        fprintf(stderr, "note: the broker kept all of cl3 (%lld records): the retention case was not exercised\n",
                (long long)hi);
    }

    state_batch_free(batch);
    drop_store(a, pa);
    kafka_consumer_free(c);
    kafka_producer_free(p);
    kafka_broker_free(b);
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    fprintf(stderr, "changelog: all checks passed\n");
    return 0;
}
