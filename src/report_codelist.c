/*
 * report_codelist.c - clinical code lists in the format ECHILD publishes
 * (code,dataset,field,code_type,description[,group,...],flag), reduced to
 * what the linked database can match: ICD-10 diagnoses in any diagnosis
 * column of hes_apc, and HES admission methods.
 *
 * Why a reduction and not the whole format: ECHILD lists also hold OPCS-4
 * procedure codes, birth weight and gestation criteria, and flags such as
 * "age10" or "los3" that qualify a code.  The database holds none of the
 * fields those rows need, so they are counted as unused (the report says how
 * many) rather than refused, so that the published lists work unchanged; a
 * malformed row of a kind the report does use is an error naming file and
 * line.  Flags are not applied (docs/report.md).
 *
 * Matching follows HES's own coding: diagnoses are 4 characters without a
 * dot, with X filling a 3-character code (J459, J46X); a list's 3-character
 * code covers every 4-character child, a 4-character code ("J45.9") only
 * itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/csv.h"
#include "childlink/utf8.h"
#include "report_internal.h"

/* The built-in lists, as rows of ECHILD's files: asthma from
 * asthma_lut_v1.csv, Down's syndrome (Q90) from chc_hardelid_v1.csv, and the
 * admission methods of emergency_admissions_v1.csv. */
static const struct builtin {
    const char *name;
    const char *origin;
    const char *text;
} builtins[] = {
    {"asthma", "built-in (ECHILD asthma_lut_v1: J45, J46)",
     "code,dataset,field,code_type,description,flag\n"
     "J45,hes_apc,diag,icd10,asthma,exclusion_codes\n"
     "J46,hes_apc,diag,icd10,status asthmaticus,exclusion_codes\n"},
    {"downs_syndrome", "built-in (ECHILD chc_hardelid_v1: Q90)",
     "code,dataset,field,code_type,description,flag\n"
     "Q90,hes_apc,diag,icd10,down syndrome,\n"},
    {"emergency_admission", "built-in (ECHILD emergency_admissions_v1: ADMIMETH 21-2D)",
     "code,dataset,field,code_type,description,flag\n"
     "21,hes_apc,admimeth,admimeth,emergency care department,\n"
     "22,hes_apc,admimeth,admimeth,general practitioner,\n"
     "23,hes_apc,admimeth,admimeth,bed bureau,\n"
     "24,hes_apc,admimeth,admimeth,consultant clinic,\n"
     "25,hes_apc,admimeth,admimeth,mental health crisis resolution team,\n"
     "2A,hes_apc,admimeth,admimeth,emergency care department of another provider,\n"
     "2B,hes_apc,admimeth,admimeth,transfer from another hospital provider,transfer\n"
     "2C,hes_apc,admimeth,admimeth,baby born at home as intended,\n"
     "2D,hes_apc,admimeth,admimeth,other emergency admission,\n"
     "28,hes_apc,admimeth,admimeth,other means,\n"},
};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

size_t rp_codelist_builtin_count(void)
{
    return N_BUILTINS;
}

int rp_codelist_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > RP_CODELIST_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
            return 0;
    return 1;
}

void rp_codelist_free(rp_codelist *l)
{
    if (l == NULL)
        return;
    cl_free(l->diag);
    cl_free(l->admimeth);
    memset(l, 0, sizeof *l);
}

/* Upper-case `s` without surrounding spaces (and without dots unless
 * `keep_dot`) into `out` (size bytes); returns the length, or size when it
 * does not fit.  Spaces inside are kept, so "J4 5" stays no code. */
static size_t normalise(const char *s, char *out, size_t size, int keep_dot)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t end = strlen(s);
    while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    size_t n = 0;
    for (size_t i = 0; i < end; i++) {
        if (s[i] == '.' && !keep_dot)
            continue;
        if (n + 1 >= size)
            return size;
        out[n++] = (char)toupper((unsigned char)s[i]);
    }
    out[n] = '\0';
    return n;
}

/* ICD-10 as lists write it: letter, two digits, then optionally a fourth
 * character (digit or X) with or without a dot. */
