/*
 * report.c - `childlink report`: options, the database check, running the
 * analyses, and writing report.html with one CSV per table (see report.h,
 * docs/report.md).
 *
 * Design:
 * - The database is opened read-only and checked to be a childlink database
 *   (build_info says format childlink-db/1) before anything else happens.
 * - Every analysis appends its HTML section to one buffer and registers its
 *   tables with the context; nothing is written until all have run.  Then
 *   every file is opened under a temporary name, written, and only when all
 *   of them are complete renamed into place, the CSVs first and report.html
 *   last, so that a report.html that exists always belongs with its tables.
 *   Any failure removes what this run wrote (and the directory, if this run
 *   created it).
 * - The page is one self-contained file: inline CSS and SVG, no fonts,
 *   images or scripts from anywhere, and a Content-Security-Policy that
 *   forbids the browser to fetch anything.  Its one small inline script
 *   (allowed by hash) marks the page when no error event fired, which the
 *   browser test reads back.
 * - Deterministic: no clock, no paths of this run, no unordered iteration;
 *   the same database and options give the same bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childlink/outfile.h"
#include "report_internal.h"

#define DB_FORMAT "childlink-db/1"

typedef struct analysis {
    const char *name;
    const char *summary;
    cl_status (*run)(rp_ctx *c);
} analysis;

static const analysis analyses[] = {
    {"coverage", "linkage coverage: records linked to another source, by subgroup, and "
                 "match probabilities", rp_analysis_coverage},
    {"known_to", "who is known to whom: children known to each combination of health, "
                 "education, social care and mental health services", rp_analysis_known_to},
    {"critical_points", "absence, emergency admissions and mental-health referrals by school "
                        "year, across the move to secondary school",
     rp_analysis_critical_points},
    {"postcode_lottery", "age at first EHC plan for children with Down's syndrome by local "
                         "authority (Kaplan-Meier) and a funnel plot",
     rp_analysis_postcode_lottery},
    {"condition_absence", "absence rate ratio for children with a condition (asthma, and each "
                          "added code list), Mantel-Haenszel by deprivation and age",
     rp_analysis_condition_absence},
};
#define N_ANALYSES (sizeof analyses / sizeof analyses[0])

size_t cl_report_analysis_count(void) { return N_ANALYSES; }

const char *cl_report_analysis_name(size_t i)
{
    return i < N_ANALYSES ? analyses[i].name : NULL;
}

const char *cl_report_analysis_summary(size_t i)
{
    return i < N_ANALYSES ? analyses[i].summary : NULL;
}

void cl_report_options_default(cl_report_options *opt)
{
    memset(opt, 0, sizeof *opt);
    cl_sdc_options_default(&opt->sdc);
}

/* ---- context helpers (report_internal.h) -------------------------------- */

cl_status rp_nomem(rp_ctx *c)
{
    return cl_error_set(c->err, CL_ENOMEM, NULL, 0, "out of memory");
}

cl_status rp_db_fail(rp_ctx *c, const char *what)
{
    int code = sqlite3_errcode(c->db);
    cl_status st = code == SQLITE_NOMEM    ? CL_ENOMEM
                   : code == SQLITE_IOERR  ? CL_EIO
                   : code == SQLITE_CANTOPEN ? CL_EIO
                                           : CL_EFORMAT;
    return cl_error_set(c->err, st, c->opt->db_path, 0, "%s: %s", what, sqlite3_errmsg(c->db));
}

void rp_cell_text(const rp_ctx *c, const cl_sdc_cell *cell, char *buf, size_t size)
{
    if (cell == NULL || cl_sdc_format_cell(cell, &c->sdc, buf, size, NULL) != CL_OK)
        snprintf(buf, size, "%s", rp_withheld(c));
}

void rp_count_text(const rp_ctx *c, int64_t count, char *buf, size_t size, cl_sdc_cell *out)
{
    cl_sdc_cell cell;
    if (cl_sdc_count(count < 0 ? 0 : count, &c->sdc, &cell, NULL) != CL_OK) {
        cell.status = CL_SDC_PRIMARY;
        cell.value_shown = -1;
    }
    rp_cell_text(c, &cell, buf, size);
    if (out)
        *out = cell;
}

