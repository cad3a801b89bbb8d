/*
 * error.c - the one error type.  See base.h.
 */
#include <stdio.h>
#include <string.h>

#include "childlink/base.h"

cl_status cl_error_set(cl_error *err, cl_status code, const char *file, long line,
                       const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->line = line;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void cl_error_clear(cl_error *err)
{
    if (err == NULL)
        return;
    err->code = CL_OK;
    err->line = 0;
    err->file[0] = '\0';
    err->message[0] = '\0';
}

const char *cl_status_str(cl_status code)
{
    switch (code) {
    case CL_OK: return "ok";
    case CL_END: return "end of input";
    case CL_ENOMEM: return "out of memory";
    case CL_EIO: return "input/output error";
    case CL_EFORMAT: return "malformed input";
    case CL_EINVAL: return "invalid argument";
    case CL_ELIMIT: return "limit exceeded";
    case CL_EEXIST: return "output exists";
    }
    return "unknown error";
}
