/* ghr-ctl help: the registered commands. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

void ctl_print_help(FILE *f)
{
	size_t n;
	const struct ctl_command *const *cmds = ctl_commands(&n);
	fprintf(f, "usage: ghr-ctl [-s ENDPOINT | -r RUN_DIR] [-t MS] [--json] COMMAND [ARGS]\n\n"
	           "options:\n"
	           "  -s, --socket ENDPOINT   this control socket, as given (or $GHR_CONTROL)\n"
	           "  -r, --run-dir DIR       the ghrd whose run_dir is DIR (default " PROTO_RUN_DIR_DEFAULT "):\n"
	           "                          its admin socket when you may open it, else the public one\n"
	           "  -t, --timeout MS        how long to wait for ghrd (default 10000)\n"
	           "  -j, --json              print the reply as JSON\n"
	           "  -h, --help              this help\n\n"
	           "commands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-28s %s\n", cmds[i]->usage, cmds[i]->summary);
	fprintf(f, "\nexit status: 0 ok, 1 the command failed, 2 usage, 3 status: the fleet is degraded,\n"
	           "69 ghrd unreachable.  See ghr-ctl(1).\n");
}

static int run_help(const struct ctl *c, int argc, char **argv)
{
	ctl_print_help(stdout);
	return CTL_EXIT_OK;
}

CTL_COMMAND(help, "help", "help", "list the commands", run_help)
