/* One image's cycle (see ib.h): every step is one bus call whose callback starts the
 * next, so at most one thing happens per image at a time, and one build per name:
 *
 *   check   LIST_VMS -> DELETE_VMS (builder VMs left by an interrupted build)
 *           -> LIST_PARTIAL -> DELETE_PARTIAL (untagged or broken images of ours)
 *           -> LIST_TAGGED (the newest image) -> DOWNLOADS (the newest runner) -> decide
 *   build   CREATE -> WAIT_VM (SHUTOFF, build_timeout) -> BASE_INFO -> CONSOLE (the
 *           result line) -> SNAPSHOT -> WAIT_IMAGE (active) -> TAG -> DELETE_VM
 *           -> PRUNE_SERVERS (images in use) -> PRUNE_IMAGES -> PRUNE_DELETE -> event
 *   failure FAIL_DELETE_VM -> FAIL_DELETE_IMAGE -> backoff
 *
 * What a crash interrupts is found again by the next check: a builder VM by its name and
 * metadata, a half-made image by its name, its properties and the missing tag. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/evloop.h"
#include "common/jsonget.h"
#include "common/log.h"
#include "common/shtpl.h"
#include "common/util.h"
#include "workers/image-builder/ib.h"

#define IB_CONSOLE_LINES 400

static const char *const step_names[IB_STEP_COUNT] = {
	[IB_IDLE] = "idle", [IB_LIST_VMS] = "checking", [IB_DELETE_VMS] = "removing debris",
	[IB_LIST_PARTIAL] = "checking", [IB_DELETE_PARTIAL] = "removing debris",
	[IB_LIST_TAGGED] = "checking", [IB_DOWNLOADS] = "checking", [IB_BASE_SUMS] = "checking base image", [IB_BASE_LIST] = "checking base image",
	[IB_BASE_IMPORT] = "uploading base image", [IB_BASE_PRUNE] = "pruning base images",
	[IB_CREATE] = "creating builder",
	[IB_WAIT_VM] = "builder running", [IB_BASE_INFO] = "reading result", [IB_CONSOLE] = "reading result",
	[IB_SNAPSHOT] = "snapshotting", [IB_WAIT_IMAGE] = "snapshotting", [IB_TAG] = "tagging",
	[IB_DELETE_VM] = "removing builder", [IB_PRUNE_SERVERS] = "pruning", [IB_PRUNE_IMAGES] = "pruning",
	[IB_PRUNE_DELETE] = "pruning", [IB_FAIL_DELETE_VM] = "cleaning up", [IB_FAIL_DELETE_IMAGE] = "cleaning up",
};

const char *ib_step_name(enum ib_step s)
{
	return (unsigned)s < IB_STEP_COUNT && step_names[s] ? step_names[s] : "?";
}

static void list_partial(struct ib_image *im);
static struct ib_image *next_step(void *arg, const struct wcall_result *res, const char *what);
static void retry_in(struct ib_image *im, int64_t delay_ms);
static void list_tagged(struct ib_image *im);
static void fail_cleanup(struct ib_image *im);
static void prune_servers(struct ib_image *im);

static int gone(struct ib_image *im)
{
	return im->ib->stopping;
}

static void call(struct ib_image *im, enum ib_step step, const char *method, json_t *body, worker_call_cb cb)
{
	im->step = step;
	if (worker_call(im->ib->w, method, body, IB_CALL_MS, cb, im) != 0)
		log_error("image builder cannot call", "method=%s", method);   /* not in the catalogue: a bug */
}

static const char *prop(const json_t *o, const char *key)
{
	return jsonget_str(json_object_get(o, "properties"), key, "");
}

