/*
 * report_lottery.c - analysis 4: the postcode lottery.  When do children
 * with Down's syndrome get an education, health and care (EHC) plan, and
 * does it depend on the local authority?
 *
 * Cohort: children with a hes_apc diagnosis in the downs_syndrome code list
 * (ICD-10 Q90) and at least one spring census record.  Each child belongs to
 * the authority (npd_census.LA) of the school of their first census record.
 * Time is the school year group (reception 0 to year 11); the event is the
 * first census record with SENprovision 'E' (an EHC plan: SEN support, 'K',
 * is given to nearly every child with Down's syndrome from school entry, so
 * the plan is the provision that varies); a child without one is censored at
 * their last census record.
 *
 * Kaplan-Meier curves per authority (cl_stats_km), drawn as the percentage
 * with a plan.  Disclosure control for curves: an authority with fewer
 * children than the threshold gets no curve; a drop of the published curve is
 * made only once the events since the last published drop reach the
 * threshold (smaller steps are carried forward), so no drop reveals a small
 * number of children; children at risk are published rounded.
 *
 * Funnel plot: per authority, the share of children seen in the reception
 * census who had a plan there (a plan at school entry, the point by which a
 * child whose needs are known from birth should have one), against the
 * overall share, with exact binomial 95% and 99.8% limits (cl_stats_funnel_*).
 * Authorities outside the 99.8% limits are named as outliers.  Published
 * limits are those at the published (rounded) number of children, so they do
 * not give the exact number away; the classification uses the exact one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/stats.h"
#include "report_internal.h"

#define MILESTONE 0      /* the funnel's year group: "a plan in reception" */
#define MAX_PANELS 60    /* authorities drawn as small multiples */

typedef struct km_child {
    int32_t la;
    double time;         /* year group of the event or of censoring */
    unsigned char event;
    signed char milestone;   /* -1 not seen at MILESTONE; 0 seen, no plan by then; 1 plan */
} km_child;

/* A published curve: the steps kept by the disclosure rule. */
typedef struct curve {
    size_t subjects;
    size_t events;
    int shown;                   /* enough children to publish */
    size_t nsteps;
    double time[16];
    double with_plan[16];        /* 100 (1 - S) */
    double lower[16], upper[16]; /* interval of 100 (1 - S) */
    int64_t at_risk[16];
    cl_stats_km_summary summary;
} curve;

static const rp_column km_cols[] = {
    {"local_authority", "local authority", RP_LABEL},
    {"year_group", "school year", RP_LABEL},
    {"age", "age at start of year", RP_LABEL},
    {"n_at_risk", "children at risk", RP_COUNT},
    {"pct_with_plan", "% with an EHC plan", RP_VALUE},
    {"lower_95", "lower 95%", RP_VALUE},
    {"upper_95", "upper 95%", RP_VALUE},
};

static const rp_column median_cols[] = {
    {"local_authority", "local authority", RP_LABEL},
    {"n_children", "children", RP_COUNT},
    {"n_with_plan", "with an EHC plan", RP_COUNT},
    {"median_year_group", "median school year at first plan", RP_VALUE},
    {"median_age", "median age (start of year)", RP_VALUE},
    {"median_lower_95", "lower 95%", RP_VALUE},
    {"median_upper_95", "upper 95%", RP_VALUE},
};

static const rp_column funnel_cols[] = {
    {"local_authority", "local authority", RP_LABEL},
    {"n_children", "children seen in reception", RP_COUNT},
    {"n_with_plan", "with an EHC plan in reception", RP_COUNT},
    {"pct_with_plan", "%", RP_RATE},
    {"lower_99_8", "lower 99.8%", RP_VALUE},
    {"lower_95", "lower 95%", RP_VALUE},
    {"upper_95", "upper 95%", RP_VALUE},
    {"upper_99_8", "upper 99.8%", RP_VALUE},
    {"position", "position", RP_LABEL},
    {"late_outlier", "named outlier (below 99.8%)", RP_LABEL},
};

static const rp_column limit_cols[] = {
    {"denominator", "children", RP_VALUE},
    {"target_pct", "overall %", RP_VALUE},
    {"lower_99_8", "lower 99.8%", RP_VALUE},
    {"lower_95", "lower 95%", RP_VALUE},
    {"upper_95", "upper 95%", RP_VALUE},
    {"upper_99_8", "upper 99.8%", RP_VALUE},
};

/* Kaplan-Meier for the children of authority `la` (-1: all), published by
 * the rule in the file comment. */
