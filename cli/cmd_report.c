/*
 * cmd_report.c - `childlink report`: the HTML report and its CSV tables from
 * a linked database.  Parses options and hands everything to cl_report_run
 * (report.h); the analyses are described in docs/report.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childlink/report.h"
#include "cli.h"

static int run(int argc, char **argv);

const cli_command cmd_report = {
    "report", "Analyse", "write the HTML report and its tables from a linked database",
    "Usage: childlink report linked.db --out DIR [--only NAME]... [--codelist NAME=FILE]...\n"
    "                        [--threshold N] [--rounding N] [--force]\n"
    "\n"
    "Writes DIR/report.html, one self-contained page (inline SVG charts, no network\n"
    "access), and the table behind every chart as DIR/NAME.csv.  Reads the database\n"
    "read-only; every number published passes statistical disclosure control: counts\n"
    "from 1 to threshold-1 are shown as <10, others rounded to the nearest 5, rates\n"
    "withheld where their numerator or denominator is small, and further cells withheld\n"
    "so that none can be worked out from totals.  An analysis whose tables are not in\n"
    "the database is skipped with a note.  Definitions: docs/report.md.\n"
    "\n"
    "Analyses (all by default):\n"
    "  coverage           records linked to another source, by source and subgroup, and\n"
    "                     match probabilities\n"
    "  known_to           children known to each combination of health, education, social\n"
    "                     care and mental-health services\n"
    "  critical_points    absence, emergency admissions and mental-health referrals by\n"
    "                     school year: the move to secondary school\n"
    "  postcode_lottery   age at first EHC plan for children with Down's syndrome by local\n"
    "                     authority (Kaplan-Meier, medians) and a funnel plot, outliers named\n"
    "  condition_absence  absence rate ratio for pupils with asthma (and each added code\n"
    "                     list) against without, Mantel-Haenszel by deprivation and age\n"
    "\n"
    "Options:\n"
    "  --out DIR          output directory (created if missing; required)\n"
    "  --only NAME        run only this analysis (repeatable)\n"
    "  --codelist NAME=FILE  a clinical code list in ECHILD's CSV format\n"
    "                     (code,dataset,field,code_type,description,...): NAME asthma,\n"
    "                     downs_syndrome or emergency_admission replaces the built-in list;\n"
    "                     any other NAME adds a condition with its own absence analysis\n"
    "  --threshold N      smallest count shown (default 10: counts 1-9 are withheld)\n"
    "  --rounding N       round shown counts to a multiple of N (default 5)\n"
    "  --force            write into a directory that already holds files\n"
    "\n"
    "Exit status: 0 ok, 1 the database is not a childlink database or a code list is\n"
    "malformed (named with file and line), 2 bad usage, 3 the database cannot be opened or\n"
    "the output written, or DIR holds files (without --force), 4 out of memory.\n"
    "\n"
    "Example:\n"
    "  childlink report linked.db --out report \\\n"
    "      --codelist epilepsy=epilepsy_codes.csv\n",
    run,
};

static void show_progress(void *ctx, const char *message)
{
    (void)ctx;
    cli_progress("report", "%s", message);
}

#define MAX_ONLY 32
#define MAX_CODELISTS 64

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"only", required_argument, NULL, 'n'},
        {"codelist", required_argument, NULL, 'c'},
        {"threshold", required_argument, NULL, 't'},
        {"rounding", required_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *only[MAX_ONLY];
    static cl_report_codelist lists[MAX_CODELISTS];
    static char names[MAX_CODELISTS][64];
    cl_report_options o;
    cl_report_options_default(&o);
    int opt;
    long value;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'o': o.out_dir = optarg; break;
        case 'f': o.force = 1; break;
        case 'n':
            if (o.nonly == MAX_ONLY)
                return cli_usage_error(&cmd_report, "at most %d --only options", MAX_ONLY);
            only[o.nonly++] = optarg;
            break;
        case 'c': {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0' || (size_t)(eq - optarg) >= 64)
                return cli_usage_error(&cmd_report, "--codelist needs NAME=FILE, not '%s'",
                                       optarg);
            if (o.ncodelists == MAX_CODELISTS)
                return cli_usage_error(&cmd_report, "at most %d --codelist options",
                                       MAX_CODELISTS);
            memcpy(names[o.ncodelists], optarg, (size_t)(eq - optarg));
            names[o.ncodelists][eq - optarg] = '\0';
            lists[o.ncodelists].name = names[o.ncodelists];
            lists[o.ncodelists].path = eq + 1;
            o.ncodelists++;
            break;
        }
        case 't':
            if (cli_parse_long(optarg, 1, 1000000, &value) != 0)
                return cli_usage_error(&cmd_report, "--threshold must be from 1 to 1000000, "
                                       "not '%s'", optarg);
            o.sdc.threshold = value;
            break;
        case 'r':
            if (cli_parse_long(optarg, 1, 1000000, &value) != 0)
                return cli_usage_error(&cmd_report, "--rounding must be from 1 to 1000000, "
                                       "not '%s'", optarg);
            o.sdc.rounding_base = value;
            break;
        case 'h': fputs(cmd_report.usage, stdout); return cli_finish_stdout("report");
        default:
            return cli_usage_error(&cmd_report, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error(&cmd_report, "no database given");
    if (optind + 1 < argc)
        return cli_usage_error(&cmd_report, "unexpected argument '%s'", argv[optind + 1]);
    o.db_path = argv[optind];
    if (o.out_dir == NULL)
        return cli_usage_error(&cmd_report, "--out is required");
    o.only = only;
    o.codelists = lists;
    o.progress = show_progress;

    cl_error err;
    cl_error_clear(&err);
    cl_report_summary sum;
    cl_status st = cl_report_run(&o, &sum, &err);
    if (st == CL_EINVAL)
        return cli_usage_error(&cmd_report, "%s", err.message);
    if (st != CL_OK)
        return cli_fail("report", &err);
    cli_progress("report", "wrote %s/report.html and %zu tables (%zu analyses, %zu skipped)",
                 o.out_dir, sum.tables_written, sum.analyses_run, sum.analyses_skipped);
    return cli_finish_stdout("report");
}
