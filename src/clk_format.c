/*
 * clk_format.c - clkhash's per-value work, reproduced: validation, the
 * formatting that turns a raw value into what is tokenised, and the three
 * tokenisers (n-gram, exact, numeric).
 *
 * clkhash is Python, so "what clkhash does" means what int(), float(),
 * round(), datetime.strptime, str.upper and re.fullmatch do.  Each is
 * re-implemented here for the inputs a linkage file can hold, following
 * CPython's rules (e.g. int(" +007") is 7, strptime's "%d" also accepts
 * " 5", "%Y" wants exactly four digits and later directives override
 * earlier ones).  Where CPython accepts something childlink does not
 * reproduce (non-ASCII digits, regex features beyond POSIX ERE, numbers
 * beyond 2^53), the value or schema is refused with a clear message rather
 * than hashed differently; docs/clkhash-compat.md lists these.
 *
 * Everything here works on caller-owned reusable buffers: nothing is
 * allocated per record once the buffers have grown.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "clk_internal.h"

/* ---- buffers and UTF-8 ----------------------------------------------- */

cl_status clk_buf_reserve(clk_buf *b, size_t cap)
{
    if (cap <= b->cap)
        return CL_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < cap)
        ncap *= 2;
    char *p = cl_realloc(b->data, ncap);
    if (p == NULL)
        return CL_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return CL_OK;
}

static cl_status buf_append(clk_buf *b, const void *p, size_t n)
{
    if (clk_buf_reserve(b, b->len + n + 1) != CL_OK)
        return CL_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return CL_OK;
}

/* Decode one code point; returns its byte length, or -1 if invalid. */
static int utf8_next(const char *s, size_t len, size_t pos, int32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + pos,
                                          (utf8proc_ssize_t)(len - pos), &c);
    if (n <= 0)
        return -1;
    *cp = c;
    return (int)n;
}

/* Code points in a UTF-8 string, or -1 if it is not valid UTF-8. */
static long utf8_length(const char *s, size_t len)
{
    long count = 0;
    size_t pos = 0;
    while (pos < len) {
        int32_t cp;
        int n = utf8_next(s, len, pos, &cp);
        if (n < 0)
            return -1;
        pos += (size_t)n;
        count++;
    }
    return count;
}

