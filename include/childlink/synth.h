/*
 * synth.h - a synthetic population of children and the records each service
 * holds about them, with known truth.
 *
 * The generator simulates families child by child (births, twins, house
 * moves, surname changes, conditions, schooling, social care) and writes, as
 * it goes, one CSV per source in that source's own column names and codes
 * (hes_apc, ecds, camhs, npd_census, npd_absence, npd_ks2, npd_ks4,
 * npd_exclusions, csc_cin, csc_cla), with the identifier errors each source
 * really makes at configurable rates, plus truth.csv, people.csv, areas.csv,
 * postcodes.csv, schools.csv, error_summary.csv and params.json.
 * docs/synthetic-data.md describes every file, column, code, error and effect.
 *
 * The output is a pure function of the parameters: the same parameters and
 * seed give byte-identical files on any machine (an own PRNG, integer
 * formatting only, no libm in anything that decides output).  Memory does not
 * grow with the number of children: only the model (areas, schools, name
 * tables) and one family are held at a time.
 */
#ifndef CHILDLINK_SYNTH_H
#define CHILDLINK_SYNTH_H

#include <stdint.h>

#include "childlink/base.h"

/* Called after each batch of children: `done` of `total` children written. */
typedef void (*cl_synth_progress_fn)(void *ctx, long done, long total);

/* The options of one run.  Every model parameter not named here (error rates
 * per source, effect sizes, prevalences, ...) comes from the built-in
 * defaults, overridden by the JSON file at `config_path` if one is given
 * (the same format as the params.json a run writes). */
typedef struct cl_synth_options {
    long children;           /* number of children, >= 1 (default 20000) */
    uint64_t seed;           /* PRNG seed, 0 .. 2^63-1 (default 1) */
    int first_year;          /* first birth year (default 2005) */
    int last_year;           /* last birth year (default 2020) */
    int areas;               /* local authorities, 1..500 (default 10) */
    double error_scale;      /* multiplies every error rate, 0..100; 0 gives
                                perfect identifiers (default 1) */
    const char *config_path; /* parameters JSON, or NULL */
    int force;               /* 1: write into a non-empty directory */
    cl_synth_progress_fn progress;  /* may be NULL */
    void *progress_ctx;
} cl_synth_options;

/* Fill `opt` with the defaults above (config_path NULL, force 0, no
 * progress callback). */
CL_API void cl_synth_options_default(cl_synth_options *opt);

/* Read the top-level values (children, seed, first_year, last_year, areas,
 * error_scale) of the parameters file `path` into `opt` and remember `path`
 * as opt->config_path (the pointer is kept, not copied), so that a caller can
 * then apply its own command-line values on top: config file first, explicit
 * options last.  The whole file is checked here, so a bad key or value is
 * reported before any output is written.  Returns CL_OK; CL_EIO if the file
 * cannot be read; CL_EFORMAT if it is not JSON; CL_EINVAL naming the key
 * for an unknown parameter or a value of the wrong type or out of range.
 * `opt` is unchanged on failure. */
CL_API cl_status cl_synth_load_config(cl_synth_options *opt, const char *path,
                                      cl_error *err) CL_MUST_CHECK;

/* Generate the population described by `opt` into directory `out_dir`,
 * creating it (one level) if it does not exist.  Each file is written to a
 * temporary name and renamed into place only when the whole run has
 * succeeded; on failure no output file is left behind.
 * Returns CL_OK; CL_EINVAL for an option out of range or a bad config file
 * (the message names it); CL_EEXIST if `out_dir` holds files and opt->force
 * is 0; CL_EIO if the directory cannot be created or written; CL_ENOMEM.
 * `err` may be NULL. */
CL_API cl_status cl_synth_run(const cl_synth_options *opt, const char *out_dir,
                              cl_error *err) CL_MUST_CHECK;

#endif
