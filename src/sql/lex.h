/*
 * lex.h — the tokenizer's interface (grammar/lexer.re is its body).
 *
 * lex_next returns the next token's code (TK_* from the generated parser.h),
 * 0 at the end of input, or LEX_ERROR with a message for a character or
 * literal that cannot start a token.  Comments and white space are skipped.
 * The source must be followed by a NUL byte (embedded NULs are errors).
 */
#ifndef EDDY_LEX_H
#define EDDY_LEX_H

#include "ast.h"

#define LEX_ERROR (-1)

typedef struct Lexer {
    const char *src;      /* start of the source (offsets are relative to it) */
    const char *cur;      /* next byte to scan */
    const char *lim;      /* end of the source; *lim == 0 */
    const char *err;      /* message for LEX_ERROR */
} Lexer;

void lex_init(Lexer *lx, const char *src, int len);
int  lex_next(Lexer *lx, Token *t);

#endif
