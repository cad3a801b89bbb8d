/*
 * report_buf.c - growable text buffers for the report (HTML, SVG, CSV).
 *
 * Appends never fail loudly: an allocation failure sets the sticky `failed`
 * flag and later appends do nothing, so the writer of a whole document
 * checks once at the end instead of after every one of thousands of
 * appends.  The buffer always holds a NUL after its contents once anything
 * was added.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

void rp_buf_free(rp_buf *b)
{
    if (b == NULL)
        return;
    cl_free(b->data);
    memset(b, 0, sizeof *b);
}

/* Make room for `extra` more bytes plus the NUL; 0 on success. */
static int reserve(rp_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (b->len + extra + 1 > cap) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = cl_realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void rp_buf_add(rp_buf *b, const char *s, size_t len)
{
    if (reserve(b, len) != 0)
        return;
    if (len)
        memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void rp_buf_puts(rp_buf *b, const char *s)
{
    rp_buf_add(b, s, strlen(s));
}

void rp_buf_printf(rp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        rp_buf_add(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rp_buf_html(rp_buf *b, const char *text)
{
    const char *run = text;
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        rp_buf_add(b, run, (size_t)(p - run));
        rp_buf_puts(b, rep);
        run = p + 1;
    }
    rp_buf_puts(b, run);
}
