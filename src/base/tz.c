/*
 * tz.c — time zones (tz.h): names to zones, and offsets at instants.
 *
 * Fixed offsets are parsed here; IANA zones come from their compiled TZif
 * files (RFC 8536): the 64-bit transitions of a version 2+ file (or the
 * 32-bit ones of a version 1 file) and the POSIX TZ string of its footer,
 * which gives the offsets after the last transition (slim files rely on it
 * for every year after their last change of rules).  Leap-second records are
 * skipped: instants are POSIX time, as in Java.
 */
#include "tz.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL
/* Instants beyond ±2^55 ms (a million years) are clamped: a final
 * watermark (INT64_MAX) still gets an offset, and no sum overflows. */
#define TZ_LIMIT (INT64_C(1) << 55)

const char *tz_name(const TimeZone *tz) { return tz ? tz->name : "UTC"; }

/* ---- fixed offsets ---- */

/* "[+-]h", "[+-]hh", "[+-]hh:mm", "[+-]hhmm", "[+-]hh:mm:ss", "[+-]hhmmss" → ms; false if not one. */
static bool parse_offset(const char *s, int64_t *out)
{
    if (*s != '+' && *s != '-') return false;
    int sign = *s == '-' ? -1 : 1;
    s++;
    int f[3] = {0, 0, 0}, nf = 0;
    size_t n = strlen(s);
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != ':') return false;
    if (strchr(s, ':')) {
        /* hh:mm[:ss], each part two digits (the hours may be one) */
        const char *p = s;
        while (*p && nf < 3) {
            size_t k = 0;
            while (isdigit((unsigned char)p[k])) k++;
            if (k == 0 || k > 2 || (nf > 0 && k != 2)) return false;
            f[nf++] = (p[0] - '0') * (k == 2 ? 10 : 1) + (k == 2 ? p[1] - '0' : 0);
            p += k;
            if (*p == ':') {
                p++;
                if (!*p) return false;
            }
        }
        if (*p || nf < 2) return false;
    } else {
        if (n != 1 && n != 2 && n != 4 && n != 6) return false;
        if (n == 1) f[0] = s[0] - '0';
        else
            for (size_t i = 0; i < n; i += 2) f[nf++] = (s[i] - '0') * 10 + s[i + 1] - '0';
    }
    if (f[0] > 18 || f[1] > 59 || f[2] > 59) return false;
    int64_t ms = ((int64_t)f[0] * 3600 + f[1] * 60 + f[2]) * 1000;
    if (ms > 18 * HOUR_MS) return false;
    *out = sign * ms;
    return true;
}

/* UTC and fixed offsets, with or without a UTC/GMT/UT prefix; false if the name is not one. */
static bool parse_fixed(const char *name, int64_t *off)
{
    if (strcmp(name, "Z") == 0) return *off = 0, true;
    static const char *const prefixes[] = {"UTC", "GMT", "UT", ""};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) != 0) continue;
        const char *rest = name + n;
        if (n && !*rest) return *off = 0, true;
        if (parse_offset(rest, off)) return true;
    }
    return false;
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

/* A zone abbreviation: <...> or three or more letters. */
static bool tzs_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        const char *e = strchr(s, '>');
        if (!e || e - s < 2) return false;
        *p = e + 1;
        return true;
    }
    int n = 0;
    while (isalpha((unsigned char)s[n])) n++;
    if (n < 3) return false;
    *p = s + n;
    return true;
}

/* [+-]h[h][:mm[:ss]] → seconds (hours up to 167, RFC 8536's extension). */
static bool tzs_time(const char **p, int32_t *secs)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*s)) return false;
    int h = 0, m = 0, sec = 0;
    while (isdigit((unsigned char)*s)) {
        h = h * 10 + (*s++ - '0');
        if (h > 167) return false;
    }
    if (*s == ':') {
        s++;
        if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1])) return false;
        m = (s[0] - '0') * 10 + s[1] - '0';
        s += 2;
        if (*s == ':') {
            s++;
            if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1])) return false;
            sec = (s[0] - '0') * 10 + s[1] - '0';
            s += 2;
        }
    }
    if (m > 59 || sec > 59) return false;
    *secs = sign * (h * 3600 + m * 60 + sec);
    *p = s;
    return true;
}

