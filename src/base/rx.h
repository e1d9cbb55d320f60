/*
 * rx.h — regular expressions for the SQL functions (REGEXP, REGEXP_EXTRACT,
 * REGEXP_REPLACE), on PCRE2: the closest Debian library to the Java
 * patterns Flink takes.  rx.c is the one file that includes pcre2.h.
 *
 * Patterns are UTF-8 (Java's strings are Unicode); a subject that is not
 * valid UTF-8 is still searched (PCRE2_MATCH_INVALID_UTF), never an error.
 * Every match runs under limits (backtracking steps, depth, heap, JIT
 * stack), so a hostile pattern or subject ends the match with an error
 * (rx_find returns -1) instead of hanging or crashing the job.
 *
 * Compiled patterns are cached per thread, keyed by the pattern's text
 * (rx_cached), as Flink caches Java Patterns: a constant pattern is
 * compiled once per thread, not per row, and a pattern read from a column
 * is compiled once per distinct text while it stays in the cache.
 */
#ifndef EDDY_RX_H
#define EDDY_RX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Rx Rx;

/* Compiles a pattern; NULL with a message ("missing closing parenthesis
 * at character 3 of the pattern") on a bad one.  The caller frees it with rx_free. */
Rx  *rx_compile(const char *pat, size_t n, char *err, size_t errlen);
void rx_free(Rx *rx);
/* The pattern from the per-thread cache (owned by the cache: valid until
 * the next rx_cached call on this thread); NULL with a message on a bad one. */
const Rx *rx_cached(const char *pat, size_t n, char *err, size_t errlen);
/* Number of capturing groups. */
int  rx_groups(const Rx *rx);
/* Searches s[start..n) for the first match.  1 found: ov[0..2*(groups+1))
 * are byte offsets of the match and its groups (a group that took no part
 * is -1, -1); 0 no match; -1 the match gave up (a limit was reached: the
 * message in err).  ov must hold 2 * (rx_groups + 1) entries. */
int  rx_find(const Rx *rx, const char *s, size_t n, size_t start, long *ov, char *err, size_t errlen);

#endif
