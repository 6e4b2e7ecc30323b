/* os_images — Glance calls for the image builder and the scaler (os.images.list,
 * os.image.get/tag/delete), plus the two small Nova reads os.flavors.list and os.quota.
 *
 * os.images.list keeps to this project's images the way os_resolve.c does: by tag only
 * ours (the image builder tags in this project; anybody may tag a public image, and the
 * builder prunes what the list returns), by name ours first and public/shared ones only
 * when none of ours has the name. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_IMAGE_PAGE 100
#define OS_IMAGE_MAX_PAGES 100

struct images_op {
	struct wreq *req;
	json_t *out;
	int pages;
	char *any_owner_path;       /* by name: the listing without the owner filter, if ours is empty */
};

static void images_op_free(struct images_op *op)
{
	json_decref(op->out);
	free(op->any_owner_path);
	free(op);
}

static void on_images_page(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct images_op *op = arg;
	char next[1024], err[256];
	int n = -1;
	if (r->code == PROTO_OK)
		n = os_parse_images_page(r->json, op->out, next, sizeof next, err, sizeof err);
	if (r->code != PROTO_OK || n < 0) {
		if (r->code != PROTO_OK)
			os_reply_result_err(op->req, r, "listing images");
		else
			worker_reply_err(op->req, PROTO_E_INTERNAL, 0, "listing images: bad reply from Glance: %s", err);
		images_op_free(op);
		return;
	}
	/* Glance's next link is a path from its root ("/v2/images?marker=…") */
	if (next[0] == '/' && n > 0 && ++op->pages < OS_IMAGE_MAX_PAGES) {
		os_request(c, OS_SVC_IMAGE, "GET", next, NULL, OS_IDEMPOTENT, op->req->deadline_ms, on_images_page, op);
		return;
	}
	if (json_array_size(op->out) == 0 && op->any_owner_path) {
		char *path = op->any_owner_path;
		op->any_owner_path = NULL;
		op->pages = 0;
		os_request(c, OS_SVC_IMAGE, "GET", path, NULL, OS_IDEMPOTENT, op->req->deadline_ms, on_images_page, op);
		free(path);
		return;
	}
	worker_reply_ok(op->req, json_pack("{sO}", "images", op->out));
	images_op_free(op);
}

static void images_list_ready(struct os_ctx *c, int ok, enum proto_error code, const char *message, void *arg);

/* The owner filter needs the token's project: start once authenticated. */
void os_h_images_list(struct wreq *req)
{
	os_auth_when_ready(os_ctx_of(req), images_list_ready, req);
}

static void images_list_ready(struct os_ctx *c, int ok, enum proto_error code, const char *message, void *arg)
{
	struct wreq *req = arg;
	if (!ok) {
		worker_reply_err(req, code, 0, "listing images: %s", message);
		return;
	}
	char path[1200], enc[500];
	int len = snprintf(path, sizeof path, "/v2/images?sort=created_at:desc&limit=%d", OS_IMAGE_PAGE);
	static const char *const filters[] = { "tag", "name" };
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		const char *v = json_string_value(json_object_get(req->body, filters[i]));
		if (!v)
			continue;
		if (os_urlenc(v, enc, sizeof enc) != 0) {
			worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "%s: too long", filters[i]);
			return;
		}
		len += snprintf(path + len, sizeof path - (size_t)len, "&%s=%s", filters[i], enc);
	}
	struct images_op *op = calloc(1, sizeof *op);
	if (!op) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	op->req = req;
	op->out = json_array();
	if (c->project_id[0] && os_urlenc(c->project_id, enc, sizeof enc) == 0) {
		int by_tag = json_string_value(json_object_get(req->body, "tag")) != NULL;
		if (!by_tag)
			op->any_owner_path = strdup(path);
		snprintf(path + len, sizeof path - (size_t)len, "&owner=%s", enc);
	}
	os_request(c, OS_SVC_IMAGE, "GET", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_images_page, op);
}

