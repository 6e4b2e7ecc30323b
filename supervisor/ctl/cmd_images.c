/* ghr-ctl images: each configured image, its newest build, the pools using it and the
 * last build's result. */
#include <stdio.h>
#include <string.h>
#include "common/util.h"
#include "supervisor/ctl/ctl.h"

static const char *sv(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : "-";
}

/* "3h", "2d" from an ISO 8601 time; "-" when absent. */
static const char *age(char *buf, size_t len, const char *iso)
{
	int64_t t = iso && *iso ? iso8601_to_ms(iso) : -1;
	if (t <= 0)
		return "-";
	int64_t s = (wall_ms() - t) / 1000;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	return buf;
}

static int print_images(const json_t *b)
{
	struct ctl_table *t = ctl_table_new("NAME", "TAG", "IMAGE", "RUNNER", "BASE", "AGE", "POOLS", "BUILD",
	                                    "LAST_BUILD", "WHEN", "REASON", "ERROR", NULL);
	size_t i, k;
	const json_t *im, *p;
	json_array_foreach(json_object_get(b, "images"), i, im) {
		char pools[256] = "", a1[16], a2[16], state[80];
		json_array_foreach(json_object_get(im, "pools"), k, p)
			snprintf(pools + strlen(pools), sizeof(pools) - strlen(pools), "%s%s", k ? "," : "",
			         json_string_value(p));
		const json_t *last = json_object_get(im, "last_build");
		const char *when = json_string_value(json_object_get(last, "ended_at"));
		if (!when)
			when = json_string_value(json_object_get(last, "started_at"));
		json_int_t failures = json_integer_value(json_object_get(im, "failures"));
		/* checks that could not look (a peer down) are the news: their error first */
		json_int_t checks_failed = json_integer_value(json_object_get(im, "check_failures"));
		if (json_is_true(json_object_get(im, "building")))
			snprintf(state, sizeof(state), "%s", sv(im, "step"));
		else if (failures)
			snprintf(state, sizeof(state), "%lld failed, retry at %s", (long long)failures, sv(im, "retry_at"));
		else if (checks_failed)
			snprintf(state, sizeof(state), "%lld checks failed", (long long)checks_failed);
		else
			snprintf(state, sizeof(state), "-");
		ctl_table_row(t, sv(im, "name"), sv(im, "tag"), sv(im, "image_id"), sv(im, "runner_version"),
		              sv(im, "base"), age(a1, sizeof(a1), json_string_value(json_object_get(im, "created"))),
		              *pools ? pools : "-", state, sv(last, "result"),
		              when ? age(a2, sizeof(a2), when) : "-", sv(last, "reason"),
		              checks_failed ? sv(im, "check_error") : sv(last, "error"), NULL);
	}
	ctl_table_print(t);
	return CTL_EXIT_OK;
}

static int run_images(const struct ctl *c, int argc, char **argv)
{
	struct ctl opts = *c;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			opts.json = 1;
			continue;
		}
		fprintf(stderr, "usage: ghr-ctl images [--json]\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_run_simple(&opts, "image.list", NULL, "images", print_images);
}

CTL_COMMAND(images, "images", "images [--json]",
            "images the image builder keeps: newest build, pools using it, last build", run_images)
