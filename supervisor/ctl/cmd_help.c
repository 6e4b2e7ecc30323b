/* ghr-ctl help: the registered commands. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

static int run_help(const struct ctl *c, int argc, char **argv)
{
	size_t n;
	const struct ctl_command *const *cmds = ctl_commands(&n);
	printf("usage: ghr-ctl [-s ENDPOINT | -r RUN_DIR] [-t MS] [--json] COMMAND [ARGS]\n\n"
	       "commands:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-28s %s\n", cmds[i]->usage, cmds[i]->summary);
	printf("\nexit status: 0 ok, 1 the command failed, 2 usage, 69 ghrd unreachable\n");
	return CTL_EXIT_OK;
}

CTL_COMMAND(help, "help", "help", "list the commands", run_help)
