/*
 * test_report.c - unit tests for `childlink report` (report.h and the
 * internal modules in src/report_*.c).
 *
 * Code lists: the built-in ones, every published ECHILD list in
 * ../shared/data/code-lists, matching rules, and malformed lists named by
 * file and line.  Tables, ticks and the bootstrap on hand-made data.  Then
 * whole reports on a fixture database built in setup (a 1,500-child
 * synthetic population, payloads by tests/data/build/make-payloads.sh, link
 * map from the truth): every CSV and every count in the page obeys
 * disclosure control, no child_id leaves the database, the database is not
 * modified, two runs give identical bytes, --only and added code lists,
 * every error case leaves no output, and allocation failures at many points
 * fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childlink/csv.h"
#include "childlink/report.h"
#include "childlink/store.h"
#include "childlink/synth.h"
#include "report_internal.h"

#define LISTS "../shared/data/code-lists/"

static char dir[64];
static char db_path[256];    /* the synthetic fixture */
static char tiny_path[256];  /* tests/data/build fixture: two sources, three children */

/* ---- helpers ------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void path_in(char *out, size_t size, const char *sub)
{
    snprintf(out, size, "%s/%s", dir, sub);
}

static cl_status run_report(const char *db, const char *out, const char *const *only,
                            size_t nonly, const cl_report_codelist *lists, size_t nlists,
                            int force, cl_report_summary *sum, cl_error *err)
{
    cl_report_options o;
    cl_report_options_default(&o);
    o.db_path = db;
    o.out_dir = out;
    o.only = only;
    o.nonly = nonly;
    o.codelists = lists;
    o.ncodelists = nlists;
    o.force = force;
    cl_error_clear(err);
    return cl_report_run(&o, sum, err);
}

/* A published count: "0", the withheld labels, or a multiple of 5 >= 10. */
static int count_ok(const char *s, long threshold)
{
    if (strcmp(s, "0") == 0 || strcmp(s, "[c]") == 0)
        return 1;
    char label[32];
    snprintf(label, sizeof label, "<%ld", threshold);
    if (strcmp(s, label) == 0)
        return 1;
    char *end;
    long v = strtol(s, &end, 10);
    return end != s && *end == '\0' && v >= threshold && v % 5 == 0;
}

/* Check every n_* column of every CSV in `out`, and every class="n" cell of
 * report.html; returns the number of count cells checked. */
static size_t check_disclosure(const char *out, long threshold)
{
    size_t checked = 0;
    DIR *d = opendir(out);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".csv") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        cl_csv_reader *r;
        assert_int_equal(cl_csv_open(&r, path, 0, NULL), CL_OK);
        assert_int_equal(cl_csv_next(r, NULL), CL_OK);
        size_t ncols = cl_csv_nfields(r);
        int is_count[64] = {0};
        assert_true(ncols < 64);
        for (size_t i = 0; i < ncols; i++)
            is_count[i] = strncmp(cl_csv_field(r, i, NULL), "n_", 2) == 0;
        cl_status st;
        while ((st = cl_csv_next(r, NULL)) == CL_OK) {
            assert_int_equal(cl_csv_nfields(r), ncols);
            for (size_t i = 0; i < ncols; i++) {
                if (!is_count[i])
                    continue;
                const char *v = cl_csv_field(r, i, NULL);
                if (!count_ok(v, threshold))
                    fail_msg("%s line %ld: count '%s' is not disclosure-controlled", path,
                             cl_csv_line(r), v);
                checked++;
            }
        }
        assert_int_equal(st, CL_END);
        cl_csv_close(r);
    }
    closedir(d);
    char html[512];
    snprintf(html, sizeof html, "%s/report.html", out);
    char *page = read_all(html, NULL);
    assert_non_null(page);
    for (const char *p = strstr(page, "<td class=\"n\">"); p; p = strstr(p + 1, "<td class=\"n\">")) {
        const char *v = p + strlen("<td class=\"n\">");
        const char *end = strstr(v, "</td>");
        assert_non_null(end);
        char cell[64];
        snprintf(cell, sizeof cell, "%.*s", (int)(end - v), v);
        /* In HTML the label is escaped. */
        char plain[64];
        if (strncmp(cell, "&lt;", 4) == 0)
            snprintf(plain, sizeof plain, "<%s", cell + 4);
        else
            snprintf(plain, sizeof plain, "%s", cell);
        if (!count_ok(plain, threshold))
            fail_msg("report.html: count cell '%s' is not disclosure-controlled", cell);
        checked++;
    }
    free(page);
    return checked;
}

