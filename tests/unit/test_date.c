/*
 * test_date.c - dates of birth: each format, leap years, impossible dates,
 * the future and too-old limits, two-digit years with and without a pivot,
 * time-of-day suffixes, and day numbers that round-trip over 1800-2200.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "childlink/date.h"

/* 2024-06-01: a fixed "today" so the tests do not depend on the clock. */
#define TODAY 19875

static cl_date_options options(cl_date_format format, int pivot)
{
    cl_date_options opt = {format, pivot, TODAY, 0};
    return opt;
}

static void expect_date(const char *s, cl_date_options opt, int y, int m, int d)
{
    int32_t days = -12345;
    const char *reason = "unset";
    cl_check got = cl_date_parse(s, strlen(s), &opt, &days, &reason);
    if (got != CL_CHECK_VALID)
        fail_msg("'%s' (format %d): %s", s, (int)opt.format, reason ? reason : "?");
    assert_null(reason);
    assert_int_equal(days, cl_date_from_ymd(y, m, d));
}

static void expect_reason(const char *s, cl_date_options opt, const char *want)
{
    int32_t days = -12345;
    const char *reason = "unset";
    cl_check got = cl_date_parse(s, strlen(s), &opt, &days, &reason);
    if (got != CL_CHECK_INVALID || reason == NULL || strcmp(reason, want) != 0)
        fail_msg("'%s' (format %d): got %d %s, wanted %s", s, (int)opt.format, (int)got,
                 reason ? reason : "NULL", want);
    assert_int_equal(days, -12345);   /* untouched when invalid */
}

static void test_known_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(cl_date_from_ymd(1970, 1, 1), 0);
    assert_int_equal(cl_date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(cl_date_from_ymd(2000, 1, 1), 10957);
    assert_int_equal(cl_date_from_ymd(2000, 2, 29), 11016);
    assert_int_equal(cl_date_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(cl_date_from_ymd(1900, 2, 28), -25509);
    assert_int_equal(cl_date_from_ymd(1900, 3, 1), -25508);
    assert_int_equal(cl_date_from_ymd(1800, 1, 1), -62091);
    assert_int_equal(cl_date_from_ymd(2200, 12, 31), 84370);
    assert_int_equal(cl_date_from_ymd(2024, 6, 1), TODAY);
}

static void test_round_trip_1800_2200(void **state)
{
    (void)state;
    int32_t expect = cl_date_from_ymd(1800, 1, 1);
    int checked = 0;
    for (int y = 1800; y <= 2200; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                if (!cl_date_is_valid_ymd(y, m, d))
                    continue;
                int32_t days = cl_date_from_ymd(y, m, d);
                assert_int_equal(days, expect);   /* consecutive, no gaps */
                expect++;
                int yy, mm, dd;
                cl_date_to_ymd(days, &yy, &mm, &dd);
                assert_int_equal(yy, y);
                assert_int_equal(mm, m);
                assert_int_equal(dd, d);
                checked++;
            }
        }
    }
    /* 401 years: 401*365 + leap days (97 per 400 years, plus 2000 counted,
     * 1800/1900/2100/2200 not): 146365 + 97 = 146462. */
    assert_int_equal(checked, 146462);
}

static void test_round_trip_far_dates(void **state)
{
    (void)state;
    /* Outside the parse range the arithmetic still holds (negative eras). */
    const int32_t samples[] = {-800000, -719469, -719468, -1, 0, 1, 2932896, 5000000};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int y, m, d;
        cl_date_to_ymd(samples[i], &y, &m, &d);
        assert_true(cl_date_is_valid_ymd(y, m, d));
        assert_int_equal(cl_date_from_ymd(y, m, d), samples[i]);
    }
}

