/*
 * records.h - the in-memory record store the linkage engine works on.
 *
 * Columnar arrays of fixed-size fields, one entry per record, filled once
 * from one or more identifier files.  Strings (names, postcodes, record
 * ids) are interned: a record holds 32-bit ids, comparisons of equal values
 * are integer compares, and each distinct value's frequency is counted once
 * for term-frequency adjustment.  Phonetic codes and calendar parts of dates
 * are precomputed so that comparing two records touches little memory and
 * never allocates.
 */
#ifndef CHILDLINK_RECORDS_H
#define CHILDLINK_RECORDS_H

#include <stdint.h>

#include "childlink/base.h"
#include "childlink/similarity.h"

#define CL_MAX_ALTERNATIVES 3   /* values kept per multi-valued field */
#define CL_NO_DATE INT32_MIN

typedef struct cl_strtab cl_strtab;

/* What a store was loaded from: clear identifiers (canonical or raw extracts
 * read through a schema) or the identifier files `childlink encode` writes
 * (keyed tokens and Bloom filters).  The two are never mixed in one store. */
typedef enum cl_records_kind {
    CL_RECORDS_CLEAR = 0,
    CL_RECORDS_ENCODED = 1
} cl_records_kind;

/* Encoded stores only: 64 bits of each token column that comparisons and
 * blocking read (0 when missing; a value is never 0), and the string id of
 * the date-of-birth filter.  Sixty-four bits keep the chance that two
 * different values share one below one in ten million even for ten million
 * distinct values. */
typedef struct cl_token_record {
    uint64_t dob, postcode_sector_dob, postcode_district_dob;
    uint64_t dob_forename_initial, dob_surname_initial, surname_sdx_ym;
    uint64_t postcode_initial, postcode_yob, names_sdx_yob;
    uint64_t salt;       /* what name, postcode and address filters were salted with:
                            0 unsalted, else the dob, dob_year_month or dob_year
                            token (1: salted, no year);
                            filters of different salts cannot be compared */
    uint32_t dob_filter;
} cl_token_record;

/* What comparing two records reads, packed together (two cache lines), so a
 * comparison touches two places in memory instead of one per column.  Fields
 * only comparisons need (all forenames, postcode sectors and districts, local
 * id) live here alone. */
typedef struct cl_hot_record {
    uint32_t forename, forenames, local_id;   /* string ids; forenames: all, spaced */
    uint32_t address, place, other_id;        /* string ids */
    uint32_t surname[CL_MAX_ALTERNATIVES];
    uint32_t postcode[CL_MAX_ALTERNATIVES];
    uint32_t postcode_sector[CL_MAX_ALTERNATIVES];
    uint32_t postcode_district[CL_MAX_ALTERNATIVES];
    cl_sim_date dob;
    uint16_t source;
    char sex;
    char nhs[10];             /* not NUL-terminated; nhs[0] == 0 when missing */
    char upn[13];
    char forename_nysiis[7];
    char surname_soundex[5];
} cl_hot_record;

/* In an encoded store the same columns hold what the identifier file gives:
 * record_id is the record token; forename (and forenames), surname[0] and
 * postcode[0] are string ids of the raw bytes of bf_forenames, bf_surname and
 * bf_postcode (so equal filters compare as equal ids and are counted for
 * term-frequency adjustment); nhs and upn hold the first bytes of their
 * tokens (first byte forced non-zero); sex is 'A', 'B', ... by token; dob is
 * missing and the phonetic codes empty; the rest is in `tokens`. */
typedef struct cl_records {
    size_t n;                 /* records */
    cl_records_kind kind;
    cl_token_record *tokens;  /* [n], encoded stores only */
    size_t filter_bytes;      /* length of every Bloom filter (encoded stores) */
    int filters_balanced;     /* encoded stores: 1 balanced filters, 0 not, -1 none read yet */
    uint64_t generation;      /* unique per store in this process (keys caches) */
    int nsources;
    char **source_names;      /* [nsources] */
    uint16_t *source;         /* [n] index into source_names */
    uint32_t *record_id;      /* [n] string id */
    uint32_t *line;           /* [n] input line */
    /* names: string ids, 0 = missing */
    uint32_t *forename;       /* first forename */
    uint32_t (*surname)[CL_MAX_ALTERNATIVES];
    uint32_t (*postcode)[CL_MAX_ALTERNATIVES];
    char (*forename_soundex)[5];
    char (*surname_soundex)[5];
    char (*forename_nysiis)[7];
    char (*surname_nysiis)[7];
    cl_sim_date *dob;         /* days == CL_NO_DATE when missing */
    char *sex;                /* 'M', 'F', or 0 (missing, unknown, indeterminate) */
    char (*nhs)[11];          /* "" when missing */
    uint8_t *nhs_valid;
    char (*upn)[14];
    uint8_t *upn_valid;
    cl_hot_record *hot;       /* [n] */
    cl_strtab *strings;
    /* frequency of each string id among the records that have the field */
    uint32_t *forename_count, *surname_count, *postcode_count, *place_count;
    uint32_t forename_total, surname_total, postcode_total, place_total;
} cl_records;

/* One input: a source name and a file read through a schema. */
typedef struct cl_records_input {
    const char *source;   /* name used in link maps */
    const char *path;
    const char *schema;   /* built-in name or JSON path; NULL: the built-in schema
                             named like the source if it fits the header, else
                             "generic" */
} cl_records_input;

/* Load `ninputs` files into a new store.  Each record is cleaned on the way in
 * (so raw canonical CSVs and `clean` outputs both work).  A file whose header
 * starts with `record_token` is an encoded identifier file (docs/privacy.md);
 * every input must then be one, with filters of one length.  Fails with the
 * file and line for malformed input, a duplicate record id within a source,
 * an empty file, or a source named twice.  `progress` may be NULL. */
CL_API cl_status cl_records_load(cl_records **out, const cl_records_input *inputs, int ninputs,
                                 void (*progress)(const char *path, long records),
                                 cl_error *err) CL_MUST_CHECK;
CL_API void cl_records_free(cl_records *r);

/* The text of string id `id` ("" for 0) and its length. */
CL_API const char *cl_records_str(const cl_records *r, uint32_t id, size_t *len);

/* Index of the record with this source and record id, or -1. */
CL_API long cl_records_find(const cl_records *r, const char *source, const char *record_id);

#endif
