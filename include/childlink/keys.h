/*
 * keys.h - the project secret that makes encode's tokens and Bloom filters
 * unguessable, and the keyed hash (HMAC-SHA256) that uses it.
 *
 * One key is generated per linkage project (`childlink keygen`), shared among
 * the data holders only and never with the linkage unit: whoever holds it can
 * test guesses ("is there a Katie Bailey born 2011-05-21?") against the
 * identifier files.  Everything encode writes is therefore a function of the
 * key, and rotating the key (a new project) makes old and new files unlinkable.
 *
 * Key file (docs/privacy.md, "Key file"): one text line
 *     childlink-key/1 <key_id> <64 lower-case hex digits>
 * with an optional line end.  key_id is the first 8 hex digits of
 * SHA-256("childlink key id" || key): it names the key in logs and lets two
 * holders check they share a key without revealing it, and it catches a
 * corrupted key file.  The file must be mode 0600 or stricter; a key that is
 * group- or world-readable is refused as compromised-by-default.
 *
 * Key material lives only in cl_key and cl_key_mac objects, which wipe it
 * (OPENSSL_cleanse) when freed.
 */
#ifndef CHILDLINK_KEYS_H
#define CHILDLINK_KEYS_H

#include <stddef.h>

#include "childlink/base.h"

/* Bytes of a project key and of an HMAC-SHA256 output. */
#define CL_KEY_BYTES 32
/* Hex digits of a key id (plus a NUL in buffers). */
#define CL_KEY_ID_CHARS 8

typedef struct cl_key cl_key;

/* Make a fresh key from the operating system's random source (RAND_bytes,
 * seeded from getrandom).  On success *out is freed with cl_key_free.
 * Fails with CL_EIO (no randomness available) or CL_ENOMEM. */
CL_API cl_status cl_key_generate(cl_key **out, cl_error *err) CL_MUST_CHECK;

/* A key from `len` given bytes (tests, and key derivation by callers that
 * already hold key bytes).  `len` must be CL_KEY_BYTES, else CL_EINVAL.
 * On success *out is freed with cl_key_free.  Fails also with CL_ENOMEM. */
CL_API cl_status cl_key_from_bytes(cl_key **out, const unsigned char *bytes, size_t len,
                                   cl_error *err) CL_MUST_CHECK;

/* Parse the text of a key file (`len` bytes of `text`; `origin` names it in
 * errors, may be NULL).  Fails with CL_EFORMAT, naming the problem (wrong
 * header, short or non-hex key, key id that does not match the key, trailing
 * text) but never echoing key material; or CL_ENOMEM. */
CL_API cl_status cl_key_parse(cl_key **out, const char *text, size_t len, const char *origin,
                              cl_error *err) CL_MUST_CHECK;

/* Load the key file `path`.  Fails with CL_EIO (missing or unreadable),
 * CL_EFORMAT (not a regular file, readable by group or others, or malformed
 * as in cl_key_parse) or CL_ENOMEM.  On success *out is freed with
 * cl_key_free. */
CL_API cl_status cl_key_load(cl_key **out, const char *path, cl_error *err) CL_MUST_CHECK;

/* Write `key` to `path` in the key-file format, mode 0600, atomically.
 * Never overwrites: fails with CL_EEXIST if `path` exists, else CL_EIO. */
CL_API cl_status cl_key_save(const cl_key *key, const char *path, cl_error *err) CL_MUST_CHECK;

/* The key id: CL_KEY_ID_CHARS hex digits, NUL-terminated, owned by `key`. */
CL_API const char *cl_key_id(const cl_key *key);

/* Wipe and free.  Accepts NULL. */
CL_API void cl_key_free(cl_key *key);

/* A reusable HMAC-SHA256 under one key: set up once, then computed many
 * times without allocating. */
typedef struct cl_key_mac cl_key_mac;

/* An HMAC under the project key itself (used for record tokens).  On
 * success *out is freed with cl_key_mac_free.  Fails with CL_ENOMEM or
 * CL_EINVAL (the crypto library refused). */
CL_API cl_status cl_key_mac_new(cl_key_mac **out, const cl_key *key, cl_error *err) CL_MUST_CHECK;

/* An HMAC under the subkey for `purpose` (a short ASCII label such as
 * "token/nhs_number"): subkey = HMAC(key, "childlink derive" 0x00 purpose).
 * Different purposes give independent keys, so a token of one field can
 * never be compared with, or replayed as, a token of another.  Errors as
 * cl_key_mac_new. */
CL_API cl_status cl_key_mac_derived(cl_key_mac **out, const cl_key *key, const char *purpose,
                                    cl_error *err) CL_MUST_CHECK;

/* HMAC of the `len` bytes at `msg` (may be NULL when len is 0) into `out`.
 * Returns 0, or -1 if the crypto library failed (out is then zeroed). */
CL_API int cl_key_mac_compute(cl_key_mac *m, const void *msg, size_t len,
                              unsigned char out[CL_KEY_BYTES]) CL_MUST_CHECK;

/* The same over two pieces, as if concatenated. */
CL_API int cl_key_mac_compute2(cl_key_mac *m, const void *a, size_t alen, const void *b,
                               size_t blen, unsigned char out[CL_KEY_BYTES]) CL_MUST_CHECK;

/* Wipe and free.  Accepts NULL. */
CL_API void cl_key_mac_free(cl_key_mac *m);

/* A keyed pseudorandom function on 16-byte blocks: AES-256 under the subkey
 * for `purpose` (derived as for cl_key_mac_derived), one block in, one block
 * out.  Far cheaper than an HMAC per call when many short inputs are hashed
 * at once (Bloom-filter positions); callers make each input block unique. */
typedef struct cl_key_prf cl_key_prf;
#define CL_PRF_BLOCK 16

/* On success *out is freed with cl_key_prf_free.  Fails with CL_ENOMEM or
 * CL_EINVAL (the crypto library refused). */
CL_API cl_status cl_key_prf_derived(cl_key_prf **out, const cl_key *key, const char *purpose,
                                    cl_error *err) CL_MUST_CHECK;

/* The PRF of each of `nblocks` blocks at `in` into `out` (same size; they
 * may be the same buffer).  Returns 0, or -1 if the crypto library failed. */
CL_API int cl_key_prf_blocks(cl_key_prf *p, const unsigned char *in, size_t nblocks,
                             unsigned char *out) CL_MUST_CHECK;

/* Wipe and free.  Accepts NULL. */
CL_API void cl_key_prf_free(cl_key_prf *p);

#endif
