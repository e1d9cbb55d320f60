/*
 * test_keyed.c — keyed operator state (src/exec/keyed.c): the operator's
 * state_keys / state_bytes after inserts, resizes and removes; what a
 * checkpoint writes (puts, deletes, nothing for a key only moved), the
 * bytes it will write as the job counts them (an early checkpoint's
 * trigger), and what a restore loads back; payloads released exactly once; packed
 * checkpoints (chunks, a snapshot when they outgrow the state, a restored
 * Keyed going on, a damaged chunk).  Then the same
 * counts kept by the operators that use it (ChangelogNormalize and
 * GroupAggregate) in a job compiled from SQL, across a checkpoint and a
 * restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"
#include "exec.h"
#include "keyed.h"
#include "state.h"

/* ---- the module on its own: payloads are one int64, or a string ---- */

static int released;      /* release calls */

static int fixed_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    (void)s;
    int64_t v;
    memcpy(&v, keyed_payload(e), sizeof v);
    if (v < 0) return 1;   /* "nothing to keep" */
    sb_putn(val, (const char *)&v, sizeof v);
    if (!row) return 0;   /* packed: no texts */
    row[0] = (Value){.s = keyed_key(e), .n = (int32_t)e->klen};
    row[1] = (Value){.i = v};
    return 0;
}

static int fixed_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    if (vlen != sizeof(int64_t)) return job_fail(s->job, "bad value");
    memcpy(keyed_payload(e), val, vlen);
    return 0;
}

static void count_release(OpState *s, KeyedEntry *e)
{
    (void)s, (void)e;
    released++;
}

static const JsonField key_fields[] = {{"k", {.kind = TY_STRING}, 0}};
static const JsonField val_fields[] = {{"v", {.kind = TY_BIGINT}, 1}};

/* A malloc'd copy of a field array (the Keyed takes it over). */
static JsonField *fields(const JsonField *f)
{
    JsonField *c = malloc(sizeof *c);
    assert_non_null(c);
    *c = *f;
    return c;
}

static bool packed;   /* fixed_cfg gives packed Keyeds */
static int64_t pack_above;   /* fixed_cfg's KeyedConfig.pack_above (rows mode) */

static KeyedConfig fixed_cfg(void)
{
    if (packed) return (KeyedConfig){.vsize = sizeof(int64_t), .save = fixed_save, .load = fixed_load, .release = count_release, .packed = true};
    return (KeyedConfig){
        .vsize = sizeof(int64_t), .key_text = fields(key_fields), .nkey_text = 1, .val_text = fields(val_fields), .nval_text = 1,
        .row_width = 2, .save = fixed_save, .load = fixed_load, .release = count_release, .pack_above = pack_above,
    };
}

static KeyedEntry *put(Keyed *k, const char *key, int64_t v)
{
    size_t len = strlen(key);
    uint64_t h = keyed_hash(key, len);
    KeyedEntry *e = keyed_find(k, key, len, h);
    if (!e) e = keyed_insert(k, key, len, h, sizeof v);
    keyed_touch(k, e);
    memcpy(keyed_payload(e), &v, sizeof v);
    return e;
}

static void del(Keyed *k, const char *key)
{
    size_t len = strlen(key);
    uint64_t h = keyed_hash(key, len);
    KeyedEntry *e = keyed_find(k, key, len, h);
    assert_non_null(e);
    keyed_remove(k, e, h);
    assert_null(keyed_find(k, key, len, h));
}

/* key_i, 5 or 6 bytes */
static const char *key(int i)
{
    static char buf[8][16];
    static int at;
    char *b = buf[at++ % 8];
    snprintf(b, 16, "key_%d", i);
    return b;
}

static int64_t key_bytes(int from, int to)
{
    int64_t n = 0;
    for (int i = from; i < to; i++) n += (int64_t)strlen(key(i));
    return n;
}

