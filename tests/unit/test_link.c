/* Unit tests: record store, comparisons, blocking, EM, linking guards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "childlink/blocking.h"
#include "childlink/encode.h"
#include "childlink/keys.h"
#include "childlink/link.h"
#include "childlink/schema.h"
#include "childlink/model.h"
#include "childlink/records.h"

static char dir[64];
static cl_records *small;

static const char *small_csv =
    "record_id,nhs_number,upn,forenames,surname,dob,sex,postcode\n"
    "a1,9434765919,,Oliver James,Smith,2012-03-04,M,SW1A 1AA\n"     /* 0 */
    "a2,,,Harry,Smith,2012-03-04,M,SW1A 1AA\n"                      /* 1: twin of a1 */
    "a3,9434765919,,Olly,Smith,2012-03-04,M,SW1A 1AA\n"             /* 2 */
    "a4,,,Smith,Oliver,2012-03-04,M,SW1A 1AA\n"                     /* 3: names swapped */
    "a5,9434765919,,Oliver,Smith,2012-04-03,M,SW1A 1AB\n"           /* 4: d/m swapped */
    "a6,9434765991,,James,Smith-Jones,2012-03-14,F,SW1A 2AA\n"      /* 5 */
    "a7,,,Oliver,Smyth,2012-03-04,,M1 1AE\n";                       /* 6 */

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cl_test_link_XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/small.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(small_csv, f);
    fclose(f);
    static char stored[128];
    strcpy(stored, path);
    cl_records_input in = {"s", stored, NULL};
    cl_error err;
    return cl_records_load(&small, &in, 1, NULL, &err) == CL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cl_records_free(small);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static unsigned level(size_t i, size_t j, int k)
{
    return CL_VECTOR_LEVEL(cl_compare(small, i, j), k);
}

/* Address lines, place, another identifier and free-form postcodes (the
 * fields FEBRL-like data bring). */
static void test_other_fields(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/other.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("record_id,forenames,surname,postcode,address,place,other_id\n"
          "b1,ann,lee,4223,8 stanley street|miami,winston hills,5304218\n"      /* 0 */
          "b2,ann,lee,4232,miami|8 stanley st,winston hils,5304281\n"         /* 1 */
          "b3,ann,lee,4223,8 stanley streat|miami,winston hills,5304218\n"    /* 2 */
          "b4,ann,lee,9999,42 other road,kew,1111111\n"                       /* 3 */
          "b5,ann,lee,,,,\n", f);                                            /* 4 */
    fclose(f);
    cl_records_input in = {"s", path, NULL};
    cl_records *r;
    cl_error err;
    assert_int_equal(cl_records_load(&r, &in, 1, NULL, &err), CL_OK);
#define LV(i, j, k) CL_VECTOR_LEVEL(cl_compare(r, i, j), k)
    assert_string_equal(cl_records_str(r, r->hot[0].address, NULL), "8 stanley street miami");
    assert_int_equal(LV(0, 1, CL_CMP_ADDRESS), 3);     /* half the words, in another order */
    assert_int_equal(LV(0, 2, CL_CMP_ADDRESS), 2);     /* Jaro-Winkler >= 0.90 */
    assert_int_equal(LV(0, 3, CL_CMP_ADDRESS), 4);
    assert_int_equal(LV(0, 4, CL_CMP_ADDRESS), 0);
    assert_int_equal(LV(0, 2, CL_CMP_PLACE), 1);
    assert_int_equal(LV(0, 1, CL_CMP_PLACE), 2);
    assert_int_equal(LV(0, 3, CL_CMP_PLACE), 3);
    assert_int_equal(LV(0, 2, CL_CMP_OTHER_ID), 1);
    assert_int_equal(LV(0, 1, CL_CMP_OTHER_ID), 2);    /* two digits transposed */
    assert_int_equal(LV(0, 3, CL_CMP_OTHER_ID), 3);
    assert_int_equal(LV(0, 4, CL_CMP_OTHER_ID), 0);
    /* A postcode outside the UK format is not read by the generic schema
     * (only with "postcode_format": "any"), so it is missing here. */
    assert_int_equal(LV(0, 2, CL_CMP_POSTCODE), 0);
    /* The vector is 64 bits: the last comparison's level survives packing. */
    assert_true(cl_compare(r, 0, 3) >> 32 != 0);
#undef LV
    cl_records_free(r);
}

