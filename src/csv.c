/*
 * csv.c - streaming CSV reader and writer (see csv.h).
 *
 * The reader works on a 256 KiB input window and copies each record's field
 * bytes into one reused row buffer, NUL-separated, with an offset per field.
 * Unquoted runs are copied in bulk (the common case: identifiers rarely need
 * quoting), quoted fields are scanned with memchr for the next quote.  A
 * field's length is checked while it grows, so a 1 GB "field" costs at most
 * max_field_bytes of memory before it is refused.
 *
 * The writer formats into its own 64 KiB buffer and hands full buffers to
 * fwrite; a failed write makes the writer's error sticky so the caller needs
 * only one check, at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/csv.h"
#include "childlink/utf8.h"

#define INPUT_WINDOW (256u * 1024u)

struct cl_csv_reader {
    FILE *fp;
    int owns_fp;
    char *path;
    char *in;           /* input window */
    size_t in_len, in_pos;
    int in_eof;
    char *row;          /* field bytes, each followed by NUL */
    size_t row_len, row_cap;
    size_t *starts;     /* offset of each field in row */
    size_t *lens;
    size_t nfields, fields_cap;
    size_t max_field;
    long line;          /* physical line at the read position */
    long record_line;   /* line on which the current record began */
    int started;        /* BOM handled */
};

static cl_status reader_new(cl_csv_reader **out, const char *name, size_t max_field_bytes,
                            cl_error *err)
{
    *out = NULL;
    cl_csv_reader *r = cl_calloc(1, sizeof *r);
    if (r == NULL)
        return cl_error_set(err, CL_ENOMEM, name, 0, "out of memory");
    r->max_field = max_field_bytes ? max_field_bytes : CL_CSV_DEFAULT_MAX_FIELD_BYTES;
    r->path = cl_strndup(name, strlen(name));
    r->in = cl_malloc(INPUT_WINDOW);
    r->row_cap = 4096;
    r->row = cl_malloc(r->row_cap);
    r->fields_cap = 64;
    r->starts = cl_malloc(r->fields_cap * sizeof *r->starts);
    r->lens = cl_malloc(r->fields_cap * sizeof *r->lens);
    r->line = 1;
    if (!r->path || !r->in || !r->row || !r->starts || !r->lens) {
        cl_csv_close(r);
        return cl_error_set(err, CL_ENOMEM, name, 0, "out of memory");
    }
    *out = r;
    return CL_OK;
}

cl_status cl_csv_from_stream(cl_csv_reader **out, FILE *fp, const char *name,
                             size_t max_field_bytes, cl_error *err)
{
    cl_status st = reader_new(out, name, max_field_bytes, err);
    if (st == CL_OK)
        (*out)->fp = fp;
    return st;
}

cl_status cl_csv_open(cl_csv_reader **out, const char *path, size_t max_field_bytes,
                      cl_error *err)
{
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return cl_csv_from_stream(out, stdin, path, max_field_bytes, err);
    cl_csv_reader *r;
    cl_status st = reader_new(&r, path, max_field_bytes, err);
    if (st != CL_OK)
        return st;
    r->fp = fopen(path, "rb");
    if (r->fp == NULL) {
        st = cl_error_set(err, CL_EIO, path, 0, "cannot open: %s", strerror(errno));
        cl_csv_close(r);
        return st;
    }
    r->owns_fp = 1;
    *out = r;
    return CL_OK;
}

void cl_csv_close(cl_csv_reader *r)
{
    if (r == NULL)
        return;
    if (r->owns_fp && r->fp)
        fclose(r->fp);
    cl_free(r->path);
    cl_free(r->in);
    cl_free(r->row);
    cl_free(r->starts);
    cl_free(r->lens);
    cl_free(r);
}

size_t cl_csv_nfields(const cl_csv_reader *r) { return r->nfields; }
long cl_csv_line(const cl_csv_reader *r) { return r->record_line; }
const char *cl_csv_path(const cl_csv_reader *r) { return r->path; }

const char *cl_csv_field(const cl_csv_reader *r, size_t i, size_t *len)
{
    if (i >= r->nfields) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = r->lens[i];
    return r->row + r->starts[i];
}

/* Refill the input window; returns 0 at end of input, -1 on a read error. */
static int refill(cl_csv_reader *r)
{
    if (r->in_eof)
        return 0;
    r->in_len = fread(r->in, 1, INPUT_WINDOW, r->fp);
    r->in_pos = 0;
    if (r->in_len == 0) {
        r->in_eof = 1;
        return ferror(r->fp) ? -1 : 0;
    }
    return 1;
}

static cl_status grow_row(cl_csv_reader *r, size_t extra, cl_error *err)
{
    if (r->row_len + extra + 1 <= r->row_cap)
        return CL_OK;
    size_t cap = r->row_cap;
    while (cap < r->row_len + extra + 1)
        cap *= 2;
    char *p = cl_realloc(r->row, cap);
    if (p == NULL)
        return cl_error_set(err, CL_ENOMEM, r->path, r->record_line, "out of memory");
    r->row = p;
    r->row_cap = cap;
    return CL_OK;
}

