/* The endpoint: /webhook (verify, then parse, then spool, then answer) and /health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "workers/runtime/httpd.h"
#include "workers/webhook/wh_int.h"

static void answer(struct httpd_req *r, unsigned status, const char *detail)
{
	json_t *o = json_pack("{s:s}", status < 300 ? "status" : "error", detail);
	char *text = json_dumps(o, JSON_COMPACT);
	httpd_reply(r, status, "application/json", text ? text : "{}", text ? strlen(text) : 2);
	json_decref(o);
	free(text);
}

/* The event body on the bus (names fixed by contract with its consumers). */
static json_t *event_body(const struct wh *h, const json_t *rec)
{
	static const char *const keys[] = {
		"action", "job_id", "run_id", "repo", "labels", "runner_name", "workflow", "github_event",
		"created_at", "started_at", "completed_at", "conclusion", "pool",
	};
	json_t *b = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(rec, keys[i]);
		if (v && !json_is_null(v))
			json_object_set(b, keys[i], v);
	}
	if (!json_object_get(b, "pool")) {
		char why[256];
		const struct wh_pool *p = wh_route(h->pools, h->npools, json_object_get(rec, "labels"), 0,
		                                   why, sizeof(why));
		if (p)
			json_object_set_new(b, "pool", json_string(p->name));
	}
	return b;
}

json_t *wh_status(const struct wh *h)
{
	json_t *counters = json_object();
#define WH_COUNTER_JSON(n) json_object_set_new(counters, #n, json_integer((json_int_t)h->n));
	WH_COUNTERS(WH_COUNTER_JSON)
#undef WH_COUNTER_JSON
	json_t *o = json_pack("{s:s, s:I, s:I, s:o}", "store", h->store_up ? "up" : "down",
	                      "spooled", (json_int_t)wh_spool_pending(h->spool), "spool_max", (json_int_t)h->spool_max,
	                      "counters", counters);
	if (!h->store_up && h->store_error[0])
		json_object_set_new(o, "reason", json_string(h->store_error));
	return o;
}

/* Public: the store's state and the spool's, never the driver's error text (it names
 * internal hosts); webhook.status on the control socket has the details. */
static void health(struct wh *h, struct httpd_req *r)
{
	size_t spooled = wh_spool_pending(h->spool);
	int full = spooled >= h->spool_max;
	json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "status", h->store_up || !full ? "ok" : "unavailable",
	                      "store", h->store_up ? "up" : "down", "spooled", (json_int_t)spooled,
	                      "spool_max", (json_int_t)h->spool_max);
	if (o && !h->store_up)
		json_object_set_new(o, "reason", json_string("store unreachable"));
	char *text = json_dumps(o, JSON_COMPACT);
	httpd_reply(r, !h->store_up && full ? 503 : 200, "application/json", text ? text : "{}",
	            text ? strlen(text) : 2);
	free(text);
	json_decref(o);
}

static void delivery(struct wh *h, struct httpd_req *r)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	const char *guid = httpd_header(r, "X-GitHub-Delivery");
	if (!wh_signature_ok(h->secret, h->secret_len, body, len, httpd_header(r, "X-Hub-Signature-256"))) {
		h->unauthorized++;
		log_warn("webhook refused", "reason=\"bad or missing X-Hub-Signature-256\" delivery=%.64s",
		         guid ? guid : "-");
		answer(r, 401, "bad or missing X-Hub-Signature-256");
		return;
	}
	const char *event = httpd_header(r, "X-GitHub-Event");
	if (!event) {
		h->malformed++;
		answer(r, 400, "missing X-GitHub-Event");
		return;
	}
	if (strcmp(event, "ping") == 0) {
		h->pings++;
		answer(r, 200, "pong");
		return;
	}
	if (strcmp(event, "workflow_job") != 0) {
		h->other_events++;
		answer(r, 202, "event ignored");
		return;
	}
	enum wh_verdict v;
	char err[512];
	json_t *rec = wh_job_record(body, len, &h->scope, h->pools, h->npools, &v, err, sizeof(err));
	if (!rec) {
		if (v == WH_FOREIGN)
			h->foreign++;
		else
			h->malformed++;
		log_warn("webhook refused", "reason=\"%s\" delivery=%.64s", err, guid ? guid : "-");
		answer(r, 400, err);
		return;
	}
	if (wh_spool_pending(h->spool) >= h->spool_max) {
		h->spool_full++;
		json_decref(rec);
		answer(r, 503, "spool full: the job store is unreachable; redeliver later");
		return;
	}
	json_object_set_new(rec, "delivery", json_string(guid ? guid : ""));
	json_object_set_new(rec, "received_at", json_integer(wall_ms()));
	if (wh_spool_append(h->spool, rec, err, sizeof(err)) != 0) {
		h->spool_errors++;
		log_error("spool write failed", "error=\"%s\"", err);
		json_decref(rec);
		answer(r, 503, "cannot store the delivery; redeliver later");
		return;
	}
	h->accepted++;
	worker_emit(h->w, "webhook.job", event_body(h, rec));
	json_decref(rec);
	answer(r, 200, "accepted");
	wh_drain_kick(h);
}

void wh_on_request(struct httpd_req *r, void *arg)
{
	struct wh *h = arg;
	const char *path = httpd_path(r), *method = httpd_method(r);
	if (strcmp(path, "/health") == 0) {
		health(h, r);
		return;
	}
	if (strcmp(path, "/webhook") != 0) {
		answer(r, 404, "no such path");
		return;
	}
	if (strcmp(method, "POST") != 0) {
		answer(r, 405, "POST only");
		return;
	}
	delivery(h, r);
}
