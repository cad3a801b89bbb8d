/*
 * store.c - build the linked, de-identified SQLite database (see store.h and
 * docs/database.md).
 *
 * Design:
 * - The link map is read once, straight into `source_record`, while a hash
 *   of "source\x1f record_id" -> child index is kept for joining payloads;
 *   children are numbered in order of first appearance, which fixes the order
 *   of the `child` spine without sorting.
 * - Each payload is read twice.  The first pass checks the header (key
 *   column, identifier columns refused), the shape of every row, and infers a
 *   type per column; the second creates the table with those types and
 *   inserts the rows in file order through one prepared statement.  Two
 *   passes cost a re-read but keep memory independent of payload size.
 * - Everything happens in one transaction on a temporary file beside the
 *   output with journal_mode=OFF and synchronous=OFF: a crash can only spoil
 *   the temporary file, which is never renamed.  Nothing time-dependent is
 *   written and rows go in input order, so the file is byte-for-byte
 *   reproducible.
 * - Payload rows whose key is not in the link map are kept with child_id NULL
 *   and counted: a database never loses a record silently.
 */
#include <errno.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childlink/csv.h"
#include "childlink/date.h"
#include "childlink/store.h"
#include "childlink/strmap.h"

#define STORE_FORMAT "childlink-db/1"
#define PROGRESS_EVERY 1000000L

/* ---- value types ------------------------------------------------------ */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i])) return 0;
    return 1;
}

static int num(const char *s, size_t len)
{
    int v = 0;
    for (size_t i = 0; i < len; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* Parse the three date forms into y/m/d; 0 on success. */
static int parse_date(const char *s, size_t len, int *y, int *m, int *d)
{
    if (len == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) &&
        all_digits(s + 5, 2) && all_digits(s + 8, 2)) {
        *y = num(s, 4); *m = num(s + 5, 2); *d = num(s + 8, 2);
    } else if (len == 10 && s[2] == '/' && s[5] == '/' && all_digits(s, 2) &&
               all_digits(s + 3, 2) && all_digits(s + 6, 4)) {
        *d = num(s, 2); *m = num(s + 3, 2); *y = num(s + 6, 4);
    } else if (len == 8 && all_digits(s, 8) && (s[0] == '1' || s[0] == '2')) {
        *y = num(s, 4); *m = num(s + 4, 2); *d = num(s + 6, 2);
    } else {
        return -1;
    }
    return cl_date_is_valid_ymd(*y, *m, *d) && *y >= 1000 ? 0 : -1;
}

int cl_store_date_iso(const char *s, size_t len, char out[11])
{
    int y, m, d;
    out[0] = '\0';
    if (s == NULL || parse_date(s, len, &y, &m, &d) != 0) return -1;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 0;
}

cl_store_type cl_store_value_type(const char *s, size_t len)
{
    if (len == 0) return CL_STORE_EMPTY;
    int y, m, d;
    if (parse_date(s, len, &y, &m, &d) == 0)
        return len == 8 ? CL_STORE_DATE8 : CL_STORE_DATE;
    size_t i = s[0] == '-' ? 1 : 0;
    size_t start = i;
    while (i < len && is_digit(s[i])) i++;
    size_t int_digits = i - start;
    if (int_digits == 0) return CL_STORE_TEXT;
    /* A leading zero marks a code ("04"), which must keep its zero. */
    if (int_digits > 1 && s[start] == '0') return CL_STORE_TEXT;
    if (i == len) return int_digits <= 18 ? CL_STORE_INTEGER : CL_STORE_TEXT;
    if (s[i] != '.') return CL_STORE_TEXT;
    i++;
    size_t frac = i;
    while (i < len && is_digit(s[i])) i++;
    if (i == frac || i != len || int_digits + (i - frac) > 17) return CL_STORE_TEXT;
    return CL_STORE_REAL;
}

cl_store_type cl_store_type_merge(cl_store_type column, cl_store_type value)
{
    if (value == CL_STORE_EMPTY || column == value) return column;
    if (column == CL_STORE_EMPTY) return value;
    int col_num = column == CL_STORE_INTEGER || column == CL_STORE_REAL || column == CL_STORE_DATE8;
    int val_num = value == CL_STORE_INTEGER || value == CL_STORE_REAL || value == CL_STORE_DATE8;
    if (col_num && val_num) {
        if (column == CL_STORE_REAL || value == CL_STORE_REAL) return CL_STORE_REAL;
        return CL_STORE_INTEGER;   /* DATE8 with INTEGER */
    }
    return CL_STORE_TEXT;
}

/* Lower-case letters and digits of `name`, at most `cap`-1 of them. */
static void squash(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || is_digit(c)) out[n++] = c;
    }
    out[n] = '\0';
}

int cl_store_is_identifier_column(const char *name)
{
    static const char *const exact[] = {
        "dob", "upn", "nhsno", "nhsnumber", "newnhsno", "name", "homeadd", "homepost",
        "plpost", "address", "nhsnumberafteradoption", NULL};
    static const char *const parts[] = {
        "dateofbirth", "birthdate", "forename", "surname", "givenname", "familyname",
        "firstname", "lastname", "middlename", "postcode", "nhsnumber", NULL};
    char sq[256];
    squash(name, sq, sizeof sq);
    for (size_t i = 0; exact[i]; i++)
        if (strcmp(sq, exact[i]) == 0) return 1;
    for (size_t i = 0; parts[i]; i++)
        if (strstr(sq, parts[i])) return 1;
    /* PERSON_DOB, CHILD_DOB, ... */
    size_t n = strlen(sq);
    return n > 3 && strcmp(sq + n - 3, "dob") == 0;
}

