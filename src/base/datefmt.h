/*
 * datefmt.h — date and time patterns as Flink's DATE_FORMAT, FROM_UNIXTIME,
 * UNIX_TIMESTAMP, TO_TIMESTAMP and TO_DATE take them: Java's
 * SimpleDateFormat letters.
 *
 *   y  year (yy: two digits)      M  month (M, MM, MMM Jan, MMMM January)
 *   d  day of month               D  day of year
 *   H  hour 0-23   k  hour 1-24   K  hour 0-11   h  hour 1-12   a  AM/PM
 *   m  minute      s  second      S  fraction of a second (SSS milliseconds)
 *   E  day name (EEE Mon, EEEE Monday)            u  day of week, 1 = Monday
 *   Z  +0100       X  Z or +01, +0100 (XX), +01:00 (XXX)      x  as X without Z
 *   'text' quoted text, '' a quote; any other character that is not a
 *   letter stands for itself.  Another letter is an error.
 * A letter repeated pads numbers with zeros to that width (at most 32).
 * Times are local wall-clock milliseconds (days × 86400000 + time of
 * day); the zone letters print `zone_ms`, the offset of that local time.
 */
#ifndef EDDY_DATEFMT_H
#define EDDY_DATEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether the pattern is one these functions take; else a message. */
bool   datefmt_check(const char *pat, int n, char *err, size_t errlen);
/* The most bytes datefmt_format writes for a pattern of n bytes. */
size_t datefmt_max(int n);
/* Formats local time `ms` (zone offset zone_ms) into out (datefmt_max(n)
 * bytes); the length, or -1 for a pattern datefmt_check rejects. */
int    datefmt_format(const char *pat, int n, int64_t ms, int64_t zone_ms, char *out);
/* Parses s (all of it) with the pattern into local time *ms; when the
 * text gives a zone offset, *has_zone and *zone_ms say so.  False when it
 * does not match or names an impossible date or time. */
bool   datefmt_parse(const char *pat, int n, const char *s, int sn, int64_t *ms, bool *has_zone, int64_t *zone_ms);

#endif
