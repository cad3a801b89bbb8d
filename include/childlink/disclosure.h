/*
 * disclosure.h - statistical disclosure control (SDC) for every number that
 * childlink publishes from the linked database.
 *
 * Three protections, each configurable through cl_sdc_options (start from
 * cl_sdc_options_default):
 *
 *   - Primary suppression: a count from 1 to threshold-1 (default 1..9) is
 *     withheld and shown as "<10".  Zero is shown as "0" by default, because
 *     structural zeros are safe and hiding them hides nothing; it can be
 *     suppressed instead.
 *   - Rounding: every other count is rounded to the nearest multiple of the
 *     rounding base (default 5), ties away from zero unless told to round
 *     ties to even.  A rounded count is never shown below the threshold.
 *   - Secondary suppression in tables with totals: no row or column (the
 *     totals row and column included) may hold exactly one suppressed entry,
 *     or that entry could be recovered by subtracting the others from the
 *     total.  More cells are withheld, smallest first, until none does.
 *
 * Rates are computed from the unrounded numerator and denominator and
 * withheld when either is small.  docs/disclosure.md states the rules in
 * plain words, with a worked example, and the limits of the protection.
 *
 * Nothing here does I/O; formatting writes into caller buffers and is
 * independent of the C locale.
 */
#ifndef CHILDLINK_DISCLOSURE_H
#define CHILDLINK_DISCLOSURE_H

#include <stddef.h>
#include <stdint.h>

#include "childlink/base.h"

/* Defaults for cl_sdc_options. */
#define CL_SDC_DEFAULT_THRESHOLD 10
#define CL_SDC_DEFAULT_ROUNDING_BASE 5
#define CL_SDC_DEFAULT_RATE_DECIMALS 1
#define CL_SDC_DEFAULT_SECONDARY_LABEL "[c]"
/* Counts (and table totals) above this are refused: it keeps rounding free
 * of overflow and every count exact as a double for rates (2^53). */
#define CL_SDC_MAX_COUNT (INT64_C(1) << 53)
/* Largest rounding base and most rate decimals accepted. */
#define CL_SDC_MAX_ROUNDING_BASE 1000000000
#define CL_SDC_MAX_RATE_DECIMALS 9
/* Longest label (bytes, without the NUL). */
#define CL_SDC_MAX_LABEL 32

/* How a count exactly halfway between two multiples of the base rounds
 * (only possible with an even base: with base 10, 15 -> 20 either way,
 * 25 -> 30 away from zero, 20 to even). */
typedef enum cl_sdc_tie {
    CL_SDC_TIE_AWAY = 0,  /* half rounds up (counts are never negative) */
    CL_SDC_TIE_EVEN = 1   /* half rounds to the even multiple of the base */
} cl_sdc_tie;

typedef struct cl_sdc_options {
    int64_t threshold;        /* counts 1..threshold-1 withheld; >= 1 (1: none) */
    int64_t rounding_base;    /* round to a multiple of this; 1: no rounding */
    cl_sdc_tie tie;
    int show_zero;            /* nonzero: a zero is shown as 0; zero: withheld */
    int secondary;            /* nonzero: secondary suppression in tables */
    int rate_decimals;        /* decimals a rate is shown with, 0..9 */
    /* Nonzero: also withhold a rate whose numerator is at most its
     * denominator and falls short of it by 1..threshold-1, since "97% of
     * 100 children" says that 3 were not counted. */
    int rate_complement;
    /* Text for a primary-suppressed value; NULL: "<" followed by the
     * threshold ("<10"). */
    const char *primary_label;
    /* Text for a secondary-suppressed cell, which is not small, so "<10"
     * would be false; NULL: CL_SDC_DEFAULT_SECONDARY_LABEL.  Set both labels
     * to the same text to hide which suppressions are primary (see
     * docs/disclosure.md). */
    const char *secondary_label;
} cl_sdc_options;

/* What became of one published number. */
typedef enum cl_sdc_status {
    CL_SDC_SHOWN = 0,      /* shown, rounded */
    CL_SDC_ZERO = 1,       /* a true zero, shown as 0 */
    CL_SDC_PRIMARY = 2,    /* withheld: small (or a zero, when zeros are withheld) */
    CL_SDC_SECONDARY = 3   /* withheld so that a primary cannot be recovered */
} cl_sdc_status;

/* One protected count.  The true value is deliberately not kept here, so
 * that the published form cannot leak it by accident. */
typedef struct cl_sdc_cell {
    cl_sdc_status status;
    int64_t value_shown;   /* rounded count if SHOWN, 0 if ZERO, -1 if withheld */
} cl_sdc_cell;

/* One protected rate: numerator / denominator * per. */
typedef struct cl_sdc_rate {
    cl_sdc_status status;  /* SHOWN, ZERO or PRIMARY */
    int decimals;          /* the decimals it is shown with */
    /* The rate rounded to `decimals`, in units of 10^-decimals (12.34 with
     * two decimals is 1234), so that formatting is exact; -1 if withheld. */
    int64_t units_shown;
    double value_shown;    /* the same as a double; NaN if withheld */
} cl_sdc_rate;

/* A rows x cols table of counts, row-major.  When row_totals is set a total
 * is published for each row, when column_totals is set one for each column,
 * and when both are set the grand total too.  Totals are computed here from
 * the cells, so they always agree with them. */
