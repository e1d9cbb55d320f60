/*
 * fuzz_testfile.c — a libFuzzer target over the test-file parser
 * (src/cli/testfile.c, the format of docs/test-format.md): any bytes are
 * parsed as a test file.  Invariants besides the sanitizers' findings: a
 * refused file says why, naming the file; a parsed one has cases whose
 * sections and records lie within the file's lines.
 * Built by tests/fuzz/fuzz.cmake with clang -fsanitize=fuzzer,address,undefined.
 */
#include "testfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_testfile: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TestFile f;
    int rc = tf_parse_text(&f, "fuzz.test", (const char *)data, size);
    if (rc) {
        FUZZ_CHECK(strncmp(f.err, "fuzz.test", 9) == 0);
    } else {
        for (int c = 0; c < f.cases.n; c++) {
            const TestCase *tc = f.cases.v[c];
            FUZZ_CHECK(tc->line >= 1 && tc->line <= f.nlines + 1);
            for (int s = 0; s < tc->nsecs; s++) {
                const TestSection *sec = tc->secs[s];
                FUZZ_CHECK(sec->body_first <= sec->body_end && sec->body_end <= f.nlines);
                for (int r = 0; r < sec->nrecs; r++) {
                    const TestRecord *tr = &sec->recs[r];
                    if (tr->value && tr->vlen) FUZZ_CHECK(tr->vlen < (size_t)1 << 31);
                    if (tr->key && tr->klen) FUZZ_CHECK(tr->klen < (size_t)1 << 31);
                    FUZZ_CHECK(tr->line >= 1 && tr->line <= f.nlines + 1);
                }
            }
        }
    }
    tf_free(&f);
    return 0;
}
