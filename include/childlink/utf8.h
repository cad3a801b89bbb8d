/*
 * utf8.h - strict UTF-8 validation, shared by the CSV reader and names.
 */
#ifndef CHILDLINK_UTF8_H
#define CHILDLINK_UTF8_H

#include "childlink/base.h"

/* Length in bytes of the longest valid UTF-8 prefix of `len` bytes of `s`
 * (equal to `len` when all is valid).  Overlong forms, surrogates, code points
 * above U+10FFFF and truncated sequences are invalid.  `*ascii_only` (may be
 * NULL) is set to 1 when the valid prefix has no byte above 0x7F. */
CL_API size_t cl_utf8_valid_prefix(const void *s, size_t len, int *ascii_only);

#endif
