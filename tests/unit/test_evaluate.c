/* Unit tests: linkage evaluation (pairwise counting, clusters, subgroups and
 * gaps, the threshold sweep, file reading and its errors, outputs, and
 * out-of-memory paths).  Hand-made examples have answers worked out in the
 * comments; a random example is checked against brute-force enumeration. */
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
#include <jansson.h>

#include "childlink/evaluate.h"

#define EPS 1e-12

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cl_test_eval_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static cl_eval *new_eval(const char *const *by, size_t n_by, uint64_t min_pairs)
{
    cl_eval_options o = {0};
    o.by_columns = by;
    o.n_by = n_by;
    o.min_group_true_pairs = min_pairs;
    cl_eval *ev = NULL;
    cl_error err;
    assert_int_equal(cl_eval_new(&ev, &o, &err), CL_OK);
    return ev;
}

static void truth(cl_eval *ev, const char *source, const char *id, const char *person,
                  const char *group)
{
    cl_error err;
    const char *groups[1] = {group};
    assert_int_equal(cl_eval_add_truth(ev, source, id, person, group ? groups : NULL, &err),
                     CL_OK);
}

static void add_link(cl_eval *ev, const char *source, const char *id, const char *child)
{
    cl_error err;
    assert_int_equal(cl_eval_add_link(ev, source, id, child, &err), CL_OK);
}

static void pair(cl_eval *ev, const char *a, const char *b, double p)
{
    cl_error err;
    assert_int_equal(cl_eval_add_pair(ev, "s", a, "s", b, p, &err), CL_OK);
}

static void compute(cl_eval *ev)
{
    cl_error err;
    cl_status st = cl_eval_compute(ev, &err);
    if (st != CL_OK)
        fail_msg("compute: %s", err.message);
}

static const cl_eval_group *group_named(const cl_eval *ev, size_t b, const char *value)
{
    for (size_t i = 0; i < cl_eval_group_count(ev, b); i++)
        if (strcmp(cl_eval_group_get(ev, b, i)->value, value) == 0)
            return cl_eval_group_get(ev, b, i);
    fail_msg("no group '%s'", value);
    return NULL;
}

static const cl_eval_sweep_row *sweep_row(const cl_eval *ev, double t, const char *kind)
{
    for (size_t i = 0; i < cl_eval_sweep_count(ev); i++) {
        const cl_eval_sweep_row *r = cl_eval_sweep_get(ev, i);
        if (strcmp(r->kind, kind) == 0 && (t < 0 || fabs(r->threshold - t) < EPS))
            return r;
    }
    fail_msg("no sweep row %g %s", t, kind);
    return NULL;
}

/* The worked example of docs/evaluate.md: persons P1 = {a1,a2,a3} (White) and
 * P2 = {b1,b2,b3} (Asian); the linker put a3 with P2's records.
 *   clusters C1 = {a1,a2}, C2 = {a3,b1,b2,b3}
 *   true pairs 3 + 3 = 6; predicted 1 + 6 = 7; correct 1 (a1a2) + 3 (b's) = 4
 *   precision 4/7, recall 4/6, F1 = 2*4/(7+6) = 8/13. */
static cl_eval *worked_example(const char *const *by, size_t n_by, uint64_t min_pairs)
{
    cl_eval *ev = new_eval(by, n_by, min_pairs);
    const char *g = n_by ? "White" : NULL, *h = n_by ? "Asian" : NULL;
    truth(ev, "s", "a1", "P1", g);
    truth(ev, "s", "a2", "P1", g);
    truth(ev, "s", "a3", "P1", g);
    truth(ev, "s", "b1", "P2", h);
    truth(ev, "s", "b2", "P2", h);
    truth(ev, "s", "b3", "P2", h);
    add_link(ev, "s", "a1", "C1");
    add_link(ev, "s", "a2", "C1");
    add_link(ev, "s", "a3", "C2");
    add_link(ev, "s", "b1", "C2");
    add_link(ev, "s", "b2", "C2");
    add_link(ev, "s", "b3", "C2");
    return ev;
}

static void test_one_record_misplaced(void **state)
{
    (void)state;
    cl_eval *ev = worked_example(NULL, 0, 0);
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->evaluated_records, 6);
    assert_int_equal(s->pairwise.true_pairs, 6);
    assert_int_equal(s->pairwise.predicted_pairs, 7);
    assert_int_equal(s->pairwise.correct_pairs, 4);
    assert_int_equal(s->pairwise.found_pairs, 4);
    assert_float_equal(s->pairwise.precision, 4.0 / 7, EPS);
    assert_float_equal(s->pairwise.recall, 4.0 / 6, EPS);
    assert_float_equal(s->pairwise.f1, 8.0 / 13, EPS);
    assert_int_equal(s->clusters, 2);
    assert_int_equal(s->persons, 2);
    assert_int_equal(s->persons_exact, 0);   /* P1 split; P2 shares C2 with a3 */
    assert_int_equal(s->persons_split, 1);
    assert_int_equal(s->clusters_merged, 1);
    assert_int_equal(s->largest_cluster, 4);
    assert_int_equal(s->largest_person, 3);
    assert_int_equal(s->singleton_clusters, 0);
    assert_false(s->has_pairs);
    assert_int_equal(cl_eval_sweep_count(ev), 0);
    cl_eval_free(ev);
}

static void test_perfect_linkage(void **state)
{
    (void)state;
    cl_eval *ev = new_eval(NULL, 0, 0);
    /* Persons of 3, 2 and 1 records, each exactly one cluster (labels differ). */
    const char *rec[] = {"1", "2", "3", "4", "5", "6"};
    const char *per[] = {"A", "A", "A", "B", "B", "C"};
    const char *clu[] = {"x", "x", "x", "y", "y", "z"};
    for (int i = 0; i < 6; i++) {
        truth(ev, "hes", rec[i], per[i], NULL);
        add_link(ev, "hes", rec[i], clu[i]);
    }
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->pairwise.true_pairs, 4);
    assert_int_equal(s->pairwise.predicted_pairs, 4);
    assert_float_equal(s->pairwise.precision, 1, EPS);
    assert_float_equal(s->pairwise.recall, 1, EPS);
    assert_float_equal(s->pairwise.f1, 1, EPS);
    assert_int_equal(s->persons_exact, 3);
    assert_int_equal(s->persons_split, 0);
    assert_int_equal(s->clusters_merged, 0);
    assert_int_equal(s->singleton_clusters, 1);
    assert_int_equal(s->singleton_persons, 1);
    cl_eval_free(ev);
}

