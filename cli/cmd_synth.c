/* Placeholder: replaced by the synth work. */
#include "cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; return CLI_EXIT_USAGE; }
const cli_command cmd_synth = {"synth", "Synthetic data", "generate a synthetic population", "Usage: childlink synth\n", run};
