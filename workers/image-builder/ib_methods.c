/* image.list, image.build, image.metrics. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "workers/image-builder/ib.h"

static void h_list(struct wreq *req)
{
	struct ib *ib = ib_get(req->w);
	json_t *out = json_array();
	for (size_t i = 0; i < ib->nimages; i++)
		json_array_append_new(out, ib_image_view(&ib->images[i]));
	worker_reply_ok(req, json_pack("{so}", "images", out));
}

/* Starts (or joins) a cycle that builds whatever the decision says; with wait, the
 * reply comes when every asked-for build has ended. */
static void h_build(struct wreq *req)
{
	struct ib *ib = ib_get(req->w);
	const char *name = json_string_value(json_object_get(req->body, "name"));
	int wait = json_is_true(json_object_get(req->body, "wait"));
	if (name && !ib_image_find(ib, name)) {
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "no image named \"%s\" in image_builder.images", name);
		return;
	}
	if (ib->nimages == 0) {
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "no image is configured (image_builder.images)");
		return;
	}
	if (wait && !name && ib->nimages > 1) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "wait: name one image");
		return;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < ib->nimages; i++) {
		struct ib_image *im = &ib->images[i];
		if (name && strcmp(im->name, name) != 0)
			continue;
		int was_building = im->building;
		ib_cycle_start(im, 1);
		if (wait) {
			json_array_append_new(im->waiters, json_integer((json_int_t)(intptr_t)req));
			json_decref(out);
			return;
		}
		json_array_append_new(out, json_pack("{ss ss}", "name", im->name, "state",
		                                     was_building ? "already running" : "started"));
	}
	worker_reply_ok(req, json_pack("{so}", "builds", out));
}

static void metric_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void h_metrics(struct wreq *req)
{
	struct ib *ib = ib_get(req->w);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	metric_head(f, "ghr_image_builds_total", "counter", "Image builds that ended, by result.");
	for (size_t i = 0; i < ib->nimages; i++) {
		const struct ib_image *im = &ib->images[i];
		fprintf(f, "ghr_image_builds_total{image=\"%s\",result=\"ok\"} %lld\n", im->name, (long long)im->builds_ok);
		fprintf(f, "ghr_image_builds_total{image=\"%s\",result=\"failed\"} %lld\n", im->name,
		        (long long)im->builds_failed);
	}
	metric_head(f, "ghr_image_build_failures", "gauge", "Consecutive failed builds of an image (0 after a success).");
	for (size_t i = 0; i < ib->nimages; i++)
		fprintf(f, "ghr_image_build_failures{image=\"%s\"} %d\n", ib->images[i].name, ib->images[i].failures);
	metric_head(f, "ghr_image_build_running", "gauge", "1 while a build of the image runs.");
	for (size_t i = 0; i < ib->nimages; i++)
		fprintf(f, "ghr_image_build_running{image=\"%s\"} %d\n", ib->images[i].name, ib->images[i].building);
	metric_head(f, "ghr_image_last_success_timestamp_seconds", "gauge",
	            "When the newest usable image of the tag was made (0: none).");
	for (size_t i = 0; i < ib->nimages; i++) {
		int64_t t = ib->images[i].newest_created[0] ? iso8601_to_ms(ib->images[i].newest_created) : 0;
		fprintf(f, "ghr_image_last_success_timestamp_seconds{image=\"%s\"} %lld\n", ib->images[i].name,
		        (long long)(t > 0 ? t / 1000 : 0));
	}
	metric_head(f, "ghr_image_debris_removed_total", "counter",
	            "Builder VMs and half-made images of interrupted builds removed.");
	for (size_t i = 0; i < ib->nimages; i++)
		fprintf(f, "ghr_image_debris_removed_total{image=\"%s\"} %lld\n", ib->images[i].name,
		        (long long)ib->images[i].debris_removed);
	fclose(f);
	worker_reply_ok(req, json_pack("{ss}", "text", buf ? buf : ""));
	free(buf);
}

const struct worker_method ib_methods[] = {
	{ "image.list", h_list },
	{ "image.build", h_build },
	{ "image.metrics", h_metrics },
	{ NULL, NULL },
};