static void test_is_valid_ymd(void **state)
{
    (void)state;
    assert_true(cl_date_is_valid_ymd(2000, 2, 29));   /* divisible by 400 */
    assert_false(cl_date_is_valid_ymd(1900, 2, 29)); /* by 100, not 400 */
    assert_true(cl_date_is_valid_ymd(2004, 2, 29));
    assert_false(cl_date_is_valid_ymd(2023, 2, 29));
    assert_false(cl_date_is_valid_ymd(2023, 2, 31));
    assert_false(cl_date_is_valid_ymd(2023, 4, 31));
    assert_true(cl_date_is_valid_ymd(2023, 12, 31));
    assert_false(cl_date_is_valid_ymd(2023, 13, 1));
    assert_false(cl_date_is_valid_ymd(2023, 0, 1));
    assert_false(cl_date_is_valid_ymd(2023, 1, 0));
    assert_false(cl_date_is_valid_ymd(2023, -1, 1));
}

static void test_format_iso(void **state)
{
    (void)state;
    char out[11];
    cl_date_format_iso(0, out);
    assert_string_equal(out, "1970-01-01");
    cl_date_format_iso(11016, out);
    assert_string_equal(out, "2000-02-29");
    cl_date_format_iso(cl_date_from_ymd(1880, 12, 9), out);
    assert_string_equal(out, "1880-12-09");
    cl_date_format_iso(cl_date_from_ymd(9999, 12, 31), out);
    assert_string_equal(out, "9999-12-31");
    cl_date_format_iso(cl_date_from_ymd(10000, 1, 1), out);
    assert_string_equal(out, "");   /* does not fit yyyy-mm-dd */
    cl_date_format_iso(cl_date_from_ymd(-1, 1, 1), out);
    assert_string_equal(out, "");
}

static void test_auto_formats(void **state)
{
    (void)state;
    cl_date_options opt = options(CL_DATE_AUTO, 0);
    expect_date("2010-03-04", opt, 2010, 3, 4);
    expect_date("2010/03/04", opt, 2010, 3, 4);
    expect_date("2010-3-4", opt, 2010, 3, 4);
    expect_date("04/03/2010", opt, 2010, 3, 4);  /* English order: day first */
    expect_date("04-03-2010", opt, 2010, 3, 4);
    expect_date("04.03.2010", opt, 2010, 3, 4);
    expect_date("4/3/2010", opt, 2010, 3, 4);
    expect_date("20100304", opt, 2010, 3, 4);
    expect_date("  2010-03-04\t", opt, 2010, 3, 4);
}

static void test_explicit_formats(void **state)
{
    (void)state;
    expect_date("2010-03-04", options(CL_DATE_ISO, 0), 2010, 3, 4);
    expect_reason("04/03/2010", options(CL_DATE_ISO, 0), "bad_format");
    expect_reason("20100304", options(CL_DATE_ISO, 0), "bad_format");

    expect_date("04/03/2010", options(CL_DATE_DMY, 0), 2010, 3, 4);
    expect_date("4-3-2010", options(CL_DATE_DMY, 0), 2010, 3, 4);
    expect_reason("2010-03-04", options(CL_DATE_DMY, 0), "bad_format");

    expect_date("03/04/2010", options(CL_DATE_MDY, 0), 2010, 3, 4);
    expect_date("12/31/2009", options(CL_DATE_MDY, 0), 2009, 12, 31);
    expect_reason("31/12/2009", options(CL_DATE_MDY, 0), "impossible_date");
    expect_reason("2009-12-31", options(CL_DATE_MDY, 0), "bad_format");

    expect_date("20100304", options(CL_DATE_YYYYMMDD, 0), 2010, 3, 4);
    expect_reason("2010-03-04", options(CL_DATE_YYYYMMDD, 0), "bad_format");
    expect_reason("201003041", options(CL_DATE_YYYYMMDD, 0), "bad_format");
    expect_reason("1003041", options(CL_DATE_YYYYMMDD, 0), "bad_format");
    expect_reason("2010-03-04", options((cl_date_format)99, 0), "bad_format");
}

