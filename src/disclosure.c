/*
 * disclosure.c - statistical disclosure control: small-number suppression,
 * rounding and secondary suppression.  See disclosure.h and
 * docs/disclosure.md.
 *
 * A table is held as an (rows+1) x (cols+1) grid: the last column holds the
 * row totals, the last row the column totals, the corner the grand total.
 * Seen this way every published row and column, the totals row and column
 * included, is a "line" whose entries sum to its last entry, and the one
 * rule of secondary suppression is the same everywhere: no line may hold
 * exactly one withheld entry, because subtracting the others would give it.
 * Totals that are not published are simply absent from the grid and the
 * lines that would need them are not constraints.
 *
 * Secondary suppression is greedy and iterated: a line with a single
 * withheld entry gets one more entry withheld, the smallest non-zero one
 * (cells before totals, since a lost total costs readers more), preferring
 * one whose crossing line also needs a complement (see protect_line).  That
 * can leave a crossing line with a single withheld entry, so passes repeat
 * until one changes nothing.  Every pass withholds at least one more entry or stops,
 * so it ends within (rows+1)*(cols+1) passes; tables are small and the cost
 * is immaterial.
 *
 * Zeros are not chosen as complementary cells while a non-zero entry is
 * available: a zero is often known from outside (no boys in a girls'
 * school), so withholding it protects nothing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "childlink/disclosure.h"

struct cl_sdc_result {
    size_t rows;
    size_t cols;
    int row_totals;
    int column_totals;
    cl_sdc_cell *grid;        /* (rows+1) * (cols+1), row-major */
    unsigned char *present;   /* 1 where the entry is published */
};

void cl_sdc_options_default(cl_sdc_options *opts)
{
    opts->threshold = CL_SDC_DEFAULT_THRESHOLD;
    opts->rounding_base = CL_SDC_DEFAULT_ROUNDING_BASE;
    opts->tie = CL_SDC_TIE_AWAY;
    opts->show_zero = 1;
    opts->secondary = 1;
    opts->rate_decimals = CL_SDC_DEFAULT_RATE_DECIMALS;
    opts->rate_complement = 1;
    opts->primary_label = NULL;
    opts->secondary_label = NULL;
}

cl_status cl_sdc_options_check(const cl_sdc_options *opts, cl_error *err)
{
    if (opts == NULL)
        return CL_OK;
    if (opts->threshold < 1 || opts->threshold > CL_SDC_MAX_COUNT)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "disclosure threshold must be from 1 to %lld, not %lld",
                            (long long)CL_SDC_MAX_COUNT, (long long)opts->threshold);
    if (opts->rounding_base < 1 || opts->rounding_base > CL_SDC_MAX_ROUNDING_BASE)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "rounding base must be from 1 to %d, not %lld",
                            CL_SDC_MAX_ROUNDING_BASE, (long long)opts->rounding_base);
    if (opts->tie != CL_SDC_TIE_AWAY && opts->tie != CL_SDC_TIE_EVEN)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "unknown rounding tie rule %d",
                            (int)opts->tie);
    if (opts->rate_decimals < 0 || opts->rate_decimals > CL_SDC_MAX_RATE_DECIMALS)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "rate decimals must be from 0 to %d, not %d",
                            CL_SDC_MAX_RATE_DECIMALS, opts->rate_decimals);
    if (opts->primary_label && strlen(opts->primary_label) > CL_SDC_MAX_LABEL)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "suppression label longer than %d bytes", CL_SDC_MAX_LABEL);
    if (opts->secondary_label && strlen(opts->secondary_label) > CL_SDC_MAX_LABEL)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "secondary suppression label longer than %d bytes",
                            CL_SDC_MAX_LABEL);
    return CL_OK;
}

/* Options to use: the caller's, or the defaults in `store`. */
static const cl_sdc_options *resolve_options(const cl_sdc_options *opts,
                                             cl_sdc_options *store)
{
    if (opts != NULL)
        return opts;
    cl_sdc_options_default(store);
    return store;
}

static cl_status check_count(int64_t count, const char *what, cl_error *err)
{
    if (count < 0 || count > CL_SDC_MAX_COUNT)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "%s %lld is out of range 0..%lld",
                            what, (long long)count, (long long)CL_SDC_MAX_COUNT);
    return CL_OK;
}