/* A state file in /tmp; rm_state removes it with its WAL files. */
static void tmp_state(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* A new state file at a fresh name made from path's XXXXXX, opened. */
static StateStore *open_tmp_state(char *path)
{
    tmp_state(path);
    StateStore *st;
    char err[256];
    if (state_open(path, &st, err, sizeof err)) fail_msg("%s", err);
    return st;
}

static void rm_state(const char *path)
{
    char aux[256];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

static void test_counts_without_state(void **state)
{
    (void)state;
    Job job = {0};
    OpState op = {.job = &job};
    Keyed k;
    KeyedConfig cfg = fixed_cfg();
    keyed_init(&k, &op, &cfg);
    released = 0;
    for (int i = 0; i < 20; i++) put(&k, key(i), i);
    assert_int_equal(op.stats.state_keys, 20);
    assert_int_equal(op.stats.state_bytes, key_bytes(0, 20) + 20 * 8);
    put(&k, key(3), 33);   /* an update: same counts */
    assert_int_equal(op.stats.state_keys, 20);
    for (int i = 0; i < 5; i++) del(&k, key(i));
    assert_int_equal(op.stats.state_keys, 15);
    assert_int_equal(op.stats.state_bytes, key_bytes(5, 20) + 15 * 8);
    assert_int_equal(released, 5);
    assert_int_equal(k.nchanged, 0);   /* no state file: nothing tracked, removed entries freed */
    assert_int_equal(keyed_count(&k), 15);
    keyed_free(&k);
    assert_int_equal(released, 20);
    assert_int_equal(op.stats.state_keys, 0);
    assert_int_equal(op.stats.state_bytes, 0);
    keyed_free(&k);   /* twice is harmless */
}

/* A key longer than an entry holds fails the job, naming the operator,
 * and is kept empty: nothing is cut off in silence, nothing overruns. */
static void test_key_too_long(void **state)
{
    (void)state;
    Job job = {0};
    PlanNode node = {.kind = PLAN_AGG};
    OpState op = {.job = &job, .node = &node};
    Keyed k;
    KeyedConfig cfg = fixed_cfg();
    keyed_init(&k, &op, &cfg);
    size_t len = (size_t)KEYED_KEY_MAX + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'k', len);
    KeyedEntry *e = keyed_insert(&k, big, len, keyed_hash(big, len), 8);
    assert_non_null(e);
    assert_int_equal(e->klen, 0);
    memset(keyed_payload(e), 0, 8);   /* the payload is the entry's own (ASan would say otherwise) */
    assert_non_null(strstr(job.err, "GroupAggregate: a state key of 67108864 bytes"));
    free(big);
    keyed_free(&k);
}

/* Loads what the file holds for op 0 into a fresh Keyed and checks it
 * against want[] (-1 = absent). */
static void check_restore(StateStore *st, const int64_t *want, int n)
{
    Job job = {.state = st};
    OpState op = {.job = &job};
    Keyed k;
    KeyedConfig cfg = fixed_cfg();
    keyed_init(&k, &op, &cfg);
    assert_int_equal(keyed_restore(&k, st, 0), 0);
    int64_t keys = 0, bytes = 0;
    for (int i = 0; i < n; i++) {
        const char *kk = key(i);
        KeyedEntry *e = keyed_find(&k, kk, strlen(kk), keyed_hash(kk, strlen(kk)));
        if (want[i] < 0) {
            assert_null(e);
            continue;
        }
        assert_non_null(e);
        int64_t v;
        memcpy(&v, keyed_payload(e), sizeof v);
        assert_int_equal(v, want[i]);
        keys++;
        bytes += (int64_t)strlen(kk) + 8;
    }
    assert_int_equal(op.stats.state_keys, keys);
    assert_int_equal(op.stats.state_bytes, bytes);
    assert_int_equal(job.stats.restored_keys, keys);
    assert_int_equal(k.nchanged, 0);   /* loading is no change */
    keyed_free(&k);
}

static void test_checkpoint_and_restore(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-test-keyed-XXXXXX";
    StateStore *st = open_tmp_state(path);
    Job job = {.state = st};
    OpState op = {.job = &job};
    Keyed k;
    KeyedConfig cfg = fixed_cfg();
    keyed_init(&k, &op, &cfg);
    StateBatch *b = state_batch_new();
    int64_t want[100];

    /* 100 keys, 10 of them removed again, one holding "nothing to keep" */
    for (int i = 0; i < 100; i++) put(&k, key(i), want[i] = i * 10);
    for (int i = 90; i < 100; i++) del(&k, key(i)), want[i] = -1;
    put(&k, key(7), -5);
    want[7] = -1;
    assert_int_equal(op.stats.state_keys, 90);
    assert_int_equal(k.nchanged, 100);   /* each key once, removed ones too */
    /* what the job's next checkpoint has to write, counted once per key,
     * all of it new to the file (job_state_outgrown starts one early past
     * JOB_DIRTY_MAX of any change or JOB_FRESH_MAX of new entries) */
    assert_int_equal(job.dirty_bytes, key_bytes(0, 100) + 100 * 8);
    assert_int_equal(job.fresh_bytes, job.dirty_bytes);
    assert_false(job_state_outgrown(&job));
    job.fresh_bytes = JOB_FRESH_MAX - 1;
    assert_false(job_state_outgrown(&job));
    put(&k, key(100), 1);
    assert_true(job_state_outgrown(&job));
    del(&k, key(100));
    job.dirty_bytes = key_bytes(0, 100) + 100 * 8;
    job.fresh_bytes = job.dirty_bytes;
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 89);   /* 89 puts; the 11 keys removed never reached the file: no deletes */
    assert_int_equal(job.ckpt_written, 89);
    assert_int_equal(state_write(st, b), 0);
    check_restore(st, want, 100);

    /* nothing changed: nothing written */
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 0);

    /* an update, a remove, a key removed and added again: a change of
     * entries the file holds counts towards JOB_DIRTY_MAX only */
    job.dirty_bytes = job.fresh_bytes = 0;
    put(&k, key(1), want[1] = 111);
    assert_int_equal(job.fresh_bytes, 0);
    assert_int_equal(job.dirty_bytes, key_bytes(1, 2) + 8);
    job.dirty_bytes = JOB_DIRTY_MAX - key_bytes(2, 3);   /* key 2 removed: at least its key bytes more */
    assert_false(job_state_outgrown(&job));
    put(&k, key(1), want[1] = 112);
    del(&k, key(2)), want[2] = -1;
    assert_true(job_state_outgrown(&job));
    assert_int_equal(job.fresh_bytes, 0);
    del(&k, key(3));
    put(&k, key(3), want[3] = 333);
    put(&k, key(7), want[7] = 77);
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 5);   /* put 1; delete 2, 3; put 3, 7 */
    assert_int_equal(state_write(st, b), 0);
    check_restore(st, want, 100);
    assert_int_equal(op.stats.state_keys, 89);

    /* every payload is released once: the live ones at keyed_free */
    released = 0;
    keyed_free(&k);
    assert_int_equal(released, 89);
    state_batch_free(b);
    state_close(st);
    rm_state(path);
}