/* ---- small growable buffers -------------------------------------------- */

typedef struct sbuf {
    char *data;
    size_t len, cap;
} sbuf;

/* Append `len` bytes and a NUL; returns the offset of the copy or -1. */
static long long sbuf_add(sbuf *b, const char *s, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + len + 1 > cap) cap *= 2;
        char *p = cl_realloc(b->data, cap);
        if (p == NULL) return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, len);
    b->data[b->len + len] = '\0';
    long long off = (long long)b->len;
    b->len += len + 1;
    return off;
}

/* What the spine knows of one child: first non-empty valid value seen. */
typedef struct child_info {
    long long id_off;        /* child_id in names */
    long long ethnic_off;    /* -1: unknown */
    int birth_year;          /* 0: unknown */
    signed char birth_month; /* 0: unknown */
    signed char decile;      /* 0: unknown */
    char sex;                /* 0, 'M' or 'F' */
} child_info;

enum spine_col { SPINE_NONE = 0, SPINE_SEX, SPINE_YEAR, SPINE_MONTH, SPINE_ETHNIC, SPINE_DECILE };

static int spine_role(const char *name)
{
    char sq[64];
    squash(name, sq, sizeof sq);
    if (!strcmp(sq, "sex") || !strcmp(sq, "gender")) return SPINE_SEX;
    if (!strcmp(sq, "birthyear") || !strcmp(sq, "yearofbirth")) return SPINE_YEAR;
    if (!strcmp(sq, "birthmonth") || !strcmp(sq, "monthofbirth")) return SPINE_MONTH;
    if (!strcmp(sq, "ethnicgroup") || !strcmp(sq, "ethnicity")) return SPINE_ETHNIC;
    if (!strcmp(sq, "deprivationdecile") || !strcmp(sq, "imddecile")) return SPINE_DECILE;
    return SPINE_NONE;
}

/* ---- the build state ---------------------------------------------------- */

typedef struct column {
    char name[128];          /* sanitised, unique in the table */
    cl_store_type type;      /* after inference; DATE8 resolved */
    int spine;
} column;

typedef struct builder {
    const cl_store_options *opt;
    cl_error *err;
    sqlite3 *db;
    char *tmp_path;
    cl_strmap *records;      /* "source\x1f record_id" -> child index */
    cl_strmap *children;     /* child_id -> child index */
    cl_strmap *sources;      /* link-map sources */
    child_info *child;
    size_t nchild, child_cap;
    sbuf names;              /* child ids and ethnic groups */
    sbuf key;                /* reused lookup key */
    long long links;
    cl_store_summary sum;
    char (*tables)[128];     /* table name per payload */
    column *cols;
    size_t ncols, cols_cap;
} builder;

static cl_status db_fail(builder *b, const char *what)
{
    return cl_error_set(b->err, CL_EIO, b->opt->out_path, 0, "%s: %s", what,
                        b->db ? sqlite3_errmsg(b->db) : "cannot open database");
}

static cl_status exec(builder *b, const char *sql)
{
    if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_fail(b, "SQL failed");
    return CL_OK;
}

static cl_status prepare(builder *b, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK) return db_fail(b, "SQL failed");
    return CL_OK;
}

static cl_status step_done(builder *b, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? CL_OK : db_fail(b, "insert failed");
}

static void progress(builder *b, const char *fmt, ...) CL_PRINTF(2, 3);
static void progress(builder *b, const char *fmt, ...)
{
    if (b->opt->progress == NULL) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->opt->progress(b->opt->progress_ctx, msg);
}

static cl_status nomem(builder *b)
{
    return cl_error_set(b->err, CL_ENOMEM, NULL, 0, "out of memory");
}

static cl_status add_count(builder *b, const char *table, const char *source, long long rows,
                           long long unmatched)
{
    cl_store_table_count *t = cl_realloc(b->sum.tables, (b->sum.ntables + 1) * sizeof *t);
    if (t == NULL) return nomem(b);
    b->sum.tables = t;
    t += b->sum.ntables++;
    memset(t, 0, sizeof *t);
    snprintf(t->table, sizeof t->table, "%s", table);
    snprintf(t->source, sizeof t->source, "%s", source);
    t->rows = rows;
    t->unmatched = unmatched;
    return CL_OK;
}

static const char *make_key(builder *b, const char *source, const char *id, size_t id_len,
                            size_t *len)
{
    size_t slen = strlen(source);
    b->key.len = 0;
    if (sbuf_add(&b->key, source, slen) < 0) return NULL;
    b->key.data[slen] = '\x1f';
    b->key.len = slen + 1;
    if (sbuf_add(&b->key, id, id_len) < 0) return NULL;
    *len = slen + 1 + id_len;
    return b->key.data;
}

/* ---- link map ----------------------------------------------------------- */

