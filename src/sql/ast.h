/*
 * ast.h — the syntax tree the parser builds.
 *
 * The AST knows no types, no catalog and no Kafka: it is what was written,
 * with the byte offset of each construct so later stages can point at it.
 * All nodes live in the statement arena owned by the parse context.
 * Builders (ast_*) are called from the grammar actions in grammar/parser.y,
 * so the grammar stays thin.
 */
#ifndef EDDY_AST_H
#define EDDY_AST_H

#include <stdbool.h>
#include <stdint.h>
#include "arena.h"

/* A token as the lexer hands it to the parser. */
typedef struct Token {
    const char *z;        /* first byte in the source */
    int         n;        /* length in bytes */
    int         pos;      /* byte offset of z in the source */
} Token;

typedef enum AstExprKind {
    AX_LITERAL,           /* lit, text, ival/dval */
    AX_COLUMN,            /* qual (may be NULL), name */
    AX_UNARY,             /* op (OP_NEG, OP_NOT), a */
    AX_BINARY,            /* op, a, b */
    AX_IS,                /* a IS [NOT] {NULL|TRUE|FALSE}: lit says which, negated */
    AX_BETWEEN,           /* a [NOT] BETWEEN b AND c */
    AX_IN,                /* a [NOT] IN (args) */
    AX_LIKE,              /* a [NOT] LIKE b */
    AX_FUNC,              /* name(args), distinct, star = COUNT(*) form; flags for TRIM; c = FILTER (WHERE c) */
    AX_CASE,              /* CASE [a] WHEN args[2i] THEN args[2i+1] … [ELSE b] END */
    AX_CAST,              /* CAST(a AS type), try_ for TRY_CAST */
    /* Subquery predicates (bind.c: semi / anti joins), and the row a multi-column IN tests. */
    AX_IN_QUERY,          /* a [NOT] IN (sub): a may be an AX_ROW */
    AX_EXISTS,            /* EXISTS (sub) */
    AX_ROW,               /* (args…): a row of two or more values, only before IN (SELECT …) */
    /* Nested data: */
    AX_FIELD,             /* a.name: a field of a ROW value (name at text_pos) */
    AX_ITEM,              /* a[b]: an ARRAY element or a MAP value */
    AX_CTOR,              /* ROW(args), ARRAY[args], MAP[args]: flags = AstNest */
} AstExprKind;

typedef enum AstOp {
    OP_NONE = 0,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_CONCAT,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_AND, OP_OR,
    OP_NOT, OP_NEG,
} AstOp;

typedef enum LitKind {
    LIT_NULL, LIT_TRUE, LIT_FALSE, LIT_INT, LIT_DECIMAL, LIT_DOUBLE, LIT_STRING,
    LIT_DATE, LIT_TIMESTAMP, LIT_INTERVAL,
} LitKind;

/* TRIM flavours, kept in AstExpr.flags. */
enum { TRIM_BOTH = 0, TRIM_LEADING = 1, TRIM_TRAILING = 2 };

/* Nested types as written. */
typedef enum AstNest { NEST_NONE = 0, NEST_ROW, NEST_ARRAY, NEST_MAP } AstNest;

/* A type as written: the name and its parenthesised parameters. */
typedef struct AstType AstType;
struct AstType {
    const char *name;     /* e.g. "DECIMAL" (as written) */
    int         pos;      /* offset of the name */
    int         nparams;  /* 0..2 */
    int         p1, p2;   /* parameters */
    bool        ltz;      /* WITH LOCAL TIME ZONE */
    AstNest     nest;     /* ROW<…>, ARRAY<…>, MAP<…>: elems are the fields / element / key and value */
    AstType    *elems;    /* nested: the element types */
    int         nelems;   /* count */
    bool        not_null; /* an element type written with NOT NULL */
    const char *field;    /* a ROW field's name (elements of a ROW), else NULL */
    int         field_pos;/* its offset */
};