static const char *sval(const json_t *o, const char *key)
{
	return jsonget_str(o, key, "");
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* ---- the end of a cycle ------------------------------------------------------------ */

void ib_waiters_answer(struct ib_image *im, enum proto_error code, const char *message)
{
	size_t i;
	json_t *v;
	json_array_foreach(im->waiters, i, v) {
		struct wreq *req = (struct wreq *)(intptr_t)json_integer_value(v);
		if (code == PROTO_OK)
			worker_reply_ok(req, json_pack("{s:[o]}", "builds", ib_image_view(im)));
		else
			worker_reply_err(req, code, 0, "%s", message);
	}
	json_array_clear(im->waiters);
}

static void idle(struct ib_image *im)
{
	im->step = IB_IDLE;
	im->building = 0;
	im->forced = 0;
	ib_waiters_answer(im, PROTO_OK, NULL);
}

static void __attribute__((format(printf, 2, 3))) fail(struct ib_image *im, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(im->error, sizeof(im->error), fmt, ap);
	va_end(ap);
	if (gone(im))
		return;
	if (!im->building && !im->forced) {
		/* a check that could not look (the cloud or GitHub down, a worker restarting):
		 * nothing was built, nothing is lost; look again with backoff, well before the
		 * next check_interval */
		int64_t cap = im->ib->retry_max_ms < im->ib->check_ms ? im->ib->retry_max_ms : im->ib->check_ms;
		int64_t delay = ib_retry_delay(++im->check_failures, im->ib->poll_ms < cap ? im->ib->poll_ms : cap, cap);
		copy(im->check_error, sizeof(im->check_error), im->error);
		log_warn("image check failed", "image=%s msg=%s retry_in_ms=%lld", im->name, log_q(im->error),
		         (long long)delay);
		retry_in(im, delay);
		idle(im);
		return;
	}
	if (!im->building) {
		im->building = 1;
		copy(im->last_reason, sizeof(im->last_reason), "requested");
		im->last_start_ms = wall_ms();
		im->build_id[0] = 0;
	}
	log_error("image build failed", "image=%s build=%s msg=%s", im->name, im->build_id, log_q(im->error));
	fail_cleanup(im);
}

static void on_retry(struct ev_loop *loop, int64_t id, void *arg)
{
	struct ib_image *im = arg;
	im->retry_timer = 0;
	im->retry_at_ms = 0;        /* due now, whatever the wall clock says */
	ib_cycle_start(im, 0);
}

static void retry_in(struct ib_image *im, int64_t delay_ms)
{
	if (im->retry_timer)
		ev_timer_del(worker_loop(im->ib->w), im->retry_timer);
	im->retry_timer = ev_timer_add(worker_loop(im->ib->w), delay_ms, on_retry, im);
}

static void failed(struct ib_image *im)
{
	im->failures++;
	im->builds_failed++;
	im->last_end_ms = wall_ms();
	im->retry_at_ms = im->last_end_ms + ib_retry_delay(im->failures, im->ib->retry_min_ms, im->ib->retry_max_ms);
	copy(im->last_result, sizeof(im->last_result), "failed");
	copy(im->last_error, sizeof(im->last_error), im->error);
	copy(im->last_build_id, sizeof(im->last_build_id), im->build_id);
	im->last_image_id[0] = 0;
	log_info("image build retried later", "image=%s failures=%d retry_in_ms=%lld", im->name, im->failures,
	         (long long)(im->retry_at_ms - im->last_end_ms));
	retry_in(im, im->retry_at_ms - im->last_end_ms);   /* need not wait for the next check */
	idle(im);
}

static void on_fail_image_deleted(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok)
		log_warn("image of a failed build not deleted; the next check removes it", "image=%s id=%s msg=%s",
		         im->name, im->image_id, log_q(res->message));
	failed(im);
}

static void fail_delete_image(struct ib_image *im)
{
	if (!im->image_id[0]) {
		failed(im);
		return;
	}
	call(im, IB_FAIL_DELETE_IMAGE, "os.image.delete", json_pack("{ss}", "id", im->image_id), on_fail_image_deleted);
}

static void on_fail_vm_deleted(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok)
		log_warn("builder VM of a failed build not deleted; the next check removes it", "image=%s vm=%s msg=%s",
		         im->name, im->vm_name, log_q(res->message));
	fail_delete_image(im);
}

static void fail_cleanup(struct ib_image *im)
{
	if (im->poll_timer)
		ev_timer_del(worker_loop(im->ib->w), im->poll_timer);
	im->poll_timer = 0;
	if (!im->vm_id[0]) {
		fail_delete_image(im);
		return;
	}
	call(im, IB_FAIL_DELETE_VM, "os.server.delete", json_pack("{ss}", "id", im->vm_id), on_fail_vm_deleted);
}

