/*
 * count_char.c — the user-defined scalar function of Nexmark q14 (Flink's
 * CountChar): count_char(s, c) is how many times the first character of c
 * occurs in s, as a BIGINT; NULL when either argument is NULL; 0 when c is
 * empty.  Build: cc -shared -fPIC -O2 -o count_char.so count_char.c
 *
 * Calling convention: eddy's C UDFs (CREATE FUNCTION … LANGUAGE C) are
 * being added on another branch; until that is merged this file states the
 * function as plain C over (bytes, length) pairs, which is what the
 * wrapper for eddy's convention will call.  q14.sql names it
 * 'count_char.so:count_char'.
 */
#include <stddef.h>
#include <stdint.h>

/* How many bytes of s[0..n) equal ch. */
int64_t count_char(const char *s, size_t n, const char *c, size_t cn, int *is_null)
{
    if (!s || !c) {
        *is_null = 1;
        return 0;
    }
    *is_null = 0;
    if (cn == 0) return 0;
    int64_t k = 0;
    for (size_t i = 0; i < n; i++) k += s[i] == c[0];
    return k;
}
