/*
 * clk_internal.h - what the clkhash-compatible encoder's source files share
 * (clk.c: keys, hashing, filters, output; clk_schema.c: the schema loader;
 * clk_format.c: validation, formatting and tokenisers; clk_blake2b.c).
 *
 * The schema is parsed once into plain structs; everything the hot path
 * needs (regex, date format program, enum values, numeric parameters) is
 * compiled at load time.  The primitives below are also what
 * tests/unit/test_clk.c checks against clkhash's own unit vectors.
 */
#ifndef CHILDLINK_CLK_INTERNAL_H
#define CHILDLINK_CLK_INTERNAL_H

#include <regex.h>
#include <stdint.h>

#include "childlink/clk.h"

/* ---- schema ---------------------------------------------------------- */

typedef enum clk_format_type {
    CLK_FMT_STRING,
    CLK_FMT_INTEGER,
    CLK_FMT_DATE,
    CLK_FMT_ENUM
} clk_format_type;

typedef enum clk_encoding {
    CLK_ENC_UTF8,
    CLK_ENC_UTF16,   /* BOM FF FE, then UTF-16LE: Python's 'utf-16' on x86 */
    CLK_ENC_UTF32,   /* BOM FF FE 00 00, then UTF-32LE */
    CLK_ENC_ASCII
} clk_encoding;

typedef enum clk_case { CLK_CASE_MIXED, CLK_CASE_UPPER, CLK_CASE_LOWER } clk_case;

typedef enum clk_comparison { CLK_CMP_NGRAM, CLK_CMP_EXACT, CLK_CMP_NUMERIC } clk_comparison;

typedef enum clk_hash { CLK_HASH_BLAKE, CLK_HASH_DOUBLE } clk_hash;

/* One step of a compiled strptime format. */
typedef struct clk_date_step {
    char kind;         /* directive letter, 'L' literal byte, 'W' whitespace run */
    char literal;
} clk_date_step;

#define CLK_DATE_MAX_STEPS 64

typedef struct clk_feature {
    char *identifier;
    int ignored;

    /* format */
    clk_format_type format;
    clk_encoding encoding;
    int has_pattern;
    regex_t pattern;
    clk_case text_case;
    long min_length;            /* -1: none (code points) */
    long max_length;            /* -1: none */
    int has_minimum, has_maximum;
    long long minimum, maximum; /* integer format bounds */
    clk_date_step date_steps[CLK_DATE_MAX_STEPS];
    int ndate_steps;
    char **enum_values;
    size_t *enum_lens;
    size_t nenum;

    /* hashing */
    clk_comparison comparison;
    int ngram_n;
    int positional;
    double threshold_distance;
    int resolution;
    int fractional_precision;
    long long distance_interval;   /* threshold * 10^precision, an integer */
    clk_hash hash;
    int prevent_singularity;
    int bits_per_token;            /* exactly one of these is > 0 */
    int bits_per_feature;
    int has_missing;
    char *sentinel;
    size_t sentinel_len;
    char *replace_with;
    size_t replace_len;
} clk_feature;

typedef enum clk_kdf_hash { CLK_KDF_SHA256, CLK_KDF_SHA512 } clk_kdf_hash;

struct cl_clk_schema {
    int version;
    size_t l;                 /* bits after folding */
    int xor_folds;
    size_t hash_l;            /* l * 2^xor_folds */
    clk_kdf_hash kdf_hash;
    unsigned char *salt;
    size_t salt_len;
    int has_salt;
    unsigned char *info;
    size_t info_len;
    int has_info;
    size_t key_size;
    clk_feature *features;
    size_t nfeatures;
};

/* ---- primitives (clk.c) ---------------------------------------------- */

/* HKDF (RFC 5869) of `secret` into `out_len` bytes.  salt/info may be NULL
 * (absent).  Returns CL_OK or CL_EINVAL (OpenSSL refused, e.g. too long). */
cl_status clk_hkdf(clk_kdf_hash hash, const unsigned char *secret, size_t secret_len,
                   const unsigned char *salt, size_t salt_len, const unsigned char *info,
                   size_t info_len, unsigned char *out, size_t out_len, cl_error *err);

/* k per token for `ntokens` tokens (bitsPerToken or bitsPerFeature split:
 * the first bits % ntokens tokens get one more). */
void clk_token_ks(const clk_feature *f, size_t ntokens, int *ks);