/* ---- packed checkpoints: chunks of records, snapshots ---- */

/* Restores op 0 of st into k (as fixed_cfg gives) and checks it against want[0..n). */
static void restore_into(Keyed *k, OpState *op, StateStore *st, const int64_t *want, int n)
{
    KeyedConfig cfg = fixed_cfg();
    keyed_init(k, op, &cfg);
    assert_int_equal(keyed_restore(k, st, 0), 0);
    int64_t keys = 0;
    for (int i = 0; i < n; i++) {
        const char *kk = key(i);
        KeyedEntry *e = keyed_find(k, kk, strlen(kk), keyed_hash(kk, strlen(kk)));
        if (want[i] < 0) {
            assert_null(e);
            continue;
        }
        assert_non_null(e);
        int64_t v;
        memcpy(&v, keyed_payload(e), sizeof v);
        assert_int_equal(v, want[i]);
        keys++;
    }
    assert_int_equal(keyed_count(k), keys);
    assert_int_equal(op->stats.state_keys, keys);
}

static void test_packed(void **state)
{
    (void)state;
    packed = true;
    char path[] = "/tmp/eddy-test-keyed-XXXXXX";
    StateStore *st = open_tmp_state(path);
    Job job = {.state = st};
    OpState op = {.job = &job};
    Keyed k;
    KeyedConfig cfg = fixed_cfg();
    keyed_init(&k, &op, &cfg);
    StateBatch *b = state_batch_new();
    enum { N = 80000 };
    int64_t *want = malloc(sizeof *want * N);
    for (int i = 0; i < N; i++) want[i] = -1;

    /* as test_checkpoint_and_restore, but 89 puts are one state row */
    for (int i = 0; i < 100; i++) put(&k, key(i), want[i] = i * 10);
    for (int i = 90; i < 100; i++) del(&k, key(i)), want[i] = -1;
    put(&k, key(7), -5);
    want[7] = -1;
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 2);   /* the chunk, and the first packed checkpoint's layout marker (meta) */
    assert_int_equal(job.ckpt_written, 89);
    assert_int_equal(k.chunk_records, 89);
    assert_int_equal(state_write(st, b), 0);
    Keyed r;
    Job rjob = {.state = st};
    OpState rop = {.job = &rjob};
    restore_into(&r, &rop, st, want, 100);
    keyed_free(&r);

    /* nothing changed: nothing written */
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 0);

    /* updates, deletes, a key removed and added again: one more chunk */
    put(&k, key(1), want[1] = 111);
    del(&k, key(2)), want[2] = -1;
    del(&k, key(3));
    put(&k, key(3), want[3] = 333);
    put(&k, key(7), want[7] = 77);
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 1);
    assert_int_equal(state_write(st, b), 0);
    restore_into(&r, &rop, st, want, 100);
    keyed_free(&r);

    /* many keys: several chunks of at most KEYED_CHUNK bytes */
    for (int i = 100; i < N; i++) put(&k, key(i), want[i] = i);
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_true(state_batch_rows(b) > 1);
    assert_int_equal(state_write(st, b), 0);
    restore_into(&r, &rop, st, want, N);
    keyed_free(&r);
    /* …removed again: the chunks now hold far more records than live keys,
     * so this checkpoint is a snapshot: the old chunks deleted, the live
     * keys in one new chunk (that starts with a reset) */
    uint64_t chunks = k.chunk_next - k.chunk_first;
    assert_true(chunks > 3);
    for (int i = 100; i < N; i++) del(&k, key(i)), want[i] = -1;
    put(&k, key(5), want[5] = 55);
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), chunks + 1);
    assert_int_equal(k.chunk_records, 89);
    assert_int_equal(k.chunk_next - k.chunk_first, 1);
    assert_int_equal(state_write(st, b), 0);
    restore_into(&r, &rop, st, want, N);
    assert_int_equal(r.chunk_records, 89);
    assert_int_equal(r.chunk_first, k.chunk_first);
    assert_int_equal(r.chunk_next, k.chunk_next);

    /* the restored Keyed goes on where the first stopped */
    put(&r, key(6), want[6] = 66);
    del(&r, key(8)), want[8] = -1;
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&r, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 1);
    assert_int_equal(state_write(st, b), 0);
    keyed_free(&r);
    Keyed r2;
    Job r2job = {.state = st};
    OpState r2op = {.job = &r2job};
    restore_into(&r2, &r2op, st, want, N);
    keyed_free(&r2);

    /* a damaged chunk fails the restore with a message */
    char err[256];
    state_close(st);
    {
        StateStore *st2;
        if (state_open(path, &st2, err, sizeof err)) fail_msg("%s", err);
        StateBatch *bad = state_batch_new();
        unsigned char kk[8] = {0, 0, 0, 0, 0, 0, 1, 0};
        state_batch_put(bad, 0, kk, 8, "\1\0\5ab", 5, NULL, NULL);
        assert_int_equal(state_write(st2, bad), 0);
        state_batch_free(bad);
        PlanNode node = {.kind = PLAN_JOIN};
        Job bjob = {.state = st2};
        OpState bop = {.job = &bjob, .node = &node};
        Keyed bk;
        KeyedConfig bc = fixed_cfg();
        keyed_init(&bk, &bop, &bc);
        assert_int_equal(keyed_restore(&bk, st2, 0), -1);
        assert_non_null(strstr(bjob.err, "unreadable"));
        keyed_free(&bk);
        state_close(st2);
    }

    keyed_free(&k);
    state_batch_free(b);
    free(want);
    rm_state(path);
    packed = false;
}