typedef struct AstExpr AstExpr;
typedef struct AstWindowDef AstWindowDef;
typedef struct AstSelect AstSelect;
struct AstExpr {
    AstExprKind kind;     /* which of the shapes above */
    int         pos;      /* offset of the token that best names this expression */
    int         end;      /* offset just past its last token (for quoting) */
    AstOp       op;       /* UNARY/BINARY operator */
    bool        negated;  /* NOT BETWEEN / NOT IN / NOT LIKE / IS NOT */
    bool        distinct; /* COUNT(DISTINCT x) */
    bool        star;     /* COUNT(*) */
    bool        try_;     /* TRY_CAST */
    int         flags;    /* TRIM_* for TRIM */
    const char *qual;     /* column qualifier (table alias), or NULL */
    const char *name;     /* column or function name */
    LitKind     lit;      /* literal kind (also IS NULL/TRUE/FALSE) */
    const char *text;     /* literal text: unescaped string, number as written, an interval's value */
    AstExpr    *a, *b, *c;/* operands */
    AstExpr   **args;     /* function arguments, IN list, CASE when/then pairs */
    int         nargs;    /* count of args */
    AstType     type;     /* CAST target */
    /* INTERVAL literals: the unit is `name` (at offset `flags`), the value `text`. */
    const char *unit_to;  /* the end unit of `unit TO unit_to` (MINUTE TO SECOND), or NULL */
    int         unit_to_pos; /* its offset */
    int         text_pos; /* offset of the value's string literal */
    int         depth;    /* levels of nesting, itself included (ast.c: at most EXPR_MAX_DEPTH) */
    AstWindowDef *over;   /* AX_FUNC: `f(…) OVER (…)` / `OVER w`, else NULL */
    AstSelect  *sub;      /* AX_IN_QUERY, AX_EXISTS: the subquery */
};

/* One ORDER BY item of a window: expr [ASC|DESC] [NULLS FIRST|LAST]. */
typedef struct AstOrderItem {
    AstExpr    *expr;     /* the sort key */
    bool        desc;     /* DESC */
    int         nulls;    /* 0 = default (ASC: first, DESC: last), 1 = NULLS FIRST, 2 = NULLS LAST */
    int         pos;      /* offset of the item */
} AstOrderItem;

/* A frame bound: UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, … */
typedef enum { FB_UNBOUNDED_PRECEDING, FB_PRECEDING, FB_CURRENT_ROW, FB_FOLLOWING, FB_UNBOUNDED_FOLLOWING } FrameBoundKind;
typedef struct AstFrameBound {
    FrameBoundKind kind;  /* which bound */
    AstExpr    *offset;   /* n / INTERVAL … for FB_PRECEDING and FB_FOLLOWING */
    int         pos;      /* offset of the bound */
} AstFrameBound;

/* ROWS | RANGE [BETWEEN lo AND hi] (a single bound is `BETWEEN lo AND CURRENT ROW`). */
typedef struct AstFrame {
    bool        rows;     /* ROWS (else RANGE) */
    AstFrameBound *lo;    /* lower bound */
    AstFrameBound *hi;    /* upper bound (CURRENT ROW when written as a single bound) */
    int         pos;      /* offset of ROWS / RANGE */
} AstFrame;

/* A window specification, `OVER (…)` or `WINDOW name AS (…)`. */
struct AstWindowDef {
    const char   *name;   /* WINDOW name AS (…): the name, else NULL */
    const char   *ref;    /* `OVER w` / `(w ORDER BY …)`: the named window it starts from, or NULL */
    int           ref_pos;/* offset of ref */
    AstExpr     **partition; /* PARTITION BY expressions */
    int           npartition; /* count */
    AstOrderItem **order; /* ORDER BY items */
    int           norder; /* count */
    AstFrame     *frame;  /* ROWS / RANGE frame, or NULL */
    int           pos;    /* offset of the specification */
};

/* The deepest expression eddy takes: every recursive pass over expressions
 * stays within it (the stack it needs at that depth: tests/embed/test_deep.c). */
#define EXPR_MAX_DEPTH 1000

typedef struct AstColumnDef {
    const char *name;     /* column name */
    int         pos;      /* offset of the name */
    AstType     type;     /* declared type (unused for computed columns) */
    bool        not_null; /* NOT NULL */
    bool        pk;       /* PRIMARY KEY NOT ENFORCED on the column */
    bool        pk_enforced; /* PRIMARY KEY written without NOT ENFORCED */
    int         pk_pos;   /* offset of PRIMARY */
    AstExpr    *computed; /* `name AS expr`, or NULL */
    bool        metadata; /* METADATA [FROM 'key'] [VIRTUAL] */
    const char *meta_key; /* the FROM key, or NULL = the column name */
    int         meta_pos; /* offset of the key string (or of METADATA) */
    bool        virtual_; /* VIRTUAL: read-only, not written by sinks */
} AstColumnDef;

