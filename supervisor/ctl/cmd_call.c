/* ghr-ctl call METHOD [JSON] [--to INSTANCE]: send any method of the catalogue (ghrd
 * still applies the access list) and print the reply body as JSON. */
#include <stdio.h>
#include <string.h>

#include "supervisor/ctl/ctl.h"

static int run_call(const struct ctl *c, int argc, char **argv)
{
	const char *method = NULL, *json = NULL, *to = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (!method)
			method = argv[i];
		else if (!json)
			json = argv[i];
		else
			method = NULL, i = argc;
	}
	if (!method) {
		fprintf(stderr, "usage: ghr-ctl call METHOD [JSON-OBJECT] [--to INSTANCE]\n");
		return CTL_EXIT_USAGE;
	}
	json_t *body = NULL;
	if (json) {
		json_error_t je;
		body = json_loads(json, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(body)) {
			fprintf(stderr, "ghr-ctl: call: the body must be a JSON object (%s)\n",
			        body ? "not an object" : je.text);
			json_decref(body);
			return CTL_EXIT_USAGE;
		}
	}
	struct ctl_reply r;
	ctl_call_to(c, to, method, body, &r);
	int rc = r.transport_ok && r.ok ? ctl_print_json(r.body) : ctl_fail(&r, method);
	ctl_reply_clear(&r);
	return rc;
}

CTL_COMMAND(call, "call", "call METHOD [JSON] [--to I]", "send any method with a JSON body, print the reply", run_call)