/* The image of a call's callback when its cycle goes on: NULL when the worker is
 * stopping, or (what given) after failing the build because the call failed. */
static struct ib_image *next_step(void *arg, const struct wcall_result *res, const char *what)
{
	struct ib_image *im = arg;
	if (gone(im))
		return NULL;
	if (what && !res->ok) {
		fail(im, "%s: %s", what, res->message);
		return NULL;
	}
	return im;
}

/* ---- check: debris --------------------------------------------------------------------- */

/* One delete of debris (or the hold of the step that sent them) is done. */
static void debris_done(struct ib_image *im)
{
	if (--im->pending > 0)
		return;
	if (im->step == IB_DELETE_VMS)
		list_partial(im);
	else
		list_tagged(im);
}

static void on_debris_deleted(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (res->ok)
		im->debris_removed++;
	else
		log_warn("debris not deleted; retried at the next check", "image=%s msg=%s", im->name, log_q(res->message));
	debris_done(im);
}

static void on_vms(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "listing builder VMs");
	if (!im)
		return;
	im->step = IB_DELETE_VMS;
	im->pending = 1;                   /* held until every delete is sent */
	size_t i;
	const json_t *s;
	json_array_foreach(json_object_get(res->body, "servers"), i, s) {
		const json_t *md = json_object_get(s, "metadata");
		if (strcmp(sval(md, "ghr-builder"), im->name) != 0 || strcmp(sval(md, "ghr-manager"), im->ib->manager_id) != 0)
			continue;
		log_warn("removing the builder VM of an interrupted build", "image=%s vm=%s id=%s", im->name,
		         sval(s, "name"), sval(s, "id"));
		im->pending++;
		if (worker_call(w, "os.server.delete", json_pack("{ss}", "id", sval(s, "id")), IB_CALL_MS,
		                on_debris_deleted, im) != 0)
			im->pending--;
	}
	debris_done(im);                   /* the hold */
}

static void list_vms(struct ib_image *im)
{
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "%s-builder-%s-", im->ib->manager_id, im->name);
	call(im, IB_LIST_VMS, "os.servers.list", json_pack("{ss}", "prefix", prefix), on_vms);
}

static void on_partial(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "listing images");
	if (!im)
		return;
	im->step = IB_DELETE_PARTIAL;
	im->pending = 1;
	size_t i, k;
	const json_t *img, *t;
	json_array_foreach(json_object_get(res->body, "images"), i, img) {
		if (strcmp(prop(img, "ghr-manager"), im->ib->manager_id) != 0 || strcmp(prop(img, "ghr-image"), im->name) != 0)
			continue;
		int tagged = 0;
		json_array_foreach(json_object_get(img, "tags"), k, t)
			tagged |= strcmp(json_string_value(t) ? json_string_value(t) : "", im->tag) == 0;
		const char *st = sval(img, "status");
		int broken = strcmp(st, "killed") == 0 || strcmp(st, "deactivated") == 0;
		if (tagged && !broken)
			continue;
		log_warn("removing a half-made image of an interrupted build", "image=%s id=%s status=%s", im->name,
		         sval(img, "id"), st);
		im->pending++;
		if (worker_call(w, "os.image.delete", json_pack("{ss}", "id", sval(img, "id")), IB_CALL_MS,
		                on_debris_deleted, im) != 0)
			im->pending--;
	}
	debris_done(im);
}

static void list_partial(struct ib_image *im)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-%s", im->ib->manager_id, im->name);
	call(im, IB_LIST_PARTIAL, "os.images.list", json_pack("{ss}", "name", name), on_partial);
}

/* ---- check: the newest image, the newest runner, the decision ----------------------------- */

static void start_build(struct ib_image *im);

static void decide(struct ib_image *im)
{
	char buf[96];
	im->check_failures = 0;
	im->check_error[0] = 0;
	int64_t created = im->newest_created[0] ? iso8601_to_ms(im->newest_created) : -1;
	int64_t age = created > 0 ? wall_ms() - created : INT64_MAX;
	const char *reason = ib_build_reason(im->forced, im->newest_id[0] != 0, age, im->ib->interval_ms,
	                                     im->newest_version, im->version, buf, sizeof(buf));
	if (!reason) {
		idle(im);
		return;
	}
	if (!im->forced && im->failures && wall_ms() < im->retry_at_ms) {
		log_debug("image build waits for its retry time", "image=%s reason=%s retry_in_ms=%lld", im->name,
		          log_q(reason), (long long)(im->retry_at_ms - wall_ms()));
		idle(im);
		return;
	}
	copy(im->reason, sizeof(im->reason), reason);
	start_build(im);
}

