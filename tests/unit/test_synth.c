/*
 * test_synth.c - the synthetic population: options and config checking,
 * atomic output, determinism, the distributions and rates it claims, and
 * the planted effects.
 *
 * One population of a few thousand children (with Down's syndrome made
 * common and the group error multipliers set to 1, so that every rate can
 * be measured) is generated once for the group; smaller runs test options,
 * failures and determinism.  Checks read the files back with the library's
 * CSV reader and compare each source row with its truth.csv row and the
 * child's people.csv row, so the generator's own bookkeeping
 * (error_summary.csv) is itself checked against the data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childlink/csv.h"
#include "childlink/date.h"
#include "childlink/nhs.h"
#include "childlink/postcode.h"
#include "childlink/synth.h"
#include "childlink/upn.h"
#include "synth_internal.h"

#define SHARED_CHILDREN 6000

static char root[64];      /* scratch directory for the whole group */
static char shared[128];   /* the shared population */

/* ------------------------------------------------------------ helpers */

static void path_of(char *out, size_t cap, const char *dir, const char *file)
{
    snprintf(out, cap, "%s/%s", dir, file);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa != NULL && fb != NULL;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static cl_status run_synth(const char *dir, long children, uint64_t seed, const char *config,
                           double scale, cl_error *err)
{
    cl_synth_options opt;
    cl_synth_options_default(&opt);
    if (config != NULL) {
        cl_status st = cl_synth_load_config(&opt, config, err);
        if (st != CL_OK)
            return st;
    }
    opt.children = children;
    opt.seed = seed;
    opt.error_scale = scale;
    return cl_synth_run(&opt, dir, err);
}

/* An open CSV with its header read. */
typedef struct table {
    cl_csv_reader *r;
    char names[48][40];
    size_t ncols;
} table;

static void open_table(table *t, const char *dir, const char *file)
{
    char path[256];
    cl_error err;
    path_of(path, sizeof path, dir, file);
    assert_int_equal(cl_csv_open(&t->r, path, 0, &err), CL_OK);
    assert_int_equal(cl_csv_next(t->r, &err), CL_OK);
    t->ncols = cl_csv_nfields(t->r);
    assert_true(t->ncols <= 48);
    for (size_t i = 0; i < t->ncols; i++)
        snprintf(t->names[i], sizeof t->names[i], "%s", cl_csv_field(t->r, i, NULL));
}

static int col(const table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return (int)i;
    fail_msg("no column %s", name);
    return -1;
}

static int next_row(table *t)
{
    cl_error err;
    cl_status st = cl_csv_next(t->r, &err);
    if (st == CL_END)
        return 0;
    assert_int_equal(st, CL_OK);
    assert_int_equal(cl_csv_nfields(t->r), t->ncols);
    return 1;
}

static const char *field(const table *t, int i)
{
    return cl_csv_field(t->r, (size_t)i, NULL);
}

static void close_table(table *t)
{
    cl_csv_close(t->r);
}

/* What people.csv says about each child. */
typedef struct person {
    char nhs[11], nhs2[11], upn[14], dob[11], sex;
    char forename[64], birth_surname[64];
    long family;
    int twin, downs, born_abroad, adopted;
    char asthma[11], first_cin[11];
    char entry_la[10];
} person;

static person *people;
static long n_people;

static void load_people(const char *dir)
{
    table t;
    open_table(&t, dir, "people.csv");
    int c_id = col(&t, "person_id"), c_nhs = col(&t, "nhs_number"),
        c_nhs2 = col(&t, "nhs_number_after_adoption"), c_upn = col(&t, "upn"),
        c_dob = col(&t, "dob"), c_sex = col(&t, "sex"), c_fam = col(&t, "family_id"),
        c_twin = col(&t, "multiple_birth"), c_downs = col(&t, "downs_syndrome"),
        c_abroad = col(&t, "born_abroad"), c_asthma = col(&t, "asthma_onset"),
        c_cin = col(&t, "first_cin_referral"), c_fore = col(&t, "forename"),
        c_sur = col(&t, "birth_surname"), c_adopted = col(&t, "adopted"),
        c_la = col(&t, "entry_la");
    people = calloc(SHARED_CHILDREN + 1, sizeof *people);
    assert_non_null(people);
    n_people = 0;
    while (next_row(&t)) {
        long id = atol(field(&t, c_id));
        assert_int_equal(id, n_people + 1);
        assert_true(id <= SHARED_CHILDREN);
        person *p = &people[id];
        snprintf(p->nhs, sizeof p->nhs, "%s", field(&t, c_nhs));
        snprintf(p->nhs2, sizeof p->nhs2, "%s", field(&t, c_nhs2));
        snprintf(p->upn, sizeof p->upn, "%s", field(&t, c_upn));
        snprintf(p->dob, sizeof p->dob, "%s", field(&t, c_dob));
        snprintf(p->asthma, sizeof p->asthma, "%s", field(&t, c_asthma));
        snprintf(p->first_cin, sizeof p->first_cin, "%s", field(&t, c_cin));
        snprintf(p->forename, sizeof p->forename, "%s", field(&t, c_fore));
        snprintf(p->birth_surname, sizeof p->birth_surname, "%s", field(&t, c_sur));
        snprintf(p->entry_la, sizeof p->entry_la, "%s", field(&t, c_la));
        p->sex = field(&t, c_sex)[0];
        p->family = atol(field(&t, c_fam));
        p->twin = atoi(field(&t, c_twin));
        p->downs = atoi(field(&t, c_downs));
        p->born_abroad = atoi(field(&t, c_abroad));
        p->adopted = field(&t, c_adopted)[0] != '\0';
        n_people = id;
    }
    close_table(&t);
    assert_int_equal(n_people, SHARED_CHILDREN);
}

/* Walk a source file together with its rows of truth.csv (which are
 * written in the same order), checking that the record ids agree. */
typedef struct zip {
    table src, truth;
    const char *source;
    int t_source, t_id, t_person, t_errors, t_decile;
} zip;

static void open_zip(zip *z, const char *dir, const char *source)
{
    char file[64];
    snprintf(file, sizeof file, "%s.csv", source);
    open_table(&z->src, dir, file);
    open_table(&z->truth, dir, "truth.csv");
    z->source = source;
    z->t_source = col(&z->truth, "source");
    z->t_id = col(&z->truth, "record_id");
    z->t_person = col(&z->truth, "person_id");
    z->t_errors = col(&z->truth, "errors");
    z->t_decile = col(&z->truth, "deprivation_decile");
}

static int next_zip(zip *z)
{
    if (!next_row(&z->src))
        return 0;
    do
        assert_true(next_row(&z->truth));
    while (strcmp(field(&z->truth, z->t_source), z->source) != 0);
    assert_string_equal(field(&z->truth, z->t_id), field(&z->src, 0));
    return 1;
}

static const person *zip_person(const zip *z)
{
    long id = atol(field(&z->truth, z->t_person));
    assert_true(id >= 1 && id <= n_people);
    return &people[id];
}

static int has_error(const zip *z, const char *kind)
{
    const char *e = field(&z->truth, z->t_errors);
    size_t len = strlen(kind);
    for (const char *p = e; (p = strstr(p, kind)) != NULL; p += len)
        if ((p == e || p[-1] == '|') && (p[len] == '\0' || p[len] == '|'))
            return 1;
    return 0;
}

static void close_zip(zip *z)
{
    close_table(&z->src);
    close_table(&z->truth);
}

/* A config giving every group the same error rates (so each rate can be
 * measured), Down's syndrome common enough to see the SEN effect, and a
 * fixed number of small areas. */
static const char shared_config[] =
    "{\"prevalence\": {\"downs_syndrome\": 0.03},\n"
    " \"small_areas_per_la\": 8,\n"
    " \"error_multipliers\": {\"born_abroad_nhs_missing\": 1, \"born_abroad_dob\": 1,\n"
    "   \"name_errors_by_origin\": {\"irish\": 1, \"east_european\": 1,\n"
    "      \"south_asian_muslim\": 1, \"indian\": 1, \"west_african\": 1, \"somali\": 1,\n"
    "      \"chinese\": 1, \"arabic\": 1},\n"
    "   \"name_swap_by_origin\": {\"west_african\": 1, \"somali\": 1, \"chinese\": 1}}}\n";

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/cl_test_synth_XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    char config[128];
    snprintf(config, sizeof config, "%s/shared.json", root);
    FILE *f = fopen(config, "w");
    if (f == NULL)
        return -1;
    fputs(shared_config, f);
    fclose(f);
    snprintf(shared, sizeof shared, "%s/shared", root);
    cl_error err;
    if (run_synth(shared, SHARED_CHILDREN, 42, config, 1.0, &err) != CL_OK) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(people);
    people = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------- options */

static void test_options_default(void **state)
{
    (void)state;
    cl_synth_options opt;
    memset(&opt, 0x55, sizeof opt);
    cl_synth_options_default(&opt);
    assert_int_equal(opt.children, 20000);
    assert_int_equal(opt.seed, 1);
    assert_int_equal(opt.first_year, 2005);
    assert_int_equal(opt.last_year, 2020);
    assert_int_equal(opt.areas, 10);
    assert_true(opt.error_scale == 1.0);
    assert_null(opt.config_path);
    assert_int_equal(opt.force, 0);
    assert_null(opt.progress);
}

static void expect_option_error(cl_synth_options *opt, const char *dir, const char *text)
{
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(cl_synth_run(opt, dir, &err), CL_EINVAL);
    assert_int_equal(err.code, CL_EINVAL);
    if (strstr(err.message, text) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.message, text);
}

static void test_rejects_bad_options(void **state)
{
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/bad-options", root);
    cl_synth_options opt;
    cl_synth_options_default(&opt);
    opt.children = 0;
    expect_option_error(&opt, dir, "children");
    opt.children = -5;
    expect_option_error(&opt, dir, "children");
    cl_synth_options_default(&opt);
    opt.first_year = 2020;
    opt.last_year = 2010;
    expect_option_error(&opt, dir, "after");
    cl_synth_options_default(&opt);
    opt.areas = 0;
    expect_option_error(&opt, dir, "local authorities");
    opt.areas = 501;
    expect_option_error(&opt, dir, "local authorities");
    cl_synth_options_default(&opt);
    opt.error_scale = -0.5;
    expect_option_error(&opt, dir, "error scale");
    opt.error_scale = 100.5;
    expect_option_error(&opt, dir, "error scale");
    cl_synth_options_default(&opt);
    opt.seed = UINT64_MAX;
    expect_option_error(&opt, dir, "seed");
    /* Nothing was created for refused options. */
    assert_int_equal(count_entries(dir), -1);
}

static void test_refuses_non_empty_directory(void **state)
{
    (void)state;
    char dir[128], path[256];
    snprintf(dir, sizeof dir, "%s/non-empty", root);
    assert_int_equal(mkdir(dir, 0777), 0);
    path_of(path, sizeof path, dir, "keep.txt");
    write_text(path, "mine\n");
    cl_error err;
    assert_int_equal(run_synth(dir, 20, 1, NULL, 1.0, &err), CL_EEXIST);
    assert_non_null(strstr(err.message, "--force"));
    assert_int_equal(count_entries(dir), 1);
    cl_synth_options opt;
    cl_synth_options_default(&opt);
    opt.children = 20;
    opt.force = 1;
    assert_int_equal(cl_synth_run(&opt, dir, &err), CL_OK);
    assert_int_equal(count_entries(dir), 18);   /* 17 outputs and keep.txt */
}

static void test_unwritable_directory(void **state)
{
    (void)state;
    char file[128], dir[160];
    snprintf(file, sizeof file, "%s/plain-file", root);
    write_text(file, "x\n");
    snprintf(dir, sizeof dir, "%s/sub", file);
    cl_error err;
    assert_int_equal(run_synth(dir, 20, 1, NULL, 1.0, &err), CL_EIO);
    assert_non_null(strstr(err.file, "plain-file"));
    /* The directory path itself being a file is refused too. */
    assert_int_equal(run_synth(file, 20, 1, NULL, 1.0, &err), CL_EIO);
}

static void expect_config_error(const char *text, cl_status want, const char *message)
{
    char path[128];
    snprintf(path, sizeof path, "%s/bad-config.json", root);
    write_text(path, text);
    cl_synth_options opt;
    cl_synth_options_default(&opt);
    cl_error err;
    cl_error_clear(&err);
    assert_int_equal(cl_synth_load_config(&opt, path, &err), want);
    if (strstr(err.message, message) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.message, message);
    assert_int_equal(opt.children, 20000);   /* unchanged on failure */
    assert_null(opt.config_path);
}

static void test_config_errors(void **state)
{
    (void)state;
    expect_config_error("{\"childern\": 5}", CL_EINVAL, "unknown parameter \"childern\"");
    expect_config_error("{\"population\": {\"twin_rat\": 0.1}}", CL_EINVAL, "twin_rat");
    expect_config_error("{\"populace\": {}}", CL_EINVAL, "populace");
    expect_config_error("{\"errors\": {\"hes_apc\": {\"nhs_missing\": 1.5}}}", CL_EINVAL,
                        "errors.hes_apc.nhs_missing is out of range");
    expect_config_error("{\"errors\": {\"hes_apc\": {\"nhs_missing\": -0.1}}}", CL_EINVAL,
                        "out of range");
    expect_config_error("{\"errors\": {\"npd_census\": {\"nhs_missing\": 0.1}}}", CL_EINVAL,
                        "does not apply to npd_census");
    expect_config_error("{\"errors\": {\"gp\": {}}}", CL_EINVAL, "unknown source \"gp\"");
    expect_config_error("{\"errors\": {\"hes_apc\": {\"nhs_typo\": 0.1}}}", CL_EINVAL,
                        "unknown error kind");
    expect_config_error("{\"population\": {\"twin_rate\": \"lots\"}}", CL_EINVAL,
                        "must be a number");
    expect_config_error("{\"children\": 0}", CL_EINVAL, "children");
    expect_config_error("{\"children\": 2.5}", CL_EINVAL, "whole number");
    expect_config_error("{\"effects\": {\"late_sen_las\": [\"E06000001\"]}}", CL_EINVAL,
                        "E06000001");
    expect_config_error("{\"ethnic_groups\": {\"XXXX\": {\"share\": 1}}}", CL_EINVAL,
                        "unknown ethnic group");
    expect_config_error("{\"format\": \"other/2\"}", CL_EINVAL, "format");
    expect_config_error("{\"follow_up_end\": \"31/03/2024\"}", CL_EINVAL, "yyyy-mm-dd");
    expect_config_error("{\"children\": 5,", CL_EFORMAT, "not valid JSON");
    expect_config_error("[1, 2]", CL_EINVAL, "one JSON object");
    expect_config_error("{\"seed\": 1, \"seed\": 2}", CL_EFORMAT, "not valid JSON");

    /* Errors only visible with everything together: rates of one field
     * adding to more than 1, a late authority beyond the number of areas. */
    char path[128], dir[160];
    cl_error err;
    snprintf(path, sizeof path, "%s/sum.json", root);
    write_text(path, "{\"errors\": {\"ecds\": {\"nhs_missing\": 0.6, \"nhs_wrong_digit\": 0.6}}}");
    snprintf(dir, sizeof dir, "%s/sum-out", root);
    assert_int_equal(run_synth(dir, 10, 1, path, 1.0, &err), CL_EINVAL);
    assert_non_null(strstr(err.message, "errors.ecds"));
    write_text(path, "{\"areas\": 3, \"effects\": {\"late_sen_las\": [\"E09900006\"]}}");
    assert_int_equal(run_synth(dir, 10, 1, path, 1.0, &err), CL_EINVAL);
    assert_non_null(strstr(err.message, "E09900006"));
    assert_int_equal(count_entries(dir), -1);

    cl_synth_options opt;
    cl_synth_options_default(&opt);
    snprintf(path, sizeof path, "%s/does-not-exist.json", root);
    assert_int_equal(cl_synth_load_config(&opt, path, &err), CL_EIO);
}

static void test_config_precedence(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/top.json", root);
    write_text(path, "{\"children\": 123, \"seed\": 9, \"areas\": 4, \"error_scale\": 0.5}");
    cl_synth_options opt;
    cl_synth_options_default(&opt);
    opt.first_year = 2010;
    cl_error err;
    assert_int_equal(cl_synth_load_config(&opt, path, &err), CL_OK);
    assert_int_equal(opt.children, 123);
    assert_int_equal(opt.seed, 9);
    assert_int_equal(opt.areas, 4);
    assert_true(opt.error_scale == 0.5);
    assert_int_equal(opt.first_year, 2010);   /* not in the file: kept */
    assert_string_equal(opt.config_path, path);
}

/* ------------------------------------------------------- determinism */

static const char *const all_files[] = {
    "hes_apc.csv", "ecds.csv", "camhs.csv", "npd_census.csv", "npd_absence.csv",
    "npd_ks2.csv", "npd_ks4.csv", "npd_exclusions.csv", "csc_cin.csv", "csc_cla.csv",
    "truth.csv", "people.csv", "areas.csv", "postcodes.csv", "schools.csv",
    "error_summary.csv", "params.json", NULL,
};

static void test_deterministic(void **state)
{
    (void)state;
    char a[128], b[128], c[128], d[128], pa[256], pb[256];
    snprintf(a, sizeof a, "%s/det-a", root);
    snprintf(b, sizeof b, "%s/det-b", root);
    snprintf(c, sizeof c, "%s/det-c", root);
    snprintf(d, sizeof d, "%s/det-d", root);
    cl_error err;
    assert_int_equal(run_synth(a, 800, 77, NULL, 1.0, &err), CL_OK);
    assert_int_equal(run_synth(b, 800, 77, NULL, 1.0, &err), CL_OK);
    assert_int_equal(run_synth(c, 800, 78, NULL, 1.0, &err), CL_OK);
    for (int i = 0; all_files[i] != NULL; i++) {
        path_of(pa, sizeof pa, a, all_files[i]);
        path_of(pb, sizeof pb, b, all_files[i]);
        if (!files_equal(pa, pb))
            fail_msg("%s differs between two runs with the same seed", all_files[i]);
    }
    path_of(pa, sizeof pa, a, "truth.csv");
    path_of(pb, sizeof pb, c, "truth.csv");
    assert_false(files_equal(pa, pb));
    /* params.json read back reproduces the run byte for byte. */
    path_of(pa, sizeof pa, a, "params.json");
    cl_synth_options opt;
    cl_synth_options_default(&opt);
    assert_int_equal(cl_synth_load_config(&opt, pa, &err), CL_OK);
    assert_int_equal(opt.children, 800);
    assert_int_equal(opt.seed, 77);
    assert_int_equal(cl_synth_run(&opt, d, &err), CL_OK);
    for (int i = 0; all_files[i] != NULL; i++) {
        path_of(pa, sizeof pa, a, all_files[i]);
        path_of(pb, sizeof pb, d, all_files[i]);
        if (!files_equal(pa, pb))
            fail_msg("%s differs when rerun from params.json", all_files[i]);
    }
}

/* --------------------------------------------------- files and truth */

static void test_files_headers_and_truth(void **state)
{
    (void)state;
    load_people(shared);
    long total = 0;
    for (int s = 0; s < SYNTH_N_SOURCES; s++) {
        zip z;
        open_zip(&z, shared, synth_source_names[s]);
        int is_npd = strncmp(synth_source_names[s], "npd_", 4) == 0;
        for (size_t i = 0; i < z.src.ncols; i++) {
            /* The NPD carries no NHS number, as the real one does not. */
            if (is_npd)
                assert_null(strstr(z.src.names[i], "NHS"));
        }
        long rows = 0;
        while (next_zip(&z))
            rows++;
        /* No truth row of this source is left over. */
        while (next_row(&z.truth))
            assert_string_not_equal(field(&z.truth, z.t_source), synth_source_names[s]);
        close_zip(&z);
        assert_true(rows > 0);
        total += rows;
    }
    /* Moderate records per child (the linkage has to handle them). */
    assert_true(total >= 12 * SHARED_CHILDREN && total <= 30 * SHARED_CHILDREN);
    table t;
    open_table(&t, shared, "npd_census.csv");
    static const char *const census[] = {"RecordID", "UPN", "LegalSurname", "Forename",
                                         "DOB", "Gender", "Postcode", "Ethnicity"};
    for (size_t i = 0; i < sizeof census / sizeof census[0]; i++)
        col(&t, census[i]);
    close_table(&t);
    open_table(&t, shared, "hes_apc.csv");
    static const char *const hes[] = {"EPIKEY", "NEWNHSNO", "FORENAME", "SURNAME", "DOB",
                                      "SEX", "HOMEADD", "ETHNOS", "ADMIDATE", "ADMIMETH",
                                      "DIAG_4_01"};
    for (size_t i = 0; i < sizeof hes / sizeof hes[0]; i++)
        col(&t, hes[i]);
    close_table(&t);
}

/* Every person's true identifiers are valid and unique. */
static void test_true_identifiers_valid(void **state)
{
    (void)state;
    assert_non_null(people);
    for (long i = 1; i <= n_people; i++) {
        char out[14];
        const char *reason;
        assert_int_equal(cl_nhs_check(people[i].nhs, strlen(people[i].nhs), out, &reason),
                         CL_CHECK_VALID);
        if (people[i].upn[0]) {
            int temporary = 1;
            assert_int_equal(cl_upn_check(people[i].upn, 13, out, &temporary, &reason),
                             CL_CHECK_VALID);
            assert_int_equal(temporary, 0);
        }
        for (long j = i + 1; j <= n_people && j < i + 50; j++) {
            assert_string_not_equal(people[i].nhs, people[j].nhs);
            if (people[i].upn[0])
                assert_string_not_equal(people[i].upn, people[j].upn);
        }
    }
}

static void test_twins(void **state)
{
    (void)state;
    long twins = 0;
    for (long i = 1; i <= n_people; i++) {
        if (!people[i].twin)
            continue;
        twins++;
        /* A twin's co-twin is next to it, in the same family, born the
         * same day, with the same surname and a different forename. */
        const person *other = NULL;
        if (i > 1 && people[i - 1].twin && people[i - 1].family == people[i].family &&
            strcmp(people[i - 1].dob, people[i].dob) == 0)
            other = &people[i - 1];
        if (i < n_people && people[i + 1].twin && people[i + 1].family == people[i].family &&
            strcmp(people[i + 1].dob, people[i].dob) == 0)
            other = &people[i + 1];
        assert_non_null(other);
        assert_string_equal(other->birth_surname, people[i].birth_surname);
        assert_string_not_equal(other->forename, people[i].forename);
    }
    double share = (double)twins / (double)n_people;
    if (share < 0.009 || share > 0.022)
        fail_msg("twins are %.4f of children, configured 0.015", share);
}

/* The rates in error_summary.csv match the configuration, and the errors
 * column of truth.csv agrees with it. */
static void test_error_rates(void **state)
{
    (void)state;
    long from_truth[SYNTH_N_SOURCES][SYNTH_N_KINDS];
    memset(from_truth, 0, sizeof from_truth);
    table t;
    open_table(&t, shared, "truth.csv");
    int c_src = col(&t, "source"), c_err = col(&t, "errors");
    while (next_row(&t)) {
        int s = 0;
        while (strcmp(synth_source_names[s], field(&t, c_src)) != 0)
            s++;
        const char *e = field(&t, c_err);
        while (*e) {
            size_t len = strcspn(e, "|");
            int k = 0;
            while (k < SYNTH_N_KINDS && !(strlen(synth_kind_names[k]) == len &&
                                          strncmp(synth_kind_names[k], e, len) == 0))
                k++;
            assert_true(k < SYNTH_N_KINDS);
            from_truth[s][k]++;
            e += len + (e[len] == '|');
        }
    }
    close_table(&t);

    synth_params p;
    synth_params_default(&p);
    open_table(&t, shared, "error_summary.csv");
    int c_source = col(&t, "source"), c_kind = col(&t, "error"),
        c_conf = col(&t, "configured_rate"), c_elig = col(&t, "eligible"),
        c_applied = col(&t, "applied");
    int checked = 0;
    while (next_row(&t)) {
        int s = 0, k = 0;
        while (strcmp(synth_source_names[s], field(&t, c_source)) != 0)
            s++;
        while (strcmp(synth_kind_names[k], field(&t, c_kind)) != 0)
            k++;
        double rate = atof(field(&t, c_conf));
        assert_true(fabs(rate - p.error_rate[s][k]) < 1e-9);
        long eligible = atol(field(&t, c_elig)), applied = atol(field(&t, c_applied));
        assert_int_equal(applied, from_truth[s][k]);
        if (eligible * rate < 20)
            continue;
        /* Errors stick to a person within a source, so records cluster:
         * allow for that in the standard error. */
        double measured = (double)applied / (double)eligible;
        double se = sqrt(rate * (1 - rate) / (double)eligible);
        double tolerance = 5.0 * se * 2.5 + 0.0005;
        if (fabs(measured - rate) > tolerance)
            fail_msg("%s %s: measured %.5f over %ld eligible, configured %.5f",
                     synth_source_names[s], synth_kind_names[k], measured, eligible, rate);
        checked++;
    }
    close_table(&t);
    if (checked < 100)
        fail_msg("only %d rates had enough records to check", checked);
}

static int32_t parse_dmy(const char *s)
{
    int32_t day;
    cl_date_options opt = {CL_DATE_DMY, 0, cl_date_from_ymd(2100, 1, 1), 1900};
    if (s[0] == '\0' || cl_date_parse(s, strlen(s), &opt, &day, NULL) != CL_CHECK_VALID)
        return INT32_MIN;
    return day;
}

static int32_t parse_iso(const char *s)
{
    int32_t day;
    cl_date_options opt = {CL_DATE_ISO, 0, cl_date_from_ymd(2100, 1, 1), 1900};
    if (s[0] == '\0' || cl_date_parse(s, strlen(s), &opt, &day, NULL) != CL_CHECK_VALID)
        return INT32_MIN;
    return day;
}

/* Check the errors against the data itself: what truth.csv says was done
 * is what the record shows, and a record without errors is exactly true. */
static void test_errors_visible_in_records(void **state)
{
    (void)state;
    zip z;
    open_zip(&z, shared, "hes_apc");
    int c_nhs = col(&z.src, "NEWNHSNO"), c_dob = col(&z.src, "DOB"), c_sex = col(&z.src, "SEX");
    long rows = 0, missing = 0, clean_rows = 0;
    while (next_zip(&z)) {
        const person *p = zip_person(&z);
        const char *nhs = field(&z.src, c_nhs);
        char out[11];
        rows++;
        if (nhs[0] == '\0') {
            assert_true(has_error(&z, "nhs_missing"));
            missing++;
        } else if (has_error(&z, "nhs_wrong_digit") || has_error(&z, "nhs_transposed")) {
            /* Modulus 11 catches every single wrong digit and swap. */
            assert_int_equal(cl_nhs_check(nhs, 10, out, NULL), CL_CHECK_INVALID);
        } else if (has_error(&z, "nhs_other_person")) {
            assert_int_equal(cl_nhs_check(nhs, 10, out, NULL), CL_CHECK_VALID);
            assert_string_not_equal(nhs, p->nhs);
        } else {
            assert_true(strcmp(nhs, p->nhs) == 0 || strcmp(nhs, p->nhs2) == 0);
        }
        if (field(&z.truth, z.t_errors)[0] == '\0') {
            clean_rows++;
            assert_string_equal(field(&z.src, c_dob), p->dob);
            assert_string_equal(field(&z.src, c_sex), p->sex == 'M' ? "1" : "2");
        }
        if (has_error(&z, "dob_day_month")) {
            int32_t recorded = parse_iso(field(&z.src, c_dob)), real = parse_iso(p->dob);
            int ry, rm, rd, ty, tm, td;
            cl_date_to_ymd(recorded, &ry, &rm, &rd);
            cl_date_to_ymd(real, &ty, &tm, &td);
            assert_true(ry == ty && rm == td && rd == tm && rm != rd);
        }
    }
    close_zip(&z);
    assert_true(clean_rows > rows / 2);
    double share = (double)missing / (double)rows;
    assert_true(share > 0.005 && share < 0.02);   /* configured 0.01 */

    open_zip(&z, shared, "npd_census");
    int c_upn = col(&z.src, "UPN"), c_cdob = col(&z.src, "DOB");
    while (next_zip(&z)) {
        const person *p = zip_person(&z);
        const char *upn = field(&z.src, c_upn);
        char out[14];
        int temporary = -1;
        if (has_error(&z, "upn_temporary")) {
            assert_int_equal(cl_upn_check(upn, strlen(upn), out, &temporary, NULL),
                             CL_CHECK_VALID);
            assert_int_equal(temporary, 1);
        } else if (has_error(&z, "upn_wrong_digit")) {
            assert_int_equal(cl_upn_check(upn, strlen(upn), out, &temporary, NULL),
                             CL_CHECK_INVALID);
        } else if (!has_error(&z, "upn_missing")) {
            assert_string_equal(upn, p->upn);
        }
        int32_t dob = parse_dmy(field(&z.src, c_cdob));
        if (!has_error(&z, "dob_day_month") && !has_error(&z, "dob_wrong_digit") &&
            !has_error(&z, "dob_estimated") && !has_error(&z, "dob_missing"))
            assert_int_equal(dob, parse_iso(p->dob));
    }
    close_zip(&z);
}

static void test_perfect_identifiers(void **state)
{
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/perfect", root);
    cl_error err;
    assert_int_equal(run_synth(dir, 1500, 5, NULL, 0.0, &err), CL_OK);
    table t;
    open_table(&t, dir, "truth.csv");
    int c_err = col(&t, "errors");
    while (next_row(&t))
        assert_string_equal(field(&t, c_err), "");
    close_table(&t);
    static const struct {
        const char *file, *nhs, *postcode;
    } health[] = {{"hes_apc.csv", "NEWNHSNO", "HOMEADD"},
                  {"ecds.csv", "NHS_NUMBER", "POSTCODE_USUAL_ADDRESS"},
                  {"camhs.csv", "NHS_NUMBER", "POSTCODE"}};
    for (size_t i = 0; i < sizeof health / sizeof health[0]; i++) {
        open_table(&t, dir, health[i].file);
        int c_nhs = col(&t, health[i].nhs), c_pc = col(&t, health[i].postcode);
        while (next_row(&t)) {
            char out[11];
            cl_postcode pc;
            assert_int_equal(cl_nhs_check(field(&t, c_nhs), strlen(field(&t, c_nhs)), out,
                                          NULL),
                             CL_CHECK_VALID);
            assert_int_equal(cl_postcode_parse(field(&t, c_pc), strlen(field(&t, c_pc)), &pc,
                                               NULL),
                             CL_CHECK_VALID);
        }
        close_table(&t);
    }
    open_table(&t, dir, "npd_census.csv");
    int c_upn = col(&t, "UPN"), c_dob = col(&t, "DOB");
    while (next_row(&t)) {
        char out[14];
        int temporary = -1;
        assert_int_equal(cl_upn_check(field(&t, c_upn), 13, out, &temporary, NULL),
                         CL_CHECK_VALID);
        assert_int_equal(temporary, 0);
        assert_true(parse_dmy(field(&t, c_dob)) != INT32_MIN);
    }
    close_table(&t);
}

/* ---------------------------------------------------- planted effects */

static void test_planted_effects(void **state)
{
    (void)state;
    /* Asthma raises absence; absence rises after the move to secondary. */
    double sum[2] = {0, 0}, by_year[12] = {0};
    long n[2] = {0, 0}, n_year[12] = {0};
    zip z;
    open_zip(&z, shared, "npd_absence");
    int c_poss = col(&z.src, "SessionsPossible"), c_auth = col(&z.src, "SessionsAuthorised"),
        c_unauth = col(&z.src, "SessionsUnauthorised"), c_year = col(&z.src, "AcademicYear"),
        c_nc = col(&z.src, "NCyearActual");
    while (next_zip(&z)) {
        const person *p = zip_person(&z);
        double rate = (atof(field(&z.src, c_auth)) + atof(field(&z.src, c_unauth))) /
                      atof(field(&z.src, c_poss));
        char sep1[11];
        snprintf(sep1, sizeof sep1, "%.4s-09-01", field(&z.src, c_year));
        int asthma = p->asthma[0] && strcmp(p->asthma, sep1) < 0;
        sum[asthma] += rate;
        n[asthma]++;
        const char *nc = field(&z.src, c_nc);
        int yg = nc[0] == 'R' ? 0 : atoi(nc);
        by_year[yg] += rate;
        n_year[yg]++;
    }
    close_zip(&z);
    double asthma_ratio = (sum[1] / (double)n[1]) / (sum[0] / (double)n[0]);
    if (asthma_ratio < 1.3 || asthma_ratio > 1.9)
        fail_msg("absence with asthma / without: %.3f, planted 1.5", asthma_ratio);
    double transition = (by_year[7] / (double)n_year[7]) / (by_year[6] / (double)n_year[6]);
    double before = (by_year[6] / (double)n_year[6]) / (by_year[5] / (double)n_year[5]);
    if (transition < 1.2 || transition > 1.55 || before > 1.12)
        fail_msg("absence year 7 / year 6: %.3f (year 6 / year 5 %.3f), planted 1.35",
                 transition, before);

    /* Down's syndrome: EHC plans start later in the late authorities. */
    double first_plan[2] = {0, 0};
    long plans[2] = {0, 0};
    long seen_child = -1;
    open_zip(&z, shared, "npd_census");
    int c_sen = col(&z.src, "SENprovision"), c_la = col(&z.src, "LA");
    c_nc = col(&z.src, "NCyearActual");
    while (next_zip(&z)) {
        const person *pp = zip_person(&z);
        long id = (long)(pp - people);
        if (!pp->downs || id == seen_child || field(&z.src, c_sen)[0] != 'E')
            continue;
        /* Rows of a child come in year order: the first E is the start. */
        seen_child = id;
        int la = atoi(field(&z.src, c_la)) - 101;
        const char *nc = field(&z.src, c_nc);
        int late = la % 3 == 2;   /* the default late authorities */
        first_plan[late] += nc[0] == 'R' ? 0 : atoi(nc);
        plans[late]++;
    }
    close_zip(&z);
    assert_true(plans[0] >= 10 && plans[1] >= 5);
    double gap = first_plan[1] / (double)plans[1] - first_plan[0] / (double)plans[0];
    if (gap < 2.0 || gap > 4.0)
        fail_msg("Down's syndrome EHC plans start %.2f years later in late authorities, "
                 "planted 3", gap);

    /* Children in need do worse at key stage 2. */
    double ks2[2] = {0, 0};
    long nks2[2] = {0, 0};
    open_zip(&z, shared, "npd_ks2");
    int c_read = col(&z.src, "KS2_READ_SCALED");
    c_year = col(&z.src, "AcademicYear");
    while (next_zip(&z)) {
        const person *pp = zip_person(&z);
        char test_day[24];
        snprintf(test_day, sizeof test_day, "%04d-05-12",
                 (atoi(field(&z.src, c_year)) + 1) % 10000);
        int cin = pp->first_cin[0] && strcmp(pp->first_cin, test_day) < 0;
        ks2[cin] += atof(field(&z.src, c_read));
        nks2[cin]++;
    }
    close_zip(&z);
    assert_true(nks2[1] >= 30);
    assert_true(ks2[1] / (double)nks2[1] < ks2[0] / (double)nks2[0] - 2.0);

    /* Deprivation raises emergency admissions. */
    long admissions[2] = {0, 0};
    open_zip(&z, shared, "hes_apc");
    int c_meth = col(&z.src, "ADMIMETH");
    while (next_zip(&z)) {
        int decile = atoi(field(&z.truth, z.t_decile));
        if (field(&z.src, c_meth)[0] == '2' && (decile <= 3 || decile >= 8))
            admissions[decile <= 3]++;
    }
    close_zip(&z);
    long census[2] = {0, 0};
    open_zip(&z, shared, "npd_census");
    while (next_zip(&z)) {
        int decile = atoi(field(&z.truth, z.t_decile));
        if (decile <= 3 || decile >= 8)
            census[decile <= 3]++;
    }
    close_zip(&z);
    double ratio = ((double)admissions[1] / (double)census[1]) /
                   ((double)admissions[0] / (double)census[0]);
    if (ratio < 1.2)
        fail_msg("emergency admissions, deprived / affluent: %.3f", ratio);

    /* Mental-health referrals jump at the move to secondary school: compare
     * the year before and the year after 1 September of year 7. */
    long camhs_before = 0, camhs_after = 0;
    open_zip(&z, shared, "camhs");
    int c_ref = col(&z.src, "REFERRAL_DATE");
    while (next_zip(&z)) {
        const person *pp = zip_person(&z);
        int y, m, d;
        cl_date_to_ymd(parse_iso(pp->dob), &y, &m, &d);
        int32_t transfer = cl_date_from_ymd((m >= 9 ? y + 1 : y) + 11, 9, 1);
        int32_t referral = parse_iso(field(&z.src, c_ref));
        if (referral >= transfer - 365 && referral < transfer)
            camhs_before++;
        else if (referral >= transfer && referral < transfer + 365)
            camhs_after++;
    }
    close_zip(&z);
    if (!(camhs_after > 1.4 * (double)camhs_before))
        fail_msg("CAMHS referrals before / after year 7: %ld / %ld", camhs_before, camhs_after);
}

/* ----------------------------------------------------- the model parts */

static void test_names(void **state)
{
    (void)state;
    synth_names *n;
    cl_error err;
    assert_int_equal(synth_names_new(&n, &err), CL_OK);
    assert_true(synth_names_forename_count(n) >= 2000);
    assert_true(synth_names_surname_count(n) >= 5000);
    double smith = synth_names_top_surname_share(n, SYNTH_ORIGIN_ENGLISH);
    assert_true(smith > 0.004 && smith < 0.02);

    synth_rng r;
    synth_rng_seed(&r, 7);
    char out[96];
    for (int i = 0; i < 50; i++) {
        assert_int_equal(synth_name_nickname(n, "William", &r, out, sizeof out), 1);
        assert_true(strcmp(out, "Will") == 0 || strcmp(out, "Bill") == 0 ||
                    strcmp(out, "Billy") == 0 || strcmp(out, "Liam") == 0 ||
                    strcmp(out, "Wills") == 0);
        assert_int_equal(synth_name_translit(n, "Muhammad", SYNTH_ORIGIN_SOUTH_ASIAN_MUSLIM,
                                             &r, out, sizeof out),
                         1);
        assert_string_not_equal(out, "Muhammad");
        assert_int_equal(synth_name_phonetic(n, "Catherine", &r, out, sizeof out), 1);
        assert_string_not_equal(out, "Catherine");
        assert_int_equal(synth_name_typo("Jessica", &r, out, sizeof out), 1);
        assert_string_not_equal(out, "Jessica");
        size_t len = strlen(out);
        assert_true(len >= 6 && len <= 8);
    }
    /* Not every name has every variant. */
    assert_int_equal(synth_name_nickname(n, "Zzyzx", &r, out, sizeof out), 0);
    assert_int_equal(synth_name_typo("A", &r, out, sizeof out), 0);
    assert_int_equal(synth_name_translit(n, "Bob", SYNTH_ORIGIN_ENGLISH, &r, out, sizeof out), 0);
    synth_name_upper("Wójcik-Łukasz", out, sizeof out);
    assert_string_equal(out, "WOJCIK-LUKASZ");

    /* Names drift by cohort: Jack was commoner in 2005, Arthur in 2020. */
    long jack[2] = {0, 0}, arthur[2] = {0, 0};
    for (int i = 0; i < 20000; i++)
        for (int y = 0; y < 2; y++) {
            const char *name = synth_names_forename(n, SYNTH_ORIGIN_ENGLISH, 0,
                                                    y ? 2020 : 2005, &r);
            jack[y] += strcmp(name, "Jack") == 0;
            arthur[y] += strcmp(name, "Arthur") == 0;
        }
    assert_true(jack[0] > 2 * jack[1]);
    assert_true(arthur[1] > 4 * arthur[0]);
    synth_names_free(n);
}

static void test_rng_and_formatting(void **state)
{
    (void)state;
    /* The record-id permutation is a bijection. */
    static unsigned char seen[1u << 12];
    memset(seen, 0, sizeof seen);
    for (uint64_t x = 0; x < (1u << 12); x++) {
        uint64_t y = synth_permute(x, 99, 12);
        assert_true(y < (1u << 12));
        assert_int_equal(seen[y], 0);
        seen[y] = 1;
    }
    assert_true(fabs(synth_exp_neg(1.0) / 0.36787944117144233 - 1.0) < 1e-11);
    assert_true(fabs(synth_exp_neg(10.0) / 4.5399929762484854e-05 - 1.0) < 1e-11);
    assert_true(synth_exp_neg(0.0) == 1.0);
    synth_rng r;
    synth_rng_seed(&r, 3);
    long total = 0;
    for (int i = 0; i < 20000; i++)
        total += synth_rng_poisson(&r, 2.5);
    assert_true(fabs((double)total / 20000.0 - 2.5) < 0.06);
    assert_int_equal(synth_rng_poisson(&r, 0.0), 0);
    for (int i = 0; i < 1000; i++) {
        int32_t x = synth_rng_range(&r, -3, 3);
        assert_true(x >= -3 && x <= 3);
    }
    assert_int_equal(synth_rng_chance(&r, synth_prob_of(0.0)), 0);
    assert_int_equal(synth_rng_chance(&r, synth_prob_of(1.0)), 1);
    /* Streams are pure functions of their key. */
    synth_rng a, b;
    synth_rng_seed(&a, 12345);
    synth_rng_seed(&b, 12345);
    for (int i = 0; i < 100; i++)
        assert_true(synth_rng_u64(&a) == synth_rng_u64(&b));

    char buf[48];
    synth_fmt_nano(buf, 15000000);
    assert_string_equal(buf, "0.015");
    synth_fmt_nano(buf, 1000000000);
    assert_string_equal(buf, "1");
    synth_fmt_nano(buf, 2500000001);
    assert_string_equal(buf, "2.500000001");
    synth_fmt_long(buf, -42);
    assert_string_equal(buf, "-42");
    int32_t day = cl_date_from_ymd(2009, 3, 7);
    synth_fmt_iso(buf, day);
    assert_string_equal(buf, "2009-03-07");
    synth_fmt_dmy(buf, day);
    assert_string_equal(buf, "07/03/2009");
    synth_fmt_compact(buf, day);
    assert_string_equal(buf, "20090307");
    synth_la_code(2, buf);
    assert_string_equal(buf, "E09900003");
}

/* Memory does not grow with the number of children. */
static void test_memory_flat(void **state)
{
    (void)state;
    char path[128], small[128], large[128];
    snprintf(path, sizeof path, "%s/fixed-areas.json", root);
    write_text(path, "{\"small_areas_per_la\": 8}");
    snprintf(small, sizeof small, "%s/mem-small", root);
    snprintf(large, sizeof large, "%s/mem-large", root);
    cl_error err;
    size_t base = cl_alloc_bytes_in_use();
    assert_int_equal(run_synth(small, 300, 1, path, 1.0, &err), CL_OK);
    size_t peak_small = cl_alloc_bytes_peak();
    assert_int_equal(run_synth(large, 6000, 1, path, 1.0, &err), CL_OK);
    size_t peak_large = cl_alloc_bytes_peak();
    assert_int_equal(cl_alloc_bytes_in_use(), base);   /* nothing leaked */
    if (peak_large > peak_small + peak_small / 10)
        fail_msg("peak memory %zu bytes for 6000 children, %zu for 300", peak_large,
                 peak_small);
}

/* Every allocation failure is reported, and leaves no output behind. */
static void test_out_of_memory(void **state)
{
    (void)state;
    char dir[128], cmd[200];
    snprintf(dir, sizeof dir, "%s/oom", root);
    int completed = 0;
    for (long n = 1; n < 400 && !completed; n += 3) {
        cl_error err;
        cl_alloc_fail_after(n);
        cl_status st = run_synth(dir, 30, 1, NULL, 1.0, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            completed = 1;
            break;
        }
        assert_int_equal(st, CL_ENOMEM);
        int entries = count_entries(dir);
        if (entries > 0)
            fail_msg("failing allocation %ld left %d files", n, entries);
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
    assert_true(completed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_default),
        cmocka_unit_test(test_rejects_bad_options),
        cmocka_unit_test(test_refuses_non_empty_directory),
        cmocka_unit_test(test_unwritable_directory),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_precedence),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_files_headers_and_truth),
        cmocka_unit_test(test_true_identifiers_valid),
        cmocka_unit_test(test_twins),
        cmocka_unit_test(test_error_rates),
        cmocka_unit_test(test_errors_visible_in_records),
        cmocka_unit_test(test_perfect_identifiers),
        cmocka_unit_test(test_planted_effects),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rng_and_formatting),
        cmocka_unit_test(test_memory_flat),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
