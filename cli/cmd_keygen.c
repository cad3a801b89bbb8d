/*
 * cmd_keygen.c - `childlink keygen`: make a project key for `encode`.
 */
#include <getopt.h>
#include <stdio.h>

#include "childlink/keys.h"
#include "cli.h"

static int run(int argc, char **argv);

const cli_command cmd_keygen = {
    "keygen", "Pseudonymise at source", "generate a project key for encode",
    "Usage: childlink keygen --out PROJECT.key\n"
    "\n"
    "Generates a 256-bit secret from the operating system's random source and writes it\n"
    "to PROJECT.key, readable by its owner only (mode 0600).  Never overwrites a file.\n"
    "The file is one line: childlink-key/1 <key id> <64 hex digits>; the key id (also\n"
    "printed) names the key without revealing it, so data holders can check they share it.\n"
    "\n"
    "Generate one key per linkage project, give it to every data holder by a secure route,\n"
    "and never to the linkage unit or analysts (docs/privacy.md).\n"
    "\n"
    "Options:\n"
    "  --out FILE   where to write the key (must not exist)\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, 3 the file exists or cannot be written.\n"
    "\n"
    "Example:\n"
    "  childlink keygen --out project.key\n",
    run,
};

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'h': fputs(cmd_keygen.usage, stdout); return cli_finish_stdout("keygen");
        default:
            return cli_usage_error(&cmd_keygen, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(&cmd_keygen, "unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return cli_usage_error(&cmd_keygen, "--out is required");
    if (out[0] == '-' && out[1] == '\0')
        return cli_usage_error(&cmd_keygen, "a key is never written to standard output");
    cl_error err;
    cl_error_clear(&err);
    cl_key *key = NULL;
    cl_status st = cl_key_generate(&key, &err);
    if (st == CL_OK)
        st = cl_key_save(key, out, &err);
    if (st != CL_OK) {
        cl_key_free(key);
        return cli_fail("keygen", &err);
    }
    printf("key_id %s written to %s (mode 0600)\n", cl_key_id(key), out);
    cl_key_free(key);
    return cli_finish_stdout("keygen");
}