static void on_downloads(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok) {
		char buf[96];
		/* A build is due: GitHub's failure must show as a failed build.  Not so when the
		 * github worker is not ready (ghrd starting, the worker restarting): nothing was
		 * asked, so look again soon rather than wait out retry_min. */
		if (!wcall_not_sent(res) &&
		    ib_build_reason(im->forced, im->newest_id[0] != 0, 0, 1, "", "", buf, sizeof(buf)))
			im->forced = 1;
		fail(im, "asking GitHub for the newest runner: %s", res->message);
		return;
	}
	copy(im->version, sizeof(im->version), sval(res->body, "version"));
	copy(im->url, sizeof(im->url), sval(res->body, "url"));
	copy(im->sha256, sizeof(im->sha256), sval(res->body, "sha256"));
	decide(im);
}

static void on_tagged(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok) {
		fail(im, "listing images tagged %s: %s", im->tag, res->message);
		return;
	}
	im->newest_id[0] = im->newest_version[0] = im->newest_created[0] = 0;
	im->nimages = 0;
	size_t i;
	const json_t *img;
	json_array_foreach(json_object_get(res->body, "images"), i, img) {
		if (strcmp(sval(img, "status"), "active") != 0)
			continue;
		im->nimages++;
		const char *created = sval(img, "created");
		if (im->newest_id[0] && strcmp(created, im->newest_created) <= 0)
			continue;
		copy(im->newest_id, sizeof(im->newest_id), sval(img, "id"));
		copy(im->newest_created, sizeof(im->newest_created), created);
		copy(im->newest_version, sizeof(im->newest_version), prop(img, "ghr-runner-version"));
	}
	call(im, IB_DOWNLOADS, "github.runner.downloads", json_pack("{ss ss}", "os", "linux", "arch", im->arch),
	     on_downloads);
}

static void list_tagged(struct ib_image *im)
{
	call(im, IB_LIST_TAGGED, "os.images.list", json_pack("{ss}", "tag", im->tag), on_tagged);
}

int ib_cycle_start(struct ib_image *im, int forced)
{
	if (gone(im))
		return 0;
	if (im->step != IB_IDLE) {
		if (forced && !im->building)
			im->forced = 1;
		return 0;
	}
	im->forced = forced;
	im->building = 0;
	im->error[0] = im->vm_id[0] = im->image_id[0] = im->base_id[0] = im->base_checksum[0] = 0;
	im->version[0] = im->url[0] = im->sha256[0] = 0;
	list_vms(im);
	return 1;
}

/* ---- build ------------------------------------------------------------------------------- */

static void poll_later(struct ib_image *im, ev_timer_cb cb)
{
	im->poll_timer = ev_timer_add(worker_loop(im->ib->w), im->ib->poll_ms, cb, im);
}

static void succeeded(struct ib_image *im)
{
	im->failures = 0;
	im->retry_at_ms = 0;
	im->builds_ok++;
	im->last_end_ms = wall_ms();
	copy(im->last_result, sizeof(im->last_result), "ok");
	im->last_error[0] = 0;
	copy(im->last_build_id, sizeof(im->last_build_id), im->build_id);
	copy(im->last_image_id, sizeof(im->last_image_id), im->image_id);
	copy(im->newest_id, sizeof(im->newest_id), im->image_id);
	copy(im->newest_version, sizeof(im->newest_version), im->version);
	char now[32];
	ms_to_iso8601(im->last_end_ms, now);
	copy(im->newest_created, sizeof(im->newest_created), now);
	log_info("image built", "image=%s build=%s id=%s tag=%s runner=%s seconds=%lld", im->name, im->build_id,
	         im->image_id, im->tag, im->version, (long long)((im->last_end_ms - im->last_start_ms) / 1000));
	/* the scaler boots new runners from it; running ones are left alone */
	worker_emit(im->ib->w, "image.built", json_pack("{ss ss ss ss}", "name", im->name, "tag", im->tag,
	                                                "image_id", im->image_id, "runner_version", im->version));
	idle(im);
}

