/*
 * lexer.re — eddy's SQL tokenizer, turned into C by re2c at build time.
 *
 * Flink SQL's lexical rules: keywords are case-insensitive, identifiers keep
 * their case (and may be `back-quoted`, with `` for a back-quote), strings
 * are single-quoted with '' for a quote, comments are -- to end of line and
 * C-style block comments.  Which keywords are reserved is the grammar's
 * business (%fallback in parser.y), not the lexer's.
 */
#include "lex.h"
#include "parser.h"

void lex_init(Lexer *lx, const char *src, int len)
{
    lx->src = src;
    lx->cur = src;
    lx->lim = src + len;
    lx->err = NULL;
}

int lex_next(Lexer *lx, Token *t)
{
    const unsigned char *mar = NULL;
    const unsigned char *cur = (const unsigned char *)lx->cur;
    const unsigned char *lim = (const unsigned char *)lx->lim;
    for (;;) {
        const char *start = (const char *)cur;
        t->z = start;
        t->pos = (int)(start - lx->src);
#define TOK(code) do { lx->cur = (const char *)cur; t->n = (int)((const char *)cur - start); return (code); } while (0)
#define ERR(msg) do { lx->cur = (const char *)cur; t->n = (int)((const char *)cur - start); lx->err = (msg); return LEX_ERROR; } while (0)
    /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = "cur";
        re2c:define:YYMARKER = "mar";
        re2c:define:YYLIMIT = "lim";
        re2c:yyfill:enable = 0;
        re2c:eof = 0;

        digit = [0-9];
        ident = [a-zA-Z_][a-zA-Z0-9_$]*;
        ws = [ \t\r\n\f\v]+;

        $ { t->n = 0; lx->cur = (const char *)cur; return 0; }
        ws { continue; }
        "--" [^\n\x00]* { continue; }
        "/*" ([^*\x00] | "*"+ [^*/\x00])* "*"+ "/" { continue; }
        "/*" { ERR("unterminated /* comment"); }

        'select'     { TOK(TK_SELECT); }
        'from'       { TOK(TK_FROM); }
        'where'      { TOK(TK_WHERE); }
        'group'      { TOK(TK_GROUP); }
        'by'         { TOK(TK_BY); }
        'having'     { TOK(TK_HAVING); }
        'limit'      { TOK(TK_LIMIT); }
        'as'         { TOK(TK_AS); }
        'and'        { TOK(TK_AND); }
        'or'         { TOK(TK_OR); }
        'not'        { TOK(TK_NOT); }
        'null'       { TOK(TK_NULL); }
        'is'         { TOK(TK_IS); }
        'in'         { TOK(TK_IN); }
        'between'    { TOK(TK_BETWEEN); }
        'like'       { TOK(TK_LIKE); }
        'case'       { TOK(TK_CASE); }
        'when'       { TOK(TK_WHEN); }
        'then'       { TOK(TK_THEN); }
        'else'       { TOK(TK_ELSE); }
        'end'        { TOK(TK_END); }
        'cast'       { TOK(TK_CAST); }
        'try_cast'   { TOK(TK_TRY_CAST); }
        'distinct'   { TOK(TK_DISTINCT); }
        'all'        { TOK(TK_ALL); }
        'union'      { TOK(TK_UNION); }
        'create'     { TOK(TK_CREATE); }
        'table'      { TOK(TK_TABLE); }
        'drop'       { TOK(TK_DROP); }
        'if'         { TOK(TK_IF); }
        'exists'     { TOK(TK_EXISTS); }
        'insert'     { TOK(TK_INSERT); }
        'into'       { TOK(TK_INTO); }
        'primary'    { TOK(TK_PRIMARY); }
        'key'        { TOK(TK_KEY); }
        'enforced'   { TOK(TK_ENFORCED); }
        'with'       { TOK(TK_WITH); }
        'watermark'  { TOK(TK_WATERMARK); }
        'for'        { TOK(TK_FOR); }
        'system_time' { TOK(TK_SYSTEM_TIME); }
        'of'         { TOK(TK_OF); }
        'true'       { TOK(TK_TRUE); }
        'false'      { TOK(TK_FALSE); }
        'set'        { TOK(TK_SET); }
        'reset'      { TOK(TK_RESET); }
        'show'       { TOK(TK_SHOW); }
        'tables'     { TOK(TK_TABLES); }
        'describe'   { TOK(TK_DESCRIBE); }
        'desc'       { TOK(TK_DESC); }
        'explain'    { TOK(TK_EXPLAIN); }
        'interval'   { TOK(TK_INTERVAL); }
        'to'         { TOK(TK_TO); }
        'date'       { TOK(TK_DATE); }
        'timestamp'  { TOK(TK_TIMESTAMP); }
        'metadata'   { TOK(TK_METADATA); }
        'virtual'    { TOK(TK_VIRTUAL); }
        'local'      { TOK(TK_LOCAL); }
        'time'       { TOK(TK_TIME); }
        'zone'       { TOK(TK_ZONE); }
        'jobs'       { TOK(TK_JOBS); }
        'job'        { TOK(TK_JOB); }
        'stop'       { TOK(TK_STOP); }
        'both'       { TOK(TK_BOTH); }
        'leading'    { TOK(TK_LEADING); }
        'trailing'   { TOK(TK_TRAILING); }
        'unknown'    { TOK(TK_UNKNOWN); }
        'symmetric'  { TOK(TK_SYMMETRIC); }
        'asymmetric' { TOK(TK_ASYMMETRIC); }
        'partition'  { TOK(TK_PARTITION); }
        'join'       { TOK(TK_JOIN); }
        'inner'      { TOK(TK_INNER); }
        'left'       { TOK(TK_LEFT); }
        'right'      { TOK(TK_RIGHT); }
        'full'       { TOK(TK_FULL); }
        'outer'      { TOK(TK_OUTER); }
        'cross'      { TOK(TK_CROSS); }
        'on'         { TOK(TK_ON); }
        'using'      { TOK(TK_USING); }
        'values'     { TOK(TK_VALUES); }
        'view'       { TOK(TK_VIEW); }
        'views'      { TOK(TK_VIEWS); }
        'temporary'  { TOK(TK_TEMPORARY); }
        'execute'    { TOK(TK_EXECUTE); }
        'statement'  { TOK(TK_STATEMENT); }
        'begin'      { TOK(TK_BEGIN); }
        'alter'      { TOK(TK_ALTER); }
        'rename'     { TOK(TK_RENAME); }
        'functions'  { TOK(TK_FUNCTIONS); }
        'function'   { TOK(TK_FUNCTION); }
        'language'   { TOK(TK_LANGUAGE); }
        'user'       { TOK(TK_USER); }
        'columns'    { TOK(TK_COLUMNS); }
        'over'       { TOK(TK_OVER); }
        'filter'     { TOK(TK_FILTER); }
        'order'      { TOK(TK_ORDER); }
        'asc'        { TOK(TK_ASC); }
        'nulls'      { TOK(TK_NULLS); }
        'first'      { TOK(TK_FIRST); }
        'last'       { TOK(TK_LAST); }
        'rows'       { TOK(TK_ROWS); }
        'range'      { TOK(TK_RANGE); }
        'preceding'  { TOK(TK_PRECEDING); }
        'following'  { TOK(TK_FOLLOWING); }
        'unbounded'  { TOK(TK_UNBOUNDED); }
        'current'    { TOK(TK_CURRENT); }
        'row'        { TOK(TK_ROW); }
        'window'     { TOK(TK_WINDOW); }
        'array'      { TOK(TK_ARRAY); }
        'map'        { TOK(TK_MAP); }
        'unnest'     { TOK(TK_UNNEST); }
        'current_timestamp' { TOK(TK_CURRENT_TIMESTAMP); }
        'localtimestamp'    { TOK(TK_LOCALTIMESTAMP); }
        'current_date'      { TOK(TK_CURRENT_DATE); }
        'json_object'       { TOK(TK_JSON_OBJECT); }
        'value'      { TOK(TK_VALUE); }
        'returning'  { TOK(TK_RETURNING); }
        'empty'      { TOK(TK_EMPTY); }
        'error'      { TOK(TK_ERROR); }
        'default'    { TOK(TK_DEFAULT); }
        'absent'     { TOK(TK_ABSENT); }
        'wrapper'    { TOK(TK_WRAPPER); }
        'without'    { TOK(TK_WITHOUT); }
        'conditional'   { TOK(TK_CONDITIONAL); }
        'unconditional' { TOK(TK_UNCONDITIONAL); }
        'object'     { TOK(TK_OBJECT); }

        ident { TOK(TK_ID); }
        "`" ([^`\x00] | "``")+ "`" { TOK(TK_ID); }
        "`" "`"? { ERR("unterminated or empty `identifier`"); }

        digit+ { TOK(TK_INTEGER); }
        (digit+ "." digit* | "." digit+) { TOK(TK_DECIMAL); }
        (digit+ ("." digit*)? | "." digit+) [eE] [+-]? digit+ { TOK(TK_FLOAT); }

        "'" ([^'\x00] | "''")* "'" { TOK(TK_STRING); }
        "'" { ERR("unterminated string literal"); }

        "=>" { TOK(TK_ARROW); }
        "("  { TOK(TK_LP); }
        ")"  { TOK(TK_RP); }
        ","  { TOK(TK_COMMA); }
        ";"  { TOK(TK_SEMI); }
        "."  { TOK(TK_DOT); }
        "["  { TOK(TK_LBRACKET); }
        "]"  { TOK(TK_RBRACKET); }
        "+"  { TOK(TK_PLUS); }
        "-"  { TOK(TK_MINUS); }
        "*"  { TOK(TK_STAR); }
        "/"  { TOK(TK_SLASH); }
        "%"  { TOK(TK_PERCENT); }
        "||" { TOK(TK_CONCAT); }
        "="  { TOK(TK_EQ); }
        "==" { TOK(TK_EQ); }
        "<>" { TOK(TK_NE); }
        "!=" { TOK(TK_NE); }
        "<"  { TOK(TK_LT); }
        "<=" { TOK(TK_LE); }
        ">"  { TOK(TK_GT); }
        ">=" { TOK(TK_GE); }

        * { ERR("unexpected character"); }
    */
    }
}
