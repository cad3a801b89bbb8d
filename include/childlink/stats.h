/*
 * stats.h - the statistics behind `childlink report`: time to event
 * (Kaplan-Meier), area variation (Spiegelhalter funnel plots), adjusted
 * associations (Mantel-Haenszel rate and odds ratios) and the small
 * intervals every table needs (Wilson, exact Poisson, normal quantile).
 *
 * Pure computation: no I/O, no global state, results written into structs
 * and arrays the caller owns.  Only cl_stats_km allocates (one index array
 * for sorting, freed before it returns); everything else works in place or
 * in caller buffers, so nothing allocates inside a loop.  Every method, its
 * formula, conventions (ties, skipped strata, "not reached") and references
 * are in docs/statistics.md.
 *
 * Conventions shared by all functions:
 *   - `confidence` is the two-sided level, strictly between 0 and 1 (0.95
 *     for a 95% interval); anything else is CL_EINVAL.
 *   - Inputs must be finite and non-negative where they are counts or
 *     times at risk; a NaN or negative count is CL_EINVAL.
 *   - A quantity that does not exist for the data (a ratio with a zero
 *     denominator, a confidence limit of S(t) = 0) is NaN or +infinity as
 *     documented at the field, never an error.
 *   - `err` may be NULL.
 */
#ifndef CHILDLINK_STATS_H
#define CHILDLINK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "childlink/base.h"

/* ---------------------------------------------------------------- basics */

/* The standard normal quantile Phi^-1(p): Acklam's rational approximation
 * refined by one Halley step on erfc, accurate to about 1e-15 relative.
 * Returns -INFINITY at p = 0, +INFINITY at p = 1, NaN outside [0, 1] or for
 * NaN. */
CL_API double cl_stats_normal_quantile(double p);

/* The standard normal distribution function Phi(x), via erfc so that the
 * lower tail keeps full relative precision.  NaN in, NaN out. */
CL_API double cl_stats_normal_cdf(double x);

/* The regularised lower incomplete gamma function P(shape, x), shape > 0,
 * x >= 0 (series below shape + 1, continued fraction above).  Returns NaN
 * for arguments out of range. */
CL_API double cl_stats_gamma_p(double shape, double x);

/* The binomial distribution function P(R <= r) for R ~ Binomial(n, prob),
 * through the regularised incomplete beta function: O(1) in n.  Returns 0
 * for r < 0, 1 for r >= n, NaN when prob is outside [0, 1]. */
CL_API double cl_stats_binomial_cdf(int64_t r, uint64_t n, double prob);

/* An estimate with a two-sided confidence interval. */
typedef struct cl_stats_interval {
    double estimate;
    double lower;
    double upper;
} cl_stats_interval;

/* Wilson score interval for a proportion: `successes` out of `trials`.
 * Fills `out` (estimate = successes / trials).  Returns CL_OK; CL_EINVAL
 * when trials is 0, successes > trials, confidence is out of range or out
 * is NULL. */
CL_API cl_status cl_stats_wilson(uint64_t successes, uint64_t trials, double confidence,
                                 cl_stats_interval *out, cl_error *err);

/* Exact (Garwood) confidence interval for the mean of a Poisson count:
 * lower = chi2(alpha/2; 2k) / 2 and upper = chi2(1 - alpha/2; 2k + 2) / 2,
 * found by bisection on the incomplete gamma function.  lower is 0 when
 * count is 0.  Fills `out` (estimate = count).  Returns CL_OK; CL_EINVAL for
 * a confidence out of range or a NULL out. */
CL_API cl_status cl_stats_poisson_exact(uint64_t count, double confidence,
                                        cl_stats_interval *out, cl_error *err);

/* ----------------------------------------------------------- Kaplan-Meier */

/* One step of the survival curve, at a distinct time with at least one
 * event. */
typedef struct cl_stats_km_step {
    double time;
    uint64_t at_risk;     /* subjects with time >= this time */
    uint64_t events;      /* events at exactly this time */
    uint64_t censored;    /* censorings at this time (counted at risk here) */
    double survival;      /* S(t), product of (1 - events / at_risk) so far */
    double std_error;     /* Greenwood SE of S(t); NaN when S(t) = 0 */
    double lower;         /* log(-log) interval for S(t); NaN when S(t) = 0 */
    double upper;
} cl_stats_km_step;

/* The whole estimate: counts, and the median survival time with its
 * interval found by inverting the pointwise band (Brookmeyer-Crowley
 * style, as R's survfit does). */
