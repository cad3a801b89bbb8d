/*
 * link.h - the linkage run: train a model, score candidate pairs, cluster
 * accepted pairs into children, write the link map.
 *
 * Deterministic rules come first, where identifiers are trustworthy: equal
 * valid NHS numbers (or UPNs) with equal dates of birth link outright and are
 * labelled so.  Every other candidate pair is scored by the Fellegi-Sunter
 * model.  Two guards keep apart what connected-components clustering would
 * merge: a pair agreeing on date of birth whose forenames clearly differ and
 * that has no agreeing valid NHS number or UPN is never accepted (twins share
 * surname, date of birth and address), and clusters are merged strongest
 * pair first and never so as to hold two different valid NHS numbers or UPNs.
 */
#ifndef CHILDLINK_LINK_H
#define CHILDLINK_LINK_H

#include "childlink/base.h"
#include "childlink/blocking.h"
#include "childlink/model.h"
#include "childlink/records.h"

typedef struct cl_link_options {
    unsigned scope;                 /* CL_PAIRS_ACROSS | CL_PAIRS_WITHIN */
    double threshold;               /* accept pairs with probability >= this */
    int threads;
    uint64_t max_pairs_per_rule;    /* refuse a blocking rule above this */
    uint64_t u_samples;
    int em_max_iterations;
    size_t max_cluster_size;        /* larger clusters are reported */
    uint32_t seed;                  /* for the child_id pseudonyms */
    const char *pairs_path;         /* NULL: do not write scored pairs */
    const struct cl_key *record_key;  /* not NULL: the link map names records by their
                                       record_token under this key (as `encode` writes
                                       it), so payload files join to it */
    const char *one_to_one[2];      /* two source names: each record of one links to
                                       at most one record of the other (NULL: off) */
    int preset_echild;              /* NHS England's 8-step deterministic NPD matching
                                       instead of the model (no training needed) */
    int no_twin_guard;              /* accept pairs the twin guard would keep apart: for
                                       data known to hold no twins, or made by a generator
                                       that replaces whole forenames (FEBRL) */
    void (*progress)(const char *what);
} cl_link_options;

CL_API void cl_link_options_default(cl_link_options *o);

typedef struct cl_link_result {
    uint64_t candidate_pairs;
    uint64_t accepted_pairs;
    uint64_t deterministic_pairs;
    uint64_t twin_guarded;
    uint64_t refused_merges;        /* by the NHS number / UPN guard */
    uint64_t one_to_one_dropped;    /* accepted pairs dropped by the one-to-one constraint */
    size_t records, clusters, largest_cluster, oversized_clusters;
} cl_link_result;

/* Refuse (CL_ELIMIT, naming the rule) when a blocking rule would create more
 * pairs than o->max_pairs_per_rule. */
CL_API cl_status cl_link_check_blocking(const cl_blocking *b, const cl_link_options *o,
                                        cl_error *err) CL_MUST_CHECK;

/* Train the model on the records: u from random pairs, m and the prior by EM
 * on the candidate pairs' vector counts. */
CL_API cl_status cl_link_train(const cl_records *r, const cl_blocking *b,
                               const cl_link_options *o, cl_model *model,
                               cl_error *err) CL_MUST_CHECK;

/* Refuse (CL_EINVAL) a model trained on the other kind of identifiers
 * (clear or encoded) than the store holds. */
CL_API cl_status cl_link_check_model(const cl_records *r, const cl_model *model,
                                     cl_error *err) CL_MUST_CHECK;

/* Score, cluster and write the link map to `linkmap_path` (atomic). */
CL_API cl_status cl_link_run(const cl_records *r, const cl_blocking *b, const cl_model *model,
                             const cl_link_options *o, const char *linkmap_path,
                             cl_link_result *result, cl_error *err) CL_MUST_CHECK;

/* Number of record pairs in scope (the denominator of the prior). */
CL_API double cl_link_possible_pairs(const cl_records *r, unsigned scope);

/* The label of a pair's decision: its deterministic rule, "twin_guard", or
 * "probabilistic"; and its match probability. */
CL_API const char *cl_link_classify(const cl_records *r, const cl_model *model, size_t i,
                                    size_t j, cl_vector v, double *probability);

#endif
