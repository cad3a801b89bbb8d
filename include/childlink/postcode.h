/*
 * postcode.h - UK postcode standardisation and validation.
 *
 * A postcode is an outward code (area letters, district) and an inward code
 * (sector digit, unit letters): "SW1A 1AA".  Validation follows the Royal
 * Mail format rules (the six shapes A9 9AA, A99 9AA, AA9 9AA, AA99 9AA,
 * A9A 9AA, AA9A 9AA and the letters allowed in each position), plus GIR 0AA.
 */
#ifndef CHILDLINK_POSTCODE_H
#define CHILDLINK_POSTCODE_H

#include "childlink/base.h"

typedef struct cl_postcode {
    char full[9];      /* "SW1A 1AA": upper case, one space */
    char district[5];  /* outward code: "SW1A" */
    char sector[7];    /* outward code, space, sector digit: "SW1A 1" */
    char area[3];      /* leading letters: "SW" */
} cl_postcode;

/* Parse `len` bytes of `in` (any case; spaces and tabs anywhere are dropped;
 * `in` may be NULL when `len` is 0).  Returns CL_CHECK_VALID,
 * CL_CHECK_MISSING (only spaces and tabs) or CL_CHECK_INVALID.  On
 * CL_CHECK_VALID `out` is filled (GIR 0AA, in no postcode area, has area
 * ""); otherwise its strings are empty.  `*reason` (may be NULL): NULL when
 * valid, "missing" when missing, else "wrong_length" (not 5 to 7 characters
 * once spaces are dropped) or "bad_format".  Allocation-free. */
CL_API cl_check cl_postcode_parse(const char *in, size_t len, cl_postcode *out,
                                  const char **reason);

#endif