/* Python's str.isspace(). */
static int py_isspace(int32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Python's str.strip() with no argument: narrow [*start, *end). */
static void py_strip(const char *s, size_t len, size_t *start, size_t *end)
{
    size_t a = 0, b = len;
    while (a < b) {
        int32_t cp;
        int n = utf8_next(s, len, a, &cp);
        if (n < 0 || !py_isspace(cp))
            break;
        a += (size_t)n;
    }
    while (b > a) {
        size_t p = b - 1;
        while (p > a && ((unsigned char)s[p] & 0xc0) == 0x80)
            p--;
        int32_t cp;
        if (utf8_next(s, len, p, &cp) < 0 || !py_isspace(cp))
            break;
        b = p;
    }
    *start = a;
    *end = b;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- integers: int(s, 10) and str() ---------------------------------- */

/* Normalise a Python base-10 integer literal into `out` ("-12", "0").
 * Returns 0, or -1 if `s` is not one. */
static int py_int_normalise(const char *s, size_t len, clk_buf *out)
{
    size_t a, b;
    py_strip(s, len, &a, &b);
    int negative = 0;
    if (a < b && (s[a] == '+' || s[a] == '-')) {
        negative = s[a] == '-';
        a++;
    }
    if (a == b || !is_digit(s[a]) || !is_digit(s[b - 1]))
        return -1;
    out->len = 0;
    if (clk_buf_reserve(out, b - a + 2) != CL_OK)
        return -2;
    if (negative)
        out->data[out->len++] = '-';
    int leading = 1;
    for (size_t i = a; i < b; i++) {
        if (s[i] == '_') {
            /* One underscore, only between digits. */
            if (!is_digit(s[i + 1]) || !is_digit(s[i - 1]))
                return -1;
            continue;
        }
        if (!is_digit(s[i]))
            return -1;
        if (leading && s[i] == '0')
            continue;
        leading = 0;
        out->data[out->len++] = s[i];
    }
    if (leading) {            /* all zeros, "-0" included */
        out->len = 0;
        out->data[out->len++] = '0';
    }
    out->data[out->len] = '\0';
    return 0;
}

/* Compare a normalised integer string with a long long bound. */
static int int_string_cmp(const char *v, long long bound)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", bound);
    int vneg = v[0] == '-', bneg = b[0] == '-';
    if (vneg != bneg)
        return vneg ? -1 : 1;
    const char *vd = v + vneg, *bd = b + bneg;
    size_t vl = strlen(vd), bl = strlen(bd);
    int mag = vl != bl ? (vl < bl ? -1 : 1) : strcmp(vd, bd);
    if (mag > 0)
        mag = 1;
    else if (mag < 0)
        mag = -1;
    return vneg ? -mag : mag;
}

/* ---- floats: float(s) ------------------------------------------------ */

/* Parse a Python float literal (underscores between digits, inf, nan).
 * Returns 0 with *out, or -1. */
static int py_float(const char *s, size_t len, double *out)
{
    char buf[128];
    size_t a, b, n = 0;
    py_strip(s, len, &a, &b);
    if (a == b || b - a >= sizeof buf)
        return -1;
    size_t i = a;
    if (s[i] == '+' || s[i] == '-')
        buf[n++] = s[i++];
    /* inf / infinity / nan, any case */
    size_t rest = b - i;
    const char *words[] = {"infinity", "inf", "nan"};
    for (int w = 0; w < 3; w++) {
        size_t wl = strlen(words[w]);
        if (rest != wl)
            continue;
        int same = 1;
        for (size_t k = 0; k < wl; k++)
            if ((s[i + k] | 0x20) != words[w][k])
                same = 0;
        if (same) {
            double v = w == 2 ? NAN : INFINITY;
            *out = (n && buf[0] == '-') ? -v : v;
            return 0;
        }
    }
    int digits = 0, in_exp = 0, seen_dot = 0, exp_digits = 0;
    for (; i < b; i++) {
        char c = s[i];
        if (is_digit(c)) {
            buf[n++] = c;
            if (in_exp)
                exp_digits++;
            else
                digits++;
        } else if (c == '_') {
            if (i == a || i + 1 >= b || !is_digit(s[i - 1]) || !is_digit(s[i + 1]))
                return -1;
        } else if (c == '.' && !seen_dot && !in_exp) {
            seen_dot = 1;
            buf[n++] = c;
        } else if ((c == 'e' || c == 'E') && !in_exp && digits) {
            in_exp = 1;
            buf[n++] = 'e';
            if (i + 1 < b && (s[i + 1] == '+' || s[i + 1] == '-'))
                buf[n++] = s[++i];
        } else {
            return -1;
        }
    }
    if (!digits || (in_exp && !exp_digits))
        return -1;
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0')     /* a locale with another decimal point */
        return -1;
    *out = v;             /* overflow gives inf, as Python does */
    return 0;
}

/* ---- numeric tokens -------------------------------------------------- */

static const double exact_pow10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

cl_status clk_numeric_tokens(const clk_feature *f, const char *word, size_t len,
                             long long *tokens, cl_error *err)
{
    double x;
    if (py_float(word, len, &x) != 0)
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': value is not a number", f->identifier);
    if (!isfinite(x))
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': value is not a finite number", f->identifier);
    /* clkhash: round(float(w) * 10**p) (round half to even) when p > 0,
     * int(float(w)) (towards zero) when p == 0. */
    double scaled;
    if (f->fractional_precision > 0)
        scaled = nearbyint(x * exact_pow10[f->fractional_precision]);
    else
        scaled = trunc(x);
    /* Python's ints are unbounded; childlink stops at 2^53, where doubles
     * stop being exact, which leaves room for the arithmetic below. */
    if (fabs(scaled) > 9007199254740992.0)
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': number too large for numeric comparison",
                            f->identifier);
    long long v = (long long)scaled;
    long long di = f->distance_interval;
    long long r = f->resolution;
    long long scaled_v, base;
    if (__builtin_mul_overflow(v, 2 * r, &scaled_v))
        goto too_large;
    long long residue = scaled_v % di;
    if (residue < 0)
        residue += di;   /* Python's % takes the sign of the divisor */
    if (residue == 0)
        base = scaled_v;
    else if (2 * residue < di)
        base = scaled_v - residue;
    else if (__builtin_add_overflow(scaled_v, di - residue, &base))
        goto too_large;
    for (long long i = -r; i <= r; i++) {
        long long step, t;
        if (__builtin_mul_overflow(i, di, &step) || __builtin_add_overflow(base, step, &t))
            goto too_large;
        tokens[i + r] = t;
    }
    return CL_OK;
too_large:
    return cl_error_set(err, CL_EFORMAT, NULL, 0,
                        "feature '%s': number too large for numeric comparison", f->identifier);
}

