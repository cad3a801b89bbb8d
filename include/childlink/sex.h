/*
 * sex.h - sex/gender codes onto one coding.
 *
 * Sources code sex differently: NHS Data Dictionary person stated gender
 * (1 male, 2 female, 9 indeterminate, X/0 not known), DfE census (M, F), and
 * words.  childlink codes them as 'M', 'F', 'I' (indeterminate) and 'U'
 * (recorded as not known), and keeps "not known" distinct from missing.
 */
#ifndef CHILDLINK_SEX_H
#define CHILDLINK_SEX_H

#include "childlink/base.h"

/* Read `len` bytes of `in` (case and surrounding spaces ignored; inside a
 * word, runs of spaces, '_' and '-' count as one space; `in` may be NULL when
 * `len` is 0).  Returns CL_CHECK_VALID, CL_CHECK_MISSING (only spaces and
 * tabs) or CL_CHECK_INVALID.  On CL_CHECK_VALID *code is 'M', 'F', 'I' or
 * 'U'; otherwise it is 0.  Recognised: 1 M male boy man; 2 F female girl
 * woman; 9 I indeterminate; 0 X U unknown "not known" notknown NK N/K
 * "not recorded" "not stated" "not specified".  `*reason` (may be NULL):
 * NULL when valid, "missing" when missing, else "unknown_code". */
CL_API cl_check cl_sex_parse(const char *in, size_t len, char *code, const char **reason);

#endif