/* Append bytes to the field being built, enforcing the field length limit. */
static cl_status append(cl_csv_reader *r, const char *s, size_t n, cl_error *err)
{
    size_t field_len = r->row_len - r->starts[r->nfields];
    if (field_len + n > r->max_field)
        return cl_error_set(err, CL_ELIMIT, r->path, r->line,
                            "field %zu is longer than the limit of %zu bytes", r->nfields + 1,
                            r->max_field);
    cl_status st = grow_row(r, n, err);
    if (st != CL_OK)
        return st;
    memcpy(r->row + r->row_len, s, n);
    r->row_len += n;
    return CL_OK;
}

static cl_status begin_field(cl_csv_reader *r, cl_error *err)
{
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap * 2;
        size_t *s = cl_realloc(r->starts, cap * sizeof *s);
        if (s == NULL)
            return cl_error_set(err, CL_ENOMEM, r->path, r->record_line, "out of memory");
        r->starts = s;
        size_t *l = cl_realloc(r->lens, cap * sizeof *l);
        if (l == NULL)
            return cl_error_set(err, CL_ENOMEM, r->path, r->record_line, "out of memory");
        r->lens = l;
        r->fields_cap = cap;
    }
    r->starts[r->nfields] = r->row_len;
    return CL_OK;
}

static cl_status end_field(cl_csv_reader *r, cl_error *err)
{
    size_t start = r->starts[r->nfields];
    size_t len = r->row_len - start;
    const char *f = r->row + start;
    if (memchr(f, '\0', len) != NULL)
        return cl_error_set(err, CL_EFORMAT, r->path, r->line,
                            "field %zu contains a NUL byte (binary data, or a UTF-16 file?)",
                            r->nfields + 1);
    size_t ok = cl_utf8_valid_prefix(f, len, NULL);
    if (ok != len)
        return cl_error_set(err, CL_EFORMAT, r->path, r->line,
                            "field %zu is not valid UTF-8 (byte 0x%02X at offset %zu); "
                            "convert the file to UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
                            r->nfields + 1, (unsigned char)f[ok], ok);
    r->lens[r->nfields] = len;
    r->row[r->row_len++] = '\0';
    r->nfields++;
    return CL_OK;
}

/* Read the current character without consuming it; -1 at end of input. */
static int peek(cl_csv_reader *r, cl_error *err, cl_status *st)
{
    if (r->in_pos == r->in_len) {
        int got = refill(r);
        if (got < 0) {
            *st = cl_error_set(err, CL_EIO, r->path, r->line, "read error: %s", strerror(errno));
            return -1;
        }
        if (got == 0)
            return -1;
    }
    return (unsigned char)r->in[r->in_pos];
}

/* Read a quoted field; the opening quote has been consumed. */
static cl_status read_quoted(cl_csv_reader *r, cl_error *err)
{
    long opened = r->line;
    cl_status st = CL_OK;
    for (;;) {
        if (r->in_pos == r->in_len && peek(r, err, &st) < 0) {
            if (st != CL_OK)
                return st;
            return cl_error_set(err, CL_EFORMAT, r->path, opened,
                                "unterminated quoted field %zu (the quote opened on line %ld "
                                "is never closed)", r->nfields + 1, opened);
        }
        const char *p = r->in + r->in_pos;
        size_t avail = r->in_len - r->in_pos;
        const char *q = memchr(p, '"', avail);
        size_t n = q ? (size_t)(q - p) : avail;
        for (const char *nl = p; (nl = memchr(nl, '\n', (size_t)(p + n - nl))) != NULL; nl++)
            r->line++;
        if ((st = append(r, p, n, err)) != CL_OK)
            return st;
        r->in_pos += n;
        if (q == NULL)
            continue;
        r->in_pos++; /* the quote */
        int c = peek(r, err, &st);
        if (st != CL_OK)
            return st;
        if (c == '"') {
            r->in_pos++;
            if ((st = append(r, "\"", 1, err)) != CL_OK)
                return st;
            continue;
        }
        if (c == ',' || c == '\n' || c == '\r' || c < 0)
            return CL_OK;
        return cl_error_set(err, CL_EFORMAT, r->path, r->line,
                            "unexpected character '%c' after the closing quote of field %zu",
                            c, r->nfields + 1);
    }
}