/* "/v2/images/<id><suffix>" with the id (and tag) percent-encoded. */
static int image_path(struct wreq *req, const char *suffix_key, char *path, size_t len)
{
	char id[400], extra[400] = "";
	const char *v = json_string_value(json_object_get(req->body, "id"));
	if (!v || !*v || os_urlenc(v, id, sizeof id) != 0) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "id: must be a non-empty image id");
		return -1;
	}
	if (suffix_key) {
		const char *t = json_string_value(json_object_get(req->body, suffix_key));
		char enc[300];
		if (!t || !*t || os_urlenc(t, enc, sizeof enc) != 0) {
			worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "%s: must be a non-empty string", suffix_key);
			return -1;
		}
		snprintf(extra, sizeof extra, "/tags/%s", enc);
	}
	snprintf(path, len, "/v2/images/%s%s", id, extra);
	return 0;
}

static void on_image_get(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	json_t *img = r->code == PROTO_OK ? os_image_normalise(r->json) : NULL;
	if (r->code != PROTO_OK)
		os_reply_result_err(req, r, "getting image");
	else if (!img)
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "getting image: bad reply from Glance (no id)");
	else
		worker_reply_ok(req, json_pack("{so}", "image", img));
}

void os_h_image_get(struct wreq *req)
{
	char path[1000];
	if (image_path(req, NULL, path, sizeof path) == 0)
		os_request(os_ctx_of(req), OS_SVC_IMAGE, "GET", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_image_get, req);
}

static void on_image_tag(struct os_ctx *c, const struct os_result *r, void *arg)
{
	if (r->code != PROTO_OK)
		os_reply_result_err(arg, r, "tagging image");
	else
		worker_reply_ok(arg, NULL);
}

void os_h_image_tag(struct wreq *req)
{
	char path[1000];
	if (image_path(req, "tag", path, sizeof path) == 0)
		os_request(os_ctx_of(req), OS_SVC_IMAGE, "PUT", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_image_tag, req);
}

static void on_image_delete(struct os_ctx *c, const struct os_result *r, void *arg)
{
	if (r->code == PROTO_OK || r->code == PROTO_E_NOT_FOUND)
		worker_reply_ok(arg, NULL);
	else
		os_reply_result_err(arg, r, "deleting image");
}

void os_h_image_delete(struct wreq *req)
{
	char path[1000];
	if (image_path(req, NULL, path, sizeof path) == 0)
		os_request(os_ctx_of(req), OS_SVC_IMAGE, "DELETE", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_image_delete, req);
}

/* ---- flavors and quota ---------------------------------------------------------------- */

static void on_flavors(struct os_ctx *c, const json_t *reply, const struct os_result *err, void *arg)
{
	char msg[256];
	json_t *f = reply ? os_parse_flavors(reply, msg, sizeof msg) : NULL;
	if (err)
		os_reply_result_err(arg, err, "listing flavors");
	else if (!f)
		worker_reply_err(arg, PROTO_E_INTERNAL, 0, "listing flavors: bad reply from Nova: %s", msg);
	else
		worker_reply_ok(arg, json_pack("{so}", "flavors", f));
}

void os_h_flavors_list(struct wreq *req)
{
	os_flavors_fetch(os_ctx_of(req), 1, req->deadline_ms, on_flavors, req);
}

static void on_limits(struct os_ctx *c, const struct os_result *r, void *arg)
{
	char err[256];
	json_t *q = r->code == PROTO_OK ? os_parse_limits(r->json, err, sizeof err) : NULL;
	if (r->code != PROTO_OK)
		os_reply_result_err(arg, r, "reading limits");
	else if (!q)
		worker_reply_err(arg, PROTO_E_INTERNAL, 0, "reading limits: bad reply from Nova: %s", err);
	else
		worker_reply_ok(arg, q);
}

void os_h_quota(struct wreq *req)
{
	os_request(os_ctx_of(req), OS_SVC_COMPUTE, "GET", "/limits", NULL, OS_IDEMPOTENT,
	           req->deadline_ms, on_limits, req);
}
