/*
 * test_disclosure.c - statistical disclosure control: every small count
 * formatted, rounding and its tie rules, rates, secondary suppression worked
 * by hand, and randomized tables checked for recoverable cells.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "childlink/disclosure.h"

/* ---- helpers ---- */

static void expect_count_text(const cl_sdc_options *opts, int64_t count, const char *want)
{
    cl_sdc_cell cell;
    char buf[64];
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(cl_sdc_count(count, opts, &cell, &err), CL_OK);
    assert_int_equal(cl_sdc_format_cell(&cell, opts, buf, sizeof buf, &err), CL_OK);
    if (strcmp(buf, want) != 0)
        fail_msg("count %lld: got '%s', wanted '%s'", (long long)count, buf, want);
}

static int64_t rounded(const cl_sdc_options *opts, int64_t count)
{
    int64_t out = -99;
    assert_int_equal(cl_sdc_round(count, opts, &out, NULL), CL_OK);
    return out;
}

static void expect_rate_text(const cl_sdc_options *opts, int64_t num, int64_t den, double per,
                             const char *want)
{
    cl_sdc_rate rate;
    char buf[64];
    assert_int_equal(cl_sdc_rate_compute(num, den, per, opts, &rate, NULL), CL_OK);
    assert_int_equal(cl_sdc_format_rate(&rate, opts, buf, sizeof buf, NULL), CL_OK);
    if (strcmp(buf, want) != 0)
        fail_msg("rate %lld/%lld per %g: got '%s', wanted '%s'", (long long)num,
                 (long long)den, per, buf, want);
}

static cl_sdc_result *apply_table(const int64_t *counts, size_t rows, size_t cols,
                                  int row_totals, int column_totals,
                                  const cl_sdc_options *opts)
{
    cl_sdc_table table = {rows, cols, counts, row_totals, column_totals};
    cl_sdc_result *res = NULL;
    cl_error err;
    cl_error_clear(&err);
    cl_status st = cl_sdc_apply(&table, opts, &res, &err);
    if (st != CL_OK)
        fail_msg("apply failed: %s", err.message);
    assert_non_null(res);
    return res;
}

static cl_sdc_status status_at(const cl_sdc_result *res, size_t r, size_t c)
{
    const cl_sdc_cell *cell = cl_sdc_result_cell(res, r, c);
    assert_non_null(cell);
    return cell->status;
}

static int64_t shown_at(const cl_sdc_result *res, size_t r, size_t c)
{
    const cl_sdc_cell *cell = cl_sdc_result_cell(res, r, c);
    assert_non_null(cell);
    return cell->value_shown;
}

static int withheld(cl_sdc_status s)
{
    return s == CL_SDC_PRIMARY || s == CL_SDC_SECONDARY;
}

/* Deterministic xorshift64*, so a failing random table can be replayed. */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}
static int64_t rng_below(int64_t n)
{
    return (int64_t)(rng_next() % (uint64_t)n);
}

/* A count that is often zero or small, so that suppression is exercised. */
static int64_t random_count(void)
{
    int64_t kind = rng_below(10);
    if (kind < 2)
        return 0;
    if (kind < 5)
        return 1 + rng_below(9);
    return 10 + rng_below(60);
}

/* ---- single counts ---- */

static void test_defaults(void **state)
{
    (void)state;
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    assert_int_equal(o.threshold, 10);
    assert_int_equal(o.rounding_base, 5);
    assert_int_equal(o.tie, CL_SDC_TIE_AWAY);
    assert_true(o.show_zero);
    assert_true(o.secondary);
    assert_int_equal(o.rate_decimals, 1);
    assert_true(o.rate_complement);
    assert_null(o.primary_label);
    assert_null(o.secondary_label);
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_OK);
    assert_int_equal(cl_sdc_options_check(NULL, NULL), CL_OK);
}

static void test_every_count_0_to_30(void **state)
{
    (void)state;
    static const char *const want[31] = {
        "0",   "<10", "<10", "<10", "<10", "<10", "<10", "<10", "<10", "<10", /* 0-9 */
        "10",  "10",  "10",  "15",  "15",  "15",  "15",  "15",  "20",  "20",  /* 10-19 */
        "20",  "20",  "20",  "25",  "25",  "25",  "25",  "25",  "30",  "30",  /* 20-29 */
        "30"};
    for (int64_t c = 0; c <= 30; c++)
        expect_count_text(NULL, c, want[c]);
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    for (int64_t c = 0; c <= 30; c++)
        expect_count_text(&o, c, want[c]);
}

