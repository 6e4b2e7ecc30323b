/* ghr-ctl restart WORKER: restart an instance ("fake.2") or every instance of a worker. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

static int print_list(const json_t *b)
{
	return ctl_print_names(b, "restarted", "restarted: ");
}

static int run_restart(const struct ctl *c, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ghr-ctl restart WORKER\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "sup.restart", json_pack("{s:s}", "worker", argv[1]), "restart",
	                      print_list);
}

CTL_COMMAND(restart, "restart", "restart WORKER", "restart a worker instance or all of a worker's", run_restart)
