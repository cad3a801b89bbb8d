/*
 * clean.c - canonical, standardised, validated identifier records
 * (see clean.h).
 *
 * The cleaner owns one growable buffer per canonical field and rewrites it
 * for every record, so cleaning a file allocates only when a field is longer
 * than any seen before.  Multi-valued fields ('|' alternatives, or several
 * source columns gathered into one field) are checked value by value; the
 * field is valid when every value is, and invalid (with the first reason)
 * otherwise.
 */
#include <string.h>
#include <sys/stat.h>

#include "childlink/clean.h"
#include "childlink/date.h"
#include "childlink/name.h"
#include "childlink/nhs.h"
#include "childlink/outfile.h"
#include "childlink/postcode.h"
#include "childlink/sex.h"
#include "childlink/strmap.h"
#include "childlink/upn.h"

typedef struct buffer {
    char *data;
    size_t len, cap;
} buffer;

struct cl_cleaner {
    const cl_schema *schema;
    cl_schema_binding binding;
    const char *path;
    buffer field[CL_FIELD_COUNT];
    buffer joined;          /* several source columns gathered into one value */
    buffer forenames_tidy, surname_tidy;
};

static int reserve(buffer *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = cl_realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int append(buffer *b, const char *s, size_t n)
{
    if (reserve(b, b->len + n + 1) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static void trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && (p[0] == ' ' || p[0] == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    *s = p;
    *len = n;
}

cl_status cl_cleaner_new(cl_cleaner **out, const cl_schema *schema, const cl_csv_reader *r,
                         cl_error *err)
{
    *out = NULL;
    cl_cleaner *c = cl_calloc(1, sizeof *c);
    if (c == NULL)
        return cl_error_set(err, CL_ENOMEM, cl_csv_path(r), 0, "out of memory");
    cl_status st = cl_schema_bind(schema, r, &c->binding, err);
    if (st != CL_OK) {
        cl_free(c);
        return st;
    }
    c->schema = schema;
    c->path = cl_csv_path(r);
    for (int f = 0; f < CL_FIELD_COUNT; f++)
        if (reserve(&c->field[f], 256) != 0) {
            cl_cleaner_free(c);
            return cl_error_set(err, CL_ENOMEM, cl_csv_path(r), 0, "out of memory");
        }
    *out = c;
    return CL_OK;
}

void cl_cleaner_free(cl_cleaner *c)
{
    if (c == NULL)
        return;
    cl_schema_binding_free(&c->binding);
    for (int f = 0; f < CL_FIELD_COUNT; f++)
        cl_free(c->field[f].data);
    cl_free(c->joined.data);
    cl_free(c->forenames_tidy.data);
    cl_free(c->surname_tidy.data);
    cl_free(c);
}

const cl_schema_binding *cl_cleaner_binding(const cl_cleaner *c) { return &c->binding; }

/* The raw text of field f for the current record: one column, or several
 * gathered with '|'.  Returns 0, or -1 when out of memory. */
static int raw_value(cl_cleaner *c, const cl_csv_reader *r, int f, const char **s, size_t *len)
{
    const cl_schema_binding *b = &c->binding;
    if (b->field_ncolumns[f] == 0) {
        *s = "";
        *len = 0;
        return 0;
    }
    if (b->field_ncolumns[f] == 1) {
        *s = cl_csv_field(r, (size_t)b->field_columns[f][0], len);
        trim(s, len);
        return 0;
    }
    c->joined.len = 0;
    if (reserve(&c->joined, 1) != 0)
        return -1;
    c->joined.data[0] = '\0';
    for (int k = 0; k < b->field_ncolumns[f]; k++) {
        size_t n;
        const char *v = cl_csv_field(r, (size_t)b->field_columns[f][k], &n);
        trim(&v, &n);
        if (n == 0)
            continue;
        if ((c->joined.len > 0 && append(&c->joined, "|", 1) != 0) ||
            append(&c->joined, v, n) != 0)
            return -1;
    }
    *s = c->joined.data;
    *len = c->joined.len;
    return 0;
}

/* Upper-case letters and digits of v, nothing else (free-form postcodes and
 * other identifiers: "ab-12 3" and "AB123" are one value). */
static cl_check alnum_key(const char *v, size_t n, char *norm, size_t cap, const char **reason)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (unsigned char)(ch - 'a' + 'A');
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            continue;
        if (k + 1 >= cap) {
            *reason = "wrong_length";
            norm[0] = '\0';
            return CL_CHECK_INVALID;
        }
        norm[k++] = (char)ch;
    }
    norm[k] = '\0';
    if (k == 0) {
        *reason = "no_letters_or_digits";
        return CL_CHECK_INVALID;
    }
    return CL_CHECK_VALID;
}

/* Check one value of an exact identifier; writes its standard form (possibly
 * empty) into `norm`, returns the check. */
static cl_check check_value(cl_cleaner *c, int f, const char *v, size_t n, char *norm,
                            const char **reason)
{
    *reason = NULL;
    norm[0] = '\0';
    switch (f) {
    case CL_FIELD_NHS_NUMBER:
        return cl_nhs_check(v, n, norm, reason);
    case CL_FIELD_UPN: {
        int temporary = 0;
        cl_check k = cl_upn_check(v, n, norm, &temporary, reason);
        if (k == CL_CHECK_VALID && temporary)
            *reason = "temporary";
        return k;
    }
    case CL_FIELD_POSTCODE: {
        if (cl_schema_postcode_any(c->schema))
            return alnum_key(v, n, norm, 16, reason);
        cl_postcode pc;
        cl_check k = cl_postcode_parse(v, n, &pc, reason);
        if (k == CL_CHECK_VALID)
            strcpy(norm, pc.full);
        return k;
    }
    case CL_FIELD_DOB: {
        int32_t days;
        cl_check k = cl_date_parse(v, n, cl_schema_dob_options(c->schema), &days, reason);
        if (k == CL_CHECK_VALID)
            cl_date_format_iso(days, norm);
        return k;
    }
    case CL_FIELD_OTHER_ID:
        return alnum_key(v, n, norm, 64, reason);
    case CL_FIELD_SEX: {
        const char *mapped = cl_schema_sex_code(c->schema, v, n);
        char code = 0;
        cl_check k = mapped ? cl_sex_parse(mapped, 1, &code, reason)
                            : cl_sex_parse(v, n, &code, reason);
        if (k == CL_CHECK_VALID) {
            norm[0] = code;
            norm[1] = '\0';
        }
        return k;
    }
    default:
        return CL_CHECK_INVALID;
    }
}

static cl_status clean_exact(cl_cleaner *c, int f, const char *s, size_t len,
                             cl_clean_record *rec)
{
    buffer *out = &c->field[f];
    int any_valid = 0, any_invalid = 0;
    const char *first_reason = NULL, *valid_note = NULL;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '|')
            continue;
        const char *v = s + start;
        size_t n = i - start;
        start = i + 1;
        trim(&v, &n);
        if (n == 0)
            continue;
        char norm[64];
        const char *reason;
        cl_check k = n > 64 ? (reason = "wrong_length", CL_CHECK_INVALID)
                            : check_value(c, f, v, n, norm, &reason);
        if (k == CL_CHECK_MISSING)
            continue;
        if (k == CL_CHECK_VALID) {
            any_valid = 1;
            if (reason && !valid_note)
                valid_note = reason;
        } else {
            if (!any_invalid)
                first_reason = reason;
            any_invalid = 1;
        }
        size_t nlen = strlen(norm);
        if (nlen == 0)
            continue;
        /* Drop repeats of a value already kept (e.g. the same postcode twice). */
        int repeat = 0;
        for (size_t p = 0; p + nlen <= out->len && !repeat; ) {
            size_t q = p;
            while (q < out->len && out->data[q] != '|')
                q++;
            repeat = q - p == nlen && memcmp(out->data + p, norm, nlen) == 0;
            p = q + 1;
        }
        if (repeat)
            continue;
        if ((out->len > 0 && append(out, "|", 1) != 0) || append(out, norm, nlen) != 0)
            return cl_error_set(NULL, CL_ENOMEM, NULL, 0, "out of memory");
    }
    if (any_invalid) {
        rec->check[f] = CL_CHECK_INVALID;
        rec->reason[f] = first_reason;
    } else if (any_valid) {
        rec->check[f] = CL_CHECK_VALID;
        rec->reason[f] = valid_note;
    } else {
        rec->check[f] = CL_CHECK_MISSING;
    }
    return CL_OK;
}

