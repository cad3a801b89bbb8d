/*
 * report_data.c - read what the report needs from the linked database into
 * compact arrays, once, so that each analysis is a few loops in memory
 * rather than a family of SQL joins.
 *
 * Why arrays and not SQL: the analyses cross sources by child and by school
 * year (an admission belongs to the school year of its date, a pupil-year
 * is exposed to a condition diagnosed in an earlier school year), which in
 * SQL means correlated joins over text child ids; in memory it is a sort and
 * a merge.  A 20,000-child database is about 400,000 link-map rows and
 * 250,000 source rows: a few MiB here, read in well under a second.
 *
 * Tables are found by the names `childlink build` gives the documented
 * sources (docs/synthetic-data.md, docs/database.md), columns by name
 * ignoring case.  A table or column that is absent leaves its have_* flag
 * unset and the analyses that need it say so; rows that cannot be used (no
 * child, a date that is not a date, a school year outside reception to year
 * 11) are counted and reported, never silently dropped.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "childlink/date.h"
#include "report_internal.h"

const char *const rp_domain_names[RP_N_DOMAINS] = {"Health", "Education", "Social care",
                                                   "Mental health"};

static int has_prefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

rp_domain rp_source_domain(const char *source)
{
    if (has_prefix(source, "hes") || has_prefix(source, "ecds") || has_prefix(source, "apc"))
        return RP_HEALTH;
    if (has_prefix(source, "npd"))
        return RP_EDUCATION;
    if (has_prefix(source, "csc") || has_prefix(source, "cin") || has_prefix(source, "cla"))
        return RP_SOCIAL_CARE;
    if (has_prefix(source, "camhs") || has_prefix(source, "mhsds"))
        return RP_MENTAL_HEALTH;
    return RP_NO_DOMAIN;
}

const char *rp_year_label(int group)
{
    static const char *const labels[] = {"R", "1", "2", "3", "4", "5",
                                         "6", "7", "8", "9", "10", "11"};
    return group >= 0 && group <= 11 ? labels[group] : "?";
}

int rp_academic_year(int32_t day)
{
    int y, m, d;
    cl_date_to_ymd(day, &y, &m, &d);
    return m >= 9 ? y : y - 1;
}

/* ---- schema look-ups ---------------------------------------------------- */

int rp_db_has_table(rp_ctx *c, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
                           "AND name = ?1 COLLATE NOCASE",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

int rp_db_find_column(rp_ctx *c, const char *table, const char *col, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT name FROM pragma_table_info(?1)", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) == SQLITE_OK) {
        while (!found && sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            if (name && strcasecmp(name, col) == 0) {
                snprintf(out, size, "%s", name);
                found = 1;
            }
        }
    }
    sqlite3_finalize(st);
    return found;
}

/* ---- small parsers ------------------------------------------------------ */

/* "yyyy-mm-dd" (as the database stores dates) to a day number. */
static int parse_iso(const unsigned char *s, int32_t *day)
{
    if (s == NULL || strlen((const char *)s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit(s[i]))
            return -1;
    int y = atoi((const char *)s), m = atoi((const char *)s + 5), d = atoi((const char *)s + 8);
    if (!cl_date_is_valid_ymd(y, m, d))
        return -1;
    *day = cl_date_from_ymd(y, m, d);
    return 0;
}

/* NCyearActual: "R" reception is 0, "1".."11"; -1 for anything else
 * (nursery, sixth form, unknown). */
static int parse_group(const unsigned char *s)
{
    if (s == NULL)
        return -1;
    if ((s[0] == 'R' || s[0] == 'r') && s[1] == '\0')
        return 0;
    char *end;
    long v = strtol((const char *)s, &end, 10);
    if (end == (const char *)s || *end != '\0' || v < 1 || v > 11)
        return -1;
    return (int)v;
}

/* AcademicYear "2015/16" or "2015" to 2015; -1 if neither. */
static int parse_academic(const unsigned char *s)
{
    if (s == NULL || !isdigit(s[0]) || !isdigit(s[1]) || !isdigit(s[2]) || !isdigit(s[3]))
        return -1;
    if (s[4] != '\0' && s[4] != '/' && s[4] != '-')
        return -1;
    int y = atoi((const char *)s);
    return y >= 1900 && y <= 2200 ? y : -1;
}

/* ---- loading ------------------------------------------------------------ */

static cl_status prepare(rp_ctx *c, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return rp_db_fail(c, "cannot read the database");
    }
    return CL_OK;
}

