/*
 * report_svg.c - chart primitives for the report: scales, "nice" ticks,
 * axes, shapes, text and legends, written as inline SVG.
 *
 * Every chart is plain SVG inside the HTML page: no script, no external
 * font or image, so it renders the same on a locked-down laptop and prints.
 * Coordinates are written with one decimal, which keeps the files small and
 * the output identical from run to run.  Text is always escaped.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

double rp_scale_map(const rp_scale *s, double v)
{
    double a = s->d0, b = s->d1;
    if (s->log) {
        a = log10(a);
        b = log10(b);
        v = v > 0 ? log10(v) : a;
    }
    if (b == a)
        return (s->p0 + s->p1) / 2;
    return s->p0 + (v - a) / (b - a) * (s->p1 - s->p0);
}

size_t rp_nice_ticks(double *lo, double *hi, size_t max, int widen, double *ticks)
{
    if (max < 2)
        return 0;
    double a = *lo, b = *hi;
    if (!(b > a)) {
        b = a + 1;
    }
    double raw = (b - a) / (double)(max - 1);
    double mag = pow(10, floor(log10(raw)));
    double step = mag;
    static const double mult[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++) {
        step = mult[i] * mag;
        if ((ceil(b / step - 1e-9) - floor(a / step + 1e-9)) + 1 <= (double)max)
            break;
    }
    double first = widen ? floor(a / step + 1e-9) * step : ceil(a / step - 1e-9) * step;
    double last = widen ? ceil(b / step - 1e-9) * step : floor(b / step + 1e-9) * step;
    size_t n = 0;
    for (double v = first; v <= last + step * 1e-6 && n < max; v += step) {
        double r = round(v / step) * step;   /* no drift: 0.30000000000000004 */
        ticks[n++] = fabs(r) < step * 1e-9 ? 0.0 : r;
    }
    if (widen && n > 0) {
        *lo = ticks[0];
        *hi = ticks[n - 1];
    }
    return n;
}

void rp_svg_begin(rp_buf *b, int width, int height, const char *title, const char *desc)
{
    rp_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                  "width=\"%d\" height=\"%d\" role=\"img\" "
                  "font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"12\">",
                  width, height, width, height);
    rp_buf_puts(b, "<title>");
    rp_buf_html(b, title);
    rp_buf_puts(b, "</title>");
    if (desc && desc[0]) {
        rp_buf_puts(b, "<desc>");
        rp_buf_html(b, desc);
        rp_buf_puts(b, "</desc>");
    }
    rp_buf_puts(b, "\n");
}

void rp_svg_end(rp_buf *b)
{
    rp_buf_puts(b, "</svg>\n");
}

void rp_svg_text(rp_buf *b, double x, double y, const char *anchor, const char *extra,
                 const char *text)
{
    rp_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (anchor && strcmp(anchor, "start") != 0)
        rp_buf_printf(b, " text-anchor=\"%s\"", anchor);
    if (extra) {
        rp_buf_puts(b, " ");
        rp_buf_puts(b, extra);
    }
    rp_buf_puts(b, ">");
    rp_buf_html(b, text);
    rp_buf_puts(b, "</text>\n");
}

void rp_svg_line(rp_buf *b, double x1, double y1, double x2, double y2, const char *stroke,
                 double width, const char *dash)
{
    rp_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"%.1f\"",
                  x1, y1, x2, y2, stroke, width);
    if (dash)
        rp_buf_printf(b, " stroke-dasharray=\"%s\"", dash);
    rp_buf_puts(b, "/>\n");
}

void rp_svg_rect(rp_buf *b, double x, double y, double w, double h, const char *fill,
                 const char *extra)
{
    if (w < 0) {
        x += w;
        w = -w;
    }
    if (h < 0) {
        y += h;
        h = -h;
    }
    rp_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"",
                  x, y, w, h, fill);
    if (extra) {
        rp_buf_puts(b, " ");
        rp_buf_puts(b, extra);
    }
    rp_buf_puts(b, "/>\n");
}

void rp_svg_circle(rp_buf *b, double x, double y, double r, const char *fill,
                   const char *stroke)
{
    rp_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"", x, y, r, fill);
    if (stroke)
        rp_buf_printf(b, " stroke=\"%s\" stroke-width=\"1.5\"", stroke);
    rp_buf_puts(b, "/>\n");
}

static void format_tick(char *buf, size_t size, double v, int decimals, const char *suffix)
{
    if (decimals < 0) {
        /* Enough decimals for this value, up to 3. */
        decimals = 0;
        while (decimals < 3 && fabs(v * pow(10, decimals) - round(v * pow(10, decimals))) > 1e-6)
            decimals++;
    }
    snprintf(buf, size, "%.*f%s", decimals, v, suffix ? suffix : "");
}

void rp_svg_xaxis(rp_buf *b, const rp_scale *s, double y, const double *ticks, size_t n,
                  const char *const *labels, int decimals, const char *title)
{
    double lo = s->p0 < s->p1 ? s->p0 : s->p1, hi = s->p0 < s->p1 ? s->p1 : s->p0;
    rp_svg_line(b, lo, y, hi, y, RP_INK, 1, NULL);
    for (size_t i = 0; i < n; i++) {
        double x = rp_scale_map(s, ticks[i]);
        char buf[64];
        rp_svg_line(b, x, y, x, y + 5, RP_INK, 1, NULL);
        if (labels)
            snprintf(buf, sizeof buf, "%s", labels[i]);
        else
            format_tick(buf, sizeof buf, ticks[i], decimals, NULL);
        rp_svg_text(b, x, y + 18, "middle", NULL, buf);
    }
    if (title && title[0])
        rp_svg_text(b, (lo + hi) / 2, y + 38, "middle", "font-weight=\"bold\"", title);
}

void rp_svg_yaxis(rp_buf *b, const rp_scale *s, double x, const double *ticks, size_t n,
                  int decimals, const char *suffix, double grid_to, const char *title)
{
    double lo = s->p0 < s->p1 ? s->p0 : s->p1, hi = s->p0 < s->p1 ? s->p1 : s->p0;
    for (size_t i = 0; i < n; i++) {
        double y = rp_scale_map(s, ticks[i]);
        char buf[64];
        if (grid_to > 0)
            rp_svg_line(b, x, y, grid_to, y, "#e3e3e3", 1, NULL);
        rp_svg_line(b, x - 5, y, x, y, RP_INK, 1, NULL);
        format_tick(buf, sizeof buf, ticks[i], decimals, suffix);
        rp_svg_text(b, x - 8, y + 4, "end", NULL, buf);
    }
    rp_svg_line(b, x, lo, x, hi, RP_INK, 1, NULL);
    if (title && title[0]) {
        double cy = (lo + hi) / 2;
        char extra[96];
        snprintf(extra, sizeof extra, "font-weight=\"bold\" transform=\"rotate(-90 %.1f %.1f)\"",
                 x - 48, cy);
        rp_svg_text(b, x - 48, cy, "middle", extra, title);
    }
}

double rp_svg_legend(rp_buf *b, double x, double y, const char *colour, int is_line,
                     const char *dash, const char *label)
{
    if (is_line || dash) {
        rp_svg_line(b, x, y - 4, x + 22, y - 4, colour, 2.5, dash);
        x += 28;
    } else {
        rp_svg_rect(b, x, y - 10, 12, 12, colour, NULL);
        x += 17;
    }
    rp_svg_text(b, x, y, "start", NULL, label);
    /* DejaVu Sans at 12px averages about 7 px a character. */
    return x + 7.0 * (double)strlen(label) + 18;
}
