/*
 * stats.c - Kaplan-Meier, funnel plots, Mantel-Haenszel ratios and the
 * small intervals used by the report.
 *
 * Design: every routine is a closed-form or a short iteration over the
 * caller's arrays, so the numerics are the only subtle part:
 *   - The normal quantile starts from Acklam's rational approximation
 *     (relative error ~1e-9) and takes one Halley step against erfc, which
 *     squares the error away; erfc rather than erf keeps the lower tail
 *     accurate far out (p = 1e-300 still works).
 *   - The binomial distribution function goes through the regularised
 *     incomplete beta function (a Lentz continued fraction), so an exact
 *     funnel limit at n = 10 million costs a few thousand operations rather
 *     than a sum over 10 million terms.  Quantiles are found by bisection on
 *     the integer count, which is monotone and needs no tuning.
 *   - The exact Poisson interval bisects on the incomplete gamma function
 *     rather than inverting it analytically: slower by a constant, but it
 *     cannot fail to converge.
 * lgamma is used for the log normalising constants; glibc's lgamma is
 * re-entrant apart from the `signgam` global, whose value we never read.
 * See docs/statistics.md for the formulas and conventions.
 */
#include "childlink/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define CF_MAX_ITERATIONS 100000
#define CF_EPSILON 1e-15
#define CF_TINY 1e-300
/* S(t) <= 0.5 is judged with this slack, so that a product of fractions
 * that is 0.5 in exact arithmetic (2/3 * 3/4) counts as reaching it. */
#define MEDIAN_SLACK 1e-12
#define SQRT_2PI 2.50662827463100050242

static cl_status check_confidence(double confidence, cl_error *err)
{
    if (!(confidence > 0.0 && confidence < 1.0))
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "confidence level must be strictly between 0 and 1");
    return CL_OK;
}

static double z_for(double confidence)
{
    return cl_stats_normal_quantile(0.5 + confidence / 2.0);
}

/* ------------------------------------------------------ normal quantile */

double cl_stats_normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* Acklam's coefficients (a published algorithm, restated here). */
static const double acklam_a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
static const double acklam_b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
static const double acklam_c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00, 2.938163982698783e+00};
static const double acklam_d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};

/* Lower-tail approximation for 0 < p <= 0.5. */
static double acklam_lower(double p)
{
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        return (((((acklam_c[0] * q + acklam_c[1]) * q + acklam_c[2]) * q + acklam_c[3]) * q +
                 acklam_c[4]) * q + acklam_c[5]) /
               ((((acklam_d[0] * q + acklam_d[1]) * q + acklam_d[2]) * q + acklam_d[3]) * q + 1.0);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((acklam_a[0] * r + acklam_a[1]) * r + acklam_a[2]) * r + acklam_a[3]) * r +
             acklam_a[4]) * r + acklam_a[5]) * q /
           (((((acklam_b[0] * r + acklam_b[1]) * r + acklam_b[2]) * r + acklam_b[3]) * r +
             acklam_b[4]) * r + 1.0);
}

double cl_stats_normal_quantile(double p)
{
    if (isnan(p) || p < 0.0 || p > 1.0)
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;
    /* Work in the lower tail, where p itself carries full precision. */
    bool upper = p > 0.5;
    double tail = upper ? 1.0 - p : p;
    double x = acklam_lower(tail);
    /* One Halley step on f(x) = Phi(x) - tail. */
    double e = 0.5 * erfc(-x / sqrt(2.0)) - tail;
    double u = e * SQRT_2PI * exp(x * x / 2.0);
    x = x - u / (1.0 + x * u / 2.0);
    return upper ? -x : x;
}

/* ---------------------------------------------------- incomplete gamma */

double cl_stats_gamma_p(double shape, double x)
{
    if (!(shape > 0.0) || !(x >= 0.0) || isinf(shape))
        return NAN;
    if (x == 0.0)
        return 0.0;
    if (isinf(x))
        return 1.0;
    double log_prefix = -x + shape * log(x) - lgamma(shape);
    if (x < shape + 1.0) {
        /* Series: converges fast below the mode. */
        double term = 1.0 / shape, sum = term, a = shape;
        for (int i = 0; i < CF_MAX_ITERATIONS; i++) {
            a += 1.0;
            term *= x / a;
            sum += term;
            if (fabs(term) < fabs(sum) * CF_EPSILON)
                break;
        }
        double result = sum * exp(log_prefix);
        return result > 1.0 ? 1.0 : result;
    }
    /* Continued fraction for Q = 1 - P (modified Lentz). */
    double b = x + 1.0 - shape, c = 1.0 / CF_TINY, d = 1.0 / b, h = d;
    for (int i = 1; i < CF_MAX_ITERATIONS; i++) {
        double an = -i * (i - shape);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < CF_TINY)
            d = CF_TINY;
        c = b + an / c;
        if (fabs(c) < CF_TINY)
            c = CF_TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < CF_EPSILON)
            break;
    }
    double q = exp(log_prefix) * h;
    return q > 1.0 ? 0.0 : 1.0 - q;
}