static void test_count_statuses(void **state)
{
    (void)state;
    cl_sdc_cell cell;
    assert_int_equal(cl_sdc_count(0, NULL, &cell, NULL), CL_OK);
    assert_int_equal(cell.status, CL_SDC_ZERO);
    assert_int_equal(cell.value_shown, 0);
    assert_int_equal(cl_sdc_count(9, NULL, &cell, NULL), CL_OK);
    assert_int_equal(cell.status, CL_SDC_PRIMARY);
    assert_int_equal(cell.value_shown, -1);
    assert_int_equal(cl_sdc_count(1, NULL, &cell, NULL), CL_OK);
    assert_int_equal(cell.status, CL_SDC_PRIMARY);
    assert_int_equal(cl_sdc_count(10, NULL, &cell, NULL), CL_OK);
    assert_int_equal(cell.status, CL_SDC_SHOWN);
    assert_int_equal(cell.value_shown, 10);
    assert_int_equal(cl_sdc_count(CL_SDC_MAX_COUNT, NULL, &cell, NULL), CL_OK);
    assert_int_equal(cell.status, CL_SDC_SHOWN);
    assert_int_equal(cell.value_shown % 5, 0);
    assert_true(cell.value_shown >= CL_SDC_MAX_COUNT - 2);
}

static void test_zero_withheld_when_asked(void **state)
{
    (void)state;
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.show_zero = 0;
    expect_count_text(&o, 0, "<10");
    cl_sdc_cell cell;
    assert_int_equal(cl_sdc_count(0, &o, &cell, NULL), CL_OK);
    assert_int_equal(cell.status, CL_SDC_PRIMARY);
    expect_count_text(&o, 12, "10");
}

static void test_other_thresholds(void **state)
{
    (void)state;
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.threshold = 6;
    expect_count_text(&o, 5, "<6");
    expect_count_text(&o, 6, "10"); /* round(6) = 5 < 6: raised to 10 */
    expect_count_text(&o, 7, "10");
    expect_count_text(&o, 8, "10");
    o.threshold = 1;  /* no suppression at all */
    expect_count_text(&o, 1, "5"); /* 1 rounds to 0, raised to the first multiple >= 1 */
    expect_count_text(&o, 2, "5");
    expect_count_text(&o, 3, "5");
    o.rounding_base = 1;
    for (int64_t c = 0; c < 40; c++) {
        char want[24];
        snprintf(want, sizeof want, "%lld", (long long)c);
        expect_count_text(&o, c, want);
    }
}

static void test_rounding_base_5(void **state)
{
    (void)state;
    assert_int_equal(rounded(NULL, 0), 0);
    assert_int_equal(rounded(NULL, 2), 0);  /* pure rounding: no suppression here */
    assert_int_equal(rounded(NULL, 3), 5);
    assert_int_equal(rounded(NULL, 12), 10);
    assert_int_equal(rounded(NULL, 13), 15);
    assert_int_equal(rounded(NULL, 97), 95);
    assert_int_equal(rounded(NULL, 98), 100);
    assert_int_equal(rounded(NULL, 1000002), 1000000);
    assert_int_equal(rounded(NULL, 1000003), 1000005);
}

static void test_rounding_ties(void **state)
{
    (void)state;
    cl_sdc_options away, even;
    cl_sdc_options_default(&away);
    away.rounding_base = 10;
    even = away;
    even.tie = CL_SDC_TIE_EVEN;
    static const int64_t cases[][3] = {
        /* count, away, even */
        {15, 20, 20}, {25, 30, 20}, {35, 40, 40}, {45, 50, 40},
        {14, 10, 10}, {16, 20, 20}, {24, 20, 20}, {26, 30, 30},
        {105, 110, 100}, {115, 120, 120},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (rounded(&away, cases[i][0]) != cases[i][1] ||
            rounded(&even, cases[i][0]) != cases[i][2])
            fail_msg("count %lld: away %lld even %lld", (long long)cases[i][0],
                     (long long)rounded(&away, cases[i][0]),
                     (long long)rounded(&even, cases[i][0]));
    }
    /* threshold 10, base 10: 10..14 round to 10, never below */
    assert_int_equal(rounded(&even, 10), 10);
    assert_int_equal(rounded(&even, 11), 10);
    /* base 2: 11 is a tie between 10 and 12 */
    away.rounding_base = even.rounding_base = 2;
    assert_int_equal(rounded(&away, 11), 12);
    assert_int_equal(rounded(&even, 11), 12);  /* 12/2 = 6 is even */
    assert_int_equal(rounded(&away, 13), 14);
    assert_int_equal(rounded(&even, 13), 12);
}

