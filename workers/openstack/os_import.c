/* Base images from a URL into Glance (the image builder's base_url):
 *
 *   os.image.sha256sums  GET a SHA256SUMS file, answer the checksum of one file in it
 *   os.image.import      GET the image into an unlinked temporary file (never into
 *                        memory: cloud images are hundreds of MB), check its SHA-256,
 *                        POST /v2/images (private, qcow2/bare), PUT /v2/images/{id}/file;
 *                        an image whose upload failed is deleted again
 *
 * The downloads go to the URL as given with no credential (the Keystone token is only
 * ever sent to the catalog's endpoints), verified against the system's CA bundle. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/openstack/os.h"

#define OS_IMPORT_MAX ((int64_t)64 << 30)     /* 64 GiB: no cloud image is larger */

/* Downloads use a client of their own: the system's CA bundle (a clouds.yaml cacert
 * is for the cloud's endpoints only), and no connection shared with the cloud calls. */
static struct http_client *web;

static struct http_client *web_client(struct os_ctx *c)
{
	if (!web)
		web = http_client_new(c->loop, &(struct http_client_opts){ .max_in_flight = 4, .timeout_ms = c->timeout_ms });
	return web;
}

static int url_like(const char *u)
{
	return u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) && !strpbrk(u, " \t\r\n");
}

static long left_ms(const struct wreq *req)
{
	int64_t left = wreq_remaining_ms(req);
	return left > 0 ? (long)left : 1;
}

/* ---- os.image.sha256sums ------------------------------------------------------------- */

static void on_sums(const struct http_response *resp, void *arg)
{
	struct wreq *req = arg;
	const char *file = json_string_value(json_object_get(req->body, "file"));
	char sum[65];
	if (resp->error || resp->status != 200)
		worker_reply_err(req, resp->error ? PROTO_E_UNAVAILABLE : PROTO_E_NOT_FOUND, 0,
		                 "fetching SHA256SUMS: %s (HTTP %ld)", resp->error ? resp->error_text : "no file", resp->status);
	else if (os_sha256sums_find(resp->body, resp->body_len, file, sum) != 0)
		worker_reply_err(req, PROTO_E_NOT_FOUND, 0, "SHA256SUMS lists no checksum for %s", file);
	else
		worker_reply_ok(req, json_pack("{ss}", "sha256", sum));
}

void os_h_image_sha256sums(struct wreq *req)
{
	struct os_ctx *c = os_ctx_of(req);
	const char *url = json_string_value(json_object_get(req->body, "url"));
	const char *file = json_string_value(json_object_get(req->body, "file"));
	if (!url_like(url) || !*file || strchr(file, '/') || strpbrk(file, "\r\n")) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "url must be an http(s) URL and file a file name");
		return;
	}
	struct http_request hr = { .method = "GET", .url = url, .timeout_ms = left_ms(req) };
	if (!web_client(c) || http_send(web_client(c), &hr, on_sums, req) != 0)
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "cannot fetch %s", url);
}

/* ---- os.image.import ------------------------------------------------------------------ */

struct import_op {
	struct wreq *req;
	int fd;
	int64_t size;
	char image_id[128];
};

static void import_end(struct import_op *op)
{
	if (op->fd >= 0)
		close(op->fd);
	free(op);
}

