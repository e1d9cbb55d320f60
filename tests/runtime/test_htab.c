/*
 * test_htab.c — the byte-keyed hash table (htab.c) and the row-key
 * encoding that feeds it (rowkey.c): a million entries with deletes,
 * iteration with removal, memory per entry, and rowkey round trips; the
 * slab (slab.c) that holds entries, with its pool of pre-faulted blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "rowkey.h"
#include "slab.h"

/* A caller's entry: the key bytes inline. */
typedef struct Ent {
    uint32_t len;         /* key length */
    uint32_t val;         /* payload checked by the tests */
    char     key[16];     /* key bytes */
} Ent;

static const void *ent_key(const void *e, size_t *len)
{
    const Ent *x = e;
    *len = x->len;
    return x->key;
}

static void make_key(Ent *e, uint32_t i)
{
    /* varying lengths, and keys that share long prefixes */
    e->len = (uint32_t)snprintf(e->key, sizeof e->key, "k%llu", (unsigned long long)((uint64_t)i * 2654435761u % 100000007u));
    if (i % 3 == 0) e->len = (uint32_t)snprintf(e->key, sizeof e->key, "%015u", i);
    e->val = i;
}

static void test_million(void **state)
{
    (void)state;
    enum { N = 1000000 };
    Ent *ents = calloc(N, sizeof *ents);
    Htab t;
    htab_init(&t, ent_key);
    assert_null(htab_find(&t, "x", 1, htab_hash("x", 1)));
    for (uint32_t i = 0; i < N; i++) {
        make_key(&ents[i], i);
        uint64_t h = htab_hash(ents[i].key, ents[i].len);
        assert_null(htab_find(&t, ents[i].key, ents[i].len, h));
        htab_insert(&t, &ents[i], h);
    }
    assert_int_equal(htab_count(&t), N);
    double per = (double)htab_memory(&t) / N;
    print_message("htab: %zu entries, %.1f bytes of table per entry\n", htab_count(&t), per);
    assert_true(per < 40);
    for (uint32_t i = 0; i < N; i++) {
        Ent *e = htab_find(&t, ents[i].key, ents[i].len, htab_hash(ents[i].key, ents[i].len));
        assert_ptr_equal(e, &ents[i]);
    }
    assert_null(htab_find(&t, "nope", 4, htab_hash("nope", 4)));
    /* delete every other entry, then check both halves */
    for (uint32_t i = 0; i < N; i += 2) {
        Ent *e = htab_remove(&t, ents[i].key, ents[i].len, htab_hash(ents[i].key, ents[i].len));
        assert_ptr_equal(e, &ents[i]);
    }
    assert_int_equal(htab_count(&t), N / 2);
    assert_null(htab_remove(&t, ents[0].key, ents[0].len, htab_hash(ents[0].key, ents[0].len)));
    for (uint32_t i = 0; i < N; i++) {
        Ent *e = htab_find(&t, ents[i].key, ents[i].len, htab_hash(ents[i].key, ents[i].len));
        if (i % 2) assert_ptr_equal(e, &ents[i]);
        else assert_null(e);
    }
    /* iteration sees each live entry once */
    unsigned char *seen = calloc(N, 1);
    HtabIter it;
    htab_iter_init(&t, &it);
    size_t k = 0;
    for (Ent *e; (e = htab_iter_next(&t, &it)); k++) {
        assert_true(e->val % 2 == 1);
        assert_int_equal(seen[e->val], 0);
        seen[e->val] = 1;
    }
    assert_int_equal(k, N / 2);
    /* reinsert the deleted half: the table is whole again */
    for (uint32_t i = 0; i < N; i += 2) htab_insert(&t, &ents[i], htab_hash(ents[i].key, ents[i].len));
    for (uint32_t i = 0; i < N; i++)
        assert_ptr_equal(htab_find(&t, ents[i].key, ents[i].len, htab_hash(ents[i].key, ents[i].len)), &ents[i]);
    htab_free(&t);
    free(seen);
    free(ents);
}