static void test_invalid_counts_and_options(void **state)
{
    (void)state;
    cl_sdc_cell cell;
    cl_error err;
    int64_t r;
    cl_error_clear(&err);
    assert_int_equal(cl_sdc_count(-1, NULL, &cell, &err), CL_EINVAL);
    assert_int_equal(err.code, CL_EINVAL);
    assert_non_null(strstr(err.message, "-1"));
    assert_int_equal(cl_sdc_count(CL_SDC_MAX_COUNT + 1, NULL, &cell, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_count(INT64_MIN, NULL, &cell, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_count(5, NULL, NULL, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_round(-5, NULL, &r, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_round(5, NULL, NULL, NULL), CL_EINVAL);

    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.threshold = 0;
    assert_int_equal(cl_sdc_options_check(&o, &err), CL_EINVAL);
    assert_int_equal(cl_sdc_count(5, &o, &cell, NULL), CL_EINVAL);
    cl_sdc_options_default(&o);
    o.rounding_base = 0;
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
    o.rounding_base = CL_SDC_MAX_ROUNDING_BASE + 1;
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
    cl_sdc_options_default(&o);
    o.tie = (cl_sdc_tie)7;
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
    cl_sdc_options_default(&o);
    o.rate_decimals = -1;
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
    o.rate_decimals = CL_SDC_MAX_RATE_DECIMALS + 1;
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
    cl_sdc_options_default(&o);
    o.primary_label = "a label far too long to sit in a table cell of a report";
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
    cl_sdc_options_default(&o);
    o.secondary_label = o.primary_label =
        "a label far too long to sit in a table cell of a report";
    o.primary_label = NULL;
    assert_int_equal(cl_sdc_options_check(&o, NULL), CL_EINVAL);
}

static void test_labels_and_buffers(void **state)
{
    (void)state;
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.primary_label = "*";
    expect_count_text(&o, 4, "*");
    cl_sdc_cell sec = {CL_SDC_SECONDARY, -1};
    char buf[8];
    assert_int_equal(cl_sdc_format_cell(&sec, NULL, buf, sizeof buf, NULL), CL_OK);
    assert_string_equal(buf, "[c]");
    o.secondary_label = "*";
    assert_int_equal(cl_sdc_format_cell(&sec, &o, buf, sizeof buf, NULL), CL_OK);
    assert_string_equal(buf, "*");

    /* too small a buffer: an error and an empty string, never a cut number */
    cl_sdc_cell big = {CL_SDC_SHOWN, 123456789};
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(cl_sdc_format_cell(&big, NULL, buf, sizeof buf, &err), CL_ELIMIT);
    assert_string_equal(buf, "");
    assert_int_equal(cl_sdc_format_cell(&big, NULL, buf, 0, NULL), CL_EINVAL);
    char fits[10];
    assert_int_equal(cl_sdc_format_cell(&big, NULL, fits, sizeof fits, NULL), CL_OK);
    assert_string_equal(fits, "123456789");
    cl_sdc_cell small = {CL_SDC_PRIMARY, -1};
    char three[3];
    assert_int_equal(cl_sdc_format_cell(&small, NULL, three, sizeof three, NULL), CL_ELIMIT);
    char four[4];
    assert_int_equal(cl_sdc_format_cell(&small, NULL, four, sizeof four, NULL), CL_OK);
    assert_string_equal(four, "<10");
    cl_sdc_cell bad = {(cl_sdc_status)42, 0};
    assert_int_equal(cl_sdc_format_cell(&bad, NULL, fits, sizeof fits, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_format_cell(NULL, NULL, fits, sizeof fits, NULL), CL_EINVAL);
}

/* ---- rates ---- */

static void test_rates_shown(void **state)
{
    (void)state;
    expect_rate_text(NULL, 25, 200, 100, "12.5");
    expect_rate_text(NULL, 10, 30, 100, "33.3");
    expect_rate_text(NULL, 20, 30, 100, "66.7");
    expect_rate_text(NULL, 10, 10, 100, "100.0");
    expect_rate_text(NULL, 45, 10, 1, "4.5");       /* events per child can exceed 1 */
    expect_rate_text(NULL, 0, 100, 100, "0.0");     /* a true zero */
    expect_rate_text(NULL, 13, 1000, 1000, "13.0");
    /* computed from unrounded counts: 37/52 is 71.2%, the rounded 35/50 would be 70% */
    expect_rate_text(NULL, 37, 52, 100, "71.2");
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.rate_decimals = 0;
    expect_rate_text(&o, 10, 80, 100, "13");        /* 12.5 rounds half away */
    expect_rate_text(&o, 30, 240, 100, "13");
    expect_rate_text(&o, 0, 80, 100, "0");
    o.rate_decimals = 3;
    expect_rate_text(&o, 20, 30, 1, "0.667");
    expect_rate_text(&o, 11, 1000, 1, "0.011");
    expect_rate_text(&o, 15, 40, 2.5, "0.938");     /* non-integer per: 0.9375 */

    cl_sdc_rate rate;
    assert_int_equal(cl_sdc_rate_compute(25, 200, 100, NULL, &rate, NULL), CL_OK);
    assert_int_equal(rate.status, CL_SDC_SHOWN);
    assert_int_equal(rate.units_shown, 125);
    assert_int_equal(rate.decimals, 1);
    assert_true(fabs(rate.value_shown - 12.5) < 1e-12);
    assert_int_equal(cl_sdc_rate_compute(0, 50, 100, NULL, &rate, NULL), CL_OK);
    assert_int_equal(rate.status, CL_SDC_ZERO);
}

static void test_rates_suppressed(void **state)
{
    (void)state;
    /* small numerator */
    for (int64_t n = 1; n <= 9; n++)
        expect_rate_text(NULL, n, 1000, 100, "<10");
    /* small denominator, even with a large numerator or a zero one */
    expect_rate_text(NULL, 50, 9, 100, "<10");
    expect_rate_text(NULL, 0, 9, 100, "<10");
    expect_rate_text(NULL, 0, 0, 100, "<10");
    expect_rate_text(NULL, 10, 0, 100, "<10");
    /* zero numerator when zeros are withheld */
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.show_zero = 0;
    expect_rate_text(&o, 0, 100, 100, "<10");
    cl_sdc_rate rate;
    assert_int_equal(cl_sdc_rate_compute(3, 100, 100, NULL, &rate, NULL), CL_OK);
    assert_int_equal(rate.status, CL_SDC_PRIMARY);
    assert_int_equal(rate.units_shown, -1);
    assert_true(isnan(rate.value_shown));
    o.primary_label = "x";
    expect_rate_text(&o, 3, 100, 100, "x");
    /* boundary: 10 over 10 is shown */
    expect_rate_text(NULL, 10, 10, 1, "1.0");
}

static void test_rates_small_complement(void **state)
{
    (void)state;
    expect_rate_text(NULL, 95, 100, 100, "<10");    /* 5 children not counted */
    expect_rate_text(NULL, 91, 100, 100, "<10");
    expect_rate_text(NULL, 90, 100, 100, "90.0");   /* 10 not counted: fine */
    expect_rate_text(NULL, 100, 100, 100, "100.0"); /* nobody left out */
    expect_rate_text(NULL, 150, 100, 100, "150.0"); /* events, not a subset */
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.rate_complement = 0;
    expect_rate_text(&o, 95, 100, 100, "95.0");
    expect_rate_text(&o, 5, 100, 100, "<10");       /* the numerator rule stays */
}

static void test_rates_invalid(void **state)
{
    (void)state;
    cl_sdc_rate rate;
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(cl_sdc_rate_compute(-1, 10, 100, NULL, &rate, &err), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(10, -1, 100, NULL, &rate, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(10, 20, 0, NULL, &rate, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(10, 20, -100, NULL, &rate, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(10, 20, INFINITY, NULL, &rate, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(10, 20, NAN, NULL, &rate, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(10, 20, 100, NULL, NULL, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_rate_compute(CL_SDC_MAX_COUNT + 1, 20, 100, NULL, &rate, NULL),
                     CL_EINVAL);
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.rate_decimals = 9;
    assert_int_equal(cl_sdc_rate_compute(CL_SDC_MAX_COUNT, 10, 1e9, &o, &rate, &err),
                     CL_ELIMIT);
    assert_int_equal(cl_sdc_rate_compute(CL_SDC_MAX_COUNT, 10, 1e12, &o, &rate, NULL),
                     CL_ELIMIT);
    /* the largest counts with modest options still work */
    assert_int_equal(cl_sdc_rate_compute(CL_SDC_MAX_COUNT, CL_SDC_MAX_COUNT, 100, NULL, &rate,
                                         NULL),
                     CL_OK);
    assert_int_equal(rate.units_shown, 1000);
    char buf[4];
    assert_int_equal(cl_sdc_format_rate(&rate, NULL, buf, sizeof buf, NULL), CL_ELIMIT);
    cl_sdc_rate bad = {CL_SDC_SHOWN, 12, 5, 0.0};
    char big[32];
    assert_int_equal(cl_sdc_format_rate(&bad, NULL, big, sizeof big, NULL), CL_EINVAL);
    assert_int_equal(cl_sdc_format_rate(NULL, NULL, big, sizeof big, NULL), CL_EINVAL);
}

/* ---- tables worked by hand ---- */

/* One small cell in a 3x3 table with all totals: its row and column each
 * get a complement, and the column chosen for the row's complement then
 * needs one too, which lands in the row already holding one. */
static void test_table_one_small_cell(void **state)
{
    (void)state;
    static const int64_t counts[] = {
        3,  20, 30,  /* row total 53 */
        15, 40, 25,  /* 80 */
        12, 18, 50,  /* 80 */
    };                 /* columns 30, 78, 105; grand 213 */
    cl_sdc_result *res = apply_table(counts, 3, 3, 1, 1, NULL);
    assert_int_equal(cl_sdc_result_rows(res), 3);
    assert_int_equal(cl_sdc_result_cols(res), 3);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 1), CL_SDC_SECONDARY); /* smallest in row 0 */
    assert_int_equal(status_at(res, 2, 0), CL_SDC_SECONDARY); /* smallest in column 0 */
    assert_int_equal(status_at(res, 2, 1), CL_SDC_SECONDARY); /* smallest left in column 1 */
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_PRIMARY), 1);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 3);
    assert_int_equal(shown_at(res, 0, 2), 30);
    assert_int_equal(shown_at(res, 1, 0), 15);
    assert_int_equal(shown_at(res, 1, 1), 40);
    assert_int_equal(shown_at(res, 1, 2), 25);
    assert_int_equal(shown_at(res, 2, 2), 50);
    assert_int_equal(shown_at(res, 0, 3), 55);   /* 53 */
    assert_int_equal(shown_at(res, 1, 3), 80);
    assert_int_equal(shown_at(res, 2, 3), 80);
    assert_int_equal(shown_at(res, 3, 0), 30);
    assert_int_equal(shown_at(res, 3, 1), 80);   /* 78 */
    assert_int_equal(shown_at(res, 3, 2), 105);
    assert_int_equal(shown_at(res, 3, 3), 215);  /* 213 */
    assert_null(cl_sdc_result_cell(res, 4, 0));
    assert_null(cl_sdc_result_cell(res, 0, 4));

    char buf[16];
    assert_int_equal(cl_sdc_format_cell(cl_sdc_result_cell(res, 0, 0), NULL, buf, sizeof buf,
                                        NULL), CL_OK);
    assert_string_equal(buf, "<10");
    assert_int_equal(cl_sdc_format_cell(cl_sdc_result_cell(res, 2, 1), NULL, buf, sizeof buf,
                                        NULL), CL_OK);
    assert_string_equal(buf, "[c]");
    cl_sdc_result_free(res);
}

/* Two small cells in one row protect each other there; each column still
 * needs a complement. */
static void test_table_two_small_in_a_row(void **state)
{
    (void)state;
    static const int64_t counts[] = {
        3,  4,  30,
        20, 25, 40,
        22, 35, 45,
    };
    cl_sdc_result *res = apply_table(counts, 3, 3, 1, 1, NULL);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 1), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 2), CL_SDC_SHOWN);   /* nothing more in row 0 */
    assert_int_equal(shown_at(res, 0, 3), 35);              /* row total 37 */
    assert_int_equal(status_at(res, 1, 0), CL_SDC_SECONDARY);
    assert_int_equal(status_at(res, 1, 1), CL_SDC_SECONDARY);
    assert_int_equal(status_at(res, 1, 2), CL_SDC_SHOWN);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 2);
    cl_sdc_result_free(res);
}

/* A full 3x3 table with one small cell: the complements close into the
 * four-cell rectangle, not a longer chain. */
static void test_table_rectangle(void **state)
{
    (void)state;
    static const int64_t counts[] = {
        4,  37, 21,
        52, 68, 12,
        23, 41, 30,
    };
    cl_sdc_result *res = apply_table(counts, 3, 3, 1, 1, NULL);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 2), CL_SDC_SECONDARY); /* 21, smallest in row 0 */
    assert_int_equal(status_at(res, 2, 0), CL_SDC_SECONDARY); /* 23, smallest in column 0 */
    assert_int_equal(status_at(res, 2, 2), CL_SDC_SECONDARY); /* 30 closes the rectangle, */
    assert_int_equal(status_at(res, 1, 2), CL_SDC_SHOWN);     /* though 12 is smaller */
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 3);
    cl_sdc_result_free(res);
}

