/*
 * main.c - the childlink dispatcher: a table of subcommands, each defined in
 * its own cmd_*.c file (the samtools pattern), plus shared helpers for
 * reporting errors the same way everywhere.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern const cli_command cmd_clean;
extern const cli_command cmd_validate;
extern const cli_command cmd_synth;
extern const cli_command cmd_evaluate;
extern const cli_command cmd_keygen;
extern const cli_command cmd_encode;
extern const cli_command cmd_build;
extern const cli_command cmd_report;
extern const cli_command cmd_train;
extern const cli_command cmd_link;
extern const cli_command cmd_explain;

/* Order here is the order of `childlink help`. */
static const cli_command *const commands[] = {
    &cmd_validate,
    &cmd_clean,
    &cmd_keygen,
    &cmd_encode,
    &cmd_train,
    &cmd_link,
    &cmd_explain,
    &cmd_evaluate,
    &cmd_build,
    &cmd_report,
    &cmd_synth,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

int cli_quiet;

int cli_exit_code(cl_status code)
{
    switch (code) {
    case CL_OK:
    case CL_END: return CLI_EXIT_OK;
    case CL_EFORMAT: return CLI_EXIT_DATA;
    case CL_EINVAL: return CLI_EXIT_USAGE;
    case CL_EIO:
    case CL_EEXIST: return CLI_EXIT_IO;
    case CL_ENOMEM:
    case CL_ELIMIT: return CLI_EXIT_RESOURCE;
    }
    return CLI_EXIT_DATA;
}

int cli_fail(const char *name, const cl_error *err)
{
    if (err->file[0] && err->line > 0)
        fprintf(stderr, "childlink %s: %s:%ld: %s\n", name, err->file, err->line, err->message);
    else if (err->file[0])
        fprintf(stderr, "childlink %s: %s: %s\n", name, err->file, err->message);
    else
        fprintf(stderr, "childlink %s: %s\n", name, err->message);
    return cli_exit_code(err->code);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "childlink %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", cmd->usage);
    return CLI_EXIT_USAGE;
}

void cli_progress(const char *name, const char *fmt, ...)
{
    if (cli_quiet)
        return;
    va_list ap;
    fprintf(stderr, "childlink %s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max))
        return -1;
    *out = v;
    return 0;
}

int cli_finish_stdout(const char *name)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "childlink %s: error writing standard output: %s\n", name,
                strerror(errno));
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void overview(FILE *out)
{
    fprintf(out,
            "childlink %s - link children's records across health, education and social care\n"
            "\n"
            "Usage: childlink [--quiet] <command> [options]\n"
            "       childlink help <command>\n"
            "       childlink --version\n",
            CL_VERSION);
    const char *group = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (group == NULL || strcmp(group, commands[i]->group) != 0) {
            group = commands[i]->group;
            fprintf(out, "\n%s:\n", group);
        }
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    }
    fprintf(out, "\nExit status: 0 ok, 1 bad input data, 2 bad usage, 3 input/output error,\n"
                 "4 out of memory or size limit.  Manual: childlink help <command>.\n");
}

int main(int argc, char **argv)
{
    int first = 1;
    if (getenv("CHILDLINK_QUIET") != NULL)
        cli_quiet = 1;
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--quiet") == 0 || strcmp(argv[first], "-q") == 0) {
            cli_quiet = 1;
            first++;
        } else if (strcmp(argv[first], "--version") == 0) {
            printf("childlink %s\n", CL_VERSION);
            return cli_finish_stdout("--version");
        } else if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
            overview(stdout);
            return cli_finish_stdout("help");
        } else {
            fprintf(stderr, "childlink: unknown option '%s'\n\n", argv[first]);
            overview(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (first >= argc) {
        overview(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[first];
    if (strcmp(name, "help") == 0) {
        if (first + 1 >= argc) {
            overview(stdout);
            return cli_finish_stdout("help");
        }
        const cli_command *cmd = find(argv[first + 1]);
        if (cmd == NULL) {
            fprintf(stderr, "childlink help: unknown command '%s'\n", argv[first + 1]);
            return CLI_EXIT_USAGE;
        }
        fputs(cmd->usage, stdout);
        return cli_finish_stdout("help");
    }
    const cli_command *cmd = find(name);
    if (cmd == NULL) {
        fprintf(stderr, "childlink: unknown command '%s' (see 'childlink help')\n", name);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(argc - first, argv + first);
}
