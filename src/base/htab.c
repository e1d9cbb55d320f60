/*
 * htab.c — the open-addressing hash table of htab.h and eddy's byte hash.
 *
 * Why hand-written: group state is the largest thing eddy keeps in memory
 * (one entry per GROUP BY key) and every input row does a look-up, so the
 * table's bytes per entry and its probe cost decide how many groups fit
 * and how fast.  The Debian-packaged alternative, glib's GHashTable, was
 * measured on this machine (glib 2.74, 1M entries with 8-byte keys, table
 * bytes counted with mallinfo2, entries excluded; /tmp program, not kept):
 *     GHashTable as a set (entry = key, custom hash/equal)  25.2 B/entry,
 *                insert 85 ns, look-up 59 ns
 *     GHashTable as a map (key → entry)                     42.0 B/entry
 *     htab                                                  25.2 B/entry,
 *                insert 57 ns, look-up 45 ns
 * So glib matches htab's memory only in set mode, which needs a key-shaped
 * object to look up with; it is ~1.3-1.5x slower, hashes again on the
 * insert after a failed look-up (htab takes the caller's hash), and would
 * add a dependency (libglib2.0-dev) for 240 lines of code.
 *
 * Layout: two arrays, tags[] (uint32, 0 = empty) and ents[] (pointers).
 * A probe scans tags (16 to a cache line) and touches an entry only when
 * the tag matches.  The slot of an entry is tag & mask, so growth moves
 * tags and pointers without rehashing.
 */
#include "htab.h"
#include "slab.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/* ---- hash ---------------------------------------------------------------- */

#define H_K1 0x9E3779B97F4A7C15ULL   /* 2^64 / golden ratio, odd */
#define H_K2 0xC2B2AE3D27D4EB4FULL   /* odd constants with well-spread bits */
#define H_K3 0xD6E8FEB86659FD93ULL

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* Full avalanche of one 64-bit word: every input bit affects every output bit. */
static inline uint64_t hmix(uint64_t x)
{
    x ^= x >> 32;
    x *= H_K3;
    x ^= x >> 29;
    x *= H_K2;
    x ^= x >> 32;
    return x;
}

/* The last len (1..7) bytes at p as a little-endian word, zero above: what
 * memcpy into a zeroed word gives on a little-endian machine, but read in
 * registers (gcc copied the bytes into a stack word one by one and loaded
 * it whole: a store-forwarding stall that was half of this function's time
 * in the enrichment join, bench/README.md).  `whole` bytes before p are
 * readable too.  The values must not change: exchanges route rows by them. */
static inline uint64_t tail_word(const unsigned char *p, size_t len, size_t whole)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (whole >= 8) {   /* the 8 bytes ending at the end, shifted down */
        uint64_t w;
        memcpy(&w, p + len - 8, 8);
        return w >> (64 - 8 * len);
    }
    if (len >= 4) {   /* two 4-byte reads that overlap */
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        return a | (uint64_t)b << (8 * (len - 4));
    }
    return p[0] | (uint64_t)p[len / 2] << (8 * (len / 2)) | (uint64_t)p[len - 1] << (8 * (len - 1));
#else
    (void)whole;
    uint64_t w = 0;
    memcpy(&w, p, len);
    return w;
#endif
}

uint64_t htab_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    size_t whole = len;
    uint64_t h = H_K1 ^ ((uint64_t)len * H_K2);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = rotl64(h ^ (w * H_K2), 27) * H_K1;
        p += 8;
        len -= 8;
    }
    if (len) h = rotl64(h ^ (tail_word(p, len, whole) * H_K3), 31) * H_K1;
    return hmix(h);
}

/* ---- table --------------------------------------------------------------- */

static inline uint32_t tag_of(uint64_t hash)
{
    uint32_t t = (uint32_t)(hash >> 32);
    return t ? t : 1;
}

void htab_init(Htab *t, HtabKeyFn key)
{
    memset(t, 0, sizeof *t);
    t->key = key;
}

void htab_free(Htab *t)
{
    free(t->tags);
    free(t->ents);
    t->tags = NULL;
    t->ents = NULL;
    t->mask = 0;
    t->n = 0;
}

size_t htab_memory(const Htab *t)
{
    return t->tags ? (t->mask + 1) * (sizeof(uint32_t) + sizeof(void *)) : 0;
}

/* Rebuilds the table with `cap` slots (a power of two > every tag's needs). */
/* A zeroed array; a large one in huge pages (slab.h): a look-up in a table
 * of millions of slots then costs a cache miss but rarely a TLB miss. */
