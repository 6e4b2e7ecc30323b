/* ghr-ctl scale POOL N: set a pool's min_idle until ghrd restarts or reloads;
 * ghr-ctl scale POOL --reset: back to the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/ctl/ctl.h"

static int print_scaled(const json_t *b)
{
	printf("pool %s: min_idle %lld (%s)\n", json_string_value(json_object_get(b, "pool")),
	       (long long)json_integer_value(json_object_get(b, "min_idle")),
	       json_is_true(json_object_get(b, "override")) ? "until the scaler restarts" : "from the configuration");
	return CTL_EXIT_OK;
}

static int run_scale(const struct ctl *c, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--reset") == 0)
		return ctl_run_simple(c, "scaler.scale", json_pack("{s:s, s:b}", "pool", argv[1], "reset", 1),
		                      "scale", print_scaled);
	char *end = NULL;
	long n = argc == 3 ? strtol(argv[2], &end, 10) : -1;
	if (argc != 3 || !end || *end || end == argv[2] || n < 0 || n > 10000) {
		fprintf(stderr, "usage: ghr-ctl scale POOL N   (N from 0 to 10000)\n"
		                "       ghr-ctl scale POOL --reset\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "scaler.scale", json_pack("{s:s, s:i}", "pool", argv[1], "min_idle", (int)n),
	                      "scale", print_scaled);
}

CTL_COMMAND(scale, "scale", "scale POOL N|--reset",
            "set a pool's min_idle until the scaler restarts, or back to the configuration", run_scale)
