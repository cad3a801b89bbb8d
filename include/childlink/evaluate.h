/*
 * evaluate.h - measuring linkage quality, and linkage bias, against known
 * truth.
 *
 * An evaluation compares the clusters of a link map (records sharing a
 * child_id) with the persons of a truth file (records sharing a person_id),
 * over the records present in both.  Everything is counted pairwise: a
 * predicted pair is two records in one cluster, a true pair two records of
 * one person.  Pairs are never enumerated: the counts are sums of C(n,2) over
 * cluster, person and cluster-by-person cell sizes, so a cluster of a million
 * records costs no more than a singleton.
 *
 * Optionally a pairs file (every candidate pair the linker scored) gives a
 * threshold sweep of precision, recall and F1, and the blocking recall: the
 * share of true pairs that were compared at all.  Optionally the measures are
 * repeated per subgroup of truth columns (ethnic group, deprivation decile,
 * area), with the gap between the best- and worst-linked groups, so that
 * linkage bias is stated rather than hidden.  docs/evaluate.md defines every
 * measure and convention.
 *
 * Use: cl_eval_new; add the truth and the link map (from files or record by
 * record, in either order); optionally add the pairs; cl_eval_compute; read
 * the figures or write them (text report, JSON, sweep CSV); cl_eval_free.
 * Keys are interned in arenas, with no allocation per row: about 150 bytes
 * per record in all, and the pairs file is streamed, not kept.
 */
#ifndef CHILDLINK_EVALUATE_H
#define CHILDLINK_EVALUATE_H

#include <stdint.h>
#include <stdio.h>

#include "childlink/base.h"

typedef struct cl_eval cl_eval;

/* Defaults for the options below. */
#define CL_EVAL_DEFAULT_MIN_GROUP_PAIRS 10u
#define CL_EVAL_DEFAULT_MAX_GROUP_VALUES 1000u
#define CL_EVAL_DEFAULT_MAX_DISTINCT_PROBABILITIES (1u << 20)
/* Most --by columns in one evaluation. */
#define CL_EVAL_MAX_BY 16u
/* Probabilities are binned to this resolution once they have more distinct
 * values than max_distinct_probabilities. */
#define CL_EVAL_PROBABILITY_RESOLUTION 1e-6

/* Called every 1,000,000 rows read from a file: its path and rows so far. */
typedef void (*cl_eval_progress_fn)(void *ctx, const char *path, uint64_t rows);

typedef struct cl_eval_options {
    const char *const *by_columns;  /* truth columns to measure by; copied */
    size_t n_by;                    /* at most CL_EVAL_MAX_BY */
    uint64_t min_group_true_pairs;  /* fewer true pairs: out of the gaps (0: default) */
    size_t max_group_values;        /* distinct values per --by column (0: default) */
    size_t max_distinct_probabilities; /* exact sweep up to this many (0: default) */
    cl_eval_progress_fn progress;   /* may be NULL */
    void *progress_ctx;
    const struct cl_key *record_key; /* not NULL: truth record ids are replaced by their
                                       record tokens under this key (keys.h), to evaluate
                                       a link map of encoded identifier files; only a
                                       data holder with the key can do this */
} cl_eval_options;

/* Pairwise measures.  Overall and in the sweep found == correct (the true
 * positives); within a subgroup they differ, because a true pair belongs to
 * a group when both its records do and a predicted pair when either does. */
typedef struct cl_eval_measures {
    uint64_t true_pairs;       /* recall's denominator */
    uint64_t found_pairs;      /* true pairs predicted: recall's numerator */
    uint64_t predicted_pairs;  /* precision's denominator */
    uint64_t correct_pairs;    /* predicted pairs that are true: precision's numerator */
    double precision;          /* NaN when predicted_pairs is 0 */
    double recall;             /* NaN when true_pairs is 0 */
    double f1;                 /* 2PR/(P+R); 0 when P+R is 0; NaN when P or R is */
} cl_eval_measures;

