/*
 * func_lib.c — the type rules of the everyday function library (time,
 * strings, regular expressions, JSON, conditionals, math), the rows of
 * func.c's table point here; exec/fn_*.c evaluate them.
 *
 * Flink's rules followed: a function is NULL when an argument is NULL
 * (except IF, IFNULL, JSON_OBJECT and JSON_ARRAY), so its result is
 * nullable when an argument is; functions that give NULL on bad input
 * (TO_TIMESTAMP of garbage, REGEXP_EXTRACT without a match, SPLIT_INDEX
 * past the end, a pattern read from a column that does not compile) are
 * always nullable.  A constant pattern (regular expression, date format,
 * JSON path) that cannot work is a compile error at its position here,
 * rather than a NULL on every row.
 */
#include "func.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "datefmt.h"
#include "jpath.h"
#include "rx.h"

static bool any_nullable(const BExpr *c)
{
    for (int i = 0; i < c->nargs; i++)
        if (c->args[i]->type.nullable) return true;
    return false;
}

static bool is_null_type(const BExpr *c, int i) { return c->args[i]->type.kind == TY_NULL; }

static bool need(const BExpr *c, int i, bool ok, const char *what, Diag *d)
{
    if (ok || is_null_type(c, i)) return true;
    StrBuf b = {0};
    Type t = c->args[i]->type;
    t.nullable = 1;
    type_print(&b, t);
    diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "%s expects %s as argument %d, got %s", c->fn->name, what, i + 1, b.s);
    sb_free(&b);
    return false;
}

static bool need_str(const BExpr *c, int i, Diag *d) { return need(c, i, type_is_string(c->args[i]->type), "a string", d); }
static bool need_int(const BExpr *c, int i, Diag *d) { return need(c, i, type_is_integer(c->args[i]->type), "an integer", d); }

/* A non-NULL string literal argument: its text. */
static bool str_lit(const BExpr *c, int i, const char **s, int *n)
{
    const BExpr *a = c->args[i];
    if (a->kind != BX_LIT || a->lit.null || !type_is_string(a->type)) return false;
    *s = a->lit.s;
    *n = a->lit.n;
    return true;
}

static Type mk(TypeKind k, bool nullable, int precision)
{
    Type t = type_make(k, nullable);
    t.precision = (unsigned char)precision;
    return t;
}

/* ---- time ---- */

static const struct {
    const char *name;     /* as written, any case */
    int         unit;     /* TimeUnit */
} units[] = {
    {"MICROSECOND", TU_MICROSECOND}, {"MILLISECOND", TU_MILLISECOND}, {"SECOND", TU_SECOND}, {"MINUTE", TU_MINUTE},
    {"HOUR", TU_HOUR}, {"DAY", TU_DAY}, {"WEEK", TU_WEEK}, {"MONTH", TU_MONTH}, {"QUARTER", TU_QUARTER},
    {"YEAR", TU_YEAR}, {"DECADE", TU_DECADE}, {"CENTURY", TU_CENTURY}, {"MILLENNIUM", TU_MILLENNIUM},
    {"DOW", TU_DOW}, {"DOY", TU_DOY}, {"ISODOW", TU_ISODOW}, {"ISOYEAR", TU_ISOYEAR}, {"EPOCH", TU_EPOCH},
    {"SQL_TSI_SECOND", TU_SECOND}, {"SQL_TSI_MINUTE", TU_MINUTE}, {"SQL_TSI_HOUR", TU_HOUR}, {"SQL_TSI_DAY", TU_DAY},
    {"SQL_TSI_WEEK", TU_WEEK}, {"SQL_TSI_MONTH", TU_MONTH}, {"SQL_TSI_QUARTER", TU_QUARTER}, {"SQL_TSI_YEAR", TU_YEAR},
};

int func_flags(const FuncDef *fn)
{
    if (func_user(fn)) return func_user(fn)->flags & EDDY_FN_DETERMINISTIC ? 0 : FF_NONDET;   /* a user function: as it says */
    switch (fn->id) {
    case FN_EXTRACT: case FN_TIMESTAMPADD: case FN_TIMESTAMPDIFF: return FF_UNIT;
    case FN_NOW: case FN_PROCTIME: case FN_CURRENT_TIMESTAMP: case FN_LOCALTIMESTAMP: case FN_CURRENT_DATE: case FN_UUID:
        return FF_NONDET;
    case FN_UNIX_TIMESTAMP: return FF_NONDET;   /* UNIX_TIMESTAMP() reads the clock */
    default: return 0;
    }
}