static void test_same_record_id_in_two_sources(void **state)
{
    (void)state;
    /* (hes, 1) and (school, 1) are different records. */
    cl_eval *ev = new_eval(NULL, 0, 0);
    truth(ev, "hes", "1", "A", NULL);
    truth(ev, "school", "1", "A", NULL);
    add_link(ev, "hes", "1", "c");
    add_link(ev, "school", "1", "c");
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->evaluated_records, 2);
    assert_int_equal(s->pairwise.correct_pairs, 1);
    cl_eval_free(ev);
}

static void test_all_singletons_is_not_a_crash(void **state)
{
    (void)state;
    cl_eval *ev = new_eval(NULL, 0, 0);
    truth(ev, "s", "1", "A", NULL);
    truth(ev, "s", "2", "A", NULL);
    truth(ev, "s", "3", "B", NULL);
    add_link(ev, "s", "1", "x");
    add_link(ev, "s", "2", "y");
    add_link(ev, "s", "3", "z");
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->pairwise.predicted_pairs, 0);
    assert_true(isnan(s->pairwise.precision));
    assert_float_equal(s->pairwise.recall, 0, EPS);
    assert_true(isnan(s->pairwise.f1));
    assert_int_equal(s->persons_split, 1);
    assert_int_equal(s->persons_exact, 1);   /* B */
    cl_error err;
    FILE *f = tmpfile();
    assert_int_equal(cl_eval_write_report(ev, f, &err), CL_OK);
    rewind(f);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "n/a  (no predicted pairs)"));
    cl_eval_free(ev);

    /* Singletons on both sides: nothing to find and nothing predicted. */
    ev = new_eval(NULL, 0, 0);
    truth(ev, "s", "1", "A", NULL);
    add_link(ev, "s", "1", "x");
    compute(ev);
    s = cl_eval_get_summary(ev);
    assert_true(isnan(s->pairwise.precision));
    assert_true(isnan(s->pairwise.recall));
    assert_true(isnan(s->pairwise.f1));
    assert_int_equal(s->persons_exact, 1);
    cl_eval_free(ev);
}

static void test_everything_merged(void **state)
{
    (void)state;
    /* 4 persons of 2 records in one cluster of 8: 28 predicted, 4 correct. */
    cl_eval *ev = new_eval(NULL, 0, 0);
    for (int i = 0; i < 8; i++) {
        char id[16], person[16];
        snprintf(id, sizeof id, "%d", i);
        snprintf(person, sizeof person, "P%d", i / 2);
        truth(ev, "s", id, person, NULL);
        add_link(ev, "s", id, "one");
    }
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->pairwise.predicted_pairs, 28);
    assert_int_equal(s->pairwise.correct_pairs, 4);
    assert_float_equal(s->pairwise.recall, 1, EPS);
    assert_float_equal(s->pairwise.precision, 4.0 / 28, EPS);
    assert_float_equal(s->pairwise.f1, 8.0 / 32, EPS);
    assert_int_equal(s->clusters_merged, 1);
    assert_int_equal(s->persons_exact, 0);
    assert_int_equal(s->largest_cluster, 8);
    cl_eval_free(ev);
}

static void test_large_cluster_counts_in_64_bits(void **state)
{
    (void)state;
    /* 100,000 records of one person in one cluster: C(100000,2) pairs, more
     * than 2^32, counted without enumerating them. */
    cl_eval *ev = new_eval(NULL, 0, 0);
    for (int i = 0; i < 100000; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        truth(ev, "s", id, "P", NULL);
        add_link(ev, "s", id, "C");
    }
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_true(s->pairwise.true_pairs == 4999950000ull);
    assert_true(s->pairwise.correct_pairs == 4999950000ull);
    assert_int_equal(s->persons_exact, 1);
    cl_eval_free(ev);
}

static void test_coverage_and_empty_overlap(void **state)
{
    (void)state;
    cl_eval *ev = new_eval(NULL, 0, 0);
    truth(ev, "s", "1", "A", NULL);
    truth(ev, "s", "2", "A", NULL);
    truth(ev, "s", "only-truth", "B", NULL);
    add_link(ev, "s", "1", "x");
    add_link(ev, "s", "2", "x");
    add_link(ev, "s", "only-link-1", "y");
    add_link(ev, "s", "only-link-2", "x");
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->linkmap_records, 4);
    assert_int_equal(s->truth_records, 3);
    assert_int_equal(s->evaluated_records, 2);
    assert_int_equal(s->linkmap_only_records, 2);
    assert_int_equal(s->truth_only_records, 1);
    /* The link-only record in cluster x does not make x a merged cluster. */
    assert_int_equal(s->clusters, 1);
    assert_int_equal(s->pairwise.predicted_pairs, 1);
    assert_float_equal(s->pairwise.f1, 1, EPS);
    cl_eval_free(ev);

    ev = new_eval(NULL, 0, 0);
    truth(ev, "hes", "1", "A", NULL);
    add_link(ev, "school", "1", "x");
    cl_error err;
    assert_int_equal(cl_eval_compute(ev, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "no record is in both"));
    cl_eval_free(ev);
}