typedef struct cl_stats_km_summary {
    uint64_t subjects;
    uint64_t events;
    size_t steps;            /* distinct event times written */
    bool median_reached;     /* false: S(t) never fell to 0.5 or below */
    double median;           /* first step time with S(t) <= 0.5; NaN if not reached */
    bool median_lower_reached;
    double median_lower;     /* first step time with lower <= 0.5; NaN if none */
    bool median_upper_reached;
    double median_upper;     /* first step time with upper <= 0.5; NaN if none */
} cl_stats_km_summary;

/* Kaplan-Meier estimate of survival from `n` subjects: time[i] >= 0 (for
 * example age in days at first SEN provision, or at last observation) and
 * event[i] = 1 for an event at that time, 0 for censoring there.  At a
 * tied time events are taken to happen before censorings, so subjects
 * censored at t are at risk at t.
 *   steps / capacity: caller's array for the step function, one entry per
 *     distinct event time, in increasing time; `n` entries always suffice.
 *     May be NULL when capacity is 0 (to learn the count).
 *   confidence: level of the pointwise interval and the median's interval.
 *   summary: filled on success, and with `steps` = the number needed when
 *     the capacity is too small.
 * Allocates one index array of n entries with cl_malloc and frees it
 * before returning.  n = 0 is allowed (no steps; median not reached).
 * Returns CL_OK; CL_EINVAL for a NULL array with n > 0, a negative or
 * non-finite time, an event other than 0 or 1, or a bad confidence;
 * CL_ELIMIT when capacity is smaller than the number of steps; CL_ENOMEM. */
CL_API cl_status cl_stats_km(const double *time, const unsigned char *event, size_t n,
                             double confidence, cl_stats_km_step *steps, size_t capacity,
                             cl_stats_km_summary *summary, cl_error *err) CL_MUST_CHECK;

/* ------------------------------------------------------------ funnel plot */

/* Control limits, as proportions, at one denominator. */
typedef struct cl_stats_funnel_band {
    double lower_95;
    double upper_95;
    double lower_998;
    double upper_998;
} cl_stats_funnel_band;

typedef struct cl_stats_funnel_limits {
    uint64_t denominator;
    cl_stats_funnel_band normal;  /* p0 -/+ z sqrt(phi p0 (1 - p0) / n), clipped to [0, 1] */
    cl_stats_funnel_band exact;   /* interpolated binomial quantiles (phi not applied) */
} cl_stats_funnel_limits;

/* Which method a classification uses. */
typedef enum cl_stats_funnel_method {
    CL_STATS_FUNNEL_EXACT = 0,
    CL_STATS_FUNNEL_NORMAL = 1
} cl_stats_funnel_method;

typedef enum cl_stats_funnel_class {
    CL_STATS_FUNNEL_WITHIN = 0,
    CL_STATS_FUNNEL_ABOVE_95 = 1,   /* above the 95% limit, not the 99.8% one */
    CL_STATS_FUNNEL_ABOVE_998 = 2,
    CL_STATS_FUNNEL_BELOW_95 = 3,
    CL_STATS_FUNNEL_BELOW_998 = 4
} cl_stats_funnel_class;

/* A short name for a class: "within", "above_95", "above_99.8", ... */
CL_API const char *cl_stats_funnel_class_name(cl_stats_funnel_class cls);

/* The target p0 = sum(counts) / sum(denominators) over `n_units` units.
 * Returns CL_OK; CL_EINVAL when a count exceeds its denominator, the total
 * denominator is 0, or an array is NULL with n_units > 0. */
CL_API cl_status cl_stats_funnel_target(const uint64_t *counts, const uint64_t *denominators,
                                        size_t n_units, double *p0, cl_error *err);

/* Control limits around p0 at denominator n.  `phi` is the multiplicative
 * over-dispersion factor applied to the normal limits (1 for none; see
 * cl_stats_funnel_overdispersion).  Returns CL_OK; CL_EINVAL when n is 0,
 * p0 is outside [0, 1], phi is not finite and > 0, or out is NULL. */
CL_API cl_status cl_stats_funnel_limits_at(double p0, uint64_t n, double phi,
                                           cl_stats_funnel_limits *out, cl_error *err);

/* Limits at up to `n_points` denominators from n_min to n_max for drawing
 * the funnel: geometrically spaced and rounded, duplicates dropped, both
 * ends included (every integer when the range is narrower than n_points).
 * `out` has room for n_points; *written receives the number filled.
 * Returns CL_OK; CL_EINVAL when n_min is 0, n_min > n_max, n_points < 2
 * (unless n_min = n_max), or as cl_stats_funnel_limits_at. */
CL_API cl_status cl_stats_funnel_grid(double p0, uint64_t n_min, uint64_t n_max,
                                      double phi, cl_stats_funnel_limits *out,
                                      size_t n_points, size_t *written, cl_error *err);

