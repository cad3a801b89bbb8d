/*
 * report_coverage.c - analyses 1 and 2: how well the sources link, and
 * which services know which children.
 *
 * Coverage: a record is "linked to another source" when its child has at
 * least one record in a different source (SQL: the child's COUNT(DISTINCT
 * source) in source_record is over 1).  Per source, the linked and unlinked
 * records form a table with row and column totals, protected as a whole so
 * that no withheld cell can be recovered from the totals; the same for the
 * match-probability bands, and for each subgroup of the spine (sex, year of
 * birth, ethnic group, deprivation decile) that the database fills.  A
 * subgroup whose spine column is empty everywhere is noted, not shown.
 *
 * Who is known to whom: each child's set of domains (health, education,
 * social care, mental health) from the sources of its records; children per
 * combination, one protected column with its total, drawn as an UpSet chart
 * (bars for combinations, dots for the domains in each).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

/* ---- coverage ------------------------------------------------------------ */

#define N_BANDS 7
static const char *const band_names[N_BANDS] = {
    "1", "0.999 to <1", "0.99 to <0.999", "0.95 to <0.99", "0.9 to <0.95", "below 0.9",
    "none (record linked to nothing)"};
static const char *const band_colours[N_BANDS] = {RP_BLUE, RP_SKY, RP_GREEN, "#F0E442",
                                                  RP_ORANGE, RP_VERMILLION, "#bdbdbd"};

static int band_of(float p)
{
    if (isnan(p)) return 6;
    if (p >= 1.0f) return 0;
    if (p >= 0.999f) return 1;
    if (p >= 0.99f) return 2;
    if (p >= 0.95f) return 3;
    if (p >= 0.9f) return 4;
    return 5;
}

/* Per child: 1 when its records come from more than one source. */
static unsigned char *children_in_several_sources(const rp_data *d)
{
    int32_t *first = cl_malloc((d->nchildren ? d->nchildren : 1) * sizeof *first);
    unsigned char *multi = cl_calloc(d->nchildren ? d->nchildren : 1, 1);
    if (first == NULL || multi == NULL) {
        cl_free(first);
        cl_free(multi);
        return NULL;
    }
    for (size_t i = 0; i < d->nchildren; i++)
        first[i] = -1;
    for (size_t r = 0; r < d->nrecords; r++) {
        int32_t ch = d->rec_child[r];
        if (first[ch] < 0)
            first[ch] = d->rec_source[r];
        else if (first[ch] != d->rec_source[r])
            multi[ch] = 1;
    }
    cl_free(first);
    return multi;
}

static const rp_column coverage_cols[] = {
    {"source", "source", RP_LABEL},
    {"domain", "domain", RP_LABEL},
    {"n_records", "records", RP_COUNT},
    {"n_linked", "linked to another source", RP_COUNT},
    {"n_not_linked", "not linked", RP_COUNT},
    {"pct_linked", "% linked", RP_RATE},
};

static const rp_column band_cols[] = {
    {"source", "source", RP_LABEL},
    {"match_probability", "match probability", RP_LABEL},
    {"n_records", "records", RP_COUNT},
};

static const rp_column subgroup_cols[] = {
    {"subgroup", "subgroup", RP_LABEL},
    {"group", "group", RP_LABEL},
    {"source", "source", RP_LABEL},
    {"n_records", "records", RP_COUNT},
    {"pct_linked", "% linked", RP_RATE},
};

/* A dot plot of % linked per source: dots on a scale that need not start at
 * zero (bars would have to). */
