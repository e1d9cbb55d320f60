/*
 * test_tz.c — unit tests of time zones (src/base/tz.c): the names
 * 'table.local-time-zone' accepts (UTC, fixed offsets with and without a
 * UTC/GMT prefix, IANA zones read from Debian's tzdata), the names it
 * refuses with a message, offsets across daylight-saving changes and past
 * the last transition of a zone file (its POSIX TZ footer), and local wall
 * clock times to instants (gaps move forward, repeated hours take the
 * earlier instant, as java.time).
 */
#define _POSIX_C_SOURCE 200809L   /* mkdtemp, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "civil.h"
#include "tz.h"

#define H (3600 * 1000LL)
#define M (60 * 1000LL)

/* UTC instant of a civil date and time. */
static int64_t at(int y, int mo, int d, int h, int mi)
{
    return civil_to_days(y, mo, d) * 86400000LL + h * H + mi * M;
}

static Arena arena;

static const TimeZone *zone(const char *name)
{
    const TimeZone *tz = NULL;
    char err[512];
    if (tz_parse(name, &arena, &tz, err, sizeof err)) fail_msg("%s: %s", name, err);
    return tz;
}

static void refused(const char *name, const char *want)
{
    const TimeZone *tz = NULL;
    char err[512] = "";
    if (tz_parse(name, &arena, &tz, err, sizeof err) == 0) fail_msg("'%s' was accepted", name);
    if (!strstr(err, want)) fail_msg("'%s': message '%s' lacks '%s'", name, err, want);
    assert_false(tz_valid(name, err, sizeof err));
}

static void test_utc_names(void **state)
{
    (void)state;
    const char *names[] = {"UTC", "GMT", "UT", "Z", "+00:00", "UTC+00:00", "-00:00"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const TimeZone *tz = zone(names[i]);
        assert_int_equal(tz_offset_ms(tz, at(2024, 7, 1, 12, 0)), 0);
        assert_string_equal(tz_name(tz), names[i]);
    }
    assert_int_equal(tz_offset_ms(NULL, 12345), 0);
    assert_string_equal(tz_name(NULL), "UTC");
    assert_int_equal(tz_local_to_utc(NULL, 12345), 12345);
}

static void test_fixed_offsets(void **state)
{
    (void)state;
    struct { const char *name; int64_t off; } cases[] = {
        {"+08:00", 8 * H},       {"GMT+08:00", 8 * H},   {"UTC-05:30", -5 * H - 30 * M}, {"+8", 8 * H},
        {"-0530", -5 * H - 30 * M}, {"UT+1", 1 * H},    {"+18:00", 18 * H},             {"-18:00", -18 * H},
        {"+05:30:15", 5 * H + 30 * M + 15000},         {"GMT-03", -3 * H},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const TimeZone *tz = zone(cases[i].name);
        assert_int_equal(tz_offset_ms(tz, at(2024, 1, 1, 0, 0)), cases[i].off);
        assert_int_equal(tz_offset_ms(tz, at(1900, 1, 1, 0, 0)), cases[i].off);
        assert_int_equal(tz_local_to_utc(tz, 1000000 + cases[i].off), 1000000);
    }
}

static void test_refused(void **state)
{
    (void)state;
    refused("+19:00", "unknown time zone '+19:00'");
    refused("GMT+", "unknown time zone");
    refused("+8:3", "unknown time zone");
    refused("+08:60", "unknown time zone");
    refused("", "unknown time zone ''");
    refused("Mars/Olympus_Mons", "no zone file");
    refused("asia/shanghai", "case-sensitive");
    refused("../../etc/passwd", "unknown time zone");
    refused("/etc/localtime", "unknown time zone");
    refused("Asia/Shanghai ", "unknown time zone");
    /* a file of the folder that is not a zone */
    refused("leapseconds", "not a valid TZif zone file");
    refused("Asia", "unknown time zone 'Asia'");   /* a folder */
}

static void test_shanghai(void **state)
{
    (void)state;
    const TimeZone *tz = zone("Asia/Shanghai");
    assert_int_equal(tz_offset_ms(tz, at(2024, 1, 1, 0, 0)), 8 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 7, 1, 0, 0)), 8 * H);
    assert_int_equal(tz_offset_ms(tz, at(1988, 7, 1, 0, 0)), 9 * H);   /* China had summer time 1986–1991 */
    assert_int_equal(tz_offset_ms(tz, at(2200, 7, 1, 0, 0)), 8 * H);
    assert_int_equal(tz_local_to_utc(tz, at(2024, 1, 1, 8, 0)), at(2024, 1, 1, 0, 0));
}

