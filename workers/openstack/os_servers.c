/* os_servers — os.servers.list (every page, this manager's servers only),
 * os.server.get, os.server.delete (already gone is success), os.server.snapshot, and
 * the exact-name lookup the create logic relies on. */
#include <malloc.h>
#include <stdarg.h>
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
#define OS_MAX_PAGES 1000       /* a cloud that keeps sending "next" cannot loop us (200,000 servers) */
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

static void list_fail(struct os_ctx *c, struct list_op *op, const struct os_result *r,
                      enum proto_error code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void list_fail(struct os_ctx *c, struct list_op *op, const struct os_result *r,
                      enum proto_error code, const char *fmt, ...)
{
	struct os_result bad = *r;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(bad.message, sizeof bad.message, fmt, ap);
	va_end(ap);
	bad.code = code;
	log_warn("server list failed", "reason=%s", log_q(bad.message));
	list_finish(c, op, &bad);
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
		list_fail(c, op, r, n == -2 ? PROTO_E_UNAVAILABLE : PROTO_E_INTERNAL, "%s from Nova: %s",
		          n == -2 ? "incomplete list" : "bad reply", err);
		return;
	}
	op->pages++;
	switch (os_servers_next_step(next, n, last, op->marker, op->pages, OS_MAX_PAGES, err, sizeof err)) {
	case OS_PAGE_MORE:
		memcpy(op->marker, last, sizeof op->marker);
		list_page(c, op);
		return;
	case OS_PAGE_BROKEN:
		list_fail(c, op, r, PROTO_E_UNAVAILABLE, "incomplete list from Nova: %s", err);
		return;
	case OS_PAGE_LAST:
		break;
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
 * says chunked:true gets the list in parts: each reply carries `next` while more remain,
 * and the following call passes it as `marker`.  `next` is "<listing>.<last id>": the
 * parts of one listing come from its own snapshot of the cloud's list (one of
 * OS_SNAPSHOTS slots, least recently used reused first, dropped after
 * OS_SNAPSHOT_TTL_MS or once its last part is out), so they neither overlap nor miss a
 * server, and two callers listing at once never get parts of each other's snapshot.  A
 * marker whose snapshot is gone (or a bare server id) is served from a fresh listing,
 * after that id.  A caller that does not say chunked gets the whole list or, when it
 * cannot fit, `unavailable` — never a silent partial list (a caller believing it has
 * everything would take the missing servers for gone ones). */
#define OS_REPLY_BUDGET (768 * 1024)
#define OS_SNAPSHOT_TTL_MS 60000
#define OS_SNAPSHOTS 4
#define OS_LISTING_LEN 8             /* hex digits of a listing token */

struct snapshot {
	char listing[OS_LISTING_LEN + 1];  /* "" : free */
	char prefix[256];
	json_t *servers;
	int64_t taken_ms, used_ms;         /* monotonic */
};
static struct snapshot snaps[OS_SNAPSHOTS];
static uint32_t listing_seq;

static void snapshot_drop(struct snapshot *sn)
{
	json_decref(sn->servers);
	memset(sn, 0, sizeof *sn);
}

static void snapshots_expire(void)
{
	for (int i = 0; i < OS_SNAPSHOTS; i++)
		if (snaps[i].servers && now_ms() - snaps[i].taken_ms >= OS_SNAPSHOT_TTL_MS)
			snapshot_drop(&snaps[i]);
}

/* A free slot, else the least recently used one. */
static struct snapshot *snapshot_new(const char *prefix, json_t *servers)
{
	struct snapshot *sn = &snaps[0];
	for (int i = 0; i < OS_SNAPSHOTS; i++) {
		if (!snaps[i].servers) {
			sn = &snaps[i];
			break;
		}
		if (snaps[i].used_ms < sn->used_ms)
			sn = &snaps[i];
	}
	if (sn->servers)
		log_info("server list snapshot dropped for a newer listing", "listing=%s prefix=%s",
		         sn->listing, log_q(sn->prefix));
	snapshot_drop(sn);
	if (!listing_seq)
		listing_seq = (uint32_t)now_ms() * 2654435761u | 1u;
	listing_seq = listing_seq * 1103515245u + 12345u;
	snprintf(sn->listing, sizeof sn->listing, "%08x", (unsigned)listing_seq);
	snprintf(sn->prefix, sizeof sn->prefix, "%s", prefix);
	sn->servers = json_incref(servers);
	sn->taken_ms = sn->used_ms = now_ms();
	return sn;
}

/* Split a marker "<listing>.<id>" into its listing (NULL for a bare id) and id. */
static const char *marker_split(const char *marker, char listing[OS_LISTING_LEN + 1])
{
	size_t i;
	for (i = 0; i < OS_LISTING_LEN; i++)
		if (!strchr("0123456789abcdef", marker[i]) || !marker[i])
			return NULL;
	if (marker[i] != '.' || !marker[i + 1])
		return NULL;
	memcpy(listing, marker, OS_LISTING_LEN);
	listing[OS_LISTING_LEN] = '\0';
	return marker + OS_LISTING_LEN + 1;
}

static struct snapshot *snapshot_find(const char *listing, const char *prefix)
{
	for (int i = 0; i < OS_SNAPSHOTS; i++)
		if (snaps[i].servers && strcmp(snaps[i].listing, listing) == 0 && strcmp(snaps[i].prefix, prefix) == 0)
			return &snaps[i];
	return NULL;
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

/* Reply with servers[from…] up to the byte budget; more parts are announced in `next`
 * under the listing of *sn (made here for a first part that does not fit).  Returns 1
 * when more parts remain. */
static int reply_part(struct wreq *req, json_t *servers, size_t from, int chunked,
                      const char *prefix, struct snapshot **sn)
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
	if (more) {
		if (!*sn)
			*sn = snapshot_new(prefix, servers);
		char next[OS_LISTING_LEN + 2 + 128];
		snprintf(next, sizeof next, "%s.%s", (*sn)->listing,
		         json_string_value(json_object_get(json_array_get(part, json_array_size(part) - 1), "id")));
		json_object_set_new(body, "next", json_string(next));
	}
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
	char listing[OS_LISTING_LEN + 1];
	const char *after = marker ? marker_split(marker, listing) : NULL;
	if (marker && !after)
		after = marker;                 /* a bare server id */
	int chunked = json_is_true(json_object_get(req->body, "chunked")) || marker;
	long from = after ? after_marker(servers, after) : 0;
	if (from < 0) {
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "marker %.60s is not in the list any more; list again from the start", after);
		return;
	}
	/* A snapshot is kept only while parts remain to be asked for: a list that fits
	 * one reply is not held for nothing. */
	size_t i;
	const json_t *srv;
	json_array_foreach(servers, i, srv)     /* every one carries our ghr-manager */
		os_ours_note(c, json_string_value(json_object_get(srv, "id")));
	const char *prefix = json_string_value(json_object_get(req->body, "prefix"));
	struct snapshot *sn = NULL;
	reply_part(req, servers, (size_t)from, chunked, prefix ? prefix : "", &sn);
	give_back_heap();
}