/* ---- rows while small, packed when large (KeyedConfig.pack_above) ---- */

static int count_rows(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)key, (void)klen, (void)vlen;
    if (val) ++*(int *)ctx;
    return 0;
}

static void test_pack_above(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-test-keyed-XXXXXX";
    StateStore *st = open_tmp_state(path);
    Job job = {.state = st};
    OpState op = {.job = &job};
    Keyed k;
    pack_above = 50;
    KeyedConfig cfg = fixed_cfg();
    keyed_init(&k, &op, &cfg);
    StateBatch *b = state_batch_new();
    enum { N = 300 };
    int64_t want[N];
    for (int i = 0; i < N; i++) want[i] = -1;

    /* 40 keys: a readable row each, no layout marker */
    for (int i = 0; i < 40; i++) put(&k, key(i), want[i] = i);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 40);
    assert_int_equal(state_write(st, b), 0);
    assert_null(state_get_meta(st, "op.0.layout"));
    int rows = 0;
    assert_int_equal(state_scan(st, 0, count_rows, &rows), 0);
    assert_int_equal(rows, 40);
    Keyed r;
    Job rjob = {.state = st};
    OpState rop = {.job = &rjob};
    restore_into(&r, &rop, st, want, N);   /* a restart reads the rows, and stays in rows while small */
    assert_false(r.marked);
    keyed_free(&r);

    /* 300 keys: the checkpoint drops the rows and writes a packed snapshot */
    for (int i = 40; i < N; i++) put(&k, key(i), want[i] = i);
    del(&k, key(3)), want[3] = -1;
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_write(st, b), 0);
    assert_true(k.marked);
    assert_string_equal(state_get_meta(st, "op.0.layout"), "packed");
    rows = 0;
    assert_int_equal(state_scan(st, 0, count_rows, &rows), 0);
    assert_int_equal(rows, 1);   /* one chunk holds the 299 keys */
    Job rjob2 = {.state = st};
    OpState rop2 = {.job = &rjob2};
    restore_into(&r, &rop2, st, want, N);
    assert_int_equal(keyed_count(&r), N - 1);
    /* once packed, packed even when small again */
    for (int i = 10; i < N; i++)
        if (want[i] >= 0) del(&r, key(i)), want[i] = -1;
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&r, b, 0), 0);
    assert_int_equal(state_write(st, b), 0);
    rows = 0;
    assert_int_equal(state_scan(st, 0, count_rows, &rows), 0);
    assert_true(rows >= 1 && rows <= 2);   /* chunks, not 9 rows */
    keyed_free(&r);

    keyed_free(&k);
    state_batch_free(b);
    state_close(st);
    rm_state(path);
    pack_above = 0;
}