static cl_status fit_curve(rp_ctx *c, const km_child *kids, size_t n, int32_t la, curve *out,
                           double *time, unsigned char *event, cl_stats_km_step *steps)
{
    memset(out, 0, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (la < 0 || kids[i].la == la) {
            time[m] = kids[i].time;
            event[m] = kids[i].event;
            m++;
        }
    out->subjects = m;
    cl_status st = cl_stats_km(time, event, m, 0.95, steps, m ? m : 1, &out->summary, c->err);
    if (st != CL_OK)
        return st;
    out->events = (size_t)out->summary.events;
    out->shown = (int64_t)m >= c->sdc.threshold;
    if (!out->shown)
        return CL_OK;
    uint64_t pending = 0;
    for (size_t i = 0; i < out->summary.steps && out->nsteps < 16; i++) {
        pending += steps[i].events;
        if ((int64_t)pending < c->sdc.threshold)
            continue;
        pending = 0;
        size_t k = out->nsteps++;
        out->time[k] = steps[i].time;
        out->with_plan[k] = 100.0 * (1.0 - steps[i].survival);
        out->lower[k] = isnan(steps[i].upper) ? NAN : 100.0 * (1.0 - steps[i].upper);
        out->upper[k] = isnan(steps[i].lower) ? NAN : 100.0 * (1.0 - steps[i].lower);
        out->at_risk[k] = (int64_t)steps[i].at_risk;
    }
    return CL_OK;
}

static void step_path(rp_buf *b, const rp_scale *x, const rp_scale *y, const curve *cv,
                      double end, const char *colour, double width)
{
    rp_buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" d=\"M%.1f,%.1f",
                  colour, width, rp_scale_map(x, -0.5), rp_scale_map(y, 0));
    double level = 0;
    for (size_t k = 0; k < cv->nsteps; k++) {
        rp_buf_printf(b, " H%.1f V%.1f", rp_scale_map(x, cv->time[k] - 0.5),
                      rp_scale_map(y, cv->with_plan[k]));
        level = cv->with_plan[k];
    }
    rp_buf_printf(b, " H%.1f\"/>\n", rp_scale_map(x, end + 0.5));
    (void)level;
}

static void draw_panels(rp_ctx *c, char **names, const size_t *order, const curve *curves,
                        size_t nla, const curve *all, const signed char *outlier)
{
    size_t shown = 0;
    for (size_t i = 0; i < nla; i++)
        if (curves[i].shown) shown++;
    if (shown > MAX_PANELS)
        shown = MAX_PANELS;
    if (shown == 0)
        return;
    int cols = 4, pw = 190, ph = 165, left = 64, top = 48;
    int rows = (int)((shown + (size_t)cols - 1) / (size_t)cols);
    int width = left + cols * pw + 10, height = top + rows * (ph + 34) + 20;
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height,
                 "Children with Down's syndrome who have an EHC plan, by school year and "
                 "local authority",
                 "Kaplan-Meier estimate of the percentage with an EHC plan, one panel per "
                 "local authority, with all authorities in grey");
    double lx = left;
    rp_svg_text(b, left, 16, "start", "font-weight=\"bold\"",
                "% with an EHC plan, by school year (Kaplan-Meier)");
    lx = rp_svg_legend(b, left, 36, RP_BLUE, 1, NULL, "this authority");
    lx = rp_svg_legend(b, lx, 36, RP_VERMILLION, 1, NULL, "outlier in the funnel plot");
    rp_svg_legend(b, lx, 36, "#bbbbbb", 1, NULL, "all authorities");
    size_t p = 0;
    for (size_t o = 0; o < nla && p < shown; o++) {
        size_t i = order[o];
        if (!curves[i].shown)
            continue;
        int col = (int)(p % (size_t)cols), row = (int)(p / (size_t)cols);
        double x0 = left + col * pw, y0 = top + row * (ph + 34) + 24;
        rp_scale x = {-0.5, 11.5, x0 + 8, x0 + pw - 14, 0};
        rp_scale y = {0, 100, y0 + ph - 40, y0 + 6, 0};
        rp_svg_rect(b, x0 + 8, y0 + 6, pw - 22, ph - 46, "#fafafa", "stroke=\"#cccccc\"");
        char title[96];
        snprintf(title, sizeof title, "LA %s", names[i]);
        rp_svg_text(b, x0 + 8, y0 - 2, "start", "font-weight=\"bold\"", title);
        for (int t = 0; t <= 100; t += 50) {
            char lab[16];
            snprintf(lab, sizeof lab, "%d%%", t);
            if (col == 0)
                rp_svg_text(b, x0 + 2, rp_scale_map(&y, t) + 4, "end", "font-size=\"11\"", lab);
            rp_svg_line(b, x0 + 8, rp_scale_map(&y, t), x0 + pw - 14, rp_scale_map(&y, t),
                        "#e6e6e6", 1, NULL);
        }
        step_path(b, &x, &y, all, 11, "#bbbbbb", 2);
        step_path(b, &x, &y, &curves[i], 11, outlier[i] ? RP_VERMILLION : RP_BLUE, 2.5);
        for (int g = 0; g <= 10; g += 2) {
            rp_svg_line(b, rp_scale_map(&x, g), y0 + ph - 40, rp_scale_map(&x, g),
                        y0 + ph - 36, RP_INK, 1, NULL);
            rp_svg_text(b, rp_scale_map(&x, g), y0 + ph - 24, "middle", "font-size=\"11\"",
                        rp_year_label(g));
        }
        rp_svg_text(b, (x.p0 + x.p1) / 2, y0 + ph - 9, "middle", "font-size=\"11\"",
                    "school year");
        p++;
    }
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>Each panel: the Kaplan-Meier estimate of the percentage of "
                   "children with Down's syndrome who have an EHC plan, by school year group "
                   "(R = reception, age 4). A curve rises only once at least as many children as "
                   "the disclosure threshold have had their plan since its last rise; "
                   "authorities with too few children have no panel.</figcaption></figure>\n");
}