static void test_groups_either_and_both(void **state)
{
    (void)state;
    /* White: true pairs with both records White: 3 (P1's); found: a1a2 = 1.
     * Predicted pairs with either record White: C1's a1a2, and in C2 the
     * pairs touching a3: 3; so 4, of which correct 1 (a1a2).
     * Asian: true 3, found 3; predicted pairs touching b's: all 6 of C2,
     * correct 3. */
    const char *by[] = {"ethnic_group"};
    cl_eval *ev = worked_example(by, 1, 3);
    compute(ev);
    assert_int_equal(cl_eval_by_count(ev), 1);
    assert_string_equal(cl_eval_by_name(ev, 0), "ethnic_group");
    assert_int_equal(cl_eval_group_count(ev, 0), 2);
    const cl_eval_group *w = group_named(ev, 0, "White");
    assert_int_equal(w->records, 3);
    assert_int_equal(w->measures.true_pairs, 3);
    assert_int_equal(w->measures.found_pairs, 1);
    assert_int_equal(w->measures.predicted_pairs, 4);
    assert_int_equal(w->measures.correct_pairs, 1);
    assert_float_equal(w->measures.recall, 1.0 / 3, EPS);
    assert_float_equal(w->measures.precision, 0.25, EPS);
    assert_float_equal(w->measures.f1, 2 * 0.25 / 3 / (0.25 + 1.0 / 3), EPS);
    const cl_eval_group *a = group_named(ev, 0, "Asian");
    assert_int_equal(a->measures.true_pairs, 3);
    assert_int_equal(a->measures.found_pairs, 3);
    assert_int_equal(a->measures.predicted_pairs, 6);
    assert_int_equal(a->measures.correct_pairs, 3);
    assert_true(a->in_gap && w->in_gap);   /* min pairs 3 */

    cl_eval_gap gap = cl_eval_gap_get(ev, 0, CL_EVAL_RECALL);
    assert_int_equal(gap.eligible_groups, 2);
    assert_string_equal(gap.best_group, "Asian");
    assert_string_equal(gap.worst_group, "White");
    assert_float_equal(gap.gap_points, 100 * (1 - 1.0 / 3), 1e-9);
    char sentence[256];
    cl_eval_gap_sentence(ev, 0, CL_EVAL_RECALL, sentence, sizeof sentence);
    assert_string_equal(sentence,
                        "recall gap by ethnic_group: 66.67 percentage points "
                        "(best Asian: 1.0000, worst White: 0.3333)");
    cl_eval_gap_sentence(ev, 0, CL_EVAL_PRECISION, sentence, sizeof sentence);
    assert_string_equal(sentence,
                        "precision gap by ethnic_group: 25.00 percentage points "
                        "(best Asian: 0.5000, worst White: 0.2500)");
    cl_eval_free(ev);
}

static void test_gap_leaves_out_small_groups(void **state)
{
    (void)state;
    /* Default minimum of 10 true pairs: both groups (3 each) are out. */
    const char *by[] = {"ethnic_group"};
    cl_eval *ev = worked_example(by, 1, 0);
    compute(ev);
    assert_false(group_named(ev, 0, "White")->in_gap);
    cl_eval_gap gap = cl_eval_gap_get(ev, 0, CL_EVAL_RECALL);
    assert_int_equal(gap.eligible_groups, 0);
    assert_null(gap.best_group);
    assert_true(isnan(gap.gap_points));
    char sentence[256];
    cl_eval_gap_sentence(ev, 0, CL_EVAL_RECALL, sentence, sizeof sentence);
    assert_string_equal(sentence, "recall gap by ethnic_group: not measured (0 groups with at "
                                  "least 10 true pairs and a defined recall; 2 needed)");
    cl_eval_free(ev);

    /* A group of 5 records (10 true pairs) is in; one of 4 (6 pairs) is out. */
    ev = new_eval(by, 1, 0);
    for (int i = 0; i < 9; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        truth(ev, "s", id, i < 5 ? "P" : "Q", i < 5 ? "big" : "small");
        add_link(ev, "s", id, i < 5 ? "x" : "y");
    }
    compute(ev);
    assert_true(group_named(ev, 0, "big")->in_gap);
    assert_false(group_named(ev, 0, "small")->in_gap);
    assert_int_equal(cl_eval_gap_get(ev, 0, CL_EVAL_RECALL).eligible_groups, 1);
    cl_eval_free(ev);
}

static void test_group_order(void **state)
{
    (void)state;
    const char *by[] = {"decile"};
    cl_eval *ev = new_eval(by, 1, 0);
    const char *values[] = {"10", "x", "2", "", "1", "-1", "02", "-20"};
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        truth(ev, "s", id, id, values[i]);
        add_link(ev, "s", id, id);
    }
    compute(ev);
    const char *want[] = {"-20", "-1", "1", "02", "2", "10", "", "x"};
    assert_int_equal(cl_eval_group_count(ev, 0), 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(cl_eval_group_get(ev, 0, (size_t)i)->value, want[i]);
    cl_eval_free(ev);
}

/* The pairs of tests/data/evaluate/pairs.csv on the worked example.
 *   judged: 0.99 T, 0.97 T, 0.95 T, 0.6 T, 0.6 F, 0.4 T, 0.3 F; b2b3 never
 *   compared; blocking recall 5/6.
 *   >= 0.4: 6 predicted, 5 correct: P = R = F1 = 5/6 (best F1).
 *   >= 0.3 (all scored): 7 predicted, 5 correct.
 *   >= 0.5: 5 predicted, 4 correct: P 0.8, R 4/6. */
static void add_example_pairs(cl_eval *ev)
{
    pair(ev, "a1", "a2", 0.99);
    pair(ev, "a1", "a3", 0.6);
    pair(ev, "a2", "a3", 0.4);
    pair(ev, "b1", "b2", 0.97);
    pair(ev, "b3", "b1", 0.95);
    pair(ev, "a3", "b1", 0.6);
    pair(ev, "a3", "b2", 0.3);
    pair(ev, "a1", "not-in-truth", 0.5);
}

