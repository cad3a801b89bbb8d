/*
 * outfile.h - outputs that appear whole or not at all.
 *
 * An output is written to a temporary file in the destination's directory
 * and renamed over the destination only when complete and flushed, so a crash,
 * a full disk or an error half-way never leaves a truncated file that looks
 * whole.  "-" writes to standard output (not atomic, but checked).
 */
#ifndef CHILDLINK_OUTFILE_H
#define CHILDLINK_OUTFILE_H

#include <stdio.h>

#include "childlink/base.h"

typedef struct cl_outfile cl_outfile;

/* Flags for cl_outfile_open. */
#define CL_OUTFILE_OVERWRITE 0u   /* replace an existing file (default) */
#define CL_OUTFILE_NO_CLOBBER 1u  /* fail with CL_EEXIST if the path exists */
#define CL_OUTFILE_PRIVATE 2u     /* create with mode 0600 (keys) */

/* Start writing `path`.  On success *out must be finished with
 * cl_outfile_commit or cl_outfile_abort.  Fails with CL_EIO (directory not
 * writable), CL_EEXIST or CL_ENOMEM. */
CL_API cl_status cl_outfile_open(cl_outfile **out, const char *path, unsigned flags,
                                 cl_error *err) CL_MUST_CHECK;

/* The stream to write to; owned by the outfile. */
CL_API FILE *cl_outfile_stream(cl_outfile *o);
CL_API const char *cl_outfile_path(const cl_outfile *o);

/* Flush, sync and rename into place, then free `o`.  On any failure the
 * temporary file is removed, the destination is untouched, and CL_EIO is
 * returned.  `o` is freed in every case. */
CL_API cl_status cl_outfile_commit(cl_outfile *o, cl_error *err) CL_MUST_CHECK;

/* Discard: close and remove the temporary file, free `o`.  Accepts NULL. */
CL_API void cl_outfile_abort(cl_outfile *o);

#endif
