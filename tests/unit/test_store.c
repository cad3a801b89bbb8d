/* Unit tests: the linked database (store.h).  Type inference and date
 * normalisation on hand-picked values; a build of the fixtures in
 * tests/data/build/ read back through the SQLite C API (spine, link map,
 * typed source tables, unmatched rows, timeline, build_info); every example
 * query of docs/database.md; refusal to overwrite; bad inputs leaving no
 * file; byte-identical rebuilds; and every allocation failure point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "childlink/store.h"

#define FIX "tests/data/build/"

static char dir[64];
static char db_path[256];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cl_test_store_XXXXXX");
    if (mkdtemp(dir) == NULL) return -1;
    snprintf(db_path, sizeof db_path, "%s/linked.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Number of entries in the scratch directory (temporary files included). */
static int dir_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static const cl_store_payload fixture_payloads[] = {
    {"hes_apc", FIX "hes_apc.csv"},
    {"npd_census", FIX "npd_census.csv"},
};

static cl_store_options fixture_options(const char *out)
{
    cl_store_options o;
    memset(&o, 0, sizeof o);
    o.linkmap_path = FIX "linkmap.csv";
    o.payloads = fixture_payloads;
    o.npayloads = 2;
    o.out_path = out;
    return o;
}

static void build_fixture(const char *out)
{
    cl_store_options o = fixture_options(out);
    o.force = 1;
    cl_error err;
    cl_error_clear(&err);
    cl_store_summary sum;
    cl_status st = cl_store_build(&o, &sum, &err);
    if (st != CL_OK) fprintf(stderr, "build: %s:%ld: %s\n", err.file, err.line, err.message);
    assert_int_equal(st, CL_OK);
    cl_store_summary_free(&sum);
}

/* The single value of a one-row, one-column query, as text ("NULL" for NULL). */
static const char *q1(sqlite3 *db, const char *sql)
{
    static char out[256];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, sizeof out, "%s", t ? (const char *)t : "NULL");
    sqlite3_finalize(st);
    return out;
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

