/* Placeholder: being written. */
#include "cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; return CLI_EXIT_USAGE; }
const cli_command cmd_encode = {"encode", "Pseudonymise", "(being written)", "Usage: childlink encode\n", run};