const char *func_unit_name(int unit)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (units[i].unit == unit) return units[i].name;
    return "?";
}

/* The unit word of argument 0 (bound as a string literal, bind_call) into c->flags. */
static bool take_unit(BExpr *c, bool (*ok)(int), const char *allowed, Diag *d)
{
    const BExpr *a = c->args[0];
    int u = TU_NONE;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if ((int)strlen(units[i].name) == a->lit.n && strncasecmp(units[i].name, a->lit.s, (size_t)a->lit.n) == 0) u = units[i].unit;
    if (u == TU_NONE || !ok(u)) {
        diag_error(d, DIAG_SEMANTIC, a->pos, "%s does not take the unit '%.*s' (%s)", c->fn->name, (int)a->lit.n, a->lit.s, allowed);
        return false;
    }
    c->flags = u;
    return true;
}

static bool date_unit(int u) { return u >= TU_DAY || u == TU_NONE; }
static bool any_extract_unit(int u) { return u != TU_NONE; }
static bool add_unit(int u) { return u >= TU_MILLISECOND && u <= TU_YEAR; }

static bool is_temporal(Type t) { return t.kind == TY_DATE || t.kind == TY_TIMESTAMP || t.kind == TY_TIMESTAMP_LTZ; }

bool finfer_extract(BExpr *c, Diag *d)
{
    if (!take_unit(c, any_extract_unit, "MILLENNIUM, CENTURY, DECADE, YEAR, ISOYEAR, QUARTER, MONTH, WEEK, DAY, DOW, ISODOW, DOY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND or EPOCH", d))
        return false;
    Type t = c->args[1]->type;
    if (!need(c, 1, is_temporal(t), "a DATE, TIMESTAMP or TIMESTAMP_LTZ", d)) return false;
    if (t.kind == TY_DATE && !date_unit(c->flags)) {
        diag_error(d, DIAG_SEMANTIC, c->args[0]->pos, "EXTRACT(%s FROM …) needs a TIMESTAMP: a DATE has no time of day", func_unit_name(c->flags));
        return false;
    }
    c->type = type_make(TY_BIGINT, t.nullable);
    return true;
}

bool finfer_timestampadd(BExpr *c, Diag *d)
{
    if (!take_unit(c, add_unit, "YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND or MILLISECOND", d)) return false;
    if (!need_int(c, 1, d)) return false;
    Type t = c->args[2]->type;
    if (!need(c, 2, is_temporal(t), "a DATE, TIMESTAMP or TIMESTAMP_LTZ", d)) return false;
    if (t.kind == TY_NULL) t = mk(TY_TIMESTAMP, true, 3);
    if (t.kind == TY_DATE && c->flags < TU_DAY) t = mk(TY_TIMESTAMP, true, 3);   /* DATE + hours is a TIMESTAMP */
    t.nullable = any_nullable(c);
    t.timeattr = TA_NONE;
    c->type = t;
    return true;
}

bool finfer_timestampdiff(BExpr *c, Diag *d)
{
    if (!take_unit(c, add_unit, "YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND or MILLISECOND", d)) return false;
    for (int i = 1; i < 3; i++)
        if (!need(c, i, is_temporal(c->args[i]->type), "a DATE, TIMESTAMP or TIMESTAMP_LTZ", d)) return false;
    c->type = type_make(TY_INT, any_nullable(c));
    return true;
}

/* A constant date format must be one DATE_FORMAT can use. */
static bool check_format(const BExpr *c, int i, Diag *d)
{
    const char *s;
    int n;
    char err[160];
    if (str_lit(c, i, &s, &n) && !datefmt_check(s, n, err, sizeof err)) {
        diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "invalid date format '%.*s': %s", n, s, err);
        return false;
    }
    return true;
}

