/*
 * parser.y — eddy's Flink SQL grammar, turned into C by lemon at build time.
 *
 * The grammar is thin: every action calls a named builder in src/ast.c, and
 * nothing here looks at the catalog, at types or at options.  Nodes live in
 * the statement arena (ParseCtx.arena), so a syntax error that abandons
 * partial trees leaks nothing and needs no %destructor: the arena is freed
 * with the statement.  Words that are keywords only in some places (KEY,
 * METADATA, WATERMARK, TABLES, …) fall back to identifiers elsewhere, so
 * columns may be called `key` or `time` without quoting.
 */
%include {
#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include "ast.h"
#include "diag.h"
#include "parse.h"
}

%name eddyParse
%token_prefix TK_
%token_type {Token}
%default_type {void*}
%extra_argument {ParseCtx *ctx}
%start_symbol input

%syntax_error {
    /* a reserved word where the grammar would take a name (`CREATE TABLE t (left INT)`) gets a hint */
    bool name_fits = yymajor != TK_ID && yy_find_shift_action(TK_ID, yypParser->yytos->stateno) != YY_ERROR_ACTION;
    /* FROM where a select item would start (`SELECT a, FROM t`): the item is missing, not a name */
    if (yymajor == TK_FROM && yy_find_shift_action(TK_STAR, yypParser->yytos->stateno) != YY_ERROR_ACTION) name_fits = false;
    parse_syntax_error(ctx, TOKEN, name_fits);
}
%stack_overflow {
    diag_error(ctx->diag, DIAG_SYNTAX, ctx->tok_pos,
               "expression too complex: parentheses, function calls or subqueries nest too deeply here");
}
%stack_size 1000

%fallback ID KEY ENFORCED WATERMARK METADATA VIRTUAL LOCAL TIME ZONE TABLES JOBS JOB STOP
             BOTH LEADING TRAILING DESC RESET DATE TIMESTAMP UNKNOWN SYMMETRIC ASYMMETRIC TO PARTITION
             SYSTEM_TIME OF
             OVER ASC NULLS FIRST LAST ROWS RANGE PRECEDING FOLLOWING UNBOUNDED CURRENT ROW FILTER.
/* Words of the views / statement sets / SHOW statements: names elsewhere. */
%fallback ID VALUES VIEW VIEWS TEMPORARY EXECUTE STATEMENT BEGIN ALTER RENAME FUNCTIONS COLUMNS.
/* Words of CREATE FUNCTION / SHOW USER FUNCTIONS: names elsewhere. */
%fallback ID FUNCTION LANGUAGE USER.
/* Nested data: ARRAY and MAP are names outside types and constructors;
 * the words of the JSON functions' clauses are names elsewhere. */
%fallback ID ARRAY MAP UNNEST VALUE RETURNING EMPTY ERROR DEFAULT ABSENT WRAPPER WITHOUT CONDITIONAL UNCONDITIONAL OBJECT.

%left OR.
%left AND.
%right NOT.
%left IS LIKE BETWEEN IN NE EQ.
%left GT LE LT GE.
%left PLUS MINUS CONCAT.
%left STAR SLASH PERCENT.
%right UMINUS.
%left OVER FILTER.
%left WITH.
%left DOT LBRACKET.

input ::= cmdlist.
input ::= .
cmdlist ::= cmdlist ecmd.
cmdlist ::= ecmd.
ecmd ::= SEMI.
ecmd ::= cmd(C) SEMI(S).             { ast_finish_stmt(ctx, C, S.pos); }

%type cmd {AstStmt*}
cmd(A) ::= stmt(S).                  { A = S; }
cmd(A) ::= EXPLAIN(E) stmt(S).       { A = ast_stmt(ctx, STMT_EXPLAIN, E); A->inner = S; }

%type stmt {AstStmt*}

/* ---- CREATE TABLE / DROP TABLE ---- */
stmt(A) ::= CREATE(C) temporary TABLE ifnotexists(I) nm(N) LP tableelems(L) RP with_opt(W). {
    A = ast_stmt(ctx, STMT_CREATE_TABLE, C);
    A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->elems = (AstTableElem **)L.v; A->nelems = L.n;
    A->opts = (AstOption **)W.v; A->nopts = W.n;
}
%type ifnotexists {bool}
ifnotexists(A) ::= .                    { A = false; }
ifnotexists(A) ::= IF NOT EXISTS.       { A = true; }
%type ifexists {bool}
ifexists(A) ::= .                       { A = false; }
ifexists(A) ::= IF EXISTS.              { A = true; }

stmt(A) ::= DROP(D) TABLE ifexists(I) nm(N). {
    A = ast_stmt(ctx, STMT_DROP_TABLE, D);
    A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
}

%type tableelems {PtrList}
tableelems(A) ::= tableelem(E).                      { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, E); }
tableelems(A) ::= tableelems(L) COMMA tableelem(E).  { A = L; ast_list_push(ctx, &A, E); }

%type tableelem {AstTableElem*}
tableelem(A) ::= coldef(C).                          { A = ast_elem_col(ctx, C); }
tableelem(A) ::= PRIMARY(P) KEY LP nmlist(L) RP enforced(E). { A = ast_elem_pk(ctx, P, &L, E); }
tableelem(A) ::= WATERMARK(W) FOR nm(N) AS expr(X).  { A = ast_elem_wm(ctx, W, N, X); }

%type enforced {bool}
enforced(A) ::= NOT ENFORCED.      { A = false; }
enforced(A) ::= .                  { A = true; }

%type coldef {AstColumnDef*}
coldef(A) ::= nm(N) typetoken(T) conslist(C).        { A = ast_coldef(ctx, N, T, C); }
coldef(A) ::= nm(N) AS expr(X).                      { A = ast_computed(ctx, N, X); }
coldef(A) ::= nm(N) typetoken(T) METADATA(M) virtual(V). { A = ast_metacol(ctx, N, T, M, NULL, V); }
coldef(A) ::= nm(N) typetoken(T) METADATA(M) FROM STRING(K) virtual(V). { A = ast_metacol(ctx, N, T, M, &K, V); }

%type virtual {bool}
virtual(A) ::= .          { A = false; }
virtual(A) ::= VIRTUAL.   { A = true; }

%type conslist {int}
conslist(A) ::= .                         { A = 0; }
conslist(A) ::= conslist(L) NOT NULL.     { A = L | CONS_NOT_NULL; }
conslist(A) ::= conslist(L) NULL.         { A = L | CONS_NULL; }
conslist(A) ::= conslist(L) PRIMARY(P) KEY.  { A = (L & 0xff) | CONS_PK | (P.pos << 8); }
conslist(A) ::= conslist(L) NOT ENFORCED.    { A = L | CONS_NOT_ENFORCED; }