/* The worked example of docs/disclosure.md, cell for cell as published. */
static void test_docs_worked_example(void **state)
{
    (void)state;
    static const int64_t counts[] = {
        4,  37, 21,
        52, 68, 12,
        23, 41, 30,
    };
    static const char *const published[4][4] = {
        {"<10", "35", "[c]", "60"},
        {"50", "70", "10", "130"},
        {"[c]", "40", "[c]", "95"},
        {"80", "145", "65", "290"},
    };
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    cl_sdc_result *res = apply_table(counts, 3, 3, 1, 1, &o);
    for (size_t r = 0; r <= 3; r++)
        for (size_t c = 0; c <= 3; c++) {
            char text[40];
            assert_int_equal(cl_sdc_format_cell(cl_sdc_result_cell(res, r, c), &o, text,
                                                sizeof text, NULL),
                             CL_OK);
            if (strcmp(text, published[r][c]) != 0)
                fail_msg("(%zu,%zu): '%s', docs say '%s'", r, c, text, published[r][c]);
        }
    cl_sdc_result_free(res);
}

/* A zero blocks the rectangle, so complements chosen for columns land in
 * different rows, each of which then holds a single withheld cell: only a
 * second pass finds and fixes them. */
static void test_table_chain_needs_iteration(void **state)
{
    (void)state;
    static const int64_t counts[] = {
        3,  20, 30,
        11, 0,  15,
        90, 12, 16,
    };
    cl_sdc_result *res = apply_table(counts, 3, 3, 1, 1, NULL);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 1), CL_SDC_SECONDARY); /* row 0 */
    assert_int_equal(status_at(res, 1, 0), CL_SDC_SECONDARY); /* column 0 */
    assert_int_equal(status_at(res, 1, 1), CL_SDC_ZERO);      /* never a complement */
    assert_int_equal(status_at(res, 2, 1), CL_SDC_SECONDARY); /* column 1 */
    assert_int_equal(status_at(res, 1, 2), CL_SDC_SECONDARY); /* row 1, second pass */
    assert_int_equal(status_at(res, 2, 2), CL_SDC_SECONDARY); /* row 2, second pass */
    assert_int_equal(status_at(res, 0, 2), CL_SDC_SHOWN);
    assert_int_equal(status_at(res, 2, 0), CL_SDC_SHOWN);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 5);
    for (size_t r = 0; r <= 3; r++)
        assert_false(withheld(status_at(res, r, 3)));
    for (size_t c = 0; c <= 3; c++)
        assert_false(withheld(status_at(res, 3, c)));
    cl_sdc_result_free(res);
}

