/*
 * cmd_synth.c - `childlink synth`: generate a synthetic population.
 *
 * A thin front end on cl_synth_run (synth.h): it parses the options, applies
 * them in the documented order (built-in defaults, then --config, then the
 * options given here), reports progress on stderr and maps errors to exit
 * codes.  All the modelling lives in the library.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childlink/synth.h"
#include "cli.h"

static const char usage[] =
    "Usage: childlink synth --out DIR [options]\n"
    "\n"
    "Generate a synthetic population of children born over a range of years in\n"
    "a number of local authorities, with the records each service would hold\n"
    "about them (hospital admissions, emergency care, mental health referrals,\n"
    "school census, absence, key stage results, exclusions, children in need,\n"
    "children looked after) and the identifier errors each service makes, plus\n"
    "the truth: which record belongs to which child.  The same options and seed\n"
    "give byte-identical files on any machine.\n"
    "\n"
    "Options:\n"
    "  -o, --out DIR           output directory (created if missing; required)\n"
    "  -n, --children N        number of children, >= 1 (default 20000)\n"
    "  -s, --seed S            random seed, 0 to 2^63-1 (default 1)\n"
    "      --first-year Y      first birth year (default 2005)\n"
    "      --last-year Y       last birth year (default 2020)\n"
    "  -a, --areas N           local authorities, 1 to 500 (default 10)\n"
    "  -e, --error-scale X     multiply every identifier error rate by X, 0 to 100;\n"
    "                          0 gives perfect identifiers (default 1)\n"
    "  -c, --config FILE       parameters JSON (the format of params.json) that\n"
    "                          overrides any built-in parameter: error rates per\n"
    "                          source, effect sizes, prevalences, ...; options\n"
    "                          given on the command line override the file\n"
    "  -f, --force             write into a directory that is not empty\n"
    "  -h, --help              show this text\n"
    "\n"
    "Files written to DIR (docs/synthetic-data.md describes every column):\n"
    "  hes_apc.csv ecds.csv camhs.csv             health: admissions, emergency\n"
    "                                             care, mental health referrals\n"
    "  npd_census.csv npd_absence.csv npd_ks2.csv npd_ks4.csv npd_exclusions.csv\n"
    "                                             education (no NHS number)\n"
    "  csc_cin.csv csc_cla.csv                    children's social care\n"
    "  truth.csv      source, record_id, person_id, ... and the errors applied\n"
    "  people.csv     each child's true identifiers and conditions\n"
    "  areas.csv postcodes.csv schools.csv        the geography\n"
    "  error_summary.csv  configured and measured error rates per source\n"
    "  params.json    every parameter used (a valid --config to rerun)\n"
    "\n"
    "Exit status: 0 success; 2 bad usage or an option or parameter out of range;\n"
    "3 the directory is not empty (without --force) or cannot be written;\n"
    "4 out of memory.\n"
    "\n"
    "Example:\n"
    "  $ childlink synth --out synth --children 5000 --seed 7\n"
    "  $ childlink synth --out perfect --children 5000 --error-scale 0\n";

static int run(int argc, char **argv);

const cli_command cmd_synth = {"synth", "Synthetic data",
                               "generate a synthetic population with known truth", usage, run};

static void progress(void *ctx, long done, long total)
{
    (void)ctx;
    cli_progress("synth", "%ld of %ld children", done, total);
}

static int parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno != 0 || v > 9223372036854775807ull)
        return -1;
    *out = v;
    return 0;
}

static int run(int argc, char **argv)
{
    enum { OPT_FIRST_YEAR = 256, OPT_LAST_YEAR };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"children", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"first-year", required_argument, NULL, OPT_FIRST_YEAR},
        {"last-year", required_argument, NULL, OPT_LAST_YEAR},
        {"areas", required_argument, NULL, 'a'},
        {"error-scale", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'c'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *config = NULL;
    const char *children = NULL, *seed = NULL, *first = NULL, *last = NULL, *areas = NULL,
               *scale = NULL;
    int force = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:n:s:a:e:c:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n': children = optarg; break;
        case 's': seed = optarg; break;
        case OPT_FIRST_YEAR: first = optarg; break;
        case OPT_LAST_YEAR: last = optarg; break;
        case 'a': areas = optarg; break;
        case 'e': scale = optarg; break;
        case 'c': config = optarg; break;
        case 'f': force = 1; break;
        case 'h':
            fputs(usage, stdout);
            return cli_finish_stdout("synth");
        case ':':
            return cli_usage_error(&cmd_synth, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(&cmd_synth, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_synth, "unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return cli_usage_error(&cmd_synth, "--out DIR is required");
    if (out[0] == '\0')
        return cli_usage_error(&cmd_synth, "--out needs a directory name");

    cl_synth_options opt;
    cl_synth_options_default(&opt);
    cl_error err;
    cl_error_clear(&err);
    if (config != NULL) {
        cl_status st = cl_synth_load_config(&opt, config, &err);
        if (st != CL_OK)
            return cli_fail("synth", &err);
    }
    long v;
    if (children != NULL) {
        if (cli_parse_long(children, 1, 100000000, &v) != 0)
            return cli_usage_error(&cmd_synth, "--children must be a whole number from 1 to "
                                   "100000000 ('%s' given)", children);
        opt.children = v;
    }
    if (seed != NULL) {
        unsigned long long s;
        if (parse_u64(seed, &s) != 0)
            return cli_usage_error(&cmd_synth, "--seed must be a whole number from 0 to "
                                   "9223372036854775807 ('%s' given)", seed);
        opt.seed = s;
    }
    if (first != NULL) {
        if (cli_parse_long(first, 1950, 2100, &v) != 0)
            return cli_usage_error(&cmd_synth, "--first-year must be a year from 1950 to "
                                   "2100 ('%s' given)", first);
        opt.first_year = (int)v;
    }
    if (last != NULL) {
        if (cli_parse_long(last, 1950, 2100, &v) != 0)
            return cli_usage_error(&cmd_synth, "--last-year must be a year from 1950 to "
                                   "2100 ('%s' given)", last);
        opt.last_year = (int)v;
    }
    if (opt.first_year > opt.last_year)
        return cli_usage_error(&cmd_synth, "--first-year %d is after --last-year %d",
                               opt.first_year, opt.last_year);
    if (areas != NULL) {
        if (cli_parse_long(areas, 1, 500, &v) != 0)
            return cli_usage_error(&cmd_synth, "--areas must be a whole number from 1 to 500 "
                                   "('%s' given)", areas);
        opt.areas = (int)v;
    }
    if (scale != NULL) {
        double x;
        if (cli_parse_double(scale, 0.0, 100.0, &x) != 0)
            return cli_usage_error(&cmd_synth, "--error-scale must be a number from 0 to 100 "
                                   "('%s' given)", scale);
        opt.error_scale = x;
    }
    opt.force = force;
    opt.progress = progress;
    cli_progress("synth", "generating %ld children into %s", opt.children, out);
    cl_status st = cl_synth_run(&opt, out, &err);
    if (st != CL_OK)
        return cli_fail("synth", &err);
    cli_progress("synth", "done");
    return CLI_EXIT_OK;
}