%type typetoken {AstType}
typetoken(A) ::= typename(N).                                  { A = ast_type(ctx, N, 0, NULL, NULL); }
typetoken(A) ::= typename(N) LP INTEGER(P) RP.                 { A = ast_type(ctx, N, 1, &P, NULL); }
typetoken(A) ::= typename(N) LP INTEGER(P) COMMA INTEGER(S) RP. { A = ast_type(ctx, N, 2, &P, &S); }
typetoken(A) ::= typetoken(T) WITH LOCAL TIME ZONE.            { A = T; A.ltz = true; }
/* Nested types: ROW<a INT, b STRING> (or ROW(…)), ARRAY<T>, MAP<K, V>, with NOT NULL inside. */
typetoken(A) ::= ROW(K) LT rowfields(F) GT.                     { A = ast_type_nested(ctx, K, NEST_ROW, &F); }
typetoken(A) ::= ROW(K) LP rowfields(F) RP.                     { A = ast_type_nested(ctx, K, NEST_ROW, &F); }
typetoken(A) ::= ARRAY(K) LT elemtype(E) GT.                    { PtrList l = {0}; ast_list_push(ctx, &l, E); A = ast_type_nested(ctx, K, NEST_ARRAY, &l); }
typetoken(A) ::= MAP(K) LT elemtype(E) COMMA elemtype(F) GT.    { PtrList l = {0}; ast_list_push(ctx, &l, E); ast_list_push(ctx, &l, F); A = ast_type_nested(ctx, K, NEST_MAP, &l); }
%type elemtype {AstType*}
elemtype(A) ::= typetoken(T).                   { A = ast_type_field(ctx, NULL, T, false); }
elemtype(A) ::= typetoken(T) NOT NULL.          { A = ast_type_field(ctx, NULL, T, true); }
%type rowfields {PtrList}
rowfields(A) ::= rowfield(F).                   { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, F); }
rowfields(A) ::= rowfields(L) COMMA rowfield(F). { A = L; ast_list_push(ctx, &A, F); }
%type rowfield {AstType*}
rowfield(A) ::= nm(N) typetoken(T).             { A = ast_type_field(ctx, &N, T, false); }
rowfield(A) ::= nm(N) typetoken(T) NOT NULL.    { A = ast_type_field(ctx, &N, T, true); }
rowfield(A) ::= nm(N) typetoken(T) STRING.      { A = ast_type_field(ctx, &N, T, false); }
rowfield(A) ::= nm(N) typetoken(T) NOT NULL STRING. { A = ast_type_field(ctx, &N, T, true); }
%type typename {Token}
typename(A) ::= ID(X).        { A = X; }

%type with_opt {PtrList}
with_opt(A) ::= .                         { memset(&A, 0, sizeof A); }
with_opt(A) ::= WITH LP optlist(L) RP.    { A = L; }
%type optlist {PtrList}
optlist(A) ::= option(O).                 { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, O); }
optlist(A) ::= optlist(L) COMMA option(O).{ A = L; ast_list_push(ctx, &A, O); }
%type option {AstOption*}
option(A) ::= STRING(K) EQ STRING(V).     { A = ast_option(ctx, K, V); }

%type nmlist {PtrList}
nmlist(A) ::= nm(N).                      { memset(&A, 0, sizeof A); Token *t = arena_alloc(ctx->arena, sizeof *t); *t = N; ast_list_push(ctx, &A, t); }
nmlist(A) ::= nmlist(L) COMMA nm(N).      { A = L; Token *t = arena_alloc(ctx->arena, sizeof *t); *t = N; ast_list_push(ctx, &A, t); }

%type nm {Token}
nm(A) ::= ID(X).          { A = X; }

/* ---- INSERT / SELECT ---- */
stmt(A) ::= insert(I).            { A = I; }
%type insert {AstStmt*}
insert(A) ::= INSERT(I) INTO nm(N) inscols(C) fullquery(S). {
    A = ast_stmt(ctx, STMT_INSERT, I);
    A->name = ast_ident(ctx, N); A->name_pos = N.pos; A->query = S;
    A->ncols = C.n;
    if (C.n) {
        A->cols = arena_alloc(ctx->arena, sizeof(char *) * (size_t)C.n);
        A->colpos = arena_alloc(ctx->arena, sizeof(int) * (size_t)C.n);
        for (int i = 0; i < C.n; i++) { Token *t = C.v[i]; A->cols[i] = ast_ident(ctx, *t); A->colpos[i] = t->pos; }
    }
}
%type inscols {PtrList}
inscols(A) ::= .                 { memset(&A, 0, sizeof A); }
inscols(A) ::= LP nmlist(L) RP.  { A = L; }

stmt(A) ::= fullquery(S).        { A = ast_stmt(ctx, STMT_SELECT, (Token){0, 0, S->pos}); A->query = S; }

/* A query: a SELECT, or SELECTs combined with UNION [ALL] (left to right). */
%type query {AstSelect*}
query(A) ::= select(S).                               { A = S; }
query(A) ::= query(L) UNION(U) union_all(X) select(R). { A = ast_union(ctx, L, U, X, R); }
%type union_all {bool}
union_all(A) ::= .          { A = false; }
union_all(A) ::= ALL.       { A = true; }

%type select {AstSelect*}
select(A) ::= SELECT(S) distinct(D) sellist(L) FROM from(F) where_opt(W) groupby_opt(G) having_opt(H) limit_opt(M). {
    A = ast_select(ctx, S, D, &L, F, W, G.list.n ? &G.tok : NULL, G.list.n ? &G.list : NULL, H, M);
}

/* The WINDOW clause: `… HAVING … WINDOW w AS (PARTITION BY … ORDER BY …), …`. */
select(A) ::= SELECT(S) distinct(D) sellist(L) FROM from(F) where_opt(W) groupby_opt(G) having_opt(H) WINDOW windefs(N) limit_opt(M). {
    A = ast_select(ctx, S, D, &L, F, W, G.list.n ? &G.tok : NULL, G.list.n ? &G.list : NULL, H, M);
    A->windows = (AstWindowDef **)N.v; A->nwindows = N.n;
}
%type windefs {PtrList}
windefs(A) ::= nm(N) AS LP windef(W) RP.                  { memset(&A, 0, sizeof A); ast_windef_name(ctx, W, N); ast_list_push(ctx, &A, W); }
windefs(A) ::= windefs(L) COMMA nm(N) AS LP windef(W) RP. { A = L; ast_windef_name(ctx, W, N); ast_list_push(ctx, &A, W); }

%type distinct {bool}
distinct(A) ::= .           { A = false; }
distinct(A) ::= DISTINCT.   { A = true; }
distinct(A) ::= ALL.        { A = false; }

%type sellist {PtrList}
sellist(A) ::= selitem(I).                   { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, I); }
sellist(A) ::= sellist(L) COMMA selitem(I).  { A = L; ast_list_push(ctx, &A, I); }
%type selitem {AstSelItem*}
selitem(A) ::= expr(X).               { A = ast_selitem(ctx, X, NULL); }
selitem(A) ::= expr(X) AS nm(N).      { A = ast_selitem(ctx, X, &N); }
selitem(A) ::= expr(X) nm(N).         { A = ast_selitem(ctx, X, &N); }
selitem(A) ::= STAR(S).               { A = ast_selstar(ctx, S, NULL); }
selitem(A) ::= nm(Q) DOT STAR(S).     { A = ast_selstar(ctx, S, &Q); }

