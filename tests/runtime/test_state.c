/*
 * test_state.c — the state file: checkpoints append to the log, the log is
 * folded into the table when it outgrows it, and a scan (what a restart
 * reads) always yields the latest row of every key, deletes applied —
 * checked against a model, across compactions and reopening the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

enum { NKEYS = 50000 };

/* The model: the value (an int) of each key, -1 = absent. */
static int model[NKEYS];
static int seen[NKEYS];

static int fold(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)ctx;
    int k;
    assert_int_equal(klen, sizeof k);
    memcpy(&k, key, sizeof k);
    assert_true(k >= 0 && k < NKEYS);
    if (!val) {
        seen[k] = -1;
        return 0;
    }
    assert_int_equal(vlen, sizeof(int));
    memcpy(&seen[k], val, sizeof(int));
    return 0;
}

static void check(StateStore *s)
{
    for (int i = 0; i < NKEYS; i++) seen[i] = -1;
    assert_int_equal(state_scan(s, 0, fold, NULL), 0);
    for (int i = 0; i < NKEYS; i++)
        if (seen[i] != model[i]) fail_msg("key %d: stored %d, expected %d", i, seen[i], model[i]);
}

/* A new state file, and the log files SQLite makes beside it, are 0600:
 * state holds the job's data. */
