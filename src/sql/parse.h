/*
 * parse.h — SQL text to a list of AstStmt.
 *
 * parse_script runs the re2c lexer and the lemon parser over a whole script
 * and stops at the first error (recorded in the Diag, with its offset).  The
 * statements and everything they point to live in the given arena.
 */
#ifndef EDDY_PARSE_H
#define EDDY_PARSE_H

#include "ast.h"
#include "diag.h"

/* Returns 0 or the DIAG_* code.  The source need not be NUL-terminated. */
int  parse_script(Arena *a, const char *src, int len, PtrList *stmts, Diag *d);
/* True when the text holds at least one token and ends (outside strings and
 * comments) with a ';' — how the REPL knows a statement is complete. */
bool parse_is_complete(const char *src, int len);
/* Called by the grammar on a syntax error at token t. */
void parse_syntax_error(ParseCtx *c, Token t, bool name_fits);

#endif
