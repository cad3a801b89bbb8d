/*
 * base.h - what every part of libchildlink shares: status codes, the one
 * error type, function attributes, and the allocator front door.
 *
 * Library functions never print and never exit.  A function that can fail
 * returns a cl_status and, when given a non-NULL cl_error, fills it with the
 * file, line and a sentence saying what went wrong, so that the command-line
 * front end can report "clean: in.csv:12: unterminated quoted field".
 *
 * All heap memory goes through cl_malloc/cl_calloc/cl_realloc/cl_free, which
 * keep a byte count, honour an optional limit, and can be told to fail the
 * N-th allocation so that tests walk the out-of-memory paths.
 */
#ifndef CHILDLINK_BASE_H
#define CHILDLINK_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define CL_API __attribute__((visibility("default")))
#define CL_MUST_CHECK __attribute__((warn_unused_result))
#define CL_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define CL_API
#define CL_MUST_CHECK
#define CL_PRINTF(fmt, first)
#endif

#define CL_VERSION "0.1.0"

/* Status codes.  Zero is success; CL_END is the normal end of a stream;
 * every error is negative. */
typedef enum cl_status {
    CL_OK = 0,
    CL_END = 1,        /* no more records: not an error */
    CL_ENOMEM = -1,    /* allocation failed or memory limit reached */
    CL_EIO = -2,       /* a file could not be opened, read, written or renamed */
    CL_EFORMAT = -3,   /* input content is malformed (CSV, JSON, schema, data) */
    CL_EINVAL = -4,    /* an argument or option is out of range or unknown */
    CL_ELIMIT = -5,    /* a size limit was exceeded (field length, pairs) */
    CL_EEXIST = -6     /* an output exists and overwriting was not asked for */
} cl_status;

/* Outcome of checking one identifier value (NHS number, UPN, postcode, date,
 * sex, name).  An invalid value comes with a short reason slug such as
 * "bad_check_digit"; see docs/formats.md for the list. */
typedef enum cl_check {
    CL_CHECK_VALID = 0,
    CL_CHECK_MISSING = 1,   /* empty or whitespace only */
    CL_CHECK_INVALID = 2
} cl_check;

/* Where and why something failed.  Owned by the caller, usually on the stack.
 * `line` is 0 when the problem is not tied to a line of input. */
typedef struct cl_error {
    cl_status code;
    long line;
    char file[512];
    char message[1024];
} cl_error;

/* Record an error.  `err` may be NULL (the call then only returns `code`);
 * `file` may be NULL.  Returns `code` so callers can write
 * `return cl_error_set(err, CL_EFORMAT, path, line, "...")`. */
CL_API cl_status cl_error_set(cl_error *err, cl_status code, const char *file,
                              long line, const char *fmt, ...) CL_PRINTF(5, 6);

/* Reset `err` to "no error".  Accepts NULL. */
CL_API void cl_error_clear(cl_error *err);

/* A short name for a status ("out of memory", "malformed input", ...). */
CL_API const char *cl_status_str(cl_status code);

/* Allocator front door.  Same contracts as the C library functions, except
 * that they fail (return NULL) once the byte limit would be exceeded or the
 * injected failure point is reached.  cl_free accepts NULL. */
CL_API void *cl_malloc(size_t bytes) CL_MUST_CHECK;
CL_API void *cl_calloc(size_t count, size_t bytes) CL_MUST_CHECK;
CL_API void *cl_realloc(void *ptr, size_t bytes) CL_MUST_CHECK;
CL_API void cl_free(void *ptr);
/* Duplicate `len` bytes of `s` plus a terminating NUL; NULL on failure. */
CL_API char *cl_strndup(const char *s, size_t len) CL_MUST_CHECK;

/* Bytes currently allocated through the front door, and the high-water mark. */
CL_API size_t cl_alloc_bytes_in_use(void);
CL_API size_t cl_alloc_bytes_peak(void);
/* Fail every allocation that would take the total above `bytes` (0: no limit). */
CL_API void cl_alloc_set_limit(size_t bytes);
/* Fail the `n`-th allocation from now (1 = the next one); 0 disables. */
CL_API void cl_alloc_fail_after(long n);

#endif