static int find_column(const cl_csv_reader *r, const char *name)
{
    for (size_t i = 0; i < cl_csv_nfields(r); i++)
        if (strcmp(cl_csv_field(r, i, NULL), name) == 0) return (int)i;
    return -1;
}

static cl_status read_linkmap(builder *b)
{
    const char *path = b->opt->linkmap_path;
    cl_csv_reader *r = NULL;
    sqlite3_stmt *ins = NULL;
    cl_status st = cl_csv_open(&r, path, 0, b->err);
    if (st != CL_OK) return st;
    st = cl_csv_next(r, b->err);
    if (st == CL_END) {
        st = cl_error_set(b->err, CL_EFORMAT, path, 0, "empty file: no header");
        goto done;
    }
    if (st != CL_OK) goto done;
    size_t ncol = cl_csv_nfields(r);
    int c_source = find_column(r, "source"), c_id = find_column(r, "record_id");
    int c_child = find_column(r, "child_id"), c_prob = find_column(r, "match_probability");
    int c_rule = find_column(r, "link_rule");
    if (c_source < 0 || c_id < 0 || c_child < 0) {
        st = cl_error_set(b->err, CL_EFORMAT, path, cl_csv_line(r),
                          "link map header needs source, record_id and child_id");
        goto done;
    }
    if ((st = prepare(b, "INSERT INTO source_record VALUES (?,?,?,?,?)", &ins)) != CL_OK)
        goto done;
    while ((st = cl_csv_next(r, b->err)) == CL_OK) {
        long line = cl_csv_line(r);
        if (cl_csv_nfields(r) != ncol) {
            st = cl_error_set(b->err, CL_EFORMAT, path, line, "%zu fields, header has %zu",
                              cl_csv_nfields(r), ncol);
            goto done;
        }
        size_t slen, idlen, clen;
        const char *source = cl_csv_field(r, (size_t)c_source, &slen);
        const char *id = cl_csv_field(r, (size_t)c_id, &idlen);
        const char *child = cl_csv_field(r, (size_t)c_child, &clen);
        if (slen == 0 || idlen == 0 || clen == 0) {
            st = cl_error_set(b->err, CL_EFORMAT, path, line,
                              "empty source, record_id or child_id");
            goto done;
        }
        if (cl_strmap_put(b->sources, source, slen, 0, NULL) < 0) { st = nomem(b); goto done; }
        int64_t ci;
        int got = cl_strmap_get(b->children, child, clen, &ci);
        if (!got) {
            if (b->nchild == b->child_cap) {
                size_t cap = b->child_cap ? b->child_cap * 2 : 1024;
                child_info *p = cl_realloc(b->child, cap * sizeof *p);
                if (p == NULL) { st = nomem(b); goto done; }
                b->child = p;
                b->child_cap = cap;
            }
            child_info *c = &b->child[b->nchild];
            memset(c, 0, sizeof *c);
            c->ethnic_off = -1;
            if ((c->id_off = sbuf_add(&b->names, child, clen)) < 0 ||
                cl_strmap_put(b->children, child, clen, (int64_t)b->nchild, NULL) < 0) {
                st = nomem(b);
                goto done;
            }
            ci = (int64_t)b->nchild++;
        }
        size_t klen;
        const char *key = make_key(b, source, id, idlen, &klen);
        if (key == NULL) { st = nomem(b); goto done; }
        int put = cl_strmap_put(b->records, key, klen, ci, NULL);
        if (put < 0) { st = nomem(b); goto done; }
        if (put == 0) {
            st = cl_error_set(b->err, CL_EFORMAT, path, line,
                              "duplicate record %s in source %s", id, source);
            goto done;
        }
        sqlite3_bind_text(ins, 1, source, (int)slen, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, id, (int)idlen, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, child, (int)clen, SQLITE_TRANSIENT);
        if (c_prob >= 0) {
            size_t plen;
            const char *p = cl_csv_field(r, (size_t)c_prob, &plen);
            if (plen > 0) {
                char *end;
                double v = strtod(p, &end);
                /* strtod also takes "nan", "inf" and hex; only decimals are numbers here. */
                for (size_t k = 0; k < plen; k++)
                    if (!is_digit(p[k]) && !strchr(".eE+-", p[k])) end = (char *)p;
                if (end != p + plen || v < 0 || v > 1) {
                    st = cl_error_set(b->err, CL_EFORMAT, path, line,
                                      "match_probability '%s' is not a number in [0,1]", p);
                    goto done;
                }
                sqlite3_bind_double(ins, 4, v);
            }
        }
        if (c_rule >= 0) {
            size_t rlen;
            const char *rule = cl_csv_field(r, (size_t)c_rule, &rlen);
            if (rlen > 0) sqlite3_bind_text(ins, 5, rule, (int)rlen, SQLITE_TRANSIENT);
        }
        if ((st = step_done(b, ins)) != CL_OK) goto done;
        b->links++;
    }
    if (st == CL_END) st = CL_OK;
done:
    sqlite3_finalize(ins);
    cl_csv_close(r);
    return st;
}

/* ---- payloads ----------------------------------------------------------- */

static void sanitise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < cap; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

static int same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
        if (x == '\0') return 1;
    }
}

