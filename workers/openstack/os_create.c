/* os_create — os.server.create, which must never make two VMs.
 *
 *   1. refuse a name another create in this worker is making (conflict);
 *   2. resolve flavor, image and network to ids (os_resolve.c);
 *   3. look the exact name up: a server that exists already answers `conflict` with its
 *      id in the message.  Nova does not enforce unique names, so without this a caller
 *      that retries after losing our reply would get a second VM.  It costs one GET per
 *      create, which runs concurrently with the others (the 500-create benchmark shows
 *      what it costs);
 *   4. POST /servers, sent once (os_post_outcome says what its answer means):
 *      - the request provably never left (name resolution or connection refused: no
 *        byte was sent on the fresh connection the POST always uses) → POST again;
 *      - the outcome is unknown (timeout, reset, 5xx, unreadable 2xx): nova-api may still
 *        be working on it and the server may show up later, so it is never POSTed again.
 *        Look the exact name up; if it is absent, look once more after a short pause
 *        (OS_LOOKUP_AGAIN_MS); still absent → `unavailable` "create outcome unknown".  The
 *        scaler keeps the runner, and its next reconcile finds the server or cleans up;
 *   5. a create refused because a cached flavor/image/network id stopped existing drops
 *      the cached ids and starts again at 2, once.
 * Quota refusals come back as `unavailable` with the cloud's message (os_parse).
 * The request's user_data (it holds the runner's JIT config) is wiped before the reply. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/util.h"
#include "workers/openstack/os.h"
#include "workers/openstack/os_parse.h"

#define OS_USER_DATA_MAX 65535
#define OS_MAX_POSTS 2            /* only when the first provably never left */
#define OS_LOOKUP_AGAIN_MS 1000   /* pause before the second look-up of an unknown outcome */
#define OS_LOOKUP_BUDGET_MS 1000  /* time a look-up needs at least */

static const char *const field_of_kind[OS_KIND_COUNT] = { "flavor", "image", "network" };

struct create_op {
	struct wreq *req;
	struct os_ctx *c;
	const char *name;               /* borrowed from req->body */
	char ids[OS_KIND_COUNT][128];
	int next_kind;
	int posts;
	int re_resolved;
	int lookups;                    /* after an unknown outcome */
	int64_t post_deadline_ms;
};

/* Forget the op (and its name in the in-flight set) before replying: the reply frees
 * the request, whose body holds the name. */
static struct wreq *create_done(struct create_op *op)
{
	struct wreq *req = op->req;
	/* user_data carries the JIT config; the request body is freed after the reply by
	 * the runtime, which does not know what in it is secret.  The POST body shared this
	 * very string (server_body takes a reference), so one wipe covers both. */
	json_t *ud = json_object_get(req->body, "user_data");
	if (json_is_string(ud))
		explicit_bzero((char *)json_string_value(ud), json_string_length(ud));
	json_object_del(op->c->creating, op->name);
	free(op);
	return req;
}

static void reply_id(struct create_op *op, const char *id, const char *how)
{
	op->c->stats.creates++;
	const char *owner = json_string_value(json_object_get(json_object_get(op->req->body, "metadata"), "ghr-manager"));
	if (owner && strcmp(owner, op->c->manager_id) == 0)
		os_ours_note(op->c, id);
	log_info("server created", "name=%s id=%s how=%s", log_q(op->name), id, how);
	json_t *body = json_pack("{ss}", "id", id);
	worker_reply_ok(create_done(op), body);
}

static void reply_err(struct create_op *op, enum proto_error code, const char *msg)
{
	worker_reply_err(create_done(op), code, 0, "%s", msg);
}

static void post_server(struct create_op *op);
static void resolve_next(struct create_op *op);

/* ---- body and validation ------------------------------------------------------------ */

static int is_base64(const char *s)
{
	size_t n = strlen(s);
	if (n % 4)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		         ch == '+' || ch == '/' || (ch == '=' && i >= n - 2);
		if (!ok)
			return 0;
	}
	return 1;
}

#define OS_BOOT_VOLUME_MAX_GIB 65536

/* Returns NULL when the request is acceptable, or what is wrong with it. */
static const char *check_request(const json_t *body)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *ud = json_string_value(json_object_get(body, "user_data"));
	if (!name || !*name || strlen(name) > 255)
		return "name: must be 1 to 255 characters";
	if (!ud || strlen(ud) > OS_USER_DATA_MAX || !is_base64(ud))
		return "user_data: must be base64 of at most 65535 characters";
	json_int_t gib = json_integer_value(json_object_get(body, "boot_volume_size"));
	if (gib < 0 || gib > OS_BOOT_VOLUME_MAX_GIB)
		return "boot_volume_size: must be 0 to 65536 GiB";
	const json_t *md = json_object_get(body, "metadata");
	const char *k;
	json_t *v;
	if (json_object_size(md) > 128)
		return "metadata: at most 128 items";
	json_object_foreach((json_t *)md, k, v)
		if (!json_is_string(v) || strlen(k) > 255 || json_string_length(v) > 255)
			return "metadata: keys and values must be strings of at most 255 characters";
	return NULL;
}

