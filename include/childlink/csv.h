/*
 * csv.h - streaming CSV reader and writer (RFC 4180, UTF-8).
 *
 * The reader returns one record at a time into buffers it reuses, so memory
 * stays flat however large the file.  It is strict: an unterminated or stray
 * quote, invalid UTF-8, a NUL byte or an over-long field is an error naming
 * the file and line, never a silent repair.  A UTF-8 byte-order mark at the
 * start is skipped; CRLF and LF line ends are both accepted.  A blank line
 * (nothing between two line ends) is skipped.
 *
 * The reader does not interpret a header: the caller reads the first record
 * and decides (see schema.h).  Checking that each row has as many fields as
 * the header is also the caller's, since some callers keep ragged rows as
 * counted rejects.
 */
#ifndef CHILDLINK_CSV_H
#define CHILDLINK_CSV_H

#include <stdio.h>

#include "childlink/base.h"

typedef struct cl_csv_reader cl_csv_reader;

/* Default longest field accepted, in bytes. */
#define CL_CSV_DEFAULT_MAX_FIELD_BYTES (64u * 1024u)

/* Open `path` ("-" reads standard input) for reading.  `max_field_bytes` of 0
 * means the default.  On success *out is a reader to be freed with
 * cl_csv_close.  Fails with CL_EIO (cannot open) or CL_ENOMEM. */
CL_API cl_status cl_csv_open(cl_csv_reader **out, const char *path,
                             size_t max_field_bytes, cl_error *err) CL_MUST_CHECK;

/* Read from an open stream, which stays owned by the caller; `name` names it
 * in errors.  Otherwise as cl_csv_open. */
CL_API cl_status cl_csv_from_stream(cl_csv_reader **out, FILE *fp, const char *name,
                                    size_t max_field_bytes, cl_error *err) CL_MUST_CHECK;

/* Read the next record.  Returns CL_OK with a record available, CL_END at the
 * end of input, or an error (CL_EFORMAT, CL_ELIMIT, CL_EIO, CL_ENOMEM) with
 * `err` naming file and line.  After an error the reader must not be used
 * again except to close it. */
CL_API cl_status cl_csv_next(cl_csv_reader *r, cl_error *err) CL_MUST_CHECK;

/* The current record: number of fields, and field `i` (0-based) as a
 * NUL-terminated string valid until the next cl_csv_next; `len` (may be NULL)
 * receives its length in bytes. */
CL_API size_t cl_csv_nfields(const cl_csv_reader *r);
CL_API const char *cl_csv_field(const cl_csv_reader *r, size_t i, size_t *len);

/* Line number (1-based) on which the current record starts. */
CL_API long cl_csv_line(const cl_csv_reader *r);
/* The path given to cl_csv_open. */
CL_API const char *cl_csv_path(const cl_csv_reader *r);

/* Close the reader and free it.  Accepts NULL. */
CL_API void cl_csv_close(cl_csv_reader *r);

typedef struct cl_csv_writer cl_csv_writer;

/* A buffered writer onto `out`, which stays owned by the caller.  Fields are
 * quoted only when they hold a comma, quote, CR or LF.  NULL on no memory. */
CL_API cl_csv_writer *cl_csv_writer_new(FILE *out) CL_MUST_CHECK;

/* Append one field of the current row (`len` bytes of `s`; s may be NULL when
 * len is 0). */
CL_API void cl_csv_write_field(cl_csv_writer *w, const char *s, size_t len);
/* Append a field the caller built from characters that never need quoting
 * (hex digits, base64, plain numbers): written as is, without the scan for
 * commas and quotes that costs as much as the copy on encode's kilobyte
 * rows.  Anything else goes through cl_csv_write_field. */
CL_API void cl_csv_write_plain(cl_csv_writer *w, const char *s, size_t len);
/* Append a NUL-terminated string as one field. */
CL_API void cl_csv_write_str(cl_csv_writer *w, const char *s);
/* Append a formatted field. */
CL_API void cl_csv_write_fmt(cl_csv_writer *w, const char *fmt, ...) CL_PRINTF(2, 3);
/* End the current row with LF. */
CL_API void cl_csv_end_row(cl_csv_writer *w);

/* Flush buffered bytes to the FILE.  Returns CL_EIO if any write so far has
 * failed (errors are sticky, so one check at the end suffices). */
CL_API cl_status cl_csv_writer_flush(cl_csv_writer *w) CL_MUST_CHECK;

/* Free the writer without flushing.  Accepts NULL. */
CL_API void cl_csv_writer_free(cl_csv_writer *w);

#endif