static bool tzs_int(const char **p, int lo, int hi, int *out)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s)) return false;
    int v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s++ - '0');
        if (v > hi) return false;
    }
    if (v < lo) return false;
    *out = v;
    *p = s;
    return true;
}

/* Jn | n | Mm.w.d, then [/time] (default 02:00). */
static bool tzs_date(const char **p, TzDate *d)
{
    const char *s = *p;
    memset(d, 0, sizeof *d);
    if (*s == 'J') {
        s++;
        d->kind = 'J';
        if (!tzs_int(&s, 1, 365, &d->a)) return false;
    } else if (*s == 'M') {
        s++;
        d->kind = 'M';
        if (!tzs_int(&s, 1, 12, &d->a) || *s++ != '.' || !tzs_int(&s, 1, 5, &d->b) || *s++ != '.' || !tzs_int(&s, 0, 6, &d->c))
            return false;
    } else {
        d->kind = 'N';
        if (!tzs_int(&s, 0, 365, &d->a)) return false;
    }
    d->time_s = 7200;
    if (*s == '/') {
        s++;
        if (!tzs_time(&s, &d->time_s)) return false;
    }
    *p = s;
    return true;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; POSIX offsets are west-positive. */
static bool parse_posix_tz(const char *s, TzRule *r)
{
    memset(r, 0, sizeof *r);
    int32_t secs;
    if (!tzs_name(&s) || !tzs_time(&s, &secs)) return false;
    r->std_off_ms = -secs * 1000;
    if (!*s) return true;
    if (!tzs_name(&s)) return false;
    r->has_dst = true;
    r->dst_off_ms = r->std_off_ms + 3600000;
    if (*s && *s != ',') {
        if (!tzs_time(&s, &secs)) return false;
        r->dst_off_ms = -secs * 1000;
    }
    if (!*s) {
        /* no rules: POSIX leaves them to the implementation; the US rules, as glibc */
        r->start = (TzDate){'M', 3, 2, 0, 7200};
        r->end = (TzDate){'M', 11, 1, 0, 7200};
        return true;
    }
    if (*s++ != ',' || !tzs_date(&s, &r->start) || *s++ != ',' || !tzs_date(&s, &r->end)) return false;
    return *s == 0;
}

static bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* The local midnight (as days since the epoch) of a rule's date in year y, plus its time, in ms. */
static int64_t rule_local_ms(const TzDate *d, int64_t y)
{
    int64_t jan1 = civil_to_days(y, 1, 1), day;
    if (d->kind == 'J') {
        day = jan1 + d->a - 1 + (leap_year(y) && d->a >= 60);
    } else if (d->kind == 'N') {
        day = jan1 + d->a;
    } else {
        static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = civil_to_days(y, d->a, 1);
        int wday = (int)(((first + 4) % 7 + 7) % 7);   /* 1970-01-01 was a Thursday */
        int mday = 1 + (d->c - wday + 7) % 7 + (d->b - 1) * 7;
        int len = dim[d->a - 1] + (d->a == 2 && leap_year(y));
        while (mday > len) mday -= 7;
        day = first + mday - 1;
    }
    return day * DAY_MS + (int64_t)d->time_s * 1000;
}

static int32_t rule_offset(const TzRule *r, int64_t utc_ms)
{
    if (!r->has_dst) return r->std_off_ms;
    int64_t local = utc_ms + r->std_off_ms, y;
    int m, d;
    civil_from_days(local >= 0 ? local / DAY_MS : -((-local + DAY_MS - 1) / DAY_MS), &y, &m, &d);
    /* Both changes fall within the year (the rules of every zone put them
     * months apart), so the year's pair decides, south of the equator too. */
    int64_t start = rule_local_ms(&r->start, y) - r->std_off_ms;
    int64_t end = rule_local_ms(&r->end, y) - r->dst_off_ms;
    bool dst = start < end ? (utc_ms >= start && utc_ms < end) : !(utc_ms >= end && utc_ms < start);
    return dst ? r->dst_off_ms : r->std_off_ms;
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static int64_t be64(const unsigned char *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

/* Reads the whole file (heap) into *buf; its length, or -1. */
static long read_file(const char *path, unsigned char **buf)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap);
    if (!b) abort();
    for (;;) {
        if (n == cap) {
            if (cap >= 1 << 20) break;   /* no zone file is that big */
            cap *= 2;
            b = realloc(b, cap);
            if (!b) abort();
        }
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    bool bad = ferror(f) || n == cap;
    fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    *buf = b;
    return (long)n;
}

/* Parses TZif data into tz (arrays in a); false if it is not valid TZif. */
static bool parse_tzif(const unsigned char *b, size_t n, TimeZone *tz, Arena *a)
{
    if (n < 44 || memcmp(b, "TZif", 4) != 0) return false;
    int version = b[4] ? b[4] - '0' : 1;
    const unsigned char *p = b;
    size_t left = n;
    int tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (left < 44 || memcmp(p, "TZif", 4) != 0) return false;
        uint32_t isutcnt = be32(p + 20), isstdcnt = be32(p + 24), leapcnt = be32(p + 28), timecnt = be32(p + 32),
                 typecnt = be32(p + 36), charcnt = be32(p + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leapcnt > 100000 || charcnt > 100000 || isutcnt > 256 ||
            isstdcnt > 256)
            return false;
        size_t body = (size_t)timecnt * (size_t)tsize + timecnt + (size_t)typecnt * 6 + charcnt + (size_t)leapcnt * (size_t)(tsize + 4) +
                      isstdcnt + isutcnt;
        if (left - 44 < body) return false;
        const unsigned char *d = p + 44;
        if (pass == 0 && version >= 2) {   /* skip the 32-bit block, read the 64-bit one */
            p = d + body;
            left -= 44 + body;
            tsize = 8;
            continue;
        }
        const unsigned char *times = d, *idx = d + (size_t)timecnt * (size_t)tsize, *types = idx + timecnt;
        int32_t *offs = arena_alloc(a, sizeof(int32_t) * typecnt);
        for (uint32_t i = 0; i < typecnt; i++) {
            int32_t o = (int32_t)be32(types + 6 * i);
            if (o < -25 * 3600 || o > 26 * 3600) return false;
            offs[i] = o * 1000;
        }
        int64_t *at = arena_alloc(a, sizeof(int64_t) * (timecnt ? timecnt : 1));
        int32_t *off = arena_alloc(a, sizeof(int32_t) * (timecnt ? timecnt : 1));
        for (uint32_t i = 0; i < timecnt; i++) {
            int64_t t = tsize == 8 ? be64(times + 8 * i) : (int64_t)(int32_t)be32(times + 4 * i);
            if (t < -(INT64_C(1) << 50) || t > (INT64_C(1) << 50)) t = t < 0 ? -(INT64_C(1) << 50) : (INT64_C(1) << 50);
            if (idx[i] >= typecnt || (i && t * 1000 < at[i - 1])) return false;
            at[i] = t * 1000;
            off[i] = offs[idx[i]];
        }
        tz->at = at;
        tz->off = off;
        tz->ntrans = (int)timecnt;
        tz->first_off = offs[0];
        if (tsize == 8) {
            /* footer: \n TZ-string \n */
            const unsigned char *f = d + body, *end = p + left;
            if (f < end && *f == '\n') {
                const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
                if (nl && nl > f + 1) {
                    char *s = arena_strndup(a, (const char *)f + 1, (size_t)(nl - f - 1));
                    if (!parse_posix_tz(s, &tz->rule)) return false;
                    tz->has_rule = true;
                }
            }
        }
        return true;
    }
    return false;
}

/* A name that may be a file under the zoneinfo folder: no absolute or parent paths. */
static bool iana_shaped(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200 || name[0] == '/' || name[0] == '.' || strstr(name, "..") || strstr(name, "//")) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("/_+-", name[i])) return false;
    return true;
}

