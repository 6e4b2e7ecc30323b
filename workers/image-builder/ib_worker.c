/* The image-builder worker: config slice -> state, the check timer, shutdown.
 *
 * Config slice (from ghrd): {"manager_id", "image_builder", "pools"}, validated by ghrd
 * with defaults filled and durations in ms.  The checks here are a second line (a slice
 * given by a test tool, a bug): a bad slice exits 78 with the key named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/evloop.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/image-builder/ib.h"

struct ib *ib_get(struct worker *w)
{
	return worker_data(w);
}

struct ib_image *ib_image_find(struct ib *ib, const char *name)
{
	for (size_t i = 0; i < ib->nimages; i++)
		if (name && strcmp(ib->images[i].name, name) == 0)
			return &ib->images[i];
	return NULL;
}

static void on_check(struct ev_loop *loop, int64_t id, void *arg)
{
	struct ib *ib = arg;
	ib->check_timer = ev_timer_add(loop, ib->check_ms, on_check, ib);
	for (size_t i = 0; i < ib->nimages; i++)
		ib_cycle_start(&ib->images[i], 0);
}

static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= IB_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int load_image(struct ib *ib, struct ib_image *im, const json_t *j, size_t idx)
{
	const char *name = jsonget_str(j, "name", NULL);
	if (!name_ok(name) || ib_image_find(ib, name)) {
		log_error("bad config", "key=image_builder.images[%zu].name msg=%s", idx,
		          log_q("must be unique, [a-z0-9-], 1-20 characters"));
		return -1;
	}
	im->ib = ib;
	snprintf(im->name, sizeof(im->name), "%s", name);
	const char *tag = jsonget_str(j, "tag", "");
	if (*tag)
		snprintf(im->tag, sizeof(im->tag), "%s", tag);
	else
		snprintf(im->tag, sizeof(im->tag), "ghr-%s", name);
	im->base_image = jsonget_str(j, "base_image", NULL);
	im->base_url = jsonget_str(j, "base_url", NULL);
	im->base_sums_url = jsonget_str(j, "base_sha256sums_url", NULL);
	if (!im->base_image == !im->base_url || !im->base_url != !im->base_sums_url) {
		log_error("bad config", "key=image_builder.images[%zu] msg=%s", idx,
		          log_q("give base_image, or base_url with base_sha256sums_url"));
		return -1;
	}
	const char *slash = im->base_url ? strrchr(im->base_url, '/') : NULL;
	if (im->base_url && (!slash || !slash[1])) {
		log_error("bad config", "key=image_builder.images[%zu].base_url msg=%s", idx, log_q("must name a file"));
		return -1;
	}
	im->arch = jsonget_str(j, "arch", "x64");
	im->flavor = jsonget_str(j, "flavor", NULL);
	im->network = jsonget_str(j, "network", NULL);
	im->packages = json_object_get(j, "packages");
	im->aproxy = json_is_true(json_object_get(j, "aproxy"));
	static const char *const required[] = { "flavor", "network" };
	const char *vals[] = { im->flavor, im->network };
	for (int k = 0; k < 2; k++)
		if (!vals[k] || !*vals[k]) {
			log_error("bad config", "key=image_builder.images[%zu].%s msg=required", idx, required[k]);
			return -1;
		}
	if (strcmp(im->arch, "x64") != 0 && strcmp(im->arch, "arm64") != 0) {
		log_error("bad config", "key=image_builder.images[%zu].arch msg=%s", idx, log_q("x64 or arm64"));
		return -1;
	}
	/* a probe render: a bad package name is a start-up error, not a failure of every build */
	struct ib_script_params sp = {
		.build_id = "00000000", .image_name = name, .runner_version = "1.0.0",
		.runner_url = "https://example.invalid/r.tar.gz",
		.runner_sha256 = "0000000000000000000000000000000000000000000000000000000000000000",
		.packages = im->packages, .aproxy = im->aproxy,
	};
	char err[256];
	char *s = ib_script_render(&sp, err, sizeof(err));
	if (!s) {
		log_error("bad config", "key=image_builder.images[%zu] msg=%s", idx, log_q(err));
		return -1;
	}
	free(s);
	im->waiters = json_array();
	return 0;
}