/* FROM: items joined left to right (`a JOIN b ON … LEFT JOIN c USING (k)`, `a, b`). */
%type from {AstFrom}
from(A) ::= fromitem(I).                                 { A = I; }
from(A) ::= from(L) COMMA(T) fromitem(R).                { A = ast_from_join(ctx, L, AJ_CROSS, T, true, R, NULL, NULL); }
from(A) ::= from(L) CROSS JOIN(T) fromitem(R).           { A = ast_from_join(ctx, L, AJ_CROSS, T, false, R, NULL, NULL); }
from(A) ::= from(L) jointype(K) JOIN(T) fromitem(R) ON expr(X). { A = ast_from_join(ctx, L, (AstJoinType)K, T, false, R, X, NULL); }
from(A) ::= from(L) jointype(K) JOIN(T) fromitem(R) USING LP nmlist(N) RP. { A = ast_from_join(ctx, L, (AstJoinType)K, T, false, R, NULL, &N); }

%type jointype {int}
jointype(A) ::= .               { A = AJ_INNER; }
jointype(A) ::= INNER.          { A = AJ_INNER; }
jointype(A) ::= LEFT.           { A = AJ_LEFT; }
jointype(A) ::= LEFT OUTER.     { A = AJ_LEFT; }
jointype(A) ::= RIGHT.          { A = AJ_RIGHT; }
jointype(A) ::= RIGHT OUTER.    { A = AJ_RIGHT; }
jointype(A) ::= FULL.           { A = AJ_FULL; }
jointype(A) ::= FULL OUTER.     { A = AJ_FULL; }

%type fromitem {AstFrom}
fromitem(A) ::= nm(N).                    { A = ast_from_table(ctx, N, NULL); }
fromitem(A) ::= nm(N) nm(X).              { A = ast_from_table(ctx, N, &X); }
fromitem(A) ::= nm(N) AS nm(X).           { A = ast_from_table(ctx, N, &X); }
/* A versioned table in a temporal join: `rates FOR SYSTEM_TIME AS OF o.ts [AS r]`. */
fromitem(A) ::= nm(N) FOR SYSTEM_TIME AS OF expr(T).           { A = ast_from_versioned(ctx, N, T, NULL); }
fromitem(A) ::= nm(N) FOR SYSTEM_TIME AS OF expr(T) AS nm(X).  { A = ast_from_versioned(ctx, N, T, &X); }
fromitem(A) ::= TABLE LP ID(F) LP winargs(L) RP RP.            { A = ast_from_window(ctx, F, &L, NULL); }
fromitem(A) ::= TABLE LP ID(F) LP winargs(L) RP RP nm(X).      { A = ast_from_window(ctx, F, &L, &X); }
fromitem(A) ::= TABLE LP ID(F) LP winargs(L) RP RP AS nm(X).   { A = ast_from_window(ctx, F, &L, &X); }
fromitem(A) ::= LP(P) fullquery(S) RP.       { A = ast_from_sub(ctx, P, S, NULL); }
/* `CROSS JOIN UNNEST(arr) AS t(x)`, `, UNNEST(m) AS t(k, v)`, `LEFT JOIN UNNEST(…) ON TRUE` */
fromitem(A) ::= UNNEST(U) LP expr(X) RP.                         { A = ast_from_unnest(ctx, U, X, NULL); }
fromitem(A) ::= UNNEST(U) LP expr(X) RP nm(T).                   { A = ast_from_unnest(ctx, U, X, &T); }
fromitem(A) ::= UNNEST(U) LP expr(X) RP AS nm(T).                { A = ast_from_unnest(ctx, U, X, &T); }
fromitem(A) ::= UNNEST(U) LP expr(X) RP nm(T) LP nmlist(C) RP.   { A = ast_from_unnest(ctx, U, X, &T); ast_from_colnames(ctx, &A, &C); }
fromitem(A) ::= UNNEST(U) LP expr(X) RP AS nm(T) LP nmlist(C) RP. { A = ast_from_unnest(ctx, U, X, &T); ast_from_colnames(ctx, &A, &C); }
fromitem(A) ::= LP(P) fullquery(S) RP nm(X). { A = ast_from_sub(ctx, P, S, &X); }
fromitem(A) ::= LP(P) fullquery(S) RP AS nm(X). { A = ast_from_sub(ctx, P, S, &X); }

/* Window table function arguments: `TABLE t [PARTITION BY k, …]`,
 * DESCRIPTOR(col) (parsed as a call), intervals; each may be named
 * (`SIZE => INTERVAL '1' MINUTE`). */
%type winargs {PtrList}
winargs(A) ::= winarg(W).                    { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, W); }
winargs(A) ::= winargs(L) COMMA winarg(W).   { A = L; ast_list_push(ctx, &A, W); }
%type winarg {AstWinArg*}
winarg(A) ::= winval(V).                     { A = V; }
winarg(A) ::= ID(N) ARROW winval(V).         { A = ast_winarg_named(ctx, N, V); }
%type winval {AstWinArg*}
winval(A) ::= TABLE(T) nm(N).                { A = ast_winarg_table(ctx, T, N, NULL); }
/* `PARTITION BY (a, b)` parses as a row of values: its columns. */
winval(A) ::= TABLE(T) nm(N) PARTITION BY expr(X). {
    PtrList l = {0};
    if (X->kind == AX_ROW) for (int i = 0; i < X->nargs; i++) ast_list_push(ctx, &l, X->args[i]);
    else ast_list_push(ctx, &l, X);
    A = ast_winarg_table(ctx, T, N, &l);
}
winval(A) ::= expr(X).                       { A = ast_winarg_expr(ctx, X); }

%type where_opt {AstExpr*}
where_opt(A) ::= .                    { A = NULL; }
where_opt(A) ::= WHERE expr(X).       { A = X; }

%type groupby_opt {AstGroupBy}
groupby_opt(A) ::= .                         { memset(&A, 0, sizeof A); }
groupby_opt(A) ::= GROUP(G) BY exprlist(L).  { A.tok = G; A.list = L; }

%type having_opt {AstExpr*}
having_opt(A) ::= .                   { A = NULL; }
having_opt(A) ::= HAVING expr(X).     { A = X; }

%type limit_opt {Token*}
limit_opt(A) ::= .                    { A = NULL; }
limit_opt(A) ::= LIMIT INTEGER(N).    { A = arena_alloc(ctx->arena, sizeof(Token)); *A = N; }