/* A model file written before a comparison existed loads; the comparisons it
 * lacks weigh nothing at any level. */
static void test_model_missing_comparisons(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/old.model.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"model\": \"childlink-model/1\", \"prior_match_probability\": 0.001,\n"
          " \"comparisons\": [{\"comparison\": \"sex\", \"levels\": [\n"
          "   {\"level\": \"equal\", \"m\": 0.98, \"u\": 0.5},\n"
          "   {\"level\": \"different\", \"m\": 0.02, \"u\": 0.5}]}]}\n", f);
    fclose(f);
    cl_model m;
    cl_error err;
    assert_int_equal(cl_model_load(&m, path, &err), CL_OK);
    assert_true(m.weight[CL_CMP_SEX][1] > 0.9 && m.weight[CL_CMP_SEX][2] < -4);
    for (int l = 0; l < CL_MAX_LEVELS; l++) {
        assert_true(m.weight[CL_CMP_ADDRESS][l] == 0);
        assert_true(m.weight[CL_CMP_FORENAME][l] == 0);
    }
}

static void test_store(void **state)
{
    (void)state;
    assert_int_equal(small->n, 7);
    assert_string_equal(cl_records_str(small, small->forename[0], NULL), "oliver");
    assert_string_equal(cl_records_str(small, small->hot[0].forenames, NULL), "oliver james");
    assert_int_equal(small->nhs_valid[0], 1);
    assert_int_equal(small->nhs_valid[5], 0);   /* bad check digit kept for near-agreement */
    assert_string_equal(small->nhs[5], "9434765991");
    assert_int_equal(cl_records_find(small, "s", "a4"), 3);
    assert_int_equal(cl_records_find(small, "s", "zz"), -1);
    assert_int_equal(cl_records_find(small, "t", "a4"), -1);
    assert_int_equal(small->surname_count[small->surname[0][0]], 4);
}

static void test_levels(void **state)
{
    (void)state;
    assert_int_equal(level(0, 2, CL_CMP_NHS), 1);
    assert_int_equal(level(0, 5, CL_CMP_NHS), 2);          /* adjacent digits transposed */
    assert_int_equal(level(0, 1, CL_CMP_NHS), 0);          /* missing on one side */
    assert_int_equal(level(0, 3, CL_CMP_FORENAME), 4);     /* swapped with surname */
    assert_int_equal(level(0, 3, CL_CMP_SURNAME), 4);
    assert_int_equal(level(5, 0, CL_CMP_FORENAME), 3);     /* among the other's forenames */
    assert_int_equal(level(0, 5, CL_CMP_SURNAME), 3);      /* part of a double-barrelled name */
    assert_int_equal(level(0, 6, CL_CMP_SURNAME), 5);      /* smith / smyth: Jaro-Winkler 0.89 */
    assert_int_equal(level(0, 1, CL_CMP_FORENAME), 6);
    assert_int_equal(level(0, 4, CL_CMP_DOB), 2);          /* day and month transposed */
    assert_int_equal(level(0, 5, CL_CMP_DOB), 3);          /* one digit different */
    assert_int_equal(level(0, 1, CL_CMP_DOB), 1);
    assert_int_equal(level(0, 4, CL_CMP_POSTCODE), 2);     /* same sector */
    assert_int_equal(level(0, 5, CL_CMP_POSTCODE), 3);     /* same district */
    assert_int_equal(level(0, 6, CL_CMP_POSTCODE), 5);
    assert_int_equal(level(0, 6, CL_CMP_SEX), 0);
    assert_int_equal(level(0, 5, CL_CMP_SEX), 2);
    /* symmetric */
    for (size_t i = 0; i < small->n; i++)
        for (size_t j = 0; j < small->n; j++)
            if (i != j)
                assert_int_equal(cl_compare(small, i, j), cl_compare(small, j, i));
}