bool finfer_date_format(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, is_temporal(t) || type_is_string(t), "a TIMESTAMP, TIMESTAMP_LTZ, DATE or string", d)) return false;
    if (!need_str(c, 1, d) || !check_format(c, 1, d)) return false;
    const char *s;
    int n;
    /* a string that is not a timestamp, or a format from a column that cannot work, is NULL */
    c->type = type_make(TY_STRING, any_nullable(c) || type_is_string(t) || !str_lit(c, 1, &s, &n));
    return true;
}

bool finfer_now(BExpr *c, Diag *d)
{
    (void)d;
    switch (c->fn->id) {
    case FN_LOCALTIMESTAMP: c->type = mk(TY_TIMESTAMP, false, 3); break;
    case FN_CURRENT_DATE: c->type = type_make(TY_DATE, false); break;
    default: c->type = mk(TY_TIMESTAMP_LTZ, false, 3); break;
    }
    return true;
}

bool finfer_unix_timestamp(BExpr *c, Diag *d)
{
    for (int i = 0; i < c->nargs; i++)
        if (!need_str(c, i, d)) return false;
    if (c->nargs == 2 && !check_format(c, 1, d)) return false;
    c->type = type_make(TY_BIGINT, any_nullable(c));
    return true;
}

bool finfer_from_unixtime(BExpr *c, Diag *d)
{
    if (!need(c, 0, type_is_integer(c->args[0]->type) || c->args[0]->type.kind == TY_DECIMAL || c->args[0]->type.kind == TY_DOUBLE,
              "a number of seconds", d))
        return false;
    if (c->nargs == 2 && (!need_str(c, 1, d) || !check_format(c, 1, d))) return false;
    const char *s;
    int n;
    c->type = type_make(TY_STRING, any_nullable(c) || (c->nargs == 2 && !str_lit(c, 1, &s, &n)));
    return true;
}

/* TO_TIMESTAMP and TO_DATE: NULL when the text does not parse. */
bool finfer_to_timestamp(BExpr *c, Diag *d)
{
    for (int i = 0; i < c->nargs; i++)
        if (!need_str(c, i, d)) return false;
    if (c->nargs == 2 && !check_format(c, 1, d)) return false;
    c->type = c->fn->id == FN_TO_DATE ? type_make(TY_DATE, true) : mk(TY_TIMESTAMP, true, 3);
    return true;
}

/* ---- strings ---- */

bool finfer_regexp(BExpr *c, Diag *d)
{
    if (!need_str(c, 0, d) || !need_str(c, 1, d)) return false;
    if (c->fn->id == FN_REGEXP_EXTRACT && c->nargs == 3 && !need_int(c, 2, d)) return false;
    if (c->fn->id == FN_REGEXP_REPLACE && !need_str(c, 2, d)) return false;
    const char *s;
    int n;
    bool constant = str_lit(c, 1, &s, &n);
    if (constant) {
        char err[256];
        Rx *rx = rx_compile(s, (size_t)n, err, sizeof err);
        if (!rx) {
            diag_error(d, DIAG_SEMANTIC, c->args[1]->pos, "invalid regular expression '%.*s': %s", n > 60 ? 60 : n, s, err);
            return false;
        }
        int groups = rx_groups(rx);
        rx_free(rx);
        int64_t g;
        const BExpr *ga = c->nargs == 3 ? c->args[2] : NULL;
        if (c->fn->id == FN_REGEXP_EXTRACT && ga && ga->kind == BX_LIT && !ga->lit.null && ((g = ga->lit.i) < 0 || g > groups)) {
            diag_error(d, DIAG_SEMANTIC, ga->pos, "REGEXP_EXTRACT group %lld does not exist: the pattern has %d group%s", (long long)g, groups,
                       groups == 1 ? "" : "s");
            return false;
        }
    }
    /* Always nullable: a pattern from a column that does not compile, and a
     * match that gives up (rx.h's limits), are NULL, as Flink's are. */
    c->type = type_make(c->fn->id == FN_REGEXP ? TY_BOOLEAN : TY_STRING, true);
    return true;
}

