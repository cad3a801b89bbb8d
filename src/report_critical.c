/*
 * report_critical.c - analysis 3: critical points.  Absence, emergency
 * admissions and mental-health referrals by school year group (and so by
 * age), to make the move from primary to secondary school (year 6 to year 7)
 * visible.
 *
 * Definitions (docs/report.md):
 * - Pupils in year group g: distinct children with a spring census record
 *   for year g (npd_census.NCyearActual), one per child and school year.
 * - Absence rate: sessions missed (authorised + unauthorised) / sessions
 *   possible, over npd_absence rows of year g.
 * - Emergency admissions: hes_apc rows whose ADMIMETH is in the
 *   emergency_admission code list, dated in a school year (1 September to
 *   31 August) in which the child is in the census; counted against the year
 *   group of that census record.  Mental-health referrals likewise from
 *   camhs.REFERRAL_DATE.  Rates are per 1,000 pupils per school year, with
 *   exact Poisson 95% intervals.
 * Events of children not in the census that year (not at a state school) are
 * left out of both numerator and denominator.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "childlink/stats.h"
#include "report_internal.h"

#define N_GROUPS 12

static const rp_column critical_cols[] = {
    {"year_group", "school year", RP_LABEL},
    {"age", "age during the year", RP_LABEL},
    {"n_pupils", "pupils", RP_COUNT},
    {"absence_pct", "absence %", RP_RATE},
    {"n_emergency_admissions", "emergency admissions", RP_COUNT},
    {"admissions_per_1000", "admissions per 1,000 pupils", RP_RATE},
    {"admissions_lower_95", "lower 95%", RP_VALUE},
    {"admissions_upper_95", "upper 95%", RP_VALUE},
    {"n_camhs_referrals", "mental-health referrals", RP_COUNT},
    {"referrals_per_1000", "referrals per 1,000 pupils", RP_RATE},
    {"referrals_lower_95", "lower 95%", RP_VALUE},
    {"referrals_upper_95", "upper 95%", RP_VALUE},
};

static const rp_column transition_cols[] = {
    {"measure", "measure", RP_LABEL},
    {"year_6", "year 6", RP_RATE},
    {"year_7", "year 7", RP_RATE},
    {"ratio_7_to_6", "year 7 / year 6", RP_VALUE},
    {"ratio_7_8_to_5_6", "years 7-8 / years 5-6", RP_VALUE},
};

/* One measure by year group, as published. */
typedef struct series {
    const char *title;
    const char *axis;        /* y axis title */
    const char *suffix;      /* tick suffix ("%" or "") */
    double value[N_GROUPS];  /* shown value, NaN withheld */
    double lower[N_GROUPS];  /* interval, NaN none */
    double upper[N_GROUPS];
    char text[N_GROUPS][40];
    int64_t num[N_GROUPS];   /* exact, for the transition ratios */
    int64_t den[N_GROUPS];
    double per;
} series;

