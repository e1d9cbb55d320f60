/*
 * fn_time.c — time functions with Flink's semantics.
 *
 *   - CURRENT_TIMESTAMP (TIMESTAMP_LTZ), LOCALTIMESTAMP (TIMESTAMP: the
 *     session zone's wall clock), CURRENT_DATE and UNIX_TIMESTAMP() read
 *     the job's clock (ctx->now_ms), as NOW() and PROCTIME() do: the wall
 *     clock under Kafka, a test's `clock` lines in `eddy test`.
 *   - A TIMESTAMP_LTZ is taken as its wall clock in the session zone
 *     ('table.local-time-zone') by DATE_FORMAT, EXTRACT and the calendar
 *     units of TIMESTAMPADD/TIMESTAMPDIFF; hours and smaller are added to
 *     and measured on the instant.
 *   - DATE_FORMAT(x, fmt) takes Java SimpleDateFormat letters (datefmt.h);
 *     a string x is read as 'yyyy-MM-dd HH:mm:ss[.SSS]' (NULL when it is
 *     not one).  A format from a column that does not work gives NULL.
 *   - EXTRACT: DOW is 1 (Sunday) … 7, ISODOW 1 (Monday) … 7, WEEK the ISO
 *     week, MILLISECOND the seconds in milliseconds (12.345 s → 12345),
 *     MICROSECOND likewise, EPOCH seconds since 1970 (of the wall clock for
 *     a TIMESTAMP).
 *   - TIMESTAMPADD of months keeps the day, or the month's last day
 *     (Jan 31 + 1 month = Feb 29 in a leap year).  TIMESTAMPDIFF counts
 *     whole units, toward zero; months count when the day and time of day
 *     have come round (Jan 31 → Feb 28 is 0 months).
 *   - UNIX_TIMESTAMP(s [, fmt]) reads a local time in the session zone (or
 *     the zone the text gives) and is -9223372036854775808
 *     (Long.MIN_VALUE) when s does not parse, as Flink documents;
 *     FROM_UNIXTIME(n [, fmt]) formats epoch seconds in the session zone.
 *     TO_TIMESTAMP and TO_DATE are NULL when the text does not parse.
 *     The default formats are 'yyyy-MM-dd HH:mm:ss' and 'yyyy-MM-dd'; the
 *     format-less TO_TIMESTAMP and TO_DATE also take 'T' and fractions.
 */
#include "fn.h"

#include <string.h>

#include "civil.h"
#include "datefmt.h"

#define DAY_MS 86400000LL

static const char DEFAULT_TS_FMT[] = "yyyy-MM-dd HH:mm:ss";

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A temporal value as local wall-clock milliseconds. */
static int64_t to_local(const EvalCtx *ctx, Type t, const Value *v)
{
    switch (t.kind) {
    case TY_DATE: return v->i * DAY_MS;
    case TY_TIMESTAMP_LTZ: return eval_ltz_to_local(ctx, v->i);
    default: return v->i;
    }
}

static int format(const char *fmt, int fn, int64_t local, int64_t zone, Value *out, EvalCtx *ctx)
{
    /* Into the stack, then only the bytes written into the batch arena
     * (which zeroes what it gives: the worst case per row cost a memset). */
    char buf[2048];
    size_t max = datefmt_max(fn);
    char *o = max <= sizeof buf ? buf : fn_alloc(ctx, max);
    int w = datefmt_format(fmt, fn, local, zone, o);
    if (w < 0) return fn_null(out), 0;
    if (o == buf) {
        o = fn_alloc(ctx, (size_t)w);
        memcpy(o, buf, (size_t)w);
    }
    fn_str(out, o, w);
    return 0;
}

/* Months since year 0 and the milliseconds into the month. */
static void month_split(int64_t ms, int64_t *months, int64_t *rest)
{
    int64_t days = fdiv(ms, DAY_MS), y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    *months = y * 12 + (m - 1);
    *rest = (int64_t)(d - 1) * DAY_MS + (ms - days * DAY_MS);
}

static bool add_months(int64_t ms, int64_t k, int64_t *out)
{
    int64_t days = fdiv(ms, DAY_MS), tod = ms - days * DAY_MS, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t mm = y * 12 + (m - 1);
    if (__builtin_add_overflow(mm, k, &mm) || mm > 12LL * 200000000 || mm < -12LL * 200000000) return false;
    y = fdiv(mm, 12);
    m = (int)(mm - y * 12) + 1;
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int lim = dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > lim) d = lim;
    *out = civil_to_days(y, m, d) * DAY_MS + tod;
    return true;
}

static int64_t unit_ms(int u)
{
    switch (u) {
    case TU_MILLISECOND: return 1;
    case TU_SECOND: return 1000;
    case TU_MINUTE: return 60000;
    case TU_HOUR: return 3600000;
    case TU_DAY: return DAY_MS;
    case TU_WEEK: return 7 * DAY_MS;
    default: return 0;
    }
}