/* REPLACE, SPLIT_INDEX, POSITION, LOCATE, LPAD, RPAD, REPEAT, REVERSE, INITCAP, LEFT, RIGHT, MD5, SHA256. */
bool finfer_strfn(BExpr *c, Diag *d)
{
    /* argument kinds: s = string, i = integer */
    const char *sig = "";
    switch (c->fn->id) {
    case FN_REPLACE: sig = "sss"; break;
    case FN_SPLIT_INDEX: sig = "ssi"; break;
    case FN_POSITION: sig = "ss"; break;
    case FN_LOCATE: sig = "ssi"; break;
    case FN_LPAD:
    case FN_RPAD: sig = "sis"; break;
    case FN_REPEAT:
    case FN_LEFT:
    case FN_RIGHT: sig = "si"; break;
    default: sig = "s"; break;
    }
    for (int i = 0; i < c->nargs; i++) {
        if (sig[i] == 's' && (c->fn->id == FN_MD5 || c->fn->id == FN_SHA256)) {
            if (!need(c, i, type_is_string(c->args[i]->type) || c->args[i]->type.kind == TY_BYTES, "a string", d)) return false;
        } else if (!(sig[i] == 's' ? need_str(c, i, d) : need_int(c, i, d))) {
            return false;
        }
    }
    bool nullable = any_nullable(c);
    switch (c->fn->id) {
    case FN_POSITION:
    case FN_LOCATE: c->type = type_make(TY_INT, nullable); return true;
    case FN_SPLIT_INDEX:
    case FN_LPAD:
    case FN_RPAD: nullable = true; break;   /* past the end; a negative length or an empty pad */
    default: break;
    }
    c->type = type_make(TY_STRING, nullable);
    return true;
}

/* ---- JSON ---- */

static bool check_path(const BExpr *c, int i, Diag *d)
{
    const char *s;
    int n;
    char err[160];
    if (!need_str(c, i, d)) return false;
    if (str_lit(c, i, &s, &n) && !jpath_check(s, n, err, sizeof err)) {
        diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "invalid JSON path '%.*s': %s", n, s, err);
        return false;
    }
    return true;
}

static bool json_value_type(Type t)
{
    switch (t.kind) {
    case TY_STRING: case TY_BOOLEAN: case TY_INT: case TY_BIGINT: case TY_SMALLINT: case TY_TINYINT:
    case TY_DOUBLE: case TY_FLOAT: case TY_DECIMAL: return true;
    default: return false;
    }
}

