/* Unit tests: report statistics (normal quantile, incomplete gamma and
 * beta, Wilson and exact Poisson intervals, Kaplan-Meier, funnel limits and
 * classification, over-dispersion, Mantel-Haenszel rate and odds ratios).
 * Published worked examples are checked to the digits they were published
 * with; the exact funnel and Poisson limits are checked against brute-force
 * sums of probabilities; the Mantel-Haenszel variances against identities
 * (one stratum gives the simple variance; K equal strata divide it by K). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "childlink/stats.h"

static void assert_close(double actual, double expected, double tolerance)
{
    if (!(fabs(actual - expected) <= tolerance)) {
        fprintf(stderr, "expected %.17g, got %.17g (tolerance %g)\n", expected, actual,
                tolerance);
        fail();
    }
}

/* Published figures are rounded: the value must round to them. */
static void assert_rounds_to(double actual, double published, int decimals)
{
    assert_close(actual, published, 0.5 * pow(10.0, -decimals) + 1e-12);
}

/* ------------------------------------------------------ normal quantile */

static void test_normal_quantile_known_values(void **state)
{
    (void)state;
    /* Reference values of Phi^-1 (Wichura 1988, and standard tables). */
    assert_close(cl_stats_normal_quantile(0.975), 1.959963984540054, 1e-12);
    assert_close(cl_stats_normal_quantile(0.025), -1.959963984540054, 1e-12);
    assert_close(cl_stats_normal_quantile(0.999), 3.090232306167813, 1e-12);
    assert_close(cl_stats_normal_quantile(0.95), 1.644853626951472, 1e-12);
    assert_close(cl_stats_normal_quantile(0.9), 1.281551565544601, 1e-12);
    assert_close(cl_stats_normal_quantile(0.25), -0.6744897501960817, 1e-12);
    assert_close(cl_stats_normal_quantile(1e-10), -6.361340902404056, 1e-9);
    assert_close(cl_stats_normal_quantile(0.5), 0.0, 1e-15);
}

static void test_normal_quantile_round_trip_and_edges(void **state)
{
    (void)state;
    /* Through the central region, the switch point 0.02425 and deep tails. */
    const double ps[] = {1e-300, 1e-50, 1e-20, 1e-5, 0.001, 0.02425, 0.0243, 0.1,
                         0.3, 0.49, 0.51, 0.8, 0.97575, 0.99, 0.999999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double x = cl_stats_normal_quantile(ps[i]);
        double back = ps[i] < 0.5 ? cl_stats_normal_cdf(x) : 1.0 - cl_stats_normal_cdf(x);
        double target = ps[i] < 0.5 ? ps[i] : 1.0 - ps[i];
        assert_close(back / target, 1.0, 1e-12);
        if (ps[i] < 0.5)
            assert_close(cl_stats_normal_quantile(1.0 - ps[i]) + x, 0.0,
                         ps[i] < 1e-10 ? INFINITY : 1e-7);
    }
    assert_true(isinf(cl_stats_normal_quantile(0.0)) && cl_stats_normal_quantile(0.0) < 0);
    assert_true(isinf(cl_stats_normal_quantile(1.0)) && cl_stats_normal_quantile(1.0) > 0);
    assert_true(isnan(cl_stats_normal_quantile(-0.1)));
    assert_true(isnan(cl_stats_normal_quantile(1.5)));
    assert_true(isnan(cl_stats_normal_quantile(NAN)));
}

/* ------------------------------------------- incomplete gamma and beta */

static void test_gamma_p_identities(void **state)
{
    (void)state;
    const double xs[] = {0.01, 0.5, 1.0, 2.0, 5.0, 30.0};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        /* P(1, x) = 1 - e^-x and P(1/2, x) = erf(sqrt x). */
        assert_close(cl_stats_gamma_p(1.0, xs[i]), -expm1(-xs[i]), 1e-14);
        assert_close(cl_stats_gamma_p(0.5, xs[i]), erf(sqrt(xs[i])), 1e-14);
    }
    assert_close(cl_stats_gamma_p(3.0, 0.0), 0.0, 0.0);
    assert_close(cl_stats_gamma_p(3.0, INFINITY), 1.0, 0.0);
    assert_true(isnan(cl_stats_gamma_p(0.0, 1.0)));
    assert_true(isnan(cl_stats_gamma_p(1.0, -1.0)));
}

/* Binomial pmf for all r by the ratio recursion, in long double. */
static void binomial_pmf(uint64_t n, double p, long double *pmf)
{
    pmf[0] = powl(1.0L - p, (long double)n);
    for (uint64_t r = 1; r <= n; r++)
        pmf[r] = pmf[r - 1] * (long double)(n - r + 1) / (long double)r * p / (1.0L - p);
}