typedef struct AstOption {
    const char *key;      /* unescaped option name */
    const char *value;    /* unescaped value */
    int         pos;      /* offset of the key literal */
    int         vpos;     /* offset of the value literal */
} AstOption;

/* One element of a CREATE TABLE body, in the order written. */
typedef enum { TE_COLUMN, TE_PRIMARY_KEY, TE_WATERMARK } TableElemKind;
typedef struct AstTableElem {
    TableElemKind kind;   /* which element */
    int           pos;    /* offset of the element */
    AstColumnDef *col;    /* TE_COLUMN */
    const char  **names;  /* TE_PRIMARY_KEY columns */
    int          *npos;   /* their offsets */
    int           nnames; /* count */
    bool          enforced; /* TE_PRIMARY_KEY written without NOT ENFORCED */
    const char   *wm_col; /* TE_WATERMARK column */
    AstExpr      *wm_expr;/* TE_WATERMARK strategy expression */
} AstTableElem;


typedef struct AstSelItem {
    AstExpr    *expr;     /* NULL for * */
    const char *alias;    /* AS alias, or NULL */
    bool        star;     /* * or qual.* */
    const char *star_qual;/* qualifier of qual.* */
    int         pos;      /* offset of the item */
} AstSelItem;

/* One argument of a window table function, positional or `NAME => value`. */
typedef struct AstWinArg {
    const char *name;     /* DATA, TIMECOL, SIZE, …; NULL = positional */
    int         pos;      /* offset of the argument (its name when named) */
    const char *table;    /* `TABLE t`: the table, else NULL */
    AstExpr   **partition;/* `TABLE t PARTITION BY k, …` (SESSION) */
    int         npartition; /* count */
    AstExpr    *expr;     /* any other argument: DESCRIPTOR(col) (a call), an interval */
} AstWinArg;

typedef struct AstJoin AstJoin;

typedef struct AstFrom {
    AstJoin    *join;     /* a join of two FROM items (then nothing else below is set but pos), or NULL */
    const char *table;    /* table name, or NULL for a subquery */
    const char *winfn;    /* FROM TABLE(TUMBLE(…)): the window function's name, else NULL */
    AstWinArg **winargs;  /* its arguments */
    int         nwinargs; /* count */
    AstSelect  *sub;      /* subquery */
    const char *alias;    /* alias, or NULL */
    AstExpr    *as_of;    /* `table FOR SYSTEM_TIME AS OF expr` (a temporal join's versioned table): expr, or NULL */
    int         pos;      /* offset of the table name or '(' */
    /* `VALUES (…), (…)` as a FROM item (also SELECT without FROM: one row of no columns). */
    AstExpr  ***values;   /* rows, each nvalcols expressions; NULL = not VALUES */
    int         nvalues;  /* row count */
    int         nvalcols; /* columns per row */
    const char **colnames;/* `AS t(a, b)` / a CTE's or view's column list: the item's columns renamed, or NULL */
    int          ncolnames; /* count */
    int          colnames_pos; /* offset of the list */
    AstExpr     *unnest;  /* `UNNEST(expr) [AS t(cols)]`: the ARRAY or MAP it expands (the right of a join), else NULL */
} AstFrom;

/* Join types as written (JOIN_CROSS: `a, b` or `a CROSS JOIN b`, no condition). */
typedef enum AstJoinType { AJ_INNER, AJ_LEFT, AJ_RIGHT, AJ_FULL, AJ_CROSS } AstJoinType;

/* `left [INNER|LEFT|RIGHT|FULL [OUTER]] JOIN right ON cond | USING (cols)`,
 * `left CROSS JOIN right`, `left, right`. */
struct AstJoin {
    AstJoinType  type;    /* which join */
    bool         comma;   /* written `left, right` */
    int          pos;     /* offset of JOIN (of the comma) */
    AstFrom      left;    /* the left input (may itself be a join) */
    AstFrom      right;   /* the right input */
    AstExpr     *on;      /* ON condition, or NULL */
    const char **using_;  /* USING columns, or NULL */
    int         *using_pos; /* their offsets */
    int          nusing;  /* count */
};

/* One common table expression: `name [(cols)] AS (query)`. */
typedef struct AstCte {
    const char  *name;    /* its name */
    int          pos;     /* offset of the name */
    const char **cols;    /* column list, or NULL */
    int          ncols;   /* count */
    AstSelect   *query;   /* its query */
} AstCte;

