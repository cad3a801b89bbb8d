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

/* Read `len` bytes of `in` (case and surrounding spaces ignored).  On
 * CL_CHECK_VALID *code is 'M', 'F', 'I' or 'U'; on CL_CHECK_MISSING it is 0.
 * `*reason` (may be NULL): NULL when valid, else "unknown_code". */
CL_API cl_check cl_sex_parse(const char *in, size_t len, char *code, const char **reason);

#endif
