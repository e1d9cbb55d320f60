/*
 * slab.c — the fixed-size chunk allocator of slab.h.
 */
#include "slab.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#define BLOCK_MIN (64 * 1024)
#define BLOCK_MAX (2 * 1024 * 1024)   /* a huge page */

struct SlabBlock {
    SlabBlock *next;                 /* older block */
    _Alignas(16) char data[];        /* chunks */
};

void slab_init(Slab *s) { memset(s, 0, sizeof *s); }

void *slab_huge_alloc(size_t bytes, bool zero)
{
    size_t n = (bytes + BLOCK_MAX - 1) & ~(size_t)(BLOCK_MAX - 1);
    void *p = aligned_alloc(BLOCK_MAX, n);
    if (!p) abort();
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE);   /* a hint: without transparent huge pages nothing changes */
#endif
    if (zero) memset(p, 0, bytes);
    return p;
}

static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

void *slab_alloc(Slab *s, size_t size)
{
    size = round8(size < sizeof(void *) ? sizeof(void *) : size);
    if (size > SLAB_MAX) {
        void *p = malloc(size);
        if (!p) abort();
        return p;
    }
    void **fl = &s->free[size / 8];
    if (*fl) {
        void *p = *fl;
        memcpy(fl, p, sizeof(void *));   /* next free chunk */
        return p;
    }
    if (s->left < size) {
        size_t bytes = s->next ? s->next : BLOCK_MIN;
        SlabBlock *b = bytes < BLOCK_MAX ? malloc(bytes) : slab_huge_alloc(bytes, false);
        if (!b) abort();   /* out of memory: the library does not print */
        b->next = s->blocks;
        s->blocks = b;
        s->cur = b->data;
        s->left = bytes - offsetof(SlabBlock, data);
        s->next = bytes < BLOCK_MAX ? bytes * 2 : BLOCK_MAX;
    }
    void *p = s->cur;
    s->cur += size;
    s->left -= size;
    return p;
}

void slab_release(Slab *s, void *p, size_t size)
{
    if (!p) return;
    size = round8(size < sizeof(void *) ? sizeof(void *) : size);
    if (size > SLAB_MAX) {
        free(p);
        return;
    }
    memcpy(p, &s->free[size / 8], sizeof(void *));
    s->free[size / 8] = p;
}

void slab_free_all(Slab *s)
{
    for (SlabBlock *b = s->blocks; b;) {
        SlabBlock *next = b->next;
        free(b);
        b = next;
    }
    slab_init(s);
}