/* ---- case checks ----------------------------------------------------- */

/* Code points whose Python str.upper() is more than one character (from
 * Unicode SpecialCasing); the simple mapping misses some of them. */
static int has_multichar_upper(int32_t c)
{
    static const int32_t ranges[][2] = {
        {0xDF, 0xDF}, {0x149, 0x149}, {0x1F0, 0x1F0}, {0x390, 0x390}, {0x3B0, 0x3B0},
        {0x587, 0x587}, {0x1E96, 0x1E9A}, {0x1F50, 0x1F50}, {0x1F52, 0x1F52},
        {0x1F54, 0x1F54}, {0x1F56, 0x1F56}, {0x1F80, 0x1FAF}, {0x1FB2, 0x1FB4},
        {0x1FB6, 0x1FB7}, {0x1FBC, 0x1FBC}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FC7},
        {0x1FCC, 0x1FCC}, {0x1FD2, 0x1FD3}, {0x1FD6, 0x1FD7}, {0x1FE2, 0x1FE4},
        {0x1FE6, 0x1FE7}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FF7}, {0x1FFC, 0x1FFC},
        {0xFB00, 0xFB06}, {0xFB13, 0xFB17}
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (c >= ranges[i][0] && c <= ranges[i][1])
            return 1;
    return 0;
}

/* s.upper() == s (want_upper) or s.lower() == s. */
static int case_matches(const char *s, size_t len, int want_upper)
{
    size_t pos = 0;
    while (pos < len) {
        int32_t cp;
        int n = utf8_next(s, len, pos, &cp);
        if (n < 0)
            return 0;
        pos += (size_t)n;
        if (want_upper) {
            if (utf8proc_toupper(cp) != cp || has_multichar_upper(cp))
                return 0;
        } else if (utf8proc_tolower(cp) != cp) {
            return 0;
        }
    }
    return 1;
}

/* ---- regular expressions --------------------------------------------- */