static void test_value_types(void **state)
{
    (void)state;
    static const struct { const char *v; cl_store_type t; } cases[] = {
        {"", CL_STORE_EMPTY},        {"0", CL_STORE_INTEGER},    {"42", CL_STORE_INTEGER},
        {"-7", CL_STORE_INTEGER},    {"04", CL_STORE_TEXT},      {"-", CL_STORE_TEXT},
        {"1.5", CL_STORE_REAL},      {"0.25", CL_STORE_REAL},    {"-3.0", CL_STORE_REAL},
        {"1.", CL_STORE_TEXT},       {".5", CL_STORE_TEXT},      {"1e5", CL_STORE_TEXT},
        {"2015/16", CL_STORE_TEXT},  {"J459", CL_STORE_TEXT},    {" 1", CL_STORE_TEXT},
        {"2012-03-04", CL_STORE_DATE}, {"21/01/2016", CL_STORE_DATE},
        {"2012-02-30", CL_STORE_TEXT}, {"31/04/2016", CL_STORE_TEXT},
        {"2012-3-04", CL_STORE_TEXT},  {"20120418", CL_STORE_DATE8},
        {"20121318", CL_STORE_INTEGER}, {"306689006", CL_STORE_INTEGER},
        {"123456789012345678", CL_STORE_INTEGER}, {"1234567890123456789", CL_STORE_TEXT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cl_store_type t = cl_store_value_type(cases[i].v, strlen(cases[i].v));
        if (t != cases[i].t) fprintf(stderr, "value '%s'\n", cases[i].v);
        assert_int_equal(t, cases[i].t);
    }
}

static void test_type_merge(void **state)
{
    (void)state;
    assert_int_equal(cl_store_type_merge(CL_STORE_EMPTY, CL_STORE_DATE), CL_STORE_DATE);
    assert_int_equal(cl_store_type_merge(CL_STORE_INTEGER, CL_STORE_EMPTY), CL_STORE_INTEGER);
    assert_int_equal(cl_store_type_merge(CL_STORE_INTEGER, CL_STORE_REAL), CL_STORE_REAL);
    assert_int_equal(cl_store_type_merge(CL_STORE_REAL, CL_STORE_INTEGER), CL_STORE_REAL);
    assert_int_equal(cl_store_type_merge(CL_STORE_DATE8, CL_STORE_INTEGER), CL_STORE_INTEGER);
    assert_int_equal(cl_store_type_merge(CL_STORE_DATE8, CL_STORE_DATE8), CL_STORE_DATE8);
    assert_int_equal(cl_store_type_merge(CL_STORE_DATE8, CL_STORE_REAL), CL_STORE_REAL);
    assert_int_equal(cl_store_type_merge(CL_STORE_DATE, CL_STORE_INTEGER), CL_STORE_TEXT);
    assert_int_equal(cl_store_type_merge(CL_STORE_DATE, CL_STORE_DATE8), CL_STORE_TEXT);
    assert_int_equal(cl_store_type_merge(CL_STORE_INTEGER, CL_STORE_TEXT), CL_STORE_TEXT);
    assert_int_equal(cl_store_type_merge(CL_STORE_TEXT, CL_STORE_INTEGER), CL_STORE_TEXT);
    /* A column's type is the same whatever the order of its values. */
    const cl_store_type all[] = {CL_STORE_EMPTY, CL_STORE_INTEGER, CL_STORE_REAL,
                                 CL_STORE_DATE, CL_STORE_DATE8, CL_STORE_TEXT};
    for (size_t a = 0; a < 6; a++)
        for (size_t b = 0; b < 6; b++)
            assert_int_equal(cl_store_type_merge(all[a], all[b]),
                             cl_store_type_merge(all[b], all[a]));
}

static void test_date_iso(void **state)
{
    (void)state;
    char out[11];
    assert_int_equal(cl_store_date_iso("21/01/2016", 10, out), 0);
    assert_string_equal(out, "2016-01-21");
    assert_int_equal(cl_store_date_iso("2012-03-04", 10, out), 0);
    assert_string_equal(out, "2012-03-04");
    assert_int_equal(cl_store_date_iso("20120418", 8, out), 0);
    assert_string_equal(out, "2012-04-18");
    assert_int_equal(cl_store_date_iso("29/02/2016", 10, out), 0);
    assert_string_equal(out, "2016-02-29");
    assert_int_equal(cl_store_date_iso("29/02/2015", 10, out), -1);
    assert_string_equal(out, "");
    assert_int_equal(cl_store_date_iso("2016-01-21 ", 11, out), -1);
    assert_int_equal(cl_store_date_iso("", 0, out), -1);
    assert_int_equal(cl_store_date_iso(NULL, 0, out), -1);
}

static void test_identifier_columns(void **state)
{
    (void)state;
    const char *bad[] = {"DOB", "dob", "PERSON_BIRTH_DATE", "DATE_OF_BIRTH", "PersonBirthDate",
                         "child_dob", "Surname", "PATIENT_FORENAME", "GIVEN_NAME",
                         "FAMILY_NAME", "MiddleNames", "Postcode", "HOME_POST", "PL_POST",
                         "HOMEADD", "POSTCODE_USUAL_ADDRESS", "NHS_NUMBER", "NEWNHSNO",
                         "NHSNumber", "UPN", "name"};
    const char *good[] = {"ADMIDATE", "birth_year", "birth_month", "sex", "LSOA",
                          "CensusDate", "ethnic_group", "deprivation_decile", "record_token",
                          "DIAG_4_01", "SessionsPossible", "school_name_code_x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!cl_store_is_identifier_column(bad[i])) fprintf(stderr, "missed %s\n", bad[i]);
        assert_true(cl_store_is_identifier_column(bad[i]));
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (cl_store_is_identifier_column(good[i])) fprintf(stderr, "refused %s\n", good[i]);
        assert_false(cl_store_is_identifier_column(good[i]));
    }
}

static void test_build_fixture(void **state)
{
    (void)state;
    cl_store_options o = fixture_options(db_path);
    cl_error err;
    cl_error_clear(&err);
    cl_store_summary sum;
    assert_int_equal(cl_store_build(&o, &sum, &err), CL_OK);
    assert_int_equal(sum.ntables, 4);
    assert_string_equal(sum.tables[0].table, "child");
    assert_int_equal(sum.tables[0].rows, 3);
    assert_string_equal(sum.tables[1].table, "source_record");
    assert_int_equal(sum.tables[1].rows, 7);
    assert_string_equal(sum.tables[2].table, "hes_apc");
    assert_int_equal(sum.tables[2].rows, 4);
    assert_int_equal(sum.tables[2].unmatched, 1);
    assert_string_equal(sum.tables[3].source, "npd_census");
    assert_int_equal(sum.tables[3].rows, 4);
    assert_int_equal(sum.tables[3].unmatched, 0);
    cl_store_summary_free(&sum);
    assert_int_equal(sum.ntables, 0);
    cl_store_summary_free(NULL);
    assert_int_equal(dir_entries(), 1);   /* the database, no temporary left */

    sqlite3 *db = open_db(db_path);
    /* Spine: first valid value per child, sex codes normalised. */
    assert_string_equal(q1(db, "SELECT group_concat(child_id || ':' || coalesce(sex,'-') || ':' ||"
                               " coalesce(birth_year,'-') || ':' || coalesce(birth_month,'-') || ':' ||"
                               " coalesce(ethnic_group,'-') || ':' || coalesce(deprivation_decile,'-'), ' ')"
                               " FROM (SELECT * FROM child ORDER BY rowid)"),
                        "C1:M:2010:7:A:3 C2:F:2011:12:M:- C3:-:-:-:-:-");
    /* Link map, probabilities typed, empty ones NULL. */
    assert_string_equal(q1(db, "SELECT count(*) FROM source_record WHERE match_probability IS NULL"), "2");
    assert_string_equal(q1(db, "SELECT typeof(match_probability) FROM source_record WHERE record_token='h1'"), "real");
    assert_string_equal(q1(db, "SELECT link_rule FROM source_record WHERE record_token='n4'"), "singleton");
    assert_string_equal(q1(db, "SELECT match_probability FROM source_record WHERE record_token='n3'"), "0.99");
    /* Typed columns; dates in ISO form. */
    assert_string_equal(q1(db, "SELECT typeof(ADMIMETH) || typeof(length_days) || typeof(DIAG_4_01) ||"
                               " typeof(ADMIDATE) FROM hes_apc WHERE record_token='h1'"),
                        "integerrealtexttext");
    assert_string_equal(q1(db, "SELECT group_concat(CensusDate, ' ') FROM npd_census"),
                        "2016-01-21 2017-01-19 2017-01-19 2017-01-19");
    assert_string_equal(q1(db, "SELECT typeof(NCyearActual) FROM npd_census WHERE record_token='n2'"), "text");
    assert_string_equal(q1(db, "SELECT Free_text__notes FROM npd_census WHERE record_token='n1'"),
                        "said \"hello\"");
    /* The clear-text key (record_id) becomes record_token. */
    assert_string_equal(q1(db, "SELECT child_id FROM npd_census WHERE record_token='n4'"), "C3");
    /* The unmatched payload row is kept, child_id NULL, and counted. */
    assert_string_equal(q1(db, "SELECT coalesce(child_id,'NULL') || DIAG_4_01 FROM hes_apc WHERE record_token='x9'"),
                        "NULLS525");
    assert_string_equal(q1(db, "SELECT value FROM build_info WHERE item='unmatched_rows' AND source='hes_apc'"), "1");
    assert_string_equal(q1(db, "SELECT value FROM build_info WHERE item='format'"), "childlink-db/1");
    assert_string_equal(q1(db, "SELECT value FROM build_info WHERE item='children'"), "3");
    /* Timeline: linked events only, in date order across sources. */
    assert_string_equal(q1(db, "SELECT group_concat(event_date || '/' || source || '/' || detail, ' ')"
                               " FROM child_timeline WHERE child_id='C1'"),
                        "2012-03-04/hes_apc/J459 2016-01-21/npd_census/R "
                        "2016-11-20/hes_apc/J46X 2017-01-19/npd_census/1");
    assert_string_equal(q1(db, "SELECT count(*) FROM child_timeline"), "7");
    assert_string_equal(q1(db, "SELECT event_type FROM child_timeline WHERE source='npd_census' LIMIT 1"),
                        "school_census");
    /* Indexes on child_id and on date columns. */
    assert_string_equal(q1(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master"
                               " WHERE type='index' AND tbl_name='hes_apc' ORDER BY name)"),
                        "hes_apc_ADMIDATE hes_apc_DISDATE hes_apc_child_id");
    sqlite3_close(db);
}

/* Every ```sql block of docs/database.md runs and returns at least a row. */
static void test_doc_examples(void **state)
{
    (void)state;
    build_fixture(db_path);
    FILE *f = fopen("docs/database.md", "r");
    assert_non_null(f);
    static char sql[8192];
    char line[1024];
    size_t len = 0;
    int in_sql = 0, queries = 0;
    sqlite3 *db = open_db(db_path);
    while (fgets(line, sizeof line, f)) {
        if (!in_sql) {
            if (strncmp(line, "```sql", 6) == 0) { in_sql = 1; len = 0; sql[0] = '\0'; }
            continue;
        }
        if (strncmp(line, "```", 3) != 0) {
            assert_true(len + strlen(line) < sizeof sql);
            memcpy(sql + len, line, strlen(line) + 1);
            len += strlen(line);
            continue;
        }
        in_sql = 0;
        sqlite3_stmt *st;
        const char *tail;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
        if (rc != SQLITE_OK) fprintf(stderr, "%s\n%s\n", sql, sqlite3_errmsg(db));
        assert_int_equal(rc, SQLITE_OK);
        while (*tail == ' ' || *tail == '\n') tail++;
        assert_string_equal(tail, "");   /* one statement per block */
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) fprintf(stderr, "no rows from:\n%s\n", sql);
        assert_int_equal(rc, SQLITE_ROW);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
        assert_int_equal(rc, SQLITE_DONE);
        sqlite3_finalize(st);
        queries++;
    }
    fclose(f);
    sqlite3_close(db);
    assert_int_equal(in_sql, 0);
    assert_true(queries >= 5);
}