static void draw_series(rp_ctx *c, const series *s, const char *caption)
{
    int width = 760, height = 300, left = 90, right = 30, top = 50, bottom = 70;
    double hi = 0;
    for (int g = 0; g < N_GROUPS; g++) {
        double v = isnan(s->upper[g]) ? s->value[g] : s->upper[g];
        if (!isnan(v) && v > hi)
            hi = v;
    }
    double lo = 0, ticks[12];
    size_t nt = rp_nice_ticks(&lo, &hi, 6, 1, ticks);
    rp_scale x = {-0.5, N_GROUPS - 0.5, (double)left, (double)(width - right), 0};
    rp_scale y = {0, hi > 0 ? hi : 1, (double)(height - bottom), (double)top, 0};
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, s->title, caption);
    double mid = rp_scale_map(&x, 6.5);
    rp_svg_rect(b, mid, top, width - right - mid, height - bottom - top, "#f1f1f1", NULL);
    rp_svg_text(b, (left + mid) / 2, top - 6, "middle", "fill=\"#555\"", "Primary school");
    rp_svg_text(b, (mid + width - right) / 2, top - 6, "middle", "fill=\"#555\"",
                "Secondary school");
    rp_svg_line(b, mid, top, mid, height - bottom, RP_GREY, 1.5, "5,4");
    rp_svg_text(b, left, 18, "start", "font-weight=\"bold\"", s->title);
    rp_svg_yaxis(b, &y, left, ticks, nt, -1, s->suffix, width - right, s->axis);
    double ticks_x[N_GROUPS];
    const char *labels[N_GROUPS];
    char buf[N_GROUPS][24];
    for (int g = 0; g < N_GROUPS; g++) {
        ticks_x[g] = g;
        snprintf(buf[g], sizeof buf[g], "%s", g == 0 ? "R" : rp_year_label(g));
        labels[g] = buf[g];
    }
    rp_svg_xaxis(b, &x, height - bottom, ticks_x, N_GROUPS, labels, 0,
                 "School year group (age at the start of the year: 4 in R, 11 in year 7)");
    /* Intervals, then the line through shown points, then the points. */
    for (int g = 0; g < N_GROUPS; g++)
        if (!isnan(s->value[g]) && !isnan(s->lower[g]) && !isnan(s->upper[g])) {
            double px = rp_scale_map(&x, g);
            rp_svg_line(b, px, rp_scale_map(&y, s->lower[g]), px, rp_scale_map(&y, s->upper[g]),
                        RP_SKY, 2, NULL);
        }
    rp_buf_puts(b, "<polyline fill=\"none\" stroke=\"" RP_BLUE "\" stroke-width=\"2\" points=\"");
    int any = 0;
    for (int g = 0; g < N_GROUPS; g++)
        if (!isnan(s->value[g])) {
            rp_buf_printf(b, "%s%.1f,%.1f", any ? " " : "", rp_scale_map(&x, g),
                          rp_scale_map(&y, s->value[g]));
            any = 1;
        }
    rp_buf_puts(b, "\"/>\n");
    for (int g = 0; g < N_GROUPS; g++) {
        double px = rp_scale_map(&x, g);
        if (!isnan(s->value[g]))
            rp_svg_circle(b, px, rp_scale_map(&y, s->value[g]), 4, RP_BLUE, NULL);
        else
            rp_svg_text(b, px, height - bottom - 6, "middle", "font-size=\"10\" fill=\"#555\"",
                        s->text[g]);
    }
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>");
    rp_buf_html(b, caption);
    rp_buf_puts(b, "</figcaption></figure>\n");
}

/* Pooled rate of groups [a, b] from the exact counts. */
static double pooled(const series *s, int a, int b)
{
    int64_t num = 0, den = 0;
    for (int g = a; g <= b; g++) {
        num += s->num[g];
        den += s->den[g];
    }
    return den > 0 ? (double)num / (double)den * s->per : NAN;
}

static void add_transition(rp_ctx *c, rp_table *t, const series *s, const char *name)
{
    rp_table_text(t, name);
    rp_table_text(t, s->text[6]);
    rp_table_text(t, s->text[7]);
    /* Ratios from exact rates, published only when both rates are. */
    if (!isnan(s->value[6]) && !isnan(s->value[7]) && s->num[6] > 0)
        rp_table_value(t, ((double)s->num[7] / (double)s->den[7]) /
                              ((double)s->num[6] / (double)s->den[6]), 2);
    else
        rp_table_text(t, "");
    int ok = 1;
    for (int g = 5; g <= 8; g++)
        if (isnan(s->value[g])) ok = 0;
    double a = pooled(s, 5, 6), b = pooled(s, 7, 8);
    if (ok && a > 0)
        rp_table_value(t, b / a, 2);
    else
        rp_table_text(t, "");
    (void)c;
}

/* Per child, the first census index (children sorted), or -1. */
static cl_status census_index(rp_ctx *c, int32_t **start)
{
    const rp_data *d = &c->data;
    *start = cl_malloc((d->nchildren + 1) * sizeof **start);
    if (*start == NULL)
        return rp_nomem(c);
    for (size_t i = 0; i <= d->nchildren; i++)
        (*start)[i] = -1;
    for (size_t i = d->ncensus; i-- > 0;)
        (*start)[d->census[i].child] = (int32_t)i;
    return CL_OK;
}

