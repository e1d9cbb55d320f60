/*
 * tz.h — time zones: the session's 'table.local-time-zone', in which
 * TIMESTAMP_LTZ values print and windows over TIMESTAMP_LTZ align.
 *
 * A zone is parsed once (when SET runs, and into the plan's ExecConfig when
 * a statement compiles) and then only read: the offset of local time from
 * UTC at an instant, and the instant of a local wall-clock time.  Accepted
 * names, as Flink's (java.time.ZoneId) where they overlap:
 *   'UTC', 'GMT', 'UT', 'Z'                    UTC
 *   '+08:00', '-05:30', '+8', '+0530'          a fixed offset (at most ±18:00)
 *   'GMT+08:00', 'UTC-05:30', 'UT+1'           the same, with a prefix
 *   'Asia/Shanghai', 'America/New_York', …     an IANA zone: its TZif file under
 *                                              $TZDIR or /usr/share/zoneinfo
 *                                              (Debian's tzdata), daylight saving
 *                                              time included
 * A NULL zone is UTC everywhere in this interface.
 */
#ifndef EDDY_TZ_H
#define EDDY_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* A date rule of a POSIX TZ string (the TZif footer): Jn, n or Mm.w.d. */
typedef struct TzDate {
    char    kind;         /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.weekday) */
    int     a, b, c;      /* J/N: day in a; M: month a, week b (5 = last), weekday c (0 = Sunday) */
    int32_t time_s;       /* local time of day of the change, seconds (may be negative or past 24 h) */
} TzDate;

/* The rule for instants after the last transition (a POSIX TZ string). */
typedef struct TzRule {
    int32_t std_off_ms;   /* standard time: local − UTC */
    int32_t dst_off_ms;   /* daylight saving time: local − UTC */
    bool    has_dst;      /* the zone has daylight saving time */
    TzDate  start, end;   /* when it starts (in standard time) and ends (in DST) */
} TzRule;

typedef struct TimeZone {
    const char    *name;      /* as written in the setting */
    int32_t        first_off; /* offset (ms) before the first transition, or the fixed offset */
    const int64_t *at;        /* transitions: UTC instants (ms), ascending */
    const int32_t *off;       /* offset (ms) from at[i] on */
    int            ntrans;    /* count */
    bool           has_rule;  /* rule applies after the last transition (or always, with none) */
    TzRule         rule;      /* the TZif footer */
} TimeZone;

/* Parses a zone name into *out, allocating in a (the zone lives as long as
 * the arena).  0, or -1 with a message naming the zone in err. */
int     tz_parse(const char *name, Arena *a, const TimeZone **out, char *err, size_t errlen);
/* Whether name is a zone tz_parse accepts (the check of a SET value). */
bool    tz_valid(const char *name, char *err, size_t errlen);
/* Offset of local time from UTC at the instant utc_ms (ms): local = utc + offset. */
int64_t tz_offset_ms(const TimeZone *tz, int64_t utc_ms);
/* The instant whose local time is local_ms.  A local time that happens
 * twice (clocks set back) is the earlier instant; one that never happens
 * (clocks set forward) moves forward by the gap, as java.time does. */
int64_t tz_local_to_utc(const TimeZone *tz, int64_t local_ms);
/* The zone's name ("UTC" for NULL). */
const char *tz_name(const TimeZone *tz);

#endif