cl_status cl_csv_next(cl_csv_reader *r, cl_error *err)
{
    cl_status st = CL_OK;
    int c;
    if (!r->started) {
        r->started = 1;
        /* Skip a UTF-8 byte-order mark; reject UTF-16 early with a clear word. */
        c = peek(r, err, &st);
        if (st != CL_OK)
            return st;
        if (r->in_len - r->in_pos >= 2 &&
            ((unsigned char)r->in[0] == 0xFF || (unsigned char)r->in[0] == 0xFE) &&
            ((unsigned char)r->in[1] == 0xFE || (unsigned char)r->in[1] == 0xFF))
            return cl_error_set(err, CL_EFORMAT, r->path, 1,
                                "file is UTF-16; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)");
        if (r->in_len - r->in_pos >= 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0)
            r->in_pos += 3;
    }
next_record:
    r->row_len = 0;
    r->nfields = 0;
    r->record_line = r->line;
    c = peek(r, err, &st);
    if (st != CL_OK)
        return st;
    if (c < 0)
        return CL_END;
    int quoted_any = 0;
    if ((st = begin_field(r, err)) != CL_OK)
        return st;
    for (;;) {
        c = peek(r, err, &st);
        if (st != CL_OK)
            return st;
        if (c == '"') {
            if (r->row_len != r->starts[r->nfields])
                return cl_error_set(err, CL_EFORMAT, r->path, r->line,
                                    "stray quote inside unquoted field %zu (a field with a "
                                    "quote must be quoted, and its quotes doubled)",
                                    r->nfields + 1);
            r->in_pos++;
            quoted_any = 1;
            if ((st = read_quoted(r, err)) != CL_OK)
                return st;
            continue;
        }
        if (c == ',') {
            r->in_pos++;
            if ((st = end_field(r, err)) != CL_OK || (st = begin_field(r, err)) != CL_OK)
                return st;
            continue;
        }
        if (c < 0 || c == '\n' || c == '\r') {
            if (c == '\r') {
                r->in_pos++;
                if (peek(r, err, &st) == '\n')
                    r->in_pos++;
                if (st != CL_OK)
                    return st;
            } else if (c == '\n') {
                r->in_pos++;
            }
            /* A blank line is no record. */
            if (r->nfields == 0 && r->row_len == 0 && !quoted_any) {
                if (c < 0)
                    return CL_END;
                r->line++;
                goto next_record;
            }
            st = end_field(r, err);   /* before counting the line, so errors name it */
            if (c >= 0)
                r->line++;
            return st;
        }
        /* A run of ordinary bytes, copied in bulk. */
        const char *p = r->in + r->in_pos;
        const char *end = r->in + r->in_len;
        const char *q = p;
        while (q < end && *q != ',' && *q != '\n' && *q != '\r' && *q != '"')
            q++;
        if ((st = append(r, p, (size_t)(q - p), err)) != CL_OK)
            return st;
        r->in_pos += (size_t)(q - p);
    }
}

/* ---- writer ---- */

#define WRITE_BUFFER (1024u * 1024u)

struct cl_csv_writer {
    FILE *out;
    char *buf;
    size_t len;
    int at_row_start;
    int failed;
};

cl_csv_writer *cl_csv_writer_new(FILE *out)
{
    cl_csv_writer *w = cl_calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->buf = cl_malloc(WRITE_BUFFER);
    if (w->buf == NULL) {
        cl_free(w);
        return NULL;
    }
    w->out = out;
    w->at_row_start = 1;
    return w;
}

void cl_csv_writer_free(cl_csv_writer *w)
{
    if (w == NULL)
        return;
    cl_free(w->buf);
    cl_free(w);
}

static void drain(cl_csv_writer *w)
{
    if (w->len > 0 && !w->failed && fwrite(w->buf, 1, w->len, w->out) != w->len)
        w->failed = 1;
    w->len = 0;
}

static void put(cl_csv_writer *w, const char *s, size_t n)
{
    while (n > 0) {
        if (w->len == WRITE_BUFFER)
            drain(w);
        size_t room = WRITE_BUFFER - w->len;
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
}

void cl_csv_write_field(cl_csv_writer *w, const char *s, size_t len)
{
    if (!w->at_row_start)
        put(w, ",", 1);
    w->at_row_start = 0;
    int needs_quotes = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') {
            needs_quotes = 1;
            break;
        }
    }
    if (!needs_quotes) {
        put(w, s, len);
        return;
    }
    put(w, "\"", 1);
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            put(w, s + from, i + 1 - from);
            put(w, "\"", 1);
            from = i + 1;
        }
    }
    put(w, s + from, len - from);
    put(w, "\"", 1);
}

void cl_csv_write_plain(cl_csv_writer *w, const char *s, size_t len)
{
    if (!w->at_row_start)
        put(w, ",", 1);
    w->at_row_start = 0;
    put(w, s, len);
}

void cl_csv_write_str(cl_csv_writer *w, const char *s)
{
    cl_csv_write_field(w, s, s ? strlen(s) : 0);
}

void cl_csv_write_fmt(cl_csv_writer *w, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        cl_csv_write_field(w, small, (size_t)n);
        return;
    }
    char *big = cl_malloc((size_t)n + 1);
    if (big == NULL) {
        w->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cl_csv_write_field(w, big, (size_t)n);
    cl_free(big);
}

void cl_csv_end_row(cl_csv_writer *w)
{
    put(w, "\n", 1);
    w->at_row_start = 1;
}

cl_status cl_csv_writer_flush(cl_csv_writer *w)
{
    drain(w);
    if (!w->failed && fflush(w->out) != 0)
        w->failed = 1;
    return w->failed ? CL_EIO : CL_OK;
}
