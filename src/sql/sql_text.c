/*
 * sql_text.c — the SQL text helpers of the public API, for a shell that
 * reads statements as they are typed: where a statement ends
 * (eddy_statement_end) and what the text before a word being completed
 * says about it (eddy_completion_scan).  Both run the tokenizer (lex.h)
 * over the text and nothing else: no parsing, no engine.  What a shell
 * then offers or runs is the shell's business (src/cli).
 */
#include "eddy.h"

#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "parser.h"

/* A NUL-terminated copy of the text: the tokenizer wants a NUL after it. */
static char *text_copy(const char *sql, size_t len)
{
    char *buf = malloc(len + 1);
    if (!buf) abort();
    if (len) memcpy(buf, sql, len);
    buf[len] = 0;
    return buf;
}

/* The next token's code; a character the tokenizer rejects is stepped
 * over and counts as a token (TK_ID): it still belongs to its statement.
 * 0 at the end; LEX_ERROR only when the rest of the text is inside an
 * unterminated string, quoted identifier or block comment. */
static int next_token(Lexer *lx, const char *buf, Token *t)
{
    int code = lex_next(lx, t);
    if (code != LEX_ERROR) return code;
    char c = buf[t->pos];
    bool empty_ident = c == '`' && t->n == 2;
    if (c == '\'' || (c == '`' && !empty_ident) || (c == '/' && buf[t->pos + 1] == '*')) return LEX_ERROR;
    if (lx->cur <= buf + t->pos) lx->cur = buf + t->pos + 1;
    return TK_ID;   /* stands for "some token" */
}

eddy_statement_end_kind eddy_statement_end(const char *sql, size_t len, size_t *end)
{
    *end = len;
    char *buf = text_copy(sql, len);
    Lexer lx;
    lex_init(&lx, buf, (int)len);
    Token t;
    int code;
    bool any = false;
    eddy_statement_end_kind res = EDDY_SQL_BLANK;
    /* [EXPLAIN] EXECUTE STATEMENT SET BEGIN …; …; END; is one statement:
     * its ';'s end it only after its END (CASE … END nests inside). */
    int ntok = 0, lead[3] = {0}, cases = 0;
    bool in_set = false, set_ended = false;
    while ((code = next_token(&lx, buf, &t)) != 0) {
        if (code == LEX_ERROR) {
            res = EDDY_SQL_PARTIAL;   /* the rest of the text is inside it */
            break;
        }
        if (code != TK_SEMI) {
            any = true;
            res = EDDY_SQL_PARTIAL;
            if (ntok < 3) lead[ntok] = code;
            ntok++;
            int at = lead[0] == TK_EXPLAIN;
            if (ntok == at + 2 && lead[at] == TK_EXECUTE && code == TK_STATEMENT) in_set = true;
            if (in_set && code == TK_CASE) cases++;
            if (in_set && code == TK_END) {
                if (cases > 0) cases--;
                else set_ended = true;
            }
            continue;
        }
        if (!any) continue;   /* empty statements join the next one */
        if (in_set && !set_ended) continue;
        *end = (size_t)t.pos + 1;
        res = EDDY_SQL_END;
        break;
    }
    free(buf);
    return res;
}

static void add_ident(eddy_completion *c, const Token *t)
{
    char *id = malloc((size_t)t->n + 1), *o = id;
    if (!id) abort();
    if (t->z[0] == '`') {
        for (int i = 1; i + 1 < t->n; i++) {
            if (t->z[i] == '`') i++;   /* `` stands for ` */
            *o++ = t->z[i];
        }
    } else {
        memcpy(o, t->z, (size_t)t->n);
        o += t->n;
    }
    *o = 0;
    char **v = realloc(c->idents, sizeof *v * (size_t)(c->nidents + 2));
    if (!v) abort();
    c->idents = v;
    c->idents[c->nidents++] = id;
    c->idents[c->nidents] = NULL;
}

void eddy_completion_scan(const char *sql, size_t len, eddy_completion *out)
{
    memset(out, 0, sizeof *out);
    char *buf = text_copy(sql, len);
    Lexer lx;
    lex_init(&lx, buf, (int)len);
    Token t;
    int code, first = 0, last = 0;
    while ((code = lex_next(&lx, &t)) != 0) {
        if (code == LEX_ERROR) {
            if (lx.cur <= buf + t.pos) lx.cur = buf + t.pos + 1;
            continue;
        }
        if (code == TK_SEMI) {   /* a new statement begins */
            eddy_completion_free(out);
            first = last = 0;
            continue;
        }
        if (!first) first = code;
        last = code;
        if (code == TK_WITH) out->with_clause = 1;
        if (code == TK_ID) add_ident(out, &t);
    }
    free(buf);
    out->statement_start = first == 0;
    out->set_statement = first == TK_SET || first == TK_RESET;
    out->table_next = last == TK_FROM || last == TK_INTO || last == TK_TABLE || last == TK_DESCRIBE || last == TK_DESC ||
                      (last == TK_EXISTS && first == TK_DROP);
}

void eddy_completion_free(eddy_completion *c)
{
    if (!c) return;
    for (int i = 0; i < c->nidents; i++) free(c->idents[i]);
    free(c->idents);
    memset(c, 0, sizeof *c);
}