bool finfer_json(BExpr *c, Diag *d)
{
    int f = c->flags;
    const char *fname = c->fn->name;
    bool value = c->fn->id == FN_JSON_VALUE, exists = c->fn->id == FN_JSON_EXISTS, query = c->fn->id == FN_JSON_QUERY;
    if (value || exists || query) {
        if (!need_str(c, 0, d) || !check_path(c, 1, d)) return false;
        int bad = 0;
        if (JF_ON_NULL(f)) bad = 1;
        if (!query && JF_WRAPPER(f)) bad = 1;
        if (!value && (f & JF_RETURNING) && !query) bad = 1;
        int e = JF_ON_EMPTY(f), r = JF_ON_ERROR(f);
        if (value && (e > JB_DEFAULT || r > JB_DEFAULT)) bad = 1;
        if (exists && (e || (r && r != JB_ERROR && r != JB_TRUE && r != JB_FALSE && r != JB_UNKNOWN))) bad = 1;
        if (query && ((e && e != JB_NULL && e != JB_ERROR && e != JB_EMPTY_ARRAY && e != JB_EMPTY_OBJECT) ||
                      (r && r != JB_NULL && r != JB_ERROR && r != JB_EMPTY_ARRAY && r != JB_EMPTY_OBJECT)))
            bad = 1;
        if (bad) {
            diag_error(d, DIAG_SEMANTIC, c->pos, "%s does not take this clause (JSON_VALUE: RETURNING, NULL | ERROR | DEFAULT x ON EMPTY / ON ERROR; "
                       "JSON_EXISTS: TRUE | FALSE | UNKNOWN | ERROR ON ERROR; JSON_QUERY: WITH/WITHOUT WRAPPER, "
                       "NULL | ERROR | EMPTY ARRAY | EMPTY OBJECT ON EMPTY / ON ERROR)", fname);
            return false;
        }
        if (exists) {
            c->type = type_make(TY_BOOLEAN, any_nullable(c) || r == JB_UNKNOWN);
            return true;
        }
        if (query) {
            if ((f & JF_RETURNING) && c->type.kind != TY_STRING) {
                diag_error(d, DIAG_SEMANTIC, c->pos, "JSON_QUERY returns STRING only");
                return false;
            }
            c->type = type_make(TY_STRING, true);
            return true;
        }
        Type t = (f & JF_RETURNING) ? c->type : type_make(TY_STRING, true);
        if (!json_value_type(t)) {
            StrBuf b = {0};
            type_print(&b, t);
            diag_error(d, DIAG_SEMANTIC, c->pos, "JSON_VALUE cannot return %s (STRING, BOOLEAN, integers, DOUBLE, FLOAT or DECIMAL)", b.s);
            sb_free(&b);
            return false;
        }
        t.nullable = 1;
        t.timeattr = TA_NONE;
        for (int i = 2; i < c->nargs; i++) {
            Type u = c->args[i]->type;
            if (u.kind != TY_NULL && !type_assignable(u, t) && !(type_is_numeric(u) && type_is_numeric(t))) {
                StrBuf a = {0}, b = {0};
                u.nullable = 1;
                type_print(&a, u);
                type_print(&b, t);
                diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "JSON_VALUE's DEFAULT is %s, but it returns %s", a.s, b.s);
                sb_free(&a);
                sb_free(&b);
                return false;
            }
        }
        c->type = t;
        return true;
    }
    /* JSON_OBJECT, JSON_ARRAY */
    if (f & ~(3 << 10)) {
        diag_error(d, DIAG_SEMANTIC, c->pos, "%s takes only NULL ON NULL or ABSENT ON NULL", fname);
        return false;
    }
    for (int i = 0; i < c->nargs; i++) {
        Type t = c->args[i]->type;
        bool key = c->fn->id == FN_JSON_OBJECT && i % 2 == 0;
        if (key && !need(c, i, type_is_string(t), "a string key", d)) return false;
        if (!key && !need(c, i, t.kind != TY_BYTES && t.kind != TY_INTERVAL, "a value JSON can hold", d)) return false;
    }
    c->type = type_make(TY_STRING, false);
    return true;
}

/* ---- conditionals and math ---- */

static bool common(BExpr *c, int from, Type *out, Diag *d)
{
    if (!func_common_type(c, from, out, d)) return false;
    out->timeattr = TA_NONE;
    return true;
}

bool finfer_if(BExpr *c, Diag *d)
{
    if (!need(c, 0, c->args[0]->type.kind == TY_BOOLEAN, "a BOOLEAN condition", d)) return false;
    Type t;
    if (!common(c, 1, &t, d)) return false;
    t.nullable = c->args[1]->type.nullable || c->args[2]->type.nullable;
    c->type = t;
    return true;
}

/* Flink: the common type, nullable only when the replacement is. */
bool finfer_ifnull(BExpr *c, Diag *d)
{
    Type t;
    if (!common(c, 0, &t, d)) return false;
    t.nullable = c->args[1]->type.nullable;
    c->type = t;
    return true;
}

bool finfer_greatest(BExpr *c, Diag *d)
{
    Type t;
    if (!common(c, 0, &t, d)) return false;
    if (t.kind == TY_BYTES || t.kind == TY_INTERVAL) {
        diag_error(d, DIAG_SEMANTIC, c->pos, "%s needs comparable values", c->fn->name);
        return false;
    }
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    t.nullable = any_nullable(c);
    c->type = t;
    return true;
}