static void draw_pct_linked(rp_ctx *c, const rp_data *d, const double *pct, char **text)
{
    double lo = 100, hi = 100;
    for (size_t s = 0; s < d->nsources; s++)
        if (!isnan(pct[s]) && pct[s] < lo)
            lo = pct[s];
    lo = floor(lo - 1);
    if (lo < 0)
        lo = 0;
    double ticks[12];
    size_t nt = rp_nice_ticks(&lo, &hi, 7, 1, ticks);
    if (hi > 100)
        hi = 100;
    int row = 26, top = 30, left = 150, width = 760;
    int height = top + row * (int)d->nsources + 60;
    rp_scale x = {lo, hi, (double)left, (double)width - 90, 0};
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, "Records linked to another source, by source",
                 "Percentage of each source's records whose child also has a record in another "
                 "source");
    rp_svg_text(b, left, 16, "start", "font-weight=\"bold\"",
                "% of records linked to another source");
    for (size_t i = 0; i < nt; i++) {
        double px = rp_scale_map(&x, ticks[i]);
        rp_svg_line(b, px, top - 4, px, top + row * (double)d->nsources, "#e3e3e3", 1, NULL);
    }
    for (size_t s = 0; s < d->nsources; s++) {
        double y = top + row * (double)s + row / 2.0;
        rp_svg_text(b, left - 10, y + 4, "end", NULL, d->sources[s]);
        rp_svg_line(b, left, y, width - 90, y, "#f0f0f0", 1, NULL);
        if (!isnan(pct[s])) {
            double px = rp_scale_map(&x, pct[s]);
            rp_svg_circle(b, px, y, 6, RP_BLUE, NULL);
        }
        char label[48];
        snprintf(label, sizeof label, "%s%s", text[s], isnan(pct[s]) ? " (withheld)" : "%");
        rp_svg_text(b, width - 76, y + 4, "start", NULL, label);
    }
    rp_svg_xaxis(b, &x, top + row * (double)d->nsources + 6, ticks, nt, NULL, -1,
                 "% of the source's records");
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>A record is linked to another source when its child also has "
                   "a record in a different source. Percentages are computed from exact "
                   "counts and withheld where the records, or those not linked, are few."
                   "</figcaption></figure>\n");
}

/* 100% stacked bars of match-probability bands per source, from the
 * published counts; a withheld share is drawn hatched grey. */
static void draw_bands(rp_ctx *c, const rp_data *d, const cl_sdc_result *res)
{
    int row = 24, top = 58, left = 150, width = 760, right = 30;
    int height = top + row * (int)d->nsources + 48;
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, "Match probability of linked records, by source",
                 "Share of each source's records in each band of match probability");
    rp_buf_puts(b, "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" "
                   "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
                   "<rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/>"
                   "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" "
                   "stroke-width=\"2\"/></pattern></defs>\n");
    double lx = left, ly = 16;
    for (int k = 0; k < N_BANDS; k++) {
        if (lx > width - 200) {
            lx = left;
            ly += 18;
        }
        lx = rp_svg_legend(b, lx, ly, band_colours[k], 0, NULL, band_names[k]);
    }
    rp_svg_legend(b, lx > width - 160 ? left : lx, lx > width - 160 ? ly + 18 : ly,
                  "url(#hatch)", 0, NULL, "withheld");
    rp_scale x = {0, 100, (double)left, (double)(width - right), 0};
    for (size_t s = 0; s < d->nsources; s++) {
        double y = top + row * (double)s;
        rp_svg_text(b, left - 10, y + row / 2.0 + 4, "end", NULL, d->sources[s]);
        const cl_sdc_cell *tot = cl_sdc_result_cell(res, s, N_BANDS);
        if (tot == NULL || tot->value_shown <= 0)
            continue;
        double total = (double)tot->value_shown, at = 0, shown = 0;
        for (int k = 0; k < N_BANDS; k++) {
            const cl_sdc_cell *cell = cl_sdc_result_cell(res, s, (size_t)k);
            if (cell && cell->value_shown > 0)
                shown += (double)cell->value_shown;
        }
        /* Rounded cells may add up to a little more than the rounded total. */
        double scale = shown > total ? shown : total;
        for (int k = 0; k < N_BANDS; k++) {
            const cl_sdc_cell *cell = cl_sdc_result_cell(res, s, (size_t)k);
            if (cell == NULL || cell->value_shown <= 0)
                continue;
            double w = 100.0 * (double)cell->value_shown / scale;
            rp_svg_rect(b, rp_scale_map(&x, at), y + 3, rp_scale_map(&x, at + w) -
                        rp_scale_map(&x, at), row - 6, band_colours[k], NULL);
            at += w;
        }
        if (at < 99.95)
            rp_svg_rect(b, rp_scale_map(&x, at), y + 3,
                        rp_scale_map(&x, 100) - rp_scale_map(&x, at), row - 6, "url(#hatch)",
                        NULL);
    }
    double ticks[] = {0, 20, 40, 60, 80, 100};
    rp_svg_xaxis(b, &x, top + row * (double)d->nsources + 4, ticks, 6, NULL, 0,
                 "% of the source's records");
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>Match probability is that of the strongest accepted pair of "
                   "the record (1 for deterministic links); records linked to nothing have "
                   "none. Drawn from the published (rounded) counts; withheld cells are shown "
                   "together as a hatched share.</figcaption></figure>\n");
}

