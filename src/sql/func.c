/*
 * func.c — built-in functions and their result types (Flink SQL's rules).
 *
 * Flink's rules worth knowing: COUNT is BIGINT NOT NULL; SUM and AVG of an
 * integer type keep that type (AVG of INT truncates); SUM of DECIMAL(p, s) is
 * DECIMAL(38, s); AVG of DECIMAL(p, s) is DECIMAL(38, max(s, 6)); ROUND of
 * DECIMAL(p, s) to r < s digits is DECIMAL(p - s + r + 1, r).
 */
#include "func.h"

#include <string.h>
#include <strings.h>

static bool any_nullable(const BExpr *c)
{
    for (int i = 0; i < c->nargs; i++)
        if (c->args[i]->type.nullable) return true;
    return false;
}

static bool need(const BExpr *c, int i, bool ok, const char *what, Diag *d)
{
    if (ok || c->args[i]->type.kind == TY_NULL) return true;
    StrBuf b = {0};
    Type t = c->args[i]->type;
    t.nullable = 1;
    type_print(&b, t);
    diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "%s expects %s as argument %d, got %s", c->fn->name, what, i + 1, b.s);
    sb_free(&b);
    return false;
}

static bool infer_count(BExpr *c, Diag *d)
{
    (void)d;
    c->type = type_make(TY_BIGINT, false);
    return true;
}

static bool infer_sum(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, type_is_numeric(t), "a number", d)) return false;
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    if (t.kind == TY_DECIMAL) t = type_decimal(DECIMAL_MAX_PRECISION, t.scale, true);
    if (c->fn->id == FN_AVG && t.kind == TY_DECIMAL) t = type_decimal(DECIMAL_MAX_PRECISION, t.scale > 6 ? t.scale : 6, true);
    t.nullable = 1;
    c->type = t;
    return true;
}

static bool infer_minmax(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, t.kind != TY_BYTES && t.kind != TY_INTERVAL && !type_is_nested(t), "a comparable value", d)) return false;
    t.nullable = 1;
    c->type = t;
    return true;
}

/* The integer literal value of argument i, when it is one. */
static bool int_literal(const BExpr *c, int i, int64_t *v)
{
    const BExpr *a = c->args[i];
    if (a->kind == BX_NEG && a->a->kind == BX_LIT && type_is_integer(a->a->type)) return *v = -a->a->lit.i, true;
    if (a->kind != BX_LIT || !type_is_integer(a->type) || a->lit.null) return false;
    *v = a->lit.i;
    return true;
}

static bool infer_round(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, type_is_numeric(t), "a number", d)) return false;
    int64_t r = 0;
    if (c->nargs == 2) {
        if (!need(c, 1, type_is_integer(c->args[1]->type), "an integer", d)) return false;
        if (!int_literal(c, 1, &r)) {
            diag_error(d, DIAG_SEMANTIC, c->args[1]->pos, "ROUND expects a constant number of digits");
            return false;
        }
    }
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    if (t.kind == TY_DECIMAL && r < t.scale) {
        int s = r < 0 ? 0 : (int)r;
        t = type_decimal(t.precision - t.scale + s + 1, s, t.nullable);
    }
    t.nullable = any_nullable(c);
    c->type = t;
    return true;
}

static bool infer_same_numeric(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, type_is_numeric(t), "a number", d)) return false;
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    if ((c->fn->id == FN_FLOOR || c->fn->id == FN_CEIL) && t.kind == TY_DECIMAL)
        t = type_decimal(t.precision - t.scale + 1 > DECIMAL_MAX_PRECISION ? DECIMAL_MAX_PRECISION : t.precision - t.scale + 1, 0, t.nullable);
    t.nullable = any_nullable(c);
    c->type = t;
    return true;
}

static bool infer_mod(BExpr *c, Diag *d)
{
    for (int i = 0; i < 2; i++)
        if (!need(c, i, type_is_integer(c->args[i]->type) || c->args[i]->type.kind == TY_DECIMAL, "an exact number", d))
            return false;
    Type t, a = c->args[0]->type, b = c->args[1]->type;
    if (!type_common(a, b, &t)) t = b;
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    /* the same type as the % operator */
    if (t.kind == TY_DECIMAL) t = type_decimal_arith('%', a.kind == TY_NULL ? t : a, b.kind == TY_NULL ? t : b, true);
    t.nullable = any_nullable(c);
    c->type = t;
    return true;
}

