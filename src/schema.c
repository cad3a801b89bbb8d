/*
 * schema.c - source schemas: load, validate, bind to a header (see schema.h).
 *
 * Schemas are small and loaded once, so this file favours clear error
 * messages over speed: every problem names the key that is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "childlink/schema.h"

/* Generated from the files in schemas/ by tools/embed-schemas.sh. */
extern const char *const cl_builtin_schema_texts[][2];

#define MAX_SEX_CODES 32
#define MAX_IDENTIFYING 64

struct cl_schema {
    char source[64];
    char *columns[CL_FIELD_COUNT][CL_SCHEMA_MAX_COLUMNS];
    int ncolumns[CL_FIELD_COUNT];
    int optional[CL_FIELD_COUNT];
    cl_date_options dob;
    char *sex_raw[MAX_SEX_CODES];
    char sex_code[MAX_SEX_CODES][2];
    int nsex;
    char *identifying[MAX_IDENTIFYING];
    int nidentifying;
    int postcode_any;
};

static const char *const field_names[CL_FIELD_COUNT] = {
    "record_id", "nhs_number", "upn", "local_id", "forenames",
    "surname", "dob", "sex", "postcode", "ethnicity", "address", "place", "other_id",
};

const char *cl_field_name(cl_field f)
{
    return (unsigned)f < CL_FIELD_COUNT ? field_names[f] : "?";
}

