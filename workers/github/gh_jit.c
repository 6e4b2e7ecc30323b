/* github.runner.jit: resolve the runner group by name, then register a just-in-time
 * runner with POST …/actions/runners/generate-jitconfig.
 *
 * Group ids are cached by name.  Concurrent requests for a group not yet resolved wait
 * on one lookup instead of each listing the groups.  A 404, or a 422 that names the
 * group, drops the cached id and resolves once more (the group may have been recreated).
 * A repository has no runner groups of its own: only "Default" (id 1) is possible there.
 *
 * Why a failed POST is never simply retried: when the connection breaks or GitHub
 * answers 5xx, the runner may have been registered all the same, and only that reply
 * held its JIT config (single use, never shown again).  Posting the same name again
 * would at best get 409 and leave a registered runner nobody can start.  So we look the
 * name up; if the runner exists we delete it, and in every case answer `unavailable`:
 * the scaler then retries with a fresh name, and nothing is left dangling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "workers/github/gh.h"

#define GH_DEFAULT_GROUP_ID 1

struct jit_op {
	struct gh *g;
	struct wreq *req;
	char name[65];
	char group[256];
	json_t *labels;
	int64_t group_id;
	int group_retry;
	char first_error[600];
	struct jit_op *next_waiter;
};

struct gh_group_wait {
	char name[256];
	struct jit_op *waiters;
	int64_t deadline;
	int pages;
	struct gh_group_wait *next;
};

static void op_free(struct jit_op *op)
{
	json_decref(op->labels);
	free(op);
}

static void op_fail(struct jit_op *op, enum proto_error err, int64_t retry_after,
                    const char *msg)
{
	worker_reply_err(op->req, err, retry_after, "%s", msg);
	op_free(op);
}

static void post_jit(struct jit_op *op);
static void resolve_group(struct jit_op *op);

/* ---- group resolution ---------------------------------------------------------------- */

static void group_wait_end(struct gh *g, struct gh_group_wait *gw, int64_t id,
                           const struct gh_result *err)
{
	for (struct gh_group_wait **pp = &g->group_waits; *pp; pp = &(*pp)->next)
		if (*pp == gw) {
			*pp = gw->next;
			break;
		}
	struct jit_op *op = gw->waiters;
	while (op) {
		struct jit_op *next = op->next_waiter;
		op->next_waiter = NULL;
		if (err) {
			op_fail(op, err->err, err->retry_after_ms, err->message);
		} else {
			op->group_id = id;
			post_jit(op);
		}
		op = next;
	}
	free(gw);
}

static void fetch_groups(struct gh *g, struct gh_group_wait *gw, const char *url);

static void on_groups(struct gh *g, const struct gh_result *r, void *arg)
{
	struct gh_group_wait *gw = arg;
	struct gh_result e = { 0 };
	if (r->err != PROTO_OK) {
		e = *r;
		snprintf(e.message, sizeof(e.message), "cannot resolve runner group %.100s: %.400s", gw->name,
		         r->message);
		group_wait_end(g, gw, 0, &e);
		return;
	}
	char err[300], next[GH_URL_MAX];
	int64_t id = 0;
	int rc = gh_parse_runner_groups(r->resp->body, r->resp->body_len, gw->name, &id, err,
	                                sizeof(err));
	if (rc < 0) {
		e.err = PROTO_E_INTERNAL;
		snprintf(e.message, sizeof(e.message), "GitHub sent invalid JSON for the runner group list: %s",
		         err);
		group_wait_end(g, gw, 0, &e);
		return;
	}
	if (rc == 0) {
		json_object_set_new(g->groups, gw->name, json_integer(id));
		log_info("runner group resolved", "group=%s id=%lld", log_q(gw->name), (long long)id);
		group_wait_end(g, gw, id, NULL);
		return;
	}
	const char *link = http_header_get(r->resp, "link");
	if (link && gh_link_next(link, next, sizeof(next)) && ++gw->pages < 100) {
		fetch_groups(g, gw, next);
		return;
	}
	e.err = PROTO_E_NOT_FOUND;
	snprintf(e.message, sizeof(e.message), "runner group %s does not exist in %s", gw->name,
	         g->target.name);
	group_wait_end(g, gw, 0, &e);
}