static void test_binomial_cdf_matches_brute_force(void **state)
{
    (void)state;
    static long double pmf[401];
    const uint64_t ns[] = {1, 7, 50, 400};
    const double ps[] = {0.02, 0.3, 0.5, 0.93};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            binomial_pmf(ns[i], ps[j], pmf);
            long double cumulative = 0.0L;
            for (uint64_t r = 0; r <= ns[i]; r++) {
                cumulative += pmf[r];
                assert_close(cl_stats_binomial_cdf((int64_t)r, ns[i], ps[j]),
                             (double)cumulative, 1e-12);
            }
        }
    }
    assert_close(cl_stats_binomial_cdf(-1, 10, 0.5), 0.0, 0.0);
    assert_close(cl_stats_binomial_cdf(10, 10, 0.5), 1.0, 0.0);
    assert_close(cl_stats_binomial_cdf(0, 10, 0.0), 1.0, 0.0);
    assert_close(cl_stats_binomial_cdf(9, 10, 1.0), 0.0, 0.0);
    assert_true(isnan(cl_stats_binomial_cdf(3, 10, 1.5)));
}

/* ----------------------------------------------------------- Wilson */

static void test_wilson_newcombe_examples(void **state)
{
    (void)state;
    /* Newcombe (1998) Stat Med 17:857, Table II, method 3 (score). */
    const struct { uint64_t r, n; double lower, upper; } cases[] = {
        {81, 263, 0.2553, 0.3662},
        {15, 148, 0.0624, 0.1605},
        {0, 20, 0.0000, 0.1611},
        {1, 29, 0.0061, 0.1718},
    };
    for (size_t i = 0; i < 4; i++) {
        cl_stats_interval ci;
        assert_int_equal(cl_stats_wilson(cases[i].r, cases[i].n, 0.95, &ci, NULL), CL_OK);
        assert_close(ci.estimate, (double)cases[i].r / (double)cases[i].n, 1e-15);
        assert_rounds_to(ci.lower, cases[i].lower, 4);
        assert_rounds_to(ci.upper, cases[i].upper, 4);
    }
}

static void test_wilson_edges_and_errors(void **state)
{
    (void)state;
    cl_stats_interval ci;
    /* All successes mirrors none: 29/29 is 1 - (0/29). */
    cl_stats_interval none;
    assert_int_equal(cl_stats_wilson(29, 29, 0.95, &ci, NULL), CL_OK);
    assert_int_equal(cl_stats_wilson(0, 29, 0.95, &none, NULL), CL_OK);
    assert_close(ci.upper, 1.0, 0.0);
    assert_close(none.lower, 0.0, 0.0);
    assert_close(ci.lower, 1.0 - none.upper, 1e-14);
    cl_error err;
    assert_int_equal(cl_stats_wilson(0, 0, 0.95, &ci, &err), CL_EINVAL);
    assert_int_equal(err.code, CL_EINVAL);
    assert_int_equal(cl_stats_wilson(5, 4, 0.95, &ci, &err), CL_EINVAL);
    assert_int_equal(cl_stats_wilson(1, 4, 1.0, &ci, &err), CL_EINVAL);
    assert_int_equal(cl_stats_wilson(1, 4, 0.0, &ci, &err), CL_EINVAL);
    assert_int_equal(cl_stats_wilson(1, 4, NAN, &ci, &err), CL_EINVAL);
    assert_int_equal(cl_stats_wilson(1, 4, 0.95, NULL, NULL), CL_EINVAL);
}

/* ------------------------------------------------------ exact Poisson */

static double poisson_cdf_brute(uint64_t k, double mean)
{
    long double term = expl(-(long double)mean), total = term;
    for (uint64_t j = 1; j <= k; j++) {
        term *= (long double)mean / (long double)j;
        total += term;
    }
    return (double)total;
}

static void test_poisson_exact_published_and_brute_force(void **state)
{
    (void)state;
    /* Garwood limits as tabled (e.g. Ulm 1990; Breslow & Day vol. II). */
    const struct { uint64_t k; double lower, upper; } cases[] = {
        {0, 0.0, 3.689}, {1, 0.0253, 5.572}, {5, 1.6235, 11.668}, {10, 4.7954, 18.390},
    };
    for (size_t i = 0; i < 4; i++) {
        cl_stats_interval ci;
        assert_int_equal(cl_stats_poisson_exact(cases[i].k, 0.95, &ci, NULL), CL_OK);
        assert_close(ci.estimate, (double)cases[i].k, 0.0);
        assert_rounds_to(ci.lower, cases[i].lower, cases[i].k == 1 || cases[i].k >= 5 ? 4 : 3);
        assert_rounds_to(ci.upper, cases[i].upper, 3);
    }
    /* The defining equations: P(X >= k | lower) = P(X <= k | upper) = alpha/2. */
    const uint64_t ks[] = {1, 2, 3, 17, 100, 1000};
    const double levels[] = {0.95, 0.998, 0.5};
    for (size_t i = 0; i < 6; i++) {
        for (size_t j = 0; j < 3; j++) {
            cl_stats_interval ci;
            assert_int_equal(cl_stats_poisson_exact(ks[i], levels[j], &ci, NULL), CL_OK);
            double half_alpha = (1.0 - levels[j]) / 2.0;
            assert_close(1.0 - poisson_cdf_brute(ks[i] - 1, ci.lower), half_alpha, 1e-10);
            assert_close(poisson_cdf_brute(ks[i], ci.upper), half_alpha, 1e-10);
        }
    }
    cl_stats_interval ci;
    assert_int_equal(cl_stats_poisson_exact(0, 0.95, &ci, NULL), CL_OK);
    assert_close(ci.upper, -log(0.025), 1e-12);
    assert_int_equal(cl_stats_poisson_exact(3, 1.2, &ci, NULL), CL_EINVAL);
    assert_int_equal(cl_stats_poisson_exact(3, 0.95, NULL, NULL), CL_EINVAL);
}

