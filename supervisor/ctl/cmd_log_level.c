/* ghr-ctl log-level LEVEL [WORKER]: change log levels at run time. */
#include <stdio.h>
#include <string.h>

#include "supervisor/ctl/ctl.h"

static int print_applied(const json_t *b)
{
	return ctl_print_names(b, "applied", "applied to: ");
}

static int run_log_level(const struct ctl *c, int argc, char **argv)
{
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	int known = 0;
	for (const char *const *l = levels; argc >= 2 && *l; l++)
		known |= strcmp(argv[1], *l) == 0;
	if (argc < 2 || argc > 3 || !known) {
		fprintf(stderr, "usage: ghr-ctl log-level error|warn|info|debug [WORKER]\n");
		return CTL_EXIT_USAGE;
	}
	json_t *body = json_pack("{s:s}", "level", argv[1]);
	if (argc == 3)
		json_object_set_new(body, "worker", json_string(argv[2]));
	return ctl_run_simple(c, "sup.log_level", body, "log-level", print_applied);
}

CTL_COMMAND(log_level, "log-level", "log-level LEVEL [WORKER]", "set the log level of ghrd and the workers, or of one (\"ghrd\" for ghrd alone)", run_log_level)
