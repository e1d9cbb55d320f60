/*
 * options.h — every WITH option and SET key eddy knows, in one table.
 *
 * The table is at once the validator (type, allowed values), the default and
 * the documentation (`eddy help options` prints it).  Nothing else in eddy
 * parses option values with strcmp/atoi: it asks here.
 */
#ifndef EDDY_OPTIONS_H
#define EDDY_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "strbuf.h"

typedef enum OptType {
    OPT_STRING,           /* any text */
    OPT_ENUM,             /* one of OptionDef.values ('|'-separated) */
    OPT_INT,              /* a whole decimal number */
    OPT_BOOL,             /* true | false */
    OPT_DURATION,         /* '100 ms', '1 s', '5 min', '2h', or a bare number of ms */
    OPT_PREFIX,           /* name ends with '.': any key under it, passed through */
} OptType;

enum { OPT_TABLE = 1, OPT_SET = 2 };   /* where an option may appear */

typedef struct OptionDef {
    const char *name;     /* the key as written, e.g. "changelog.mode" */
    OptType     type;     /* how the value is checked */
    unsigned    scope;    /* OPT_TABLE and/or OPT_SET */
    const char *deflt;    /* default value as text, or NULL (none / derived) */
    const char *values;   /* OPT_ENUM: allowed values, '|'-separated */
    const char *doc;      /* one line of documentation */
    long long   min;      /* OPT_INT / OPT_DURATION (ms): smallest value accepted */
} OptionDef;

/* Finds the definition for key in the given scope; NULL if unknown. */
const OptionDef *opt_find(unsigned scope, const char *key);
/* Checks value against def; on failure writes a message naming the option. */
bool opt_check(const OptionDef *def, const char *key, const char *value, char *err, size_t errlen);
/* Parsers, for already-checked values. */
bool opt_parse_int(const char *s, int64_t *out);
bool opt_parse_bool(const char *s, bool *out);
bool opt_parse_duration_ms(const char *s, int64_t *out);
/* The documentation, as plain text (one block per option). */
void opt_document(StrBuf *out);
/* The i-th option of the table (documentation order); NULL past the end. */
const OptionDef *opt_at(size_t i);

#endif