/* ---- WITH, VALUES, SELECT without FROM (the binder: bind.c, bind_stmt.c) ---- */
/* A query with its common table expressions: `WITH a AS (…), b (x, y) AS (…) query`. */
%type fullquery {AstSelect*}
fullquery(A) ::= query(Q).                           { A = Q; }
fullquery(A) ::= WITH(W) ctelist(L) query(Q).        { A = ast_with(ctx, W, &L, Q); }
%type ctelist {PtrList}
ctelist(A) ::= cte(E).                               { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, E); }
ctelist(A) ::= ctelist(L) COMMA cte(E).              { A = L; ast_list_push(ctx, &A, E); }
%type cte {AstCte*}
cte(A) ::= nm(N) AS LP fullquery(Q) RP.              { A = ast_cte(ctx, N, NULL, Q); }
cte(A) ::= nm(N) LP nmlist(C) RP AS LP fullquery(Q) RP. { A = ast_cte(ctx, N, &C, Q); }

select(A) ::= SELECT(S) distinct(D) sellist(L).                     { A = ast_select_nofrom(ctx, S, D, &L, NULL); }
select(A) ::= SELECT(S) distinct(D) sellist(L) WHERE expr(W).       { A = ast_select_nofrom(ctx, S, D, &L, W); }
select(A) ::= VALUES(V) valrows(R).                                 { A = ast_values(ctx, V, &R); }
%type valrows {PtrList}
valrows(A) ::= LP exprlist(L) RP.                    { memset(&A, 0, sizeof A); PtrList *r = arena_alloc(ctx->arena, sizeof *r); *r = L; ast_list_push(ctx, &A, r); }
valrows(A) ::= valrows(R) COMMA LP exprlist(L) RP.   { A = R; PtrList *r = arena_alloc(ctx->arena, sizeof *r); *r = L; ast_list_push(ctx, &A, r); }
/* `(VALUES …) AS t(a, b)`, `(SELECT …) AS t(a, b)`: the item's columns renamed. */
fromitem(A) ::= LP(P) fullquery(S) RP nm(X) LP nmlist(C) RP.    { A = ast_from_sub(ctx, P, S, &X); ast_from_colnames(ctx, &A, &C); }
fromitem(A) ::= LP(P) fullquery(S) RP AS nm(X) LP nmlist(C) RP. { A = ast_from_sub(ctx, P, S, &X); ast_from_colnames(ctx, &A, &C); }

/* ---- views, CREATE TABLE … AS / LIKE, ALTER TABLE (bind_stmt.c, engine.c) ---- */
%type temporary {bool}
temporary(A) ::= .                 { A = false; }
temporary(A) ::= TEMPORARY.        { A = true; }
stmt(A) ::= CREATE(C) temporary(T) VIEW ifnotexists(I) nm(N) AS fullquery(Q). {
    A = ast_stmt(ctx, STMT_CREATE_VIEW, C);
    A->temporary = T; A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos; A->query = Q; A->query_pos = Q->pos;
}
stmt(A) ::= CREATE(C) temporary(T) VIEW ifnotexists(I) nm(N) LP nmlist(L) RP AS fullquery(Q). {
    A = ast_stmt(ctx, STMT_CREATE_VIEW, C);
    A->temporary = T; A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos; A->query = Q; A->query_pos = Q->pos;
    A->cols = ast_names(ctx, &L, &A->colpos); A->ncols = L.n;
}
/* ---- user-defined functions (sql/udf.c, engine.c) ---- */
stmt(A) ::= CREATE(C) temporary(T) FUNCTION ifnotexists(I) nm(N) AS STRING(S) LANGUAGE nm(L). {
    A = ast_stmt(ctx, STMT_CREATE_FUNCTION, C);
    A->temporary = T; A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->value = ast_string(ctx, S); A->value_pos = S.pos; A->like = ast_ident(ctx, L); A->like_pos = L.pos;
}
stmt(A) ::= CREATE(C) temporary(T) FUNCTION ifnotexists(I) nm(N) AS STRING(S). {
    A = ast_stmt(ctx, STMT_CREATE_FUNCTION, C);
    A->temporary = T; A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->value = ast_string(ctx, S); A->value_pos = S.pos; A->like_pos = -1;
}
stmt(A) ::= DROP(D) temporary(T) FUNCTION ifexists(I) nm(N). {
    A = ast_stmt(ctx, STMT_DROP_FUNCTION, D);
    A->temporary = T; A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
}
stmt(A) ::= DROP(D) temporary(T) VIEW ifexists(I) nm(N). {
    A = ast_stmt(ctx, STMT_DROP_VIEW, D);
    A->temporary = T; A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
}
stmt(A) ::= CREATE(C) temporary TABLE ifnotexists(I) nm(N) with_opt(W) AS fullquery(Q). {
    A = ast_stmt(ctx, STMT_CREATE_TABLE_AS, C);
    A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos; A->query = Q; A->query_pos = Q->pos;
    A->opts = (AstOption **)W.v; A->nopts = W.n;
}
stmt(A) ::= CREATE(C) temporary TABLE ifnotexists(I) nm(N) LP tableelems(L) RP with_opt(W) LIKE nm(S) likeopts(O). {
    A = ast_stmt(ctx, STMT_CREATE_TABLE_LIKE, C);
    A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->elems = (AstTableElem **)L.v; A->nelems = L.n;
    A->opts = (AstOption **)W.v; A->nopts = W.n;
    A->like = ast_ident(ctx, S); A->like_pos = S.pos; A->like_opts = O;
}
stmt(A) ::= CREATE(C) temporary TABLE ifnotexists(I) nm(N) with_opt(W) LIKE nm(S) likeopts(O). {
    A = ast_stmt(ctx, STMT_CREATE_TABLE_LIKE, C);
    A->if_exists = I; A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->opts = (AstOption **)W.v; A->nopts = W.n;
    A->like = ast_ident(ctx, S); A->like_pos = S.pos; A->like_opts = O;
}
%type likeopts {int}
likeopts(A) ::= .                        { A = LIKE_DEFAULT; }
likeopts(A) ::= LP likeoptlist(L) RP.    { A = L; }
%type likeoptlist {int}
likeoptlist(A) ::= likeopt(O).                  { A = ast_like_opt(ctx, LIKE_DEFAULT, O); }
likeoptlist(A) ::= likeoptlist(L) likeopt(O).   { A = ast_like_opt(ctx, L, O); }
%type likeopt {Token*}
likeopt(A) ::= nm(X) nm(Y).   { A = arena_alloc(ctx->arena, 2 * sizeof(Token)); A[0] = X; A[1] = Y; }
likeopt(A) ::= nm(X) ALL(Y).  { A = arena_alloc(ctx->arena, 2 * sizeof(Token)); A[0] = X; A[1] = Y; }