/* Address lines and places: the comparison key of names (case, accents and
 * punctuation folded; digits kept), with the source's columns run together
 * as one text rather than alternatives. */
static cl_status clean_text(cl_cleaner *c, int f, const char *s, size_t len,
                            cl_clean_record *rec)
{
    buffer *out = &c->field[f];
    buffer *raw = &c->joined;
    /* When s is the joined buffer it already holds len + 1 bytes, so this
     * reserve cannot move it. */
    if (reserve(out, CL_NAME_OUT_CAP(len)) != 0 || reserve(raw, len + 1) != 0)
        return CL_ENOMEM;
    if (raw->data != s)
        memcpy(raw->data, s, len);
    for (size_t i = 0; i < len; i++)
        if (raw->data[i] == '|')
            raw->data[i] = ' ';
    const char *reason = NULL;
    cl_check k = cl_name_key(raw->data, len, CL_NAME_SURNAME, out->data, out->cap, &reason);
    out->len = k == CL_CHECK_VALID ? strlen(out->data) : 0;
    out->data[out->len] = '\0';
    rec->check[f] = k;
    rec->reason[f] = k == CL_CHECK_INVALID ? reason : NULL;
    return CL_OK;
}

static cl_status clean_name(cl_cleaner *c, int f, const char *s, size_t len,
                            cl_clean_record *rec)
{
    buffer *out = &c->field[f];
    buffer *tidy = f == CL_FIELD_FORENAMES ? &c->forenames_tidy : &c->surname_tidy;
    size_t cap = CL_NAME_OUT_CAP(len);
    if (reserve(out, cap) != 0 || reserve(tidy, cap) != 0)
        return CL_ENOMEM;
    const char *reason = NULL;
    cl_check k = cl_name_key(s, len, f == CL_FIELD_FORENAMES ? CL_NAME_FORENAMES : CL_NAME_SURNAME,
                             out->data, out->cap, &reason);
    out->len = k == CL_CHECK_VALID ? strlen(out->data) : 0;
    out->data[out->len] = '\0';
    rec->check[f] = k;
    rec->reason[f] = k == CL_CHECK_INVALID ? reason : NULL;
    const char *treason;
    if (cl_name_tidy(s, len, tidy->data, tidy->cap, &treason) != CL_CHECK_VALID)
        tidy->data[0] = '\0';
    return CL_OK;
}

