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

/* Parse `len` bytes of `in` (any case, any spacing).  On CL_CHECK_VALID `out`
 * is filled; otherwise its strings are empty.  `*reason` (may be NULL): NULL
 * when valid, else "wrong_length" or "bad_format". */
CL_API cl_check cl_postcode_parse(const char *in, size_t len, cl_postcode *out,
                                  const char **reason);

#endif
