/*
 * func.h — the built-in functions: one declarative table of names, arities,
 * result-type rules and documentation.  The binder looks names up here; the
 * executor dispatches on FuncId.
 */
#ifndef EDDY_FUNC_H
#define EDDY_FUNC_H

#include "diag.h"
#include "eddy.h"
#include "expr.h"

typedef enum FuncId {
    FN_COUNT, FN_SUM, FN_AVG, FN_MIN, FN_MAX,
    FN_ROUND, FN_ABS, FN_FLOOR, FN_CEIL, FN_MOD, FN_POWER,
    FN_UPPER, FN_LOWER, FN_CONCAT, FN_CONCAT_WS, FN_SUBSTRING, FN_TRIM, FN_LTRIM, FN_RTRIM,
    FN_CHAR_LENGTH, FN_TO_TIMESTAMP_LTZ, FN_COALESCE, FN_NULLIF,
    FN_PROCTIME, FN_CURRENT_WATERMARK,
    FN_NOW,
    /* aggregates of issue 20 (exec/agg.c) */
    FN_LISTAGG, FN_FIRST_VALUE, FN_LAST_VALUE, FN_STDDEV_POP, FN_STDDEV_SAMP, FN_VAR_POP, FN_VAR_SAMP,
    FN_CARDINALITY, FN_ELEMENT,   /* nested data (exec/nested.h) */
    /* The everyday library: types in func_lib.c, evaluation in exec/fn_*.c. */
    FN_DATE_FORMAT, FN_EXTRACT, FN_TIMESTAMPADD, FN_TIMESTAMPDIFF, FN_CURRENT_TIMESTAMP, FN_LOCALTIMESTAMP,
    FN_CURRENT_DATE, FN_UNIX_TIMESTAMP, FN_FROM_UNIXTIME, FN_TO_TIMESTAMP, FN_TO_DATE,
    FN_REGEXP_EXTRACT, FN_REGEXP_REPLACE, FN_REGEXP, FN_REPLACE, FN_SPLIT_INDEX, FN_POSITION, FN_LOCATE,
    FN_LPAD, FN_RPAD, FN_REPEAT, FN_REVERSE, FN_INITCAP, FN_LEFT, FN_RIGHT, FN_MD5, FN_SHA256,
    FN_JSON_VALUE, FN_JSON_EXISTS, FN_JSON_QUERY, FN_JSON_OBJECT, FN_JSON_ARRAY,
    FN_IF, FN_IFNULL, FN_GREATEST, FN_LEAST, FN_SIGN, FN_SQRT, FN_LN, FN_LOG10, FN_LOG2, FN_LOG, FN_EXP,
    FN_TRUNCATE, FN_UUID,
    FN_USER,              /* a user-defined scalar function in C (FuncDef.user; exec/fn_user.c) */
} FuncId;

/* What a function is beyond its row (func_flags) */
enum {
    FF_UNIT = 1,          /* the first argument is a time unit word (EXTRACT(YEAR FROM …), TIMESTAMPADD(DAY, …)) */
    FF_NONDET = 2,        /* a new value at every evaluation (UUID(), NOW(), CURRENT_TIMESTAMP): never a constant */
};

/* Time units of EXTRACT, TIMESTAMPADD and TIMESTAMPDIFF (BExpr.flags of the call). */
typedef enum TimeUnit {
    TU_NONE, TU_MICROSECOND, TU_MILLISECOND, TU_SECOND, TU_MINUTE, TU_HOUR, TU_DAY, TU_WEEK, TU_MONTH,
    TU_QUARTER, TU_YEAR, TU_DECADE, TU_CENTURY, TU_MILLENNIUM, TU_DOW, TU_DOY, TU_ISODOW, TU_ISOYEAR, TU_EPOCH,
} TimeUnit;
const char *func_unit_name(int unit);
/* EXPLAIN text of the library's special forms (POSITION(x IN s), JSON clauses, CURRENT_DATE);
 * false for an ordinary call (func_lib.c). */
bool func_print(StrBuf *b, const BExpr *e, const char *const *names);
/* FF_* of a function (func_lib.c). */
int func_flags(const struct FuncDef *fn);