/* Rounding on checked inputs: count in 0..MAX_COUNT and base <= MAX_ROUNDING_BASE,
 * so nothing here can overflow. */
static int64_t round_count(int64_t count, const cl_sdc_options *opts)
{
    int64_t base = opts->rounding_base;
    int64_t quotient = count / base;
    int64_t twice_rest = 2 * (count % base);
    int64_t rounded;
    if (twice_rest < base)
        rounded = quotient * base;
    else if (twice_rest > base)
        rounded = (quotient + 1) * base;
    else if (opts->tie == CL_SDC_TIE_EVEN)
        rounded = (quotient % 2 == 0 ? quotient : quotient + 1) * base;
    else
        rounded = (quotient + 1) * base;
    /* Rounding must not turn a publishable count into an apparently small
     * one, which readers would take for a failure of suppression. */
    if (count >= opts->threshold && rounded < opts->threshold)
        rounded = (opts->threshold + base - 1) / base * base;
    return rounded;
}

/* Primary protection of one count, on checked inputs. */
static cl_sdc_cell protect_count(int64_t count, const cl_sdc_options *opts)
{
    cl_sdc_cell cell;
    if (count == 0) {
        cell.status = opts->show_zero ? CL_SDC_ZERO : CL_SDC_PRIMARY;
        cell.value_shown = opts->show_zero ? 0 : -1;
    } else if (count < opts->threshold) {
        cell.status = CL_SDC_PRIMARY;
        cell.value_shown = -1;
    } else {
        cell.status = CL_SDC_SHOWN;
        cell.value_shown = round_count(count, opts);
    }
    return cell;
}