/* ---------------------------------------------------------- Kaplan-Meier */

/* Freireich et al. (1963) 6-MP arm, weeks in remission; 0 = censored. */
static const double six_mp_time[21] = {6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16,
                                       17, 19, 20, 22, 23, 25, 32, 32, 34, 35};
static const unsigned char six_mp_event[21] = {1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1,
                                               0, 0, 0, 1, 1, 0, 0, 0, 0, 0};

static void test_km_freireich_6mp(void **state)
{
    (void)state;
    /* As printed by R's survfit(conf.type = "log-log") and in Kleinbaum &
     * Klein, Survival Analysis, ch. 2. */
    const struct { double t; uint64_t n, d; double s, se, lo, hi; } published[] = {
        {6, 21, 3, 0.857, 0.0764, 0.620, 0.952},  {7, 17, 1, 0.807, 0.0869, 0.563, 0.923},
        {10, 15, 1, 0.753, 0.0963, 0.503, 0.889}, {13, 12, 1, 0.690, 0.1068, 0.432, 0.849},
        {16, 11, 1, 0.627, 0.1141, 0.368, 0.805}, {22, 7, 1, 0.538, 0.1282, 0.268, 0.747},
        {23, 6, 1, 0.448, 0.1346, 0.188, 0.680},
    };
    /* Shuffled input: the order must not matter. */
    double time[21];
    unsigned char event[21];
    for (size_t i = 0; i < 21; i++) {
        time[i] = six_mp_time[(i * 8) % 21];
        event[i] = six_mp_event[(i * 8) % 21];
    }
    cl_stats_km_step steps[21];
    cl_stats_km_summary sum;
    assert_int_equal(cl_stats_km(time, event, 21, 0.95, steps, 21, &sum, NULL), CL_OK);
    assert_int_equal(sum.subjects, 21);
    assert_int_equal(sum.events, 9);
    assert_int_equal(sum.steps, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_close(steps[i].time, published[i].t, 0.0);
        assert_int_equal(steps[i].at_risk, published[i].n);
        assert_int_equal(steps[i].events, published[i].d);
        assert_rounds_to(steps[i].survival, published[i].s, 3);
        assert_rounds_to(steps[i].std_error, published[i].se, 4);
        assert_rounds_to(steps[i].lower, published[i].lo, 3);
        assert_rounds_to(steps[i].upper, published[i].hi, 3);
    }
    /* Exact product at 23 weeks: 18/21 16/17 14/15 11/12 10/11 6/7 5/6. */
    assert_close(steps[6].survival,
                 18.0 / 21 * 16.0 / 17 * 14.0 / 15 * 11.0 / 12 * 10.0 / 11 * 6.0 / 7 * 5.0 / 6,
                 1e-15);
    assert_int_equal(steps[0].censored, 1);
    /* Median 23 weeks, 95% CI 13 to not reached (R: 23, 13, NA). */
    assert_true(sum.median_reached);
    assert_close(sum.median, 23.0, 0.0);
    assert_true(sum.median_lower_reached);
    assert_close(sum.median_lower, 13.0, 0.0);
    assert_false(sum.median_upper_reached);
    assert_true(isnan(sum.median_upper));
}

static void test_km_ties_events_before_censoring(void **state)
{
    (void)state;
    /* At t = 1 one event and one censoring: the censored child is still at
     * risk, so S(1) = 2/3, and only one child is at risk at t = 2. */
    const double time[] = {2, 1, 1};
    const unsigned char event[] = {1, 0, 1};
    cl_stats_km_step steps[3];
    cl_stats_km_summary sum;
    assert_int_equal(cl_stats_km(time, event, 3, 0.95, steps, 3, &sum, NULL), CL_OK);
    assert_int_equal(sum.steps, 2);
    assert_int_equal(steps[0].at_risk, 3);
    assert_int_equal(steps[0].censored, 1);
    assert_close(steps[0].survival, 2.0 / 3.0, 1e-15);
    assert_int_equal(steps[1].at_risk, 1);
    assert_close(steps[1].survival, 0.0, 0.0);
    /* S = 0: no Greenwood error or band, and the band counts as below 0.5. */
    assert_true(isnan(steps[1].std_error));
    assert_true(isnan(steps[1].lower) && isnan(steps[1].upper));
    assert_close(sum.median, 2.0, 0.0);
    assert_close(sum.median_upper, 2.0, 0.0);
}

static void test_km_median_exactly_half(void **state)
{
    (void)state;
    /* S falls to exactly 0.5 at t = 2 (3/4 * 2/3 in floating point). */
    const double time[] = {1, 2, 3, 4};
    const unsigned char event[] = {1, 1, 1, 1};
    cl_stats_km_step steps[4];
    cl_stats_km_summary sum;
    assert_int_equal(cl_stats_km(time, event, 4, 0.95, steps, 4, &sum, NULL), CL_OK);
    assert_true(sum.median_reached);
    assert_close(sum.median, 2.0, 0.0);
    /* Greenwood at t = 1: S^2 * 1/(4*3). */
    assert_close(steps[0].std_error, 0.75 * sqrt(1.0 / 12.0), 1e-15);
}

