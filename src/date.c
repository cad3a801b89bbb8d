/*
 * date.c - dates of birth (see date.h).
 *
 * Parsing is a hand-written scanner rather than sscanf/strptime/mktime: those
 * are locale- and time-zone-dependent, accept things a date of birth must not
 * be ("+3", leading spaces inside fields), and cost far more than the tens of
 * nanoseconds `childlink clean` can spend per field.  The scanner reads up to
 * three digit fields separated by one separator character ('-', '/' or '.',
 * the same one twice), or one 8-digit field, then an optional time of day
 * (" 00:00:00", "T00:00:00.000Z") such as database exports append.  The
 * format option decides which field is the day, the month and the year;
 * AUTO reads a 4-digit first field as year-month-day, eight digits as
 * yyyymmdd, and anything else as day/month/year, the English convention.
 *
 * Day numbers use the proleptic Gregorian calendar, counted in 400-year eras
 * of 146097 days with March as the first month of the computational year so
 * that the leap day falls at the end (the method H. Hinnant describes in
 * "chrono-Compatible Low-Level Date Algorithms").  Both directions are exact
 * for any year representable in an int and need no tables.
 */
#include <time.h>

#include "childlink/date.h"

#define DEFAULT_MIN_YEAR 1880
#define DAYS_PER_ERA 146097      /* days in 400 Gregorian years */
#define EPOCH_SHIFT 719468       /* days from 0000-03-01 to 1970-01-01 */

static int is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

int cl_date_is_valid_ymd(int year, int month, int day)
{
    return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

/* Floor division for a positive divisor. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int32_t cl_date_from_ymd(int year, int month, int day)
{
    /* Count years from March so that February, with its leap day, is last. */
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = floor_div(y, 400);
    int64_t year_of_era = y - era * 400;                       /* 0..399 */
    int64_t shifted_month = month > 2 ? month - 3 : month + 9; /* Mar=0 .. Feb=11 */
    int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return (int32_t)(era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT);
}

