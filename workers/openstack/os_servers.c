/* os_servers — os.servers.list (every page, this manager's servers only),
 * os.server.get, os.server.delete (already gone is success), os.server.snapshot, and
 * the exact-name lookup the create logic relies on. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

/* Servers per Nova page.  A page of details is ~1.4 KB a server and its parsed tree
 * several times that, all held at once: 1,000 a page (Nova's default max_limit) made
 * a ~20 MB peak in this worker; 200 bounds it to a few MB, for one more request per
 * 200 servers. */
#define OS_PAGE_LIMIT 200
#define OS_MAX_PAGES 1000       /* a cloud that keeps sending "next" cannot loop us */
#define OS_MAX_RESTARTS 3       /* listings begun again after a vanished marker */

struct list_op {
	char filter[600];           /* url-encoded name regex */
	char prefix[256];           /* names must start with it (or equal it, exact) */
	int exact;
	const char *manager;        /* NULL: any */
	char marker[128];
	int pages;
	int restarts;
	int64_t deadline_ms;
	json_t *out;
	os_list_cb cb;
	void *arg;
};

static void list_page(struct os_ctx *c, struct list_op *op);

static void list_finish(struct os_ctx *c, struct list_op *op, const struct os_result *err)
{
	op->cb(c, err ? NULL : op->out, err, op->arg);
	json_decref(op->out);
	free(op);
}

/* Keep only what the filter promised: Nova's regex match is a search, and a cloud
 * with a different regex engine must not make us touch a stranger's server. */
static void filter_names(struct list_op *op)
{
	size_t n = strlen(op->prefix);
	for (size_t i = json_array_size(op->out); i-- > 0;) {
		const char *name = json_string_value(json_object_get(json_array_get(op->out, i), "name"));
		int keep = name && (op->exact ? strcmp(name, op->prefix) == 0 : strncmp(name, op->prefix, n) == 0);
		if (!keep)
			json_array_remove(op->out, i);
	}
}

static void on_page(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct list_op *op = arg;
	if (r->status == 400 && op->marker[0] && strstr(r->message, "marker") && op->restarts < OS_MAX_RESTARTS) {
		/* the marker server was deleted between two pages: list again from the start */
		op->restarts++;
		op->marker[0] = '\0';
		op->pages = 0;
		json_array_clear(op->out);
		list_page(c, op);
		return;
	}
	if (r->code != PROTO_OK) {
		list_finish(c, op, r);
		return;
	}
	char err[256], last[sizeof op->marker];
	int next = 0;
	int n = os_parse_servers_page(r->json, op->manager, op->out, &next, last, sizeof last, err, sizeof err);
	if (n < 0) {
		struct os_result bad = *r;
		bad.code = PROTO_E_INTERNAL;
		snprintf(bad.message, sizeof bad.message, "bad reply from Nova: %s", err);
		list_finish(c, op, &bad);
		return;
	}
	op->pages++;
	if (next && n > 0 && last[0] && strcmp(last, op->marker) != 0 && op->pages < OS_MAX_PAGES) {
		memcpy(op->marker, last, sizeof op->marker);
		list_page(c, op);
		return;
	}
	filter_names(op);
	list_finish(c, op, NULL);
}

static void list_page(struct os_ctx *c, struct list_op *op)
{
	char path[1024], marker[300] = "";
	if (op->marker[0]) {
		char enc[260];
		os_urlenc(op->marker, enc, sizeof enc);
		snprintf(marker, sizeof marker, "&marker=%s", enc);
	}
	snprintf(path, sizeof path, "/servers/detail?name=%s&limit=%d%s", op->filter, OS_PAGE_LIMIT, marker);
	os_request(c, OS_SVC_COMPUTE, "GET", path, NULL, OS_IDEMPOTENT, op->deadline_ms, on_page, op);
}

static void list_servers(struct os_ctx *c, const char *name, int exact, const char *manager,
                         int64_t deadline_ms, os_list_cb cb, void *arg)
{
	struct list_op *op = calloc(1, sizeof *op);
	char regex[540], tmp[520];
	struct os_result bad = { .code = PROTO_E_BAD_REQUEST };
	if (!op || strlcpy_chk(op->prefix, name, sizeof op->prefix) != 0 ||
	    os_regex_escape(name, tmp, sizeof tmp - 2) != 0) {
		snprintf(bad.message, sizeof bad.message, op ? "name or prefix too long" : "out of memory");
		free(op);
		cb(c, NULL, &bad, arg);
		return;
	}
	snprintf(regex, sizeof regex, "^%s%s", tmp, exact ? "$" : "");
	os_urlenc(regex, op->filter, sizeof op->filter);
	op->exact = exact;
	op->manager = manager;
	op->deadline_ms = deadline_ms;
	op->out = json_array();
	op->cb = cb;
	op->arg = arg;
	list_page(c, op);
}