/* Make `name` unique among `taken` (case-insensitively, as SQLite compares
 * names) by appending _2, _3, ... */
static void make_unique(char *name, size_t cap, const char *const *taken, size_t ntaken)
{
    char base[128];
    snprintf(base, sizeof base, "%s", name);
    for (int k = 2;; k++) {
        int clash = 0;
        for (size_t i = 0; i < ntaken && !clash; i++) clash = same_name(name, taken[i]);
        if (!clash) return;
        snprintf(name, cap, "%.100s_%d", base, k);
    }
}

/* Main date column and event detail for the synthetic sources. */
static const struct {
    const char *source, *date, *event, *detail;
} known_events[] = {
    {"hes_apc", "ADMIDATE", "hospital_admission", "DIAG_4_01"},
    {"ecds", "ARRIVAL_DATE", "ed_attendance", "EC_DIAGNOSIS_01"},
    {"camhs", "REFERRAL_DATE", "camhs_referral", "PRIMARY_REASON_FOR_REFERRAL"},
    {"npd_census", "CensusDate", "school_census", "NCyearActual"},
    {"npd_exclusions", "StartDate", "exclusion", "Category"},
    {"csc_cin", "CINreferralDate", "cin_referral", "PrimaryNeedCode"},
    {"csc_cla", "DECOM", "cla_episode", "PLACE"},
};
#define N_KNOWN (sizeof known_events / sizeof known_events[0])

static int contains_date_word(const char *name)
{
    char sq[256];
    squash(name, sq, sizeof sq);
    return strstr(sq, "date") != NULL;
}

/* Pass 1: header checks and type inference.  Fills b->cols (content columns
 * in file order; the key column is skipped) and *key_col, *rows. */
static cl_status scan_payload(builder *b, const cl_store_payload *p, int *key_col,
                              long long *rows)
{
    cl_csv_reader *r = NULL;
    cl_status st = cl_csv_open(&r, p->path, 0, b->err);
    if (st != CL_OK) return st;
    *rows = 0;
    st = cl_csv_next(r, b->err);
    if (st == CL_END) {
        st = cl_error_set(b->err, CL_EFORMAT, p->path, 0, "empty file: no header");
        goto done;
    }
    if (st != CL_OK) goto done;
    size_t ncol = cl_csv_nfields(r);
    if (b->opt->key_column) {
        *key_col = find_column(r, b->opt->key_column);
    } else {
        *key_col = find_column(r, "record_token");
        if (*key_col < 0) *key_col = find_column(r, "record_id");
    }
    if (*key_col < 0) {
        st = cl_error_set(b->err, CL_EFORMAT, p->path, cl_csv_line(r), "no key column %s",
                          b->opt->key_column ? b->opt->key_column
                                             : "record_token (or record_id)");
        goto done;
    }
    if (cl_store_is_identifier_column(cl_csv_field(r, (size_t)*key_col, NULL))) {
        st = cl_error_set(b->err, CL_EFORMAT, p->path, cl_csv_line(r),
                          "key column %s looks like a personal identifier",
                          cl_csv_field(r, (size_t)*key_col, NULL));
        goto done;
    }
    if (ncol - 1 > b->cols_cap) {
        column *c = cl_realloc(b->cols, ncol * sizeof *c);
        if (c == NULL) { st = nomem(b); goto done; }
        b->cols = c;
        b->cols_cap = ncol;
    }
    b->ncols = 0;
    const char *taken[2 + 4096];
    size_t ntaken = 0;
    taken[ntaken++] = "record_token";
    taken[ntaken++] = "child_id";
    for (size_t i = 0; i < ncol; i++) {
        if ((int)i == *key_col) continue;
        const char *name = cl_csv_field(r, i, NULL);
        if (cl_store_is_identifier_column(name)) {
            st = cl_error_set(b->err, CL_EFORMAT, p->path, cl_csv_line(r),
                              "column %s looks like a personal identifier (date of birth, "
                              "name, postcode, NHS number or UPN); payloads must not hold them",
                              name);
            goto done;
        }
        column *c = &b->cols[b->ncols++];
        memset(c, 0, sizeof *c);
        sanitise(name, c->name, sizeof c->name);
        if (c->name[0] == '\0') snprintf(c->name, sizeof c->name, "column_%zu", i + 1);
        if (ntaken < sizeof taken / sizeof taken[0]) {
            make_unique(c->name, sizeof c->name, taken, ntaken);
            taken[ntaken++] = c->name;
        }
        c->spine = spine_role(name);
        /* Remember "date" in the name for the yyyymmdd rule via a flag in type. */
        c->type = CL_STORE_EMPTY;
    }
    /* Whether each column's name allows yyyymmdd dates. */
    unsigned char *date_named = cl_calloc(ncol + 1, 1);
    if (date_named == NULL) { st = nomem(b); goto done; }
    for (size_t i = 0, k = 0; i < ncol; i++) {
        if ((int)i == *key_col) continue;
        date_named[k++] = (unsigned char)contains_date_word(cl_csv_field(r, i, NULL));
    }
    while ((st = cl_csv_next(r, b->err)) == CL_OK) {
        if (cl_csv_nfields(r) != ncol) {
            st = cl_error_set(b->err, CL_EFORMAT, p->path, cl_csv_line(r),
                              "%zu fields, header has %zu", cl_csv_nfields(r), ncol);
            break;
        }
        for (size_t i = 0, k = 0; i < ncol; i++) {
            if ((int)i == *key_col) continue;
            size_t len;
            const char *v = cl_csv_field(r, i, &len);
            b->cols[k].type = cl_store_type_merge(b->cols[k].type, cl_store_value_type(v, len));
            k++;
        }
        (*rows)++;
    }
    if (st == CL_END) {
        st = CL_OK;
        for (size_t k = 0; k < b->ncols; k++)
            if (b->cols[k].type == CL_STORE_DATE8)
                b->cols[k].type = date_named[k] ? CL_STORE_DATE : CL_STORE_INTEGER;
    }
    cl_free(date_named);
done:
    cl_csv_close(r);
    return st;
}

