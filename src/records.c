/*
 * records.c - load identifier files into the columnar record store
 * (see records.h).
 *
 * Every input row goes through the cleaner, so standard forms are guaranteed
 * whatever produced the file.  Strings are interned in one table shared by
 * all fields: id 0 is the empty string.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "childlink/clean.h"
#include "childlink/csv.h"
#include "childlink/date.h"
#include "childlink/encode.h"
#include "childlink/phonetic.h"
#include "childlink/records.h"
#include "childlink/schema.h"
#include "childlink/strmap.h"


/* Interned strings: the map owns the text; ids index text[] and len[]. */
struct cl_strtab {
    cl_strmap *ids;
    const char **text;
    uint32_t *len;
    size_t n, cap;
};

static void strtab_free(cl_strtab *t);

static cl_strtab *strtab_new(void)
{
    cl_strtab *t = cl_calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->cap = 1024;
    t->ids = cl_strmap_new();
    t->text = cl_malloc(t->cap * sizeof *t->text);
    t->len = cl_malloc(t->cap * sizeof *t->len);
    if (t->ids == NULL || t->text == NULL || t->len == NULL) {
        strtab_free(t);
        return NULL;
    }
    t->text[0] = "";
    t->len[0] = 0;
    t->n = 1;
    return t;
}

static void strtab_free(cl_strtab *t)
{
    if (t == NULL)
        return;
    cl_free(t->text);
    cl_free(t->len);
    cl_strmap_free(t->ids);
    cl_free(t);
}

/* Id of `s` (len bytes), interning it if new; 0 for the empty string;
 * UINT32_MAX when out of memory.  The text lives in the map's arena. */
static uint32_t intern(cl_strtab *t, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap * 2;
        const char **text = cl_realloc(t->text, cap * sizeof *text);
        if (text == NULL)
            return UINT32_MAX;
        t->text = text;
        uint32_t *l = cl_realloc(t->len, cap * sizeof *l);
        if (l == NULL)
            return UINT32_MAX;
        t->len = l;
        t->cap = cap;
    }
    int64_t id;
    const char *stored;
    int fresh = cl_strmap_intern(t->ids, s, len, (int64_t)t->n, &id, &stored);
    if (fresh < 0)
        return UINT32_MAX;
    if (fresh == 0)
        return (uint32_t)id;
    t->text[t->n] = stored;
    t->len[t->n] = (uint32_t)len;
    return (uint32_t)t->n++;
}

const char *cl_records_str(const cl_records *r, uint32_t id, size_t *len)
{
    if (len)
        *len = r->strings->len[id];
    return r->strings->text[id];
}

/* Grow every per-record column to hold `cap` records. */
static int grow_columns(cl_records *r, size_t cap)
{
#define GROW(field)                                                    \
    do {                                                               \
        void *p = cl_realloc(r->field, cap * sizeof *r->field);        \
        if (p == NULL)                                                 \
            return -1;                                                 \
        r->field = p;                                                  \
    } while (0)
    GROW(source); GROW(record_id); GROW(line); GROW(forename);
    GROW(surname); GROW(postcode); GROW(hot);
    GROW(forename_soundex); GROW(surname_soundex); GROW(forename_nysiis);
    GROW(surname_nysiis); GROW(dob); GROW(sex); GROW(nhs); GROW(nhs_valid);
    GROW(upn); GROW(upn_valid);
    if (r->kind == CL_RECORDS_ENCODED)
        GROW(tokens);
#undef GROW
    return 0;
}

/* The store with its record-id index, which the public struct does not show. */
struct records_private {
    cl_records pub;   /* first, so a cl_records * is a records_private * */
    cl_strmap *ids;   /* "source\x1frecord_id" -> record index */
    unsigned char sex_tokens[26][16];   /* encoded stores: token of sex 'A' + k */
    int nsex;
    long bloom_scheme;   /* of the identifier files loaded so far; 0 before the first */
};

void cl_records_free(cl_records *r)
{
    if (r == NULL)
        return;
    cl_strmap_free(((struct records_private *)r)->ids);
    for (int i = 0; i < r->nsources; i++)
        cl_free(r->source_names[i]);
    cl_free(r->source_names);
    void *cols[] = {r->source, r->record_id, r->line, r->forename, r->surname,
                    r->postcode, r->forename_soundex,
                    r->surname_soundex, r->forename_nysiis, r->surname_nysiis, r->dob, r->sex,
                    r->nhs, r->nhs_valid, r->upn, r->upn_valid, r->forename_count,
                    r->surname_count, r->postcode_count, r->place_count, r->hot, r->tokens};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        cl_free(cols[i]);
    strtab_free(r->strings);
    cl_free(r);
}

