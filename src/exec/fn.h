/*
 * fn.h — the everyday function library's evaluation (internal to exec/):
 * eval.c hands every call of a FuncId it does not know itself to
 * fn_eval, which dispatches to fn_time.c, fn_string.c, fn_json.c and
 * fn_math.c.  The helpers below are eval.c's, shared so the function
 * files convert, compare and fail exactly as the rest of the evaluator.
 */
#ifndef EDDY_FN_H
#define EDDY_FN_H

#include "eval.h"
#include "func.h"

int fn_eval(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);
int fn_time(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);
int fn_string(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);
int fn_json(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);
int fn_math(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);
int fn_user(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx);   /* a user-defined function in C (fn_user.c) */

/* Hex digests (fn_hash.c): out gets 32 / 64 hex digits. */
void fn_md5_hex(const unsigned char *s, size_t n, char *out);
void fn_sha256_hex(const unsigned char *s, size_t n, char *out);

/* Shared helpers (fn.c) */
int  fn_fail(EvalCtx *ctx, const BExpr *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Evaluates arguments from..nargs-1 into v; *any_null tells whether one was NULL. */
int  fn_args(const BExpr *e, const Value *row, Value *v, bool *any_null, EvalCtx *ctx);
static inline void fn_null(Value *v) { v->null = 1; v->i = 0; v->n = 0; }
static inline void fn_int(Value *v, int64_t x) { v->null = 0; v->i = x; v->n = 0; }
static inline void fn_dbl(Value *v, double x) { v->null = 0; v->d = x; v->n = 0; }
static inline void fn_str(Value *v, const char *s, int32_t n) { v->null = 0; v->s = s; v->n = n; }
char *fn_alloc(EvalCtx *ctx, size_t n);

/* eval.c's, for these files */
int      eval_coerce(const BExpr *e, Type from, Type to, Value *v, EvalCtx *ctx);
int      eval_cast(const BExpr *e, Type from, Type to, Value *v, bool quiet, EvalCtx *ctx);
int      eval_cmp(Type ta, const Value *a, Type tb, const Value *b);
double   eval_num_to_double(Type t, const Value *v);
bool     eval_parse_timestamp(const char *s, int n, int64_t *ms);
bool     eval_parse_date(const char *s, int n, int64_t *days);
uint32_t eval_cp_upper(uint32_t c);
uint32_t eval_cp_lower(uint32_t c);
int64_t  eval_ltz_to_local(const EvalCtx *ctx, int64_t utc);
int64_t  eval_local_to_ltz(const EvalCtx *ctx, int64_t local);

#endif