cl_status clk_regex_compile(clk_feature *f, const char *pattern, cl_error *err)
{
    size_t plen = strlen(pattern);
    /* Each source byte becomes at most 16 bytes ("\W" -> "[^[:alnum:]_]"). */
    char *ere = cl_malloc(plen * 16 + 8);
    if (ere == NULL)
        return CL_ENOMEM;
    size_t n = 0;
    ere[n++] = '^';
    ere[n++] = '(';
    int in_bracket = 0;
    const char *why = NULL;
    for (size_t i = 0; i < plen && why == NULL; i++) {
        char c = pattern[i];
        if (in_bracket) {
            if (c == ']' && in_bracket > 1) {
                in_bracket = 0;
                ere[n++] = c;
                continue;
            }
            in_bracket++;
            if (c == '\\') {
                char e = pattern[++i];
                if (e == 'd') {
                    memcpy(ere + n, "0-9", 3), n += 3;
                } else if (e == 's') {
                    memcpy(ere + n, "[:space:]", 9), n += 9;
                } else if (e == 'w') {
                    memcpy(ere + n, "[:alnum:]_", 10), n += 10;
                } else if (e == 'n') {
                    ere[n++] = '\n';
                } else if (e == 't') {
                    ere[n++] = '\t';
                } else if (e == '\0' || e == ']' || e == '-' || e == '^' || e == '[' ||
                           (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
                           (e >= '0' && e <= '9')) {
                    why = "an escape inside [...] that POSIX cannot express";
                } else {
                    ere[n++] = e;   /* backslash is literal inside POSIX brackets */
                }
                continue;
            }
            if (c == '^' && in_bracket == 2) {
                /* negation: the next ']' is still a literal */
                ere[n++] = c;
                in_bracket = 1;
                continue;
            }
            if (c == '[' && pattern[i + 1] == ':') {
                why = "POSIX character classes, which Python does not have";
                continue;
            }
            ere[n++] = c;
            continue;
        }
        switch (c) {
        case '\\': {
            char e = pattern[++i];
            const char *rep = NULL;
            switch (e) {
            case 'd': rep = "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 's': rep = "[[:space:]]"; break;
            case 'S': rep = "[^[:space:]]"; break;
            case 'w': rep = "[[:alnum:]_]"; break;
            case 'W': rep = "[^[:alnum:]_]"; break;
            case 'n': rep = "\n"; break;
            case 't': rep = "\t"; break;
            case '\0': why = "a pattern ending in a backslash"; break;
            default:
                if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
                    why = "an escape sequence POSIX regular expressions do not have";
                else if (strchr(".[]()*+?{}|^$\\", e)) {
                    ere[n++] = '\\';
                    ere[n++] = e;
                } else {
                    ere[n++] = e;
                }
            }
            if (rep) {
                size_t rl = strlen(rep);
                memcpy(ere + n, rep, rl);
                n += rl;
            }
            break;
        }
        case '[':
            in_bracket = 1;
            ere[n++] = c;
            break;
        case '(':
            if (pattern[i + 1] == '?') {
                if (pattern[i + 2] == ':') {
                    i += 2;
                } else if (pattern[i + 2] == 'P' && pattern[i + 3] == '<') {
                    const char *close = strchr(pattern + i + 4, '>');
                    if (close == NULL)
                        why = "an unterminated group name";
                    else
                        i = (size_t)(close - pattern);
                } else {
                    why = "(?...) extensions (look-around, flags, back-references)";
                }
            }
            ere[n++] = '(';
            break;
        case '.':
            /* Python's '.' does not match a newline. */
            memcpy(ere + n, "[^\n]", 4);
            n += 4;
            break;
        case '*':
        case '+':
        case '?':
        case '}':
            ere[n++] = c;
            /* A lazy quantifier matches the same strings under fullmatch. */
            if (pattern[i + 1] == '?')
                i++;
            else if (pattern[i + 1] == '+')
                why = "possessive quantifiers";
            break;
        case '{':
            ere[n++] = c;
            if (pattern[i + 1] == ',')
                ere[n++] = '0';   /* Python's {,n} is {0,n} */
            break;
        default:
            ere[n++] = c;
        }
    }
    if (why == NULL && in_bracket)
        why = "an unterminated [...]";
    if (why != NULL) {
        cl_free(ere);
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': pattern uses %s; childlink supports the POSIX subset "
                            "of Python regular expressions", f->identifier, why);
    }
    ere[n++] = ')';
    ere[n++] = '$';
    ere[n] = '\0';
    int rc = regcomp(&f->pattern, ere, REG_EXTENDED | REG_NOSUB);
    cl_free(ere);
    if (rc != 0) {
        char msg[200];
        regerror(rc, &f->pattern, msg, sizeof msg);
        return cl_error_set(err, CL_EFORMAT, NULL, 0, "feature '%s': invalid pattern: %s",
                            f->identifier, msg);
    }
    f->has_pattern = 1;
    return CL_OK;
}

/* ---- dates: datetime.strptime(value, format).strftime('%Y%m%d') ------ */

/* CPython's _strptime regular expressions, one alternative per string in
 * order of preference; each alternative is a sequence of "lo hi" byte
 * ranges, two characters per position. */
static const char *const alt_d[] = {"3301", "1209", "0019", "19", "  19", NULL};
static const char *const alt_m[] = {"1102", "0019", "19", NULL};
static const char *const alt_y[] = {"0909", NULL};
static const char *const alt_Y[] = {"09090909", NULL};
static const char *const alt_H[] = {"2203", "0109", "09", NULL};
static const char *const alt_I[] = {"1102", "0019", "19", NULL};
static const char *const alt_M[] = {"0509", "09", NULL};
static const char *const alt_S[] = {"6601", "0509", "09", NULL};
static const char *const alt_j[] = {"336606", "330509", "120909", "001909", "000019",
                                    "1909", "0019", "19", NULL};
static const char *const alt_f[] = {"090909090909", "0909090909", "09090909", "090909",
                                    "0909", "09", NULL};
