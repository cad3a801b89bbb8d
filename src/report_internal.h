/*
 * report_internal.h - what the files of `childlink report` share (report.h
 * is the public face).  Prefix rp_ throughout, by file:
 *
 *   report.c            options, the database check, the run and its outputs
 *   report_buf.c        growable text buffers (HTML, SVG, CSV text)
 *   report_table.c      output tables: disclosure-controlled cells -> CSV, HTML
 *   report_svg.c        chart primitives: scales, ticks, axes, shapes, text
 *   report_codelist.c   ECHILD-format clinical code lists, built-in and given
 *   report_data.c       reading the database into compact arrays
 *   report_coverage.c   analyses 1 and 2: linkage coverage, who is known to whom
 *   report_critical.c   analysis 3: critical points by school year
 *   report_lottery.c    analysis 4: Kaplan-Meier and funnel plot by area
 *   report_condition.c  analysis 5: a condition and school absence
 *
 * The one rule that keeps the report safe: a number derived from a count
 * reaches text (HTML, SVG, CSV) only through rp_count_text / rp_rate_text /
 * the table functions, which apply disclosure control.  Statistics that are
 * not counts (ratios, medians, limits) are written only for groups the same
 * rules allow.
 */
#ifndef CHILDLINK_REPORT_INTERNAL_H
#define CHILDLINK_REPORT_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "childlink/disclosure.h"
#include "childlink/report.h"
#include "childlink/strmap.h"

/* ------------------------------------------------------------ buffers */

/* A growable NUL-terminated string.  Zero-initialise to start.  An
 * allocation failure sets `failed` and later appends do nothing, so a
 * writer checks once at the end. */
typedef struct rp_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} rp_buf;

void rp_buf_free(rp_buf *b);
void rp_buf_add(rp_buf *b, const char *s, size_t len);
void rp_buf_puts(rp_buf *b, const char *s);
void rp_buf_printf(rp_buf *b, const char *fmt, ...) CL_PRINTF(2, 3);
/* Append `text` with &, <, >, " and ' escaped for HTML text and attributes. */
void rp_buf_html(rp_buf *b, const char *text);

/* ------------------------------------------------------------- tables */

/* What a column holds.  Count columns are named n_* and hold only
 * disclosure-controlled counts ("0", "<10", "[c]" or a rounded count);
 * rate columns hold controlled rates; value columns hold statistics that are
 * not counts (ratios, limits, medians); labels are categories. */
typedef enum rp_kind { RP_LABEL, RP_COUNT, RP_RATE, RP_VALUE } rp_kind;

typedef struct rp_column {
    const char *name;     /* CSV header; count columns start with n_ */
    const char *heading;  /* HTML heading */
    rp_kind kind;
} rp_column;

/* A table of text cells, filled row by row, left to right.  Written as
 * NAME.csv and, where the analysis asks, as an HTML table. */
typedef struct rp_table {
    char *name;           /* file stem */
    char *title;
    const rp_column *cols;  /* static description, not owned */
    size_t ncols;
    char **cells;         /* ncells strings, row-major */
    size_t ncells;
    size_t cap;
    int failed;           /* out of memory while filling */
} rp_table;

size_t rp_table_rows(const rp_table *t);
const char *rp_table_get(const rp_table *t, size_t row, size_t col);
void rp_table_text(rp_table *t, const char *s);
void rp_table_printf(rp_table *t, const char *fmt, ...) CL_PRINTF(2, 3);
/* A statistic with `decimals` decimals; "" for NaN or infinity. */
void rp_table_value(rp_table *t, double v, int decimals);
/* Write the table as CSV into `out`. */
void rp_table_csv(const rp_table *t, rp_buf *out);
/* Write the table as an HTML <table>: numeric columns right-aligned, count
 * cells marked class="n" so that tests can find them. */
void rp_table_html(const rp_table *t, rp_buf *out);
void rp_table_free(rp_table *t);

/* ------------------------------------------------------------- charts */

/* A linear or log10 map from data to pixels. */
typedef struct rp_scale {
    double d0, d1;        /* data domain */
    double p0, p1;        /* pixel range */
    int log;              /* log10 scale (domain > 0) */
} rp_scale;

double rp_scale_map(const rp_scale *s, double v);
/* "Nice" ticks (1, 2, 5 x 10^k) covering [lo, hi]: at most `max` values into
 * `ticks`; returns how many.  Widens lo and hi to the outer ticks when
 * `widen` is set. */