static bool infer_power(BExpr *c, Diag *d)
{
    for (int i = 0; i < 2; i++)
        if (!need(c, i, type_is_numeric(c->args[i]->type), "a number", d)) return false;
    c->type = type_make(TY_DOUBLE, any_nullable(c));
    return true;
}

static bool infer_string(BExpr *c, Diag *d)
{
    for (int i = 0; i < c->nargs; i++)
        if (!need(c, i, type_is_string(c->args[i]->type), "a string", d)) return false;
    c->type = type_make(TY_STRING, any_nullable(c));
    if (c->fn->id == FN_CONCAT_WS) c->type.nullable = c->args[0]->type.nullable;
    return true;
}

static bool infer_substring(BExpr *c, Diag *d)
{
    if (!need(c, 0, type_is_string(c->args[0]->type), "a string", d)) return false;
    for (int i = 1; i < c->nargs; i++)
        if (!need(c, i, type_is_integer(c->args[i]->type), "an integer", d)) return false;
    /* A negative length gives NULL (Flink), so with a length the result may be NULL. */
    c->type = type_make(TY_STRING, any_nullable(c) || c->nargs == 3);
    return true;
}

static bool infer_char_length(BExpr *c, Diag *d)
{
    if (!need(c, 0, type_is_string(c->args[0]->type), "a string", d)) return false;
    c->type = type_make(TY_INT, any_nullable(c));
    return true;
}

static bool infer_to_ts_ltz(BExpr *c, Diag *d)
{
    if (!need(c, 0, type_is_numeric(c->args[0]->type), "a number", d)) return false;
    if (c->nargs == 2) {
        int64_t p;
        if (!int_literal(c, 1, &p) || (p != 0 && p != 3)) {
            diag_error(d, DIAG_SEMANTIC, c->args[1]->pos, "TO_TIMESTAMP_LTZ precision must be the constant 0 (seconds) or 3 (milliseconds)");
            return false;
        }
    }
    c->type = type_make(TY_TIMESTAMP_LTZ, c->args[0]->type.nullable);
    c->type.precision = 3;
    return true;
}

/* PROCTIME(): the job's processing time.  As a computed column's whole
 * expression it is a processing-time attribute (the binder marks the
 * column, bind_create_table); anywhere else an ordinary TIMESTAMP_LTZ. */
static bool infer_proctime(BExpr *c, Diag *d)
{
    (void)d;
    c->type = type_make(TY_TIMESTAMP_LTZ, false);
    c->type.precision = 3;
    return true;
}

/* CURRENT_WATERMARK(rowtime): the watermark reaching the operator that
 * evaluates it, typed as its argument (precision 3), NULL before the first
 * one.  Flink requires a rowtime attribute as the argument. */
static bool infer_current_watermark(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (t.timeattr != TA_ROWTIME) {
        StrBuf b = {0};
        t.nullable = 1;
        type_print(&b, t);
        diag_error(d, DIAG_SEMANTIC, c->args[0]->pos,
                   "CURRENT_WATERMARK expects a rowtime attribute (a table's WATERMARK column) as its argument, got %s", b.s);
        sb_free(&b);
        return false;
    }
    c->type = type_make(t.kind, true);
    c->type.precision = 3;
    return true;
}

bool func_common_type(const BExpr *c, int from, Type *out, Diag *d)
{
    Type t = c->args[from]->type;
    for (int i = from + 1; i < c->nargs; i++) {
        Type u;
        if (!type_common(t, c->args[i]->type, &u)) {
            StrBuf a = {0}, b = {0};
            type_print(&a, t);
            type_print(&b, c->args[i]->type);
            diag_error(d, DIAG_SEMANTIC, c->args[i]->pos, "%s arguments have no common type: %s and %s", c->fn->name, a.s, b.s);
            sb_free(&a);
            sb_free(&b);
            return false;
        }
        t = u;
    }
    *out = t;
    return true;
}