struct AstSelect {
    int          pos;     /* offset of SELECT */
    AstCte     **ctes;    /* `WITH a AS (…), b AS (…) query`: the CTEs (visible in the query and to later CTEs), or NULL */
    int          nctes;   /* count */
    bool         distinct;/* SELECT DISTINCT */
    AstSelItem **items;   /* select list */
    int          nitems;  /* count */
    AstFrom      from;    /* the one input */
    AstExpr     *where;   /* or NULL */
    AstExpr    **groupby; /* GROUP BY expressions */
    int          ngroupby;/* count (0 = no GROUP BY) */
    int          groupby_pos; /* offset of GROUP */
    AstExpr     *having;  /* or NULL */
    int64_t      limit;   /* LIMIT n, or -1 */
    /* `left UNION [ALL] right`: a node with only these set (and pos). */
    AstSelect   *union_left;  /* the query before UNION, or NULL for a plain SELECT */
    AstSelect   *union_right; /* the SELECT after it */
    bool         union_all;   /* UNION ALL (else UNION: duplicates removed) */
    int          union_pos;   /* offset of UNION */
    AstWindowDef **windows;   /* WINDOW w AS (…), … */
    int          nwindows;    /* count */
};

typedef enum AstStmtKind {
    STMT_CREATE_TABLE, STMT_DROP_TABLE, STMT_INSERT, STMT_SELECT, STMT_SET, STMT_RESET,
    STMT_SHOW_TABLES, STMT_DESCRIBE, STMT_EXPLAIN, STMT_SHOW_JOBS, STMT_STOP_JOB, STMT_SHOW_JOB,
    /* statements of the views / statement sets / SHOW issue (bind_stmt.c, engine.c) */
    STMT_CREATE_VIEW,     /* CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] AS query */
    STMT_DROP_VIEW,       /* DROP [TEMPORARY] VIEW [IF EXISTS] name */
    STMT_STATEMENT_SET,   /* EXECUTE STATEMENT SET BEGIN insert; … END: `set` holds the INSERTs */
    STMT_BEGIN_SET,       /* BEGIN STATEMENT SET (a script's INSERTs up to END form one set) */
    STMT_END_SET,         /* END */
    STMT_SHOW_VIEWS, STMT_SHOW_FUNCTIONS,
    STMT_SHOW_COLUMNS,    /* SHOW COLUMNS FROM name [LIKE 'pattern'] (value = the pattern) */
    STMT_SHOW_CREATE,     /* SHOW CREATE TABLE|VIEW name */
    STMT_CREATE_TABLE_AS, /* CREATE TABLE name [WITH (…)] AS query (query; opts) */
    STMT_CREATE_TABLE_LIKE, /* CREATE TABLE name [(elems)] [WITH (…)] LIKE src [(like options)] */
    STMT_ALTER_SET,       /* ALTER TABLE name SET ('k' = 'v', …) (opts) */
    STMT_ALTER_RESET,     /* ALTER TABLE name RESET ('k', …) (opts, values NULL) */
    STMT_ALTER_RENAME,    /* ALTER TABLE name RENAME TO key */
    STMT_CREATE_FUNCTION, /* CREATE [TEMPORARY] FUNCTION [IF NOT EXISTS] name AS 'lib.so:symbol' [LANGUAGE C]
                             (value = the AS text, like = the language or NULL) */
    STMT_DROP_FUNCTION,   /* DROP [TEMPORARY] FUNCTION [IF EXISTS] name */
} AstStmtKind;

typedef struct AstStmt AstStmt;
struct AstStmt {
    AstStmtKind   kind;   /* which statement */
    int           pos;    /* offset of its first token */
    int           end;    /* offset just past its last token */
    const char   *name;   /* table name (CREATE/DROP/INSERT/DESCRIBE), job id (STOP JOB) */
    int           name_pos; /* offset of the name */
    bool          if_exists;     /* IF [NOT] EXISTS */
    AstTableElem **elems; /* CREATE TABLE body */
    int           nelems; /* count */
    AstOption   **opts;   /* WITH options */
    int           nopts;  /* count */
    const char  **cols;   /* INSERT INTO t (cols) */
    int          *colpos; /* their offsets */
    int           ncols;  /* count (0 = all columns) */
    AstSelect    *query;  /* INSERT's or SELECT's query */
    const char   *key;    /* SET/RESET key, NULL = all */
    const char   *value;  /* SET value */
    int           value_pos; /* offset of the value */
    AstStmt      *inner;  /* EXPLAIN's statement */
    /* views, statement sets, CREATE TABLE … LIKE / AS */
    bool          temporary; /* CREATE/DROP TEMPORARY VIEW */
    AstStmt     **set;    /* STATEMENT_SET: its INSERTs */
    int           nset;   /* count */
    const char   *like;   /* CREATE TABLE … LIKE: the source table */
    int           like_pos; /* its offset */
    int           like_opts; /* LIKE_* bits: what (INCLUDING|EXCLUDING …) asked for */
    int           query_pos; /* CREATE VIEW / CTAS: offset of the query's first token */
};

