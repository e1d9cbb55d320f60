/*
 * bind.h — names and types: AST + catalog → bound queries.
 *
 * The binder is the only stage that reads the catalog.  It resolves tables
 * and columns, checks and infers types (Flink's rules), pulls aggregates out
 * of the select list, and rejects what is not SQL eddy can run (unknown
 * names, type mismatches, ungrouped columns, aggregates where none may be).
 * It produces BQuery / BInsert, which the planner turns into operators.
 */
#ifndef EDDY_BIND_H
#define EDDY_BIND_H

#include "ast.h"
#include "catalog.h"
#include "diag.h"
#include "expr.h"

/* A window as TUMBLE / HOP / CUMULATE / SESSION define it (all times in
 * ms).  Windows of a TIMESTAMP_LTZ time attribute align on local time in
 * the plan's table.local-time-zone; of a TIMESTAMP one, on its own value. */
typedef enum WindowKind { WIN_TUMBLE, WIN_HOP, WIN_CUMULATE, WIN_SESSION } WindowKind;

typedef struct WindowSpec {
    WindowKind  kind;     /* which function */
    int64_t     size;     /* TUMBLE/HOP/CUMULATE: window length; SESSION: the gap */
    int64_t     slide;    /* HOP: slide; CUMULATE: step; TUMBLE: = size; SESSION: unused */
    int64_t     offset;   /* alignment offset (TUMBLE, HOP, CUMULATE) */
    int         timecol;  /* input column of the time attribute (the DESCRIPTOR) */
    TimeAttr    time;     /* TA_ROWTIME (watermarks fire windows) or TA_PROCTIME (the job's clock does) */
    bool        ltz;      /* the time attribute is TIMESTAMP_LTZ */
    bool        legacy;   /* written as a GROUP BY TUMBLE(…) group window (EXPLAIN says so) */
} WindowSpec;

typedef struct BQuery BQuery;

/* `agg(…) OVER (PARTITION BY k ORDER BY time ROWS|RANGE BETWEEN … PRECEDING
 * AND CURRENT ROW)` in a select list (bind_over.c): every input row with
 * the aggregates over its frame.  As in Flink, every OVER aggregate of a
 * query uses the same window. */
typedef struct BOver {
    int         pos;      /* offset of the first OVER aggregate */
    int        *partition;/* PARTITION BY input columns */
    int         npartition; /* count */
    int         timecol;  /* the ORDER BY column; -2: a PROCTIME() column (arrival order) */
    TimeAttr    time;     /* TA_ROWTIME, TA_PROCTIME, or TA_NONE: a plain time or integer column (the planner takes it over an updating input only) */
    int         order_pos;/* offset of the ORDER BY item */
    bool        rows;     /* a ROWS frame (else RANGE) */
    int64_t     preceding;/* ROWS: rows before the current one; RANGE: ms before its time; -1 = UNBOUNDED */
    BExpr     **aggs;     /* the aggregate calls, arguments over the input */
    int         naggs;    /* count */
} BOver;

/* `ROW_NUMBER() OVER (PARTITION BY … ORDER BY …)` in a select list, and
 * the enclosing query's filter on it (`WHERE rn <= N`): a Top-N, or a
 * deduplication (bind_over.c).  Columns index the query's input. */
typedef struct BRank {
    int         pos;      /* offset of ROW_NUMBER */
    int        *partition;/* PARTITION BY input columns */
    int         npartition; /* count */
    int        *order;    /* ORDER BY input columns (-2: a PROCTIME() column, the arrival order) */
    bool       *desc;     /* per order column: DESC */
    bool       *nulls_last; /* per order column: NULLs sort last (default: ASC first, DESC last) */
    int         norder;   /* count */
    unsigned char order_time; /* TimeAttr of the ORDER BY column when it is the only one and a time attribute (a deduplication), else TA_NONE */
    int         col;      /* the select item (output column) holding the rank number, -1 once the enclosing query drops it */
    const char *name;     /* its name */
    int64_t     lo, hi;   /* rank range from the enclosing filter (1-based, inclusive); hi < 0: no filter found */
    bool        output;   /* the enclosing query reads the rank number */
} BRank;

/* A regular join's kind (a comma or CROSS JOIN is an inner join; the
 * binder moves WHERE equalities between its sides into its keys).  A semi
 * join (`WHERE x IN (SELECT …)`, `EXISTS (…)`) passes on each left row
 * that meets a right row, an anti join (`NOT IN`, `NOT EXISTS`) each one
 * that meets none: their output is the left side's columns only. */
typedef enum JoinType { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL, JOIN_SEMI, JOIN_ANTI } JoinType;

/* `left JOIN right ON …`: the rows of both sides (each a query whose
 * output is that FROM item's columns) and the condition split into
 * equality keys and the rest. */