/* Intern up to CL_MAX_ALTERNATIVES '|'-separated values into ids[]. */
static int intern_alternatives(cl_strtab *t, const char *s, size_t len, uint32_t *ids)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len && k < CL_MAX_ALTERNATIVES; i++) {
        if (i < len && s[i] != '|')
            continue;
        if (i > start) {
            uint32_t id = intern(t, s + start, i - start);
            if (id == UINT32_MAX)
                return -1;
            ids[k++] = id;
        }
        start = i + 1;
    }
    for (; k < CL_MAX_ALTERNATIVES; k++)
        ids[k] = 0;
    return 0;
}

static cl_status add_record(cl_records *r, uint16_t source, const cl_clean_record *c, long line)
{
    size_t i = r->n;
    cl_strtab *t = r->strings;
    r->source[i] = source;
    r->line[i] = (uint32_t)line;
    uint32_t id = intern(t, c->value[CL_FIELD_RECORD_ID], c->len[CL_FIELD_RECORD_ID]);
    const char *fn = c->value[CL_FIELD_FORENAMES];
    size_t fnlen = c->len[CL_FIELD_FORENAMES];
    size_t first = 0;
    while (first < fnlen && fn[first] != ' ' && fn[first] != '|')
        first++;
    uint32_t f1 = intern(t, fn, first);
    uint32_t fall = intern(t, fn, fnlen);
    uint32_t lid = intern(t, c->value[CL_FIELD_LOCAL_ID], c->len[CL_FIELD_LOCAL_ID]);
    uint32_t address = intern(t, c->value[CL_FIELD_ADDRESS], c->len[CL_FIELD_ADDRESS]);
    uint32_t place = intern(t, c->value[CL_FIELD_PLACE], c->len[CL_FIELD_PLACE]);
    /* The first value only: a second would need a comparison of its own. */
    const char *ov = c->value[CL_FIELD_OTHER_ID];
    const char *bar = memchr(ov, '|', c->len[CL_FIELD_OTHER_ID]);
    uint32_t other = intern(t, ov, bar ? (size_t)(bar - ov) : c->len[CL_FIELD_OTHER_ID]);
    if (id == UINT32_MAX || f1 == UINT32_MAX || fall == UINT32_MAX || lid == UINT32_MAX ||
        address == UINT32_MAX || place == UINT32_MAX || other == UINT32_MAX ||
        intern_alternatives(t, c->value[CL_FIELD_SURNAME], c->len[CL_FIELD_SURNAME],
                            r->surname[i]) != 0 ||
        intern_alternatives(t, c->value[CL_FIELD_POSTCODE], c->len[CL_FIELD_POSTCODE],
                            r->postcode[i]) != 0)
        return CL_ENOMEM;
    cl_hot_record *h = &r->hot[i];
    memset(h, 0, sizeof *h);
    /* Sector and district of each postcode, interned, so comparing them is an
     * integer compare. */
    for (int k = 0; k < CL_MAX_ALTERNATIVES; k++) {
        if (r->postcode[i][k] == 0)
            continue;
        size_t plen;
        const char *pc = cl_records_str(r, r->postcode[i][k], &plen);
        const char *space = memchr(pc, ' ', plen);
        size_t dlen = space ? (size_t)(space - pc) : plen;
        uint32_t district = intern(t, pc, dlen);
        uint32_t sector = space && plen > dlen + 1 ? intern(t, pc, dlen + 2) : 0;
        if (district == UINT32_MAX || sector == UINT32_MAX)
            return CL_ENOMEM;
        h->postcode_district[k] = district;
        h->postcode_sector[k] = sector;
    }
    r->record_id[i] = id;
    r->forename[i] = f1;
    cl_soundex(fn, r->forename_soundex[i]);
    cl_nysiis(fn, r->forename_nysiis[i]);
    const char *sn = cl_records_str(r, r->surname[i][0], NULL);
    cl_soundex(sn, r->surname_soundex[i]);
    cl_nysiis(sn, r->surname_nysiis[i]);
    cl_sim_date *d = &r->dob[i];
    d->days = CL_NO_DATE;
    if (c->check[CL_FIELD_DOB] == CL_CHECK_VALID && c->len[CL_FIELD_DOB] >= 10) {
        int y, m, dd;
        const char *v = c->value[CL_FIELD_DOB];
        y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
        m = (v[5] - '0') * 10 + (v[6] - '0');
        dd = (v[8] - '0') * 10 + (v[9] - '0');
        d->days = cl_date_from_ymd(y, m, dd);
        d->year = (int16_t)y;
        d->month = (uint8_t)m;
        d->day = (uint8_t)dd;
    }
    char sx = c->len[CL_FIELD_SEX] ? c->value[CL_FIELD_SEX][0] : 0;
    r->sex[i] = sx == 'M' || sx == 'F' ? sx : 0;
    /* The first value of an exact identifier; its status covers all values. */
    memset(r->nhs[i], 0, sizeof r->nhs[i]);
    if (c->len[CL_FIELD_NHS_NUMBER] >= 10)
        memcpy(r->nhs[i], c->value[CL_FIELD_NHS_NUMBER], 10);
    r->nhs_valid[i] = c->check[CL_FIELD_NHS_NUMBER] == CL_CHECK_VALID;
    memset(r->upn[i], 0, sizeof r->upn[i]);
    if (c->len[CL_FIELD_UPN] >= 13)
        memcpy(r->upn[i], c->value[CL_FIELD_UPN], 13);
    r->upn_valid[i] = c->check[CL_FIELD_UPN] == CL_CHECK_VALID && c->reason[CL_FIELD_UPN] == NULL;
    /* The packed copy comparisons read (records.h). */
    h->forename = f1;
    h->forenames = fall;
    h->local_id = lid;
    h->address = address;
    h->place = place;
    h->other_id = other;
    memcpy(h->surname, r->surname[i], sizeof h->surname);
    memcpy(h->postcode, r->postcode[i], sizeof h->postcode);
    h->dob = *d;
    h->source = source;
    h->sex = r->sex[i];
    memcpy(h->nhs, r->nhs[i], sizeof h->nhs);
    memcpy(h->upn, r->upn[i], sizeof h->upn);
    /* zero-padded, so the codes compare with memcmp */
    memcpy(h->forename_nysiis, r->forename_nysiis[i],
           strnlen(r->forename_nysiis[i], sizeof h->forename_nysiis));
    memcpy(h->surname_soundex, r->surname_soundex[i],
           strnlen(r->surname_soundex[i], sizeof h->surname_soundex));
    r->n++;
    return CL_OK;
}