static const char *const alt_w[] = {"06", NULL};
static const char *const alt_u[] = {"17", NULL};

/* Names in the C locale, longest first as CPython orders its alternation
 * (sorted by length, ties in calendar order); value = index + 1. */
static const char *const names_B[] = {"september", "february", "november", "december",
                                      "january", "october", "august", "march", "april",
                                      "june", "july", "may", NULL};
static const char *const names_b[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                      "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const names_A[] = {"wednesday", "thursday", "saturday", "tuesday",
                                      "monday", "friday", "sunday", NULL};
static const char *const names_a[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
static const char *const names_p[] = {"am", "pm", NULL};
static const char *const months_full[] = {"january", "february", "march", "april", "may",
                                          "june", "july", "august", "september", "october",
                                          "november", "december"};

static const char *const *date_alternatives(char d)
{
    switch (d) {
    case 'd': return alt_d;
    case 'm': return alt_m;
    case 'y': return alt_y;
    case 'Y': return alt_Y;
    case 'H': return alt_H;
    case 'I': return alt_I;
    case 'M': return alt_M;
    case 'S': return alt_S;
    case 'j': return alt_j;
    case 'f': return alt_f;
    case 'w': return alt_w;
    case 'u': return alt_u;
    case 'B': return names_B;
    case 'b': return names_b;
    case 'A': return names_A;
    case 'a': return names_a;
    case 'p': return names_p;
    }
    return NULL;
}

static int is_name_directive(char d)
{
    return d == 'B' || d == 'b' || d == 'A' || d == 'a' || d == 'p';
}

cl_status clk_date_compile(clk_feature *f, const char *format, cl_error *err)
{
    int n = 0;
    unsigned seen[128] = {0};
    for (size_t i = 0; format[i]; i++) {
        if (n >= CLK_DATE_MAX_STEPS)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "feature '%s': date format too long", f->identifier);
        unsigned char c = (unsigned char)format[i];
        clk_date_step *st = &f->date_steps[n];
        if (c == '%') {
            char d = format[++i];
            if (d == '\0')
                return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                    "feature '%s': date format ends with a lone %%",
                                    f->identifier);
            if (d == '%') {
                st->kind = 'L';
                st->literal = '%';
            } else if (date_alternatives(d) != NULL) {
                if (seen[(unsigned char)d]++)
                    return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                        "feature '%s': date format repeats %%%c, which Python "
                                        "rejects", f->identifier, d);
                st->kind = d;
            } else {
                return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                    "feature '%s': date directive %%%c is not supported "
                                    "(supported: %%Y %%y %%m %%d %%j %%b %%B %%a %%A %%w %%u "
                                    "%%H %%I %%M %%S %%f %%p %%%%)", f->identifier, d);
            }
        } else if (c == ' ' || (c >= '\t' && c <= '\r')) {
            /* CPython turns each run of whitespace into \s+ */
            while (format[i + 1] == ' ' || (format[i + 1] >= '\t' && format[i + 1] <= '\r'))
                i++;
            st->kind = 'W';
        } else {
            st->kind = 'L';
            st->literal = (char)c;
        }
        n++;
    }
    f->ndate_steps = n;
    return CL_OK;
}

/* Byte length of a Python \s character at s[pos], or 0. */
static int space_at(const char *s, size_t len, size_t pos)
{
    int32_t cp;
    int n = utf8_next(s, len, pos, &cp);
    return n > 0 && py_isspace(cp) ? n : 0;
}

typedef struct date_fields {
    int year, month, day, julian;
    int second;
} date_fields;

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static int number_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        if (is_digit(s[i]))
            v = v * 10 + (s[i] - '0');
    return v;
}

static void assign(date_fields *df, char d, const char *s, size_t n, int name_index)
{
    switch (d) {
    case 'Y': df->year = number_value(s, n); break;
    case 'y': {
        int y = number_value(s, n);
        df->year = y <= 68 ? y + 2000 : y + 1900;
        break;
    }
    case 'm': df->month = number_value(s, n); break;
    case 'B':
        for (int k = 0; k < 12; k++)
            if (strcmp(names_B[name_index], months_full[k]) == 0)
                df->month = k + 1;
        break;
    case 'b': df->month = name_index + 1; break;
    case 'd': df->day = number_value(s, n); break;
    case 'j': df->julian = number_value(s, n); break;
    case 'S': df->second = number_value(s, n); break;
    default: break;   /* parsed for syntax only: they do not move the date */
    }
}