static void test_impossible_dates(void **state)
{
    (void)state;
    cl_date_options opt = options(CL_DATE_AUTO, 0);
    expect_reason("31/02/2010", opt, "impossible_date");
    expect_reason("30/02/2000", opt, "impossible_date");
    expect_reason("29/02/1900", opt, "impossible_date");
    expect_date("29/02/2000", opt, 2000, 2, 29);
    expect_date("29/02/2004", opt, 2004, 2, 29);
    expect_reason("29/02/2023", opt, "impossible_date");
    expect_reason("2010-13-01", opt, "impossible_date");
    expect_reason("2010-00-01", opt, "impossible_date");
    expect_reason("2010-01-00", opt, "impossible_date");
    expect_reason("31/04/2010", opt, "impossible_date");
    expect_reason("20101301", opt, "impossible_date");
    expect_reason("00/00/0000", opt, "impossible_date");
}

static void test_future_and_too_old(void **state)
{
    (void)state;
    cl_date_options opt = options(CL_DATE_AUTO, 0);
    expect_date("2024-06-01", opt, 2024, 6, 1);          /* today is fine */
    expect_reason("2024-06-02", opt, "future_date");
    expect_reason("2099-01-01", opt, "future_date");
    expect_date("1880-01-01", opt, 1880, 1, 1);          /* default min_year */
    expect_reason("1879-12-31", opt, "too_old");
    expect_reason("0001-01-01", opt, "too_old");
    opt.min_year = 2000;
    expect_reason("31/12/1999", opt, "too_old");
    expect_date("01/01/2000", opt, 2000, 1, 1);
}

static void test_two_digit_years(void **state)
{
    (void)state;
    expect_reason("04/03/10", options(CL_DATE_AUTO, 0), "two_digit_year");
    expect_reason("04/03/10", options(CL_DATE_DMY, 0), "two_digit_year");
    cl_date_options opt = options(CL_DATE_AUTO, 2024);
    expect_date("04/03/10", opt, 2010, 3, 4);
    expect_date("04/03/24", opt, 2024, 3, 4);    /* the pivot year itself */
    expect_date("04/03/25", opt, 1925, 3, 4);    /* after the pivot: a century back */
    expect_date("04/03/00", opt, 2000, 3, 4);
    expect_date("04/03/99", opt, 1999, 3, 4);
    expect_date("03/04/10", options(CL_DATE_MDY, 2024), 2010, 3, 4);
    expect_date("29/02/00", opt, 2000, 2, 29);   /* 2000, so a leap year */
}

static void test_two_digit_leap_1900(void **state)
{
    (void)state;
    /* Pivot 1950 maps 00 to 1900, which is not a leap year. */
    expect_reason("29/02/00", options(CL_DATE_AUTO, 1950), "impossible_date");
    /* Expanded years still meet the future and too-old limits. */
    expect_reason("02/06/24", options(CL_DATE_AUTO, 2030), "future_date");
    expect_reason("01/01/79", options(CL_DATE_AUTO, 1879), "too_old");
    /* ISO and yyyymmdd never take two-digit years. */
    expect_reason("10-03-04", options(CL_DATE_ISO, 2024), "bad_format");
    expect_reason("100304", options(CL_DATE_AUTO, 2024), "bad_format");
}

static void test_time_suffixes(void **state)
{
    (void)state;
    cl_date_options opt = options(CL_DATE_AUTO, 0);
    expect_date("2010-03-04 00:00:00", opt, 2010, 3, 4);
    expect_date("2010-03-04T13:45:07", opt, 2010, 3, 4);
    expect_date("2010-03-04T00:00:00.000Z", opt, 2010, 3, 4);
    expect_date("04/03/2010 0:00", opt, 2010, 3, 4);
    expect_date("20100304 23:59:60", opt, 2010, 3, 4);
    expect_reason("2010-03-04 24:00", opt, "bad_format");
    expect_reason("2010-03-04 12:60", opt, "bad_format");
    expect_reason("2010-03-04 12", opt, "bad_format");
    expect_reason("2010-03-04T", opt, "bad_format");
    expect_reason("2010-03-04 12:00:00.", opt, "bad_format");
    expect_reason("2010-03-04 12:00:00 BST", opt, "bad_format");
}