/* The major ethnic group (0 White, 1 Mixed, 2 Asian, 3 Black, 4 Other) of
 * a code as sources write it: NHS one-letter categories (A-C White, D-G
 * Mixed, H-L and R Asian, M-P Black, S Other) or DfE codes (W..., M..., A...,
 * B..., CHNE Asian, OOTH Other); -1 for "not stated" codes and anything
 * else.  The spine keeps the first code met, from whichever source, so the
 * report compares children by these groups. */
static int major_ethnic_group(const char *code)
{
    size_t n = strlen(code);
    if (n == 1) {
        char ch = code[0];
        if (ch >= 'A' && ch <= 'C') return 0;
        if (ch >= 'D' && ch <= 'G') return 1;
        if ((ch >= 'H' && ch <= 'L') || ch == 'R') return 2;
        if (ch >= 'M' && ch <= 'P') return 3;
        if (ch == 'S') return 4;
        return -1;
    }
    if (n == 4) {
        if (strcmp(code, "CHNE") == 0) return 2;
        if (strcmp(code, "OOTH") == 0) return 4;
        if (strcmp(code, "REFU") == 0 || strcmp(code, "NOBT") == 0) return -1;
        switch (code[0]) {
        case 'W': return 0;
        case 'M': return 1;
        case 'A': return 2;
        case 'B': return 3;
        default: return -1;
        }
    }
    return -1;
}

/* One spine variable: the group of each child (-1 unknown) and the labels. */
typedef struct subgroup {
    const char *id;
    const char *title;
    size_t ngroups;          /* known groups; "unknown" is the last column */
    char labels[64][24];
    int32_t *group_of;       /* per child */
} subgroup;

static int fill_subgroup(const rp_data *d, int which, subgroup *g)
{
    size_t known = 0;
    g->ngroups = 0;
    for (size_t i = 0; i < d->nchildren; i++) {
        int32_t v = -1;
        switch (which) {
        case 0: v = d->sex[i] == 'M' ? 0 : d->sex[i] == 'F' ? 1 : -1; break;
        case 1: v = d->birth_year[i] ? d->birth_year[i] : -1; break;
        case 2: v = d->ethnic[i] >= 0 ? major_ethnic_group(d->ethnic_names[d->ethnic[i]]) : -1;
            break;
        case 3: v = d->decile[i] ? d->decile[i] - 1 : -1; break;
        }
        g->group_of[i] = v;
        if (v >= 0)
            known++;
    }
    if (known == 0)
        return 0;
    if (which == 0) {
        g->ngroups = 2;
        snprintf(g->labels[0], sizeof g->labels[0], "M");
        snprintf(g->labels[1], sizeof g->labels[1], "F");
    } else if (which == 1) {
        int lo = 9999, hi = 0;
        for (size_t i = 0; i < d->nchildren; i++)
            if (g->group_of[i] >= 0) {
                if (g->group_of[i] < lo) lo = g->group_of[i];
                if (g->group_of[i] > hi) hi = g->group_of[i];
            }
        if (hi - lo >= 62)
            lo = hi - 62;   /* earlier years go to "unknown": never in practice */
        g->ngroups = (size_t)(hi - lo + 1);
        for (size_t i = 0; i < d->nchildren; i++)
            if (g->group_of[i] >= 0)
                g->group_of[i] = g->group_of[i] >= lo ? g->group_of[i] - lo : -1;
        for (int y = lo; y <= hi; y++)
            snprintf(g->labels[y - lo], sizeof g->labels[0], "%d", y);
    } else if (which == 2) {
        static const char *const majors[5] = {"White", "Mixed", "Asian", "Black", "Other"};
        g->ngroups = 5;
        for (int k = 0; k < 5; k++)
            snprintf(g->labels[k], sizeof g->labels[0], "%s", majors[k]);
        for (size_t i = 0; i < d->nchildren; i++)
            if (d->ethnic[i] >= 0)
                g->group_of[i] = major_ethnic_group(d->ethnic_names[d->ethnic[i]]);
    } else {
        g->ngroups = 10;
        for (int k = 0; k < 10; k++)
            snprintf(g->labels[k], sizeof g->labels[0], "%d%s", k + 1,
                     k == 0 ? " (most deprived)" : k == 9 ? " (least deprived)" : "");
    }
    return 1;
}