static void test_km_all_censored_and_empty(void **state)
{
    (void)state;
    const double time[] = {5, 3, 9};
    const unsigned char event[] = {0, 0, 0};
    cl_stats_km_step steps[3];
    cl_stats_km_summary sum;
    assert_int_equal(cl_stats_km(time, event, 3, 0.95, steps, 3, &sum, NULL), CL_OK);
    assert_int_equal(sum.steps, 0);
    assert_int_equal(sum.events, 0);
    assert_false(sum.median_reached);
    assert_true(isnan(sum.median));
    assert_false(sum.median_lower_reached);

    assert_int_equal(cl_stats_km(NULL, NULL, 0, 0.95, NULL, 0, &sum, NULL), CL_OK);
    assert_int_equal(sum.subjects, 0);
    assert_int_equal(sum.steps, 0);
    assert_false(sum.median_reached);
}

static void test_km_capacity_and_errors(void **state)
{
    (void)state;
    cl_stats_km_step steps[21];
    cl_stats_km_summary sum;
    cl_error err;
    /* Too small: says how many steps are needed, writes only what fits. */
    assert_int_equal(cl_stats_km(six_mp_time, six_mp_event, 21, 0.95, steps, 3, &sum, &err),
                     CL_ELIMIT);
    assert_int_equal(sum.steps, 7);
    assert_close(steps[2].time, 10.0, 0.0);
    assert_int_equal(cl_stats_km(six_mp_time, six_mp_event, 21, 0.95, NULL, 0, &sum, NULL),
                     CL_ELIMIT);
    assert_int_equal(sum.steps, 7);

    const double bad_time[] = {1, -2};
    const double nan_time[] = {1, NAN};
    const unsigned char ok_event[] = {1, 1};
    const unsigned char bad_event[] = {1, 2};
    assert_int_equal(cl_stats_km(bad_time, ok_event, 2, 0.95, steps, 2, &sum, &err), CL_EINVAL);
    assert_int_equal(cl_stats_km(nan_time, ok_event, 2, 0.95, steps, 2, &sum, &err), CL_EINVAL);
    assert_int_equal(cl_stats_km(six_mp_time, bad_event, 2, 0.95, steps, 2, &sum, &err),
                     CL_EINVAL);
    assert_int_equal(cl_stats_km(NULL, ok_event, 2, 0.95, steps, 2, &sum, &err), CL_EINVAL);
    assert_int_equal(cl_stats_km(six_mp_time, six_mp_event, 21, 1.5, steps, 21, &sum, &err),
                     CL_EINVAL);
    assert_int_equal(cl_stats_km(six_mp_time, six_mp_event, 21, 0.95, steps, 21, NULL, &err),
                     CL_EINVAL);

    /* Out of memory on the one allocation. */
    cl_alloc_fail_after(1);
    assert_int_equal(cl_stats_km(six_mp_time, six_mp_event, 21, 0.95, steps, 21, &sum, &err),
                     CL_ENOMEM);
    cl_alloc_fail_after(0);
    assert_int_equal(cl_alloc_bytes_in_use(), 0);
}

/* ------------------------------------------------------------ funnel plot */

/* Spiegelhalter's limit from a brute-force cumulative sum. */
static double brute_exact_limit(const long double *pmf, uint64_t n, double p)
{
    long double below = 0.0L, cumulative = 0.0L;
    uint64_t r = 0;
    for (;; r++) {
        cumulative = below + pmf[r];
        if (cumulative >= p || r == n)
            break;
        below = cumulative;
    }
    double alpha = (double)((cumulative - p) / (cumulative - below));
    double limit = ((double)r - alpha) / (double)n;
    return limit < 0.0 ? 0.0 : limit > 1.0 ? 1.0 : limit;
}

static void test_funnel_exact_limits_brute_force(void **state)
{
    (void)state;
    static long double pmf[1001];
    const uint64_t ns[] = {1, 5, 20, 137, 1000};
    const double p0s[] = {0.01, 0.12, 0.5, 0.87};
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < 4; j++) {
            binomial_pmf(ns[i], p0s[j], pmf);
            cl_stats_funnel_limits lim;
            assert_int_equal(cl_stats_funnel_limits_at(p0s[j], ns[i], 1.0, &lim, NULL), CL_OK);
            assert_int_equal(lim.denominator, ns[i]);
            assert_close(lim.exact.lower_998, brute_exact_limit(pmf, ns[i], 0.001), 1e-9);
            assert_close(lim.exact.lower_95, brute_exact_limit(pmf, ns[i], 0.025), 1e-9);
            assert_close(lim.exact.upper_95, brute_exact_limit(pmf, ns[i], 0.975), 1e-9);
            assert_close(lim.exact.upper_998, brute_exact_limit(pmf, ns[i], 0.999), 1e-9);
            assert_true(lim.exact.lower_998 <= lim.exact.lower_95);
            assert_true(lim.exact.upper_95 <= lim.exact.upper_998);
        }
    }
}