static void test_sweep_by_hand(void **state)
{
    (void)state;
    cl_eval *ev = worked_example(NULL, 0, 0);
    add_example_pairs(ev);
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_true(s->has_pairs);
    assert_int_equal(s->pair_rows, 8);
    assert_int_equal(s->pairs_judged, 7);
    assert_int_equal(s->pairs_skipped, 1);
    assert_int_equal(s->true_pairs_scored, 5);
    assert_float_equal(s->blocking_recall, 5.0 / 6, EPS);
    assert_int_equal(s->distinct_probabilities, 6);
    assert_false(s->probabilities_binned);
    /* 99 + 2 grid rows, best_f1, all_scored */
    assert_int_equal(cl_eval_sweep_count(ev), 103);
    const cl_eval_sweep_row *best = sweep_row(ev, -1, "best_f1");
    assert_float_equal(best->threshold, 0.4, EPS);
    assert_int_equal(best->measures.predicted_pairs, 6);
    assert_int_equal(best->measures.correct_pairs, 5);
    assert_float_equal(best->measures.f1, 5.0 / 6, EPS);
    const cl_eval_sweep_row *all = sweep_row(ev, -1, "all_scored");
    assert_float_equal(all->threshold, 0.3, EPS);
    assert_int_equal(all->measures.predicted_pairs, 7);
    assert_float_equal(all->measures.recall, s->blocking_recall, EPS);
    const cl_eval_sweep_row *half = sweep_row(ev, 0.5, "grid");
    assert_int_equal(half->measures.predicted_pairs, 5);
    assert_int_equal(half->measures.correct_pairs, 4);
    assert_int_equal(half->measures.true_pairs, 6);
    assert_float_equal(half->measures.precision, 0.8, EPS);
    /* The threshold is inclusive: at 0.6 both 0.6 pairs are predicted. */
    assert_int_equal(sweep_row(ev, 0.6, "grid")->measures.predicted_pairs, 5);
    assert_int_equal(sweep_row(ev, 0.61, "grid")->measures.predicted_pairs, 3);
    const cl_eval_sweep_row *top = sweep_row(ev, 0.9999, "grid");
    assert_int_equal(top->measures.predicted_pairs, 0);
    assert_true(isnan(top->measures.precision));
    assert_float_equal(top->measures.recall, 0, EPS);
    for (size_t i = 1; i < cl_eval_sweep_count(ev); i++)
        assert_true(cl_eval_sweep_get(ev, i - 1)->threshold <=
                    cl_eval_sweep_get(ev, i)->threshold);
    cl_eval_free(ev);
}

static void test_empty_pairs_file_is_valid(void **state)
{
    (void)state;
    cl_eval *ev = worked_example(NULL, 0, 0);
    cl_error err;
    const char *path = write_file("nopairs.csv", "source_a,record_id_a,source_b,record_id_b,"
                                                 "match_probability\n");
    assert_int_equal(cl_eval_read_pairs(ev, path, &err), CL_OK);
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_true(s->has_pairs);
    assert_float_equal(s->blocking_recall, 0, EPS);
    assert_int_equal(cl_eval_sweep_count(ev), 101);   /* grid only */
    assert_int_equal(sweep_row(ev, 0.01, "grid")->measures.predicted_pairs, 0);
    cl_eval_free(ev);
}

static void test_pair_errors(void **state)
{
    (void)state;
    cl_error err;
    cl_eval *ev = new_eval(NULL, 0, 0);
    /* Pairs before any records. */
    assert_int_equal(cl_eval_add_pair(ev, "s", "a1", "s", "a2", 0.5, &err), CL_EINVAL);
    cl_eval_free(ev);

    ev = worked_example(NULL, 0, 0);
    assert_int_equal(cl_eval_add_pair(ev, "s", "a1", "s", "a1", 0.5, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "paired with itself"));
    assert_int_equal(cl_eval_add_pair(ev, "s", "a1", "s", "a2", 1.5, &err), CL_EFORMAT);
    assert_int_equal(cl_eval_add_pair(ev, "s", "a1", "s", "a2", -0.1, &err), CL_EFORMAT);
    assert_int_equal(cl_eval_add_pair(ev, "s", "a1", "s", "a2", NAN, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "not in [0,1]"));
    pair(ev, "a1", "a2", 0.5);
    /* The same true pair again, the other way round. */
    assert_int_equal(cl_eval_add_pair(ev, "s", "a2", "s", "a1", 0.7, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "listed twice"));
    /* Records may not be added once pairs have started. */
    assert_int_equal(cl_eval_add_truth(ev, "s", "z", "Z", NULL, &err), CL_EINVAL);
    assert_int_equal(cl_eval_add_link(ev, "s", "z", "Z", &err), CL_EINVAL);
    compute(ev);
    assert_int_equal(cl_eval_compute(ev, &err), CL_EINVAL);
    assert_int_equal(cl_eval_add_pair(ev, "s", "a1", "s", "b1", 0.5, &err), CL_EINVAL);
    cl_eval_free(ev);
}

static void test_record_errors(void **state)
{
    (void)state;
    cl_error err;
    cl_eval *ev = new_eval(NULL, 0, 0);
    truth(ev, "s", "1", "A", NULL);
    assert_int_equal(cl_eval_add_truth(ev, "s", "1", "B", NULL, &err), CL_EFORMAT);
    assert_non_null(strstr(err.message, "duplicate record (source 's', record_id '1')"));
    add_link(ev, "s", "1", "x");
    assert_int_equal(cl_eval_add_link(ev, "s", "1", "y", &err), CL_EFORMAT);
    assert_int_equal(cl_eval_add_truth(ev, "", "2", "B", NULL, &err), CL_EFORMAT);
    assert_string_equal(err.message, "empty source");
    assert_int_equal(cl_eval_add_truth(ev, "s", "", "B", NULL, &err), CL_EFORMAT);
    assert_int_equal(cl_eval_add_truth(ev, "s", "2", "", NULL, &err), CL_EFORMAT);
    assert_string_equal(err.message, "empty person_id");
    assert_int_equal(cl_eval_add_link(ev, "s", "2", "", &err), CL_EFORMAT);
    assert_string_equal(err.message, "empty child_id");
    /* Results are not available before compute. */
    assert_int_equal(cl_eval_write_report(ev, stdout, &err), CL_EINVAL);
    cl_eval_free(ev);

    const char *by[] = {"g"};
    ev = new_eval(by, 1, 0);
    assert_int_equal(cl_eval_add_truth(ev, "s", "1", "A", NULL, &err), CL_EINVAL);
    cl_eval_free(ev);
}