/* Grow an array of `size`-byte elements to hold n + 1; 0 on success. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t cap2 = *cap ? *cap * 2 : 1024;
    void *p = cl_realloc(*arr, cap2 * size);
    if (p == NULL)
        return -1;
    *arr = p;
    *cap = cap2;
    return 0;
}

static int32_t child_of(const rp_data *d, sqlite3_stmt *st, int col)
{
    const char *id = (const char *)sqlite3_column_text(st, col);
    int64_t v;
    if (id == NULL || !cl_strmap_get(d->children, id, strlen(id), &v))
        return -1;
    return (int32_t)v;
}

/* Index of `name` in a growing list of strings (added when new). */
static int32_t intern(char ***names, size_t *n, size_t *cap, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return (int32_t)i;
    if (grow((void **)names, cap, *n, sizeof **names) != 0)
        return -2;
    char *copy = cl_strndup(name, strlen(name));
    if (copy == NULL)
        return -2;
    (*names)[*n] = copy;
    return (int32_t)(*n)++;
}

static cl_status load_children(rp_ctx *c)
{
    rp_data *d = &c->data;
    sqlite3_stmt *st = NULL;
    cl_status rc = prepare(c, "SELECT count(*) FROM child", &st);
    if (rc != CL_OK)
        return rc;
    size_t n = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    d->children = cl_strmap_new();
    size_t alloc = n ? n : 1;
    d->sex = cl_calloc(alloc, 1);
    d->birth_year = cl_calloc(alloc, sizeof *d->birth_year);
    d->decile = cl_calloc(alloc, sizeof *d->decile);
    d->ethnic = cl_calloc(alloc, sizeof *d->ethnic);
    if (d->children == NULL || d->sex == NULL || d->birth_year == NULL || d->decile == NULL ||
        d->ethnic == NULL || cl_strmap_reserve(d->children, n) != 0)
        return rp_nomem(c);
    if ((rc = prepare(c, "SELECT child_id, sex, birth_year, ethnic_group, deprivation_decile "
                         "FROM child", &st)) != CL_OK)
        return rc;
    size_t ecap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && d->nchildren < n) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (id == NULL)
            continue;
        int put = cl_strmap_put(d->children, id, strlen(id), (int64_t)d->nchildren, NULL);
        if (put < 0) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
        if (put == 0)
            continue;
        size_t i = d->nchildren++;
        const char *sex = (const char *)sqlite3_column_text(st, 1);
        d->sex[i] = sex && (sex[0] == 'M' || sex[0] == 'F') && sex[1] == '\0' ? sex[0] : 0;
        int64_t by = sqlite3_column_int64(st, 2);
        d->birth_year[i] = sqlite3_column_type(st, 2) == SQLITE_INTEGER && by >= 1900 && by <= 2200
                               ? (int16_t)by : 0;
        int64_t dec = sqlite3_column_int64(st, 4);
        d->decile[i] = sqlite3_column_type(st, 4) == SQLITE_INTEGER && dec >= 1 && dec <= 10
                           ? (int8_t)dec : 0;
        const char *eth = (const char *)sqlite3_column_text(st, 3);
        d->ethnic[i] = -1;
        if (eth && eth[0]) {
            int32_t e = intern(&d->ethnic_names, &d->nethnic, &ecap, eth);
            if (e < -1) {
                sqlite3_finalize(st);
                return rp_nomem(c);
            }
            d->ethnic[i] = e;
        }
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        return rp_db_fail(c, "cannot read table child");
    return CL_OK;
}

static int cmp_source(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int dx = rp_source_domain(x), dy = rp_source_domain(y);
    /* Known domains in their order, then the others. */
    unsigned ux = (unsigned)dx, uy = (unsigned)dy;
    if (ux != uy)
        return ux < uy ? -1 : 1;
    return strcmp(x, y);
}

