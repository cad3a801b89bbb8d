/*
 * encode.h - pseudonymisation at source: one extract in, an identifier file
 * (keyed tokens and Bloom-filter encodings, no clear identifiers) for the
 * linkage unit and a payload file (record token and content) for analysts
 * out.  docs/privacy.md gives the threat model and the file formats.
 *
 * Every output value is a function of the project key (keys.h):
 *   - record_token = first 32 hex digits of HMAC(key, "record" 0 source 0
 *     record_id): the only thing joining the two files, and unguessable
 *     without the key even though record ids are often sequential;
 *   - a token is the first 32 hex digits of HMAC(subkey(purpose), value),
 *     one subkey per column, so equal values in one column give equal
 *     tokens (exact comparison and blocking) and nothing else;
 *   - a Bloom filter sets, for each q-gram of a standardised value, k bit
 *     positions read from AES-256(subkey(filter), salt 0 q-gram, counter)
 *     (bloom_scheme 2, encode.c): the positions are independent keyed
 *     draws, not double hashing, so the pattern-mining attacks that exploit
 *     the structure of double-hashed filters (Kroll and Steinmetzer;
 *     Christen et al.) have none to use.  k follows a fixed bit budget per
 *     field (short and long names set about the same number of bits, hiding
 *     length and frequency), names and postcodes are salted with the year
 *     and month of birth, and a record-level filter holds all fields at once.
 * Columns that a frequency attack would break (a token of a surname, of a
 * phonetic code or of a postcode, sector or district alone) are never
 * written: names and postcodes appear only combined with the birth year,
 * sectors and districts only with the full date of birth.
 *
 * The encoder holds one keyed context per purpose and reuses its buffers, so
 * encoding a record allocates nothing.  Output is deterministic: the same
 * input, key and options give the same bytes.
 */
#ifndef CHILDLINK_ENCODE_H
#define CHILDLINK_ENCODE_H

#include <stddef.h>

#include "childlink/base.h"
#include "childlink/clean.h"
#include "childlink/keys.h"
#include "childlink/schema.h"

/* How Bloom-filter positions are drawn (docs/privacy.md), written in every
 * row of an identifier file: filters of different schemes are unrelated bit
 * patterns, so the linkage engine refuses to mix them.  Scheme 1 (HMAC
 * streams, files without the column) was replaced by scheme 2 (AES-256 as a
 * block PRF) in December 2026: encode then took half the time. */
#define CL_BLOOM_SCHEME 2
#define CL_BLOOM_SCHEME_TEXT "2"

/* Hex digits of every token (plus a NUL in buffers). */
#define CL_TOKEN_CHARS 32

/* Token columns of the identifier file, in file order. */
typedef enum cl_encode_token {
    CL_TOKEN_NHS_NUMBER = 0,
    CL_TOKEN_UPN,
    CL_TOKEN_LOCAL_ID,
    CL_TOKEN_DOB,
    CL_TOKEN_SEX,
    CL_TOKEN_POSTCODE_YOB,           /* "SW1A 1AA|2011" */
    CL_TOKEN_POSTCODE_SECTOR_DOB,    /* "SW1A 1|2011-05-21" */
    CL_TOKEN_POSTCODE_DISTRICT_DOB,  /* "SW1A|2011-05-21" */
    CL_TOKEN_DOB_YEAR,               /* "2011" */
    CL_TOKEN_SURNAME_SDX_YM,         /* "B400|2011-05" */
    CL_TOKEN_NAMES_SDX_YOB,          /* "B400|K300|2011": the two codes in byte order, so a
                                        forename/surname swap gives the same token */
    CL_TOKEN_POSTCODE_INITIAL,       /* "AH1 0EY|k" */
    CL_TOKEN_DOB_FORENAME_INITIAL,   /* "2011-05-21|k" */
    CL_TOKEN_DOB_SURNAME_INITIAL,    /* "2011-05-21|b" */
    CL_TOKEN_OTHER_ID,               /* another shared identifier (docs/formats.md) */
    CL_TOKEN_DOB_YEAR_MONTH,         /* "2011-05", written only with CL_SALT_YEAR_MONTH:
                                        it says which filters compare */
    CL_TOKEN_COUNT
} cl_encode_token;

