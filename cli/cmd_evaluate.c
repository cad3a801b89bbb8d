/*
 * cmd_evaluate.c - `childlink evaluate`: linkage quality and bias against
 * known truth.  Parses options, opens the outputs first (so an unwritable
 * destination fails before minutes of reading), runs the library's
 * evaluation, and commits every output only once all of them are written.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "childlink/evaluate.h"
#include "childlink/keys.h"
#include "childlink/outfile.h"
#include "cli.h"

static int run(int argc, char **argv);

const cli_command cmd_evaluate = {
    "evaluate", "Link", "measure linkage quality and bias against known truth",
    "Usage: childlink evaluate --linkmap LINKMAP.csv --truth TRUTH.csv [options]\n"
    "\n"
    "Compares the clusters of a link map (records sharing a child_id) with the persons of a\n"
    "truth file (records sharing a person_id), over the records present in both, and prints\n"
    "a report: pairwise precision, recall and F1 (a predicted pair is two records in one\n"
    "cluster, a true pair two records of one person), clusters against persons (exactly\n"
    "rebuilt, split, merged), and with --pairs the blocking recall and a threshold sweep.\n"
    "With --by, the same measures per subgroup and the gap between the best- and\n"
    "worst-linked groups.  Every measure is defined in docs/evaluate.md.\n"
    "\n"
    "Options:\n"
    "  --linkmap FILE   link map from 'childlink link': source,record_id,child_id,\n"
    "                   match_probability,... (required)\n"
    "  --truth FILE     truth: source,record_id,person_id and any other columns (required)\n"
    "  --pairs FILE     scored pairs from 'childlink link --pairs': source_a,record_id_a,\n"
    "                   source_b,record_id_b,...,match_probability,...\n"
    "  --sweep FILE     write precision, recall and F1 at each threshold as CSV (needs --pairs)\n"
    "  --by COLUMN      measure per value of this truth column (repeatable, up to 16); a true\n"
    "                   pair is in a group when both its records are, a predicted pair when\n"
    "                   either is\n"
    "  --min-pairs N    groups with fewer true pairs are reported but left out of the gaps\n"
    "                   (default 10)\n"
    "  --out FILE       write every figure as JSON\n"
    "  --key FILE       the project key: truth record ids become their record tokens, to\n"
    "                   evaluate the link map of encoded identifier files (a data holder's\n"
    "                   check; the linkage unit never holds the key)\n"
    "\n"
    "Undefined measures (0/0, e.g. precision when nothing is linked) read n/a.  Outputs are\n"
    "written whole or not at all.\n"
    "Exit status: 0 ok, 1 bad input (named with file and line; also when no record is in both\n"
    "files), 2 bad usage, 3 I/O error, 4 out of memory or a --by column with over 1000 values.\n"
    "\n"
    "Example:\n"
    "  childlink evaluate --linkmap linkmap.csv --truth truth.csv --pairs pairs.csv \\\n"
    "      --by ethnic_group --by deprivation_decile --sweep sweep.csv --out evaluation.json\n",
    run,
};

static void show_progress(void *ctx, const char *path, uint64_t rows)
{
    (void)ctx;
    cli_progress("evaluate", "%s: %llu rows", path, (unsigned long long)rows);
}

/* 1 when `a` and `b` name the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Writers report errors without a file name; the command knows it. */
static void name_file(cl_error *err, const char *path)
{
    if (err->file[0] == '\0')
        snprintf(err->file, sizeof err->file, "%s", path);
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"linkmap", required_argument, NULL, 'l'},
        {"truth", required_argument, NULL, 't'},
        {"pairs", required_argument, NULL, 'p'},
        {"sweep", required_argument, NULL, 's'},
        {"by", required_argument, NULL, 'b'},
        {"min-pairs", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},
        {"key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *linkmap = NULL, *truth = NULL, *pairs = NULL, *sweep = NULL, *json = NULL;
    const char *key_path = NULL;
    const char *by[CL_EVAL_MAX_BY];
    size_t n_by = 0;
    long min_pairs = CL_EVAL_DEFAULT_MIN_GROUP_PAIRS;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'l': linkmap = optarg; break;
        case 't': truth = optarg; break;
        case 'p': pairs = optarg; break;
        case 's': sweep = optarg; break;
        case 'o': json = optarg; break;
        case 'k': key_path = optarg; break;
        case 'b':
            if (n_by == CL_EVAL_MAX_BY)
                return cli_usage_error(&cmd_evaluate, "at most %u --by columns", CL_EVAL_MAX_BY);
            by[n_by++] = optarg;
            break;
        case 'm':
            if (cli_parse_long(optarg, 1, 1000000000L, &min_pairs) != 0)
                return cli_usage_error(&cmd_evaluate,
                                       "--min-pairs needs a whole number from 1, not '%s'",
                                       optarg);
            break;
        case 'h': fputs(cmd_evaluate.usage, stdout); return cli_finish_stdout("evaluate");
        default:
            return cli_usage_error(&cmd_evaluate, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(&cmd_evaluate, "unexpected argument '%s'", argv[optind]);
    if (linkmap == NULL || truth == NULL)
        return cli_usage_error(&cmd_evaluate, "--linkmap and --truth are required");
    if (sweep && pairs == NULL)
        return cli_usage_error(&cmd_evaluate, "--sweep needs --pairs");
    const char *inputs[] = {linkmap, truth, pairs};
    const char *outputs[] = {sweep, json};
    for (int o = 0; o < 2; o++) {
        if (outputs[o] == NULL)
            continue;
        if (strcmp(outputs[o], "-") == 0)
            return cli_usage_error(&cmd_evaluate,
                                   "--sweep and --out need file names (the report is on "
                                   "standard output)");
        for (int i = 0; i < 3; i++)
            if (inputs[i] && same_file(outputs[o], inputs[i]))
                return cli_usage_error(&cmd_evaluate, "output '%s' is also an input",
                                       outputs[o]);
    }
    if (sweep && json && same_file(sweep, json))
        return cli_usage_error(&cmd_evaluate, "--sweep and --out must be different files");
    for (size_t b = 0; b < n_by; b++)
        for (size_t c = 0; c < b; c++)
            if (strcmp(by[b], by[c]) == 0)
                return cli_usage_error(&cmd_evaluate, "--by column '%s' given twice", by[b]);

    cl_error err;
    cl_error_clear(&err);
    cl_eval_options opts = {0};
    opts.by_columns = by;
    opts.n_by = n_by;
    opts.min_group_true_pairs = (uint64_t)min_pairs;
    opts.progress = show_progress;
    cl_eval *ev = NULL;
    cl_outfile *sweep_out = NULL, *json_out = NULL;
    cl_key *key = NULL;
    cl_status st = key_path ? cl_key_load(&key, key_path, &err) : CL_OK;
    opts.record_key = key;
    if (st == CL_OK)
        st = cl_eval_new(&ev, &opts, &err);
    if (st == CL_OK && sweep)
        st = cl_outfile_open(&sweep_out, sweep, CL_OUTFILE_OVERWRITE, &err);
    if (st == CL_OK && json)
        st = cl_outfile_open(&json_out, json, CL_OUTFILE_OVERWRITE, &err);
    if (st == CL_OK)
        st = cl_eval_read_truth(ev, truth, &err);
    if (st == CL_OK)
        st = cl_eval_read_linkmap(ev, linkmap, &err);
    if (st == CL_OK && pairs)
        st = cl_eval_read_pairs(ev, pairs, &err);
    if (st == CL_OK)
        st = cl_eval_compute(ev, &err);
    if (st == CL_OK && sweep_out &&
        (st = cl_eval_write_sweep(ev, cl_outfile_stream(sweep_out), &err)) != CL_OK)
        name_file(&err, sweep);
    if (st == CL_OK && json_out &&
        (st = cl_eval_write_json(ev, cl_outfile_stream(json_out), &err)) != CL_OK)
        name_file(&err, json);
    /* Both outputs are complete before either is renamed into place. */
    if (st == CL_OK && sweep_out) {
        st = cl_outfile_commit(sweep_out, &err);
        sweep_out = NULL;
    }
    if (st == CL_OK && json_out) {
        st = cl_outfile_commit(json_out, &err);
        json_out = NULL;
    }
    if (st == CL_OK && (st = cl_eval_write_report(ev, stdout, &err)) != CL_OK)
        name_file(&err, "standard output");
    cl_outfile_abort(sweep_out);
    cl_outfile_abort(json_out);
    cl_eval_free(ev);
    cl_key_free(key);
    if (st != CL_OK)
        return cli_fail("evaluate", &err);
    return cli_finish_stdout("evaluate");
}