/* ----------------------------------------------------- incomplete beta */

/* Continued fraction for I_x(a, b), valid for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < CF_TINY)
        d = CF_TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < CF_MAX_ITERATIONS; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < CF_TINY)
            d = CF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < CF_TINY)
            c = CF_TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < CF_TINY)
            d = CF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < CF_TINY)
            c = CF_TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < CF_EPSILON)
            break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b) for a, b > 0, 0 <= x <= 1. */
static double beta_i(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double front = exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

double cl_stats_binomial_cdf(int64_t r, uint64_t n, double prob)
{
    if (isnan(prob) || prob < 0.0 || prob > 1.0)
        return NAN;
    if (r < 0)
        return 0.0;
    if ((uint64_t)r >= n)
        return 1.0;
    if (prob == 0.0)
        return 1.0;
    if (prob == 1.0)
        return 0.0;
    /* P(R <= r) = I_{1-p}(n - r, r + 1). */
    return beta_i((double)(n - (uint64_t)r), (double)r + 1.0, 1.0 - prob);
}

/* -------------------------------------------------- simple intervals */

cl_status cl_stats_wilson(uint64_t successes, uint64_t trials, double confidence,
                          cl_stats_interval *out, cl_error *err)
{
    cl_status st = check_confidence(confidence, err);
    if (st != CL_OK)
        return st;
    if (!out)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "wilson: no output given");
    if (trials == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "wilson: a proportion needs trials > 0");
    if (successes > trials)
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "wilson: %llu successes out of %llu trials",
                            (unsigned long long)successes, (unsigned long long)trials);
    double n = (double)trials, p = (double)successes / n, z = z_for(confidence);
    double z2 = z * z;
    double denom = 1.0 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / denom;
    double half = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
    out->estimate = p;
    out->lower = successes == 0 ? 0.0 : fmax(0.0, centre - half);
    out->upper = successes == trials ? 1.0 : fmin(1.0, centre + half);
    return CL_OK;
}

