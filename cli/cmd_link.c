/*
 * cmd_link.c - `childlink link`: link records into children, write the link map.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childlink/keys.h"
#include "linkargs.h"

static int run(int argc, char **argv);

const cli_command cmd_link = {
    "link", "Link", "link records across and within sources into children",
    "Usage: childlink link [NAME=]FILE... --out LINKMAP.csv [options]\n"
    "\n"
    "Links the records of one or more identifier files (canonical CSVs, `clean` outputs or\n"
    "raw extracts with a schema) into children.  Each input is named NAME=FILE (default: the\n"
    "file name up to its first dot); the name is the source in the link map.\n"
    "Deterministic rules first (equal valid NHS number or UPN and equal date of birth), then\n"
    "the Fellegi-Sunter model for every other candidate pair from the blocking rules.\n"
    "Accepted pairs are clustered strongest first; a cluster never holds two different valid\n"
    "NHS numbers or UPNs, and a pair agreeing on date of birth with clearly different\n"
    "forenames and no agreeing NHS number or UPN is never linked (twins).\n"
    "\n"
    "Output: LINKMAP.csv with one row per input record:\n"
    "  source,record_id,child_id,match_probability,link_rule\n"
    "child_id is an opaque pseudonym (not derived from any identifier); match_probability is\n"
    "the record's strongest accepted pair (empty for a record linked to nothing); link_rule\n"
    "is nhs_dob, upn_dob, probabilistic or none.\n"
    "\n"
    "Options:\n"
    "  --out FILE          the link map (written whole or not at all)\n"
    "  --model FILE        a model from `childlink train` (default: train on these inputs)\n"
    "  --threshold P       accept pairs with match probability >= P (default 0.9)\n"
    "  --mode M            both (default), link (across sources only) or dedupe (within)\n"
    "  --pairs FILE        also write every scored candidate pair:\n"
    "                      source_a,record_id_a,source_b,record_id_b,match_weight,\n"
    "                      match_probability,link_rule (single-threaded)\n"
    "  --schema S          schema for all inputs (default: the built-in schema named like\n"
    "                      the source when it fits the file, else generic)\n"
    "  --threads N         worker threads (default 2)\n"
    "  --max-pairs N       refuse a blocking rule creating more than N pairs (default 2e9)\n"
    "  --one-to-one A,B    each record of source A links to at most one record of source B\n"
    "                      and vice versa (strongest pairs first)\n"
    "  --key FILE          name records in the link map by their record_token under this\n"
    "                      project key (as `childlink encode` writes it), so analysts can\n"
    "                      join payload files to it without seeing record ids\n"
    "  --count-pairs       only print the pairs each blocking rule would create, and stop\n"
    "  --twin-guard off    accept pairs the twin guard would keep apart (same date of\n"
    "                      birth, clearly different forenames, no shared identifier):\n"
    "                      only for data known to hold no twins\n"
    "  --preset echild     instead of the model, NHS England's stepwise deterministic rules\n"
    "                      for linking the NPD to its demographic register (ECHILD): 1 all\n"
    "                      exact; 2 Soundex names; 3 forename initial + first 3 letters of\n"
    "                      surname; 4 as 3, any sex; 5 any names, dob, sex, postcode; 6 as 5\n"
    "                      with month and year of birth only; 7 names, dob, sex, any\n"
    "                      postcode; 8 as 3, any postcode.  link_rule is echild_step_N, the\n"
    "                      ECHILD \"match rank\", so national practice can be reproduced and\n"
    "                      compared with the probabilistic model.\n"
    "\n"
    "Exit status: 0 ok, 1 bad input, 2 bad usage, 3 I/O error, 4 out of memory or a blocking\n"
    "rule over --max-pairs.\n"
    "\n"
    "Example:\n"
    "  childlink link hes=hes.clean.csv npd=npd.clean.csv --out linkmap.csv --pairs pairs.csv\n",
    run,
};

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'm'},
        {"threshold", required_argument, NULL, 't'},
        {"mode", required_argument, NULL, 'M'},
        {"pairs", required_argument, NULL, 'p'},
        {"schema", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 'j'},
        {"max-pairs", required_argument, NULL, 'x'},
        {"count-pairs", no_argument, NULL, 'c'},
        {"preset", required_argument, NULL, 'P'},
        {"twin-guard", required_argument, NULL, 'T'},
        {"key", required_argument, NULL, 'k'},
        {"one-to-one", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    linkargs a;
    memset(&a, 0, sizeof a);
    cl_link_options o;
    cl_link_options_default(&o);
    o.progress = linkargs_progress;
    const char *out = NULL, *model_path = NULL, *key_path = NULL;
    int count_only = 0, opt;
    double dv;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:m:t:M:p:s:j:x:cP:k:O:T:h", options, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'm': model_path = optarg; break;
        case 't':
            if (cli_parse_double(optarg, 0, 1, &dv) != 0 || dv <= 0)
                return cli_usage_error(&cmd_link, "--threshold must be a probability in (0,1]");
            o.threshold = dv;
            break;
        case 'p': o.pairs_path = optarg; break;
        case 'x':
            if (cli_parse_double(optarg, 1, 1e15, &dv) != 0)
                return cli_usage_error(&cmd_link, "--max-pairs must be a positive number");
            o.max_pairs_per_rule = (uint64_t)dv;
            break;
        case 'c': count_only = 1; break;
        case 'k': key_path = optarg; break;
        case 'O': {
            char *comma = strchr(optarg, ',');
            if (comma == NULL || comma == optarg || comma[1] == '\0')
                return cli_usage_error(&cmd_link, "--one-to-one needs two source names: A,B");
            *comma = '\0';
            o.one_to_one[0] = optarg;
            o.one_to_one[1] = comma + 1;
            break;
        }
        case 'T':
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
                return cli_usage_error(&cmd_link, "--twin-guard must be on or off");
            o.no_twin_guard = strcmp(optarg, "off") == 0;
            break;
        case 'P':
            if (strcmp(optarg, "echild") != 0)
                return cli_usage_error(&cmd_link, "unknown --preset '%s' (known: echild)", optarg);
            o.preset_echild = 1;
            break;
        case 'h': fputs(cmd_link.usage, stdout); return cli_finish_stdout("link");
        default: {
            int rc = linkargs_option(&cmd_link, opt, optarg, argv[optind - 1], &a, &o);
            if (rc != CLI_EXIT_OK)
                return rc;
            break;
        }
        }
    }
    int rc_inputs = linkargs_inputs(&cmd_link, &a, optind, argc, argv);
    if (rc_inputs != CLI_EXIT_OK)
        return rc_inputs;
    if (out == NULL && !count_only)
        return cli_usage_error(&cmd_link, "--out is required");
    for (int e = 0; e < 2 && o.one_to_one[0]; e++) {
        int found = 0;
        for (int i = 0; i < a.ninputs; i++)
            found |= strcmp(a.names[i], o.one_to_one[e]) == 0;
        if (!found || strcmp(o.one_to_one[0], o.one_to_one[1]) == 0)
            return cli_usage_error(&cmd_link, "--one-to-one names '%s', which is not one of two "
                                   "different input sources", o.one_to_one[e]);
    }
    if (a.ninputs == 1 && o.scope == CL_PAIRS_ACROSS)
        return cli_usage_error(&cmd_link, "--mode link needs at least two inputs");

    cl_model model;
    cl_error err;
    cl_error_clear(&err);
    if (model_path && cl_model_load(&model, model_path, &err) != CL_OK)
        return cli_fail("link", &err);
    cl_key *key = NULL;
    if (key_path && cl_key_load(&key, key_path, &err) != CL_OK)
        return cli_fail("link", &err);
    o.record_key = key;
    cl_records *r = NULL;
    cl_blocking *b = NULL;
    int rc = linkargs_load("link", &a, o.scope, &r, &b);
    if (rc != CLI_EXIT_OK) {
        cl_key_free(key);
        return rc;
    }
    if (count_only) {
        printf("%-32s %16s %14s\n", "blocking rule", "pairs", "largest block");
        for (int k = 0; k < CL_NRULES; k++)
            printf("%-32s %16llu %14llu%s\n", cl_rule_name(r->kind, k),
                   (unsigned long long)cl_blocking_rule_pairs(b, k),
                   (unsigned long long)cl_blocking_rule_largest_block(b, k),
                   cl_blocking_rule_pairs(b, k) > o.max_pairs_per_rule ? "  (over the limit)" : "");
        printf("(pairs before scope and before removing pairs an earlier rule made)\n");
        cl_blocking_free(b);
        cl_records_free(r);
        cl_key_free(key);
        return cli_finish_stdout("link");
    }
    cl_status st = cl_link_check_blocking(b, &o, &err);
    if (o.preset_echild)
        memset(&model, 0, sizeof model);   /* the preset needs no model */
    else if (st == CL_OK && model_path == NULL)
        st = cl_link_train(r, b, &o, &model, &err);
    cl_link_result res;
    if (st == CL_OK)
        st = cl_link_run(r, b, &model, &o, out, &res, &err);
    cl_blocking_free(b);
    cl_records_free(r);
    cl_key_free(key);
    if (st != CL_OK)
        return cli_fail("link", &err);
    printf("records            %zu\n", res.records);
    printf("candidate pairs    %llu\n", (unsigned long long)res.candidate_pairs);
    printf("accepted pairs     %llu (%llu by deterministic rules)\n",
           (unsigned long long)res.accepted_pairs, (unsigned long long)res.deterministic_pairs);
    printf("twin guard         %llu pairs above the threshold kept apart\n",
           (unsigned long long)res.twin_guarded);
    printf("identifier guard   %llu merges refused (two different valid NHS numbers or UPNs)\n",
           (unsigned long long)res.refused_merges);
    if (o.one_to_one[0])
        printf("one-to-one         %llu accepted pairs dropped between %s and %s\n",
               (unsigned long long)res.one_to_one_dropped, o.one_to_one[0], o.one_to_one[1]);
    printf("children           %zu (largest %zu records; %zu clusters over %zu records)\n",
           res.clusters, res.largest_cluster, res.oversized_clusters, o.max_cluster_size);
    return cli_finish_stdout("link");
}
