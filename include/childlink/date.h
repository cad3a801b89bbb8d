/*
 * date.h - dates of birth: parsing, validation and day numbers.
 *
 * Dates are held as day numbers (days since 1970-01-01, proleptic Gregorian)
 * so that "within N days" comparisons are subtraction.  Two-digit years are
 * refused unless the caller gives a pivot: a two-digit year then means the
 * latest year ending in those digits that is not after the pivot year.
 */
#ifndef CHILDLINK_DATE_H
#define CHILDLINK_DATE_H

#include <stdint.h>

#include "childlink/base.h"

/* In every format with separators the separator may be '-', '/' or '.' (the
 * same one twice), day and month may be one or two digits, and a time of day
 * may follow (" 00:00", " 00:00:00", "T00:00:00.000Z") and is ignored.
 * Two-digit years are read only in day-first and month-first dates. */
typedef enum cl_date_format {
    CL_DATE_AUTO = 0,   /* yyyy-mm-dd if the first field has 4 digits,
                           yyyymmdd if there are 8 digits alone, otherwise
                           dd/mm/yyyy (the English order) */
    CL_DATE_ISO,        /* yyyy-mm-dd */
    CL_DATE_DMY,        /* dd/mm/yyyy or dd-mm-yyyy (d and m may be 1 digit) */
    CL_DATE_MDY,        /* mm/dd/yyyy */
    CL_DATE_YYYYMMDD    /* yyyymmdd */
} cl_date_format;

typedef struct cl_date_options {
    cl_date_format format;
    int pivot_year;       /* 0: two-digit years are invalid */
    int32_t today;        /* day number of "today"; later dates are invalid.
                             0 means the system clock's date (UTC), read on
                             every call: set it once for a whole file. */
    int min_year;         /* earlier years are invalid; 0 means 1880 */
} cl_date_options;

/* Parse `len` bytes of `in` (surrounding spaces and tabs ignored; `in` may be
 * NULL when `len` is 0).  Returns CL_CHECK_VALID, CL_CHECK_MISSING (only
 * spaces and tabs) or CL_CHECK_INVALID.  On CL_CHECK_VALID *days holds the
 * day number; otherwise *days is untouched.  `opt` may be NULL (all
 * defaults).  `*reason` (may be NULL): NULL when valid, "missing" when
 * missing, else the first that applies of "bad_format", "two_digit_year"
 * (and no pivot), "impossible_date" (no such day, e.g. 31/02 or 29/02/1900),
 * "too_old" (before min_year), "future_date" (after today).  No allocation,
 * no locale, no time-zone look-up. */
CL_API cl_check cl_date_parse(const char *in, size_t len, const cl_date_options *opt,
                              int32_t *days, const char **reason);

/* Day number of a calendar date (no validation), and back; exact inverses
 * for every real day (proleptic Gregorian, negative years included). */
CL_API int32_t cl_date_from_ymd(int year, int month, int day);
CL_API void cl_date_to_ymd(int32_t days, int *year, int *month, int *day);
/* Whether year/month/day names a real calendar day. */
CL_API int cl_date_is_valid_ymd(int year, int month, int day);
/* Write "yyyy-mm-dd" and a NUL into `out`; "" if the year is outside
 * 0000-9999 and so does not fit. */
CL_API void cl_date_format_iso(int32_t days, char out[11]);
/* Today's day number from the system clock (UTC). */
CL_API int32_t cl_date_today(void);

#endif
