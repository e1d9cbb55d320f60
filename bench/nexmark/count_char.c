/*
 * count_char.c — the user-defined scalar function of Nexmark q14 (Flink's
 * CountChar): count_char(s, c) is how many times the first character (byte)
 * of c occurs in s, as a BIGINT; NULL when either argument is NULL (eddy
 * does not call it then: EDDY_FN_NULL_ON_NULL); 0 when c is empty.
 *
 * A C UDF as include/eddy.h defines them: the library exports an eddy_udf
 * descriptor named `count_char`, which q14.sql loads with
 *   CREATE FUNCTION count_char AS 'count_char.so:count_char' LANGUAGE C;
 * Build: cc -shared -fPIC -O2 -I include -o count_char.so bench/nexmark/count_char.c
 * (bench/nexmark/run.sh does; ctest builds it as libnexmark_count_char.so
 * for tests/sql/nexmark.test's q14 case).
 */
#include <eddy.h>
#include <string.h>

static int count_char_fn(void *ctx, const eddy_value *args, int nargs, eddy_value *result, char *err, size_t errlen)
{
    (void)ctx, (void)nargs, (void)err, (void)errlen;
    long long k = 0;
    if (args[1].len > 0) {
        const char *s = args[0].s, *end = s + args[0].len;
        char ch = args[1].s[0];
        while (s < end && (s = memchr(s, ch, (size_t)(end - s))) != NULL) k++, s++;
    }
    result->is_null = 0;
    result->i = k;
    return 0;
}

const eddy_udf count_char = {EDDY_UDF_ABI, EDDY_TYPE_BIGINT, 2, {EDDY_TYPE_STRING, EDDY_TYPE_STRING}, count_char_fn, NULL,
                             EDDY_FN_DETERMINISTIC | EDDY_FN_NULL_ON_NULL};
