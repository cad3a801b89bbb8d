/*
 * nhs.h - NHS number standardisation and validation.
 *
 * An NHS number is 10 digits; the 10th is a modulus-11 check digit over the
 * first nine (weights 10..2).  A remainder that gives check value 10 means
 * the number can never be valid.  Numbers of one repeated digit pass the
 * arithmetic but are never issued, and 999 000 0000 - 999 999 9999 is the
 * range reserved for testing: both are invalid for linkage.
 */
#ifndef CHILDLINK_NHS_H
#define CHILDLINK_NHS_H

#include "childlink/base.h"

/* Check `len` bytes of `in` (spaces, tabs and hyphens are ignored; `in` may
 * be NULL when `len` is 0).  Returns CL_CHECK_VALID, CL_CHECK_MISSING (only
 * spaces and tabs) or CL_CHECK_INVALID.  `out` receives the 10 digits and a
 * NUL whenever exactly 10 digits and nothing else remain, even when the check
 * fails (so that a mistyped number can still near-agree with the right one);
 * otherwise "".  `*reason` (may be NULL) receives NULL when valid, "missing"
 * when missing, else the first that applies of: "non_digit",
 * "wrong_length", "all_same_digit", "test_range", "check_digit_10",
 * "bad_check_digit".  Allocation-free; tens of nanoseconds. */
CL_API cl_check cl_nhs_check(const char *in, size_t len, char out[11], const char **reason);

/* Check digit for nine digits ('0'..'9', not checked): 0..9, or 10 when
 * none exists (such nine digits never start a valid number). */
CL_API int cl_nhs_check_digit(const char digits[9]);

#endif