/* A heat table (HTML) of % linked: rows groups, columns sources. */
static void heat_table(rp_ctx *c, const rp_data *d, const subgroup *g, char ***pct_text,
                       double **pct)
{
    double lo = 100;
    for (size_t k = 0; k <= g->ngroups; k++)
        for (size_t s = 0; s < d->nsources; s++)
            if (!isnan(pct[k][s]) && pct[k][s] < lo)
                lo = pct[k][s];
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<div class=\"tw\"><table><thead><tr><th scope=\"col\">");
    rp_buf_html(b, g->title);
    rp_buf_puts(b, "</th>");
    for (size_t s = 0; s < d->nsources; s++) {
        rp_buf_puts(b, "<th scope=\"col\" class=\"num\">");
        rp_buf_html(b, d->sources[s]);
        rp_buf_puts(b, "</th>");
    }
    rp_buf_puts(b, "</tr></thead><tbody>\n");
    for (size_t k = 0; k <= g->ngroups; k++) {
        rp_buf_puts(b, "<tr><th scope=\"row\">");
        rp_buf_html(b, k < g->ngroups ? g->labels[k] : "unknown");
        rp_buf_puts(b, "</th>");
        for (size_t s = 0; s < d->nsources; s++) {
            double v = pct[k][s];
            if (isnan(v)) {
                rp_buf_puts(b, "<td class=\"num\">");
            } else {
                /* Shade h0 (white, 100%) to h5 (orange, the lowest value in the
                 * table): classes, since the page's policy allows no inline style. */
                double t = lo < 100 ? (100 - v) / (100 - lo) : 0;
                rp_buf_printf(b, "<td class=\"num h%d\">", (int)lround(t * 5));
            }
            /* A withheld percentage: a dash, not "<10", which would read as a
             * percentage below ten. */
            rp_buf_html(b, isnan(v) ? "\xe2\x80\x93" : pct_text[k][s]);
            rp_buf_puts(b, "</td>");
        }
        rp_buf_puts(b, "</tr>\n");
    }
    rp_buf_puts(b, "</tbody></table></div>\n");
}