static void on_pruned(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok)
		log_warn("old image not deleted; retried after the next build", "image=%s msg=%s", im->name,
		         log_q(res->message));
	if (--im->pending == 0)
		succeeded(im);
}

static void on_prune_images(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = arg;
	json_t *in_use = im->prune_in_use;
	im->prune_in_use = NULL;
	if (gone(im)) {
		json_decref(in_use);
		return;
	}
	if (!res->ok) {
		log_warn("images not pruned", "image=%s msg=%s", im->name, log_q(res->message));
		json_decref(in_use);
		succeeded(im);
		return;
	}
	json_t *doomed = ib_prune_select(json_object_get(res->body, "images"), im->ib->manager_id, im->ib->keep, in_use);
	json_decref(in_use);
	im->step = IB_PRUNE_DELETE;
	im->pending = 1;
	size_t i;
	const json_t *id;
	json_array_foreach(doomed, i, id) {
		log_info("pruning an old image", "image=%s id=%s keep=%d", im->name, json_string_value(id), im->ib->keep);
		im->pending++;
		if (worker_call(w, "os.image.delete", json_pack("{sO}", "id", id), IB_CALL_MS, on_pruned, im) != 0)
			im->pending--;
	}
	json_decref(doomed);
	struct wcall_result done = { .ok = 1 };
	on_pruned(w, &done, im);
}

/* Images in use: what every live VM of this manager booted from, and the images pools
 * name outright (a pool with tag:TAG uses the newest, which pruning always keeps). */
static void on_prune_servers(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok) {
		log_warn("images not pruned: the VMs using them are unknown", "image=%s msg=%s", im->name,
		         log_q(res->message));
		succeeded(im);
		return;
	}
	json_t *in_use = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(res->body, "servers"), i, v)
		if (*sval(v, "image_id"))
			json_array_append_new(in_use, json_string(sval(v, "image_id")));
	json_array_foreach(im->ib->pools, i, v)
		if (strncmp(sval(v, "image"), "tag:", 4) != 0)
			json_array_append_new(in_use, json_string(sval(v, "image")));
	im->prune_in_use = in_use;
	call(im, IB_PRUNE_IMAGES, "os.images.list", json_pack("{ss}", "tag", im->tag), on_prune_images);
}

static void prune_servers(struct ib_image *im)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s-", im->ib->manager_id);
	call(im, IB_PRUNE_SERVERS, "os.servers.list", json_pack("{ss}", "prefix", prefix), on_prune_servers);
}

static void on_vm_deleted(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok)
		log_warn("builder VM not deleted; the next check removes it", "image=%s vm=%s msg=%s", im->name,
		         im->vm_name, log_q(res->message));
	im->vm_id[0] = 0;
	prune_servers(im);
}

static void on_tag(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok) {
		fail(im, "tagging image %s: %s", im->image_id, res->message);
		return;
	}
	call(im, IB_DELETE_VM, "os.server.delete", json_pack("{ss}", "id", im->vm_id), on_vm_deleted);
}

static void poll_image(struct ev_loop *loop, int64_t id, void *arg);

static void on_image(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	const json_t *img = json_object_get(res->body, "image");
	const char *st = res->ok ? sval(img, "status") : "";
	if (!res->ok && res->error == PROTO_E_NOT_FOUND) {
		im->image_id[0] = 0;
		fail(im, "the snapshot vanished before it became active");
	} else if (strcmp(st, "active") == 0) {
		call(im, IB_TAG, "os.image.tag", json_pack("{ss ss}", "id", im->image_id, "tag", im->tag), on_tag);
	} else if (strcmp(st, "killed") == 0 || strcmp(st, "deleted") == 0 || strcmp(st, "deactivated") == 0) {
		fail(im, "the snapshot ended %s", st);
	} else if (wall_ms() > im->deadline_ms) {
		fail(im, "the snapshot was not active within build_timeout (status %s)", *st ? st : "unknown");
	} else {
		poll_later(im, poll_image);
	}
}