typedef struct seen_pairs {
    int count[7][7];
} seen_pairs;

static int note_pair(void *ctx, size_t i, size_t j, int rule)
{
    (void)rule;
    seen_pairs *s = ctx;
    assert_true(i < j);
    s->count[i][j]++;
    return 0;
}

static void test_blocking_each_pair_once(void **state)
{
    (void)state;
    cl_blocking *b;
    cl_error err;
    assert_int_equal(cl_blocking_new(&b, small, CL_PAIRS_WITHIN, &err), CL_OK);
    for (int threads = 1; threads <= 3; threads++) {
        seen_pairs per[3], s;
        memset(per, 0, sizeof per);
        memset(&s, 0, sizeof s);
        void *ctx[3] = {&per[0], &per[1], &per[2]};
        assert_int_equal(cl_blocking_each_pair(b, threads, note_pair, ctx), 0);
        for (int t = 0; t < 3; t++)
            for (int i = 0; i < 7; i++)
                for (int j = 0; j < 7; j++)
                    s.count[i][j] += per[t].count[i][j];
        for (int i = 0; i < 7; i++)
            for (int j = i + 1; j < 7; j++)
                assert_true(s.count[i][j] <= 1);   /* each pair once, whatever the threads */
        assert_int_equal(s.count[0][1], 1);   /* same dob */
        assert_int_equal(s.count[0][3], 1);   /* swapped names still meet */
        assert_int_equal(s.count[0][4], 1);   /* NHS number */
    }
    assert_true(cl_blocking_rule_pairs(b, CL_RULE_DOB_FORENAME) >= 3);
    cl_blocking_free(b);
}

static void test_em_recovers_parameters(void **state)
{
    (void)state;
    /* Vectors from a known model: comparison 0 agrees (level 1) with m=0.9 for
     * matches and v=0.2 for non-matches among candidates; comparison 1 the same
     * with m=0.8, v=0.1; the rest null.  30% of candidates are matches. */
    cl_vector_counts *c = cl_vector_counts_new();
    assert_non_null(c);
    double lambda = 0.3, m0 = 0.9, m1 = 0.8, v0 = 0.2, v1 = 0.1;
    double N = 1e6;
    for (unsigned a = 1; a <= 2; a++)
        for (unsigned b = 1; b <= 2; b++) {
            double pm = (a == 1 ? m0 : 1 - m0) * (b == 1 ? m1 : 1 - m1);
            double pu = (a == 1 ? v0 : 1 - v0) * (b == 1 ? v1 : 1 - v1);
            /* levels: 1 = agree, 6 (forename) / 6 (surname) = else */
            cl_vector v = (a == 1 ? 1u : 6u) | ((b == 1 ? 1u : 6u) << 4);
            assert_int_equal(cl_vector_counts_add(c, v, (uint64_t)(N * (lambda * pm + (1 - lambda) * pu))), 0);
        }
    /* a third, informative comparison is needed for identifiability: dob */
    cl_vector_counts_free(c);
    c = cl_vector_counts_new();
    double m2 = 0.95, v2 = 0.05;
    for (unsigned a = 0; a < 2; a++)
        for (unsigned b = 0; b < 2; b++)
            for (unsigned d = 0; d < 2; d++) {
                double pm = (a ? m0 : 1 - m0) * (b ? m1 : 1 - m1) * (d ? m2 : 1 - m2);
                double pu = (a ? v0 : 1 - v0) * (b ? v1 : 1 - v1) * (d ? v2 : 1 - v2);
                cl_vector v = (a ? 1u : 6u) | ((b ? 1u : 6u) << 4) | ((d ? 1u : 5u) << 8);
                assert_int_equal(cl_vector_counts_add(c, v, (uint64_t)(N * (lambda * pm + (1 - lambda) * pu))), 0);
            }
    cl_model model;
    memset(&model, 0, sizeof model);
    for (int k = 0; k < CL_NCOMPARISONS; k++)
        for (int l = 0; l < CL_MAX_LEVELS; l++)
            model.u[k][l] = 0.1;
    cl_error err;
    assert_int_equal(cl_model_em(&model, c, N * 100, 1000, &err), CL_OK);
    assert_true(model.em_converged);
    assert_true(fabs(model.candidate_share - lambda) < 0.01);
    assert_true(fabs(model.m[CL_CMP_FORENAME][1] - m0) < 0.01);
    assert_true(fabs(model.m[CL_CMP_SURNAME][1] - m1) < 0.01);
    assert_true(fabs(model.m[CL_CMP_DOB][1] - m2) < 0.01);
    assert_true(fabs(model.prior - lambda / 100) < 0.001);
    cl_vector_counts_free(c);
}