/* Backtracking match of steps[si..] against s[pos..len), as Python's re
 * would match the regex _strptime builds (IGNORECASE, must reach the end). */
static int date_match(const clk_feature *f, int si, const char *s, size_t len, size_t pos,
                      date_fields *df)
{
    if (si == f->ndate_steps)
        return pos == len;
    const clk_date_step *st = &f->date_steps[si];
    if (st->kind == 'L') {
        if (pos < len && ascii_lower(s[pos]) == ascii_lower(st->literal))
            return date_match(f, si + 1, s, len, pos + 1, df);
        return 0;
    }
    if (st->kind == 'W') {
        /* \s+ is greedy: collect the run, then give back one at a time. */
        size_t ends[256];
        int count = 0;
        size_t p = pos;
        int w;
        while (count < 256 && (w = space_at(s, len, p)) > 0) {
            p += (size_t)w;
            ends[count++] = p;
        }
        for (int k = count - 1; k >= 0; k--)
            if (date_match(f, si + 1, s, len, ends[k], df))
                return 1;
        return 0;
    }
    const char *const *alts = date_alternatives(st->kind);
    if (is_name_directive(st->kind)) {
        for (int a = 0; alts[a]; a++) {
            size_t nl = strlen(alts[a]);
            if (len - pos < nl)
                continue;
            size_t k = 0;
            while (k < nl && ascii_lower(s[pos + k]) == alts[a][k])
                k++;
            if (k < nl)
                continue;
            date_fields saved = *df;
            assign(df, st->kind, s + pos, nl, a);
            if (date_match(f, si + 1, s, len, pos + nl, df))
                return 1;
            *df = saved;
        }
        return 0;
    }
    for (int a = 0; alts[a]; a++) {
        size_t nl = strlen(alts[a]) / 2;
        if (len - pos < nl)
            continue;
        size_t k = 0;
        while (k < nl && s[pos + k] >= alts[a][2 * k] && s[pos + k] <= alts[a][2 * k + 1])
            k++;
        if (k < nl)
            continue;
        date_fields saved = *df;
        assign(df, st->kind, s + pos, nl, 0);
        if (date_match(f, si + 1, s, len, pos + nl, df))
            return 1;
        *df = saved;
    }
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static cl_status format_date(const clk_feature *f, const char *s, size_t len, clk_buf *out,
                             cl_error *err)
{
    date_fields df = {1900, 1, 1, 0, 0};
    if (!date_match(f, 0, s, len, 0, &df))
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': date does not match its format", f->identifier);
    if (df.year < 1 || df.second > 59)
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': date out of range", f->identifier);
    if (df.julian > 0) {
        /* Day of year overrides month and day, and may run into next year. */
        int y = df.year, j = df.julian;
        int year_days = is_leap(y) ? 366 : 365;
        if (j > year_days) {
            j -= year_days;
            y++;
        }
        int m = 1;
        while (j > days_in_month(y, m)) {
            j -= days_in_month(y, m);
            m++;
        }
        df.year = y;
        df.month = m;
        df.day = j;
        if (y > 9999)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "feature '%s': date out of range", f->identifier);
    } else if (df.day < 1 || df.day > days_in_month(df.year, df.month)) {
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': day is out of range for month", f->identifier);
    }
    if (clk_buf_reserve(out, 16) != CL_OK)
        return CL_ENOMEM;
    /* glibc's strftime("%Y") does not zero-pad years below 1000. */
    out->len = (size_t)snprintf(out->data, out->cap, "%d%02d%02d", df.year, df.month, df.day);
    return CL_OK;
}

/* ---- validation and formatting --------------------------------------- */