static void poll_image(struct ev_loop *loop, int64_t id, void *arg)
{
	struct ib_image *im = arg;
	im->poll_timer = 0;
	call(im, IB_WAIT_IMAGE, "os.image.get", json_pack("{ss}", "id", im->image_id), on_image);
}

static void on_snapshot(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "snapshotting the builder VM");
	if (!im)
		return;
	copy(im->image_id, sizeof(im->image_id), sval(res->body, "image_id"));
	im->deadline_ms = wall_ms() + im->ib->build_timeout_ms;
	im->step = IB_WAIT_IMAGE;
	poll_later(im, poll_image);
}

static void on_console(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "reading the builder VM's console log");
	if (!im)
		return;
	const char *out = sval(res->body, "output");
	char detail[200];
	switch (ib_console_result(out, strlen(out), im->build_id, detail, sizeof(detail))) {
	case IB_CONSOLE_OK:
		break;
	case IB_CONSOLE_FAILED:
		fail(im, "the builder script failed: %s", detail);
		return;
	default:
		fail(im, "the builder VM powered off without a result line of build %s in its console log", im->build_id);
		return;
	}
	char built[32], name[128];
	ms_to_iso8601(wall_ms(), built);
	snprintf(name, sizeof(name), "%s-%s", im->ib->manager_id, im->name);
	json_t *props = json_pack("{ss ss ss ss ss ss ss ss}", "ghr-manager", im->ib->manager_id, "ghr-image", im->name,
	                          "ghr-build", im->build_id, "ghr-runner-version", im->version,
	                          "ghr-base-image", im->base_id, "ghr-base-checksum", im->base_checksum,
	                          "ghr-built-at", built, "ghr-builder-vm", im->vm_name);
	call(im, IB_SNAPSHOT, "os.server.snapshot", json_pack("{ss ss so}", "id", im->vm_id, "image_name", name,
	                                                      "properties", props), on_snapshot);
}

static void read_console(struct ib_image *im)
{
	call(im, IB_CONSOLE, "os.server.console", json_pack("{ss sI}", "id", im->vm_id, "length",
	                                                    (json_int_t)IB_CONSOLE_LINES), on_console);
}

static void on_base(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (res->ok)
		copy(im->base_checksum, sizeof(im->base_checksum), sval(json_object_get(res->body, "image"), "checksum"));
	else
		log_warn("base image checksum unknown", "image=%s base=%s msg=%s", im->name, im->base_id, log_q(res->message));
	read_console(im);
}

static void poll_vm(struct ev_loop *loop, int64_t id, void *arg);

static void on_vm(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	const json_t *s = json_object_get(res->body, "server");
	const char *st = res->ok ? sval(s, "status") : "";
	if (!res->ok && res->error == PROTO_E_NOT_FOUND) {
		im->vm_id[0] = 0;
		fail(im, "the builder VM vanished");
	} else if (strcmp(st, "SHUTOFF") == 0) {
		copy(im->base_id, sizeof(im->base_id), sval(s, "image_id"));
		if (im->base_id[0] && !im->base_url)        /* a base_url image has its SHA256SUMS checksum */
			call(im, IB_BASE_INFO, "os.image.get", json_pack("{ss}", "id", im->base_id), on_base);
		else
			read_console(im);
	} else if (strcmp(st, "ERROR") == 0) {
		fail(im, "the builder VM went ERROR: %s", sval(json_object_get(s, "fault"), "message"));
	} else if (wall_ms() > im->deadline_ms) {
		fail(im, "the builder VM did not power off within build_timeout (%lld s; status %s)",
		     (long long)(im->ib->build_timeout_ms / 1000), *st ? st : "unknown");
	} else {
		if (!res->ok)
			log_warn("builder VM status unknown; asking again", "image=%s msg=%s", im->name, log_q(res->message));
		poll_later(im, poll_vm);
	}
}

static void poll_vm(struct ev_loop *loop, int64_t id, void *arg)
{
	struct ib_image *im = arg;
	im->poll_timer = 0;
	call(im, IB_WAIT_VM, "os.server.get", json_pack("{ss}", "id", im->vm_id), on_vm);
}

