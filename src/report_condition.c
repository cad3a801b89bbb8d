/*
 * report_condition.c - analysis 5: a chronic condition and school.  The
 * absence rate ratio for pupils with a condition against pupils without,
 * adjusted for deprivation and age by Mantel-Haenszel stratification.  Run
 * for asthma (the built-in or a replacing code list) and for every code list
 * the caller adds with diagnosis codes.
 *
 * Unit: a pupil-year of npd_absence (sessions missed and possible in one
 * school year).  The condition's onset is the date of the child's first
 * hes_apc admission with a diagnosis in the list.  A pupil-year is exposed
 * when that admission fell in an earlier school year, unexposed when it fell
 * in a later one or never; the school year of the first admission itself is
 * left out, because the condition began at some unknown time before that
 * admission and may or may not have preceded the school year.
 *
 * Strata: school year group (R to 11, which is also age) x free school meals
 * that year (npd_census.FSMeligible) x area deprivation quintile (from the
 * spine's deprivation_decile), each only where the database holds it.
 * Events are sessions missed, time is sessions possible; the Mantel-Haenszel
 * rate ratio is cl_stats_mh_rate_ratio's.  Its Greenland-Robins interval
 * treats sessions as independent Poisson counts, which they are not (a
 * pupil's sessions cluster), so the interval the report leads with is a
 * percentile bootstrap over children (children resampled with replacement,
 * all their pupil-years with them; fixed seed, so the same bytes every run).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/stats.h"
#include "report_internal.h"

#define N_GROUPS 12
#define BOOTSTRAP_REPLICATES 200
#define BOOTSTRAP_SEED UINT64_C(0x636869646c696e6b)   /* "chidlink": any fixed value */

/* ---- the bootstrap ------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile of sorted values by linear interpolation between order
 * statistics. */
static double percentile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    return v[i] + (pos - (double)i) * (i + 1 < n ? v[i + 1] - v[i] : 0);
}

cl_status rp_bootstrap_mh(const rp_pt_row *rows, size_t nrows, size_t nchildren,
                          size_t nstrata, size_t group_size, size_t replicates, uint64_t seed,
                          double confidence, double *lower, double *upper)
{
    size_t ngroups = group_size ? nstrata / group_size : 0;
    for (size_t g = 0; g <= ngroups; g++)
        lower[g] = upper[g] = NAN;
    if (nrows == 0 || nchildren == 0 || nstrata == 0 || replicates < 2 || nchildren > UINT32_MAX)
        return CL_OK;
    uint32_t *weight = cl_malloc(nchildren * sizeof *weight);
    double *acc = cl_malloc(nstrata * 4 * sizeof *acc);
    double *ratios = cl_malloc((ngroups + 1) * replicates * sizeof *ratios);
    size_t *kept = cl_calloc(ngroups + 1, sizeof *kept);
    if (weight == NULL || acc == NULL || ratios == NULL || kept == NULL) {
        cl_free(weight);
        cl_free(acc);
        cl_free(ratios);
        cl_free(kept);
        return CL_ENOMEM;
    }
    uint64_t state = seed;
    for (size_t r = 0; r < replicates; r++) {
        /* Draw nchildren children with replacement: weight = times drawn. */
        memset(weight, 0, nchildren * sizeof *weight);
        for (size_t i = 0; i < nchildren; i++)
            weight[(uint64_t)(splitmix64(&state) >> 32) * nchildren >> 32]++;
        memset(acc, 0, nstrata * 4 * sizeof *acc);
        for (size_t i = 0; i < nrows; i++) {
            double w = weight[rows[i].child];
            if (w == 0)
                continue;
            double *st = acc + (size_t)rows[i].stratum * 4;
            st[rows[i].exposed ? 0 : 2] += w * rows[i].events;
            st[rows[i].exposed ? 1 : 3] += w * rows[i].time;
        }
        /* series 0: all strata; series 1 + g: the strata of group g. */
        for (size_t series = 0; series <= ngroups; series++) {
            size_t from = series ? (series - 1) * group_size : 0;
            size_t to = series ? from + group_size : nstrata;
            double num = 0, den = 0;
            for (size_t k = from; k < to; k++) {
                double *st = acc + k * 4, t = st[1] + st[3];
                if (st[1] <= 0 || st[3] <= 0)
                    continue;
                num += st[0] * st[3] / t;
                den += st[2] * st[1] / t;
            }
            if (num > 0 && den > 0)
                ratios[series * replicates + kept[series]++] = num / den;
        }
    }
    double alpha = (1 - confidence) / 2;
    for (size_t series = 0; series <= ngroups; series++) {
        double *v = ratios + series * replicates;
        /* An interval only when nearly every resample gives a ratio. */
        if (kept[series] < 2 || kept[series] * 10 < replicates * 9)
            continue;
        qsort(v, kept[series], sizeof *v, cmp_double);
        lower[series] = percentile(v, kept[series], alpha);
        upper[series] = percentile(v, kept[series], 1 - alpha);
    }
    cl_free(weight);
    cl_free(acc);
    cl_free(ratios);
    cl_free(kept);
    return CL_OK;
}