cl_status cl_cleaner_record(cl_cleaner *c, const cl_csv_reader *r, cl_clean_record *rec,
                            cl_error *err)
{
    long line = cl_csv_line(r);
    if ((int)cl_csv_nfields(r) != c->binding.ncolumns)
        return cl_error_set(err, CL_EFORMAT, c->path, line,
                            "record has %zu fields but the header has %d", cl_csv_nfields(r),
                            c->binding.ncolumns);
    for (int f = 0; f < CL_FIELD_COUNT; f++) {
        const char *s;
        size_t len;
        c->field[f].len = 0;
        c->field[f].data[0] = '\0';
        rec->reason[f] = NULL;
        if (raw_value(c, r, f, &s, &len) != 0)
            return cl_error_set(err, CL_ENOMEM, c->path, line, "out of memory");
        cl_status st = CL_OK;
        switch (f) {
        case CL_FIELD_RECORD_ID:
            if (len == 0)
                return cl_error_set(err, CL_EFORMAT, c->path, line, "record has no record id");
            /* fall through */
        case CL_FIELD_LOCAL_ID:
        case CL_FIELD_ETHNICITY:
            if (append(&c->field[f], s, len) != 0)
                st = CL_ENOMEM;
            rec->check[f] = len ? CL_CHECK_VALID : CL_CHECK_MISSING;
            break;
        case CL_FIELD_FORENAMES:
        case CL_FIELD_SURNAME:
            st = clean_name(c, f, s, len, rec);
            break;
        case CL_FIELD_ADDRESS:
        case CL_FIELD_PLACE:
            st = clean_text(c, f, s, len, rec);
            break;
        default:
            st = clean_exact(c, f, s, len, rec);
            break;
        }
        if (st != CL_OK)
            return cl_error_set(err, CL_ENOMEM, c->path, line, "out of memory");
        rec->value[f] = c->field[f].data;
        rec->len[f] = c->field[f].len;
    }
    rec->forenames_original = c->forenames_tidy.data ? c->forenames_tidy.data : "";
    rec->surname_original = c->surname_tidy.data ? c->surname_tidy.data : "";
    return CL_OK;
}