void os_h_servers_list(struct wreq *req)
{
	struct os_ctx *c = os_ctx_of(req);
	const char *prefix = json_string_value(json_object_get(req->body, "prefix"));
	const char *marker = json_string_value(json_object_get(req->body, "marker"));
	char listing[OS_LISTING_LEN + 1];
	const char *after = marker ? marker_split(marker, listing) : NULL;
	snapshots_expire();                 /* a large fleet's list is not kept for nothing */
	struct snapshot *sn = after ? snapshot_find(listing, prefix) : NULL;
	long from = sn ? after_marker(sn->servers, after) : -1;
	if (sn && from >= 0) {
		sn->used_ms = now_ms();
		json_t *keep = json_incref(sn->servers);   /* reply_part may not outlive it */
		if (!reply_part(req, keep, (size_t)from, 1, prefix, &sn))
			snapshot_drop(sn);          /* the last part is out: nobody asks for more */
		json_decref(keep);
		if (!sn->servers)
			give_back_heap();
		return;
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

int os_server_id_path(struct wreq *req, const char *suffix, char *path, size_t len)
{
	return id_path(req, suffix, "id", path, len);
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

/* ---- this manager's servers ----------------------------------------------------------- */

#define OS_OURS_TTL_MS (60 * 60 * 1000)
#define OS_OURS_PRUNE_AT 20000

void os_ours_note(struct os_ctx *c, const char *id)
{
	if (!id || !*id)
		return;
	int64_t now = now_ms();
	if (json_object_size(c->ours) >= OS_OURS_PRUNE_AT) {
		const char *k;
		json_t *v, *tmp;
		json_object_foreach_safe(c->ours, tmp, k, v)
			if (now - json_integer_value(v) >= OS_OURS_TTL_MS)
				json_object_del(c->ours, k);
	}
	json_object_set_new(c->ours, id, json_integer(now));
}

int os_ours_seen(struct os_ctx *c, const char *id)
{
	const json_t *v = json_object_get(c->ours, id);
	return v && now_ms() - json_integer_value(v) < OS_OURS_TTL_MS;
}

/* ---- os.server.delete ------------------------------------------------------------------ */

/* DESIGN: only this manager's VMs are ever touched.  The caller's id is trusted only
 * when this worker saw it with our ghr-manager (in a listing or a create); otherwise
 * the server is read first: gone (404) is success, another manager's (or nobody's)
 * is `forbidden`. */
static void on_delete(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->code == PROTO_OK || r->code == PROTO_E_NOT_FOUND) {
		json_object_del(c->ours, json_string_value(json_object_get(req->body, "id")));
		worker_reply_ok(req, NULL);
	} else {
		os_reply_result_err(req, r, "deleting server");
	}
}

static void send_delete(struct os_ctx *c, struct wreq *req)
{
	char path[512];
	if (id_path(req, "", "id", path, sizeof path) == 0)
		os_request(c, OS_SVC_COMPUTE, "DELETE", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_delete, req);
}

static void on_delete_check(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct wreq *req = arg;
	if (r->code == PROTO_E_NOT_FOUND) {
		worker_reply_ok(req, NULL);     /* gone already */
		return;
	}
	if (r->code != PROTO_OK) {
		os_reply_result_err(req, r, "reading the server before deleting it");
		return;
	}
	const json_t *md = json_object_get(json_object_get(r->json, "server"), "metadata");
	const char *owner = json_string_value(json_object_get(md, "ghr-manager"));
	const char *id = json_string_value(json_object_get(req->body, "id"));
	if (!owner || strcmp(owner, c->manager_id) != 0) {
		log_warn("delete refused: not this manager's server", "id=%s ghr_manager=%s", log_q(id), log_q(owner ? owner : ""));
		worker_reply_err(req, PROTO_E_FORBIDDEN, 0, "server %.60s is not this manager's (ghr-manager %.60s%s%s); "
		                 "ghr deletes only its own servers", id, owner ? "is \"" : "not set", owner ? owner : "",
		                 owner ? "\"" : "");
		return;
	}
	send_delete(c, req);
}

void os_h_server_delete(struct wreq *req)
{
	struct os_ctx *c = os_ctx_of(req);
	char path[512];
	if (id_path(req, "", "id", path, sizeof path) != 0)
		return;
	if (os_ours_seen(c, json_string_value(json_object_get(req->body, "id"))))
		send_delete(c, req);
	else
		os_request(c, OS_SVC_COMPUTE, "GET", path, NULL, OS_IDEMPOTENT, req->deadline_ms, on_delete_check, req);
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