static cl_status load_link_map(rp_ctx *c)
{
    rp_data *d = &c->data;
    sqlite3_stmt *st = NULL;
    cl_status rc;
    /* Sources first, so that each gets its place in the sorted order. */
    if ((rc = prepare(c, "SELECT DISTINCT source FROM source_record", &st)) != CL_OK)
        return rc;
    size_t scap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (s == NULL)
            continue;
        if (intern(&d->sources, &d->nsources, &scap, s) < -1) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
    }
    sqlite3_finalize(st);
    if (d->nsources > 1)
        qsort(d->sources, d->nsources, sizeof *d->sources, cmp_source);
    d->source_domain = cl_calloc(d->nsources ? d->nsources : 1, sizeof *d->source_domain);
    cl_strmap *index = cl_strmap_new();
    if (d->source_domain == NULL || index == NULL) {
        cl_strmap_free(index);
        return rp_nomem(c);
    }
    for (size_t i = 0; i < d->nsources; i++) {
        d->source_domain[i] = rp_source_domain(d->sources[i]);
        if (cl_strmap_put(index, d->sources[i], strlen(d->sources[i]), (int64_t)i, NULL) < 0) {
            cl_strmap_free(index);
            return rp_nomem(c);
        }
    }
    if ((rc = prepare(c, "SELECT source, child_id, match_probability FROM source_record",
                      &st)) != CL_OK) {
        cl_strmap_free(index);
        return rc;
    }
    size_t cap = 0, cap_c = 0, cap_p = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        int64_t src;
        int32_t child = child_of(d, st, 1);
        if (s == NULL || !cl_strmap_get(index, s, strlen(s), &src) || child < 0)
            continue;
        if (grow((void **)&d->rec_source, &cap, d->nrecords, sizeof *d->rec_source) != 0 ||
            grow((void **)&d->rec_child, &cap_c, d->nrecords, sizeof *d->rec_child) != 0 ||
            grow((void **)&d->rec_prob, &cap_p, d->nrecords, sizeof *d->rec_prob) != 0) {
            sqlite3_finalize(st);
            cl_strmap_free(index);
            return rp_nomem(c);
        }
        d->rec_source[d->nrecords] = (int32_t)src;
        d->rec_child[d->nrecords] = child;
        d->rec_prob[d->nrecords] = sqlite3_column_type(st, 2) == SQLITE_NULL
                                       ? NAN : (float)sqlite3_column_double(st, 2);
        d->nrecords++;
    }
    sqlite3_finalize(st);
    cl_strmap_free(index);
    if (step != SQLITE_DONE)
        return rp_db_fail(c, "cannot read table source_record");
    return CL_OK;
}

/* Total orders (every field decides), so that qsort, which is not
 * stable, still gives the same order on every machine. */
static int cmp_pupil_year(const void *a, const void *b)
{
    const rp_pupil_year *x = a, *y = b;
    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    if (x->year != y->year)
        return x->year < y->year ? -1 : 1;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->la != y->la)
        return x->la < y->la ? -1 : 1;
    if (x->fsm != y->fsm)
        return x->fsm < y->fsm ? -1 : 1;
    return (x->sen > y->sen) - (x->sen < y->sen);
}

static int cmp_absence(const void *a, const void *b)
{
    const rp_absence *x = a, *y = b;
    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    if (x->year != y->year)
        return x->year < y->year ? -1 : 1;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->possible != y->possible)
        return x->possible < y->possible ? -1 : 1;
    return (x->missed > y->missed) - (x->missed < y->missed);
}

/* A column reference for SQL: the quoted real name, or NULL (written as
 * NULL) when the table lacks it. */
typedef struct colref {
    char name[128];
    int found;
} colref;

static void find(rp_ctx *c, const char *table, const char *col, colref *out)
{
    out->found = rp_db_find_column(c, table, col, out->name, sizeof out->name);
}

/* `"name"` for a found column, NULL otherwise (names come from the schema
 * itself, and `childlink build` allows only letters, digits and '_'). */
static const char *sqlcol(const colref *r, char *buf, size_t size)
{
    if (!r->found)
        return "NULL";
    snprintf(buf, size, "\"%s\"", r->name);
    return buf;
}

static void data_note(rp_ctx *c, const char *table, size_t rows, const char *why)
{
    if (rows)
        rp_note(c, "%s: %zu rows %s were left out.", table, rows, why);
}