/* ---- variable payloads: keyed_resize ---- */

static int str_save(OpState *s, const KeyedEntry *e, StrBuf *val, Value *row)
{
    (void)s;
    sb_putn(val, keyed_payload(e), e->vlen);
    row[0] = (Value){.s = keyed_key(e), .n = (int32_t)e->klen};
    row[1] = (Value){.i = e->vlen};
    return 0;
}

static int str_load(OpState *s, KeyedEntry *e, const void *val, size_t vlen)
{
    (void)s, (void)val;
    assert_int_equal(e->vlen, vlen);
    assert_memory_equal(keyed_payload(e), val, vlen);   /* already copied */
    return 0;
}

static KeyedEntry *set_str(Keyed *k, KeyedEntry *e, const char *s)
{
    uint64_t h = keyed_hash(keyed_key(e), e->klen);
    e = keyed_resize(k, e, h, strlen(s));
    memcpy(keyed_payload(e), s, strlen(s));
    return e;
}

typedef struct Seen {
    int         rows;     /* rows scanned */
    char        val[64];  /* a copy of the last value of key "a" (the scan's pointer lives only during the call) */
    size_t      vlen;     /* its length */
} Seen;

static int scan_a(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    Seen *s = ctx;
    s->rows++;
    if (klen == 1 && memcmp(key, "a", 1) == 0) {
        s->vlen = vlen;
        memcpy(s->val, val, vlen < sizeof s->val ? vlen : sizeof s->val);
    }
    return 0;
}