static int icd10_ok(const char *code, char out[5])
{
    char s[16];
    size_t n = normalise(code, s, sizeof s, 1);
    if (n < 3 || n >= sizeof s)
        return 0;
    if (!isupper((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]))
        return 0;
    const char *rest = s + 3;
    if (*rest == '.')
        rest++;
    if (*rest == '\0' && rest == s + 3) {
        memcpy(out, s, 3);
        out[3] = '\0';
        return 1;
    }
    if ((isdigit((unsigned char)rest[0]) || rest[0] == 'X') && rest[1] == '\0') {
        memcpy(out, s, 3);
        out[3] = rest[0];
        out[4] = '\0';
        return 1;
    }
    return 0;
}

static int cmp5(const void *a, const void *b) { return strcmp(a, b); }
static int cmp3(const void *a, const void *b) { return strcmp(a, b); }

/* Column positions found in the header. */
typedef struct header {
    long code, dataset, field, code_type;
    size_t nfields;
} header;

static int header_is(const char *have, const char *want)
{
    char s[64];
    size_t n = normalise(have, s, sizeof s, 1);
    if (n >= sizeof s)
        return 0;
    for (size_t i = 0; s[i]; i++)
        s[i] = (char)tolower((unsigned char)s[i]);
    return strcmp(s, want) == 0;
}

static cl_status read_list(rp_codelist *l, cl_csv_reader *r, const char *origin, cl_error *err)
{
    cl_status st = cl_csv_next(r, err);
    if (st == CL_END)
        return cl_error_set(err, CL_EFORMAT, origin, 1, "empty code list (no header)");
    if (st != CL_OK)
        return st;
    header h = {-1, -1, -1, -1, cl_csv_nfields(r)};
    for (size_t i = 0; i < h.nfields; i++) {
        const char *f = cl_csv_field(r, i, NULL);
        if (header_is(f, "code") && h.code < 0) h.code = (long)i;
        else if (header_is(f, "dataset") && h.dataset < 0) h.dataset = (long)i;
        else if (header_is(f, "field") && h.field < 0) h.field = (long)i;
        else if (header_is(f, "code_type") && h.code_type < 0) h.code_type = (long)i;
    }
    if (h.code < 0 || h.dataset < 0 || h.field < 0 || h.code_type < 0)
        return cl_error_set(err, CL_EFORMAT, origin, cl_csv_line(r),
                            "not a code list in ECHILD's format: the header needs code, "
                            "dataset, field and code_type");
    size_t cap_d = 0, cap_a = 0;
    while ((st = cl_csv_next(r, err)) == CL_OK) {
        long line = cl_csv_line(r);
        if (cl_csv_nfields(r) != h.nfields)
            return cl_error_set(err, CL_EFORMAT, origin, line, "%zu fields, header has %zu",
                                cl_csv_nfields(r), h.nfields);
        l->rows++;
        const char *code = cl_csv_field(r, (size_t)h.code, NULL);
        char dataset[32], field[32], type[32];
        normalise(cl_csv_field(r, (size_t)h.dataset, NULL), dataset, sizeof dataset, 1);
        normalise(cl_csv_field(r, (size_t)h.field, NULL), field, sizeof field, 1);
        normalise(cl_csv_field(r, (size_t)h.code_type, NULL), type, sizeof type, 1);
        char probe[8];
        if (normalise(code, probe, sizeof probe, 1) == 0)
            return cl_error_set(err, CL_EFORMAT, origin, line, "empty code");
        if (strcmp(dataset, "HES_APC") != 0) {
            l->rows_unused++;
            continue;
        }
        if (strcmp(field, "DIAG") == 0 && strcmp(type, "ICD10") == 0) {
            char c5[5];
            if (!icd10_ok(code, c5))
                return cl_error_set(err, CL_EFORMAT, origin, line,
                                    "code '%s' is not an ICD-10 code (a letter, two digits, "
                                    "and optionally a dot and a fourth digit or X)", code);
            if (l->ndiag == cap_d) {
                cap_d = cap_d ? cap_d * 2 : 16;
                char (*p)[5] = cl_realloc(l->diag, cap_d * sizeof *p);
                if (p == NULL)
                    return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
                l->diag = p;
            }
            memcpy(l->diag[l->ndiag++], c5, 5);
        } else if (strcmp(field, "ADMIMETH") == 0) {
            char c[8];
            size_t n = normalise(code, c, sizeof c, 1);
            if (strcmp(type, "ADMIMETH") != 0)
                return cl_error_set(err, CL_EFORMAT, origin, line,
                                    "field admimeth needs code_type admimeth, not '%s'", type);
            if (n != 2 || !isalnum((unsigned char)c[0]) || !isalnum((unsigned char)c[1]))
                return cl_error_set(err, CL_EFORMAT, origin, line,
                                    "admission method '%s' is not two letters or digits", code);
            if (l->nadmimeth == cap_a) {
                cap_a = cap_a ? cap_a * 2 : 16;
                char (*p)[3] = cl_realloc(l->admimeth, cap_a * sizeof *p);
                if (p == NULL)
                    return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
                l->admimeth = p;
            }
            memcpy(l->admimeth[l->nadmimeth++], c, 3);
        } else if (strcmp(field, "DIAG") == 0 && strcmp(type, "OPCS4") != 0) {
            return cl_error_set(err, CL_EFORMAT, origin, line,
                                "field diag needs code_type icd10 (or opcs4, not used), not '%s'",
                                type);
        } else {
            /* Procedures, birth weight, gestation: not in the database. */
            l->rows_unused++;
        }
    }
    if (st != CL_END)
        return st;
    if (l->ndiag == 0 && l->nadmimeth == 0)
        return cl_error_set(err, CL_EFORMAT, origin, 0,
                            "no code the database can match (needs hes_apc rows with field "
                            "diag and code_type icd10, or field admimeth)");
    /* Sort and drop duplicates so that matching is a binary search. */
    if (l->ndiag) {
        qsort(l->diag, l->ndiag, sizeof *l->diag, cmp5);
        size_t k = 1;
        for (size_t i = 1; i < l->ndiag; i++)
            if (strcmp(l->diag[i], l->diag[k - 1]) != 0)
                memcpy(l->diag[k++], l->diag[i], 5);
        l->ndiag = k;
    }
    if (l->nadmimeth) {
        qsort(l->admimeth, l->nadmimeth, sizeof *l->admimeth, cmp3);
        size_t k = 1;
        for (size_t i = 1; i < l->nadmimeth; i++)
            if (strcmp(l->admimeth[i], l->admimeth[k - 1]) != 0)
                memcpy(l->admimeth[k++], l->admimeth[i], 3);
        l->nadmimeth = k;
    }
    return CL_OK;
}

