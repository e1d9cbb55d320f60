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

/* Kept blocks are poisoned under AddressSanitizer (gcc defines
 * __SANITIZE_ADDRESS__, clang answers __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct ArenaBlock {
    ArenaBlock *next;     /* older block */
    size_t      size;     /* usable bytes in data */
    size_t      used;     /* bytes handed out */
    _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a, size_t first_block)
{
    a->head = NULL;
    a->spare = NULL;
    a->block = first_block ? first_block : 4096;
}

static void free_blocks(ArenaBlock *b)
{
    while (b) {
        ArenaBlock *next = b->next;
        UNPOISON(b->data, b->size);   /* kept blocks go back to malloc as they came */
        free(b);
        b = next;
    }
}

void arena_free(Arena *a)
{
    free_blocks(a->head);
    free_blocks(a->spare);
    a->head = NULL;
    a->spare = NULL;
}

void arena_reset(Arena *a, size_t keep)
{
    /* Kept: blocks this cycle used, the largest first while they fit in
     * `keep` (a batch's blocks grow geometrically, so usually the newest).
     * Spare blocks it did not need go back: what stays kept follows the
     * last cycle's size, not the largest ever. */
    free_blocks(a->spare);
    a->spare = NULL;
    ArenaBlock *all = a->head, *kept = NULL;
    a->head = NULL;
    size_t total = 0;
    while (all) {
        ArenaBlock **big = &all;
        for (ArenaBlock **p = &all; *p; p = &(*p)->next)
            if ((*p)->size > (*big)->size) big = p;
        ArenaBlock *b = *big;
        *big = b->next;
        b->next = NULL;
        if (total + b->size > keep) {
            free_blocks(b);
            continue;
        }
        total += b->size;
        b->used = 0;
        POISON(b->data, b->size);
        b->next = kept;
        kept = b;
    }
    a->spare = kept;
}

/* n bytes, 16-byte aligned, not zeroed (for callers that fill them). */
static void *alloc_raw(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    ArenaBlock *b = a->head;
    if (!b || b->size - b->used < n) {
        ArenaBlock **sp = &a->spare;   /* a kept block that fits, else a new one */
        while (*sp && (*sp)->size < n) sp = &(*sp)->next;
        if (*sp) {
            b = *sp;
            *sp = b->next;
        } else {
            size_t size = a->block;
            if (size < n) size = n;
            b = malloc(sizeof *b + size);
            if (!b) abort();   /* out of memory: the library does not print */
            b->size = size;
            b->used = 0;
            if (a->block < 1 << 20) a->block *= 2;
        }
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    UNPOISON(p, n);
    return p;
}

void *arena_alloc(Arena *a, size_t n)
{
    void *p = alloc_raw(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = alloc_raw(a, n + 1);   /* every byte written below */
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
    char *p = alloc_raw(a, (size_t)n + 1);
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