typedef struct BJoin {
    JoinType    type;     /* inner, left, right or full outer */
    int         pos;      /* offset of JOIN (or the comma) */
    BQuery     *left;     /* the left side's rows */
    BQuery     *right;    /* the right side's rows */
    BExpr     **lkeys;    /* equality keys over left's output, each of the pair's common type */
    BExpr     **rkeys;    /* the keys they equal, over right's output */
    int         nkeys;    /* count (0: every row of one side meets every row of the other) */
    BExpr      *residual; /* the rest of the condition, over [left…, right…], or NULL */
    /* Semi and anti joins (bind.c, bind_subquery_preds): the query's input
     * is left's output only; NOT IN's comparisons of nullable columns are
     * in residual as `l = r OR l IS NULL OR r IS NULL` (SQL's NULL rules). */
    /* An interval join: the condition bounds the sides' rowtime attributes
     * against each other (lower ≤ ltime − rtime ≤ upper); those
     * comparisons are not in residual. */
    bool        interval; /* it is one */
    int         ltime;    /* the left side's time attribute (a column of left's output) */
    int         rtime;    /* the right side's (a column of right's output) */
    int64_t     lower;    /* ltime − rtime ≥ lower (ms) */
    int64_t     upper;    /* ltime − rtime ≤ upper (ms) */
    /* A temporal join (`right FOR SYSTEM_TIME AS OF left.ltime`): each
     * left row meets the version of the right row of its key valid at its
     * time; rtime is the versioned table's event-time attribute. */
    bool        temporal; /* it is one (inner or left; ltime and rtime set) */
    /* A lookup join (`jdbc_table FOR SYSTEM_TIME AS OF left.proc_time`):
     * each left row meets the database table's rows of its keys now;
     * ltime is the left side's processing-time attribute, every rkey a
     * column of the table. */
    bool        lookup;   /* it is one (inner or left) */
    /* A window join: both sides are the same event-time window table
     * function and the condition equates their window_start and
     * window_end (those equalities are not in the keys). */
    bool        window;   /* it is one */
    int         lwin;     /* the left side's window_start column (window_end, window_time follow) */
    int         rwin;     /* the right side's */
} BJoin;

/* `q CROSS JOIN UNNEST(expr) AS t(…)` (or LEFT JOIN … ON TRUE): the
 * input is [sub's output…, the element's columns…] — an ARRAY's element
 * (a ROW's fields), a MAP's key and value — one row per element, the
 * input row's kind on each. */
typedef struct BUnnest {
    BExpr      *expr;     /* the ARRAY or MAP, over sub's output */
    bool        left;     /* LEFT JOIN: an empty or NULL one gives one row of NULLs */
    int         nout;     /* columns it adds */
    int         pos;      /* offset of UNNEST */
} BUnnest;

struct BQuery {
    int            pos;       /* offset of SELECT */
    const CatTable *table;    /* FROM table, or NULL */
    BQuery        *sub;       /* FROM subquery, or NULL */
    BUnnest       *unnest;    /* sub CROSS JOIN UNNEST(…): the input is sub's output and the elements' columns; or NULL */
    BJoin         *join;      /* FROM a join: the input is [left's output…, right's output…]; or NULL */
    int            from_pos;  /* offset of the FROM item */
    /* The input row: a table's physical and metadata columns in declaration
     * order, or the subquery's output. */
    const char   **in_names;  /* input column names */
    Type          *in_types;  /* input column types */
    int           *in_cols;   /* table input: catalog column index of each input column */
    int            nin;       /* input width */
    BExpr         *wm_expr;   /* table input: the WATERMARK strategy over the input, or NULL */
    int            wm_rowtime;/* input column of the watermark's time attribute (-1 = computed) */
    /* A window table function (or a GROUP BY group window) over the
     * input: then the input's last three columns are window_start,
     * window_end and window_time, which the window operator computes;
     * sub (or table) gives the rest. */
    WindowSpec    *window;    /* or NULL */
    const char    *late_topic;/* late-rows.topic of the table the window's time attribute comes from, or NULL */
    BExpr        **win_partition; /* SESSION's PARTITION BY, over the input */
    int            nwin_partition; /* count */
    int            win_pos;   /* offset of the window function (or group window) */
    BExpr         *where;     /* over the input, or NULL */
    bool           is_agg;    /* GROUP BY, aggregates, HAVING or DISTINCT */
    BExpr        **keys;      /* group keys over the input */
    int            nkeys;     /* count */
    BExpr        **aggs;      /* BX_AGG calls, arguments over the input */
    int            naggs;     /* count */
    BExpr         *having;    /* over [keys…, aggs…], or NULL */
    BExpr        **out;       /* select list: over the input, or over [keys…, aggs…] when is_agg */
    const char   **out_names; /* output column names */
    int           *out_pos;   /* offset of each select item */
    int            nout;      /* output width */
    int64_t        limit;     /* LIMIT, or -1 */
    /* UNION ALL: the queries whose rows it passes on, each with the union's
     * column types (a branch column of another type is CAST in the
     * branch's select list); out is then the union's row as is. */
    BQuery       **branches;  /* or NULL */
    int            nbranches; /* count (0 = not a union) */
    /* FROM VALUES (and SELECT without FROM: one row of no columns): the
     * rows, each nin constant expressions of the input's types. */
    BExpr       ***values;    /* or NULL */
    int            nvalues;   /* row count */
    /* ROW_NUMBER() OVER (…) among the select items (bind_over.c): out
     * reads the rank number as input column nin; or NULL. */
    BRank         *rank;
    /* OVER aggregates among the select items (bind_over.c): out reads
     * aggregate i as input column nin + i; or NULL. */
    BOver         *over;
};

