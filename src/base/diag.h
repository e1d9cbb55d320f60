/*
 * diag.h — one compile error, where it happened, and how to show it.
 *
 * The compiler stops at the first error.  Every stage (lexer, parser, binder,
 * planner, option checks) records it here with the byte offset of the token
 * that caused it; diag_format turns that into `file:line:col: error: …`
 * followed by the source line and a caret.  There is no global last error:
 * a Diag lives in the engine handle or on the caller's stack.
 */
#ifndef EDDY_DIAG_H
#define EDDY_DIAG_H

#include <stddef.h>
#include "strbuf.h"

enum {
    DIAG_OK = 0,
    DIAG_SYNTAX = 1,      /* lexer or parser */
    DIAG_SEMANTIC = 2,    /* binder: names, types */
    DIAG_PLAN = 3,        /* planner: changelog/key rules */
    DIAG_OPTION = 4,      /* WITH option or SET key */
    DIAG_RUNTIME = 5,     /* reserved for execution */
};

typedef struct Diag {
    int  code;            /* DIAG_* of the first error; 0 = none */
    int  offset;          /* byte offset into the source, -1 = no position */
    char msg[512];        /* the message, without position */
} Diag;

void diag_clear(Diag *d);
/* Record an error unless one is already recorded (the first error wins). */
int  diag_error(Diag *d, int code, int offset, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Line and column (1-based, column counts UTF-8 characters) of a byte offset. */
void diag_linecol(const char *src, size_t len, int offset, int *line, int *col);
/* The same, continued: *line and *col are those of offset `from`; moves
 * them to `to` (≥ from) scanning only src[from..to).  A script's statements
 * get their positions in one pass this way, not one scan from the start each. */
void diag_linecol_advance(const char *src, size_t len, int from, int to, int *line, int *col);
/* `file:line:col: error: msg`, then the line and a caret under the column. */
void diag_format(const Diag *d, const char *file, const char *src, size_t len, StrBuf *out);

#endif
