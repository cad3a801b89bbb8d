/* Placeholder: replaced by the identifier work. */
#include "cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; return CLI_EXIT_USAGE; }
const cli_command cmd_validate = {"validate", "Prepare identifiers", "check identifiers one by one", "Usage: childlink validate\n", run};