stmt(A) ::= ALTER(T) TABLE nm(N) SET LP optlist(L) RP. {
    A = ast_stmt(ctx, STMT_ALTER_SET, T); A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->opts = (AstOption **)L.v; A->nopts = L.n;
}
stmt(A) ::= ALTER(T) TABLE nm(N) RESET LP keylist(L) RP. {
    A = ast_stmt(ctx, STMT_ALTER_RESET, T); A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->opts = (AstOption **)L.v; A->nopts = L.n;
}
stmt(A) ::= ALTER(T) TABLE nm(N) RENAME TO nm(M). {
    A = ast_stmt(ctx, STMT_ALTER_RENAME, T); A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->key = ast_ident(ctx, M); A->value_pos = M.pos;
}
%type keylist {PtrList}
keylist(A) ::= STRING(K).                    { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, ast_option_key(ctx, K)); }
keylist(A) ::= keylist(L) COMMA STRING(K).   { A = L; ast_list_push(ctx, &A, ast_option_key(ctx, K)); }

/* ---- statement sets: several INSERTs as one job ---- */
stmt(A) ::= EXECUTE(E) STATEMENT SET BEGIN inslist(L) END. {
    A = ast_stmt(ctx, STMT_STATEMENT_SET, E); A->set = (AstStmt **)L.v; A->nset = L.n;
}
stmt(A) ::= EXECUTE insert(I).              { A = I; }
stmt(A) ::= BEGIN(B) STATEMENT SET.         { A = ast_stmt(ctx, STMT_BEGIN_SET, B); }
stmt(A) ::= END(E).                         { A = ast_stmt(ctx, STMT_END_SET, E); }
%type inslist {PtrList}
inslist(A) ::= insert(I) SEMI(S).               { memset(&A, 0, sizeof A); I->end = S.pos; ast_list_push(ctx, &A, I); }
inslist(A) ::= inslist(L) insert(I) SEMI(S).    { A = L; I->end = S.pos; ast_list_push(ctx, &A, I); }

/* ---- SHOW VIEWS / FUNCTIONS / COLUMNS / CREATE ---- */
stmt(A) ::= SHOW(S) VIEWS.                        { A = ast_stmt(ctx, STMT_SHOW_VIEWS, S); }
stmt(A) ::= SHOW(S) FUNCTIONS.                    { A = ast_stmt(ctx, STMT_SHOW_FUNCTIONS, S); }
stmt(A) ::= SHOW(S) USER FUNCTIONS.               { A = ast_stmt(ctx, STMT_SHOW_FUNCTIONS, S); A->temporary = true; /* user functions only */ }
stmt(A) ::= SHOW(S) COLUMNS fromin nm(N).         { A = ast_stmt(ctx, STMT_SHOW_COLUMNS, S); A->name = ast_ident(ctx, N); A->name_pos = N.pos; }
stmt(A) ::= SHOW(S) COLUMNS fromin nm(N) LIKE STRING(P). {
    A = ast_stmt(ctx, STMT_SHOW_COLUMNS, S); A->name = ast_ident(ctx, N); A->name_pos = N.pos;
    A->value = ast_string(ctx, P); A->value_pos = P.pos;
}
fromin ::= FROM.
fromin ::= IN.
stmt(A) ::= SHOW(S) CREATE TABLE nm(N).           { A = ast_stmt(ctx, STMT_SHOW_CREATE, S); A->name = ast_ident(ctx, N); A->name_pos = N.pos; }
stmt(A) ::= SHOW(S) CREATE VIEW nm(N).            { A = ast_stmt(ctx, STMT_SHOW_CREATE, S); A->name = ast_ident(ctx, N); A->name_pos = N.pos; A->temporary = true; }

