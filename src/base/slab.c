/*
 * slab.c — the fixed-size chunk allocator of slab.h.
 */
#include "slab.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/mman.h>

#define BLOCK_MIN (64 * 1024)
#define BLOCK_MAX (2 * 1024 * 1024)   /* a huge page */

struct SlabBlock {
    SlabBlock *next;                 /* older block */
    size_t     size;                 /* bytes, header included */
    _Alignas(16) char data[];        /* chunks */
};

void slab_init(Slab *s) { memset(s, 0, sizeof *s); }

/* ---- the pager: pre-faulted 2 MiB blocks (slab.h) ------------------------
 *
 *   pool_take   a block from the pool, or NULL when it is empty (the caller
 *               allocates one itself); the first call starts the pager
 *   pool_give   a freed block back into the pool (true), or false when the
 *               pool is full (the caller frees it)
 *   pager       while the pool holds fewer than SLAB_POOL blocks: allocate
 *               one, write a byte per 4 KiB page, put it in; else wait
 *
 * One mutex guards the pool; slabs themselves stay single-owner.  When the
 * pager cannot be started (pthread_create fails) slabs allocate as before. */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  pool_cv = PTHREAD_COND_INITIALIZER;
static void *pool[SLAB_POOL];
static int   npool;
static bool  pager_started;

static void *pager(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        while (npool >= SLAB_POOL) pthread_cond_wait(&pool_cv, &pool_mu);
        pthread_mutex_unlock(&pool_mu);
        volatile char *p = slab_huge_alloc(BLOCK_MAX, false);
        for (size_t i = 0; i < BLOCK_MAX; i += 4096) p[i] = 0;
        pthread_mutex_lock(&pool_mu);
        if (npool < SLAB_POOL) pool[npool++] = (void *)p;
        else free((void *)p);
    }
    return NULL;
}

/* A child of fork() has no pager and may have copied the mutex locked:
 * it starts afresh, with the blocks the pool held. */
static void pool_atfork_child(void)
{
    pthread_mutex_init(&pool_mu, NULL);
    pthread_cond_init(&pool_cv, NULL);
    pager_started = false;
}

static void *pool_take(void)
{
    void *p = NULL;
    pthread_mutex_lock(&pool_mu);
    if (!pager_started) {
        pthread_t t;
        pthread_attr_t at;
        static bool atfork;
        if (!atfork) atfork = pthread_atfork(NULL, NULL, pool_atfork_child) == 0;
        pager_started = true;   /* tried once: a failure leaves the pool empty */
        if (pthread_attr_init(&at) == 0) {
            pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
            pthread_attr_setstacksize(&at, 64 * 1024);
            (void)pthread_create(&t, &at, pager, NULL);
            pthread_attr_destroy(&at);
        }
    }
    if (npool) p = pool[--npool];
    pthread_cond_signal(&pool_cv);
    pthread_mutex_unlock(&pool_mu);
    return p;
}

static bool pool_give(void *p)
{
    bool kept = false;
    pthread_mutex_lock(&pool_mu);
    if (npool < SLAB_POOL) {
        pool[npool++] = p;
        kept = true;
    }
    pthread_mutex_unlock(&pool_mu);
    return kept;
}

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

/* Fresh chunks are carved in address order: the line SLAB_AHEAD bytes on
 * is fetched for writing ahead of them, so that an operator writing a new
 * entry (a join's kept row) does not wait for its line to come from memory
 * (bench/README.md, "Enrichment, seventh session"). */
#define SLAB_AHEAD 256
static inline void slab_pfw(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetchw (%0)" : : "r"(p));
#else
    __builtin_prefetch(p, 1);
#endif
}

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
        SlabBlock *b = bytes < BLOCK_MAX ? malloc(bytes) : pool_take();
        if (!b && bytes >= BLOCK_MAX) b = slab_huge_alloc(bytes, false);
        if (!b) abort();   /* out of memory: the library does not print */
        b->size = bytes;
        b->next = s->blocks;
        s->blocks = b;
        s->cur = b->data;
        s->left = bytes - offsetof(SlabBlock, data);
        s->next = bytes < BLOCK_MAX ? bytes * 2 : BLOCK_MAX;
    }
    void *p = s->cur;
    s->cur += size;
    s->left -= size;
    if (s->left > SLAB_AHEAD) slab_pfw(s->cur + SLAB_AHEAD);
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
        if (b->size != BLOCK_MAX || !pool_give(b)) free(b);
        b = next;
    }
    slab_init(s);
}