/* In a one-column table the row total equals the cell, so protecting a
 * small cell takes totals with it. */
static void test_table_totals_as_complements(void **state)
{
    (void)state;
    static const int64_t counts[] = {5, 20};
    cl_sdc_result *res = apply_table(counts, 2, 1, 1, 1, NULL);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 1), CL_SDC_PRIMARY);   /* its total, also 5 */
    assert_int_equal(status_at(res, 1, 0), CL_SDC_SECONDARY); /* column 0 */
    assert_int_equal(status_at(res, 1, 1), CL_SDC_SECONDARY); /* then row 1's total */
    assert_int_equal(shown_at(res, 2, 0), 25);
    assert_int_equal(shown_at(res, 2, 1), 25);
    cl_sdc_result_free(res);

    static const int64_t one[] = {5};
    res = apply_table(one, 1, 1, 1, 1, NULL);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_PRIMARY), 4);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 0);
    cl_sdc_result_free(res);
}

static void test_table_zeros_not_complements(void **state)
{
    (void)state;
    static const int64_t counts[] = {3, 0, 40};
    cl_sdc_result *res = apply_table(counts, 1, 3, 1, 0, NULL);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 1), CL_SDC_ZERO);
    assert_int_equal(status_at(res, 0, 2), CL_SDC_SECONDARY);
    assert_int_equal(shown_at(res, 0, 3), 45);  /* 43 */
    assert_null(cl_sdc_result_cell(res, 1, 0)); /* no column totals */
    assert_null(cl_sdc_result_cell(res, 1, 3));
    cl_sdc_result_free(res);

    /* a row whose only non-zero cell is small: its total is small too */
    static const int64_t lonely[] = {3, 0, 0};
    res = apply_table(lonely, 1, 3, 1, 0, NULL);
    assert_int_equal(status_at(res, 0, 3), CL_SDC_PRIMARY);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 0);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_ZERO), 2);
    cl_sdc_result_free(res);
}

