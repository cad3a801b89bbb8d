/*
 * cli.h - what the subcommand files share: the command table entry, error
 * reporting, exit codes and progress messages.  The library returns errors;
 * only this layer prints.
 *
 * Exit codes (docs/cli.md):
 *   0  success
 *   1  bad input data (malformed file, invalid values where not allowed)
 *   2  bad usage (unknown option, missing argument, value out of range)
 *   3  input/output error (cannot open, write or rename; output exists)
 *   4  out of memory or a size limit exceeded
 */
#ifndef CHILDLINK_CLI_H
#define CHILDLINK_CLI_H

#include "childlink/base.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_DATA = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_IO = 3,
    CLI_EXIT_RESOURCE = 4
};

typedef struct cli_command {
    const char *name;
    const char *group;    /* heading in `childlink help` */
    const char *summary;  /* one line */
    const char *usage;    /* full manual text shown by `childlink help NAME` */
    int (*run)(int argc, char **argv);  /* argv[0] is the command name */
} cli_command;

/* Print "childlink NAME: FILE:LINE: MESSAGE" for `err` to stderr and return
 * the exit code for its status. */
int cli_fail(const char *name, const cl_error *err);

/* Print "childlink NAME: MESSAGE" and the command's usage to stderr; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) CL_PRINTF(2, 3);

/* Exit code for a status. */
int cli_exit_code(cl_status code);

/* Progress line on stderr ("childlink NAME: ..."), shown unless --quiet was
 * given before the command or CHILDLINK_QUIET is set. */
void cli_progress(const char *name, const char *fmt, ...) CL_PRINTF(2, 3);

/* Parse a non-negative integer / a probability in [0,1]; 0 on success, -1 if
 * `s` is not entirely such a number. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_double(const char *s, double min, double max, double *out);

/* Flush and check standard output; returns an exit code (CLI_EXIT_IO if any
 * earlier write to stdout failed). */
int cli_finish_stdout(const char *name);

extern int cli_quiet;

#endif