/* ---- the analysis -------------------------------------------------------- */

static const rp_column by_year_cols[] = {
    {"year_group", "school year", RP_LABEL},
    {"n_pupils_with", "pupils with", RP_COUNT},
    {"absence_pct_with", "absence % with", RP_RATE},
    {"n_pupils_without", "pupils without", RP_COUNT},
    {"absence_pct_without", "absence % without", RP_RATE},
    {"rate_ratio", "rate ratio (adjusted for deprivation)", RP_VALUE},
    {"lower_95", "lower 95%", RP_VALUE},
    {"upper_95", "upper 95%", RP_VALUE},
};

static const rp_column summary_cols[] = {
    {"estimate", "estimate", RP_LABEL},
    {"interval", "95% interval", RP_LABEL},
    {"rate_ratio", "rate ratio", RP_VALUE},
    {"lower_95", "lower 95%", RP_VALUE},
    {"upper_95", "upper 95%", RP_VALUE},
    {"n_children_with", "children with", RP_COUNT},
    {"n_children_without", "children without", RP_COUNT},
    {"n_pupil_years_with", "pupil-years with", RP_COUNT},
    {"n_pupil_years_without", "pupil-years without", RP_COUNT},
};

typedef struct group_stats {
    int64_t pupils[2];       /* [0] without, [1] with */
    int64_t missed[2];
    int64_t possible[2];
    double ratio, lower, upper;
    int shown;
} group_stats;

/* A forest row. */
typedef struct forest_row {
    const char *label;
    double ratio, lower, upper;
    int bold;
} forest_row;

