/*
 * linkargs.h - what `train`, `link` and `explain` share: input files named
 * NAME=PATH, the pair scope, and loading the record store.
 */
#ifndef CHILDLINK_LINKARGS_H
#define CHILDLINK_LINKARGS_H

#include "childlink/blocking.h"
#include "childlink/link.h"
#include "childlink/records.h"
#include "cli.h"

#define LINKARGS_MAX_INPUTS 64

typedef struct linkargs {
    cl_records_input inputs[LINKARGS_MAX_INPUTS];
    char names[LINKARGS_MAX_INPUTS][128];
    int ninputs;
    const char *schema;
} linkargs;

/* Add positional argument `arg` (NAME=PATH or PATH).  Returns 0, or -1 with a
 * message printed through cli_usage_error's conventions left to the caller. */
int linkargs_add(linkargs *a, const char *arg);

/* Parse "both", "link" or "dedupe" into a CL_PAIRS_* mask; -1 if unknown. */
int linkargs_scope(const char *mode);

/* Load the inputs and build the blocking; prints errors; returns an exit code. */
int linkargs_load(const char *cmd, linkargs *a, unsigned scope, cl_records **records,
                  cl_blocking **blocking);

void linkargs_progress(const char *what);

/* The options train and link share: --mode (M), --schema (s), --threads (j).
 * Returns CLI_EXIT_OK when handled, else prints a usage error (`word` is the
 * argument getopt stopped at, for an unknown option) and returns its code. */
int linkargs_option(const cli_command *cmd, int opt, const char *arg, const char *word,
                    linkargs *a, cl_link_options *o);

/* Add argv[first..argc) as inputs; returns CLI_EXIT_OK or a usage error's code. */
int linkargs_inputs(const cli_command *cmd, linkargs *a, int first, int argc, char **argv);

#endif
