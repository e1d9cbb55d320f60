/*
 * datefmt.c — SimpleDateFormat-style patterns (see datefmt.h): one
 * tokenizer that both directions walk, dates through civil.h.
 */
#include "datefmt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "civil.h"

#define DF_MAX_WIDTH 32

typedef struct DfTok {
    char letter;          /* pattern letter, or 0 for a literal character */
    int  count;           /* how many times it is repeated */
    char ch;              /* the literal character */
} DfTok;

static const char *const month_names[12] = {"January", "February", "March", "April", "May", "June", "July",
                                            "August", "September", "October", "November", "December"};
static const char *const day_names[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool known(char c) { return c && strchr("yYMLdDHkKhmsSaEuZXx", c) != NULL; }

/* 1 a token, 0 the end, -1 a bad pattern (message in err). */
static int df_next(const char *p, int n, int *i, bool *inq, DfTok *t, char *err, size_t errlen)
{
    while (*i < n) {
        char c = p[*i];
        if (c == '\'') {
            if (*i + 1 < n && p[*i + 1] == '\'') {
                *i += 2;
                t->letter = 0;
                t->ch = '\'';
                return 1;
            }
            *inq = !*inq;
            (*i)++;
            continue;
        }
        if (*inq || !is_alpha(c)) {
            (*i)++;
            t->letter = 0;
            t->ch = c;
            return 1;
        }
        if (!known(c)) {
            if (err) snprintf(err, errlen, "unknown pattern letter '%c'", c);
            return -1;
        }
        int k = 0;
        while (*i < n && p[*i] == c) (*i)++, k++;
        if (k > DF_MAX_WIDTH) {
            if (err) snprintf(err, errlen, "pattern letter '%c' repeated more than %d times", c, DF_MAX_WIDTH);
            return -1;
        }
        t->letter = c == 'Y' ? 'y' : c == 'L' ? 'M' : c;
        t->count = k;
        return 1;
    }
    if (*inq) {
        if (err) snprintf(err, errlen, "unterminated quoted text");
        return -1;
    }
    return 0;
}

bool datefmt_check(const char *pat, int n, char *err, size_t errlen)
{
    int i = 0, r;
    bool inq = false;
    DfTok t;
    while ((r = df_next(pat, n, &i, &inq, &t, err, errlen)) > 0) {}
    return r == 0;
}

size_t datefmt_max(int n) { return (size_t)n * 40 + 64; }

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int put_num(char *o, int64_t v, int width)
{
    char buf[32];
    bool neg = v < 0;
    uint64_t u = neg ? 0 - (uint64_t)v : (uint64_t)v;
    int k = 0;
    do buf[k++] = (char)('0' + u % 10), u /= 10;
    while (u);
    int w = 0;
    if (neg) o[w++] = '-';
    for (int z = k; z < width; z++) o[w++] = '0';
    while (k) o[w++] = buf[--k];
    return w;
}

static int put_str(char *o, const char *s, int n)
{
    memcpy(o, s, (size_t)n);
    return n;
}

static int put_zone(char *o, char letter, int count, int64_t zone_ms)
{
    int64_t m = zone_ms / 60000;
    if (letter == 'X' && m == 0) return put_str(o, "Z", 1);
    int w = 0;
    o[w++] = m < 0 ? '-' : '+';
    if (m < 0) m = -m;
    w += put_num(o + w, m / 60, 2);
    if (letter == 'Z' || count == 2 || (count == 1 && m % 60)) return w + put_num(o + w, m % 60, 2);
    if (count >= 3) {
        o[w++] = ':';
        w += put_num(o + w, m % 60, 2);
    }
    return w;
}

int datefmt_format(const char *pat, int n, int64_t ms, int64_t zone_ms, char *out)
{
    int64_t days = fdiv(ms, 86400000), tod = ms - days * 86400000;
    int64_t y;
    int mo, d;
    civil_from_days(days, &y, &mo, &d);
    int hour = (int)(tod / 3600000), min = (int)(tod / 60000 % 60), sec = (int)(tod / 1000 % 60), milli = (int)(tod % 1000);
    int dow = (int)(((days % 7) + 7 + 3) % 7);   /* 0 = Monday (1970-01-01 was a Thursday) */
    int i = 0, w = 0, r;
    bool inq = false;
    DfTok t;
    while ((r = df_next(pat, n, &i, &inq, &t, NULL, 0)) > 0) {
        int c = t.count;
        switch (t.letter) {
        case 0: out[w++] = t.ch; break;
        case 'y': w += c == 2 ? put_num(out + w, ((y % 100) + 100) % 100, 2) : put_num(out + w, y, c); break;
        case 'M':
            if (c >= 4) w += put_str(out + w, month_names[mo - 1], (int)strlen(month_names[mo - 1]));
            else if (c == 3) w += put_str(out + w, month_names[mo - 1], 3);
            else w += put_num(out + w, mo, c);
            break;
        case 'd': w += put_num(out + w, d, c); break;
        case 'D': w += put_num(out + w, days - civil_to_days(y, 1, 1) + 1, c); break;
        case 'H': w += put_num(out + w, hour, c); break;
        case 'k': w += put_num(out + w, hour == 0 ? 24 : hour, c); break;
        case 'K': w += put_num(out + w, hour % 12, c); break;
        case 'h': w += put_num(out + w, hour % 12 == 0 ? 12 : hour % 12, c); break;
        case 'm': w += put_num(out + w, min, c); break;
        case 's': w += put_num(out + w, sec, c); break;
        case 'S': {   /* the fraction's first c digits */
            char f[3] = {(char)('0' + milli / 100), (char)('0' + milli / 10 % 10), (char)('0' + milli % 10)};
            for (int k = 0; k < c; k++) out[w++] = k < 3 ? f[k] : '0';
            break;
        }
        case 'a': w += put_str(out + w, hour < 12 ? "AM" : "PM", 2); break;
        case 'E': w += put_str(out + w, day_names[dow], c >= 4 ? (int)strlen(day_names[dow]) : 3); break;
        case 'u': w += put_num(out + w, dow + 1, c); break;
        case 'Z':
        case 'X':
        case 'x': w += put_zone(out + w, t.letter, c, zone_ms); break;
        }
    }
    return r == 0 ? w : -1;
}

/* ---- parsing ---- */

static bool numeric(char l) { return l && strchr("yMdDHkKhmsSu", l) != NULL; }

/* Digits: exactly `fixed` of them when fixed > 0, else 1 to 9. */
static bool take_num(const char *s, int sn, int *j, int fixed, int64_t *v, int *ndig)
{
    int64_t x = 0;
    int k = 0, max = fixed > 0 ? fixed : 9;
    if (max > 18) return false;   /* SSSSSSSSSSSSSSSSSSSS: more digits than a number here can hold */
    while (*j < sn && k < max && s[*j] >= '0' && s[*j] <= '9') x = x * 10 + (s[(*j)++] - '0'), k++;
    if (k == 0 || (fixed > 0 && k != fixed)) return false;
    *v = x;
    if (ndig) *ndig = k;
    return true;
}

static int take_name(const char *s, int sn, int *j, const char *const *names, int count, bool allow_short)
{
    for (int k = 0; k < count; k++) {
        int len = (int)strlen(names[k]);
        if (*j + len <= sn && strncasecmp(s + *j, names[k], (size_t)len) == 0) return *j += len, k;
    }
    if (allow_short)
        for (int k = 0; k < count; k++)
            if (*j + 3 <= sn && strncasecmp(s + *j, names[k], 3) == 0) return *j += 3, k;
    return -1;
}

static bool take_zone(const char *s, int sn, int *j, int64_t *zone_ms)
{
    if (*j < sn && s[*j] == 'Z') return (*j)++, *zone_ms = 0, true;
    if (*j >= sn || (s[*j] != '+' && s[*j] != '-')) return false;
    bool neg = s[(*j)++] == '-';
    int64_t h, m = 0;
    if (!take_num(s, sn, j, 2, &h, NULL)) return false;
    if (*j < sn && s[*j] == ':') (*j)++;
    if (*j < sn && s[*j] >= '0' && s[*j] <= '9' && !take_num(s, sn, j, 2, &m, NULL)) return false;
    if (h > 18 || m > 59) return false;
    *zone_ms = (neg ? -1 : 1) * (h * 3600000 + m * 60000);
    return true;
}

bool datefmt_parse(const char *pat, int n, const char *s, int sn, int64_t *out, bool *has_zone, int64_t *zone_ms)
{
    int64_t y = 1970, mo = 1, d = 1, doy = -1, hour = 0, min = 0, sec = 0, milli = 0, h12 = -1;
    int pm = -1;
    *has_zone = false;
    *zone_ms = 0;
    int i = 0, j = 0, r;
    bool inq = false;
    DfTok t, next;
    r = df_next(pat, n, &i, &inq, &t, NULL, 0);
    while (r > 0) {
        int save_i = i;
        bool save_q = inq;
        int rn = df_next(pat, n, &i, &inq, &next, NULL, 0);
        if (rn < 0) return false;
        /* a number followed directly by another takes exactly its width */
        int fixed = rn > 0 && numeric(next.letter) && numeric(t.letter) ? t.count : 0;
        int64_t v;
        int nd;
        switch (t.letter) {
        case 0:
            if (j >= sn || s[j] != t.ch) return false;
            j++;
            break;
        case 'M':
            if (t.count >= 3) {
                int k = take_name(s, sn, &j, month_names, 12, true);
                if (k < 0) return false;
                mo = k + 1;
                break;
            }
            if (!take_num(s, sn, &j, fixed, &mo, NULL)) return false;
            break;
        case 'E': {
            if (take_name(s, sn, &j, day_names, 7, true) < 0) return false;
            break;
        }
        case 'a':
            if (j + 2 > sn) return false;
            if (strncasecmp(s + j, "AM", 2) == 0) pm = 0;
            else if (strncasecmp(s + j, "PM", 2) == 0) pm = 1;
            else return false;
            j += 2;
            break;
        case 'Z':
        case 'X':
        case 'x':
            if (!take_zone(s, sn, &j, zone_ms)) return false;
            *has_zone = true;
            break;
        default:
            if (!take_num(s, sn, &j, fixed, &v, &nd)) return false;
            switch (t.letter) {
            case 'y': y = t.count == 2 && nd == 2 ? 2000 + v : v; break;
            case 'd': d = v; break;
            case 'D': doy = v; break;
            case 'H': hour = v; break;
            case 'k': hour = v == 24 ? 0 : v; if (v < 1 || v > 24) return false; break;
            case 'K': h12 = v; if (v > 11) return false; break;
            case 'h': h12 = v == 12 ? 0 : v; if (v < 1 || v > 12) return false; break;
            case 'm': min = v; break;
            case 's': sec = v; break;
            case 'S':
                while (nd > 3) v /= 10, nd--;
                while (nd < 3) v *= 10, nd++;
                milli = v;
                break;
            case 'u': if (v < 1 || v > 7) return false; break;
            }
        }
        (void)save_i;
        (void)save_q;
        t = next;
        r = rn;
    }
    if (r < 0 || j != sn) return false;
    if (h12 >= 0) hour = h12 + (pm == 1 ? 12 : 0);
    else if (pm == 1 && hour < 12) hour += 12;
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y > 999999999 || mo < 1 || mo > 12 || hour > 23 || min > 59 || sec > 59) return false;
    int64_t days;
    if (doy >= 0) {
        if (doy < 1 || doy > (leap ? 366 : 365)) return false;
        days = civil_to_days(y, 1, 1) + doy - 1;
    } else {
        int lim = dm[mo - 1] + (mo == 2 && leap);
        if (d < 1 || d > lim) return false;
        days = civil_to_days(y, (int)mo, (int)d);
    }
    *out = days * 86400000 + hour * 3600000 + min * 60000 + sec * 1000 + milli;
    return true;
}