double rp_rate_text(const rp_ctx *c, int64_t numerator, int64_t denominator, double per,
                    int proportion, char *buf, size_t size)
{
    cl_sdc_rate rate;
    const cl_sdc_options *o = proportion ? &c->sdc : &c->sdc_rate;
    if (numerator < 0 || denominator < 0 ||
        cl_sdc_rate_compute(numerator, denominator, per, o, &rate, NULL) != CL_OK ||
        cl_sdc_format_rate(&rate, o, buf, size, NULL) != CL_OK) {
        snprintf(buf, size, "%s", rp_withheld(c));
        return NAN;
    }
    return rate.status == CL_SDC_PRIMARY ? NAN : rate.value_shown;
}

const char *rp_withheld(const rp_ctx *c)
{
    return c->withheld;
}

cl_sdc_result *rp_protect(rp_ctx *c, const int64_t *counts, size_t rows, size_t cols,
                          int row_totals, int column_totals)
{
    cl_sdc_table table = {rows, cols, counts, row_totals, column_totals};
    cl_sdc_result *res = NULL;
    if (cl_sdc_apply(&table, &c->sdc, &res, c->err) != CL_OK)
        return NULL;
    return res;
}

rp_table *rp_new_table(rp_ctx *c, const char *name, const char *title, const rp_column *cols,
                       size_t ncols)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i]->name, name) == 0) {
            /* Only code list names make table names: say which to change. */
            cl_error_set(c->err, CL_EINVAL, NULL, 0,
                         "two tables would be named %s.csv; rename a code list", name);
            return NULL;
        }
    if (c->ntables == c->tables_cap) {
        size_t cap = c->tables_cap ? c->tables_cap * 2 : 16;
        rp_table **p = cl_realloc(c->tables, cap * sizeof *p);
        if (p == NULL) {
            rp_nomem(c);
            return NULL;
        }
        c->tables = p;
        c->tables_cap = cap;
    }
    rp_table *t = cl_calloc(1, sizeof *t);
    if (t == NULL || (t->name = cl_strndup(name, strlen(name))) == NULL ||
        (t->title = cl_strndup(title, strlen(title))) == NULL) {
        rp_table_free(t);
        rp_nomem(c);
        return NULL;
    }
    t->cols = cols;
    t->ncols = ncols;
    c->tables[c->ntables++] = t;
    return t;
}

void rp_section_begin(rp_ctx *c, const char *id, const char *title)
{
    rp_buf_printf(&c->body, "<section id=\"%s\">\n<h2>", id);
    rp_buf_html(&c->body, title);
    rp_buf_puts(&c->body, "</h2>\n");
    rp_buf_printf(&c->toc, "<li><a href=\"#%s\">", id);
    rp_buf_html(&c->toc, title);
    rp_buf_puts(&c->toc, "</a></li>\n");
}

void rp_section_end(rp_ctx *c)
{
    rp_buf_puts(&c->body, "</section>\n");
}

void rp_note(rp_ctx *c, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    rp_buf_puts(&c->body, "<p class=\"note\">");
    rp_buf_html(&c->body, text);
    rp_buf_puts(&c->body, "</p>\n");
}

void rp_show_table(rp_ctx *c, const rp_table *t, int open)
{
    rp_buf_printf(&c->body, "<details%s><summary>Table: ", open ? " open" : "");
    rp_buf_html(&c->body, t->title);
    rp_buf_printf(&c->body, " (<a href=\"%s.csv\">%s.csv</a>)</summary>\n", t->name, t->name);
    rp_table_html(t, &c->body);
    rp_buf_puts(&c->body, "</details>\n");
}

const rp_codelist *rp_list(const rp_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nlists; i++)
        if (strcmp(c->lists[i].name, name) == 0)
            return &c->lists[i];
    return NULL;
}

int rp_next_chart(rp_ctx *c)
{
    return ++c->svg_count;
}

/* ---- options, code lists, database -------------------------------------- */

