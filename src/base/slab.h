/*
 * slab.h — fixed-size chunks for many small objects of a few sizes (the
 * groups of an aggregate: one per key, a million of them).
 *
 * malloc spends 16 bytes of header on every chunk and rounds sizes up to
 * its classes: for the reference aggregate's 72-byte groups that is a
 * 96-byte chunk.  A slab hands out exact multiples of 8 bytes carved from
 * 64 KiB blocks and keeps one free list per size, so a group costs what it
 * holds (measured: 119 → 95 bytes a group with 1M groups, together with
 * COUNT(*) read from the group's row count).  Memory goes back to the
 * system only when the whole slab is freed.  Sizes above SLAB_MAX go to
 * malloc.  One owner, not thread-safe.
 *
 * Blocks start at 64 KiB and double up to 2 MiB: a slab with a million
 * entries (a join's kept rows) then lives in 2 MiB blocks aligned for, and
 * advised to use, transparent huge pages — one page fault and one TLB
 * entry per 2 MiB instead of per 4 KiB, which measured as much as the
 * table look-ups themselves on this machine's virtualised memory.
 *
 * Those 2 MiB blocks come pre-faulted: the first 2 MiB block any slab
 * takes starts one background thread per process (the "pager"), which
 * keeps up to SLAB_POOL blocks allocated and touched ahead of need, and
 * blocks a freed slab gives back are kept there (up to the same count)
 * for the next slab.  On a virtual machine whose host backs guest memory
 * on first touch, faulting in a fresh huge page costs ~3 ms per MiB
 * (measured here: 200 MiB touched in 0.59 s fresh, 0.008 s re-touched);
 * for the enrichment job's 80 MB of kept rows that was 0.37 s of the job
 * thread's 2.59 s (bench/README.md), now spent by the pager on another
 * core.  The pager holds at most SLAB_POOL * 2 MiB and never exits; its
 * blocks stay reachable, so leak checkers see none.
 */
#ifndef EDDY_SLAB_H
#define EDDY_SLAB_H

#include <stdbool.h>
#include <stddef.h>

#define SLAB_MAX 1024                /* larger chunks are malloc'd */

typedef struct SlabBlock SlabBlock;

typedef struct Slab {
    SlabBlock *blocks;               /* every block, for slab_free_all */
    char      *cur;                  /* free space in the newest block */
    size_t     left;                 /* bytes left there */
    size_t     next;                 /* size of the next block */
    void      *free[SLAB_MAX / 8 + 1]; /* per size / 8: chunks given back (a chunk's first word links them) */
} Slab;

void  slab_init(Slab *s);
void *slab_alloc(Slab *s, size_t size);            /* not zeroed; aborts when out of memory */
void  slab_release(Slab *s, void *p, size_t size); /* size as given to slab_alloc */
void  slab_free_all(Slab *s);

/* bytes of memory (rounded up to 2 MiB), 2 MiB-aligned and advised to use
 * transparent huge pages, zeroed when `zero`: for a slab's large blocks and
 * a large hash table's arrays.  Free with free().  Aborts when out of memory. */
#define SLAB_HUGE (2 * 1024 * 1024)
#define SLAB_POOL 4                  /* pre-faulted 2 MiB blocks the pager keeps ready */
void *slab_huge_alloc(size_t bytes, bool zero);

#endif