static cl_status coverage_by_subgroup(rp_ctx *c, const unsigned char *multi)
{
    const rp_data *d = &c->data;
    static const char *const ids[4] = {"sex", "birth_year", "ethnic_group", "deprivation_decile"};
    static const char *const titles[4] = {"Sex", "Year of birth", "Ethnic group",
                                          "Deprivation decile"};
    subgroup g;
    memset(&g, 0, sizeof g);
    g.group_of = cl_malloc((d->nchildren ? d->nchildren : 1) * sizeof *g.group_of);
    if (g.group_of == NULL)
        return rp_nomem(c);
    rp_table *t = NULL;
    cl_status st = CL_OK;
    size_t missing = 0;
    int totals_done = 0;
    const char *missing_names[4];
    rp_buf_puts(&c->body, "<h3>Linkage by subgroup</h3>\n");
    for (int which = 0; which < 4 && st == CL_OK; which++) {
        g.id = ids[which];
        g.title = titles[which];
        if (!fill_subgroup(d, which, &g)) {
            missing_names[missing++] = ids[which];
            continue;
        }
        if (t == NULL && (t = rp_new_table(c, "coverage_by_subgroup",
                                           "Records and % linked to another source, by "
                                           "subgroup of the child and source",
                                           subgroup_cols, 5)) == NULL) {
            st = c->err->code;
            break;
        }
        size_t cols = g.ngroups + 1, ns = d->nsources;
        int64_t *records = cl_calloc(ns * cols, sizeof *records);
        int64_t *linked = cl_calloc(ns * cols, sizeof *linked);
        double **pct = cl_calloc(cols, sizeof *pct);
        char ***text = cl_calloc(cols, sizeof *text);
        char *arena = cl_calloc(cols * (ns ? ns : 1), 40);
        int ok = records && linked && pct && text && arena;
        for (size_t k = 0; ok && k < cols; k++) {
            pct[k] = cl_calloc(ns ? ns : 1, sizeof **pct);
            text[k] = cl_calloc(ns ? ns : 1, sizeof **text);
            ok = pct[k] && text[k];
        }
        cl_sdc_result *res = NULL;
        if (ok) {
            for (size_t r = 0; r < d->nrecords; r++) {
                int32_t grp = g.group_of[d->rec_child[r]];
                size_t k = grp < 0 ? g.ngroups : (size_t)grp;
                size_t i = (size_t)d->rec_source[r] * cols + k;
                records[i]++;
                linked[i] += multi[d->rec_child[r]];
            }
            res = rp_protect(c, records, ns, cols, 1, 0);
        }
        if (!ok || res == NULL) {
            st = ok ? c->err->code : rp_nomem(c);
        } else {
            for (size_t s = 0; s < ns; s++) {
                for (size_t k = 0; k <= cols; k++) {
                    /* k == cols: the source's total over groups. */
                    int64_t rec = 0, lnk = 0;
                    if (k < cols) {
                        rec = records[s * cols + k];
                        lnk = linked[s * cols + k];
                    } else {
                        for (size_t j = 0; j < cols; j++) {
                            rec += records[s * cols + j];
                            lnk += linked[s * cols + j];
                        }
                    }
                    char ptxt[40];
                    double v = rp_rate_text(c, lnk, rec, 100, 1, ptxt, sizeof ptxt);
                    if (k < cols) {
                        pct[k][s] = v;
                        text[k][s] = arena + (k * ns + s) * 40;
                        snprintf(text[k][s], 40, "%s", ptxt);
                    }
                    if (k == cols && totals_done)
                        continue;   /* source totals once, with the first subgroup */
                    rp_table_text(t, g.id);
                    rp_table_text(t, k < g.ngroups ? g.labels[k] : k == g.ngroups ? "unknown"
                                                                                   : "all");
                    rp_table_text(t, d->sources[s]);
                    rp_table_sdc(t, c, cl_sdc_result_cell(res, s, k));
                    rp_table_text(t, ptxt);
                }
            }
            totals_done = 1;
            rp_buf_puts(&c->body, "<h4>");
            rp_buf_html(&c->body, g.title);
            rp_buf_puts(&c->body, ": % of records linked to another source</h4>\n");
            heat_table(c, d, &g, text, pct);
        }
        cl_sdc_result_free(res);
        for (size_t k = 0; pct && text && k < cols; k++) {
            cl_free(pct[k]);
            cl_free(text[k]);
        }
        cl_free(pct);
        cl_free(text);
        cl_free(arena);
        cl_free(records);
        cl_free(linked);
    }
    cl_free(g.group_of);
    if (st != CL_OK)
        return st;
    if (t)
        rp_note(c, "Cells are shaded from white (100%%) to orange (the lowest percentage in the "
                   "table). A dash is a withheld percentage: fewer than %lld records, or fewer "
                   "than %lld of them not linked. Ethnic groups are the major groups of the "
                   "codes the sources use (NHS and DfE); the counts of records in each row of "
                   "groups are protected together with their source's total "
                   "(coverage_by_subgroup.csv, group \"all\").",
                (long long)c->sdc.threshold, (long long)c->sdc.threshold);
    if (missing == 4) {
        rp_buf_puts(&c->body, "<p class=\"skip\">The database's child spine holds no sex, "
                              "year of birth, ethnic group or deprivation decile (the payload "
                              "files carried no such columns), so linkage cannot be shown by "
                              "subgroup.</p>\n");
    } else if (missing) {
        rp_buf_puts(&c->body, "<p class=\"note\">Not shown (empty in the child spine): ");
        for (size_t i = 0; i < missing; i++) {
            rp_buf_puts(&c->body, i ? ", " : "");
            rp_buf_html(&c->body, missing_names[i]);
        }
        rp_buf_puts(&c->body, ".</p>\n");
    }
    if (t)
        rp_show_table(c, t, 0);
    return CL_OK;
}