static json_t *server_body(const struct create_op *op)
{
	const json_t *b = op->req->body;
	json_t *s = json_pack("{sO ss ss sO sO}", "name", json_object_get(b, "name"),
	                      "imageRef", op->ids[OS_KIND_IMAGE], "flavorRef", op->ids[OS_KIND_FLAVOR],
	                      "metadata", json_object_get(b, "metadata"), "user_data", json_object_get(b, "user_data"));
	const char *net = op->ids[OS_KIND_NETWORK];
	int mv_named_nets = os_microversion_cmp(op->c->microversion, "2.37") >= 0;
	if (strcmp(net, "auto") == 0 && !mv_named_nets)
		;   /* before 2.37 no networks key means "auto" */
	else if (strcmp(net, "auto") == 0 || strcmp(net, "none") == 0)
		json_object_set_new(s, "networks", json_string(net));
	else
		json_object_set_new(s, "networks", json_pack("[{ss}]", "uuid", net));
	const char *key = json_string_value(json_object_get(b, "key_name"));
	if (key && *key)
		json_object_set_new(s, "key_name", json_string(key));
	const json_t *sgs = json_object_get(b, "security_groups");
	if (json_array_size(sgs)) {
		json_t *list = json_array();
		size_t i;
		const json_t *g;
		json_array_foreach(sgs, i, g)
			json_array_append_new(list, json_pack("{sO}", "name", (json_t *)g));
		json_object_set_new(s, "security_groups", list);
	}
	const char *az = json_string_value(json_object_get(b, "availability_zone"));
	if (az && *az)
		json_object_set_new(s, "availability_zone", json_string(az));
	json_int_t gib = json_integer_value(json_object_get(b, "boot_volume_size"));
	if (gib > 0) {
		/* boot from a new volume made from the image, gone with the server; Nova then
		 * takes imageRef "" (the image is named in the mapping) */
		json_object_set_new(s, "imageRef", json_string(""));
		json_object_set_new(s, "block_device_mapping_v2", json_pack("[{si ss ss ss sI sb}]",
		        "boot_index", 0, "uuid", op->ids[OS_KIND_IMAGE], "source_type", "image",
		        "destination_type", "volume", "volume_size", gib, "delete_on_termination", 1));
	}
	return json_pack("{so}", "server", s);
}

/* ---- outcome of the POST -------------------------------------------------------------- */

enum os_post_outcome os_post_outcome(const struct os_result *r)
{
	if (!r->resp)
		return OS_POST_REFUSED;       /* never sent (no token, deadline): its own error */
	switch (r->transport_error) {
	case 0:
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return OS_POST_NOT_SENT;      /* a fresh connection that never opened */
	default:
		return OS_POST_UNKNOWN;       /* timeout, reset, …: it may have reached nova-api */
	}
	if (r->status >= 500 || r->status == 0)
		return OS_POST_UNKNOWN;
	if (r->status >= 200 && r->status <= 299)
		return json_string_value(json_object_get(json_object_get(r->json, "server"), "id")) ?
			OS_POST_CREATED : OS_POST_UNKNOWN;   /* a 2xx that says nothing usable */
	return OS_POST_REFUSED;
}

static void lookup_after_loss(struct create_op *op);

static void on_lookup_timer(struct ev_loop *loop, int64_t id, void *arg)
{
	lookup_after_loss(arg);
}

static void on_lookup_after_loss(struct os_ctx *c, json_t *servers, const struct os_result *err, void *arg)
{
	struct create_op *op = arg;
	if (err) {
		log_error("create outcome unknown: look-up failed", "name=%s reason=%s", log_q(op->name), log_q(err->message));
		char msg[700];
		snprintf(msg, sizeof msg, "create outcome unknown (the reply was lost and the look-up failed: %s); "
		         "the next reconcile will find the server if it exists", err->message);
		reply_err(op, PROTO_E_UNAVAILABLE, msg);
		return;
	}
	size_t n = json_array_size(servers);
	if (n > 0) {
		if (n > 1)
			log_error("several servers carry one name", "name=%s count=%zu", log_q(op->name), n);
		reply_id(op, json_string_value(json_object_get(json_array_get(servers, 0), "id")), "found-after-lost-reply");
		return;
	}
	int64_t left = op->req->deadline_ms - wall_ms();
	if (op->lookups < 2 && left > OS_LOOKUP_BUDGET_MS) {
		/* nova-api may still be inside the create: give it a moment to show */
		int64_t pause = left - OS_LOOKUP_BUDGET_MS < OS_LOOKUP_AGAIN_MS ? left - OS_LOOKUP_BUDGET_MS : OS_LOOKUP_AGAIN_MS;
		ev_timer_add(c->loop, pause, on_lookup_timer, op);
		return;
	}
	log_warn("create outcome unknown: the reply was lost and no server of that name shows",
	         "name=%s lookups=%d", log_q(op->name), op->lookups);
	reply_err(op, PROTO_E_UNAVAILABLE, "create outcome unknown: the reply was lost and no server of that name "
	          "shows yet; it is not created again (it may still appear); the next reconcile will find it or clean up");
}