size_t rp_nice_ticks(double *lo, double *hi, size_t max, int widen, double *ticks);

void rp_svg_begin(rp_buf *b, int width, int height, const char *title, const char *desc);
void rp_svg_end(rp_buf *b);
/* Text at (x, y); anchor "start", "middle" or "end"; extra attributes
 * (e.g. "font-weight=\"bold\"") or NULL; the text is escaped. */
void rp_svg_text(rp_buf *b, double x, double y, const char *anchor, const char *extra,
                 const char *text);
void rp_svg_line(rp_buf *b, double x1, double y1, double x2, double y2, const char *stroke,
                 double width, const char *dash);
void rp_svg_rect(rp_buf *b, double x, double y, double w, double h, const char *fill,
                 const char *extra);
void rp_svg_circle(rp_buf *b, double x, double y, double r, const char *fill,
                   const char *stroke);
/* A horizontal axis at pixel y with ticks at the given values and labels
 * (NULL labels: the values formatted with `decimals`), and a title below. */
void rp_svg_xaxis(rp_buf *b, const rp_scale *s, double y, const double *ticks, size_t n,
                  const char *const *labels, int decimals, const char *title);
/* A vertical axis at pixel x, with light grid lines across to `grid_to`
 * (pixel x; 0: none), and a rotated title. */
void rp_svg_yaxis(rp_buf *b, const rp_scale *s, double x, const double *ticks, size_t n,
                  int decimals, const char *suffix, double grid_to, const char *title);
/* A legend entry: a swatch (line when dash != NULL or is_line, else box)
 * and its label; returns the x after it. */
double rp_svg_legend(rp_buf *b, double x, double y, const char *colour, int is_line,
                     const char *dash, const char *label);

/* Colours (Okabe-Ito, readable by colour-blind readers). */
#define RP_BLUE "#0072B2"
#define RP_ORANGE "#E69F00"
#define RP_GREEN "#009E73"
#define RP_VERMILLION "#D55E00"
#define RP_SKY "#56B4E9"
#define RP_PURPLE "#CC79A7"
#define RP_GREY "#8c8c8c"
#define RP_INK "#1a1a1a"

/* --------------------------------------------------------- code lists */

#define RP_CODELIST_NAME_MAX 48

/* One code list, reduced to what the database can match: ICD-10 diagnosis
 * codes (normalised: upper case, no dot, 3 or 4 characters; a 3-character
 * code covers all its 4-character children) and HES admission methods. */
typedef struct rp_codelist {
    char name[RP_CODELIST_NAME_MAX + 1];
    char origin[512];       /* the file, or "built-in (...)" */
    int builtin;
    char (*diag)[5];        /* sorted, unique */
    size_t ndiag;
    char (*admimeth)[3];    /* sorted, unique */
    size_t nadmimeth;
    size_t rows;            /* data rows read */
    size_t rows_unused;     /* rows for fields the database does not hold */
    int latin1;             /* the file was not UTF-8 and was read as Latin-1 */
} rp_codelist;

/* Whether `name` is a valid code list name. */
int rp_codelist_name_ok(const char *name);
/* Read the ECHILD-format CSV at `path` into `out` (zeroed by the caller).
 * Returns CL_OK; CL_EIO (cannot read); CL_EFORMAT naming file and line (no
 * `code` column, a malformed code, a field or code type that does not fit,
 * no usable code at all); CL_ENOMEM.  Free with rp_codelist_free. */
cl_status rp_codelist_load(rp_codelist *out, const char *name, const char *path,
                           cl_error *err);
/* The same from text in memory; `origin` names it in errors. */
cl_status rp_codelist_parse(rp_codelist *out, const char *name, const char *origin,
                            const char *text, cl_error *err);
/* The built-in lists: asthma, downs_syndrome, emergency_admission. */
size_t rp_codelist_builtin_count(void);
cl_status rp_codelist_builtin(size_t i, rp_codelist *out, cl_error *err);
void rp_codelist_free(rp_codelist *l);
/* Whether a diagnosis as HES writes it ("J459", "J46X", "J45.9", "j45")
 * is in the list. */
int rp_codelist_match_diag(const rp_codelist *l, const char *code);
int rp_codelist_match_admimeth(const rp_codelist *l, const char *code);

/* --------------------------------------------------------------- data */

#define RP_NO_DAY INT32_MAX