static cl_status count_frequencies(cl_records *r)
{
    size_t nstr = r->strings->n;
    r->forename_count = cl_calloc(nstr, sizeof *r->forename_count);
    r->surname_count = cl_calloc(nstr, sizeof *r->surname_count);
    r->postcode_count = cl_calloc(nstr, sizeof *r->postcode_count);
    r->place_count = cl_calloc(nstr, sizeof *r->place_count);
    if (!r->forename_count || !r->surname_count || !r->postcode_count || !r->place_count)
        return CL_ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        if (r->hot[i].place) {
            r->place_count[r->hot[i].place]++;
            r->place_total++;
        }
        if (r->forename[i]) {
            r->forename_count[r->forename[i]]++;
            r->forename_total++;
        }
        for (int k = 0; k < CL_MAX_ALTERNATIVES; k++) {
            if (r->surname[i][k]) {
                r->surname_count[r->surname[i][k]]++;
                r->surname_total++;
            }
            if (r->postcode[i][k]) {
                r->postcode_count[r->postcode[i][k]]++;
                r->postcode_total++;
            }
        }
    }
    return CL_OK;
}

static cl_status load_encoded(cl_records *r, const cl_records_input *in, uint16_t source,
                              cl_csv_reader *rd, void (*progress)(const char *, long),
                              cl_error *err);