static void test_bad_format(void **state)
{
    (void)state;
    cl_date_options opt = options(CL_DATE_AUTO, 2024);
    const char *bad[] = {
        "abc", "2010", "2010-03", "2010-03-", "2010--03-04", "+2010-03-04", "-2010-03-04",
        "2010-03-04-05", "2010/03-04", "04/03-2010", "1/1/1", "04/03/201", "04/03/02010",
        "123456789", "1234567", "2010-03-04x", "4 March 2010", "2010 03 04", "04//2010",
        "2010-003-04", "004/03/2010", "99999999999999999999", "2010-03-04\n",
        "\xd9\xa2\xd9\xa0\xd9\xa1\xd9\xa0-03-04", /* Arabic-Indic digits */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reason(bad[i], opt, "bad_format");
    /* Bytes given, not up to a NUL. */
    int32_t days;
    const char *reason;
    assert_int_equal(cl_date_parse("2010-03-04", 7, &opt, &days, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "bad_format");
    assert_int_equal(cl_date_parse("2010-03\0" "04", 10, &opt, &days, &reason),
                     CL_CHECK_INVALID);
}

static void test_missing(void **state)
{
    (void)state;
    int32_t days = 7;
    const char *reason = NULL;
    assert_int_equal(cl_date_parse("", 0, NULL, &days, &reason), CL_CHECK_MISSING);
    assert_string_equal(reason, "missing");
    assert_int_equal(cl_date_parse(" \t ", 3, NULL, &days, NULL), CL_CHECK_MISSING);
    assert_int_equal(days, 7);
}

static void test_defaults_use_clock(void **state)
{
    (void)state;
    int32_t today = cl_date_today();
    int32_t from_time = (int32_t)(time(NULL) / 86400);
    assert_true(today == from_time || today == from_time + 1);
    int32_t days;
    const char *reason;
    assert_int_equal(cl_date_parse("2010-03-04", 10, NULL, &days, &reason), CL_CHECK_VALID);
    assert_int_equal(days, 14672);
    assert_int_equal(cl_date_parse("2999-01-01", 10, NULL, &days, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "future_date");
    assert_int_equal(cl_date_parse("04/03/10", 8, NULL, &days, &reason), CL_CHECK_INVALID);
    assert_string_equal(reason, "two_digit_year");
    /* Today by the clock is accepted; tomorrow is not. */
    char iso[11];
    cl_date_format_iso(today, iso);
    assert_int_equal(cl_date_parse(iso, 10, NULL, &days, &reason), CL_CHECK_VALID);
    cl_date_format_iso(today + 2, iso);
    assert_int_equal(cl_date_parse(iso, 10, NULL, &days, &reason), CL_CHECK_INVALID);
}

static void test_parse_format_round_trip(void **state)
{
    (void)state;
    cl_date_options opt = options(CL_DATE_ISO, 0);
    for (int32_t d = cl_date_from_ymd(1880, 1, 1); d <= TODAY; d += 13) {
        char iso[11];
        cl_date_format_iso(d, iso);
        int32_t back = 0;
        assert_int_equal(cl_date_parse(iso, 10, &opt, &back, NULL), CL_CHECK_VALID);
        assert_int_equal(back, d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_round_trip_1800_2200),
        cmocka_unit_test(test_round_trip_far_dates),
        cmocka_unit_test(test_is_valid_ymd),
        cmocka_unit_test(test_format_iso),
        cmocka_unit_test(test_auto_formats),
        cmocka_unit_test(test_explicit_formats),
        cmocka_unit_test(test_impossible_dates),
        cmocka_unit_test(test_future_and_too_old),
        cmocka_unit_test(test_two_digit_years),
        cmocka_unit_test(test_two_digit_leap_1900),
        cmocka_unit_test(test_time_suffixes),
        cmocka_unit_test(test_bad_format),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_defaults_use_clock),
        cmocka_unit_test(test_parse_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
