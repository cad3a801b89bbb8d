/*
 * schema.h - mapping a source's own columns onto childlink's canonical
 * identifier record.
 *
 * Every source names and codes its identifiers its own way (HES: NEWNHSNO,
 * SEX 1/2/9; the school census: UPN, Gender M/F).  A schema is a small JSON
 * file (docs/formats.md) saying which column holds each canonical field, the
 * date format, the sex codes, and which other columns identify a person and
 * so must never reach a payload file.  Built-in schemas cover the synthetic
 * sources and "generic", a CSV whose header already uses canonical names.
 */
#ifndef CHILDLINK_SCHEMA_H
#define CHILDLINK_SCHEMA_H

#include "childlink/base.h"
#include "childlink/csv.h"
#include "childlink/date.h"

/* The canonical identifier fields, in the order of canonical files. */
typedef enum cl_field {
    CL_FIELD_RECORD_ID = 0,
    CL_FIELD_NHS_NUMBER,
    CL_FIELD_UPN,
    CL_FIELD_LOCAL_ID,
    CL_FIELD_FORENAMES,
    CL_FIELD_SURNAME,
    CL_FIELD_DOB,
    CL_FIELD_SEX,
    CL_FIELD_POSTCODE,
    CL_FIELD_ETHNICITY,
    CL_FIELD_ADDRESS,      /* street address lines (not the postcode) */
    CL_FIELD_PLACE,        /* town, suburb or place of birth */
    CL_FIELD_OTHER_ID,     /* another identifier the sources share (e.g. a hospital
                              or social security number); compared across sources */
    CL_FIELD_COUNT
} cl_field;

/* Canonical column name of a field ("nhs_number"). */
CL_API const char *cl_field_name(cl_field f);
/* Field for a canonical name, or -1. */
CL_API int cl_field_from_name(const char *name);

/* Most source columns one canonical field may gather ('|'-joined). */
#define CL_SCHEMA_MAX_COLUMNS 4

typedef struct cl_schema cl_schema;

/* Load a schema: `name_or_path` is a built-in name ("generic", "hes_apc", ...)
 * or a path to a JSON file (anything containing '/' or ending in ".json").
 * On success *out is freed with cl_schema_free.  Errors: CL_EIO (unreadable),
 * CL_EFORMAT (bad JSON or schema, message names the key), CL_EINVAL (unknown
 * built-in name), CL_ENOMEM. */
CL_API cl_status cl_schema_load(cl_schema **out, const char *name_or_path,
                                cl_error *err) CL_MUST_CHECK;

/* Parse schema JSON text; `origin` names it in errors. */
CL_API cl_status cl_schema_parse(cl_schema **out, const char *json, const char *origin,
                                 cl_error *err) CL_MUST_CHECK;

CL_API void cl_schema_free(cl_schema *s);

/* The source name ("hes_apc"); never NULL (may be ""). */
CL_API const char *cl_schema_source(const cl_schema *s);
CL_API const cl_date_options *cl_schema_dob_options(const cl_schema *s);
/* Whether postcodes are free-form ("postcode_format": "any": kept as upper-case
 * letters and digits) rather than checked as UK postcodes (the default). */
CL_API int cl_schema_postcode_any(const cl_schema *s);
/* Names of the built-in schemas, NULL-terminated. */
CL_API const char *const *cl_schema_builtin_names(void);

/* A schema bound to one file's header: column positions resolved. */
typedef struct cl_schema_binding {
    int ncolumns;                                        /* in the header */
    int field_columns[CL_FIELD_COUNT][CL_SCHEMA_MAX_COLUMNS]; /* -1 = none */
    int field_ncolumns[CL_FIELD_COUNT];
    unsigned char *column_role;    /* per header column: CL_COLUMN_* */
    char **column_names;           /* copies of the header names */
} cl_schema_binding;

#define CL_COLUMN_PAYLOAD 0       /* content: goes to the payload file */
#define CL_COLUMN_IDENTIFIER 1    /* mapped onto a canonical field */
#define CL_COLUMN_IDENTIFYING 2   /* listed as identifying: dropped */

/* Resolve the schema against the header record `r` has just read.  Fails with
 * CL_EFORMAT naming the line and column for a duplicate or empty column name,
 * a required column that is missing, or a header with no columns. */
CL_API cl_status cl_schema_bind(const cl_schema *s, const cl_csv_reader *r,
                                cl_schema_binding *out, cl_error *err) CL_MUST_CHECK;
CL_API void cl_schema_binding_free(cl_schema_binding *b);

/* Map a raw sex value through the schema's sex_codes: returns the canonical
 * code text ("M"...) if the schema lists `raw`, else NULL. */
CL_API const char *cl_schema_sex_code(const cl_schema *s, const char *raw, size_t len);

#endif