typedef struct BInsert {
    const CatTable *table;    /* target */
    int            name_pos;  /* offset of the target name */
    BQuery        *query;     /* the SELECT */
    int           *sinkcols;  /* catalog column index of each written column */
    int           *map;       /* for each written column, the query output index, or -1 = NULL */
    int            nsink;     /* number of written columns */
} BInsert;

/* The common table expressions a query sees: innermost first, each
 * linked to the ones before it (which its own query sees). */
typedef struct CteScope {
    const AstCte          *cte;   /* the CTE */
    const struct CteScope *up;    /* those visible to it, or NULL */
} CteScope;

typedef struct BindCtx {
    Arena         *arena;     /* where bound trees are allocated (the plan's arena) */
    const Catalog *catalog;   /* tables by name */
    Diag          *diag;      /* first error */
    const CteScope *ctes;     /* WITH names in scope, or NULL */
    struct BindOverItem *over;/* while binding a select item that holds OVER aggregates: its query and WINDOW clause (bind_over.c), else NULL */
    /* A subquery of `WHERE … IN (SELECT …)` / `EXISTS (…)`: the enclosing
     * query's scope, which the subquery's own WHERE may read (correlated
     * columns, bound as BIND_OUTER + column); corr is handed to the
     * subquery's SELECT, outer is set while its WHERE is bound. */
    const struct Scope *corr; /* for the next SELECT bound, or NULL */
    const struct Scope *outer;/* while binding a WHERE that may correlate, or NULL */
} BindCtx;

/* Columns of an enclosing query read by a subquery's WHERE: BIND_OUTER + its column. */
#define BIND_OUTER (1 << 24)

/* CREATE TABLE: validates columns, keys, watermark and WITH options and
 * returns a new catalog table (the caller adds it).  0 or a DIAG_* code. */
int bind_create_table(const Catalog *cat, const AstStmt *s, Diag *d, CatTable **out);
int bind_query(BindCtx *c, const AstSelect *sel, BQuery **out);
int bind_insert(BindCtx *c, const AstStmt *s, BInsert **out);
/* The columns a sink writes: physical and non-virtual metadata columns. */
bool bind_is_sink_column(const CatColumn *col);

/* ---- WITH, VALUES, views (bind_stmt.c) ---- */

/* `WITH … query`: binds query with the CTEs in scope. */
int bind_with(BindCtx *c, const AstSelect *sel, BQuery **out);
/* A FROM name that is a CTE in scope or a view: 1 with *ex the item as a
 * subquery (alias = the name unless aliased, columns renamed as declared),
 * *scope the CTEs its query sees and *view the view (NULL for a CTE);
 * 0 when it is neither. */
int bind_named_item(BindCtx *c, const AstFrom *f, AstFrom *ex, const CteScope **scope, const CatView **view);
/* FROM VALUES: rows into q (values, nvalues, nin, in_names, in_types), the
 * columns of a type common to every row (Flink's least restrictive type),
 * named EXPR$0, EXPR$1, …  0 or a DIAG_* code. */
int bind_values(BindCtx *c, const AstFrom *f, BQuery *q);
/* The candidate nearest to name by edit distance, when near enough to be a
 * typo (case differences count 0), else NULL. */
const char *bind_suggest(const char *name, const char *const *cands, int n);
/* " (did you mean 'x'?)" for an unknown table or view, or function; or "". */
const char *bind_table_hint(BindCtx *c, const char *name);
const char *bind_function_hint(BindCtx *c, const char *name);
/* Helpers bind_stmt.c shares with bind.c: an expression over no columns,
 * and a CAST to t (e itself when of t already). */
BExpr *bind_scalar(BindCtx *c, const AstExpr *x);
BExpr *bind_cast(BindCtx *c, BExpr *e, Type t);

#endif