static void test_funnel_normal_limits_and_large_n(void **state)
{
    (void)state;
    cl_stats_funnel_limits lim;
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 100, 1.0, &lim, NULL), CL_OK);
    double se = sqrt(0.1 * 0.9 / 100.0);
    assert_close(lim.normal.lower_95, 0.1 - 1.959963984540054 * se, 1e-12);
    assert_close(lim.normal.upper_998, 0.1 + 3.090232306167813 * se, 1e-12);
    /* Clipped at 0 for small n. */
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 4, 1.0, &lim, NULL), CL_OK);
    assert_close(lim.normal.lower_95, 0.0, 0.0);
    assert_close(lim.exact.lower_95, 0.0, 0.0);
    /* At ten million the exact limits agree with the normal ones. */
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 10000000, 1.0, &lim, NULL), CL_OK);
    assert_close(lim.exact.lower_95, lim.normal.lower_95, 2e-7);
    assert_close(lim.exact.upper_998, lim.normal.upper_998, 2e-7);
    /* p0 at 0 or 1: no variation, every limit is the target. */
    assert_int_equal(cl_stats_funnel_limits_at(0.0, 50, 1.0, &lim, NULL), CL_OK);
    assert_close(lim.exact.upper_998, 0.0, 0.0);
    assert_close(lim.normal.upper_998, 0.0, 0.0);
    assert_int_equal(cl_stats_funnel_limits_at(1.0, 50, 1.0, &lim, NULL), CL_OK);
    assert_close(lim.exact.lower_998, 1.0, 0.0);

    cl_error err;
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 0, 1.0, &lim, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_limits_at(-0.1, 10, 1.0, &lim, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_limits_at(NAN, 10, 1.0, &lim, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 10, 0.0, &lim, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 10, INFINITY, &lim, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_limits_at(0.1, 10, 1.0, NULL, &err), CL_EINVAL);
}