static cl_status load_census(rp_ctx *c)
{
    rp_data *d = &c->data;
    if (!rp_db_has_table(c, "npd_census"))
        return CL_OK;
    colref child, ay, date, group, fsm, sen, la;
    find(c, "npd_census", "child_id", &child);
    find(c, "npd_census", "AcademicYear", &ay);
    find(c, "npd_census", "CensusDate", &date);
    find(c, "npd_census", "NCyearActual", &group);
    find(c, "npd_census", "FSMeligible", &fsm);
    find(c, "npd_census", "SENprovision", &sen);
    find(c, "npd_census", "LA", &la);
    if (!child.found || !group.found || (!ay.found && !date.found))
        return CL_OK;
    char sql[1024], b1[140], b2[140], b3[140], b4[140], b5[140], b6[140];
    snprintf(sql, sizeof sql, "SELECT child_id, %s, %s, %s, %s, %s, %s FROM npd_census",
             sqlcol(&ay, b1, sizeof b1), sqlcol(&date, b2, sizeof b2),
             sqlcol(&group, b3, sizeof b3), sqlcol(&fsm, b4, sizeof b4),
             sqlcol(&sen, b5, sizeof b5), sqlcol(&la, b6, sizeof b6));
    sqlite3_stmt *st = NULL;
    cl_status rc = prepare(c, sql, &st);
    if (rc != CL_OK)
        return rc;
    size_t cap = 0, lcap = 0, unlinked = 0, bad = 0, outside = 0;
    int32_t last_la = -1;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t ch = child_of(d, st, 0);
        if (ch < 0) {
            unlinked++;
            continue;
        }
        int year = parse_academic(sqlite3_column_text(st, 1));
        int32_t day;
        if (year < 0 && parse_iso(sqlite3_column_text(st, 2), &day) == 0)
            year = rp_academic_year(day);
        const unsigned char *g = sqlite3_column_text(st, 3);
        int grp = parse_group(g);
        if (year < 0 || g == NULL) {
            bad++;
            continue;
        }
        if (grp < 0) {
            outside++;
            continue;
        }
        if (grow((void **)&d->census, &cap, d->ncensus, sizeof *d->census) != 0) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
        rp_pupil_year *p = &d->census[d->ncensus++];
        p->child = ch;
        p->year = (int16_t)year;
        p->group = (int8_t)grp;
        p->fsm = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1
                 : sqlite3_column_int(st, 4) == 1           ? 1
                                                           : 0;
        const char *s = (const char *)sqlite3_column_text(st, 5);
        p->sen = s && (s[0] == 'N' || s[0] == 'K' || s[0] == 'E') && s[1] == '\0' ? s[0] : 0;
        const char *l = (const char *)sqlite3_column_text(st, 6);
        p->la = -1;
        if (l && l[0] && last_la >= 0 && strcmp(d->las[last_la], l) == 0) {
            p->la = last_la;   /* rows of a school come together: skip the search */
        } else if (l && l[0]) {
            int32_t i = intern(&d->las, &d->nlas, &lcap, l);
            if (i < -1) {
                sqlite3_finalize(st);
                return rp_nomem(c);
            }
            p->la = last_la = i;
        }
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return rp_db_fail(c, "cannot read table npd_census");
    if (d->ncensus > 1)
        qsort(d->census, d->ncensus, sizeof *d->census, cmp_pupil_year);
    d->have_census = 1;
    data_note(c, "npd_census", unlinked, "without a child_id (not in the link map)");
    data_note(c, "npd_census", bad, "without a usable academic year or year group");
    data_note(c, "npd_census", outside, "for years outside reception to year 11");
    return CL_OK;
}

