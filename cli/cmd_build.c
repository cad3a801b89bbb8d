/*
 * cmd_build.c - `childlink build`: the linked, de-identified SQLite database
 * from a link map and payload files.  Parses options and hands everything to
 * cl_store_build (store.h); the schema is in docs/database.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "childlink/store.h"
#include "cli.h"

static int run(int argc, char **argv);

const cli_command cmd_build = {
    "build", "Analyse", "build the linked, de-identified SQLite database",
    "Usage: childlink build --linkmap LINKMAP.csv --payload NAME=FILE ... --out linked.db\n"
    "                       [--key-column COL] [--summary] [--force]\n"
    "\n"
    "Joins the link map with each source's payload file (record token plus content, no\n"
    "identifiers) into one SQLite database: a spine of children (`child`), the link map\n"
    "(`source_record`), one typed table per source with a child_id column, the view\n"
    "`child_timeline` (every dated event of a child in order) and `build_info`.  Column\n"
    "types are inferred from the values; dates (yyyy-mm-dd, dd/mm/yyyy, and yyyymmdd in a\n"
    "column whose name contains 'date') are stored as yyyy-mm-dd.  The schema and example\n"
    "queries are in docs/database.md.\n"
    "\n"
    "Options:\n"
    "  --linkmap FILE     link map: source,record_id,child_id,match_probability,link_rule\n"
    "                     (required)\n"
    "  --payload NAME=FILE  payload of source NAME (as named in the link map); repeatable\n"
    "  --key-column COL   payload column holding the record's key (default record_token,\n"
    "                     or record_id where a file has that and no record_token)\n"
    "  --out FILE         the database to write (required)\n"
    "  --summary          print each table and its row count (and unmatched rows) as\n"
    "                     tab-separated lines on standard output\n"
    "  --force            replace an existing database\n"
    "\n"
    "Payload rows whose key is not in the link map are kept with child_id NULL, counted in\n"
    "build_info and reported.  A payload with a column that looks like a date of birth,\n"
    "name, postcode, NHS number or UPN is refused.  The database is written whole or not at\n"
    "all, and the same inputs give a byte-identical file.\n"
    "Exit status: 0 ok, 1 bad input (named with file and line), 2 bad usage, 3 I/O error or\n"
    "the output exists (without --force), 4 out of memory.\n"
    "\n"
    "Example:\n"
    "  childlink build --linkmap linkmap.csv --payload hes_apc=hes_apc.payload.csv \\\n"
    "      --payload npd_census=npd_census.payload.csv --out linked.db --summary\n",
    run,
};

static void show_progress(void *ctx, const char *message)
{
    (void)ctx;
    cli_progress("build", "%s", message);
}

#define MAX_PAYLOADS 256

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"linkmap", required_argument, NULL, 'l'},
        {"payload", required_argument, NULL, 'p'},
        {"key-column", required_argument, NULL, 'k'},
        {"out", required_argument, NULL, 'o'},
        {"summary", no_argument, NULL, 's'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static cl_store_payload payloads[MAX_PAYLOADS];
    static char names[MAX_PAYLOADS][128];
    cl_store_options o;
    memset(&o, 0, sizeof o);
    int summary = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'l': o.linkmap_path = optarg; break;
        case 'k': o.key_column = optarg; break;
        case 'o': o.out_path = optarg; break;
        case 's': summary = 1; break;
        case 'f': o.force = 1; break;
        case 'p': {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0' || (size_t)(eq - optarg) >= 128)
                return cli_usage_error(&cmd_build, "--payload needs NAME=FILE, not '%s'", optarg);
            if (o.npayloads == MAX_PAYLOADS)
                return cli_usage_error(&cmd_build, "at most %d --payload options", MAX_PAYLOADS);
            memcpy(names[o.npayloads], optarg, (size_t)(eq - optarg));
            names[o.npayloads][eq - optarg] = '\0';
            for (size_t i = 0; i < o.npayloads; i++)
                if (strcmp(names[i], names[o.npayloads]) == 0)
                    return cli_usage_error(&cmd_build, "source '%s' given twice",
                                           names[o.npayloads]);
            payloads[o.npayloads].source = names[o.npayloads];
            payloads[o.npayloads].path = eq + 1;
            o.npayloads++;
            break;
        }
        case 'h': fputs(cmd_build.usage, stdout); return cli_finish_stdout("build");
        default:
            return cli_usage_error(&cmd_build, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(&cmd_build, "unexpected argument '%s'", argv[optind]);
    if (o.linkmap_path == NULL || o.out_path == NULL)
        return cli_usage_error(&cmd_build, "--linkmap and --out are required");
    for (size_t i = 0; i <= o.npayloads; i++)
        if (strcmp(i < o.npayloads ? payloads[i].path : o.linkmap_path, o.out_path) == 0)
            return cli_usage_error(&cmd_build, "output '%s' is also an input", o.out_path);
    o.payloads = payloads;
    o.progress = show_progress;

    cl_error err;
    cl_error_clear(&err);
    cl_store_summary sum;
    cl_status st = cl_store_build(&o, &sum, &err);
    if (st != CL_OK)
        return cli_fail("build", &err);
    long long unmatched = 0;
    for (size_t i = 0; i < sum.ntables; i++) unmatched += sum.tables[i].unmatched;
    cli_progress("build", "wrote %s: %lld children, %zu tables, %lld unmatched payload rows",
                 o.out_path, sum.ntables ? sum.tables[0].rows : 0, sum.ntables, unmatched);
    if (unmatched > 0)
        fprintf(stderr, "childlink build: warning: %lld payload rows have no record in the link "
                        "map; kept with child_id NULL (see build_info)\n", unmatched);
    if (summary) {
        printf("table\tsource\trows\tunmatched\n");
        for (size_t i = 0; i < sum.ntables; i++)
            printf("%s\t%s\t%lld\t%lld\n", sum.tables[i].table, sum.tables[i].source,
                   sum.tables[i].rows, sum.tables[i].unmatched);
    }
    cl_store_summary_free(&sum);
    return cli_finish_stdout("build");
}
