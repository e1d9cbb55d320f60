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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_and_compaction),
        cmocka_unit_test(test_file_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
