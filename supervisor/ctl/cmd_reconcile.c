/* ghr-ctl reconcile [POOL]: reconcile now, wait for it, print what it did. */
#include <stdio.h>
#include "supervisor/ctl/ctl.h"

#define RECONCILE_MIN_TIMEOUT_MS 300000   /* creates and deletes take a while on a real cloud */

static int print_report(const json_t *b)
{
	const json_t *acts = json_object_get(b, "actions");
	printf("reconciled in %lld ms: %zu action%s\n", (long long)json_integer_value(json_object_get(b, "duration_ms")),
	       json_array_size(acts), json_array_size(acts) == 1 ? "" : "s");
	if (json_array_size(acts) == 0)
		return CTL_EXIT_OK;
	struct ctl_table *t = ctl_table_new("ACTION", "POOL", "NAME", "REASON", "OUTCOME", "ERROR", NULL);
	size_t i;
	json_t *a;
	json_array_foreach(acts, i, a) {
		const char *err = json_string_value(json_object_get(a, "error"));
		ctl_table_row(t, json_string_value(json_object_get(a, "action")),
		              json_string_value(json_object_get(a, "pool")),
		              json_string_value(json_object_get(a, "name")),
		              json_string_value(json_object_get(a, "reason")),
		              json_string_value(json_object_get(a, "outcome")), err ? err : "-", NULL);
	}
	ctl_table_print(t);
	return CTL_EXIT_OK;
}

static int run_reconcile(const struct ctl *c, int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: ghr-ctl reconcile [POOL]\n");
		return CTL_EXIT_USAGE;
	}
	struct ctl slow = *c;
	if (slow.timeout_ms < RECONCILE_MIN_TIMEOUT_MS)
		slow.timeout_ms = RECONCILE_MIN_TIMEOUT_MS;
	json_t *body = argc == 2 ? json_pack("{s:s}", "pool", argv[1]) : NULL;
	return ctl_run_simple(&slow, "scaler.reconcile", body, "reconcile", print_report);
}

CTL_COMMAND(reconcile, "reconcile", "reconcile [POOL]",
            "reconcile now, wait for it, and print what it did", run_reconcile)