/* Bloom-filter columns, in file order. */
typedef enum cl_encode_filter {
    CL_FILTER_FORENAMES = 0,
    CL_FILTER_SURNAME,
    CL_FILTER_DOB,
    CL_FILTER_POSTCODE,
    CL_FILTER_ADDRESS,    /* address lines and place, as one text */
    CL_FILTER_RECORD,     /* all five fields in one filter */
    CL_FILTER_COUNT
} cl_encode_filter;

/* Column name of a token ("postcode_sector_dob") or filter ("bf_surname"). */
CL_API const char *cl_encode_token_name(cl_encode_token t);
CL_API const char *cl_encode_filter_name(cl_encode_filter f);

/* The salt of name, postcode and address filters.  A salt splits one name
 * into as many unrelated filters as the salt has values, so a frequency
 * attack must match (name, salt) pairs: with the year and month of birth
 * they stay rare in a large population, with the year alone they do not
 * (docs/privacy.md has the measurements).  Filters with different salts are
 * not compared, so a wrong salt, or a date of birth that one source holds
 * whole and another only as a year, hides those fields. */
typedef enum cl_encode_salt {
    CL_SALT_NONE = 0,
    CL_SALT_BIRTH_YEAR = 1,
    CL_SALT_DOB = 2,           /* whole date of birth; the birth year when only that is known */
    CL_SALT_YEAR_MONTH = 3,    /* year and month of birth; the year when only that is known */
} cl_encode_salt;

typedef struct cl_encode_options {
    const char *source;        /* source name for record tokens (NULL: the schema's) */
    unsigned bloom_bits;       /* filter length before folding: 64..65536, multiple of 64
                                  (default 1024) */
    unsigned bloom_k;          /* positions per q-gram; 0 (default): fixed bit budget per
                                  field, k = max(1, round(budget / q-grams)) with budget
                                  bits/8 for a field filter and bits/8 per field in the
                                  record-level filter */
    unsigned q;                /* q-gram length in characters, 1..4 (default 2) */
    cl_encode_salt salt;       /* what name, postcode and address filters are salted
                                  with (default CL_SALT_YEAR_MONTH) */
    double flip_probability;   /* flip each filter bit with this probability, 0..0.5
                                  (default 0), deterministically from the key */
    int xor_fold;              /* fold each filter once (halves its length; default 0) */
    int balance;               /* balanced filters (Schnell and Borgs): each filter and its
                                  complement, bits shuffled by a keyed permutation, so
                                  every filter has exactly half its bits set (doubles the
                                  length; default 0) */
} cl_encode_options;

/* Fill `opt` with the defaults above. */
CL_API void cl_encode_options_init(cl_encode_options *opt);

typedef struct cl_encoder cl_encoder;

/* One record's encoding; strings and filters point into the encoder and stay
 * valid until its next cl_encoder_record call.  A missing value gives an
 * empty token and has_filter 0 (the filter is then all zero). */
typedef struct cl_encoded {
    char record_token[CL_TOKEN_CHARS + 1];
    unsigned char record_key[CL_TOKEN_CHARS / 2];   /* the same token as bytes */
    char token[CL_TOKEN_COUNT][CL_TOKEN_CHARS + 1];
    int nhs_number_valid, upn_valid;
    int filters_balanced;            /* the options' balance */
    cl_encode_salt filters_salted;   /* what this record's name, postcode and address
                                        filters were salted with (the `dob` or
                                        `dob_year` token says which value) */
    int has_filter[CL_FILTER_COUNT];
    const unsigned char *filter[CL_FILTER_COUNT];   /* cl_encoder_filter_bytes each */
} cl_encoded;