static void test_new_york(void **state)
{
    (void)state;
    const TimeZone *tz = zone("America/New_York");
    assert_int_equal(tz_offset_ms(tz, at(2024, 1, 15, 12, 0)), -5 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 7, 1, 12, 0)), -4 * H);
    /* 2024-03-10 02:00 EST becomes 03:00 EDT, at 07:00 UTC */
    assert_int_equal(tz_offset_ms(tz, at(2024, 3, 10, 7, 0) - 1), -5 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 3, 10, 7, 0)), -4 * H);
    /* 2024-11-03 02:00 EDT becomes 01:00 EST, at 06:00 UTC */
    assert_int_equal(tz_offset_ms(tz, at(2024, 11, 3, 6, 0) - 1), -4 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 11, 3, 6, 0)), -5 * H);
    /* past any transition in the file: the footer's rule (EST5EDT,M3.2.0,M11.1.0) */
    assert_int_equal(tz_offset_ms(tz, at(2300, 7, 1, 12, 0)), -4 * H);
    assert_int_equal(tz_offset_ms(tz, at(2300, 12, 1, 12, 0)), -5 * H);
    assert_int_equal(tz_offset_ms(tz, at(2099, 3, 8, 7, 0)), -4 * H);   /* 2nd Sunday of March 2099 is the 8th */
    assert_int_equal(tz_offset_ms(tz, at(2099, 3, 8, 7, 0) - 1), -5 * H);
    /* local times: ordinary, in the gap (moves forward), repeated (the earlier) */
    assert_int_equal(tz_local_to_utc(tz, at(2024, 7, 1, 8, 0)), at(2024, 7, 1, 12, 0));
    assert_int_equal(tz_local_to_utc(tz, at(2024, 3, 10, 2, 30)), at(2024, 3, 10, 7, 30));
    assert_int_equal(tz_local_to_utc(tz, at(2024, 11, 3, 1, 30)), at(2024, 11, 3, 5, 30));
}

static void test_sydney(void **state)
{
    (void)state;
    const TimeZone *tz = zone("Australia/Sydney");
    assert_int_equal(tz_offset_ms(tz, at(2024, 1, 1, 0, 0)), 11 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 7, 1, 0, 0)), 10 * H);
    assert_int_equal(tz_offset_ms(tz, at(2300, 1, 1, 0, 0)), 11 * H);   /* the southern rule, from the footer */
    assert_int_equal(tz_offset_ms(tz, at(2300, 7, 1, 0, 0)), 10 * H);
}

static void test_extremes(void **state)
{
    (void)state;
    const TimeZone *tz = zone("America/New_York");
    /* a final watermark and the smallest instant have an offset, without overflow */
    int64_t o1 = tz_offset_ms(tz, INT64_MAX), o2 = tz_offset_ms(tz, INT64_MIN);
    assert_true(o1 == -4 * H || o1 == -5 * H);
    assert_true(o2 < 0 && o2 > -6 * H);
    (void)tz_local_to_utc(tz, INT64_MAX);
    (void)tz_local_to_utc(tz, INT64_MIN);
}

/* A slim zone file: no transitions, only the footer's rule.  Written by
 * hand into a temporary TZDIR. */
static void test_slim_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/eddy_tzXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/Test", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char hdr[44] = {'T', 'Z', 'i', 'f', '2'};
    /* v1 block: typecnt 1, charcnt 4 */
    hdr[39] = 1;
    hdr[43] = 4;
    unsigned char v1[] = {0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0};
    fwrite(hdr, 1, 44, f);
    fwrite(v1, 1, sizeof v1, f);
    /* v2 block: one type, -05:00 */
    unsigned char t[] = {0xff, 0xff, 0xb9, 0xb0, 0, 0, 'E', 'S', 'T', 0};
    fwrite(hdr, 1, 44, f);
    fwrite(t, 1, sizeof t, f);
    fputs("\nEST5EDT,M3.2.0,M11.1.0\n", f);
    fclose(f);
    setenv("TZDIR", dir, 1);
    const TimeZone *tz = zone("Test");
    unsetenv("TZDIR");
    assert_int_equal(tz_offset_ms(tz, at(2024, 1, 15, 12, 0)), -5 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 7, 1, 12, 0)), -4 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 3, 10, 7, 0)), -4 * H);
    assert_int_equal(tz_offset_ms(tz, at(2024, 3, 10, 7, 0) - 1), -5 * H);
    remove(path);
    rmdir(dir);
}

static int setup(void **state)
{
    (void)state;
    arena_init(&arena, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_names),  cmocka_unit_test(test_fixed_offsets), cmocka_unit_test(test_refused),
        cmocka_unit_test(test_shanghai),   cmocka_unit_test(test_new_york),      cmocka_unit_test(test_sydney),
        cmocka_unit_test(test_extremes),   cmocka_unit_test(test_slim_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