static cl_status load_one(cl_records *r, const cl_records_input *in, uint16_t source,
                          cl_strmap *ids, void (*progress)(const char *, long), cl_error *err)
{
    cl_schema *schema = NULL;
    cl_csv_reader *rd = NULL;
    cl_cleaner *c = NULL;
    char *key = NULL;
    long count = 0;
    cl_status st;
    if ((st = cl_csv_open(&rd, in->path, 0, err)) != CL_OK)
        goto done;
    st = cl_csv_next(rd, err);
    if (st == CL_END) {
        st = cl_error_set(err, CL_EFORMAT, in->path, 0, "file is empty (no header line)");
        goto done;
    }
    if (st != CL_OK)
        goto done;
    size_t first_len;
    const char *first_name = cl_csv_field(rd, 0, &first_len);
    cl_records_kind kind = first_len == 12 && memcmp(first_name, "record_token", 12) == 0
                               ? CL_RECORDS_ENCODED : CL_RECORDS_CLEAR;
    if (source == 0)
        r->kind = kind;
    if (kind != r->kind) {
        st = cl_error_set(err, CL_EFORMAT, in->path, 1,
                          "this is %s file but %s is %s: link clear files with clear files and "
                          "encoded identifier files with encoded ones",
                          kind == CL_RECORDS_ENCODED ? "an encoded identifier" : "a clear",
                          r->source_names[0],
                          r->kind == CL_RECORDS_ENCODED ? "encoded" : "clear");
        goto done;
    }
    if (kind == CL_RECORDS_ENCODED) {
        if (in->schema != NULL) {
            st = cl_error_set(err, CL_EINVAL, in->path, 0,
                              "an encoded identifier file takes no schema");
            goto done;
        }
        st = load_encoded(r, in, source, rd, progress, err);
        goto done;
    }
    if (in->schema == NULL) {
        /* No schema named: a built-in schema of the source's name if it fits the
         * header (a raw extract), else the canonical columns (a cleaned file). */
        cl_error ignored;
        if (cl_schema_load(&schema, in->source, &ignored) == CL_OK &&
            cl_cleaner_new(&c, schema, rd, &ignored) != CL_OK) {
            cl_schema_free(schema);
            schema = NULL;
        }
    }
    if (c == NULL) {
        if ((st = cl_schema_load(&schema, in->schema ? in->schema : "generic", err)) != CL_OK ||
            (st = cl_cleaner_new(&c, schema, rd, err)) != CL_OK)
            goto done;
    }
    size_t srclen = strlen(in->source);
    size_t keycap = srclen + 1 + CL_CSV_DEFAULT_MAX_FIELD_BYTES + 1;
    if ((key = cl_malloc(keycap)) == NULL) {
        st = cl_error_set(err, CL_ENOMEM, in->path, 0, "out of memory");
        goto done;
    }
    memcpy(key, in->source, srclen);
    key[srclen] = '\x1f';
    size_t cap = r->n;
    while ((st = cl_csv_next(rd, err)) == CL_OK) {
        cl_clean_record rec;
        if ((st = cl_cleaner_record(c, rd, &rec, err)) != CL_OK)
            goto done;
        memcpy(key + srclen + 1, rec.value[CL_FIELD_RECORD_ID], rec.len[CL_FIELD_RECORD_ID]);
        int64_t first;
        int fresh = cl_strmap_put(ids, key, srclen + 1 + rec.len[CL_FIELD_RECORD_ID],
                                  (int64_t)r->n, &first);
        if (fresh < 0) {
            st = cl_error_set(err, CL_ENOMEM, in->path, cl_csv_line(rd), "out of memory");
            goto done;
        }
        if (fresh == 0) {
            st = cl_error_set(err, CL_EFORMAT, in->path, cl_csv_line(rd),
                              "duplicate record id '%s' (first on line %u)",
                              rec.value[CL_FIELD_RECORD_ID], r->line[first]);
            goto done;
        }
        if (r->n == cap || cap == 0) {
            cap = cap ? cap * 2 : 4096;
            if (grow_columns(r, cap) != 0) {
                st = cl_error_set(err, CL_ENOMEM, in->path, cl_csv_line(rd), "out of memory");
                goto done;
            }
        }
        if (add_record(r, source, &rec, cl_csv_line(rd)) != CL_OK) {
            st = cl_error_set(err, CL_ENOMEM, in->path, cl_csv_line(rd), "out of memory");
            goto done;
        }
        if (progress && ++count % 1000000 == 0)
            progress(in->path, count);
    }
    if (st == CL_END)
        st = CL_OK;
done:
    cl_free(key);
    cl_cleaner_free(c);
    cl_csv_close(rd);
    cl_schema_free(schema);
    return st;
}

/* ---- encoded identifier files ---- */

/* Columns of an identifier file the store reads, found by name. */
enum {
    ID_RECORD_TOKEN, ID_NHS, ID_UPN, ID_LOCAL_ID, ID_DOB, ID_SEX, ID_POSTCODE_YOB,
    ID_SECTOR_DOB, ID_DISTRICT_DOB, ID_SURNAME_SDX_YM, ID_NAMES_SDX_YOB, ID_POSTCODE_INITIAL,
    ID_DOB_FORENAME_INITIAL, ID_DOB_SURNAME_INITIAL, ID_NHS_VALID, ID_UPN_VALID,
    ID_BF_FORENAMES, ID_BF_SURNAME, ID_BF_DOB, ID_BF_POSTCODE, ID_OTHER_ID, ID_BF_ADDRESS,
    ID_DOB_YEAR, ID_FILTERS_SALTED, ID_BLOOM_SCHEME, ID_DOB_YEAR_MONTH, ID_FILTERS_BALANCED,
    ID_NCOLUMNS
};

