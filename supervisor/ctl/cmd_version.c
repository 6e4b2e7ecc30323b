/* ghr-ctl version: this program's version and ghrd's. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"
#include "supervisor/sup.h"

static int run_version(const struct ctl *c, int argc, char **argv)
{
	struct ctl_reply r;
	ctl_call(c, "sup.version", NULL, &r);
	int rc = CTL_EXIT_OK;
	if (c->json && r.transport_ok && r.ok) {
		json_object_set_new(r.body, "ctl_version", json_string(GHR_VERSION));
		ctl_print_json(r.body);
	} else {
		printf("ghr-ctl %s\n", GHR_VERSION);
		if (r.transport_ok && r.ok)
			printf("ghrd %s (protocol %lld)\n",
			       json_string_value(json_object_get(r.body, "version")),
			       (long long)json_integer_value(json_object_get(r.body, "proto")));
		else
			rc = ctl_fail(&r, "version");
	}
	ctl_reply_clear(&r);
	return rc;
}

CTL_COMMAND(version, "version", "version", "ghr-ctl and ghrd versions", run_version)