/* Make an encoder for `source` (may be "" but not NULL) under `key`, with
 * `opt` (NULL: defaults).  The key may be freed once this returns: the
 * encoder keeps only derived keyed contexts.  Fails with CL_EINVAL naming the
 * option out of range, or CL_ENOMEM.  Free with cl_encoder_free. */
CL_API cl_status cl_encoder_new(cl_encoder **out, const cl_key *key, const char *source,
                                const cl_encode_options *opt, cl_error *err) CL_MUST_CHECK;
CL_API void cl_encoder_free(cl_encoder *e);

/* Bytes of each output filter (after folding). */
CL_API size_t cl_encoder_filter_bytes(const cl_encoder *e);

/* The record token of `len` bytes of `record_id` into `out` (32 hex digits
 * and a NUL).  Returns 0, or -1 if the crypto library failed. */
CL_API int cl_encoder_record_token(cl_encoder *e, const char *record_id, size_t len,
                                   char out[CL_TOKEN_CHARS + 1]) CL_MUST_CHECK;

/* The token of column `t` for the already composed `len` bytes of `value`
 * (the form shown beside each enum constant); an empty value gives "".
 * Returns 0 or -1 as above. */
CL_API int cl_encoder_token(cl_encoder *e, cl_encode_token t, const char *value, size_t len,
                            char out[CL_TOKEN_CHARS + 1]) CL_MUST_CHECK;

/* The Bloom filter of column `f` (not CL_FILTER_RECORD) for `len` bytes of
 * the standardised UTF-8 `value`, salted with `salt_len` bytes of `salt`,
 * into `bits` (bloom_bits / 8 bytes, bit p is byte p/8, mask 0x80 >> p%8),
 * before any flipping or folding.  An empty value leaves `bits` all zero.
 * Returns 0 or -1 as above. */
CL_API int cl_encoder_bloom(cl_encoder *e, cl_encode_filter f, const char *value, size_t len,
                            const char *salt, size_t salt_len, unsigned char *bits) CL_MUST_CHECK;

/* Encode one cleaned record (clean.h) into `out`.  Multi-valued fields
 * ('|' alternatives) are encoded by their first value.  Returns 0 or -1. */
CL_API int cl_encoder_record(cl_encoder *e, const cl_clean_record *rec,
                             cl_encoded *out) CL_MUST_CHECK;

/* Whether a column name looks identifying: contains (ASCII case-insensitive)
 * name, forename, surname, dob, birth, postcode, address, nhs, upn, email or
 * phone.  Returns 1 or 0. */
CL_API int cl_encode_looks_identifying(const char *column_name);

typedef struct cl_encode_stats {
    long records;
    long tokens[CL_TOKEN_COUNT];       /* non-empty tokens written */
    long filters[CL_FILTER_COUNT];     /* non-empty filters written */
    int payload_columns;
    char key_id[CL_KEY_ID_CHARS + 1];
} cl_encode_stats;

/* Encode the extract `in_path` read through `schema` under `key` and
 * `opt` (NULL: defaults; opt->source NULL means the schema's source name)
 * into the identifier file `ids_path` and the payload file `payload_path`
 * (formats in docs/privacy.md).  Before writing anything, refuses with
 * CL_EFORMAT a binding that would put a column that looks identifying
 * (cl_encode_looks_identifying) into the payload, naming the column.  Stops
 * at the first record that cannot be kept (wrong number of fields, empty or
 * duplicate record id) with CL_EFORMAT naming file and line, and passes CSV
 * reader errors on.  Both outputs are atomic and committed together at the
 * end: on any error neither exists.  `stats` (may be NULL) receives counts;
 * `progress` (may be NULL) is called every 1,000,000 records. */
CL_API cl_status cl_encode_file(const char *in_path, const cl_schema *schema, const cl_key *key,
                                const cl_encode_options *opt, const char *ids_path,
                                const char *payload_path, cl_encode_stats *stats,
                                void (*progress)(long records), cl_error *err) CL_MUST_CHECK;

#endif