typedef struct cl_eval_summary {
    /* Coverage: records are keyed on (source, record_id). */
    uint64_t linkmap_records;
    uint64_t truth_records;
    uint64_t evaluated_records;     /* in both; everything below counts these only */
    uint64_t linkmap_only_records;
    uint64_t truth_only_records;
    /* Clusters (child_id) against persons (person_id). */
    uint64_t clusters;
    uint64_t persons;
    uint64_t persons_exact;         /* the person's records are exactly one cluster */
    uint64_t persons_split;         /* records in more than one cluster */
    uint64_t clusters_merged;       /* records of more than one person */
    uint64_t singleton_clusters;
    uint64_t singleton_persons;
    uint64_t largest_cluster;       /* records */
    uint64_t largest_person;        /* records */
    cl_eval_measures pairwise;
    /* The pairs file, when one was added. */
    int has_pairs;
    uint64_t pair_rows;             /* pairs added */
    uint64_t pairs_judged;          /* both records evaluated */
    uint64_t pairs_skipped;         /* a record not evaluated: not judged */
    uint64_t true_pairs_scored;     /* distinct true pairs among the judged */
    double blocking_recall;         /* true_pairs_scored / true pairs; NaN if none */
    uint64_t distinct_probabilities;  /* thresholds at which the sweep can change */
    int probabilities_binned;       /* 1: binned to CL_EVAL_PROBABILITY_RESOLUTION */
} cl_eval_summary;

typedef struct cl_eval_group {
    const char *value;         /* the truth column's value; "" for empty */
    uint64_t records;          /* evaluated records with this value */
    cl_eval_measures measures;
    int in_gap;                /* enough true pairs to enter the gaps */
} cl_eval_group;

typedef enum cl_eval_measure {
    CL_EVAL_PRECISION = 0,
    CL_EVAL_RECALL = 1,
    CL_EVAL_F1 = 2
} cl_eval_measure;

/* The gap between the best- and worst-linked groups of one column. */
typedef struct cl_eval_gap {
    size_t eligible_groups;    /* in_gap and the measure defined */
    const char *best_group;    /* NULL when fewer than 2 eligible groups */
    const char *worst_group;
    double best, worst;        /* the measure; NaN when no gap */
    double gap_points;         /* (best - worst) * 100 percentage points; NaN when none */
} cl_eval_gap;

typedef struct cl_eval_sweep_row {
    double threshold;          /* a pair is predicted when match_probability >= this */
    const char *kind;          /* "grid", "best_f1" or "all_scored" */
    cl_eval_measures measures;
} cl_eval_sweep_row;

/* A new, empty evaluation.  `opts` may be NULL (no --by columns, defaults);
 * the column names are copied.  On success *out is freed with cl_eval_free.
 * Fails with CL_EINVAL (more than CL_EVAL_MAX_BY columns, an empty or
 * repeated column name) or CL_ENOMEM. */
CL_API cl_status cl_eval_new(cl_eval **out, const cl_eval_options *opts,
                             cl_error *err) CL_MUST_CHECK;

/* Free an evaluation and every string its results point to.  Accepts NULL. */
CL_API void cl_eval_free(cl_eval *ev);

/* Read a truth CSV: a header with at least source, record_id, person_id and
 * each --by column, in any order, other columns ignored.  Once per
 * evaluation, before or after the link map, never after pairs or
 * cl_eval_compute.  Fails with CL_EIO (cannot open), CL_EFORMAT
 * naming file and line (empty file, no records, missing or repeated column,
 * wrong number of fields, empty source/record_id/person_id, a duplicate
 * record), CL_ELIMIT (a --by column with too many values, a field over the
 * CSV limit), CL_EINVAL (called too late) or CL_ENOMEM.  After a failure the
 * evaluation may only be freed. */
CL_API cl_status cl_eval_read_truth(cl_eval *ev, const char *path, cl_error *err) CL_MUST_CHECK;

/* Read a link map CSV: source, record_id, child_id, match_probability
 * (empty, or a number in [0,1]); other columns ignored.  Same contract as
 * cl_eval_read_truth; a bad probability is CL_EFORMAT. */
CL_API cl_status cl_eval_read_linkmap(cl_eval *ev, const char *path,
                                      cl_error *err) CL_MUST_CHECK;