static void draw_rates(rp_ctx *c, const char *name, const double *with, const double *without)
{
    int width = 760, height = 300, left = 90, right = 30, top = 50, bottom = 70;
    double hi = 0;
    for (int g = 0; g < N_GROUPS; g++) {
        if (!isnan(with[g]) && with[g] > hi) hi = with[g];
        if (!isnan(without[g]) && without[g] > hi) hi = without[g];
    }
    double lo = 0, yt[12];
    size_t nt = rp_nice_ticks(&lo, &hi, 6, 1, yt);
    rp_scale x = {-0.5, N_GROUPS - 0.5, (double)left, (double)(width - right), 0};
    rp_scale y = {0, hi > 0 ? hi : 1, (double)(height - bottom), (double)top, 0};
    rp_buf *b = &c->body;
    char title[160];
    snprintf(title, sizeof title, "Absence rate by school year, pupils with and without %s", name);
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, title, "Sessions missed as a percentage of sessions possible");
    rp_svg_text(b, left, 16, "start", "font-weight=\"bold\"", title);
    char lw[96], lwo[96];
    snprintf(lw, sizeof lw, "with %s (diagnosed in an earlier school year)", name);
    snprintf(lwo, sizeof lwo, "without %s", name);
    double lx = rp_svg_legend(b, left, 36, RP_VERMILLION, 1, NULL, lw);
    rp_svg_legend(b, lx, 36, RP_BLUE, 1, "6,3", lwo);
    rp_svg_yaxis(b, &y, left, yt, nt, -1, "%", width - right, "Sessions missed (%)");
    double xt[N_GROUPS];
    const char *labels[N_GROUPS];
    for (int g = 0; g < N_GROUPS; g++) {
        xt[g] = g;
        labels[g] = rp_year_label(g);
    }
    rp_svg_xaxis(b, &x, height - bottom, xt, N_GROUPS, labels, 0,
                 "School year group (age at the start of the year: 4 in R)");
    for (int s = 0; s < 2; s++) {
        const double *v = s ? with : without;
        const char *colour = s ? RP_VERMILLION : RP_BLUE;
        rp_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                      colour, s ? "" : " stroke-dasharray=\"6,3\"");
        int any = 0;
        for (int g = 0; g < N_GROUPS; g++)
            if (!isnan(v[g])) {
                rp_buf_printf(b, "%s%.1f,%.1f", any ? " " : "", rp_scale_map(&x, g),
                              rp_scale_map(&y, v[g]));
                any = 1;
            }
        rp_buf_puts(b, "\"/>\n");
        for (int g = 0; g < N_GROUPS; g++)
            if (!isnan(v[g]))
                rp_svg_circle(b, rp_scale_map(&x, g), rp_scale_map(&y, v[g]), 3.5, colour, NULL);
    }
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>Pupil-years in the school year of the first admission for the "
                   "condition are left out. Years where either group has too few pupils are "
                   "not drawn.</figcaption></figure>\n");
}

static void draw_forest(rp_ctx *c, const char *name, const forest_row *rows, size_t n)
{
    double lo = 1, hi = 1;
    for (size_t i = 0; i < n; i++) {
        double a = isnan(rows[i].lower) ? rows[i].ratio : rows[i].lower;
        double b2 = isnan(rows[i].upper) ? rows[i].ratio : rows[i].upper;
        if (!isnan(a) && a > 0 && a < lo) lo = a;
        if (!isnan(b2) && b2 > hi) hi = b2;
    }
    static const double candidates[] = {0.1, 0.2, 0.25, 0.5, 0.67, 0.75, 0.8, 0.9, 1, 1.1,
                                        1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 10, 20};
    double ticks[24];
    size_t nt = 0;
    double dlo = lo / 1.1, dhi = hi * 1.1;
    if (dlo < 0.1) dlo = 0.1;
    if (dhi > 20) dhi = 20;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (candidates[i] >= dlo && candidates[i] <= dhi)
            ticks[nt++] = candidates[i];
    int row = 24, top = 44, left = 250, width = 760, right = 150;
    int height = top + row * (int)n + 60;
    rp_scale x = {dlo, dhi, (double)left, (double)(width - right), 1};
    rp_buf *b = &c->body;
    char title[160];
    snprintf(title, sizeof title, "Absence rate ratio, pupils with %s against without", name);
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, title,
                 "Rate ratios by school year and overall, with 95% intervals, log scale");
    rp_svg_text(b, 10, 16, "start", "font-weight=\"bold\"", title);
    rp_svg_text(b, width - right + 12, top - 10, "start", "font-weight=\"bold\"",
                "ratio (95% CI)");
    for (size_t i = 0; i < nt; i++) {
        double px = rp_scale_map(&x, ticks[i]);
        rp_svg_line(b, px, top - 4, px, top + row * (double)n, "#e6e6e6", 1, NULL);
    }
    double one = rp_scale_map(&x, 1);
    rp_svg_line(b, one, top - 4, one, top + row * (double)n, RP_INK, 1, "4,3");
    for (size_t i = 0; i < n; i++) {
        double yy = top + row * (double)i + row / 2.0;
        rp_svg_text(b, left - 10, yy + 4, "end", rows[i].bold ? "font-weight=\"bold\"" : NULL,
                    rows[i].label);
        char txt[64];
        if (isnan(rows[i].ratio)) {
            snprintf(txt, sizeof txt, "withheld");
        } else {
            if (!isnan(rows[i].lower) && !isnan(rows[i].upper)) {
                double a = rows[i].lower < dlo ? dlo : rows[i].lower;
                double b2 = rows[i].upper > dhi ? dhi : rows[i].upper;
                rp_svg_line(b, rp_scale_map(&x, a), yy, rp_scale_map(&x, b2), yy,
                            rows[i].bold ? RP_INK : RP_BLUE, 2, NULL);
                snprintf(txt, sizeof txt, "%.2f (%.2f-%.2f)", rows[i].ratio, rows[i].lower,
                         rows[i].upper);
            } else {
                snprintf(txt, sizeof txt, "%.2f", rows[i].ratio);
            }
            double px = rp_scale_map(&x, rows[i].ratio < dlo ? dlo
                                         : rows[i].ratio > dhi ? dhi : rows[i].ratio);
            if (rows[i].bold)
                rp_buf_printf(b, "<path d=\"M%.1f,%.1f L%.1f,%.1f L%.1f,%.1f L%.1f,%.1f Z\" "
                                 "fill=\"" RP_INK "\"/>\n",
                              px - 8, yy, px, yy - 7, px + 8, yy, px, yy + 7);
            else
                rp_svg_rect(b, px - 4, yy - 4, 8, 8, RP_BLUE, NULL);
        }
        rp_svg_text(b, width - right + 12, yy + 4, "start", rows[i].bold ?
                    "font-weight=\"bold\"" : NULL, txt);
    }
    rp_svg_xaxis(b, &x, top + row * (double)n + 6, ticks, nt, NULL, -1,
                 "Rate ratio (log scale; 1 = no difference)");
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>Squares: each school year, Mantel-Haenszel over deprivation "
                   "strata. Diamond: all years, Mantel-Haenszel over school year and "
                   "deprivation. Intervals: 95% bootstrap over children. Crude: unadjusted, "
                   "all years.</figcaption></figure>\n");
}