/* BLAKE2b-512 bit indices of one token: k indices into [0, l), l a power of
 * two, from keyed BLAKE2b with salt str(i) for i = 0.. ceil(k/32)-1. */
void clk_blake_indices(const unsigned char *key, size_t key_len, const unsigned char *token,
                       size_t token_len, int k, uint32_t l, uint32_t *indices);

/* Double-hashing indices (HMAC-SHA1 + i * HMAC-MD5, mod l), with the
 * singularity retry when `prevent_singularity`.  Returns CL_OK or
 * CL_EINVAL (OpenSSL failure, or no non-zero MD5 residue found). */
cl_status clk_double_indices(const unsigned char *key_sha1, const unsigned char *key_md5,
                             size_t key_len, const unsigned char *token, size_t token_len,
                             int k, uint32_t l, int prevent_singularity, uint32_t *indices,
                             cl_error *err);

/* XOR-fold `bits` bits (big-endian bit order) of `filter` `folds` times, in
 * place; the result is bits >> folds bits long, padded to whole bytes with
 * zero bits. */
void clk_fold(unsigned char *filter, size_t bits, int folds);

/* ---- BLAKE2b (clk_blake2b.c) ----------------------------------------- */

typedef struct clk_blake2b_state {
    uint64_t h[8];
    uint64_t t;        /* bytes compressed so far (messages < 2^64 bytes) */
} clk_blake2b_state;

/* Keyed BLAKE2b-512 with a salt (<= 16 bytes, zero-padded): the state after
 * the key block, ready for clk_blake2b_finish.  key_len must be 1..64. */
void clk_blake2b_keyed_init(clk_blake2b_state *s, const unsigned char *key, size_t key_len,
                            const unsigned char *salt, size_t salt_len);
/* Finish a keyed hash started by clk_blake2b_keyed_init (not modified) over
 * `len` bytes of `msg`; writes the eight output words to `out` (the digest
 * is their little-endian bytes).  `key`, `salt` are needed only for the
 * empty message, where the key block itself is the final block. */
void clk_blake2b_finish(const clk_blake2b_state *s, const unsigned char *msg, size_t len,
                        const unsigned char *key, size_t key_len, const unsigned char *salt,
                        size_t salt_len, uint64_t out[8]);

/* ---- values and tokens (clk_format.c) -------------------------------- */

/* Compile a strptime format into `f`; CL_EFORMAT for directives clkhash's
 * Python would reject or that childlink does not support. */
cl_status clk_date_compile(clk_feature *f, const char *format, cl_error *err);

/* Translate a Python regular expression into a POSIX ERE anchored at both
 * ends (clkhash uses fullmatch) and compile it into f->pattern. */
cl_status clk_regex_compile(clk_feature *f, const char *pattern, cl_error *err);

/* Growable byte buffer reused across records. */
typedef struct clk_buf {
    char *data;
    size_t len, cap;
} clk_buf;

cl_status clk_buf_reserve(clk_buf *b, size_t cap);

/* Validate a non-missing value of feature `f` and write its formatted form
 * (what clkhash tokenises) to `out`.  Returns CL_OK, or CL_EFORMAT with a
 * reason that does not quote the value, or CL_ENOMEM. */
cl_status clk_format_value(const clk_feature *f, const char *value, size_t len, clk_buf *out,
                           cl_error *err);

/* Tokenise a formatted value into `toks`: NUL-separated UTF-8 tokens
 * (each token's start in `offs`, *ntokens of them, offs[ntokens] = end).
 * Needs `offs` to have room for the count returned by clk_token_count + 1. */
cl_status clk_tokenize(const clk_feature *f, const char *value, size_t len, clk_buf *toks,
                       size_t *offs, size_t offs_cap, size_t *ntokens, cl_error *err);

/* Upper bound of the tokens of a formatted value of `len` bytes. */
size_t clk_token_bound(const clk_feature *f, size_t len);

/* Numeric tokens as clkhash's NumericComparison makes them; CL_EFORMAT if
 * `word` is not a Python float literal or is out of range. */
cl_status clk_numeric_tokens(const clk_feature *f, const char *word, size_t len,
                             long long *tokens, cl_error *err);

/* Encode a UTF-8 token into the feature's byte encoding (BOM per token for
 * UTF-16/32). */
cl_status clk_encode_token(clk_encoding enc, const char *tok, size_t len, clk_buf *out);

#endif