static const char *id_column_name(int c)
{
    static const int token_of[] = {
        -1, CL_TOKEN_NHS_NUMBER, CL_TOKEN_UPN, CL_TOKEN_LOCAL_ID, CL_TOKEN_DOB, CL_TOKEN_SEX,
        CL_TOKEN_POSTCODE_YOB, CL_TOKEN_POSTCODE_SECTOR_DOB, CL_TOKEN_POSTCODE_DISTRICT_DOB,
        CL_TOKEN_SURNAME_SDX_YM, CL_TOKEN_NAMES_SDX_YOB, CL_TOKEN_POSTCODE_INITIAL,
        CL_TOKEN_DOB_FORENAME_INITIAL, CL_TOKEN_DOB_SURNAME_INITIAL,
    };
    switch (c) {
    case ID_RECORD_TOKEN: return "record_token";
    case ID_NHS_VALID: return "nhs_number_valid";
    case ID_UPN_VALID: return "upn_valid";
    case ID_BF_FORENAMES: return cl_encode_filter_name(CL_FILTER_FORENAMES);
    case ID_BF_SURNAME: return cl_encode_filter_name(CL_FILTER_SURNAME);
    case ID_BF_DOB: return cl_encode_filter_name(CL_FILTER_DOB);
    case ID_BF_POSTCODE: return cl_encode_filter_name(CL_FILTER_POSTCODE);
    case ID_BF_ADDRESS: return cl_encode_filter_name(CL_FILTER_ADDRESS);
    case ID_OTHER_ID: return cl_encode_token_name(CL_TOKEN_OTHER_ID);
    case ID_DOB_YEAR: return cl_encode_token_name(CL_TOKEN_DOB_YEAR);
    case ID_DOB_YEAR_MONTH: return cl_encode_token_name(CL_TOKEN_DOB_YEAR_MONTH);
    case ID_FILTERS_SALTED: return "filters_salted";
    case ID_BLOOM_SCHEME: return "bloom_scheme";
    case ID_FILTERS_BALANCED: return "filters_balanced";
    default: return cl_encode_token_name((cl_encode_token)token_of[c]);
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A token's 16 bytes from its 32 hex digits: 1 decoded, 0 empty, -1 malformed. */
static int decode_token(const char *s, size_t len, unsigned char out[16])
{
    if (len == 0)
        return 0;
    if (len != CL_TOKEN_CHARS)
        return -1;
    for (size_t i = 0; i < 16; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard padded base64 into out (cap bytes): the byte count, or -1. */
static long base64_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = base64_value((unsigned char)s[i + k])) < 0) {
                return -1;
            }
        }
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        int bytes = 3 - pad;
        if (n + (size_t)bytes > cap)
            return -1;
        for (int k = 0; k < bytes; k++)
            out[n++] = (unsigned char)(bits >> (16 - 8 * k));
    }
    return (long)n;
}

/* Bloom filters the store accepts: up to 65536 bits (encode's maximum). */
#define MAX_FILTER_BYTES 8192

typedef struct ids_reader {
    cl_csv_reader *rd;
    long col[ID_NCOLUMNS];          /* field index, or -1 when the file lacks it */
    unsigned char *filter;          /* MAX_FILTER_BYTES */
    unsigned char (*sex_tokens)[16];   /* the store's distinct sex tokens, in order met */
    int *nsex;
    long *bloom_scheme;
} ids_reader;

static const char *ids_field(const ids_reader *x, int c, size_t *len)
{
    if (x->col[c] < 0 || (size_t)x->col[c] >= cl_csv_nfields(x->rd)) {
        *len = 0;
        return "";
    }
    return cl_csv_field(x->rd, (size_t)x->col[c], len);
}

/* 64 bits of token column c (0 when empty); CL_EFORMAT when malformed. */
static cl_status ids_token(ids_reader *x, int c, unsigned char bytes[16], uint64_t *out,
                           cl_error *err)
{
    size_t len;
    const char *s = ids_field(x, c, &len);
    int k = decode_token(s, len, bytes);
    if (k < 0)
        return cl_error_set(err, CL_EFORMAT, cl_csv_path(x->rd), cl_csv_line(x->rd),
                            "%s is not a token (32 lower-case hex digits)", id_column_name(c));
    *out = 0;
    if (k > 0) {
        memcpy(out, bytes, sizeof *out);
        if (*out == 0)
            *out = 1;
    }
    return CL_OK;
}

/* String id of filter column c's raw bytes (0 when empty). */
static cl_status ids_filter(cl_records *r, ids_reader *x, int c, uint32_t *id, cl_error *err)
{
    size_t len;
    const char *s = ids_field(x, c, &len);
    *id = 0;
    if (len == 0)
        return CL_OK;
    long n = base64_decode(s, len, x->filter, MAX_FILTER_BYTES);
    if (n <= 0 || n % 8 != 0)
        return cl_error_set(err, CL_EFORMAT, cl_csv_path(x->rd), cl_csv_line(x->rd),
                            "%s is not a Bloom filter (base64 of a multiple of 8 bytes, at most "
                            "%d)", id_column_name(c), MAX_FILTER_BYTES);
    if (r->filter_bytes == 0)
        r->filter_bytes = (size_t)n;
    if ((size_t)n != r->filter_bytes)
        return cl_error_set(err, CL_EFORMAT, cl_csv_path(x->rd), cl_csv_line(x->rd),
                            "%s has %ld bits but earlier filters have %zu: encode every file "
                            "with the same options", id_column_name(c), n * 8, r->filter_bytes * 8);
    /* Filters of every field share the table; the column's byte in front keeps
     * two fields' equal bytes apart. */
    x->filter[n] = (unsigned char)c;
    if ((*id = intern(r->strings, (const char *)x->filter, (size_t)n + 1)) == UINT32_MAX)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    return CL_OK;
}

