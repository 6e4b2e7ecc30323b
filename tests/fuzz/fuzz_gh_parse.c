/* Fuzz every parser of GitHub replies and the Link header parser: any bytes in, an
 * answer or an error out, never a crash, and every produced object of the promised shape. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workers/github/gh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_runners(const json_t *a)
{
	size_t i;
	json_t *r;
	json_array_foreach(a, i, r)
		if (json_integer_value(json_object_get(r, "id")) <= 0 ||
		    !json_string_value(json_object_get(r, "name")) ||
		    !json_is_boolean(json_object_get(r, "busy")) ||
		    !json_is_array(json_object_get(r, "labels")))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char err[300], msg[300], next[512];
	int64_t id, exp;
	char *s = NULL;
	json_t *out = NULL;

	json_t *a = gh_parse_runners_page(body, size, err, sizeof err);
	if (a)
		check_runners(a);
	json_decref(a);
	if (gh_parse_jit(body, size, &id, &s, err, sizeof err) == 0 && (!s || !*s || id <= 0))
		abort();
	free(s);
	s = NULL;
	json_t *job = gh_parse_job(body, size, err, sizeof err);
	if (job && !json_string_value(json_object_get(job, "status")))
		abort();
	json_decref(job);
	if (gh_parse_downloads(body, size, "linux", "x64", &out, err, sizeof err) == 0 &&
	    strncmp(json_string_value(json_object_get(out, "url")), "https://", 8) != 0)
		abort();
	json_decref(out);
	gh_parse_runner_groups(body, size, "Default", &id, err, sizeof err);
	json_decref(gh_parse_rate_limit(body, size, err, sizeof err));
	if (gh_parse_install_token(body, size, &s, &exp, err, sizeof err) == 0 && (!s || exp <= 0))
		abort();
	free(s);
	gh_parse_error_message(body, size, msg, sizeof msg);
	if (!memchr(msg, 0, sizeof msg))
		abort();

	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = 0;
		if (gh_link_next(text, next, sizeof next) == 1 && !next[0])
			abort();
		struct gh_target t;
		gh_target_parse(text, &t, err, sizeof err);
		gh_repo_name_ok(text);
		gh_runner_name_ok(text);
		free(text);
	}
	return 0;
}
