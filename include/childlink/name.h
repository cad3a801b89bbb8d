/*
 * name.h - personal names in any script: standardise for comparison.
 *
 * Two forms come out of a raw name.  The comparison key (cl_name_key) is what
 * linkage compares: Unicode-normalised (NFKC), case-folded, diacritics
 * removed from Latin, Greek and Cyrillic letters (and optional Arabic and
 * Hebrew vowel points; marks that are letters in other scripts are kept),
 * apostrophes and full stops dropped, hyphens and other separators turned
 * into single spaces, titles and placeholders removed from forenames.
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

/* Output capacity that always suffices for an input of `len` bytes
 * (compatibility forms can expand about elevenfold, e.g. U+FDFA). */
#define CL_NAME_OUT_CAP(len) (18u * (len) + 16u)

/* Write the comparison key of `len` bytes of `in` into `out` (capacity
 * `out_cap`, NUL-terminated; tokens separated by one space, alternatives by
 * '|').  `flags` is CL_NAME_SURNAME or CL_NAME_FORENAMES; other bits are
 * ignored.  The rules, with examples, are in docs/names.md.
 * Returns CL_CHECK_VALID (at least one alternative with a letter),
 * CL_CHECK_MISSING (empty, blank, or only titles and placeholders) or
 * CL_CHECK_INVALID with `*reason` one of "bad_utf8", "no_letters" (something
 * but no letter), "too_long" (out_cap too small; CL_NAME_OUT_CAP(len) never
 * is, but a smaller buffer may be refused even when the final key would fit,
 * because removed titles and repeated alternatives are written first).
 * `*reason` is set to NULL unless the result is invalid; `reason` may be
 * NULL.  Unless valid, `out` holds "" (when out_cap > 0).  `in` may be NULL
 * when `len` is 0.  Never allocates; safe to call from several threads. */
CL_API cl_check cl_name_key(const char *in, size_t len, unsigned flags, char *out,
                            size_t out_cap, const char **reason);

/* Write the tidy display form (NFC, case, accents and punctuation kept,
 * whitespace collapsed to single spaces, trimmed, empty, letterless and
 * exactly repeated '|' alternatives dropped) into `out`.  Same arguments
 * (without flags) and returns as cl_name_key; no title removal. */
CL_API cl_check cl_name_tidy(const char *in, size_t len, char *out, size_t out_cap,
                             const char **reason);

#endif