cl_status rp_analysis_coverage(rp_ctx *c)
{
    const rp_data *d = &c->data;
    rp_section_begin(c, "coverage", "1. Linkage coverage");
    if (d->nsources == 0 || d->nrecords == 0) {
        rp_buf_puts(&c->body, "<p class=\"skip\">Skipped: the link map is empty.</p>\n");
        rp_section_end(c);
        c->analyses_skipped++;
        return CL_OK;
    }
    unsigned char *multi = children_in_several_sources(d);
    size_t ns = d->nsources;
    int64_t *counts = cl_calloc(ns * 2, sizeof *counts);
    int64_t *bands = cl_calloc(ns * N_BANDS, sizeof *bands);
    double *pct = cl_calloc(ns, sizeof *pct);
    char **pct_text = cl_calloc(ns, sizeof *pct_text);
    char *arena = cl_calloc(ns, 40);
    cl_sdc_result *res = NULL, *bres = NULL;
    cl_status st = CL_OK;
    if (multi == NULL || counts == NULL || bands == NULL || pct == NULL || pct_text == NULL ||
        arena == NULL) {
        st = rp_nomem(c);
        goto done;
    }
    for (size_t r = 0; r < d->nrecords; r++) {
        size_t s = (size_t)d->rec_source[r];
        counts[s * 2 + (multi[d->rec_child[r]] ? 0 : 1)]++;
        bands[s * N_BANDS + (size_t)band_of(d->rec_prob[r])]++;
    }
    rp_buf_puts(&c->body, "<p>How many of each source's records belong to a child who also "
                          "has records in another source. Low coverage for a source, or for a "
                          "group of children, means that analyses across sources will miss "
                          "them.</p>\n");
    if ((res = rp_protect(c, counts, ns, 2, 1, 1)) == NULL) {
        st = c->err->code;
        goto done;
    }
    rp_table *t = rp_new_table(c, "coverage", "Records linked to another source, by source",
                               coverage_cols, 6);
    if (t == NULL) {
        st = c->err->code;
        goto done;
    }
    for (size_t s = 0; s <= ns; s++) {
        int64_t linked = 0, all = 0;
        for (size_t i = 0; i < ns; i++)
            if (i == s || s == ns) {
                linked += counts[i * 2];
                all += counts[i * 2] + counts[i * 2 + 1];
            }
        rp_table_text(t, s < ns ? d->sources[s] : "all sources");
        rp_table_text(t, s < ns && d->source_domain[s] != RP_NO_DOMAIN
                             ? rp_domain_names[d->source_domain[s]] : "");
        rp_table_sdc(t, c, cl_sdc_result_cell(res, s, 2));
        rp_table_sdc(t, c, cl_sdc_result_cell(res, s, 0));
        rp_table_sdc(t, c, cl_sdc_result_cell(res, s, 1));
        char ptxt[40];
        double v = rp_rate_text(c, linked, all, 100, 1, ptxt, sizeof ptxt);
        rp_table_text(t, ptxt);
        if (s < ns) {
            pct[s] = v;
            pct_text[s] = arena + s * 40;
            snprintf(pct_text[s], 40, "%s", ptxt);
        }
    }
    draw_pct_linked(c, d, pct, pct_text);
    rp_show_table(c, t, 1);

    rp_buf_puts(&c->body, "<h3>Match probability</h3>\n");
    if ((bres = rp_protect(c, bands, ns, N_BANDS, 1, 0)) == NULL) {
        st = c->err->code;
        goto done;
    }
    rp_table *bt = rp_new_table(c, "coverage_match_probability",
                                "Records by band of match probability and source", band_cols, 3);
    if (bt == NULL) {
        st = c->err->code;
        goto done;
    }
    for (size_t s = 0; s < ns; s++)
        for (size_t k = 0; k <= N_BANDS; k++) {
            rp_table_text(bt, d->sources[s]);
            rp_table_text(bt, k < N_BANDS ? band_names[k] : "all");
            rp_table_sdc(bt, c, cl_sdc_result_cell(bres, s, k));
        }
    draw_bands(c, d, bres);
    rp_show_table(c, bt, 0);
    st = coverage_by_subgroup(c, multi);
done:
    rp_section_end(c);
    cl_sdc_result_free(res);
    cl_sdc_result_free(bres);
    cl_free(multi);
    cl_free(counts);
    cl_free(bands);
    cl_free(pct);
    cl_free(pct_text);
    cl_free(arena);
    return st;
}