static void lookup_after_loss(struct create_op *op)
{
	op->lookups++;
	/* the look-up gets the rest of the request's time, not just the POST's share */
	os_servers_by_name(op->c, op->name, op->req->deadline_ms, on_lookup_after_loss, op);
}

/* Was the create refused because one of the ids we sent does not exist (any more)? */
static int drop_stale_ids(struct create_op *op, const struct os_result *r)
{
	if (r->status != 400 && r->status != 404)
		return 0;
	int dropped = 0;
	for (int k = 0; k < OS_KIND_COUNT; k++) {
		if (!strcasestr(r->message, field_of_kind[k]))
			continue;
		const char *value = json_string_value(json_object_get(op->req->body, field_of_kind[k]));
		dropped |= os_resolve_forget(op->c, (enum os_kind)k, value);
	}
	return dropped;
}

static void on_post(struct os_ctx *c, const struct os_result *r, void *arg)
{
	struct create_op *op = arg;
	switch (os_post_outcome(r)) {
	case OS_POST_CREATED:
		reply_id(op, json_string_value(json_object_get(json_object_get(r->json, "server"), "id")), "created");
		return;
	case OS_POST_NOT_SENT:
		if (op->posts < OS_MAX_POSTS) {
			log_warn("create not sent (no connection); sending it again", "name=%s reason=%s",
			         log_q(op->name), log_q(r->message));
			post_server(op);
		} else {
			char msg[600];
			snprintf(msg, sizeof msg, "creating server: the cloud could not be reached: %s", r->message);
			reply_err(op, PROTO_E_UNAVAILABLE, msg);
		}
		return;
	case OS_POST_UNKNOWN:
		c->stats.lost_replies++;
		log_warn("create reply lost; looking the name up, never creating again", "name=%s status=%ld reason=%s",
		         log_q(op->name), r->status, log_q(r->message));
		lookup_after_loss(op);
		return;
	case OS_POST_REFUSED:
		break;
	}
	if (!op->re_resolved && drop_stale_ids(op, r)) {
		op->re_resolved = 1;
		log_info("create refused for an unknown id; resolving names again", "name=%s reason=%s",
		         log_q(op->name), log_q(r->message));
		op->next_kind = 0;
		resolve_next(op);
		return;
	}
	char msg[600];
	snprintf(msg, sizeof msg, "creating server: %s", r->message);
	reply_err(op, r->code == PROTO_OK ? PROTO_E_INTERNAL : r->code, msg);
}

static void post_server(struct create_op *op)
{
	op->posts++;
	/* The POST gets three quarters of the time left, so that a lost reply still leaves
	 * time to look the name up. */
	int64_t left = op->req->deadline_ms - wall_ms();
	op->post_deadline_ms = op->req->deadline_ms - (left > 0 ? left / 4 : 0);
	os_request(op->c, OS_SVC_COMPUTE, "POST", "/servers", server_body(op), 0, op->post_deadline_ms, on_post, op);
}

/* ---- name check and resolution -------------------------------------------------------- */

static void on_name_check(struct os_ctx *c, json_t *servers, const struct os_result *err, void *arg)
{
	struct create_op *op = arg;
	if (err) {
		char msg[600];
		snprintf(msg, sizeof msg, "checking the name before the create: %s", err->message);
		reply_err(op, err->code, msg);
		return;
	}
	if (json_array_size(servers) > 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "a server named %.100s exists already (id %.60s)", op->name,
		         json_string_value(json_object_get(json_array_get(servers, 0), "id")));
		reply_err(op, PROTO_E_CONFLICT, msg);
		return;
	}
	post_server(op);
}

static void on_resolved(struct os_ctx *c, int ok, const char *id, enum proto_error code, const char *message, void *arg)
{
	struct create_op *op = arg;
	if (!ok) {
		reply_err(op, code, message);
		return;
	}
	strlcpy_chk(op->ids[op->next_kind], id, sizeof op->ids[0]);
	op->next_kind++;
	resolve_next(op);
}

static void resolve_next(struct create_op *op)
{
	if (op->next_kind < OS_KIND_COUNT) {
		const char *value = json_string_value(json_object_get(op->req->body, field_of_kind[op->next_kind]));
		os_resolve(op->c, (enum os_kind)op->next_kind, value, op->req->deadline_ms, on_resolved, op);
		return;
	}
	if (op->posts == 0 && !op->re_resolved)
		os_servers_by_name(op->c, op->name, op->req->deadline_ms, on_name_check, op);
	else
		post_server(op);
}

void os_h_server_create(struct wreq *req)
{
	struct os_ctx *c = os_ctx_of(req);
	const char *bad = check_request(req->body);
	if (bad) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "%s", bad);
		return;
	}
	const char *name = json_string_value(json_object_get(req->body, "name"));
	if (json_object_get(c->creating, name)) {
		worker_reply_err(req, PROTO_E_CONFLICT, 0, "a create of %s is in progress", name);
		return;
	}
	struct create_op *op = calloc(1, sizeof *op);
	if (!op) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	op->req = req;
	op->c = c;
	op->name = name;
	json_object_set_new(c->creating, name, json_true());
	resolve_next(op);
}