static cl_status add_encoded_record(cl_records *r, uint16_t source, ids_reader *x,
                                    uint32_t record_id, cl_error *err)
{
    size_t i = r->n;
    const char *path = cl_csv_path(x->rd);
    long line = cl_csv_line(x->rd);
    cl_token_record *t = &r->tokens[i];
    cl_hot_record *h = &r->hot[i];
    memset(t, 0, sizeof *t);
    memset(h, 0, sizeof *h);
    unsigned char bytes[16];
    uint64_t present;
    cl_status st;
    struct { int column; uint64_t *dst; } tokens[] = {
        {ID_DOB, &t->dob}, {ID_SECTOR_DOB, &t->postcode_sector_dob},
        {ID_DISTRICT_DOB, &t->postcode_district_dob},
        {ID_DOB_FORENAME_INITIAL, &t->dob_forename_initial},
        {ID_DOB_SURNAME_INITIAL, &t->dob_surname_initial},
        {ID_SURNAME_SDX_YM, &t->surname_sdx_ym}, {ID_POSTCODE_INITIAL, &t->postcode_initial},
        {ID_POSTCODE_YOB, &t->postcode_yob}, {ID_NAMES_SDX_YOB, &t->names_sdx_yob},
    };
    for (size_t k = 0; k < sizeof tokens / sizeof tokens[0]; k++)
        if ((st = ids_token(x, tokens[k].column, bytes, tokens[k].dst, err)) != CL_OK)
            return st;
    /* NHS number and UPN: as many token bytes as the clear columns hold. */
    memset(r->nhs[i], 0, sizeof r->nhs[i]);
    if ((st = ids_token(x, ID_NHS, bytes, &present, err)) != CL_OK)
        return st;
    if (present) {
        memcpy(r->nhs[i], bytes, 10);
        r->nhs[i][0] |= 1;
    }
    memset(r->upn[i], 0, sizeof r->upn[i]);
    if ((st = ids_token(x, ID_UPN, bytes, &present, err)) != CL_OK)
        return st;
    if (present) {
        memcpy(r->upn[i], bytes, 13);
        r->upn[i][0] |= 1;
    }
    size_t len;
    const char *s = ids_field(x, ID_NHS_VALID, &len);
    r->nhs_valid[i] = r->nhs[i][0] && len == 1 && s[0] == '1';
    s = ids_field(x, ID_UPN_VALID, &len);
    r->upn_valid[i] = r->upn[i][0] && len == 1 && s[0] == '1';
    /* Sex: the data holders' tokens stand for M and F; which is which does not
     * matter, only equality. */
    s = ids_field(x, ID_SEX, &len);
    r->sex[i] = 0;
    if (len > 0) {
        if ((st = ids_token(x, ID_SEX, bytes, &present, err)) != CL_OK)
            return st;
        int k = 0;
        while (k < *x->nsex && memcmp(x->sex_tokens[k], bytes, 16) != 0)
            k++;
        if (k == *x->nsex) {
            if (k == 26)
                return cl_error_set(err, CL_EFORMAT, path, line,
                                    "sex has more than 26 different tokens");
            memcpy(x->sex_tokens[(*x->nsex)++], bytes, 16);
        }
        r->sex[i] = (char)('A' + k);
    }
    /* Filters drawn by different schemes cannot be compared; files written
     * before the column existed are scheme 1. */
    s = ids_field(x, ID_BLOOM_SCHEME, &len);
    long scheme = 1;
    if (len > 0) {
        scheme = 0;
        for (size_t k = 0; k < len && scheme < 1000; k++)
            scheme = s[k] >= '0' && s[k] <= '9' ? scheme * 10 + (s[k] - '0') : 1000;
        if (scheme < 1 || scheme > CL_BLOOM_SCHEME)
            return cl_error_set(err, CL_EFORMAT, path, line,
                                "bloom_scheme is not a scheme this childlink knows (1 to %d)",
                                CL_BLOOM_SCHEME);
    }
    /* Balanced filters compare on another scale (compare.c): never mixed. */
    s = ids_field(x, ID_FILTERS_BALANCED, &len);
    int balanced = len == 1 && s[0] == '1';
    if (r->filters_balanced < 0)
        r->filters_balanced = balanced;
    if (balanced != r->filters_balanced)
        return cl_error_set(err, CL_EFORMAT, path, line,
                            "filters %s balanced but the records before it %s: encode every "
                            "file with the same options",
                            balanced ? "are" : "are not", balanced ? "are not" : "are");
    if (*x->bloom_scheme == 0)
        *x->bloom_scheme = scheme;
    if (scheme != *x->bloom_scheme)
        return cl_error_set(err, CL_EFORMAT, path, line,
                            "Bloom filters of scheme %ld, but the files before it have scheme "
                            "%ld: their filters cannot be compared; encode every file with the "
                            "same childlink version",
                            scheme, *x->bloom_scheme);
    /* Files written before the flag existed say nothing: compare everything. */
    s = ids_field(x, ID_FILTERS_SALTED, &len);
    if (len == 1 && s[0] >= '1' && s[0] <= '3') {
        /* The salt's own token stands for it: dob_year for the year, dob for
         * the whole date, dob_year_month for the year and month (tokens of
         * different columns never coincide). */
        int column = s[0] == '1' ? ID_DOB_YEAR : s[0] == '2' ? ID_DOB : ID_DOB_YEAR_MONTH;
        if ((st = ids_token(x, column, bytes, &t->salt, err)) != CL_OK)
            return st;
        /* encode writes 2 and 3 only with their token: without it the
         * filters would be compared across salts, as unrelated bits. */
        if (t->salt == 0 && column != ID_DOB_YEAR)
            return cl_error_set(err, CL_EFORMAT, path, line,
                                "filters_salted is %c but %s is empty", s[0],
                                id_column_name(column));
        if (t->salt == 0)
            t->salt = 1;
    }
    s = ids_field(x, ID_LOCAL_ID, &len);
    uint32_t local = intern(r->strings, s, len);
    /* other_id compares by equality only: the token text, interned, is enough */
    if ((st = ids_token(x, ID_OTHER_ID, bytes, &present, err)) != CL_OK)
        return st;
    s = ids_field(x, ID_OTHER_ID, &len);
    uint32_t other = intern(r->strings, s, present ? len : 0);
    uint32_t fn, sn, pc, address;
    if (local == UINT32_MAX || other == UINT32_MAX)
        return cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
    if ((st = ids_filter(r, x, ID_BF_FORENAMES, &fn, err)) != CL_OK ||
        (st = ids_filter(r, x, ID_BF_SURNAME, &sn, err)) != CL_OK ||
        (st = ids_filter(r, x, ID_BF_POSTCODE, &pc, err)) != CL_OK ||
        (st = ids_filter(r, x, ID_BF_ADDRESS, &address, err)) != CL_OK ||
        (st = ids_filter(r, x, ID_BF_DOB, &t->dob_filter, err)) != CL_OK)
        return st;
    r->source[i] = source;
    r->record_id[i] = record_id;
    r->line[i] = (uint32_t)line;
    r->forename[i] = fn;
    memset(r->surname[i], 0, sizeof r->surname[i]);
    memset(r->postcode[i], 0, sizeof r->postcode[i]);
    r->surname[i][0] = sn;
    r->postcode[i][0] = pc;
    memset(r->forename_soundex[i], 0, sizeof r->forename_soundex[i]);
    memset(r->surname_soundex[i], 0, sizeof r->surname_soundex[i]);
    memset(r->forename_nysiis[i], 0, sizeof r->forename_nysiis[i]);
    memset(r->surname_nysiis[i], 0, sizeof r->surname_nysiis[i]);
    r->dob[i] = (cl_sim_date){.days = CL_NO_DATE};
    h->forename = h->forenames = fn;
    h->surname[0] = sn;
    h->postcode[0] = pc;
    h->local_id = local;
    h->other_id = other;
    h->address = address;
    h->dob = r->dob[i];
    h->source = source;
    h->sex = r->sex[i];
    memcpy(h->nhs, r->nhs[i], sizeof h->nhs);
    memcpy(h->upn, r->upn[i], sizeof h->upn);
    r->n++;
    return CL_OK;
}