static cl_status check_options(const cl_report_options *opt, cl_error *err)
{
    if (opt->db_path == NULL || opt->db_path[0] == '\0')
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no database given");
    if (opt->out_dir == NULL || opt->out_dir[0] == '\0')
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no output directory given");
    cl_status st = cl_sdc_options_check(&opt->sdc, err);
    if (st != CL_OK)
        return st;
    if (opt->nonly && opt->only == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "analysis list missing");
    for (size_t i = 0; i < opt->nonly; i++) {
        size_t j = 0;
        while (j < N_ANALYSES && strcmp(analyses[j].name, opt->only[i]) != 0)
            j++;
        if (j == N_ANALYSES) {
            char known[256] = "";
            for (size_t k = 0; k < N_ANALYSES; k++) {
                strncat(known, analyses[k].name, sizeof known - strlen(known) - 1);
                if (k + 1 < N_ANALYSES)
                    strncat(known, ", ", sizeof known - strlen(known) - 1);
            }
            return cl_error_set(err, CL_EINVAL, NULL, 0, "unknown analysis '%s' (one of: %s)",
                                opt->only[i] ? opt->only[i] : "", known);
        }
    }
    if (opt->ncodelists && opt->codelists == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "code list array missing");
    for (size_t i = 0; i < opt->ncodelists; i++) {
        const char *name = opt->codelists[i].name;
        if (!rp_codelist_name_ok(name))
            return cl_error_set(err, CL_EINVAL, NULL, 0,
                                "code list name '%s' must be 1 to %d letters, digits, '_' or '-'",
                                name ? name : "", RP_CODELIST_NAME_MAX);
        if (opt->codelists[i].path == NULL)
            return cl_error_set(err, CL_EINVAL, NULL, 0, "code list '%s' has no file", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(opt->codelists[j].name, name) == 0)
                return cl_error_set(err, CL_EINVAL, NULL, 0, "code list '%s' given twice",
                                    name);
    }
    return CL_OK;
}

static cl_status load_codelists(rp_ctx *c)
{
    const cl_report_options *opt = c->opt;
    size_t nb = rp_codelist_builtin_count();
    c->lists = cl_calloc(nb + opt->ncodelists, sizeof *c->lists);
    if (c->lists == NULL)
        return rp_nomem(c);
    cl_status st;
    for (size_t i = 0; i < nb; i++) {
        if ((st = rp_codelist_builtin(i, &c->lists[i], c->err)) != CL_OK)
            return st;
        c->nlists++;
    }
    for (size_t i = 0; i < opt->ncodelists; i++) {
        rp_codelist l;
        if ((st = rp_codelist_load(&l, opt->codelists[i].name, opt->codelists[i].path,
                                   c->err)) != CL_OK)
            return st;
        size_t j = 0;
        while (j < c->nlists && strcmp(c->lists[j].name, l.name) != 0)
            j++;
        if (j < c->nlists)
            rp_codelist_free(&c->lists[j]);   /* the caller's list replaces a built-in */
        else
            c->nlists++;
        c->lists[j] = l;
    }
    return CL_OK;
}

static cl_status open_database(rp_ctx *c, char *version, size_t vsize)
{
    const char *path = c->opt->db_path;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cl_error_set(c->err, CL_EIO, path, 0, "cannot open database: %s",
                            strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return cl_error_set(c->err, CL_EIO, path, 0, "cannot open database: not a file");
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        cl_status st = c->db ? rp_db_fail(c, "cannot open database")
                             : cl_error_set(c->err, CL_ENOMEM, path, 0, "out of memory");
        if (st == CL_EFORMAT)
            c->err->code = st = CL_EIO;
        return st;
    }
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(c->db, "SELECT item, value FROM build_info", -1, &q, NULL);
    if (rc != SQLITE_OK) {
        cl_status st;
        if (rc == SQLITE_NOTADB)
            st = cl_error_set(c->err, CL_EFORMAT, path, 0, "not an SQLite database");
        else if (rc == SQLITE_NOMEM)
            st = rp_nomem(c);
        else if (rc == SQLITE_ERROR)
            st = cl_error_set(c->err, CL_EFORMAT, path, 0,
                              "not a childlink database (no build_info table; "
                              "build one with childlink build)");
        else
            st = rp_db_fail(c, "cannot read database");
        sqlite3_finalize(q);
        return st;
    }
    char format[64] = "";
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *item = (const char *)sqlite3_column_text(q, 0);
        const char *value = (const char *)sqlite3_column_text(q, 1);
        if (item && value && strcmp(item, "format") == 0)
            snprintf(format, sizeof format, "%s", value);
        if (item && value && strcmp(item, "childlink_version") == 0)
            snprintf(version, vsize, "%s", value);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rp_db_fail(c, "cannot read build_info");
    if (strcmp(format, DB_FORMAT) != 0)
        return cl_error_set(c->err, CL_EFORMAT, path, 0,
                            "not a childlink database: build_info format is '%s', expected '%s'",
                            format, DB_FORMAT);
    if (!rp_db_has_table(c, "child") || !rp_db_has_table(c, "source_record"))
        return cl_error_set(c->err, CL_EFORMAT, path, 0,
                            "not a childlink database: tables child and source_record missing");
    return CL_OK;
}