static cl_status load_absence(rp_ctx *c)
{
    rp_data *d = &c->data;
    if (!rp_db_has_table(c, "npd_absence"))
        return CL_OK;
    colref child, ay, group, possible, auth, unauth;
    find(c, "npd_absence", "child_id", &child);
    find(c, "npd_absence", "AcademicYear", &ay);
    find(c, "npd_absence", "NCyearActual", &group);
    find(c, "npd_absence", "SessionsPossible", &possible);
    find(c, "npd_absence", "SessionsAuthorised", &auth);
    find(c, "npd_absence", "SessionsUnauthorised", &unauth);
    if (!child.found || !ay.found || !group.found || !possible.found ||
        (!auth.found && !unauth.found))
        return CL_OK;
    char sql[1024], b1[140], b2[140], b3[140], b4[140], b5[140];
    snprintf(sql, sizeof sql, "SELECT child_id, %s, %s, %s, %s, %s FROM npd_absence",
             sqlcol(&ay, b1, sizeof b1), sqlcol(&group, b2, sizeof b2),
             sqlcol(&possible, b3, sizeof b3), sqlcol(&auth, b4, sizeof b4),
             sqlcol(&unauth, b5, sizeof b5));
    sqlite3_stmt *st = NULL;
    cl_status rc = prepare(c, sql, &st);
    if (rc != CL_OK)
        return rc;
    size_t cap = 0, unlinked = 0, bad = 0, outside = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t ch = child_of(d, st, 0);
        if (ch < 0) {
            unlinked++;
            continue;
        }
        int year = parse_academic(sqlite3_column_text(st, 1));
        const unsigned char *g = sqlite3_column_text(st, 2);
        int grp = parse_group(g);
        int64_t poss = sqlite3_column_int64(st, 3);
        int64_t a = sqlite3_column_int64(st, 4), u = sqlite3_column_int64(st, 5);
        if (year < 0 || g == NULL || sqlite3_column_type(st, 3) != SQLITE_INTEGER ||
            poss <= 0 || a < 0 || u < 0 || a + u > poss) {
            bad++;
            continue;
        }
        if (grp < 0) {
            outside++;
            continue;
        }
        if (grow((void **)&d->absence, &cap, d->nabsence, sizeof *d->absence) != 0) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
        rp_absence *p = &d->absence[d->nabsence++];
        p->child = ch;
        p->year = (int16_t)year;
        p->group = (int8_t)grp;
        p->possible = poss;
        p->missed = a + u;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return rp_db_fail(c, "cannot read table npd_absence");
    if (d->nabsence > 1)
        qsort(d->absence, d->nabsence, sizeof *d->absence, cmp_absence);
    d->have_absence = 1;
    data_note(c, "npd_absence", unlinked, "without a child_id (not in the link map)");
    data_note(c, "npd_absence", bad, "without usable sessions, academic year or year group");
    data_note(c, "npd_absence", outside, "for years outside reception to year 11");
    return CL_OK;
}

static cl_status load_admissions(rp_ctx *c)
{
    rp_data *d = &c->data;
    if (!rp_db_has_table(c, "hes_apc"))
        return CL_OK;
    colref child, date, method;
    find(c, "hes_apc", "child_id", &child);
    find(c, "hes_apc", "ADMIDATE", &date);
    find(c, "hes_apc", "ADMIMETH", &method);
    if (!child.found || !date.found)
        return CL_OK;
    /* Every diagnosis column: DIAG_4_01, DIAG_4_02, ... (HES), in order. */
    rp_buf sql = {0};
    char b1[140], b2[140];
    rp_buf_printf(&sql, "SELECT child_id, %s, %s", sqlcol(&date, b1, sizeof b1),
                  sqlcol(&method, b2, sizeof b2));
    sqlite3_stmt *st = NULL;
    int ndiag = 0;
    cl_status rc = prepare(c, "SELECT name FROM pragma_table_info('hes_apc') ORDER BY cid", &st);
    if (rc != CL_OK) {
        rp_buf_free(&sql);
        return rc;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (name && strncasecmp(name, "DIAG", 4) == 0) {
            rp_buf_printf(&sql, ", \"%s\"", name);
            ndiag++;
        }
    }
    sqlite3_finalize(st);
    rp_buf_puts(&sql, " FROM hes_apc");
    if (sql.failed) {
        rp_buf_free(&sql);
        return rp_nomem(c);
    }
    rc = prepare(c, sql.data, &st);
    rp_buf_free(&sql);
    if (rc != CL_OK)
        return rc;
    size_t cap = 0, unlinked = 0, bad = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t ch = child_of(d, st, 0);
        int32_t day;
        if (ch < 0) {
            unlinked++;
            continue;
        }
        if (parse_iso(sqlite3_column_text(st, 1), &day) != 0) {
            bad++;
            continue;
        }
        if (grow((void **)&d->admissions, &cap, d->nadmissions, sizeof *d->admissions) != 0) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
        rp_admission *a = &d->admissions[d->nadmissions++];
        a->child = ch;
        a->day = day;
        const char *m = (const char *)sqlite3_column_text(st, 2);
        snprintf(a->method, sizeof a->method, "%s", m && strlen(m) <= 2 ? m : "");
        a->diag_off = (uint32_t)d->diag_text.len;
        for (int i = 0; i < ndiag; i++) {
            const char *code = (const char *)sqlite3_column_text(st, 3 + i);
            if (code && code[0] && strlen(code) < 16 && !strchr(code, ' ')) {
                rp_buf_puts(&d->diag_text, code);
                rp_buf_puts(&d->diag_text, " ");
            }
        }
        rp_buf_add(&d->diag_text, "", 0);
        /* Each admission's codes end with a NUL: keep it in the text. */
        d->diag_text.len++;
        if (d->diag_text.failed || d->diag_text.len > UINT32_MAX / 2) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return rp_db_fail(c, "cannot read table hes_apc");
    d->have_admissions = 1;
    data_note(c, "hes_apc", unlinked, "without a child_id (not in the link map)");
    data_note(c, "hes_apc", bad, "without a usable admission date");
    return CL_OK;
}