void cl_date_to_ymd(int32_t days, int *year, int *month, int *day)
{
    int64_t z = (int64_t)days + EPOCH_SHIFT;
    int64_t era = floor_div(z, DAYS_PER_ERA);
    int64_t day_of_era = z - era * DAYS_PER_ERA;               /* 0..146096 */
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t shifted_month = (5 * day_of_year + 2) / 153;       /* Mar=0 .. Feb=11 */
    int m = (int)(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    *day = (int)(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    *month = m;
    *year = (int)(year_of_era + era * 400 + (m <= 2));
}

void cl_date_format_iso(int32_t days, char out[11])
{
    int y, m, d;
    cl_date_to_ymd(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        out[0] = '\0';
        return;
    }
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int32_t cl_date_today(void)
{
    time_t now = time(NULL);
    return (int32_t)floor_div((int64_t)now, 86400);
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* Read a run of at most `max` digits at s[*i]; returns its length (0 if none,
 * max + 1 if longer) and the value in *value. */
static int read_digits(const unsigned char *s, size_t n, size_t *i, int max, int *value)
{
    int count = 0, v = 0;
    while (*i < n && is_digit(s[*i])) {
        if (count < max)
            v = v * 10 + (s[*i] - '0');
        count++;
        (*i)++;
    }
    *value = v;
    return count > max ? max + 1 : count;
}

/* Whether s[i..n) is an acceptable time-of-day suffix: nothing, or 'T' or
 * spaces then h:mm, hh:mm, hh:mm:ss, with optional fraction and 'Z'. */
static int time_suffix_ok(const unsigned char *s, size_t n, size_t i)
{
    int v;
    if (i == n)
        return 1;
    if (s[i] == 'T') {
        i++;
    } else if (is_space(s[i])) {
        while (i < n && is_space(s[i]))
            i++;
    } else {
        return 0;
    }
    int len = read_digits(s, n, &i, 2, &v);
    if (len < 1 || len > 2 || v > 23 || i >= n || s[i] != ':')
        return 0;
    i++;
    if (read_digits(s, n, &i, 2, &v) != 2 || v > 59)
        return 0;
    if (i < n && s[i] == ':') {
        i++;
        if (read_digits(s, n, &i, 2, &v) != 2 || v > 60)
            return 0;
        if (i < n && s[i] == '.') {
            i++;
            if (read_digits(s, n, &i, 9, &v) < 1)
                return 0;
        }
    }
    if (i < n && s[i] == 'Z')
        i++;
    return i == n;
}

/* Latest year ending in `two_digits` that is not after `pivot`. */
static int expand_year(int two_digits, int pivot)
{
    int back = (pivot - two_digits) % 100;
    if (back < 0)
        back += 100;
    return pivot - back;
}

cl_check cl_date_parse(const char *in, size_t len, const cl_date_options *opt, int32_t *days,
                       const char **reason)
{
    static const cl_date_options defaults = {CL_DATE_AUTO, 0, 0, 0};
    const unsigned char *s = (const unsigned char *)in;
    const char *why = "bad_format";
    int field[3] = {0, 0, 0}, width[3] = {0, 0, 0};
    int nfields = 0;
    int year, month, day;

    if (opt == NULL)
        opt = &defaults;
    while (len > 0 && is_space(s[len - 1]))
        len--;
    size_t i = 0;
    while (i < len && is_space(s[i]))
        i++;
    if (i == len) {
        if (reason)
            *reason = "missing";
        return CL_CHECK_MISSING;
    }

    /* Up to three digit fields, one repeated separator. */
    unsigned char sep = 0;
    for (;;) {
        width[nfields] = read_digits(s, len, &i, 8, &field[nfields]);
        if (width[nfields] == 0 || width[nfields] > 8)
            goto invalid;
        nfields++;
        if (nfields == 3 || i >= len)
            break;
        unsigned char c = s[i];
        if (c != '-' && c != '/' && c != '.')
            break;
        if (sep != 0 && c != sep)
            goto invalid;
        sep = c;
        i++;
    }
    if (!time_suffix_ok(s, len, i))
        goto invalid;

    cl_date_format format = opt->format;
    int year_width;
    if (nfields == 1) {
        if (width[0] != 8 || (format != CL_DATE_AUTO && format != CL_DATE_YYYYMMDD))
            goto invalid;
        year = field[0] / 10000;
        month = field[0] / 100 % 100;
        day = field[0] % 100;
        year_width = 4;
    } else if (nfields == 3) {
        if (format == CL_DATE_AUTO)
            format = width[0] == 4 ? CL_DATE_ISO : CL_DATE_DMY;
        int y_at, m_at, d_at;
        switch (format) {
        case CL_DATE_ISO: y_at = 0, m_at = 1, d_at = 2; break;
        case CL_DATE_DMY: d_at = 0, m_at = 1, y_at = 2; break;
        case CL_DATE_MDY: m_at = 0, d_at = 1, y_at = 2; break;
        default: goto invalid;
        }
        if (width[m_at] > 2 || width[d_at] > 2)
            goto invalid;
        year_width = width[y_at];
        if (year_width != 4 && !(year_width == 2 && format != CL_DATE_ISO))
            goto invalid;
        year = field[y_at];
        month = field[m_at];
        day = field[d_at];
    } else {
        goto invalid;
    }

    if (year_width == 2) {
        if (opt->pivot_year == 0) {
            why = "two_digit_year";
            goto invalid;
        }
        year = expand_year(year, opt->pivot_year);
    }
    if (!cl_date_is_valid_ymd(year, month, day)) {
        why = "impossible_date";
        goto invalid;
    }
    if (year < (opt->min_year ? opt->min_year : DEFAULT_MIN_YEAR)) {
        why = "too_old";
        goto invalid;
    }
    int32_t d = cl_date_from_ymd(year, month, day);
    if (d > (opt->today ? opt->today : cl_date_today())) {
        why = "future_date";
        goto invalid;
    }
    *days = d;
    if (reason)
        *reason = NULL;
    return CL_CHECK_VALID;

invalid:
    if (reason)
        *reason = why;
    return CL_CHECK_INVALID;
}