static void test_file_mode(void **state)
{
    (void)state;
    char dir[] = "/tmp/eddy-state-mode-XXXXXX", path[256], wal[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/job.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    mode_t old = umask(022);
    StateStore *s;
    char err[256];
    assert_int_equal(state_open(path, &s, err, sizeof err), 0);
    StateBatch *b = state_batch_new();
    int k = 1, v = 2;
    state_batch_put(b, 0, &k, sizeof k, &v, sizeof v, "{}", "{}");
    assert_int_equal(state_write(s, b), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    if (stat(wal, &st) == 0) assert_int_equal(st.st_mode & 0777, 0600);
    state_batch_free(b);
    state_close(s);
    umask(old);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    unlink(path);
    rmdir(dir);
}

static void test_log_and_compaction(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-state-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    StateStore *s;
    char err[256];
    assert_int_equal(state_open(path, &s, err, sizeof err), 0);
    for (int i = 0; i < NKEYS; i++) model[i] = -1;
    StateBatch *b = state_batch_new();
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    /* 12 checkpoints of 30k changes: puts, overwrites and deletes, some of
     * one key twice in a checkpoint — enough to fold the log several times. */
    for (int round = 0; round < 12; round++) {
        state_batch_clear(b);
        for (int i = 0; i < 30000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int k = (int)(x % NKEYS), v = (int)(x >> 40) & 0xffff;
            if ((x >> 20) % 5 == 0) {
                state_batch_del(b, 0, &k, sizeof k);
                model[k] = -1;
            } else {
                state_batch_put(b, 0, &k, sizeof k, &v, sizeof v, "{}", "{}");
                model[k] = v;
            }
        }
        state_batch_offset(b, "t", 0, round);
        assert_int_equal(state_write(s, b), 0);
        check(s);
    }
    /* A restart reads the same. */
    state_close(s);
    assert_int_equal(state_open(path, &s, err, sizeof err), 0);
    check(s);
    int64_t off;
    assert_int_equal(state_get_offset(s, "t", 0, &off), 0);
    assert_int_equal(off, 11);
    state_batch_free(b);
    state_close(s);
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static void unlink_db(const char *path)
{
    char side[96];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static StateStore *temp_store(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    StateStore *s;
    char err[256];
    assert_int_equal(state_open(path, &s, err, sizeof err), 0);
    return s;
}

/* A task's state as records (its changelog topic): every checkpoint's batch
 * encoded, decoded in another process's file and written there gives the
 * same state, offsets, operators and meta; a snapshot (state_export) after
 * a reset gives it too; malformed or truncated records are refused whole. */
static void test_changelog_records(void **state)
{
    (void)state;
    char pa[] = "/tmp/eddy-state-a-XXXXXX", pb[] = "/tmp/eddy-state-b-XXXXXX", pc[] = "/tmp/eddy-state-c-XXXXXX";
    StateStore *a = temp_store(pa), *b = temp_store(pb), *c = temp_store(pc);
    char err[256];
    for (int i = 0; i < NKEYS; i++) model[i] = -1;
    StateBatch *batch = state_batch_new(), *in = state_batch_new();
    StrBuf rec = {0};
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (int round = 0; round < 5; round++) {
        state_batch_clear(batch);
        if (round == 0) state_batch_operator(batch, 0, "GroupAggregate", "fp-0", "keys=[k]");
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int k = (int)(x % NKEYS), v = (int)(x >> 40) & 0xffff;
            if ((x >> 20) % 5 == 0) {
                state_batch_del(batch, 0, &k, sizeof k);
                model[k] = -1;
            } else {
                state_batch_put(batch, 0, &k, sizeof k, &v, sizeof v, "{\"k\":1}", "{}");
                model[k] = v;
            }
        }
        state_batch_offset(batch, "orders", 3, 1000 + round);
        state_batch_meta(batch, "checkpoint_id", round == 4 ? "5" : "x");
        assert_int_equal(state_write(a, batch), 0);
        rec.len = 0;
        assert_int_equal(state_batch_encode(batch, &rec), 0);
        state_batch_clear(in);
        assert_int_equal(state_batch_decode(in, rec.s, rec.len, err, sizeof err), 0);
        assert_int_equal(state_batch_rows(in), state_batch_rows(batch));
        assert_int_equal(state_write(b, in), 0);
        check(b);
    }
    int64_t off;
    assert_int_equal(state_get_offset(b, "orders", 3, &off), 0);
    assert_int_equal(off, 1004);
    assert_string_equal(state_get_meta(b, "checkpoint_id"), "5");
    char kind[64], fp[64], desc[64];
    assert_int_equal(state_get_operator(b, 0, kind, sizeof kind, fp, sizeof fp, desc, sizeof desc), 0);
    assert_string_equal(kind, "GroupAggregate");
    assert_string_equal(fp, "fp-0");

    /* A snapshot of a into c, over rows c held before: the reset clears them. */
    state_batch_clear(in);
    int stale = NKEYS + 7, one = 1;
    state_batch_put(in, 0, &stale, sizeof stale, &one, sizeof one, NULL, NULL);
    state_batch_offset(in, "other", 0, 9);
    assert_int_equal(state_write(c, in), 0);
    state_batch_clear(batch);
    assert_int_equal(state_export(a, batch), 0);
    rec.len = 0;
    assert_int_equal(state_batch_encode(batch, &rec), 0);
    state_batch_clear(in);
    assert_int_equal(state_batch_decode(in, rec.s, rec.len, err, sizeof err), 0);
    assert_int_equal(state_write(c, in), 0);
    check(c);   /* (the stale key would fail fold's range check) */
    assert_int_equal(state_get_offset(c, "orders", 3, &off), 0);
    assert_int_equal(off, 1004);
    assert_int_equal(state_get_offset(c, "other", 0, &off), 1);
    assert_string_equal(state_get_meta(c, "checkpoint_id"), "5");

    /* Malformed: no header, every truncation, a bad type, a length past the end. */
    state_batch_clear(in);
    assert_int_not_equal(state_batch_decode(in, "nope", 4, err, sizeof err), 0);
    for (size_t cut = 9; cut < 200; cut++) {
        int rc = state_batch_decode(in, rec.s, cut, err, sizeof err);
        if (rc) assert_int_equal(state_batch_rows(in), 0);   /* nothing of a refused input */
        state_batch_clear(in);
    }
    char bad[16] = "eddyST1\n\x09";
    assert_int_not_equal(state_batch_decode(in, bad, 9, err, sizeof err), 0);
    assert_non_null(strstr(err, "byte 8"));
    memcpy(bad, "eddyST1\n\x01\x00\x7f", 11);
    assert_int_not_equal(state_batch_decode(in, bad, 11, err, sizeof err), 0);
    assert_int_equal(state_batch_rows(in), 0);

    sb_free(&rec);
    state_batch_free(batch);
    state_batch_free(in);
    state_close(a);
    state_close(b);
    state_close(c);
    unlink_db(pa);
    unlink_db(pb);
    unlink_db(pc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_and_compaction),
        cmocka_unit_test(test_file_mode),
        cmocka_unit_test(test_changelog_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
