/*
 * jpath.h — SQL/JSON paths as JSON_VALUE, JSON_QUERY and JSON_EXISTS take
 * them: an optional mode (`lax`, the default, or `strict`), `$`, then
 * steps: `.name`, `."any name"`, `['name']`, `["name"]`, `.*`, `[n]`
 * (0-based), `[*]`.
 */
#ifndef EDDY_JPATH_H
#define EDDY_JPATH_H

#include <stdbool.h>
#include <stddef.h>

#define JPATH_MAX_STEPS 64

typedef enum JStepKind { JS_MEMBER, JS_ANY_MEMBER, JS_INDEX, JS_ANY_INDEX } JStepKind;

typedef struct JStep {
    JStepKind   kind;     /* what it selects */
    const char *name;     /* JS_MEMBER: the name, in the path's text or `buf` (not NUL-terminated) */
    int         n;        /* its length */
    bool        escaped;  /* the name has backslash escapes ("a\"b") */
    long        index;    /* JS_INDEX */
} JStep;

typedef struct JPath {
    bool  strict;         /* strict mode: a missing member or a wrong type is an error */
    int   nsteps;         /* steps after $ */
    JStep steps[JPATH_MAX_STEPS]; /* the steps */
} JPath;

/* Parses a path; false with a message in err. */
bool jpath_parse(const char *s, int n, JPath *out, char *err, size_t errlen);
bool jpath_check(const char *s, int n, char *err, size_t errlen);

#endif