static void test_iter_remove(void **state)
{
    (void)state;
    enum { N = 5000 };
    Ent *ents = calloc(N, sizeof *ents);
    Htab t;
    htab_init(&t, ent_key);
    HtabIter it;
    htab_iter_init(&t, &it);
    assert_null(htab_iter_next(&t, &it));   /* empty table */
    for (uint32_t i = 0; i < N; i++) {
        make_key(&ents[i], i);
        htab_insert(&t, &ents[i], htab_hash(ents[i].key, ents[i].len));
    }
    /* remove the multiples of 3 while iterating; every entry still visited once */
    unsigned char *seen = calloc(N, 1);
    htab_iter_init(&t, &it);
    for (Ent *e; (e = htab_iter_next(&t, &it));) {
        assert_int_equal(seen[e->val], 0);
        seen[e->val] = 1;
        if (e->val % 3 == 0) htab_iter_remove(&t, &it);
    }
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(seen[i], 1);
        Ent *e = htab_find(&t, ents[i].key, ents[i].len, htab_hash(ents[i].key, ents[i].len));
        if (i % 3 == 0) assert_null(e);
        else assert_ptr_equal(e, &ents[i]);
    }
    /* remove everything while iterating */
    htab_iter_init(&t, &it);
    while (htab_iter_next(&t, &it)) htab_iter_remove(&t, &it);
    assert_int_equal(htab_count(&t), 0);
    htab_free(&t);
    htab_free(&t);   /* twice is fine */
    free(seen);
    free(ents);
}

static void test_hash(void **state)
{
    (void)state;
    /* deterministic, length-sensitive, and spread over the top bits (the tag) */
    assert_true(htab_hash("abc", 3) == htab_hash("abc", 3));
    assert_true(htab_hash("", 0) != htab_hash("\0", 1));
    assert_true(htab_hash("\0", 1) != htab_hash("\0\0", 2));
    assert_true(htab_hash("abcdefgh", 8) != htab_hash("abcdefgi", 8));
    int buckets[256] = {0};
    for (uint64_t i = 0; i < 256 * 64; i++) buckets[htab_hash(&i, sizeof i) >> 56]++;
    for (int b = 0; b < 256; b++) assert_true(buckets[b] > 16 && buckets[b] < 160);
    /* The values themselves never change (an exchange routes a row to
     * partition hash(key) % partitions: a restarted parallel job must find
     * its keys where its state is): these are the hash's values of 2026-11
     * (little-endian), every length 0..40 at two alignments folded. */
    static const struct {
        const char *s;
        uint64_t    h;
    } pinned[] = {
        {"", 0x2da1050f4becf15fULL},       {"a", 0x6551ec8ada3d57deULL},
        {"ab", 0x2f23227c38d7c133ULL},     {"abc", 0xb32c5eef21fee7f6ULL},
        {"abcd", 0xdd49b085db68f61aULL},   {"abcde", 0xa870b5774332ee7dULL},
        {"abcdefg", 0x6a8308c663f02dc0ULL}, {"abcdefgh", 0x20ca03a9c4a72020ULL},
        {"abcdefghi", 0xa6be2a42bef0c96bULL}, {"user_id=123456789012345", 0xd927a5bcb10d427bULL},
    };
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) assert_true(htab_hash(pinned[i].s, strlen(pinned[i].s)) == pinned[i].h);
    unsigned char buf[64];
    for (int i = 0; i < 64; i++) buf[i] = (unsigned char)(i * 37 + 11);
    uint64_t fold = 0;
    for (int off = 0; off < 4; off += 3)
        for (size_t n = 0; n <= 40; n++) fold = fold * 31 + htab_hash(buf + off, n);
    assert_true(fold == 0xd27b635ee09cac5bULL);
}

/* ---- rowkey -------------------------------------------------------------------- */

static Type T(TypeKind k) { return type_make(k, true); }