/* ---- who is known to whom ---------------------------------------------- */

static const rp_column known_cols[] = {
    {"health", "health", RP_LABEL},
    {"education", "education", RP_LABEL},
    {"social_care", "social care", RP_LABEL},
    {"mental_health", "mental health", RP_LABEL},
    {"n_children", "children", RP_COUNT},
};

typedef struct combo {
    int mask;
    int64_t shown;       /* -1 withheld */
    char text[40];
} combo;

static int cmp_combo(const void *a, const void *b)
{
    const combo *x = a, *y = b;
    if (x->shown != y->shown)
        return x->shown > y->shown ? -1 : 1;
    return x->mask - y->mask;
}

static void draw_upset(rp_ctx *c, combo *combos, size_t n)
{
    qsort(combos, n, sizeof *combos, cmp_combo);
    int left = 150, colw = 46, top = 40, bar_h = 220, dot_row = 24;
    int width = left + colw * (int)n + 30;
    if (width < 520)
        width = 520;
    int height = top + bar_h + 20 + dot_row * RP_N_DOMAINS + 30;
    double hi = 0;
    for (size_t i = 0; i < n; i++)
        if ((double)combos[i].shown > hi)
            hi = (double)combos[i].shown;
    double lo = 0, ticks[12];
    size_t nt = rp_nice_ticks(&lo, &hi, 6, 1, ticks);
    rp_scale y = {0, hi > 0 ? hi : 1, (double)(top + bar_h), (double)top, 0};
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<figure>");
    rp_svg_begin(b, width, height, "Children known to each combination of services",
                 "Bars: children known to exactly the services marked by the dots below");
    rp_svg_text(b, left, 16, "start", "font-weight=\"bold\"",
                "Children known to exactly these services");
    rp_svg_yaxis(b, &y, left - 8, ticks, nt, 0, NULL, left + colw * (double)n,
                 "Children");
    for (size_t i = 0; i < n; i++) {
        double cx = left + colw * (double)i + colw / 2.0;
        if (combos[i].shown > 0) {
            double py = rp_scale_map(&y, (double)combos[i].shown);
            rp_svg_rect(b, cx - 14, py, 28, top + bar_h - py, RP_BLUE, NULL);
            rp_svg_text(b, cx, py - 5, "middle", "font-size=\"11\"", combos[i].text);
        } else {
            rp_svg_text(b, cx, top + bar_h - 5, "middle", "font-size=\"11\"", combos[i].text);
        }
        double first = -1, last = -1;
        for (int k = 0; k < RP_N_DOMAINS; k++) {
            double dy = top + bar_h + 20 + dot_row * (double)k + dot_row / 2.0;
            int in = (combos[i].mask >> k) & 1;
            if (in) {
                if (first < 0) first = dy;
                last = dy;
            }
        }
        if (first >= 0 && last > first)
            rp_svg_line(b, cx, first, cx, last, RP_INK, 3, NULL);
        for (int k = 0; k < RP_N_DOMAINS; k++) {
            double dy = top + bar_h + 20 + dot_row * (double)k + dot_row / 2.0;
            int in = (combos[i].mask >> k) & 1;
            rp_svg_circle(b, cx, dy, 7, in ? RP_INK : "#dddddd", NULL);
        }
    }
    for (int k = 0; k < RP_N_DOMAINS; k++) {
        double dy = top + bar_h + 20 + dot_row * (double)k + dot_row / 2.0;
        rp_svg_text(b, left - 12, dy + 4, "end", NULL, rp_domain_names[k]);
    }
    rp_svg_end(b);
    rp_buf_puts(b, "<figcaption>Each column is one combination of services: a filled dot means "
                   "the child has at least one record from that kind of service, an empty dot "
                   "none. Combinations with few children are withheld (no bar).</figcaption>"
                   "</figure>\n");
}