/* ---- the output directory ---------------------------------------------- */

static cl_status prepare_directory(rp_ctx *c, int *created)
{
    const char *dir = c->opt->out_dir;
    struct stat sb;
    *created = 0;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT)
            return cl_error_set(c->err, CL_EIO, dir, 0, "cannot use output directory: %s",
                                strerror(errno));
        if (mkdir(dir, 0777) != 0)
            return cl_error_set(c->err, CL_EIO, dir, 0, "cannot create output directory: %s",
                                strerror(errno));
        *created = 1;
        return CL_OK;
    }
    if (!S_ISDIR(sb.st_mode))
        return cl_error_set(c->err, CL_EIO, dir, 0, "exists and is not a directory");
    if (access(dir, W_OK | X_OK) != 0)
        return cl_error_set(c->err, CL_EIO, dir, 0, "cannot write to output directory: %s",
                            strerror(errno));
    DIR *d = opendir(dir);
    if (d == NULL)
        return cl_error_set(c->err, CL_EIO, dir, 0, "cannot read output directory: %s",
                            strerror(errno));
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    if (!empty && !c->opt->force)
        return cl_error_set(c->err, CL_EEXIST, dir, 0,
                            "output directory is not empty (use --force to replace the report)");
    return CL_OK;
}

/* ---- the page ----------------------------------------------------------- */

static const char page_css[] =
    "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;font-size:15px;line-height:1.5;"
    "color:#1a1a1a;background:#fff;margin:0}\n"
    "header,main,footer{max-width:1000px;margin:0 auto;padding:0 24px}\n"
    "header{border-bottom:4px solid #0072B2;padding-bottom:10px}\n"
    "h1{font-size:26px;margin:22px 0 6px}\n"
    "h2{font-size:21px;margin:34px 0 8px;padding-top:20px;border-top:1px solid #ccc}\n"
    "h3{font-size:17px;margin:22px 0 6px}\n"
    "p{margin:6px 0;max-width:75ch}\n"
    ".note{color:#3d3d3d;font-size:14px}\n"
    ".skip{background:#fff4dc;border-left:4px solid #E69F00;padding:8px 12px}\n"
    ".key{font-size:18px;font-weight:bold;margin:10px 0}\n"
    "figure{margin:14px 0 6px}\n"
    "figcaption{font-size:14px;color:#333;margin-top:2px;max-width:75ch}\n"
    "svg{max-width:100%;height:auto;display:block}\n"
    ".tw{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 10px}\n"
    "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#f0f0f0}\n"
    "td.n,td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "details{margin:6px 0}\n"
    ".h0{background:#ffffff}.h1{background:#faeccc}.h2{background:#f5d999}"
    ".h3{background:#f0c566}.h4{background:#ebb233}.h5{background:#e69f00}\n"
    "summary{cursor:pointer;color:#0b4f8a}\n"
    "nav ul{margin:4px 0;padding-left:0;list-style:none}\n"
    "footer{border-top:1px solid #ccc;margin-top:40px;padding-top:8px;font-size:13px;"
    "color:#555}\n"
    "@media print{h2{break-before:page}summary{color:#000}a{color:#000}}\n";

/* Marks the page for the browser test: data-page-check="ok" once loaded
 * when no error event (script error, blocked load) fired. */
static const char page_script[] =
    "(function () {\n"
    "  var errors = 0;\n"
    "  window.addEventListener('error', function () { errors++; }, true);\n"
    "  document.addEventListener('securitypolicyviolation', function () { errors++; });\n"
    "  window.addEventListener('load', function () {\n"
    "    document.documentElement.setAttribute('data-page-check', errors === 0 ? 'ok' : "
    "'errors');\n"
    "  });\n"
    "})();\n";