static cl_status load_camhs(rp_ctx *c)
{
    rp_data *d = &c->data;
    if (!rp_db_has_table(c, "camhs"))
        return CL_OK;
    colref child, date;
    find(c, "camhs", "child_id", &child);
    find(c, "camhs", "REFERRAL_DATE", &date);
    if (!child.found || !date.found)
        return CL_OK;
    char sql[256], b1[140];
    snprintf(sql, sizeof sql, "SELECT child_id, %s FROM camhs", sqlcol(&date, b1, sizeof b1));
    sqlite3_stmt *st = NULL;
    cl_status rc = prepare(c, sql, &st);
    if (rc != CL_OK)
        return rc;
    size_t cap = 0, unlinked = 0, bad = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t ch = child_of(d, st, 0);
        int32_t day;
        if (ch < 0) {
            unlinked++;
            continue;
        }
        if (parse_iso(sqlite3_column_text(st, 1), &day) != 0) {
            bad++;
            continue;
        }
        if (grow((void **)&d->camhs, &cap, d->ncamhs, sizeof *d->camhs) != 0) {
            sqlite3_finalize(st);
            return rp_nomem(c);
        }
        d->camhs[d->ncamhs].child = ch;
        d->camhs[d->ncamhs].day = day;
        d->ncamhs++;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return rp_db_fail(c, "cannot read table camhs");
    d->have_camhs = 1;
    data_note(c, "camhs", unlinked, "without a child_id (not in the link map)");
    data_note(c, "camhs", bad, "without a usable referral date");
    return CL_OK;
}

cl_status rp_data_load(rp_ctx *c)
{
    cl_status rc;
    if ((rc = load_children(c)) != CL_OK || (rc = load_link_map(c)) != CL_OK ||
        (rc = load_census(c)) != CL_OK || (rc = load_absence(c)) != CL_OK ||
        (rc = load_admissions(c)) != CL_OK || (rc = load_camhs(c)) != CL_OK)
        return rc;
    return CL_OK;
}

void rp_first_diagnosis(const rp_data *d, const rp_codelist *l, int32_t *first)
{
    for (size_t i = 0; i < d->nchildren; i++)
        first[i] = RP_NO_DAY;
    for (size_t i = 0; i < d->nadmissions; i++) {
        const rp_admission *a = &d->admissions[i];
        if (a->day >= first[a->child])
            continue;
        const char *p = d->diag_text.data + a->diag_off;
        while (*p) {
            const char *sp = strchr(p, ' ');
            size_t len = sp ? (size_t)(sp - p) : strlen(p);
            char code[16];
            if (len < sizeof code) {
                memcpy(code, p, len);
                code[len] = '\0';
                if (rp_codelist_match_diag(l, code)) {
                    first[a->child] = a->day;
                    break;
                }
            }
            p += len;
            if (*p == ' ')
                p++;
        }
    }
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cl_free(names[i]);
    cl_free(names);
}

void rp_data_free(rp_data *d)
{
    cl_strmap_free(d->children);
    cl_free(d->sex);
    cl_free(d->birth_year);
    cl_free(d->decile);
    cl_free(d->ethnic);
    free_names(d->ethnic_names, d->nethnic);
    free_names(d->sources, d->nsources);
    cl_free(d->source_domain);
    cl_free(d->rec_source);
    cl_free(d->rec_child);
    cl_free(d->rec_prob);
    cl_free(d->census);
    free_names(d->las, d->nlas);
    cl_free(d->absence);
    cl_free(d->admissions);
    rp_buf_free(&d->diag_text);
    cl_free(d->camhs);
    memset(d, 0, sizeof *d);
}
