/*
 * strbuf.h — a growable, always NUL-terminated string on the heap.
 * Used to render plans, error messages and JSON.  sb_free releases it;
 * sb_take hands the buffer to the caller (who frees it with free()).
 */
#ifndef EDDY_STRBUF_H
#define EDDY_STRBUF_H

#include <stddef.h>

typedef struct StrBuf {
    char  *s;             /* contents, NUL-terminated when len > 0 or after any append */
    size_t len;           /* bytes used, excluding the NUL */
    size_t cap;           /* bytes allocated */
} StrBuf;

void  sb_putn(StrBuf *b, const char *s, size_t n);
void  sb_puts(StrBuf *b, const char *s);
void  sb_putc(StrBuf *b, char c);
void  sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void  sb_json_str(StrBuf *b, const char *s);   /* a quoted, escaped JSON string */
void  sb_free(StrBuf *b);
char *sb_take(StrBuf *b);                      /* never NULL; caller frees */
/* Room for n more bytes: returns where they go (b->s + b->len); the caller
 * writes them, then adds what it wrote to b->len and terminates b->s. */
char *sb_room(StrBuf *b, size_t n);

/* Small string helpers every module uses. */
/* A printf-style message into a caller's error buffer (err may be NULL). */
void  str_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* strdup that aborts when out of memory (NULL stays NULL). */
char *str_dup(const char *s);
/* calloc and malloc that abort when out of memory (nothing is printed: the
 * library never prints).  xcalloc gives one zeroed element more than asked,
 * so n = 0 is a valid, empty array. */
void *xcalloc(size_t n, size_t size);
void *xmalloc(size_t n);

#endif
