/*
 * cmd_explain.c - `childlink explain`: why a pair scores what it scores.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linkargs.h"

static int run(int argc, char **argv);

const cli_command cmd_explain = {
    "explain", "Link", "show each comparison's level and weight for a record pair",
    "Usage: childlink explain [NAME=]FILE... --model MODEL.json --pair SOURCE:ID SOURCE:ID\n"
    "\n"
    "Prints, for the two records, every comparison's level and weight (log2 m/u, term-\n"
    "frequency adjusted where the model says so), the prior, the running total as a text\n"
    "waterfall, the match probability and the decision (deterministic rule, twin guard or\n"
    "probabilistic).  Inputs as for `childlink link`.\n"
    "\n"
    "Options:\n"
    "  --model FILE          the model (from `childlink train`)\n"
    "  --pair A B            the records, each SOURCE:RECORD_ID\n"
    "  --schema S            schema for all inputs\n"
    "\n"
    "Exit status: 0 ok, 1 bad input or unknown record, 2 bad usage, 3 I/O error.\n",
    run,
};

static int find_record(const cl_records *r, const char *spec, long *out)
{
    const char *colon = strchr(spec, ':');
    if (colon == NULL || colon == spec || colon - spec >= 128)
        return -1;
    char source[128];
    memcpy(source, spec, (size_t)(colon - spec));
    source[colon - spec] = '\0';
    *out = cl_records_find(r, source, colon + 1);
    return *out < 0 ? -1 : 0;
}

static void bar(double w)
{
    int n = (int)fabs(w);
    if (n > 30)
        n = 30;
    for (int i = 0; i < n; i++)
        putchar(w < 0 ? '-' : '+');
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},
        {"pair", required_argument, NULL, 'p'},
        {"schema", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    linkargs a;
    memset(&a, 0, sizeof a);
    const char *model_path = NULL, *spec_a = NULL, *spec_b = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "m:p:s:h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_path = optarg; break;
        case 'p':
            spec_a = optarg;
            if (optind < argc && argv[optind][0] != '-')
                spec_b = argv[optind++];
            break;
        case 's': a.schema = optarg; break;
        case 'h': fputs(cmd_explain.usage, stdout); return cli_finish_stdout("explain");
        default:
            return cli_usage_error(&cmd_explain, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++)
        if (linkargs_add(&a, argv[i]) != 0)
            return cli_usage_error(&cmd_explain, "bad input '%s'", argv[i]);
    if (a.ninputs == 0 || model_path == NULL || spec_a == NULL || spec_b == NULL)
        return cli_usage_error(&cmd_explain, "give inputs, --model and --pair A B");
    cl_error err;
    cl_error_clear(&err);
    cl_model model;
    if (cl_model_load(&model, model_path, &err) != CL_OK)
        return cli_fail("explain", &err);
    cl_records *r = NULL;
    cl_blocking *b = NULL;
    int rc = linkargs_load("explain", &a, CL_PAIRS_ACROSS | CL_PAIRS_WITHIN, &r, &b);
    if (rc != CLI_EXIT_OK)
        return rc;
    cl_blocking_free(b);
    if (cl_link_check_model(r, &model, &err) != CL_OK) {
        cl_records_free(r);
        return cli_fail("explain", &err);
    }
    long i, j;
    if (find_record(r, spec_a, &i) != 0 || find_record(r, spec_b, &j) != 0) {
        fprintf(stderr, "childlink explain: no record '%s' (give SOURCE:RECORD_ID)\n",
                find_record(r, spec_a, &i) != 0 ? spec_a : spec_b);
        cl_records_free(r);
        return CLI_EXIT_DATA;
    }
    cl_vector v = cl_compare(r, (size_t)i, (size_t)j);
    double per[CL_NCOMPARISONS];
    double total = cl_model_weight(&model, r, (size_t)i, (size_t)j, v, per);
    double prior = model.prior_weight;
    double probability;
    const char *decision = cl_link_classify(r, &model, (size_t)i, (size_t)j, v, &probability);
    printf("%s vs %s\n\n", spec_a, spec_b);
    printf("%-12s %-32s %8s %9s\n", "comparison", "level", "weight", "running");
    double running = prior;
    printf("%-12s %-32s %8.2f %9.2f ", "prior", "", prior, running);
    bar(prior);
    putchar('\n');
    for (int k = 0; k < CL_NCOMPARISONS; k++) {
        unsigned l = CL_VECTOR_LEVEL(v, k);
        running += per[k];
        printf("%-12s %-32s %8.2f %9.2f ", cl_comparison_name(k), cl_level_name(model.kind, k, (int)l),
               per[k], running);
        bar(per[k]);
        putchar('\n');
    }
    printf("\ntotal match weight %.2f, match probability %.6f, decision: %s\n", total,
           probability, decision);
    cl_records_free(r);
    return cli_finish_stdout("explain");
}