static const char *decl_type(cl_store_type t)
{
    switch (t) {
    case CL_STORE_INTEGER: return "INTEGER";
    case CL_STORE_REAL: return "REAL";
    default: return "TEXT";
    }
}

static void spine_update(builder *b, child_info *c, int role, const char *v, size_t len)
{
    if (len == 0) return;
    switch (role) {
    case SPINE_SEX:
        if (c->sex) return;
        if (len == 1 && (v[0] == 'M' || v[0] == 'm' || v[0] == '1')) c->sex = 'M';
        else if (len == 1 && (v[0] == 'F' || v[0] == 'f' || v[0] == '2')) c->sex = 'F';
        return;
    case SPINE_YEAR:
        if (!c->birth_year && len == 4 && all_digits(v, 4) && num(v, 4) >= 1800)
            c->birth_year = num(v, 4);
        return;
    case SPINE_MONTH:
        if (!c->birth_month && len <= 2 && all_digits(v, len) && num(v, len) >= 1 &&
            num(v, len) <= 12)
            c->birth_month = (signed char)num(v, len);
        return;
    case SPINE_DECILE:
        if (!c->decile && len <= 2 && all_digits(v, len) && num(v, len) >= 1 &&
            num(v, len) <= 10)
            c->decile = (signed char)num(v, len);
        return;
    case SPINE_ETHNIC:
        if (c->ethnic_off < 0) c->ethnic_off = sbuf_add(&b->names, v, len);
        return;
    default:
        return;
    }
}

/* Pass 2: create the table, insert the rows, index it. */
static cl_status load_payload(builder *b, const cl_store_payload *p, const char *table,
                              int key_col, long long *unmatched)
{
    cl_csv_reader *r = NULL;
    sqlite3_stmt *ins = NULL;
    sqlite3_str *sql = sqlite3_str_new(b->db);
    char *text = NULL;
    cl_status st;
    *unmatched = 0;

    sqlite3_str_appendf(sql, "CREATE TABLE \"%w\" (record_token TEXT, child_id TEXT", table);
    for (size_t k = 0; k < b->ncols; k++)
        sqlite3_str_appendf(sql, ", \"%w\" %s", b->cols[k].name, decl_type(b->cols[k].type));
    sqlite3_str_appendall(sql, ")");
    if ((text = sqlite3_str_finish(sql)) == NULL) return nomem(b);
    sql = NULL;
    if ((st = exec(b, text)) != CL_OK) goto done;
    sqlite3_free(text);
    sql = sqlite3_str_new(b->db);
    sqlite3_str_appendf(sql, "INSERT INTO \"%w\" VALUES (?,?", table);
    for (size_t k = 0; k < b->ncols; k++) sqlite3_str_appendall(sql, ",?");
    sqlite3_str_appendall(sql, ")");
    if ((text = sqlite3_str_finish(sql)) == NULL) return nomem(b);
    sql = NULL;
    if ((st = prepare(b, text, &ins)) != CL_OK) goto done;

    if ((st = cl_csv_open(&r, p->path, 0, b->err)) != CL_OK) goto done;
    if ((st = cl_csv_next(r, b->err)) != CL_OK) goto done;   /* header, checked */
    size_t ncol = cl_csv_nfields(r);
    long long n = 0;
    while ((st = cl_csv_next(r, b->err)) == CL_OK) {
        if (cl_csv_nfields(r) != ncol) {   /* the file changed under us */
            st = cl_error_set(b->err, CL_EFORMAT, p->path, cl_csv_line(r),
                              "%zu fields, header has %zu", cl_csv_nfields(r), ncol);
            goto done;
        }
        size_t klen, keylen;
        const char *tok = cl_csv_field(r, (size_t)key_col, &klen);
        const char *key = make_key(b, p->source, tok, klen, &keylen);
        if (key == NULL) { st = nomem(b); goto done; }
        int64_t ci = -1;
        child_info *c = NULL;
        if (klen > 0 && cl_strmap_get(b->records, key, keylen, &ci)) c = &b->child[ci];
        sqlite3_bind_text(ins, 1, tok, (int)klen, SQLITE_TRANSIENT);
        if (!c) (*unmatched)++;
        for (size_t i = 0, k = 0; i < ncol; i++) {
            if ((int)i == key_col) continue;
            size_t len;
            const char *v = cl_csv_field(r, i, &len);
            int pos = (int)k + 3;
            const column *col = &b->cols[k++];
            if (c && col->spine) {
                spine_update(b, c, col->spine, v, len);
                if (c->ethnic_off == -1 && col->spine == SPINE_ETHNIC && len > 0) {
                    st = nomem(b);
                    goto done;
                }
            }
            if (len == 0) continue;   /* NULL */
            char iso[11];
            switch (col->type) {
            case CL_STORE_INTEGER:
                sqlite3_bind_int64(ins, pos, strtoll(v, NULL, 10));
                break;
            case CL_STORE_REAL:
                sqlite3_bind_double(ins, pos, strtod(v, NULL));
                break;
            case CL_STORE_DATE:
                cl_store_date_iso(v, len, iso);
                sqlite3_bind_text(ins, pos, iso, 10, SQLITE_TRANSIENT);
                break;
            default:
                sqlite3_bind_text(ins, pos, v, (int)len, SQLITE_TRANSIENT);
                break;
            }
        }
        /* Bound only now: spine_update may grow b->names (a new ethnic
         * group), which would leave a pointer bound earlier dangling. */
        if (c) sqlite3_bind_text(ins, 2, b->names.data + c->id_off, -1, SQLITE_STATIC);
        if ((st = step_done(b, ins)) != CL_OK) goto done;
        if (++n % PROGRESS_EVERY == 0) progress(b, "%s: %lld rows", p->source, n);
    }
    if (st != CL_END) goto done;
    st = CL_OK;
    sqlite3_free(text);
    text = sqlite3_mprintf("CREATE INDEX \"%w_child_id\" ON \"%w\" (child_id)", table, table);
    if (text == NULL) { st = nomem(b); goto done; }
    if ((st = exec(b, text)) != CL_OK) goto done;
    for (size_t k = 0; k < b->ncols; k++) {
        if (b->cols[k].type != CL_STORE_DATE) continue;
        sqlite3_free(text);
        text = sqlite3_mprintf("CREATE INDEX \"%w_%w\" ON \"%w\" (\"%w\")", table,
                               b->cols[k].name, table, b->cols[k].name);
        if (text == NULL) { st = nomem(b); goto done; }
        if ((st = exec(b, text)) != CL_OK) goto done;
    }
done:
    if (sql) sqlite3_free(sqlite3_str_finish(sql));
    sqlite3_free(text);
    sqlite3_finalize(ins);
    cl_csv_close(r);
    return st;
}