/* The x with P(shape, x) = target, by bisection. */
static double gamma_p_inverse(double shape, double target)
{
    double lo = 0.0, hi = shape + 10.0 * sqrt(shape) + 10.0;
    while (cl_stats_gamma_p(shape, hi) < target)
        hi *= 2.0;
    for (int i = 0; i < 400; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (cl_stats_gamma_p(shape, mid) < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

cl_status cl_stats_poisson_exact(uint64_t count, double confidence, cl_stats_interval *out,
                                 cl_error *err)
{
    cl_status st = check_confidence(confidence, err);
    if (st != CL_OK)
        return st;
    if (!out)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "poisson: no output given");
    double alpha = 1.0 - confidence, k = (double)count;
    out->estimate = k;
    out->lower = count == 0 ? 0.0 : gamma_p_inverse(k, alpha / 2.0);
    out->upper = gamma_p_inverse(k + 1.0, 1.0 - alpha / 2.0);
    return CL_OK;
}

/* --------------------------------------------------------- Kaplan-Meier */

typedef struct km_obs {
    double time;
    unsigned char event;
} km_obs;

/* Increasing time.  The tie rule (events before censorings) is carried
 * out by cl_stats_km taking all subjects at one time as a group, at risk
 * together; ordering events first within the group only makes the sort
 * deterministic. */
static int km_obs_cmp(const void *pa, const void *pb)
{
    const km_obs *a = pa, *b = pb;
    if (a->time < b->time)
        return -1;
    if (a->time > b->time)
        return 1;
    return (int)b->event - (int)a->event;
}

cl_status cl_stats_km(const double *time, const unsigned char *event, size_t n,
                      double confidence, cl_stats_km_step *steps, size_t capacity,
                      cl_stats_km_summary *summary, cl_error *err)
{
    cl_status st = check_confidence(confidence, err);
    if (st != CL_OK)
        return st;
    if (!summary || (n > 0 && (!time || !event)) || (capacity > 0 && !steps))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "kaplan-meier: missing array");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(time[i]) || time[i] < 0.0)
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "kaplan-meier: time %zu is negative or not a number", i);
        if (event[i] > 1)
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "kaplan-meier: event %zu is %u, not 0 or 1", i,
                                (unsigned)event[i]);
    }
    cl_stats_km_summary sum = {0};
    sum.median = sum.median_lower = sum.median_upper = NAN;
    sum.subjects = n;
    km_obs *obs = NULL;
    if (n > 0) {
        obs = cl_malloc(n * sizeof *obs);
        if (!obs)
            return cl_error_set(err, CL_ENOMEM, NULL, 0, "kaplan-meier: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        obs[i].time = time[i];
        obs[i].event = event[i];
    }
    if (n > 1)
        qsort(obs, n, sizeof *obs, km_obs_cmp);

    double z = z_for(confidence);
    double survival = 1.0, greenwood = 0.0;
    size_t written = 0, needed = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint64_t d = 0, c = 0;
        for (; j < n && obs[j].time == obs[i].time; j++) {
            if (obs[j].event)
                d++;
            else
                c++;
        }
        uint64_t at_risk = n - i;
        if (d > 0) {
            sum.events += d;
            survival *= 1.0 - (double)d / (double)at_risk;
            if (d == at_risk)
                survival = 0.0;
            else
                greenwood += (double)d / ((double)at_risk * (double)(at_risk - d));
            cl_stats_km_step s;
            s.time = obs[i].time;
            s.at_risk = at_risk;
            s.events = d;
            s.censored = c;
            s.survival = survival;
            bool band_at_zero = survival <= 0.0;
            if (band_at_zero) {
                s.std_error = s.lower = s.upper = NAN;
            } else {
                s.std_error = survival * sqrt(greenwood);
                double sigma = sqrt(greenwood) / fabs(log(survival));
                s.lower = pow(survival, exp(z * sigma));
                s.upper = pow(survival, exp(-z * sigma));
            }
            /* A step at S = 0 has its whole band at 0 for the inversion. */
            if (!sum.median_reached && survival <= 0.5 + MEDIAN_SLACK) {
                sum.median_reached = true;
                sum.median = s.time;
            }
            if (!sum.median_lower_reached && (band_at_zero || s.lower <= 0.5 + MEDIAN_SLACK)) {
                sum.median_lower_reached = true;
                sum.median_lower = s.time;
            }
            if (!sum.median_upper_reached && (band_at_zero || s.upper <= 0.5 + MEDIAN_SLACK)) {
                sum.median_upper_reached = true;
                sum.median_upper = s.time;
            }
            if (written < capacity)
                steps[written++] = s;
            needed++;
        }
        i = j;
    }
    cl_free(obs);
    sum.steps = needed;
    *summary = sum;
    if (needed > capacity)
        return cl_error_set(err, CL_ELIMIT, NULL, 0,
                            "kaplan-meier: %zu steps do not fit in %zu", needed, capacity);
    return CL_OK;
}

/* ---------------------------------------------------------- funnel plot */

const char *cl_stats_funnel_class_name(cl_stats_funnel_class cls)
{
    switch (cls) {
    case CL_STATS_FUNNEL_WITHIN: return "within";
    case CL_STATS_FUNNEL_ABOVE_95: return "above_95";
    case CL_STATS_FUNNEL_ABOVE_998: return "above_99.8";
    case CL_STATS_FUNNEL_BELOW_95: return "below_95";
    case CL_STATS_FUNNEL_BELOW_998: return "below_99.8";
    }
    return "unknown";
}

cl_status cl_stats_funnel_target(const uint64_t *counts, const uint64_t *denominators,
                                 size_t n_units, double *p0, cl_error *err)
{
    if (!p0 || (n_units > 0 && (!counts || !denominators)))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: missing array");
    double total_count = 0.0, total_n = 0.0;
    for (size_t i = 0; i < n_units; i++) {
        if (counts[i] > denominators[i])
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "funnel: unit %zu has count %llu above its denominator %llu", i,
                                (unsigned long long)counts[i],
                                (unsigned long long)denominators[i]);
        total_count += (double)counts[i];
        total_n += (double)denominators[i];
    }
    if (total_n <= 0.0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: total denominator is 0");
    *p0 = total_count / total_n;
    return CL_OK;
}