void cl_clean_stats_add(cl_clean_stats *s, const cl_clean_record *rec)
{
    s->records++;
    for (int f = 0; f < CL_FIELD_COUNT; f++) {
        s->count[f][rec->check[f]]++;
        if (rec->check[f] != CL_CHECK_INVALID || rec->reason[f] == NULL)
            continue;
        int i = 0;
        while (i < CL_CLEAN_MAX_REASONS && s->reason[f][i] != NULL &&
               strcmp(s->reason[f][i], rec->reason[f]) != 0)
            i++;
        if (i == CL_CLEAN_MAX_REASONS)
            i = CL_CLEAN_MAX_REASONS - 1;   /* fold the rare tail into the last slot */
        if (s->reason[f][i] == NULL)
            s->reason[f][i] = rec->reason[f];
        s->reason_count[f][i]++;
    }
}

/* The status columns, in output order. */
static const int status_fields[] = {
    CL_FIELD_NHS_NUMBER, CL_FIELD_UPN, CL_FIELD_FORENAMES, CL_FIELD_SURNAME,
    CL_FIELD_DOB, CL_FIELD_SEX, CL_FIELD_POSTCODE,
};
#define N_STATUS (sizeof status_fields / sizeof status_fields[0])

static void write_header(cl_csv_writer *w)
{
    for (int f = 0; f < CL_FIELD_COUNT; f++)
        cl_csv_write_str(w, cl_field_name((cl_field)f));
    cl_csv_write_str(w, "forenames_original");
    cl_csv_write_str(w, "surname_original");
    for (size_t i = 0; i < N_STATUS; i++)
        cl_csv_write_fmt(w, "%s_status", cl_field_name((cl_field)status_fields[i]));
    cl_csv_end_row(w);
}

static void write_record(cl_csv_writer *w, const cl_clean_record *rec)
{
    for (int f = 0; f < CL_FIELD_COUNT; f++)
        cl_csv_write_field(w, rec->value[f], rec->len[f]);
    cl_csv_write_str(w, rec->forenames_original);
    cl_csv_write_str(w, rec->surname_original);
    char status[64];
    for (size_t i = 0; i < N_STATUS; i++) {
        int f = status_fields[i];
        switch (rec->check[f]) {
        case CL_CHECK_VALID:
            cl_csv_write_str(w, rec->reason[f] ? rec->reason[f] : "valid");
            break;
        case CL_CHECK_MISSING:
            cl_csv_write_str(w, "missing");
            break;
        case CL_CHECK_INVALID:
            snprintf(status, sizeof status, "invalid:%s", rec->reason[f] ? rec->reason[f] : "?");
            cl_csv_write_str(w, status);
            break;
        }
    }
    cl_csv_end_row(w);
}

static void write_reject(cl_csv_writer *w, const cl_csv_reader *r, const char *problem)
{
    cl_csv_write_fmt(w, "%ld", cl_csv_line(r));
    cl_csv_write_str(w, problem);
    for (size_t i = 0; i < cl_csv_nfields(r); i++) {
        size_t n;
        const char *v = cl_csv_field(r, i, &n);
        cl_csv_write_field(w, v, n);
    }
    cl_csv_end_row(w);
}