static void test_rowkey_roundtrip(void **state)
{
    (void)state;
    Type types[10] = {T(TY_BOOLEAN), T(TY_INT), T(TY_BIGINT), T(TY_DOUBLE), type_decimal(10, 2, true),
                      T(TY_STRING), T(TY_BYTES), T(TY_DATE), T(TY_TIMESTAMP), T(TY_STRING)};
    Value row[10];
    memset(row, 0, sizeof row);
    row[0].i = 1;
    row[1].i = -5;
    row[2].i = INT64_MIN;
    row[3].d = 123.45;
    row[4].i = -99;
    row[5].s = "us-west";
    row[5].n = 7;
    row[6].s = "a\0b";
    row[6].n = 3;
    row[7].i = 19753;
    row[8].i = 1706695200000LL;
    row[9].null = 1;
    StrBuf b = {0};
    rowkey_encode(&b, types, row, NULL, 10);
    Value back[10];
    assert_int_equal(rowkey_decode(b.s, b.len, types, back, 10, NULL), 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(back[i].null, row[i].null);
        if (!row[i].null) assert_true(value_eq(types[i], &row[i], &back[i]));
    }
    assert_true(back[5].s >= b.s && back[5].s < b.s + b.len);   /* points into the key */
    Arena a;
    arena_init(&a, 256);
    assert_int_equal(rowkey_decode(b.s, b.len, types, back, 10, &a), 0);
    assert_false(back[5].s >= b.s && back[5].s < b.s + b.len);  /* copied */
    assert_memory_equal(back[6].s, "a\0b", 3);
    arena_free(&a);
    /* malformed: truncated, extra bytes, wrong types */
    for (size_t k = 0; k < b.len; k++) assert_int_equal(rowkey_decode(b.s, k, types, back, 10, NULL), -1);
    sb_putc(&b, 0);
    assert_int_equal(rowkey_decode(b.s, b.len, types, back, 10, NULL), -1);
    b.len--;
    assert_int_equal(rowkey_decode(b.s, b.len, types, back, 9, NULL), -1);
    /* selected columns, and the buffer form */
    int cols[2] = {5, 1};
    Type kt[2] = {types[5], types[1]};
    char small[4], buf[64];
    size_t need = rowkey_encode_buf(small, sizeof small, kt, row, cols, 2);
    assert_true(need > sizeof small);
    assert_int_equal(rowkey_encode_buf(buf, sizeof buf, kt, row, cols, 2), need);
    assert_int_equal(rowkey_decode(buf, need, kt, back, 2, NULL), 0);
    assert_true(value_eq(kt[0], &back[0], &row[5]) && back[1].i == -5);
    assert_int_equal(need, 1 + 1 + 7 + 1);   /* bitmap, length, "us-west", zigzag(-5) */
    sb_free(&b);
}

static size_t key_of(char *buf, const Type *t, const Value *row, int n)
{
    return rowkey_encode_buf(buf, 128, t, row, NULL, n);
}

