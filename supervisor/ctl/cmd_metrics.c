/* ghr-ctl metrics: Prometheus text of ghrd and the scaler (sup.metrics merges both). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/ctl/ctl.h"

/* ghrd merges the scaler's part into sup.metrics; when it did not (the scaler is not
 * running, or an older ghrd), it is asked here, so the output is complete either way. */
#define SCALER_FAMILY "ghr_reconciles_total"


static int run_metrics(const struct ctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: ghr-ctl metrics\n");
		return CTL_EXIT_USAGE;
	}
	struct ctl_reply r;
	ctl_call(c, "sup.metrics", NULL, &r);
	if (!r.transport_ok || !r.ok) {
		int rc = ctl_fail(&r, "metrics");
		ctl_reply_clear(&r);
		return rc;
	}
	const char *text = json_string_value(json_object_get(r.body, "text"));
	json_t *out = json_pack("{s:s}", "text", text ? text : "");
	if (!text || !strstr(text, SCALER_FAMILY)) {
		struct ctl_reply s;
		ctl_call(c, "scaler.metrics", NULL, &s);
		const char *more = s.ok ? json_string_value(json_object_get(s.body, "text")) : NULL;
		if (more) {
			size_t n = strlen(text ? text : "") + strlen(more) + 1;
			char *all = malloc(n);
			if (all) {
				snprintf(all, n, "%s%s", text ? text : "", more);
				json_object_set_new(out, "text", json_string(all));
				free(all);
			}
		}
		ctl_reply_clear(&s);
	}
	ctl_reply_clear(&r);
	int rc = c->json ? ctl_print_json(out) : (fputs(json_string_value(json_object_get(out, "text")), stdout), CTL_EXIT_OK);
	json_decref(out);
	return rc;
}

CTL_COMMAND(metrics, "metrics", "metrics", "Prometheus text metrics of ghrd and the scaler", run_metrics)