cl_status cl_sdc_round(int64_t count, const cl_sdc_options *opts, int64_t *rounded,
                       cl_error *err)
{
    cl_sdc_options store;
    cl_status status;
    if (rounded == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no place for the rounded count");
    if ((status = cl_sdc_options_check(opts, err)) != CL_OK)
        return status;
    if ((status = check_count(count, "count", err)) != CL_OK)
        return status;
    *rounded = round_count(count, resolve_options(opts, &store));
    return CL_OK;
}

cl_status cl_sdc_count(int64_t count, const cl_sdc_options *opts, cl_sdc_cell *out,
                       cl_error *err)
{
    cl_sdc_options store;
    cl_status status;
    if (out == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no place for the protected count");
    if ((status = cl_sdc_options_check(opts, err)) != CL_OK)
        return status;
    if ((status = check_count(count, "count", err)) != CL_OK)
        return status;
    *out = protect_count(count, resolve_options(opts, &store));
    return CL_OK;
}

static int64_t power_of_ten(int exponent)
{
    int64_t p = 1;
    while (exponent-- > 0)
        p *= 10;
    return p;
}

/* numerator/denominator*per in units of 10^-decimals, rounded half away
 * from zero.  Exact integer arithmetic when `per` is a whole number small
 * enough, so that 1/8 as a percentage with no decimals is 13, not whatever
 * 12.4999... a double would give; doubles otherwise.  Returns -1 when the
 * result is too large to hold. */
static int64_t rate_units(int64_t numerator, int64_t denominator, double per, int decimals)
{
    uint64_t scale = (uint64_t)power_of_ten(decimals);
    /* per >= 1 here (positive and whole), so factor cannot be 0; with
     * per <= 1e9 and scale <= 1e9 it fits in 64 bits. */
    if (per == floor(per) && per <= 1e9) {
        uint64_t factor = (uint64_t)per * scale;
        uint64_t num = (uint64_t)numerator, den = (uint64_t)denominator;
        /* room for 2 * num * factor + den */
        if (num <= (UINT64_MAX / 2 - den) / factor)
            return (int64_t)((2 * num * factor + den) / (2 * den));
    }
    double x = (double)numerator / (double)denominator * per * (double)scale;
    if (!(x < 9.0e15))
        return -1;
    return (int64_t)floor(x + 0.5);
}

cl_status cl_sdc_rate_compute(int64_t numerator, int64_t denominator, double per,
                              const cl_sdc_options *opts, cl_sdc_rate *out, cl_error *err)
{
    cl_sdc_options store;
    cl_status status;
    if (out == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no place for the protected rate");
    if ((status = cl_sdc_options_check(opts, err)) != CL_OK)
        return status;
    if ((status = check_count(numerator, "numerator", err)) != CL_OK)
        return status;
    if ((status = check_count(denominator, "denominator", err)) != CL_OK)
        return status;
    if (!isfinite(per) || per <= 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "a rate must be per a positive number, not %g", per);
    opts = resolve_options(opts, &store);

    out->decimals = opts->rate_decimals;
    out->units_shown = -1;
    out->value_shown = NAN;
    /* A small numerator is a small count; a small denominator makes even a
     * large-looking rate a statement about a handful of children. */
    int64_t shortfall = denominator - numerator;
    if ((numerator > 0 && numerator < opts->threshold) || denominator < opts->threshold ||
        (numerator == 0 && !opts->show_zero) ||
        (opts->rate_complement && shortfall > 0 && shortfall < opts->threshold)) {
        out->status = CL_SDC_PRIMARY;
        return CL_OK;
    }
    int64_t units = numerator == 0 ? 0 : rate_units(numerator, denominator, per,
                                                    opts->rate_decimals);
    if (units < 0)
        return cl_error_set(err, CL_ELIMIT, NULL, 0, "rate %lld/%lld per %g is too large",
                            (long long)numerator, (long long)denominator, per);
    out->status = numerator == 0 ? CL_SDC_ZERO : CL_SDC_SHOWN;
    out->units_shown = units;
    out->value_shown = (double)units / (double)power_of_ten(opts->rate_decimals);
    return CL_OK;
}

/* ---- tables ---- */

static int is_withheld(cl_sdc_status status)
{
    return status == CL_SDC_PRIMARY || status == CL_SDC_SECONDARY;
}

/* Whether row `r` (is_row) or column `r` of the grid is a constraint, that
 * is, has a published total. */
static int is_constraint(const cl_sdc_result *res, int is_row, size_t index)
{
    int both = res->row_totals && res->column_totals;
    if (is_row)
        return index < res->rows ? res->row_totals : both;
    return index < res->cols ? res->column_totals : both;
}

/* Withheld entries in row (is_row) or column `index`. */
static size_t count_withheld(const cl_sdc_result *res, int is_row, size_t index)
{
    size_t width = res->cols + 1, n = 0;
    size_t length = is_row ? res->cols + 1 : res->rows + 1;
    for (size_t k = 0; k < length; k++) {
        size_t at = is_row ? index * width + k : k * width + index;
        n += res->present[at] && is_withheld(res->grid[at].status);
    }
    return n;
}

/* Look at row (is_row) or column `index` of the grid; if exactly one entry
 * is withheld, withhold one more and return 1, else return 0.  `values` are
 * the true counts.
 *
 * The complement is ranked by: non-zero before zero; cells before totals;
 * then by what it does to the line crossing this one at it: best if that
 * line holds exactly one withheld entry (both lines are mended at once),
 * next if it holds two or more or is no constraint (no harm), last if it
 * holds none (it would need a complement of its own); then smaller value.
 * The crossing-line rank is what turns one small cell in a full table into
 * the four-cell rectangle rather than a longer chain. */
static int protect_line(cl_sdc_result *res, const int64_t *values, int is_row, size_t index)
{
    size_t width = res->cols + 1;
    size_t length = is_row ? res->cols + 1 : res->rows + 1;
    if (count_withheld(res, is_row, index) != 1)
        return 0;

    size_t best = SIZE_MAX;
    int best_rank = 0;
    for (size_t k = 0; k < length; k++) {
        size_t at = is_row ? index * width + k : k * width + index;
        if (!res->present[at] || is_withheld(res->grid[at].status))
            continue;
        size_t r = at / width, c = at % width;
        int is_total = r == res->rows || c == res->cols;
        int cost = 1;
        size_t crossing = is_row ? c : r;
        if (is_constraint(res, !is_row, crossing)) {
            size_t n = count_withheld(res, !is_row, crossing);
            cost = n == 1 ? 0 : n == 0 ? 2 : 1;
        }
        int rank = (values[at] == 0) * 8 + is_total * 4 + cost;
        if (best == SIZE_MAX || rank < best_rank ||
            (rank == best_rank && values[at] < values[best])) {
            best = at;
            best_rank = rank;
        }
    }
    /* A line has at least two entries (a cell and its total), so with one
     * withheld there is always another to take. */
    if (best == SIZE_MAX)
        return 0;
    res->grid[best].status = CL_SDC_SECONDARY;
    res->grid[best].value_shown = -1;
    return 1;
}

static void secondary_suppression(cl_sdc_result *res, const int64_t *values)
{
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = 0; i <= res->rows; i++)
            if (is_constraint(res, 1, i))
                changed |= protect_line(res, values, 1, i);
        for (size_t j = 0; j <= res->cols; j++)
            if (is_constraint(res, 0, j))
                changed |= protect_line(res, values, 0, j);
    }
}

cl_status cl_sdc_apply(const cl_sdc_table *table, const cl_sdc_options *opts,
                       cl_sdc_result **out, cl_error *err)
{
    cl_sdc_options store;
    cl_status status;
    cl_sdc_result *res = NULL;
    int64_t *values = NULL;

    if (out == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no place for the protected table");
    *out = NULL;
    if ((status = cl_sdc_options_check(opts, err)) != CL_OK)
        return status;
    opts = resolve_options(opts, &store);
    if (table == NULL || table->counts == NULL || table->rows == 0 || table->cols == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "a table needs at least one cell");
    size_t rows = table->rows, cols = table->cols;
    if (rows >= SIZE_MAX / 2 || cols >= SIZE_MAX / 2 ||
        (cols + 1) > SIZE_MAX / sizeof(int64_t) / (rows + 1))
        return cl_error_set(err, CL_ELIMIT, NULL, 0, "table of %zu x %zu is too large",
                            rows, cols);
    size_t width = cols + 1, entries = (rows + 1) * width;
    for (size_t i = 0; i < rows * cols; i++)
        if (table->counts[i] < 0 || table->counts[i] > CL_SDC_MAX_COUNT)
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "table cell (%zu, %zu) holds %lld, out of range 0..%lld",
                                i / cols, i % cols, (long long)table->counts[i],
                                (long long)CL_SDC_MAX_COUNT);

    res = cl_calloc(1, sizeof *res);
    values = cl_calloc(entries, sizeof *values);
    if (res == NULL || values == NULL)
        goto nomem;
    res->grid = cl_calloc(entries, sizeof *res->grid);
    res->present = cl_calloc(entries, 1);
    if (res->grid == NULL || res->present == NULL)
        goto nomem;
    res->rows = rows;
    res->cols = cols;
    res->row_totals = table->row_totals != 0;
    res->column_totals = table->column_totals != 0;

    /* Sums of counts each at most 2^53 cannot overflow int64 before the
     * check catches them, as long as the check runs after every addition. */
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            int64_t v = table->counts[i * cols + j];
            values[i * width + j] = v;
            res->present[i * width + j] = 1;
            values[i * width + cols] += v;
            values[rows * width + j] += v;
            values[rows * width + cols] += v;
            if (values[i * width + cols] > CL_SDC_MAX_COUNT ||
                values[rows * width + j] > CL_SDC_MAX_COUNT ||
                values[rows * width + cols] > CL_SDC_MAX_COUNT) {
                status = cl_error_set(err, CL_ELIMIT, NULL, 0,
                                      "table totals exceed %lld",
                                      (long long)CL_SDC_MAX_COUNT);
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < rows; i++)
        res->present[i * width + cols] = (unsigned char)res->row_totals;
    for (size_t j = 0; j < cols; j++)
        res->present[rows * width + j] = (unsigned char)res->column_totals;
    res->present[rows * width + cols] = (unsigned char)(res->row_totals && res->column_totals);

    for (size_t at = 0; at < entries; at++) {
        if (res->present[at]) {
            res->grid[at] = protect_count(values[at], opts);
        } else {
            res->grid[at].status = CL_SDC_PRIMARY;
            res->grid[at].value_shown = -1;
        }
    }
    if (opts->secondary)
        secondary_suppression(res, values);

    cl_free(values);
    *out = res;
    return CL_OK;

nomem:
    status = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory protecting a table");
fail:
    cl_free(values);
    cl_sdc_result_free(res);
    return status;
}

void cl_sdc_result_free(cl_sdc_result *result)
{
    if (result == NULL)
        return;
    cl_free(result->grid);
    cl_free(result->present);
    cl_free(result);
}

size_t cl_sdc_result_rows(const cl_sdc_result *result)
{
    return result ? result->rows : 0;
}

size_t cl_sdc_result_cols(const cl_sdc_result *result)
{
    return result ? result->cols : 0;
}

const cl_sdc_cell *cl_sdc_result_cell(const cl_sdc_result *result, size_t row, size_t col)
{
    if (result == NULL || row > result->rows || col > result->cols)
        return NULL;
    size_t at = row * (result->cols + 1) + col;
    return result->present[at] ? &result->grid[at] : NULL;
}

size_t cl_sdc_result_count_status(const cl_sdc_result *result, cl_sdc_status status)
{
    if (result == NULL)
        return 0;
    size_t n = 0, entries = (result->rows + 1) * (result->cols + 1);
    for (size_t at = 0; at < entries; at++)
        n += result->present[at] && result->grid[at].status == status;
    return n;
}

/* ---- formatting ---- */

static cl_status put_text(char *buf, size_t size, int written, cl_error *err)
{
    if (written < 0 || (size_t)written >= size) {
        buf[0] = '\0';
        return cl_error_set(err, CL_ELIMIT, NULL, 0,
                            "a buffer of %zu bytes is too small for the value", size);
    }
    return CL_OK;
}

static int write_withheld(char *buf, size_t size, cl_sdc_status status,
                          const cl_sdc_options *opts)
{
    if (status == CL_SDC_SECONDARY)
        return snprintf(buf, size, "%s",
                        opts->secondary_label ? opts->secondary_label
                                              : CL_SDC_DEFAULT_SECONDARY_LABEL);
    if (opts->primary_label)
        return snprintf(buf, size, "%s", opts->primary_label);
    return snprintf(buf, size, "<%lld", (long long)opts->threshold);
}

cl_status cl_sdc_format_cell(const cl_sdc_cell *cell, const cl_sdc_options *opts, char *buf,
                             size_t size, cl_error *err)
{
    cl_sdc_options store;
    cl_status status;
    if (cell == NULL || buf == NULL || size == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "nothing to format or nowhere to put it");
    buf[0] = '\0';
    if ((status = cl_sdc_options_check(opts, err)) != CL_OK)
        return status;
    opts = resolve_options(opts, &store);
    switch (cell->status) {
    case CL_SDC_SHOWN:
        return put_text(buf, size, snprintf(buf, size, "%lld", (long long)cell->value_shown),
                        err);
    case CL_SDC_ZERO:
        return put_text(buf, size, snprintf(buf, size, "0"), err);
    case CL_SDC_PRIMARY:
    case CL_SDC_SECONDARY:
        return put_text(buf, size, write_withheld(buf, size, cell->status, opts), err);
    }
    return cl_error_set(err, CL_EINVAL, NULL, 0, "unknown cell status %d", (int)cell->status);
}

cl_status cl_sdc_format_rate(const cl_sdc_rate *rate, const cl_sdc_options *opts, char *buf,
                             size_t size, cl_error *err)
{
    cl_sdc_options store;
    cl_status status;
    if (rate == NULL || buf == NULL || size == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "nothing to format or nowhere to put it");
    buf[0] = '\0';
    if ((status = cl_sdc_options_check(opts, err)) != CL_OK)
        return status;
    opts = resolve_options(opts, &store);
    switch (rate->status) {
    case CL_SDC_SHOWN:
    case CL_SDC_ZERO: {
        if (rate->decimals < 0 || rate->decimals > CL_SDC_MAX_RATE_DECIMALS ||
            rate->units_shown < 0)
            return cl_error_set(err, CL_EINVAL, NULL, 0, "malformed rate");
        /* Integer arithmetic, so the decimal point is '.' in every locale. */
        int64_t scale = power_of_ten(rate->decimals);
        long long whole = (long long)(rate->units_shown / scale);
        long long fraction = (long long)(rate->units_shown % scale);
        int n = rate->decimals == 0
                    ? snprintf(buf, size, "%lld", whole)
                    : snprintf(buf, size, "%lld.%0*lld", whole, rate->decimals, fraction);
        return put_text(buf, size, n, err);
    }
    case CL_SDC_PRIMARY:
    case CL_SDC_SECONDARY:
        return put_text(buf, size, write_withheld(buf, size, CL_SDC_PRIMARY, opts), err);
    }
    return cl_error_set(err, CL_EINVAL, NULL, 0, "unknown rate status %d", (int)rate->status);
}