static bool infer_coalesce(BExpr *c, Diag *d)
{
    Type t;
    if (!func_common_type(c, 0, &t, d)) return false;
    bool nullable = true;
    for (int i = 0; i < c->nargs && nullable; i++) nullable = c->args[i]->type.nullable;
    if (c->fn->id == FN_NULLIF) {
        t = c->args[0]->type;
        nullable = true;
    }
    t.nullable = nullable;
    c->type = t;
    return true;
}

/* STDDEV_POP/SAMP, VAR_POP/SAMP: Flink types them as AVG (FlinkTypeSystem's
 * deriveAvgAggType): the argument's type — so an INT column's deviation is
 * an INT, truncated — and DECIMAL(38, max(s, 6)) for a DECIMAL. */
static bool infer_variance(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, type_is_numeric(t), "a number", d)) return false;
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    if (t.kind == TY_DECIMAL) t = type_decimal(DECIMAL_MAX_PRECISION, t.scale > 6 ? t.scale : 6, true);
    t.nullable = 1;
    c->type = t;
    return true;
}

/* FIRST_VALUE / LAST_VALUE: the argument's type, NULL over no non-NULL value. */
/* DISTINCT over an ordered or concatenating aggregate: eddy keeps no
 * multiset in front of its list, so it refuses rather than ignores it. */
static bool no_distinct(BExpr *c, Diag *d)
{
    if (!c->distinct) return true;
    diag_error(d, DIAG_SEMANTIC, c->pos, "%s(DISTINCT …) is not supported by eddy", c->fn->name);
    return false;
}

static bool infer_first_last(BExpr *c, Diag *d)
{
    if (!no_distinct(c, d)) return false;
    Type t = c->args[0]->type;
    if (!need(c, 0, t.kind != TY_INTERVAL, "a value", d)) return false;
    if (t.kind == TY_NULL) t = type_make(TY_INT, true);
    t.nullable = 1;
    t.timeattr = TA_NONE;
    c->type = t;
    return true;
}

/* LISTAGG(s [, sep]): STRING.  eddy takes the separator as a constant
 * string (Flink's planner passes it per row; a constant is what queries
 * write); NULL or absent means ','. */
static bool infer_listagg(BExpr *c, Diag *d)
{
    if (!no_distinct(c, d)) return false;
    if (!need(c, 0, type_is_string(c->args[0]->type), "a string", d)) return false;
    if (c->nargs == 2) {
        const BExpr *s = c->args[1];
        if (s->kind != BX_LIT || (!s->lit.null && !type_is_string(s->type))) {
            diag_error(d, DIAG_SEMANTIC, s->pos, "LISTAGG's separator must be a constant string, as in LISTAGG(name, '; ')");
            return false;
        }
    }
    c->type = type_make(TY_STRING, true);
    return true;
}

/* CARDINALITY(ARRAY | MAP): INT, NULL for NULL. */
static bool infer_cardinality(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, t.kind == TY_ARRAY || t.kind == TY_MAP, "an ARRAY or a MAP", d)) return false;
    c->type = type_make(TY_INT, t.nullable);
    return true;
}

/* ELEMENT(ARRAY<T>): T, nullable. */
static bool infer_element(BExpr *c, Diag *d)
{
    Type t = c->args[0]->type;
    if (!need(c, 0, t.kind == TY_ARRAY, "an ARRAY", d)) return false;
    c->type = t.kind == TY_ARRAY ? t.nest->types[0] : type_make(TY_NULL, true);
    c->type.nullable = 1;
    return true;
}

