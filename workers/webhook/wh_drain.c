/* Draining the spool into the job store, in order, a batch at a time, on the store's
 * own thread.  Every write is idempotent (unique keys), so a batch that failed half-way,
 * or was stored just before a crash, is simply written again. */
#include <stdio.h>
#include <string.h>

#include "common/evloop.h"
#include "common/jobstore.h"
#include "common/log.h"
#include "common/offload.h"
#include "common/util.h"
#include "workers/webhook/wh_int.h"

#define BATCH 64
#define RETRY_BASE_MS 500
#define RETRY_CAP_MS 10000

struct batch {
	struct wh *h;
	json_t *records;
	int64_t end;
	int rc;
	char err[256];
};

/* The job document a queued delivery creates (ghr-jobs(7)). */
static json_t *job_doc(const json_t *rec)
{
	const char *dead = json_string_value(json_object_get(rec, "dead_reason"));
	int64_t at = json_integer_value(json_object_get(rec, "received_at"));
	json_t *doc = json_pack("{s:O, s:O, s:O, s:O, s:s, s:I, s:I, s:I, s:I, s:[O], s:[{s:I, s:s, s:s}]}",
	                        "_id", json_object_get(rec, "job_id"), "repo", json_object_get(rec, "repo"),
	                        "labels", json_object_get(rec, "labels"), "run_id", json_object_get(rec, "run_id"),
	                        "status", dead ? "dead" : "queued", "attempt", (json_int_t)0, "spawns", (json_int_t)0,
	                        "not_before", (json_int_t)0, "queued_at", (json_int_t)at,
	                        "deliveries", json_object_get(rec, "delivery"),
	                        "history", "at", (json_int_t)at, "what", dead ? "dead" : "queued",
	                        "why", dead ? dead : "webhook");
	static const char *const copy[] = { "pool", "workflow", "created_at" };
	for (size_t i = 0; doc && i < sizeof(copy) / sizeof(copy[0]); i++)
		if (json_object_get(rec, copy[i]))
			json_object_set(doc, copy[i], json_object_get(rec, copy[i]));
	if (doc && dead) {
		json_object_set_new(doc, "reason", json_string(dead));
		json_object_set_new(doc, "finished_at", json_integer(at));
	}
	return doc;
}

/* Did GitHub already say the job runs or ran?  (Deliveries may arrive out of order.) */
static const char *picked_before(struct js *js, const json_t *rec, char *err, size_t errlen, int *failed)
{
	json_t *evs = js_events(js, json_integer_value(json_object_get(rec, "job_id")), err, errlen);
	*failed = evs == NULL;
	size_t i;
	json_t *e;
	const char *seen = NULL;
	json_array_foreach(evs, i, e) {
		const char *a = json_string_value(json_object_get(e, "action")) ?: "";
		if (strcmp(a, "completed") == 0)
			seen = "completed";
		else if (strcmp(a, "in_progress") == 0 && !seen)
			seen = "in_progress";
	}
	json_decref(evs);
	return seen;
}

static int store_record(struct js *js, const json_t *rec, char *err, size_t errlen)
{
	/* An unreadable line, or a job of no reactive pool: nothing to store (the bus
	 * event was enough). */
	if (!json_is_object(rec) || (!json_object_get(rec, "pool") && !json_object_get(rec, "dead_reason")))
		return 0;
	json_t *ev = json_deep_copy(rec);
	json_object_del(ev, "labels");
	json_object_set_new(ev, "at", json_integer(json_integer_value(json_object_get(rec, "received_at"))));
	int rc = js_event_put(js, ev, err, errlen);
	json_decref(ev);
	if (rc < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(rec, "action")) ?: "", "queued") != 0)
		return 0;
	int failed;
	const char *seen = picked_before(js, rec, err, errlen, &failed);
	if (failed)
		return -1;
	json_t *doc = job_doc(rec);
	if (doc && seen && json_object_get(rec, "pool")) {
		char why[96];
		snprintf(why, sizeof(why), "GitHub reported it %s before its queued delivery arrived", seen);
		json_object_set_new(doc, "status", json_string("done"));
		json_object_set_new(doc, "reason", json_string(why));
		json_object_set_new(doc, "finished_at", json_object_get(doc, "queued_at") ? json_incref(json_object_get(doc, "queued_at")) : json_integer(0));
		js_history_add(doc, json_integer_value(json_object_get(doc, "queued_at")), "done", why);
	}
	rc = doc ? js_job_put(js, doc, err, errlen) : -1;
	json_decref(doc);
	return rc < 0 ? -1 : 0;
}

static void run_batch(void *ctx, void *arg)
{
	struct batch *b = arg;
	struct js *js = ctx;
	if (!b->h->schema_ok && js_ensure_schema(js, b->err, sizeof(b->err)) != 0) {
		b->rc = -1;
		return;
	}
	size_t i;
	json_t *rec;
	json_array_foreach(b->records, i, rec)
		if (store_record(js, rec, b->err, sizeof(b->err)) != 0) {
			b->rc = -1;
			return;
		}
	b->rc = 0;
}

static void on_retry(struct ev_loop *loop, int64_t id, void *arg)
{
	struct wh *h = arg;
	h->retry_timer = 0;
	wh_drain_kick(h);
}

static void batch_done(void *arg)
{
	struct batch *b = arg;
	struct wh *h = b->h;
	h->draining = 0;
	if (b->rc == 0) {
		char err[256];
		if (!h->store_up)
			log_info("job store reachable", "spooled=%zu", wh_spool_pending(h->spool));
		h->schema_ok = h->store_up = 1;
		h->drain_failures = 0;
		if (wh_spool_drained(h->spool, b->end, json_array_size(b->records), err, sizeof(err)) != 0)
			log_error("spool", "error=\"%s\"", err);
		/* Consumers claim at once instead of at their next look. */
		if (json_array_size(b->records) > 0)
			worker_emit(h->w, "webhook.stored", json_pack("{s:I}", "count", (json_int_t)json_array_size(b->records)));
		if (wh_spool_pending(h->spool) > 0)
			wh_drain_kick(h);
	} else {
		if (h->store_up || h->drain_failures == 0)
			log_warn("job store unreachable; deliveries stay spooled", "error=\"%s\" spooled=%zu",
			         b->err, wh_spool_pending(h->spool));
		snprintf(h->store_error, sizeof(h->store_error), "%s", b->err);
		h->store_up = 0;
		h->drain_failures++;
		if (!h->retry_timer)
			h->retry_timer = ev_timer_add(worker_loop(h->w),
			                              backoff_ms(h->drain_failures, RETRY_BASE_MS, RETRY_CAP_MS) + 100,
			                              on_retry, h);
	}
	json_decref(b->records);
	free(b);
}

void wh_drain_kick(struct wh *h)
{
	if (h->draining || h->retry_timer || !h->off)
		return;
	if (wh_spool_pending(h->spool) == 0 && h->schema_ok)
		return;
	struct batch *b = calloc(1, sizeof(*b));
	char err[256];
	if (!b)
		return;
	b->h = h;
	b->records = wh_spool_peek(h->spool, BATCH, &b->end, err, sizeof(err));
	if (!b->records || offload_submit(h->off, run_batch, batch_done, b) != 0) {
		log_error("spool", "error=\"%s\"", b->records ? "cannot queue store work" : err);
		json_decref(b->records);
		free(b);
		return;
	}
	h->draining = 1;
}

int wh_store_up(const struct wh *h)
{
	return h->store_up;
}