int tz_parse(const char *name, Arena *a, const TimeZone **out, char *err, size_t errlen)
{
    TimeZone *tz = arena_alloc(a, sizeof *tz);
    tz->name = arena_strdup(a, name);
    int64_t off;
    if (parse_fixed(name, &off)) {
        tz->first_off = (int32_t)off;
        *out = tz;
        return 0;
    }
    if (!iana_shaped(name)) {
        snprintf(err, errlen,
                 "unknown time zone '%s': use 'UTC', a fixed offset such as '+08:00' or 'GMT-05:30' (at most 18 hours), "
                 "or an IANA zone such as 'Asia/Shanghai'", name);
        return -1;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) dir = "/usr/share/zoneinfo";
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *buf = NULL;
    long n = read_file(path, &buf);
    if (n < 0) {
        snprintf(err, errlen,
                 "unknown time zone '%s' (no zone file %s; IANA names are case-sensitive, e.g. 'America/New_York'; "
                 "fixed offsets are written '+08:00' or 'GMT-05:30')", name, path);
        return -1;
    }
    bool ok = parse_tzif(buf, (size_t)n, tz, a);
    free(buf);
    if (!ok) {
        snprintf(err, errlen, "time zone '%s': %s is not a valid TZif zone file", name, path);
        return -1;
    }
    *out = tz;
    return 0;
}

