/*
 * clean.h - turn one source's extract into canonical, standardised,
 * validated identifier records.
 *
 * A cleaner is bound to a file's header through its schema.  Each record
 * yields every canonical field in standard form (docs/formats.md) with a
 * check result: valid, missing, or invalid with a reason.  Invalid values are
 * kept where they can still help linkage (an NHS number with a wrong check
 * digit keeps its ten digits, since a mistyped digit should near-agree with
 * the right one) and emptied where nothing usable remains (a 31st of
 * February).  A record is never dropped silently: one that cannot be kept at
 * all (wrong number of fields, no record id, duplicate record id) is an
 * error, or a counted reject when the caller asks for a rejects file.
 */
#ifndef CHILDLINK_CLEAN_H
#define CHILDLINK_CLEAN_H

#include "childlink/base.h"
#include "childlink/csv.h"
#include "childlink/schema.h"

typedef struct cl_clean_record {
    const char *value[CL_FIELD_COUNT];   /* standard form, "" when none */
    size_t len[CL_FIELD_COUNT];
    cl_check check[CL_FIELD_COUNT];
    const char *reason[CL_FIELD_COUNT];  /* NULL, or a reason slug when invalid;
                                            "temporary" for a valid temporary UPN */
    const char *forenames_original;      /* tidy display forms (NFC, case kept) */
    const char *surname_original;
} cl_clean_record;

typedef struct cl_cleaner cl_cleaner;

/* Bind `schema` to the header record just read by `r`.  Errors as
 * cl_schema_bind. On success free with cl_cleaner_free. */
CL_API cl_status cl_cleaner_new(cl_cleaner **out, const cl_schema *schema,
                                const cl_csv_reader *r, cl_error *err) CL_MUST_CHECK;

/* Clean the record just read by `r` into `out`, whose strings stay valid
 * until the next call.  Returns CL_OK, or CL_EFORMAT with `err` naming the
 * line for a record that cannot be kept (wrong number of fields, empty
 * record id). */
CL_API cl_status cl_cleaner_record(cl_cleaner *c, const cl_csv_reader *r, cl_clean_record *out,
                                   cl_error *err) CL_MUST_CHECK;

CL_API const cl_schema_binding *cl_cleaner_binding(const cl_cleaner *c);
CL_API void cl_cleaner_free(cl_cleaner *c);

/* Per-field tallies for the summary. */
#define CL_CLEAN_MAX_REASONS 12
typedef struct cl_clean_stats {
    long records;        /* kept */
    long rejected;
    long count[CL_FIELD_COUNT][3];                 /* by cl_check */
    const char *reason[CL_FIELD_COUNT][CL_CLEAN_MAX_REASONS];
    long reason_count[CL_FIELD_COUNT][CL_CLEAN_MAX_REASONS];
    int present[CL_FIELD_COUNT];                   /* mapped in this file */
} cl_clean_stats;

CL_API void cl_clean_stats_add(cl_clean_stats *s, const cl_clean_record *rec);

/* Clean a whole file: read `in_path` with `schema`, write the canonical file
 * to `out_path` and, when `rejects_path` is not NULL, records that cannot be
 * kept to it (otherwise the first such record is an error).  Both outputs are
 * atomic: on any error neither exists.  `progress` (may be NULL) is called
 * every 1,000,000 records. */
CL_API cl_status cl_clean_file(const char *in_path, const cl_schema *schema,
                               const char *out_path, const char *rejects_path,
                               cl_clean_stats *stats, void (*progress)(long records),
                               cl_error *err) CL_MUST_CHECK;

#endif