static cl_status load_encoded(cl_records *r, const cl_records_input *in, uint16_t source,
                              cl_csv_reader *rd, void (*progress)(const char *, long),
                              cl_error *err)
{
    struct records_private *p = (struct records_private *)r;
    ids_reader x;
    memset(&x, 0, sizeof x);
    x.rd = rd;
    x.sex_tokens = p->sex_tokens;
    x.nsex = &p->nsex;
    x.bloom_scheme = &p->bloom_scheme;
    cl_strmap *ids = p->ids;
    for (int c = 0; c < ID_NCOLUMNS; c++) {
        x.col[c] = -1;
        for (size_t f = 0; f < cl_csv_nfields(rd); f++) {
            size_t len;
            const char *name = cl_csv_field(rd, f, &len);
            if (len == strlen(id_column_name(c)) && memcmp(name, id_column_name(c), len) == 0)
                x.col[c] = (long)f;
        }
    }
    if (x.col[ID_BF_FORENAMES] < 0 && x.col[ID_BF_SURNAME] < 0 && x.col[ID_DOB] < 0 &&
        x.col[ID_NHS] < 0 && x.col[ID_UPN] < 0)
        return cl_error_set(err, CL_EFORMAT, in->path, 1,
                            "identifier file has none of nhs_number, upn, dob, bf_forenames, "
                            "bf_surname: nothing to link on");
    if ((x.filter = cl_malloc(MAX_FILTER_BYTES + 1)) == NULL)
        return cl_error_set(err, CL_ENOMEM, in->path, 0, "out of memory");
    size_t srclen = strlen(in->source);
    char key[256 + 1 + CL_TOKEN_CHARS];
    size_t cap = r->n;
    long count = 0;
    cl_status st;
    while ((st = cl_csv_next(rd, err)) == CL_OK) {
        long line = cl_csv_line(rd);
        size_t tlen;
        const char *token = ids_field(&x, ID_RECORD_TOKEN, &tlen);
        unsigned char bytes[16];
        if (decode_token(token, tlen, bytes) != 1) {
            st = cl_error_set(err, CL_EFORMAT, in->path, line,
                              "record_token is missing or not a token (32 lower-case hex digits)");
            break;
        }
        size_t klen = srclen < 256 ? srclen : 256;
        memcpy(key, in->source, klen);
        key[klen] = '\x1f';
        memcpy(key + klen + 1, token, tlen);
        int64_t first;
        int fresh = cl_strmap_put(ids, key, klen + 1 + tlen, (int64_t)r->n, &first);
        if (fresh < 0) {
            st = cl_error_set(err, CL_ENOMEM, in->path, line, "out of memory");
            break;
        }
        if (fresh == 0) {
            st = cl_error_set(err, CL_EFORMAT, in->path, line,
                              "duplicate record_token (first on line %u)", r->line[first]);
            break;
        }
        if (r->n == cap || cap == 0) {
            cap = cap ? cap * 2 : 4096;
            if (grow_columns(r, cap) != 0) {
                st = cl_error_set(err, CL_ENOMEM, in->path, line, "out of memory");
                break;
            }
        }
        uint32_t id = intern(r->strings, token, tlen);
        if (id == UINT32_MAX) {
            st = cl_error_set(err, CL_ENOMEM, in->path, line, "out of memory");
            break;
        }
        if ((st = add_encoded_record(r, source, &x, id, err)) != CL_OK)
            break;
        if (progress && ++count % 1000000 == 0)
            progress(in->path, count);
    }
    if (st == CL_END)
        st = CL_OK;
    cl_free(x.filter);
    return st;
}