static void on_created(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "creating the builder VM");
	if (!im)
		return;
	copy(im->vm_id, sizeof(im->vm_id), sval(res->body, "id"));
	im->deadline_ms = wall_ms() + im->ib->build_timeout_ms;
	log_info("builder VM created", "image=%s build=%s vm=%s id=%s", im->name, im->build_id, im->vm_name, im->vm_id);
	im->step = IB_WAIT_VM;
	poll_later(im, poll_vm);
}

/* ---- base_url: the base image, uploaded again only when its checksum changes ------------- */

static void create_vm(struct ib_image *im, const char *base);

static void on_base_pruned(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, NULL);
	if (!im)
		return;
	if (!res->ok)
		log_warn("old base image not deleted; retried at the next build", "image=%s msg=%s", im->name,
		         log_q(res->message));
	if (--im->pending == 0)
		create_vm(im, im->base_id);
}

/* The base is settled (im->base_id): delete the older uploads, then boot the builder. */
static void base_prune(struct ib_image *im)
{
	im->step = IB_BASE_PRUNE;
	im->pending = 1;
	size_t i;
	const json_t *id;
	json_array_foreach(im->base_stale, i, id) {
		if (strcmp(json_string_value(id), im->base_id) == 0)
			continue;
		log_info("deleting an older base image", "image=%s id=%s", im->name, json_string_value(id));
		im->pending++;
		if (worker_call(im->ib->w, "os.image.delete", json_pack("{sO}", "id", id), IB_CALL_MS, on_base_pruned, im) != 0)
			im->pending--;
	}
	json_decref(im->base_stale);
	im->base_stale = NULL;
	struct wcall_result done = { .ok = 1 };
	on_base_pruned(im->ib->w, &done, im);
}

static void on_base_imported(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "uploading the base image");
	if (!im)
		return;
	copy(im->base_id, sizeof(im->base_id), sval(res->body, "image_id"));
	base_prune(im);
}

static void on_base_list(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "listing base images");
	if (!im)
		return;
	json_decref(im->base_stale);
	im->base_stale = json_array();
	im->base_id[0] = 0;
	size_t i;
	const json_t *img;
	json_array_foreach(json_object_get(res->body, "images"), i, img) {
		if (strcmp(prop(img, "ghr-manager"), im->ib->manager_id) != 0)
			continue;
		if (!im->base_id[0] && strcmp(sval(img, "status"), "active") == 0
		    && strcmp(prop(img, "ghr-base-sha256"), im->base_sha256) == 0)
			copy(im->base_id, sizeof(im->base_id), sval(img, "id"));
		else
			json_array_append_new(im->base_stale, json_string(sval(img, "id")));
	}
	snprintf(im->base_checksum, sizeof(im->base_checksum), "sha256:%s", im->base_sha256);
	if (im->base_id[0]) {
		base_prune(im);
		return;
	}
	char name[128];
	snprintf(name, sizeof(name), "%s-base-%s", im->ib->manager_id, im->name);
	log_info("uploading a new base image", "image=%s url=%s sha256=%s", im->name, log_q(im->base_url), im->base_sha256);
	json_t *props = json_pack("{ss ss ss ss}", "ghr-manager", im->ib->manager_id, "ghr-base-of", im->name,
	                          "ghr-base-sha256", im->base_sha256, "ghr-base-url", im->base_url);
	im->step = IB_BASE_IMPORT;
	/* a download and an upload of hundreds of MB: as long as a build may take */
	if (worker_call(w, "os.image.import", json_pack("{ss ss ss so}", "name", name, "url", im->base_url,
	                                                "sha256", im->base_sha256, "properties", props),
	                im->ib->build_timeout_ms, on_base_imported, im) != 0)
		log_error("image builder cannot call", "method=%s", "os.image.import");
}

static void on_base_sums(struct worker *w, const struct wcall_result *res, void *arg)
{
	struct ib_image *im = next_step(arg, res, "reading the base image's SHA256SUMS");
	if (!im)
		return;
	copy(im->base_sha256, sizeof(im->base_sha256), sval(res->body, "sha256"));
	char name[128];
	snprintf(name, sizeof(name), "%s-base-%s", im->ib->manager_id, im->name);
	call(im, IB_BASE_LIST, "os.images.list", json_pack("{ss}", "name", name), on_base_list);
}