static void test_rowkey_equality(void **state)
{
    (void)state;
    char k1[128], k2[128];
    Type d[1] = {T(TY_DOUBLE)};
    Value a = {.d = 0.0}, b = {.d = -0.0};
    size_t n1 = key_of(k1, d, &a, 1), n2 = key_of(k2, d, &b, 1);
    assert_true(n1 == n2 && memcmp(k1, k2, n1) == 0);   /* -0.0 groups with 0.0 */
    a.d = NAN;
    b.d = -NAN;
    n1 = key_of(k1, d, &a, 1), n2 = key_of(k2, d, &b, 1);
    assert_true(n1 == n2 && memcmp(k1, k2, n1) == 0);   /* one NaN */
    /* NULL differs from every value, including 0 and "" */
    Type it[1] = {T(TY_INT)}, st[1] = {T(TY_STRING)};
    Value z = {.i = 0}, nul = {.null = 1}, e = {.s = "", .n = 0};
    n1 = key_of(k1, it, &z, 1), n2 = key_of(k2, it, &nul, 1);
    assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
    n1 = key_of(k1, st, &e, 1), n2 = key_of(k2, st, &nul, 1);
    assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
    /* ("a","bc") and ("ab","c") differ */
    Type ss[2] = {T(TY_STRING), T(TY_STRING)};
    Value r1[2] = {{.s = "a", .n = 1}, {.s = "bc", .n = 2}}, r2[2] = {{.s = "ab", .n = 2}, {.s = "c", .n = 1}};
    n1 = key_of(k1, ss, r1, 2), n2 = key_of(k2, ss, r2, 2);
    assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
    /* many columns: the bitmap spans bytes */
    Type many[20];
    Value mv[20], back[20];
    for (int i = 0; i < 20; i++) {
        many[i] = T(TY_BIGINT);
        mv[i].i = i * 1000003LL - 7;
        mv[i].null = i % 7 == 3;
    }
    n1 = key_of(k1, many, mv, 20);
    assert_int_equal(rowkey_decode(k1, n1, many, back, 20, NULL), 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(back[i].null, mv[i].null);
        if (!mv[i].null) assert_true(back[i].i == mv[i].i);
    }
    /* varints: every boundary */
    int64_t vs[] = {0, -1, 63, -64, 64, -65, 8191, 8192, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        Value v = {.i = vs[i]}, w;
        n1 = key_of(k1, it, &v, 1);
        assert_int_equal(rowkey_decode(k1, n1, it, &w, 1, NULL), 0);
        assert_true(w.i == vs[i]);
    }
}

/* Fills chunk i (size sz) with a pattern of its own. */
static void slab_fill(unsigned char *p, size_t sz, uint32_t i)
{
    for (size_t b = 0; b < sz; b++) p[b] = (unsigned char)(i * 31u + b);
}

static bool slab_intact(const unsigned char *p, size_t sz, uint32_t i)
{
    for (size_t b = 0; b < sz; b++)
        if (p[b] != (unsigned char)(i * 31u + b)) return false;
    return true;
}

/* Two slabs of 24 MiB each (2 MiB blocks, some from the pager's pool,
 * some the pool got back from a freed slab), chunks of mixed sizes given
 * back and taken again: no chunk overlaps another (every pattern intact),
 * and freeing one slab leaves the other's chunks alone. */
static void test_slab(void **state)
{
    (void)state;
    enum { N = 300000 };
    static unsigned char *a[N], *b[N];
    Slab sa, sb;
    slab_init(&sa);
    slab_init(&sb);
    for (uint32_t i = 0; i < N; i++) {
        size_t sz = 8 + (i % 20) * 8;   /* 8 .. 160 bytes */
        a[i] = slab_alloc(&sa, sz);
        slab_fill(a[i], sz, i);
    }
    for (uint32_t i = 0; i < N; i += 2) slab_release(&sa, a[i], 8 + (i % 20) * 8);
    for (uint32_t i = 0; i < N; i += 2) {   /* the same sizes again: from the free lists */
        a[i] = slab_alloc(&sa, 8 + (i % 20) * 8);
        slab_fill(a[i], 8 + (i % 20) * 8, i);
    }
    for (int round = 0; round < 3; round++) {   /* sb's blocks go back to the pool and come out again */
        for (uint32_t i = 0; i < N; i++) {
            size_t sz = 16 + (i % 10) * 8;
            b[i] = slab_alloc(&sb, sz);
            slab_fill(b[i], sz, i + 7u * (uint32_t)round);
        }
        for (uint32_t i = 0; i < N; i++) assert_true(slab_intact(b[i], 16 + (i % 10) * 8, i + 7u * (uint32_t)round));
        slab_free_all(&sb);
    }
    for (uint32_t i = 0; i < N; i++) assert_true(slab_intact(a[i], 8 + (i % 20) * 8, i));
    slab_free_all(&sa);
    assert_null(sa.blocks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_million),
        cmocka_unit_test(test_iter_remove),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_rowkey_roundtrip),
        cmocka_unit_test(test_rowkey_equality),
        cmocka_unit_test(test_slab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