static void test_funnel_target(void **state)
{
    (void)state;
    const uint64_t counts[] = {5, 10, 0};
    const uint64_t dens[] = {50, 100, 50};
    double p0 = -1;
    assert_int_equal(cl_stats_funnel_target(counts, dens, 3, &p0, NULL), CL_OK);
    assert_close(p0, 15.0 / 200.0, 1e-15);
    const uint64_t zero[] = {0, 0};
    cl_error err;
    assert_int_equal(cl_stats_funnel_target(zero, zero, 2, &p0, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_target(counts, dens, 0, &p0, &err), CL_EINVAL);
    const uint64_t over[] = {51};
    assert_int_equal(cl_stats_funnel_target(over, dens, 1, &p0, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_target(NULL, dens, 1, &p0, &err), CL_EINVAL);
}

static void test_funnel_classify(void **state)
{
    (void)state;
    cl_stats_funnel_class cls;
    /* p0 = 0.5, n = 100: normal 95% limits 0.402..0.598, 99.8% 0.345..0.655. */
    const struct { uint64_t count; cl_stats_funnel_class expected; } cases[] = {
        {50, CL_STATS_FUNNEL_WITHIN},   {59, CL_STATS_FUNNEL_WITHIN},
        {60, CL_STATS_FUNNEL_ABOVE_95}, {66, CL_STATS_FUNNEL_ABOVE_998},
        {40, CL_STATS_FUNNEL_BELOW_95}, {34, CL_STATS_FUNNEL_BELOW_998},
        {100, CL_STATS_FUNNEL_ABOVE_998}, {0, CL_STATS_FUNNEL_BELOW_998},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(cl_stats_funnel_classify(0.5, cases[i].count, 100, 1.0,
                                                  CL_STATS_FUNNEL_NORMAL, &cls, NULL),
                         CL_OK);
        assert_int_equal(cls, cases[i].expected);
    }
    /* Over-dispersion widens the limits: 60/100 is within with phi = 2. */
    assert_int_equal(cl_stats_funnel_classify(0.5, 60, 100, 2.0, CL_STATS_FUNNEL_NORMAL, &cls,
                                              NULL), CL_OK);
    assert_int_equal(cls, CL_STATS_FUNNEL_WITHIN);
    /* Exact method: brute-force interpolated limit decides. */
    static long double pmf[31];
    binomial_pmf(30, 0.2, pmf);
    double upper95 = brute_exact_limit(pmf, 30, 0.975);
    for (uint64_t count = 0; count <= 30; count++) {
        assert_int_equal(cl_stats_funnel_classify(0.2, count, 30, 1.0, CL_STATS_FUNNEL_EXACT,
                                                  &cls, NULL), CL_OK);
        bool above = cls == CL_STATS_FUNNEL_ABOVE_95 || cls == CL_STATS_FUNNEL_ABOVE_998;
        assert_int_equal(above, (double)count / 30.0 > upper95);
    }
    assert_string_equal(cl_stats_funnel_class_name(CL_STATS_FUNNEL_ABOVE_998), "above_99.8");
    assert_string_equal(cl_stats_funnel_class_name(CL_STATS_FUNNEL_WITHIN), "within");
    cl_error err;
    assert_int_equal(cl_stats_funnel_classify(0.5, 1, 0, 1.0, CL_STATS_FUNNEL_EXACT, &cls, &err),
                     CL_EINVAL);
    assert_int_equal(cl_stats_funnel_classify(0.5, 11, 10, 1.0, CL_STATS_FUNNEL_EXACT, &cls,
                                              &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_classify(0.5, 1, 10, 1.0, (cl_stats_funnel_method)7, &cls,
                                              &err), CL_EINVAL);
}

static void test_funnel_grid(void **state)
{
    (void)state;
    cl_stats_funnel_limits grid[50];
    size_t written = 0;
    assert_int_equal(cl_stats_funnel_grid(0.2, 10, 100000, 1.0, grid, 50, &written, NULL), CL_OK);
    assert_int_equal(written, 50);
    assert_int_equal(grid[0].denominator, 10);
    assert_int_equal(grid[49].denominator, 100000);
    for (size_t i = 1; i < written; i++) {
        assert_true(grid[i].denominator > grid[i - 1].denominator);
        /* The funnel narrows as n grows. */
        assert_true(grid[i].normal.upper_95 <= grid[i - 1].normal.upper_95);
    }
    /* Narrow range: every integer once. */
    assert_int_equal(cl_stats_funnel_grid(0.2, 5, 9, 1.0, grid, 50, &written, NULL), CL_OK);
    assert_int_equal(written, 5);
    assert_int_equal(grid[4].denominator, 9);
    /* Rounding collisions are dropped. */
    assert_int_equal(cl_stats_funnel_grid(0.2, 1, 30, 1.0, grid, 25, &written, NULL), CL_OK);
    assert_true(written <= 25 && written >= 2);
    assert_int_equal(grid[written - 1].denominator, 30);
    for (size_t i = 1; i < written; i++)
        assert_true(grid[i].denominator > grid[i - 1].denominator);
    assert_int_equal(cl_stats_funnel_grid(0.2, 7, 7, 1.0, grid, 1, &written, NULL), CL_OK);
    assert_int_equal(written, 1);
    cl_error err;
    assert_int_equal(cl_stats_funnel_grid(0.2, 0, 10, 1.0, grid, 5, &written, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_grid(0.2, 10, 5, 1.0, grid, 5, &written, &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_grid(0.2, 5, 100, 1.0, grid, 1, &written, &err), CL_EINVAL);
}

static void test_funnel_overdispersion(void **state)
{
    (void)state;
    /* p0 = 0.5, n = 100 each: z-scores 0, 1, -1, 2, -2. */
    const uint64_t counts[] = {50, 55, 45, 60, 40};
    const uint64_t dens[] = {100, 100, 100, 100, 100};
    double work[5], phi = 0;
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 5, 0.5, 0.0, work, &phi, NULL),
                     CL_OK);
    assert_close(phi, 10.0 / 5.0, 1e-12);
    /* Winsorising 20%: -2 and 2 are pulled in to -1 and 1. */
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 5, 0.5, 0.2, work, &phi, NULL),
                     CL_OK);
    assert_close(phi, 4.0 / 5.0, 1e-12);
    /* 10% of 5 units rounds down to none. */
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 5, 0.5, 0.1, work, &phi, NULL),
                     CL_OK);
    assert_close(phi, 2.0, 1e-12);
    cl_error err;
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 0, 0.5, 0.1, work, &phi, &err),
                     CL_EINVAL);
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 5, 0.0, 0.1, work, &phi, &err),
                     CL_EINVAL);
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 5, 0.5, 0.5, work, &phi, &err),
                     CL_EINVAL);
    const uint64_t zero_den[] = {0};
    assert_int_equal(cl_stats_funnel_overdispersion(counts, zero_den, 1, 0.5, 0.0, work, &phi,
                                                    &err), CL_EINVAL);
    assert_int_equal(cl_stats_funnel_overdispersion(counts, dens, 5, 0.5, 0.1, NULL, &phi, &err),
                     CL_EINVAL);
}

/* ------------------------------------------------------ Mantel-Haenszel */

/* Doll & Hill's British doctors: coronary deaths and person-years among
 * smokers and non-smokers by age band, as in Rothman, Epidemiology: An
 * Introduction (2002), ch. 10, and Rothman, Greenland & Lash, Modern
 * Epidemiology, 3rd ed., ch. 15. */
static const cl_stats_pt_stratum doll_hill[5] = {
    {32, 52407, 2, 18790},   {104, 43248, 12, 10673}, {206, 28612, 28, 5710},
    {186, 12663, 28, 2585},  {102, 5317, 31, 1462},
};

