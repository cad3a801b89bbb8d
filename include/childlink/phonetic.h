/*
 * phonetic.h - phonetic codes of names, for blocking and comparison levels.
 *
 * Codes are computed from a comparison key (name.h) and use only the ASCII
 * letters of its first token (up to the first space or '|'); a key with
 * none gives an empty code.  `key` is NUL-terminated and may be NULL (an
 * empty code).  Neither function allocates.  Soundex is the American
 * Soundex used by NHS England's stepwise NPD linkage; NYSIIS keeps more of a
 * name and splits fewer true matches apart on transliterated names.
 */
#ifndef CHILDLINK_PHONETIC_H
#define CHILDLINK_PHONETIC_H

#include "childlink/base.h"

/* American Soundex of the first token of `key` ("robert" -> "R163"); `out`
 * receives 4 characters and a NUL, or "" when there is no ASCII letter. */
CL_API void cl_soundex(const char *key, char out[5]);

/* NYSIIS code of the first token of `key`, at most 6 characters plus NUL
 * (the original algorithm's truncation), "" when there is no ASCII letter. */
CL_API void cl_nysiis(const char *key, char out[7]);

#endif
