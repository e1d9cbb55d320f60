/*
 * slab.c — the fixed-size chunk allocator of slab.h.
 */
#include "slab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (64 * 1024)

struct SlabBlock {
    SlabBlock *next;                 /* older block */
    _Alignas(16) char data[];        /* chunks */
};

void slab_init(Slab *s) { memset(s, 0, sizeof *s); }

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
        SlabBlock *b = malloc(sizeof *b + BLOCK);
        if (!b) abort();   /* out of memory: the library does not print */
        b->next = s->blocks;
        s->blocks = b;
        s->cur = b->data;
        s->left = BLOCK;
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