static void test_twin_guard_and_rules(void **state)
{
    (void)state;
    cl_model model;
    cl_error err;
    memset(&model, 0, sizeof model);
    assert_int_equal(cl_model_estimate_u(&model, small, 1000, NULL, &err), CL_OK);
    for (int k = 0; k < CL_NCOMPARISONS; k++)
        for (int l = 1; l < cl_comparison_nlevels(model.kind, k); l++)
            model.m[k][l] = l == 1 ? 0.9 : 0.1 / (cl_comparison_nlevels(model.kind, k) - 2);
    model.prior = 0.01;
    cl_vector_counts *c = cl_vector_counts_new();
    assert_int_equal(cl_vector_counts_add(c, cl_compare(small, 0, 2), 1), 0);
    assert_int_equal(cl_model_em(&model, c, 100, 1, &err), CL_OK);   /* fills weights */
    cl_vector_counts_free(c);
    double p;
    assert_string_equal(cl_link_classify(small, &model, 0, 2, cl_compare(small, 0, 2), &p), "nhs_dob");
    assert_true(p == 1.0);
    assert_string_equal(cl_link_classify(small, &model, 0, 1, cl_compare(small, 0, 1), &p), "twin_guard");
    assert_string_equal(cl_link_classify(small, &model, 0, 6, cl_compare(small, 0, 6), &p), "probabilistic");
}

static void test_load_out_of_memory(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/small.csv", dir);
    cl_records_input in = {"s", path, NULL};
    size_t before = cl_alloc_bytes_in_use();
    int failures = 0;
    for (long n = 1; n <= 400; n++) {
        cl_records *r = NULL;
        cl_error err;
        cl_alloc_fail_after(n);
        cl_status st = cl_records_load(&r, &in, 1, NULL, &err);
        cl_alloc_fail_after(0);
        if (st == CL_OK) {
            cl_records_free(r);
        } else {
            assert_int_equal(st, CL_ENOMEM);
            assert_null(r);
            failures++;
        }
        assert_int_equal(cl_alloc_bytes_in_use(), before);   /* nothing leaked */
    }
    assert_true(failures > 10);
}

static void test_possible_pairs(void **state)
{
    (void)state;
    assert_true(cl_link_possible_pairs(small, CL_PAIRS_WITHIN) == 21.0);
    assert_true(cl_link_possible_pairs(small, CL_PAIRS_ACROSS) == 0.0);
}

/* The same small file through `encode`: the store reads the identifier file,
 * and comparisons see agreement only through tokens and filters. */