/* One child in one school year (spring census row). */
typedef struct rp_pupil_year {
    int32_t child;
    int16_t year;        /* academic year start: 2015 for 2015/16 */
    int8_t group;        /* school year group: 0 reception .. 11 */
    int8_t fsm;          /* 1 eligible, 0 not, -1 unknown */
    char sen;            /* 'N', 'K', 'E' or 0 unknown */
    int32_t la;          /* index into rp_data.las, -1 unknown */
} rp_pupil_year;

/* One child's absence in one school year. */
typedef struct rp_absence {
    int32_t child;
    int16_t year;
    int8_t group;
    int64_t possible;    /* sessions possible */
    int64_t missed;      /* authorised + unauthorised */
} rp_absence;

/* One hospital admission. */
typedef struct rp_admission {
    int32_t child;
    int32_t day;         /* admission date, day number */
    char method[3];      /* ADMIMETH, "" unknown */
    uint32_t diag_off;   /* diagnoses in rp_data.diag_text: codes, ' '-separated */
} rp_admission;

typedef struct rp_event {
    int32_t child;
    int32_t day;
} rp_event;

typedef enum rp_domain {
    RP_HEALTH = 0, RP_EDUCATION, RP_SOCIAL_CARE, RP_MENTAL_HEALTH, RP_N_DOMAINS,
    RP_NO_DOMAIN = -1
} rp_domain;

/* What the report reads from the database, loaded once. */
typedef struct rp_data {
    cl_strmap *children;       /* child_id -> index */
    size_t nchildren;
    /* Spine (child table): per child; 0 / -1 where unknown. */
    char *sex;                 /* 'M', 'F' or 0 */
    int16_t *birth_year;       /* 0 unknown */
    int8_t *decile;            /* 1..10, 0 unknown */
    int32_t *ethnic;           /* index into ethnic_names, -1 unknown */
    char **ethnic_names;
    size_t nethnic;
    /* Link map. */
    char **sources;            /* source names, sorted by domain then name */
    int *source_domain;        /* rp_domain per source */
    size_t nsources;
    int32_t *rec_source;       /* per link-map row: source index */
    int32_t *rec_child;
    float *rec_prob;           /* NaN when empty */
    size_t nrecords;
    /* School census, sorted by child then year (have_census). */
    int have_census;
    rp_pupil_year *census;
    size_t ncensus;
    char **las;                /* local authority labels (the LA column) */
    size_t nlas;
    int have_absence;
    rp_absence *absence;       /* sorted by child then year */
    size_t nabsence;
    int have_admissions;
    rp_admission *admissions;
    size_t nadmissions;
    rp_buf diag_text;
    int have_camhs;
    rp_event *camhs;
    size_t ncamhs;
} rp_data;

/* ------------------------------------------------------------ context */

typedef struct rp_ctx {
    const cl_report_options *opt;
    sqlite3 *db;
    cl_error *err;
    cl_sdc_options sdc;        /* proportions (complement rule as given) */
    cl_sdc_options sdc_rate;   /* rates that are not proportions: no complement rule */
    rp_buf body;               /* HTML of the analyses */
    rp_buf toc;                /* table of contents entries */
    rp_table **tables;
    size_t ntables;
    size_t tables_cap;
    rp_codelist *lists;        /* built-in lists (possibly replaced), then added */
    size_t nlists;
    rp_data data;
    int data_loaded;
    size_t analyses_run;
    size_t analyses_skipped;
    int svg_count;             /* charts so far, for unique ids */
    char withheld[CL_SDC_MAX_LABEL + 24];  /* the primary label */
} rp_ctx;

/* A new table registered with the context (written as NAME.csv).  NULL when
 * out of memory (an error is then set in the context). */
rp_table *rp_new_table(rp_ctx *c, const char *name, const char *title, const rp_column *cols,
                       size_t ncols);
/* Record an out-of-memory error; returns CL_ENOMEM. */
cl_status rp_nomem(rp_ctx *c);
/* A database error with SQLite's message; returns CL_EFORMAT or CL_EIO. */
cl_status rp_db_fail(rp_ctx *c, const char *what);

/* Disclosure-controlled text for a count standing alone (into `buf`, at
 * least 40 bytes); `cell` (may be NULL) receives the protected cell. */