void os_servers_by_name(struct os_ctx *c, const char *name, int64_t deadline_ms, os_list_cb cb, void *arg)
{
	list_servers(c, name, 1, NULL, deadline_ms, cb, arg);
}

/* ---- os.servers.list ----------------------------------------------------------------- */

/* A bus frame is at most 1 MiB (PROTO_MAX_FRAME) and a server takes about 250-350
 * bytes, so a fleet of more than ~3,000 servers does not fit one reply.  A caller that
 * says chunked:true gets the list in parts: each reply carries `next` (the id of its
 * last server) while more remain, and the following call passes it as `marker`.  The
 * parts come from one snapshot of the cloud's list (kept OS_SNAPSHOT_TTL_MS for the
 * prefix), so they neither overlap nor miss a server.  A caller that does not say
 * chunked gets the whole list or, when it cannot fit, `unavailable` — never a silent
 * partial list (a caller believing it has everything would take the missing servers
 * for gone ones). */
#define OS_REPLY_BUDGET (768 * 1024)
#define OS_SNAPSHOT_TTL_MS 60000

struct snapshot {
	char prefix[256];
	json_t *servers;
	int64_t taken_ms;     /* monotonic */
};
static struct snapshot snap;

static void snapshot_drop(void)
{
	json_decref(snap.servers);
	snap.servers = NULL;
}

static void snapshot_keep(const char *prefix, json_t *servers)
{
	json_decref(snap.servers);
	snprintf(snap.prefix, sizeof snap.prefix, "%s", prefix);
	snap.servers = json_incref(servers);
	snap.taken_ms = now_ms();
}

/* Index just after the server whose id is marker, or -1. */
static long after_marker(const json_t *servers, const char *marker)
{
	size_t i;
	const json_t *s;
	json_array_foreach(servers, i, s) {
		const char *id = json_string_value(json_object_get(s, "id"));
		if (id && strcmp(id, marker) == 0)
			return (long)i + 1;
	}
	return -1;
}

/* Reply with servers[from…] up to the byte budget.  Returns 1 when more parts remain. */
static int reply_part(struct wreq *req, const json_t *servers, size_t from, int chunked)
{
	json_t *part = json_array();
	size_t used = 0, i;
	for (i = from; i < json_array_size(servers); i++) {
		json_t *s = json_array_get(servers, i);
		size_t n = json_dumpb(s, NULL, 0, JSON_COMPACT) + 1;
		if (used + n > OS_REPLY_BUDGET && json_array_size(part) > 0)
			break;
		used += n;
		json_array_append(part, s);
	}
	if (i < json_array_size(servers) && !chunked) {
		json_decref(part);
		worker_reply_err(req, PROTO_E_UNAVAILABLE, 0, "%zu servers do not fit one reply; ask with chunked:true",
		                 json_array_size(servers));
		return 0;
	}
	int more = i < json_array_size(servers);
	json_t *body = json_pack("{so}", "servers", part);
	if (more)
		json_object_set(body, "next", json_object_get(json_array_get(part, json_array_size(part) - 1), "id"));
	worker_reply_ok(req, body);
	return more;
}

/* A list of a large fleet leaves megabytes of freed pages in the heap (Nova pages, their
 * parsed trees, the reply): give them back rather than keep the peak for the process's
 * life. */
static void give_back_heap(void)
{
	malloc_trim(0);
}

static void on_list(struct os_ctx *c, json_t *servers, const struct os_result *err, void *arg)
{
	struct wreq *req = arg;
	if (err) {
		os_reply_result_err(req, err, "listing servers");
		return;
	}
	const char *marker = json_string_value(json_object_get(req->body, "marker"));
	int chunked = json_is_true(json_object_get(req->body, "chunked")) || marker;
	long from = marker ? after_marker(servers, marker) : 0;
	if (from < 0) {
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "marker %.60s is not in the list any more; list again from the start", marker);
		return;
	}
	/* The snapshot is kept only while parts remain to be asked for: a list that fits
	 * one reply is not held for nothing. */
	const char *prefix = json_string_value(json_object_get(req->body, "prefix"));
	char keep_prefix[256];
	snprintf(keep_prefix, sizeof keep_prefix, "%s", prefix ? prefix : "");
	if (reply_part(req, servers, (size_t)from, chunked))
		snapshot_keep(keep_prefix, servers);
	else if (snap.servers && strcmp(snap.prefix, keep_prefix) == 0)
		snapshot_drop();
	give_back_heap();
}