static void test_table_without_totals_or_secondary(void **state)
{
    (void)state;
    static const int64_t counts[] = {3, 20, 30, 15, 40, 25};
    cl_sdc_result *res = apply_table(counts, 2, 3, 0, 0, NULL);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_PRIMARY), 1);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 0);
    assert_null(cl_sdc_result_cell(res, 0, 3));
    assert_null(cl_sdc_result_cell(res, 2, 0));
    assert_null(cl_sdc_result_cell(res, 2, 3));
    cl_sdc_result_free(res);

    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.secondary = 0;
    res = apply_table(counts, 2, 3, 1, 1, &o);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 0);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_PRIMARY), 1);
    cl_sdc_result_free(res);

    /* column totals only: columns are protected, rows are not constraints */
    res = apply_table(counts, 2, 3, 0, 1, NULL);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 1, 0), CL_SDC_SECONDARY);
    assert_int_equal(cl_sdc_result_count_status(res, CL_SDC_SECONDARY), 1);
    assert_null(cl_sdc_result_cell(res, 2, 3)); /* no grand total */
    cl_sdc_result_free(res);
}

static void test_table_zero_withheld_option(void **state)
{
    (void)state;
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.show_zero = 0;
    static const int64_t counts[] = {0, 20, 30, 15, 40, 25};
    cl_sdc_result *res = apply_table(counts, 2, 3, 1, 1, &o);
    assert_int_equal(status_at(res, 0, 0), CL_SDC_PRIMARY);
    assert_int_equal(status_at(res, 0, 1), CL_SDC_SECONDARY);
    assert_int_equal(status_at(res, 1, 0), CL_SDC_SECONDARY);
    cl_sdc_result_free(res);
}