static void *array(size_t n, size_t size)
{
    return n * size >= SLAB_HUGE ? slab_huge_alloc(n * size, true) : xcalloc(n, size);
}

static void rehash(Htab *t, size_t cap)
{
    uint32_t *tags = array(cap, sizeof *tags);
    void **ents = array(cap, sizeof *ents);
    size_t mask = cap - 1;
    if (t->tags) {
        for (size_t i = 0; i <= t->mask; i++) {
            uint32_t tg = t->tags[i];
            if (!tg) continue;
            size_t s = tg & mask;
            while (tags[s]) s = (s + 1) & mask;
            tags[s] = tg;
            ents[s] = t->ents[i];
        }
        free(t->tags);
        free(t->ents);
    }
    t->tags = tags;
    t->ents = ents;
    t->mask = mask;
}

/* Load factor at most 3/4: linear probing stays short (≈2.5 slots per hit,
 * ≈8.5 per miss at the limit) and tags keep each probe inside a few cache lines. */
static inline size_t cap_for(size_t n)
{
    size_t cap = 16;
    while (cap - cap / 4 < n) cap *= 2;
    return cap;
}

void htab_reserve(Htab *t, size_t n)
{
    size_t cap = cap_for(n);
    if (!t->tags || cap > t->mask + 1) rehash(t, cap);
}

/* The slot holding key, or -1 when it is absent. */
static ptrdiff_t probe(const Htab *t, const void *key, size_t len, uint64_t hash)
{
    if (!t->tags) return -1;
    uint32_t tg = tag_of(hash);
    size_t mask = t->mask;
    for (size_t s = tg & mask;; s = (s + 1) & mask) {
        uint32_t x = t->tags[s];
        if (x == tg) {
            size_t klen;
            const void *k = t->key(t->ents[s], &klen);
            if (klen == len && memcmp(k, key, len) == 0) return (ptrdiff_t)s;
        } else if (!x) {
            return -1;
        }
    }
}

void *htab_find(const Htab *t, const void *key, size_t len, uint64_t hash)
{
    ptrdiff_t s = probe(t, key, len, hash);
    return s < 0 ? NULL : t->ents[s];
}

void htab_insert(Htab *t, void *entry, uint64_t hash)
{
    if (!t->tags || t->n + 1 > (t->mask + 1) - (t->mask + 1) / 4) htab_reserve(t, t->n + 1);
    uint32_t tg = tag_of(hash);
    size_t s = tg & t->mask;
    while (t->tags[s]) s = (s + 1) & t->mask;
    t->tags[s] = tg;
    t->ents[s] = entry;
    t->n++;
}

/* Empties slot h and shifts later members of its run back, so that every
 * entry stays reachable from its home slot without tombstones. */
static void delete_at(Htab *t, size_t h)
{
    size_t mask = t->mask;
    for (size_t j = (h + 1) & mask; t->tags[j]; j = (j + 1) & mask) {
        size_t home = t->tags[j] & mask;
        /* j's entry may fill the hole when its home is not after the hole
         * (cyclically): its distance from home covers the hole. */
        if (((j - home) & mask) >= ((j - h) & mask)) {
            t->tags[h] = t->tags[j];
            t->ents[h] = t->ents[j];
            h = j;
        }
    }
    t->tags[h] = 0;
    t->ents[h] = NULL;
    t->n--;
}

void *htab_remove(Htab *t, const void *key, size_t len, uint64_t hash)
{
    ptrdiff_t s = probe(t, key, len, hash);
    if (s < 0) return NULL;
    void *e = t->ents[s];
    delete_at(t, (size_t)s);
    return e;
}

/* Iteration starts just after an empty slot.  Runs of occupied slots never
 * cross an empty one, and backward shifts move entries only within their
 * run toward the hole, so removing the current entry can only move
 * not-yet-visited entries into the slot being revisited. */
void htab_iter_init(const Htab *t, HtabIter *it)
{
    it->pos = it->stop = 0;
    if (!t->tags || !t->n) return;
    size_t e = 0;
    while (t->tags[e]) e++;   /* load ≤ 3/4: an empty slot exists */
    it->pos = e + 1;
    it->stop = e + 1 + t->mask + 1;
}

void *htab_iter_next(const Htab *t, HtabIter *it)
{
    while (it->pos < it->stop) {
        size_t s = it->pos++ & t->mask;
        if (t->tags[s]) return t->ents[s];
    }
    return NULL;
}

void htab_iter_remove(Htab *t, HtabIter *it)
{
    it->pos--;
    delete_at(t, it->pos & t->mask);
}