/* The analysis for one condition list. */
static cl_status condition(rp_ctx *c, const rp_codelist *list, int32_t *first)
{
    const rp_data *d = &c->data;
    char section_title[160], id[96], tname[128];
    snprintf(section_title, sizeof section_title, "%s and school absence", list->name);
    snprintf(id, sizeof id, "condition_%s", list->name);
    rp_buf_puts(&c->body, "<h3>");
    rp_buf_html(&c->body, section_title);
    rp_buf_puts(&c->body, "</h3>\n");
    if (list->ndiag == 0) {
        rp_note(c, "Code list %s holds no diagnosis codes, so it defines no condition.",
                list->name);
        return CL_OK;
    }
    rp_first_diagnosis(d, list, first);
    int have_fsm = 0, have_decile = 0;
    for (size_t i = 0; i < d->ncensus && !have_fsm; i++)
        if (d->census[i].fsm >= 0) have_fsm = 1;
    for (size_t i = 0; i < d->nchildren && !have_decile; i++)
        if (d->decile[i]) have_decile = 1;
    /* Stratum = group * 18 + fsm(0,1,2 unknown) * 6 + quintile (0 unknown). */
    size_t nstrata = N_GROUPS * 18;
    rp_pt_row *rows = cl_malloc((d->nabsence ? d->nabsence : 1) * sizeof *rows);
    cl_stats_pt_stratum *strata = cl_calloc(nstrata, sizeof *strata);
    cl_stats_pt_stratum *sub = cl_calloc(18, sizeof *sub);
    unsigned char *seen = cl_calloc(d->nchildren ? d->nchildren : 1, 1);
    if (rows == NULL || strata == NULL || sub == NULL || seen == NULL) {
        cl_free(rows);
        cl_free(strata);
        cl_free(sub);
        cl_free(seen);
        return rp_nomem(c);
    }
    group_stats gs[N_GROUPS];
    memset(gs, 0, sizeof gs);
    size_t nrows = 0, ci = 0, excluded = 0;
    int64_t children[2] = {0, 0};
    int32_t dense = -1, last_child = -1;
    for (size_t i = 0; i < d->nabsence; i++) {
        const rp_absence *a = &d->absence[i];
        if (i > 0 && d->absence[i - 1].child == a->child && d->absence[i - 1].year == a->year)
            continue;   /* one row per child and school year */
        int exposed;
        if (first[a->child] == RP_NO_DAY) {
            exposed = 0;
        } else {
            int onset = rp_academic_year(first[a->child]);
            if (onset == a->year) {
                excluded++;
                continue;
            }
            exposed = onset < a->year;
        }
        /* Free school meals that year, from the census (both sorted alike). */
        while (ci < d->ncensus && (d->census[ci].child < a->child ||
                                   (d->census[ci].child == a->child &&
                                    d->census[ci].year < a->year)))
            ci++;
        int fsm = 2;
        if (have_fsm && ci < d->ncensus && d->census[ci].child == a->child &&
            d->census[ci].year == a->year && d->census[ci].fsm >= 0)
            fsm = d->census[ci].fsm;
        int q = have_decile && d->decile[a->child] ? (d->decile[a->child] + 1) / 2 : 0;
        int stratum = a->group * 18 + fsm * 6 + q;
        if (a->child != last_child) {
            dense++;
            last_child = a->child;
        }
        rows[nrows].child = dense;
        rows[nrows].stratum = stratum;
        rows[nrows].exposed = exposed;
        rows[nrows].events = (double)a->missed;
        rows[nrows].time = (double)a->possible;
        nrows++;
        cl_stats_pt_stratum *s = &strata[stratum];
        if (exposed) {
            s->exposed_events += (double)a->missed;
            s->exposed_time += (double)a->possible;
        } else {
            s->unexposed_events += (double)a->missed;
            s->unexposed_time += (double)a->possible;
        }
        group_stats *g = &gs[a->group];
        g->pupils[exposed]++;
        g->missed[exposed] += a->missed;
        g->possible[exposed] += a->possible;
        unsigned char bit = (unsigned char)(exposed ? 2 : 1);
        if (!(seen[a->child] & bit)) {
            seen[a->child] |= bit;
            children[exposed]++;
        }
    }
    cl_free(seen);
    cl_stats_rate_ratio_result mh;
    cl_status st = cl_stats_mh_rate_ratio(strata, nstrata, 0.95, &mh, NULL, c->err);
    double boot_lower[N_GROUPS + 1], boot_upper[N_GROUPS + 1];
    if (st == CL_OK && rp_bootstrap_mh(rows, nrows, (size_t)(dense + 1), nstrata, 18,
                                       BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, 0.95, boot_lower,
                                       boot_upper) != CL_OK)
        st = rp_nomem(c);
    double boot_lo = boot_lower[0], boot_hi = boot_upper[0];
    /* Per year group: Mantel-Haenszel over the deprivation strata. */
    for (int g = 0; g < N_GROUPS && st == CL_OK; g++) {
        memcpy(sub, strata + (size_t)g * 18, 18 * sizeof *sub);
        cl_stats_rate_ratio_result r;
        st = cl_stats_mh_rate_ratio(sub, 18, 0.95, &r, NULL, c->err);
        gs[g].shown = gs[g].pupils[1] >= c->sdc.threshold && gs[g].pupils[0] >= c->sdc.threshold;
        gs[g].ratio = r.mantel_haenszel.estimate;
        gs[g].lower = boot_lower[1 + g];
        gs[g].upper = boot_upper[1 + g];
    }
    cl_free(rows);
    cl_free(strata);
    cl_free(sub);
    if (st != CL_OK)
        return st;

    int publish = children[1] >= c->sdc.threshold && children[0] >= c->sdc.threshold &&
                  isfinite(mh.mantel_haenszel.estimate);
    char with_n[40], without_n[40];
    rp_count_text(c, children[1], with_n, sizeof with_n, NULL);
    rp_count_text(c, children[0], without_n, sizeof without_n, NULL);
    rp_buf_printf(&c->body, "<p>Pupils with %s (a hospital admission with a diagnosis in the "
                            "<code>%s</code> code list in an earlier school year: %s children) "
                            "against pupils without (%s children), in the same school year "
                            "group and deprivation stratum (",
                  list->name, list->name, with_n, without_n);
    rp_buf_puts(&c->body, have_fsm && have_decile ? "free school meals and area deprivation "
                                                    "quintile"
                          : have_fsm ? "free school meals; the spine holds no deprivation "
                                       "decile"
                          : have_decile ? "area deprivation quintile; the census holds no free "
                                          "school meals"
                                        : "no deprivation measure in the database");
    rp_buf_puts(&c->body, ").</p>\n");
    if (publish) {
        rp_buf_printf(&c->body, "<p class=\"key\">Absence rate ratio %.2f (95%% interval "
                                "%.2f to %.2f)</p>\n<p>Pupils with %s miss %.2f times as many "
                                "sessions as comparable pupils without it (Mantel-Haenszel rate "
                                "ratio over %zu strata; interval: bootstrap over children, %d "
                                "resamples). Unadjusted: %.2f.</p>\n",
                      mh.mantel_haenszel.estimate, boot_lo, boot_hi, list->name,
                      mh.mantel_haenszel.estimate, mh.strata_used, BOOTSTRAP_REPLICATES,
                      mh.crude.estimate);
    } else {
        rp_buf_puts(&c->body, "<p class=\"skip\">Too few children with or without the "
                              "condition to publish a ratio.</p>\n");
    }
    snprintf(tname, sizeof tname, "%s_summary", id);
    rp_table *ts = rp_new_table(c, tname, "Absence rate ratio: adjusted and crude",
                                summary_cols, 9);
    snprintf(tname, sizeof tname, "%s_by_year", id);
    rp_table *ty = rp_new_table(c, tname, "Absence by school year, with and without the "
                                "condition", by_year_cols, 8);
    if (ts == NULL || ty == NULL)
        return c->err->code;
    struct {
        const char *estimate, *interval;
        double r, lo, hi;
    } est[3] = {
        {"mantel_haenszel", "bootstrap over children", mh.mantel_haenszel.estimate, boot_lo,
         boot_hi},
        {"mantel_haenszel", "Greenland-Robins (sessions as Poisson counts)",
         mh.mantel_haenszel.estimate, mh.mantel_haenszel.lower, mh.mantel_haenszel.upper},
        {"crude", "Poisson", mh.crude.estimate, mh.crude.lower, mh.crude.upper},
    };
    /* Pupil-years by school year and their totals are published together,
     * so they are protected as one table. */
    int64_t pcounts[N_GROUPS * 2];
    for (int g = 0; g < N_GROUPS; g++) {
        pcounts[g * 2] = gs[g].pupils[1];
        pcounts[g * 2 + 1] = gs[g].pupils[0];
    }
    cl_sdc_result *pres = rp_protect(c, pcounts, N_GROUPS, 2, 0, 1);
    if (pres == NULL)
        return c->err->code;
    for (int k = 0; k < 3; k++) {
        rp_table_text(ts, est[k].estimate);
        rp_table_text(ts, est[k].interval);
        rp_table_value(ts, publish ? est[k].r : NAN, 3);
        rp_table_value(ts, publish ? est[k].lo : NAN, 3);
        rp_table_value(ts, publish ? est[k].hi : NAN, 3);
        rp_table_count(ts, c, children[1]);
        rp_table_count(ts, c, children[0]);
        rp_table_sdc(ts, c, cl_sdc_result_cell(pres, N_GROUPS, 0));
        rp_table_sdc(ts, c, cl_sdc_result_cell(pres, N_GROUPS, 1));
    }
    double with[N_GROUPS], without[N_GROUPS];
    forest_row frows[N_GROUPS + 2];
    char flabels[N_GROUPS][24];
    size_t nf = 0;
    for (int g = 0; g < N_GROUPS; g++) {
        group_stats *s = &gs[g];
        char pw[40], pwo[40];
        with[g] = without[g] = NAN;
        rp_table_text(ty, rp_year_label(g));
        rp_table_sdc(ty, c, cl_sdc_result_cell(pres, (size_t)g, 0));
        if (s->pupils[1] >= c->sdc.threshold)
            with[g] = rp_rate_text(c, s->missed[1], s->possible[1], 100, 0, pw, sizeof pw);
        else
            snprintf(pw, sizeof pw, "%s", rp_withheld(c));
        rp_table_text(ty, pw);
        rp_table_sdc(ty, c, cl_sdc_result_cell(pres, (size_t)g, 1));
        if (s->pupils[0] >= c->sdc.threshold)
            without[g] = rp_rate_text(c, s->missed[0], s->possible[0], 100, 0, pwo, sizeof pwo);
        else
            snprintf(pwo, sizeof pwo, "%s", rp_withheld(c));
        rp_table_text(ty, pwo);
        rp_table_value(ty, s->shown ? s->ratio : NAN, 3);
        rp_table_value(ty, s->shown ? s->lower : NAN, 3);
        rp_table_value(ty, s->shown ? s->upper : NAN, 3);
        if (isnan(with[g]) || isnan(without[g])) {
            with[g] = without[g] = NAN;
        }
        if (s->pupils[1] + s->pupils[0] > 0) {
            snprintf(flabels[nf], sizeof flabels[nf], "Year %s", rp_year_label(g));
            if (g == 0)
                snprintf(flabels[nf], sizeof flabels[nf], "Reception");
            frows[nf].label = flabels[nf];
            frows[nf].ratio = s->shown && isfinite(s->ratio) ? s->ratio : NAN;
            frows[nf].lower = s->shown ? s->lower : NAN;
            frows[nf].upper = s->shown ? s->upper : NAN;
            frows[nf].bold = 0;
            nf++;
        }
    }
    frows[nf].label = "All years (adjusted)";
    frows[nf].ratio = publish ? mh.mantel_haenszel.estimate : NAN;
    frows[nf].lower = publish ? boot_lo : NAN;
    frows[nf].upper = publish ? boot_hi : NAN;
    frows[nf].bold = 1;
    nf++;
    frows[nf].label = "All years (crude)";
    frows[nf].ratio = publish ? mh.crude.estimate : NAN;
    frows[nf].lower = NAN;
    frows[nf].upper = NAN;
    frows[nf].bold = 0;
    nf++;
    cl_sdc_result_free(pres);
    draw_rates(c, list->name, with, without);
    draw_forest(c, list->name, frows, nf);
    if (excluded) {
        char ex[40];
        rp_count_text(c, (int64_t)excluded, ex, sizeof ex, NULL);
        rp_note(c, "%s pupil-years in the school year of the first admission for %s are left "
                   "out (the onset may or may not precede that year).", ex, list->name);
    }
    rp_show_table(c, ts, 1);
    rp_show_table(c, ty, 0);
    return CL_OK;
}