static void test_options(void **state)
{
    (void)state;
    cl_error err;
    cl_eval *ev = NULL;
    const char *twice[] = {"a", "a"};
    cl_eval_options o = {0};
    o.by_columns = twice;
    o.n_by = 2;
    assert_int_equal(cl_eval_new(&ev, &o, &err), CL_EINVAL);
    assert_null(ev);
    const char *empty[] = {""};
    o.by_columns = empty;
    o.n_by = 1;
    assert_int_equal(cl_eval_new(&ev, &o, &err), CL_EINVAL);
    o.n_by = CL_EVAL_MAX_BY + 1;
    assert_int_equal(cl_eval_new(&ev, &o, &err), CL_EINVAL);
    assert_int_equal(cl_eval_new(&ev, NULL, &err), CL_OK);
    cl_eval_free(ev);
    cl_eval_free(NULL);

    /* Too many values in a --by column. */
    const char *by[] = {"g"};
    o.by_columns = by;
    o.n_by = 1;
    o.max_group_values = 3;
    assert_int_equal(cl_eval_new(&ev, &o, &err), CL_OK);
    const char *v[4][1] = {{"a"}, {"b"}, {"c"}, {"d"}};
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        assert_int_equal(cl_eval_add_truth(ev, "s", id, "P", v[i], &err), CL_OK);
    }
    assert_int_equal(cl_eval_add_truth(ev, "s", "9", "P", v[0], &err), CL_OK);
    assert_int_equal(cl_eval_add_truth(ev, "s", "10", "P", v[3], &err), CL_ELIMIT);
    assert_non_null(strstr(err.message, "more than 3 distinct values"));
    cl_eval_free(ev);
}

/* A random population checked against brute force over every pair. */
static uint64_t rng_state = 42;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

#define NREC 300

static void test_matches_brute_force(void **state)
{
    (void)state;
    const char *by[] = {"g", "h"};
    cl_eval *ev = new_eval(by, 2, 0);
    int person[NREC], cluster[NREC], grp[NREC][2], in_truth[NREC], in_link[NREC];
    static const char *gv[] = {"a", "b", "c", "d"};
    for (int i = 0; i < NREC; i++) {
        person[i] = (int)rnd(70);
        /* Clusters mostly follow persons, with errors. */
        cluster[i] = rnd(5) == 0 ? (int)rnd(90) : person[i];
        grp[i][0] = (int)rnd(4);
        grp[i][1] = rnd(3) == 0 ? (int)rnd(4) : person[i] % 4;
        in_truth[i] = rnd(20) != 0;
        in_link[i] = rnd(20) != 0;
        char id[16], p[16], c[16];
        snprintf(id, sizeof id, "r%d", i);
        snprintf(p, sizeof p, "p%d", person[i]);
        snprintf(c, sizeof c, "c%d", cluster[i]);
        const char *g[2] = {gv[grp[i][0]], gv[grp[i][1]]};
        cl_error err;
        if (in_truth[i])
            assert_int_equal(cl_eval_add_truth(ev, "s", id, p, g, &err), CL_OK);
        if (in_link[i])
            add_link(ev, "s", id, c);
    }
    /* Scored pairs: a random half of all pairs with probabilities k/20. */
    static double prob[NREC][NREC];
    for (int i = 0; i < NREC; i++)
        for (int j = i + 1; j < NREC; j++) {
            prob[i][j] = -1;
            if (rnd(2) == 0)
                continue;
            int same = person[i] == person[j];
            prob[i][j] = (same ? 5 + rnd(16) : rnd(16)) / 20.0;
            char a[16], b[16];
            snprintf(a, sizeof a, "r%d", i);
            snprintf(b, sizeof b, "r%d", j);
            pair(ev, a, b, prob[i][j]);
        }
    compute(ev);

    uint64_t tru = 0, pred = 0, tp = 0, scored_true = 0;
    uint64_t g_true[2][4] = {{0}}, g_found[2][4] = {{0}}, g_pred[2][4] = {{0}},
             g_correct[2][4] = {{0}};
    uint64_t at_half_pred = 0, at_half_tp = 0;
    for (int i = 0; i < NREC; i++) {
        if (!in_truth[i] || !in_link[i])
            continue;
        for (int j = i + 1; j < NREC; j++) {
            if (!in_truth[j] || !in_link[j])
                continue;
            int t = person[i] == person[j], p = cluster[i] == cluster[j];
            tru += t;
            pred += p;
            tp += t && p;
            if (prob[i][j] >= 0) {
                scored_true += t;
                if (prob[i][j] >= 0.5) {
                    at_half_pred++;
                    at_half_tp += t;
                }
            }
            for (int b = 0; b < 2; b++)
                for (int v = 0; v < 4; v++) {
                    int both = grp[i][b] == v && grp[j][b] == v;
                    int either = grp[i][b] == v || grp[j][b] == v;
                    g_true[b][v] += t && both;
                    g_found[b][v] += t && p && both;
                    g_pred[b][v] += p && either;
                    g_correct[b][v] += t && p && either;
                }
        }
    }
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_int_equal(s->pairwise.true_pairs, tru);
    assert_int_equal(s->pairwise.predicted_pairs, pred);
    assert_int_equal(s->pairwise.correct_pairs, tp);
    assert_int_equal(s->true_pairs_scored, scored_true);
    const cl_eval_sweep_row *half = sweep_row(ev, 0.5, "grid");
    assert_int_equal(half->measures.predicted_pairs, at_half_pred);
    assert_int_equal(half->measures.correct_pairs, at_half_tp);
    for (int b = 0; b < 2; b++)
        for (int v = 0; v < 4; v++) {
            const cl_eval_group *g = group_named(ev, (size_t)b, gv[v]);
            assert_int_equal(g->measures.true_pairs, g_true[b][v]);
            assert_int_equal(g->measures.found_pairs, g_found[b][v]);
            assert_int_equal(g->measures.predicted_pairs, g_pred[b][v]);
            assert_int_equal(g->measures.correct_pairs, g_correct[b][v]);
        }
    cl_eval_free(ev);
}