/* Append this payload's part of the timeline view (columns are still those
 * of the payload just loaded). */
static void timeline_part(builder *b, sqlite3_str *view, const char *source, const char *table)
{
    const char *date = NULL, *detail = NULL, *event = source;
    for (size_t i = 0; i < N_KNOWN; i++) {
        if (strcmp(known_events[i].source, source) != 0) continue;
        for (size_t k = 0; k < b->ncols; k++) {
            if (b->cols[k].type == CL_STORE_DATE && same_name(b->cols[k].name, known_events[i].date))
                date = b->cols[k].name;
            if (same_name(b->cols[k].name, known_events[i].detail)) detail = b->cols[k].name;
        }
        event = known_events[i].event;
    }
    for (size_t k = 0; k < b->ncols && date == NULL; k++)
        if (b->cols[k].type == CL_STORE_DATE) date = b->cols[k].name;
    if (date == NULL) return;
    if (sqlite3_str_length(view) > 0) sqlite3_str_appendall(view, "\n  UNION ALL\n  ");
    sqlite3_str_appendf(view, "SELECT child_id, \"%w\" AS event_date, %Q AS source, %Q AS event_type, ",
                        date, source, event);
    if (detail) sqlite3_str_appendf(view, "CAST(\"%w\" AS TEXT) AS detail", detail);
    else sqlite3_str_appendall(view, "NULL AS detail");
    sqlite3_str_appendf(view, ", rowid AS seq FROM \"%w\" WHERE child_id IS NOT NULL AND \"%w\" IS NOT NULL",
                        table, date);
}

static cl_status write_children(builder *b)
{
    sqlite3_stmt *ins = NULL;
    cl_status st = prepare(b, "INSERT INTO child VALUES (?,?,?,?,?,?)", &ins);
    for (size_t i = 0; st == CL_OK && i < b->nchild; i++) {
        const child_info *c = &b->child[i];
        sqlite3_bind_text(ins, 1, b->names.data + c->id_off, -1, SQLITE_STATIC);
        if (c->sex) sqlite3_bind_text(ins, 2, c->sex == 'M' ? "M" : "F", 1, SQLITE_STATIC);
        if (c->birth_year) sqlite3_bind_int(ins, 3, c->birth_year);
        if (c->birth_month) sqlite3_bind_int(ins, 4, c->birth_month);
        if (c->ethnic_off >= 0)
            sqlite3_bind_text(ins, 5, b->names.data + c->ethnic_off, -1, SQLITE_STATIC);
        if (c->decile) sqlite3_bind_int(ins, 6, c->decile);
        st = step_done(b, ins);
    }
    sqlite3_finalize(ins);
    return st;
}