static void test_exists_and_force(void **state)
{
    (void)state;
    FILE *f = fopen(db_path, "w");
    fputs("not a database", f);
    fclose(f);
    cl_store_options o = fixture_options(db_path);
    cl_error err;
    cl_store_summary sum;
    assert_int_equal(cl_store_build(&o, &sum, &err), CL_EEXIST);
    assert_int_equal(sum.ntables, 0);
    f = fopen(db_path, "r");
    char buf[32] = {0};
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "not a database");
    o.force = 1;
    assert_int_equal(cl_store_build(&o, NULL, &err), CL_OK);
    sqlite3 *db = open_db(db_path);
    assert_string_equal(q1(db, "SELECT count(*) FROM child"), "3");
    sqlite3_close(db);
    assert_int_equal(dir_entries(), 1);
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_deterministic(void **state)
{
    (void)state;
    char other[300];
    snprintf(other, sizeof other, "%s/again.db", dir);
    build_fixture(db_path);
    build_fixture(other);
    assert_true(same_bytes(db_path, other));
}

/* A bad input: the status, the file and line named, and no file left. */
static void expect_failure(const char *linkmap, const cl_store_payload *p, size_t np,
                           const char *key_column, cl_status want, const char *file,
                           long line, const char *text)
{
    cl_store_options o;
    memset(&o, 0, sizeof o);
    o.linkmap_path = linkmap;
    o.payloads = p;
    o.npayloads = np;
    o.key_column = key_column;
    o.out_path = db_path;
    cl_error err;
    cl_error_clear(&err);
    cl_store_summary sum;
    cl_status st = cl_store_build(&o, &sum, &err);
    if (st != want || strstr(err.message, text) == NULL)
        fprintf(stderr, "got %d %s:%ld: %s\n", st, err.file, err.line, err.message);
    assert_int_equal(st, want);
    assert_int_equal(sum.ntables, 0);
    assert_null(sum.tables);
    if (file) assert_string_equal(err.file, file);
    if (line >= 0) assert_int_equal(err.line, line);
    assert_non_null(strstr(err.message, text));
    assert_int_equal(dir_entries(), 0);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const cl_store_payload hes = {"hes_apc", FIX "hes_apc.csv"};
    expect_failure(FIX "linkmap_dup.csv", &hes, 1, NULL, CL_EFORMAT, FIX "linkmap_dup.csv", 4,
                   "duplicate record h1");
    expect_failure(FIX "linkmap_ragged.csv", &hes, 1, NULL, CL_EFORMAT, FIX "linkmap_ragged.csv",
                   2, "4 fields, header has 3");
    expect_failure(FIX "linkmap_badprob.csv", &hes, 1, NULL, CL_EFORMAT,
                   FIX "linkmap_badprob.csv", 2, "match_probability 'high'");
    expect_failure(FIX "linkmap_nan.csv", &hes, 1, NULL, CL_EFORMAT, FIX "linkmap_nan.csv", 2,
                   "match_probability 'nan'");
    expect_failure(FIX "linkmap_nochild.csv", &hes, 1, NULL, CL_EFORMAT,
                   FIX "linkmap_nochild.csv", 1, "child_id");
    expect_failure(FIX "no_such_linkmap.csv", &hes, 1, NULL, CL_EIO, NULL, -1, "");
    const cl_store_payload missing = {"hes_apc", FIX "no_such_payload.csv"};
    expect_failure(FIX "linkmap.csv", &missing, 1, NULL, CL_EIO, NULL, -1, "");
    const cl_store_payload dob = {"hes_apc", FIX "payload_dob.csv"};
    expect_failure(FIX "linkmap.csv", &dob, 1, NULL, CL_EFORMAT, FIX "payload_dob.csv", 1,
                   "column DOB looks like a personal identifier");
    const cl_store_payload name = {"hes_apc", FIX "payload_name.csv"};
    expect_failure(FIX "linkmap.csv", &name, 1, NULL, CL_EFORMAT, FIX "payload_name.csv", 1,
                   "column Surname");
    const cl_store_payload ragged = {"hes_apc", FIX "payload_ragged.csv"};
    expect_failure(FIX "linkmap.csv", &ragged, 1, NULL, CL_EFORMAT, FIX "payload_ragged.csv", 3,
                   "2 fields, header has 3");
    const cl_store_payload nokey = {"hes_apc", FIX "payload_nokey.csv"};
    expect_failure(FIX "linkmap.csv", &nokey, 1, NULL, CL_EFORMAT, FIX "payload_nokey.csv", 1,
                   "no key column");
    expect_failure(FIX "linkmap.csv", &hes, 1, "token", CL_EFORMAT, FIX "hes_apc.csv", 1,
                   "no key column token");
    expect_failure(FIX "linkmap.csv", &dob, 1, "DOB", CL_EFORMAT, FIX "payload_dob.csv", 1,
                   "key column DOB looks like a personal identifier");
    const cl_store_payload quote = {"hes_apc", FIX "payload_badquote.csv"};
    expect_failure(FIX "linkmap.csv", &quote, 1, NULL, CL_EFORMAT, FIX "payload_badquote.csv", -1,
                   "");
    const cl_store_payload unknown = {"csc_cla", FIX "hes_apc.csv"};
    expect_failure(FIX "linkmap.csv", &unknown, 1, NULL, CL_EFORMAT, FIX "hes_apc.csv", -1,
                   "source csc_cla does not appear in the link map");
    const cl_store_payload twice[] = {{"hes_apc", FIX "hes_apc.csv"}, {"hes_apc", FIX "hes_apc.csv"}};
    expect_failure(FIX "linkmap.csv", twice, 2, NULL, CL_EINVAL, NULL, -1, "given twice");
    /* A later payload failing removes the whole database. */
    const cl_store_payload late[] = {{"hes_apc", FIX "hes_apc.csv"}, {"npd_census", FIX "payload_dob.csv"}};
    expect_failure(FIX "linkmap.csv", late, 2, NULL, CL_EFORMAT, FIX "payload_dob.csv", 1, "DOB");
    /* An unwritable destination. */
    cl_store_options o = fixture_options("/nonexistent-dir/x.db");
    cl_error err;
    assert_int_equal(cl_store_build(&o, NULL, &err), CL_EIO);
    assert_int_equal(cl_store_build(NULL, NULL, &err), CL_EINVAL);
}