static void test_binned_probabilities_agree_on_the_grid(void **state)
{
    (void)state;
    cl_eval *exact = worked_example(NULL, 0, 0);
    cl_eval_options o = {0};
    o.max_distinct_probabilities = 3;
    cl_eval *binned = NULL;
    cl_error err;
    assert_int_equal(cl_eval_new(&binned, &o, &err), CL_OK);
    const char *rec[] = {"a1", "a2", "a3", "b1", "b2", "b3"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(cl_eval_add_truth(binned, "s", rec[i], i < 3 ? "P1" : "P2", NULL, &err),
                         CL_OK);
        add_link(binned, "s", rec[i], i < 2 ? "C1" : "C2");
    }
    /* Full-precision probabilities, some exactly on grid points and bin edges. */
    double p[15] = {0.123456789, 0.5, 0.4999999, 0.7000001, 0.7, 0.01, 0.0099999999, 1.0, 0.0,
                    0.999, 0.99899999, 0.33333333333, 0.6666666666, 0.25, 0.9999};
    int k = 0;
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++, k++) {
            pair(exact, rec[i], rec[j], p[k]);
            pair(binned, rec[i], rec[j], p[k]);
        }
    compute(exact);
    compute(binned);
    assert_false(cl_eval_get_summary(exact)->probabilities_binned);
    assert_true(cl_eval_get_summary(binned)->probabilities_binned);
    assert_int_equal(cl_eval_get_summary(exact)->distinct_probabilities, 15);
    size_t grid = 0;
    for (size_t i = 0; i < cl_eval_sweep_count(exact); i++) {
        const cl_eval_sweep_row *e = cl_eval_sweep_get(exact, i);
        if (strcmp(e->kind, "grid") != 0)
            continue;
        const cl_eval_sweep_row *b = sweep_row(binned, e->threshold, "grid");
        assert_int_equal(e->measures.predicted_pairs, b->measures.predicted_pairs);
        assert_int_equal(e->measures.correct_pairs, b->measures.correct_pairs);
        grid++;
    }
    assert_int_equal(grid, 101);
    /* Binned thresholds are a subset of the attainable ones. */
    assert_true(sweep_row(binned, -1, "best_f1")->measures.f1 <=
                sweep_row(exact, -1, "best_f1")->measures.f1 + EPS);
    assert_int_equal(sweep_row(binned, -1, "all_scored")->measures.predicted_pairs, 15);
    cl_eval_free(exact);
    cl_eval_free(binned);
}

/* ---- files ---- */

static const char *TRUTH = "source,record_id,person_id,ethnic_group\n"
                           "s,a1,P1,White\ns,a2,P1,White\ns,a3,P1,White\n"
                           "s,b1,P2,Asian\ns,b2,P2,Asian\ns,b3,P2,Asian\n";
static const char *LINKMAP = "source,record_id,child_id,match_probability,link_rule\n"
                             "s,a1,C1,0.99,r\ns,a2,C1,,r\ns,a3,C2,1,r\n"
                             "s,b1,C2,0.9,r\ns,b2,C2,0,r\ns,b3,C2,1e-3,r\n";
static const char *PAIRS = "source_a,record_id_a,source_b,record_id_b,match_weight,"
                           "match_probability,link_rule\n"
                           "s,a1,s,a2,1,0.99,r\ns,a1,s,a3,1,0.6,r\ns,a2,s,a3,1,0.4,r\n"
                           "s,b1,s,b2,1,0.97,r\ns,b3,s,b1,1,0.95,r\ns,a3,s,b1,1,0.6,r\n"
                           "s,a3,s,b2,1,0.3,r\ns,a1,s,zz,1,0.5,r\n";

/* Read truth, link map and (if given) pairs text; returns the first failure. */
static cl_status read_texts(cl_eval *ev, const char *truth_text, const char *linkmap_text,
                            const char *pairs_text, cl_error *err)
{
    char tp[256], lp[256];
    snprintf(tp, sizeof tp, "%s", write_file("truth.csv", truth_text));
    snprintf(lp, sizeof lp, "%s", write_file("linkmap.csv", linkmap_text));
    cl_status st = cl_eval_read_truth(ev, tp, err);
    if (st == CL_OK)
        st = cl_eval_read_linkmap(ev, lp, err);
    if (st == CL_OK && pairs_text)
        st = cl_eval_read_pairs(ev, write_file("pairs.csv", pairs_text), err);
    return st;
}

static void test_read_files(void **state)
{
    (void)state;
    const char *by[] = {"ethnic_group"};
    cl_eval *ev = new_eval(by, 1, 3);
    cl_error err;
    assert_int_equal(read_texts(ev, TRUTH, LINKMAP, PAIRS, &err), CL_OK);
    compute(ev);
    const cl_eval_summary *s = cl_eval_get_summary(ev);
    assert_float_equal(s->pairwise.f1, 8.0 / 13, EPS);
    assert_int_equal(s->pairs_skipped, 1);
    assert_float_equal(sweep_row(ev, -1, "best_f1")->threshold, 0.4, EPS);
    assert_float_equal(cl_eval_gap_get(ev, 0, CL_EVAL_RECALL).gap_points, 200.0 / 3, 1e-9);
    assert_int_equal(cl_eval_read_truth(ev, "x", &err), CL_EINVAL);
    cl_eval_free(ev);
}

/* Expect reading to fail with `code`, at `line`, with `text` in the message. */
static void expect_read_error(const char *truth_text, const char *linkmap_text,
                              const char *pairs_text, cl_status code, long line,
                              const char *text)
{
    const char *by[] = {"ethnic_group"};
    cl_eval *ev = new_eval(by, 1, 0);
    cl_error err;
    cl_error_clear(&err);
    cl_status st = read_texts(ev, truth_text, linkmap_text, pairs_text, &err);
    if (st != code || err.line != line || strstr(err.message, text) == NULL)
        fail_msg("wanted %d at line %ld with '%s'; got %d at %s:%ld: %s", code, line, text, st,
                 err.file, err.line, err.message);
    assert_non_null(strstr(err.file, dir));
    cl_eval_free(ev);
}