static void test_mh_rate_ratio_doll_hill(void **state)
{
    (void)state;
    cl_stats_rate_ratio_result res;
    cl_stats_ratio per[5];
    /* Published: IR_MH = 1.42 (90% CI 1.2 to 1.7); crude 1.7. */
    assert_int_equal(cl_stats_mh_rate_ratio(doll_hill, 5, 0.90, &res, per, NULL), CL_OK);
    assert_rounds_to(res.mantel_haenszel.estimate, 1.42, 2);
    assert_rounds_to(res.mantel_haenszel.lower, 1.2, 1);
    assert_rounds_to(res.mantel_haenszel.upper, 1.7, 1);
    assert_rounds_to(res.crude.estimate, 1.7, 1);
    assert_int_equal(res.strata_used, 5);
    assert_int_equal(res.strata_skipped, 0);
    /* Stratum-specific rate ratios, to one decimal: the effect shrinks with age. */
    const double published[] = {5.7, 2.1, 1.5, 1.4, 0.9};
    for (size_t i = 0; i < 5; i++)
        assert_rounds_to(per[i].estimate, published[i], 1);
    /* The interval is symmetric on the log scale around the estimate. */
    assert_close(log(res.mantel_haenszel.upper) + log(res.mantel_haenszel.lower),
                 2.0 * log(res.mantel_haenszel.estimate), 1e-12);
    assert_close(log(res.mantel_haenszel.upper / res.mantel_haenszel.estimate),
                 1.6448536269514722 * res.mantel_haenszel.log_se, 1e-12);
}

static void test_mh_rate_ratio_identities(void **state)
{
    (void)state;
    const cl_stats_pt_stratum one = {30, 1000, 20, 2000};
    cl_stats_rate_ratio_result res;
    assert_int_equal(cl_stats_mh_rate_ratio(&one, 1, 0.95, &res, NULL, NULL), CL_OK);
    /* One stratum: MH = crude = (30/1000)/(20/2000) = 3, var = 1/30 + 1/20. */
    assert_close(res.mantel_haenszel.estimate, 3.0, 1e-12);
    assert_close(res.crude.estimate, 3.0, 1e-12);
    assert_close(res.mantel_haenszel.log_se, sqrt(1.0 / 30 + 1.0 / 20), 1e-12);
    assert_close(res.mantel_haenszel.log_se, res.crude.log_se, 1e-12);
    /* Four copies: same ratio, variance divided by four. */
    const cl_stats_pt_stratum four[4] = {one, one, one, one};
    assert_int_equal(cl_stats_mh_rate_ratio(four, 4, 0.95, &res, NULL, NULL), CL_OK);
    assert_close(res.mantel_haenszel.estimate, 3.0, 1e-12);
    assert_close(res.mantel_haenszel.log_se, sqrt((1.0 / 30 + 1.0 / 20) / 4), 1e-12);
}

static void test_mh_rate_ratio_edges(void **state)
{
    (void)state;
    /* A stratum with no unexposed time is skipped, but still in the crude. */
    const cl_stats_pt_stratum strata[3] = {
        {30, 1000, 20, 2000}, {5, 100, 0, 0}, {0, 0, 0, 0},
    };
    cl_stats_rate_ratio_result res;
    cl_stats_ratio per[3];
    assert_int_equal(cl_stats_mh_rate_ratio(strata, 3, 0.95, &res, per, NULL), CL_OK);
    assert_int_equal(res.strata_used, 1);
    assert_int_equal(res.strata_skipped, 2);
    assert_close(res.mantel_haenszel.estimate, 3.0, 1e-12);
    assert_close(res.crude.estimate, (35.0 / 1100) / (20.0 / 2000), 1e-12);
    assert_true(isnan(per[1].estimate) && isnan(per[2].estimate));
    /* No exposed events: ratio 0 with no interval; no events at all: NaN. */
    const cl_stats_pt_stratum none_exposed = {0, 1000, 20, 2000};
    assert_int_equal(cl_stats_mh_rate_ratio(&none_exposed, 1, 0.95, &res, NULL, NULL), CL_OK);
    assert_close(res.mantel_haenszel.estimate, 0.0, 0.0);
    assert_true(isnan(res.mantel_haenszel.lower) && isnan(res.mantel_haenszel.log_se));
    const cl_stats_pt_stratum none_unexposed = {5, 1000, 0, 2000};
    assert_int_equal(cl_stats_mh_rate_ratio(&none_unexposed, 1, 0.95, &res, NULL, NULL), CL_OK);
    assert_true(isinf(res.mantel_haenszel.estimate));
    const cl_stats_pt_stratum no_events = {0, 1000, 0, 2000};
    assert_int_equal(cl_stats_mh_rate_ratio(&no_events, 1, 0.95, &res, NULL, NULL), CL_OK);
    assert_true(isnan(res.mantel_haenszel.estimate));
    /* No strata at all: nothing to estimate, not an error. */
    assert_int_equal(cl_stats_mh_rate_ratio(NULL, 0, 0.95, &res, NULL, NULL), CL_OK);
    assert_true(isnan(res.mantel_haenszel.estimate) && isnan(res.crude.estimate));
    cl_error err;
    const cl_stats_pt_stratum negative = {-1, 10, 1, 10};
    assert_int_equal(cl_stats_mh_rate_ratio(&negative, 1, 0.95, &res, NULL, &err), CL_EINVAL);
    const cl_stats_pt_stratum infinite = {1, INFINITY, 1, 10};
    assert_int_equal(cl_stats_mh_rate_ratio(&infinite, 1, 0.95, &res, NULL, &err), CL_EINVAL);
    assert_int_equal(cl_stats_mh_rate_ratio(NULL, 1, 0.95, &res, NULL, &err), CL_EINVAL);
    assert_int_equal(cl_stats_mh_rate_ratio(doll_hill, 1, 0.95, NULL, NULL, &err),
                     CL_EINVAL);
}