int cl_field_from_name(const char *name)
{
    for (int i = 0; i < CL_FIELD_COUNT; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return -1;
}

const char *cl_schema_source(const cl_schema *s) { return s->source; }
const cl_date_options *cl_schema_dob_options(const cl_schema *s) { return &s->dob; }
int cl_schema_postcode_any(const cl_schema *s) { return s->postcode_any; }

const char *const *cl_schema_builtin_names(void)
{
    static const char *names[64];
    if (names[0] == NULL) {
        int n = 0;
        for (int i = 0; cl_builtin_schema_texts[i][0] != NULL && n < 63; i++)
            names[n++] = cl_builtin_schema_texts[i][0];
        names[n] = NULL;
    }
    return names;
}

void cl_schema_free(cl_schema *s)
{
    if (s == NULL)
        return;
    for (int f = 0; f < CL_FIELD_COUNT; f++)
        for (int k = 0; k < s->ncolumns[f]; k++)
            cl_free(s->columns[f][k]);
    for (int i = 0; i < s->nsex; i++)
        cl_free(s->sex_raw[i]);
    for (int i = 0; i < s->nidentifying; i++)
        cl_free(s->identifying[i]);
    cl_free(s);
}

static cl_status bad(cl_error *err, const char *origin, const char *fmt, const char *what)
{
    return cl_error_set(err, CL_EFORMAT, origin, 0, fmt, what);
}

static char *dup_str(const char *s)
{
    return cl_strndup(s, strlen(s));
}

static cl_status parse_fields(cl_schema *s, json_t *fields, const char *origin, cl_error *err)
{
    if (!json_is_object(fields))
        return bad(err, origin, "schema: \"fields\" must be an object%s", "");
    const char *key;
    json_t *val;
    json_object_foreach(fields, key, val) {
        int f = cl_field_from_name(key);
        if (f < 0)
            return bad(err, origin,
                       "schema: unknown canonical field \"%s\" in \"fields\" (see docs/formats.md)",
                       key);
        json_t *one;
        size_t i;
        if (json_is_string(val)) {
            if ((s->columns[f][0] = dup_str(json_string_value(val))) == NULL)
                return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
            s->ncolumns[f] = 1;
        } else if (json_is_array(val) && json_array_size(val) >= 1 &&
                   json_array_size(val) <= CL_SCHEMA_MAX_COLUMNS) {
            json_array_foreach(val, i, one) {
                if (!json_is_string(one))
                    return bad(err, origin, "schema: field \"%s\" must list column names", key);
                if ((s->columns[f][i] = dup_str(json_string_value(one))) == NULL)
                    return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
                s->ncolumns[f]++;
            }
        } else {
            return bad(err, origin,
                       "schema: field \"%s\" must be a column name or a list of 1 to 4 names",
                       key);
        }
        for (int k = 0; k < s->ncolumns[f]; k++)
            if (s->columns[f][k][0] == '\0')
                return bad(err, origin, "schema: field \"%s\" names an empty column", key);
    }
    if (s->ncolumns[CL_FIELD_RECORD_ID] == 0)
        return bad(err, origin, "schema: \"fields\" must map \"record_id\"%s", "");
    return CL_OK;
}

static cl_status parse_dob(cl_schema *s, json_t *root, const char *origin, cl_error *err)
{
    json_t *fmt = json_object_get(root, "dob_format");
    s->dob.format = CL_DATE_AUTO;
    s->dob.today = cl_date_today();   /* once, so a run is consistent across midnight */
    if (fmt != NULL) {
        static const struct { const char *name; cl_date_format format; } formats[] = {
            {"auto", CL_DATE_AUTO}, {"iso", CL_DATE_ISO}, {"dmy", CL_DATE_DMY},
            {"mdy", CL_DATE_MDY}, {"yyyymmdd", CL_DATE_YYYYMMDD},
        };
        const char *name = json_string_value(fmt);
        int found = 0;
        for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
            if (strcmp(formats[i].name, name) == 0) {
                s->dob.format = formats[i].format;
                found = 1;
            }
        if (!found)
            return bad(err, origin,
                       "schema: \"dob_format\" must be one of auto, iso, dmy, mdy, yyyymmdd%s", "");
    }
    json_t *pivot = json_object_get(root, "dob_pivot_year");
    if (pivot != NULL && !json_is_null(pivot)) {
        if (!json_is_integer(pivot) || json_integer_value(pivot) < 1900 ||
            json_integer_value(pivot) > 2200)
            return bad(err, origin, "schema: \"dob_pivot_year\" must be a year (1900-2200)%s", "");
        s->dob.pivot_year = (int)json_integer_value(pivot);
    }
    return CL_OK;
}

static cl_status parse_lists(cl_schema *s, json_t *root, const char *origin, cl_error *err)
{
    json_t *codes = json_object_get(root, "sex_codes");
    if (codes != NULL) {
        const char *key;
        json_t *val;
        if (!json_is_object(codes))
            return bad(err, origin, "schema: \"sex_codes\" must be an object%s", "");
        json_object_foreach(codes, key, val) {
            const char *c = json_string_value(val);
            if (c == NULL || strlen(c) != 1 || strchr("MFIU", c[0]) == NULL)
                return bad(err, origin, "schema: sex code \"%s\" must map to M, F, I or U", key);
            if (s->nsex == MAX_SEX_CODES)
                return bad(err, origin, "schema: too many sex codes%s", "");
            if ((s->sex_raw[s->nsex] = dup_str(key)) == NULL)
                return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
            s->sex_code[s->nsex][0] = c[0];
            s->nsex++;
        }
    }
    json_t *ident = json_object_get(root, "identifying");
    if (ident != NULL) {
        size_t i;
        json_t *one;
        if (!json_is_array(ident))
            return bad(err, origin, "schema: \"identifying\" must be a list of column names%s", "");
        json_array_foreach(ident, i, one) {
            if (!json_is_string(one))
                return bad(err, origin, "schema: \"identifying\" must list column names%s", "");
            if (s->nidentifying == MAX_IDENTIFYING)
                return bad(err, origin, "schema: too many \"identifying\" columns%s", "");
            if ((s->identifying[s->nidentifying++] = dup_str(json_string_value(one))) == NULL)
                return cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
        }
    }
    json_t *opt = json_object_get(root, "optional_fields");
    if (opt != NULL) {
        size_t i;
        json_t *one;
        if (!json_is_array(opt))
            return bad(err, origin, "schema: \"optional_fields\" must be a list%s", "");
        json_array_foreach(opt, i, one) {
            int f = json_is_string(one) ? cl_field_from_name(json_string_value(one)) : -1;
            if (f < 0)
                return bad(err, origin, "schema: \"optional_fields\" lists an unknown field%s", "");
            if (f == CL_FIELD_RECORD_ID)
                return bad(err, origin, "schema: record_id cannot be optional%s", "");
            s->optional[f] = 1;
        }
    }
    return CL_OK;
}

cl_status cl_schema_parse(cl_schema **out, const char *text, const char *origin, cl_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return cl_error_set(err, CL_EFORMAT, origin, jerr.line, "schema is not valid JSON: %s",
                            jerr.text);
    cl_status st = CL_OK;
    cl_schema *s = cl_calloc(1, sizeof *s);
    if (s == NULL) {
        st = cl_error_set(err, CL_ENOMEM, origin, 0, "out of memory");
        goto done;
    }
    if (!json_is_object(root)) {
        st = bad(err, origin, "schema must be a JSON object%s", "");
        goto done;
    }
    json_t *tag = json_object_get(root, "schema");
    if (!json_is_string(tag) || strcmp(json_string_value(tag), "childlink-schema/1") != 0) {
        st = bad(err, origin, "schema: \"schema\" must be \"childlink-schema/1\"%s", "");
        goto done;
    }
    static const char *const known[] = {"schema", "source", "fields", "dob_format",
                                        "dob_pivot_year", "sex_codes", "identifying",
                                        "optional_fields", "payload_dates", "description",
                                        "postcode_format"};
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], key) != 0)
            i++;
        if (i == sizeof known / sizeof known[0]) {
            st = bad(err, origin, "schema: unknown key \"%s\"", key);
            goto done;
        }
    }
    json_t *source = json_object_get(root, "source");
    if (source != NULL) {
        const char *src = json_string_value(source);
        if (src == NULL || strlen(src) >= sizeof s->source ||
            strspn(src, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(src)) {
            st = bad(err, origin,
                     "schema: \"source\" must be a short name of a-z, 0-9 and _%s", "");
            goto done;
        }
        strcpy(s->source, src);
    }
    if ((st = parse_fields(s, json_object_get(root, "fields"), origin, err)) != CL_OK ||
        (st = parse_dob(s, root, origin, err)) != CL_OK ||
        (st = parse_lists(s, root, origin, err)) != CL_OK)
        goto done;
    json_t *pcf = json_object_get(root, "postcode_format");
    if (pcf != NULL) {
        const char *f = json_string_value(pcf);
        if (f == NULL || (strcmp(f, "uk") != 0 && strcmp(f, "any") != 0)) {
            st = bad(err, origin, "schema: \"postcode_format\" must be \"uk\" or \"any\"%s", "");
            goto done;
        }
        s->postcode_any = strcmp(f, "any") == 0;
    }
done:
    json_decref(root);
    if (st != CL_OK)
        cl_schema_free(s);
    else
        *out = s;
    return st;
}

