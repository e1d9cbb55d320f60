/*
 * rx.c — regular expressions on PCRE2 (see rx.h): compiling with the JIT
 * where it is available, the per-thread pattern cache, bounded matching.
 *
 * Per-thread state (a match context with the limits, a JIT stack, match
 * data, the cache) hangs off a pthread key whose destructor frees it when
 * a worker thread ends; the same pointer sits in a thread-local variable
 * for the fast path.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rx.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on one match: what a reasonable pattern on a record-sized string
 * never reaches, and what a catastrophic one reaches in milliseconds. */
#define RX_MATCH_LIMIT  2000000u     /* backtracking steps */
#define RX_DEPTH_LIMIT  100000u      /* nested backtracking */
#define RX_HEAP_LIMIT   (64u * 1024) /* KiB of heap for backtracking */
#define RX_JIT_STACK    (1024 * 1024)
#define RX_CACHE        64           /* patterns kept per thread */

struct Rx {
    pcre2_code *code;     /* the compiled pattern */
    int         groups;   /* capturing groups */
};

typedef struct RxEntry {
    uint64_t hash;        /* of the text; 0 = empty slot */
    char    *text;        /* the pattern's text (malloc) */
    size_t   n;           /* its length */
    Rx      *rx;          /* compiled, or NULL when it does not compile */
    char    *err;         /* then the message (malloc) */
} RxEntry;

typedef struct RxThread {
    pcre2_match_context *mctx;    /* limits and the JIT stack */
    pcre2_jit_stack     *jit;     /* the JIT's stack */
    pcre2_match_data    *md;      /* ovector of the last match */
    uint32_t             md_pairs;/* its capacity in pairs */
    RxEntry              cache[RX_CACHE]; /* direct-mapped by hash */
} RxThread;

static pthread_key_t rx_key;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;
static __thread RxThread *rx_tl;

static void rx_thread_free(void *p)
{
    RxThread *t = p;
    if (!t) return;
    for (int i = 0; i < RX_CACHE; i++) {
        free(t->cache[i].text);
        free(t->cache[i].err);
        rx_free(t->cache[i].rx);
    }
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mctx);
    pcre2_jit_stack_free(t->jit);
    free(t);
    if (rx_tl == t) rx_tl = NULL;
}

static void rx_key_init(void) { pthread_key_create(&rx_key, rx_thread_free); }

static RxThread *rx_thread(void)
{
    if (rx_tl) return rx_tl;
    pthread_once(&rx_once, rx_key_init);
    RxThread *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->mctx = pcre2_match_context_create(NULL);
    if (!t->mctx) abort();
    pcre2_set_match_limit(t->mctx, RX_MATCH_LIMIT);
    pcre2_set_depth_limit(t->mctx, RX_DEPTH_LIMIT);
    pcre2_set_heap_limit(t->mctx, RX_HEAP_LIMIT);
    t->jit = pcre2_jit_stack_create(32 * 1024, RX_JIT_STACK, NULL);
    if (t->jit) pcre2_jit_stack_assign(t->mctx, NULL, t->jit);
    pthread_setspecific(rx_key, t);
    rx_tl = t;
    return t;
}

Rx *rx_compile(const char *pat, size_t n, char *err, size_t errlen)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(n ? pat : ""), n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", ec);
        snprintf(err, errlen, "%s at character %zu of the pattern", (char *)msg, (size_t)eo + 1);
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);   /* without a JIT the interpreter runs it */
    uint32_t groups = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
    Rx *rx = malloc(sizeof *rx);
    if (!rx) abort();
    rx->code = code;
    rx->groups = (int)groups;
    return rx;
}

void rx_free(Rx *rx)
{
    if (!rx) return;
    pcre2_code_free(rx->code);
    free(rx);
}

int rx_groups(const Rx *rx) { return rx->groups; }

static uint64_t rx_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1;
}

const Rx *rx_cached(const char *pat, size_t n, char *err, size_t errlen)
{
    RxThread *t = rx_thread();
    uint64_t h = rx_hash(pat, n);
    RxEntry *e = &t->cache[h % RX_CACHE];
    if (e->hash != h || e->n != n || (n && memcmp(e->text, pat, n) != 0)) {
        free(e->text);
        free(e->err);
        rx_free(e->rx);
        memset(e, 0, sizeof *e);
        char msg[256];
        e->rx = rx_compile(pat, n, msg, sizeof msg);
        if (!e->rx) e->err = strdup(msg);
        e->text = malloc(n ? n : 1);
        if (!e->text || (!e->rx && !e->err)) abort();
        if (n) memcpy(e->text, pat, n);
        e->n = n;
        e->hash = h;
    }
    if (!e->rx) snprintf(err, errlen, "%s", e->err);
    return e->rx;
}

int rx_find(const Rx *rx, const char *s, size_t n, size_t start, long *ov, char *err, size_t errlen)
{
    RxThread *t = rx_thread();
    uint32_t pairs = (uint32_t)rx->groups + 1;
    if (!t->md || t->md_pairs < pairs) {
        pcre2_match_data_free(t->md);
        t->md_pairs = pairs < 16 ? 16 : pairs;
        t->md = pcre2_match_data_create(t->md_pairs, NULL);
        if (!t->md) abort();
    }
    int rc = pcre2_match(rx->code, (PCRE2_SPTR)(n ? s : ""), n, start, 0, t->md, t->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", rc);
        snprintf(err, errlen, "regular expression match gave up: %s", (char *)msg);
        return -1;
    }
    PCRE2_SIZE *o = pcre2_get_ovector_pointer(t->md);
    for (uint32_t i = 0; i < pairs; i++) {
        bool set = i < (uint32_t)rc && o[2 * i] != PCRE2_UNSET;
        ov[2 * i] = set ? (long)o[2 * i] : -1;
        ov[2 * i + 1] = set ? (long)o[2 * i + 1] : -1;
    }
    return 1;
}