static void test_table_invalid(void **state)
{
    (void)state;
    static int sentinel;
    cl_sdc_result *res = (cl_sdc_result *)&sentinel; /* must be reset to NULL */
    cl_error err;
    cl_error_clear(&err);
    static const int64_t counts[] = {1, 2, -3, 4};
    cl_sdc_table t = {2, 2, counts, 1, 1};
    assert_int_equal(cl_sdc_apply(&t, NULL, &res, &err), CL_EINVAL);
    assert_null(res);
    assert_non_null(strstr(err.message, "(1, 0)"));
    assert_int_equal(cl_sdc_apply(NULL, NULL, &res, NULL), CL_EINVAL);
    t.counts = NULL;
    assert_int_equal(cl_sdc_apply(&t, NULL, &res, NULL), CL_EINVAL);
    t.counts = counts;
    t.rows = 0;
    assert_int_equal(cl_sdc_apply(&t, NULL, &res, NULL), CL_EINVAL);
    t.rows = 2;
    t.cols = 0;
    assert_int_equal(cl_sdc_apply(&t, NULL, &res, NULL), CL_EINVAL);
    t.cols = 2;
    assert_int_equal(cl_sdc_apply(&t, NULL, NULL, NULL), CL_EINVAL);
    t.rows = SIZE_MAX;
    assert_int_equal(cl_sdc_apply(&t, NULL, &res, NULL), CL_ELIMIT);

    static const int64_t huge[] = {CL_SDC_MAX_COUNT, 1};
    cl_sdc_table h = {1, 2, huge, 1, 0};
    assert_int_equal(cl_sdc_apply(&h, NULL, &res, &err), CL_ELIMIT);
    assert_null(res);
    h.row_totals = 0;   /* totals are computed anyway, so still refused */
    assert_int_equal(cl_sdc_apply(&h, NULL, &res, NULL), CL_ELIMIT);

    cl_sdc_options o;
    cl_sdc_options_default(&o);
    o.threshold = -1;
    static const int64_t fine[] = {1};
    cl_sdc_table f = {1, 1, fine, 0, 0};
    assert_int_equal(cl_sdc_apply(&f, &o, &res, NULL), CL_EINVAL);

    cl_sdc_result_free(NULL);
    assert_null(cl_sdc_result_cell(NULL, 0, 0));
    assert_int_equal(cl_sdc_result_rows(NULL), 0);
    assert_int_equal(cl_sdc_result_count_status(NULL, CL_SDC_SHOWN), 0);
}

static void test_table_out_of_memory(void **state)
{
    (void)state;
    static const int64_t counts[] = {3, 20, 30, 15, 40, 25};
    cl_sdc_table t = {2, 3, counts, 1, 1};
    size_t before = cl_alloc_bytes_in_use();
    int failures = 0;
    for (long n = 1; n <= 10; n++) {
        cl_sdc_result *res = NULL;
        cl_alloc_fail_after(n);
        cl_status st = cl_sdc_apply(&t, NULL, &res, NULL);
        cl_alloc_fail_after(0);
        if (st == CL_ENOMEM) {
            failures++;
            assert_null(res);
        } else {
            assert_int_equal(st, CL_OK);
            cl_sdc_result_free(res);
        }
        assert_int_equal(cl_alloc_bytes_in_use(), before);
    }
    assert_int_equal(failures, 4);  /* result, values, grid, present */
}

/* ---- randomized tables ---- */

/* Fill `lines` with how many entries each published line withholds, and
 * check the two promises: no constraint line withholds exactly one entry,
 * and no shown value is a small count. */
static void check_random_table(const int64_t *counts, size_t rows, size_t cols, int rt,
                               int ct, const cl_sdc_options *opts)
{
    cl_sdc_result *res = apply_table(counts, rows, cols, rt, ct, opts);
    for (size_t r = 0; r <= rows; r++) {
        for (size_t c = 0; c <= cols; c++) {
            const cl_sdc_cell *cell = cl_sdc_result_cell(res, r, c);
            if (cell == NULL)
                continue;
            if (cell->status == CL_SDC_SHOWN &&
                (cell->value_shown < opts->threshold || cell->value_shown % 5 != 0))
                fail_msg("(%zu,%zu) shows %lld", r, c, (long long)cell->value_shown);
            if (cell->status == CL_SDC_ZERO)
                assert_int_equal(cell->value_shown, 0);
            if (withheld(cell->status))
                assert_int_equal(cell->value_shown, -1);
        }
    }
    /* rows: a constraint when the row's total is shown or withheld, i.e.
     * published */
    for (size_t r = 0; r <= rows; r++) {
        if (cl_sdc_result_cell(res, r, cols) == NULL)
            continue;
        size_t n = 0;
        for (size_t c = 0; c <= cols; c++)
            n += cl_sdc_result_cell(res, r, c) && withheld(status_at(res, r, c));
        if (n == 1)
            fail_msg("row %zu of a %zux%zu table withholds one entry", r, rows, cols);
    }
    for (size_t c = 0; c <= cols; c++) {
        if (cl_sdc_result_cell(res, rows, c) == NULL)
            continue;
        size_t n = 0;
        for (size_t r = 0; r <= rows; r++)
            n += cl_sdc_result_cell(res, r, c) && withheld(status_at(res, r, c));
        if (n == 1)
            fail_msg("column %zu of a %zux%zu table withholds one entry", c, rows, cols);
    }
    cl_sdc_result_free(res);
}