/* Read a pairs CSV: source_a, record_id_a, source_b, record_id_b,
 * match_probability (in [0,1]); other columns ignored.  A header with no
 * rows is valid (nothing was compared).  Only after all truth and link map
 * records have been added, before cl_eval_compute.  A pair is judged when
 * both records are in the link map and the truth; other pairs are counted
 * as skipped.  Fails like cl_eval_read_truth, and with CL_EFORMAT for a
 * record paired with itself or a true pair listed twice. */
CL_API cl_status cl_eval_read_pairs(cl_eval *ev, const char *path, cl_error *err) CL_MUST_CHECK;

/* Record-by-record versions of the readers (errors carry no file or line),
 * with the same rules and phases; they may be mixed with the readers.
 * `group_values` holds one value per --by column (may be NULL when there are
 * none); strings are copied.  cl_eval_add_pair refuses a probability outside
 * [0,1] or NaN with CL_EFORMAT. */
CL_API cl_status cl_eval_add_truth(cl_eval *ev, const char *source, const char *record_id,
                                   const char *person_id, const char *const *group_values,
                                   cl_error *err) CL_MUST_CHECK;
CL_API cl_status cl_eval_add_link(cl_eval *ev, const char *source, const char *record_id,
                                  const char *child_id, cl_error *err) CL_MUST_CHECK;
CL_API cl_status cl_eval_add_pair(cl_eval *ev, const char *source_a, const char *record_id_a,
                                  const char *source_b, const char *record_id_b,
                                  double match_probability, cl_error *err) CL_MUST_CHECK;

/* Count everything.  Call once, after the inputs.  Fails with CL_EFORMAT
 * when no record is in both the truth and the link map, CL_EINVAL when
 * called twice, CL_ENOMEM. */
CL_API cl_status cl_eval_compute(cl_eval *ev, cl_error *err) CL_MUST_CHECK;

/* The figures, valid after a successful cl_eval_compute and until
 * cl_eval_free. */
CL_API const cl_eval_summary *cl_eval_get_summary(const cl_eval *ev);

/* Subgroups: column `b` (0-based, < cl_eval_by_count), its groups sorted by
 * value (numbers numerically, before other text, then byte order). */
CL_API size_t cl_eval_by_count(const cl_eval *ev);
CL_API const char *cl_eval_by_name(const cl_eval *ev, size_t b);
CL_API size_t cl_eval_group_count(const cl_eval *ev, size_t b);
CL_API const cl_eval_group *cl_eval_group_get(const cl_eval *ev, size_t b, size_t i);
/* The gap in `measure` across the groups of column `b` that are in_gap. */
CL_API cl_eval_gap cl_eval_gap_get(const cl_eval *ev, size_t b, cl_eval_measure measure);
/* A plain sentence stating that gap, e.g. "recall gap by ethnic_group: 1.80
 * percentage points (best White: 0.9910, worst Asian: 0.9730)", into buf
 * (always NUL-terminated when cap > 0). */
CL_API void cl_eval_gap_sentence(const cl_eval *ev, size_t b, cl_eval_measure measure,
                                 char *buf, size_t cap);

/* The threshold sweep (empty without pairs), ascending by threshold. */
CL_API size_t cl_eval_sweep_count(const cl_eval *ev);
CL_API const cl_eval_sweep_row *cl_eval_sweep_get(const cl_eval *ev, size_t i);

/* Write the readable text report, every figure as JSON, or the sweep as CSV
 * (threshold,kind,predicted_pairs,true_positives,false_positives,
 * false_negatives,precision,recall,f1) to `out`, which stays the caller's.
 * Undefined measures are "n/a" in text, null in JSON, NA in CSV.  Fail with
 * CL_EIO when a write fails, CL_ENOMEM. */
CL_API cl_status cl_eval_write_report(const cl_eval *ev, FILE *out, cl_error *err) CL_MUST_CHECK;
CL_API cl_status cl_eval_write_json(const cl_eval *ev, FILE *out, cl_error *err) CL_MUST_CHECK;
CL_API cl_status cl_eval_write_sweep(const cl_eval *ev, FILE *out, cl_error *err) CL_MUST_CHECK;

#endif
