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

typedef enum cl_date_format {
    CL_DATE_AUTO = 0,   /* yyyy-mm-dd, dd/mm/yyyy, dd-mm-yyyy or yyyymmdd */
    CL_DATE_ISO,        /* yyyy-mm-dd */
    CL_DATE_DMY,        /* dd/mm/yyyy or dd-mm-yyyy (d and m may be 1 digit) */
    CL_DATE_MDY,        /* mm/dd/yyyy */
    CL_DATE_YYYYMMDD    /* yyyymmdd */
} cl_date_format;

typedef struct cl_date_options {
    cl_date_format format;
    int pivot_year;       /* 0: two-digit years are invalid */
    int32_t today;        /* day number of "today"; later dates are invalid.
                             0 means the system clock's date (UTC). */
    int min_year;         /* earlier years are invalid; 0 means 1880 */
} cl_date_options;

/* Parse `len` bytes of `in`.  On CL_CHECK_VALID *days holds the day number.
 * `opt` may be NULL (all defaults).  `*reason` (may be NULL): NULL when
 * valid, else one of "bad_format", "two_digit_year", "impossible_date",
 * "future_date", "too_old". */
CL_API cl_check cl_date_parse(const char *in, size_t len, const cl_date_options *opt,
                              int32_t *days, const char **reason);

/* Day number of a calendar date (no validation), and back. */
CL_API int32_t cl_date_from_ymd(int year, int month, int day);
CL_API void cl_date_to_ymd(int32_t days, int *year, int *month, int *day);
/* Whether year/month/day names a real calendar day. */
CL_API int cl_date_is_valid_ymd(int year, int month, int day);
/* Write "yyyy-mm-dd" and a NUL into `out`. */
CL_API void cl_date_format_iso(int32_t days, char out[11]);
/* Today's day number from the system clock (UTC). */
CL_API int32_t cl_date_today(void);

#endif