static void test_file_errors(void **state)
{
    (void)state;
    expect_read_error("", LINKMAP, NULL, CL_EFORMAT, 0, "file is empty");
    expect_read_error("source,record_id,person_id,ethnic_group\n", LINKMAP, NULL, CL_EFORMAT, 0,
                      "header but no records");
    expect_read_error("source,record_id,ethnic_group\ns,1,x\n", LINKMAP, NULL, CL_EFORMAT, 1,
                      "missing column 'person_id'");
    expect_read_error("source,record_id,person_id\ns,1,x\n", LINKMAP, NULL, CL_EFORMAT, 1,
                      "missing column 'ethnic_group'");
    expect_read_error("source,record_id,person_id,person_id,ethnic_group\ns,1,x,x,W\n", LINKMAP,
                      NULL, CL_EFORMAT, 1, "duplicate column name 'person_id'");
    expect_read_error("source,record_id,person_id,ethnic_group\ns,1,x,W\ns,2,x\n", LINKMAP, NULL,
                      CL_EFORMAT, 3, "record has 3 fields but the header has 4");
    expect_read_error("source,record_id,person_id,ethnic_group\ns,1,x,W\n\ns,1,y,W\n", LINKMAP,
                      NULL, CL_EFORMAT, 4,
                      "duplicate record (source 's', record_id '1') (first on line 2)");
    expect_read_error("source,record_id,person_id,ethnic_group\ns,1,,W\n", LINKMAP, NULL,
                      CL_EFORMAT, 2, "empty person_id");
    expect_read_error("source,record_id,person_id,ethnic_group\ns,\"1\n", LINKMAP, NULL,
                      CL_EFORMAT, 2, "unterminated quoted field");
    expect_read_error(TRUTH, "source,record_id,child_id\ns,a1,C\n", NULL, CL_EFORMAT, 1,
                      "missing column 'match_probability'");
    expect_read_error(TRUTH, "source,record_id,child_id,match_probability\ns,a1,C,0.5\ns,a2,C,1.5\n",
                      NULL, CL_EFORMAT, 3, "match_probability '1.5' is not a number in [0,1]");
    expect_read_error(TRUTH, "source,record_id,child_id,match_probability\ns,a1,C,nan\n", NULL,
                      CL_EFORMAT, 2, "match_probability 'nan'");
    expect_read_error(TRUTH, "source,record_id,child_id,match_probability\ns,a1,C,0x1p-1\n",
                      NULL, CL_EFORMAT, 2, "is not a number");
    expect_read_error(TRUTH, "source,record_id,child_id,match_probability\ns,a1,C,-0.5\n", NULL,
                      CL_EFORMAT, 2, "is not a number");
    expect_read_error(TRUTH, "source,record_id,child_id,match_probability\ns,a1,C,1\ns,a1,D,1\n",
                      NULL, CL_EFORMAT, 3, "duplicate record");
    expect_read_error(TRUTH, LINKMAP, "", CL_EFORMAT, 0, "file is empty");
    expect_read_error(TRUTH, LINKMAP, "source_a,record_id_a,source_b,match_probability\n",
                      CL_EFORMAT, 1, "missing column 'record_id_b'");
    expect_read_error(TRUTH, LINKMAP,
                      "source_a,record_id_a,source_b,record_id_b,match_probability\n"
                      "s,a1,s,a2,0.5\ns,b1,s,b2,2\n",
                      CL_EFORMAT, 3, "match_probability '2'");
    expect_read_error(TRUTH, LINKMAP,
                      "source_a,record_id_a,source_b,record_id_b,match_probability\n"
                      "s,a1,s,a2,\n",
                      CL_EFORMAT, 2, "match_probability ''");
    expect_read_error(TRUTH, LINKMAP,
                      "source_a,record_id_a,source_b,record_id_b,match_probability\n"
                      "s,a1,,a2,0.5\n",
                      CL_EFORMAT, 2, "empty source_b");
    expect_read_error(TRUTH, LINKMAP,
                      "source_a,record_id_a,source_b,record_id_b,match_probability\n"
                      "s,a1,s,a2,0.5\ns,b1,s,b2,0.5\ns,a2,s,a1,0.5\n",
                      CL_EFORMAT, 4, "listed twice (first on line 2)");
    expect_read_error(TRUTH, LINKMAP,
                      "source_a,record_id_a,source_b,record_id_b,match_probability\n"
                      "s,a1,s,a1,0.5\n",
                      CL_EFORMAT, 2, "paired with itself");

    cl_eval *ev = new_eval(NULL, 0, 0);
    cl_error err;
    assert_int_equal(cl_eval_read_truth(ev, "/nonexistent/truth.csv", &err), CL_EIO);
    assert_string_equal(err.file, "/nonexistent/truth.csv");
    cl_eval_free(ev);
    /* Pairs need the records first. */
    ev = new_eval(NULL, 0, 0);
    assert_int_equal(cl_eval_read_pairs(ev, write_file("p.csv", PAIRS), &err), CL_EINVAL);
    cl_eval_free(ev);
}

static void count_progress(void *ctx, const char *path, uint64_t rows)
{
    (void)path;
    int *calls = ctx;
    (*calls)++;
    assert_int_equal(rows, (uint64_t)*calls * 1000000);
}