/* Classify a unit with `count` out of `n` against the limits at n: the
 * observed proportion strictly beyond a limit is outside it.  Returns
 * CL_OK; CL_EINVAL when n is 0, count > n, or as cl_stats_funnel_limits_at. */
CL_API cl_status cl_stats_funnel_classify(double p0, uint64_t count, uint64_t n, double phi,
                                          cl_stats_funnel_method method,
                                          cl_stats_funnel_class *cls, cl_error *err);

/* Spiegelhalter's multiplicative over-dispersion factor: the mean squared
 * z-score z_i = (y_i - p0) / sqrt(p0 (1 - p0) / n_i) after Winsorising the
 * lowest and highest `winsor_fraction` of z-scores (0.1 in the paper; 0 for
 * none) to the nearest remaining value.  `workspace` is the caller's array
 * of n_units doubles.  *phi is reported as computed; the caller decides
 * whether to use it (commonly only when phi > 1).  Returns CL_OK; CL_EINVAL
 * for n_units 0, a denominator 0, count > n, p0 not strictly inside (0, 1),
 * winsor_fraction outside [0, 0.5), or NULL arrays. */
CL_API cl_status cl_stats_funnel_overdispersion(const uint64_t *counts,
                                                const uint64_t *denominators, size_t n_units,
                                                double p0, double winsor_fraction,
                                                double *workspace, double *phi,
                                                cl_error *err);

/* ------------------------------------------------------- Mantel-Haenszel */

/* A ratio estimate, its 95% (or chosen) interval on the log scale, and the
 * standard error of its log.  estimate is +INFINITY when only the
 * denominator is zero, 0 when only the numerator is, NaN when both; the
 * interval and log_se are NaN unless the estimate is finite and positive. */
typedef struct cl_stats_ratio {
    double estimate;
    double lower;
    double upper;
    double log_se;
} cl_stats_ratio;

/* One stratum of person-time data: events and time at risk (for example
 * absence sessions and sessions possible) in the exposed and unexposed. */
typedef struct cl_stats_pt_stratum {
    double exposed_events;
    double exposed_time;
    double unexposed_events;
    double unexposed_time;
} cl_stats_pt_stratum;

typedef struct cl_stats_rate_ratio_result {
    cl_stats_ratio mantel_haenszel;  /* Greenland-Robins (1985) variance */
    cl_stats_ratio crude;            /* pooled over strata; var = 1/A + 1/B */
    size_t strata_used;              /* strata with time in both groups */
    size_t strata_skipped;           /* strata with zero time in a group */
} cl_stats_rate_ratio_result;

/* Mantel-Haenszel rate ratio over `n_strata` strata:
 * RR = sum(a T0 / T) / sum(b T1 / T).  Strata with zero time in either
 * group are skipped (they carry no information on the ratio) and counted;
 * the crude ratio still uses all strata.  `per_stratum` (NULL or n_strata
 * entries) receives each stratum's own ratio with a 1/a + 1/b interval.
 * Returns CL_OK; CL_EINVAL for a NULL array with n_strata > 0, a negative
 * or non-finite value, or a bad confidence. */
CL_API cl_status cl_stats_mh_rate_ratio(const cl_stats_pt_stratum *strata, size_t n_strata,
                                        double confidence, cl_stats_rate_ratio_result *out,
                                        cl_stats_ratio *per_stratum, cl_error *err);

/* One 2x2 table: cases and non-cases among the exposed and unexposed. */
typedef struct cl_stats_2x2 {
    double exposed_cases;       /* a */
    double exposed_noncases;    /* b */
    double unexposed_cases;     /* c */
    double unexposed_noncases;  /* d */
} cl_stats_2x2;

typedef struct cl_stats_odds_ratio_result {
    cl_stats_ratio mantel_haenszel;  /* Robins-Breslow-Greenland variance */
    cl_stats_ratio crude;            /* collapsed table; Woolf variance */
    size_t strata_used;              /* strata with at least two subjects */
    size_t strata_skipped;           /* empty or single-subject strata */
} cl_stats_odds_ratio_result;

/* Mantel-Haenszel odds ratio OR = sum(a d / n) / sum(b c / n) over
 * `n_strata` tables.  Strata with fewer than two subjects are skipped.
 * `per_stratum` (NULL or n_strata entries) receives each table's ad/bc with
 * a Woolf interval.  Returns CL_OK; CL_EINVAL as cl_stats_mh_rate_ratio. */
CL_API cl_status cl_stats_mh_odds_ratio(const cl_stats_2x2 *strata, size_t n_strata,
                                        double confidence, cl_stats_odds_ratio_result *out,
                                        cl_stats_ratio *per_stratum, cl_error *err);

#endif