cl_status cl_schema_load(cl_schema **out, const char *name_or_path, cl_error *err)
{
    *out = NULL;
    size_t n = strlen(name_or_path);
    int is_path = strchr(name_or_path, '/') != NULL ||
                  (n > 5 && strcmp(name_or_path + n - 5, ".json") == 0);
    if (!is_path) {
        for (int i = 0; cl_builtin_schema_texts[i][0] != NULL; i++)
            if (strcmp(cl_builtin_schema_texts[i][0], name_or_path) == 0)
                return cl_schema_parse(out, cl_builtin_schema_texts[i][1], name_or_path, err);
        return cl_error_set(err, CL_EINVAL, NULL, 0,
                            "unknown schema '%s': give a built-in name (see 'childlink help "
                            "clean') or a path to a .json file", name_or_path);
    }
    FILE *f = fopen(name_or_path, "rb");
    if (f == NULL)
        return cl_error_set(err, CL_EIO, name_or_path, 0, "cannot open schema: %s",
                            strerror(errno));
    char buf[1 << 16];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    int too_big = !feof(f);
    fclose(f);
    if (too_big)
        return cl_error_set(err, CL_ELIMIT, name_or_path, 0, "schema file is larger than 64 KiB");
    buf[got] = '\0';
    return cl_schema_parse(out, buf, name_or_path, err);
}

