/*
 * options.h — the machinery behind every table of options eddy has: WITH
 * options, SET keys and command-line flags.
 *
 * An option table (an array of OptionDef ending with a row whose name is
 * NULL) is at once the validator (type, allowed values, range), the parser
 * (each value is parsed into a typed field of a configuration struct: an
 * enum value to its code, a duration to milliseconds), the default (applied
 * from the table, nowhere else) and the documentation (`eddy help options`,
 * each command's --help).  The tables live with what they configure: a
 * connector's WITH options in its file (sql/connector_*.c), the SET keys in
 * sql/settings.c, a command's flags in its cli/ file.  Nothing else in eddy
 * interprets option values with strcmp/atoi: it asks here.
 */
#ifndef EDDY_OPTIONS_H
#define EDDY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "strbuf.h"

typedef enum OptType {
    OPT_STRING,           /* any text; field: const char * */
    OPT_ENUM,             /* one of OptionDef.values; field: the value's code (int or enum; a bool takes code != 0) */
    OPT_INT,              /* a whole decimal number within min..max; field: int64_t (or int) */
    OPT_BOOL,             /* true | false (a command-line flag: given = true); field: bool */
    OPT_DURATION,         /* '100 ms', '1 s', '5 min', '2h', or a bare number of ms, at least min ms; field: int64_t ms */
    OPT_PREFIX,           /* name ends with '.': any key under it, passed through as written (no field) */
    OPT_UINT,             /* a whole decimal number without a sign; field: uint64_t */
    OPT_DOUBLE,           /* a finite decimal number within min..max; field: double */
    OPT_LIST,             /* a command-line flag that may repeat; field: an OptList, each value appended */
    OPT_TIMEZONE,         /* a time zone (tz.h): 'UTC', '+08:00', 'GMT-05:30', 'Asia/Shanghai'; field: const TimeZone *,
                             parsed into the arena given to opt_set (without one, or for UTC, the field is NULL = UTC) */
} OptType;

/* One allowed value of an OPT_ENUM option.  A list ends with text NULL. */
typedef struct OptEnum {
    const char *text;     /* the value as written, matched exactly */
    int         code;     /* what the field receives */
    const void *ref;      /* what the value stands for when a code is not enough (a connector), or NULL */
} OptEnum;

/* Where a value goes: a field of the struct the table configures. */
typedef struct OptField {
    size_t offset;        /* offsetof the field */
    size_t size;          /* its size (0 = no field) */
} OptField;
#define OPT_FIELD(T, f) {offsetof(T, f), sizeof(((T *)0)->f)}

/* The values of an OPT_LIST flag; v has room for every argument (the flag
 * parser allocates it, the caller frees v). */
typedef struct OptList {
    const char **v;       /* values in the order given */
    int          n;       /* count */
} OptList;

typedef struct OptionDef {
    const char    *name;     /* the key as written ("changelog.mode"), a flag's name without "--" ("bootstrap") */
    OptType        type;     /* how the value is checked and parsed */
    OptField       to[2];    /* the fields it sets; a later row of the same table that sets one of them overrides */
    const char    *deflt;    /* default as text, applied by opt_defaults; NULL = none (or derived) */
    const OptEnum *values;   /* OPT_ENUM: the allowed values */
    long long      min;      /* OPT_INT / OPT_DOUBLE / OPT_DURATION (ms): smallest value accepted */
    long long      max;      /* OPT_INT / OPT_DOUBLE: largest value accepted; 0 = no limit */
    const char    *doc;      /* one line of documentation */
    /* Command-line flags only: */
    const char    *metavar;  /* placeholder of the value in usage text ("HOST:PORT") */
    char           letter;   /* short form (-v), or 0 */
    const char    *env;      /* environment variable that gives the value when the flag is absent, or NULL */
    const char    *otherwise;/* documentation of where the value comes from when neither given nor defaulted */
    bool           required; /* the flag must be given */
} OptionDef;

/* The row of a table for key (a prefix row matches any key under it); NULL if none. */
const OptionDef *opt_find(const OptionDef *table, const char *key);
/* Checks value against def and, if target is not NULL, stores it in def's
 * fields of target; a string is copied into a (or, with a NULL, points at
 * value).  On failure writes a message that starts with label ("option
 * 'format'", "--count") into err and returns false. */
bool opt_set(const OptionDef *def, const char *label, const char *value, void *target, Arena *a, char *err, size_t errlen);
/* opt_set's check of a WITH option or SET value written in SQL: 0, or a
 * DIAG_OPTION error at pos (the value's offset) naming "option 'key'". */
int opt_check_sql(const OptionDef *def, const char *key, const char *value, int pos, Diag *d);
/* Stores every row's default (deflt) in target, in table order. */
void opt_defaults(const OptionDef *table, void *target, Arena *a);
/* The value of an enum list with the given code or text; NULL if none. */
const char *opt_enum_text(const OptEnum *values, int code);
const OptEnum *opt_enum_find(const OptEnum *values, const char *text);
/* The values of an enum list, separated by sep. */
void opt_enum_list(StrBuf *out, const OptEnum *values, const char *sep);
/* The documentation of a table, one block per option (`eddy help options`). */
void opt_document(const OptionDef *table, StrBuf *out);
/* Parsers of single values, for callers with text that is not an option. */
bool opt_parse_int(const char *s, int64_t *out);
bool opt_parse_bool(const char *s, bool *out);
bool opt_parse_duration_ms(const char *s, int64_t *out);

#endif