static cl_status info(builder *b, sqlite3_stmt *ins, const char *item, const char *source,
                      const char *text, long long value)
{
    sqlite3_bind_text(ins, 1, item, -1, SQLITE_STATIC);
    if (source) sqlite3_bind_text(ins, 2, source, -1, SQLITE_STATIC);
    if (text) sqlite3_bind_text(ins, 3, text, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(ins, 3, value);
    return step_done(b, ins);
}

static cl_status write_info(builder *b)
{
    sqlite3_stmt *ins = NULL;
    const cl_store_options *o = b->opt;
    cl_status st = prepare(b, "INSERT INTO build_info VALUES (?,?,?)", &ins);
    if (st == CL_OK) st = info(b, ins, "format", NULL, STORE_FORMAT, 0);
    if (st == CL_OK) st = info(b, ins, "childlink_version", NULL, CL_VERSION, 0);
    if (st == CL_OK) st = info(b, ins, "linkmap", NULL, o->linkmap_path, 0);
    if (st == CL_OK) st = info(b, ins, "linkmap_records", NULL, NULL, b->links);
    if (st == CL_OK) st = info(b, ins, "children", NULL, NULL, (long long)b->nchild);
    for (size_t i = 0; st == CL_OK && i < o->npayloads; i++) {
        const cl_store_table_count *t = &b->sum.tables[i + 2];
        st = info(b, ins, "payload", t->source, o->payloads[i].path, 0);
        if (st == CL_OK) st = info(b, ins, "table", t->source, t->table, 0);
        if (st == CL_OK) st = info(b, ins, "payload_rows", t->source, NULL, t->rows);
        if (st == CL_OK) st = info(b, ins, "unmatched_rows", t->source, NULL, t->unmatched);
    }
    sqlite3_finalize(ins);
    return st;
}

static const char *const base_schema =
    "CREATE TABLE child (child_id TEXT PRIMARY KEY, sex TEXT, birth_year INTEGER,"
    " birth_month INTEGER, ethnic_group TEXT, deprivation_decile INTEGER);"
    "CREATE TABLE source_record (source TEXT NOT NULL, record_token TEXT NOT NULL,"
    " child_id TEXT NOT NULL, match_probability REAL, link_rule TEXT);"
    "CREATE TABLE build_info (item TEXT NOT NULL, source TEXT, value);";

static int reserved_table(const char *name)
{
    static const char *const reserved[] = {"child", "source_record", "build_info",
                                           "child_timeline", NULL};
    for (size_t i = 0; reserved[i]; i++)
        if (same_name(name, reserved[i])) return 1;
    char sq[16];
    snprintf(sq, sizeof sq, "%.7s", name);
    return same_name(sq, "sqlite_");
}

static cl_status build_all(builder *b)
{
    const cl_store_options *o = b->opt;
    cl_status st;
    if ((st = exec(b, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN")) != CL_OK ||
        (st = exec(b, base_schema)) != CL_OK)
        return st;
    progress(b, "reading link map %s", o->linkmap_path);
    if ((st = read_linkmap(b)) != CL_OK) return st;
    if ((st = exec(b, "CREATE INDEX source_record_child_id ON source_record (child_id);"
                      "CREATE INDEX source_record_token ON source_record (source, record_token)")) != CL_OK)
        return st;
    progress(b, "%lld linked records, %zu children", b->links, b->nchild);
    if ((st = add_count(b, "child", "", (long long)b->nchild, 0)) != CL_OK ||
        (st = add_count(b, "source_record", "", b->links, 0)) != CL_OK)
        return st;

    b->tables = cl_calloc(o->npayloads + 1, sizeof *b->tables);
    sqlite3_str *view = sqlite3_str_new(b->db);
    for (size_t i = 0; i < o->npayloads; i++) {
        const cl_store_payload *p = &o->payloads[i];
        if (b->tables == NULL) { st = nomem(b); break; }
        if (!cl_strmap_get(b->sources, p->source, strlen(p->source), NULL)) {
            st = cl_error_set(b->err, CL_EFORMAT, p->path, 0,
                              "source %s does not appear in the link map %s", p->source,
                              o->linkmap_path);
            break;
        }
        char *name = b->tables[i];
        sanitise(p->source, name, sizeof b->tables[i]);
        if (is_digit(name[0]) || reserved_table(name)) {
            char tmp[128];
            snprintf(tmp, sizeof tmp, "src_%.100s", name);
            memcpy(name, tmp, sizeof tmp);
        }
        const char *taken[1024];
        size_t ntaken = 0;
        for (size_t j = 0; j < i && ntaken < 1024; j++) taken[ntaken++] = b->tables[j];
        make_unique(name, sizeof b->tables[i], taken, ntaken);
        int key_col = -1;
        long long rows = 0, unmatched = 0;
        progress(b, "%s: checking %s", p->source, p->path);
        if ((st = scan_payload(b, p, &key_col, &rows)) != CL_OK) break;
        progress(b, "%s: loading %lld rows into table %s", p->source, rows, name);
        if ((st = load_payload(b, p, name, key_col, &unmatched)) != CL_OK) break;
        if (unmatched > 0)
            progress(b, "%s: %lld of %lld rows have no record in the link map (kept, child_id NULL)",
                     p->source, unmatched, rows);
        if ((st = add_count(b, name, p->source, rows, unmatched)) != CL_OK) break;
        timeline_part(b, view, p->source, name);
    }
    int empty_view = sqlite3_str_length(view) == 0;
    char *parts = sqlite3_str_finish(view);
    if (st != CL_OK) {
        sqlite3_free(parts);
        return st;
    }
    char *sql;
    if (empty_view)
        sql = sqlite3_mprintf("CREATE VIEW child_timeline AS SELECT NULL AS child_id,"
                              " NULL AS event_date, NULL AS source, NULL AS event_type,"
                              " NULL AS detail WHERE 0");
    else
        sql = sqlite3_mprintf("CREATE VIEW child_timeline AS\n"
                              "SELECT child_id, event_date, source, event_type, detail FROM (\n  %s\n)\n"
                              "ORDER BY child_id, event_date, source, seq",
                              parts ? parts : "");
    sqlite3_free(parts);
    if (sql == NULL) return nomem(b);
    st = exec(b, sql);
    sqlite3_free(sql);
    if (st != CL_OK) return st;
    if ((st = write_children(b)) != CL_OK || (st = write_info(b)) != CL_OK) return st;
    return exec(b, "COMMIT");
}

void cl_store_summary_free(cl_store_summary *summary)
{
    if (summary == NULL) return;
    cl_free(summary->tables);
    summary->tables = NULL;
    summary->ntables = 0;
}

cl_status cl_store_build(const cl_store_options *opt, cl_store_summary *summary, cl_error *err)
{
    if (summary) { summary->tables = NULL; summary->ntables = 0; }
    if (opt == NULL || opt->linkmap_path == NULL || opt->out_path == NULL ||
        (opt->npayloads > 0 && opt->payloads == NULL))
        return cl_error_set(err, CL_EINVAL, NULL, 0, "build needs a link map and an output");
    for (size_t i = 0; i < opt->npayloads; i++) {
        if (opt->payloads[i].source == NULL || opt->payloads[i].source[0] == '\0' ||
            opt->payloads[i].path == NULL)
            return cl_error_set(err, CL_EINVAL, NULL, 0, "payload %zu has no source name", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(opt->payloads[i].source, opt->payloads[j].source) == 0)
                return cl_error_set(err, CL_EINVAL, NULL, 0, "source %s given twice",
                                    opt->payloads[i].source);
    }
    struct stat sb;
    if (!opt->force && stat(opt->out_path, &sb) == 0)
        return cl_error_set(err, CL_EEXIST, opt->out_path, 0,
                            "output exists (use --force to replace it)");

    builder b;
    memset(&b, 0, sizeof b);
    b.opt = opt;
    b.err = err;
    cl_status st = CL_OK;
    size_t plen = strlen(opt->out_path);
    b.tmp_path = cl_malloc(plen + 16);
    b.records = cl_strmap_new();
    b.children = cl_strmap_new();
    b.sources = cl_strmap_new();
    if (b.tmp_path == NULL || b.records == NULL || b.children == NULL || b.sources == NULL) {
        st = nomem(&b);
        goto done;
    }
    snprintf(b.tmp_path, plen + 16, "%s.tmp.XXXXXX", opt->out_path);
    int fd = mkstemp(b.tmp_path);
    if (fd < 0) {
        st = cl_error_set(err, CL_EIO, opt->out_path, 0, "cannot create a temporary file: %s",
                          strerror(errno));
        b.tmp_path[0] = '\0';
        goto done;
    }
    /* mkstemp makes 0600; the database gets the usual umask-based mode, as
     * every other output does (outfile.c). */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        st = cl_error_set(err, CL_EIO, opt->out_path, 0, "cannot set the file mode: %s",
                          strerror(errno));
        close(fd);
        goto done;
    }
    close(fd);
    if (sqlite3_open_v2(b.tmp_path, &b.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        st = db_fail(&b, "cannot open database");
        goto done;
    }
    if ((st = build_all(&b)) != CL_OK) goto done;
    if (sqlite3_close(b.db) != SQLITE_OK) {
        st = db_fail(&b, "cannot close database");
        goto done;
    }
    b.db = NULL;
    if (opt->force) {
        if (rename(b.tmp_path, opt->out_path) != 0)
            st = cl_error_set(err, CL_EIO, opt->out_path, 0, "cannot rename into place: %s",
                              strerror(errno));
    } else if (link(b.tmp_path, opt->out_path) != 0) {
        /* link(2) refuses to replace a file that appeared meanwhile. */
        st = errno == EEXIST
                 ? cl_error_set(err, CL_EEXIST, opt->out_path, 0,
                                "output exists (use --force to replace it)")
                 : cl_error_set(err, CL_EIO, opt->out_path, 0, "cannot move into place: %s",
                                strerror(errno));
    } else {
        unlink(b.tmp_path);
    }
done:
    if (b.db) sqlite3_close(b.db);
    if (b.tmp_path && b.tmp_path[0]) unlink(b.tmp_path);
    cl_free(b.tmp_path);
    cl_strmap_free(b.records);
    cl_strmap_free(b.children);
    cl_strmap_free(b.sources);
    cl_free(b.child);
    cl_free(b.names.data);
    cl_free(b.key.data);
    cl_free(b.tables);
    cl_free(b.cols);
    if (st == CL_OK && summary) *summary = b.sum;
    else cl_free(b.sum.tables);
    return st;
}
