/*
 * clk.h - CLKs (Cryptographic Longterm Keys) bit-for-bit compatible with
 * clkhash 0.18.3, the encoder of the anonlink privacy-preserving linkage
 * stack.
 *
 * A clkhash linkage schema (JSON, version 2 or 3) names one feature per CSV
 * column, in order, and says how each is validated, formatted, cut into
 * tokens and hashed into one Bloom filter per record.  Given the same schema
 * and secret, the filters written here are byte-identical to clkhash's, so a
 * data holder can use childlink while its partners use anonlink, or the
 * other way round.  docs/clkhash-compat.md lists every behaviour reproduced
 * (n-gram padding, date reformatting, numeric neighbourhood tokens, UTF-16
 * byte-order marks per token, the ignored `xorFolds` spelling, ...) and the
 * few places where childlink refuses an input that clkhash would accept.
 *
 * Typical use, e.g. by `childlink encode --clkhash-schema S.json --secret F`:
 *
 *     cl_clk_schema *s; unsigned char *secret; size_t secret_len;
 *     cl_clk_encoder *e; size_t n;
 *     cl_clk_schema_load(&s, "S.json", &err);
 *     cl_clk_secret_load("F", &secret, &secret_len, &err);
 *     cl_clk_encoder_new(&e, s, secret, secret_len, &err);
 *     cl_clk_encode_csv(e, "in.csv", cl_outfile_stream(out), &n, &err);
 *
 * then free in reverse order (cl_clk_secret_free wipes the secret).
 *
 * Objects: a schema is immutable after loading and may be shared by many
 * encoders.  An encoder holds the derived keys and every buffer the hot path
 * needs, so encoding a record allocates nothing once the buffers have grown
 * to the longest value seen; one encoder must not be used by two threads at
 * once (make one per thread).
 */
#ifndef CHILDLINK_CLK_H
#define CHILDLINK_CLK_H

#include <stdio.h>

#include "childlink/base.h"

typedef struct cl_clk_schema cl_clk_schema;
typedef struct cl_clk_encoder cl_clk_encoder;

/* Largest filter length in bits accepted in `clkConfig.l` (before folding). */
#define CL_CLK_MAX_BITS (1u << 20)

/* Load a linkage schema from the JSON file `path`.  Version 2 schemas are
 * converted to version 3 exactly as clkhash converts them (ngram -> ngram
 * comparison, k -> bitsPerToken, numBits -> bitsPerFeature); version 1 and
 * anything unknown are refused.  On success *out is a schema to be freed
 * with cl_clk_schema_free.  Fails with CL_EIO (cannot read), CL_EFORMAT
 * (not JSON, or a schema clkhash would reject or childlink cannot reproduce;
 * the message names the feature and key) or CL_ENOMEM. */
CL_API cl_status cl_clk_schema_load(cl_clk_schema **out, const char *path,
                                    cl_error *err) CL_MUST_CHECK;

/* The same from `len` bytes of JSON text; `origin` names the text in error
 * messages (may be NULL). */
CL_API cl_status cl_clk_schema_parse(cl_clk_schema **out, const char *text, size_t len,
                                     const char *origin, cl_error *err) CL_MUST_CHECK;

/* Free a schema.  Accepts NULL.  Encoders made from it must be freed first. */
CL_API void cl_clk_schema_free(cl_clk_schema *s);

/* Number of features (CSV columns), ignored ones included. */
CL_API size_t cl_clk_schema_nfeatures(const cl_clk_schema *s);
/* Identifier (expected column name) of feature `i`. */
CL_API const char *cl_clk_schema_identifier(const cl_clk_schema *s, size_t i);
/* Filter length in bits after folding (`clkConfig.l`) and in bytes
 * (rounded up, as bitarray pads the last byte with zero bits). */
CL_API size_t cl_clk_schema_bits(const cl_clk_schema *s);
CL_API size_t cl_clk_schema_bytes(const cl_clk_schema *s);
/* Version of the file as written (2 or 3). */
CL_API int cl_clk_schema_version(const cl_clk_schema *s);

/* Check a CSV header against the schema as clkhash does: the same number of
 * columns, and column i named exactly as feature i.  Returns CL_OK or
 * CL_EFORMAT naming the first difference (`err->file` is left empty). */
CL_API cl_status cl_clk_check_header(const cl_clk_schema *s, const char *const *names,
                                     size_t count, cl_error *err) CL_MUST_CHECK;

