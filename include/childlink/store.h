/*
 * store.h - the linked, de-identified longitudinal database (`childlink
 * build`).
 *
 * A build joins a link map (source, record_id, child_id, ...) with the
 * payload files of each source (record token plus content, no identifiers)
 * into one SQLite file: a spine of children, the link map itself, one typed
 * table per source, a timeline view and a table describing the build.  The
 * schema is documented in docs/database.md.
 *
 * Each payload file is read twice: once to infer column types (so a column
 * is INTEGER only if every value in it is) and once to insert, so memory
 * holds the link map and the spine, never the payloads.  The database is
 * written to a temporary file beside the output and renamed into place only
 * when complete; the same inputs always give a byte-identical file.
 */
#ifndef CHILDLINK_STORE_H
#define CHILDLINK_STORE_H

#include <stddef.h>

#include "childlink/base.h"

/* Type of one value or one column, from narrowest to widest.  A column's
 * type is the widest over its non-empty values (see cl_store_type_merge). */
typedef enum cl_store_type {
    CL_STORE_EMPTY = 0,   /* no non-empty value seen: stored as TEXT (NULLs) */
    CL_STORE_INTEGER,     /* -?[0-9]+ without a leading zero, up to 18 digits */
    CL_STORE_REAL,        /* -?[0-9]+.[0-9]+ (no exponent) */
    CL_STORE_DATE,        /* yyyy-mm-dd or dd/mm/yyyy, a real day: ISO TEXT */
    CL_STORE_DATE8,       /* 8 digits yyyymmdd that are a real day: a date only
                             in a column whose name contains "date" */
    CL_STORE_TEXT         /* anything else */
} cl_store_type;

/* Classify `len` bytes of `s` (no surrounding-space trimming; "" is
 * CL_STORE_EMPTY).  Never fails, no allocation. */
CL_API cl_store_type cl_store_value_type(const char *s, size_t len);

/* The type of a column that so far had type `column` after it meets a value of
 * type `value`: EMPTY is neutral, INTEGER widens to REAL, DATE8 with INTEGER
 * gives INTEGER, every other mix gives TEXT. */
CL_API cl_store_type cl_store_type_merge(cl_store_type column, cl_store_type value);

/* Write the ISO form "yyyy-mm-dd" of a date value into `out` (NUL-terminated).
 * Accepts yyyy-mm-dd, dd/mm/yyyy and yyyymmdd.  Returns 0 on success, -1 if
 * `s` is not a real day in one of those forms (out is then ""). */
CL_API int cl_store_date_iso(const char *s, size_t len, char out[11]);

/* Whether a payload column name looks like a personal identifier (date of
 * birth, name, postcode, NHS number, UPN), which a payload must never carry.
 * Compares case-insensitively ignoring everything but letters and digits. */
CL_API int cl_store_is_identifier_column(const char *name);

/* One payload file: the source name as in the link map, and its path. */
typedef struct cl_store_payload {
    const char *source;
    const char *path;
} cl_store_payload;

typedef struct cl_store_options {
    const char *linkmap_path;
    const cl_store_payload *payloads;
    size_t npayloads;
    /* Key column of the payloads: NULL means "record_token", or "record_id"
     * where a file has that and no record_token. */
    const char *key_column;
    const char *out_path;
    int force;                       /* replace an existing output */
    /* Called with a progress sentence now and then; may be NULL. */
    void (*progress)(void *ctx, const char *message);
    void *progress_ctx;
} cl_store_options;

/* Row counts of one table written. */
typedef struct cl_store_table_count {
    char table[128];     /* table name in the database */
    char source[128];    /* source name ("" for child and source_record) */
    long long rows;
    long long unmatched; /* payload rows whose key is not in the link map */
} cl_store_table_count;

typedef struct cl_store_summary {
    cl_store_table_count *tables;  /* child, source_record, then the sources */
    size_t ntables;
} cl_store_summary;

/* Build the database described by `opt`.  Every payload source must appear in
 * the link map, no source may be given twice, and payload files must not
 * hold identifier columns (cl_store_is_identifier_column).  On success the
 * database exists at opt->out_path and, if `summary` is non-NULL, it is
 * filled (free with cl_store_summary_free).  On failure no file is left
 * behind, `summary` is empty, and the status is: CL_EEXIST (output exists and
 * not force), CL_EIO (cannot read an input or write the output), CL_EFORMAT
 * (malformed or inconsistent input; err names file and line), CL_EINVAL
 * (bad options), CL_ENOMEM. */
CL_API cl_status cl_store_build(const cl_store_options *opt, cl_store_summary *summary,
                                cl_error *err) CL_MUST_CHECK;

/* Free the tables of a summary and empty it.  Accepts NULL. */
CL_API void cl_store_summary_free(cl_store_summary *summary);

#endif