/* 'sha256-...' of `text` for the Content-Security-Policy. */
static int csp_hash(const char *text, char *out, size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    unsigned char b64[128];
    if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) != 1)
        return -1;
    if (EVP_EncodeBlock(b64, md, (int)len) <= 0)
        return -1;
    snprintf(out, size, "'sha256-%s'", (const char *)b64);
    return 0;
}

static cl_status assemble(rp_ctx *c, const char *version, rp_buf *page)
{
    char script_hash[160], style_hash[160];
    if (csp_hash(page_script, script_hash, sizeof script_hash) != 0 ||
        csp_hash(page_css, style_hash, sizeof style_hash) != 0)
        return cl_error_set(c->err, CL_ENOMEM, NULL, 0, "cannot compute the page's hashes");
    rp_buf_puts(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    rp_buf_printf(page,
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "script-src %s; style-src %s; img-src data:; base-uri 'none'; "
                  "form-action 'none'\">\n",
                  script_hash, style_hash);
    rp_buf_puts(page, "<meta name=\"generator\" content=\"childlink report\">\n"
                      "<title>childlink report: linked children's records</title>\n<style>");
    rp_buf_puts(page, page_css);
    rp_buf_puts(page, "</style>\n<script>");
    rp_buf_puts(page, page_script);
    rp_buf_puts(page, "</script>\n</head>\n<body>\n<header>\n"
                      "<h1>Linked children's records: report</h1>\n<p class=\"note\">");
    rp_buf_printf(page, "From a linked database in format %s, built by childlink ", DB_FORMAT);
    rp_buf_html(page, version[0] ? version : "(version not recorded)");
    rp_buf_puts(page, "; report by childlink " CL_VERSION ". Every number is an aggregate "
                      "that has passed statistical disclosure control.</p>\n"
                      "<nav aria-label=\"Contents\"><ul>\n");
    rp_buf_add(page, c->toc.data ? c->toc.data : "", c->toc.len);
    rp_buf_puts(page, "</ul></nav>\n</header>\n<main>\n");
    rp_buf_add(page, c->body.data ? c->body.data : "", c->body.len);
    rp_buf_puts(page, "</main>\n<footer><p>Written by <code>childlink report</code>. The table "
                      "behind every chart is in the CSV file named under it, beside this page. "
                      "Definitions, the SQL logic of each analysis and the disclosure rules: "
                      "docs/report.md.</p></footer>\n</body>\n</html>\n");
    if (page->failed)
        return rp_nomem(c);
    return CL_OK;
}

/* Describe the disclosure settings in words. */
static void describe_sdc(rp_ctx *c)
{
    const cl_sdc_options *o = &c->sdc;
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<h3>Disclosure control</h3>\n<p>");
    if (o->threshold > 1) {
        rp_buf_printf(b, "Counts from 1 to %lld are withheld and shown as <strong>",
                      (long long)o->threshold - 1);
        rp_buf_html(b, rp_withheld(c));
        rp_buf_puts(b, "</strong>");
    } else {
        rp_buf_puts(b, "No count is withheld for being small (threshold 1)");
    }
    if (o->rounding_base > 1)
        rp_buf_printf(b, "; every other count is rounded to the nearest %lld",
                      (long long)o->rounding_base);
    else
        rp_buf_puts(b, "; counts are not rounded");
    rp_buf_printf(b, "; zeros are %s. Rates and percentages are computed from the exact "
                     "numbers and withheld when their numerator or denominator is small%s. ",
                  o->show_zero ? "shown" : "withheld",
                  o->rate_complement ? " (or, for a percentage, when the children it leaves "
                                       "out are few)" : "");
    if (o->secondary)
        rp_buf_puts(b, "In tables with totals, further cells are withheld (shown as <strong>");
    if (o->secondary) {
        rp_buf_html(b, o->secondary_label ? o->secondary_label : CL_SDC_DEFAULT_SECONDARY_LABEL);
        rp_buf_puts(b, "</strong>) so that no withheld count can be worked out from the "
                       "totals. ");
    }
    rp_buf_puts(b, "Rounded cells need not add up to the rounded totals. Charts are drawn from "
                   "the published numbers; ratios, medians and limits are shown only for "
                   "groups large enough to publish.</p>\n");
}

static void describe_lists(rp_ctx *c)
{
    rp_buf *b = &c->body;
    rp_buf_puts(b, "<h3>Code lists</h3>\n<p>Conditions and cohorts are defined by clinical "
                   "code lists in the format ECHILD publishes, matched against every diagnosis "
                   "column of hospital admissions (a 3-character ICD-10 code covers its "
                   "4-character codes) or against the admission method.</p>\n"
                   "<div class=\"tw\"><table><thead><tr><th scope=\"col\">list</th>"
                   "<th scope=\"col\">from</th><th scope=\"col\">codes</th>"
                   "<th scope=\"col\" class=\"num\">rows not used</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < c->nlists; i++) {
        const rp_codelist *l = &c->lists[i];
        rp_buf_puts(b, "<tr><td>");
        rp_buf_html(b, l->name);
        rp_buf_puts(b, "</td><td>");
        rp_buf_html(b, l->builtin ? l->origin
                               : l->latin1 ? "given with --codelist (not UTF-8: read as Latin-1)"
                                           : "given with --codelist");
        rp_buf_puts(b, "</td><td>");
        size_t shown = 0;
        for (size_t j = 0; j < l->ndiag && shown < 12; j++, shown++) {
            rp_buf_puts(b, shown ? ", " : "ICD-10 ");
            rp_buf_html(b, l->diag[j]);
        }
        if (l->ndiag > 12)
            rp_buf_printf(b, " and %zu more", l->ndiag - 12);
        for (size_t j = 0; j < l->nadmimeth && j < 12; j++) {
            rp_buf_puts(b, j ? ", " : (l->ndiag ? "; admission methods " : "admission methods "));
            rp_buf_html(b, l->admimeth[j]);
        }
        rp_buf_printf(b, "</td><td class=\"num\">%zu</td></tr>\n", l->rows_unused);
    }
    rp_buf_puts(b, "</tbody></table></div>\n");
}

/* The opening section: what the database holds, the settings, the lists. */
static cl_status introduction(rp_ctx *c)
{
    rp_section_begin(c, "about", "About this report");
    cl_status st = rp_data_load(c);
    if (st != CL_OK)
        return st;
    c->data_loaded = 1;
    const rp_data *d = &c->data;
    char children[40], records[40];
    rp_count_text(c, (int64_t)d->nchildren, children, sizeof children, NULL);
    rp_count_text(c, (int64_t)d->nrecords, records, sizeof records, NULL);
    rp_buf_printf(&c->body, "<p class=\"key\">%s children, %s linked records from %zu sources"
                            "</p>\n<p>Sources: ",
                  children, records, d->nsources);
    for (size_t i = 0; i < d->nsources; i++) {
        if (i)
            rp_buf_puts(&c->body, ", ");
        rp_buf_puts(&c->body, "<code>");
        rp_buf_html(&c->body, d->sources[i]);
        rp_buf_puts(&c->body, "</code>");
        if (d->source_domain[i] != RP_NO_DOMAIN) {
            rp_buf_puts(&c->body, " (");
            rp_buf_html(&c->body, rp_domain_names[d->source_domain[i]]);
            rp_buf_puts(&c->body, ")");
        }
    }
    rp_buf_puts(&c->body, ".</p>\n<p>A <em>school year</em> runs from 1 September to 31 "
                          "August; school year groups are reception (R) to year 11, and a "
                          "child's age at the start of year N is N + 4 (4 in reception). "
                          "No child identifier appears anywhere in this report.</p>\n");
    describe_sdc(c);
    describe_lists(c);
    rp_section_end(c);
    return c->body.failed || c->toc.failed ? rp_nomem(c) : CL_OK;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct pending {
    cl_outfile *out;
    char *path;
    int committed;
} pending;

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = cl_malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Open, write and (only when every file is complete) commit the outputs:
 * the CSVs in order, report.html last. */
static cl_status write_outputs(rp_ctx *c, const rp_buf *page)
{
    size_t n = c->ntables + 1;
    pending *files = cl_calloc(n, sizeof *files);
    if (files == NULL)
        return rp_nomem(c);
    unsigned flags = c->opt->force ? CL_OUTFILE_OVERWRITE : CL_OUTFILE_NO_CLOBBER;
    cl_status st = CL_OK;
    rp_buf text = {0};
    for (size_t i = 0; i < n && st == CL_OK; i++) {
        char name[200];
        const char *data;
        size_t len;
        if (i < c->ntables) {
            snprintf(name, sizeof name, "%s.csv", c->tables[i]->name);
            text.len = 0;
            rp_table_csv(c->tables[i], &text);
            if (text.failed) {
                st = rp_nomem(c);
                break;
            }
            data = text.data;
            len = text.len;
        } else {
            snprintf(name, sizeof name, "report.html");
            data = page->data;
            len = page->len;
        }
        if ((files[i].path = join_path(c->opt->out_dir, name)) == NULL) {
            st = rp_nomem(c);
            break;
        }
        if ((st = cl_outfile_open(&files[i].out, files[i].path, flags, c->err)) != CL_OK)
            break;
        FILE *fp = cl_outfile_stream(files[i].out);
        if (len && fwrite(data, 1, len, fp) != len)
            st = cl_error_set(c->err, CL_EIO, files[i].path, 0, "cannot write: %s",
                              strerror(errno));
    }
    for (size_t i = 0; i < n && st == CL_OK; i++) {
        st = cl_outfile_commit(files[i].out, c->err);
        files[i].out = NULL;
        files[i].committed = st == CL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        cl_outfile_abort(files[i].out);
        if (st != CL_OK && files[i].committed)
            unlink(files[i].path);
        cl_free(files[i].path);
    }
    cl_free(files);
    rp_buf_free(&text);
    return st;
}

static int selected(const cl_report_options *opt, const char *name)
{
    if (opt->nonly == 0)
        return 1;
    for (size_t i = 0; i < opt->nonly; i++)
        if (strcmp(opt->only[i], name) == 0)
            return 1;
    return 0;
}

cl_status cl_report_run(const cl_report_options *opt, cl_report_summary *summary,
                        cl_error *err)
{
    cl_error local;
    if (err == NULL)
        err = &local;
    cl_error_clear(err);
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (opt == NULL)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no options");
    cl_status st = check_options(opt, err);
    if (st != CL_OK)
        return st;

    rp_ctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.err = err;
    c.sdc = opt->sdc;
    c.sdc_rate = opt->sdc;
    c.sdc_rate.rate_complement = 0;
    if (opt->sdc.primary_label)
        snprintf(c.withheld, sizeof c.withheld, "%s", opt->sdc.primary_label);
    else
        snprintf(c.withheld, sizeof c.withheld, "<%lld", (long long)opt->sdc.threshold);
    int created = 0;
    char version[64] = "";
    rp_buf page = {0};

    if ((st = load_codelists(&c)) != CL_OK)
        goto done;
    if ((st = open_database(&c, version, sizeof version)) != CL_OK)
        goto done;
    if ((st = prepare_directory(&c, &created)) != CL_OK)
        goto done;
    if ((st = introduction(&c)) != CL_OK)
        goto done;
    for (size_t i = 0; i < N_ANALYSES; i++) {
        if (!selected(opt, analyses[i].name))
            continue;
        if (opt->progress) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s: %s", analyses[i].name, analyses[i].summary);
            opt->progress(opt->progress_ctx, msg);
        }
        size_t before = c.analyses_skipped;
        if ((st = analyses[i].run(&c)) != CL_OK)
            goto done;
        if (c.analyses_skipped == before)
            c.analyses_run++;
        for (size_t t = 0; t < c.ntables; t++)
            if (c.tables[t]->failed) {
                st = rp_nomem(&c);
                goto done;
            }
        if (c.body.failed || c.toc.failed) {
            st = rp_nomem(&c);
            goto done;
        }
    }
    if ((st = assemble(&c, version, &page)) != CL_OK)
        goto done;
    if ((st = write_outputs(&c, &page)) != CL_OK)
        goto done;
    if (summary) {
        summary->analyses_run = c.analyses_run;
        summary->analyses_skipped = c.analyses_skipped;
        summary->tables_written = c.ntables;
    }
done:
    if (st != CL_OK && created)
        rmdir(opt->out_dir);
    if (c.db)
        sqlite3_close(c.db);
    rp_buf_free(&page);
    rp_buf_free(&c.body);
    rp_buf_free(&c.toc);
    for (size_t i = 0; i < c.ntables; i++)
        rp_table_free(c.tables[i]);
    cl_free(c.tables);
    for (size_t i = 0; i < c.nlists; i++)
        rp_codelist_free(&c.lists[i]);
    cl_free(c.lists);
    rp_data_free(&c.data);
    return st;
}
