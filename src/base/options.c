/*
 * options.c — checking, parsing, defaulting and documenting options by
 * their table (options.h).  The tables themselves are elsewhere: with the
 * connector, the session settings or the command they configure.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tz.h"

const OptionDef *opt_find(const OptionDef *table, const char *key)
{
    for (const OptionDef *d = table; d->name; d++) {
        if (d->type == OPT_PREFIX) {
            size_t n = strlen(d->name);
            if (strncmp(key, d->name, n) == 0 && key[n]) return d;
        } else if (strcmp(key, d->name) == 0) {
            return d;
        }
    }
    return NULL;
}

bool opt_parse_int(const char *s, int64_t *out)
{
    if (!*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* A whole number without a sign (strtoull would wrap "-1" around). */
static bool parse_uint(const char *s, uint64_t *out)
{
    if (!*s || isspace((unsigned char)*s) || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!*s || isspace((unsigned char)*s)) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

bool opt_parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0) return *out = true, true;
    if (strcasecmp(s, "false") == 0) return *out = false, true;
    return false;
}

bool opt_parse_duration_ms(const char *s, int64_t *out)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"ms", 1}, {"milli", 1}, {"millis", 1}, {"millisecond", 1}, {"milliseconds", 1},
        {"s", 1000}, {"sec", 1000}, {"secs", 1000}, {"second", 1000}, {"seconds", 1000},
        {"min", 60000}, {"mins", 60000}, {"minute", 60000}, {"minutes", 60000}, {"m", 60000},
        {"h", 3600000}, {"hour", 3600000}, {"hours", 3600000},
        {"d", 86400000}, {"day", 86400000}, {"days", 86400000},
    };
    const char *p = s;
    while (*p == ' ') p++;
    if (*p < '0' || *p > '9') return false;
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (errno || v < 0) return false;
    while (*end == ' ') end++;
    if (!*end) return *out = v, true;
    size_t n = strlen(end);
    while (n && end[n - 1] == ' ') n--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].unit) == n && strncasecmp(end, units[i].unit, n) == 0) {
            int64_t ms;
            if (__builtin_mul_overflow((int64_t)v, units[i].ms, &ms)) return false;   /* too long to hold */
            *out = ms;
            return true;
        }
    }
    return false;
}

const OptEnum *opt_enum_find(const OptEnum *values, const char *text)
{
    for (const OptEnum *v = values; v->text; v++)
        if (strcmp(v->text, text) == 0) return v;
    return NULL;
}

const char *opt_enum_text(const OptEnum *values, int code)
{
    for (const OptEnum *v = values; v->text; v++)
        if (v->code == code) return v->text;
    return NULL;
}

void opt_enum_list(StrBuf *out, const OptEnum *values, const char *sep)
{
    for (const OptEnum *v = values; v->text; v++) sb_printf(out, "%s%s", v == values ? "" : sep, v->text);
}

/* Stores a whole number in a field of the given size (a one-byte field is a bool). */
static void store_int(void *p, size_t size, int64_t v)
{
    if (size == sizeof(int64_t)) *(int64_t *)p = v;
    else if (size == sizeof(int)) *(int *)p = (int)v;
    else if (size == sizeof(bool)) *(bool *)p = v != 0;
}

/* The parsed value of one option, before it is stored. */
typedef struct OptValue {
    int64_t     i;        /* INT, DURATION, ENUM code, BOOL */
    uint64_t    u;        /* UINT */
    double      d;        /* DOUBLE */
} OptValue;