static double clip01(double x)
{
    return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

/* Spiegelhalter's interpolated binomial limit for tail probability `p`:
 * r_p is the smallest r with F(r) >= p, and the limit moves back from r_p
 * by the fraction of the last step of F that overshoots p. */
static double exact_limit(double p0, uint64_t n, double p)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cl_stats_binomial_cdf((int64_t)mid, n, p0) >= p)
            hi = mid;
        else
            lo = mid + 1;
    }
    double f_r = cl_stats_binomial_cdf((int64_t)lo, n, p0);
    double f_below = cl_stats_binomial_cdf((int64_t)lo - 1, n, p0);
    double alpha = f_r > f_below ? (f_r - p) / (f_r - f_below) : 0.0;
    return clip01(((double)lo - alpha) / (double)n);
}

static cl_status check_funnel_args(double p0, uint64_t n, double phi, cl_error *err)
{
    if (n == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: denominator must be > 0");
    if (!(p0 >= 0.0 && p0 <= 1.0))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: target proportion not in [0, 1]");
    if (!(phi > 0.0) || !isfinite(phi))
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "funnel: over-dispersion factor must be finite and > 0");
    return CL_OK;
}

static void limits_at(double p0, uint64_t n, double phi, cl_stats_funnel_limits *out)
{
    static const double tail95 = 0.025, tail998 = 0.001;
    out->denominator = n;
    if (p0 <= 0.0 || p0 >= 1.0) {
        /* No variation is possible: every limit is the target. */
        cl_stats_funnel_band flat = {p0, p0, p0, p0};
        out->normal = out->exact = flat;
        return;
    }
    double se = sqrt(phi * p0 * (1.0 - p0) / (double)n);
    double z95 = cl_stats_normal_quantile(1.0 - tail95);
    double z998 = cl_stats_normal_quantile(1.0 - tail998);
    out->normal.lower_95 = clip01(p0 - z95 * se);
    out->normal.upper_95 = clip01(p0 + z95 * se);
    out->normal.lower_998 = clip01(p0 - z998 * se);
    out->normal.upper_998 = clip01(p0 + z998 * se);
    out->exact.lower_95 = exact_limit(p0, n, tail95);
    out->exact.upper_95 = exact_limit(p0, n, 1.0 - tail95);
    out->exact.lower_998 = exact_limit(p0, n, tail998);
    out->exact.upper_998 = exact_limit(p0, n, 1.0 - tail998);
}

cl_status cl_stats_funnel_limits_at(double p0, uint64_t n, double phi,
                                    cl_stats_funnel_limits *out, cl_error *err)
{
    cl_status st = check_funnel_args(p0, n, phi, err);
    if (st != CL_OK)
        return st;
    if (!out)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: no output given");
    limits_at(p0, n, phi, out);
    return CL_OK;
}

cl_status cl_stats_funnel_grid(double p0, uint64_t n_min, uint64_t n_max, double phi,
                               cl_stats_funnel_limits *out, size_t n_points, size_t *written,
                               cl_error *err)
{
    cl_status st = check_funnel_args(p0, n_min, phi, err);
    if (st != CL_OK)
        return st;
    if (!out || !written)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: no output given");
    if (n_min > n_max)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: grid minimum above maximum");
    if (n_points < 1 || (n_points < 2 && n_min != n_max))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: a grid needs at least 2 points");
    size_t count = 0;
    if (n_max - n_min < n_points) {
        for (uint64_t v = n_min;; v++) {
            limits_at(p0, v, phi, &out[count++]);
            if (v == n_max)
                break;
        }
    } else {
        double log_ratio = log((double)n_max / (double)n_min);
        uint64_t previous = 0;
        for (size_t i = 0; i < n_points; i++) {
            uint64_t v;
            if (i == 0)
                v = n_min;
            else if (i + 1 == n_points)
                v = n_max;
            else
                v = (uint64_t)llround((double)n_min *
                                      exp(log_ratio * (double)i / (double)(n_points - 1)));
            if (v < n_min)
                v = n_min;
            if (v > n_max)
                v = n_max;
            if (count > 0 && v <= previous)
                continue;
            limits_at(p0, v, phi, &out[count++]);
            previous = v;
        }
    }
    *written = count;
    return CL_OK;
}

