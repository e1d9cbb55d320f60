/*
 * htab.h — an open-addressing hash table from byte-string keys to entries
 * the caller allocates (group state: key bytes → group entry).
 *
 * The table stores, per slot, a 32-bit tag taken from the key's hash and a
 * pointer to the caller's entry: 12 bytes a slot, at most 3/4 of the slots
 * used, so between 16 and 32 bytes of table per entry (about 25 at 1M
 * entries).  The key bytes live in the entry; the table reads them through
 * the HtabKeyFn given at init, and only when a tag matches.  Growth rehashes
 * from the stored tags alone (no key is read, no hash recomputed).
 *
 * Linear probing with backward-shift deletion: no tombstones, so a table
 * with heavy churn never degrades.  Entries are never moved or freed by the
 * table; pointers to them stay valid until the caller frees them.
 *
 * Not thread-safe; one owner.
 */
#ifndef EDDY_HTAB_H
#define EDDY_HTAB_H

#include <stddef.h>
#include <stdint.h>

/* Returns the key bytes of an entry and stores their length in *len. */
typedef const void *(*HtabKeyFn)(const void *entry, size_t *len);

typedef struct Htab {
    uint32_t *tags;       /* per slot: 0 = empty, else the entry's hash tag (never 0) */
    void    **ents;       /* per slot: the caller's entry */
    size_t    mask;       /* slot count - 1 (slot count is a power of two); 0 before the first insert */
    size_t    n;          /* live entries */
    HtabKeyFn key;        /* how to read an entry's key */
} Htab;

/* 64-bit hash of a byte string (eddy's own multiply-xorshift over 8-byte
 * words; not cryptographic).  Pass its result to the functions below. */
uint64_t htab_hash(const void *key, size_t len);

void   htab_init(Htab *t, HtabKeyFn key);
/* Frees the table's arrays, not the entries.  t may be reused after htab_init. */
void   htab_free(Htab *t);
/* Grows the table so that `n` entries fit without further growth. */
void   htab_reserve(Htab *t, size_t n);
/* The entry whose key equals key[0..len), or NULL.  hash = htab_hash(key, len). */
void  *htab_find(const Htab *t, const void *key, size_t len, uint64_t hash);
/* Adds an entry whose key is absent (check with htab_find first); hash is
 * htab_hash of the entry's key.  May grow the table. */
void   htab_insert(Htab *t, void *entry, uint64_t hash);
/* Removes and returns the entry with that key, or NULL when absent. */
void  *htab_remove(Htab *t, const void *key, size_t len, uint64_t hash);
static inline size_t htab_count(const Htab *t) { return t->n; }
/* Bytes the table itself allocates (not counting entries). */
size_t htab_memory(const Htab *t);

/* Iteration in table order:
 *     HtabIter it; htab_iter_init(t, &it);
 *     for (void *e; (e = htab_iter_next(t, &it)); ) ...
 * The table must not change during iteration, except by htab_iter_remove,
 * which removes the entry last returned (every other entry is still
 * returned exactly once). */
typedef struct HtabIter {
    size_t pos;           /* next slot to look at (unbounded; taken modulo the slot count) */
    size_t stop;          /* slot at which iteration ends */
} HtabIter;

void   htab_iter_init(const Htab *t, HtabIter *it);
void  *htab_iter_next(const Htab *t, HtabIter *it);
void   htab_iter_remove(Htab *t, HtabIter *it);

/* Prefetch hints for a look-up of hash h to come (hints only: they never
 * change a result).  A look-up in a large table costs dependent cache
 * misses (the tag and entry slots, then the entry it finds), so a caller
 * with a batch of look-ups hashes them first and, a few rows ahead of the
 * one it works on, calls htab_prefetch_slot, and later (once the slot is in
 * cache) htab_prefetch_entry. */
/* gcc 12 at -O2 dropped __builtin_prefetch calls from op_agg's loop (none
 * left in the object code), hence the instruction itself on x86. */
static inline void htab_pf(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 (%0)" : : "r"(p));
#else
    __builtin_prefetch(p);
#endif
}

/* These follow htab.c's layout: slot = tag & mask, tag = the high 32 bits
 * of the hash, never 0. */
static inline void htab_prefetch_slot(const Htab *t, uint64_t h)
{
    if (!t->tags) return;
    uint32_t tg = (uint32_t)(h >> 32);
    size_t s = (tg ? tg : 1) & t->mask;
    htab_pf(&t->tags[s]);
    htab_pf(&t->ents[s]);
}

/* The entry of hash h, when one of the first four slots it may be in holds
 * its tag: every cache line of the `bytes` bytes a look-up reads of it (its
 * key there). */
static inline void htab_prefetch_entry_span(const Htab *t, uint64_t h, size_t bytes)
{
    if (!t->tags) return;
    uint32_t tg = (uint32_t)(h >> 32);
    tg = tg ? tg : 1;
    for (size_t s = tg & t->mask, n = 0; n < 4; s = (s + 1) & t->mask, n++) {
        uint32_t x = t->tags[s];
        if (!x) return;
        if (x == tg) {
            const char *e = t->ents[s];
            for (size_t off = 0; off < bytes + 63; off += 64) htab_pf(e + off);
            return;
        }
    }
}

/* The same for an entry whose key is in its first cache line. */
static inline void htab_prefetch_entry(const Htab *t, uint64_t h) { htab_prefetch_entry_span(t, h, 1); }

#endif