static int64_t unit_months(int u) { return u == TU_MONTH ? 1 : u == TU_QUARTER ? 3 : u == TU_YEAR ? 12 : 0; }

/* ISO week-based year and week of the day `days`. */
static void iso_week(int64_t days, int64_t *iso_year, int64_t *week)
{
    int64_t isodow = ((days % 7) + 7 + 3) % 7 + 1;   /* 1 = Monday */
    int64_t thursday = days - isodow + 4;              /* the week's Thursday decides the year */
    int64_t y;
    int m, d;
    civil_from_days(thursday, &y, &m, &d);
    *iso_year = y;
    *week = (thursday - civil_to_days(y, 1, 1)) / 7 + 1;
}

static int extract(int unit, Type t, int64_t local, int64_t utc, Value *out)
{
    int64_t days = fdiv(local, DAY_MS), tod = local - days * DAY_MS, y, r = 0;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    switch (unit) {
    case TU_YEAR: r = y; break;
    case TU_QUARTER: r = (m - 1) / 3 + 1; break;
    case TU_MONTH: r = m; break;
    case TU_DAY: r = d; break;
    case TU_HOUR: r = tod / 3600000; break;
    case TU_MINUTE: r = tod / 60000 % 60; break;
    case TU_SECOND: r = tod / 1000 % 60; break;
    case TU_MILLISECOND: r = tod % 60000; break;
    case TU_MICROSECOND: r = tod % 60000 * 1000; break;
    case TU_DOW: r = ((days % 7) + 7 + 4) % 7 + 1; break;       /* 1 = Sunday */
    case TU_ISODOW: r = ((days % 7) + 7 + 3) % 7 + 1; break;    /* 1 = Monday */
    case TU_DOY: r = days - civil_to_days(y, 1, 1) + 1; break;
    case TU_WEEK: { int64_t iy; iso_week(days, &iy, &r); break; }
    case TU_ISOYEAR: { int64_t w; iso_week(days, &r, &w); break; }
    case TU_DECADE: r = fdiv(y, 10); break;
    case TU_CENTURY: r = y > 0 ? (y + 99) / 100 : -((-y + 100) / 100); break;
    case TU_MILLENNIUM: r = y > 0 ? (y + 999) / 1000 : -((-y + 1000) / 1000); break;
    case TU_EPOCH: r = fdiv(t.kind == TY_TIMESTAMP_LTZ ? utc : local, 1000); break;
    default: break;
    }
    fn_int(out, r);
    return 0;
}

static int range(EvalCtx *ctx, const BExpr *e) { return fn_fail(ctx, e, "%s: the result is out of range", e->fn->name); }

static int timestampadd(const BExpr *e, const Value *v, Value *out, EvalCtx *ctx)
{
    int u = e->flags;
    int64_t k = v[1].i, r;
    Type t = e->args[2]->type;
    if (t.kind == TY_TIMESTAMP_LTZ && unit_ms(u) && unit_ms(u) < DAY_MS) {   /* on the instant */
        if (__builtin_mul_overflow(k, unit_ms(u), &r) || __builtin_add_overflow(v[2].i, r, &r)) return range(ctx, e);
        return fn_int(out, r), 0;
    }
    int64_t local = to_local(ctx, t, &v[2]);
    if (unit_months(u)) {
        int64_t mk;
        if (__builtin_mul_overflow(k, unit_months(u), &mk) || !add_months(local, mk, &r)) return range(ctx, e);
    } else if (__builtin_mul_overflow(k, unit_ms(u), &r) || __builtin_add_overflow(local, r, &r)) {
        return range(ctx, e);
    }
    switch (e->type.kind) {
    case TY_DATE: fn_int(out, fdiv(r, DAY_MS)); break;
    case TY_TIMESTAMP_LTZ: fn_int(out, eval_local_to_ltz(ctx, r)); break;
    default: fn_int(out, r); break;
    }
    return 0;
}

static int timestampdiff(const BExpr *e, const Value *v, Value *out, EvalCtx *ctx)
{
    int u = e->flags;
    Type ta = e->args[1]->type, tb = e->args[2]->type;
    int64_t a, b;
    if (ta.kind == TY_TIMESTAMP_LTZ && tb.kind == TY_TIMESTAMP_LTZ && unit_ms(u) && unit_ms(u) < DAY_MS) a = v[1].i, b = v[2].i;
    else a = to_local(ctx, ta, &v[1]), b = to_local(ctx, tb, &v[2]);
    int64_t r;
    if (unit_months(u)) {
        int64_t ma, ra, mb, rb;
        month_split(a, &ma, &ra);
        month_split(b, &mb, &rb);
        r = mb - ma;
        if (r > 0 && rb < ra) r--;
        else if (r < 0 && rb > ra) r++;
        r /= unit_months(u);
    } else {
        int64_t diff;
        if (__builtin_sub_overflow(b, a, &diff)) return range(ctx, e);
        r = diff / unit_ms(u);
    }
    fn_int(out, (int32_t)r);
    return 0;
}