void cl_schema_binding_free(cl_schema_binding *b)
{
    if (b == NULL)
        return;
    if (b->column_names)
        for (int i = 0; i < b->ncolumns; i++)
            cl_free(b->column_names[i]);
    cl_free(b->column_names);
    cl_free(b->column_role);
    memset(b, 0, sizeof *b);
}

cl_status cl_schema_bind(const cl_schema *s, const cl_csv_reader *r, cl_schema_binding *b,
                         cl_error *err)
{
    memset(b, 0, sizeof *b);
    const char *path = cl_csv_path(r);
    long line = cl_csv_line(r);
    int n = (int)cl_csv_nfields(r);
    b->ncolumns = n;
    b->column_role = cl_calloc((size_t)n, 1);
    b->column_names = cl_calloc((size_t)n, sizeof *b->column_names);
    if (b->column_role == NULL || b->column_names == NULL) {
        cl_schema_binding_free(b);
        return cl_error_set(err, CL_ENOMEM, path, line, "out of memory");
    }
    cl_status st = CL_OK;
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *name = cl_csv_field(r, (size_t)i, &len);
        /* "a, b, c" headers (FEBRL's) name columns without the spaces. */
        while (len > 0 && name[0] == ' ')
            name++, len--;
        while (len > 0 && name[len - 1] == ' ')
            len--;
        if (len == 0) {
            st = cl_error_set(err, CL_EFORMAT, path, line, "header column %d has no name", i + 1);
            goto fail;
        }
        for (int j = 0; j < i; j++)
            if (strlen(b->column_names[j]) == len && memcmp(b->column_names[j], name, len) == 0) {
                st = cl_error_set(err, CL_EFORMAT, path, line,
                                  "duplicate column name '%s' (columns %d and %d)", b->column_names[j], j + 1,
                                  i + 1);
                goto fail;
            }
        if ((b->column_names[i] = cl_strndup(name, len)) == NULL) {
            st = cl_error_set(err, CL_ENOMEM, path, line, "out of memory");
            goto fail;
        }
        for (int k = 0; k < s->nidentifying; k++)
            if (strcmp(s->identifying[k], b->column_names[i]) == 0)
                b->column_role[i] = CL_COLUMN_IDENTIFYING;
    }
    for (int f = 0; f < CL_FIELD_COUNT; f++) {
        for (int k = 0; k < s->ncolumns[f]; k++) {
            int found = -1;
            for (int i = 0; i < n && found < 0; i++)
                if (strcmp(b->column_names[i], s->columns[f][k]) == 0)
                    found = i;
            if (found < 0) {
                if (s->optional[f])
                    continue;
                st = cl_error_set(err, CL_EFORMAT, path, line,
                                  "missing column '%s' (the schema maps it to %s)",
                                  s->columns[f][k], field_names[f]);
                goto fail;
            }
            b->field_columns[f][b->field_ncolumns[f]++] = found;
            b->column_role[found] = CL_COLUMN_IDENTIFIER;
        }
        for (int k = b->field_ncolumns[f]; k < CL_SCHEMA_MAX_COLUMNS; k++)
            b->field_columns[f][k] = -1;
    }
    return CL_OK;
fail:
    cl_schema_binding_free(b);
    return st;
}

const char *cl_schema_sex_code(const cl_schema *s, const char *raw, size_t len)
{
    for (int i = 0; i < s->nsex; i++)
        if (strlen(s->sex_raw[i]) == len && memcmp(s->sex_raw[i], raw, len) == 0)
            return s->sex_code[i];
    return NULL;
}