cl_status cl_records_load(cl_records **out, const cl_records_input *inputs, int ninputs,
                          void (*progress)(const char *, long), cl_error *err)
{
    *out = NULL;
    struct records_private *p = cl_calloc(1, sizeof *p);
    cl_records *r = p ? &p->pub : NULL;
    cl_status st = CL_OK;
    if (r != NULL)
        r->filters_balanced = -1;
    if (r == NULL || (r->strings = strtab_new()) == NULL || (p->ids = cl_strmap_new()) == NULL ||
        (r->source_names = cl_calloc((size_t)ninputs, sizeof *r->source_names)) == NULL) {
        st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
        goto fail;
    }
    if (ninputs < 1 || ninputs > 1000) {
        st = cl_error_set(err, CL_EINVAL, NULL, 0, "give between 1 and 1000 input files");
        goto fail;
    }
    for (int s = 0; s < ninputs; s++) {
        for (int k = 0; k < s; k++)
            if (strcmp(inputs[k].source, inputs[s].source) == 0) {
                st = cl_error_set(err, CL_EINVAL, inputs[s].path, 0,
                                  "source name '%s' is given twice; name inputs NAME=PATH",
                                  inputs[s].source);
                goto fail;
            }
        if ((r->source_names[s] = cl_strndup(inputs[s].source, strlen(inputs[s].source))) == NULL) {
            st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
            goto fail;
        }
        r->nsources = s + 1;
        size_t before = r->n;
        if ((st = load_one(r, &inputs[s], (uint16_t)s, p->ids, progress, err)) != CL_OK)
            goto fail;
        if (r->n == before) {
            st = cl_error_set(err, CL_EFORMAT, inputs[s].path, 0, "file has a header but no records");
            goto fail;
        }
    }
    static atomic_uint_fast64_t generations;
    r->generation = atomic_fetch_add(&generations, 1) + 1;
    if (count_frequencies(r) != CL_OK) {
        st = cl_error_set(err, CL_ENOMEM, NULL, 0, "out of memory");
        goto fail;
    }
    *out = r;
    return CL_OK;
fail:
    cl_records_free(r);
    return st;
}

long cl_records_find(const cl_records *r, const char *source, const char *record_id)
{
    const struct records_private *p = (const struct records_private *)r;
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\x1f%s", source, record_id);
    if (n < 0 || (size_t)n >= sizeof key)
        return -1;
    int64_t idx;
    return cl_strmap_get(p->ids, key, (size_t)n, &idx) ? (long)idx : -1;
}
