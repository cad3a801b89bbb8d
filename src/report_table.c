/*
 * report_table.c - the report's output tables: rows of text cells, each
 * column declared as a label, a count, a rate or another statistic, written
 * as CSV (one file per table) and as HTML.
 *
 * Counts enter a table only through rp_table_count / rp_table_sdc, which
 * apply disclosure control, so no code path can put an exact small count
 * into a published cell.  The HTML marks count cells class="n" so a test can
 * read every published count back out of the page.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

size_t rp_table_rows(const rp_table *t)
{
    return t->ncols ? t->ncells / t->ncols : 0;
}

const char *rp_table_get(const rp_table *t, size_t row, size_t col)
{
    size_t i = row * t->ncols + col;
    return (col < t->ncols && i < t->ncells) ? t->cells[i] : NULL;
}

void rp_table_text(rp_table *t, const char *s)
{
    if (t->failed)
        return;
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = cl_realloc(t->cells, cap * sizeof *p);
        if (p == NULL) {
            t->failed = 1;
            return;
        }
        t->cells = p;
        t->cap = cap;
    }
    char *copy = cl_strndup(s, strlen(s));
    if (copy == NULL) {
        t->failed = 1;
        return;
    }
    t->cells[t->ncells++] = copy;
}

void rp_table_printf(rp_table *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rp_table_text(t, buf);
}

void rp_table_value(rp_table *t, double v, int decimals)
{
    if (!isfinite(v)) {
        rp_table_text(t, "");
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (strcmp(buf, "-0") == 0 || strncmp(buf, "-0.", 3) == 0) {
        /* A tiny negative rounds to "-0.00": write it as zero. */
        int zero = 1;
        for (const char *p = buf + 1; *p; p++)
            if (*p != '0' && *p != '.') zero = 0;
        if (zero)
            memmove(buf, buf + 1, strlen(buf));
    }
    rp_table_text(t, buf);
}

void rp_table_count(rp_table *t, const rp_ctx *c, int64_t count)
{
    char buf[64];
    rp_count_text(c, count, buf, sizeof buf, NULL);
    rp_table_text(t, buf);
}

void rp_table_sdc(rp_table *t, const rp_ctx *c, const cl_sdc_cell *cell)
{
    char buf[64];
    rp_cell_text(c, cell, buf, sizeof buf);
    rp_table_text(t, buf);
}

static void csv_field(rp_buf *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        rp_buf_puts(out, s);
        return;
    }
    rp_buf_puts(out, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            rp_buf_puts(out, "\"");
        rp_buf_add(out, p, 1);
    }
    rp_buf_puts(out, "\"");
}

void rp_table_csv(const rp_table *t, rp_buf *out)
{
    for (size_t j = 0; j < t->ncols; j++) {
        if (j)
            rp_buf_puts(out, ",");
        csv_field(out, t->cols[j].name);
    }
    rp_buf_puts(out, "\n");
    size_t rows = rp_table_rows(t);
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < t->ncols; j++) {
            if (j)
                rp_buf_puts(out, ",");
            csv_field(out, t->cells[i * t->ncols + j]);
        }
        rp_buf_puts(out, "\n");
    }
}

void rp_table_html(const rp_table *t, rp_buf *out)
{
    rp_buf_puts(out, "<div class=\"tw\"><table><thead><tr>");
    for (size_t j = 0; j < t->ncols; j++) {
        rp_buf_puts(out, t->cols[j].kind == RP_LABEL ? "<th scope=\"col\">"
                                                     : "<th scope=\"col\" class=\"num\">");
        rp_buf_html(out, t->cols[j].heading ? t->cols[j].heading : t->cols[j].name);
        rp_buf_puts(out, "</th>");
    }
    rp_buf_puts(out, "</tr></thead><tbody>\n");
    size_t rows = rp_table_rows(t);
    for (size_t i = 0; i < rows; i++) {
        rp_buf_puts(out, "<tr>");
        for (size_t j = 0; j < t->ncols; j++) {
            const char *cls = t->cols[j].kind == RP_LABEL ? ""
                            : t->cols[j].kind == RP_COUNT ? " class=\"n\""
                                                          : " class=\"num\"";
            rp_buf_printf(out, "<td%s>", cls);
            rp_buf_html(out, t->cells[i * t->ncols + j]);
            rp_buf_puts(out, "</td>");
        }
        rp_buf_puts(out, "</tr>\n");
    }
    rp_buf_puts(out, "</tbody></table></div>\n");
}

void rp_table_free(rp_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ncells; i++)
        cl_free(t->cells[i]);
    cl_free(t->cells);
    cl_free(t->name);
    cl_free(t->title);
    cl_free(t);
}