cl_status cl_clean_file(const char *in_path, const cl_schema *schema, const char *out_path,
                        const char *rejects_path, cl_clean_stats *stats,
                        void (*progress)(long records), cl_error *err)
{
    cl_csv_reader *r = NULL;
    cl_cleaner *c = NULL;
    cl_outfile *out = NULL, *rej = NULL;
    cl_csv_writer *w = NULL, *rw = NULL;
    cl_strmap *seen = NULL;
    memset(stats, 0, sizeof *stats);
    cl_status st = cl_csv_open(&r, in_path, 0, err);
    if (st != CL_OK)
        goto done;
    st = cl_csv_next(r, err);
    if (st == CL_END) {
        st = cl_error_set(err, CL_EFORMAT, in_path, 0, "file is empty (no header line)");
        goto done;
    }
    if (st != CL_OK || (st = cl_cleaner_new(&c, schema, r, err)) != CL_OK)
        goto done;
    for (int f = 0; f < CL_FIELD_COUNT; f++)
        stats->present[f] = c->binding.field_ncolumns[f] > 0;
    if ((st = cl_outfile_open(&out, out_path, 0, err)) != CL_OK)
        goto done;
    if (rejects_path && (st = cl_outfile_open(&rej, rejects_path, 0, err)) != CL_OK)
        goto done;
    seen = cl_strmap_new();
    struct stat sb;
    /* Size the id set from the file once (about one record per 40 bytes), so
     * it is not rehashed again and again as it fills. */
    if (seen && strcmp(in_path, "-") != 0 && stat(in_path, &sb) == 0 && sb.st_size > 0 &&
        cl_strmap_reserve(seen, (size_t)sb.st_size / 40) != 0) {
        st = cl_error_set(err, CL_ENOMEM, in_path, 0, "out of memory");
        goto done;
    }
    w = cl_csv_writer_new(cl_outfile_stream(out));
    rw = rej ? cl_csv_writer_new(cl_outfile_stream(rej)) : NULL;
    if (seen == NULL || w == NULL || (rej && rw == NULL)) {
        st = cl_error_set(err, CL_ENOMEM, in_path, 0, "out of memory");
        goto done;
    }
    write_header(w);
    if (rw) {
        cl_csv_write_str(rw, "line");
        cl_csv_write_str(rw, "problem");
        cl_csv_write_str(rw, "fields");
        cl_csv_end_row(rw);
    }
    while ((st = cl_csv_next(r, err)) == CL_OK) {
        cl_clean_record rec;
        st = cl_cleaner_record(c, r, &rec, err);
        if (st == CL_OK) {
            int64_t first_line;
            int fresh = cl_strmap_put(seen, rec.value[CL_FIELD_RECORD_ID],
                                      rec.len[CL_FIELD_RECORD_ID], cl_csv_line(r), &first_line);
            if (fresh < 0) {
                st = cl_error_set(err, CL_ENOMEM, in_path, cl_csv_line(r), "out of memory");
                goto done;
            }
            if (fresh == 0)
                st = cl_error_set(err, CL_EFORMAT, in_path, cl_csv_line(r),
                                  "duplicate record id '%s' (first on line %lld)",
                                  rec.value[CL_FIELD_RECORD_ID], (long long)first_line);
        }
        if (st == CL_EFORMAT && rw) {
            write_reject(rw, r, err->message);
            stats->rejected++;
            cl_error_clear(err);
            continue;
        }
        if (st != CL_OK)
            goto done;
        cl_clean_stats_add(stats, &rec);
        write_record(w, &rec);
        if (progress && stats->records % 1000000 == 0)
            progress(stats->records);
    }
    if (st != CL_END)
        goto done;
    if (stats->records == 0 && stats->rejected == 0) {
        st = cl_error_set(err, CL_EFORMAT, in_path, 0, "file has a header but no records");
        goto done;
    }
    if (cl_csv_writer_flush(w) != CL_OK || (rw && cl_csv_writer_flush(rw) != CL_OK)) {
        st = cl_error_set(err, CL_EIO, out_path, 0, "error writing output");
        goto done;
    }
    st = cl_outfile_commit(out, err);
    out = NULL;
    if (st == CL_OK && rej) {
        st = cl_outfile_commit(rej, err);
        rej = NULL;
    }
done:
    cl_csv_writer_free(w);
    cl_csv_writer_free(rw);
    cl_outfile_abort(out);
    cl_outfile_abort(rej);
    cl_strmap_free(seen);
    cl_cleaner_free(c);
    cl_csv_close(r);
    return st;
}