static void test_no_payloads(void **state)
{
    (void)state;
    cl_store_options o = fixture_options(db_path);
    o.npayloads = 0;
    cl_error err;
    assert_int_equal(cl_store_build(&o, NULL, &err), CL_OK);
    sqlite3 *db = open_db(db_path);
    assert_string_equal(q1(db, "SELECT count(*) FROM source_record"), "7");
    assert_string_equal(q1(db, "SELECT count(*) FROM child_timeline"), "0");
    sqlite3_close(db);
}

/* Failing each allocation in turn: an error, never a crash or a leak, and no
 * file left; then success once the failure point lies beyond the build. */
static void test_out_of_memory(void **state)
{
    (void)state;
    cl_store_options o = fixture_options(db_path);
    int succeeded = 0, failures = 0;
    for (long n = 1; n < 500 && !succeeded; n++) {
        size_t before = cl_alloc_bytes_in_use();
        cl_error err;
        cl_store_summary sum;
        cl_alloc_fail_after(n);
        cl_status st = cl_store_build(&o, &sum, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            succeeded = 1;
            cl_store_summary_free(&sum);
            break;
        }
        assert_int_equal(st, CL_ENOMEM);
        failures++;
        assert_int_equal(cl_alloc_bytes_in_use(), before);
        assert_int_equal(dir_entries(), 0);
    }
    assert_true(succeeded);
    fprintf(stderr, "store: %d allocation failure points walked\n", failures);
    assert_true(failures >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_type_merge),
        cmocka_unit_test(test_date_iso),
        cmocka_unit_test(test_identifier_columns),
        cmocka_unit_test_setup_teardown(test_build_fixture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exists_and_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_payloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