typedef struct FuncDef {
    const char *name;     /* canonical name (upper case) */
    FuncId      id;       /* what the executor runs */
    bool        agg;      /* aggregate function */
    int         minargs;  /* fewest arguments */
    int         maxargs;  /* most arguments, -1 = any */
    /* Sets call->type from the bound arguments; false with a message on a type error. */
    bool (*infer)(BExpr *call, Diag *d);
    const char *doc;      /* one line */
} FuncDef;

/* A user-defined scalar function (CREATE FUNCTION … LANGUAGE C, or
 * eddy_register_function): its row of the function table, and how to call
 * it.  The catalog owns one (udf_new / udf_free); a bound call holds a copy
 * in its plan's arena (udf_copy), so a plan outlives DROP FUNCTION and the
 * engine. */
typedef struct UserFunc {
    FuncDef        def;       /* its row (first member): name, FN_USER, nargs..nargs, finfer_user */
    Type           args[EDDY_UDF_MAX_ARGS]; /* the declared argument types */
    int            nargs;     /* count */
    Type           ret;       /* the result type (nullable) */
    eddy_scalar_fn fn;        /* the C function */
    void          *ctx;       /* its context */
    int            flags;     /* EDDY_FN_* */
    const char    *source;    /* 'lib.so:symbol' of CREATE FUNCTION, or NULL (registered through eddy.h) */
    bool           temporary; /* CREATE TEMPORARY FUNCTION, or registered through eddy.h */
} UserFunc;

/* A new function (malloc'd, names copied); NULL with a message in err when
 * a type is not one a function can take. */
UserFunc *udf_new(const char *name, const eddy_type *args, int nargs, eddy_type ret, eddy_scalar_fn fn, void *ctx, int flags,
                  const char *source, bool temporary, char *err, size_t errlen);
void      udf_free(UserFunc *f);
/* A copy in arena a (what a bound call keeps). */
const FuncDef *udf_copy(Arena *a, const UserFunc *f);
/* Opens the library of spec 'path:symbol' and reads its eddy_udf descriptor
 * into *out; 0, or -1 with a message naming the file or symbol.  The
 * library stays loaded. */
int       udf_load(const char *spec, const eddy_udf **out, char *err, size_t errlen);
bool      finfer_user(BExpr *c, Diag *d);
/* One line of SHOW FUNCTIONS / help: "NAME(ARGS) RETURNS T [from 'lib:sym']". */
void      udf_describe(const UserFunc *f, StrBuf *out);
/* The user function a row stands for (its first member), or NULL for a built-in. */
static inline const UserFunc *func_user(const FuncDef *fn) { return fn->id == FN_USER ? (const UserFunc *)fn : NULL; }

/* Case-insensitive lookup, aliases included (SUBSTR, CEILING, POW, …). */
const FuncDef *func_find(const char *name);
void func_document(StrBuf *out);

/* The common type of arguments from..nargs-1 (type_common over them), or
 * false with "F arguments have no common type: A and B" at the argument. */
bool func_common_type(const BExpr *c, int from, Type *out, Diag *d);
/* Type rules of the everyday library (func_lib.c). */
bool finfer_date_format(BExpr *c, Diag *d);
bool finfer_extract(BExpr *c, Diag *d);
bool finfer_timestampadd(BExpr *c, Diag *d);
bool finfer_timestampdiff(BExpr *c, Diag *d);
bool finfer_now(BExpr *c, Diag *d);
bool finfer_unix_timestamp(BExpr *c, Diag *d);
bool finfer_from_unixtime(BExpr *c, Diag *d);
bool finfer_to_timestamp(BExpr *c, Diag *d);
bool finfer_regexp(BExpr *c, Diag *d);
bool finfer_strfn(BExpr *c, Diag *d);
bool finfer_json(BExpr *c, Diag *d);
bool finfer_if(BExpr *c, Diag *d);
bool finfer_ifnull(BExpr *c, Diag *d);
bool finfer_greatest(BExpr *c, Diag *d);
bool finfer_math(BExpr *c, Diag *d);
bool finfer_uuid(BExpr *c, Diag *d);

#endif
