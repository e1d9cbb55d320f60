/*
 * arena.h — bump allocation by lifetime.
 *
 * eddy allocates by lifetime, not by object: a statement's AST lives in one
 * arena, a compiled plan in another, a catalog table in its own.  Freeing the
 * arena frees everything allocated from it, so partial trees left by a syntax
 * error never leak.  Nothing here is thread-safe; an arena has one owner.
 */
#ifndef EDDY_ARENA_H
#define EDDY_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
    ArenaBlock *head;     /* most recent block; allocation happens here */
    size_t      block;    /* size of the next block to allocate */
    ArenaBlock *spare;    /* blocks kept by arena_reset, used before malloc */
} Arena;

void  arena_init(Arena *a, size_t first_block);
void  arena_free(Arena *a);                    /* releases every block; a may be reused after arena_init */
/* Forgets every allocation at once but keeps the blocks those allocations
 * used, up to `keep` bytes in all (the largest first), for the allocations
 * that follow: an arena reset after each batch does not malloc, fault in
 * and zero fresh pages every time.  Blocks beyond `keep`, and kept blocks
 * the last cycle did not need, are freed, so one huge batch does not pin
 * its memory past the next reset.
 * Every pointer into the arena is invalid after this call; under
 * AddressSanitizer the kept blocks are poisoned until handed out again, so
 * a use after the reset is reported as one. */
void  arena_reset(Arena *a, size_t keep);
void *arena_alloc(Arena *a, size_t n);         /* zeroed, 16-byte aligned; aborts only on OOM */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable array of pointers whose storage lives in an arena. */
typedef struct PtrList {
    void **v;             /* items */
    int    n;             /* number of items */
    int    cap;           /* capacity of v */
} PtrList;

void ptrlist_push(Arena *a, PtrList *l, void *item);

#endif