bool tz_valid(const char *name, char *err, size_t errlen)
{
    Arena a;
    arena_init(&a, 1024);
    const TimeZone *tz;
    bool ok = tz_parse(name, &a, &tz, err, errlen) == 0;
    arena_free(&a);
    return ok;
}

int64_t tz_offset_ms(const TimeZone *tz, int64_t utc_ms)
{
    if (!tz) return 0;
    if (utc_ms > TZ_LIMIT) utc_ms = TZ_LIMIT;
    if (utc_ms < -TZ_LIMIT) utc_ms = -TZ_LIMIT;
    if (tz->ntrans == 0) return tz->has_rule ? rule_offset(&tz->rule, utc_ms) : tz->first_off;
    if (utc_ms < tz->at[0]) return tz->first_off;
    if (utc_ms >= tz->at[tz->ntrans - 1] && tz->has_rule) return rule_offset(&tz->rule, utc_ms);
    int lo = 0, hi = tz->ntrans - 1;   /* the last transition at or before utc_ms */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (tz->at[mid] <= utc_ms) lo = mid;
        else hi = mid - 1;
    }
    return tz->off[lo];
}

int64_t tz_local_to_utc(const TimeZone *tz, int64_t local_ms)
{
    if (!tz) return local_ms;
    if (local_ms > TZ_LIMIT || local_ms < -TZ_LIMIT) {
        int64_t utc;
        return __builtin_sub_overflow(local_ms, tz_offset_ms(tz, local_ms), &utc) ? local_ms : utc;
    }
    /* The offsets in force a day before and a day after: one of them (or
     * both, when the local time happens twice) gives a consistent instant. */
    int64_t before = tz_offset_ms(tz, local_ms - DAY_MS), after = tz_offset_ms(tz, local_ms + DAY_MS);
    int64_t ub = local_ms - before, ua = local_ms - after;
    bool vb = tz_offset_ms(tz, ub) == before, va = tz_offset_ms(tz, ua) == after;
    if (vb && va) return ub < ua ? ub : ua;   /* twice: the earlier instant */
    if (vb) return ub;
    if (va) return ua;
    return ub;   /* never: the offset before the gap moves it forward */
}