static void test_resize(void **state)
{
    (void)state;
    char path[] = "/tmp/eddy-test-keyed-XXXXXX";
    StateStore *st = open_tmp_state(path);
    Job job = {.state = st};
    OpState op = {.job = &job};
    Keyed k;
    KeyedConfig cfg = {
        .vsize = 0, .key_text = fields(key_fields), .nkey_text = 1, .val_text = fields(val_fields), .nval_text = 1,
        .row_width = 2, .save = str_save, .load = str_load,
    };
    keyed_init(&k, &op, &cfg);
    KeyedEntry *e = keyed_insert(&k, "a", 1, keyed_hash("a", 1), 3);
    memcpy(keyed_payload(e), "abc", 3);
    assert_int_equal(op.stats.state_bytes, 1 + 3);
    KeyedEntry *same = set_str(&k, e, "abcde");   /* same 8-byte size class: in place */
    assert_ptr_equal(same, e);
    assert_int_equal(op.stats.state_bytes, 1 + 5);
    e = set_str(&k, same, "a much longer value than before");   /* moves */
    assert_int_equal(op.stats.state_keys, 1);
    assert_int_equal(op.stats.state_bytes, 1 + 31);
    assert_ptr_equal(keyed_find(&k, "a", 1, keyed_hash("a", 1)), e);
    StateBatch *b = state_batch_new();
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 1);   /* one put: no delete for the moved-out entry */
    assert_int_equal(state_write(st, b), 0);
    /* moved again after a checkpoint: still one put */
    e = set_str(&k, e, "short");
    state_batch_clear(b);
    assert_int_equal(keyed_checkpoint(&k, b, 0), 0);
    assert_int_equal(state_batch_rows(b), 1);
    assert_int_equal(state_write(st, b), 0);
    Seen seen = {0};
    assert_int_equal(state_scan(st, 0, scan_a, &seen), 0);
    assert_int_equal(seen.vlen, 5);
    assert_memory_equal(seen.val, "short", 5);
    /* restored: the stored value is the payload */
    Keyed r;
    OpState op2 = {.job = &job};   /* another operator's */
    cfg.key_text = fields(key_fields);
    cfg.val_text = fields(val_fields);
    keyed_init(&r, &op2, &cfg);
    assert_int_equal(keyed_restore(&r, st, 0), 0);
    KeyedEntry *re = keyed_find(&r, "a", 1, keyed_hash("a", 1));
    assert_non_null(re);
    assert_int_equal(re->vlen, 5);
    keyed_free(&r);
    /* entries past the slab's largest size are malloc'd: none may leak,
     * live or removed and waiting for the checkpoint (ASan checks) */
    char big[3000];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = 0;
    e = set_str(&k, e, big);
    assert_int_equal(op.stats.state_bytes, 1 + (int64_t)strlen(big));
    KeyedEntry *g = keyed_insert(&k, "gone", 4, keyed_hash("gone", 4), sizeof big);
    memset(keyed_payload(g), 'y', sizeof big);
    keyed_remove(&k, g, keyed_hash("gone", 4));
    assert_int_equal(op.stats.state_keys, 1);
    keyed_free(&k);
    state_batch_free(b);
    state_close(st);
    rm_state(path);
}

/* ---- the operators that use it ---- */

static const char *job_sql =
    "CREATE TABLE accounts (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, balance DOUBLE)"
    "  WITH ('changelog.mode' = 'upsert');"
    "CREATE TABLE totals (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE, n BIGINT)"
    "  WITH ('changelog.mode' = 'upsert');"
    "INSERT INTO totals SELECT region, SUM(balance), COUNT(*) FROM accounts GROUP BY region;";

typedef struct Compiled {
    eddy_engine *e;       /* the engine */
    eddy_script *s;       /* the script */
    const Plan  *p;       /* its INSERT */
} Compiled;

static void compile(Compiled *c)
{
    c->e = eddy_engine_new();
    if (eddy_compile(c->e, job_sql, strlen(job_sql), "test", &c->s)) fail_msg("%s", eddy_errtext(c->e));
    c->p = NULL;
    for (int i = 0; i < eddy_script_count(c->s); i++)
        if (eddy_script_kind(c->s, i) == EDDY_STMT_INSERT) c->p = (const Plan *)eddy_script_plan(c->s, i);
    assert_non_null(c->p);
}

static OpStats *stats_of(Job *j, PlanKind kind)
{
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].node->kind == kind) return &j->ops[i].stats;
    fail_msg("no operator of kind %d", (int)kind);
    return NULL;
}

static int64_t offset;