/* Checks and parses; false with a message naming label. */
static bool opt_parse(const OptionDef *d, const char *label, const char *value, OptValue *v, char *err, size_t errlen)
{
    bool b;
    switch (d->type) {
    case OPT_STRING:
    case OPT_PREFIX:
    case OPT_LIST:
        return true;
    case OPT_INT:
        if (!opt_parse_int(value, &v->i)) {
            snprintf(err, errlen, "%s expects a whole number, got '%s'", label, value);
            return false;
        }
        if (d->max && (v->i < d->min || v->i > d->max)) {
            snprintf(err, errlen, "%s must be between %lld and %lld, got '%s'", label, d->min, d->max, value);
            return false;
        }
        if (v->i < d->min) {
            snprintf(err, errlen, "%s must be at least %lld, got '%s'", label, d->min, value);
            return false;
        }
        return true;
    case OPT_UINT:
        if (parse_uint(value, &v->u)) return true;
        snprintf(err, errlen, "%s expects a whole number without a sign, got '%s'", label, value);
        return false;
    case OPT_DOUBLE:
        if (!parse_double(value, &v->d)) {
            snprintf(err, errlen, "%s expects a number, got '%s'", label, value);
            return false;
        }
        if (d->max && (v->d < (double)d->min || v->d > (double)d->max)) {
            snprintf(err, errlen, "%s must be between %lld and %lld, got '%s'", label, d->min, d->max, value);
            return false;
        }
        if (v->d < (double)d->min) {
            snprintf(err, errlen, "%s must be at least %lld, got '%s'", label, d->min, value);
            return false;
        }
        return true;
    case OPT_BOOL:
        if (opt_parse_bool(value, &b)) return v->i = b, true;
        snprintf(err, errlen, "%s expects true or false, got '%s'", label, value);
        return false;
    case OPT_DURATION:
        if (opt_parse_duration_ms(value, &v->i) && v->i >= d->min) return true;
        snprintf(err, errlen, "%s expects a duration such as '100 ms', '1 s' or '5 min', got '%s'", label, value);
        return false;
    case OPT_TIMEZONE: {
        char why[400];
        if (tz_valid(value, why, sizeof why)) return true;
        snprintf(err, errlen, "%s: %s", label, why);
        return false;
    }
    case OPT_ENUM: {
        const OptEnum *e = opt_enum_find(d->values, value);
        if (e) return v->i = e->code, true;
        StrBuf vals = {0};
        opt_enum_list(&vals, d->values, ",");
        snprintf(err, errlen, "%s must be one of %s; got '%s'", label, vals.s, value);
        sb_free(&vals);
        return false;
    }
    }
    return false;
}

bool opt_set(const OptionDef *d, const char *label, const char *value, void *target, Arena *a, char *err, size_t errlen)
{
    OptValue v = {0};
    if (!opt_parse(d, label, value, &v, err, errlen)) return false;
    for (int k = 0; target && k < 2 && d->to[k].size; k++) {
        void *p = (char *)target + d->to[k].offset;
        switch (d->type) {
        case OPT_STRING:
            *(const char **)p = a ? arena_strdup(a, value) : value;
            break;
        case OPT_LIST: {
            OptList *l = p;
            l->v[l->n++] = value;
            break;
        }
        case OPT_UINT:
            *(uint64_t *)p = v.u;
            break;
        case OPT_DOUBLE:
            *(double *)p = v.d;
            break;
        case OPT_PREFIX:
            break;
        case OPT_TIMEZONE: {
            const TimeZone *tz = NULL;
            char why[8];
            /* checked above; "UTC" needs no zone (NULL is UTC) */
            if (a && strcmp(value, "UTC") != 0 && tz_parse(value, a, &tz, why, sizeof why)) tz = NULL;
            *(const TimeZone **)p = tz;
            break;
        }
        default:
            store_int(p, d->to[k].size, v.i);
            break;
        }
    }
    return true;
}

int opt_check_sql(const OptionDef *def, const char *key, const char *value, int pos, Diag *d)
{
    char label[300], err[600];
    snprintf(label, sizeof label, "option '%s'", key);
    if (opt_set(def, label, value, NULL, NULL, err, sizeof err)) return 0;
    return diag_error(d, DIAG_OPTION, pos, "%s", err);
}

void opt_defaults(const OptionDef *table, void *target, Arena *a)
{
    char err[64];
    for (const OptionDef *d = table; d->name; d++)
        if (d->deflt) opt_set(d, d->name, d->deflt, target, a, err, sizeof err);
}

void opt_document(const OptionDef *table, StrBuf *out)
{
    static const char *const type_names[] = {
        [OPT_STRING] = "string",   [OPT_ENUM] = "enum",  [OPT_INT] = "integer",  [OPT_BOOL] = "boolean",
        [OPT_DURATION] = "duration", [OPT_PREFIX] = "prefix", [OPT_UINT] = "unsigned integer",
        [OPT_DOUBLE] = "number",   [OPT_LIST] = "list",  [OPT_TIMEZONE] = "time zone",
    };
    for (const OptionDef *d = table; d->name; d++) {
        sb_printf(out, "  %s%s  (%s", d->name, d->type == OPT_PREFIX ? "*" : "", type_names[d->type]);
        if (d->type == OPT_ENUM) {
            sb_puts(out, ": ");
            opt_enum_list(out, d->values, ", ");
        }
        if (d->deflt) sb_printf(out, "; default %s", d->deflt);
        sb_printf(out, ")\n      %s\n", d->doc);
    }
}