bool finfer_math(BExpr *c, Diag *d)
{
    for (int i = 0; i < c->nargs; i++)
        if (!need(c, i, type_is_numeric(c->args[i]->type), "a number", d)) return false;
    bool nullable = any_nullable(c);
    Type t = c->args[0]->type;
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    switch (c->fn->id) {
    case FN_SIGN: t.nullable = nullable; c->type = t; return true;
    case FN_TRUNCATE: {
        int64_t r = 0;
        if (c->nargs == 2) {
            if (!need_int(c, 1, d)) return false;
            const BExpr *a = c->args[1];
            bool lit = a->kind == BX_LIT && !a->lit.null, neg = a->kind == BX_NEG && a->a->kind == BX_LIT;
            if (lit) r = a->lit.i;
            else if (neg) r = -a->a->lit.i;
            else if (t.kind == TY_DECIMAL) {
                diag_error(d, DIAG_SEMANTIC, a->pos, "TRUNCATE of a DECIMAL expects a constant number of digits");
                return false;
            }
        }
        if (t.kind == TY_DECIMAL && r < t.scale) {
            int s = r < 0 ? 0 : (int)r;
            t = type_decimal(t.precision - t.scale + s, s, t.nullable);
            if (t.precision < 1) t.precision = 1;
        }
        t.nullable = nullable;
        c->type = t;
        return true;
    }
    default: c->type = type_make(TY_DOUBLE, nullable); return true;
    }
}

bool finfer_uuid(BExpr *c, Diag *d)
{
    (void)d;
    c->type = type_make(TY_STRING, false);
    return true;
}

/* ---- printing (EXPLAIN): the special forms as they are written ---- */

static const char *const behaviours[] = {"", "NULL", "ERROR", "DEFAULT", "TRUE", "FALSE", "UNKNOWN", "EMPTY ARRAY", "EMPTY OBJECT"};

static void print_behaviour(StrBuf *b, const BExpr *e, int how, int arg, const char *on, const char *const *names)
{
    if (!how || how > JB_EMPTY_OBJECT) return;
    sb_printf(b, " %s", behaviours[how]);
    if (how == JB_DEFAULT && e->nargs == 4) {
        sb_putc(b, ' ');
        bexpr_print(b, e->args[arg], names);
    }
    sb_printf(b, " ON %s", on);
}

bool func_print(StrBuf *b, const BExpr *e, const char *const *names)
{
    if (e->kind != BX_CALL) return false;
    int f = e->flags;
    switch (e->fn->id) {
    case FN_CURRENT_TIMESTAMP:
    case FN_LOCALTIMESTAMP:
    case FN_CURRENT_DATE: sb_puts(b, e->fn->name); return true;
    case FN_POSITION:
        sb_puts(b, "POSITION(");
        bexpr_print(b, e->args[0], names);
        sb_puts(b, " IN ");
        bexpr_print(b, e->args[1], names);
        sb_putc(b, ')');
        return true;
    case FN_JSON_OBJECT:
        sb_puts(b, "JSON_OBJECT(");
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            sb_puts(b, i ? ", KEY " : "KEY ");
            bexpr_print(b, e->args[i], names);
            sb_puts(b, " VALUE ");
            bexpr_print(b, e->args[i + 1], names);
        }
        if (JF_ON_NULL(f)) sb_puts(b, JF_ON_NULL(f) == 1 ? " NULL ON NULL" : " ABSENT ON NULL");
        sb_putc(b, ')');
        return true;
    case FN_JSON_ARRAY:
    case FN_JSON_VALUE:
    case FN_JSON_QUERY:
    case FN_JSON_EXISTS: {
        sb_printf(b, "%s(", e->fn->name);
        int n = e->fn->id == FN_JSON_ARRAY ? e->nargs : 2;
        for (int i = 0; i < n; i++) {
            if (i) sb_puts(b, ", ");
            bexpr_print(b, e->args[i], names);
        }
        if (f & JF_RETURNING) {
            Type t = e->type;
            t.nullable = 1;
            sb_puts(b, " RETURNING ");
            type_print(b, t);
        }
        if (JF_WRAPPER(f)) sb_puts(b, JF_WRAPPER(f) == 1 ? " WITH CONDITIONAL ARRAY WRAPPER" : " WITH ARRAY WRAPPER");
        print_behaviour(b, e, JF_ON_EMPTY(f), 2, "EMPTY", names);
        print_behaviour(b, e, JF_ON_ERROR(f), 3, "ERROR", names);
        if (JF_ON_NULL(f)) sb_puts(b, JF_ON_NULL(f) == 1 ? " NULL ON NULL" : " ABSENT ON NULL");
        sb_putc(b, ')');
        return true;
    }
    default: return false;
    }
}