cl_status cl_stats_funnel_classify(double p0, uint64_t count, uint64_t n, double phi,
                                   cl_stats_funnel_method method, cl_stats_funnel_class *cls,
                                   cl_error *err)
{
    cl_status st = check_funnel_args(p0, n, phi, err);
    if (st != CL_OK)
        return st;
    if (!cls)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: no output given");
    if (count > n)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: count above denominator");
    if (method != CL_STATS_FUNNEL_EXACT && method != CL_STATS_FUNNEL_NORMAL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: unknown method");
    cl_stats_funnel_limits lim;
    limits_at(p0, n, phi, &lim);
    const cl_stats_funnel_band *band = method == CL_STATS_FUNNEL_EXACT ? &lim.exact : &lim.normal;
    double y = (double)count / (double)n;
    if (y > band->upper_998)
        *cls = CL_STATS_FUNNEL_ABOVE_998;
    else if (y > band->upper_95)
        *cls = CL_STATS_FUNNEL_ABOVE_95;
    else if (y < band->lower_998)
        *cls = CL_STATS_FUNNEL_BELOW_998;
    else if (y < band->lower_95)
        *cls = CL_STATS_FUNNEL_BELOW_95;
    else
        *cls = CL_STATS_FUNNEL_WITHIN;
    return CL_OK;
}

static int double_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

cl_status cl_stats_funnel_overdispersion(const uint64_t *counts, const uint64_t *denominators,
                                         size_t n_units, double p0, double winsor_fraction,
                                         double *workspace, double *phi, cl_error *err)
{
    if (!counts || !denominators || !workspace || !phi)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: missing array");
    if (n_units == 0)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "funnel: no units");
    if (!(p0 > 0.0 && p0 < 1.0))
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "funnel: over-dispersion needs a target strictly inside (0, 1)");
    if (!(winsor_fraction >= 0.0 && winsor_fraction < 0.5))
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "funnel: Winsorising fraction must be in [0, 0.5)");
    for (size_t i = 0; i < n_units; i++) {
        if (denominators[i] == 0 || counts[i] > denominators[i])
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "funnel: unit %zu has count %llu out of %llu", i,
                                (unsigned long long)counts[i],
                                (unsigned long long)denominators[i]);
        double n = (double)denominators[i];
        workspace[i] = ((double)counts[i] / n - p0) / sqrt(p0 * (1.0 - p0) / n);
    }
    qsort(workspace, n_units, sizeof *workspace, double_cmp);
    size_t k = (size_t)floor(winsor_fraction * (double)n_units);
    double total = 0.0;
    for (size_t i = 0; i < n_units; i++) {
        double zi = workspace[i];
        if (i < k)
            zi = workspace[k];
        else if (i > n_units - 1 - k)
            zi = workspace[n_units - 1 - k];
        total += zi * zi;
    }
    *phi = total / (double)n_units;
    return CL_OK;
}

/* ------------------------------------------------------ Mantel-Haenszel */

/* numerator / denominator with its log-scale interval; see cl_stats_ratio. */
static cl_stats_ratio make_ratio(double numerator, double denominator, double log_variance,
                                 double z)
{
    cl_stats_ratio r;
    r.lower = r.upper = r.log_se = NAN;
    if (numerator > 0.0 && denominator > 0.0) {
        r.estimate = numerator / denominator;
        if (isfinite(log_variance) && log_variance >= 0.0) {
            r.log_se = sqrt(log_variance);
            r.lower = exp(log(r.estimate) - z * r.log_se);
            r.upper = exp(log(r.estimate) + z * r.log_se);
        }
    } else if (numerator > 0.0) {
        r.estimate = INFINITY;
    } else if (denominator > 0.0) {
        r.estimate = 0.0;
    } else {
        r.estimate = NAN;
    }
    return r;
}

/* Sum of reciprocals of the counts (Woolf / Poisson log variance); NaN when
 * a count is zero, where the log ratio is unbounded anyway. */
static double reciprocal_sum(const double *counts, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(counts[i] > 0.0))
            return NAN;
        total += 1.0 / counts[i];
    }
    return total;
}

static const cl_stats_ratio undefined_ratio = {NAN, NAN, NAN, NAN};

static bool valid_amount(double x)
{
    return isfinite(x) && x >= 0.0;
}

