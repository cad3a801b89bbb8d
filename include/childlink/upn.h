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

/* Check `len` bytes of `in` (case and surrounding/embedded spaces ignored).
 * `out` receives the 13 upper-case characters and a NUL whenever there are
 * exactly 13 of the allowed characters, even when the check letter is wrong;
 * otherwise "".  `*temporary` (may be NULL) is set to 1 for a well-formed
 * temporary UPN, else 0.  `*reason` (may be NULL): NULL when valid, else one
 * of "wrong_length", "bad_character", "bad_check_letter". */
CL_API cl_check cl_upn_check(const char *in, size_t len, char out[14], int *temporary,
                             const char **reason);

/* The check letter for the 12 characters that follow it, or 0 if one of them
 * is not allowed in its position. */
CL_API char cl_upn_check_letter(const char tail[12]);

#endif
