/*
 * upn.h - Unique Pupil Number (DfE) standardisation and validation.
 *
 * A UPN is 13 characters: a check letter, then 12 characters (LA number,
 * establishment number, year, serial).  A temporary UPN has a letter as its
 * last character.  The check letter is computed by the DfE algorithm from
 * characters 2-13 (weights 2..13, letters in position 13 mapped to numbers,
 * sum modulo 23 mapped onto the alphabet less I, O and S).
 */
#ifndef CHILDLINK_UPN_H
#define CHILDLINK_UPN_H

#include "childlink/base.h"

/* Check `len` bytes of `in` (case and surrounding/embedded spaces and tabs
 * ignored; `in` may be NULL when `len` is 0).  Returns CL_CHECK_VALID,
 * CL_CHECK_MISSING (only spaces and tabs) or CL_CHECK_INVALID.  `out`
 * receives the 13 upper-case characters and a NUL whenever there are exactly
 * 13 characters each allowed in its position (a check-alphabet letter, 11
 * digits, a digit or check-alphabet letter), even when the check letter is
 * wrong; otherwise "".  `*temporary` (may be NULL) is set to 1 when `out` is
 * filled and ends in a letter (a temporary UPN), else 0.  `*reason` (may be
 * NULL): NULL when valid, "missing" when missing, else one of
 * "wrong_length", "bad_character", "bad_check_letter".  Allocation-free. */
CL_API cl_check cl_upn_check(const char *in, size_t len, char out[14], int *temporary,
                             const char **reason);

/* The check letter for the 12 characters that follow it (upper case), or 0 if
 * one of them is not allowed in its position.  Note that in position 13 a
 * digit n and the letter worth n (0/A ... 9/K) give the same check letter. */
CL_API char cl_upn_check_letter(const char tail[12]);

#endif