static void test_random_tables(void **state)
{
    (void)state;
    rng_state = UINT64_C(0x9E3779B97F4A7C15);
    cl_sdc_options o;
    cl_sdc_options_default(&o);
    int64_t counts[36];
    for (int t = 0; t < 1000; t++) {
        size_t rows = 1 + (size_t)rng_below(6), cols = 1 + (size_t)rng_below(6);
        for (size_t i = 0; i < rows * cols; i++)
            counts[i] = random_count();
        int kind = (int)rng_below(4);  /* mostly both totals */
        int rt = kind != 1, ct = kind != 2;
        o.show_zero = rng_below(5) != 0;
        check_random_table(counts, rows, cols, rt, ct, &o);
    }
}

/* The attack the rules stop: take a published total, subtract every other
 * entry of its line at its true (unrounded) value where it is shown, and see
 * whether the one remaining withheld entry falls out.  Done for every line
 * and every withheld entry, from the true values rather than from the
 * module's own bookkeeping. */
static void test_random_tables_no_subtraction_attack(void **state)
{
    (void)state;
    rng_state = UINT64_C(0xD1B54A32D192ED03);
    int64_t counts[16], grid[5 * 5];
    for (int t = 0; t < 2000; t++) {
        size_t rows = 1 + (size_t)rng_below(4), cols = 1 + (size_t)rng_below(4);
        size_t width = cols + 1;
        for (size_t i = 0; i < rows * cols; i++)
            counts[i] = random_count();
        memset(grid, 0, sizeof grid);
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) {
                int64_t v = counts[r * cols + c];
                grid[r * width + c] = v;
                grid[r * width + cols] += v;
                grid[rows * width + c] += v;
                grid[rows * width + cols] += v;
            }
        cl_sdc_result *res = apply_table(counts, rows, cols, 1, 1, NULL);
        /* each line: rows 0..rows and columns 0..cols, the last entry the total */
        for (int is_col = 0; is_col < 2; is_col++) {
            size_t lines = is_col ? cols + 1 : rows + 1;
            size_t length = is_col ? rows + 1 : cols + 1;
            for (size_t l = 0; l < lines; l++) {
                for (size_t k = 0; k < length; k++) {
                    size_t r = is_col ? k : l, c = is_col ? l : k;
                    if (!withheld(status_at(res, r, c)))
                        continue;
                    /* attack: total - every other shown cell, or the sum
                     * of the cells when the total itself is withheld */
                    int unknown_others = 0;
                    int self_is_total = k == length - 1;
                    int64_t guess = 0;
                    for (size_t m = 0; m < length; m++) {
                        if (m == k)
                            continue;
                        size_t rr = is_col ? m : l, cc = is_col ? l : m;
                        if (withheld(status_at(res, rr, cc))) {
                            unknown_others++;
                            continue;
                        }
                        int64_t v = grid[rr * width + cc];
                        if (m == length - 1 || self_is_total)
                            guess += v;
                        else
                            guess -= v;
                    }
                    if (unknown_others == 0 && guess == grid[r * width + c])
                        fail_msg("table %d: entry (%zu,%zu) = %lld recovered from its %s",
                                 t, r, c, (long long)guess, is_col ? "column" : "row");
                }
            }
        }
        cl_sdc_result_free(res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_count_0_to_30),
        cmocka_unit_test(test_count_statuses),
        cmocka_unit_test(test_zero_withheld_when_asked),
        cmocka_unit_test(test_other_thresholds),
        cmocka_unit_test(test_rounding_base_5),
        cmocka_unit_test(test_rounding_ties),
        cmocka_unit_test(test_invalid_counts_and_options),
        cmocka_unit_test(test_labels_and_buffers),
        cmocka_unit_test(test_rates_shown),
        cmocka_unit_test(test_rates_suppressed),
        cmocka_unit_test(test_rates_small_complement),
        cmocka_unit_test(test_rates_invalid),
        cmocka_unit_test(test_table_one_small_cell),
        cmocka_unit_test(test_table_two_small_in_a_row),
        cmocka_unit_test(test_table_rectangle),
        cmocka_unit_test(test_docs_worked_example),
        cmocka_unit_test(test_table_chain_needs_iteration),
        cmocka_unit_test(test_table_totals_as_complements),
        cmocka_unit_test(test_table_zeros_not_complements),
        cmocka_unit_test(test_table_without_totals_or_secondary),
        cmocka_unit_test(test_table_zero_withheld_option),
        cmocka_unit_test(test_table_invalid),
        cmocka_unit_test(test_table_out_of_memory),
        cmocka_unit_test(test_random_tables),
        cmocka_unit_test(test_random_tables_no_subtraction_attack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
