/*
 * report.h - `childlink report`: a self-contained HTML report, and the table
 * behind every chart as CSV, from the linked database that `childlink build`
 * writes (docs/database.md).
 *
 * The report reads the database read-only and publishes only aggregates,
 * every one of them passed through statistical disclosure control
 * (disclosure.h) before it is written, drawn or quoted in the text.  Each
 * analysis finds its tables and columns by the names documented in
 * docs/synthetic-data.md (hes_apc, npd_census, ...); an analysis whose
 * tables are absent is skipped with a note in the report, not an error.
 * Conditions and cohorts are defined by clinical code lists in the format
 * ECHILD publishes; built-in lists cover asthma, Down's syndrome and
 * emergency admission methods, and the caller may replace them or add more.
 *
 * Outputs appear whole or not at all: every file is written under a
 * temporary name and renamed only when all of them are complete, report.html
 * last.  The same database and options give byte-identical files.  The
 * analyses, their definitions and the disclosure rules applied to each are
 * in docs/report.md.
 */
#ifndef CHILDLINK_REPORT_H
#define CHILDLINK_REPORT_H

#include <stddef.h>

#include "childlink/base.h"
#include "childlink/disclosure.h"

/* A code list given by the caller: NAME (letters, digits, '_', '-'; at most
 * 48 bytes) and the path of a CSV in ECHILD's format. */
typedef struct cl_report_codelist {
    const char *name;
    const char *path;
} cl_report_codelist;

typedef struct cl_report_options {
    const char *db_path;       /* linked.db (required) */
    const char *out_dir;       /* directory for report.html and the CSVs (required) */
    /* Analyses to run, by name (see cl_report_analysis_name); NULL or none:
     * all of them. */
    const char *const *only;
    size_t nonly;
    /* Code lists replacing a built-in one of the same name or adding a
     * condition; every added diagnosis list gets its own condition-and-school
     * analysis. */
    const cl_report_codelist *codelists;
    size_t ncodelists;
    cl_sdc_options sdc;        /* disclosure control (defaults: disclosure.h) */
    int force;                 /* write into a directory that holds files */
    /* Called with one sentence as each analysis starts; may be NULL. */
    void (*progress)(void *ctx, const char *message);
    void *progress_ctx;
} cl_report_options;

/* What a run wrote. */
typedef struct cl_report_summary {
    size_t analyses_run;       /* analyses that produced output */
    size_t analyses_skipped;   /* selected but skipped for want of tables */
    size_t tables_written;     /* CSV files */
} cl_report_summary;

/* Fill `opt` with the defaults: no paths, every analysis, no extra code
 * lists, the disclosure defaults, no force, no progress callback.  `opt`
 * must not be NULL. */
CL_API void cl_report_options_default(cl_report_options *opt);

/* The analyses in report order: their names (for `only`), and a one-line
 * description of each.  Index i from 0 to cl_report_analysis_count() - 1;
 * NULL beyond. */
CL_API size_t cl_report_analysis_count(void);
CL_API const char *cl_report_analysis_name(size_t i);
CL_API const char *cl_report_analysis_summary(size_t i);

/* Write the report described by `opt`.  On success out_dir holds
 * report.html and one CSV per table, and `summary` (may be NULL) is filled.
 * On failure no output file is left behind (a directory created by this call
 * is removed again) and the status is: CL_EINVAL (bad options: an unknown
 * analysis name, a bad code list name, disclosure options out of range);
 * CL_EIO (the database cannot be opened, or the output cannot be written);
 * CL_EEXIST (out_dir holds files and force is 0); CL_EFORMAT (not an SQLite
 * file, not a childlink database, or a malformed code list: err names the
 * file and line); CL_ENOMEM.  `err` may be NULL. */
CL_API cl_status cl_report_run(const cl_report_options *opt, cl_report_summary *summary,
                               cl_error *err) CL_MUST_CHECK;

#endif
