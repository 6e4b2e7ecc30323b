/* ghr-ctl jobs [show ID | retry ID | drop ID | import-kombu DATABASE [LIMIT]]: the
 * reactive job store, through a reactive-consumer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor/ctl/ctl.h"

static int print_summary(const json_t *b)
{
	printf("live jobs: %lld, oldest queued: %llds\n", (long long)json_integer_value(json_object_get(b, "live")),
	       (long long)json_integer_value(json_object_get(b, "oldest_queued_s")));
	struct ctl_table *t = ctl_table_new("STATUS", "POOL", "COUNT", NULL);
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(b, "counts"), i, row) {
		char n[24];
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(row, "count")));
		ctl_table_row(t, json_string_value(json_object_get(row, "status")),
		              json_string_value(json_object_get(row, "pool")), n, NULL);
	}
	ctl_table_print(t);
	if (json_array_size(json_object_get(b, "dead")) == 0)
		return CTL_EXIT_OK;
	printf("\nrecent dead jobs:\n");
	t = ctl_table_new("JOB", "REPO", "POOL", "REASON", NULL);
	json_array_foreach(json_object_get(b, "dead"), i, row) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(row, "id")));
		ctl_table_row(t, id, json_string_value(json_object_get(row, "repo")),
		              json_string_value(json_object_get(row, "pool")),
		              json_string_value(json_object_get(row, "reason")), NULL);
	}
	ctl_table_print(t);
	return CTL_EXIT_OK;
}

static int print_job(const json_t *b)
{
	const json_t *job = json_object_get(b, "job");
	static const char *const fields[] = { "status", "pool", "repo", "attempt", "spawns", "runner", "reason" };
	printf("job %lld\n", (long long)json_integer_value(json_object_get(job, "_id")));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const json_t *v = json_object_get(job, fields[i]);
		if (json_is_string(v) && *json_string_value(v))
			printf("  %-8s %s\n", fields[i], json_string_value(v));
		else if (json_is_integer(v))
			printf("  %-8s %lld\n", fields[i], (long long)json_integer_value(v));
	}
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(job, "history"), i, h) {
		time_t at = (time_t)(json_integer_value(json_object_get(h, "at")) / 1000);
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&at));
		printf("  %s %-9s %s\n", when, json_string_value(json_object_get(h, "what")),
		       json_string_value(json_object_get(h, "why")));
	}
	json_array_foreach(json_object_get(b, "events"), i, h)
		printf("  webhook %-11s delivery %s\n", json_string_value(json_object_get(h, "action")),
		       json_string_value(json_object_get(h, "delivery")) ?: "-");
	return CTL_EXIT_OK;
}

static int print_imported(const json_t *b)
{
	printf("imported %lld, skipped %lld\n", (long long)json_integer_value(json_object_get(b, "imported")),
	       (long long)json_integer_value(json_object_get(b, "skipped")));
	return CTL_EXIT_OK;
}

/* The subcommands that take one job id: one row each. */
static const struct { const char *name, *method; } by_id[] = {
	{ "show", "reactive.job.show" }, { "retry", "reactive.job.retry" }, { "drop", "reactive.job.drop" },
};

static int usage(void)
{
	fprintf(stderr, "usage: ghr-ctl jobs [show ID | retry ID | drop ID | import-kombu DATABASE [LIMIT]]\n");
	return CTL_EXIT_USAGE;
}

static int run_jobs(const struct ctl *c, int argc, char **argv)
{
	if (argc == 1)
		return ctl_run_simple(c, "reactive.jobs", NULL, "jobs", print_summary);
	if (strcmp(argv[1], "import-kombu") == 0 && (argc == 3 || argc == 4)) {
		long long limit = argc == 4 ? atoll(argv[3]) : 0;
		return ctl_run_simple(c, "reactive.kombu.import",
		                      json_pack("{s:s, s:I}", "database", argv[2], "limit", (json_int_t)limit),
		                      "jobs import-kombu", print_imported);
	}
	for (size_t i = 0; argc == 3 && i < sizeof(by_id) / sizeof(by_id[0]); i++) {
		if (strcmp(argv[1], by_id[i].name) != 0)
			continue;
		char *end;
		long long id = strtoll(argv[2], &end, 10);
		if (*end || id <= 0) {
			fprintf(stderr, "ghr-ctl jobs %s: %s is not a job id\n", argv[1], argv[2]);
			return CTL_EXIT_USAGE;
		}
		return ctl_run_simple(c, by_id[i].method, json_pack("{s:I}", "id", (json_int_t)id), by_id[i].method,
		                      print_job);
	}
	return usage();
}

CTL_COMMAND(jobs, "jobs", "jobs [show ID | retry ID | drop ID | import-kombu DATABASE [LIMIT]]",
            "reactive jobs: counts, oldest queued, dead jobs; one job; retry, drop, kombu import", run_jobs)
