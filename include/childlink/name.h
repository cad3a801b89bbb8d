/*
 * name.h - personal names in any script: standardise for comparison.
 *
 * Two forms come out of a raw name.  The comparison key (cl_name_key) is what
 * linkage compares: Unicode-normalised (NFKC), case-folded, combining marks
 * (diacritics) removed, apostrophes and full stops dropped, hyphens and
 * other separators turned into single spaces, titles removed from forenames.
 * The tidy form (cl_name_tidy) is what a person reads: NFC, original case and
 * diacritics kept, whitespace tidied.  Names in non-Latin scripts are kept in
 * their script (case-folded where the script has case), never dropped.
 * A '|' separates alternative values (previous surnames, aliases); each is
 * standardised on its own and empty alternatives are dropped.
 */
#ifndef CHILDLINK_NAME_H
#define CHILDLINK_NAME_H

#include "childlink/base.h"

/* Flags for cl_name_key. */
#define CL_NAME_SURNAME 0u
#define CL_NAME_FORENAMES 1u   /* remove titles (Mr, Miss, Dr, ...) and
                                  placeholders (BABY, UNKNOWN, NK, ...) */

/* Smallest output capacity that always suffices for an input of `len` bytes. */
#define CL_NAME_OUT_CAP(len) (18u * (len) + 16u)

/* Write the comparison key of `len` bytes of `in` into `out` (capacity
 * `out_cap`, NUL-terminated; tokens separated by one space, alternatives by
 * '|').  Returns CL_CHECK_VALID, CL_CHECK_MISSING (empty, or only titles or
 * placeholders) or CL_CHECK_INVALID with `*reason` (may be NULL) one of
 * "bad_utf8", "no_letters", "too_long" (out_cap too small). */
CL_API cl_check cl_name_key(const char *in, size_t len, unsigned flags, char *out,
                            size_t out_cap, const char **reason);

/* Write the tidy display form (NFC, whitespace collapsed, trimmed) into
 * `out`.  Same returns as cl_name_key, without title removal. */
CL_API cl_check cl_name_tidy(const char *in, size_t len, char *out, size_t out_cap,
                             const char **reason);

#endif