static int load_config(struct ib *ib, const json_t *cfg)
{
	const char *mgr = jsonget_str(cfg, "manager_id", NULL);
	if (!name_ok(mgr)) {
		log_error("bad config", "key=manager_id msg=%s", log_q("required, [a-z0-9-], 1-20 characters"));
		return -1;
	}
	snprintf(ib->manager_id, sizeof(ib->manager_id), "%s", mgr);
	const json_t *b = json_object_get(cfg, "image_builder");
	ib->interval_ms = jsonget_int(b, "interval", 6 * 3600000LL);
	ib->check_ms = jsonget_int(b, "check_interval", 3600000);
	ib->build_timeout_ms = jsonget_int(b, "build_timeout", 1800000);
	ib->poll_ms = jsonget_int(b, "poll", 10000);
	ib->retry_min_ms = jsonget_int(b, "retry_min", 300000);
	ib->retry_max_ms = jsonget_int(b, "retry_max", 6 * 3600000LL);
	ib->keep = (int)jsonget_int(b, "keep", 5);
	if (ib->interval_ms < 1 || ib->check_ms < 1 || ib->build_timeout_ms < 1 || ib->poll_ms < 1
	    || ib->retry_min_ms < 1 || ib->retry_max_ms < ib->retry_min_ms || ib->keep < 1) {
		log_error("bad config", "key=image_builder msg=%s",
		          log_q("durations and keep must be positive, retry_max >= retry_min"));
		return -1;
	}
	ib->pools = json_object_get(cfg, "pools");
	const json_t *images = json_object_get(b, "images");
	size_t n = json_array_size(images);
	ib->images = calloc(n ? n : 1, sizeof(*ib->images));
	if (!ib->images)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (load_image(ib, &ib->images[ib->nimages], json_array_get(images, i), i) != 0)
			return -1;
		ib->nimages++;
	}
	return 0;
}

static int ib_init(struct worker *w, const json_t *config, const json_t *secret)
{
	struct ib *ib = calloc(1, sizeof(*ib));
	if (!ib)
		return -1;
	ib->w = w;
	worker_set_data(w, ib);
	if (load_config(ib, config) != 0)
		return -1;
	log_info("image builder starting", "manager_id=%s images=%zu interval_ms=%lld check_ms=%lld",
	         ib->manager_id, ib->nimages, (long long)ib->interval_ms, (long long)ib->check_ms);
	worker_set_ready(w);
	/* Crash-only: the first check looks at the cloud, removes what an interrupted build
	 * left, and builds when no usable image exists. */
	if (ib->nimages)
		ib->check_timer = ev_timer_add(worker_loop(w), 0, on_check, ib);
	return 0;
}

static void ib_shutdown(struct worker *w)
{
	struct ib *ib = ib_get(w);
	if (!ib)
		return;
	ib->stopping = 1;
	if (ib->check_timer)
		ev_timer_del(worker_loop(w), ib->check_timer);
	ib->check_timer = 0;
	for (size_t i = 0; i < ib->nimages; i++) {
		struct ib_image *im = &ib->images[i];
		if (im->poll_timer)
			ev_timer_del(worker_loop(w), im->poll_timer);
		if (im->retry_timer)
			ev_timer_del(worker_loop(w), im->retry_timer);
		im->poll_timer = im->retry_timer = 0;
		ib_waiters_answer(im, PROTO_E_SHUTTING_DOWN, "the image builder is stopping; the build "
		                  "is cleaned up and redone after the restart");
	}
}

const struct worker_def ib_worker_def = {
	.name = "image-builder",
	.methods = ib_methods,
	.init = ib_init,
	.shutdown = ib_shutdown,
	.on_event = NULL,
};