typedef struct cl_sdc_table {
    size_t rows;
    size_t cols;
    const int64_t *counts;  /* rows * cols counts, each 0..CL_SDC_MAX_COUNT */
    int row_totals;
    int column_totals;
} cl_sdc_table;

/* The protected table: opaque, read through the functions below. */
typedef struct cl_sdc_result cl_sdc_result;

/* Fill `opts` with the defaults: threshold 10, base 5, ties away from zero,
 * zeros shown, secondary suppression on, one decimal for rates, small
 * complements of rates withheld, labels "<10" and "[c]".  `opts` must not
 * be NULL. */
CL_API void cl_sdc_options_default(cl_sdc_options *opts);

/* Check `opts` for values out of range.  Returns CL_OK, or CL_EINVAL with a
 * message in `err` (may be NULL).  Every function below checks its options
 * this way; a NULL `opts` there means the defaults. */
CL_API cl_status cl_sdc_options_check(const cl_sdc_options *opts, cl_error *err) CL_MUST_CHECK;

/* Round `count` to the nearest multiple of the options' base, by its tie
 * rule.  A count at or above the threshold is never rounded below it: it is
 * raised to the smallest multiple of the base at or above the threshold
 * (only possible when the threshold is not a multiple of the base).  No
 * suppression here: see cl_sdc_count.  Writes the result to
 * `*rounded`.  Returns CL_OK, or CL_EINVAL for a negative count, a count
 * above CL_SDC_MAX_COUNT or bad options. */
CL_API cl_status cl_sdc_round(int64_t count, const cl_sdc_options *opts, int64_t *rounded,
                              cl_error *err) CL_MUST_CHECK;

/* Protect a single count standing alone (no totals, so never secondary).
 * Writes `*out`.  Returns CL_OK, or CL_EINVAL as cl_sdc_round. */
CL_API cl_status cl_sdc_count(int64_t count, const cl_sdc_options *opts, cl_sdc_cell *out,
                              cl_error *err) CL_MUST_CHECK;

/* Protect the rate numerator / denominator * per (per: 1 for a proportion,
 * 100 for a percentage, 1000 for a rate per thousand), computed from the
 * unrounded counts.  Withheld (PRIMARY) when the numerator is 1..threshold-1
 * or the denominator is below the threshold (0 included), or (with
 * rate_complement) when denominator - numerator is 1..threshold-1; ZERO when the
 * numerator is 0 and zeros are shown; otherwise SHOWN, rounded half away
 * from zero to the options' decimals.  Writes `*out`.  Returns CL_OK;
 * CL_EINVAL for a negative or too large count, `per` not positive and
 * finite, or bad options; CL_ELIMIT when the rate is too large to show. */
CL_API cl_status cl_sdc_rate_compute(int64_t numerator, int64_t denominator, double per,
                                     const cl_sdc_options *opts, cl_sdc_rate *out,
                                     cl_error *err) CL_MUST_CHECK;

/* Protect a table: primary suppression and rounding of every cell and
 * total, then (if the options ask and there are totals) secondary
 * suppression until no row or column, totals included, holds exactly one
 * withheld entry.  On success sets `*out` to a new result, freed with
 * cl_sdc_result_free.  Returns CL_OK; CL_EINVAL for an empty or malformed
 * table, a bad count or bad options; CL_ELIMIT when a total would exceed
 * CL_SDC_MAX_COUNT; CL_ENOMEM.  On failure `*out` is NULL. */
CL_API cl_status cl_sdc_apply(const cl_sdc_table *table, const cl_sdc_options *opts,
                              cl_sdc_result **out, cl_error *err) CL_MUST_CHECK;

/* Free a result.  Accepts NULL. */
CL_API void cl_sdc_result_free(cl_sdc_result *result);

CL_API size_t cl_sdc_result_rows(const cl_sdc_result *result);
CL_API size_t cl_sdc_result_cols(const cl_sdc_result *result);

/* The protected entry at (row, col).  Row `rows` is the row of column
 * totals and column `cols` the column of row totals, so (rows, cols) is the
 * grand total.  Returns NULL when out of range or when that total is not
 * published. */
CL_API const cl_sdc_cell *cl_sdc_result_cell(const cl_sdc_result *result, size_t row,
                                             size_t col);

/* How many published entries (cells and totals) have `status`. */
CL_API size_t cl_sdc_result_count_status(const cl_sdc_result *result, cl_sdc_status status);

/* Write `cell` as text into `buf` (`size` bytes, NUL-terminated): the
 * rounded count ("15"), "0", or the primary or secondary label.  Returns
 * CL_OK; CL_ELIMIT when it does not fit (buf then holds ""); CL_EINVAL for
 * NULL arguments, an unknown status or bad options. */
CL_API cl_status cl_sdc_format_cell(const cl_sdc_cell *cell, const cl_sdc_options *opts,
                                    char *buf, size_t size, cl_error *err) CL_MUST_CHECK;

/* Write `rate` as text into `buf`: "12.3", "0.0" (a zero with the same
 * decimals) or the primary label.  Always '.' as the decimal point, whatever
 * the locale.  Returns as cl_sdc_format_cell. */
CL_API cl_status cl_sdc_format_rate(const cl_sdc_rate *rate, const cl_sdc_options *opts,
                                    char *buf, size_t size, cl_error *err) CL_MUST_CHECK;

#endif