cl_status cl_stats_mh_rate_ratio(const cl_stats_pt_stratum *strata, size_t n_strata,
                                 double confidence, cl_stats_rate_ratio_result *out,
                                 cl_stats_ratio *per_stratum, cl_error *err)
{
    cl_status st = check_confidence(confidence, err);
    if (st != CL_OK)
        return st;
    if (!out || (n_strata > 0 && !strata))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "rate ratio: missing array");
    for (size_t i = 0; i < n_strata; i++) {
        const cl_stats_pt_stratum *s = &strata[i];
        if (!valid_amount(s->exposed_events) || !valid_amount(s->exposed_time) ||
            !valid_amount(s->unexposed_events) || !valid_amount(s->unexposed_time))
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "rate ratio: stratum %zu has a negative or non-finite value", i);
    }
    double z = z_for(confidence);
    double sum_r = 0.0, sum_s = 0.0, sum_v = 0.0;
    double total_a = 0.0, total_b = 0.0, total_t1 = 0.0, total_t0 = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < n_strata; i++) {
        const cl_stats_pt_stratum *s = &strata[i];
        double a = s->exposed_events, b = s->unexposed_events;
        double t1 = s->exposed_time, t0 = s->unexposed_time;
        total_a += a;
        total_b += b;
        total_t1 += t1;
        total_t0 += t0;
        if (t1 <= 0.0 || t0 <= 0.0) {
            if (per_stratum)
                per_stratum[i] = undefined_ratio;
            continue;
        }
        used++;
        double t = t1 + t0;
        sum_r += a * t0 / t;
        sum_s += b * t1 / t;
        sum_v += (a + b) * t1 * t0 / (t * t);
        if (per_stratum)
            per_stratum[i] = make_ratio(a * t0, b * t1, reciprocal_sum((double[]){a, b}, 2), z);
    }
    out->strata_used = used;
    out->strata_skipped = n_strata - used;
    double variance = sum_r > 0.0 && sum_s > 0.0 ? sum_v / (sum_r * sum_s) : NAN;
    out->mantel_haenszel = make_ratio(sum_r, sum_s, variance, z);
    if (total_t1 > 0.0 && total_t0 > 0.0)
        out->crude = make_ratio(total_a * total_t0, total_b * total_t1,
                                reciprocal_sum((double[]){total_a, total_b}, 2), z);
    else
        out->crude = undefined_ratio;
    return CL_OK;
}

cl_status cl_stats_mh_odds_ratio(const cl_stats_2x2 *strata, size_t n_strata, double confidence,
                                 cl_stats_odds_ratio_result *out, cl_stats_ratio *per_stratum,
                                 cl_error *err)
{
    cl_status st = check_confidence(confidence, err);
    if (st != CL_OK)
        return st;
    if (!out || (n_strata > 0 && !strata))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "odds ratio: missing array");
    for (size_t i = 0; i < n_strata; i++) {
        const cl_stats_2x2 *s = &strata[i];
        if (!valid_amount(s->exposed_cases) || !valid_amount(s->exposed_noncases) ||
            !valid_amount(s->unexposed_cases) || !valid_amount(s->unexposed_noncases))
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "odds ratio: stratum %zu has a negative or non-finite value", i);
    }
    double z = z_for(confidence);
    double sum_r = 0.0, sum_s = 0.0, sum_pr = 0.0, sum_ps_qr = 0.0, sum_qs = 0.0;
    double total_a = 0.0, total_b = 0.0, total_c = 0.0, total_d = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < n_strata; i++) {
        const cl_stats_2x2 *s = &strata[i];
        double a = s->exposed_cases, b = s->exposed_noncases;
        double c = s->unexposed_cases, d = s->unexposed_noncases;
        total_a += a;
        total_b += b;
        total_c += c;
        total_d += d;
        if (per_stratum)
            per_stratum[i] =
                make_ratio(a * d, b * c, reciprocal_sum((double[]){a, b, c, d}, 4), z);
        double n = a + b + c + d;
        if (n < 2.0)
            continue;
        used++;
        double r = a * d / n, q_s = b * c / n;
        double p = (a + d) / n, q = (b + c) / n;
        sum_r += r;
        sum_s += q_s;
        sum_pr += p * r;
        sum_ps_qr += p * q_s + q * r;
        sum_qs += q * q_s;
    }
    out->strata_used = used;
    out->strata_skipped = n_strata - used;
    double variance = NAN;
    if (sum_r > 0.0 && sum_s > 0.0)
        variance = sum_pr / (2.0 * sum_r * sum_r) + sum_ps_qr / (2.0 * sum_r * sum_s) +
                   sum_qs / (2.0 * sum_s * sum_s);
    out->mantel_haenszel = make_ratio(sum_r, sum_s, variance, z);
    out->crude = make_ratio(total_a * total_d, total_b * total_c,
                            reciprocal_sum((double[]){total_a, total_b, total_c, total_d}, 4),
                            z);
    return CL_OK;
}