void rp_count_text(const rp_ctx *c, int64_t count, char *buf, size_t size, cl_sdc_cell *cell);
/* The same for a cell of a protected table. */
void rp_cell_text(const rp_ctx *c, const cl_sdc_cell *cell, char *buf, size_t size);
/* Disclosure-controlled text for numerator / denominator * per, and the
 * shown value (NaN when withheld).  `proportion` selects the complement
 * rule. */
double rp_rate_text(const rp_ctx *c, int64_t numerator, int64_t denominator, double per,
                    int proportion, char *buf, size_t size);
/* Withheld text (the primary label) for values derived from a group too
 * small to publish. */
const char *rp_withheld(const rp_ctx *c);
/* Protect a rows x cols table of counts (with the totals asked for); NULL
 * on failure, with the error set.  Free with cl_sdc_result_free. */
cl_sdc_result *rp_protect(rp_ctx *c, const int64_t *counts, size_t rows, size_t cols,
                          int row_totals, int column_totals);
/* Append a controlled count, a rate, to a table. */
void rp_table_count(rp_table *t, const rp_ctx *c, int64_t count);
void rp_table_sdc(rp_table *t, const rp_ctx *c, const cl_sdc_cell *cell);

/* Section scaffolding: <section id=ID><h2>TITLE</h2>, closed by
 * rp_section_end; rp_note adds a note paragraph (escaped). */
void rp_section_begin(rp_ctx *c, const char *id, const char *title);
void rp_section_end(rp_ctx *c);
void rp_note(rp_ctx *c, const char *fmt, ...) CL_PRINTF(2, 3);
/* A table shown in the page (collapsed under a summary line) with a link to
 * its CSV file. */
void rp_show_table(rp_ctx *c, const rp_table *t, int open);
/* The code list NAME (NULL if none). */
const rp_codelist *rp_list(const rp_ctx *c, const char *name);
/* Next chart number. */
int rp_next_chart(rp_ctx *c);

/* report_data.c.  Load everything the analyses read; tables that are absent
 * leave their have_* flag 0.  Returns CL_OK, or an error set in c->err. */
cl_status rp_data_load(rp_ctx *c);
void rp_data_free(rp_data *d);
/* Whether the database has table `name` / column `col` in it. */
int rp_db_has_table(rp_ctx *c, const char *name);
/* The first column of `table` named `col` ignoring case; its real name into
 * `out`.  1 if found. */
int rp_db_find_column(rp_ctx *c, const char *table, const char *col, char *out, size_t size);
/* Academic year start (September) of a day number. */
int rp_academic_year(int32_t day);
/* The domain of a source name (by prefix: hes/ecds health, npd education,
 * csc social care, camhs/mhsds mental health). */
rp_domain rp_source_domain(const char *source);
extern const char *const rp_domain_names[RP_N_DOMAINS];
/* Label of a school year group ("R", "1", ... "11"). */
const char *rp_year_label(int group);
/* First day of each child's record matching the diagnosis list (RP_NO_DAY if
 * none) into `first` (nchildren entries). */
void rp_first_diagnosis(const rp_data *d, const rp_codelist *l, int32_t *first);

/* The analyses.  Each writes its section and tables, or a note saying why it
 * was skipped; returns CL_OK or an error set in c->err. */
cl_status rp_analysis_coverage(rp_ctx *c);
cl_status rp_analysis_known_to(rp_ctx *c);
cl_status rp_analysis_critical_points(rp_ctx *c);
cl_status rp_analysis_postcode_lottery(rp_ctx *c);
cl_status rp_analysis_condition_absence(rp_ctx *c);

/* The bootstrap behind the condition analysis (report_condition.c), shared
 * with the tests: percentile intervals of the Mantel-Haenszel rate ratio over
 * `replicates` resamples of children (all of a child's rows go together),
 * deterministic for a given seed.  Strata come in consecutive groups of
 * `group_size` (school year groups): lower/upper[0] receive the interval over
 * all strata, lower/upper[1 + g] that of group g alone (nstrata / group_size
 * groups); NaN where too few resamples give a ratio.  Returns CL_OK or
 * CL_ENOMEM. */
typedef struct rp_pt_row {
    int32_t child;       /* dense index 0..nchildren-1 among the rows' children */
    int32_t stratum;
    int exposed;
    double events;
    double time;
} rp_pt_row;
cl_status rp_bootstrap_mh(const rp_pt_row *rows, size_t nrows, size_t nchildren,
                          size_t nstrata, size_t group_size, size_t replicates, uint64_t seed,
                          double confidence, double *lower, double *upper);

#endif
