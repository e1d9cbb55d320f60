/*
 * jpath.c — parsing SQL/JSON paths (see jpath.h); evaluation lives with
 * the JSON functions (exec/fn_json.c).
 */
#include "jpath.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool fail(char *err, size_t errlen, const char *msg, int at)
{
    snprintf(err, errlen, "%s at character %d", msg, at + 1);
    return false;
}

static void skip_ws(const char *s, int n, int *i)
{
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) (*i)++;
}

/* A quoted name starting at s[*i] (the quote); the name without quotes. */
static bool quoted(const char *s, int n, int *i, JStep *st)
{
    char q = s[(*i)++];
    int start = *i;
    st->escaped = false;
    while (*i < n && s[*i] != q) {
        if (s[*i] == '\\') {
            st->escaped = true;
            (*i)++;
        }
        (*i)++;
    }
    if (*i >= n) return false;
    st->kind = JS_MEMBER;
    st->name = s + start;
    st->n = *i - start;
    (*i)++;
    return true;
}

bool jpath_parse(const char *s, int n, JPath *p, char *err, size_t errlen)
{
    int i = 0;
    memset(p, 0, sizeof *p);
    skip_ws(s, n, &i);
    if (n - i >= 6 && strncasecmp(s + i, "strict", 6) == 0) p->strict = true, i += 6;
    else if (n - i >= 3 && strncasecmp(s + i, "lax", 3) == 0) i += 3;
    skip_ws(s, n, &i);
    if (i >= n || s[i] != '$') return fail(err, errlen, "a path starts with $ (after an optional lax or strict)", i);
    i++;
    while (1) {
        skip_ws(s, n, &i);
        if (i >= n) break;
        if (p->nsteps == JPATH_MAX_STEPS) return fail(err, errlen, "too many steps", i);
        JStep *st = &p->steps[p->nsteps];
        if (s[i] == '.') {
            i++;
            if (i < n && s[i] == '*') {
                st->kind = JS_ANY_MEMBER;
                i++;
            } else if (i < n && (s[i] == '"' || s[i] == '\'')) {
                if (!quoted(s, n, &i, st)) return fail(err, errlen, "unterminated quoted name", i);
            } else {
                int start = i;
                while (i < n && s[i] != '.' && s[i] != '[' && s[i] != ' ') i++;
                if (i == start) return fail(err, errlen, "a name is missing after '.'", start);
                st->kind = JS_MEMBER;
                st->name = s + start;
                st->n = i - start;
            }
        } else if (s[i] == '[') {
            i++;
            skip_ws(s, n, &i);
            if (i < n && (s[i] == '"' || s[i] == '\'')) {
                if (!quoted(s, n, &i, st)) return fail(err, errlen, "unterminated quoted name", i);
            } else if (i < n && s[i] == '*') {
                st->kind = JS_ANY_INDEX;
                i++;
            } else {
                long v = 0;
                int start = i;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (v > 100000000) return fail(err, errlen, "array index too large", start);
                    v = v * 10 + (s[i++] - '0');
                }
                if (i == start) return fail(err, errlen, "expected an array index, * or a quoted name", start);
                st->kind = JS_INDEX;
                st->index = v;
            }
            skip_ws(s, n, &i);
            if (i >= n || s[i] != ']') return fail(err, errlen, "expected ]", i);
            i++;
        } else {
            return fail(err, errlen, "expected . or [", i);
        }
        p->nsteps++;
    }
    return true;
}

bool jpath_check(const char *s, int n, char *err, size_t errlen)
{
    JPath p;
    return jpath_parse(s, n, &p, err, errlen);
}