cl_status rp_analysis_condition_absence(rp_ctx *c)
{
    const rp_data *d = &c->data;
    rp_section_begin(c, "condition_absence", "5. A chronic condition and school");
    if (!d->have_absence || d->nabsence == 0 || !d->have_admissions) {
        rp_buf_puts(&c->body, "<p class=\"skip\">Skipped: needs absence (npd_absence with "
                              "SessionsPossible and sessions missed) and hospital admissions "
                              "(hes_apc with diagnoses).</p>\n");
        rp_section_end(c);
        c->analyses_skipped++;
        return CL_OK;
    }
    int32_t *first = cl_malloc((d->nchildren ? d->nchildren : 1) * sizeof *first);
    if (first == NULL) {
        rp_section_end(c);
        return rp_nomem(c);
    }
    cl_status st = CL_OK;
    const rp_codelist *asthma = rp_list(c, "asthma");
    if (asthma)
        st = condition(c, asthma, first);
    for (size_t i = 0; i < c->nlists && st == CL_OK; i++) {
        const rp_codelist *l = &c->lists[i];
        if (l->builtin || strcmp(l->name, "asthma") == 0 ||
            strcmp(l->name, "downs_syndrome") == 0 || strcmp(l->name, "emergency_admission") == 0)
            continue;
        st = condition(c, l, first);
    }
    cl_free(first);
    rp_section_end(c);
    return st;
}