cl_status clk_format_value(const clk_feature *f, const char *value, size_t len, clk_buf *out,
                           cl_error *err)
{
    long cps = utf8_length(value, len);
    if (cps < 0)
        return cl_error_set(err, CL_EFORMAT, NULL, 0, "feature '%s': value is not valid UTF-8",
                            f->identifier);
    if (memchr(value, '\0', len) != NULL)
        return cl_error_set(err, CL_EFORMAT, NULL, 0, "feature '%s': value holds a NUL byte",
                            f->identifier);
    if (f->encoding == CLK_ENC_ASCII) {
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)value[i] >= 0x80)
                return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                    "feature '%s': value cannot be encoded in ascii",
                                    f->identifier);
    }
    out->len = 0;
    switch (f->format) {
    case CLK_FMT_STRING:
        if (f->has_pattern) {
            if (buf_append(out, value, len) != CL_OK)
                return CL_ENOMEM;
            if (regexec(&f->pattern, out->data, 0, NULL, 0) != 0)
                return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                    "feature '%s': value does not match the pattern",
                                    f->identifier);
            return CL_OK;
        }
        if (f->min_length >= 0 && cps < f->min_length)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "feature '%s': value shorter than minLength %ld",
                                f->identifier, f->min_length);
        if (f->max_length >= 0 && cps > f->max_length)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "feature '%s': value longer than maxLength %ld",
                                f->identifier, f->max_length);
        if (f->text_case != CLK_CASE_MIXED &&
            !case_matches(value, len, f->text_case == CLK_CASE_UPPER))
            return cl_error_set(err, CL_EFORMAT, NULL, 0, "feature '%s': value is not %s case",
                                f->identifier,
                                f->text_case == CLK_CASE_UPPER ? "upper" : "lower");
        return buf_append(out, value, len);
    case CLK_FMT_INTEGER: {
        int rc = py_int_normalise(value, len, out);
        if (rc == -2)
            return CL_ENOMEM;
        if (rc != 0)
            return cl_error_set(err, CL_EFORMAT, NULL, 0, "feature '%s': value is not an integer",
                                f->identifier);
        if (f->has_minimum && int_string_cmp(out->data, f->minimum) < 0)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "feature '%s': integer below the minimum %lld", f->identifier,
                                f->minimum);
        if (f->has_maximum && int_string_cmp(out->data, f->maximum) > 0)
            return cl_error_set(err, CL_EFORMAT, NULL, 0,
                                "feature '%s': integer above the maximum %lld", f->identifier,
                                f->maximum);
        return CL_OK;
    }
    case CLK_FMT_DATE:
        return format_date(f, value, len, out, err);
    case CLK_FMT_ENUM:
        for (size_t i = 0; i < f->nenum; i++)
            if (f->enum_lens[i] == len && memcmp(f->enum_values[i], value, len) == 0)
                return buf_append(out, value, len);
        return cl_error_set(err, CL_EFORMAT, NULL, 0,
                            "feature '%s': value is not one of the enum values", f->identifier);
    }
    return CL_EINVAL;
}

/* ---- tokenisers ------------------------------------------------------ */

size_t clk_token_bound(const clk_feature *f, size_t len)
{
    switch (f->comparison) {
    case CLK_CMP_NGRAM:
        return len + (size_t)(f->ngram_n > 0 ? f->ngram_n - 1 : 1);
    case CLK_CMP_EXACT:
        return 1;
    case CLK_CMP_NUMERIC:
        return 2 * (size_t)f->resolution + 1;
    }
    return 0;
}

static cl_status push_token(clk_buf *toks, size_t *offs, size_t *ntokens, const char *p,
                            size_t n)
{
    offs[*ntokens] = toks->len;
    if (buf_append(toks, p, n) != CL_OK || buf_append(toks, "", 1) != CL_OK)
        return CL_ENOMEM;
    (*ntokens)++;
    return CL_OK;
}

