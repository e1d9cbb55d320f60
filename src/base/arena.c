/*
 * arena.c — the bump allocator behind every eddy lifetime (statement, plan,
 * catalog table).  Blocks grow geometrically; large requests get their own
 * block.  Out-of-memory aborts: a compiler that cannot allocate a few bytes
 * has no sensible way to report it.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
    ArenaBlock *next;     /* older block */
    size_t      size;     /* usable bytes in data */
    size_t      used;     /* bytes handed out */
    _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a, size_t first_block)
{
    a->head = NULL;
    a->block = first_block ? first_block : 4096;
}

void arena_free(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    ArenaBlock *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = a->block;
        if (size < n) size = n;
        b = malloc(sizeof *b + size);
        if (!b) abort();   /* out of memory: the library does not print */
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        if (a->block < 1 << 20) a->block *= 2;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void ptrlist_push(Arena *a, PtrList *l, void *item)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        void **v = arena_alloc(a, sizeof(void *) * (size_t)cap);
        if (l->n) memcpy(v, l->v, sizeof(void *) * (size_t)l->n);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = item;
}