static void base_sums(struct ib_image *im)
{
	const char *file = strrchr(im->base_url, '/') + 1;
	call(im, IB_BASE_SUMS, "os.image.sha256sums", json_pack("{ss ss}", "url", im->base_sums_url, "file", file),
	     on_base_sums);
}

static void start_build(struct ib_image *im)
{
	im->building = 1;
	random_hex(im->build_id, 4);
	snprintf(im->vm_name, sizeof(im->vm_name), "%s-builder-%s-%s", im->ib->manager_id, im->name, im->build_id);
	copy(im->last_result, sizeof(im->last_result), "running");
	copy(im->last_reason, sizeof(im->last_reason), im->reason);
	im->last_error[0] = 0;
	im->last_start_ms = wall_ms();
	log_info("image build starting", "image=%s build=%s reason=%s runner=%s base=%s", im->name, im->build_id,
	         log_q(im->reason), im->version, log_q(im->base_image ? im->base_image : im->base_url));
	if (im->base_url)
		base_sums(im);
	else
		create_vm(im, im->base_image);
}

/* Boot the builder VM from base (a Glance name, id or tag:TAG). */
static void create_vm(struct ib_image *im, const char *base)
{
	struct ib_script_params sp = {
		.build_id = im->build_id, .image_name = im->name, .runner_version = im->version,
		.runner_url = im->url, .runner_sha256 = im->sha256, .packages = im->packages, .aproxy = im->aproxy,
	};
	char err[256];
	char *script = ib_script_render(&sp, err, sizeof(err));
	char *b64 = script ? shtpl_base64(script, strlen(script)) : NULL;
	free(script);
	if (!b64) {
		fail(im, "rendering the builder script: %s", script ? "out of memory" : err);
		return;
	}
	json_t *body = json_pack("{ss ss ss ss ss s{ss ss ss}}", "name", im->vm_name, "flavor", im->flavor,
	                         "image", base, "network", im->network, "user_data", b64, "metadata",
	                         "ghr-manager", im->ib->manager_id, "ghr-builder", im->name, "ghr-build", im->build_id);
	free(b64);
	/* a longer deadline: the create looks for the name before it retries */
	im->step = IB_CREATE;
	if (worker_call(im->ib->w, "os.server.create", body, 2 * IB_CALL_MS, on_created, im) != 0)
		log_error("image builder cannot call", "method=%s", "os.server.create");
}

/* ---- the row image.list shows ------------------------------------------------------------ */

static json_t *pools_using(const struct ib_image *im)
{
	json_t *out = json_array();
	char spec[IB_TAG_MAX + 8];
	snprintf(spec, sizeof(spec), "tag:%s", im->tag);
	size_t i;
	const json_t *p;
	json_array_foreach(im->ib->pools, i, p) {
		const char *img = sval(p, "image");
		if (strcmp(img, spec) == 0 || (im->newest_id[0] && strcmp(img, im->newest_id) == 0))
			json_array_append_new(out, json_string(sval(p, "name")));
	}
	return out;
}

static json_t *time_or_null(int64_t ms)
{
	char t[32];
	if (ms <= 0)
		return json_null();
	ms_to_iso8601(ms, t);
	return json_string(t);
}

json_t *ib_image_view(const struct ib_image *im)
{
	json_t *last = json_pack("{ss ss ss ss ss so so}", "build", im->last_build_id, "result", im->last_result,
	                         "reason", im->last_reason, "error", im->last_error, "image_id", im->last_image_id,
	                         "started_at", time_or_null(im->last_start_ms), "ended_at", time_or_null(im->last_end_ms));
	return json_pack("{ss ss ss ss ss ss si so sb ss so si so sI si ss}", "name", im->name, "tag", im->tag,
	                 "image_id", im->newest_id, "runner_version", im->newest_version, "created", im->newest_created,
	                 "base", im->base_image ? im->base_image : im->base_url, "images", im->nimages, "pools", pools_using(im),
	                 "building", im->building, "step", ib_step_name(im->step), "last_build", last,
	                 "failures", im->failures, "retry_at", time_or_null(im->failures ? im->retry_at_ms : 0),
	                 "debris_removed", (json_int_t)im->debris_removed,
	                 "check_failures", im->check_failures, "check_error", im->check_error);
}
