/* ghr-ctl flush [--busy] [POOL]: delete idle runners (and busy ones with --busy); the
 * reconcile that follows replaces them, e.g. with a new image. */
#include <stdio.h>
#include <string.h>
#include "supervisor/ctl/ctl.h"

static int print_deleted(const json_t *b)
{
	const json_t *d = json_object_get(b, "deleted");
	size_t i;
	json_t *n;
	json_array_foreach(d, i, n)
		printf("%s\n", json_string_value(n));
	printf("%zu runner%s deleted\n", json_array_size(d), json_array_size(d) == 1 ? "" : "s");
	return CTL_EXIT_OK;
}

static int run_flush(const struct ctl *c, int argc, char **argv)
{
	int busy = 0;
	const char *pool = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--busy") == 0) {
			busy = 1;
		} else if (argv[i][0] == '-' || pool) {
			fprintf(stderr, "usage: ghr-ctl flush [--busy] [POOL]\n");
			return CTL_EXIT_USAGE;
		} else {
			pool = argv[i];
		}
	}
	struct ctl slow = *c;
	if (slow.timeout_ms < 120000)
		slow.timeout_ms = 120000;
	json_t *body = json_pack("{s:b}", "busy", busy);
	if (pool)
		json_object_set_new(body, "pool", json_string(pool));
	return ctl_run_simple(&slow, "scaler.flush", body, "flush", print_deleted);
}

CTL_COMMAND(flush, "flush", "flush [--busy] [POOL]",
            "delete idle runners (with --busy, busy ones too); they are replaced", run_flush)
