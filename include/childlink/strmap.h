/*
 * strmap.h - a string -> int64 hash map for record ids and interned values.
 *
 * Keys are copied into an arena owned by the map (freed in one call), so a
 * map of millions of short ids costs one allocation per 1 MiB of keys, not
 * one per key.  Open addressing with linear probing; the table doubles at
 * 70% load.
 */
#ifndef CHILDLINK_STRMAP_H
#define CHILDLINK_STRMAP_H

#include <stdint.h>

#include "childlink/base.h"

typedef struct cl_strmap cl_strmap;

/* A new empty map, or NULL when out of memory.  Free with cl_strmap_free. */
CL_API cl_strmap *cl_strmap_new(void) CL_MUST_CHECK;
CL_API void cl_strmap_free(cl_strmap *m);

/* Insert `key` (len bytes) with `value` unless present.  Returns 1 when
 * inserted, 0 when the key was already there (its value goes to *existing,
 * which may be NULL), -1 when out of memory. */
CL_API int cl_strmap_put(cl_strmap *m, const char *key, size_t len, int64_t value,
                         int64_t *existing) CL_MUST_CHECK;

/* As cl_strmap_put, and `*stored` (may be NULL) receives the map's own
 * NUL-terminated copy of the key, valid until the map is freed: a string
 * table needs no second copy. */
CL_API int cl_strmap_intern(cl_strmap *m, const char *key, size_t len, int64_t value,
                            int64_t *existing, const char **stored) CL_MUST_CHECK;

/* 1 and the value in *value when `key` is present, else 0. */
CL_API int cl_strmap_get(const cl_strmap *m, const char *key, size_t len, int64_t *value);

CL_API size_t cl_strmap_size(const cl_strmap *m);

/* Make room for `n` keys without regrowing (a hint; fails only when out of
 * memory: returns -1, else 0). */
CL_API int cl_strmap_reserve(cl_strmap *m, size_t n) CL_MUST_CHECK;

/* 64-bit hash of bytes (not cryptographic; for tables only). */
CL_API uint64_t cl_hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
