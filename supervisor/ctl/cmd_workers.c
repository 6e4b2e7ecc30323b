/* ghr-ctl workers: how each worker instance is run. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"

static int print_workers(const json_t *b)
{
	struct ctl_table *t = ctl_table_new("WORKER", "PID", "STATE", "RESTART", "ESSENTIAL",
	                                    "SHUTDOWN", "USER", "EXEC", NULL);
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(b, "workers"), i, w) {
		char pid[24], sd[32];
		json_int_t p = json_integer_value(json_object_get(w, "pid"));
		snprintf(pid, sizeof(pid), "%lld", (long long)p);
		snprintf(sd, sizeof(sd), "%lldms",
		         (long long)json_integer_value(json_object_get(w, "shutdown_timeout_ms")));
		const char *user = json_string_value(json_object_get(w, "user"));
		ctl_table_row(t, json_string_value(json_object_get(w, "name")), p > 0 ? pid : "-",
		              json_string_value(json_object_get(w, "state")),
		              json_string_value(json_object_get(w, "restart")),
		              json_is_true(json_object_get(w, "essential")) ? "yes" : "no", sd,
		              user && *user ? user : "-", json_string_value(json_object_get(w, "exec")),
		              NULL);
	}
	ctl_table_print(t);
	return CTL_EXIT_OK;
}

static int run_workers(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl workers\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "sup.workers", NULL, "workers", print_workers);
}

CTL_COMMAND(workers, "workers", "workers", "each worker instance: policy, executable, user", run_workers)