/* CREATE TABLE … LIKE options (Flink's defaults: INCLUDING ALL OVERWRITING
 * OPTIONS is INCLUDING everything; EXCLUDING OPTIONS drops the WITH options). */
enum {
    LIKE_EXCL_OPTIONS = 1, LIKE_EXCL_WATERMARKS = 2, LIKE_EXCL_CONSTRAINTS = 4, LIKE_EXCL_GENERATED = 8,
    LIKE_EXCL_METADATA = 16, LIKE_EXCL_ALL = 31,
    /* INCLUDING (not OVERWRITING) a feature: the same feature in both tables is an error (bit << 8) */
    LIKE_STRICT_SHIFT = 8,
    /* no options written: INCLUDING ALL OVERWRITING OPTIONS */
    LIKE_DEFAULT = (LIKE_EXCL_ALL & ~LIKE_EXCL_OPTIONS) << LIKE_STRICT_SHIFT,
};

/* The grammar's view of the parse: statements so far and the first error. */
struct Diag;
typedef struct ParseCtx {
    Arena       *arena;   /* statement arena; everything below lives here */
    const char  *src;     /* the whole source text */
    int          len;     /* its length */
    PtrList      stmts;   /* AstStmt* in order */
    struct Diag *diag;    /* first error */
    int          tok_pos; /* offset of the token being parsed */
    Token        prev;    /* the token before the one being parsed (refusals by name: parse_syntax_error) */
    int          prev_code; /* its token code (0 = none yet) */
} ParseCtx;

/* GROUP BY as the grammar collects it: the GROUP token and the list. */
typedef struct AstGroupBy {
    Token   tok;          /* GROUP */
    PtrList list;         /* AstExpr* */
} AstGroupBy;

/* Builders of the views / VALUES / WITH statements (ast.c). */
AstCte *ast_cte(ParseCtx *c, Token name, PtrList *cols, AstSelect *q);
AstSelect *ast_with(ParseCtx *c, Token with, PtrList *ctes, AstSelect *q);
/* VALUES (…), (…): a SELECT * over the rows (rows: PtrList of PtrList*). */
AstSelect *ast_values(ParseCtx *c, Token kw, PtrList *rows);
/* SELECT list without FROM: over one row of no columns. */
AstSelect *ast_select_nofrom(ParseCtx *c, Token t, bool distinct, PtrList *items, AstExpr *where);
/* An item's column list `AS t(a, b)`. */
void ast_from_colnames(ParseCtx *c, AstFrom *f, PtrList *names);
/* One LIKE option (`INCLUDING ALL`, `EXCLUDING OPTIONS`, `OVERWRITING WATERMARKS`, …; two tokens) applied to bits. */
int ast_like_opt(ParseCtx *c, int bits, const Token *two);
/* A key of ALTER TABLE … RESET ('k', …): an option without value. */
AstOption *ast_option_key(ParseCtx *c, Token k);
/* Names of a name list (Token*) as identifiers. */
const char **ast_names(ParseCtx *c, PtrList *toks, int **pos);