void os_h_servers_list(struct wreq *req)
{
	struct os_ctx *c = os_ctx_of(req);
	const char *prefix = json_string_value(json_object_get(req->body, "prefix"));
	const char *marker = json_string_value(json_object_get(req->body, "marker"));
	if (snap.servers && now_ms() - snap.taken_ms >= OS_SNAPSHOT_TTL_MS)
		snapshot_drop();             /* a large fleet's list is not kept for nothing */
	if (marker && snap.servers && strcmp(snap.prefix, prefix) == 0 && now_ms() - snap.taken_ms < OS_SNAPSHOT_TTL_MS) {
		long from = after_marker(snap.servers, marker);
		if (from >= 0) {
			json_t *keep = json_incref(snap.servers);   /* reply_part may not outlive it */
			if (!reply_part(req, keep, (size_t)from, 1))
				snapshot_drop();     /* the last part is out: nobody asks for more */
			json_decref(keep);
			if (!snap.servers)
				give_back_heap();
			return;
		}
	}
	list_servers(c, prefix, 0, c->manager_id, req->deadline_ms, on_list, req);
}

/* ---- os.server.get / delete -------------------------------------------------------- */

/* "/servers/<id>" with the id percent-encoded: an id is never trusted to be a path. */
static int id_path(struct wreq *req, const char *suffix, const char *key, char *path, size_t len)
{
	char enc[400];
	const char *id = json_string_value(json_object_get(req->body, key));
	if (!id || !*id || os_urlenc(id, enc, sizeof enc) != 0) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "%s: must be a non-empty id of at most 128 characters", key);
		return -1;
	}
	snprintf(path, len, "/servers/%s%s", enc, suffix);
	return 0;
}

static void on_get(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->code != PROTO_OK) {
		os_reply_result_err(req, r, "getting server");
		return;
	}
	json_t *s = os_server_normalise(json_object_get(r->json, "server"));
	if (!s) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "getting server: bad reply from Nova (no server id/name/status)");
		return;
	}
	worker_reply_ok(req, json_pack("{so}", "server", s));
}

void os_h_server_get(struct wreq *req)
{
	char path[512];
	if (id_path(req, "", "id", path, sizeof path) == 0)
		os_request(os_ctx_of(req), OS_SVC_COMPUTE, "GET", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_get, req);
}

static void on_delete(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->code == PROTO_OK || r->code == PROTO_E_NOT_FOUND)
		worker_reply_ok(req, NULL);
	else
		os_reply_result_err(req, r, "deleting server");
}

void os_h_server_delete(struct wreq *req)
{
	char path[512];
	if (id_path(req, "", "id", path, sizeof path) == 0)
		os_request(os_ctx_of(req), OS_SVC_COMPUTE, "DELETE", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_delete, req);
}

/* ---- os.server.snapshot -------------------------------------------------------------- */

static void on_snapshot(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->code != PROTO_OK) {
		os_reply_result_err(req, r, "snapshotting server");
		return;
	}
	/* 2.45+: {"image_id": …}; before: the Location header …/images/<id> */
	const char *id = json_string_value(json_object_get(r->json, "image_id"));
	const char *loc = r->resp ? http_header_get(r->resp, "location") : NULL;
	const char *slash = loc ? strrchr(loc, '/') : NULL;
	if (!id && slash && slash[1])
		id = slash + 1;
	if (!id || !*id) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "snapshotting server: reply without an image id");
		return;
	}
	worker_reply_ok(req, json_pack("{ss}", "image_id", id));
}

void os_h_server_snapshot(struct wreq *req)
{
	char path[512];
	if (id_path(req, "/action", "id", path, sizeof path) != 0)
		return;
	json_t *props = json_object_get(req->body, "properties");
	const char *k;
	json_t *v;
	json_object_foreach(props, k, v)
		if (!json_is_string(v)) {
			worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "properties.%s: must be a string", k);
			return;
		}
	json_t *body = json_pack("{s{sO so}}", "createImage", "name", json_object_get(req->body, "image_name"),
	                         "metadata", props ? json_incref(props) : json_object());
	/* not idempotent: a resent createImage makes a second image */
	os_request(os_ctx_of(req), OS_SVC_COMPUTE, "POST", path, body, 0, req->deadline_ms, on_snapshot, req);
}