static void test_mh_odds_ratio(void **state)
{
    (void)state;
    /* UGDP tolbutamide trial by age (Rothman, Greenland & Lash, ch. 15):
     * deaths / survivors on tolbutamide and placebo, ages <55 and 55+. */
    const cl_stats_2x2 ugdp[2] = {{8, 98, 5, 115}, {22, 76, 16, 69}};
    cl_stats_odds_ratio_result res;
    cl_stats_ratio per[3];
    assert_int_equal(cl_stats_mh_odds_ratio(ugdp, 2, 0.95, &res, per, NULL), CL_OK);
    double r = 8.0 * 115 / 226 + 22.0 * 69 / 183, s = 98.0 * 5 / 226 + 76.0 * 16 / 183;
    assert_close(res.mantel_haenszel.estimate, r / s, 1e-12);
    assert_rounds_to(res.mantel_haenszel.estimate, 1.40, 2);
    assert_close(per[0].estimate, 8.0 * 115 / (98.0 * 5), 1e-12);
    assert_close(res.crude.estimate, (30.0 * 184) / (174.0 * 21), 1e-12);
    assert_int_equal(res.strata_used, 2);

    /* One table: RBG reduces to Woolf's 1/a + 1/b + 1/c + 1/d. */
    const cl_stats_2x2 one = {10, 20, 5, 40};
    assert_int_equal(cl_stats_mh_odds_ratio(&one, 1, 0.95, &res, NULL, NULL), CL_OK);
    assert_close(res.mantel_haenszel.estimate, 4.0, 1e-12);
    double woolf = 1.0 / 10 + 1.0 / 20 + 1.0 / 5 + 1.0 / 40;
    assert_close(res.mantel_haenszel.log_se, sqrt(woolf), 1e-12);
    assert_close(res.mantel_haenszel.lower, 4.0 * exp(-1.959963984540054 * sqrt(woolf)), 1e-9);
    /* Three copies: variance divided by three. */
    const cl_stats_2x2 three[3] = {one, one, one};
    assert_int_equal(cl_stats_mh_odds_ratio(three, 3, 0.95, &res, NULL, NULL), CL_OK);
    assert_close(res.mantel_haenszel.estimate, 4.0, 1e-12);
    assert_close(res.mantel_haenszel.log_se, sqrt(woolf / 3), 1e-12);

    /* Empty and single-subject strata are skipped; a zero cell gives 0 or
     * infinity with no interval. */
    const cl_stats_2x2 mixed[3] = {{10, 20, 5, 40}, {0, 0, 0, 0}, {1, 0, 0, 0}};
    assert_int_equal(cl_stats_mh_odds_ratio(mixed, 3, 0.95, &res, per, NULL), CL_OK);
    assert_int_equal(res.strata_used, 1);
    assert_int_equal(res.strata_skipped, 2);
    assert_close(res.mantel_haenszel.estimate, 4.0, 1e-12);
    const cl_stats_2x2 zero_cell = {0, 20, 5, 40};
    assert_int_equal(cl_stats_mh_odds_ratio(&zero_cell, 1, 0.95, &res, per, NULL), CL_OK);
    assert_close(res.mantel_haenszel.estimate, 0.0, 0.0);
    assert_true(isnan(res.mantel_haenszel.upper));
    assert_true(isnan(per[0].log_se));
    cl_error err;
    const cl_stats_2x2 bad = {1, NAN, 1, 1};
    assert_int_equal(cl_stats_mh_odds_ratio(&bad, 1, 0.95, &res, NULL, &err), CL_EINVAL);
    assert_int_equal(cl_stats_mh_odds_ratio(&one, 1, -0.5, &res, NULL, &err), CL_EINVAL);
    assert_int_equal(cl_stats_mh_odds_ratio(NULL, 2, 0.95, &res, NULL, &err), CL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_quantile_known_values),
        cmocka_unit_test(test_normal_quantile_round_trip_and_edges),
        cmocka_unit_test(test_gamma_p_identities),
        cmocka_unit_test(test_binomial_cdf_matches_brute_force),
        cmocka_unit_test(test_wilson_newcombe_examples),
        cmocka_unit_test(test_wilson_edges_and_errors),
        cmocka_unit_test(test_poisson_exact_published_and_brute_force),
        cmocka_unit_test(test_km_freireich_6mp),
        cmocka_unit_test(test_km_ties_events_before_censoring),
        cmocka_unit_test(test_km_median_exactly_half),
        cmocka_unit_test(test_km_all_censored_and_empty),
        cmocka_unit_test(test_km_capacity_and_errors),
        cmocka_unit_test(test_funnel_exact_limits_brute_force),
        cmocka_unit_test(test_funnel_normal_limits_and_large_n),
        cmocka_unit_test(test_funnel_target),
        cmocka_unit_test(test_funnel_classify),
        cmocka_unit_test(test_funnel_grid),
        cmocka_unit_test(test_funnel_overdispersion),
        cmocka_unit_test(test_mh_rate_ratio_doll_hill),
        cmocka_unit_test(test_mh_rate_ratio_identities),
        cmocka_unit_test(test_mh_rate_ratio_edges),
        cmocka_unit_test(test_mh_odds_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