/* SHA-256 of the whole file (lower-case hex); -1 on a read error. */
static int file_sha256(int fd, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], dig[32];
	unsigned int dlen = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && lseek(fd, 0, SEEK_SET) == 0;
	for (ssize_t r; ok && (r = read(fd, buf, sizeof buf)) != 0;) {
		if (r < 0 && errno == EINTR)
			continue;
		ok = r > 0 && EVP_DigestUpdate(md, buf, (size_t)r) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, dig, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	for (int i = 0; ok && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	return ok ? 0 : -1;
}

static void on_orphan_deleted(struct os_ctx *c, const struct os_result *r, void *arg)
{
	if (r->code != PROTO_OK && r->code != PROTO_E_NOT_FOUND)
		log_warn("image of a failed upload not deleted", "msg=%s", log_q(r->message));
}

static void on_uploaded(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct import_op *op = arg;
	if (r->code != PROTO_OK) {
		char path[200];
		snprintf(path, sizeof path, "/v2/images/%s", op->image_id);
		os_request(c, OS_SVC_IMAGE, "DELETE", path, NULL, OS_IDEMPOTENT, 0, on_orphan_deleted, NULL);
		os_reply_result_err(op->req, r, "uploading the image data");
	} else {
		log_info("base image uploaded", "id=%s bytes=%lld", op->image_id, (long long)op->size);
		worker_reply_ok(op->req, json_pack("{ss}", "image_id", op->image_id));
	}
	import_end(op);
}

static void on_created(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct import_op *op = arg;
	const char *id = json_string_value(json_object_get(r->json, "id"));
	if (r->code != PROTO_OK || !id || strlen(id) >= sizeof op->image_id || strchr(id, '/')) {
		if (r->code != PROTO_OK)
			os_reply_result_err(op->req, r, "creating the image");
		else
			worker_reply_err(op->req, PROTO_E_INTERNAL, 0, "creating the image: reply without a usable id");
		import_end(op);
		return;
	}
	snprintf(op->image_id, sizeof op->image_id, "%s", id);
	char path[200];
	snprintf(path, sizeof path, "/v2/images/%s/file", id);
	os_request_upload(c, OS_SVC_IMAGE, path, op->fd, op->size, op->req->deadline_ms, on_uploaded, op);
}

static void on_downloaded(const struct http_response *resp, void *arg)
{
	struct import_op *op = arg;
	struct wreq *req = op->req;
	const char *url = json_string_value(json_object_get(req->body, "url"));
	const char *want = json_string_value(json_object_get(req->body, "sha256"));
	char got[65];
	if (resp->error || resp->status != 200) {
		worker_reply_err(req, resp->error ? PROTO_E_UNAVAILABLE : PROTO_E_NOT_FOUND, 0, "downloading %s: %s (HTTP %ld)",
		                 url, resp->error ? resp->error_text : "no such file", resp->status);
		import_end(op);
		return;
	}
	op->size = lseek(op->fd, 0, SEEK_END);
	if (op->size < 0 || file_sha256(op->fd, got) != 0) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "reading the downloaded image back: %s", strerror(errno));
		import_end(op);
		return;
	}
	if (strcmp(got, want) != 0) {
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "base image checksum mismatch: %s has SHA-256 %s, "
		                 "SHA256SUMS says %s", url, got, want);
		import_end(op);
		return;
	}
	const char *fmt = json_string_value(json_object_get(req->body, "disk_format"));
	json_t *body = json_pack("{ss ss ss ss}", "name", json_string_value(json_object_get(req->body, "name")),
	                         "disk_format", fmt ? fmt : "qcow2", "container_format", "bare", "visibility", "private");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(req->body, "properties"), k, v)
		if (json_is_string(v) && !json_object_get(body, k))
			json_object_set(body, k, v);
	/* not idempotent: a resent POST makes a second image */
	os_request(os_ctx_of(req), OS_SVC_IMAGE, "POST", "/v2/images", body, 0, req->deadline_ms, on_created, op);
}

static int sha_ok(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

void os_h_image_import(struct wreq *req)
{
	struct os_ctx *c = os_ctx_of(req);
	const char *url = json_string_value(json_object_get(req->body, "url"));
	const char *name = json_string_value(json_object_get(req->body, "name"));
	if (!url_like(url) || !*name || !sha_ok(json_string_value(json_object_get(req->body, "sha256")))) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "name, an http(s) url and a lower-case hex sha256 are required");
		return;
	}
	struct import_op *op = calloc(1, sizeof *op);
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/ghr-image-XXXXXX", dir && *dir ? dir : "/var/tmp");
	int fd = op ? mkostemp(tmpl, O_CLOEXEC) : -1;
	if (fd < 0) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "no temporary file for the download: %s", strerror(errno));
		free(op);
		return;
	}
	unlink(tmpl);                 /* gone with the descriptor, whatever happens to this process */
	op->req = req;
	op->fd = fd;
	struct http_stream st = { .upload_fd = -1, .download_fd = fd, .download_max = OS_IMPORT_MAX };
	struct http_request hr = { .method = "GET", .url = url, .timeout_ms = left_ms(req), .stream = &st };
	log_info("downloading a base image", "url=%s", log_q(url));
	if (!web_client(c) || http_send(web_client(c), &hr, on_downloaded, op) != 0) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "cannot fetch %s", url);
		import_end(op);
	}
}
