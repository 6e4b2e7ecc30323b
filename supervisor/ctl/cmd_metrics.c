/* ghr-ctl metrics: Prometheus text of ghrd and the scaler (sup.metrics merges both). */
#include <stdio.h>
#include "supervisor/ctl/ctl.h"

static int print_text(const json_t *b)
{
	fputs(json_string_value(json_object_get(b, "text")), stdout);
	return CTL_EXIT_OK;
}

static int run_metrics(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl metrics\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(c, "sup.metrics", NULL, "metrics", print_text);
}

CTL_COMMAND(metrics, "metrics", "metrics", "Prometheus text metrics of ghrd and the scaler", run_metrics)