typedef struct funnel_unit {
    int64_t n, events;
    double shown_n, shown_pct;   /* published; shown_pct NaN when withheld */
    int assessed;                /* n at or above the threshold */
    cl_stats_funnel_class cls;
} funnel_unit;

/* A named point of the funnel plot, for placing its label. */
typedef struct funnel_label {
    double px, py;
    size_t unit;
} funnel_label;

static const char *class_colour(cl_stats_funnel_class cls)
{
    switch (cls) {
    case CL_STATS_FUNNEL_BELOW_998: return RP_VERMILLION;
    case CL_STATS_FUNNEL_BELOW_95: return RP_ORANGE;
    case CL_STATS_FUNNEL_ABOVE_998:
    case CL_STATS_FUNNEL_ABOVE_95: return RP_GREEN;
    default: return RP_BLUE;
    }
}

static cl_status draw_funnel(rp_ctx *c, char **names, const funnel_unit *u, size_t nla,
                             double p0, rp_table *limits)
{
    double nmax = 0;
    for (size_t i = 0; i < nla; i++)
        if (u[i].assessed && !isnan(u[i].shown_n) && u[i].shown_n > nmax)
            nmax = u[i].shown_n;
    if (nmax <= 0)
        return CL_OK;
    double lo = 0, hi = nmax * 1.1, xt[12];
    size_t nxt = rp_nice_ticks(&lo, &hi, 7, 1, xt);
    int width = 760, height = 440, left = 80, right = 150, top = 72, bottom = 64;
    rp_scale x = {0, hi, (double)left, (double)(width - right), 0};
    rp_scale y = {0, 100, (double)(height - bottom), (double)top, 0};
    double yt[] = {0, 20, 40, 60, 80, 100};
    cl_stats_funnel_limits grid[80];
    size_t ngrid = 0;
    uint64_t gmin = (uint64_t)(c->sdc.threshold > 1 ? c->sdc.threshold : 2);
    uint64_t gmax = (uint64_t)ceil(hi);
    if (gmax <= gmin)
        gmax = gmin + 1;
    if (cl_stats_funnel_grid(p0, gmin, gmax, 1.0, grid, 80, &ngrid, c->err) != CL_OK)
        return c->err->code;
    for (size_t i = 0; i < ngrid; i++) {
        rp_table_value(limits, (double)grid[i].denominator, 0);
        rp_table_value(limits, 100 * p0, 1);
        rp_table_value(limits, 100 * grid[i].exact.lower_998, 1);
        rp_table_value(limits, 100 * grid[i].exact.lower_95, 1);
        rp_table_value(limits, 100 * grid[i].exact.upper_95, 1);
        rp_table_value(limits, 100 * grid[i].exact.upper_998, 1);
    }
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, "Funnel plot: EHC plan in reception, by local authority",
                 "Percentage of children with Down's syndrome with an EHC plan in reception "
                 "against the number of such children, with 95% and 99.8% control limits");
    rp_svg_text(b, left, 16, "start", "font-weight=\"bold\"",
                "% with an EHC plan in reception, against children in the authority");
    double lx = rp_svg_legend(b, left, 36, RP_INK, 1, "6,4", "overall");
    lx = rp_svg_legend(b, lx, 36, RP_GREY, 1, NULL, "95% limits");
    rp_svg_legend(b, lx, 36, RP_INK, 1, "2,3", "99.8% limits");
    lx = rp_svg_legend(b, left, 56, RP_VERMILLION, 0, NULL, "below 99.8% (named)");
    lx = rp_svg_legend(b, lx, 56, RP_ORANGE, 0, NULL, "below 95%");
    lx = rp_svg_legend(b, lx, 56, RP_BLUE, 0, NULL, "within");
    rp_svg_legend(b, lx, 56, RP_GREEN, 0, NULL, "above 95% or 99.8%");
    rp_svg_yaxis(b, &y, left, yt, 6, 0, "%", width - right, "% with an EHC plan in reception");
    rp_svg_xaxis(b, &x, height - bottom, xt, nxt, NULL, 0,
                 "Children with Down's syndrome seen in reception");
    /* Limits as polylines over the grid. */
    const char *colours[4] = {RP_INK, RP_GREY, RP_GREY, RP_INK};
    const char *dashes[4] = {"2,3", NULL, NULL, "2,3"};
    for (int k = 0; k < 4; k++) {
        rp_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s%s%s "
                         "points=\"",
                      colours[k], dashes[k] ? " stroke-dasharray=\"" : "",
                      dashes[k] ? dashes[k] : "", dashes[k] ? "\"" : "");
        for (size_t i = 0; i < ngrid; i++) {
            const cl_stats_funnel_band *band = &grid[i].exact;
            double v = k == 0 ? band->lower_998 : k == 1 ? band->lower_95
                     : k == 2 ? band->upper_95 : band->upper_998;
            rp_buf_printf(b, "%s%.1f,%.1f", i ? " " : "",
                          rp_scale_map(&x, (double)grid[i].denominator),
                          rp_scale_map(&y, 100 * v));
        }
        rp_buf_puts(b, "\"/>\n");
    }
    rp_svg_line(b, left, rp_scale_map(&y, 100 * p0), width - right, rp_scale_map(&y, 100 * p0),
                RP_INK, 1.5, "6,4");
    /* Units: a dot where the share is published, a range bar where it is
     * withheld (it must lie between 1 and threshold-1 children of n, or
     * leave that few out). */
    funnel_label lab[64];
    size_t nlabels = 0;
    for (size_t i = 0; i < nla; i++) {
        if (!u[i].assessed || isnan(u[i].shown_n))
            continue;   /* too small, or its number withheld to protect another */
        double px = rp_scale_map(&x, u[i].shown_n);
        const char *colour = class_colour(u[i].cls);
        double py;
        if (!isnan(u[i].shown_pct)) {
            py = rp_scale_map(&y, u[i].shown_pct);
            rp_svg_circle(b, px, py, 5, colour, "#ffffff");
        } else {
            double t = (double)(c->sdc.threshold - 1);
            double low = u[i].events * 2 < u[i].n ? 100.0 / u[i].shown_n
                                                   : 100.0 * (1 - t / u[i].shown_n);
            double high = u[i].events * 2 < u[i].n ? 100.0 * t / u[i].shown_n : 100.0;
            if (low < 0) low = 0;
            if (high > 100) high = 100;
            rp_svg_line(b, px, rp_scale_map(&y, low), px, rp_scale_map(&y, high), colour, 4,
                        NULL);
            py = rp_scale_map(&y, (low + high) / 2);
            rp_svg_circle(b, px, py, 5, "#ffffff", colour);
        }
        if (u[i].cls == CL_STATS_FUNNEL_BELOW_998 && nlabels < 64) {
            lab[nlabels].px = px;
            lab[nlabels].py = py;
            lab[nlabels].unit = i;
            nlabels++;
        }
    }
    /* Name the late outliers in the right margin with leader lines (labels
     * beside the points would collide with each other and the axis): from
     * the lowest point up, each label at its point's height or a line above
     * the label below it; of points at one height the rightmost is lowest. */
    for (size_t i = 1; i < nlabels; i++)
        for (size_t j = i; j > 0; j--) {
            const funnel_label *a = &lab[j - 1], *bb = &lab[j];
            if (a->py > bb->py || (a->py == bb->py && a->px >= bb->px))
                break;
            funnel_label t = lab[j];
            lab[j] = lab[j - 1];
            lab[j - 1] = t;
        }
    double ly[64];
    for (size_t k = 0; k < nlabels; k++) {
        ly[k] = lab[k].py + 4;
        if (k > 0 && ly[k] > ly[k - 1] - 15)
            ly[k] = ly[k - 1] - 15;
    }
    double label_x = width - right + 24;
    for (size_t k = 0; k < nlabels; k++) {
        char text[96];
        snprintf(text, sizeof text, "LA %s", names[lab[k].unit]);
        rp_svg_line(b, lab[k].px + 6, lab[k].py, label_x - 4, ly[k] - 4, RP_VERMILLION, 1, NULL);
        rp_svg_text(b, label_x, ly[k], "start", "font-weight=\"bold\" fill=\"" RP_VERMILLION "\"",
                    text);
    }
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>Each point is a local authority: the share of its children "
                   "with Down's syndrome seen in the reception census who had an EHC plan there. "
                   "Dashed line: the overall share; grey: 95% limits; dotted: 99.8% limits "
                   "(exact binomial). Points below the lower 99.8% limit (later provision than "
                   "overall) are named. A bar instead "
                   "of a point: the share is withheld (few children with, or without, a plan) "
                   "and lies within the bar. Authorities with fewer children than the "
                   "disclosure threshold are not shown.</figcaption></figure>\n");
    return CL_OK;
}