/* Text → local ms with fmt (NULL fmt: the lenient default); has_zone/zone from the text. */
static bool parse(const char *s, int n, const Value *fmt, int64_t *ms, bool *has_zone, int64_t *zone, bool date_only)
{
    *has_zone = false;
    *zone = 0;
    if (!fmt) {
        if (!date_only) return eval_parse_timestamp(s, n, ms);
        int64_t days;
        if (!eval_parse_date(s, n, &days)) return false;
        *ms = days * DAY_MS;
        return true;
    }
    return datefmt_parse(fmt->s, fmt->n, s, n, ms, has_zone, zone);
}

int fn_time(const BExpr *e, const Value *row, Value *out, EvalCtx *ctx)
{
    switch (e->fn->id) {
    case FN_CURRENT_TIMESTAMP: fn_int(out, ctx->now_ms); return 0;
    case FN_LOCALTIMESTAMP: fn_int(out, eval_ltz_to_local(ctx, ctx->now_ms)); return 0;
    case FN_CURRENT_DATE: fn_int(out, fdiv(eval_ltz_to_local(ctx, ctx->now_ms), DAY_MS)); return 0;
    case FN_UNIX_TIMESTAMP:
        if (e->nargs == 0) return fn_int(out, fdiv(ctx->now_ms, 1000)), 0;
        break;
    default: break;
    }
    Value v[3];
    memset(v, 0, sizeof v);
    bool null;
    if (fn_args(e, row, v, &null, ctx)) return -1;
    if (null) return fn_null(out), 0;
    switch (e->fn->id) {
    case FN_DATE_FORMAT: {
        Type t = e->args[0]->type;
        int64_t local, zone = 0;
        if (t.kind == TY_STRING) {
            if (!eval_parse_timestamp(v[0].s, v[0].n, &local)) return fn_null(out), 0;
        } else {
            local = to_local(ctx, t, &v[0]);
            if (t.kind == TY_TIMESTAMP_LTZ) zone = local - v[0].i;
        }
        return format(v[1].s, v[1].n, local, zone, out, ctx);
    }
    case FN_EXTRACT: {
        Type t = e->args[1]->type;
        return extract(e->flags, t, to_local(ctx, t, &v[1]), v[1].i, out);
    }
    case FN_TIMESTAMPADD: return timestampadd(e, v, out, ctx);
    case FN_TIMESTAMPDIFF: return timestampdiff(e, v, out, ctx);
    case FN_UNIX_TIMESTAMP: {
        Value def = {.s = DEFAULT_TS_FMT, .n = (int32_t)strlen(DEFAULT_TS_FMT)};
        int64_t ms, zone;
        bool has_zone;
        if (!parse(v[0].s, v[0].n, e->nargs == 2 ? &v[1] : &def, &ms, &has_zone, &zone, false)) return fn_int(out, INT64_MIN), 0;
        int64_t utc = has_zone ? ms - zone : eval_local_to_ltz(ctx, ms);
        fn_int(out, fdiv(utc, 1000));
        return 0;
    }
    case FN_FROM_UNIXTIME: {
        Type t = e->args[0]->type;
        int64_t secs;
        if (type_is_integer(t)) secs = v[0].i;
        else {
            double d = eval_num_to_double(t, &v[0]);
            if (!(d > -9.2e15 && d < 9.2e15)) return fn_null(out), 0;
            secs = (int64_t)d;
        }
        int64_t utc;
        if (__builtin_mul_overflow(secs, 1000, &utc) || utc > 253402300799999LL * 100 || utc < -253402300799999LL * 100) return fn_null(out), 0;
        int64_t local = eval_ltz_to_local(ctx, utc);
        if (e->nargs == 2) return format(v[1].s, v[1].n, local, local - utc, out, ctx);
        return format(DEFAULT_TS_FMT, (int)strlen(DEFAULT_TS_FMT), local, local - utc, out, ctx);
    }
    case FN_TO_TIMESTAMP:
    case FN_TO_DATE: {
        bool date = e->fn->id == FN_TO_DATE, has_zone;
        int64_t ms, zone;
        if (!parse(v[0].s, v[0].n, e->nargs == 2 ? &v[1] : NULL, &ms, &has_zone, &zone, date)) return fn_null(out), 0;
        fn_int(out, date ? fdiv(ms, DAY_MS) : ms);
        return 0;
    }
    default: return fn_fail(ctx, e, "%s cannot be evaluated here", e->fn->name);
    }
}