/* Builders, called from grammar actions. */
const char *ast_ident(ParseCtx *c, Token t);     /* unquotes `backticks` */
const char *ast_string(ParseCtx *c, Token t);    /* unescapes 'it''s' */
AstExpr *ast_literal(ParseCtx *c, LitKind k, Token t);
AstExpr *ast_typed_literal(ParseCtx *c, LitKind k, Token kw, Token str);
/* INTERVAL 'text' unit [TO unit2] (unit2 NULL without TO). */
AstExpr *ast_interval(ParseCtx *c, Token kw, Token str, Token unit, Token *unit2);
AstExpr *ast_column(ParseCtx *c, Token *qual, Token name);
AstExpr *ast_unary(ParseCtx *c, AstOp op, Token t, AstExpr *a);
AstExpr *ast_binary(ParseCtx *c, AstOp op, Token t, AstExpr *a, AstExpr *b);
AstExpr *ast_is(ParseCtx *c, AstExpr *a, Token t, bool negated, LitKind what);
AstExpr *ast_between(ParseCtx *c, AstExpr *a, Token t, bool negated, AstExpr *lo, AstExpr *hi);
AstExpr *ast_in(ParseCtx *c, AstExpr *a, Token t, bool negated, PtrList *list);
AstExpr *ast_like(ParseCtx *c, AstExpr *a, Token t, bool negated, AstExpr *pat);
/* `a [NOT] IN (query)`, `EXISTS (query)` (rp: the closing parenthesis), `(x, y, …)`. */
AstExpr *ast_in_query(ParseCtx *c, AstExpr *a, Token t, bool negated, AstSelect *q, Token rp);
AstExpr *ast_exists(ParseCtx *c, Token t, AstSelect *q, Token rp);
AstExpr *ast_row(ParseCtx *c, Token lp, AstExpr *first, PtrList *rest, Token rp);
AstExpr *ast_func(ParseCtx *c, Token name, bool distinct, bool star, PtrList *args, Token rp);
/* SUBSTRING(s FROM a [FOR b]) and TRIM([spec] [chars] FROM s): the name says which. */
AstExpr *ast_func_from(ParseCtx *c, Token name, int trimspec, AstExpr *x, AstExpr *y, AstExpr *z, Token rp);
/* The JSON functions' clauses (RETURNING, ON EMPTY / ON ERROR, WRAPPER, ON NULL) as the grammar collects
 * them; kept in AstExpr.flags / BExpr.flags as JF_* fields. */
typedef struct JsonClauses {
    int      flags;       /* JF_* */
    AstExpr *def_empty;   /* DEFAULT x ON EMPTY */
    AstExpr *def_error;   /* DEFAULT x ON ERROR */
    AstType  ret;         /* RETURNING type (name NULL when absent) */
} JsonClauses;
/* Behaviours ON EMPTY / ON ERROR (JF_ON_EMPTY, JF_ON_ERROR; 0 = the function's default). */
enum { JB_NULL = 1, JB_ERROR, JB_DEFAULT, JB_TRUE, JB_FALSE, JB_UNKNOWN, JB_EMPTY_ARRAY, JB_EMPTY_OBJECT };
#define JF_ON_EMPTY(f)   ((f) & 15)
#define JF_ON_ERROR(f)   (((f) >> 4) & 15)
#define JF_WRAPPER(f)    (((f) >> 8) & 3)     /* 0 WITHOUT, 1 WITH CONDITIONAL, 2 WITH [UNCONDITIONAL] */
#define JF_ON_NULL(f)    (((f) >> 10) & 3)    /* 0 default, 1 NULL ON NULL, 2 ABSENT ON NULL */
#define JF_RETURNING     (1 << 12)
/* `JSON_VALUE(s, p RETURNING INT DEFAULT 0 ON EMPTY)`: args (s, p [, empty default, error default]). */
AstExpr *ast_func_json(ParseCtx *c, Token name, PtrList *args, const JsonClauses *cl, Token rp);
/* JsonClauses a then b (a clause given twice is a syntax error at `at`). */
JsonClauses ast_json_merge(ParseCtx *c, JsonClauses a, JsonClauses b, int at);
/* POSITION(x IN y). */
AstExpr *ast_func_in(ParseCtx *c, Token name, AstExpr *x, AstExpr *y, Token rp);
AstExpr *ast_case(ParseCtx *c, Token t, AstExpr *operand, PtrList *whens, AstExpr *els, Token end);
AstExpr *ast_cast(ParseCtx *c, Token t, bool try_, AstExpr *a, AstType type, Token rp);
AstExpr *ast_paren(ParseCtx *c, Token lp, AstExpr *e, Token rp);
AstType  ast_type(ParseCtx *c, Token name, int nparams, Token *p1, Token *p2);
/* Nested data: ROW<…> / ARRAY<…> / MAP<…> types (elems: AstType* items),
 * `a.b` (a column `a.b` when a is a plain name, else a field of a), a[i],
 * and the constructors ROW(…), ARRAY[…], MAP[…]. */