cl_status rp_analysis_postcode_lottery(rp_ctx *c)
{
    const rp_data *d = &c->data;
    rp_section_begin(c, "postcode_lottery", "4. Postcode lottery: Down's syndrome and EHC plans");
    int has_sen = 0, has_la = 0;
    for (size_t i = 0; i < d->ncensus; i++) {
        if (d->census[i].sen) has_sen = 1;
        if (d->census[i].la >= 0) has_la = 1;
    }
    const rp_codelist *downs = rp_list(c, "downs_syndrome");
    if (!d->have_census || !has_sen || !has_la || !d->have_admissions || downs == NULL ||
        downs->ndiag == 0) {
        rp_buf_puts(&c->body, "<p class=\"skip\">Skipped: needs hospital admissions (hes_apc "
                              "with diagnoses) to find children with Down's syndrome, and the "
                              "school census (npd_census) with SENprovision and LA.</p>\n");
        rp_section_end(c);
        c->analyses_skipped++;
        return CL_OK;
    }
    cl_status st = CL_OK;
    int32_t *first = cl_malloc((d->nchildren ? d->nchildren : 1) * sizeof *first);
    km_child *kids = cl_calloc(d->nchildren ? d->nchildren : 1, sizeof *kids);
    double *time = NULL;
    unsigned char *event = NULL;
    cl_stats_km_step *steps = NULL;
    curve *curves = cl_calloc(d->nlas + 1, sizeof *curves);
    funnel_unit *units = cl_calloc(d->nlas + 1, sizeof *units);
    signed char *outlier = cl_calloc(d->nlas + 1, 1);
    uint64_t *fn = cl_calloc(d->nlas + 1, sizeof *fn), *fe = cl_calloc(d->nlas + 1, sizeof *fe);
    if (first == NULL || kids == NULL || curves == NULL || units == NULL || outlier == NULL ||
        fn == NULL || fe == NULL) {
        st = rp_nomem(c);
        goto done;
    }
    rp_first_diagnosis(d, downs, first);
    size_t nkids = 0, no_la = 0;
    for (size_t i = 0; i < d->ncensus;) {
        int32_t ch = d->census[i].child;
        size_t j = i;
        while (j < d->ncensus && d->census[j].child == ch)
            j++;
        if (first[ch] != RP_NO_DAY) {
            const rp_pupil_year *p0 = &d->census[i];
            if (p0->la < 0) {
                no_la++;
            } else {
                km_child *k = &kids[nkids++];
                k->la = p0->la;
                k->milestone = -1;
                int last = p0->group, plan_by_milestone = 0;
                for (size_t r = i; r < j; r++) {
                    const rp_pupil_year *p = &d->census[r];
                    if (p->group > last) last = p->group;
                    if (p->sen == 'E' && !k->event) {
                        k->event = 1;
                        k->time = p->group;
                    }
                    if (p->sen == 'E' && p->group <= MILESTONE) plan_by_milestone = 1;
                    if (p->group == MILESTONE) k->milestone = 0;
                }
                if (!k->event)
                    k->time = last;
                if (k->milestone == 0 && plan_by_milestone)
                    k->milestone = 1;
            }
        }
        i = j;
    }
    if (nkids == 0) {
        rp_buf_puts(&c->body, "<p class=\"skip\">Skipped: no child with Down's syndrome "
                              "(downs_syndrome code list) has a school census record.</p>\n");
        c->analyses_skipped++;
        goto done;
    }
    time = cl_malloc(nkids * sizeof *time);
    event = cl_malloc(nkids);
    steps = cl_malloc(nkids * sizeof *steps);
    if (time == NULL || event == NULL || steps == NULL) {
        st = rp_nomem(c);
        goto done;
    }
    /* Authorities in label order (numeric labels by value). */
    size_t *order = cl_malloc((d->nlas ? d->nlas : 1) * sizeof *order);
    if (order == NULL) {
        st = rp_nomem(c);
        goto done;
    }
    for (size_t i = 0; i < d->nlas; i++)
        order[i] = i;
    for (size_t i = 1; i < d->nlas; i++)
        for (size_t j = i; j > 0; j--) {
            const char *a = d->las[order[j - 1]], *b2 = d->las[order[j]];
            int cmp = strlen(a) != strlen(b2) ? (strlen(a) > strlen(b2) ? 1 : -1) : strcmp(a, b2);
            if (cmp <= 0)
                break;
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < d->nlas && st == CL_OK; i++)
        st = fit_curve(c, kids, nkids, (int32_t)i, &curves[i], time, event, steps);
    curve all;
    if (st == CL_OK)
        st = fit_curve(c, kids, nkids, -1, &all, time, event, steps);
    if (st != CL_OK) {
        cl_free(order);
        goto done;
    }
    /* Funnel: exact counts per authority. */
    for (size_t i = 0; i < nkids; i++)
        if (kids[i].milestone >= 0) {
            fn[kids[i].la]++;
            fe[kids[i].la] += (uint64_t)kids[i].milestone;
        }
    uint64_t total_n = 0;
    for (size_t i = 0; i < d->nlas; i++)
        total_n += fn[i];
    double p0 = NAN, phi = NAN;
    if (total_n > 0) {
        /* Units with no child seen in reception carry no information. */
        uint64_t *cn = cl_malloc(d->nlas * sizeof *cn), *ce = cl_malloc(d->nlas * sizeof *ce);
        double *work = cl_malloc(d->nlas * sizeof *work);
        size_t m = 0;
        if (cn == NULL || ce == NULL || work == NULL) {
            cl_free(cn);
            cl_free(ce);
            cl_free(work);
            cl_free(order);
            st = rp_nomem(c);
            goto done;
        }
        for (size_t i = 0; i < d->nlas; i++)
            if (fn[i]) {
                cn[m] = fn[i];
                ce[m] = fe[i];
                m++;
            }
        st = cl_stats_funnel_target(ce, cn, m, &p0, c->err);
        if (st == CL_OK && p0 > 0 && p0 < 1 &&
            cl_stats_funnel_overdispersion(ce, cn, m, p0, 0.1, work, &phi, NULL) != CL_OK)
            phi = NAN;
        cl_free(cn);
        cl_free(ce);
        cl_free(work);
        if (st != CL_OK) {
            cl_free(order);
            goto done;
        }
        for (size_t i = 0; i < d->nlas && st == CL_OK; i++) {
            funnel_unit *u = &units[i];
            u->n = (int64_t)fn[i];
            u->events = (int64_t)fe[i];
            u->assessed = u->n >= c->sdc.threshold;
            u->cls = CL_STATS_FUNNEL_WITHIN;
            if (u->assessed)
                st = cl_stats_funnel_classify(p0, fe[i], fn[i], 1.0, CL_STATS_FUNNEL_EXACT,
                                              &u->cls, c->err);
            /* The question is which areas provide late: the named outliers
             * are those below the lower 99.8% limit. */
            outlier[i] = u->assessed && u->cls == CL_STATS_FUNNEL_BELOW_998;
        }
        if (st != CL_OK) {
            cl_free(order);
            goto done;
        }
    }

    /* ---- write the section ---- */
    char nk[40];
    rp_count_text(c, (int64_t)nkids, nk, sizeof nk, NULL);
    rp_buf_printf(&c->body, "<p>%s children with Down's syndrome (a hospital diagnosis in the "
                            "<code>downs_syndrome</code> code list) have a school census "
                            "record. For each, the school year of their first education, health "
                            "and care (EHC) plan, by the local authority of their first "
                            "school.</p>\n",
                  nk);
    rp_table *tk = rp_new_table(c, "lottery_km", "Kaplan-Meier: % with an EHC plan by school "
                                "year and local authority (published steps)", km_cols, 7);
    rp_table *tm = rp_new_table(c, "lottery_medians", "School year at first EHC plan: median "
                                "by local authority", median_cols, 7);
    rp_table *tf = rp_new_table(c, "lottery_funnel", "EHC plan in reception, by local authority, "
                                "against the funnel's control limits", funnel_cols, 10);
    rp_table *tl = rp_new_table(c, "lottery_funnel_limits", "The funnel's control limits "
                                "(exact binomial) by number of children", limit_cols, 6);
    if (tk == NULL || tm == NULL || tf == NULL || tl == NULL) {
        cl_free(order);
        st = c->err->code;
        goto done;
    }
    /* Children and plans per authority are published with their totals
     * (all authorities), so they are protected as one table: no withheld
     * count can be recovered from the total. */
    int64_t *mcounts = cl_calloc(2 * (d->nlas ? d->nlas : 1), sizeof *mcounts);
    if (mcounts == NULL) {
        cl_free(order);
        st = rp_nomem(c);
        goto done;
    }
    for (size_t o = 0; o < d->nlas; o++) {
        mcounts[o * 2] = (int64_t)curves[order[o]].subjects;
        mcounts[o * 2 + 1] = (int64_t)curves[order[o]].events;
    }
    cl_sdc_result *mres = d->nlas ? rp_protect(c, mcounts, d->nlas, 2, 0, 1) : NULL;
    cl_free(mcounts);
    if (d->nlas && mres == NULL) {
        cl_free(order);
        st = c->err->code;
        goto done;
    }
    for (size_t o = 0; o <= d->nlas; o++) {
        size_t i = o < d->nlas ? order[o] : d->nlas;
        const curve *cv = o < d->nlas ? &curves[i] : &all;
        const char *name = o < d->nlas ? d->las[i] : "all authorities";
        rp_table_text(tm, name);
        rp_table_sdc(tm, c, cl_sdc_result_cell(mres, o, 0));
        rp_table_sdc(tm, c, cl_sdc_result_cell(mres, o, 1));
        if (cv->shown && cv->summary.median_reached) {
            rp_table_value(tm, cv->summary.median, 0);
            rp_table_value(tm, cv->summary.median + 4, 0);
        } else {
            rp_table_text(tm, cv->shown ? "not reached" : "");
            rp_table_text(tm, "");
        }
        rp_table_value(tm, cv->shown && cv->summary.median_lower_reached
                               ? cv->summary.median_lower : NAN, 0);
        rp_table_value(tm, cv->shown && cv->summary.median_upper_reached
                               ? cv->summary.median_upper : NAN, 0);
        for (size_t k = 0; k < cv->nsteps; k++) {
            rp_table_text(tk, name);
            rp_table_text(tk, rp_year_label((int)cv->time[k]));
            rp_table_printf(tk, "%d", (int)cv->time[k] + 4);
            rp_table_count(tk, c, cv->at_risk[k]);
            rp_table_value(tk, cv->with_plan[k], 1);
            rp_table_value(tk, cv->lower[k], 1);
            rp_table_value(tk, cv->upper[k], 1);
        }
    }
    cl_sdc_result_free(mres);
    draw_panels(c, d->las, order, curves, d->nlas, &all, outlier);
    rp_show_table(c, tm, 1);
    rp_show_table(c, tk, 0);

    rp_buf_puts(&c->body, "<h3>Funnel plot: EHC plan at school entry (reception)</h3>\n");
    if (total_n == 0 || isnan(p0)) {
        rp_buf_puts(&c->body, "<p class=\"skip\">No child with Down's syndrome was seen in the "
                              "reception census: no funnel plot.</p>\n");
    } else {
        char outliers[1024] = "", early[1024] = "", alerts[1024] = "";
        int64_t *fcounts = cl_calloc(2 * d->nlas, sizeof *fcounts);
        if (fcounts == NULL) {
            cl_free(order);
            st = rp_nomem(c);
            goto done;
        }
        for (size_t o = 0; o < d->nlas; o++) {
            fcounts[o * 2] = units[order[o]].n;
            fcounts[o * 2 + 1] = units[order[o]].events;
        }
        cl_sdc_result *fres = rp_protect(c, fcounts, d->nlas, 2, 0, 1);
        cl_free(fcounts);
        if (fres == NULL) {
            cl_free(order);
            st = c->err->code;
            goto done;
        }
        for (size_t o = 0; o < d->nlas; o++) {
            size_t i = order[o];
            funnel_unit *u = &units[i];
            const cl_sdc_cell *ncell = cl_sdc_result_cell(fres, o, 0);
            u->shown_n = ncell && ncell->status == CL_SDC_SHOWN ? (double)ncell->value_shown
                                                                : NAN;
            char pt[40];
            u->shown_pct = rp_rate_text(c, u->events, u->n, 100, 1, pt, sizeof pt);
            rp_table_text(tf, d->las[i]);
            rp_table_sdc(tf, c, ncell);
            rp_table_sdc(tf, c, cl_sdc_result_cell(fres, o, 1));
            rp_table_text(tf, pt);
            cl_stats_funnel_limits lim;
            if (u->assessed && !isnan(u->shown_n) &&
                cl_stats_funnel_limits_at(p0, (uint64_t)u->shown_n, 1.0, &lim, NULL) == CL_OK) {
                rp_table_value(tf, 100 * lim.exact.lower_998, 1);
                rp_table_value(tf, 100 * lim.exact.lower_95, 1);
                rp_table_value(tf, 100 * lim.exact.upper_95, 1);
                rp_table_value(tf, 100 * lim.exact.upper_998, 1);
                rp_table_text(tf, cl_stats_funnel_class_name(u->cls));
                rp_table_text(tf, outlier[i] ? "yes" : "no");
            } else {
                /* Limits at a withheld number would give it away; an
                 * authority large enough to assess keeps its position. */
                for (int k = 0; k < 4; k++)
                    rp_table_text(tf, "");
                rp_table_text(tf, u->assessed ? cl_stats_funnel_class_name(u->cls)
                                              : "not assessed (too few children)");
                rp_table_text(tf, u->assessed ? (outlier[i] ? "yes" : "no") : "");
            }
            char *list = !u->assessed ? NULL
                       : u->cls == CL_STATS_FUNNEL_BELOW_998 ? outliers
                       : u->cls == CL_STATS_FUNNEL_ABOVE_998 ? early
                       : u->cls != CL_STATS_FUNNEL_WITHIN    ? alerts
                                                             : NULL;
            if (list) {
                size_t len = strlen(list);
                snprintf(list + len, 1024 - len, "%sLA %s%s", len ? ", " : "", d->las[i],
                         list != alerts ? ""
                         : u->cls == CL_STATS_FUNNEL_BELOW_95 ? " (below)" : " (above)");
            }
        }
        char pall[40];
        uint64_t total_e = 0;
        for (size_t i = 0; i < d->nlas; i++)
            total_e += fe[i];
        rp_table_text(tf, "all authorities");
        rp_rate_text(c, (int64_t)total_e, (int64_t)total_n, 100, 1, pall, sizeof pall);
        rp_table_sdc(tf, c, cl_sdc_result_cell(fres, d->nlas, 0));
        rp_table_sdc(tf, c, cl_sdc_result_cell(fres, d->nlas, 1));
        rp_table_text(tf, pall);
        cl_sdc_result_free(fres);
        for (int k = 0; k < 6; k++)
            rp_table_text(tf, "");
        if ((st = draw_funnel(c, d->las, units, d->nlas, p0, tl)) != CL_OK) {
            cl_free(order);
            goto done;
        }
        rp_buf_puts(&c->body, "<p class=\"key\">Outliers, later than overall (below the "
                              "lower 99.8% limit): ");
        rp_buf_html(&c->body, outliers[0] ? outliers : "none");
        rp_buf_puts(&c->body, "</p>\n");
        if (early[0]) {
            rp_buf_puts(&c->body, "<p>Above the upper 99.8% limit (more plans at school entry "
                                  "than overall): ");
            rp_buf_html(&c->body, early);
            rp_buf_puts(&c->body, ".</p>\n");
        }
        if (alerts[0]) {
            rp_buf_puts(&c->body, "<p>Outside the 95% limits only: ");
            rp_buf_html(&c->body, alerts);
            rp_buf_puts(&c->body, ".</p>\n");
        }
        if (!isnan(phi))
            rp_note(c, "Over-dispersion factor (Spiegelhalter, 10%% Winsorised): %.2f. The limits "
                       "are not widened for it; a factor well above 1 means authorities differ "
                       "by more than chance, as the outliers show.", phi);
        rp_show_table(c, tf, 1);
        rp_show_table(c, tl, 0);
    }
    if (no_la) {
        char nl[40];
        rp_count_text(c, (int64_t)no_la, nl, sizeof nl, NULL);
        rp_note(c, "%s children with Down's syndrome had no authority on their first census "
                   "record and are left out.", nl);
    }
    rp_note(c, "Children who join the census after reception enter the analysis at their first "
               "census year (their earlier years are unknown); a child's authority is that of "
               "their first school even after a move.");
    cl_free(order);
done:
    rp_section_end(c);
    cl_free(first);
    cl_free(kids);
    cl_free(time);
    cl_free(event);
    cl_free(steps);
    cl_free(curves);
    cl_free(units);
    cl_free(outlier);
    cl_free(fn);
    cl_free(fe);
    return st;
}
