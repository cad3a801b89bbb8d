/*
 * model.h - the Fellegi-Sunter model: comparisons, comparison vectors,
 * parameter estimation and scoring.
 *
 * Each of the CL_NCOMPARISONS comparisons maps a record pair to a level:
 * 0 means "null" (a value is missing on either side: no evidence either
 * way), 1 is the strongest agreement, and the last level is disagreement.
 * The levels of all comparisons pack into one 64-bit comparison vector (4
 * bits each), so training runs on the counts of distinct vectors - a few
 * thousand - rather than on millions of pairs.
 *
 * Parameters: u (P(level | non-match)) from comparisons of random record
 * pairs; m (P(level | match)) and the share of matches among candidate pairs
 * by EM on the vector counts of the blocked candidate pairs, with the
 * candidates' own non-match distribution free in EM (so pairs that agree on
 * a blocking key do not look like matches merely for agreeing on it).  The
 * prior over all pairs is the estimated number of matches divided by the
 * number of possible pairs.  Exact agreement on names and postcodes is
 * term-frequency adjusted at scoring: agreeing on a rare surname is stronger
 * evidence than agreeing on "smith".
 */
#ifndef CHILDLINK_MODEL_H
#define CHILDLINK_MODEL_H

#include <stdint.h>

#include "childlink/base.h"
#include "childlink/records.h"

enum {
    CL_CMP_FORENAME = 0,
    CL_CMP_SURNAME,
    CL_CMP_DOB,
    CL_CMP_SEX,
    CL_CMP_POSTCODE,
    CL_CMP_NHS,
    CL_CMP_UPN,
    CL_CMP_LOCAL_ID,
    CL_CMP_ADDRESS,
    CL_CMP_PLACE,
    CL_CMP_OTHER_ID,
    CL_NCOMPARISONS
};
#define CL_MAX_LEVELS 8

typedef uint64_t cl_vector;

/* Level of comparison k in vector v. */
#define CL_VECTOR_LEVEL(v, k) (((v) >> (4 * (k))) & 0xFu)

/* Compare records i and j of `r`: the packed comparison vector. */
CL_API cl_vector cl_compare(const cl_records *r, size_t i, size_t j);

/* Names of comparison k and of its level l ("forename", "jaro_winkler_0.92")
 * for stores of this kind: encoded identifier files compare Bloom filters by
 * Dice bands and tokens by equality. */
CL_API const char *cl_comparison_name(int k);
CL_API const char *cl_level_name(cl_records_kind kind, int k, int l);
CL_API int cl_comparison_nlevels(cl_records_kind kind, int k);   /* with the null level 0 */

typedef struct cl_model {
    cl_records_kind kind;      /* the identifiers it was trained on */
    double m[CL_NCOMPARISONS][CL_MAX_LEVELS];
    double u[CL_NCOMPARISONS][CL_MAX_LEVELS];
    double weight[CL_NCOMPARISONS][CL_MAX_LEVELS];  /* log2(m/u), filled by EM and load */
    double log2_m[CL_NCOMPARISONS][CL_MAX_LEVELS];
    double prior;              /* P(match) for a random pair of records */
    double prior_weight;       /* log2 prior odds, filled with the weights */
    double candidate_share;    /* P(match) among blocked candidate pairs (EM) */
    int em_iterations;
    int em_converged;
    double em_max_change;      /* largest parameter change in the last iteration */
    uint64_t candidate_pairs;
    uint64_t u_sample_pairs;
} cl_model;

/* Counts of distinct comparison vectors. */
typedef struct cl_vector_counts cl_vector_counts;
CL_API cl_vector_counts *cl_vector_counts_new(void) CL_MUST_CHECK;
CL_API int cl_vector_counts_add(cl_vector_counts *c, cl_vector v, uint64_t n) CL_MUST_CHECK;
CL_API size_t cl_vector_counts_distinct(const cl_vector_counts *c);
CL_API void cl_vector_counts_free(cl_vector_counts *c);
/* The table itself, for merging: `cap` slots; a slot with count 0 is empty. */
CL_API void cl_vector_counts_raw(const cl_vector_counts *c, const cl_vector **keys,
                                 const uint64_t **counts, size_t *cap);

/* Estimate u by comparing `samples` random record pairs allowed by
 * `pair_allowed` (NULL: all pairs), with a fixed seed.  Fills model->u. */
CL_API cl_status cl_model_estimate_u(cl_model *model, const cl_records *r, uint64_t samples,
                                     int (*pair_allowed)(const cl_records *, size_t, size_t),
                                     cl_error *err) CL_MUST_CHECK;

/* EM on candidate vector counts; needs model->u set.  `possible_pairs` is the
 * number of record pairs in scope (for the prior). */
CL_API cl_status cl_model_em(cl_model *model, const cl_vector_counts *counts,
                             double possible_pairs, int max_iterations, cl_error *err) CL_MUST_CHECK;

/* Match weight (log2 Bayes factor plus log2 prior odds) of records i, j with
 * vector v, term-frequency adjusted; `per_comparison` (may be NULL) receives
 * each comparison's contribution. */
CL_API double cl_model_weight(const cl_model *model, const cl_records *r, size_t i, size_t j,
                              cl_vector v, double per_comparison[CL_NCOMPARISONS]);

/* Probability from a weight. */
CL_API double cl_weight_to_probability(double weight);

/* Save as documented JSON (docs/model.md) / load and check it matches this
 * version's comparisons. */
CL_API cl_status cl_model_save(const cl_model *model, const char *path, cl_error *err) CL_MUST_CHECK;
CL_API cl_status cl_model_load(cl_model *model, const char *path, cl_error *err) CL_MUST_CHECK;

#endif