/* Read a secret from the file `path`: its bytes, less one trailing line end
 * (LF or CRLF), so that `echo secret > F` and clkhash's command-line secret
 * agree.  On success *secret (to be freed with cl_clk_secret_free) holds
 * *len bytes plus a NUL.  Fails with CL_EIO, CL_EINVAL (empty secret) or
 * CL_ENOMEM. */
CL_API cl_status cl_clk_secret_load(const char *path, unsigned char **secret, size_t *len,
                                    cl_error *err) CL_MUST_CHECK;
/* Wipe and free a secret from cl_clk_secret_load.  Accepts NULL. */
CL_API void cl_clk_secret_free(unsigned char *secret, size_t len);

/* Make an encoder for `schema`: derives the keys from the `secret_len`
 * bytes of `secret` with HKDF as `clkConfig.kdf` says (two keys per feature,
 * ignored features included, in schema order) and preallocates every
 * working buffer.  `schema` must outlive the encoder; `secret` may be wiped
 * once this returns.  Fails with CL_EINVAL (empty secret, or HKDF cannot
 * produce that many key bytes), CL_EFORMAT (the key size does not suit the
 * hash) or CL_ENOMEM.  Free with cl_clk_encoder_free. */
CL_API cl_status cl_clk_encoder_new(cl_clk_encoder **out, const cl_clk_schema *schema,
                                    const unsigned char *secret, size_t secret_len,
                                    cl_error *err) CL_MUST_CHECK;

/* Free an encoder and wipe its keys.  Accepts NULL. */
CL_API void cl_clk_encoder_free(cl_clk_encoder *e);

/* Encode one record.  `fields[i]` (UTF-8, `lens[i]` bytes, need not be
 * NUL-terminated; `lens` may be NULL for NUL-terminated fields) is the value
 * of feature i; `count` must equal cl_clk_schema_nfeatures.  Each value is
 * validated as clkhash validates it (pattern, length, case, integer range,
 * date, enum, encodability) unless it is the feature's missing-value
 * sentinel.  On success `filter` receives cl_clk_schema_bytes bytes.
 * Fails with CL_EINVAL (wrong field count) or CL_EFORMAT naming the feature
 * and the reason; the value itself is never copied into the message. */
CL_API cl_status cl_clk_encode(cl_clk_encoder *e, const char *const *fields,
                               const size_t *lens, size_t count, unsigned char *filter,
                               cl_error *err) CL_MUST_CHECK;

/* Encode every record of the CSV file `csv_path` (with a header row, checked
 * by cl_clk_check_header) and write clkhash's `{"clks": [...]}` JSON to
 * `out`.  *count (may be NULL) receives the number of records.  Stops at the
 * first bad record, as clkhash does, with CL_EFORMAT naming the file and
 * line; any CSV reader error is passed on.  Output already written is then
 * incomplete: write through cl_outfile so it is discarded. */
CL_API cl_status cl_clk_encode_csv(cl_clk_encoder *e, const char *csv_path, FILE *out,
                                   size_t *count, cl_error *err) CL_MUST_CHECK;

/* clkhash's JSON output, written piece by piece so that records can stream:
 * json_begin writes `{"clks": [`, json_add writes one filter as a base64
 * string (preceded by ", " unless `index` is 0), json_end writes `]}` with
 * no line end.  The result is byte-identical to clkhash's clks.json.  Each
 * returns CL_EIO if a write to `out` failed. */
CL_API cl_status cl_clk_json_begin(FILE *out) CL_MUST_CHECK;
CL_API cl_status cl_clk_json_add(FILE *out, const unsigned char *filter, size_t bytes,
                                 size_t index) CL_MUST_CHECK;
CL_API cl_status cl_clk_json_end(FILE *out) CL_MUST_CHECK;
/* All at once: `count` filters of `bytes` bytes each, stored contiguously. */
CL_API cl_status cl_clk_write_json(FILE *out, const unsigned char *filters, size_t count,
                                   size_t bytes) CL_MUST_CHECK;

/* Standard base64 (with padding) of `len` bytes into `dst`, which must hold
 * 4 * ((len + 2) / 3) + 1 bytes; returns the length written (NUL added). */
CL_API size_t cl_clk_base64(char *dst, const unsigned char *src, size_t len);

/* Sorensen-Dice similarity of two filters of `bytes` bytes, as anonlink
 * computes it: 2 |a AND b| / (|a| + |b|), and 0 when both are empty. */
CL_API double cl_clk_dice(const unsigned char *a, const unsigned char *b, size_t bytes);

#endif
