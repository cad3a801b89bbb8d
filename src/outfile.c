/*
 * outfile.c - outputs that appear whole or not at all (see outfile.h).
 *
 * The temporary file lives beside the destination (".NAME.tmp.XXXXXX") so
 * that the final rename(2) stays within one file system and is atomic.  With
 * CL_OUTFILE_NO_CLOBBER the temporary is hard-linked to the destination
 * instead, which fails if the destination appeared meanwhile, so two runs can
 * never overwrite each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childlink/outfile.h"

struct cl_outfile {
    FILE *fp;
    char *path;
    char *tmp;       /* NULL when writing to standard output */
    unsigned flags;
};

FILE *cl_outfile_stream(cl_outfile *o) { return o->fp; }
const char *cl_outfile_path(const cl_outfile *o) { return o->path; }

static void destroy(cl_outfile *o)
{
    cl_free(o->path);
    cl_free(o->tmp);
    cl_free(o);
}

cl_status cl_outfile_open(cl_outfile **out, const char *path, unsigned flags, cl_error *err)
{
    *out = NULL;
    cl_outfile *o = cl_calloc(1, sizeof *o);
    if (o == NULL || (o->path = cl_strndup(path, strlen(path))) == NULL) {
        cl_free(o);
        return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
    }
    o->flags = flags;
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        *out = o;
        return CL_OK;
    }
    if ((flags & CL_OUTFILE_NO_CLOBBER) && access(path, F_OK) == 0) {
        destroy(o);
        return cl_error_set(err, CL_EEXIST, path, 0,
                            "already exists; remove it or choose another name");
    }
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    size_t need = dir_len + strlen(base) + 16;
    o->tmp = cl_malloc(need);
    if (o->tmp == NULL) {
        destroy(o);
        return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
    }
    snprintf(o->tmp, need, "%.*s.%s.tmp.XXXXXX", (int)dir_len, path, base);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        cl_status st = cl_error_set(err, CL_EIO, path, 0, "cannot create output: %s",
                                    strerror(errno));
        destroy(o);
        return st;
    }
    if (!(flags & CL_OUTFILE_PRIVATE)) {
        /* mkstemp makes 0600; ordinary outputs get the usual umask-based mode. */
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0) {
            /* Harmless: the file stays private. */
        }
    }
    o->fp = fdopen(fd, "wb");
    if (o->fp == NULL) {
        cl_status st = cl_error_set(err, CL_EIO, path, 0, "cannot open output: %s",
                                    strerror(errno));
        close(fd);
        unlink(o->tmp);
        destroy(o);
        return st;
    }
    *out = o;
    return CL_OK;
}

void cl_outfile_abort(cl_outfile *o)
{
    if (o == NULL)
        return;
    if (o->tmp) {
        fclose(o->fp);
        unlink(o->tmp);
    } else {
        fflush(o->fp);
    }
    destroy(o);
}

cl_status cl_outfile_commit(cl_outfile *o, cl_error *err)
{
    cl_status st = CL_OK;
    if (o->tmp == NULL) {
        if (fflush(o->fp) != 0 || ferror(o->fp))
            st = cl_error_set(err, CL_EIO, "-", 0, "error writing standard output: %s",
                              strerror(errno));
        destroy(o);
        return st;
    }
    int failed = fflush(o->fp) != 0 || ferror(o->fp) || fsync(fileno(o->fp)) != 0;
    int saved = errno;
    if (fclose(o->fp) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        st = cl_error_set(err, CL_EIO, o->path, 0, "error writing output: %s", strerror(saved));
    } else if (o->flags & CL_OUTFILE_NO_CLOBBER) {
        if (link(o->tmp, o->path) != 0)
            st = cl_error_set(err, errno == EEXIST ? CL_EEXIST : CL_EIO, o->path, 0,
                              "cannot create output: %s", strerror(errno));
    } else if (rename(o->tmp, o->path) != 0) {
        st = cl_error_set(err, CL_EIO, o->path, 0, "cannot rename output into place: %s",
                          strerror(errno));
    }
    unlink(o->tmp);   /* after link(), or after a failed rename */
    destroy(o);
    return st;
}