AstType  ast_type_nested(ParseCtx *c, Token kw, AstNest nest, PtrList *elems);
AstType *ast_type_field(ParseCtx *c, Token *name, AstType t, bool not_null);
AstExpr *ast_dot(ParseCtx *c, AstExpr *a, Token name);
AstExpr *ast_item(ParseCtx *c, AstExpr *a, AstExpr *index, Token rb);
AstExpr *ast_ctor(ParseCtx *c, Token kw, AstNest nest, PtrList *args, Token end);
AstColumnDef *ast_coldef(ParseCtx *c, Token name, AstType type, int cons);
AstColumnDef *ast_computed(ParseCtx *c, Token name, AstExpr *e);
AstColumnDef *ast_metacol(ParseCtx *c, Token name, AstType type, Token meta, Token *key, bool virtual_);
AstTableElem *ast_elem_col(ParseCtx *c, AstColumnDef *col);
AstTableElem *ast_elem_pk(ParseCtx *c, Token t, PtrList *names, bool enforced);
AstTableElem *ast_elem_wm(ParseCtx *c, Token t, Token col, AstExpr *e);
AstOption *ast_option(ParseCtx *c, Token k, Token v);
AstSelItem *ast_selitem(ParseCtx *c, AstExpr *e, Token *alias);
AstSelItem *ast_selstar(ParseCtx *c, Token t, Token *qual);
AstSelect *ast_select(ParseCtx *c, Token t, bool distinct, PtrList *items, AstFrom from,
                      AstExpr *where, Token *group, PtrList *groupby, AstExpr *having, Token *limit);
AstFrom ast_from_table(ParseCtx *c, Token name, Token *alias);
AstFrom ast_from_window(ParseCtx *c, Token fn, PtrList *args, Token *alias);
AstWinArg *ast_winarg_table(ParseCtx *c, Token kw, Token table, PtrList *partition);
AstWinArg *ast_winarg_expr(ParseCtx *c, AstExpr *x);
AstWinArg *ast_winarg_named(ParseCtx *c, Token name, AstWinArg *a);
AstFrom ast_from_sub(ParseCtx *c, Token lp, AstSelect *sub, Token *alias);
AstFrom ast_from_unnest(ParseCtx *c, Token kw, AstExpr *e, Token *alias);
/* `left <type> JOIN right [ON on | USING (names)]`; tok is JOIN (or the comma). */
AstFrom ast_from_versioned(ParseCtx *c, Token name, AstExpr *as_of, Token *alias);
AstFrom ast_from_join(ParseCtx *c, AstFrom left, AstJoinType type, Token tok, bool comma, AstFrom right, AstExpr *on, PtrList *using_);
/* `left UNION [ALL] right`. */
AstSelect *ast_union(ParseCtx *c, AstSelect *left, Token u, bool all, AstSelect *right);
/* Window functions (OVER), the WINDOW clause. */
AstExpr *ast_over(ParseCtx *c, AstExpr *call, Token over, AstWindowDef *w, Token last);
/* `call FILTER (WHERE cond)`: cond becomes the call's c (an aggregate's filter). */
AstExpr *ast_agg_filter(ParseCtx *c, AstExpr *call, Token filter, AstExpr *cond, Token last);
AstWindowDef *ast_windef(ParseCtx *c, Token at, Token *ref, PtrList *partition, PtrList *order, AstFrame *frame);
void ast_windef_name(ParseCtx *c, AstWindowDef *w, Token name);
AstOrderItem *ast_order_item(ParseCtx *c, AstExpr *x, int desc, int nulls);
AstFrame *ast_frame(ParseCtx *c, Token t, bool rows, AstFrameBound *lo, AstFrameBound *hi);
AstFrameBound *ast_fbound(ParseCtx *c, Token t, FrameBoundKind k, AstExpr *offset);
AstStmt *ast_stmt(ParseCtx *c, AstStmtKind k, Token first);
void ast_finish_stmt(ParseCtx *c, AstStmt *s, int end);
void ast_list_push(ParseCtx *c, PtrList *l, void *item);
/* Deep copy of an expression into another arena (catalog tables keep their
 * computed columns and watermarks past the statement's arena). */
AstExpr *ast_expr_copy(Arena *a, const AstExpr *e);
/* Column-def constraint bits for ast_coldef. */
enum { CONS_NOT_NULL = 1, CONS_NULL = 2, CONS_PK = 4, CONS_NOT_ENFORCED = 8 };

#endif
