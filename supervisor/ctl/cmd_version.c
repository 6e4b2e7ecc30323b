/* ghr-ctl version: this program's version and ghrd's. */
#include <stdio.h>

#include "supervisor/ctl/ctl.h"
#include "supervisor/sup.h"

/* ghr-ctl's own version always; ghrd's when it answers.  ghrd being down is not a
 * failure here: the question was which versions are installed. */
static int run_version(const struct ctl *c, int argc, char **argv)
{
	struct ctl_reply r;
	ctl_call(c, "sup.version", NULL, &r);
	int rc = CTL_EXIT_OK;
	int up = r.transport_ok && r.ok;
	if (c->json) {
		json_t *out = up ? json_incref(r.body) : json_object();
		json_object_set_new(out, "ctl_version", json_string(GHR_VERSION));
		if (!up)
			json_object_set_new(out, "ghrd", json_string(r.transport_ok ? r.message : "unreachable"));
		ctl_print_json(out);
		json_decref(out);
	} else {
		printf("ghr-ctl %s\n", GHR_VERSION);
		if (up)
			printf("ghrd %s (protocol %lld)\n",
			       json_string_value(json_object_get(r.body, "version")),
			       (long long)json_integer_value(json_object_get(r.body, "proto")));
		else if (r.transport_ok)
			rc = ctl_fail(&r, "version");
		else
			printf("ghrd: not reachable at %s\n", c->socket);
	}
	ctl_reply_clear(&r);
	return rc;
}

CTL_COMMAND(version, "version", "version", "ghr-ctl and ghrd versions", run_version)
