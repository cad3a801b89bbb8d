/*
 * cmd_train.c - `childlink train`: estimate the Fellegi-Sunter model.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linkargs.h"

static int run(int argc, char **argv);

const cli_command cmd_train = {
    "train", "Link", "estimate the linkage model (u by sampling, m by EM)",
    "Usage: childlink train [NAME=]FILE... --out MODEL.json [--mode M] [--schema S]\n"
    "\n"
    "Estimates the Fellegi-Sunter model of the default comparisons on the inputs:\n"
    "u-probabilities from random record pairs, m-probabilities and the prior by EM on the\n"
    "counts of distinct comparison vectors of the blocked candidate pairs.  Writes a readable\n"
    "JSON model (docs/model.md) with every comparison, level, m, u and weight, and prints the\n"
    "weights and EM convergence.  Inputs and options as for `childlink link`.\n"
    "\n"
    "Options:\n"
    "  --out FILE     the model file\n"
    "  --mode M       both (default), link or dedupe\n"
    "  --schema S     schema for all inputs\n"
    "  --threads N    worker threads (default 2)\n"
    "\n"
    "Exit status: 0 ok, 1 bad input, 2 bad usage, 3 I/O error, 4 out of memory.\n",
    run,
};

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"mode", required_argument, NULL, 'M'},
        {"schema", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    linkargs a;
    memset(&a, 0, sizeof a);
    cl_link_options o;
    cl_link_options_default(&o);
    o.progress = linkargs_progress;
    const char *out = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:M:s:j:h", options, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'h': fputs(cmd_train.usage, stdout); return cli_finish_stdout("train");
        default: {
            int rc = linkargs_option(&cmd_train, opt, optarg, argv[optind - 1], &a, &o);
            if (rc != CLI_EXIT_OK)
                return rc;
            break;
        }
        }
    }
    int rc_inputs = linkargs_inputs(&cmd_train, &a, optind, argc, argv);
    if (rc_inputs != CLI_EXIT_OK)
        return rc_inputs;
    if (out == NULL)
        return cli_usage_error(&cmd_train, "--out is required");
    cl_records *r = NULL;
    cl_blocking *b = NULL;
    int rc = linkargs_load("train", &a, o.scope, &r, &b);
    if (rc != CLI_EXIT_OK)
        return rc;
    cl_error err;
    cl_error_clear(&err);
    cl_model model;
    cl_status st = cl_link_check_blocking(b, &o, &err);
    if (st == CL_OK)
        st = cl_link_train(r, b, &o, &model, &err);
    if (st == CL_OK)
        st = cl_model_save(&model, out, &err);
    cl_blocking_free(b);
    cl_records_free(r);
    if (st != CL_OK)
        return cli_fail("train", &err);
    printf("EM: %s after %d iterations (last change %.2g); %llu candidate pairs, %.4f of them "
           "matches; prior %.3g\n",
           model.em_converged ? "converged" : "NOT converged", model.em_iterations,
           model.em_max_change, (unsigned long long)model.candidate_pairs,
           model.candidate_share, model.prior);
    printf("%-12s %-32s %10s %10s %8s\n", "comparison", "level", "m", "u", "weight");
    for (int k = 0; k < CL_NCOMPARISONS; k++)
        for (int l = 1; l < cl_comparison_nlevels(model.kind, k); l++)
            printf("%-12s %-32s %10.6f %10.6f %8.2f\n", l == 1 ? cl_comparison_name(k) : "",
                   cl_level_name(model.kind, k, l), model.m[k][l], model.u[k][l],
                   log2(model.m[k][l] / model.u[k][l]));
    return cli_finish_stdout("train");
}
