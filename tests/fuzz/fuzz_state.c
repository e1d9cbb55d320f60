/*
 * fuzz_state.c — a libFuzzer target over the state records decoder
 * (state_batch_decode in src/exec/state.c): what a task reads back from
 * its state changelog topic, where anything may have been written.
 *
 * Besides the sanitizers' findings, the target aborts when the decoder's
 * contract breaks: a refused input leaves the batch as it was and a
 * reason; an accepted one encodes again into bytes that decode into the
 * same batch, which encodes into the very same bytes (the encoding is
 * canonical), and writing it into a state file succeeds or fails cleanly.
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_state: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static StateStore *store;
static char path[] = "/tmp/eddy-fuzz-state-XXXXXX";

/* At exit: the store closed and SQLite's -wal and -shm files removed (the
 * file itself went at once), so that runs leave nothing in /tmp. */
static void remove_store(void)
{
    char side[sizeof path + 8];
    state_close(store);
    store = NULL;
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    if (!store) {
        int fd = mkstemp(path);
        FUZZ_CHECK(fd >= 0);
        close(fd);
        FUZZ_CHECK(state_open(path, &store, err, sizeof err) == 0);
        unlink(path);   /* (the open file stays usable: verify_file then refuses to write, which is a clean failure too) */
        atexit(remove_store);
    }
    StateBatch *b = state_batch_new();
    if (state_batch_decode(b, data, size, err, sizeof err)) {
        FUZZ_CHECK(state_batch_rows(b) == 0);
        FUZZ_CHECK(err[0]);
        state_batch_free(b);
        return 0;
    }
    StrBuf one = {0}, two = {0};
    state_batch_encode(b, &one);
    StateBatch *c = state_batch_new();
    FUZZ_CHECK(state_batch_decode(c, one.s, one.len, err, sizeof err) == 0);
    FUZZ_CHECK(state_batch_rows(c) == state_batch_rows(b));
    state_batch_encode(c, &two);
    FUZZ_CHECK(one.len == two.len && memcmp(one.s, two.s, one.len) == 0);
    (void)state_write(store, c);   /* 0 or -1 with a message: never a crash */
    sb_free(&one);
    sb_free(&two);
    state_batch_free(b);
    state_batch_free(c);
    return 0;
}