static int files_identical(const char *a, const char *b)
{
    size_t la, lb;
    char *x = read_all(a, &la), *y = read_all(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

static int dir_is_empty_or_absent(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return 1;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n == 0;
}

/* ---- fixtures ------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cl_test_report_XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    char cfg[256], synth_dir[256], pay[256], cmd[1024];
    path_in(cfg, sizeof cfg, "params.json");
    path_in(synth_dir, sizeof synth_dir, "synth");
    path_in(pay, sizeof pay, "payloads");
    write_file(cfg, "{\"prevalence\": {\"downs_syndrome\": 0.06}}\n");
    cl_synth_options so;
    cl_synth_options_default(&so);
    if (cl_synth_load_config(&so, cfg, NULL) != CL_OK)
        return -1;
    so.children = 1500;
    so.seed = 5;
    so.areas = 3;
    if (cl_synth_run(&so, synth_dir, NULL) != CL_OK)
        return -1;
    snprintf(cmd, sizeof cmd, "sh tests/data/build/make-payloads.sh %s %s schemas", synth_dir,
             pay);
    if (system(cmd) != 0)
        return -1;
    static const char *const sources[] = {"hes_apc", "ecds", "camhs", "npd_census",
                                          "npd_absence", "npd_ks2", "npd_ks4",
                                          "npd_exclusions", "csc_cin", "csc_cla"};
    static char paths[10][300];
    cl_store_payload payloads[10];
    for (int i = 0; i < 10; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s.csv", pay, sources[i]);
        payloads[i].source = sources[i];
        payloads[i].path = paths[i];
    }
    char linkmap[300];
    snprintf(linkmap, sizeof linkmap, "%s/linkmap.csv", pay);
    path_in(db_path, sizeof db_path, "linked.db");
    cl_store_options bo;
    memset(&bo, 0, sizeof bo);
    bo.linkmap_path = linkmap;
    bo.payloads = payloads;
    bo.npayloads = 10;
    bo.out_path = db_path;
    cl_error err;
    if (cl_store_build(&bo, NULL, &err) != CL_OK) {
        fprintf(stderr, "build: %s\n", err.message);
        return -1;
    }
    static const cl_store_payload tiny[] = {{"hes_apc", "tests/data/build/hes_apc.csv"},
                                            {"npd_census", "tests/data/build/npd_census.csv"}};
    path_in(tiny_path, sizeof tiny_path, "tiny.db");
    bo.linkmap_path = "tests/data/build/linkmap.csv";
    bo.payloads = tiny;
    bo.npayloads = 2;
    bo.out_path = tiny_path;
    if (cl_store_build(&bo, NULL, &err) != CL_OK) {
        fprintf(stderr, "build: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- code lists ---------------------------------------------------------- */

static void test_codelist_builtins(void **state)
{
    (void)state;
    assert_int_equal(rp_codelist_builtin_count(), 3);
    rp_codelist l[3];
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(rp_codelist_builtin(i, &l[i], NULL), CL_OK);
    assert_string_equal(l[0].name, "asthma");
    assert_int_equal(l[0].ndiag, 2);
    assert_string_equal(l[0].diag[0], "J45");
    assert_string_equal(l[0].diag[1], "J46");
    static const char *const yes[] = {"J459", "J46X", "J45.9", "j450", "J45", " J46X "};
    static const char *const no[] = {"J44", "J4", "", "K459", "J4 5", "XJ459"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(rp_codelist_match_diag(&l[0], yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(rp_codelist_match_diag(&l[0], no[i]));
    assert_string_equal(l[1].name, "downs_syndrome");
    assert_true(rp_codelist_match_diag(&l[1], "Q909"));
    assert_false(rp_codelist_match_diag(&l[1], "Q910"));
    assert_string_equal(l[2].name, "emergency_admission");
    assert_int_equal(l[2].nadmimeth, 10);
    assert_true(rp_codelist_match_admimeth(&l[2], "21"));
    assert_true(rp_codelist_match_admimeth(&l[2], "2a"));
    assert_false(rp_codelist_match_admimeth(&l[2], "11"));
    assert_false(rp_codelist_match_admimeth(&l[2], "82"));
    assert_false(rp_codelist_match_diag(&l[2], "J459"));
    for (size_t i = 0; i < 3; i++)
        rp_codelist_free(&l[i]);
}

static void test_codelist_published_lists(void **state)
{
    (void)state;
    if (!exists(LISTS "asthma_lut_v1.csv"))
        skip();
    static const char *const files[] = {"asthma_lut_v1.csv", "asthma_lut_v1_exclusions.csv",
                                        "chc_hardelid_v1.csv", "ccc_feudtner_v1.csv",
                                        "neurodis_zylb_v1.csv", "emergency_admissions_v1.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[256];
        snprintf(path, sizeof path, LISTS "%s", files[i]);
        rp_codelist l;
        cl_error err;
        cl_status st = rp_codelist_load(&l, "list", path, &err);
        if (st != CL_OK)
            fail_msg("%s:%ld: %s", err.file, err.line, err.message);
        assert_true(l.rows > 0);
        if (i == 0) {
            /* The published asthma list and the built-in one agree. */
            assert_int_equal(l.ndiag, 2);
            assert_string_equal(l.diag[0], "J45");
            assert_string_equal(l.diag[1], "J46");
        }
        if (i == 1)
            assert_true(rp_codelist_match_diag(&l, "J984") && !rp_codelist_match_diag(&l, "J985"));
        if (i == 2)
            assert_true(rp_codelist_match_diag(&l, "Q909"));   /* Down's syndrome */
        if (i == 4)
            assert_true(l.rows_unused > 0);   /* OPCS-4, birth weight, gestation */
        if (i == 5)
            assert_int_equal(l.nadmimeth, 10);
        rp_codelist_free(&l);
    }
}

static void expect_list_error(const char *text, cl_status want, long line, const char *part)
{
    char path[256];
    path_in(path, sizeof path, "bad_list.csv");
    write_file(path, text);
    rp_codelist l;
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(rp_codelist_load(&l, "bad", path, &err), want);
    assert_string_equal(err.file, path);
    if (err.line != line)
        fail_msg("line %ld, wanted %ld (%s)", err.line, line, err.message);
    if (strstr(err.message, part) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, part);
}

static void test_codelist_errors(void **state)
{
    (void)state;
    expect_list_error("", CL_EFORMAT, 1, "empty code list");
    expect_list_error("icd,description\nJ45,asthma\n", CL_EFORMAT, 1, "header needs code");
    expect_list_error("code,dataset,field,code_type\nJ45,hes_apc,diag,icd10\nJ4,hes_apc,diag,"
                      "icd10\n", CL_EFORMAT, 3, "'J4' is not an ICD-10 code");
    expect_list_error("code,dataset,field,code_type\nJ45,hes_apc,diag,icd10\n\nasthma!,hes_apc,"
                      "diag,icd10\n", CL_EFORMAT, 4, "not an ICD-10 code");
    expect_list_error("code,dataset,field,code_type\nJ45,hes_apc,diag\n", CL_EFORMAT, 2,
                      "3 fields, header has 4");
    expect_list_error("code,dataset,field,code_type\n,hes_apc,diag,icd10\n", CL_EFORMAT, 2,
                      "empty code");
    expect_list_error("code,dataset,field,code_type\nJ45,hes_apc,diag,icd9\n", CL_EFORMAT, 2,
                      "code_type icd10");
    expect_list_error("code,dataset,field,code_type\n215,hes_apc,admimeth,admimeth\n",
                      CL_EFORMAT, 2, "not two letters or digits");
    expect_list_error("code,dataset,field,code_type\nA12,hes_apc,diag,opcs4\n", CL_EFORMAT, 0,
                      "no code the database can match");
    expect_list_error("code,dataset,field,code_type\n\"J45,hes_apc,diag,icd10\n", CL_EFORMAT, 2,
                      "");
    rp_codelist l;
    cl_error err;
    /* Not UTF-8 (one published list is not): read as Latin-1, and said so. */
    char path[256];
    path_in(path, sizeof path, "latin1.csv");
    write_file(path, "code,dataset,field,code_type,description\nJ45,hes_apc,diag,icd10,caf\xe9\n");
    assert_int_equal(rp_codelist_load(&l, "latin", path, &err), CL_OK);
    assert_true(l.latin1 && l.ndiag == 1);
    rp_codelist_free(&l);
    /* A NUL byte is refused, not silently cut short. */
    FILE *f = fopen(path, "wb");
    fwrite("code,dataset,field,code_type\nJ45,hes_apc,diag,icd10\n\0J46", 1, 57, f);
    fclose(f);
    assert_int_equal(rp_codelist_load(&l, "nul", path, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "NUL"));
    assert_int_equal(rp_codelist_load(&l, "x", "/nonexistent/list.csv", &err), CL_EIO);
    assert_int_equal(rp_codelist_load(&l, "bad name", LISTS "asthma_lut_v1.csv", &err),
                     CL_EINVAL);
    assert_false(rp_codelist_name_ok(""));
    assert_false(rp_codelist_name_ok("a/b"));
    assert_true(rp_codelist_name_ok("type1-diabetes_2"));
}

/* ---- tables, ticks, bootstrap ------------------------------------------- */

static void test_table_output(void **state)
{
    (void)state;
    static const rp_column cols[] = {{"label", "Label", RP_LABEL},
                                     {"n_children", "Children", RP_COUNT},
                                     {"pct", "%", RP_RATE}};
    rp_table *t = cl_calloc(1, sizeof *t);
    t->cols = cols;
    t->ncols = 3;
    rp_table_text(t, "a, \"quoted\" <b>");
    rp_table_text(t, "<10");
    rp_table_value(t, -0.0001, 1);
    rp_table_text(t, "plain");
    rp_table_text(t, "15");
    rp_table_value(t, NAN, 1);
    assert_int_equal(rp_table_rows(t), 2);
    assert_string_equal(rp_table_get(t, 0, 2), "0.0");
    assert_string_equal(rp_table_get(t, 1, 2), "");
    assert_null(rp_table_get(t, 2, 0));
    rp_buf csv = {0}, html = {0};
    rp_table_csv(t, &csv);
    assert_string_equal(csv.data, "label,n_children,pct\n\"a, \"\"quoted\"\" <b>\",<10,0.0\n"
                                  "plain,15,\n");
    rp_table_html(t, &html);
    assert_non_null(strstr(html.data, "<td>a, &quot;quoted&quot; &lt;b&gt;</td>"));
    assert_non_null(strstr(html.data, "<td class=\"n\">&lt;10</td>"));
    assert_non_null(strstr(html.data, "<th scope=\"col\" class=\"num\">Children</th>"));
    rp_buf_free(&csv);
    rp_buf_free(&html);
    /* rp_table_free frees the name and title too. */
    t->name = NULL;
    t->title = NULL;
    rp_table_free(t);
}

static void test_ticks_and_scales(void **state)
{
    (void)state;
    double ticks[16], lo = 0, hi = 7.3;
    size_t n = rp_nice_ticks(&lo, &hi, 6, 1, ticks);
    assert_true(n >= 3 && n <= 6);
    assert_true(ticks[0] == 0 && hi >= 7.3);
    for (size_t i = 1; i < n; i++)
        assert_true(ticks[i] > ticks[i - 1]);
    lo = 97.2;
    hi = 100;
    n = rp_nice_ticks(&lo, &hi, 7, 1, ticks);
    assert_true(lo <= 97.2 && hi == 100 && n <= 7);
    assert_true(fabs(ticks[1] - ticks[0] - 0.5) < 1e-9 || fabs(ticks[1] - ticks[0] - 1) < 1e-9);
    rp_scale s = {1, 100, 0, 200, 1};
    assert_true(fabs(rp_scale_map(&s, 10) - 100) < 1e-9);
    rp_scale lin = {0, 10, 100, 0, 0};
    assert_true(fabs(rp_scale_map(&lin, 5) - 50) < 1e-9);
    rp_buf b = {0};
    rp_svg_text(&b, 1, 2, "end", NULL, "a<b & \"c\"");
    assert_string_equal(b.data, "<text x=\"1.0\" y=\"2.0\" text-anchor=\"end\">"
                                "a&lt;b &amp; &quot;c&quot;</text>\n");
    rp_buf_free(&b);
}

static void test_bootstrap(void **state)
{
    (void)state;
    /* 400 children in 2 groups x 2 strata; the exposed miss twice as many
     * sessions, with child-level noise. */
    size_t n = 0;
    rp_pt_row rows[1600];
    uint64_t x = 12345;
    for (int32_t child = 0; child < 400; child++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        double frailty = 0.5 + (double)(x >> 40) / (double)(1u << 24);
        for (int year = 0; year < 4; year++) {
            int exposed = child % 5 == 0;
            rows[n].child = child;
            rows[n].stratum = (year % 2) * 2 + (child % 2);
            rows[n].exposed = exposed;
            rows[n].time = 380;
            rows[n].events = 20 * frailty * (exposed ? 2 : 1) * (1 + 0.2 * (child % 2));
            n++;
        }
    }
    double lo[3], hi[3], lo2[3], hi2[3];
    assert_int_equal(rp_bootstrap_mh(rows, n, 400, 4, 2, 200, 7, 0.95, lo, hi), CL_OK);
    assert_int_equal(rp_bootstrap_mh(rows, n, 400, 4, 2, 200, 7, 0.95, lo2, hi2), CL_OK);
    for (int g = 0; g < 3; g++) {
        assert_true(lo[g] == lo2[g] && hi[g] == hi2[g]);   /* deterministic */
        assert_true(lo[g] < 2.0 && hi[g] > 2.0);
        assert_true(lo[g] > 1.5 && hi[g] < 2.6);
    }
    assert_int_equal(rp_bootstrap_mh(rows, n, 400, 4, 2, 200, 8, 0.95, lo2, hi2), CL_OK);
    assert_true(lo[0] != lo2[0]);   /* another seed, other resamples */
    /* Nothing to resample: NaN, not an error. */
    assert_int_equal(rp_bootstrap_mh(rows, 0, 0, 4, 2, 200, 7, 0.95, lo, hi), CL_OK);
    assert_true(isnan(lo[0]) && isnan(hi[2]));
}

/* ---- store.c regression ------------------------------------------------- */

/* cl_store_build bound each row's child_id as a pointer into its string
 * buffer before the spine columns were read, and a child's first ethnic
 * group grows that buffer: the pointer could dangle when the row was
 * inserted (found by this file's fixture under AddressSanitizer).  Many
 * children, each with a new ethnic value, force the growth; every row must
 * still carry its own child_id. */
static void test_store_child_id_after_spine_growth(void **state)
{
    (void)state;
    char linkmap[256], payload[256], out[256];
    path_in(linkmap, sizeof linkmap, "growth_linkmap.csv");
    path_in(payload, sizeof payload, "growth_payload.csv");
    path_in(out, sizeof out, "growth.db");
    FILE *lm = fopen(linkmap, "w"), *pl = fopen(payload, "w");
    assert_non_null(lm);
    assert_non_null(pl);
    fputs("source,record_id,child_id\n", lm);
    fputs("record_token,ethnic_group,value\n", pl);
    for (int i = 0; i < 20000; i++) {
        fprintf(lm, "s,r%d,child_%d\n", i, i);
        fprintf(pl, "r%d,group_with_a_long_name_%d,%d\n", i, i, i);
    }
    assert_int_equal(fclose(lm), 0);
    assert_int_equal(fclose(pl), 0);
    cl_store_payload payloads[] = {{"s", payload}};
    cl_store_options o;
    memset(&o, 0, sizeof o);
    o.linkmap_path = linkmap;
    o.payloads = payloads;
    o.npayloads = 1;
    o.out_path = out;
    assert_int_equal(cl_store_build(&o, NULL, NULL), CL_OK);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(out, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM s WHERE child_id IS NULL OR "
                                            "child_id <> 'child_' || value", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* ---- whole reports ------------------------------------------------------- */

static void test_report_full(void **state)
{
    (void)state;
    char out[256], again[256];
    path_in(out, sizeof out, "report_full");
    path_in(again, sizeof again, "report_again");
    size_t db_len;
    char *db_before = read_all(db_path, &db_len);
    cl_error err;
    cl_report_summary sum;
    cl_status st = run_report(db_path, out, NULL, 0, NULL, 0, 0, &sum, &err);
    if (st != CL_OK)
        fail_msg("%s: %s", err.file, err.message);
    assert_int_equal(sum.analyses_run, 5);
    assert_int_equal(sum.analyses_skipped, 0);
    assert_true(sum.tables_written >= 12);
    static const char *const files[] = {
        "report.html", "coverage.csv", "coverage_match_probability.csv",
        "coverage_by_subgroup.csv", "known_to.csv", "critical_points.csv",
        "critical_points_transition.csv", "lottery_km.csv", "lottery_medians.csv",
        "lottery_funnel.csv", "lottery_funnel_limits.csv", "condition_asthma_summary.csv",
        "condition_asthma_by_year.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        if (!exists(p))
            fail_msg("%s missing", p);
    }
    assert_true(check_disclosure(out, 10) > 200);
    /* The database is read, never written. */
    size_t db_len2;
    char *db_after = read_all(db_path, &db_len2);
    assert_true(db_len == db_len2 && memcmp(db_before, db_after, db_len) == 0);
    free(db_before);
    free(db_after);
    /* Same database, same bytes. */
    assert_int_equal(run_report(db_path, again, NULL, 0, NULL, 0, 0, NULL, &err), CL_OK);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/%s", out, files[i]);
        snprintf(b, sizeof b, "%s/%s", again, files[i]);
        if (!files_identical(a, b))
            fail_msg("%s differs between two runs", files[i]);
    }
    /* No child_id of the database appears in any output. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT child_id FROM child", -1, &q, NULL),
                     SQLITE_OK);
    char *outputs[sizeof files / sizeof *files];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        outputs[i] = read_all(p, NULL);
    }
    size_t ids = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        /* Ids are "C" + a person number: search with a delimiter after it. */
        char id[64];
        snprintf(id, sizeof id, "%s,", (const char *)sqlite3_column_text(q, 0));
        for (size_t i = 0; i < sizeof files / sizeof *files; i++)
            if (strstr(outputs[i], id))
                fail_msg("child id %s found in %s", id, files[i]);
        ids++;
    }
    assert_true(ids > 1000);
    sqlite3_finalize(q);
    sqlite3_close(db);
    /* What the page says: the late authority of three is the named outlier
     * (the synthetic areas are 101, 102, 103; every third one is late). */
    assert_non_null(strstr(outputs[0], "later than overall (below the lower 99.8% limit): "
                                       "LA 103</p>"));
    assert_non_null(strstr(outputs[0], "data-page-check"));
    assert_non_null(strstr(outputs[0], "Content-Security-Policy"));
    /* Nothing to fetch: no src attribute, no link or url() off the page
     * (the SVG namespace URI is a name, not a fetch). */
    assert_null(strstr(outputs[0], " src="));
    assert_null(strstr(outputs[0], "href=\"http"));
    assert_null(strstr(outputs[0], "url(http"));
    assert_null(strstr(outputs[0], "@import"));
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        free(outputs[i]);
}

static void test_report_only_and_codelists(void **state)
{
    (void)state;
    char out[256], list[256];
    path_in(out, sizeof out, "report_only");
    path_in(list, sizeof list, "epilepsy.csv");
    write_file(list, "code,dataset,field,code_type,description,flag\n"
                     "G40,hes_apc,diag,icd10,epilepsy,\nG41,hes_apc,diag,icd10,status,\n");
    const char *only[] = {"condition_absence", "known_to"};
    cl_report_codelist lists[] = {{"epilepsy", list}};
    cl_error err;
    cl_report_summary sum;
    cl_status st = run_report(db_path, out, only, 2, lists, 1, 0, &sum, &err);
    if (st != CL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(sum.analyses_run, 2);
    char p[512];
    snprintf(p, sizeof p, "%s/condition_epilepsy_summary.csv", out);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/condition_asthma_summary.csv", out);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/known_to.csv", out);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/coverage.csv", out);
    assert_false(exists(p));
    check_disclosure(out, 10);
    /* Replacing a built-in list: asthma defined as J45 only still works. */
    char out2[256], list2[256];
    path_in(out2, sizeof out2, "report_replace");
    path_in(list2, sizeof list2, "asthma_j45.csv");
    write_file(list2, "code,dataset,field,code_type\nJ45,hes_apc,diag,icd10\n");
    cl_report_codelist repl[] = {{"asthma", list2}};
    assert_int_equal(run_report(db_path, out2, only, 1, repl, 1, 0, NULL, &err), CL_OK);
    char *page;
    snprintf(p, sizeof p, "%s/report.html", out2);
    page = read_all(p, NULL);
    assert_non_null(strstr(page, "given with --codelist"));
    free(page);
    /* A higher threshold: no count below it anywhere. */
    char out3[256];
    path_in(out3, sizeof out3, "report_threshold");
    cl_report_options o;
    cl_report_options_default(&o);
    o.db_path = db_path;
    o.out_dir = out3;
    o.sdc.threshold = 20;
    assert_int_equal(cl_report_run(&o, NULL, &err), CL_OK);
    check_disclosure(out3, 20);
}

static void test_report_tiny_database(void **state)
{
    (void)state;
    char out[256];
    path_in(out, sizeof out, "report_tiny");
    cl_error err;
    cl_report_summary sum;
    assert_int_equal(run_report(tiny_path, out, NULL, 0, NULL, 0, 0, &sum, &err), CL_OK);
    /* Two sources of three children: most analyses have nothing to work on,
     * and say so instead of failing. */
    assert_int_equal(sum.analyses_skipped, 2);
    assert_int_equal(sum.analyses_run, 3);
    char p[512];
    snprintf(p, sizeof p, "%s/report.html", out);
    char *page = read_all(p, NULL);
    assert_non_null(strstr(page, "class=\"skip\">Skipped: needs hospital admissions"));
    assert_non_null(strstr(page, "class=\"skip\">Skipped: needs absence"));
    free(page);
    check_disclosure(out, 10);
}

static void test_report_errors(void **state)
{
    (void)state;
    char out[256], bad[256], notdb[256], nobuild[256], wrongfmt[256], file_as_dir[256];
    path_in(out, sizeof out, "report_err");
    path_in(notdb, sizeof notdb, "not_a_db.db");
    path_in(nobuild, sizeof nobuild, "plain.db");
    path_in(wrongfmt, sizeof wrongfmt, "wrongfmt.db");
    path_in(file_as_dir, sizeof file_as_dir, "a_file");
    write_file(notdb, "this is not an SQLite database, but it is long enough to look like one "
                      "to a reader that only checks the size of the header.\n");
    write_file(file_as_dir, "x");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(nobuild, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sqlite3_open(wrongfmt, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE build_info (item, source, value);"
                                      "INSERT INTO build_info VALUES ('format', NULL, 'other/2')",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cl_error err;
    struct {
        const char *db;
        const char *out;
        cl_status want;
        const char *part;
    } cases[] = {
        {"/nonexistent/linked.db", out, CL_EIO, "cannot open database"},
        {notdb, out, CL_EFORMAT, "not an SQLite database"},
        {nobuild, out, CL_EFORMAT, "no build_info table"},
        {wrongfmt, out, CL_EFORMAT, "format is 'other/2'"},
        {db_path, "/nonexistent/dir/out", CL_EIO, "cannot create output directory"},
        {db_path, file_as_dir, CL_EIO, "not a directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cl_status st = run_report(cases[i].db, cases[i].out, NULL, 0, NULL, 0, 0, NULL, &err);
        if (st != cases[i].want || strstr(err.message, cases[i].part) == NULL)
            fail_msg("case %zu: status %d, message '%s'", i, st, err.message);
        assert_true(dir_is_empty_or_absent(out));
    }
    /* Bad options. */
    const char *only[] = {"coverage", "nonsense"};
    assert_int_equal(run_report(db_path, out, only, 2, NULL, 0, 0, NULL, &err), CL_EINVAL);
    assert_non_null(strstr(err.message, "unknown analysis 'nonsense'"));
    assert_non_null(strstr(err.message, "postcode_lottery"));
    cl_report_codelist badname[] = {{"no spaces", "x.csv"}};
    assert_int_equal(run_report(db_path, out, NULL, 0, badname, 1, 0, NULL, &err), CL_EINVAL);
    cl_report_codelist twice[] = {{"a", "x.csv"}, {"a", "y.csv"}};
    assert_int_equal(run_report(db_path, out, NULL, 0, twice, 2, 0, NULL, &err), CL_EINVAL);
    path_in(bad, sizeof bad, "bad_codes.csv");
    write_file(bad, "code,dataset,field,code_type\nJ45,hes_apc,diag,icd10\nJ4x5,hes_apc,diag,"
                    "icd10\n");
    cl_report_codelist badlist[] = {{"mine", bad}};
    assert_int_equal(run_report(db_path, out, NULL, 0, badlist, 1, 0, NULL, &err), CL_EFORMAT);
    assert_string_equal(err.file, bad);
    assert_int_equal(err.line, 3);
    assert_true(dir_is_empty_or_absent(out));
    cl_report_options o;
    cl_report_options_default(&o);
    o.db_path = db_path;
    o.out_dir = out;
    o.sdc.rounding_base = 0;
    assert_int_equal(cl_report_run(&o, NULL, &err), CL_EINVAL);
    assert_int_equal(cl_report_run(NULL, NULL, &err), CL_EINVAL);
    /* A directory holding files: refused without force, replaced with it. */
    char full[256];
    path_in(full, sizeof full, "report_existing");
    assert_int_equal(run_report(db_path, full, only, 1, NULL, 0, 0, NULL, &err), CL_OK);
    char page[512];
    snprintf(page, sizeof page, "%s/report.html", full);
    size_t before_len;
    char *before = read_all(page, &before_len);
    assert_int_equal(run_report(db_path, full, NULL, 0, NULL, 0, 0, NULL, &err), CL_EEXIST);
    assert_non_null(strstr(err.message, "use --force"));
    char *still = read_all(page, NULL);
    assert_string_equal(before, still);
    free(still);
    free(before);
    assert_int_equal(run_report(db_path, full, NULL, 0, NULL, 0, 1, NULL, &err), CL_OK);
    /* A failure in a --force run leaves the earlier report as it was. */
    before = read_all(page, NULL);
    assert_int_equal(run_report(db_path, full, NULL, 0, badlist, 1, 1, NULL, &err), CL_EFORMAT);
    still = read_all(page, NULL);
    assert_string_equal(before, still);
    free(still);
    free(before);
    /* No temporary files left anywhere. */
    DIR *d = opendir(full);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
}

/* Allocation failures: every point on the tiny database, a spread of points
 * on the synthetic one.  Each must fail with CL_ENOMEM and leave nothing. */
static void test_report_out_of_memory(void **state)
{
    (void)state;
    char out[256];
    path_in(out, sizeof out, "report_oom");
    cl_error err;
    int done = 0;
    long n;
    for (n = 1; n < 20000 && !done; n++) {
        cl_alloc_fail_after(n);
        cl_status st = run_report(tiny_path, out, NULL, 0, NULL, 0, 0, NULL, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            done = 1;
            break;
        }
        if (st != CL_ENOMEM)
            fail_msg("failure at allocation %ld: status %d (%s)", n, st, err.message);
        assert_true(dir_is_empty_or_absent(out));
    }
    assert_true(done);
    assert_true(n > 20);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", out);
    assert_int_equal(system(cmd), 0);
    /* The synthetic database: about 60 points spread over the run. */
    done = 0;
    for (n = 1; n < 10000000 && !done; n += 1 + n / 8) {
        cl_alloc_fail_after(n);
        cl_status st = run_report(db_path, out, NULL, 0, NULL, 0, 0, NULL, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK)
            done = 1;
        else if (st != CL_ENOMEM)
            fail_msg("failure at allocation %ld: status %d (%s)", n, st, err.message);
        else
            assert_true(dir_is_empty_or_absent(out));
    }
    assert_true(done);
    assert_int_equal(cl_alloc_bytes_in_use(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codelist_builtins),
        cmocka_unit_test(test_codelist_published_lists),
        cmocka_unit_test(test_codelist_errors),
        cmocka_unit_test(test_table_output),
        cmocka_unit_test(test_ticks_and_scales),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_store_child_id_after_spine_growth),
        cmocka_unit_test(test_report_full),
        cmocka_unit_test(test_report_only_and_codelists),
        cmocka_unit_test(test_report_tiny_database),
        cmocka_unit_test(test_report_errors),
        cmocka_unit_test(test_report_out_of_memory),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