static const FuncDef func_table[] = {
    {"COUNT", FN_COUNT, true, 0, 1, infer_count, "COUNT(*) counts rows, COUNT(x) non-NULL values; BIGINT"},
    {"SUM", FN_SUM, true, 1, 1, infer_sum, "sum of non-NULL values; NULL over none; keeps integer types"},
    {"AVG", FN_AVG, true, 1, 1, infer_sum, "average of non-NULL values; AVG of an integer type truncates"},
    {"MIN", FN_MIN, true, 1, 1, infer_minmax, "smallest non-NULL value"},
    {"MAX", FN_MAX, true, 1, 1, infer_minmax, "largest non-NULL value"},
    {"ROUND", FN_ROUND, false, 1, 2, infer_round, "ROUND(x [, n]) half away from zero to n decimal places"},
    {"ABS", FN_ABS, false, 1, 1, infer_same_numeric, "absolute value"},
    {"FLOOR", FN_FLOOR, false, 1, 1, infer_same_numeric, "largest integer value not above x"},
    {"CEIL", FN_CEIL, false, 1, 1, infer_same_numeric, "smallest integer value not below x"},
    {"MOD", FN_MOD, false, 2, 2, infer_mod, "MOD(a, b): remainder of a / b, sign of a"},
    {"POWER", FN_POWER, false, 2, 2, infer_power, "POWER(a, b): a raised to b, DOUBLE"},
    {"UPPER", FN_UPPER, false, 1, 1, infer_string, "upper case"},
    {"LOWER", FN_LOWER, false, 1, 1, infer_string, "lower case"},
    {"CONCAT", FN_CONCAT, false, 1, -1, infer_string, "CONCAT(s, ...): NULL if any argument is NULL"},
    {"CONCAT_WS", FN_CONCAT_WS, false, 2, -1, infer_string, "CONCAT_WS(sep, s, ...): skips NULL arguments"},
    {"SUBSTRING", FN_SUBSTRING, false, 2, 3, infer_substring, "SUBSTRING(s, start [, len]) or SUBSTRING(s FROM start [FOR len]); 1-based"},
    {"TRIM", FN_TRIM, false, 1, 2, infer_string, "TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)"},
    {"LTRIM", FN_LTRIM, false, 1, 1, infer_string, "removes leading spaces"},
    {"RTRIM", FN_RTRIM, false, 1, 1, infer_string, "removes trailing spaces"},
    {"CHAR_LENGTH", FN_CHAR_LENGTH, false, 1, 1, infer_char_length, "number of characters"},
    {"TO_TIMESTAMP_LTZ", FN_TO_TIMESTAMP_LTZ, false, 1, 2, infer_to_ts_ltz, "TO_TIMESTAMP_LTZ(epoch [, 0|3]): seconds (0) or milliseconds (3, default) to TIMESTAMP_LTZ(3)"},
    {"COALESCE", FN_COALESCE, false, 1, -1, infer_coalesce, "first non-NULL argument"},
    {"NULLIF", FN_NULLIF, false, 2, 2, infer_coalesce, "NULLIF(a, b): NULL if a = b, else a"},
    {"PROCTIME", FN_PROCTIME, false, 0, 0, infer_proctime,
     "PROCTIME(): processing time, TIMESTAMP_LTZ(3); a computed column `pt AS PROCTIME()` is a processing-time attribute"},
    {"CURRENT_WATERMARK", FN_CURRENT_WATERMARK, false, 1, 1, infer_current_watermark,
     "CURRENT_WATERMARK(rowtime): the watermark where it is evaluated, NULL before the first"},
    {"NOW", FN_NOW, false, 0, 0, infer_proctime, "NOW(): the current time (the job's clock) as TIMESTAMP_LTZ(3); never a time attribute"},
    {"LISTAGG", FN_LISTAGG, true, 1, 2, infer_listagg,
     "LISTAGG(s [, sep]): the non-NULL values joined by sep (default ','), in arrival order; STRING"},
    {"FIRST_VALUE", FN_FIRST_VALUE, true, 1, 1, infer_first_last, "the first non-NULL value to arrive (under retraction: of those still present)"},
    {"LAST_VALUE", FN_LAST_VALUE, true, 1, 1, infer_first_last, "the last non-NULL value to arrive (under retraction: of those still present)"},
    {"STDDEV_POP", FN_STDDEV_POP, true, 1, 1, infer_variance, "population standard deviation of non-NULL values; typed as AVG"},
    {"STDDEV_SAMP", FN_STDDEV_SAMP, true, 1, 1, infer_variance, "sample standard deviation (NULL over fewer than 2 values); typed as AVG; alias STDDEV"},
    {"VAR_POP", FN_VAR_POP, true, 1, 1, infer_variance, "population variance of non-NULL values; typed as AVG"},
    {"VAR_SAMP", FN_VAR_SAMP, true, 1, 1, infer_variance, "sample variance (NULL over fewer than 2 values); typed as AVG; alias VARIANCE"},
    {"CARDINALITY", FN_CARDINALITY, false, 1, 1, infer_cardinality, "CARDINALITY(array | map): the number of elements or entries"},
    {"ELEMENT", FN_ELEMENT, false, 1, 1, infer_element,
     "ELEMENT(array): the only element of an array of one, NULL for an empty one, an error for more"},
    /* time (func_lib.c; exec/fn_time.c) */
    {"CURRENT_TIMESTAMP", FN_CURRENT_TIMESTAMP, false, 0, 0, finfer_now, "CURRENT_TIMESTAMP: the job's clock as TIMESTAMP_LTZ(3)"},
    {"LOCALTIMESTAMP", FN_LOCALTIMESTAMP, false, 0, 0, finfer_now, "LOCALTIMESTAMP: the job's clock as the session zone's wall clock, TIMESTAMP(3)"},
    {"CURRENT_DATE", FN_CURRENT_DATE, false, 0, 0, finfer_now, "CURRENT_DATE: today in the session time zone, DATE"},
    {"DATE_FORMAT", FN_DATE_FORMAT, false, 2, 2, finfer_date_format,
     "DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss'): formats a TIMESTAMP, TIMESTAMP_LTZ (session zone), DATE or timestamp text"},
    {"EXTRACT", FN_EXTRACT, false, 2, 2, finfer_extract,
     "EXTRACT(unit FROM t): YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, DOW, DOY, ISODOW, EPOCH, …; BIGINT"},
    /* Flink's one-argument shortcuts: the binder plans HOUR(t) as EXTRACT(HOUR FROM t) (bind_call) */
    {"YEAR", FN_EXTRACT, false, 1, 1, finfer_extract, "YEAR(t): EXTRACT(YEAR FROM t)"},
    {"QUARTER", FN_EXTRACT, false, 1, 1, finfer_extract, "QUARTER(t): EXTRACT(QUARTER FROM t), 1 to 4"},
    {"MONTH", FN_EXTRACT, false, 1, 1, finfer_extract, "MONTH(t): EXTRACT(MONTH FROM t), 1 to 12"},
    {"WEEK", FN_EXTRACT, false, 1, 1, finfer_extract, "WEEK(t): EXTRACT(WEEK FROM t), the ISO week, 1 to 53"},
    {"DAYOFYEAR", FN_EXTRACT, false, 1, 1, finfer_extract, "DAYOFYEAR(t): EXTRACT(DOY FROM t), 1 to 366"},
    {"DAYOFMONTH", FN_EXTRACT, false, 1, 1, finfer_extract, "DAYOFMONTH(t): EXTRACT(DAY FROM t), 1 to 31"},
    {"DAYOFWEEK", FN_EXTRACT, false, 1, 1, finfer_extract, "DAYOFWEEK(t): EXTRACT(DOW FROM t), 1 (Sunday) to 7"},
    {"HOUR", FN_EXTRACT, false, 1, 1, finfer_extract, "HOUR(t): EXTRACT(HOUR FROM t), 0 to 23"},
    {"MINUTE", FN_EXTRACT, false, 1, 1, finfer_extract, "MINUTE(t): EXTRACT(MINUTE FROM t), 0 to 59"},
    {"SECOND", FN_EXTRACT, false, 1, 1, finfer_extract, "SECOND(t): EXTRACT(SECOND FROM t), 0 to 59"},
    {"TIMESTAMPADD", FN_TIMESTAMPADD, false, 3, 3, finfer_timestampadd,
     "TIMESTAMPADD(unit, n, t): t plus n units (YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND)"},
    {"TIMESTAMPDIFF", FN_TIMESTAMPDIFF, false, 3, 3, finfer_timestampdiff,
     "TIMESTAMPDIFF(unit, t1, t2): whole units from t1 to t2, INT"},
    {"UNIX_TIMESTAMP", FN_UNIX_TIMESTAMP, false, 0, 2, finfer_unix_timestamp,
     "UNIX_TIMESTAMP() now, or UNIX_TIMESTAMP(s [, fmt]) of a local time text, in epoch seconds; unparsable text gives -9223372036854775808"},
    {"FROM_UNIXTIME", FN_FROM_UNIXTIME, false, 1, 2, finfer_from_unixtime,
     "FROM_UNIXTIME(seconds [, fmt]): the local time (session zone) as text, 'yyyy-MM-dd HH:mm:ss' by default"},
    {"TO_TIMESTAMP", FN_TO_TIMESTAMP, false, 1, 2, finfer_to_timestamp,
     "TO_TIMESTAMP(s [, fmt]): text ('yyyy-MM-dd HH:mm:ss' by default) to TIMESTAMP(3); NULL when it does not parse"},
    {"TO_DATE", FN_TO_DATE, false, 1, 2, finfer_to_timestamp, "TO_DATE(s [, fmt]): text ('yyyy-MM-dd' by default) to DATE; NULL when it does not parse"},
    /* strings and regular expressions (exec/fn_string.c) */
    {"REGEXP_EXTRACT", FN_REGEXP_EXTRACT, false, 2, 3, finfer_regexp,
     "REGEXP_EXTRACT(s, regex [, group]): the group (default 0: the whole match) of the first match; NULL without one"},
    {"REGEXP_REPLACE", FN_REGEXP_REPLACE, false, 3, 3, finfer_regexp, "REGEXP_REPLACE(s, regex, replacement): every match replaced by the literal replacement"},
    {"REGEXP", FN_REGEXP, false, 2, 2, finfer_regexp, "REGEXP(s, regex): TRUE when some part of s matches"},
    {"REPLACE", FN_REPLACE, false, 3, 3, finfer_strfn, "REPLACE(s, from, to): every occurrence of from replaced"},
    {"SPLIT_INDEX", FN_SPLIT_INDEX, false, 3, 3, finfer_strfn, "SPLIT_INDEX(s, sep, i): the i-th (0-based) piece of s split at sep; NULL past the end"},
    {"POSITION", FN_POSITION, false, 2, 2, finfer_strfn, "POSITION(x IN s): where x first occurs in s (1-based), 0 if it does not"},
    {"LOCATE", FN_LOCATE, false, 2, 3, finfer_strfn, "LOCATE(x, s [, from]): where x first occurs in s at or after from (1-based), 0 if not"},
    {"LPAD", FN_LPAD, false, 3, 3, finfer_strfn, "LPAD(s, n, pad): s left-padded (or cut) to n characters"},
    {"RPAD", FN_RPAD, false, 3, 3, finfer_strfn, "RPAD(s, n, pad): s right-padded (or cut) to n characters"},
    {"REPEAT", FN_REPEAT, false, 2, 2, finfer_strfn, "REPEAT(s, n): s n times"},
    {"REVERSE", FN_REVERSE, false, 1, 1, finfer_strfn, "REVERSE(s): the characters in reverse order"},
    {"INITCAP", FN_INITCAP, false, 1, 1, finfer_strfn, "INITCAP(s): each word's first letter upper case, the rest lower case"},
    {"LEFT", FN_LEFT, false, 2, 2, finfer_strfn, "LEFT(s, n): the first n characters ('' for n < 0)"},
    {"RIGHT", FN_RIGHT, false, 2, 2, finfer_strfn, "RIGHT(s, n): the last n characters ('' for n < 0)"},
    {"MD5", FN_MD5, false, 1, 1, finfer_strfn, "MD5(s): the MD5 digest as 32 hex digits"},
    {"SHA256", FN_SHA256, false, 1, 1, finfer_strfn, "SHA256(s): the SHA-256 digest as 64 hex digits"},
    /* JSON (exec/fn_json.c) */
    {"JSON_VALUE", FN_JSON_VALUE, false, 2, 4, finfer_json,
     "JSON_VALUE(s, path [RETURNING t] [NULL|ERROR|DEFAULT x ON EMPTY] [… ON ERROR]): the scalar at path"},
    {"JSON_EXISTS", FN_JSON_EXISTS, false, 2, 2, finfer_json, "JSON_EXISTS(s, path [TRUE|FALSE|UNKNOWN|ERROR ON ERROR]): whether path selects something"},
    {"JSON_QUERY", FN_JSON_QUERY, false, 2, 2, finfer_json,
     "JSON_QUERY(s, path [WITH [CONDITIONAL] ARRAY WRAPPER] [… ON EMPTY] [… ON ERROR]): the object or array at path, as JSON text"},
    {"JSON_OBJECT", FN_JSON_OBJECT, false, 0, -1, finfer_json, "JSON_OBJECT(KEY k VALUE v, … [NULL|ABSENT ON NULL]): a JSON object text"},
    {"JSON_ARRAY", FN_JSON_ARRAY, false, 0, -1, finfer_json, "JSON_ARRAY(v, … [NULL|ABSENT ON NULL]): a JSON array text"},
    /* conditionals and math (exec/fn_math.c) */
    {"IF", FN_IF, false, 3, 3, finfer_if, "IF(cond, a, b): a when cond is TRUE, else b"},
    {"IFNULL", FN_IFNULL, false, 2, 2, finfer_ifnull, "IFNULL(x, y): y when x is NULL; nullable only when y is"},
    {"GREATEST", FN_GREATEST, false, 1, -1, finfer_greatest, "GREATEST(a, b, …): the largest; NULL if any argument is NULL"},
    {"LEAST", FN_LEAST, false, 1, -1, finfer_greatest, "LEAST(a, b, …): the smallest; NULL if any argument is NULL"},
    {"SIGN", FN_SIGN, false, 1, 1, finfer_math, "SIGN(x): -1, 0 or 1, in x's type"},
    {"SQRT", FN_SQRT, false, 1, 1, finfer_math, "SQRT(x): square root, DOUBLE"},
    {"LN", FN_LN, false, 1, 1, finfer_math, "LN(x): natural logarithm, DOUBLE"},
    {"LOG10", FN_LOG10, false, 1, 1, finfer_math, "LOG10(x): base-10 logarithm, DOUBLE"},
    {"LOG2", FN_LOG2, false, 1, 1, finfer_math, "LOG2(x): base-2 logarithm, DOUBLE"},
    {"LOG", FN_LOG, false, 1, 2, finfer_math, "LOG(x) natural logarithm, LOG(b, x) base-b logarithm; DOUBLE"},
    {"EXP", FN_EXP, false, 1, 1, finfer_math, "EXP(x): e raised to x, DOUBLE"},
    {"TRUNCATE", FN_TRUNCATE, false, 1, 2, finfer_math, "TRUNCATE(x [, n]): x cut (toward zero) to n decimal places"},
    {"UUID", FN_UUID, false, 0, 0, finfer_uuid, "UUID(): a random (version 4) UUID text"},
};

static const struct {
    const char *alias;    /* another accepted name */
    const char *name;     /* the canonical one */
} func_aliases[] = {
    {"SUBSTR", "SUBSTRING"}, {"CEILING", "CEIL"}, {"POW", "POWER"},
    {"CHARACTER_LENGTH", "CHAR_LENGTH"},
    {"STDDEV", "STDDEV_SAMP"}, {"VARIANCE", "VAR_SAMP"},
};

const FuncDef *func_find(const char *name)
{
    for (size_t i = 0; i < sizeof func_aliases / sizeof func_aliases[0]; i++)
        if (strcasecmp(name, func_aliases[i].alias) == 0) name = func_aliases[i].name;
    for (size_t i = 0; i < sizeof func_table / sizeof func_table[0]; i++)
        if (strcasecmp(name, func_table[i].name) == 0) return &func_table[i];
    return NULL;
}

void func_document(StrBuf *out)
{
    for (size_t i = 0; i < sizeof func_table / sizeof func_table[0]; i++)
        sb_printf(out, "  %-18s %s%s\n", func_table[i].name, func_table[i].agg ? "(aggregate) " : "", func_table[i].doc);
}