static void test_progress_is_reported(void **state)
{
    (void)state;
    /* Every 1,000,000 rows, one progress call. */
    char path[256];
    snprintf(path, sizeof path, "%s/big_truth.csv", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("source,record_id,person_id\n", f);
    for (int i = 0; i < 2500000; i++)
        fprintf(f, "s,%d,%d\n", i, i / 3);
    assert_int_equal(fclose(f), 0);
    int calls = 0;
    cl_eval_options o = {0};
    o.progress = count_progress;
    o.progress_ctx = &calls;
    cl_eval *ev;
    cl_error err;
    assert_int_equal(cl_eval_new(&ev, &o, &err), CL_OK);
    assert_int_equal(cl_eval_read_truth(ev, path, &err), CL_OK);
    assert_int_equal(calls, 2);
    assert_int_equal(cl_eval_get_summary(ev)->truth_records, 2500000);
    cl_eval_free(ev);
    unlink(path);
}

/* ---- outputs ---- */

static char *slurp(FILE *f)
{
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    return text;
}

static void test_outputs(void **state)
{
    (void)state;
    const char *by[] = {"ethnic_group"};
    cl_eval *ev = worked_example(by, 1, 3);
    add_example_pairs(ev);
    compute(ev);
    cl_error err;

    FILE *f = tmpfile();
    assert_int_equal(cl_eval_write_json(ev, f, &err), CL_OK);
    char *text = slurp(f);
    fclose(f);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    free(text);
    assert_non_null(root);
    json_t *pw = json_object_get(root, "pairwise");
    assert_int_equal(json_integer_value(json_object_get(pw, "true_pairs")), 6);
    assert_int_equal(json_integer_value(json_object_get(pw, "false_positives")), 3);
    assert_float_equal(json_real_value(json_object_get(pw, "precision")), 4.0 / 7, 1e-12);
    json_t *cl = json_object_get(root, "clusters");
    assert_int_equal(json_integer_value(json_object_get(cl, "persons_split")), 1);
    json_t *pairs = json_object_get(root, "pairs");
    assert_float_equal(json_real_value(json_object_get(pairs, "blocking_recall")), 5.0 / 6,
                       1e-12);
    json_t *sweep = json_object_get(pairs, "sweep");
    assert_int_equal(json_array_size(sweep), 103);
    /* 0.9999 predicts nothing: its precision is null, not a number. */
    json_t *last_grid = json_array_get(sweep, 102);
    assert_float_equal(json_real_value(json_object_get(last_grid, "threshold")), 0.9999, 1e-12);
    assert_true(json_is_null(json_object_get(last_grid, "precision")));
    json_t *col = json_array_get(json_object_get(root, "by"), 0);
    assert_string_equal(json_string_value(json_object_get(col, "column")), "ethnic_group");
    assert_int_equal(json_array_size(json_object_get(col, "groups")), 2);
    json_t *gap = json_object_get(col, "recall_gap");
    assert_string_equal(json_string_value(json_object_get(gap, "worst_group")), "White");
    assert_non_null(strstr(json_string_value(json_object_get(gap, "sentence")),
                           "66.67 percentage points"));
    json_decref(root);

    f = tmpfile();
    assert_int_equal(cl_eval_write_sweep(ev, f, &err), CL_OK);
    text = slurp(f);
    fclose(f);
    const char *head = "threshold,kind,predicted_pairs,true_positives,false_positives,"
                       "false_negatives,precision,recall,f1\n"
                       "0.01,grid,7,5,2,1,0.714286,0.833333,0.769231\n";
    assert_true(strncmp(text, head, strlen(head)) == 0);
    assert_non_null(strstr(text, "\n0.4,best_f1,6,5,1,1,0.833333,0.833333,0.833333\n"));
    assert_non_null(strstr(text, "\n0.9999,grid,0,0,0,6,NA,0.000000,NA\n"));
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 104);
    free(text);

    f = tmpfile();
    assert_int_equal(cl_eval_write_report(ev, f, &err), CL_OK);
    text = slurp(f);
    fclose(f);
    assert_non_null(strstr(text, "  precision                          0.5714\n"));
    assert_non_null(strstr(text, "  persons split                           1  (50.00% of persons)"));
    assert_non_null(strstr(text, "  blocking recall                    0.8333"));
    assert_non_null(strstr(text, "  recall gap by ethnic_group: 66.67 percentage points "
                                 "(best Asian: 1.0000, worst White: 0.3333)\n"));
    assert_non_null(strstr(text, "  0.4        best_f1"));
    free(text);

    if (access("/dev/full", W_OK) == 0) {
        f = fopen("/dev/full", "wb");
        assert_non_null(f);
        assert_int_equal(cl_eval_write_report(ev, f, &err), CL_EIO);
        assert_int_equal(cl_eval_write_sweep(ev, f, &err), CL_EIO);
        assert_int_equal(cl_eval_write_json(ev, f, &err), CL_EIO);
        fclose(f);
    }
    cl_eval_free(ev);
}

/* Run everything, from files to all three outputs, failing the n-th
 * allocation; returns the status. */
static cl_status full_run(void)
{
    const char *by[] = {"ethnic_group"};
    cl_eval_options o = {0};
    o.by_columns = by;
    o.n_by = 1;
    o.max_distinct_probabilities = 2;   /* walk the re-binning path too */
    cl_eval *ev = NULL;
    cl_error err;
    cl_status st = cl_eval_new(&ev, &o, &err);
    if (st != CL_OK)
        return st;
    char tp[256], lp[256], pp[256];
    snprintf(tp, sizeof tp, "%s/oom_truth.csv", dir);
    snprintf(lp, sizeof lp, "%s/oom_linkmap.csv", dir);
    snprintf(pp, sizeof pp, "%s/oom_pairs.csv", dir);
    st = cl_eval_read_truth(ev, tp, &err);
    if (st == CL_OK)
        st = cl_eval_read_linkmap(ev, lp, &err);
    if (st == CL_OK)
        st = cl_eval_read_pairs(ev, pp, &err);
    if (st == CL_OK)
        st = cl_eval_compute(ev, &err);
    FILE *f = fopen("/dev/null", "wb");
    if (st == CL_OK)
        st = cl_eval_write_sweep(ev, f, &err);
    if (st == CL_OK)
        st = cl_eval_write_report(ev, f, &err);
    fclose(f);
    cl_eval_free(ev);
    return st;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    write_file("oom_truth.csv", TRUTH);
    write_file("oom_linkmap.csv", LINKMAP);
    write_file("oom_pairs.csv", PAIRS);
    size_t before = cl_alloc_bytes_in_use();
    int succeeded = 0;
    for (long n = 1; n < 500 && !succeeded; n++) {
        cl_alloc_fail_after(n);
        cl_status st = full_run();
        cl_alloc_fail_after(0);
        if (st == CL_OK)
            succeeded = 1;
        else
            assert_int_equal(st, CL_ENOMEM);
        assert_int_equal(cl_alloc_bytes_in_use(), before);
    }
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_record_misplaced),
        cmocka_unit_test(test_perfect_linkage),
        cmocka_unit_test(test_same_record_id_in_two_sources),
        cmocka_unit_test(test_all_singletons_is_not_a_crash),
        cmocka_unit_test(test_everything_merged),
        cmocka_unit_test(test_large_cluster_counts_in_64_bits),
        cmocka_unit_test(test_coverage_and_empty_overlap),
        cmocka_unit_test(test_groups_either_and_both),
        cmocka_unit_test(test_gap_leaves_out_small_groups),
        cmocka_unit_test(test_group_order),
        cmocka_unit_test(test_sweep_by_hand),
        cmocka_unit_test(test_empty_pairs_file_is_valid),
        cmocka_unit_test(test_pair_errors),
        cmocka_unit_test(test_record_errors),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_binned_probabilities_agree_on_the_grid),
        cmocka_unit_test(test_read_files),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_progress_is_reported),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
