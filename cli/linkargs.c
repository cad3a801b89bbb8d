/*
 * linkargs.c - shared argument handling for train, link and explain.
 */
#include <stdio.h>
#include <string.h>

#include "linkargs.h"

int linkargs_add(linkargs *a, const char *arg)
{
    if (a->ninputs == LINKARGS_MAX_INPUTS)
        return -1;
    const char *eq = strchr(arg, '=');
    const char *path = eq ? eq + 1 : arg;
    char *name = a->names[a->ninputs];
    if (eq) {
        size_t n = (size_t)(eq - arg);
        if (n == 0 || n >= sizeof a->names[0])
            return -1;
        memcpy(name, arg, n);
        name[n] = '\0';
    } else {
        const char *base = strrchr(arg, '/');
        base = base ? base + 1 : arg;
        snprintf(name, sizeof a->names[0], "%s", base);
        char *dot = strchr(name, '.');
        if (dot)
            *dot = '\0';
    }
    if (*path == '\0' || name[0] == '\0')
        return -1;
    a->inputs[a->ninputs] = (cl_records_input){name, path, a->schema};
    a->ninputs++;
    return 0;
}

int linkargs_scope(const char *mode)
{
    if (strcmp(mode, "both") == 0)
        return CL_PAIRS_ACROSS | CL_PAIRS_WITHIN;
    if (strcmp(mode, "link") == 0)
        return CL_PAIRS_ACROSS;
    if (strcmp(mode, "dedupe") == 0)
        return CL_PAIRS_WITHIN;
    return -1;
}

static const char *progress_cmd = "link";

void linkargs_progress(const char *what)
{
    cli_progress(progress_cmd, "%s", what);
}

static void load_progress(const char *path, long records)
{
    cli_progress(progress_cmd, "%s: %ld records", path, records);
}

int linkargs_load(const char *cmd, linkargs *a, unsigned scope, cl_records **records,
                  cl_blocking **blocking)
{
    progress_cmd = cmd;
    cl_error err;
    cl_error_clear(&err);
    for (int i = 0; i < a->ninputs; i++)
        a->inputs[i].schema = a->schema;
    cl_status st = cl_records_load(records, a->inputs, a->ninputs, load_progress, &err);
    if (st != CL_OK)
        return cli_fail(cmd, &err);
    cli_progress(cmd, "%zu records from %d source(s)", (*records)->n, (*records)->nsources);
    st = cl_blocking_new(blocking, *records, scope, &err);
    if (st != CL_OK) {
        cl_records_free(*records);
        *records = NULL;
        return cli_fail(cmd, &err);
    }
    return CLI_EXIT_OK;
}

int linkargs_option(const cli_command *cmd, int opt, const char *arg, const char *word,
                    linkargs *a, cl_link_options *o)
{
    long threads;
    switch (opt) {
    case 'M': {
        int scope = linkargs_scope(arg);
        if (scope < 0)
            return cli_usage_error(cmd, "--mode must be both, link or dedupe");
        o->scope = (unsigned)scope;
        return CLI_EXIT_OK;
    }
    case 's':
        a->schema = arg;
        return CLI_EXIT_OK;
    case 'j':
        if (cli_parse_long(arg, 1, 64, &threads) != 0)
            return cli_usage_error(cmd, "--threads must be 1 to 64");
        o->threads = (int)threads;
        return CLI_EXIT_OK;
    }
    return cli_usage_error(cmd, "unknown or incomplete option '%s'", word);
}

int linkargs_inputs(const cli_command *cmd, linkargs *a, int first, int argc, char **argv)
{
    for (int i = first; i < argc; i++)
        if (linkargs_add(a, argv[i]) != 0)
            return cli_usage_error(cmd, "bad input '%s' (give NAME=FILE or FILE)", argv[i]);
    if (a->ninputs == 0)
        return cli_usage_error(cmd, "give at least one input file");
    return CLI_EXIT_OK;
}