/* ---- SET / RESET / SHOW / DESCRIBE / jobs ---- */
stmt(A) ::= SET(S).                               { A = ast_stmt(ctx, STMT_SET, S); }
stmt(A) ::= SET(S) STRING(K) EQ STRING(V).        { A = ast_stmt(ctx, STMT_SET, S); A->key = ast_string(ctx, K); A->name_pos = K.pos; A->value = ast_string(ctx, V); A->value_pos = V.pos; }
stmt(A) ::= RESET(R).                             { A = ast_stmt(ctx, STMT_RESET, R); }
stmt(A) ::= RESET(R) STRING(K).                   { A = ast_stmt(ctx, STMT_RESET, R); A->key = ast_string(ctx, K); A->name_pos = K.pos; }
stmt(A) ::= SHOW(S) TABLES.                       { A = ast_stmt(ctx, STMT_SHOW_TABLES, S); }
stmt(A) ::= SHOW(S) JOBS.                         { A = ast_stmt(ctx, STMT_SHOW_JOBS, S); }
stmt(A) ::= STOP(S) JOB STRING(J).                { A = ast_stmt(ctx, STMT_STOP_JOB, S); A->name = ast_string(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= STOP(S) JOB INTEGER(J).               { A = ast_stmt(ctx, STMT_STOP_JOB, S); A->name = ast_ident(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= SHOW(S) JOB STRING(J).                { A = ast_stmt(ctx, STMT_SHOW_JOB, S); A->name = ast_string(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= SHOW(S) JOB INTEGER(J).               { A = ast_stmt(ctx, STMT_SHOW_JOB, S); A->name = ast_ident(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= DESCRIBE(D) nm(N).                    { A = ast_stmt(ctx, STMT_DESCRIBE, D); A->name = ast_ident(ctx, N); A->name_pos = N.pos; }
stmt(A) ::= DESC(D) nm(N).                        { A = ast_stmt(ctx, STMT_DESCRIBE, D); A->name = ast_ident(ctx, N); A->name_pos = N.pos; }
/* DESCRIBE JOB 'id or name' is SHOW JOB.  JOB is a word with a fallback to
 * ID, which lemon takes before a default reduction: hence one rule per
 * keyword, and DESCRIBE job (no string) still describes a table named job. */
stmt(A) ::= DESCRIBE(D) JOB STRING(J).            { A = ast_stmt(ctx, STMT_SHOW_JOB, D); A->name = ast_string(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= DESCRIBE(D) JOB INTEGER(J).           { A = ast_stmt(ctx, STMT_SHOW_JOB, D); A->name = ast_ident(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= DESCRIBE(D) JOB(N).                   { A = ast_stmt(ctx, STMT_DESCRIBE, D); A->name = ast_ident(ctx, N); A->name_pos = N.pos; }
stmt(A) ::= DESC(D) JOB STRING(J).                { A = ast_stmt(ctx, STMT_SHOW_JOB, D); A->name = ast_string(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= DESC(D) JOB INTEGER(J).               { A = ast_stmt(ctx, STMT_SHOW_JOB, D); A->name = ast_ident(ctx, J); A->name_pos = J.pos; }
stmt(A) ::= DESC(D) JOB(N).                       { A = ast_stmt(ctx, STMT_DESCRIBE, D); A->name = ast_ident(ctx, N); A->name_pos = N.pos; }

/* ---- expressions ---- */
%type expr {AstExpr*}
%type exprlist {PtrList}
exprlist(A) ::= expr(X).                    { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, X); }
exprlist(A) ::= exprlist(L) COMMA expr(X).  { A = L; ast_list_push(ctx, &A, X); }

expr(A) ::= LP(L) expr(X) RP(R).      { A = ast_paren(ctx, L, X, R); }
/* A name followed by '.' is shifted: `t.c`, `t.c.f`, `c.f` (ast_dot). */
expr(A) ::= nm(N). [OR]               { A = ast_column(ctx, NULL, N); }
expr(A) ::= nm(Q) DOT nm(N).          { A = ast_column(ctx, &Q, N); }
expr(A) ::= expr(X) DOT nm(N).        { A = ast_dot(ctx, X, N); }
expr(A) ::= expr(X) LBRACKET expr(I) RBRACKET(R). { A = ast_item(ctx, X, I, R); }
expr(A) ::= ROW(K) LP exprlist(L) RP(R).           { A = ast_ctor(ctx, K, NEST_ROW, &L, R); }
expr(A) ::= ARRAY(K) LBRACKET exprlist(L) RBRACKET(R). { A = ast_ctor(ctx, K, NEST_ARRAY, &L, R); }
expr(A) ::= MAP(K) LBRACKET exprlist(L) RBRACKET(R).   { A = ast_ctor(ctx, K, NEST_MAP, &L, R); }
expr(A) ::= INTEGER(T).               { A = ast_literal(ctx, LIT_INT, T); }
expr(A) ::= DECIMAL(T).               { A = ast_literal(ctx, LIT_DECIMAL, T); }
expr(A) ::= FLOAT(T).                 { A = ast_literal(ctx, LIT_DOUBLE, T); }
expr(A) ::= STRING(T).                { A = ast_literal(ctx, LIT_STRING, T); }
expr(A) ::= TRUE(T).                  { A = ast_literal(ctx, LIT_TRUE, T); }
expr(A) ::= FALSE(T).                 { A = ast_literal(ctx, LIT_FALSE, T); }
expr(A) ::= NULL(T).                  { A = ast_literal(ctx, LIT_NULL, T); }
expr(A) ::= DATE(K) STRING(T).        { A = ast_typed_literal(ctx, LIT_DATE, K, T); }
expr(A) ::= TIMESTAMP(K) STRING(T).   { A = ast_typed_literal(ctx, LIT_TIMESTAMP, K, T); }
expr(A) ::= INTERVAL(K) STRING(T) nm(U). { A = ast_interval(ctx, K, T, U, NULL); }
expr(A) ::= INTERVAL(K) STRING(T) nm(U) TO nm(V). { A = ast_interval(ctx, K, T, U, &V); }

expr(A) ::= expr(X) AND(O) expr(Y).     { A = ast_binary(ctx, OP_AND, O, X, Y); }
expr(A) ::= expr(X) OR(O) expr(Y).      { A = ast_binary(ctx, OP_OR, O, X, Y); }
expr(A) ::= expr(X) EQ(O) expr(Y).      { A = ast_binary(ctx, OP_EQ, O, X, Y); }
expr(A) ::= expr(X) NE(O) expr(Y).      { A = ast_binary(ctx, OP_NE, O, X, Y); }
expr(A) ::= expr(X) LT(O) expr(Y).      { A = ast_binary(ctx, OP_LT, O, X, Y); }
expr(A) ::= expr(X) LE(O) expr(Y).      { A = ast_binary(ctx, OP_LE, O, X, Y); }
expr(A) ::= expr(X) GT(O) expr(Y).      { A = ast_binary(ctx, OP_GT, O, X, Y); }
expr(A) ::= expr(X) GE(O) expr(Y).      { A = ast_binary(ctx, OP_GE, O, X, Y); }
expr(A) ::= expr(X) PLUS(O) expr(Y).    { A = ast_binary(ctx, OP_ADD, O, X, Y); }
expr(A) ::= expr(X) MINUS(O) expr(Y).   { A = ast_binary(ctx, OP_SUB, O, X, Y); }
expr(A) ::= expr(X) STAR(O) expr(Y).    { A = ast_binary(ctx, OP_MUL, O, X, Y); }
expr(A) ::= expr(X) SLASH(O) expr(Y).   { A = ast_binary(ctx, OP_DIV, O, X, Y); }
expr(A) ::= expr(X) PERCENT(O) expr(Y). { A = ast_binary(ctx, OP_MOD, O, X, Y); }
expr(A) ::= expr(X) CONCAT(O) expr(Y).  { A = ast_binary(ctx, OP_CONCAT, O, X, Y); }
expr(A) ::= NOT(O) expr(X).             { A = ast_unary(ctx, OP_NOT, O, X); }
expr(A) ::= MINUS(O) expr(X). [UMINUS]  { A = ast_unary(ctx, OP_NEG, O, X); }
expr(A) ::= PLUS expr(X). [UMINUS]      { A = X; }

expr(A) ::= expr(X) IS(O) NULL(E).          { A = ast_is(ctx, X, O, false, LIT_NULL); A->end = E.pos + E.n; }
expr(A) ::= expr(X) IS(O) NOT NULL(E).      { A = ast_is(ctx, X, O, true, LIT_NULL); A->end = E.pos + E.n; }
expr(A) ::= expr(X) IS(O) TRUE(E).          { A = ast_is(ctx, X, O, false, LIT_TRUE); A->end = E.pos + E.n; }
expr(A) ::= expr(X) IS(O) NOT TRUE(E).      { A = ast_is(ctx, X, O, true, LIT_TRUE); A->end = E.pos + E.n; }
expr(A) ::= expr(X) IS(O) FALSE(E).         { A = ast_is(ctx, X, O, false, LIT_FALSE); A->end = E.pos + E.n; }
expr(A) ::= expr(X) IS(O) NOT FALSE(E).     { A = ast_is(ctx, X, O, true, LIT_FALSE); A->end = E.pos + E.n; }
/* IS [NOT] UNKNOWN: a BOOLEAN's NULL (SQL's third truth value) */
expr(A) ::= expr(X) IS(O) UNKNOWN(E).       { A = ast_is(ctx, X, O, false, LIT_NULL); A->flags = 1; A->end = E.pos + E.n; }
expr(A) ::= expr(X) IS(O) NOT UNKNOWN(E).   { A = ast_is(ctx, X, O, true, LIT_NULL); A->flags = 1; A->end = E.pos + E.n; }
expr(A) ::= expr(X) BETWEEN(O) expr(Y) AND expr(Z).     { A = ast_between(ctx, X, O, false, Y, Z); }
expr(A) ::= expr(X) BETWEEN(O) ASYMMETRIC expr(Y) AND expr(Z).     { A = ast_between(ctx, X, O, false, Y, Z); }
expr(A) ::= expr(X) BETWEEN(O) SYMMETRIC expr(Y) AND expr(Z).      { A = ast_between(ctx, X, O, false, Y, Z); A->flags = 1; }
expr(A) ::= expr(X) NOT BETWEEN(O) SYMMETRIC expr(Y) AND expr(Z).  { A = ast_between(ctx, X, O, true, Y, Z); A->flags = 1; }
expr(A) ::= expr(X) NOT BETWEEN(O) ASYMMETRIC expr(Y) AND expr(Z). { A = ast_between(ctx, X, O, true, Y, Z); }
expr(A) ::= expr(X) NOT BETWEEN(O) expr(Y) AND expr(Z). { A = ast_between(ctx, X, O, true, Y, Z); }
expr(A) ::= expr(X) IN(O) LP exprlist(L) RP(R).         { A = ast_in(ctx, X, O, false, &L); A->end = R.pos + 1; }
expr(A) ::= expr(X) NOT IN(O) LP exprlist(L) RP(R).     { A = ast_in(ctx, X, O, true, &L); A->end = R.pos + 1; }
/* Subquery predicates: semi and anti joins (bind.c), `(a, b) IN (SELECT x, y …)`. */
expr(A) ::= expr(X) IN(O) LP fullquery(Q) RP(R).        { A = ast_in_query(ctx, X, O, false, Q, R); }
expr(A) ::= expr(X) NOT IN(O) LP fullquery(Q) RP(R).    { A = ast_in_query(ctx, X, O, true, Q, R); }
expr(A) ::= EXISTS(E) LP fullquery(Q) RP(R).            { A = ast_exists(ctx, E, Q, R); }
expr(A) ::= LP(L) expr(X) COMMA exprlist(Y) RP(R).      { A = ast_row(ctx, L, X, &Y, R); }
expr(A) ::= expr(X) LIKE(O) expr(Y).                    { A = ast_like(ctx, X, O, false, Y); }
expr(A) ::= expr(X) NOT LIKE(O) expr(Y).                { A = ast_like(ctx, X, O, true, Y); }

expr(A) ::= CASE(C) case_operand(O) case_list(L) case_else(E) END(N). { A = ast_case(ctx, C, O, &L, E, N); }
%type case_operand {AstExpr*}
case_operand(A) ::= .           { A = NULL; }
case_operand(A) ::= expr(X).    { A = X; }
%type case_list {PtrList}
case_list(A) ::= WHEN expr(W) THEN expr(T).              { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, W); ast_list_push(ctx, &A, T); }
case_list(A) ::= case_list(L) WHEN expr(W) THEN expr(T). { A = L; ast_list_push(ctx, &A, W); ast_list_push(ctx, &A, T); }
%type case_else {AstExpr*}
case_else(A) ::= .              { A = NULL; }
case_else(A) ::= ELSE expr(X).  { A = X; }

expr(A) ::= CAST(C) LP expr(X) AS typetoken(T) RP(R).     { A = ast_cast(ctx, C, false, X, T, R); }
expr(A) ::= TRY_CAST(C) LP expr(X) AS typetoken(T) RP(R). { A = ast_cast(ctx, C, true, X, T, R); }

expr(A) ::= ID(N) LP RP(R).                          { A = ast_func(ctx, N, false, false, NULL, R); }
expr(A) ::= ID(N) LP STAR RP(R).                     { A = ast_func(ctx, N, false, true, NULL, R); }
expr(A) ::= ID(N) LP exprlist(L) RP(R).              { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= ID(N) LP DISTINCT exprlist(L) RP(R).     { A = ast_func(ctx, N, true, false, &L, R); }
expr(A) ::= ID(N) LP ALL exprlist(L) RP(R).          { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= ID(N) LP expr(X) FROM expr(Y) RP(R).     { A = ast_func_from(ctx, N, -1, X, Y, NULL, R); }
expr(A) ::= ID(N) LP expr(X) FROM expr(Y) FOR expr(Z) RP(R). { A = ast_func_from(ctx, N, -1, X, Y, Z, R); }
expr(A) ::= ID(N) LP trimspec(S) expr(X) FROM expr(Y) RP(R). { A = ast_func_from(ctx, N, S, X, Y, NULL, R); }
expr(A) ::= ID(N) LP trimspec(S) FROM expr(Y) RP(R). { A = ast_func_from(ctx, N, S, NULL, Y, NULL, R); }
/* The everyday library's special forms: EXTRACT(unit FROM x) is the FROM
 * form above; POSITION(x IN y) takes a column, literal or call after IN
 * (a parenthesised y would read as an IN list); LEFT and RIGHT stay join
 * words and are functions only before `(`; the JSON functions' clauses. */
expr(A) ::= ID(N) LP expr(X) IN posarg(Y) RP(R).     { A = ast_func_in(ctx, N, X, Y, R); }
%type posarg {AstExpr*}
posarg(A) ::= nm(N).                     { A = ast_column(ctx, NULL, N); }
posarg(A) ::= nm(Q) DOT nm(N).           { A = ast_column(ctx, &Q, N); }
posarg(A) ::= STRING(T).                 { A = ast_literal(ctx, LIT_STRING, T); }
posarg(A) ::= ID(N) LP exprlist(L) RP(R). { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= LEFT(N) LP exprlist(L) RP(R).    { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= RIGHT(N) LP exprlist(L) RP(R).   { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= IF(N) LP exprlist(L) RP(R).      { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= CURRENT_TIMESTAMP(N).            { A = ast_func(ctx, N, false, false, NULL, N); }
expr(A) ::= LOCALTIMESTAMP(N).               { A = ast_func(ctx, N, false, false, NULL, N); }
expr(A) ::= CURRENT_DATE(N).                 { A = ast_func(ctx, N, false, false, NULL, N); }
expr(A) ::= ID(N) LP exprlist(L) jclauses(C) RP(R).  { A = ast_func_json(ctx, N, &L, &C, R); }
expr(A) ::= JSON_OBJECT(N) LP RP(R).                 { A = ast_func(ctx, N, false, false, NULL, R); }
expr(A) ::= JSON_OBJECT(N) LP jkvs(L) RP(R).         { A = ast_func(ctx, N, false, false, &L, R); }
expr(A) ::= JSON_OBJECT(N) LP jkvs(L) jonnull(F) RP(R). { JsonClauses c = {.flags = F}; A = ast_func_json(ctx, N, &L, &c, R); }
%type jkvs {PtrList}
jkvs(A) ::= jkv(P).                      { A = P; }
jkvs(A) ::= jkvs(L) COMMA jkv(P).        { A = L; ast_list_push(ctx, &A, P.v[0]); ast_list_push(ctx, &A, P.v[1]); }
%type jkv {PtrList}
jkv(A) ::= KEY expr(K) VALUE expr(V).    { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, K); ast_list_push(ctx, &A, V); }
jkv(A) ::= expr(K) VALUE expr(V).        { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, K); ast_list_push(ctx, &A, V); }
%type jonnull {int}
jonnull(A) ::= NULL ON NULL.             { A = 1 << 10; }
jonnull(A) ::= ABSENT ON NULL.           { A = 2 << 10; }
%type jclauses {JsonClauses}
jclauses(A) ::= jclause(C).              { A = C; }
jclauses(A) ::= jclauses(L) jclause(C).  { A = ast_json_merge(ctx, L, C, ctx->tok_pos); }
%type jclause {JsonClauses}
/* `RETURNING t WITH …`: WITH LOCAL TIME ZONE or a WITH … WRAPPER clause (shift, then either) */
jclause(A) ::= RETURNING typetoken(T). [OR] { memset(&A, 0, sizeof A); A.flags = JF_RETURNING; A.ret = T; }
jclause(A) ::= RETURNING typetoken(T) WITH jarray WRAPPER.   { memset(&A, 0, sizeof A); A.flags = JF_RETURNING | 2 << 8; A.ret = T; }
jclause(A) ::= RETURNING typetoken(T) WITH UNCONDITIONAL jarray WRAPPER. { memset(&A, 0, sizeof A); A.flags = JF_RETURNING | 2 << 8; A.ret = T; }
jclause(A) ::= RETURNING typetoken(T) WITH CONDITIONAL jarray WRAPPER.   { memset(&A, 0, sizeof A); A.flags = JF_RETURNING | 1 << 8; A.ret = T; }
jclause(A) ::= jonnull(F).               { memset(&A, 0, sizeof A); A.flags = F; }
jclause(A) ::= NULL ON EMPTY.            { memset(&A, 0, sizeof A); A.flags = JB_NULL; }
jclause(A) ::= NULL ON ERROR.            { memset(&A, 0, sizeof A); A.flags = JB_NULL << 4; }
jclause(A) ::= jbehav(B) ON EMPTY.       { A = B; }
jclause(A) ::= jbehav(B) ON ERROR.       { A = B; A.flags <<= 4; A.def_error = A.def_empty; A.def_empty = NULL; }
jclause(A) ::= WITHOUT jarray WRAPPER.   { memset(&A, 0, sizeof A); }
jclause(A) ::= WITH jarray WRAPPER.      { memset(&A, 0, sizeof A); A.flags = 2 << 8; }
jclause(A) ::= WITH UNCONDITIONAL jarray WRAPPER. { memset(&A, 0, sizeof A); A.flags = 2 << 8; }
jclause(A) ::= WITH CONDITIONAL jarray WRAPPER.   { memset(&A, 0, sizeof A); A.flags = 1 << 8; }
jarray ::= .
jarray ::= ARRAY.
%type jbehav {JsonClauses}
jbehav(A) ::= ERROR.                     { memset(&A, 0, sizeof A); A.flags = JB_ERROR; }
jbehav(A) ::= DEFAULT expr(X).           { memset(&A, 0, sizeof A); A.flags = JB_DEFAULT; A.def_empty = X; }
jbehav(A) ::= TRUE.                      { memset(&A, 0, sizeof A); A.flags = JB_TRUE; }
jbehav(A) ::= FALSE.                     { memset(&A, 0, sizeof A); A.flags = JB_FALSE; }
jbehav(A) ::= UNKNOWN.                   { memset(&A, 0, sizeof A); A.flags = JB_UNKNOWN; }
jbehav(A) ::= EMPTY ARRAY.               { memset(&A, 0, sizeof A); A.flags = JB_EMPTY_ARRAY; }
jbehav(A) ::= EMPTY OBJECT.              { memset(&A, 0, sizeof A); A.flags = JB_EMPTY_OBJECT; }
/* Window functions: `f(…) OVER (…)`, `f(…) OVER w` (ROW_NUMBER, RANK,
 * aggregates); the builder checks that f(…) is a call. */
expr(A) ::= expr(F) OVER(O) LP windef(W) RP(R).   { A = ast_over(ctx, F, O, W, R); }
expr(A) ::= expr(F) OVER(O) nm(N).                { A = ast_over(ctx, F, O, ast_windef(ctx, O, &N, NULL, NULL, NULL), N); }
/* An aggregate's filter: `COUNT(*) FILTER (WHERE x > 0)`. */
expr(A) ::= expr(F) FILTER(K) LP WHERE expr(W) RP(R). { A = ast_agg_filter(ctx, F, K, W, R); }
%type windef {AstWindowDef*}
/* (No `OVER (w ORDER BY …)`: an identifier first would take PARTITION,
 * which falls back to one, as a window name.) */
windef(A) ::= wpartition(P) worder(O) wframe(F). { A = ast_windef(ctx, P.tok, NULL, &P.list, &O, F); }
%type wpartition {AstGroupBy}
wpartition(A) ::= .                             { memset(&A, 0, sizeof A); }
wpartition(A) ::= PARTITION(P) BY exprlist(L).  { A.tok = P; A.list = L; }
%type worder {PtrList}
worder(A) ::= .                                 { memset(&A, 0, sizeof A); }
worder(A) ::= ORDER BY orderlist(L).            { A = L; }
%type orderlist {PtrList}
orderlist(A) ::= orderitem(I).                  { memset(&A, 0, sizeof A); ast_list_push(ctx, &A, I); }
orderlist(A) ::= orderlist(L) COMMA orderitem(I). { A = L; ast_list_push(ctx, &A, I); }
%type orderitem {AstOrderItem*}
orderitem(A) ::= expr(X) orderdir(D) nullsorder(N). { A = ast_order_item(ctx, X, D, N); }
%type orderdir {int}
orderdir(A) ::= .          { A = 0; }
orderdir(A) ::= ASC.       { A = 0; }
orderdir(A) ::= DESC.      { A = 1; }
%type nullsorder {int}
nullsorder(A) ::= .            { A = 0; }
nullsorder(A) ::= NULLS FIRST. { A = 1; }
nullsorder(A) ::= NULLS LAST.  { A = 2; }
%type wframe {AstFrame*}
wframe(A) ::= .                                          { A = NULL; }
wframe(A) ::= ROWS(T) fbound(L).                         { A = ast_frame(ctx, T, true, L, NULL); }
wframe(A) ::= RANGE(T) fbound(L).                        { A = ast_frame(ctx, T, false, L, NULL); }
wframe(A) ::= ROWS(T) BETWEEN fbound(L) AND fbound(H).   { A = ast_frame(ctx, T, true, L, H); }
wframe(A) ::= RANGE(T) BETWEEN fbound(L) AND fbound(H).  { A = ast_frame(ctx, T, false, L, H); }
%type fbound {AstFrameBound*}
fbound(A) ::= UNBOUNDED(T) PRECEDING.   { A = ast_fbound(ctx, T, FB_UNBOUNDED_PRECEDING, NULL); }
fbound(A) ::= UNBOUNDED(T) FOLLOWING.   { A = ast_fbound(ctx, T, FB_UNBOUNDED_FOLLOWING, NULL); }
fbound(A) ::= CURRENT(T) ROW.           { A = ast_fbound(ctx, T, FB_CURRENT_ROW, NULL); }
fbound(A) ::= expr(X) PRECEDING(T).     { A = ast_fbound(ctx, T, FB_PRECEDING, X); }
fbound(A) ::= expr(X) FOLLOWING(T).     { A = ast_fbound(ctx, T, FB_FOLLOWING, X); }

%type trimspec {int}
trimspec(A) ::= BOTH.       { A = TRIM_BOTH; }
trimspec(A) ::= LEADING.    { A = TRIM_LEADING; }
trimspec(A) ::= TRAILING.   { A = TRIM_TRAILING; }