static cl_status start(rp_codelist *out, const char *name, const char *origin, cl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rp_codelist_name_ok(name))
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "code list name '%s' must be 1 to %d letters, digits, '_' or '-'",
                            name ? name : "", RP_CODELIST_NAME_MAX);
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->origin, sizeof out->origin, "%s", origin);
    return CL_OK;
}

/* Largest code list read (the published ones are under 200 KiB). */
#define MAX_LIST_BYTES (64u << 20)

/* The file's bytes as UTF-8 text, into a new buffer (cl_free).  A file that
 * is not UTF-8 is read as Latin-1, every byte its own character: one of the
 * published ECHILD lists (neurodis_zylb_v1.csv) has a description in an
 * 8-bit encoding, and descriptions are never matched, so this loses nothing
 * and keeps the published lists usable unchanged. */
static cl_status read_text(const char *path, char **out, int *transcoded, cl_error *err)
{
    *out = NULL;
    *transcoded = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cl_error_set(err, CL_EIO, path, 0, "cannot open: %s", strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = cl_malloc(cap);
    cl_status st = CL_OK;
    while (buf != NULL) {
        if (len == cap) {
            if (cap >= MAX_LIST_BYTES) {
                st = cl_error_set(err, CL_ELIMIT, path, 0, "code list larger than %u MiB",
                                  MAX_LIST_BYTES >> 20);
                break;
            }
            char *p = cl_realloc(buf, cap * 2);
            if (p == NULL) {
                cl_free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (buf == NULL)
        st = cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
    else if (st == CL_OK && ferror(f))
        st = cl_error_set(err, CL_EIO, path, 0, "cannot read: %s", strerror(errno));
    fclose(f);
    if (st != CL_OK) {
        cl_free(buf);
        return st;
    }
    if (memchr(buf, '\0', len) != NULL) {
        /* The text is handed on NUL-terminated: a NUL would cut it short. */
        cl_free(buf);
        return cl_error_set(err, CL_EFORMAT, path, 0, "holds a NUL byte: not a CSV file");
    }
    int ascii;
    char *text;
    if (cl_utf8_valid_prefix(buf, len, &ascii) == len) {
        text = cl_realloc(buf, len + 1);
        if (text == NULL) {
            cl_free(buf);
            return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
        }
        text[len] = '\0';
    } else {
        text = cl_malloc(2 * len + 1);
        if (text == NULL) {
            cl_free(buf);
            return cl_error_set(err, CL_ENOMEM, path, 0, "out of memory");
        }
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char b = (unsigned char)buf[i];
            if (b < 0x80) {
                text[n++] = (char)b;
            } else {
                text[n++] = (char)(0xC0 | (b >> 6));
                text[n++] = (char)(0x80 | (b & 0x3F));
            }
        }
        text[n] = '\0';
        cl_free(buf);
        *transcoded = 1;
    }
    *out = text;
    return CL_OK;
}

cl_status rp_codelist_load(rp_codelist *out, const char *name, const char *path, cl_error *err)
{
    cl_status st = start(out, name, path, err);
    if (st != CL_OK)
        return st;
    char *text;
    int transcoded;
    if ((st = read_text(path, &text, &transcoded, err)) != CL_OK)
        return st;
    st = rp_codelist_parse(out, name, path, text, err);
    cl_free(text);
    if (st == CL_OK)
        out->latin1 = transcoded;
    return st;
}

cl_status rp_codelist_parse(rp_codelist *out, const char *name, const char *origin,
                            const char *text, cl_error *err)
{
    cl_status st = start(out, name, origin, err);
    if (st != CL_OK)
        return st;
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    if (fp == NULL)
        return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
    cl_csv_reader *r = NULL;
    if ((st = cl_csv_from_stream(&r, fp, origin, 0, err)) == CL_OK)
        st = read_list(out, r, origin, err);
    cl_csv_close(r);
    fclose(fp);
    if (st != CL_OK)
        rp_codelist_free(out);
    return st;
}

cl_status rp_codelist_builtin(size_t i, rp_codelist *out, cl_error *err)
{
    if (i >= N_BUILTINS)
        return cl_error_set(err, CL_EINVAL, NULL, 0, "no built-in code list %zu", i);
    cl_status st = rp_codelist_parse(out, builtins[i].name, builtins[i].origin,
                                     builtins[i].text, err);
    if (st == CL_OK)
        out->builtin = 1;
    return st;
}

int rp_codelist_match_diag(const rp_codelist *l, const char *code)
{
    if (l->ndiag == 0 || code == NULL)
        return 0;
    char s[16];
    size_t n = normalise(code, s, sizeof s, 0);
    if (n < 3 || n >= sizeof s)
        return 0;
    char key[5];
    memcpy(key, s, 3);
    key[3] = '\0';
    if (bsearch(key, l->diag, l->ndiag, sizeof *l->diag, cmp5))
        return 1;
    if (n >= 4) {
        key[3] = s[3];
        key[4] = '\0';
        if (bsearch(key, l->diag, l->ndiag, sizeof *l->diag, cmp5))
            return 1;
    }
    return 0;
}

int rp_codelist_match_admimeth(const rp_codelist *l, const char *code)
{
    if (l->nadmimeth == 0 || code == NULL)
        return 0;
    char s[8];
    if (normalise(code, s, sizeof s, 1) != 2)
        return 0;
    return bsearch(s, l->admimeth, l->nadmimeth, sizeof *l->admimeth, cmp3) != NULL;
}
