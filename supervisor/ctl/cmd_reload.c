/* ghr-ctl reload: reread the config; ghrd restarts only the workers whose part changed. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

static int print_reload(const json_t *b)
{
	const json_t *list = json_object_get(b, "restarted");
	if (json_array_size(list) == 0) {
		printf("configuration reloaded, no worker changed\n");
		return CTL_EXIT_OK;
	}
	size_t i;
	json_t *n;
	printf("configuration reloaded, restarted:");
	json_array_foreach(list, i, n)
		printf(" %s", json_string_value(n));
	printf("\n");
	return CTL_EXIT_OK;
}

static int run_reload(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl reload\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "sup.reload", NULL, "reload", print_reload);
}

CTL_COMMAND(reload, "reload", "reload", "reread the configuration (like SIGHUP, but reports errors)", run_reload)