cl_status rp_analysis_known_to(rp_ctx *c)
{
    const rp_data *d = &c->data;
    rp_section_begin(c, "known_to", "2. Who is known to whom");
    int have[RP_N_DOMAINS] = {0};
    for (size_t s = 0; s < d->nsources; s++)
        if (d->source_domain[s] != RP_NO_DOMAIN)
            have[d->source_domain[s]] = 1;
    int ndom = have[0] + have[1] + have[2] + have[3];
    if (ndom < 2) {
        rp_buf_puts(&c->body, "<p class=\"skip\">Skipped: the link map holds sources of fewer "
                              "than two kinds of service (health: hes_apc, ecds; education: "
                              "npd_*; social care: csc_*; mental health: camhs).</p>\n");
        rp_section_end(c);
        c->analyses_skipped++;
        return CL_OK;
    }
    unsigned char *mask = cl_calloc(d->nchildren ? d->nchildren : 1, 1);
    if (mask == NULL)
        return rp_nomem(c);
    for (size_t r = 0; r < d->nrecords; r++) {
        int dom = d->source_domain[d->rec_source[r]];
        if (dom != RP_NO_DOMAIN)
            mask[d->rec_child[r]] |= (unsigned char)(1u << dom);
    }
    int64_t counts[16] = {0};
    for (size_t i = 0; i < d->nchildren; i++)
        counts[mask[i]]++;
    cl_free(mask);
    /* Rows: every combination of the domains present, then children with no
     * record from a known kind of service (only when there are any). */
    int masks[16];
    int64_t cells[16];
    size_t n = 0;
    for (int m = 1; m < 16; m++) {
        int ok = 1;
        for (int k = 0; k < RP_N_DOMAINS; k++)
            if (((m >> k) & 1) && !have[k]) ok = 0;
        if (ok) {
            masks[n] = m;
            cells[n++] = counts[m];
        }
    }
    if (counts[0]) {
        masks[n] = 0;
        cells[n++] = counts[0];
    }
    cl_sdc_result *res = rp_protect(c, cells, n, 1, 0, 1);
    if (res == NULL) {
        rp_section_end(c);
        return c->err->code;
    }
    rp_buf_puts(&c->body, "<p>Children by the kinds of service that hold records about them: "
                          "health (hospital admissions, emergency department), education "
                          "(school census, absence, attainment, exclusions), social care "
                          "(children in need, looked after) and mental health (CAMHS "
                          "referrals).</p>\n");
    rp_table *t = rp_new_table(c, "known_to", "Children known to each combination of services",
                               known_cols, 5);
    combo combos[16];
    if (t == NULL) {
        cl_sdc_result_free(res);
        rp_section_end(c);
        return c->err->code;
    }
    for (size_t i = 0; i <= n; i++) {
        for (int k = 0; k < RP_N_DOMAINS; k++)
            rp_table_text(t, i == n ? "all" : ((masks[i] >> k) & 1) ? "yes" : "no");
        const cl_sdc_cell *cell = cl_sdc_result_cell(res, i, 0);
        rp_table_sdc(t, c, cell);
        if (i < n) {
            combos[i].mask = masks[i];
            combos[i].shown = cell && (cell->status == CL_SDC_SHOWN) ? cell->value_shown
                              : cell && cell->status == CL_SDC_ZERO ? 0 : -1;
            rp_cell_text(c, cell, combos[i].text, sizeof combos[i].text);
        }
    }
    cl_sdc_result_free(res);
    draw_upset(c, combos, n);
    rp_show_table(c, t, 1);
    rp_section_end(c);
    return CL_OK;
}