static void fetch_groups(struct gh *g, struct gh_group_wait *gw, const char *url)
{
	gh_api_call(g, GH_CALL_GROUPS, "GET", url, NULL, NULL, gw->deadline, on_groups, gw);
}

static void resolve_group(struct jit_op *op)
{
	struct gh *g = op->g;
	if (g->target.kind == GH_TARGET_REPO) {
		if (strcasecmp(op->group, "Default") != 0) {
			op_fail(op, PROTO_E_BAD_REQUEST, 0, "a repository has only the Default runner group; "
			        "other groups need an organization or enterprise github.path");
			return;
		}
		op->group_id = GH_DEFAULT_GROUP_ID;
		post_jit(op);
		return;
	}
	json_t *cached = json_object_get(g->groups, op->group);
	if (json_is_integer(cached)) {
		op->group_id = json_integer_value(cached);
		post_jit(op);
		return;
	}
	for (struct gh_group_wait *gw = g->group_waits; gw; gw = gw->next)
		if (strcmp(gw->name, op->group) == 0) {
			op->next_waiter = gw->waiters;
			gw->waiters = op;
			return;
		}
	struct gh_group_wait *gw = calloc(1, sizeof(*gw));
	if (!gw) {
		op_fail(op, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	snprintf(gw->name, sizeof(gw->name), "%s", op->group);
	gw->waiters = op;
	gw->deadline = op->req->deadline_ms;
	gw->next = g->group_waits;
	g->group_waits = gw;
	char path[600];
	snprintf(path, sizeof(path), "%s/actions/runner-groups?per_page=100", g->target.base);
	fetch_groups(g, gw, path);
}

/* ---- recovery after an uncertain POST ------------------------------------------------- */

static void on_cleanup_delete(struct gh *g, const struct gh_result *r, void *arg)
{
	struct jit_op *op = arg;
	char msg[1400];
	if (r->err == PROTO_OK || r->err == PROTO_E_NOT_FOUND)
		snprintf(msg, sizeof(msg), "%s; the runner %s it registered was deleted again; "
		         "retry with a new name", op->first_error, op->name);
	else
		snprintf(msg, sizeof(msg), "%s; the runner %s it registered could not be deleted (%s) "
		         "and is left for the reconcile", op->first_error, op->name, r->message);
	log_warn("jit registration recovered", "name=%s deleted=%s", op->name,
	         r->err == PROTO_OK || r->err == PROTO_E_NOT_FOUND ? "yes" : "no");
	op_fail(op, PROTO_E_UNAVAILABLE, 0, msg);
}

static void on_lookup(struct gh *g, const json_t *runners, int all_cached,
                      const struct gh_result *err, void *arg)
{
	struct jit_op *op = arg;
	char msg[1400];
	if (err) {
		snprintf(msg, sizeof(msg), "%s; whether %s got registered is unknown (lookup: %s)",
		         op->first_error, op->name, err->message);
		op_fail(op, PROTO_E_UNAVAILABLE, 0, msg);
		return;
	}
	json_t *found = json_array_get(runners, 0);
	if (!found) {
		snprintf(msg, sizeof(msg), "%s; no runner %s was registered; retry", op->first_error,
		         op->name);
		op_fail(op, PROTO_E_UNAVAILABLE, 0, msg);
		return;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/actions/runners/%lld", g->target.base,
	         (long long)json_integer_value(json_object_get(found, "id")));
	gh_api_call(g, GH_CALL_DELETE, "DELETE", path, NULL, NULL, wall_ms() + 2 * g->timeout_ms,
	            on_cleanup_delete, op);
}

static void recover(struct jit_op *op, const char *what)
{
	snprintf(op->first_error, sizeof(op->first_error), "JIT registration of %s failed: %s",
	         op->name, what);
	log_warn("jit registration outcome unknown; looking the runner up", "name=%s error=%s",
	         op->name, log_q(what));
	/* cleanup goes on past the caller's deadline: a stray registration must not stay */
	gh_list_runners(op->g, op->name, 1, wall_ms() + 2 * op->g->timeout_ms, on_lookup, op);
}

/* ---- the registration -------------------------------------------------------------- */

static int mentions_group(const char *msg)
{
	return strcasestr(msg, "group") != NULL;
}

static void on_jit(struct gh *g, const struct gh_result *r, void *arg)
{
	struct jit_op *op = arg;
	if (r->err == PROTO_OK) {
		int64_t id = 0;
		char *cfg = NULL, err[300];
		if (gh_parse_jit(r->resp->body, r->resp->body_len, &id, &cfg, err, sizeof(err)) != 0) {
			char what[400];
			snprintf(what, sizeof(what), "GitHub sent invalid JSON: %s", err);
			recover(op, what);
			return;
		}
		log_info("runner registered", "name=%s id=%lld group_id=%lld", op->name, (long long)id,
		         (long long)op->group_id);
		json_t *body = json_pack("{s:I, s:s}", "runner_id", (json_int_t)id, "jit_config", cfg);
		secret_free(cfg);
		worker_reply_ok(op->req, body);
		op_free(op);
		return;
	}
	if (r->resp && r->status == 0 && r->err != PROTO_E_SHUTTING_DOWN) {
		recover(op, r->message);    /* sent, but no usable answer: outcome unknown */
		return;
	}
	if (r->status >= 500) {
		recover(op, r->message);
		return;
	}
	int group_gone = r->status == 404 || (r->status == 422 && mentions_group(r->message));
	if (group_gone && !op->group_retry && g->target.kind != GH_TARGET_REPO) {
		op->group_retry = 1;
		json_object_del(g->groups, op->group);
		log_info("runner group may be gone; resolving again", "group=%s", log_q(op->group));
		resolve_group(op);
		return;
	}
	if (r->status == 409) {
		op_fail(op, PROTO_E_CONFLICT, 0, r->message);
		return;
	}
	if (r->status == 422) {     /* a validation error of ours: labels, name */
		op_fail(op, PROTO_E_BAD_REQUEST, 0, r->message);
		return;
	}
	op_fail(op, r->err, r->retry_after_ms, r->message);
}

static void post_jit(struct jit_op *op)
{
	struct gh *g = op->g;
	json_t *body = json_pack("{s:s, s:I, s:O}", "name", op->name,
	                         "runner_group_id", (json_int_t)op->group_id, "labels", op->labels);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		op_fail(op, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/actions/runners/generate-jitconfig", g->target.base);
	gh_api_call(g, GH_CALL_JIT, "POST", path, text, NULL, op->req->deadline_ms, on_jit, op);
	free(text);
}

void gh_h_runner_jit(struct wreq *req)
{
	struct gh *g = worker_data(req->w);
	const char *name = json_string_value(json_object_get(req->body, "name"));
	const char *group = json_string_value(json_object_get(req->body, "group"));
	json_t *labels = json_object_get(req->body, "labels");
	if (!gh_runner_name_ok(name)) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0,
		                 "name must be 1-64 characters of letters, digits, '-', '_' and '.'");
		return;
	}
	size_t n = json_array_size(labels);
	if (n < 1 || n > 100) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "labels must hold 1 to 100 names, got %zu", n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = json_string_length(json_array_get(labels, i));
		if (len == 0 || len > 256) {
			worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "labels[%zu] must be 1-256 characters", i);
			return;
		}
	}
	if (group && (!*group || strlen(group) >= 256)) {
		worker_reply_err(req, PROTO_E_BAD_REQUEST, 0, "group must be 1-255 characters");
		return;
	}
	struct jit_op *op = calloc(1, sizeof(*op));
	if (!op) {
		worker_reply_err(req, PROTO_E_INTERNAL, 0, "out of memory");
		return;
	}
	op->g = g;
	op->req = req;
	snprintf(op->name, sizeof(op->name), "%s", name);
	snprintf(op->group, sizeof(op->group), "%s", group ? group : g->runner_group);
	op->labels = json_incref(labels);
	resolve_group(op);
}
