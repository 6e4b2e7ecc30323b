/* ghr-ctl runners [POOL]: every runner the scaler saw at its last reconcile. */
#include <stdio.h>
#include <stdlib.h>
#include "supervisor/ctl/ctl.h"

static void fmt_age(char *buf, size_t len, json_int_t s)
{
	if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int print_runners(const json_t *b)
{
	const json_t *arr = json_object_get(b, "runners");
	struct ctl_table *t = ctl_table_new("NAME", "POOL", "STATE", "AGE", "VM", "GITHUB", "REASON", NULL);
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r) {
		char age[32];
		fmt_age(age, sizeof(age), json_integer_value(json_object_get(r, "age_s")));
		ctl_table_row(t, json_string_value(json_object_get(r, "name")),
		              json_string_value(json_object_get(r, "pool")),
		              json_string_value(json_object_get(r, "state")), age,
		              or_dash(json_string_value(json_object_get(r, "vm_status"))),
		              or_dash(json_string_value(json_object_get(r, "github_status"))),
		              or_dash(json_string_value(json_object_get(r, "reason"))), NULL);
	}
	ctl_table_print(t);
	printf("%zu runner%s\n", json_array_size(arr), json_array_size(arr) == 1 ? "" : "s");
	return CTL_EXIT_OK;
}

static int run_runners(const struct ctl *c, int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: ghr-ctl runners [POOL]\n");
		return CTL_EXIT_USAGE;
	}
	json_t *body = argc == 2 ? json_pack("{s:s}", "pool", argv[1]) : NULL;
	return ctl_run_simple(c, "scaler.runners", body, "runners", print_runners);
}

CTL_COMMAND(runners, "runners", "runners [POOL]",
            "runners with pool, state, age, VM and GitHub status (from the last reconcile)", run_runners)
