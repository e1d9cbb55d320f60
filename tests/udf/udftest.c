/*
 * udftest.c — a library of user-defined functions in C for the tests
 * (tests/udf/udf.test, e2e): each exported eddy_udf is what
 * CREATE FUNCTION f AS 'libeddy_udftest.so:<symbol>' LANGUAGE C reads.
 * It includes nothing of eddy's but <eddy.h>, as a user's library would.
 */
#include <eddy.h>
#include <stdio.h>
#include <string.h>

/* count_char(s, c): how many times the first character of c occurs in s
 * (Nexmark q14's CountChar). */
static int count_char_fn(void *ctx, const eddy_value *a, int n, eddy_value *r, char *err, size_t errlen)
{
    (void)ctx, (void)n, (void)err, (void)errlen;
    long long k = 0;
    if (a[1].len)
        for (size_t i = 0; i < a[0].len; i++) k += a[0].s[i] == a[1].s[0];
    r->is_null = 0;
    r->i = k;
    return 0;
}
const eddy_udf count_char = {EDDY_UDF_ABI, EDDY_TYPE_BIGINT, 2, {EDDY_TYPE_STRING, EDDY_TYPE_STRING}, count_char_fn, NULL,
                             EDDY_FN_DETERMINISTIC | EDDY_FN_NULL_ON_NULL};

/* describe(x): sees NULLs (no EDDY_FN_NULL_ON_NULL): 'null' for one, else
 * 'x=<x>' — a string result in the function's own (thread-local) memory. */
static int describe_fn(void *ctx, const eddy_value *a, int n, eddy_value *r, char *err, size_t errlen)
{
    (void)ctx, (void)n, (void)err, (void)errlen;
    static _Thread_local char buf[64];
    int len = a[0].is_null ? snprintf(buf, sizeof buf, "null") : snprintf(buf, sizeof buf, "x=%lld", a[0].i);
    r->is_null = 0;
    r->s = buf;
    r->len = (size_t)len;
    return 0;
}
const eddy_udf describe = {EDDY_UDF_ABI, EDDY_TYPE_STRING, 1, {EDDY_TYPE_BIGINT}, describe_fn, NULL, EDDY_FN_DETERMINISTIC};

/* half(x): x / 2 as a DOUBLE; an error for a negative x. */
static int half_fn(void *ctx, const eddy_value *a, int n, eddy_value *r, char *err, size_t errlen)
{
    (void)ctx, (void)n;
    if (a[0].d < 0) {
        snprintf(err, errlen, "negative input %g", a[0].d);
        return 1;
    }
    r->is_null = 0;
    r->d = a[0].d / 2;
    return 0;
}
const eddy_udf half = {EDDY_UDF_ABI, EDDY_TYPE_DOUBLE, 1, {EDDY_TYPE_DOUBLE}, half_fn, NULL, EDDY_FN_DETERMINISTIC | EDDY_FN_NULL_ON_NULL};

/* too_big(): returns 2^40 as an INT (out of its range: an error). */
static int too_big_fn(void *ctx, const eddy_value *a, int n, eddy_value *r, char *err, size_t errlen)
{
    (void)ctx, (void)a, (void)n, (void)err, (void)errlen;
    r->is_null = 0;
    r->i = 1LL << 40;
    return 0;
}
const eddy_udf too_big = {EDDY_UDF_ABI, EDDY_TYPE_INT, 0, {EDDY_TYPE_NULL}, too_big_fn, NULL, 0};

/* not a descriptor of this version */
const eddy_udf old_abi = {99, EDDY_TYPE_INT, 0, {EDDY_TYPE_NULL}, too_big_fn, NULL, 0};
/* a type a C function cannot take */
const eddy_udf bad_type = {EDDY_UDF_ABI, EDDY_TYPE_DECIMAL, 0, {EDDY_TYPE_NULL}, too_big_fn, NULL, 0};