static void test_encoded_store(void **state)
{
    (void)state;
    char in[128], ids[128], payload[128];
    snprintf(in, sizeof in, "%s/small.csv", dir);
    snprintf(ids, sizeof ids, "%s/small.ids.csv", dir);
    snprintf(payload, sizeof payload, "%s/small.payload.csv", dir);
    unsigned char bytes[CL_KEY_BYTES];
    memset(bytes, 7, sizeof bytes);
    cl_key *key;
    cl_schema *schema;
    cl_error err;
    assert_int_equal(cl_key_from_bytes(&key, bytes, sizeof bytes, &err), CL_OK);
    assert_int_equal(cl_schema_load(&schema, "generic", &err), CL_OK);
    assert_int_equal(cl_encode_file(in, schema, key, NULL, ids, payload, NULL, NULL, &err), CL_OK);
    cl_schema_free(schema);
    cl_key_free(key);
    cl_records *r;
    cl_records_input input = {"s", ids, NULL};
    assert_int_equal(cl_records_load(&r, &input, 1, NULL, &err), CL_OK);
    assert_int_equal(r->kind, CL_RECORDS_ENCODED);
    assert_int_equal(r->n, 7);
    assert_int_equal(r->filter_bytes, 128);
    cl_vector same = cl_compare(r, 0, 2);    /* Oliver James / Olly, same NHS number */
    assert_int_equal(CL_VECTOR_LEVEL(same, CL_CMP_SURNAME), 1);
    assert_int_equal(CL_VECTOR_LEVEL(same, CL_CMP_DOB), 1);
    assert_int_equal(CL_VECTOR_LEVEL(same, CL_CMP_SEX), 1);
    assert_int_equal(CL_VECTOR_LEVEL(same, CL_CMP_POSTCODE), 1);
    assert_int_equal(CL_VECTOR_LEVEL(same, CL_CMP_NHS), 1);
    assert_int_equal(CL_VECTOR_LEVEL(same, CL_CMP_UPN), 0);
    assert_true(r->nhs_valid[0]);
    /* Swapped names: the filters differ, the Soundex pair token agrees. */
    cl_vector swapped = cl_compare(r, 0, 3);
    assert_int_equal(CL_VECTOR_LEVEL(swapped, CL_CMP_FORENAME), 5);
    assert_int_equal(CL_VECTOR_LEVEL(swapped, CL_CMP_SURNAME), 5);
    /* Smyth against Smith: a Dice band, not exact; a sector-mate postcode
     * elsewhere; day and month transposed: the dob filter's Dice band. */
    unsigned smyth = CL_VECTOR_LEVEL(cl_compare(r, 0, 6), CL_CMP_SURNAME);
    assert_true(smyth >= 2 && smyth <= 4);
    assert_int_equal(CL_VECTOR_LEVEL(cl_compare(r, 0, 6), CL_CMP_SEX), 0);
    unsigned dm = CL_VECTOR_LEVEL(cl_compare(r, 0, 4), CL_CMP_DOB);
    assert_true(dm == 2 || dm == 3);
    assert_int_equal(CL_VECTOR_LEVEL(cl_compare(r, 0, 5), CL_CMP_NHS), 2);
    /* Twins: a different forename at the same dob is the last level. */
    assert_int_equal(CL_VECTOR_LEVEL(cl_compare(r, 0, 1), CL_CMP_FORENAME),
                     cl_comparison_nlevels(CL_RECORDS_ENCODED, CL_CMP_FORENAME) - 1);
    /* A model trained on clear identifiers is refused. */
    cl_model model;
    memset(&model, 0, sizeof model);
    model.kind = CL_RECORDS_CLEAR;
    assert_int_equal(cl_link_check_model(r, &model, &err), CL_EINVAL);
    model.kind = CL_RECORDS_ENCODED;
    assert_int_equal(cl_link_check_model(r, &model, &err), CL_OK);
    /* Encoded and clear files do not mix. */
    cl_records *mixed = NULL;
    cl_records_input both[2] = {{"s", ids, NULL}, {"t", in, NULL}};
    assert_int_equal(cl_records_load(&mixed, both, 2, NULL, &err), CL_EFORMAT);
    assert_null(mixed);
    assert_non_null(strstr(err.message, "clear file"));
    cl_records_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_other_fields),
        cmocka_unit_test(test_model_missing_comparisons),
        cmocka_unit_test(test_blocking_each_pair_once),
        cmocka_unit_test(test_em_recovers_parameters),
        cmocka_unit_test(test_twin_guard_and_rules),
        cmocka_unit_test(test_load_out_of_memory),
        cmocka_unit_test(test_possible_pairs),
        cmocka_unit_test(test_encoded_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
