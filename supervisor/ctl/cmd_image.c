/* ghr-ctl image build [NAME] [--wait]: build an image now (or every image). */
#include <stdio.h>
#include <string.h>
#include "supervisor/ctl/ctl.h"

#define IMAGE_WAIT_TIMEOUT_MS 3600000   /* a build takes minutes; build_timeout caps its VM */

static int print_started(const json_t *b)
{
	size_t i;
	const json_t *x;
	json_array_foreach(json_object_get(b, "builds"), i, x)
		printf("%s: %s\n", json_string_value(json_object_get(x, "name")),
		       json_string_value(json_object_get(x, "state")));
	return CTL_EXIT_OK;
}

/* The row of the image once its build ended: ok, or what failed. */
static int print_ended(const json_t *b)
{
	const json_t *im = json_array_get(json_object_get(b, "builds"), 0);
	const json_t *last = json_object_get(im, "last_build");
	const char *res = json_string_value(json_object_get(last, "result"));
	if (res && strcmp(res, "ok") == 0) {
		printf("%s: built %s (runner %s, tag %s)\n", json_string_value(json_object_get(im, "name")),
		       json_string_value(json_object_get(last, "image_id")),
		       json_string_value(json_object_get(im, "runner_version")),
		       json_string_value(json_object_get(im, "tag")));
		return CTL_EXIT_OK;
	}
	fprintf(stderr, "ghr-ctl: %s: build failed: %s\n", json_string_value(json_object_get(im, "name")),
	        json_string_value(json_object_get(last, "error")));
	return CTL_EXIT_FAILED;
}

static int print_ended_json(const json_t *b)
{
	ctl_print_json(b);
	const json_t *last = json_object_get(json_array_get(json_object_get(b, "builds"), 0), "last_build");
	const char *res = json_string_value(json_object_get(last, "result"));
	return res && strcmp(res, "ok") == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

static int run_image(const struct ctl *c, int argc, char **argv)
{
	struct ctl opts = *c;
	const char *name = NULL;
	int wait = 0, bad = argc < 2 || strcmp(argv[1], "build") != 0;
	for (int i = 2; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--wait") == 0)
			wait = 1;
		else if (strcmp(argv[i], "--json") == 0)
			opts.json = 1;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			bad = 1;
	}
	if (bad) {
		fprintf(stderr, "usage: ghr-ctl image build [NAME] [--wait] [--json]\n");
		return CTL_EXIT_USAGE;
	}
	json_t *body = json_object();
	if (name)
		json_object_set_new(body, "name", json_string(name));
	if (!wait)
		return ctl_run_simple(&opts, "image.build", body, "image build", print_started);
	json_object_set_new(body, "wait", json_true());
	if (opts.timeout_ms < IMAGE_WAIT_TIMEOUT_MS)
		opts.timeout_ms = IMAGE_WAIT_TIMEOUT_MS;
	int json = opts.json;
	opts.json = 0;      /* the exit status follows the build's result either way */
	return ctl_run_simple(&opts, "image.build", body, "image build", json ? print_ended_json : print_ended);
}

CTL_COMMAND(image, "image", "image build [NAME] [--wait] [--json]",
            "build an image now; --wait: until the build ends (exit 1 if it failed)", run_image)