cl_status clk_tokenize(const clk_feature *f, const char *value, size_t len, clk_buf *toks,
                       size_t *offs, size_t offs_cap, size_t *ntokens, cl_error *err)
{
    toks->len = 0;
    *ntokens = 0;
    if (clk_token_bound(f, len) + 1 > offs_cap)
        return CL_ELIMIT;
    if (f->comparison == CLK_CMP_EXACT) {
        if (len > 0 && push_token(toks, offs, ntokens, value, len) != CL_OK)
            return CL_ENOMEM;
        offs[*ntokens] = toks->len;
        return CL_OK;
    }
    if (f->comparison == CLK_CMP_NUMERIC) {
        if (len == 0) {
            offs[0] = 0;
            return CL_OK;
        }
        long long values[2 * 1024 + 1];
        cl_status st = clk_numeric_tokens(f, value, len, values, err);
        if (st != CL_OK)
            return st;
        for (int i = 0; i < 2 * f->resolution + 1; i++) {
            char num[32];
            int n = snprintf(num, sizeof num, "%lld", values[i]);
            if (push_token(toks, offs, ntokens, num, (size_t)n) != CL_OK)
                return CL_ENOMEM;
        }
        offs[*ntokens] = toks->len;
        return CL_OK;
    }
    /* n-grams over code points, padded with n-1 spaces each side when n > 1. */
    long cps = utf8_length(value, len);
    if (cps < 0)
        return cl_error_set(err, CL_EFORMAT, NULL, 0, "feature '%s': value is not valid UTF-8",
                            f->identifier);
    if (cps == 0) {
        offs[0] = 0;
        return CL_OK;
    }
    int n = f->ngram_n;
    long pad = n > 1 ? n - 1 : 0;
    long total = cps + 2 * pad;
    long count = total - n + 1;
    /* Slide a window of n code points: `start_cp` indexes the value's code
     * point at the window start (negative inside the left padding) and
     * `start_byte` is the byte offset of code point max(start_cp, 0). */
    size_t start_byte = 0;
    long start_cp = -pad;
    for (long i = 0; i < count; i++, start_cp++) {
        size_t mark = toks->len;
        offs[*ntokens] = mark;
        if (f->positional) {
            char num[24];
            int k = snprintf(num, sizeof num, "%ld ", i + 1);
            if (buf_append(toks, num, (size_t)k) != CL_OK)
                return CL_ENOMEM;
        }
        /* Emit n code points starting at start_cp (spaces outside value). */
        size_t b = start_byte;
        for (long c = start_cp; c < start_cp + n; c++) {
            if (c < 0 || c >= cps) {
                if (buf_append(toks, " ", 1) != CL_OK)
                    return CL_ENOMEM;
            } else {
                int32_t cp;
                int w = utf8_next(value, len, b, &cp);
                if (buf_append(toks, value + b, (size_t)w) != CL_OK)
                    return CL_ENOMEM;
                b += (size_t)w;
            }
        }
        if (buf_append(toks, "", 1) != CL_OK)
            return CL_ENOMEM;
        (*ntokens)++;
        /* Advance the window start by one code point. */
        if (start_cp >= 0 && start_cp < cps) {
            int32_t cp;
            start_byte += (size_t)utf8_next(value, len, start_byte, &cp);
        }
    }
    offs[*ntokens] = toks->len;
    return CL_OK;
}

/* ---- byte encodings -------------------------------------------------- */

cl_status clk_encode_token(clk_encoding enc, const char *tok, size_t len, clk_buf *out)
{
    out->len = 0;
    if (enc == CLK_ENC_UTF8 || enc == CLK_ENC_ASCII)
        return buf_append(out, tok, len);
    size_t unit = enc == CLK_ENC_UTF16 ? 2 : 4;
    if (clk_buf_reserve(out, unit + len * 4 + 1) != CL_OK)
        return CL_ENOMEM;
    unsigned char *p = (unsigned char *)out->data;
    size_t n = 0;
    p[n++] = 0xff;
    p[n++] = 0xfe;
    if (unit == 4) {
        p[n++] = 0;
        p[n++] = 0;
    }
    size_t pos = 0;
    while (pos < len) {
        int32_t cp;
        int w = utf8_next(tok, len, pos, &cp);
        if (w < 0)
            return CL_EFORMAT;
        pos += (size_t)w;
        if (unit == 4) {
            for (int k = 0; k < 4; k++)
                p[n++] = (unsigned char)((uint32_t)cp >> (8 * k));
        } else if (cp >= 0x10000) {
            uint32_t v = (uint32_t)cp - 0x10000;
            uint32_t hi = 0xd800 | (v >> 10), lo = 0xdc00 | (v & 0x3ff);
            p[n++] = (unsigned char)hi;
            p[n++] = (unsigned char)(hi >> 8);
            p[n++] = (unsigned char)lo;
            p[n++] = (unsigned char)(lo >> 8);
        } else {
            p[n++] = (unsigned char)cp;
            p[n++] = (unsigned char)(cp >> 8);
        }
    }
    out->len = n;
    return CL_OK;
}