/* The census group of `child` in school year `year`, or -1. */
static int group_in_year(const rp_data *d, const int32_t *start, int32_t child, int year)
{
    int32_t i = start[child];
    if (i < 0)
        return -1;
    for (size_t k = (size_t)i; k < d->ncensus && d->census[k].child == child; k++)
        if (d->census[k].year == year)
            return d->census[k].group;
    return -1;
}

static void rate_series(rp_ctx *c, series *s, const int64_t *events, const int64_t *pupils)
{
    for (int g = 0; g < N_GROUPS; g++) {
        s->num[g] = events[g];
        s->den[g] = pupils[g];
        s->per = 1000;
        s->value[g] = rp_rate_text(c, events[g], pupils[g], 1000, 0, s->text[g],
                                   sizeof s->text[g]);
        s->lower[g] = s->upper[g] = NAN;
        cl_stats_interval ci;
        if (!isnan(s->value[g]) && pupils[g] > 0 &&
            cl_stats_poisson_exact((uint64_t)events[g], 0.95, &ci, NULL) == CL_OK) {
            s->lower[g] = ci.lower / (double)pupils[g] * 1000;
            s->upper[g] = ci.upper / (double)pupils[g] * 1000;
        }
    }
}

cl_status rp_analysis_critical_points(rp_ctx *c)
{
    const rp_data *d = &c->data;
    rp_section_begin(c, "critical_points", "3. Critical points: the move to secondary school");
    if (!d->have_census || d->ncensus == 0) {
        rp_buf_puts(&c->body, "<p class=\"skip\">Skipped: needs the school census "
                              "(npd_census with child_id, NCyearActual and AcademicYear).</p>\n");
        rp_section_end(c);
        c->analyses_skipped++;
        return CL_OK;
    }
    int32_t *start = NULL;
    cl_status st = census_index(c, &start);
    if (st != CL_OK) {
        rp_section_end(c);
        return st;
    }
    int64_t pupils[N_GROUPS] = {0}, adm[N_GROUPS] = {0}, ref[N_GROUPS] = {0};
    int64_t possible[N_GROUPS] = {0}, missed[N_GROUPS] = {0}, abs_pupils[N_GROUPS] = {0};
    for (size_t i = 0; i < d->ncensus; i++) {
        const rp_pupil_year *p = &d->census[i];
        if (i > 0 && d->census[i - 1].child == p->child && d->census[i - 1].year == p->year)
            continue;   /* one per child and school year */
        pupils[p->group]++;
    }
    for (size_t i = 0; i < d->nabsence; i++) {
        const rp_absence *a = &d->absence[i];
        possible[a->group] += a->possible;
        missed[a->group] += a->missed;
        if (!(i > 0 && d->absence[i - 1].child == a->child && d->absence[i - 1].year == a->year))
            abs_pupils[a->group]++;
    }
    const rp_codelist *emergency = rp_list(c, "emergency_admission");
    int methods_known = 0;
    for (size_t i = 0; i < d->nadmissions; i++)
        if (d->admissions[i].method[0]) methods_known = 1;
    for (size_t i = 0; i < d->nadmissions; i++) {
        const rp_admission *a = &d->admissions[i];
        if (methods_known && !(emergency && rp_codelist_match_admimeth(emergency, a->method)))
            continue;
        int g = group_in_year(d, start, a->child, rp_academic_year(a->day));
        if (g >= 0)
            adm[g]++;
    }
    for (size_t i = 0; i < d->ncamhs; i++) {
        int g = group_in_year(d, start, d->camhs[i].child, rp_academic_year(d->camhs[i].day));
        if (g >= 0)
            ref[g]++;
    }
    cl_free(start);

    series absence, admissions, referrals;
    memset(&absence, 0, sizeof absence);
    memset(&admissions, 0, sizeof admissions);
    memset(&referrals, 0, sizeof referrals);
    absence.title = "Absence rate by school year";
    absence.axis = "Sessions missed (%)";
    absence.suffix = "%";
    absence.per = 100;
    for (int g = 0; g < N_GROUPS; g++) {
        absence.num[g] = missed[g];
        absence.den[g] = possible[g];
        absence.lower[g] = absence.upper[g] = NAN;
        if (abs_pupils[g] < c->sdc.threshold) {
            /* Sessions are many per pupil: the rule is on pupils. */
            snprintf(absence.text[g], sizeof absence.text[g], "%s", rp_withheld(c));
            absence.value[g] = NAN;
        } else {
            absence.value[g] = rp_rate_text(c, missed[g], possible[g], 100, 0, absence.text[g],
                                             sizeof absence.text[g]);
        }
    }
    admissions.title = "Emergency hospital admissions by school year";
    admissions.axis = "Per 1,000 pupils";
    rate_series(c, &admissions, adm, pupils);
    referrals.title = "Mental-health (CAMHS) referrals by school year";
    referrals.axis = "Per 1,000 pupils";
    rate_series(c, &referrals, ref, pupils);

    rp_buf_puts(&c->body, "<p>Rates by school year group for pupils in the spring school "
                          "census. The shaded part of each chart is secondary school (years "
                          "7 to 11); a step at the dashed line is the move from primary to "
                          "secondary school.</p>\n");
    rp_table *t = rp_new_table(c, "critical_points", "Absence, emergency admissions and "
                               "mental-health referrals by school year group",
                               critical_cols, 12);
    rp_table *tt = rp_new_table(c, "critical_points_transition",
                                "The move to secondary school: year 7 against year 6",
                                transition_cols, 5);
    if (t == NULL || tt == NULL) {
        rp_section_end(c);
        return c->err->code;
    }
    for (int g = 0; g < N_GROUPS; g++) {
        rp_table_text(t, rp_year_label(g));
        rp_table_printf(t, "%d-%d", g + 4, g + 5);
        rp_table_count(t, c, pupils[g]);
        rp_table_text(t, d->have_absence ? absence.text[g] : "");
        rp_table_count(t, c, adm[g]);
        rp_table_text(t, admissions.text[g]);
        rp_table_value(t, admissions.lower[g], 1);
        rp_table_value(t, admissions.upper[g], 1);
        rp_table_count(t, c, ref[g]);
        rp_table_text(t, referrals.text[g]);
        rp_table_value(t, referrals.lower[g], 1);
        rp_table_value(t, referrals.upper[g], 1);
    }
    if (d->have_absence) {
        draw_series(c, &absence, "Sessions missed as a percentage of sessions possible, all "
                                 "pupils with an absence record in that school year.");
        add_transition(c, tt, &absence, "absence_pct");
    } else {
        rp_buf_puts(&c->body, "<p class=\"skip\">Absence not shown: no npd_absence table with "
                              "SessionsPossible and sessions missed.</p>\n");
    }
    if (d->have_admissions) {
        draw_series(c, &admissions,
                    methods_known ? "Emergency admissions (admission methods in the "
                                    "emergency_admission code list) per 1,000 pupils per school "
                                    "year, with exact Poisson 95% intervals."
                                  : "All admissions (the database holds no admission method) "
                                    "per 1,000 pupils per school year, with exact Poisson 95% "
                                    "intervals.");
        add_transition(c, tt, &admissions, "admissions_per_1000");
    } else {
        rp_buf_puts(&c->body, "<p class=\"skip\">Admissions not shown: no hes_apc table with "
                              "ADMIDATE.</p>\n");
    }
    if (d->have_camhs) {
        draw_series(c, &referrals, "Referrals to child and adolescent mental health services "
                                   "per 1,000 pupils per school year, with exact Poisson 95% "
                                   "intervals.");
        add_transition(c, tt, &referrals, "referrals_per_1000");
    } else {
        rp_buf_puts(&c->body, "<p class=\"skip\">Mental-health referrals not shown: no camhs "
                              "table with REFERRAL_DATE.</p>\n");
    }
    rp_show_table(c, tt, 1);
    rp_show_table(c, t, 0);
    rp_section_end(c);
    return CL_OK;
}