/* One upsert record: id → (region, balance), or a tombstone (region NULL). */
static void push(Job *j, int id, const char *region, double balance)
{
    char k[64], v[256];
    snprintf(k, sizeof k, "{\"id\": %d}", id);
    snprintf(v, sizeof v, "{\"id\": %d, \"region\": \"%s\", \"balance\": %g}", id, region ? region : "", balance);
    RawRecord r = {.topic = "accounts", .offset = offset++, .key = k, .klen = strlen(k), .val = region ? v : NULL,
                   .vlen = region ? strlen(v) : 0};
    if (job_push(j, 0, &r, 1)) fail_msg("%s", j->err);
}

static void chk(const OpStats *st, int64_t keys, const char *what)
{
    if (st->state_keys != keys) fail_msg("%s: state_keys %lld, expected %lld", what, (long long)st->state_keys, (long long)keys);
    assert_true(keys ? st->state_bytes > 0 : st->state_bytes == 0);
}

static void test_operators(void **state)
{
    (void)state;
    Compiled c;
    compile(&c);
    char path[] = "/tmp/eddy-test-keyed-XXXXXX";
    tmp_state(path);
    char err[1024];
    Job *j = job_new(c.p, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(job_open_state(j, path, true, err, sizeof err), 0);
    OpStats *norm = stats_of(j, PLAN_NORMALIZE), *agg = stats_of(j, PLAN_AGG);
    chk(norm, 0, "normalize, empty");
    chk(agg, 0, "aggregate, empty");

    push(j, 1, "us", 10);
    push(j, 2, "us", 5);
    push(j, 3, "eu", 7);
    assert_int_equal(job_flush(j), 0);
    chk(norm, 3, "normalize, 3 ids");
    chk(agg, 2, "aggregate, 2 regions");
    int64_t agg_bytes2 = agg->state_bytes, norm_bytes3 = norm->state_bytes;
    assert_int_equal(agg_bytes2 % 2, 0);   /* two groups of the same size ("us", "eu": same key length) */

    push(j, 1, "eu", 10);        /* id 1 moves: same keys */
    push(j, 4, "ap", 1);
    assert_int_equal(job_flush(j), 0);
    chk(norm, 4, "normalize, 4 ids");
    chk(agg, 3, "aggregate, 3 regions");
    assert_int_equal(agg->state_bytes, agg_bytes2 / 2 * 3);

    push(j, 2, NULL, 0);         /* us is emptied */
    push(j, 9, NULL, 0);         /* a delete of an unknown id: nothing */
    assert_int_equal(job_flush(j), 0);
    chk(norm, 3, "normalize, id 2 deleted");
    chk(agg, 2, "aggregate, us emptied");
    assert_int_equal(agg->state_bytes, agg_bytes2);
    assert_int_equal(norm->state_bytes, norm_bytes3);   /* three rows of the same size again */

    /* a restart loads the same counts */
    int64_t nb = norm->state_bytes, ab = agg->state_bytes;
    SourceOffset offs[1] = {{"accounts", 0, offset}};
    assert_true(j->dirty_bytes > 0);   /* the state changed since the start */
    assert_int_equal(job_checkpoint(j, offs, 1), 0);
    assert_int_equal(j->dirty_bytes, 0);   /* collected */
    assert_int_equal(job_checkpoint_sync(j), 0);
    job_free(j);
    j = job_new(c.p, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(job_open_state(j, path, false, err, sizeof err), 0);
    norm = stats_of(j, PLAN_NORMALIZE), agg = stats_of(j, PLAN_AGG);
    chk(norm, 3, "normalize, restored");
    chk(agg, 2, "aggregate, restored");
    assert_int_equal(norm->state_bytes, nb);
    assert_int_equal(agg->state_bytes, ab);

    /* everything deleted: nothing held */
    push(j, 1, NULL, 0);
    push(j, 3, NULL, 0);
    push(j, 4, NULL, 0);
    assert_int_equal(job_flush(j), 0);
    chk(norm, 0, "normalize, all deleted");
    chk(agg, 0, "aggregate, all emptied");
    job_free(j);
    rm_state(path);
    eddy_script_free(c.s);
    eddy_engine_free(c.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_without_state),
        cmocka_unit_test(test_key_too_long),
        cmocka_unit_test(test_checkpoint_and_restore),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_packed),
        cmocka_unit_test(test_pack_above),
        cmocka_unit_test(test_operators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
