/*
 * cmd_clean.c - `childlink clean`: standardise and validate an extract.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childlink/clean.h"
#include "childlink/schema.h"
#include "cli.h"

static int run(int argc, char **argv);

const cli_command cmd_clean = {
    "clean", "Prepare identifiers", "standardise and validate an extract's identifiers",
    "Usage: childlink clean IN.csv [--schema NAME|FILE.json] --out OUT.csv [--rejects REJ.csv]\n"
    "\n"
    "Reads an extract, maps its columns onto the canonical identifier record with a schema,\n"
    "standardises every identifier and checks it, and writes the canonical file:\n"
    "  record_id,nhs_number,upn,local_id,forenames,surname,dob,sex,postcode,ethnicity,\n"
    "  forenames_original,surname_original, and a <field>_status column for nhs_number, upn,\n"
    "  forenames, surname, dob, sex and postcode: valid, missing, temporary (UPN) or\n"
    "  invalid:<reason>.  See docs/formats.md and docs/identifiers.md.\n"
    "Prints a per-field summary (valid, missing, invalid by reason) on standard output.\n"
    "\n"
    "Options:\n"
    "  --schema S      built-in schema name or a JSON schema file (default: generic, a CSV\n"
    "                  whose header already uses the canonical column names)\n"
    "  --out FILE      the canonical output file (written whole or not at all)\n"
    "  --rejects FILE  write records that cannot be kept (wrong number of fields, no record\n"
    "                  id, duplicate record id) here, with line and problem, and go on;\n"
    "                  without it the first such record stops the run with an error\n"
    "\n"
    "No record is dropped silently: every input record is in OUT or in REJ.\n"
    "Exit status: 0 ok, 1 bad input (named with file and line), 2 bad usage, 3 I/O error,\n"
    "4 out of memory or a field over the 64 KiB limit.\n"
    "\n"
    "Example:\n"
    "  childlink clean hes.csv --schema hes_apc --out hes.clean.csv --rejects hes.rejects.csv\n",
    run,
};

static void show_progress(long records)
{
    cli_progress("clean", "%ld records", records);
}

static void print_summary(const char *in, const cl_clean_stats *s)
{
    printf("%s: %ld records kept, %ld rejected\n", in, s->records, s->rejected);
    printf("%-12s %10s %10s %10s  %s\n", "field", "valid", "missing", "invalid", "invalid by reason");
    for (int f = 1; f < CL_FIELD_COUNT; f++) {
        if (!s->present[f])
            continue;
        printf("%-12s %10ld %10ld %10ld ", cl_field_name((cl_field)f), s->count[f][CL_CHECK_VALID],
               s->count[f][CL_CHECK_MISSING], s->count[f][CL_CHECK_INVALID]);
        for (int i = 0; i < CL_CLEAN_MAX_REASONS && s->reason[f][i]; i++)
            printf(" %s %ld%s", s->reason[f][i], s->reason_count[f][i],
                   i + 1 < CL_CLEAN_MAX_REASONS && s->reason[f][i + 1] ? "," : "");
        printf("\n");
    }
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"schema", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"rejects", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *schema_name = "generic", *out = NULL, *rejects = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "s:o:r:h", options, NULL)) != -1) {
        switch (opt) {
        case 's': schema_name = optarg; break;
        case 'o': out = optarg; break;
        case 'r': rejects = optarg; break;
        case 'h': fputs(cmd_clean.usage, stdout); return cli_finish_stdout("clean");
        default:
            return cli_usage_error(&cmd_clean, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(&cmd_clean, "give exactly one input file");
    if (out == NULL)
        return cli_usage_error(&cmd_clean, "--out is required");
    const char *in = argv[optind];
    if (strcmp(in, out) == 0 || (rejects && (strcmp(rejects, out) == 0 || strcmp(rejects, in) == 0)))
        return cli_usage_error(&cmd_clean, "input, output and rejects must be different files");

    cl_error err;
    cl_error_clear(&err);
    cl_schema *schema = NULL;
    cl_status st = cl_schema_load(&schema, schema_name, &err);
    if (st != CL_OK)
        return cli_fail("clean", &err);
    cl_clean_stats stats;
    st = cl_clean_file(in, schema, out, rejects, &stats, show_progress, &err);
    cl_schema_free(schema);
    if (st != CL_OK)
        return cli_fail("clean", &err);
    print_summary(in, &stats);
    return cli_finish_stdout("clean");
}
